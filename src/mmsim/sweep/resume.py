"""What a resumed sweep runs: the points not recorded, failed ones with ``--retry-failed``, those compared
otherwise than the grid asks, and those whose strategy's code or whose event store's events changed since they
were recorded, or the keys of its ``meta.json`` that say what those events mean (``contract_size``...)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._json import loads_unique
from ..data._meta_digest import MEANING, MEANING_KEYS, key_digest
from ..events import digest_problem
from .code import changed_code, current_codes, with_followers

__all__ = ["DATA_FIELD", "MEANING_FIELD", "changed_data", "changed_keys", "current_digests", "current_meanings",
           "meaning_of", "resume"]

#: The record's field that holds the ``events_digest`` of the point's event store when it ran.
DATA_FIELD = "events_digest"

#: The record's field that holds the values of the keys of the point's store's ``meta.json`` that say what its
#: events mean (:data:`mmsim.data._meta_digest.MEANING_KEYS`) when it ran: one ``events_digest`` is the same events,
#: not the same figures (``contract_size`` 1 then 100 scales every PnL figure by 100: breaker36 F2). Absent from a
#: record of an earlier mmsim; null where the point read no store.
MEANING_FIELD = "store_meaning"


def meaning_of(meta: Any) -> dict[str, Any] | None:
    """The :data:`MEANING_FIELD` of a record of a point run on a store of ``meta`` (None: no meta)."""
    return {k: meta.get(k) for k in MEANING_KEYS} if isinstance(meta, Mapping) else None


def _metas(points: Iterable[Any]) -> dict[str, Any]:
    """Each point's event store path -> its ``meta.json`` as read now (None: none there, or not JSON)."""
    out: dict[str, Any] = {}
    for p in points:
        path = str(p.config.data or "")
        if path and path not in out:
            try:
                out[path] = loads_unique((Path(path) / "meta.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                out[path] = None
    return out


def current_meanings(points: Iterable[Any]) -> dict[str, dict[str, Any] | None]:
    """Each point's event store path -> the values of its ``meta.json``'s meaning keys now (:func:`meaning_of`)."""
    return {path: meaning_of(meta) for path, meta in _metas(points).items()}


def current_digests(points: Iterable[Any]) -> dict[str, str | None]:
    """Each point's event store path -> the ``events_digest`` its ``meta.json`` holds now (None: no store there,
    one written before stores carried it, or a value that is not a digest)."""
    out: dict[str, str | None] = {}
    for path, meta in _metas(points).items():
        digest = meta.get(DATA_FIELD) if isinstance(meta, dict) else None
        # a digest of the form a store writes, else none: a custom point_fn's record is given it unverified, and
        # a resume refuses a record whose events_digest has another form (record_values; fix27b)
        out[path] = digest if digest_problem(digest) is None else None
    return out


def changed_data(grid: Any, done: Mapping[str, Mapping[str, Any]], digests: Mapping[str, str | None],
                 where: str) -> tuple[set[str], list[str]]:
    """The recorded points to run again because their store's events changed since (its ``events_digest`` is not
    the recorded one: the store was converted again at the same path, ``--trade-implied-book`` say), or the same
    events now mean otherwise (a key of :data:`MEANING_FIELD` whose value is not the recorded one: the store written
    again with another ``contract_size``), with the points compared with such a baseline point, and the notes that
    say so. A record without the field (an earlier mmsim) or a store without a digest is reused as before (point
    ids name the store's path)."""
    again: dict[str, list[str]] = {}
    meant: dict[tuple[str, str, str, str], list[str]] = {}
    meanings = current_meanings(grid.points) if done else {}
    for p in grid.points:
        rec = done.get(p.id)
        if rec is None:
            continue
        path = str(p.config.data or "")
        now = digests.get(path)
        if now is not None and rec.get(DATA_FIELD) not in (None, now):
            again.setdefault(path, []).append(p.id)
        else:
            for key in changed_keys(rec.get(MEANING_FIELD), meanings.get(path)):
                then, at = rec[MEANING_FIELD][key], (meanings[path] or {}).get(key)
                meant.setdefault((path, key, json.dumps(then), json.dumps(at)), []).append(p.id)
    ids = {i for v in [*again.values(), *meant.values()] for i in v}
    notes = [f"mmsim sweep: the events of store {path} changed since {len(v)} of its points "
             f"{'was' if len(v) == 1 else 'were'} recorded in {where} (its meta.json events_digest); running "
             f"{'it' if len(v) == 1 else 'them'} again" for path, v in again.items()]
    notes += [f"mmsim sweep: store {path}'s meta.json {key} is {at}, but {len(v)} of its points "
              f"{'was' if len(v) == 1 else 'were'} recorded in {where} on {key} {then} ({key} says what its events "
              f"mean: {MEANING[key]}); running {'it' if len(v) == 1 else 'them'} again"
              for (path, key, then, at), v in meant.items()]
    return with_followers(grid, done, ids, notes), notes


def changed_keys(then: Any, now: Mapping[str, Any] | None) -> list[str]:
    """Every key of a record's :data:`MEANING_FIELD` ``then`` whose value is not the store's ``now`` (as a store's
    ``meta_digest`` reads them: a size of ``1`` is ``1.0``), in :data:`MEANING_KEYS` order (each said in its own note:
    breaker37 F2, a store written again with another ``tick_size`` and ``symbol`` named the symbol alone); none for a
    record of an earlier mmsim (no field), one of a point that read no store (null), or a store with no meta.json now
    (its point fails as it did)."""
    if not isinstance(then, Mapping) or now is None:
        return []
    return [k for k in MEANING_KEYS if k in then and key_digest(k, then[k]) != key_digest(k, now.get(k))]


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
