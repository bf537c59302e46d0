"""The digits of a sweep table's number cells: per column, one number of decimals, as few as tell its
distinct values apart.

A cell read with 3 significant digits (``-1.23``, ``44,182``) and the toxic share with one decimal
(``57.0%``), whatever the column held: two points whose markouts were -1.2304 and -1.2261 both read
``-1.23``, and a latency curve's neighbours looked equal. Each column now has one number of decimals
(so its cells line up at the decimal point, as in a printed table): it starts where the column's
largest value reads with 3 significant digits (``-4.44``, ``48,089``; 1 decimal of a percent for the
toxic share) and grows, up to :data:`MAX_DIGITS` more, until every two distinct values of the column
read differently, as ``mmsim report``'s information-age buckets do; values that are equal read alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["MAX_DIGITS", "column_digits", "number_cell", "percent_cell", "start_decimals"]

#: Most digits a column adds to its start (a float64 difference past them is rounding, not a result).
MAX_DIGITS = 9


def number_cell(v: float, decimals: int = 2) -> str:
    """``v`` with ``decimals`` decimals, grouped by thousands (``48,089``, ``-1.161``), never in exponent form;
    a value that reads as zero reads ``0.0``, never ``-0.0`` (so a column's -0.04 and 0.03 do not pass for
    two different values at one decimal: they get two)."""
    text = f"{v:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def start_decimals(values: Sequence[Any], significant: int = 3) -> int:
    """The decimals with which the largest finite float of ``values`` (in magnitude) reads with
    ``significant`` digits: 2 for ``-4.44``, 0 for ``48,089``, 4 for ``0.0500``; ``significant - 1``
    when there is none (or it is 0)."""
    nums = [abs(float(v)) for v in values if isinstance(v, float) and math.isfinite(v) and v != 0.0]
    if not nums:
        return significant - 1
    return max(0, significant - (math.floor(math.log10(max(nums))) + 1))


def percent_cell(v: float, digits: int = 1) -> str:
    """A fraction in percent with ``digits`` decimals (``57.0%``; ``mmsim report``'s form at 1)."""
    return f"{100.0 * v:.{digits}f}%"


def column_digits(values: Sequence[Any], fmt: Callable[[float, int], str], start: int) -> int:
    """The fewest digits (decimals) from ``start`` with which ``fmt`` tells every two distinct finite
    floats of ``values`` apart; ints, None, NaN and the rest are left out. Values that differ only past
    ``start + MAX_DIGITS`` digits (float rounding: ``0.1 + 0.2`` and ``0.3``) count as equal: they do
    not raise the whole column to that many digits."""
    nums = sorted({float(v) for v in values if isinstance(v, float) and math.isfinite(v)})
    most = start + MAX_DIGITS
    target = len({fmt(v, most) for v in nums})  # the values the most digits tell apart
    digits = start
    while digits < most and len({fmt(v, digits) for v in nums}) < target:
        digits += 1
    return digits
