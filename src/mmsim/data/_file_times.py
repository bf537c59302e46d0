"""Checks of each input file's times over the events written (fix30b): a time jumped far forward on a file's last
lines (recorded, fix31a), and files of one store whose receive clocks need different shifts (refused).

Every other time check of the loaders looks backwards (a line more than 10 s before the latest one read), so a line
stamped far ahead is caught by the lines after it, and on a file's last lines by nothing (breaker29: one last line
+30 days made a 12 s capture a 30-day store). Such a jump is recorded as ``quirks.time_jump_at_end`` and warned of,
not refused (fix31a): a file of two sessions whose second has few events (a Databento download whose range ends a
few events into the next session, an hftbacktest export of a two-day store) is the same shape, and no rule tells
them apart. (A file's first lines far before the rest are not flagged: a Databento
file's snapshot is stamped at the start of the range requested, 22 h before the ESH4 sample's first live record.) And one store takes one
recorder-clock shift (``quirks.local_clock_offset_ns``): a file whose own clock needed another got the other's added
to every feed latency (breaker29: a 2023 capture +1.27 s, its own clock needing 18.8 ms). docs/data.md, "Several
files in one store", "A time far ahead on a file's last lines" and "Quirks handled".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE
from ._common import seconds_over
from ._identity import JUMP_FLOOR_NS, JUMP_RATIO, JUMP_TAIL, TIME_JUMP
from ._store_write import _HEADER_LEN, ROW_BITS, clock_outlier, source_name

__all__ = ["CLOCK_MIX_NS", "JUMP_FLOOR_NS", "JUMP_RATIO", "JUMP_TAIL", "check_files", "clock_checks", "with_jump_quirk"]
#: Files of one store whose receive clocks need shifts further apart than this are refused: one store, one shift.
CLOCK_MIX_NS = 100_000_000


class _Col:
    """One time column of one file, in store order: its first value, running maximum and largest step up."""

    __slots__ = ("first", "top", "top_row", "n", "jump", "jump_row", "jump_from", "jump_at")

    def __init__(self) -> None:
        self.first: int | None = None
        self.top = self.top_row = self.n = 0
        self.jump = self.jump_row = self.jump_from = self.jump_at = 0

    def add(self, v: np.ndarray, rows: np.ndarray) -> None:
        if self.first is None:
            self.first, self.top, self.top_row = int(v[0]), int(v[0]), int(rows[0])
        rm = np.maximum.accumulate(np.concatenate([[self.top], v]))
        inc = np.diff(rm)
        j = int(inc.argmax())
        if int(inc[j]) > self.jump:  # the event j steps the running maximum up from the one holding rm[j]
            held = np.flatnonzero(v[:j] == rm[j])
            self.jump, self.jump_row, self.jump_at = int(inc[j]), int(rows[j]), self.n + j
            self.jump_from = int(rows[held[-1]]) if len(held) else self.top_row
        new = np.flatnonzero(v == rm[1:])  # the events holding the running maximum: the last holds it at the end
        if len(new):
            self.top_row = int(rows[new[-1]])
        self.top = int(rm[-1])
        self.n += len(v)


class _File:
    __slots__ = ("exch", "local", "need", "need_row")

    def __init__(self) -> None:
        self.exch, self.local = _Col(), _Col()
        self.need: int | None = None
        self.need_row = -1


def check_files(writer: Any, chunk: int = 1 << 20) -> dict[int, _File]:
    """Each file's times (by its source index) for :func:`clock_checks`, and ``writer.time_jump_quirk`` set to the
    ``quirks.time_jump_at_end`` of the store (:func:`_jump`: the first file's, in source order, with such a jump, its
    exchange time's before its receive time's; None when no file has one). ``writer`` is the
    :class:`.store.EventStoreWriter`, its events flushed; one pass over them, before its clock shift."""
    writer.time_jump_quirk = None
    if writer.count == 0:
        return {}
    ev = np.memmap(writer._ev_path, dtype=EVENT_DTYPE, mode="r", offset=_HEADER_LEN, shape=(writer.count,))
    rows_all = np.memmap(writer._rows_path, dtype=np.int64, mode="r", shape=(writer.count,))
    files: dict[int, _File] = {}
    for i in range(0, writer.count, chunk):
        rows = np.asarray(rows_all[i:i + chunk])
        exch, local = np.asarray(ev["exch_ts"][i:i + chunk]), np.asarray(ev["local_ts"][i:i + chunk])
        src = np.where(rows < 0, 0, rows >> ROW_BITS)
        for s in np.unique(src):
            if s == 0:
                continue
            m = src == s
            f = files.setdefault(int(s), _File())
            r, x, t = rows[m], exch[m], local[m]
            f.exch.add(x, r)
            f.local.add(t, r)
            need = x - t
            k = int(need.argmax())
            if f.need is None or int(need[k]) > f.need:
                f.need, f.need_row = int(need[k]), int(r[k])
    for s in sorted(files):
        for col, what in ((files[s].exch, "exchange"), (files[s].local, "receive")):
            if writer.time_jump_quirk is None:
                writer.time_jump_quirk = _jump(writer, col, what)
    return files


def with_jump_quirk(writer: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` (a copy the writer's close owns) with ``quirks.time_jump_at_end`` as :func:`check_files` found it
    (set, or a given one removed) when the writer read its files' times (a loader's ``correct_local_clock``); as
    given otherwise (``write_store`` of a store's events and meta: no source positions to read it from, so the
    store's own is kept, checked by form where the meta is). A ``quirks`` that is not a mapping is left to the
    meta's check."""
    found = getattr(writer, "time_jump_quirk", meta)  # meta: the writer never read its times
    quirks = meta.get("quirks")
    quirks = {} if quirks is None else quirks
    if found is meta or not isinstance(quirks, dict) or quirks.get(TIME_JUMP) == found:
        return meta
    quirks = {k: v for k, v in quirks.items() if k != TIME_JUMP}
    if found is not None:
        quirks[TIME_JUMP] = found
    meta["quirks"] = quirks
    return meta


def clock_checks(writer: Any, files: dict[int, _File]) -> None:
    """Refuse the shift of a store's receive times (``writer.min_latency < 0``) set by a few lines far beyond what the
    rest need (:func:`._store_write.clock_outlier`), then one that a file's own clock does not need: files of one
    store whose receive clocks need shifts more than :data:`CLOCK_MIX_NS` apart (one store takes one shift)."""
    bad = clock_outlier(writer._ev_path, writer._rows_path, writer.count,
                        lambda p: (writer._source_of(p) or ("", "line"))[1], inferred=writer.inferred)
    if bad is not None:
        raise DataError(f"{writer.where(bad[0])}: {bad[1]}")
    if len(files) > 1:
        _mix(writer, files, -writer.min_latency)


def _jump(writer: Any, col: _Col, what: str) -> dict[str, Any] | None:
    """The ``quirks.time_jump_at_end`` of one time column of one file (``what``: ``"exchange"`` or ``"receive"``),
    None when its largest step up is not a jump of more than :data:`JUMP_FLOOR_NS` and :data:`JUMP_RATIO` times the
    rest of the file's span on its last :data:`JUMP_TAIL` events or 1%: where it is (``at``, and ``from``, the line
    of the latest time before it, each ``"NAME: line N"``), ``jump_ns``, ``span_ns`` (the rest's span), and the
    events from it on (``events_after``) of the file's ``events``. A warning, not a refusal (fix31a)."""
    assert col.first is not None
    rest = col.top - col.first - col.jump
    after = col.n - col.jump_at  # the events from the jump on, in store order
    if col.jump <= JUMP_FLOOR_NS or col.jump <= JUMP_RATIO * rest or after > max(JUMP_TAIL, col.n // 100):
        return None
    return {"at": source_name(writer._source_of(col.jump_row)), "from": source_name(writer._source_of(col.jump_from)),
            "time": what, "jump_ns": col.jump, "span_ns": rest, "events_after": after, "events": col.n}


def _mix(writer: Any, files: dict[int, _File], shift: int) -> None:
    top = max(files.values(), key=lambda f: f.need or 0)
    setter = writer.where(top.need_row)
    for f in files.values():
        own = max(f.need or 0, 0)
        if shift - own <= CLOCK_MIX_NS:
            continue
        here = writer.where(f.need_row)
        name = here.split(": ", 1)[0]
        needs = f"a shift of +{seconds_over(own, 0)} s" if own else "no shift"
        raise DataError(
            f"{here}: this capture's recorder clock needs {needs} (this line is the one most behind its exchange "
            f"time), {setter} needs +{seconds_over(shift, 0)} s: one store takes one shift of its receive times, which "
            f"would add {seconds_over(shift - own, CLOCK_MIX_NS)} s to every feed latency of {name}; two recorders' clocks more "
            f"than {CLOCK_MIX_NS // 1_000_000} ms apart: convert each capture to its own store (or, if the receive "
            f"time at {setter} is wrong, fix or remove the line)")
