// The pass: one read of the events for many runs. See engine.hpp.
#include "mmsim/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cxxabi.h>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

#include "mmsim/book.hpp"
#include "mmsim/errors.hpp"
#include "mmsim/limits.hpp"
#include "mmsim/tape.hpp"
#include "mmsim/variant.hpp"

namespace mmsim {

namespace {

struct SignalsDeleter {
    void operator()(MmsimSignals *h) const { mmsim_signals_free(h); }
};
using SignalsHandle = std::unique_ptr<MmsimSignals, SignalsDeleter>;

SignalsHandle new_signals(const MmsimSignalParams &p) {
    SignalsHandle h(mmsim_signals_new(&p));
    if (!h) throw std::invalid_argument("invalid signal parameters");
    return h;
}

// The local side's view of one market event: feed it to the signals exactly as
// compute_signals does (a trade first, then the new book). A print while the venue is not
// trading (`trading`: the status before the event) matches nothing and is no continuous
// order flow: the trade signals skip it (docs/signals.md).
inline void feed_trade(MmsimSignals *sig, const Event &e, bool trading) {
    const auto kind = static_cast<Kind>(e.kind);
    if (trading && (kind == Kind::Trade || kind == Kind::Execute))
        mmsim_signals_on_trade(sig, e.exch_ts, kind == Kind::Trade ? e.side : -e.side, e.price, e.qty);
}

[[noreturn]] void unsorted(const Event *ev, int64_t i) {
    throw DataError(i, "events are not sorted by exch_ts (" + std::to_string(ev[i].exch_ts) + " after " +
                           std::to_string(ev[i - 1].exch_ts) + ")");
}

[[noreturn]] void bad_time(const Event *ev, int64_t i) {
    throw DataError(i, "exch_ts " + std::to_string(ev[i].exch_ts) + " is outside the plausible range [0, " +
                           std::to_string(kMaxEventTs) +
                           ") ns (1970-01-01 to 2100-01-01 UTC): a timestamp in the wrong unit, or a corrupt one");
}

// Event i's time is in order and plausible (the book-only replays check each event).
inline void check_time(const Event *ev, int64_t i) {
    if (i > 0 && ev[i].exch_ts < ev[i - 1].exch_ts) unsorted(ev, i);
    if (!time_ok(ev[i].exch_ts)) bad_time(ev, i);
}

// Stops a pass at the first failed run (stop_on_error).
struct StopPass {};

// The checked mode's shadow of the book's L3 orders: per level, each order's lots by
// priority. Kept apart from the book (whose order map is a hash by id) so the hot path
// pays nothing when no run checks.
class L3Index {
  public:
    void apply(const Event &e, const BookChange &c) {
        switch (static_cast<Kind>(e.kind)) {
            case Kind::Add: levels_[{c.side, c.price}][c.order_seq] += c.new_qty - c.prev_qty; break;
            case Kind::Cancel:
            case Kind::Delete:
            case Kind::Execute: {
                auto lv = levels_.find({c.side, c.price});
                if (lv == levels_.end()) break;
                auto o = lv->second.find(c.order_seq);
                if (o == lv->second.end()) break;
                o->second -= c.prev_qty - c.new_qty;
                if (o->second <= 0) lv->second.erase(o);
                if (lv->second.empty()) levels_.erase(lv);
                break;
            }
            case Kind::Clear:
                for (auto it = levels_.begin(); it != levels_.end();) {
                    if (c.side == 0 || it->first.first == c.side) it = levels_.erase(it);
                    else ++it;
                }
                break;
            default: break;
        }
    }
    // Lots at side/price with a priority before seq or in [win_lo, win_hi).
    int64_t before(int8_t side, int64_t price, int64_t seq, int64_t win_lo, int64_t win_hi) const {
        auto lv = levels_.find({side, price});
        if (lv == levels_.end()) return 0;
        int64_t sum = 0;
        for (const auto &[s, q] : lv->second)
            if (s < seq || (s >= win_lo && s < win_hi)) sum += q;
        return sum;
    }

  private:
    std::map<std::pair<int8_t, int64_t>, std::map<int64_t, int64_t>> levels_;
};

class Pass {
  public:
    Pass(const Event *ev, int64_t n, const std::vector<RunSpec> &runs, const PassOptions &opt,
         std::vector<RunOutput> &outs);
    // Not inlined into run_many: inlined there (as the stop check tipped it), the event loop
    // ran 6 instructions an event more (callgrind, bench_pass).
    [[gnu::noinline]] void run();
    // A bad event: every run still going fails with it.
    void fail_all(std::exception_ptr e);
    // A stop request: every run still going stops where it is, interrupted.
    void interrupt();

  private:
    void advance(Variant &v, int64_t limit, int64_t arrive_by = kInf);
    void apply(const Event &e, int64_t i, int64_t bb, int64_t ba);
    void end_message(int64_t ts, int64_t last, int64_t bb, int64_t ba, bool reopened);
    void feed_book(int64_t ts);
    void check_l3(int64_t i, bool in_message);
    void step_feeds(int64_t i);
    void push_entry(int64_t pos);
    void update_interest();
    void fail(Variant &v, std::exception_ptr e);
    void stop(Variant &v);
    void drop_failed();
    void release_consumed(int64_t upto);
    // The stop request's check (PassOptions::stop, after its poll): every kStopCheckEvents
    // exchange events and every kStopCheckCalls strategy calls.
    [[gnu::noinline]] void check_stop();

    const Event *ev_;
    const int64_t n_;
    const PassOptions opt_;
    std::vector<RunOutput> &outs_;
    Book book_;
    Tape tape_;
    bool tape_on_ = false;  // some run calls a strategy, so views are read
    struct SignalSet {
        SignalsHandle handle;
        MmsimSignalParams params;
        int levels;
    };
    std::vector<SignalSet> sets_;
    int max_levels_ = 0;
    std::vector<std::unique_ptr<Variant>> variants_;
    std::vector<Variant *> live_;    // runs still going
    std::vector<Variant *> local_;   // ... of which with a strategy (a local side that moves)
    std::vector<Variant *> feeds_;   // ... of which with a per-event feed (tape delivery column)
    std::vector<int64_t> pending_;   // per feed column: delivery time of the message being applied
    std::vector<uint8_t> failed_;    // per feed column: its run failed
    int64_t next_index_ = 0;         // the first event not applied yet
    int64_t last_ts_ = 0;            // exch_ts of the last message applied
    bool any_failed_ = false;
    int64_t calls_left_ = kStopCheckCalls;  // strategy calls to the next check_stop
    // The span of every run's resting prices (lo > hi when none rests).
    int64_t bid_lo_ = kInf, bid_hi_ = std::numeric_limits<int64_t>::min();
    int64_t ask_lo_ = kInf, ask_hi_ = std::numeric_limits<int64_t>::min();
    bool any_resting_ = false;
    int64_t next_sample_ = kInf;  // earliest sample due over all runs
    int64_t released_bytes_ = 0;
    // Checked mode (some run has check_invariants): the book's orders by level, in priority.
    bool check_ = false;
    L3Index index_;
};

Pass::Pass(const Event *ev, int64_t n, const std::vector<RunSpec> &runs, const PassOptions &opt,
           std::vector<RunOutput> &outs)
    : ev_(ev), n_(n), opt_(opt), outs_(outs) {
    // Runs with equal (effective) signal parameters share one signal state.
    std::vector<int> set_of(runs.size(), -1), slot_of(runs.size(), -1);
    int n_feeds = 0;
    for (size_t k = 0; k < runs.size(); ++k) {
        const EngineConfig &c = runs[k].config;
        if (!c.feed || !c.entry || !c.response || !c.queue) throw std::invalid_argument("a run's config has no model");
        if (c.sample_every <= 0 || c.sample_every > kMaxDurationNs)
            throw std::invalid_argument("sample_every must be in (0, 366 days] ns");
        if (c.decide_every < 0 || c.decide_every > kMaxDurationNs)
            throw std::invalid_argument("decide_every must be in [0, 366 days] ns");
        if (c.max_idle <= 0 || c.max_idle > kMaxDurationNs)
            throw std::invalid_argument("max_idle must be in (0, 366 days] ns");
        if (c.max_orders < 1) throw std::invalid_argument("max_orders must be at least 1");
        if (!c.feed->is_constant()) slot_of[k] = n_feeds++;
        if (runs[k].strategy.quote) tape_on_ = true;
        if (c.check_invariants) check_ = true;
        if (!c.signals) continue;
        SignalsHandle h = new_signals(c.signal_params);
        MmsimSignalParams eff{};
        mmsim_signals_params_get(h.get(), &eff);
        for (size_t s = 0; s < sets_.size(); ++s)
            if (std::memcmp(&sets_[s].params, &eff, sizeof eff) == 0) set_of[k] = static_cast<int>(s);
        if (set_of[k] < 0) {
            set_of[k] = static_cast<int>(sets_.size());
            const int levels = static_cast<int>(eff.depth_levels);
            max_levels_ = std::max(max_levels_, levels);
            sets_.push_back(SignalSet{std::move(h), eff, levels});
        }
    }
    tape_.configure(n_feeds, static_cast<int>(sets_.size()));
    pending_.assign(n_feeds, std::numeric_limits<int64_t>::min());
    failed_.assign(n_feeds, 0);
    for (size_t k = 0; k < runs.size(); ++k) {
        variants_.push_back(std::make_unique<Variant>(runs[k], tape_, book_, n_, slot_of[k], set_of[k], outs_[k]));
        Variant *v = variants_.back().get();
        live_.push_back(v);
        if (v->has_strategy()) local_.push_back(v);
        if (slot_of[k] >= 0) feeds_.push_back(v);
    }
}

// A run that stops keeps what it has: its records, and a last sample at the exchange time it
// stopped (the result is marked partial by the Python side).
void Pass::stop(Variant &v) {
    v.finish(last_ts_, book_, next_index_);
    v.out().completed = false;
}

void Pass::fail(Variant &v, std::exception_ptr e) {
    stop(v);
    v.out().error = e;
    any_failed_ = true;
    if (v.feed_slot() >= 0) failed_[v.feed_slot()] = 1;
    if (opt_.stop_on_error) throw StopPass{};
}

void Pass::drop_failed() {
    auto dead = [](Variant *v) { return static_cast<bool>(v->out().error); };
    live_.erase(std::remove_if(live_.begin(), live_.end(), dead), live_.end());
    local_.erase(std::remove_if(local_.begin(), local_.end(), dead), local_.end());
    feeds_.erase(std::remove_if(feeds_.begin(), feeds_.end(), dead), feeds_.end());
    any_failed_ = false;
}

void Pass::fail_all(std::exception_ptr e) {
    for (Variant *v : live_) {
        if (v->out().error) continue;
        stop(*v);
        v->out().error = e;
        v->out().shared_error = true;
    }
}

void Pass::check_stop() {
    calls_left_ = kStopCheckCalls;
    if (opt_.poll) opt_.poll(opt_.poll_user);
    if (opt_.stop && opt_.stop->load(std::memory_order_relaxed)) throw PassInterrupted{};
}

void Pass::interrupt() {
    for (Variant *v : live_) {
        if (v->out().error) continue;
        stop(*v);
        v->out().interrupted = true;
    }
}

void Pass::release_consumed(int64_t upto) {
    // Only whole pages strictly below the first event the exchange side still reads
    // (no local side reads events: they read the tape).
    static const int64_t page = sysconf(_SC_PAGESIZE);
    const auto base = reinterpret_cast<uintptr_t>(ev_);
    const uintptr_t first_page = (base + page - 1) / page * page;
    const uintptr_t end = (base + static_cast<uintptr_t>(upto) * sizeof(Event)) / page * page;
    const uintptr_t from = std::max<uintptr_t>(first_page, base + static_cast<uintptr_t>(released_bytes_));
    if (end <= from) return;
    madvise(reinterpret_cast<void *>(from), end - from, MADV_DONTNEED);
    released_bytes_ = static_cast<int64_t>(end - base);
}

// Record the state after events 0..pos-1 (the book is in it now).
void Pass::push_entry(int64_t pos) {
    if (tape_.full()) {
        int64_t tail = tape_.size();
        for (Variant *v : local_) tail = std::min(tail, v->cursor());
        tape_.set_tail(tail);
        if (tape_.full()) tape_.grow();
    }
    int64_t *w = tape_.push();
    w[Tape::kPos] = pos;
    w[Tape::kTsLast] = pos > 0 ? ev_[pos - 1].exch_ts : std::numeric_limits<int64_t>::min();
    int64_t *m = w + Tape::kMarket;
    m[0] = book_.bids.best();
    m[1] = book_.asks.best();
    m[2] = book_.bids.best_qty();
    m[3] = book_.asks.best_qty();
    book_.bids.top(kViewDepth, m + 4, m + 4 + kViewDepth);
    book_.asks.top(kViewDepth, m + 4 + 2 * kViewDepth, m + 4 + 3 * kViewDepth);
    w[Tape::kStatus] = static_cast<int64_t>(book_.status);
    int64_t *d = tape_.deliveries_of(w);
    for (size_t f = 0; f < pending_.size(); ++f) d[f] = pending_[f];
    for (size_t s = 0; s < sets_.size(); ++s) mmsim_signals_values(sets_[s].handle.get(), tape_.signals_of(w, static_cast<int>(s)));
}

// Runs whose feed has a delivery time per event (recorded or random latency): when event i
// reaches each of them. A venue message is delivered whole, at the latest arrival among its
// events (and never before the message ahead of it: the feed is one ordered stream), so the
// running maximum over the message's events is its delivery time, recorded on the tape entry
// at the message's end; a strategy never sees part of a message.
void Pass::step_feeds(int64_t i) {
    const Event &e = ev_[i];
    for (Variant *v : feeds_) {
        const int f = v->feed_slot();
        if (failed_[f]) continue;
        int64_t t;
        try {
            t = v->feed().feed_arrival(e, i);
        } catch (const DataError &) {
            fail(*v, std::current_exception());
            continue;
        }
        if (t > pending_[f]) pending_[f] = t;
    }
}

void Pass::update_interest() {
    bid_lo_ = ask_lo_ = kInf;
    bid_hi_ = ask_hi_ = std::numeric_limits<int64_t>::min();
    for (Variant *v : local_) {
        v->interest_changed = false;
        bid_lo_ = std::min(bid_lo_, v->bid_lo);
        bid_hi_ = std::max(bid_hi_, v->bid_hi);
        ask_lo_ = std::min(ask_lo_, v->ask_lo);
        ask_hi_ = std::max(ask_hi_, v->ask_hi);
    }
    any_resting_ = bid_lo_ <= bid_hi_ || ask_lo_ <= ask_hi_;
}

// The book changed at ts: every signal set sees its top levels.
void Pass::feed_book(int64_t ts) {
    int64_t bp[MMSIM_MAX_LEVELS], bq[MMSIM_MAX_LEVELS], ap[MMSIM_MAX_LEVELS], aq[MMSIM_MAX_LEVELS];
    book_.bids.top(max_levels_, bp, bq);
    book_.asks.top(max_levels_, ap, aq);
    for (auto &s : sets_) mmsim_signals_on_book(s.handle.get(), ts, bp, bq, ap, aq, s.levels);
}

// Apply market event e (index i) to the shared book and the signals; each run with orders
// near it reacts (bb/ba: the best bid/ask before the venue message). Inline: this is the
// hot path.
MMSIM_INLINE void Pass::apply(const Event &e, int64_t i, int64_t bb, int64_t ba) {
    const bool trading = book_.trading();
    for (auto &s : sets_) feed_trade(s.handle.get(), e, trading);
    // A snapshot: each run notes the sizes of its levels before the book forgets them.
    if (e.kind == static_cast<uint8_t>(Kind::Clear) && any_resting_)
        for (Variant *v : local_)
            if (v->resting()) v->before_clear(e.side, e.exch_ts);
    const BookChange c = book_.apply(e, i);
    if (check_) index_.apply(e, c);
    if (!sets_.empty() && c.book_changed) feed_book(e.exch_ts);
    if (!any_resting_) return;
    // A depth update away from every run's prices (the common case) concerns no run.
    if (e.kind == static_cast<uint8_t>(Kind::Depth) && e.qty >= 0) {
        const bool away = e.side > 0 ? (e.price < bid_lo_ || e.price > bid_hi_) && (e.qty == 0 || e.price < ask_lo_)
                        : e.side < 0 ? (e.price < ask_lo_ || e.price > ask_hi_) && (e.qty == 0 || e.price > bid_hi_)
                                     : false;
        if (away) return;
    }
    for (Variant *v : local_)
        if (v->resting() && v->concerns(e)) v->on_market(e, i, c, bb, ba);
    if (check_ && book_.l3) check_l3(i, true);
}

// The venue message at ts (events up to `last`) is applied: each run settles what it left.
MMSIM_INLINE void Pass::end_message(int64_t ts, int64_t last, int64_t bb, int64_t ba, bool reopened) {
    for (Variant *v : local_)
        if (v->settle_pending() || (reopened && v->resting())) v->end_message(ts, last, bb, ba, reopened);
    if (check_ && book_.l3) check_l3(last, false);
}

// Checked mode: every resting order of a checked run has exactly the lots of the book's
// orders at its level with an earlier priority ahead of it (within a message, a side a
// CLEAR emptied is recomputed at its end, so it is checked then).
void Pass::check_l3(int64_t i, bool in_message) {
    for (Variant *v : local_) {
        if (!v->config().check_invariants || !v->resting()) continue;
        const uint8_t skip = in_message ? v->cleared_sides() : 0;
        for (const ExOrder &o : v->ex_orders()) {
            if (skip & (o.side > 0 ? 1 : 2)) continue;
            const int64_t want = index_.before(o.side, o.price, o.seq, o.win_lo, o.win_hi);
            if (o.ahead != want)
                throw DataError(i, "check_invariants: our order " + std::to_string(o.id) + " (" +
                                       (o.side > 0 ? "bid" : "ask") + " at " + std::to_string(o.price) + ") has " +
                                       std::to_string(o.ahead) + " lots ahead of it, but the book's orders at its " +
                                       "level with an earlier priority hold " + std::to_string(want));
        }
    }
}

// Run v's own items (order arrivals, responses, market data, timer, strategy calls) that
// happen before `limit` (the next venue message's time; kInf after the last). This is the
// tie order of docs/engine.md: at one nanosecond, our order arrivals at the exchange come
// before anything on the local side; there, responses, then market data, then the timer,
// then one strategy call. Order arrivals after `arrive_by` (the last event's time, once the
// data has ended) do not happen: the exchange side ends with its data.
void Pass::advance(Variant &v, int64_t limit, int64_t arrive_by) {
    const int64_t dt = v.decide_every();
    for (;;) {
        int64_t t_oa = v.next_arrival();
        if (t_oa > arrive_by) t_oa = kInf;
        const int64_t t_rs = v.next_response();
        int64_t t_lc = v.next_delivery();
        int64_t t_tm = v.timer_due();
        if (t_oa < limit && t_oa <= t_rs && t_oa <= t_lc && t_oa <= t_tm) {
            v.order_arrival(book_, next_index_ > 0 ? next_index_ - 1 : 0);
            continue;
        }
        // On a timer, market data due before any other item is received in a tight loop
        // (same result as one at a time, fewer trips through this loop).
        if (dt > 0) {
            const int64_t lim = std::min(std::min(limit, t_oa), t_rs);
            while (t_lc < lim) {
                v.realign(t_lc);  // a sleeping timer wakes on its grid here
                // The timer's tick comes first (or with this data: below). So data arriving
                // after the first tick of a timer started in this loop waits for that call (it
                // was received before it, a look-ahead the audit found, when the feed spanned
                // several messages).
                if (t_lc >= v.timer_next) break;
                v.deliver();
                v.last_wake = t_lc;
                if (v.timer_next == kInf) v.timer_next = t_lc + dt;  // the timer starts with the data
                t_lc = v.next_delivery();
            }
            t_tm = v.timer_due();
        }
        const int64_t T = std::min(std::min(t_rs, t_lc), t_tm);
        if (T >= limit || T >= t_oa) {
            if (T >= limit && t_oa >= limit) return;
            continue;  // an order arrival goes first
        }
        // Everything the local side learns at time T is applied before one strategy call.
        const bool market_done = v.market_done();
        int64_t reason = 0;
        if (dt > 0 && v.next_delivery() == T) v.realign(T);  // market data wakes a sleeping timer
        while (v.next_response() == T) v.take_response(reason);
        while (v.next_delivery() == T) {
            v.deliver();
            reason |= WakeMarket;
        }
        if (reason & WakeMarket) v.last_wake = T;  // our own order traffic does not keep the timer awake
        if (dt > 0) {
            if (v.timer_next == T && v.timer_awake()) {  // (a response may come at a sleeping tick's time)
                reason |= WakeTimer;
                v.timer_next = T + dt;
            } else if (v.timer_next == kInf && (reason & WakeMarket)) {
                v.timer_next = T + dt;  // the timer starts with the first market data
            }
        }
        // The run ends at the last market event: once the local side has every event, what
        // is in flight is delivered without further strategy calls.
        if (market_done) continue;
        if (dt > 0 ? !(reason & WakeTimer) : reason == 0) continue;
        if (--calls_left_ == 0) check_stop();  // a slow strategy, or a timer through a gap
        v.call(T, reason);
    }
}

void Pass::run() {
    for (auto &o : outs_) o.n_events = n_;
    if (n_ <= 0) {
        for (auto &o : outs_) o.completed = true;
        return;
    }
    last_ts_ = time_ok(ev_[0].exch_ts) ? ev_[0].exch_ts : 0;
    for (Variant *v : live_) v->next_sample = ev_[0].exch_ts;
    next_sample_ = ev_[0].exch_ts;
    if (tape_on_) push_entry(0);
    constexpr int64_t kChunk = int64_t(1) << 16;  // events between progress reports and page hand-backs
    int64_t i = 0;
    int64_t prev_ts = ev_[0].exch_ts;
    while (i < n_) {
        const int64_t T = ev_[i].exch_ts;
        if (T < prev_ts) unsorted(ev_, i);
        if (!time_ok(T)) bad_time(ev_, i);
        prev_ts = T;
        next_index_ = i;
        // 1. Each run handles its own items before this venue message.
        for (Variant *v : local_) {
            if (v->due() >= T) continue;
            try {
                advance(*v, T);
            } catch (const StopPass &) {
                throw;
            } catch (const PassInterrupted &) {
                throw;
            } catch (abi::__forced_unwind &) {
                throw;  // the thread is being cancelled (a Python strategy's thread at interpreter exit)
            } catch (...) {
                fail(*v, std::current_exception());
            }
        }
        if (any_failed_) drop_failed();
        // 2. Samples due (the book before the message).
        if (T >= next_sample_) {
            next_sample_ = kInf;
            for (Variant *v : live_) {
                if (T >= v->next_sample) v->sample_until(T, book_);
                next_sample_ = std::min(next_sample_, v->next_sample);
            }
        }
        // 3. The message: every event at T, applied once for all runs.
        bool changed = false;
        for (Variant *v : local_) changed |= v->interest_changed;
        if (changed) update_interest();
        const int64_t start = i;
        const int64_t bb = book_.bids.best(), ba = book_.asks.best();
        const bool was_trading = book_.trading();
        if (feeds_.empty()) {
            for (; i < n_ && ev_[i].exch_ts == T; ++i) apply(ev_[i], i, bb, ba);
        } else {
            for (; i < n_ && ev_[i].exch_ts == T; ++i) {
                step_feeds(i);
                apply(ev_[i], i, bb, ba);
            }
            if (any_failed_) drop_failed();
        }
        // The book's end of the message (a resume's uncross: Book::end_message), then ours.
        if (book_.end_message(i - 1) && !sets_.empty()) feed_book(T);
        if (any_resting_) end_message(T, i - 1, bb, ba, !was_trading && book_.trading());
        last_ts_ = T;
        next_index_ = i;
        if (tape_on_) push_entry(i);
        if (i / kStopCheckEvents != start / kStopCheckEvents) {
            check_stop();
            if (i / kChunk != start / kChunk) {
                if (opt_.progress) opt_.progress->store(i, std::memory_order_relaxed);
                if (opt_.release_pages) release_consumed(i);
            }
        }
    }
    // After the last event: the exchange side ends with its data. The local side still
    // receives what is in flight (market data, with strategy calls, and responses), but a
    // message of ours that would reach the exchange after the last event is never matched
    // against a book the data no longer describes (the run counts them: unsent_at_end), and
    // a call after it sends nothing.
    const int64_t end_ts = ev_[n_ - 1].exch_ts;
    for (Variant *v : local_) v->set_end(end_ts);
    for (Variant *v : local_) {
        try {
            advance(*v, kInf, end_ts);
        } catch (const StopPass &) {
            throw;
        } catch (const PassInterrupted &) {
            throw;
        } catch (abi::__forced_unwind &) {
            throw;  // thread cancellation must unwind (swallowed, glibc aborts: "exception not rethrown")
        } catch (...) {
            fail(*v, std::current_exception());
        }
    }
    for (Variant *v : live_)
        if (!v->out().error) v->finish(ev_[n_ - 1].exch_ts, book_, n_);
    if (opt_.progress) opt_.progress->store(n_, std::memory_order_relaxed);
}

}  // namespace

std::vector<RunOutput> run_many(const Event *events, int64_t n, const std::vector<RunSpec> &runs,
                                const PassOptions &options) {
    std::vector<RunOutput> outs(runs.size());
    Pass pass(events, n, runs, options, outs);
    try {
        pass.run();
    } catch (const StopPass &) {
    } catch (const PassInterrupted &) {
        pass.interrupt();
    } catch (const DataError &) {
        pass.fail_all(std::current_exception());
    }
    return outs;
}

RunOutput run(const Event *events, int64_t n, const RunSpec &spec, const PassOptions &options) {
    std::vector<RunOutput> outs = run_many(events, n, std::vector<RunSpec>{spec}, options);
    if (outs[0].error) std::rethrow_exception(outs[0].error);
    return std::move(outs[0]);
}

// ------------------------------------------------------------------ book-only replays

namespace {
// A book-only replay's stop check, before event i (every kStopCheckEvents events).
inline void check_stop_at(const PassOptions &o, int64_t i) {
    if ((i & (kStopCheckEvents - 1)) != kStopCheckEvents - 1) return;
    if (o.poll) o.poll(o.poll_user);
    if (o.stop && o.stop->load(std::memory_order_relaxed)) throw PassInterrupted{};
}
}  // namespace

void replay_bbo(const Event *ev, int64_t n, int64_t *best_bid, int64_t *best_ask, int64_t *bid_qty,
                int64_t *ask_qty, const PassOptions &options) {
    Book book;
    for (int64_t i = 0; i < n; ++i) {
        check_stop_at(options, i);
        check_time(ev, i);
        book.apply(ev[i], i);
        if (i + 1 == n || ev[i + 1].exch_ts != ev[i].exch_ts) book.end_message(i);
        best_bid[i] = book.bids.best();
        best_ask[i] = book.asks.best();
        bid_qty[i] = book.bids.best_qty();
        ask_qty[i] = book.asks.best_qty();
    }
}

int64_t prints_through_book(const Event *ev, int64_t n, double band, ThroughPrint *first, int64_t keep,
                            const PassOptions &options) {
    if (!std::isfinite(band) || band < 0)
        throw std::invalid_argument("prints_through_book: band must be a finite fraction >= 0");
    if (keep < 0) throw std::invalid_argument("prints_through_book: keep must be >= 0");
    const long double f = band;
    // Whether `price` is more than band * best from `best` (> 0), `through` it already.
    auto far = [f](int64_t best, int64_t dist) {
        return best > 0 && dist > 0 && static_cast<long double>(dist) > f * static_cast<long double>(best);
    };
    Book book;
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
        check_stop_at(options, i);
        check_time(ev, i);
        const Event &e = ev[i];
        // Only while the venue trades: a print in a halt or an auction (STATUS not TRADING) fills no resting order.
        if (e.kind == static_cast<uint8_t>(Kind::Trade) && book.trading() && e.side >= -1 && e.side <= 1) {
            // Prices lie in [-2^62, 2^62) (the book refuses others): the differences fit in int64.
            const int64_t bid = book.bids.best(), ask = book.asks.best();
            int64_t best = 0;
            const bool in_range = e.price >= -kMaxPrice && e.price < kMaxPrice;  // else apply refuses it below
            if (in_range && e.side <= 0 && bid != kNoBid && far(bid, bid - e.price))
                best = bid;
            else if (in_range && e.side >= 0 && ask != kNoAsk && far(ask, e.price - ask))
                best = ask;
            if (best > 0) {
                if (count < keep) first[count] = ThroughPrint{i, e.price, best, e.side};
                ++count;
            }
        }
        book.apply(e, i);
        if (i + 1 == n || ev[i + 1].exch_ts != e.exch_ts) book.end_message(i);
    }
    return count;
}

void compute_signals(const Event *ev, int64_t n, const MmsimSignalParams &params, double *out,
                     const PassOptions &options) {
    SignalsHandle sig = new_signals(params);
    MmsimSignalParams eff{};
    mmsim_signals_params_get(sig.get(), &eff);
    const int levels = static_cast<int>(eff.depth_levels);
    Book book;
    for (int64_t i = 0; i < n; ++i) {
        check_stop_at(options, i);
        check_time(ev, i);
        const Event &e = ev[i];
        feed_trade(sig.get(), e, book.trading());
        bool changed = book.apply(e, i).book_changed;
        if (i + 1 == n || ev[i + 1].exch_ts != e.exch_ts) changed |= book.end_message(i);
        if (changed) {
            int64_t bp[MMSIM_MAX_LEVELS], bq[MMSIM_MAX_LEVELS], ap[MMSIM_MAX_LEVELS], aq[MMSIM_MAX_LEVELS];
            book.bids.top(levels, bp, bq);
            book.asks.top(levels, ap, aq);
            mmsim_signals_on_book(sig.get(), e.exch_ts, bp, bq, ap, aq, levels);
        }
        mmsim_signals_values(sig.get(), out + i * MMSIM_SIG_COUNT);
    }
}

}  // namespace mmsim
