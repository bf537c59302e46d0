"""Fills on a stale book: maker fills whose order reached the exchange after a print through its price that the
replayed book had not caught up with (docs/engine.md, "Engine semantics" item 11; docs/reports.md, "Fills on a
stale book").

On L2 data the book moves only on depth updates; a print does not move it. Each print traded against one side
of the book: a sell print (aggressor -1) hit the bids, a buy print (+1) lifted the asks. Until that side's next
depth update the replayed book contradicts the print. A maker fill is **on a stale book** when its order's
arrival at the exchange (the order log's ``SENT`` row: its ``exch_ts`` is the arrival) came after a print
**strictly through the order's price** — below a bid's price, above an ask's — and before the next depth
update of the side that print traded against:

- a sell print below our bid since the last bid-side update: the bids the book still shows at our price were
  swept, and the next sell print fills the bid the venue would have seen placed over a moved market;
- a buy print below our bid since the last ask-side update: asks were there below our price, so the venue
  would have refused the post-only bid as crossing; the book took it against its stale asks.

(and the mirror for asks). A print *at* the order's price is not through it. Times are venue messages: a
print and a depth update of the side at one ``exch_ts`` are one message, whose book is current; an order
arriving at a message's ``exch_ts`` comes after it (docs/engine.md, "Order of things at one nanosecond").

Depth updates of a side: ``DEPTH`` of that side, ``CLEAR`` of it or of both; on L3 data ``ADD``,
``CANCEL``, ``DELETE`` and ``EXECUTE`` of orders on it. Prints: ``TRADE`` with an aggressor side (``side``
0 says nothing of the side it hit and is left out) and the L3 ``EXECUTE`` (against the executed order's
side, which that very event updates: on L3 data an execution never leaves a stale book, so expect 0 there).
Taker fills are not classified; neither is a maker fill whose order has no ``SENT`` row in the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._exact import as_float
from ..events import Kind
from ..records import OrderEvent
from .markouts import Horizon, summarize

__all__ = ["DOCS", "stale_book", "stale_fills"]

#: Where the model gap is described.
DOCS = "docs/engine.md, Engine semantics item 11"

_L3_UPDATES = (int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE))


def _segmented_cummin(values: np.ndarray, present: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running minimum of ``values[present]`` within each run of equal ``group`` (nondecreasing ints).

    Returns ``(minimum, has)``: at each index the minimum over the present values of its group up to it, and
    whether there was one. Exact on int64: the values are ranked (``0 .. W-2``, ``W-1`` for absent) and
    group ``g`` is shifted down by ``g * W``, so every earlier group's entries are larger than any of a later
    group's and one ``np.minimum.accumulate`` does all groups.
    """
    if values.size == 0:
        return values.copy(), np.zeros(0, dtype=bool)
    uniq, rank = np.unique(values[present], return_inverse=True)
    w = np.int64(uniq.size + 1)
    r = np.full(values.size, w - 1, dtype=np.int64)
    r[present] = rank
    g = np.concatenate(([0], np.cumsum(group[1:] != group[:-1]))).astype(np.int64)
    run = np.minimum.accumulate(r - g * w) + g * w
    has = run < w - 1
    out = np.zeros(values.size, dtype=np.int64)
    out[has] = uniq[run[has]]
    return out, has


def _through(events: np.ndarray, against: int) -> tuple[np.ndarray, ...]:
    """For the prints against side ``against`` (+1 bids, -1 asks): at each event (the end of its message), the
    lowest and highest print price since that side's last depth update, and whether there was one."""
    ts = events["exch_ts"]
    kind = events["kind"].astype(np.int64)
    side = events["side"].astype(np.int64)
    updates = (((kind == int(Kind.DEPTH)) & (side == against))
               | ((kind == int(Kind.CLEAR)) & ((side == against) | (side == 0)))
               | (np.isin(kind, _L3_UPDATES) & (side == against)))
    prints = (((kind == int(Kind.TRADE)) & (side == -against))
              | ((kind == int(Kind.EXECUTE)) & (side == against)))
    last = np.maximum.accumulate(np.where(updates, ts, np.iinfo(np.int64).min))
    end = np.searchsorted(ts, ts, side="right") - 1
    key = last[end]  # the side's last update up to the end of each event's message
    counted = prints & (ts > key)  # a print in the message of an update is in that update's book
    price = events["price"].astype(np.int64)
    low, has = _segmented_cummin(price, counted, key)
    high, _ = _segmented_cummin(-price, counted, key)
    return low, -high, has


def stale_fills(f: Mapping[str, Any], orders: np.ndarray, events: np.ndarray) -> dict[str, np.ndarray]:
    """Classify the fills: ``stale`` (maker fills on a stale book), ``own_side`` (stale by a print against the
    order's own side of the book alone: the sell print below a bid), ``classified`` (maker fills whose
    order's arrival the log has). All boolean, one per fill."""
    n = int(f["n"])
    maker = np.asarray(f["maker"], dtype=bool)
    empty = np.zeros(n, dtype=bool)
    orders = np.asarray(orders)
    if n == 0 or events.shape[0] == 0 or orders.dtype.names is None or "event" not in orders.dtype.names:
        return {"stale": empty, "own_side": empty.copy(), "classified": empty.copy()}
    sent = orders[orders["event"] == int(OrderEvent.SENT)]
    ids, first = np.unique(sent["order_id"], return_index=True)
    oid = np.asarray(f["order_id"], dtype=np.int64)
    known, arrival = empty.copy(), np.zeros(n, dtype=np.int64)
    if ids.size:
        pos = np.minimum(np.searchsorted(ids, oid), ids.size - 1)
        known = ids[pos] == oid
        arrival = np.where(known, sent["exch_ts"][first][pos], 0)
    classified = maker & known
    ts = events["exch_ts"]
    at = np.searchsorted(ts, arrival, side="right") - 1  # the last message at or before the arrival
    classified &= at >= 0
    at = np.maximum(at, 0)
    price, side = np.asarray(f["price"], dtype=np.int64), np.asarray(f["side"], dtype=np.int64)
    stale = empty.copy()
    own = empty.copy()
    for against in (1, -1):
        low, high, has = _through(events, against)
        h = has[at] & classified
        hit = h & (((side > 0) & (low[at] < price)) | ((side < 0) & (high[at] > price)))
        stale |= hit
        own |= hit & (side == against)
    return {"stale": stale, "own_side": own, "classified": classified}


def stale_book(f: Mapping[str, Any], orders: np.ndarray, events: np.ndarray, mk2: np.ndarray, mk_ok: np.ndarray,
               hs: Sequence[Horizon], col: Mapping[Horizon, int], confidence: float) -> tuple[dict[str, Any],
                                                                                               np.ndarray]:
    """The report's ``stale_book`` section and the per-fill flag (fills.csv ``stale_book``).

    Returns
    -------
    (dict, ndarray of bool)
        ``count`` (maker fills on a stale book), ``n_maker`` (maker fills classified), ``share``
        (count / n_maker, None without one), ``own_side`` (of ``count``, those a print against the
        order's own side makes stale: a sell print below a bid, a buy print above an ask),
        ``n_not_classified`` (maker fills whose order has no ``SENT`` row), ``n_taker`` (not
        classified), ``docs``, and ``markouts``: per horizon ``stale`` and ``other`` (the other
        classified maker fills), each :func:`~mmsim.report.markouts.summarize` of the markout in ticks
        over the fills with a markout at that horizon.
    """
    c = stale_fills(f, orders, events)
    stale, classified = c["stale"], c["classified"]
    other = classified & ~stale
    maker = np.asarray(f["maker"], dtype=bool)
    n = int(classified.sum())
    rows = []
    for h in hs:
        j = col[h]
        rows.append({"horizon": h.label,
                     **{name: summarize(as_float(mk2[sel & mk_ok[:, j], j]) / 2.0, confidence)
                        for name, sel in (("stale", stale), ("other", other))}})
    section = {"count": int(stale.sum()), "n_maker": n, "share": float(stale.sum() / n) if n else None,
               "own_side": int(c["own_side"].sum()), "n_not_classified": int((maker & ~classified).sum()),
               "n_taker": int((~maker).sum()), "docs": DOCS, "markouts": rows}
    return section, stale
