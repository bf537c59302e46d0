"""The strategy API: a strategy answers "what quotes do I want resting now?".

A Python strategy subclasses :class:`Strategy` and implements ``quote(view)``,
returning a :class:`Quote` (target bid/ask price in ticks and size in lots; size
0 pulls that side), a :class:`Ladder` (several target levels per side, and/or
explicit :class:`Order` s: ``Quote.ladder(...)``, ``Quote.keep(orders=...)``) or
``None`` for "no change". The engine owns order management: it keeps a working
order whose price and size already match a target, and cancels/replaces the
rest, paying the latency. Explicit orders (IOC, FOK, market) are one-off takers,
never targets.

The view is what the local (delayed) side knows: a :class:`View` over one
record of :data:`mmsim.records.VIEW_DTYPE`. The numba fast path reads the same
record (see :mod:`mmsim.numba_strategy`).
"""

from __future__ import annotations

import abc
import decimal
import numbers
from typing import Any, Iterable, NamedTuple

import numpy as np

from .records import EXPLICIT_MAX, LADDER_MAX, QUOTE_DTYPE, SIGNAL_NAMES, VIEW_DTYPE, OrderType

__all__ = ["Ladder", "Order", "Quote", "Strategy", "View"]


class Order(NamedTuple):
    """An explicit one-off order: IOC, FOK or market, never a target (it never rests).

    Build one with :meth:`ioc`, :meth:`fok` or :meth:`market` and return it from
    ``quote()`` in a :class:`Ladder` (``Quote.ladder(..., orders=[...])`` or
    ``Quote.keep(orders=[...])``). It reaches the exchange after the entry latency and
    takes the visible liquidity of the other side at each level's price, paying the
    taker fee, with no market impact; what it cannot take expires at once. It never
    cancels or replaces the targets. Fills and the order log carry its ``tag``.

    Attributes
    ----------
    type : OrderType
        ``OrderType.IOC``, ``FOK`` or ``MARKET``.
    side : int
        +1 buy, -1 sell.
    price : float
        Limit price, ticks (ignored for a market order).
    qty : float
        Size, lots (a positive whole number).
    tag : int
        The client's tag (int64), carried to fills, the order log and the callbacks.
    """

    type: int
    side: int
    price: float
    qty: float
    tag: int = 0

    @classmethod
    def ioc(cls, side: int, price: float, qty: float, tag: int = 0) -> "Order":
        """Immediate-or-cancel: take the visible levels up to ``price``; the rest expires."""
        return cls(OrderType.IOC, side, price, qty, tag)

    @classmethod
    def fok(cls, side: int, price: float, qty: float, tag: int = 0) -> "Order":
        """Fill-or-kill: fill all of ``qty`` from the visible levels up to ``price``, or nothing (it expires)."""
        return cls(OrderType.FOK, side, price, qty, tag)

    @classmethod
    def market(cls, side: int, qty: float, tag: int = 0) -> "Order":
        """Market: take the visible levels whatever their price (the best 32); the rest expires."""
        return cls(OrderType.MARKET, side, 0.0, qty, tag)


_INT64 = (-(1 << 63), (1 << 63) - 1)
_EXACT = 1 << 53  # the engine takes prices and sizes below 2**53 in magnitude (float64 is exact up to there)
# What a price or size may be: numpy's numbers first (a C-level test), then any numbers.Real.
_REAL = (float, int, np.floating, np.integer, numbers.Real, decimal.Decimal)


def empty_side(value: Any) -> str | None:
    """The view field whose empty-side marker ``value`` is, or None.

    An empty ask side reads ``view.best_ask = 2**63 - 1`` (int64's largest) and an empty bid side
    ``view.best_bid = -2**63`` (``view.ask_qty``/``bid_qty`` are then 0): ``value`` is an int. (As floats
    they are ``2**63`` and ``-2**63``: the engine refuses those, and its message is named so in
    ``mmsim._strategy_calls``.)
    """
    if value == _INT64[1]:
        return "view.best_ask"
    if value == _INT64[0]:
        return "view.best_bid"
    return None


def empty_side_message(field: str) -> str:
    """What follows ``<price> = <value> `` when the value is ``field``'s empty-side marker (:func:`empty_side`)."""
    side = "ask" if field == "view.best_ask" else "bid"
    return (f"is the empty-side marker of {field} (the {side} side is empty: check view.{side}_qty > 0 before "
            "quoting from it)")


def marker_hint(value: float) -> str:
    """`` (it looks computed from ...)`` after ``<price> = <value> is out of range`` when ``value`` (an int or a
    float, not a marker itself) is within 2**62 of an empty side's marker or of its int64 wrap: ``view.best_ask -
    1``, ``(view.best_bid + view.best_ask) // 2`` (about 2**62) on an empty ask side, a numba rule's ``(best_bid +
    best_ask) / 2`` (int64 arithmetic wraps 2**63 - 1 + 100 to about -2**63, so about -2**62); else ``""``."""
    a = abs(value)
    if not (1 << 62) - 1 <= a <= 3 << 62:
        return ""
    if value > 0:
        return (" (it looks computed from view.best_ask's empty-side marker: view.best_ask is 2**63 - 1 when the ask "
                "side is empty; check view.ask_qty > 0 before quoting from it)")
    return (" (it looks computed from an empty side's marker: view.best_bid is -2**63 when the bid side is empty, and "
            "view.best_ask's 2**63 - 1 wraps negative in int64 arithmetic; check view.bid_qty > 0 and view.ask_qty > 0 "
            "before quoting from them)")


def number(value: Any, what: str, *, price: bool = False) -> float:
    """``value`` as a float, for a price or size a strategy returned; TypeError unless it is a real number.

    ``float()`` alone would take the string ``"100"`` as 100 and ``True`` as 1, so a
    strategy's slip would run as a plausible quote: a str, a bool (Python's or
    numpy's), a complex, None or any other non-number is refused, naming ``what`` and
    the value. Numbers are Python's and numpy's ints and floats, any
    ``numbers.Real`` (``Fraction``), ``Decimal`` and a 0-d int or float array. An integer of 2**53 or more in
    magnitude is refused here under its own value (``quote bid_qty = 4611686018427387904 is out of range``):
    the engine takes only numbers below 2**53, and its refusal would name the float the integer became
    (``4.6116860184273879e+18``, or ``9007199254740992`` for ``2**53 + 1``). When ``price`` is true, an integer
    equal to an empty side's marker (:func:`empty_side`) is refused saying so (a float is left to the engine,
    whose refusal is named the same way).
    """
    kind = type(value)
    if kind is float:
        return value
    if kind is int or (not isinstance(value, (bool, np.bool_, np.timedelta64)) and isinstance(value, _REAL)) \
            or (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"):
        # (a 0-d array of a number is what some numpy reductions give)
        try:
            x = float(value)
        except (OverflowError, ValueError) as exc:  # 10**400, Fraction(10**400), Decimal('sNaN')
            raise TypeError(f"{what} = {value!r} cannot be read as a float ({exc})") from None
        integral = isinstance(value, (int, np.integer)) or (isinstance(value, np.ndarray) and value.dtype.kind in "iu")
        if integral and abs(x) >= _EXACT:
            field = empty_side(int(value)) if price else None
            if field is not None:
                raise TypeError(f"{what} = {int(value)} {empty_side_message(field)}")
            # the engine takes numbers below 2**53; its refusal would name the float (2**62 as 4.6e+18)
            raise TypeError(f"{what} = {int(value)} is out of range{marker_hint(int(value)) if price else ''}")
        return x
    raise TypeError(f"{what} = {value!r} is a {type(value).__name__}, not a number")


def _tag(value: Any, what: str) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        tag = int(value)
        if _INT64[0] <= tag <= _INT64[1]:
            return tag
        raise TypeError(f"{what} = {tag} does not fit in int64")
    raise TypeError(f"{what} = {value!r} is a {type(value).__name__}, not an integer")


def _levels(levels: Any, name: str) -> tuple[tuple[float, float], ...]:
    try:
        pairs = [tuple(level) for level in levels]
    except TypeError as exc:
        raise TypeError(f"Quote.ladder: {name} must be a sequence of (price, size) pairs, got {levels!r}") from exc
    if any(len(pair) != 2 for pair in pairs):
        raise TypeError(f"Quote.ladder: {name} must be a sequence of (price, size) pairs, got {levels!r}")
    return tuple((number(px, f"Quote.ladder: {name}[{k}] price", price=True), number(qty, f"Quote.ladder: {name}[{k}] size"))
                 for k, (px, qty) in enumerate(pairs))


class Ladder:
    """What ``quote()`` may return besides a :class:`Quote`: ladder targets and/or explicit orders.

    Made by :meth:`Quote.ladder` (targets on each side as a list of levels) or
    :meth:`Quote.keep` (keep the current targets). Either may carry explicit
    :class:`Order` s, sent after the target changes of the same call.

    Attributes
    ----------
    bids, asks : tuple of (price, size) or None
        The target levels per side, in the order given (prices in ticks, sizes in
        lots; a size of 0 is a level with no order). None (both): keep the targets.
    orders : tuple of Order
        Explicit orders to send.
    """

    __slots__ = ("_raw", "asks", "bids", "orders")

    def __init__(self, bids: Iterable[tuple[float, float]] | None, asks: Iterable[tuple[float, float]] | None,
                 orders: Iterable[Order] = ()) -> None:
        if (bids is None) != (asks is None):
            raise TypeError("Ladder: give both bids and asks, or neither (keep the targets)")
        self.bids = None if bids is None else _levels(bids, "bids")
        self.asks = None if asks is None else _levels(asks, "asks")
        orders = tuple(orders)
        who = "Quote.keep" if bids is None else "Quote.ladder"  # the constructor the strategy called (fix25b)
        for j, o in enumerate(orders):
            if not isinstance(o, Order):
                raise TypeError(f"{who}: orders must be mmsim.Order values (Order.ioc, .fok, .market), got {o!r}")
            for field in ("price", "qty"):
                number(getattr(o, field), f"{who}: order {j} {field}", price=field == "price")
            for field in ("type", "side", "tag"):
                _tag(getattr(o, field), f"{who}: order {j} {field}")
        self.orders = orders
        self._raw: np.ndarray | None = None  # the numba path's out record, sent as is

    @property
    def keeps(self) -> bool:
        """True when the targets are kept (only the explicit orders are sent)."""
        return self.bids is None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ladder):
            return NotImplemented
        return (self.bids, self.asks, self.orders) == (other.bids, other.asks, other.orders)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.keeps:
            return f"Quote.keep(orders={list(self.orders)!r})"
        return f"Quote.ladder(bids={list(self.bids or ())!r}, asks={list(self.asks or ())!r}, orders={list(self.orders)!r})"

    @classmethod
    def from_record(cls, rec: np.ndarray, *, keep: bool) -> "Ladder":
        """The ladder a QUOTE_DTYPE record (0-d) stands for; the engine gets the record itself, as written.

        Parameters
        ----------
        rec : ndarray of QUOTE_DTYPE, shape ()
            What a numba rule wrote in ``out``.
        keep : bool
            The rule returned 0 (keep the targets): only the explicit orders count.
        """

        def side(name: str) -> list[tuple[float, float]]:
            n = max(0, min(int(rec[f"n_{name}_levels"]), LADDER_MAX))
            return [(float(rec[f"{name}_ladder_px"][k]), float(rec[f"{name}_ladder_qty"][k])) for k in range(n)]

        orders = [Order(int(rec["order_type"][j]), int(rec["order_side"][j]), float(rec["order_px"][j]),
                        float(rec["order_qty"][j]), int(rec["order_tag"][j]))
                  for j in range(max(0, min(int(rec["n_orders"]), EXPLICIT_MAX)))]
        if keep:
            ladder = cls(None, None, orders)
        elif int(rec["n_bid_levels"]) == 0 and int(rec["n_ask_levels"]) == 0:  # the 1-level form, with orders
            ladder = cls([(float(rec["bid_px"]), float(rec["bid_qty"]))], [(float(rec["ask_px"]), float(rec["ask_qty"]))],
                         orders)
        else:
            ladder = cls(side("bid"), side("ask"), orders)
        ladder._raw = np.array(rec, dtype=QUOTE_DTYPE)
        return ladder

    def write(self, rec: np.ndarray) -> int:
        """Write into a zeroed-or-not QUOTE_DTYPE record (0-d); return the code (0 keep, 1 targets).

        More levels or orders than the record holds are cut, but their counts are kept,
        so the engine reports them (``more than ladder_levels``, ``n_orders``).
        """
        if self._raw is not None:
            rec[()] = self._raw
            return 0 if self.keeps else 1
        rec[()] = 0
        if not self.keeps:
            for side, levels in (("bid", self.bids), ("ask", self.asks)):
                assert levels is not None
                rec[f"n_{side}_levels"] = len(levels)
                for k, (px, qty) in enumerate(levels[:LADDER_MAX]):
                    rec[f"{side}_ladder_px"][k] = px
                    rec[f"{side}_ladder_qty"][k] = qty
        rec["n_orders"] = len(self.orders)
        for j, o in enumerate(self.orders[:EXPLICIT_MAX]):
            rec["order_type"][j] = int(o.type)
            rec["order_side"][j] = int(o.side)
            rec["order_px"][j] = float(o.price)
            rec["order_qty"][j] = float(o.qty)
            rec["order_tag"][j] = int(o.tag)
        return 0 if self.keeps else 1


class Quote(NamedTuple):
    """Target quotes: prices in ticks, sizes in lots; a size of 0 means no order on that side.

    ``Quote(bid_px, bid_qty, ask_px, ask_qty)`` is the 1-level form (one target per
    side). :meth:`ladder` gives several levels per side and explicit orders;
    :meth:`keep` sends explicit orders and keeps the targets.
    """

    bid_px: float
    bid_qty: float
    ask_px: float
    ask_qty: float

    @staticmethod
    def ladder(bids: Iterable[tuple[float, float]] = (), asks: Iterable[tuple[float, float]] = (),
               orders: Iterable[Order] = ()) -> Ladder:
        """Targets as ladders: a list of ``(price, size)`` levels per side, and explicit orders.

        Parameters
        ----------
        bids, asks : sequence of (price, size)
            Target levels, prices in ticks and sizes in lots, at most the config's
            ``ladder_levels`` per side (more stops the run with a ``StrategyError``).
            Levels need not be sorted; a size of 0 is a level with no order; two
            levels at one price are two orders there. An empty side pulls it.
        orders : sequence of Order
            Explicit one-off orders (at most 4 per call), sent after the targets' orders.

        Returns
        -------
        Ladder
        """
        return Ladder(bids, asks, orders)

    @staticmethod
    def keep(orders: Iterable[Order] = ()) -> Ladder:
        """Keep the current targets; send these explicit orders (at most 4 per call)."""
        return Ladder(None, None, orders)


class View:
    """Read-only view of what the local side knows, over one VIEW_DTYPE record.

    Every field of :data:`~mmsim.records.VIEW_DTYPE` is an attribute
    (``view.ts``, ``view.best_bid``, ``view.position``, ``view.microprice``...);
    ``view.signals`` maps each signal name to its value. The record is reused
    between calls: copy what you want to keep (``view.copy()``; ``copy.copy``,
    ``copy.deepcopy`` and pickling give the same snapshot, never the live record).
    """

    __slots__ = ("_rec",)

    def __init__(self, record: np.ndarray) -> None:
        object.__setattr__(self, "_rec", record)

    def __getattr__(self, name: str) -> Any:
        if name == "_rec":  # not set yet (an object being built by copy or pickle): no recursion below
            raise AttributeError(name)
        try:
            value = self._rec[name]
        except (ValueError, KeyError, IndexError):
            raise AttributeError(f"view has no field {name!r}") from None
        if value.ndim:
            return value.copy()
        return value.item()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the view is read-only")

    @property
    def signals(self) -> dict[str, float]:
        """Signal values by name, as of the last market event the local side received."""
        rec = self._rec
        return {name: float(rec[name]) for name in SIGNAL_NAMES}

    @property
    def mid(self) -> float:
        """Mid of the local book in ticks (NaN when a side is empty)."""
        if self.bid_qty <= 0 or self.ask_qty <= 0:
            return float("nan")
        return 0.5 * (self.best_bid + self.best_ask)

    def copy(self) -> "View":
        """A view over a copy of the record, safe to keep after the call returns."""
        return View(self._rec.copy())

    def __copy__(self) -> "View":
        return self.copy()  # a snapshot: a view sharing the reused record would change under its keeper

    def __deepcopy__(self, memo: dict[int, Any]) -> "View":
        return self.copy()

    def __reduce__(self) -> Any:
        return View, (self._rec.copy(),)

    def __repr__(self) -> str:
        return (
            f"View(ts={self.ts}, bid={self.best_bid}x{self.bid_qty}, ask={self.best_ask}x{self.ask_qty}, "
            f"position={self.position})"
        )


def reset_for_run(strategy: Any, label: str, where: str = "") -> None:
    """Call a Python strategy's ``reset()`` before its run (``where``: ``"run 2 (S): "`` in :func:`mmsim.run_many`).

    Raises
    ------
    StrategyError
        The strategy's own exception, as its ``quote()``'s is: ``strategy S raised ZeroDivisionError in
        reset() before the run: division by zero (s.py line 7)``, the exception as ``__cause__``.
        A ``KeyboardInterrupt`` passes as it is (Ctrl-C).
    """
    from .errors import ConfigError, StrategyError, raised_at

    reset = getattr(strategy, "reset", None)
    if reset is None:
        return
    try:
        reset()
    except (ConfigError, StrategyError):
        raise
    except (Exception, SystemExit) as exc:  # a sys.exit() in reset() must not end the caller silently
        raise StrategyError(f"{where}strategy {label} raised {type(exc).__name__} in reset() before the run: "
                            f"{exc}{raised_at(exc, strategy)}") from exc


def empty_view() -> View:
    """A zeroed view (for tests and strategy authors' unit tests)."""
    return View(np.zeros((), dtype=VIEW_DTYPE))


class Strategy(abc.ABC):
    """Base class of Python strategies.

    Subclasses implement :meth:`quote`; :meth:`on_fill` is optional. The engine
    calls ``quote`` each time the local side learns something (after market
    data and order responses at one local time are applied), or on the
    ``decide_every`` timer.
    """

    #: Name used in error messages and reports (defaults to the class name).
    name: str = ""
    @abc.abstractmethod
    def quote(self, view: View) -> Quote | Ladder | None:
        """Return the target quotes (a :class:`Quote`, or a :class:`Ladder` for several levels
        or explicit orders), or None to keep the current ones."""

    def on_fill(self, fill: dict[str, Any]) -> None:
        """Called when a fill report reaches the local side, before ``quote``.

        ``fill`` has ``side`` (+1 bought), ``price`` (ticks), ``qty`` (lots),
        ``exch_ts`` (when the exchange filled us), ``leaves`` (lots left on the
        order), ``order_id``, ``order_type`` (:class:`~mmsim.records.OrderType`),
        ``level`` (the target level the order was sent for; -1 for an explicit
        order) and ``tag`` (an explicit order's tag; 0 for target orders).
        """

    def on_reject(self, event: dict[str, Any]) -> None:
        """Called when a reject reaches the local side, before ``quote``.

        ``event`` has ``order_id``, ``order_type``, ``level``, ``tag``, ``side``,
        ``price`` and ``qty`` (the order's), ``reason``
        (:class:`~mmsim.records.RejectReason`) and ``exch_ts``.
        """

    def on_expire(self, event: dict[str, Any]) -> None:
        """Called when an expiry reaches the local side, before ``quote``.

        An IOC, FOK or market order (or a crossing quote with ``post_only: false``)
        expires with what it could not take. ``event`` has ``order_id``,
        ``order_type``, ``level``, ``tag``, ``side``, ``price`` and ``qty`` (the
        order's), ``leaves`` (the lots that expired) and ``exch_ts``.
        """

    def reset(self) -> None:
        """Called at the start of each run: clear per-run state here."""

    @property
    def label(self) -> str:
        """The name used in messages."""
        return self.name or type(self).__name__

