"""The futures-units warning of a sweep's points, said once under its table for the points it concerns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .._json import loads_unique

__all__ = ["point_units_warning", "units_lines"]

#: Most point ids a warning line names (the others are in results.csv's ``units_warning`` column).
_IDS_SHOWN = 10


def units_lines(rows: Sequence[Mapping[str, Any]], shown: int) -> list[str]:
    """``warning: 2 points (1a2b3c4d, 5e6f7a8b): contract_size is 1 ...``: each distinct warning of the
    finished points (:func:`mmsim.report.setup.units_warning`, recorded as ``units_warning``), once, with
    the points it concerns by the first ``shown`` characters of their ids (a record written before the
    field was kept gets it from :func:`point_units_warning` when the sweep reads it back)."""
    by: dict[str, list[str]] = {}
    for r in rows:
        w = r.get("units_warning")
        if r.get("status") == "ok" and isinstance(w, str) and w:
            by.setdefault(w, []).append(str(r.get("id"))[:shown])
    lines = []
    for w, ids in by.items():
        named = ", ".join(ids[:_IDS_SHOWN]) + (f", ... {len(ids) - _IDS_SHOWN} more" if len(ids) > _IDS_SHOWN else "")
        lines.append(f"warning: {len(ids)} point{'s' if len(ids) != 1 else ''} ({named}): {w}")
    return lines


def point_units_warning(rec: Mapping[str, Any], point: Any) -> str | None:
    """A finished point's futures-units warning: its record's ``units_warning``, or, for a record written before
    the field was kept, the warning worked out again from the point's config and its store's ``meta.json`` (the
    venue and the store's ``contract_size``, what the point's result held). None for a failed point, and when
    the store's ``meta.json`` cannot be read (the point's report said nothing more then either)."""
    if "units_warning" in rec:
        w = rec["units_warning"]
        return w if isinstance(w, str) and w else None
    if rec.get("status") != "ok" or point is None:
        return None
    from ..report.setup import units_warning

    cfg = point.config.engine
    try:
        meta = loads_unique((Path(point.config.data) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(meta, dict):
        return None
    size = cfg.contract_size if cfg.contract_size is not None else meta.get("contract_size", 1.0) or 1.0
    try:
        size = float(size)
    except (TypeError, ValueError):
        return None
    return units_warning(SimpleNamespace(contract_size=size), cfg, meta)
