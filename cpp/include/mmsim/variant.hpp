// One run inside a pass: everything of a run that is not the shared market.
//
// Two halves, as in a real deployment:
//  - the venue side: our orders resting at the exchange with their queue positions,
//    matched against the shared book's changes (on_market) and our arriving messages
//    (order_arrival); it answers over the response stream;
//  - the local side: the feed cursor (how much of the tape this run has received), the
//    timer, the order manager that turns the strategy's target quotes into orders, the
//    view, the strategy calls.
// The scheduler (engine.cpp) decides when each of these runs; nothing here reads the
// clock of another run or changes the shared book.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "mmsim/book.hpp"
#include "mmsim/engine.hpp"
#include "mmsim/tape.hpp"

namespace mmsim {

constexpr int64_t kInf = std::numeric_limits<int64_t>::max();

// FIFO ring buffer; grows by doubling (rarely), never per message.
template <class T>
class Fifo {
  public:
    Fifo() : buf_(64) {}
    bool empty() const { return n_ == 0; }
    size_t size() const { return n_; }
    const T &front() const { return buf_[head_]; }
    void pop() {
        head_ = (head_ + 1) & (buf_.size() - 1);
        --n_;
    }
    void push(const T &v) { *append() = v; }
    // A new slot at the back, to be written field by field. The front stays valid after
    // pop() until the next append.
    T *append() {
        if (n_ == buf_.size()) grow();
        T *slot = &buf_[(head_ + n_) & (buf_.size() - 1)];
        ++n_;
        return slot;
    }

  private:
    void grow() {
        std::vector<T> nb(buf_.size() * 2);
        for (size_t k = 0; k < n_; ++k) nb[k] = buf_[(head_ + k) & (buf_.size() - 1)];
        buf_.swap(nb);
        head_ = 0;
    }
    std::vector<T> buf_;
    size_t head_ = 0, n_ = 0;
};

enum class MsgType : uint8_t { New = 1, Cancel = 2 };
enum class RespType : uint8_t { Ack = 1, Reject = 2, Fill = 3, Canceled = 4, CancelRejected = 5, Expired = 6 };

// A message on its way to the exchange.
struct ToExchange {
    int64_t ts;  // arrival at the exchange
    int64_t order_id, price, qty;
    int64_t tag;
    int64_t decision;  // the strategy call that sent it
    int8_t side;
    MsgType type;
    uint8_t order_type;  // OrderType
    int8_t level;        // target level (-1: explicit order)
};

// A response on its way to the local side.
struct ToLocal {
    int64_t ts;  // arrival at the local side
    int64_t order_id, price, qty, leaves, exch_ts;
    double fee;
    int8_t side;
    RespType type;
    uint8_t reason;
    bool taker;  // a fill that took liquidity (a crossing order on arrival)
};

// One of our orders as the exchange holds it.
struct ExOrder {
    int64_t id, price, qty, leaves;
    int64_t ahead;      // lots ahead of us in the queue (the queue model's estimate on L2; exact on L3)
    int64_t seq;        // priority among L3 orders (every book order with a lower seq is ahead)
    int64_t trade_vol;  // traded at our level since its last depth update (not to count twice)
    int64_t tag;
    int64_t decision;   // the strategy call that sent it
    int8_t side;
    uint8_t order_type;  // OrderType
    int8_t level;        // target level (-1: explicit order)
    // Within the venue message being applied (settled at its end, then reset):
    bool touched = false;  // L2: depth updates (or a CLEAR, or the stale-crossing rule) changed our level
    int64_t msg_prev = 0;  // ... whose size before the message was this
    int64_t behind = 0;    // L3: lots executed behind us at our price
    int64_t hidden = 0;    // L3: lots printed at our price with no displayed order behind them
    int64_t cross = 0;     // L3: lots a crossing gives this order (check_cross, cross_after_message)
    int64_t clear_ahead = 0;  // L3: lots ahead of us when a CLEAR of the message emptied our side
    // L3: book orders with a seq in [win_lo, win_hi) are ahead of us too: lots a snapshot
    // re-listed at our price under new ids, counted ahead up to what was ahead before it
    // (relist_window). Empty (win_lo == win_hi) unless a snapshot did that.
    int64_t win_lo = 0, win_hi = 0;
    // Queue position figures of its fills (FillRecord): the lots displayed at its price when
    // it arrived (it joins the back of its level under every queue model and on L3), and the
    // size of its level before the venue message at msg_ts (-1: the message has not changed
    // the level so far, the book has it). Written per arrival and per change at its price.
    int64_t entry_ahead = -1;
    int64_t msg_level = -1, msg_ts = 0;
    // L2: lots printed at its price (with an aggressor) in the venue message at print_ts: in a
    // resume message they are the venue's report of its auction, which the book's uncross of
    // the same message does not trade again (Variant::end_message).
    int64_t printed = 0, print_ts = -1;
    void note_level(int64_t ts, int64_t prev) {
        if (msg_ts != ts || msg_level < 0) {
            msg_ts = ts;
            msg_level = prev;
        }
    }

    // L3: the book order with priority `s` is ahead of this one.
    bool after(int64_t s) const { return s < seq || (s >= win_lo && s < win_hi); }
};

// One of our orders as the local side knows it.
struct LocalOrder {
    int64_t id, price, qty, leaves;
    int64_t state;  // OrderState
    int64_t tag;
    int8_t side;
    uint8_t order_type;  // OrderType
    int8_t level;        // target level it was sent for (-1: explicit order)
};

class Variant {
  public:
    // feed_slot: this run's delivery column on the tape (-1: a constant feed, computed from
    // the entries' exch_ts); signal_set: its signal column (-1: signals disabled).
    Variant(const RunSpec &spec, const Tape &tape, const Book &book, int64_t n_events, int feed_slot, int signal_set,
            RunOutput &out);
    Variant(const Variant &) = delete;
    Variant &operator=(const Variant &) = delete;

    const EngineConfig &config() const { return cfg_; }
    bool has_strategy() const { return strategy_.quote != nullptr; }
    LatencyModel &feed() { return *feed_; }
    int feed_slot() const { return feed_slot_; }
    int signal_set() const { return signal_set_; }
    RunOutput &out() { return out_; }

    // ------------------------------------------------------------ venue side
    bool resting() const { return !ex_orders_.empty(); }
    // Price span of our resting bids and asks (lo > hi when none); the scheduler folds
    // them into one span over all runs.
    int64_t bid_lo = kInf, bid_hi = std::numeric_limits<int64_t>::min();
    int64_t ask_lo = kInf, ask_hi = std::numeric_limits<int64_t>::min();
    // False when event e (a depth update away from our prices) can neither move our queue
    // position nor cross one of our orders: the common case while quoting.
    MMSIM_INLINE bool concerns(const Event &e) const {
        if (e.kind != static_cast<uint8_t>(Kind::Depth) || e.qty < 0) return true;
        const bool away = e.side > 0 ? (e.price < bid_lo || e.price > bid_hi) && (e.qty == 0 || e.price < ask_lo)
                        : e.side < 0 ? (e.price < ask_lo || e.price > ask_hi) && (e.qty == 0 || e.price > bid_hi)
                                     : false;
        return !away;
    }
    // Market event e (index i) changed the book by c; bb/ba: the exchange best bid/ask before
    // its venue message. Trades fill at once; depth changes and executions behind us are
    // settled at the end of the message (end_message).
    void on_market(const Event &e, int64_t i, const BookChange &c, int64_t bb, int64_t ba);
    // A CLEAR of `side` (0: both) is about to be applied: our levels there go from their size
    // now to what the rest of the message lists.
    void before_clear(int8_t side, int64_t ts);
    // Something of the current venue message is left to settle (end_message).
    bool settle_pending() const { return settle_; }
    // The venue message at ts (best bid/ask bb/ba before it) is applied: settle our queue
    // positions by its net depth change, the executions behind us, snapshots and crossings.
    // `reopened`: trading resumed in this message (our crossed orders fill). `last`: the
    // message's last event (a fill whose sums overflow names it).
    void end_message(int64_t ts, int64_t last, int64_t bb, int64_t ba, bool reopened);
    // Our resting orders, in arrival order (the checked mode reads them).
    const std::vector<ExOrder> &ex_orders() const { return ex_orders_; }
    // Sides (bit 1 bids, bit 2 asks) a CLEAR of the current message emptied: their queue
    // positions are recomputed at its end.
    uint8_t cleared_sides() const { return cleared_; }
    // The head of the to-exchange stream arrives, against the book as it is now: after event
    // `last` (a fill whose sums overflow names it, the book it traded against).
    void order_arrival(const Book &book, int64_t last);
    int64_t next_arrival() const { return to_exchange_.empty() ? kInf : to_exchange_.front().ts; }
    // Messages still on their way to the exchange (at the end: those that never reached it).
    int64_t in_flight_to_exchange() const { return static_cast<int64_t>(to_exchange_.size()); }
    // Samples every sample_every ns of exchange time: those due up to ts, before the event at ts.
    int64_t next_sample = 0;
    void sample_until(int64_t ts, const Book &book);
    // The run is over: the last sample at `now` (the later of the last event and our last arrival).
    void finish(int64_t last_event_ts, const Book &book, int64_t n_events);
    // The data ended at end_ts: a strategy call after it sends nothing (its orders could only
    // reach the exchange after the last event; its quote is neither checked nor applied).
    void set_end(int64_t end_ts) { end_ts_ = end_ts; }
    // Whether interest (bid_lo..ask_hi) changed since the scheduler last looked.
    bool interest_changed = false;

    // ------------------------------------------------------------ local side
    int64_t next_response() const { return to_local_.empty() ? kInf : to_local_.front().ts; }
    // When the next entry of the tape reaches this run (kInf: not recorded yet).
    int64_t next_delivery() {
        if (next_delivery_ != kInf) return next_delivery_;
        const int64_t j = cursor_ + 1;
        if (j >= tape_.size()) return kInf;
        next_delivery_ = feed_slot_ < 0 ? tape_.at(j)[Tape::kTsLast] + feed_ns_ : tape_.delivery(j, feed_slot_);
        if (debug_armed_) early(j);
        return next_delivery_;
    }
    // Receive the next entry.
    void deliver() {
        ++cursor_;
        cursor_pos_ = tape_.at(cursor_)[Tape::kPos];
        cursor_delivery_ = next_delivery_;
        next_delivery_ = kInf;
    }
    int64_t cursor() const { return cursor_; }
    // Every market event has reached the local side: no more strategy calls or timer.
    bool market_done() const { return cursor_pos_ >= n_events_; }
    // The earliest of this run's own items (kInf: none).
    int64_t due() {
        int64_t t = std::min(next_arrival(), next_response());
        t = std::min(t, next_delivery());
        return std::min(t, timer_due());
    }
    int64_t decide_every() const { return cfg_.decide_every; }
    // The decision timer (decide_every > 0): its next tick on the grid first market data +
    // k * decide_every. It sleeps once idle_ns has passed since market data last reached the
    // local side, and wakes on its grid at the next delivery (docs/engine.md, "The timer
    // through gaps"): a gap in the data costs at most idle_ns / decide_every calls, whatever
    // its length. Responses to our own orders do not keep it awake (a strategy that requotes
    // on every tick would otherwise tick through any gap); those that arrive while it sleeps
    // are applied, and the strategy sees them at the next call.
    int64_t timer_next = kInf;
    int64_t last_wake = 0;  // local time of the last delivery
    bool timer_awake() const { return timer_next - last_wake <= idle_ns_; }
    int64_t timer_due() const { return market_done() || !timer_awake() ? kInf : timer_next; }
    // A sleeping timer wakes on its grid at local time t: its next tick is the first at or after t.
    void realign(int64_t t) {
        if (timer_next < t && !timer_awake()) {
            const int64_t dt = cfg_.decide_every;
            timer_next += (t - timer_next + dt - 1) / dt * dt;
        }
    }
    // A response reaches the local side at its time; adds its Wake bits to `reason`.
    void take_response(int64_t &reason);
    // One strategy call at local time ts; counts calls at one time to stop a livelock.
    void call(int64_t ts, int64_t reason);

  private:
    // venue side
    [[noreturn]] void overflow(const ExOrder &o, int64_t price, int64_t qty, const char *what) const;
    void depth_changed(const BookChange &c);
    // The book removed (or, at a reopening, reduced) these levels (price, lots before) of `side`.
    void levels_removed(int8_t side, const std::vector<std::pair<int64_t, int64_t>> &removed);
    void trade_at(int8_t aggressor, int64_t price, int64_t qty);
    void l3_event(const Event &e, const BookChange &c);
    void check_cross(int8_t level_side, int64_t price, int64_t avail);
    // L3: the lots with priority over our order k on its side (price, then time): our own
    // orders before it and, with `book`, the book's orders at better prices and before it at
    // its price.
    int64_t priority_before(size_t k, bool book) const;
    // Fill each of our orders the share in o.cross a crossing gave it (then zero it).
    void fill_crossed();
    void settle_behind();
    int64_t better_priced(const ExOrder &o, int64_t &taken) const;
    void note_through(const ExOrder &o);
    void cross_after_message(bool l3);
    void refresh_interest();
    // Fill our order k at `price` for `qty`; removes it when done. Returns true if removed.
    bool fill(size_t k, int64_t price, int64_t qty, bool maker);
    void respond(RespType type, int64_t id, int64_t price, int64_t qty, int64_t leaves, int8_t side, double fee = 0,
                 uint8_t reason = 0, bool taker = false);
    void log(int64_t exch_ts, int64_t local_ts, int64_t id, int64_t price, int64_t qty, int64_t leaves, OrderEvent ev,
             int8_t side, uint8_t reason, int64_t tag, uint8_t order_type, int8_t level, int64_t decision);
    void sample(int64_t ts, const Book &book);
    double fee_of(int64_t price, int64_t qty, bool maker) const;
    // local side
    void fill_view(int64_t ts, int64_t reason);
    void copy_own();
    [[noreturn, gnu::cold, gnu::noinline]] void no_progress(int64_t ts) const;
    [[noreturn, gnu::cold, gnu::noinline]] void bad_return(int64_t ts, int64_t rc) const;
    void summarize_ladder();
    void apply_quote(int64_t ts, const Quote &q);
    [[noreturn]] void bad_quote(int64_t ts, const Quote &q);
    void apply_ladder(int64_t ts, const Quote &q);
    void manage_side(int64_t ts, int s, const int64_t *px, const int64_t *qty, int n);
    void send_orders(int64_t ts, const Quote &q);
    void summarize_sides();
    void send(int64_t ts, MsgType type, const LocalOrder &o);
    void new_order_room(int64_t ts) const;
    void update(UpdateFn fn, const ToLocal &r, const LocalOrder *o, const char *what);
    // venue side: an explicit order takes the visible liquidity (no market impact)
    void take(const ToExchange &m, const Book &book);
    void record_fill(ExOrder &o, int64_t price, int64_t qty, bool maker);
    void log_decision(int64_t ts, int64_t reason);
    void early(int64_t j);  // the test hook (EngineConfig::debug_early_event)

    EngineConfig cfg_;
    Strategy strategy_;
    std::unique_ptr<LatencyModel> feed_, entry_, response_;
    std::unique_ptr<QueueModel> queue_;
    const Tape &tape_;
    const Book &book_;  // the pass's exchange book (shared, read only here)
    const int64_t n_events_;
    const int feed_slot_, signal_set_;
    const int64_t feed_ns_;
    // A constant entry/response latency (-1: ask the model per message).
    const int64_t entry_ns_, response_ns_;
    const int64_t idle_ns_;  // the timer sleeps after this long without a delivery
    RunOutput &out_;

    // venue side
    std::vector<ExOrder> ex_orders_;
    Fifo<ToLocal> to_local_;
    int64_t last_to_local_ = std::numeric_limits<int64_t>::min();
    int64_t now_ex_ = 0;                           // this run's exchange clock
    int64_t event_index_ = 0;                      // the event the venue side is handling (for errors)
    int64_t bbo_bid_ = kNoBid, bbo_ask_ = kNoAsk;  // exchange best before the current venue message
    bool settle_ = false;  // the current message left something to settle
    bool cross_ = false;   // L2: a depth update of the current message reached our price from the other side
    uint8_t cleared_ = 0;  // sides a CLEAR of the current message emptied (bit 1 bids, bit 2 asks)
    int64_t clear_seq_[2] = {0, 0};  // per side (bids, asks): the first priority given after its CLEAR
    std::vector<std::pair<int64_t, int64_t>> relisted_;  // scratch: (seq, lots) of a level's new orders
    // L3, the venue message being applied: (side, price, lots) of our orders filled by a print or
    // an execution through their price (settle_behind counts them ahead of our worse-priced orders)
    std::vector<std::array<int64_t, 3>> through_;
    void relist_window(ExOrder &o);

    // local side
    Fifo<ToExchange> to_exchange_;
    int64_t end_ts_ = kInf;  // the data's last event time, once the exchange side has ended
    int64_t last_to_exchange_ = std::numeric_limits<int64_t>::min();
    int64_t cursor_ = 0, cursor_pos_ = 0;  // tape entry received, and its event position
    int64_t cursor_delivery_ = std::numeric_limits<int64_t>::min();  // when that entry was received
    bool debug_armed_ = false;
    int64_t next_delivery_ = kInf;         // of entry cursor_ + 1, once it is on the tape
    std::vector<LocalOrder> local_orders_;
    std::vector<int64_t> cancel_sent_ids_;  // orders with a cancel sent (for after_cancel)
    int64_t next_order_id_ = 1;
    int64_t local_position_ = 0, local_cash_ticks_ = 0, local_n_fills_ = 0;
    double local_fees_ = 0;
    int64_t last_fill_side_ = 0, last_fill_px_ = 0, last_fill_qty_ = 0, last_fill_ts_ = 0;
    // The no-progress guard: calls in a row woken by responses alone (no market data, no
    // timer); how many rejects those responses held, post-only (crossing) and for a venue
    // not trading (HALTED, NOT_TRADING); those counts as of the last call the guard let through.
    int64_t calls_on_responses_ = 0;
    int64_t cross_rejects_ = 0, closed_rejects_ = 0, cross_counted_ = 0, closed_counted_ = 0;
    // The last reject (or taker fill on arrival) per side (bid, ask) and target level, with
    // the market (best bid/ask, trading status) of the first call after it: that target is
    // not sent again while the strategy keeps it and the market stays so (docs/engine.md,
    // "Targets, not orders"). A hold for crossing (post-only reject, taker fill) also ends
    // at a call whose view is of the exchange at or after the response's exch_ts and shows
    // the target crossing nothing.
    struct Rejected {
        bool on = false, unseen = false;  // unseen: no call since (its market is noted at the next)
        bool cross = false;               // held for crossing (not for a venue not trading)
        int64_t px = 0, qty = 0, best_bid = 0, best_ask = 0, status = 0, exch_ts = 0;
    };
    Rejected rejected_[2][kMaxLadder];
    bool any_rejected_ = false, holds_unseen_ = false;
    int64_t view_ts_last_ = std::numeric_limits<int64_t>::min();  // exch_ts of view_'s last event
    void hold(const LocalOrder &o, bool cross, int64_t exch_ts);
    void see_holds();
    // Drop the holds whose target (px[s][k], qty[s][k]), k < n[s], changed or whose market moved.
    void release_rejected(const int64_t *const px[2], const int64_t *const qty[2], const int n[2]);
    // Per side (bid, ask): orders not being cancelled, and the first one's price and size.
    struct SideSummary {
        int64_t active = 0, px = 0, qty = 0;
        // The target (px, qty) needs no order change on this side.
        bool holds(int64_t tpx, int64_t tqty) const {
            return tqty > 0 ? active == 1 && px == tpx && qty == tqty : active == 0;
        }
    };
    SideSummary sides_[2];
    // Per side (bid, ask): the target levels of the last quote applied, and the order each
    // was given (0: none yet). Every active (not being cancelled) target order of a side is
    // the order of exactly one of its levels.
    struct Levels {
        int n = 0;
        int64_t px[kMaxLadder] = {}, qty[kMaxLadder] = {}, id[kMaxLadder] = {};
        // The same targets (a level of size 0 has no price: any price is the same target).
        bool same(const int64_t *tpx, const int64_t *tqty, int tn) const {
            if (tn != n) return false;
            for (int k = 0; k < n; ++k)
                if (tqty[k] != qty[k] || (tqty[k] > 0 && tpx[k] != px[k])) return false;
            return true;
        }
    };
    Levels levels_[2];
    const int ladder_;      // cfg_.ladder_levels
    Quote quote_{};         // what a strategy call writes (the parts it may read zeroed per call)
    int64_t n_explicit_live_ = 0;
    bool orders_changed_ = true, fills_changed_ = true;  // state_ parts to rewrite
    bool own_changed_ = true;  // state_ changed since view_'s own part was copied from it
    int64_t view_cursor_ = -2;  // the tape entry view_'s market part was copied from (-2: none)
    View state_{};  // our fills' figures and our orders, as last summarized
    View view_{};   // what a strategy call gets (market part per call, own part when changed)
    // The last 1-level quote's four doubles with a valid conversion, and their whole values
    // (an unchanged quote, the common case, is not converted and checked again).
    double last_q_[4] = {0, 0, 0, 0};
    int64_t last_q_int_[4] = {0, 0, 0, 0};
    // sides_ and levels_ change only through summarize_sides, which counts them; the count
    // when the last 1-level quote (last_q_) needed no order change.
    uint64_t sides_epoch_ = 0, noop_epoch_ = ~uint64_t(0);
};

}  // namespace mmsim
