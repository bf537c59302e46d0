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

A run config file (YAML) is a :class:`RunConfig`: the job (data, strategy,
report, output) around the engine's :class:`Config`.
"""

from __future__ import annotations

from typing import Any

from . import _start  # first: under `python -m mmsim`, a Ctrl-C while the package is imported is the command line's

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
    RunConfig,
    SignalConfig,
    StrategyConfig,
)
from .errors import ConfigError, DataError, MmsimError, StrategyError
from . import analysis
from .analysis import audit_look_ahead, compare, score_queue_models
from .data import EventStore, load, to_l2
from .engine import Result, run, run_many
from ._py_units import base, per_base
from .replay import replay_bbo
from .events import EVENT_DTYPE, Kind, Side, TradingStatus
from .numba_strategy import numba_strategy
from .plugins import load_strategy
from .strategy import Ladder, Order, Quote, Strategy, View

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "DataError",
    "EVENT_DTYPE",
    "EventStore",
    "FeeConfig",
    "Kind",
    "Ladder",
    "LatencyConfig",
    "LatencyModel",
    "MmsimError",
    "Order",
    "QueueConfig",
    "Quote",
    "ReportConfig",
    "Result",
    "RunConfig",
    "Side",
    "SignalConfig",
    "Strategy",
    "StrategyConfig",
    "StrategyError",
    "TradingStatus",
    "View",
    "__version__",
    "analysis",
    "audit_look_ahead",
    "base",
    "compare",
    "load",
    "load_strategy",
    "numba_strategy",
    "per_base",
    "replay_bbo",
    "report",
    "run",
    "run_many",
    "score_queue_models",
    "signals",
    "sweep",
    "to_l2",
]


#: Subpackages loaded on first use (``mmsim.report.make_report``, ``mmsim.sweep.run_sweep``,
#: ``mmsim.signals.compute``), so ``import mmsim`` stays light (PEP 562).
_LAZY = ("report", "signals", "sweep")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


_start.release()  # the package is imported: mmsim.cli installs its own Ctrl-C handling from here
