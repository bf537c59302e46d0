"""Quote presence (docs/reports.md, "Quote presence"): live shares, pulls, requotes and hits, at the touch.

Two hand order logs whose every figure is worked out in the comments: the first a plain
quoter (bid 60%, ask 40%, two-sided 20%, 2 pulls and a hit on the bid); the second the
edge cases (a post-only reject, a crossing quote acked and expired at once, an IOC, a
cancel rejected after the fill, a ladder's second order keeping the side live, an order
acked and cancelled at one nanosecond, an order live at the end of data). Then a tiny run
through the engine, where the section reaches report.json, the terminal, the HTML and
``Report.flat``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_events
from test_report_levels import Once

import mmsim
from mmsim import Kind, Quote
from mmsim.records import ORDER_LOG_DTYPE, OrderEvent, OrderType, RejectReason
from mmsim.report.presence import quote_presence

E = OrderEvent
BID, ASK = 1, -1


def log(rows, decisions=None):
    """Order-log rows ``(exch_ts, order_id, event, side, price, leaves[, order_type[, reason]])``; row ``i``
    comes from strategy call ``decisions[i]`` (default: ``i``, every row its own call, so no cancel comes
    with a new order)."""
    out = np.zeros(len(rows), dtype=ORDER_LOG_DTYPE)
    out["decision"] = np.arange(len(rows)) if decisions is None else decisions
    for i, (ts, oid, ev, side, price, leaves, *rest) in enumerate(rows):
        out[i]["exch_ts"] = ts
        out[i]["local_ts"] = ts
        out[i]["order_id"] = oid
        out[i]["event"] = int(ev)
        out[i]["side"] = side
        out[i]["price"] = price
        out[i]["qty"] = 5
        out[i]["leaves"] = leaves
        out[i]["order_type"] = int(rest[0]) if rest else int(OrderType.LIMIT)
        out[i]["reason"] = int(rest[1]) if len(rest) > 1 else 0
    return out


# Span [1000, 2000] (1000 ns).
# Bid: order 1 @100 acked at 900 (before the span: live from its start), cancelled at 1200 -> pull, out 1200-1300;
#      order 2 @101 acked 1300, partly filled at 1350 (leaves 2: still live), filled to 0 at 1500 -> hit, out
#      1500-1700; order 3 @100 acked 1700, cancelled 1900 -> pull, out 1900-2000 (open at the end).
#      Live [1000,1200) 200 + [1300,1500) 200 + [1700,1900) 200 = 600 -> 60%.
#      Pull gaps 100 and 100 (mean, median 100 ns); the hit's gap 200.
# Ask: order 4 @103 acked 1400, cancelled 1600, order 5 @104 acked 1600 (the replacement at the same
#      nanosecond: no gap), cancelled 1800 -> pull, out 1800-2000 (open at the end). Live [1400,1800) -> 40%.
#      Not live at the span's start ([1000,1400)): not a pull.
# Two-sided: bid and ask live at [1400,1500) and [1700,1800): 200 -> 20%. Neither: [1200,1300) and
# [1900,2000): 200 -> 20% (60 + 40 - 20 + 20 = 100).
PLAIN = [
    (880, 1, E.SENT, BID, 100, 5), (900, 1, E.ACKED, BID, 100, 5),
    (1200, 1, E.CANCEL_SENT, BID, 100, 5), (1200, 1, E.CANCELED, BID, 100, 5),
    (1300, 2, E.SENT, BID, 101, 5), (1300, 2, E.ACKED, BID, 101, 5),
    (1350, 2, E.FILLED, BID, 101, 2),
    (1400, 4, E.SENT, ASK, 103, 5), (1400, 4, E.ACKED, ASK, 103, 5),
    (1500, 2, E.FILLED, BID, 101, 0),
    (1600, 4, E.CANCEL_SENT, ASK, 103, 5), (1600, 5, E.SENT, ASK, 104, 5),
    (1600, 4, E.CANCELED, ASK, 103, 5), (1600, 5, E.ACKED, ASK, 104, 5),
    (1700, 3, E.SENT, BID, 100, 5), (1700, 3, E.ACKED, BID, 100, 5),
    (1800, 5, E.CANCEL_SENT, ASK, 104, 5), (1800, 5, E.CANCELED, ASK, 104, 5),
    (1900, 3, E.CANCEL_SENT, BID, 100, 5), (1900, 3, E.CANCELED, BID, 100, 5),
]


def test_presence_pulls_and_hits_by_hand():
    p = quote_presence(log(PLAIN), 1000, 2000)
    assert (p["from_ts"], p["to_ts"]) == (1000, 2000)
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (0.6, 0.4, 0.2, 0.2)
    assert p["sides"]["bid"] == {"pulls": 2, "pull_gap_mean_ns": 100.0, "pull_gap_median_ns": 100.0,
                                 "requotes": 0, "requote_gap_mean_ns": None, "requote_gap_median_ns": None,
                                 "hits": 1, "hit_gap_mean_ns": 200.0, "hit_gap_median_ns": 200.0,
                                 "open_at_end": True}
    assert p["sides"]["ask"] == {"pulls": 1, "pull_gap_mean_ns": 200.0, "pull_gap_median_ns": 200.0,
                                 "requotes": 0, "requote_gap_mean_ns": None, "requote_gap_median_ns": None,
                                 "hits": 0, "hit_gap_mean_ns": None, "hit_gap_median_ns": None,
                                 "open_at_end": True}
    assert p["at_touch"] is None  # no book given


@pytest.mark.parametrize("chunk", [1 << 22, 1, 3])
def test_at_the_touch_by_hand(chunk, monkeypatch):
    # Whatever the number of (order, time) pairs expanded at once (one order at a time, or a few).
    monkeypatch.setattr("mmsim.report.presence._CHUNK", chunk)
    # The exchange's best bid/ask after its events: 1000: 100/103, 1400: 101/103, 1750: 99/104.
    # Bid: [1000,1200) ours 100 vs 100: at; [1300,1400) 101 vs 100: better; [1400,1500) 101 vs 101: at;
    #      [1700,1750) 100 vs 101: behind; [1750,1900) 100 vs 99: better -> 200 + 100 + 100 + 150 = 550 -> 55%.
    # Ask: [1400,1600) 103 vs 103: at; [1600,1750) 104 vs 103: behind; [1750,1800) 104 vs 104: at -> 25%.
    exch_ts = np.array([1000, 1400, 1750], dtype=np.int64)
    bbo = {"best_bid": np.array([100, 101, 99]), "best_ask": np.array([103, 103, 104])}
    p = quote_presence(log(PLAIN), 1000, 2000, exch_ts, bbo)
    assert p["at_touch"] == {"bid": 0.55, "ask": 0.25}
    # An empty exchange side (INT64_MIN bid, INT64_MAX ask) leaves any live order of ours at the touch.
    bbo = {"best_bid": np.full(3, np.iinfo(np.int64).min), "best_ask": np.full(3, np.iinfo(np.int64).max)}
    p = quote_presence(log(PLAIN), 1000, 2000, exch_ts, bbo)
    assert p["at_touch"] == {"bid": 0.6, "ask": 0.4}


# Span [0, 1000].
# Bid: order 1 rejected post-only at 50: never live. Orders 2 @100 and 3 @99 (a ladder) acked at 100; order 2
#      filled to 0 at 300 (order 3 keeps the side live), the cancel sent for it comes back CANCEL_REJECTED at 320;
#      order 3 filled to 0 at 400 -> a hit, out 400-600. Order 4, a crossing quote (post_only off), acked,
#      partly filled and expired at 500: never live for any time. Order 5, an IOC, filled at 550 (no ack):
#      never live. Order 6 acked at 600, live to the end of data. Not live at the start ([0,100)): no pull.
#      Live [100,400) + [600,1000] = 700 -> 70%; 0 pulls, 1 hit (gap 200), nothing open at the end.
# Ask: order 7 acked and cancelled at 200 (its cancel arrived the same nanosecond): never live. Order 8 acked
#      at 250, cancelled at 450 -> a pull, out to the end (550, cut there). Live 200 -> 20%.
# Two-sided [250,400): 15%; neither [0,100) and [450,600): 25% (70 + 20 - 15 + 25 = 100).
EDGES = [
    (50, 1, E.SENT, BID, 101, 5), (50, 1, E.REJECTED, BID, 101, 0, OrderType.LIMIT, RejectReason.POST_ONLY_WOULD_CROSS),
    (100, 2, E.ACKED, BID, 100, 5), (100, 3, E.ACKED, BID, 99, 5),
    (200, 7, E.ACKED, ASK, 103, 5), (200, 7, E.CANCELED, ASK, 103, 5),
    (250, 8, E.ACKED, ASK, 103, 5),
    (290, 2, E.CANCEL_SENT, BID, 100, 5),
    (300, 2, E.FILLED, BID, 100, 0),
    (320, 2, E.CANCEL_REJECTED, BID, 100, 0, OrderType.LIMIT, RejectReason.ORDER_DONE),
    (400, 3, E.FILLED, BID, 99, 0),
    (450, 8, E.CANCELED, ASK, 103, 5),
    (500, 4, E.ACKED, BID, 102, 5), (500, 4, E.FILLED, BID, 102, 3), (500, 4, E.EXPIRED, BID, 102, 3),
    (550, 5, E.FILLED, BID, 102, 0, OrderType.IOC),
    (600, 6, E.ACKED, BID, 100, 5),
]


def test_presence_counts_only_the_venues_trading_time():
    """PLAIN with the venue halted at 1100, trading again at 1300, and quoting only (a pre-open) from 1750:
    trading [1000,1100) + [1300,1750) = 550 ns of the 1000.
    Bid live there: [1000,1100) 100 + [1300,1500) 200 + [1700,1750) 50 = 350. Ask: [1400,1750) 350.
    Both: [1400,1500) 100 + [1700,1750) 50 = 150. Neither: 0 (350 + 350 - 150 + 0 = 550).
    At the touch (test_at_the_touch_by_hand's book): bid [1000,1100) + [1300,1400) + [1400,1500) = 300;
    ask [1400,1600) = 200 ([1750,1800) is at the touch but not trading). Pulls and hits are unchanged."""
    from mmsim.events import TradingStatus as TS
    from mmsim.report.presence import trading_steps

    st = make_events([(1100, Kind.STATUS, 0, 0, int(TS.HALTED)), (1300, Kind.STATUS, 0, 0, int(TS.TRADING)),
                      (1750, Kind.STATUS, 0, 0, int(TS.QUOTING))])
    status = trading_steps(st, 1000, 2000)
    assert status[0].tolist() == [1000, 1100, 1300, 1750] and status[1].tolist() == [True, False, True, False]
    exch_ts = np.array([1000, 1400, 1750], dtype=np.int64)
    bbo = {"best_bid": np.array([100, 101, 99]), "best_ask": np.array([103, 103, 104])}
    p = quote_presence(log(PLAIN), 1000, 2000, exch_ts, bbo, status)
    assert (p["trading_ns"], p["not_trading_ns"]) == (550, 450)
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (350 / 550, 350 / 550, 150 / 550, 0.0)
    assert p["at_touch"] == {"bid": 300 / 550, "ask": 200 / 550}
    # The gaps count alike; their durations are trading time (breaker14: a requote rejected in a halt read a
    # gap of the halt's length). Bid: pull at 1200 out to 1300, trading [1100,1300) none of it: 0; hit at 1500
    # out to 1700, all trading: 200; pull at 1900 (quoting): 0. Ask: pull at 1800 (quoting): 0.
    plain = quote_presence(log(PLAIN), 1000, 2000)["sides"]
    for side in ("bid", "ask"):
        assert {k: v for k, v in p["sides"][side].items() if "gap" not in k} == \
            {k: v for k, v in plain[side].items() if "gap" not in k}
    assert (p["sides"]["bid"]["pull_gap_mean_ns"], p["sides"]["bid"]["hit_gap_mean_ns"],
            p["sides"]["ask"]["pull_gap_mean_ns"]) == (0.0, 200.0, 0.0)
    from mmsim.report.render_presence import presence_line

    assert presence_line(p) == ("two-sided 27.3%, neither side 0.0% of 550ns of trading (not trading 450ns of "
                                "the 1us span: halts, pre-open)")
    # The span opening inside a halt (HALTED at 900, before it; TRADING at 1500): trading [1500,2000).
    # Bid [1700,1900) 200; ask [1500,1800) 300; both [1700,1800) 100; neither [1900,2000) 100.
    st = make_events([(900, Kind.STATUS, 0, 0, int(TS.HALTED)), (1500, Kind.STATUS, 0, 0, int(TS.TRADING))])
    p = quote_presence(log(PLAIN), 1000, 2000, status=trading_steps(st, 1000, 2000))
    assert (p["trading_ns"], p["bid"], p["ask"], p["two_sided"], p["none"]) == (500, 0.4, 0.6, 0.2, 0.2)
    # No STATUS event: trading throughout, the figures of the span.
    assert trading_steps(make_events([(1000, Kind.DEPTH, 1, 100, 5)]), 1000, 2000) is None
    p = quote_presence(log(PLAIN), 1000, 2000)
    assert (p["trading_ns"], p["not_trading_ns"]) == (1000, 0)
    assert presence_line(p) == "two-sided 20.0%, neither side 20.0% of 1us"


def test_presence_edge_cases_by_hand():
    p = quote_presence(log(EDGES), 0, 1000)
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (0.7, 0.2, 0.15, 0.25)
    assert p["sides"]["bid"] == {"pulls": 0, "pull_gap_mean_ns": None, "pull_gap_median_ns": None,
                                 "requotes": 0, "requote_gap_mean_ns": None, "requote_gap_median_ns": None,
                                 "hits": 1, "hit_gap_mean_ns": 200.0, "hit_gap_median_ns": 200.0,
                                 "open_at_end": False}
    assert p["sides"]["ask"] == {"pulls": 1, "pull_gap_mean_ns": 550.0, "pull_gap_median_ns": 550.0,
                                 "requotes": 0, "requote_gap_mean_ns": None, "requote_gap_median_ns": None,
                                 "hits": 0, "hit_gap_mean_ns": None, "hit_gap_median_ns": None,
                                 "open_at_end": True}


# Requotes: rows (call, exch_ts, order_id, event, side, price, leaves[, order_type[, reason]]). Span [0, 1000].
# Bid: call 0's order 1 acked at 10 (not live at the start: no gap counted). Call 1 moves it: its cancel lands at
#      100, its replacement (order 2) 100 ns later at 200 -> a requote, out 100-200. Call 3 moves it again: the
#      cancel lands at 300, the replacement (order 3) is rejected post-only at 300 -> a requote, out until call 5's
#      order 4 is acked at 450 (150 ns). Call 8 cancels order 4 (600) and sends only an IOC buy (filled at once,
#      never live: no replacement) -> a pull, out until call 9's order 5 at 700 (100 ns), live to the end.
#      Live [10,100) + [200,300) + [450,600) + [700,1000] = 640 -> 64%; 1 pull (100), 2 requotes (100, 150).
# Ask: call 0's orders 6 @105 and 7 @106 (a ladder) acked at 10. Call 2 moves level 2 (cancel 7 at 150, order 8
#      at 250): order 6 keeps the side live, no gap. Call 4 moves both (cancels of 6 and 8 land at 400, orders 9
#      and 10 at 420) -> one requote (20 ns), begun by two cancels of one call. Call 6 moves both again (cancels
#      of 9 and 10 and its order 11 at 500), and call 7 cancels order 11, landing at 500 too: the last cancel
#      there (call 7) sent nothing -> a pull, out to the end (500, open). Live [10,400) + [420,500) = 470 -> 47%.
# Two-sided [10,100) + [200,300) + [450,500) = 240; neither [0,10) + [400,420) + [600,700) = 130.
REQUOTES = [
    (0, 10, 1, E.SENT, BID, 100, 5), (0, 10, 1, E.ACKED, BID, 100, 5),
    (0, 10, 6, E.SENT, ASK, 105, 5), (0, 10, 6, E.ACKED, ASK, 105, 5),
    (0, 10, 7, E.SENT, ASK, 106, 5), (0, 10, 7, E.ACKED, ASK, 106, 5),
    (1, 100, 1, E.CANCEL_SENT, BID, 100, 5), (1, 100, 1, E.CANCELED, BID, 100, 5),
    (2, 150, 7, E.CANCEL_SENT, ASK, 106, 5), (2, 150, 7, E.CANCELED, ASK, 106, 5),
    (1, 200, 2, E.SENT, BID, 101, 5), (1, 200, 2, E.ACKED, BID, 101, 5),
    (2, 250, 8, E.SENT, ASK, 107, 5), (2, 250, 8, E.ACKED, ASK, 107, 5),
    (3, 300, 2, E.CANCEL_SENT, BID, 101, 5), (3, 300, 2, E.CANCELED, BID, 101, 5),
    (3, 300, 3, E.SENT, BID, 103, 5),
    (3, 300, 3, E.REJECTED, BID, 103, 0, OrderType.LIMIT, RejectReason.POST_ONLY_WOULD_CROSS),
    (4, 400, 6, E.CANCEL_SENT, ASK, 105, 5), (4, 400, 8, E.CANCEL_SENT, ASK, 107, 5),
    (4, 400, 6, E.CANCELED, ASK, 105, 5), (4, 400, 8, E.CANCELED, ASK, 107, 5),
    (4, 420, 9, E.SENT, ASK, 104, 5), (4, 420, 10, E.SENT, ASK, 105, 5),
    (4, 420, 9, E.ACKED, ASK, 104, 5), (4, 420, 10, E.ACKED, ASK, 105, 5),
    (5, 450, 4, E.SENT, BID, 102, 5), (5, 450, 4, E.ACKED, BID, 102, 5),
    (6, 500, 9, E.CANCEL_SENT, ASK, 104, 5), (6, 500, 10, E.CANCEL_SENT, ASK, 105, 5),
    (6, 500, 11, E.SENT, ASK, 106, 5),
    (6, 500, 9, E.CANCELED, ASK, 104, 5), (6, 500, 10, E.CANCELED, ASK, 105, 5), (6, 500, 11, E.ACKED, ASK, 106, 5),
    (7, 500, 11, E.CANCEL_SENT, ASK, 106, 5), (7, 500, 11, E.CANCELED, ASK, 106, 5),
    (8, 600, 4, E.CANCEL_SENT, BID, 102, 5), (8, 600, 4, E.CANCELED, BID, 102, 5),
    (8, 600, 12, E.SENT, BID, 110, 5, OrderType.IOC), (8, 600, 12, E.FILLED, BID, 110, 0, OrderType.IOC),
    (9, 700, 5, E.SENT, BID, 100, 5), (9, 700, 5, E.ACKED, BID, 100, 5),
]


def test_requotes_are_told_from_pulls_by_the_cancels_call():
    orders = log([r[1:] for r in REQUOTES], [r[0] for r in REQUOTES])
    p = quote_presence(orders, 0, 1000)
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (0.64, 0.47, 0.24, 0.13)
    assert p["sides"]["bid"] == {"pulls": 1, "pull_gap_mean_ns": 100.0, "pull_gap_median_ns": 100.0,
                                 "requotes": 2, "requote_gap_mean_ns": 125.0, "requote_gap_median_ns": 125.0,
                                 "hits": 0, "hit_gap_mean_ns": None, "hit_gap_median_ns": None,
                                 "open_at_end": False}
    assert p["sides"]["ask"] == {"pulls": 1, "pull_gap_mean_ns": 500.0, "pull_gap_median_ns": 500.0,
                                 "requotes": 1, "requote_gap_mean_ns": 20.0, "requote_gap_median_ns": 20.0,
                                 "hits": 0, "hit_gap_mean_ns": None, "hit_gap_median_ns": None,
                                 "open_at_end": True}
    # An order log without the decision column (built by hand): every gap not begun by a fill is a pull,
    # requotes unknown.
    names = [n for n in ORDER_LOG_DTYPE.names if n != "decision"]
    old = np.zeros(len(orders), dtype=[(n, ORDER_LOG_DTYPE[n]) for n in names])
    for n in names:
        old[n] = orders[n]
    p = quote_presence(old, 0, 1000)
    assert [(s["pulls"], s["pull_gap_mean_ns"], s["requotes"], s["requote_gap_mean_ns"])
            for s in p["sides"].values()] == [(3, 350 / 3, None, None), (2, 260.0, None, None)]


def test_presence_of_an_empty_log_and_of_no_log():
    p = quote_presence(log([]), 0, 1000)
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (0.0, 0.0, 0.0, 1.0)
    assert p["sides"]["bid"]["pulls"] == p["sides"]["bid"]["hits"] == 0
    assert quote_presence(np.zeros(0), 0, 1000) is None  # not an order log
    assert quote_presence(log(PLAIN), 1000, 1000)["bid"] is None  # a span of 0 ns has no shares


# Bids 100 x 10, asks 102 x 10 at 1000; a sell of 11 at 100 (2000) fills our bid (10 ahead of it), a buy of 11
# at 102 (4000) our ask; the data ends at 7000.
EVENTS = [(1000, Kind.DEPTH, BID, 100, 10), (1000, Kind.DEPTH, ASK, 102, 10),
          (2000, Kind.TRADE, ASK, 100, 11), (2000, Kind.DEPTH, BID, 100, 0),
          (4000, Kind.TRADE, BID, 102, 11), (4000, Kind.DEPTH, ASK, 102, 0),
          (5000, Kind.DEPTH, BID, 99, 5), (7000, Kind.DEPTH, ASK, 103, 2)]


def test_presence_of_a_run_in_the_report(tmp_path):
    # With no latency our quotes are acked at 1000; the bid is hit at 2000, the ask at 4000; nothing is sent
    # again. Span 1000 to 7000 (6000 ns): bid live 1000 of it (1/6), ask 3000 (1/2), both 1/6, neither
    # [4000,7000) (1/2); one hit a side,
    # each side's gap runs to the end (5000 and 3000 ns). Both quotes sat at the exchange's touch while live.
    events = make_events(EVENTS)
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed=0, entry=0, response=0),
                       signals=mmsim.SignalConfig(enabled=False))
    r = mmsim.run(events, Once(Quote(100, 1, 102, 1)), cfg)
    rep = r.report(events, horizons=[1000], event_horizons=[], toxic_horizon=1000)
    p = rep.data["presence"]
    assert (p["from_ts"], p["to_ts"]) == (rep.data["inventory"]["from_ts"], rep.data["inventory"]["to_ts"])
    assert (p["bid"], p["ask"], p["two_sided"], p["none"]) == (1 / 6, 0.5, 1 / 6, 0.5)
    assert p["at_touch"] == {"bid": 1 / 6, "ask": 0.5}
    assert [(s["pulls"], s["hits"], s["hit_gap_mean_ns"], s["open_at_end"]) for s in p["sides"].values()] == [
        (0, 1, 5000.0, True), (0, 1, 3000.0, True)]
    flat = rep.flat()
    assert (flat["presence_bid"], flat["presence_ask"], flat["presence_two_sided"]) == (1 / 6, 0.5, 1 / 6)
    assert (flat["presence_pulls_bid"], flat["presence_pulls_ask"]) == (0, 0)
    assert json.loads(rep.to_json())["presence"]["two_sided"] == 1 / 6
    from rich.console import Console

    console = Console(record=True, width=80)
    rep.print(console)
    text = console.export_text()
    assert "Quote presence" in text and "two-sided 16.7%, neither side 50.0% of 6us" in text
    assert "pulls (cancel only)" in text and "requotes (cancel + new)" in text
    html = rep.to_html()
    assert '<table id="presence">' in html and "two-sided 16.7%" in html and "requotes (cancel + new)" in html


@pytest.mark.parametrize("seed", [1])
def test_presence_shares_add_up_on_a_synthetic_run(seed):
    # bid + ask - two_sided + none == 1 over any run. The fixed spread's requote sends its cancel and the new
    # order together: they reach the exchange at one nanosecond, so the side never goes out (no pulls). A fill
    # takes it out until the fill report (1 ms) and the new order (1 ms) make the round trip: gaps of 2 ms.
    from mmsim.synth import SynthConfig, generate

    events = generate(SynthConfig(seed=seed, duration="20s"))
    strategy = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    r = mmsim.run(events, strategy, mmsim.Config(latency=mmsim.LatencyConfig(feed="1ms", entry="1ms",
                                                                               response="1ms")))
    p = r.report(events).data["presence"]
    assert p["bid"] + p["ask"] - p["two_sided"] + p["none"] == pytest.approx(1.0, abs=1e-12)
    assert 0 < p["two_sided"] <= min(p["bid"], p["ask"])
    for s in p["sides"].values():
        assert s["pulls"] == 0 and s["hits"] > 0 and s["hit_gap_median_ns"] == 2_000_000
    assert p["at_touch"]["bid"] <= p["bid"] and p["at_touch"]["ask"] <= p["ask"]


def reference_presence(orders, t0, t1, ex_ts, best_bid, best_ask):
    """The same figures by a plain walk over time, one order-log timestamp at a time (no numpy tricks)."""
    rows = sorted(range(len(orders)), key=lambda i: (int(orders["exch_ts"][i]), i))
    times = sorted({int(t) for t in orders["exch_ts"]} | {int(t) for t in ex_ts} | {t0, t1})
    live = {1: {}, -1: {}}  # side -> {order id: price}
    share = {"bid": 0, "ask": 0, "two_sided": 0, "none": 0, "at_bid": 0, "at_ask": 0}
    gaps = {s: {"pull": [], "requote": [], "hit": []} for s in (1, -1)}
    # The calls that sent a limit order on each side: a gap begun by a cancel of one of them is a requote.
    sent = {s: {int(o["decision"]) for o in orders if o["event"] == E.SENT and o["side"] == s
                and o["order_type"] == OrderType.LIMIT} for s in (1, -1)}
    open_gap = {1: None, -1: None}
    prev = {1: False, -1: False}
    k = 0
    for j, t in enumerate(times):
        filled = {1: False, -1: False}
        last_cancel = {1: -1, -1: -1}  # the call of the last cancel at t that ended a live order of the side
        while k < len(rows) and int(orders["exch_ts"][rows[k]]) == t:
            o = orders[rows[k]]
            side, oid, ev = int(o["side"]), int(o["order_id"]), int(o["event"])
            if ev == E.ACKED:
                live[side][oid] = int(o["price"])
            elif oid in live[side] and (ev in (E.CANCELED, E.EXPIRED) or (ev == E.FILLED and o["leaves"] == 0)):
                del live[side][oid]
                filled[side] |= ev == E.FILLED
                if ev == E.CANCELED:
                    last_cancel[side] = max(last_cancel[side], int(o["decision"]))
            k += 1
        if t < t0 or t >= t1:
            continue
        for s in (1, -1):
            now = bool(live[s])
            if prev[s] and not now and t > t0:
                open_gap[s] = (t, "hit" if filled[s] else "requote" if last_cancel[s] in sent[s] else "pull")
            if now and open_gap[s] is not None:
                gaps[s][open_gap[s][1]].append(t - open_gap[s][0])
                open_gap[s] = None
            prev[s] = now
        d = times[j + 1] - t
        b, a = bool(live[1]), bool(live[-1])
        share["bid"] += d * b
        share["ask"] += d * a
        share["two_sided"] += d * (b and a)
        share["none"] += d * (not b and not a)
        e = int(np.searchsorted(ex_ts, t, side="right")) - 1
        share["at_bid"] += d * (b and max(live[1].values()) >= best_bid[e])
        share["at_ask"] += d * (a and min(live[-1].values()) <= best_ask[e])
    for s in (1, -1):
        if open_gap[s] is not None:
            gaps[s][open_gap[s][1]].append(t1 - open_gap[s][0])
    span = t1 - t0
    return {k: v / span for k, v in share.items()}, gaps


@pytest.mark.parametrize("seed,chunk", [(0, 1 << 22), (1, 1 << 22), (2, 1 << 22), (3, 1 << 22), (3, 1000)])
def test_presence_matches_a_plain_walk_on_the_amzn_day(seed, chunk, monkeypatch):
    # A random quoter on a window of the AMZN day (tests/test_report.py): random sizes (a side sometimes
    # pulled), random offsets (odd seeds cross the book with post_only off: acked, filled and expired at
    # once), random latencies and timer. Every figure equals a plain walk over the order log and the book.
    from test_report import random_run

    monkeypatch.setattr("mmsim.report.presence._CHUNK", chunk)
    ev, r = random_run(seed)
    rep = r.report(ev, horizons=["1s"], event_horizons=[], signal_buckets=1)
    p = rep.data["presence"]
    t0, t1 = p["from_ts"], p["to_ts"]
    assert (t0, t1) == (rep.data["inventory"]["from_ts"], rep.data["inventory"]["to_ts"])
    bbo = mmsim.replay_bbo(ev)
    ref, gaps = reference_presence(r.orders, t0, t1, ev["exch_ts"], bbo["best_bid"], bbo["best_ask"])
    for k in ("bid", "ask", "two_sided", "none"):
        assert p[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-15), k
    assert p["at_touch"]["bid"] == pytest.approx(ref["at_bid"], rel=1e-12, abs=1e-15)
    assert p["at_touch"]["ask"] == pytest.approx(ref["at_ask"], rel=1e-12, abs=1e-15)
    for name, s in (("bid", 1), ("ask", -1)):
        got = p["sides"][name]
        for what in ("pull", "requote", "hit"):
            g = gaps[s][what]
            assert got[what + "s"] == len(g)
            assert got[what + "_gap_mean_ns"] == (pytest.approx(float(np.mean(g)), rel=1e-12) if g else None)
            assert got[what + "_gap_median_ns"] == (float(np.median(g)) if g else None)
    assert sum(p["sides"]["bid"][k] + p["sides"]["ask"][k] for k in ("pulls", "requotes", "hits")) > 10
    # Report.flat (a sweep's results.csv) says how often the side was withdrawn.
    flat = rep.flat()
    assert (flat["presence_pulls_bid"], flat["presence_pulls_ask"]) == (len(gaps[1]["pull"]), len(gaps[-1]["pull"]))


def test_the_sweep_table_shows_two_sided_presence_in_percent_after_the_toxic_share():
    # A sweep's metrics are Report.flat(): presence_two_sided is a column, in percent as the report shows it,
    # with the digits that tell its points apart; results.csv keeps the fraction. A second case: a point
    # without the figure (a run saved before it) reads "–".
    from mmsim.sweep import Grid
    from mmsim.sweep.render import _table_rows

    grid = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml")
    base = {"repeat": 0, "seed": 0, "status": "ok", "fills.count": 3, "pnl.total": 1.0, "toxic_share": 0.5}
    rows = [{"id": "p0", "index": 0, "latency.feed": "0ms", **base, "presence_two_sided": 0.7871848},
            {"id": "p1", "index": 1, "latency.feed": "20ms", **base, "presence_two_sided": 0.7874},
            {"id": "p2", "index": 2, "latency.feed": "1s", **base, "presence_two_sided": None}]
    header, body = _table_rows(rows, grid, short=True)
    assert header == ["latency.feed", "status", "PnL", "fills", "toxic", "2-sided", "point"]
    assert [line[5] for line in body] == ["78.72%", "78.74%", "–"]
    header, body = _table_rows(rows, grid)
    assert header[5] == "presence_two_sided" and body[0][5] == "78.72%"
    import io

    from rich.console import Console

    from mmsim.sweep import rich_table

    console = Console(file=io.StringIO(), width=300)
    console.print(rich_table(rows, grid, width=300))
    assert "2-sided = share of the trading time with quotes live on both sides (percent)" in " ".join(
        console.file.getvalue().split())


@pytest.fixture(scope="module")
def amzn_store(real_store):
    return real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv").path


def test_amzn_example_pulls_and_requotes(amzn_store, tmp_path):
    # examples/amzn_lobster.yaml (docs/reports.md, "Quote presence"): before requotes were told apart it
    # counted 120 bid and 161 ask pulls; 45 and 93 of them begin where the call that cancelled also sent the
    # side's replacement, rejected post-only (constant 1 ms entry: cancel and replacement land together, so
    # only a rejected one leaves a gap).
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(ROOT / "examples" / "amzn_lobster.yaml"),
                           "--data", str(amzn_store), "-o", str(tmp_path / "out"), "-q"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    p = json.loads((tmp_path / "out" / "report.json").read_text())["presence"]
    # hits 1831 and 1849 before fix34l: the store's level resets no longer move our resting orders forward
    assert [(s["pulls"], s["requotes"], s["hits"]) for s in p["sides"].values()] == [(75, 45, 1829),
                                                                                     (68, 93, 1847)]
    assert p["sides"]["bid"]["requote_gap_median_ns"] == 328_053.0
    assert p["sides"]["ask"]["requote_gap_median_ns"] == 2_000_000.0
    saved = mmsim.Result.load(tmp_path / "out")  # the saved run reads back with its decision column
    assert (saved.orders["decision"] >= 0).all()


@pytest.mark.parametrize("feed", ["0ms", "100ms"])
def test_the_fixed_spread_baseline_never_pulls_on_amzn(amzn_store, feed):
    # The baseline of examples/amzn_defence_sweep.yaml never withdraws a side: every gap not begun by a fill
    # is a requote whose replacement was rejected post-only (0 ms feed: 0 bid, 1 ask; counted as 1 pull before).
    ev = mmsim.load(amzn_store)
    cfg = mmsim.Config(tick_size=0.01, decide_every="100ms",
                       latency=mmsim.LatencyConfig(feed=feed, entry="1ms", response="1ms"))
    r = mmsim.run(ev, mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 100}), cfg)
    p = r.report(ev, horizons=["1s"], event_horizons=[]).data["presence"]
    assert [(s["pulls"], s["requotes"]) for s in p["sides"].values()] == {"0ms": [(0, 0), (0, 1)],
                                                                          "100ms": [(0, 7), (0, 8)]}[feed]


def test_a_random_entry_latency_makes_requotes_not_pulls_on_btcusdt(tmp_path, real_store):
    # examples/btcusdt_usdm.yaml with entry lognormal(500us, 0.5): a requote's cancel and new order draw their
    # own latencies (the new order never overtakes the cancel), so the side is out for a fraction of a
    # millisecond (the bid's median 273 us). These gaps were 182 bid and 103 ask pulls; as with the example's
    # constant 500us entry (0 pulls; 2 bid requotes, replacements rejected post-only), there are none.
    import subprocess
    import sys

    from conftest import ROOT

    store = real_store("binance", "binance", "usdm", "btcusdt_20240808.gz")
    text = (ROOT / "examples" / "btcusdt_usdm.yaml").read_text()
    assert "entry: 500us" in text
    cfg = tmp_path / "lognormal.yaml"
    cfg.write_text(text.replace("entry: 500us", "entry: 'lognormal(500us, 0.5)'")
                   .replace("path: ../strategies/", f"path: {ROOT / 'strategies'}/"))
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(cfg), "--data", str(store.path),
                           "-o", str(tmp_path / "out"), "-q"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    p = json.loads((tmp_path / "out" / "report.json").read_text())["presence"]
    assert [(s["pulls"], s["requotes"]) for s in p["sides"].values()] == [(0, 182), (0, 103)]
    assert p["sides"]["bid"]["requote_gap_median_ns"] == 273_374.5


def test_the_header_says_when_the_venue_was_not_trading():
    """The newcomer's: ESH4's report did not say its first hour was CME's pre-open. A `trading` row lists
    the stretches of the market's span with the venue not TRADING (report.json setup.data.not_trading).
    Hand events from 1 s: HALTED at 2 s, QUOTING at 3 s (one stretch, named by its first status), TRADING
    at 4 s; QUOTING from 6 s to the end at 8 s: 2 s + 2 s not trading of 7 s."""
    from mmsim.events import TradingStatus as TS
    from mmsim.report.setup import not_trading, trading_text

    S = 1_000_000_000
    ev = make_events([(1 * S, Kind.DEPTH, 1, 100, 5), (1 * S, Kind.DEPTH, -1, 102, 5),
                      (2 * S, Kind.STATUS, 0, 0, int(TS.HALTED)), (3 * S, Kind.STATUS, 0, 0, int(TS.QUOTING)),
                      (4 * S, Kind.STATUS, 0, 0, int(TS.TRADING)), (6 * S, Kind.STATUS, 0, 0, int(TS.QUOTING)),
                      (8 * S, Kind.DEPTH, 1, 100, 6)])
    got = not_trading(ev, 1 * S, 8 * S)
    assert got == [{"from_ts": 2 * S, "to_ts": 4 * S, "status": "HALTED"},
                   {"from_ts": 6 * S, "to_ts": 8 * S, "status": "QUOTING"}]
    assert trading_text(got, 7 * S) == (
        "not trading 4 s of the 7 s: HALTED 00:00:02.000 → 00:00:04.000 (2 s); QUOTING (pre-open or quotes "
        "only) 00:00:06.000 → 00:00:08.000 (2 s) (nothing fills there; quote presence counts trading time only)")
    # A halt of a day and 100 s (breaker14b: its times without a date read as 1m40s): the end has its date.
    day = 86_400 * S
    long = [{"from_ts": 1500 * S, "to_ts": day + 1600 * S, "status": "HALTED"}]
    assert trading_text(long, day + 3000 * S) == (
        "not trading 24h02m of the 24h50m: HALTED 00:25:00.000 → 1970-01-02 00:26:40.000 (24h02m) (nothing fills "
        "there; quote presence counts trading time only)")
    rep = mmsim.report.make_report(mmsim.run(ev, Once(Quote(100, 1, 102, 1)), mmsim.Config()), ev)
    assert rep.data["setup"]["data"]["not_trading"] == got
    assert "not trading 4 s of the 7 s: HALTED" in " ".join(_console_text(rep).split())
    # The second case: a span opening in a pre-open (QUOTING before the first event's time holds from it)
    # and data with no STATUS event (no row).
    assert not_trading(ev, 5 * S, 7 * S) == [{"from_ts": 6 * S, "to_ts": 7 * S, "status": "QUOTING"}]
    assert not_trading(ev, 7 * S, 8 * S) == [{"from_ts": 7 * S, "to_ts": 8 * S, "status": "QUOTING"}]
    plain = ev[ev["kind"] != int(Kind.STATUS)]
    assert not_trading(plain, 1 * S, 8 * S) == []
    rep = mmsim.report.make_report(mmsim.run(plain, Once(Quote(100, 1, 102, 1)), mmsim.Config()), plain)
    assert "not trading" not in _console_text(rep)


def _console_text(rep) -> str:
    import io

    from rich.console import Console

    console = Console(record=True, width=200, file=io.StringIO())
    rep.print(console)
    return console.export_text()


def test_the_trading_row_dates_its_stretches_when_the_span_covers_more_than_one_date():
    """The newcomer's: two days' pre-opens read `QUOTING … 22:00:00.180 → 23:00:00.000 (1h00m); QUOTING …
    00:00:00.000 → 23:00:00.000 (23h00m)`, as if they overlapped. Over more than one UTC date each stretch's
    start carries its date, its end too when it is another date. Hand events: 100/102 at 22:00 of day 0,
    QUOTING 22:00:01 → 23:00 (TRADING), QUOTING again from day 1's 00:00 to 00:30 and from 22:00 to the end,
    day 1's 23:00."""
    from mmsim.events import TradingStatus as TS
    from mmsim.report.setup import trading_text

    S, H = 1_000_000_000, 3_600_000_000_000
    day = 24 * H
    ev = make_events([(22 * H, Kind.DEPTH, 1, 100, 5), (22 * H, Kind.DEPTH, -1, 102, 5),
                      (22 * H + S, Kind.STATUS, 0, 0, int(TS.QUOTING)), (23 * H, Kind.STATUS, 0, 0, int(TS.TRADING)),
                      (day, Kind.STATUS, 0, 0, int(TS.QUOTING)), (day + H // 2, Kind.STATUS, 0, 0, int(TS.TRADING)),
                      (day + 22 * H, Kind.STATUS, 0, 0, int(TS.QUOTING)), (day + 23 * H, Kind.DEPTH, 1, 100, 6)])
    rep = mmsim.report.make_report(mmsim.run(ev, Once(Quote(100, 1, 102, 1)), mmsim.Config()), ev)
    assert (" ".join(_console_text(rep).split())).count(
        "not trading 2h30m of the 25h00m: QUOTING (pre-open or quotes only) 1970-01-01 22:00:01.000 → "
        "23:00:00.000 (59m59s); QUOTING (pre-open or quotes only) 1970-01-02 00:00:00.000 → 00:30:00.000 (30m00s); "
        "QUOTING (pre-open or quotes only) 1970-01-02 22:00:00.000 → 23:00:00.000 (1h00m)") == 1
    # The second case: a stretch over midnight has its end's date too; one date's span stays undated.
    over = [{"from_ts": 23 * H, "to_ts": day + H, "status": "HALTED"}]
    assert trading_text(over, 26 * H, dated=True) == (
        "not trading 2h00m of the 26h00m: HALTED 1970-01-01 23:00:00.000 → 1970-01-02 01:00:00.000 (2h00m) "
        "(nothing fills there; quote presence counts trading time only)")
    assert trading_text([{"from_ts": 2 * S, "to_ts": 4 * S, "status": "HALTED"}], 7 * S) == (
        "not trading 2 s of the 7 s: HALTED 00:00:02.000 → 00:00:04.000 (2 s) (nothing fills there; quote "
        "presence counts trading time only)")
