"""Number formatting shared by the report's tables (terminal and HTML)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["_ci", "_money", "_num", "_pct"]


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return f"{int(x):,}"
    text = f"{float(x):,.{digits}f}"
    # A value that rounds to zero prints as 0.00, not -0.00 (which would read as a loss).
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _money(x: Any) -> str:
    return _num(x, 2)


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100.0 * float(x):.1f}%"


def _ci(stats: Any, digits: int = 2) -> str:
    """A :func:`~mmsim.report.markouts.summarize` interval as ``[lo, hi]``; ``all equal`` when the values
    have no spread (two or more, standard deviation 0: no interval, docs/reports.md); ``–`` otherwise."""
    if stats.get("ci_low") is not None:
        return f"[{_num(stats['ci_low'], digits)}, {_num(stats['ci_high'], digits)}]"
    return "all equal" if (stats.get("n") or 0) >= 2 and stats.get("std") == 0 else "–"
