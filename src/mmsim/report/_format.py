"""Number formatting shared by the report's tables (terminal and HTML)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["_ci", "_money", "_num", "_pct", "format_span"]


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


def format_span(ns: int) -> str:
    """A span of data (first to last event) as every report, comparison and table prints it.

    Under 119.5 s in seconds to 3 significant digits (``59.9 s``, ``0.25 s``); under an hour
    in minutes and seconds (``5m45s``); from an hour in hours and minutes (``2h00m``). Always
    rounded to the nearest last unit shown, halves up: 5 min 44.561 s is ``5m45s`` and 1 h 59 min
    59.3 s is ``2h00m`` (docs/reports.md, "What was run").
    """
    ns = int(ns)
    if ns < 0:
        return "-" + format_span(-ns)
    if 0 < ns < 1_000_000:  # under a millisecond in the unit that reads it (1 ns read 1e-09 s)
        from ..config._units import format_ns

        return format_ns(ns)
    if ns < 119_500_000_000:  # 119.5 s and up would read 120 s: 2m00s
        return f"{ns / 1e9:.3g} s"
    sec = (ns + 500_000_000) // 1_000_000_000
    if sec < 3600:
        return f"{sec // 60}m{sec % 60:02d}s"
    h, m = divmod((ns + 30_000_000_000) // 60_000_000_000, 60)
    return f"{h}h{m:02d}m"
