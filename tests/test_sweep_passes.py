"""Sweeps in passes (issue 14 item 2): the points of one event store replayed together by ``mmsim.run_many``.

How tasks are cut (by hand), the figures equal those of every point replayed
alone (a real day and the synthetic market, with repeats and their seeds), a
failing run drops out of its pass without failing the others, a sweep killed in
the middle of a pass resumes exactly once per point, and Dask runs passes too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, shared_data

import mmsim
from mmsim.cli import main as cli_main
from mmsim.sweep import RESULTS_FILE, default_point, load_grid, parse_grid, run_sweep
from mmsim.sweep.passes import MAX_PASS, plan_tasks

S = 1_000_000_000
AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"
TOXICITY_PULL = f"{ROOT / 'strategies' / 'toxicity_pull.py'}:ToxicityPull"


@pytest.fixture(scope="module")
def amzn_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 30,000 events of the AMZN LOBSTER day as an L2 store (a real day)."""
    from _lobster import lobster_l2_events

    from mmsim.data import write_store

    ev = lobster_l2_events(shared_data("lobster", AMZN.format("message")),
                           shared_data("lobster", AMZN.format("orderbook")))
    path = tmp_path_factory.mktemp("passes") / "amzn"
    write_store(path, ev[:30_000], {"symbol": "AMZN", "venue": "NASDAQ", "tick_size": 0.01, "lot_size": 1.0,
                                    "contract_size": 1.0, "source": ["LOBSTER sample"], "levels": "L2",
                                    "local_ts_recorded": False, "quirks": {}})
    return path


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    return write_store(SynthConfig(seed=11, duration=90 * S, format="l2"), tmp_path_factory.mktemp("passes") / "s")


def _grid(store: Path, size: int = 100, extra: dict | None = None) -> dict:
    """Two strategy arms x three feed latencies x a constant and a lognormal entry latency (3 repeats)."""
    return {"base": {"data": str(store), "decide_every": "100ms", "latency": {"response": "1ms", "seed": 5},
                     "report": {"horizons": ["100ms", "1s"], "event_horizons": [10]}},
            "points": [{"strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": size}}},
                       # max_position at least size (a constraint since strat8; with the default 10 a size of
                       # 100 was capped to 10 lots at every quote).
                       {"strategy": {"path": TOXICITY_PULL, "params": {"half_spread": 1, "size": size,
                                                                       "max_position": 10 * size}}}],
            "axes": {"latency.feed": ["0ms", "5ms", "100ms"],
                     "latency.entry": ["1ms", {"lognormal": {"median": "1ms", "sigma": 0.5}}]},
            "repeats": 3, **(extra or {})}


def _figures(rows: list[dict]) -> list[tuple]:
    """Everything a row says but where and how long it ran."""
    return [tuple((k, v) for k, v in r.items() if k != "elapsed_s") for r in rows]


# ----------------------------------------------------------------------------- how tasks are cut


def _pts(n: int, store: str = "s", start: int = 0) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=f"{store}{i:03d}", index=start + i, overrides={}, repeat=0,
                            config=SimpleNamespace(data=store)) for i in range(n)]


@pytest.mark.parametrize("n, slots, size, want", [
    (48, 2, None, [12, 12, 12, 12]),   # k = ceil(48/32) = 2; c = ceil(48/4) = 12: two tasks per worker
    (48, 1, None, [16, 16, 16]),       # one worker: passes of the largest size
    (8, 1, None, [8]),                 # a small grid: one pass
    (8, 2, None, [4, 4]),              # ...split so both workers have one
    (33, 2, None, [9, 8, 8, 8]),       # c = ceil(33/4) = 9; 33 points in ceil(33/9) = 4 tasks, 8/8/8/9
    (5, 2, 1, [1, 1, 1, 1, 1]),        # pass size 1: every point alone
    (3, 8, None, [1, 1, 1]),           # more workers than points
], ids=["48-on-2", "48-on-1", "8-on-1", "8-on-2", "33-on-2", "pass-size-1", "few-points"])
def test_tasks_are_cut_by_the_documented_rule(n, slots, size, want):
    tasks = plan_tasks(_pts(n), slots, pass_size=size)
    assert [len(t["points"]) for t in tasks] == want
    assert sorted(p["index"] for t in tasks for p in t["points"]) == list(range(n))  # each point once
    assert MAX_PASS == 16


def test_a_store_is_cut_in_grid_order_into_consecutive_tasks_the_smaller_first():
    # 33 points on 2 workers: c = 9, k = 4 tasks; bounds floor(i * 33 / 4) = 0, 8, 16, 24, 33.
    tasks = plan_tasks(_pts(33), 2)
    assert [[p["index"] for p in t["points"]] for t in tasks] == [
        list(range(24, 33)), list(range(0, 8)), list(range(8, 16)), list(range(16, 24))]  # the largest starts first
    # The same rule for any grid: at most P points, a store's tasks within one point of each other.
    for n in range(1, 70):
        for slots in (1, 2, 3, 8):
            for size in (1, 4, 16):
                got = [len(t["points"]) for t in plan_tasks(_pts(n), slots, pass_size=size)]
                assert sum(got) == n and max(got) <= size and max(got) - min(got) <= 1, (n, slots, size, got)


def test_a_task_holds_one_event_store_and_a_point_function_runs_points_alone():
    pts = _pts(20, "a") + _pts(28, "b", start=20)
    tasks = plan_tasks(pts, 2)  # c = 12: store a in 2 tasks of 10, store b in 3 of 9/9/10
    assert sorted(len(t["points"]) for t in tasks) == [9, 9, 10, 10, 10]
    assert all(len({p["config"].data for p in t["points"]}) == 1 for t in tasks)
    assert [len(t["points"]) for t in plan_tasks(pts, 2, point_fn=default_point)] == [1] * 48


def test_a_task_replays_the_baseline_points_it_needs():
    pts = _pts(6)
    plan = SimpleNamespace(of={p.id: pts[3].id for p in pts}, skipped={})
    tasks = plan_tasks(pts, 2, plan=plan, by_id={p.id: p for p in pts}, compare="settings")
    # The baseline point first; the task without it replays it too (not as a point of its own).
    assert [[p["index"] for p in t["points"]] for t in tasks] == [[3, 0, 1], [2, 4, 5]]
    assert [[p["index"] for p in t["extra"]] for t in tasks] == [[], [3]]
    assert all(p["baseline"] == pts[3].id for t in tasks for p in t["points"])


# ----------------------------------------------------------------------------- same figures as alone


@pytest.mark.parametrize("which", ["real-day", "synthetic"])
def test_a_sweep_in_passes_gives_every_point_the_figures_it_has_alone(which, amzn_store, synth_store, tmp_path):
    store, size = (amzn_store, 100) if which == "real-day" else (synth_store, 1)
    grid = parse_grid(_grid(store, size))
    assert len(grid.points) == 2 * 3 * (1 + 3)  # the lognormal entry runs 3 repeats
    alone = run_sweep(grid, workers=0, point_fn=default_point)
    together = run_sweep(grid, out=tmp_path / "out", workers=0)
    assert _figures(together) == _figures(alone)
    assert all(r["status"] == "ok" for r in together) and len({r["fills.count"] for r in together}) > 3
    records = [json.loads(line) for line in (tmp_path / "out" / RESULTS_FILE).read_text().splitlines()]
    assert {r["pass"]["runs"] for r in records} == {12}  # 24 points on one worker: 2 passes of 12
    assert len({(r["pass"]["elapsed_s"], r["pass"]["cpu_s"]) for r in records}) == 2  # each pass's own times
    assert all(r["pass"]["cpu_s"] > 0 and r["elapsed_s"] > r["pass"]["elapsed_s"] / 12 for r in records)
    # The repeats' seeds are the base seed + repeat, as before.
    assert sorted({(r["repeat"], r["seed"]) for r in together}) == [(0, 5), (1, 6), (2, 7)]
    # Two workers cut it otherwise (4 passes of 6): the same figures again.
    assert _figures(run_sweep(grid, workers=2)) == _figures(alone)
    # ...and they are the figures of the full report of the run alone (mmsim run + report).
    from mmsim.runner import load_events, point_report, run_config

    events = load_events(grid.points[0].config)
    for i in (0, 17):
        p = grid.points[i]
        report = point_report(run_config(p.config, events=events), events, p.config)
        assert {k: together[i][k] for k in report.flat()} == report.flat()


BOOM = """import mmsim


class Boom(mmsim.Strategy):
    def __init__(self, fail_at=0):
        self.fail_at, self.calls = int(fail_at), 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.calls == self.fail_at:
            raise ArithmeticError(f"boom at call {self.calls}")
        return None
"""


def test_a_failing_run_drops_out_of_its_pass_and_the_others_go_on(synth_store, tmp_path):
    (tmp_path / "boom.py").write_text(BOOM)
    plugin = f"{tmp_path / 'boom.py'}:Boom"
    grid = parse_grid({"base": {"data": str(synth_store), "decide_every": "100ms",
                                "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]}},
                       "points": [{"strategy": {"path": plugin, "params": {"fail_at": f}}} for f in (0, 50, 10**9)],
                       "axes": {"latency.feed": ["0ms", "5ms"]}})
    rows = run_sweep(grid, out=tmp_path / "out", workers=0)
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error", "ok", "ok"]
    # The message a run alone raises, not the pass's "run k (Boom): ..."
    from mmsim.runner import load_events, run_config

    events = load_events(grid.points[2].config)
    with pytest.raises(mmsim.StrategyError) as alone:
        run_config(grid.points[2].config, events=events)
    assert rows[2]["error_message"] == str(alone.value)
    assert rows[2]["error_message"].startswith("strategy Boom raised ArithmeticError in quote() at local time ")
    assert rows[2]["error_message"].endswith(": boom at call 50 (boom.py line 14)")  # where, in the plugin
    # The record keeps the strategy's own exception (the cause of the StrategyError).
    records = {json.loads(s)["index"]: json.loads(s) for s in (tmp_path / "out" / RESULTS_FILE).read_text().splitlines()}
    assert "ArithmeticError: boom at call 50" in records[2]["error"]["traceback"]
    assert records[2]["error"]["type"] == "StrategyError"
    # The others are as alone.
    alone_rows = run_sweep(grid, workers=0, point_fn=default_point)
    assert _figures([rows[i] for i in (0, 1, 4, 5)]) == _figures([alone_rows[i] for i in (0, 1, 4, 5)])


DIE = """import os

import mmsim


class Die(mmsim.Strategy):
    def __init__(self, exit_at=0, code=3):
        self.exit_at, self.code, self.calls = int(exit_at), int(code), 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.calls == self.exit_at:
            os._exit(self.code)  # the whole worker process, at once: no exception, no record
        return None
"""


def test_a_point_that_kills_its_worker_is_named_and_the_others_finish(synth_store, tmp_path, monkeypatch, capsys):
    (tmp_path / "die.py").write_text(DIE)
    base = {"data": str(synth_store), "decide_every": "100ms", "latency": {"entry": "1ms", "response": "1ms"},
            "report": {"horizons": ["1s"]}, "strategy": {"path": f"{tmp_path / 'die.py'}:Die", "params": {"code": 3}}}
    points = [{"strategy.params.exit_at": 0, "latency.feed": "0ms"}, {"strategy.params.exit_at": 0, "latency.feed": "5ms"},
              {"strategy.params.exit_at": 50, "latency.feed": "5ms"},
              {"strategy.params.exit_at": 10**9, "latency.feed": "5ms"}]
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(json.dumps({"base": base, "points": points}))  # JSON is YAML
    grid = load_grid(grid_file)
    # Two workers, two passes of two: the pass of points 2 and 3 dies with point 2's worker.
    assert [[p["index"] for p in t["points"]] for t in plan_tasks(list(grid.points), 2)] == [[0, 1], [2, 3]]
    out = tmp_path / "out"
    monkeypatch.setenv("COLUMNS", "400")
    assert cli_main(["sweep", str(grid_file), "-o", str(out), "--workers", "2"]) == 1  # some failed
    records = [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]
    assert sorted(r["index"] for r in records) == [0, 1, 2, 3]  # each point once
    dead = next(r for r in records if r["index"] == 2)
    assert dead["id"] == grid.points[2].id and dead["status"] == "error"
    assert dead["error"] == {"type": "WorkerDied", "traceback": "",
                             "message": f"the worker process running this point (pid {dead['pid']}) died: exit code 3"}
    # The terminal names it by id and overrides, with what happened.
    stdout = capsys.readouterr().out
    assert (f"point {dead['id'][:8]} (strategy.params.exit_at=50, latency.feed=5ms): WorkerDied: the worker process "
            f"running this point (pid {dead['pid']}) died: exit code 3") in stdout
    # The other points, its pass partner included, ran and give the figures of a sweep without the dying point.
    others = [r for r in records if r["index"] != 2]
    assert {r["status"] for r in others} == {"ok"}, [r["error"] for r in others]
    alone = run_sweep(parse_grid({"base": base, "points": points[:2] + points[3:]}), workers=0)
    rows = run_sweep(grid_file, out=out)  # resumes: runs nothing
    assert len((out / RESULTS_FILE).read_text().splitlines()) == 4
    assert [r["n_events"] for r in others] == [r["n_events"] for r in alone] and alone[0]["n_events"] > 0
    assert [{k: v for k, v in f if k != "index"} for f in _figures([rows[i] for i in (0, 1, 3)])] == \
        [{k: v for k, v in f if k != "index"} for f in _figures(alone)]
    # --retry-failed runs that point alone again (and it dies again): one record more, the others untouched.
    rows = run_sweep(grid_file, out=out, workers=2, retry_failed=True)
    again = [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]
    assert again[:4] == records and [r["index"] for r in again[4:]] == [2]
    assert again[4]["error"]["message"] == f"the worker process running this point (pid {again[4]['pid']}) died: exit code 3"
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "ok"]


# ----------------------------------------------------------------------------- killed in a pass


def test_a_sweep_killed_in_the_middle_of_a_pass_resumes_each_point_once(amzn_store, tmp_path):
    feeds = ["0ms", "1ms", "5ms", "20ms", "50ms", "100ms", "200ms", "500ms"]
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {amzn_store}\n  decide_every: 100ms\n  latency: {{entry: 1ms, response: 1ms}}\n"
                    f"  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 100}}}}\n"
                    f"  report: {{horizons: [1s]}}\naxes:\n  latency.feed: [{', '.join(feeds)}]\n")
    out = tmp_path / "out"
    results = out / RESULTS_FILE
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # One worker, passes of 4: the first pass streams its points; kill it after its first.
    proc = subprocess.Popen([sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "--workers", "1",
                             "--pass-size", "4", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and results.read_text().count("\n") >= 1:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.communicate()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    saved = [json.loads(s) for s in results.read_text().splitlines()]
    assert 1 <= len(saved) < len(feeds)
    assert {r["pass"]["runs"] for r in saved} == {4}
    # The rerun regroups what is left: 8 - k points, cut for 2 workers.
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "2", "--pass-size", "4", "-q"]) == 0
    records = [json.loads(s) for s in results.read_text().splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(feeds)  # every point exactly once
    remaining = [p for p in load_grid(grid).points if p.id not in {r["id"] for r in saved}]
    sizes = [len(t["points"]) for t in plan_tasks(remaining, 2, pass_size=4)]
    assert sum(sizes) == len(feeds) - len(saved)
    assert sorted(r["pass"]["runs"] for r in records[len(saved):]) == sorted(n for n in sizes for _ in range(n))
    reference = run_sweep(grid, out=tmp_path / "ref", workers=0, point_fn=default_point)
    assert _figures(run_sweep(grid, out=out)) == _figures(reference)


def test_a_pass_whose_worker_is_killed_keeps_what_it_reported_and_runs_the_rest_each_alone(amzn_store, tmp_path):
    # A worker killed from outside (SIGKILL: a user, the OOM killer) in a pass of 8: the sweep goes on.
    # (Before, it stopped with exit status 1 and a rerun was needed; an OOM-killed point then stopped every rerun.)
    feeds = ["0ms", "1ms", "5ms", "20ms", "50ms", "100ms", "200ms", "500ms"]
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {amzn_store}\n  decide_every: 100ms\n  latency: {{entry: 1ms, response: 1ms}}\n"
                    f"  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 100}}}}\n"
                    f"  report: {{horizons: [1s]}}\naxes:\n  latency.feed: [{', '.join(feeds)}]\n")
    out = tmp_path / "out"
    results = out / RESULTS_FILE
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # One worker, one pass of 8: kill the worker (not the sweep) once the pass has reported a point.
    proc = subprocess.Popen([sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "--workers", "1",
                             "--pass-size", "8", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    first = None
    while time.monotonic() < deadline and proc.poll() is None and first is None:
        lines = results.read_text().splitlines() if results.exists() else []
        first = json.loads(lines[0]) if lines else None
        time.sleep(0.005)
    assert proc.poll() is None and first is not None, f"the pass ended before its worker could be killed: " \
        f"{proc.communicate()}"
    assert first["pid"] != proc.pid
    os.kill(first["pid"], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    records = [json.loads(s) for s in results.read_text().splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(feeds)  # every point exactly once
    assert {r["status"] for r in records} == {"ok"}
    # What the pass reported before the kill came from the killed worker, in a pass of 8; every
    # other point ran again alone (a pass of 1) in a new worker, to find a point that kills it.
    saved = [r for r in records if r["pid"] == first["pid"]]
    assert 1 <= len(saved) < len(feeds) and records[:len(saved)] == saved
    assert {r["pass"]["runs"] for r in saved} == {8}
    assert [r["pass"]["runs"] for r in records[len(saved):]] == [1] * (len(feeds) - len(saved))
    assert first["pid"] not in {r["pid"] for r in records[len(saved):]}
    # A rerun runs nothing; the figures are those of every point alone.
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "1", "-q"]) == 0
    assert len(results.read_text().splitlines()) == len(feeds)
    reference = run_sweep(grid, out=tmp_path / "ref", workers=0, point_fn=default_point)
    assert _figures(run_sweep(grid, out=out)) == _figures(reference)


# ----------------------------------------------------------------------------- Dask, by pass


def test_dask_runs_passes_with_the_local_figures(synth_store, tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask is the optional extra mmsim[dask]")
    grid = parse_grid({**_grid(synth_store, 1), "repeats": 1})  # 12 points
    local = run_sweep(grid, workers=0, point_fn=default_point)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        remote = run_sweep(grid, out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert _figures(remote) == _figures(local)
    records = [json.loads(s) for s in (tmp_path / "dask" / RESULTS_FILE).read_text().splitlines()]
    assert sorted(r["pass"]["runs"] for r in records) == [6] * 12  # 2 threads: two passes of 6
