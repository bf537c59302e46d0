"""Sweeps that survive their points: a run that never returns (``timeout``), a worker that dies
(``os._exit``, SIGKILL as the OOM killer sends it, a segfault), and how point ids and point names read
when strategy parameters are given as a mapping.

Every test here runs on a tiny synthetic store (10 s of market, a few thousand events) with timeouts
well under a second, so that `.ci/run` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmsim.cli import main as cli_main
from mmsim.errors import ConfigError
from mmsim.sweep import RESULTS_FILE, load_grid, parse_grid, run_sweep
from mmsim.sweep.passes import plan_tasks

S = 1_000_000_000

# quote() call `at`: hang forever ("hang"), os._exit(3) ("exit"), SIGKILL itself as the OOM killer would
# ("kill"), or read address 0 ("segv").
HANG = """import ctypes
import os
import signal

import mmsim


class Hang(mmsim.Strategy):
    def __init__(self, at=0, mode="hang"):
        self.at, self.mode, self.calls = int(at), mode, 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.calls == self.at:
            if self.mode == "hang":
                while True:
                    pass
            if self.mode == "exit":
                os._exit(3)
            if self.mode == "segv":
                ctypes.string_at(0)
            os.kill(os.getpid(), signal.SIGKILL)
        return None
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("crash")
    (d / "hang.py").write_text(HANG)
    write_store(SynthConfig(seed=11, duration=10 * S, format="l2"), d / "store")
    return d


def _grid(tiny: Path, tmp_path: Path, points: list[dict], extra: dict | None = None) -> Path:
    base = {"data": str(tiny / "store"), "decide_every": "100ms", "report": {"horizons": ["1s"]},
            "strategy": {"path": f"{tiny / 'hang.py'}:Hang"}}
    path = tmp_path / "grid.yaml"
    path.write_text(json.dumps({"base": base, "points": points, **(extra or {})}))  # JSON is YAML
    return path


def _records(out: Path) -> list[dict]:
    return [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]


# ----------------------------------------------------------------------------- timeouts

TIMEOUT_MSG = ("the point did not finish within timeout {t} (a pass of {n} run(s) has {k} x {t} until its first "
               "report); its worker process (pid {pid}) was killed")


def test_a_point_that_hangs_in_a_pass_is_recorded_as_timed_out_and_its_pass_partner_finishes(tiny, tmp_path,
                                                                                              monkeypatch, capsys):
    points = [{"strategy.params.at": 0}, {"strategy.params.at": 5},
              {"strategy.params.at": 0, "latency.feed": "1ms"}, {"strategy.params.at": 0, "latency.feed": "2ms"}]
    grid = _grid(tiny, tmp_path, points, {"timeout": "1s"})  # was 300ms: 600 ms for a lone point, tight beside the
    g = load_grid(grid)                                          # other tests on both cores (-n auto)
    assert g.timeout == 1_000_000_000
    # Two workers, two passes of two: point 1 hangs the pass it shares with point 0.
    assert [[p["index"] for p in t["points"]] for t in plan_tasks(list(g.points), 2)] == [[0, 1], [2, 3]]
    out = tmp_path / "out"
    monkeypatch.setenv("COLUMNS", "400")
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "2", "--no-plots"]) == 1
    records = _records(out)
    assert sorted(r["index"] for r in records) == [0, 1, 2, 3]  # each point once
    by = {r["index"]: r for r in records}
    # The pass of two overran (3 x 1s), its worker was killed, and each of its points ran
    # again alone: point 0 finished in a pass of its own, point 1 overran alone (2 x 1s).
    assert by[0]["status"] == "ok" and by[0]["pass"]["runs"] == 1
    assert {by[2]["pass"]["runs"], by[3]["pass"]["runs"]} == {2} and by[2]["status"] == by[3]["status"] == "ok"
    assert by[1]["status"] == "error" and by[1]["id"] == g.points[1].id and by[1]["metrics"] == {}
    assert by[1]["error"] == {"type": "PointTimeout", "traceback": "",
                              "message": TIMEOUT_MSG.format(t="1s", n=1, k=2, pid=by[1]["pid"])}
    # The terminal names the point by its id and what it sets.
    stdout = capsys.readouterr().out
    assert (f"point {by[1]['id'][:8]} (strategy.params.at=5): PointTimeout: the point did not finish within timeout "
            f"1s") in stdout
    # A rerun counts it as finished; --retry-failed runs it (alone) again, and it overruns again.
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "2", "-q", "--no-plots"]) == 1
    assert _records(out) == records
    rows = run_sweep(grid, out=out, workers=2, retry_failed=True, timeout="800ms")  # the argument beats the grid
    again = _records(out)
    assert again[:4] == records and [r["index"] for r in again[4:]] == [1]
    assert again[4]["error"]["message"] == TIMEOUT_MSG.format(t="800ms", n=1, k=2, pid=again[4]["pid"])
    assert [r["status"] for r in rows] == ["ok", "error", "ok", "ok"]


def test_a_hanging_baseline_point_fails_alone_and_the_points_compared_with_it_say_so(tiny, tmp_path):
    # The same kind in a pass that holds a baseline point: the baseline hangs, so the pass of three
    # overruns; run alone, the two others wait for their baseline's own run, then finish without it.
    points = [{"strategy.params.at": 5}, {"strategy.params.at": 0, "latency.feed": "1ms"},
              {"strategy.params.at": 0, "latency.feed": "2ms"}]
    grid = _grid(tiny, tmp_path, points, {"timeout": "1s", "baseline": 0})  # was 250ms (as above)
    g = load_grid(grid)
    assert [[p["index"] for p in t["points"]] for t in plan_tasks(list(g.points), 1, plan=g.baseline,
                                                                    by_id={p.id: p for p in g.points})] == [[0, 1, 2]]
    out = tmp_path / "out"
    rows = run_sweep(grid, out=out, workers=1)
    records = _records(out)
    assert sorted(r["index"] for r in records) == [0, 1, 2]
    assert records[0]["index"] == 0  # the others waited for it
    assert records[0]["error"]["type"] == "PointTimeout"
    assert records[0]["error"]["message"] == TIMEOUT_MSG.format(t="1s", n=1, k=2, pid=records[0]["pid"])
    base = g.points[0].id
    for r in records[1:]:
        assert r["status"] == "ok" and r["pass"]["runs"] == 1  # alone, without the baseline's run
        assert r["comparison"]["skipped"] == (f"the baseline point {base[:8]} failed: PointTimeout: "
                                              + records[0]["error"]["message"])
        assert r["comparison"]["baseline_failed"] is True
    assert [r["verdict"] for r in rows] == [None, "skipped", "skipped"]


@pytest.mark.parametrize(("value", "message"), [
    ("0ms", "timeout: a timeout must be longer than 0, got '0ms'; leave it out for no timeout"),
    ("fast", "timeout: cannot read 'fast' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
             "e.g. 250us"),
])
def test_a_bad_timeout_is_a_config_error_naming_the_key_and_line(tiny, tmp_path, value, message):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {tiny / 'store'}\n  strategy: {{path: '{tiny / 'hang.py'}:Hang'}}\n"
                    f"timeout: {value}\n")
    with pytest.raises(ConfigError) as err:
        load_grid(grid)
    assert str(err.value) == f"{message} ({grid} line 4)"
    with pytest.raises(ConfigError) as err:
        run_sweep(parse_grid({"base": {"data": str(tiny / "store"), "strategy": {"path": f"{tiny / 'hang.py'}:Hang"}}}),
                  timeout=value, workers=0)
    assert str(err.value) == message


def test_the_cli_timeout_flag_names_itself_and_says_where_it_is_not_enforced(tiny, tmp_path, capsys):
    grid = _grid(tiny, tmp_path, [{"strategy.params.at": 0}])
    assert cli_main(["sweep", str(grid), "-o", str(tmp_path / "o"), "--timeout=-1s"]) == 2
    assert capsys.readouterr().err.strip() == "mmsim: config error: --timeout: a duration cannot be negative, got '-1s'"
    assert cli_main(["sweep", str(grid), "-o", str(tmp_path / "o"), "--timeout", "1s", "--workers", "0", "-q",
                     "--no-plots"]) == 0
    assert capsys.readouterr().err.splitlines()[0] == (
        "note: timeout 1s is not enforced with --workers 0 (in this process); a run that never returns holds the "
        "sweep (docs/sweeps.md, \"Exactly once per point\")")


# ----------------------------------------------------------------------------- worker deaths


@pytest.mark.parametrize(("mode", "how"), [("kill", "killed by signal SIGKILL (9)"),
                                           ("segv", "killed by signal SIGSEGV (11)")])
def test_a_point_that_kills_its_worker_in_a_pass_is_recorded_and_the_sweep_goes_on(tiny, tmp_path, mode, how):
    # SIGKILL is what the OOM killer sends: a point that always triggers it used to stop every rerun.
    points = [{"strategy.params.at": 0}, {"strategy.params.at": 5, "strategy.params.mode": mode},
              {"strategy.params.at": 0, "latency.feed": "1ms"}, {"strategy.params.at": 0, "latency.feed": "2ms"}]
    grid = _grid(tiny, tmp_path, points)
    out = tmp_path / "out"
    rows = run_sweep(grid, out=out, workers=2)
    records = _records(out)
    assert sorted(r["index"] for r in records) == [0, 1, 2, 3]
    by = {r["index"]: r for r in records}
    assert by[1]["error"] == {"type": "WorkerDied", "traceback": "",
                              "message": f"the worker process running this point (pid {by[1]['pid']}) died: {how}"}
    assert by[0]["status"] == "ok" and by[0]["pass"]["runs"] == 1  # its pass partner, run again alone
    assert [r["status"] for r in rows] == ["ok", "error", "ok", "ok"]
    # Resuming: the failed point counts as finished; --retry-failed runs it alone once more.
    assert run_sweep(grid, out=out, workers=2) == rows
    run_sweep(grid, out=out, workers=1, retry_failed=True)
    again = _records(out)
    assert again[:4] == records and [r["index"] for r in again[4:]] == [1]
    assert again[4]["error"]["message"] == f"the worker process running this point (pid {again[4]['pid']}) died: {how}"


def test_the_sweep_manages_its_own_worker_processes():
    # No private attribute of ProcessPoolExecutor (`_processes`, `_executor_manager_thread`) is read.
    import inspect

    import mmsim.sweep.execute as execute

    src = inspect.getsource(execute)
    assert "ProcessPoolExecutor" not in src and "_processes" not in src and "_executor_manager_thread" not in src


# ----------------------------------------------------------------------------- point ids and names


FS = "strategies/fixed_spread.py:FixedSpread"


def test_strategy_parameters_as_a_mapping_give_the_ids_of_the_same_parameters_written_key_by_key(tmp_path):
    from conftest import ROOT

    spec = str(ROOT / FS)
    base = {"data": str(tmp_path / "s"), "strategy": {"path": spec}}
    whole = parse_grid({"base": base, "axes": {"strategy.params": [{"half_spread": 1, "size": 100},
                                                                    {"size": 100, "half_spread": 2}]}})
    by_key = parse_grid({"base": {**base, "strategy": {"path": spec, "params": {"size": 100}}},
                         "axes": {"strategy.params.half_spread": [1, 2]}})
    in_base = parse_grid({"base": {**base, "strategy": {"path": spec, "params": {"size": 100, "half_spread": 1}}}})
    assert [p.id for p in whole.points] == [p.id for p in by_key.points]
    assert in_base.points[0].id == whole.points[0].id
    # Ids are 16 hex digits, distinct per config; 1 and 1.0 are different values (a numba rule types them apart).
    assert all(len(p.id) == 16 and int(p.id, 16) >= 0 for p in whole.points)
    assert len({p.id for p in whole.points}) == 2
    floats = parse_grid({"base": base, "axes": {"strategy.params": [{"half_spread": 1.0, "size": 100}]}})
    assert floats.points[0].id != whole.points[0].id


def test_a_point_with_parameters_given_whole_is_named_with_them_in_braces(tmp_path):
    from conftest import ROOT

    from mmsim.sweep.labels import _describe

    spec = str(ROOT / FS)
    g = parse_grid({"base": {"data": str(tmp_path / "s"), "strategy": {"path": spec}},
                    "axes": {"strategy.params": [{"half_spread": 1, "size": 100}], "latency.feed": ["5ms"]}})
    assert _describe(g.points[0].overrides) == "strategy.params={half_spread=1, size=100}, latency.feed=5ms"
    # The second case of the kind: a nested mapping parameter; strategy sections and latency models keep their form.
    assert _describe({"strategy.params.w": {"a": 1, "b": [1, 2]}, "strategy": {"path": spec, "params": {"x": 1}},
                      "latency.entry": {"lognormal": {"median": "1ms", "sigma": 0.5}}}) == \
        "strategy.params.w={a=1, b=[1, 2]}, strategy=FixedSpread(x=1), latency.entry=lognormal(1ms, 0.5)"


# ----------------------------------------------------------------------------- two sweeps, one folder


def test_a_second_sweep_into_the_same_folder_stops_at_once_until_the_first_is_gone(tiny, tmp_path, capsys):
    import os
    import signal
    import subprocess
    import sys

    grid = _grid(tiny, tmp_path, [{"strategy.params.at": 0}, {"strategy.params.at": 0, "latency.feed": "1ms"}])
    out = tmp_path / "out"
    # Another sweep holds the folder (here a process that takes its lock and waits).
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from mmsim.sweep.results import _DirLock; lock = _DirLock(Path(sys.argv[1])); "
                               "print('locked', flush=True); time.sleep(600)", str(out)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline() == "locked\n"
        host = __import__("socket").gethostname()
        # Two sweeps would each run every point and append it: the second stops before it reads or runs anything.
        assert cli_main(["sweep", str(grid), "-o", str(out), "-q", "--no-plots"]) == 1
        assert capsys.readouterr().err.strip() == (
            f"mmsim: error: {out}: another sweep is writing there (pid {holder.pid} on {host}); wait for it to "
            "finish, or give this one another -o")
        assert not (out / RESULTS_FILE).exists()
        with pytest.raises(Exception, match="another sweep is writing there"):
            run_sweep(grid, out=out, workers=0)
    finally:
        # Killed outright, as a sweep can be: the lock goes with its process (no stale lock to clear by hand).
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        holder.stdout.close()
    assert cli_main(["sweep", str(grid), "-o", str(out), "-q", "--no-plots", "--workers", "1"]) == 0
    assert sorted(r["index"] for r in _records(out)) == [0, 1]


# ----------------------------------------------------------------------------- Ctrl-C in a stuck pass


def _alive_in_group(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies waiting to be reaped by init do not count)."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(d.name))
    return alive


def test_ctrl_c_in_a_pass_stuck_without_a_timeout_stops_everything_and_a_rerun_with_one_finishes(tiny, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    grid = _grid(tiny, tmp_path, [{"strategy.params.at": 0}, {"strategy.params.at": 5}])  # one pass of 2, no timeout
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "--workers", "1", "-q",
                             "--no-plots"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    lock = out / ".mmsim-sweep.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.01)
    time.sleep(2.0)  # the worker is in the pass, spinning in quote() (was 1 s: tight under -n auto)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == (f"mmsim sweep: interrupted; 0 of 2 points are saved in "
                                               f"{out / RESULTS_FILE}; run the same command to resume")
    # Nothing of the sweep is left running: the stuck worker was killed, not orphaned.
    deadline = time.monotonic() + 10
    while _alive_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive_in_group(proc.pid) == []
    # The same command with a timeout finishes: the stuck point fails alone, its partner is recorded once.
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "1", "-q", "--no-plots",
                     "--timeout", "1s"]) == 1  # was 300ms (as above)
    records = _records(out)
    assert [(r["index"], r["status"]) for r in records] == [(0, "ok"), (1, "error")]
    assert records[1]["error"]["type"] == "PointTimeout"


GREEDY = """import re

import mmsim


class Greedy(mmsim.Strategy):
    # A catastrophic regex: C code that never releases the GIL (as a numba rule's endless loop).
    def quote(self, view):
        re.match(r"(a+)+$", "a" * 64 + "b")
        return None
"""


def test_a_sweep_killed_outright_takes_a_worker_stuck_in_c_code_with_it(tiny, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "greedy.py").write_text(GREEDY)
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": {"data": str(tiny / "store"), "decide_every": "100ms",
                                         "strategy": {"path": f"{tmp_path / 'greedy.py'}:Greedy"}}}))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "--workers", "1", "-q",
                             "--no-plots"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        lock = out / ".mmsim-sweep.lock"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
            time.sleep(0.01)
        time.sleep(1.5)  # the worker is in the regex, holding the GIL
        assert proc.poll() is None and len(_alive_in_group(proc.pid)) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the sweep's own process only: its worker is orphaned
        proc.wait(30)
        deadline = time.monotonic() + 10
        while _alive_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Its watch thread cannot run without the GIL; the kernel's parent-death signal kills it.
        assert _alive_in_group(proc.pid) == []
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ----------------------------------------------------------------------------- timeouts on Dask

DASK_TIMEOUT_MSG = ("the point did not finish within timeout {t} on the Dask cluster (a task of 1 run(s) has 2 x {t}); "
                    "its task was cancelled and the worker running it ({w}) restarted")


@pytest.mark.parametrize("pass_size", [1, 2], ids=["alone", "in-a-pass"])
def test_a_point_that_hangs_on_dask_is_recorded_as_timed_out_once(tiny, tmp_path, pass_size):
    # On Dask the timeout was not enforced: a run that never returned held the sweep forever.
    distributed = pytest.importorskip("distributed", reason="dask is the optional extra mmsim[dask]")
    grid = _grid(tiny, tmp_path, [{"strategy.params.at": 0}, {"strategy.params.at": 5}], {"timeout": "2s"})
    g = load_grid(grid)
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        rows = run_sweep(grid, out=out, scheduler=address, pass_size=pass_size)
        records = _records(out)
        assert sorted(r["index"] for r in records) == [0, 1]  # each point once
        by = {r["index"]: r for r in records}
        # Alone, or found alone after its pass of two overran (4 x 2s): the hanging point fails, the other runs.
        assert by[0]["status"] == "ok" and by[0]["pass"]["runs"] == 1
        assert by[1]["status"] == "error" and by[1]["id"] == g.points[1].id and by[1]["metrics"] == {}
        worker = by[1]["host"]
        assert worker.startswith("tcp://127.0.0.1:")
        assert by[1]["error"] == {"type": "PointTimeout", "traceback": "",
                                  "message": DASK_TIMEOUT_MSG.format(t="2s", w=worker)}
        assert [r["status"] for r in rows] == ["ok", "error"]
        # A rerun counts it as finished (nothing runs, nothing is written).
        assert [r["status"] for r in run_sweep(grid, out=out, scheduler=address)] == ["ok", "error"]
        assert _records(out) == records


SLEEP = """import time

import mmsim


class Sleep(mmsim.Strategy):
    def __init__(self, s=0.0):
        self.s, self.slept = float(s), False

    def quote(self, view):
        if not self.slept:
            self.slept = True
            time.sleep(self.s if self.s >= 0 else 1e9)
        return None
"""


@pytest.mark.parametrize("sleeps", [[-1, 6, 6.1], [-1, 6, 6.1, 6.2]], ids=["one-after", "two-after"])
def test_points_killed_on_dask_by_a_hung_partners_restart_run_again_with_a_fresh_budget(tiny, tmp_path, sleeps):
    # The restart for the hung point (timeout 5s: 10 s a task) also killed the healthy 6 s point started
    # after it on the same worker; Dask ran it again, but against its old deadline: `PointTimeout`.
    # (Was timeout 3s and 4 s sleeps: 2 s for the restarted worker to load the strategy and replay, which a
    # suite run on both cores (-n auto) beside the other tests overran once; 4 s now.)
    distributed = pytest.importorskip("distributed", reason="dask is the optional extra mmsim[dask]")
    (tmp_path / "sleep.py").write_text(SLEEP)
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": {"data": str(tiny / "store"), "report": {"horizons": ["1s"]},
                                         "strategy": {"path": f"{tmp_path / 'sleep.py'}:Sleep"}},
                                "points": [{"strategy.params.s": s} for s in sleeps], "timeout": "5s"}))
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        run_sweep(grid, out=out, scheduler=cluster.scheduler_address, pass_size=1)
    by = {r["index"]: r for r in _records(out)}
    assert sorted(by) == list(range(len(sleeps)))
    assert by[0]["status"] == "error" and by[0]["error"]["type"] == "PointTimeout"
    assert {i: (by[i]["status"], by[i]["error"]) for i in by if i} == {i: ("ok", None) for i in by if i}
