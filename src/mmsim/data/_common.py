"""Pieces every loader shares: text and gzip reading, unit parsing, a small L2 book and the crossed-book check.

The event sink every loader writes through, :class:`~mmsim.data._emitter.Emitter`, is in ``_emitter.py``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import heapq
import io
import math
import os
import zlib
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from .. import _engine
from ..config._units import readable_ns
from ..errors import DataError

__all__ = [
    "CROSS_TOLERANCE_NS",
    "IdRuns",
    "OrderIndex",
    "RECV_WINDOW_NS",
    "RecvOrder",
    "late_step",
    "late_time",
    "MAX_PRICE_TICKS",
    "too_large",
    "exact_decimal",
    "MAX_QTY_LOTS",
    "TIME_MAX_NS",
    "TIME_MIN_NS",
    "ZSTD_MAGIC",
    "L2Book",
    "Progress",
    "csv_rows",
    "decimals_to_int",
    "infer_step",
    "open_binary",
    "step_to_float",
    "text_lines",
    "time_unit_hint",
    "without_trailing_blank_lines",
]

class IdRuns:
    """A set of integers kept as sorted disjoint runs ``[lo, hi]``: the trade ids read so far.

    Trade ids rise one by one on a symbol's stream (Binance, Bybit, OKX...), so a
    capture's ids are a few runs (one per gap): the set costs two list entries per
    gap, not one per trade.
    """

    def __init__(self) -> None:
        self.lo: list[int] = []
        self.hi: list[int] = []

    def add(self, t: int) -> bool:
        """Add ``t``; False when it was already there."""
        lo, hi = self.lo, self.hi
        i = bisect_right(lo, t) - 1  # the run starting at or below t
        if i >= 0 and t <= hi[i]:
            return False
        joins_left = i >= 0 and hi[i] == t - 1
        joins_right = i + 1 < len(lo) and lo[i + 1] == t + 1
        if joins_left and joins_right:
            hi[i] = hi[i + 1]
            del lo[i + 1], hi[i + 1]
        elif joins_left:
            hi[i] = t
        elif joins_right:
            lo[i + 1] = t
        else:
            lo.insert(i + 1, t)
            hi.insert(i + 1, t)
        return True


class OrderIndex(dict):
    """Resting L3 orders, id -> ``[side, price, qty]``, with ``at``: the number of orders at each ``(side, price)``.

    A loader that also reads L2 depth rows asks ``at`` whether a price holds orders.
    """

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[tuple[int, int], int] = {}

    def _drop(self, v: list[int]) -> None:
        key = (v[0], v[1])
        n = self.at[key] - 1
        if n:
            self.at[key] = n
        else:
            del self.at[key]

    def __setitem__(self, oid: int, v: list[int]) -> None:
        old = self.get(oid)
        if old is not None:
            self._drop(old)
        super().__setitem__(oid, v)
        self.at[(v[0], v[1])] = self.at.get((v[0], v[1]), 0) + 1

    def __delitem__(self, oid: int) -> None:
        self._drop(self[oid])
        super().__delitem__(oid)

    def pop(self, oid: int) -> list[int]:  # type: ignore[override]
        v = super().pop(oid)
        self._drop(v)
        return v

    def clear(self) -> None:
        super().clear()
        self.at.clear()


#: A crossed book (best bid >= best ask) at message boundaries is tolerated for
#: this long in exchange time; longer is a DataError. Venues publish depth and
#: trades on separate channels, so a cross can be seen for a few messages.
CROSS_TOLERANCE_NS = 1_000_000_000

#: Loaders accept exchange and receive times from 1990-01-01 to 2100-01-01 UTC
#: (ns). A time outside is a file in another unit (ms read as ns lands in
#: 1970) or garbage, and is an error naming the row and the likely unit.
TIME_MIN_NS = 631_152_000 * 10**9
TIME_MAX_NS = 4_102_444_800 * 10**9
#: Largest price magnitude (ticks) and size (lots) a loader accepts: 2**53 - 1,
#: so that every value converts exactly to a float64 (reports, hftbacktest export).
MAX_PRICE_TICKS = (1 << 53) - 1
MAX_QTY_LOTS = (1 << 53) - 1


def exact_decimal(v: int, digits: int, places: int | None = None) -> str:
    """``v`` units of ``10**-digits`` as the exact decimal it is, ``places`` decimals (else as few as it needs): a
    float printed LOBSTER's 99999999999999999999 as 10000000000000000.0000, on the tick grid it was said to be off."""
    d = Decimal(v).scaleb(-digits)
    return f"{d:.{places}f}" if places is not None else format(d.normalize(), "f")


def too_large(v: int, written: str, what: str, step: str, where: str, flag: str | None = None) -> None:
    """Raise when ``v`` (a price in ticks, a size in lots) is beyond 2**53 - 1, quoting the value as ``written`` in
    the file: ``what`` is "price" or "size", ``step`` the tick or lot size as written in messages, ``flag`` the flag
    that gave it (``--tick-size``; None when inferred), named in the message (a tick on the loader's grid can put a
    price beyond the ticks a store holds: ``check the tick size given (--tick-size) or the price unit``)."""
    if not -MAX_PRICE_TICKS <= v <= MAX_PRICE_TICKS:
        unit = "ticks" if what == "price" else "lots"
        given = f" given ({flag})" if flag else ""
        raise DataError(f"{where}: {what} {written} is beyond the largest accepted, 2**53 - 1 {unit} of {step}; "
                        f"check the {'tick' if what == 'price' else 'lot'} size{given} or the {what} unit")
_UNITS = (("seconds", 10**9), ("milliseconds", 10**6), ("microseconds", 10**3), ("nanoseconds", 1))

Progress = Callable[[int], None]
_POW10 = [10**i for i in range(20)]


def open_binary(path: Path, progress: Progress | None = None) -> BinaryIO:
    """Open ``path`` for reading bytes, gunzipping when it starts with the gzip magic.

    ``progress`` is called with the number of bytes of the file on disk read so
    far (the compressed position for gzip), for a progress bar. A zstd file is a
    ``DataError`` that says so (text is read plain or gzip only).
    """
    raw: Any
    if progress is not None:
        raw = _ProgressReader(io.FileIO(path, "rb"), progress)
    else:
        raw = open(path, "rb")
    head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
    if head[:2] == b"\x1f\x8b":
        return cast(BinaryIO, _GzipOwning(raw))
    if head == ZSTD_MAGIC:
        raw.close()
        raise DataError(
            f"{path}: zstd-compressed: text files are read plain or gzip-compressed; decompress it first (zstd -d)"
        )
    return cast(BinaryIO, raw)


class _GzipOwning(gzip.GzipFile):
    """A GzipFile that closes the file it reads from (GzipFile leaves it open)."""

    def __init__(self, raw) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


class _ProgressReader(io.BufferedReader):
    def __init__(self, raw, progress: Progress) -> None:
        super().__init__(raw, buffer_size=1 << 20)
        self._progress = progress

    def read(self, n=-1):  # type: ignore[override]
        b = super().read(n)
        self._progress(self.tell())
        return b

    def read1(self, n=-1):  # type: ignore[override]
        b = super().read1(n)
        self._progress(self.tell())
        return b

    def readinto(self, b):  # type: ignore[override]
        n = super().readinto(b)
        self._progress(self.tell())
        return n


#: The first bytes of a zstd frame (RFC 8878).
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

#: The UTF-8 byte-order mark some Windows tools write at the start of a text file.
_BOM = b"\xef\xbb\xbf"

#: What reading a damaged gzip stream raises.
_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


def _line_where_gzip_stops(path: Path) -> int | None:
    """The 1-based line in which a truncated or corrupt gzip file's readable data ends (the
    complete lines before it decompress), or None if it cannot be told."""
    try:
        lines = 0
        d = zlib.decompressobj(wbits=31)
        with open(path, "rb") as f:
            while chunk := f.read(1024):  # small: a corrupt chunk loses only its own output
                while chunk:
                    lines += d.decompress(chunk).count(b"\n")
                    if not d.eof:
                        break
                    chunk = d.unused_data  # the next gzip member, if any
                    d = zlib.decompressobj(wbits=31)
        lines += d.flush().count(b"\n")
        return lines + 1
    except zlib.error:
        return lines + 1
    except Exception:  # noqa: BLE001 - only a better line number is at stake
        return None


def text_lines(path: Path, progress: Progress | None = None) -> Generator[tuple[int, str], None, None]:
    """Yield ``(line_number, line)`` (1-based, newline stripped) of a text or gzip file.

    Reads blocks of 1 MiB and decodes each at once (the cost of a line is a
    slice); a line ends at ``\\n`` (a ``\\r`` before it is dropped). A UTF-8
    byte-order mark at the start of the file (Excel's "CSV UTF-8", Notepad) is
    skipped; one anywhere else is text of its line.

    Raises
    ------
    mmsim.DataError
        A line that is not UTF-8, or a truncated or corrupt gzip stream, naming
        the file and the line.
    """
    i = 0
    rest = b""
    first = True
    with open_binary(path, progress) as fb:
        while True:
            try:
                block = fb.read(1 << 20)
            except _STREAM_ERRORS as exc:
                # The failed read lost what it had decompressed of its block (up to 1 MiB, maybe the
                # whole file): count the lines the stream does hold, so the message names the line
                # where it stops, not the start of the block.
                line = _line_where_gzip_stops(path)
                if line is None or line < i + rest.count(b"\n") + 1:
                    line = i + rest.count(b"\n") + 1
                raise DataError(f"{path}: line {line}: truncated or corrupt compressed file ({exc})") from None
            if not block:
                break
            block = rest + block if rest else block
            if first:
                if len(block) < len(_BOM) and _BOM.startswith(block):
                    rest = block  # too short to tell yet
                    continue
                first = False
                if block.startswith(_BOM):
                    block = block[len(_BOM) :]
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            texts = _decode(path, block[:cut], i).split("\n")
            texts.pop()  # after the last newline
            for text in texts:
                i += 1
                yield i, text
        if rest:
            yield i + 1, _decode(path, rest, i)


def without_trailing_blank_lines(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """``lines`` (of :func:`text_lines`) without the blank lines at the end of the file.

    An editor's or a shell's extra newline at the end is not a row; a blank line with
    more text after it is passed on (the loader names it as a malformed row).
    """
    held: list[tuple[int, str]] = []
    for item in lines:
        if item[1].strip():
            yield from held
            held.clear()
            yield item
        else:
            held.append(item)


def _decode(path: Path, body: bytes, before: int) -> str:
    """Decode whole lines; a bad byte is an error naming its line (``before`` lines precede ``body``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = before + body.count(b"\n", 0, exc.start) + 1
        start = body.rfind(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}: line {line}: not UTF-8 text (byte {exc.start - start + 1} of the line: "
            f"{body[exc.start:exc.start + 1]!r})"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
    return text


def csv_rows(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, fields)`` of a CSV file (plain or gzip); errors name the line."""
    cur = [0]

    def lines() -> Iterator[str]:
        for i, line in text_lines(path, progress):
            cur[0] = i
            yield line

    rd = csv.reader(lines())
    try:
        for row in rd:
            yield cur[0], row
    except csv.Error as exc:
        raise DataError(f"{path}: line {cur[0]}: malformed CSV ({exc})") from None


def time_unit_hint(raw: int, unit: str, ns_per_unit: int) -> str:
    """Why a time of ``raw`` (in the file's ``unit``) is implausible, and what unit it looks like."""
    try:
        when = _dt.datetime.fromtimestamp(raw * ns_per_unit / 1e9, _dt.timezone.utc).strftime("%Y-%m-%d")
        place = f"lands on {when}"
    except (OverflowError, ValueError, OSError):
        place = "is out of range"
    for name, scale in _UNITS:
        if name != unit and TIME_MIN_NS <= raw * scale < TIME_MAX_NS:
            return f"read as {unit} it {place}; it looks like {name}"
    return f"read as {unit} it {place}, outside 1990-2100"


def decimals_to_int(s: str, digits: int) -> int:
    """Parse a decimal string exactly into an integer count of ``10**-digits``.

    ``"61800.20"`` with ``digits=8`` gives ``6180020000000``. Raises ValueError
    on anything that is not a plain decimal number (no exponents).
    """
    a, dot, b = s.partition(".")
    if a.isdigit() and len(b) <= digits and (not b or b.isdigit()):
        # The common case (plain non-negative decimal), in one int() call.
        return int(a + b) * _POW10[digits - len(b)]
    neg = s.startswith("-")
    if neg or s.startswith("+"):
        s = s[1:]
    a, dot, b = s.partition(".")
    if not a and not b:
        raise ValueError(f"not a number: {s!r}")
    if (a and not a.isdigit()) or (b and not b.isdigit()):
        raise ValueError(f"not a plain decimal number: {s!r}")
    if len(b) > digits:
        # Extra digits are allowed only when they are zeros (e.g. "0.10000000").
        if b[digits:].strip("0"):
            raise ValueError(f"more than {digits} decimals: {s!r}")
        b = b[:digits]
    v = int(a or "0") * 10**digits + (int(b.ljust(digits, "0")) if b else 0)
    return -v if neg else v


def infer_step(values: np.ndarray | Sequence[int]) -> int:
    """Greatest common divisor of non-zero integers: the grid step they lie on."""
    v = np.abs(np.asarray(values, dtype=np.int64))
    v = v[v != 0]
    if len(v) == 0:
        return 0
    return int(np.gcd.reduce(v))


def step_to_float(step: int, digits: int) -> float:
    """An integer step in units of ``10**-digits`` as a float, rounded to those digits."""
    return round(step / 10**digits, digits)


def to_units(x: float, digits: int) -> int:
    """A user-given size (e.g. ``--tick-size 0.01``) as an integer count of ``10**-digits``."""
    v = round(x * 10**digits)
    if v <= 0 or not math.isclose(v / 10**digits, x, rel_tol=1e-9, abs_tol=0.0):
        raise DataError(f"size {x!r} cannot be written with {digits} decimals")
    return int(v)


class L2Book:
    """Price-level book (``price -> qty`` per side) with O(log n) best price.

    Used by loaders for the crossed-book check and by the L3 loaders for level
    totals. Best prices come from heaps with lazy deletion: a price is pushed
    when its level appears and skipped when found empty at the top.
    """

    __slots__ = ("bids", "asks", "_bh", "_ah")

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self._bh: list[int] = []
        self._ah: list[int] = []

    def set(self, side: int, price: int, qty: int) -> None:
        """Set the level ``side``/``price`` to ``qty`` (0 removes it)."""
        if side > 0:
            lv, h, key = self.bids, self._bh, -price
        else:
            lv, h, key = self.asks, self._ah, price
        if qty <= 0:
            lv.pop(price, None)
            return
        if price not in lv:
            heapq.heappush(h, key)
        lv[price] = qty

    def add(self, side: int, price: int, delta: int) -> int:
        """Add ``delta`` to a level; returns the new level quantity."""
        lv = self.bids if side > 0 else self.asks
        q = lv.get(price, 0) + delta
        self.set(side, price, q)
        return q

    def clear(self, side: int = 0) -> None:
        """Empty one side (``+1``/``-1``) or both (``0``)."""
        if side >= 0:
            self.bids.clear()
            self._bh.clear()
        if side <= 0:
            self.asks.clear()
            self._ah.clear()

    def best_bid(self) -> int | None:
        h, lv = self._bh, self.bids
        while h and -h[0] not in lv:
            heapq.heappop(h)
        if len(h) > 4 * len(lv) + 64:  # drop stale duplicates now and then
            self._bh = h = [-p for p in lv]
            heapq.heapify(h)
        return -h[0] if h else None

    def best_ask(self) -> int | None:
        h, lv = self._ah, self.asks
        while h and h[0] not in lv:
            heapq.heappop(h)
        if len(h) > 4 * len(lv) + 64:
            self._ah = h = list(lv)
            heapq.heapify(h)
        return h[0] if h else None

    def top(self, side: int, n: int) -> list[tuple[int, int]]:
        """The best ``n`` levels of one side as ``(price, qty)``, best first."""
        lv = self.bids if side > 0 else self.asks
        prices = heapq.nlargest(n, lv) if side > 0 else heapq.nsmallest(n, lv)
        return [(p, lv[p]) for p in prices]


class CrossCheck:
    """Raises when the book stays crossed for longer than the tolerance.

    Call :meth:`check` at message boundaries (after all the updates of one
    exchange message) with the time and the source position.
    """

    __slots__ = ("path", "tolerance_ns", "_since", "_where", "count", "armed", "unarmed_count")

    def __init__(self, path: Path, tolerance_ns: int = CROSS_TOLERANCE_NS, armed: bool = True) -> None:
        self.path = path
        self.tolerance_ns = tolerance_ns
        self._since: int | None = None
        self._where = ""
        #: Number of message boundaries seen crossed (transient crosses included).
        self.count = 0
        #: When False, crosses are counted in ``unarmed_count`` and tolerated (a
        #: pre-open book, which an auction uncrosses).
        self.armed = armed
        self.unarmed_count = 0

    def check(self, book: L2Book, exch_ts: int, where: str) -> None:
        bb = book.best_bid()
        ba = book.best_ask()
        if bb is not None and ba is not None and bb >= ba:
            if not self.armed:
                self.unarmed_count += 1
                return
            self.count += 1
            if self._since is None:
                self._since, self._where = exch_ts, where
            elif exch_ts - self._since > self.tolerance_ns:
                raise DataError(
                    f"{self.path}: {self._where}: the book is crossed (best bid {bb} >= best ask "
                    f"{ba} ticks) and stays crossed for {(exch_ts - self._since) / 1e9:.3f} s, "
                    f"until {where} (tolerance {readable_ns(self.tolerance_ns)})"
                )
        else:
            self._since = None


def file_size(path: Path) -> int:
    """Size on disk in bytes (0 when unknown)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


RECV_WINDOW_NS = 10_000_000_000
"""How far a receive time may go back in a file written in receive order (a 10 s window)."""


class RecvOrder:
    """The latest receive time read in one file, and where: a file written in receive order may not go back more than
    :data:`RECV_WINDOW_NS`; one wrong receive time would hold a recorded feed back to it. ``unit_ns``: ns per unit of
    the times given (1000 for microseconds). Each loader words its own error from :attr:`latest` and :attr:`at`."""

    __slots__ = ("latest", "at", "_unit", "_window")

    def __init__(self, unit_ns: int = 1) -> None:
        self.latest = self.at = 0  # the latest time read (in the caller's unit), and the line or record it was on
        self._unit, self._window = unit_ns, RECV_WINDOW_NS // unit_ns

    def behind(self, t: int, at: int) -> str | None:
        """None when ``t`` (read at ``at``) keeps the order, taken as the latest when later; otherwise how far it is
        behind the latest, in seconds as :func:`seconds_over` writes them (the latest stays as it was)."""
        if t < self.latest - self._window:
            return seconds_over((self.latest - t) * self._unit)
        if t > self.latest:
            self.latest, self.at = t, at
        return None


def late_step(top: int, t: np.ndarray, window_ns: int) -> tuple[int | None, int, int]:
    """One window of :func:`late_time`: ``top`` the latest time before ``t`` (a non-empty int64 slice). Returns
    the index in ``t`` of the first time more than ``window_ns`` before the latest one before it (None: none),
    the index in ``t`` of that latest (-1: ``top`` itself), and the latest time up to the late one (or ``t``'s end).
    One pass in C++ (``_engine.late_step``), with no copy of a strided column."""
    late, at, latest = _engine.late_step(top, t, window_ns)
    return (None if late < 0 else int(late)), int(at), int(latest)


def late_time(windows: Iterator[np.ndarray], window_ns: int) -> tuple[int, int, int, int] | None:
    """The first time more than ``window_ns`` before the latest one before it, reading ``windows`` (consecutive
    slices of one int64 column) in order: ``(index, time, index of that latest, latest)``, or None."""
    top, top_at, base = None, 0, 0
    for t in windows:
        if not len(t):
            continue
        late, k, latest = late_step(int(t[0]) if top is None else top, t, window_ns)
        top, top_at = latest, top_at if k < 0 else base + k
        if late is not None:
            return base + late, int(t[late]), top_at, top
        base += len(t)
    return None


def seconds_over(ns: int, bound_ns: int = 10_000_000_000) -> str:
    """``ns`` in seconds for a message about a ``bound_ns`` window: 3 decimals (``3599.999``), more when
    3 would read as the bound itself (1 ns past 10 s reads ``10.000000001``, not ``10.000``)."""
    text = f"{ns / 1e9:.3f}"
    if ns > bound_ns and round(float(text) * 1e9) <= bound_ns:
        text = f"{ns / 1e9:.9f}".rstrip("0")
    return text
