"""Mark-to-mid equity at given times, from the fills and the exchange mid alone.

Shared by the report's risk figures (Sharpe, max drawdown, PnL by day) and
:func:`mmsim.compare`'s PnL per bucket, so that both read the same mark: cash
plus position times the exchange mid, minus fees, exact in half-tick·lots until
the one conversion to money (docs/reports.md, "Inventory and risk").
Nothing here reads the engine's samples: a figure of the trading does not
depend on when the engine happened to sample it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._exact import add, as_float, mul

__all__ = ["equity_at", "marking_mid", "max_drawdown"]

#: Times marked at once by :func:`max_drawdown` (bounds its memory on a day of millions of events).
DRAWDOWN_CHUNK = 1 << 20


def marking_mid(events: np.ndarray | None, exch_ts: np.ndarray, mid2: np.ndarray, valid: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray]:
    """The mid equity is marked to after each event: the last two-sided mid from trading time.

    An event's mid is a mark when the book is two-sided after it and the venue is ``TRADING``
    after every event stamped at its time (:func:`mmsim.report.presence.trading_steps`). While
    the venue is not trading (``STATUS`` ``QUOTING``: CME's pre-open, whose book crosses;
    ``HALTED``) no mark moves: a position stays marked at the last mid from trading time, and
    the gap shows at the first mid after trading resumes. Before the first trading-time mid,
    :func:`equity_at` marks at that first one (a pre-open's indicative book is no price). The
    last event's mark is the data's last two-sided mid, the PnL total's (``pnl.end_mid``): equity
    after the end of the data is the total, also when the data end while the venue is not
    trading (no other time reads the last event's mark). Data
    without ``STATUS`` events trade throughout: every two-sided mid is a mark, as before; data
    that never trade with a two-sided book mark at every two-sided mid too (nothing fills there).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE, shape (n,), or None
        The events (their ``STATUS`` events); None: trading throughout.
    exch_ts, mid2, valid : arrays, shape (n,)
        :func:`mmsim.report.compute.exchange_mid2` of the events.

    Returns
    -------
    (mid2_ff, ffvalid) : arrays, shape (n,)
        Twice the last mark at or before each event (ticks; 0 before the first) and whether
        there was one: what :func:`equity_at` and :func:`max_drawdown` take.
    """
    exch_ts = np.asarray(exch_ts, dtype=np.int64)
    valid = np.asarray(valid, dtype=bool)
    last = int(np.flatnonzero(valid)[-1]) if valid.any() else -1  # the data's last two-sided mid
    if exch_ts.size:
        from .presence import trading_steps

        steps = trading_steps(events, int(exch_ts[0]), int(exch_ts[-1]))
        if steps is not None:
            trading = steps[1][np.searchsorted(steps[0], exch_ts, side="right") - 1]
            if (valid & trading).any():
                valid = valid & trading
    has = np.maximum.accumulate(np.where(valid, np.arange(valid.size), -1))
    # The end of the data (after the last event) is marked as the PnL total is: at the data's last mid,
    # also when the data end while the venue is not trading.
    has[-1:] = last
    return np.where(has >= 0, mid2[np.maximum(has, 0)], 0), has >= 0


def equity_at(fills: np.ndarray | Mapping[str, np.ndarray], tick_value: float, exch_ts: np.ndarray, mid2_ff: np.ndarray,
              ffvalid: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Mark-to-mid equity just before each time: fills and events strictly before it.

    Parameters
    ----------
    fills : ndarray of FILL_DTYPE, shape (n_fills,), or a mapping of its columns
    tick_value : float
        Quote currency per tick·lot.
    exch_ts, mid2_ff, ffvalid : arrays, shape (n_events,)
        Event times, twice the last mark at or before each event (ticks) and
        whether there was one: :func:`marking_mid` (the last two-sided mid from
        trading time; with no ``STATUS`` event, the last two-sided mid).
    times : int64 array, shape (k,)
        Exchange times, ns.

    Returns
    -------
    float64 array, shape (k,)
        ``(cash + position * mid) * tick_value - fees`` from the fills with
        ``exch_ts < t`` and the last mark of the events with ``exch_ts < t``;
        before the first mark, that first mark (a position taken
        before it is marked at the first price the book gives it, not at 0: a
        10-lot buy before the bid side appeared read a drawdown of its whole
        notional); 0 when the data never has one. The same mark as the report's
        PnL total, so equity at ``t_last + 1`` equals ``report.data["pnl"]["total"]``
        (:func:`marking_mid` marks the end of the data at its last mid).

    Notes
    -----
    The report's risk figures mark at or before a time ``t``: ``times = t + 1``.
    (Moved here from :mod:`mmsim.analysis.buckets`, which still exports it.)
    """
    times = np.asarray(times, dtype=np.int64)
    f_ts = np.asarray(fills["exch_ts"], dtype=np.int64)

    side = fills["side"].astype(np.int64)
    qty = fills["qty"].astype(np.int64)
    pos_c = np.concatenate([[0], np.cumsum(side * qty)])  # the engine keeps every position in int64
    # Cash and the mark in exact integers (half-tick·lots), then money: a float sum of terms
    # near 2^62 loses the small difference that equity is (docs/reports.md, "Exact arithmetic").
    flow = mul(mul(-side, fills["price"]), qty)
    if flow.dtype != object and float(np.abs(as_float(flow)).sum()) >= 2.0**62:  # a running sum could wrap
        flow = flow.astype(object)
    cash_c = np.concatenate([np.zeros(1, flow.dtype), np.cumsum(flow)])
    fee_c = np.concatenate([[0.0], np.cumsum(fills["fee"].astype(np.float64))])
    j = np.searchsorted(f_ts, times, side="left")
    e = np.searchsorted(exch_ts, times, side="left") - 1
    ok = (e >= 0) & ffvalid[np.maximum(e, 0)]
    first_mid2 = mid2_ff[int(np.argmax(ffvalid))] if ffvalid.size and ffvalid.any() else 0
    mid2 = np.where(ok, mid2_ff[np.maximum(e, 0)], first_mid2)
    eq2 = add(mul(2, cash_c[j]), mul(pos_c[j], mid2))
    return as_float(eq2) / 2.0 * tick_value - fee_c[j]


def max_drawdown(fills: np.ndarray | Mapping[str, np.ndarray], tick_value: float, exch_ts: np.ndarray, mid2_ff: np.ndarray,
                 ffvalid: np.ndarray, *, chunk: int = DRAWDOWN_CHUNK) -> float:
    """Largest fall of mark-to-mid equity from a previous peak, after every event and every fill.

    Equity is marked (as :func:`equity_at` does) just after each exchange time at
    which an event or a fill happened: every fill and event stamped at or before
    that time. Equity starts at 0, so the first peak is 0. Events and fills
    stamped the same nanosecond count together (the records order nothing finer
    across them). The path is marked ``chunk`` times at a time, with the running
    peak carried over: the same figure as marking it all at once, in bounded memory.

    Parameters
    ----------
    fills : ndarray of FILL_DTYPE, shape (n_fills,), or a mapping of its columns
    tick_value : float
    exch_ts, mid2_ff, ffvalid : arrays, shape (n_events,)
        As for :func:`equity_at`.
    chunk : int
        Times marked at once (> 0).

    Returns
    -------
    float
        Quote currency, >= 0.
    """
    f_ts = np.asarray(fills["exch_ts"], dtype=np.int64)
    n = exch_ts.size
    peak, worst = 0.0, 0.0
    a, fa = 0, 0
    while a < n or fa < f_ts.size:
        b = min(a + chunk, n)
        # The fills before the next chunk's first event go with this chunk (all that are left with the last).
        fb = int(np.searchsorted(f_ts, exch_ts[b], side="left")) if b < n else f_ts.size
        times = np.sort(np.concatenate([exch_ts[a:b], f_ts[fa:fb]]))
        # +1: at or before each time (equity_at marks strictly before).
        eq = equity_at(fills, tick_value, exch_ts, mid2_ff, ffvalid, times + 1)
        run = np.maximum.accumulate(np.maximum(eq, peak))
        worst = max(worst, float((run - eq).max()))
        peak = float(run[-1])
        a, fa = b, fb
    return worst
