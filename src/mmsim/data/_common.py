"""Pieces every loader shares: chunked emission with validation, a small L2 book, unit parsing."""

from __future__ import annotations

import gzip
import heapq
import io
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE, Kind

__all__ = [
    "CROSS_TOLERANCE_NS",
    "Emitter",
    "L2Book",
    "Progress",
    "decimals_to_int",
    "infer_step",
    "open_binary",
    "step_to_float",
]

#: A crossed book (best bid >= best ask) at message boundaries is tolerated for
#: this long in exchange time; longer is a DataError. Venues publish depth and
#: trades on separate channels, so a cross can be seen for a few messages.
CROSS_TOLERANCE_NS = 1_000_000_000

#: Events per chunk written to the store (48 bytes each: 3 MB).
CHUNK = 1 << 16

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
        raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
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


def text_lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, newline stripped) of a text or gzip file."""
    with open_binary(path, progress) as fb:
        with io.TextIOWrapper(fb, encoding="utf-8", errors="strict", newline="") as ft:
            try:
                for i, line in enumerate(ft, 1):
                    yield i, line.rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
            except (EOFError, gzip.BadGzipFile, OSError) as exc:
                raise DataError(f"{path}: truncated or corrupt compressed file ({exc})") from None


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
        Source file named in error messages.
    unit : str
        What a source position is called in messages (``"line"`` or ``"record"``).
    reorder_ns : int
        When positive, events are sorted by exchange time within a sliding
        window of this width (stable, so the file order breaks ties); a source
        whose exchange times go back further than that is an error. Zero means
        the source must already be in exchange-time order.
    """

    def __init__(self, writer, path: Path, unit: str = "line", reorder_ns: int = 0) -> None:
        self.writer = writer
        self.path = path
        self.unit = unit
        self.reorder_ns = reorder_ns
        self.rows: list[tuple] = []
        self.lines: list[int] = []
        self._pend: np.ndarray = np.zeros(0, EVENT_DTYPE)
        self._pend_lines = np.zeros(0, np.int64)
        self.last_exch: int | None = None
        self.last_line = 0
        self.count = 0

    def add(
        self, exch: int, local: int, kind: int, side: int, price: int, qty: int, oid: int, line: int
    ) -> None:
        """Queue one event (field order of the arguments, not of the dtype)."""
        if qty < 0:
            raise DataError(
                f"{self.path}: {self.unit} {line}: negative size {qty} for a {Kind(kind).name} event"
            )
        self.rows.append((exch, local, price, qty, oid, kind, side))
        self.lines.append(line)
        if len(self.rows) >= CHUNK:
            self.flush()

    def add_rows(self, rows: list[tuple], line: int) -> None:
        """Queue events of one source line, as tuples in dtype field order
        ``(exch_ts, local_ts, price, qty, order_id, kind, side)``; sizes must be >= 0."""
        self.rows.extend(rows)
        self.lines.extend([line] * len(rows))
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self, final: bool = False) -> None:
        """Validate and write the queued events (all of them when ``final``)."""
        if self.rows:
            arr = np.array(self.rows, dtype=EVENT_DTYPE)
            lines = np.array(self.lines, dtype=np.int64)
            self.rows, self.lines = [], []
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
        self.writer.append(arr)
        self.count += len(arr)
        self.last_exch = int(ts[-1])
        self.last_line = int(lines[-1])

    def _raise_backwards(self, line: int, ts: int, prev: int, prev_line: int) -> None:
        if self.reorder_ns > 0:
            raise DataError(
                f"{self.path}: {self.unit} {line}: exchange timestamp {ts} is "
                f"{(prev - ts) / 1e9:.3f} s earlier than an event already written "
                f"({self.unit} {prev_line}); the file may be reordered by at most "
                f"{self.reorder_ns / 1e9:g} s"
            )
        raise DataError(
            f"{self.path}: {self.unit} {line}: non-monotonic timestamp: {ts} ns is earlier than "
            f"{prev} ns at {self.unit} {prev_line}"
        )


def file_size(path: Path) -> int:
    """Size on disk in bytes (0 when unknown)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
