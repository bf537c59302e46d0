"""Fills on a stale book (docs/reports.md, "Fills on a stale book"; docs/engine.md item 11).

A maker fill is on a stale book when its order reached the exchange after a print strictly through its price and
through the book's touch on the side the print traded against, with no depth update of that side since. Every
case below is computed by hand from the events; one real-data test recounts the Binance spot example with a plain
loop and a book of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, make_events, shared_data
from test_report import fill, result_of

from mmsim import Kind
from mmsim.records import ORDER_LOG_DTYPE, OrderEvent
from mmsim.replay import replay_bbo
from mmsim.report import make_report as report
from mmsim.report.compute import _fill_columns
from mmsim.report.stale import stale_fills

MS = 1_000_000
S = 1_000_000_000

# Book from t=0: bid 100 / ask 102 (2*mid 202), which no later event moves (the updates are at other levels).
EVENTS = [
    (0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5),
    (10 * MS, Kind.TRADE, -1, 99, 1),   # sell print below the book's bid 100 (last bid update: 0)
    (20 * MS, Kind.TRADE, 1, 103, 1),   # buy print above the book's ask 102 (last ask update: 0)
    (30 * MS, Kind.DEPTH, -1, 103, 2),  # ask-side update: the 20 ms print is in the book from here
    (40 * MS, Kind.TRADE, 1, 104, 1),   # buy print after it, above the ask 102
    (50 * MS, Kind.DEPTH, 1, 98, 3),    # bid-side update: the 10 ms print is in the book from here
    (60 * MS, Kind.TRADE, -1, 100, 1),  # sell print AT the book's bid 100: the book does not contradict it
    (70 * MS, Kind.TRADE, 1, 99, 1),    # buy print below 100: an ask the book never showed traded there
    (80 * MS, Kind.DEPTH, 1, 97, 1),    # one message: a bid update, then a sell print below 98 in it
    (80 * MS, Kind.TRADE, -1, 96, 1),
    (5 * S, Kind.DEPTH, 1, 100, 6),
]

# (order id, side, price, arrival at the exchange, stale?, markout @1s ticks)
ORDERS = [
    (1, 1, 100, 15 * MS, True, 1),     # sell 99 at 10 ms, no bid update since
    (2, 1, 100, 10 * MS, True, 1),     # arrives at the print's nanosecond: after its message
    (3, -1, 102, 25 * MS, True, 1),    # buy 103 at 20 ms, no ask update since
    (4, -1, 102, 35 * MS, False, 1),   # the ask update at 30 ms came in between
    (5, -1, 103, 45 * MS, True, 2),    # buy 104 at 40 ms, after the ask update at 30 ms
    (6, -1, 104, 45 * MS, False, 3),   # buy 104 is at 104, not through it
    (7, 1, 100, 55 * MS, False, 1),    # the bid update at 50 ms came in between
    (8, 1, 100, 65 * MS, False, 1),    # sell 100 at 60 ms is at the price, not through it
    (9, 1, 100, 75 * MS, False, 1),    # buy 99 at 70 ms: no bid was swept (the asks' book lacked one)
    (10, 1, 98, 85 * MS, False, 3),    # sell 96 at 80 ms is in the message of a bid update
    (11, 1, 101, 65 * MS, False, 0),   # improves on the bid 100: sell 100 is through 101, not through the book
    (12, 1, 101, 15 * MS, True, 0),    # improves on it, and sell 99 went through the book's bid 100 too
]


def order_log(rows):
    log = np.zeros(len(rows), dtype=ORDER_LOG_DTYPE)
    for i, (oid, side, price, arrival, *_) in enumerate(rows):
        log[i] = (arrival, arrival - MS, oid, price, 1, 1, int(OrderEvent.SENT), side, 0, 1, 0, 0, i)
    return log


# Each order fills 1 µs after its arrival (before its side's next update), in time order; the mid a second later
# is 101 for all (the book moves at 5 s).
BY_TIME = sorted(range(len(ORDERS)), key=lambda i: (ORDERS[i][3], i))


def hand_result():
    fills = [fill(ORDERS[i][3] + 1_000, ORDERS[i][1], ORDERS[i][2], 1, 100, 102, oid=ORDERS[i][0]) for i in BY_TIME]
    fills.append(fill(S + 20 * MS, 1, 102, 1, 100, 102, maker=False, oid=13))  # a taker fill: not classified
    fills.append(fill(S + 21 * MS, 1, 99, 1, 100, 102, oid=14))  # its order is not in the log: not classified
    return result_of(fills, orders=order_log(ORDERS))


def test_stale_fills_by_hand_on_both_sides():
    res = hand_result()
    ev = make_events(EVENTS)
    rep = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    s = rep.data["stale_book"]
    # 1/0 per fill; an empty cell (NaN) for the taker fill and the fill whose order is not in the log.
    flags = rep.fills["stale_book"].tolist()
    assert flags[:12] == [float(ORDERS[i][4]) for i in BY_TIME] and np.isnan(flags[12:]).all()
    assert s["count"] == 5 and s["n_maker"] == 12 and s["share"] == 5 / 12
    assert s["n_taker"] == 1 and s["n_not_classified"] == 1
    (row,) = s["markouts"]
    # Stale (orders 1, 2, 3, 5, 12): 1, 1, 1, 2, 0 ticks; the other 7: 1, 3, 1, 1, 1, 3, 0 (mid 101 at 1 s).
    assert row["horizon"] == "1s"
    assert row["stale"]["n"] == 5 and row["stale"]["mean"] == pytest.approx(1.0)
    assert row["other"]["n"] == 7 and row["other"]["mean"] == pytest.approx(10 / 7)
    assert rep.fills["markout_1s_ticks"][:12].tolist() == [float(ORDERS[i][5]) for i in BY_TIME]
    c = stale_fills(_fill_columns(res.fills), res.orders, ev, replay_bbo(ev))
    assert c["classified"].tolist() == [True] * 12 + [False, False]


def test_an_l3_execution_updates_its_side_and_a_hidden_print_through_no_displayed_bid_is_not_stale():
    orders = [(1, 1, 100, 15 * MS)]
    res = result_of([fill(S, 1, 100, 1, 99, 102)], orders=order_log(orders))
    cases = {
        # L2: a sell print at 99 below the book's bid 100, no bid update after it.
        "l2": [(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (10 * MS, Kind.TRADE, -1, 99, 1),
               (5 * S, Kind.DEPTH, -1, 102, 6)],
        # L3: the same prints are executions of the resting bids at 100 and 99, each an update of the bids.
        "l3": [(0, Kind.ADD, 1, 100, 5, 1), (0, Kind.ADD, 1, 99, 5, 2), (0, Kind.ADD, -1, 102, 5, 3),
               (5 * MS, Kind.EXECUTE, 1, 100, 5, 1), (10 * MS, Kind.EXECUTE, 1, 99, 1, 2),
               (5 * S, Kind.ADD, -1, 102, 6, 4)],
        # L3, a hidden bid at 99 hit (a TRADE: no order of the book behind it) with the displayed bids at 98: the
        # print is through our bid at 100, not through the book (LOBSTER's hidden executions: AMZN's 329 fills).
        "l3 hidden": [(0, Kind.ADD, 1, 98, 5, 1), (0, Kind.ADD, -1, 102, 5, 3), (10 * MS, Kind.TRADE, -1, 99, 1),
                      (5 * S, Kind.ADD, -1, 102, 6, 4)],
    }
    counts, pages = {}, {}
    for name, ev in cases.items():
        rep = report(res, make_events(ev), horizons=["1s"], event_horizons=[], toxic_horizon="1s")
        counts[name] = (rep.data["stale_book"]["count"], rep.data["stale_book"]["n_maker"])
        pages[name] = rep.to_html()
    assert counts == {"l2": (1, 1), "l3": (0, 1), "l3 hidden": (0, 1)}
    # None stale: the row says 0, and no table of empty markouts follows.
    assert "<td>Fills on a stale book (docs/engine.md item 11)</td><td>0 of 1 (0.0%)</td>" in pages["l3"]
    assert '<table id="stale-book">' not in pages["l3"] and '<table id="stale-book">' in pages["l2"]


def test_the_row_the_table_and_the_html():
    rep = report(hand_result(), make_events(EVENTS), horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    from mmsim.report.render import _summary_rows

    rows = dict(_summary_rows(rep.data))
    assert rows["Fills on a stale book (docs/engine.md item 11)"] == "5 of 12 (41.7%)"
    page = rep.to_html()
    assert '<table id="stale-book"><thead><tr><th>horizon</th><th>stale mean</th><th>stale n</th>' in page
    # stale − other: 1 − 10/7 with Welch's interval, here from scipy (stale 1, 1, 1, 2, 0; other 1, 3, 1, 1, 1, 3, 0).
    from scipy import stats

    ci = stats.ttest_ind([1, 1, 1, 2, 0], [1, 3, 1, 1, 1, 3, 0], equal_var=False).confidence_interval(0.95)
    assert (f"{ci.low:.2f}", f"{ci.high:.2f}") == ("-1.62", "0.76")
    assert ("<tr><td>1s</td><td>1.00</td><td>5</td><td>1.43</td><td>7</td><td class=\"neg\">-0.43</td>"
            "<td>[-1.62, 0.76]</td></tr>") in page
    d = rep.data["stale_book"]["markouts"][0]["difference"]
    assert d["diff"] == pytest.approx(1 - 10 / 7) and (d["n_stale"], d["n_other"]) == (5, 7)
    assert (d["ci_low"], d["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert "not classified: 1 taker fill and 1 maker fill whose order is not in the order log" in page
    # The terminal: the table's title names the interval and the page, and the caveat follows it.
    import io

    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    rep.print(console)
    text = " ".join(console.export_text().split())
    assert ("Markouts of maker fills on a stale book (5) vs the other 7 (ticks; stale − other with Welch's t "
            "interval; docs/reports.md, Fills on a stale book)") in text
    assert ("fast markets alone make such fills' markouts worse (orders that arrive just after the price moved "
            "through them): the difference bounds the model's share from above, it does not measure it") in text
    doc = json.loads(rep.to_json())["stale_book"]
    assert {k: doc[k] for k in ("count", "n_maker", "n_taker", "n_not_classified")} == {
        "count": 5, "n_maker": 12, "n_taker": 1, "n_not_classified": 1}


def _recount(events, fills, orders):
    """The count by a plain loop: the book rebuilt level by level, and for each maker fill any print against a
    side strictly through the fill's price and the side's touch since that side's last depth update (by
    exchange time), up to the order's arrival; a print with no aggressor side against the side whose touch it is
    beyond; and no depth update of the side after the arrival's message and at or before the fill."""
    import bisect

    ts, kind, side, price, qty = (events[k].tolist() for k in ("exch_ts", "kind", "side", "price", "qty"))
    sent = orders[orders["event"] == int(OrderEvent.SENT)]
    arrival = dict(zip(sent["order_id"].tolist(), sent["exch_ts"].tolist()))
    book = {1: {}, -1: {}}
    last_update = {1: None, -1: None}  # exch_ts of each side's last depth update
    prints = {1: [], -1: []}  # (exch_ts, price) of the prints against each side
    updated = {c: sorted(t for t, k, sd in zip(ts, kind, side)
                         if (k == int(Kind.DEPTH) and sd == c) or (k == int(Kind.CLEAR) and sd in (0, c)))
               for c in (1, -1)}
    todo = sorted((arrival[int(f["order_id"])], int(f["side"]), int(f["price"]), int(f["exch_ts"]))
                  for f in fills if f["maker"])
    i, n = 0, 0
    for t, s, p, filled in todo:
        while i < len(ts) and ts[i] <= t:
            if kind[i] == int(Kind.DEPTH):
                if qty[i] == 0:
                    book[side[i]].pop(price[i], None)
                else:
                    book[side[i]][price[i]] = qty[i]
                last_update[side[i]] = ts[i]
            elif kind[i] == int(Kind.CLEAR):
                for c in (1, -1) if side[i] == 0 else (side[i],):
                    book[c].clear()
                    last_update[c] = ts[i]
            elif kind[i] == int(Kind.TRADE) and side[i] != 0:
                prints[-side[i]].append((ts[i], price[i]))
            elif kind[i] == int(Kind.TRADE):  # no aggressor side: against the side whose touch it is beyond
                if book[1] and price[i] < max(book[1]):
                    prints[1].append((ts[i], price[i]))
                elif book[-1] and price[i] > min(book[-1]):
                    prints[-1].append((ts[i], price[i]))
            i += 1
        nxt = bisect.bisect_right(updated[s], t)  # the side's first update after the arrival's message
        if nxt < len(updated[s]) and updated[s][nxt] < filled:
            continue
        touch = max(book[s]) if s > 0 and book[s] else min(book[s]) if book[s] else None
        since = [q for u, q in prints[s] if last_update[s] is None or u > last_update[s]]
        n += touch is not None and any((q < min(p, touch)) if s > 0 else (q > max(p, touch)) for q in since)
    return n


def test_the_binance_spot_example_counts_what_a_plain_loop_counts(tmp_path):
    from mmsim.data import converter

    store = converter("binance")([shared_data("binance", "spot", "btcusdt_20240808.gz")], tmp_path / "store")
    kinds = set(np.unique(store.events["kind"]).tolist())
    assert kinds <= {int(Kind.DEPTH), int(Kind.TRADE), int(Kind.CLEAR)}  # what the loop's book knows
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(ROOT / "examples" / "btcusdt_spot.yaml"),
                           "--data", str(tmp_path / "store"), "-o", str(out), "-q"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads((out / "report.json").read_text())["stale_book"]
    fills, orders = np.load(out / "fills.npy"), np.load(out / "orders.npy")
    assert s["count"] == _recount(store.events, fills, orders)
    # docs/engine.md item 11 and docs/reports.md cite it: 471 of 731 (a newcomer's count, 474, also took a buy
    # print below a bid and a sell print below a bid above the book's best bid: neither went through the book).
    assert (s["count"], s["n_maker"]) == (471, 731)


# Run through the engine (breaker16b): bid 100x5 and 98x5, ask 102x5 at t=0; the one quote reaches the exchange
# 15 ms after the first call (the SENT row's exch_ts).
BOOK = [(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, 1, 98, 5), (0, Kind.DEPTH, -1, 102, 5)]


def _run_once(rows, quote):
    import mmsim

    class Once(mmsim.Strategy):
        def __init__(self, q):
            self.q = q

        def quote(self, view):
            q, self.q = self.q, None
            return q

    lat = mmsim.LatencyModel
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed=lat(ns=0), entry=lat(ns=15 * MS), response=lat(ns=0)),
                       signals=mmsim.SignalConfig(enabled=False))
    ev = make_events(rows)
    r = mmsim.run(ev, Once(quote), cfg)
    sent = r.orders[r.orders["event"] == int(OrderEvent.SENT)]
    assert sent["exch_ts"].tolist()[:1] == [15 * MS]
    return r, report(r, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s")


def test_a_fill_after_its_side_was_refreshed_is_not_on_a_stale_book():
    # The sell print at 99 (10 ms) went through the bid 100 our bid joins at 15 ms; the bids are updated at 20 ms
    # and 599 times more. A sell at 100 at 600 s fills it: it met a refreshed book. (It counted: the first
    # version judged a fill by its order's arrival alone.)
    from mmsim import Quote

    rows = BOOK + [(10 * MS, Kind.TRADE, -1, 99, 5), (20 * MS, Kind.DEPTH, 1, 100, 0)] + \
        [(k * S, Kind.DEPTH, 1, 98, 5 + k) for k in range(1, 600)] + \
        [(600 * S, Kind.TRADE, -1, 100, 1), (601 * S, Kind.DEPTH, -1, 102, 6)]
    r, rep = _run_once(rows, Quote(100, 1, 0, 0))
    assert [int(f["exch_ts"]) for f in r.fills] == [600 * S]
    assert rep.fills["stale_book"].tolist() == [0]
    assert (rep.data["stale_book"]["count"], rep.data["stale_book"]["n_maker"]) == (0, 1)


def test_partial_fills_of_one_order_are_each_judged_at_their_own_time():
    # Bid 2 @ 100 arrives stale at 15 ms; a sell of 6 at 100 at 16 ms takes the 5 lots shown ahead and 1 of ours,
    # before the bids' next update at 20 ms (stale); the other lot fills at 600 s, after it (not).
    from mmsim import Quote

    rows = BOOK + [(10 * MS, Kind.TRADE, -1, 99, 5), (16 * MS, Kind.TRADE, -1, 100, 6),
                   (20 * MS, Kind.DEPTH, 1, 100, 0)] + \
        [(k * S, Kind.DEPTH, 1, 98, 5 + k) for k in range(1, 600)] + \
        [(600 * S, Kind.TRADE, -1, 100, 1), (601 * S, Kind.DEPTH, -1, 102, 6)]
    r, rep = _run_once(rows, Quote(100, 2, 0, 0))
    assert [(int(f["exch_ts"]), int(f["qty"])) for f in r.fills] == [(16 * MS, 1), (600 * S, 1)]
    assert rep.fills["stale_book"].tolist() == [1, 0]
    assert (rep.data["stale_book"]["count"], rep.data["stale_book"]["n_maker"]) == (1, 2)


@pytest.mark.parametrize("side", [1, -1])
def test_a_print_with_no_aggressor_side_through_the_touch_counts_against_that_side(side):
    # A print with side 0 (Tardis' `unknown`) at 99, below the book's bid 100: only a sell through the bids prints
    # there. Mirrored: at 103, above the ask 102, only a buy through the asks. (Both were left out.)
    from mmsim import Quote

    through, ours, fill_at = (99, Quote(100, 1, 0, 0), 99) if side > 0 else (103, Quote(0, 0, 102, 1), 103)
    rows = BOOK + [(10 * MS, Kind.TRADE, 0, through, 5), (17 * MS, Kind.TRADE, 0, fill_at, 1),
                   (2 * S, Kind.DEPTH, 1, 97, 1), (2 * S, Kind.DEPTH, -1, 104, 1)]
    r, rep = _run_once(rows, ours)
    assert [(int(f["side"]), bool(f["maker"])) for f in r.fills] == [(side, True)]
    assert (rep.data["stale_book"]["count"], rep.data["stale_book"]["n_maker"]) == (1, 1)


def test_an_update_of_another_level_of_the_side_ends_the_stale_state():
    # Documented (docs/reports.md, "Fills on a stale book"): any depth update of the side ends it, here the bid
    # at 95 at 12 ms, though the touch 100 the 10 ms print went through is still shown at our arrival (15 ms).
    from mmsim import Quote

    rows = BOOK + [(10 * MS, Kind.TRADE, -1, 99, 5), (12 * MS, Kind.DEPTH, 1, 95, 3), (16 * MS, Kind.TRADE, -1, 99, 1),
                   (2 * S, Kind.DEPTH, -1, 102, 6)]
    r, rep = _run_once(rows, Quote(100, 1, 0, 0))
    assert len(r.fills) == 1 and rep.fills["stale_book"].tolist() == [0]


def test_fills_csv_leaves_the_flag_empty_for_a_fill_not_classified_and_flat_carries_the_count(tmp_path):
    import csv

    from mmsim import Order, Quote

    rows = BOOK + [(10 * MS, Kind.TRADE, -1, 99, 5), (2 * S, Kind.DEPTH, -1, 102, 6)]
    r, rep = _run_once(rows, Quote.ladder(orders=[Order.ioc(1, 102, 1)]))
    assert [bool(f["maker"]) for f in r.fills] == [False]
    rep.save(tmp_path / "rep", plots=False)
    with open(tmp_path / "rep" / "fills.csv") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["queue_ahead_at_entry"], row["stale_book"]) == ("", "")  # it wrote 0, as "not stale"
    assert (rep.flat()["stale_book.count"], rep.flat()["stale_book.share"]) == (0, None)
    rows = BOOK + [(10 * MS, Kind.TRADE, -1, 99, 5), (17 * MS, Kind.TRADE, -1, 99, 1), (2 * S, Kind.DEPTH, -1, 102, 6)]
    _, rep = _run_once(rows, Quote(100, 1, 0, 0))
    assert (rep.flat()["stale_book.count"], rep.flat()["stale_book.share"]) == (1, 1.0)
