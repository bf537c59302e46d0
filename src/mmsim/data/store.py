"""The event store: a directory holding ``events.npy`` (memory-mapped) and ``meta.json``.

A store is what every loader writes and what :func:`mmsim.run` replays. Writing
is streamed: :class:`EventStoreWriter` appends chunks to ``events.npy`` behind a
fixed-size header that is rewritten with the final length at close, so
converting a day of ticks never holds the day in memory. Reading maps the file
(``mmap_mode="r"``), so a store larger than RAM replays in constant memory.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE

__all__ = ["REQUIRED_META", "EventStore", "EventStoreWriter", "load", "write_store"]

#: Keys every ``meta.json`` carries (``load`` rejects a store missing one).
REQUIRED_META = (
    "symbol",
    "venue",
    "tick_size",
    "lot_size",
    "contract_size",
    "source",
    "time_zone",
    "levels",
    "local_ts_recorded",
    "event_count",
    "first_exch_ts",
    "last_exch_ts",
    "quirks",
)

# A fixed header length lets the writer rewrite the shape in place at close
# whatever the final count (``.npy`` format version 1.0: 10-byte preamble).
_HEADER_LEN = 256
_MAGIC = b"\x93NUMPY\x01\x00"


def _npy_header(n: int) -> bytes:
    d = {
        "descr": np.lib.format.dtype_to_descr(EVENT_DTYPE),
        "fortran_order": False,
        "shape": (int(n),),
    }
    body = repr(d).encode("latin1")
    pad = _HEADER_LEN - len(_MAGIC) - 2 - len(body) - 1
    if pad < 0:  # pragma: no cover - the dtype is fixed and short
        raise AssertionError("event dtype descr too long for the fixed header")
    body = body + b" " * pad + b"\n"
    return _MAGIC + struct.pack("<H", len(body)) + body


class EventStore:
    """A converted event store, opened read-only.

    Attributes
    ----------
    path : Path
        The store directory.
    events : numpy.memmap
        The events, :data:`mmsim.EVENT_DTYPE`, memory-mapped read-only.
    meta : dict
        The parsed ``meta.json`` (see :data:`REQUIRED_META`).
    """

    def __init__(self, path: Path, events: np.ndarray, meta: dict[str, Any]) -> None:
        self.path = Path(path)
        self.events = events
        self.meta = meta

    @property
    def tick_size(self) -> float:
        """Price of one tick, in quote currency."""
        return float(self.meta["tick_size"])

    @property
    def lot_size(self) -> float:
        """Size of one lot, in base units (shares, coins, contracts)."""
        return float(self.meta["lot_size"])

    @property
    def contract_size(self) -> float:
        """Multiplier from lots x price to notional (1 for spot and equities)."""
        return float(self.meta.get("contract_size", 1.0))

    def __len__(self) -> int:
        return int(self.events.shape[0])

    def chunks(self, size: int = 1 << 20):
        """Yield the events in windows of ``size`` and release each window's pages after it.

        Reading a whole-file map leaves every page it touched resident (counted in
        RSS, though the kernel may drop them), so a long replay through
        ``.events`` shows RSS growing with the store. After each window is
        consumed its pages are released with ``madvise(MADV_DONTNEED)``, which
        keeps peak RSS at about one window whatever the store size. A window
        kept by the caller stays valid: its pages are read again from the file.

        Parameters
        ----------
        size : int
            Events per window (default 1,048,576: 48 MiB).
        """
        ev = self.events
        mm: Any = getattr(ev, "_mmap", None)
        can_release = mm is not None and hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED")
        base = ev.offset if isinstance(ev, np.memmap) else 0
        page = mmap.PAGESIZE
        item = EVENT_DTYPE.itemsize
        for i in range(0, len(ev), size):
            yield ev[i : i + size]
            if can_release:
                # np.memmap maps from a page boundary at or before the header end.
                start = base - (base // mmap.ALLOCATIONGRANULARITY) * mmap.ALLOCATIONGRANULARITY
                lo = (start + i * item) // page * page
                hi = (start + min(len(ev), i + size) * item) // page * page
                if hi > lo:
                    mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    def __array__(self, dtype=None, copy=None):
        # Lets np.asarray(store) hand the memory map to code that wants an array,
        # without a copy.
        if dtype is not None and np.dtype(dtype) != self.events.dtype:
            return np.asarray(self.events, dtype=dtype)
        return self.events

    def __repr__(self) -> str:
        return (
            f"EventStore({str(self.path)!r}, symbol={self.meta.get('symbol')!r}, "
            f"venue={self.meta.get('venue')!r}, events={len(self)})"
        )


def load(path: str | os.PathLike) -> EventStore:
    """Open an event store directory (``events.npy`` memory-mapped read-only).

    Parameters
    ----------
    path : str or PathLike
        The store directory written by ``mmsim convert`` or :class:`EventStoreWriter`.

    Returns
    -------
    EventStore

    Raises
    ------
    mmsim.DataError
        When the directory, ``meta.json`` or ``events.npy`` is missing or does not
        match the event schema; the message names the file and the fault.
    """
    root = Path(path)
    meta_path = root / "meta.json"
    ev_path = root / "events.npy"
    if not root.is_dir():
        raise DataError(f"{root}: not an event store directory (it does not exist or is a file)")
    if not meta_path.exists():
        raise DataError(f"{meta_path}: missing; an event store needs meta.json beside events.npy")
    if not ev_path.exists():
        raise DataError(f"{ev_path}: missing; an event store needs events.npy beside meta.json")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{meta_path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{meta_path}: must hold a JSON object, got {type(meta).__name__}")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise DataError(f"{meta_path}: missing key(s) {', '.join(missing)}")
    for key in ("tick_size", "lot_size", "contract_size"):
        v = meta[key]
        if not isinstance(v, (int, float)) or not v > 0:
            raise DataError(f"{meta_path}: key {key!r} must be a positive number, got {v!r}")
    if meta["levels"] not in ("L2", "L3"):
        raise DataError(f"{meta_path}: key 'levels' must be 'L2' or 'L3', got {meta['levels']!r}")
    try:
        events = np.load(ev_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataError(f"{ev_path}: not a readable .npy file ({exc})") from None
    if events.dtype != EVENT_DTYPE:
        raise DataError(
            f"{ev_path}: dtype {events.dtype} is not mmsim.EVENT_DTYPE {EVENT_DTYPE}"
        )
    if events.ndim != 1:
        raise DataError(f"{ev_path}: must be one-dimensional, has shape {events.shape}")
    if len(events) != meta["event_count"]:
        raise DataError(
            f"{meta_path}: key 'event_count' is {meta['event_count']} but {ev_path.name} "
            f"holds {len(events)} events (an interrupted conversion?)"
        )
    return EventStore(root, events, meta)


class EventStoreWriter:
    """Stream events into a new store, chunk by chunk.

    Parameters
    ----------
    path : str or PathLike
        Store directory to create. An existing store there (``events.npy`` and
        ``meta.json``) is replaced; any other non-empty directory is refused.

    Notes
    -----
    Use as a context manager: on an exception the partial store is removed, so
    a failed conversion never leaves a store that looks valid. ``close(meta)``
    writes ``meta.json`` and returns the opened :class:`EventStore`.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if self.path.exists():
            if not self.path.is_dir():
                raise DataError(f"{self.path}: output exists and is not a directory")
            extra = {p.name for p in self.path.iterdir()} - {"events.npy", "meta.json"}
            if extra:
                raise DataError(
                    f"{self.path}: output directory is not empty and not an event store "
                    f"(holds {sorted(extra)[:3]}); choose a new path"
                )
        self.path.mkdir(parents=True, exist_ok=True)
        self._meta_path = self.path / "meta.json"
        if self._meta_path.exists():
            self._meta_path.unlink()
        self._ev_path = self.path / "events.npy"
        self._fh = open(self._ev_path, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._fh.write(_npy_header(0))
        self.count = 0
        self.first_exch_ts: int | None = None
        self.last_exch_ts: int | None = None
        #: min(local_ts - exch_ts) over the events written, for clock checks.
        self.min_latency: int | None = None
        self._closed = False

    def append(self, chunk: np.ndarray) -> None:
        """Append a chunk of events (``EVENT_DTYPE``) to the store."""
        if chunk.dtype != EVENT_DTYPE:
            raise TypeError(f"chunk dtype {chunk.dtype} is not EVENT_DTYPE")
        if len(chunk) == 0:
            return
        chunk = np.ascontiguousarray(chunk)
        self._fh.write(chunk.tobytes())
        if self.first_exch_ts is None:
            self.first_exch_ts = int(chunk["exch_ts"][0])
        self.last_exch_ts = int(chunk["exch_ts"][-1])
        lat = int((chunk["local_ts"] - chunk["exch_ts"]).min())
        self.min_latency = lat if self.min_latency is None else min(self.min_latency, lat)
        self.count += len(chunk)

    def shift_local_ts(self, offset_ns: int, chunk: int = 1 << 20) -> None:
        """Add ``offset_ns`` to every ``local_ts`` already written (chunked, in place)."""
        self._fh.flush()
        if self.count == 0 or offset_ns == 0:
            return
        mm = np.memmap(
            self._ev_path, dtype=EVENT_DTYPE, mode="r+", offset=_HEADER_LEN, shape=(self.count,)
        )
        for i in range(0, self.count, chunk):
            mm["local_ts"][i : i + chunk] += offset_ns
        mm.flush()
        del mm
        self.min_latency = (self.min_latency or 0) + offset_ns

    def close(self, meta: dict[str, Any]) -> EventStore:
        """Finish the file, write ``meta.json`` and return the opened store.

        ``event_count`` and the first/last exchange times are filled in here.
        """
        self._fh.seek(0)
        self._fh.write(_npy_header(self.count))
        self._fh.close()
        self._closed = True
        meta = dict(meta)
        meta["event_count"] = self.count
        meta["first_exch_ts"] = self.first_exch_ts
        meta["last_exch_ts"] = self.last_exch_ts
        for key in REQUIRED_META:
            meta.setdefault(key, None)
        tmp = self._meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        tmp.replace(self._meta_path)
        return load(self.path)

    def abort(self) -> None:
        """Remove the partial store (after a failed conversion)."""
        if not self._closed:
            self._fh.close()
            self._closed = True
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> EventStoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            # Leaving the block without close(meta) is a programming error:
            # drop the half-written store rather than leave one without meta.
            self.abort()


def write_store(path: str | os.PathLike, events: np.ndarray, meta: dict[str, Any]) -> EventStore:
    """Write an in-memory event array as a store (small arrays, tests, tools).

    Parameters
    ----------
    path : str or PathLike
        Store directory.
    events : ndarray
        Events of :data:`mmsim.EVENT_DTYPE`.
    meta : dict
        Metadata; ``event_count`` and first/last times are filled in.
    """
    w = EventStoreWriter(path)
    with w:
        for i in range(0, len(events), 1 << 20):
            w.append(np.asarray(events[i : i + (1 << 20)]))
        return w.close(meta)
