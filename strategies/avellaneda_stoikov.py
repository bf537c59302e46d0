"""Avellaneda-Stoikov (2008): reservation price and optimal spread of a CARA market maker.

Formula
-------
With ``s`` the local mid (ticks), ``q = position / size`` the inventory in
quote units, ``sigma`` the mid volatility (ticks per sqrt(second)), ``gamma``
the risk aversion (1/tick), ``k`` the decay of the fill intensity
``lambda(delta) = A exp(-k delta)`` (1/tick) and ``tau`` the horizon (s)::

    r     = s - q * gamma * sigma**2 * tau                    reservation price
    delta = gamma * sigma**2 * tau + (2 / gamma) * ln(1 + gamma / k)   total spread
    bid   = floor(r - delta / 2)         ask = ceil(r + delta / 2)

``tau`` is a constant horizon (the stationary form most implementations run,
rather than a session clock counting down to ``T``). When the ``sigma``
parameter is 0 the rule reads the native ``volatility`` signal (EWMA of mid
changes, ticks per sqrt(second)) and keeps its quotes until that is known.
Sizes are capped by ``max_position`` as in :mod:`inventory_skew`.

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets, so each side has at most one
action pending and the order count stays bounded.

Source: M. Avellaneda and S. Stoikov, "High-frequency trading in a limit order
book", *Quantitative Finance* 8(3), 217-224, 2008, eqs. (29)-(30).

Parameters (``strategy.params``)
--------------------------------
gamma : float, default 0.1
    Risk aversion, 1/tick.
    Not per lot: it multiplies ``q = position / size``, quotes held, and its spread term
    assumes quotes of ``size``, so it means the same on every lot (no unit).
k : float, default 0.5
    Fill-intensity decay, 1/tick (fit it with ``glft.fit_intensity``).
sigma : float, default 0.0
    Mid volatility, ticks per sqrt(second); 0 reads the ``volatility`` signal.
horizon_s : float, default 1.0
    ``tau``, seconds.
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

__all__ = ["AvellanedaStoikov", "AvellanedaStoikovPython", "avellaneda_stoikov_rule"]


@njit(cache=True)
def avellaneda_stoikov_rule(view, params, state, out):
    """Quote ``r -/+ delta/2`` with the AS reservation price ``r`` and spread ``delta``."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    sigma = params.sigma
    if sigma <= 0.0:
        sigma = view.volatility
        if not (sigma >= 0.0):  # NaN until the signal has seen mid changes
            return 0
    gamma = params.gamma
    q = view.position / params.size
    var_tau = sigma * sigma * params.horizon_s
    s = 0.5 * (view.best_bid + view.best_ask)
    r = s - q * gamma * var_tau
    delta = gamma * var_tau + (2.0 / gamma) * math.log(1.0 + gamma / params.k)
    bid, ask = post_only_prices(floor_price(r - 0.5 * delta), ceil_price(r + 0.5 * delta), view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    pos = view.position
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, pos)
    return 1


AvellanedaStoikov = numba_strategy(
    avellaneda_stoikov_rule,
    params={"gamma": 0.1, "k": 0.5, "sigma": 0.0, "horizon_s": 1.0, "size": 1.0, "max_position": 10.0},
    domains={"gamma": "> 0", "k": "> 0", "sigma": ">= 0", "horizon_s": ">= 0", "size": "whole > 0",
             "max_position": "whole > 0 or inf"},
    constraints=["size <= max_position"],
    quantities=["size", "max_position"],
    name="AvellanedaStoikov",
)
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
AvellanedaStoikov.max_live_orders = 4
AvellanedaStoikovPython = AvellanedaStoikov.python_class
