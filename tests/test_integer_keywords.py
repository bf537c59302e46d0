"""An integer keyword of a Python function takes a whole number however written, as an integer config key does.

``ladder_levels: 2.0`` is 2 in a config (edges20: ``config._units.whole_integer``); ``run_sweep(workers=2.0)``,
``compare(n_boot=2000.0)``, ``numba_strategy(state_size=4.0)``... refused it, and ``EventStore.chunks(True)`` or
``DemoPlan(sessions=True)`` took ``True`` for 1. One rule now (``mmsim.config.integer_argument``): a whole float is
that integer; a fraction, a bool and a float beyond 2**53 are refused, naming the keyword (docs/config.md, "An
integer key takes a whole number, however written"). The grid's ``baseline:`` index is in test_sweep_baseline.py,
the report's bucket counts in test_queue_position.py, ``match_fills`` and a queue-score window in
test_queue_score.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.sweep import parse_grid, rich_table, run_sweep

FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


def _grid(store: Path):
    return parse_grid({"base": {"data": str(store), "strategy": {"path": FIXED_SPREAD,
                                                                 "params": {"half_spread": 1, "size": 1}}},
                       "axes": {"latency.feed": ["0ms", "1ms"]}})


def test_run_sweep_takes_whole_float_workers_and_pass_size(store, tmp_path):
    """``workers=0.0`` was ``workers: expected a non-negative integer, got 0.0``; ``pass_size=1.0`` replays each point
    alone (a pass of one run, where the default pass holds both points); ``max_rows=1.0`` shows one row."""
    grid = _grid(store)
    rows = run_sweep(grid, out=tmp_path / "out", workers=0.0, pass_size=1.0)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    records = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["pass"]["runs"] for r in records] == [1, 1]
    assert str(rich_table(rows, grid, max_rows=1.0).title) == ("mmsim sweep: 2 points, 0 failed (first 1 shown; all in "
                                                                "results.csv and sweep.html)")


@pytest.mark.parametrize("kwargs, message", [
    ({"workers": 2.5}, "workers: expected a non-negative integer, got 2.5"),
    ({"workers": True}, "workers: expected a non-negative integer, got True"),
    ({"pass_size": 1.5}, "pass_size: expected a positive integer, got 1.5"),
    ({"pass_size": 9007199254740994.0}, "pass_size: expected a positive integer, got 9007199254740994.0 (a float "
                                        "beyond 2**53 is not exact: write the integer's digits, without a decimal "
                                        "point)"),
], ids=["workers-fraction", "workers-bool", "pass-size-fraction", "pass-size-inexact"])
def test_run_sweep_refuses_a_fraction_a_bool_and_an_inexact_float(store, tmp_path, kwargs, message):
    with pytest.raises(mmsim.ConfigError) as info:
        run_sweep(_grid(store), out=tmp_path / "out", **kwargs)
    assert str(info.value) == message
    assert not (tmp_path / "out").exists()  # refused before anything ran or was written


@pytest.fixture(scope="module")
def two_runs(store):
    from mmsim.plugins import load_strategy

    st = mmsim.load(store)
    runs = [mmsim.run(st, load_strategy("fixed_spread", {"half_spread": 1, "size": 1}),
                      mmsim.Config(latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel.parse(f, "feed"))))
            for f in ("0ms", "5ms")]
    return st, runs


def test_compare_takes_a_whole_float_n_boot_and_seed(two_runs):
    st, (a, b) = two_runs
    got = mmsim.compare(a, b, st, bucket="1s", n_boot=20.0, seed=3.0)
    assert (got.n_boot, got.seed) == (20, 3) and type(got.n_boot) is int and type(got.seed) is int
    same = mmsim.compare(a, b, st, bucket="1s", n_boot=20, seed=3)
    assert [r.to_dict() for r in got.rows] == [r.to_dict() for r in same.rows]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_boot": 20.5}, "n_boot must be an integer from 10 to 10,000,000, got 20.5"),
    ({"n_boot": True}, "n_boot must be an integer from 10 to 10,000,000, got True"),
    ({"seed": 2.5}, "seed must be a non-negative integer (or None), got 2.5"),
    ({"seed": True}, "seed must be a non-negative integer (or None), got True"),
], ids=["n_boot-fraction", "n_boot-bool", "seed-fraction", "seed-bool"])
def test_compare_refuses_a_fraction_and_a_bool(two_runs, kwargs, message):
    st, (a, b) = two_runs
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.compare(a, b, st, bucket="1s", **kwargs)
    assert str(info.value) == message


def _rule(view, params, state, out):
    return 0


def test_numba_strategy_takes_a_whole_float_state_size():
    kind = mmsim.numba_strategy(_rule, state_size=4.0)
    assert kind.state_size == 4 and type(kind.state_size) is int
    for bad in (2.5, True):
        with pytest.raises(mmsim.StrategyError) as info:
            mmsim.numba_strategy(_rule, state_size=bad)
        assert str(info.value) == f"strategy _rule: state_size must be an integer in 0..1048576, got {bad!r}"


def test_event_store_chunks_take_a_whole_float_size_and_refuse_true(store):
    st = mmsim.load(store)
    n = len(st)
    assert [len(c) for c in st.chunks(float(n - 1))] == [n - 1, 1]
    for bad in (2.5, True):  # True read as windows of 1 event
        with pytest.raises(mmsim.ConfigError) as info:
            list(st.chunks(bad))
        assert str(info.value) == f"size must be a positive integer, got {bad!r}"


def test_demo_plan_and_seed_take_whole_floats_and_refuse_true():
    from mmsim.demo import DemoPlan, run_demo

    plan = DemoPlan(sessions=2.0, session_ns=7e10)
    assert (plan.sessions, plan.session_ns) == (2, 70_000_000_000) and type(plan.sessions) is int
    for bad in (2.5, True):  # True was one session
        with pytest.raises(ValueError) as info:
            DemoPlan(sessions=bad, session_ns=7e10)
        assert str(info.value) == f"DemoPlan.sessions must be an integer, got {bad!r}"
    tiny = DemoPlan(sessions=1, session_ns=11_000_000_000)
    for bad in (1.5, True):  # True ran the demo with seed 1
        with pytest.raises(mmsim.ConfigError) as info:
            run_demo(write=False, progress=False, quiet=True, plan=tiny, seed=bad)
        assert str(info.value) == f"seed must be a non-negative integer, got {bad!r}"


class _Declares(mmsim.Strategy):
    name = "Decl"
    max_live_orders = 9.0
    ladder_levels_used = 3.0

    def quote(self, view):
        return None


def test_a_strategy_declaration_takes_a_whole_float():
    """``max_live_orders = 9.0`` was "unusable ... it must be an integer from 1 to 4096"; it is 9, as the config's
    ``max_orders: 9.0`` is. True is still no declaration."""
    from mmsim.engine import strategy_config_conflict

    assert strategy_config_conflict(_Declares(), mmsim.Config(max_orders=6, ladder_levels=3)) == (
        "max_orders: 6 is less than the 9 live orders strategy Decl can hold at once (its max_live_orders: working "
        "and replacement orders, those waiting for a cancel confirmation, explicit orders); raise max_orders to at "
        "least 9")
    assert strategy_config_conflict(_Declares(), mmsim.Config(max_orders=9, ladder_levels=2)) == (
        "ladder_levels: 2 is less than the 3 target levels per side strategy Decl quotes; set ladder_levels to at "
        "least 3")
    assert strategy_config_conflict(_Declares(), mmsim.Config(max_orders=9, ladder_levels=3)) is None
    flag = type("Flag", (_Declares,), {"name": "Flag", "max_live_orders": True})
    assert strategy_config_conflict(flag(), mmsim.Config()) == (
        "strategy Flag declares max_live_orders = True; it must be an integer from 1 to 4096 (the most max_orders "
        "allows), so the config cannot be checked against it")
