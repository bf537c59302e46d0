"""The sweep table's number cells: a fixed number of decimals per metric, the rule of its unit
(:data:`mmsim.sweep.metrics.UNIT_DECIMALS`), so a column reads the same whatever other points a sweep holds.

The digits used to be chosen per column, as few as told its distinct values apart from where its largest
value read with 3 significant digits: the same point's markout read ``-1.23`` in one sweep and ``-1.2304``
in another that held a neighbour at ``-1.2261``. Now they are a rule of the metric alone.
"""

from __future__ import annotations

__all__ = ["number_cell", "percent_cell"]


def number_cell(v: float, decimals: int = 2) -> str:
    """``v`` with ``decimals`` decimals, grouped by thousands (``48,089``, ``-1.161``), never in exponent form;
    a value that reads as zero reads ``0.0``, never ``-0.0`` (so a column's -0.04 and 0.03 do not pass for
    two different values at one decimal)."""
    text = f"{v:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def percent_cell(v: float, digits: int = 1) -> str:
    """A fraction in percent with ``digits`` decimals (``57.0%``; ``mmsim report``'s form at 1)."""
    return f"{100.0 * v:.{digits}f}%"
