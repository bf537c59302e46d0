"""breaker19b: what this session merged, broken as a demanding user would.

1. A compiled rule's writes of its parameters into integer fields of ``out`` (mmsim._rule_source): a write after an
   ``if`` one branch of which returns is reached only through the other branch (``if params.enabled == 0: return
   0`` refused ``enabled: 0, levels: 2.5``, which never writes 2.5); ``params.ladder > 0 and view.bid_qty > 0`` is
   false with ``ladder: 0`` whatever the view (it was refused); ``params.levels ** 0.5`` of a negative level count
   was a TypeError traceback (a complex number); a conditional expression the view decides, a tuple assignment,
   a loop's ``else``, a ``try``'s ``finally``, ``p = params`` and ``(n := params.levels)`` were not checked,
   though each writes the parameter's fraction.
2. Output paths: ``-o LINK`` whose link leads under a file (``LINK -> notes.txt/x``) was ``[Errno 17] File exists``
   (exit 1, after the work) where ``-o notes.txt/x`` is a usage error; the store writer's API raised FileExistsError
   for both.
   ``-o ..`` with --force from a folder inside the run it replaces deleted the current folder with it.
   A chain of locals each read twice was evaluated 2**n times (minutes at 24); one over 25 locals long went
   unchecked. ``out.n_orders: int = params.n`` (an annotated assignment) and ``out["n_bid_levels"] = params.levels``
   (numpy's spelling, which numba compiles) were not read; the pure path refuses the latter (pinned).
   ``-o ""`` (an unset variable) was the current folder, replaced with --force.
3. ``python -um mmsim`` (Python's short options clustered with ``m``) had no Ctrl-C guard while it starts.
"""

from __future__ import annotations

import os

import pytest

from mmsim.errors import ConfigError
from mmsim.numba_strategy import numba_strategy

CUT = "is not a whole number: it is an integer field, which the compiled rule would set to {} silently"


def _line(rule, k: int) -> str:
    """``test_breaker19b.py line N`` of the ``k``-th line of a rule's source (0: its decorator)."""
    return f"test_breaker19b.py line {rule.py_rule.__code__.co_firstlineno + k}"


# --- 1. false refusals: a write the parameters do not reach -------------------------------------------------------

@numba_strategy(params={"enabled": 1.0, "levels": 1.0})
def off_switch(view, params, state, out):
    if params.enabled == 0:
        return 0
    out.n_bid_levels = params.levels
    out.n_ask_levels = 1
    return 0


@numba_strategy(params={"mode": 0.0, "levels": 1.0})
def mode_switch(view, params, state, out):
    if params.mode == 0:
        out.n_bid_levels = 1
        return 0
    elif params.mode == 1:
        return 0
    out.n_bid_levels = params.levels
    return 0


@numba_strategy(params={"ladder": 1.0, "levels": 1.0})
def ladder_and_view(view, params, state, out):
    if params.ladder > 0 and view.bid_qty > 0:
        out.n_bid_levels = params.levels
    return 0


@numba_strategy(params={"ladder": 1.0, "levels": 1.0})
def ladder_or_view(view, params, state, out):
    if params.ladder == 0 or view.bid_qty <= 0:
        return 0
    out.n_bid_levels = params.levels
    return 0


@numba_strategy(params={"skip": 0.0, "levels": 1.0})
def loop_skip(view, params, state, out):
    for _k in range(2):
        if params.skip > 0:
            continue
        out.n_bid_levels = params.levels
    return 0


@pytest.mark.parametrize("rule, off, on", [
    (loop_skip, {"skip": 1.0}, {"skip": 0.0}),  # a continue ends the loop's body as a return ends the rule
    (off_switch, {"enabled": 0.0}, {"enabled": 1.0}),
    (mode_switch, {"mode": 1.0}, {"mode": 2.0}),  # mode 0 writes 1 and returns; mode 1 returns; mode 2 writes 2.5
    (ladder_and_view, {"ladder": 0.0}, {"ladder": 1.0}),
    (ladder_or_view, {"ladder": 0.0}, {"ladder": 1.0}),
])
def test_a_write_the_parameters_do_not_reach_is_not_refused(rule, off, on):
    """``levels: 2.5`` is never written when the switch is off (an early return, or an ``and`` whose parameter part
    is false, an ``or`` whose parameter part is true, whatever the view reads): the strategy is made; switched on,
    it is written, and refused naming its line (``if``/``return`` above it: line 5 of ``off_switch``, line 7 of
    ``mode_switch``; line 3 of ``ladder_and_view``; line 4 of ``ladder_or_view``)."""
    assert rule.check_params({**off, "levels": 2.5}) == {**off, "levels": 2.5}
    assert rule.python(pure=True, **off, levels=2.5).params == {**off, "levels": 2.5}
    k = {off_switch: 4, mode_switch: 7, ladder_and_view: 3, ladder_or_view: 4, loop_skip: 5}[rule]
    with pytest.raises(ConfigError) as info:
        rule.check_params({**on, "levels": 2.5})
    assert str(info.value) == (f"strategy {rule.name}: out.n_bid_levels = params.levels = 2.5 {CUT.format(2)} "
                               f"({_line(rule, k)})")


# --- 2. a traceback: a negative number to a fractional power ------------------------------------------------------

@numba_strategy(params={"levels": 9.0})
def root_levels(view, params, state, out):
    out.n_bid_levels = params.levels ** 0.5
    out.n_orders = (params.levels - 8) ** 1.5 if params.levels > 0 else 0
    return 0


def test_a_negative_number_to_a_fractional_power_is_refused_as_nan_not_a_traceback():
    """``(-4.0) ** 0.5`` is nan in the compiled rule (Python's is a complex number: ``float()`` of it was a
    TypeError traceback); nan cast to int64 is -2**63. ``levels: 4`` makes 2 (whole) and (4 - 8) ** 1.5, nan; the
    default 9 makes 3 and 1 ** 1.5 = 1."""
    with pytest.raises(ConfigError) as info:
        root_levels.check_params({"levels": -4.0})
    assert str(info.value) == (f"strategy root_levels: out.n_bid_levels = params.levels ** 0.5 = nan "
                               f"{CUT.format(-(1 << 63))} ({_line(root_levels, 2)}; parameters levels=-4.0)")
    with pytest.raises(ConfigError) as info:
        root_levels(levels=4.0)
    assert str(info.value) == (f"strategy root_levels: out.n_orders = (params.levels - 8) ** 1.5 if params.levels "
                               f"> 0 else 0 = nan {CUT.format(-(1 << 63))} ({_line(root_levels, 3)}; "
                               f"parameters levels=4.0)")


# --- 3. misses: writes of the parameters' fraction the reading skipped --------------------------------------------

@numba_strategy(params={"levels": 2.0})
def by_the_view(view, params, state, out):
    out.n_bid_levels = params.levels if view.bid_qty > 0 else 1
    out.n_ask_levels = 1 if view.ask_qty <= 0 else params.levels / 2
    return 0


@numba_strategy(params={"levels": 1.0})
def as_a_tuple(view, params, state, out):
    out.n_bid_levels, out.n_ask_levels = 1, params.levels
    return 0


@numba_strategy(params={"levels": 1.0})
def in_a_loop_else(view, params, state, out):
    for k in range(2):
        out.bid_ladder_px[k] = view.best_bid - k
    else:
        out.n_bid_levels = params.levels
    return 0


@numba_strategy(params={"levels": 1.0})
def through_an_alias(view, params, state, out):
    p = params
    o = out
    o.n_bid_levels = p.levels
    return 0


@numba_strategy(params={"levels": 1.0})
def through_a_walrus(view, params, state, out):
    out.n_bid_levels = (n := params.levels)
    out.n_ask_levels = n
    return 0


@pytest.mark.parametrize("rule, k, write, value, used", [
    (by_the_view, 2, "out.n_bid_levels = params.levels if view.bid_qty > 0 else 1", "2.5", "; parameters levels=2.5"),
    (as_a_tuple, 2, "out.n_ask_levels = params.levels", "2.5", ""),
    (in_a_loop_else, 5, "out.n_bid_levels = params.levels", "2.5", ""),
    (through_an_alias, 4, "o.n_bid_levels = p.levels", "2.5", ""),
    (through_a_walrus, 2, "out.n_bid_levels = (n := params.levels)", "2.5", "; parameters levels=2.5"),
])
def test_a_parameter_fraction_written_another_way_is_refused(rule, k, write, value, used):
    """Each writes ``levels: 2.5`` into an integer field: reached whatever the view (a conditional expression's
    branch the view picks is one it may pick), and refused naming the write and its line; ``levels: 2`` is made
    (the second write of ``by_the_view``, 2 / 2 = 1, whole)."""
    with pytest.raises(ConfigError) as info:
        rule.check_params({"levels": 2.5})
    assert str(info.value) == f"strategy {rule.name}: {write} = {value} {CUT.format(2)} ({_line(rule, k)}{used})"
    assert rule.check_params({"levels": 2.0}) == {"levels": 2.0}


def test_the_other_branch_the_view_picks_is_checked_too():
    """``1 if view.ask_qty <= 0 else params.levels / 2``: ``levels: 3`` makes 1 or 1.5, refused (the first write,
    3 or 1, is whole)."""
    with pytest.raises(ConfigError) as info:
        by_the_view.check_params({"levels": 3.0})
    assert str(info.value) == (f"strategy by_the_view: out.n_ask_levels = 1 if view.ask_qty <= 0 else params.levels "
                               f"/ 2 = 1.5 {CUT.format(1)} ({_line(by_the_view, 3)}; parameters levels=3.0)")


# --- 4. output paths: a symbolic link that leads under a file -----------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("b19b") / "store"
    write_store(SynthConfig(seed=3, duration=2 * 1_000_000_000), path)
    return path


@pytest.mark.parametrize("command", ["synth", "run"])
def test_a_link_to_a_path_under_a_file_is_a_usage_error_naming_the_file(store, tmp_path, command):
    """``-o lnk`` with ``lnk -> notes.txt/x``: nothing can be made under the file, as ``-o notes.txt/x`` says (exit
    2, before any work); it was ``mmsim: error: [Errno 17] File exists: '.../notes.txt'``, exit 1 (``mmsim run``
    after the whole run; ``mmsim synth`` since it follows links, outpath19). Nothing is written; the link and the
    file are as they were."""
    from test_breaker18b import mmsim_cli, run_config

    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "lnk").symlink_to("notes.txt/x")
    argv = ["synth"] if command == "synth" else ["run", str(run_config(store, tmp_path))]
    p = mmsim_cli([*argv, "-q", "-o", "lnk"], tmp_path)
    assert (p.returncode, p.stderr) == (2, f"mmsim {command}: error: lnk: {tmp_path / 'notes.txt'} is a file, not a "
                                           "folder: nothing can be written under it; choose another -o\n")
    assert sorted(os.listdir(tmp_path)) == sorted(["notes.txt", "lnk"] + (["run.yaml"] if command == "run" else []))
    assert (tmp_path / "notes.txt").read_text() == "mine\n" and os.readlink(tmp_path / "lnk") == "notes.txt/x"


@pytest.mark.parametrize("out", ["notes.txt/x", "lnk"])
def test_the_store_writer_under_a_file_is_a_data_error_naming_the_file(tmp_path, monkeypatch, out):
    """``write_store(cfg, "notes.txt/x")`` (or through a link to it) raised FileExistsError (``[Errno 17] File
    exists``) from making the store's parent; it is the store writer's DataError, naming the path and the file."""
    from mmsim.errors import DataError
    from mmsim.synth import SynthConfig, write_store

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "lnk").symlink_to("notes.txt/x")
    with pytest.raises(DataError) as info:
        write_store(SynthConfig(seed=1, duration=1_000_000_000), out)
    assert str(info.value) == (f"{out}: {tmp_path / 'notes.txt'} is a file, not a folder: nothing can be written "
                               "under it; choose a new path")
    assert sorted(os.listdir(tmp_path)) == ["lnk", "notes.txt"]


# --- 5. python -m mmsim's Ctrl-C while it starts: the module Python runs, read as Python reads its options ---------

@pytest.mark.parametrize("orig, runs_mmsim", [
    (["python", "-um", "mmsim", "run", "x.yaml"], True),  # unbuffered: the guard was off (a traceback, -2)
    (["python", "-Bm", "mmsim"], True),
    (["python", "-ummmsim"], True),
    (["python", "-X", "dev", "-m", "mmsim"], True),
    (["python", "-W", "ignore", "-um", "mmsim"], True),
    (["python", "-m", "mmsim"], True),
    (["python", "-m", "mmsim.cli"], False),
    (["python", "-um", "pytest", "-m", "mmsim"], False),  # pytest's own -m (a marker) is not Python's
    (["python", "-W", "-m", "-m", "pytest"], False),  # -W's value is "-m"
])
def test_python_m_mmsim_is_recognised_whatever_its_options(monkeypatch, orig, runs_mmsim):
    """``mmsim._start`` guards the package's import only under ``python -m mmsim``; it looked for ``-m mmsim`` or
    ``-mmmsim`` alone, so ``python -um mmsim`` (``-u``, ``-B``... clustered with ``m``, as Python accepts) had no
    guard: a Ctrl-C while it starts printed a ``KeyboardInterrupt`` traceback and the process died by SIGINT."""
    from mmsim import _start

    monkeypatch.setattr("sys.argv", ["-m"])  # as runpy sets it while it imports the package
    monkeypatch.setattr("sys.orig_argv", orig)
    assert _start._run_as_main() is runs_mmsim


# --- 6. -o a folder that holds the current folder, with --force -------------------------------------------------

@pytest.mark.parametrize("here, out, shown, inner", [("notes", "..", "..", "notes"),
                                                     ("notes/deeper", "../../", "../..", "notes/deeper")])
def test_force_onto_a_run_holding_the_current_folder_is_refused(store, tmp_path, here, out, shown, inner):
    """``-o .`` is filled, not replaced, so the shell stays in its folder (outpath19); ``-o ..`` run from the user's
    ``run/notes`` replaced ``run`` whole, the current folder deleted with it (the shell left in a deleted folder,
    the notes gone). Refused even with --force, naming the folder, before any work; ``run`` as it was."""
    from test_breaker18b import mmsim_cli, run_config

    cfg = run_config(store, tmp_path)
    assert mmsim_cli(["run", str(cfg), "-q", "-o", "run"], tmp_path).returncode == 0
    before = sorted(os.listdir(tmp_path / "run"))
    (tmp_path / "run" / here).mkdir(parents=True)
    (tmp_path / "run" / here / "mine.txt").write_text("mine\n")
    p = mmsim_cli(["run", str(cfg), "-q", "--force", "-o", out], tmp_path / "run" / here)
    assert (p.returncode, p.stderr) == (2, f"mmsim run: error: {shown}: the run directory holds the current folder "
                                           f"({inner}), which --force would delete with it; run the command from "
                                           "another folder, or -o another directory\n")
    assert (tmp_path / "run" / here / "mine.txt").read_text() == "mine\n"
    assert sorted(os.listdir(tmp_path / "run")) == sorted([*before, "notes"])


# --- 7. a chain of locals, each read twice: read once each (it was 2**n evaluations, at each strategy made) -------

def _doubling_chain(tmp_path, name: str, first: str, writes: list[str]):
    """A compiled rule (declared from a file of ``tmp_path``) whose ``v20`` is ``first * 2**20``, reached through 20
    locals each reading the one before twice (``v1 = v0 + v0`` ...), then ``writes``; and the file line of its
    first write."""
    import importlib.util

    chain = [f"    v0 = {first}", *(f"    v{i} = v{i - 1} + v{i - 1}" for i in range(1, 21))]
    lines = ["from mmsim.numba_strategy import numba_strategy", "", "",
             '@numba_strategy(params={"levels": 2.0})', f"def {name}(view, params, state, out):",
             *chain, *(f"    {w}" for w in writes), "    return 0", ""]
    path = tmp_path / f"{name}.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name), lines.index(f"    {writes[0]}") + 1


@pytest.mark.parametrize("first, writes, given, refusal", [
    # levels: 3 writes 3 * 2**20 / 2**21 = 1.5, refused (the default 2 writes 1)
    ("params.levels", ["out.n_bid_levels = v20 / 2 ** 21"], 3.0,
     "out.n_bid_levels = v20 / 2 ** 21 = 1.5 " + CUT.format(1) + " ({file} line {line}; parameters levels=3.0)"),
    # a chain from the view reads no parameter: the second write is the one checked
    ("view.bid_qty", ["out.n_bid_levels = v20", "out.n_ask_levels = params.levels"], 2.5,
     "out.n_ask_levels = params.levels = 2.5 " + CUT.format(2) + " ({file} line {next})"),
])
def test_a_chain_of_locals_is_read_once_each(tmp_path, monkeypatch, first, writes, given, refusal):
    """Each local was evaluated once per read, 2**20 times for ``v20`` (seconds; minutes at 24), at the declaration
    and at each strategy made (a sweep's each point); a chain from the view was walked as often to learn it reads no
    parameter. Now each is read once: counted, the expressions evaluated and the locals walked, at the declaration
    and at a check of the parameters together (at most ten a local; 132 and 22 now, it was millions)."""
    from mmsim import _rule_source

    evals, walks = [0], [0]
    evaluate, mentions = _rule_source._Evaluator.eval, _rule_source._mentions

    def counted_eval(self, node):
        evals[0] += 1
        return evaluate(self, node)

    def counted_mentions(*args, **kwargs):
        walks[0] += 1
        return mentions(*args, **kwargs)

    monkeypatch.setattr(_rule_source._Evaluator, "eval", counted_eval)
    monkeypatch.setattr(_rule_source, "_mentions", counted_mentions)
    name = "doubled" if first.startswith("params") else "doubled_from_the_view"
    rule, line = _doubling_chain(tmp_path, name, first, writes)
    with pytest.raises(ConfigError) as info:
        rule.check_params({"levels": given})
    assert str(info.value) == f"strategy {name}: " + refusal.format(file=f"{name}.py", line=line, next=line + 1)
    assert evals[0] <= 10 * 21 and walks[0] <= 10 * 21, (evals[0], walks[0])  # at most ten a local


def test_a_long_chain_of_locals_is_read_to_its_end():
    """``x40`` is ``levels + 40`` through 40 locals: ``levels: 2.5`` writes 42.5, refused. The reading stopped 50
    levels down (two a local), so the write went unchecked; it stops only at a local read in its own expression."""

    @numba_strategy(params={"levels": 2.0})
    def chained(view, params, state, out):
        x0 = params.levels
        x1 = x0 + 1
        x2 = x1 + 1
        x3 = x2 + 1
        x4 = x3 + 1
        x5 = x4 + 1
        x6 = x5 + 1
        x7 = x6 + 1
        x8 = x7 + 1
        x9 = x8 + 1
        x10 = x9 + 1
        x11 = x10 + 1
        x12 = x11 + 1
        x13 = x12 + 1
        x14 = x13 + 1
        x15 = x14 + 1
        x16 = x15 + 1
        x17 = x16 + 1
        x18 = x17 + 1
        x19 = x18 + 1
        x20 = x19 + 1
        x21 = x20 + 1
        x22 = x21 + 1
        x23 = x22 + 1
        x24 = x23 + 1
        x25 = x24 + 1
        x26 = x25 + 1
        x27 = x26 + 1
        x28 = x27 + 1
        x29 = x28 + 1
        x30 = x29 + 1
        x31 = x30 + 1
        x32 = x31 + 1
        x33 = x32 + 1
        x34 = x33 + 1
        x35 = x34 + 1
        x36 = x35 + 1
        x37 = x36 + 1
        x38 = x37 + 1
        x39 = x38 + 1
        x40 = x39 + 1
        out.n_orders = x40
        return 0

    with pytest.raises(ConfigError) as info:
        chained.check_params({"levels": 2.5})
    assert str(info.value) == (f"strategy chained: out.n_orders = x40 = 42.5 {CUT.format(42)} "
                               f"({_line(chained, 43)}; parameters levels=2.5)")


@numba_strategy(params={"count": 1.0})
def annotated(view, params, state, out):
    out.n_orders: int = params.count / 2 + 0.5
    return 0


def test_an_annotated_write_is_checked():
    """``out.n_orders: int = params.count / 2 + 0.5`` is a write like any (numba compiles it as one): ``count: 2``
    writes 1.5, refused; ``count: 3`` writes 2."""
    with pytest.raises(ConfigError) as info:
        annotated.check_params({"count": 2.0})
    assert str(info.value) == (f"strategy annotated: out.n_orders = params.count / 2 + 0.5 = 1.5 {CUT.format(1)} "
                               f"({_line(annotated, 2)}; parameters count=2.0)")
    assert annotated.check_params({"count": 3.0}) == {"count": 3.0}


# --- 8. -o "" (an unset variable) ---------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["run", "synth"])
def test_an_empty_output_path_is_a_usage_error_not_the_current_folder(store, tmp_path, command):
    """``-o "$OUT" --force`` with ``OUT`` unset, from a folder holding a run (or a store): ``Path("")`` is ``.``, so
    since ``-o .`` is the current folder (outpath19) the folder's output was replaced by this one. An empty path is
    no path (``ls ''``: no such file): argparse's usage error, exit 2, the folder as it was."""
    from test_breaker18b import mmsim_cli, run_config

    cfg = run_config(store, tmp_path)
    here = tmp_path / "here"
    first = ["run", str(cfg)] if command == "run" else ["synth"]
    assert mmsim_cli([*first, "-q", "-o", str(here)], tmp_path).returncode == 0
    before = {n: (here / n).stat().st_mtime_ns for n in os.listdir(here)}
    p = mmsim_cli([*first, "-q", "--force", "-o", ""], here)
    assert p.returncode == 2
    assert p.stderr.splitlines()[-1] == (f"mmsim {command}: error: argument -o/--output: an empty path (an unset "
                                         "variable?); give a folder, or -o . for the current folder")
    assert {n: (here / n).stat().st_mtime_ns for n in os.listdir(here)} == before


# --- 9. numpy's spelling of a field: out["n_bid_levels"] ------------------------------------------------------------

@numba_strategy(params={"levels": 1.0, "side": 1.0})
def by_key(view, params, state, out):
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out["n_bid_levels"] = params.levels
    out["n_ask_levels"] = 1
    for k in range(3):
        out.bid_ladder_px[k] = view.best_bid - k
        out.bid_ladder_qty[k] = 1.0
    out.ask_ladder_px[0] = view.best_ask
    out.ask_ladder_qty[0] = 1.0
    out["order_side"][0] = params.side
    return 1


@pytest.mark.parametrize("values, write, k", [
    ({"levels": 2.5}, "out['n_bid_levels'] = params.levels = 2.5 " + CUT.format(2), 4),
    ({"side": -0.5}, "out['order_side'][0] = params.side = -0.5 " + CUT.format(0), 11),
])
def test_a_field_written_by_its_name_as_a_key_is_checked(values, write, k):
    """numba compiles ``out["n_bid_levels"] = params.levels`` as ``out.n_bid_levels = ...``: with ``levels: 2.5`` the
    compiled rule quoted 2 bid levels (199, 200) without a word, the reading knew only ``out.FIELD``. Refused."""
    with pytest.raises(ConfigError) as info:
        by_key.check_params(values)
    assert str(info.value) == f"strategy by_key: {write} ({_line(by_key, k)})"


def test_a_field_written_by_its_name_runs_alike_on_the_pure_path():
    """``levels: 2`` quotes bids 200 and 199 and the ask 202 on the fast path; the pure path should agree."""
    import mmsim
    from test_compare_digest import l2_events
    from test_stratbreak18 import prices

    fast = prices(mmsim.run(l2_events(20), by_key(levels=2.0), mmsim.Config(ladder_levels=3)))
    assert fast == {199, 200, 202}
    assert prices(mmsim.run(l2_events(20), by_key.python(pure=True, levels=2.0), mmsim.Config(ladder_levels=3))) == fast


# --- 10. mmsim sweep -o a dangling link ---------------------------------------------------------------------------

def test_sweep_into_a_dangling_link_writes_where_it_points(store, tmp_path):
    """``-o lk`` with ``lk -> runs/today`` before ``runs`` exists: every other command writes where the link points,
    making ``runs/today``, the link kept (docs/config.md); the sweep's 2 points' results go there."""
    from test_breaker18b import mmsim_cli

    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: join_best, params: {{size: 1}}}}\n"
                    "axes:\n  strategy.params.size: [1, 2]\noutput: out\n")
    (tmp_path / "lk").symlink_to("runs/today")
    p = mmsim_cli(["sweep", str(grid), "-q", "--workers", "0", "-o", "lk"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert os.readlink(tmp_path / "lk") == "runs/today"
    assert len((tmp_path / "runs" / "today" / "results.jsonl").read_text().splitlines()) == 2


def test_report_force_into_a_folder_holding_the_current_folder_fills_it(store, tmp_path):
    """``mmsim report`` puts its files into a folder given with --force one by one, the others left: run from
    ``analysis/notes`` with ``-o ..``, nothing is deleted, so it is not refused (the refusal above is for a folder
    the output replaces whole); ``analysis`` gets report.json, the notes stay."""
    from test_breaker18b import mmsim_cli, run_config

    assert mmsim_cli(["run", str(run_config(store, tmp_path)), "-q", "--no-report", "-o", "run"], tmp_path).returncode == 0
    (tmp_path / "analysis" / "notes").mkdir(parents=True)
    (tmp_path / "analysis" / "notes" / "mine.txt").write_text("mine\n")
    p = mmsim_cli(["report", str(tmp_path / "run"), "-q", "--force", "-o", ".."], tmp_path / "analysis" / "notes")
    assert (p.returncode, p.stderr) == (0, "")
    assert (tmp_path / "analysis" / "report.json").is_file()
    assert (tmp_path / "analysis" / "notes" / "mine.txt").read_text() == "mine\n"
