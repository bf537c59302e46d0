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
DECISION_SIZE: int
DECISION_OFFSETS: dict[str, int]
VIEW_SIZE: int
VIEW_OFFSETS: dict[str, int]
QUOTE_SIZE: int
QUOTE_OFFSETS: dict[str, int]
LADDER_MAX: int
EXPLICIT_MAX: int
MAX_IDLE_TICKS: int
RECORD_STEP_BYTES: int
SIGNAL_PARAMS_SIZE: int
SIGNAL_NAMES: list[str]

#: Enum values and error codes shared with Python (Kind, TradingStatus, OrderEvent,
#: RejectReason, Wake, OrderState, OrderType, ErrorCode): ``ENUMS[name][member] -> int``.
ENUMS: dict[str, dict[str, int]]

# Latency model family (cpp/include/mmsim/latency.hpp).
class LatencyModel:
    def __init__(self) -> None: ...  # a base class: raises TypeError (no constructor)

class ConstantLatencyModel(LatencyModel):
    def __init__(self, ns: int) -> None: ...

class RecordedFeedLatency(LatencyModel):
    def __init__(self, offset_ns: int = 0) -> None: ...

class LogNormalLatencyModel(LatencyModel):
    def __init__(self, median_ns: float, sigma: float, min_ns: int) -> None: ...

# Queue model family (cpp/include/mmsim/queue.hpp).
class QueueModel:
    def __init__(self) -> None: ...  # a base class: raises TypeError (no constructor)

class RiskAverseQueueModel(QueueModel):
    def __init__(self) -> None: ...

class PowerProbQueueModel(QueueModel):
    def __init__(self, n: float) -> None: ...

class LogProbQueueModel(QueueModel):
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
    """What one run needs (filled by mmsim.engine._engine_config)."""

    feed: LatencyModel
    entry: LatencyModel
    response: LatencyModel
    seed: int
    queue: QueueModel
    maker_fee_bps: float
    taker_fee_bps: float
    maker_fee_per_lot: float
    taker_fee_per_lot: float
    tick_value: float
    post_only: bool
    decide_every: int
    max_idle: int
    sample_every: int
    signals: bool
    signal_params: SignalParams
    max_orders: int
    ladder_levels: int
    l3_behind_fill: int
    check_invariants: bool
    decision_log: bool
    debug_early_event: int  # a test hook (mmsim.engine._deliver_early): -1 off
    debug_early_ns: int
    def __init__(self) -> None: ...

class StrategyAdapter:
    """A run's strategy: passed to :func:`run_many` with its config (never stored on the engine)."""

    def __init__(self) -> None: ...  # a base class: raises TypeError (no constructor)

class NativeStrategy(StrategyAdapter):
    def __init__(self, fn: int, params: npt.NDArray[np.float64], state: npt.NDArray[np.float64]) -> None: ...

# on_fill / on_reject / on_expire(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts);
# quote() returns None, a 4-tuple (the 1-level form) or the code 0/1 after writing the whole
# QUOTE_DTYPE record `out` (a ladder and/or explicit orders).
_UpdateCb = Callable[[int, int, int, int, int, int, int, int, int, int], None]

class PythonStrategy(StrategyAdapter):
    def __init__(self, quote: Callable[[], tuple[float, float, float, float] | int | None],
                 on_fill: _UpdateCb | None, on_reject: _UpdateCb | None, on_expire: _UpdateCb | None,
                 view: npt.NDArray[Any], out: npt.NDArray[Any]) -> None: ...

class Progress:
    """Events the exchange side has processed, polled from another thread, and the pass's stop request."""

    def __init__(self) -> None: ...
    @property
    def done(self) -> int: ...
    def request_stop(self) -> None: ...
    @property
    def stop_requested(self) -> bool: ...
    @property
    def signal_exception(self) -> BaseException | None: ...

class RunOutput:
    """One run's records and totals (read-only views; the arrays are raw bytes viewed by mmsim.records' dtypes)."""

    def __init__(self) -> None: ...  # made by run_many only: raises TypeError (no constructor)

    @property
    def fills(self) -> npt.NDArray[Any]: ...
    @property
    def orders(self) -> npt.NDArray[Any]: ...
    @property
    def samples(self) -> npt.NDArray[Any]: ...
    @property
    def fill_signals(self) -> npt.NDArray[Any]: ...
    @property
    def decisions(self) -> npt.NDArray[Any]: ...
    position: int
    cash_ticks: int
    fees: float
    n_calls: int
    unsent_at_end: int
    n_events: int
    completed: bool
    interrupted: bool
    shared_error: bool
    @property
    def failed(self) -> bool: ...
    def rethrow(self) -> None: ...

def run_many(events: npt.NDArray[Any], configs: list[EngineConfig], strategies: list[StrategyAdapter | None],
             progress: Progress | None = None, release_pages: bool = False,
             stop_on_error: bool = True, check_signals: bool = False) -> list[RunOutput]: ...
def feed_deliveries(events: npt.NDArray[Any], feed: LatencyModel, seed: int) -> npt.NDArray[np.int64]: ...
def compute_signals(events: npt.NDArray[Any], params: SignalParams, control: Progress | None = None) -> npt.NDArray[np.float64]: ...
def late_step(top: int, t: npt.NDArray[np.int64], window: int) -> tuple[int, int, int]: ...
def replay_bbo(events: npt.NDArray[Any], control: Progress | None = None) -> dict[str, npt.NDArray[np.int64]]: ...
def prints_through_book(events: npt.NDArray[Any], band: float, keep: int = 3,
                        control: Progress | None = None) -> dict[str, Any]: ...
