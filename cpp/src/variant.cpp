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
#include <stdexcept>
#include <string>
#include <utility>

#include "mmsim/errors.hpp"

namespace mmsim {

namespace {
// Strategy calls in a row woken by responses to our own orders alone (no market data, no
// timer) before we call it a livelock: a strategy that changes its quotes on every
// response, at one nanosecond with zero latencies or a few ns apart with small ones.
constexpr int64_t kMaxCallsOnResponses = 100000;

// The timer's idle bound: max_idle, or kMaxIdleTicks ticks if that is shorter, and never
// less than one tick (so every delivery is followed by a tick).
int64_t idle_bound(int64_t max_idle, int64_t dt) {
    if (dt <= 0) return max_idle;
    int64_t idle = max_idle / kMaxIdleTicks > dt ? kMaxIdleTicks * dt : max_idle;
    return std::max(idle, dt);
}

inline int64_t sat_add(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? std::numeric_limits<int64_t>::max()
                                                     : std::numeric_limits<int64_t>::min())
                                            : r;
}
inline int64_t sat_sub(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? std::numeric_limits<int64_t>::max()
                                                     : std::numeric_limits<int64_t>::min())
                                            : r;
}
// Each latency stream of a run is seeded from the run's seed and its role.
constexpr uint64_t kFeedSalt = 0x6665656400000000ULL, kEntrySalt = 0x656e747279000000ULL,
                   kResponseSalt = 0x7265737000000000ULL;

// The View's per-level arrays of our orders (copied ladder_levels entries at a time).
constexpr size_t kViewLadder[8] = {offsetof(View, bid_ladder_px),     offsetof(View, bid_ladder_qty),
                                   offsetof(View, bid_ladder_leaves), offsetof(View, bid_ladder_state),
                                   offsetof(View, ask_ladder_px),     offsetof(View, ask_ladder_qty),
                                   offsetof(View, ask_ladder_leaves), offsetof(View, ask_ladder_state)};

// Zero the first N bytes (a multiple of 8) at p with 16-byte stores, written out (no loop):
// a constant-size memset of a few hundred bytes compiles to `rep stos`, whose start-up
// costs more than the stores, and a loop of stores ends in a branch the CPU mispredicts on
// every call (this runs before every strategy call: on a 10 ms timer over the AMZN day, 2.3
// million times, the loop took 28 ms of an 82 ms run).
#if defined(__SSE2__) && defined(__x86_64__)
template <size_t... I>
inline void zero_16s(char *c, std::index_sequence<I...>) {
    const __m128i z = _mm_setzero_si128();
    (_mm_storeu_si128(reinterpret_cast<__m128i *>(c + 16 * I), z), ...);
}
#endif
template <size_t N>
inline void zero_bytes(void *p) {
    static_assert(N % 8 == 0, "whole words");
#if defined(__SSE2__) && defined(__x86_64__)
    char *c = static_cast<char *>(p);
    zero_16s(c, std::make_index_sequence<N / 16>{});
    if constexpr (N % 16 != 0) _mm_storel_epi64(reinterpret_cast<__m128i *>(c + N - 8), _mm_setzero_si128());
#else
    std::memset(p, 0, N);
#endif
}

std::string fmt_px(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}
}  // namespace

Variant::Variant(const RunSpec &spec, const Tape &tape, const Book &book, int64_t n_events, int feed_slot,
                 int signal_set, RunOutput &out)
    : cfg_(spec.config),
      strategy_(spec.strategy),
      feed_(spec.config.feed->clone(spec.config.seed ^ kFeedSalt)),
      entry_(spec.config.entry->clone(spec.config.seed ^ kEntrySalt)),
      response_(spec.config.response->clone(spec.config.seed ^ kResponseSalt)),
      queue_(spec.config.queue->clone()),
      tape_(tape),
      book_(book),
      n_events_(n_events),
      feed_slot_(feed_slot),
      signal_set_(signal_set),
      feed_ns_(feed_->is_constant() ? feed_->constant_ns() : 0),
      entry_ns_(entry_->is_constant() ? entry_->constant_ns() : -1),
      response_ns_(response_->is_constant() ? response_->constant_ns() : -1),
      idle_ns_(idle_bound(spec.config.max_idle, spec.config.decide_every)),
      out_(out),
      debug_armed_(spec.config.debug_early_event >= 0),
      ladder_(static_cast<int>(spec.config.ladder_levels)) {
    if (spec.config.ladder_levels < 1 || spec.config.ladder_levels > kMaxLadder)
        throw std::invalid_argument("ladder_levels must be in 1.." + std::to_string(kMaxLadder));
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
    out_.unsent_at_end = in_flight_to_exchange();
    out_.completed = true;
}

void Variant::on_market(const Event &e, int64_t i, const BookChange &c, int64_t bb, int64_t ba) {
    now_ex_ = e.exch_ts;
    event_index_ = i;
    bbo_bid_ = bb;
    bbo_ask_ = ba;
    // Most events touch no price of ours: [bid_lo, bid_hi] and [ask_lo, ask_hi] span
    // our resting orders, so the loops over them run only when an event can matter.
    switch (static_cast<Kind>(e.kind)) {
        case Kind::Depth:
            if (e.side > 0 ? (e.price >= bid_lo && e.price <= bid_hi) : (e.price >= ask_lo && e.price <= ask_hi))
                depth_changed(c);
            // The other side reached one of our prices: settled against the book after the
            // message (a level listed and removed within one message crossed nothing).
            if (e.qty > 0 && (e.side > 0 ? e.price >= ask_lo : e.price <= bid_hi)) {
                cross_ = settle_ = true;
                // The book dropped the levels it reached (stale): ours had this size before.
                const BookSide &opp = book_.side(-e.side);
                if (opp.removed_at == i) levels_removed(-e.side, opp.removed);
            }
            break;
        case Kind::Trade:  // side 0: aggressor unknown
            if (!book_.trading()) break;  // nothing matches unless the venue is trading
            if ((e.side <= 0 && e.price <= bid_hi) || (e.side >= 0 && e.price >= ask_lo))
                trade_at(e.side, e.price, e.qty);
            break;
        case Kind::Add:
            if (book_.trading() && (e.side > 0 ? e.price >= ask_lo : e.price <= bid_hi))
                check_cross(e.side, e.price, e.qty);
            // A new order at one of our prices (behind us): our level's size before it.
            if (e.side > 0 ? (e.price >= bid_lo && e.price <= bid_hi) : (e.price >= ask_lo && e.price <= ask_hi))
                for (auto &o : ex_orders_)
                    if (o.side == c.side && o.price == c.price) o.note_level(now_ex_, c.prev_qty);
            break;
        case Kind::Cancel:
        case Kind::Delete:
        case Kind::Execute: l3_event(e, c); break;
        default: break;  // CLEAR: before_clear; STATUS: the book holds it
    }
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
    // The net change of the message is settled at its end: here, only the level's size
    // before the message (the first update of it in the message says what it was).
    for (auto &o : ex_orders_) {
        if (o.side != c.side || o.price != c.price) continue;
        o.note_level(now_ex_, c.prev_qty);
        if (o.touched) continue;
        o.touched = true;
        o.msg_prev = c.prev_qty;
        settle_ = true;
    }
}

void Variant::levels_removed(int8_t side, const std::vector<std::pair<int64_t, int64_t>> &removed) {
    // The book removed these levels of `side` (price, lots before) by a rule, not by an
    // update of them (a DEPTH at or through them from the other side, a reopening's
    // uncross): a level of ours among them moves us as any depth update of the message
    // does, on its net change from its size before the message (rule 3 of "Snapshots and
    // venue messages"): the removal is its first change in the message unless an update
    // of it came first, and a re-listing later in the message is netted against it.
    for (auto &o : ex_orders_) {
        if (o.side != side) continue;
        for (const auto &[px, lots] : removed) {
            if (px != o.price) continue;
            o.note_level(now_ex_, lots);
            settle_ = true;
            if (o.touched) break;
            o.touched = true;
            o.msg_prev = lots;
            break;
        }
    }
}

void Variant::before_clear(int8_t side, int64_t ts) {
    if (side < -1 || side > 1) return;  // the book rejects it
    const uint8_t first = static_cast<uint8_t>(~cleared_);  // sides no CLEAR of this message emptied yet
    for (auto &o : ex_orders_) {
        if (side != 0 && o.side != side) continue;
        const uint8_t bit = o.side > 0 ? 1 : 2;
        if (first & bit) {  // what was ahead of us before the snapshot, and where its new orders start
            o.clear_ahead = o.ahead;
            clear_seq_[bit - 1] = book_.peek_seq();
        }
        cleared_ |= bit;
        settle_ = true;
        o.note_level(ts, book_.side(o.side).qty(o.price));
        if (o.touched) continue;
        o.touched = true;
        o.msg_prev = book_.side(o.side).qty(o.price);
    }
}

void Variant::trade_at(int8_t aggressor, int64_t price, int64_t qty) {
    // On L3 data every execution of a displayed order is an EXECUTE; a TRADE is a print
    // with no displayed order behind it (an iceberg's hidden part, a hidden order). Displayed
    // interest trades first at a price (NASDAQ's display priority; on CME only an iceberg's
    // shown part has priority, and the FIFO exception needs the aggressor to take the whole
    // level, ours included), so the aggressor reached the hidden lots only after every
    // displayed one: it took nothing from the queue we are in, and filled us unless a
    // displayed lot was still ahead of us. Settled at the end of the message (settle_behind),
    // when the executions of the orders ahead of us are in. Through our price it fills us
    // (the aggressor passed our price). l3_behind_fill: hftbacktest keeps that tool's rule:
    // a print at our price never fills us.
    const bool at_price = aggressor != 0 && !book_.l3;
    const bool hidden = aggressor != 0 && book_.l3 && cfg_.l3_behind_fill != L3BehindFill::Hftbacktest;
    int64_t before = 0;  // leaves, before this print, of our orders at its price ahead of order k
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        // A print with no known aggressor (side 0, e.g. a cross trade) only fills us when
        // it is through our price; at our price we cannot tell which queue it took from.
        if (aggressor != 0 && o.side != -aggressor) {
            ++k;
            continue;
        }
        const bool through = o.side > 0 ? price < o.price : price > o.price;
        if (through) {  // the aggressor swept our level: all of it traded
            note_through(o);
            if (!fill(k, o.price, o.leaves, true)) ++k;
            continue;
        }
        if (at_price && price == o.price) {
            o.trade_vol = sat_add(o.trade_vol, qty);
            if (o.print_ts != now_ex_) o.printed = 0;
            o.print_ts = now_ex_;
            o.printed = sat_add(o.printed, qty);
            const int64_t past = sat_sub(qty - o.ahead, before);
            before = sat_add(before, o.leaves);
            o.ahead = std::max<int64_t>(0, o.ahead - qty);
            if (past > 0 && fill(k, o.price, std::min(past, o.leaves), true)) continue;
        }
        if (hidden && price == o.price) {
            o.hidden = sat_add(o.hidden, qty);
            settle_ = true;
        }
        ++k;
    }
}

void Variant::l3_event(const Event &e, const BookChange &c) {
    const int64_t q = c.prev_qty - c.new_qty;
    const bool exec = static_cast<Kind>(e.kind) == Kind::Execute && book_.trading();
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        if (o.side != c.side) {
            ++k;
            continue;
        }
        if (exec && (o.side > 0 ? c.price < o.price : c.price > o.price)) {  // executed through our price
            note_through(o);
            if (!fill(k, o.price, o.leaves, true)) ++k;
            continue;
        }
        if (o.price == c.price) {
            o.note_level(now_ex_, c.prev_qty);
            if (o.after(c.order_seq)) {
                o.ahead = std::max<int64_t>(0, o.ahead - q);  // an order ahead of us left the queue
            } else if (exec) {
                // An order behind ours executed: the aggressor would have hit us first.
                if (cfg_.l3_behind_fill == L3BehindFill::Hftbacktest) {
                    if (fill(k, o.price, o.leaves, true)) continue;
                } else {
                    // Settled at the end of the message, when every order ahead of us that
                    // the match took is gone, whatever order the venue listed its fills in.
                    o.behind = sat_add(o.behind, q);
                    settle_ = true;
                }
            }
        }
        ++k;
    }
}

void Variant::check_cross(int8_t level_side, int64_t price, int64_t avail) {
    // An ADD on `level_side` at `price` (L3 data, while trading) crosses our resting orders on
    // the other side: in the real market that order would have traded with them, our
    // better-priced orders first (then arrival order), up to its size. The book's own orders
    // it crosses did not trade with it (the venue would have matched them): they take none.
    // Computed for every order before any fills (their leaves before the ADD).
    bool any = false;
    for (size_t k = 0; k < ex_orders_.size(); ++k) {
        ExOrder &o = ex_orders_[k];
        const bool crossed = o.side == -level_side && (o.side > 0 ? price <= o.price : price >= o.price);
        if (!crossed) continue;
        o.cross = std::min(o.leaves, std::max<int64_t>(0, sat_sub(avail, priority_before(k, false))));
        any |= o.cross > 0;
    }
    if (any) fill_crossed();
}

int64_t Variant::priority_before(size_t k, bool book) const {
    const ExOrder &o = ex_orders_[k];
    // The book's lots at better prices on our side (prices are below 2^62: +-1 cannot wrap)
    // and before us at our price.
    int64_t h = book ? sat_add(book_.side(o.side).qty_through(o.side > 0 ? o.price + 1 : o.price - 1), o.ahead) : 0;
    for (size_t j = 0; j < ex_orders_.size(); ++j) {
        const ExOrder &p = ex_orders_[j];
        if (j == k || p.side != o.side) continue;
        // ex_orders_ is in arrival order: at one price, an earlier order of ours is before it.
        if (o.side > 0 ? p.price > o.price : p.price < o.price) h = sat_add(h, p.leaves);
        else if (p.price == o.price && j < k) h = sat_add(h, p.leaves);
    }
    return h;
}

void Variant::fill_crossed() {
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        const int64_t q = o.cross;
        o.cross = 0;
        if (q > 0 && fill(k, o.price, q, true)) continue;
        ++k;
    }
}

void Variant::end_message(int64_t ts, int64_t last, int64_t bb, int64_t ba, bool reopened) {
    now_ex_ = ts;
    event_index_ = last;
    bbo_bid_ = bb;
    bbo_ask_ = ba;
    const bool l3 = book_.l3;
    // 1. Queue positions: the net change of each level of ours from before the message to
    // after it (less what traded there and already moved us) moves us by the queue model;
    // so the order of depth updates and trades within the message does not matter. A level
    // a snapshot does not re-list went to 0: everyone ahead is gone. On L3 data a cleared
    // side is recomputed exactly from the orders the snapshot listed.
    const uint8_t cleared = cleared_;
    if (reopened && !l3)  // levels the book's uncross at the resume reduced (Book::end_message)
        for (const int8_t s : {int8_t(1), int8_t(-1)}) {
            const BookSide &bs = book_.side(s);
            if (bs.removed_at != last || bs.removed.empty()) continue;
            levels_removed(s, bs.removed);
            // Those lots traded (the auction matches by price, then time): as a print of the
            // other side's aggressor at the worst level it reached, of the lots it took there.
            // At our price they leave from ahead of us first and the rest fill us; a level of
            // ours it emptied and went past is traded through (all of ours fills). They are
            // not cancels: step 1 nets them out of the level's change (trade_vol). Lots the
            // venue printed there in this message are its report of the same auction: they
            // moved us already and are not traded again.
            const int64_t px = bs.removed.back().first;
            int64_t printed = 0;  // the same for each of our orders at px
            for (const auto &o : ex_orders_)
                if (o.side == s && o.price == px && o.print_ts == ts) printed = std::max(printed, o.printed);
            const int64_t traded = sat_sub(sat_sub(bs.removed.back().second, bs.qty(px)), printed);
            if (traded > 0) trade_at(static_cast<int8_t>(-s), px, traded);
        }
    for (auto &o : ex_orders_) {
        if (!o.touched) continue;
        o.touched = false;
        if (l3 && (cleared & (o.side > 0 ? 1 : 2))) continue;
        const int64_t now = book_.side(o.side).qty(o.price);
        const int64_t chg = sat_sub(o.msg_prev - now, o.trade_vol);
        // The level before the cancels: its size before the message less what traded there
        // (those lots were ahead of us and are gone: `ahead` is already net of them), so
        // the lots behind us are this less `ahead` (not hftbacktest's prev - ahead).
        const int64_t before_cancel = std::max<int64_t>(0, sat_sub(o.msg_prev, o.trade_vol));
        o.trade_vol = 0;
        o.ahead = chg <= 0 ? std::min(o.ahead, now) : queue_->after_cancel(o.ahead, before_cancel, now, chg);
    }
    if (l3 && cleared)
        for (auto &o : ex_orders_)
            if (cleared & (o.side > 0 ? 1 : 2)) {
                relist_window(o);
                o.ahead = book_.qty_before(o.side, o.price, o.seq, o.win_lo, o.win_hi);
            }
    // 2. Fills: executions behind us (L3), then crossings against the book after the message.
    if (l3) settle_behind();
    if (book_.trading() && ((cross_ && !l3) || reopened)) cross_after_message(l3);
    settle_ = cross_ = false;
    cleared_ = 0;
    through_.clear();
}

// L3, at the end of a message whose CLEAR emptied o's side: the orders re-listed at o's
// price under their old ids keep their priority (before or after o); the lots re-listed
// under new ids, which the book gives priorities after o's, count as ahead of o up to what
// was ahead of it before the snapshot and is no longer: the longest run of them, in the
// order the snapshot listed them, whose lots stay within it. So a venue re-listing its
// whole book under fresh ids leaves o where it was (as the L2 rule, min(ahead, level)),
// and never moves it forward nor back. A window from an earlier snapshot is extended to
// cover the new one: the orders between the two (behind o) then count as ahead too, and
// their lots are taken from what the new ones may fill.
void Variant::relist_window(ExOrder &o) {
    const int64_t from = clear_seq_[o.side > 0 ? 0 : 1];
    const bool had = o.win_lo < o.win_hi;
    const int64_t kept = book_.qty_before(o.side, o.price, o.seq, o.win_lo, o.win_hi);
    int64_t gap = sat_sub(o.clear_ahead, kept);
    if (gap <= 0) return;
    relisted_.clear();
    book_.orders_from(o.side, o.price, had ? std::min(o.win_hi, from) : from, relisted_);
    if (relisted_.empty()) return;
    std::sort(relisted_.begin(), relisted_.end());
    int64_t sum = 0, hi = from;
    for (const auto &[s, q] : relisted_) {
        if (s < from) {  // between the earlier window and this snapshot's new orders
            gap = sat_sub(gap, q);
            continue;
        }
        if (q > gap - sum) break;
        sum += q;
        hi = s + 1;
    }
    if (hi == from || gap <= 0) return;
    if (o.win_lo >= o.win_hi) o.win_lo = from;
    o.win_hi = std::max(o.win_hi, hi);
}

void Variant::settle_behind() {
    // Per order: the lots executed behind it in this message, and the lots printed at its
    // price with no displayed order behind them if no displayed lot with priority over it is
    // left (trade_at), passed the lots with priority over it (those still ahead of it at its
    // price, the displayed lots at better prices on its side: better_priced) and our own
    // orders before it at that price (their leaves before these fills); the rest fills it.
    bool any = false;
    for (size_t k = 0; k < ex_orders_.size(); ++k) {
        ExOrder &o = ex_orders_[k];
        if (o.behind <= 0 && o.hidden <= 0) continue;
        int64_t before = 0;
        for (size_t j = 0; j < k; ++j)
            if (ex_orders_[j].side == o.side && ex_orders_[j].price == o.price) before = sat_add(before, ex_orders_[j].leaves);
        // Price, then time: the displayed lots at better prices on its side come first too,
        // those still there (the book's, our resting orders') and our orders' lots filled
        // through their price in this message (which took their share of the aggressor).
        int64_t taken = 0;
        const int64_t ahead = sat_add(o.ahead, better_priced(o, taken));
        const int64_t passed = ahead == 0 ? sat_add(o.behind, o.hidden) : o.behind;
        o.hidden = 0;
        o.behind = std::max<int64_t>(0, sat_sub(sat_sub(passed - ahead, taken), before));
        any |= o.behind > 0;
    }
    if (!any) return;
    for (size_t k = 0; k < ex_orders_.size();) {
        ExOrder &o = ex_orders_[k];
        const int64_t q = o.behind;
        o.behind = 0;
        if (q > 0 && fill(k, o.price, std::min(q, o.leaves), true)) continue;
        ++k;
    }
}

// L3: order o is filled through its price: its lots count ahead of our worse-priced orders on
// its side for the rest of the message (settle_behind), like the book's better-priced lots.
void Variant::note_through(const ExOrder &o) {
    if (!book_.l3) return;
    through_.push_back({o.side, o.price, o.leaves});
    settle_ = true;
}

// L3, at the end of a message: the displayed lots at better prices than o's on its side, which
// an aggressor reaching o's price met first and which are still there (the book's, our resting
// orders' leaves); `taken` gets what our orders filled through their better prices in this
// message (note_through).
int64_t Variant::better_priced(const ExOrder &o, int64_t &taken) const {
    int64_t lots = book_.side(o.side).qty_through(o.side > 0 ? o.price + 1 : o.price - 1);
    for (const auto &j : ex_orders_)
        if (j.side == o.side && (o.side > 0 ? j.price > o.price : j.price < o.price)) lots = sat_add(lots, j.leaves);
    for (const auto &t : through_)
        if (t[0] == o.side && (o.side > 0 ? t[1] > o.price : t[1] < o.price)) taken = sat_add(taken, t[2]);
    return lots;
}

void Variant::cross_after_message(bool l3) {
    // Our orders the other side's best reaches after the message: in the real market that
    // interest traded with us. L2: all of the order (the size behind the level is unknown).
    // L3 (a reopening): the other side's lots at or through our price, by price, then time
    // priority: the lots with priority over our order (the book's and our own) come first.
    bool any = false;
    for (size_t k = 0; k < ex_orders_.size(); ++k) {
        ExOrder &o = ex_orders_[k];
        const BookSide &opp = book_.side(-o.side);
        if (!opp.crossed_by(o.price)) continue;
        o.cross = l3 ? std::min(o.leaves, std::max<int64_t>(0, sat_sub(opp.qty_through(o.price), priority_before(k, true))))
                     : o.leaves;
        any |= o.cross > 0;
    }
    if (any) fill_crossed();
}

double Variant::fee_of(int64_t price, int64_t qty, bool maker) const {
    // bps of the absolute notional: a fee is a cost at negative prices too (calendar spreads).
    const double notional = std::fabs(static_cast<double>(price) * static_cast<double>(qty)) * cfg_.tick_value;
    const double bps = maker ? cfg_.maker_fee_bps : cfg_.taker_fee_bps;
    const double per = maker ? cfg_.maker_fee_per_lot : cfg_.taker_fee_per_lot;
    return notional * bps * 1e-4 + per * static_cast<double>(qty);
}

void Variant::log(int64_t exch_ts, int64_t local_ts, int64_t id, int64_t price, int64_t qty, int64_t leaves,
                  OrderEvent ev, int8_t side, uint8_t reason, int64_t tag, uint8_t order_type, int8_t level,
                  int64_t decision) {
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
    r->order_type = order_type;
    r->level = level;
    std::memset(r->pad_, 0, sizeof r->pad_);
    r->tag = tag;
    r->decision = decision;
}

void Variant::overflow(const ExOrder &o, int64_t price, int64_t qty, const char *what) const {
    throw DataError(event_index_, "the fill of our order " + std::to_string(o.id) + " (" +
                                      (o.side > 0 ? "buy " : "sell ") + std::to_string(qty) + " lots at " +
                                      std::to_string(price) + " ticks) makes the run's " + what +
                                      ": prices and sizes this large cannot be accounted exactly");
}

bool Variant::fill(size_t k, int64_t price, int64_t qty, bool maker) {
    ExOrder &o = ex_orders_[k];
    qty = std::min(qty, o.leaves);
    if (qty <= 0) return false;
    record_fill(o, price, qty, maker);
    if (o.leaves == 0) {
        ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
        refresh_interest();
        return true;
    }
    return false;
}

// Order o trades qty (<= its leaves) at price: our position, cash and fees, the fill's
// response, its records.
void Variant::record_fill(ExOrder &o, int64_t price, int64_t qty, bool maker) {
    // Exact tick*lot accounting: every product and sum is checked (docs/engine.md, "Bad input").
    int64_t notional, cash, position;
    if (__builtin_mul_overflow(price, qty, &notional) ||
        (o.side > 0 ? __builtin_sub_overflow(out_.cash_ticks, notional, &cash)
                    : __builtin_add_overflow(out_.cash_ticks, notional, &cash)))
        overflow(o, price, qty, "cash overflow int64 tick*lots");
    if (__builtin_add_overflow(out_.position, o.side * qty, &position))
        overflow(o, price, qty, "position overflow int64 lots");
    const double fee = fee_of(price, qty, maker);
    if (!std::isfinite(fee) || !std::isfinite(out_.fees + fee))
        overflow(o, price, qty, "fees overflow a double (a tick value or fee this large is not a real market)");
    o.leaves -= qty;
    out_.position = position;
    out_.cash_ticks = cash;
    out_.fees += fee;
    const bool after_cancel =
        std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), o.id) != cancel_sent_ids_.end();
    respond(RespType::Fill, o.id, price, qty, o.leaves, o.side, fee, 0, !maker);
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
    f->order_type = o.order_type;
    f->level = o.level;
    std::memset(f->pad_, 0, sizeof f->pad_);
    f->tag = o.tag;
    // Taker fills have no queue position. A maker fill is in a venue message (now_ex_): its
    // level's size before the message, as best_bid/best_ask are.
    f->queue_ahead_at_entry = maker ? o.entry_ahead : -1;
    f->level_qty_at_fill =
        !maker ? -1 : o.msg_ts == now_ex_ && o.msg_level >= 0 ? o.msg_level : book_.side(o.side).qty(o.price);
    log(now_ex_, last_to_local_, o.id, price, qty, o.leaves, OrderEvent::Filled, o.side, 0, o.tag, o.order_type,
        o.level, o.decision);
    // The signals the local side knows at the moment of the fill.
    FillSignalsRecord *sig = out_.fill_signals.append();
    if (signal_set_ >= 0) std::memcpy(sig->values, tape_.signals(cursor_, signal_set_), sizeof sig->values);
    else std::fill(sig->values, sig->values + MMSIM_SIG_COUNT, std::numeric_limits<double>::quiet_NaN());
}

void Variant::respond(RespType type, int64_t id, int64_t price, int64_t qty, int64_t leaves, int8_t side, double fee,
                      uint8_t reason, bool taker) {
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
    r->taker = taker;
}

void Variant::order_arrival(const Book &book, int64_t last) {
    // Read in place: nothing below sends to the exchange, so the slot stays as it is.
    const ToExchange &m = to_exchange_.front();
    to_exchange_.pop();
    now_ex_ = m.ts;
    event_index_ = last;
    bbo_bid_ = book.bids.best();
    bbo_ask_ = book.asks.best();
    if (m.type == MsgType::Cancel) {
        for (size_t k = 0; k < ex_orders_.size(); ++k) {
            if (ex_orders_[k].id != m.order_id) continue;
            const ExOrder o = ex_orders_[k];
            ex_orders_.erase(ex_orders_.begin() + static_cast<std::ptrdiff_t>(k));
            refresh_interest();
            respond(RespType::Canceled, o.id, o.price, o.qty, o.leaves, o.side);
            log(now_ex_, last_to_local_, o.id, o.price, o.qty, o.leaves, OrderEvent::Canceled, o.side, 0, o.tag,
                o.order_type, o.level, m.decision);
            return;
        }
        // Too late: the order was filled (or is otherwise done) before the cancel arrived.
        const auto reason = static_cast<uint8_t>(RejectReason::OrderDone);
        respond(RespType::CancelRejected, m.order_id, m.price, m.qty, 0, m.side, 0, reason);
        log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0, OrderEvent::CancelRejected, m.side, reason, m.tag,
            m.order_type, m.level, m.decision);
        return;
    }
    const bool explicit_order = m.order_type != TypeLimit;  // IOC, FOK, market: never rests, only trades
    const BookSide &opp = book.side(-m.side);
    const bool crosses = opp.crossed_by(m.price);
    // A halted venue takes no orders; one taking quotes only lets them rest, never trade.
    RejectReason why = RejectReason::None;
    if (book.status == TradingStatus::Halted) why = RejectReason::Halted;
    else if (explicit_order) why = book.trading() ? RejectReason::None : RejectReason::NotTrading;
    else if (crosses && cfg_.post_only) why = RejectReason::PostOnlyWouldCross;
    else if (crosses && !book.trading()) why = RejectReason::NotTrading;
    if (why != RejectReason::None) {
        const auto reason = static_cast<uint8_t>(why);
        respond(RespType::Reject, m.order_id, m.price, m.qty, 0, m.side, 0, reason);
        log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, 0, OrderEvent::Rejected, m.side, reason, m.tag,
            m.order_type, m.level, m.decision);
        return;
    }
    if (explicit_order) {
        take(m, book);
        return;
    }
    // It joins the back of its level: every lot displayed at its price is ahead of it (on L3
    // too: the book's orders there all have an earlier priority). Our own orders are not in
    // the displayed size (no market impact).
    const int64_t at_price = book.side(m.side).qty(m.price);
    ex_orders_.push_back(ExOrder{m.order_id, m.price, m.qty, m.qty, at_price, book.peek_seq(), 0, m.tag, m.decision,
                                 m.side, m.order_type, m.level});
    ex_orders_.back().entry_ahead = at_price;
    refresh_interest();
    respond(RespType::Ack, m.order_id, m.price, m.qty, m.qty, m.side);
    log(now_ex_, last_to_local_, m.order_id, m.price, m.qty, m.qty, OrderEvent::Acked, m.side, 0, m.tag, m.order_type,
        m.level, m.decision);
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
    log(now_ex_, last_to_local_, rest.id, rest.price, rest.qty, rest.leaves, OrderEvent::Expired, rest.side, 0,
        rest.tag, rest.order_type, rest.level, rest.decision);
}

// An explicit order arrives: it takes the visible levels of the other side (the best
// MMSIM_MAX_LEVELS), up to its price (IOC, FOK) or its size alone (market), at each
// level's price and the taker fee. A FOK takes nothing unless those levels hold all of
// it. Whatever is left expires at once: the replay has no market impact, so resting (or
// a second look) would trade twice against the same visible liquidity. The book and our
// resting orders are untouched (no self-trade, no queue effect).
void Variant::take(const ToExchange &m, const Book &book) {
    int64_t px[MMSIM_MAX_LEVELS], qty[MMSIM_MAX_LEVELS];
    const int found = book.side(-m.side).top(MMSIM_MAX_LEVELS, px, qty);
    const bool market = m.order_type == TypeMarket;
    int reach = 0;
    int64_t avail = 0;
    for (; reach < found; ++reach) {
        if (!market && (m.side > 0 ? px[reach] > m.price : px[reach] < m.price)) break;
        avail = sat_add(avail, qty[reach]);
    }
    ExOrder o{m.order_id, m.price, m.qty, m.qty, 0, 0, 0, m.tag, m.decision, m.side, m.order_type, m.level};
    if (m.order_type != TypeFok || avail >= m.qty)
        for (int j = 0; j < reach && o.leaves > 0; ++j) record_fill(o, px[j], std::min(qty[j], o.leaves), false);
    if (o.leaves == 0) return;
    respond(RespType::Expired, o.id, o.price, o.qty, o.leaves, o.side);
    log(now_ex_, last_to_local_, o.id, o.price, o.qty, o.leaves, OrderEvent::Expired, o.side, 0, o.tag, o.order_type,
        o.level, o.decision);
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
    const LocalOrder *lo = found ? &local_orders_[k] : nullptr;
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
            // A target that took liquidity on arrival (post_only off): sent again at once it would
            // take the same visible liquidity again (no market impact). Held like a reject.
            if (r.taker && lo) hold(*lo, true, r.exch_ts);
            if (strategy_.on_fill) update(strategy_.on_fill, r, lo, "on_fill failed");
            break;
        case RespType::Reject: {
            reason |= WakeReject;
            View &s = state_;
            ++s.n_rejects;
            own_changed_ = true;
            s.last_reject_id = r.order_id;
            s.last_reject_tag = lo ? lo->tag : 0;
            s.last_reject_type = lo ? lo->order_type : 0;
            s.last_reject_level = lo ? lo->level : -1;
            s.last_reject_side = r.side;
            s.last_reject_reason = r.reason;
            s.last_reject_ts = r.exch_ts;
            if (r.reason == static_cast<uint8_t>(RejectReason::PostOnlyWouldCross)) ++cross_rejects_;
            else ++closed_rejects_;  // HALTED, NOT_TRADING
            // a target order: hold the target back
            if (lo) hold(*lo, r.reason == static_cast<uint8_t>(RejectReason::PostOnlyWouldCross), r.exch_ts);
            if (strategy_.on_reject) update(strategy_.on_reject, r, lo, "on_reject failed");
            done = found;
            break;
        }
        case RespType::Expired: {
            reason |= WakeExpire;
            View &s = state_;
            ++s.n_expires;
            own_changed_ = true;
            s.last_expire_id = r.order_id;
            s.last_expire_tag = lo ? lo->tag : 0;
            s.last_expire_type = lo ? lo->order_type : 0;
            s.last_expire_level = lo ? lo->level : -1;
            s.last_expire_side = r.side;
            s.last_expire_qty = r.leaves;
            s.last_expire_ts = r.exch_ts;
            if (strategy_.on_expire) update(strategy_.on_expire, r, lo, "on_expire failed");
            done = found;
            break;
        }
        default:  // Canceled, CancelRejected: the order is gone
            done = found;
            break;
    }
    if (done || (!found && r.type != RespType::Ack && r.type != RespType::Fill)) {
        if (found) {
            if (local_orders_[k].order_type != TypeLimit) --n_explicit_live_;
            local_orders_.erase(local_orders_.begin() + static_cast<std::ptrdiff_t>(k));
            orders_changed_ = true;
            summarize_sides();
        }
        auto it = std::find(cancel_sent_ids_.begin(), cancel_sent_ids_.end(), r.order_id);
        if (it != cancel_sent_ids_.end()) cancel_sent_ids_.erase(it);
    }
}

// A strategy callback for response r about order o (null: no longer known locally).
void Variant::update(UpdateFn fn, const ToLocal &r, const LocalOrder *o, const char *what) {
    OrderUpdate u;
    u.order_id = r.order_id;
    u.tag = o ? o->tag : 0;
    u.order_type = o ? o->order_type : 0;
    u.level = o ? o->level : -1;
    u.side = r.side;
    u.price = r.price;
    u.qty = r.qty;
    u.leaves = r.leaves;
    u.reason = r.reason;
    u.exch_ts = r.exch_ts;
    const int64_t rc = fn(strategy_.user, &u);
    if (rc != 0) {
        if (rc == kInterruptCode) throw PassInterrupted{};
        throw StrategyFailure(rc, r.ts, what);
    }
}

// The view a strategy gets: the market part and the signals are written from the tape
// entry of the feed cursor when the cursor has moved since the last call; our fills'
// figures and our orders come from a summary that is rewritten only when a fill report, an
// order change, a reject or an expiry arrives, and copied into the view only then. The
// view is read-only (docs/strategies.md): a compiled rule that writes into it may find its
// write there at later calls.
void Variant::fill_view(int64_t ts, int64_t reason) {
    if (fills_changed_) {
        fills_changed_ = false;
        own_changed_ = true;
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
        own_changed_ = true;
        View &s = state_;
        s.bid_order_px = s.bid_order_qty = s.bid_order_leaves = s.bid_order_state = 0;
        s.ask_order_px = s.ask_order_qty = s.ask_order_leaves = s.ask_order_state = 0;
        // The newest target order per side that is not being cancelled (else the newest being cancelled).
        for (const auto &o : local_orders_) {
            if (o.order_type != TypeLimit) continue;
            const bool bid = o.side > 0;
            const int64_t shown = bid ? s.bid_order_state : s.ask_order_state;
            if (shown != StateNone && shown != StatePendingCancel && o.state == StatePendingCancel) continue;
            (bid ? s.bid_order_px : s.ask_order_px) = o.price;
            (bid ? s.bid_order_qty : s.ask_order_qty) = o.qty;
            (bid ? s.bid_order_leaves : s.ask_order_leaves) = o.leaves;
            (bid ? s.bid_order_state : s.ask_order_state) = o.state;
        }
        s.n_live_orders = static_cast<int64_t>(local_orders_.size());
        s.n_explicit_live = n_explicit_live_;
        summarize_ladder();
    }
    View &v = view_;
    v.ts = ts;
    v.reason = reason;
    // The market part only when the feed cursor moved (on a timer, most ticks see the
    // entry the last one saw).
    if (cursor_ != view_cursor_) {
        view_cursor_ = cursor_;
        const int64_t *row = tape_.at(cursor_);
        std::memcpy(&v.best_bid, row + Tape::kMarket, Tape::kMarketWords * sizeof(int64_t));
        v.n_events = row[Tape::kPos];
        view_ts_last_ = row[Tape::kTsLast];
        if (signal_set_ >= 0) std::memcpy(v.signals, tape_.signals(cursor_, signal_set_), sizeof v.signals);
    }
    if (own_changed_) copy_own();
}

// Our own part of the view from the summary: position .. n_live_orders (our fills' figures
// and our orders, contiguous in View), n_bid_levels .. last_expire_ts, and ladder_levels
// entries of each ladder array.
void Variant::copy_own() {
    own_changed_ = false;
    View &v = view_;
    std::memcpy(&v.position, &state_.position, offsetof(View, n_events) - offsetof(View, position));
    std::memcpy(&v.n_bid_levels, &state_.n_bid_levels, offsetof(View, bid_ladder_px) - offsetof(View, n_bid_levels));
    if (ladder_ == 1) {
        v.bid_ladder_px[0] = state_.bid_ladder_px[0];
        v.bid_ladder_qty[0] = state_.bid_ladder_qty[0];
        v.bid_ladder_leaves[0] = state_.bid_ladder_leaves[0];
        v.bid_ladder_state[0] = state_.bid_ladder_state[0];
        v.ask_ladder_px[0] = state_.ask_ladder_px[0];
        v.ask_ladder_qty[0] = state_.ask_ladder_qty[0];
        v.ask_ladder_leaves[0] = state_.ask_ladder_leaves[0];
        v.ask_ladder_state[0] = state_.ask_ladder_state[0];
    } else {
        for (const size_t off : kViewLadder)
            std::memcpy(reinterpret_cast<char *>(&v) + off, reinterpret_cast<const char *>(&state_) + off,
                        static_cast<size_t>(ladder_) * sizeof(int64_t));
    }
}

// The view's ladder arrays: per target level of each side, the order it was given, if that
// order is still live and not being cancelled.
void Variant::summarize_ladder() {
    View &s = state_;
    s.n_bid_levels = levels_[0].n;
    s.n_ask_levels = levels_[1].n;
    for (int side = 0; side < 2; ++side) {
        const Levels &lv = levels_[side];
        int64_t *px = side == 0 ? s.bid_ladder_px : s.ask_ladder_px;
        int64_t *qty = side == 0 ? s.bid_ladder_qty : s.ask_ladder_qty;
        int64_t *leaves = side == 0 ? s.bid_ladder_leaves : s.ask_ladder_leaves;
        int64_t *state = side == 0 ? s.bid_ladder_state : s.ask_ladder_state;
        for (int k = 0; k < ladder_; ++k) {
            px[k] = qty[k] = leaves[k] = state[k] = 0;
            if (k >= lv.n || lv.id[k] == 0) continue;
            for (const auto &o : local_orders_) {
                if (o.id != lv.id[k]) continue;
                if (o.state != StatePendingCancel) {
                    px[k] = o.price;
                    qty[k] = o.qty;
                    leaves[k] = o.leaves;
                    state[k] = o.state;
                }
                break;
            }
        }
    }
}

void Variant::call(int64_t ts, int64_t reason) {
    if (reason & (WakeMarket | WakeTimer)) {
        calls_on_responses_ = cross_rejects_ = closed_rejects_ = cross_counted_ = closed_counted_ = 0;
    } else if (++calls_on_responses_ > kMaxCallsOnResponses) {
        no_progress(ts);
    } else {
        cross_counted_ = cross_rejects_;
        closed_counted_ = closed_rejects_;
    }
    fill_view(ts, reason);
    if (holds_unseen_) see_holds();
    if (cfg_.decision_log) log_decision(ts, reason);
    // The strategy gets `out` zeroed: the scalars and explicit orders whole, and the
    // ladder_levels entries of each ladder array it may fill (the engine reads no further).
    Quote &q = quote_;
    zero_bytes<offsetof(Quote, bid_ladder_px)>(&q);
    if (ladder_ == 1) {
        q.bid_ladder_px[0] = q.bid_ladder_qty[0] = q.ask_ladder_px[0] = q.ask_ladder_qty[0] = 0;
    } else {
        std::memset(q.bid_ladder_px, 0, static_cast<size_t>(ladder_) * sizeof(double));
        std::memset(q.bid_ladder_qty, 0, static_cast<size_t>(ladder_) * sizeof(double));
        std::memset(q.ask_ladder_px, 0, static_cast<size_t>(ladder_) * sizeof(double));
        std::memset(q.ask_ladder_qty, 0, static_cast<size_t>(ladder_) * sizeof(double));
    }
    ++out_.n_calls;
    const int64_t rc = strategy_.quote(strategy_.user, &view_, &q);
    if (ts > end_ts_) {  // after the data's last event: nothing can reach the exchange now
        if (rc != QuoteSet && rc != QuoteNoChange) bad_return(ts, rc);
        return;
    }
    if (rc == QuoteSet) apply_quote(ts, q);
    else if (rc != QuoteNoChange)
        bad_return(ts, rc);
    // Explicit orders go out whether or not the targets changed, after the targets' orders.
    if (q.n_orders != 0) send_orders(ts, q);
}

void Variant::bad_return(int64_t ts, int64_t rc) const {
    if (rc == kInterruptCode) throw PassInterrupted{};
    throw StrategyFailure(rc, ts, "the strategy returned error code " + std::to_string(rc));
}

// The strategy was called kMaxCallsOnResponses times in a row on responses alone: say why.
void Variant::no_progress(int64_t ts) const {
    std::string why = "the strategy was called " + std::to_string(kMaxCallsOnResponses) +
                      " times in a row on responses to its own orders alone, with no market data or timer in "
                      "between";
    if (2 * closed_counted_ >= kMaxCallsOnResponses)
        why += ": " + std::to_string(closed_counted_) +
               " of those responses were rejects because the venue is not trading (HALTED or NOT_TRADING): its "
               "orders change after each reject (a rejected target is sent again only once it, the local best "
               "bid/ask or the trading status changes). Hold or pull quotes while view.trading_status is not "
               "TRADING (3), and send no explicit orders then";
    else if (2 * cross_counted_ >= kMaxCallsOnResponses)
        why += ": " + std::to_string(cross_counted_) +
               " of those responses were post-only rejects (POST_ONLY_WOULD_CROSS): its quotes cross the book "
               "and change after each reject (a rejected target is sent again only once it or the local best "
               "bid/ask changes, or a view from after the reject shows it crossing nothing). Quote at or "
               "behind the best bid and ask the view shows, or set post_only: "
               "false to take liquidity";
    else
        why += ": it changes its quotes, or sends explicit orders, on every response, and each change sends "
               "orders whose responses call it again. Keep a quote until the market moves, or decide on a "
               "timer (decide_every)";
    throw StrategyFailure(kNoProgressCode, ts, why);
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

namespace {
// Why x is not a valid price (qty false) or size (qty true); empty when it is. -2^63 is what
// numba's int() (a float -> int64 conversion) makes of inf, NaN and numbers beyond int64, and
// what an int64 that wrapped around gives (the empty side's 2^63 - 1, plus 1): say so, or the
// strategy's non-finite value hides behind a number.
std::string invalid(double x, bool qty) {
    if (!std::isfinite(x)) return "is not finite";
    if (x != std::floor(x)) return qty ? "is not a whole number of lots" : "is not a whole number of ticks";
    if (x == -9223372036854775808.0)
        return std::string("is out of range (-2^63 is what numba's int() makes of inf, NaN or a number beyond "
                           "int64, and what an int64 sum that wrapped around gives, e.g. best_ask + 1 on an empty ask "
                           "side, where best_ask is 2^63 - 1: the strategy most likely computed a non-finite or "
                           "wrapped ") + (qty ? "size" : "price") + ")";
    if (std::fabs(x) >= kMaxExact) return "is out of range";
    if (qty && x < 0) return "is negative";
    return "";
}
}  // namespace

void Variant::apply_quote(int64_t ts, const Quote &q) {
    if ((q.n_bid_levels | q.n_ask_levels) != 0) {
        apply_ladder(ts, q);
        return;
    }
    // The four doubles as last time (bit for bit: the common case) were converted and
    // checked then; and if that quote needed no order change and our orders have not
    // changed since (no hold either), this one needs none.
    const bool same_bits = std::memcmp(&q.bid_px, last_q_, sizeof last_q_) == 0;
    if (same_bits && noop_epoch_ == sides_epoch_ && !any_rejected_) return;
    if (!same_bits) {
        bool ok = (q.bid_qty >= 0) & (q.ask_qty >= 0);
        const int64_t conv[4] = {to_whole(q.bid_px, ok), to_whole(q.bid_qty, ok), to_whole(q.ask_px, ok),
                                 to_whole(q.ask_qty, ok)};
        if (!ok) bad_quote(ts, q);
        std::memcpy(last_q_, &q.bid_px, sizeof last_q_);
        std::memcpy(last_q_int_, conv, sizeof conv);
    }
    const int64_t bid_px = last_q_int_[0], bid_qty = last_q_int_[1];
    const int64_t ask_px = last_q_int_[2], ask_qty = last_q_int_[3];
    if (any_rejected_) {
        const int64_t *const pxs[2] = {&bid_px, &ask_px}, *const qtys[2] = {&bid_qty, &ask_qty};
        const int ns[2] = {1, 1};
        release_rejected(pxs, qtys, ns);
    }
    // Most calls change nothing: each side already holds exactly that one order, or none,
    // for the same one target.
    const bool bid = !sides_[0].holds(bid_px, bid_qty) || !levels_[0].same(&bid_px, &bid_qty, 1);
    const bool ask = !sides_[1].holds(ask_px, ask_qty) || !levels_[1].same(&ask_px, &ask_qty, 1);
    if (!(bid | ask)) {
        noop_epoch_ = sides_epoch_;
        return;
    }
    // The notional |price| * size stays below 2^62 tick*lots, so a fill at our price fits
    // int64 (checked when orders may change: an unchanged target was checked when it was sent).
    if (!((std::fabs(q.bid_px) * q.bid_qty < kMaxQuoteNotional) & (std::fabs(q.ask_px) * q.ask_qty < kMaxQuoteNotional)))
        bad_quote(ts, q);
    if (bid) manage_side(ts, 0, &bid_px, &bid_qty, 1);
    if (ask) manage_side(ts, 1, &ask_px, &ask_qty, 1);
}

void Variant::bad_quote(int64_t ts, const Quote &q) {
    static const char *names[4] = {"bid_px", "bid_qty", "ask_px", "ask_qty"};
    const double vals[4] = {q.bid_px, q.bid_qty, q.ask_px, q.ask_qty};
    for (int j = 0; j < 4; ++j) {
        const double x = vals[j];
        const std::string why = invalid(x, j % 2 == 1);
        if (!why.empty())
            throw StrategyFailure(kBadQuoteCode, ts, std::string("quote ") + names[j] + " = " + fmt_px(x) + " " + why);
    }
    for (int j = 0; j < 4; j += 2) {
        const double notional = std::fabs(vals[j]) * vals[j + 1];
        if (!(notional < kMaxQuoteNotional))
            throw StrategyFailure(kBadQuoteCode, ts,
                                  std::string("quote ") + names[j + 1] + " = " + fmt_px(vals[j + 1]) + " at " +
                                      names[j] + " = " + fmt_px(vals[j]) + " is a notional of " + fmt_px(notional) +
                                      " tick*lots, beyond the 2^62 the engine accounts exactly");
    }
    throw StrategyFailure(kBadQuoteCode, ts, "invalid quote");
}

// The ladder form: n_bid_levels / n_ask_levels entries of the ladder arrays, per side a set
// of (price, size) targets; the four 1-level scalars must be 0.
void Variant::apply_ladder(int64_t ts, const Quote &q) {
    const int64_t n[2] = {q.n_bid_levels, q.n_ask_levels};
    static const char *side_name[2] = {"bid", "ask"};
    for (int s = 0; s < 2; ++s) {
        if (n[s] < 0)
            throw StrategyFailure(kBadQuoteCode, ts, std::string("quote n_") + side_name[s] + "_levels = " +
                                                         std::to_string(n[s]) + " is negative");
        if (n[s] > ladder_)
            throw StrategyFailure(kBadQuoteCode, ts, "quote has " + std::to_string(n[s]) + " " + side_name[s] +
                                                         " levels, more than ladder_levels=" + std::to_string(ladder_));
    }
    if (!(q.bid_px == 0 && q.bid_qty == 0 && q.ask_px == 0 && q.ask_qty == 0))
        throw StrategyFailure(kBadQuoteCode, ts,
                              "quote sets both the 1-level targets (bid_px, bid_qty, ask_px, ask_qty) and a ladder "
                              "(n_bid_levels, n_ask_levels); use one form");
    int64_t px[2][kMaxLadder], qty[2][kMaxLadder];
    for (int s = 0; s < 2; ++s) {
        const double *dpx = s == 0 ? q.bid_ladder_px : q.ask_ladder_px;
        const double *dqty = s == 0 ? q.bid_ladder_qty : q.ask_ladder_qty;
        for (int k = 0; k < n[s]; ++k) {
            bool ok = dqty[k] >= 0;
            px[s][k] = to_whole(dpx[k], ok);
            qty[s][k] = to_whole(dqty[k], ok);
            if (ok) continue;
            std::string why = invalid(dpx[k], false);
            const char *what = "price";
            double x = dpx[k];
            if (why.empty()) {
                why = invalid(dqty[k], true);
                what = "size";
                x = dqty[k];
            }
            throw StrategyFailure(kBadQuoteCode, ts, std::string("quote ") + side_name[s] + " level " +
                                                         std::to_string(k) + " " + what + " = " + fmt_px(x) + " " +
                                                         (why.empty() ? "is invalid" : why));
        }
        for (int k = 0; k < n[s]; ++k) {
            // The notional |price| * size stays below 2^62 tick*lots, so a fill at our price fits int64.
            const double notional = std::fabs(dpx[k]) * dqty[k];
            if (!(notional < kMaxQuoteNotional))
                throw StrategyFailure(kBadQuoteCode, ts, std::string("quote ") + side_name[s] + " level " +
                                                             std::to_string(k) + " size = " + fmt_px(dqty[k]) +
                                                             " at price = " + fmt_px(dpx[k]) + " is a notional of " +
                                                             fmt_px(notional) +
                                                             " tick*lots, beyond the 2^62 the engine accounts exactly");
        }
    }
    if (any_rejected_) {
        const int64_t *const pxs[2] = {px[0], px[1]}, *const qtys[2] = {qty[0], qty[1]};
        const int ns[2] = {static_cast<int>(n[0]), static_cast<int>(n[1])};
        release_rejected(pxs, qtys, ns);
    }
    for (int s = 0; s < 2; ++s) {
        int live = 0;
        for (int k = 0; k < n[s]; ++k) live += qty[s][k] > 0;
        // Unchanged targets, each still with its order: nothing to do.
        if (levels_[s].same(px[s], qty[s], static_cast<int>(n[s])) && sides_[s].active == live) continue;
        manage_side(ts, s, px[s], qty[s], static_cast<int>(n[s]));
    }
}

// Target order o was just rejected, or took liquidity on arrival: hold its target back; the
// next call notes its market (docs/engine.md, "Targets, not orders").
void Variant::hold(const LocalOrder &o, bool cross, int64_t exch_ts) {
    if (o.order_type != TypeLimit || o.level < 0 || o.level >= ladder_) return;  // explicit orders are not targets
    rejected_[o.side > 0 ? 0 : 1][o.level] = Rejected{true, true, cross, o.price, o.qty, 0, 0, 0, exch_ts};
    any_rejected_ = holds_unseen_ = true;
}

// The holds taken since the last call note the market of this call's view (the first the
// strategy makes knowing of them): they last while it stays so.
void Variant::see_holds() {
    holds_unseen_ = false;
    for (auto &side : rejected_)
        for (int k = 0; k < ladder_; ++k) {
            Rejected &rj = side[k];
            if (!rj.unseen) continue;
            rj.unseen = false;
            rj.best_bid = view_.best_bid;
            rj.best_ask = view_.best_ask;
            rj.status = view_.trading_status;
        }
}

// A target just rejected (post-only crossing, or the venue halted or not trading) is held
// back, and so is one that just took liquidity on arrival: not sent again while the
// strategy keeps that target and the local best bid, best ask and trading status are those
// of the first call after the response (docs/engine.md, "Targets, not orders"). A quote
// with another target for the level, or a moved market, drops the hold. So does a view
// that shows the exchange at or after the response (its last event's exch_ts at least the
// response's) in which a target held for crossing crosses nothing (a bid below the best
// ask, an ask above the best bid): the book moved back, the target would rest.
// Run at every quote applied while some hold is on.
void Variant::release_rejected(const int64_t *const px[2], const int64_t *const qty[2], const int n[2]) {
    any_rejected_ = false;
    for (int s = 0; s < 2; ++s) {
        for (int k = 0; k < ladder_; ++k) {
            Rejected &rj = rejected_[s][k];
            if (rj.on && (k >= n[s] || px[s][k] != rj.px || qty[s][k] != rj.qty || view_.best_bid != rj.best_bid ||
                          view_.best_ask != rj.best_ask || view_.trading_status != rj.status ||
                          (rj.cross && view_ts_last_ >= rj.exch_ts &&
                           (s == 0 ? rj.px < view_.best_ask : rj.px > view_.best_bid))))
                rj.on = false;
            any_rejected_ |= rj.on;
        }
    }
}

void Variant::summarize_sides() {
    ++sides_epoch_;
    for (auto &s : sides_) s = SideSummary{};
    for (const auto &o : local_orders_) {
        if (o.state == StatePendingCancel || o.order_type != TypeLimit) continue;
        SideSummary &s = sides_[o.side > 0 ? 0 : 1];
        if (s.active++ == 0) {
            s.px = o.price;
            s.qty = o.qty;
        }
    }
}

void Variant::new_order_room(int64_t ts) const {
    if (static_cast<int64_t>(local_orders_.size()) >= cfg_.max_orders)
        throw StrategyFailure(kTooManyOrdersCode, ts,
                              "more than max_orders=" + std::to_string(cfg_.max_orders) +
                                  " live orders (orders waiting for a cancel confirmation count): raise max_orders, "
                                  "decide less often (decide_every), or replace quotes less eagerly (each new target "
                                  "cancels the working order and sends another, and both stay live until the "
                                  "cancel is confirmed, one entry plus one response latency later)");
}

// Side s (0 bid, 1 ask) gets the targets (px[k], qty[k]), k < n; a size of 0 is no order.
// Each live order whose price and original size equal a target keeps it, oldest order
// first, so its queue position survives (even when partly filled); every other target
// order of the side is cancelled; each target left without an order gets a new one, in
// level order. Explicit orders are not targets: never kept or cancelled here.
void Variant::manage_side(int64_t ts, int s, const int64_t *px, const int64_t *qty, int n) {
    orders_changed_ = true;
    const int8_t side = s == 0 ? 1 : -1;
    Levels &lv = levels_[s];
    lv.n = n;
    for (int k = 0; k < n; ++k) {
        lv.px[k] = qty[k] > 0 ? px[k] : 0;
        lv.qty[k] = qty[k];
        lv.id[k] = 0;
    }
    for (auto &o : local_orders_) {
        if (o.side != side || o.state == StatePendingCancel || o.order_type != TypeLimit) continue;
        int k = 0;
        while (k < n && !(lv.id[k] == 0 && qty[k] > 0 && o.price == px[k] && o.qty == qty[k])) ++k;
        if (k < n) {
            lv.id[k] = o.id;
            continue;
        }
        o.state = StatePendingCancel;
        cancel_sent_ids_.push_back(o.id);
        send(ts, MsgType::Cancel, o);
    }
    for (int k = 0; k < n; ++k) {
        if (qty[k] <= 0 || lv.id[k] != 0) continue;
        if (rejected_[s][k].on) continue;  // just rejected, and nothing changed since
        new_order_room(ts);
        const LocalOrder o{next_order_id_++, px[k], qty[k], qty[k], StatePendingNew, 0, side, TypeLimit,
                           static_cast<int8_t>(k)};
        lv.id[k] = o.id;
        local_orders_.push_back(o);
        send(ts, MsgType::New, o);
    }
    summarize_sides();
}

// Explicit orders: n_orders entries of the order_* arrays, each checked, then sent in order.
void Variant::send_orders(int64_t ts, const Quote &q) {
    if (q.n_orders < 0 || q.n_orders > kMaxExplicit)
        throw StrategyFailure(kBadOrderCode, ts, "n_orders = " + std::to_string(q.n_orders) + " is not in 0.." +
                                                     std::to_string(kMaxExplicit) +
                                                     " (explicit orders per call)");
    int64_t px[kMaxExplicit], qty[kMaxExplicit];
    for (int j = 0; j < q.n_orders; ++j) {
        const std::string head = "order " + std::to_string(j) + " ";
        const int64_t type = q.order_type[j];
        if (type != TypeIoc && type != TypeFok && type != TypeMarket)
            throw StrategyFailure(kBadOrderCode, ts, head + "order_type = " + std::to_string(type) +
                                                         " is not IOC (2), FOK (3) or MARKET (4)");
        if (q.order_side[j] != 1 && q.order_side[j] != -1)
            throw StrategyFailure(kBadOrderCode, ts, head + "order_side = " + std::to_string(q.order_side[j]) +
                                                         " is not +1 (buy) or -1 (sell)");
        bool ok = q.order_qty[j] >= 1;
        qty[j] = to_whole(q.order_qty[j], ok);
        if (!ok) {
            std::string why = invalid(q.order_qty[j], true);
            throw StrategyFailure(kBadOrderCode, ts, head + "order_qty = " + fmt_px(q.order_qty[j]) + " " +
                                                         (why.empty() ? "is not a positive number of lots" : why));
        }
        ok = true;
        px[j] = type == TypeMarket ? 0 : to_whole(q.order_px[j], ok);
        if (!ok)
            throw StrategyFailure(kBadOrderCode, ts,
                                  head + "order_px = " + fmt_px(q.order_px[j]) + " " + invalid(q.order_px[j], false));
        // An IOC/FOK's limit bounds its fills' notional: below 2^62 tick*lots, as a quote's. A
        // market order's fills are checked as they are accounted (a DataError naming the event).
        const double notional = std::fabs(q.order_px[j]) * q.order_qty[j];
        if (type != TypeMarket && !(notional < kMaxQuoteNotional))
            throw StrategyFailure(kBadOrderCode, ts, head + "order_qty = " + fmt_px(q.order_qty[j]) +
                                                         " at order_px = " + fmt_px(q.order_px[j]) +
                                                         " is a notional of " + fmt_px(notional) +
                                                         " tick*lots, beyond the 2^62 the engine accounts exactly");
    }
    for (int j = 0; j < q.n_orders; ++j) {
        new_order_room(ts);
        const LocalOrder o{next_order_id_++, px[j], qty[j], qty[j], StatePendingNew, q.order_tag[j],
                           static_cast<int8_t>(q.order_side[j]), static_cast<uint8_t>(q.order_type[j]), -1};
        local_orders_.push_back(o);
        ++n_explicit_live_;
        send(ts, MsgType::New, o);
    }
    orders_changed_ = true;
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
    m->tag = o.tag;
    const int64_t decision = out_.n_calls - 1;  // sent only from inside a strategy call
    m->decision = decision;
    m->side = o.side;
    m->type = type;
    m->order_type = o.order_type;
    m->level = o.level;
    log(t, ts, o.id, o.price, o.qty, o.leaves, type == MsgType::New ? OrderEvent::Sent : OrderEvent::CancelSent,
        o.side, 0, o.tag, o.order_type, o.level, decision);
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
