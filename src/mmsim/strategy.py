"""The strategy API: a strategy answers "what quotes do I want resting now?".

A Python strategy subclasses :class:`Strategy` and implements ``quote(view)``,
returning a :class:`Quote` (target bid/ask price in ticks and size in lots; size
0 pulls that side) or ``None`` for "no change". The engine owns order
management: it keeps a working order whose price and size already match the
target, and cancels/replaces the rest, paying the latency.

The view is what the local (delayed) side knows: a :class:`View` over one
record of :data:`mmsim.records.VIEW_DTYPE`. The numba fast path reads the same
record (see :mod:`mmsim.numba_strategy`).
"""

from __future__ import annotations

import abc
from typing import Any, NamedTuple

import numpy as np

from .records import SIGNAL_NAMES, VIEW_DTYPE

__all__ = ["Quote", "Strategy", "View"]


class Quote(NamedTuple):
    """Target quotes: prices in ticks, sizes in lots; a size of 0 means no order on that side."""

    bid_px: float
    bid_qty: float
    ask_px: float
    ask_qty: float


class View:
    """Read-only view of what the local side knows, over one VIEW_DTYPE record.

    Every field of :data:`~mmsim.records.VIEW_DTYPE` is an attribute
    (``view.ts``, ``view.best_bid``, ``view.position``, ``view.microprice``...);
    ``view.signals`` maps each signal name to its value. The record is reused
    between calls: copy what you want to keep (``view.copy()``).
    """

    __slots__ = ("_rec",)

    def __init__(self, record: np.ndarray) -> None:
        object.__setattr__(self, "_rec", record)

    def __getattr__(self, name: str) -> Any:
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

    def __repr__(self) -> str:
        return (
            f"View(ts={self.ts}, bid={self.best_bid}x{self.bid_qty}, ask={self.best_ask}x{self.ask_qty}, "
            f"position={self.position})"
        )


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
    def quote(self, view: View) -> Quote | None:
        """Return the target quotes, or None to keep the current ones."""

    def on_fill(self, fill: dict[str, Any]) -> None:
        """Called when a fill report reaches the local side, before ``quote``.

        ``fill`` has ``side`` (+1 bought), ``price`` (ticks), ``qty`` (lots) and
        ``exch_ts`` (when the exchange filled us).
        """

    def reset(self) -> None:
        """Called at the start of each run: clear per-run state here."""

    @property
    def label(self) -> str:
        """The name used in messages."""
        return self.name or type(self).__name__
