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
        "bytes for each: up to 16.4 KiB with the report's passes over it, more than the memory now free "
        "(16.4 KiB). A bare number "
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
        "pass's runs), and the decision log keeps 56 bytes for each: up to 21.0 KiB with the report's passes over "
        "it, more than the memory now free (16.4 KiB). A bare number is nanoseconds (write 100ms, not 100); give "
        "decide_every a coarser value, set decision_log: false (the report then has no information age), or "
        "replay a shorter window")


def test_a_log_grown_in_place_needs_its_rows_and_two_steps_per_run(monkeypatch):
    # On Linux the buffer grows by mremap, faulted in 2 MiB at a time (records.hpp): the rows
    # and, per run with a log, the step ahead of them and a huge page's rounding.
    monkeypatch.setattr(_timer_budget, "_IN_PLACE", True)
    assert _engine.RECORD_STEP_BYTES == 2 * 1024 * 1024
    ts = np.arange(10, dtype=np.int64) * 1000
    # After the replay the report goes over the log: 40 bytes more for each row of the largest (fix30d).
    cfg = mmsim.Config(decide_every=100)        # 100 calls: 5,600 bytes + 2 x 2,097,152 + 100 x 40
    assert _timer_budget.log_peak(100, 1) == 4_199_904
    assert _timer_budget.log_peak(100, 1, 100) == 4_203_904
    assert decision_log_conflict(ts, [cfg], [""], memory=4_203_904) is None
    assert decision_log_conflict(ts, [cfg], [""], memory=4_203_903) == (
        "decide_every: 100ns over these 10 events is up to 100 strategy calls, and the decision log keeps 56 "
        "bytes for each: up to 4.0 MiB with the report's passes over it, more than the memory now free "
        "(4.0 MiB). A bare number "
        "is nanoseconds (write 100ms, not 100); give decide_every a coarser value, set decision_log: false (the "
        "report then has no information age), or replay a shorter window")
    # Two runs with a log: 128 calls, 7,168 bytes + 4 steps + the largest log's 100 rows x 40 (its report);
    # a run without a log adds no step.
    coarse = mmsim.Config(decide_every=500)     # 28 calls
    assert decision_log_conflict(ts, [coarse, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=8_399_776) is None
    assert decision_log_conflict(ts, [coarse, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=8_399_775).startswith(
        "run 1 (Counting): decide_every: 100ns over these 10 events is up to 100 strategy calls (128 in all over the "
        "pass's runs), and the decision log keeps 56 bytes for each: up to 8.0 MiB with the report's passes")
    off = coarse.replace(decision_log=False)
    assert decision_log_conflict(ts, [off, cfg], ["run 0 (none): ", "run 1 (Counting): "], memory=4_203_904) is None


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


def _fine_timer_run():
    """A two-sided book, then 20 trades 1 s apart; JoinBest on a 10 us timer: 2,000,000 calls (107 MiB of log)."""
    from conftest import make_events

    from mmsim.strategies.join_best import JoinBest

    d, t = mmsim.Kind.DEPTH, mmsim.Kind.TRADE
    rows = [(1_000, d, 1, 100, 5), (1_000, d, -1, 102, 5)]
    rows += [(1_000 + k * 1_000_000_000, t, -1 if k % 2 else 1, 100 if k % 2 else 102, 1) for k in range(1, 21)]
    ev = make_events(rows)
    return ev, mmsim.run(ev, JoinBest(size=1), mmsim.Config(decide_every=10_000))


def test_the_report_over_a_large_log_stays_within_the_guards_after_bytes():
    # breaker29: the guard counted the log alone; saving and reporting then took 2.3 times the log (a 1.2 GB
    # log peaked at 3.06 GB), so logs of 40-100% of the memory passed and were killed by the kernel. The
    # report's passes over the log (information age, look-ahead audit, the age histogram) now take less than
    # AFTER_BYTES a row, the figure the guard adds (numpy's allocations are traced by tracemalloc).
    import tracemalloc

    from mmsim.analysis.lookahead import audit_look_ahead

    ev, res = _fine_timer_run()
    rows = len(res.decisions)
    assert rows == 2_000_000  # 100,000 calls in each of the 20 gaps
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        audit = audit_look_ahead(res, ev)
        audit_peak = tracemalloc.get_traced_memory()[1] - base
        assert audit.ok and audit.n_decisions == rows
        tracemalloc.reset_peak()
        rep = res.report(ev)
        report_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        rep.plots()
        plots_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert audit_peak < 8 * rows  # a chunk at a time (it was 1.3 times the log, 74 bytes a row)
    assert report_peak < _timer_budget.AFTER_BYTES * rows  # (was 83 bytes a row)
    assert plots_peak < _timer_budget.AFTER_BYTES * rows  # (was 64)
    assert rep.data["information_age"]["n_decisions"] == rows


def test_the_memory_free_is_the_least_of_available_address_space_and_physical(monkeypatch, tmp_path):
    # breaker29: the guard held the log against the physical memory, not what is free (MemAvailable),
    # and not a `ulimit -v` the process runs under (the replay then raised MemoryError: std::bad_alloc).
    monkeypatch.setattr(_timer_budget, "_CGROUP_ROOT", str(tmp_path))  # no control group (tests/test_cgroup_memory.py)
    physical = _timer_budget._memory.__globals__["os"].sysconf("SC_PAGE_SIZE") * \
        _timer_budget._memory.__globals__["os"].sysconf("SC_PHYS_PAGES")
    monkeypatch.setattr(_timer_budget, "_meminfo", lambda key: 5_000_000_000 if key == "MemAvailable" else None)
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: None)
    assert _timer_budget._memory() == min(5_000_000_000, physical)
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: 300_000_000)
    assert _timer_budget._memory() == 300_000_000
    monkeypatch.setattr(_timer_budget, "_meminfo", lambda key: None)
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: None)
    assert _timer_budget._memory() == physical


_UNDER_ULIMIT = r"""
import resource, sys
import numpy as np
import mmsim
sys.path.insert(0, "tests")
from conftest import make_events
from mmsim.strategies.join_best import JoinBest
size = next(int(ln.split()[1]) * 1024 for ln in open("/proc/self/status") if ln.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + 300 * 2**20, resource.getrlimit(resource.RLIMIT_AS)[1]))
rows = [(1_000, mmsim.Kind.DEPTH, 1, 100, 5), (1_000, mmsim.Kind.DEPTH, -1, 102, 5)]
rows += [(1_000 + k * 1_000_000_000, mmsim.Kind.TRADE, 1, 102, 1) for k in range(1, 99)]
try:
    mmsim.run(make_events(rows), JoinBest(size=1), mmsim.Config(decide_every=10_000))
except mmsim.ConfigError as exc:
    print("ConfigError:", exc)
except MemoryError as exc:
    print("MemoryError:", exc)
else:
    print("ran")
"""


def test_python_run_under_an_address_space_limit_is_refused_before_the_replay():
    # breaker29: mmsim.run(..., decision_log=True) under `ulimit -v` raised MemoryError: std::bad_alloc from
    # inside the replay. 100 events (98 gaps of 1 s) on a 10 us timer: 100 + 98 x 100,000 calls, a log of 523 MiB,
    # with 300 MiB of address space left: refused as the config error, naming decide_every.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", _UNDER_ULIMIT], cwd=root, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "ConfigError: decide_every: 10us over these 100 events is up to 9,800,100 strategy calls, and the decision "
        "log keeps 56 bytes for each: up to 901.2 MiB with the report's passes over it, more than the memory now "
        "free ("), out.stdout
