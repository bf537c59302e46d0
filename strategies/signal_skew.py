"""Signal skew: centre the quotes on a fair price moved by microprice, imbalance and order-flow signals.

Formula
-------
With the local mid ``m`` (ticks), the native signals ``microprice`` (ticks),
``imbalance`` (top-of-book, in [-1, 1]) and ``ofi`` (Cont-Kukanov-Stoikov
order-flow imbalance, lots, decayed), and position ``q`` (lots)::

    fair = m + micro_weight * (microprice - m)
             + imbalance_ticks * imbalance
             + ofi_ticks * tanh(ofi / ofi_scale)
             - skew * q
    bid  = floor(fair - half_spread)     ask = ceil(fair + half_spread)

A signal that is not yet known (NaN) contributes 0. ``tanh`` bounds the OFI
term to ``+/- ofi_ticks`` however large the flow. Sizes are capped by
``max_position``; quotes never cross the local book.

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets, so each side has at most one
action pending and the order count stays bounded.

Sources: microprice, S. Stoikov, "The micro-price: a high-frequency estimator
of future prices", *Quantitative Finance* 18(12), 2018; order-flow imbalance,
R. Cont, A. Kukanov and S. Stoikov, "The price impact of order book events",
*J. Financial Econometrics* 12(1), 2014; imbalance-skewed quoting, Cartea,
Jaimungal and Penalva (CUP 2015), ch. 10.

Parameters (``strategy.params``)
--------------------------------
half_spread : float, default 1.0
    Distance of each quote from the fair price, ticks.
micro_weight : float, default 1.0
    Weight of the microprice's offset from the mid (1: centre on the microprice).
imbalance_ticks : float, default 0.0
    Shift per unit of top-of-book imbalance, ticks.
ofi_ticks : float, default 0.0
    Largest shift from order-flow imbalance, ticks.
ofi_scale : float, default 10.0
    OFI (lots) at which the OFI shift reaches tanh(1) = 76 % of ``ofi_ticks``.
skew : float, default 0.0
    Inventory skew, ticks per lot of position.
    A per-lot parameter: ``skew: 0.1 per base`` is 0.1 ticks per base unit (BTC), 1e-09 per lot of 1e-08.
size : float, default 1.0
    Quote size, lots.
max_position : float, default 10.0
    Absolute position limit, lots; at least ``size`` (a smaller limit would never let a
    quote of ``size`` through).
"""

from __future__ import annotations

import math

from numba import njit

from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import capped_sizes, ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["SignalSkew", "SignalSkewPython", "signal_skew_rule"]


@njit(cache=True)
def signal_skew_rule(view, params, state, out):
    """Quote ``half_spread`` around a fair price shifted by the microstructure signals."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    mid = 0.5 * (view.best_bid + view.best_ask)
    fair = mid - params.skew * view.position
    micro = view.microprice
    if micro == micro:  # not NaN
        fair += params.micro_weight * (micro - mid)
    imb = view.imbalance
    if imb == imb:
        fair += params.imbalance_ticks * imb
    ofi = view.ofi
    if ofi == ofi and params.ofi_scale > 0.0:
        fair += params.ofi_ticks * math.tanh(ofi / params.ofi_scale)
    bid, ask = post_only_prices(floor_price(fair - params.half_spread), ceil_price(fair + params.half_spread),
                                view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    pos = view.position
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, pos)
    return 1


SignalSkew = numba_strategy(
    signal_skew_rule,
    params={"half_spread": 1.0, "micro_weight": 1.0, "imbalance_ticks": 0.0, "ofi_ticks": 0.0, "ofi_scale": 10.0,
            "skew": 0.0, "size": 1.0, "max_position": 10.0},
    domains={"half_spread": ">= 0", "micro_weight": "finite", "imbalance_ticks": "finite",
             "ofi_ticks": "finite", "ofi_scale": "finite", "skew": "finite", "size": "whole > 0",
             "max_position": "whole > 0 or inf"},
    constraints=["size <= max_position"],
    quantities=["size", "max_position", "ofi_scale"],
    per_quantities=["skew"],
    name="SignalSkew",
)
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
SignalSkew.max_live_orders = 4
SignalSkewPython = SignalSkew.python_class
