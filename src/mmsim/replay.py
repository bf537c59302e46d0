"""The exchange-side book replay shared by the engine and the reports: event input checks and best bid/offer.

Both :func:`mmsim.run` and the report read events through :func:`events_and_meta`,
and the report's exchange mid comes from :func:`replay_bbo`; keeping them here
(below both) is what lets ``mmsim.engine`` use ``mmsim.report`` without a cycle.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _engine
from ._interrupt import exit_guarded
from .errors import DataError
from .events import as_event_array

#: How far through the best price a TRADE print may go, as a fraction of that best price, before it is counted as
#: "through the book" (:func:`prints_through_book`; docs/data.md, "Prints through the book"). No venue lets one
#: order trade that far through its book in one step (Binance bands BTCUSDT perpetual orders at about +-5% of the
#: mark price, PERCENT_PRICE; US equities' LULD bands are 5-10% for most stocks), and an L2 feed batched over
#: 100 ms is not stale by that much. The engine takes it as an argument: this is its one source.
THROUGH_BOOK_BAND = 0.10

__all__ = ["THROUGH_BOOK_BAND", "events_and_meta", "prints_through_book", "replay_bbo"]


def events_and_meta(events: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """The event array and the store's meta (empty for a bare array), checked for the engine.

    Raises
    ------
    TypeError
        ``events`` is neither an array nor an event store.
    DataError
        Wrong dtype, not 1-d, not C-contiguous, or no events at all (an empty array or
        store has nothing to replay, and a run of it would report zeros that look fine);
        a store (with a path) whose ``events.npy`` is not what its ``meta.json``'s
        ``events_digest`` was computed from (recomputed, once per file version in a process:
        :func:`mmsim.data._identity.verify_digest`), so ``mmsim.run(mmsim.load(...))`` in
        Python refuses an edited store before its replay, as ``mmsim run`` does; a store's memory map (given
        as the store or bare, ``store.events``) whose file was cut short in place since it was opened
        (:func:`mmsim.data._identity.cut_short`: reading it would kill the process with SIGBUS); an object
        with ``events`` and a store's ``meta`` but no ``path`` whose events are not the ones its digest is of
        (:func:`mmsim.data._identity.verify_given`).
    """
    meta: dict[str, Any] = {}
    if hasattr(events, "events") and hasattr(events, "meta"):  # an EventStore
        meta = dict(events.meta)
        store, events = events, events.events
        if isinstance(events, np.ndarray):
            # the array replayed is the one verified: a packed copy of the store's events (np.concatenate of
            # slices) was hashed as 42-byte records and refused as edited (breaker18a)
            events = as_event_array(events)
            if getattr(store, "path", None) is not None:
                from pathlib import Path

                from .data._identity import verify_digest

                verify_digest(events, store.meta, Path(store.path) / "meta.json")
            else:  # a wrapper of a store's events: its meta's digest is not carried into the result unverified
                from .data._identity import verify_given

                verify_given(events, store.meta)
        if getattr(store, "path", None) is not None:
            meta.setdefault("store", str(store.path))
    if not isinstance(events, np.ndarray):
        raise TypeError(f"events must be a numpy array of mmsim.EVENT_DTYPE or an event store, got {type(events).__name__}")
    if isinstance(events, np.memmap) and "store" not in meta:  # a store's map given bare (a store's: verified above)
        from .data._identity import cut_short

        if (why := cut_short(events)) is not None:  # its file cut short since the open: SIGBUS (breaker18a)
            raise DataError(why)
    events = as_event_array(events)
    if events.ndim != 1:
        raise DataError(f"events must be 1-d, got shape {events.shape}")
    if not events.flags.c_contiguous:
        raise DataError("events must be C-contiguous (np.ascontiguousarray makes a copy that is)")
    if len(events) == 0:
        where = f"{meta['store']}: " if "store" in meta else ""
        raise DataError(f"{where}the event array is empty: there is nothing to replay")
    return events, meta


def replay_bbo(events: Any) -> dict[str, np.ndarray]:
    """Best bid/ask (ticks) and their sizes (lots) after each event, on the exchange book.

    An empty side reads ``INT64_MIN`` (bid) / ``INT64_MAX`` (ask) with size 0.

    Raises
    ------
    DataError
        A bad event, naming its index.
    """
    arr, _ = events_and_meta(events)
    # A bad event raises mmsim.DataError (with .index) from the engine.
    return dict(exit_guarded(lambda control: _engine.replay_bbo(arr, control)))


def _through_arguments(band: Any, keep: Any) -> tuple[float, int]:
    """:func:`prints_through_book`'s ``band`` and ``keep`` checked (its Raises), as a float and an int."""
    from .config._units import integer_argument

    from ._scales import shown

    real = isinstance(band, numbers.Real) and not isinstance(band, (bool, np.bool_))
    try:
        value = float(band) if real else math.nan
    except OverflowError:  # an int too big for a float (10**400): not finite, quoted by its size
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        got = shown(band) if isinstance(band, numbers.Integral) and real else (value if real else repr(band))
        raise ValueError(f"band must be a finite fraction >= 0 (0.1: 10%), got {got}")
    return value, integer_argument(keep, "keep must be an integer in [0, 1000]", 0, 1000, error=ValueError)


def prints_through_book(events: Any, band: float = THROUGH_BOOK_BAND, keep: int = 3) -> dict[str, Any]:
    """The TRADE prints through the book by more than ``band`` of the best price they went through.

    A print with aggressor side -1 (a seller hit the bid) priced below the best bid before it, or +1 above the
    best ask before it, by more than ``band`` times that best price; side 0 (unknown aggressor) below the best bid
    or above the best ask so. Only where that best price is > 0 (a relative band means nothing at or below 0) and
    its side of the book is not empty, and only while the venue trades (a print under a STATUS other than TRADING
    fills no resting order); EXECUTE events (at a resting order's own price) are not looked at. The
    book is the exchange book of :func:`replay_bbo`, one pass, nothing allocated per event.

    Parameters
    ----------
    events : ndarray or EventStore
        Events of :data:`mmsim.EVENT_DTYPE`.
    band : float
        The fraction (``0.10``: 10%); a print exactly ``band`` through is not counted.
    keep : int
        How many of the first such prints to describe (0 to 1000).

    Returns
    -------
    dict
        ``count`` (int: all such prints); ``index``, ``price``, ``best`` (ticks) and ``side`` (+1, -1, 0), each an
        int64 array of the first ``min(count, keep)``, in event order.

    Raises
    ------
    DataError
        A bad event, naming its index (as :func:`replay_bbo`).
    ValueError
        ``band`` not a real number (a bool and a string are not), finite and >= 0: ``band must be a finite fraction
        >= 0 (0.1: 10%), got '0.1'``; ``keep`` not an integer (``2.0`` is 2; ``1.5`` and ``True`` are not, the rule of
        :func:`mmsim.config.integer_argument`) in [0, 1000]: ``keep must be an integer in [0, 1000], got 1.5``.
    """
    band, keep = _through_arguments(band, keep)
    return _through(events, band, keep)


def _through(events: Any, band: float, keep: int) -> dict[str, Any]:
    """:func:`prints_through_book` without its argument checks: ``keep`` may be any count >= 0 (the drop at a store
    write, ``mmsim.data._drop_through``, asks for all of them: four int64 per print, 32 bytes)."""
    arr, _ = events_and_meta(events)
    out = dict(exit_guarded(lambda control: _engine.prints_through_book(arr, band, keep, control)))
    out["count"] = int(out["count"])
    return out
