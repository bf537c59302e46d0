"""Report numbers: markouts, spread decomposition, signal buckets and an exact PnL split of one run.

Everything here is a plain function of a run's records (fills, order log,
signal values at fills) and the replayed events. Prices stay in
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._qty_units import as_lots
from ..config import ReportConfig, integer_argument
from ..errors import ConfigError, DataError
from ..records import OrderType
from ..replay import replay_bbo
from .markouts import (
    CONFIDENCE,
    GROUPS,
    INT64_MAX,
    INT64_MIN,
    Horizon,
    _horizon_block,
    _markouts,
    _mid_at_fill,
    _signal_block,
    _signal_values,
    _spread_block,
    exchange_mid2,
    format_ns,
    parse_horizons,
    summarize,
)
from .._exact import as_float, dot, isum, mul, sub
from ._format import currency_price
from .equity import marking_mid
from .infoage import information_age
from .queuepos import queue_position
from .levels import by_level
from .pnl import _activity, _inventory, _parts_on_grid, _pnl, _risk
from .presence import quote_presence, trading_steps
from .rejects import reject_warnings, rejects_block
from .stale import stale_book
from .setup import describe_setup, market_start, opening_snapshot, units_warning

__all__ = [
    "CONFIDENCE",
    "GROUPS",
    "Horizon",
    "ReportData",
    "check_store",
    "compute_report",
    "exchange_mid2",
    "format_ns",
    "parse_horizons",
    "summarize",
]


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
    age_buckets: int = 5,
    queue_buckets: int = 5,
    bbo: Mapping[str, np.ndarray] | None = None,
    same_events: bool = True,
    sharpe_interval: Any = None,
) -> ReportData:
    """Compute every number of the report for one run.

    Parameters
    ----------
    result : mmsim.Result or an object with the same attributes
        ``fills``, ``orders``, ``fill_signals``, ``position``,
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
    age_buckets : int
        Quantile buckets of information age for the markout by age.
    queue_buckets : int
        Quantile buckets of queue position (lots ahead at entry, level size at the fill) for
        the markout of maker fills by queue position.
    bbo : mapping of arrays, optional
        :func:`mmsim.replay_bbo` of ``events``, when the caller has it already (a
        sweep replays each event store's book once for all its points' reports);
        it must be of these very events. Default: replayed here (for the mid and
        for the look-ahead audit).
    sharpe_interval : int or str, optional
        The Sharpe's interval (a positive duration, ns or with a unit: ``"1m"``). Default: the
        engine's ``sample_every`` (docs/reports.md, "Inventory and risk").
    same_events : bool
        True (default): ``events`` must be the events the run replayed — for a run of a
        whole event store that ran to the end, as many as ``result.n_events``; an event
        store given must have the identity (meta.json) of ``result.meta`` — else a
        DataError. False when they are another form of the same market on purpose (queue
        scoring marks its L2 model runs to the L3 events). A run of a bare array (no
        store meta) can be marked to another form of its market (its L2 form's to the L3
        events), unchecked.

    Returns
    -------
    ReportData

    Raises
    ------
    DataError
        If the events are empty or unsorted, are not the events the run replayed, or the
        fills do not add up to the result's position and cash.
    ConfigError
        For a bad horizon or bucket count.
    """
    defaults = _report_defaults(result)
    time_h, event_h, toxic = parse_horizons(
        defaults.horizons if horizons is None else horizons,
        defaults.event_horizons if event_horizons is None else event_horizons,
        defaults.toxic_horizon if toxic_horizon is None else toxic_horizon,
    )
    signal_buckets, age_buckets, queue_buckets = (  # 5.0 is 5, as for an integer config key; 2.5 and True are refused
        integer_argument(k, f"{name} must be a positive integer", low=1) for name, k in
        (("signal_buckets", signal_buckets), ("age_buckets", age_buckets), ("queue_buckets", queue_buckets)))
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence!r}")
    interval = _sharpe_interval(sharpe_interval)
    if position_limit is None:
        # The reference strategies cap inventory with a `max_position` parameter; a run
        # description (result.run_config) says what the strategy was given.
        params = getattr(getattr(getattr(result, "run_config", None), "strategy", None), "params", None) or {}
        if isinstance(params, Mapping):  # `max_position: 0.5 base` is its lots (docs/strategies.md, "Units ...")
            params = as_lots(params, "", getattr(result, "lot_size", None))
        limit = params.get("max_position") if isinstance(params, Mapping) else None
        # `max_position: inf` is the reference strategies' "no limit": no time at limits.
        if isinstance(limit, (int, float)) and not isinstance(limit, bool) and 0 < limit < math.inf:
            position_limit = limit  # type: ignore[assignment]  # lots, as given (a float limit is fine)
    if position_limit is not None and (isinstance(position_limit, bool) or not position_limit > 0
                                       or not math.isfinite(position_limit)):
        raise ConfigError(f"position_limit must be a positive number of lots, got {position_limit!r}")

    store: Any = None
    if hasattr(events, "events") and hasattr(events, "meta"):  # an event store
        store = events
        if same_events:
            check_store(result, events)
        events = events.events
    events = np.asarray(events)
    n_run = getattr(result, "n_events", None)
    # A run of a whole event store (its meta.json's event_count) must be given that store's events;
    # a run of an array (an L2 form of L3 data, a slice) says nothing of its events but their count.
    whole_store = (getattr(result, "meta", None) or {}).get("event_count") == n_run
    if (same_events and whole_store and isinstance(n_run, (int, np.integer)) and not getattr(result, "partial", False)
            and n_run != events.shape[0]):
        # Another store's events would mark the fills to a market they never traded in.
        raise DataError(f"report: the events given have {events.shape[0]:,} rows but the run replayed {int(n_run):,}; "
                        "pass the events the run replayed (mmsim report --events)")
    stop_ts = getattr(result, "stop_ts", None) if getattr(result, "partial", False) else None
    n_given = int(events.shape[0])
    if stop_ts is not None:
        # A run that stopped replayed the events up to its stop: the report covers those.
        cut = max(1, int(np.searchsorted(events["exch_ts"], stop_ts, side="right")))
        events = events[:cut]
        if bbo is not None:
            bbo = {k: v[:cut] for k, v in bbo.items()}
    if events.shape[0] == 0:
        raise DataError("report: the event array is empty; a report needs the events the run replayed")
    if bbo is None:
        bbo = replay_bbo(events)  # the engine's replay rejects unsorted events
    exch_ts, mid2, valid = exchange_mid2(events, bbo)

    fills = np.asarray(_get(result, "fills", np.zeros(0)))
    tick_value = float(_get(result, "tick_value", 1.0))
    cfg = getattr(result, "config", None)
    tick_size = float(getattr(result, "tick_size", None) or getattr(cfg, "tick_size", None) or 1.0)
    for name, v in (("tick_value", tick_value), ("tick_size", tick_size)):
        # Money is lots x ticks x tick_value: a NaN, zero or negative one made every amount NaN or 0.
        if not (math.isfinite(v) and v > 0):
            raise DataError(f"report: result.{name} is {v!r}; expected a positive finite number (the store's "
                            "tick size x lot size x contract size)")

    f = _fill_columns(fills)
    _check_fills(f, result)
    if same_events and store is not None:  # a bare array is unchecked, as its identity is
        _check_fill_books(f, events["exch_ts"], bbo)

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
    with np.errstate(divide="ignore", invalid="ignore"):
        bps_scale = np.where(f["price"] > 0, 1e4 / (2.0 * f["price"].astype(np.float64)), np.nan)

    markouts = []
    for h in time_h + event_h:
        j = col[h]
        markouts.append(_horizon_block(h, mk2[:, j], mk_ok[:, j], past_end[:, j], f, masks, bps_scale,
                                       tick_value, confidence))

    eff2 = mul(f["side"], sub(sub(m0_2, f["price"]), f["price"]))  # exact (docs/reports.md, "Exact arithmetic")
    spread = _spread_block(time_h + event_h, col, eff2, mk2, mk_ok, masks, bps_scale, confidence)

    jt = col[toxic]
    tox_ok = mk_ok[:, jt]
    tox_n = int(tox_ok.sum())
    tox_neg = tox_ok & (mk2[:, jt] < 0)
    toxic_share = float(tox_neg.sum() / tox_n) if tox_n else None
    tox_qty = isum(f["qty"][tox_ok])
    toxic_share_qty = float(isum(f["qty"][tox_neg]) / tox_qty) if tox_qty else None

    sig_values = _signal_values(_get(result, "fill_signals", None), f["n"])
    signals = _signal_block(sig_values, mk2[:, jt], tox_ok, f["side"], bps_scale, int(signal_buckets), confidence)

    pnl, parts = _pnl(f, m0_2, mid2_ff, ffvalid, result, tick_value)

    t_start, t_end = int(exch_ts[0]), int(exch_ts[-1])
    # Time-weighted over the header's span: from the first event after an opening snapshot set apart
    # (a Databento day's 00:00 book before a session at 23:00 read a mean |position| 12 times too small).
    snapshot = opening_snapshot(events)
    t_market = market_start(snapshot, t_start)
    status = trading_steps(events, t_market, t_end)
    # Over the venue's trading time too when it was not trading throughout (as quote presence is).
    inventory = _inventory(f, t_market, t_end, position_limit, status)
    # The Sharpe's grid covers the same span (its label names it over a day or less), and the days
    # of data are the market's, from its start (compare's buckets count alike); its points are
    # anchored at the first event after any opening snapshot, set apart or not. pnl.png plots it.
    # Equity is marked to the last mid from trading time (not a pre-open's crossed book); the PnL
    # total and the markouts above keep the exchange mid.
    risk, equity_t, equity = _risk(f, tick_value, (exch_ts, *marking_mid(events, exch_ts, mid2, valid)), pnl["total"],
                                   t_market, t_end, cfg,
                                   snapshot["market_start_ts"], interval)

    orders = np.asarray(_get(result, "orders", np.zeros(0)))
    activity = _activity(f, orders, tick_value)
    presence = quote_presence(orders, inventory["from_ts"], inventory["to_ts"], exch_ts, bbo, status)

    race = f["after_cancel"]
    cancel_race = {
        "count": int(race.sum()),
        "qty": isum(f["qty"][race]),
        "markouts": {
            h.label: summarize(as_float(mk2[race & mk_ok[:, col[h]], col[h]]) / 2.0, confidence)
            for h in time_h + event_h
        },
        "markout_pnl": float(dot(mk2[race & tox_ok, jt], f["qty"][race & tox_ok]) * tick_value / 2.0),
    }

    info_age, age_columns, age_series = information_age(
        result, exch_ts, f, mk2, mk_ok, time_h + event_h, col, toxic, bps_scale, int(age_buckets), confidence)
    queue = queue_position(f, mk2, mk_ok, time_h + event_h, col, toxic, bps_scale, int(queue_buckets), confidence)
    stale, stale_mask = stale_book(f, orders, events, bbo, (mk2, mk_ok), time_h + event_h, col, confidence)
    from ..analysis.lookahead import audit_look_ahead

    audit = audit_look_ahead(result, events, bbo=bbo)

    meta = dict(getattr(result, "meta", None) or {})
    from .. import __version__

    rejects = rejects_block(orders)
    partial = None
    if getattr(result, "partial", False):
        partial = {"stop_reason": getattr(result, "stop_reason", None), "stop_ts": stop_ts,
                   "n_events": int(exch_ts.size), "n_events_given": n_given}
    levels = by_level(f, orders, eff2, mk2, mk_ok, past_end, time_h + event_h, col, toxic, bps_scale, tick_value,
                      confidence)
    data: dict[str, Any] = {
        "schema": "mmsim.report/1",
        "setup": describe_setup(result, t_start=t_start, t_end=t_end, n_events=int(exch_ts.size),
                                version=__version__, events=events, event_store=store if same_events else None),
        "partial": partial,
        "warnings": ([f"PARTIAL RESULT: the run stopped at exchange time {_when(stop_ts)}, after "
                      f"{int(exch_ts.size):,} of {n_given:,} events; this report covers the replay up to the stop. "
                      f"Why: {partial['stop_reason']}"] if partial else []) + reject_warnings(rejects)
        + [w for w in (units_warning(result, cfg, meta),) if w],
        "run": {
            "symbol": meta.get("symbol"),
            "start_ts": t_start,
            "end_ts": t_end,
            "n_events": int(exch_ts.size),
            "tick_size": tick_size,
            # Quantities here are lots; one lot is lot_size base units (docs/reports.md, "Units").
            "lot_size": float(getattr(result, "lot_size", None) or getattr(cfg, "lot_size", None) or 1.0),
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
        "presence": presence,
        "risk": risk,
        "cancel_race": cancel_race,
        "by_level": levels,
        "rejects": rejects,
        "information_age": info_age,
        "queue_position": queue,
        "stale_book": stale if same_events else None,  # of the events the run replayed (engine.md item 11)
        "look_ahead_audit": audit.to_dict(),
    }

    columns = _fills_table(f, m0_2, eff2, mk2, mk_ok, time_h + event_h, col, toxic, bps_scale, sig_values, tick_size)
    # 1/0; an empty cell for a fill not classified (a taker fill), or every fill on other events (queue-score)
    flag = stale_mask if same_events else np.full(stale_mask.shape, np.nan)
    columns.update(age_columns, stale_book=flag.astype(np.int8) if not np.isnan(flag).any() else flag)
    series = {
        "equity_t": equity_t,
        "equity": equity,
        "fill_t": f["exch_ts"],
        "position": f["position_after"],
        # On the equity's grid: spread capture + inventory - fees = the plotted equity at every point.
        "parts": _parts_on_grid(f["exch_ts"], parts, pnl, equity_t, equity),
        "parts_t": equity_t,
        "t_start": t_start,
        "t_end": t_end,
        "tick_value": tick_value,
        **age_series,
    }
    return ReportData(data=data, fills=columns, series=series)


def _sharpe_interval(value: Any) -> int | None:
    """``sharpe_interval`` as int ns (None: the engine's ``sample_every``); a ConfigError naming it otherwise."""
    if value is None:
        return None
    from ..config import parse_duration

    ns = parse_duration(value, "sharpe_interval")
    if ns <= 0:
        raise ConfigError(f"sharpe_interval must be a positive duration (e.g. 1m), got {value!r}")
    return int(ns)


def _check_fill_books(f: Mapping[str, Any], exch_ts: np.ndarray, bbo: Mapping[str, np.ndarray],
                      who: str = "report", run: str = "the run") -> None:
    """Refuse an event store whose book is not the one the run's fills saw.

    Each fill records the exchange's best bid and ask just before it; on the run's own
    events that is the replayed book after the last event before the fill's timestamp (or,
    for an order matched after the market events of its nanosecond, after the last event at
    it). A fill with an empty side recorded, or at the first timestamp, is not checked.
    Events with the same identity, count and span but another market (edited prices, another
    day's file under the same name) would otherwise mark every fill to a book it never saw.
    """
    if f["n"] == 0:
        return
    bid, ask = f["best_bid"], f["best_ask"]
    before = np.searchsorted(exch_ts, f["exch_ts"], side="left") - 1
    last = np.searchsorted(exch_ts, f["exch_ts"], side="right") - 1
    checked = (bid != INT64_MIN) & (ask != INT64_MAX) & (before >= 0)
    b, e = np.maximum(before, 0), np.maximum(last, 0)
    same = ((bbo["best_bid"][b] == bid) & (bbo["best_ask"][b] == ask)) | (
        (bbo["best_bid"][e] == bid) & (bbo["best_ask"][e] == ask))
    bad = np.flatnonzero(checked & ~same)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{who}: the events given are not the ones {run} replayed: fill {i} (at exch_ts "
            f"{int(f['exch_ts'][i])}) saw best bid/ask {int(bid[i])}/{int(ask[i])} ticks, the events' book just "
            f"before it is {int(bbo['best_bid'][b[i]])}/{int(bbo['best_ask'][b[i]])} ({bad.size:,} of "
            f"{int(f['n']):,} fills differ); pass the events {run} replayed (mmsim {who} --events)")


def _store_mismatch(result: Any, store: Any) -> list[str]:
    """The identity keys (meta.json) in which an event store differs from the one ``result`` replayed
    (``symbol 'A' vs 'B'``...; by the content digest when both carry one), after refusing a store whose events are
    not the ones its meta.json's digest was computed from: the one check of a report's and ``mmsim compare``'s."""
    from .setup import identity_keys

    store_meta = store.meta
    if getattr(store, "path", None) is not None:  # its digest recomputed, not trusted (breaker16d)
        from ..data._identity import verify_digest

        verify_digest(store.events, store_meta, Path(store.path) / "meta.json")
    run_meta = dict(getattr(result, "meta", None) or {})
    both = [k for k in identity_keys(run_meta, store_meta) if store_meta.get(k) is not None and run_meta.get(k) is not None]
    return [f"{k} {run_meta[k]!r} vs {store_meta[k]!r}" for k in both if run_meta[k] != store_meta[k]]


def check_store(result: Any, store: Any) -> None:
    """Refuse an event store whose identity (meta.json) differs from the one the run replayed, or whose events are
    not the ones its meta.json's digest was computed from (:func:`_store_mismatch`)."""
    bad = _store_mismatch(result, store)
    if bad:
        raise DataError("report: the event store given is not the data the run replayed: " + ", ".join(bad))


def _when(ts: int | None) -> str:
    if ts is None:
        return "?"
    from .setup import _ts

    return f"{_ts(int(ts))} UTC"


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
        # A record without these (saved before ladders) is a target's order at level 0.
        "order_type": col("order_type", np.int64, int(OrderType.LIMIT)),
        "level": col("level", np.int64, 0),
        "tag": col("tag", np.int64, 0),
        # -1: a taker fill, or a result saved before they were recorded.
        "queue_ahead_at_entry": col("queue_ahead_at_entry", np.int64, -1),
        "level_qty_at_fill": col("level_qty_at_fill", np.int64, -1),
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
    bad = np.flatnonzero(~np.isfinite(f["fee"]))
    if bad.size:
        raise DataError(f"report: fill {int(bad[0])} has fee {float(f['fee'][bad[0]])!r}; expected a finite amount")
    bad = np.flatnonzero((f["price"] < -(1 << 62)) | (f["price"] >= (1 << 62)))
    if bad.size:
        raise DataError(f"report: fill {int(bad[0])} has price {int(f['price'][bad[0]])} ticks, outside the range "
                        "the engine accepts ([-2^62, 2^62) ticks)")
    bad = np.flatnonzero(np.diff(f["exch_ts"]) < 0)
    if bad.size:
        raise DataError(f"report: fills are not in exch_ts order (fill {int(bad[0]) + 1} goes back in time)")
    pos = getattr(result, "position", None)
    if pos is not None and int(pos) != int(f["position_after"][-1]):
        raise DataError(
            f"report: the fills add up to a position of {int(f['position_after'][-1])} lots but "
            f"result.position is {int(pos)}; the fills and the result do not belong together"
        )


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
        "order_type": f["order_type"],
        "level": f["level"],
        "tag": f["tag"],
        # Lots; an empty cell where the fill has none (-1: a taker fill, or a run saved before them).
        **{k: f[k] if (f[k] >= 0).all() else np.where(f[k] >= 0, f[k].astype(np.float64), np.nan)
           for k in ("queue_ahead_at_entry", "level_qty_at_fill")},
        "price_ticks": f["price"],
        "price": currency_price(f["price"], tick_size),
        "qty": f["qty"],
        "position": f["position_after"],
        "fee": f["fee"],
        "mid_at_fill_ticks": as_float(m0_2) / 2.0,
        "effective_half_spread_ticks": as_float(eff2) / 2.0,
    }
    for h in list(hs) + ([toxic] if toxic not in hs else []):
        j = col[h]
        mk_f = as_float(mk2[:, j])
        c[f"markout_{h.label}_ticks"] = np.where(ok[:, j], mk_f / 2.0, np.nan)
        c[f"markout_{h.label}_bps"] = np.where(ok[:, j], mk_f * bps_scale, np.nan)
    j = col[toxic]
    c[f"price_impact_{toxic.label}_ticks"] = np.where(ok[:, j], as_float(sub(eff2, mk2[:, j])) / 2.0, np.nan)
    c["toxic"] = np.where(ok[:, j], (mk2[:, j] < 0).astype(np.float64), np.nan)
    for name, v in sig.items():
        c[f"signal_{name}"] = v
    return c
