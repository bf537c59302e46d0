"""The timer guard holds a decision log against a container's memory limit too (mmsim._timer_budget._cgroup_room).

closing23 left: in a container or a Slurm job with a cgroup memory limit, ``MemAvailable`` shows the host's memory,
so a run passed the guard and was then killed by the kernel at the group's limit with no word. The reader is pointed
at a tree of its own (``_CGROUP_ROOT``) holding ``proc/self/cgroup`` and ``sys/fs/cgroup``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mmsim
from mmsim import _timer_budget
from mmsim._timer_budget import _cgroup_room, decision_log_conflict


def _tree(root: Path, cgroup: str, files: dict[str, str | None]) -> Path:
    """A fake root: ``proc/self/cgroup`` holding ``cgroup`` and each file of ``files`` (a folder where None)."""
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(cgroup)
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return root


def test_cgroup_v2_takes_the_tightest_of_the_group_and_its_parents(tmp_path):
    g = "sys/fs/cgroup"
    root = _tree(tmp_path, "0::/slurm/job_7/step_0\n", {
        f"{g}/slurm/memory.max": "max\n", f"{g}/slurm/memory.current": "50000000000\n",
        # the job's limit, 4 GiB: 4,294,967,296 - (3,000,000,000 used - 200,000,000 inactive page cache)
        f"{g}/slurm/job_7/memory.max": "4294967296\n", f"{g}/slurm/job_7/memory.current": "3000000000\n",
        f"{g}/slurm/job_7/memory.stat": "anon 2500000000\nfile 500000000\ninactive_file 200000000\nactive_file 1\n",
        f"{g}/slurm/job_7/step_0/memory.max": "max\n", f"{g}/slurm/job_7/step_0/memory.current": "2900000000\n",
    })
    assert _cgroup_room(str(root)) == (1_494_967_296, str(root / g / "slurm/job_7/memory.max"))
    # A step's own limit, tighter than the job's room: 2,000,000,000 - 900,000,000 (no memory.stat: no cache)
    (root / g / "slurm/job_7/step_0/memory.max").write_text("2000000000\n")
    (root / g / "slurm/job_7/step_0/memory.current").write_text("900000000\n")
    assert _cgroup_room(str(root)) == (1_100_000_000, str(root / g / "slurm/job_7/step_0/memory.max"))


def test_cgroup_v2_in_a_container_whose_mount_shows_its_own_group_at_the_top(tmp_path):
    # A container's cgroup namespace: /proc/self/cgroup names a path the mount does not hold; its top is the group.
    root = _tree(tmp_path, "0::/kubepods/pod1/c1\n", {
        "sys/fs/cgroup/memory.max": "1000000000\n", "sys/fs/cgroup/memory.current": "400000000\n",
    })
    assert _cgroup_room(str(root)) == (600_000_000, str(root / "sys/fs/cgroup/memory.max"))


def test_cgroup_v1_limit_minus_usage_and_the_unlimited_top(tmp_path):
    m = "sys/fs/cgroup/memory"
    root = _tree(tmp_path, "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n", {
        # v1's "no limit" is a huge number: the top's room is never the least
        f"{m}/memory.limit_in_bytes": "9223372036854771712\n", f"{m}/memory.usage_in_bytes": "5000000000\n",
        # 512 MiB: 536,870,912 - (100,000,000 - 36,870,912 hierarchical inactive page cache)
        f"{m}/docker/abc/memory.limit_in_bytes": "536870912\n", f"{m}/docker/abc/memory.usage_in_bytes": "100000000\n",
        f"{m}/docker/abc/memory.stat": "cache 1\ninactive_file 5\ntotal_inactive_file 36870912\n",
    })
    assert _cgroup_room(str(root)) == (473_741_824, str(root / m / "docker/abc/memory.limit_in_bytes"))
    # The memory controller mounted with others (cpu,memory) is named in a joined list; over its limit: 1 byte.
    (root / "proc/self/cgroup").write_text("9:cpuacct,cpu,memory:/docker/abc\n")
    (root / m / "docker/abc/memory.usage_in_bytes").write_text("900000000\n")
    (root / m / "docker/abc/memory.stat").write_text("total_inactive_file 0\n")
    assert _cgroup_room(str(root)) == (1, str(root / m / "docker/abc/memory.limit_in_bytes"))


def test_no_limit_max_and_unreadable_files_are_passed_over(tmp_path):
    g = "sys/fs/cgroup"
    root = _tree(tmp_path / "a", "0::/user.slice/session\n", {
        f"{g}/user.slice/memory.max": "max\n", f"{g}/user.slice/memory.current": "7\n",
        f"{g}/user.slice/session/memory.max": "max\n", f"{g}/user.slice/session/memory.current": "7\n",
    })
    assert _cgroup_room(str(root)) is None
    # Unreadable: a limit file that is a folder, a limit that is not a number, a usage missing, a memory.stat
    # line that is not a number (the limit then counts the usage whole). None is an error.
    root = _tree(tmp_path / "b", "0::/a/b/c/d\n", {
        f"{g}/a/memory.max": None, f"{g}/a/memory.current": "1\n",
        f"{g}/a/b/memory.max": "lots\n", f"{g}/a/b/memory.current": "1\n",
        f"{g}/a/b/c/memory.max": "1000\n",
        f"{g}/a/b/c/d/memory.max": "3000000\n", f"{g}/a/b/c/d/memory.current": "1000000\n",
        f"{g}/a/b/c/d/memory.stat": "inactive_file many\n",
    })
    assert _cgroup_room(str(root)) == (2_000_000, str(root / g / "a/b/c/d/memory.max"))
    assert _cgroup_room(str(tmp_path / "none")) is None  # no /proc/self/cgroup (not Linux)


def _fake_machine(monkeypatch, tmp_path, limit: int, current: int) -> Path:
    monkeypatch.setattr(_timer_budget, "_meminfo", lambda key: 5_000_000_000 if key == "MemAvailable" else None)
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: None)
    monkeypatch.setattr(_timer_budget, "_physical", lambda: 64_000_000_000)
    monkeypatch.setattr(_timer_budget, "_IN_PLACE", False)
    root = _tree(tmp_path, "0::/job\n", {"sys/fs/cgroup/job/memory.max": f"{limit}\n",
                                          "sys/fs/cgroup/job/memory.current": f"{current}\n"})
    monkeypatch.setattr(_timer_budget, "_CGROUP_ROOT", str(root))
    return root


def test_the_guard_refuses_a_log_beyond_the_containers_limit_and_names_it(monkeypatch, tmp_path):
    # 10 events 1 us apart on a 100 ns timer: 100 calls of 56 bytes, x 3 while a realloc'd buffer grows: 16,800.
    # MemAvailable says 5 GB (the host's); the container's group has 1,016,799 - 1,000,000 = 16,799 bytes left.
    root = _fake_machine(monkeypatch, tmp_path, 1_016_799, 1_000_000)
    ts = np.arange(10, dtype=np.int64) * 1000
    cfg = mmsim.Config(decide_every=100)
    assert _timer_budget._memory_free() == (
        16_799, f"the room under the container's memory limit (cgroup), {root}/sys/fs/cgroup/job/memory.max")
    assert decision_log_conflict(ts, [cfg], [""]) == (
        "decide_every: 100ns over these 10 events is up to 100 strategy calls, and the decision log keeps 56 "
        "bytes for each: up to 16.4 KiB with the report's passes over it, more than the memory now free "
        f"(16.4 KiB: the room under the container's memory limit (cgroup), {root}/sys/fs/cgroup/job/memory.max). "
        "A bare number is nanoseconds (write 100ms, not 100); give decide_every a coarser value, set decision_log: "
        "false (the report then has no information age), or replay a shorter window")
    with pytest.raises(mmsim.ConfigError, match=r"\(16\.4 KiB: the room under the container's memory limit \(cgroup\)"):
        _timer_budget.check_decision_log(ts, [cfg])
    # One byte more room and it fits.
    (root / "sys/fs/cgroup/job/memory.max").write_text("1016800\n")
    assert decision_log_conflict(ts, [cfg], [""]) is None


def test_the_guard_names_memavailable_where_it_is_the_least(monkeypatch, tmp_path):
    # A container limit of 10 GB with 1 GB used: 9,000,000,000 bytes of room, more than MemAvailable's 5 GB.
    _fake_machine(monkeypatch, tmp_path, 10_000_000_000, 1_000_000_000)
    monkeypatch.setattr(_timer_budget, "_physical", lambda: 64_000_000_000)
    assert _timer_budget._memory_free() == (5_000_000_000, "the machine's available memory, MemAvailable in /proc/meminfo")
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: 300_000_000)
    assert _timer_budget._memory_free() == (300_000_000, "the room under the process's address-space limit, ulimit -v")
    # The physical memory where it is the least (a machine without MemAvailable, no limits).
    monkeypatch.setattr(_timer_budget, "_meminfo", lambda key: None)
    monkeypatch.setattr(_timer_budget, "_address_space_room", lambda: None)
    monkeypatch.setattr(_timer_budget, "_physical", lambda: 8_000_000_000)
    assert _timer_budget._memory_free() == (8_000_000_000, "the machine's physical memory")
