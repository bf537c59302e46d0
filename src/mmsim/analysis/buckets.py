"""Paired per-bucket series of a run (fills, markouts, spread capture, PnL) and their paired difference.

The building blocks of :func:`mmsim.compare` (docs/compare.md): one run's fills
aggregated into time buckets as sums (so a ratio of sums is the run's own mean),
and B - A over the same buckets with stationary-bootstrap intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .._days import n_days as days_of_data
from ..errors import ConfigError, DataError
from ..report.equity import equity_at, marking_mid
from ._bootstrap import PairedInterval, paired_mean_interval, paired_ratio_interval

__all__ = ["BucketSeries", "bucket_edges", "bucket_series", "equity_at", "fill_columns", "forward_mid",
           "grid_origin", "paired_difference"]


def bucket_edges(exch_ts: np.ndarray, bucket_ns: int, fill_ts: np.ndarray | None = None, *,
                 start: int | None = None, anchor: int | None = None) -> np.ndarray:
    """Edges of the time buckets over the data, dropping buckets where nothing happened.

    Parameters
    ----------
    exch_ts : int64 array, shape (n_events,)
        The events' exchange times (sorted, non-empty).
    bucket_ns : int
        Bucket length, ns (> 0).
    fill_ts : int64 array, optional
        The compared runs' fill times (all runs together), so that a fill after
        the last event (an order in flight at the end) or in a bucket without
        market events (a crossing order's taker fill) has a bucket.
    start : int, optional
        Where the buckets begin, ns: the market's span (the report's, from the first event
        after an opening snapshot set apart); events before it are in no bucket, a fill
        before it is (the first bucket begins at it). Default: the first event.
    anchor : int, optional
        The grid's origin, ns (clamped to ``[start, last event]``): the market's start, the
        first event after an opening snapshot, as the report's Sharpe grid is anchored.
        Default: ``start``.

    Returns
    -------
    int64 array, shape (n_buckets, 2)
        ``[start, end)`` of each kept bucket. Buckets are ``bucket_ns`` long from
        ``anchor``, to one ns after the last event or fill (the last one may be shorter);
        the stretch from ``start`` to ``anchor`` (an opening snapshot's) joins the first,
        as the Sharpe's first interval takes it, so stamping the snapshot earlier or later
        moves no edge but the first bucket's start. A bucket with no market event and no
        fill is dropped: nothing in it can move either run, so it carries no information
        and would only pad the series with exact zeros (e.g. the hours between a snapshot
        and the session).

    Raises
    ------
    ConfigError
        A bucket length that is not positive.
    """
    if bucket_ns <= 0:
        raise ConfigError(f"bucket must be a positive duration, got {bucket_ns} ns")
    ts = np.asarray(exch_ts, dtype=np.int64)
    t0 = int(ts[0]) if start is None else int(start)
    t_last = int(ts[-1])
    if fill_ts is not None and len(fill_ts):
        fts = np.asarray(fill_ts, dtype=np.int64)
        t0 = min(t0, int(fts.min()))  # a fill before the span's start joins the first bucket
        ts = np.concatenate([ts, fts])
    a = t0 if anchor is None else min(max(int(anchor), t0), max(t_last, t0))
    t1 = int(ts.max()) + 1
    used = np.unique(np.maximum((ts[ts >= t0] - a) // bucket_ns, 0))
    begin = a + used * bucket_ns
    begin[used == 0] = t0  # the stretch before the anchor is the first bucket's
    end = np.minimum(a + (used + 1) * bucket_ns, t1)
    return np.stack([begin, end], axis=1).astype(np.int64)


def grid_origin(events: Any) -> tuple[int, int]:
    """``(start, anchor)`` for :func:`bucket_edges` over these events: the market's span start (the first
    event after an opening snapshot set apart, else the first event) and the grid's anchor (the first
    event after an opening snapshot, else the first event), as the report's Sharpe grid has them."""
    from ..report.setup import market_start, opening_snapshot

    snap = opening_snapshot(events)
    first = int(events["exch_ts"][0])
    anchor = snap["market_start_ts"]
    return market_start(snap, first), first if anchor is None else int(anchor)


def forward_mid(events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event times, twice the mark at or before each event (ticks), and whether there was one.

    The mark is :func:`mmsim.report.equity.marking_mid`'s: the last two-sided exchange mid from
    trading time (a pre-open's crossed book or a halt moves none), as the report's equity.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE, shape (n,)

    Returns
    -------
    exch_ts : int64 array, shape (n,)
    mid2_ff : int64 array, shape (n,)
        0 before the first two-sided book.
    ffvalid : bool array, shape (n,)
    """
    from ..report.compute import exchange_mid2

    exch_ts, mid2, valid = exchange_mid2(events)
    return (exch_ts, *marking_mid(events, exch_ts, mid2, valid))


#: The former private name (queue scoring reads it).
_mid_ff = forward_mid


def fill_columns(result: Any, events: Any, horizons: Sequence[Any]) -> tuple[dict[str, np.ndarray], list[str]]:
    """A run's per-fill columns that :func:`bucket_series` sums, from the report.

    Parameters
    ----------
    result : mmsim.Result
    events : ndarray of EVENT_DTYPE or EventStore
        The events the run replayed.
    horizons : sequence of int or str
        Markout horizons (durations).

    Returns
    -------
    columns : dict of str to array, shape (n_fills,) each
        :func:`mmsim.report.compute.compute_report`'s fill table (``exch_ts``, ``qty``,
        ``effective_half_spread_ticks``, ``markout_<h>_ticks``, ...).
    labels : list of str
        The horizons' labels (``1s``), ascending.
    """
    from ..report.compute import compute_report

    ev = events.events if hasattr(events, "events") and hasattr(events, "meta") else np.asarray(events)
    hs = list(horizons)
    rep = compute_report(result, ev, horizons=hs, event_horizons=[], toxic_horizon=hs[0], signal_buckets=1)
    return rep.fills, list(rep.data["run"]["horizons"])


@dataclass
class BucketSeries:
    """One run's sums per time bucket (the input of a paired comparison).

    Attributes
    ----------
    edges : int64 array, shape (n, 2)
        ``[start, end)`` of each bucket, exchange ns.
    lots : float array, shape (n,)
        Lots filled in each bucket.
    markout_num : dict of str to float array, shape (n,)
        Per horizon label: sum of ``markout (ticks) * lots`` over the bucket's
        fills that have a markout at that horizon.
    markout_lots : dict of str to float array, shape (n,)
        Per horizon label: the lots of those fills.
    spread_num : float array, shape (n,)
        Sum of ``effective half-spread (ticks) * lots`` over the bucket's fills.
    pnl : float array, shape (n,)
        Change of mark-to-mid equity over the bucket (quote currency, fees included).
    n_days : int
        Days of data (:func:`mmsim._days.n_days`: the calendar days, UTC, the data
        touches, at most its span rounded up to whole days); PnL per day divides by it.
    two_sided : float array, shape (n,), or None
        Ns of each bucket both our sides were live at the exchange while the venue was
        trading (:func:`mmsim.report.presence.live_time_per_bucket`), each bucket taking the
        time of the dropped buckets after it up to the next kept one (so the sums are over the
        whole span, whatever the bucket length); None when not asked for or without an order log.
    trading : float array, shape (n,), or None
        Ns of each bucket the venue was trading (its status ``TRADING``); None with
        ``two_sided``.
    span_ns : int
        The market's span, from its start (the first event after an opening snapshot set
        apart, else the first event) to the last event, ns: the report's ``risk.span_ns``,
        which names what a PnL "per day" is over on less than a day of data.
    """

    edges: np.ndarray
    lots: np.ndarray
    markout_num: dict[str, np.ndarray]
    markout_lots: dict[str, np.ndarray]
    spread_num: np.ndarray
    pnl: np.ndarray
    n_days: int
    two_sided: np.ndarray | None = None
    trading: np.ndarray | None = None
    span_ns: int = 0


def bucket_series(result: Any, events: Any, edges: np.ndarray, horizons: Sequence[Any], *,
                  columns: tuple[Mapping[str, np.ndarray], Sequence[str]] | None = None,
                  mid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                  presence: bool = False) -> BucketSeries:
    """Sum a run's fills, markouts and PnL per time bucket.

    Markouts and effective half-spreads come from the report
    (:func:`mmsim.report.compute.compute_report`'s per-fill columns), so they
    are the same numbers as in ``report.json``.

    Parameters
    ----------
    result : mmsim.Result
    events : ndarray of EVENT_DTYPE or EventStore
        The events the run replayed.
    edges : int64 array, shape (n, 2)
        Buckets from :func:`bucket_edges`.
    horizons : sequence of int or str
        Markout horizons (durations).
    columns : (mapping, sequence of str), optional
        The run's per-fill columns and the horizon labels to sum, as
        :func:`fill_columns` gives them (or a report's ``fills`` with labels it
        has): a sweep computes them once per run, not once per comparison.
        Default: computed here for ``horizons``.
    mid : (exch_ts, mid2_ff, ffvalid), optional
        :func:`forward_mid` of ``events`` (computed once per event store by a sweep).
    presence : bool
        Also sum the time both sides were live (``two_sided``), from the run's order log.

    Returns
    -------
    BucketSeries
    """
    ev = events.events if hasattr(events, "events") and hasattr(events, "meta") else np.asarray(events)
    cols, labels = columns if columns is not None else fill_columns(result, ev, horizons)
    f_ts = np.asarray(cols["exch_ts"], dtype=np.int64)
    qty = np.asarray(cols["qty"], dtype=np.float64)
    n = len(edges)
    k = np.searchsorted(edges[:, 0], f_ts, side="right") - 1
    inside = (k >= 0) & (f_ts < edges[np.maximum(k, 0), 1])
    k = np.where(inside, k, 0)

    def per_bucket(w: np.ndarray, sel: np.ndarray) -> np.ndarray:
        return np.bincount(k[sel], weights=w[sel], minlength=n).astype(np.float64)

    mk_num, mk_lots = {}, {}
    for lab in labels:
        m = np.asarray(cols[f"markout_{lab}_ticks"], dtype=np.float64)
        ok = inside & np.isfinite(m)
        mk_num[lab] = per_bucket(np.where(ok, m, 0.0) * qty, ok)
        mk_lots[lab] = per_bucket(qty, ok)
    eff = np.asarray(cols["effective_half_spread_ticks"], dtype=np.float64)
    spread = per_bucket(eff * qty, inside)
    lots = per_bucket(qty, inside)
    exch_ts, mid2_ff, ffvalid = mid if mid is not None else forward_mid(ev)
    fills = np.asarray(result.fills)
    eq = equity_at(fills, float(result.tick_value), exch_ts, mid2_ff, ffvalid,
                   np.concatenate([edges[:, 0], edges[-1:, 1]]))
    # Dropped buckets hold no event, hence no fill and no mid change: the equity at a
    # kept bucket's end equals the equity at the next kept bucket's start.
    pnl = np.diff(eq)
    # The days of data are the market's, as the report's risk.n_days: an opening snapshot set apart
    # (a Databento day's 00:00 book, stamped on the day before) adds none.
    from ..report.setup import market_start, opening_snapshot

    t1 = int(exch_ts[-1])
    t0 = market_start(opening_snapshot(ev), int(exch_ts[0]))
    two_sided = trading = None
    orders = getattr(result, "orders", None)
    if presence and orders is not None:
        from ..report.presence import live_time_per_bucket

        # Time-weighted: a dropped bucket's time (no event, no fill; quotes resting through it still count)
        # joins the kept bucket before it, so the share is over the whole span whatever the bucket length
        # (breaker15b: ESH4's 96.68% read 86.85% in 1 ms buckets, which kept mostly the instants events came).
        tiled = np.array(edges, dtype=np.int64).reshape(-1, 2)
        tiled[:-1, 1] = tiled[1:, 0]
        if tiled.size:  # from the market's start, as the report's span (breaker15c: a taker fill against an opening
            tiled[0, 0] = max(int(tiled[0, 0]), min(t0, int(tiled[0, 1])))  # snapshot set apart began it hours before)
        live = live_time_per_bucket(np.asarray(orders), tiled, ev)
        if live is not None:
            two_sided, trading = live["two_sided"], live["trading"]
    return BucketSeries(edges, lots, mk_num, mk_lots, spread, pnl, days_of_data(t0, t1, exch_ts[exch_ts >= t0]),
                        two_sided, trading, t1 - t0)


def paired_difference(a: BucketSeries, b: BucketSeries, *, block: float | None = None, n_boot: int = 2000,
                      confidence: float = 0.95, seed: int | None = 0) -> dict[str, PairedInterval]:
    """``B - A`` for every compared quantity, each with its stationary-bootstrap interval.

    The sweep hook: a sweep computes :func:`bucket_series` once per point (on
    the same :func:`bucket_edges`) and calls this with the baseline point as
    ``a`` for an interval on every point's difference.

    Parameters
    ----------
    a, b : BucketSeries
        On the same buckets.
    block : float, optional
        Mean block length in buckets (None: Politis and White 2004, per quantity).
    n_boot, confidence, seed
        Resamples, interval level, and the seed of ``numpy.random.default_rng``
        (every quantity uses the same seed, hence the same draws for a given block).

    Returns
    -------
    dict of str to PairedInterval
        Keys ``markout@<h>`` (ticks/lot), ``spread_capture`` (ticks/lot) and
        ``pnl_per_day`` (quote currency per day); ``two_sided`` (the share of the buckets'
        trading time both sides were live, a fraction) when both series have it.

    Raises
    ------
    DataError
        The two series are on different buckets.
    """
    if a.edges.shape != b.edges.shape or not np.array_equal(a.edges, b.edges):
        raise DataError("paired_difference: the two runs' series are on different time buckets")
    out: dict[str, PairedInterval] = {}
    for lab in a.markout_num:
        out[f"markout@{lab}"] = paired_ratio_interval(a.markout_num[lab], a.markout_lots[lab], b.markout_num[lab],
                                                      b.markout_lots[lab], block=block, n_boot=n_boot,
                                                      confidence=confidence, seed=seed)
    out["spread_capture"] = paired_ratio_interval(a.spread_num, a.lots, b.spread_num, b.lots, block=block,
                                                  n_boot=n_boot, confidence=confidence, seed=seed)
    n = len(a.pnl)
    out["pnl_per_day"] = paired_mean_interval(b.pnl - a.pnl, scale=n / a.n_days, block=block, n_boot=n_boot,
                                              confidence=confidence, seed=seed)
    if a.two_sided is not None and b.two_sided is not None and a.trading is not None and b.trading is not None:
        out["two_sided"] = paired_ratio_interval(a.two_sided, a.trading, b.two_sided, b.trading, block=block,
                                                 n_boot=n_boot, confidence=confidence, seed=seed)
    return out
