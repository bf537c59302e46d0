// One run inside a pass: its venue side and its local side. See variant.hpp.
#include "mmsim/variant.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstring>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif
#include <limits>
#include <string>

#include "mmsim/errors.hpp"

namespace mmsim {

namespace {
// Strategy calls allowed at one local timestamp before we call it a livelock
// (possible only with zero latencies and a strategy that changes its mind each call).
constexpr int64_t kMaxCallsPerTs = 100000;
// Each latency stream of a run is seeded from the run's seed and its role.
constexpr uint64_t kFeedSalt = 0x6665656400000000ULL, kEntrySalt = 0x656e747279000000ULL,
                   kResponseSalt = 0x7265737000000000ULL;

std::string fmt_px(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}
}  // namespace

Variant::Variant(const RunSpec &spec, const Tape &tape, int64_t n_events, int feed_slot, int signal_set,
                 RunOutput &out)
    : cfg_(spec.config),
      strategy_(spec.strategy),
      feed_(spec.config.feed->clone(spec.config.seed ^ kFeedSalt)),
      entry_(spec.config.entry->clone(spec.config.seed ^ kEntrySalt)),
      response_(spec.config.response->clone(spec.config.seed ^ kResponseSalt)),
      queue_(spec.config.queue->clone()),
      tape_(tape),
      n_events_(n_events),
      feed_slot_(feed_slot),
      signal_set_(signal_set),
      feed_ns_(feed_->is_constant() ? feed_->constant_ns() : 0),
      entry_ns_(entry_->is_constant() ? entry_->constant_ns() : -1),
      response_ns_(response_->is_constant() ? response_->constant_ns() : -1),
      out_(out),
      debug_armed_(spec.config.debug_early_event >= 0) {
    // Signals read as NaN when disabled (as in fill_signals), never as a stale 0.
    std::fill(view_.signals, view_.signals + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
    ex_orders_.reserve(static_cast<size_t>(cfg_.max_orders) + 1);
    local_orders_.reserve(static_cast<size_t>(cfg_.max_orders) + 1);
}

// ------------------------------------------------------------------ venue side

void Variant::sample(int64_t ts, const Book &book) {
    SampleRecord *s = out_.samples.append();
    s->exch_ts = ts;
    s->best_bid = book.bids.best();
    s->best_ask = book.asks.best();
    s->position = out_.position;
    s->cash_ticks = out_.cash_ticks;
    s->fees = out_.fees;
    s->n_fills = static_cast<int64_t>(out_.fills.size());
}

void Variant::sample_until(int64_t ts, const Book &book) {
    sample(next_sample, book);
    next_sample += ((ts - next_sample) / cfg_.sample_every + 1) * cfg_.sample_every;
}

void Variant::finish(int64_t last_event_ts, const Book &book, int64_t n_events) {
    sample(std::max(now_ex_, last_event_ts), book);
    out_.n_events = n_events;
    out_.completed = true;
}

void Variant::on_market(const Event &e, const BookChange &c, int64_t bb, int64_t ba) {
    now_ex_ = e.exch_ts;
    bbo_bid_ = bb;
    bbo_ask_ = ba;
    // Most events touch no price of ours: [bid_lo, bid_hi] and [ask_lo, ask_hi] span
    // our resting orders, so the loops over them run only when an event can matter.
    switch (static_cast<Kind>(e.kind)) {
        case Kind::Depth:
            if (e.side > 0 ? (e.price >= bid_lo && e.price <= bid_hi) : (e.price >= ask_lo && e.price <= ask_hi))
                depth_changed(c);
            if (e.qty > 0 && (e.side > 0 ? e.price >= ask_lo : e.price <= bid_hi)) check_cross(e.side, e.price, -1);
            break;
        case Kind::Trade:  // side 0: aggressor unknown
            if ((e.side <= 0 && e.price <= bid_hi) || (e.side >= 0 && e.price >= ask_lo))
                trade_at(e.side, e.price, e.qty);
            break;
        case Kind::Add:
            if (e.side > 0 ? e.price >= ask_lo : e.price <= bid_hi) check_cross(e.side, e.price, e.qty);
            break;
        case Kind::Cancel:
        case Kind::Delete:
        case Kind::Execute: l3_event(e, c); break;
        default: break;
    }
}

// Our orders resting at the price and side of order k, ahead of it in our own arrival order.
int64_t Variant::ours_before(size_t k) const {
    const ExOrder &o = ex_orders_[k];
    int64_t q = 0;
    for (size_t j = 0; j < k; ++j)
        if (ex_orders_[j].side == o.side && ex_orders_[j].price == o.price) q += ex_orders_[j].leaves;
    return q;
}

void Variant::refresh_interest() {
    bid_lo = ask_lo = kInf;
    bid_hi = ask_hi = std::numeric_limits<int64_t>::min();
    for (const auto &o : ex_orders_) {
        if (o.side > 0) {
            bid_lo = std::min(bid_lo, o.price);
            bid_hi = std::max(bid_hi, o.price);
        } else {
            ask_lo = std::min(ask_lo, o.price);
            ask_hi = std::max(ask_hi, o.price);
        }
    }
    interest_changed = true;
}

void Variant::depth_changed(const BookChange &c) {
    for (auto &o : ex_orders_) {
        if (o.side != c.side || o.price != c.price) continue;
        // Trades at our level already moved us; the venue's depth update that follows
        // shows the same volume again, which must not move us twice.
        const int64_t chg = c.prev_qty - c.new_qty - o.trade_vol;
        o.trade_vol = 0;
        o.ahead = chg <= 0 ? std::min(o.ahead, c.new_qty) : queue_->after_cancel(o.ahead, c.prev_qty, c.new_qty, chg);
    }
}

void Variant::trade_at(int8_t aggressor, int64_t price, int64_t qty) {
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

void Variant::l3_event(const Event &e, const BookChange &c) {
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

void Variant::check_cross(int8_t level_side, int64_t price, int64_t avail) {
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

double Variant::fee_of(int64_t price, int64_t qty, bool maker) const {
    const double notional = static_cast<double>(price) * static_cast<double>(qty) * cfg_.tick_value;
    const double bps = maker ? cfg_.maker_fee_bps : cfg_.taker_fee_bps;
    const double per = maker ? cfg_.maker_fee_per_lot : cfg_.taker_fee_per_lot;
    return notional * bps * 1e-4 + per * static_cast<double>(qty);
}

void Variant::log(int64_t exch_ts, int64_t local_ts, int64_t id, int64_t price, int64_t qty, int64_t leaves,
                  OrderEvent ev, int8_t side, int64_t decision, uint8_t reason) {
    OrderLogRecord *r = out_.order_log.append();
    r->exch_ts = exch_ts;
    r->local_ts = local_ts;
    r->order_id = id;
    r->price = price;
    r->qty = qty;
    r->leaves = leaves;
    r->event = static_cast<uint8_t>(ev);
    r->side = side;
    r->reason = reason;
    std::memset(r->pad_, 0, sizeof r->pad_);
    r->decision = decision;
}

bool Variant::fill(size_t k, int64_t price, int64_t qty, bool maker) {
    ExOrder &o = ex_orders_[k];
    qty = std::min(qty, o.leaves);
    if (qty <= 0) return false;
    o.leaves -= qty;
    out_.position += o.side * qty;
    out_.cash_ticks -= o.side * price * qty;
    const double fee = fee_of(price, qty, maker);
    out_.fees += fee;
    const bool after_cancel =
        std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), o.id) != cancel_sent_ids_.end();
    respond(RespType::Fill, o.id, price, qty, o.leaves, o.side, fee);
    FillRecord *f = out_.fills.append();
    f->exch_ts = now_ex_;
    f->local_ts = last_to_local_;
    f->order_id = o.id;
    f->price = price;
    f->qty = qty;
    f->leaves = o.leaves;
    f->position = out_.position;
    f->best_bid = bbo_bid_;
    f->best_ask = bbo_ask_;
    f->fee = fee;
    f->side = o.side;
    f->maker = maker;
    f->after_cancel = after_cancel;
    std::memset(f->pad_, 0, sizeof f->pad_);
    log(now_ex_, last_to_local_, o.id, price, qty, o.leaves, OrderEvent::Filled, o.side, o.decision);
    // The signals the local side knows at the moment of the fill.
    FillSignalsRecord *sig = out_.fill_signals.append();
    if (signal_set_ >= 0) std::memcpy(sig->values, tape_.signals(cursor_, signal_set_), sizeof sig->values);
    else std::fill(sig->values, sig->values + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
    if (o.leaves == 0) {
        ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
        refresh_interest();
        return true;
    }
    return false;
}

void Variant::respond(RespType type, int64_t id, int64_t price, int64_t qty, int64_t leaves, int8_t side, double fee,
                      uint8_t reason) {
    int64_t t = response_ns_ >= 0 ? now_ex_ + response_ns_ : response_->arrival(now_ex_);
    if (t < last_to_local_) t = last_to_local_;  // responses travel one ordered stream
    last_to_local_ = t;
    // Written in place, field by field (a struct built and copied costs store-forwarding stalls).
    ToLocal *r = to_local_.append();
    r->ts = t;
    r->order_id = id;
    r->price = price;
    r->qty = qty;
    r->leaves = leaves;
    r->exch_ts = now_ex_;
    r->fee = fee;
    r->side = side;
    r->type = type;
    r->reason = reason;
}

void Variant::order_arrival(const Book &book) {
    // Read in place: nothing below sends to the exchange, so the slot stays as it is.
    const ToExchange &m = to_exchange_.front();
    to_exchange_.pop();
    now_ex_ = m.ts;
    bbo_bid_ = book.bids.best();
    bbo_ask_ = book.asks.best();
    if (m.type == MsgType::Cancel) {
        for (size_t k = 0; k < ex_orders_.size(); ++k) {
            if (ex_orders_[k].id != m.order_id) continue;
            const ExOrder o = ex_orders_[k];
            ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
            refresh_interest();
            respond(RespType::Canceled, o.id, o.price, o.qty, o.leaves, o.side);
            log(now_ex_, last_to_local_, o.id, o.price, o.qty, o.leaves, OrderEvent::Canceled, o.side, m.decision);
            return;
        }
        // Too late: the order was filled (or is otherwise done) before the cancel arrived.
        const auto reason = static_cast<uint8_t>(RejectReason::OrderDone);
        respond(RespType::CancelRejected, m.order_id, m.price, m.qty, 0, m.side, 0, reason);
        log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0, OrderEvent::CancelRejected, m.side, m.decision,
            reason);
        return;
    }
    const BookSide &opp = book.side(-m.side);
    const bool crosses = opp.crossed_by(m.price);
    if (crosses && cfg_.post_only) {
        const auto reason = static_cast<uint8_t>(RejectReason::PostOnlyWouldCross);
        respond(RespType::Reject, m.order_id, m.price, m.qty, 0, m.side, 0, reason);
        log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0, OrderEvent::Rejected, m.side, m.decision, reason);
        return;
    }
    ex_orders_.push_back(
        ExOrder{m.order_id, m.price, m.qty, m.qty, book.side(m.side).qty(m.price), book.peek_seq(), 0, m.decision, m.side});
    refresh_interest();
    respond(RespType::Ack, m.order_id, m.price, m.qty, m.qty, m.side);
    log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, m.qty, OrderEvent::Acked, m.side, m.decision);
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
    respond(RespType::Expired, rest.id, rest.price, rest.qty, rest.leaves, rest.side);
    log(now_ex_, last_to_local_, rest.id, rest.price, rest.qty, rest.leaves, OrderEvent::Expired, rest.side,
        rest.decision);
}

// ------------------------------------------------------------------ local side

void Variant::take_response(int64_t &reason) {
    // Read in place: the local side never responds to itself, so the slot stays as it is.
    const ToLocal &r = to_local_.front();
    to_local_.pop();
    reason |= WakeResponse;
    size_t k = 0;
    while (k < local_orders_.size() && local_orders_[k].id != r.order_id) ++k;
    const bool found = k < local_orders_.size();
    bool done = false;
    switch (r.type) {
        case RespType::Ack:
            if (found && local_orders_[k].state == StatePendingNew) {
                local_orders_[k].state = StateWorking;
                orders_changed_ = true;
            }
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
            fills_changed_ = true;
            if (found) {
                local_orders_[k].leaves = r.leaves;
                done = r.leaves == 0;
                orders_changed_ = true;
            }
            if (strategy_.on_fill) {
                const int64_t rc = strategy_.on_fill(strategy_.user, r.side, r.price, r.qty, r.exch_ts);
                if (rc != 0) throw StrategyFailure(rc, r.ts, "on_fill failed");
            }
            break;
        default:  // Reject, Canceled, CancelRejected, Expired: the order is gone
            done = found;
            break;
    }
    if (done || (!found && r.type != RespType::Ack && r.type != RespType::Fill)) {
        if (found) {
            local_orders_.erase(local_orders_.begin() + static_cast<std::ptrdiff_t>(k));
            orders_changed_ = true;
            summarize_sides();
        }
        auto it = std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), r.order_id);
        if (it != cancel_sent_ids_.end()) cancel_sent_ids_.erase(it);
    }
}

// The view a strategy gets is written whole before each call (a strategy writing into it
// changes nothing), from where each part is kept: the market part and the signals from the
// tape entry of the feed cursor, our fills' figures and our orders from a summary that is
// rewritten only when a fill report or an order change arrives.
void Variant::fill_view(int64_t ts, int64_t reason) {
    if (fills_changed_) {
        fills_changed_ = false;
        View &s = state_;
        s.position = local_position_;
        s.fees = local_fees_;
        s.cash = static_cast<double>(local_cash_ticks_) * cfg_.tick_value - local_fees_;
        s.n_fills = local_n_fills_;
        s.last_fill_side = last_fill_side_;
        s.last_fill_px = last_fill_px_;
        s.last_fill_qty = last_fill_qty_;
        s.last_fill_ts = last_fill_ts_;
    }
    if (orders_changed_) {
        orders_changed_ = false;
        View &s = state_;
        s.bid_order_px = s.bid_order_qty = s.bid_order_leaves = s.bid_order_state = 0;
        s.ask_order_px = s.ask_order_qty = s.ask_order_leaves = s.ask_order_state = 0;
        // The newest order per side that is not being cancelled (else the newest being cancelled).
        for (const auto &o : local_orders_) {
            const bool bid = o.side > 0;
            const int64_t shown = bid ? s.bid_order_state : s.ask_order_state;
            if (shown != StateNone && shown != StatePendingCancel && o.state == StatePendingCancel) continue;
            (bid ? s.bid_order_px : s.ask_order_px) = o.price;
            (bid ? s.bid_order_qty : s.ask_order_qty) = o.qty;
            (bid ? s.bid_order_leaves : s.ask_order_leaves) = o.leaves;
            (bid ? s.bid_order_state : s.ask_order_state) = o.state;
        }
        s.n_live_orders = static_cast<int64_t>(local_orders_.size());
    }
    View &v = view_;
    v.ts = ts;
    v.reason = reason;
    const int64_t *row = tape_.at(cursor_);
    std::memcpy(&v.best_bid, row + Tape::kMarket, Tape::kMarketWords * sizeof(int64_t));
    // position .. n_live_orders: our fills' figures and our orders, contiguous in View.
    std::memcpy(&v.position, &state_.position, offsetof(View, n_events) - offsetof(View, position));
    v.n_events = row[Tape::kPos];
    if (signal_set_ >= 0) std::memcpy(v.signals, tape_.signals(cursor_, signal_set_), sizeof v.signals);
    else std::fill(v.signals, v.signals + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
}

void Variant::call(int64_t ts, int64_t reason) {
    if (ts == last_call_ts_) {
        if (++calls_at_ts_ > kMaxCallsPerTs)
            throw StrategyFailure(kNoProgressCode, ts,
                                  "the strategy was called " + std::to_string(kMaxCallsPerTs) +
                                      " times at one local time without time advancing (it changes its "
                                      "quotes on every response with zero latency)");
    } else {
        last_call_ts_ = ts;
        calls_at_ts_ = 0;
    }
    fill_view(ts, reason);
    if (cfg_.decision_log) log_decision(ts, reason);
    Quote q{0, 0, 0, 0};
    ++out_.n_calls;
    const int64_t rc = strategy_.quote(strategy_.user, &view_, &q);
    if (rc == QuoteNoChange) return;
    if (rc != QuoteSet) throw StrategyFailure(rc, ts, "the strategy returned error code " + std::to_string(rc));
    apply_quote(ts, q);
}

namespace {
constexpr double kMaxExact = 9007199254740992.0;  // 2^53: larger doubles are not exact integers
// x as int64, and whether x is a whole number in (-2^53, 2^53). The conversion is the
// one the value needs anyway; on x86-64 its instruction is defined for every input
// (NaN, infinities and out-of-range values give INT64_MIN, which the range test rejects).
inline int64_t to_whole(double x, bool &ok) {
#if defined(__SSE2__) && defined(__x86_64__)
    const int64_t i = _mm_cvttsd_si64(_mm_set_sd(x));
#else
    const int64_t i = std::fabs(x) < kMaxExact ? static_cast<int64_t>(x) : 0;
#endif
    ok &= (static_cast<double>(i) == x) & (std::fabs(x) < kMaxExact);
    return i;
}
}  // namespace

void Variant::apply_quote(int64_t ts, const Quote &q) {
    bool ok = (q.bid_qty >= 0) & (q.ask_qty >= 0);
    const int64_t bid_px = to_whole(q.bid_px, ok), bid_qty = to_whole(q.bid_qty, ok);
    const int64_t ask_px = to_whole(q.ask_px, ok), ask_qty = to_whole(q.ask_qty, ok);
    if (!ok) {
        const double vals[4] = {q.bid_px, q.bid_qty, q.ask_px, q.ask_qty};
        bad_quote(ts, vals);
    }
    // Most calls change nothing: each side already holds exactly that one order, or none.
    if (!sides_[0].holds(bid_px, bid_qty)) manage_side(ts, 1, bid_px, bid_qty);
    if (!sides_[1].holds(ask_px, ask_qty)) manage_side(ts, -1, ask_px, ask_qty);
}

void Variant::bad_quote(int64_t ts, const double *vals) {
    static const char *names[4] = {"bid_px", "bid_qty", "ask_px", "ask_qty"};
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

void Variant::summarize_sides() {
    for (auto &s : sides_) s = SideSummary{};
    for (const auto &o : local_orders_) {
        if (o.state == StatePendingCancel) continue;
        SideSummary &s = sides_[o.side > 0 ? 0 : 1];
        if (s.active++ == 0) {
            s.px = o.price;
            s.qty = o.qty;
        }
    }
}

void Variant::manage_side(int64_t ts, int8_t side, int64_t px, int64_t qty) {
    // Keep one working (or in-flight) order whose price and original size match the
    // target: it keeps its queue position, even when partly filled. Cancel the rest.
    orders_changed_ = true;
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
    if (qty <= 0 || kept) {
        summarize_sides();
        return;
    }
    if (static_cast<int64_t>(local_orders_.size()) >= cfg_.max_orders)
        throw StrategyFailure(kTooManyOrdersCode, ts,
                              "more than max_orders=" + std::to_string(cfg_.max_orders) +
                                  " live orders (orders waiting for a cancel confirmation count)");
    LocalOrder o{next_order_id_++, px, qty, qty, StatePendingNew, side};
    local_orders_.push_back(o);
    summarize_sides();
    send(ts, MsgType::New, o);
}

void Variant::send(int64_t ts, MsgType type, const LocalOrder &o) {
    int64_t t = entry_ns_ >= 0 ? ts + entry_ns_ : entry_->arrival(ts);
    if (t < last_to_exchange_) t = last_to_exchange_;  // one ordered session to the exchange
    last_to_exchange_ = t;
    ToExchange *m = to_exchange_.append();
    m->ts = t;
    m->order_id = o.id;
    m->price = o.price;
    m->qty = o.qty;
    const int64_t decision = out_.n_calls - 1;  // sent only from inside a strategy call
    m->decision = decision;
    m->side = o.side;
    m->type = type;
    log(t, ts, o.id, o.price, o.qty, o.leaves, type == MsgType::New ? OrderEvent::Sent : OrderEvent::CancelSent,
        o.side, decision);
}

// What the call at local time ts was given: the newest market event in its view (the last
// event of the tape entry at the cursor) and when it reached this run. The view is written
// just before (fill_view), so best_bid/best_ask are the ones the strategy reads.
void Variant::log_decision(int64_t ts, int64_t reason) {
    DecisionRecord *d = out_.decisions.append();
    const int64_t *row = tape_.at(cursor_);
    const int64_t pos = row[Tape::kPos];
    d->local_ts = ts;
    d->event_exch_ts = row[Tape::kTsLast];
    d->event_local_ts = pos > 0 ? cursor_delivery_ : std::numeric_limits<int64_t>::min();
    d->event_index = pos - 1;
    d->best_bid = view_.best_bid;
    d->best_ask = view_.best_ask;
    d->reason = reason;
}

// The test hook: entry j, the first to hold event debug_early_event, arrives debug_early_ns
// early, but never before its last event happened nor before the entry received last (the
// local clock does not go back).
void Variant::early(int64_t j) {
    if (tape_.at(j)[Tape::kPos] <= cfg_.debug_early_event) return;
    debug_armed_ = false;
    const int64_t floor = std::max(tape_.at(j)[Tape::kTsLast], cursor_delivery_);
    next_delivery_ = std::max(floor, next_delivery_ - cfg_.debug_early_ns);
}

void feed_deliveries(const Event *events, int64_t n, const LatencyModel &feed, uint64_t seed, int64_t *out) {
    const std::unique_ptr<LatencyModel> model = feed.clone(seed ^ kFeedSalt);  // as a run's feed is seeded
    for (int64_t i = 0; i < n; ++i) out[i] = model->feed_arrival(events[i], i);
}

}  // namespace mmsim
