"""A store's receive times (``local_ts``) go back at most 20 s: checked when a store is written and when it is
loaded, so a store edited by hand (one ``local_ts`` an hour late) is refused naming the events, not replayed with
every event after it held back to it under ``feed: recorded``."""

from __future__ import annotations

from pathlib import Path

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


# --------------------------------------------------------------------------- the seal: one pass per untouched file


@pytest.fixture
def seals(tmp_path, monkeypatch):
    """The cache in tmp_path/cache, seals recorded however recent the file (the racy margin off), and a count of
    the receive-time passes load makes."""
    from mmsim.data import _store_seal

    monkeypatch.setenv("MMSIM_CACHE_DIR", str(tmp_path / "cache"))
    passes = []

    def counted(windows, window_ns):
        passes.append(1)
        return late_time(windows, window_ns)

    monkeypatch.setattr(_store_seal, "late_time", counted)
    monkeypatch.setattr(_store_seal, "RACY_NS", -1)
    return passes


def test_an_untouched_store_pays_the_receive_time_pass_once(tmp_path, seals):
    write_store(tmp_path / "s", _events(), _meta())  # its own load at close seals it
    del seals[:]
    for _ in range(3):
        assert len(mmsim.load(tmp_path / "s")) == 6
    assert seals == []
    # Another store, and a store without recorded receive times (never checked), are their own.
    write_store(tmp_path / "t", _events(), _meta())
    write_store(tmp_path / "u", _events(), {**_meta(), "local_ts_recorded": False})
    assert len(mmsim.load(tmp_path / "u")) == 6
    assert seals == [1]
    assert len(list((tmp_path / "cache" / "store-checks").iterdir())) == 2


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
def test_a_sealed_store_edited_keeping_its_size_and_mtime_is_checked_and_refused(tmp_path, seals, replace):
    write_store(tmp_path / "s", _events(), _meta())
    mmsim.load(tmp_path / "s")
    del seals[:]
    top = _edit_keeping_size_and_mtime(tmp_path / "s" / "events.npy", replace)
    for _ in range(2):  # refused every time: a failed check seals nothing
        with pytest.raises(mmsim.DataError) as ei:
            mmsim.load(tmp_path / "s")
        assert str(ei.value) == (
            f"{tmp_path / 's' / 'events.npy'}: event 3: local_ts {T0 + 3 * S + 1000} is 3599.000 s before event "
            f"2's ({top}); a store's receive times go back at most 20 s (a loader refuses more than 10 s in a "
            "file), so one of the two is wrong: under feed: recorded every event between them would wait for the "
            "later one")
    assert seals == [1, 1]


def test_a_store_just_written_is_not_sealed_and_a_bad_seal_or_cache_only_costs_the_pass(tmp_path, monkeypatch):
    from mmsim.data import _store_seal

    monkeypatch.setenv("MMSIM_CACHE_DIR", str(tmp_path / "cache"))
    write_store(tmp_path / "s", _events(), _meta())
    mmsim.load(tmp_path / "s")
    # Changed less than RACY_NS ago: a write in the same tick of the file clock would not show; no seal.
    assert not (tmp_path / "cache" / "store-checks").exists()
    passes = []
    monkeypatch.setattr(_store_seal, "late_time", lambda w, n: passes.append(1) or late_time(w, n))
    monkeypatch.setattr(_store_seal, "RACY_NS", -1)
    mmsim.load(tmp_path / "s")
    (seal,) = (tmp_path / "cache" / "store-checks").iterdir()
    for text in ["not json", '{"version": 1}', seal.read_text().replace('"size": ', '"size": 1')]:
        seal.write_text(text)
        assert len(mmsim.load(tmp_path / "s")) == 6  # checked again, and sealed again
    assert len(passes) == 4
    # A cache that cannot be written (a file where the directory goes): the store loads, checked each time.
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("MMSIM_CACHE_DIR", str(tmp_path / "file"))
    for _ in range(2):
        assert len(mmsim.load(tmp_path / "s")) == 6
    assert len(passes) == 6
    # No cache directory at all (no $HOME, no password entry): the same.
    monkeypatch.delenv("MMSIM_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert len(mmsim.load(tmp_path / "s")) == 6
    assert len(passes) == 7
