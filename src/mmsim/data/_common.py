"""Pieces every loader shares: chunked emission with validation, a small L2 book, unit parsing."""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import heapq
import io
import math
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE, Kind
from .store import ROW_BITS, ROW_MASK

__all__ = [
    "CROSS_TOLERANCE_NS",
    "MAX_PRICE_TICKS",
    "MAX_QTY_LOTS",
    "TIME_MAX_NS",
    "TIME_MIN_NS",
    "Emitter",
    "L2Book",
    "Progress",
    "csv_rows",
    "decimals_to_int",
    "infer_step",
    "open_binary",
    "step_to_float",
    "text_lines",
    "time_unit_hint",
]

#: A crossed book (best bid >= best ask) at message boundaries is tolerated for
#: this long in exchange time; longer is a DataError. Venues publish depth and
#: trades on separate channels, so a cross can be seen for a few messages.
CROSS_TOLERANCE_NS = 1_000_000_000

#: Events per chunk written to the store (48 bytes each: 3 MB).
CHUNK = 1 << 16

#: Loaders accept exchange and receive times from 1990-01-01 to 2100-01-01 UTC
#: (ns). A time outside is a file in another unit (ms read as ns lands in
#: 1970) or garbage, and is an error naming the row and the likely unit.
TIME_MIN_NS = 631_152_000 * 10**9
TIME_MAX_NS = 4_102_444_800 * 10**9
#: Largest price magnitude (ticks) and size (lots) a loader accepts: 2**53 - 1,
#: so that every value converts exactly to a float64 (reports, hftbacktest export).
MAX_PRICE_TICKS = (1 << 53) - 1
MAX_QTY_LOTS = (1 << 53) - 1
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_UNITS = (("seconds", 10**9), ("milliseconds", 10**6), ("microseconds", 10**3), ("nanoseconds", 1))

Progress = Callable[[int], None]
_POW10 = [10**i for i in range(20)]


def open_binary(path: Path, progress: Progress | None = None) -> BinaryIO:
    """Open ``path`` for reading bytes, gunzipping when it starts with the gzip magic.

    ``progress`` is called with the number of bytes of the file on disk read so
    far (the compressed position for gzip), for a progress bar.
    """
    raw: Any
    if progress is not None:
        raw = _ProgressReader(io.FileIO(path, "rb"), progress)
    else:
        raw = open(path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return cast(BinaryIO, _GzipOwning(raw))
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


#: What reading a damaged gzip stream raises.
_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


def text_lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, newline stripped) of a text or gzip file.

    Reads blocks of 1 MiB and decodes each at once (the cost of a line is a
    slice); a line ends at ``\\n`` (a ``\\r`` before it is dropped).

    Raises
    ------
    mmsim.DataError
        A line that is not UTF-8, or a truncated or corrupt gzip stream, naming
        the file and the line.
    """
    i = 0
    rest = b""
    with open_binary(path, progress) as fb:
        while True:
            try:
                block = fb.read(1 << 20)
            except _STREAM_ERRORS as exc:
                line = i + rest.count(b"\n") + 1
                raise DataError(f"{path}: line {line}: truncated or corrupt compressed file ({exc})") from None
            if not block:
                break
            block = rest + block if rest else block
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
                    f"until {where} (tolerance {self.tolerance_ns / 1e9:g} s)"
                )
        else:
            self._since = None


class Emitter:
    """Collect events in chunks, validate them and append them to a store writer.

    Parameters
    ----------
    writer : EventStoreWriter
    path : Path
        Source file named in error messages (registered with the writer).
    unit : str
        What a source position is called in messages (``"line"`` or ``"record"``).
    reorder_ns : int
        When positive, events are sorted by exchange time within a sliding
        window of this width (stable, so the file order breaks ties); an event
        whose exchange time is more than this before the latest one already
        read (in file order) is an error. Zero means the source must already be
        in exchange-time order.
    time_unit : (str, int)
        The unit the file's times are written in and its length in ns, for the
        hint of an implausible time (``("milliseconds", 10**6)``).
    check_time : bool
        Require exchange and receive times within 1990-2100 (see
        :data:`TIME_MIN_NS`).

    Notes
    -----
    A position passed to :meth:`add` is a line or record number of ``path``, or
    a packed position of another registered source (:meth:`other_source`).
    Values are checked per chunk (vectorised): sizes >= 0 and at most
    :data:`MAX_QTY_LOTS`, prices within :data:`MAX_PRICE_TICKS`, every field
    within int64, times in the plausible range; each error names the row.
    """

    def __init__(
        self,
        writer,
        path: Path,
        unit: str = "line",
        reorder_ns: int = 0,
        time_unit: tuple[str, int] = ("nanoseconds", 1),
        check_time: bool = True,
    ) -> None:
        self.writer = writer
        self.path = path
        self.unit = unit
        self.reorder_ns = reorder_ns
        self.time_unit = time_unit
        self.check_time = check_time
        self.base = writer.source(path, unit) << ROW_BITS
        self.rows: list[tuple] = []
        self.lines: list[int] = []
        self._pend: np.ndarray = np.zeros(0, EVENT_DTYPE)
        self._pend_lines = np.zeros(0, np.int64)
        self.last_exch: int | None = None
        self.last_line = -1  # packed source position of the last event written
        #: Latest exchange time queued so far, in the order events were added
        #: (the reorder window's edge), and its source position.
        self.max_exch: int | None = None
        self._max_line = -1
        #: The same for :meth:`check_order` (times a loader reads, in file order).
        self.read_max: int | None = None
        self._read_line = -1
        self.count = 0

    def other_source(self, path: Path, unit: str = "line") -> int:
        """Register another input whose positions go through this emitter; returns the base to OR in."""
        return self.writer.source(path, unit) << ROW_BITS

    def where(self, line: int) -> str:
        """``"FILE: line N"`` for a position given to :meth:`add`."""
        return self.writer.where(line if line > ROW_MASK else self.base | line)

    def add(
        self, exch: int, local: int, kind: int, side: int, price: int, qty: int, oid: int, line: int
    ) -> None:
        """Queue one event (field order of the arguments, not of the dtype)."""
        self.rows.append((exch, local, price, qty, oid, kind, side))
        self.lines.append(line)
        if len(self.rows) >= CHUNK:
            self.flush()

    def add_rows(self, rows: list[tuple], line: int) -> None:
        """Queue events of one source line, as tuples in dtype field order
        ``(exch_ts, local_ts, price, qty, order_id, kind, side)``."""
        self.rows.extend(rows)
        self.lines.extend([line] * len(rows))
        if len(self.rows) >= CHUNK:
            self.flush()

    def check_order(self, exch: int, line: int) -> None:
        """Raise when ``exch`` is further back than the reorder window from the latest time read.

        For loaders that drop or hold events before adding them: call it with
        every message's exchange time in file order.
        """
        if self.read_max is None or exch > self.read_max:
            self.read_max, self._read_line = exch, line
        elif exch < self.read_max - self.reorder_ns:
            self._raise_too_early(line, exch, self.read_max, self._read_line)

    def flush(self, final: bool = False) -> None:
        """Validate and write the queued events (all of them when ``final``)."""
        if self.rows:
            try:
                arr = np.array(self.rows, dtype=EVENT_DTYPE)
            except (OverflowError, ValueError, TypeError):
                self._raise_unfit()
            lines = np.array(self.lines, dtype=np.int64)
            lines = np.where(lines > ROW_MASK, lines, lines | self.base)
            self.rows, self.lines = [], []
            self._check_values(arr, lines)
            if self.reorder_ns > 0:
                self._check_window(arr["exch_ts"], lines)
        else:
            arr = np.zeros(0, EVENT_DTYPE)
            lines = np.zeros(0, np.int64)
        if self.reorder_ns > 0:
            arr = np.concatenate([self._pend, arr])
            lines = np.concatenate([self._pend_lines, lines])
            order = np.argsort(arr["exch_ts"], kind="stable")
            arr, lines = arr[order], lines[order]
            if final or len(arr) == 0:
                cut = len(arr)
            else:
                horizon = int(arr["exch_ts"].max()) - self.reorder_ns
                cut = int(np.searchsorted(arr["exch_ts"], horizon, side="right"))
            self._pend, self._pend_lines = arr[cut:], lines[cut:]
            arr, lines = arr[:cut], lines[:cut]
        if len(arr) == 0:
            return
        ts = arr["exch_ts"]
        prev = self.last_exch if self.last_exch is not None else ts[0]
        if ts[0] < prev:
            self._raise_backwards(int(lines[0]), int(ts[0]), prev, self.last_line)
        d = np.diff(ts)
        bad = np.flatnonzero(d < 0)
        if len(bad):
            i = int(bad[0]) + 1
            self._raise_backwards(int(lines[i]), int(ts[i]), int(ts[i - 1]), int(lines[i - 1]))
        self.writer.append(arr, lines)
        self.count += len(arr)
        self.last_exch = int(ts[-1])
        self.last_line = int(lines[-1])

    # ------------------------------------------------------------------ checks
    def _check_values(self, arr: np.ndarray, lines: np.ndarray) -> None:
        qty, price = arr["qty"], arr["price"]
        if len(arr) and (qty.min() < 0 or qty.max() > MAX_QTY_LOTS):
            i = int(np.flatnonzero((qty < 0) | (qty > MAX_QTY_LOTS))[0])
            q = int(qty[i])
            what = Kind(int(arr["kind"][i])).name if int(arr["kind"][i]) in Kind._value2member_map_ else "?"
            if q < 0:
                raise DataError(f"{self.writer.where(int(lines[i]))}: negative size {q} for a {what} event")
            raise DataError(
                f"{self.writer.where(int(lines[i]))}: size {q} lots is larger than the largest "
                f"accepted, {MAX_QTY_LOTS} (2**53 - 1)"
            )
        if len(arr) and (price.min() < -MAX_PRICE_TICKS or price.max() > MAX_PRICE_TICKS):
            i = int(np.flatnonzero(np.abs(price) > MAX_PRICE_TICKS)[0])
            raise DataError(
                f"{self.writer.where(int(lines[i]))}: price {int(price[i])} ticks is beyond the largest "
                f"accepted, +-{MAX_PRICE_TICKS} (2**53 - 1); check the tick size or the price unit"
            )
        if self.check_time and len(arr):
            for field, name in (("exch_ts", "exchange time"), ("local_ts", "receive time")):
                t = arr[field]
                if t.min() < TIME_MIN_NS or t.max() >= TIME_MAX_NS:
                    i = int(np.flatnonzero((t < TIME_MIN_NS) | (t >= TIME_MAX_NS))[0])
                    self._raise_time(int(lines[i]), name, int(t[i]))

    def _raise_time(self, line: int, name: str, ns: int) -> None:
        unit, scale = self.time_unit
        hint = time_unit_hint(ns // scale, unit, scale)
        raise DataError(f"{self.writer.where(line)}: implausible {name} {ns // scale} ({hint})")

    def _check_window(self, ts: np.ndarray, lines: np.ndarray) -> None:
        if self.max_exch is None:
            self.max_exch, self._max_line = int(ts[0]), int(lines[0])
        seq = np.concatenate([[self.max_exch], ts])
        run = np.maximum.accumulate(seq)
        before = run[:-1]
        bad = np.flatnonzero(ts < before - self.reorder_ns)
        if len(bad):
            i = int(bad[0])
            at = int(np.flatnonzero(seq == before[i])[0])  # the row that set the latest time
            prev_line = self._max_line if at == 0 else int(lines[at - 1])
            self._raise_too_early(int(lines[i]), int(ts[i]), int(before[i]), prev_line)
        top = int(run[-1])
        if top > self.max_exch:
            self.max_exch = top
            self._max_line = int(lines[int(np.argmax(ts))])

    def _raise_too_early(self, line: int, ts: int, latest: int, latest_line: int) -> None:
        latest_where = self.where(latest_line) if latest_line >= 0 else "an earlier row"
        raise DataError(
            f"{self.where(line)}: exchange timestamp {ts} is {(latest - ts) / 1e9:.3f} s earlier than "
            f"{latest} read before (at {latest_where}); rows may be out of order by at most "
            f"{self.reorder_ns / 1e9:g} s"
        )

    def _raise_unfit(self) -> None:
        names = ("exchange time", "receive time", "price", "size", "order id", "kind", "side")
        for row, line in zip(self.rows, self.lines):
            for k, v in enumerate(row):
                if not isinstance(v, (int, np.integer)) or not _I64_MIN <= int(v) <= _I64_MAX or (
                    k >= 5 and not -128 <= int(v) <= 255
                ):
                    where = self.where(line)
                    if k < 2 and isinstance(v, (int, np.integer)):
                        unit, scale = self.time_unit
                        hint = time_unit_hint(int(v) // scale, unit, scale)
                        raise DataError(f"{where}: implausible {names[k]} {int(v) // scale} ({hint})")
                    raise DataError(f"{where}: {names[k]} {v!r} does not fit in a signed 64-bit integer")
        raise DataError(f"{self.where(self.lines[0] if self.lines else 0)}: values do not fit the event schema")

    def _raise_backwards(self, line: int, ts: int, prev: int, prev_line: int) -> None:
        prev_where = self.writer.where(prev_line) if prev_line >= 0 else "the previous file"
        if self.reorder_ns > 0:
            raise DataError(
                f"{self.writer.where(line)}: exchange timestamp {ts} is "
                f"{(prev - ts) / 1e9:.3f} s earlier than an event already written "
                f"({prev_where}); rows may be out of order by at most "
                f"{self.reorder_ns / 1e9:g} s"
            )
        raise DataError(
            f"{self.writer.where(line)}: non-monotonic timestamp: {ts} ns is earlier than "
            f"{prev} ns at {prev_where}"
        )


def file_size(path: Path) -> int:
    """Size on disk in bytes (0 when unknown)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
