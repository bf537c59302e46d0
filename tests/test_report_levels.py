"""The report's markouts by target level (docs/reports.md, "Markouts by level"), by hand and on data.

A tiny market where each fill's level, price and the mid path are known: every
number of the by-level rows is computed by hand in the comments. The second case
adds explicit orders (their own row, taker fills, one that expires whole); a 1-level
run without explicit orders has no such section.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Order, Quote

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE
T95_1 = 12.706204736174698  # Student t, 97.5% quantile, 1 degree of freedom

# Bids 100 x 10, 99 x 20, 98 x 5; asks 102 x 10, 103 x 10 (mid 101). A sell of 11 at 100
# (2000), of 22 at 99 (3000), a buy of 11 at 102 (4000), each level then emptied. The mid
# (exchange book, after every event at a time): 2000: 99/102 -> 100.5; 3000: 98/102 -> 100;
# 4000: 98/103 -> 100.5; 5000: bid 102 joins -> 102.5; 6000: it leaves -> 100.5;
# 7000: ask 101 joins -> 99.5.
EVENTS = [(1000, D, BID, 100, 10), (1000, D, BID, 99, 20), (1000, D, BID, 98, 5), (1000, D, ASK, 102, 10),
          (1000, D, ASK, 103, 10),
          (2000, T, ASK, 100, 11), (2000, D, BID, 100, 0),
          (3000, T, ASK, 99, 22), (3000, D, BID, 99, 0),
          (4000, T, BID, 102, 11), (4000, D, ASK, 102, 0),
          (5000, D, BID, 102, 4), (6000, D, BID, 102, 0), (7000, D, ASK, 101, 2)]
FEES = mmsim.FeeConfig(maker_per_lot=-0.1, taker_per_lot=0.5)


class Once(mmsim.Strategy):
    """Quote ``first`` at the first call, then keep it."""

    def __init__(self, first):
        self.first = first

    def reset(self):
        self.done = False

    def quote(self, view):
        if self.done:
            return None
        self.done = True
        return self.first


def run(quote, **kw):
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed=0, entry=0, response=0), fees=FEES,
                       signals=mmsim.SignalConfig(enabled=False), **kw)
    events = make_events(EVENTS)
    return events, mmsim.run(events, Once(quote), cfg)


def rows_of(d):
    return {r["label"]: r for r in d["by_level"]["rows"]}


def test_markouts_by_level_by_hand():
    # A two-level ladder each side, once: bids (100, 1) level 0 and (99, 2) level 1 join
    # behind 10 and 20 lots; asks (102, 1) level 0 and (103, 2) level 1 behind 10 and 10.
    # Fills: A buy 1 @ 100 at 2000 (level 0), B buy 2 @ 99 at 3000 (level 1), C sell 1 @ 102
    # at 4000 (level 0); the ask at 103 never trades.
    events, r = run(Quote.ladder(bids=[(100, 1), (99, 2)], asks=[(102, 1), (103, 2)]), ladder_levels=2)
    got = [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"]), int(f["level"])) for f in r.fills]
    assert got == [(2000, BID, 100, 1, 0), (3000, BID, 99, 2, 1), (4000, ASK, 102, 1, 0)]
    rep = r.report(events, horizons=[1000, 2000], event_horizons=[], toxic_horizon=1000)
    d = rep.data
    assert d["by_level"]["horizon"] == "1us" and [x["label"] for x in d["by_level"]["rows"]] == ["0", "1"]
    lv = rows_of(d)
    # Markouts side * (mid(t + h) - p):
    #   A @1us: mid(3000) 100 - 100 = 0      @2us: mid(4000) 100.5 - 100 = +0.5
    #   B @1us: mid(4000) 100.5 - 99 = +1.5  @2us: mid(5000) 102.5 - 99 = +3.5
    #   C @1us: -(mid(5000) 102.5 - 102) = -0.5   @2us: -(mid(6000) 100.5 - 102) = +1.5
    zero = lv["0"]["markouts"]
    assert zero["1us"]["n"] == 2 and zero["1us"]["ticks"]["mean"] == -0.25
    # Student t on [0, -0.5]: s = sqrt(0.125), half-width t * s / sqrt(2) = t * 0.25.
    assert zero["1us"]["ticks"]["ci_low"] == pytest.approx(-0.25 - T95_1 * 0.25, rel=1e-9)
    assert zero["1us"]["ticks"]["ci_high"] == pytest.approx(-0.25 + T95_1 * 0.25, rel=1e-9)
    assert zero["2us"]["ticks"]["mean"] == 1.0 and zero["2us"]["pnl"] == 2.0
    # bps of the fill price: 0 and -0.5 / 102 * 1e4.
    assert zero["1us"]["bps"]["mean"] == pytest.approx(-0.5 / 102 * 1e4 / 2)
    one = lv["1"]["markouts"]
    assert (one["1us"]["n"], one["1us"]["ticks"]["mean"], one["2us"]["ticks"]["mean"]) == (1, 1.5, 3.5)
    assert one["1us"]["ticks"]["ci_low"] is None  # one fill: no interval
    assert one["2us"]["pnl"] == 7.0 and one["2us"]["qty_weighted_ticks"] == 3.5  # 3.5 ticks x 2 lots
    # Toxic at 1us: C only (level 0), 1 of 2; none of level 1.
    assert (lv["0"]["toxic_share"], lv["1"]["toxic_share"]) == (0.5, 0.0)
    # Counts: orders sent per level (bid and ask each), lots sent, fills and lots filled.
    assert [(x["orders_sent"], x["sent_qty"], x["count"], x["qty"], x["maker_count"], x["taker_count"])
            for x in (lv["0"], lv["1"])] == [(2, 2, 2, 2, 2, 0), (2, 4, 1, 2, 1, 0)]
    assert (lv["0"]["fill_rate"], lv["1"]["fill_rate"]) == (1.0, 0.5)
    # Effective half-spread side * (m0 - p), m0 the book just before the fill: A 101 - 100 = 1,
    # B 100.5 - 99 = 1.5, C -(100 - 102) = 2. Spread capture (half-ticks): A 2, B 2 * 1.5 * 2 = 6,
    # C 4; tick value 1. Fees 0.1 rebate a lot.
    assert lv["0"]["effective_ticks"]["mean"] == 1.5 and lv["1"]["effective_ticks"]["mean"] == 1.5
    assert (lv["0"]["spread_capture_half_ticks"], lv["1"]["spread_capture_half_ticks"]) == (6, 6)
    assert (lv["0"]["spread_capture"], lv["1"]["spread_capture"]) == (3.0, 3.0)
    assert lv["0"]["fees"] == pytest.approx(-0.2, abs=1e-12) and lv["1"]["fees"] == pytest.approx(-0.2, abs=1e-12)
    # The rows add up to the PnL split's spread capture and fees, and to the fills.
    assert d["pnl"]["half_ticks"]["spread_capture"] == 12 and d["pnl"]["spread_capture"] == 6.0
    # The same numbers as the whole-run markouts restricted to each level (one code path).
    assert d["markouts"][0]["groups"]["all"]["ticks"]["mean"] == pytest.approx((0 + 1.5 - 0.5) / 3)
    # fills.csv carries each fill's level, order type and tag.
    assert rep.fills["level"].tolist() == [0, 1, 0] and rep.fills["order_type"].tolist() == [1, 1, 1]
    assert rep.fills["tag"].tolist() == [0, 0, 0]


def test_explicit_orders_have_their_own_row_by_hand():
    # One bid level (100, 1) and two explicit orders at the first call: a buy IOC of 15 up
    # to 103 takes 10 @ 102 and 5 @ 103 at 1000 (taker, 0.5 a lot); a buy FOK of 50 up to
    # 102 finds only 10 lots there and expires whole. The bid fills 1 @ 100 at 2000.
    q = Quote.ladder(bids=[(100, 1)], asks=[], orders=[Order.ioc(BID, 103, 15, tag=9), Order.fok(BID, 102, 50, tag=10)])
    events, r = run(q)
    assert [(int(f["price"]), int(f["qty"]), int(f["level"]), int(f["tag"]), bool(f["maker"])) for f in r.fills] == [
        (102, 10, -1, 9, False), (103, 5, -1, 9, False), (100, 1, 0, 0, True)]
    d = r.report(events, horizons=[1000], event_horizons=[], toxic_horizon=1000).data
    assert [x["label"] for x in d["by_level"]["rows"]] == ["0", "explicit"]
    lv = rows_of(d)
    ex = lv["explicit"]
    assert ex["level"] == -1
    # Orders: the IOC and the FOK (65 lots sent); 2 fills, 15 lots, both taker.
    assert (ex["orders_sent"], ex["sent_qty"], ex["count"], ex["qty"], ex["maker_count"], ex["taker_count"]) == (
        2, 65, 2, 15, 0, 2)
    assert ex["fill_rate"] == 15 / 65
    # Markouts @1us (t = 2000, mid 100.5; no market impact): 100.5 - 102 = -1.5 and
    # 100.5 - 103 = -2.5: mean -2, both toxic; by lot (-1.5 * 10 - 2.5 * 5) / 15; PnL -27.5.
    m = ex["markouts"]["1us"]
    assert (m["n"], m["ticks"]["mean"], ex["toxic_share"]) == (2, -2.0, 1.0)
    assert m["qty_weighted_ticks"] == pytest.approx(-27.5 / 15) and m["pnl"] == -27.5
    # Effective half-spread against the mid 101 at 1000: -1 and -2 ticks (the half-spread paid);
    # spread capture 2 * (-1) * 10 + 2 * (-2) * 5 = -40 half-ticks; fees 15 * 0.5.
    assert ex["effective_ticks"]["mean"] == -1.5 and ex["spread_capture_half_ticks"] == -40
    assert ex["fees"] == 7.5
    # The bid: buy 1 @ 100 at 2000, mid(3000) 100: markout 0; rebate 0.1.
    assert (lv["0"]["count"], lv["0"]["markouts"]["1us"]["ticks"]["mean"], lv["0"]["orders_sent"]) == (1, 0.0, 1)
    assert d["pnl"]["half_ticks"]["spread_capture"] == -40 + 2  # the bid's 101 - 100, in half-ticks
    assert d["pnl"]["fees"] == pytest.approx(7.5 - 0.1, abs=1e-12)


def test_an_explicit_order_that_never_fills_still_shows_its_row():
    # A sell IOC below nothing: limit 101 against bids at 100 and lower expires whole.
    events, r = run(Quote.keep(orders=[Order.ioc(ASK, 101, 3, tag=1)]))
    assert len(r.fills) == 0
    d = r.report(events, horizons=[1000], event_horizons=[]).data
    (row,) = d["by_level"]["rows"]
    assert (row["label"], row["orders_sent"], row["sent_qty"], row["count"], row["fill_rate"]) == (
        "explicit", 1, 3, 0, 0.0)
    assert row["markouts"]["1us"]["n"] == 0 and row["markouts"]["1us"]["ticks"]["mean"] is None
    assert row["toxic_share"] is None


def test_one_level_and_no_explicit_order_has_no_section():
    events, r = run(Quote(100, 1, 102, 1))
    assert len(r.fills) == 2
    rep = r.report(events, horizons=[1000], event_horizons=[])
    assert rep.data["by_level"] is None
    assert 'id="by-level"' not in rep.to_html()
    # The same with ladder_levels 2 but one level quoted: still no section.
    events, r = run(Quote.ladder(bids=[(100, 1)], asks=[(102, 1)]), ladder_levels=2)
    assert r.report(events, horizons=[1000], event_horizons=[]).data["by_level"] is None


def test_the_section_in_the_terminal_report_json_and_html(tmp_path):
    from rich.console import Console

    events, r = run(Quote.ladder(bids=[(100, 1), (99, 2)], asks=[(102, 1), (103, 2)]), ladder_levels=2)
    rep = r.report(events, horizons=[1000, 2000], event_horizons=[], toxic_horizon=1000)
    con = Console(record=True, width=200)
    rep.print(con)
    text = con.export_text()
    assert "Markouts by target level" in text
    line0 = next(line for line in text.splitlines() if line.startswith("│ 0 "))
    # level, orders, fills, lots, fill rate, mean @ 1us, 95% CI, toxic, then 2us.
    cells = [c.strip() for c in line0.strip("│").split("│")]
    assert cells[:5] == ["0", "2", "2", "2", "100.0%"] and cells[5] == "-0.25" and cells[7] == "50.0%"
    assert cells[8] == "1.00"
    # 80 columns: stacked, nothing cut.
    narrow = Console(record=True, width=80)
    rep.print(narrow)
    small = narrow.export_text()
    assert "Markouts by target level" in small and "(continued)" in small
    assert max(len(line) for line in small.splitlines()) <= 80
    assert any(line.startswith("│ 1 ") and "1.50" in line and "3.50" in line for line in small.splitlines())
    rep.save(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["by_level"] == json.loads(rep.to_json())["by_level"]
    assert [x["qty"] for x in doc["by_level"]["rows"]] == [2, 2]
    page = (tmp_path / "report.html").read_text()
    assert '<table id="by-level">' in page and "Markouts by target level (@ 1us)" in page
    assert "<td>explicit</td>" not in page


def test_rows_add_up_on_the_reference_ladder():
    """LadderFlatten on the synthetic market: the rows partition the fills, the spread capture and the fees."""
    from conftest import ROOT, synth_day
    from mmsim.plugins import resolve_strategy

    events = synth_day("l2").events
    kind = resolve_strategy(f"{ROOT / 'strategies' / 'ladder_flatten.py'}:LadderFlatten")
    cfg = mmsim.Config(ladder_levels=2, latency=mmsim.LatencyConfig(feed=500_000, entry=100_000, response=100_000),
                       fees=mmsim.FeeConfig(maker_bps=-0.2, taker_bps=0.5))
    r = mmsim.run(events, kind(half_spread=1.0, flatten_at=6.0, flatten_to=1.0), cfg)
    d = r.report(events, horizons=["1s"], event_horizons=[10]).data
    rows = d["by_level"]["rows"]
    assert [x["label"] for x in rows] == ["0", "1", "explicit"]
    f = r.fills
    key = np.where(f["order_type"] == mmsim.records.OrderType.LIMIT, f["level"], -1)
    for x in rows:
        assert x["count"] == int((key == x["level"]).sum()) > 0
        assert x["qty"] == int(f["qty"][key == x["level"]].sum())
        assert x["markouts"]["1s"]["n"] + x["markouts"]["1s"]["n_past_end"] + x["markouts"]["1s"]["n_no_mid"] == x[
            "count"]
    assert sum(x["count"] for x in rows) == d["fills"]["count"]
    assert sum(x["spread_capture_half_ticks"] for x in rows) == d["pnl"]["half_ticks"]["spread_capture"]
    assert sum(x["fees"] for x in rows) == pytest.approx(d["pnl"]["fees"], rel=1e-12)
    assert rows[2]["taker_count"] == rows[2]["count"] and rows[0]["taker_count"] == rows[1]["taker_count"] == 0
    sent = r.orders[r.orders["event"] == mmsim.records.OrderEvent.SENT]
    assert sum(x["orders_sent"] for x in rows) == len(sent)


def test_a_crossing_target_is_a_taker_fill_of_its_level():
    # post_only off: the bid level 0 at 102 crosses the ask 102 x 10 on arrival and takes 1 lot
    # (taker, level 0); the level 1 bid (99, 2) fills as a maker at 3000. Each in its row.
    events, r = run(Quote.ladder(bids=[(102, 1), (99, 2)], asks=[]), ladder_levels=2, post_only=False)
    assert [(int(f["price"]), int(f["level"]), bool(f["maker"])) for f in r.fills] == [(102, 0, False), (99, 1, True)]
    lv = rows_of(r.report(events, horizons=[1000], event_horizons=[]).data)
    assert set(lv) == {"0", "1"}
    assert (lv["0"]["maker_count"], lv["0"]["taker_count"], lv["1"]["maker_count"], lv["1"]["taker_count"]) == (
        0, 1, 1, 0)
    # Taker fee 0.5 a lot at level 0, a 0.2 rebate at level 1.
    assert (lv["0"]["fees"], lv["1"]["fees"]) == (0.5, pytest.approx(-0.2, abs=1e-12))


def test_fills_saved_before_ladders_are_one_level_with_no_section():
    # Fill and order-log records without order_type, level and tag (a run saved before
    # ladders): every fill is a target's order at level 0, so no by-level section.
    events, r = run(Quote.ladder(bids=[(100, 1), (99, 2)], asks=[(102, 1), (103, 2)]), ladder_levels=2)
    saved = r.__class__.__new__(r.__class__)
    saved.__dict__.update(r.__dict__)
    saved.fills, saved.orders = without_ladder_fields(r.fills), without_ladder_fields(r.orders)
    rep = saved.report(events, horizons=[1000], event_horizons=[])
    assert rep.data["by_level"] is None
    assert rep.fills["level"].tolist() == [0, 0, 0] and rep.fills["order_type"].tolist() == [1, 1, 1]
    # Quote presence reads such a log too (it raised on the missing order_type: every order is a target's
    # LIMIT), with the figures of the log that has the fields.
    assert rep.data["presence"] == r.report(events, horizons=[1000], event_horizons=[]).data["presence"]


def without_ladder_fields(rec):
    old = np.dtype([(n, rec.dtype[n]) for n in rec.dtype.names if n not in ("order_type", "level", "tag")])
    out = np.zeros(len(rec), dtype=old)
    for n in old.names:
        out[n] = rec[n]
    return out
