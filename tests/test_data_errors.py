"""Each validation error on a small broken file: the DataError names the file, the line and the reason."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mmsim
from mmsim.data import binance as bn
from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt
from mmsim.data import load
from mmsim.data import lobster as lob
from mmsim.data import tardis as tds

DAY = "TEST_2012-06-21_34200000_57600000_{}_1.csv"


def lobster_files(tmp_path: Path, messages: list[str], books: list[str]) -> Path:
    m = tmp_path / DAY.format("message")
    m.write_text("\n".join(messages) + "\n")
    (tmp_path / DAY.format("orderbook")).write_text("\n".join(books) + "\n")
    return m


GOOD_MSG = ["34200.1,1,101,10,1000100,1", "34200.2,1,102,5,1000300,-1", "34200.3,3,101,10,1000100,1"]
GOOD_BOOK = ["1000200,7,1000100,10", "1000200,7,1000100,10", "1000200,7,1000000,4"]


def test_lobster_small_file_converts(tmp_path):
    st = lob.convert([lobster_files(tmp_path, GOOD_MSG, GOOD_BOOK)], tmp_path / "s")
    ev = np.asarray(st.events)
    # Seeded before the first message: the ask 100.02 x 7 of row 1 (its bid is message 1's order).
    # Message 2 rests outside the level-1 window; after message 3 the bid 100.00 x 4 enters the
    # window and is seeded as a synthetic order.
    got = [(mmsim.Kind(k).name, s, p, q, o >= lob.SYNTHETIC_ID_BASE)
           for k, s, p, q, o in zip(ev["kind"], ev["side"], ev["price"], ev["qty"], ev["order_id"])]
    assert got == [("CLEAR", 0, 0, 0, False), ("ADD", -1, 10002, 7, True), ("ADD", 1, 10001, 10, False), ("ADD", -1, 10003, 5, False),
                   ("DELETE", 1, 10001, 10, False), ("ADD", 1, 10000, 4, True)]
    assert st.meta["quirks"]["seeded_levels"] == 1 and st.meta["quirks"]["levels_entering_window"] == 1
    assert st.meta["first_exch_ts"] == 1340285400 * 10**9 + 100_000_000


@pytest.mark.parametrize(
    "line,book,reason",
    [
        ("34200.3,1,103,5,1000100", None, "line 3: malformed row: 5 columns, expected 6"),
        ("34200.0,1,103,5,1000100,1", "1000200,7,1000100,15",
         "line 3: non-monotonic timestamp: 1340285400000000000 ns is earlier"),
        ("34200.3,1,103,5,1000150,1", None, "line 3: price 100.0150 is off the tick grid"),
        ("34200.3,1,103,-5,1000100,1", None, "line 3: negative size -5"),
        ("34200.3,4,999,3,1000100,1", None,
         "line 3: unknown order id 999 (was never submitted): 3 lots at side 1 price 10001 ticks cannot be explained"),
    ],
    ids=["malformed", "time-backwards", "off-grid", "negative-size", "unknown-id"],
)
def test_lobster_errors_name_file_and_line(tmp_path, line, book, reason):
    m = lobster_files(tmp_path, GOOD_MSG[:2] + [line], GOOD_BOOK[:2] + [book or "1000200,7,1000100,7"])
    with pytest.raises(mmsim.DataError) as ei:
        lob.convert([m], tmp_path / "s")
    assert str(m) in str(ei.value) and reason in str(ei.value)
    assert not (tmp_path / "s").exists()  # no half-written store left behind


@pytest.mark.parametrize("which", ["message", "orderbook"])
@pytest.mark.parametrize("tail", ["\n", "\r\n\n  \n"], ids=["one-blank-line", "three-blank-lines"])
def test_lobster_blank_lines_at_the_end_of_either_file_are_not_rows(tmp_path, which, tail):
    # An extra newline at the end of one file used to fail as "orderbook_1.csv: has fewer
    # rows than the message file (line 4)" (or "more rows than the message file"), blaming
    # the other file for a blank line.
    m = lobster_files(tmp_path, GOOD_MSG, GOOD_BOOK)
    f = tmp_path / DAY.format(which)
    f.write_text(f.read_text() + tail)
    ev = np.asarray(lob.convert([m], tmp_path / "s").events)
    (tmp_path / "x").mkdir()
    plain = np.asarray(lob.convert([lobster_files(tmp_path / "x", GOOD_MSG, GOOD_BOOK)], tmp_path / "x" / "s").events)
    assert len(ev) == 6 and np.array_equal(ev, plain)


@pytest.mark.parametrize("which", ["message", "orderbook"])
def test_lobster_blank_line_between_rows_is_still_an_error(tmp_path, which):
    msgs = GOOD_MSG[:2] + ([""] if which == "message" else []) + GOOD_MSG[2:]
    books = GOOD_BOOK[:2] + ([""] if which == "orderbook" else []) + GOOD_BOOK[2:]
    m = lobster_files(tmp_path, msgs, books)
    want = {"message": r"message_1.csv: line 3: malformed row: 1 columns, expected 6",
            "orderbook": r"orderbook_1.csv: line 3: malformed row: 1 columns, expected 4"}[which]
    with pytest.raises(mmsim.DataError, match=want):
        lob.convert([m], tmp_path / "s")


def test_lobster_orderbook_disagreeing_with_messages(tmp_path):
    m = lobster_files(tmp_path, GOOD_MSG[:2] + ["34200.3,2,101,4,1000100,1"], GOOD_BOOK[:2] + ["1000200,7,1000100,5"])
    with pytest.raises(mmsim.DataError, match=r"orderbook_1.csv: line 3: the orderbook row shows 5 lots at bid 10001 "
                                              r"ticks but the messages .* leave 6"):
        lob.convert([m], tmp_path / "s")


#: A bid 100.00 x 10 and a seeded ask 100.03 x 7; then two hidden executions (no book change).
STILL_MSG = ["34200.1,1,101,10,1000000,1", "34200.2,5,0,3,1000100,-1", "34200.3,5,0,2,1000100,-1"]
STILL_BOOK = ["1000300,7,1000000,10", "1000300,7,1000000,10"]


@pytest.mark.parametrize("row, want", [
    ("1000300,7,1000100,4", "a new best bid 10001 ticks (4 lots), better than the previous row's 10000"),
    ("1000200,4,1000000,10", "a new best ask 10002 ticks (4 lots), better than the previous row's 10003"),
])
def test_lobster_orderbook_row_with_a_better_price_no_message_added(tmp_path, row, want):
    """A level-N file's depth enters the window from below its edge: a new best price needs a message.

    A corrupt row that showed one was seeded as a synthetic order (a phantom best quote, crossed when
    the price was beyond the other side's) and deleted at the next row, silently.
    """
    m = lobster_files(tmp_path, STILL_MSG, STILL_BOOK + [row])
    with pytest.raises(mmsim.DataError, match=rf"orderbook_1.csv: line 3: the orderbook row shows {re.escape(want)}, "
                                              rf"but no message up to {re.escape(m.name)} line 3 adds it; the "
                                              r"message and orderbook files disagree"):
        lob.convert([m], tmp_path / "s")


@pytest.mark.parametrize("row, want", [
    ("1000300,7,999900,6", "the bid level at 10000 ticks (10 lots)"),
    ("1000400,7,1000000,10", "the ask level at 10003 ticks (7 lots)"),
])
def test_lobster_orderbook_row_dropping_a_level_no_message_removed(tmp_path, row, want):
    """A level that stays inside the window changes only by messages; a row without it used to delete its
    orders silently (and seed the row's level in their place), losing their queue."""
    m = lobster_files(tmp_path, STILL_MSG, STILL_BOOK + [row])
    with pytest.raises(mmsim.DataError, match=rf"orderbook_1.csv: line 3: the orderbook row no longer shows "
                                              rf"{re.escape(want)}, which the previous row showed, but no message "
                                              rf"up to {re.escape(m.name)} line 3 removes it; the message and "
                                              r"orderbook files disagree"):
        lob.convert([m], tmp_path / "s")
    # The same rows with the message that explains them convert.
    ok = ["34200.3,3,101,10,1000000,1"] if "bid" in want else ["34200.3,3,2,7,1000300,-1"]
    assert lob.convert([lobster_files(tmp_path, STILL_MSG[:2] + ok, STILL_BOOK + [row])], tmp_path / "t")


#: A bid 100.00 x 10 that left the window (a better bid came and went), so its order is one the
#: level-1 file may have lost messages of; then hidden executions only (the book does not change).
BACK_MSG = ["34200.1,1,101,10,1000000,1", "34200.2,1,102,5,1000100,1", "34200.3,3,102,5,1000100,1",
            "34200.4,5,0,1,1000300,-1", "34200.5,5,0,1,1000300,-1", "34200.6,5,0,1,1000300,-1"]
BACK_BOOK = ["1000300,7,1000000,10", "1000300,7,1000100,5", "1000300,7,1000000,10"]


@pytest.mark.parametrize("msgs, books, line, want", [
    # Row 4 shows a worse best bid 99.99 x 3 (row 5, right again, was named: "a new best bid 10000 ticks
    # (9 lots), better than the previous row's 9999", the row after the corrupt one). Message 4 cancels 1 lot
    # of order 101, known from before its level left the window, so row 4 may show its level otherwise (fix29a:
    # with no message about it, row 4 is refused at once: tests/test_fix29a_rows.py).
    (BACK_MSG[:3] + ["34200.4,2,101,1,1000000,1"] + BACK_MSG[4:],
     BACK_BOOK + ["1000300,7,999900,3", "1000300,7,1000000,9", "1000300,7,1000000,9"], 4,
     "a best bid 9999 ticks (3 lots) that the next row no longer shows, and no message up to {m} line 5"),
    # The first row's best bid or ask, which no later row shows (row 2 was named: "the orderbook row no
    # longer shows the bid level at 10001 ticks (4 lots), which the previous row showed").
    (STILL_MSG, ["1000300,7,1000100,4"] + STILL_BOOK, 1,
     "a best bid 10001 ticks (4 lots) that the next row no longer shows, and no message up to {m} line 2"),
    (STILL_MSG, ["1000200,7,1000000,10"] + STILL_BOOK, 1,
     "a best ask 10002 ticks (7 lots) that the next row no longer shows, and no message up to {m} line 2"),
], ids=["worse-best", "first-row-bid", "first-row-ask"])
def test_lobster_phantom_best_price_names_the_corrupt_row_only(tmp_path, msgs, books, line, want):
    """A row whose best price no message gives, the next row contradicting it: that row is the corrupt one."""
    m = lobster_files(tmp_path, msgs, books)
    b = m.with_name(m.name.replace("_message_", "_orderbook_"))
    with pytest.raises(mmsim.DataError) as exc:
        lob.convert([m], tmp_path / "s")
    assert str(exc.value) == (f"{b}: line {line}: the orderbook row shows {want.format(m=m.name)} adds or removes "
                              "it: a phantom best price; the message and orderbook files disagree")
    # The same rows with the corrupt one right convert.
    good = books[:line - 1] + [books[line]] + books[line:]
    assert lob.convert([lobster_files(tmp_path, msgs, good)], tmp_path / "t")


def test_lobster_crossed_book_that_persists(tmp_path):
    msgs = ["34200.1,1,101,10,1000100,1", "34200.5,1,102,5,1000000,-1", "34202.0,1,103,1,999900,-1"]
    books = ["1000200,7,1000100,10", "1000000,5,1000100,10", "999900,1,1000100,10"]
    with pytest.raises(mmsim.DataError) as ei:
        lob.convert([lobster_files(tmp_path, msgs, books)], tmp_path / "s")
    msg = str(ei.value)
    assert "message_1.csv: line 2: the book is crossed (best bid 10001 >= best ask 9999 ticks)" in msg
    assert "stays crossed for 1.500 s, until line 3" in msg


def binance_file(tmp_path: Path, lines: list[dict], name="cap.gz") -> Path:
    p = tmp_path / name
    with gzip.open(p, "wt") as f:
        for i, m in enumerate(lines):
            f.write(f"{1_700_000_000_000_000_000 + i * 1_000_000} {json.dumps(m)}\n")
    return p


def _diff(U, u, pu, T, b=(), a=()):
    return {"stream": "x@depth@0ms", "data": {"e": "depthUpdate", "E": T, "T": T, "s": "XUSDT", "U": U, "u": u,
                                             "pu": pu, "b": [list(x) for x in b], "a": [list(x) for x in a]}}


SNAP = {"lastUpdateId": 100, "E": 1_700_000_000_000, "T": 1_700_000_000_000,
        "bids": [["10.0", "1.000"], ["9.9", "2.000"]], "asks": [["10.1", "1.500"], ["10.2", "1.000"]]}


def test_binance_small_capture_and_sequence_gap(tmp_path):
    good = [SNAP, _diff(95, 105, 94, 1_700_000_000_001, b=[("10.0", "0.500")]),
            _diff(106, 110, 105, 1_700_000_000_002, a=[("10.1", "0")])]
    st = bn.convert([binance_file(tmp_path, good)], tmp_path / "ok")
    assert st.tick_size == 0.1 and st.lot_size == 0.001 and len(st) == 1 + 4 + 1 + 1
    bad = good + [_diff(120, 130, 115, 1_700_000_000_003, b=[("10.0", "1.000")])]
    p = binance_file(tmp_path, bad, "gap.gz")
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([p], tmp_path / "s")
    assert str(ei.value) == (f"{p}: line 4: sequence gap: pu=115 but the previous diff ended at u=110 "
                             "(updates were missed)")


def test_binance_empty_file_is_named_empty(tmp_path):
    # A 0-byte .gz (a failed download) said "no REST depth snapshot line (a JSON object with lastUpdateId)".
    empty = tmp_path / "cap.gz"
    empty.write_bytes(b"")
    with pytest.raises(mmsim.DataError) as exc:
        bn.convert([empty], tmp_path / "st")
    assert str(exc.value) == (f"{empty}: empty file (0 bytes; a failed download or a capture that wrote nothing "
                              "leaves this): record or download it again")
    # A complete gzip of nothing but blank lines.
    blank = tmp_path / "blank.gz"
    blank.write_bytes(gzip.compress(b"\n\n"))
    with pytest.raises(mmsim.DataError) as exc:
        bn.convert([blank], tmp_path / "st")
    assert str(exc.value) == (f"{blank}: empty file (no line but blank ones, once decompressed; a failed download "
                              "or a capture that wrote nothing leaves this): record or download it again")


def test_binance_spot_sequence_rule(tmp_path):
    snap = {"lastUpdateId": 100, "bids": [["10.00", "1.00000"]], "asks": [["10.10", "1.00000"]]}
    d1 = {"stream": "x@depth@100ms", "data": {"e": "depthUpdate", "E": 1_700_000_000_001, "s": "XUSDT", "U": 99,
                                               "u": 104, "b": [["10.00", "2.00000"]], "a": []}}
    d2 = {"stream": "x@depth@100ms", "data": {"e": "depthUpdate", "E": 1_700_000_000_101, "s": "XUSDT", "U": 106,
                                               "u": 108, "b": [], "a": []}}
    p = binance_file(tmp_path, [snap, d1, d2])
    with pytest.raises(mmsim.DataError, match=r"cap.gz: line 3: sequence gap: U=106 but the previous diff ended at "
                                              r"u=104; expected U=105"):
        bn.convert([p], tmp_path / "s")


def test_binance_malformed_and_off_grid(tmp_path):
    p = tmp_path / "bad.gz"
    with gzip.open(p, "wt") as f:
        f.write(f"1700000000000000000 {json.dumps(SNAP)}\n1700000000001000000 {{not json\n")
    with pytest.raises(mmsim.DataError, match=r"bad.gz: line 2: malformed row: bad JSON"):
        bn.convert([p], tmp_path / "s")
    p2 = binance_file(tmp_path, [SNAP, _diff(95, 105, 94, 1_700_000_000_001, b=[("10.05", "1.000")])], "grid.gz")
    with pytest.raises(mmsim.DataError, match=r"grid.gz: line 2: price 10.05 is off the tick grid \(tick size 0.1\)"):
        bn.convert([p2], tmp_path / "s")
    p3 = binance_file(tmp_path, [SNAP, _diff(95, 105, 94, 1_700_000_000_001, b=[("10.0", "-1.000")])], "neg.gz")
    with pytest.raises(mmsim.DataError, match=r"neg.gz: line 2: negative size -1.000"):
        bn.convert([p3], tmp_path / "s")


@pytest.mark.parametrize("line", [1, 2], ids=["first-line", "later-line"])
def test_binance_receive_time_with_a_non_ascii_digit_names_the_line(tmp_path, line):
    # str.isdigit() takes '²', int() does not: it was a ValueError traceback. The first line's
    # receive time sets the file's unit (another check than the later lines').
    p = binance_file(tmp_path, [SNAP, _diff(95, 105, 94, 1_700_000_000_001, b=[("10.0", "0.500")])])
    rows = gzip.open(p, "rt").read().splitlines()
    rows[line - 1] = "1\u00b2" + rows[line - 1][1:]
    with gzip.open(p, "wt") as f:
        f.write("\n".join(rows) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([p], tmp_path / "s")
    ts = rows[line - 1].split(" ")[0]
    assert str(ei.value) == f"{p}: line {line}: malformed row: receive time {ts[:30]!r} is not an integer"


MBO_HDR = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
#: Small times in these rows are offsets from here: loaders require epoch times from 1990 on.
NS0 = 1_703_541_600_000_000_000  # 2023-12-25 22:00 UTC, ns
US0 = NS0 // 1000


def mbo(rows: list[str]) -> str:
    """MBO CSV text of rows whose ts_recv and ts_event are offsets (ns) from NS0."""
    out = []
    for r in rows:
        a, b, rest = r.split(",", 2)
        out.append(f"{NS0 + int(a)},{NS0 + int(b)},{rest}")
    return MBO_HDR + "\n".join(out) + "\n"


def tardis_rows(rows: list[str]) -> list[str]:
    """Tardis rows whose timestamp and local_timestamp are offsets (µs) from US0."""
    out = []
    for r in rows:
        f = r.split(",")
        f[2], f[3] = str(US0 + int(f[2])), str(US0 + int(f[3]))
        out.append(",".join(f))
    return out


def test_databento_csv_errors(tmp_path):
    rows = ["100,90,0,1,7,ES,A,B,4800.00,2,11,130,0", "200,190,0,2,7,ES,A,A,4800.25,1,12,130,0"]
    ok = tmp_path / "ok.csv"
    ok.write_text(mbo(rows))
    st = dbt.convert([ok], tmp_path / "ok_store", tick_size=0.25)
    assert len(st) == 2 and st.meta["symbol"] == "ES"
    cases = {
        "unknown": ("300,290,0,3,7,ES,C,B,4800.00,1,99,130,0", "line 4: cancel of unknown order id 99"),
        "backwards": ("300,100,0,3,7,ES,A,B,4800.00,1,13,130,0",
                      f"line 4: non-monotonic timestamp: {NS0 + 100} ns is earlier than {NS0 + 190} ns"),
        "malformed": ("300,290,0,3,7,ES,A,B,4800.00,x,13,130,0", "line 4: malformed row"),
        "offgrid": ("300,290,0,3,7,ES,A,B,4800.10,1,13,130,0", "line 4: price 4800.1 is off the tick grid (0.25)"),
        "negative": ("300,290,0,3,7,ES,A,B,4800.00,-1,13,130,0", "line 4: negative size -1"),
    }
    for name, (row, reason) in cases.items():
        p = tmp_path / f"{name}.csv"
        p.write_text(mbo(rows + [row]))
        with pytest.raises(mmsim.DataError) as ei:
            dbt.convert([p], tmp_path / f"{name}_store", tick_size=0.25)
        assert f"{p}: {reason}" in str(ei.value), name


def test_tardis_errors(tmp_path):
    hdr = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
    base = ["ex,S,1000,1100,true,bid,10.0,1", "ex,S,1000,1100,true,ask,10.5,1"]
    cases = {
        "crossed": (["ex,S,2000,2100,false,bid,11.0,1", "ex,S,2500000,2500100,false,bid,11.0,2"],
                    "line 4: the book is crossed"),
        "negative": (["ex,S,2000,2100,false,bid,10.0,-1"], "line 4: negative size -1"),
        "side": (["ex,S,2000,2100,false,buy,10.0,1"], "line 4: malformed row: side 'buy' is not bid/ask"),
        "offgrid": (["ex,S,2000,2100,false,bid,10.2,1"], "line 4: price 10.2 is off the tick grid (tick size 0.5)"),
    }
    for name, (extra, reason) in cases.items():
        p = tmp_path / f"{name}.csv"
        p.write_text(hdr + "\n".join(tardis_rows(base + extra)) + "\n")
        with pytest.raises(mmsim.DataError) as ei:
            tds.convert([p], tmp_path / f"{name}_s", tick_size=0.5)
        assert f"{p}: {reason}" in str(ei.value), (name, str(ei.value))


def test_hftbacktest_import_rejects_other_dtypes(tmp_path):
    np.savez_compressed(tmp_path / "x.npz", data=np.zeros(3, [("a", "<f8")]))
    with pytest.raises(mmsim.DataError, match=r"x.npz: dtype .* is not hftbacktest's v2 event_dtype"):
        hbt.convert([tmp_path / "x.npz"], tmp_path / "s")


# --------------------------------------------------------------------------- CLI
def _cli(argv):
    from mmsim.cli import main

    return main(argv)


def test_convert_command(tmp_path, capsys):
    m = lobster_files(tmp_path, GOOD_MSG, GOOD_BOOK)
    assert _cli(["convert", str(m), "-o", str(tmp_path / "s"), "--format", "lobster", "--symbol", "XYZ"]) == 0
    st = load(tmp_path / "s")
    assert st.meta["symbol"] == "XYZ" and len(st) == 6
    assert "wrote" in capsys.readouterr().err
    bad = lobster_files(tmp_path, GOOD_MSG[:2] + ["34200.3,1,103,-5,1000100,1"], GOOD_BOOK)
    assert _cli(["convert", str(bad), "-o", str(tmp_path / "t"), "--format", "lobster"]) == 1
    assert "line 3: negative size -5" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_mmsim_convert_end_to_end(tmp_path):
    """The installed `mmsim convert` command, as a user runs it."""
    m = lobster_files(tmp_path, GOOD_MSG, GOOD_BOOK)
    exe = [sys.executable, "-m", "mmsim"]
    probe = subprocess.run(exe + ["convert", "--help"], capture_output=True, text=True)
    assert probe.returncode == 0 and "--format" in probe.stdout, probe.stderr
    r = subprocess.run(exe + ["convert", str(m), "-o", str(tmp_path / "s"), "--format", "lobster"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert load(tmp_path / "s").meta["event_count"] == 6
    r = subprocess.run(exe + ["convert", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x"), "--format", "lobster"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "missing.csv: no such file" in r.stderr


def test_lobster_two_days_in_one_store(tmp_path):
    d1 = lobster_files(tmp_path, GOOD_MSG, GOOD_BOOK)
    day2 = tmp_path / "d2"
    day2.mkdir()
    m2 = day2 / "TEST_2012-06-22_34200000_57600000_message_1.csv"
    m2.write_text("34200.5,1,101,3,1000100,1\n")
    (day2 / "TEST_2012-06-22_34200000_57600000_orderbook_1.csv").write_text("1000200,2,1000100,3\n")
    st = lob.convert([d1, m2], tmp_path / "s")
    ev = np.asarray(st.events)
    clears = np.flatnonzero(ev["kind"] == mmsim.Kind.CLEAR)
    # Each day starts with its own snapshot; order id 101 may come back on the next day.
    assert clears.tolist() == [0, 6]
    assert ev["exch_ts"][6] == 1340285400 * 10**9 + 86400 * 10**9 + 500_000_000
    assert [int(x) for x in ev["qty"][7:]] == [2, 3]


def test_lobster_hidden_cross_and_halt_messages(tmp_path):
    msgs = GOOD_MSG[:2] + [
        "34200.3,5,0,7,1000150,-1",  # hidden sell order executed at a sub-penny midpoint: buyer-initiated
        "34200.4,5,0,2,1000150,1",  # hidden buy order: seller-initiated
        "34200.5,6,0,300,1000200,-1",  # cross trade (auction)
        "34200.6,7,0,0,-1,-1",  # halt
        "34200.7,7,0,0,1,-1",  # resume
    ]
    books = GOOD_BOOK[:2] + [GOOD_BOOK[1]] * 5
    st = lob.convert([lobster_files(tmp_path, msgs, books)], tmp_path / "s")
    ev = np.asarray(st.events)
    tr = ev[ev["kind"] == mmsim.Kind.TRADE]
    # Rounded toward the aggressor: down for the buyer (10001), up for the seller (10002).
    assert [(int(s), int(p), int(q)) for s, p, q in zip(tr["side"], tr["price"], tr["qty"])] == [
        (1, 10001, 7), (-1, 10002, 2), (0, 10002, 300)]
    q = st.meta["quirks"]
    assert q["hidden_trades_rounded_to_grid"] == 2 and q["cross_trades"] == 1
    assert [(h["state"], h["line"]) for h in q["halts"]] == [("halt", 6), ("resume", 7)]


def test_databento_fill_then_cancel_is_one_execution(tmp_path):
    rows = [
        "100,90,0,1,7,ES,A,B,4800.00,2,11,130,0",
        "110,100,0,2,7,ES,A,B,4800.00,3,12,130,0",
        "120,110,0,3,7,ES,A,A,4800.50,1,13,130,0",
        "200,190,0,4,7,ES,T,A,4800.00,3,99,0,0",  # a seller takes 3 at the bid
        "200,190,0,4,7,ES,F,B,4800.00,2,11,0,0",  # fills: order 11 (all), order 12 (1 of 3)
        "200,190,0,4,7,ES,F,B,4800.00,1,12,0,0",
        "201,190,0,5,7,ES,C,B,4800.00,2,11,130,0",  # the venue then removes the filled size
        "201,190,0,6,7,ES,M,B,4800.00,2,12,130,0",
        "300,290,0,7,7,ES,M,B,4800.25,2,12,130,0",  # a real modify: new price, loses priority
        "400,390,0,8,7,ES,R,N,,0,0,130,0",
    ]
    p = tmp_path / "mbo.csv"
    p.write_text(mbo(rows))
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    got = [(mmsim.Kind(k).name, int(s), int(px), int(q), int(o))
           for k, s, px, q, o in zip(ev["kind"], ev["side"], ev["price"], ev["qty"], ev["order_id"])]
    assert got == [
        ("ADD", 1, 19200, 2, 11), ("ADD", 1, 19200, 3, 12), ("ADD", -1, 19202, 1, 13),
        ("EXECUTE", 1, 19200, 2, 11), ("EXECUTE", 1, 19200, 1, 12),
        ("DELETE", 1, 19200, 2, 12), ("ADD", 1, 19201, 2, 12),
        ("CLEAR", 0, 0, 0, 0),
    ]
    assert [int(x) - NS0 for x in ev["local_ts"]] == [100, 110, 120, 200, 200, 300, 300, 400]
    assert st.meta["quirks"]["fill_cancels_absorbed"] == 2 and st.meta["quirks"]["uncovered_trade_prints"] == 0


def test_recv_order_tracker_window_and_units():
    """The receive-order tracker the Binance, Databento and Tardis loaders share (``_common.RecvOrder``): exactly
    10 s back is kept, 1 unit more is refused with the seconds as the loaders print them, and the latest time and
    where it was read stay those before the refused one."""
    from mmsim.data._common import RecvOrder

    ns = RecvOrder()
    assert ns.behind(50_000_000_000, 3) is None and (ns.latest, ns.at) == (50_000_000_000, 3)
    assert ns.behind(40_000_000_000, 4) is None  # exactly 10 s back: kept, not the latest
    assert (ns.latest, ns.at) == (50_000_000_000, 3)
    assert ns.behind(39_999_999_999, 5) == "10.000000001"
    assert (ns.latest, ns.at) == (50_000_000_000, 3)
    assert ns.behind(50_000_000_001, 6) is None and (ns.latest, ns.at) == (50_000_000_001, 6)

    us = RecvOrder(unit_ns=1000)  # Tardis' microseconds: the window is 10,000,000 us
    assert us.behind(20_000_000, 7) is None and us.behind(10_000_000, 8) is None
    assert us.behind(9_999_999, 9) == "10.000001"
    assert us.behind(0, 10) == "20.000" and (us.latest, us.at) == (20_000_000, 7)


# --------------------------------------------------------------------------- a price or size beyond 2**53 - 1 steps
@pytest.mark.parametrize("fmt, edit, line, msg", [
    # Tardis: the ask 1e30 (1e32 ticks of 0.01); the error quoted the ticks ("price 1000...000 does not fit in a
    # signed 64-bit integer"), a number the file never had
    ("tardis", ("1e30", "1"), 3, "price 1e30 is beyond the largest accepted, 2**53 - 1 ticks of 0.01; check the tick "
                                 "size given (--tick-size) or the price unit"),  # the tick given names its flag (fix26c)
    ("tardis", ("10.5", "1e20"), 3, "size 1e20 is beyond the largest accepted, 2**53 - 1 lots of 1.0; check the lot "
                                    "size or the size unit"),
    # Binance: a bid at 1e20 written out (1e21 ticks of 0.1)
    ("binance", "100000000000000000000", 2, "price 100000000000000000000 is beyond the largest accepted, 2**53 - 1 "
                                            "ticks of 0.1; check the tick size or the price unit"),
])
def test_price_or_size_too_large_is_quoted_as_written(tmp_path, fmt, edit, line, msg):
    from _corpus import TD_BOOK_HDR, T0, US0, binance, bn_diff, bn_lines, tardis

    if fmt == "tardis":
        rows = [("bid", "10.0", "1"), ("ask", *edit)]
        book = [TD_BOOK_HDR] + [f"ex,XUSDT,{US0},{US0 + 100},true,{s},{p},{q}" for s, p, q in rows]
        srcs, p = tardis(tmp_path, book=book, with_trades=False)
        p = srcs[0]
        run = lambda: tds.convert(srcs, tmp_path / "s", tick_size=0.01)  # noqa: E731
    else:
        msgs = bn_lines()
        msgs[1] = bn_diff(95, 105, 94, T0 + 1, b=[(edit, "1.000")])
        srcs, p = binance(tmp_path, msgs)
        run = lambda: bn.convert(srcs, tmp_path / "s")  # noqa: E731
    with pytest.raises(mmsim.DataError) as ei:
        run()
    assert str(ei.value) == f"{p}: line {line}: {msg}"
