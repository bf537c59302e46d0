"""The futures-units warning of a sweep's points, said once under its table for the points it concerns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["units_lines"]

#: Most point ids a warning line names (the others are in results.csv's ``units_warning`` column).
_IDS_SHOWN = 10


def units_lines(rows: Sequence[Mapping[str, Any]], shown: int) -> list[str]:
    """``warning: 2 points (1a2b3c4d, 5e6f7a8b): contract_size is 1 ...``: each distinct warning of the
    finished points (:func:`mmsim.report.setup.units_warning`, recorded as ``units_warning``), once, with
    the points it concerns by the first ``shown`` characters of their ids. Rows without the field (a
    results.jsonl written before it was kept) have none."""
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
