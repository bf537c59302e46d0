"""Sweeps: grid parsing and its errors, resumable results after a real kill, failed points, Dask = local."""

from __future__ import annotations

import csv
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, shared_data

import mmsim
from mmsim import ConfigError, MmsimError
from mmsim.cli import main as cli_main
from mmsim.sweep.render import _table_rows as table_rows
from mmsim.sweep.results import _ResultsWriter as ResultsWriter

sw = importlib.import_module("mmsim.sweep")

AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"
FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def amzn_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 30,000 events of the AMZN LOBSTER day (about 1 h 40 min) as an L2 store (top of book, trades)."""
    from _lobster import lobster_l2_events

    from mmsim.data import write_store

    ev = lobster_l2_events(shared_data("lobster", AMZN.format("message")),
                           shared_data("lobster", AMZN.format("orderbook")))
    path = tmp_path_factory.mktemp("sweep") / "amzn"
    write_store(path, ev[:30_000], {"symbol": "AMZN", "venue": "NASDAQ", "tick_size": 0.01, "lot_size": 1.0,
                           "contract_size": 1.0, "source": ["LOBSTER sample"], "time_zone": "America/New_York",
                           "levels": "L2", "local_ts_recorded": False, "quirks": {}})
    return path


def write_grid(tmp: Path, store: Path, feeds: list[str], extra: str = "", name: str = "grid.yaml") -> Path:
    grid = tmp / name
    grid.write_text(
        "base:\n"
        f"  data: {store}\n"
        "  decide_every: 100ms\n"
        "  latency: {entry: 1ms, response: 1ms}\n"
        f"  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 100}}}}\n"
        "  report: {horizons: [100ms, 1s, 10s], event_horizons: [10]}\n"
        "axes:\n"
        f"  latency.feed: [{', '.join(feeds)}]\n" + extra)
    return grid


def metric_view(rows: list[dict]) -> list[tuple]:
    """What must match between two runs of a grid: id, status and every metric (no wall times)."""
    skip = {"elapsed_s"}
    return [tuple((k, v) for k, v in r.items() if k not in skip) for r in rows]


def driver(*args: str) -> list[str]:
    return [sys.executable, "-m", "mmsim", "sweep", *args]


# --------------------------------------------------------------------------- grid


def test_repeats_past_the_largest_seed_wrap_to_zero(tmp_path: Path) -> None:
    """A seed is a uint64; repeat r draws seed + r modulo 2**64 (the largest seed's next repeat is seed 0)."""
    (tmp_path / "store").mkdir()
    (tmp_path / "base.yaml").write_text(
        f"data: store\nlatency: {{feed: {{lognormal: {{median: 1ms, sigma: 0.5}}}}, seed: {2**64 - 2}}}\n"
        "strategy: {path: x.py:X}\n")
    grid = tmp_path / "g.yaml"
    grid.write_text("base_config: base.yaml\nrepeats: 3\noutput: out\n")
    seeds = [p.config.engine.latency.seed for p in sw.load_grid(grid).points]
    assert seeds == [2**64 - 2, 2**64 - 1, 0]


def test_grid_product_points_repeats_and_stable_ids(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "base.yaml").write_text("data: store\nlatency: {feed: 1ms, seed: 7}\nstrategy: {path: x.py:X}\n")
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "base_config: base.yaml\n"
        "points:\n"
        "  - {queue.model: risk_averse}\n"
        "  - {queue: {model: power, power: 3}}\n"
        "axes:\n"
        "  latency.entry: [0, {lognormal: {median: 1ms, sigma: 0.5}}]\n"
        "  strategy.params.half_spread: [1, 2]\n"
        "repeats: 3\n"
        "output: out\n")
    g = sw.load_grid(grid)
    # 2 points x 2 entries x 2 spreads; the lognormal entry latency runs 3 repeats.
    assert len(g.points) == 2 * (2 + 2 * 3)
    assert g.keys == ("queue.model", "queue", "latency.entry", "strategy.params.half_spread")
    assert g.output == str(tmp_path / "out")
    assert len({p.id for p in g.points}) == len(g.points)
    assert [p.index for p in g.points] == list(range(len(g.points)))
    p0, p1 = g.points[0], g.points[1]
    assert p0.overrides == {"queue.model": "risk_averse", "latency.entry": 0, "strategy.params.half_spread": 1}
    assert p0.config.data == str(tmp_path / "store")  # relative to base.yaml
    assert p0.config.engine.latency.feed.ns == 1_000_000 and p0.repeat == 0
    assert p1.config.strategy.params == {"half_spread": 2}
    rep = [p for p in g.points if p.overrides.get("queue") and p.config.engine.latency.entry.kind == "lognormal"
           and p.overrides["strategy.params.half_spread"] == 1]
    assert [(p.repeat, p.config.engine.latency.seed) for p in rep] == [(0, 7), (1, 8), (2, 9)]
    assert rep[0].config.engine.queue.model == "power" and rep[0].config.engine.queue.power == 3.0
    # Same file, same ids; a point's id depends on its config, not on its position.
    assert [p.id for p in sw.load_grid(grid).points] == [p.id for p in g.points]
    grid.write_text(grid.read_text().replace("[1, 2]", "[2, 1, 5]"))
    g2 = sw.load_grid(grid)
    assert {p.id for p in g.points} < {p.id for p in g2.points}


def test_a_point_id_hashes_only_what_differs_from_the_defaults(tmp_path: Path, monkeypatch) -> None:
    """A key at its default does not enter the id: written or not, or added to mmsim later with a default."""
    import hashlib

    from mmsim.config import RunConfig

    strategy = {"path": "x.py:X", "params": {"size": 2}}
    base = {"data": str(tmp_path / "store"), "strategy": strategy}
    axes = {"latency.feed": ["0ms", "5ms"], "fees.maker_bps": [-0.5, 0.0]}
    ids = [p.id for p in sw.parse_grid({"base": base, "axes": axes}).points]
    assert len(set(ids)) == 4  # one non-default value apart, each pair differs

    # By hand: sha256 of the canonical JSON of what differs from the defaults (and the repeat), 16 hex digits.
    def by_hand(changed: dict) -> str:
        text = json.dumps({"config": changed, "repeat": 0}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    common = {"data": str(tmp_path / "store"), "strategy": strategy}
    assert ids == [by_hand({**common, "fees": {"maker_bps": -0.5}}), by_hand(common),
                   by_hand({**common, "fees": {"maker_bps": -0.5}, "latency": {"feed": 5_000_000}}),
                   by_hand({**common, "latency": {"feed": 5_000_000}})]

    # Defaults written out (a key at its default, a section at its defaults) or `output` set (in a base_config
    # file: a grid's base.output is refused, fix25b): the same ids.
    spelled = {**base, "max_orders": 64, "queue": {"model": "risk_averse", "power": 2}, "latency": {"seed": 0}}
    assert [p.id for p in sw.parse_grid({"base": spelled, "axes": axes}).points] == ids
    (tmp_path / "base.yaml").write_text(json.dumps({**spelled, "output": str(tmp_path / "elsewhere")}))
    assert [p.id for p in sw.parse_grid({"base_config": str(tmp_path / "base.yaml"), "axes": axes}).points] == ids

    # mmsim gains a key (queue.future_knob, default 0) that every config now writes: the ids stay.
    # (Hashing the whole config, as before, changes every id here.)
    to_dict = RunConfig.to_dict

    def with_new_key(self: RunConfig) -> dict:
        out = to_dict(self)
        out["queue"] = {**out["queue"], "future_knob": 0}
        return out

    monkeypatch.setattr(RunConfig, "to_dict", with_new_key)
    assert [p.id for p in sw.parse_grid({"base": base, "axes": axes}).points] == ids


def test_an_axis_sets_a_field_inside_each_point(tmp_path: Path) -> None:
    """Points apply first: each strategy arm keeps its own parameters and takes the axis value."""
    grid = {"base": {"data": str(tmp_path)},
            "points": [{"strategy": {"path": "a.py:A", "params": {"half_spread": 9, "size": 100}}},
                       {"strategy": {"path": "b.py:B", "params": {"skew": 0.5}}}],
            "axes": {"strategy.params.half_spread": [1, 2]}}
    g = sw.parse_grid(grid)
    assert [(p.config.strategy.path, dict(p.config.strategy.params)) for p in g.points] == [
        ("a.py:A", {"half_spread": 1, "size": 100}), ("a.py:A", {"half_spread": 2, "size": 100}),
        ("b.py:B", {"skew": 0.5, "half_spread": 1}), ("b.py:B", {"skew": 0.5, "half_spread": 2})]
    assert g.keys == ("strategy", "strategy.params.half_spread")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("base: {data: s}\naxis:\n  latency.feed: [1ms]\n",
         "unknown grid key 'axis' ({f} line 2); expected one of axes, base, base_config, baseline, compare, output, "
         "points, repeats, timeout, workers"),
        ("base: {data: s}\naxes:\n  latency.fed: [1ms]\n",
         "axes.latency.fed: unknown config key 'latency.fed' ({f} line 3)"),
        ("base: {data: s}\naxes:\n  queue.model.x: [1]\n",
         "axes.queue.model.x: unknown config key 'queue.model.x' (queue.model has no sub-keys) ({f} line 3)"),
        ("base: {data: s}\naxes:\n  latency.feed: 5ms\n",
         "axes.latency.feed: expected a non-empty list of values, got '5ms' ({f} line 3)"),
        ("base: {data: s}\naxes:\n  latency.feed: [1ms, fast]\n",
         "axes.latency.feed[1]: latency.feed: cannot read 'fast' as a duration; use a number with a unit "
         "(ns, us, ms, s, min, h), e.g. 250us ({f} line 3)"),
        ("base: {data: s}\naxes:\n  latency.feed: [1ms, 2ms, 1ms]\n",
         "axes.latency.feed[2]: value '1ms' is already axes.latency.feed[0] ({f} line 3)"),
        ("base: {data: s}\naxes:\n  queue.model: [log, fifo]\n",
         "axes.queue.model[1]: queue.model must be risk_averse, power or log, got 'fifo' ({f} line 3)"),
        ("base:\n  data: s\n  latency:\n    feed: 2 ms\n    entry: soon\n",
         "latency.entry: cannot read 'soon' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
         "e.g. 250us ({f} line 5)"),
        ("base: {data: s}\nrepeats: 0\n", "repeats: expected a positive integer, got 0 ({f} line 2)"),
        ("base: {data: s, latency: {feed: {lognormal: {median: 1ms}}}}\nrepeats: 2\naxes:\n  latency.seed: [1, 2]\n",
         "latency.seed: repeats draw their own latency.seed; vary the seed or set repeats, not both ({f} line 4)"),
        ("base: {data: s}\npoints:\n  - {latency.feed: 1ms}\naxes:\n  latency: [{feed: 2ms}]\n",
         "axes.latency: 'latency.feed' is also set by points, and the axis would overwrite it; a key varies "
         "either in axes or in points ({f} line 5)"),
        ("base: {data: s, latency: {feed: 5ms}}\naxes:\n  latency.feed.lognormal.sigma: [0.5]\n",
         "axes.latency.feed.lognormal.sigma[0]: cannot set 'latency.feed.lognormal.sigma': latency.feed is '5ms' "
         "in the base config, not a mapping ({f} line 3)"),
        ("base: {decide_every: 1ms}\naxes:\n  latency.feed: [1ms]\n",
         "{f}: no event store: set `data:` in the base config (or vary it in axes) ({f} line 1)"),
        ("base: {data: s}\npoints: [{latency.feed: 1ms}, 3]\n",
         "points[1]: expected a non-empty mapping of dotted config keys, got 3 ({f} line 2)"),
        ("base: {data: s}\nbase_config: run.yaml\n",
         "base_config: give either base or base_config, not both ({f} line 2)"),
        ("base: {data: s}\naxes: [latency.feed]\n",
         "axes: expected a mapping of config key -> list of values, got list ({f} line 2)"),
    ],
    ids=["unknown-grid-key", "unknown-axis-key", "axis-key-too-deep", "axis-not-a-list", "bad-axis-value",
         "duplicate-axis-value", "bad-queue-model", "bad-base-value", "bad-repeats", "seed-axis-with-repeats",
         "key-in-axes-and-points", "override-into-scalar", "no-data", "bad-point", "base-and-base-config",
         "axes-not-a-mapping"],
)
def test_grid_errors_name_key_and_line(tmp_path: Path, text: str, message: str) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text(text)
    with pytest.raises(ConfigError) as info:
        sw.load_grid(grid)
    assert str(info.value) == message.format(f=grid)


def test_base_config_errors_name_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text("data: s\nqueue:\n  model: fifo\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text("base_config: run.yaml\naxes:\n  latency.feed: [1ms]\n")
    with pytest.raises(ConfigError) as info:
        sw.load_grid(grid)
    run = tmp_path / "run.yaml"
    assert str(info.value) == f"queue.model must be risk_averse, power or log, got 'fifo' ({run} line 3)"


# --------------------------------------------------------------------------- results file


def test_results_file_skips_a_torn_last_line_and_appends_after_it(tmp_path: Path) -> None:
    path = tmp_path / sw.RESULTS_FILE
    good = {"id": "a" * 16, "status": "ok", "metrics": {"pnl.total": 1.5}}
    path.write_text(json.dumps(good) + "\n" + '{"id": "bbbbbbbbbbbbbbbb", "stat')
    assert list(sw.read_results(path)) == ["a" * 16]
    w = ResultsWriter(path)
    w.append({"id": "c" * 16, "status": "ok", "metrics": {"x": float("nan")}})
    w.close()
    lines = path.read_text().splitlines()
    assert [json.loads(s)["id"] for s in lines] == ["a" * 16, "c" * 16]
    assert json.loads(lines[1])["metrics"] == {"x": None}  # strict JSON: NaN is null


def test_to_array_types_each_column() -> None:
    rows = [{"id": "p1", "latency.feed": "1ms", "strategy.params.k": 2, "pnl.total": 1.5, "n_fills": 3, "flag": True},
            {"id": "p2", "latency.feed": "10ms", "strategy.params.k": 3, "pnl.total": None, "n_fills": 4,
             "flag": False}]
    arr = sw.to_array(rows)
    assert arr.dtype == np.dtype([("id", "<U2"), ("latency.feed", "<U4"), ("strategy.params.k", "<i8"),
                                  ("pnl.total", "<f8"), ("n_fills", "<i8"), ("flag", "?")])
    assert arr["latency.feed"].tolist() == ["1ms", "10ms"]
    assert arr["pnl.total"][0] == 1.5 and np.isnan(arr["pnl.total"][1])


def test_to_array_writes_a_mapping_as_results_csv_does() -> None:
    # A latency mapping was its JSON, {"recorded":"50ms"}, as results.csv's cell was (sweep16).
    rows = [{"id": "p1", "latency.feed": {"recorded": "50ms"}, "report.horizons": ["100ms", "1s"]},
            {"id": "p2", "latency.feed": {"lognormal": {"median": "1ms", "sigma": 0.5}}, "report.horizons": ["1s"]}]
    arr = sw.to_array(rows)
    assert arr["latency.feed"].tolist() == ["recorded + 50ms", "lognormal(1ms, 0.5)"]
    assert arr["report.horizons"].tolist() == ["[100ms, 1s]", "[1s]"]


def _failing_point(config: mmsim.RunConfig) -> dict:
    """A point function that fails for half_spread 2 (module level, so workers can import it)."""
    hs = config.strategy.params["half_spread"]
    if hs == 2:
        raise ZeroDivisionError("half_spread 2 divides by zero here")
    return {"pnl.total": 10.0 * hs, "n_events": 7}


def test_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}}, "axes": {"strategy.params.half_spread": [1, 2, 3]}}
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=2, point_fn=_failing_point)
    assert [(r["strategy.params.half_spread"], r["status"], r.get("pnl.total")) for r in rows] == [
        (1, "ok", 10.0), (2, "error", None), (3, "ok", 30.0)]
    assert rows[1]["error_type"] == "ZeroDivisionError"
    assert rows[1]["error_message"] == "half_spread 2 divides by zero here"
    assert rows[0]["n_events"] == 7 and rows[1]["n_events"] is None
    recs = [json.loads(s) for s in (tmp_path / "out" / sw.RESULTS_FILE).read_text().splitlines()]
    assert sorted(r["index"] for r in recs) == [0, 1, 2]
    assert "ZeroDivisionError: half_spread 2 divides by zero here" in recs[[r["index"] for r in recs].index(1)][
        "error"]["traceback"]
    # Failed points count as finished; --retry-failed runs them (and only them) again.
    assert sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_failing_point) == rows
    again = sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_failing_point, retry_failed=True)
    assert [r["status"] for r in again] == ["ok", "error", "ok"]
    ids = [json.loads(s)["id"] for s in (tmp_path / "out" / sw.RESULTS_FILE).read_text().splitlines()]
    assert len(ids) == 4 and ids.count(rows[1]["id"]) == 2


def _meddling_point(config: mmsim.RunConfig) -> dict:
    """A point function that, at half_spread 2, does to the results file what the
    environment variable MEDDLE says (run in-process: workers=0)."""
    hs = config.strategy.params["half_spread"]
    if hs == 2:
        path = Path(os.environ["MEDDLE_PATH"])
        how = os.environ["MEDDLE"]
        if how == "delete":
            path.unlink()
        elif how == "truncate":
            with path.open("r+b") as fh:
                fh.truncate(10)
        elif how == "replace":  # another file (an editor's save) takes its name
            tmp = path.with_name("other.jsonl")
            tmp.write_text(path.read_text())
            os.replace(tmp, path)
    return {"pnl.total": 10.0 * hs}


@pytest.mark.parametrize("how, what", [
    ("delete", "was deleted"),
    ("truncate", r"was truncated \(10 bytes, \d+ written\)"),
    ("replace", "was replaced by another file"),
])
def test_a_results_file_gone_mid_sweep_stops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str,
                                                what: str) -> None:
    """The writer kept appending to the deleted file (an unlinked inode): the sweep finished
    'ok' and every record after the deletion was lost with no word. It stops at the next
    record, naming the file and what happened; a rerun runs the points whose records are missing."""
    out = tmp_path / "out"
    path = out / sw.RESULTS_FILE
    monkeypatch.setenv("MEDDLE_PATH", str(path))
    monkeypatch.setenv("MEDDLE", how)
    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
            "axes": {"strategy.params.half_spread": [1, 2, 3]}}
    with pytest.raises(MmsimError, match=rf"^{re.escape(str(path))} {what} while the sweep ran; the sweep stops "
                                         r"rather than write on \(this sweep had appended 1 record\(s\), and each "
                                         r"point's record is its only copy\); run the same command again to resume: "
                                         r"the points whose records are missing from the file run again$"):
        sw.run_sweep(grid, out=out, workers=0, point_fn=_meddling_point)
    monkeypatch.setenv("MEDDLE", "none")
    rows = sw.run_sweep(grid, out=out, workers=0, point_fn=_meddling_point)
    assert [(r["strategy.params.half_spread"], r["pnl.total"]) for r in rows] == [(1, 10.0), (2, 20.0), (3, 30.0)]


# --------------------------------------------------------------------------- real runs


def test_real_point_error_is_recorded(amzn_store: Path, tmp_path: Path) -> None:
    # A half spread of 1e19 ticks passes every check before the sweep (a finite number >= 0)
    # and fails when the strategy first quotes (its bid is out of the engine's price range):
    # that point is recorded as failed, the other runs. (A size of half a lot did this until
    # sizes became whole numbers checked at build time.)
    grid = write_grid(tmp_path, amzn_store, ["0ms"], "points:\n  - {strategy.params.half_spread: 1}\n"
                                                      "  - {strategy.params.half_spread: 1.0e+19}\n")
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=0)
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert rows[0]["n_events"] == 30_000 and rows[0]["fills.count"] > 0
    assert rows[1]["error_type"] == "StrategyError"
    assert rows[1]["error_message"].startswith("strategy FixedSpread returned an invalid quote at local time ")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_sweep_resumes_and_matches_an_uninterrupted_run(amzn_store: Path, tmp_path: Path,
                                                               sig: signal.Signals) -> None:
    feeds = ["0ms", "1ms", "5ms", "20ms", "50ms", "100ms", "200ms", "500ms"]
    grid = write_grid(tmp_path, amzn_store, feeds)
    out = tmp_path / "out"
    results = out / sw.RESULTS_FILE
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # Own process group: SIGKILL then takes the workers down with the sweep, as a crash would.
    proc = subprocess.Popen(driver(str(grid), "-o", str(out), "--workers", "1", "-q"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and len(results.read_text().splitlines()) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.communicate()}"
    # To the whole group, as a crash of the machine or Ctrl-C in a terminal would.
    os.killpg(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=60)
    saved = [json.loads(s) for s in results.read_text().splitlines()]
    assert 2 <= len(saved) < len(feeds)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert f"interrupted; {len(saved)} of {len(feeds)} points are saved in {results}" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL

    done = subprocess.run(driver(str(grid), "-o", str(out), "--workers", "2", "-q"), env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(feeds)} points (0 failed)" in done.stdout
    assert f"\n{len(feeds) - len(saved)} run now, {len(saved)} reused from results.jsonl (same point ids" in done.stdout
    ids = [json.loads(s)["id"] for s in results.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(feeds)  # every point exactly once
    resumed = sw.run_sweep(grid, out=out)  # everything is done: reads the file, runs nothing
    assert [json.loads(s)["id"] for s in results.read_text().splitlines()] == ids
    reference = sw.run_sweep(grid, out=tmp_path / "ref", workers=0)
    assert metric_view(resumed) == metric_view(reference)
    assert [r["latency.feed"] for r in resumed] == feeds
    assert {"sweep.html", "results.csv", "sweep_latency_feed.png"} <= {p.name for p in out.iterdir()}


def test_dask_cluster_gives_the_local_results(amzn_store: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="dask is the optional extra mmsim[dask]")
    grid = write_grid(tmp_path, amzn_store, ["0ms", "100ms"], "  strategy.params.half_spread: [1, 3]\n")
    local = sw.run_sweep(grid, out=tmp_path / "local", workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        rc = cli_main(["sweep", str(grid), "-o", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address,
                       "-q"])
    assert rc == 0
    remote = sw.run_sweep(grid, out=tmp_path / "dask")  # read back; nothing left to run
    assert len(remote) == 4
    assert metric_view(remote) == metric_view(local)


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="dask is the optional extra mmsim[dask]")
    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}}, "axes": {"strategy.params.half_spread": [1]}}
    with pytest.raises(mmsim.MmsimError, match=r"^cannot connect to the Dask scheduler at tcp://127\.0\.0\.1:9: "):
        sw.run_sweep(grid, scheduler="tcp://127.0.0.1:9", point_fn=_failing_point)


def test_a_malformed_scheduler_address_is_refused_with_or_without_dask(tmp_path: Path, monkeypatch) -> None:
    # The address was checked after `import distributed`: without the extra a bad address read
    # "--scheduler needs Dask distributed" (exit 1), with it the config error (exit 2); the
    # README's install (".[test]") has no Dask, and tests/test_cli.py failed there.
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}}, "axes": {"strategy.params.half_spread": [1]}}
    for address in ("nonsense", "tcp://localhost:0", "localhost:65536"):
        with pytest.raises(ConfigError) as e:
            sw.run_sweep(grid, scheduler=address, point_fn=_failing_point)
        assert str(e.value) == f"--scheduler: expected tcp://HOST:PORT (a port from 1 to 65535), got {address!r}"
    # A well-formed address without the extra: the extra is named.
    with pytest.raises(MmsimError) as e:
        sw.run_sweep(grid, scheduler="tcp://127.0.0.1:9", point_fn=_failing_point)
    assert str(e.value) == "--scheduler needs Dask distributed, an optional extra: pip install 'mmsim[dask]'"


def test_report_table_plots_and_html(tmp_path: Path) -> None:
    rows = []
    for i, (strat, feed) in enumerate([(s, f) for s in ("a.py:Naive", "a.py:Pull") for f in ("0ms", "5ms")]):
        rows.append({"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok",
                     "strategy.path": strat, "latency.feed": feed, "pnl.total": float(i), "fills.count": 10 + i,
                     "toxic_share": 0.1 * i, "markout.1s.mean_ticks": -0.5 * i, "markout.1s.ci_low": -0.5 * i - 1,
                     "markout.1s.ci_high": -0.5 * i + 1, "n_events": 100, "elapsed_s": 0.1,
                     "error_type": None, "error_message": None})
    rows[3].update(status="error", error_type="StrategyError", error_message="boom", **{"pnl.total": None})
    grid = sw.Grid(points=(), keys=("strategy.path", "latency.feed"), repeats=1, output=None, workers=None,
                   source="g.yaml")
    written = sw.write_report(rows, grid, tmp_path)
    assert set(written) == {"results.csv", "sweep.html", "sweep_strategy_path.png", "sweep_latency_feed.png"}
    assert written["sweep_latency_feed.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = written["sweep.html"].read_text()
    assert page.count("src='data:image/png;base64,") == 2
    assert "StrategyError: boom" in page and "<td class='k'>Pull</td>" in page
    header, body = table_rows(rows, grid)
    assert header == ["strategy.path", "latency.feed", "status", "pnl.total", "fills.count", "toxic_share",
                      "markout 1s", "point", "digest"]
    # The toxic share in percent, as `mmsim report` shows it (sweep9: it read 0.1); results.csv keeps the fraction.
    # Each number column has the decimals of its metric's unit (sweepword14: they were 3 significant digits of the
    # column's largest value, 10.0% and -0.50 here).
    assert body[1] == ["Naive", "5ms", "ok", "1.00", "11", "10.00%", "-0.500", "p1", "–"]
    assert body[3] == ["Pull", "5ms", "StrategyError: boom", "–", "–", "–", "–", "p3", "–"]


def test_the_toxic_share_reads_in_percent_in_the_tables_and_as_a_fraction_in_the_files(tmp_path: Path) -> None:
    """The newcomer's: the sweep table printed 0.23 where `mmsim report` prints 23.0%."""
    rows = [{"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", "latency.feed": feed,
             "pnl.total": 1.0, "fills.count": 3, "toxic_share": share, "n_events": 10, "elapsed_s": 0.1,
             "error_type": None, "error_message": None}
            for i, (feed, share) in enumerate([("0ms", 0.23), ("5ms", 2 / 3), ("9ms", None), ("7ms", 1)])]
    grid = sw.Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml")
    for short in (True, False):
        header, body = table_rows(rows, grid, short=short)
        col = header.index("toxic" if short else "toxic_share")
        assert [line[col] for line in body] == ["23.00%", "66.67%", "–", "100.00%"]  # sweepword14: 2 decimals
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=300)
    console.print(sw.rich_table(rows, grid, width=300))
    text = " ".join(console.file.getvalue().split())
    assert "toxic = share of fills with a negative markout at the toxic horizon, in percent (results.csv: a fraction)" \
        in text
    written = sw.write_report(rows, grid, tmp_path, plots=False)
    page = written["sweep.html"].read_text()
    assert "<td>23.00%</td>" in page and "toxic_share in percent, as <code>mmsim report</code> shows it" in page
    csv_rows = written["results.csv"].read_text().splitlines()
    assert csv_rows[1].split(",")[csv_rows[0].split(",").index("toxic_share")] == "0.23"


def test_cli_needs_an_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: {data: s, strategy: {path: x.py:X}}\naxes:\n  latency.feed: [1ms]\n")
    assert cli_main(["sweep", str(grid), "-q"]) == 2
    assert capsys.readouterr().err == (f"mmsim: config error: {grid}: no output directory: pass -o OUT or set "
                                       "`output:` in the grid\n")


def test_an_output_that_is_a_file_is_one_line_before_any_point_runs(tmp_path: Path, amzn_store: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # `-o grid.yaml` printed `mmsim: error: [Errno 17] File exists: 'grid.yaml'` (exit 1).
    grid = write_grid(tmp_path, amzn_store, ["0ms", "1ms"])
    assert cli_main(["sweep", str(grid), "-o", str(grid), "-q"]) == 2
    assert capsys.readouterr().err == (f"mmsim: config error: {grid}: cannot write the sweep's results there: it is "
                                       "a file, not a directory\n")
    # A directory under a file: the file named (breaker18a: it said "Not a directory", the errno's words).
    assert cli_main(["sweep", str(grid), "-o", str(grid / "out"), "-q"]) == 2
    assert capsys.readouterr().err == (f"mmsim sweep: error: {grid / 'out'}: {grid} is a file, not a folder: nothing "
                                       "can be written under it; choose another -o\n")
    assert grid.read_text().startswith("base:\n")  # the grid file is untouched


def test_scheduler_without_dask_says_which_extra_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an install without the extra looks like
    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}}, "axes": {"strategy.params.half_spread": [1]}}
    with pytest.raises(mmsim.MmsimError) as info:
        sw.run_sweep(grid, scheduler="tcp://127.0.0.1:8786", point_fn=_failing_point)
    assert str(info.value) == "--scheduler needs Dask distributed, an optional extra: pip install 'mmsim[dask]'"


def test_a_shared_model_key_applies_to_the_points_whose_model_reads_it(tmp_path: Path) -> None:
    """polish5 item 4: ``queue.power`` in the base with an axis over ``queue.model`` sets the power points' exponent;
    the others take the default, with the ids they have without the key. Read by no point, or set by a point
    beside another model, it is an error."""
    base = {"data": str(tmp_path / "store"), "strategy": {"path": "fixed_spread"}}
    g = sw.parse_grid({"base": {**base, "queue": {"power": 3}}, "axes": {"queue.model": ["risk_averse", "power", "log"]}})
    assert [(p.config.engine.queue.model, p.config.engine.queue.power) for p in g.points] == [
        ("risk_averse", 2.0), ("power", 3.0), ("log", 2.0)]
    plain = sw.parse_grid({"base": base, "axes": {"queue.model": ["risk_averse", "log"]}})
    assert [g.points[0].id, g.points[2].id] == [p.id for p in plain.points]
    with pytest.raises(ConfigError) as info:
        sw.parse_grid({"base": {**base, "queue": {"model": "log", "power": 3}}, "axes": {"latency.feed": ["1ms"]}})
    assert str(info.value) == ("queue.power: 3 is read by queue.model: power only, and no point of the grid sets "
                               "queue.model: power; set it, or drop queue.power")
    with pytest.raises(ConfigError) as info:
        sw.parse_grid({"base": base, "axes": {"queue.model": ["risk_averse", "power"], "queue.power": [1, 3]}})
    assert str(info.value) == ("point queue.model=risk_averse, queue.power=1: queue.power: 1 is read by queue.model: "
                               "power only, and queue.model is 'risk_averse'; set queue.model: power, or drop "
                               "queue.power")


def test_to_array_takes_the_largest_latency_seed() -> None:
    # `latency: {seed: 18446744073709551615}` (a valid uint64 seed): to_array raised OverflowError (Python int too
    # large to convert to C long). A column past int64 with no negative value is uint64 (sweepfix16).
    arr = sw.to_array([{"id": "a", "seed": 2**64 - 1}, {"id": "b", "seed": 0}])
    assert arr.dtype["seed"] == np.dtype("<u8")
    assert [int(s) for s in arr["seed"]] == [2**64 - 1, 0]


def test_to_array_keeps_every_digit_of_an_integer_no_64_bit_type_holds() -> None:
    # The second case: 2**63 alone is uint64; 2**63 beside -1, or 2**64, fits no 64-bit integer: their digits (it
    # raised OverflowError; a float would read 2**64 + 1 as 2**64).
    assert sw.to_array([{"id": "a", "n": 2**63}])["n"].tolist() == [2**63]
    assert sw.to_array([{"id": "a", "n": 2**63}, {"id": "b", "n": -1}])["n"].tolist() == ["9223372036854775808", "-1"]
    assert sw.to_array([{"id": "a", "n": 2**64 + 1}])["n"].tolist() == ["18446744073709551617"]
    assert sw.to_array([{"id": "a", "n": 2**63 - 1}, {"id": "b", "n": -2**63}])["n"].dtype == np.dtype("<i8")


def _half_spread_point(config: mmsim.RunConfig) -> dict:
    """A point function reading the strategy's half spread (module level, so workers can import it)."""
    return {"pnl.total": float(config.strategy.params["half_spread"]), "n_events": 7}


def test_a_grid_built_with_numpy_numbers_writes_its_report(tmp_path: Path) -> None:
    # `np.linspace` half spreads inside a strategy.params mapping: every point ran, then write_report raised yaml's
    # RepresenterError on np.float64(0.5) (sweepfix16). The cells type back to the grid's own points (one id each).
    from mmsim.config.yaml_file import loader_class

    grid = sw.parse_grid({"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
                          "axes": {"strategy.params": [{"half_spread": h, "size": np.int64(1)}
                                                       for h in np.linspace(0.5, 1.5, 3)]}})
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=1, point_fn=_half_spread_point)
    sw.write_report(rows, grid, tmp_path / "out", plots=False)
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as fh:
        cells = [r["strategy.params"] for r in csv.DictReader(fh)]
    assert cells == ["{half_spread: 0.5, size: 1}", "{half_spread: 1.0, size: 1}", "{half_spread: 1.5, size: 1}"]
    back = sw.parse_grid({"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
                          "axes": {"strategy.params": [yaml.load(f"v: {c}", Loader=loader_class())["v"]
                                                       for c in cells]}})
    assert [p.id for p in back.points] == [p.id for p in grid.points]
