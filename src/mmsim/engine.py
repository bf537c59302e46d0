"""``mmsim.run``: replay events through the C++ engine with a strategy, and the ``Result`` it returns.

``run(events, strategy, config)`` is a pure function: the same events, config
and seed give the same result, bit for bit. The compiled engine reads the event
array in place (no copy; a memory-mapped store replays in constant memory).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import _engine
from ._json import json_clean
from .config import RUN_KEYS, Config, LatencyModel, RunConfig
from .errors import ConfigError, StrategyError
from .replay import data_error, events_and_meta, replay_bbo
from .records import FILL_DTYPE, ORDER_LOG_DTYPE, SAMPLE_DTYPE, SIGNAL_NAMES, VIEW_DTYPE
from .strategy import Strategy, View

__all__ = ["Result", "replay_bbo", "run"]

_LATENCY_KIND = {"constant": 0, "recorded": 1, "lognormal": 2}
_QUEUE = {"risk_averse": 0, "power": 1, "log": 2}
FILL_SIGNALS_DTYPE = np.dtype([(name, "<f8") for name in SIGNAL_NAMES])

# Error codes shared with cpp/include/mmsim/errors.hpp.
_PYTHON_ERROR, _BAD_QUOTE, _TOO_MANY_ORDERS, _NO_PROGRESS = -1, -2, -3, -4


def format_ts(ns: int) -> str:
    """``1340285400000000000`` -> ``'1340285400000000000 ns (2012-06-21T13:30:00.000000000Z)'``."""
    secs, rem = divmod(int(ns), 1_000_000_000)
    try:
        stamp = _dt.datetime.fromtimestamp(secs, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return f"{ns} ns ({stamp}.{rem:09d}Z)"


def _latency_spec(model: LatencyModel) -> Any:
    spec = _engine.LatencySpec()
    spec.kind = _LATENCY_KIND[model.kind]
    spec.ns = int(model.ns)
    spec.median_ns = float(model.median_ns)
    spec.sigma = float(model.sigma)
    spec.min_ns = int(model.min_ns)
    return spec


def _sizes(config: Config, meta: Mapping[str, Any]) -> tuple[float, float, float]:
    out = []
    for name in ("tick_size", "lot_size", "contract_size"):
        v = getattr(config, name)
        if v is None:
            v = meta.get(name, 1.0) or 1.0
        out.append(float(v))
    return out[0], out[1], out[2]


def signal_params(config: Config) -> Any:
    """The Rust ``MmsimSignalParams`` for a config's ``signals`` section (validated)."""
    from .signals import native_params

    return native_params(config.signals)


def _engine_config(config: Config, tick_value: float) -> Any:
    c = _engine.EngineConfig()
    c.feed = _latency_spec(config.latency.feed)
    c.entry = _latency_spec(config.latency.entry)
    c.response = _latency_spec(config.latency.response)
    c.seed = int(config.latency.seed) & 0xFFFFFFFFFFFFFFFF
    c.queue = _QUEUE[config.queue.model]
    c.queue_power = float(config.queue.power)
    c.maker_fee_bps = float(config.fees.maker_bps)
    c.taker_fee_bps = float(config.fees.taker_bps)
    c.maker_fee_per_lot = float(config.fees.maker_per_lot)
    c.taker_fee_per_lot = float(config.fees.taker_per_lot)
    c.tick_value = tick_value
    c.post_only = bool(config.post_only)
    c.decide_every = int(config.decide_every or 0)
    c.sample_every = int(config.sample_every)
    c.signals = bool(config.signals.enabled)
    c.signal_params = signal_params(config)
    c.max_orders = int(config.max_orders)
    return c


def _label(strategy: Any) -> str:
    if strategy is None:
        return "none"
    label = getattr(strategy, "label", None) or getattr(strategy, "name", None)
    return str(label) if label else type(strategy).__name__


def run(events: Any, strategy: Any = None, config: Config | None = None, *,
        progress: Callable[[int, int], None] | None = None) -> "Result":
    """Replay ``events`` through the two-clock engine with ``strategy``.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE or EventStore
        Market events sorted by ``exch_ts``. A store's ``meta`` supplies
        ``tick_size``/``lot_size``/``contract_size`` when the config leaves them None.
    strategy : Strategy, numba strategy, or None
        A :class:`mmsim.Strategy` (Python path), an object with
        ``_mmsim_native_()`` (numba fast path, see :func:`mmsim.numba_strategy`),
        or None to replay the market alone.
    config : Config, optional
        Latencies, queue model, fees, timer... Defaults to ``Config()``.
    progress : callable, optional
        ``progress(done, total)`` is called about ten times a second with the
        number of events the exchange side has processed (the replay then runs
        in a worker thread; the result is the same).

    Returns
    -------
    Result

    Raises
    ------
    DataError
        A bad event (names its index and what is wrong).
    StrategyError
        The strategy raised or returned an invalid quote (names it and the local time).
    """
    if config is None:
        config = Config()
    if not isinstance(config, Config):
        raise ConfigError(f"config must be an mmsim.Config, got {type(config).__name__}")
    arr, meta = events_and_meta(events)
    tick_size, lot_size, contract_size = _sizes(config, meta)
    tick_value = tick_size * lot_size * contract_size
    if config.latency.feed.kind == "recorded" and meta.get("local_ts_recorded") is False:
        raise ConfigError("latency.feed is 'recorded' but this event store has no recorded local_ts")
    eng = _engine.Engine(_engine_config(config, tick_value))
    label = _label(strategy)
    holder: dict[str, BaseException] = {}
    # A read-only memory map (an event store) gives pages back as the replay passes them.
    release = isinstance(arr, np.memmap) and not arr.flags.writeable
    if strategy is None:
        go = lambda: eng.run_none(arr, release)  # noqa: E731
    elif hasattr(strategy, "_mmsim_native_"):
        fn, params, state = strategy._mmsim_native_()
        params = np.ascontiguousarray(params, dtype=np.float64)
        state = np.ascontiguousarray(state, dtype=np.float64)
        go = lambda: eng.run_native(arr, int(fn), params, state, release)  # noqa: E731
    elif isinstance(strategy, Strategy) or callable(getattr(strategy, "quote", None)):
        quote_cb, fill_cb = _python_callbacks(strategy, eng, holder)
        if hasattr(strategy, "reset"):
            strategy.reset()
        go = lambda: eng.run_python(arr, quote_cb, fill_cb, release)  # noqa: E731
    else:
        raise StrategyError(f"strategy {label}: expected an mmsim.Strategy (with quote(view)), a numba strategy, or None")
    t0 = time.perf_counter()
    try:
        if progress is None:
            go()
        else:
            _run_with_progress(go, eng, len(arr), progress)
    except _engine.DataFault as exc:
        raise data_error(exc) from None
    except _engine.StrategyFault as exc:
        message, code, ts = exc.args
        raise _strategy_error(strategy, label, message, code, ts, holder) from holder.get("exc")
    elapsed = time.perf_counter() - t0
    return Result(eng, config, meta, arr, tick_size, lot_size, contract_size, label, elapsed)


def _run_with_progress(go: Callable[[], None], eng: Any, total: int, progress: Callable[[int, int], None]) -> None:
    box: dict[str, BaseException] = {}

    def target() -> None:
        try:
            go()
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc

    worker = threading.Thread(target=target, name="mmsim-run", daemon=True)
    worker.start()
    while worker.is_alive():
        progress(int(eng.progress), total)
        worker.join(0.1)
    if "exc" in box:
        raise box["exc"]
    progress(total, total)


def _python_callbacks(strategy: Any, eng: Any, holder: dict[str, BaseException]) -> tuple[Any, Any]:
    view = View(np.frombuffer(eng.view_memory(), dtype=VIEW_DTYPE, count=1).reshape(()))
    quote = strategy.quote

    def quote_cb() -> tuple[float, float, float, float] | None:
        try:
            q = quote(view)
            if q is None:
                return None
            if not hasattr(q, "__len__") or len(q) != 4:
                raise TypeError(f"quote() must return mmsim.Quote(bid_px, bid_qty, ask_px, ask_qty) or None, got {q!r}")
            return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))
        except BaseException as exc:
            holder["exc"] = exc
            raise

    fill_cb: Any = None
    on_fill = getattr(strategy, "on_fill", None)
    if on_fill is not None and getattr(type(strategy), "on_fill", None) is not Strategy.on_fill:

        def fill_cb(side: int, price: int, qty: int, exch_ts: int) -> None:
            try:
                on_fill({"side": side, "price": price, "qty": qty, "exch_ts": exch_ts})
            except BaseException as exc:
                holder["exc"] = exc
                raise

    return quote_cb, fill_cb


def _strategy_error(strategy: Any, label: str, message: str, code: int, ts: int,
                    holder: Mapping[str, BaseException]) -> BaseException:
    when = f"at local time {format_ts(ts)}"
    exc = holder.get("exc")
    if code == _PYTHON_ERROR and isinstance(exc, KeyboardInterrupt):
        return exc
    if code == _PYTHON_ERROR and exc is not None:
        what = "on_fill" if message == "on_fill failed" else "quote"
        return StrategyError(f"strategy {label} raised {type(exc).__name__} in {what}() {when}: {exc}")
    if code == _BAD_QUOTE:
        return StrategyError(f"strategy {label} returned an invalid quote {when}: {message}")
    if code in (_TOO_MANY_ORDERS, _NO_PROGRESS):
        return StrategyError(f"strategy {label} stopped {when}: {message}")
    describe = getattr(strategy, "_mmsim_error_message_", None)
    detail = describe(code) if callable(describe) else message
    return StrategyError(f"strategy {label} failed {when}: {detail} (code {code})")


class Result:
    """What a run produced: fills, the order log, samples, and final position and cash.

    Attributes
    ----------
    fills : ndarray of FILL_DTYPE
    orders : ndarray of ORDER_LOG_DTYPE
    samples : ndarray of SAMPLE_DTYPE
        Exchange-side state every ``config.sample_every`` ns and at the end.
    fill_signals : ndarray
        One float64 field per signal: the local-side signal values at each fill
        (NaN when signals are disabled).
    config : Config
        The engine configuration of the run.
    run_config : RunConfig or None
        The run description (data, strategy, report) when the run came from one.
    position : int
        Final position, lots.
    cash_ticks : int
        Sum of ``-side * price * qty`` over fills, in tick*lot units (exact).
    fees : float
        Fees paid, quote currency (negative: net rebate).
    tick_value : float
        Currency value of one tick*lot (``tick_size * lot_size * contract_size``).
    """

    def __init__(self, eng: Any, config: Config, meta: Mapping[str, Any], events: np.ndarray | None,
                 tick_size: float, lot_size: float, contract_size: float, strategy: str, elapsed_s: float) -> None:
        self.config = config
        #: The job this run belongs to (:class:`mmsim.RunConfig`), when it was run from one
        #: (``mmsim run``, sweeps, :func:`mmsim.runner.run_config`); reports read the
        #: strategy's parameters and their horizons from it. None for a bare ``mmsim.run``.
        self.run_config: RunConfig | None = None
        self.meta = dict(meta)
        self.tick_size, self.lot_size, self.contract_size = tick_size, lot_size, contract_size
        self.tick_value = tick_size * lot_size * contract_size
        self.strategy = strategy
        self.elapsed_s = elapsed_s
        self._events = events
        if eng is None:
            return
        self.fills = np.frombuffer(eng.fills_bytes(), dtype=FILL_DTYPE)
        self.orders = np.frombuffer(eng.orders_bytes(), dtype=ORDER_LOG_DTYPE)
        self.samples = np.frombuffer(eng.samples_bytes(), dtype=SAMPLE_DTYPE)
        self.fill_signals = np.frombuffer(eng.fill_signals_bytes(), dtype=FILL_SIGNALS_DTYPE)
        self.position = int(eng.position)
        self.cash_ticks = int(eng.cash_ticks)
        self.fees = float(eng.fees)
        self.n_calls = int(eng.n_calls)
        self.n_events = int(eng.n_events)

    @property
    def cash(self) -> float:
        """Cash in quote currency, fees deducted."""
        return self.cash_ticks * self.tick_value - self.fees

    @property
    def events_per_second(self) -> float:
        """Replay speed of this run (events / wall second)."""
        return self.n_events / self.elapsed_s if self.elapsed_s > 0 else math.inf

    def equity(self) -> np.ndarray:
        """Mark-to-mid equity at each sample, quote currency (NaN where a book side was empty)."""
        s = self.samples
        ok = (s["best_bid"] != np.iinfo(np.int64).min) & (s["best_ask"] != np.iinfo(np.int64).max)
        mid2 = np.where(ok, s["best_bid"].astype(np.float64) + s["best_ask"], np.nan)
        return (s["cash_ticks"] + s["position"] * mid2 / 2.0) * self.tick_value - s["fees"]

    def report(self, events: Any = None, **kwargs: Any) -> Any:
        """The toxicity and PnL report of this run (see :func:`mmsim.report.make_report`)."""
        from .report import make_report

        if events is None:
            if self._events is None:
                raise ValueError("this Result has no events attached; pass events=")
            events = self._events
        return make_report(self, events, **kwargs)

    def summary(self) -> dict[str, Any]:
        """Scalar figures of the run (JSON-ready)."""
        return {
            "strategy": self.strategy,
            "n_events": self.n_events,
            "n_calls": self.n_calls,
            "n_fills": int(len(self.fills)),
            "position": self.position,
            "cash_ticks": self.cash_ticks,
            "cash": self.cash,
            "fees": self.fees,
            "tick_size": self.tick_size,
            "lot_size": self.lot_size,
            "contract_size": self.contract_size,
            "elapsed_s": self.elapsed_s,
        }

    def save(self, run_dir: str | Path) -> Path:
        """Write the result to ``run_dir`` (result.json + .npy arrays); :meth:`load` reads it back."""
        d = Path(run_dir)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "fills.npy", self.fills)
        np.save(d / "orders.npy", self.orders)
        np.save(d / "samples.npy", self.samples)
        np.save(d / "fill_signals.npy", self.fill_signals)
        job = self.run_config
        doc = {"summary": self.summary(), "config": self.config.to_dict(),
               "run": None if job is None else {k: v for k, v in job.to_dict().items() if k in RUN_KEYS},
               "meta": json_clean(self.meta)}
        (d / "result.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
        return d

    @classmethod
    def load(cls, run_dir: str | Path) -> "Result":
        """Read a result written by :meth:`save` (events are not attached; pass them to ``report``)."""
        d = Path(run_dir)
        path = d / "result.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not a run directory (no result.json)")
        doc = json.loads(path.read_text())
        s = doc["summary"]
        config, job = _read_configs(doc)
        r = cls(None, config, doc.get("meta", {}), None,
                s["tick_size"], s["lot_size"], s["contract_size"], s["strategy"], s["elapsed_s"])
        r.run_config = job
        r.fills = np.load(d / "fills.npy")
        r.orders = np.load(d / "orders.npy")
        r.samples = np.load(d / "samples.npy")
        r.fill_signals = np.load(d / "fill_signals.npy")
        r.position, r.cash_ticks, r.fees = s["position"], s["cash_ticks"], s["fees"]
        r.n_calls, r.n_events = s["n_calls"], s["n_events"]
        return r

    def __repr__(self) -> str:
        return (f"Result(strategy={self.strategy!r}, events={self.n_events}, fills={len(self.fills)}, "
                f"position={self.position}, cash={self.cash:.6g})")


def _read_configs(doc: Mapping[str, Any]) -> tuple[Config, RunConfig | None]:
    """The engine config and run description of a saved result.

    result.json holds ``config`` (the engine's keys) and ``run`` (the job's keys,
    or null). Results saved before the two were separated hold one flat
    ``config`` with both; its job keys are read as the run description.
    """
    flat = dict(doc["config"])
    job = doc.get("run")
    if "run" not in doc:  # the older, flat layout
        job = {k: flat.pop(k) for k in RUN_KEYS if k in flat}
        strat = job.get("strategy")
        if not (isinstance(strat, Mapping) and strat.get("path")):
            return Config.from_dict(flat), None
    if job is None:
        return Config.from_dict(flat), None
    run = RunConfig.from_dict({**job, **flat})
    return run.engine, run
