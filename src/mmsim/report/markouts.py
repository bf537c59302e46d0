"""Markouts and their statistics: horizons, the exchange mid, per-horizon blocks, spread decomposition, signal buckets.

Sign convention and formulas: :mod:`mmsim.report.compute` and ``docs/reports.md``.
Mids are integer *half-ticks* (``2*mid = best_bid + best_ask``) so every markout is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import format_ns, parse_duration, parse_event_horizon, parse_markout_horizon
from ..errors import DataError
from ..records import SIGNAL_NAMES
from ..replay import replay_bbo
from .._exact import as_float, dot, isum, mul, sub

__all__ = [
    "CONFIDENCE",
    "GROUPS",
    "Horizon",
    "exchange_mid2",
    "format_ns",
    "group_stats",
    "parse_horizons",
    "rankdata",
    "summarize",
    "t_interval",
    "t_ppf",
    "t_sf",
]

INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max


def rankdata(x: np.ndarray) -> np.ndarray:
    """1-based average ranks of a 1-D array (ties share their mean rank): ``scipy.stats.rankdata(x)``.

    scipy's algorithm in numpy (stable sort, each run of equal values ranked ``first + (count - 1) / 2``),
    so the same values (whole or half numbers, exact) and all NaN when ``x`` holds a NaN, as scipy's
    ``nan_policy="propagate"``; a report needs no scipy.stats, whose import costs about a second.
    """
    x = np.asarray(x).reshape(-1)
    n = x.size
    if n == 0:
        return np.empty(0)
    order = np.argsort(x, kind="stable")
    y = x[order]
    starts = np.flatnonzero(np.concatenate(([True], y[:-1] != y[1:])))
    counts = np.diff(starts, append=n)
    avg = (starts + 1).astype(np.float64) + (counts.astype(np.float64) - 1) / 2
    ranks = np.empty(n)
    ranks[order] = np.repeat(avg, counts)
    if x.dtype.kind in "fc" and np.isnan(x).any():
        ranks[:] = np.nan
    return ranks


def t_sf(t: float, df: float) -> float:
    """``scipy.stats.t.sf(t, df)``: the same ``stdtr(df, -t)`` scipy's distribution computes, without scipy.stats."""
    from scipy.special import stdtr

    return float(stdtr(df, -t))


def t_ppf(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)`` for ``q`` in (0, 1): scipy's own ``stdtrit(df, q)``, without scipy.stats."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


#: Confidence level of every interval in the report (Student t, scipy).
CONFIDENCE = 0.95

#: Fill groups every markout statistic is broken down by, in report order.
GROUPS: tuple[str, ...] = ("all", "buy", "sell", "maker", "taker")

@dataclass(frozen=True)
class Horizon:
    """One markout horizon: ``value`` ns of exchange time, or ``value`` market events.

    Parameters
    ----------
    kind : {"time", "events"}
        What ``value`` counts.
    value : int
        Nanoseconds (``time``) or events (``events``); non-negative.
    """

    kind: str
    value: int

    @property
    def label(self) -> str:
        """Stable label used in report.json and fills.csv column names (``1s``, ``100ev``)."""
        return format_ns(self.value) if self.kind == "time" else f"{self.value}ev"


def parse_horizons(
    horizons: Iterable[Any] | None,
    event_horizons: Iterable[Any] | None,
    toxic_horizon: Any,
) -> tuple[list[Horizon], list[Horizon], Horizon]:
    """Read time horizons (ns or duration strings), event horizons and the toxic horizon.

    Parameters
    ----------
    horizons : iterable of int or str
        Durations (``100ms``, ``1s`` or int ns).
    event_horizons : iterable of int or str
        Positive event counts (an int, or ``"<k>ev"``).
    toxic_horizon : int or str
        A duration, or ``"<k>ev"`` for an event-count horizon (the unit in lower case).

    Returns
    -------
    time_h, event_h, toxic : list of Horizon, list of Horizon, Horizon
        Sorted, without duplicates.

    Raises
    ------
    ConfigError
        Naming the bad horizon.
    """
    time_h = sorted({parse_duration(h, f"report.horizons[{i}]") for i, h in enumerate(horizons or ())})
    ev = {parse_event_horizon(k, f"report.event_horizons[{i}]") for i, k in enumerate(event_horizons or ())}
    if isinstance(toxic_horizon, Horizon):
        toxic = toxic_horizon
    else:
        h = parse_markout_horizon(toxic_horizon, "report.toxic_horizon")
        toxic = Horizon("events", int(h[:-2])) if isinstance(h, str) else Horizon("time", h)
    return [Horizon("time", h) for h in time_h], [Horizon("events", k) for k in sorted(ev)], toxic


def exchange_mid2(events: np.ndarray, bbo: Mapping[str, np.ndarray] | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replay the exchange book's top and return twice its mid after every event.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The run's events, sorted by ``exch_ts``.
    bbo : mapping of arrays, optional
        :func:`mmsim.replay_bbo` of ``events``, when the caller has it already
        (a sweep replays each store's book once for every point's report).

    Raises
    ------
    DataError
        From the engine's replay, naming the bad event's index.

    Returns
    -------
    exch_ts : int64 ndarray
        The events' exchange times.
    mid2 : int64 ndarray
        ``best_bid + best_ask`` in ticks (twice the mid, so exact) after each
        event; 0 where a side of the book is empty.
    valid : bool ndarray
        True where both sides of the book are present.
    """
    if bbo is None:
        bbo = replay_bbo(events)
    elif len(bbo["best_bid"]) != len(events):
        raise DataError(f"report: the replayed book holds {len(bbo['best_bid'])} events, the event array "
                        f"{len(events)}")
    bid = np.asarray(bbo["best_bid"], dtype=np.int64)
    ask = np.asarray(bbo["best_ask"], dtype=np.int64)
    valid = (bid != INT64_MIN) & (ask != INT64_MAX)
    # Mask first: INT64_MAX + ask would wrap silently.
    mid2 = np.where(valid, bid, 0) + np.where(valid, ask, 0)
    exch_ts = np.ascontiguousarray(events["exch_ts"], dtype=np.int64)
    return exch_ts, mid2, valid


def t_interval(confidence: float, df: int, loc: float, scale: float) -> tuple[float, float]:
    """Student-t interval ``loc ± t(df) · scale``: ``scipy.stats.t.interval(confidence, df, loc=loc, scale=scale)``.

    The same arithmetic as scipy's (each end is ``stdtrit(df, q) * scale + loc``
    with ``q = (1 ∓ confidence) / 2``), so the same bits, without the argument
    handling of its distribution objects: about 30 times faster, which matters
    to a report's dozens of intervals (a test compares the two on many inputs).
    ``confidence`` in (0, 1), ``df`` >= 1, ``scale`` > 0.
    """
    from scipy.special import stdtrit

    q1 = (1.0 - confidence) / 2
    q2 = (1.0 + confidence) / 2
    return float(stdtrit(df, q1) * scale + loc), float(stdtrit(df, q2) * scale + loc)


def summarize(x: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean, median, standard deviation and a Student-t confidence interval of ``x``.

    Parameters
    ----------
    x : float ndarray
        Finite values (one per fill).
    confidence : float
        Level of the interval.

    Returns
    -------
    dict
        ``n``, ``mean``, ``median``, ``std`` (ddof 1), ``ci_low``, ``ci_high``;
        None where undefined (no values; the interval needs two values that are not
        all equal: with ``std`` 0 the t interval ``mean ± t·s/√n`` would have zero
        width, so there is none).
    """
    n = int(x.size)
    out: dict[str, Any] = {"n": n, "mean": None, "median": None, "std": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    mean = float(np.mean(x))
    out["mean"] = mean
    out["median"] = float(np.median(x))
    if n >= 2:
        std = float(np.std(x, ddof=1))
        out["std"] = std
        if std > 0:
            lo, hi = t_interval(confidence, n - 1, mean, std / math.sqrt(n))
            out["ci_low"], out["ci_high"] = lo, hi
        # std 0 (every value equal): no interval. The t interval would be [mean, mean], a claim of
        # certainty from a sample that shows no spread; markouts are whole half-ticks, so a few
        # fills (or a quiet market) are all equal often (docs/reports.md, "Intervals").
    return out


def _mid_at_fill(f: Mapping[str, Any], exch_ts: np.ndarray, mid2_ff: np.ndarray, ffvalid: np.ndarray) -> np.ndarray:
    """Twice the exchange mid just before each fill: the fill record's book, else the replayed mid.

    A fill record with an empty side (the fill came while a level was moving,
    e.g. an L2 feed removing the old best before adding the new one) falls back
    to the last two-sided mid before the fill's timestamp, and failing that to
    the fill price (zero spread capture).
    """
    bid, ask = f["best_bid"], f["best_ask"]
    ok = (bid != INT64_MIN) & (ask != INT64_MAX)
    m0 = np.where(ok, bid, 0) + np.where(ok, ask, 0)
    if not ok.all():
        before = np.searchsorted(exch_ts, f["exch_ts"], side="left") - 1
        e = np.maximum(before, 0)
        rep_ok = (before >= 0) & ffvalid[e]
        m0 = np.where(ok, m0, np.where(rep_ok, mid2_ff[e], 2 * f["price"]))
    return m0


def _markouts(
    f: Mapping[str, Any],
    fill_event: np.ndarray,
    exch_ts: np.ndarray,
    mid2: np.ndarray,
    valid: np.ndarray,
    hs: Sequence[Horizon],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Markouts in half-ticks for every fill and horizon, with validity and past-end masks."""
    n, k = f["n"], len(hs)
    cols = []
    ok = np.zeros((n, k), dtype=bool)
    past = np.zeros((n, k), dtype=bool)
    last = exch_ts.size - 1
    t_end = exch_ts[-1]
    for j, h in enumerate(hs):
        if h.kind == "time":
            target = f["exch_ts"] + h.value
            idx = np.searchsorted(exch_ts, target, side="right") - 1
            beyond = target > t_end
        else:
            idx = fill_event + h.value
            beyond = idx > last
            # The mid at that event's time: after every event sharing its timestamp, so a
            # snapshot (CLEAR then DEPTHs) or a level move (remove, then add) is never seen
            # half-applied, and the event clock agrees with the time clock.
            idx = np.searchsorted(exch_ts, exch_ts[np.clip(idx, 0, last)], side="right") - 1
        idx = np.clip(idx, 0, last)
        good = ~beyond & (fill_event >= 0) & valid[idx]
        # side * (2*mid - 2*price), exact: it spans up to 2^64 half-ticks (docs/reports.md, "Exact arithmetic").
        cols.append(np.where(good, mul(f["side"], sub(sub(mid2[idx], f["price"]), f["price"])), 0))
        ok[:, j] = good
        past[:, j] = beyond
    exact = any(c.dtype == object for c in cols)
    mk = np.zeros((n, k), dtype=object if exact else np.int64)
    for j, c in enumerate(cols):
        mk[:, j] = c
    return mk, ok, past


def group_stats(
    m: np.ndarray,
    mk2: np.ndarray,
    ok: np.ndarray,
    past: np.ndarray,
    f: Mapping[str, Any],
    bps_scale: np.ndarray,
    tick_value: float,
    confidence: float,
) -> dict[str, Any]:
    """The markout statistics of the fills in mask ``m`` at one horizon (``mk2``, ``ok``, ``past``: its column).

    Returns ``n``, ``n_past_end``, ``n_no_mid``, ``ticks`` and ``bps`` (:func:`summarize`),
    ``qty_weighted_ticks`` and ``pnl`` (``sum(markout * qty) * tick_value``); one group of
    ``report.json``'s ``markouts[].groups`` and one horizon of ``by_level.rows[].markouts``.
    """
    sel = m & ok
    mk_f = as_float(mk2[sel])
    ticks = mk_f / 2.0
    bps = mk_f * bps_scale[sel]
    bps = bps[np.isfinite(bps)]
    qty = f["qty"][sel]
    lots = isum(qty)
    num = dot(mk2[sel], qty)  # exact: markout half-ticks x lots overflows int64 near the engine's bounds
    return {
        "n": int(sel.sum()),
        "n_past_end": int((m & past).sum()),
        "n_no_mid": int((m & ~ok & ~past).sum()),
        "ticks": summarize(ticks, confidence),
        "bps": summarize(bps, confidence),
        "qty_weighted_ticks": float(num / (2.0 * lots)) if lots else None,
        "pnl": float(num * tick_value / 2.0),
    }


def _horizon_block(
    h: Horizon,
    mk2: np.ndarray,
    ok: np.ndarray,
    past: np.ndarray,
    f: Mapping[str, Any],
    masks: Mapping[str, np.ndarray],
    bps_scale: np.ndarray,
    tick_value: float,
    confidence: float,
) -> dict[str, Any]:
    groups = {g: group_stats(masks[g], mk2, ok, past, f, bps_scale, tick_value, confidence) for g in GROUPS}
    return {"horizon": h.label, "kind": h.kind, "value": h.value, "groups": groups}


def _spread_block(
    hs: Sequence[Horizon],
    col: Mapping[Horizon, int],
    eff2: np.ndarray,
    mk2: np.ndarray,
    ok: np.ndarray,
    masks: Mapping[str, np.ndarray],
    bps_scale: np.ndarray,
    confidence: float,
) -> dict[str, Any]:
    eff = {}
    eff_f = as_float(eff2)
    for g in ("all", "maker", "taker"):
        sel = masks[g]
        eff[g] = {"ticks": summarize(eff_f[sel] / 2.0, confidence),
                  "bps": summarize(_finite(eff_f[sel] * bps_scale[sel]), confidence)}
    rows = []
    for h in hs:
        j = col[h]
        by = {}
        for g in ("all", "maker", "taker"):
            sel = masks[g] & ok[:, j]
            realized = as_float(mk2[sel, j])
            impact = as_float(sub(eff2[sel], mk2[sel, j]))  # = side*(m0 - m_h): exact in half-ticks, then rounded
            by[g] = {
                "n": int(sel.sum()),
                "effective": summarize(eff_f[sel] / 2.0, confidence),
                "realized": summarize(realized / 2.0, confidence),
                "price_impact": summarize(impact / 2.0, confidence),
                "effective_bps": _mean_or_none(_finite(eff_f[sel] * bps_scale[sel])),
                "realized_bps": _mean_or_none(_finite(realized * bps_scale[sel])),
                "price_impact_bps": _mean_or_none(_finite(impact * bps_scale[sel])),
            }
        rows.append({"horizon": h.label, "kind": h.kind, "value": h.value, "groups": by})
    return {"effective": eff, "horizons": rows}


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x)]


def _mean_or_none(x: np.ndarray) -> float | None:
    return float(np.mean(x)) if x.size else None


def _signal_values(fill_signals: Any, n: int) -> dict[str, np.ndarray]:
    if fill_signals is None:
        return {}
    arr = np.asarray(fill_signals)
    names = arr.dtype.names or ()
    if not names:
        return {}
    if arr.shape[0] != n:
        raise DataError(f"report: result.fill_signals has {arr.shape[0]} rows but there are {n} fills")
    ordered = [s for s in SIGNAL_NAMES if s in names] + [s for s in names if s not in SIGNAL_NAMES]
    return {s: np.asarray(arr[s], dtype=np.float64) for s in ordered}


def _signal_block(
    values: Mapping[str, np.ndarray],
    mk2: np.ndarray,
    ok: np.ndarray,
    side: np.ndarray,
    bps_scale: np.ndarray,
    buckets: int,
    confidence: float,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    y_ok = mk2[ok]
    ry_ok = _ranks(y_ok) if y_ok.size >= 3 else None  # shared by every fully finite signal
    for name, v in values.items():
        sel = ok & np.isfinite(v)
        ry = ry_ok if sel.sum() == y_ok.size else None
        x = v[sel]
        y2 = mk2[sel]
        y2f = as_float(y2)
        s = side[sel]
        entry: dict[str, Any] = {"n": int(x.size), "buckets": [], "spearman": None, "spearman_signed": None}
        if x.size:
            # Quantile edges; equal edges (a signal with many ties) merge buckets.
            # More buckets than values give each distinct value its own bucket, as n buckets do:
            # capped at n, so a huge count cannot allocate a huge array of quantiles.
            k = min(buckets, x.size)
            edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, k + 1)[1:-1]))
            b = np.searchsorted(edges, x, side="right")
            bps_sel = bps_scale[sel]
            for m in bucket_members(b, edges.size + 1):  # index arrays: O(n log n) for any bucket count
                yk = y2f[m]
                entry["buckets"].append({
                    "q": len(entry["buckets"]),  # Q1.. numbered over the non-empty buckets
                    "lo": float(x[m].min()),
                    "hi": float(x[m].max()),
                    "n": int(m.size),
                    "n_buy": int((s[m] > 0).sum()),
                    "n_sell": int((s[m] < 0).sum()),
                    "markout_ticks": summarize(yk / 2.0, confidence),
                    "markout_bps": _mean_or_none(_finite(yk * bps_sel[m])),
                    "buy_mean_ticks": _mean_or_none(yk[s[m] > 0] / 2.0),
                    "sell_mean_ticks": _mean_or_none(yk[s[m] < 0] / 2.0),
                    "toxic_share": float((yk < 0).mean()),
                })
            entry["spearman"] = _spearman(x, y2, ry)
            # A directional signal predicts markout with opposite signs for buys
            # and sells; side * value lines them up (e.g. imbalance against us).
            entry["spearman_signed"] = _spearman(s * x, y2, ry)
        out[name] = entry
    return out


def bucket_members(b: np.ndarray, buckets: int) -> list[np.ndarray]:
    """The positions of each non-empty bucket of ``b`` (bucket numbers ``0 .. buckets-1``), in bucket order.

    One sort, not one pass over every value per bucket: with as many buckets as values (``--signal-buckets``
    and ``--age-buckets`` above the fill count) a pass per bucket costs n², hours on a day's fills.
    """
    order = np.argsort(b, kind="stable")
    cuts = np.searchsorted(b[order], np.arange(1, buckets))
    return [m for m in np.split(order, cuts) if m.size]


def _ranks(x: np.ndarray) -> np.ndarray:
    """``scipy.stats.rankdata`` (average ranks), also of exact Python-int markouts (ranked by their order codes)."""
    if x.dtype == object:
        x = np.unique(x, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return rankdata(x)


def _spearman(x: np.ndarray, y: np.ndarray, ry: np.ndarray | None = None) -> dict[str, float] | None:
    """Spearman rank correlation with its two-sided p-value (t approximation, as scipy.stats.spearmanr).

    ``ry`` may carry the ranks of ``y`` when several signals share them.
    """
    n = x.size
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    rx = _ranks(x)
    ry = _ranks(y) if ry is None else ry
    rho = float(np.corrcoef(rx, ry)[0, 1])
    rho = min(1.0, max(-1.0, rho))
    if abs(rho) == 1.0:
        p = 0.0
    else:
        t = rho * math.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
        p = float(2.0 * t_sf(abs(t), n - 2))
    return {"rho": rho, "p_value": p}


