"""Symmetric fixed-spread quoting: the baseline every other market maker is measured against.

Formula
-------
With the local mid ``m = (best_bid + best_ask) / 2`` (ticks)::

    bid = floor(m - half_spread)        ask = ceil(m + half_spread)

both for ``size`` lots, clamped so a post-only quote never crosses the local
book (``bid <= best_ask - 1``, ``ask >= best_bid + 1``). No inventory control:
this is the strategy adverse selection hurts most, which makes it the control
arm of a study.

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets, so each side has at most one
action pending and the order count stays bounded.

Source: the textbook constant-spread dealer (e.g. Cartea, Jaimungal and
Penalva, *Algorithmic and High-Frequency Trading*, CUP 2015, ch. 10).

Parameters (``strategy.params``)
--------------------------------
half_spread : float, default 1.0
    Distance of each quote from the mid, ticks.
size : float, default 1.0
    Quote size, lots.
"""

from __future__ import annotations


from numba import njit

from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["FixedSpread", "FixedSpreadPython", "fixed_spread_rule"]


@njit(cache=True)
def fixed_spread_rule(view, params, state, out):
    """Quote ``half_spread`` ticks either side of the local mid; no change while a side is empty."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    mid = 0.5 * (view.best_bid + view.best_ask)
    bid, ask = post_only_prices(floor_price(mid - params.half_spread), ceil_price(mid + params.half_spread),
                                view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):  # a locked/crossed local book: wait for it to clear
        return 0
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


#: Fast path (numba callback inside the engine loop).
FixedSpread = numba_strategy(
    fixed_spread_rule, params={"half_spread": 1.0, "size": 1.0},
    domains={"half_spread": ">= 0", "size": "whole > 0"}, quantities=["size"], name="FixedSpread")
#: Python path: an mmsim.Strategy calling the same rule.
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
FixedSpread.max_live_orders = 4
FixedSpreadPython = FixedSpread.python_class
