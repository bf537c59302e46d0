"""Report numbers: markouts, spread decomposition, signal buckets and an exact PnL split of one run.

Everything here is a plain function of a run's records (fills, order log,
samples, signal values at fills) and the replayed events. Prices stay in
integer ticks and the mid in integer *half-ticks* (``2*mid = best_bid +
best_ask``), so every PnL part is an exact integer of half-tick·lots until the
one conversion to currency (``tick_value / 2`` per half-tick·lot).

Sign convention: positive is good for us. For a fill of ``side`` (+1 we
bought, -1 we sold) at price ``p``, with ``m0`` the exchange mid just before
the fill and ``m_h`` the exchange mid a horizon ``h`` later:

- markout / realized half-spread at ``h``: ``side * (m_h - p)``
- effective half-spread: ``side * (m0 - p)``
- price impact (adverse selection) at ``h``: ``side * (m0 - m_h)``

so ``effective = realized + price impact`` for every fill and every horizon
(Huang and Stoll 1996; Hendershott, Jones and Menkveld 2011, written from the
liquidity provider's side: their trade direction ``q`` is ``-side`` for our
passive fills).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..config import ReportConfig, parse_duration
from ..errors import ConfigError, DataError
from ..records import SIGNAL_NAMES, OrderEvent
from ..replay import replay_bbo

__all__ = [
    "CONFIDENCE",
    "GROUPS",
    "Horizon",
    "ReportData",
    "compute_report",
    "exchange_mid2",
    "format_ns",
    "parse_horizons",
    "summarize",
]

INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max

def _stats():  # scipy.stats costs most of `import mmsim`; load it when a report is computed
    from scipy import stats

    return stats


#: Confidence level of every interval in the report (Student t, scipy).
CONFIDENCE = 0.95

#: Fill groups every markout statistic is broken down by, in report order.
GROUPS: tuple[str, ...] = ("all", "buy", "sell", "maker", "taker")

#: Sharpe is computed on an equity grid of at most this many points (the
#: sample interval is widened if a long run would exceed it).
_MAX_GRID = 2_000_000

_NS_PER_DAY = 86_400_000_000_000


def format_ns(ns: int) -> str:
    """Short label of a duration in ns: ``100ms``, ``1s``, ``60s``, ``250us``, ``7ns``."""
    for unit, scale in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= scale and ns % scale == 0:
            return f"{ns // scale}{unit}"
    return f"{ns}ns"


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
    event_horizons : iterable of int
        Positive event counts.
    toxic_horizon : int or str
        A duration, or ``"<k>ev"`` for an event-count horizon.

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
    ev: set[int] = set()
    for i, k in enumerate(event_horizons or ()):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ConfigError(f"report.event_horizons[{i}]: expected a non-negative integer, got {k!r}")
        ev.add(int(k))
    if isinstance(toxic_horizon, str) and toxic_horizon.strip().endswith("ev"):
        text = toxic_horizon.strip()[:-2]
        if not text.isdigit():
            raise ConfigError(f"report.toxic_horizon: cannot read {toxic_horizon!r}; use a duration or '<k>ev'")
        toxic = Horizon("events", int(text))
    elif isinstance(toxic_horizon, Horizon):
        toxic = toxic_horizon
    else:
        toxic = Horizon("time", parse_duration(toxic_horizon, "report.toxic_horizon"))
    return [Horizon("time", h) for h in time_h], [Horizon("events", k) for k in sorted(ev)], toxic


def exchange_mid2(events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replay the exchange book's top and return twice its mid after every event.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The run's events, sorted by ``exch_ts``.

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
    bbo = replay_bbo(events)
    bid = np.asarray(bbo["best_bid"], dtype=np.int64)
    ask = np.asarray(bbo["best_ask"], dtype=np.int64)
    valid = (bid != INT64_MIN) & (ask != INT64_MAX)
    # Mask first: INT64_MAX + ask would wrap silently.
    mid2 = np.where(valid, bid, 0) + np.where(valid, ask, 0)
    exch_ts = np.ascontiguousarray(events["exch_ts"], dtype=np.int64)
    return exch_ts, mid2, valid


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
        None where undefined (no values; the interval needs two).
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
            lo, hi = _stats().t.interval(confidence, n - 1, loc=mean, scale=std / math.sqrt(n))
            out["ci_low"], out["ci_high"] = float(lo), float(hi)
        else:
            out["ci_low"] = out["ci_high"] = mean
    return out


@dataclass
class ReportData:
    """What :func:`compute_report` returns: the report.json dict, per-fill columns and plot series.

    Attributes
    ----------
    data : dict
        The document written as report.json (plain Python values, None for undefined).
    fills : dict of str to ndarray
        One column per fills.csv column, in order, one row per fill.
    series : dict of str to ndarray
        Time series for the plots (equity, inventory, PnL parts).
    """

    data: dict[str, Any]
    fills: dict[str, np.ndarray]
    series: dict[str, Any] = field(default_factory=dict)


def _get(result: Any, name: str, default: Any = None) -> Any:
    value = getattr(result, name, default)
    return default if value is None else value


def _report_defaults(result: Any) -> ReportConfig:
    """The report section of the run description the result came from, else the defaults."""
    rep = getattr(getattr(result, "run_config", None), "report", None)
    return rep if isinstance(rep, ReportConfig) else ReportConfig()


def compute_report(
    result: Any,
    events: np.ndarray,
    *,
    horizons: Sequence[Any] | None = None,
    event_horizons: Sequence[Any] | None = None,
    toxic_horizon: Any = None,
    signal_buckets: int = 5,
    position_limit: int | None = None,
    confidence: float = CONFIDENCE,
) -> ReportData:
    """Compute every number of the report for one run.

    Parameters
    ----------
    result : mmsim.Result or an object with the same attributes
        ``fills``, ``orders``, ``samples``, ``fill_signals``, ``position``,
        ``cash_ticks``, ``fees``, ``tick_value``, ``config``, ``meta``.
    events : ndarray of EVENT_DTYPE
        The events the run replayed (for the exchange-side mid).
    horizons : sequence of int or str, optional
        Markout horizons in exchange time (default ``result.run_config.report``).
    event_horizons : sequence of int, optional
        Markout horizons in market events.
    toxic_horizon : int or str, optional
        Horizon of the toxic share and the signal buckets.
    signal_buckets : int
        Quantile buckets per signal.
    position_limit : int, optional
        Lots; time with ``|position| >= position_limit`` is reported as time at limits.
        Default: the strategy's ``max_position`` parameter in ``result.run_config``, when set.
    confidence : float
        Level of every confidence interval.

    Returns
    -------
    ReportData

    Raises
    ------
    DataError
        If the events are empty or unsorted, or the fills do not add up to the
        result's position and cash.
    ConfigError
        For a bad horizon or bucket count.
    """
    defaults = _report_defaults(result)
    time_h, event_h, toxic = parse_horizons(
        defaults.horizons if horizons is None else horizons,
        defaults.event_horizons if event_horizons is None else event_horizons,
        defaults.toxic_horizon if toxic_horizon is None else toxic_horizon,
    )
    if isinstance(signal_buckets, bool) or not isinstance(signal_buckets, (int, np.integer)) or signal_buckets < 1:
        raise ConfigError(f"signal_buckets must be a positive integer, got {signal_buckets!r}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence!r}")
    if position_limit is None:
        # The reference strategies cap inventory with a `max_position` parameter; a run
        # description (result.run_config) says what the strategy was given.
        params = getattr(getattr(getattr(result, "run_config", None), "strategy", None), "params", None) or {}
        limit = params.get("max_position") if isinstance(params, Mapping) else None
        if isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit > 0:
            position_limit = limit
    if position_limit is not None and (isinstance(position_limit, bool) or position_limit <= 0):
        raise ConfigError(f"position_limit must be a positive number of lots, got {position_limit!r}")

    if hasattr(events, "events") and hasattr(events, "meta"):  # an event store
        events = events.events
    events = np.asarray(events)
    if events.shape[0] == 0:
        raise DataError("report: the event array is empty; a report needs the events the run replayed")
    exch_ts, mid2, valid = exchange_mid2(events)  # the engine's replay rejects unsorted events

    fills = np.asarray(_get(result, "fills", np.zeros(0)))
    tick_value = float(_get(result, "tick_value", 1.0))
    cfg = getattr(result, "config", None)
    tick_size = float(getattr(result, "tick_size", None) or getattr(cfg, "tick_size", None) or 1.0)

    f = _fill_columns(fills)
    _check_fills(f, result)

    # Forward-filled mid: the last two-sided mid at or before each event.
    has = np.maximum.accumulate(np.where(valid, np.arange(valid.size), -1))
    mid2_ff = np.where(has >= 0, mid2[np.maximum(has, 0)], 0)
    ffvalid = has >= 0

    fill_event = np.searchsorted(exch_ts, f["exch_ts"], side="right") - 1
    m0_2 = _mid_at_fill(f, exch_ts, mid2_ff, ffvalid)

    all_h = time_h + event_h
    if toxic not in all_h:
        all_h = all_h + [toxic]
    mk2, mk_ok, past_end = _markouts(f, fill_event, exch_ts, mid2, valid, all_h)
    col = {h: j for j, h in enumerate(all_h)}

    masks = {
        "all": np.ones(f["n"], dtype=bool),
        "buy": f["side"] > 0,
        "sell": f["side"] < 0,
        "maker": f["maker"],
        "taker": ~f["maker"],
    }
    price2 = 2 * f["price"]
    with np.errstate(divide="ignore", invalid="ignore"):
        bps_scale = np.where(f["price"] > 0, 1e4 / price2.astype(np.float64), np.nan)

    markouts = []
    for h in time_h + event_h:
        j = col[h]
        markouts.append(_horizon_block(h, mk2[:, j], mk_ok[:, j], past_end[:, j], f, masks, bps_scale,
                                       tick_value, confidence))

    eff2 = f["side"] * (m0_2 - price2)
    spread = _spread_block(time_h + event_h, col, eff2, mk2, mk_ok, masks, bps_scale, confidence)

    jt = col[toxic]
    tox_ok = mk_ok[:, jt]
    tox_n = int(tox_ok.sum())
    tox_neg = tox_ok & (mk2[:, jt] < 0)
    toxic_share = float(tox_neg.sum() / tox_n) if tox_n else None
    tox_qty = int(f["qty"][tox_ok].sum())
    toxic_share_qty = float(f["qty"][tox_neg].sum() / tox_qty) if tox_qty else None

    sig_values = _signal_values(_get(result, "fill_signals", None), f["n"])
    signals = _signal_block(sig_values, mk2[:, jt], tox_ok, f["side"], bps_scale, int(signal_buckets), confidence)

    pnl, parts = _pnl(f, m0_2, mid2_ff, ffvalid, result, tick_value)

    t_start, t_end = int(exch_ts[0]), int(exch_ts[-1])
    inventory = _inventory(f, t_start, t_end, position_limit)
    equity_t, equity = _equity(result, f, parts, tick_value, exch_ts)
    risk = _risk(equity_t, equity, t_start, t_end, result, cfg)

    orders = np.asarray(_get(result, "orders", np.zeros(0)))
    activity = _activity(f, orders, tick_value)

    race = f["after_cancel"]
    cancel_race = {
        "count": int(race.sum()),
        "qty": int(f["qty"][race].sum()),
        "markouts": {
            h.label: summarize(mk2[race & mk_ok[:, col[h]], col[h]] / 2.0, confidence) for h in time_h + event_h
        },
        "markout_pnl": float(
            (mk2[race & tox_ok, jt] * f["qty"][race & tox_ok]).sum() * tick_value / 2.0
        ),
    }

    meta = dict(getattr(result, "meta", None) or {})
    data: dict[str, Any] = {
        "schema": "mmsim.report/1",
        "run": {
            "symbol": meta.get("symbol"),
            "start_ts": t_start,
            "end_ts": t_end,
            "n_events": int(exch_ts.size),
            "tick_size": tick_size,
            "tick_value": tick_value,
            "confidence": confidence,
            "horizons": [h.label for h in time_h],
            "event_horizons": [h.label for h in event_h],
            "toxic_horizon": toxic.label,
        },
        "pnl": pnl,
        "fills": activity,
        "toxic_share": toxic_share,
        "toxic_share_qty": toxic_share_qty,
        "toxic": {"horizon": toxic.label, "n": tox_n, "count": int(tox_neg.sum())},
        "markouts": markouts,
        "spread": spread,
        "signals": signals,
        "inventory": inventory,
        "risk": risk,
        "cancel_race": cancel_race,
    }

    columns = _fills_table(f, m0_2, eff2, mk2, mk_ok, time_h + event_h, col, toxic, bps_scale, sig_values, tick_size)
    series = {
        "equity_t": equity_t,
        "equity": equity,
        "fill_t": f["exch_ts"],
        "position": f["position_after"],
        "parts": parts,
        "parts_t": np.concatenate([[t_start], f["exch_ts"], [t_end]]).astype(np.int64),
        "t_start": t_start,
        "t_end": t_end,
        "tick_value": tick_value,
    }
    return ReportData(data=data, fills=columns, series=series)


def _fill_columns(fills: np.ndarray) -> dict[str, Any]:
    n = int(fills.shape[0])
    names = fills.dtype.names or ()

    def col(name: str, dtype: Any, default: Any = 0) -> np.ndarray:
        if name in names:
            return np.ascontiguousarray(fills[name]).astype(dtype, copy=False)
        return np.full(n, default, dtype=dtype)

    for req in ("exch_ts", "price", "qty", "side"):
        if n and req not in names:
            raise DataError(f"report: fills have no field {req!r} (expected mmsim.records.FILL_DTYPE)")
    side = col("side", np.int64)
    qty = col("qty", np.int64)
    f = {
        "n": n,
        "exch_ts": col("exch_ts", np.int64),
        "local_ts": col("local_ts", np.int64),
        "order_id": col("order_id", np.int64),
        "price": col("price", np.int64),
        "qty": qty,
        "leaves": col("leaves", np.int64),
        "best_bid": col("best_bid", np.int64, INT64_MIN),
        "best_ask": col("best_ask", np.int64, INT64_MAX),
        "fee": col("fee", np.float64),
        "side": side,
        "maker": col("maker", bool, True),
        "after_cancel": col("after_cancel", bool, False),
    }
    f["position_after"] = np.cumsum(side * qty)
    return f


def _check_fills(f: Mapping[str, Any], result: Any) -> None:
    n = f["n"]
    if n == 0:
        return
    bad = np.flatnonzero((f["side"] != 1) & (f["side"] != -1))
    if bad.size:
        raise DataError(f"report: fill {int(bad[0])} has side {int(f['side'][bad[0]])}; expected +1 or -1")
    bad = np.flatnonzero(f["qty"] <= 0)
    if bad.size:
        raise DataError(f"report: fill {int(bad[0])} has qty {int(f['qty'][bad[0]])}; expected a positive size")
    bad = np.flatnonzero(np.diff(f["exch_ts"]) < 0)
    if bad.size:
        raise DataError(f"report: fills are not in exch_ts order (fill {int(bad[0]) + 1} goes back in time)")
    pos = getattr(result, "position", None)
    if pos is not None and int(pos) != int(f["position_after"][-1]):
        raise DataError(
            f"report: the fills add up to a position of {int(f['position_after'][-1])} lots but "
            f"result.position is {int(pos)}; the fills and the result do not belong together"
        )


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
    mk = np.zeros((n, k), dtype=np.int64)
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
        mk[:, j] = np.where(good, f["side"] * (mid2[idx] - 2 * f["price"]), 0)
        ok[:, j] = good
        past[:, j] = beyond
    return mk, ok, past


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
    groups = {}
    for g in GROUPS:
        m = masks[g]
        sel = m & ok
        ticks = mk2[sel] / 2.0
        bps = mk2[sel] * bps_scale[sel]
        bps = bps[np.isfinite(bps)]
        qty = f["qty"][sel]
        groups[g] = {
            "n": int(sel.sum()),
            "n_past_end": int((m & past).sum()),
            "n_no_mid": int((m & ~ok & ~past).sum()),
            "ticks": summarize(ticks, confidence),
            "bps": summarize(bps, confidence),
            "qty_weighted_ticks": float((mk2[sel] * qty).sum() / (2.0 * qty.sum())) if qty.sum() else None,
            "pnl": float((mk2[sel] * qty).sum() * tick_value / 2.0),
        }
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
    for g in ("all", "maker", "taker"):
        sel = masks[g]
        eff[g] = {"ticks": summarize(eff2[sel] / 2.0, confidence),
                  "bps": summarize(_finite(eff2[sel] * bps_scale[sel]), confidence)}
    rows = []
    for h in hs:
        j = col[h]
        by = {}
        for g in ("all", "maker", "taker"):
            sel = masks[g] & ok[:, j]
            realized = mk2[sel, j]
            impact = eff2[sel] - realized  # = side*(m0 - m_h): exact in half-ticks
            by[g] = {
                "n": int(sel.sum()),
                "effective": summarize(eff2[sel] / 2.0, confidence),
                "realized": summarize(realized / 2.0, confidence),
                "price_impact": summarize(impact / 2.0, confidence),
                "effective_bps": _mean_or_none(_finite(eff2[sel] * bps_scale[sel])),
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
    ry_ok = _stats().rankdata(y_ok) if y_ok.size >= 3 else None  # shared by every fully finite signal
    for name, v in values.items():
        sel = ok & np.isfinite(v)
        ry = ry_ok if sel.sum() == y_ok.size else None
        x = v[sel]
        y2 = mk2[sel]
        s = side[sel]
        entry: dict[str, Any] = {"n": int(x.size), "buckets": [], "spearman": None, "spearman_signed": None}
        if x.size:
            # Quantile edges; equal edges (a signal with many ties) merge buckets.
            edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, buckets + 1)[1:-1]))
            b = np.searchsorted(edges, x, side="right")
            for k in range(edges.size + 1):
                m = b == k
                if not m.any():
                    continue
                yk = y2[m]
                entry["buckets"].append({
                    "q": len(entry["buckets"]),  # Q1.. numbered over the non-empty buckets
                    "lo": float(x[m].min()),
                    "hi": float(x[m].max()),
                    "n": int(m.sum()),
                    "n_buy": int((s[m] > 0).sum()),
                    "n_sell": int((s[m] < 0).sum()),
                    "markout_ticks": summarize(yk / 2.0, confidence),
                    "markout_bps": _mean_or_none(_finite(yk * bps_scale[sel][m])),
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


def _spearman(x: np.ndarray, y: np.ndarray, ry: np.ndarray | None = None) -> dict[str, float] | None:
    """Spearman rank correlation with its two-sided p-value (t approximation, as scipy.stats.spearmanr).

    ``ry`` may carry the ranks of ``y`` when several signals share them.
    """
    n = x.size
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    rx = _stats().rankdata(x)
    ry = _stats().rankdata(y) if ry is None else ry
    rho = float(np.corrcoef(rx, ry)[0, 1])
    rho = min(1.0, max(-1.0, rho))
    if abs(rho) == 1.0:
        p = 0.0
    else:
        t = rho * math.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
        p = float(2.0 * _stats().t.sf(abs(t), n - 2))
    return {"rho": rho, "p_value": p}


def _pnl(
    f: Mapping[str, Any],
    m0_2: np.ndarray,
    mid2_ff: np.ndarray,
    ffvalid: np.ndarray,
    result: Any,
    tick_value: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Exact PnL split in half-tick·lots; see the module docstring and docs/reports.md."""
    side, qty, price = f["side"], f["qty"], f["price"]
    n = f["n"]
    if ffvalid[-1]:
        end2 = int(mid2_ff[-1])
    elif n:
        end2 = int(m0_2[-1])  # no two-sided book ever: mark at the last fill's mid
    else:
        end2 = 0
    pos = f["position_after"]
    # Python ints: exact whatever the size of the run (no int64 wrap).
    cash_fills = -int(np.sum((side * price * qty).astype(object))) if n else 0
    cash_ticks = getattr(result, "cash_ticks", None)
    if cash_ticks is not None and int(cash_ticks) != cash_fills:
        raise DataError(
            f"report: the fills add up to cash of {cash_fills} tick·lots but result.cash_ticks is "
            f"{int(cash_ticks)}; the fills and the result do not belong together"
        )
    position = int(pos[-1]) if n else 0

    sc_each = (side * (m0_2 - 2 * price) * qty).astype(object)
    next_m = np.append(m0_2[1:], end2) if n else m0_2
    inv_each = (pos * (next_m - m0_2)).astype(object)
    spread2 = int(np.sum(sc_each)) if n else 0
    inv2 = int(np.sum(inv_each)) if n else 0
    # Independent: cash plus position marked to the end mid, from the result's own totals.
    total2 = 2 * cash_fills + position * end2
    if spread2 + inv2 != total2:  # algebraically impossible; guards the implementation
        raise DataError(
            f"report: PnL parts do not reconcile: spread {spread2} + inventory {inv2} != total {total2} half-tick·lots"
        )
    fees = float(np.sum(f["fee"])) if n else 0.0
    res_fees = getattr(result, "fees", None)
    if res_fees is not None and not math.isclose(float(res_fees), fees, rel_tol=1e-9, abs_tol=1e-9):
        raise DataError(f"report: the fills' fees add up to {fees!r} but result.fees is {float(res_fees)!r}")
    half = tick_value / 2.0
    spread_capture = spread2 * half
    inventory = inv2 * half
    pnl = {
        "total": spread_capture + inventory - fees,
        "spread_capture": spread_capture,
        "inventory": inventory,
        "fees": fees,
        "mark_to_mid": total2 * half - fees,
        "cash": cash_fills * tick_value - fees,
        "position": position,
        "end_mid": end2 / 2.0,
        "half_ticks": {"spread_capture": spread2, "inventory": inv2, "total_before_fees": total2},
        "reconciled": True,
    }
    # Cumulative parts just after each fill, marked to that fill's mid, framed
    # by the data's start (all zero) and end (the totals): the parts-over-time plot.
    inv_before = np.concatenate([[0], np.cumsum(inv_each)[:-1]]) if n else np.zeros(0, dtype=object)
    parts = {
        "spread": np.concatenate([[0.0], np.cumsum(sc_each).astype(np.float64) * half, [spread_capture]]),
        "inventory": np.concatenate([[0.0], inv_before.astype(np.float64) * half, [inventory]]),
        "fees": np.concatenate([[0.0], np.cumsum(f["fee"]), [fees]]),
    }
    return pnl, parts


def _inventory(f: Mapping[str, Any], t0: int, t1: int, limit: int | None) -> dict[str, Any]:
    n = f["n"]
    span = max(t1 - t0, 0)
    out: dict[str, Any] = {"mean_abs": 0.0, "mean": 0.0, "max_abs": 0, "final": 0, "limit": limit,
                           "time_at_limit": None if limit is None else 0.0}
    if n == 0:
        return out
    pos = f["position_after"]
    # Position is held from each fill until the next (or the end of the data).
    start = np.clip(f["exch_ts"], t0, t1)
    dur = np.diff(np.append(start, t1)).astype(np.float64)
    out["max_abs"] = int(np.abs(pos).max())
    out["final"] = int(pos[-1])
    if span > 0:
        out["mean_abs"] = float((np.abs(pos) * dur).sum() / span)
        out["mean"] = float((pos * dur).sum() / span)
        if limit is not None:
            out["time_at_limit"] = float(dur[np.abs(pos) >= limit].sum() / span)
    return out


def _equity(
    result: Any,
    f: Mapping[str, Any],
    parts: Mapping[str, np.ndarray],
    tick_value: float,
    exch_ts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Mark-to-mid equity over time: the engine's samples, else the PnL parts at each fill."""
    half = tick_value / 2.0
    samples = getattr(result, "samples", None)
    if samples is not None and len(samples):
        s = np.asarray(samples)
        bid, ask = s["best_bid"].astype(np.int64), s["best_ask"].astype(np.int64)
        ok = (bid != INT64_MIN) & (ask != INT64_MAX)
        m2 = np.where(ok, bid, 0) + np.where(ok, ask, 0)
        # A sample taken while a side was empty keeps the last two-sided mid.
        has = np.maximum.accumulate(np.where(ok, np.arange(ok.size), -1))
        m2 = np.where(has >= 0, m2[np.maximum(has, 0)], 0)
        pos = s["position"].astype(np.float64)
        eq = (2.0 * s["cash_ticks"].astype(np.float64) + pos * m2) * half - s["fees"]
        return s["exch_ts"].astype(np.int64), eq
    t = np.concatenate([[exch_ts[0]], f["exch_ts"], [exch_ts[-1]]]).astype(np.int64)
    return t, parts["spread"] + parts["inventory"] - parts["fees"]


def _risk(
    t: np.ndarray, eq: np.ndarray, t0: int, t1: int, result: Any, cfg: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"sharpe_daily": None, "sharpe_interval": None, "max_drawdown": 0.0,
                           "pnl_by_day": {}, "n_days": 0}
    if eq.size == 0:
        return out
    peak = np.maximum.accumulate(np.maximum(eq, 0.0))  # equity starts at 0
    out["max_drawdown"] = float((peak - eq).max())
    step = int(getattr(cfg, "sample_every", 1_000_000_000) or 1_000_000_000)
    span = t1 - t0
    if span > 0:
        step = max(step, -(-span // _MAX_GRID))
        grid = np.arange(t0, t1 + 1, step, dtype=np.int64)
        if grid[-1] != t1:
            grid = np.append(grid, t1)
        idx = np.searchsorted(t, grid, side="right") - 1
        eg = np.where(idx >= 0, eq[np.maximum(idx, 0)], 0.0)
        d = np.diff(eg)
        n_days = int(t1 // _NS_PER_DAY - t0 // _NS_PER_DAY + 1)
        out["n_days"] = n_days
        out["sharpe_interval"] = format_ns(step)
        if d.size >= 2:
            sd = float(np.std(d, ddof=1))
            if sd > 0:
                # Per-interval Sharpe scaled by sqrt(intervals per calendar day in the data).
                out["sharpe_daily"] = float(np.mean(d) / sd * math.sqrt(d.size / n_days))
        day = grid // _NS_PER_DAY
        prev = 0.0
        for dkey in np.unique(day):
            last_eq = float(eg[np.flatnonzero(day == dkey)[-1]])
            label = str(np.datetime64(int(dkey), "D"))
            out["pnl_by_day"][label] = last_eq - prev
            prev = last_eq
    return out


def _activity(f: Mapping[str, Any], orders: np.ndarray, tick_value: float) -> dict[str, Any]:
    n = f["n"]
    names = orders.dtype.names or ()
    if orders.size and "event" in names:
        ev = orders["event"]
        sent = ev == int(OrderEvent.SENT)
        n_sent = int(sent.sum())
        sent_qty = int(orders["qty"][sent].sum())
        n_cancel = int((ev == int(OrderEvent.CANCEL_SENT)).sum())
        n_reject = int((ev == int(OrderEvent.REJECTED)).sum())
    else:
        n_sent = sent_qty = n_cancel = n_reject = None  # no order log: undefined, not zero
    filled = int(f["qty"].sum())
    maker = f["maker"]
    return {
        "count": n,
        "qty": filled,
        "buy_count": int((f["side"] > 0).sum()),
        "sell_count": int((f["side"] < 0).sum()),
        "maker_count": int(maker.sum()),
        "taker_count": int((~maker).sum()),
        "maker_qty": int(f["qty"][maker].sum()),
        "taker_qty": int(f["qty"][~maker].sum()),
        "turnover": float((f["price"].astype(np.float64) * f["qty"]).sum() * tick_value),
        "orders_sent": n_sent,
        "quoted_qty": sent_qty,
        "cancels_sent": n_cancel,
        "rejects": n_reject,
        "fill_rate": filled / sent_qty if sent_qty else None,
        "order_to_trade": n_sent / n if n and n_sent is not None else None,
    }


def _fills_table(
    f: Mapping[str, Any],
    m0_2: np.ndarray,
    eff2: np.ndarray,
    mk2: np.ndarray,
    ok: np.ndarray,
    hs: Sequence[Horizon],
    col: Mapping[Horizon, int],
    toxic: Horizon,
    bps_scale: np.ndarray,
    sig: Mapping[str, np.ndarray],
    tick_size: float,
) -> dict[str, np.ndarray]:
    c: dict[str, np.ndarray] = {
        "exch_ts": f["exch_ts"],
        "local_ts": f["local_ts"],
        "order_id": f["order_id"],
        "side": f["side"],
        "maker": f["maker"].astype(np.int8),
        "after_cancel": f["after_cancel"].astype(np.int8),
        "price_ticks": f["price"],
        "price": f["price"] * tick_size,
        "qty": f["qty"],
        "position": f["position_after"],
        "fee": f["fee"],
        "mid_at_fill_ticks": m0_2 / 2.0,
        "effective_half_spread_ticks": eff2 / 2.0,
    }
    for h in list(hs) + ([toxic] if toxic not in hs else []):
        j = col[h]
        c[f"markout_{h.label}_ticks"] = np.where(ok[:, j], mk2[:, j] / 2.0, np.nan)
        c[f"markout_{h.label}_bps"] = np.where(ok[:, j], mk2[:, j] * bps_scale, np.nan)
    j = col[toxic]
    c[f"price_impact_{toxic.label}_ticks"] = np.where(ok[:, j], (eff2 - mk2[:, j]) / 2.0, np.nan)
    c["toxic"] = np.where(ok[:, j], (mk2[:, j] < 0).astype(np.float64), np.nan)
    for name, v in sig.items():
        c[f"signal_{name}"] = v
    return c
