"""The sweep table's number cells: a fixed number of decimals per metric, the rule of its unit
(:data:`mmsim.sweep.metrics.UNIT_DECIMALS`), so a column reads the same whatever other points a sweep holds.

The digits used to be chosen per column, as few as told its distinct values apart from where its largest
value read with 3 significant digits: the same point's markout read ``-1.23`` in one sweep and ``-1.2304``
in another that held a neighbour at ``-1.2261``. Now they are a rule of the metric alone.
"""

from __future__ import annotations

import math

__all__ = ["interval_cell", "number_cell", "percent_cell"]


def number_cell(v: float, decimals: int = 2) -> str:
    """``v`` with ``decimals`` decimals, grouped by thousands (``48,089``, ``-1.161``), never in exponent form.
    A value that is not zero but would read as zero shows 2 significant digits (``-0.0029``: a PnL of tiny
    orders read ``0.00``, hiding its sign, beside a Δ PnL of ``0.0117``); 0 reads ``0.00``, never ``-0.00``."""
    text = f"{v:,.{decimals}f}"
    if text.strip("-0.,"):
        return text
    if v == 0:
        return text.lstrip("-")
    from decimal import Decimal

    # below 1e-9 (a float's rounding, nothing measured) the exponent, not hundreds of zeros
    return format(Decimal(f"{v:.2g}"), "f") if abs(v) >= 1e-9 else f"{v:.1e}"


def percent_cell(v: float, digits: int = 1) -> str:
    """A fraction in percent with ``digits`` decimals (``57.0%``; ``mmsim report``'s form at 1)."""
    return f"{100.0 * v:.{digits}f}%"


def interval_cell(est: float, lo: float | None, hi: float | None, decimals: int = 2) -> str:
    """``estimate [ci_low, ci_high]`` of a difference, each number as :func:`number_cell` with ``decimals``
    (its unit's, as the metric's own column): ``-1.000 [-1.750, -0.625]``, ``-200.00 [-201.00, -199.50]``.

    The bounds take the unit's decimals, or more when the interval is narrow: enough for 2 significant digits
    of its width (``0.00046 [-0.122, 0.135]`` ticks: an estimate that would read as zero shows 2 significant
    digits, its wide interval does not need them; ``0.00420 [0.00410, 0.00430]``, never ``0.004 [0.004,
    0.004]``: a real interval never reads as a point; the estimate then takes them too). A bound that would
    still read as zero keeps 2 significant digits and its sign (whether the interval spans 0 is the verdict).
    ``[no CI]`` without both bounds."""
    if lo is None or hi is None:
        return f"{number_cell(est, decimals)} [no CI]"
    width = hi - lo
    d = decimals if not width > 0 else max(decimals, min(decimals + 12, math.ceil(-math.log10(width)) + 1))
    text = number_cell(est, d)
    return f"{text} [{number_cell(lo, d)}, {number_cell(hi, d)}]"
