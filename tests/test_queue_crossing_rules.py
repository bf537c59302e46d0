"""L2 queue position where the book's own rules move a level (fix34q; breaker34 F1, F2, F4, F5), by hand under
every queue model: a level of ours removed by the stale-crossing rule moves us on its net change in the message;
the power/log share of a cancel is exact where it is a whole number of lots, and the lots behind us do not count
the lots that traded; a crossed book while the venue does not trade is real (no stale-crossing removal until
trading resumes, and not within the resume message), and a book still crossed after it is uncrossed lot for lot
as the venue's auction does; the lots that uncross trades move us as a print does, not as cancels (fix36c,
breaker36 F1). The ctest twins: stale_crossing_moves_our_queue, prob_queue_share, crossed_book_while_not_trading,
resume_uncross_is_a_print (cpp/tests/test_engine.cpp)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote, TradingStatus

D, T, ST = Kind.DEPTH, Kind.TRADE, Kind.STATUS
BID, ASK = 1, -1
MODELS = [{"model": "risk_averse"}, {"model": "power", "power": 2.0}, {"model": "log"}]
QUOTING, TRADING = int(TradingStatus.QUOTING), int(TradingStatus.TRADING)


class Fixed(mmsim.Strategy):
    def __init__(self, bid_px=100, bid_qty=5, ask_px=0, ask_qty=0):
        self.q = Quote(bid_px, bid_qty, ask_px, ask_qty)

    def quote(self, view):
        return self.q


def config(queue=None, entry=0):
    lat = mmsim.LatencyModel
    return mmsim.Config(queue=queue or {"model": "risk_averse"}, signals=mmsim.SignalConfig(enabled=False),
                        latency=mmsim.LatencyConfig(feed=lat(ns=0), entry=lat(ns=entry), response=lat(ns=0)))


def fills(res) -> list[tuple[int, int, int, int, int]]:
    f = res.fills
    return list(zip(f["exch_ts"].tolist(), f["side"].tolist(), f["price"].tolist(), f["qty"].tolist(),
                    f["leaves"].tolist()))


def name(queue) -> str:
    return queue["model"]


# --- F5: the stale-crossing rule's removal of our level is a change of the message like any other


@pytest.mark.parametrize("queue", MODELS, ids=name)
def test_our_level_removed_by_the_crossing_rule_leaves_nobody_ahead(queue):
    """Bid 100x10, 99x5, ask 102x10; our bid 5 @ 100 behind 10. One message: an ask at 100 (the book drops bid 100
    as stale), then a bid at 101 (drops that ask): no crossing fill, and our level went 10 -> 0 in the message, so
    nobody is ahead (as when the feed writes bid 100 -> 0 itself). A sell of 4 at 100 fills 4."""
    head = [(1000, D, BID, 100, 10), (1000, D, BID, 99, 5), (1000, D, ASK, 102, 10)]
    tail = [(4000, D, BID, 101, 0), (5000, T, ASK, 100, 4)]
    crossed = make_events(head + [(3000, D, ASK, 100, 5), (3000, D, BID, 101, 3)] + tail)
    explicit = make_events(head + [(3000, D, ASK, 100, 5), (3000, D, BID, 100, 0), (3000, D, BID, 101, 3)] + tail)
    for ev in (crossed, explicit):
        assert fills(mmsim.run(ev, Fixed(), config(queue))) == [(5000, BID, 100, 4, 1)]


@pytest.mark.parametrize("queue", MODELS, ids=name)
def test_our_level_removed_and_relisted_in_one_message_moves_on_the_net_change(queue):
    """Bid 100 at 20 with 10 ahead of us and 10 behind. One message: an ask at 100 (drops bid 100), then bid 100 x 3
    (drops that ask): the level went 20 -> 3, a net decrease of 17 (not an increase from 0): risk_averse
    min(10, 3) = 3 ahead; power 2 and log split it half and half, floor(8.5) = 8 ahead and 9 behind: 2 ahead. A
    sell of 6 fills 3 lots (risk_averse) or 4."""
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 102, 10), (2000, D, BID, 100, 20),
                      (3000, D, ASK, 100, 5), (3000, D, BID, 100, 3), (5000, T, ASK, 100, 6)])
    lots = 3 if queue["model"] == "risk_averse" else 4
    assert fills(mmsim.run(ev, Fixed(), config(queue))) == [(5000, BID, 100, lots, 5 - lots)]


# --- F1: the probabilistic models' share ahead is exact where it is a whole number of lots


@pytest.mark.parametrize(("ahead", "behind", "level", "sell"), [(26, 20, 23, 14), (30, 14, 22, 16)])
def test_power_1_share_that_is_a_whole_number_of_lots_is_not_rounded_down_once_more(ahead, behind, level, sell):
    """Power 1: 26 ahead, 20 behind, the level 46 -> 23: 26/46 of 23 = 13 exactly, 13 ahead; a sell of 14 fills 1
    (the double 26/46 * 23 is 12.999..., which floored to 12 left 14 ahead: no fill). Second case: 30 ahead, 14
    behind, 44 -> 22: 30/44 of 22 = 15 ahead; a sell of 16 fills 1."""
    ev = make_events([(1000, D, BID, 100, ahead), (1000, D, ASK, 102, 10), (3000, D, BID, 100, ahead + behind),
                      (4000, D, BID, 100, level), (5000, T, ASK, 100, sell)])
    res = mmsim.run(ev, Fixed(), config({"model": "power", "power": 1.0}))
    assert fills(res) == [(5000, BID, 100, 1, 4)]


def test_log_share_that_is_a_whole_number_of_lots_is_not_rounded_down_once_more():
    """Log: 8 ahead, 26 behind, 5 cancelled: log 9 / (log 9 + log 27) = 2/5 of 5 = 2 lots ahead (the double
    product is 1.999... in the old order of operations): 6 ahead; a sell of 7 fills 1."""
    ev = make_events([(1000, D, BID, 100, 8), (1000, D, ASK, 102, 10), (3000, D, BID, 100, 34),
                      (4000, D, BID, 100, 29), (5000, T, ASK, 100, 7)])
    assert fills(mmsim.run(ev, Fixed(), config({"model": "log"}))) == [(5000, BID, 100, 1, 4)]



@pytest.mark.parametrize("power", [2.0, 16.0, 40.0, 1000.0])
def test_power_share_of_lot_counts_whose_power_overflows_a_double(power):
    """breaker34 F7: spot BTC's 1e-8 lots make a level of 2 BTC 2e8 lots, and 2e8^40 is inf (inf / (inf + inf) was
    NaN: the order went to the front and filled whole). 2e8 ahead, 2e8 join behind, 1e8 cancelled: ahead equals
    behind, so half the cancel is ahead for every exponent: 1.5e8 ahead; a sell of 1.5e8 + 3 fills 3 of our 5."""
    a = 200_000_000
    ev = make_events([(1000, D, BID, 100, a), (1000, D, ASK, 101, 10), (3000, D, BID, 100, 2 * a),
                      (4000, D, BID, 100, 2 * a - 100_000_000), (5000, T, ASK, 100, 150_000_003)])
    assert fills(mmsim.run(ev, Fixed(), config({"model": "power", "power": power}))) == [(5000, BID, 100, 3, 2)]


def test_power_overflow_with_nobody_behind_puts_the_whole_cancel_ahead():
    """The second case of F7's kind: 1e12 lots ahead of us and none behind, power 30 (1e360: inf, the other term 0);
    a cancel of 1,000 lots is all ahead of us (nobody is behind), so a sell of 1e12 - 1000 + 2 fills 2."""
    big = 10**12
    ev = make_events([(1000, D, BID, 100, big), (1000, D, ASK, 101, 10), (4000, D, BID, 100, big - 1000),
                      (5000, T, ASK, 100, big - 1000 + 2)])
    assert fills(mmsim.run(ev, Fixed(), config({"model": "power", "power": 30.0}))) == [(5000, BID, 100, 2, 3)]


# --- F2: the lots behind us are the level less what traded less what is ahead


@pytest.mark.parametrize("queue", [{"model": "power", "power": 2.0}, {"model": "log"}], ids=name)
@pytest.mark.parametrize("apart", [False, True], ids=["one message", "print first"])
def test_lots_that_traded_ahead_of_us_are_not_counted_behind_us(queue, apart):
    """Bid 100x10, we join behind 10, 5 join behind us (15). A sell of 4 (6 ahead) and the level 15 -> 9: 2
    cancelled with 6 ahead and 5 behind. Power 2: 36/61 of 2 = 1.18 -> 1; log: log 7 / (log 7 + log 6) of 2 =
    1.04 -> 1: 5 ahead, and a sell of 6 fills 1. Counting the 4 traded lots behind us (behind 9, hftbacktest's
    prev - ahead) gave 36/117 of 2 and log 7 / (log 7 + log 10) of 2, both 0 lots: no fill. The same with the
    print a message before the depth update."""
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 102, 10), (2000, D, BID, 100, 15),
                      (3000 if apart else 4000, T, ASK, 100, 4), (4000, D, BID, 100, 9), (6000, T, ASK, 100, 6)])
    assert fills(mmsim.run(ev, Fixed(), config(queue))) == [(6000, BID, 100, 1, 4)]


# --- F4: a crossed book while the venue does not trade is real


def test_a_pre_open_crossing_does_not_erase_the_other_sides_level():
    """QUOTING: bid 100x10, ask 101x10; a pre-open ask at 100 x 4 comes and goes; trading at 5000. Our bid arrives
    at 5500 behind the 10 lots that never left: a sell of 10 fills nothing, a sell of 3 fills 3. The book (and so
    the report's mid) shows the bid all along."""
    ev = make_events([(1000, ST, 0, 0, QUOTING), (1000, D, BID, 100, 10), (1000, D, ASK, 101, 10),
                      (3000, D, ASK, 100, 4), (4000, D, ASK, 100, 0), (5000, ST, 0, 0, TRADING),
                      (6000, T, ASK, 100, 10), (7000, T, ASK, 100, 3)])
    res = mmsim.run(ev, Fixed(), config(entry=4500))
    assert fills(res) == [(7000, BID, 100, 3, 2)]
    assert res.fills["queue_ahead_at_entry"].tolist() == [10]
    bbo = mmsim.replay_bbo(ev)
    assert bbo["best_bid"][1:].tolist() == [100] * 7 and bbo["bid_qty"][1:].tolist() == [10] * 7
    # At 3000 the book is crossed (the venue's pre-open): bid 100 over ask 100.
    assert (int(bbo["best_bid"][3]), int(bbo["best_ask"][3])) == (100, 100)


@pytest.mark.parametrize("queue", MODELS, ids=name)
def test_a_book_still_crossed_when_trading_resumes_is_uncrossed_as_an_auction(queue):
    """QUOTING: bid 100x10 with our bid 5 behind them, ask 102x10; the pre-open ask 100 x 4 crosses (kept). Trading
    resumes: the auction trades 4 of the bid 100 lots against it (bid 100 -> 6, ask 100 gone), our level 10 -> 6
    moves us (risk_averse: 6 ahead; power 2 and log: 4 cancelled with 10 ahead and none behind, all ahead: 6), no
    fill at the resume; a sell of 7 fills 1. With the ask at 100 x 15 the auction takes the 10 ahead of us and
    leaves 5 lots at 100 crossing our bid: all 5 fill at the resume (the reopening cross)."""
    rows = [(1000, ST, 0, 0, QUOTING), (1000, D, BID, 100, 10), (1000, D, ASK, 102, 10), (3000, D, ASK, 100, 4),
            (5000, ST, 0, 0, TRADING), (6000, T, ASK, 100, 7)]
    ev = make_events(rows)
    assert fills(mmsim.run(ev, Fixed(), config(queue))) == [(6000, BID, 100, 1, 4)]
    bbo = mmsim.replay_bbo(ev)
    assert (bbo["best_bid"][4], bbo["bid_qty"][4], bbo["best_ask"][4], bbo["ask_qty"][4]) == (100, 6, 102, 10)
    rows[3] = (3000, D, ASK, 100, 15)
    res = mmsim.run(make_events(rows), Fixed(), config(queue))
    assert fills(res) == [(5000, BID, 100, 5, 0)]
    assert res.fills["level_qty_at_fill"].tolist() == [10]


ALL_MODELS = MODELS + [{"model": "power", "power": 1.0}]


@pytest.mark.parametrize("queue", ALL_MODELS, ids=lambda q: q["model"] + str(q.get("power", "")))
@pytest.mark.parametrize("side", [BID, ASK], ids=["bid", "ask"])
def test_the_resume_uncross_trades_from_the_front_of_our_queue(queue, side):
    """fix36c (breaker36 F1). Bid 100x10, our bid 5 behind them, 4 join behind us (14); QUOTING, a pre-open ask
    100x3 crosses; trading resumes. The auction trades 3 lots of bid 100 by price, then time: the front of the queue,
    so 7 are ahead of us and a sell of 9 fills 2 under every model (as the same 3 lots printed while trading do). Read
    as cancels, risk_averse and log kept 10 ahead (no fill) and power 1 and 2 gave 1. The same on the ask side."""
    rows = [(1000, D, side, 100, 10), (1000, D, -side, 102 if side == BID else 98, 10), (1500, D, side, 100, 14),
            (2000, ST, 0, 0, QUOTING), (3000, D, -side, 100, 3), (5000, ST, 0, 0, TRADING), (6000, T, -side, 100, 9)]
    strategy = Fixed() if side == BID else Fixed(0, 0, 100, 5)
    assert fills(mmsim.run(make_events(rows), strategy, config(queue, entry=100))) == [(6000, side, 100, 2, 3)]


@pytest.mark.parametrize("queue", ALL_MODELS, ids=lambda q: q["model"] + str(q.get("power", "")))
def test_the_resume_uncross_past_the_lots_ahead_of_us_fills_us_as_a_print_does(queue):
    """fix36c. Bid 100x4, our bid 5 behind them, 6 join behind us (10); a pre-open ask 100x7; at the resume the
    auction trades the 4 ahead of us and 3 more: as a print of 7 at our price, 3 of ours fill at the resume (4 + 3 <=
    7), and a sell of 9 takes the other 2 (nobody left ahead). Read as cancels: 3 ahead, and the sell of 9 filled 5.
    An uncross that empties our level and trades on at a worse one (bid 100x10, ours behind, bid 99x10, ask 98x15:
    10 at 100, 5 at 99) trades through our price: all 5 of ours fill at the resume (as cancels: none)."""
    ev = make_events([(1000, D, BID, 100, 4), (1000, D, ASK, 102, 10), (1500, D, BID, 100, 10),
                      (2000, ST, 0, 0, QUOTING), (3000, D, ASK, 100, 7), (5000, ST, 0, 0, TRADING),
                      (6000, T, ASK, 100, 9)])
    assert fills(mmsim.run(ev, Fixed(), config(queue, entry=100))) == [(5000, BID, 100, 3, 2), (6000, BID, 100, 2, 0)]
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, BID, 99, 10), (1000, D, ASK, 102, 10),
                      (2000, ST, 0, 0, QUOTING), (3000, D, ASK, 98, 15), (5000, ST, 0, 0, TRADING),
                      (6000, D, ASK, 102, 11)])
    assert fills(mmsim.run(ev, Fixed(), config(queue, entry=100))) == [(5000, BID, 100, 5, 0)]
    bbo = mmsim.replay_bbo(ev)
    assert (bbo["best_bid"][5], bbo["bid_qty"][5], bbo["best_ask"][5]) == (99, 5, 102)


def test_the_venues_print_of_its_auction_in_the_resume_message_is_not_traded_again():
    """fix36c. Bid 100x10 with our bid 5 behind; a pre-open ask 100x4; the resume message prints the auction (a
    sell of 4 at 100) and sends no depth rows, so the book is still crossed at its end: the uncross's 4 lots are the
    lots the print reported (6 ahead, not 2): a sell of 7 fills 1."""
    ev = make_events([(1000, ST, 0, 0, QUOTING), (1000, D, BID, 100, 10), (1000, D, ASK, 102, 10),
                      (3000, D, ASK, 100, 4), (5000, ST, 0, 0, TRADING), (5000, T, ASK, 100, 4),
                      (6000, T, ASK, 100, 7)])
    for queue in ALL_MODELS:
        assert fills(mmsim.run(ev, Fixed(), config(queue))) == [(6000, BID, 100, 1, 4)]


def test_the_venues_updates_in_the_resume_message_are_its_auction_not_stale_levels():
    """Pre-open: bid 99x10, ask 101x3 (our ask 101 x 5 behind those 3), ask 103x10; ask 100x2 and bid 102x2 cross.
    The resume message lists the auction execution by execution: bid 102 -> 1 (which, as a stale crossing, would
    drop the ask 101 level), ask 100 -> 1, bid 102 -> 0, ask 100 -> 0. After it: bid 99, ask 101x3, 103; a buy of
    4 at 101 fills 1 (3 ahead)."""
    ev = make_events([(1000, ST, 0, 0, QUOTING), (1000, D, BID, 99, 10), (1000, D, ASK, 101, 3),
                      (1000, D, ASK, 103, 10), (2000, D, ASK, 100, 2), (2500, D, BID, 102, 2),
                      (5000, ST, 0, 0, TRADING), (5000, D, BID, 102, 1), (5000, D, ASK, 100, 1),
                      (5000, D, BID, 102, 0), (5000, D, ASK, 100, 0), (6000, T, BID, 101, 4)])
    assert fills(mmsim.run(ev, Fixed(0, 0, 101, 5), config())) == [(6000, ASK, 101, 1, 4)]
    bbo = mmsim.replay_bbo(ev)
    assert (bbo["best_bid"][10], bbo["best_ask"][10], bbo["ask_qty"][10]) == (99, 101, 3)


def test_these_cases_run_together_as_alone():
    """run_many gives each run exactly what it gives alone, on a market with all three rules at work."""
    ev = make_events([(1000, ST, 0, 0, QUOTING), (1000, D, BID, 100, 10), (1000, D, ASK, 102, 10),
                      (1500, D, BID, 100, 20), (3000, D, ASK, 100, 4), (5000, ST, 0, 0, TRADING),
                      (6000, T, ASK, 100, 3), (7000, D, ASK, 100, 5), (7000, D, BID, 100, 3),
                      (8000, T, ASK, 100, 2), (8000, D, BID, 100, 1), (9000, T, ASK, 100, 6)])
    cfgs = [config(q) for q in MODELS + [{"model": "power", "power": 1.0}]]
    many = mmsim.run_many(ev, [(Fixed(), c) for c in cfgs])
    for c, m in zip(cfgs, many):
        one = mmsim.run(ev, Fixed(), c)
        assert m.fills.tobytes() == one.fills.tobytes()
    assert any(len(m.fills) for m in many)
    assert np.unique([m.fills.tobytes() for m in many]).size > 1
