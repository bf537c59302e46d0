"""What a resumed sweep's records are held to beyond each field's own form (:mod:`.record_values`): the text a
comparison row derives from its figures, worked out again rather than read back (:func:`rederive`), and what a run
guarantees between a record and its grid, its event store and its baseline point's record (:func:`bad_reused`).

breaker28: a 10ms record without its ``markout@1s`` row resumed with exit 0 and the verdict ``fills: worse (mk
100ms, spread)`` where the run said ``worse (mk 100ms, mk 1s, spread)``; a ``markout@5s`` row no run writes, a
baseline PnL of -5.0 where the baseline point's own record says -2.39, ``"n_events": 99999`` (the summary's events
replayed) and a row's ``"verdict": "great"`` (results.csv) were shown as the run's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._json import loads_unique
from ..analysis._bootstrap import PairedInterval
from ..analysis.comparison import pnl_name, verdict
from ..config import format_ns
from .paired import LABELS, horizons_of

__all__ = ["bad_reused", "rederive"]

_PNL, _SHARE = "pnl_per_day", "two_sided"
#: Rows every comparison has besides its markouts; ``two_sided`` is absent from records of an earlier mmsim.
_FIXED = ("spread_capture", _PNL)
_OPTIONAL = (_SHARE,)
#: The relative gap allowed between a point's ``a`` (its baseline's figure) and the baseline point's own: the same
#: fills summed over other buckets (a point's fills add buckets), in another order.
_REL = 1e-6


def rederive(rec: dict[str, Any]) -> None:
    """Set each comparison row's ``label``, ``unit`` and ``verdict`` to what a run derives from its figures
    (:func:`mmsim.analysis.comparison.compare_rows`): the text is never read back (a ``"verdict": "great"`` went
    into results.csv). ``rec`` has passed :func:`~mmsim.sweep.record_values.bad_field`."""
    cmp = rec.get("comparison")
    if not isinstance(cmp, Mapping) or not isinstance(cmp.get("rows"), dict):
        return
    rows = cmp["rows"]
    n_days, span_ns = cmp.get("n_days"), cmp.get("span_ns")
    for name, row in rows.items():
        money = share = False
        if name.startswith("markout@"):
            what, unit = f"{name[len('markout@'):]} markout", "ticks/lot"
        elif name == "spread_capture":
            what, unit = "spread capture", "ticks/lot"
        elif name == _PNL:  # a record of an earlier mmsim, without n_days: its PnL was per day
            what = pnl_name(n_days, span_ns) if n_days is not None and span_ns is not None else "PnL per day"
            unit, money = ("quote currency/day" if what == "PnL per day" else "quote currency"), True
        else:
            what, unit, share = "two-sided time", "fraction of time", True
        support = row.get("support")
        d = PairedInterval(row["estimate"], row["ci_low"], row["ci_high"], row["confidence"], row["block"],
                           row["n_buckets"], row["n_boot"], row["n_valid"], None if support is None else tuple(support))
        row.update(label=what, unit=unit,
                   verdict=verdict(LABELS[0], LABELS[1], what, "" if money or share else unit, d, money=money,
                                   share=share))


def bad_reused(rec: Mapping[str, Any], grid: Any, point: Any, done: Mapping[str, Mapping[str, Any]],
               stores: dict[str, Any]) -> str | None:
    """Why ``rec``, the record of the grid's ``point`` a resumed sweep reuses, is not what a run of it writes,
    judged against the grid, the point's event store and its baseline point's record in ``done``; None when it is.

    - a comparison's markout rows are those of the horizons compared (the grid's ``compare.horizons``, else its
      baseline point's ``report.horizons``): one per horizon, even without fills, and no other;
    - a row's ``a`` (the baseline point's figure) is the baseline point's own record's, for the markouts, spread
      capture and PnL (the two-sided time's depends on the pair's buckets), and so are ``n_days`` and ``span_ns``
      (the events': the same for both);
    - a point the sweep's own replay ran (its record has ``pass``: a shared pass, or ``default_point``'s pass of one
      run; a custom ``point_fn``'s has none) on the store whose events its ``events_digest`` names replayed its
      meta.json's ``event_count`` events, or some of them when it failed.
    """
    why = _bad_events(rec, point, stores)
    if why is None and grid.baseline is not None and rec.get("status") == "ok":
        why = _bad_rows(rec, grid, point, done)
    return why


def _bad_events(rec: Mapping[str, Any], point: Any, stores: dict[str, Any]) -> str | None:
    n = rec.get("n_events")
    if n is None or "pass" not in rec or rec.get("events_digest") is None:
        return None
    path = str(point.config.data or "")
    if path not in stores:
        try:
            stores[path] = loads_unique((Path(path) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stores[path] = None
    meta = stores[path]
    if not isinstance(meta, dict) or meta.get("events_digest") != rec["events_digest"]:
        return None
    count = meta.get("event_count")
    if not (isinstance(count, int) and not isinstance(count, bool)):
        return None
    if rec.get("status") == "ok" and n != count:
        return (f'its "n_events" is {n}, but the store it replayed ({path}, the events its events_digest names) '
                f"holds {count} (its meta.json event_count): a finished point replays every event")
    if n > count:
        return (f'its "n_events" is {n}, but the store it replayed ({path}, the events its events_digest names) '
                f"holds {count} (its meta.json event_count): a failed point replays some of them")
    return None


def _bad_rows(rec: Mapping[str, Any], grid: Any, point: Any, done: Mapping[str, Mapping[str, Any]]) -> str | None:
    cmp = rec.get("comparison")
    if not isinstance(cmp, Mapping):
        return None
    rows = cmp.get("rows")
    plan = grid.baseline
    bid = plan.of.get(point.id)
    if not isinstance(rows, Mapping) or bid is None or cmp.get("id") != bid:
        return None
    base = next((p for p in grid.points if p.id == bid), None)
    if base is None:
        return None
    hs = horizons_of(plan.settings, base.config)
    whence = "compare.horizons" if plan.settings.horizons is not None else "the baseline point's report.horizons"
    horizons = ", ".join(format_ns(h) for h in hs)
    want = [f"markout@{format_ns(h)}" for h in hs] + list(_FIXED)
    for name in rows:
        if name not in want and name not in _OPTIONAL:
            return (f"its comparison.rows has the key {json.dumps(name)}, which a run of this grid does not write "
                    f"there: it compares the horizons {horizons} ({whence})")
    for name in want:
        if name not in rows:
            return (f"its comparison.rows has no {json.dumps(name)}, which a run of this grid writes there: one "
                    f"markout row per horizon compared, {horizons} ({whence}), with fills or without")
    own = done.get(bid)
    own_cmp = own.get("comparison") if own is not None and own.get("status") == "ok" else None
    if not isinstance(own_cmp, Mapping) or not own_cmp.get("is_baseline") or bid == point.id:
        return None
    own_rows = own_cmp.get("rows")
    if not isinstance(own_rows, Mapping):
        return None
    for key in ("n_days", "span_ns"):  # the events' days and span: the same events, the same figures
        if key in cmp and key in own_cmp and cmp[key] != own_cmp[key]:
            return (f"its comparison.{key} is {cmp[key]}, but the baseline point {bid[:8]}'s own record has "
                    f"{own_cmp[key]}: a run takes it from the events both replayed")
    for name, row in rows.items():
        theirs = own_rows.get(name)
        if name == _SHARE or not isinstance(theirs, Mapping):
            continue
        a, a0 = row["a"], theirs["a"]
        if (a is None) != (a0 is None) or a is not None and abs(a - a0) > _REL * max(1.0, abs(a), abs(a0)):
            return (f"its comparison.rows[{json.dumps(name)}].a is {json.dumps(a)}, but the baseline point "
                    f"{bid[:8]}'s own record has {json.dumps(a0)}: a run's a is the baseline point's figure")
    return None
