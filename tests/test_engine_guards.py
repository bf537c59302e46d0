"""Bad input and runaway strategies never hang, wrap, lie or lose the run (issues 15 and 18, engine side).

Each rule from docs/engine.md ("The timer through gaps", "Bad input", "Targets, not
orders", "Stopped runs") on the issue's example, with hand-computed values, and on a
second case of the same kind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import make_events, shared_data

import mmsim
from mmsim import Kind, Order, Quote
from mmsim.records import OrderEvent, RejectReason, Wake

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE
MS, S, DAY = 1_000_000, 1_000_000_000, 86_400_000_000_000
T0 = 1_700_000_000 * S  # 2023-11-14
I64_MAX = np.iinfo(np.int64).max


def cfg(feed: int = 0, entry: int = 0, response: int = 0, **kw) -> mmsim.Config:
    kw.setdefault("signals", mmsim.SignalConfig(enabled=False))
    lat = mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=feed), entry=mmsim.LatencyModel(ns=entry),
                              response=mmsim.LatencyModel(ns=response))
    return mmsim.Config(latency=lat, **kw)


RECORDED = mmsim.LatencyConfig(feed=mmsim.LatencyModel(kind="recorded"))


NO_QUOTE = Quote(0, 0, 0, 0)


class Fixed(mmsim.Strategy):
    def __init__(self, q=NO_QUOTE):
        self.q = q
        self.calls = []

    def quote(self, view):
        self.calls.append((view.ts, view.reason, view.n_events))
        return self.q if self.q.bid_qty or self.q.ask_qty else None


# ------------------------------------------------------------------ the timer through gaps


def test_timer_through_a_one_day_gap_costs_a_minute_of_ticks():
    """Issue 18 1(b): 3 events, a one-day gap, a 1 ms timer: 86.4 M calls before.

    The timer starts with the data at t0 (first tick t0 + 1 ms). Ticks fire while they are
    within max_idle = 60 s of the last market data (t0): t0 + k ms for k = 1..60,000; the
    acks of the quotes sent at the first tick do not keep it awake. Then it sleeps until the
    delivery at t0 + 1 day (on its grid): one call more, 60,001.
    """
    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + DAY, D, BID, 100, 9)])
    s = Fixed(Quote(99, 1, 102, 1))
    r = mmsim.run(ev, s, cfg(decide_every="1ms"))
    assert r.n_calls == len(s.calls) == 60_001
    assert s.calls[59_999][0] == T0 + 60_000 * MS
    assert s.calls[-1] == (T0 + DAY, Wake.MARKET | Wake.TIMER, 3)
    assert len(r.orders) == 4  # two sent, two acked: once
    # With max_idle 10 s: 10,000 ticks and the wake-up call.
    r = mmsim.run(ev, Fixed(Quote(99, 1, 102, 1)), cfg(decide_every="1ms", max_idle="10s"))
    assert r.n_calls == 10_001


def test_a_strategy_requoting_on_every_tick_does_not_keep_the_timer_awake():
    """The same kind with a busy strategy: a new bid on every tick (cancel and replace, 1 ms
    each way), so responses reach it all through the gap. Only market data keeps the timer
    awake: 60,000 ticks and the wake-up call, not 86.4 M (a probe of issue 18 found this one
    still ticking through a three-year gap). The responses that arrive while it sleeps are
    applied: the wake-up call sees no order in flight."""

    class Requote(mmsim.Strategy):
        def __init__(self):
            self.n = 0
            self.last = None

        def quote(self, view):
            self.n += 1
            self.last = (view.bid_order_state, view.n_live_orders)
            return Quote(99 - self.n % 2, 1, 0, 0)

    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + DAY, D, BID, 100, 9)])
    s = Requote()
    r = mmsim.run(ev, s, cfg(entry=MS, response=MS, decide_every="1ms"))
    assert r.n_calls == s.n == 60_001
    assert s.last == (mmsim.records.OrderState.WORKING, 1)
    assert int((r.orders["event"] == OrderEvent.SENT).sum()) == 60_001


def test_timer_through_a_gap_of_the_recorded_feed():
    """The same kind on the local clock: the exchange times are a millisecond apart, but the
    recorded feed delivers the third event 23 hours late. Nothing reaches the strategy for
    23 h: 60,000 ticks (no orders, so the last thing learnt is the data at t0), then the
    timer wakes on its grid at the delivery; the last event's tick comes with it."""
    ev = make_events([(T0, D, BID, 100, 10, 0, T0), (T0, D, ASK, 101, 10, 0, T0),
                      (T0 + MS, D, BID, 100, 9, 0, T0 + 23 * 3600 * S + MS // 2),
                      (T0 + 2 * MS, D, BID, 100, 8, 0, T0 + 23 * 3600 * S + 2 * MS)])
    s = Fixed()
    mmsim.run(ev, s, cfg(decide_every="1ms").replace(latency=RECORDED))
    assert len(s.calls) == 60_000 + 2
    assert s.calls[-2:] == [(T0 + 23 * 3600 * S + MS, Wake.TIMER, 3),
                            (T0 + 23 * 3600 * S + 2 * MS, Wake.MARKET | Wake.TIMER, 4)]


def test_timer_through_a_gap_shorter_than_max_idle_fires_every_tick():
    """No such gap, no change: 30 s of quiet with a 1 ms timer is 30,000 ticks, as always."""
    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + 30 * S, D, BID, 100, 9)])
    s = Fixed()
    mmsim.run(ev, s, cfg(decide_every="1ms"))
    assert [c[0] for c in s.calls] == [T0 + k * MS for k in range(1, 30_001)]


def _timer_calls(deliveries: np.ndarray, dt: int, idle: int) -> tuple[int, int]:
    """Ticks of a timer started by the first delivery (first + k * dt, k >= 1, up to the last
    delivery) that fire under the rule, and all of them: a tick fires when the last delivery at
    or before it is at most `idle` earlier (a strategy that sends no orders hears nothing else)."""
    d = np.unique(deliveries)
    ticks = d[0] + dt * np.arange(1, (d[-1] - d[0]) // dt + 1, dtype=np.int64)
    prev = d[np.searchsorted(d, ticks, side="right") - 1]
    return int(np.count_nonzero(ticks - prev <= idle)), len(ticks)


@pytest.mark.parametrize("dt, max_idle", [(10 * MS, "60s"), (100 * MS, "2s")], ids=["10ms-60s", "100ms-2s"])
def test_timer_calls_on_the_esh4_day_follow_the_rule(tmp_path, dt, max_idle):
    """ESH4's store opens with a snapshot a day before trading and has quiet spells: a timer
    fired through all of them (the whole span on the grid). Now each tick fires only within
    max_idle of the last delivery (recorded feed: the running maximum of local_ts); the count
    is computed here from the delivery times alone."""

    store = _esh4_store(tmp_path)
    local = np.maximum.accumulate(store.events["local_ts"])
    want, before = _timer_calls(local, dt, mmsim.Config(max_idle=max_idle).max_idle)
    s = Fixed()
    r = mmsim.run(store, s, mmsim.Config(decide_every=dt, max_idle=max_idle,
                                         latency=mmsim.LatencyConfig(feed="recorded"),
                                         signals=mmsim.SignalConfig(enabled=False)))
    assert r.n_calls == len(s.calls) == want
    assert before > 8_000_000 // (dt // MS) and want < before / 10  # was every tick of the span
    assert [c[0] for c in s.calls[:3]] == [int(local[0]) + k * dt for k in (1, 2, 3)]


_ESH4: dict[str, object] = {}


def _esh4_store(tmp_path):
    if "store" not in _ESH4:
        from mmsim.data import convert

        _ESH4["store"] = convert([shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")],
                                 tmp_path / "esh4", format="databento")
    return _ESH4["store"]


# ------------------------------------------------------------------ impossible times


@pytest.mark.parametrize("local_ts, message", [
    (I64_MAX, "event 2: local_ts 9223372036854775807 is more than one day after exch_ts 1700000001000000000"),
    (T0 + S + 2 * DAY, "event 2: local_ts 1700172801000000000 is more than one day after exch_ts 1700000001000000000"),
], ids=["int64-max", "two-days"])
def test_recorded_local_ts_far_after_exch_ts_is_a_data_error(local_ts, message):
    """Issue 18 1(a): a recorded local_ts of INT64_MAX (the engine's 'never') hung a timer run."""
    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + S, D, BID, 100, 9, 0, local_ts)])
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(ev, Fixed(Quote(99, 1, 0, 0)), cfg(decide_every="1ms").replace(latency=RECORDED))
    assert str(info.value).startswith(message + ": a recorded feed latency beyond the bound every latency has")
    assert info.value.index == 2


@pytest.mark.parametrize("rows, index, ts", [
    ([(T0, D, BID, 100, 1), (4_102_444_800 * S, D, ASK, 101, 1)], 1, 4_102_444_800 * S),
    ([(-1, D, BID, 100, 1), (T0, D, ASK, 101, 1)], 0, -1),
    ([(T0, D, BID, 100, 1), (I64_MAX, T, ASK, 100, 1)], 1, I64_MAX),
], ids=["year-2100", "negative", "int64-max"])
def test_exch_ts_outside_the_plausible_range_is_a_data_error(rows, index, ts):
    ev = make_events(rows)
    message = (f"event {index}: exch_ts {ts} is outside the plausible range [0, 4102444800000000000) ns "
               "(1970-01-01 to 2100-01-01 UTC): a timestamp in the wrong unit, or a corrupt one")
    for call in (lambda: mmsim.run(ev, Fixed(Quote(100, 1, 0, 0)), cfg(decide_every="1ms")),
                 lambda: mmsim.replay_bbo(ev), lambda: mmsim.signals.compute(ev)):
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert str(info.value) == message and info.value.index == index


def test_a_lognormal_latency_is_cut_to_one_day():
    """exp(sigma * z) with sigma 10 and a 1 ms median passes a day for z > 1.83 (about 3% of
    draws) and overflows any clock further out: each latency, min_ns included, is at most one
    day. Entry (min 0) and response (min 5 us) latencies, read off the order log. The data
    ends two days later, so every order reaches the exchange before its last event (one
    arriving after it is never matched, nor answered)."""
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10)]
    rows += [(T0 + k * MS, D, BID, 100, 10 + k % 2) for k in range(1, 400)] + [(T0 + 2 * DAY, D, BID, 100, 10)]
    entry = mmsim.LatencyModel(kind="lognormal", median_ns=MS, sigma=10.0)
    response = mmsim.LatencyModel(kind="lognormal", median_ns=MS, sigma=10.0, min_ns=5_000)
    c = cfg(max_orders=4096).replace(latency=mmsim.LatencyConfig(entry=entry, response=response, seed=3))

    class Flip(mmsim.Strategy):
        def quote(self, view):
            return Quote(99 - view.n_events % 2, 1, 0, 0)

    r = mmsim.run(make_events(rows), Flip(), c)
    o = r.orders
    sent = np.isin(o["event"], [OrderEvent.SENT, OrderEvent.CANCEL_SENT])
    to_exchange = o["exch_ts"][sent] - o["local_ts"][sent]
    answered = np.isin(o["event"], [OrderEvent.ACKED, OrderEvent.CANCELED])
    to_local = o["local_ts"][answered] - o["exch_ts"][answered]
    assert len(to_exchange) > 700 and len(to_local) > 700
    assert to_exchange.max() == DAY and to_exchange.min() >= 0
    assert to_local.max() == DAY and to_local.min() >= 5_000


# ------------------------------------------------------------------ checked arithmetic


def test_a_quote_notional_past_2_62_is_a_strategy_error():
    """Issue 18 3: buying 2^50 lots at 10,000 ticks reported positive cash (the product wrapped)."""
    ev = make_events([(1000, D, BID, 10_000, 10), (1000, D, ASK, 10_001, 10), (2000, T, ASK, 9_999, 1)])
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Fixed(Quote(10_000, 2**50, 0, 0)), cfg())
    assert str(info.value) == (
        "strategy Fixed returned an invalid quote at local time 1000 ns (1970-01-01T00:00:00.000001000Z): quote "
        "bid_qty = 1125899906842624 at bid_px = 10000 is a notional of 1.125899906842624e+19 tick*lots, beyond the "
        "2^62 the engine accounts exactly")
    # The ask side, at a negative price (a spread): |price| counts.
    with pytest.raises(mmsim.StrategyError, match="quote ask_qty = 1125899906842624 at ask_px = -10001 is a notional"):
        mmsim.run(ev, Fixed(Quote(0, 0, -10_001, 2**50)), cfg())


def test_cash_that_would_overflow_is_a_data_error_naming_the_event():
    """Each quote of 2^48 lots at 10,000 ticks is valid (2.8e18 tick*lots); the fourth fill
    takes cash to -1.1e19, past int64. That fill's event (5) is named; the run's first three
    fills are kept in its partial result."""
    rows = [(1000, D, BID, 10_000, 10), (1000, D, ASK, 10_001, 10)] + [(2000 + 1000 * k, T, ASK, 9_999, 1)
                                                                      for k in range(4)]
    ev = make_events(rows)
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(ev, Fixed(Quote(10_000, 2**48, 0, 0)), cfg())
    assert str(info.value) == ("event 5: the fill of our order 4 (buy 281474976710656 lots at 10000 ticks) makes "
                               "the run's cash overflow int64 tick*lots: prices and sizes this large cannot be "
                               "accounted exactly")
    part = info.value.partial
    assert part.partial and len(part.fills) == 3
    assert part.cash_ticks == -3 * 2**48 * 10_000 == -int(np.sum(part.fills["price"].astype(object) * part.fills["qty"]))
    # The sell side, short: cash grows past +2^63 instead.
    rows = [(1000, D, BID, 9_999, 10), (1000, D, ASK, 10_000, 10)] + [(2000 + 1000 * k, T, BID, 10_001, 1)
                                                                     for k in range(4)]
    with pytest.raises(mmsim.DataError, match=r"^event 5: the fill of our order 4 \(sell 281474976710656 lots"):
        mmsim.run(make_events(rows), Fixed(Quote(0, 0, 10_000, 2**48)), cfg())


@pytest.mark.parametrize("side", [BID, ASK], ids=["bid", "ask"])
def test_an_l3_level_total_past_int64_is_a_data_error(side):
    """Issue 18 3: an L3 level's total overflowed to a negative size."""
    ev = make_events([(1000, Kind.ADD, side, 100, I64_MAX - 5, 1), (1000, Kind.ADD, side, 100, 6, 2)])
    for call in (lambda: mmsim.run(ev, None, cfg()), lambda: mmsim.replay_bbo(ev), lambda: mmsim.signals.compute(ev)):
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert str(info.value) == "event 1: ADD of order 2 for qty 6 makes the level at price 100 hold more than 2^63-1 lots"


@pytest.mark.parametrize("kind, price", [(D, -(2**63)), (D, 2**62), (T, 2**62 + 1), (T, -(2**62) - 1),
                                         (Kind.ADD, 2**63 - 1)],
                         ids=["depth-int64-min", "depth-edge", "trade", "trade-edge", "add-int64-max"])
def test_prices_outside_2_62_ticks_are_a_data_error(kind, price):
    """The book's sentinels (INT64_MIN: no bid, INT64_MAX: no ask) are never real levels:
    prices lie in [-2^62, 2^62). A bid at -2^62 or an ask at 2^62 - 1 first (the edges
    inside) is fine; the bad event is the second. (The two edges in one book are 2^63 ticks
    apart, which the 2^34-tick rule of the whole book refuses: pinned below.)"""
    name = Kind(kind).name
    for edge in [(1000, D, BID, -(2**62), 1), (1000, D, ASK, 2**62 - 1, 1)]:
        ev = make_events([edge, (2000, kind, BID, price, 1, 9)])
        for call in (lambda ev=ev: mmsim.replay_bbo(ev), lambda ev=ev: mmsim.run(ev, None, cfg())):
            with pytest.raises(mmsim.DataError) as info:
                call()
            assert str(info.value) == (f"event 1: {name} has price {price} outside the range the engine accepts "
                                       "([-2^62, 2^62) ticks)")
    assert mmsim.replay_bbo(make_events([(1000, D, BID, -(2**62), 1)]))["best_bid"].tolist() == [-(2**62)]
    assert mmsim.replay_bbo(make_events([(1000, D, ASK, 2**62 - 1, 1)]))["best_ask"].tolist() == [2**62 - 1]
    both = make_events([(1000, D, BID, -(2**62), 1), (1000, D, ASK, 2**62 - 1, 1)])
    with pytest.raises(mmsim.DataError, match=r"^event 1: price 4611686018427387903 is too far from price "
                                              r"-4611686018427387904 \(event 0\) for one book: "):
        mmsim.replay_bbo(both)


# ------------------------------------------------------------------ memory


def _far_levels(n: int) -> np.ndarray:
    """n levels, each on its own page of 4,096 ticks, alternating bids below and asks above."""
    k = np.arange(n)
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = T0 + k
    ev["local_ts"] = ev["exch_ts"]
    ev["kind"] = int(D)
    ev["side"] = np.where(k % 2 == 0, BID, ASK)
    ev["price"] = np.where(k % 2 == 0, 1_000_000_000 - 5_000 * k, 1_000_005_000 + 5_000 * k)
    ev["qty"] = 1 + k % 3
    return ev


def test_far_apart_levels_do_not_cost_a_page_each(tmp_path):
    """Issue 18 8: 32 k crafted events, each level on its own page, took 2.4 GB (a 4096-tick
    page each). A side keeps at most 1,024 pages (33 MiB); the rest cost a map entry. Peak
    memory of a fresh process replaying them, less its footprint after importing mmsim."""
    np.save(tmp_path / "far.npy", _far_levels(32_768))
    code = textwrap.dedent(f"""
        import resource, numpy as np, mmsim
        ev = np.load({str(tmp_path / 'far.npy')!r})
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mmsim.replay_bbo(ev)
        mmsim.signals.compute(ev)
        mmsim.run(ev, None, mmsim.Config(signals=mmsim.SignalConfig(enabled=False)))
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
    """)
    # The child imports the installed mmsim, as this process does (src/ holds no built extension
    # in a clean checkout, so PYTHONPATH=src would not import).
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    grown_mb = int(out.stdout.split()[-1])
    assert grown_mb < 200, f"replaying 32,768 far-apart levels grew the process by {grown_mb} MB"


def test_far_apart_levels_keep_the_book_exact():
    """Levels past the page budget live in a sorted map: the best bid/ask and sizes after every
    event equal a plain dictionary book's, on both sides, through removals and a clear."""
    rng = np.random.default_rng(5)
    ev = _far_levels(3_000)
    more = np.zeros(3_000, dtype=mmsim.EVENT_DTYPE)
    more["exch_ts"] = more["local_ts"] = T0 + 3_000 + np.arange(3_000)
    more["kind"] = int(D)
    pick = rng.integers(0, 3_000, 3_000)
    more["side"] = ev["side"][pick]
    more["price"] = ev["price"][pick]
    more["qty"] = rng.integers(0, 3, 3_000)  # 0 removes the level (often a far one: the best moves)
    more[1_500]["kind"], more[1_500]["side"], more[1_500]["price"], more[1_500]["qty"] = int(Kind.CLEAR), ASK, 0, 0
    ev = np.concatenate([ev, more])
    got = mmsim.replay_bbo(ev)
    book = {BID: {}, ASK: {}}
    for i, e in enumerate(ev):
        if e["kind"] == Kind.CLEAR:
            book[int(e["side"])].clear()
        elif e["qty"]:
            book[int(e["side"])][int(e["price"])] = int(e["qty"])
        else:
            book[int(e["side"])].pop(int(e["price"]), None)
        bb = max(book[BID]) if book[BID] else np.iinfo(np.int64).min
        ba = min(book[ASK]) if book[ASK] else I64_MAX
        assert (got["best_bid"][i], got["best_ask"][i]) == (bb, ba), i
        assert got["bid_qty"][i] == book[BID].get(bb, 0) and got["ask_qty"][i] == book[ASK].get(ba, 0), i


# ------------------------------------------------------------------ reject storms and the no-progress guard


class AtTheAsk(mmsim.Strategy):
    """Bid at the local best ask: through the book, so every order is rejected post-only."""

    def quote(self, view):
        if view.ask_qty <= 0:
            return None
        return Quote(view.best_ask, 1, 0, 0)


def _storm_market(n: int = 2_000) -> np.ndarray:
    """A book whose bid size changes every millisecond while the best prices stay put, except
    that the ask steps to 102 and back at t0 + 1 s and t0 + 1.5 s."""
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10)]
    rows += [(T0 + k * MS, D, BID, 100, 10 + k % 3) for k in range(1, n)]
    rows += [(T0 + 1000 * MS, D, ASK, 102, 4), (T0 + 1000 * MS, D, ASK, 101, 0), (T0 + 1500 * MS, D, ASK, 101, 7)]
    return make_events(sorted(rows, key=lambda r: r[0]))


@pytest.mark.parametrize("latency", [0, 1, 100_000], ids=["zero", "1ns", "100us"])
def test_a_quote_through_the_book_is_not_resent_until_the_book_moves(latency):
    """Issue 15.1: a crossing quote was re-sent on every reject (46.8 M orders in one run; with
    zero latency a no-progress stop blaming the strategy). The same target goes out again only
    when the local best bid or ask changes: here at the start and after the ask's two moves."""
    r = mmsim.run(_storm_market(), AtTheAsk(), cfg(latency, latency, latency))
    ev = r.orders["event"]
    assert int((ev == OrderEvent.SENT).sum()) == 3
    rej = r.orders[ev == OrderEvent.REJECTED]
    assert len(rej) == 3 and (rej["reason"] == RejectReason.POST_ONLY_WOULD_CROSS).all()
    assert rej["price"].tolist() == [101, 102, 101]
    report = r.report()
    assert report.data["rejects"]["orders"] == {"POST_ONLY_WOULD_CROSS": 3}
    assert any("post-only crossing" in w for w in report.data["warnings"])


def test_a_numba_quote_through_the_book_is_bounded_on_a_real_day():
    """The same kind on the numba path over a real day (BTCUSDT, 1 ns latencies): orders sent
    are bounded by the changes of the local best bid/ask, not by the latency."""
    from mmsim.numba_strategy import numba_strategy

    @numba_strategy
    def through(view, params, state, out):
        if view.ask_qty <= 0:
            return 0
        out.bid_px = view.best_ask
        out.bid_qty = 1
        out.ask_qty = 0
        return 1

    store = mmsim.load(str(_btc_store()))
    ev = store.events[:100_000]
    r = mmsim.run(ev, through(), cfg(1, 1, 1))
    bbo = mmsim.replay_bbo(ev)
    changes = int(np.count_nonzero((np.diff(bbo["best_bid"]) != 0) | (np.diff(bbo["best_ask"]) != 0)))
    sent = int((r.orders["event"] == OrderEvent.SENT).sum())
    assert 0 < sent <= changes + 1
    assert len(r.fills) == 0


_STORE: dict[str, object] = {}


def _btc_store():
    if "btc" not in _STORE:
        import tempfile

        from mmsim.data import convert

        d = tempfile.mkdtemp(prefix="mmsim-btc-")
        _STORE["btc"] = convert([shared_data("binance", "usdm", "btcusdt_20240808.gz")], f"{d}/btc",
                                format="binance").path
    return _STORE["btc"]


class Flip(mmsim.Strategy):
    """A new target on every call: one tick further each time, in turn (or through the book)."""

    def __init__(self, cross=False):
        self.n = 0
        self.cross = cross

    def quote(self, view):
        self.n += 1
        if self.cross:
            return Quote(view.best_ask + self.n % 2, 1, 0, 0)
        return Quote(view.best_bid - 1 - self.n % 2, 1, 0, 0)


@pytest.mark.parametrize("cross", [False, True], ids=["requotes", "crossing"])
def test_no_progress_guard_sees_a_livelock_with_nanosecond_latencies(cross):
    """Issue 18 1(c): with 1 ns latencies a strategy that changes its quotes on every response
    made ~500 M calls over one second of data, each at its own nanosecond (the guard counted
    calls at one time). It stops after 100,000 calls on responses alone, naming the cause."""
    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + S, D, BID, 100, 9)])
    s = Flip(cross)
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, s, cfg(0, 1, 1))
    # The first call is the market's at t0; each later one is woken by a response 2 ns after the
    # one before (1 ns to the exchange, 1 ns back). The 100,001st of those, at t0 + 200,002 ns, is
    # stopped before the strategy sees it: 1 + 100,000 calls.
    stop = T0 + 200_002
    why = ("100000 of those responses were post-only rejects (POST_ONLY_WOULD_CROSS): its quotes cross the book "
           "and change after each reject (a rejected target is sent again only once it or the local best bid/ask "
           "changes, or a view from after the reject shows it crossing nothing). Quote at or behind the best bid "
           "and ask the view shows, or set post_only: false to take "
           "liquidity") if cross else (
        "it changes its quotes, or sends explicit orders, on every response, and each change sends orders whose "
        "responses call it again. Keep a quote until the market moves, or decide on a timer (decide_every)")
    assert str(info.value) == (
        f"strategy Flip stopped at local time {mmsim.engine.format_ts(stop)}: the strategy was called 100000 times "
        f"in a row on responses to its own orders alone, with no market data or timer in between: {why}")
    assert s.n == 100_001
    assert info.value.partial.partial and info.value.partial.n_calls == 100_001


# ------------------------------------------------------------------ guard stops keep the run


class Stacker(mmsim.Strategy):
    """Move the bid one tick at every market update from the 50th on: with a long entry
    latency, cancels and new orders pile up until max_orders stops the run."""

    def quote(self, view):
        if view.n_events < 50:
            return Quote(100, 1, 0, 0)
        return Quote(100 - view.n_events % 7, 1, 0, 0)


def _stacker_market() -> np.ndarray:
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10)]
    rows += [(T0 + k * MS, T if k % 10 == 0 else D, ASK if k % 10 == 0 else BID, 100, 1 + k % 3) for k in range(1, 200)]
    return make_events(rows)


def test_max_orders_stop_says_what_to_change_and_keeps_a_partial_result():
    """Issue 15.2: `more than max_orders=64 live orders` lost six hours of a run."""
    ev = _stacker_market()
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Stacker(), cfg(entry=20 * MS, response=20 * MS, max_orders=8))
    msg = str(info.value)
    assert msg.endswith("more than max_orders=8 live orders (orders waiting for a cancel confirmation count): raise "
                        "max_orders, decide less often (decide_every), or replace quotes less eagerly (each new target "
                        "cancels the working order and sends another, and both stay live until the cancel is "
                        "confirmed, one entry plus one response latency later)")
    part = info.value.partial
    assert part.partial and part.stop_reason == msg
    assert len(part.fills) > 0 and part.position == int(np.sum(part.fills["side"] * part.fills["qty"]))
    assert part.samples["exch_ts"][-1] == part.stop_ts < ev["exch_ts"][-1]
    assert part.samples["position"][-1] == part.position
    # The events before the stop replay to the same fills in a run that ends there.
    cut = ev[ev["exch_ts"] < part.stop_ts]
    whole = mmsim.run(cut, Stacker(), cfg(entry=20 * MS, response=20 * MS, max_orders=8))
    assert whole.fills.tobytes() == part.fills.tobytes()


def test_mmsim_run_saves_a_stopped_run_marked_partial(tmp_path):
    """`mmsim run` writes the result up to the stop with "partial": true and the reason in
    result.json and the report's header, and exits 1 with the error."""
    from mmsim.data.store import write_store

    write_store(tmp_path / "store", _stacker_market(), {"symbol": "TEST", "tick_size": 0.01, "lot_size": 1.0,
                                                          "contract_size": 1.0, "levels": "L2"})
    (tmp_path / "stacker.py").write_text(textwrap.dedent('''
        import mmsim
        from mmsim import Quote

        class Stacker(mmsim.Strategy):
            def quote(self, view):
                if view.n_events < 50:
                    return Quote(100, 1, 0, 0)
                return Quote(100 - view.n_events % 7, 1, 0, 0)
    '''))
    (tmp_path / "run.yaml").write_text(textwrap.dedent("""
        data: store
        strategy: {path: stacker.py:Stacker}
        latency: {entry: 20ms, response: 20ms}
        max_orders: 8
    """))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(tmp_path / "run.yaml"), "-o", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()
    assert err[-1].startswith("mmsim: error: strategy Stacker stopped at local time ")
    assert "more than max_orders=8 live orders" in err[-1]
    assert err[-2].startswith("mmsim run: the run stopped; its partial result up to the stop (")
    doc = json.loads((out / "result.json").read_text())
    assert doc["partial"] is True and "more than max_orders=8 live orders" in doc["stop_reason"]
    rep = json.loads((out / "report.json").read_text())
    assert rep["setup"]["partial"] is True and rep["partial"]["n_events"] < rep["partial"]["n_events_given"] == 201
    assert rep["warnings"][0].startswith("PARTIAL RESULT: the run stopped at exchange time 2023-11-14")
    assert "status" in proc.stdout and "PARTIAL: the run stopped before the end of the data" in proc.stdout
    assert "PARTIAL" in (out / "report.html").read_text()
    back = mmsim.Result.load(out)
    assert back.partial and back.stop_reason == doc["stop_reason"]


def test_a_bad_event_mid_run_keeps_a_partial_result_too():
    """The other cause of a stop: a bad event half way (a negative size at event 120)."""
    ev = _stacker_market()
    ev[120]["qty"] = -3
    with pytest.raises(mmsim.DataError, match="^event 120: DEPTH has negative qty -3$") as info:
        mmsim.run(ev, Fixed(Quote(100, 1, 0, 0)), cfg())
    part = info.value.partial
    assert part.partial and part.stop_ts == ev["exch_ts"][119]
    # The same fills as a run of the events before the bad one, which ends there.
    whole = mmsim.run(ev[:120], Fixed(Quote(100, 1, 0, 0)), cfg())
    assert len(whole.fills) > 0 and part.fills.tobytes() == whole.fills.tobytes()
    rep = part.report(ev)
    assert rep.data["partial"]["n_events"] == 120


# ------------------------------------------------------------------ the same guards on ladders and explicit orders


class LadderAtTheTouch(mmsim.Strategy):
    """Two levels on one side: the inner one at the far best price (through the book, so
    rejected post-only), the outer one a tick behind its own best (it rests)."""

    def __init__(self, side):
        self.side = side
        self.calls = []

    def quote(self, view):
        self.calls.append(view.ts)
        if self.side == BID:
            return Quote.ladder(bids=[(view.best_ask, 1), (view.best_bid - 1, 1)], asks=[])
        return Quote.ladder(bids=[], asks=[(view.best_bid, 1), (view.best_ask + 1, 1)])


@pytest.mark.parametrize("side", [BID, ASK], ids=["bid-ladder", "ask-ladder"])
def test_a_ladder_level_rejected_post_only_is_held_until_the_book_moves(side):
    """The reject hold is per target level. Calls at 1000 (both levels sent), 1200 (the
    inner level's reject and the outer's ack: held), 2000-4000 (the other side's size
    changes, the best prices do not: held), 5000 (the far best moves a tick away: the
    inner target follows it, is sent and rejected again), 5200 (held), 6000 (held): 3
    orders sent, 2 rejects, the outer level acked once and never replaced."""
    far = ASK if side == BID else BID
    near_px, far_px = (100, 101) if side == BID else (101, 100)
    away = far_px + (1 if side == BID else -1)
    rows = [(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10)]
    rows += [(t, D, side, near_px, 10 + t // 1000) for t in (2000, 3000, 4000)]
    rows += [(5000, D, far, far_px, 0), (5000, D, far, away, 5), (6000, D, side, near_px, 3)]
    s = LadderAtTheTouch(side)
    r = mmsim.run(make_events(rows), s, cfg(0, 100, 100, ladder_levels=2))
    assert s.calls == [1000, 1200, 2000, 3000, 4000, 5000, 5200, 6000]
    o = r.orders
    sent = o[o["event"] == OrderEvent.SENT]
    assert list(zip(sent["local_ts"], sent["level"], sent["price"])) == [
        (1000, 0, far_px), (1000, 1, near_px - side), (5000, 0, away)]
    rejected = o[o["event"] == OrderEvent.REJECTED]
    assert list(zip(rejected["exch_ts"], rejected["price"])) == [(1100, far_px), (5100, away)]
    assert (rejected["reason"] == RejectReason.POST_ONLY_WOULD_CROSS).all()
    assert int((o["event"] == OrderEvent.ACKED).sum()) == 1 and int((o["event"] == OrderEvent.CANCEL_SENT).sum()) == 0


def test_a_quote_changed_after_a_reject_is_sent_at_once():
    """The hold lasts only while the target stays: a strategy that answers a reject with a
    smaller size through the same book is sent again at once (5 sizes, 5 rejects)."""

    class Shrinking(mmsim.Strategy):
        def __init__(self):
            self.size = 6

        def quote(self, view):
            if view.reason & Wake.REJECT:
                self.size -= 1
            return Quote(view.best_ask, self.size, 0, 0) if self.size > 1 else None

    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (9000, D, BID, 100, 9)])
    r = mmsim.run(ev, Shrinking(), cfg(0, 100, 100))
    rejected = r.orders[r.orders["event"] == OrderEvent.REJECTED]
    assert rejected["qty"].tolist() == [6, 5, 4, 3, 2] and rejected["exch_ts"].tolist() == [1100, 1300, 1500, 1700, 1900]


def test_an_explicit_order_notional_past_2_62_is_a_strategy_error():
    ev = make_events([(1000, D, BID, 10_000, 10), (1000, D, ASK, 10_001, 10), (2000, D, BID, 10_000, 9)])

    class Send(mmsim.Strategy):
        def __init__(self, answer):
            self.answer = answer

        def quote(self, view):
            return self.answer

    when = f"at local time {mmsim.engine.format_ts(1000)}"
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Send(Quote.keep(orders=[Order.ioc(BID, 10_001, 2**50)])), cfg())
    assert str(info.value) == (f"strategy Send sent an invalid order {when}: order 0 order_qty = 1125899906842624 at "
                               "order_px = 10001 is a notional of 1.1260124968333083e+19 tick*lots, beyond the 2^62 "
                               "the engine accounts exactly")
    # A ladder level, the same bound (the ask side's second level).
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Send(Quote.ladder(asks=[(10_001, 1), (10_000, 2**50)])), cfg(ladder_levels=2))
    assert str(info.value) == (f"strategy Send returned an invalid quote {when}: quote ask level 1 size = "
                               "1125899906842624 at price = 10000 is a notional of 1.125899906842624e+19 tick*lots, "
                               "beyond the 2^62 the engine accounts exactly")


def test_explicit_orders_fills_are_checked_too():
    """A market order has no limit to bound it: buying 2^52 lots at 10,000 ticks is a
    notional of 4.5e19, past int64. Its fill names the event whose book it traded against
    (event 1, the ask). The same kind on IOCs that each fit: four buys of 2^48 lots at
    10,000 ticks take cash to -1.1e19; the fourth (at 4100, after event 4) is the error,
    the partial result keeps three."""
    big_ask = [(1000, D, BID, 9_999, 10), (1000, D, ASK, 10_000, 2**60), (2000, D, BID, 9_999, 9)]

    class Every(mmsim.Strategy):
        """The order at each market update (only the first, with ``once``)."""

        def __init__(self, order, once=False):
            self.order, self.once, self.n = order, once, 0

        def quote(self, view):
            if not view.reason & Wake.MARKET or (self.once and self.n):
                return None
            self.n += 1
            return Quote.keep(orders=[self.order])

    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(make_events(big_ask), Every(Order.market(BID, 2**52), once=True), cfg(entry=100))
    assert str(info.value) == ("event 1: the fill of our order 1 (buy 4503599627370496 lots at 10000 ticks) makes the "
                               "run's cash overflow int64 tick*lots: prices and sizes this large cannot be accounted "
                               "exactly")
    rows = big_ask[:2] + [(1000 * k, D, BID, 9_999, k) for k in range(2, 7)]
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(make_events(rows), Every(Order.ioc(BID, 10_000, 2**48)), cfg(entry=100))
    assert str(info.value).startswith("event 4: the fill of our order 4 (buy 281474976710656 lots at 10000 ticks) "
                                      "makes the run's cash overflow int64 tick*lots")
    part = info.value.partial
    assert len(part.fills) == 3 and part.cash_ticks == -3 * 2**48 * 10_000


def test_an_explicit_order_on_every_response_stops_the_no_progress_guard():
    """An IOC that cannot fill, sent again on each of its own expiries (1 ns each way):
    the guard stops it after 100,000 calls on responses alone, naming explicit orders."""

    class Chase(mmsim.Strategy):
        def quote(self, view):
            return Quote.keep(orders=[Order.ioc(BID, view.best_ask - 5, 1)])

    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + S, D, BID, 100, 9)])
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Chase(), cfg(0, 1, 1))
    assert str(info.value).endswith("the strategy was called 100000 times in a row on responses to its own orders "
                                    "alone, with no market data or timer in between: it changes its quotes, or sends "
                                    "explicit orders, on every response, and each change sends orders whose responses "
                                    "call it again. Keep a quote until the market moves, or decide on a timer "
                                    "(decide_every)")
    assert info.value.partial.n_calls == 100_001
    assert int((info.value.partial.orders["event"] == OrderEvent.EXPIRED).sum()) == 100_001


# ------------------------------------------------------------------ the same hold while the venue is not trading

HALT_DAY = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + 1000, Kind.STATUS, 0, 0, 1),
            (T0 + S, D, BID, 100, 9), (T0 + 2 * S, Kind.STATUS, 0, 0, 3), (T0 + 3 * S, D, BID, 100, 8)]


def test_a_quote_rejected_by_a_halt_waits_for_the_venue_to_trade():
    """Quotes sent at t0 reach the exchange at t0 + 1 us, just after the halt: both rejected
    HALTED. The same targets used to be re-sent on every reject (a storm that the guard then
    blamed on the strategy changing its quotes); they are held while the strategy keeps them
    and the view's best and trading status stay, and go out again when trading resumes
    (t0 + 2 s), to rest."""
    r = mmsim.run(make_events(HALT_DAY), Fixed(Quote(99, 1, 102, 1)), cfg(0, 1000, 1000))
    o = r.orders
    assert [(int(t) - T0, OrderEvent(e).name, int(why)) for t, e, why in zip(o["exch_ts"], o["event"], o["reason"])] == [
        (1000, "SENT", 0), (1000, "SENT", 0), (1000, "REJECTED", RejectReason.HALTED),
        (1000, "REJECTED", RejectReason.HALTED), (2 * S + 1000, "SENT", 0), (2 * S + 1000, "SENT", 0),
        (2 * S + 1000, "ACKED", 0), (2 * S + 1000, "ACKED", 0)]


def test_a_crossing_quote_rejected_while_quoting_only_waits_for_the_book_or_the_status():
    """The same kind with NOT_TRADING: while the venue takes quotes only, a bid at the best
    ask with post_only off would trade, so it is rejected; held through a size change of
    the bid (t0 + 1 s); the ask moves to 102 at t0 + 1.5 s, the target follows it: sent and
    rejected again. 2 orders, 2 rejects, no fill."""
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + 1000, Kind.STATUS, 0, 0, 2),
            (T0 + S, D, BID, 100, 9), (T0 + 3 * S // 2, D, ASK, 102, 4), (T0 + 3 * S // 2, D, ASK, 101, 0),
            (T0 + 3 * S, D, BID, 100, 8)]
    r = mmsim.run(make_events(rows), AtTheAsk(), cfg(0, 1000, 1000, post_only=False))
    o = r.orders
    rejected = o[o["event"] == OrderEvent.REJECTED]
    assert rejected["reason"].tolist() == [RejectReason.NOT_TRADING] * 2
    assert (rejected["exch_ts"] - T0).tolist() == [1000, 3 * S // 2 + 1000] and rejected["price"].tolist() == [101, 102]
    assert int((o["event"] == OrderEvent.SENT).sum()) == 2 and len(r.fills) == 0


def fills_of_result(r):
    return [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"])) for f in r.fills]


def test_explicit_orders_sent_on_every_reject_of_a_halt_stop_the_guard_naming_the_halt():
    """An IOC per response while halted (1 ns each way): explicit orders are not targets (no
    hold), so each reject calls the strategy, which sends another; the guard stops it and says
    the venue is not trading."""
    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0, Kind.STATUS, 0, 0, 1),
                      (T0 + S, D, BID, 100, 9)])

    class Chase(mmsim.Strategy):
        def quote(self, view):
            return Quote.keep(orders=[Order.ioc(BID, 101, 1)])

    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Chase(), cfg(0, 1, 1))
    assert str(info.value).endswith(
        "in between: 100000 of those responses were rejects because the venue is not trading (HALTED or NOT_TRADING): "
        "its orders change after each reject (a rejected target is sent again only once it, the local best bid/ask or "
        "the trading status changes). Hold or pull quotes while view.trading_status is not TRADING (3), and send no "
        "explicit orders then")


@pytest.mark.parametrize("side", [BID, ASK], ids=["buy", "sell"])
def test_a_crossing_target_that_took_liquidity_is_not_sent_again_until_the_book_moves(side):
    """With post_only off a target through the book takes the visible liquidity on arrival
    (its rest expires). Sent again on its own fill report it took the same liquidity again,
    and again (no market impact): a storm of fills the no-progress guard only stopped after
    100,000 of them, blaming changing quotes. It is held like a reject. The far side's best
    moves a tick away at t0 + 1 s and back at t0 + 1.5 s; the near side's size changes every
    millisecond: 3 orders, 3 fills of 1 lot, at 101, 102, 101 (bids) or 100, 99, 100 (asks)."""
    far = ASK if side == BID else BID
    px, away = (101, 102) if side == BID else (100, 99)
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10)]
    rows += [(T0 + k * MS, D, side, 100 if side == BID else 101, 10 + k % 3) for k in range(1, 2_000)]
    rows += [(T0 + 1000 * MS, D, far, away, 4), (T0 + 1000 * MS, D, far, px, 0), (T0 + 1500 * MS, D, far, px, 7)]

    class Through(mmsim.Strategy):
        def quote(self, view):
            if view.ask_qty <= 0 or view.bid_qty <= 0:
                return None
            return Quote(view.best_ask, 1, 0, 0) if side == BID else Quote(0, 0, view.best_bid, 1)

    r = mmsim.run(make_events(sorted(rows, key=lambda row: row[0])), Through(), cfg(0, 1000, 1000, post_only=False))
    assert int((r.orders["event"] == OrderEvent.SENT).sum()) == 3
    assert fills_of_result(r) == [(T0 + 1000, side, px, 1), (T0 + 1000 * MS + 1000, side, away, 1),
                                  (T0 + 1500 * MS + 1000, side, px, 1)]
    assert not r.fills["maker"].any() and r.position == 3 * side


def test_a_hold_notes_the_book_of_the_first_call_after_the_reject():
    """On a timer the strategy learns of a reject at its next tick, so that tick's view is the
    book the hold keeps. A bid fixed at 101 through an ask at 101, 1 ms timer, 100 us each
    way: sent at the first tick (t0 + 1 ms), rejected at t0 + 1.1 ms; the best bid moves from
    100 to 99 at t0 + 1.5 ms, before the next tick; at that tick (the first call knowing of
    the reject) the target and the book it sees are noted, and the bid is not sent again
    through ticks 3..9 ms, whose book does not move: 1 order, 1 reject."""
    rows = [(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + 3 * MS // 2, D, BID, 99, 5),
            (T0 + 3 * MS // 2, D, BID, 100, 0)]
    rows += [(T0 + k * MS, D, ASK, 101, 10 + k) for k in range(2, 10)]
    r = mmsim.run(make_events(rows), Fixed(Quote(101, 1, 0, 0)), cfg(0, 100_000, 100_000, decide_every="1ms"))
    o = r.orders
    assert [(int(t) - T0, OrderEvent(e).name) for t, e in zip(o["exch_ts"], o["event"])] == [
        (MS + 100_000, "SENT"), (MS + 100_000, "REJECTED")]
    assert r.n_calls == 9
