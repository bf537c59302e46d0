"""Engine semantics on hand-computed scenarios of a few events each (docs/design.md section 4)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.records import OrderEvent, RejectReason, Wake

BID, ASK = 1, -1
D, T, C = Kind.DEPTH, Kind.TRADE, Kind.CLEAR


def lat(ns: int) -> mmsim.LatencyModel:
    return mmsim.LatencyModel(ns=ns)


def cfg(feed: int = 0, entry: int = 0, response: int = 0, **kw) -> mmsim.Config:
    kw.setdefault("signals", mmsim.SignalConfig(enabled=False))
    return mmsim.Config(latency=mmsim.LatencyConfig(feed=lat(feed), entry=lat(entry), response=lat(response)), **kw)


class Fixed(mmsim.Strategy):
    """Quote the same targets every call."""

    def __init__(self, bid=(0, 0), ask=(0, 0)):
        self.q = Quote(bid[0], bid[1], ask[0], ask[1])

    def quote(self, view):
        return self.q


def fills_of(r):
    return [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"]), int(f["leaves"])) for f in r.fills]


BOOK = [(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10)]


# ------------------------------------------------------------------ queue position and fills


def test_trades_consume_queue_ahead_then_partially_fill_us():
    # We join behind 10 lots at 100. A sell of 4 leaves 6 ahead; a sell of 8 takes
    # those 6 and 2 of our 5 lots; a sell of 5 takes 3 more and completes the order.
    ev = make_events(BOOK + [(2000, T, ASK, 100, 4), (3000, T, ASK, 100, 8), (4000, T, ASK, 100, 5)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(3000, BID, 100, 2, 3), (4000, BID, 100, 3, 0)]
    assert r.position == 5
    assert r.cash_ticks == -500
    assert list(r.fills["maker"]) == [True, True]


def test_trade_through_our_price_fills_all_of_it():
    # Our bid at 100 behind 10 lots; a sell prints at 99: it swept our level.
    ev = make_events(BOOK + [(2000, T, ASK, 99, 1)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(2000, BID, 100, 5, 0)]


def test_opposite_best_crossing_our_price_fills_us():
    # Our ask at 101 (behind 10); the bid side moves to 101: buyers reached our price.
    ev = make_events(BOOK + [(2000, D, BID, 101, 3)])
    r = mmsim.run(ev, Fixed(ask=(101, 4)), cfg())
    assert fills_of(r) == [(2000, ASK, 101, 4, 0)]
    assert r.position == -4


def test_risk_averse_depth_decrease_moves_us_to_min_of_ahead_and_level():
    # Behind 10; the level drops to 4 without a trade: risk-averse puts us behind 4.
    # A sell of 6 then takes those 4 and 2 of ours.
    ev = make_events(BOOK + [(2000, D, BID, 100, 4), (3000, T, ASK, 100, 6)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(3000, BID, 100, 2, 3)]


def test_power_queue_model_by_hand():
    # Join behind 6; 4 more join behind us (level 10). The level drops to 5: a decrease of 5
    # split by f(x)=x^2: ahead gets 5*36/(36+16) = 3.46 -> 3 lots (rounded down), so 3 remain
    # ahead. A sell of 4 then fills 1 lot of ours.
    ev = make_events([(1000, D, BID, 100, 6), (1000, D, ASK, 101, 10), (2000, D, BID, 100, 10),
                      (3000, D, BID, 100, 5), (4000, T, ASK, 100, 4)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg(queue=mmsim.QueueConfig(model="power", power=2.0)))
    assert fills_of(r) == [(4000, BID, 100, 1, 4)]
    # The risk-averse model on the same events keeps us behind min(6, 5) = 5: no fill.
    assert fills_of(mmsim.run(ev, Fixed(bid=(100, 5)), cfg())) == []


def test_log_queue_model_by_hand():
    # Same shape, f(x)=log(1+x): share ahead = log 7 / (log 7 + log 5) = 0.547 -> 2 of 5 lots.
    ev = make_events([(1000, D, BID, 100, 6), (1000, D, ASK, 101, 10), (2000, D, BID, 100, 10),
                      (3000, D, BID, 100, 5), (4000, T, ASK, 100, 5)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg(queue=mmsim.QueueConfig(model="log")))
    assert fills_of(r) == [(4000, BID, 100, 1, 4)]


def test_trade_then_its_depth_update_does_not_move_us_twice():
    # A sell of 3 at our level moves us from 10 to 7 ahead; the venue's depth update 10 -> 7
    # that follows is the same volume and must not move us again (power model, which would).
    ev = make_events(BOOK + [(2000, T, ASK, 100, 3), (2000, D, BID, 100, 7), (3000, T, ASK, 100, 8)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg(queue=mmsim.QueueConfig(model="power")))
    assert fills_of(r) == [(3000, BID, 100, 1, 4)]


def test_l3_fifo_executions_ahead_and_behind_our_order():
    A, B, Cid = 11, 12, 13
    ev = make_events([
        (1000, Kind.ADD, BID, 100, 5, A),
        (1000, Kind.ADD, BID, 100, 3, B),
        (1000, Kind.ADD, ASK, 101, 10, 20),
        (2000, Kind.ADD, BID, 100, 4, Cid),   # joins behind us
        (3000, Kind.EXECUTE, BID, 100, 5, A),  # ahead of us: 8 -> 3 ahead
        (4000, Kind.CANCEL, BID, 100, 1, B),   # ahead of us: 3 -> 2 ahead
        (5000, Kind.EXECUTE, BID, 100, 4, Cid),  # behind us: would have hit B's 2 then 2 of ours
        (6000, Kind.DELETE, BID, 100, 2, B),
        (7000, Kind.ADD, BID, 100, 1, 14),
        (8000, Kind.EXECUTE, BID, 100, 1, 14),  # behind us, nothing ahead: fills 1 more of ours
    ])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(5000, BID, 100, 2, 3), (8000, BID, 100, 1, 2)]


# ------------------------------------------------------------------ clocks and latency


NO_QUOTE = Quote(0, 0, 0, 0)


class Recorder(mmsim.Strategy):
    def __init__(self, target=NO_QUOTE):
        self.seen = []
        self.target = target

    def quote(self, view):
        self.seen.append((view.ts, view.reason, view.best_bid, view.n_events))
        return self.target


def test_feed_latency_sets_the_view_time():
    ev = make_events(BOOK + [(2000, D, BID, 100, 7), (2500, D, BID, 100, 8)])
    s = Recorder()
    mmsim.run(ev, s, cfg(feed=300))
    # Events at one local time are applied together, then one call.
    assert [x[0] for x in s.seen] == [1300, 2300, 2800]
    assert [x[3] for x in s.seen] == [2, 3, 4]
    assert all(x[1] == Wake.MARKET for x in s.seen)


def test_recorded_feed_latency_uses_local_ts():
    # The venue message at exch_ts 1000 (bid and ask) is delivered whole at the later of its recorded
    # receive times, 1260: the strategy never sees the bid without the ask (mmsim 0.1 called it at 1250
    # with the bid alone, then at 1260).
    ev = make_events([(1000, D, BID, 100, 10, 0, 1250), (1000, D, ASK, 101, 10, 0, 1260),
                      (2000, D, BID, 100, 7, 0, 2900)])
    s = Recorder()
    c = cfg()
    mmsim.run(ev, s, c.replace(latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(kind="recorded"))))
    assert [(x[0], x[3]) for x in s.seen] == [(1260, 2), (2900, 3)]


def test_recorded_feed_delivers_a_depth_update_and_its_trade_together():
    # The other kind of message: a depth update and the trade that caused it (one exch_ts, two
    # streams, received 2100 and 2400). Delivered whole at 2400; a later message received earlier
    # (exch 2200, received 2300) comes with it (the feed is one ordered stream). Our bid (behind
    # 10, sent at 1300 with entry 100) fills 0: the 4 traded lots only reach the queue ahead.
    ev = make_events([(1000, D, BID, 100, 10, 0, 1300), (1000, D, ASK, 101, 10, 0, 1300),
                      (2000, D, BID, 100, 6, 0, 2100), (2000, T, ASK, 100, 4, 0, 2400),
                      (2200, D, ASK, 101, 9, 0, 2300), (3000, D, ASK, 101, 8, 0, 3100)])
    s = Recorder(Quote(100, 1, 0, 0))
    c = cfg(entry=100)
    res = mmsim.run(ev, s, c.replace(latency=c.latency.replace(feed=mmsim.LatencyModel(kind="recorded"))))
    assert [(x[0], x[3]) for x in s.seen if x[1] & Wake.MARKET] == [(1300, 2), (2400, 5), (3100, 6)]
    assert fills_of(res) == []


def test_cancel_race_fill_depends_on_entry_latency():
    # The strategy pulls its bid when the ask thins (at t=2000); a sell hits the bid level
    # at t=2500. The cancel reaches the exchange at 2000 + entry latency: at 400 ns it is in
    # time; at 600 ns the fill has happened and the cancel cannot undo it.
    ev = make_events([(1000, D, BID, 100, 1), (1000, D, ASK, 101, 10), (2000, D, ASK, 101, 2),
                      (2500, T, ASK, 100, 6), (3000, D, ASK, 101, 9)])

    class Puller(mmsim.Strategy):
        def quote(self, view):
            return Quote(100, 5, 0, 0) if view.ask_qty >= 5 else Quote(0, 0, 0, 0)

    fast = mmsim.run(ev, Puller(), cfg(entry=400))
    assert fills_of(fast) == []
    assert OrderEvent.CANCELED in fast.orders["event"]

    slow = mmsim.run(ev, Puller(), cfg(entry=600))
    assert fills_of(slow) == [(2500, BID, 100, 5, 0)]
    assert bool(slow.fills["after_cancel"][0]) is True
    late = slow.orders[slow.orders["event"] == OrderEvent.CANCEL_REJECTED]
    assert len(late) == 1 and late["exch_ts"][0] == 2600
    assert late["reason"][0] == RejectReason.ORDER_DONE
    assert slow.position == 5


def test_order_arriving_at_the_same_nanosecond_as_a_trade_comes_after_it():
    # Order sent at 1000 with 1500 ns entry latency arrives at 2500, the trade's own time:
    # market events go first at a tie, so the trade cannot fill it.
    ev = make_events([(1000, D, BID, 100, 1), (1000, D, ASK, 101, 10), (2500, T, ASK, 99, 3),
                      (3000, T, ASK, 99, 3)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg(entry=1500))
    assert fills_of(r) == [(3000, BID, 100, 5, 0)]


def test_responses_reach_the_strategy_after_response_latency():
    ev = make_events(BOOK + [(5000, D, BID, 100, 9)])
    s = Recorder(Quote(100, 5, 0, 0))
    mmsim.run(ev, s, cfg(feed=0, entry=100, response=250))
    # market at 1000 -> order arrives 1100 -> ack reaches the strategy at 1350.
    assert s.seen[0][:2] == (1000, Wake.MARKET)
    assert s.seen[1][:2] == (1350, Wake.RESPONSE)


def test_post_only_quote_that_would_cross_is_rejected():
    ev = make_events(BOOK + [(2000, T, BID, 101, 1)])
    r = mmsim.run(ev, Fixed(bid=(101, 5)), cfg(entry=10, response=10))
    rej = r.orders[r.orders["event"] == OrderEvent.REJECTED]
    assert len(rej) >= 1
    assert rej["reason"][0] == RejectReason.POST_ONLY_WOULD_CROSS
    assert len(r.fills) == 0


def test_crossing_order_takes_liquidity_and_pays_taker_fee_when_post_only_is_off():
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 3), (1000, D, ASK, 102, 4),
                      (2000, D, BID, 100, 9)])
    fees = mmsim.FeeConfig(maker_bps=-0.5, taker_bps=7.0, taker_per_lot=0.01)

    class Once(mmsim.Strategy):
        def __init__(self):
            self.done = False

        def quote(self, view):
            if self.done:
                return None
            self.done = True
            return Quote(102, 5, 0, 0)

    r = mmsim.run(ev, Once(), cfg(post_only=False, fees=fees, tick_size=0.1, lot_size=0.001))
    # Takes 3 at 101 and 2 at 102 (the visible levels up to its price).
    assert fills_of(r) == [(1000, BID, 101, 3, 2), (1000, BID, 102, 2, 0)]
    assert not r.fills["maker"].any()
    tv = 0.1 * 0.001
    expected = [101 * 3 * tv * 7.0 * 1e-4 + 0.01 * 3, 102 * 2 * tv * 7.0 * 1e-4 + 0.01 * 2]
    assert r.fills["fee"].tolist() == pytest.approx(expected, rel=1e-15)
    assert r.fees == pytest.approx(sum(expected), rel=1e-15)


def test_maker_rebate_is_a_negative_fee():
    ev = make_events(BOOK + [(2000, T, ASK, 99, 1)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg(fees=mmsim.FeeConfig(maker_bps=-0.5), tick_size=0.5))
    assert r.fills["fee"][0] == pytest.approx(-(100 * 5 * 0.5) * 0.5e-4, rel=1e-15)
    assert r.cash == pytest.approx(-100 * 5 * 0.5 + (100 * 5 * 0.5) * 0.5e-4, rel=1e-15)


def test_partly_filled_order_keeps_matching_its_target():
    # After a partial fill the same target keeps the order (and its queue place): no cancel.
    ev = make_events(BOOK + [(2000, T, ASK, 100, 12), (3000, D, BID, 100, 8), (4000, T, ASK, 100, 20)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(2000, BID, 100, 2, 3), (4000, BID, 100, 3, 0)]
    assert OrderEvent.CANCEL_SENT not in r.orders["event"]


def test_changed_target_cancels_and_replaces():
    ev = make_events(BOOK + [(2000, D, ASK, 101, 11), (3000, D, ASK, 101, 12)])

    class Mover(mmsim.Strategy):
        def quote(self, view):
            return Quote(100, 5 if view.ask_qty == 10 else 6, 0, 0)

    r = mmsim.run(ev, Mover(), cfg(entry=10, response=10))
    events = r.orders["event"].tolist()
    assert events.count(OrderEvent.SENT) == 2  # 5 lots, then 6 lots once
    assert events.count(OrderEvent.CANCEL_SENT) == 1


def test_timer_mode_calls_on_the_timer_only():
    ev = make_events(BOOK + [(1500, D, BID, 100, 9), (3400, D, BID, 100, 8)])
    s = Recorder()
    mmsim.run(ev, s, cfg(decide_every=1000))
    assert [x[0] for x in s.seen] == [2000, 3000]
    assert all(x[1] & Wake.TIMER for x in s.seen)


def test_random_latency_is_deterministic_by_seed():
    rng = np.random.default_rng(7)
    rows = [(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10)]
    t = 1000
    for _ in range(300):
        t += int(rng.integers(1, 5000))
        rows.append((t, T, int(rng.choice([BID, ASK])), int(rng.choice([99, 100, 101, 102])), int(rng.integers(1, 8))))
    ev = make_events(rows)

    def go(seed):
        lm = mmsim.LatencyModel(kind="lognormal", median_ns=2000, sigma=0.8)
        c = mmsim.Config(latency=mmsim.LatencyConfig(feed=lm, entry=lm, response=lm, seed=seed),
                         signals=mmsim.SignalConfig(enabled=False))
        return mmsim.run(ev, Fixed(bid=(100, 3), ask=(101, 3)), c)

    a, b, other = go(1), go(1), go(2)
    assert a.fills.tobytes() == b.fills.tobytes()
    assert a.orders.tobytes() == b.orders.tobytes()
    assert a.orders.tobytes() != other.orders.tobytes()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "rows, message",
    [
        ([(1000, D, BID, 100, 1), (900, D, BID, 100, 2)],
         "event 1: events are not sorted by exch_ts (900 after 1000)"),
        ([(1000, D, BID, 100, 1), (1000, D, ASK, 101, -3)], "event 1: DEPTH has negative qty -3"),
        ([(1000, 9, BID, 100, 1)], "event 0: unknown event kind 9"),
        ([(1000, Kind.ADD, BID, 100, 1, 5), (1001, Kind.CANCEL, BID, 100, 1, 6)],
         "event 1: CANCEL of unknown order id 6"),
        ([(1000, Kind.ADD, BID, 100, 1, 5), (1001, Kind.DELETE, BID, 100, 3, 5)],
         "event 1: DELETE of order 5 with qty 3 but its remaining size is 1"),
        ([(1000, D, 0, 100, 1)], "event 0: DEPTH has side 0 (must be +1 bid/buy or -1 ask/sell)"),
    ],
    ids=["unsorted", "negative-qty", "unknown-kind", "unknown-order-id", "delete-size", "bad-side"],
)
def test_bad_events_raise_data_error_naming_the_event(rows, message):
    ev = make_events(rows)
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(ev, None, cfg())
    assert str(info.value) == message
    with pytest.raises(mmsim.DataError, match="^" + message.split(":")[0]):
        mmsim.replay_bbo(ev)


def span_message(index: int, price: int, other: int, other_index: int) -> str:
    """The DataError of a price too far from the book's other prices: it names the price at the
    other end of the book and its event (a bad first price is seen when the next is refused)."""
    return (f"event {index}: price {price} is too far from price {other} (event {other_index}) for one book: "
            "more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick size")


@pytest.mark.parametrize(
    "rows, index",
    [
        ([(1000, D, BID, 100, 1), (1000, D, ASK, 101, 1), (2000, D, BID, 100 + 2**40, 1)], 2),
        ([(1000, D, ASK, 5000, 1), (2000, D, ASK, 5000 - 2**41, 3), (2000, D, BID, 100, 1)], 1),
        ([(1000, Kind.ADD, BID, 100, 1, 7), (1000, Kind.ADD, BID, 100 + 2**40, 1, 8)], 1),
    ],
    ids=["depth-bid-fast-path", "depth-ask-fast-path", "l3-add"],
)
def test_price_beyond_the_page_table_names_its_event(rows, index):
    """A price 2^34+ ticks from the rest of the book (a wrong tick size) is a DataError naming the event,
    on the inline DEPTH path as on the slow path."""
    ev = make_events(rows)
    price = rows[index][3]
    message = span_message(index, price, rows[0][3], 0)  # event 0's price is the far end of the book
    for replay in (lambda: mmsim.run(ev, Fixed(bid=(100, 1)), cfg()), lambda: mmsim.replay_bbo(ev)):
        with pytest.raises(mmsim.DataError) as info:
            replay()
        assert str(info.value) == message
        assert info.value.index == index


def _every_entry_point(ev, strategy):
    """The ways events reach the engine's book: run, run_many (two variants sharing the book),
    replay_bbo and signals.compute."""
    return [lambda: mmsim.run(ev, strategy, cfg()),
            lambda: mmsim.run_many(ev, [(strategy, cfg()), (copy.deepcopy(strategy), cfg(feed=500))]),
            lambda: mmsim.replay_bbo(ev), lambda: mmsim.signals.compute(ev)]


@pytest.mark.parametrize(
    "rows, strategy, index",
    [
        # A buy print at 2^61 ticks used to fill our resting ask at 101 (the ask side's levels).
        (BOOK + [(2000, T, BID, 2**61, 1)], Fixed(ask=(101, 5)), 2),
        # A sell print at -2^61 (the bid side) would have filled our bid at 100.
        (BOOK + [(2000, T, ASK, -(2**61), 1)], Fixed(bid=(100, 5)), 2),
        # An unknown aggressor, on L3 data (the book built from ADDs).
        ([(1000, Kind.ADD, BID, 100, 10, 1), (1000, Kind.ADD, ASK, 101, 10, 2), (2000, T, 0, 101 + 2**40, 1)],
         Fixed(ask=(101, 5)), 2),
        # No levels at all: the prints are the book's prices.
        ([(1000, T, BID, 100, 1), (2000, T, BID, 100 + 2**34, 1)], Fixed(), 1),
        # A level of the other side than the earlier levels: the rule is the whole book's.
        ([(1000, D, BID, 100, 1), (1000, D, ASK, 100 + 2**40, 1)], Fixed(), 1),
    ],
    ids=["trade-buy", "trade-sell", "trade-l3-unknown-aggressor", "trades-only", "depth-other-side"],
)
def test_a_trade_beyond_the_page_table_names_its_event(rows, strategy, index):
    """A TRADE's price obeys the rule a level's does: within 2^34 ticks of every price the book has
    seen (both sides' levels and the prints), else a DataError naming the event, on every entry point."""
    ev = make_events(rows)
    price = rows[index][3]
    message = span_message(index, price, rows[0][3], 0)  # event 0's price is the far end of the book
    for call in _every_entry_point(ev, strategy):
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert str(info.value) == message
        assert info.value.index == index


@pytest.mark.parametrize("rows, index, other, other_index", [
    # A bad first print: the book's first price anchors the span, so the valid bid after it was refused
    # as "more than 2^34 ticks from the rest of the book", naming only event 1.
    ([(500, T, BID, 2**40, 1), (1000, D, BID, 100, 1), (1000, D, ASK, 101, 1)], 1, 2**40, 0),
    # The far end set by a later event: the bid at -2^33 (event 1) is the low end when the ask comes.
    ([(1000, D, BID, 100, 1), (1000, D, BID, -(2**33), 1), (2000, D, ASK, 2**33 + 10 * 4096, 1)], 2,
     -(2**33), 1),
], ids=["bad-first-trade", "far-end-later-event"])
def test_a_refused_price_names_the_far_end_of_the_book(rows, index, other, other_index):
    ev = make_events(rows)
    message = span_message(index, rows[index][3], other, other_index)
    for call in _every_entry_point(ev, Fixed()):
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert str(info.value) == message
        assert info.value.index == index


def test_a_trade_far_from_the_touch_but_inside_the_range_is_a_trade():
    """The rule is the engine's price index, not the distance from the touch. With the book at
    100 x 101 (page 0 of 4,096 ticks), a print on page 2^22 - 1 (2^34 - 1 ticks) is inside it and
    fills our ask at 101 whole; one tick further (page 2^22) is not. A sell print 2^33 ticks below
    the bid sweeps our bid at 100 too."""
    ev = make_events(BOOK + [(2000, T, BID, 2**34 - 1, 1)])
    assert fills_of(mmsim.run(ev, Fixed(ask=(101, 5)), cfg())) == [(2000, ASK, 101, 5, 0)]
    ev = make_events(BOOK + [(2000, T, BID, 2**34, 1)])
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(ev, Fixed(ask=(101, 5)), cfg())
    assert str(info.value) == span_message(2, 2**34, 100, 0)
    ev = make_events(BOOK + [(2000, T, ASK, 100 - 2**33, 1)])
    assert fills_of(mmsim.run(ev, Fixed(bid=(100, 5)), cfg())) == [(2000, BID, 100, 5, 0)]


MIXED = "a DEPTH event set that level while L3 orders rest there (an L2 level and L3 orders at one price cannot be replayed as one book)"


@pytest.mark.parametrize(
    "rows, strategy, message",
    [
        # ADD 2 lots at bid 100, a DEPTH sets the level to 1, the order executes 2: replay_bbo gave bid_qty -1.
        ([(1000, Kind.ADD, BID, 100, 2, 5), (1001, D, BID, 100, 1), (1002, Kind.EXECUTE, BID, 100, 2, 5)],
         Fixed(bid=(100, 1)), f"event 2: EXECUTE of order 5 for qty 2 would leave the bid level at price 100 with -1 lots: {MIXED}"),
        # The ask side: a DEPTH removes the level, then the order's 3 lots are deleted (-3).
        ([(1000, Kind.ADD, ASK, 101, 3, 7), (1001, D, ASK, 101, 0), (1002, Kind.DELETE, ASK, 101, 3, 7)],
         Fixed(ask=(101, 1)), f"event 2: DELETE of order 7 for qty 3 would leave the ask level at price 101 with -3 lots: {MIXED}"),
        # A CANCEL of part of an order, after a smaller DEPTH, on a two-sided book.
        ([(1000, Kind.ADD, BID, 100, 4, 1), (1000, Kind.ADD, ASK, 101, 4, 2), (1001, D, ASK, 101, 1),
          (1002, Kind.CANCEL, ASK, 101, 3, 2)],
         Fixed(ask=(101, 1)), f"event 3: CANCEL of order 2 for qty 3 would leave the ask level at price 101 with -2 lots: {MIXED}"),
    ],
    ids=["execute-bid", "delete-ask", "cancel-ask"],
)
def test_l3_event_that_would_make_a_level_negative_names_its_event(rows, strategy, message):
    """An L2 DEPTH and L3 orders at one price in a bare array: the L3 event that would leave the
    level below zero is a DataError naming it, on every entry point; never a negative size."""
    ev = make_events(rows)
    for call in _every_entry_point(ev, strategy):
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert str(info.value) == message
        assert info.value.index == len(rows) - 1


def test_l2_and_l3_at_one_price_that_stays_non_negative_is_replayed_as_given():
    """What one pass cannot check (docs/data.md, "Event arrays without a store"): a DEPTH at a price
    where L3 orders rest sets the level, and the orders' later changes apply to it: 2, then 5, then
    5 - 2 = 3 lots."""
    ev = make_events([(1000, Kind.ADD, BID, 100, 2, 5), (1001, D, BID, 100, 5), (1002, Kind.EXECUTE, BID, 100, 2, 5)])
    assert mmsim.replay_bbo(ev)["bid_qty"].tolist() == [2, 5, 3]


class AskThenPull(mmsim.Strategy):
    """Ask 5 lots at 102 at the first call, nothing afterwards."""

    def __init__(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        return Quote(0, 0, 102, 5) if self.calls == 1 else Quote(0, 0, 0, 0)


def _log(r):
    return [(OrderEvent(int(o["event"])).name, int(o["exch_ts"])) for o in r.orders]


def test_an_order_that_would_reach_the_exchange_after_the_last_event_never_fills():
    """The exchange side ends with its data. A buy at 101 sent at 1,000 ns (the last event) with a
    500 ns entry latency would arrive at 1,500 and take the ask at 101 from a book the data no
    longer describes: it is never matched, and the result counts it. One arriving at the last
    event's own time is matched (the book is known then): with an event at 1,500 it fills 5 at 101."""
    c = cfg(entry=500, response=500, post_only=False)
    r = mmsim.run(make_events(BOOK), Fixed(bid=(101, 5)), c)
    assert fills_of(r) == [] and r.position == 0 and r.unsent_at_end == 1
    assert _log(r) == [("SENT", 1500)]
    r = mmsim.run(make_events(BOOK + [(1500, D, BID, 99, 3)]), Fixed(bid=(101, 5)), c)
    assert fills_of(r) == [(1500, BID, 101, 5, 0)] and r.unsent_at_end == 0


def test_a_call_after_the_last_event_sends_nothing():
    """With a 500 ns feed the book (1,000 ns, the last event) reaches the strategy at 1,500: it is
    called (the call is counted and logged) but nothing it asks for can reach the exchange before the
    data's end, so nothing is sent. The buy at 101 used to go out at 1,500 and take the ask."""
    r = mmsim.run(make_events(BOOK), Fixed(bid=(101, 5)), cfg(feed=500, post_only=False, decision_log=True))
    assert r.n_calls == 1 and r.decisions["local_ts"].tolist() == [1500]
    assert fills_of(r) == [] and len(r.orders) == 0 and r.unsent_at_end == 0


def test_a_cancel_or_sell_in_flight_at_the_end_is_counted_in_run_many_too(tmp_path):
    """The sell side and a cancel, in one pass. Run 0: a sell at 100 arriving at 1,500, after the
    last event (1,000): no fill, 1 unsent. Run 1 (no entry latency): it arrives at 1,000 and takes
    the bid, 5 at 100. Run 2: an ask at 102 rests from 1,500 (acked at 2,000); the pull decided on
    the last event (2,000) would cancel it at 2,500: never sent to the venue, so the order is still
    live at the end and no CANCELED row exists. The count survives save/load."""
    sell, sell0 = Fixed(ask=(100, 5)), Fixed(ask=(100, 5))
    many = mmsim.run_many(make_events(BOOK), [(sell, cfg(entry=500, response=500, post_only=False)),
                                              (sell0, cfg(response=500, post_only=False))])
    assert fills_of(many[0]) == [] and many[0].unsent_at_end == 1
    assert fills_of(many[1]) == [(1000, ASK, 100, 5, 0)] and many[1].unsent_at_end == 0
    r = mmsim.run(make_events(BOOK + [(2000, D, BID, 99, 1)]), AskThenPull(), cfg(entry=500, response=500))
    assert _log(r) == [("SENT", 1500), ("ACKED", 1500), ("CANCEL_SENT", 2500)]
    assert r.unsent_at_end == 1
    r.save(tmp_path / "run")
    assert mmsim.Result.load(tmp_path / "run").unsent_at_end == 1


def test_book_only_replays_raise_mmsim_data_error_with_the_index():
    """replay_bbo, signals.compute and the compiled functions themselves raise mmsim.DataError, never a private type."""
    ev = make_events([(1000, D, BID, 100, 1), (1000, D, ASK, 101, 1), (900, D, BID, 100, 2)])
    message = "event 2: events are not sorted by exch_ts (900 after 1000)"
    calls = [lambda: mmsim.replay_bbo(ev), lambda: mmsim.signals.compute(ev), lambda: mmsim._engine.replay_bbo(ev),
             lambda: mmsim._engine.compute_signals(ev, mmsim._engine.SignalParams())]
    for call in calls:
        with pytest.raises(mmsim.DataError) as info:
            call()
        assert type(info.value) is mmsim.DataError
        assert str(info.value) == message and info.value.index == 2
    assert not hasattr(mmsim._engine, "DataFault")


def test_recorded_local_ts_before_exch_ts_is_a_data_error():
    ev = make_events([(1000, D, BID, 100, 1, 0, 900)])
    c = cfg().replace(latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(kind="recorded")))
    with pytest.raises(mmsim.DataError, match="^event 0: local_ts 900 is before exch_ts 1000"):
        mmsim.run(ev, Fixed(), c)


def test_wrong_dtype_is_a_data_error():
    with pytest.raises(mmsim.DataError, match="expected mmsim.EVENT_DTYPE"):
        mmsim.run(np.zeros(3, dtype=np.int64), None, cfg())


def test_no_events_is_a_data_error_not_an_empty_result(tmp_path):
    # An empty Result (no fills, zero PnL) would look like a run that did nothing.
    with pytest.raises(mmsim.DataError, match="^the event array is empty: there is nothing to replay$"):
        mmsim.run(np.zeros(0, dtype=mmsim.EVENT_DTYPE), Fixed(), cfg())
    with pytest.raises(mmsim.DataError, match="^the event array is empty"):
        mmsim.run_many(np.zeros(0, dtype=mmsim.EVENT_DTYPE), [(Fixed(), cfg()), (Fixed(), cfg(feed=5))])
    # A store with no events: the message names the store.
    from mmsim.data.store import write_store

    write_store(tmp_path / "empty", np.zeros(0, dtype=mmsim.EVENT_DTYPE),
                {"symbol": "HAND", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0, "levels": "L2"})
    store = mmsim.load(tmp_path / "empty")
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(store, Fixed(), cfg())
    assert str(info.value) == f"{tmp_path / 'empty'}: the event array is empty: there is nothing to replay"


def test_a_tick_or_lot_size_other_than_the_stores_is_a_config_error(tmp_path):
    # The store's prices are ticks of 0.01 and its sizes lots of 1: a config naming
    # another tick or lot would only rescale the money (a tick of 0.5 made cash 50x).
    from mmsim.data.store import write_store

    ev = make_events(BOOK + [(2000, T, ASK, 100, 4), (3000, T, ASK, 100, 8), (4000, T, ASK, 100, 5)])
    path = tmp_path / "s"
    store = write_store(path, ev, {"symbol": "HAND", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0,
                                   "levels": "L2"})
    store = mmsim.load(path)
    for key, value, have, hint in (("tick_size", 0.5, "0.01", "prices are integer ticks"),
                                   ("lot_size", 0.001, "1", "sizes are integer lots")):
        flag = "--" + key.replace("_", "-")
        want = (f"{key}: {value:g} differs from the event store's {key} {have} ({path}/meta.json); the store's "
                f"{hint} of its own {key}, so another one would only rescale every money figure: leave {key} "
                f"unset (null), or convert the data again with {flag}")
        with pytest.raises(mmsim.ConfigError) as info:
            mmsim.run(store, Fixed(bid=(100, 5)), cfg(**{key: value}))
        assert str(info.value) == want
        with pytest.raises(mmsim.ConfigError) as info:
            mmsim.run_many(store, [(Fixed(bid=(100, 5)), cfg()), (Fixed(bid=(100, 5)), cfg(**{key: value}))])
        assert str(info.value) == "run 1 (Fixed): " + want
    # The store's own values, written out, and a contract size (a futures multiplier the
    # loader cannot know) are fine: 5 lots bought at 100 ticks = -500 tick-lots.
    assert mmsim.run(store, Fixed(bid=(100, 5)), cfg(tick_size=0.01, lot_size=1.0)).cash == pytest.approx(-5.0)
    assert mmsim.run(store, Fixed(bid=(100, 5)), cfg(contract_size=50.0)).cash == pytest.approx(-250.0)
    # A bare array has no sizes of its own: the config's are the only ones.
    assert mmsim.run(ev, Fixed(bid=(100, 5)), cfg(tick_size=0.5)).cash == pytest.approx(-250.0)


class Boom(mmsim.Strategy):
    name = "boom"

    def quote(self, view):
        if view.ts >= 2000:
            raise ValueError("bad day")
        return None


def test_strategy_that_raises_stops_the_run_naming_it_and_the_time():
    ev = make_events(BOOK + [(2000, D, BID, 100, 9)])
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Boom(), cfg())
    assert str(info.value) == (
        "strategy boom raised ValueError in quote() at local time 2000 ns "
        f"(1970-01-01T00:00:00.000002000Z): bad day (test_engine.py line {Boom.quote.__code__.co_firstlineno + 2})"
    )  # where, in the strategy's file (the newcomer's: it took --debug to find the line)
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "quote, why",
    [
        (Quote(100, -1, 0, 0), "quote bid_qty = -1 is negative"),
        (Quote(float("nan"), 1, 0, 0), "quote bid_px = nan is not finite"),
        (Quote(100, 1, 101.5, 1), "quote ask_px = 101.5 is not a whole number of ticks"),
        (Quote(100, 1, float("inf"), 1), "quote ask_px = inf is not finite"),
    ],
    ids=["negative-size", "nan", "off-grid", "inf"],
)
def test_invalid_quote_is_a_strategy_error(quote, why):
    ev = make_events(BOOK)
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Fixed(bid=quote[:2], ask=quote[2:]), cfg())
    assert str(info.value) == (
        f"strategy Fixed returned an invalid quote at local time 1000 ns (1970-01-01T00:00:00.000001000Z): {why}"
    )


def test_clear_empties_the_book_and_a_snapshot_rebuilds_it():
    ev = make_events(BOOK + [(2000, C, 0, 0, 0), (2000, D, BID, 99, 4), (2000, D, ASK, 100, 5)])
    bbo = mmsim.replay_bbo(ev)
    assert bbo["best_bid"].tolist()[2:] == [np.iinfo(np.int64).min, 99, 99]
    assert bbo["best_ask"].tolist()[-1] == 100
    assert bbo["ask_qty"].tolist()[-1] == 5


def test_trade_with_unknown_aggressor_fills_only_through_our_price():
    # Side 0 (a cross trade, or a feed that does not say who hit whom): at our price it
    # cannot tell which queue it came from, so it does not move or fill us; through it does.
    ev = make_events(BOOK + [(2000, T, 0, 100, 50), (3000, T, 0, 99, 1)])
    r = mmsim.run(ev, Fixed(bid=(100, 5)), cfg())
    assert fills_of(r) == [(3000, BID, 100, 5, 0)]


def test_memory_mapped_store_replays_identically_while_pages_are_released(tmp_path):
    # Over 2^16 events, so the engine hands consumed pages of the read-only map back.
    rng = np.random.default_rng(3)
    n = 200_000
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = np.arange(n, dtype=np.int64) * 1000 + 1000
    ev["local_ts"] = ev["exch_ts"]
    ev["kind"] = np.where(rng.random(n) < 0.2, int(T), int(D))
    ev["side"] = rng.choice([BID, ASK], n)
    ev["price"] = np.where(ev["side"] == BID, rng.integers(95, 100, n), rng.integers(101, 106, n))
    ev["qty"] = rng.integers(1, 20, n)
    trade = ev["kind"] == T
    ev["price"][trade] = np.where(ev["side"][trade] == BID, 101, 99)
    np.save(tmp_path / "ev.npy", ev)
    mapped = np.load(tmp_path / "ev.npy", mmap_mode="r")
    c = cfg(feed=5000, entry=3000, response=3000)
    a = mmsim.run(ev, Fixed(bid=(99, 2), ask=(101, 2)), c)
    b = mmsim.run(mapped, Fixed(bid=(99, 2), ask=(101, 2)), c)
    assert len(a.fills) > 100
    assert a.fills.tobytes() == b.fills.tobytes() and a.orders.tobytes() == b.orders.tobytes()
    assert np.array_equal(np.asarray(mapped), ev)  # the file's data is untouched


def test_view_shows_our_orders_as_last_heard():
    # Sent at 1000 (pending), acked at 1200 (working), partly filled at 2000 (report at 2100).
    ev = make_events(BOOK + [(2000, T, ASK, 100, 12), (3000, D, ASK, 101, 9)])
    seen = []

    class Watch(mmsim.Strategy):
        def quote(self, view):
            seen.append((view.ts, view.bid_order_state, view.bid_order_px, view.bid_order_qty,
                         view.bid_order_leaves, view.position, view.n_live_orders))
            return Quote(100, 5, 0, 0)

    mmsim.run(ev, Watch(), cfg(entry=100, response=100))
    assert seen == [
        (1000, 0, 0, 0, 0, 0, 0),        # nothing sent yet
        (1200, 2, 100, 5, 5, 0, 1),      # the ack arrived: working
        (2000, 2, 100, 5, 5, 0, 1),      # the trade is seen, its fill report not yet
        (2100, 2, 100, 5, 3, 2, 1),      # 2 lots filled, 3 left, position +2
        (3000, 2, 100, 5, 3, 2, 1),      # the same target keeps the partly filled order
    ]


def test_status_events_are_part_of_the_schema_and_validated():
    """STATUS carries a TradingStatus in qty and leaves the book alone; any other qty is a DataError."""
    ev = make_events([
        (1000, Kind.DEPTH, 1, 100, 10),
        (1000, Kind.DEPTH, -1, 101, 10),
        (2000, Kind.STATUS, 0, 0, int(mmsim.TradingStatus.HALTED)),
        (3000, Kind.STATUS, 0, 0, int(mmsim.TradingStatus.TRADING)),
    ])
    bbo = mmsim.replay_bbo(ev)
    assert list(bbo["best_bid"]) == [100, 100, 100, 100]
    assert list(bbo["ask_qty"]) == [0, 10, 10, 10]
    ev[3]["qty"] = 4
    with pytest.raises(mmsim.DataError, match=r"^event 3: STATUS has qty 4 \(must be a trading status: 1 halted, 2 quoting, 3 trading\)$"):
        mmsim.replay_bbo(ev)
