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


def drop_through(ev_path: Path, rows_path: Path, count: int, header_len: int, meta: dict[str, Any],
                 quote: Callable[[int, int], str | None] | None,
                 named: Callable[[int], str | None]) -> tuple[dict[str, Any], int] | None:
    """Drop the TRADE prints through the book from a store being written (:class:`mmsim.data.store.EventStoreWriter`
    with ``drop_prints_through_book``): its ``count`` events in ``ev_path`` and their source positions in
    ``rows_path``, ``meta`` as given (its tick size, a quirk of the store it was copied from).

    Returns None when there is none, or when the events do not replay through the book (the writer's replay check
    says why; unchecked, ``validate=False``, nothing is dropped), else (the ``quirks.prints_through_book`` of the
    events before the drop, as :func:`._store_write.through_book_quirk` describes them, with ``"dropped": True``;
    the number of events left).
    """
    from ._store_write import through_book_quirk

    ev = np.memmap(ev_path, dtype=EVENT_DTYPE, mode="r+", offset=header_len, shape=(count,))
    rows = np.memmap(rows_path, dtype=np.int64, mode="r", shape=(count,))
    try:
        first, drop = through_indices(ev)
    except DataError:
        return None
    if not first["count"]:
        return None
    quirk = through_book_quirk(ev, rows, meta, quote, named, found=first)
    del ev, rows
    assert quirk is not None and quirk["count"] == len(drop)
    return {**quirk, "dropped": True}, compact(ev_path, rows_path, count, header_len, drop)


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
