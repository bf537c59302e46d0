"""Every configuration mmsim reads: one hub, one loader.

- :class:`Config` — what the engine needs (:func:`mmsim.run` takes it), with its
  sections :class:`LatencyConfig` (of :class:`LatencyModel`), :class:`QueueConfig`,
  :class:`FeeConfig`, :class:`SignalConfig`.
- :class:`RunConfig` — a job: ``data``, ``strategy`` (:class:`StrategyConfig`),
  ``engine`` (a :class:`Config`), ``report`` (:class:`ReportConfig`), ``output``;
  what a run config file (YAML, flat) holds, read by :func:`load_yaml`.
- The synthetic market's :class:`mmsim.synth.SynthConfig` uses the same loader.

Each field declares its kind (duration, latency model, bounded number...) on
itself (:mod:`mmsim.config._fields`); YAML, a sweep's dotted override and a
direct construction are read by the same code, so durations take units
everywhere (``SignalConfig(ofi_half_life="500ms")``) and a bad value is a
:class:`~mmsim.ConfigError` naming the key. ``docs/config.md`` lists every key.
"""

from __future__ import annotations

from ._units import (
    MAX_DURATION_NS,
    MAX_LATENCY_NS,
    format_ns,
    integer_argument,
    parse_duration,
    parse_event_count,
    parse_event_horizon,
    parse_markout_horizon,
)
from .engine import Config, FeeConfig, LatencyConfig, LatencyModel, QueueConfig, SignalConfig
from .run import ENGINE_KEYS, RUN_KEYS, ReportConfig, RunConfig, StrategyConfig, load_yaml, parse_yaml, resolve_paths

__all__ = [
    "ENGINE_KEYS",
    "MAX_DURATION_NS",
    "MAX_LATENCY_NS",
    "RUN_KEYS",
    "Config",
    "FeeConfig",
    "LatencyConfig",
    "LatencyModel",
    "QueueConfig",
    "ReportConfig",
    "RunConfig",
    "SignalConfig",
    "StrategyConfig",
    "format_ns",
    "integer_argument",
    "load_yaml",
    "parse_duration",
    "parse_event_count",
    "parse_event_horizon",
    "parse_markout_horizon",
    "parse_yaml",
    "resolve_paths",
]
