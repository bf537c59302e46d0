"""The hold of a target rejected post-only (or that took liquidity on arrival) ends once the
book the strategy sees no longer crosses it (breaker34 F6; docs/engine.md, "Targets, not
orders").

The hold exists so that a quote through a book that does not move is rejected once, not on
every response (``tests/test_engine_guards.py`` pins that). It used to last until the local
best bid, best ask or trading status differed from what the first call after the reject
saw, even when that book had already moved back and the target crossed nothing: on a quiet
book the strategy then had no quote at all, silently, for as long as the prices stayed.
"""

from __future__ import annotations

import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.records import OrderEvent, RejectReason

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE
US, MS = 1_000, 1_000_000


def cfg(feed: int = 0, entry: int = 0, response: int = 0, **kw) -> mmsim.Config:
    kw.setdefault("signals", mmsim.SignalConfig(enabled=False))
    lat = mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=feed), entry=mmsim.LatencyModel(ns=entry),
                              response=mmsim.LatencyModel(ns=response))
    return mmsim.Config(latency=lat, **kw)


class Fixed(mmsim.Strategy):
    def __init__(self, q):
        self.q = q

    def quote(self, view):
        return self.q


def fills(r):
    return [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"]), bool(f["maker"])) for f in r.fills]


def log(r):
    return [(int(o["exch_ts"]), int(o["local_ts"]), OrderEvent(int(o["event"])).name, int(o["price"]))
            for o in r.orders]


def _dip(side):
    """Book 99/102. The far side dips to our price at 1500 (the ask to 101 under our bid at
    101, or the bid to 100 under our ask at 100) and is back at 2500; only sizes change after,
    and a print at our price at 8000 (a sell at 101, or a buy at 100)."""
    far, px = (ASK, 101) if side == BID else (BID, 100)
    return make_events([(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10), (1500, D, far, px, 5), (2500, D, far, px, 0),
                        (5000, D, BID, 99, 11), (6000, D, ASK, 102, 9), (8000, T, far, px, 1), (9000, D, BID, 99, 12)])


@pytest.mark.parametrize("side", [BID, ASK], ids=["bid", "ask"])
def test_a_rejected_quote_the_book_no_longer_crosses_is_sent_at_once(side):
    """Breaker34 F6 (and its mirror). 1 us each way, no feed delay. The quote reaches the
    exchange at 2000, during the dip: rejected post-only. At 3000 the reject reaches the
    strategy, whose view (99/102, as of 2500: after the reject) crosses nothing: the target is
    sent again at once (arrives 4000, rests alone at its price) and the print at 8000 fills
    1 lot. It was held until the best prices moved, which they never did: no order, no fill."""
    px = 101 if side == BID else 100
    q = Quote(px, 1, 0, 0) if side == BID else Quote(0, 0, px, 1)
    r = mmsim.run(_dip(side), Fixed(q), cfg(0, 1000, 1000))
    assert fills(r) == [(8000, side, px, 1, True)]
    assert log(r)[:5] == [(2000, 1000, "SENT", px), (2000, 3000, "REJECTED", px), (4000, 3000, "SENT", px),
                          (4000, 5000, "ACKED", px), (8000, 9000, "FILLED", px)]
    assert r.orders["reason"][1] == RejectReason.POST_ONLY_WOULD_CROSS


def test_a_target_that_took_liquidity_is_sent_again_once_the_book_no_longer_crosses_it():
    """The same kind with post_only off: the bid at 101 takes 1 lot of the dip's ask on arrival
    (2000, taker) and is held like a reject; at 3000 the view (after the fill) crosses nothing,
    so it is sent again to rest, and the print at 8000 fills it as a maker. It used to have no
    order after the taker fill: 1 fill instead of 2."""
    r = mmsim.run(_dip(BID), Fixed(Quote(101, 1, 0, 0)), cfg(0, 1000, 1000, post_only=False))
    assert fills(r) == [(2000, BID, 101, 1, False), (8000, BID, 101, 1, True)]


def test_a_ladder_level_is_released_on_its_own():
    """Ladders: each level is held and released on its own. Bids at 101 and 100: the dip's
    ask at 101 rejects the first level only (the second rests at 100 from 2000); at 3000 the
    view crosses neither, so level 0 is sent again and the print at 8000 (a sell of 1 at 101)
    fills it: 1 lot at 101. It used to stay held: no fill."""
    r = mmsim.run(_dip(BID), Fixed(Quote.ladder(bids=[(101, 1), (100, 1)], asks=[])), cfg(0, 1000, 1000, ladder_levels=2))
    assert fills(r) == [(8000, BID, 101, 1, True)]
    rejected = r.orders[r.orders["event"] == OrderEvent.REJECTED]
    assert rejected["price"].tolist() == [101]


def test_a_hold_ends_at_a_later_call_whose_view_is_past_the_reject_and_crosses_nothing():
    """On a 1 ms timer with a 1.5 ms feed and 100 us each way, the first tick after the reject
    sees a book older than the reject, and a later tick sees the dip over, with the same best
    prices. Ticks at 2.5, 3.5, 4.5 ms...: the bid at 101 sent at 2.5 ms reaches the exchange at
    2.6 ms, in a dip of the ask to 101 (2.55 to 2.65 ms): rejected. The tick at 3.5 ms sees the
    exchange up to 2.0 ms (99/102, before the reject): held. The tick at 4.5 ms sees it up to
    3.0 ms: 99/102 again, now after the reject: released, sent (arrives 4.6 ms, rests), and
    the sell of 1 at 101 at 8 ms fills it. It used to wait for the best prices to move: no fill."""
    rows = [(0, D, BID, 99, 10), (0, D, ASK, 102, 10), (2550 * US, D, ASK, 101, 5), (2650 * US, D, ASK, 101, 0),
            (5 * MS, D, BID, 99, 11), (8 * MS, T, ASK, 101, 1), (12 * MS, D, BID, 99, 12)]
    r = mmsim.run(make_events(rows), Fixed(Quote(101, 1, 0, 0)),
                  cfg(1500 * US, 100 * US, 100 * US, decide_every="1ms"))
    assert log(r)[:4] == [(2600 * US, 2500 * US, "SENT", 101), (2600 * US, 2700 * US, "REJECTED", 101),
                          (4600 * US, 4500 * US, "SENT", 101), (4600 * US, 4700 * US, "ACKED", 101)]
    assert fills(r) == [(8 * MS, BID, 101, 1, True)]


def test_a_stale_view_that_crosses_nothing_keeps_the_hold():
    """A view older than the reject says nothing about the book the order met: the target stays
    held until the view is past the reject (or its best prices move), not sent again on every
    response. Feed 3 us, 0.5 us each way; the ask at 100 reaches the exchange at 4500, when
    the bid is at 100 (4200 to 7000): rejected. At 5000 the view is the book of 1000 (99/102):
    held (sent again there, it would be rejected at 5500, 6500 and 7500... on every response).
    At 7200 the view shows the bid at 100 (the best bid moved): sent, arrives 7700 after the
    bid went back to 99, rests, and the buy of 1 at 100 at 9000 fills it. 1 reject."""
    rows = [(1000, D, BID, 99, 10), (1000, D, ASK, 102, 10), (4200, D, BID, 100, 5), (7000, D, BID, 100, 0),
            (9000, T, BID, 100, 1)]
    r = mmsim.run(make_events(rows), Fixed(Quote(0, 0, 100, 1)), cfg(3000, 500, 500))
    assert log(r) == [(4500, 4000, "SENT", 100), (4500, 5000, "REJECTED", 100), (7700, 7200, "SENT", 100),
                      (7700, 8200, "ACKED", 100), (9000, 9500, "FILLED", 100)]
    assert fills(r) == [(9000, ASK, 100, 1, True)]


def test_run_many_gives_each_run_its_own_holds():
    """``run_many`` equals separate runs, bit for bit, with the release on: the dip case under
    latencies that release at the first call, at a later one, or not at all."""
    cfgs = [cfg(0, 1000, 1000), cfg(3000, 500, 500), cfg(0, 1000, 1000, post_only=False), cfg(1500, 100, 100)]
    strategies = [Fixed(Quote(101, 1, 0, 0)) for _ in cfgs]
    many = mmsim.run_many(_dip(BID), list(zip(strategies, cfgs)))
    for one, c, s in zip(many, cfgs, strategies):
        alone = mmsim.run(_dip(BID), s, c)
        assert one.fills.tobytes() == alone.fills.tobytes() and one.orders.tobytes() == alone.orders.tobytes()
