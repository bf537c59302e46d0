"""breaker29's findings on the Databento loader (fix30c).

7. A DBN record of another schema inside an MBO stream (an OHLCV record of the same length) was dropped silently, its
   update lost: refused naming the record (error, symbol-mapping and system records are skipped, as before). A side
   code other than A/B/N passed in DBN where the CSV refuses it: one rule. A record of a wrong length was reported at
   the decoder's chunk start (record 18721 for record 20001): the record is named.
11. ``F_MAYBE_BAD_BOOK`` (Databento: an unrecoverable gap in the venue's channel) was ignored: counted in
    ``quirks.maybe_bad_book`` with the first record, warned at convert and shown in a run report's data row.
12. A record whose ts_event is after its ts_recv (+5 s) was not named: the next record was, as non-monotonic. A
    mid-stream snapshot stamped at its generation time (Databento's, flagged F_SNAPSHOT | F_BAD_TS_RECV) followed by a
    record sent before it and received after it was refused: the snapshot takes that record's ts_event.
"""

from __future__ import annotations

import struct
import sys

import numpy as np
import pytest
from _corpus import DB_ROWS, NS0, db_csv_lines, dbn_bytes

import mmsim
from mmsim import Kind
from mmsim.cli import main
from mmsim.data import convert

MBO = 56  # bytes of a DBN MBO record (versions 1 to 3)


def _csv(tmp_path, lines, name="mbo.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _dbn(tmp_path, raw: bytes, name="mbo.dbn"):
    p = tmp_path / name
    p.write_bytes(raw)
    return p


def _refused(tmp_path, p, **kw) -> str:
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="databento", tick_size=0.25, **kw)
    return str(info.value).removeprefix(f"{p}: ")


def _at(raw: bytes, n_records: int, k: int) -> int:
    """Byte offset of record ``k`` (1-based) of a stream of ``n_records`` MBO records after its metadata."""
    return len(raw) - MBO * (n_records - k + 1)


def no_zstd(monkeypatch) -> None:
    """This process without a zstd decompressor (mmsim.data._dbn_check._unzstd): no module, no ``zstd`` command."""
    import mmsim.data._dbn_check as check

    monkeypatch.setitem(sys.modules, "zstandard", None)
    monkeypatch.setitem(sys.modules, "compression", None)
    monkeypatch.setattr(check.shutil, "which", lambda name: None)


def _zstd_raw(data: bytes) -> bytes:
    """A zstd frame of raw (stored) blocks: a .dbn.zst whose records are exactly ``data`` (no encoder needed)."""
    out = [struct.pack("<I", 0xFD2FB528), bytes([0x00, 10 << 3])]  # no checksum, no size; window 1 MB
    blocks = [data[i:i + (1 << 17)] for i in range(0, len(data), 1 << 17)] or [b""]
    for i, b in enumerate(blocks):
        out.append(((len(b) << 3) | (i == len(blocks) - 1)).to_bytes(3, "little") + b)
    return b"".join(out)


# ----------------------------------------------------------------------------- 7. another schema, a side, a length

OTHER = ("in an MBO stream: mmsim reads MBO records (error, symbol-mapping and system records aside); one of another "
         "schema here would be dropped with its update, leaving the book wrong (a corrupt record, or a file of several "
         "schemas)")


def test_dbn_ohlcv_record_of_the_same_length_in_an_mbo_stream_is_refused_naming_it(tmp_path):
    # breaker29: the rtype byte of a C (0xA0) set to 0x20, an OHLCV-1s record of 56 bytes too: the C was dropped.
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 7) + 1] = 0x20
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw))) == f"record 7: a record of rtype 0x20 (OHLCV_1S, OHLCVMsg) {OTHER}"


def test_dbn_trade_record_in_an_mbo_stream_is_refused_and_a_system_record_is_skipped(tmp_path):
    import databento_dbn as dbn

    raw = dbn_bytes()
    head, recs = raw[:_at(raw, 7, 1)], raw[_at(raw, 7, 1):]
    trade = bytes(dbn.TradeMsg(publisher_id=1, instrument_id=7, ts_event=NS0 + 350, price=4800_000_000_000, size=1,
                               action=dbn.Action.TRADE, side=dbn.Side.ASK, flags=0, depth=0, ts_recv=NS0 + 400,
                               ts_in_delta=0, sequence=4))
    p = _dbn(tmp_path, head + recs[:3 * MBO] + trade + recs[3 * MBO:])
    assert _refused(tmp_path, p) == f"record 4: a record of rtype 0x00 (MBP_0, TradeMsg) {OTHER}"
    # A heartbeat (a live session's system record) is skipped, as before: the same events as without it.
    beat = bytes(dbn.SystemMsg(ts_event=NS0 + 350, msg="Heartbeat"))
    with_beat = convert([_dbn(tmp_path, head + recs[:3 * MBO] + beat + recs[3 * MBO:], "beat.dbn")], tmp_path / "b",
                        format="databento", tick_size=0.25)
    plain = convert([_dbn(tmp_path, raw, "plain.dbn")], tmp_path / "p", format="databento", tick_size=0.25)
    assert with_beat.meta["events_digest"] == plain.meta["events_digest"]


def test_dbn_side_other_than_a_b_n_is_refused_as_the_csv_refuses_it(tmp_path):
    # breaker29: an M's side byte set to 'Z' converted to the same events; the CSV said "malformed row: side 'Z'".
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 7) + 39] = ord("Z")  # the C of order 13 (its side is not used: it passed)
    why = "side 'Z' is not A (ask), B (bid) or N (none)"
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw))) == f"record 7: malformed record: {why}"
    rows = db_csv_lines()
    rows[7] = rows[7].replace(",C,B,", ",C,Z,")
    assert _refused(tmp_path, _csv(tmp_path, rows)) == f"line 8: malformed row: {why}"
    # A trade's side (an aggressor of 'Z' read as none before).
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 4) + 39] = ord("Z")
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw), "t.dbn")) == f"record 4: malformed record: {why}"


def test_dbn_record_of_a_wrong_length_is_named_not_the_decoders_chunk(tmp_path):
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 5)] = 15  # 60 bytes for an MBO record of 56: the records after it misaligned
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw))) == (
        "record 5: cannot decode DBN: its length byte says 60 bytes, but a record of rtype 0xA0 (MBOMsg) is 56 bytes")
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 3)] = 2
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw), "b.dbn")) == (
        "record 3: cannot decode DBN: its length byte says 8 bytes, shorter than a record header (16 bytes)")


def test_dbn_version_1_record_of_a_wrong_length_after_a_symbol_mapping_record_is_named(tmp_path):
    # Read as they are in the file: a version 1 symbol-mapping record is 80 bytes (176 once upgraded to version 3).
    import databento_dbn as dbn

    meta = dbn.Metadata(dataset="GLBX.MDP3", schema=dbn.Schema.MBO, start=0, stype_in=dbn.SType.RAW_SYMBOL,
                        stype_out=dbn.SType.INSTRUMENT_ID, symbols=["ESH4"], partial=[], not_found=[], mappings=[],
                        version=1)
    mapping = bytes(dbn.SymbolMappingMsgV1(publisher_id=1, instrument_id=7, ts_event=NS0, stype_in_symbol="ESH4",
                                           stype_out_symbol="7", start_ts=0, end_ts=NS0 + 10**9))
    raw = dbn_bytes()
    recs = bytearray(raw[_at(raw, 7, 1):])
    recs[3 * MBO] = 15  # the 4th MBO record, record 5 after the mapping
    p = _dbn(tmp_path, meta.encode() + mapping + bytes(recs))
    assert _refused(tmp_path, p) == (
        "record 5: cannot decode DBN: its length byte says 60 bytes, but a record of rtype 0xA0 (MBOMsg) is 56 bytes")
    # Intact, the mapping record is skipped and the file converts.
    st = convert([_dbn(tmp_path, meta.encode() + mapping + raw[_at(raw, 7, 1):], "ok.dbn")], tmp_path / "ok",
                 format="databento", tick_size=0.25)
    plain = convert([_dbn(tmp_path, raw, "plain.dbn")], tmp_path / "p", format="databento", tick_size=0.25)
    assert st.meta["events_digest"] == plain.meta["events_digest"]


def test_dbn_record_of_a_wrong_length_past_the_first_chunk_is_named(tmp_path):
    # breaker29: record 20001 of the ESH4 sample was reported as record 18721, where the decoder's 1 MB chunk began.
    n = 20_000
    rows = [(100 + i, "A", "B" if i % 2 else "A", "4800.00" if i % 2 else "4800.25", 1, 100 + i, 130) for i in range(n)]
    raw = bytearray(dbn_bytes(rows))
    raw[_at(raw, n, 19_500)] = 15
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw))) == (
        "record 19500: cannot decode DBN: its length byte says 60 bytes, but a record of rtype 0xA0 (MBOMsg) is 56 bytes")


def test_dbn_zst_record_that_does_not_decode_says_this_record_or_a_later_one(tmp_path, monkeypatch):
    # A zstd file is decoded a chunk at a time: the record is not known, and the message no longer says it is. On a
    # machine with no zstd decompressor (fix34c: with one, the record is named: tests/test_fix34c_databento.py).
    no_zstd(monkeypatch)
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 5) + 1] = 0x42  # no such rtype
    msg = _refused(tmp_path, _dbn(tmp_path, _zstd_raw(bytes(raw)), "mbo.dbn.zst"))
    assert msg.startswith("record 1 or a later one: cannot decode DBN (")
    assert msg.endswith("); a zstd file is decoded in chunks: decompress it (zstd -d) and convert the .dbn for the record")


# ----------------------------------------------------------------------------- 11. F_MAYBE_BAD_BOOK

MAYBE = 4


def test_maybe_bad_book_flag_is_counted_with_its_first_record_and_warned_at_convert(tmp_path, capsys):
    rows = list(DB_ROWS)
    rows[2] = rows[2][:6] + (130 | MAYBE,)
    p = _csv(tmp_path, db_csv_lines(rows))
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "databento", "-q"]) == 0
    store = mmsim.load(tmp_path / "s")
    assert store.meta["quirks"]["maybe_bad_book"] == {"count": 1, "at": "mbo.csv: line 4"}
    assert capsys.readouterr().err.splitlines()[-1] == (
        "warning: 1 record flagged F_MAYBE_BAD_BOOK by Databento (an unrecoverable gap in the venue's channel: the "
        "book may be wrong from there until a clear or snapshot rebuilds it; the first: mbo.csv: line 4) "
        "(quirks.maybe_bad_book)")


def test_maybe_bad_book_in_dbn_counts_every_record_and_a_clean_file_none(tmp_path, capsys):
    rows = list(DB_ROWS)
    for k in (1, 5):
        rows[k] = rows[k][:6] + (rows[k][6] | MAYBE,)
    st = convert([_dbn(tmp_path, dbn_bytes(rows))], tmp_path / "s", format="databento", tick_size=0.25)
    assert st.meta["quirks"]["maybe_bad_book"] == {"count": 2, "at": "mbo.dbn: record 2"}
    clean = convert([_dbn(tmp_path, dbn_bytes(), "c.dbn")], tmp_path / "c", format="databento", tick_size=0.25)
    assert clean.meta["quirks"]["maybe_bad_book"] == {"count": 0, "at": None}
    assert main(["convert", str(tmp_path / "c.dbn"), "-o", str(tmp_path / "c2"), "--format", "databento"]) == 0
    assert "F_MAYBE_BAD_BOOK" not in capsys.readouterr().err


def test_maybe_bad_book_is_in_a_run_reports_data_row(tmp_path):
    from mmsim.report.setup import describe_setup, setup_rows

    rows = list(DB_ROWS)
    rows[2] = rows[2][:6] + (130 | MAYBE,)
    st = convert([_csv(tmp_path, db_csv_lines(rows))], tmp_path / "s", format="databento", tick_size=0.25)
    r = mmsim.run(st, None)
    ev = st.events
    setup = describe_setup(r, t_start=int(ev["exch_ts"][0]), t_end=int(ev["exch_ts"][-1]), n_events=len(ev),
                           version="x", events=ev, event_store=st)
    assert setup["data"]["maybe_bad_book"] == {"count": 1, "at": "mbo.csv: line 4"}
    assert dict(setup_rows(setup))["data"].endswith(
        "; 1 record flagged F_MAYBE_BAD_BOOK by Databento (an unrecoverable gap in the venue's channel: the book may be "
        "wrong from there until a clear or snapshot rebuilds it; the first: mbo.csv: line 4) (quirks.maybe_bad_book)")


# ----------------------------------------------------------------------------- 12. ts_event after ts_recv; resnapshot


#: The words after why a record received before it happened is refused: one message with the 1 ms rule (fix34c).
EARLY_TAIL = ("a corrupt record, not a capture clock behind the venue's to shift every receive time by +{:.3f} s for; "
              "fix or remove the ")


def test_ts_event_after_its_ts_recv_is_named_not_the_record_after_it(tmp_path):
    # breaker29: "line 15003: non-monotonic timestamp ... at line 15002"; the bad record is 15002.
    lines = db_csv_lines()
    f = lines[2].split(",")
    f[1] = str(int(f[1]) + 5_000_000_000)  # its ts_event 5 s late; ts_recv as received
    lines[2] = ",".join(f)
    assert _refused(tmp_path, _csv(tmp_path, lines)) == (
        f"line 3: ts_event {NS0 + 5_000_000_200} is 5.000 s after its ts_recv {NS0 + 250} (received before it "
        f"happened), and line 4 after it has ts_event {NS0 + 300}, before it: {EARLY_TAIL.format(5.000)}line")


def test_ts_event_after_its_ts_recv_in_dbn_by_2_ms_is_named(tmp_path):
    rows = list(DB_ROWS)
    rows[3] = (2_000_400,) + rows[3][1:]  # the T: ts_recv 50 ns after, as every record
    raw = bytearray(dbn_bytes(rows))
    struct.pack_into("<Q", raw, _at(raw, 7, 4) + 40, NS0 + 450)  # its ts_recv back to 50 ns after the F's event
    assert _refused(tmp_path, _dbn(tmp_path, bytes(raw))) == (
        f"record 4: ts_event {NS0 + 2_000_400} is 0.002 s after its ts_recv {NS0 + 450} (received before it happened), "
        f"and record 5 after it has ts_event {NS0 + 400}, before it: {EARLY_TAIL.format(0.002)}record")


def _resnap_rows(gen: int) -> list:
    """DB_ROWS to the trade's cancel, a snapshot generated at ``gen`` (R, then the orders left: 12 and 13), then a
    cancel of order 13 sent at +600 ns and received at +650 ns."""
    snap = [f"{gen},{NS0 + 450},0,0,7,ESH4,R,N,,0,0,40,0",
            f"{gen},{NS0 + 200},0,0,7,ESH4,A,A,4800.25,1,12,40,0",
            f"{gen},{NS0 + 300},0,0,7,ESH4,A,B,4800.00,3,13,168,0"]
    return db_csv_lines(DB_ROWS[:6])[:7] + snap + [f"{NS0 + 650},{NS0 + 600},0,9,7,ESH4,C,B,4800.00,1,13,130,0"]


def test_mid_stream_snapshot_stamped_after_the_next_records_event_takes_its_time(tmp_path):
    # Databento: snapshot records carry F_SNAPSHOT | F_BAD_TS_RECV, ts_recv the generation time; the record after it
    # was sent at +600 ns, before the generation at +620 ns, and received at +650 ns. It was refused non-monotonic.
    st = convert([_csv(tmp_path, _resnap_rows(NS0 + 620))], tmp_path / "s", format="databento", tick_size=0.25)
    ev = st.events
    clear = int(np.flatnonzero(ev["kind"] == Kind.CLEAR)[-1])
    assert (int(ev["exch_ts"][clear]), int(ev["local_ts"][clear])) == (NS0 + 600, NS0 + 620)
    assert [int(t) for t in ev["exch_ts"][clear:]] == [NS0 + 600] * 4  # CLEAR, two ADDs, the cancel
    assert st.meta["quirks"]["snapshots_stamped_at_next_event"] == 1
    # Generated before that record was sent: the snapshot keeps its own time, as the file-start snapshot does.
    st = convert([_csv(tmp_path, _resnap_rows(NS0 + 580), "b.csv")], tmp_path / "b", format="databento",
                 tick_size=0.25)
    clear = int(np.flatnonzero(st.events["kind"] == Kind.CLEAR)[-1])
    assert int(st.events["exch_ts"][clear]) == NS0 + 580
    assert st.meta["quirks"]["snapshots_stamped_at_next_event"] == 0
