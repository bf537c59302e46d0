"""The loaders' event sink: chunked emission with per-chunk validation, the reorder window and time order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..config._units import readable_ns
from ..errors import DataError
from ..events import EVENT_DTYPE, Kind
from ._common import MAX_PRICE_TICKS, MAX_QTY_LOTS, TIME_MAX_NS, TIME_MIN_NS, seconds_over, time_unit_hint
from .store import ROW_BITS, ROW_MASK

__all__ = ["CHUNK", "Emitter"]

#: Events per chunk written to the store (48 bytes each: 3 MB).
CHUNK = 1 << 16
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


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
    a packed position of any registered source (:meth:`other_source`; one carried
    from an earlier file): sources are numbered from 1, so a packed position is
    always above ``ROW_MASK`` and never read as a line of ``path``.
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
        #: Events checked but not yet written (:meth:`hold`), as (events, packed positions) arrays; None: write.
        self.held: list[tuple[np.ndarray, np.ndarray]] | None = None
        #: Called when a chunk is full, before it is flushed (a loader may :meth:`hold` from there on).
        self.on_full: Callable[[], None] | None = None

    def hold(self, held: list | None = None) -> None:
        """Keep the events :meth:`flush` checks in memory instead of writing them, until :meth:`release`
        (``held``: what an earlier file's emitter held, carried on: its positions are packed)."""
        if self.held is None:
            self.held = [] if held is None else held

    def queued(self) -> int:
        """How many events are held or queued: the index among them of the next one added."""
        return sum(len(a) for a, _ in self.held or ()) + len(self.rows)

    def release(self, at: int = -1, row: tuple = ()) -> None:
        """Write the held events, and stop holding; ``row`` (dtype field order, as :meth:`add_rows`'s) goes
        before held event ``at`` (its position: the one of the event before it, or after it at 0)."""
        if self.held is None:
            return
        self.flush()
        held, self.held = self.held, None
        arr = np.concatenate([a for a, _ in held]) if held else np.zeros(0, EVENT_DTYPE)
        lines = np.concatenate([r for _, r in held]) if held else np.zeros(0, np.int64)
        if row:
            pos = lines[at - 1] if at > 0 else lines[0] if len(lines) else self.base
            arr = np.insert(arr, at, np.array([row], dtype=EVENT_DTYPE))
            lines = np.insert(lines, at, pos)
        if len(arr):
            self.writer.append(arr, lines)
            self.count += len(arr)

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
            if self.on_full is not None:
                self.on_full()
            self.flush()

    def tally(self, key: str, line: int) -> None:
        """Count the event just added at ``line`` in ``quirks.KEY``, held to the events kept
        (:meth:`.store.EventStoreWriter.tally`: a print through the book dropped is not counted)."""
        self.writer.tally(key, line if line > ROW_MASK else self.base | line)

    def add_rows(self, rows: list[tuple], line: int) -> None:
        """Queue events of one source line, as tuples in dtype field order
        ``(exch_ts, local_ts, price, qty, order_id, kind, side)``."""
        self.rows.extend(rows)
        self.lines.extend([line] * len(rows))
        if len(self.rows) >= CHUNK:
            if self.on_full is not None:
                self.on_full()
            self.flush()

    def check_order(self, exch: int, line: int) -> None:
        """Raise when ``exch`` is further back than the reorder window from the latest time read.

        For loaders that drop or hold events before adding them: call it with
        every message's exchange time in file order.
        """
        if self.read_max is None or exch > self.read_max:
            # packed: a loader carries it to the next file's emitter, whose base would re-file it
            self.read_max, self._read_line = exch, (line if line > ROW_MASK else self.base | line)
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
        if self.held is not None:
            self.held.append((arr, lines))
        else:
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
        # latest_line is packed (it may be another file's)
        latest_where = self.writer.where(latest_line) if latest_line >= 0 else "an earlier row"
        raise DataError(
            f"{self.where(line)}: exchange timestamp {ts} is {seconds_over(latest - ts, self.reorder_ns)} s earlier than "
            f"{latest} read before (at {latest_where}); rows may be out of order by at most "
            f"{readable_ns(self.reorder_ns)}"
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
                f"{seconds_over(prev - ts, self.reorder_ns)} s earlier than an event already written "
                f"({prev_where}); rows may be out of order by at most "
                f"{readable_ns(self.reorder_ns)}"
            )
        raise DataError(
            f"{self.writer.where(line)}: non-monotonic timestamp: {ts} ns is earlier than "
            f"{prev} ns at {prev_where}"
        )
