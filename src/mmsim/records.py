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
    "FILL_DTYPE",
    "ORDER_LOG_DTYPE",
    "QUOTE_DTYPE",
    "SAMPLE_DTYPE",
    "SIGNAL_NAMES",
    "VIEW_DEPTH",
    "VIEW_DTYPE",
    "OrderEvent",
    "OrderState",
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
    EXPIRED = _C["OrderEvent"]["EXPIRED"]  # the unfilled rest of a crossing order that may not rest (not used by post-only)


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


class Wake(enum.IntFlag):
    """Why the strategy is called (view field ``reason``, a bit set)."""

    MARKET = _C["Wake"]["MARKET"]  # market data reached the local side
    RESPONSE = _C["Wake"]["RESPONSE"]  # an ack, reject, fill or cancel confirmation reached it
    TIMER = _C["Wake"]["TIMER"]  # the decide_every timer fired
    FILL = _C["Wake"]["FILL"]  # among the responses was a fill


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
] + [(name, "<f8") for name in SIGNAL_NAMES]

#: What a strategy sees (C struct ``mmsim::View``).
VIEW_DTYPE = np.dtype(_view_fields, align=True)

#: What a numba strategy writes: target quotes in ticks and lots, as float64 so
#: that NaN/inf and off-grid values can be detected and reported.
QUOTE_DTYPE = np.dtype(
    [("bid_px", "<f8"), ("bid_qty", "<f8"), ("ask_px", "<f8"), ("ask_qty", "<f8")],
    align=True,
)
