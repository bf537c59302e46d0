"""The receive-time check's seal: a store's ``events.npy`` that passed it and is untouched since skips it.

:func:`mmsim.load` refuses a store whose ``local_ts`` goes back more than 20 s (a store edited
by hand); that pass over the column costs about 20 ms per 466k events, 4 s per 100M, on every
load (each sweep worker's included). When it passes, the file's identity is recorded in the
cache directory (:func:`mmsim._paths.cache_dir`, ``store-checks/``, one small JSON file per
store path): device, inode, size, modification and change times (ns). A later load of the same
path whose ``events.npy`` has all five the same skips the pass. Writing the file by any means
changes its change time (``ctime``), which no user command sets back (``touch -d`` and
``os.utime`` set the modification time, and move the change time to now); a file replaced or
copied there has another inode. Any of these runs the whole check again (and records the new
identity when it passes).

File times tick coarsely (a few ms on Linux; 2 s on FAT), so a write in the same tick as the
one before it can leave every time unchanged. A seal is therefore recorded only when the
file's change time is more than :data:`RACY_NS` before the clock: a later write then falls in
a later tick. A file just written (a small store's first load, right after ``mmsim convert``)
is checked in full again until it is that old. Unreadable, malformed or foreign seals count as
none; a cache that cannot be written is skipped silently (the check still runs every time).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .._paths import cache_dir
from ..errors import DataError
from ._common import late_time
from ._store_write import STORE_RECV_WINDOW_NS, late_message

__all__ = ["RACY_NS", "check_receive_times", "seal", "sealed", "stat_or_none"]

#: A seal is recorded only for a file whose last change is more than this old (file time granularity, FAT's 2 s).
RACY_NS = 2_000_000_000

#: What a seal vouches for; a new rule (another window, another check) needs another version.
_VERSION = 1


def _seal_path(ev_path: Path) -> Path | None:
    """The seal's file for ``ev_path``; None when there is no cache directory (no home directory to put it in)."""
    key = hashlib.sha256(os.path.realpath(ev_path).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    try:
        return cache_dir() / "store-checks" / f"{key}.json"
    except RuntimeError:  # Path.home(): no $HOME and no password entry
        return None


def _identity(ev_path: Path, st: os.stat_result, window_ns: int) -> dict[str, object]:
    return {"version": _VERSION, "path": os.path.realpath(ev_path), "window_ns": window_ns, "dev": st.st_dev,
            "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}


def stat_or_none(path: Path) -> os.stat_result | None:
    """``os.stat(path)``, None when it fails (the file is then checked, never sealed)."""
    try:
        return os.stat(path)
    except OSError:
        return None


def sealed(ev_path: Path, st: os.stat_result | None, window_ns: int) -> bool:
    """True when ``ev_path`` (stat ``st``) passed the check with ``window_ns`` and is untouched since."""
    path = _seal_path(ev_path)
    if st is None or path is None:
        return False
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # no seal, not UTF-8, not JSON
        return False
    return bool(recorded == _identity(ev_path, st, window_ns))


def seal(ev_path: Path, st: os.stat_result | None, window_ns: int) -> None:
    """Record that ``ev_path``, as ``st`` (taken before the check read it), passed the check with ``window_ns``.

    Nothing is recorded for a file changed less than :data:`RACY_NS` ago, or when the cache cannot be written.
    """
    path = _seal_path(ev_path)
    if st is None or path is None or time.time_ns() - st.st_ctime_ns <= RACY_NS:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(_identity(ev_path, st, window_ns)), encoding="utf-8")
        os.replace(tmp, path)  # whole or not at all, also with several sweep workers loading at once
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def check_receive_times(ev_path: Path, st: os.stat_result | None, chunks: Callable[[], Iterator[np.ndarray]]) -> None:
    """Refuse a store whose ``local_ts`` goes back more than :data:`STORE_RECV_WINDOW_NS` (``chunks()``: its events
    in order, in slices), unless ``ev_path`` (stat ``st``, taken before it was opened) is sealed; seal it when it
    passes."""
    if sealed(ev_path, st, STORE_RECV_WINDOW_NS):
        return
    late = late_time((w["local_ts"] for w in chunks()), STORE_RECV_WINDOW_NS)
    if late is not None:
        raise DataError(f"{ev_path}: event {late[0]}: {late_message(*late[1:])}")
    seal(ev_path, st, STORE_RECV_WINDOW_NS)
