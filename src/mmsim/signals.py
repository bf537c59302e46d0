"""Batch access to the native (Rust) microstructure signals over a whole event array.

:func:`compute` replays the events through the engine's book and feeds the
Rust signal state exactly as a run does (a trade print first, then the book
after every event that changes it), returning the signal values after every
event. With feed latency ``L`` a strategy at local time ``t`` sees the row of
the last event with ``exch_ts <= t - L``, so a signal can be studied here
before trading on it. Formulas, units and parameters: ``docs/signals.md``.

Example
-------
>>> import mmsim, mmsim.signals
>>> sig = mmsim.signals.compute(events)                              # doctest: +SKIP
>>> sig["ofi"][-1], sig["vpin"][-1]                                  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .config import Config, SignalConfig
from .errors import ConfigError, DataError
from .events import as_event_array, event_dtype_problem
from .records import SIGNAL_NAMES

__all__ = ["PARAM_KEYS", "SIGNAL_DTYPE", "compute", "native_params", "params_from_config"]

#: One row of :func:`compute`: the event's exchange time, then one float64 per signal.
SIGNAL_DTYPE = np.dtype([("exch_ts", "<i8")] + [(name, "<f8") for name in SIGNAL_NAMES])

#: Field order of the C struct ``MmsimSignalParams`` (rust/include/mmsim_signals.h).
PARAM_KEYS: tuple[str, ...] = (
    "depth_levels",
    "depth_decay",
    "ofi_half_life_ns",
    "trade_flow_half_life_ns",
    "vol_half_life_ns",
    "hawkes_half_life_ns",
    "hawkes_alpha",
    "hawkes_baseline",
    "vpin_bucket_volume",
    "vpin_buckets",
)


def params_from_config(config: SignalConfig | None = None) -> dict[str, Any]:
    """Return the Rust parameter struct ``MmsimSignalParams`` as a dict.

    Parameters
    ----------
    config : SignalConfig, optional
        The ``signals:`` section; defaults to ``SignalConfig()``.

    Returns
    -------
    dict
        Keys are the ``MmsimSignalParams`` field names (:data:`PARAM_KEYS`):
        ints for ``depth_levels`` and ``vpin_buckets``, floats (half-lives in
        ns) for the rest.

    Raises
    ------
    ConfigError
        When a value is out of range. The C struct reads a zero field as "use
        the default", so ``depth_decay`` and ``hawkes_alpha`` must be > 0
        here (a zero would silently become the default); use
        ``depth_levels: 1`` for a top-only imbalance.
    """
    cfg = SignalConfig() if config is None else config
    if not isinstance(cfg, SignalConfig):
        raise ConfigError(f"signals: expected a SignalConfig, got {type(cfg).__name__}")
    from ._qty_units import setting_in_lots

    # `100 lots` is 100; `5 base` needs the store's lot (mmsim.run and compute convert it first).
    vpin = setting_in_lots(cfg.vpin_bucket_volume, None, "signals.vpin_bucket_volume")
    params = {
        "depth_levels": int(cfg.depth_levels),
        "depth_decay": float(cfg.depth_decay),
        "ofi_half_life_ns": float(cfg.ofi_half_life),
        "trade_flow_half_life_ns": float(cfg.trade_flow_half_life),
        "vol_half_life_ns": float(cfg.vol_half_life),
        "hawkes_half_life_ns": float(cfg.hawkes_half_life),
        "hawkes_alpha": float(cfg.hawkes_alpha),
        "hawkes_baseline": float(cfg.hawkes_baseline),
        "vpin_bucket_volume": float(vpin),
        "vpin_buckets": int(cfg.vpin_buckets),
    }
    for key in ("depth_decay", "hawkes_alpha", "vpin_bucket_volume"):
        value = params[key]
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"signals.{key} must be a finite number > 0, got {value!r}")
    if not (math.isfinite(params["hawkes_baseline"]) and params["hawkes_baseline"] >= 0):
        raise ConfigError(f"signals.hawkes_baseline must be a finite number >= 0, got {cfg.hawkes_baseline!r}")
    if params["vpin_buckets"] > 1 << 20:
        raise ConfigError(f"signals.vpin_buckets must be at most {1 << 20}, got {cfg.vpin_buckets}")
    return params


def native_params(config: SignalConfig | None = None) -> Any:
    """Return the compiled ``MmsimSignalParams`` (``mmsim._engine.SignalParams``) for a config section.

    Parameters
    ----------
    config : SignalConfig, optional
        The ``signals:`` section; defaults to ``SignalConfig()``.

    Raises
    ------
    ConfigError
        As :func:`params_from_config`.
    """
    from . import _engine

    native = _engine.SignalParams()
    for key, value in params_from_config(config).items():
        setattr(native, key, value)
    return native


def compute(events: Any, config: Config | SignalConfig | None = None) -> np.ndarray:
    """Compute every native signal after every event.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE or EventStore
        Market events in ``exch_ts`` order: what :func:`mmsim.run` takes (an
        event store from :func:`mmsim.load`, memory-mapped, or an array).
    config : Config or SignalConfig, optional
        A run configuration (its ``signals`` section is used) or the section
        itself; defaults to ``SignalConfig()``. ``enabled`` is ignored here.

    Returns
    -------
    ndarray of SIGNAL_DTYPE
        One row per event: ``exch_ts``, then one float64 field per name in
        :data:`mmsim.records.SIGNAL_NAMES`, the values after that event as the
        engine computes them (decayed to the event's time).

    Raises
    ------
    DataError
        If ``events`` is neither an event store nor a 1-d array of
        ``EVENT_DTYPE``, or the engine finds a bad event (the message names its index).
    ConfigError
        If a signal parameter is out of range.
    """
    from . import _engine
    from ._interrupt import exit_guarded

    section = config.signals if isinstance(config, Config) else config
    if isinstance(section, SignalConfig) and isinstance(section.vpin_bucket_volume, str):  # `5 base`: the store's lot
        meta = getattr(events, "meta", None)
        lot_size = config.lot_size if isinstance(config, Config) else None
        from ._qty_units import signals_in_lots

        section = signals_in_lots(Config(signals=section, lot_size=lot_size),
                                  meta if isinstance(meta, Mapping) else {}).signals
    params = native_params(section)
    if hasattr(events, "events") and hasattr(events, "meta"):  # an EventStore, as mmsim.run takes
        events = events.events
    if not isinstance(events, np.ndarray):
        raise DataError(f"signals.compute: events must be a 1-d array of mmsim.EVENT_DTYPE, got {type(events).__name__}")
    why = event_dtype_problem(events.dtype)
    if why is not None or events.ndim != 1:
        got = events.dtype if why is not None else f"shape {events.shape}"
        detail = f" ({why})" if why is not None and events.dtype.names else ""
        raise DataError(f"signals.compute: events must be a 1-d array of mmsim.EVENT_DTYPE, got {got}{detail}")
    events = as_event_array(events)  # the same fields in another layout: a copy in EVENT_DTYPE
    if not events.flags.c_contiguous:
        events = np.ascontiguousarray(events)
    values = exit_guarded(lambda control: _engine.compute_signals(events, params, control))
    return _as_records(events, values)


def _as_records(events: np.ndarray, values: Any) -> np.ndarray:
    """Pack the engine's output (a (n, COUNT) float64 array or SIGNAL_DTYPE records) as SIGNAL_DTYPE."""
    if isinstance(values, np.ndarray) and values.dtype == SIGNAL_DTYPE:
        return values
    n, k = len(events), len(SIGNAL_NAMES)
    arr = np.asarray(values, dtype=np.float64).reshape(n, k)
    # Every field is 8 bytes, so a row is 1 + k float64 slots: fill them as a
    # 2-d block in one pass (per-field strided copies cost ~10x more).
    block = np.empty((n, 1 + k), dtype=np.float64)
    block[:, 1:] = arr
    block.view(np.int64)[:, 0] = events["exch_ts"]
    return block.view(SIGNAL_DTYPE).reshape(n)
