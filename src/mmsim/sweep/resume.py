"""What a resumed sweep runs: the points not recorded, failed ones with ``--retry-failed``, those compared
otherwise than the grid asks, and those whose strategy's code changed since they were recorded."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from .code import changed_code, current_codes

__all__ = ["resume"]


def resume(grid: Any, recorded: Mapping[str, dict[str, Any]], retry_failed: bool,
           where: str) -> tuple[dict[str, dict[str, Any]], list[Any], dict[str, str | None]]:
    """The grid's finished points, the points to run, and each strategy's code fingerprint.

    ``recorded`` is what :func:`~mmsim.sweep.results.read_results` read (records of points
    not in the grid are left out of the finished points). The notes about changed code
    (:func:`~mmsim.sweep.code.changed_code`) go to stderr, once per strategy.
    """
    wanted = {p.id for p in grid.points}
    done = {k: v for k, v in recorded.items() if k in wanted}
    codes = current_codes(grid.points)
    again, notes = changed_code(grid, done, codes, where) if done else (set(), [])
    for note in notes:
        print(note, file=sys.stderr)
    done = {k: v for k, v in done.items() if k not in again}
    return done, _todo(grid, done, retry_failed), codes


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
