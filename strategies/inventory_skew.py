"""Linear inventory skew with hard position limits.

Formula
-------
Reservation price ``r = m - skew * q`` with ``m`` the local mid (ticks) and
``q`` the position (lots)::

    bid = floor(r - half_spread)        ask = ceil(r + half_spread)
    bid_qty = clip(size, 0, max_position - q)
    ask_qty = clip(size, 0, max_position + q)

A long position lowers both quotes (sell sooner, buy later); at the limit the
side that would grow the position is pulled. Quotes are clamped so they never
cross the local book.

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets, so each side has at most one
action pending and the order count stays bounded.

Source: the linear-skew approximation of inventory-averse dealers (Ho and
Stoll, "Optimal dealer pricing under transactions and return uncertainty",
J. Financial Economics 9, 1981; the small-inventory limit of Avellaneda and
Stoikov 2008).

Parameters (``strategy.params``)
--------------------------------
half_spread : float, default 1.0
    Distance of each quote from the reservation price, ticks.
skew : float, default 0.1
    Shift of the reservation price per lot of position, ticks/lot.
    A per-lot parameter: ``skew: 0.1 per base`` is 0.1 ticks per base unit (BTC), 1e-09 per lot of 1e-08.
size : float, default 1.0
    Quote size, lots.
max_position : float, default 10.0
    Absolute position limit, lots; at least ``size`` (a smaller limit would never let a
    quote of ``size`` through).
"""

from __future__ import annotations


from numba import njit

from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import capped_sizes, ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["InventorySkew", "InventorySkewPython", "inventory_skew_rule"]


@njit(cache=True)
def inventory_skew_rule(view, params, state, out):
    """Quote around ``mid - skew * position``; cap sizes at the position limit."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    q = view.position
    r = 0.5 * (view.best_bid + view.best_ask) - params.skew * q
    bid, ask = post_only_prices(floor_price(r - params.half_spread), ceil_price(r + params.half_spread),
                                view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, q)
    return 1


InventorySkew = numba_strategy(
    inventory_skew_rule,
    params={"half_spread": 1.0, "skew": 0.1, "size": 1.0, "max_position": 10.0},
    domains={"half_spread": ">= 0", "skew": "finite", "size": "whole > 0", "max_position": "whole > 0 or inf"},
    constraints=["size <= max_position"],
    quantities=["size", "max_position"],
    per_quantities=["skew"],
    name="InventorySkew",
)
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
InventorySkew.max_live_orders = 4
InventorySkewPython = InventorySkew.python_class
