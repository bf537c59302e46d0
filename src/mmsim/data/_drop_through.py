"""Dropping the TRADE prints through the book at a store write (``drop_prints_through_book``; docs/data.md, "Prints
through the book"): found by :func:`mmsim.replay.prints_through_book` (C++), removed from the written events before
the store's digest is computed, recorded as ``quirks.prints_through_book`` with ``"dropped": true``.

A TRADE event does not change the exchange book (``Book::apply`` only widens the span of prices a later level may
take: ``cpp/src/book.cpp``), so each remaining print is judged against the same book with or without the others:
dropping the prints found leaves none through, and a recount of the written store gives 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE
from ._identity import THROUGH
from ._store_write import _HEADER_LEN, through_book_quirk

#: How many prints the first pass describes (:func:`mmsim.replay.prints_through_book`'s ``keep`` bound); when there
#: are more, a second pass lists them all.
PASS_KEEP = 1000


def through_indices(ev: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Every TRADE print through the book in ``ev`` (an array of :data:`mmsim.EVENT_DTYPE`).

    Returns the first pass's :func:`mmsim.replay.prints_through_book` result (its ``count`` is of all of them, its
    first print described) and the int64 indices of all of them, ascending. One book pass when there are at most
    :data:`PASS_KEEP`, else a second one that lists all of them (32 bytes a print: its index, price, best, side).

    Raises
    ------
    DataError
        An event the book refuses (``prints_through_book``'s), naming its index.
    """
    from ..replay import THROUGH_BOOK_BAND, _through, prints_through_book

    first = prints_through_book(ev, THROUGH_BOOK_BAND, keep=PASS_KEEP)
    every = first if first["count"] <= len(first["index"]) else _through(ev, THROUGH_BOOK_BAND, first["count"])
    return first, np.asarray(every["index"], np.int64).copy()


def compact(ev_path: Path, rows_path: Path, count: int, header_len: int, drop: np.ndarray, chunk: int = 1 << 20) -> int:
    """Remove the events at the ascending indices ``drop`` from the ``count`` events of ``ev_path`` (behind its
    ``header_len`` bytes of header, which the caller rewrites) and their packed source positions from ``rows_path``
    (int64), in place, chunk by chunk (a kept event only moves to a lower index); both files cut to the new length,
    which is returned."""
    ev = np.memmap(ev_path, dtype=EVENT_DTYPE, mode="r+", offset=header_len, shape=(count,))
    rows = np.memmap(rows_path, dtype=np.int64, mode="r+", shape=(count,))
    w = 0
    for i in range(0, count, chunk):
        n = min(chunk, count - i)
        keep = np.ones(n, bool)
        keep[drop[np.searchsorted(drop, i):np.searchsorted(drop, i + n)] - i] = False
        kept_ev, kept_rows = np.array(ev[i:i + n][keep]), np.array(rows[i:i + n][keep])
        ev[w:w + len(kept_ev)] = kept_ev
        rows[w:w + len(kept_rows)] = kept_rows
        w += len(kept_ev)
    ev.flush()
    rows.flush()
    del ev, rows
    os.truncate(ev_path, header_len + w * EVENT_DTYPE.itemsize)
    os.truncate(rows_path, w * 8)
    return w


class Drop:
    """The prints through the book a writer dropped (:func:`drop_now`): the first pass's
    :func:`mmsim.replay.prints_through_book` result over the events before the drop (``found``), the packed source
    position of its first print (``packed``), and the sorted packed positions of every print dropped (``rows``)."""

    __slots__ = ("found", "packed", "rows")

    def __init__(self, found: dict[str, Any], packed: int, rows: np.ndarray) -> None:
        self.found, self.packed, self.rows = found, packed, rows


def drop_now(writer: Any) -> None:
    """Drop the TRADE prints through the book from the events ``writer`` (a :class:`.store.EventStoreWriter` with
    ``drop_prints_through_book``, its files flushed) has written, once: before anything is read from its events (its
    files' times, ``quirks.time_jump_at_end``, the recorder-clock shift: :meth:`~.store.EventStoreWriter.
    correct_local_clock`; the quirk counts tied to events, :func:`untally`), so that a dropped line sets none of
    them (fix34a). Sets ``writer.dropped`` (a :class:`Drop`, or False: none dropped, or the events do not replay
    through the book, which the writer's replay check then names); the count, the first and last exchange times
    and the smallest receive-minus-exchange time (``min_latency``, the clock shift's) are the kept events'."""
    if writer.dropped is not None or not writer.drop_prints_through_book:
        return
    writer.dropped = False
    if not writer.count:
        return
    ev = np.memmap(writer._ev_path, dtype=EVENT_DTYPE, mode="r", offset=_HEADER_LEN, shape=(writer.count,))
    rows = np.memmap(writer._rows_path, dtype=np.int64, mode="r", shape=(writer.count,))
    try:
        first, drop = through_indices(ev)
    except DataError:
        return
    if not first["count"]:
        return
    packed, dropped_rows = int(rows[int(first["index"][0])]), np.sort(np.asarray(rows[drop]))
    del ev, rows
    writer.dropped = Drop(first, packed, dropped_rows)
    writer.count = compact(writer._ev_path, writer._rows_path, writer.count, _HEADER_LEN, drop)
    _rescan(writer)


def crossed_at_end(since: int | None, writer: Any) -> list[int] | None:
    """``quirks.crossed_at_end_ns`` of a book crossed since ``since`` (exchange time, ns; None: not crossed at the
    end): ``[since, the last kept event's exchange time]``, the prints through the book that ``writer`` drops
    (:func:`drop_now`, run here when it has not run) left out (fix34e: a dropped print sets no end)."""
    if since is None:
        return None
    writer._fh.flush()
    writer._rows.flush()
    drop_now(writer)
    return [since, max(since, writer.last_exch_ts if writer.last_exch_ts is not None else since)]


def _rescan(writer: Any, chunk: int = 1 << 20) -> None:
    """The kept events' first and last exchange times and their smallest ``local_ts - exch_ts`` (the writer's
    ``inferred`` positions left out, as :meth:`~.store.EventStoreWriter.append` leaves them) and its position."""
    writer.first_exch_ts = writer.last_exch_ts = writer.min_latency = None
    writer.min_latency_at = -1
    if not writer.count:
        return
    ev = np.memmap(writer._ev_path, dtype=EVENT_DTYPE, mode="r", offset=_HEADER_LEN, shape=(writer.count,))
    rows_all = np.memmap(writer._rows_path, dtype=np.int64, mode="r", shape=(writer.count,))
    writer.first_exch_ts, writer.last_exch_ts = int(ev["exch_ts"][0]), int(ev["exch_ts"][-1])
    inferred = np.fromiter(writer.inferred, np.int64, len(writer.inferred))
    for i in range(0, writer.count, chunk):
        rows = np.asarray(rows_all[i:i + chunk])
        gaps = np.asarray(ev["local_ts"][i:i + chunk]) - np.asarray(ev["exch_ts"][i:i + chunk])
        if len(inferred):
            gaps = np.where(np.isin(rows, inferred), np.iinfo(np.int64).max, gaps)
        j = int(gaps.argmin())
        if writer.min_latency is None or int(gaps[j]) < writer.min_latency:
            writer.min_latency, writer.min_latency_at = int(gaps[j]), int(rows[j])
    del ev, rows_all


def dropped_quirk(drop: Drop, meta: dict[str, Any], quote: Callable[[int, int], str | None] | None,
                  named: Callable[[int], str | None]) -> dict[str, Any]:
    """The ``quirks.prints_through_book`` of the prints ``drop`` describes, as :func:`._store_write.
    through_book_quirk` describes the events before the drop, with ``"dropped": True`` (``meta``: the store's, its
    tick size; ``quote``: the loader's, as written)."""
    quirk = through_book_quirk(np.empty(0, EVENT_DTYPE), {int(drop.found["index"][0]): drop.packed}, meta, quote,
                               named, found=drop.found)
    assert quirk is not None and quirk["count"] == len(drop.rows)
    return {**quirk, "dropped": True}


def untally(meta: dict[str, Any], tallies: dict[str, Any], drop: Drop | None) -> dict[str, Any]:
    """``meta`` with each quirk count a loader tied to its events (:meth:`.store.EventStoreWriter.tally`: the packed
    source positions of the events it counted) less those of its events that were dropped (fix34a: Tardis's
    ``unknown_aggressor_trades``, Databento's ``uncovered_trade_prints``, LOBSTER's ``cross_trades``, ...): a count
    of the store's events, as a dropped line is in none. A count the meta does not hold as an integer is left."""
    quirks = meta.get("quirks")
    if drop is None or not tallies or not isinstance(quirks, dict):
        return meta
    quirks = dict(quirks)
    for key, positions in tallies.items():
        gone = int(np.count_nonzero(np.isin(np.frombuffer(positions, np.int64), drop.rows)))
        if gone and isinstance(quirks.get(key), int):
            quirks[key] -= gone
    return {**meta, "quirks": quirks}


def kept_quirk(meta: dict[str, Any], recount: dict[str, Any] | None, dropped: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``quirks.prints_through_book`` a written store keeps: ``dropped`` (this write dropped them: the recount of
    what is left is None), else the events' own ``recount``, else, when they have none, the quirk given in ``meta``
    that says its prints were dropped (a dropped store rewritten, or trade-implied: its events hold none of them,
    the record that its source did is kept)."""
    if dropped is not None:
        return dropped
    old = (meta.get("quirks") or {}).get(THROUGH)
    if recount is None and isinstance(old, dict) and old.get("dropped") is True:
        return old
    return recount
