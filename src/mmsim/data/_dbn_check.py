"""Where a DBN stream stops decoding: the record named, not the decoder's chunk (fix30c, fix34c), and the guard that
turns databento_dbn's Rust panics into one line. An uncompressed file's bytes from the record the failed chunk began
at are at hand (:func:`bad_record`); a ``.dbn.zst``'s are not (its decoder decompresses inside, a megabyte of the
file at a time): :func:`zstd_bad_record` decompresses it again, streamed, with a zstd decompressor of this machine
(the ``zstandard`` module, Python 3.14's ``compression.zstd``, or the ``zstd`` command), passing the records already
read by their length bytes, never holding the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Exceptions that are not a decoding fault (databento_dbn's Rust panics derive from BaseException).
_STOP = (KeyboardInterrupt, SystemExit, GeneratorExit)

_PIECE = 1 << 20  # bytes of decompressed stream read at a time


class _RustPanicQuiet:
    """Hold what native code writes to stderr (fd 2) during a call; drop it if the call failed.

    databento_dbn panics (a Rust panic, printed with its backtrace on fd 2) on
    some malformed records instead of raising; the panic becomes one
    ``DataError`` line, so its printout is dropped. Output of a call that
    succeeds is passed on.
    """

    def __init__(self) -> None:
        self._buf = tempfile.TemporaryFile()
        self._saved = -1

    def __enter__(self) -> _RustPanicQuiet:
        try:
            sys.stderr.flush()
            self._saved = os.dup(2)
            os.dup2(self._buf.fileno(), 2)
        except OSError:  # no fd 2 to redirect (embedded interpreters): leave it
            self._saved = -1
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._saved < 0:
            return
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._saved = -1
        self._buf.seek(0)
        held = self._buf.read()
        self._buf.seek(0)
        self._buf.truncate()
        if held and exc_type is None:
            os.write(2, held)

    def close(self) -> None:
        self._buf.close()


def bad_record(raw: bytes, pos: int, version: int) -> tuple[int, str] | None:
    """The first record of ``raw`` (an uncompressed DBN stream's bytes from record ``pos + 1`` on, its metadata
    header first when ``pos`` is 0 and ``raw`` begins the file) that does not decode alone, or whose length byte is
    not its type's size: ``(its number, why)``, or None when none is found (:func:`_scan`)."""
    off = 8 + int.from_bytes(raw[4:8], "little") if raw[:3] == b"DBN" else 0  # past the metadata header
    found = _scan(raw[off:], pos, version)
    return found if isinstance(found, tuple) else None


def _scan(raw: bytes, pos: int, version: int) -> tuple[int, str] | int | None:
    """:func:`bad_record` of ``raw``, records only (record ``pos + 1`` at its first byte): ``(its number, why)``;
    else the bytes of the whole records it checked (a record running past the end of ``raw`` is not checked: more
    of the stream is read for it); None when this databento_dbn cannot read ``version``. The decoder reads a chunk
    of records at a time and reports where that chunk starts, or where it gave up after a record of a wrong length
    misaligned the ones after it (breaker29: record 18721 for record 20001)."""
    import databento_dbn as dbn

    # As the records are in the file (a version 1 symbol-mapping record is 80 bytes, upgraded 176).
    def decoder() -> Any:
        policy = dbn.VersionUpgradePolicy.AS_IS
        return dbn.DBNDecoder(has_metadata=False, input_version=version, upgrade_policy=policy)  # type: ignore[arg-type]

    try:
        decoder()
    except _STOP:
        raise
    except BaseException:  # a version the decoder does not read: its own message says so
        return None
    off = k = 0
    quiet = _RustPanicQuiet()
    try:
        while off + 2 <= len(raw):
            k += 1
            n = raw[off] * 4
            if n < 16:  # shorter than a record header
                return pos + k, f"its length byte says {n} bytes, shorter than a record header (16 bytes)"
            if off + n > len(raw):
                return off
            try:
                dec = decoder()
                with quiet:
                    dec.write(raw[off:off + n])
                    recs = dec.decode()
            except _STOP:
                raise
            except BaseException as exc:  # as the reader's: a Rust panic included
                return pos + k, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            size = getattr(recs[0], "size_hint", n) if len(recs) == 1 else n
            size = size() if callable(size) else int(size)
            if size != n:
                return pos + k, (f"its length byte says {n} bytes, but a record of rtype 0x{raw[off + 1]:02X} "
                                 f"({type(recs[0]).__name__}) is {size} bytes")
            off += n
    finally:
        quiet.close()
    return off


def zstd_bad_record(path: Path, pos: int) -> tuple[int, str] | None:
    """:func:`bad_record` of the ``.dbn.zst`` file ``path`` whose records 1 to ``pos`` decoded: its stream
    decompressed again (:func:`_unzstd`), the first ``pos`` records passed by their length bytes (as the decoder
    read them), the rest checked a megabyte at a time until one is found. None when none is (a fault of the zstd
    stream, not of a record), the stream is not DBN, or this machine has no zstd decompressor: the caller says
    "record N or a later one" then, as when the decompressor cannot be started (an OSError: its message is the
    decoder's, not this search's)."""
    try:
        return _search(path, pos)
    except OSError:
        return None


def _search(path: Path, pos: int) -> tuple[int, str] | None:
    """:func:`zstd_bad_record`'s search."""
    with _unzstd(path) as pieces:
        if pieces is None:
            return None
        buf, off, k, version, skip = b"", 0, 0, -1, 0
        for piece in pieces:
            buf = buf[off:] + piece
            off = 0
            if version < 0:  # the metadata header: "DBN", its version, its length
                if len(buf) < 8:
                    continue
                if buf[:3] != b"DBN":
                    return None
                version, skip = buf[3], 8 + int.from_bytes(buf[4:8], "little")
            if skip:
                off = min(skip, len(buf))
                skip -= off
                if skip:
                    continue
            while k < pos and off + 1 <= len(buf) and buf[off] * 4 >= 16 and off + buf[off] * 4 <= len(buf):
                off += buf[off] * 4  # a record the decoder read: by its length byte, as it read it
                k += 1
            if k < pos:
                continue
            got = _scan(buf[off:], k, version)
            if got is None or isinstance(got, tuple):
                return got
            k += _count(buf, off, got)
            off += got
    return None


def _count(buf: bytes, off: int, size: int) -> int:
    """The records in ``buf[off:off + size]`` (whole records, by their length bytes)."""
    n = 0
    end = off + size
    while off < end:
        off += buf[off] * 4
        n += 1
    return n


@contextmanager
def _unzstd(path: Path) -> Iterator[Iterator[bytes] | None]:
    """The decompressed stream of the zstd file ``path`` in pieces, by the first decompressor this machine has: the
    ``zstandard`` module, ``compression.zstd`` (Python 3.14), the ``zstd`` command (its process ended on leaving);
    None when it has none."""
    opener: Callable[[], Any] | None = None
    try:
        import zstandard  # type: ignore[import-not-found]

        opener = lambda: zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)  # noqa: E731
    except ImportError:
        try:
            from compression import zstd  # type: ignore[import-not-found]

            opener = lambda: zstd.open(path, "rb")  # noqa: E731
        except ImportError:
            pass
    if opener is not None:
        with opener() as fh:
            yield _pieces(fh.read)
        return
    exe = shutil.which("zstd")
    if exe is None:
        yield None
        return
    proc = subprocess.Popen([exe, "-dcq", "--", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        yield _pieces(proc.stdout.read)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _pieces(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """``read(_PIECE)`` until it gives nothing; a read that fails (a corrupt stream) ends the stream there."""
    while True:
        try:
            piece = read(_PIECE)
        except Exception:
            return
        if not piece:
            return
        yield piece
