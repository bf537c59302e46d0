"""A two-level ladder market maker that flattens its inventory with an IOC past a position limit.

Formula
-------
Reservation price ``r = m - skew * q`` with ``m`` the local mid (ticks) and
``q`` the position (lots). Two target levels per side, ``g = level_gap`` ticks
apart::

    bid_0 = floor(r - half_spread)      bid_1 = bid_0 - g
    ask_0 = ceil(r + half_spread)       ask_1 = ask_0 + g

clamped so the inner levels never cross the local book (post-only). Sizes
``size`` (inner) and ``outer_size`` (outer) are capped so that, filled
together, a side's levels never take the position past ``±max_position``::

    bid_qty_0 = clip(size, 0, max_position - q)
    bid_qty_1 = clip(outer_size, 0, max_position - q - bid_qty_0)      (asks alike with -q)

Each level keeps its own queue position: when the mid moves by less than a
level's distance to the new target, that level's order stays (the engine keeps
a live order whose price and size equal a target) while the other moves.

Flattening: when ``|q|`` exceeds ``flatten_at`` (lots), the rule sends one
immediate-or-cancel order toward flat for ``|q| - flatten_to`` lots, limit
``slippage`` ticks through the local touch (a sell IOC at ``best_bid -
slippage``, a buy at ``best_ask + slippage``); it takes the visible liquidity
up to that price and pays the taker fee, and what it cannot take expires. At
most one such IOC is in flight at a time (``view.n_explicit_live``); its tag
counts the flattening orders sent so far (1, 2, ...), so fills and the order log
tell which one traded.

Requoting: while more than four target orders are live (a replacement still in
flight), the rule keeps its targets, so each level has at most one action
pending and the order count stays bounded: at most 9 live orders (4 being
cancelled, 4 new, one IOC). It needs ``ladder_levels: 2`` and ``max_orders: 9``
or more in the config; mmsim refuses less at load (``max_live_orders``,
``ladder_levels_used``).

Source: the linear skew of Ho and Stoll (J. Financial Economics 9, 1981), quoted
at two depths; controlling inventory with marketable orders alongside limit
orders follows Guilbaud and Pham, "Optimal high-frequency trading with limit
and market orders", Quantitative Finance 13(1), 2013 (there an optimal
threshold; here a fixed limit).

Parameters (``strategy.params``)
--------------------------------
half_spread : float, default 1.0
    Distance of the inner level from the reservation price, ticks.
level_gap : float, default 1.0
    Ticks between the inner and the outer level (rounded to a whole number, at least 1).
size : float, default 1.0
    Inner level size, lots.
outer_size : float, default 2.0
    Outer level size, lots.
skew : float, default 0.1
    Shift of the reservation price per lot of position, ticks/lot.
    A per-lot parameter: ``skew: 0.1 per base`` is 0.1 ticks per base unit (BTC), 1e-09 per lot of 1e-08.
max_position : float, default 10.0
    Position the resting levels may reach, lots; at least ``size`` (a smaller limit would
    never let the inner level quote ``size``).
flatten_at : float, default 8.0
    Past this absolute position (lots) the rule sends an IOC toward flat.
flatten_to : float, default 0.0
    Absolute position the IOC aims for, lots: a whole number, at most ``flatten_at`` (a larger
    target would hold the IOC back until ``|q| >= flatten_to + 1``, past the limit it names).
slippage : float, default 1.0
    Ticks through the local touch the IOC's limit price lies (rounded to a whole number).
"""

from __future__ import annotations

import math

from numba import njit

from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["LadderFlatten", "LadderFlattenPython", "ladder_flatten_rule"]

IOC = 2  # mmsim.records.OrderType.IOC, as a plain constant for the compiled rule


@njit(cache=True)
def ladder_flatten_rule(view, params, state, out):
    """Two levels per side around ``mid - skew * position``; an IOC toward flat past ``flatten_at``."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    q = view.position
    # Flatten: one IOC at a time, sent whatever happens to the targets below.
    excess = abs(q) - params.flatten_to
    if abs(q) > params.flatten_at and excess >= 1 and view.n_explicit_live == 0:
        state[0] += 1.0
        out.n_orders = 1
        out.order_type[0] = IOC
        out.order_tag[0] = int(state[0])
        out.order_qty[0] = math.floor(excess)
        slip = max(0.0, floor_price(params.slippage + 0.5))
        if q > 0:
            out.order_side[0] = -1
            out.order_px[0] = view.best_bid - slip
        else:
            out.order_side[0] = 1
            out.order_px[0] = view.best_ask + slip
    if view.n_live_orders - view.n_explicit_live > 4:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    r = 0.5 * (view.best_bid + view.best_ask) - params.skew * q
    bid, ask = post_only_prices(floor_price(r - params.half_spread), ceil_price(r + params.half_spread),
                                view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    gap = max(1.0, floor_price(params.level_gap + 0.5))
    room_bid = params.max_position - q
    room_ask = params.max_position + q
    bid0 = max(0.0, min(params.size, room_bid))
    ask0 = max(0.0, min(params.size, room_ask))
    out.n_bid_levels = 2
    out.n_ask_levels = 2
    out.bid_ladder_px[0] = bid
    out.bid_ladder_qty[0] = bid0
    out.bid_ladder_px[1] = bid - gap
    out.bid_ladder_qty[1] = max(0.0, min(params.outer_size, room_bid - bid0))
    out.ask_ladder_px[0] = ask
    out.ask_ladder_qty[0] = ask0
    out.ask_ladder_px[1] = ask + gap
    out.ask_ladder_qty[1] = max(0.0, min(params.outer_size, room_ask - ask0))
    return 1


LadderFlatten = numba_strategy(
    ladder_flatten_rule,
    params={"half_spread": 1.0, "level_gap": 1.0, "size": 1.0, "outer_size": 2.0, "skew": 0.1,
            "max_position": 10.0, "flatten_at": 8.0, "flatten_to": 0.0, "slippage": 1.0},
    domains={"half_spread": ">= 0", "level_gap": ">= 1", "size": "whole > 0", "outer_size": "whole > 0",
             "skew": "finite", "max_position": "whole > 0 or inf", "flatten_at": ">= 0 or inf",
             "flatten_to": "whole >= 0", "slippage": ">= 0"},
    constraints=["flatten_to <= flatten_at", "size <= max_position"],
    quantities=["size", "outer_size", "max_position", "flatten_at", "flatten_to"],
    per_quantities=["skew"],
    state_size=1,
    name="LadderFlatten",
)
# What mmsim checks at load (ladder_levels, max_orders): 2 levels a side; at most 9 live orders:
# it requotes only with at most 4 target orders live, and a requote cancels all 4 and sends 4
# (the cancelled stay live until their confirmation): 8; plus one IOC (sent only when none is live).
LadderFlatten.ladder_levels_used = 2
LadderFlatten.max_live_orders = 9
LadderFlattenPython = LadderFlatten.python_class
