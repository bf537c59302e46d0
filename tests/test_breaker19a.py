"""breaker19a: the report's numbers against an independent computation (numpy and plain Python, no report code).

Each number a user acts on (markouts and their counts, PnL and its split, Sharpe, inventory, quote presence,
turnover, orders sent) is recomputed here from the run's raw outputs: the Result's fills and order log and the
events, with a book replayed in this file. Faults found: the turnover was a signed sum (negative at negative
prices); a run whose strategy never sent an order read as one without an order log (orders sent null, the reject
rows missing). Rules the docs did not state, now stated and pinned: bps of a fill at a price of 0 or below are left
out; the toxic share is over the fills with a markout at the toxic horizon (fills.csv's `toxic` empty for the
others); a fill with no two-sided mid before it is marked at its own price; a Sharpe from one interval that moved
is its sign, ±1.00 (docs/reports.md, "How to read each number").
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import make_events
from test_compare_digest import l2_events
from test_report import fill, result_of

import mmsim
from mmsim import Kind as K
from mmsim.records import OrderEvent
from mmsim.report.compute import compute_report

S = 1_000_000_000
INT64_MIN, INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def report_of(fills, ev, **kw):
    return compute_report(result_of(fills, **kw), ev, horizons=["1s"], event_horizons=[]).data


# ----------------------------------------------------------------------------- turnover


def test_turnover_is_the_absolute_notional_at_negative_prices():
    """A fault (fixed): ``fills.turnover`` summed ``price × qty`` with its sign, so fills at negative prices (a
    calendar spread; the engine accepts them and charges bps fees on ``|price × qty|``, docs/engine.md item 9)
    read a negative notional. Buy 2 @ −3 and sell 1 @ −1 ticks, tick_value 0.5: (3·2 + 1·1)·0.5 = 3.5 (was −3.5)."""
    ev = make_events([(0, K.DEPTH, 1, -3, 5), (0, K.DEPTH, -1, -1, 5), (3 * S, K.DEPTH, 1, -3, 6)])
    d = report_of([fill(S, 1, -3, 2, -3, -1), fill(2 * S, -1, -1, 1, -3, -1, oid=2)], ev, tick_value=0.5)
    assert d["fills"]["turnover"] == 3.5


def test_turnover_of_a_spread_traded_across_zero_is_not_zero():
    """The same kind: bought 4 @ −1 and sold 4 @ +1 tick (a spread through zero), tick_value 1: 4 + 4 = 8 traded,
    where the signed sum read 0.00, a run with no trading; and the summary row says so."""
    ev = make_events([(0, K.DEPTH, 1, -1, 5), (0, K.DEPTH, -1, 1, 5), (3 * S, K.DEPTH, 1, -1, 6)])
    res = result_of([fill(S, 1, -1, 4, -1, 1), fill(2 * S, -1, 1, 4, -1, 1, oid=2)])
    rep = mmsim.report.make_report(res, ev, horizons=["1s"], event_horizons=[])
    assert rep.data["fills"]["turnover"] == 8.0
    from mmsim.report.render import _summary_rows

    assert dict(_summary_rows(rep.data))["Turnover (notional)"] == "8.00"


# ----------------------------------------------------------------------------- a strategy that never quotes


class _Never(mmsim.Strategy):
    def quote(self, view):
        return None


def test_a_run_that_never_sends_an_order_reads_zero_orders_sent_not_no_order_log(tmp_path):
    """A fault (fixed): a strategy that never quotes has an empty order log, which the activity and reject
    sections took for no order log at all: ``orders_sent``, ``quoted_qty``, ``cancels_sent``, ``rejects`` null
    and the summary's reject rows gone, while quote presence (which reads the same log) said 0% live. The
    run sent 0 orders; so does its saved and loaded copy."""
    from mmsim.report.render import _summary_rows
    from mmsim.result import Result

    ev = l2_events()
    res = mmsim.run(ev, _Never(), mmsim.Config())
    assert res.orders.size == 0
    res.save(tmp_path / "run")
    for r in (res, Result.load(tmp_path / "run")):
        d = r.report(ev).data
        fl = d["fills"]
        assert (fl["orders_sent"], fl["quoted_qty"], fl["cancels_sent"], fl["rejects"]) == (0, 0, 0, 0)
        assert (fl["fill_rate"], fl["order_to_trade"]) == (None, None)  # 0 of 0, and no fill: undefined
        assert d["rejects"]["orders_sent"] == 0 and d["rejects"]["orders"] == {}
        assert (d["presence"]["bid"], d["presence"]["ask"], d["presence"]["none"]) == (0.0, 0.0, 1.0)
        rows = dict(_summary_rows(d))
        assert rows["Orders rejected (of 0 sent)"] == "0 (–)"
        assert rows["Cancels rejected (of 0 sent)"] == "0 (–)"


def test_a_result_without_an_order_log_still_reads_null():
    """The rule kept: a result built by hand with no order log has no order figures (null, no reject rows)."""
    ev = make_events([(0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5), (3 * S, K.DEPTH, 1, 100, 6)])
    d = report_of([fill(S, 1, 100, 1, 100, 102)], ev)
    assert (d["fills"]["orders_sent"], d["fills"]["quoted_qty"], d["rejects"], d["presence"]) == (None, None, None, None)


# ----------------------------------------------------------------------------- rules now in the docs


def test_bps_leave_out_a_fill_at_a_price_of_zero_or_below():
    """Docs (breaker19a): a fill's bps are ticks × 10,000 / p; at p <= 0 it has none and is left out of the bps
    statistics (whose n is below the ticks' n). Book −3/−1 then 99/101 ... : buys at −3 (markout +1 at 1s: mid −2),
    at 0 and at 100, each marked to the mid 1 s on."""
    ev = make_events([
        (0, K.DEPTH, 1, -3, 5), (0, K.DEPTH, -1, -1, 5),                                   # mid -2
        (2 * S, K.CLEAR, 0, 0, 0), (2 * S, K.DEPTH, 1, -1, 5), (2 * S, K.DEPTH, -1, 3, 5),  # mid 1
        (4 * S, K.CLEAR, 0, 0, 0), (4 * S, K.DEPTH, 1, 100, 5), (4 * S, K.DEPTH, -1, 104, 5),  # mid 102
        (9 * S, K.DEPTH, 1, 100, 6),
    ])
    fills = [fill(S // 2, 1, -3, 1, -3, -1), fill(5 * S // 2, 1, 0, 1, -1, 3, oid=2),
             fill(9 * S // 2, 1, 100, 1, 100, 104, oid=3)]
    g = report_of(fills, ev)["markouts"][0]["groups"]["all"]
    # markouts at 1s: -2 - (-3) = 1; 1 - 0 = 1; 102 - 100 = 2 ticks.
    assert g["ticks"]["n"] == 3 and g["ticks"]["mean"] == pytest.approx(4 / 3)
    assert g["bps"]["n"] == 1 and g["bps"]["mean"] == 2 * 1e4 / 100


def test_the_toxic_share_is_over_the_fills_with_a_markout_at_the_toxic_horizon():
    """Docs (breaker19a): ``toxic_share`` and ``toxic_share_qty`` count only fills with a markout at the toxic
    horizon; a fill whose horizon lands on a one-sided book (and one past the end) is in neither count.
    Book 100/102; the ask side empties at 2 s and returns at 3 s at 104; data end at 5 s.
    Sell 3 @ 102 at 0.5 s: mid at 1.5 s 101, markout +1 (not toxic). Buy 1 @ 102 at 0.7 s: mid 101 at 1.7 s,
    −1 (toxic). Buy 5 @ 101 at 1.2 s: at 2.2 s the book is one-sided: no markout. Buy 2 @ 102 at 4.5 s: past
    the end. toxic 1 of 2 fills, 1 of 4 lots (not 1 of 4 fills, 1 of 11 lots)."""
    ev = make_events([(0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5), (2 * S, K.DEPTH, -1, 102, 0),
                      (3 * S, K.DEPTH, -1, 104, 5), (5 * S, K.DEPTH, 1, 100, 6)])
    fills = [fill(S // 2, -1, 102, 3, 100, 102), fill(7 * S // 10, 1, 102, 1, 100, 102, oid=2),
             fill(12 * S // 10, 1, 101, 5, 100, 102, oid=3), fill(9 * S // 2, 1, 102, 2, 100, 104, oid=4)]
    rep = compute_report(result_of(fills), ev, horizons=["1s"], event_horizons=[])
    d = rep.data
    assert d["toxic"] == {"horizon": "1s", "n": 2, "count": 1}
    # fills.csv's `toxic`: 1/0 for a fill with a markout there, an empty cell (NaN) for one without
    np.testing.assert_array_equal(rep.fills["toxic"], [0.0, 1.0, np.nan, np.nan])
    assert d["toxic_share"] == 0.5 and d["toxic_share_qty"] == 0.25
    g = d["markouts"][0]["groups"]["all"]
    assert (g["n"], g["n_no_mid"], g["n_past_end"]) == (2, 1, 1)


def test_a_fill_with_no_two_sided_mid_before_it_is_marked_at_its_own_price():
    """Docs (breaker19a): ``m0`` falls back to the last two-sided mid before the fill, and with none to the fill
    price: spread capture 0, the fill's PnL all inventory. Only a bid of 100 until 2 s, when an ask of 104 joins
    (mid 102). A taker sell 1 @ 101 at 1 s (its record's ask empty): spread capture 0, inventory −1·(102 − 101)
    = −1, total −1. The same kind, a second taker fill, buy 2 @ 100 at 1.5 s (m0 100): positions −1 then +1,
    inventory −1·(100 − 101) + 1·(102 − 100) = 3 = total (cash 101 − 200, +1 at 102), spread capture still 0."""
    ev = make_events([(0, K.DEPTH, 1, 100, 5), (2 * S, K.DEPTH, -1, 104, 5), (3 * S, K.DEPTH, -1, 104, 6)])
    d = report_of([fill(S, -1, 101, 1, 100, INT64_MAX, maker=False)], ev)
    assert (d["pnl"]["spread_capture"], d["pnl"]["inventory"], d["pnl"]["total"]) == (0.0, -1.0, -1.0)
    assert d["spread"]["effective"]["all"]["ticks"]["mean"] == 0.0
    d = report_of([fill(S, -1, 101, 1, 100, INT64_MAX, maker=False),
                   fill(3 * S // 2, 1, 100, 2, 100, INT64_MAX, maker=False, oid=2)], ev)
    assert (d["pnl"]["spread_capture"], d["pnl"]["inventory"], d["pnl"]["total"]) == (0.0, 3.0, 3.0)


# ----------------------------------------------------------------------------- verified on real data


def _book(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best bid and ask after each event (INT64_MIN / INT64_MAX: side empty), replayed here (L2 DEPTH/CLEAR)."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    bb = np.full(len(ev), INT64_MIN, dtype=np.int64)
    ba = np.full(len(ev), INT64_MAX, dtype=np.int64)
    for i, (_, _, p, q, _, k, s) in enumerate(ev.tolist()):
        if k == K.DEPTH:
            b = bids if s == 1 else asks
            if q == 0:
                b.pop(p, None)
            else:
                b[p] = q
        elif k == K.CLEAR:
            if s in (0, 1):
                bids.clear()
            if s in (0, -1):
                asks.clear()
        else:
            assert k in (K.TRADE, K.STATUS), k  # an L2 store: nothing else moves the book
        if bids:
            bb[i] = max(bids)
        if asks:
            ba[i] = min(asks)
    return bb, ba


def _live(orders: np.ndarray, side: int, t1: int) -> list[tuple[int, int]]:
    """The ``(from, to)`` times each order of ``side`` was live: from its ACKED row to its CANCELED, EXPIRED or last
    FILLED row, or to ``t1`` when it is still live at the end."""
    acked: dict[int, int] = {}
    live = []
    for row in orders[orders["side"] == side]:
        e, oid, t = int(row["event"]), int(row["order_id"]), int(row["exch_ts"])
        if e == OrderEvent.ACKED:
            acked[oid] = t
        elif oid in acked and (e in (OrderEvent.CANCELED, OrderEvent.EXPIRED)
                               or (e == OrderEvent.FILLED and row["leaves"] == 0)):
            live.append((acked.pop(oid), t))
    return live + [(a, t1) for a in acked.values()]


def _cover(intervals: list[tuple[int, int]], t0: int, t1: int) -> list[list[int]]:
    """The union of ``intervals`` clipped to ``[t0, t1]``: sorted, disjoint ``[from, to]`` segments."""
    out: list[list[int]] = []
    for a, b in sorted((max(a, t0), min(b, t1)) for a, b in intervals if min(b, t1) > max(a, t0)):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


@pytest.fixture(scope="module")
def spot_run(real_store):
    """The Binance spot example (a lot of 1e-08 BTC, recorded feed, 2 ms entry) on the real 2024-08-08 capture."""
    from mmsim.runner import run_config

    store = real_store("binance", "binance", "spot", "btcusdt_20240808.gz")
    job = dataclasses.replace(mmsim.config.load_yaml("examples/btcusdt_spot.yaml"), data=str(store.path))
    res = run_config(job)
    return store, res, res.report(store).data


@pytest.fixture(scope="module")
def spot_book(spot_run):
    """The spot run's result and report, its events and their times, the best bid and ask after each event (the
    book replayed here, :func:`_book`, once for the module) and where both are quoted:
    ``(res, d, ev, ts, bb, ba, two)``."""
    store, res, d = spot_run
    ev = store.events
    bb, ba = _book(ev)
    return res, d, ev, ev["exch_ts"], bb, ba, (bb != INT64_MIN) & (ba != INT64_MAX)


def test_verified_markouts_pnl_and_inventory_on_real_binance_data(spot_book):
    """Verified by breaker19a: every markout horizon's n, n_past_end, n_no_mid and mean ticks; the PnL split in
    half-ticks; the mean |position| and time at the limit; all recomputed from the fills and a book replayed
    here, on the Binance spot example (731 fills, lot 1e-08, 18 fills within 10 s of the end)."""
    res, d, ev, ts, bb, ba, two = spot_book
    f = res.fills
    assert len(f) > 100
    for h in d["markouts"]:
        vals, past, nomid = [], 0, 0
        for x in f:
            t = int(x["exch_ts"])
            if h["kind"] == "time":
                if t + h["value"] > ts[-1]:
                    past += 1
                    continue
                j = int(np.searchsorted(ts, t + h["value"], "right")) - 1
            else:
                j = int(np.searchsorted(ts, t, "right")) - 1 + h["value"]
                if j >= len(ev):
                    past += 1
                    continue
                j = int(np.searchsorted(ts, ts[j], "right")) - 1  # after every event at that time
            if not two[j]:
                nomid += 1
                continue
            vals.append(int(x["side"]) * (int(bb[j]) + int(ba[j]) - 2 * int(x["price"])) / 2)
        g = h["groups"]["all"]
        assert (g["n"], g["n_past_end"], g["n_no_mid"]) == (len(vals), past, nomid), h["horizon"]
        assert g["ticks"]["mean"] == pytest.approx(float(np.mean(vals)), rel=1e-12), h["horizon"]
    assert any(h["groups"]["all"]["n_past_end"] > 0 for h in d["markouts"])  # the last seconds were exercised
    # PnL: spread capture Σ side (m0 − p) qty and inventory Σ P_i (m_{i+1} − m_i), in half-ticks
    m0 = [int(x["best_bid"]) + int(x["best_ask"]) for x in f]
    assert all(x["best_bid"] != INT64_MIN and x["best_ask"] != INT64_MAX for x in f)
    end = int(np.flatnonzero(two)[-1])
    m_end = int(bb[end]) + int(ba[end])
    pos = np.cumsum(f["side"].astype(np.int64) * f["qty"])
    sc = sum(int(x["side"]) * (m - 2 * int(x["price"])) * int(x["qty"]) for x, m in zip(f, m0))
    inv = sum(int(pos[i]) * ((m0[i + 1] if i + 1 < len(f) else m_end) - m0[i]) for i in range(len(f)))
    assert d["pnl"]["half_ticks"] == {"spread_capture": sc, "inventory": inv, "total_before_fees": sc + inv}
    assert d["pnl"]["end_mid"] == m_end / 2 and d["pnl"]["position"] == int(pos[-1])
    assert d["pnl"]["total"] == pytest.approx((sc + inv) * res.tick_value / 2 - float(f["fee"].sum()), rel=1e-12)
    # Inventory: time-weighted |position| over the span (the run's first event to its last), the time at 0.5 BTC
    t0, t1 = d["inventory"]["from_ts"], d["inventory"]["to_ts"]
    assert (t0, t1) == (int(ts[0]), int(ts[-1]))
    edges = np.concatenate(([t0], np.clip(f["exch_ts"], t0, t1), [t1])).astype(np.int64)
    held = np.abs(np.concatenate(([0], pos))).astype(np.float64)
    dur = np.diff(edges).astype(np.float64)
    assert d["inventory"]["mean_abs"] == pytest.approx((held * dur).sum() / (t1 - t0), rel=1e-12)
    assert d["inventory"]["limit"] == 50_000_000
    assert d["inventory"]["time_at_limit"] == pytest.approx(dur[held >= 50_000_000].sum() / (t1 - t0), rel=1e-12)


def test_verified_sharpe_and_presence_on_real_binance_data(spot_book):
    """Verified by breaker19a: the Sharpe (equity on a 1 s grid from the market's start, the first event after the
    opening snapshot; the first interval from equity 0 and from the first event; the last point the last event;
    mean / sd (ddof 1) × sqrt(intervals / 1 day)), and the bid, ask and two-sided presence (each order live from
    its ACKED row to its CANCELED, EXPIRED or last FILLED row), recomputed from the fills, the order log and the
    book replayed here."""
    res, d, ev, ts, bb, ba, two = spot_book
    f = res.fills
    t0, t1 = int(ts[0]), int(ts[-1])
    assert ev["kind"][0] == K.CLEAR  # the capture opens with a snapshot: the grid is anchored after it
    anchor = int(ts[np.searchsorted(ts, t0, "right")])
    grid = [*range(anchor + S, t1 + 1, S)]
    if grid[-1] != t1:
        grid.append(t1)
    pos = np.concatenate(([0], np.cumsum(f["side"].astype(np.int64) * f["qty"])))
    cash = np.concatenate(([0], np.cumsum(-f["side"].astype(np.int64) * f["price"] * f["qty"])))
    fees = np.concatenate(([0.0], np.cumsum(f["fee"])))
    valid = np.flatnonzero(two)
    eq = []
    for t in grid:
        k = int(np.searchsorted(f["exch_ts"], t, "right"))
        j = valid[max(int(np.searchsorted(valid, np.searchsorted(ts, t, "right") - 1, "right")) - 1, 0)]
        eq.append((2 * int(cash[k]) + int(pos[k]) * (int(bb[j]) + int(ba[j]))) * res.tick_value / 2 - fees[k])
    dq = np.diff(np.concatenate(([0.0], eq)))
    assert d["risk"]["n_days"] == 1 and d["risk"]["sharpe_interval"] == "1s"
    assert d["risk"]["sharpe_daily"] == pytest.approx(dq.mean() / dq.std(ddof=1) * math.sqrt(dq.size), rel=1e-9)
    # presence: the union of each side's live intervals over the span
    cb, ca = (_cover(_live(res.orders, s, t1), t0, t1) for s in (1, -1))
    both = sum(max(0, min(b1, b2) - max(a1, a2)) for a1, b1 in cb for a2, b2 in ca)
    span = t1 - t0
    p = d["presence"]
    assert p["bid"] == pytest.approx(sum(b - a for a, b in cb) / span, rel=1e-12)
    assert p["ask"] == pytest.approx(sum(b - a for a, b in ca) / span, rel=1e-12)
    assert p["two_sided"] == pytest.approx(both / span, rel=1e-12)
    assert 0 < p["two_sided"] < p["bid"] < 1


def test_verified_stale_book_count_and_information_age_on_real_binance_data(spot_book):
    """Verified by breaker19a: the count of maker fills on a stale book (docs/reports.md, "Fills on a stale book":
    the order arrived after a print through its price and through the book's best on its side, with no depth
    update of that side between, and the fill came no later than that side's next update) and the decisions'
    unseen events (events stamped at or before the call, after the newest one in its view) and information age,
    recomputed from the order log, the decision log and the book replayed here."""
    res, d, ev, ts, bb, ba, _two = spot_book
    kind, side, price = ev["kind"], ev["side"], ev["price"]
    updates = {1: ts[((kind == K.DEPTH) & (side == 1)) | ((kind == K.CLEAR) & (side != -1))],
               -1: ts[((kind == K.DEPTH) & (side == -1)) | ((kind == K.CLEAR) & (side != 1))]}
    trades = np.flatnonzero(kind == K.TRADE)
    sent = res.orders[res.orders["event"] == OrderEvent.SENT]
    arrival = dict(zip(sent["order_id"].tolist(), zip(sent["exch_ts"].tolist(), sent["price"].tolist())))
    count = n = 0
    for x in res.fills:
        if not x["maker"] or int(x["order_id"]) not in arrival:
            continue
        n += 1
        a, p = arrival[int(x["order_id"])]
        s = int(x["side"])
        u = updates[s]
        k = int(np.searchsorted(u, a, "right"))  # updates at or before the arrival: u[:k]
        last = u[k - 1] if k else INT64_MIN
        nxt = u[k] if k < len(u) else INT64_MAX
        through = False
        for i in trades[(ts[trades] > last) & (ts[trades] <= a)]:
            if s == 1 and side[i] in (-1, 0) and price[i] < p and price[i] < bb[i]:
                through = True
            if s == -1 and side[i] in (1, 0) and price[i] > p and price[i] > ba[i]:
                through = True
        count += through and int(x["exch_ts"]) <= nxt
    sb = d["stale_book"]
    assert (sb["count"], sb["n_maker"]) == (count, n)
    assert 0 < count < n  # both kinds present: the rule was exercised
    # information age and unseen events of every decision
    dec = res.decisions
    seen = dec["event_index"] >= 0
    unseen = (np.searchsorted(ts, dec["local_ts"], "right") - (dec["event_index"] + 1))[seen]
    age = (dec["local_ts"] - dec["event_exch_ts"])[seen]
    ia = d["information_age"]["decisions"]
    assert ia["unseen"]["n"] == seen.sum() and ia["unseen"]["max"] == unseen.max()
    assert ia["unseen"]["mean"] == pytest.approx(unseen.mean(), rel=1e-12)
    assert ia["unseen_share"] == pytest.approx((unseen > 0).mean(), rel=1e-12)
    assert ia["age"]["mean"] == pytest.approx(age.mean(), rel=1e-12) and ia["age"]["median"] == np.median(age)


def test_verified_queue_score_matching_on_real_lobster_data(real_store):
    """Verified by breaker19a: ``mmsim.score_queue_models``'s matched fills, lots bias, F1 and mean |Δt| per model
    (docs/queue_models.md: pairs on the same side and price within the tolerance, one to one, the most pairs, then
    the least total time difference) recomputed with scipy's assignment solver, on the AMZN LOBSTER day."""
    from scipy.optimize import linear_sum_assignment

    store = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    score = mmsim.score_queue_models(store, models=["risk_averse", "power:2"], fit_powers=None, tolerance="100ms")
    truth = np.asarray(next(iter(score.results.values())).fills)
    assert len(truth) > 1000
    for row in score.rows[1:]:
        model = np.asarray(score.results[row.model].fills)
        matched, lots, dts = 0, 0, []
        for s in (1, -1):
            for p in np.unique(truth["price"][truth["side"] == s]):
                a = truth[(truth["side"] == s) & (truth["price"] == p)]
                b = model[(model["side"] == s) & (model["price"] == p)]
                if not len(b):
                    continue
                dt = np.abs(a["exch_ts"][:, None] - b["exch_ts"][None, :]).astype(np.float64)
                ok = dt <= 100_000_000
                r, c = linear_sum_assignment(np.where(ok, dt - 1e15, 0.0))  # most pairs first, then least |Δt|
                pair = ok[r, c]
                matched += int(pair.sum())
                lots += int(np.minimum(a["qty"][r[pair]], b["qty"][c[pair]]).sum())
                dts += dt[r[pair], c[pair]].tolist()
        t_lots, m_lots = int(truth["qty"].sum()), int(model["qty"].sum())
        assert (row.matched, row.lots_bias) == (matched, m_lots - t_lots), row.model
        assert row.f1 == pytest.approx(2 * lots / (t_lots + m_lots), rel=1e-12)
        assert row.mean_abs_dt_ns == pytest.approx(float(np.mean(dts)), rel=1e-12)


def test_verified_quote_presence_gaps_on_real_lobster_data(real_store):
    """Verified by breaker19a: each side's gaps (docs/reports.md, "Quote presence") counted from the order log
    alone: a gap beginning where an order of the side was filled to 0 is a hit; else the cancel with the highest
    decision at its start decides: a requote when that call also sent a limit order on the side, else a pull;
    and the pull gaps' mean, on the AMZN toxicity-pull example (75 and 68 pulls, 1,831 and 1,849 hits)."""
    from mmsim.records import OrderType
    from mmsim.runner import run_config

    store = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    res = run_config(dataclasses.replace(mmsim.config.load_yaml("examples/amzn_lobster.yaml"), data=str(store.path)))
    p = res.report(store).data["presence"]
    t0, t1 = p["from_ts"], p["to_ts"]
    o = res.orders
    ev_, side_ = o["event"], o["side"]
    limit = (ev_ == OrderEvent.SENT) & (o["order_type"] == OrderType.LIMIT)
    sent_limit = set(zip(o["decision"][limit].tolist(), side_[limit].tolist()))
    for s, name in ((1, "bid"), (-1, "ask")):
        segs = _cover(_live(o, s, t1), t0, t1)
        gaps = [(segs[i][1], segs[i + 1][0]) for i in range(len(segs) - 1)]
        if segs[-1][1] < t1:
            gaps.append((segs[-1][1], t1))
        filled_out = set(o["exch_ts"][(ev_ == OrderEvent.FILLED) & (o["leaves"] == 0) & (side_ == s)].tolist())
        cancels = o[(ev_ == OrderEvent.CANCELED) & (side_ == s)]
        hits = requotes = 0
        pull_gaps = []
        for g0, g1 in gaps:
            if g0 in filled_out:
                hits += 1
            elif (int(cancels["decision"][cancels["exch_ts"] == g0].max()), s) in sent_limit:
                requotes += 1
            else:
                pull_gaps.append(g1 - g0)
        side = p["sides"][name]
        assert (side["hits"], side["requotes"], side["pulls"]) == (hits, requotes, len(pull_gaps)), name
        assert side["pull_gap_mean_ns"] == pytest.approx(float(np.mean(pull_gaps)), rel=1e-12)
        assert hits > 1000 and len(pull_gaps) > 10 and requotes > 10  # each kind exercised


def test_a_sharpe_from_one_interval_that_moved_is_its_sign():
    """Docs (breaker19a), "Inventory and risk": with the equity moving in one grid interval only, the Sharpe is
    mean / sd × √n of one change x among n = sign(x): mean x/n, sd |x|/√n (ddof 1: (x²(1 − 1/n)² + (n − 1)x²/n²)
    / (n − 1) = x²/n). A buy @ 101 and a sell @ 100 at 3 s on a 1 s grid over 3 s: intervals 0, 0, −1 → −1.00;
    a 10 s run whose only round trip earns 7 in its 5th second: +1.00."""
    ev = make_events([(0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5), (S, K.DEPTH, -1, 101, 5),
                      (3 * S, K.DEPTH, 1, 100, 6)])
    d = report_of([fill(3 * S, 1, 101, 1, 100, 101), fill(3 * S, -1, 100, 1, 100, 101, oid=2)], ev,
                  config=mmsim.Config(sample_every=S))
    assert d["pnl"]["total"] == -1.0 and d["risk"]["sharpe_daily"] == pytest.approx(-1.0, rel=1e-12)
    ev = make_events([(0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5), (10 * S, K.DEPTH, 1, 100, 6)])
    d = report_of([fill(4 * S + 1, 1, 100, 7, 100, 102), fill(4 * S + 2, -1, 101, 7, 100, 102, oid=2)], ev,
                  config=mmsim.Config(sample_every=S))
    assert d["pnl"]["total"] == 7.0 and d["risk"]["sharpe_daily"] == pytest.approx(1.0, rel=1e-12)
