"""Databento MBO record readers: DBN (``.dbn``/``.dbn.zst``, via ``databento_dbn``) and Databento's CSV, as plain tuples."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._common import ZSTD_MAGIC, Progress, csv_rows, decimals_to_int
from ._dbn_check import _STOP, _RustPanicQuiet, bad_record, zstd_bad_record

__all__ = ["Record", "dbn_meta", "records"]

_DIGITS = 9  # Databento fixed-point prices: 1e-9
F_SNAPSHOT = 1 << 5
_UNDEF_PRICE = (1 << 63) - 1
_SIDES = frozenset(("A", "B", "N"))  # Databento's side codes (DBN's decoder passes any other byte on as it is)
#: Record types an MBO stream may hold besides MBO records, skipped (a live session's): error (21), symbol mapping (22),
#: system (23; heartbeats, "replay completed"). Any other (an OHLCV, MBP, trade or status record) is refused.
_SKIPPED_RTYPES = frozenset((21, 22, 23))

# (ts_recv, ts_event, action, side, price_1e9 or None, size, order_id, flags, instrument, position, sequence)
Record = tuple


def _is_zstd(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == ZSTD_MAGIC


def _looks_like_csv(head: bytes) -> bool:
    """Whether decompressed bytes start like Databento's CSV (a header line naming ts_recv or ts_event)."""
    line = bytes(head[:4096]).split(b"\n", 1)[0]
    return b"," in line and (b"ts_recv" in line or b"ts_event" in line)


def _is_dbn(path: Path) -> bool:
    if _is_zstd(path):
        return True
    with open(path, "rb") as f:
        return f.read(3) == b"DBN"


def _dbn_records(path: Path, progress: Progress | None) -> Iterator[Record]:
    import databento_dbn as dbn

    zstd = _is_zstd(path)
    comp = dbn.Compression.ZSTD if zstd else dbn.Compression.NONE
    dec = dbn.DBNDecoder(compression=comp)  # type: ignore[arg-type]  # the stub says Compression, the enum is str-based
    pos = 0
    done = 0
    seen_meta = False
    version = None  # the DBN version its header says (an uncompressed file's), for an error's record
    if not zstd:
        with open(path, "rb") as f:
            head = f.read(4)
        version = head[3] if len(head) == 4 and head[:3] == b"DBN" else None
    quiet = _RustPanicQuiet()
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                held = b"" if zstd else bytes(dec.buffer())  # a record begun in the last chunk: with `chunk`, the
                # records from `pos` on, joined only for an error (not a copy of every chunk read)
                try:
                    with quiet:
                        if chunk:
                            dec.write(chunk)
                            done += len(chunk)
                        recs = dec.decode()
                except _STOP:
                    raise
                except BaseException as exc:  # DBNError, RuntimeError, or a Rust panic (a BaseException)
                    if zstd and pos == 0 and not seen_meta and _looks_like_csv(dec.buffer()):
                        # Databento's batch CSV is zstd-compressed by default (.csv.zst).
                        raise DataError(
                            f"{path}: a zstd-compressed CSV, not DBN: Databento CSV is read plain or "
                            "gzip-compressed; decompress it first (zstd -d)"
                        ) from None
                    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    if zstd:  # decompressed again (this machine's zstd), the records read passed (fix34c)
                        named = zstd_bad_record(path, pos)
                    else:
                        named = None if version is None else bad_record(held + chunk, pos, version)
                    if named is not None:
                        raise DataError(f"{path}: record {named[0]}: cannot decode DBN: {named[1]}") from None
                    if zstd:  # no zstd decompressor here: the bad record is one the failed chunk holds, or a later one
                        raise DataError(f"{path}: record {pos + 1} or a later one: cannot decode DBN ({why}); a zstd "
                                        "file is decoded in chunks: decompress it (zstd -d) and convert the .dbn for "
                                        "the record") from None
                    raise DataError(f"{path}: record {pos + 1}: cannot decode DBN from this record on ({why})") from None
                if not chunk:
                    left = len(dec.buffer())
                    if left:
                        raise DataError(
                            f"{path}: record {pos + len(recs) + 1}: the file ends inside a record "
                            f"({left} bytes left over): truncated"
                        )
                    if zstd:
                        bad = _zstd_incomplete(path)
                        if bad:
                            raise DataError(f"{path}: record {pos + len(recs) + 1}: {bad}")
                for r in recs:
                    if isinstance(r, dbn.Metadata):
                        seen_meta = True
                        if r.schema is not None and str(r.schema).lower().split(".")[-1] != "mbo":
                            raise DataError(f"{path}: schema {r.schema} is not MBO (market by order)")
                        continue
                    pos += 1
                    if not isinstance(r, dbn.MBOMsg):
                        rtype = int(getattr(r.rtype, "value", r.rtype))
                        if rtype in _SKIPPED_RTYPES:
                            continue
                        raise DataError(
                            f"{path}: record {pos}: a record of rtype 0x{rtype:02X} ({getattr(r.rtype, 'name', r.rtype)}, "
                            f"{type(r).__name__}) in an MBO stream: mmsim reads MBO records (error, symbol-mapping and "
                            "system records aside); one of another schema here would be dropped with its update, "
                            "leaving the book wrong (a corrupt record, or a file of several schemas)"
                        )
                    side = str(r.side)
                    if side not in _SIDES:
                        raise DataError(f"{path}: record {pos}: malformed record: side {side!r} is not A (ask), B (bid) "
                                        "or N (none)")
                    price = None if r.price == _UNDEF_PRICE else int(r.price)
                    if pos == 1 and not seen_meta:
                        raise DataError(f"{path}: record 1: no DBN metadata header before the records")
                    yield (
                        int(r.ts_recv),
                        int(r.ts_event),
                        str(r.action),
                        side,
                        price,
                        int(r.size),
                        int(r.order_id),
                        int(r.flags),
                        int(r.instrument_id),
                        pos,
                        int(r.sequence),
                    )
                if progress is not None:
                    progress(done)
                if not chunk:
                    break
    finally:
        quiet.close()


def _zstd_incomplete(path: Path) -> str | None:
    """Why a zstd file's frames do not end exactly at the end of the file (None when they do).

    Walks the frame and block headers (RFC 8878) without decompressing: a
    truncated download ends inside a block or before a frame's checksum, which
    the decoder alone reports as a clean end of data.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        off = 0
        while off < size:
            f.seek(off)
            magic = f.read(4)
            if len(magic) < 4:
                return f"truncated or corrupt zstd stream (a frame header is cut at byte {off})"
            m = int.from_bytes(magic, "little")
            if 0x184D2A50 <= m <= 0x184D2A5F:  # skippable frame
                n = int.from_bytes(f.read(4), "little")
                off += 8 + n
                continue
            if m != 0xFD2FB528:
                return f"not a zstd frame at byte {off}"
            fhd = f.read(1)
            if not fhd:
                return f"truncated or corrupt zstd stream (a frame header is cut at byte {off})"
            d = fhd[0]
            single = (d >> 5) & 1
            checksum = (d >> 2) & 1
            fcs = {0: 1 if single else 0, 1: 2, 2: 4, 3: 8}[d >> 6]
            off += 5 + (0 if single else 1) + {0: 0, 1: 1, 2: 2, 3: 4}[d & 3] + fcs
            while True:
                f.seek(off)
                h = f.read(3)
                if len(h) < 3:
                    return f"truncated or corrupt zstd stream (it ends at byte {size} inside a frame)"
                v = int.from_bytes(h, "little")
                last, btype, bsize = v & 1, (v >> 1) & 3, v >> 3
                if btype == 3:
                    return f"corrupt zstd stream (reserved block type at byte {off})"
                off += 3 + (1 if btype == 1 else bsize)
                if last:
                    break
            off += 4 * checksum
        if off > size:
            return f"truncated or corrupt zstd stream (the last frame needs {off} bytes, the file has {size})"
    return None


def dbn_meta(path: Path) -> tuple[str | None, list[str]]:
    """A DBN file's dataset and symbols, from its metadata header (None and [] when it cannot be read: the records'
    pass reports a broken file, with its position)."""
    import databento_dbn as dbn

    comp = dbn.Compression.ZSTD if _is_zstd(path) else dbn.Compression.NONE
    dec = dbn.DBNDecoder(compression=comp)  # type: ignore[arg-type]  # the stub says Compression, the enum is str-based
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    quiet = _RustPanicQuiet()
    try:
        with quiet:
            dec.write(head)
            recs = dec.decode()
    except _STOP:
        raise
    except BaseException:
        return None, []
    finally:
        quiet.close()
    for r in recs:
        if isinstance(r, dbn.Metadata):
            return str(r.dataset), [str(x) for x in (r.symbols or [])]
    return None, []


def _csv_ts(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int(np.datetime64(s.rstrip("Z"), "ns").astype(np.int64))


def _csv_records(path: Path, progress: Progress | None) -> Iterator[Record]:
    need = ("ts_recv", "ts_event", "action", "side", "price", "size", "order_id", "flags")
    rows = csv_rows(path, progress)
    header = next(rows, None)
    if header is None:
        raise DataError(f"{path}: empty file")
    col = {name: i for i, name in enumerate(header[1])}
    missing = [n for n in need if n not in col]
    if missing:
        raise DataError(f"{path}: line 1: not a Databento MBO CSV header: missing {', '.join(missing)}")
    i_recv, i_ev, i_act, i_side, i_px, i_sz, i_id, i_fl = (col[n] for n in need)
    i_inst, i_seq = col.get("instrument_id"), col.get("sequence")
    # Databento writes prices as decimals (pretty_px) or as fixed-point integers of 1e-9;
    # the first nonzero price says which (0 reads the same either way). A raw integer
    # file never holds a decimal point: one that does mixes the two styles.
    decimal: bool | None = None
    raw_at = 0
    width = len(header[1])
    for line, row in rows:
        if not row:
            continue
        if len(row) != width:  # a line cut short (its last field may be cut too), a stray separator
            raise DataError(f"{path}: line {line}: malformed row: {len(row)} columns, expected {width} (as the header)")
        try:
            px_s = row[i_px]
            if px_s in ("", "null", "None"):
                price = None
            else:
                if decimal is None and px_s.strip("0+-") != "":
                    decimal = "." in px_s
                    raw_at = line
                if decimal is False and "." in px_s:
                    raise DataError(
                        f"{path}: line {line}: price {px_s!r} is a decimal, but the file's prices are Databento "
                        f"fixed-point integers (units of 1e-9, as line {raw_at}): one price style per file"
                    )
                price = decimals_to_int(px_s, _DIGITS) if decimal or "." in px_s else int(px_s)
                if price == _UNDEF_PRICE:
                    price = None
            rec = (
                _csv_ts(row[i_recv]),
                _csv_ts(row[i_ev]),
                row[i_act],
                row[i_side],
                price,
                int(row[i_sz]),
                int(row[i_id]),
                int(row[i_fl]),
                int(row[i_inst]) if i_inst is not None else 0,
                line,
                int(row[i_seq]) if i_seq is not None else -1,
            )
        except DataError:
            raise
        except (ValueError, IndexError, OverflowError):
            raise DataError(f"{path}: line {line}: malformed row: {','.join(row)[:80]!r}") from None
        if rec[3] not in _SIDES:
            raise DataError(f"{path}: line {line}: malformed row: side {rec[3]!r} is not A (ask), B (bid) or N (none)")
        yield rec


def records(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    """Iterate the MBO records of a DBN or CSV file as plain tuples.

    Each is ``(ts_recv, ts_event, action, side, price_1e9 | None, size,
    order_id, flags, instrument_id, position, sequence)``; position is the CSV
    line or the DBN record number, for error messages; sequence is the venue's
    (-1 when a CSV has no ``sequence`` column).
    """
    path = Path(path)
    return _dbn_records(path, progress) if _is_dbn(path) else _csv_records(path, progress)


def _px(price: int | None) -> str:
    """A 1e-9 fixed-point price as a decimal (``4800.25``)."""
    return "undefined" if price is None else format(Decimal(price).scaleb(-_DIGITS).normalize(), "f")


def _what(rec: tuple) -> str:
    """A record's fields for a message: its sequence, action, order, side, price and size."""
    seq = f"sequence {rec[10]}, " if rec[10] >= 0 else ""
    return f"{seq}ts_recv {rec[0]}, {rec[2]} of order {rec[6]}, side {rec[3]}, {rec[5]} at {_px(rec[4])}"


def _chain(head: list, it: Iterator) -> Iterator:
    yield from head
    yield from it


class _SnapStamps:
    """The records in order; the records of a snapshot (F_SNAPSHOT) are read ahead to the first record after them,
    whose ts_event is :attr:`cap` while they are given (None: the file ends in the snapshot)."""

    def __init__(self, it: Iterator) -> None:
        self.it, self.cap = it, None

    def __iter__(self) -> Iterator:
        buf: list = []
        for rec in self.it:
            if rec[7] & F_SNAPSHOT:
                buf.append(rec)
                continue
            if buf:
                self.cap = rec[1]
                yield from buf
                buf = []
            yield rec
        self.cap = None
        yield from buf
