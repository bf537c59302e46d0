"""Refuse before the replay a timer whose decision log cannot fit in the memory free for the process.

``decide_every: 100`` is 100 ns (a bare number is nanoseconds): over a 6.5-hour LOBSTER day
the timer ticks up to ~9.4e9 times, and the decision log (one 56-byte row a call) would need
about 1.5 TB. The process was killed by the kernel's OOM killer with no word, or raised
``MemoryError: std::bad_alloc`` from inside the replay. This module counts the ticks the
timer can make over the events, as the engine does (cpp/src/variant.cpp, ``idle_bound``:
after each delivery the timer ticks every ``decide_every`` until ``max_idle`` or 100,000
ticks, whichever is shorter, have passed without data), and refuses the run with a
:class:`mmsim.ConfigError` naming ``decide_every`` when the log's peak is more than the
memory free (below): on Linux the engine's buffer grows in place (``mremap``) and is
faulted in ``RECORD_STEP_BYTES`` at a time (cpp/include/mmsim/records.hpp), so its rows and
two steps (the one ahead of them and a huge page's rounding) per run; elsewhere ``realloc``
may copy it, so 3 rows per call (the old buffer and the doubled one).

After the replay the log is saved (written from the buffer, no copy) and the report goes over it:
the information-age columns (one at a time, a chunk of rows at a time), the decisions' ages kept for
the histogram, the look-ahead audit (a chunk at a time). Those take ``AFTER_BYTES`` a row of the
largest run's log on top of the logs (breaker29: before they worked in chunks, ``mmsim run`` peaked at
2.3 times its log, and the guard, counting the log alone against the machine's physical memory, let
through logs of 40% to 100% of it: killed by the kernel with no word). The memory the budget is held
against is what is free for the process: the least of ``MemAvailable`` (/proc/meminfo), the room
left under its address-space limit (``ulimit -v``: the engine's buffer then fails with
``std::bad_alloc``), the room left under its control group's memory limit (a container's, a Slurm job's:
``MemAvailable`` there is the host's, and the kernel kills the process at the group's limit with no word;
:func:`_cgroup_room`) and the physical memory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from . import _engine
from .records import DECISION_DTYPE

__all__ = ["AFTER_BYTES", "ROW_BYTES", "check_decision_log", "decision_log_conflict", "log_peak", "timer_ticks"]

#: Bytes of one decision-log row.
ROW_BYTES = DECISION_DTYPE.itemsize
_MAX_IDLE_TICKS = int(_engine.MAX_IDLE_TICKS)  # the timer's idle bound in ticks (engine.hpp, kMaxIdleTicks)
_PEAK = 3  # the old buffer and the doubled one, at the moment a realloc'd buffer grows
_STEP = int(_engine.RECORD_STEP_BYTES)  # bytes faulted in at a time ahead of the rows (Linux)
_IN_PLACE = sys.platform.startswith("linux")  # the engine grows its record buffers by mremap
_CHUNK = 1 << 20

#: Bytes a row of the (largest) log takes again after the replay, while the report goes over it. Measured
#: (fix30d): ``mmsim run`` of 3,816 AMZN events with ``decide_every`` 200us and 100us (logs of 317 and 623
#: MiB) peaked at 626 and 1,069 MiB resident: 1.45 bytes a byte of log, i.e. 56 + 25 bytes a row (2.32
#: before the report's passes worked a chunk at a time); 40 leaves a margin (tests/test_timer_budget.py
#: holds the report's own allocations to it).
AFTER_BYTES = 40


def _meminfo(key: str) -> int | None:
    """A ``/proc/meminfo`` figure in bytes (None where there is none)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name == key:
                    return int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _address_space_room() -> int | None:
    """Bytes left under this process's address-space limit (``ulimit -v``), None when it has none."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", encoding="ascii") as fh:
            size = next(int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("VmSize:"))
        return max(int(limit) - size, 1)
    except (ImportError, OSError, ValueError, StopIteration):  # pragma: no cover - not Linux
        return None


#: Where the control-group files are read: ``proc/self/cgroup`` and ``sys/fs/cgroup`` under it (tests point it at a
#: tree of their own).
_CGROUP_ROOT = "/"
# The files of a group's limit, its usage and its memory.stat key of reclaimable page cache: cgroup v2, then v1.
_V2 = ("memory.max", "memory.current", "inactive_file")
_V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")


def _group_room(folder: Path, files: tuple[str, str, str]) -> tuple[int, str] | None:
    """Bytes left under the memory limit of the control group at ``folder`` and its limit file, None when it
    has no limit (``max``) or a file cannot be read. The usage counts the page cache the kernel reclaims
    first (``inactive_file``, from memory.stat) as free, as a container's working set does."""
    limit_file, usage_file, cache_key = files
    try:
        limit_text = (folder / limit_file).read_text(encoding="ascii").strip()
        if limit_text == "max":
            return None
        limit = int(limit_text)
        usage = int((folder / usage_file).read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    cache = 0
    try:
        with open(folder / "memory.stat", encoding="ascii") as fh:
            cache = next((int(v) for k, _, v in (ln.partition(" ") for ln in fh) if k == cache_key), 0)
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return max(limit - (usage - min(max(cache, 0), usage)), 1), str(folder / limit_file)


def _cgroup_room(root: str | None = None) -> tuple[int, str] | None:
    """The least room under a memory limit of this process's control group or any group above it, and the limit
    file that sets it (None where no group has a limit or none can be read).

    ``root/proc/self/cgroup`` names the group: a ``0::PATH`` line for cgroup v2 (limit ``memory.max``, usage
    ``memory.current``, under ``root/sys/fs/cgroup`` or, on a hybrid system, ``.../unified``) and a line whose
    controllers include ``memory`` for v1 (``memory.limit_in_bytes`` and ``memory.usage_in_bytes`` under
    ``root/sys/fs/cgroup/memory``). The group's folder and each of its parents up to the mount's top are read
    (a Slurm job's limit is set on the job, its steps below it; in a container whose mount shows its own group
    at the top, the path the file names is not there and the top is the container's group). A file that cannot
    be read is passed over; ``max`` is no limit.
    """
    base = Path(_CGROUP_ROOT if root is None else root)
    try:
        lines = (base / "proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    best: tuple[int, str] | None = None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, sep, path = rest.partition(":")
        if not sep:
            continue
        mounts: tuple[Path, ...]
        if hierarchy == "0" and not controllers:
            mounts, files = (base / "sys/fs/cgroup", base / "sys/fs/cgroup/unified"), _V2
        elif "memory" in controllers.split(","):
            mounts, files = (base / "sys/fs/cgroup/memory",), _V1
        else:
            continue
        parts = [p for p in PurePosixPath(path.strip()).parts if p != "/"]
        if ".." in parts:  # a group outside this process's cgroup namespace: only the mount's top is its own
            parts = []
        for mount in mounts:
            for depth in range(len(parts), -1, -1):
                room = _group_room(mount.joinpath(*parts[:depth]), files)
                if room is not None and (best is None or room[0] < best[0]):
                    best = room
    return best


def _physical() -> int:
    """Bytes of the machine's physical memory (0 where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux/macOS
        return 0


def _memory_free() -> tuple[int, str]:
    """Bytes free for this process and what sets them: the least of the machine's ``MemAvailable``, the room
    under its address-space limit, the room under its control group's memory limit and the physical memory
    ((0, "") when the system says none of them)."""
    cgroup = _cgroup_room()
    known: list[tuple[int, str]] = [(b, what) for b, what in (
        (_physical(), "the machine's physical memory"),
        (_meminfo("MemAvailable"), "the machine's available memory, MemAvailable in /proc/meminfo"),
        (_address_space_room(), "the room under the process's address-space limit, ulimit -v"),
        (cgroup[0] if cgroup else None, f"the room under the container's memory limit (cgroup), {cgroup[1]}"
         if cgroup else ""),
    ) if b]
    return min(known, key=lambda k: k[0]) if known else (0, "")


def _memory() -> int:
    """Bytes free for this process (:func:`_memory_free`)."""
    return _memory_free()[0]


def log_peak(rows: int, runs: int, largest: int = 0) -> int:
    """Resident bytes at the peak of ``runs`` decision logs of ``rows`` rows in all: the rows and
    two steps per run where the buffer grows in place (Linux), three times the rows elsewhere (realloc);
    with ``largest`` (the rows of the largest log), also after the replay: the rows and ``AFTER_BYTES``
    for each row of the largest, while its report goes over it."""
    after = rows * ROW_BYTES + largest * AFTER_BYTES
    if _IN_PLACE:
        return after + runs * 2 * _STEP
    return max(rows * ROW_BYTES * _PEAK, after)


def timer_ticks(ts: np.ndarray, every: int, max_idle: int, *, exact: bool = False) -> int:
    """Upper estimate of the timer's ticks over events stamped ``ts``.

    Parameters
    ----------
    ts : ndarray of int64, shape (n,)
        Event times, ns, non-decreasing (a store's ``exch_ts``).
    every, max_idle : int
        ``decide_every`` and ``max_idle``, ns (``every`` > 0).
    exact : bool
        Count every gap. Otherwise a bound that needs no pass over ``ts`` is returned when
        its log would take under 1 GiB: ``n + min(span // every, (n - 1) * cap)``.

    Returns
    -------
    int
        ``n`` plus, for each gap between consecutive events, ``min(gap // every, idle // every)``
        where ``idle`` is the engine's idle bound: about the ticks a constant feed latency gives.
    """
    n = len(ts)
    if n == 0:
        return 0
    idle = _MAX_IDLE_TICKS * every if max_idle // _MAX_IDLE_TICKS > every else max_idle
    cap = max(idle, every) // every
    quick = min((int(ts[-1]) - int(ts[0])) // every, (n - 1) * cap) + n
    if not exact and quick * ROW_BYTES * _PEAK < (1 << 30):  # well within any machine: no need to count
        return quick
    total = n
    for lo in range(0, n - 1, _CHUNK):
        gaps = np.diff(np.asarray(ts[lo:lo + _CHUNK + 1], dtype=np.int64))
        total += int(np.minimum(np.maximum(gaps, 0) // every, cap).sum())
    return total


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover


def decision_log_conflict(ts: np.ndarray, configs: Sequence[Any], prefixes: Sequence[str],
                          memory: int | None = None) -> str | None:
    """Why these runs' decision logs cannot fit in memory, or None.

    ``configs`` are :class:`mmsim.Config` objects (one per run of the pass), ``prefixes``
    their message prefixes (``""``, or ``"run 2 (GLFT): "`` in :func:`mmsim.run_many`); ``memory`` the bytes available
    (default: what is free for the process, :func:`_memory_free`, whose limit the message then names). Only runs
    with ``decision_log`` on and a ``decide_every`` count; their peaks add up (one pass holds every run's log).
    """
    from .config._units import format_ns

    memory, what = _memory_free() if memory is None else (memory, "")
    if memory <= 0:
        return None
    worst: tuple[int, int] | None = None
    total = logs = 0
    for k, c in enumerate(configs):
        if not c.decision_log or not c.decide_every:
            continue
        ticks = timer_ticks(ts, int(c.decide_every), int(c.max_idle))
        total += ticks
        logs += 1
        if worst is None or ticks > worst[1]:
            worst = (k, ticks)
    if worst is None or log_peak(total, logs, worst[1]) <= memory:
        return None
    k, ticks = worst
    c = configs[k]
    every = format_ns(int(c.decide_every))
    others = "" if total == ticks else f" ({total:,} in all over the pass's runs)"
    return (f"{prefixes[k]}decide_every: {every} over these {len(ts):,} events is up to {ticks:,} strategy "
            f"calls{others}, and the decision log keeps {ROW_BYTES} bytes for each: up to "
            f"{_bytes(log_peak(total, logs, ticks))} with the report's passes over it, more than the memory now free "
            f"({_bytes(memory)}{': ' + what if what else ''}). A bare number is nanoseconds (write 100ms, not 100); give decide_every a "
            "coarser value, set decision_log: false (the report then has no information age), or replay a "
            "shorter window")


def check_decision_log(ts: np.ndarray, configs: Sequence[Any], prefixes: Sequence[str] | None = None) -> None:
    """Raise :class:`mmsim.ConfigError` with :func:`decision_log_conflict`'s message, if any, after the run's
    prefix in ``prefixes`` (one per config: ``"run 2 (GLFT): "`` in :func:`mmsim.run_many`, the error's
    ``run_index`` then 2; default none)."""
    from .errors import ConfigError

    msg = decision_log_conflict(ts, configs, [""] * len(configs) if prefixes is None else prefixes)
    if msg is not None:
        exc = ConfigError(msg)
        # The run the message names (its prefix: the run whose log is the largest) is the error's run_index.
        exc.run_index = next((k for k, p in enumerate(prefixes or ()) if p and msg.startswith(p)), None)
        raise exc
