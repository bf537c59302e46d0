"""newcomer18: a new user's pass over session 18 (run() verifying a store, report replacing a report, -o a/b/c
interrupted, sweeps' events_digest, mmsim convert of the real files, plugins of one's own), broken.

Every store here is small and made in the test (no real data needed).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_newcomer17 import FIXED_SPREAD, META, l2_with_prints

from mmsim.cli import main
from mmsim.data.store import write_store


def _mmsim_script() -> str:
    """The installed ``mmsim`` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("mmsim")
    if not exe.exists():
        pytest.skip("no mmsim console script beside this interpreter")
    return str(exe)


# ----------------------------------------------------------------------------- 1. Ctrl-C while mmsim starts


# The console script is `from mmsim.cli import main; sys.exit(main())`: importing mmsim (numpy, numba, the
# extension, rich...) takes 0.3 to 1.4 s on 2 shared cores, and mmsim.cli._sigint is installed only once main()
# runs. A Ctrl-C in that window (a user who notices a wrong argument at once: `mmsim run x.yaml` then Ctrl-C)
# prints a 12-28 line `Traceback ... KeyboardInterrupt` and the process ends by SIGINT (raw status -2), where
# docs/config.md (Exit codes) promises status 130 and the one line `mmsim: interrupted`, never a traceback.
# Seen for `mmsim --help`, `mmsim run examples/synth_run.yaml`, `mmsim synth examples/synth.yaml` at 0.1-0.45 s.
@pytest.mark.parametrize("share", [0.3, 0.5])
def test_ctrl_c_while_mmsim_starts_is_the_one_line_and_130(tmp_path, share):
    script = _mmsim_script()
    took = []
    for _ in range(3):                      # how long `mmsim --help` takes here, import included
        t0 = time.perf_counter()
        subprocess.run([script, "--help"], capture_output=True, timeout=120, cwd=tmp_path)
        took.append(time.perf_counter() - t0)
    if min(took) < 0.1:
        pytest.skip(f"mmsim --help takes {min(took):.3f} s here: too short to interrupt its start reliably")
    for attempt in range(4):                # inside the import of mmsim, after Python's own start (~20 ms)
        p = subprocess.Popen([script, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=tmp_path)
        time.sleep(max(0.04, share * min(took) / 2**attempt))
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        if p.returncode != 0:
            break
    else:
        pytest.skip("mmsim --help ended before the SIGINT every time")
    assert "Traceback" not in err
    assert err == "mmsim: interrupted\n"
    assert p.returncode == 130


# ----------------------------------------------------------------------------- 2. mmsim convert -o a/b/c failing


# outdir18 removes the folders a command created for `-o a/b/c` when its output is not written, for mmsim run and
# mmsim report (docs/config.md: "The folders a command created for its output ... are removed again when the output
# is not written (an error, Ctrl-C), deepest first, each only while empty"). mmsim convert does not: a conversion
# that fails (wrong --format) or is interrupted (Ctrl-C 1-5 s into the ETHUSDT capture) leaves `a/b/` behind, empty.
def test_a_failed_convert_removes_the_folders_it_made_for_its_output(tmp_path, capsys):
    src = tmp_path / "btcusdt_20240808.gz"
    import gzip

    with gzip.open(src, "wt") as f:
        f.write('1723075200000000000 {"stream":"btcusdt@depth@0ms","data":{}}\n')
    out = tmp_path / "new" / "x" / "store"
    rc = main(["convert", str(src), "-o", str(out), "--format", "databento"])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("mmsim: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["btcusdt_20240808.gz"]   # no new/ left


# The same for a Ctrl-C in the second step of `--trade-implied-book`: the first step's scratch store (written beside
# the output, in the folders it created, then removed) is gone, and the folders -o made with it.
def test_a_convert_interrupted_in_its_trade_implied_step_removes_the_folders_it_made(tmp_path, capsys, monkeypatch):
    import mmsim.data.implied as implied_mod
    from _corpus import binance

    (src,), _ = binance(tmp_path)
    steps: list = []

    def interrupted(plain, out, **kw):     # the first step wrote its scratch store in new/x/: Ctrl-C now
        steps.append(sorted(p.name.split("-")[0] for p in Path(plain).parent.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr(implied_mod, "trade_implied", interrupted)
    out = tmp_path / "new" / "x" / "store"
    rc = main(["convert", str(src), "-o", str(out), "--format", "binance", "--trade-implied-book", "-q"])
    assert (rc, capsys.readouterr().err) == (130, "mmsim: interrupted\n")
    assert steps == [[".store.plain"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cap.gz"]   # no new/ left


# ----------------------------------------------------------------------------- 3. a sweep resumed on edited events


# A sweep resumed over a store whose events.npy was edited under its meta.json digest reuses every point and says
# "0 run now, 2 reused from results.jsonl (same point ids: same config and store path, and the same strategy code
# and store events; ...)", exit 0. The store's events are not those any more: `mmsim run`, `mmsim.run(mmsim.load())`
# and the same sweep with --force all refuse it ("events.npy changed since the store was written"). The resume
# compares the meta.json digest with the records' and never reads the events; the claim "the same store events"
# is false, and the sweep's table and results.csv present results of a store that no longer holds those events.
def test_a_resumed_sweep_refuses_a_store_edited_under_its_digest(tmp_path, capsys):
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({
        "base": {"data": "st", "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                 "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
        "axes": {"latency.feed": ["0ms", "1ms"]}, "output": "out", "workers": 0}))
    assert main(["sweep", str(grid), "-q"]) == 0
    capsys.readouterr()
    ev = np.load(st / "events.npy", mmap_mode="r+")
    ev["qty"][10] += 1                      # a hand edit under the digest
    ev.flush()
    del ev
    rc = main(["sweep", str(grid), "-q"])
    out, err = capsys.readouterr()
    assert "same strategy code and store events" not in out
    assert rc == 1
    assert f"{st}/events.npy changed since the store was written" in out + err


# The same kind: a sweep over two stores that ran complete on 2 worker processes (the workers verified the stores,
# the parent only opened them), then the second store edited under its digest. The resume refuses before reusing
# any point, naming that store with mmsim run's message (its SHA-256 and the digest's), and leaves results.jsonl
# as it was: the 4 records of the complete sweep. A --point drill-down of a reused point on it refuses it too.
def test_a_resumed_multi_worker_sweep_refuses_the_one_store_edited_under_its_digest(tmp_path, capsys):
    from mmsim.data import load
    from mmsim.data._identity import array_digest

    stores = [tmp_path / "a", tmp_path / "b"]
    for st in stores:
        write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({
        "base": {"data": "a", "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                 "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
        "axes": {"data": ["a", "b"], "latency.feed": ["0ms", "1ms"]}, "output": "out", "workers": 2}))
    assert main(["sweep", str(grid), "-q"]) == 0
    capsys.readouterr()
    results = (tmp_path / "out" / "results.jsonl").read_text()
    assert len(results.splitlines()) == 4
    want = json.loads((stores[1] / "meta.json").read_text())["events_digest"]
    ev = np.load(stores[1] / "events.npy", mmap_mode="r+")
    ev["qty"][7] += 3                       # a hand edit under the digest
    ev.flush()
    del ev
    got = array_digest(load(stores[1]).events)
    assert got != want
    rc = main(["sweep", str(grid), "-q"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert out == ""
    assert err == (f"mmsim: error: {stores[1]}/events.npy changed since the store was written: its SHA-256 is "
                   f"{got[7:23]}…, meta.json's events_digest says {want[7:23]}…; these are not the events the store "
                   "was written with (write it again from its source: mmsim convert)\n")
    assert (tmp_path / "out" / "results.jsonl").read_text() == results
    on_b = [r["id"] for r in map(json.loads, results.splitlines()) if r["overrides"]["data"] == "b"]
    assert len(on_b) == 2
    point = on_b[0]
    assert main(["sweep", str(grid), "-q", "--point", point[:8]]) == 1
    assert capsys.readouterr().err.startswith(f"mmsim: error: {stores[1]}/events.npy changed since the store was "
                                              "written: ")
    assert not (tmp_path / "out" / "points").exists()


# ----------------------------------------------------------------------------- 4. two runs into one -o at once


# `mmsim run CFG -o OUT` checks that OUT does not exist when it starts (ensure_new_output), then Staged.commit puts
# its staged directory in place: finding OUT now holding a run (result.json), it moves it aside and replaces it,
# as --force does, without --force. Two `mmsim run` into the same -o started together (two terminals, a config
# edited and run again before the first finished) both exit 0 and print `-> OUT`; OUT holds the later-finishing
# run's result, and the other's is deleted with no word. The run started without --force must refuse, as it does
# when OUT exists at its start: "OUT: the run directory already exists; pass --force to replace it, or -o another
# directory", exit 2, OUT as the other run left it.
def test_a_run_without_force_does_not_replace_an_output_another_run_wrote_meanwhile(tmp_path, capsys, monkeypatch):
    from mmsim.cli import _staging

    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    cfgs = {}
    for name, half in [("a", 1), ("b", 2)]:
        cfgs[name] = tmp_path / f"{name}.yaml"
        cfgs[name].write_text(json.dumps({
            "data": str(st), "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
            "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": half, "size": 1}}}))
    out = tmp_path / "out"
    orig = _staging.Staged.commit
    other: list = []

    def commit(self, **kw):
        if not other:                       # run b starts after a's check and finishes before a's commit
            other.append(None)
            other[0] = subprocess.run([_mmsim_script(), "run", str(cfgs["b"]), "-o", str(out), "-q"],
                                      capture_output=True, text=True, timeout=300).returncode
        return orig(self, **kw)

    monkeypatch.setattr(_staging.Staged, "commit", commit)
    rc = main(["run", str(cfgs["a"]), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert other == [0], err
    assert json.loads((out / "result.json").read_text())["run"]["strategy"]["params"]["half_spread"] == 2
    assert rc == 2
    assert err.splitlines()[-1] == (f"mmsim run: error: {out}: the run directory already exists; pass --force to "
                                    "replace it, or -o another directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "out", "st"]   # no staged dir left


# The same for `mmsim report RUN -o OUT`: a report another command wrote to OUT while this one was computed is
# refused without --force, in the start check's words ("the output directory already exists"), OUT untouched.
# With --force it is replaced (the previous report's files are the ones of this one).
@pytest.mark.parametrize("force", [False, True])
def test_a_report_without_force_does_not_replace_an_output_written_meanwhile(tmp_path, capsys, monkeypatch, force):
    from mmsim.cli import _staging

    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(json.dumps({
        "data": str(st), "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
        "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}}))
    run = tmp_path / "run"
    assert main(["run", str(cfg), "-o", str(run), "-q", "--no-report"]) == 0
    out = tmp_path / "rep"
    orig = _staging.Staged.commit

    def commit(self, **kw):                 # another report is put at OUT before this one's
        if not out.exists():
            out.mkdir()
            (out / "report.json").write_text("{}")
        return orig(self, **kw)

    monkeypatch.setattr(_staging.Staged, "commit", commit)
    capsys.readouterr()
    rc = main(["report", str(run), "-o", str(out), "-q", "--no-plots"] + (["--force"] if force else []))
    err = capsys.readouterr().err
    if force:
        assert rc == 0, err
        assert json.loads((out / "report.json").read_text()) != {}
    else:
        assert rc == 2
        assert err == (f"mmsim report: error: {out}: the output directory already exists; pass --force to replace it, "
                       "or -o another directory\n")
        assert [p.name for p in out.iterdir()] == ["report.json"] and (out / "report.json").read_text() == "{}"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]    # no staged dir left


# ----------------------------------------------------------------------------- 5. a misspelt parameter in a grid


# A grid axis over a misspelt strategy parameter (`strategy.params.sise: [1, 2]`, the commonest typo in a grid)
# is refused before any point runs, but the message names neither the grid file, its line nor the grid key:
# "mmsim: config error: strategy FixedSpread: unknown parameter 'sise' (it takes: half_spread, size) — in 2 of 2
# points (strategy.params.sise=1; strategy.params.sise=2); no point ran". The same typo in `mmsim run`'s config says
# "(run.yaml line 2)", a parameter out of its domain in the same grid says "axes.strategy.params.size[1]: ...
# (grid.yaml line 5)", and an axis over a misspelt config key "axes.latency.fed: ... (grid.yaml line 8)"
# (docs/sweeps.md). The unknown parameter should name where the grid writes it, as the domain error does.
def test_a_misspelt_parameter_axis_names_the_grid_key_and_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)             # the grid named as written on the command line: grid.yaml
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        "base:\n"
        "  data: st\n"
        f"  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
        "output: out\n"
        "workers: 0\n"
        "axes:\n"
        "  strategy.params.sise: [1, 2]\n")
    assert main(["sweep", "grid.yaml", "-q"]) == 2
    err = capsys.readouterr().err
    assert err == ("mmsim: config error: axes.strategy.params.sise: strategy FixedSpread: unknown parameter 'sise' "
                   "(it takes: half_spread, size) (grid.yaml line 7) — in 2 of 2 points (strategy.params.sise=1; "
                   "strategy.params.sise=2); no point ran\n")


# The same kind: the typo in the grid's base (line 5 of a block mapping), the axis over another parameter. The key
# is base.strategy.params.sise, on its own line; the values its axis lists, in a block list on lines 10-12, are not
# named (the key is wrong whatever they are). No results are written.
def test_a_misspelt_parameter_in_the_base_names_the_grid_key_and_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_store(tmp_path / "st", l2_with_prints(), dict(META))
    (tmp_path / "grid.yaml").write_text(
        "base:\n"
        "  data: st\n"
        "  strategy:\n"
        f"    path: '{FIXED_SPREAD}'\n"
        "    params: {half_spread: 1,\n"
        "             sise: 1}\n"
        "output: out\n"
        "workers: 0\n"
        "axes:\n"
        "  strategy.params.half_spread:\n"
        "    - 1\n"
        "    - 2\n"
        "    - 3\n")
    assert main(["sweep", "grid.yaml", "-q"]) == 2
    err = capsys.readouterr().err
    assert err == ("mmsim: config error: base.strategy.params.sise: strategy FixedSpread: unknown parameter 'sise' "
                   "(it takes: half_spread, size) (grid.yaml line 6) — in 3 of 3 points "
                   "(strategy.params.half_spread=1; strategy.params.half_spread=2; strategy.params.half_spread=3); "
                   "no point ran\n")
    assert not (tmp_path / "out" / "results.jsonl").exists()


# ----------------------------------------------------------------------------- 6. a synthetic store edited


# A store `mmsim synth` wrote (meta.json "source": "mmsim.synth", its "synth" settings kept) whose events.npy was
# edited under its digest is refused, but the advice is for a converted store: "... these are not the events the
# store was written with (write it again from its source: mmsim convert)". There is no source file to convert; the
# store is written again with `mmsim synth` (its settings are in meta.json's "synth").
def test_an_edited_synthetic_store_says_to_write_it_again_with_mmsim_synth(tmp_path):
    import mmsim
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    st = tmp_path / "st"
    synth_store(SynthConfig(seed=1, duration=2_000_000_000, format="l2"), st)
    ev = np.load(st / "events.npy", mmap_mode="r+")
    ev["qty"][10] += 1
    ev.flush()
    del ev
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.run(mmsim.load(st), mmsim.load_strategy(FIXED_SPREAD, {"half_spread": 1, "size": 1}), mmsim.Config())
    assert "changed since the store was written" in str(exc.value)
    assert "mmsim convert" not in str(exc.value)
    assert str(exc.value).endswith("(write it again from its source: mmsim synth)")


# The same for `mmsim synth -o STORE` without --force: the CLI checks STORE at its start (ensure_new_output), then
# mmsim.synth.write_store calls the store writer with its default force=True, which replaces a store that appeared
# meanwhile. Two `mmsim synth` into one -o started together (seeds 1 and 2) both print "wrote ... to STORE", exit 0,
# and STORE holds whichever finished last. (`mmsim convert` passes --force to the writer and refuses.)
def test_synth_without_force_does_not_replace_a_store_written_meanwhile(tmp_path, capsys, monkeypatch):
    import mmsim.data.store as store_mod

    out = tmp_path / "st"
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\nformat: l2\n")
    orig = store_mod.write_store
    other: list = []

    def write_store_then(path, *a, **kw):
        if not other:                       # another mmsim synth (seed 2) finishes before this one writes
            other.append(None)
            other[0] = subprocess.run([_mmsim_script(), "synth", str(cfg), "-o", str(out), "--seed", "2", "-q"],
                                      capture_output=True, text=True, timeout=300).returncode
        return orig(path, *a, **kw)

    monkeypatch.setattr(store_mod, "write_store", write_store_then)
    rc = main(["synth", str(cfg), "-o", str(out), "--seed", "1", "-q"])
    err = capsys.readouterr().err
    assert other == [0]
    assert json.loads((out / "meta.json").read_text())["synth"]["seed"] == 2
    assert rc == 2
    assert err.splitlines()[-1] == (f"mmsim synth: error: {out}: the event store already exists; pass --force to "
                                    "replace it, or -o another directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st", "synth.yaml"]   # no scratch dir left


# And with --force the writer is told to replace: a store written meanwhile is replaced by this one (seed 1), as
# --force says; mmsim.synth.write_store(force=False) refuses an existing store as the store writer does.
def test_synth_with_force_replaces_a_store_written_meanwhile_and_write_store_force_false_refuses(tmp_path, capsys,
                                                                                                monkeypatch):
    import mmsim
    import mmsim.data.store as store_mod
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    out = tmp_path / "st"
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\nformat: l2\n")
    orig = store_mod.write_store
    calls: list = []

    def write_store_then(path, *a, **kw):
        calls.append(kw.get("force"))
        if len(calls) == 1:                 # another writes seed 2 there first
            synth_store(SynthConfig(seed=2, duration=2_000_000_000, format="l2"), out)
        return orig(path, *a, **kw)

    monkeypatch.setattr(store_mod, "write_store", write_store_then)
    assert main(["synth", str(cfg), "-o", str(out), "--seed", "1", "-q", "--force"]) == 0
    assert calls == [True, True]
    assert json.loads((out / "meta.json").read_text())["synth"]["seed"] == 1
    monkeypatch.setattr(store_mod, "write_store", orig)
    with pytest.raises(mmsim.DataError) as exc:
        synth_store(SynthConfig(seed=3, duration=2_000_000_000, format="l2"), out, force=False)
    assert str(exc.value) == f"{out}: an event store already exists there; pass force=True to replace it"
    assert json.loads((out / "meta.json").read_text())["synth"]["seed"] == 1


# The writer replaces the previous store once the new one is complete: a `mmsim synth --force` interrupted while it
# generates leaves the previous store as it was (it was deleted at the start).
def test_synth_force_interrupted_keeps_the_previous_store(tmp_path, capsys, monkeypatch):
    import mmsim.synth as synth_mod

    out = tmp_path / "st"
    synth_mod.write_store(synth_mod.SynthConfig(seed=2, duration=2_000_000_000, format="l2"), out)

    def interrupted(cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(synth_mod, "simulate", interrupted)
    assert main(["synth", "-o", str(out), "--seed", "1", "-q", "--force"]) == 130
    assert capsys.readouterr().err == "mmsim: interrupted\n"
    assert json.loads((out / "meta.json").read_text())["synth"]["seed"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["events.npy", "meta.json"]


# ----------------------------------------------------------------------------- 7. -o a folder of one's own


# `mmsim run CFG -o DIR` where DIR is a folder of the user's (notes.txt in it) or a plain file says "DIR: the run
# directory already exists; pass --force to replace it, or -o another directory"; following that advice, `--force`
# is refused: "DIR: not empty and not an mmsim run directory (no result.json): it holds notes.txt, which --force
# would have replaced; refusing to replace it even with --force: choose another -o". The first message should say
# what the second says (it is not a run directory, --force will not help), not advise --force.
@pytest.mark.parametrize("kind", ["folder", "file"])
def test_output_that_is_not_a_run_directory_does_not_advise_force(tmp_path, capsys, kind):
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(json.dumps({"data": str(st), "report": {"horizons": ["1s"]},
                               "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}}))
    mine = tmp_path / "mine"
    if kind == "folder":
        mine.mkdir()
        (mine / "notes.txt").write_text("mine\n")
    else:
        mine.write_text("mine\n")
    assert main(["run", str(cfg), "-o", str(mine), "-q"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "pass --force" not in err
    assert err.startswith(f"mmsim run: error: {mine}: ")
    assert "refusing to replace it even with --force: choose another -o" in err


def test_a_synthetic_store_given_in_part_says_mmsim_synth_too(tmp_path):
    """The second case (lead session 18): the refusal of a part of a synthetic store given as the store names the
    same remedy, `mmsim synth`; a converted store's keeps `mmsim convert`."""
    import mmsim
    from mmsim.data.store import EventStore
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    synth_store(SynthConfig(seed=1, duration=2_000_000_000, format="l2"), tmp_path / "st")
    st = mmsim.load(tmp_path / "st")
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.run(EventStore(st.path, st.events[:100], dict(st.meta)), None, mmsim.Config())
    assert str(exc.value).endswith("is written again from its source: mmsim synth)")
    write_store(tmp_path / "c", l2_with_prints(), dict(META))
    conv = mmsim.load(tmp_path / "c")
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.run(EventStore(conv.path, conv.events[:3], dict(conv.meta)), None, mmsim.Config())
    assert str(exc.value).endswith("is written again from its source: mmsim convert)")


# The same for `mmsim synth -o DIR` (an event store), and the words are the ones --force gets.
@pytest.mark.parametrize("kind", ["folder", "file"])
def test_synth_into_something_not_a_store_does_not_advise_force(tmp_path, capsys, kind):
    mine = tmp_path / "mine"
    if kind == "folder":
        mine.mkdir()
        (mine / "notes.txt").write_text("mine\n")
        said = (f"{mine}: not empty and not an mmsim event store (no meta.json): it holds notes.txt, which --force "
                "would have replaced; refusing to replace it even with --force: choose another -o")
    else:
        mine.write_text("mine\n")
        said = f"{mine}: a file, not an mmsim event store; refusing to replace it even with --force: choose another -o"
    for force in ([], ["--force"]):
        assert main(["synth", "-o", str(mine), "--seed", "1", "-q", *force]) == 2
        assert capsys.readouterr().err == f"mmsim synth: error: {said}\n"
    assert (mine / "notes.txt" if kind == "folder" else mine).read_text() == "mine\n"
