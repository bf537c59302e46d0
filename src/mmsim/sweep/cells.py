"""The digits of a sweep table's number cells: per column, as few as tell its distinct values apart.

A cell read with 3 significant digits (``-1.23``, ``44,182``) and the toxic share with one decimal
(``57.0%``), whatever the column held: two points whose markouts were -1.2304 and -1.2261 both read
``-1.23``, and a latency curve's neighbours looked equal. Each column now takes the fewest digits, from
those (3 significant, 1 decimal of a percent) up to :data:`MAX_DIGITS`, with which every two distinct
values of the column read differently, as ``mmsim report``'s information-age buckets do; values that
are equal read alike, and a column whose values already differ keeps the short form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["MAX_DIGITS", "column_digits", "number_cell", "percent_cell"]

#: Most significant digits a cell gets (a float64 difference past it is rounding, not a result).
MAX_DIGITS = 12


def number_cell(v: float, digits: int = 3) -> str:
    """``v`` with ``digits`` significant digits, grouped by thousands; a number of ``digits`` or more
    integer digits whole (``44,182``), never in exponent form."""
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:,.{digits}g}"


def percent_cell(v: float, digits: int = 1) -> str:
    """A fraction in percent with ``digits`` decimals (``57.0%``; ``mmsim report``'s form at 1)."""
    return f"{100.0 * v:.{digits}f}%"


def column_digits(values: Sequence[Any], fmt: Callable[[float, int], str], start: int) -> int:
    """The fewest digits from ``start`` with which ``fmt`` tells every two distinct finite floats of
    ``values`` apart; ints, None, NaN and the rest are left out. Values that differ only past
    ``start + MAX_DIGITS - 3`` digits (float rounding: ``0.1 + 0.2`` and ``0.3``) count as equal: they
    do not raise the whole column to that many digits."""
    nums = sorted({float(v) for v in values if isinstance(v, float) and math.isfinite(v)})
    most = start + MAX_DIGITS - 3
    target = len({fmt(v, most) for v in nums})  # the values the most digits tell apart
    digits = start
    while digits < most and len({fmt(v, digits) for v in nums}) < target:
        digits += 1
    return digits
