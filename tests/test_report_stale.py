"""Fills on a stale book (docs/reports.md, "Fills on a stale book"; docs/engine.md item 11).

A maker fill is on a stale book when its order reached the exchange after a print strictly through its price
that no depth update of the side the print traded against has followed. Every case below is computed by hand
from the events; one real-data test recounts the Binance spot example with a plain loop.
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
from mmsim.report import make_report as report
from mmsim.report.compute import _fill_columns
from mmsim.report.stale import stale_fills

MS = 1_000_000
S = 1_000_000_000

# Book from t=0: bid 100 / ask 102 (2*mid 202), which no later event moves (the updates are at other levels).
EVENTS = [
    (0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5),
    (10 * MS, Kind.TRADE, -1, 99, 1),   # sell print below 100: against the bids (last bid update: 0)
    (20 * MS, Kind.TRADE, 1, 103, 1),   # buy print above 102: against the asks (last ask update: 0)
    (30 * MS, Kind.DEPTH, -1, 103, 2),  # ask-side update: the 20 ms print is in the book from here
    (40 * MS, Kind.TRADE, 1, 104, 1),   # buy print after it
    (50 * MS, Kind.DEPTH, 1, 98, 3),    # bid-side update: the 10 ms print is in the book from here
    (60 * MS, Kind.TRADE, -1, 100, 1),  # sell print AT 100: not through a bid at 100
    (70 * MS, Kind.TRADE, 1, 99, 1),    # buy print below 100: asks traded there (last ask update: 30 ms)
    (80 * MS, Kind.DEPTH, 1, 97, 1),    # one message: a bid update, then a sell print below 98 in it
    (80 * MS, Kind.TRADE, -1, 96, 1),
    (5 * S, Kind.DEPTH, 1, 100, 6),
]

# (order id, side, price, arrival at the exchange, stale?, by a print against its own side?, markout @1s ticks)
ORDERS = [
    (1, 1, 100, 15 * MS, True, True, 1),     # sell 99 at 10 ms, no bid update since
    (2, 1, 100, 10 * MS, True, True, 1),     # arrives at the print's nanosecond: after its message
    (3, -1, 102, 25 * MS, True, True, 1),    # buy 103 at 20 ms, no ask update since
    (4, -1, 102, 35 * MS, False, False, 1),  # the ask update at 30 ms came in between
    (5, -1, 103, 45 * MS, True, True, 2),    # buy 104 at 40 ms, after the ask update at 30 ms
    (6, -1, 104, 45 * MS, False, False, 3),  # buy 104 is at 104, not through it
    (7, 1, 100, 55 * MS, False, False, 1),   # the bid update at 50 ms came in between
    (8, 1, 100, 65 * MS, False, False, 1),   # sell 100 at 60 ms is at the price, not through it
    (9, 1, 100, 75 * MS, True, False, 1),    # buy 99 at 70 ms, asks not updated since 30 ms: the other side
    (10, 1, 98, 85 * MS, False, False, 3),   # sell 96 at 80 ms is in the message of a bid update
]


def order_log(rows):
    log = np.zeros(len(rows), dtype=ORDER_LOG_DTYPE)
    for i, (oid, side, price, arrival, *_) in enumerate(rows):
        log[i] = (arrival, arrival - MS, oid, price, 1, 1, int(OrderEvent.SENT), side, 0, 1, 0, 0, i)
    return log


def hand_result():
    fills = [fill(S + k * MS, side, price, 1, 100, 102, oid=oid)
             for k, (oid, side, price, *_) in enumerate(ORDERS)]
    fills.append(fill(S + 20 * MS, 1, 102, 1, 100, 102, maker=False, oid=11))  # a taker fill: not classified
    fills.append(fill(S + 21 * MS, 1, 99, 1, 100, 102, oid=12))  # its order is not in the log: not classified
    return result_of(fills, orders=order_log(ORDERS))


def test_stale_fills_by_hand_on_both_sides():
    res = hand_result()
    rep = report(res, make_events(EVENTS), horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    s = rep.data["stale_book"]
    stale = [o[4] for o in ORDERS]
    assert rep.fills["stale_book"].tolist() == [int(x) for x in stale] + [0, 0]
    assert s["count"] == 5 and s["n_maker"] == 10 and s["share"] == 0.5
    assert s["own_side"] == 4  # order 9 only by the buy print below it (the asks'), not by a sell print
    assert s["n_taker"] == 1 and s["n_not_classified"] == 1
    (row,) = s["markouts"]
    # Stale: 1, 1, 1, 2, 1 ticks; other: 1, 3, 1, 1, 3 ticks (mid 101 at 1 s after each fill).
    assert row["horizon"] == "1s"
    assert row["stale"]["n"] == 5 and row["stale"]["mean"] == pytest.approx(1.2)
    assert row["other"]["n"] == 5 and row["other"]["mean"] == pytest.approx(1.8)
    assert rep.fills["markout_1s_ticks"][:10].tolist() == [float(o[6]) for o in ORDERS]
    c = stale_fills(_fill_columns(res.fills), res.orders, make_events(EVENTS))
    assert c["own_side"].tolist() == [o[5] for o in ORDERS] + [False, False]
    assert c["classified"].tolist() == [True] * 10 + [False, False]


def test_the_same_print_as_an_l3_execution_updates_its_side_and_leaves_no_stale_book():
    # L2: a sell print at 99 with no bid update after it; a bid at 100 arriving at 15 ms is on a stale book.
    l2 = [(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (10 * MS, Kind.TRADE, -1, 99, 1),
          (5 * S, Kind.DEPTH, -1, 102, 6)]
    # L3: the same print is the execution of a resting bid at 99, which is itself an update of the bids.
    l3 = [(0, Kind.ADD, 1, 100, 5, 1), (0, Kind.ADD, 1, 99, 5, 2), (0, Kind.ADD, -1, 102, 5, 3),
          (5 * MS, Kind.EXECUTE, 1, 100, 5, 1), (10 * MS, Kind.EXECUTE, 1, 99, 1, 2),
          (5 * S, Kind.ADD, -1, 102, 6, 4)]
    orders = [(1, 1, 100, 15 * MS)]
    res = result_of([fill(S, 1, 100, 1, 99, 102)], orders=order_log(orders))
    counts = {}
    for name, ev in (("l2", l2), ("l3", l3)):
        d = report(res, make_events(ev), horizons=["1s"], event_horizons=[], toxic_horizon="1s").data
        counts[name] = (d["stale_book"]["count"], d["stale_book"]["n_maker"])
    assert counts == {"l2": (1, 1), "l3": (0, 1)}


def test_the_row_the_table_and_the_html():
    rep = report(hand_result(), make_events(EVENTS), horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    from mmsim.report.render import _summary_rows

    rows = dict(_summary_rows(rep.data))
    assert rows["Fills on a stale book (docs/engine.md item 11)"] == "5 of 10 (50.0%)"
    page = rep.to_html()
    assert '<table id="stale-book"><thead><tr><th>horizon</th><th>stale mean</th><th>stale n</th>' in page
    assert "<tr><td>1s</td><td>1.20</td><td>5</td><td>1.80</td><td>5</td></tr>" in page
    assert "4 of the 5 by a print against the order&#x27;s own side" in page
    doc = json.loads(rep.to_json())["stale_book"]
    assert {k: doc[k] for k in ("count", "n_maker", "own_side", "n_taker", "n_not_classified")} == {
        "count": 5, "n_maker": 10, "own_side": 4, "n_taker": 1, "n_not_classified": 1}


def _recount(events, fills, orders):
    """The count by a plain loop over the fills: any print strictly through the fill's price after the last
    depth update (by exchange time) of the side it traded against, up to the order's arrival."""
    ts, kind, side, price = events["exch_ts"], events["kind"], events["side"], events["price"]
    sent = orders[orders["event"] == int(OrderEvent.SENT)]
    arrival = dict(zip(sent["order_id"].tolist(), sent["exch_ts"].tolist()))
    n = 0
    for f in fills:
        if not f["maker"]:
            continue
        end = np.searchsorted(ts, arrival[int(f["order_id"])], side="right")
        stale = False
        for against in (1, -1):  # the bids (sell prints), the asks (buy prints)
            upd = np.flatnonzero((kind[:end] == int(Kind.DEPTH)) & (side[:end] == against))
            start = np.searchsorted(ts, ts[upd[-1]], side="right") if upd.size else 0
            p = price[start:end][(kind[start:end] == int(Kind.TRADE)) & (side[start:end] == -against)]
            stale |= bool((p < f["price"]).any() if f["side"] > 0 else (p > f["price"]).any())
        n += stale
    return n


def test_the_binance_spot_example_counts_what_a_plain_loop_counts(tmp_path):
    from mmsim.data import converter

    store = converter("binance")([shared_data("binance", "spot", "btcusdt_20240808.gz")], tmp_path / "store")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(ROOT / "examples" / "btcusdt_spot.yaml"),
                           "--data", str(tmp_path / "store"), "-o", str(out), "-q"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads((out / "report.json").read_text())["stale_book"]
    fills, orders = np.load(out / "fills.npy"), np.load(out / "orders.npy")
    assert s["count"] == _recount(store.events, fills, orders)
    # The count docs/engine.md item 11 cites (a newcomer's): 472 by a sell print below a bid or a buy print above
    # an ask, 2 more by a print against the other side.
    assert (s["count"], s["n_maker"], s["own_side"]) == (474, 731, 472)
