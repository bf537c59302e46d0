"""fix34c: Databento tidy-ups (closing23's final read). A record received before it happened is one rule with one
message (two checks of two messages before: the 1 ms rule, and a later record going back before it); ``l2_only`` is
given to the store writer, not set after it."""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import NS0, db_csv_lines, dbn_bytes
from test_fix30c_databento import EARLY_TAIL, _at, _zstd_raw, no_zstd

import mmsim
from mmsim.data import convert
from mmsim.data.store import EventStoreWriter


def _early_lines(delay_ns: int) -> list[str]:
    """Databento CSV lines whose line 3 (the add of order 12) has its ts_event ``delay_ns`` after its ts_recv."""
    lines = db_csv_lines()
    f = lines[2].split(",")
    f[1] = str(int(f[0]) + delay_ns)
    lines[2] = ",".join(f)
    return lines


def test_a_record_early_in_one_file_contradicted_in_the_next_is_named_by_its_own_file(tmp_path):
    # The files of one convert are one stream: a record of a.csv received 5 s before it happened, and the first of
    # b.csv going back before it. Before: "b.csv: a.csv: line 3: ..." (the later file's path before the record's).
    lines = _early_lines(5_000_000_000)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("\n".join(lines[:3]) + "\n")
    b.write_text("\n".join([lines[0]] + lines[3:]) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([a, b], tmp_path / "s", format="databento", tick_size=0.25)
    assert str(info.value) == (
        f"{a}: line 3: ts_event {NS0 + 5_000_000_250} is 5.000 s after its ts_recv {NS0 + 250} (received before it "
        f"happened), and {b}: line 2 after it has ts_event {NS0 + 300}, before it: {EARLY_TAIL.format(5.0)}line")


def test_one_message_whichever_shows_the_ts_event_wrong(tmp_path):
    # 2 ms early with no record going back before it (the 1 ms rule, at the end) and 0.5 ms early with one (at the
    # record after it): the same sentence, its reason apart.
    lines = _early_lines(2_000_000)
    for ln in range(3, len(lines)):  # every later record after it: nothing goes back before it
        f = lines[ln].split(",")
        f[0], f[1] = str(int(f[0]) + 3_000_000), str(int(f[1]) + 3_000_000)
        lines[ln] = ",".join(f)
    p = tmp_path / "late.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="databento", tick_size=0.25)
    far = str(info.value)
    assert far == (f"{p}: line 3: ts_event {NS0 + 2_000_250} is 0.002 s after its ts_recv {NS0 + 250} (received "
                   "before it happened), by more than 0.001 s, while Databento's ts_recv is its PTP-synchronised "
                   f"capture clock: {EARLY_TAIL.format(0.002)}line")
    q = tmp_path / "near.csv"
    q.write_text("\n".join(_early_lines(500_000)) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([q], tmp_path / "t", format="databento", tick_size=0.25)
    near = str(info.value)
    # 0.5 ms to the ns: it read "0.001 s" (3 decimals), the 1 ms rule's own bound
    tail = EARLY_TAIL.replace("{:.3f}", "0.0005")
    assert near == (f"{q}: line 3: ts_event {NS0 + 500_250} is 0.0005 s after its ts_recv {NS0 + 250} (received "
                    f"before it happened), and line 4 after it has ts_event {NS0 + 300}, before it: {tail}line")
    assert far.split(": a corrupt record")[1] == near.split(": a corrupt record")[1].replace("0.0005", "0.002")


def test_l2_only_is_given_to_the_writer(tmp_path):
    # It was set on the writer after construction (databento.py, lobster.py): a keyword of the constructor now.
    from mmsim.events import EVENT_DTYPE, Kind

    ev = np.zeros(1, EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = NS0
    ev["kind"] = Kind.ADD
    with EventStoreWriter(tmp_path / "s", l2_only=True) as w:
        assert w.l2_only is True
        with pytest.raises(mmsim.DataError, match=r"ADD, an order event"):
            w.append(ev)
    with EventStoreWriter(tmp_path / "t") as w:
        assert w.l2_only is False
        w.append(ev)
        w.abort()


# ----------------------------------------------------------------------------- a .dbn.zst's bad record, named

def _has_zstd() -> bool:
    import importlib.util
    import shutil

    return shutil.which("zstd") is not None or importlib.util.find_spec("zstandard") is not None


needs_zstd = pytest.mark.skipif(not _has_zstd(), reason="no zstd decompressor here (zstandard module, zstd command)")


def _transcoded(raw: bytes) -> bytes:
    """``raw`` (a DBN stream) zstd-compressed by databento_dbn's own encoder (compressed blocks, as Databento's)."""
    import gc
    import io

    import databento_dbn as dbn

    f = io.BytesIO()
    t = dbn.Transcoder(f, dbn.Encoding.DBN, dbn.Compression.ZSTD)
    t.write(raw)
    t.flush()
    del t  # its zstd frame is ended when the encoder is dropped
    gc.collect()
    return f.getvalue()


def _refused_zst(tmp_path, data: bytes, name="mbo.dbn.zst") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="databento", tick_size=0.25)
    return str(info.value).removeprefix(f"{p}: ")


@needs_zstd
def test_a_zst_record_that_does_not_decode_is_named(tmp_path):
    # Was "record 1 or a later one: cannot decode DBN (...); a zstd file is decoded in chunks: decompress it".
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 5) + 1] = 0x42  # no such rtype
    assert _refused_zst(tmp_path, _transcoded(bytes(raw))) == (
        "record 5: cannot decode DBN: couldn't convert 0x42 to dbn::enums::RType")


@needs_zstd
def test_a_zst_record_of_a_wrong_length_is_named_as_in_a_dbn(tmp_path):
    # databento_dbn's encoder refuses to write a record of a wrong length: a zstd frame of stored blocks holds it.
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 5)] = 15  # 60 bytes for an MBO record of 56: the records after it misaligned
    assert _refused_zst(tmp_path, _zstd_raw(bytes(raw))) == (
        "record 5: cannot decode DBN: its length byte says 60 bytes, but a record of rtype 0xA0 (MBOMsg) is 56 bytes")
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 3)] = 2
    assert _refused_zst(tmp_path, _zstd_raw(bytes(raw)), "b.dbn.zst") == (
        "record 3: cannot decode DBN: its length byte says 8 bytes, shorter than a record header (16 bytes)")


@needs_zstd
def test_a_zst_record_past_the_first_megabyte_is_named_not_the_decoders_chunk(tmp_path, monkeypatch):
    # 20,000 records (1.1 MB): the decoder's failed chunk begins at record 18721; the bad one is 19500.
    n = 20_000
    rows = [(100 + i, "A", "B" if i % 2 else "A", "4800.00" if i % 2 else "4800.25", 1, 100 + i, 130) for i in range(n)]
    raw = bytearray(dbn_bytes(rows))
    raw[_at(raw, n, 19_500)] = 15
    assert _refused_zst(tmp_path, _zstd_raw(bytes(raw))) == (
        "record 19500: cannot decode DBN: its length byte says 60 bytes, but a record of rtype 0xA0 (MBOMsg) is 56 bytes")
    no_zstd(monkeypatch)  # with no decompressor: the decoder's chunk, as before
    assert _refused_zst(tmp_path, _zstd_raw(bytes(raw)), "b.dbn.zst").startswith(
        "record 18721 or a later one: cannot decode DBN (")


def test_a_zst_stream_that_is_cut_is_still_named_as_before(tmp_path):
    # Not a record's fault: the zstd checks keep their messages (the decompressor finds no bad record).
    z = _transcoded(dbn_bytes())
    msg = _refused_zst(tmp_path, z[: len(z) - 9])
    assert msg.startswith("record ") and "zstd" in msg


def test_a_zstd_command_that_cannot_start_leaves_the_decoders_message(tmp_path, monkeypatch):
    # A decompressor that fails to start (here a zstd "command" that is a directory) is no traceback: as with none.
    import mmsim.data._dbn_check as check

    no_zstd(monkeypatch)
    monkeypatch.setattr(check.shutil, "which", lambda name: str(tmp_path))
    raw = bytearray(dbn_bytes())
    raw[_at(raw, 7, 5) + 1] = 0x42
    assert _refused_zst(tmp_path, _transcoded(bytes(raw))).startswith("record 1 or a later one: cannot decode DBN (")
