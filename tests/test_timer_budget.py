"""A timer too fine for the machine's memory is refused before the replay (mmsim._timer_budget).

``decide_every: 100`` (100 ns: a bare number is nanoseconds) over a LOBSTER day made the
decision log grow until the kernel killed the process with no word, or the replay raised
``MemoryError: std::bad_alloc``.
"""

from __future__ import annotations

import numpy as np
import pytest

import mmsim
from mmsim import _engine, _timer_budget
from mmsim._timer_budget import decision_log_conflict, timer_ticks


def test_timer_ticks_counts_each_gap_up_to_the_idle_bound():
    ts = np.array([0, 10, 1000], dtype=np.int64)
    # max_idle 60 s: no cap; 3 events + 10 // 3 + 990 // 3 = 3 + 3 + 330
    assert timer_ticks(ts, 3, 60_000_000_000, exact=True) == 336
    # max_idle 30 ns: at most 30 // 3 = 10 ticks a gap: 3 + 3 + 10
    assert timer_ticks(ts, 3, 30, exact=True) == 16
    # the quick bound: 3 + min(1000 // 3, 2 gaps x 10) = 23 >= 16
    assert timer_ticks(ts, 3, 30) == 23
    # the engine's 100,000-tick bound: max_idle 60 s over every = 1 ns caps a gap at 100,000 ticks
    assert timer_ticks(np.array([0, 10**9], dtype=np.int64), 1, 60_000_000_000, exact=True) == 2 + 100_000
    assert timer_ticks(np.array([], dtype=np.int64), 1, 1) == 0


def test_a_decision_log_beyond_memory_is_named_with_its_size_and_the_way_out(monkeypatch):
    # Where the engine's buffer is realloc'd (not Linux): 3 rows of memory per call while it doubles.
    monkeypatch.setattr(_timer_budget, "_IN_PLACE", False)
    ts = np.arange(10, dtype=np.int64) * 1000  # 10 events 1 us apart
    cfg = mmsim.Config(decide_every=100)        # 10 + 9 x 10 = 100 calls, 56 bytes each, x 3 while it grows
    assert decision_log_conflict(ts, [cfg], [""], memory=16_800) is None
    assert decision_log_conflict(ts, [cfg], [""], memory=16_799) == (
        "decide_every: 100ns over these 10 events is up to 100 strategy calls, and the decision log keeps 56 "
        "bytes for each: up to 16.4 KiB while it grows, more than this machine's memory (16.4 KiB). A bare number "
        "is nanoseconds (write 100ms, not 100); give decide_every a coarser value, set decision_log: false (the "
        "report then has no information age), or replay a shorter window")
    # Without the log, or without a timer, nothing grows per call.
    assert decision_log_conflict(ts, [cfg.replace(decision_log=False)], [""], memory=1) is None
    assert decision_log_conflict(ts, [mmsim.Config()], [""], memory=1) is None
    # The runs of one pass hold their logs together: two runs that fit alone do not fit together;
    # the message names the run with the most calls, and the pass's total.
    coarse = mmsim.Config(decide_every=500)     # 10 + 9 x 2 = 28 calls
    assert decision_log_conflict(ts, [coarse, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=16_800) == (
        "run 1 (Counting): decide_every: 100ns over these 10 events is up to 100 strategy calls (128 in all over the "
        "pass's runs), and the decision log keeps 56 bytes for each: up to 21.0 KiB while it grows, more than "
        "this machine's memory (16.4 KiB). A bare number is nanoseconds (write 100ms, not 100); give "
        "decide_every a coarser value, set decision_log: false (the report then has no information age), or "
        "replay a shorter window")


def test_a_log_grown_in_place_needs_its_rows_and_two_steps_per_run(monkeypatch):
    # On Linux the buffer grows by mremap, faulted in 2 MiB at a time (records.hpp): the rows
    # and, per run with a log, the step ahead of them and a huge page's rounding.
    monkeypatch.setattr(_timer_budget, "_IN_PLACE", True)
    assert _engine.RECORD_STEP_BYTES == 2 * 1024 * 1024
    ts = np.arange(10, dtype=np.int64) * 1000
    cfg = mmsim.Config(decide_every=100)        # 100 calls: 5,600 bytes + 2 x 2,097,152
    assert _timer_budget.log_peak(100, 1) == 4_199_904
    assert decision_log_conflict(ts, [cfg], [""], memory=4_199_904) is None
    assert decision_log_conflict(ts, [cfg], [""], memory=4_199_903) == (
        "decide_every: 100ns over these 10 events is up to 100 strategy calls, and the decision log keeps 56 "
        "bytes for each: up to 4.0 MiB while it grows, more than this machine's memory (4.0 MiB). A bare number "
        "is nanoseconds (write 100ms, not 100); give decide_every a coarser value, set decision_log: false (the "
        "report then has no information age), or replay a shorter window")
    # Two runs with a log: 128 calls, 7,168 bytes + 4 steps; a run without a log adds no step.
    coarse = mmsim.Config(decide_every=500)     # 28 calls
    assert decision_log_conflict(ts, [coarse, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=8_395_776) is None
    assert decision_log_conflict(ts, [coarse, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=8_395_775).startswith(
        "run 1 (Counting): decide_every: 100ns over these 10 events is up to 100 strategy calls (128 in all over the "
        "pass's runs), and the decision log keeps 56 bytes for each: up to 8.0 MiB while it grows")
    off = coarse.replace(decision_log=False)
    assert decision_log_conflict(ts, [off, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=4_199_904) is None


def test_run_refuses_a_timer_whose_log_exceeds_any_machine_before_replaying():
    # 200,000 events 1 s apart; a 1 ns timer ticks 100,000 times in each of the 199,999 gaps
    # (the engine's idle bound): 200,000 + 19,999,900,000 calls, 3.1 TiB of log while it grows.
    n = 200_000
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 1_000_000_000
    ev["kind"] = int(mmsim.Kind.TRADE)
    ev["side"], ev["price"], ev["qty"] = 1, 100, 1
    calls = []

    class Counting(mmsim.Strategy):
        def quote(self, view):
            calls.append(view.ts)
            return None

    with pytest.raises(mmsim.ConfigError, match=r"^decide_every: 1ns over these 200,000 events is up to "
                                                r"20,000,100,000 strategy calls, and the decision log keeps 56 bytes"):
        mmsim.run(ev, Counting(), mmsim.Config(decide_every=1))
    assert calls == []  # refused before the first call
    with pytest.raises(mmsim.ConfigError, match=r"^run 1 \(Counting\): decide_every: 1ns over these 200,000 events"
                       ) as info:
        mmsim.run_many(ev, [(None, mmsim.Config()), (Counting(), mmsim.Config(decide_every=1))])
    assert info.value.run_index == 1  # the run it names, as any error before the pass (edges21; it was None)
    # A pass of one run is named too, as its other errors are (it had no prefix).
    with pytest.raises(mmsim.ConfigError, match=r"^run 0 \(Counting\): decide_every: 1ns over these 200,000 events"
                       ) as info:
        mmsim.run_many(ev, [(Counting(), mmsim.Config(decide_every=1))])
    assert info.value.run_index == 0
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.run(ev, Counting(), mmsim.Config(decide_every=1))
    assert info.value.run_index is None
