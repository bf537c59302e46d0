"""Join the best: rest ``size`` lots at the local best bid and best ask, whatever the position.

Formula
-------
With the local (delayed) book's best bid ``b`` and best ask ``a`` (ticks)::

    bid = b        ask = a        both for ``size`` lots

No inventory control and no signal: the decision depends only on the book
the strategy sees and on its own working orders. That makes it the probe for
queue-model scoring (:func:`mmsim.score_queue_models`, docs/queue_models.md):
when a queue model fills it at a different time from the exact L3 FIFO
truth, its later decisions still follow the same book, so the two runs'
fills stay comparable instead of drifting apart through the position (a
position-aware strategy would quote differently after the first wrong fill).
It is also the queue-position strategy at its purest: every fill it gets is
decided by where it stands in the queue at the touch.

A crossed or locked local book (``b >= a``) and an empty side leave the
targets unchanged. Requoting: while more than two of our orders are live (a
cancel/replace still in flight), the rule keeps its current targets, so each
side has at most one action pending and the order count stays bounded.

Source: the passive "join the queue at the touch" order placement of the
queue-position literature (e.g. Moallemi and Yuan, "A model for queue
position valuation in a limit order book", 2016).

Parameters (``strategy.params``)
--------------------------------
size : float, default 1.0
    Quote size, lots.
"""

from __future__ import annotations

from numba import njit

from mmsim.numba_strategy import numba_strategy

__all__ = ["JoinBest", "JoinBestPython", "join_best_rule"]


@njit(cache=True)
def join_best_rule(view, params, state, out):
    """Quote ``size`` at the local best bid and ask; no change while a side is empty or the book is crossed."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.best_bid >= view.best_ask:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    out.bid_px = view.best_bid
    out.ask_px = view.best_ask
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


#: Fast path (numba callback inside the engine loop).
JoinBest = numba_strategy(
    join_best_rule, params={"size": 1.0},
    domains={"size": "whole > 0"}, quantities=["size"], name="JoinBest")
#: Python path: an mmsim.Strategy calling the same rule.
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
JoinBest.max_live_orders = 4
JoinBestPython = JoinBest.python_class
