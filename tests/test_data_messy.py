"""Messy inputs of the kinds real feeds and tools produce, in every loader.

Each test gives the hand-computed result (events, times, the exact error) of a
small file with one fault, and a second case of the same kind in another format
or at the other end.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import shared_data
from _corpus import (
    DB_HDR,
    LOB_DAY,
    LOB_MSG,
    NS0,
    T0,
    TD_BOOK_HDR,
    TD_TRADE_HDR,
    US0,
    binance,
    bn_diff,
    bn_lines,
    bn_text,
    bn_trade,
    databento_csv,
    db_csv_lines,
    dbn_bytes,
    hbt_file,
    hbt_rows,
    lobster,
    tardis,
    td_book_lines,
    td_trade_lines,
)

import mmsim
from mmsim.data import convert, write_store
from mmsim.data.store import summary
from mmsim.data import databento as dbt
from mmsim.data import tardis as tds
from mmsim.events import Kind

# ----------------------------------------------------------------------------- Databento receive times


def _recv(lines: list[str], line: int, value: str) -> list[str]:
    """``lines`` with the ``ts_recv`` of (1-based) ``line`` replaced."""
    out = list(lines)
    parts = out[line - 1].split(",")
    parts[0] = value
    out[line - 1] = ",".join(parts)
    return out


def test_databento_receive_times_in_milliseconds_are_an_error(tmp_path):
    # Only ts_recv in ms (ts_event in ns): read as ns it lands in 1970. It used to be
    # floored to ts_event silently, a recorded feed latency of 0 on every event.
    lines = [DB_HDR] + [
        ",".join([str(int(r.split(",")[0]) // 10**6)] + r.split(",")[1:]) for r in db_csv_lines()[1:]
    ]
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (
        f"{p}: line 2: implausible receive time {(NS0 + 150) // 10**6} "
        "(read as nanoseconds it lands on 1970-01-01; it looks like milliseconds)"
    )
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("value", ["NaT", "0", "1"])
def test_databento_csv_receive_time_that_is_no_time_is_an_error(tmp_path, value):
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(_recv(db_csv_lines(), 4, value)) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert f"{p}: line 4: " in str(ei.value) and "receive time" in str(ei.value)


def test_databento_receive_time_before_the_exchange_time_shifts_the_recorder_clock(tmp_path):
    # Record 3 (the add of order 13, ts_event NS0+300) is received 30 ns before it
    # happened. Every other record has ts_recv = ts_event + 50. As in the Binance,
    # Tardis and hftbacktest loaders, every local_ts is shifted by the most negative
    # difference (30 ns), so the smallest feed latency is 0; it used to be floored to
    # ts_event for that one record only.
    rows = db_csv_lines()
    rows = _recv(rows, 4, str(NS0 + 270))
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(rows) + "\n")
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    assert [int(t) - NS0 for t in ev["exch_ts"]] == [100, 200, 300, 400, 500]
    assert [int(t) - NS0 for t in ev["local_ts"]] == [180, 280, 300, 480, 580]
    assert st.meta["quirks"]["local_clock_offset_ns"] == 30
    # The record that set the shift is named, in the meta and in `mmsim convert`'s line: one
    # wrong receive time shifts the whole file, so the user can look at it.
    # The file's name, as meta.json's `source` has it (the path as typed means nothing elsewhere).
    assert st.meta["quirks"]["local_clock_offset_at"] == "mbo.csv: line 4" and st.meta["source"] == ["mbo.csv"]
    # (It printed "+0.000 ms" for this 30 ns shift, saying nothing was shifted.)
    assert summary(st).endswith("; receive times shifted +30 ns (capture clock behind the venue's; set by "
                                "mbo.csv: line 4; quirks.local_clock_offset_ns)")


def test_databento_dbn_receive_time_before_the_exchange_time_shifts_too(tmp_path):
    # The same in a DBN file, at the other end: the last record (the cancel at NS0+500)
    # is received 1 us before it happened.
    import databento_dbn as dbn

    raw = dbn_bytes()
    dec = dbn.DBNDecoder()
    dec.write(raw)
    msgs = dec.decode()[1:]
    head = raw[: len(raw) - sum(len(bytes(m)) for m in msgs)]  # the metadata
    last = msgs[-1]
    early = dbn.MBOMsg(publisher_id=1, instrument_id=7, ts_event=last.ts_event, order_id=last.order_id,
                       price=last.price, size=last.size, action=dbn.Action.CANCEL, side=dbn.Side.BID,
                       ts_recv=last.ts_event - 1000, flags=last.flags, channel_id=0, ts_in_delta=0,
                       sequence=last.sequence)
    p = tmp_path / "mbo.dbn"
    p.write_bytes(head + b"".join(bytes(m) for m in msgs[:-1]) + bytes(early))
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    assert [int(t) - NS0 for t in ev["exch_ts"]] == [100, 200, 300, 400, 500]
    assert [int(t) - NS0 for t in ev["local_ts"]] == [1150, 1250, 1350, 1450, 500]
    assert st.meta["quirks"]["local_clock_offset_ns"] == 1000
    assert st.meta["quirks"]["local_clock_offset_at"] == "mbo.dbn: record 7"
    assert summary(st).endswith("; receive times shifted +1.000 µs (capture clock behind the venue's; set by "
                                "mbo.dbn: record 7; quirks.local_clock_offset_ns)")


@pytest.mark.parametrize("offset_ns, label", [(1, "+1 ns"), (999, "+999 ns"), (1_000, "+1.000 µs"),
                                              (999_999, "+999.999 µs"), (1_000_000, "+1.000 ms"),
                                              (18_836_000, "+18.836 ms"), (1_272_156_851, "+1272.157 ms")])
def test_convert_line_gives_the_recorder_clock_shift_in_a_unit_that_shows_it(offset_ns, label):
    # Below 1 ms the shift is given in us (exact to the ns) or ns, never rounded to "+0.000 ms";
    # from 1 ms, in ms to the us (quirks.local_clock_offset_ns keeps the exact value).
    class _Store:
        path, replaced = "s", False
        meta = {"symbol": "X", "venue": "v", "tick_size": 0.25, "lot_size": 1, "levels": "L3",
                "quirks": {"local_clock_offset_ns": offset_ns, "local_clock_offset_at": "f.csv: line 4"}}

        def __len__(self):
            return 5

    assert summary(_Store()) == (f"wrote s: 5 events, X (v), tick 0.25, lot 1, L3; receive times shifted {label} "
                                 "(capture clock behind the venue's; set by f.csv: line 4; quirks.local_clock_offset_ns)")


# ----------------------------------------------------------------------------- CSV rows that do not match their header


def test_tardis_decimal_comma_makes_a_row_with_more_columns_than_the_header(tmp_path):
    # "10,5" written with a decimal comma (a spreadsheet's locale) splits the price: the
    # row used to read as price 10, amount 5 (a level that is not in the data).
    b = td_book_lines()
    b[4] = f"ex,XUSDT,{US0 + 1000},{US0 + 1100},false,bid,10,5,2"
    srcs, bp = tardis(tmp_path, book=b)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s", tick_size=0.5)
    assert str(ei.value) == f"{bp}: line 5: malformed row: 9 columns, expected 8 (as the header)"


def test_tardis_trades_row_with_a_trailing_comma_is_an_error(tmp_path):
    t = td_trade_lines()
    t[2] += ","
    srcs, _ = tardis(tmp_path, trades=t)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s", tick_size=0.5)
    assert str(ei.value) == f"{srcs[1]}: line 3: malformed row: 9 columns, expected 8 (as the header)"


def test_databento_csv_truncated_last_line_is_an_error(tmp_path):
    # The last line cut inside its flags (a download or copy stopped early): 12 of the
    # header's 13 columns, flags 130 read as 1. It used to convert.
    raw = ("\n".join(db_csv_lines()) + "\n").encode()[:-5]
    assert raw.endswith(b",13,1")
    p = tmp_path / "mbo.csv"
    p.write_bytes(raw)
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    # fix27a: the file's last line with no newline at its end: the message says the file looks cut off.
    assert str(ei.value) == (f"{p}: line 8: malformed row: 12 columns, expected 13 (as the header); it is the file's "
                             "last line, with no newline at its end: the file looks cut off (a recorder stopped "
                             'mid-write); to convert the lines before it, drop that line (docs/data.md, "A file cut '
                             'off mid-line")')


def test_databento_csv_row_with_an_extra_column_is_an_error(tmp_path):
    lines = db_csv_lines()
    lines[2] += ",x"
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == f"{p}: line 3: malformed row: 14 columns, expected 13 (as the header)"


# ----------------------------------------------------------------------------- a UTF-8 byte-order mark

_BOM = b"\xef\xbb\xbf"


def _bom_cases():
    """(format, builder(dir, bom) -> (sources, file given the mark), converter options) per text format."""

    def lob(d, bom):
        srcs, mp = lobster(d)
        if bom:
            mp.write_bytes(_BOM + mp.read_bytes())
        return srcs, mp

    def lob_book(d, bom):
        srcs, mp = lobster(d)
        bp = d / LOB_DAY.format("orderbook")
        if bom:
            bp.write_bytes(_BOM + bp.read_bytes())
        return srcs, bp

    def bn(d, bom):  # gzip: the mark is inside the compressed text
        raw = ("\n".join(bn_text(bn_lines())) + "\n").encode()
        srcs, p = binance(d, raw=gzip.compress((_BOM if bom else b"") + raw))
        return srcs, p

    def db(d, bom):
        raw = ("\n".join(db_csv_lines()) + "\n").encode()
        return databento_csv(d, raw=(_BOM if bom else b"") + raw)

    def td(d, bom):
        raw = ("\n".join(td_trade_lines()) + "\n").encode()
        srcs, bp = tardis(d)
        if bom:
            srcs[1].write_bytes(_BOM + raw)
        return srcs, srcs[1]

    return [("lobster", lob, {}), ("lobster", lob_book, {}), ("binance", bn, {}),
            ("databento", db, {"tick_size": 0.25}), ("tardis", td, {})]


@pytest.mark.parametrize("fmt,build,opts", _bom_cases(), ids=["lobster-message", "lobster-orderbook", "binance-gzip",
                                                              "databento-csv", "tardis-trades"])
def test_a_utf8_byte_order_mark_at_the_start_of_a_text_file_is_skipped(tmp_path, fmt, build, opts):
    # Windows tools (Excel's "CSV UTF-8", Notepad) start a file with EF BB BF. It is not
    # part of the first field: the file converts to the same events as without it (it
    # used to be a malformed first row or "not a ... header").
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, _ = build(tmp_path / "a", False)
    marked, named = build(tmp_path / "b", True)
    assert (named.read_bytes() if fmt != "binance" else gzip.decompress(named.read_bytes())).startswith(_BOM)
    want = np.asarray(convert(plain, tmp_path / "sa", format=fmt, **opts).events)
    got = np.asarray(convert(marked, tmp_path / "sb", format=fmt, **opts).events)
    assert len(want) > 0 and got.tobytes() == want.tobytes()


def test_a_byte_order_mark_inside_a_file_is_still_an_error(tmp_path):
    # Only the file's first bytes may be a mark: one at the start of a later line (two
    # files concatenated) is text in the first field, named by its line.
    m = list(LOB_MSG)
    srcs, mp = lobster(tmp_path)
    mp.write_bytes(("\n".join(m[:2]) + "\n").encode() + _BOM + ("\n".join(m[2:]) + "\n").encode())
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="lobster")
    assert str(ei.value).startswith(f"{mp}: line 3: malformed row")


# ----------------------------------------------------------------------------- zstd-compressed text

def _zstd(data: bytes) -> bytes:
    """A zstd frame (RFC 8878) holding ``data`` in raw (stored) blocks, as ``zstd`` would read it."""
    out = bytearray(b"\x28\xb5\x2f\xfd")  # magic
    out += bytes([0x00, 0x58])  # frame header: no single segment, no checksum; window 2 MiB
    blocks = [data[i : i + (1 << 17)] for i in range(0, len(data), 1 << 17)] or [b""]
    for k, b in enumerate(blocks):
        last = int(k == len(blocks) - 1)
        out += ((len(b) << 3) | (0 << 1) | last).to_bytes(3, "little") + b  # a raw block
    return bytes(out)


@pytest.mark.parametrize("fmt", ["binance", "tardis", "lobster"])
def test_a_zstd_compressed_text_file_is_named_as_such(tmp_path, fmt):
    # Only gzip is read for text; a .zst capture used to fail as "line 1: not UTF-8 text".
    if fmt == "binance":
        srcs, p = binance(tmp_path, gz=False)
    elif fmt == "tardis":
        srcs, p = tardis(tmp_path, with_trades=False)
    else:
        srcs, p = lobster(tmp_path)
    p.write_bytes(_zstd(p.read_bytes()))
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format=fmt)
    assert str(ei.value) == (
        f"{p}: zstd-compressed: text files are read plain or gzip-compressed; decompress it first (zstd -d)"
    )


def test_a_databento_csv_zst_is_named_as_a_zstd_compressed_csv(tmp_path):
    # Databento's batch downloads compress CSV with zstd by default (.csv.zst). Any zstd
    # file was taken for DBN: "record 1: cannot decode DBN ... (invalid DBN header)".
    p = tmp_path / "mbo.csv.zst"
    p.write_bytes(_zstd(("\n".join(db_csv_lines()) + "\n").encode()))
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (
        f"{p}: a zstd-compressed CSV, not DBN: Databento CSV is read plain or gzip-compressed; "
        "decompress it first (zstd -d)"
    )


# ----------------------------------------------------------------------------- Databento CSV side codes


@pytest.mark.parametrize("line,row,side", [
    (5, f"{NS0 + 450},{NS0 + 400},0,4,7,ESH4,T,X,4800.00,2,0,0,0", "X"),  # a trade: was read as no aggressor
    (3, f"{NS0 + 250},{NS0 + 200},0,2,7,ESH4,A,a,4800.25,1,12,130,0", "a"),  # an add: was "add without a side"
])
def test_databento_csv_side_that_is_not_a_b_or_n_is_an_error(tmp_path, line, row, side):
    lines = db_csv_lines()
    lines[line - 1] = row
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == f"{p}: line {line}: malformed row: side {side!r} is not A (ask), B (bid) or N (none)"


# ----------------------------------------------------------------------------- write_store's meta errors


@pytest.mark.parametrize("meta,key", [
    ({"symbol": "X", "tick_size": 0.01, "lot_size": 1.0}, "levels"),  # a key left out
    ({"symbol": "X", "tick_size": float("inf"), "lot_size": 1.0, "levels": "L2"}, "tick_size"),  # a bad value
])
def test_write_store_meta_error_names_the_store_not_its_temporary_directory(tmp_path, meta, key):
    # The error named ".s.tmp-PID-XXXX/meta.json", a directory that is gone when the user reads it.
    ev = np.zeros(2, mmsim.EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = [NS0, NS0 + 1]
    ev["kind"], ev["side"], ev["price"], ev["qty"] = int(mmsim.Kind.DEPTH), [1, -1], [100, 101], 5
    with pytest.raises(mmsim.DataError) as ei:
        write_store(tmp_path / "s", ev, meta)
    assert str(ei.value).startswith(f"{tmp_path / 's' / 'meta.json'}: key {key!r} must be ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- Binance prices are positive


@pytest.mark.parametrize("msg,line,price", [
    (bn_trade(T0 + 2, p="0.0", m=True), 3, "0.0"),  # a sell print at 0 would trade through every bid
    (bn_diff(106, 110, 105, T0 + 3, b=[("-10.0", "1.000")]), 3, "-10.0"),  # a depth level, below zero
])
def test_binance_price_that_is_not_positive_is_an_error(tmp_path, msg, line, price):
    msgs = bn_lines()[:2] + [msg]
    srcs, p = binance(tmp_path, msgs)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="binance")
    assert str(ei.value) == f"{p}: line {line}: price {price} is not positive (Binance prices are)"


# ----------------------------------------------------------------------------- Binance: a gap, then a snapshot


def _rows(st) -> list[tuple]:
    ev = np.asarray(st.events)
    return [((int(e["exch_ts"]) - T0 * 10**6) // 10**6, mmsim.Kind(int(e["kind"])).name, int(e["side"]),
             int(e["price"]), int(e["qty"])) for e in ev]


def test_binance_usdm_gap_then_a_new_snapshot_resynchronises_the_book(tmp_path):
    # The collector (hftbacktest's) writes every diff it receives, the one after a gap too,
    # fetches a REST snapshot when it sees the gap and writes it when it comes. The book is
    # unknown from the gap to that snapshot: what comes in between is held and replayed
    # through the sync rule, as before the first snapshot. This used to stop the whole
    # conversion at the gap ("sequence gap ... updates were missed").
    snap2 = {"lastUpdateId": 118, "E": T0 + 6, "T": T0 + 6,
             "bids": [["10.0", "2.000"]], "asks": [["10.2", "1.000"]]}
    msgs = bn_lines()[:4] + [
        bn_diff(115, 117, 114, T0 + 4, b=[("9.9", "3.000")]),  # line 5: pu 114, not 110: a gap
        bn_trade(T0 + 5, p="10.0", m=True),  # line 6: in the gap, before the new snapshot's time: dropped
        snap2,  # line 7: the new snapshot; line 5's diff ends before it (u 117 < 118): dropped
        bn_trade(T0 + 7, p="10.2"),  # line 8: after the snapshot's time: kept
        bn_diff(118, 120, 117, T0 + 7, a=[("10.2", "0.500")]),  # line 9: spans 118, the first applied
        bn_diff(121, 125, 120, T0 + 8, b=[("10.0", "0.000")]),  # line 10: pu = 120
    ]
    srcs, _ = binance(tmp_path, msgs)
    st = convert(srcs, tmp_path / "s", format="binance")
    assert _rows(st) == [
        (0, "CLEAR", 0, 0, 0), (0, "DEPTH", 1, 100, 1000), (0, "DEPTH", 1, 99, 2000),
        (0, "DEPTH", -1, 101, 1500), (0, "DEPTH", -1, 102, 1000),
        (1, "DEPTH", 1, 100, 500), (2, "TRADE", 1, 101, 500), (3, "DEPTH", -1, 101, 1000),
        (6, "CLEAR", 0, 0, 0), (6, "DEPTH", 1, 100, 2000), (6, "DEPTH", -1, 102, 1000),
        (7, "DEPTH", -1, 102, 500), (7, "TRADE", 1, 102, 500),
        (8, "DEPTH", 1, 100, 0),
    ]
    q = st.meta["quirks"]
    assert q["sequence_gaps_resynced"] == 1 and q["dropped_before_snapshot"] == 2


def test_binance_spot_gap_then_a_new_snapshot_resynchronises_and_one_without_is_still_an_error(tmp_path):
    # Spot (no pu; a gap is U > last u + 1), and the boundary: the same gap with no
    # snapshot after it is the error it was, naming the gap's line.
    def diff(U, u, E, b):
        return {"stream": "xusdt@depth@100ms", "data": {"e": "depthUpdate", "E": E, "s": "XUSDT", "U": U, "u": u,
                                                         "b": [list(x) for x in b], "a": []}}

    snap = {"lastUpdateId": 100, "bids": [["10.00", "1.00000"]], "asks": [["10.10", "1.00000"]]}
    head = [snap, diff(99, 104, T0 + 1, [("10.00", "2.00000")]),
            diff(110, 112, T0 + 101, [("9.99", "1.00000")])]  # line 3: U 110 > 104 + 1
    tail = [{"lastUpdateId": 112, "bids": [["10.00", "3.00000"]], "asks": [["10.10", "1.00000"]]},  # line 4
            diff(112, 115, T0 + 201, [("9.98", "4.00000")])]  # line 5: spans 113, the first applied
    (tmp_path / "a").mkdir()
    srcs, _ = binance(tmp_path / "a", head + tail)
    st = convert(srcs, tmp_path / "s", format="binance", tick_size=0.01)
    # A spot snapshot has no time: each takes its first applied diff's (E = T0+1, T0+201), but no later than its
    # receive time plus the largest exch - local of the lines read so far (fix30a): line 4 is received at T0+4 ms
    # and line 5 (E T0+201, received T0+5) needs 196 ms, so the second snapshot is T0+200 (it was T0+201: 197 ms,
    # a shift set by the snapshot's inferred time, 1 ms more than any line the venue stamped needs).
    # Line 3's diff ends at the new snapshot's id (u 112 <= 112): dropped.
    assert _rows(st) == [
        (1, "CLEAR", 0, 0, 0), (1, "DEPTH", 1, 1000, 100000), (1, "DEPTH", -1, 1010, 100000),
        (1, "DEPTH", 1, 1000, 200000),
        (200, "CLEAR", 0, 0, 0), (200, "DEPTH", 1, 1000, 300000), (200, "DEPTH", -1, 1010, 100000),
        (201, "DEPTH", 1, 998, 400000),
    ]
    assert st.meta["quirks"]["local_clock_offset_ns"] == 196 * 10**6
    assert st.meta["quirks"]["local_clock_offset_at"] == "cap.gz: line 5"
    assert st.meta["quirks"]["sequence_gaps_resynced"] == 1 and st.meta["quirks"]["dropped_before_snapshot"] == 1
    (tmp_path / "b").mkdir()
    srcs, p = binance(tmp_path / "b", head)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "t", format="binance", tick_size=0.01)
    assert str(ei.value) == (f"{p}: line 3: sequence gap: U=110 but the previous diff ended at u=104; "
                             "expected U=105 or lower (updates were missed)")


def test_databento_csv_receive_time_far_ahead_of_the_next_record_is_an_error(tmp_path):
    """Records come in receive order. One ts_recv an hour late held every later event back to it under
    `feed: recorded` (13 fills of the ESH4 sample's first 12,000 lines became 3), silently."""
    rows = _recv(db_csv_lines(), 4, str(NS0 + 350 + 3600 * 10**9))
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(mmsim.DataError, match=r"mbo.csv: line 5: ts_recv 1703541600000000450 is 3600.000 s before "
                                              r"line 4's \(1703545200000000350\); records come in receive order, "
                                              r"so one of the two receive times is wrong"):
        dbt.convert([p], tmp_path / "s", tick_size=0.25)


def test_databento_dbn_receive_time_far_ahead_of_the_next_record_is_an_error(tmp_path):
    import databento_dbn as dbn

    raw = dbn_bytes()
    dec = dbn.DBNDecoder()
    dec.write(raw)
    msgs = dec.decode()[1:]
    head = raw[: len(raw) - sum(len(bytes(m)) for m in msgs)]  # the metadata
    m = msgs[1]  # record 2, the ask add at NS0+200, received 20 s late
    late = dbn.MBOMsg(publisher_id=1, instrument_id=7, ts_event=m.ts_event, order_id=m.order_id, price=m.price,
                      size=m.size, action=dbn.Action.ADD, side=dbn.Side.ASK, ts_recv=m.ts_recv + 20 * 10**9,
                      flags=m.flags, channel_id=0, ts_in_delta=0, sequence=m.sequence)
    p = tmp_path / "mbo.dbn"
    p.write_bytes(head + bytes(msgs[0]) + bytes(late) + b"".join(bytes(x) for x in msgs[2:]))
    with pytest.raises(mmsim.DataError, match=r"mbo.dbn: record 3: ts_recv 1703541600000000350 is 20.000 s before "
                                              r"record 2's \(1703541620000000250\); records come in receive order"):
        dbt.convert([p], tmp_path / "s", tick_size=0.25)


def test_databento_receive_time_flagged_bad_is_floored_at_the_exchange_time_not_a_clock_shift(tmp_path):
    # Databento flags a ts_recv it knows is inaccurate (F_BAD_TS_RECV, 8): such a record's
    # early ts_recv says nothing about the capture clock, so it must not shift the file.
    # Its ts_recv is not used: its local_ts is the latest good ts_recv read before it, or its
    # ts_event when later (the earliest it can have been received); counted.
    rows = db_csv_lines()
    parts = rows[3].split(",")  # line 4: the add of order 13 at NS0+300, flags 130
    parts[0], parts[11] = str(NS0 + 270), str(130 | 8)  # after line 3's good 250: its ts_event, 300
    rows[3] = ",".join(parts)
    parts = rows[1].split(",")  # line 2, the first record, flagged though not early: its ts_event, 100
    parts[11] = str(130 | 8)  # (it kept its ts_recv, 150, before the rule stopped using flagged ones)
    rows[1] = ",".join(parts)
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(rows) + "\n")
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    assert [int(t) - NS0 for t in ev["local_ts"]] == [100, 250, 300, 450, 550]
    q = st.meta["quirks"]
    assert q["local_clock_offset_ns"] == 0 and q["bad_ts_recv_records"] == 2


@pytest.mark.parametrize("hours", [1, -1])
def test_databento_receive_time_flagged_bad_is_not_used_so_an_hour_off_converts(tmp_path, hours):
    # The real ESH4 CSV's line 10000 (an add of order 6412777265642, ts_recv ...165649489, ts_event
    # ...157229399) flagged F_BAD_TS_RECV with its ts_recv an hour off. An hour ahead it passed the
    # loader and the store's 20 s receive-order rule refused the next, correct record; an hour behind
    # it took its ts_event. Now it takes line 9999's ts_recv, the latest good one (later than its
    # ts_event), and the next records keep theirs.
    with gzip.open(shared_data("databento", "esh4_mbo_20231225.csv.gz"), "rt") as f:
        lines = [next(f) for _ in range(12_000)]
    parts = lines[9999].split(",")
    assert parts[0] == "1703545200165649489" and parts[10] == "6412777265642"
    parts[0], parts[11] = str(int(parts[0]) + hours * 3_600_000_000_000), str(int(parts[11]) | 8)
    lines[9999] = ",".join(parts)
    p = tmp_path / "mbo.csv"
    p.write_text("".join(lines))
    st = dbt.convert([p], tmp_path / "s")
    ev = np.asarray(st.events)
    k = int(np.flatnonzero(ev["order_id"] == 6412777265642)[0])
    assert int(ev["local_ts"][k]) == 1703545200165643525  # line 9999's ts_recv
    assert int(ev["local_ts"][k + 1]) == int(lines[10000].split(",")[0])  # line 10001 keeps its own
    # Databento flags the 8,725 snapshot records too (their ts_recv is the snapshot's, not a receipt): 8,726.
    assert st.meta["quirks"]["bad_ts_recv_records"] == 8726 and st.meta["quirks"]["local_clock_offset_ns"] == 0


# --------------------------------------------------------------------------- Tardis: receive order
@pytest.mark.parametrize("which", ["book", "trades"])
def test_tardis_local_timestamp_far_ahead_of_the_next_row_is_an_error(tmp_path, which):
    """Tardis files are in local_timestamp order: one row an hour late held every later event back to
    it under `feed: recorded` (and broke the merge of book and trades), silently."""
    book, trades = td_book_lines(), td_trade_lines()
    rows, line = (book, 5) if which == "book" else (trades, 2)
    parts = rows[line - 1].split(",")
    late = int(parts[3]) + 3_600_000_000
    parts[3] = str(late)
    rows[line - 1] = ",".join(parts)
    srcs, _ = tardis(tmp_path, book=book, trades=trades)
    nxt = rows[line].split(",")[3]
    with pytest.raises(mmsim.DataError, match=rf"{which}.csv: line {line + 1}: local_timestamp {nxt} is 3599.999 s "
                                              rf"before line {line}'s \({late}\); Tardis files are in "
                                              r"local_timestamp order, so one of the two is wrong"):
        tds.convert(srcs, tmp_path / "s")


# --------------------------------------------------------------------------- hftbacktest: receive order
@pytest.mark.parametrize("l3", [False, True], ids=["L2", "L3"])
@pytest.mark.parametrize("flags", ["both", "exch-only"])
def test_hftbacktest_local_row_far_ahead_of_the_next_is_an_error(tmp_path, l3, flags):
    """Rows flagged LOCAL_EVENT are in local_ts order (hftbacktest's local side reads them so), EXCH_EVENT
    rows in exch_ts order, their local_ts within a feed latency of it: one row stamped an hour late held
    every later event back to it under `feed: recorded`, silently."""
    from mmsim.data import hftbacktest as hbt

    rows = hbt_rows(l3)
    if flags == "exch-only":  # the exchange-ordered copy of an export whose local_ts decreases
        rows["ev"] &= ~np.uint64(hbt.LOCAL_EVENT)
    late = int(rows["local_ts"][2]) + 3600 * 10**9
    rows["local_ts"][2] = late
    _, p = hbt_file(tmp_path, rows)
    with pytest.raises(mmsim.DataError, match=rf"data.npz: record 4: local_ts {int(rows['local_ts'][3])} is "
                                              rf"3600.000 s before record 3's \({late}\); rows are in local_ts "
                                              r"order \(EXCH_EVENT rows within their feed latency\), so one of the "
                                              r"two is wrong"):
        hbt.convert([p], tmp_path / "s")


# --------------------------------------------------------------------------- Tardis: one venue per store
def test_tardis_trades_of_another_exchange_are_an_error(tmp_path):
    """Symbols repeat across venues (BTCUSDT on binance-futures and bybit): a trades file of another
    exchange than the book's was merged into one store, silently."""
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = tmp_path / "trades.csv"
    tp.write_text("\n".join([TD_TRADE_HDR, f"bybit,XUSDT,{US0 + 1500},{US0 + 1600},t1,sell,10.0,0.5"]) + "\n")
    with pytest.raises(mmsim.DataError, match=r"trades.csv: line 2: exchange 'bybit' differs from 'ex' "
                                              r"\(book.csv: line 2\); one store holds one venue's data"):
        tds.convert([srcs[0], tp], tmp_path / "s")


def test_tardis_book_row_of_another_exchange_is_an_error(tmp_path):
    book = td_book_lines()
    book[4] = book[4].replace("ex,", "binance-futures,", 1)
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    with pytest.raises(mmsim.DataError, match=r"book.csv: line 5: exchange 'binance-futures' differs from 'ex' "
                                              r"\(book.csv: line 2\); one store holds one venue's data"):
        tds.convert(srcs, tmp_path / "s")


# --------------------------------------------------------------------------- Tardis duplicate trades
def _td_trades(tmp_path, rows, name="trades.csv"):
    """A Tardis trades file of ``(dt_us, dlocal_us, id, side, price, amount)`` rows after US0."""
    p = tmp_path / name
    p.write_text("\n".join([TD_TRADE_HDR] + [f"ex,XUSDT,{US0 + dt},{US0 + dl},{i},{s},{px},{q}"
                                              for dt, dl, i, s, px, q in rows]) + "\n")
    return p


def _td_trade_events(st):
    ev = np.asarray(st.events)
    ev = ev[ev["kind"] == Kind.TRADE]
    return [(int(e["exch_ts"]) // 1000 - US0, int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev]


def test_tardis_trade_sent_again_is_dropped_once_by_its_id(tmp_path):
    # A reconnecting capture receives t1 again (same exchange time, later receive time).
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path, [(1500, 1600, "t1", "sell", "10.0", "0.5"),
                               (2500, 2600, "t2", "buy", "10.5", "0.5"),
                               (1500, 2700, "t1", "sell", "10.0", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    # tick 0.5, lot 0.1 (the finest decimal of the book's amounts, 0.5): t1 once, t2 once.
    assert _td_trade_events(st) == [(1500, -1, 20, 5), (2500, 1, 21, 5)]
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 1


def test_tardis_integer_trade_ids_sent_again_are_dropped_and_empty_ids_kept(tmp_path):
    # Numeric ids (Binance, Bybit, OKX) take the run-set path; empty ids (a venue that
    # gives none) are never duplicates: two identical id-less prints are two trades.
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path, [(1500, 1600, "1001", "sell", "10.0", "0.5"),
                               (1500, 1600, "1002", "sell", "10.0", "0.5"),
                               (1500, 1700, "1001", "sell", "10.0", "0.5"),
                               (1500, 1700, "1002", "sell", "10.0", "0.5"),
                               (2500, 2600, "", "buy", "10.5", "0.5"),
                               (2500, 2600, "", "buy", "10.5", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert _td_trade_events(st) == [(1500, -1, 20, 5), (1500, -1, 20, 5), (2500, 1, 21, 5), (2500, 1, 21, 5)]
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 2


def test_tardis_trade_id_repeated_with_other_fields_is_an_error_naming_both_lines(tmp_path):
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path, [(1500, 1600, "t1", "sell", "10.0", "0.5"),
                               (2500, 2600, "t1", "sell", "10.0", "1")])
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert([srcs[0], tp], tmp_path / "s")
    assert str(ei.value) == f"{tp}: line 3: trade id 't1' was read at line 2 with another timestamp and amount; one id names one trade"
    tp = _td_trades(tmp_path, [(1500, 1600, "77", "sell", "10.0", "0.5"),
                               (1500, 1700, "77", "buy", "10.0", "0.5")], name="t2.csv")
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert([srcs[0], tp], tmp_path / "s2")
    assert str(ei.value) == f"{tp}: line 3: trade id '77' was read at line 2 with another side; one id names one trade"


def test_tardis_zero_or_negative_price_is_an_error_naming_the_line(tmp_path):
    # A book level at 0 and a print at 0 (which trades through every bid) were converted.
    b = td_book_lines()
    b[4] = f"ex,XUSDT,{US0 + 1000},{US0 + 1100},false,bid,0,2"
    srcs, bp = tardis(tmp_path, book=b, with_trades=False)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == f"{bp}: line 5: price 0 is not positive (Tardis' venues' prices are)"
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path, [(1500, 1600, "t1", "sell", "-10.0", "0.5")])
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert([srcs[0], tp], tmp_path / "s2")
    assert str(ei.value) == f"{tp}: line 2: price -10.0 is not positive (Tardis' venues' prices are)"


# --------------------------------------------------------------------------- Databento CSV price styles
def _db_prices(lines, tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    srcs, _ = databento_csv(d, lines=lines)
    st = dbt.convert(srcs, d / "s", tick_size=0.25)
    ev = np.asarray(st.events)
    return ev["price"][ev["kind"] == Kind.ADD].tolist()


def test_databento_csv_first_price_zero_does_not_decide_the_price_style(tmp_path):
    # A first price "0" (no decimal point) made every later "4800.25" a "malformed row",
    # naming a well-formed line. 0 is 0 in either style; the first nonzero price decides.
    lines = db_csv_lines()
    for k in (1, 4, 5, 6):  # order 11 at 0: its print and fill too (a fill at 4800 is not its: loadbreak18)
        lines[k] = lines[k].replace(",4800.00,", ",0,")
    assert _db_prices(lines, tmp_path, "a") == [0, 19201, 19200]
    # A decimal file may write a whole price without a point: 4800 is 4800.00.
    lines = db_csv_lines()
    lines[3] = lines[3].replace(",4800.00,", ",4800,")
    assert _db_prices(lines, tmp_path, "b") == [19200, 19201, 19200]


def test_databento_csv_decimal_price_in_a_fixed_point_file_is_an_error_naming_both_lines(tmp_path):
    raw = [x.replace(",4800.00,", ",4800000000000,").replace(",4800.25,", ",4800250000000,") for x in db_csv_lines()]
    assert _db_prices(raw, tmp_path, "raw") == [19200, 19201, 19200]
    mixed = raw[:3] + [db_csv_lines()[3]] + raw[4:]
    srcs, p = databento_csv(tmp_path, lines=mixed)
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert(srcs, tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 4: price '4800.00' is a decimal, but the file's prices are Databento "
                             "fixed-point integers (units of 1e-9, as line 2): one price style per file")


def _tardis_book_lines(n: int) -> list[str]:
    t0 = 1_700_000_000_000_000  # µs
    rows = ["exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"]
    for k in range(n):
        side, px = ("bid", "100.0") if k % 2 else ("ask", "100.5")
        rows.append(f"binance,BTCUSDT,{t0 + 1000 * (k + 1)},{t0 + 1000 * (k + 1) + 500},false,{side},{px},{k % 7 + 1}")
    return rows


@pytest.mark.parametrize("members", [1, 2])
def test_a_cut_gzip_names_the_line_where_its_data_stops(tmp_path, members):
    """A gzip download cut short: the read that fails loses what it decompressed of its 1 MiB
    block, so a file under 1 MiB was "line 1" whatever its length. Cut after all 2,001 lines
    (only the 8-byte trailer missing), the data stops at line 2002; the same with the lines
    split over two gzip members (as `cat a.gz b.gz` makes), the second one cut."""
    from mmsim.data import tardis as tds

    lines = _tardis_book_lines(2000)
    text = ["\n".join(part) + "\n" for part in ([lines] if members == 1 else [lines[:1000], lines[1000:]])]
    raw = b"".join(gzip.compress(t.encode()) for t in text)[:-8]
    book = tmp_path / "book.csv.gz"
    book.write_bytes(raw)
    with pytest.raises(mmsim.DataError) as e:
        tds.convert([book], tmp_path / "s")
    assert str(e.value).startswith(f"{book}: line 2002: truncated or corrupt compressed file (")


# --------------------------------------------------------------------------- Tardis: the book starts at a snapshot
def test_tardis_updates_and_trades_before_the_first_snapshot_are_dropped_and_counted(tmp_path):
    """A book file cut from a day's middle: its first rows update a book never seen. Kept, they
    seeded a partial book (here a best ask of 11.0 where the snapshot's is 10.5) and a trade
    against it; they are dropped and counted, as the Binance loader does."""
    rows = ["ex,XUSDT,{t},{t},false,ask,11.0,3", "ex,XUSDT,{t},{t},false,bid,9.0,1"]
    head = [r.format(t=US0 - 500) for r in rows]
    book = [TD_BOOK_HDR, *head, *td_book_lines()[1:]]
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    tp = _td_trades(tmp_path, [(-400, -400, "t0", "buy", "11.0", "0.5"),  # before the snapshot (local US0 + 100)
                               (1500, 1600, "t1", "sell", "10.0", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 3  # two updates, one trade
    ev = np.asarray(st.events)
    assert int(ev["kind"][0]) == Kind.CLEAR and int(ev["exch_ts"][0]) // 1000 == US0
    # tick 0.5, lot 0.1 (the finest decimal of the amounts, 0.5): the snapshot's three levels first
    assert [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == Kind.DEPTH][:3] == \
        [(1, 20, 10), (-1, 21, 10), (1, 19, 20)]
    assert _td_trade_events(st) == [(1500, -1, 20, 5)]
    # A file that starts at its snapshot drops nothing.
    (tmp_path / "b").mkdir()
    srcs, _ = tardis(tmp_path / "b")
    assert tds.convert(srcs, tmp_path / "s2").meta["quirks"]["dropped_before_snapshot"] == 0


def test_tardis_book_file_without_any_snapshot_is_an_error_naming_it(tmp_path):
    book = [TD_BOOK_HDR] + [r.replace(",true,", ",false,") for r in td_book_lines()[1:]]
    srcs, bp = tardis(tmp_path, book=book, with_trades=False)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (f"{bp}: none of its 6 book rows is a snapshot (is_snapshot=true), so the book they "
                             "update is never known; Tardis starts each day's incremental_book_L2 file with one (a "
                             "file cut from a day's middle has none)")
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- a time just past a 10 s window
def test_seconds_past_a_window_never_read_as_the_window_itself():
    from mmsim.data._common import seconds_over

    assert seconds_over(3_599_999_000_000) == "3599.999"
    assert seconds_over(10_000_000_000) == "10.000"          # exactly the window: accepted by the loaders
    assert seconds_over(10_000_000_001) == "10.000000001"    # 1 ns past it: refused, and says so
    assert seconds_over(10_000_400_000) == "10.0004"
    assert seconds_over(2_000_000_001, 2_000_000_000) == "2.000000001"


def test_tardis_row_one_microsecond_past_the_receive_window_names_the_excess(tmp_path):
    # Exactly 10 s back converts; 10 s + 1 us is refused, and read "10.000 s" (as if 10 s were refused).
    book = td_book_lines()
    parts = book[4].split(",")
    nxt = int(book[5].split(",")[3])
    for back, ok in ((10_000_000, True), (10_000_001, False)):
        parts[3] = str(nxt + back)
        book[4] = ",".join(parts)
        d = tmp_path / str(back)
        d.mkdir()
        srcs, _ = tardis(d, book=book, with_trades=False)
        if ok:
            tds.convert(srcs, d / "s")
            continue
        with pytest.raises(mmsim.DataError, match=rf"book.csv: line 6: local_timestamp {nxt} is 10.000001 s before "
                                                  rf"line 5's \({nxt + back}\)"):
            tds.convert(srcs, d / "s")


def test_a_store_without_a_symbol_says_so_in_its_summary(tmp_path):
    # hftbacktest files carry no symbol: the line read "69,520 events,  (hftbacktest)".
    from mmsim.data import hftbacktest as hbt
    from _corpus import hbt_rows

    srcs, _ = hbt_file(tmp_path, hbt_rows(False))
    st = hbt.convert(srcs, tmp_path / "s")
    assert st.meta["symbol"] == ""
    assert f"{len(st):,} events, no symbol (hftbacktest), tick " in summary(st)


# ----------------------------------------------------------------------------- a price far from the book, as written


def test_tardis_price_far_from_the_book_is_quoted_as_written_with_the_other_end(tmp_path):
    # Line 7's update asks 1e10 at a tick of 0.5 (2e10 ticks): more than 2^34 ticks from the
    # snapshot's bid at 10.0 (20 ticks, line 2, event 1 after the CLEAR). The message quoted both in
    # ticks ("price 20000000000 is too far from price 20 (event 1)"), numbers the file never had;
    # now as the file writes them, and the other end's line.
    b = td_book_lines()
    b[6] = b[6].replace(",11.0,", ",1e10,")
    srcs, bp = tardis(tmp_path, book=b)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s", tick_size=0.5)
    assert str(ei.value) == (f"{bp}: line 7: price 1e10 is too far from price 10.0 ({bp}: line 2, event 1) for one "
                             "book: more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick size "
                             "(event 8 of the store)")


def test_tardis_far_first_snapshot_price_and_a_trade_are_quoted_as_written(tmp_path):
    # The other end: the snapshot's first bid (line 2) is the bad price, 20000000000.00; the ask at
    # 10.5 on line 3 is refused against it, both quoted as written. And a trade (the trades file's
    # line 3, 2E10) against the snapshot's bid 10.0: the other file named for the other end.
    b = td_book_lines()
    b[1] = b[1].replace(",10.0,", ",20000000000.00,")
    srcs, bp = tardis(tmp_path, book=b)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s", tick_size=0.5)
    assert str(ei.value).startswith(f"{bp}: line 3: price 10.5 is too far from price 20000000000.00 ({bp}: line 2, "
                                    "event 1) for one book: ")
    d = tmp_path / "trades"
    d.mkdir()
    t = td_trade_lines()
    t[2] = t[2].replace(",10.5,", ",2E10,")
    srcs, bp = tardis(d, trades=t)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, d / "s", tick_size=0.5)
    assert str(ei.value).startswith(f"{srcs[1]}: line 3: price 2E10 is too far from price 10.0 ({bp}: line 2, "
                                    "event 1) for one book: ")


def test_binance_price_far_from_the_book_is_quoted_as_written_among_the_lines_levels(tmp_path):
    # Line 4's diff asks 10.3 and 10000000000.0 at a tick of 0.1 (1e11 ticks): the second is more than
    # 2^34 ticks from the snapshot's bid 10.0 (line 1, event 1). Of the line's levels, the one of
    # those ticks is quoted, as written; it was "price 100000000000 is too far from price 100".
    msgs = bn_lines()
    msgs[3]["data"]["a"] = [["10.3", "1.000"], ["10000000000.0", "1.000"]]
    srcs, p = binance(tmp_path, msgs)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="binance", tick_size=0.1)
    assert str(ei.value) == (f"{p}: line 4: price 10000000000.0 is too far from price 10.0 ({p}: line 1, event 1) for "
                             "one book: more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick "
                             "size (event 8 of the store)")


def test_binance_far_first_snapshot_bid_is_quoted_as_written_at_the_other_end(tmp_path):
    # The snapshot's first bid is the bad price: its next level, 9.9, is refused against it.
    msgs = bn_lines()
    msgs[0] = dict(msgs[0], bids=[["10000000000.00", "1.000"], ["9.9", "2.000"]])
    srcs, p = binance(tmp_path, msgs)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="binance", tick_size=0.1)
    assert str(ei.value).startswith(f"{p}: line 1: price 9.9 is too far from price 10000000000.00 ({p}: line 1, "
                                    "event 1) for one book: ")
