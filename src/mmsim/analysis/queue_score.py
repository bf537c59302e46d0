"""L2 queue models scored against L3 truth: how wrong is each model on this market?

On market-by-order (L3) data the engine knows our exact FIFO queue position,
so the fills of a strategy replayed on it are the truth. The same day
aggregated to market-by-price (:func:`mmsim.to_l2`) loses who cancelled where
in the queue; replayed under an L2 queue model (``QueueConfig``: risk-averse,
power ``x**n``, log) the same strategy with the same latencies gets the fills
that model believes in. :func:`score_queue_models` runs both and compares
every model's fills with the truth's:

- fills and lots, and their bias against the truth;
- fill matching, one to one: a model fill matches a true fill on the same
  side and price within ``tolerance`` of exchange time, as many pairs as
  possible, as close in time as possible (:func:`match_fills`);
  matched, missed (true fills no model fill matches) and false (model fills
  matching no true fill); match share = matched / true fills; F1 of the lots;
- mean markout per lot at the report's horizons, and its bias (the same
  exchange mid, from the L3 events, for every run);
- PnL (mark to mid, fees included) and its bias;
- divergence: the first unmatched fill, and the time-weighted mean gap
  between the model's and the truth's positions.

It also fits the power exponent that best matches the truth on a grid
(:class:`PowerFit`). docs/queue_models.md has the definitions, the choices
and the real-day tables.

Example
-------
>>> score = mmsim.score_queue_models(mmsim.load("stores/esh4"), config=cfg)   # doctest: +SKIP
>>> score.print()                                                             # doctest: +SKIP
>>> score.best.model, score.fit.best_power                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Sequence

import numpy as np

from ..config import Config, QueueConfig, ReportConfig, RunConfig, integer_argument, parse_duration
from ..errors import ConfigError, DataError
from ..events import L3_KINDS
from .fill_match import FillMatch, match_fills
from .queue_score_result import REFERENCE, TRUTH, PowerFit, QueueModelRow, QueueScore, _fit

__all__ = [
    "DEFAULT_FIT_POWERS",
    "DEFAULT_MODELS",
    "FillMatch",
    "PowerFit",
    "QueueModelRow",
    "QueueScore",
    "match_fills",
    "model_label",
    "parse_model",
    "score_queue_models",
]

#: Models scored by default: the risk-averse model, power 1, 2 and 3, and log.
DEFAULT_MODELS: tuple[str, ...] = ("risk_averse", "power:1", "power:2", "power:3", "log")

#: Exponents of the power-model fit (about geometric from 1/4 to 16).
DEFAULT_FIT_POWERS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


# --------------------------------------------------------------------------- models


def parse_model(spec: Any) -> QueueConfig:
    """Read a queue model: ``"risk_averse"``, ``"log"``, ``"power:2"`` (or ``"power2"``), or a QueueConfig.

    Raises
    ------
    ConfigError
        An unknown model name or a bad exponent, naming the spec.
    """
    if isinstance(spec, QueueConfig):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"queue model {spec!r}: expected 'risk_averse', 'log', 'power:<n>' or a QueueConfig")
    text = spec.strip().lower().replace("-", "_")
    if text in ("risk_averse", "log"):
        return QueueConfig(model=text)
    if text.startswith("power"):
        rest = spec.strip()[5:].lstrip(":=( ").rstrip(") ")  # from spec: "-" is a sign here
        try:
            n = float(rest)
        except ValueError:
            raise ConfigError(f"queue model {spec!r}: the power model needs an exponent, e.g. power:2") from None
        if not (math.isfinite(n) and n > 0):
            raise ConfigError(f"queue model {spec!r}: the exponent must be a positive number")
        return QueueConfig(model="power", power=n)
    raise ConfigError(f"queue model {spec!r}: expected risk_averse, log or power:<n>")


def model_label(q: QueueConfig) -> str:
    """``risk_averse``, ``log`` or ``power:<n>`` (the inverse of :func:`parse_model`)."""
    return f"power:{q.power:g}" if q.model == "power" else q.model


# --------------------------------------------------------------------------- scoring


def _run_models(events_l2: np.ndarray, strategy: Any, configs: Sequence[Config],
                progress: Callable[[int, int], None] | None) -> list[Any]:
    """One run of ``strategy`` on the L2 events per config (same latencies, one queue model each).

    Every run replays the same event array with the same strategy and only
    the queue model differs, which is exactly what ``mmsim.run_many`` (one pass
    over the events for K variants) will do: this loop becomes one
    ``run_many(events_l2, strategy, configs)`` call.
    """
    from .._py_units import quiet
    from ..engine import run

    out = []
    for i, cfg in enumerate(configs):
        with quiet():  # the truth run warned of quantities left in lots, once
            out.append(run(events_l2, strategy, cfg))
        if progress is not None:
            progress(i + 1, len(configs))
    return out


def _utc(ns: int) -> str:
    """``ns`` since the epoch as an ISO UTC time, to the precision it needs (``2023-12-25T23:01``)."""
    text = str(np.datetime64(int(ns), "ns"))
    for tail in (".000000000", "000000", "000"):
        text = text.removesuffix(tail)
    return text.removesuffix(":00") if text.endswith(":00") and text.count(":") == 2 else text


def _not_trading(ev: Any, t0: int, t1: int) -> str | None:
    """Why nothing can fill in ``[t0, t1)`` when the venue's status (``STATUS`` events) is not TRADING in any of it.

    The status over the window is :func:`mmsim.report.presence.status_steps`'s, as the report's
    presence and ``trading`` row read it: the status after every event at a time, so a ``TRADING``
    undone at the same nanosecond is no trading time. None when the window has trading time.
    """
    from ..events import TradingStatus
    from ..report.presence import _live_ns, status_steps

    steps = status_steps(ev, t0, t1)
    if steps is None:
        return None
    times, status = steps
    trading = status == int(TradingStatus.TRADING)
    if _live_ns(times, trading, np.array([t1], dtype=np.int64))[0] > 0:
        return None
    last = int(np.asarray(ev["exch_ts"], dtype=np.int64)[-1])
    later = status_steps(ev, t1, max(last, t1))
    when = None if later is None else later[0][later[1] == int(TradingStatus.TRADING)]
    until = f" until {np.datetime64(int(when[0]), 'ns')}" if when is not None and when.size else ""
    return (f"(the venue is not trading in the whole window: its status is {TradingStatus(int(status[0])).name}"
            f"{until}, e.g. CME's pre-open, docs/data.md \"Pre-open\"; choose a window where it trades)")


def _window(window: Any, exch_ts: np.ndarray, start: int | None = None) -> tuple[int, int]:
    """``window`` as ``[start, end)`` in ns; a bound that is None is the data's own: ``start`` (the market's
    first event after an opening snapshot set apart, as the report's span starts; default the first event)
    and one past the last event.

    Errors show a bound as the user wrote it (an ISO time stays an ISO time, ns stay ns) and the
    data's own bound as an ISO UTC time, never as raw ns the user did not write.
    """
    t0, t1 = int(exch_ts[0]) if start is None else int(start), int(exch_ts[-1]) + 1
    if window is None:
        return t0, t1
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ConfigError(f"window: expected (start, end), got {window!r}")

    def ts(v: Any, default: int, name: str) -> int:
        if v is None:
            return default
        if not isinstance(v, str):  # ns as an integer config key takes them: 1e15 is 10**15; 2.5 and True are not
            ns = integer_argument(v, f"window: the {name} must be ns since the epoch or an ISO UTC time")
            if ns < 0:
                raise ConfigError(f"window: the {name} in ns since the epoch cannot be negative, got {ns}")
            return ns
        # An ISO date first: numpy alone also reads '5' (the year 5) and '-5' (5 BC) as times.
        if not re.match(r"^\s*\d{4}-\d{2}-\d{2}", v):
            raise ConfigError(f"window: cannot read the {name} {v!r} as a UTC time (e.g. 2023-12-25T23:00)")
        try:
            return int(np.datetime64(v.strip().rstrip("Z"), "ns").astype(np.int64))
        except ValueError:
            raise ConfigError(f"window: cannot read the {name} {v!r} as a UTC time (e.g. 2023-12-25T23:00)") from None

    w0, w1 = ts(window[0], t0, "start"), ts(window[1], t1, "end")
    if w1 <= w0:
        def shown(v: Any, ns: int, own: str) -> str:
            if isinstance(v, str):
                return repr(v.strip())
            return f"{int(v)} ns" if v is not None else f"({own} event, {_utc(ns)})"

        first = ("the data's first" if t0 == int(exch_ts[0])
                 else "the market's first, after the opening book snapshot,")
        last = "the data's last"
        raise ConfigError(f"window: the end {shown(window[1], w1 - 1, last)} must be after the start "
                          f"{shown(window[0], w0, first)}")
    return w0, w1


def _in_window(fills: np.ndarray, w: tuple[int, int]) -> np.ndarray:
    ts = fills["exch_ts"]
    return fills[(ts >= w[0]) & (ts < w[1])]


def _markouts(result: Any, events: np.ndarray, hs: Sequence[int],
              w: tuple[int, int]) -> tuple[list[str], dict[str, float | None]]:
    from ..report.compute import compute_report

    # The L2 model runs replayed to_l2(events): marked to the L3 events' mid, the same market.
    rep = compute_report(result, events, horizons=list(hs), event_horizons=[], toxic_horizon=hs[0], signal_buckets=1,
                         same_events=False)
    labels = rep.data["run"]["horizons"]
    cols = rep.fills
    ts = np.asarray(cols["exch_ts"], dtype=np.int64)
    inside = (ts >= w[0]) & (ts < w[1])
    qty = np.asarray(cols["qty"], dtype=np.float64)
    out: dict[str, float | None] = {}
    for lab in labels:
        m = np.asarray(cols[f"markout_{lab}_ticks"], dtype=np.float64)
        ok = inside & np.isfinite(m)
        q = qty[ok].sum()
        out[lab] = float((m[ok] * qty[ok]).sum() / q) if q > 0 else None
    return labels, out


def _position_gap(a: np.ndarray, b: np.ndarray, w: tuple[int, int]) -> float:
    """Time-weighted mean |position_a - position_b| over [w0, w1), lots (positions from all fills)."""
    def steps(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return f["exch_ts"].astype(np.int64), np.cumsum(f["side"].astype(np.int64) * f["qty"].astype(np.int64))

    ta, pa = steps(a)
    tb, pb = steps(b)
    inner = np.concatenate([ta, tb])
    cuts = np.unique(np.concatenate([[w[0]], inner[(inner > w[0]) & (inner < w[1])]]))
    dur = np.diff(np.append(cuts, w[1])).astype(np.float64)

    def at(t: np.ndarray, p: np.ndarray) -> np.ndarray:
        k = np.searchsorted(t, cuts, side="right")
        return np.where(k > 0, np.concatenate([[0], p])[k], 0)

    from .._exact import as_float, sub

    gap = np.abs(as_float(sub(at(ta, pa), at(tb, pb))))  # two int64 positions differ by up to 2^64 lots
    return float((gap * dur).sum() / (w[1] - w[0]))


def _pnl(result: Any, mid: tuple[np.ndarray, np.ndarray, np.ndarray], w: tuple[int, int]) -> float:
    from .comparison import equity_at

    exch_ts, mid2_ff, ffvalid = mid
    eq = equity_at(np.asarray(result.fills), float(result.tick_value), exch_ts, mid2_ff, ffvalid,
                   np.array([w[0], w[1]], dtype=np.int64))
    return float(eq[1] - eq[0])


def _row(name: str, is_truth: bool, match: FillMatch, truth_mk: dict[str, float | None],
         mk: dict[str, float | None], truth_pnl: float, pnl: float, gap: float) -> QueueModelRow:
    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    bias = match.lots_model - match.lots_true
    return QueueModelRow(
        model=name,
        is_truth=is_truth,
        fills=match.n_model,
        lots=match.lots_model,
        lots_bias=bias,
        lots_bias_pct=bias / match.lots_true if match.lots_true else None,
        matched=match.matched,
        missed=match.missed,
        false_fills=match.false_fills,
        match_share=match.match_share,
        precision=match.precision,
        f1=match.f1,
        mean_abs_dt_ns=float(match.abs_dt_ns.mean()) if match.matched else None,
        markout=dict(mk),
        markout_bias={k: diff(mk[k], truth_mk.get(k)) for k in mk},
        pnl=pnl,
        pnl_bias=pnl - truth_pnl,
        diverged_at=match.first_unmatched_ts,
        position_gap=gap,
    )


def _default_strategy() -> Any:
    from mmsim.strategies.join_best import JoinBest

    return JoinBest(size=1.0)


def score_queue_models(
    events_l3: Any,
    strategy: Any = None,
    config: Config | RunConfig | None = None,
    models: Sequence[Any] | None = None,
    *,
    tolerance: Any = "100ms",
    horizons: Sequence[Any] | None = None,
    fit_powers: Sequence[float] | None = DEFAULT_FIT_POWERS,
    window: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> QueueScore:
    """Replay a strategy on L3 data (exact FIFO: the truth) and on its L2 aggregation under each queue model.

    Parameters
    ----------
    events_l3 : EventStore or ndarray of EVENT_DTYPE
        Market-by-order events (``ADD``/``CANCEL``/``DELETE``/``EXECUTE``; a
        snapshot and L2 trade prints may be mixed in). A store's meta supplies
        tick, lot and contract size when ``config`` leaves them None.
    strategy : Strategy or numba strategy, optional
        Replayed unchanged in every run. Default: ``JoinBest(size=1)``
        (``strategies/join_best.py``), which does not look at its position, so
        a wrong fill does not change its later quotes (docs/queue_models.md,
        "Divergence").
    config : Config, optional
        Latencies, fees and the rest, shared by every run; its ``queue``
        section is replaced by each model in turn. Default ``Config()``.
    models : sequence of str or QueueConfig, optional
        L2 queue models to score (``"risk_averse"``, ``"power:2"``, ``"log"``).
        Default :data:`DEFAULT_MODELS`.
    tolerance : int or str
        Largest exchange-time difference of a matched fill (default ``100ms``;
        ``0`` asks for the same instant).
    horizons : sequence of int or str, optional
        Markout horizons. Default: a :class:`RunConfig`'s ``report.horizons``, else
        :class:`ReportConfig`'s.
    fit_powers : sequence of float or None
        Exponents of the power fit (default :data:`DEFAULT_FIT_POWERS`); None
        or empty skips the fit.
    window : (start, end), optional
        Score only fills with ``start <= exch_ts < end`` (ns, or ISO UTC times
        such as ``"2023-12-25T23:00"``; None for an open end: the first event,
        or one ns after the last event or fill). The runs still replay every
        event. PnL is the equity change over the window.
    progress : callable, optional
        ``progress(done, total)`` after each run.

    Returns
    -------
    QueueScore

    Raises
    ------
    DataError
        The events hold no L3 event (or the store says L2), or are bad (the
        event index is named, by :func:`mmsim.to_l2` or the engine), or the
        truth run has no fill in the window (no model could be ranked).
    ConfigError
        A bad model, tolerance, horizon, exponent or window.
    StrategyError
        The strategy failed in a run.
    """
    from ..data import to_l2
    from ..engine import run
    from .buckets import _mid_ff

    meta: dict[str, Any] = {}
    store = events_l3
    if hasattr(events_l3, "events") and hasattr(events_l3, "meta"):
        meta = dict(events_l3.meta)
        ev = events_l3.events
    else:
        ev = events_l3
    if not isinstance(ev, np.ndarray):
        raise TypeError(f"events_l3 must be an event store or an array of mmsim.EVENT_DTYPE, got {type(ev).__name__}")
    levels = meta.get("levels")
    if levels is not None and levels != "L3":
        from ..data._identity import no_orders_note

        raise DataError(f"score_queue_models: the event store is {levels} data; queue models are scored against "
                        f"market-by-order (L3) data, where the exact FIFO fills are known{no_orders_note(meta)}")
    if ev.shape[0] == 0:
        raise DataError("score_queue_models: the event array is empty")
    if not np.isin(ev["kind"], L3_KINDS).any():
        raise DataError("score_queue_models: the events hold no market-by-order event (ADD, CANCEL, DELETE, "
                        "EXECUTE); queue models are scored against L3 data, where the exact FIFO fills are known")
    if config is None:
        config = Config()
    default_horizons = ReportConfig().horizons
    set_aside = None  # a run description's strategy, when the default is scored instead (said in the summary)
    if isinstance(config, RunConfig):  # a run description: its engine config and its report's horizons
        default_horizons = config.report.horizons
        if strategy is None and config.strategy is not None and config.strategy.path:
            set_aside = str(config.strategy.path)
        config = config.engine
    if not isinstance(config, Config):
        raise ConfigError(f"config must be an mmsim.Config or RunConfig, got {type(config).__name__}")
    # The L2 array has no meta: carry the store's sizes in the config so every run values a tick alike.
    sizes = {}
    for name in ("tick_size", "lot_size", "contract_size"):
        if getattr(config, name) is None and meta.get(name):
            sizes[name] = float(meta[name])
    config = config.replace(**sizes)
    specs = list(DEFAULT_MODELS if models is None else models)
    model_cfgs = [parse_model(m) for m in specs]
    if not model_cfgs:
        raise ConfigError("models: give at least one queue model")
    for j, q in enumerate(model_cfgs):  # the same model twice was scored twice: two identical rows
        i = model_cfgs.index(q)
        if i != j:
            raise ConfigError(f"models: {specs[j]!r} is the same queue model as {specs[i]!r} ({model_label(q)}); "
                              "list each model once")
    tol = parse_duration(tolerance, "tolerance")
    hs = sorted({parse_duration(h, f"horizons[{i}]")
                 for i, h in enumerate(default_horizons if horizons is None else horizons)})
    if not hs:
        raise ConfigError("horizons: give at least one markout horizon")
    powers: list[float] = []
    for p in fit_powers or ():
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not (math.isfinite(p) and p > 0):
            raise ConfigError(f"fit_powers: every exponent must be a positive number, got {p!r}")
        powers.append(float(p))
    powers = sorted(set(powers))
    from ..report._level_n import level_n_repairs, repairs_label
    from ..report.setup import market_start, opening_snapshot

    exch_ts = np.asarray(ev["exch_ts"], dtype=np.int64)
    # By default from the market's start, as the report's span: pos gap over a Databento day's 00:00 book and
    # the 22 hours before the session read 12 times too small (breaker).
    w = _window(window, exch_ts, market_start(opening_snapshot(ev), int(exch_ts[0])))
    if strategy is None:
        strategy = _default_strategy()

    # Every distinct queue model runs once, whether it is in the table, the fit, or both.
    wanted: list[QueueConfig] = []
    for q in model_cfgs + [QueueConfig(model="power", power=p) for p in powers]:
        if q not in wanted:
            wanted.append(q)
    total = len(wanted) + 1
    truth = run(store, strategy, config)
    t_ts = np.asarray(truth.fills["exch_ts"], dtype=np.int64)
    t_end = max(w[1], int(t_ts.max()) + 1) if len(t_ts) and (window is None or window[1] is None) else w[1]
    if not ((t_ts >= w[0]) & (t_ts < t_end)).any():
        # Every model would score F1 = 1 against an empty truth (or 0 for any fill): no model can be ranked.
        span = f"[{np.datetime64(w[0], 'ns')}, {np.datetime64(t_end, 'ns')})"
        advice = (_not_trading(ev, w[0], t_end)
                  or f"(widen the window, or check that {truth.strategy} quotes where the market trades)")
        # A level-N LOBSTER store's repaired book: the reference, not the truth (breaker37 F5).
        run_name = ("the reference run (L3 FIFO, level-N repairs approximate)" if level_n_repairs(meta.get("quirks"))
                    else "the truth run (L3 FIFO)")
        raise DataError(f"score_queue_models: {run_name} has no fill in the window {span}: there is "
                        f"nothing to score the queue models against {advice}")
    if progress is not None:
        progress(1, total)
    events_l2 = to_l2(ev)
    runs = _run_models(events_l2, strategy, [config.replace(queue=q) for q in wanted],
                       None if progress is None else (lambda d, t: progress(d + 1, total)))
    by_q = dict(zip(wanted, runs))

    if window is None or window[1] is None:
        # An open end takes in fills after the last event (orders still in flight at the end).
        last = max([int(r.fills["exch_ts"].max()) for r in [truth, *runs] if len(r.fills)] + [w[1] - 1])
        w = (w[0], last + 1)
    mid = _mid_ff(ev)
    t_fills = _in_window(np.asarray(truth.fills), w)
    labels, truth_mk = _markouts(truth, ev, hs, w)
    truth_pnl = _pnl(truth, mid, w)
    # A level-N LOBSTER store's repaired book: the truth is FIFO over the messages, not the venue's (breaker36 F3).
    repairs = level_n_repairs(meta.get("quirks"))
    rows = [_row(REFERENCE if repairs else TRUTH, True, match_fills(t_fills, t_fills, tol), truth_mk, truth_mk, truth_pnl, truth_pnl, 0.0)]
    results: dict[str, Any] = {TRUTH: truth}
    for q in model_cfgs:
        r = by_q[q]
        name = model_label(q)
        results[name] = r
        m_fills = _in_window(np.asarray(r.fills), w)
        _, mk = _markouts(r, ev, hs, w)
        rows.append(_row(name, False, match_fills(t_fills, m_fills, tol), truth_mk, mk, truth_pnl, _pnl(r, mid, w),
                         _position_gap(np.asarray(r.fills), np.asarray(truth.fills), w)))
    fit = None
    if powers:
        matches = []
        for p in powers:
            r = by_q[QueueConfig(model="power", power=p)]
            results.setdefault(f"power:{p:g}", r)
            matches.append(match_fills(t_fills, _in_window(np.asarray(r.fills), w), tol))
        fit = _fit(powers, matches)
    info = {
        "symbol": meta.get("symbol"),
        "store": str(getattr(events_l3, "path", "") or "") or None,
        "strategy": truth.strategy,
        "strategy_note": None if set_aside is None else (
            f"scored the default strategy, {truth.strategy}; the config's strategy ({set_aside}) is not used: "
            "pass strategy= to score it (mmsim queue-score CONFIG scores the config's)"),
        "latency": {k: getattr(config.latency, k).describe() for k in ("feed", "entry", "response")},
        "n_events_l3": int(ev.shape[0]),
        "n_events_l2": int(events_l2.shape[0]),
        "tick_value": float(truth.tick_value),
        "level_n_repairs": repairs,
        "truth_note": None if repairs is None else (
            "the L3 FIFO row is a reference, not the exact truth: FIFO over the messages, not the venue's queue; "
            f"{repairs_label(repairs)}"),
    }
    return QueueScore(rows, fit, tol, labels, w, info, results, ev)
