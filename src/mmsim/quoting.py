"""Quoting helpers shared by strategy rules: whole-tick rounding, the post-only clamp, position-capped sizes.

Written once for the reference strategies (``strategies/*.py``) and for any
plugin (a rule loaded by file path can ``from mmsim.quoting import ...``). Each
helper is a plain Python function registered with numba
(``numba.extending.register_jitable``): inside an ``@njit`` rule it compiles
into the rule's machine code, and on the Python path (``RuleStrategy``,
``pure=True``) it runs as the Python it reads as, so both paths share one
definition.

A price a model computes may not be finite (NaN, ``inf``) or may lie beyond
int64 (``gamma = 1e300``). Inside numba, ``math.floor``/``math.ceil``/``int()``
of such a value is undefined and gives ``-2^63`` (the engine then says
``quote bid_px = -9.2233720368547758e+18 is out of range``, a value the model
never computed); in plain Python they raise ``OverflowError``. The helpers here
never convert to an integer: :func:`floor_price` and :func:`ceil_price` round in
float64, and :func:`post_only_prices` and :func:`locked_or_crossed` pass a
non-finite price through, so the engine stops the run naming the value the
model produced (``quote bid_px = -inf is not finite``); docs/strategies.md,
"Prices a model cannot compute".

Example
-------
>>> bid, ask = post_only_prices(floor_price(mid - h), ceil_price(mid + h), view.best_bid, view.best_ask)  # doctest: +SKIP
>>> if locked_or_crossed(bid, ask):                                                                        # doctest: +SKIP
...     return 0                                                                                           # doctest: +SKIP
>>> out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, view.position)              # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba.extending import register_jitable

__all__ = ["capped_sizes", "ceil_price", "floor_price", "locked_or_crossed", "post_only_prices"]

_INF = float("inf")


@register_jitable
def floor_price(x: Any) -> Any:
    """Round a price down to whole ticks without converting it to an integer (:func:`ceil_price` rounds up).

    What is said here holds for both; they differ only in the direction.

    Parameters
    ----------
    x : float, or an array of floats
        A price, ticks; an array is rounded element by element (same shape).

    Returns
    -------
    float or ndarray
        ``floor(x)`` in float64 (``numpy.floor``), inside numba as in Python; an integer
        ``x`` is whole already and keeps its value. Nothing is raised: NaN, ``-inf``,
        ``inf`` and a value beyond int64 come back as they are, for the engine to stop the
        run naming them (``math.floor`` in numba turns them into ``-2^63``; in Python it
        raises on NaN and ``±inf``).
    """
    return np.floor(x)


@register_jitable
def ceil_price(x: Any) -> Any:
    """Round a price up to whole ticks without converting it to an integer: ``ceil(x)`` (``numpy.ceil``).

    The same argument (a price in ticks, or an array of them), result (float64, the same
    shape) and non-finite values (NaN, ``±inf``, beyond int64: returned as they are, never
    raised) as :func:`floor_price`, rounding up instead of down.
    """
    return np.ceil(x)


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
    bid, ask : int or float
        ``min(bid, best_ask - 1)`` and ``max(ask, best_bid + 1)``. They may still
        meet when the local book is locked or crossed (:func:`locked_or_crossed`;
        a rule then keeps its quotes). A price that is not finite (NaN, ``±inf``:
        a model that blew up) is returned as it is, never clamped into the book,
        so the engine stops the run naming it.
    """
    b = best_ask - 1 if best_ask - 1 < bid < _INF else bid
    a = best_bid + 1 if -_INF < ask < best_bid + 1 else ask
    return b, a


@register_jitable
def locked_or_crossed(bid: Any, ask: Any) -> bool:
    """Whether two finite target prices meet (``bid >= ask``): the local book is locked or crossed.

    Parameters
    ----------
    bid, ask : int or float
        Target prices, ticks (after :func:`post_only_prices`).

    Returns
    -------
    bool
        True when both are finite and ``bid >= ask`` (a rule then keeps its quotes).
        False when either is not finite: ``bid >= ask`` would read ``inf >= inf`` as a
        locked book and stop quoting silently; a rule hands such a price to the
        engine instead, which stops the run naming it.
    """
    return bid >= ask and -_INF < bid < _INF and -_INF < ask < _INF


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
