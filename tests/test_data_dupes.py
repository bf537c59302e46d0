"""A corrupt file that repeats itself: one price twice in one depth message or snapshot, a Databento record read
twice. Each is an error naming the file, the line or record, and what repeats."""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import (
    DB_ROWS,
    NS0,
    TD_BOOK_HDR,
    T0,
    US0,
    binance,
    bn_diff,
    bn_lines,
    databento_csv,
    db_csv_lines,
    dbn_bytes,
    tardis,
)

import mmsim
from mmsim.data import convert
from mmsim.data import databento as dbt
from mmsim.data import tardis as tds
from mmsim.events import Kind

# ----------------------------------------------------------------------------- one price twice in one message


@pytest.mark.parametrize("diff,side,price,levels", [
    # line 2, the diff that spans the snapshot: the bid 10.0 twice (last-wins kept 9.000 lots)
    (bn_diff(95, 105, 94, T0 + 1, b=[("10.0", "0.500"), ("9.9", "1.000"), ("10.00", "9.000")]), "bid", "10.00",
     "1 and 3"),
    # an ask written twice the same way, levels 1 and 2
    (bn_diff(95, 105, 94, T0 + 1, a=[("10.1", "0.000"), ("10.1", "2.000")]), "ask", "10.1", "1 and 2"),
])
def test_binance_depth_diff_listing_one_price_twice_is_an_error(tmp_path, diff, side, price, levels):
    msgs = bn_lines()
    msgs[1] = diff
    srcs, p = binance(tmp_path, msgs)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="binance")
    assert str(ei.value) == (f"{p}: line 2: the diff lists the {side} price {price} twice with different sizes "
                             f"(levels {levels} of its side); a depth diff has one level per price")


def test_binance_one_price_on_both_sides_of_a_diff_is_not_a_repeat(tmp_path):
    """The same price as a bid and an ask in one diff (a level moving across, its old side set to 0) is two levels."""
    msgs = bn_lines()
    msgs[1] = bn_diff(95, 105, 94, T0 + 1, b=[("10.1", "0.500")], a=[("10.1", "0.000")])
    msgs[3] = bn_diff(106, 110, 105, T0 + 3, b=[("10.1", "0.000")], a=[("10.1", "1.000")])
    srcs, _ = binance(tmp_path, msgs)
    st = convert(srcs, tmp_path / "s", format="binance")
    ev = np.asarray(st.events)
    depth = [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH]
    assert depth[4:] == [(1, 101, 500), (-1, 101, 0), (1, 101, 0), (-1, 101, 1000)]  # after the 4 snapshot levels


@pytest.mark.parametrize("where", ["diff", "snapshot"])
def test_binance_level_listed_twice_with_the_same_size_is_one_level(tmp_path, where):
    """The same level twice, size and all (written 10.00 / 0.5 the second time): nothing to tell apart, so it is
    accepted and written once. It was refused as a price listed twice."""
    msgs = bn_lines()
    if where == "diff":
        msgs[1] = bn_diff(95, 105, 94, T0 + 1, b=[("10.0", "0.500"), ("9.9", "0.000"), ("10.00", "0.5")])
    else:
        msgs[0] = dict(msgs[0], asks=[["10.1", "1.500"], ["10.2", "1.000"], ["10.10", "1.5"]])
    srcs, _ = binance(tmp_path, msgs)
    st = convert(srcs, tmp_path / "s", format="binance")
    ev = np.asarray(st.events)
    depth = [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH]
    # the snapshot's 4 levels, the diff of line 2, the ask of line 4's diff
    snap = [(1, 100, 1000), (1, 99, 2000), (-1, 101, 1500), (-1, 102, 1000)]
    line2 = [(1, 100, 500), (1, 99, 0)] if where == "diff" else [(1, 100, 500)]
    assert depth == snap + line2 + [(-1, 101, 1000)]


def _td_book(rows: list[tuple[int, str, str, str, str]]) -> list[str]:
    return [TD_BOOK_HDR] + [f"ex,XUSDT,{US0 + dt},{US0 + dt + 100},{snap},{side},{px},{q}"
                            for dt, snap, side, px, q in rows]


@pytest.mark.parametrize("rows,line,side,price,first", [
    # the first snapshot lists the bid 10.0 at lines 2 and 4 (written 10.00 the second time)
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "10.5", "1"), (0, "true", "bid", "10.00", "2"),
      (1000, "false", "bid", "10.0", "2")], 4, "bid", "10.00", 2),
    # a second snapshot (after updates) repeats its ask 11.0; the first snapshot's ask 11.0 is no repeat of it
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "11.0", "1"), (1000, "false", "bid", "10.0", "2"),
      (2000, "true", "bid", "10.0", "1"), (2000, "true", "ask", "11.0", "1"), (2000, "true", "ask", "10.5", "3"),
      (2000, "true", "ask", "11.0", "4")], 8, "ask", "11.0", 6),
])
def test_tardis_snapshot_listing_one_price_twice_is_an_error(tmp_path, rows, line, side, price, first):
    srcs, _ = tardis(tmp_path, book=_td_book(rows), with_trades=False)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (f"{srcs[0]}: line {line}: the snapshot lists the {side} price {price} twice with "
                             f"different sizes (lines {first} and {line}); a depth snapshot has one level per price")


@pytest.mark.parametrize("rows,depth", [
    # the snapshot lists the bid 10.0 with size 1 at lines 2 and 4 (written 10.00 / 1.0 the second time)
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "10.5", "1"), (0, "true", "bid", "10.00", "1.0"),
      (1000, "false", "bid", "10.0", "2")], [(1, 20, 1), (-1, 21, 1), (1, 20, 2)]),
    # an ask repeated right after itself, in a second snapshot
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "11.0", "1"), (1000, "false", "bid", "10.0", "2"),
      (2000, "true", "bid", "10.0", "1"), (2000, "true", "ask", "11.0", "4"), (2000, "true", "ask", "11.0", "4")],
     [(1, 10, 1), (-1, 11, 1), (1, 10, 2), (1, 10, 1), (-1, 11, 4)]),  # tick 1.0 inferred
])
def test_tardis_snapshot_row_repeated_with_the_same_size_is_one_level(tmp_path, rows, depth):
    srcs, _ = tardis(tmp_path, book=_td_book(rows), with_trades=False)
    st = tds.convert(srcs, tmp_path / "s")
    ev = np.asarray(st.events)
    assert [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH] == depth


def test_tardis_one_price_in_two_snapshots_or_updates_is_not_a_repeat(tmp_path):
    rows = [(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "10.5", "1"),
            (1000, "false", "bid", "10.0", "2"), (1000, "false", "bid", "10.0", "3"),  # updates: the last is the level
            (2000, "true", "bid", "10.0", "1"), (2000, "true", "ask", "10.5", "1"),
            # a snapshot message right after another (no update between: one run of rows, another local_timestamp)
            (3000, "true", "bid", "10.0", "4"), (3000, "true", "ask", "10.5", "5")]
    srcs, _ = tardis(tmp_path, book=_td_book(rows), with_trades=False)
    st = tds.convert(srcs, tmp_path / "s")
    assert st.meta["quirks"]["snapshots"] == 2
    ev = np.asarray(st.events)
    assert [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH][-2:] == \
        [(1, 20, 4), (-1, 21, 5)]


# ----------------------------------------------------------------------------- Databento: records read twice


def _db_rows_csv(tmp_path, rows, seqs=None):
    """Databento CSV lines for ``rows`` (DB_ROWS' shape); ``seqs`` overrides the sequence of each (default i + 1)."""
    lines = db_csv_lines(rows)
    if seqs:
        for i, seq in seqs.items():
            f = lines[i + 1].split(",")
            f[3] = str(seq)
            lines[i + 1] = ",".join(f)
    return databento_csv(tmp_path, lines)


def test_databento_fill_read_twice_is_an_error_naming_both_records(tmp_path):
    # The F of order 11 (line 6) written again with its sequence: it fell into the unseen-order (iceberg)
    # branch, the book unchanged and nothing said.
    rows = DB_ROWS[:5] + [DB_ROWS[4]] + DB_ROWS[5:]
    srcs, p = _db_rows_csv(tmp_path, rows, seqs={5: 5})
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 7: repeats line 6 field for field (sequence 5, ts_recv {NS0 + 450}, F of "
                             "order 11, side B, 2 at 4800): a record read twice; the venue never sends one record "
                             "twice in a row")


def test_databento_partial_cancel_read_twice_in_dbn_is_an_error(tmp_path):
    # Record 7 (C of 1 lot of order 13's 3) written twice: the book lost 2 lots, silently.
    full = dbn_bytes(DB_ROWS)
    n = len(full) - len(dbn_bytes(DB_ROWS[:-1]))  # one record's bytes
    p = tmp_path / "mbo.dbn"
    p.write_bytes(full + full[-n:])
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{p}: record 8: repeats record 7 field for field (sequence 7, ts_recv {NS0 + 550}, C "
                             "of order 13, side B, 1 at 4800): a record read twice; the venue never sends one record "
                             "twice in a row")


def test_databento_same_fields_in_another_packet_are_two_records(tmp_path):
    """The ESH4 day fills one resting order with the same size at the same time for two aggressors in one packet
    (records 15690 and 15692, each after its own T); another sequence, or a record between, is no repeat."""
    rows = DB_ROWS[:6] + [(500, "C", "B", "4800.00", 1, 13, 130)] * 2
    srcs, _ = _db_rows_csv(tmp_path, rows)  # sequences 7 and 8
    st = dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    assert [(int(e["kind"]), int(e["qty"])) for e in ev[-2:]] == [(Kind.CANCEL, 1), (Kind.CANCEL, 1)]


def test_databento_fill_before_its_trade_is_an_error(tmp_path):
    # F (line 5) then its T (line 6), one message (sequence 4, one ts_recv): the F executed 2 lots of
    # order 11 and the T, with no fill after it, became a TRADE print of the same 2 lots: one match
    # counted twice.
    rows = DB_ROWS[:3] + [DB_ROWS[4], DB_ROWS[3]] + DB_ROWS[5:]
    srcs, p = _db_rows_csv(tmp_path, rows, seqs={4: 4})
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 6: trade (T) after the fill (F) at line 5 of its message (sequence 4, "
                             f"ts_recv {NS0 + 450}, T of order 0, side A, 2 at 4800): a T comes first, then its F "
                             "records; these are out of order")


def test_databento_fill_without_a_trade_is_an_execution_without_a_print(tmp_path):
    """Nasdaq (XNAS.ITCH): an execution marked non-printable is a Fill then a Cancel, with no Trade before it
    (Databento's MBO normalization). It executes the order and prints nothing; a T of the next message (another
    sequence) after it is that message's print, not this fill's."""
    rows = DB_ROWS[:3] + [DB_ROWS[4], DB_ROWS[5], (450, "T", "A", "4800.00", 1, 0, 0), (450, "F", "B", "4800.00", 1, 13, 0),
                          (450, "C", "B", "4800.00", 1, 13, 130)]
    srcs, _ = _db_rows_csv(tmp_path, rows)
    st = dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    assert [(Kind(int(e["kind"])).name, int(e["qty"]), int(e["order_id"])) for e in ev[3:]] == [
        ("EXECUTE", 2, 11), ("EXECUTE", 1, 13)]  # the lone F's C absorbed; the T covered by its F: no TRADE
    assert st.meta["quirks"]["uncovered_trade_prints"] == 0


def test_databento_fills_after_the_wrong_trade_are_an_error(tmp_path):
    # A sell sweeps two bid levels: T@4800 F(11), T@4799.75 F(14) is the feed's order. Written T, T, F, F,
    # the first T was printed whole as a TRADE and order 11's fill covered the 4799.75 print.
    rows = [(100, "A", "B", "4800.00", 2, 11, 130), (150, "A", "B", "4799.75", 1, 14, 130),
            (200, "A", "A", "4800.25", 1, 12, 130),
            (400, "T", "A", "4800.00", 2, 0, 0), (400, "T", "A", "4799.75", 1, 0, 0),
            (400, "F", "B", "4800.00", 2, 11, 0), (400, "F", "B", "4799.75", 1, 14, 130)]
    srcs, p = _db_rows_csv(tmp_path, rows)
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 7: fill at 4800 follows a trade (T) at 4799.75 (line 6) (sequence 6, "
                             f"ts_recv {NS0 + 450}, F of order 11, side B, 2 at 4800): each F follows the T of its "
                             "price; these are out of order")
