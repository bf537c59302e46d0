"""Tests of mmsim.report: hand-computed markouts and PnL, NumPy cross-checks on real data, outputs, HTML, CLI."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import make_events, shared_data

import mmsim
from mmsim import Kind
from mmsim.records import FILL_DTYPE, ORDER_LOG_DTYPE, SIGNAL_NAMES, OrderEvent
from mmsim.cli import build_parser
from mmsim.cli.report import cmd as cmd_report
from mmsim.report import make_report as report

S = 1_000_000_000
I64_MIN = np.iinfo(np.int64).min
I64_MAX = np.iinfo(np.int64).max


def fill(ts, side, price, qty, bid, ask, *, fee=0.0, maker=True, after_cancel=False, oid=1):
    """One FILL_DTYPE row as a tuple (position and leaves are not read by the report)."""
    return (ts, ts, oid, price, qty, 0, 0, bid, ask, fee, side, maker, after_cancel, 1, 0, 0, -1, -1)  # LIMIT, level 0, no queue position


def result_of(fills, *, tick_value=1.0, orders=None, samples=None, signals=None, config=None, **over):
    """A Result-like object whose totals are computed from its fills (as the engine's are)."""
    f = np.array(fills, dtype=FILL_DTYPE)
    pos = int((f["side"].astype(np.int64) * f["qty"]).sum())
    cash = int(-(f["side"].astype(np.int64) * f["price"] * f["qty"]).sum())
    fees = float(f["fee"].sum())
    ns = dict(fills=f, orders=orders, samples=samples, fill_signals=signals, position=pos, cash_ticks=cash,
              fees=fees, cash=cash * tick_value - fees, tick_value=tick_value,
              config=config or mmsim.Config(), meta={"symbol": "TEST"})
    ns.update(over)
    return SimpleNamespace(**ns)


# ----------------------------------------------------------------------------- hand scenario

# Book (ticks): t=0 bid 100 / ask 102 (mid 101); 1s ask 101 (mid 100.5);
# 2s bid 99 joins, bid 100 leaves (mid 100); 3s ask 104 joins behind (mid 100).
HAND_EVENTS = [
    (0, Kind.DEPTH, 1, 100, 5),
    (0, Kind.DEPTH, -1, 102, 5),
    (S, Kind.DEPTH, -1, 101, 3),
    (2 * S, Kind.DEPTH, 1, 99, 4),
    (2 * S, Kind.DEPTH, 1, 100, 0),
    (3 * S, Kind.DEPTH, -1, 104, 1),
]


@pytest.fixture
def hand():
    ev = make_events(HAND_EVENTS)
    fills = [
        # buy 2 @ 100 at 0.5s, book 100/102 just before; fee 0.1
        fill(S // 2, 1, 100, 2, 100, 102, fee=0.1),
        # sell 1 @ 101 at 1.5s, book 100/101; a cancel was already on its way
        fill(S + S // 2, -1, 101, 1, 100, 101, fee=0.05, after_cancel=True, oid=2),
        # taker buy 1 @ 101 at 2.5s, book 99/101
        fill(2 * S + S // 2, 1, 101, 1, 99, 101, maker=False, oid=3),
    ]
    return ev, result_of(fills, tick_value=0.5)


def test_hand_markouts(hand):
    ev, res = hand
    d = report(res, ev, horizons=["1s", "2s"], event_horizons=[1, 2], toxic_horizon="1s").data
    by = {m["horizon"]: m["groups"] for m in d["markouts"]}
    # Fill 1 (buy @100): mid(1.5s)=100.5 -> +0.5; mid(2.5s)=100 -> 0.
    # Fill 2 (sell @101): mid(2.5s)=100 -> +1; 2s horizon runs past 3s -> excluded.
    # Fill 3 (buy @101): 1s horizon = 3.5s is past the end (3s) -> excluded.
    assert by["1s"]["all"]["n"] == 2 and by["1s"]["all"]["n_past_end"] == 1
    assert by["1s"]["all"]["ticks"]["mean"] == pytest.approx(0.75)
    assert by["1s"]["buy"]["ticks"]["mean"] == 0.5
    assert by["1s"]["sell"]["ticks"]["mean"] == 1.0
    assert by["1s"]["taker"]["n"] == 0 and by["1s"]["taker"]["n_past_end"] == 1
    assert by["2s"]["all"]["n"] == 1 and by["2s"]["all"]["ticks"]["mean"] == 0.0
    # Event clock: the mid at the time of the k-th event after the fill's event (the last
    # with ts <= t). Fill 1's event is index 1: +1 -> index 2 (1s, mid 100.5) -> +0.5;
    # +2 -> index 3 (2s; after both 2s events mid 100) -> 0. Fill 2: index 2 -> 3 (2s, 100)
    # -> +1; -> 4 (2s) -> +1. Fill 3: index 4 -> 5 (3s, mid 100) -> -1; +2 is past the end.
    assert by["1ev"]["all"]["n"] == 3
    assert by["1ev"]["all"]["ticks"]["mean"] == pytest.approx((0.5 + 1.0 - 1.0) / 3)
    assert by["2ev"]["all"]["n"] == 2 and by["2ev"]["all"]["n_past_end"] == 1
    assert by["2ev"]["all"]["ticks"]["mean"] == pytest.approx((0.0 + 1.0) / 2)
    # bps of the fill price: 0.5/100*1e4 = 50, 1/101*1e4.
    assert by["1s"]["all"]["bps"]["mean"] == pytest.approx((50 + 1e4 / 101) / 2)
    # Student t interval on [0.5, 1.0]: mean 0.75, s = 0.35355, t(0.975, 1) = 12.7062.
    assert by["1s"]["all"]["ticks"]["ci_low"] == pytest.approx(0.75 - 12.7062047 * 0.25, rel=1e-6)
    assert by["1s"]["all"]["ticks"]["ci_high"] == pytest.approx(0.75 + 12.7062047 * 0.25, rel=1e-6)
    assert d["toxic_share"] == 0.0 and d["toxic"]["n"] == 2


def test_the_report_intervals_are_scipy_student_t_intervals_bit_for_bit():
    # t_interval is scipy.stats.t.interval without its argument handling: the same bits.
    from scipy import stats

    from mmsim.report.markouts import summarize, t_interval

    rng = np.random.default_rng(7)
    for i in range(3000):
        conf = [0.95, 0.9, 0.99, float(rng.uniform(0.01, 0.999))][i % 4]
        df = int(rng.integers(1, 50)) if i % 3 == 0 else int(rng.integers(1, 10**6))
        loc = float(rng.normal() * 10.0 ** rng.integers(-5, 6))
        scale = float(abs(rng.normal()) * 10.0 ** rng.integers(-8, 4)) + 1e-12
        want = stats.t.interval(conf, df, loc=loc, scale=scale)
        assert t_interval(conf, df, loc, scale) == (float(want[0]), float(want[1]))
    x = rng.normal(size=250)
    got = summarize(x, 0.9)
    want = stats.t.interval(0.9, 249, loc=float(np.mean(x)), scale=float(np.std(x, ddof=1)) / np.sqrt(250))
    assert (got["ci_low"], got["ci_high"]) == (float(want[0]), float(want[1]))


def test_the_report_ranks_and_t_tails_are_scipy_stats_bit_for_bit():
    # rankdata, t_sf and t_ppf stand for scipy.stats.rankdata, t.sf and t.ppf (whose import costs a second).
    from scipy import stats

    from mmsim.report.markouts import rankdata, t_ppf, t_sf

    rng = np.random.default_rng(11)
    for i in range(400):
        n = int(rng.integers(1, 300))
        x = rng.integers(-5, 6, size=n) if i % 2 else np.round(rng.normal(size=n), int(rng.integers(0, 3)))
        want = stats.rankdata(x)
        assert rankdata(x).dtype == want.dtype and rankdata(x).tobytes() == want.tobytes()
        t, df = float(abs(rng.normal()) * 10.0 ** rng.integers(-3, 3)), int(rng.integers(1, 10**6))
        assert t_sf(t, df) == float(stats.t.sf(t, df))
        q, dff = float(rng.uniform(0.5, 0.9999)), float(rng.uniform(1.0, 5000.0))
        assert t_ppf(q, dff) == float(stats.t.ppf(q, dff))
    assert rankdata(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert np.isnan(rankdata(np.array([1.0, np.nan, 0.0]))).all() and rankdata(np.array([])).size == 0


def test_a_report_and_its_plots_load_no_scipy_stats():
    """scipy.stats costs about a second to import: a report (computed, saved with plots) needs only scipy.special."""
    code = """
import sys, mmsim
from mmsim.synth import SynthConfig, generate
ev = generate(SynthConfig(seed=1, duration=20_000_000_000))
strat = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
res = mmsim.run(ev, strat, mmsim.Config(latency={"feed": "1ms", "entry": "25us", "response": "25us"}))
rep = res.report(ev)
by_age = rep.data["information_age"]["by_age"]
assert any(s["spearman"] for s in rep.data["signals"].values()), "the signal ranks and t tails are used"
assert any(b["spearman"] and b["stale_minus_fresh"]["ci_low"] is not None for b in by_age), "so are the age's"
rep.save(sys.argv[1])
print("scipy.stats" in sys.modules, "scipy.special" in sys.modules)
"""
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        res = subprocess.run([sys.executable, "-c", code, out], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["False", "True"]


def test_a_report_given_the_book_replayed_once_is_the_same_and_other_events_are_refused(hand):
    from mmsim.analysis.lookahead import audit_look_ahead
    from mmsim.errors import DataError
    from mmsim.report import Report
    from mmsim.report.compute import compute_report

    ev, res = hand
    shared = Report(compute_report(res, ev, horizons=["1s"], event_horizons=[1], bbo=mmsim.replay_bbo(ev)))
    alone = report(res, ev, horizons=["1s"], event_horizons=[1])
    assert json.dumps(shared.data, sort_keys=True, default=str) == json.dumps(alone.data, sort_keys=True, default=str)
    with pytest.raises(DataError, match=r"^report: the replayed book holds 5 events, the event array 6$"):
        compute_report(res, ev, bbo=mmsim.replay_bbo(ev[:5]))
    class Idle(mmsim.Strategy):
        def quote(self, view):
            return None

    run = mmsim.run(ev, Idle(), mmsim.Config(decide_every=S // 2))
    assert audit_look_ahead(run, ev).n_decisions > 3
    assert audit_look_ahead(run, ev, bbo=mmsim.replay_bbo(ev)).to_dict() == audit_look_ahead(run, ev).to_dict()
    with pytest.raises(DataError, match=r"^look-ahead audit: the replayed book holds 5 events, the event array 6$"):
        audit_look_ahead(run, ev, bbo=mmsim.replay_bbo(ev[:5]))


def test_hand_spread_decomposition(hand):
    ev, res = hand
    rep = report(res, ev, horizons=["1s"], event_horizons=[1], toxic_horizon="1ev")
    d = rep.data
    # effective = side*(m0 - p): fill 1: 101-100 = 1; fill 2: -(100.5-101) = 0.5; fill 3: 100-101 = -1.
    assert rep.fills["effective_half_spread_ticks"].tolist() == [1.0, 0.5, -1.0]
    assert d["spread"]["effective"]["all"]["ticks"]["mean"] == pytest.approx(0.5 / 3)
    row = {r["horizon"]: r["groups"] for r in d["spread"]["horizons"]}["1ev"]
    # realized at 1ev = markouts [0.5, 1, -1]; impact = side*(m0 - m_h) = [0.5, -0.5, 0].
    assert row["all"]["realized"]["mean"] == pytest.approx(0.5 / 3)
    assert row["all"]["price_impact"]["mean"] == pytest.approx(0.0)
    assert row["all"]["effective"]["mean"] == pytest.approx(row["all"]["realized"]["mean"]
                                                             + row["all"]["price_impact"]["mean"])
    assert row["taker"]["realized"]["mean"] == -1.0
    np.testing.assert_array_equal(rep.fills["price_impact_1ev_ticks"], [0.5, -0.5, 0.0])
    # Toxic at 1ev: only the taker fill (markout -1) -> 1 of 3, qty 1 of 4.
    assert d["toxic_share"] == pytest.approx(1 / 3)
    assert d["toxic_share_qty"] == pytest.approx(1 / 4)
    np.testing.assert_array_equal(rep.fills["toxic"], [0.0, 0.0, 1.0])


def test_hand_pnl_exact(hand):
    ev, res = hand
    p = report(res, ev, horizons=["1s"], event_horizons=[]).data["pnl"]
    # Half-ticks: spread = 2*(202-200) + 1*(201-202)*-1 + 1*(200-202) = 4 + 1 - 2 = 3.
    # Positions 2, 1, 2 held across mids 202 -> 201 -> 200 -> end 200:
    # inventory = 2*(201-202) + 1*(200-201) + 2*(200-200) = -3.
    # Independently: cash = -(200) + 101 - 101 = -200 ticks, position 2 at end mid 100:
    # 2*cash + pos*2*mid = -400 + 400 = 0 = 3 - 3.
    assert p["half_ticks"] == {"spread_capture": 3, "inventory": -3, "total_before_fees": 0}
    assert p["spread_capture"] == 0.75 and p["inventory"] == -0.75  # tick_value 0.5 -> 0.25 per half-tick
    assert p["fees"] == pytest.approx(0.15)
    assert p["total"] == p["spread_capture"] + p["inventory"] - p["fees"]
    assert p["total"] == pytest.approx(-0.15)
    assert p["position"] == 2 and p["end_mid"] == 100.0
    assert p["cash"] == pytest.approx(-200 * 0.5 - 0.15)


def test_the_summary_rows_under_the_total_add_up_to_it(hand):
    # A newcomer added the indented rows (spread capture, inventory, "fees (− rebates)") and did
    # not get the total: the fee row showed the cost (-37.34 for a net rebate) that the total
    # subtracts. The row now shows what it adds: −fees.
    from mmsim.report.render import _summary_rows

    ev, res = hand
    rows = dict(_summary_rows(report(res, ev, horizons=["1s"], event_horizons=[]).data))
    # From test_hand_pnl_exact: capture 0.75, inventory -0.75, fees 0.15 (a cost), total -0.15.
    assert [rows["PnL total (mark to mid)"], rows["  spread capture"], rows["  inventory"],
            rows["  − fees (+ rebates)"]] == ["-0.15", "0.75", "-0.75", "-0.15"]
    # The same kind: a net rebate (negative fees) adds, and no fee at all is 0.00, never -0.00.
    for fee, shown in ((-0.1, "0.10"), (0.0, "0.00")):
        one = result_of([fill(S // 2, 1, 100, 2, 100, 102, fee=fee / 2), fill(S, 1, 100, 2, 100, 102, fee=fee / 2)])
        d = report(one, ev, horizons=["1s"], event_horizons=[]).data
        assert d["pnl"]["fees"] == pytest.approx(fee)
        rows = dict(_summary_rows(d))
        assert rows["  − fees (+ rebates)"] == shown


def test_inventory_is_time_weighted_over_the_header_s_span_not_the_opening_snapshot():
    """ESH4: a Databento day's 00:00 book, then the session from 22:00; the report's mean |position|
    (0.07) and time at limit (1.4%) were weighted over 24 hours, the header's span 2h00m (newcomer)."""
    day0 = 1_703_462_400 * S  # 2023-12-25 00:00 UTC
    t0 = day0 + 22 * 3600 * S  # the market's first event, 22 h after the snapshot
    ev = make_events([(day0, Kind.CLEAR, 0, 0, 0), (day0, Kind.DEPTH, 1, 100, 5), (day0, Kind.DEPTH, -1, 102, 5),
                      (t0, Kind.DEPTH, 1, 100, 6), (t0 + 3 * S, Kind.DEPTH, 1, 100, 7),
                      (t0 + 4 * S, Kind.DEPTH, 1, 100, 8)])
    # Long 2 from t0 + 1 s, flat from t0 + 3 s: over the 4 s from t0, mean |pos| 2 * 2 / 4 = 1, at limit 2 half the time.
    res = result_of([fill(t0 + S, 1, 100, 2, 100, 102), fill(t0 + 3 * S, -1, 102, 2, 100, 102, oid=2)])
    inv = report(res, ev, horizons=["1s"], event_horizons=[], position_limit=2).data["inventory"]
    assert (inv["mean_abs"], inv["mean"], inv["time_at_limit"]) == (1.0, 1.0, 0.5)
    assert (inv["from_ts"], inv["to_ts"]) == (t0, t0 + 4 * S)
    # The same kind: a snapshot the market follows within the minute (a LOBSTER first row) stays in the span.
    ev2 = make_events([(t0 - 30 * S, Kind.CLEAR, 0, 0, 0), (t0 - 30 * S, Kind.DEPTH, 1, 100, 5),
                       (t0 - 30 * S, Kind.DEPTH, -1, 102, 5), (t0, Kind.DEPTH, 1, 100, 6),
                       (t0 + 4 * S, Kind.DEPTH, 1, 100, 8)])
    inv2 = report(res, ev2, horizons=["1s"], event_horizons=[], position_limit=2).data["inventory"]
    assert inv2["from_ts"] == t0 - 30 * S
    assert (inv2["mean_abs"], inv2["time_at_limit"]) == (4 / 34, 2 / 34)


def test_the_terminal_report_prints_user_text_with_square_brackets_as_written(hand):
    """A symbol, store path or strategy parameter with "[/x]" in it raised rich's MarkupError in the report's
    header (a traceback after the run was written), and a "[word]" was dropped (breaker)."""
    import io

    from rich.console import Console

    ev, res = hand
    for symbol in ("ES[/x]", "SY[bold]M"):
        res.meta = {"symbol": symbol}
        console = Console(width=200, record=True, file=io.StringIO())
        report(res, ev, horizons=["1s"], event_horizons=[]).print(console)
        assert f"mmsim report — {symbol}" in console.export_text()
    # The same kind in the header's rows: a strategy parameter.
    res.run_config = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path="x.py:X", params={"tag": "[/q] t[bold]ag"}))
    console = Console(width=200, record=True, file=io.StringIO())
    report(res, ev, horizons=["1s"], event_horizons=[]).print(console)
    assert "[/q] t[bold]ag" in console.export_text()


def test_inventory_stats_and_cancel_race(hand):
    ev, res = hand
    d = report(res, ev, horizons=["1s"], event_horizons=[], position_limit=2).data
    inv = d["inventory"]
    # Position 0 on [0, .5), 2 on [.5, 1.5), 1 on [1.5, 2.5), 2 on [2.5, 3]: over 3s.
    assert inv["mean_abs"] == pytest.approx((2 * 1.0 + 1 * 1.0 + 2 * 0.5) / 3)
    assert inv["max_abs"] == 2 and inv["final"] == 2
    assert inv["time_at_limit"] == pytest.approx(1.5 / 3)
    # The strategy's max_position comes from the run description the result belongs to.
    res.run_config = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path="x.py:X", params={"max_position": 1}))
    inv1 = report(res, ev, horizons=["1s"], event_horizons=[]).data["inventory"]
    assert inv1["limit"] == 1 and inv1["time_at_limit"] == pytest.approx(2.5 / 3)
    # max_position: inf is the reference strategies' "no limit" (docs/strategies.md): no limit in the
    # report either, where it was "position_limit must be a positive number of lots, got inf" after the run.
    for unlimited in (math.inf, float("inf")):
        res.run_config = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path="x.py:X",
                                                                       params={"max_position": unlimited}))
        inv2 = report(res, ev, horizons=["1s"], event_horizons=[]).data["inventory"]
        assert inv2["limit"] is None and inv2["time_at_limit"] is None
    race = d["cancel_race"]
    assert race["count"] == 1 and race["qty"] == 1
    assert race["markouts"]["1s"]["mean"] == 1.0
    # markout 1 tick * 1 lot * tick_value 0.5
    assert race["markout_pnl"] == pytest.approx(0.5)


def test_the_time_at_limit_row_writes_its_limit_as_the_table_writes_lots(hand):
    """A fresh user's: `Time at limit (|pos| ≥ 1000000000) 0.0%` (examples/synth_run.yaml's max_position,
    out of reach on purpose) beside `max |pos|` written `1,000`: the limit is thousands separated too,
    a float limit as an integer when it is one, and a fraction as given."""
    from mmsim.report.render import _summary_rows

    ev, res = hand
    for limit, label, share in ((1_000_000_000, "Time at limit (|pos| ≥ 1,000,000,000)", "0.0%"),
                                (1500.0, "Time at limit (|pos| ≥ 1,500)", "0.0%"),
                                (1.5, "Time at limit (|pos| ≥ 1.5)", "50.0%"),
                                # a breaker's: a fraction read 1.23457e+06 and 12,345.7
                                (1234567.5, "Time at limit (|pos| ≥ 1,234,567.5)", "0.0%"),
                                (12345.678, "Time at limit (|pos| ≥ 12,345.678)", "0.0%")):
        rows = dict(_summary_rows(report(res, ev, horizons=["1s"], event_horizons=[], position_limit=limit).data))
        assert rows[label] == share


def test_fill_rate_and_order_to_trade(hand):
    ev, res = hand
    orders = np.zeros(6, dtype=ORDER_LOG_DTYPE)
    orders["event"] = [OrderEvent.SENT, OrderEvent.SENT, OrderEvent.CANCEL_SENT, OrderEvent.SENT,
                       OrderEvent.SENT, OrderEvent.REJECTED]
    orders["qty"] = [2, 3, 3, 1, 2, 2]
    res.orders = orders
    d = report(res, ev, horizons=["1s"], event_horizons=[]).data["fills"]
    assert d["quoted_qty"] == 8 and d["qty"] == 4
    assert d["fill_rate"] == pytest.approx(0.5)
    assert d["order_to_trade"] == pytest.approx(4 / 3)
    assert d["cancels_sent"] == 1 and d["rejects"] == 1
    # turnover: (100*2 + 101 + 101) ticks*lots * tick_value 0.5
    assert d["turnover"] == pytest.approx(201.0)


def equity_0_2_2_minus_3(t0, before=()):
    """Events and a run (tick_value 1) whose mark-to-mid equity is 0, 2, 2, -3 at t0, t0 + 1s, 2s, 3s.

    The book 100/102 (mid 101) from t0; a buy of 1 at 99 at t0 + 0.5s: equity -99 + 101 = 2; the ask
    empties at t0 + 1.5s (the last two-sided mid, 101, stays the mark); at t0 + 2.5s the book moves to
    95/97 (mid 96): equity -99 + 96 = -3; the last event, at t0 + 3s, moves no price. Max drawdown 5.
    (These tests gave the equity as hand samples without fills; the report now marks the fills to the
    exchange mid and reads no sample: the same equity, from trading.)
    """
    K = Kind
    ev = make_events([*before, (t0, K.DEPTH, 1, 100, 6), (t0, K.DEPTH, -1, 102, 5),
                      (t0 + 3 * S // 2, K.DEPTH, -1, 102, 0),
                      (t0 + 5 * S // 2, K.DEPTH, 1, 100, 0), (t0 + 5 * S // 2, K.DEPTH, 1, 95, 5),
                      (t0 + 5 * S // 2, K.DEPTH, -1, 97, 5), (t0 + 3 * S, K.DEPTH, 1, 95, 6)])
    return ev, result_of([fill(t0 + S // 2, 1, 99, 1, 100, 102)], config=mmsim.Config(sample_every=S))


def test_equity_drawdown_and_sharpe_from_the_fills_and_the_mid():
    ev, res = equity_0_2_2_minus_3(0)
    d = report(res, ev, horizons=["1s"], event_horizons=[]).data
    assert d["risk"]["max_drawdown"] == pytest.approx(5.0)
    # Grid 0,1,2,3s: increments 2, 0, -5; one calendar day -> sqrt(3) scaling.
    inc = np.array([2.0, 0.0, -5.0])
    assert d["risk"]["sharpe_daily"] == pytest.approx(inc.mean() / inc.std(ddof=1) * np.sqrt(3))
    assert d["risk"]["pnl_by_day"] == {"1970-01-01": -3.0}


def test_days_of_data_are_the_calendar_days_touched_at_most_the_span_rounded_up():
    """The one count every "per day" divides by (mmsim._days.n_days), by hand."""
    from mmsim._days import n_days

    day, hour, minute = 86_400 * S, 3600 * S, 60 * S
    # the 2024 Binance samples: 23:54:16 to 00:00:01, 2 dates, 5m45s -> 1 (it was 2)
    assert n_days(day - 5 * minute - 44 * S, day + S) == 1
    # three equity sessions, 14:30 on day 0 to 21:00 on day 2: 3 dates, 2 d 6.5 h -> 3
    assert n_days(14 * hour + 30 * minute, 2 * day + 21 * hour) == 3
    # a 25-hour crypto capture, 23:30 on day 0 to 00:30 on day 2: 3 dates -> 2
    assert n_days(23 * hour + 30 * minute, 2 * day + 30 * minute) == 2
    # one session; exactly 24 h from midnight to midnight; a single instant
    assert (n_days(14 * hour, 21 * hour), n_days(day, 2 * day), n_days(day, day)) == (1, 1, 1)
    # A breaker's find: a Friday and a Monday session (14:30 on day 4 to 21:00 on day 7) touch 2 dates, not
    # the 4 from one to the other: given the data's times, the dates among them count.
    fri = np.arange(4 * day + 14 * hour + 30 * minute, 4 * day + 21 * hour, hour)
    mon = np.arange(7 * day + 14 * hour + 30 * minute, 7 * day + 21 * hour + 1, hour)
    ts = np.concatenate([fri, mon, [7 * day + 21 * hour]])
    assert n_days(int(ts[0]), int(ts[-1]), ts) == 2
    assert n_days(int(ts[0]), int(ts[-1])) == 4
    # the times given never count more than the span allows (6 minutes across midnight: 1)
    assert n_days(day - 5 * minute, day + S, np.array([day - 5 * minute, day + S])) == 1


def test_days_of_data_in_the_report_are_the_dates_the_events_touch_and_one_at_an_instant():
    """A breaker's finds: report.json's risk.n_days was 0 for data at one instant (n_days says at least 1),
    and a Friday and a Monday session counted 4 days (every date between). The report counts the dates
    its events touch."""
    day, hour = 86_400 * S, 3600 * S
    one = make_events([(5 * S, Kind.DEPTH, 1, 100, 1), (5 * S, Kind.DEPTH, -1, 101, 1)])
    assert report(result_of([]), one, horizons=["1s"], event_horizons=[]).data["risk"]["n_days"] == 1
    two = make_events([(4 * day + 15 * hour, Kind.DEPTH, 1, 100, 1), (4 * day + 15 * hour, Kind.DEPTH, -1, 101, 1),
                       (7 * day + 20 * hour, Kind.DEPTH, 1, 100, 2)])
    assert report(result_of([]), two, horizons=["1s"], event_horizons=[]).data["risk"]["n_days"] == 2


def test_sharpe_of_a_capture_across_midnight_divides_by_one_day():
    """The hand samples moved to 2 s before midnight: the data touches 2 calendar days but spans 3 s,
    which is 1 day (mmsim._days.n_days). Sharpe = the 1 s Sharpe * sqrt(3 intervals / 1 day); it was
    sqrt(3 / 2). pnl_by_day keeps one entry per calendar date."""
    day = 86_400 * S
    t0 = day - 2 * S
    ev, res = equity_0_2_2_minus_3(t0)  # the fall, at t0 + 2.5s, comes after midnight
    d = report(res, ev, horizons=["1s"], event_horizons=[]).data
    inc = np.array([2.0, 0.0, -5.0])
    assert d["risk"]["n_days"] == 1
    assert d["risk"]["sharpe_daily"] == pytest.approx(inc.mean() / inc.std(ddof=1) * np.sqrt(3))
    assert d["risk"]["pnl_by_day"] == {"1970-01-01": 2.0, "1970-01-02": -5.0}


def test_sharpe_of_a_25_hour_capture_over_three_dates_divides_by_two_days():
    """23:30 on 1970-01-01 to 00:30 on 1970-01-03: 3 calendar dates, a span of 25 h, hence 2 days. A 5 h
    grid: equity 0, 1, 3, 2, 6, 4, increments 1, 2, -1, 4, -2; Sharpe = mean / sd * sqrt(5 / 2) (it was
    sqrt(5 / 3))."""
    hour = 3600 * S
    t0 = 23 * hour + 30 * 60 * S
    ts = [t0 + 5 * k * hour for k in range(6)]
    K = Kind
    ev = make_events([(ts[0], K.DEPTH, 1, 100, 5), (ts[0], K.DEPTH, -1, 102, 5), (ts[-1], K.DEPTH, 1, 101, 5)])
    # Equity = cash, from a round trip (buy 1 at 100, sell 1 at 100 + gain a second later) in each 5 h
    # interval: at 00:30, 05:30, 10:30 and 15:30 on 1970-01-02 and at 00:15 on 1970-01-03 (the last gain is
    # the third date's). The test gave the equity as hand samples without fills (the report reads none now).
    when = [ts[k] + hour for k in range(4)] + [ts[4] + 4 * hour + 45 * 60 * S]
    fills = []
    for k, (t, gain) in enumerate(zip(when, [1, 2, -1, 4, -2])):
        fills += [fill(t, 1, 100, 1, 100, 102, oid=2 * k + 1), fill(t + S, -1, 100 + gain, 1, 100, 102, oid=2 * k + 2)]
    d = report(result_of(fills, config=mmsim.Config(sample_every=5 * hour)), ev, horizons=["1s"],
               event_horizons=[]).data
    inc = np.array([1.0, 2.0, -1.0, 4.0, -2.0])
    assert d["risk"]["n_days"] == 2
    assert d["risk"]["sharpe_daily"] == pytest.approx(inc.mean() / inc.std(ddof=1) * np.sqrt(5 / 2))
    assert d["risk"]["pnl_by_day"] == {"1970-01-01": 0.0, "1970-01-02": 6.0, "1970-01-03": -2.0}


def test_the_sharpe_row_names_the_span_over_one_day_or_less():
    """The 6-minute Binance capture printed `Sharpe (daily) -2.21`: over a day of data or less the figure is
    the Sharpe of the whole span's PnL (not scaled to 24 hours), and the row now names the span. Over more
    days it stays `Sharpe (daily)`; a report.json written before risk.span_ns keeps that label."""
    from mmsim.report.render import _sharpe_label

    day = 86_400 * S
    assert _sharpe_label({"n_days": 1, "span_ns": 5 * 60 * S + 46 * S}) == "Sharpe (over 5m46s)"
    assert _sharpe_label({"n_days": 1, "span_ns": 6 * 3600 * S + 30 * 60 * S}) == "Sharpe (over 6h30m)"
    assert _sharpe_label({"n_days": 2, "span_ns": day + 3600 * S}) == "Sharpe (daily)"
    # The interval (breaker15a: `--sharpe-interval 5m` and `1ns`, silently widened to 172932ns, printed the same
    # label as the default 1 s for three different figures): another interval is another Sharpe.
    assert _sharpe_label({"n_days": 1, "span_ns": 346 * S, "sharpe_interval": "1s"}) == "Sharpe (over 5m46s, 1s intervals)"
    assert _sharpe_label({"n_days": 1, "span_ns": 346 * S, "sharpe_interval": "172932ns"}) == (
        "Sharpe (over 5m46s, 172932ns intervals)")
    assert _sharpe_label({"n_days": 2, "span_ns": day + 3600 * S, "sharpe_interval": "60s"}) == (
        "Sharpe (daily, 60s intervals)")
    assert _sharpe_label({"n_days": 1}) == "Sharpe (daily)"  # an old report.json
    assert _sharpe_label({"n_days": 1, "span_ns": 0}) == "Sharpe (daily)"  # data at one instant: no Sharpe


@pytest.mark.parametrize("fill_at", [1_000, 3600 * S], ids=["at-the-snapshot", "in-the-gap"])
def test_a_fill_before_a_set_apart_market_start_is_in_the_first_sharpe_interval(fill_at):
    """breaker15a: a taker buy of 5 at 102 against an opening snapshot set apart (2 h before the market) made
    -2.5 marked to the mid 101.5, but the Sharpe's grid began at the market's start with equity already -2.5:
    its intervals added up to 0, not `pnl.total` (compare's first bucket has the fill). The first interval now
    starts from nothing. The market: mid 101.5 for 2 s then 103 (+7.5 on the long 5, to a PnL of 5), so the increments are
    -2.5 + 0 (snapshot to the first point, then t0 to t0 + 1 s), +7.5: [-2.5, 7.5], Sharpe over one day
    mean / sd * sqrt(2); a fill at the snapshot's time or in the gap alike."""
    K = Kind
    t0 = 7200 * S
    ev = make_events([(0, K.CLEAR, 0, 0, 0), (0, K.DEPTH, 1, 101, 5), (0, K.DEPTH, -1, 102, 5),
                      (t0, K.DEPTH, 1, 101, 6), (t0 + 3 * S // 2, K.DEPTH, 1, 101, 7),
                      (t0 + 2 * S, K.DEPTH, -1, 102, 0), (t0 + 2 * S, K.DEPTH, -1, 104, 5),
                      (t0 + 2 * S, K.DEPTH, 1, 102, 5)])
    run = result_of([fill(fill_at, 1, 102, 5, 101, 102, maker=False)], config=mmsim.Config(sample_every=S))
    d = report(run, ev, horizons=["1s"], event_horizons=[]).data
    assert d["pnl"]["total"] == pytest.approx(5.0)  # -2.5 at the fill, +7.5 at t0 + 2 s
    inc = np.array([-2.5, 7.5])
    assert (d["risk"]["span_ns"], d["risk"]["n_days"]) == (2 * S, 1)
    assert d["risk"]["sharpe_daily"] == pytest.approx(inc.mean() / inc.std(ddof=1) * np.sqrt(2))


@pytest.mark.parametrize("snapshot_before", [7200 * S, 90_000 * S], ids=["same-date", "the-day-before"])
def test_the_sharpe_grid_starts_with_the_market_after_an_opening_snapshot(snapshot_before):
    """A Databento day: the 00:00 book, then trading two hours later. The Sharpe's 1 s grid ran from the
    snapshot, 7,203 intervals of which 7,200 flat, and its row read `Sharpe (daily)` for data the header
    spans as 3 s. It now covers the header's span: the 3 hand increments 2, 0, -5, scaled by sqrt(3 / 1 day),
    the row `Sharpe (over 3 s)`. The same kind (a breaker's find): the book stamped 25 h before, on the day
    before, counted 2 days of data (Sharpe / sqrt(2), the row `Sharpe (daily)`); the days are the market's,
    1, in the report and in compare's buckets alike."""
    from mmsim.analysis.buckets import bucket_edges, bucket_series
    from mmsim.report.render import _summary_rows

    midnight = 1_703_462_400 * S
    t0 = midnight + 7200 * S
    snap = t0 - snapshot_before
    ev, run = equity_0_2_2_minus_3(t0, [(snap, Kind.CLEAR, 0, 0, 0), (snap, Kind.DEPTH, 1, 100, 5),
                                        (snap, Kind.DEPTH, -1, 102, 5)])
    d = report(run, ev, horizons=["1s"], event_horizons=[]).data
    inc = np.array([2.0, 0.0, -5.0])
    assert (d["risk"]["n_days"], d["risk"]["span_ns"]) == (1, 3 * S)
    assert d["risk"]["sharpe_daily"] == pytest.approx(inc.mean() / inc.std(ddof=1) * np.sqrt(3))
    assert d["risk"]["pnl_by_day"] == {"2023-12-25": -3.0}
    assert dict(_summary_rows(d))["Sharpe (over 3 s, 1s intervals)"] == f"{inc.mean() / inc.std(ddof=1) * np.sqrt(3):.2f}"
    assert bucket_series(run, ev, bucket_edges(ev["exch_ts"], 60 * S), ["1s"]).n_days == 1


def test_the_pnl_plot_spans_the_market_not_the_opening_snapshot(monkeypatch):
    """A breaker's find: ESH4's pnl.png ran from its 00:00 book, 22 flat hours before its 2 of trading. The
    time axis now starts where the header's span does (the market's start); without a snapshot set apart, it
    keeps matplotlib's own limits (from the first event)."""
    import matplotlib.dates as mdates

    import mmsim.report.render as render

    figs = []
    monkeypatch.setattr(render, "png_bytes", lambda fig, **kw: figs.append(fig) or b"")
    midnight = 1_703_462_400 * S
    t0 = midnight + 7200 * S
    ev = make_events([(midnight, Kind.CLEAR, 0, 0, 0), (midnight, Kind.DEPTH, 1, 100, 5),
                      (midnight, Kind.DEPTH, -1, 102, 5), (t0, Kind.DEPTH, 1, 100, 6),
                      (t0 + 3 * S, Kind.DEPTH, 1, 100, 7)])
    rep = report(result_of([]), ev, horizons=["1s"], event_horizons=[])
    render.plot_pnl(rep._computed)
    lo, hi = figs[-1].axes[1].get_xlim()
    as_num = mdates.date2num(np.array([t0, t0 + 3 * S], dtype="datetime64[ns]"))
    assert (lo, hi) == pytest.approx(tuple(as_num), abs=1e-9)
    # The same kind without a snapshot: the axis starts at or before the first event.
    ev2 = make_events([(t0, Kind.DEPTH, 1, 100, 6), (t0, Kind.DEPTH, -1, 102, 6), (t0 + 3 * S, Kind.DEPTH, 1, 100, 7)])
    render.plot_pnl(report(result_of([]), ev2, horizons=["1s"], event_horizons=[])._computed)
    assert figs[-1].axes[1].get_xlim()[0] <= as_num[0]


def test_make_report_is_the_report_function(hand):
    """mmsim.report is an ordinary package; its function has an ordinary name (issue 16 item 3)."""
    ev, res = hand
    rep = mmsim.report.make_report(res, ev, horizons=["1s"], event_horizons=[])
    assert isinstance(rep, mmsim.report.Report)
    assert rep.data["pnl"]["half_ticks"]["spread_capture"] == 3
    assert not callable(mmsim.report) and not callable(mmsim.sweep)


def test_empty_run_reports_zeros(hand):
    ev, _ = hand
    rep = report(result_of([]), ev)
    d = rep.data
    assert d["fills"]["count"] == 0 and d["pnl"]["total"] == 0.0
    assert d["toxic_share"] is None
    assert all(m["groups"]["all"]["n"] == 0 for m in d["markouts"])
    assert json.loads(rep.to_json())["pnl"]["half_ticks"]["total_before_fees"] == 0


def test_fill_record_with_empty_side_falls_back_to_replayed_mid(hand):
    ev, _ = hand
    # At 2s the book moves (bid 99 joins, bid 100 leaves); a fill there whose record lost a side
    # is marked at the mid before 2s (100/101), not after the move.
    res = result_of([fill(S // 2, 1, 100, 1, 100, I64_MAX), fill(2 * S, -1, 101, 1, I64_MIN, 101)])
    rep = report(res, ev, horizons=["1s"], event_horizons=[])
    np.testing.assert_array_equal(rep.fills["mid_at_fill_ticks"], [101.0, 100.5])


# ----------------------------------------------------------------------------- bad input

def test_errors_name_the_problem(hand):
    ev, res = hand
    with pytest.raises(mmsim.ConfigError, match=r"report.horizons\[1\]: cannot read 'soon'"):
        report(res, ev, horizons=["1s", "soon"])
    with pytest.raises(mmsim.ConfigError, match="signal_buckets must be a positive integer, got 0"):
        report(res, ev, signal_buckets=0)
    with pytest.raises(mmsim.DataError, match="the event array is empty"):
        report(res, ev[:0])
    res.cash_ticks += 1
    with pytest.raises(mmsim.DataError, match="fills add up to cash of -200 tick·lots but result.cash_ticks is -199"):
        report(res, ev)
    res.cash_ticks -= 1
    res.position = 5
    with pytest.raises(mmsim.DataError, match="position of 2 lots but result.position is 5"):
        report(res, ev)
    back = result_of([fill(S, 1, 100, 1, 100, 102), fill(S // 2, 1, 100, 1, 100, 102)])
    with pytest.raises(mmsim.DataError, match=r"fill 1 goes back in time"):
        report(back, ev)
    unsorted = ev[[2, 0, 1, 3, 4, 5]]
    with pytest.raises(mmsim.DataError, match=r"event 1: events are not sorted by exch_ts"):
        report(result_of([]), unsorted)
    sig = np.zeros(2, dtype=[(n, "f8") for n in SIGNAL_NAMES])
    res.position = 2
    res.fill_signals = sig
    with pytest.raises(mmsim.DataError, match="fill_signals has 2 rows but there are 3 fills"):
        report(res, ev)


# ----------------------------------------------------------------------------- signal buckets

def test_signal_buckets_hand():
    # 10 fills, each a buy at 100 with the book 100/102; mid at +1s is set per fill so the
    # markout equals a chosen value; signal "ofi" = fill index, so quintiles are pairs.
    marks = [-3, -1, 0, 0, 1, 1, 2, 4, 3, 5]
    rows, fills = [], []
    for i, m in enumerate(marks):
        t = 10 * i * S
        rows += [(t, Kind.CLEAR, 0, 0, 0), (t, Kind.DEPTH, 1, 100, 1), (t, Kind.DEPTH, -1, 102, 1),
                 (t + S, Kind.CLEAR, 0, 0, 0), (t + S, Kind.DEPTH, 1, 99 + m, 1),
                 (t + S, Kind.DEPTH, -1, 101 + m, 1)]
        fills.append(fill(t, 1, 100, 1, 100, 102))
    rows.append((200 * S, Kind.TRADE, 1, 100, 1))
    ev = make_events(rows)
    sig = np.full(10, np.nan, dtype=[(n, "f8") for n in SIGNAL_NAMES])
    sig["ofi"] = np.arange(10.0)
    sig["spread"] = 2.0  # constant: one bucket, no rank correlation
    d = report(result_of(fills, signals=sig), ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s").data
    ofi = d["signals"]["ofi"]
    assert [b["n"] for b in ofi["buckets"]] == [2, 2, 2, 2, 2]
    assert [b["markout_ticks"]["mean"] for b in ofi["buckets"]] == [-2.0, 0.0, 1.0, 3.0, 4.0]
    assert [(b["lo"], b["hi"]) for b in ofi["buckets"]] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    assert [b["toxic_share"] for b in ofi["buckets"]] == [1.0, 0.0, 0.0, 0.0, 0.0]
    from scipy import stats

    ref = stats.spearmanr(np.arange(10.0), marks)
    assert ofi["spearman"]["rho"] == pytest.approx(ref.statistic, rel=1e-12)
    assert ofi["spearman"]["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert d["signals"]["spread"]["buckets"][0]["n"] == 10 and len(d["signals"]["spread"]["buckets"]) == 1
    assert d["signals"]["spread"]["spearman"] is None
    assert d["signals"]["vpin"]["n"] == 0 and d["signals"]["vpin"]["buckets"] == []


# ----------------------------------------------------------------------------- real data

AMZN_MSG = "AMZN_2012-06-21_34200000_57600000_message_1.csv"
AMZN_OB = "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"


@lru_cache(maxsize=1)
def amzn():
    """AMZN 2012-06-21 as L2 top-of-book events (tests/_lobster.py), each message's time and LOBSTER's book."""
    from _lobster import MIDNIGHT_NY_20120621, lobster_l2_events

    msg, ob = shared_data("lobster", AMZN_MSG), shared_data("lobster", AMZN_OB)
    ev = lobster_l2_events(msg, ob)
    msg_ts = np.round(np.loadtxt(msg, delimiter=",", usecols=(0,)) * 1e9).astype(np.int64) + MIDNIGHT_NY_20120621
    book = np.loadtxt(ob, delimiter=",", dtype=np.int64)
    return ev, msg_ts, book


class RandomQuoter(mmsim.Strategy):
    """Seeded random quotes around the local best: random offsets (some crossing), sizes, pulls."""

    def __init__(self, seed: int, cross: bool) -> None:
        self.seed, self.cross = seed, cross
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        r = self.rng
        lo = -2 if self.cross else 0  # a negative offset crosses the spread (taker fills)
        bid = view.best_bid - int(r.integers(lo, 3))
        ask = view.best_ask + int(r.integers(lo, 3))
        if ask <= bid:
            ask = bid + 1
        size = lambda: int(r.integers(0, 400)) if r.random() < 0.9 else 0  # noqa: E731 (sometimes pull a side)
        return mmsim.Quote(bid, size(), ask, size())


def random_run(seed: int, window: int = 10_000):
    """A random strategy with random latency, fees and timer on a random window of the AMZN day."""
    ev, _, _ = amzn()
    rng = np.random.default_rng(1000 + seed)
    start = int(rng.integers(0, ev.shape[0] - window))
    # Whole messages only: a message's events share a timestamp.
    start = int(np.searchsorted(ev["exch_ts"], ev["exch_ts"][start]))
    stop = int(np.searchsorted(ev["exch_ts"], ev["exch_ts"][start + window]))
    part = np.ascontiguousarray(ev[start:stop])
    cross = bool(seed % 2)
    cfg = mmsim.Config(
        tick_size=0.01,
        post_only=not cross,
        decide_every=int(rng.choice([100_000_000, 500_000_000, 1_000_000_000])),
        fees=mmsim.FeeConfig(maker_bps=float(rng.normal(-0.2, 0.1)), taker_bps=0.3,
                             maker_per_lot=float(rng.uniform(0, 0.001))),
        latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=int(rng.integers(0, 5_000_000))),
                                    entry=mmsim.LatencyModel(ns=int(rng.integers(0, 5_000_000))),
                                    response=mmsim.LatencyModel(ns=int(rng.integers(0, 5_000_000)))),
    )
    return part, mmsim.run(part, RandomQuoter(seed, cross), cfg)


@pytest.mark.parametrize("seed", range(6))
def test_pnl_reconciles_exactly_on_real_data(seed):
    ev, res = random_run(seed)
    assert len(res.fills) > 50
    if seed % 2:  # crossing quotes: taker fills are in the mix
        assert (~res.fills["maker"]).any()
    p = report(res, ev, horizons=["1s"], event_horizons=[10], signal_buckets=3).data["pnl"]
    h = p["half_ticks"]
    # Independent total: the engine's own cash and position at LOBSTER's own last mid (half-ticks).
    _, msg_ts, book = amzn()
    row = np.searchsorted(msg_ts, ev["exch_ts"][-1], side="right") - 1
    end2 = int(book[row, 0] // 100 + book[row, 2] // 100)
    assert h["spread_capture"] + h["inventory"] == 2 * res.cash_ticks + res.position * end2
    assert h["total_before_fees"] == 2 * res.cash_ticks + res.position * end2
    # The parts are exact integers before the one conversion, and add up to the total.
    assert p["total"] == p["spread_capture"] + p["inventory"] - p["fees"]
    assert p["fees"] == pytest.approx(res.fees, rel=1e-12, abs=1e-12)
    assert p["total"] == pytest.approx(res.cash + res.position * end2 / 2 * res.tick_value, rel=1e-9, abs=1e-6)
    assert p["position"] == res.position


@pytest.mark.parametrize("seed", range(4))
def test_pnl_reconciles_exactly_on_the_synthetic_market(seed):
    """The same invariant on the seeded synthetic market (L3): runs in a fresh clone, no real data needed."""
    from conftest import synth_day

    day = synth_day("l3")
    ev = day.events
    rng = np.random.default_rng(2000 + seed)
    cross = bool(seed % 2)
    cfg = mmsim.Config(
        tick_size=0.01, post_only=not cross, decide_every=int(rng.choice([10_000_000, 100_000_000])),
        fees=mmsim.FeeConfig(maker_bps=float(rng.normal(-0.2, 0.1)), taker_bps=0.3, maker_per_lot=0.001),
        latency=mmsim.LatencyConfig(feed=int(rng.integers(0, 5_000_000)), entry=int(rng.integers(0, 5_000_000)),
                                    response=int(rng.integers(0, 5_000_000))),
    )
    res = mmsim.run(ev, RandomQuoter(seed, cross), cfg)
    assert len(res.fills) > 50
    if cross:
        assert (~res.fills["maker"]).any()
    p = report(res, ev, horizons=["1s"], event_horizons=[10], signal_buckets=3).data["pnl"]
    h = p["half_ticks"]
    # Independent total: the engine's cash and position at the generator's own last mid.
    end2 = int(day.best_bid[-1] + day.best_ask[-1])
    assert h["total_before_fees"] == 2 * res.cash_ticks + res.position * end2
    assert h["spread_capture"] + h["inventory"] == h["total_before_fees"]
    assert p["total"] == p["spread_capture"] + p["inventory"] - p["fees"]
    assert p["fees"] == pytest.approx(res.fees, rel=1e-12, abs=1e-12)
    assert p["position"] == res.position


class RandomLadder(mmsim.Strategy):
    """Seeded random ladders (0..3 levels a side, unsorted, repeated prices, zero sizes) and, one call in ten,
    a random explicit order (IOC, FOK or market, either side, a random tag)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        r = self.rng

        def levels(best, sign):
            return [(best - sign * int(r.integers(0, 5)), int(r.integers(0, 300))) for _ in range(r.integers(0, 4))]

        orders = []
        if r.random() < 0.1:
            side = int(r.choice([-1, 1]))
            px = (view.best_ask if side > 0 else view.best_bid) + side * int(r.integers(-1, 3))
            kind = int(r.integers(0, 3))
            make = (mmsim.Order.ioc, mmsim.Order.fok)[kind] if kind < 2 else None
            qty = int(r.integers(1, 400))
            tag = int(r.integers(1, 1 << 40))
            orders.append(make(side, px, qty, tag) if make else mmsim.Order.market(side, qty, tag))
        if r.random() < 0.2:
            return mmsim.Quote.keep(orders=orders)
        return mmsim.Quote.ladder(bids=levels(view.best_bid, 1), asks=levels(view.best_ask, -1), orders=orders)


def check_reconciles(res, ev, end2):
    """The exact PnL split against an independent total (cash and position at the last mid, half-ticks)."""
    p = report(res, ev, horizons=["1s"], event_horizons=[10], signal_buckets=3).data
    h = p["pnl"]["half_ticks"]
    assert h["total_before_fees"] == 2 * res.cash_ticks + res.position * end2
    assert h["spread_capture"] + h["inventory"] == h["total_before_fees"]
    assert p["pnl"]["total"] == p["pnl"]["spread_capture"] + p["pnl"]["inventory"] - p["pnl"]["fees"]
    assert p["pnl"]["fees"] == pytest.approx(res.fees, rel=1e-12, abs=1e-12)
    assert p["pnl"]["position"] == res.position
    # The explicit orders' fills are taker fills (with a crossing quote's when post_only is off),
    # counted and marked out as such.
    f = res.fills
    taker, explicit = ~f["maker"], f["order_type"] != mmsim.records.OrderType.LIMIT
    assert explicit.any() and taker[explicit].all() and (f["level"][explicit] == -1).all()
    assert (f["tag"][explicit] >= 1).all() and (f["tag"][~explicit] == 0).all()
    assert (f["level"][~explicit] >= 0).all() and (f["level"][~explicit] >= 1).any()
    if res.config.post_only:
        assert np.array_equal(taker, explicit)
    assert p["fills"]["taker_count"] == int(taker.sum()) and p["fills"]["taker_qty"] == int(f["qty"][taker].sum())
    marks = p["markouts"][1]["groups"]  # the 10-event horizon: every fill but the last few has one
    assert marks["maker"]["n"] + marks["taker"]["n"] == marks["all"]["n"] and marks["taker"]["n"] > 0
    return p


@pytest.mark.parametrize("seed", range(4))
def test_pnl_reconciles_exactly_with_ladders_and_explicit_orders_on_real_data(seed):
    ev, _, book = amzn()
    _, msg_ts, _ = amzn()
    rng = np.random.default_rng(3000 + seed)
    start = int(np.searchsorted(ev["exch_ts"], ev["exch_ts"][int(rng.integers(0, ev.shape[0] - 20_000))]))
    stop = int(np.searchsorted(ev["exch_ts"], ev["exch_ts"][start + 20_000]))
    part = np.ascontiguousarray(ev[start:stop])
    cfg = mmsim.Config(
        tick_size=0.01, ladder_levels=3, post_only=bool(seed % 2), decide_every=int(rng.choice([100_000_000, S])),
        fees=mmsim.FeeConfig(maker_bps=-0.2, taker_bps=0.3, taker_per_lot=0.0005),
        latency=mmsim.LatencyConfig(feed=int(rng.integers(0, 5_000_000)), entry=int(rng.integers(0, 5_000_000)),
                                    response=int(rng.integers(0, 5_000_000))),
    )
    res = mmsim.run(part, RandomLadder(seed), cfg)
    assert len(res.fills) > 50
    row = np.searchsorted(msg_ts, part["exch_ts"][-1], side="right") - 1
    check_reconciles(res, part, int(book[row, 0] // 100 + book[row, 2] // 100))


@pytest.mark.parametrize("seed", range(3))
def test_pnl_reconciles_exactly_with_ladders_and_explicit_orders_on_the_synthetic_market(seed):
    from conftest import synth_day

    day = synth_day("l3")
    cfg = mmsim.Config(tick_size=0.01, ladder_levels=3, post_only=bool(seed % 2), decide_every=50_000_000,
                       fees=mmsim.FeeConfig(maker_bps=-0.2, taker_bps=0.3, maker_per_lot=0.001),
                       latency=mmsim.LatencyConfig(feed=1_000_000 * seed, entry=200_000, response=200_000))
    res = mmsim.run(day.events, RandomLadder(seed), cfg)
    assert len(res.fills) > 50
    check_reconciles(res, day.events, int(day.best_bid[-1] + day.best_ask[-1]))


def numpy_markouts(times, mid2, end_ts, fills, h_ns):
    """Plain reference: each fill's markout against the mid after the last update at or before t + h."""
    out = np.full(len(fills), np.nan)
    for k, f in enumerate(fills):
        target = f["exch_ts"] + h_ns
        if target > end_ts:
            continue
        j = np.nonzero(times <= target)[0][-1]
        out[k] = f["side"] * (mid2[j] / 2.0 - f["price"])
    return out


@lru_cache(maxsize=1)
def amzn_day_run():
    ev, _, _ = amzn()
    cfg = mmsim.Config(tick_size=0.01, decide_every=1_000_000_000, post_only=False,
                       latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=1_000_000),
                                                   entry=mmsim.LatencyModel(ns=1_000_000)))
    return mmsim.run(ev, RandomQuoter(7, cross=True), cfg)


def test_markouts_match_numpy_on_real_data():
    ev, msg_ts, book = amzn()
    res = amzn_day_run()
    f = res.fills
    assert len(f) > 200 and f["maker"].any() and (~f["maker"]).any()
    rep = report(res, ev, horizons=["100ms", "1s", "10s", "60s"], event_horizons=[5, 50], toxic_horizon="1s")
    # Mids straight from LOBSTER's orderbook file, one row per message (not the engine's replay).
    mid2 = book[:, 0] // 100 + book[:, 2] // 100
    end_ts = ev["exch_ts"][-1]
    for label, h in (("100ms", S // 10), ("1s", S), ("10s", 10 * S), ("60s", 60 * S)):
        ref = numpy_markouts(msg_ts, mid2, end_ts, f, h)
        got = rep.fills[f"markout_{label}_ticks"]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_array_equal(got[~np.isnan(got)], ref[~np.isnan(ref)])
        np.testing.assert_allclose(rep.fills[f"markout_{label}_bps"], ref / f["price"] * 1e4, rtol=1e-12)
        m = {r["horizon"]: r for r in rep.data["markouts"]}[label]["groups"]
        assert m["all"]["n"] == int(np.isfinite(ref).sum())
        assert m["all"]["n_past_end"] == int(np.isnan(ref).sum())
        assert m["all"]["ticks"]["mean"] == pytest.approx(np.nanmean(ref), rel=1e-12)
        assert m["all"]["ticks"]["median"] == pytest.approx(np.nanmedian(ref), rel=1e-12)
        for grp, mask in (("sell", f["side"] == -1), ("taker", ~f["maker"])):
            x = ref[mask & np.isfinite(ref)]
            assert m[grp]["ticks"]["mean"] == pytest.approx(x.mean(), rel=1e-12)
            # 95% Student t half-width: t(0.975, df) lies in [1.96, 2.01] for df >= 60.
            half = (m[grp]["ticks"]["ci_high"] - m[grp]["ticks"]["ci_low"]) / 2
            assert 1.96 < half / (x.std(ddof=1) / np.sqrt(x.size)) < 2.01
    # Event clock: k events after the last event at or before the fill, the mid at that event's time.
    for k in (5, 50):
        ref = np.full(len(f), np.nan)
        for i, row in enumerate(f):
            e = np.nonzero(ev["exch_ts"] <= row["exch_ts"])[0][-1] + k
            if e < ev.shape[0]:
                j = np.nonzero(msg_ts <= ev["exch_ts"][e])[0][-1]
                ref[i] = row["side"] * (mid2[j] / 2.0 - row["price"])
        np.testing.assert_array_equal(rep.fills[f"markout_{k}ev_ticks"], ref)
    # Effective half-spread from the fill record's own book; where that book had an empty side
    # (a level moving: the old best removed before the new one is added), LOBSTER's mid after
    # the last message before the fill's time. Impact = effective - realized.
    two_sided = (f["best_bid"] != I64_MIN) & (f["best_ask"] != I64_MAX)
    assert two_sided.mean() > 0.9
    prev = mid2[np.searchsorted(msg_ts, f["exch_ts"], side="left") - 1]
    m0 = np.where(two_sided, f["best_bid"].astype(float) + np.where(two_sided, f["best_ask"], 0), prev)
    eff = f["side"] * (m0 / 2.0 - f["price"])
    np.testing.assert_array_equal(rep.fills["effective_half_spread_ticks"], eff)
    np.testing.assert_array_equal(rep.fills["price_impact_1s_ticks"], eff - rep.fills["markout_1s_ticks"])


def test_result_report_method_matches_function():
    ev, _, _ = amzn()
    res = amzn_day_run()
    a = res.report(horizons=["1s"], event_horizons=[]).data
    b = report(res, ev, horizons=["1s"], event_horizons=[]).data
    assert a == b


# ----------------------------------------------------------------------------- outputs

def test_outputs_written_and_parseable(hand, tmp_path):
    ev, res = hand
    sig = np.zeros(3, dtype=[(n, "f8") for n in SIGNAL_NAMES])
    sig["imbalance"] = [0.1, -0.4, 0.9]
    res.fill_signals = sig
    rep = report(res, ev, horizons=["1s", "2s"], event_horizons=[1])
    written = rep.save(tmp_path)
    assert sorted(written) == ["fills.csv", "markouts.png", "pnl.png", "report.html", "report.json", "signals.png"]
    doc = json.loads((tmp_path / "report.json").read_text())
    for key in ("total", "spread_capture", "inventory", "fees"):
        assert isinstance(doc["pnl"][key], float)
    assert {"markouts", "fills", "toxic_share", "spread", "signals", "inventory", "risk"} <= set(doc)
    assert doc == json.loads(rep.to_json())
    with (tmp_path / "fills.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    assert rows[0]["markout_1s_ticks"] == "0.5" and rows[2]["markout_1s_ticks"] == ""  # past the end
    assert rows[1]["signal_imbalance"] == "-0.4" and rows[1]["after_cancel"] == "1"
    for name in ("pnl.png", "markouts.png", "signals.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_print_shows_the_numbers(hand):
    from rich.console import Console

    ev, res = hand
    con = Console(record=True, width=160)
    report(res, ev, horizons=["1s"], event_horizons=[]).print(con)
    text = con.export_text()
    assert "spread capture" in text and "0.75" in text and "-0.75" in text
    assert "Markouts" in text and "Spread decomposition" in text


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")


def test_html_renders_in_headless_chromium(hand, tmp_path):
    browser = _chromium()
    ev, res = hand
    page = tmp_path / "report.html"
    page.write_text(report(res, ev, horizons=["1s", "2s"], event_horizons=[1]).to_html())
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert '<table id="markouts">' in dom and '<table id="spread">' in dom
    assert dom.count("<img") == 2 and "PnL total (mark to mid)" in dom
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] == 2400 and img.shape[1] == 1200
    # Something besides the white background was painted (tables and the embedded plots).
    assert (img[..., :3] < 0.5).mean() > 0.005


def test_cli_report_round_trip(tmp_path):
    ev, res = random_run(3, window=5_000)
    store = tmp_path / "store"
    store.mkdir()
    np.save(store / "events.npy", ev)
    run_dir = tmp_path / "run"
    res.save(run_dir)
    parser, _ = build_parser()
    args = parser.parse_args(["report", str(run_dir), "--events", str(store), "--horizons", "1s,10s",
                              "--event-horizons", "10", "--toxic-horizon", "10ev", "--quiet",
                              "-o", str(tmp_path / "out")])
    assert args.func is cmd_report
    assert cmd_report(args) == 0
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    direct = json.loads(report(res, ev, horizons=["1s", "10s"], event_horizons=[10], toxic_horizon="10ev").to_json())
    assert doc == direct
    assert doc["run"]["toxic_horizon"] == "10ev"
    written = sorted(x.name for x in (tmp_path / "out").iterdir())
    assert written == ["fills.csv", "information_age.png", "markouts.png", "pnl.png", "report.html", "report.json",
                       "signals.png"]
    # The saved run keeps its decision log: the report of the loaded run audits it.
    assert doc["look_ahead_audit"]["ran"] and doc["look_ahead_audit"]["n_violations"] == 0
    assert doc["information_age"]["n_decisions"] == res.n_calls > 0


def test_cli_report_says_what_a_directory_is_when_it_is_not_a_run(tmp_path):
    """The newcomer's: `mmsim report` on a sweep's folder, a missing folder or an event store said only
    "not a run directory"; `mmsim compare` already told the first two apart."""
    parser, _ = build_parser()

    def err(d):
        with pytest.raises(mmsim.DataError) as exc:
            cmd_report(parser.parse_args(["report", str(d)]))
        return str(exc.value)

    assert err(tmp_path / "nothing") == f"{tmp_path / 'nothing'}: no such directory"
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "results.jsonl").write_text("")
    assert err(sweep) == (f"{sweep}: a sweep's output (results.jsonl), not a run directory: its table and plots are "
                          f"{sweep / 'sweep.html'}; one point's full report is written by `mmsim sweep GRID --point ID` "
                          f"to {sweep / 'points' / 'ID'} (docs/sweeps.md)")
    store = tmp_path / "store"
    store.mkdir()
    (store / "events.npy").write_bytes(b"")
    (store / "meta.json").write_text("{}")
    assert err(store) == (f"{store}: an event store (events.npy, meta.json), not a run directory: `mmsim run CONFIG "
                          "-o DIR` replays it (a config whose data: names it) and writes the run for `mmsim report`")


def test_cli_report_errors(tmp_path):
    parser, _ = build_parser()
    args = parser.parse_args(["report", str(tmp_path)])
    with pytest.raises(mmsim.DataError, match=r"not a run directory \(no result.json"):
        cmd_report(args)
    ev, res = random_run(0, window=2_000)
    res.save(tmp_path)
    with pytest.raises(mmsim.DataError, match="result.json: names no event store; pass --events PATH"):
        cmd_report(args)
    args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "nope")])
    with pytest.raises(mmsim.DataError, match=r"nope/events.npy: event file not found|nope: event file not found"):
        cmd_report(args)
    np.save(tmp_path / "bad.npy", np.zeros(3))
    args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "bad.npy")])
    with pytest.raises(mmsim.DataError, match=r"bad.npy: dtype float64 is not mmsim.EVENT_DTYPE"):
        cmd_report(args)
    np.save(tmp_path / "ev.npy", ev)
    args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "ev.npy"), "--event-horizons", "x"])
    with pytest.raises(mmsim.ConfigError) as info:
        cmd_report(args)
    assert str(info.value) == ("--event-horizons: expected a positive number of market events (an integer, or "
                               "'<k>ev'), got 'x'")
    args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "ev.npy"), "--event-horizons", "0"])
    with pytest.raises(mmsim.ConfigError, match=r"^--event-horizons: expected a positive number of market events "
                                                r"\(an integer, or '<k>ev'\), got 0$"):
        cmd_report(args)



def test_toxic_horizon_in_events_from_a_run_config(hand):
    """``report.toxic_horizon: 1ev`` in a run config is the report's default, as ``toxic_horizon="1ev"`` is."""
    ev, res = hand
    res.run_config = mmsim.RunConfig.from_dict({"strategy": {"path": "fixed_spread"},
                                                "report": {"horizons": ["1s"], "event_horizons": [1],
                                                           "toxic_horizon": "1ev"}})
    assert res.run_config.report.toxic_horizon == "1ev"
    d = report(res, ev).data
    # Toxic at 1ev: only the taker fill (markout -1) -> 1 of 3 (test_hand_spread_decomposition).
    assert d["run"]["toxic_horizon"] == "1ev" and d["toxic_share"] == pytest.approx(1 / 3)
    # The same config at a time horizon: 1s -> fills 1 and 2 have markouts +0.5 and +1, none toxic.
    res.run_config = mmsim.RunConfig.from_dict({"strategy": {"path": "fixed_spread"},
                                                "report": {"horizons": ["1s"], "toxic_horizon": "1s"}})
    assert report(res, ev).data["toxic_share"] == 0.0


@pytest.mark.parametrize("value", ["0ev", "1.5ev", "-2ev"])
def test_an_event_horizon_must_be_a_positive_count_in_the_api_as_in_a_config(hand, value):
    ev, res = hand
    message = (f"report.toxic_horizon: cannot read {value!r}; use a duration or a positive number of market "
               "events '<k>ev', e.g. 100ev")
    with pytest.raises(mmsim.ConfigError) as api:
        report(res, ev, toxic_horizon=value)
    with pytest.raises(mmsim.ConfigError) as config:
        mmsim.RunConfig.from_dict({"strategy": {"path": "fixed_spread"}, "report": {"toxic_horizon": value}})
    assert str(api.value) == str(config.value) == message
    with pytest.raises(mmsim.ConfigError, match=r"^report.event_horizons\[0\]: expected a positive number of market "
                                                r"events \(an integer, or '<k>ev'\), got 0$"):
        report(res, ev, event_horizons=[0])


@pytest.mark.parametrize("value", ["²ev", "1²ev"])
def test_an_event_horizon_of_a_non_ascii_digit_is_a_config_error(hand, value):
    # str.isdigit() takes '²' but int() does not: it was a bare ValueError traceback.
    ev, res = hand
    message = (f"report.toxic_horizon: cannot read {value!r}; use a duration or a positive number of market "
               "events '<k>ev', e.g. 100ev")
    with pytest.raises(mmsim.ConfigError) as config:
        mmsim.RunConfig.from_dict({"strategy": {"path": "fixed_spread"}, "report": {"toxic_horizon": value}})
    assert str(config.value) == message


def test_cli_report_event_horizons_of_a_non_ascii_digit_is_a_config_error(tmp_path):
    parser, _ = build_parser()
    ev, res = random_run(0, window=2_000)
    res.save(tmp_path)
    np.save(tmp_path / "ev.npy", ev)
    args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "ev.npy"), "--event-horizons", "10,²"])
    with pytest.raises(mmsim.ConfigError) as info:
        cmd_report(args)
    assert str(info.value) == ("--event-horizons: expected a positive number of market events (an integer, or "
                               "'<k>ev'), got '²'")


@pytest.mark.parametrize("value", ["99999999999999999999ev", "9223372036854775808ev", "1000000000000000001 ev"])
def test_an_event_horizon_above_10_18_is_a_config_error_not_an_overflow(hand, value):
    # 99999999999999999999ev was an OverflowError traceback from `fill_event + k` in the
    # markouts (mmsim report --toxic-horizon, a run config, a sweep's every point).
    ev, res = hand
    message = (f"report.toxic_horizon: a number of market events must be at most 10^18 "
               f"(1,000,000,000,000,000,000), got {value!r}")
    with pytest.raises(mmsim.ConfigError) as api:
        report(res, ev, toxic_horizon=value)
    with pytest.raises(mmsim.ConfigError) as config:
        mmsim.RunConfig.from_dict({"strategy": {"path": "fixed_spread"}, "report": {"toxic_horizon": value}})
    assert str(api.value) == str(config.value) == message


def test_an_event_horizon_count_above_10_18_is_a_config_error_in_event_horizons(hand):
    ev, res = hand
    with pytest.raises(mmsim.ConfigError) as info:
        report(res, ev, event_horizons=[10, 2**64])
    assert str(info.value) == ("report.event_horizons[1]: a number of market events must be at most 10^18 "
                               "(1,000,000,000,000,000,000), got 18446744073709551616")
    # The bound itself is a horizon: past the end of any store, so no fill has a markout there.
    d = report(res, ev, event_horizons=[10**18]).data
    by = {m["horizon"]: m["groups"] for m in d["markouts"]}
    assert by["1000000000000000000ev"]["all"]["n"] == 0 and by["1s"]["all"]["n"] == 2


def test_cli_report_flags_name_themselves_for_an_event_count_above_10_18(tmp_path):
    parser, _ = build_parser()
    ev, res = random_run(0, window=2_000)
    res.save(tmp_path)
    np.save(tmp_path / "ev.npy", ev)
    for flag, value, shown in [("--toxic-horizon", "99999999999999999999ev", "'99999999999999999999ev'"),
                               ("--event-horizons", "10,99999999999999999999", "99999999999999999999")]:
        args = parser.parse_args(["report", str(tmp_path), "--events", str(tmp_path / "ev.npy"), flag, value])
        with pytest.raises(mmsim.ConfigError) as info:
            cmd_report(args)
        assert str(info.value) == (f"{flag}: a number of market events must be at most 10^18 "
                                   f"(1,000,000,000,000,000,000), got {shown}")
