"""Several hftbacktest ``.npz`` files (one a day, as hftbacktest keeps them) are one stream: each goes on with the book
the file before left, and only its own ``DEPTH_CLEAR`` rows clear it (docs/data.md, "hftbacktest .npz")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_databento_preopen import NS0, QUOTING, rows_of
from test_hftbacktest_preopen import ADD, BUY, CANCEL, FILL, NONE, SELL, TRADE, npz

import mmsim
from mmsim import Kind
from mmsim.data import hftbacktest as hbt

DEPTH, SNAP, CLEAR = hbt.DEPTH_EVENT, hbt.DEPTH_SNAPSHOT_EVENT, hbt.DEPTH_CLEAR_EVENT
S = 1_000_000_000
DAY = 86_400 * S

#: Day 1 (L3): bid 2 @ 4800.00 (11), ask 2 @ 4801.00 (12), a trade of 1 lot of 12.
L3_DAY1 = [(0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4801.00, 2, 12),
           (S, TRADE, BUY, 4801.00, 1, 0), (S, FILL, NONE, 4801.00, 1, 12)]


def book_of(ev) -> tuple[dict, dict]:
    """Replays DEPTH/CLEAR and the L3 events into {price: size} per side (the store's book at its end)."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    orders: dict[int, list[int]] = {}
    for e in np.asarray(ev):
        k, s, px, q, oid = Kind(int(e["kind"])), int(e["side"]), int(e["price"]), int(e["qty"]), int(e["order_id"])
        if k == Kind.CLEAR:
            for side in ((1, -1) if s == 0 else (s,)):
                (bids if side > 0 else asks).clear()
                for o in [o for o, v in orders.items() if v[0] == side]:
                    del orders[o]
        elif k == Kind.DEPTH:
            lv = bids if s > 0 else asks
            if q:
                lv[px] = q
            else:
                lv.pop(px, None)
        elif k == Kind.ADD:
            assert oid not in orders
            orders[oid] = [s, px, q]
        elif k == Kind.DELETE:
            del orders[oid]
        elif k in (Kind.CANCEL, Kind.EXECUTE):
            orders[oid][2] -= q
            if orders[oid][2] == 0:
                del orders[oid]
    for s, px, q in orders.values():
        lv = bids if s > 0 else asks
        lv[px] = lv.get(px, 0) + q
    return bids, asks


def test_l3_day_without_a_clear_goes_on_with_the_book_of_the_day_before(tmp_path):
    # Day 2 has no clear (hftbacktest goes on with day 1's orders): it cancels 12 (1 lot left from day 1) and fills 11.
    # Before: the importer's book started empty at day 2, "unknown order id 12" (record 1 of b.npz) though the store
    # and hftbacktest both still hold it.
    a = npz(tmp_path / "a.npz", L3_DAY1)
    b = npz(tmp_path / "b.npz", [(DAY, CANCEL, NONE, 4801.00, 0, 12), (DAY + S, ADD, SELL, 4800.50, 1, 13),
                                 (DAY + 2 * S, TRADE, SELL, 4800.00, 2, 0), (DAY + 2 * S, FILL, NONE, 4800.00, 2, 11)])
    st = hbt.convert([a, b], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[4:] == [
        (NS0 + DAY, "DELETE", -1, 19204, 1, 12), (NS0 + DAY + S, "ADD", -1, 19202, 1, 13),
        (NS0 + DAY + 2 * S, "TRADE", -1, 19200, 2, 0), (NS0 + DAY + 2 * S, "EXECUTE", 1, 19200, 2, 11),
    ]
    assert book_of(st.events) == ({}, {19202: 1})
    # The same day re-adding 11 while day 1's 11 still rests: an error naming the record and the day it rests from
    # (before: the store's own check, "ADD of order 11 which is already in the book", naming no file).
    c = npz(tmp_path / "c.npz", [(DAY, ADD, BUY, 4800.00, 3, 11)])
    with pytest.raises(mmsim.DataError) as e:
        hbt.convert([a, c], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert str(e.value) == (
        f"{c}: record 1: order id 11 added twice (it rests from a.npz: several files are one stream, each going on "
        "with the book the file before left; a file starting a new book starts with a DEPTH_CLEAR row)")
    assert not (tmp_path / "c").exists()
    # An id day 2 removed first is a new order when added again: no error, no reference to the day before.
    d = npz(tmp_path / "d.npz", [(DAY, CANCEL, NONE, 4800.00, 0, 11), (DAY + S, ADD, BUY, 4799.75, 3, 11),
                                 (DAY + 2 * S, ADD, BUY, 4799.50, 1, 11)])
    with pytest.raises(mmsim.DataError) as e:
        hbt.convert([a, d], tmp_path / "d", tick_size=0.25, lot_size=1)
    assert str(e.value) == f"{d}: record 3: order id 11 added twice"


def test_l3_day_starting_with_a_clear_relists_its_order_ids_as_new_orders(tmp_path):
    # Day 2 as hftbacktest's Databento converter writes it (a sideless clear, then the snapshot's adds, ids reused),
    # and as mmsim's exports before 17 wrote it (a clear per side, of a NaN price: the whole side). Order 11 comes
    # back with 5.
    # npzsnap15: the clear of each side at the snapshot's time is the store's one CLEAR, as the sideless one (it was
    # a CLEAR per side, so a report saw two snapshots where the exported store has one).
    a = npz(tmp_path / "a.npz", L3_DAY1)
    snap = [(DAY, ADD, BUY, 4800.00, 5, 11), (DAY, ADD, SELL, 4801.25, 4, 12)]
    want = [(NS0 + DAY, "ADD", 1, 19200, 5, 11), (NS0 + DAY, "ADD", -1, 19205, 4, 12)]
    b = npz(tmp_path / "b.npz", [(DAY, CLEAR, NONE, math.nan, 0, 0)] + snap)
    st = hbt.convert([a, b], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[4:] == [(NS0 + DAY, "CLEAR", 0, 0, 0, 0)] + want
    assert book_of(st.events) == ({19200: 5}, {19205: 4})
    c = npz(tmp_path / "c.npz", [(DAY, CLEAR, BUY, math.nan, 0, 0), (DAY, CLEAR, SELL, math.nan, 0, 0)] + snap)
    st = hbt.convert([a, c], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[4:] == [(NS0 + DAY, "CLEAR", 0, 0, 0, 0)] + want


def test_exported_days_import_together_as_one_stream(tmp_path):
    # Two exported L3 days, each opening with a CLEAR (a Databento day's snapshot): the export clears a side of a
    # NaN price, the whole side (at first only when the file had no price on it yet; before that: 0, which clears no
    # ask, so day 1's ask 12 stayed and day 2's snapshot re-adding 12 was refused). Imported together: the days'
    # events, one after the other (npzsnap15: exactly the stores' events, each snapshot's CLEAR one, not one per side).
    day1 = np.zeros(3, mmsim.EVENT_DTYPE)
    day1[:] = [(NS0, NS0, 0, 0, 0, Kind.CLEAR, 0), (NS0, NS0, 19200, 2, 11, Kind.ADD, 1),
               (NS0, NS0, 19204, 2, 12, Kind.ADD, -1)]
    day2 = day1.copy()
    day2["exch_ts"] += DAY
    day2["local_ts"] += DAY
    day2["qty"][1:] = [5, 4]
    out = hbt.export(day1, tmp_path / "a.npz", tick_size=0.25, lot_size=1)
    hbt.export(day2, tmp_path / "b.npz", tick_size=0.25, lot_size=1)
    # The store's CLEAR (side 0) is one clear without a side flag (17: it was one per side, BUY then SELL, which the
    # import could not tell from a store's CLEAR 1 and CLEAR -1 at one time), then the bid's add.
    assert np.isnan(out["px"][0]) and (out["ev"][:2] & 0xFF).tolist() == [CLEAR, ADD]
    assert int(out["ev"][0]) & (hbt.BUY_EVENT | hbt.SELL_EVENT) == 0 and int(out["ev"][1]) & hbt.BUY_EVENT
    st = hbt.convert([tmp_path / "a.npz", tmp_path / "b.npz"], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [r[1:] for r in rows_of(st.events)] == [
        ("CLEAR", 0, 0, 0, 0), ("ADD", 1, 19200, 2, 11), ("ADD", -1, 19204, 2, 12),
        ("CLEAR", 0, 0, 0, 0), ("ADD", 1, 19200, 5, 11), ("ADD", -1, 19204, 4, 12)]
    assert rows_of(st.events) == rows_of(np.concatenate([day1, day2]))
    assert book_of(st.events) == ({19200: 5}, {19204: 4})


#: Day 1 (L2): bids 5 @ 100.00, 3 @ 99.50, 2 @ 98.00; asks 4 @ 100.50, 1 @ 101.00 (tick 0.25: 400, 398, 392 / 402, 404).
L2_DAY1 = [(0, DEPTH, BUY, 100.00, 5, 0), (0, DEPTH, BUY, 99.50, 3, 0), (0, DEPTH, BUY, 98.00, 2, 0),
           (0, DEPTH, SELL, 100.50, 4, 0), (0, DEPTH, SELL, 101.00, 1, 0)]


def test_l2_day_starting_with_a_tardis_snapshot_clears_only_what_its_clear_reaches(tmp_path):
    # Day 2 as hftbacktest's Tardis converter writes a start-of-day snapshot: a clear of each side up to the
    # snapshot's deepest price, then its levels. Bids >= 99.50 go (one DEPTH 0 each); day 1's bid 2 @ 98.00, which
    # day 2 never lists, stays, as in hftbacktest's book; asks <= 101.00 are all of day 1's: a CLEAR of the side.
    # Before: the importer's book started empty, so each clear was written as a CLEAR of the whole side, the 98.00
    # bid lost.
    a = npz(tmp_path / "a.npz", L2_DAY1)
    b = npz(tmp_path / "b.npz", [
        (DAY, CLEAR, BUY, 99.50, 0, 0), (DAY, SNAP, BUY, 100.00, 7, 0), (DAY, SNAP, BUY, 99.50, 1, 0),
        (DAY, CLEAR, SELL, 101.00, 0, 0), (DAY, SNAP, SELL, 100.50, 2, 0),
    ])
    st = hbt.convert([a, b], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[5:] == [
        (NS0 + DAY, "DEPTH", 1, 398, 0, 0), (NS0 + DAY, "DEPTH", 1, 400, 0, 0),
        (NS0 + DAY, "DEPTH", 1, 400, 7, 0), (NS0 + DAY, "DEPTH", 1, 398, 1, 0),
        (NS0 + DAY, "CLEAR", -1, 0, 0, 0), (NS0 + DAY, "DEPTH", -1, 402, 2, 0),
    ]
    assert book_of(st.events) == ({400: 7, 398: 1, 392: 2}, {402: 2})


def test_l2_day_without_a_snapshot_goes_on_with_the_levels_of_the_day_before(tmp_path):
    # Day 2 without a snapshot (Tardis converted with snapshot_mode="ignore_sod"): its first row sets the bid at
    # 100.00 to 6; a clear of bids >= 100.00 follows. Day 1's 99.50 and 98.00, which day 2 never lists, stay. Before:
    # the importer's book held only day 2's 100.00, so the clear became a CLEAR of the whole bid side.
    a = npz(tmp_path / "a.npz", L2_DAY1)
    b = npz(tmp_path / "b.npz", [(DAY, DEPTH, BUY, 100.00, 6, 0), (DAY + S, CLEAR, BUY, 100.00, 0, 0)])
    st = hbt.convert([a, b], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[5:] == [(NS0 + DAY, "DEPTH", 1, 400, 6, 0), (NS0 + DAY + S, "DEPTH", 1, 400, 0, 0)]
    assert book_of(st.events) == ({398: 3, 392: 2}, {402: 4, 404: 1})
    # After day 2's first row the book is day 1's with the bid at 100.00 changed (the store's events replayed).
    assert book_of(st.events[:6]) == ({400: 6, 398: 3, 392: 2}, {402: 4, 404: 1})
    # Its ask 1 @ 99.75 below day 1's bid 5 @ 100.00 crosses that bid, for 200 s: an error naming the record (before:
    # not seen, the importer's book held no bid).
    c = npz(tmp_path / "c.npz", [(DAY, DEPTH, SELL, 99.75, 1, 0), (DAY + 200 * S, DEPTH, SELL, 102.00, 1, 0)])
    with pytest.raises(mmsim.DataError) as e:
        hbt.convert([a, c], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert str(e.value) == (f"{c}: record 1: the book is crossed (best bid 400 >= best ask 399 ticks) and stays "
                            "crossed for 200.000 s, until record 2 (tolerance 1 s)")


def test_a_day_starting_with_a_clear_watches_for_its_own_preopen(tmp_path):
    # Day 1 trades; day 2 starts with a sideless clear and a crossed snapshot before its first trade (CME's Sunday
    # pre-open): QUOTING right after day 2's snapshot (its clear and adds), at its time (npzsnap15: it was before the
    # clear), TRADING at its auction, as for a Databento file opening with a snapshot.
    a = npz(tmp_path / "a.npz", L3_DAY1)
    b = npz(tmp_path / "b.npz", [
        (DAY, CLEAR, NONE, math.nan, 0, 0), (DAY, ADD, BUY, 4800.00, 2, 11), (DAY, ADD, SELL, 4799.50, 3, 21),
        (DAY + 100 * S, TRADE, NONE, 4800.00, 2, 0), (DAY + 100 * S, FILL, NONE, 4800.00, 2, 11),
        (DAY + 100 * S, FILL, NONE, 4800.00, 2, 21),
    ])
    st = hbt.convert([a, b], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [r[:2] + r[4:5] for r in rows_of(st.events) if r[1] == "STATUS"] == [
        (NS0 + DAY, "STATUS", QUOTING), (NS0 + DAY + 100 * S, "STATUS", int(mmsim.TradingStatus.TRADING))]
    assert [r[1] for r in rows_of(st.events)[4:9]] == ["CLEAR", "ADD", "ADD", "STATUS", "STATUS"]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + DAY, NS0 + DAY + 100 * S]]


def events(rows) -> np.ndarray:
    """Store events from (t, kind, side, price in ticks, lots, order id), received when sent, from NS0."""
    ev = np.zeros(len(rows), mmsim.EVENT_DTYPE)
    for i, (t, k, s, px, q, oid) in enumerate(rows):
        ev[i] = (NS0 + t, NS0 + t, px, q, oid, k, s)
    return ev


def export_days(tmp_path, days, **kw) -> list:
    """Each day exported to its own .npz (tick 0.25, lot 1), as one would slice a store by day."""
    out = []
    for i, day in enumerate(days):
        out.append(tmp_path / f"day{i + 1}.npz")
        hbt.export(day, out[-1], tick_size=0.25, lot_size=1, **kw)
    return out


#: An L2 store's two days: day 2 clears the bids after setting 400, then lists 388 (day 1's 392 is below 400).
L2_CLEAR = (events([(0, Kind.DEPTH, 1, 400, 5, 0), (0, Kind.DEPTH, 1, 392, 2, 0), (0, Kind.DEPTH, -1, 402, 4, 0)]),
            events([(DAY, Kind.DEPTH, 1, 400, 6, 0), (DAY + S, Kind.CLEAR, 1, 0, 0, 0),
                    (DAY + S, Kind.DEPTH, 1, 388, 1, 0), (DAY + 2 * S, Kind.DEPTH, -1, 402, 3, 0)]))


def test_a_store_clear_exports_as_a_clear_of_the_whole_side(tmp_path):
    # A store's CLEAR empties its side whatever the book held. Before, the export wrote a clear up to the farthest
    # bid day 2's file had seen (100.00): imported after day 1, day 1's bid 2 @ 98.00 stayed, the best bid 392 above
    # day 2's 388, a silent wrong book ({392: 2, 388: 1}). Now a NaN price, the whole side, as hftbacktest reads it.
    day1, day2 = L2_CLEAR
    files = export_days(tmp_path, [day1, day2])
    out = np.load(files[1])["data"]
    assert (out["ev"][1] & 0xFF) == CLEAR and np.isnan(out["px"][1])
    st = hbt.convert(files, tmp_path / "s", tick_size=0.25, lot_size=1)
    assert book_of(st.events) == book_of(np.concatenate([day1, day2])) == ({388: 1}, {402: 3})
    # L3: day 1 rests bid 11 @ 4799.00 and ask 12 @ 4802.00; day 2 adds bid 13 @ 4800.00 and ask 14 @ 4801.00, clears
    # the book (side 0) and lists 11 again. Before: clears up to 4800.00 and 4801.00, so day 1's 11 and 12 stayed
    # and the import refused "order id 11 added twice".
    day1 = events([(0, Kind.ADD, 1, 19196, 5, 11), (0, Kind.ADD, -1, 19208, 2, 12)])
    day2 = events([(DAY, Kind.ADD, 1, 19200, 1, 13), (DAY, Kind.ADD, -1, 19204, 3, 14), (DAY + S, Kind.CLEAR, 0, 0, 0, 0),
                   (DAY + S, Kind.ADD, 1, 19196, 4, 11), (DAY + S, Kind.ADD, -1, 19212, 1, 15)])
    files = export_days(tmp_path, [day1, day2])
    st = hbt.convert(files, tmp_path / "l3", tick_size=0.25, lot_size=1)
    assert book_of(st.events) == book_of(np.concatenate([day1, day2])) == ({19196: 4}, {19212: 1})
    # (npzsnap15: the clear of each side at one time is one CLEAR, the store's; it was one per side)
    assert [r[1:3] for r in rows_of(st.events) if r[1] == "CLEAR"] == [("CLEAR", 0)]


def test_a_cancel_of_an_order_resting_from_before_the_exported_events(tmp_path):
    # Day 1 adds bid 11 x5 @ 4800.00; day 2 cancels 2 of it. hftbacktest writes a partial cancel as a modify to the
    # new size, which day 2's events alone do not know. Before: a modify to -2 (counted from 0), refused on import
    # ("negative size -2"). Now day 2 alone is an error naming the event (its index in the events given, a STATUS
    # before it counted); with the events before it (before=day1) the modify is to 3, the store's book.
    day1 = events([(0, Kind.ADD, 1, 19200, 5, 11), (0, Kind.ADD, -1, 19204, 4, 12), (S, Kind.EXECUTE, -1, 19204, 1, 12)])
    status = events([(DAY, Kind.STATUS, 0, 0, int(mmsim.TradingStatus.TRADING), 0)])
    day2 = np.concatenate([status, events([(DAY, Kind.CANCEL, 1, 19200, 2, 11)])])
    with pytest.raises(mmsim.DataError) as e:
        hbt.export(day2, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    assert str(e.value) == (
        "event 1: CANCEL of 2 lots of order 11, which no event before it adds: hftbacktest writes a partial cancel "
        "as a modify to the order's new size, unknown here (a slice of a store: pass the events before it as "
        "before=..., or export the days in one call)")
    assert not (tmp_path / "x.npz").exists()
    files = export_days(tmp_path, [day1]) + [tmp_path / "day2.npz"]
    out = hbt.export(day2, files[1], tick_size=0.25, lot_size=1, before=day1)
    assert out[["px", "qty", "order_id"]].tolist() == [(4800.0, 3.0, 11)] and out["ev"][0] & 0xFF == hbt.MODIFY_ORDER_EVENT
    st = hbt.convert(files, tmp_path / "s", tick_size=0.25, lot_size=1)
    assert book_of(st.events) == book_of(np.concatenate([day1, day2])) == ({19200: 3}, {19204: 3})
    # The same for an order partly filled the day before (ask 12, 3 lots left): a cancel of 1 is a modify to 2. An
    # order the events before cleared (a CLEAR of the asks) is unknown again: an error, as is a cancel beyond its size.
    out = hbt.export(events([(DAY, Kind.CANCEL, -1, 19204, 1, 12)]), tmp_path / "y.npz", tick_size=0.25, lot_size=1,
                     before=day1)
    assert out[["px", "qty", "order_id"]].tolist() == [(4801.0, 2.0, 12)]
    cleared = np.concatenate([day1, events([(2 * S, Kind.CLEAR, -1, 0, 0, 0)])])
    with pytest.raises(mmsim.DataError, match=r"^event 0: CANCEL of 1 lots of order 12, which no event before it adds"):
        hbt.export(events([(DAY, Kind.CANCEL, -1, 19204, 1, 12)]), tmp_path / "z.npz", tick_size=0.25, lot_size=1,
                   before=cleared)
    with pytest.raises(mmsim.DataError) as e:
        hbt.export(events([(DAY, Kind.CANCEL, -1, 19204, 4, 12)]), tmp_path / "z.npz", tick_size=0.25, lot_size=1,
                   before=day1)
    assert str(e.value) == "event 0: CANCEL of 4 lots of order 12, which has 3"
    # breaker15b: before= the whole stream (not the events before the slice) gave the order's size at its end, a
    # modify to 3 where 8 is right, silently: refused, naming both times.
    ev = events([(0, Kind.ADD, 1, 19200, 10, 7), (0, Kind.ADD, -1, 19204, 10, 8), (S, Kind.CANCEL, 1, 19200, 2, 7),
                 (2 * S, Kind.ADD, 1, 19196, 4, 9), (3 * S, Kind.CANCEL, 1, 19200, 3, 7)])
    out = hbt.export(ev[2:4], tmp_path / "a.npz", tick_size=0.25, lot_size=1, before=ev[:2])
    assert out[["px", "qty", "order_id"]].tolist()[0] == (4800.0, 8.0, 7)
    with pytest.raises(mmsim.DataError) as e:
        hbt.export(ev[2:4], tmp_path / "b.npz", tick_size=0.25, lot_size=1, before=ev)
    assert str(e.value) == (f"before= ends at exch_ts {ev['exch_ts'][4]}, after the exported events begin (event 0 "
                            f"at exch_ts {ev['exch_ts'][2]}): before= is the events before them (a store's events "
                            "up to the slice's first), not the whole store")


def test_the_esh4_store_exported_in_slices_imports_as_the_store(tmp_path, real_store):
    # A real L3 day (ESH4, 69,521 events: its 00:00 snapshot's CLEARs, partial cancels of orders added long before)
    # cut in three and exported one file a slice, each given the events before it: imported together, the book at
    # each cut and at the end is the store's. Without before=, the middle slice's first cancel of an order resting
    # from the first is an error naming its index in the slice.
    st = real_store("databento", "databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    ev = np.asarray(st.events)
    cuts = [0, len(ev) // 3, 2 * len(ev) // 3, len(ev)]
    files = []
    for a, b in zip(cuts, cuts[1:]):
        files.append(tmp_path / f"from{a}.npz")
        hbt.export(ev[a:b], files[-1], tick_size=0.25, lot_size=1, before=ev[:a])
    back = np.asarray(hbt.convert(files, tmp_path / "s", tick_size=0.25, lot_size=1).events)
    for t in [int(ev["exch_ts"][c]) for c in cuts[1:3]] + [int(ev["exch_ts"][-1]) + 1]:
        assert book_of(back[back["exch_ts"] < t]) == book_of(ev[ev["exch_ts"] < t])
    with pytest.raises(mmsim.DataError, match=r"^event 79: CANCEL of 2 lots of order 6412777270411, which no event "):
        hbt.export(ev[cuts[1]:cuts[2]], tmp_path / "x.npz", tick_size=0.25, lot_size=1)
