"""mmsim: does my market maker's adverse-selection defence still pay at my feed latency?

A two-clock limit-order-book queue simulator (C++), native microstructure
signals (Rust), strategies in Python or numba, and fill-toxicity reports.

Example
-------
>>> import mmsim
>>> events = mmsim.load("store/")                      # doctest: +SKIP
>>> cfg = mmsim.Config(latency=mmsim.LatencyConfig(
...     feed=mmsim.LatencyModel(ns=1_000_000)))        # doctest: +SKIP
>>> result = mmsim.run(events, MyStrategy(), cfg)      # doctest: +SKIP
>>> result.report().print()                            # doctest: +SKIP
>>> curve = mmsim.run_many(events, [(MyStrategy(), cfg.replace(latency=mmsim.LatencyConfig(
...     feed=mmsim.LatencyModel(ns=ns)))) for ns in (0, 1_000_000, 10_000_000)])  # doctest: +SKIP
"""

from __future__ import annotations

try:
    from . import _engine  # noqa: F401
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "mmsim's compiled core (mmsim._engine) is missing or failed to load. Install with "
        "`pip install .` from the repository root (needs a C++17 compiler and cargo)."
    ) from exc

from .config import (
    Config,
    FeeConfig,
    LatencyConfig,
    LatencyModel,
    QueueConfig,
    ReportConfig,
    SignalConfig,
    StrategyConfig,
)
from .errors import ConfigError, DataError, MmsimError, StrategyError
from . import report, signals, sweep
from .data import EventStore, load, to_l2
from .engine import Result, replay_bbo, run, run_many
from .events import EVENT_DTYPE, Kind, Side, TradingStatus
from .numba_strategy import numba_strategy
from .plugins import load_strategy
from .strategy import Quote, Strategy, View

__version__ = "0.1.0"

__all__ = sorted(
    [
        "EVENT_DTYPE",
        "Config",
        "ConfigError",
        "DataError",
        "EventStore",
        "FeeConfig",
        "Kind",
        "LatencyConfig",
        "LatencyModel",
        "MmsimError",
        "QueueConfig",
        "Quote",
        "Result",
        "ReportConfig",
        "Side",
        "SignalConfig",
        "StrategyConfig",
        "Strategy",
        "StrategyError",
        "View",
        "load",
        "load_strategy",
        "numba_strategy",
        "replay_bbo",
        "report",
        "run",
        "run_many",
        "signals",
        "sweep",
        "to_l2",
        "TradingStatus",
        "__version__",
    ]
)


def __dir__() -> list[str]:
    return __all__
