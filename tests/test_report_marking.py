"""Equity is marked to the last mid from trading time: a pre-open's crossed book or a halt moves no mark.

A newcomer's find: the report's equity (Sharpe, max drawdown, pnl.png, PnL by day) and compare's bucket
PnL marked a position to the exchange mid at every event, also while the venue was not TRADING (CME's
pre-open, whose book crosses: indicative, not tradeable), so a position held through it swung equity by
the crossed book's mid and the max drawdown was measured from a peak inside the pre-open.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_events, synth_day
from test_report import fill, result_of

import mmsim
from mmsim import Kind
from mmsim.analysis.buckets import bucket_series, forward_mid
from mmsim.events import TradingStatus as TS
from mmsim.plugins import load_strategy
from mmsim.report.compute import compute_report, exchange_mid2
from mmsim.report.equity import equity_at, marking_mid

S = 1_000_000_000
K = Kind


def book(ts, old, new):
    """DEPTH events at ``ts`` moving the book from ``old`` (bid, ask) to ``new`` (5 lots a side)."""
    return [(ts, K.DEPTH, 1, old[0], 0), (ts, K.DEPTH, -1, old[1], 0),
            (ts, K.DEPTH, 1, new[0], 5), (ts, K.DEPTH, -1, new[1], 5)]


def preopen_events():
    """0s: 100/102 (mid 101), trading; 1s: QUOTING (a pre-open); 1.2s: its indicative book 104/108 (mid 106);
    1.5s: 94/96 (mid 95); 2.5s: 96/98 (mid 97); 2.8s: TRADING (on that book); 3s: no price moves."""
    return make_events([
        (0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5),
        (S, K.STATUS, 0, 0, int(TS.QUOTING)),
        *book(12 * S // 10, (100, 102), (104, 108)),
        *book(15 * S // 10, (104, 108), (94, 96)),
        *book(25 * S // 10, (94, 96), (96, 98)),
        (28 * S // 10, K.STATUS, 0, 0, int(TS.TRADING)),
        (3 * S, K.DEPTH, 1, 96, 6),
    ])


def report_of(fills, ev):
    return compute_report(result_of(fills, config=mmsim.Config(sample_every=S)), ev, horizons=["1s"],
                          event_horizons=[])


def test_a_position_held_through_a_crossed_pre_open_keeps_its_last_trading_mark():
    """Buy 2 at 100 at 0.5s (no fee, tick_value 1): cash -200, position 2.

    Marked to every mid, equity read 2 (0.5s, mid 101), 12 (1.2s, the pre-open's 106), -10 (1.5s, its
    95), -6 (2.5s, mid 97): max drawdown 22 from a peak inside the pre-open; the 1 s grid 0, 2, -10, -6,
    increments 2, -12, 4 (Sharpe -2 / sqrt(76) * sqrt(3) = -sqrt(3/19)).
    Marked to the last mid from trading time: 2 from 0.5s through the pre-open (mid 101), -6 at 2.8s,
    the first mid after trading resumes: max drawdown 8; the grid 0, 2, 2, -6, increments 2, 0, -8: mean -2,
    squared deviations 16 + 4 + 36 = 56, / 2 = 28; Sharpe -2 / sqrt(28) * sqrt(3) = -sqrt(3/7).
    The PnL total and its parts are fill-based and at the final mid (97): -6 either way."""
    ev = preopen_events()
    _, mid2, valid = exchange_mid2(ev)
    assert sorted(set(mid2[valid].tolist())) == [190, 194, 202, 212]  # the pre-open's mids 106 and 95 are there
    rep = report_of([fill(S // 2, 1, 100, 2, 100, 102)], ev)
    r = rep.data["risk"]
    assert r["max_drawdown"] == pytest.approx(8.0)
    assert r["sharpe_daily"] == pytest.approx(-np.sqrt(3 / 7))
    assert rep.series["equity"].tolist() == pytest.approx([0.0, 2.0, 2.0, -6.0])
    assert r["pnl_by_day"] == {"1970-01-01": pytest.approx(-6.0)}
    p = rep.data["pnl"]
    assert (p["total"], p["end_mid"], p["spread_capture"], p["inventory"]) == pytest.approx((-6.0, 97.0, 2.0, -8.0))


def test_compare_buckets_mark_alike_and_before_trading_time_the_first_trading_mid():
    """compare's bucket PnL reads the same marks: 1 s buckets from 0 hold 2, 0 (the pre-open moves
    nothing), -8 (the gap shows at 2.8s, when trading resumed). And data opening in a pre-open
    (QUOTING at 0 with an indicative book 110/114, mid 112, gone at 0.9s; TRADING at 1s with a bid at 100 alone; a taker
    buy of 2 at 102 at 1.2s; the ask 102 at 1.5s, mid 101): a position taken before the first mid from
    trading time is marked at that first one, -204 + 2 * 101 = -2, not at the pre-open's 112 (+20)."""
    ev = preopen_events()
    edges = np.array([[0, S], [S, 2 * S], [2 * S, 3 * S + 1]], dtype=np.int64)
    res = result_of([fill(S // 2, 1, 100, 2, 100, 102)])
    bs = bucket_series(res, ev, edges, ["1s"])
    assert bs.pnl.tolist() == pytest.approx([2.0, 0.0, -8.0])

    ev2 = make_events([
        (0, K.STATUS, 0, 0, int(TS.QUOTING)), (0, K.DEPTH, 1, 110, 5), (0, K.DEPTH, -1, 114, 5),
        (9 * S // 10, K.DEPTH, 1, 110, 0), (9 * S // 10, K.DEPTH, -1, 114, 0),
        (S, K.STATUS, 0, 0, int(TS.TRADING)), (S, K.DEPTH, 1, 100, 5),
        (15 * S // 10, K.DEPTH, -1, 102, 5),
        (2 * S, K.DEPTH, 1, 100, 6),
    ])
    exch_ts, mid2_ff, ffvalid = forward_mid(ev2)
    assert ffvalid.tolist() == [False] * 7 + [True, True] and mid2_ff[-1] == 202
    f = np.array([fill(12 * S // 10, 1, 102, 2, 100, 102, maker=False)], dtype=mmsim.records.FILL_DTYPE)
    assert equity_at(f, 1.0, exch_ts, mid2_ff, ffvalid, np.array([13 * S // 10, 2 * S + 1])).tolist() == [-2.0, -2.0]


def test_data_ending_while_not_trading_keep_the_pnl_total_at_the_last_mid():
    """The venue halts at 1s and the book moves to 96/98 (mid 97) at 1.5s; the data end at 2s, halted.
    Inside the halt equity stays 2 (mid 101); the end of the data is marked as the PnL total is, at the
    data's last mid (97): -200 + 2 * 97 = -6, the grid's last point, the drawdown's last (peak 2: 8) and
    compare's last bucket's end (its buckets add up to the total: 2, -8)."""
    ev = make_events([
        (0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5),
        (S, K.STATUS, 0, 0, int(TS.HALTED)),
        *book(15 * S // 10, (100, 102), (96, 98)),
        (2 * S, K.DEPTH, 1, 96, 6),
    ])
    fills = [fill(S // 2, 1, 100, 2, 100, 102)]
    rep = report_of(fills, ev)
    assert (rep.data["pnl"]["total"], rep.data["pnl"]["end_mid"]) == pytest.approx((-6.0, 97.0))
    assert rep.series["equity"].tolist() == pytest.approx([0.0, 2.0, -6.0])
    assert rep.data["risk"]["max_drawdown"] == pytest.approx(8.0)
    exch_ts, mid2_ff, ffvalid = forward_mid(ev)
    f = np.array(fills, dtype=mmsim.records.FILL_DTYPE)
    assert equity_at(f, 1.0, exch_ts, mid2_ff, ffvalid, np.array([16 * S // 10, 2 * S, 2 * S + 1])).tolist() == [
        2.0, 2.0, -6.0]
    edges = np.array([[0, S], [S, 2 * S + 1]], dtype=np.int64)
    assert bucket_series(result_of(fills), ev, edges, ["1s"]).pnl.tolist() == pytest.approx([2.0, -8.0])


def test_data_without_status_events_mark_every_two_sided_mid_bit_for_bit():
    """No STATUS event: the marks are the forward-filled two-sided mids exactly as before, so the risk
    figures are bit-identical to marking them directly."""
    from mmsim.report.pnl import _risk

    ev = synth_day("l3").events
    assert not (ev["kind"] == int(K.STATUS)).any()
    exch_ts, mid2, valid = exchange_mid2(ev)
    has = np.maximum.accumulate(np.where(valid, np.arange(valid.size), -1))
    old = (np.where(has >= 0, mid2[np.maximum(has, 0)], 0), has >= 0)
    new = marking_mid(ev, exch_ts, mid2, valid)
    assert np.array_equal(new[0], old[0]) and np.array_equal(new[1], old[1])
    res = mmsim.run(ev, load_strategy("join_best", {"size": 1}), mmsim.Config(sample_every=S))
    rep = compute_report(res, ev, horizons=["1s"], event_horizons=[])
    from mmsim.report.compute import _fill_columns

    f = _fill_columns(np.asarray(res.fills))
    t0, t1 = int(rep.series["t_start"]), int(rep.series["t_end"])
    risk, _, eq = _risk(f, float(res.tick_value), (exch_ts, *old), rep.data["pnl"]["total"], t0, t1, res.config)
    assert len(res.fills) > 100 and risk == rep.data["risk"] and np.array_equal(eq, rep.series["equity"])


def test_data_that_never_had_a_two_sided_book_and_no_fill_have_no_end_mid():
    """A store of trades only (breaker28: a Databento file of `T` rows, converted as L2): no mid ever, no fill. The
    summary said `End position (lots) @ mid: 0 @ 0.0 ticks` and report.json `end_mid: 0.0`, a mid the data never had.
    It is null (`0 @ –`); the PnL is 0 either way (no position to mark)."""
    ev = make_events([(0, K.TRADE, 1, 100, 1), (S, K.TRADE, -1, 101, 2)])
    rep = report_of([], ev)
    assert rep.data["pnl"]["end_mid"] is None
    assert (rep.data["pnl"]["total"], rep.data["pnl"]["position"]) == (0.0, 0)
    # The second case of the kind: a one-sided book (bids only) all along, no fill: no mid either.
    one_sided = report_of([], make_events([(0, K.DEPTH, 1, 100, 5), (S, K.DEPTH, 1, 99, 3)]))
    assert one_sided.data["pnl"]["end_mid"] is None
    # With a fill and still no two-sided book, the position is marked at the fill's own mid (unchanged): 101.
    marked = report_of([fill(S // 2, 1, 100, 2, 100, 102)], ev)
    assert marked.data["pnl"]["end_mid"] == 101.0
