"""The ``Result`` of a run: its record arrays, final position and cash, save and load."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ._json import json_clean, json_fault, loads_unique
from .config import RUN_KEYS, Config, RunConfig
from .errors import ConfigError, DataError, disk_full, disk_full_error
from .events import DIGEST_KEY, digest_problem
from .records import DECISION_DTYPE, FILL_DTYPE, ORDER_LOG_DTYPE, SAMPLE_DTYPE, SIGNAL_NAMES

__all__ = ["FILL_SIGNALS_DTYPE", "Result"]

#: The local-side signal values at each fill (``Result.fill_signals``): one float64 per signal.
FILL_SIGNALS_DTYPE = np.dtype([(name, "<f8") for name in SIGNAL_NAMES])


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
    decisions : ndarray of DECISION_DTYPE
        The decision log: one row per strategy call (its local time, the newest market
        event in its view, when that event arrived, the view's best bid and ask, the
        wake-up reason); empty when ``config.decision_log`` is off. Row ``k`` is the
        call the order log's ``decision == k`` rows come from.
    position : int
        Final position, lots.
    cash_ticks : int
        Sum of ``-side * price * qty`` over fills, in tick*lot units (exact).
    fees : float
        Fees paid, quote currency (negative: net rebate).
    unsent_at_end : int
        Our messages (new orders and cancels) still on their way to the exchange when
        its data ended: they would have arrived after the last event, so they were never
        matched (an order the data cannot price does not fill); 0 for runs saved before it.
    tick_value : float
        Currency value of one tick*lot (``tick_size * lot_size * contract_size``).
    elapsed_s : float
        Wall time of the replay that produced it; for :func:`run_many`, of the
        whole pass (shared by its results).
    partial : bool
        True for the result of a run stopped by an error or a guard (it comes as the
        error's ``partial``): everything in it covers the replay up to the stop only
        (docs/engine.md, "Stopped runs").
    stop_reason : str or None
        Why a partial run stopped (the error's message).
    stop_ts : int or None
        Exchange time of the stop of a partial run, ns (its last sample's); None otherwise.
    config : Config
        The engine configuration of the run.
    run_config : RunConfig or None
        The run description (data, strategy, report) when the run came from one.
    saved_as : Path or None
        The ``result.json`` a result read by :meth:`load` came from; None for a run's own result.
    """

    def __init__(self, out: Any, config: Config, meta: Mapping[str, Any], events: np.ndarray | None,
                 tick_size: float, lot_size: float, contract_size: float, strategy: str, elapsed_s: float) -> None:
        self.config = config
        self.meta = dict(meta)
        self.tick_size, self.lot_size, self.contract_size = tick_size, lot_size, contract_size
        self.tick_value = tick_size * lot_size * contract_size
        self.strategy = strategy
        self.elapsed_s = elapsed_s
        self.partial = False
        self.stop_reason: str | None = None
        self.saved_as: Path | None = None
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
        self.decisions = out.decisions.view(DECISION_DTYPE)
        self.position = int(out.position)
        self.cash_ticks = int(out.cash_ticks)
        self.fees = float(out.fees)
        self.n_calls = int(out.n_calls)
        self.n_events = int(out.n_events)
        #: Our messages (new orders, cancels) that would have reached the exchange after the
        #: last event: the run ends there, so they were never matched (docs/engine.md).
        self.unsent_at_end = int(out.unsent_at_end)

    @property
    def stop_ts(self) -> int | None:
        """Exchange time of the stop of a partial run (its last sample), ns; None when not partial."""
        return int(self.samples["exch_ts"][-1]) if self.partial and len(self.samples) else None

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
            "unsent_at_end": self.unsent_at_end,
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
        """Write the result to ``run_dir``; :meth:`load` reads it back.

        ``result.json`` (summary, configs, meta; ``partial`` and ``stop_reason``) and one
        ``.npy`` per record array:
        ``fills``, ``orders``, ``samples``, ``fill_signals``, ``decisions``.
        """
        d = Path(run_dir)
        d.mkdir(parents=True, exist_ok=True)
        job = self.run_config
        doc = {"partial": self.partial, "stop_reason": self.stop_reason,
               "summary": self.summary(), "config": self.config.to_dict(),
               "run": None if job is None else {k: v for k, v in job.to_dict().items() if k in RUN_KEYS},
               "meta": json_clean(self.meta)}
        parts: list[tuple[str, Any]] = [(f"{k}.npy", getattr(self, k))
                                        for k in ("fills", "orders", "samples", "fill_signals", "decisions")]
        parts.append(("result.json", json.dumps(doc, indent=2, sort_keys=True)))
        for name, value in parts:
            try:
                if isinstance(value, str):
                    (d / name).write_text(value)
                else:
                    np.save(d / name, value)
            except OSError as exc:  # a full disk names the file (numpy's short write named nothing: breaker35 F3)
                if disk_full(exc) and exc.filename is None:
                    raise disk_full_error(exc, d / name) from exc
                raise
        return d

    @classmethod
    def load(cls, run_dir: str | Path) -> "Result":
        """Read a result written by :meth:`save` (events are not attached; pass them to ``report``).

        Raises
        ------
        FileNotFoundError
            No ``result.json`` in ``run_dir``.
        DataError
            One line naming the file and the key: a ``result.json`` that is not JSON, not an
            object with ``summary`` and ``config``; a key of the wrong type (``partial is 'yes';
            expected true or false``, ``summary.cash_ticks is 'x'; expected an integer``), a
            size that is not finite and positive, a count that is negative; a record file that
            is missing, unreadable, of another record dtype or not one-dimensional; or figures
            that disagree with the records they summarize (``summary.n_fills``,
            ``summary.position`` and ``summary.cash_ticks`` against ``fills.npy``; one row of
            ``fill_signals.npy`` per fill).

        Notes
        -----
        A run saved before the fills' queue position fields (``fills.npy`` of the 96-byte
        ``FILL_DTYPE``) loads with ``queue_ahead_at_entry`` and ``level_qty_at_fill`` -1 on
        every fill: not recorded.
        """
        d = Path(run_dir)
        path = d / "result.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not a run directory (no result.json)")
        try:
            doc = loads_unique(path.read_text())  # a key given twice refused (json.loads kept the last: scale24)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: {json_fault(e)}") from None
        except ValueError as e:
            raise DataError(f"{path}: cannot read as JSON ({e})") from None
        if not isinstance(doc, Mapping) or not isinstance(doc.get("summary"), Mapping) or "config" not in doc:
            raise DataError(f"{path}: not a result written by Result.save (expected a JSON object with "
                            "'summary' and 'config')")
        s = doc["summary"]

        def field(key: str, kinds: tuple[type, ...], optional: bool = False, *, low: float | None = None,
                  positive: bool = False) -> Any:
            v = s.get(key)
            if v is None and optional:
                return v
            ok = isinstance(v, kinds) and not isinstance(v, bool)
            if ok and isinstance(v, float) and not math.isfinite(v):
                ok = False
            what = " or ".join("an integer" if k is int else "a finite number" if k is float else "a string"
                               for k in kinds)
            if ok and positive and not v > 0:
                ok, what = False, f"{what} > 0"
            if ok and low is not None and v < low:
                ok, what = False, f"{what} >= {low:g}"
            if not ok:
                raise DataError(f"{path}: summary.{key} is {v!r}; expected {what}")
            return v

        num = (int, float)
        partial = doc.get("partial", False)
        if not isinstance(partial, bool):
            raise DataError(f"{path}: partial is {partial!r}; expected true or false")
        stop_reason = doc.get("stop_reason")
        if stop_reason is not None and not isinstance(stop_reason, str):
            raise DataError(f"{path}: stop_reason is {stop_reason!r}; expected a string or null")
        for key in ("config", "run"):
            if doc.get(key) is not None and not isinstance(doc[key], Mapping):
                raise DataError(f"{path}: {key} is {type(doc[key]).__name__}; expected an object")
        try:
            config, job = _read_configs(doc)
        except ConfigError as e:  # a key the config loader refuses: name the file it came from
            raise ConfigError(f"{path}: {e}") from None
        except (KeyError, TypeError, AttributeError) as e:
            raise DataError(f"{path}: cannot read its config ({type(e).__name__}: {e})") from None
        meta = doc.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise DataError(f"{path}: meta is {type(meta).__name__}; expected an object")
        store = meta.get("store")
        if store is not None and not isinstance(store, str):  # mmsim report opens it: a TypeError traceback
            raise DataError(f"{path}: meta.store is {store!r}; expected the event store's path (a string) or null")
        if DIGEST_KEY in meta and (why := digest_problem(meta[DIGEST_KEY])) is not None:  # as a store's (breaker16d)
            raise DataError(f"{path}: meta.{DIGEST_KEY} {why}")
        _check_quirks(meta, path)
        r = cls(None, config, dict(meta), None, field("tick_size", num, positive=True),
                field("lot_size", num, positive=True), field("contract_size", num, positive=True),
                field("strategy", (str,)), field("elapsed_s", num, low=0))
        r.run_config = job
        r.saved_as = path  # the file a report names when its quirks disagree with the store's (fix26a)

        def records(name: str, dtype: np.dtype, old: np.dtype | None = None) -> np.ndarray:
            try:
                a = np.load(d / name, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise DataError(f"{d / name}: cannot read the run's records ({type(e).__name__}: {e})") from None
            if old is not None and a.dtype == old and a.ndim == 1:
                return _upgrade(a, dtype)
            if a.dtype != dtype or a.ndim != 1:
                raise DataError(f"{d / name}: not the run's records (an array of shape {a.shape} and dtype "
                                f"{a.dtype}; expected one row per record of mmsim's {name[:-4]} dtype)")
            return a

        r.fills = records("fills.npy", FILL_DTYPE, old=_FILL_DTYPE_96)
        r.orders = records("orders.npy", ORDER_LOG_DTYPE)
        r.samples = records("samples.npy", SAMPLE_DTYPE)
        r.fill_signals = records("fill_signals.npy", FILL_SIGNALS_DTYPE)
        # Runs saved before the decision log have none (their report says so).
        r.decisions = (records("decisions.npy", DECISION_DTYPE) if (d / "decisions.npy").exists()
                       else np.zeros(0, dtype=DECISION_DTYPE))
        r.position, r.cash_ticks, r.fees = field("position", (int,)), field("cash_ticks", (int,)), field("fees", num)
        r.n_calls, r.n_events = field("n_calls", (int,), low=0), field("n_events", (int,), low=0)
        r.unsent_at_end = field("unsent_at_end", (int,), low=0, optional=True) or 0  # 0 in runs saved before it
        r.partial, r.stop_reason = partial, stop_reason
        # What the summary says about the fills must be what fills.npy holds (cheap: one pass over the fills).
        f = r.fills
        n_fills = field("n_fills", (int,), optional=True)
        if n_fills is not None and n_fills != len(f):
            raise DataError(f"{path}: summary.n_fills is {n_fills} but {d / 'fills.npy'} holds {len(f)} fills")
        side, qty = f["side"].astype(np.int64), f["qty"]
        for key, value in (("position", int((side * qty).sum())),
                           ("cash_ticks", int((-side * f["price"] * qty).sum()))):
            if getattr(r, key) != value:
                raise DataError(f"{path}: summary.{key} is {getattr(r, key)} but the fills in {d / 'fills.npy'} "
                                f"add up to {value}")
        if len(r.fill_signals) != len(f):
            raise DataError(f"{d / 'fill_signals.npy'}: {len(r.fill_signals)} rows for {len(f)} fills in "
                            f"{d / 'fills.npy'}; expected one row per fill")
        return r

    def __repr__(self) -> str:
        return (f"Result(strategy={self.strategy!r}, events={self.n_events}, fills={len(self.fills)}, "
                f"position={self.position}, cash={self.cash:.6g}{', partial' if self.partial else ''})")


def _check_quirks(meta: Mapping[str, Any], path: Path) -> None:
    """result.json's copy of its store's ``quirks`` by the rules a store's ``meta.json`` is loaded by
    (``mmsim.data._identity.quirks_problem``, its ``event`` and ``count`` bounded by the copy's ``event_count``): a
    report showed a hand-edited copy (``"count": "lots"``) as the run's data (fix26a).
    Raises DataError naming ``path`` and the key (``meta.quirks.prints_through_book count is 'lots', not ...``)."""
    from .data._identity import quirks_problem

    quirks = meta.get("quirks")
    if quirks is None:
        return
    if not isinstance(quirks, Mapping):
        raise DataError(f"{path}: meta.quirks is {quirks!r}; expected an object (the store's meta.json quirks)")
    first, last = meta.get("first_exch_ts"), meta.get("last_exch_ts")
    ints = all(isinstance(t, int) and not isinstance(t, bool) for t in (first, last))
    span = last - first if ints else None  # type: ignore[operator]
    if (bad := quirks_problem(quirks, meta.get("event_count"), span)) is not None:
        raise DataError(f"{path}: meta.quirks.{bad[0]} {bad[1]}")


# The fills of results saved before the queue position fields (FILL_DTYPE was 96 bytes):
# they load with those fields -1, "not recorded" (docs/reports.md, "fills.csv").
_FILL_NEW = ("queue_ahead_at_entry", "level_qty_at_fill")
_FILL_DTYPE_96 = np.dtype([(n, FILL_DTYPE[n]) for n in FILL_DTYPE.names or () if n not in _FILL_NEW], align=True)


def _upgrade(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Records of an older, narrower layout in ``dtype``: the fields it lacks are -1."""
    out = np.zeros(len(a), dtype=dtype)
    for n in dtype.names or ():
        out[n] = a[n] if n in (a.dtype.names or ()) else -1
    return out


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
