// What a strategy sees (View) and returns (Quote); mirrored by VIEW_DTYPE / QUOTE_DTYPE.
#pragma once
#include <cstdint>
#include "mmsim_signals.h"

namespace mmsim {

constexpr int kViewDepth = 5;

enum Wake : int64_t { WakeMarket = 1, WakeResponse = 2, WakeTimer = 4, WakeFill = 8 };
// An order's state as the local side knows it (view fields *_order_state).
enum OrderState : int64_t { StateNone = 0, StatePendingNew = 1, StateWorking = 2, StatePendingCancel = 3 };

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
};

struct Quote {
    double bid_px;
    double bid_qty;
    double ask_px;
    double ask_qty;
};

// Return codes of a strategy call.
enum StrategyResult : int64_t { QuoteNoChange = 0, QuoteSet = 1 };

// A strategy's quote: fn(user, view, out) -> 0 (no change), 1 (out holds targets), anything
// else = error. The numba path passes a cfunc pointer through a small adapter; the Python
// path a trampoline.
using StrategyFn = int64_t (*)(void *user, const View *view, Quote *out);
// A fill report reached the local side: side +1/-1, price ticks, qty lots, the exchange time
// of the fill. Returns 0, or an error code that stops the run with a StrategyFailure.
using FillFn = int64_t (*)(void *user, int64_t side, int64_t price, int64_t qty, int64_t exch_ts);

// What a run calls; given to each run, never stored on the engine beyond it. quote null:
// replay the market alone.
struct Strategy {
    StrategyFn quote = nullptr;
    FillFn on_fill = nullptr;
    void *user = nullptr;
};

}  // namespace mmsim
