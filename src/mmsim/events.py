"""The event schema: one fixed numpy dtype shared by loaders, the engine and reports.

Every market event is one record of :data:`EVENT_DTYPE`. Times are int64
nanoseconds since the UTC epoch, prices int64 ticks, sizes int64 lots. The C++
engine reads the numpy buffer in place through a ``struct Event`` with the same
field order (``cpp/include/mmsim/event.hpp``); ``tests/test_ffi.py`` checks that
sizes and offsets match.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from . import _engine
from .errors import DataError

__all__ = ["EVENT_DTYPE", "Kind", "Side", "TradingStatus", "as_event_array", "empty_events", "event_dtype_problem"]

#: The ``meta.json`` key of a store's content digest, ``"sha256:"`` and the SHA-256 (hex) of its events' bytes (the
#: store writer's, ``mmsim.data._store_write.events_digest``; ``mmsim compare`` and a report know the data by it).
DIGEST_KEY = "events_digest"


def digest_problem(v: Any) -> str | None:
    """Why ``v`` is not a content digest of the form :data:`DIGEST_KEY` holds (None when it is): the one check of
    a store's ``meta.json``, a run's ``result.json`` ``meta`` and ``mmsim report --events`` (breaker16d)."""
    if isinstance(v, str) and len(v) == 71 and v.startswith("sha256:") and all(c in "0123456789abcdef" for c in v[7:]):
        return None
    return (f"must be 'sha256:' and 64 lowercase hex digits (the SHA-256 of the events, written with the store), "
            f"got {v!r}")

# Enum values come from the compiled engine (one definition, in C++).
_C = _engine.ENUMS


class Kind(enum.IntEnum):
    """Event kinds; the values are ``enum class Kind`` of ``cpp/include/mmsim/event.hpp``.

    L2 (market-by-price):

    - ``DEPTH``: set the level at ``side``/``price`` to ``qty`` lots (0 removes it).
    - ``TRADE``: a trade print of ``qty`` at ``price``; ``side`` is the aggressor
      (+1: a buyer lifted the ask, -1: a seller hit the bid). A trade does not
      change the book by itself: on L2 data the venue's depth update follows.
    - ``CLEAR``: empty one side of the book (``side`` +1 or -1) or both (``side`` 0);
      a snapshot is a ``CLEAR`` followed by ``DEPTH`` events at the same time.

    L3 (market-by-order), each naming ``order_id`` and carrying the order's
    ``side`` and ``price``:

    - ``ADD``: a new order of ``qty`` lots joins the back of its level.
    - ``CANCEL``: the order is reduced by ``qty`` lots (keeps its priority).
    - ``DELETE``: the order is removed; ``qty`` is its remaining size.
    - ``EXECUTE``: the resting order traded ``qty`` lots; the aggressor is the
      other side. It is a trade print and reduces the order.

    Both:

    - ``STATUS``: the venue's trading status changes to ``qty`` (a
      :class:`TradingStatus`); ``side``, ``price`` and ``order_id`` are 0. It does
      not change the book.
    """

    DEPTH = _C["Kind"]["DEPTH"]
    TRADE = _C["Kind"]["TRADE"]
    CLEAR = _C["Kind"]["CLEAR"]
    ADD = _C["Kind"]["ADD"]
    CANCEL = _C["Kind"]["CANCEL"]
    DELETE = _C["Kind"]["DELETE"]
    EXECUTE = _C["Kind"]["EXECUTE"]
    STATUS = _C["Kind"]["STATUS"]


#: The L3 (market-by-order) kinds, as ints: ``ADD``, ``CANCEL``, ``DELETE``, ``EXECUTE`` (each names an order; a
#: store holding one is L3 data). The one list the trade-implied book's refusal (:mod:`mmsim.data.implied`), the
#: stale-book report's depth updates (:mod:`mmsim.report.stale`) and the queue score read.
L3_KINDS: tuple[int, ...] = (int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE))
#: Their names, as messages list them: ``ADD, CANCEL, DELETE, EXECUTE``.
L3_KIND_NAMES = ", ".join(Kind(k).name for k in L3_KINDS)


def is_order_event(kinds: np.ndarray) -> np.ndarray:
    """Boolean mask, the shape of ``kinds`` (an event array's ``kind`` column), of the L3 order events
    (:data:`L3_KINDS`): one range test a record, as ``ADD``..``EXECUTE`` are 4..7 (event.hpp). The one test of a store
    writer's order count and of :func:`mmsim.data._identity.first_order_event`."""
    return (kinds >= L3_KINDS[0]) & (kinds <= L3_KINDS[-1])


class TradingStatus(enum.IntEnum):
    """The venue's trading status, carried in the ``qty`` of a ``STATUS`` event.

    The values are ``enum class TradingStatus`` of ``cpp/include/mmsim/event.hpp``.
    A replay starts in ``TRADING``.

    - ``HALTED``: no orders are matched (a trading halt).
    - ``QUOTING``: orders may rest but nothing matches (a pre-open or
      quotation-only period, e.g. LOBSTER's "quoting" resume phase).
    - ``TRADING``: normal continuous trading.
    """

    HALTED = _C["TradingStatus"]["HALTED"]
    QUOTING = _C["TradingStatus"]["QUOTING"]
    TRADING = _C["TradingStatus"]["TRADING"]


class Side(enum.IntEnum):
    """Side of a book level, an order or a trade aggressor."""

    BID = 1
    ASK = -1
    BOTH = 0

    BUY = 1
    SELL = -1


#: The event record. Aligned; 48 bytes; field order fixed (the C++ ``Event``).
EVENT_DTYPE = np.dtype(
    [
        ("exch_ts", "<i8"),  # exchange time, ns since the UTC epoch
        ("local_ts", "<i8"),  # recorded receive time, ns (0 when not recorded)
        ("price", "<i8"),  # ticks
        ("qty", "<i8"),  # lots
        ("order_id", "<i8"),  # L3 order id; 0 for L2 events
        ("kind", "u1"),  # Kind
        ("side", "i1"),  # +1 bid/buy, -1 ask/sell, 0 both (CLEAR)
    ],
    align=True,
)

assert EVENT_DTYPE.itemsize == 48, EVENT_DTYPE.itemsize


def empty_events(n: int = 0) -> np.ndarray:
    """Return a zeroed event array of length ``n``."""
    return np.zeros(n, dtype=EVENT_DTYPE)


def _fields(dtype: np.dtype) -> list[tuple[str, str]]:
    """``[(name, type), ...]`` of a structured dtype, padding left out (``[]`` when not structured)."""
    if dtype.names is None or dtype.fields is None:
        return []
    return [(n, dtype.fields[n][0].str) for n in dtype.names]


def as_event_array(events: Any, what: str = "events") -> np.ndarray:
    """``events`` as an array of :data:`EVENT_DTYPE`: as is, or copied when only the layout differs.

    An array with ``EVENT_DTYPE``'s fields (same names, order and types) in another
    layout is copied into ``EVENT_DTYPE``: ``np.concatenate`` of two slices of a
    store's ``events`` (whose dtype, read back from ``.npy``, has lost numpy's
    "aligned" flag) gives a packed 42-byte record with the same fields, as does
    ``np.zeros(n, dtype=[...])`` written without ``align=True``. The values are
    unchanged.

    Parameters
    ----------
    events : numpy.ndarray
        The array to check.
    what : str
        How error messages name it (``"events"``, ``"to_l2: events"``...).

    Returns
    -------
    numpy.ndarray
        ``events`` itself when its dtype is ``EVENT_DTYPE``, else a copy in it.

    Raises
    ------
    mmsim.DataError
        When the fields differ from ``EVENT_DTYPE``'s; the message names the
        fields missing, extra or of another type.
    """
    dtype = events.dtype
    if dtype == EVENT_DTYPE:
        return events
    why = event_dtype_problem(dtype)
    if why is None:
        return events.astype(EVENT_DTYPE)
    raise DataError(
        f"{what} have dtype {dtype}, expected mmsim.EVENT_DTYPE ({why}; "
        "build them with mmsim.events.empty_events or a loader)"
    )


def event_dtype_problem(dtype: np.dtype) -> str | None:
    """What keeps ``dtype`` from holding events (None: ``EVENT_DTYPE``'s fields, in any layout).

    ``"float64 is not a structured dtype"``, ``"missing qty; price is <i4, not <i8"``...
    """
    want, got = _fields(EVENT_DTYPE), _fields(dtype)
    if got == want:
        return None
    if not got:
        return f"{dtype} is not a structured dtype"
    have, need = dict(got), dict(want)
    parts = []
    missing = [n for n in need if n not in have]
    extra = [n for n in have if n not in need]
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("extra " + ", ".join(extra))
    parts.extend(f"{n} is {have[n]}, not {need[n]}" for n in need if n in have and have[n] != need[n])
    if not parts:
        parts.append("fields in another order: " + ", ".join(n for n, _ in got))
    return "; ".join(parts)
