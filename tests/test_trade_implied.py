"""A trade-implied L2 book (mmsim.data.implied; docs/data.md, "A trade-implied book").

A print hides the levels it went through and reduces the level at its price, in DEPTH rows right after it, until
the venue's next depth update of the side, which first restores what the prints changed. Every expected array
below is written out by hand from the events.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import make_events, shared_data

import mmsim
from mmsim import Kind, Quote, TradingStatus
from mmsim.data.implied import trade_implied, trade_implied_events

D, T, C, ST = Kind.DEPTH, Kind.TRADE, Kind.CLEAR, Kind.STATUS
MS = 1_000_000
# bids 100x5, 99x5, 98x5; asks 102x5, 103x5
BOOK = [(0, D, 1, 100, 5), (0, D, 1, 99, 5), (0, D, 1, 98, 5), (0, D, -1, 102, 5), (0, D, -1, 103, 5)]


def rows(ev):
    return [(int(e["exch_ts"]), int(e["kind"]), int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev]


def test_a_sell_print_hides_the_bids_it_went_through_until_the_next_bid_update():
    ev = make_events(BOOK + [
        (10 * MS, T, -1, 99, 2),   # through 100 (hidden), 2 of 99's 5 (99 -> 3)
        (12 * MS, D, -1, 103, 4),  # an ask update: the bids stay as the print left them
        (20 * MS, D, 1, 98, 6),    # the bids' next update: 100 and 99 come back as the depth updates left them
    ])
    out, counts = trade_implied_events(ev)
    assert rows(out) == rows(ev[:6]) + [(10 * MS, D, 1, 100, 0), (10 * MS, D, 1, 99, 3)] + rows(ev[6:7]) + [
        (20 * MS, D, 1, 99, 5), (20 * MS, D, 1, 100, 5)] + rows(ev[7:])
    assert counts == {"prints": 1, "hidden": 1, "reduced": 1, "restored": 2}
    assert out["order_id"].tolist() == [0] * len(out)


def test_a_buy_print_mirrors_it_on_the_asks_and_a_sideless_print_goes_by_the_touch():
    ev = make_events(BOOK + [
        (10 * MS, T, 1, 103, 7),   # through 102 (hidden); 103's 5 all taken (hidden)
        (11 * MS, T, 0, 97, 1),    # no aggressor side, below the best bid 100: a sell through 100, 99, 98
        (20 * MS, D, -1, 104, 1),  # the asks' update restores 102 and 103
    ])
    out, counts = trade_implied_events(ev)
    assert rows(out) == rows(ev[:6]) + [(10 * MS, D, -1, 102, 0), (10 * MS, D, -1, 103, 0)] + rows(ev[6:7]) + [
        (11 * MS, D, 1, 100, 0), (11 * MS, D, 1, 99, 0), (11 * MS, D, 1, 98, 0),
        (20 * MS, D, -1, 102, 5), (20 * MS, D, -1, 103, 5)] + rows(ev[7:])
    assert counts == {"prints": 2, "hidden": 5, "reduced": 0, "restored": 2}


def test_nothing_is_implied_by_a_print_in_its_sides_update_or_out_of_trading():
    ev = make_events(BOOK + [
        (10 * MS, T, -1, 99, 2), (10 * MS, D, 1, 100, 0),  # the venue's update is in the print's message
        (20 * MS, ST, 0, 0, int(TradingStatus.HALTED)),
        (25 * MS, T, -1, 98, 1),                            # an auction's print: not while trading
        (30 * MS, ST, 0, 0, int(TradingStatus.TRADING)),
        (40 * MS, T, 1, 102, 5),                             # at the ask 102, all of it: hidden, nothing through
        (41 * MS, C, -1, 0, 0),                              # a clear of the asks: nothing to restore
    ])
    out, counts = trade_implied_events(ev)
    assert rows(out) == rows(ev[:11]) + [(40 * MS, D, -1, 102, 0)] + rows(ev[11:])
    assert counts == {"prints": 1, "hidden": 1, "reduced": 0, "restored": 0}


def test_l3_events_are_refused():
    ev = make_events([(0, Kind.ADD, 1, 100, 5, 1), (1, Kind.EXECUTE, 1, 100, 1, 1)])
    with pytest.raises(ValueError, match=r"^a trade-implied book needs L2 data: its events are L3 \(the first L3 "
                                         r"one, event 0 of the store, is an ADD; "):
        trade_implied_events(ev)


def _quote_once(ev, quote, at=10 * MS):
    class Once(mmsim.Strategy):
        def __init__(self):
            self.q = quote

        def quote(self, view):  # once, at the first call from ``at`` (10 ms: the print's)
            if view.ts < at:
                return None
            q, self.q = self.q, None
            return q

    lat = mmsim.LatencyModel
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed=lat(ns=0), entry=lat(ns=5 * MS), response=lat(ns=0)),
                       signals=mmsim.SignalConfig(enabled=False))
    return mmsim.run(ev, Once(), cfg)


def test_the_engine_queues_a_quote_at_a_level_the_print_took_at_its_front():
    # A sell of 5 at 100 takes the bid 100 (10 ms); our bid 1 @ 100, sent at that call, arrives at 15 ms. On the
    # plain book it queues behind the 5 lots the print took, and a sell of 1 at 100 at 17 ms only moves it up; on
    # the implied book it is alone at 100 and that print fills it.
    ev = make_events(BOOK[:4] + [(10 * MS, T, -1, 100, 5), (17 * MS, T, -1, 100, 1), (30 * MS, D, 1, 100, 2),
                                 (40 * MS, T, -1, 100, 1)])
    implied, counts = trade_implied_events(ev)
    # 10 ms: 100 hidden; 30 ms: 100 restored to 5 and set to 2 by the update; 40 ms: 100 reduced to 1.
    assert rows(implied[4:]) == [(10 * MS, T, -1, 100, 5), (10 * MS, D, 1, 100, 0), (17 * MS, T, -1, 100, 1),
                                 (30 * MS, D, 1, 100, 5), (30 * MS, D, 1, 100, 2), (40 * MS, T, -1, 100, 1),
                                 (40 * MS, D, 1, 100, 1)]
    assert counts == {"prints": 2, "hidden": 1, "reduced": 1, "restored": 1}
    a = _quote_once(ev, Quote(100, 1, 0, 0))
    b = _quote_once(implied, Quote(100, 1, 0, 0))
    sent = [int(r["exch_ts"]) for r in b.orders if r["event"] == int(mmsim.records.OrderEvent.SENT)]
    assert sent == [15 * MS]
    assert [(int(f["exch_ts"]), int(f["queue_ahead_at_entry"])) for f in a.fills] == []
    assert [(int(f["exch_ts"]), int(f["queue_ahead_at_entry"])) for f in b.fills] == [(17 * MS, 0)]


def test_a_store_is_written_with_its_counts_and_refused_a_second_time(tmp_path):
    from mmsim.data import write_store

    ev = make_events(BOOK + [(10 * MS, T, -1, 99, 2), (20 * MS, D, 1, 98, 6)])
    write_store(tmp_path / "plain", ev, {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"})
    st = trade_implied(tmp_path / "plain", tmp_path / "implied")
    assert st.meta["quirks"]["trade_implied_book"] == {"prints": 1, "hidden": 1, "reduced": 1, "restored": 2}
    assert st.meta["event_count"] == len(ev) + 4 and st.meta["events_digest"] != mmsim.load(tmp_path / "plain").meta[
        "events_digest"]
    with pytest.raises(mmsim.DataError, match=r"its book is already trade-implied \(meta.json "
                                              r"quirks.trade_implied_book\)$"):
        trade_implied(tmp_path / "implied", tmp_path / "again")
    with pytest.raises(mmsim.DataError, match=r"must be written outside its source .*plain$"):
        trade_implied(tmp_path / "plain", tmp_path / "plain", force=True)
    with pytest.raises(mmsim.DataError, match=r"/plain/sub: the trade-implied store must be written outside its "):
        trade_implied(tmp_path / "plain", tmp_path / "plain" / "sub")  # (breaker16c: it wrote a store inside it)
    with pytest.raises(mmsim.DataError, match=r"an event store already exists there"):
        trade_implied(tmp_path / "plain", tmp_path / "implied")


def test_convert_refuses_l3_data_at_its_first_order_event_and_leaves_nothing(tmp_path):
    # fix29a: a LOBSTER or Databento file was refused by its format before it was read (a file of trades only,
    # L2 data, too); its first order event is refused now, naming its line (tests/test_fix29a_implied.py).
    src = tmp_path / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
    src.write_text("34200.0,1,1,100,1000000,1\n")
    book = tmp_path / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"
    book.write_text("9999999999,0,1000000,100\n")
    proc = subprocess.run([sys.executable, "-m", "mmsim", "convert", str(src), "-o", str(tmp_path / "out"),
                           "--format", "lobster", "--trade-implied-book"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"mmsim: error: {src}: line 1: ADD, an order event (ADD, CANCEL, DELETE, EXECUTE): "
                                   "a trade-implied book needs L2 data, and this file is market-by-order (L3) data "
                                   "(on L3 data each execution removes its order: there is nothing to imply; a file of "
                                   "trades and status only converts)")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, book.name])


def test_binance_spot_the_venues_word_wins_at_every_update_and_nothing_is_stale(tmp_path):
    from mmsim.replay import replay_bbo

    src = shared_data("binance", "spot", "btcusdt_20240808.gz")
    for name, extra in (("plain", []), ("implied", ["--trade-implied-book"])):
        proc = subprocess.run([sys.executable, "-m", "mmsim", "convert", str(src), "-o", str(tmp_path / name),
                               "--format", "binance", *extra], capture_output=True, text=True)  # not -q: the line
        assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("book trade-implied (prints hid ")
    plain, implied = mmsim.load(tmp_path / "plain"), mmsim.load(tmp_path / "implied")
    c = implied.meta["quirks"]["trade_implied_book"]
    assert len(implied.events) == len(plain.events) + c["hidden"] + c["reduced"] + c["restored"]
    # The rows the transform adds are DEPTH rows: every other kind comes through in order, untouched.
    keep = plain.events["kind"] != int(D)
    others = implied.events[implied.events["kind"] != int(D)]
    assert all(np.array_equal(others[k], plain.events[keep][k]) for k in plain.events.dtype.names)  # (not padding)
    # At the end of every message that updates a side, the side's best price is the venue's.
    bp, bi = replay_bbo(plain.events), replay_bbo(implied.events)
    ev = plain.events
    for s, key in ((1, "best_bid"), (-1, "best_ask")):
        t = np.unique(ev["exch_ts"][(ev["kind"] == int(D)) & (ev["side"] == s)])
        ip = np.searchsorted(ev["exch_ts"], t, side="right") - 1
        ii = np.searchsorted(implied.events["exch_ts"], t, side="right") - 1
        assert np.array_equal(bp[key][ip], bi[key][ii]), s
    # The example on it: no fill meets a stale book (each print's rows update its side in its message).
    out = tmp_path / "out"
    root = __import__("conftest").ROOT
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(root / "examples" / "btcusdt_spot.yaml"),
                           "--data", str(tmp_path / "implied"), "-o", str(out), "-q"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads((out / "report.json").read_text())
    assert doc["stale_book"]["count"] == 0 and doc["stale_book"]["n_maker"] == doc["fills"]["maker_count"] > 0
    assert doc["setup"]["data"]["trade_implied_book"] == c
    assert f"book trade-implied (prints hid {c['hidden']:,} and reduced {c['reduced']:,} levels" in (
        out / "report.html").read_text()


def _stale_flags(res, ev):
    from mmsim.replay import replay_bbo
    from mmsim.report.stale import stale_fills

    f = {k: res.fills[k] for k in res.fills.dtype.names}
    f["n"] = len(res.fills)
    return stale_fills(f, res.orders, ev, replay_bbo(ev))["stale"].tolist()


@pytest.mark.parametrize("side", [1, -1])
def test_an_auction_print_implies_nothing_and_leaves_no_stale_fill(side):
    # Not trading from 20 ms; the auction's print through the touch (25 ms) implies nothing; trading from 30 ms.
    # Our quote, sent at 30 ms, arrives at 35 ms; the print at 40 ms goes through it and fills it. The report's
    # stale row counted the fill by the auction's print (breaker16c); it now reads prints while trading only,
    # as the transform does, so a trade-implied store reads 0.
    status = TradingStatus.HALTED if side > 0 else TradingStatus.QUOTING
    price, quote = (98, Quote(99, 1, 0, 0)) if side > 0 else (104, Quote(0, 0, 103, 1))
    ev = make_events(BOOK + [(20 * MS, ST, 0, 0, int(status)), (25 * MS, T, -side, price, 1),
                             (30 * MS, ST, 0, 0, int(TradingStatus.TRADING)), (40 * MS, T, -side, price, 1)])
    implied, counts = trade_implied_events(ev)
    # the 40 ms print only: through the bids 100 and 99, 1 of 98's 5 (or through the asks 102 and 103)
    assert counts == {"prints": 1, "hidden": 2, "reduced": 1 if side > 0 else 0, "restored": 0}

    res = _quote_once(implied, quote, at=30 * MS)
    assert [(int(f["exch_ts"]), int(f["side"])) for f in res.fills] == [(40 * MS, side)]
    assert _stale_flags(res, implied) == [False]


def test_a_quote_accepted_against_a_hidden_level_fills_when_the_level_comes_back():
    # Documented (docs/data.md, "A trade-implied book"): the implied book errs for the strategy here. A buy
    # print of 5 at 102 hides the ask 102 (10 ms); our post-only bid 1 @ 102 arrives at 15 ms and rests (on the
    # plain book it crosses the ask 102 and is rejected); the asks' update at 20 ms (103 -> 4) restores 102 x 5,
    # which crosses our bid: a maker fill at 102 the venue would not have given.
    ev = make_events([(0, D, 1, 100, 5), (0, D, -1, 102, 5), (0, D, -1, 103, 5), (10 * MS, T, 1, 102, 5),
                      (20 * MS, D, -1, 103, 4), (30 * MS, D, 1, 100, 6)])
    implied, _ = trade_implied_events(ev)
    plain_run, implied_run = (_quote_once(e, Quote(102, 1, 0, 0)) for e in (ev, implied))
    rejected = [int(r["reason"]) for r in plain_run.orders if r["event"] == int(mmsim.records.OrderEvent.REJECTED)]
    assert rejected == [int(mmsim.records.RejectReason.POST_ONLY_WOULD_CROSS)] and len(plain_run.fills) == 0
    assert [(int(f["exch_ts"]), int(f["price"]), bool(f["maker"])) for f in implied_run.fills] == [
        (20 * MS, 102, True)]


def test_compare_of_a_plain_and_an_implied_run_says_why(tmp_path):
    # It listed event_count and events_digest only (breaker16c, newcomer16): now it names the implied book.
    from mmsim.data import write_store

    ev = make_events(BOOK + [(10 * MS, T, -1, 99, 2), (20 * MS, D, 1, 98, 6)])
    write_store(tmp_path / "plain", ev, {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"})
    trade_implied(tmp_path / "plain", tmp_path / "implied")
    strategy = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    runs = {name: mmsim.run(mmsim.load(tmp_path / name), strategy, mmsim.Config()) for name in ("plain", "implied")}
    def tail(implied, plain):
        return (f"; run {implied} (FixedSpread)'s store has a trade-implied book and run {plain} (FixedSpread)'s "
                "does not (meta.json quirks.trade_implied_book): two books of one market, not one set of events; "
                "compare each run with a baseline on its own store (docs/data.md, \"A trade-implied book\")")

    with pytest.raises(mmsim.DataError) as info:
        mmsim.compare(runs["plain"], runs["implied"], horizons=["1s"], bucket="10s")
    msg = str(info.value)
    assert msg.startswith("compare: runs A (FixedSpread) and B (FixedSpread) replayed different data: event_count 7 "
                          "vs 11, ") and msg.endswith(tail("B", "A"))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.compare(runs["implied"], runs["plain"], horizons=["1s"], bucket="10s")
    assert str(info.value).endswith(tail("A", "B"))
