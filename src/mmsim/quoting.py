"""Quoting helpers shared by strategy rules: the post-only clamp and position-capped sizes.

Written once for the reference strategies (``strategies/*.py``) and for any
plugin (a rule loaded by file path can ``from mmsim.quoting import ...``). Each
helper is a plain Python function registered with numba
(``numba.extending.register_jitable``): inside an ``@njit`` rule it compiles
into the rule's machine code, and on the Python path (``RuleStrategy``,
``pure=True``) it runs as the Python it reads as, so both paths share one
definition.

Example
-------
>>> bid, ask = post_only_prices(math.floor(mid - h), math.ceil(mid + h), view.best_bid, view.best_ask)  # doctest: +SKIP
>>> out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, view.position)         # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from numba.extending import register_jitable

__all__ = ["capped_sizes", "post_only_prices"]


@register_jitable
def post_only_prices(bid: Any, ask: Any, best_bid: Any, best_ask: Any) -> tuple[Any, Any]:
    """Clamp target prices so a post-only quote never crosses the local book.

    Parameters
    ----------
    bid, ask : int
        Target prices, ticks.
    best_bid, best_ask : int
        The local book's best prices, ticks.

    Returns
    -------
    bid, ask : int
        ``min(bid, best_ask - 1)`` and ``max(ask, best_bid + 1)``. They may still
        meet (``bid >= ask``) when the local book is locked or crossed; a rule
        then keeps its quotes.
    """
    return min(bid, best_ask - 1), max(ask, best_bid + 1)


@register_jitable
def capped_sizes(size: float, max_position: float, position: Any) -> tuple[float, float]:
    """Quote sizes that cannot take the position past ``±max_position``.

    Parameters
    ----------
    size : float
        Wanted size per side, lots.
    max_position : float
        Absolute position limit, lots.
    position : int
        Current position, lots (positive long).

    Returns
    -------
    bid_qty, ask_qty : float
        ``clip(size, 0, max_position - position)`` and
        ``clip(size, 0, max_position + position)``: at the limit the side that
        would grow the position is pulled (size 0).
    """
    return max(0.0, min(size, max_position - position)), max(0.0, min(size, max_position + position))
