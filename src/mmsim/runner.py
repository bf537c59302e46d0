"""Run a job: load the event store and the strategy plugin a :class:`~mmsim.RunConfig` names, replay, report.

This is what ``mmsim run CONFIG`` and each point of ``mmsim sweep`` do; the
library call underneath stays the pure ``mmsim.run(events, strategy, config)``
with the run's engine :class:`~mmsim.Config`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import RunConfig
from .engine import Result, run
from .errors import ConfigError, DataError, LotUnitWarning, StrategyError

__all__ = ["load_events", "load_run_strategy", "missing_store_hint", "point_metrics", "point_report",
           "run_config", "store_lot", "store_problem"]

#: ``mmsim convert --format`` name -> the source files it reads (a path pattern), for messages.
CONVERT_SOURCES: dict[str, str] = {
    "lobster": "TICKER_DATE_*_message_LEVEL.csv",
    "binance": "SYMBOL_DATE.gz (a collector capture)",
    "databento": "FILE.mbo.dbn.zst (or its CSV)",
    "tardis": "incremental_book_L2_*.csv.gz [trades_*.csv.gz]",
    "hftbacktest": "FILE.npz",
}


def missing_store_hint(store: str | Path) -> str:
    """What to run to make the event store ``store``: ``mmsim convert`` with each format, or ``mmsim synth``."""
    formats = "; ".join(f"--format {name} for {src}" for name, src in CONVERT_SOURCES.items())
    return (f"make it with `mmsim convert SRC... -o {store} --format FORMAT` ({formats}), "
            f"or `mmsim synth -o {store}` for a synthetic market")


#: File names that look like raw market data ``mmsim convert`` reads (not an event store).
_RAW_SUFFIXES = (".gz", ".zst", ".csv", ".dbn", ".dat", ".npz", ".bz2", ".xz", ".zip")


def _raw_format(name: str) -> str:
    """The ``--format`` a raw file's name points to, or ``FORMAT`` with the list when it does not tell."""
    low = name.lower()
    if ".dbn" in low:
        return "databento"
    if low.endswith(".npz"):
        return "hftbacktest"
    if "incremental_book_l2" in low or low.startswith(("trades_", "book_snapshot")):
        return "tardis"
    if "_message_" in low or "_orderbook_" in low:
        return "lobster"
    return "FORMAT"


def _convert_advice(sources: str, name: str, fmt: str) -> str:
    formats = "" if fmt != "FORMAT" else " (" + "; ".join(
        f"--format {n} for {src}" for n, src in CONVERT_SOURCES.items()) + ")"
    return f"`mmsim convert {sources} -o stores/{name} --format {fmt}`{formats}, then give stores/{name}"


def _stem(name: str) -> str:
    """``BTCUSDT_2024-01-02.gz`` -> ``BTCUSDT_2024-01-02``; ``x.mbo.dbn.zst`` -> ``x``."""
    stem = name
    while Path(stem).suffix and Path(stem).suffix.lower() in _RAW_SUFFIXES + (".mbo", ".mbp", ".json"):
        stem = Path(stem).stem
    return stem or name


def store_problem(data: str | Path) -> str | None:
    """What is wrong with ``data`` as an event store, as the rest of a one-line message, or None if it is one.

    ``PATH: no such directory; make it with ...`` (:func:`missing_store_hint`); for an
    existing path the advice never converts onto it: a file is ``a file, not an event
    store`` (raw-looking data, ``.gz``, ``.csv``, ``.dbn``, ``.dat``, ``.npz``..., gets
    ``mmsim convert THAT_FILE -o stores/NAME --format F``, the format named when the file
    name tells it); a non-empty directory without ``events.npy``/``meta.json`` is ``a
    directory but not an event store`` (its raw files, if any, get the same advice); an
    empty directory may be made a store in place.
    """
    path = Path(data)
    if (path / "events.npy").exists() or (path / "meta.json").exists():
        return None
    if not path.exists():
        return f"{path}: no such directory; {missing_store_hint(path)}"
    store = "an event store (a directory with events.npy and meta.json)"
    made = "name a store made by `mmsim convert` or `mmsim synth`"
    if not path.is_dir():
        if path.name.lower().endswith(_RAW_SUFFIXES):
            return (f"{path}: a file, not {store}; if it is raw market data, make a store of it: "
                    + _convert_advice(str(path), _stem(path.name), _raw_format(path.name)))
        return f"{path}: a file, not {store}; {made}"
    try:
        entries = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        return f"{path}: cannot read the directory: {exc.strerror or exc}"
    if not entries:
        return f"{path}: an empty directory, not {store}; {missing_store_hint(path)}"
    raw = [n for n in entries if n.lower().endswith(_RAW_SUFFIXES) and (path / n).is_file()]
    if raw:
        shown = ", ".join(raw[:3]) + (f" and {len(raw) - 3} more" if len(raw) > 3 else "")
        fmt = _raw_format(raw[0])
        return (f"{path}: a directory but not {store}; it holds raw files ({shown}): make a store of one with "
                + _convert_advice(str(path / raw[0]), _stem(raw[0]), fmt))
    return f"{path}: a directory but not {store}; {made}"


def load_events(config: RunConfig, *, opener: Callable[[str], Any] | None = None) -> Any:
    """The event store named by ``config.data`` (memory-mapped).

    ``opener``: what opens the store once :func:`store_problem` found one at ``config.data`` (default
    :func:`mmsim.data.load`); a sweep passes its per-process cache of opened stores
    (:func:`mmsim.sweep.passes.open_store`). Whatever opened it, the store's events are verified against its
    digest here.

    Raises
    ------
    ConfigError
        ``data`` is empty, or names no event store: ``data: PATH: ...``
        (:func:`store_problem`: the message says how to make one, and never to
        convert onto an existing file). A config error: ``mmsim run``,
        ``queue-score`` and ``sweep`` exit 2 and add the config line or the
        ``--data`` flag (``mmsim.cli.main``).
    DataError
        A bad store, or one whose ``events.npy`` is not what its ``meta.json``'s ``events_digest`` was computed
        from (recomputed here, once per file version in a process: before the replay, so ``mmsim run
        --no-report``, ``queue-score`` and a sweep's points refuse it too, not only a report afterwards).
    """
    if not config.data:
        raise ConfigError("data: no event store given (set `data:` to a store made by `mmsim convert` or "
                          "`mmsim synth`)")
    from .data import load

    problem = store_problem(config.data)
    if problem is not None:
        raise ConfigError(f"data: {problem}")
    from .data._identity import verify_store

    store = (opener or load)(config.data)
    verify_store(store)  # an events.npy edited under its digest: refused before any replay, not after it
    return store


def load_run_strategy(config: RunConfig, base_dir: str | Path | None = None,
                      base_label: str = "the config's folder", *, lot_size: float | None = None,
                      warn: bool = False) -> Any:
    """The strategy plugin named by ``config.strategy``, built with its parameters.

    A relative strategy file is looked for in ``base_dir`` (the config file's folder, where
    :func:`mmsim.config.load_yaml` looked first), then in the working directory. ``lot_size``
    (the store's, :func:`store_lot`) converts quantities written in base units (``size: 0.01 base``);
    with ``warn``, a :class:`~mmsim.errors.LotUnitWarning` names the quantities left in lots on a
    store whose lot is not 1 (docs/strategies.md, "Units of strategy parameters"), and in the same
    warning ``signals.vpin_bucket_volume`` left in lots (docs/signals.md).
    """
    from ._qty_units import join_warnings, lot_warning_parts, settings_lot_warning_parts
    from .plugins import load_strategy, resolve_strategy

    s = config.strategy
    built = load_strategy(s.path, s.params, base_dir=base_dir, base_label=base_label, lot_size=lot_size)
    if warn:
        obj = resolve_strategy(s.path, base_dir=base_dir, base_label=base_label)
        label = str(getattr(obj, "name", None) or getattr(obj, "__name__", s.path))
        parts = [lot_warning_parts(obj, s.params, lot_size, label),
                 settings_lot_warning_parts(config.engine.signals, lot_size)]
        if any(parts):
            warnings.warn(join_warnings(dict(p for p in parts if p is not None)), LotUnitWarning, stacklevel=3)
    return built


def store_lot(config: RunConfig, events: Any) -> float | None:
    """The lot size a run of ``config`` on ``events`` uses: the store's (a config's ``lot_size`` must be
    the same, :func:`mmsim.engine.store_size_conflict`), else the config's; None when neither gives one."""
    lot = getattr(events, "meta", {}).get("lot_size") if hasattr(events, "meta") else None
    if isinstance(lot, (int, float)) and not isinstance(lot, bool) and lot > 0:
        return float(lot)
    return None if config.engine.lot_size is None else float(config.engine.lot_size)


def run_config(config: RunConfig, *, events: Any = None,
               progress: Callable[[int, int], None] | None = None,
               base_dir: str | Path | None = None, warn: bool = True) -> Result:
    """Load what ``config`` names (unless ``events`` is given) and run it.

    Parameters
    ----------
    config : RunConfig
        The job (``data``, ``strategy``, ``engine``, ``report``).
    events : EventStore or ndarray, optional
        Use these events instead of loading ``config.data``.
    progress : callable, optional
        Passed to :func:`mmsim.run`.
    base_dir : path, optional
        The config file's folder (``mmsim run`` passes it): a relative strategy file that
        :func:`mmsim.config.load_yaml` did not find there is looked for there, then in the
        working directory, and an error names both (without it, the working directory only).
    warn : bool
        Warn (:class:`~mmsim.errors.LotUnitWarning`) of the strategy's quantities left in lots on a
        store whose lot is not 1 (a sweep warns once, before its points run).

    Returns
    -------
    Result
        With :attr:`~mmsim.Result.run_config` set to ``config``.

    Raises
    ------
    StrategyError, DataError
        As :func:`mmsim.run`; the error's ``partial`` (the result up to the stop)
        has its ``run_config`` set too.
    """
    if not isinstance(config, RunConfig):
        raise ConfigError(f"run_config: expected an mmsim.RunConfig, got {type(config).__name__}")
    if events is None:
        events = load_events(config)
    from ._py_units import quiet

    strategy = load_run_strategy(config, base_dir, lot_size=store_lot(config, events), warn=warn)
    try:
        with quiet():  # warned above, in the config's words (or a sweep did)
            result = run(events, strategy, config.engine, progress=progress)
    except (StrategyError, DataError) as exc:
        part = getattr(exc, "partial", None)
        if part is not None:
            part.run_config = config
        raise
    result.run_config = config
    return result


def point_report(result: Result, events: Any, config: RunConfig, *, signals: bool = True,
                 decisions: bool = True, bbo: Any = None) -> Any:
    """The report of one run with the horizons of ``config.report`` (:class:`mmsim.report.Report`).

    With ``signals=False`` the report leaves out the markout-by-signal table (it
    reads no signal values at the fills), and with ``decisions=False`` the
    sections read from the decision log (information age, markout by age, the
    look-ahead audit; they say "not recorded"): every other number is the same,
    in a fraction of the time. A sweep point's figures (:meth:`Report.flat
    <mmsim.report.Report.flat>`) need none of them. ``bbo``:
    :func:`mmsim.replay_bbo` of the events, when the caller shares it among the
    runs of one store (the same numbers, without replaying the book again).
    """
    import copy

    from .report import Report
    from .report.compute import compute_report

    if not signals or not decisions:
        result = copy.copy(result)
        if not signals:
            result.fill_signals = None  # type: ignore[assignment]
        if not decisions:
            result.decisions = None  # type: ignore[assignment]
    return Report(compute_report(result, events, horizons=config.report.horizons,
                                 event_horizons=config.report.event_horizons,
                                 toxic_horizon=config.report.toxic_horizon, bbo=bbo))


def point_metrics(result: Result, events: Any, config: RunConfig) -> dict[str, Any]:
    """The flat figures of one run, for sweeps and summaries (JSON-ready): :meth:`Report.flat
    <mmsim.report.Report.flat>` of :func:`point_report` (without its signal table and decision-log
    sections, which they do not hold)."""
    return point_report(result, events, config, signals=False, decisions=False).flat()
