"""The event store: a directory holding ``events.npy`` (memory-mapped) and ``meta.json``.

A store is what every loader writes and what :func:`mmsim.run` replays. Writing is streamed: :class:`EventStoreWriter`
appends chunks to ``events.npy`` behind a fixed-size header that is rewritten with the final length at close, so
converting a day of ticks never holds the day in memory. Reading maps the file (``mmap_mode="r"``), so a store larger
than RAM replays in constant memory.

A store is written in a temporary directory beside its target and renamed into place only once it is complete and has
been replayed through the engine's book: a failed conversion leaves nothing, and a store that exists is one that
replays. An existing store is replaced only on request (``force``), by renaming it away and the new one in, so a process
replaying the old one keeps reading intact files.
"""

from __future__ import annotations

import json
import mmap
from array import array
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .._json import json_fault, loads_unique
from ..errors import DataError, writing
from ..events import DIGEST_KEY, EVENT_DTYPE, as_event_array, is_order_event
from ._identity import check_meta, check_recorded, note_opened
from ._drop_through import drop_now, dropped_quirk, kept_quirk, untally
from ._meta_digest import META_DIGEST_KEY, meta_digest
from ._file_times import check_files, clock_checks, with_jump_quirk
from ._store_summary import summary
from ._store_write import (DATA_BYTES, ROW_BITS, ROW_MASK, _HEADER_LEN, _beside, _npy_header, _replay_check,
                           _target_state, check_receive_times, commit_store, events_digest, make_parents,
                           refuse_order_events, remove_parents, source_name, with_through_quirk)

__all__ = ["REQUIRED_META", "EventStore", "EventStoreWriter", "load", "summary", "write_store"]

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

#: Values of descriptive meta keys a writer's caller leaves out.
_META_DEFAULTS: dict[str, Any] = {
    "venue": "", "time_zone": "UTC", "contract_size": 1.0, "local_ts_recorded": False, "quirks": {},
}


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
        #: True when writing this store replaced an existing one (``force``).
        self.replaced = False

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
            Events per window (default 1,048,576: 48 MiB); a whole float is that integer (``4.0``), as
            for an integer config key; a fraction or a bool is a ConfigError.
        """
        from ..config._units import integer_argument

        size = integer_argument(size, "size must be a positive integer", low=1)
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
        When the directory, ``meta.json`` or ``events.npy`` is missing, unreadable
        (not UTF-8, not JSON, a key given twice, truncated) or does not match the event schema, or a
        ``meta.json`` key has the wrong type or value (a ``time_zone`` not an IANA
        zone name, such as ``localtime`` written by hand, too); the message names
        the file and the key or fault.
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
        text = meta_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{meta_path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{meta_path}: cannot be read ({exc.strerror or exc})") from None
    try:
        # NaN and Infinity parse (the key checks below reject them); a key given twice is refused (scale24).
        meta = loads_unique(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{meta_path}: {json_fault(exc)}") from None
    except RecursionError:
        raise DataError(f"{meta_path}: not valid JSON (nested too deeply)") from None
    check_store_meta(meta, meta_path)
    events = _open_events(ev_path)
    if len(events) != meta["event_count"]:
        raise DataError(
            f"{meta_path}: key 'event_count' is {meta['event_count']} but {ev_path.name} "
            f"holds {len(events)} events (an interrupted conversion?)"
        )
    check_recorded(events, meta, str(meta_path))  # its first and last exch_ts, its quirk's print: O(1) (fix26a)
    st = EventStore(root, events, meta)
    if meta["local_ts_recorded"]:  # a store edited by hand: one receive time far ahead holds the feed back to it
        check_receive_times(ev_path, st.chunks)
    return st


def check_store_meta(meta: Any, meta_path: Path) -> None:
    """Refuse a parsed ``meta.json`` that :func:`load` would: not a JSON object, a key of :data:`REQUIRED_META`
    missing, or one of the wrong type or range (``time_zone`` an IANA zone included: ``_identity.check_meta``),
    each naming ``meta_path`` and the key. ``mmsim report`` checks a store it is given by this too."""
    if not isinstance(meta, dict):
        raise DataError(f"{meta_path}: must hold a JSON object, got {type(meta).__name__}")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise DataError(f"{meta_path}: missing key(s) {', '.join(missing)}")
    check_meta(meta, meta_path)


def _open_events(ev_path: Path) -> np.ndarray:
    return open_events_file(ev_path)


#: What every refusal of a store's events.npy ends with: how a good one is made.
_EVENTS_REMEDY = "a store's events.npy is the .npy file `mmsim convert` or `mmsim synth` writes"


def open_events_file(ev_path: Path) -> np.ndarray:
    """The events of the ``.npy`` file ``ev_path`` (a store's ``events.npy``, or a bare one ``mmsim report --events``
    takes), memory-mapped read-only: the one opener of every command that reads a store's events (``run``,
    ``report``, ``compare``, ``queue-score``, ``sweep``), so a bad file gets one message whichever command met it.

    Returns
    -------
    ndarray of EVENT_DTYPE, shape (n,)

    Raises
    ------
    mmsim.DataError
        Naming ``ev_path``: a directory (``PATH: a directory, not an .npy file; ...``), a file not in numpy's .npy
        format (empty, text), an .npy file numpy cannot read (a damaged header, cut short), one not of
        :data:`mmsim.EVENT_DTYPE` or not one-dimensional. A missing file is the caller's to name (each has its
        remedy).
    """
    if ev_path.is_dir():
        raise DataError(f"{ev_path}: a directory, not an .npy file; {_EVENTS_REMEDY}")
    try:
        with open(ev_path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise DataError(f"{ev_path}: cannot be read ({exc.strerror or exc})") from None
    if head != b"\x93NUMPY":  # numpy's own message for a text file spoke of pickled data
        what = "an empty file, not an .npy file" if not head else "not an .npy file (it does not begin with numpy's header)"
        raise DataError(f"{ev_path}: {what}; {_EVENTS_REMEDY}")
    try:
        st = os.stat(ev_path)  # before the open: the file the digest check's cache is keyed by (note_opened)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged header can look like a Python 2 one
            events = np.load(ev_path, mmap_mode="r", allow_pickle=False)
    except Exception as exc:
        # np.load raises EOFError on a file cut in its header, ValueError, SyntaxError or
        # TokenError on a bad header, OSError on a truncated one ("mmap length
        # is greater than file size").
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{ev_path}: not a readable .npy file ({why})") from None
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE:
        dtype = getattr(events, "dtype", type(events).__name__)
        raise DataError(f"{ev_path}: dtype {dtype} is not mmsim.EVENT_DTYPE {EVENT_DTYPE}")
    if events.ndim != 1:
        raise DataError(f"{ev_path}: must be one-dimensional, has shape {events.shape}")
    note_opened(events, ev_path, st)
    # The dtype read back from the .npy header equals EVENT_DTYPE but has lost
    # numpy's "aligned" flag, so np.concatenate of two slices would pack the
    # records to 42 bytes; a view in EVENT_DTYPE itself keeps them at 48.
    return events.view(EVENT_DTYPE)


class EventStoreWriter:
    """Stream events into a new store, chunk by chunk.

    Parameters
    ----------
    path : str or PathLike
        Store directory to create. An existing store there is refused unless
        ``force``; any other non-empty directory is always refused.
    force : bool
        Replace an existing store: the new one is written beside it, then the old
        one is renamed away, the new one renamed in and the old one deleted. A
        process replaying the old store keeps reading its (unlinked) files.
    drop_prints_through_book : bool
        At :meth:`close`, remove the TRADE prints more than 10% through the book
        (:func:`mmsim.replay.prints_through_book`) before the digest is computed,
        recorded as ``quirks.prints_through_book`` with ``"dropped": true``
        (docs/data.md, "Prints through the book"). Off: the store is unchanged.
    l2_only : bool
        Refuse an order event (``ADD``, ``CANCEL``, ``DELETE``, ``EXECUTE``) where it is appended, naming its
        source position (``--trade-implied-book`` of a market-by-order source: L2 data only).

    Notes
    -----
    Use as a context manager: on an exception the temporary directory is
    removed, so a failed conversion leaves nothing. ``close(meta)`` writes
    ``meta.json``, replays the events through the engine's book (see
    :meth:`close`), renames the store into place and returns it opened.

    Loaders register each input file with :meth:`source` and pass, with each
    chunk, the packed source position of every event (``source << 48 | line``);
    a fault found at close then names the file and line or record.
    """

    def __init__(self, path: str | os.PathLike, *, force: bool = False, drop_prints_through_book: bool = False,
                 l2_only: bool = False) -> None:
        self.path = Path(path)
        self.force = force
        self.drop_prints_through_book = drop_prints_through_book
        _target_state(self.path, force)  # fail before any work
        # The folders made for it (-o a/b/c): removed again by abort(), each only while empty (newcomer18).
        self._parents = make_parents(self.path)
        self._tmp = _beside(self.path, "tmp")
        self._closed = False
        try:
            self._tmp.mkdir()
            self._ev_path = self._tmp / "events.npy"
            self._meta_path = self._tmp / "meta.json"
            self._rows_path = self._tmp / "rows.bin"
            self._fh = open(self._ev_path, "wb")
            self._fh.write(_npy_header(0))
            self._rows = open(self._rows_path, "wb")
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            remove_parents(self._parents)
            raise
        self.count = 0
        #: Order events (ADD, CANCEL, DELETE, EXECUTE) appended: an L3 converter labels a store of none L2.
        self.order_events = 0
        #: Refuse an order event where it was read (a market-by-order source's ``--trade-implied-book``).
        self.l2_only = l2_only
        self.first_exch_ts: int | None = None
        self.last_exch_ts: int | None = None
        #: min(local_ts - exch_ts) over the events written but :attr:`inferred`, for clock checks, and the packed
        #: source position of its event (-1: unknown).
        self.min_latency: int | None = None
        self.min_latency_at = -1
        #: Packed positions whose exchange time a loader inferred within what the others need: never the shift's.
        self.inferred: set[int] = set()
        #: Registered inputs: (file, what a position is called: "line" or "record").
        self.sources: list[tuple[str, str]] = []
        #: A loader's ``(packed position, ticks) -> that price as written there`` (None: not known), for the replay's messages.
        self.quote: Callable[[int, int], str | None] | None = None
        #: The prints dropped (``._drop_through.Drop``; False: none; None: not yet looked for), and each quirk count's
        #: packed positions of the events it counted (:meth:`tally`).
        self.dropped: Any = None
        self.tallies: dict[str, Any] = {}

    def tally(self, key: str, packed: int) -> None:
        """Count the event at ``packed`` in ``quirks.KEY``: the count is held to the events kept (fix34a)."""
        self.tallies.setdefault(key, array("q")).append(packed)

    def source(self, path: str | os.PathLike, unit: str = "line") -> int:
        """Register an input file; returns its index for packed source positions, from 1 (so that a packed
        position is never a bare line number, as the first file's were: carried to the next file, read as its)."""
        self.sources.append((str(path), unit))
        return len(self.sources)

    def where(self, packed: int) -> str:
        """``"FILE: line N"`` for a packed source position (``"event store"`` when unknown)."""
        known = self._source_of(packed)
        if known is None:
            return f"{self.path}"
        path, unit, row = known
        return f"{path}: {unit} {row}"

    def _source_of(self, packed: int) -> tuple[str, str, int] | None:
        """(file as registered, ``"line"``/``"record"``, row) of a packed position; None when unknown."""
        src = packed >> ROW_BITS
        if packed < 0 or not 1 <= src <= len(self.sources):
            return None
        path, unit = self.sources[src - 1]
        return path, unit, packed & ROW_MASK

    def append(self, chunk: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Append a chunk of events (``EVENT_DTYPE``) and, optionally, their packed source positions."""
        if self.dropped is not None:
            raise RuntimeError("append after the prints through the book were dropped (correct_local_clock)")
        if chunk.dtype != EVENT_DTYPE:
            raise TypeError(f"chunk dtype {chunk.dtype} is not EVENT_DTYPE")
        if len(chunk) == 0:
            return
        # The record's padding bytes zeroed: numpy leaves them as whatever memory held
        # (np.array(rows, dtype=EVENT_DTYPE)), and a store's bytes must depend on its events only.
        raw = np.ascontiguousarray(chunk).view(np.uint8).reshape(len(chunk), EVENT_DTYPE.itemsize) & DATA_BYTES
        with writing(self.path / "events.npy"):  # a full disk names the file where it goes (breaker36 F9)
            self._fh.write(raw.tobytes())
        if rows is None:
            rows = np.full(len(chunk), -1, np.int64)
        if self.l2_only:
            refuse_order_events(self.where, chunk, rows)
        self._rows.write(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
        if self.first_exch_ts is None:
            self.first_exch_ts = int(chunk["exch_ts"][0])
        self.last_exch_ts = int(chunk["exch_ts"][-1])
        gaps = chunk["local_ts"] - chunk["exch_ts"]
        if self.inferred:
            gaps = np.where(np.isin(rows, list(self.inferred)), np.iinfo(np.int64).max, gaps)
        i = int(gaps.argmin())
        if self.min_latency is None or int(gaps[i]) < self.min_latency:
            self.min_latency, self.min_latency_at = int(gaps[i]), int(rows[i])
        self.order_events += int(np.count_nonzero(is_order_event(chunk["kind"])))
        self.count += len(chunk)

    def correct_local_clock(self, own_clocks: bool = False) -> tuple[int, str | None]:
        """Shift every ``local_ts`` so that none is before its ``exch_ts`` (a recorder clock behind the venue's).

        ``own_clocks``: each file is its own recorder's (Binance): files needing other shifts are refused.

        Returns
        -------
        offset_ns : int
            What was added to every ``local_ts`` (0: none was early), the loaders'
            ``quirks.local_clock_offset_ns``.
        at : str or None
            ``"NAME: line N"`` (the file's name, as in ``meta["source"]``) of the event
            that was earliest against its exchange time,
            the one that set the offset (``quirks.local_clock_offset_at``); None with no
            shift or no source position. A shift set by a few lines far beyond what the rest need is refused
            (:func:`._store_write.clock_outlier`); a file's time jumped (recorded), files of two clocks: :mod:`._file_times`.
        """
        self._fh.flush()
        self._rows.flush()
        drop_now(self)  # before the times are read: a dropped print's sets nothing (fix34a)
        files = check_files(self)  # a time jumped far forward on a file's last lines: quirks.time_jump_at_end
        if self.min_latency is None or self.min_latency >= 0:
            return 0, None
        clock_checks(self, files if own_clocks else {})  # a wrong receive time, files of two clocks: refused
        offset, packed = -self.min_latency, self.min_latency_at
        self.shift_local_ts(offset)
        return offset, source_name(self._source_of(packed))

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

    def close(self, meta: dict[str, Any], *, validate: bool = True) -> EventStore:
        """Finish the store, check it replays, move it into place and return it opened.

        ``event_count`` and the first/last exchange times are filled in here.

        Parameters
        ----------
        meta : dict
            ``meta.json`` content (see :data:`REQUIRED_META`).
        validate : bool
            Replay the events through the engine's book first (``mmsim.run``
            with no strategy; each full ``CLEAR`` starts the book afresh, orders
            included) and check ``local_ts >= exch_ts`` when ``local_ts`` is
            recorded. A store with no events is refused when input files were
            registered with :meth:`source`. False skips these only: the levels
            check runs and ``quirks.prints_through_book`` is recomputed either
            way (dropped when the events do not replay; docs/data.md).

        Raises
        ------
        mmsim.DataError
            An event the engine would reject, named by its source file and line
            or record (its event index otherwise); or the target appeared
            meanwhile (and ``force`` is off).
        """
        with writing(self.path / "events.npy"):
            self._fh.flush()
        self._rows.flush()
        drop_now(self)  # when correct_local_clock did not (LOBSTER, write_store)
        with writing(self.path / "events.npy"):
            self._fh.seek(0)
            self._fh.write(_npy_header(self.count))
            self._fh.close()
        self._rows.close()
        meta = untally(meta, self.tallies, drop := self.dropped or None)  # counts of the kept events
        dropped = None if drop is None else dropped_quirk(drop, meta, self.quote, lambda p: source_name(self._source_of(p)))
        meta = with_jump_quirk(self, dict(meta))  # quirks.time_jump_at_end: read, or as given (no positions)
        meta["event_count"] = self.count
        meta["first_exch_ts"] = self.first_exch_ts
        meta["last_exch_ts"] = self.last_exch_ts
        meta[DIGEST_KEY] = events_digest(self._ev_path, self.count)  # what `mmsim compare` knows the events by
        # Descriptive keys a caller may leave out get neutral values; the ones a replay
        # reads (tick, lot, levels) must be given. The meta is checked before the store
        # is committed, so a store that exists is one that loads.
        for key, default in _META_DEFAULTS.items():
            meta.setdefault(key, default)
        for key in REQUIRED_META:
            meta.setdefault(key, None)
        check_meta(meta, self.path / "meta.json", given=True)  # named where the store goes, not its temporary dir
        meta[META_DIGEST_KEY] = meta_digest(meta)  # what its events mean, held where it loads (a given one replaced)
        with writing(self.path / "meta.json"):
            self._meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        # Its quirks.prints_through_book added to meta.json (or a given one dropped), validated or not.
        quirk = kept_quirk(meta, self._validate(meta, validate), dropped)
        with writing(self.path / "meta.json"):
            meta = with_through_quirk(self._meta_path, meta, quirk)
        self._rows_path.unlink()
        replaced = self._commit()
        self._closed = True
        st = load(self.path)
        st.replaced = replaced
        return st

    def _validate(self, meta: dict[str, Any], replay: bool = True) -> dict[str, Any] | None:
        if self.count == 0:
            if self.sources and replay:
                names = ", ".join(p for p, _ in self.sources)
                raise DataError(f"{names}: no market events (an empty file or a header only); no store written")
            return None
        return _replay_check(self._ev_path, self._rows_path, self.count, meta, self.where, self.quote,
                             lambda p: source_name(self._source_of(p)), self.path, replay)

    def _commit(self) -> bool:
        """Rename the finished store into place (:func:`._store_write.commit_store`); True when it replaced one."""
        return commit_store(self._tmp, self.path, self.force)

    def abort(self) -> None:
        """Remove the temporary directory (after a failed conversion), and the parent folders the writer created
        for the store (deepest first, each only while empty); the target is untouched."""
        if not self._closed:
            for fh in (self._fh, self._rows):
                if not fh.closed:
                    fh.close()
            self._closed = True
        shutil.rmtree(self._tmp, ignore_errors=True)
        remove_parents(self._parents)

    def __enter__(self) -> EventStoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            # Leaving the block without close(meta) is a programming error:
            # drop the half-written store rather than leave one without meta.
            self.abort()


def write_store(
    path: str | os.PathLike,
    events: np.ndarray,
    meta: dict[str, Any],
    *,
    force: bool = True,
    validate: bool = True,
    drop_prints_through_book: bool = False,
) -> EventStore:
    """Write an in-memory event array as a store (small arrays, tests, tools).

    Parameters
    ----------
    path : str or PathLike
        Store directory.
    events : ndarray
        Events of :data:`mmsim.EVENT_DTYPE`.
    meta : dict
        Metadata; ``event_count`` and first/last times are filled in.
    force : bool
        Replace an existing store at ``path`` (atomically; default True, as
        this writes a whole array the caller already holds).
    validate : bool
        Replay the events through the engine's book before the store is moved
        into place (see :meth:`EventStoreWriter.close`); a rejected event raises
        ``mmsim.DataError`` naming its index. False skips the replay only.
    drop_prints_through_book : bool
        Remove the TRADE prints more than 10% through the book before the
        store's digest is computed (:class:`EventStoreWriter`; docs/data.md,
        "Prints through the book"); with ``validate=False`` only when the
        events replay through the book.

    Raises
    ------
    mmsim.DataError
        ``events`` does not have ``EVENT_DTYPE``'s fields (the same fields in
        another layout are copied, :func:`mmsim.events.as_event_array`), or an
        event is rejected.
    """
    events = as_event_array(np.asarray(events))
    w = EventStoreWriter(path, force=force, drop_prints_through_book=drop_prints_through_book)
    with w:
        for i in range(0, len(events), 1 << 20):
            w.append(np.asarray(events[i : i + (1 << 20)]))
        return w.close(meta, validate=validate)
