"""Toxicity pull: widen or pull the side informed flow is about to hit.

The adverse-selection defence mmsim exists to evaluate: informed buyers lift
asks, informed sellers hit bids, so when the flow signals point one way the
quote on the other side of that flow is the toxic one.

Formula
-------
Base quotes as in :mod:`inventory_skew` (``r = m - skew * q``, ``half_spread``
around it). Each side gets a toxicity score, the largest of its signals
divided by that signal's threshold (a threshold <= 0 switches the signal off;
NaN signals count as 0)::

    ask_tox = max( trade_flow / trade_flow_threshold,
                   ofi / ofi_threshold,
                   hawkes_buy / hawkes_threshold )
    bid_tox = max( -trade_flow / trade_flow_threshold,
                   -ofi / ofi_threshold,
                   hawkes_sell / hawkes_threshold )

``trade_flow`` is the decayed signed aggressor volume (lots, + = buying),
``ofi`` the decayed order-flow imbalance (lots), ``hawkes_buy``/``hawkes_sell``
the per-side Hawkes trade intensities (1/s). A side whose score reaches 1 is
pulled (size 0) and stays pulled for ``cooldown_ms`` after the score last
reached 1; a score of at least ``widen_at`` (and below 1) moves that quote
``widen_ticks`` further from the mid. The run state keeps the two pull
deadlines (``state[0]`` bid, ``state[1]`` ask, local ns).

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets -- except to pull a side, which
never waits.

Sources: adverse selection by informed flow, L. Glosten and P. Milgrom,
*J. Financial Economics* 14(1), 1985; flow toxicity, D. Easley, M. Lopez de
Prado and M. O'Hara, "Flow toxicity and liquidity in a high-frequency world",
*Rev. Financial Studies* 25(5), 2012; self-exciting trade arrivals, A. Hawkes,
*Biometrika* 58(1), 1971; OFI, Cont, Kukanov and Stoikov (2014).

Parameters (``strategy.params``)
--------------------------------
half_spread : float, default 1.0
    Distance of each quote from the reservation price, ticks.
skew : float, default 0.0
    Inventory skew, ticks per lot of position.
    A per-lot parameter: ``skew: 0.1 per base`` is 0.1 ticks per base unit (BTC), 1e-09 per lot of 1e-08.
size : float, default 1.0
    Quote size, lots.
max_position : float, default 10.0
    Absolute position limit, lots; at least ``size`` (a smaller limit would never let a
    quote of ``size`` through).
trade_flow_threshold : float, default 20.0
    Signed decayed aggressor volume (lots) that pulls a side; <= 0 disables.
ofi_threshold : float, default 0.0
    Decayed OFI (lots) that pulls a side; <= 0 disables.
hawkes_threshold : float, default 0.0
    Hawkes intensity (per second) of one side's trades that pulls the other
    side's quote; <= 0 disables.
widen_at : float, default 0.5
    Score from which a side is widened.
widen_ticks : float, default 1.0
    How much further from the mid a widened quote sits, ticks.
cooldown_ms : float, default 100.0
    How long a pulled side stays pulled after its score last reached 1, ms.
"""

from __future__ import annotations


from numba import njit

from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import capped_sizes, ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["ToxicityPull", "ToxicityPullPython", "toxicity_pull_rule"]


@njit(cache=True)
def _score(value, threshold):
    """``value / threshold``; 0 when the signal is off (threshold <= 0) or unknown (NaN)."""
    if threshold <= 0.0 or value != value:
        return 0.0
    return value / threshold


@njit(cache=True)
def toxicity_pull_rule(view, params, state, out):
    """Inventory-skewed quotes; widen or pull the side the flow signals call toxic."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    ask_tox = max(_score(view.trade_flow, params.trade_flow_threshold),
                  _score(view.ofi, params.ofi_threshold),
                  _score(view.hawkes_buy, params.hawkes_threshold))
    bid_tox = max(_score(-view.trade_flow, params.trade_flow_threshold),
                  _score(-view.ofi, params.ofi_threshold),
                  _score(view.hawkes_sell, params.hawkes_threshold))
    now = float(view.ts)
    cooldown_ns = params.cooldown_ms * 1e6
    if bid_tox >= 1.0:
        state[0] = now + cooldown_ns
    if ask_tox >= 1.0:
        state[1] = now + cooldown_ns
    pull_bid = now < state[0]
    pull_ask = now < state[1]
    # A replacement still in flight: wait for the exchange before requoting, unless a
    # side must be pulled now (the defence cannot wait for an ack).
    if view.n_live_orders > 2 and not ((pull_bid and view.bid_order_qty > 0) or (pull_ask and view.ask_order_qty > 0)):
        return 0
    q = view.position
    r = 0.5 * (view.best_bid + view.best_ask) - params.skew * q
    bid_off = params.half_spread
    ask_off = params.half_spread
    if bid_tox >= params.widen_at:
        bid_off += params.widen_ticks
    if ask_tox >= params.widen_at:
        ask_off += params.widen_ticks
    bid, ask = post_only_prices(floor_price(r - bid_off), ceil_price(r + ask_off), view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    bid_qty, ask_qty = capped_sizes(params.size, params.max_position, q)
    if pull_bid:
        bid_qty = 0.0
    if pull_ask:
        ask_qty = 0.0
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty = bid_qty
    out.ask_qty = ask_qty
    return 1


ToxicityPull = numba_strategy(
    toxicity_pull_rule,
    params={"half_spread": 1.0, "skew": 0.0, "size": 1.0, "max_position": 10.0, "trade_flow_threshold": 20.0,
            "ofi_threshold": 0.0, "hawkes_threshold": 0.0, "widen_at": 0.5, "widen_ticks": 1.0,
            "cooldown_ms": 100.0},
    domains={"half_spread": ">= 0", "skew": "finite", "size": "whole > 0", "max_position": "whole > 0 or inf",
             "trade_flow_threshold": "finite", "ofi_threshold": "finite", "hawkes_threshold": "finite",
             "widen_at": "finite", "widen_ticks": ">= 0", "cooldown_ms": ">= 0"},
    constraints=["size <= max_position"],
    quantities=["size", "max_position", "trade_flow_threshold", "ofi_threshold"],
    per_quantities=["skew"],
    state_size=2,
    name="ToxicityPull",
)
# No max_live_orders: pulling a toxic side is not held back by orders in flight, so each pull
# while a replacement is pending can add one order; how many fit in one entry plus one
# response latency depends on the latencies, cooldown_ms and the flow. The run-time guard
# (max_orders) names the key if it is reached.
ToxicityPullPython = ToxicityPull.python_class
