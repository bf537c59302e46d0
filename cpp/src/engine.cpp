// The two-clock replay engine. See engine.hpp and DESIGN.md section 4.
#include "mmsim/engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "mmsim/errors.hpp"

namespace mmsim {

namespace {
constexpr int64_t kInf = std::numeric_limits<int64_t>::max();
// Strategy calls allowed at one local timestamp before we call it a livelock
// (possible only with zero latencies and a strategy that changes its mind each call).
constexpr int64_t kMaxCallsPerTs = 100000;

// The local side's view of one market event: apply it to `book` and feed the
// signals exactly as compute_signals does (trade first, then the new book).
inline void local_apply(Book &book, MmsimSignals *sig, int levels, const Event &e, int64_t i) {
    const auto kind = static_cast<Kind>(e.kind);
    if (sig && (kind == Kind::Trade || kind == Kind::Execute))
        mmsim_signals_on_trade(sig, e.exch_ts, kind == Kind::Trade ? e.side : -e.side, e.price, e.qty);
    const BookChange c = book.apply(e, i);
    if (sig && c.book_changed) {
        int64_t bp[MMSIM_MAX_LEVELS], bq[MMSIM_MAX_LEVELS], ap[MMSIM_MAX_LEVELS], aq[MMSIM_MAX_LEVELS];
        book.bids.top(levels, bp, bq);
        book.asks.top(levels, ap, aq);
        mmsim_signals_on_book(sig, e.exch_ts, bp, bq, ap, aq, levels);
    }
}

std::string fmt_px(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void check_sorted(const Event *ev, int64_t i) {
    if (i > 0 && ev[i].exch_ts < ev[i - 1].exch_ts)
        throw DataError(i, "events are not sorted by exch_ts (" + std::to_string(ev[i].exch_ts) + " after " +
                               std::to_string(ev[i - 1].exch_ts) + ")");
}
}  // namespace

Engine::Engine(const EngineConfig &cfg)
    : cfg_(cfg),
      feed_(cfg.feed, cfg.seed ^ 0x6665656400000000ULL),
      entry_(cfg.entry, cfg.seed ^ 0x656e747279000000ULL),
      response_(cfg.response, cfg.seed ^ 0x7265737000000000ULL) {
    if (cfg_.signals) {
        signals_ = mmsim_signals_new(&cfg_.signal_params);
        if (!signals_) throw std::invalid_argument("invalid signal parameters");
    }
    // Signals read as NaN when disabled (as in fill_signals), never as a stale 0.
    std::fill(view_.signals, view_.signals + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
    ex_orders_.reserve(static_cast<size_t>(cfg_.max_orders) + 1);
    local_orders_.reserve(static_cast<size_t>(cfg_.max_orders) + 1);
}

Engine::~Engine() { mmsim_signals_free(signals_); }

// ------------------------------------------------------------------ main loop

void Engine::release_consumed(const Event *ev, int64_t upto) {
    // Only whole pages strictly below the first event still needed by either clock.
    static const int64_t page = sysconf(_SC_PAGESIZE);
    const auto base = reinterpret_cast<uintptr_t>(ev);
    const uintptr_t first_page = (base + page - 1) / page * page;
    const uintptr_t end = (base + static_cast<uintptr_t>(upto) * sizeof(Event)) / page * page;
    const uintptr_t from = std::max<uintptr_t>(first_page, base + static_cast<uintptr_t>(released_bytes_));
    if (end <= from) return;
    madvise(reinterpret_cast<void *>(from), end - from, MADV_DONTNEED);
    released_bytes_ = static_cast<int64_t>(end - base);
}

void Engine::run(const Event *ev, int64_t n, bool release_pages) {
    n_events = n;
    if (n <= 0) return;
    next_sample_ = ev[0].exch_ts;
    now_ex_ = ev[0].exch_ts;
    const int64_t dt = cfg_.decide_every;
    int64_t i_ex = 0, i_loc = 0;
    int64_t loc_next = kInf;
    bool loc_ready = false;
    int64_t timer_next = kInf;
    int64_t last_call_ts = std::numeric_limits<int64_t>::min(), calls_at_ts = 0;

    // When the local side receives event i: the recorded time, or exch_ts plus the
    // feed model. The feed is one ordered stream, so delivery times never go back.
    auto feed_ts = [&](int64_t i) __attribute__((always_inline)) -> int64_t {
        const Event &e = ev[i];
        int64_t t;
        if (feed_.recorded()) {
            t = e.local_ts;
            if (t < e.exch_ts)
                throw DataError(i, "local_ts " + std::to_string(t) + " is before exch_ts " +
                                       std::to_string(e.exch_ts) +
                                       ": the feed would deliver the event before it happened (fix the recorder "
                                       "clock when converting, or use a modelled feed latency)");
        } else {
            t = feed_.arrival(e.exch_ts, e.local_ts);
        }
        if (t < last_feed_) t = last_feed_;
        last_feed_ = t;
        return t;
    };

    const bool per_update_calls = strategy_ && dt == 0;
    int64_t prev_ts = ev[0].exch_ts;
    for (;;) {
        // Ties at one nanosecond: exchange market events, then order arrivals at the
        // exchange, then (local side) responses, market data, timer.
        int64_t t_oa = to_exchange_.empty() ? kInf : to_exchange_.front().ts;
        int64_t t_rs = to_local_.empty() ? kInf : to_local_.front().ts;
        int64_t t_tm = i_loc >= n ? kInf : timer_next;
        // 1. The exchange side runs every market event up to the next other item.
        int64_t limit = std::min(std::min(t_oa, t_rs), std::min(loc_ready ? loc_next : kInf, t_tm));
        while (i_ex < n) {
            const Event &e = ev[i_ex];
            if (e.exch_ts > limit) break;
            if (e.exch_ts < prev_ts) check_sorted(ev, i_ex);
            prev_ts = e.exch_ts;
            exchange_event(e, i_ex);
            ++i_ex;
            if ((i_ex & 0xFFFF) == 0) {
                progress.store(i_ex, std::memory_order_relaxed);
                if (release_pages) release_consumed(ev, std::min(i_loc, i_ex));
            }
            if (!loc_ready) {  // i_loc < i_ex now: its delivery time is known
                loc_next = feed_ts(i_loc);
                loc_ready = true;
                if (loc_next < limit) limit = loc_next;
            }
            if (!to_local_.empty() && to_local_.front().ts < limit) limit = to_local_.front().ts;
        }
        const int64_t t_ex = i_ex < n ? ev[i_ex].exch_ts : kInf;
        t_rs = to_local_.empty() ? kInf : to_local_.front().ts;
        const int64_t t_lc = loc_ready ? loc_next : kInf;
        // 2. Our messages reaching the exchange.
        if (t_oa != kInf && t_oa < t_ex && t_oa <= t_rs && t_oa <= t_lc && t_oa <= t_tm) {
            const ToExchange m = to_exchange_.front();
            to_exchange_.pop();
            order_arrival(m);
            continue;
        }
        // 3. The local side. With no call per update, market data before any other item
        //    is applied in a tight loop (same result, fewer trips through this loop).
        if (!per_update_calls) {
            const int64_t lim = std::min(std::min(t_ex, t_oa), std::min(t_rs, t_tm));
            while (loc_ready && loc_next < lim) {
                local_event(ev[i_loc], i_loc);
                ++i_loc;
                if (dt > 0 && timer_next == kInf) timer_next = loc_next + dt;  // the timer starts with the data
                if (i_loc < i_ex) {
                    loc_next = feed_ts(i_loc);
                } else {
                    loc_ready = false;
                }
            }
            if (i_loc >= n) t_tm = kInf;
            else t_tm = timer_next;
        }
        const int64_t T = std::min(std::min(t_rs, loc_ready ? loc_next : kInf), t_tm);
        if (T == kInf) {
            if (i_ex >= n && to_exchange_.empty()) break;
            continue;
        }
        if (T >= t_ex || (t_oa != kInf && T >= t_oa)) continue;  // exchange items at T go first
        const bool market_done = i_loc >= n;

        // Everything the local side learns at time T is applied before one strategy call.
        int64_t reason = 0;
        while (!to_local_.empty() && to_local_.front().ts == T) {
            const ToLocal r = to_local_.front();
            to_local_.pop();
            local_response(r, reason);
        }
        while (loc_ready && loc_next == T) {
            local_event(ev[i_loc], i_loc);
            ++i_loc;
            loc_ready = false;
            reason |= WakeMarket;
            if (i_loc < i_ex) {
                loc_next = feed_ts(i_loc);
                loc_ready = true;
            }
        }
        if (dt > 0) {
            if (timer_next == T) {
                reason |= WakeTimer;
                timer_next = T + dt;
            } else if (timer_next == kInf && (reason & WakeMarket)) {
                timer_next = T + dt;  // the timer starts with the first market data
            }
        }
        // The run ends at the last market event: afterwards, orders and responses in
        // flight are delivered without further strategy calls.
        if (!strategy_ || market_done) continue;
        if (dt > 0 ? !(reason & WakeTimer) : reason == 0) continue;
        if (T == last_call_ts) {
            if (++calls_at_ts > kMaxCallsPerTs)
                throw StrategyFailure(kNoProgressCode, T,
                                      "the strategy was called " + std::to_string(kMaxCallsPerTs) +
                                          " times at one local time without time advancing (it changes its "
                                          "quotes on every response with zero latency)");
        } else {
            last_call_ts = T;
            calls_at_ts = 0;
        }
        call_strategy(T, reason);
    }
    sample(now_ex_);
    progress.store(n, std::memory_order_relaxed);
}

// ------------------------------------------------------------------ exchange side

void Engine::sample_until(int64_t ts) {
    sample(next_sample_);
    next_sample_ += ((ts - next_sample_) / cfg_.sample_every + 1) * cfg_.sample_every;
}

void Engine::exchange_event_ours(const Event &e, int64_t i) {
    bbo_bid_ = ex_book_.bids.best();
    bbo_ask_ = ex_book_.asks.best();
    const BookChange c = ex_book_.apply(e, i);
    // Most events touch no price of ours: [bid_lo_, bid_hi_] and [ask_lo_, ask_hi_] span
    // our resting orders, so the loops over them run only when an event can matter.
    switch (static_cast<Kind>(e.kind)) {
        case Kind::Depth:
            if (e.side > 0 ? (e.price >= bid_lo_ && e.price <= bid_hi_) : (e.price >= ask_lo_ && e.price <= ask_hi_))
                depth_changed(c);
            if (e.qty > 0 && (e.side > 0 ? e.price >= ask_lo_ : e.price <= bid_hi_)) check_cross(e.side, e.price, -1);
            break;
        case Kind::Trade:  // side 0: aggressor unknown
            if ((e.side <= 0 && e.price <= bid_hi_) || (e.side >= 0 && e.price >= ask_lo_))
                trade_at(e.side, e.price, e.qty);
            break;
        case Kind::Add:
            if (e.side > 0 ? e.price >= ask_lo_ : e.price <= bid_hi_) check_cross(e.side, e.price, e.qty);
            break;
        case Kind::Cancel:
        case Kind::Delete:
        case Kind::Execute: l3_event(e, c); break;
        default: break;
    }
}

// Our orders resting at price p on side s, ahead of order k in our own arrival order.
int64_t Engine::ours_before(size_t k) const {
    const ExOrder &o = ex_orders_[k];
    int64_t q = 0;
    for (size_t j = 0; j < k; ++j)
        if (ex_orders_[j].side == o.side && ex_orders_[j].price == o.price) q += ex_orders_[j].leaves;
    return q;
}

void Engine::refresh_interest() {
    bid_lo_ = ask_lo_ = kInf;
    bid_hi_ = ask_hi_ = std::numeric_limits<int64_t>::min();
    for (const auto &o : ex_orders_) {
        if (o.side > 0) {
            bid_lo_ = std::min(bid_lo_, o.price);
            bid_hi_ = std::max(bid_hi_, o.price);
        } else {
            ask_lo_ = std::min(ask_lo_, o.price);
            ask_hi_ = std::max(ask_hi_, o.price);
        }
    }
}

void Engine::depth_changed(const BookChange &c) {
    for (auto &o : ex_orders_) {
        if (o.side != c.side || o.price != c.price) continue;
        // Trades at our level already moved us; the venue's depth update that follows
        // shows the same volume again, which must not move us twice.
        const int64_t chg = c.prev_qty - c.new_qty - o.trade_vol;
        o.trade_vol = 0;
        if (chg <= 0 || cfg_.queue == QueueModel::RiskAverse) {
            o.ahead = std::min(o.ahead, c.new_qty);
            continue;
        }
        // Probabilistic models (Rigtorp; hftbacktest ProbQueueModel): a cancel falls
        // ahead of us with probability f(ahead) / (f(ahead) + f(behind)). The share
        // ahead is rounded down to whole lots: we never move up on a fraction of a lot.
        const int64_t front = o.ahead;
        const int64_t back = std::max<int64_t>(0, c.prev_qty - front);
        double ff, fb;
        if (cfg_.queue == QueueModel::Power) {
            ff = std::pow(static_cast<double>(front), cfg_.queue_power);
            fb = std::pow(static_cast<double>(back), cfg_.queue_power);
        } else {
            ff = std::log1p(static_cast<double>(front));
            fb = std::log1p(static_cast<double>(back));
        }
        const double share = (ff + fb) > 0 ? ff / (ff + fb) : 1.0;
        int64_t dec_ahead = static_cast<int64_t>(std::floor(static_cast<double>(chg) * share));
        const int64_t dec_behind = chg - dec_ahead;
        if (dec_behind > back) dec_ahead += dec_behind - back;
        o.ahead = std::min(std::max<int64_t>(front - dec_ahead, 0), c.new_qty);
    }
}

void Engine::trade_at(int8_t aggressor, int64_t price, int64_t qty) {
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        // A print with no known aggressor (side 0, e.g. a cross trade) only fills us when
        // it is through our price; at our price we cannot tell which queue it took from.
        if (aggressor == 0) {
            if ((o.side > 0 ? price < o.price : price > o.price) && fill(k, o.price, o.leaves, true)) continue;
            ++k;
            continue;
        }
        if (o.side != -aggressor) {
            ++k;
            continue;
        }
        const bool through = o.side > 0 ? price < o.price : price > o.price;
        if (through) {  // the aggressor swept our level: all of it traded
            if (!fill(k, o.price, o.leaves, true)) ++k;
            continue;
        }
        if (price == o.price) {
            o.trade_vol += qty;
            const int64_t past = qty - o.ahead - ours_before(k);
            o.ahead = std::max<int64_t>(0, o.ahead - qty);
            if (past > 0 && fill(k, o.price, std::min(past, o.leaves), true)) continue;
        }
        ++k;
    }
}

void Engine::l3_event(const Event &e, const BookChange &c) {
    const int64_t q = c.prev_qty - c.new_qty;
    const bool exec = static_cast<Kind>(e.kind) == Kind::Execute;
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        if (o.side != c.side) {
            ++k;
            continue;
        }
        if (exec && (o.side > 0 ? c.price < o.price : c.price > o.price)) {  // executed through our price
            if (!fill(k, o.price, o.leaves, true)) ++k;
            continue;
        }
        if (o.price == c.price) {
            if (c.order_seq < o.seq) {
                o.ahead = std::max<int64_t>(0, o.ahead - q);  // an order ahead of us left the queue
            } else if (exec) {
                // Exact FIFO: the aggressor that hit an order behind ours would have hit us first.
                const int64_t past = q - o.ahead - ours_before(k);
                if (past > 0 && fill(k, o.price, std::min(past, o.leaves), true)) continue;
            }
        }
        ++k;
    }
}

void Engine::check_cross(int8_t level_side, int64_t price, int64_t avail) {
    // A level on `level_side` at `price` crosses our resting orders on the other side:
    // in the real market that interest would have traded with us.
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        const bool crossed = o.side == -level_side && (o.side > 0 ? price <= o.price : price >= o.price);
        if (!crossed) {
            ++k;
            continue;
        }
        // L2: the size behind the level is unknown, so the whole order fills. L3: the new order's size.
        const int64_t q = avail < 0 ? o.leaves : std::min(avail, o.leaves);
        if (avail >= 0) avail -= q;
        if (q > 0 && fill(k, o.price, q, true)) continue;
        ++k;
    }
}

double Engine::fee_of(int64_t price, int64_t qty, bool maker) const {
    const double notional = static_cast<double>(price) * static_cast<double>(qty) * cfg_.tick_value;
    const double bps = maker ? cfg_.maker_fee_bps : cfg_.taker_fee_bps;
    const double per = maker ? cfg_.maker_fee_per_lot : cfg_.taker_fee_per_lot;
    return notional * bps * 1e-4 + per * static_cast<double>(qty);
}

bool Engine::fill(size_t k, int64_t price, int64_t qty, bool maker) {
    ExOrder &o = ex_orders_[k];
    qty = std::min(qty, o.leaves);
    if (qty <= 0) return false;
    o.leaves -= qty;
    position += o.side * qty;
    cash_ticks -= o.side * price * qty;
    const double fee = fee_of(price, qty, maker);
    fees += fee;
    const bool after_cancel =
        std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), o.id) != cancel_sent_ids_.end();
    ToLocal r{0, o.id, price, qty, o.leaves, now_ex_, fee, o.side, RespType::Fill, 0};
    respond(r);
    fills.push_back(FillRecord{now_ex_, last_to_local_, o.id, price, qty, o.leaves, position, bbo_bid_, bbo_ask_,
                               fee, o.side, maker, after_cancel, {}});
    order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, o.id, price, qty, o.leaves,
                                       static_cast<uint8_t>(OrderEvent::Filled), o.side, 0, {}});
    const size_t base = fill_signals.size();
    fill_signals.resize(base + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
    if (signals_) mmsim_signals_values(signals_, fill_signals.data() + base);
    if (o.leaves == 0) {
        ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
        refresh_interest();
        return true;
    }
    return false;
}

void Engine::respond(const ToLocal &r0) {
    ToLocal r = r0;
    int64_t t = response_.arrival(now_ex_, 0);
    if (t < last_to_local_) t = last_to_local_;  // responses travel one ordered stream
    last_to_local_ = t;
    r.ts = t;
    to_local_.push(r);
}

void Engine::order_arrival(const ToExchange &m) {
    now_ex_ = m.ts;
    bbo_bid_ = ex_book_.bids.best();
    bbo_ask_ = ex_book_.asks.best();
    if (m.type == MsgType::Cancel) {
        for (size_t k = 0; k < ex_orders_.size(); ++k) {
            if (ex_orders_[k].id != m.order_id) continue;
            const ExOrder o = ex_orders_[k];
            ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
            refresh_interest();
            respond(ToLocal{0, o.id, o.price, o.qty, o.leaves, now_ex_, 0, o.side, RespType::Canceled, 0});
            order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, o.id, o.price, o.qty, o.leaves,
                                               static_cast<uint8_t>(OrderEvent::Canceled), o.side, 0, {}});
            return;
        }
        // Too late: the order was filled (or is otherwise done) before the cancel arrived.
        const auto reason = static_cast<uint8_t>(RejectReason::OrderDone);
        respond(ToLocal{0, m.order_id, m.price, m.qty, 0, now_ex_, 0, m.side, RespType::CancelRejected, reason});
        order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0,
                                           static_cast<uint8_t>(OrderEvent::CancelRejected), m.side, reason, {}});
        return;
    }
    const BookSide &opp = ex_book_.side(-m.side);
    const bool crosses = opp.crossed_by(m.price);
    if (crosses && cfg_.post_only) {
        const auto reason = static_cast<uint8_t>(RejectReason::PostOnlyWouldCross);
        respond(ToLocal{0, m.order_id, m.price, m.qty, 0, now_ex_, 0, m.side, RespType::Reject, reason});
        order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0,
                                           static_cast<uint8_t>(OrderEvent::Rejected), m.side, reason, {}});
        return;
    }
    ExOrder o{m.order_id, m.price, m.qty, m.qty, ex_book_.side(m.side).qty(m.price), ex_book_.take_seq(), 0, m.side};
    ex_orders_.push_back(o);
    refresh_interest();
    respond(ToLocal{0, o.id, o.price, o.qty, o.qty, now_ex_, 0, o.side, RespType::Ack, 0});
    order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, o.id, o.price, o.qty, o.qty,
                                       static_cast<uint8_t>(OrderEvent::Acked), o.side, 0, {}});
    if (!crosses) return;
    // A crossing order (post_only off) takes the visible levels up to its price. The
    // replay has no market impact, so the unfilled rest is cancelled rather than left
    // to trade a second time against the same visible liquidity (IOC semantics).
    int64_t px[MMSIM_MAX_LEVELS], qty[MMSIM_MAX_LEVELS];
    const int found = opp.top(MMSIM_MAX_LEVELS, px, qty);
    const size_t k = ex_orders_.size() - 1;
    for (int j = 0; j < found; ++j) {
        if (m.side > 0 ? px[j] > m.price : px[j] < m.price) break;
        if (fill(k, px[j], qty[j], false)) return;
    }
    const ExOrder rest = ex_orders_[k];
    ex_orders_.pop_back();
    refresh_interest();
    respond(ToLocal{0, rest.id, rest.price, rest.qty, rest.leaves, now_ex_, 0, rest.side, RespType::Expired, 0});
    order_log.push_back(OrderLogRecord{now_ex_, last_to_local_, rest.id, rest.price, rest.qty, rest.leaves,
                                       static_cast<uint8_t>(OrderEvent::Expired), rest.side, 0, {}});
}

void Engine::sample(int64_t ts) {
    samples.push_back(SampleRecord{ts, ex_book_.bids.best(), ex_book_.asks.best(), position, cash_ticks, fees,
                                   static_cast<int64_t>(fills.size())});
}

// ------------------------------------------------------------------ local side

void Engine::local_event_signals(const Event &e, int64_t i) {
    local_apply(local_book_, signals_, static_cast<int>(cfg_.signal_params.depth_levels), e, i);
}

void Engine::local_response(const ToLocal &r, int64_t &reason) {
    reason |= WakeResponse;
    size_t k = 0;
    while (k < local_orders_.size() && local_orders_[k].id != r.order_id) ++k;
    const bool found = k < local_orders_.size();
    bool done = false;
    switch (r.type) {
        case RespType::Ack:
            if (found && local_orders_[k].state == StatePendingNew) local_orders_[k].state = StateWorking;
            break;
        case RespType::Fill:
            reason |= WakeFill;
            local_position_ += r.side * r.qty;
            local_cash_ticks_ -= r.side * r.price * r.qty;
            local_fees_ += r.fee;
            ++local_n_fills_;
            last_fill_side_ = r.side;
            last_fill_px_ = r.price;
            last_fill_qty_ = r.qty;
            last_fill_ts_ = r.exch_ts;
            if (found) {
                local_orders_[k].leaves = r.leaves;
                done = r.leaves == 0;
            }
            if (fill_hook_) {
                const int64_t rc = fill_hook_(strategy_user_, r);
                if (rc != 0) throw StrategyFailure(rc, r.ts, "on_fill failed");
            }
            break;
        default:  // Reject, Canceled, CancelRejected, Expired: the order is gone
            done = found;
            break;
    }
    if (done || (!found && r.type != RespType::Ack && r.type != RespType::Fill)) {
        if (found) local_orders_.erase(local_orders_.begin() + static_cast<std::ptrdiff_t>(k));
        auto it = std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), r.order_id);
        if (it != cancel_sent_ids_.end()) cancel_sent_ids_.erase(it);
    }
}

void Engine::fill_view(int64_t ts, int64_t reason) {
    View &v = view_;
    v.ts = ts;
    v.reason = reason;
    v.best_bid = local_book_.bids.best();
    v.best_ask = local_book_.asks.best();
    v.bid_qty = local_book_.bids.best_qty();
    v.ask_qty = local_book_.asks.best_qty();
    local_book_.bids.top(kViewDepth, v.bid_depth_px, v.bid_depth_qty);
    local_book_.asks.top(kViewDepth, v.ask_depth_px, v.ask_depth_qty);
    v.position = local_position_;
    v.fees = local_fees_;
    v.cash = static_cast<double>(local_cash_ticks_) * cfg_.tick_value - local_fees_;
    v.n_fills = local_n_fills_;
    v.last_fill_side = last_fill_side_;
    v.last_fill_px = last_fill_px_;
    v.last_fill_qty = last_fill_qty_;
    v.last_fill_ts = last_fill_ts_;
    v.bid_order_px = v.bid_order_qty = v.bid_order_leaves = v.bid_order_state = 0;
    v.ask_order_px = v.ask_order_qty = v.ask_order_leaves = v.ask_order_state = 0;
    // The newest order per side that is not being cancelled (else the newest being cancelled).
    for (const auto &o : local_orders_) {
        const bool bid = o.side > 0;
        const int64_t shown = bid ? v.bid_order_state : v.ask_order_state;
        if (shown != StateNone && shown != StatePendingCancel && o.state == StatePendingCancel) continue;
        (bid ? v.bid_order_px : v.ask_order_px) = o.price;
        (bid ? v.bid_order_qty : v.ask_order_qty) = o.qty;
        (bid ? v.bid_order_leaves : v.ask_order_leaves) = o.leaves;
        (bid ? v.bid_order_state : v.ask_order_state) = o.state;
    }
    v.n_live_orders = static_cast<int64_t>(local_orders_.size());
    v.n_events = local_events_;
    if (signals_) mmsim_signals_values(signals_, v.signals);
}

void Engine::call_strategy(int64_t ts, int64_t reason) {
    fill_view(ts, reason);
    Quote q{0, 0, 0, 0};
    ++n_calls;
    const int64_t rc = strategy_(strategy_user_, &view_, &q);
    if (rc == QuoteNoChange) return;
    if (rc != QuoteSet) throw StrategyFailure(rc, ts, "the strategy returned error code " + std::to_string(rc));
    apply_quote(ts, q);
}

void Engine::apply_quote(int64_t ts, const Quote &q) {
    const double vals[4] = {q.bid_px, q.bid_qty, q.ask_px, q.ask_qty};
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53: larger doubles are not exact integers
    bool ok = true;
    for (int j = 0; j < 4; ++j) {
        const double x = vals[j];
        // NaN fails every comparison, so it lands in the slow path too.
        ok &= (x == std::floor(x)) & (std::fabs(x) < kMaxExact) & (j % 2 == 0 || x >= 0);
    }
    if (!ok) bad_quote(ts, vals);
    manage_side(ts, 1, static_cast<int64_t>(q.bid_px), static_cast<int64_t>(q.bid_qty));
    manage_side(ts, -1, static_cast<int64_t>(q.ask_px), static_cast<int64_t>(q.ask_qty));
}

void Engine::bad_quote(int64_t ts, const double *vals) {
    static const char *names[4] = {"bid_px", "bid_qty", "ask_px", "ask_qty"};
    constexpr double kMaxExact = 9007199254740992.0;
    for (int j = 0; j < 4; ++j) {
        const double x = vals[j];
        std::string why;
        if (!std::isfinite(x)) why = "is not finite";
        else if (x != std::floor(x)) why = "is not a whole number of " + std::string(j % 2 ? "lots" : "ticks");
        else if (std::fabs(x) >= kMaxExact) why = "is out of range";
        else if (j % 2 == 1 && x < 0) why = "is negative";
        if (!why.empty())
            throw StrategyFailure(kBadQuoteCode, ts, std::string("quote ") + names[j] + " = " + fmt_px(x) + " " + why);
    }
    throw StrategyFailure(kBadQuoteCode, ts, "invalid quote");
}

void Engine::manage_side(int64_t ts, int8_t side, int64_t px, int64_t qty) {
    // Keep one working (or in-flight) order whose price and original size match the
    // target: it keeps its queue position, even when partly filled. Cancel the rest.
    bool kept = false;
    for (auto &o : local_orders_) {
        if (o.side != side || o.state == StatePendingCancel) continue;
        if (qty > 0 && !kept && o.price == px && o.qty == qty) {
            kept = true;
            continue;
        }
        o.state = StatePendingCancel;
        cancel_sent_ids_.push_back(o.id);
        send(ts, MsgType::Cancel, o);
    }
    if (qty <= 0 || kept) return;
    if (static_cast<int64_t>(local_orders_.size()) >= cfg_.max_orders)
        throw StrategyFailure(kTooManyOrdersCode, ts,
                              "more than max_orders=" + std::to_string(cfg_.max_orders) +
                                  " live orders (orders waiting for a cancel confirmation count)");
    LocalOrder o{next_order_id_++, px, qty, qty, StatePendingNew, side};
    local_orders_.push_back(o);
    send(ts, MsgType::New, o);
}

void Engine::send(int64_t ts, MsgType type, const LocalOrder &o) {
    int64_t t = entry_.arrival(ts, 0);
    if (t < last_to_exchange_) t = last_to_exchange_;  // one ordered session to the exchange
    last_to_exchange_ = t;
    to_exchange_.push(ToExchange{t, o.id, o.price, o.qty, o.side, type});
    const auto ev = type == MsgType::New ? OrderEvent::Sent : OrderEvent::CancelSent;
    order_log.push_back(OrderLogRecord{t, ts, o.id, o.price, o.qty, o.leaves, static_cast<uint8_t>(ev), o.side, 0, {}});
}

// ------------------------------------------------------------------ book-only replays

void replay_bbo(const Event *ev, int64_t n, int64_t *best_bid, int64_t *best_ask, int64_t *bid_qty,
                int64_t *ask_qty) {
    Book book;
    for (int64_t i = 0; i < n; ++i) {
        check_sorted(ev, i);
        book.apply(ev[i], i);
        best_bid[i] = book.bids.best();
        best_ask[i] = book.asks.best();
        bid_qty[i] = book.bids.best_qty();
        ask_qty[i] = book.asks.best_qty();
    }
}

void compute_signals(const Event *ev, int64_t n, const MmsimSignalParams &params, double *out) {
    MmsimSignals *sig = mmsim_signals_new(&params);
    if (!sig) throw std::invalid_argument("invalid signal parameters");
    Book book;
    try {
        for (int64_t i = 0; i < n; ++i) {
            check_sorted(ev, i);
            local_apply(book, sig, static_cast<int>(params.depth_levels), ev[i], i);
            mmsim_signals_values(sig, out + i * MMSIM_SIG_COUNT);
        }
    } catch (...) {
        mmsim_signals_free(sig);
        throw;
    }
    mmsim_signals_free(sig);
}

}  // namespace mmsim
