"""The benchmark's quoting rule, shared verbatim by the mmsim and the hftbacktest sides.

Both ``bench/vs_hftbacktest.py`` (mmsim's environment) and
``bench/_hbt_runner.py`` (hftbacktest's own environment) import this module, so
"the same strategy logic" is the same jitted function, not two copies that
could drift. It imports numba only, which both environments have.

The rule: a symmetric quoter at the touch with a linear inventory skew.
Prices in ticks, sizes and position in lots::

    skew = round(skew_ticks_per_lot * position)
    bid  = min(best_bid - skew, best_ask - 1)     # never crosses: post-only would reject it
    ask  = max(best_ask - skew, best_bid + 1)

It wants a bid of ``qty`` while ``position + qty <= max_position`` and an ask
while ``position - qty >= -max_position``. Being long (skew > 0) moves both
quotes down, so the ask is hit more and the bid less; short, the other way.
"""

from __future__ import annotations

from numba import njit

__all__ = ["quote_targets"]


@njit(cache=True)
def quote_targets(best_bid, best_ask, position, qty, max_position, skew_ticks_per_lot):
    """Target quotes for one decision.

    Parameters
    ----------
    best_bid, best_ask : int
        The local book's best prices, ticks; the caller checks both sides exist.
    position : int
        Current position as the fill reports tell it, lots.
    qty : int
        Order size, lots.
    max_position : int
        Largest absolute position a fill may reach, lots.
    skew_ticks_per_lot : float
        Ticks both quotes move down per lot of long position.

    Returns
    -------
    (bid_px, bid_qty, ask_px, ask_qty) : tuple of int
        Prices in ticks; a size of 0 means no order on that side.
    """
    skew = int(round(skew_ticks_per_lot * position))
    bid_px = min(best_bid - skew, best_ask - 1)
    ask_px = max(best_ask - skew, best_bid + 1)
    bid_qty = qty if position + qty <= max_position else 0
    ask_qty = qty if position - qty >= -max_position else 0
    return bid_px, bid_qty, ask_px, ask_qty
