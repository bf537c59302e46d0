"""A store's receive times (``local_ts``) go back at most 20 s: checked when a store is written and when it is
loaded, so a store edited by hand (one ``local_ts`` an hour late) is refused naming the events, not replayed with
every event after it held back to it under ``feed: recorded``."""

from __future__ import annotations


import numpy as np
import pytest

import mmsim
from mmsim.data import write_store
from mmsim.data._common import late_time
from mmsim.events import EVENT_DTYPE, Kind

T0 = 1_700_000_000_000_000_000
S = 1_000_000_000


def _events(n: int = 6) -> np.ndarray:
    ev = np.zeros(n, EVENT_DTYPE)
    ev["exch_ts"] = T0 + np.arange(n) * S
    ev["local_ts"] = ev["exch_ts"] + 1000
    ev["kind"] = [Kind.CLEAR] + [Kind.DEPTH] * (n - 1)
    ev["side"] = [0] + [1, -1] * ((n - 1) // 2) + [1] * ((n - 1) % 2)
    ev["price"] = [0] + [100, 101] * ((n - 1) // 2) + [100] * ((n - 1) % 2)
    ev["qty"] = [0] + list(range(1, n))
    return ev


def _meta() -> dict:
    return {"symbol": "X", "venue": "v", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0, "source": [],
            "time_zone": "UTC", "levels": "L2", "local_ts_recorded": True, "quirks": {}}


@pytest.mark.parametrize("late_ns,excess", [(3600 * S, "3599.000"), (21 * S + 1, "20.000000001")])
def test_a_store_edited_by_hand_with_a_late_receive_time_is_refused_on_load(tmp_path, late_ns, excess):
    # Event 2 (local T0 + 2 s + 1 us) edited late_ns later; event 3 (T0 + 3 s + 1 us) is then
    # late_ns - 1 s before it: 3597 s, or 20 s + 1 ns (the first beyond the window).
    write_store(tmp_path / "s", _events(), _meta())
    ev = np.load(tmp_path / "s" / "events.npy", mmap_mode="r+")
    top = int(ev["local_ts"][2]) + late_ns
    ev["local_ts"][2] = top
    ev.flush()
    del ev
    with pytest.raises(mmsim.DataError) as ei:
        mmsim.load(tmp_path / "s")
    assert str(ei.value) == (
        f"{tmp_path / 's' / 'events.npy'}: event 3: local_ts {T0 + 3 * S + 1000} is {excess} s before event 2's "
        f"({top}); a store's receive times go back at most 20 s (a loader refuses more than 10 s in a file), so "
        "one of the two is wrong: under feed: recorded every event between them would wait for the later one")


def test_a_store_going_back_exactly_20_s_loads_and_without_recorded_receive_times_is_not_checked(tmp_path):
    ev = _events()
    ev["local_ts"][2] += 21 * S  # event 3 is exactly 20 s before it
    assert len(write_store(tmp_path / "s", ev, _meta())) == 6
    ev["local_ts"][2] += 3600 * S
    assert len(write_store(tmp_path / "t", ev, {**_meta(), "local_ts_recorded": False})) == 6


def test_write_store_refuses_a_late_receive_time_before_writing(tmp_path):
    ev = _events()
    ev["local_ts"][4] += 3600 * S
    with pytest.raises(mmsim.DataError) as ei:
        write_store(tmp_path / "s", ev, _meta())
    assert str(ei.value) == (
        f"{tmp_path / 's'}: local_ts {T0 + 5 * S + 1000} is 3599.000 s before event 4's ({T0 + 3604 * S + 1000}); a store's "
        "receive times go back at most 20 s (a loader refuses more than 10 s in a file), so one of the two is wrong: "
        "under feed: recorded every event between them would wait for the later one (event 5 of the store)")
    assert not (tmp_path / "s").exists()


def test_late_time_carries_the_latest_time_across_windows():
    w = 10
    # The latest (50, index 2) is in the first window; index 5 (39) is 11 before it, in the third.
    assert late_time(iter([np.array([1, 2, 50]), np.array([45, 41]), np.array([40, 39])]), w) == (6, 39, 2, 50)
    # A new latest inside a window (index 3) names itself, not the carried one.
    assert late_time(iter([np.array([5, 6]), np.array([7, 30, 19])]), w) == (4, 19, 3, 30)
    assert late_time(iter([np.array([5, 6]), np.array([7, 30, 20]), np.array([], np.int64)]), w) is None
    assert late_time(iter([]), w) is None


# --------------------------------------------------------------------------- the check: one pass, every load


def _late_step_numpy(top: int, t: np.ndarray, window_ns: int) -> tuple[int | None, int, int]:
    """The vectorised check mmsim used before its one-pass kernel (the reference it must equal)."""
    lt = np.concatenate((np.array([top], np.int64), t))
    run = np.maximum.accumulate(lt)
    bad = np.flatnonzero(lt[1:] < run[:-1] - window_ns)
    end = int(bad[0]) + 1 if bad.size else len(lt)
    return (end - 1 if bad.size else None), int(np.argmax(lt[:end])) - 1, int(run[end - 1])


def test_the_one_pass_check_equals_the_vectorised_one():
    from mmsim.data._common import late_step

    # Hand cases: 30 is the latest before 9 (index 2), 9 is 21 behind it, more than 20: late at 3.
    assert late_step(5, np.array([6, 7, 30, 9], np.int64), 20) == (3, 2, 30)
    assert late_step(5, np.array([6, 7, 30, 10], np.int64), 20) == (None, 2, 30)   # exactly 20: not late
    assert late_step(50, np.array([6], np.int64), 20) == (0, -1, 50)               # the carried latest itself
    assert late_step(7, np.array([7, 7], np.int64), 0) == (None, -1, 7)             # ties keep the first latest
    # The int64 ends do not wrap: a time at the minimum after one at the maximum is late by any window.
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    assert late_step(hi, np.array([lo], np.int64), hi) == (0, -1, hi)
    assert late_step(lo, np.array([hi, hi - 5], np.int64), 5) == (None, 0, hi)
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 60))
        t = np.cumsum(rng.integers(-30, 40, n)).astype(np.int64)
        top, w = int(rng.integers(-50, 50)), int(rng.integers(0, 40))
        assert late_step(top, t, w) == _late_step_numpy(top, t, w)
    # A strided column (a store's local_ts field) is read in place, as a copy would be.
    ev = _events(50)
    ev["local_ts"] = T0 + rng.integers(0, 40 * S, 50)
    col = ev["local_ts"]
    assert not col.flags.c_contiguous
    assert late_step(T0, col, 20 * S) == _late_step_numpy(T0, col.copy(), 20 * S)


def _edit_keeping_size_and_mtime(path, replace: bool) -> int:
    """Event 2's local_ts an hour late, written in place or as a new file moved over the old one, then the old
    modification time set back: only the change time (and, replaced, the inode) tells. Returns the new value."""
    import os
    import time

    before = os.stat(path)
    time.sleep(0.05)  # a later tick of the file clock than the write the seal saw
    target = path.with_name("edited.npy") if replace else path
    if replace:
        target.write_bytes(path.read_bytes())
    ev = np.load(target, mmap_mode="r+")
    top = int(ev["local_ts"][2]) + 3600 * S
    ev["local_ts"][2] = top
    ev.flush()
    del ev
    if replace:
        os.replace(target, path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns
    return top


@pytest.mark.parametrize("replace", [False, True], ids=["in-place", "replaced"])
def test_a_store_loaded_then_edited_keeping_its_size_and_mtime_is_refused(tmp_path, replace):
    write_store(tmp_path / "s", _events(), _meta())
    mmsim.load(tmp_path / "s")
    top = _edit_keeping_size_and_mtime(tmp_path / "s" / "events.npy", replace)
    for _ in range(2):  # refused every time
        with pytest.raises(mmsim.DataError) as ei:
            mmsim.load(tmp_path / "s")
        assert str(ei.value) == (
            f"{tmp_path / 's' / 'events.npy'}: event 3: local_ts {T0 + 3 * S + 1000} is 3599.000 s before event "
            f"2's ({top}); a store's receive times go back at most 20 s (a loader refuses more than 10 s in a "
            "file), so one of the two is wrong: under feed: recorded every event between them would wait for the "
            "later one")


def test_a_store_edited_through_an_open_writable_memory_map_is_refused_at_every_load(tmp_path):
    """A breaker's find against a seal of the file's identity (device, inode, size, times): Linux updates a
    file's times on the first write to a mapped page only, so a second edit of the same page through a map
    still open changed nothing a seal could see, and the store loaded. Every load reads the receive times."""
    write_store(tmp_path / "s", _events(), _meta())
    mmsim.load(tmp_path / "s")
    ev = np.load(tmp_path / "s" / "events.npy", mmap_mode="r+")
    ev["local_ts"][4] += 1  # harmless
    assert len(mmsim.load(tmp_path / "s")) == 6
    top = int(ev["local_ts"][2]) + 3600 * S  # the same page, the map still open, not flushed
    ev["local_ts"][2] = top
    with pytest.raises(mmsim.DataError, match=rf"events\.npy: event 3: local_ts {T0 + 3 * S + 1000} is 3599\.000 s "
                                              rf"before event 2's \({top}\)"):
        mmsim.load(tmp_path / "s")
    del ev
