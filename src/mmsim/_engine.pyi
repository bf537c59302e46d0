"""Type stub of the compiled engine, ``mmsim._engine`` (pybind11; cpp/python/module.cpp).

The bindings are raw on purpose (STYLE.md, "Thin bindings"): defaults, checks and
docstrings live in the Python layer (:mod:`mmsim.engine`, :mod:`mmsim.signals`,
:mod:`mmsim.replay`). This stub describes the module as built today; keep it in step
with the bindings (``tests/test_package.py`` checks every name both ways).
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

# Record layouts shared with numpy dtypes (mmsim.records / mmsim.events): byte sizes
# and field offsets, checked against the dtypes by tests/test_ffi.py.
EVENT_SIZE: int
EVENT_OFFSETS: dict[str, int]
FILL_SIZE: int
FILL_OFFSETS: dict[str, int]
ORDER_LOG_SIZE: int
ORDER_LOG_OFFSETS: dict[str, int]
SAMPLE_SIZE: int
SAMPLE_OFFSETS: dict[str, int]
VIEW_SIZE: int
VIEW_OFFSETS: dict[str, int]
QUOTE_SIZE: int
SIGNAL_PARAMS_SIZE: int
SIGNAL_NAMES: list[str]

class DataFault(ValueError):
    """Bad market data; ``args == (message, event_index)``."""

class StrategyFault(RuntimeError):
    """The strategy failed; ``args == (message, code, local_ts)``."""

class LatencySpec:
    """One latency model: kind 0 constant, 1 recorded, 2 lognormal."""

    kind: int
    ns: int
    median_ns: float
    sigma: float
    min_ns: int
    def __init__(self) -> None: ...

class SignalParams:
    """The C struct ``MmsimSignalParams`` (rust/include/mmsim_signals.h); 0 means the default."""

    depth_levels: int
    depth_decay: float
    ofi_half_life_ns: float
    trade_flow_half_life_ns: float
    vol_half_life_ns: float
    hawkes_half_life_ns: float
    hawkes_alpha: float
    hawkes_baseline: float
    vpin_bucket_volume: float
    vpin_buckets: int
    def __init__(self) -> None: ...

class EngineConfig:
    """What one run of :class:`Engine` needs (filled by mmsim.engine._engine_config)."""

    feed: LatencySpec
    entry: LatencySpec
    response: LatencySpec
    seed: int
    queue: int
    queue_power: float
    maker_fee_bps: float
    taker_fee_bps: float
    maker_fee_per_lot: float
    taker_fee_per_lot: float
    tick_value: float
    post_only: bool
    decide_every: int
    sample_every: int
    signals: bool
    signal_params: SignalParams
    max_orders: int
    def __init__(self) -> None: ...

class Engine:
    """One replay: run it once with one of the ``run_*`` methods, then read the records."""

    def __init__(self, arg0: EngineConfig) -> None: ...
    def run_none(self, arg0: npt.NDArray[Any], arg1: bool) -> None: ...
    def run_native(self, arg0: npt.NDArray[Any], arg1: int, arg2: npt.ArrayLike, arg3: npt.ArrayLike,
                   arg4: bool) -> None: ...
    def run_python(self, arg0: npt.NDArray[Any], arg1: Callable[[], tuple[float, float, float, float] | None],
                   arg2: Callable[[int, int, int, int], None] | None, arg3: bool) -> None: ...
    def fills_bytes(self) -> bytes: ...
    def orders_bytes(self) -> bytes: ...
    def samples_bytes(self) -> bytes: ...
    def fill_signals_bytes(self) -> bytes: ...
    def view_memory(self) -> memoryview: ...
    @property
    def progress(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def cash_ticks(self) -> int: ...
    @property
    def fees(self) -> float: ...
    @property
    def n_calls(self) -> int: ...
    @property
    def n_events(self) -> int: ...

def compute_signals(arg0: npt.NDArray[Any], arg1: SignalParams) -> npt.NDArray[np.float64]: ...
def replay_bbo(arg0: npt.NDArray[Any]) -> dict[str, npt.NDArray[np.int64]]: ...
