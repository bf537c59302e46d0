"""Run a whole config: load the event store and the strategy plugin, replay, report.

This is what ``mmsim run CONFIG`` and each point of ``mmsim sweep`` do; the
library call underneath stays the pure ``mmsim.run(events, strategy, config)``.
"""

from __future__ import annotations

from typing import Any, Callable

from .config import Config
from .engine import Result, run
from .errors import ConfigError

__all__ = ["load_events", "point_metrics", "run_config"]


def load_events(config: Config) -> Any:
    """The event store named by ``config.data`` (memory-mapped)."""
    if not config.data:
        raise ConfigError("data: no event store given (set `data:` to a store made by `mmsim convert` or `mmsim synth`)")
    from .data import load

    return load(config.data)


def load_config_strategy(config: Config) -> Any:
    """The strategy plugin named by ``config.strategy`` (None when no path is set)."""
    if not config.strategy.path:
        return None
    from .plugins import load_strategy

    return load_strategy(config.strategy.path, config.strategy.params)


def run_config(config: Config, *, events: Any = None,
               progress: Callable[[int, int], None] | None = None) -> Result:
    """Load what ``config`` names (unless ``events`` is given) and run it.

    Parameters
    ----------
    config : Config
        A full run config (``data``, ``strategy`` and the engine settings).
    events : EventStore or ndarray, optional
        Use these events instead of loading ``config.data``.
    progress : callable, optional
        Passed to :func:`mmsim.run`.
    """
    if events is None:
        events = load_events(config)
    strategy = load_config_strategy(config)
    return run(events, strategy, config, progress=progress)


def point_metrics(result: Result, events: Any, config: Config) -> dict[str, Any]:
    """The flat figures of one run, for sweeps and summaries (JSON-ready)."""
    from .report import report

    rep = report(result, events, horizons=config.report.horizons, event_horizons=config.report.event_horizons,
                 toxic_horizon=config.report.toxic_horizon)
    return rep.flat()
