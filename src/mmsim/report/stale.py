"""Fills on a stale book: maker fills whose order reached the exchange while the replayed book still showed
liquidity a print had gone through (docs/engine.md, "Engine semantics" item 11; docs/reports.md, "Fills on a
stale book").

On L2 data the book moves only on depth updates; a print does not move it. A sell print (aggressor -1) at ``p``
hit the bids: until the bid side's next depth update, a book whose best bid is above ``p`` contradicts it (those
bids were swept). A maker **bid** at ``b`` is on a stale book when its order's arrival at the exchange (the order
log's ``SENT`` row: its ``exch_ts`` is the arrival) came after such a print **strictly through its price** and
before the bid side's next depth update: a sell print at ``p < b`` since the bid side's last depth update, with
the book's best bid at the arrival (which no update has moved since the print) above ``p`` too. The mirror for
an **ask** at ``a``: a buy print at ``p > a`` since the ask side's last update, the book's best ask below ``p``.
So a print *at* the order's price is not through it, and neither is a print the book does not contradict: a
bid improving on the book's best bid, with a sell print between the two, met a book consistent with the print
(the print hit a bid the book does not show, as a hidden order's execution on L3 data does). Each fill is
judged at its own time: it counts only up to the side's next depth update after the arrival (a fill after that
update's message met a refreshed book; one in it came with the refresh. Of one order's partial fills the early
ones may count and the late ones not). Any depth update of the side ends the stale state, at whatever level:
on a feed whose diffs carry every changed level at once (Binance) that is the same thing; on a feed sending
levels one by one it may end it early, so the count errs low.

Times are venue messages: a print in the message (the same ``exch_ts``) of a depth update of its side is in
that update's book; an order arriving at a message's ``exch_ts`` comes after it (docs/engine.md, "Order of
things at one nanosecond"). A side's depth updates: ``DEPTH`` of that side, ``CLEAR`` of it or of both; on L3
data ``ADD``, ``CANCEL``, ``DELETE`` and ``EXECUTE`` of orders on it. Prints: ``TRADE`` with an aggressor side
(``side`` 0, an unknown aggressor, counts against the bids when below the book's best bid, against the asks
when above the best ask, and is left out otherwise) and the L3 ``EXECUTE`` (against the executed
order's side, which that very event updates: on L3 data an execution never leaves a stale book, and a hidden
execution cannot go through displayed orders, so expect 0 there), each only while the venue is ``TRADING``
(an auction's print while halted or quoting sweeps no book the replay shows; as :mod:`mmsim.data.implied`, so a
trade-implied store reads 0). Taker fills are not classified; neither is a maker fill whose order has no
``SENT`` row in the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._exact import as_float
from ..events import L3_KINDS, Kind, TradingStatus
from ..records import OrderEvent
from .infoage import _welch
from .markouts import Horizon, summarize

__all__ = ["DOCS", "stale_book", "stale_fills"]

#: Where the model gap is described.
DOCS = "docs/engine.md, Engine semantics item 11"


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


def _updates(events: np.ndarray, against: int) -> np.ndarray:
    """Whether each event updates side ``against``'s depth: ``DEPTH`` of it, ``CLEAR`` of it or of both, and on
    L3 data ``ADD``/``CANCEL``/``DELETE``/``EXECUTE`` of an order on it."""
    kind = events["kind"].astype(np.int64)
    side = events["side"].astype(np.int64)
    return (((kind == int(Kind.DEPTH)) & (side == against))
            | ((kind == int(Kind.CLEAR)) & ((side == against) | (side == 0)))
            | (np.isin(kind, L3_KINDS) & (side == against)))


def _through(events: np.ndarray, against: int, touch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the prints against side ``against`` (+1 the bids: sell prints; -1 the asks: buy prints): at each
    event (read at the end of its message), the most extreme print price since that side's last depth update
    (the lowest against the bids, the highest against the asks), and whether there was one. A print with no
    aggressor side (``side`` 0, Tardis' ``unknown``) counts against the bids when it is below the book's best
    bid at it (``touch``: that side's best price after each event), against the asks when above the best ask:
    only a sell through the bids can print below the best bid."""
    ts = events["exch_ts"]
    kind = events["kind"].astype(np.int64)
    side = events["side"].astype(np.int64)
    price = events["price"].astype(np.int64)
    updates = _updates(events, against)
    beyond = price * against < touch * against  # below the best bid, above the best ask (an empty side: never)
    prints = (((kind == int(Kind.TRADE)) & ((side == -against) | ((side == 0) & beyond)))
              | ((kind == int(Kind.EXECUTE)) & (side == against))) & _trading(events)
    last = np.maximum.accumulate(np.where(updates, ts, np.iinfo(np.int64).min))
    end = np.searchsorted(ts, ts, side="right") - 1
    key = last[end]  # the side's last update up to the end of each event's message
    counted = prints & (ts > key)  # a print in the message of an update is in that update's book
    signed = price * against  # the lowest against the bids, minus the highest against asks
    low, has = _segmented_cummin(signed, counted, key)
    return low * against, has


def _trading(events: np.ndarray) -> np.ndarray:
    """Whether the venue is ``TRADING`` at each event (its last ``STATUS`` before it, ``TRADING`` before any): a
    print out of trading is an auction's uncross, which sweeps no book the replay shows (mmsim.data.implied alike)."""
    st = events["kind"] == int(Kind.STATUS)
    idx = np.maximum.accumulate(np.where(st, np.arange(events.shape[0]), -1))
    status = np.where(idx >= 0, events["qty"][np.maximum(idx, 0)], int(TradingStatus.TRADING))
    return np.asarray(status == int(TradingStatus.TRADING))


def _next_update(events: np.ndarray, against: int) -> np.ndarray:
    """At each event, the ``exch_ts`` of side ``against``'s first depth update after the event's message
    (int64 max when none)."""
    ts = events["exch_ts"]
    upd = _updates(events, against)
    big = np.iinfo(np.int64).max
    nxt = np.minimum.accumulate(np.where(upd, ts, big)[::-1])[::-1]  # first update at or after each index
    after = np.searchsorted(ts, ts, side="right")  # the first event of the next message
    return np.append(nxt, big)[after]


def stale_fills(f: Mapping[str, Any], orders: np.ndarray, events: np.ndarray,
                bbo: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Classify the fills: ``stale`` (maker fills on a stale book) and ``classified`` (maker fills whose
    order's arrival the log has), boolean, one per fill. ``bbo``: :func:`mmsim.replay_bbo` of ``events``."""
    n = int(f["n"])
    maker = np.asarray(f["maker"], dtype=bool)
    empty = np.zeros(n, dtype=bool)
    orders = np.asarray(orders)
    if n == 0 or events.shape[0] == 0 or orders.dtype.names is None or "event" not in orders.dtype.names:
        return {"stale": empty, "classified": empty.copy()}
    sent = orders[orders["event"] == int(OrderEvent.SENT)]
    ids, first = np.unique(sent["order_id"], return_index=True)
    oid = np.asarray(f["order_id"], dtype=np.int64)
    known, arrival = empty.copy(), np.zeros(n, dtype=np.int64)
    if ids.size:
        pos = np.minimum(np.searchsorted(ids, oid), ids.size - 1)
        known = ids[pos] == oid
        arrival = np.where(known, sent["exch_ts"][first][pos], 0)
    at = np.searchsorted(events["exch_ts"], arrival, side="right") - 1  # the last message at or before the arrival
    classified = maker & known & (at >= 0)
    at = np.maximum(at, 0)
    price, side = np.asarray(f["price"], dtype=np.int64), np.asarray(f["side"], dtype=np.int64)
    best_bid, best_ask = np.asarray(bbo["best_bid"]), np.asarray(bbo["best_ask"])
    low, has_low = _through(events, 1, best_bid)  # sell prints since the bids' last update
    high, has_high = _through(events, -1, best_ask)  # buy prints since the asks' last update
    # Through the order's price and through the book's touch, which no update of the side has moved since.
    bid = (side > 0) & has_low[at] & (low[at] < np.minimum(price, best_bid[at]))
    ask = (side < 0) & has_high[at] & (high[at] > np.maximum(price, best_ask[at]))
    # ... and the fill no later than the side's next depth update: a fill after the message of that update met a
    # refreshed book; a fill in it came with the refresh, on the print the book had not caught up with (each
    # partial fill of one order is judged at its own time).
    fill_ts = np.asarray(f["exch_ts"], dtype=np.int64)
    fresh = np.where(side > 0, _next_update(events, 1)[at], _next_update(events, -1)[at]) < fill_ts
    return {"stale": classified & (bid | ask) & ~fresh, "classified": classified}


def stale_book(f: Mapping[str, Any], orders: np.ndarray, events: np.ndarray, bbo: Mapping[str, np.ndarray],
               mk: tuple[np.ndarray, np.ndarray], hs: Sequence[Horizon], col: Mapping[Horizon, int],
               confidence: float) -> tuple[dict[str, Any], np.ndarray]:
    """The report's ``stale_book`` section and the per-fill flag (fills.csv ``stale_book``, an empty cell where NaN).

    ``mk``: the markouts in half-ticks and whether each is defined (``mk2``, ``mk_ok`` of
    :func:`~mmsim.report.compute.compute_report`), shape (n_fills, n_horizons).

    Returns
    -------
    (dict, ndarray of float64)
        ``count`` (maker fills on a stale book), ``n_maker`` (maker fills classified), ``share``
        (count / n_maker, None without one), ``n_not_classified`` (maker fills whose order has no
        ``SENT`` row), ``n_taker`` (not classified), ``docs``, and ``markouts``: per horizon
        ``stale`` and ``other`` (the other classified maker fills), each
        :func:`~mmsim.report.markouts.summarize` of the markout in ticks over the fills with a
        markout at that horizon, and ``difference``: stale mean − other mean with Welch's t interval
        (``diff``, ``ci_low``, ``ci_high``, ``n_stale``, ``n_other``, ``zero_variance``; None when a
        group is empty); and per fill 1.0 (on a stale book), 0.0, or NaN for a fill not
        classified (a taker fill, an order with no ``SENT`` row).
    """
    mk2, mk_ok = mk
    c = stale_fills(f, orders, events, bbo)
    stale, classified = c["stale"], c["classified"]
    other = classified & ~stale
    maker = np.asarray(f["maker"], dtype=bool)
    n = int(classified.sum())
    rows = []
    for h in hs:
        j = col[h]
        x = {name: as_float(mk2[sel & mk_ok[:, j], j]) / 2.0 for name, sel in (("stale", stale), ("other", other))}
        rows.append({"horizon": h.label, **{name: summarize(v, confidence) for name, v in x.items()},
                     "difference": _welch(x["stale"], x["other"], confidence, ("stale", "other"))
                     if x["stale"].size and x["other"].size else None})
    section = {"count": int(stale.sum()), "n_maker": n, "share": float(stale.sum() / n) if n else None,
               "n_not_classified": int((maker & ~classified).sum()), "n_taker": int((~maker).sum()),
               "docs": DOCS, "markouts": rows}
    return section, np.where(classified, stale.astype(np.float64), np.nan)
