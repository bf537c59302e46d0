"""Quote presence: how much of the time our quotes were live at the exchange, and how often we pulled them.

From the order log alone (:data:`mmsim.records.ORDER_LOG_DTYPE`), in exchange time:
an order is **live** from its ``ACKED`` row (the exchange accepted it and it rests) to
its end at the exchange: the ``FILLED`` row that leaves 0, its ``CANCELED`` row, or its
``EXPIRED`` row (the unfilled rest of a crossing quote, at its ack's own time). A
``REJECTED`` order (post-only would cross, halted) was never live; an explicit IOC, FOK or
market order is never acked and never live; an order still resting when the data ends is
live to the span's end. A side is live while at least one of our orders on it is.

Everything is settled **per exchange timestamp**: the state of a side at time ``t`` is the
one after every order-log row at ``t`` (a cancel and its replacement arriving at the same
nanosecond leave no gap; a crossing quote acked and filled at once was never live for any
time). Over the report's span ``[from_ts, to_ts]`` (the header's and the inventory
figures', ``inventory.from_ts``/``to_ts``), and of it only the venue's trading time
(``trading_ns``: its status ``TRADING``, from the events' ``STATUS`` events; halts and a
pre-open are left out, ``not_trading_ns``, as a market maker's obligations are measured):

- ``bid``/``ask``: share of the trading time the side was live; ``two_sided``: both at once;
  ``none``: neither (so ``bid + ask - two_sided + none == 1``).
- a **gap** of a side: a maximal stretch of the span with the side not live, of positive
  length. One that begins inside the span began with a fill (``hits``: among the side's
  orders that ended at that timestamp one was filled to 0) or with our own cancel. That
  cancel is the last one at the timestamp (the side's ``CANCELED`` row there with the
  highest ``decision``: messages reach the exchange in the order sent). If the strategy
  call that sent it (its ``decision``) also sent a limit order on the same side, the gap
  is a ``requote`` (the call moved the quote; its replacement arrived later or was
  rejected); else a ``pull`` (the call withdrew the side). An order log without the
  ``decision`` column counts every such gap a pull (``requotes`` None). A gap open at the
  span's start (the side not live at ``from_ts``) is none of these; a gap still open at
  ``to_ts`` counts, its duration cut there. A gap's duration is its trading time: a gap
  begun or lasting in a halt counts, the halt's time does not.
- ``at_touch``: share of the trading time our best live bid was at or above the exchange's best
  bid (our best ask at or below its best ask), the exchange book after every event at or
  before the time (``mmsim.replay_bbo``; with no market impact it never holds our own
  orders, so above it is an improvement of the touch; an empty exchange side counts as at
  the touch while we are live).

docs/reports.md, "Quote presence", has the definitions and an example.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..records import OrderEvent, OrderType

__all__ = ["live_time_per_bucket", "liveness", "quote_presence", "replacing_calls", "status_steps", "trading_steps"]

_SIDES = (("bid", 1), ("ask", -1))


def liveness(orders: np.ndarray, side: int, t0: int, t1: int) -> dict[str, np.ndarray]:
    """The live intervals of our orders on one side (``side`` +1 bid, -1 ask), cut to ``[t0, t1]``.

    Returns ``start``, ``end`` (ns), ``price`` (ticks), ``by_fill`` (the order ended
    by a fill to 0 inside the span) and ``cancel_decision`` (the ``decision`` of the
    ``CANCELED`` row that ended it, -1 if none or without the column) per order that was
    ever acked, in ack order.
    """
    ev = orders["event"]
    has_dec = "decision" in (orders.dtype.names or ())
    on = orders["side"] == side
    ack = np.flatnonzero(on & (ev == int(OrderEvent.ACKED)))
    filled_out = (ev == int(OrderEvent.FILLED)) & (orders["leaves"] == 0)
    ends = np.flatnonzero(on & (filled_out | (ev == int(OrderEvent.CANCELED)) | (ev == int(OrderEvent.EXPIRED))))
    ids = orders["order_id"][ack]
    start = orders["exch_ts"][ack].astype(np.int64)
    end = np.full(ack.size, t1, dtype=np.int64)
    by_fill = np.zeros(ack.size, dtype=bool)
    cancel_decision = np.full(ack.size, -1, dtype=np.int64)
    if ack.size and ends.size:
        order = np.argsort(ids, kind="stable")
        sid = ids[order]
        k = np.searchsorted(sid, orders["order_id"][ends])
        k_ok = k < sid.size
        hit = np.zeros(ends.size, dtype=bool)
        hit[k_ok] = sid[k[k_ok]] == orders["order_id"][ends][k_ok]
        # An explicit order's FILLED/EXPIRED rows have no ack: it never rested.
        j = order[k[hit]]
        end[j] = orders["exch_ts"][ends[hit]]
        by_fill[j] = filled_out[ends[hit]] & (end[j] <= t1)
        if has_dec:
            c = ev[ends[hit]] == int(OrderEvent.CANCELED)
            cancel_decision[j[c]] = orders["decision"][ends[hit][c]]
    start = np.clip(start, t0, t1)
    end = np.clip(end, t0, t1)
    return {"start": start, "end": end, "price": orders["price"][ack].astype(np.int64), "by_fill": by_fill,
            "cancel_decision": cancel_decision}


def replacing_calls(orders: np.ndarray, side: int) -> np.ndarray | None:
    """The strategy calls (``decision``, sorted) that sent a limit order on the side; None without the column."""
    if "decision" not in (orders.dtype.names or ()):
        return None
    sent = (orders["event"] == int(OrderEvent.SENT)) & (orders["side"] == side)
    if "order_type" in (orders.dtype.names or ()):  # a log saved before ladders: every order a target's LIMIT
        sent &= orders["order_type"] == int(OrderType.LIMIT)
    return np.unique(orders["decision"][sent].astype(np.int64))


def _steps(iv: Mapping[str, np.ndarray], t0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A side's step function: times (the first is ``t0``), live after every row at each, whether an
    order ended by a fill there, and the last cancel's ``decision`` there (-1: none)."""
    n = iv["start"].size
    ts = np.concatenate([[t0], iv["start"], iv["end"]]).astype(np.int64)
    delta = np.concatenate([[0], np.ones(n, np.int64), -np.ones(n, np.int64)])
    fill = np.concatenate([[False], np.zeros(n, bool), iv["by_fill"]])
    dec = np.concatenate([[-1], np.full(n, -1, np.int64), iv["cancel_decision"]]).astype(np.int64)
    o = np.argsort(ts, kind="stable")
    ts, delta, fill, dec = ts[o], delta[o], fill[o], dec[o]
    count = np.cumsum(delta)
    last = np.flatnonzero(np.append(ts[1:] != ts[:-1], True))
    first = np.concatenate([[0], last[:-1] + 1])
    any_fill = np.add.reduceat(fill.astype(np.int64), first) > 0
    return ts[last], count[last] > 0, any_fill, np.maximum.reduceat(dec, first)


def _live_at(times: np.ndarray, st: np.ndarray, live: np.ndarray) -> np.ndarray:
    return live[np.searchsorted(st, times, side="right") - 1]


def status_steps(events: np.ndarray | None, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The venue's status over ``[t0, t1]`` as a step function, from the events' ``STATUS`` events.

    Returns
    -------
    (times, status) : int64 arrays, shape (k,), or None
        ``times[0] == t0``; ``status[j]``: the ``TradingStatus`` after every event at ``times[j]``
        until the next time (a replay starts in ``TRADING``). None when the events hold no
        ``STATUS`` event (trading throughout), or without events.
    """
    from ..events import Kind, TradingStatus

    if events is None or "kind" not in (events.dtype.names or ()):
        return None
    st = np.flatnonzero(np.asarray(events["kind"]) == int(Kind.STATUS))
    if st.size == 0:
        return None
    ts = np.asarray(events["exch_ts"], dtype=np.int64)[st]
    code = np.asarray(events["qty"], dtype=np.int64)[st]
    at_start = np.flatnonzero(ts <= t0)
    first = int(code[at_start[-1]]) if at_start.size else int(TradingStatus.TRADING)
    inside = (ts > t0) & (ts <= t1)
    times = np.concatenate([[t0], ts[inside]]).astype(np.int64)
    status = np.concatenate([[first], code[inside]]).astype(np.int64)
    last = np.append(times[1:] != times[:-1], True)  # the status after every event at a time
    return times[last], status[last]


def trading_steps(events: np.ndarray | None, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`status_steps` as ``(times, trading)``: ``trading[j]`` the venue is ``TRADING`` from ``times[j]``."""
    from ..events import TradingStatus

    steps = status_steps(events, t0, t1)
    return None if steps is None else (steps[0], steps[1] == int(TradingStatus.TRADING))


def _weights(grid: np.ndarray, t1: int, status: tuple[np.ndarray, np.ndarray] | None,
             ) -> tuple[np.ndarray, np.ndarray]:
    """A step grid refined by the status changes, and each of its stretches' trading ns up to ``t1``."""
    if status is not None:
        grid = np.unique(np.concatenate([grid, status[0]]))
    dur = np.diff(np.append(grid, t1)).astype(np.float64)
    if status is not None:
        dur = np.where(_live_at(grid, *status), dur, 0.0)
    return grid, dur


def live_time_per_bucket(orders: np.ndarray, edges: np.ndarray,
                         events: np.ndarray | None = None) -> dict[str, np.ndarray] | None:
    """Time our quotes were live in each time bucket, by the rules of :func:`quote_presence`.

    Parameters
    ----------
    orders : ndarray of ORDER_LOG_DTYPE
        The run's order log.
    edges : int64 array, shape (n, 2)
        ``[start, end)`` of each bucket, exchange ns, sorted and not overlapping
        (:func:`mmsim.analysis.buckets.bucket_edges`).
    events : ndarray of EVENT_DTYPE, optional
        The events the run replayed: only the venue's ``TRADING`` time counts (their
        ``STATUS`` events, :func:`trading_steps`). Default: trading throughout.

    Returns
    -------
    dict of str to float64 array, shape (n,), or None
        ``bid``, ``ask``, ``two_sided``: trading ns of each bucket the side (both sides) was
        live; ``trading``: the bucket's trading ns. None without an order log (no ``event``
        column). Summed over buckets that tile a span, divided by ``trading``'s sum, they are
        ``quote_presence``'s shares over that span.
    """
    if "event" not in (orders.dtype.names or ()):
        return None
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if edges.shape[0] == 0:
        return {k: np.zeros(0) for k in ("bid", "ask", "two_sided", "trading")}
    t0, t1 = int(edges[0, 0]), int(edges[-1, 1])
    steps = {name: _steps(liveness(orders, side, t0, t1), t0) for name, side in _SIDES}
    status = trading_steps(events, t0, t1)
    grid = np.unique(np.concatenate([steps["bid"][0], steps["ask"][0]] + ([] if status is None else [status[0]])))
    live = {name: _live_at(grid, st, lv) for name, (st, lv, _, _) in steps.items()}
    live["two_sided"] = live["bid"] & live["ask"]
    trading = np.ones(grid.size, dtype=bool) if status is None else _live_at(grid, *status)
    live = {name: on & trading for name, on in live.items()}
    live["trading"] = trading
    return {name: _live_ns(grid, on, edges[:, 1]) - _live_ns(grid, on, edges[:, 0]) for name, on in live.items()}


def _live_ns(grid: np.ndarray, on: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Live ns from ``grid[0]`` to each time ``t >= grid[0]`` of a step function (``on`` after ``grid[k]``)."""
    cum = np.concatenate([[0], np.cumsum(np.where(on[:-1], np.diff(grid), 0))]).astype(np.int64)
    k = np.searchsorted(grid, t, side="right") - 1
    return (cum[k] + np.where(on[k], t - grid[k], 0)).astype(np.float64)


def _gaps(st: np.ndarray, live: np.ndarray, any_fill: np.ndarray, cancel_dec: np.ndarray, t1: int,
          replacing: np.ndarray | None, status: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Pulls, requotes and hits: the side's gaps that began inside the span, with their durations (ns).

    ``replacing``: the calls that sent a limit order on the side (:func:`replacing_calls`); None: no
    ``decision`` column, every gap not begun by a fill is a pull and ``requotes`` is None.
    ``status``: :func:`trading_steps`; a gap's duration is then its trading time (a requote whose
    replacement a halt rejected is not a gap of the halt's length), as the shares count.
    """
    begins = np.flatnonzero(~live[1:] & live[:-1]) + 1
    begins = begins[st[begins] < t1]
    again = np.flatnonzero(live)
    nxt = np.searchsorted(again, begins)
    closed = nxt < again.size
    end_t = np.full(begins.size, t1, dtype=np.int64)
    end_t[closed] = st[again[nxt[closed]]]
    if status is None:
        dur = (end_t - st[begins]).astype(np.float64)
    else:
        dur = _live_ns(status[0], status[1], end_t) - _live_ns(status[0], status[1], st[begins])
    hit = any_fill[begins]
    requote = np.zeros(begins.size, dtype=bool)
    if replacing is not None and replacing.size:
        dec = cancel_dec[begins]
        k = np.minimum(np.searchsorted(replacing, dec), replacing.size - 1)
        requote = ~hit & (dec >= 0) & (replacing[k] == dec)
    out: dict[str, Any] = {}
    for name, m in (("pulls", ~hit & ~requote), ("requotes", requote), ("hits", hit)):
        d = dur[m]
        known = name != "requotes" or replacing is not None
        out[name] = int(m.sum()) if known else None
        out[f"{name[:-1]}_gap_mean_ns"] = float(d.mean()) if d.size else None
        out[f"{name[:-1]}_gap_median_ns"] = float(np.median(d)) if d.size else None
    out["open_at_end"] = bool(begins.size and not closed[-1])
    return out


#: Most (order, grid time) pairs :func:`_at_touch` expands at once (about 17 bytes each).
_CHUNK = 1 << 22


def _at_touch(iv: Mapping[str, np.ndarray], side: int, g: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """At each time of the grid ``g``: one of our live orders on the side is at or better than ``theirs``.

    Each order's live interval covers a run of grid times; the runs are expanded, :data:`_CHUNK`
    pairs at a time (their total is about the grid's size per order resting at a time).
    """
    a = np.searchsorted(g, iv["start"], side="left")
    n = np.searchsorted(g, iv["end"], side="left") - a
    keep = n > 0
    a, n, price = a[keep], n[keep], iv["price"][keep]
    out = np.zeros(g.size, dtype=bool)
    cum = np.cumsum(n)
    i = 0
    while i < a.size:
        # Orders i..j-1: at least one, at most _CHUNK pairs beyond the first.
        j = max(i + 1, int(np.searchsorted(cum, (cum[i - 1] if i else 0) + _CHUNK, side="right")))
        ni = n[i:j]
        # Grid index of every (order, time) pair: a_k, a_k + 1, ..., a_k + n_k - 1.
        offs = np.repeat(a[i:j] - np.concatenate([[0], np.cumsum(ni)[:-1]]), ni)
        idx = np.arange(int(ni.sum()), dtype=np.int64) + offs
        px = np.repeat(price[i:j], ni)
        good = px >= theirs[idx] if side > 0 else px <= theirs[idx]
        out[idx[good]] = True
        i = j
    return out


def quote_presence(orders: np.ndarray, t0: int, t1: int, exch_ts: np.ndarray | None = None,
                   bbo: Mapping[str, np.ndarray] | None = None,
                   status: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any] | None:
    """The ``presence`` section of report.json; None without an order log.

    Parameters
    ----------
    orders : ndarray of ORDER_LOG_DTYPE
        The run's order log.
    t0, t1 : int
        The report's span, ns (``inventory.from_ts``, ``to_ts``).
    exch_ts, bbo : arrays, optional
        The events' ``exch_ts`` and :func:`mmsim.replay_bbo` of them, for ``at_touch``
        (omitted without them).
    status : (times, trading), optional
        :func:`trading_steps` of the events: the shares are of the venue's trading time
        in the span (``trading_ns``); None: trading throughout.
    """
    names = orders.dtype.names or ()
    if "event" not in names:
        return None
    out: dict[str, Any] = {"from_ts": int(t0), "to_ts": int(t1)}
    ivs = {name: liveness(orders, side, int(t0), int(t1)) for name, side in _SIDES}
    steps = {name: _steps(ivs[name], int(t0)) for name, _ in _SIDES}
    grid, dur = _weights(np.unique(np.concatenate([steps["bid"][0], steps["ask"][0]])), int(t1), status)
    live = {name: _live_at(grid, st, lv) for name, (st, lv, _, _) in steps.items()}
    # Shares of the venue's trading time in the span (all of it without STATUS events).
    span = dur.sum()
    out["trading_ns"] = int(span)
    out["not_trading_ns"] = int(t1) - int(t0) - int(span)

    def share(mask: np.ndarray, w: np.ndarray = dur) -> float | None:
        return float(w[mask].sum() / span) if span > 0 else None

    out["bid"] = share(live["bid"])
    out["ask"] = share(live["ask"])
    out["two_sided"] = share(live["bid"] & live["ask"])
    out["none"] = share(~live["bid"] & ~live["ask"])
    out["sides"] = {name: _gaps(st, lv, fl, dec, int(t1), replacing_calls(orders, side), status)
                    for (name, side), (st, lv, fl, dec) in zip(_SIDES, steps.values())}
    out["at_touch"] = None
    if exch_ts is not None and bbo is not None and len(exch_ts):
        ex = np.asarray(exch_ts, dtype=np.int64)
        # The exchange touch changes at the last event of each timestamp; ours at our step times.
        g, d = _weights(np.unique(np.concatenate([grid, np.clip(ex, int(t0), int(t1))])), int(t1), status)
        at = np.searchsorted(ex, g, side="right") - 1
        touch: dict[str, float | None] = {}
        for name, side in _SIDES:
            # An empty exchange side is INT64_MIN / INT64_MAX: any live order of ours is at it.
            theirs = np.asarray(bbo["best_bid" if side > 0 else "best_ask"], dtype=np.int64)[np.maximum(at, 0)]
            good = _at_touch(ivs[name], side, g, theirs)
            touch[name] = share(good, d)
        out["at_touch"] = touch
    return out
