"""A snapshot in an hftbacktest ``.npz`` (npzsnap15): a file's first exchange time starting with a ``DEPTH_CLEAR``,
or a clear of the whole book mid-file, and the book listed after it at its time. Its status goes right after it, at
its time, as the Databento loader writes a snapshot's (so an exported Databento store imports as itself and the
report sees its opening snapshot), and a mid-file one starts a new watch for CME's pre-open (docs/data.md,
"hftbacktest .npz")."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from conftest import shared_data
from test_databento_preopen import LAST, NS0, QUOTING, SNAP, TRADING, mbo_csv, rows_of
from test_hftbacktest_preopen import ADD, BUY, FILL, NONE, SELL, TRADE, npz

from mmsim import Kind
from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt
from mmsim.report._format import format_span
from mmsim.report.setup import opening_snapshot

CLEAR = hbt.DEPTH_CLEAR_EVENT
S = 1_000_000_000
H = 3600 * S
DAY = 24 * H

#: An ESH4-like evening: the 00:00 book (bid 2 @ 4800.00, ask 2 @ 4801.00), nothing until 22:00, when an ask
#: 3 @ 4799.50 crosses the bid (the pre-open); the auction at 23:00 (3 lots at 4800.00); at 24:00 a bid 1 @ 4800.75.
EVENING = [
    (0, "A", "B", "4800.00", 2, 11, SNAP),
    (0, "A", "A", "4801.00", 2, 12, SNAP | LAST),
    (22 * H, "A", "A", "4799.50", 3, 21, 130),
    (23 * H, "T", "N", "4800.00", 3, 0, 0),
    (23 * H, "F", "N", "4800.00", 2, 11, 0),
    (23 * H, "F", "N", "4800.00", 3, 21, 0),
    (23 * H, "C", "B", "4800.00", 2, 11, 0),
    (23 * H, "C", "A", "4799.50", 3, 21, 130),
    (24 * H, "A", "B", "4800.75", 1, 23, 130),
]


def test_an_exported_databento_evening_imports_with_its_opening_snapshot(tmp_path):
    # Before: QUOTING first, then the snapshot's CLEAR (one per side), so opening_snapshot saw no snapshot (events[0]
    # not a CLEAR) and a report spanned 24h00m from the 00:00 book. Now the store's events exactly: CLEAR, the two
    # ADDs, QUOTING at the snapshot's time; the market starts at 22:00, a 2h00m span to 24:00.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", EVENING)], tmp_path / "d", tick_size=0.25)
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert rows_of(back.events) == rows_of(st.events)
    assert rows_of(back.events)[:5] == [
        (NS0 + 10, "CLEAR", 0, 0, 0, 0), (NS0 + 10, "ADD", 1, 19200, 2, 11), (NS0 + 10, "ADD", -1, 19204, 2, 12),
        (NS0 + 10, "STATUS", 0, 0, QUOTING, 0), (NS0 + 22 * H, "ADD", -1, 19198, 3, 21)]
    snap = opening_snapshot(np.asarray(back.events))
    assert snap == opening_snapshot(np.asarray(st.events)) == {
        "snapshot_ts": NS0 + 10, "snapshot_events": 4, "market_start_ts": NS0 + 22 * H, "snapshots": 1,
        "snapshots_events": 4}
    assert format_span(int(back.events["exch_ts"][-1]) - snap["market_start_ts"]) == "2h00m"


def test_an_hftbacktest_day_opening_with_a_sideless_clear_has_its_status_after_the_snapshot(tmp_path):
    # The same evening as hftbacktest's Databento converter writes it (a sideless clear, then the book's adds): the
    # same events, QUOTING after the snapshot at its time (before: first, before the CLEAR).
    rows = [(0, CLEAR, NONE, math.nan, 0, 0), (0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4801.00, 2, 12),
            (22 * H, ADD, SELL, 4799.50, 3, 21),
            (23 * H, TRADE, NONE, 4800.00, 3, 0), (23 * H, FILL, NONE, 4800.00, 2, 11),
            (23 * H, FILL, NONE, 4800.00, 3, 21), (24 * H, ADD, BUY, 4800.75, 1, 23)]
    st = hbt.convert([npz(tmp_path / "x.npz", rows)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [r[1] for r in rows_of(st.events)] == [
        "CLEAR", "ADD", "ADD", "STATUS", "ADD", "STATUS", "TRADE", "EXECUTE", "EXECUTE", "ADD"]
    assert [(r[0], r[4]) for r in rows_of(st.events) if r[1] == "STATUS"] == [(NS0, QUOTING), (NS0 + 23 * H, TRADING)]
    assert opening_snapshot(np.asarray(st.events))["market_start_ts"] == NS0 + 22 * H
    # A crossed snapshot followed straight by the auction's print is a pre-open too (before: its cross was first
    # seen at the end of the print's message, after the trade, so no QUOTING at all), in the Databento loader alike.
    rows = [(0, CLEAR, NONE, math.nan, 0, 0), (0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4799.50, 3, 21),
            (23 * H, TRADE, NONE, 4800.00, 2, 0), (23 * H, FILL, NONE, 4800.00, 2, 11),
            (23 * H, FILL, NONE, 4800.00, 2, 21)]
    st = hbt.convert([npz(tmp_path / "c.npz", rows)], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert [(r[0], r[1], r[4]) for r in rows_of(st.events)][3:5] == [
        (NS0, "STATUS", QUOTING), (NS0 + 23 * H, "STATUS", TRADING)]
    csv = [(0, "A", "B", "4800.00", 2, 11, SNAP), (0, "A", "A", "4799.50", 3, 21, SNAP | LAST),
           (23 * H, "T", "N", "4800.00", 2, 0, 0), (23 * H, "F", "N", "4800.00", 2, 11, 0),
           (23 * H, "F", "N", "4800.00", 2, 21, 0), (23 * H, "C", "B", "4800.00", 2, 11, 0),
           (23 * H, "C", "A", "4799.50", 2, 21, 130)]
    d = dbt.convert([mbo_csv(tmp_path / "c.csv", csv)], tmp_path / "dc", tick_size=0.25)
    assert [(r[0], r[1], r[4]) for r in rows_of(d.events)][3:5] == [
        (NS0 + 10, "STATUS", QUOTING), (NS0 + 23 * H, "STATUS", TRADING)]
    assert d.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 10, NS0 + 23 * H]]


#: Day 1 trades; day 2's book at 00:00 (not crossed), an add at 22:00, an ask crossing the bid at 22:40 (the
#: pre-open: no trade until the auction at 23:00).
DAY1 = [(0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4801.00, 2, 12),
        (S, TRADE, BUY, 4801.00, 1, 0), (S, FILL, NONE, 4801.00, 1, 12)]
DAY2 = [(DAY, ADD, BUY, 4800.00, 2, 31), (DAY, ADD, SELL, 4801.00, 2, 32),
        (DAY + 22 * H, ADD, BUY, 4799.00, 1, 33),
        (DAY + 22 * H + 40 * 60 * S, ADD, SELL, 4799.50, 3, 34),
        (DAY + 23 * H, TRADE, NONE, 4800.00, 2, 0), (DAY + 23 * H, FILL, NONE, 4800.00, 2, 31),
        (DAY + 23 * H, FILL, NONE, 4800.00, 2, 34)]


@pytest.mark.parametrize("clear", [
    [(DAY, CLEAR, NONE, math.nan, 0, 0)],  # hftbacktest's Databento converter
    [(DAY, CLEAR, BUY, math.nan, 0, 0), (DAY, CLEAR, SELL, math.nan, 0, 0)],  # mmsim's export before 17 (no key)
])
def test_a_mid_file_clear_of_the_whole_book_starts_a_new_preopen_watch(tmp_path, clear):
    # Two days in one .npz. Before: day 2's clear was written and the watch never restarted, so the book's first
    # cross (22:40) began QUOTING: 00:00-22:40 of day 2 counted as trading. Now QUOTING right after day 2's snapshot,
    # at 00:00, as a Databento file starting with a snapshot; TRADING at the 23:00 auction.
    st = hbt.convert([npz(tmp_path / "x.npz", DAY1 + clear + DAY2)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [r[1:3] for r in rows_of(st.events)][4:8] == [("CLEAR", 0), ("ADD", 1), ("ADD", -1), ("STATUS", 0)]
    assert [(r[0], r[4]) for r in rows_of(st.events) if r[1] == "STATUS"] == [
        (NS0 + DAY, QUOTING), (NS0 + DAY + 23 * H, TRADING)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + DAY, NS0 + DAY + 23 * H]]
    # A sided clear of one side only mid-file (at a price) is no snapshot: day 2's cross begins QUOTING at 22:40.
    one = [(DAY, CLEAR, BUY, 4800.00, 0, 0)]
    st = hbt.convert([npz(tmp_path / "o.npz", DAY1 + one + DAY2[:1] + DAY2[2:])], tmp_path / "o", tick_size=0.25,
                     lot_size=1)
    assert [(r[0], r[4]) for r in rows_of(st.events) if r[1] == "STATUS"] == [
        (NS0 + DAY + 22 * H + 40 * 60 * S, QUOTING), (NS0 + DAY + 23 * H, TRADING)]


def test_a_clear_of_each_side_split_across_chunks_is_still_one_snapshot(tmp_path, monkeypatch):
    # The file read in chunks of 5 rows: day 2's clear of the bids ends the first chunk, its clear of the asks starts
    # the next. The same store as read whole (before the lookahead across chunks: two CLEARs and no new watch).
    from mmsim.data import _hftbacktest_read

    rows = DAY1 + [(DAY, CLEAR, BUY, math.nan, 0, 0), (DAY, CLEAR, SELL, math.nan, 0, 0)] + DAY2
    whole = rows_of(hbt.convert([npz(tmp_path / "x.npz", rows)], tmp_path / "w", tick_size=0.25, lot_size=1).events)
    monkeypatch.setattr(_hftbacktest_read, "_CHUNK", 5)
    st = hbt.convert([tmp_path / "x.npz"], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert rows_of(st.events) == whole
    assert [(r[0], r[1], r[2]) for r in whole[4:5]] == [(NS0 + DAY, "CLEAR", 0)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + DAY, NS0 + DAY + 23 * H]]


def test_the_esh4_csv_and_its_next_day_in_one_npz_has_the_databento_stores_status(tmp_path):
    # The ESH4 CSV and a copy 24 h later, converted as Databento's two files, exported to ONE .npz and imported: the
    # same events (before: day 2's QUOTING at 22:39:55.216798489 where its book first crosses, not from its 00:00
    # snapshot, ~22 h more of trading).
    src = shared_data("databento", "esh4_mbo_20231225.csv.gz")
    lines = gzip.open(src, "rt").read().splitlines()
    day2 = [lines[0]]
    for ln in lines[1:]:
        a, b, rest = ln.split(",", 2)
        day2.append(f"{int(a) + DAY},{int(b) + DAY},{rest}")
    (tmp_path / "b.csv").write_text("\n".join(day2) + "\n")
    st = dbt.convert([src, tmp_path / "b.csv"], tmp_path / "d")
    ev = np.asarray(st.events)
    spans = st.meta["quirks"]["preopen_spans_ns"]
    assert spans == [[1_703_462_400_000_000_000, 1_703_545_200_000_000_000],
                     [1_703_462_400_000_000_000 + DAY, 1_703_545_200_000_000_000 + DAY]]
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert back.meta["quirks"]["preopen_spans_ns"] == spans
    assert back.meta["quirks"]["preopen_crossed_messages"] == st.meta["quirks"]["preopen_crossed_messages"]
    assert (np.asarray(back.events) == ev).all()
    assert np.flatnonzero(ev["kind"] == Kind.STATUS).tolist() == np.flatnonzero(
        np.asarray(back.events)["kind"] == Kind.STATUS).tolist()


#: Day 2's first exchange time with a trade of day 1's last ask (1 lot of 12) before its clear: the rows of one
#: timestamp, a print, then the snapshot (hftbacktest's Databento converter stamps a snapshot's rows with the clear's
#: ts_recv: a live record whose ts_event is that nanosecond sorts before them).
PRINT = [(DAY, TRADE, BUY, 4801.00, 1, 0), (DAY, FILL, NONE, 4801.00, 1, 12)]


@pytest.mark.parametrize("clear", [
    [(DAY, CLEAR, NONE, math.nan, 0, 0)],
    [(DAY, CLEAR, BUY, math.nan, 0, 0), (DAY, CLEAR, SELL, math.nan, 0, 0)],
])
def test_a_clear_of_the_whole_book_after_a_print_of_its_time_is_a_snapshot_too(tmp_path, clear):
    # hftbacktest replays the clear where it is (its book after day 2's first timestamp is the snapshot's alone).
    # Before: a clear was a snapshot only as the first row of its timestamp, so this one (after the print) did not
    # restart the pre-open watch: QUOTING at 22:40, 22h40m of day 2 as trading; and the export's clear of each side
    # came back as two CLEARs (side 1, side -1). Now the print's message ends at the clear, day 2's snapshot is one
    # CLEAR, its QUOTING right after it at 00:00, as when the clear opens its timestamp.
    st = hbt.convert([npz(tmp_path / "x.npz", DAY1 + PRINT + clear + DAY2)], tmp_path / "s", tick_size=0.25,
                     lot_size=1)
    assert [(r[0], r[1], r[2], r[4]) for r in rows_of(st.events)][4:10] == [
        (NS0 + DAY, "TRADE", 1, 1), (NS0 + DAY, "EXECUTE", -1, 1), (NS0 + DAY, "CLEAR", 0, 0),
        (NS0 + DAY, "ADD", 1, 2), (NS0 + DAY, "ADD", -1, 2), (NS0 + DAY, "STATUS", 0, QUOTING)]
    assert [(r[0], r[4]) for r in rows_of(st.events) if r[1] == "STATUS"] == [
        (NS0 + DAY, QUOTING), (NS0 + DAY + 23 * H, TRADING)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + DAY, NS0 + DAY + 23 * H]]


def test_a_store_clear_after_a_trade_of_its_time_round_trips_through_npz(tmp_path):
    # An L2 store (a Binance snapshot after a reconnect, in the millisecond of a trade): TRADE, then CLEAR and the
    # new book, at one exchange time. Before: the export's clear of each side came back as CLEAR side 1 and CLEAR
    # side -1 (no snapshot: not the first row of its timestamp), not the store's one CLEAR.
    from test_hftbacktest_files import events

    ev = events([(0, Kind.DEPTH, 1, 400, 5, 0), (0, Kind.DEPTH, -1, 402, 4, 0),
                 (S, Kind.TRADE, 1, 402, 1, 0), (S, Kind.CLEAR, 0, 0, 0, 0),
                 (S, Kind.DEPTH, 1, 399, 3, 0), (S, Kind.DEPTH, -1, 403, 1, 0), (2 * S, Kind.DEPTH, 1, 400, 2, 0)])
    hbt.export(ev, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert rows_of(back.events) == rows_of(ev)
    assert [r[1:3] for r in rows_of(back.events)][2:5] == [("TRADE", 1), ("CLEAR", 0), ("DEPTH", 1)]
