"""``mmsim.run`` and ``mmsim.run_many``: replay events through the C++ engine, and the ``Result``.

``run(events, strategy, config)`` is a pure function: the same events, config
and seed give the same result, bit for bit. ``run_many(events, runs)`` replays
the events once for many ``(strategy, config)`` runs, each result bit-identical
to ``run`` alone; ``run`` is ``run_many`` with one run. The compiled engine reads
the event array in place (no copy; a memory-mapped store replays in constant memory).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from . import _engine
from ._json import json_clean
from .config import RUN_KEYS, Config, LatencyModel, RunConfig
from .errors import ConfigError, DataError, StrategyError
from .replay import events_and_meta, replay_bbo
from .records import (
    FILL_DTYPE,
    ORDER_LOG_DTYPE,
    QUOTE_DTYPE,
    SAMPLE_DTYPE,
    SIGNAL_NAMES,
    VIEW_DTYPE,
    OrderType,
    RejectReason,
)
from .strategy import Ladder, Strategy, View

__all__ = ["Result", "replay_bbo", "run", "run_many"]

FILL_SIGNALS_DTYPE = np.dtype([(name, "<f8") for name in SIGNAL_NAMES])

# The engine's own strategy failure codes (cpp/include/mmsim/errors.hpp), from the extension.
_CODE = _engine.ENUMS["ErrorCode"]

# Model families: a config kind -> the compiled model class that implements it.
_LATENCY_MODELS: dict[str, Callable[[LatencyModel], Any]] = {
    "constant": lambda m: _engine.ConstantLatencyModel(int(m.ns)),
    "recorded": lambda m: _engine.RecordedFeedLatency(),
    "lognormal": lambda m: _engine.LogNormalLatencyModel(float(m.median_ns), float(m.sigma), int(m.min_ns)),
}
_QUEUE_MODELS: dict[str, Callable[[Any], Any]] = {
    "risk_averse": lambda q: _engine.RiskAverseQueueModel(),
    "power": lambda q: _engine.PowerProbQueueModel(float(q.power)),
    "log": lambda q: _engine.LogProbQueueModel(),
}

# queue.l3_behind_fill -> the engine's L3BehindFill.
_L3_BEHIND_FILL = {"remainder": _engine.ENUMS["L3BehindFill"]["REMAINDER"],
                   "hftbacktest": _engine.ENUMS["L3BehindFill"]["HFTBACKTEST"]}


def format_ts(ns: int) -> str:
    """``1340285400000000000`` -> ``'1340285400000000000 ns (2012-06-21T13:30:00.000000000Z)'``."""
    secs, rem = divmod(int(ns), 1_000_000_000)
    try:
        stamp = _dt.datetime.fromtimestamp(secs, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return f"{ns} ns ({stamp}.{rem:09d}Z)"


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
    c.feed = _LATENCY_MODELS[config.latency.feed.kind](config.latency.feed)
    c.entry = _LATENCY_MODELS[config.latency.entry.kind](config.latency.entry)
    c.response = _LATENCY_MODELS[config.latency.response.kind](config.latency.response)
    c.seed = int(config.latency.seed) & 0xFFFFFFFFFFFFFFFF
    c.queue = _QUEUE_MODELS[config.queue.model](config.queue)
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
    c.ladder_levels = int(config.ladder_levels)
    c.l3_behind_fill = _L3_BEHIND_FILL[config.queue.l3_behind_fill]
    c.check_invariants = bool(config.check_invariants)
    return c


def _label(strategy: Any) -> str:
    if strategy is None:
        return "none"
    label = getattr(strategy, "label", None) or getattr(strategy, "name", None)
    return str(label) if label else type(strategy).__name__


class _Run:
    """One run of a pass, on the Python side: its config, its strategy adapter, what its errors need."""

    def __init__(self, strategy: Any, config: Config | RunConfig | None, meta: Mapping[str, Any],
                 where: str) -> None:
        if config is None:
            config = Config()
        #: The run description when the config is a RunConfig (its data is checked across runs).
        self.run_config: RunConfig | None = None
        if isinstance(config, RunConfig):
            self.run_config, config = config, config.engine
        if not isinstance(config, Config):
            raise ConfigError(f"{where}config must be an mmsim.Config or RunConfig, got {type(config).__name__}")
        self.config = config
        self.strategy = strategy
        self.tick_size, self.lot_size, self.contract_size = _sizes(config, meta)
        if config.latency.feed.kind == "recorded" and meta.get("local_ts_recorded") is False:
            raise ConfigError(f"{where}latency.feed is 'recorded' but this event store has no recorded local_ts")
        self.engine_config = _engine_config(config, self.tick_size * self.lot_size * self.contract_size)
        self.label = _label(strategy)
        self.holder: dict[str, BaseException] = {}
        self.python = False
        self.adapter: Any = None
        if strategy is None:
            pass
        elif hasattr(strategy, "_mmsim_native_"):
            fn, params, state = strategy._mmsim_native_()
            self.adapter = _engine.NativeStrategy(int(fn), np.ascontiguousarray(params, dtype=np.float64),
                                                  np.ascontiguousarray(state, dtype=np.float64))
        elif isinstance(strategy, Strategy) or callable(getattr(strategy, "quote", None)):
            record = np.zeros(1, dtype=VIEW_DTYPE)
            out = np.zeros(1, dtype=QUOTE_DTYPE)
            quote_cb, fill_cb, reject_cb, expire_cb = _python_callbacks(strategy, View(record.reshape(())),
                                                                        out.reshape(()), self.holder)
            self.adapter = _engine.PythonStrategy(quote_cb, fill_cb, reject_cb, expire_cb, record, out)
            self.python = True
        else:
            raise StrategyError(f"strategy {self.label}: expected an mmsim.Strategy (with quote(view)), "
                                "a numba strategy, or None")

    def error(self, out: Any) -> BaseException:
        """The mmsim exception for a failed run (its C++ error through the one translator)."""
        try:
            out.rethrow()
        except StrategyError as exc:
            return _strategy_error(self.strategy, self.label, str(exc), int(exc.code or 0), int(exc.local_ts or 0),
                                   self.holder)
        except DataError as exc:
            return exc
        raise AssertionError("rethrow() of a failed run raised nothing")  # pragma: no cover


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
    config : Config or RunConfig, optional
        Latencies, queue model, fees, timer... Defaults to ``Config()``. A
        :class:`RunConfig` runs its ``engine`` and is attached to the result as
        ``result.run_config``.
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

    See Also
    --------
    run_many : many (strategy, config) pairs over one read of the events; ``run`` is
        ``run_many`` with one pair.
    """
    arr, meta = events_and_meta(events)
    one = _Run(strategy, config, meta, "")
    out = _pass(arr, meta, [one], progress, stop_on_error=True)[0]
    if isinstance(out, BaseException):
        raise out from one.holder.get("exc") if isinstance(out, StrategyError) else None
    return out


def run_many(events: Any, runs: Sequence[tuple[Any, Config | None]], *,
             progress: Callable[[int, int], None] | None = None,
             return_exceptions: bool = False) -> list[Any]:
    """Replay ``events`` once for many ``(strategy, config)`` runs: a latency curve in one pass.

    Each run's :class:`Result` is bit-identical to ``run(events, strategy, config)``
    on its own. The exchange book is applied once per event for all runs, and the
    market part of every strategy's view is recorded once (docs/engine.md, "Many runs
    in one pass"); what each run pays for alone is its own orders, queue positions,
    messages, timer and strategy calls.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE or EventStore
        As for :func:`run`; one array (or store) for every run.
    runs : sequence of (strategy, config) pairs
        Strategies may be Python or numba strategies in any mix (or None). Configs may
        differ in anything the engine takes: latency models, queue model, fees,
        ``decide_every``, ``post_only``, ``max_orders``, ``sample_every``, signal
        parameters, tick/lot/contract sizes. A config of None is ``Config()``; a
        :class:`RunConfig` runs its ``engine`` (and its ``data`` must be the same in
        every run that names one).
    progress : callable, optional
        ``progress(done, total)`` about ten times a second, with the events the
        exchange side has processed (the pass then runs in a worker thread).
    return_exceptions : bool
        False (default): the first run to fail stops the pass and its error is raised,
        naming the run (``run 3 (GLFT): ...``; the exception's ``run_index`` is 3).
        True: a failing run drops out, the others go on, and its place in the
        returned list holds its exception.

    Returns
    -------
    list of Result
        One per run, in the order given (with ``return_exceptions=True``, an
        exception in place of each failed run).

    Raises
    ------
    ConfigError
        ``runs`` is not a sequence of pairs, a config is not an ``mmsim.Config``, two
        runs share one Python strategy object (its state would mix), or the configs
        name different event stores (``data``): one pass replays one event array.
    DataError
        A bad event (it fails every run; the message names the event index).
    StrategyError
        A strategy failed (the message names the run, the strategy and the local time).
    """
    arr, meta = events_and_meta(events)
    try:
        pairs = [tuple(p) for p in runs]
    except TypeError:
        raise ConfigError("runs must be a sequence of (strategy, config) pairs") from None
    prepared = []
    data_of: dict[str, int] = {}
    python_of: dict[int, int] = {}
    for k, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ConfigError(f"runs[{k}]: expected a (strategy, config) pair, got {len(pair)} items")
        strategy, config = pair
        one = _Run(strategy, config, meta, f"runs[{k}]: ")
        # The one config key that cannot differ within a pass: where the events come from.
        data = one.run_config.data if one.run_config is not None else ""
        if data:
            data_of.setdefault(data, k)
            if len(data_of) > 1:
                other = next(d for d in data_of if d != data)
                raise ConfigError(
                    f"runs[{k}]: data {data!r} differs from runs[{data_of[other]}]'s {other!r}: one pass replays "
                    "one event array; call run_many once per event store")
        if one.python:
            seen = python_of.setdefault(id(strategy), k)
            if seen != k:
                raise ConfigError(
                    f"runs[{k}]: the same Python strategy object as runs[{seen}]; give each run its own "
                    "instance (a Python strategy keeps its state across calls)")
        prepared.append(one)
    if not prepared:
        return []
    outs = _pass(arr, meta, prepared, progress, stop_on_error=not return_exceptions)
    if return_exceptions:
        return outs
    for k, out in enumerate(outs):
        if isinstance(out, BaseException):
            raise out from prepared[k].holder.get("exc") if isinstance(out, StrategyError) else None
    return outs


def _pass(arr: np.ndarray, meta: Mapping[str, Any], prepared: list[_Run],
          progress: Callable[[int, int], None] | None, stop_on_error: bool) -> list[Any]:
    """Run the compiled pass; a Result, or an exception, per run (None: stopped by another's failure)."""
    for one in prepared:
        if one.python and hasattr(one.strategy, "reset"):
            one.strategy.reset()
    # A read-only memory map (an event store) gives pages back as the replay passes them.
    release = isinstance(arr, np.memmap) and not arr.flags.writeable
    configs = [one.engine_config for one in prepared]
    adapters: list[Any] = [one.adapter for one in prepared]
    t0 = time.perf_counter()
    if progress is None:
        outs = _engine.run_many(arr, configs, adapters, None, release, stop_on_error)
    else:
        counter = _engine.Progress()
        outs = _run_with_progress(lambda: _engine.run_many(arr, configs, adapters, counter, release, stop_on_error),
                                  counter, len(arr), progress)
    elapsed = time.perf_counter() - t0
    multi = len(prepared) > 1
    results: list[Any] = []
    for k, (one, out) in enumerate(zip(prepared, outs)):
        if out.failed:
            exc = one.error(out)
            # A bad event fails every run alike and names its index; a run's own failure
            # names the run when there are several.
            if multi and not out.shared_error and isinstance(exc, (StrategyError, DataError)):
                named = type(exc)(f"run {k} ({one.label}): {exc}")
                named.__dict__.update(exc.__dict__)
                exc = named
            if isinstance(exc, (StrategyError, DataError)):
                exc.run_index = None if out.shared_error or not multi else k
            results.append(exc)
        elif not out.completed:
            results.append(None)
        else:
            res = Result(out, one.config, meta, arr, one.tick_size, one.lot_size, one.contract_size, one.label,
                         elapsed)
            res.run_config = one.run_config
            results.append(res)
    return results


def _run_with_progress(go: Callable[[], Any], counter: Any, total: int,
                       progress: Callable[[int, int], None]) -> Any:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = go()
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc

    worker = threading.Thread(target=target, name="mmsim-run", daemon=True)
    worker.start()
    while worker.is_alive():
        progress(int(counter.done), total)
        worker.join(0.1)
    if "exc" in box:
        raise box["exc"]
    progress(total, total)
    return box["out"]


def _python_callbacks(strategy: Any, view: View, out: np.ndarray,
                      holder: dict[str, BaseException]) -> tuple[Any, Any, Any, Any]:
    """The callables the compiled PythonStrategy adapter calls: quote, and on_fill/on_reject/on_expire or None."""
    quote = strategy.quote

    def quote_cb() -> tuple[float, float, float, float] | int | None:
        try:
            q = quote(view)
            if q is None:
                return None
            if isinstance(q, Ladder):
                return q.write(out)  # the whole record: a ladder and/or explicit orders
            if not hasattr(q, "__len__") or len(q) != 4:
                raise TypeError("quote() must return mmsim.Quote(bid_px, bid_qty, ask_px, ask_qty), "
                                f"mmsim.Quote.ladder(...), mmsim.Quote.keep(...) or None, got {q!r}")
            return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))
        except BaseException as exc:
            holder["exc"] = exc
            raise

    def callback(name: str, make: Callable[..., dict[str, Any]]) -> Any:
        method = getattr(strategy, name, None)
        if method is None or getattr(type(strategy), name, None) is getattr(Strategy, name):
            return None

        def cb(*args: int) -> None:
            try:
                method(make(*args))
            except BaseException as exc:
                holder["exc"] = exc
                raise

        return cb

    def fill(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"side": side, "price": price, "qty": qty, "exch_ts": exch_ts, "leaves": leaves,
                "order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag}

    def reject(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag,
                "side": side, "price": price, "qty": qty, "reason": RejectReason(reason), "exch_ts": exch_ts}

    def expire(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag,
                "side": side, "price": price, "qty": qty, "leaves": leaves, "exch_ts": exch_ts}

    return quote_cb, callback("on_fill", fill), callback("on_reject", reject), callback("on_expire", expire)


def _strategy_error(strategy: Any, label: str, message: str, code: int, ts: int,
                    holder: Mapping[str, BaseException]) -> BaseException:
    when = f"at local time {format_ts(ts)}"
    exc = holder.get("exc")
    if code == _CODE["PYTHON_ERROR"] and isinstance(exc, KeyboardInterrupt):
        return exc
    if code == _CODE["PYTHON_ERROR"] and exc is not None:
        what = message[: -len(" failed")] if message in ("on_fill failed", "on_reject failed", "on_expire failed") \
            else "quote"
        return StrategyError(f"strategy {label} raised {type(exc).__name__} in {what}() {when}: {exc}")
    if code == _CODE["BAD_QUOTE"]:
        return StrategyError(f"strategy {label} returned an invalid quote {when}: {message}")
    if code == _CODE["BAD_ORDER"]:
        return StrategyError(f"strategy {label} sent an invalid order {when}: {message}")
    if code in (_CODE["TOO_MANY_ORDERS"], _CODE["NO_PROGRESS"]):
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
    position : int
        Final position, lots.
    cash_ticks : int
        Sum of ``-side * price * qty`` over fills, in tick*lot units (exact).
    fees : float
        Fees paid, quote currency (negative: net rebate).
    tick_value : float
        Currency value of one tick*lot (``tick_size * lot_size * contract_size``).
    elapsed_s : float
        Wall time of the replay that produced it; for :func:`run_many`, of the
        whole pass (shared by its results).
    config : Config
        The engine configuration of the run.
    run_config : RunConfig or None
        The run description (data, strategy, report) when the run came from one.
    """

    def __init__(self, out: Any, config: Config, meta: Mapping[str, Any], events: np.ndarray | None,
                 tick_size: float, lot_size: float, contract_size: float, strategy: str, elapsed_s: float) -> None:
        self.config = config
        self.meta = dict(meta)
        self.tick_size, self.lot_size, self.contract_size = tick_size, lot_size, contract_size
        self.tick_value = tick_size * lot_size * contract_size
        self.strategy = strategy
        self.elapsed_s = elapsed_s
        self._events = events
        self._out = out  # the compiled run output; the record arrays below are read-only views of it
        #: The job this run belongs to (:class:`mmsim.RunConfig`), when it was run from one
        #: (``mmsim run``, sweeps, :func:`mmsim.runner.run_config`); reports read the
        #: strategy's parameters and their horizons from it. None for a bare ``mmsim.run``.
        self.run_config: RunConfig | None = None
        if out is None:
            return
        self.fills = out.fills.view(FILL_DTYPE)
        self.orders = out.orders.view(ORDER_LOG_DTYPE)
        self.samples = out.samples.view(SAMPLE_DTYPE)
        self.fill_signals = out.fill_signals.view(FILL_SIGNALS_DTYPE)
        self.position = int(out.position)
        self.cash_ticks = int(out.cash_ticks)
        self.fees = float(out.fees)
        self.n_calls = int(out.n_calls)
        self.n_events = int(out.n_events)

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
