"""Quote ladders, explicit IOC/FOK/market orders and the reject/expire callbacks, on hand-computed scenarios.

Every rule of docs/strategies.md "Ladders and explicit orders" is pinned here:
queue positions surviving per level, what an explicit order takes and pays, what
expires, the order log and fill fields (order_type, level, tag), the view's
ladder arrays and counters, the callbacks, and each invalid quote or order.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Order, Quote
from mmsim.numba_strategy import numba_strategy
from mmsim.records import OrderEvent, OrderState, OrderType, RejectReason, Wake

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE


def cfg(feed: int = 0, entry: int = 0, response: int = 0, **kw) -> mmsim.Config:
    kw.setdefault("signals", mmsim.SignalConfig(enabled=False))
    return mmsim.Config(latency=mmsim.LatencyConfig(feed=feed, entry=entry, response=response), **kw)


def fills_of(r):
    return [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"]), int(f["leaves"])) for f in r.fills]


def log_of(r):
    """(event name, order id, price, qty, leaves, level, order type, tag) per order-log row."""
    return [(OrderEvent(o["event"]).name, int(o["order_id"]), int(o["price"]), int(o["qty"]), int(o["leaves"]),
             int(o["level"]), OrderType(o["order_type"]).name, int(o["tag"])) for o in r.orders]


class Script(mmsim.Strategy):
    """Return ``steps[k]`` at the k-th call (then None); record every view and callback."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.views, self.events = [], []

    def reset(self):
        self.k = 0

    def quote(self, view):
        self.views.append(view.copy())
        step = self.steps[self.k] if self.k < len(self.steps) else None
        self.k += 1
        return step(view) if callable(step) else step

    def on_fill(self, fill):
        self.events.append(("fill", fill))

    def on_reject(self, event):
        self.events.append(("reject", event))

    def on_expire(self, event):
        self.events.append(("expire", event))


# ------------------------------------------------------------------ ladders: queue position per level

# Bids 100 x 10, 99 x 20, 98 x 5; ask 101 x 10. A sell of 4 at 100, a depth change at 2500
# (a wake-up), then a sell of 8 at 100.
LADDER_EVENTS = [(1000, D, BID, 100, 10), (1000, D, BID, 99, 20), (1000, D, BID, 98, 5), (1000, D, ASK, 101, 10),
                 (2000, T, ASK, 100, 4), (2500, D, ASK, 102, 7), (3000, T, ASK, 100, 8)]


class OuterMoves(mmsim.Strategy):
    """Bids (100, inner) and an outer level at 99, which moves to 98 from local time 2500."""

    def __init__(self, inner_after=5):
        self.inner_after = inner_after

    def quote(self, view):
        late = view.ts >= 2500
        return Quote.ladder(bids=[(100, self.inner_after if late else 5), (98 if late else 99, 5)], asks=[])


def test_only_the_outer_level_moves_and_the_inner_keeps_its_queue_place():
    # The inner bid joins behind 10 at 100; the sell of 4 leaves 6 ahead. At 2500 the outer
    # level moves (cancel 99, new 98); the inner order stays, so the sell of 8 takes the 6
    # ahead and 2 of ours.
    r = mmsim.run(make_events(LADDER_EVENTS), OuterMoves(), cfg(ladder_levels=2))
    assert fills_of(r) == [(3000, BID, 100, 2, 3)]
    assert int(r.fills["order_id"][0]) == 1 and int(r.fills["level"][0]) == 0
    assert OrderType(r.fills["order_type"][0]) == OrderType.LIMIT and r.fills["maker"][0]
    assert log_of(r) == [
        ("SENT", 1, 100, 5, 5, 0, "LIMIT", 0), ("SENT", 2, 99, 5, 5, 1, "LIMIT", 0),
        ("ACKED", 1, 100, 5, 5, 0, "LIMIT", 0), ("ACKED", 2, 99, 5, 5, 1, "LIMIT", 0),
        ("CANCEL_SENT", 2, 99, 5, 5, 1, "LIMIT", 0), ("SENT", 3, 98, 5, 5, 1, "LIMIT", 0),
        ("CANCELED", 2, 99, 5, 5, 1, "LIMIT", 0), ("ACKED", 3, 98, 5, 5, 1, "LIMIT", 0),
        ("FILLED", 1, 100, 2, 3, 0, "LIMIT", 0),
    ]


def test_an_inner_level_resized_is_replaced_and_queues_again():
    # The same market, but at 2500 the inner size changes 5 -> 4: the order is replaced and
    # the new one queues behind the 10 visible lots again: the sell of 8 does not reach it.
    r = mmsim.run(make_events(LADDER_EVENTS), OuterMoves(inner_after=4), cfg(ladder_levels=2))
    assert fills_of(r) == []
    assert [row[:3] for row in log_of(r) if row[0] == "CANCEL_SENT"] == [("CANCEL_SENT", 1, 100), ("CANCEL_SENT", 2, 99)]


@numba_strategy(name="AskLadder")
def ask_ladder_rule(view, params, state, out):
    """Asks (101, 5) and an outer level at 102 that moves to 103 from local time 2500."""
    out.n_ask_levels = 2
    out.ask_ladder_px[0] = 101
    out.ask_ladder_qty[0] = 5
    out.ask_ladder_px[1] = 103 if view.ts >= 2500 else 102
    out.ask_ladder_qty[1] = 5
    return 1


@pytest.mark.parametrize("path", ["numba", "python"])
def test_the_ask_side_mirror_on_both_paths(path):
    # Ask 101 x 10 ahead of our inner ask; buys of 4 then 8 at 101, the outer level moving
    # in between: the inner ask fills 2 at 3000.
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (1000, D, ASK, 102, 20),
                      (1000, D, ASK, 103, 5), (2000, T, BID, 101, 4), (2500, D, BID, 99, 7),
                      (3000, T, BID, 101, 8)])
    strategy = ask_ladder_rule() if path == "numba" else ask_ladder_rule.python()
    r = mmsim.run(ev, strategy, cfg(ladder_levels=2))
    assert fills_of(r) == [(3000, ASK, 101, 2, 3)]
    assert r.position == -2 and r.cash_ticks == 202
    assert [row[:3] for row in log_of(r) if row[0] == "CANCEL_SENT"] == [("CANCEL_SENT", 2, 102)]


def test_two_levels_at_one_price_are_two_orders_one_behind_the_other():
    # Both behind 10 lots at 100; the second also behind the first. A sell of 13 passes the
    # 10, takes the first order's 2 and 1 lot of the second.
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (2000, T, ASK, 100, 13)])
    r = mmsim.run(ev, Script(Quote.ladder(bids=[(100, 2), (100, 3)])), cfg(ladder_levels=2))
    assert fills_of(r) == [(2000, BID, 100, 2, 0), (2000, BID, 100, 1, 2)]
    assert list(r.fills["level"]) == [0, 1]
    # Two equal targets need two orders: (100, 2) twice is two orders of 2 lots.
    r2 = mmsim.run(ev, Script(Quote.ladder(bids=[(100, 2), (100, 2)])), cfg(ladder_levels=2))
    assert fills_of(r2) == [(2000, BID, 100, 2, 0), (2000, BID, 100, 1, 1)]


def test_unsorted_levels_are_sent_in_the_order_given_and_the_view_follows_it():
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 103, 10), (2000, D, ASK, 104, 1),
                      (3000, D, ASK, 105, 1)])
    levels = [(98, 1), (100, 1), (99, 1)]
    s = Script(Quote.ladder(bids=levels), Quote.ladder(bids=levels[::-1]), None)
    r = mmsim.run(ev, s, cfg(ladder_levels=3))
    assert [(row[0], row[1], row[2], row[5]) for row in log_of(r) if row[0] == "SENT"] == [
        ("SENT", 1, 98, 0), ("SENT", 2, 100, 1), ("SENT", 3, 99, 2)]
    # The same levels in another order change no order; slot k of the view is level k.
    assert not [row for row in log_of(r) if row[0] == "CANCEL_SENT"]
    v = s.views[2]  # after the second quote
    assert list(v.bid_ladder_px[:3]) == [99, 100, 98] and v.n_bid_levels == 3
    assert list(v.bid_ladder_state[:3]) == [OrderState.WORKING] * 3
    assert list(v.bid_ladder_px[3:]) == [0] * (mmsim.records.LADDER_MAX - 3)


def test_a_level_of_size_zero_holds_no_order_and_keeps_its_slot():
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 103, 10), (2000, D, ASK, 104, 1)])
    s = Script(Quote.ladder(bids=[(100, 0), (99, 2)], asks=[(104, 3)]))
    r = mmsim.run(ev, s, cfg(ladder_levels=2))
    assert [(row[1], row[2], row[5]) for row in log_of(r) if row[0] == "SENT"] == [(1, 99, 1), (2, 104, 0)]
    v = s.views[1]
    assert v.n_bid_levels == 2 and v.n_ask_levels == 1
    assert list(v.bid_ladder_state[:2]) == [OrderState.NONE, OrderState.WORKING]
    assert (v.bid_ladder_px[1], v.bid_ladder_qty[1], v.bid_ladder_leaves[1]) == (99, 2, 2)
    # The 1-level fields keep their meaning: the newest live order per side.
    assert (v.bid_order_px, v.bid_order_qty, v.ask_order_px) == (99, 2, 104)


def test_a_level_that_would_cross_is_rejected_alone():
    # Bids (101, 1) and (100, 1) against a best ask of 101: post-only rejects the inner
    # level only; on_reject hears it before the next quote(), and the view counts it.
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (2000, D, ASK, 102, 1)])
    s = Script(Quote.ladder(bids=[(101, 1), (100, 1)]))
    r = mmsim.run(ev, s, cfg(entry=100, response=100, ladder_levels=2))
    assert [row[:2] for row in log_of(r) if row[0] in ("REJECTED", "ACKED")] == [("REJECTED", 1), ("ACKED", 2)]
    kind, event = s.events[0]
    assert kind == "reject" and event == {"order_id": 1, "order_type": OrderType.LIMIT, "level": 0, "tag": 0,
                                          "side": BID, "price": 101, "qty": 1,
                                          "reason": RejectReason.POST_ONLY_WOULD_CROSS, "exch_ts": 1100}
    v = s.views[1]  # the call at 1200, when the reject and the ack arrive
    assert v.ts == 1200 and v.reason & Wake.REJECT
    assert (v.n_rejects, v.last_reject_id, v.last_reject_level, v.last_reject_side, v.last_reject_ts) == (1, 1, 0, 1, 1100)
    assert v.last_reject_reason == RejectReason.POST_ONLY_WOULD_CROSS and v.last_reject_type == OrderType.LIMIT
    assert list(v.bid_ladder_state[:2]) == [OrderState.NONE, OrderState.WORKING]


def test_our_own_bid_above_our_own_ask_is_not_checked():
    # Market 99 / 102; our bid 101 above our ask 100: neither crosses the market, both rest.
    # Our orders never trade with each other (they are not in the replayed book).
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10), (2000, D, ASK, 103, 1)])
    r = mmsim.run(ev, Script(Quote.ladder(bids=[(101, 1)], asks=[(100, 1)])), cfg())
    assert [row[:3] for row in log_of(r) if row[0] == "ACKED"] == [("ACKED", 1, 101), ("ACKED", 2, 100)]
    assert fills_of(r) == []


def test_the_1_level_quote_and_a_1_level_ladder_trade_alike():
    ev = make_events(LADDER_EVENTS)
    a = mmsim.run(ev, Script(*[Quote(100, 5, 0, 0)] * 10), cfg())
    b = mmsim.run(ev, Script(*[Quote.ladder(bids=[(100, 5)], asks=[(0, 0)])] * 10), cfg())
    assert a.fills.tobytes() == b.fills.tobytes() and a.orders.tobytes() == b.orders.tobytes()


# ------------------------------------------------------------------ invalid ladders

@numba_strategy(params={"n": 2.0, "scalar": 0.0})
def bad_ladder_rule(view, params, state, out):
    # + state[0] (always 0): a count the parameters alone do not decide, so the run-time guard is what stops it
    # (one they decide is refused before the run: tests/test_int_writes19.py)
    out.n_bid_levels = int(params.n + state[0])
    out.bid_ladder_px[0] = 100
    out.bid_ladder_qty[0] = 1
    out.bid_px = params.scalar
    return 1


@pytest.mark.parametrize("path", ["numba", "python"])
def test_more_levels_than_ladder_levels_stops_the_run_naming_strategy_and_time(path):
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    strategy = bad_ladder_rule(n=3) if path == "numba" else bad_ladder_rule.python(n=3)
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, strategy, cfg(ladder_levels=2))
    assert str(info.value) == (f"strategy bad_ladder_rule returned an invalid quote at local time "
                               f"{mmsim.engine.format_ts(1000)}: quote has 3 bid levels, more than ladder_levels=2")
    # A Python strategy's ladder longer than the record: the same check, the same message.
    long = Quote.ladder(bids=[(90 + k, 1) for k in range(20)])
    with pytest.raises(mmsim.StrategyError, match="quote has 20 bid levels, more than ladder_levels=16$"):
        mmsim.run(ev, Script(long), cfg(ladder_levels=16))


@pytest.mark.parametrize(("quote", "message"), [
    (Quote.ladder(bids=[(100.5, 1)]), "quote bid level 0 price = 100.5 is not a whole number of ticks"),
    (Quote.ladder(asks=[(103, 1), (104, -2)]), "quote ask level 1 size = -2 is negative"),
    (Quote.ladder(asks=[(103, 1), (float("nan"), 1)]), "quote ask level 1 price = nan is not finite"),
])
def test_an_invalid_level_is_named(quote, message):
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    with pytest.raises(mmsim.StrategyError, match=f"returned an invalid quote at local time .*: {message}$"):
        mmsim.run(ev, Script(quote), cfg(ladder_levels=2))


def test_both_forms_at_once_is_an_invalid_quote():
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    with pytest.raises(mmsim.StrategyError, match="quote sets both the 1-level targets .* and a ladder"):
        mmsim.run(ev, bad_ladder_rule(n=1, scalar=100), cfg(ladder_levels=2))


# ------------------------------------------------------------------ explicit orders

# Bid 100 x 10; asks 101 x 3, 102 x 4, 103 x 10; later depth updates only wake the strategy.
TAKE_EVENTS = [(1000, D, BID, 100, 10), (1000, D, ASK, 101, 3), (1000, D, ASK, 102, 4), (1000, D, ASK, 103, 10),
               (2000, D, BID, 99, 7), (3000, D, BID, 98, 7)]
FEES = mmsim.FeeConfig(maker_bps=-2.0, taker_bps=10.0, maker_per_lot=-0.1, taker_per_lot=0.5)


def test_an_ioc_partly_filled_against_two_levels_expires_the_rest_and_pays_taker_fees():
    # Buy IOC 10 at 102 reaches the exchange at 1100: 3 at 101 and 4 at 102, the 3 left
    # expire. Taker fee = notional * 10 bps + 0.5 per lot: 303 * 1e-3 + 1.5 = 1.803 and
    # 408 * 1e-3 + 2 = 2.408 (tick value 1).
    s = Script(Quote.keep(orders=[Order.ioc(BID, 102, 10, tag=7)]))
    r = mmsim.run(make_events(TAKE_EVENTS), s, cfg(entry=100, response=100, fees=FEES))
    assert fills_of(r) == [(1100, BID, 101, 3, 7), (1100, BID, 102, 4, 3)]
    assert not r.fills["maker"].any() and list(r.fills["tag"]) == [7, 7] and list(r.fills["level"]) == [-1, -1]
    assert list(r.fills["order_type"]) == [OrderType.IOC] * 2
    assert list(r.fills["fee"]) == [pytest.approx(1.803, abs=1e-12), pytest.approx(2.408, abs=1e-12)]
    assert r.position == 7 and r.cash_ticks == -711 and r.fees == pytest.approx(4.211, abs=1e-12)
    # Answered with fills and an expiry, never acked: it never rests.
    assert log_of(r) == [("SENT", 1, 102, 10, 10, -1, "IOC", 7), ("FILLED", 1, 101, 3, 7, -1, "IOC", 7),
                         ("FILLED", 1, 102, 4, 3, -1, "IOC", 7), ("EXPIRED", 1, 102, 10, 3, -1, "IOC", 7)]
    assert [k for k, _ in s.events] == ["fill", "fill", "expire"]
    assert s.events[0][1] == {"side": BID, "price": 101, "qty": 3, "exch_ts": 1100, "leaves": 7, "order_id": 1,
                              "order_type": OrderType.IOC, "level": -1, "tag": 7}
    assert s.events[2][1] == {"order_id": 1, "order_type": OrderType.IOC, "level": -1, "tag": 7, "side": BID,
                              "price": 102, "qty": 10, "leaves": 3, "exch_ts": 1100}
    v = s.views[1]  # the call when the answers arrive (1200)
    assert v.ts == 1200 and v.reason & Wake.FILL and v.reason & Wake.EXPIRE
    assert (v.n_expires, v.last_expire_id, v.last_expire_tag, v.last_expire_qty, v.last_expire_ts) == (1, 1, 7, 3, 1100)
    assert (v.last_expire_type, v.last_expire_level, v.last_expire_side) == (OrderType.IOC, -1, BID)
    assert v.n_explicit_live == 0 and v.n_live_orders == 0 and v.position == 7
    assert s.views[0].n_explicit_live == 0  # the first call saw nothing yet: the order was sent by it


@numba_strategy(params={"kind": 2.0, "side": -1.0, "px": 99.0, "qty": 12.0, "ret": 0.0}, state_size=1)
def one_order_rule(view, params, state, out):
    """One explicit order at the first call (whatever the return value says about targets)."""
    if state[0] == 0:
        state[0] = 1
        out.n_orders = 1
        out.order_type[0] = int(params.kind)
        out.order_side[0] = int(params.side)
        out.order_px[0] = params.px
        out.order_qty[0] = params.qty
        out.order_tag[0] = -5
    return int(params.ret)


@pytest.mark.parametrize("path", ["numba", "python"])
def test_a_sell_ioc_against_the_bids_on_both_paths(path):
    # The other side: sell IOC 12 at 99 against bids 100 x 10, 99 x 5, 98 x 9: 10 at 100 and
    # 2 at 99; nothing expires. The rule returns 0 (keep the targets): the order goes anyway.
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, BID, 99, 5), (1000, D, BID, 98, 9), (1000, D, ASK, 101, 3),
                      (2000, D, ASK, 102, 1)])
    kind = one_order_rule
    strategy = kind(qty=12) if path == "numba" else kind.python(qty=12)
    r = mmsim.run(ev, strategy, cfg(entry=100, response=100, fees=FEES))
    assert fills_of(r) == [(1100, ASK, 100, 10, 2), (1100, ASK, 99, 2, 0)]
    assert list(r.fills["tag"]) == [-5, -5] and not r.fills["maker"].any()
    assert r.fees == pytest.approx((1000 + 198) * 1e-3 + 0.5 * 12, abs=1e-12)
    assert [row[0] for row in log_of(r)] == ["SENT", "FILLED", "FILLED"]


@pytest.mark.parametrize(("order", "expect_fills", "expired"), [
    # FOK 10 at 102: only 3 + 4 visible up to 102: nothing trades, all 10 expire.
    (Order.fok(BID, 102, 10, tag=1), [], 10),
    # FOK 7 at 101: 101 holds 3; the 4 at 102 are past its price: nothing.
    (Order.fok(BID, 101, 7, tag=1), [], 7),
    # FOK 7 at 102: exactly the 3 + 4 visible: fills whole.
    (Order.fok(BID, 102, 7, tag=1), [(1100, BID, 101, 3, 4), (1100, BID, 102, 4, 0)], 0),
    # An IOC whose price does not reach the ask expires whole.
    (Order.ioc(BID, 100, 5, tag=1), [], 5),
    # A market order takes levels whatever their price: 3 + 4 + 10, then 3 expire.
    (Order.market(BID, 20, tag=1), [(1100, BID, 101, 3, 17), (1100, BID, 102, 4, 13), (1100, BID, 103, 10, 3)], 3),
    # A market sell of 4 against the bid 100 x 10.
    (Order.market(ASK, 4, tag=1), [(1100, ASK, 100, 4, 0)], 0),
], ids=["fok-short", "fok-past-its-price", "fok-whole", "ioc-not-crossing", "market-buy", "market-sell"])
def test_fok_ioc_and_market_orders_by_hand(order, expect_fills, expired):
    s = Script(Quote.keep(orders=[order]))
    r = mmsim.run(make_events(TAKE_EVENTS), s, cfg(entry=100, response=100))
    assert fills_of(r) == expect_fills
    expiries = [row for row in log_of(r) if row[0] == "EXPIRED"]
    assert [row[4] for row in expiries] == ([expired] if expired else [])
    assert [k for k, _ in s.events].count("expire") == (1 if expired else 0)
    assert r.position == sum(side * qty for _, side, _, qty, _ in expect_fills)


def test_a_market_order_against_an_empty_side_expires_whole():
    ev = make_events([(1000, D, BID, 100, 10), (2000, D, BID, 99, 1)])
    r = mmsim.run(ev, Script(Quote.keep(orders=[Order.market(BID, 3)])), cfg())
    assert fills_of(r) == [] and [row[0] for row in log_of(r)] == ["SENT", "EXPIRED"]


def test_explicit_orders_never_cancel_or_replace_the_targets():
    # A resting bid (100, 5) stays through two calls that send an IOC each: kept, not
    # cancelled; the explicit orders go out after the targets' orders of the same call.
    ev = make_events(TAKE_EVENTS)
    s = Script(Quote.ladder(bids=[(100, 5)], orders=[Order.ioc(BID, 101, 1, tag=1)]),
               Quote.keep(orders=[Order.ioc(BID, 101, 1, tag=2)]),
               Quote.ladder(bids=[(100, 5)], orders=[Order.fok(BID, 101, 1, tag=3)]))
    r = mmsim.run(ev, s, cfg(entry=10, response=10))
    log = log_of(r)
    assert [row[:2] for row in log if row[0] in ("SENT", "CANCEL_SENT")] == [
        ("SENT", 1), ("SENT", 2), ("SENT", 3), ("SENT", 4)]
    assert [(row[1], row[6], row[7]) for row in log if row[0] == "SENT"] == [
        (1, "LIMIT", 0), (2, "IOC", 1), (3, "IOC", 2), (4, "FOK", 3)]
    # Calls at 1000 (market), 1020 and 1040 (each previous call's answers): fills at 1010, 1030, 1050.
    assert fills_of(r) == [(1010, BID, 101, 1, 0), (1030, BID, 101, 1, 0), (1050, BID, 101, 1, 0)]
    # The 1-level view fields show the target order, never an explicit one.
    assert all(v.bid_order_px in (0, 100) for v in s.views)


def test_max_orders_counts_explicit_orders_in_flight():
    ev = make_events(TAKE_EVENTS)
    q = Quote.ladder(bids=[(100, 1)], orders=[Order.ioc(BID, 101, 1), Order.ioc(BID, 101, 1)])
    with pytest.raises(mmsim.StrategyError, match="stopped at local time .*: more than max_orders=2 live orders"):
        mmsim.run(ev, Script(q), cfg(entry=10, max_orders=2))
    assert len(mmsim.run(ev, Script(q), cfg(entry=10, max_orders=3)).fills) == 2


@pytest.mark.parametrize(("orders", "message"), [
    ([Order.ioc(BID, 101, 0)], "order 0 order_qty = 0 is not a positive number of lots"),
    ([Order.ioc(BID, 101, 1.5)], "order 0 order_qty = 1.5 is not a whole number of lots"),
    ([Order.ioc(BID, 101, 1), Order.ioc(0, 101, 1)], r"order 1 order_side = 0 is not \+1 \(buy\) or -1 \(sell\)"),
    ([Order(OrderType.LIMIT, BID, 101, 1)], r"order 0 order_type = 1 is not IOC \(2\), FOK \(3\) or MARKET \(4\)"),
    ([Order.fok(ASK, float("inf"), 1)], "order 0 order_px = inf is not finite"),
    ([Order.ioc(BID, 101, 1)] * 5, r"n_orders = 5 is not in 0\.\.4 \(explicit orders per call\)"),
], ids=["qty-0", "qty-fraction", "side-0", "limit-type", "price-inf", "too-many"])
def test_an_invalid_explicit_order_stops_the_run_naming_it(orders, message):
    with pytest.raises(mmsim.StrategyError,
                       match=f"^strategy Script sent an invalid order at local time 1000 ns .*: {message}$"):
        mmsim.run(make_events(TAKE_EVENTS), Script(Quote.keep(orders=orders)), cfg())


def test_a_market_orders_price_is_ignored():
    r = mmsim.run(make_events(TAKE_EVENTS), one_order_rule(kind=4, side=1, px=-1e300, qty=2), cfg())
    assert fills_of(r) == [(1000, BID, 101, 2, 0)]
    assert log_of(r)[0][:3] == ("SENT", 1, 0)  # logged at price 0


def test_an_exception_in_on_expire_names_the_callback():
    class Raises(Script):
        def on_expire(self, event):
            raise RuntimeError("no")

    with pytest.raises(mmsim.StrategyError, match=r"raised RuntimeError in on_expire\(\) at local time .*: no"):
        mmsim.run(make_events(TAKE_EVENTS), Raises(Quote.keep(orders=[Order.ioc(BID, 100, 1)])), cfg())


def test_python_return_values_are_checked():
    with pytest.raises(TypeError, match="give both bids and asks, or neither"):
        mmsim.Ladder([(100, 1)], None)
    with pytest.raises(TypeError, match=r"bids must be a sequence of \(price, size\) pairs"):
        Quote.ladder(bids=[100, 1])
    with pytest.raises(TypeError, match="orders must be mmsim.Order values"):
        Quote.keep(orders=[(2, 1, 100, 1)])
    assert Quote.keep().keeps and not Quote.ladder().keeps
    assert repr(Quote.ladder(bids=[(100, 1)])) == "Quote.ladder(bids=[(100.0, 1.0)], asks=[], orders=[])"


def test_wake_bits_and_order_type_enum_values():
    assert (int(Wake.REJECT), int(Wake.EXPIRE)) == (16, 32)
    assert [int(t) for t in (OrderType.LIMIT, OrderType.IOC, OrderType.FOK, OrderType.MARKET)] == [1, 2, 3, 4]
    assert Order.market(ASK, 3, tag=9) == Order(OrderType.MARKET, ASK, 0.0, 3, 9)
    assert np.dtype(mmsim.records.FILL_DTYPE)["tag"] == np.int64


# ------------------------------------------------------------------ the reference ladder on market data

LADDER_PARAMS = {"half_spread": 1.0, "level_gap": 1.0, "size": 1.0, "outer_size": 2.0, "skew": 0.1,
                 "max_position": 10.0, "flatten_at": 6.0, "flatten_to": 1.0}


def ladder_flatten():
    from conftest import ROOT
    from mmsim.plugins import resolve_strategy

    return resolve_strategy(f"{ROOT / 'strategies' / 'ladder_flatten.py'}:LadderFlatten")


def ladder_config(**kw) -> mmsim.Config:
    kw.setdefault("latency", mmsim.LatencyConfig(feed=1_000_000, entry=250_000, response=250_000))
    kw.setdefault("ladder_levels", 2)
    return mmsim.Config(fees=mmsim.FeeConfig(maker_bps=-0.2, taker_bps=0.5), **kw)


def check_fast_equals_python(events, params, config):
    kind = ladder_flatten()
    fast = mmsim.run(events, kind(**params), config)
    slow = mmsim.run(events, kind.python(**params), config)
    for name in ("fills", "orders", "samples", "fill_signals"):
        assert getattr(fast, name).tobytes() == getattr(slow, name).tobytes(), name
    assert (fast.position, fast.cash_ticks, fast.fees, fast.n_calls) == (slow.position, slow.cash_ticks, slow.fees,
                                                                         slow.n_calls)
    # Not vacuous: both levels traded, and flattening IOCs took liquidity with their tags.
    f = fast.fills
    assert set(np.unique(f["level"][f["maker"]])) == {0, 1}
    taker = f[~f["maker"]]
    assert len(taker) > 0 and np.all(taker["order_type"] == OrderType.IOC) and np.all(taker["tag"] >= 1)
    assert np.all(taker["level"] == -1)
    return fast


@pytest.mark.parametrize("fmt", ["l3", "l2"])
def test_fast_and_python_paths_agree_fill_for_fill_with_ladders_on_the_synthetic_market(fmt):
    from conftest import synth_day

    check_fast_equals_python(synth_day(fmt).events, LADDER_PARAMS, ladder_config(tick_size=0.01))


def test_fast_and_python_paths_agree_fill_for_fill_with_ladders_on_amzn(real_store):
    store = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    params = dict(LADDER_PARAMS, half_spread=3.0, level_gap=2.0, size=100.0, outer_size=200.0, skew=0.002,
                  max_position=1000.0, flatten_at=600.0, flatten_to=100.0)
    check_fast_equals_python(store, params, ladder_config(tick_size=0.01))


def test_run_many_with_ladder_and_1_level_runs_mixed_is_bit_identical_to_separate_runs():
    from conftest import synth_day
    from test_run_many import check_against_separate_runs

    events = synth_day("l2").events
    kind = ladder_flatten()
    lat = mmsim.LatencyConfig(feed=500_000, entry=100_000, response=100_000)
    runs = [
        (kind(**LADDER_PARAMS), ladder_config()),
        (mmsim.load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.1, "size": 1, "max_position": 10}),
         mmsim.Config(latency=lat)),
        (kind.python(**LADDER_PARAMS), ladder_config(latency=lat, decide_every=10_000_000)),
        (Script(*[Quote.keep(orders=[Order.market(BID, 1, tag=k)]) for k in range(50)]), mmsim.Config(latency=lat)),
        (kind(**dict(LADDER_PARAMS, flatten_at=3.0)), ladder_config(post_only=False, ladder_levels=4)),
    ]
    many = check_against_separate_runs(events, runs)
    assert all(len(r.fills) > 0 for r in many)
    assert len({r.orders.tobytes() for r in many}) == len(many)


def test_the_example_config_runs_end_to_end(tmp_path):
    """examples/ladder_flatten.yaml on a short synthetic store: the report reconciles, with taker fills."""
    import json
    import subprocess
    import sys

    from conftest import ROOT
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration="3min"), tmp_path / "store")
    # The checkout's file rather than the entry point, which may not be installed where the tests run.
    text = (ROOT / "examples" / "ladder_flatten.yaml").read_text()
    assert "  path: ladder_flatten " in text
    config = tmp_path / "ladder_flatten.yaml"
    config.write_text(text.replace("  path: ladder_flatten ",
                                   f"  path: {ROOT / 'strategies' / 'ladder_flatten.py'}:LadderFlatten "))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(config), "--data", str(tmp_path / "store"),
                           "-o", str(out), "-q"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads((out / "report.json").read_text())
    assert doc["pnl"]["reconciled"] is True and doc["setup"]["ladder_levels"] == 2
    assert doc["fills"]["taker_count"] > 0 and doc["fills"]["maker_count"] > 0


# ------------------------------------------------------------------ rules docs/strategies.md states (pinned here)

def test_a_kept_order_reports_the_level_it_was_sent_for_after_the_levels_are_reordered():
    # Bids (98, 1), (100, 1), (99, 1) as levels 0, 1, 2; the next quote lists them reversed:
    # no order changes, the view's slots follow the new list (99, 100, 98), and a sell
    # through all three fills each order with the level it was sent for: 100 -> 1, 99 -> 2,
    # 98 -> 0 (behind 5 lots at 98, the sell of 20 at 97 trades through it).
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, BID, 98, 5), (1000, D, ASK, 103, 10),
                      (2000, D, ASK, 104, 1), (3000, T, ASK, 97, 20)])
    levels = [(98, 1), (100, 1), (99, 1)]
    s = Script(Quote.ladder(bids=levels), Quote.ladder(bids=levels[::-1]), None)
    r = mmsim.run(ev, s, cfg(ladder_levels=3))
    assert list(s.views[2].bid_ladder_px[:3]) == [99, 100, 98]
    assert sorted((int(f["price"]), int(f["level"])) for f in r.fills) == [(98, 0), (99, 2), (100, 1)]


def test_a_market_order_takes_at_most_the_best_32_levels():
    # 40 ask levels of 1 lot (101..140): a market buy of 50 takes the best 32 (101..132), 18
    # expire; an IOC up to 140 likewise stops at the 32nd level.
    rows = [(1000, D, BID, 100, 10)] + [(1000, D, ASK, 101 + k, 1) for k in range(40)] + [(2000, D, BID, 99, 1)]
    for order, last in ((Order.market(BID, 50, tag=1), 132), (Order.ioc(BID, 140, 50, tag=2), 132)):
        r = mmsim.run(make_events(rows), Script(Quote.keep(orders=[order])), cfg())
        assert [int(p) for p in r.fills["price"]] == list(range(101, last + 1))
        assert [row[4] for row in log_of(r) if row[0] == "EXPIRED"] == [50 - 32]


def test_two_explicit_orders_in_one_call_take_the_same_visible_lots():
    # No market impact: each of two buy IOCs of 3 at 101 takes the 3 visible lots at 101.
    s = Script(Quote.keep(orders=[Order.ioc(BID, 101, 3, tag=1), Order.ioc(BID, 101, 3, tag=2)]))
    r = mmsim.run(make_events(TAKE_EVENTS), s, cfg(entry=100))
    assert fills_of(r) == [(1100, BID, 101, 3, 0), (1100, BID, 101, 3, 0)] and list(r.fills["tag"]) == [1, 2]


def test_an_explicit_order_never_trades_with_our_resting_order_nor_moves_its_queue_place():
    # Our ask (101, 2) rests behind the 3 visible lots at 101. A buy IOC of 5 at 101 takes
    # the 3 visible lots only (2 expire); our ask still has 3 ahead: a buy of 4 at 101
    # later fills 1 of ours.
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 3), (2000, D, BID, 99, 1),
                      (3000, T, BID, 101, 4)])
    s = Script(Quote.ladder(asks=[(101, 2)]), Quote.keep(orders=[Order.ioc(BID, 101, 5, tag=4)]), None)
    r = mmsim.run(ev, s, cfg(entry=10, response=10))
    assert fills_of(r) == [(1030, BID, 101, 3, 2), (3000, ASK, 101, 1, 1)]
    assert [bool(m) for m in r.fills["maker"]] == [False, True]
    assert [row[4] for row in log_of(r) if row[0] == "EXPIRED"] == [2]


# ------------------------------------------------------------------ values that are not numbers

@pytest.mark.parametrize(("quote", "message"), [
    (Quote("100", 1, 102, 1), "quote bid_px = '100' is a str, not a number"),
    (Quote(99, 1, 102, True), "quote ask_qty = True is a bool, not a number"),
    (Quote(99, np.bool_(True), 102, 1), "quote bid_qty = (np\\.)?True_? is a bool_?, not a number"),
    (Quote(99, 1, None, 1), "quote ask_px = None is a NoneType, not a number"),
    (Quote(99 + 0j, 1, 102, 1), r"quote bid_px = \(99\+0j\) is a complex, not a number"),
], ids=["str-price", "bool-size", "numpy-bool-size", "none-price", "complex-price"])
def test_a_quote_value_that_is_not_a_number_stops_the_run_naming_the_field(quote, message):
    # float() would read "100" as 100 and True as 1: a slip that runs as a plausible quote.
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    with pytest.raises(mmsim.StrategyError,
                       match=f"^strategy Script returned an invalid quote at local time 1000 ns .*: {message}$"):
        mmsim.run(ev, Script(quote), cfg())


@pytest.mark.parametrize(("returned", "shown"), [
    ((102, 99, 1, 1), r"tuple \(102, 99, 1, 1\)"),
    ([99, 1, 102, 1], r"list \[99, 1, 102, 1\]"),
    (np.array([99.0, 1.0, 102.0, 1.0]), r"ndarray array\(\[ ?99\., +1\., 102\., +1\.\]\)"),
], ids=["tuple", "list", "ndarray"])
def test_a_plain_sequence_is_not_a_quote(returned, shown):
    # A plain 4-sequence was read as (bid_px, bid_qty, ask_px, ask_qty): (bid, ask, sizes)
    # in another order quoted a bid of 102 lots at 102 ticks... with no error. Quote names them.
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    # cli7: the message said the strategy "raised TypeError in quote()"; it raised nothing, mmsim refused
    # what quote() returned, and the message now says so and what quote() must return.
    with pytest.raises(mmsim.StrategyError,
                       match=f"^strategy Script returned an invalid quote at local time 1000 ns .*: "
                             rf"quote\(\) returned {shown}; it must return mmsim\.Quote\(bid_px, bid_qty, ask_px, "
                             r"ask_qty\), mmsim\.Quote\.ladder\(\.\.\.\), mmsim\.Quote\.keep\(\.\.\.\) or None "
                             r"\(a plain sequence's order is not checked: name the "
                             r"fields with mmsim\.Quote\(bid_px=\.\.\., bid_qty=\.\.\., ask_px=\.\.\., "
                             r"ask_qty=\.\.\.\)\)$"):
        mmsim.run(ev, Script(returned), cfg())


def test_numpy_numbers_are_numbers():
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    a = mmsim.run(ev, Script(Quote(99, 1, 102, 1)), cfg())
    b = mmsim.run(ev, Script(Quote(np.int64(99), np.float64(1), np.float32(102), np.int32(1))), cfg())
    c = mmsim.run(ev, Script(Quote(Decimal("99"), Fraction(2, 2), np.array(102.0), np.array(1))), cfg())
    assert log_of(a) == log_of(b) == log_of(c) and [row[:3] for row in log_of(a)] == [
        ("SENT", 1, 99), ("SENT", 2, 102), ("ACKED", 1, 99), ("ACKED", 2, 102)]



@pytest.mark.parametrize(("quote", "message"), [
    (Quote(np.timedelta64(99, "ms"), 1, 102, 1), r"quote bid_px = np\.timedelta64\(99,'ms'\) is a timedelta64, not a number"),
    (Quote(99, 1, 10**400, 1), "quote ask_px = 1" + "0" * 400 + r" cannot be read as a float \(int too large to convert to float\)"),
    (Quote(99, Decimal("sNaN"), 102, 1),
     r"quote bid_qty = Decimal\('sNaN'\) cannot be read as a float \(cannot convert signaling NaN to float\)"),
], ids=["timedelta-price", "int-beyond-float", "signaling-nan-size"])
def test_a_duration_or_a_number_float_cannot_read_stops_the_run_naming_the_field(quote, message):
    # numpy makes timedelta64 an integer type, so it passed as a price of 99 (its count of ms);
    # 10**400 and Decimal('sNaN') raised a bare OverflowError / ValueError naming no field.
    ev = make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10)])
    with pytest.raises(mmsim.StrategyError,
                       match=f"^strategy Script returned an invalid quote at local time 1000 ns .*: {message}$"):
        mmsim.run(ev, Script(quote), cfg())


def test_a_ladder_or_order_number_float_cannot_read_is_refused_naming_it():
    with pytest.raises(TypeError) as info:
        Quote.ladder(bids=[(Fraction(10**400), 1)])
    assert str(info.value) == ("Quote.ladder: bids[0] price = Fraction(1" + "0" * 400 + ", 1) cannot be read as a "
                               "float (integer division result too large for a float)")
    with pytest.raises(TypeError) as info:
        Quote.keep(orders=[Order.ioc(BID, 101, np.timedelta64(3, "s"))])
    assert str(info.value) == "Quote.keep: order 0 qty = np.timedelta64(3,'s') is a timedelta64, not a number"

@pytest.mark.parametrize(("make", "message"), [
    (lambda: Quote.ladder(bids=[(99, 1), ("98", 1)]), "Quote.ladder: bids[1] price = '98' is a str, not a number"),
    (lambda: Quote.ladder(asks=[(102, False)]), "Quote.ladder: asks[0] size = False is a bool, not a number"),
    (lambda: Quote.ladder(bids=[(99, 1, 5)]), "Quote.ladder: bids must be a sequence of (price, size) pairs, got [(99, 1, 5)]"),
    (lambda: Quote.keep(orders=[Order.ioc(BID, 101, 1, tag=2**63)]),
     "Quote.keep: order 0 tag = 9223372036854775808 does not fit in int64"),
    (lambda: Quote.keep(orders=[Order.ioc(BID, 101, 1, tag=1.5)]), "Quote.keep: order 0 tag = 1.5 is a float, not an integer"),
    (lambda: Quote.keep(orders=[Order.ioc(BID, "101", 1)]), "Quote.keep: order 0 price = '101' is a str, not a number"),
], ids=["str-level-price", "bool-level-size", "triple", "tag-beyond-int64", "float-tag", "str-order-price"])
def test_a_ladder_or_order_value_that_is_not_a_number_is_refused_when_built(make, message):
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value) == message
    # the largest int64 tag is a tag
    assert Quote.keep(orders=[Order.ioc(BID, 101, 1, tag=2**63 - 1)]).orders[0].tag == 2**63 - 1
