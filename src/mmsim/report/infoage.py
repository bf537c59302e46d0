"""Information age: how old the market data behind each decision and each fill was, and markout by it.

From a run's decision log (``Result.decisions``, one row per strategy call) and
its order log (each row names the call it came from):

- a decision's **information age** is ``local_ts - event_exch_ts``: its local time
  minus the exchange time of the newest market event in its view. It splits
  exactly into the **feed delay** of that event (``event_local_ts -
  event_exch_ts``) and the **wait** from its arrival to the call (``local_ts -
  event_local_ts``: the rest of the feed's batch, a response or a timer);
- a fill's information age is that of the decision that sent its order; the
  **age at fill** (``fill exch_ts - event_exch_ts``) adds the **entry** latency
  (the order's arrival at the exchange, the order log's ``SENT`` row, minus the
  decision's local time) and the **resting** time (fill minus arrival):
  ``age at fill = feed + wait + entry + resting``, exactly, in ns;
- the **unseen** events of a decision are those that had happened at the
  exchange (``exch_ts <= local_ts``) but not reached its view yet.

Markout by information-age bucket uses the report's markouts (``markouts.py``:
exchange mid, half-ticks) and its Student-t intervals. See docs/reports.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..analysis.lookahead import NO_LOG
from ..errors import DataError
from ..records import OrderEvent
from .._exact import as_float, isum
from .markouts import Horizon, _finite, _mean_or_none, _spearman, bucket_members, rankdata, summarize, t_ppf

__all__ = ["AGE_QUANTILES", "BASES", "age_stats", "information_age", "rank_buckets"]

#: Quantiles of every age distribution in report.json (key -> level).
AGE_QUANTILES: tuple[tuple[str, float], ...] = (
    ("min", 0.0), ("p1", 0.01), ("p5", 0.05), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p95", 0.95),
    ("p99", 0.99), ("max", 1.0))

#: What a fill's markout is bucketed by (report.json ``information_age.by_age[].basis``) and its unit:
#: the information age of its decision, its age at the fill, the events unseen at its decision.
BASES: tuple[tuple[str, str], ...] = (("age", "ns"), ("age_at_fill", "ns"), ("unseen", "events"))


def age_stats(x: np.ndarray) -> dict[str, Any]:
    """Count, mean and quantiles (``AGE_QUANTILES``, linear interpolation) of ages in ns; None when empty."""
    x = np.array(x, dtype=np.float64)  # (a copy of its own: the quantiles partition it in place)
    out: dict[str, Any] = {"n": int(x.size), "mean": float(x.mean()) if x.size else None}
    q = np.quantile(x, [lv for _, lv in AGE_QUANTILES], overwrite_input=True) if x.size else [None] * len(AGE_QUANTILES)
    for (name, _), v in zip(AGE_QUANTILES, q):
        out[name] = None if v is None else float(v)
    return out


def _not_recorded(reason: str) -> dict[str, Any]:
    return {"recorded": False, "reason": reason, "n_decisions": 0, "decisions": None, "fills": None, "by_age": []}


def information_age(
    result: Any,
    exch_ts: np.ndarray,
    f: Mapping[str, Any],
    mk2: np.ndarray,
    mk_ok: np.ndarray,
    hs: Sequence[Horizon],
    col: Mapping[Horizon, int],
    toxic: Horizon,
    bps_scale: np.ndarray,
    buckets: int,
    confidence: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The report's ``information_age`` section, its fills.csv columns and its plot series.

    Parameters
    ----------
    result : mmsim.Result
        ``decisions``, ``orders`` and ``n_calls`` are read.
    exch_ts : int64 ndarray, shape (n_events,)
        The events' exchange times.
    f : mapping
        The report's fill columns (``compute._fill_columns``).
    mk2, mk_ok : ndarray, shape (n_fills, n_horizons)
        Markouts in half-ticks and whether each is defined (``markouts._markouts``).
    hs : sequence of Horizon
        The report's horizons (columns of ``mk2`` through ``col``).
    col : mapping of Horizon to int
    toxic : Horizon
        The horizon of the buckets' headline markout.
    bps_scale : float ndarray, shape (n_fills,)
        Half-ticks to bps of the fill price.
    buckets : int
        Quantile buckets of age.
    confidence : float
        Level of every interval.

    Returns
    -------
    section : dict
        ``recorded`` (False, with ``reason``, when the run has no decision log),
        ``n_decisions``, ``decisions`` {``age``, ``feed``, ``wait``, ``unseen``,
        ``unseen_share``}, ``fills`` {``n``, ``age``, ``feed``, ``wait``, ``entry``,
        ``resting``, ``age_at_fill``, ``unseen``}, ``by_age`` (one block per basis in
        ``BASES``). Ages in ns, unseen in events.
    columns : dict of str to ndarray
        Per fill: ``decision``, ``info_age_ns``, ``info_age_at_fill_ns``, ``feed_delay_ns``,
        ``wait_ns``, ``entry_ns``, ``resting_ns``, ``unseen_events`` (none without a decision log).
    series : dict of str to ndarray
        ``decision_age``, ``fill_age`` (ns) for the histogram.

    Raises
    ------
    DataError
        A fill whose order has no ``SENT`` row, or an order naming a decision not in the log.
    """
    dec = getattr(result, "decisions", None)
    orders = getattr(result, "orders", None)
    n_calls = int(getattr(result, "n_calls", 0) or 0)
    if dec is None or len(dec) == 0:
        why = "the run made no strategy calls" if not n_calls and dec is not None else NO_LOG
        return _not_recorded(why), {}, {}
    if orders is None or (len(orders) and "decision" not in (orders.dtype.names or ())):
        return _not_recorded("the order log has no decision column"), {}, {}

    # One column at a time, a chunk of the log at a time: a log of 10^9 rows held next to its own columns
    # and their temporaries took more than twice its size again (breaker29).
    seen = np.asarray(dec["event_index"]) >= 0
    decisions: dict[str, Any] = {}
    decision_age = np.zeros(0, np.int64)
    for name in ("age", "feed", "wait", "unseen"):
        v = _decision_column(dec, name, exch_ts)
        if name == "unseen":
            decisions[name] = age_stats(v)
            decisions["unseen_share"] = float(np.count_nonzero(v) / v.size)
        else:
            v = v[seen]
            decisions[name] = age_stats(v)
        if name == "age":
            decision_age = v
        del v

    fd = _fill_decisions(f, orders, len(dec))
    d, arrival = fd["decision"], fd["arrival"]
    rows = dec[d]  # the fills' decisions (a copy of those rows only)
    ok = rows["event_index"] >= 0
    f_age, f_feed, f_wait, f_unseen = (_decision_column(rows, name, exch_ts) for name in ("age", "feed", "wait",
                                                                                           "unseen"))
    t_d = np.asarray(rows["local_ts"], dtype=np.int64)
    x_d = np.asarray(rows["event_exch_ts"], dtype=np.int64)
    f_entry = arrival - t_d
    f_rest = f["exch_ts"] - arrival
    f_at_fill = np.where(ok, f["exch_ts"] - np.where(ok, x_d, 0), 0)
    fills = {
        "n": int(ok.sum()),
        "age": age_stats(f_age[ok]),
        "feed": age_stats(f_feed[ok]),
        "wait": age_stats(f_wait[ok]),
        "entry": age_stats(f_entry[ok]),
        "resting": age_stats(f_rest[ok]),
        "age_at_fill": age_stats(f_at_fill[ok]),
    }
    f_unseen = np.where(ok, f_unseen, 0)
    fills["unseen"] = age_stats(f_unseen[ok])
    by_age = [_bucket_block(basis, unit, v, ok, f, mk2, mk_ok, hs, col, toxic, bps_scale, buckets, confidence)
              for (basis, unit), v in zip(BASES, (f_age, f_at_fill, f_unseen))]
    section = {"recorded": True, "reason": None, "n_decisions": int(len(dec)), "decisions": decisions,
               "fills": fills, "by_age": by_age}

    def col_of(v: np.ndarray) -> np.ndarray:
        # Whole ns (or events) when every fill has one; NaN (an empty CSV cell) where a fill has none.
        return v.astype(np.int64) if ok.all() else np.where(ok, v.astype(np.float64), np.nan)

    columns = {"decision": d, "info_age_ns": col_of(f_age), "info_age_at_fill_ns": col_of(f_at_fill),
               "feed_delay_ns": col_of(f_feed), "wait_ns": col_of(f_wait), "entry_ns": col_of(f_entry),
               "resting_ns": col_of(f_rest), "unseen_events": col_of(f_unseen)}
    return section, columns, {"decision_age": decision_age, "fill_age": f_age[ok]}


#: Log rows a column is computed over at a time.
_CHUNK = 1 << 16


def _decision_column(dec: np.ndarray, name: str, exch_ts: np.ndarray) -> np.ndarray:
    """One int64 value per decision-log row, computed a chunk of rows at a time: ``age`` (``local_ts -
    event_exch_ts``), ``feed`` (``event_local_ts - event_exch_ts``), ``wait`` (``local_ts - event_local_ts``),
    each 0 for a call with no event in its view, or ``unseen`` (events with ``exch_ts <= local_ts`` that are
    not in its view)."""
    out = np.empty(len(dec), dtype=np.int64)
    for lo in range(0, len(dec), _CHUNK):
        c = dec[lo:lo + _CHUNK]
        k = np.asarray(c["event_index"], dtype=np.int64)
        t, x, lt = (np.asarray(c[key], dtype=np.int64) for key in ("local_ts", "event_exch_ts", "event_local_ts"))
        if name == "unseen":
            v = np.maximum(np.searchsorted(exch_ts, t, side="right") - (k + 1), 0)
        else:
            a, b = {"age": (t, x), "feed": (lt, x), "wait": (t, lt)}[name]
            v = np.where(k >= 0, a - np.where(k >= 0, b, 0), 0)
        out[lo:lo + len(c)] = v
    return out


def _fill_decisions(f: Mapping[str, Any], orders: np.ndarray, n_dec: int) -> dict[str, np.ndarray]:
    """Each fill's decision and its order's arrival at the exchange, from the order log's SENT rows."""
    n = f["n"]
    if n == 0:
        return {"decision": np.zeros(0, np.int64), "arrival": np.zeros(0, np.int64)}
    sent = orders[orders["event"] == int(OrderEvent.SENT)]
    order = np.argsort(sent["order_id"], kind="stable")
    ids = np.asarray(sent["order_id"])[order]
    pos = np.searchsorted(ids, f["order_id"])
    found = (pos < ids.size) & (ids[np.minimum(pos, max(ids.size - 1, 0))] == f["order_id"]) if ids.size else \
        np.zeros(n, dtype=bool)
    if not found.all():
        k = int(np.flatnonzero(~found)[0])
        raise DataError(f"report: fill {k} is of order {int(f['order_id'][k])}, which has no SENT row in the "
                        "order log; the fills and the order log do not belong together")
    row = order[pos]
    d = np.asarray(sent["decision"], dtype=np.int64)[row]
    bad = np.flatnonzero((d < 0) | (d >= n_dec))
    if bad.size:
        k = int(bad[0])
        raise DataError(f"report: fill {k}'s order was sent by decision {int(d[k])}, which is not in the "
                        f"decision log (0..{n_dec - 1})")
    return {"decision": d, "arrival": np.asarray(sent["exch_ts"], dtype=np.int64)[row]}


def rank_buckets(x: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of each value: its mean rank among ``x`` (ties share it) cut into ``buckets`` equal shares.

    ``bucket = floor((rank - 1/2) / n * buckets)`` with ``rank`` the 1-based mean rank
    (``scipy.stats.rankdata(method="average")``), so equal values always share a bucket:
    under a constant feed most decisions have the same age, and that age is one bucket of
    its own instead of swallowing its neighbours (as quantile edges that coincide would).
    """
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    r = rankdata(x)
    return np.minimum(np.floor((r - 0.5) / x.size * buckets).astype(np.int64), buckets - 1)


def _bucket_block(basis: str, unit: str, v: np.ndarray, ok: np.ndarray, f: Mapping[str, Any], mk2: np.ndarray,
                  mk_ok: np.ndarray, hs: Sequence[Horizon], col: Mapping[Horizon, int], toxic: Horizon,
                  bps_scale: np.ndarray, buckets: int, confidence: float,
                  diff: tuple[str, str, str] = ("stale_minus_fresh", "stale", "fresh")) -> dict[str, Any]:
    """Markout by quantile bucket of ``v`` (per fill, in ``unit``), at every horizon; headline at ``toxic``.

    ``diff``: the key of the last bucket's mean minus the first's, and the names of the two
    (its ``n_<last>``, ``n_<first>`` and ``zero_variance`` entries).
    """
    jt = col[toxic]
    sel = ok & mk_ok[:, jt]
    block: dict[str, Any] = {"basis": basis, "unit": unit, "horizon": toxic.label, "n": int(sel.sum()),
                             "buckets": [], "spearman": None, diff[0]: None}
    if not sel.any():
        return block
    xv = v[sel].astype(np.float64)
    y2 = mk2[sel, jt]
    y2f = as_float(y2)
    # Distinct mean ranks are at least 1 apart, so from one bucket per value on every distinct value has its
    # own and the blocks are the same: more changes nothing but the loop below (hours at 10^11 buckets).
    buckets = min(int(buckets), xv.size)
    b_sel = rank_buckets(xv, buckets)
    # A fill without a markout at the headline horizon goes with the bucket of its value.
    b_all = np.full(v.size, -1)
    order = np.argsort(xv, kind="stable")
    pos = np.clip(np.searchsorted(xv[order], v.astype(np.float64), side="left"), 0, xv.size - 1)
    b_all[ok] = b_sel[order][pos][ok]
    groups = []
    qty_sel, bps_sel = f["qty"][sel], bps_scale[sel]
    # Positions per bucket by one sort each (a mask per bucket is n² at one bucket per fill).
    by_all = {int(b_all[m[0]]): m for m in bucket_members(np.where(b_all < 0, buckets, b_all), buckets + 1)}
    for m in bucket_members(b_sel, buckets):
        k = int(b_sel[m[0]])
        yk = y2f[m]
        mall = by_all.get(k, np.empty(0, dtype=np.int64))
        entry = {
            "q": len(block["buckets"]),
            "lo": float(xv[m].min()),
            "hi": float(xv[m].max()),
            "n": int(m.size),
            "qty": isum(qty_sel[m]),
            "markout_ticks": summarize(yk / 2.0, confidence),
            "markout_bps": _mean_or_none(_finite(yk * bps_sel[m])),
            "toxic_share": float((yk < 0).mean()),
            "horizons": {h.label: _mean_or_none(as_float(mk2[mall[mk_ok[mall, col[h]]], col[h]]) / 2.0)
                         for h in hs},
        }
        block["buckets"].append(entry)
        groups.append(yk / 2.0)
    block["spearman"] = _spearman(xv, y2)
    if len(groups) >= 2:
        block[diff[0]] = _welch(groups[-1], groups[0], confidence, diff[1:])
    return block


def _welch(a: np.ndarray, b: np.ndarray, confidence: float,
           names: tuple[str, str] = ("stale", "fresh")) -> dict[str, Any] | None:
    """Mean of ``a`` minus mean of ``b`` with Welch's t interval (unequal variances, Welch-Satterthwaite df)."""
    na, nb = a.size, b.size
    out: dict[str, Any] = {"diff": float(a.mean() - b.mean()), f"n_{names[0]}": int(na), f"n_{names[1]}": int(nb),
                           "ci_low": None, "ci_high": None, "zero_variance": []}
    if na < 2 or nb < 2:
        return out
    va, vb = float(a.var(ddof=1)) / na, float(b.var(ddof=1)) / nb
    if va == 0 or vb == 0:
        # A bucket whose markouts are all equal shows no spread: Welch's interval would take its
        # mean as exact (zero width when both are), so there is none (docs/reports.md, "Intervals").
        out["zero_variance"] = [k for k, v in zip(names, (va, vb)) if v == 0]
        return out
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    half = t_ppf(0.5 + confidence / 2, df) * se
    out["ci_low"], out["ci_high"] = out["diff"] - half, out["diff"] + half
    return out
