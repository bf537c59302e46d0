"""Ctrl-C (SIGINT) stops a replay cleanly through the Python API (docs/engine.md, "Ctrl-C"), and
the hint for numba's -2^63 (what its int() makes of inf and NaN) in an invalid quote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import make_events
from test_breaker18b import run_config

import mmsim
from mmsim import Kind
from mmsim.numba_strategy import numba_strategy

SCRIPT = Path(__file__).with_name("_ctrl_c.py")
EXIT_SCRIPT = Path(__file__).with_name("_exit_daemon.py")
S = 1_000_000_000


def close_pipes(p: subprocess.Popen) -> None:
    """Close a child's pipes, also when a test fails before communicate() read them (left
    open, they were collected during a later test, whose unraisable ResourceWarning failed it)."""
    for f in (p.stdout, p.stderr):
        if f is not None:
            f.close()


def interrupted(store: Path, mode: str) -> tuple[int, list[str]]:
    """Start tests/_ctrl_c.py, send SIGINT once its replay has started; its exit code and the lines after the marker."""
    p = subprocess.Popen([sys.executable, str(SCRIPT), str(store), mode], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert p.stdout is not None
        for line in p.stdout:  # (an editable install may print its rebuild first)
            if line == "started\n":
                break
        else:
            raise AssertionError(f"no marker; exit {p.wait()}: {p.stderr.read() if p.stderr else ''}")
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        close_pipes(p)
    # Generous: the replay left alone runs for minutes; stopped, it ends within ~0.1 s, then
    # the interpreter exits (numba's teardown included).
    assert time.monotonic() - sent < 60, mode
    assert p.returncode != -signal.SIGABRT, err
    assert p.returncode == 0, err
    return p.returncode, out.splitlines()


INTERRUPTED = "partial=True reason='interrupted (KeyboardInterrupt)' before_end=True"


@pytest.mark.parametrize("mode", ["run-numba", "run-numba+progress", "run-python", "run-python+progress"])
def test_ctrl_c_stops_a_run_with_its_partial_result_and_no_thread_left(store, mode):
    """A numba run on the calling thread ignored Ctrl-C until its end (the engine never gave
    Python's signal handler a chance); with a progress callback the replay's thread went on
    after the KeyboardInterrupt. Now each raises KeyboardInterrupt at once, with the run's
    partial result, and no thread is left."""
    code, lines = interrupted(store, mode)
    assert (code, lines) == (0, ["KeyboardInterrupt: 1 partial result(s)", INTERRUPTED,
                                 "exc.partial is partials[0]: True", "threads: ['MainThread']"])


@pytest.mark.parametrize("mode", ["many", "many+progress"])
def test_ctrl_c_stops_a_run_many_pass_whatever_its_strategies(store, mode):
    """Two numba runs and a Python one in one pass (return_exceptions=True, where a Python
    strategy's KeyboardInterrupt used to be that run's entry while the others went on)."""
    code, lines = interrupted(store, mode)
    assert (code, lines) == (0, ["KeyboardInterrupt: 3 partial result(s)"] + [INTERRUPTED] * 3
                             + ["threads: ['MainThread']"])


@pytest.mark.parametrize("mode", ["run-swallow", "many-swallow", "run-swallow+progress"])
def test_ctrl_c_stops_a_python_strategy_that_catches_keyboard_interrupt_itself(store, mode):
    """Without a progress callback the KeyboardInterrupt landed inside the strategy's call,
    which caught it (``except BaseException``), and the run went on for minutes; now the pass
    stops as for any strategy (with a progress callback it always did)."""
    code, lines = interrupted(store, mode)
    n = 2 if mode.startswith("many") else 1
    tail = ["exc.partial is partials[0]: True"] if mode.startswith("run") else []
    assert (code, lines) == (0, [f"KeyboardInterrupt: {n} partial result(s)"] + [INTERRUPTED] * n + tail
                             + ["threads: ['MainThread']"])


@pytest.mark.parametrize("mode", ["raises-numba", "raises-python"])
def test_another_exception_while_waiting_for_the_pass_stops_it_too(store, mode):
    # Only KeyboardInterrupt stopped the pass: an exception from the progress callback (or a
    # SIGALRM/SIGTERM handler) left the replay's thread running, and with a Python strategy the
    # interpreter's exit aborted ("FATAL: exception not rethrown", exit 134).
    p = subprocess.run([sys.executable, str(SCRIPT), str(store), mode], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-2:] == ["RuntimeError: the progress bar broke", "threads: ['MainThread']"]


@pytest.mark.parametrize("mode", ["python", "numba+progress", "many"])
def test_a_replay_left_in_a_daemon_thread_is_stopped_when_the_interpreter_exits(store, mode):
    """The main thread ends while a replay runs in a daemon thread: Python ended that thread
    inside the engine's C++ frames as it exited ("terminate called without an active
    exception", SIGABRT). mmsim's atexit callback now stops the pass and waits for it; the
    call raises SystemExit in its thread with the partial results, and the process exits 0."""
    sent = time.monotonic()
    p = subprocess.run([sys.executable, str(EXIT_SCRIPT), str(store), mode], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    n = 2 if mode == "many" else 1
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.splitlines() == ["started", f"SystemExit: {n} partial result(s)"] + [
        "partial=True reason='interrupted (SystemExit)'"] * n
    assert time.monotonic() - sent < 60


@pytest.mark.parametrize("mode", ["bbo", "signals"])
def test_a_book_replay_or_signals_call_in_a_daemon_thread_at_exit_no_longer_aborts(store, mode):
    """A breaker's find: `mmsim.replay_bbo` (or `mmsim.signals.compute`) called in a loop in a daemon
    thread when the main thread returns aborted the process (status -6, "terminate called without an
    active exception") nearly every time: the thread was ended inside the call's C++ frames. The
    interpreter's exit now stops the call, which raises SystemExit in its thread; exit status 0."""
    p = subprocess.run([sys.executable, str(EXIT_SCRIPT), str(store), mode], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.splitlines() == ["started", "SystemExit: 0 partial result(s)"]


def test_a_replay_in_a_later_atexit_callback_on_the_main_thread_is_not_stopped(store):
    """mmsim's atexit callback stops the passes of daemon threads only: a program's own atexit
    callback that runs after it (registered before mmsim was imported) replays to the end."""
    p = subprocess.run([sys.executable, str(EXIT_SCRIPT), str(store), "late"], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert (p.returncode, p.stderr, p.stdout) == (0, "", "late run: partial=False calls=2\n")


def test_a_keyboard_interrupt_raised_in_quote_is_an_interrupt_not_a_strategy_error():
    """A strategy's own KeyboardInterrupt (Ctrl-C landing in its code) stops the pass: the
    same KeyboardInterrupt, with the partial results; not a StrategyError, in every run."""
    ev = make_events([(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10),
                      (2000, Kind.DEPTH, 1, 100, 11), (3000, Kind.DEPTH, 1, 100, 12)])

    class Stop(mmsim.Strategy):
        def __init__(self, at: int, exc: type[BaseException]) -> None:
            self.at, self.exc, self.calls = at, exc, 0

        def quote(self, view):
            self.calls += 1
            if self.calls == self.at:
                raise self.exc("now")
            return None  # (no orders: the calls are the three market data times)

    with pytest.raises(KeyboardInterrupt) as info:
        mmsim.run(ev, Stop(2, KeyboardInterrupt))
    assert str(info.value) == "now"
    part = info.value.partial
    assert (part.partial, part.stop_reason, part.stop_ts) == (True, "interrupted (KeyboardInterrupt)", 2000)
    # In a pass where failures drop out: the interrupt still ends the pass for every run; a
    # run that failed before keeps its StrategyError in its place.
    with pytest.raises(KeyboardInterrupt) as info:
        mmsim.run_many(ev, [(Stop(1, ValueError), None), (Stop(3, KeyboardInterrupt), None), (None, None)],
                       return_exceptions=True)
    first, second, third = info.value.partials
    assert isinstance(first, mmsim.StrategyError) and "raised ValueError in quote()" in str(first)
    assert [(r.partial, r.stop_ts) for r in (second, third)] == [(True, 3000), (True, 3000)]


class Swallow(mmsim.Strategy):
    """Sends itself SIGINT in its ``at``-th call and catches the KeyboardInterrupt (a bare ``except:``)."""

    def __init__(self, at: int) -> None:
        self.at, self.calls, self.swallowed = at, 0, None

    def quote(self, view):
        self.calls += 1
        try:
            if self.calls == self.at:
                signal.raise_signal(signal.SIGINT)  # Python's handler raises KeyboardInterrupt here
        except BaseException as exc:
            self.swallowed = exc
        return None


def test_a_strategy_that_swallows_the_keyboard_interrupt_is_stopped_all_the_same():
    """Without a progress callback the Ctrl-C became a KeyboardInterrupt inside quote(), which a
    strategy catching BaseException swallowed: the run went on to its end, a complete Result.
    SIGINT's handler now also asks the pass to stop: that KeyboardInterrupt is raised with the
    partial result, stopped before the next call (3000)."""
    ev = make_events([(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10),
                      (2000, Kind.DEPTH, 1, 100, 11), (3000, Kind.DEPTH, 1, 100, 12), (4000, Kind.DEPTH, 1, 100, 13)])
    strat = Swallow(2)
    with pytest.raises(KeyboardInterrupt) as info:
        mmsim.run(ev, strat)
    assert isinstance(strat.swallowed, KeyboardInterrupt) and info.value is strat.swallowed
    part = info.value.partial
    assert (part.partial, part.stop_reason, part.stop_ts, strat.calls) == (
        True, "interrupted (KeyboardInterrupt)", 3000, 2)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    # In a pass: every run stops there, the one that swallowed it or not.
    strats = [Swallow(0), Swallow(3), Swallow(0)]
    with pytest.raises(KeyboardInterrupt) as info:
        mmsim.run_many(ev, [(strats[0], None), (strats[1], None), (strats[2], None), (None, None)],
                       return_exceptions=True)
    assert info.value is strats[1].swallowed
    assert [(r.partial, r.stop_ts) for r in info.value.partials] == [(True, 3000)] * 4  # (the third run's call sees it)
    assert [s.calls for s in strats] == [3, 3, 2]
    # After the pass, Ctrl-C is Python's own again: a run that completes is left as it was.
    assert mmsim.run(ev, Swallow(0)).partial is False


@numba_strategy(params={"scale": 1.0, "nan": 0.0, "ladder": 0.0})
def int_of_rule(view, params, state, out):
    """Quote int(1e308 * scale) on the bid (inf beyond 1.8e308; NaN as inf - inf with `nan`): the
    1-level form, or level 0 of a ladder."""
    x = 1e308 * params.scale
    if params.nan > 0:
        x = x - x
    if params.ladder > 0:
        out.n_bid_levels = 1
        out.bid_ladder_px[0] = int(x)
        out.bid_ladder_qty[0] = 1.0
    else:
        out.bid_px = int(x)
        out.bid_qty = 1.0
    return 1


@pytest.mark.parametrize(("scale", "nan"), [(10.0, 0.0), (-10.0, 0.0), (10.0, 1.0)], ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize(("ladder", "where"), [(0.0, "bid_px"), (1.0, "bid level 0 price")], ids=["1-level", "ladder"])
def test_numbas_int_of_a_non_finite_price_is_named(scale, nan, ladder, where):
    """numba's int(inf) or int(nan) is -2^63; the message said only "is out of range"."""
    ev = make_events([(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10)])
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, int_of_rule(scale=scale, nan=nan, ladder=ladder), mmsim.Config(ladder_levels=2))
    assert str(info.value) == (
        f"strategy int_of_rule returned an invalid quote at local time {mmsim.engine.format_ts(1000)}: quote {where} "
        f"= {HINTED}")


HINTED = ("-9.2233720368547758e+18 is out of range (-2^63 is the empty-side marker of view.best_bid (if the bid side is "
          "empty, check view.bid_qty > 0 before quoting from it), and what numba's int() makes of inf, NaN or a number beyond "
          "int64, and what an int64 sum that wrapped around gives, e.g. best_ask + 1 on an empty ask side, where "
          "best_ask is 2^63 - 1: the strategy most likely computed a non-finite or wrapped price)")


def test_an_overflow_to_minus_2_63_is_hinted_and_another_out_of_range_price_is_not():
    ev = make_events([(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10)])
    # int(-1e19) overflows to -2^63 too: the engine cannot tell it from inf, the hint names both.
    # 1e16 is out of range (beyond 2^53) and not numba's marker: no hint.
    for scale, said in ((-1e-289, HINTED), (1e-292, "10000000000000000 is out of range")):
        with pytest.raises(mmsim.StrategyError) as info:
            mmsim.run(ev, int_of_rule(scale=scale))
        assert str(info.value).endswith(f": quote bid_px = {said}"), str(info.value)


def test_a_signal_handlers_exception_inside_replay_bbo_and_signals_compute_is_raised():
    """The book-only replays run Python's signal handlers every 4,096 events on the main thread
    (as a pass does): the handler's exception ends the loop and is raised by the call, the
    process intact. (Whether it ran inside the loop or just after the call returned is not
    visible here; the ctest stop_request_interrupts_the_pass pins the loop's check.)"""
    import numpy as np

    from mmsim.signals import compute

    n = 1 << 20
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = 1_000_000 + np.arange(n) * 1000
    ev["kind"] = int(Kind.DEPTH)
    ev["side"] = np.where(np.arange(n) % 2 == 0, 1, -1)
    ev["price"] = np.where(ev["side"] == 1, 100, 101)
    ev["qty"] = 1 + np.arange(n) % 7

    class Alarm(Exception):
        pass

    def ring(signum, frame):
        raise Alarm("ring")

    old = signal.signal(signal.SIGALRM, ring)
    try:
        for call in (lambda: mmsim.replay_bbo(ev), lambda: compute(ev[: 1 << 17])):
            with pytest.raises(Alarm, match="^ring$"):
                # Armed inside the block: on a loaded machine 2 ms passed before the block was entered and
                # the alarm rang outside it (a full run under load failed so).
                signal.setitimer(signal.ITIMER_REAL, 0.002)
                call()
                time.sleep(10)  # (the alarm came after the call: it rings here)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


CLI_SCRIPT = Path(__file__).with_name("_ctrl_c_cli.py")


def cli(where: str, argv: list[str], sends: list[tuple[Any, ...]], cwd: Path | None = None,
        first: signal.Signals = signal.SIGINT, sigint_ignored: bool = False) -> tuple[int, str, str]:
    """Run tests/_ctrl_c_cli.py WHERE -- ARGV; at each (marker, n) of ``sends``, wait for the marker
    line, then send n SIGINTs at once (the very first of them ``first``: SIGTERM in tests/test_sigterm.py;
    (marker, n, signal): n of that signal; (marker, n, [signals]): those n); its exit status, stdout (but the
    markers) and stderr. ``sigint_ignored``: started with SIGINT ignored, as a shell starts a script's
    background job (``mmsim run ... &``)."""
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    p = subprocess.Popen([sys.executable, str(CLI_SCRIPT), where, "--", *argv], cwd=cwd, preexec_fn=ignore,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    seen: list[str] = []
    try:
        assert p.stdout is not None
        for marker, n, *sig in sends:
            for line in p.stdout:
                if line == marker + "\n":
                    break
                seen.append(line)
            else:
                raise AssertionError(f"no {marker!r}; exit {p.wait()}: {p.stderr.read() if p.stderr else ''}")
            for k in range(n):
                p.send_signal(sig[0][k] if sig and isinstance(sig[0], list) else sig[0] if sig else first)
                first = signal.SIGINT
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        close_pipes(p)
    return p.returncode, "".join(seen) + out.replace("winding down\n", ""), err


@pytest.mark.parametrize("where", ["cleanup", "line", "exit", "sweep-exit", "sweep-line"])
def test_a_second_ctrl_c_while_mmsim_winds_down_still_exits_130_with_one_line(store, tmp_path, where):
    """`mmsim run`, Ctrl-C while its report is written, and a second Ctrl-C while the staged
    directory is removed (it was left half removed, `.r.writing-PID`), while `mmsim:
    interrupted` is printed (the process ended by SIGINT, status -2, with a traceback), or while
    the interpreter exits (a traceback "Exception ignored in atexit callback"); the last also
    after `mmsim sweep`, which returns 130 itself. `sweep-line`: the second lands while the
    sweep counts what is saved for its line (the line was lost, `mmsim: interrupted` instead);
    with --force, whose rerun would start afresh and delete what is saved, the line says to
    run the command without it (it said "run the same command")."""
    cfg = run_config(store, tmp_path)
    runs = tmp_path / "runs"
    argv = ["run", str(cfg), "-q", "-o", str(runs / "r")]
    said = "mmsim: interrupted\n"
    if where.startswith("sweep"):
        grid = tmp_path / "grid.yaml"
        grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: join_best}}\naxes:\n  latency.feed: [0ms]\n")
        argv = ["sweep", str(grid), "-q", "--workers", "0", "-o", str(runs / "sw")]
        again = "the same command"
        if where == "sweep-line":
            argv.append("--force")
            again = "the same command without --force"
        said = (f"mmsim sweep: interrupted; 0 of 1 points are saved in {runs / 'sw' / 'results.jsonl'}; run {again} "
                "to resume\n")
    code, _, err = cli(where, argv, [("writing", 1), ("winding down", 1)])
    assert (code, err) == (130, said)
    if not where.startswith("sweep"):
        # neither the run directory nor its staged one, nor runs/ (the command created it: removed since outdir18)
        assert not runs.exists()


@pytest.mark.parametrize("sends", [[("writing", 2)], [("writing", 3)]], ids=["two", "three"])
def test_ctrl_c_sent_twice_at_once_as_a_terminal_and_timeout_do(store, tmp_path, sends):
    """A terminal sends Ctrl-C to the process group, and GNU `timeout -s INT` to the child and
    its group: two SIGINTs at once. They ended the process by SIGINT (status -2) after `mmsim:
    interrupted`, or with a traceback, depending on where the second landed; now every Ctrl-C
    after the first is held back."""
    runs = tmp_path / "runs"
    code, _, err = cli("cleanup", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(runs / "r")], sends)
    assert (code, err) == (130, "mmsim: interrupted\n")
    assert not runs.exists()  # nothing, runs/ (created by the command) included: outdir18


def test_a_ctrl_c_inside_a_finalizer_still_stops_the_command(store, tmp_path):
    """A Ctrl-C whose KeyboardInterrupt is raised inside a finalizer (a `__del__`, a weak
    reference's callback) is swallowed by Python ("Exception ignored in: ... KeyboardInterrupt")
    and the command went on (here: to its end, status 0). It is delivered again where the
    command runs: the one line, status 130, nothing written."""
    runs = tmp_path / "runs"
    code, _, err = cli("finalizer", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(runs / "r")],
                       [("writing", 1)])
    assert (code, err) == (130, "mmsim: interrupted\n")
    assert not runs.exists()  # nothing, runs/ (created by the command) included: outdir18


def test_a_second_ctrl_c_while_a_stopped_replay_waits_for_a_blocking_strategy_call_leaves_at_once(store, tmp_path):
    """Held back elsewhere, a second Ctrl-C still leaves while the stopped replay waits for a
    strategy call that blocks (it would wait for the call): the line, status 130."""
    strat = tmp_path / "block.py"
    strat.write_text("import time\nimport mmsim\n\n\nclass Block(mmsim.Strategy):\n    def quote(self, view):\n"
                     "        print('writing', flush=True)\n        time.sleep(60)\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{strat}:Block'}}\n")
    sent = time.monotonic()
    code, _, err = cli("blocked", ["run", str(cfg), "-q", "-o", str(tmp_path / "r")],
                       [("writing", 1), ("winding down", 1)])
    assert (code, err) == (130, "mmsim: interrupted\n")
    assert time.monotonic() - sent < 30
    assert not (tmp_path / "r").exists()


def test_mmsim_run_exits_130_when_its_strategy_catches_keyboard_interrupt_itself(store, tmp_path):
    """`mmsim run` with a strategy whose quote() catches everything stops: 130, the one line,
    nothing written. (It did before too: the command always gives the pass a progress callback,
    so the replay runs on its own thread and the Ctrl-C reaches the waiting main thread; pinned
    so that it stays so.)"""
    strat = tmp_path / "swallow.py"
    strat.write_text("import time\nimport mmsim\n\n\nclass Swallow(mmsim.Strategy):\n    said = False\n\n"
                     "    def quote(self, view):\n        if not self.said:\n            self.said = True\n"
                     "            print('writing', flush=True)\n        try:\n            time.sleep(0.001)\n"
                     "        except BaseException:\n            pass\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{strat}:Swallow'}}\n")
    code, _, err = cli("plain", ["run", str(cfg), "-q", "-o", str(tmp_path / "r")], [("writing", 1)])
    assert (code, err) == (130, "mmsim: interrupted\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("where", ["summary", "replaced", "done-exit"])
def test_a_ctrl_c_once_the_output_is_in_place_changes_nothing(store, tmp_path, where):
    """One Ctrl-C after `mmsim run` has put its directory in place: while it prints its last
    line (it said `mmsim: interrupted`, status 130, of a complete run), while the previous run
    directory it replaced (--force) is deleted (the same), or while the interpreter exits (a
    traceback, "Exception ignored in atexit callback", or status -2 and no line once Python's
    handlers were gone). Status 0, the run's line, nothing on stderr."""
    from mmsim.cli import main

    cfg = run_config(store, tmp_path)
    out = tmp_path / "r"
    argv = ["run", str(cfg), "-q", "-o", str(out)]
    if where == "replaced":
        assert main(argv) == 0
        argv.append("--force")
    code, stdout, err = cli(where, argv, [("winding down", 1)])
    assert (code, err) == (0, "")
    assert stdout.endswith(f" M events/s -> {out}\n") and stdout.count("\n") == 1, stdout
    assert (out / "result.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "run.yaml"]  # nothing staged or replaced left


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
def test_ctrl_c_while_the_demo_writes_leaves_no_half_written_folder(tmp_path, force):
    """`mmsim demo` wrote its files straight into the output folder: Ctrl-C while the page was
    rendered left the CSV and JSON files alone in it (and a rerun refused it as existing; with
    --force, a previous demo's folder was half overwritten). It is staged as `mmsim run`'s is."""
    out = tmp_path / "d"
    before = None
    if force:
        out.mkdir()
        (out / "demo.html").write_text("previous\n")
        (out / "results.csv").write_text("previous\n")
        before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    code, _, err = cli("demo", ["demo", "--quick", "-q", "-o", str(out)] + (["--force"] if force else []),
                       [("writing", 1)])
    assert (code, err) == (130, "mmsim: interrupted\n")
    if force:
        assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    else:
        assert sorted(tmp_path.iterdir()) == []


def test_demo_force_into_a_folder_that_exists_moves_its_files_in_and_keeps_the_others(tmp_path, monkeypatch, capsys):
    """Staged, `mmsim demo --force` still writes into the folder (as its help says), never deleting what it did not write."""
    import mmsim.demo
    from mmsim.cli import main

    monkeypatch.setattr(mmsim.demo, "QUICK_PLAN", mmsim.demo.DemoPlan(sessions=1, session_ns=11 * S))
    out = tmp_path / "d"
    out.mkdir()
    (out / "demo.html").write_text("previous\n")  # a demo's folder (sweep10: any other is refused, --force or not)
    (out / "mine.txt").write_text("mine\n")
    (out / "results.csv").write_text("previous\n")
    assert main(["demo", "--quick", "-q", "-o", str(out), "--force"]) == 0
    assert capsys.readouterr().out == f"outputs written to {out}\n"
    assert sorted(p.name for p in out.iterdir()) == ["defence.csv", "defence_vs_latency.png", "demo.html", "mine.txt",
                                                     "results.csv", "results.json", "sessions.csv", "synth.json"]
    assert (out / "mine.txt").read_text() == "mine\n"
    assert (out / "results.csv").read_text().startswith("market,strategy,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # nothing staged left
