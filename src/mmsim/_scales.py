"""The bounds of the scales that turn ticks and lots into money, one rule wherever a scale is read.

A run's money is ``price (ticks) x tick_size x qty (lots) x lot_size x contract_size``, and its fees
``notional x bps / 10,000`` plus ``qty x per_lot``. Unbounded, ``contract_size: 1e306`` made the cash
``-inf`` while the report said reconciled, and ``maker_bps: 1e300`` a Sharpe of 0 (breaker24). The bounds
are read by :class:`mmsim.Config` (the run config's keys: ``mmsim.config.engine``), a store's ``meta.json``
(``mmsim.data._identity.check_meta``) and ``mmsim synth`` (``mmsim.synth.config``).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FEE_BPS_RULE", "FEE_PER_LOT_RULE", "MAX_FEE_BPS", "MAX_FEE_PER_LOT", "MAX_UNIT", "MIN_UNIT", "UNIT_HIGH",
           "UNIT_RULE", "shown", "unit_problem"]

#: Range of ``tick_size``, ``lot_size`` and ``contract_size``: their product times a price (up to 2**43 ticks) and
#: a size (up to 2**46 lots) stays between about 1e-36 and 1e63, finite and far from float64's underflow, so PnL,
#: notionals and their squares (a Sharpe's variance) are numbers (``tick_size: 1e300`` made every PnL infinite,
#: 1e-300 every PnL 0).
MIN_UNIT, MAX_UNIT = 1e-12, 1e12
#: What a unit must be, in a message (``tick_size must be ...``).
UNIT_RULE = "a positive number from 1e-12 to 1e12"
#: The same, for a finite value over :data:`MAX_UNIT`.
UNIT_HIGH = "at most 1e12 (a price times the tick, lot and contract sizes must stay a finite number)"

#: Most ``|maker_bps|`` and ``|taker_bps|``: 10,000 bps is 100% of the notional; a fee (or a rebate: negative)
#: larger than the trade itself is no venue's, and ``maker_bps: 1e300`` made every fill's fee infinite.
MAX_FEE_BPS = 10_000.0
FEE_BPS_RULE = "a number of basis points from -10000 to 10000 (10000 is 100% of the notional; negative is a rebate)"
#: Most ``|maker_per_lot|`` and ``|taker_per_lot|``, quote currency per lot: the bound of a unit (a per-lot fee is
#: money per lot as ``tick_size`` is money per tick). Venues charge cents to a few dollars a contract; 1e12 times the
#: most lots a fill may hold (2**63) is about 1e31, so fees and their sums over any run stay finite.
MAX_FEE_PER_LOT = MAX_UNIT
FEE_PER_LOT_RULE = "a number of quote currency per lot from -1e12 to 1e12 (negative is a rebate)"


def shown(v: Any) -> str:
    """``v`` as a message quotes it: its ``repr``, but an int of 20 digits or more as ``an integer of 401 digits``
    (a ``contract_size`` of 1 and 400 zeros was quoted whole)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**20:
        try:
            digits = str(len(str(abs(v))))
        except ValueError:  # more than Python's 4300 digits turn into text (sys.get_int_max_str_digits)
            digits = f"about {int(abs(v).bit_length() * 0.30103) + 1}"
        return f"{'a negative' if v < 0 else 'an'} integer of {digits} digits"
    return repr(v)


def unit_problem(v: Any) -> str | None:
    """Why ``v`` is not a ``tick_size`` / ``lot_size`` / ``contract_size`` (a number, not a bool, in
    [:data:`MIN_UNIT`, :data:`MAX_UNIT`]), else None: the words after the key in a message (``must be a positive
    number from 1e-12 to 1e12, got 1e-300``; above the range, ``+inf`` and a 401-digit integer included, ``must be
    at most 1e12 ..., got an integer of 401 digits``: :func:`shown`)."""
    # an int is compared as it is: math.isfinite(10**400) raised OverflowError
    number = not isinstance(v, bool) and isinstance(v, (int, float)) and v == v  # not NaN
    if number and v > MAX_UNIT:  # +inf too: above the bound, not "not a positive number"
        return f"must be {UNIT_HIGH}, got {shown(v)}"
    if not number or (isinstance(v, float) and not math.isfinite(v)) or not v >= MIN_UNIT:
        return f"must be {UNIT_RULE}, got {shown(v)}"
    return None
