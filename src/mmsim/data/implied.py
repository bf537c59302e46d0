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
from ..events import EVENT_DTYPE, Kind, TradingStatus

__all__ = ["QUIRK", "trade_implied", "trade_implied_events"]

#: The store's ``meta.json`` quirk that says its book is trade-implied (and counts the rows).
QUIRK = "trade_implied_book"

_L3 = (int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE))


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


def trade_implied_events(events: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
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
    ev = np.asarray(events)
    kind = ev["kind"].astype(np.int64)
    if np.isin(kind, _L3).any():
        i = int(np.flatnonzero(np.isin(kind, _L3))[0])
        raise ValueError(f"a trade-implied book needs L2 data: its events are L3 (the first L3 one, event {i} of "
                         f"the store, is an {Kind(int(kind[i])).name}; on L3 data each execution removes its order: "
                         "there is nothing to imply)")
    ts = ev["exch_ts"]
    side = ev["side"].astype(np.int64).tolist()
    price = ev["price"].tolist()
    qty = ev["qty"].tolist()
    kinds = kind.tolist()
    n = len(kinds)
    # Each message's first index and whether it updates each side (a print there implies nothing).
    starts = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]]).tolist() if n else []
    books = {1: _Side(1), -1: _Side(-1)}
    trading = True
    pos: list[int] = []  # insert before this index of ``events``
    rows: list[tuple[int, int, int, int]] = []  # (source row, side, price, qty) of each added DEPTH
    counts = {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
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
                    against = 1 if bb is not None and price[i] < bb else -1 if ba is not None and price[i] > ba else 0
                if against == 0 or against in updates:
                    continue
                bk, p = books[against], price[i]
                changed = False
                while (best := bk.best()) is not None and against * (best - p) > 0:  # levels the print went through
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
    if not rows:
        return ev.copy(), counts
    src = np.array([r[0] for r in rows], dtype=np.int64)
    add = np.zeros(len(rows), dtype=EVENT_DTYPE)
    add["exch_ts"] = ev["exch_ts"][src]
    add["local_ts"] = ev["local_ts"][src]
    add["kind"] = depth
    add["side"] = [r[1] for r in rows]
    add["price"] = [r[2] for r in rows]
    add["qty"] = [r[3] for r in rows]
    out: np.ndarray = np.insert(ev, np.asarray(pos, dtype=np.int64), add)
    return out, counts


def trade_implied(store: str | os.PathLike, out: str | os.PathLike, *, force: bool = False) -> Any:
    """Write ``store``'s events with a trade-implied book (module docstring) as a new store at ``out``.

    The new store's ``meta.json`` is the old one's with ``quirks.trade_implied_book`` (the counts of
    :func:`trade_implied_events`); its event count differs, so ``mmsim compare`` and a report refuse to mix
    runs of the two stores. ``mmsim convert --trade-implied-book`` converts and transforms in one step.

    Returns
    -------
    EventStore
        The new store, opened.

    Raises
    ------
    mmsim.DataError
        ``store`` is not an event store, holds L3 events (naming the first), is already trade-implied, or is
        ``out`` itself; ``out`` exists and ``force`` is not set.
    """
    from .store import load, write_store

    src = load(store)
    there, source = Path(out).resolve(), Path(src.path).resolve()
    if there == source or source in there.parents:
        raise DataError(f"{out}: the trade-implied store must be written outside its source {src.path}")
    meta = dict(src.meta)
    quirks = dict(meta.get("quirks") or {})
    if QUIRK in quirks:
        raise DataError(f"{src.path}: its book is already trade-implied (meta.json quirks.{QUIRK})")
    try:
        events, counts = trade_implied_events(np.asarray(src.events))
    except ValueError as exc:
        raise DataError(f"{src.path}: {exc}") from None
    quirks[QUIRK] = counts
    meta["quirks"] = quirks
    return write_store(out, events, meta, force=force)
