"""A trade-implied L2 book: prints move the book until the venue's next depth update of the side.

On L2 data the replayed book moves only on depth updates (docs/engine.md, "Engine semantics" item 11): between
two depth messages it shows liquidity the prints since have taken. :func:`trade_implied_events` writes what the
prints imply into the events, as ``DEPTH`` rows the engine, the strategy's view and the signals all read alike:

- A **sell print** (aggressor ``-1``) at ``p`` of ``q`` lots hit the bids: every bid level above ``p`` is hidden
  (set to 0) and the level at ``p`` is reduced by ``q`` (to 0 at least), in rows right after the print, at its
  ``exch_ts`` and ``local_ts``. A **buy print** the mirror on the asks. A print with no aggressor side (``side``
  0) counts against the bids when below the best bid, against the asks when above the best ask
  (as :mod:`mmsim.report.stale`).
- The **next depth update of that side** (its ``DEPTH`` or ``CLEAR`` rows, at a later ``exch_ts``) is the
  venue's word: at the start of its message every level the prints changed is **restored** to what the depth
  updates alone say, then the message applies. So the implied change lasts only until the venue speaks again,
  and a level the prints wrongly took (a depth update stamped before its own trade; a level refilled to its old
  size, which a diff does not repeat) comes back at the next update, never later.
- A print in the message (the same ``exch_ts``) of a depth update of its side implies nothing: that update is
  the book after it. Prints while the venue is not ``TRADING`` (an auction's uncross) imply nothing.

Our queue positions see the rows as any depth update (docs/engine.md, item 8): the reduction at the print's
price repeats the print's volume, which the engine subtracts, so the print moves us once.
"""

from __future__ import annotations

import heapq
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE, L3_KINDS, Kind, TradingStatus
from ._identity import QUIRK  # defined there, where a store's meta.json is checked (implfix17)

__all__ = ["QUIRK", "trade_implied", "trade_implied_events"]


class _Side:
    """One side of the book as shown (depth updates and implied rows) and as the depth updates alone say."""

    __slots__ = ("sign", "shown", "real", "heap", "changed")

    def __init__(self, sign: int) -> None:
        self.sign = sign  # +1 bids (best = highest), -1 asks (best = lowest)
        self.shown: dict[int, int] = {}
        self.real: dict[int, int] = {}
        self.heap: list[int] = []  # -sign * price, lazy: a price is skipped when not shown
        self.changed: set[int] = set()  # prices the prints changed since the side's last depth update

    def set_shown(self, price: int, qty: int) -> None:
        if qty <= 0:
            self.shown.pop(price, None)
            return
        if price not in self.shown:
            heapq.heappush(self.heap, -self.sign * price)
        self.shown[price] = qty

    def best(self) -> int | None:
        h = self.heap
        while h and -self.sign * h[0] not in self.shown:
            heapq.heappop(h)
        return -self.sign * h[0] if h else None

    def depth(self, price: int, qty: int) -> None:
        """A depth update of the venue (the message's restore rows came first)."""
        if qty <= 0:
            self.real.pop(price, None)
        else:
            self.real[price] = qty
        self.set_shown(price, qty)

    def clear(self) -> None:
        self.shown.clear()
        self.real.clear()
        self.heap.clear()
        self.changed.clear()


#: Events a streamed transform reads at a time (3 MiB of events; the Python lists of one chunk about 20 MB).
_CHUNK = 1 << 16


def _refuse_l3(kind: np.ndarray, base: int) -> None:
    """Raise ValueError when ``kind`` (the kinds of the store's events ``base``, ``base + 1``, ...) holds an L3 one."""
    l3 = np.isin(kind, L3_KINDS)
    if l3.any():
        i = int(np.flatnonzero(l3)[0])
        raise ValueError(f"a trade-implied book needs L2 data: its events are L3 (the first L3 one, event {base + i} "
                         f"of the store, is an {Kind(int(kind[i])).name}; on L3 data each execution removes its "
                         "order: there is nothing to imply)")


def _check_chunk(chunk: int) -> None:
    """Raise ValueError for a chunk size below 1 (one read none: an empty store, counts of 0; breaker17a)."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"_chunk must be a whole number of events, at least 1, got {chunk!r}")


class _Transform:
    """The transform over a stream of event chunks: what one chunk leaves (both sides' books, the levels the prints
    changed, the venue's status, the counts) carries to the next.

    :meth:`feed` takes the next chunk and returns the events of the messages it completes with their added rows; a
    message (a run of one ``exch_ts``) the chunk may not hold all of waits for the next chunk, or :meth:`finish`.
    """

    def __init__(self) -> None:
        self.books = {1: _Side(1), -1: _Side(-1)}
        self.trading = True
        self.counts = {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
        self.seen = 0  # events fed so far (the next chunk's first index in the store)
        self.carry: list[np.ndarray] = []  # the last message fed, not yet transformed (its parts, one per chunk)

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        _refuse_l3(chunk["kind"], self.seen)
        self.seen += len(chunk)
        if len(chunk) == 0:
            return chunk[:0].copy()
        ts = chunk["exch_ts"]
        if self.carry and ts[0] == ts[-1] == self.carry[-1]["exch_ts"][-1] and (ts == ts[0]).all():
            # The carried message goes on through the whole chunk: keep its parts, join them once (joining them
            # again at each chunk made a message of many chunks cost its length squared; breaker17a).
            self.carry.append(chunk.copy())
            return chunk[:0].copy()
        ev = np.concatenate([*self.carry, chunk]) if self.carry else chunk
        ts = ev["exch_ts"]
        last = np.flatnonzero(ts != ts[-1])
        cut = int(last[-1]) + 1 if len(last) else 0  # the last message's first event
        self.carry = [ev[cut:].copy()]
        return self._messages(ev[:cut])

    def finish(self) -> np.ndarray:
        parts, self.carry = self.carry, []
        return self._messages(np.concatenate(parts)) if parts else np.zeros(0, dtype=EVENT_DTYPE)

    def _messages(self, ev: np.ndarray) -> np.ndarray:
        """Whole messages' events with the rows they add (a copy of them when none)."""
        kind = ev["kind"].astype(np.int64)
        ts = ev["exch_ts"]
        side = ev["side"].astype(np.int64).tolist()
        price = ev["price"].tolist()
        qty = ev["qty"].tolist()
        kinds = kind.tolist()
        n = len(kinds)
        # Each message's first index and whether it updates each side (a print there implies nothing).
        starts = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]]).tolist() if n else []
        books, counts = self.books, self.counts
        trading = self.trading
        pos: list[int] = []  # insert before this index of ``ev``
        rows: list[tuple[int, int, int, int]] = []  # (source row, side, price, qty) of each added DEPTH
        depth, clear, trade, status = int(Kind.DEPTH), int(Kind.CLEAR), int(Kind.TRADE), int(Kind.STATUS)
        for m, a in enumerate(starts):
            b = starts[m + 1] if m + 1 < len(starts) else n
            updates = {s for i in range(a, b) if kinds[i] in (depth, clear)
                       for s in ((1, -1) if kinds[i] == clear and side[i] == 0 else (side[i],))}
            cleared = {s for i in range(a, b) if kinds[i] == clear for s in ((1, -1) if side[i] == 0 else (side[i],))}
            for s in updates:  # the venue speaks: what the prints changed goes back to the depth updates' book
                bk = books[s]
                for p in sorted(bk.changed) if s not in cleared else ():  # (a clear empties the side anyway)
                    q = bk.real.get(p, 0)
                    if bk.shown.get(p, 0) != q:
                        pos.append(a)
                        rows.append((a, s, p, q))
                        counts["restored"] += 1
                    bk.set_shown(p, q)
                bk.changed.clear()
            for i in range(a, b):
                k = kinds[i]
                if k == depth:
                    books[side[i]].depth(price[i], qty[i])
                elif k == clear:
                    for s in (1, -1) if side[i] == 0 else (side[i],):
                        books[s].clear()
                elif k == status:
                    trading = qty[i] == int(TradingStatus.TRADING)
                elif k == trade and trading:
                    against = -side[i]
                    if against == 0:  # no aggressor side: the side whose touch it is beyond, if any
                        bb, ba = books[1].best(), books[-1].best()
                        against = (1 if bb is not None and price[i] < bb else
                                   -1 if ba is not None and price[i] > ba else 0)
                    if against == 0 or against in updates:
                        continue
                    bk, p = books[against], price[i]
                    changed = False
                    while (best := bk.best()) is not None and against * (best - p) > 0:  # levels it went through
                        bk.set_shown(best, 0)
                        bk.changed.add(best)
                        pos.append(i + 1)
                        rows.append((i, against, best, 0))
                        counts["hidden"] += 1
                        changed = True
                    left = bk.shown.get(p, 0)
                    if left > 0:
                        rest = max(0, left - qty[i])
                        bk.set_shown(p, rest)
                        bk.changed.add(p)
                        pos.append(i + 1)
                        rows.append((i, against, p, rest))
                        counts["hidden" if rest == 0 else "reduced"] += 1
                        changed = True
                    counts["prints"] += changed
        self.trading = trading
        if not rows:
            return ev.copy()
        src = np.array([r[0] for r in rows], dtype=np.int64)
        add = np.zeros(len(rows), dtype=EVENT_DTYPE)
        add["exch_ts"] = ev["exch_ts"][src]
        add["local_ts"] = ev["local_ts"][src]
        add["kind"] = depth
        add["side"] = [r[1] for r in rows]
        add["price"] = [r[2] for r in rows]
        add["qty"] = [r[3] for r in rows]
        out: np.ndarray = np.insert(ev, np.asarray(pos, dtype=np.int64), add)
        return out


def trade_implied_events(events: np.ndarray, *, _chunk: int = _CHUNK) -> tuple[np.ndarray, dict[str, int]]:
    """The events with the rows a trade-implied book adds (module docstring).

    Parameters
    ----------
    events : ndarray of :data:`mmsim.EVENT_DTYPE`, shape (n,)
        L2 events (``DEPTH``, ``TRADE``, ``CLEAR``, ``STATUS``), sorted by ``exch_ts``.

    Returns
    -------
    (ndarray, dict)
        The events with the added ``DEPTH`` rows (shape (n + added,), ``order_id`` 0), and the counts:
        ``prints`` (prints that changed the book), ``hidden`` (levels set to 0), ``reduced`` (levels
        reduced, not emptied), ``restored`` (levels set back at the side's next depth update).

    Raises
    ------
    ValueError
        L3 events (``ADD``, ``CANCEL``, ``DELETE``, ``EXECUTE``): each execution already removes its order, so
        nothing is implied; the caller names the store.
    """
    _check_chunk(_chunk)
    ev = np.asarray(events)
    _refuse_l3(ev["kind"], 0)  # the whole array first, as the store's transform does
    t = _Transform()
    parts = [t.feed(ev[i:i + _chunk]) for i in range(0, len(ev), _chunk)] + [t.finish()]
    out = np.concatenate([p for p in parts if len(p)]) if any(len(p) for p in parts) else ev.copy()
    return out, t.counts


def trade_implied(store: str | os.PathLike, out: str | os.PathLike, *, force: bool = False,
                  _chunk: int = _CHUNK) -> Any:
    """Write ``store``'s events with a trade-implied book (module docstring) as a new store at ``out``.

    The new store's ``meta.json`` is the old one's with ``quirks.trade_implied_book`` (the counts of
    :func:`trade_implied_events`); its event count differs, so ``mmsim compare`` and a report refuse to mix
    runs of the two stores. ``mmsim convert --trade-implied-book`` converts and transforms in one step.

    Streamed: the events are read ``_chunk`` (65,536) at a time and each chunk's output appended to the new store
    (:class:`mmsim.data.store.EventStoreWriter`), the books, the levels the prints changed, the venue's status and
    a message the chunk cuts carried to the next chunk; memory is a chunk's (or the longest message's, when longer),
    whatever the store's size, and any chunk size writes the same store. An L3 store is refused (one pass over its
    kinds) before anything is written.

    Returns
    -------
    EventStore
        The new store, opened.

    Raises
    ------
    mmsim.DataError
        ``store`` is not an event store, its ``events.npy`` is not what its ``meta.json`` ``events_digest`` was
        computed from (edited under it: nothing is written), it holds L3 events (naming the first), is already
        trade-implied, or is ``out`` itself; ``out`` exists and ``force`` is not set.
    """
    from ._identity import verify_store
    from .store import EventStoreWriter, load

    _check_chunk(_chunk)
    src = load(store)
    verify_store(src)  # an events.npy edited under its digest is refused, not written out under a new one
    there, source = Path(out).resolve(), Path(src.path).resolve()
    if there == source or source in there.parents:
        raise DataError(f"{out}: the trade-implied store must be written outside its source {src.path}")
    meta = dict(src.meta)
    quirks = dict(meta.get("quirks") or {})
    if QUIRK in quirks:
        raise DataError(f"{src.path}: its book is already trade-implied (meta.json quirks.{QUIRK})")
    try:
        base = 0
        for c in src.chunks(_chunk):  # L3 data refused before anything is written (one pass over the kinds)
            _refuse_l3(c["kind"], base)
            base += len(c)
    except ValueError as exc:
        raise DataError(f"{src.path}: {exc}") from None
    t = _Transform()
    with EventStoreWriter(out, force=force) as w:
        for c in src.chunks(_chunk):
            w.append(t.feed(np.asarray(c)))
        w.append(t.finish())
        quirks[QUIRK] = t.counts
        meta["quirks"] = quirks
        return w.close(meta)
