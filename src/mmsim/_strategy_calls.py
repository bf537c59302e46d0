"""How a run's strategy is called and named: the Python adapter's callbacks, a failed run's
:class:`~mmsim.StrategyError`, and the prefix that names a run of :func:`mmsim.run_many` in its errors.

Every error of one run of a ``run_many`` pass, refused before the pass or failed inside it, starts with
:func:`run_prefix`: ``run 3 (GLFT): ``, the run's index in ``runs`` and its strategy's label
(``run 3: `` when the item is not a pair, so it has no strategy). :func:`mmsim.run` names none.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, Mapping

import numpy as np

from . import _engine
from .errors import StrategyError, format_ts, raised_at
from .records import OrderType, RejectReason
from .strategy import Ladder, Quote, Strategy, View, empty_side_message, marker_hint, number

__all__ = ["python_callbacks", "run_prefix", "strategy_error", "strategy_label"]

# The engine's own strategy failure codes (cpp/include/mmsim/errors.hpp), from the extension.
_CODE = _engine.ENUMS["ErrorCode"]


def strategy_label(strategy: Any) -> str:
    """A strategy's name in messages: a class's or function's own name, else its
    ``label`` or ``name`` (a numba strategy type's rule name), else its type's name."""
    if strategy is None:
        return "none"
    if isinstance(strategy, type) or inspect.isfunction(strategy):
        return strategy.__name__
    label = getattr(strategy, "label", None) or getattr(strategy, "name", None)
    return str(label) if label else type(strategy).__name__


def run_prefix(k: int, strategy: Any = None, *, pair: bool = True) -> str:
    """The prefix of run ``k``'s errors in a :func:`mmsim.run_many` pass: ``"run 3 (GLFT): "``.

    ``strategy`` is the run's strategy (its label, :func:`strategy_label`; ``none`` for a market-only run);
    ``pair`` False when the item is not a (strategy, config) pair, so there is no strategy to name: ``"run 3: "``.
    """
    return f"run {k} ({strategy_label(strategy)}): " if pair else f"run {k}: "


class _RefusedQuote(TypeError):
    """What quote() returned, refused by mmsim (the strategy raised nothing): its message says what it must be."""


def python_callbacks(strategy: Any, view: View, out: np.ndarray,
                      holder: dict[str, BaseException]) -> tuple[Any, Any, Any, Any]:
    """The callables the compiled PythonStrategy adapter calls: quote, and on_fill/on_reject/on_expire or None."""
    quote = strategy.quote

    def quote_cb() -> tuple[float, float, float, float] | int | None:
        try:
            q = quote(view)
            if q is None:
                return None
            if isinstance(q, Ladder):
                return q.write(out)  # the whole record: a ladder and/or explicit orders
            if not isinstance(q, Quote):
                # A plain tuple, list or array has no field names: (bid_px, ask_px, bid_qty,
                # ask_qty) would quote a price as a size without a word.
                plain = isinstance(q, (tuple, list, np.ndarray))
                raise _RefusedQuote(
                    f"quote() returned {type(q).__name__} {' '.join(repr(q).split())[:120]}; it must return "
                    "mmsim.Quote(bid_px, bid_qty, ask_px, ask_qty), mmsim.Quote.ladder(...), mmsim.Quote.keep(...) "
                    "or None" + (" (a plain sequence's order is not checked: name the fields with "
                                 "mmsim.Quote(bid_px=..., bid_qty=..., ask_px=..., ask_qty=...))" if plain else ""))
            try:
                return (number(q[0], "quote bid_px", price=True), number(q[1], "quote bid_qty"),
                        number(q[2], "quote ask_px", price=True), number(q[3], "quote ask_qty"))
            except TypeError as exc:
                raise _RefusedQuote(str(exc)) from None
        except BaseException as exc:
            holder["exc"] = exc
            raise

    def callback(name: str, make: Callable[..., dict[str, Any]]) -> Any:
        method = getattr(strategy, name, None)
        if method is None or getattr(type(strategy), name, None) is getattr(Strategy, name):
            return None

        def cb(*args: int) -> None:
            try:
                method(make(*args))
            except BaseException as exc:
                holder["exc"] = exc
                raise

        return cb

    def fill(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"side": side, "price": price, "qty": qty, "exch_ts": exch_ts, "leaves": leaves,
                "order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag}

    def reject(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag,
                "side": side, "price": price, "qty": qty, "reason": RejectReason(reason), "exch_ts": exch_ts}

    def expire(order_id, tag, order_type, level, side, price, qty, leaves, reason, exch_ts):  # type: ignore[no-untyped-def]
        return {"order_id": order_id, "order_type": OrderType(order_type), "level": level, "tag": tag,
                "side": side, "price": price, "qty": qty, "leaves": leaves, "exch_ts": exch_ts}

    return quote_cb, callback("on_fill", fill), callback("on_reject", reject), callback("on_expire", expire)


# The engine's refusal of a price (a 1-level quote's, a ladder level's, an explicit order's) at an empty
# side's marker, as the float the quote record holds: 2**63 (view.best_ask = 2**63 - 1) or -2**63 (view.best_bid;
# also what numba's int() makes of inf or NaN, which the engine's hint names).
_PRICE = r"((?:bid_px|ask_px|level \d+ price|order_px) = )"
_ASK_MARKER = re.compile(_PRICE + r"9\.2233720368547758e\+18 is out of range$")
_BID_MARKER = re.compile(_PRICE + r"(-9\.2233720368547758e\+18 is out of range \(-2\^63 is )(what numba)")


_NEAR_MARKER = re.compile(_PRICE + r"(-?\d[\d.]*e\+18) is out of range(?! \(-2\^63)")


def _name_empty_side(message: str) -> str:
    """The engine's BAD_QUOTE/BAD_ORDER ``message``, a price at an empty side's marker named as such, and one
    within 2**62 of a marker or of its int64 wrap said to look computed from it (:func:`mmsim.strategy.marker_hint`:
    a numba mid ``(best_bid + best_ask) / 2`` on an empty ask side)."""
    message = _NEAR_MARKER.sub(lambda m: m[0] if abs(float(m[2])) >= 2.0**63 else m[0] + marker_hint(float(m[2])),
                               message)
    message = _ASK_MARKER.sub(lambda m: f"{m[1]}9.2233720368547758e+18 {empty_side_message('view.best_ask')}",
                              message)
    return _BID_MARKER.sub(lambda m: f"{m[1]}{m[2]}the empty-side marker of view.best_bid (if the bid side is "
                                     f"empty, check view.bid_qty > 0 before quoting from it), and {m[3]}", message)


def strategy_error(strategy: Any, label: str, message: str, code: int, ts: int,
                    holder: Mapping[str, BaseException]) -> BaseException:
    when = f"at local time {format_ts(ts)}"
    exc = holder.get("exc")
    if code == _CODE["PYTHON_ERROR"] and isinstance(exc, _RefusedQuote):
        return StrategyError(f"strategy {label} returned an invalid quote {when}: {exc}")
    detail = getattr(exc, "_mmsim_detail_", None)
    if code == _CODE["PYTHON_ERROR"] and isinstance(exc, StrategyError) and detail:
        # mmsim refused what a rule's Python path returned (its return code): the context once, as the fast path
        return StrategyError(f"strategy {label} failed {when}: {detail}")
    if code == _CODE["PYTHON_ERROR"] and exc is not None:
        what = message[: -len(" failed")] if message in ("on_fill failed", "on_reject failed", "on_expire failed") \
            else "quote"
        return StrategyError(f"strategy {label} raised {type(exc).__name__} in {what}() {when}: {exc}{raised_at(exc, strategy)}")
    if code == _CODE["BAD_QUOTE"]:
        return StrategyError(f"strategy {label} returned an invalid quote {when}: {_name_empty_side(message)}")
    if code == _CODE["BAD_ORDER"]:
        return StrategyError(f"strategy {label} sent an invalid order {when}: {_name_empty_side(message)}")
    if code in (_CODE["TOO_MANY_ORDERS"], _CODE["NO_PROGRESS"]):
        return StrategyError(f"strategy {label} stopped {when}: {message}")
    describe = getattr(strategy, "_mmsim_error_message_", None)
    if callable(describe):  # a compiled rule's codes: the sentence says what the code means
        return StrategyError(f"strategy {label} failed {when}: {describe(code)}")
    return StrategyError(f"strategy {label} failed {when}: {message} (code {code})")
