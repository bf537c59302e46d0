// What a strategy sees (View) and returns (Quote); mirrored by VIEW_DTYPE / QUOTE_DTYPE.
#pragma once
#include <cstdint>
#include "mmsim_signals.h"

namespace mmsim {

constexpr int kViewDepth = 5;
// Target levels per side a quote may carry (the config's ladder_levels is 1..kMaxLadder):
// the size of the ladder arrays in View and Quote. A bound, not a cost: the engine copies
// and zeroes only ladder_levels entries of each array per call.
constexpr int kMaxLadder = 16;
// Explicit (IOC, FOK, market) orders one strategy call may send.
constexpr int kMaxExplicit = 4;

enum Wake : int64_t { WakeMarket = 1, WakeResponse = 2, WakeTimer = 4, WakeFill = 8, WakeReject = 16, WakeExpire = 32 };
// An order's state as the local side knows it (view fields *_order_state, *_ladder_state).
enum OrderState : int64_t { StateNone = 0, StatePendingNew = 1, StateWorking = 2, StatePendingCancel = 3 };
// What kind of order: a target's resting limit order, or an explicit one-off order.
enum OrderType : int64_t { TypeLimit = 1, TypeIoc = 2, TypeFok = 3, TypeMarket = 4 };

struct View {
    int64_t ts;
    int64_t reason;
    int64_t best_bid;
    int64_t best_ask;
    int64_t bid_qty;
    int64_t ask_qty;
    int64_t bid_depth_px[kViewDepth];
    int64_t bid_depth_qty[kViewDepth];
    int64_t ask_depth_px[kViewDepth];
    int64_t ask_depth_qty[kViewDepth];
    int64_t trading_status;  // the venue's TradingStatus as the feed has told it (3: trading)
    int64_t position;
    double cash;
    double fees;
    int64_t n_fills;
    int64_t last_fill_side;
    int64_t last_fill_px;
    int64_t last_fill_qty;
    int64_t last_fill_ts;
    int64_t bid_order_px;
    int64_t bid_order_qty;
    int64_t bid_order_leaves;
    int64_t bid_order_state;
    int64_t ask_order_px;
    int64_t ask_order_qty;
    int64_t ask_order_leaves;
    int64_t ask_order_state;
    int64_t n_live_orders;
    int64_t n_events;
    double signals[MMSIM_SIG_COUNT];
    // Added with ladders and explicit orders (after the signals, so every field above keeps
    // its offset). position .. n_live_orders above and n_bid_levels .. last_expire_ts here
    // are our own state, written from one summary.
    int64_t n_bid_levels;      // target levels per side of the last quote applied
    int64_t n_ask_levels;
    int64_t n_explicit_live;   // explicit orders sent and not answered in full yet
    int64_t n_rejects;         // REJECTED responses received so far
    int64_t last_reject_id, last_reject_tag, last_reject_type, last_reject_level, last_reject_side;
    int64_t last_reject_reason, last_reject_ts;
    int64_t n_expires;         // EXPIRED responses received so far
    int64_t last_expire_id, last_expire_tag, last_expire_type, last_expire_level, last_expire_side;
    int64_t last_expire_qty, last_expire_ts;
    // Per target level k of the last quote: our newest live order for it (0 / StateNone: none).
    int64_t bid_ladder_px[kMaxLadder];
    int64_t bid_ladder_qty[kMaxLadder];
    int64_t bid_ladder_leaves[kMaxLadder];
    int64_t bid_ladder_state[kMaxLadder];
    int64_t ask_ladder_px[kMaxLadder];
    int64_t ask_ladder_qty[kMaxLadder];
    int64_t ask_ladder_leaves[kMaxLadder];
    int64_t ask_ladder_state[kMaxLadder];
};

// What a strategy call returns in `out` (doubles, so NaN/inf and off-grid values can be
// reported). Targets come in one of two forms: the 1-level form (bid_px .. ask_qty, with
// n_bid_levels == n_ask_levels == 0), or a ladder (n_*_levels entries of the *_ladder
// arrays, the four scalars 0). Explicit orders (n_orders entries of the order_* arrays) go
// out whatever the call returns.
struct Quote {
    double bid_px;
    double bid_qty;
    double ask_px;
    double ask_qty;
    int64_t n_bid_levels;
    int64_t n_ask_levels;
    int64_t n_orders;
    int64_t order_type[kMaxExplicit];  // OrderType: TypeIoc, TypeFok or TypeMarket
    int64_t order_side[kMaxExplicit];  // +1 buy, -1 sell
    double order_px[kMaxExplicit];     // limit price, ticks (ignored for TypeMarket)
    double order_qty[kMaxExplicit];    // lots, > 0
    int64_t order_tag[kMaxExplicit];   // the client's tag, carried to fills and the order log
    double bid_ladder_px[kMaxLadder];
    double bid_ladder_qty[kMaxLadder];
    double ask_ladder_px[kMaxLadder];
    double ask_ladder_qty[kMaxLadder];
};

// Return codes of a strategy call.
enum StrategyResult : int64_t { QuoteNoChange = 0, QuoteSet = 1 };

// A strategy's quote: fn(user, view, out) -> 0 (no change), 1 (out holds targets), anything
// else = error. The numba path passes a cfunc pointer through a small adapter; the Python
// path a trampoline.
using StrategyFn = int64_t (*)(void *user, const View *view, Quote *out);
// A response about one of our orders, as it reaches the local side.
struct OrderUpdate {
    int64_t order_id;
    int64_t tag;         // explicit orders: the client's tag; target orders: 0
    int64_t order_type;  // OrderType
    int64_t level;       // target orders: the ladder level it was sent for; explicit: -1
    int64_t side;        // +1 bid/buy, -1 ask/sell
    int64_t price;       // fill: the fill price; reject/expire: the order's price (ticks)
    int64_t qty;         // fill: the fill size; reject/expire: the order's size (lots)
    int64_t leaves;      // what is left of the order after it (expire: the size that expired)
    int64_t reason;      // RejectReason (rejects)
    int64_t exch_ts;     // when the exchange produced it
};
// A fill, reject or expiry reached the local side. Returns 0, or an error code that stops
// the run with a StrategyFailure.
using UpdateFn = int64_t (*)(void *user, const OrderUpdate *u);

// What a run calls; given to each run, never stored on the engine beyond it. quote null:
// replay the market alone. The callbacks may be null.
struct Strategy {
    StrategyFn quote = nullptr;
    UpdateFn on_fill = nullptr;
    void *user = nullptr;
    UpdateFn on_reject = nullptr;
    UpdateFn on_expire = nullptr;
};

}  // namespace mmsim
