"""Record layouts shared with the C++ engine: fills, the order log, samples, the strategy view.

Each dtype mirrors a C++ struct field for field (``cpp/include/mmsim/records.hpp``
and ``strategy.hpp``); ``tests/test_ffi.py`` checks sizes and offsets against
the compiled module. Units: time int64 ns, price int64 ticks, size int64 lots,
money float64 in the quote currency.
"""

from __future__ import annotations

import enum

import numpy as np

from . import _engine

__all__ = [
    "DECISION_DTYPE",
    "EXPLICIT_MAX",
    "FILL_DTYPE",
    "LADDER_MAX",
    "ORDER_LOG_DTYPE",
    "QUOTE_DTYPE",
    "SAMPLE_DTYPE",
    "SIGNAL_NAMES",
    "VIEW_DEPTH",
    "VIEW_DTYPE",
    "OrderEvent",
    "OrderState",
    "OrderType",
    "RejectReason",
    "Wake",
]

#: Signals computed by the Rust crate, in slot order (``MMSIM_SIG_*``).
SIGNAL_NAMES: tuple[str, ...] = (
    "spread",
    "mid",
    "imbalance",
    "depth_imbalance",
    "microprice",
    "ofi",
    "trade_flow",
    "volatility",
    "hawkes_buy",
    "hawkes_sell",
    "vpin",
)

#: Book levels per side in the strategy view.
VIEW_DEPTH = 5

#: Target levels per side a quote may hold at most (the bound of the config's
#: ``ladder_levels``, and the length of the ladder arrays in the view and ``out``).
LADDER_MAX: int = int(_engine.LADDER_MAX)

#: Explicit (IOC, FOK, market) orders one strategy call may send at most.
EXPLICIT_MAX: int = int(_engine.EXPLICIT_MAX)


# The values come from the compiled engine (one definition, in C++); the names are
# spelt out here so each can carry its documentation. tests/test_ffi.py checks the two
# agree name for name.
_C = _engine.ENUMS


class OrderEvent(enum.IntEnum):
    """What an order-log row records."""

    SENT = _C["OrderEvent"]["SENT"]  # local side sent a new order (exch_ts = when it will arrive)
    ACKED = _C["OrderEvent"]["ACKED"]  # the exchange accepted it and it rests in the book
    REJECTED = _C["OrderEvent"]["REJECTED"]  # the exchange refused it (see RejectReason)
    CANCEL_SENT = _C["OrderEvent"]["CANCEL_SENT"]  # local side sent a cancel (exch_ts = when it will arrive)
    CANCELED = _C["OrderEvent"]["CANCELED"]  # the exchange removed it (leaves = what was left)
    CANCEL_REJECTED = _C["OrderEvent"]["CANCEL_REJECTED"]  # the cancel arrived after the order was done (filled)
    FILLED = _C["OrderEvent"]["FILLED"]  # a fill (partial when leaves > 0)
    EXPIRED = _C["OrderEvent"]["EXPIRED"]  # the unfilled rest of an order that may not rest (IOC, FOK, market, a crossing quote)


class RejectReason(enum.IntEnum):
    """Why the exchange refused an order or a cancel."""

    NONE = _C["RejectReason"]["NONE"]
    POST_ONLY_WOULD_CROSS = _C["RejectReason"]["POST_ONLY_WOULD_CROSS"]
    ORDER_DONE = _C["RejectReason"]["ORDER_DONE"]  # cancel of an order already filled or cancelled
    HALTED = _C["RejectReason"]["HALTED"]  # the venue is halted (TradingStatus.HALTED): no orders taken
    NOT_TRADING = _C["RejectReason"]["NOT_TRADING"]  # quoting only: an order that would trade (post_only off)


class OrderState(enum.IntEnum):
    """An order's state as the local side knows it (view fields ``*_order_state``)."""

    NONE = _C["OrderState"]["NONE"]
    PENDING_NEW = _C["OrderState"]["PENDING_NEW"]
    WORKING = _C["OrderState"]["WORKING"]
    PENDING_CANCEL = _C["OrderState"]["PENDING_CANCEL"]


class OrderType(enum.IntEnum):
    """What kind of order a fill or an order-log row belongs to (fields ``order_type``)."""

    LIMIT = _C["OrderType"]["LIMIT"]  # a target quote's order: rests (post-only unless post_only is false)
    IOC = _C["OrderType"]["IOC"]  # explicit: takes the visible levels up to its price, the rest expires
    FOK = _C["OrderType"]["FOK"]  # explicit: fills whole from the visible levels up to its price, or expires whole
    MARKET = _C["OrderType"]["MARKET"]  # explicit: takes the visible levels whatever the price, the rest expires


class Wake(enum.IntFlag):
    """Why the strategy is called (view field ``reason``, a bit set)."""

    MARKET = _C["Wake"]["MARKET"]  # market data reached the local side
    RESPONSE = _C["Wake"]["RESPONSE"]  # an ack, reject, fill or cancel confirmation reached it
    TIMER = _C["Wake"]["TIMER"]  # the decide_every timer fired
    FILL = _C["Wake"]["FILL"]  # among the responses was a fill
    REJECT = _C["Wake"]["REJECT"]  # among the responses was a reject
    EXPIRE = _C["Wake"]["EXPIRE"]  # among the responses was an expiry


FILL_DTYPE = np.dtype(
    [
        ("exch_ts", "<i8"),  # when the exchange filled us
        ("local_ts", "<i8"),  # when the fill report reached the strategy
        ("order_id", "<i8"),
        ("price", "<i8"),  # ticks, the price we traded at
        ("qty", "<i8"),  # lots
        ("leaves", "<i8"),  # lots left on the order after this fill
        ("position", "<i8"),  # our position after the fill, lots
        ("best_bid", "<i8"),  # exchange best bid just before the fill (ticks)
        ("best_ask", "<i8"),  # exchange best ask just before the fill (ticks)
        ("fee", "<f8"),  # quote currency; negative is a rebate
        ("side", "i1"),  # +1 we bought, -1 we sold
        ("maker", "?"),  # True: our resting order was hit
        ("after_cancel", "?"),  # a cancel for this order was already sent
        ("order_type", "u1"),  # OrderType: LIMIT (a target's order), IOC, FOK, MARKET
        ("level", "i1"),  # the target level the order was sent for (0 = first); -1: an explicit order
        ("tag", "<i8"),  # an explicit order's client tag (0 for target orders)
        # Queue position (docs/engine.md, "Queue position of a fill"); -1 for a taker fill,
        # and for every fill of a result saved before these fields existed (Result.load):
        ("queue_ahead_at_entry", "<i8"),  # lots displayed at the order's price when it arrived (0: it opened the level)
        ("level_qty_at_fill", "<i8"),  # lots displayed at the order's price just before the fill
    ],
    align=True,
)

ORDER_LOG_DTYPE = np.dtype(
    [
        ("exch_ts", "<i8"),  # exchange-side time of the event
        ("local_ts", "<i8"),  # local-side time (sent, or when the response arrives)
        ("order_id", "<i8"),
        ("price", "<i8"),
        ("qty", "<i8"),  # the order's size, or a fill's size for FILLED
        ("leaves", "<i8"),
        ("event", "u1"),  # OrderEvent
        ("side", "i1"),
        ("reason", "u1"),  # RejectReason
        ("order_type", "u1"),  # OrderType
        ("level", "i1"),  # the target level the order was sent for; -1: an explicit order
        ("tag", "<i8"),  # an explicit order's client tag (0 for target orders)
        # The strategy call the row comes from (0-based over the run's calls; the row of
        # Result.decisions when the decision log is on): the call that sent the order
        # (SENT, ACKED, REJECTED, FILLED, EXPIRED) or the cancel (CANCEL_SENT, CANCELED,
        # CANCEL_REJECTED).
        ("decision", "<i8"),
    ],
    align=True,
)

#: One strategy call (C struct ``mmsim::DecisionRecord``): the decision log, one row per
#: call, ``Result.decisions`` (docs/engine.md, "Decisions and information age").
#: Information age = ``local_ts - event_exch_ts`` = feed delay (``event_local_ts -
#: event_exch_ts``) + wait (``local_ts - event_local_ts``).
DECISION_DTYPE = np.dtype(
    [
        ("local_ts", "<i8"),  # when the strategy was called, ns
        ("event_exch_ts", "<i8"),  # exch_ts of the newest market event in its view (INT64_MIN: none)
        ("event_local_ts", "<i8"),  # when that event reached the local side (INT64_MIN: none)
        ("event_index", "<i8"),  # that event's index in the event array (-1: none)
        ("best_bid", "<i8"),  # the view's best bid, ticks (INT64_MIN when empty)
        ("best_ask", "<i8"),  # the view's best ask, ticks (INT64_MAX when empty)
        ("reason", "<i8"),  # Wake bits: why the strategy was called
    ],
    align=True,
)

SAMPLE_DTYPE = np.dtype(
    [
        ("exch_ts", "<i8"),
        ("best_bid", "<i8"),  # exchange book, ticks (INT64_MIN when empty)
        ("best_ask", "<i8"),  # ticks (INT64_MAX when empty)
        ("position", "<i8"),  # lots
        ("cash_ticks", "<i8"),  # sum of -side*price*qty over fills, in tick*lot units (exact)
        ("fees", "<f8"),  # fees paid so far, quote currency
        ("n_fills", "<i8"),
    ],
    align=True,
)

_view_fields = [
    ("ts", "<i8"),  # local time, ns
    ("reason", "<i8"),  # Wake bits
    ("best_bid", "<i8"),  # local (delayed) book, ticks; INT64_MIN when the side is empty
    ("best_ask", "<i8"),  # ticks; INT64_MAX when empty
    ("bid_qty", "<i8"),  # lots at the best bid (0 when empty)
    ("ask_qty", "<i8"),
    ("bid_depth_px", "<i8", (VIEW_DEPTH,)),
    ("bid_depth_qty", "<i8", (VIEW_DEPTH,)),
    ("ask_depth_px", "<i8", (VIEW_DEPTH,)),
    ("ask_depth_qty", "<i8", (VIEW_DEPTH,)),
    ("trading_status", "<i8"),  # mmsim.TradingStatus as the feed has told it (3 TRADING; 1 HALTED, 2 QUOTING)
    ("position", "<i8"),  # lots, as the fill reports so far tell it
    ("cash", "<f8"),  # quote currency, fees deducted
    ("fees", "<f8"),
    ("n_fills", "<i8"),
    ("last_fill_side", "<i8"),
    ("last_fill_px", "<i8"),
    ("last_fill_qty", "<i8"),
    ("last_fill_ts", "<i8"),  # exchange time of the last fill
    ("bid_order_px", "<i8"),  # our newest live bid as last heard (0 when none)
    ("bid_order_qty", "<i8"),
    ("bid_order_leaves", "<i8"),
    ("bid_order_state", "<i8"),  # OrderState
    ("ask_order_px", "<i8"),
    ("ask_order_qty", "<i8"),
    ("ask_order_leaves", "<i8"),
    ("ask_order_state", "<i8"),
    ("n_live_orders", "<i8"),
    ("n_events", "<i8"),  # market events the local side has received
] + [(name, "<f8") for name in SIGNAL_NAMES] + [
    # After the signals (so every field above keeps its offset).
    ("n_bid_levels", "<i8"),  # target levels of the last quote applied, per side (1 for the 1-level form)
    ("n_ask_levels", "<i8"),
    ("n_explicit_live", "<i8"),  # explicit (IOC/FOK/market) orders sent and not answered in full
    ("n_rejects", "<i8"),  # REJECTED responses received so far
    ("last_reject_id", "<i8"),
    ("last_reject_tag", "<i8"),
    ("last_reject_type", "<i8"),  # OrderType
    ("last_reject_level", "<i8"),
    ("last_reject_side", "<i8"),
    ("last_reject_reason", "<i8"),  # RejectReason
    ("last_reject_ts", "<i8"),  # exchange time of the reject
    ("n_expires", "<i8"),  # EXPIRED responses received so far
    ("last_expire_id", "<i8"),
    ("last_expire_tag", "<i8"),
    ("last_expire_type", "<i8"),  # OrderType
    ("last_expire_level", "<i8"),
    ("last_expire_side", "<i8"),
    ("last_expire_qty", "<i8"),  # lots that expired unfilled
    ("last_expire_ts", "<i8"),  # exchange time of the expiry
    # Per target level k of the last quote, our newest live order for it (0 / NONE: none);
    # entries from ladder_levels on stay 0.
    ("bid_ladder_px", "<i8", (LADDER_MAX,)),
    ("bid_ladder_qty", "<i8", (LADDER_MAX,)),
    ("bid_ladder_leaves", "<i8", (LADDER_MAX,)),
    ("bid_ladder_state", "<i8", (LADDER_MAX,)),  # OrderState
    ("ask_ladder_px", "<i8", (LADDER_MAX,)),
    ("ask_ladder_qty", "<i8", (LADDER_MAX,)),
    ("ask_ladder_leaves", "<i8", (LADDER_MAX,)),
    ("ask_ladder_state", "<i8", (LADDER_MAX,)),
]

#: What a strategy sees (C struct ``mmsim::View``).
VIEW_DTYPE = np.dtype(_view_fields, align=True)

#: What a numba strategy writes (C struct ``mmsim::Quote``): target quotes in ticks
#: and lots, as float64 so that NaN/inf and off-grid values can be detected and
#: reported. Either the 1-level form (``bid_px`` .. ``ask_qty``, with
#: ``n_bid_levels == n_ask_levels == 0``) or a ladder (``n_*_levels`` entries of the
#: ``*_ladder_*`` arrays); explicit orders in ``n_orders`` entries of the ``order_*`` arrays.
QUOTE_DTYPE = np.dtype(
    [
        ("bid_px", "<f8"),
        ("bid_qty", "<f8"),
        ("ask_px", "<f8"),
        ("ask_qty", "<f8"),
        ("n_bid_levels", "<i8"),  # ladder form: levels in bid_ladder_px/qty (0 and 0: the 1-level form)
        ("n_ask_levels", "<i8"),
        ("n_orders", "<i8"),  # explicit orders in order_* (sent whatever the rule returns)
        ("order_type", "<i8", (EXPLICIT_MAX,)),  # OrderType.IOC, FOK or MARKET
        ("order_side", "<i8", (EXPLICIT_MAX,)),  # +1 buy, -1 sell
        ("order_px", "<f8", (EXPLICIT_MAX,)),  # limit price, ticks (ignored for MARKET)
        ("order_qty", "<f8", (EXPLICIT_MAX,)),  # lots, > 0
        ("order_tag", "<i8", (EXPLICIT_MAX,)),  # client tag, carried to fills and the order log
        ("bid_ladder_px", "<f8", (LADDER_MAX,)),
        ("bid_ladder_qty", "<f8", (LADDER_MAX,)),
        ("ask_ladder_px", "<f8", (LADDER_MAX,)),
        ("ask_ladder_qty", "<f8", (LADDER_MAX,)),
    ],
    align=True,
)
