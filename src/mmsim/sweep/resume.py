"""What a resumed sweep runs: the points not recorded, failed ones with ``--retry-failed``, those compared
otherwise than the grid asks, and those whose strategy's code or whose event store's events changed since they
were recorded."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._json import loads_unique
from ..events import digest_problem
from .code import changed_code, current_codes, with_followers

__all__ = ["DATA_FIELD", "changed_data", "current_digests", "resume"]

#: The record's field that holds the ``events_digest`` of the point's event store when it ran.
DATA_FIELD = "events_digest"


def current_digests(points: Iterable[Any]) -> dict[str, str | None]:
    """Each point's event store path -> the ``events_digest`` its ``meta.json`` holds now (None: no store there,
    one written before stores carried it, or a value that is not a digest)."""
    out: dict[str, str | None] = {}
    for p in points:
        path = str(p.config.data or "")
        if path and path not in out:
            try:
                meta = loads_unique((Path(path) / "meta.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = None
            digest = meta.get(DATA_FIELD) if isinstance(meta, dict) else None
            # a digest of the form a store writes, else none: a custom point_fn's record is given it unverified, and
            # a resume refuses a record whose events_digest has another form (record_values; fix27b)
            out[path] = digest if digest_problem(digest) is None else None
    return out


def changed_data(grid: Any, done: Mapping[str, Mapping[str, Any]], digests: Mapping[str, str | None],
                 where: str) -> tuple[set[str], list[str]]:
    """The recorded points to run again because their store's events changed since (its ``events_digest`` is not
    the recorded one: the store was converted again at the same path, ``--trade-implied-book`` say), with the
    points compared with such a baseline point, and the notes that say so. A record without the field (an
    earlier mmsim) or a store without a digest is reused as before (point ids name the store's path)."""
    again: dict[str, list[str]] = {}
    for p in grid.points:
        rec = done.get(p.id)
        path = str(p.config.data or "")
        now = digests.get(path)
        if rec is not None and now is not None and rec.get(DATA_FIELD) not in (None, now):
            again.setdefault(path, []).append(p.id)
    ids = {i for v in again.values() for i in v}
    notes = [f"mmsim sweep: the events of store {path} changed since {len(v)} of its points "
             f"{'was' if len(v) == 1 else 'were'} recorded in {where} (its meta.json events_digest); running "
             f"{'it' if len(v) == 1 else 'them'} again" for path, v in again.items()]
    return with_followers(grid, done, ids, notes), notes


def resume(grid: Any, recorded: Mapping[str, dict[str, Any]], retry_failed: bool,
           where: str) -> tuple[dict[str, dict[str, Any]], list[Any], dict[str, str | None], dict[str, str | None]]:
    """The grid's finished points, the points to run, each strategy's code fingerprint and each store's digest.

    ``recorded`` is what :func:`~mmsim.sweep.results.read_results` read (records of points
    not in the grid are left out of the finished points). The notes about changed code
    (:func:`~mmsim.sweep.code.changed_code`) go to stderr, once per strategy.
    """
    wanted = {p.id for p in grid.points}
    done = {k: v for k, v in recorded.items() if k in wanted}
    codes = current_codes(grid.points)
    digests = current_digests(grid.points)
    again, notes = changed_code(grid, done, codes, where) if done else (set(), [])
    more, data_notes = changed_data(grid, done, digests, where) if done else (set(), [])
    for note in notes + data_notes:
        print(note, file=sys.stderr)
    done = {k: v for k, v in done.items() if k not in again | more}
    return done, _todo(grid, done, retry_failed), codes, digests


def _todo(grid: Any, done: Mapping[str, Mapping[str, Any]], retry_failed: bool) -> list[Any]:
    """The points to run: not in ``done``, failed (with ``retry_failed``), or compared otherwise than the grid asks.

    A finished point whose recorded comparison names another baseline point or other
    settings than the grid's runs again (its figures come out the same; its comparison
    is new), and so does one whose baseline failed when that baseline runs again.
    """
    plan = grid.baseline

    def stale(p: Any) -> bool:
        rec = done.get(p.id)
        if rec is None:
            return True
        if rec.get("status") != "ok":
            return retry_failed
        if plan is None:
            return False
        cmp = rec.get("comparison") or {}
        want = plan.expected(p.id)
        return cmp.get("id") != want["id"] or cmp.get("settings") != want["settings"]

    todo = [p for p in grid.points if stale(p)]
    if plan is not None:
        again = {p.id for p in todo}
        todo += [p for p in grid.points if p.id not in again and plan.of.get(p.id) in again
                 and (done[p.id].get("comparison") or {}).get("baseline_failed")]
        todo.sort(key=lambda p: p.index)
    return todo
