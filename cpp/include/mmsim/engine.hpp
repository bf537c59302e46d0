// The two-clock replay engine (DESIGN.md section 4).
//
// The exchange side processes market events in exch_ts order and owns the true
// book and our resting orders with their queue positions. The local side (the
// strategy) sees each event at local_ts = exch_ts + feed latency, sends order
// actions that reach the exchange after the entry latency, and learns of acks,
// rejects, fills and cancels after the response latency. All per-run state lives
// in one Engine object; only the event iteration is outside it, so K runs could
// later advance side by side in one pass over the events.
#pragma once
#include <cstddef>
#include <atomic>
#include <cstdint>
#include <vector>

#include "mmsim/book.hpp"
#include "mmsim/event.hpp"
#include "mmsim/latency.hpp"
#include "mmsim/records.hpp"
#include "mmsim/strategy.hpp"
#include "mmsim_signals.h"

namespace mmsim {

enum class QueueModel : int { RiskAverse = 0, Power = 1, Log = 2 };

struct EngineConfig {
    LatencySpec feed, entry, response;
    uint64_t seed = 0;
    QueueModel queue = QueueModel::RiskAverse;
    double queue_power = 2.0;
    double maker_fee_bps = 0, taker_fee_bps = 0, maker_fee_per_lot = 0, taker_fee_per_lot = 0;
    double tick_value = 1.0;  // currency value of one tick * one lot (tick_size*lot_size*contract_size)
    bool post_only = true;
    int64_t decide_every = 0;  // 0: call the strategy after every local update
    int64_t sample_every = 1000000000;
    bool signals = true;
    MmsimSignalParams signal_params{};
    int64_t max_orders = 64;
};

// Fixed-capacity-free FIFO ring buffer; grows by doubling (rarely), never per message.
template <class T>
class Fifo {
  public:
    Fifo() : buf_(64) {}
    bool empty() const { return n_ == 0; }
    const T &front() const { return buf_[head_]; }
    void pop() {
        head_ = (head_ + 1) & (buf_.size() - 1);
        --n_;
    }
    void push(const T &v) {
        if (n_ == buf_.size()) grow();
        buf_[(head_ + n_) & (buf_.size() - 1)] = v;
        ++n_;
    }
    void clear() { head_ = n_ = 0; }

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

struct ToExchange {
    int64_t ts;  // arrival at the exchange
    int64_t order_id, price, qty;
    int8_t side;
    MsgType type;
};

struct ToLocal {
    int64_t ts;  // arrival at the local side
    int64_t order_id, price, qty, leaves, exch_ts;
    double fee;
    int8_t side;
    RespType type;
    uint8_t reason;
};

// One of our orders as the exchange holds it.
struct ExOrder {
    int64_t id, price, qty, leaves;
    int64_t ahead;      // lots ahead of us in the queue (the queue model's estimate on L2; exact on L3)
    int64_t seq;        // priority among L3 orders (every book order with a lower seq is ahead)
    int64_t trade_vol;  // traded at our level since its last depth update (not to count twice)
    int8_t side;
};

// One of our orders as the local side knows it.
struct LocalOrder {
    int64_t id, price, qty, leaves;
    int64_t state;  // OrderStateLocal
    int8_t side;
};

class Engine {
  public:
    explicit Engine(const EngineConfig &cfg);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    void set_strategy(StrategyFn fn, void *user) {
        strategy_ = fn;
        strategy_user_ = user;
    }
    // Called when a fill report reaches the local side (the Python path's on_fill).
    // Returns 0, or an error code that stops the run with a StrategyFailure.
    using FillHook = int64_t (*)(void *user, const ToLocal &fill);
    void set_fill_hook(FillHook fn) { fill_hook_ = fn; }

    // Replay events[0, n). Throws DataError / StrategyFailure.
    // release_pages: the events are a read-only file mapping; hand pages both clocks are
    // done with back to the kernel as the replay goes, so resident memory stays flat.
    void run(const Event *events, int64_t n, bool release_pages = false);

    View &view() { return view_; }

    // Results.
    std::vector<FillRecord> fills;
    std::vector<OrderLogRecord> order_log;
    std::vector<SampleRecord> samples;
    std::vector<double> fill_signals;  // MMSIM_SIG_COUNT per fill
    int64_t position = 0, cash_ticks = 0;
    double fees = 0;
    int64_t n_calls = 0, n_events = 0;
    // Exchange-side events done so far, for a progress bar polled from another thread.
    std::atomic<int64_t> progress{0};

  private:
    // exchange side
    // Inline: called once per event; the rare parts are out of line.
    void exchange_event(const Event &e, int64_t i) {
        if (e.exch_ts >= next_sample_) sample_until(e.exch_ts);
        now_ex_ = e.exch_ts;
        if (ex_orders_.empty()) {  // nothing of ours rests
            ex_book_.apply(e, i);
            return;
        }
        // The common case while quoting: a depth update away from our prices, which
        // can neither move our queue position nor cross our orders.
        if (e.kind == static_cast<uint8_t>(Kind::Depth) && e.qty >= 0) {
            const bool away = e.side > 0 ? (e.price < bid_lo_ || e.price > bid_hi_) && (e.qty == 0 || e.price < ask_lo_)
                            : e.side < 0 ? (e.price < ask_lo_ || e.price > ask_hi_) && (e.qty == 0 || e.price > bid_hi_)
                                         : false;
            if (away) {
                ex_book_.apply(e, i);
                return;
            }
        }
        exchange_event_ours(e, i);
    }
    void exchange_event_ours(const Event &e, int64_t i);
    void sample_until(int64_t ts);
    void order_arrival(const ToExchange &m);
    void depth_changed(const BookChange &c);
    void trade_at(int8_t aggressor, int64_t price, int64_t qty);
    void release_consumed(const Event *ev, int64_t upto);
    void l3_event(const Event &e, const BookChange &c);
    void check_cross(int8_t level_side, int64_t price, int64_t avail);
    int64_t ours_before(size_t k) const;
    void refresh_interest();
    // Fill our order k at `price` for `qty`; removes it when done. Returns true if removed.
    bool fill(size_t k, int64_t price, int64_t qty, bool maker);
    void take(ExOrder &o);
    void respond(const ToLocal &r);
    void sample(int64_t ts);
    double fee_of(int64_t price, int64_t qty, bool maker) const;
    // local side
    void local_event(const Event &e, int64_t i) {
        ++local_events_;
        if (signals_) local_event_signals(e, i);
        else local_book_.apply(e, i);
    }
    void local_event_signals(const Event &e, int64_t i);
    void local_response(const ToLocal &r, int64_t &reason);
    void call_strategy(int64_t ts, int64_t reason);
    void apply_quote(int64_t ts, const Quote &q);
    [[noreturn]] void bad_quote(int64_t ts, const double *vals);
    void manage_side(int64_t ts, int8_t side, int64_t px, int64_t qty);
    void send(int64_t ts, MsgType type, const LocalOrder &o);
    void fill_view(int64_t ts, int64_t reason);

    EngineConfig cfg_;
    Book ex_book_, local_book_;
    LatencyModel feed_, entry_, response_;
    Fifo<ToExchange> to_exchange_;
    Fifo<ToLocal> to_local_;
    int64_t last_to_exchange_ = INT64_MIN, last_to_local_ = INT64_MIN, last_feed_ = INT64_MIN;
    std::vector<ExOrder> ex_orders_;
    std::vector<LocalOrder> local_orders_;
    std::vector<int64_t> cancel_sent_ids_;  // orders with a cancel sent (for after_cancel)
    int64_t next_order_id_ = 1;
    int64_t now_ex_ = 0;  // exchange clock
    int64_t next_sample_ = 0;
    // local knowledge
    int64_t local_position_ = 0, local_cash_ticks_ = 0, local_n_fills_ = 0, local_events_ = 0;
    double local_fees_ = 0;
    int64_t last_fill_side_ = 0, last_fill_px_ = 0, last_fill_qty_ = 0, last_fill_ts_ = 0;
    int64_t released_bytes_ = 0;
    // Price span of our resting bids and asks (lo > hi when none).
    int64_t bid_lo_ = INT64_MAX, bid_hi_ = INT64_MIN, ask_lo_ = INT64_MAX, ask_hi_ = INT64_MIN;  // prefix of the event array already released
    int64_t bbo_bid_ = kNoBid, bbo_ask_ = kNoAsk;  // exchange best before the current event
    MmsimSignals *signals_ = nullptr;
    View view_{};
    StrategyFn strategy_ = nullptr;
    void *strategy_user_ = nullptr;
    FillHook fill_hook_ = nullptr;
};

// Replay the book only: best bid/ask and their sizes after each event (exchange side).
void replay_bbo(const Event *events, int64_t n, int64_t *best_bid, int64_t *best_ask, int64_t *bid_qty,
                int64_t *ask_qty);

// Signals over a whole event array exactly as the engine's local side computes them:
// out holds n * MMSIM_SIG_COUNT doubles, row i = values after event i.
void compute_signals(const Event *events, int64_t n, const MmsimSignalParams &params, double *out);

}  // namespace mmsim
