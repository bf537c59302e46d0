"""A sweep point compared with its baseline point, in the worker that replayed both: ``mmsim compare``'s numbers.

The comparison is :func:`mmsim.compare`'s, computed from pieces each worker
keeps (docs/sweeps.md, "Is the difference real? A baseline point"): the
buckets of a pair are :func:`~mmsim.analysis.buckets.bucket_edges` over the
events and both runs' fills; each run's per-fill markouts and effective
half-spreads are its report's own columns, computed once per run; the
forward-filled exchange mid is computed once per event store. The intervals
are therefore the ones ``mmsim.compare(baseline_result, point_result)`` gives,
bit for bit (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.buckets import bucket_edges, bucket_series, fill_columns, forward_mid, grid_origin, paired_difference
from ..analysis.comparison import check_same_data, compare_rows
from ..config import RunConfig, format_ns, parse_duration

__all__ = ["PairedContext", "compare_runs", "context", "horizons_of", "run_columns"]

#: How the verdicts name the two runs.
LABELS = ("the baseline", "this point")


@dataclass
class PairedContext:
    """What comparisons on one event store share.

    Attributes
    ----------
    events : ndarray of EVENT_DTYPE
        The store's events.
    mid : (exch_ts, mid2_ff, ffvalid)
        :func:`~mmsim.analysis.buckets.forward_mid` of the events.
    bucket_ns : int
        Bucket length, ns.
    marks : int64 array
        The first event time in each bucket that holds an event from ``start`` on, and the
        last event time: :func:`~mmsim.analysis.buckets.bucket_edges` with ``start`` and
        ``anchor`` gives the same buckets from these as from every event time (same kept
        buckets, same end), at the cost of a few hundred values instead of the whole store.
    start, anchor : int
        The bucket grid's start and anchor, ns: :func:`~mmsim.analysis.buckets.grid_origin`,
        as ``mmsim compare`` tiles the same events (from the market's start; an opening
        snapshot's stretch joins the first bucket).
    """

    events: np.ndarray
    mid: tuple[np.ndarray, np.ndarray, np.ndarray]
    bucket_ns: int
    marks: np.ndarray
    start: int
    anchor: int


def context(cache: MutableMapping[str, Any], key: str, store: Any, bucket_ns: int) -> PairedContext:
    """The :class:`PairedContext` of a store and bucket length (cached in ``cache`` under ``key``)."""
    ctx = cache.get(key)
    if ctx is not None and ctx.bucket_ns == bucket_ns:
        return ctx
    ev = store.events if hasattr(store, "events") and hasattr(store, "meta") else np.asarray(store)
    mid = forward_mid(ev)
    ts = mid[0]
    start, anchor = grid_origin(ev)
    tt = ts[ts >= start]
    k = np.maximum((tt - anchor) // bucket_ns, 0)
    first = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]])) if tt.size else np.zeros(0, np.int64)
    marks = np.concatenate([tt[first], ts[-1:]]).astype(np.int64)
    ctx = cache[key] = PairedContext(ev, mid, bucket_ns, marks, start, anchor)
    return ctx


def horizons_of(settings: Any, baseline: RunConfig) -> tuple[int, ...]:
    """Markout horizons compared, ns ascending: the settings', else the baseline point's ``report.horizons`` (else 1s)."""
    if settings.horizons is not None:
        return tuple(settings.horizons)
    hs: list[Any] = list(baseline.report.horizons) or ["1s"]
    return tuple(sorted({parse_duration(h, "report.horizons") for h in hs}))


def run_columns(result: Any, report: Any, events: Any, horizons: Sequence[int]) -> tuple[Mapping[str, Any], list[str]]:
    """A run's per-fill columns for ``horizons``: its report's when it has them all, else computed.

    Returns
    -------
    (columns, labels)
        As :func:`~mmsim.analysis.buckets.fill_columns` gives them.
    """
    labels = [format_ns(h) for h in horizons]
    if report is not None and set(labels) <= set(report.data["run"]["horizons"]):
        return report.fills, labels
    return fill_columns(result, events, list(horizons))


def compare_runs(ctx: PairedContext, base: Any, base_columns: Any, point: Any, point_columns: Any,
                 horizons: Sequence[int], settings: Any) -> dict[str, Any]:
    """Point minus baseline for every compared quantity, with the intervals of :func:`mmsim.compare`.

    Parameters
    ----------
    ctx : PairedContext
    base, point : mmsim.Result
        The baseline's run and the point's run (same events).
    base_columns, point_columns : (mapping, list of str)
        :func:`run_columns` of each.
    horizons : sequence of int
        Markout horizons, ns ascending.
    settings : CompareSettings

    Returns
    -------
    dict
        ``n_buckets``, ``n_days`` (the days of data PnL per day divides by), ``span_ns`` (the market's
        span, as ``mmsim compare``'s and the report's ``risk.span_ns``), and ``rows``: per quantity (``markout@<h>``, ``spread_capture``,
        ``pnl_per_day``, ``two_sided``) ``label``, ``unit``, ``a`` (baseline), ``b`` (point), the
        interval's fields (:meth:`PairedInterval.to_dict`: ``estimate``, ``ci_low``,
        ``ci_high``, ``block``, ``significant``...) and ``verdict``.

    Raises
    ------
    DataError
        The two runs value a tick·lot differently (their PnL is not in one unit).
    """
    check_same_data(base, point, LABELS)
    fill_ts = np.concatenate([np.asarray(base.fills["exch_ts"], dtype=np.int64),
                              np.asarray(point.fills["exch_ts"], dtype=np.int64)])
    edges = bucket_edges(ctx.marks, ctx.bucket_ns, fill_ts, start=ctx.start, anchor=ctx.anchor)
    sa = bucket_series(base, ctx.events, edges, horizons, columns=base_columns, mid=ctx.mid, presence=True)
    sb = bucket_series(point, ctx.events, edges, horizons, columns=point_columns, mid=ctx.mid, presence=True)
    diffs = paired_difference(sa, sb, block=settings.block, n_boot=settings.n_boot,
                              confidence=settings.confidence, seed=settings.seed)
    rows = {}
    for r in compare_rows(sa, sb, diffs, LABELS):
        rows[r.metric] = {"label": r.label, "unit": r.unit, "a": r.a, "b": r.b, **r.diff.to_dict(),
                          "verdict": r.verdict}
    # The days PnL per day divides by, and the span they cover (as compare.json's n_days and span_ns): on less than
    # a day of data the "per day" figure is the whole span's PnL, and the table names the span.
    return {"n_buckets": int(len(edges)), "n_days": int(sa.n_days), "span_ns": int(sa.span_ns), "rows": rows}
