"""``mmsim.run`` and ``mmsim.run_many``: replay events through the C++ engine, and the ``Result``.

``run(events, strategy, config)`` is a pure function: the same events, config
and seed give the same result, bit for bit. ``run_many(events, runs)`` replays
the events once for many ``(strategy, config)`` runs, each result bit-identical
to ``run`` alone; ``run`` is ``run_many`` with one run. The compiled engine reads
the event array in place (no copy; a memory-mapped store replays in constant memory).
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from . import _engine
from .config import Config, LatencyModel, RunConfig
from .config._fields import setting_bound
from .config._units import whole_integer
from ._interrupt import interrupt_of, run_pass
from ._py_units import _attr, check_lookup, warn_runs
from ._run_config_check import check_run
from ._qty_units import signals_in_lots
from ._timer_budget import check_decision_log
from .errors import ConfigError, DataError, StrategyError, format_ts as format_ts  # format_ts: engine's name kept
from .replay import events_and_meta, replay_bbo
from .result import Result
from .records import QUOTE_DTYPE, VIEW_DTYPE
from .strategy import Strategy, View, reset_for_run
from ._strategy_calls import _CODE as _CODE, python_callbacks, run_prefix, strategy_error, strategy_label as _label

__all__ = ["Result", "replay_bbo", "run", "run_many"]

# Model families: a config kind -> the compiled model class that implements it.
_LATENCY_MODELS: dict[str, Callable[[LatencyModel], Any]] = {
    "constant": lambda m: _engine.ConstantLatencyModel(int(m.ns)),
    "recorded": lambda m: _engine.RecordedFeedLatency(int(m.offset_ns)),
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


def _declared(strategy: Any, name: str) -> Any:
    """A strategy's declaration ``name``: on the object, its class, or its numba rule type (``kind``/``native``); None if absent."""
    for holder in (strategy, _attr(strategy, "kind"), getattr(type(strategy), "native", None)):
        value = _attr(holder, name) if holder is not None else None
        if value is not None:
            return value
    return None


#: Each declaration, the config key it is checked against, and that key's largest value.
_DECLARATION_BOUNDS = {name: (key, setting_bound(Config, key)) for name, key in
                       (("ladder_levels_used", "ladder_levels"), ("max_live_orders", "max_orders"))}


def _bad_declaration(label: str, name: str, value: Any) -> str | None:
    """Why a declared ``name`` is unusable (not an integer, below 1, above its key's bound); None if it is fine."""
    key, high = _DECLARATION_BOUNDS[name]
    k = whole_integer(value)  # an int, or a whole float (4.0) as an integer config key takes it; not True, not 2.5
    if k is not None and 1 <= k <= high:
        return None
    return (f"strategy {label} declares {name} = {value!r}; it must be an integer from 1 to {high} "
            f"(the most {key} allows), so the config cannot be checked against it")


def strategy_config_conflict(strategy: Any, config: Config, label: str | None = None) -> str | None:
    """Why ``config`` cannot run ``strategy`` to the end, from what the strategy declares; None if it can.

    A strategy may declare ``max_live_orders`` (the most live orders it can hold at once,
    counted as the engine's ``max_orders`` guard counts them: working, in flight, waiting
    for a cancel confirmation, explicit orders until done) and ``ladder_levels_used``
    (target levels per side it quotes), on itself, its class or its numba rule type. A
    config with ``max_orders`` below the first, or ``ladder_levels`` below the second,
    would stop the run mid-way (docs/engine.md, "Targets, not orders"); this says so at
    load, naming the keys. A strategy that declares nothing is only held by the run-time
    guard.

    Parameters
    ----------
    strategy : mmsim.Strategy, numba strategy, strategy class or None
    config : mmsim.Config
    label : str, optional
        The strategy's name in the message (default: its ``label``, ``name`` or type name).

    Returns
    -------
    str or None
        One line naming the config keys and the value to use, or saying that a
        declaration is unusable (not an integer from 1 to the key's bound: 16
        for ``ladder_levels_used``, 4096 for ``max_live_orders``; a whole float, ``4.0``, is that
        integer, as for an integer config key).
    """
    if strategy is None:
        return None
    label = _label(strategy) if label is None else label
    for name in _DECLARATION_BOUNDS:
        declared = _declared(strategy, name)
        bad = None if declared is None else _bad_declaration(label, name, declared)
        if bad is not None:
            return bad
    levels = whole_integer(_declared(strategy, "ladder_levels_used"))
    if levels is not None and config.ladder_levels < levels:
        return (f"ladder_levels: {config.ladder_levels} is less than the {levels} target levels per side strategy "
                f"{label} quotes; set ladder_levels to at least {levels}")
    live = whole_integer(_declared(strategy, "max_live_orders"))
    if live is not None and config.max_orders < live:
        return (f"max_orders: {config.max_orders} is less than the {live} live orders strategy {label} can hold at "
                f"once (its max_live_orders: working and replacement orders, those waiting for a cancel "
                f"confirmation, explicit orders); raise max_orders to at least {live}")
    return None


def store_size_conflict(config: Config, meta: Mapping[str, Any]) -> str | None:
    """Why ``config`` cannot replay a store of ``meta``: a ``tick_size``/``lot_size`` other than the store's.

    A store's prices are integers in its own ``tick_size`` and its sizes in its own
    ``lot_size``; a config that sets another one would only rescale every money
    figure (PnL, fees, cash) by the ratio, with the fills unchanged. The config may
    set the store's own value, or leave it None. ``contract_size`` may differ (a
    loader cannot know a futures multiplier; ``examples/esh4_mbo.yaml`` sets 50).

    Returns
    -------
    str or None
        The message (naming the key), or None when nothing conflicts (also for a
        bare event array, whose meta has no sizes).
    """
    store = meta.get("store")
    where = f"{store}/meta.json" if store else "the store's meta.json"
    for name, flag in (("tick_size", "--tick-size"), ("lot_size", "--lot-size")):
        want, have = getattr(config, name), meta.get(name)
        if want is None or not isinstance(have, (int, float)) or isinstance(have, bool):
            continue
        if not math.isclose(float(want), float(have), rel_tol=1e-12):
            return (f"{name}: {want:g} differs from the event store's {name} {have:g} ({where}); the store's "
                    f"{'prices are integer ticks' if name == 'tick_size' else 'sizes are integer lots'} of its own "
                    f"{name}, so another one would only rescale every money figure: leave {name} unset (null), "
                    f"or convert the data again with {flag}")
    return None


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
    from .signals import native_params  # lazy: `import mmsim` does not load mmsim.signals (mmsim._LAZY)
    return native_params(config.signals)


def _engine_config(config: Config, tick_value: float) -> Any:
    c = _engine.EngineConfig()
    c.feed = _LATENCY_MODELS[config.latency.feed.kind](config.latency.feed)
    c.entry = _LATENCY_MODELS[config.latency.entry.kind](config.latency.entry)
    c.response = _LATENCY_MODELS[config.latency.response.kind](config.latency.response)
    c.seed = int(config.latency.seed)  # 0 .. 2**64 - 1, checked by LatencyConfig
    c.queue = _QUEUE_MODELS[config.queue.model](config.queue)
    c.maker_fee_bps = float(config.fees.maker_bps)
    c.taker_fee_bps = float(config.fees.taker_bps)
    c.maker_fee_per_lot = float(config.fees.maker_per_lot)
    c.taker_fee_per_lot = float(config.fees.taker_per_lot)
    c.tick_value = tick_value
    c.post_only = bool(config.post_only)
    c.decide_every = int(config.decide_every or 0)
    c.max_idle = int(config.max_idle)
    c.sample_every = int(config.sample_every)
    c.signals = bool(config.signals.enabled)
    c.signal_params = signal_params(config)
    c.max_orders = int(config.max_orders)
    c.ladder_levels = int(config.ladder_levels)
    c.l3_behind_fill = _L3_BEHIND_FILL[config.queue.l3_behind_fill]
    c.check_invariants = bool(config.check_invariants)
    c.decision_log = bool(config.decision_log)
    if _EARLY:
        c.debug_early_event, c.debug_early_ns = _EARLY[-1]
    return c


# The look-ahead audit's test hook (_deliver_early): a stack of (event index, ns).
_EARLY: list[tuple[int, int]] = []


@contextlib.contextmanager
def _deliver_early(event: int, ns: int) -> Iterator[None]:
    """Test hook: runs started inside deliver the market data holding ``event`` ``ns`` early.

    The engine hands the tape entry that first holds event ``event`` to the local side
    ``ns`` before the feed latency says it arrives (never before the event happened):
    a deliberate look-ahead, which the report's look-ahead audit must catch
    (``tests/test_information_age.py``). Not part of the API.
    """
    _EARLY.append((int(event), int(ns)))
    try:
        yield
    finally:
        _EARLY.pop()


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
        self.strategy, self.where = check_lookup(strategy, where), where
        self.index = 0  #: the run's index in run_many's runs (its run_index)
        conflict = store_size_conflict(config, meta)
        if conflict is not None:
            raise ConfigError(f"{where}{conflict}")
        self.tick_size, self.lot_size, self.contract_size = _sizes(config, meta)
        self.given_signals = config.signals  # as written, for the lot-unit warning (_py_units.warn_runs)
        config = self.config = signals_in_lots(config, meta, where)  # `vpin_bucket_volume: 5 base` as lots
        if config.latency.feed.kind == "recorded" and meta.get("local_ts_recorded") is False:
            raise ConfigError(f"{where}latency.feed is {config.latency.feed.describe()!r} but this event store has no recorded local_ts")
        fits = strategy_config_conflict(strategy, config)
        if fits is not None:
            raise ConfigError(f"{where}{fits}")
        self.engine_config = _engine_config(config, self.tick_size * self.lot_size * self.contract_size)
        self.label = _label(strategy)
        self.holder: dict[str, BaseException] = {}
        self.python = False
        self.adapter: Any = None
        if strategy is None:
            pass
        elif hasattr(strategy, "_mmsim_native_") and not isinstance(strategy, type):
            fn, params, state = strategy._mmsim_native_()
            self.adapter = _engine.NativeStrategy(int(fn), np.ascontiguousarray(params, dtype=np.float64),
                                                  np.ascontiguousarray(state, dtype=np.float64))
        elif isinstance(strategy, Strategy) or (callable(getattr(strategy, "quote", None))
                                                and not isinstance(strategy, type)):
            record = np.zeros(1, dtype=VIEW_DTYPE)
            out = np.zeros(1, dtype=QUOTE_DTYPE)
            quote_cb, fill_cb, reject_cb, expire_cb = python_callbacks(strategy, View(record.reshape(())),
                                                                        out.reshape(()), self.holder)
            self.adapter = _engine.PythonStrategy(quote_cb, fill_cb, reject_cb, expire_cb, record, out)
            self.python = True
        else:
            what = "an mmsim.Strategy instance (with quote(view)), a numba strategy, or None (a market-only replay)"
            if isinstance(strategy, type):
                hint = f"; {self.label} is a class: pass an instance, {self.label}(...)"
            elif isinstance(strategy, str):
                hint = (f"; {strategy!r} is a name: build it with mmsim.load_strategy({strategy!r}, params) "
                        "(an entry-point name or file.py:Class)")
            else:
                hint = "" if self.label == type(strategy).__name__ else f", got {type(strategy).__name__}"
            raise StrategyError(f"{where}strategy {self.label}: expected {what}{hint}")

    def error(self, out: Any) -> BaseException:
        """The mmsim exception for a failed run (its C++ error through the one translator)."""
        try:
            out.rethrow()
        except StrategyError as exc:
            return strategy_error(self.strategy, self.label, str(exc), int(exc.code or 0), int(exc.local_ts or 0),
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

        **None is a market-only replay, on purpose, not an error**: no order is
        sent, the result's strategy label is ``"none"``, it has 0 fills and 0
        orders, and its samples, signals and report hold the market's side (the
        best bid/ask, the markouts of market events); tests and benchmarks use
        it as the baseline of the book replay (docs/engine.md, "A run without a
        strategy"). A config file cannot do this by accident: ``mmsim run``
        refuses a config without ``strategy:``.
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
        The strategy raised or returned an invalid quote, or a guard stopped it
        (names it and the local time). Either error's ``partial`` is the
        :class:`Result` of the run up to the stop (``Result.partial`` True).
    KeyboardInterrupt
        Ctrl-C (SIGINT) stops the replay at once; ``partial`` is the run up to the stop
        (``partials`` the same, as a one-item list; docs/engine.md, "Ctrl-C").

    Warns
    -----
    LotUnitWarning
        On a store whose lot is not 1, once: the strategy's quantities and ``signals.vpin_bucket_volume`` left
        at their defaults, in lots (pass :func:`mmsim.base`; docs/strategies.md, "Units of strategy parameters").

    See Also
    --------
    run_many : many (strategy, config) pairs over one read of the events; ``run`` is
        ``run_many`` with one pair.
    """
    arr, meta = events_and_meta(events)
    check_run(one := _Run(strategy, config, meta, ""), strategy, events, meta)  # a RunConfig describes this run
    warn_runs([one])  # quantities left in lots on a store whose lot is not 1 (docs/strategies.md)
    try:
        out = _pass(arr, meta, [one], progress, stop_on_error=True)[0]
    except BaseException as exc:
        partials = getattr(exc, "partials", None)
        if partials is not None and not hasattr(exc, "partial"):
            exc.partial = partials[0]  # type: ignore[attr-defined]
        raise
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
        Strategies may be Python or numba strategies in any mix, or None: that run is a
        market-only replay as in :func:`run` (0 fills, label ``"none"``). Configs may
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
        returned list holds its exception (a Python strategy's own exception is its
        ``__cause__``, as when it is raised); the others' Results are bit-identical to
        running them without it. That holds for a run refused before the pass too (not a
        pair, a config refused, its data other than an earlier run's, its ``reset()``
        raising, its decision log too big: the largest one drops out until the others'
        fit). Every error of one run, refused before the pass or failed in it, starts
        with its index and strategy label, ``run 3 (GLFT): `` (``run 3: `` for an item
        that is not a pair), in a pass of one run too, and its ``run_index`` is that
        index (3; a ConfigError's too); a bad event, failing every run, names none
        (``run_index`` None) and is in every failed run's place.

    Returns
    -------
    list of Result
        One per run, in the order given (with ``return_exceptions=True``, an
        exception in place of each failed run). A ``LotUnitWarning`` as :func:`run`'s, one for all the runs.

    Raises
    ------
    ConfigError
        ``runs`` is not a sequence; with ``return_exceptions`` False: an item is not a
        pair (``run 1: expected a (strategy, config) pair, got int``), a config is not an ``mmsim.Config``, two
        runs share one Python strategy object (its state would mix), or the configs
        name different event stores (``data``): one pass replays one event array; its
        ``run_index`` is the run refused (``run 2 (GLFT): data ...``: 2).
    DataError
        A bad event (it fails every run; the message names the event index).
    StrategyError
        A strategy failed (the message names the run, the strategy and the local time), or was
        refused before the pass (not a strategy, its ``reset()`` raised); ``run_index`` is its run.
    KeyboardInterrupt
        Ctrl-C (SIGINT) stops the pass at once, every run, whatever ``return_exceptions``
        says; ``partials`` has one entry per run: its partial :class:`Result`, or the
        exception of a run that failed before (docs/engine.md, "Ctrl-C").
    """
    arr, meta = events_and_meta(events)
    try:
        items = list(runs)
    except TypeError:
        raise ConfigError("runs must be a sequence of (strategy, config) pairs") from None
    pairs = [_pair(item) for item in items]
    prepared: list[Any] = []  # a _Run, or (return_exceptions) the error that refused the run before the pass
    data_of: dict[str, int] = {}
    python_of: dict[int, int] = {}
    for k, pair in enumerate(pairs):
        where = run_prefix(k, pair[0]) if isinstance(pair, tuple) and len(pair) == 2 else run_prefix(k, pair=False)
        try:
            with _of_run(k, where):  # refused before the pass: named, its run_index k, as in the pass
                prepared.append(_prepare(k, pair, where, events, meta, data_of, python_of))
        except (ConfigError, StrategyError, DataError) as exc:
            if not return_exceptions:
                raise
            prepared.append(exc)  # this run drops out; the others go on
    warn_runs([one for one in prepared if isinstance(one, _Run)])  # one warning for every run's quantities in lots
    if not prepared:
        return []
    outs = _pass(arr, meta, prepared, progress, stop_on_error=not return_exceptions)
    if return_exceptions:
        for one, out in zip(prepared, outs):
            if isinstance(out, StrategyError) and out.__cause__ is None and isinstance(one, _Run):
                out.__cause__ = one.holder.get("exc")  # the strategy's own exception, as raised
        return outs
    for one, out in zip(prepared, outs):
        if isinstance(out, BaseException):
            raise out from one.holder.get("exc") if isinstance(out, StrategyError) else None
    return outs


def _pair(item: Any) -> Any:
    """An item of ``runs`` as a tuple; itself when it is not a sequence (refused as that run's: ``run 1: ...``)."""
    if isinstance(item, (str, bytes)):
        return item
    try:
        return tuple(item)
    except TypeError:
        return item


def _prepare(k: int, pair: Any, where: str, events: Any, meta: Mapping[str, Any],
             data_of: dict[str, int], python_of: dict[int, int]) -> "_Run":
    """Run ``k`` of :func:`run_many` checked and made ready (``data_of``/``python_of``: the runs accepted so far
    by their data and Python strategy object); an error refusing it, raised."""
    if not isinstance(pair, tuple):
        raise ConfigError(f"{where}expected a (strategy, config) pair, got {type(pair).__name__}")
    if len(pair) != 2:
        raise ConfigError(f"{where}expected a (strategy, config) pair, got {len(pair)} items")
    strategy, config = pair
    one = _Run(strategy, config, meta, where)
    one.index = k
    check_run(one, strategy, events, meta)  # a RunConfig describes this run
    # The one config key that cannot differ within a pass: where the events come from.
    data = one.run_config.data if one.run_config is not None else ""
    if data and data_of and data not in data_of:
        other = next(iter(data_of))
        raise ConfigError(
            f"{where}data {data!r} differs from run {data_of[other]}'s {other!r}: one pass replays "
            "one event array; call run_many once per event store")
    seen = python_of.get(id(strategy), k) if one.python else k
    if seen != k:
        raise ConfigError(
            f"{where}the same Python strategy object as run {seen}; give each run its own "
            "instance (a Python strategy keeps its state across calls)")
    if data:
        data_of.setdefault(data, k)
    if one.python:
        python_of[id(strategy)] = k
    return one


@contextlib.contextmanager
def _of_run(k: int, where: str) -> Iterator[None]:
    """An mmsim error raised preparing run ``k`` of :func:`run_many`, before the pass, as run ``k``'s: its message
    after the run's prefix ``where`` (``run 3 (GLFT): ``; a strategy's own ConfigError from ``reset()``, or from
    building the strategy a RunConfig names, had none) and its ``run_index`` ``k``, as an error in the pass has.
    ``where`` empty (:func:`run`): the error as it is."""
    try:
        yield
    except (ConfigError, StrategyError, DataError) as exc:
        if not where:
            raise
        if str(exc).startswith(where):
            exc.run_index = k
            raise
        named = type(exc)(f"{where}{exc}")
        named.__dict__.update(exc.__dict__)
        named.run_index = k
        raise named from exc.__cause__


def _pass(arr: np.ndarray, meta: Mapping[str, Any], runs: list[Any],
          progress: Callable[[int, int], None] | None, stop_on_error: bool) -> list[Any]:
    """Run the compiled pass; a Result, or an exception, per run (None: stopped by another's failure).

    ``runs``: a :class:`_Run` each, or the error that refused one before the pass (kept in its place). Not
    ``stop_on_error`` (``return_exceptions``), a run refused here (its ``reset()`` raised, its decision log too big)
    drops out alone, the others replayed as they would be without it; else its error is raised."""
    refused = {k: one for k, one in enumerate(runs) if not isinstance(one, _Run)}
    for k, one in enumerate(runs):  # reset() raising: a StrategyError naming it
        if k not in refused and one.python:
            try:
                with _of_run(k, one.where):
                    reset_for_run(one.strategy, one.label, one.where)
            except (ConfigError, StrategyError, DataError) as refusal:
                if stop_on_error:
                    raise
                refused[k] = refusal
    # A read-only memory map (an event store) gives pages back as the replay passes them.
    release = isinstance(arr, np.memmap) and not arr.flags.writeable
    live = [k for k in range(len(runs)) if k not in refused]
    while True:  # the largest decision log that does not fit drops out, until the others fit
        try:
            check_decision_log(arr["exch_ts"], [runs[k].config for k in live], [runs[k].where for k in live])
            break
        except ConfigError as too_big:
            if too_big.run_index is not None:
                too_big.run_index = live[too_big.run_index]  # its place among these runs -> its run's index
            if stop_on_error or too_big.run_index is None:
                raise
            refused[too_big.run_index] = too_big
            live.remove(too_big.run_index)
    prepared: list[_Run] = [runs[k] for k in live]
    if not prepared:
        return [refused[k] for k in range(len(runs))]
    configs = [one.engine_config for one in prepared]
    adapters: list[Any] = [one.adapter for one in prepared]
    t0 = time.perf_counter()
    outs, control, caught = run_pass(
        lambda control, check: _engine.run_many(arr, configs, adapters, control, release, stop_on_error, check),
        len(arr), progress)
    elapsed = time.perf_counter() - t0
    interrupt = interrupt_of(outs, control, caught, [one.holder for one in prepared])
    results: list[Any] = []
    for one, out in zip(prepared, outs):
        k = one.index
        res = Result(out, one.config, meta, arr, one.tick_size, one.lot_size, one.contract_size, one.label, elapsed)
        res.run_config = one.run_config
        if out.interrupted:  # Ctrl-C: what the run did up to the stop (docs/engine.md, "Ctrl-C")
            res.partial, res.stop_reason = True, f"interrupted ({type(interrupt).__name__})"
        if not out.failed:
            results.append(res if out.completed or out.interrupted else None)
            continue
        exc = one.error(out)
        # A bad event fails every run alike and names its index; a run's own failure in
        # run_many names the run (its prefix, as before the pass: _strategy_calls.run_prefix).
        own = bool(one.where) and not out.shared_error
        if own and isinstance(exc, (StrategyError, DataError)):
            named = type(exc)(f"{one.where}{exc}")
            named.__dict__.update(exc.__dict__)
            exc = named
        if isinstance(exc, (StrategyError, DataError)):
            exc.run_index = k if own else None
            # What the run did up to the stop, marked partial (docs/engine.md, "Stopped runs").
            res.partial, res.stop_reason = True, str(exc)
            exc.partial = res
        results.append(exc)
    if refused:  # the runs refused before the pass, in their places
        done = iter(results)
        results = [refused[k] if k in refused else next(done) for k in range(len(runs))]
    if interrupt is not None:
        # One entry per run: its partial Result, or the exception of a run that failed before.
        interrupt.partials = results  # type: ignore[attr-defined]
        raise interrupt
    return results
