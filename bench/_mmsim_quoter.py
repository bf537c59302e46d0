"""The benchmark's quoter as an mmsim numba strategy, written with mmsim's public API only.

The rule itself is ``bench/_quoter_rule.py``'s ``quote_targets``, the same
jitted function the hftbacktest side calls, so the two tools run one piece of
logic. mmsim's engine does the order management (keep a matching working
order, cancel/replace the rest); on the hftbacktest side ``_hbt_runner.py``
does it by hand.

``hold_pending=1`` (the benchmark's setting) keeps an order the exchange has
not acknowledged yet whatever the rule now wants on that side. hftbacktest
cannot cancel an order before its acknowledgement (its ``cancel`` returns
``OrderRequestInProcess``), so its side must wait; mmsim can (the cancel
follows the new order on the same ordered session), and with
``hold_pending=0`` does. Holding on both sides keeps the comparison to the
fill models alone.
"""

from __future__ import annotations

import os
import sys

from mmsim.numba_strategy import numba_strategy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _quoter_rule import quote_targets  # noqa: E402  (the shared rule lives beside this file)

__all__ = ["touch_quoter"]


_PENDING_NEW = 1  # mmsim.records.OrderState.PENDING_NEW


@numba_strategy(params={"qty": 10.0, "max_position": 500.0, "skew_ticks_per_lot": 0.1, "hold_pending": 1.0,
                        "quote_from": 0.0})
def touch_quoter(view, params, state, out):
    """Quote at the touch with a linear inventory skew (see ``_quoter_rule``).

    Before local time ``quote_from`` (ns; a float parameter, so give a value
    that float64 holds exactly) it does nothing.
    """
    if view.ts < int(params.quote_from):
        return 0
    if view.bid_qty <= 0 or view.ask_qty <= 0 or view.best_bid >= view.best_ask:
        return 0  # empty or crossed local book: keep what rests, as the hftbacktest side does
    bid_px, bid_qty, ask_px, ask_qty = quote_targets(
        view.best_bid, view.best_ask, view.position, int(params.qty), int(params.max_position),
        params.skew_ticks_per_lot,
    )
    if params.hold_pending != 0.0 and view.bid_order_state == _PENDING_NEW:
        bid_px, bid_qty = view.bid_order_px, view.bid_order_qty
    if params.hold_pending != 0.0 and view.ask_order_state == _PENDING_NEW:
        ask_px, ask_qty = view.ask_order_px, view.ask_order_qty
    out.bid_px = bid_px
    out.bid_qty = bid_qty
    out.ask_px = ask_px
    out.ask_qty = ask_qty
    return 1
