// The engine tested without Python (ctest): hand scenarios with hand-computed fills, and
// the K-run equivalence (run_many == each run alone) on a deterministic synthetic market.
// No framework: CHECK counts failures and says where; the exit status is their number.
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "mmsim/book.hpp"
#include "mmsim/engine.hpp"
#include "mmsim/errors.hpp"
#include "mmsim/limits.hpp"

using namespace mmsim;

namespace {

int failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

constexpr int8_t kBid = 1, kAsk = -1;

// The 1-level form: one target per side, the rest of the Quote zero.
Quote quote4(double bid_px, double bid_qty, double ask_px, double ask_qty) {
    Quote q{};
    q.bid_px = bid_px;
    q.bid_qty = bid_qty;
    q.ask_px = ask_px;
    q.ask_qty = ask_qty;
    return q;
}

Event ev(int64_t ts, Kind kind, int8_t side, int64_t price, int64_t qty, int64_t order_id = 0, int64_t local_ts = -1) {
    Event e{};
    e.exch_ts = ts;
    e.local_ts = local_ts < 0 ? ts : local_ts;
    e.kind = static_cast<uint8_t>(kind);
    e.side = side;
    e.price = price;
    e.qty = qty;
    e.order_id = order_id;
    return e;
}

EngineConfig config(int64_t feed = 0, int64_t entry = 0, int64_t response = 0) {
    EngineConfig c;
    c.feed = std::make_shared<ConstantLatencyModel>(feed);
    c.entry = std::make_shared<ConstantLatencyModel>(entry);
    c.response = std::make_shared<ConstantLatencyModel>(response);
    c.signals = false;
    return c;
}

// Quote the same targets at every call.
struct Fixed {
    Quote q;
    static int64_t quote(void *user, const View *, Quote *out) {
        *out = static_cast<Fixed *>(user)->q;
        return QuoteSet;
    }
    Strategy strategy() { return Strategy{quote, nullptr, this}; }
};

// Bid 5 lots at 100 while the local ask holds at least 5 lots, else pull it.
int64_t puller(void *, const View *v, Quote *out) {
    *out = v->ask_qty >= 5 ? quote4(100, 5, 0, 0) : quote4(0, 0, 0, 0);
    return QuoteSet;
}

struct FillRow {
    int64_t exch_ts, side, price, qty, leaves;
    bool operator==(const FillRow &o) const {
        return exch_ts == o.exch_ts && side == o.side && price == o.price && qty == o.qty && leaves == o.leaves;
    }
};

std::vector<FillRow> fills_of(const RunOutput &r) {
    std::vector<FillRow> out;
    for (const auto &f : r.fills) out.push_back({f.exch_ts, f.side, f.price, f.qty, f.leaves});
    return out;
}

RunOutput run1(const std::vector<Event> &e, const EngineConfig &c, Strategy s) {
    return run(e.data(), static_cast<int64_t>(e.size()), RunSpec{c, s});
}

bool same_log(const RunOutput &a, const RunOutput &b) {
    return a.order_log.size() == b.order_log.size() &&
           std::memcmp(a.order_log.data(), b.order_log.data(), a.order_log.size() * sizeof(OrderLogRecord)) == 0;
}

const std::vector<Event> kBook = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 101, 10)};

std::vector<Event> book_plus(std::vector<Event> more) {
    std::vector<Event> e = kBook;
    e.insert(e.end(), more.begin(), more.end());
    return e;
}

// ------------------------------------------------------------------ hand scenarios

void queue_then_partial_fill() {
    // Behind 10 lots at 100: a sell of 4 leaves 6 ahead; a sell of 8 takes those 6 and 2 of
    // our 5 lots; a sell of 5 takes 3 more and completes the order.
    auto e = book_plus({ev(2000, Kind::Trade, kAsk, 100, 4), ev(3000, Kind::Trade, kAsk, 100, 8),
                        ev(4000, Kind::Trade, kAsk, 100, 5)});
    Fixed s{quote4(100, 5, 0, 0)};
    RunOutput r = run1(e, config(), s.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{3000, kBid, 100, 2, 3}, {4000, kBid, 100, 3, 0}}));
    CHECK(r.position == 5);
    CHECK(r.cash_ticks == -500);
    CHECK(r.fills[0].maker && r.fills[1].maker);
}

void trade_through_fills_all() {
    // The other side's trade through our price (and on the ask side, the mirror case).
    Fixed bid{quote4(100, 5, 0, 0)}, ask{quote4(0, 0, 101, 4)};
    RunOutput b = run1(book_plus({ev(2000, Kind::Trade, kAsk, 99, 1)}), config(), bid.strategy());
    CHECK((fills_of(b) == std::vector<FillRow>{{2000, kBid, 100, 5, 0}}));
    RunOutput a = run1(book_plus({ev(2000, Kind::Trade, kBid, 102, 1)}), config(), ask.strategy());
    CHECK((fills_of(a) == std::vector<FillRow>{{2000, kAsk, 101, 4, 0}}));
    CHECK(a.position == -4);
}

void cancel_race() {
    // The bid is pulled at 2000 (the ask thins); a sell hits 100 at 2500. With 400 ns of
    // entry latency the cancel arrives first; with 600 ns the fill stands, the cancel comes
    // back CANCEL_REJECTED at 2600 and the fill is flagged after_cancel.
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 1), ev(1000, Kind::Depth, kAsk, 101, 10),
                            ev(2000, Kind::Depth, kAsk, 101, 2), ev(2500, Kind::Trade, kAsk, 100, 6),
                            ev(3000, Kind::Depth, kAsk, 101, 9)};
    RunOutput fast = run1(e, config(0, 400, 0), Strategy{puller, nullptr, nullptr});
    CHECK(fast.fills.empty());
    RunOutput slow = run1(e, config(0, 600, 0), Strategy{puller, nullptr, nullptr});
    CHECK((fills_of(slow) == std::vector<FillRow>{{2500, kBid, 100, 5, 0}}));
    CHECK(slow.fills.size() == 1 && slow.fills[0].after_cancel);
    int late = 0;
    for (const auto &o : slow.order_log)
        if (o.event == static_cast<uint8_t>(OrderEvent::CancelRejected)) {
            ++late;
            CHECK(o.exch_ts == 2600);
            CHECK(o.reason == static_cast<uint8_t>(RejectReason::OrderDone));
        }
    CHECK(late == 1);
}

void post_only_reject() {
    // A bid at 101 would cross the ask at 101: rejected (POST_ONLY_WOULD_CROSS), no fill.
    // With post_only off it takes 3 at 101 and 2 at 102 and pays the taker fee.
    Fixed cross{quote4(101, 5, 0, 0)};
    RunOutput r = run1(book_plus({ev(2000, Kind::Trade, kBid, 101, 1)}), config(0, 10, 10), cross.strategy());
    int rejected = 0;
    for (const auto &o : r.order_log)
        if (o.event == static_cast<uint8_t>(OrderEvent::Rejected)) {
            ++rejected;
            CHECK(o.reason == static_cast<uint8_t>(RejectReason::PostOnlyWouldCross));
        }
    CHECK(rejected >= 1);
    CHECK(r.fills.empty());

    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 101, 3),
                            ev(1000, Kind::Depth, kAsk, 102, 4), ev(2000, Kind::Depth, kBid, 100, 9)};
    struct Once {
        bool done = false;
        static int64_t quote(void *user, const View *, Quote *out) {
            auto *s = static_cast<Once *>(user);
            if (s->done) return QuoteNoChange;
            s->done = true;
            *out = quote4(102, 5, 0, 0);
            return QuoteSet;
        }
    } once;
    EngineConfig c = config();
    c.post_only = false;
    c.taker_fee_per_lot = 0.01;
    RunOutput t = run1(e, c, Strategy{Once::quote, nullptr, &once});
    CHECK((fills_of(t) == std::vector<FillRow>{{1000, kBid, 101, 3, 2}, {1000, kBid, 102, 2, 0}}));
    CHECK(t.fills.size() == 2 && !t.fills[0].maker && std::fabs(t.fees - 0.05) < 1e-15);
}

void l3_fifo() {
    // Orders A (5) and B (3) rest at 100 before us; C joins behind us. Executions ahead move
    // us up; an execution of an order behind us means the aggressor would have hit us first.
    std::vector<Event> e = {
        ev(1000, Kind::Add, kBid, 100, 5, 11),    ev(1000, Kind::Add, kBid, 100, 3, 12),
        ev(1000, Kind::Add, kAsk, 101, 10, 20),   ev(2000, Kind::Add, kBid, 100, 4, 13),
        ev(3000, Kind::Execute, kBid, 100, 5, 11),  // ahead: 8 -> 3
        ev(4000, Kind::Cancel, kBid, 100, 1, 12),   // ahead: 3 -> 2
        ev(5000, Kind::Execute, kBid, 100, 4, 13),  // behind us: B's 2, then 2 of ours
        ev(6000, Kind::Delete, kBid, 100, 2, 12),   ev(7000, Kind::Add, kBid, 100, 1, 14),
        ev(8000, Kind::Execute, kBid, 100, 1, 14),  // behind us, nothing ahead: 1 more of ours
    };
    Fixed s{quote4(100, 5, 0, 0)};
    RunOutput r = run1(e, config(), s.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 2, 3}, {8000, kBid, 100, 1, 2}}));
}

void snapshot_and_one_message() {
    // Issue 13, items 1 and 3. A snapshot that does not re-list our level (100) leaves nobody
    // ahead: 4 lots joining at 100 later are behind us and a sell of 4 fills 4.
    Fixed s{quote4(100, 5, 0, 0)};
    std::vector<Event> snap = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kBid, 99, 5),
                               ev(1000, Kind::Depth, kAsk, 101, 10), ev(3000, Kind::Clear, 0, 0, 0),
                               ev(3000, Kind::Depth, kBid, 99, 5),   ev(3000, Kind::Depth, kAsk, 101, 10),
                               ev(4000, Kind::Depth, kBid, 100, 4),  ev(5000, Kind::Trade, kAsk, 100, 4)};
    CHECK((fills_of(run1(snap, config(0, 10, 10), s.strategy())) == std::vector<FillRow>{{5000, kBid, 100, 4, 1}}));
    // A depth update stored before its trade within one message is not counted twice.
    for (int order = 0; order < 2; ++order) {
        std::vector<Event> e = kBook;
        if (order == 0) {
            e.push_back(ev(2000, Kind::Depth, kBid, 100, 6));
            e.push_back(ev(2000, Kind::Trade, kAsk, 100, 4));
        } else {
            e.push_back(ev(2000, Kind::Trade, kAsk, 100, 4));
            e.push_back(ev(2000, Kind::Depth, kBid, 100, 6));
        }
        e.push_back(ev(3000, Kind::Trade, kAsk, 100, 5));
        e.push_back(ev(3000, Kind::Depth, kBid, 100, 1));
        CHECK(run1(e, config(), s.strategy()).fills.empty());
    }
}

void l3_snapshot_priority() {
    // Issue 13, item 2: a snapshot re-lists 12 then 11 (they keep their places ahead of us) and
    // adds 13 (behind us); 13's execution leaves 8 ahead: no fill. The next snapshot drops 11;
    // once 12 has executed, an execution behind us fills us.
    std::vector<Event> e = {
        ev(1000, Kind::Add, kBid, 100, 5, 11),     ev(1000, Kind::Add, kBid, 100, 3, 12),
        ev(1000, Kind::Add, kAsk, 101, 10, 20),    ev(3000, Kind::Clear, 0, 0, 0),
        ev(3000, Kind::Add, kBid, 100, 3, 12),     ev(3000, Kind::Add, kBid, 100, 5, 11),
        ev(3000, Kind::Add, kAsk, 101, 10, 20),    ev(3000, Kind::Add, kBid, 100, 2, 13),
        ev(4000, Kind::Execute, kBid, 100, 2, 13), ev(5000, Kind::Clear, 0, 0, 0),
        ev(5000, Kind::Add, kBid, 100, 3, 12),     ev(5000, Kind::Add, kAsk, 101, 10, 20),
        ev(6000, Kind::Execute, kBid, 100, 3, 12), ev(7000, Kind::Add, kBid, 100, 4, 14),
        ev(8000, Kind::Execute, kBid, 100, 4, 14),
    };
    Fixed s{quote4(100, 5, 0, 0)};
    EngineConfig c = config();
    c.check_invariants = true;
    CHECK((fills_of(run1(e, c, s.strategy())) == std::vector<FillRow>{{8000, kBid, 100, 4, 1}}));
    // A DELETE of an order the snapshot removed is a DataError naming the event.
    std::vector<Event> gone(e.begin(), e.begin() + 12);
    gone.push_back(ev(6000, Kind::Delete, kBid, 100, 5, 11));
    bool thrown = false;
    try {
        run1(gone, config(), s.strategy());
    } catch (const DataError &err) {
        thrown = true;
        CHECK(err.index == 12);
        CHECK(std::string(err.what()) == "event 12: DELETE of unknown order id 11");
    }
    CHECK(thrown);
}

void l3_behind_options() {
    // 11 (5) ahead of our bid, 13 joins behind; one message lists 13's execution before 11's:
    // settled at its end, the lot behind us passed us. The hftbacktest option fills all of our
    // order at the first execution behind it.
    std::vector<Event> e = {ev(1000, Kind::Add, kBid, 100, 5, 11), ev(1000, Kind::Add, kAsk, 101, 10, 20),
                            ev(2000, Kind::Add, kBid, 100, 4, 13), ev(3000, Kind::Execute, kBid, 100, 1, 13),
                            ev(3000, Kind::Execute, kBid, 100, 5, 11)};
    Fixed s{quote4(100, 5, 0, 0)};
    CHECK((fills_of(run1(e, config(), s.strategy())) == std::vector<FillRow>{{3000, kBid, 100, 1, 4}}));
    EngineConfig h = config();
    h.l3_behind_fill = L3BehindFill::Hftbacktest;
    CHECK((fills_of(run1(e, h, s.strategy())) == std::vector<FillRow>{{3000, kBid, 100, 5, 0}}));
}

void l3_hidden_print() {
    // A print with no displayed order behind it (a hidden execution, an iceberg's hidden part)
    // at our ask's price: displayed lots trade first, so once the 5 shown lots ahead are
    // executed in the same message (listed after the print) it fills our ask up to its size;
    // with a shown lot still ahead it fills nothing, nor with the hftbacktest option.
    auto events = [](int64_t exec, int64_t print) {
        return std::vector<Event>{ev(1000, Kind::Add, kAsk, 101, 5, 21), ev(1000, Kind::Add, kBid, 100, 10, 10),
                                  ev(2000, Kind::Trade, kBid, 101, print), ev(2000, Kind::Execute, kAsk, 101, exec, 21)};
    };
    Fixed s{quote4(0, 0, 101, 3)};
    CHECK((fills_of(run1(events(5, 2), config(), s.strategy())) == std::vector<FillRow>{{2000, kAsk, 101, 2, 1}}));
    CHECK(fills_of(run1(events(4, 2), config(), s.strategy())).empty());
    EngineConfig h = config();
    h.l3_behind_fill = L3BehindFill::Hftbacktest;
    CHECK(fills_of(run1(events(5, 2), h, s.strategy())).empty());
}

void halt_and_resume() {
    // Issue 13, item 4: nothing matches while halted; the resume fills our crossed ask.
    const auto st = [](int64_t ts, TradingStatus x) { return ev(ts, Kind::Status, 0, 0, static_cast<int64_t>(x)); };
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
                            st(2000, TradingStatus::Halted),      ev(3000, Kind::Depth, kBid, 101, 20),
                            ev(3500, Kind::Trade, kBid, 101, 7),  st(4000, TradingStatus::Trading),
                            ev(5000, Kind::Depth, kBid, 101, 19)};
    struct Once {
        bool done = false;
        static int64_t quote(void *user, const View *, Quote *out) {
            auto *s = static_cast<Once *>(user);
            if (s->done) return QuoteNoChange;
            s->done = true;
            *out = quote4(0, 0, 101, 5);
            return QuoteSet;
        }
    } once;
    RunOutput r = run1(e, config(), Strategy{Once::quote, nullptr, &once});
    CHECK((fills_of(r) == std::vector<FillRow>{{4000, kAsk, 101, 5, 0}}));
    // An order arriving while halted is refused with HALTED.
    Fixed s{quote4(0, 0, 101, 1)};
    std::vector<Event> h = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
                            st(1500, TradingStatus::Halted), ev(3000, Kind::Depth, kBid, 100, 9)};
    RunOutput rh = run1(h, config(0, 1000, 5000), s.strategy());
    int halted = 0;
    for (const auto &o : rh.order_log)
        if (o.event == static_cast<uint8_t>(OrderEvent::Rejected)) {
            ++halted;
            CHECK(o.reason == static_cast<uint8_t>(RejectReason::Halted) && o.exch_ts == 2000);
        }
    CHECK(halted == 1);
}

void fees_on_absolute_notional() {
    // Issue 13, item 7: bid 5 @ -100 ticks (tick value 0.01), maker +1 bp: fee +0.0005.
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, -101, 10), ev(1000, Kind::Depth, kAsk, -99, 10),
                            ev(2000, Kind::Trade, kAsk, -102, 1)};
    Fixed s{quote4(-100, 5, 0, 0)};
    EngineConfig c = config();
    c.tick_value = 0.01;
    c.maker_fee_bps = 1.0;
    RunOutput r = run1(e, c, s.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{2000, kBid, -100, 5, 0}}));
    CHECK(std::fabs(r.fees - 0.0005) < 1e-15);
}

void bad_events() {
    // An out-of-range price on the inline DEPTH path names its event; unsorted events too.
    std::vector<Event> far = book_plus({ev(2000, Kind::Depth, kBid, 100 + (int64_t(1) << 40), 1)});
    std::vector<RunSpec> one{RunSpec{config(), Strategy{}}};
    std::vector<RunOutput> outs = run_many(far.data(), static_cast<int64_t>(far.size()), one);
    CHECK(outs[0].error && outs[0].shared_error);
    try {
        std::rethrow_exception(outs[0].error);
    } catch (const DataError &err) {
        CHECK(err.index == 2);
        CHECK(std::string(err.what()).rfind("event 2: price ", 0) == 0);
    }
    std::vector<Event> back = book_plus({ev(900, Kind::Depth, kBid, 100, 1)});
    bool thrown = false;
    try {
        run1(back, config(), Strategy{});
    } catch (const DataError &err) {
        thrown = true;
        CHECK(err.index == 2);
        CHECK(std::string(err.what()) == "event 2: events are not sorted by exch_ts (900 after 1000)");
    }
    CHECK(thrown);
}

void failing_run_drops_out() {
    // A strategy returning an error code fails its own run; with stop_on_error off the
    // other runs finish exactly as alone.
    auto e = book_plus({ev(2000, Kind::Trade, kAsk, 99, 1), ev(3000, Kind::Depth, kBid, 100, 9)});
    auto bad = [](void *, const View *v, Quote *) -> int64_t { return v->ts >= 2000 ? 7 : static_cast<int64_t>(QuoteNoChange); };
    Fixed s{quote4(100, 5, 0, 0)};
    std::vector<RunSpec> runs = {RunSpec{config(), s.strategy()}, RunSpec{config(), Strategy{bad, nullptr, nullptr}},
                                 RunSpec{config(500), s.strategy()}};
    PassOptions opt;
    opt.stop_on_error = false;
    std::vector<RunOutput> outs = run_many(e.data(), static_cast<int64_t>(e.size()), runs, opt);
    CHECK(outs[0].completed && !outs[0].error);
    CHECK(!outs[1].completed && outs[1].error && !outs[1].shared_error);
    try {
        std::rethrow_exception(outs[1].error);
    } catch (const StrategyFailure &f) {
        CHECK(f.code == 7 && f.local_ts == 2000);
    }
    CHECK(outs[2].completed && fills_of(outs[2]) == fills_of(run1(e, config(500), s.strategy())));
    opt.stop_on_error = true;
    outs = run_many(e.data(), static_cast<int64_t>(e.size()), runs, opt);
    CHECK(outs[1].error && !outs[0].completed && !outs[2].completed);
}

// ------------------------------------------------------------------ bad input that used to hang or lie

// Count the calls; return no change (or a fixed quote when `q` has a size).
struct Counter {
    int64_t calls = 0, last_ts = 0, last_reason = 0, last_n_events = 0;
    Quote q = quote4(0, 0, 0, 0);
    int64_t after = std::numeric_limits<int64_t>::max();
    std::vector<std::array<int64_t, 3>> late;  // (ts, reason, n_events) of calls after `after`
    static int64_t quote(void *user, const View *v, Quote *out) {
        auto *s = static_cast<Counter *>(user);
        ++s->calls;
        s->last_ts = v->ts;
        s->last_reason = v->reason;
        s->last_n_events = v->n_events;
        if (v->ts > s->after) s->late.push_back({v->ts, v->reason, v->n_events});
        if (s->q.bid_qty <= 0 && s->q.ask_qty <= 0) return QuoteNoChange;
        *out = s->q;
        return QuoteSet;
    }
    Strategy strategy() { return Strategy{quote, nullptr, this}; }
};

constexpr int64_t kMs = 1000000, kS = 1000 * kMs, kDay = 86400 * kS;
constexpr int64_t kT0 = 1700000000 * kS;  // 2023-11-14

void timer_sleeps_through_a_gap() {
    // A 1 ms timer starts with the first data at t0 (first tick t0 + 1 ms). Nothing reaches
    // the local side for a day: the ticks at t0 + k ms fire while k ms <= max_idle (60 s),
    // 60,000 of them, then the timer sleeps. The next delivery, at t0 + 1 day (on the grid),
    // wakes it: one more call. 60,001 calls, not 86.4 million.
    std::vector<Event> e = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                            ev(kT0 + kDay, Kind::Depth, kBid, 100, 9)};
    EngineConfig c = config();
    c.decide_every = kMs;
    Counter s;
    RunOutput r = run1(e, c, s.strategy());
    CHECK(r.n_calls == 60001 && s.calls == 60001);
    CHECK(s.last_ts == kT0 + kDay && s.last_reason == (WakeMarket | WakeTimer) && s.last_n_events == 3);
    // Off the grid: the delivery at t0 + 1 day + 0.5 ms wakes the timer for its next tick,
    // t0 + 1 day + 1 ms (a timer call: the data came between ticks); the tick at + 2 ms
    // comes with the last event.
    e[2].exch_ts = e[2].local_ts = kT0 + kDay + kMs / 2;
    e.push_back(ev(kT0 + kDay + 2 * kMs, Kind::Depth, kBid, 100, 8));
    Counter off;
    off.after = kT0 + kS * 3600;
    run1(e, c, off.strategy());
    CHECK(off.calls == 60002);
    CHECK((off.late == std::vector<std::array<int64_t, 3>>{{kT0 + kDay + kMs, WakeTimer, 3},
                                                          {kT0 + kDay + 2 * kMs, WakeMarket | WakeTimer, 4}}));
    e.pop_back();
    // Our own order traffic does not keep it awake: a strategy that quotes a new bid at every
    // tick (cancel and replace, 1 ms each way) hears responses all through the gap, and still
    // gets 60,000 ticks and the wake-up call.
    struct Requote {
        int64_t n = 0;
        static int64_t quote(void *user, const View *, Quote *out) {
            auto *s = static_cast<Requote *>(user);
            *out = quote4(static_cast<double>(99 - ++s->n % 2), 1, 0, 0);
            return QuoteSet;
        }
    };
    Requote busy;
    e[2].exch_ts = e[2].local_ts = kT0 + kDay;
    EngineConfig cb = config(0, kMs, kMs);
    cb.decide_every = kMs;
    CHECK(run1(e, cb, Strategy{Requote::quote, nullptr, &busy}).n_calls == 60001 && busy.n == 60001);
    // A gap shorter than max_idle changes nothing: a tick every ms through 30 s of quiet.
    e[2].exch_ts = e[2].local_ts = kT0 + 30 * kS;
    Counter short_gap;
    run1(e, c, short_gap.strategy());
    CHECK(short_gap.calls == 30000);
    // A timer of 1 ns sleeps after 100,000 ticks (100 us) rather than 60 s of ticks.
    e[2].exch_ts = e[2].local_ts = kT0 + kDay;
    c.decide_every = 1;
    Counter fine;
    run1(e, c, fine.strategy());
    CHECK(fine.calls == 100001);
}

struct Flip {
    int64_t n = 0;
    bool cross = false;
    static int64_t quote(void *user, const View *v, Quote *out) {
        auto *s = static_cast<Flip *>(user);
        const int64_t k = s->n++ % 2;
        // Crossing: a bid at or through the best ask, a new price every call.
        *out = s->cross ? quote4(static_cast<double>(v->best_ask + k), 1, 0, 0)
                        : quote4(static_cast<double>(v->best_bid - 1 - k), 1, 0, 0);
        return QuoteSet;
    }
    Strategy strategy() { return Strategy{quote, nullptr, this}; }
};

void no_progress_guard_sees_nanosecond_latencies() {
    // 1 ns entry and response latency, two events a second apart: a strategy that changes
    // its bid on every response used to be called ~500 million times (each at its own
    // nanosecond, so the old guard, counting calls at one time, never saw it).
    std::vector<Event> e = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                            ev(kT0 + kS, Kind::Depth, kBid, 100, 9)};
    for (bool cross : {false, true}) {
        Flip s;
        s.cross = cross;
        bool stopped = false;
        try {
            run1(e, config(0, 1, 1), s.strategy());
        } catch (const StrategyFailure &f) {
            stopped = true;
            CHECK(f.code == kNoProgressCode);
            // The real cause is named: post-only rejects when its quotes cross (each of the
            // 100,000 calls was woken by one reject).
            const std::string head =
                "the strategy was called 100000 times in a row on responses to its own orders alone, with no market "
                "data or timer in between: ";
            const std::string why =
                cross ? "100000 of those responses were post-only rejects (POST_ONLY_WOULD_CROSS): its quotes cross "
                        "the book and change after each reject (a rejected target is sent again only once it or the "
                        "local best bid/ask changes, or a view from after the reject shows it crossing nothing). "
                        "Quote at or behind the best bid and ask the view shows, or set "
                        "post_only: false to take liquidity"
                      : "it changes its quotes, or sends explicit orders, on every response, and each change sends "
                        "orders whose responses call it again. Keep a quote until the market moves, or decide on a "
                        "timer (decide_every)";
            CHECK(f.what() == head + why);
        }
        CHECK(stopped && s.n == 100001);
    }
}

void rejected_target_is_not_resent() {
    // A bid at the best ask is rejected post-only. The same target is not sent again until
    // the local best bid or ask changes: 99 updates of the bid's size change neither, so one
    // order; then the ask moves to 102 (the target follows it: sent, rejected), and back to
    // 101 (sent, rejected): 3 orders, 3 rejects.
    std::vector<Event> e = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10)};
    for (int k = 1; k < 100; ++k) e.push_back(ev(kT0 + k * kMs, Kind::Depth, kBid, 100, 10 + k % 3));
    e.push_back(ev(kT0 + 100 * kMs, Kind::Depth, kAsk, 102, 5));
    e.push_back(ev(kT0 + 100 * kMs, Kind::Depth, kAsk, 101, 0));
    e.push_back(ev(kT0 + 101 * kMs, Kind::Depth, kAsk, 101, 5));
    for (int k = 102; k < 200; ++k) e.push_back(ev(kT0 + k * kMs, Kind::Depth, kBid, 100, 10 + k % 3));
    struct AtAsk {
        static int64_t quote(void *, const View *v, Quote *out) {
            *out = quote4(static_cast<double>(v->best_ask), 1, 0, 0);
            return QuoteSet;
        }
    };
    for (int64_t lat : {int64_t(0), int64_t(1), int64_t(1000)}) {
        RunOutput r = run1(e, config(lat, lat, lat), Strategy{AtAsk::quote, nullptr, nullptr});
        int sent = 0, rejected = 0;
        for (const auto &o : r.order_log) {
            sent += o.event == static_cast<uint8_t>(OrderEvent::Sent);
            rejected += o.event == static_cast<uint8_t>(OrderEvent::Rejected);
        }
        CHECK(sent == 3 && rejected == 3);
    }
    // The other side: an ask at the best bid (100, a fixed target) is sent at the start and
    // again after each of the two moves of the best ask: 3 orders.
    Fixed ask{quote4(0, 0, 100, 2)};
    RunOutput r = run1(e, config(0, 10, 10), ask.strategy());
    int sent = 0;
    for (const auto &o : r.order_log) sent += o.event == static_cast<uint8_t>(OrderEvent::Sent);
    CHECK(sent == 3);
    // post_only off: the bid at the ask takes 1 lot on arrival (no market impact, so the same
    // lot would be taken again on every fill report); held the same way: 3 orders, 3 taker
    // fills, at 101, 102, 101.
    EngineConfig taker = config(0, 1000, 1000);
    taker.post_only = false;
    RunOutput t = run1(e, taker, Strategy{AtAsk::quote, nullptr, nullptr});
    CHECK(t.fills.size() == 3 && t.fills[0].price == 101 && t.fills[1].price == 102 && t.fills[2].price == 101 &&
          !t.fills[0].maker && t.position == 3);
    // A halt: the quotes reach the exchange just after it (HALTED); held while the view's
    // best and status stay, sent again when trading resumes (one reject each, then acks).
    std::vector<Event> h = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                            ev(kT0 + 1000, Kind::Status, 0, 0, 1), ev(kT0 + kS, Kind::Depth, kBid, 100, 9),
                            ev(kT0 + 2 * kS, Kind::Status, 0, 0, 3), ev(kT0 + 3 * kS, Kind::Depth, kBid, 100, 8)};
    Fixed both{quote4(99, 1, 102, 1)};
    RunOutput hr = run1(h, config(0, 1000, 1000), both.strategy());
    int hs = 0, hj = 0, ha = 0;
    for (const auto &o : hr.order_log) {
        hs += o.event == static_cast<uint8_t>(OrderEvent::Sent);
        hj += o.event == static_cast<uint8_t>(OrderEvent::Rejected) &&
              o.reason == static_cast<uint8_t>(RejectReason::Halted);
        ha += o.event == static_cast<uint8_t>(OrderEvent::Acked) && o.exch_ts == kT0 + 2 * kS + 1000;
    }
    CHECK(hs == 4 && hj == 2 && ha == 2);
}

void held_target_released_when_it_crosses_nothing() {
    // Breaker34 F6. Book 99/102; the far side dips to our price at 1500 (the ask to 101 under
    // a bid at 101, or the bid to 100 under an ask at 100) and is back at 2500; sizes only
    // after that, and a print at our price at 8000. 1000 ns each way, no feed delay: the quote
    // reaches the exchange at 2000, in the dip (rejected post-only); at 3000 the strategy's
    // view (99/102, as of 2500, after the reject) crosses nothing, so the target is sent again
    // at once, rests from 4000 and the print fills 1 lot. It was held until the best prices
    // moved (never): no fill.
    for (int8_t side : {kBid, kAsk}) {
        const int8_t far = side == kBid ? kAsk : kBid;
        const int64_t px = side == kBid ? 101 : 100;
        const std::vector<Event> e = {
            ev(1000, Kind::Depth, kBid, 99, 10), ev(1000, Kind::Depth, kAsk, 102, 10), ev(1500, Kind::Depth, far, px, 5),
            ev(2500, Kind::Depth, far, px, 0),   ev(5000, Kind::Depth, kBid, 99, 11),  ev(6000, Kind::Depth, kAsk, 102, 9),
            ev(8000, Kind::Trade, far, px, 1),   ev(9000, Kind::Depth, kBid, 99, 12)};
        Fixed f{side == kBid ? quote4(101, 1, 0, 0) : quote4(0, 0, 100, 1)};
        RunOutput r = run1(e, config(0, 1000, 1000), f.strategy());
        CHECK((fills_of(r) == std::vector<FillRow>{{8000, side, px, 1, 0}}) && r.fills[0].maker);
        int rejected = 0;
        for (const auto &o : r.order_log) rejected += o.event == static_cast<uint8_t>(OrderEvent::Rejected);
        CHECK(rejected == 1);
        // post_only off: the order takes the dip's lot on arrival (held like a reject), and is
        // sent again at 3000 for the same reason: a taker fill at 2000, a maker fill at 8000.
        EngineConfig taker = config(0, 1000, 1000);
        taker.post_only = false;
        RunOutput t = run1(e, taker, f.strategy());
        CHECK((fills_of(t) == std::vector<FillRow>{{2000, side, px, 1, 0}, {8000, side, px, 1, 0}}) &&
              !t.fills[0].maker && t.fills[1].maker);
    }
    // A view older than the reject says nothing of the book the order met: held. Feed 3000,
    // 500 each way; the ask at 100 reaches the exchange at 4500, the bid being at 100 from 4200
    // to 7000: rejected. At 5000 the view is the book of 1000 (99/102): held (sent there, it
    // would be rejected again at every response until the view catches up). At 7200 the view's
    // best bid moves to 100: sent, arrives at 7700 (bid back at 99), rests; the buy at 9000
    // fills it. 2 orders, 1 reject.
    const std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 99, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
                                  ev(4200, Kind::Depth, kBid, 100, 5), ev(7000, Kind::Depth, kBid, 100, 0),
                                  ev(9000, Kind::Trade, kBid, 100, 1)};
    Fixed ask{quote4(0, 0, 100, 1)};
    RunOutput r = run1(e, config(3000, 500, 500), ask.strategy());
    int sent = 0, rejected = 0;
    for (const auto &o : r.order_log) {
        sent += o.event == static_cast<uint8_t>(OrderEvent::Sent);
        rejected += o.event == static_cast<uint8_t>(OrderEvent::Rejected);
    }
    CHECK(sent == 2 && rejected == 1);
    CHECK((fills_of(r) == std::vector<FillRow>{{9000, kAsk, 100, 1, 0}}));
}

template <class F>
bool data_error(F f, int64_t index, const std::string &what) {
    try {
        f();
    } catch (const DataError &err) {
        if (err.index == index && std::string(err.what()) == what) return true;
        std::fprintf(stderr, "DataError index %lld: %s\n", static_cast<long long>(err.index), err.what());
        return false;
    }
    std::fprintf(stderr, "no DataError (expected: %s)\n", what.c_str());
    return false;
}

void impossible_times_are_data_errors() {
    std::vector<Event> e = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                            ev(kMaxEventTs, Kind::Depth, kBid, 100, 9)};
    const std::string late = "event 2: exch_ts 4102444800000000000 is outside the plausible range [0, "
                             "4102444800000000000) ns (1970-01-01 to 2100-01-01 UTC): a timestamp in the wrong "
                             "unit, or a corrupt one";
    CHECK(data_error([&] { run1(e, config(), Strategy{}); }, 2, late));
    std::vector<int64_t> out(4 * e.size());
    CHECK(data_error([&] { replay_bbo(e.data(), 3, &out[0], &out[3], &out[6], &out[9]); }, 2, late));
    std::vector<double> sig(e.size() * MMSIM_SIG_COUNT);
    CHECK(data_error([&] { compute_signals(e.data(), 3, MmsimSignalParams{}, sig.data()); }, 2, late));
    std::vector<Event> neg = {ev(0, Kind::Depth, kBid, 100, 10)};
    neg[0].exch_ts = -1;
    CHECK(data_error([&] { run1(neg, config(), Strategy{}); }, 0,
                     "event 0: exch_ts -1 is outside the plausible range [0, 4102444800000000000) ns (1970-01-01 "
                     "to 2100-01-01 UTC): a timestamp in the wrong unit, or a corrupt one"));
    // A recorded local_ts of INT64_MAX (the engine's "never") used to hang a timer run.
    std::vector<Event> rec = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                              ev(kT0 + kS, Kind::Depth, kBid, 100, 9)};
    rec[2].local_ts = std::numeric_limits<int64_t>::max();
    EngineConfig c = config();
    c.feed = std::make_shared<RecordedFeedLatency>();
    c.decide_every = kMs;
    Counter s;
    CHECK(data_error([&] { run1(rec, c, s.strategy()); }, 2,
                     "event 2: local_ts 9223372036854775807 is more than one day after exch_ts 1700000001000000000: "
                     "a recorded feed latency beyond the bound every latency has (a timestamp in the wrong unit, "
                     "or a corrupt one?)"));
    // One day is allowed.
    rec[2].local_ts = kT0 + kS + kDay;
    CHECK(run1(rec, c, s.strategy()).completed);
}

// `recorded + X`: each event reaches the local side at its recorded local_ts + X. The cancel
// race of cancel_race on a recorded feed (each event received 100 ns after it happened),
// entry 100: at offset 0 the thinning ask (exch 2000) is seen at 2100 and the cancel reaches
// the exchange at 2200, before the sell at 2500; at offset 500 it is seen at 2600, the
// cancel arrives at 2700 and the sell has filled our 5 lots (1 lot ahead of us, 6 sold).
void recorded_feed_with_an_offset() {
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 1, 0, 1100), ev(1000, Kind::Depth, kAsk, 101, 10, 0, 1100),
                            ev(2000, Kind::Depth, kAsk, 101, 2, 0, 2100), ev(2500, Kind::Trade, kAsk, 100, 6, 0, 2600),
                            ev(3000, Kind::Depth, kAsk, 101, 9, 0, 3100)};
    EngineConfig c = config(0, 100, 0);
    c.feed = std::make_shared<RecordedFeedLatency>();
    const RunOutput plain = run1(e, c, Strategy{puller, nullptr, nullptr});
    CHECK(plain.fills.empty());
    CHECK(plain.decisions.size() > 0 && plain.decisions[0].local_ts == 1100 && plain.decisions[0].event_local_ts == 1100);
    c.feed = std::make_shared<RecordedFeedLatency>(500);
    const RunOutput slow = run1(e, c, Strategy{puller, nullptr, nullptr});
    CHECK((fills_of(slow) == std::vector<FillRow>{{2500, kBid, 100, 5, 0}}));
    CHECK(slow.decisions.size() > 0 && slow.decisions[0].local_ts == 1600 &&
          slow.decisions[0].event_local_ts == 1600 && slow.decisions[0].event_exch_ts == 1000);
    for (const auto &d : slow.decisions)
        if (d.event_index >= 0) CHECK(d.event_local_ts == e[static_cast<size_t>(d.event_index)].local_ts + 500);
    // The same two feeds in one pass: each as alone.
    EngineConfig c0 = c;
    c0.feed = std::make_shared<RecordedFeedLatency>();
    const std::vector<RunOutput> both = run_many(e.data(), static_cast<int64_t>(e.size()),
                                                 {RunSpec{c0, Strategy{puller, nullptr, nullptr}},
                                                  RunSpec{c, Strategy{puller, nullptr, nullptr}}});
    CHECK(both.size() == 2 && same_log(both[0], plain) && same_log(both[1], slow));
    CHECK(both.size() == 2 && both[1].decisions.size() == slow.decisions.size());
    // Outside the pass too: event 0 at 1100 + 250.
    std::vector<int64_t> out(e.size());
    feed_deliveries(e.data(), static_cast<int64_t>(e.size()), RecordedFeedLatency(250), 0, out.data());
    CHECK(out[0] == 1350 && out[4] == 3350);
    // The recorded latency plus the offset is bounded like every latency: one day in all.
    std::vector<Event> far = {ev(kT0, Kind::Depth, kBid, 100, 10), ev(kT0, Kind::Depth, kAsk, 101, 10),
                              ev(kT0 + kS, Kind::Depth, kBid, 100, 9, 0, kT0 + kS + kDay - 100)};
    c.feed = std::make_shared<RecordedFeedLatency>(100);
    CHECK(run1(far, c, Strategy{}).completed);
    c.feed = std::make_shared<RecordedFeedLatency>(101);
    CHECK(data_error([&] { run1(far, c, Strategy{}); }, 2,
                     "event 2: local_ts 1700086400999999900 plus the feed's offset 101 ns is more than one day after "
                     "exch_ts 1700000001000000000: a recorded feed latency with its offset beyond the bound every "
                     "latency has (a timestamp in the wrong unit, a corrupt one, or too large an offset?)"));
    // A negative offset, or one over a day, is refused when the model is made.
    for (const int64_t bad : {int64_t(-1), kDay + 1}) {
        bool refused = false;
        try {
            RecordedFeedLatency m(bad);
        } catch (const std::invalid_argument &err) {
            refused = std::string(err.what()) == "a recorded feed's offset must be in [0, 1 day] ns";
        }
        CHECK(refused);
    }
}

void checked_arithmetic() {
    // Cash: a bid of 2^48 lots at 10,000 ticks is a notional of 2.8e18 (< 2^62, a valid quote);
    // four fills of it make cash -1.1e19, past int64: the fourth fill (event 5) is an error.
    const int64_t big = int64_t(1) << 48;
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 10000, 10), ev(1000, Kind::Depth, kAsk, 10001, 10)};
    for (int k = 0; k < 4; ++k) e.push_back(ev(2000 + 1000 * k, Kind::Trade, kAsk, 9999, 1));
    Fixed s{quote4(10000, static_cast<double>(big), 0, 0)};
    CHECK(data_error([&] { run1(e, config(), s.strategy()); }, 5,
                     "event 5: the fill of our order 4 (buy 281474976710656 lots at 10000 ticks) makes the run's "
                     "cash overflow int64 tick*lots: prices and sizes this large cannot be accounted exactly"));
    // The same run stopped there keeps its three fills (a partial result).
    std::vector<RunOutput> outs = run_many(e.data(), static_cast<int64_t>(e.size()), {RunSpec{config(), s.strategy()}});
    CHECK(outs[0].error && !outs[0].completed && outs[0].fills.size() == 3);
    CHECK(outs[0].cash_ticks == -3 * big * 10000 && outs[0].position == 3 * big);
    CHECK(!outs[0].samples.empty() && outs[0].samples[outs[0].samples.size() - 1].exch_ts == 5000 &&
          outs[0].samples[outs[0].samples.size() - 1].cash_ticks == -3 * big * 10000);
    // Position: 2^53 - 1 lots at price 0 (notional 0) 1,025 times passes 2^63.
    const int64_t lots = (int64_t(1) << 53) - 1;
    std::vector<Event> p = {ev(1000, Kind::Depth, kBid, 0, 10), ev(1000, Kind::Depth, kAsk, 1, 10)};
    for (int k = 0; k < 1100; ++k) p.push_back(ev(2000 + 1000 * k, Kind::Trade, kAsk, -1, 1));
    Fixed zero{quote4(0, static_cast<double>(lots), 0, 0)};
    CHECK(data_error([&] { run1(p, config(), zero.strategy()); }, 1026,
                     "event 1026: the fill of our order 1025 (buy 9007199254740991 lots at 0 ticks) makes the run's "
                     "position overflow int64 lots: prices and sizes this large cannot be accounted exactly"));
    // A quote whose own notional reaches 2^62 is a strategy error (2^50 lots at 10,000 ticks).
    Fixed huge{quote4(10000, static_cast<double>(int64_t(1) << 50), 0, 0)};
    bool bad = false;
    try {
        run1(e, config(), huge.strategy());
    } catch (const StrategyFailure &f) {
        bad = f.code == kBadQuoteCode &&
              std::string(f.what()) == "quote bid_qty = 1125899906842624 at bid_px = 10000 is a notional of "
                                       "1.125899906842624e+19 tick*lots, beyond the 2^62 the engine accounts exactly";
    }
    CHECK(bad);
    // An L3 level's total past int64 (it used to wrap to a negative size), on both sides.
    for (int8_t side : {kBid, kAsk}) {
        std::vector<Event> l3 = {ev(1000, Kind::Add, side, 100, std::numeric_limits<int64_t>::max() - 5, 1),
                                 ev(1000, Kind::Add, side, 100, 6, 2)};
        CHECK(data_error([&] { run1(l3, config(), Strategy{}); }, 1,
                         "event 1: ADD of order 2 for qty 6 makes the level at price 100 hold more than 2^63-1 lots"));
    }
    // Prices outside [-2^62, 2^62) ticks (the book's sentinels are INT64_MIN and INT64_MAX).
    std::vector<Event> px = {ev(1000, Kind::Depth, kBid, std::numeric_limits<int64_t>::min(), 1)};
    CHECK(data_error([&] { run1(px, config(), Strategy{}); }, 0,
                     "event 0: DEPTH has price -9223372036854775808 outside the range the engine accepts "
                     "([-2^62, 2^62) ticks)"));
    // The edges: -2^62 and 2^62 - 1 are levels; 2^62, on the next page of the book, is not.
    // (Both edges in one book are 2^63 ticks apart: the 2^34-tick rule refuses that.)
    const int64_t top = int64_t(1) << 62;
    std::vector<Event> edge = {ev(1000, Kind::Depth, kAsk, top - 1, 1), ev(2000, Kind::Depth, kAsk, top, 1)};
    CHECK(data_error([&] { run1(edge, config(), Strategy{}); }, 1,
                     "event 1: DEPTH has price 4611686018427387904 outside the range the engine accepts "
                     "([-2^62, 2^62) ticks)"));
    edge.pop_back();
    CHECK(run1(edge, config(), Strategy{}).completed);
    CHECK(run1({ev(1000, Kind::Depth, kBid, -top, 1)}, config(), Strategy{}).completed);
    CHECK(data_error([&] { run1({ev(1000, Kind::Depth, kBid, -top, 1), ev(1000, Kind::Depth, kAsk, top - 1, 1)},
                                config(), Strategy{}); }, 1,
                     "event 1: price 4611686018427387903 is too far from price -4611686018427387904 (event 0) "
                     "for one book: more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick size"));
    px[0] = ev(1000, Kind::Trade, kAsk, (int64_t(1) << 62) + 1, 1);
    CHECK(data_error([&] { run1(px, config(), Strategy{}); }, 0,
                     "event 0: TRADE has price 4611686018427387905 outside the range the engine accepts "
                     "([-2^62, 2^62) ticks)"));
    // A lognormal draw exp(sigma z) may exceed any clock: the latency is cut to one day.
    LogNormalLatencyModel ln(1e6, 10.0, 1000, 7);
    int64_t longest = 0;
    for (int k = 0; k < 20000; ++k) longest = std::max(longest, ln.arrival(kT0) - kT0);
    CHECK(longest == kMaxLatencyNs);
}

// A trade's price obeys a level's 2^34-tick rule (it used to be checked only against
// [-2^62, 2^62), so a print at 2^61 filled our ask at 101), on the run and the replays; and
// an L3 event never leaves a level negative where a DEPTH event set it.
void trade_span_and_l3_levels() {
    const int64_t far = int64_t(1) << 61;
    Fixed ask{quote4(0, 0, 101, 5)}, bid{quote4(100, 5, 0, 0)};
    const std::string msg = "event 2: price 2305843009213693952 is too far from price 100 (event 0) for one book: "
                            "more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick size";
    std::vector<Event> up = book_plus({ev(2000, Kind::Trade, kBid, far, 1)});
    CHECK(data_error([&] { run1(up, config(), ask.strategy()); }, 2, msg));
    int64_t bb[3], ba[3], bq[3], aq[3];
    CHECK(data_error([&] { replay_bbo(up.data(), 3, bb, ba, bq, aq); }, 2, msg));
    std::vector<Event> down = book_plus({ev(2000, Kind::Trade, kAsk, -far, 1)});
    CHECK(data_error([&] { run1(down, config(), bid.strategy()); }, 2, "event 2: price -2305843009213693952 is too "
                     "far from price 100 (event 0) for one book: more than 2^22 pages of 4096 ticks (about 2^34 "
                     "ticks) apart; check the tick size"));
    // Inside the span (page 2^22 - 1 of 4,096 ticks), however far from the touch, a print is a trade.
    std::vector<Event> in = book_plus({ev(2000, Kind::Trade, kBid, (int64_t(1) << 34) - 1, 1)});
    CHECK((fills_of(run1(in, config(), ask.strategy())) == std::vector<FillRow>{{2000, kAsk, 101, 5, 0}}));
    // ADD 2, a DEPTH sets the level to 1, then EXECUTE 2: the level would be -1 (bid); on the
    // ask side a DEPTH removes the level and DELETE of the 3 lots would leave -3.
    std::vector<Event> l3 = {ev(1000, Kind::Add, kBid, 100, 2, 5), ev(1001, Kind::Depth, kBid, 100, 1),
                             ev(1002, Kind::Execute, kBid, 100, 2, 5)};
    const std::string neg = "event 2: EXECUTE of order 5 for qty 2 would leave the bid level at price 100 with -1 "
                            "lots: a DEPTH event set that level while L3 orders rest there (an L2 level and L3 "
                            "orders at one price cannot be replayed as one book)";
    CHECK(data_error([&] { run1(l3, config(), bid.strategy()); }, 2, neg));
    CHECK(data_error([&] { replay_bbo(l3.data(), 3, bb, ba, bq, aq); }, 2, neg));
    std::vector<Event> l3a = {ev(1000, Kind::Add, kAsk, 101, 3, 7), ev(1001, Kind::Depth, kAsk, 101, 0),
                              ev(1002, Kind::Delete, kAsk, 101, 3, 7)};
    CHECK(data_error([&] { run1(l3a, config(), ask.strategy()); }, 2,
                     "event 2: DELETE of order 7 for qty 3 would leave the ask level at price 101 with -3 lots: a "
                     "DEPTH event set that level while L3 orders rest there (an L2 level and L3 orders at one "
                     "price cannot be replayed as one book)"));
}

// The exchange side ends with its data: a buy at 101 sent at the last event (1,000 ns) that
// would arrive at 1,500 used to take the last book's ask; now it is never matched and the run
// counts it. Arriving at the last event's own time (an event at 1,500), it fills.
void no_fills_after_the_last_event() {
    EngineConfig c = config(0, 500, 500);
    c.post_only = false;
    Fixed buy{quote4(101, 5, 0, 0)};
    RunOutput r = run1(kBook, c, buy.strategy());
    CHECK(r.fills.empty() && r.position == 0 && r.unsent_at_end == 1);
    RunOutput at = run1(book_plus({ev(1500, Kind::Depth, kBid, 99, 3)}), c, buy.strategy());
    CHECK((fills_of(at) == std::vector<FillRow>{{1500, kBid, 101, 5, 0}}) && at.unsent_at_end == 0);
    // Decided on the book's delivery through a 500 ns feed (at 1,500, after the end): the call
    // happens, nothing is sent.
    EngineConfig late = config(500, 0, 500);
    late.post_only = false;
    RunOutput l = run1(kBook, late, buy.strategy());
    CHECK(l.n_calls == 1 && l.fills.empty() && l.order_log.size() == 0 && l.unsent_at_end == 0);
}

// A reference book side: std::map price -> qty with the engine's rules.
void far_levels_cost_a_map_entry_not_a_page() {
    // 3,000 levels each on its own page: the first 1,024 get pages (33 MiB), the rest sit in
    // the sorted map; every query agrees with a plain map, whatever the mix.
    Rng rng(11);
    for (int sign : {1, -1}) {
        BookSide side(sign);
        std::map<int64_t, int64_t> ref;
        auto best = [&] {
            if (ref.empty()) return sign > 0 ? kNoBid : kNoAsk;
            return sign > 0 ? ref.rbegin()->first : ref.begin()->first;
        };
        bool same = true;
        for (int k = 0; k < 20000 && same; ++k) {
            const uint64_t r = rng.next() % 100;
            int64_t px;
            if (k < 3000) px = 1000000 + sign * k * 5000;  // a page each
            else if (r < 50) px = 1000000 + static_cast<int64_t>(rng.next() % 40);  // near the touch
            else px = 1000000 + sign * static_cast<int64_t>(rng.next() % (3000 * 5000));
            const int64_t q = k < 3000 ? 1 + k % 7 : static_cast<int64_t>(rng.next() % 4);
            if (r == 99 && k >= 3000) {
                side.clear();
                ref.clear();
            } else if (r == 98 && k >= 3000) {
                side.remove_through(px);
                for (auto it = ref.begin(); it != ref.end();)
                    it = (sign > 0 ? it->first >= px : it->first <= px) ? ref.erase(it) : std::next(it);
            } else {
                const int64_t prev = side.set(px, q, k);
                same &= prev == (ref.count(px) ? ref[px] : 0);
                if (q) ref[px] = q;
                else ref.erase(px);
            }
            same &= side.best() == best() && side.qty(px) == (ref.count(px) ? ref[px] : 0);
            if (k % 97 == 0 || k == 2999) {
                int64_t tp[8], tq[8];
                const int found = side.top(8, tp, tq);
                auto it = ref.begin();
                auto rit = ref.rbegin();
                int j = 0;
                for (; j < 8 && j < static_cast<int>(ref.size()); ++j) {
                    const auto lv = sign > 0 ? *rit++ : *it++;
                    same &= tp[j] == lv.first && tq[j] == lv.second;
                }
                same &= found == j;
            }
            if (k == 2999) same &= side.dense_pages() == BookSide::kMaxDensePages && side.far_levels() == 3000 - 1024;
        }
        CHECK(same);
    }
}

// ------------------------------------------------------------------ ladders and explicit orders

// Two bid levels: (100, 5) and an outer level at 99 until local time 2500, then at 98.
int64_t two_levels(void *, const View *v, Quote *out) {
    out->n_bid_levels = 2;
    out->bid_ladder_px[0] = 100;
    out->bid_ladder_qty[0] = 5;
    out->bid_ladder_px[1] = v->ts < 2500 ? 99 : 98;
    out->bid_ladder_qty[1] = 5;
    return QuoteSet;
}

void ladder_outer_moves_inner_keeps_its_queue() {
    // The inner bid joins behind 10 lots at 100; a sell of 4 leaves 6 ahead. At 2500 only
    // the outer level moves (99 -> 98): it is cancelled and replaced, the inner order stays.
    // A sell of 8 then takes the 6 ahead and 2 of the inner order. Replaced too, it would
    // have queued behind the 10 visible lots again and not filled.
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kBid, 99, 20),
                            ev(1000, Kind::Depth, kBid, 98, 5),   ev(1000, Kind::Depth, kAsk, 101, 10),
                            ev(2000, Kind::Trade, kAsk, 100, 4),  ev(2500, Kind::Depth, kAsk, 102, 7),
                            ev(3000, Kind::Trade, kAsk, 100, 8)};
    EngineConfig c = config();
    c.ladder_levels = 2;
    RunOutput r = run1(e, c, Strategy{two_levels, nullptr, nullptr});
    CHECK((fills_of(r) == std::vector<FillRow>{{3000, kBid, 100, 2, 3}}));
    CHECK(r.fills.size() == 1 && r.fills[0].order_id == 1 && r.fills[0].level == 0);
    int cancels = 0;
    for (const auto &o : r.order_log)
        if (o.event == static_cast<uint8_t>(OrderEvent::CancelSent)) {
            ++cancels;
            CHECK(o.order_id == 2 && o.price == 99 && o.level == 1);
        }
    CHECK(cancels == 1);
    // More levels than ladder_levels: a StrategyFailure naming the count and the bound.
    c.ladder_levels = 1;
    bool thrown = false;
    try {
        run1(e, c, Strategy{two_levels, nullptr, nullptr});
    } catch (const StrategyFailure &f) {
        thrown = true;
        CHECK(f.code == kBadQuoteCode && f.local_ts == 1000);
        CHECK(std::string(f.what()) == "quote has 2 bid levels, more than ladder_levels=1");
    }
    CHECK(thrown);
}

// Two bid levels at one price: (100, 2) then (100, 3), the second queued behind the first.
int64_t same_price(void *, const View *, Quote *out) {
    out->n_bid_levels = 2;
    out->bid_ladder_px[0] = out->bid_ladder_px[1] = 100;
    out->bid_ladder_qty[0] = 2;
    out->bid_ladder_qty[1] = 3;
    return QuoteSet;
}

void two_orders_at_one_price() {
    // L2: 10 lots ahead of both. A sell of 13 passes the 10, fills the first order's 2 and
    // 1 of the second: the first order was ahead of the second even though this trade
    // completed it.
    EngineConfig c = config();
    c.ladder_levels = 2;
    RunOutput r = run1(book_plus({ev(2000, Kind::Trade, kAsk, 100, 13)}), c, Strategy{same_price, nullptr, nullptr});
    CHECK((fills_of(r) == std::vector<FillRow>{{2000, kBid, 100, 2, 0}, {2000, kBid, 100, 1, 2}}));
    // L3: order 1 (10) ahead of us, order 3 (5) behind; 1 executes, then 3 of order 3: the
    // aggressor would have hit our 2 and then 1 of our 3.
    std::vector<Event> e = {ev(1000, Kind::Add, kBid, 100, 10, 1),     ev(1000, Kind::Add, kAsk, 101, 10, 2),
                            ev(1500, Kind::Add, kBid, 100, 5, 3),      ev(2000, Kind::Execute, kBid, 100, 10, 1),
                            ev(2100, Kind::Execute, kBid, 100, 3, 3)};
    RunOutput l3 = run1(e, c, Strategy{same_price, nullptr, nullptr});
    CHECK((fills_of(l3) == std::vector<FillRow>{{2100, kBid, 100, 2, 0}, {2100, kBid, 100, 1, 2}}));
}

// One explicit order at the first call, none after.
struct OneOrder {
    int64_t type, side;
    double px, qty;
    bool done = false;
    static int64_t quote(void *user, const View *, Quote *out) {
        auto *s = static_cast<OneOrder *>(user);
        if (s->done) return QuoteNoChange;
        s->done = true;
        out->n_orders = 1;
        out->order_type[0] = s->type;
        out->order_side[0] = s->side;
        out->order_px[0] = s->px;
        out->order_qty[0] = s->qty;
        out->order_tag[0] = 42;
        return QuoteNoChange;  // explicit orders go out whatever the call returns
    }
    Strategy strategy() { return Strategy{quote, nullptr, this}; }
};

// Two ask levels: (101, 3) and (102, 3).
int64_t two_asks(void *, const View *, Quote *out) {
    out->n_ask_levels = 2;
    out->ask_ladder_px[0] = 101;
    out->ask_ladder_qty[0] = 3;
    out->ask_ladder_px[1] = 102;
    out->ask_ladder_qty[1] = 3;
    return QuoteSet;
}

void l3_price_priority_of_our_ladder() {
    // L3: a hidden buy of 2 at 102 fills all of our 101 ask (through its price) and nothing of
    // our 102 ask: the buyer met the better price first. One of 5 leaves 2 for the 102 ask; an
    // execution of the book order queued behind our 102 ask (22) counts the same way.
    EngineConfig c = config();
    c.ladder_levels = 2;
    auto events = [](std::vector<Event> tail) {
        std::vector<Event> e = {ev(1000, Kind::Add, kBid, 99, 10, 1), ev(1000, Kind::Add, kAsk, 103, 5, 21),
                                ev(1500, Kind::Add, kAsk, 102, 4, 22)};
        e.insert(e.end(), tail.begin(), tail.end());
        return e;
    };
    const Strategy s{two_asks, nullptr, nullptr};
    const std::vector<FillRow> only_101 = {{2000, kAsk, 101, 3, 0}};
    CHECK(fills_of(run1(events({ev(2000, Kind::Trade, kBid, 102, 2)}), c, s)) == only_101);
    CHECK((fills_of(run1(events({ev(2000, Kind::Trade, kBid, 102, 5)}), c, s)) ==
           std::vector<FillRow>{{2000, kAsk, 101, 3, 0}, {2000, kAsk, 102, 2, 1}}));  // 22 is queued behind us
    CHECK(fills_of(run1(events({ev(2000, Kind::Execute, kAsk, 102, 2, 22)}), c, s)) == only_101);
    CHECK((fills_of(run1(events({ev(2000, Kind::Execute, kAsk, 102, 4, 22), ev(2000, Kind::Trade, kBid, 102, 2)}), c,
                         s)) == std::vector<FillRow>{{2000, kAsk, 101, 3, 0}, {2000, kAsk, 102, 3, 0}}));
}

int count_events(const RunOutput &r, OrderEvent which) {
    int n = 0;
    for (const auto &o : r.order_log) n += o.event == static_cast<uint8_t>(which);
    return n;
}

void explicit_orders_take_the_visible_book() {
    // Asks 101 x 3, 102 x 4, 103 x 10. A buy IOC of 10 at 102 takes 3 at 101 and 4 at 102
    // (taker fee: 1 per lot here) and the 3 left expire; a FOK of 10 at 102 finds only 7
    // and does nothing; a FOK of 7 fills whole; a market sell of 12 against bids 100 x 10
    // takes all 10 and expires 2.
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 101, 3),
                            ev(1000, Kind::Depth, kAsk, 102, 4),  ev(1000, Kind::Depth, kAsk, 103, 10),
                            ev(2000, Kind::Depth, kBid, 99, 5)};
    EngineConfig c = config(0, 100, 100);
    c.taker_fee_per_lot = 1;
    c.maker_fee_per_lot = -0.25;
    OneOrder ioc{TypeIoc, kBid, 102, 10};
    RunOutput r = run1(e, c, ioc.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{1100, kBid, 101, 3, 7}, {1100, kBid, 102, 4, 3}}));
    CHECK(r.fills.size() == 2 && !r.fills[0].maker && r.fills[0].tag == 42 && r.fills[0].level == -1 &&
          r.fills[0].order_type == TypeIoc);
    CHECK(r.fees == 7.0 && r.position == 7 && r.cash_ticks == -(303 + 408));
    CHECK(count_events(r, OrderEvent::Expired) == 1 && count_events(r, OrderEvent::Acked) == 0);
    for (const auto &o : r.order_log)
        if (o.event == static_cast<uint8_t>(OrderEvent::Expired)) CHECK(o.leaves == 3 && o.tag == 42);
    OneOrder fok_short{TypeFok, kBid, 102, 10};
    RunOutput f = run1(e, c, fok_short.strategy());
    CHECK(f.fills.empty() && f.position == 0 && count_events(f, OrderEvent::Expired) == 1);
    OneOrder fok_whole{TypeFok, kBid, 102, 7};
    RunOutput w = run1(e, c, fok_whole.strategy());
    CHECK((fills_of(w) == std::vector<FillRow>{{1100, kBid, 101, 3, 4}, {1100, kBid, 102, 4, 0}}));
    CHECK(count_events(w, OrderEvent::Expired) == 0);
    OneOrder mkt{TypeMarket, kAsk, 0, 12};
    RunOutput m = run1(e, c, mkt.strategy());
    CHECK((fills_of(m) == std::vector<FillRow>{{1100, kAsk, 100, 10, 2}}));
    CHECK(count_events(m, OrderEvent::Expired) == 1 && m.position == -10);
}

void explicit_orders_while_not_trading() {
    // Issue 13 with explicit orders: they only trade, so a market sell arriving while the
    // venue quotes only is refused with NOT_TRADING, an IOC arriving while halted with HALTED.
    const auto st = [](int64_t ts, TradingStatus x) { return ev(ts, Kind::Status, 0, 0, static_cast<int64_t>(x)); };
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 101, 3),
                            st(1050, TradingStatus::Quoting), ev(2000, Kind::Depth, kBid, 99, 5)};
    const auto rejected = [](const RunOutput &r) {
        std::vector<int> why;
        for (const auto &o : r.order_log)
            if (o.event == static_cast<uint8_t>(OrderEvent::Rejected)) why.push_back(o.reason);
        return why;
    };
    OneOrder mkt{TypeMarket, kAsk, 0, 12};
    RunOutput m = run1(e, config(0, 100, 100), mkt.strategy());
    CHECK(m.fills.empty() && rejected(m) == std::vector<int>{static_cast<int>(RejectReason::NotTrading)});
    e[2] = st(1050, TradingStatus::Halted);
    OneOrder ioc{TypeIoc, kBid, 101, 1};
    RunOutput h = run1(e, config(0, 100, 100), ioc.strategy());
    CHECK(h.fills.empty() && rejected(h) == std::vector<int>{static_cast<int>(RejectReason::Halted)});
}

// The decision log: each call's local time and the newest event in its view, and each
// order-log row's decision. Feed 500, entry 100, response 200; the puller bids 5 @ 100
// while the local ask holds >= 5 lots. The book (events 0, 1 at 1000) arrives at 1500:
// call 0 sends the bid (arrives 1600, acked, the ack back at 1800: call 1). The ask drops
// to 4 lots at 2000 (event 2), seen at 2500: call 2 sends the cancel (arrives 2600,
// confirmed at 2800: call 3). An ask level far away at 5000 is seen at 5500: call 4.
void decision_log() {
    const std::vector<Event> e = book_plus({ev(2000, Kind::Depth, kAsk, 101, 4), ev(5000, Kind::Depth, kAsk, 109, 1)});
    const RunOutput r = run1(e, config(500, 100, 200), Strategy{puller, nullptr, nullptr});
    struct Row {
        int64_t local_ts, exch, local, index, bb, ba, reason;
    };
    const std::vector<Row> want = {{1500, 1000, 1500, 1, 100, 101, WakeMarket},
                                   {1800, 1000, 1500, 1, 100, 101, WakeResponse},
                                   {2500, 2000, 2500, 2, 100, 101, WakeMarket},
                                   {2800, 2000, 2500, 2, 100, 101, WakeResponse},
                                   {5500, 5000, 5500, 3, 100, 101, WakeMarket}};
    CHECK(r.n_calls == 5 && r.decisions.size() == 5);
    for (size_t k = 0; k < want.size() && k < r.decisions.size(); ++k) {
        const DecisionRecord &d = r.decisions[k];
        const Row &w = want[k];
        CHECK(d.local_ts == w.local_ts && d.event_exch_ts == w.exch && d.event_local_ts == w.local &&
              d.event_index == w.index && d.best_bid == w.bb && d.best_ask == w.ba && d.reason == w.reason);
    }
    std::vector<std::pair<uint8_t, int64_t>> rows;
    for (const auto &o : r.order_log) rows.emplace_back(o.event, o.decision);
    const auto row = [](OrderEvent ev, int64_t d) { return std::make_pair(static_cast<uint8_t>(ev), d); };
    CHECK((rows == std::vector<std::pair<uint8_t, int64_t>>{row(OrderEvent::Sent, 0), row(OrderEvent::Acked, 0),
                                                            row(OrderEvent::CancelSent, 2),
                                                            row(OrderEvent::Canceled, 2)}));
    // Off: no rows, the same order log.
    EngineConfig off = config(500, 100, 200);
    off.decision_log = false;
    const RunOutput q = run1(e, off, Strategy{puller, nullptr, nullptr});
    CHECK(q.decisions.empty() && q.n_calls == 5 && same_log(q, r));
    // The test hook: the entry holding event 2 arrives 300 ns early, at 2200.
    EngineConfig hook = config(500, 100, 200);
    hook.debug_early_event = 2;
    hook.debug_early_ns = 300;
    const RunOutput h = run1(e, hook, Strategy{puller, nullptr, nullptr});
    CHECK(h.decisions.size() == 5 && h.decisions[2].local_ts == 2200 && h.decisions[2].event_index == 2 &&
          h.decisions[2].event_local_ts == 2200 && h.decisions[2].event_exch_ts == 2000);
}

// The timer's first period: feed 10000, timer 1000. The book (1000) arrives at 11000 and
// starts the timer (calls at 12000, 13000, ...); the ask update at 6000 arrives at 16000,
// so the calls up to 15000 see events 0-1 only. (They saw event 2 too: the first delivery
// loop ran on past the timer's first firing.)
void timer_first_period_sees_no_later_data() {
    const std::vector<Event> e = book_plus({ev(6000, Kind::Depth, kAsk, 101, 4), ev(21000, Kind::Depth, kAsk, 109, 1)});
    EngineConfig c = config(10000);
    c.decide_every = 1000;
    Fixed f{quote4(100, 1, 0, 0)};
    const RunOutput r = run1(e, c, f.strategy());
    CHECK(r.decisions.size() == 20);  // 12000 .. 31000
    for (const auto &d : r.decisions) {
        const int64_t want = d.local_ts < 16000 ? 1 : d.local_ts < 31000 ? 2 : 3;
        CHECK(d.event_index == want && d.reason == (d.local_ts == 16000 || d.local_ts == 31000 ? WakeMarket | WakeTimer : WakeTimer));
    }
    CHECK(r.decisions.size() && r.decisions[0].local_ts == 12000);
}

// A snapshot re-listing our level under new ids: the new lots are ahead of us up to what was
// ahead before it (8 here: 31 and 32), so 31's execution fills nothing; 33, joined behind
// us, fills us for 2 once 31 and 32 are gone. Checked mode agrees at every event.
void l3_snapshot_new_ids_keep_what_was_ahead() {
    std::vector<Event> e = {
        ev(1000, Kind::Add, kBid, 100, 5, 11),     ev(1000, Kind::Add, kBid, 100, 3, 12),
        ev(1000, Kind::Add, kAsk, 101, 10, 20),    ev(3000, Kind::Clear, 0, 0, 0),
        ev(3000, Kind::Add, kBid, 100, 5, 31),     ev(3000, Kind::Add, kBid, 100, 3, 32),
        ev(3000, Kind::Add, kAsk, 101, 10, 40),    ev(4000, Kind::Execute, kBid, 100, 5, 31),
        ev(5000, Kind::Execute, kBid, 100, 3, 32), ev(5500, Kind::Add, kBid, 100, 2, 33),
        ev(6000, Kind::Execute, kBid, 100, 2, 33),
    };
    Fixed s{quote4(100, 5, 0, 0)};
    EngineConfig c = config();
    c.check_invariants = true;
    CHECK((fills_of(run1(e, c, s.strategy())) == std::vector<FillRow>{{6000, kBid, 100, 2, 3}}));
}

// A lognormal feed draws once per venue message: every call sees whole messages (its newest
// event is the last of its message), and the events of a message share one delivery time.
void lognormal_feed_delivers_whole_messages() {
    std::vector<Event> e;
    for (int64_t i = 0; i < 60; ++i) e.push_back(ev(1000 + 10 * (i / 3), Kind::Depth, i % 2 ? kAsk : kBid,
                                                   i % 2 ? 101 + i % 5 : 99 - i % 5, 1 + i % 4));
    EngineConfig c = config();
    c.feed = std::make_shared<LogNormalLatencyModel>(40.0, 2.0, 5);
    c.seed = 4;
    Fixed f{quote4(80, 1, 0, 0)};
    const RunOutput r = run1(e, c, f.strategy());
    CHECK(r.decisions.size() > 5);
    for (const auto &d : r.decisions) CHECK(d.event_index % 3 == 2);
    std::vector<int64_t> out(e.size());
    feed_deliveries(e.data(), 60, *c.feed, 4, out.data());
    for (size_t i = 0; i < out.size(); i += 3) CHECK(out[i] == out[i + 1] && out[i] == out[i + 2]);
}

// Each event's delivery drawn outside the pass equals the run's: constant, recorded, lognormal.
void feed_deliveries_outside_the_pass() {
    std::vector<Event> e;
    for (int64_t i = 0; i < 50; ++i) e.push_back(ev(1000 + 10 * i, Kind::Depth, kBid, 90 + i % 5, 1 + i % 3, 0, 1500 + 7 * i));
    std::vector<int64_t> out(e.size());
    feed_deliveries(e.data(), 50, ConstantLatencyModel(250), 9, out.data());
    CHECK(out[0] == 1250 && out[49] == 1740);
    feed_deliveries(e.data(), 50, RecordedFeedLatency(), 9, out.data());
    CHECK(out[0] == 1500 && out[49] == 1500 + 7 * 49);
    // lognormal: a run with seed 9 logs each call's newest event and when it arrived; every
    // one of them is the same as the function's draw (after the monotone clamp).
    EngineConfig c = config();
    c.feed = std::make_shared<LogNormalLatencyModel>(40.0, 1.0, 5);
    c.seed = 9;
    Fixed f{quote4(80, 1, 0, 0)};
    const RunOutput r = run1(e, c, f.strategy());
    feed_deliveries(e.data(), 50, *c.feed, 9, out.data());
    for (size_t i = 1; i < out.size(); ++i) out[i] = std::max(out[i], out[i - 1]);
    CHECK(r.decisions.size() > 10);
    for (const auto &d : r.decisions) CHECK(d.event_local_ts == out[static_cast<size_t>(d.event_index)]);
}

// ------------------------------------------------------------------ K runs in one pass

// A deterministic market: venue messages of 3 events 2 us apart, depth on ten levels
// around 100/101 (size 0 removes a level), trades reaching into them, a recorded feed;
// now and then a snapshot (CLEAR and every level) and a halt, quoting-only, trading cycle.
std::vector<Event> synthetic(int64_t n, uint64_t seed) {
    Rng rng(seed);
    auto below = [&](int64_t k) { return static_cast<int64_t>(rng.next() % static_cast<uint64_t>(k)); };
    std::vector<Event> e;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t ts = 1000000 + i / 3 * 2000;
        const int64_t msg = i / 3;
        if (i % 3 == 0 && msg % 1499 == 1000) {
            e.push_back(ev(ts, Kind::Clear, 0, 0, 0, 0, ts + below(4000)));
            for (int64_t k = 0; k < 5; ++k) {
                if (below(4) == 0) continue;  // a level the snapshot does not list
                e.push_back(ev(ts, Kind::Depth, kBid, 96 + k, 1 + below(30), 0, ts + below(4000)));
                e.push_back(ev(ts, Kind::Depth, kAsk, 101 + k, 1 + below(30), 0, ts + below(4000)));
            }
        }
        const int64_t phase = msg % 997;
        if (i % 3 == 1 && (phase == 500 || phase == 600 || phase == 700)) {
            const TradingStatus s = phase == 500 ? TradingStatus::Halted
                                    : phase == 600 ? TradingStatus::Quoting : TradingStatus::Trading;
            e.push_back(ev(ts, Kind::Status, 0, 0, static_cast<int64_t>(s), 0, ts + below(4000)));
        }
        const int8_t side = below(2) ? kBid : kAsk;
        if (i >= 10 && below(100) < 15)
            e.push_back(ev(ts, Kind::Trade, side, side > 0 ? 101 + below(4) : 97 + below(4), 1 + below(39), 0,
                           ts + below(4000)));
        else
            e.push_back(ev(ts, Kind::Depth, side, side > 0 ? 96 + below(5) : 101 + below(5), i < 10 ? 50 : below(30), 0,
                           ts + below(4000)));
    }
    return e;
}

// Quote one tick outside the local touch with a position skew; pull a side past +-30 lots.
int64_t skew_quoter(void *, const View *v, Quote *out) {
    if (v->bid_qty <= 0 || v->ask_qty <= 0) return QuoteNoChange;
    const double skew = static_cast<double>(v->position / 10);
    out->bid_px = static_cast<double>(v->best_bid - 1) - skew;
    out->ask_px = static_cast<double>(v->best_ask + 1) - skew;
    out->bid_qty = v->position < 30 ? 3 : 0;
    out->ask_qty = v->position > -30 ? 3 : 0;
    return QuoteSet;
}

// Three levels a side 1, 2 and 4 ticks outside the touch, skewed; an IOC back toward flat
// past +-20 lots (one in flight at a time).
int64_t ladder_quoter(void *, const View *v, Quote *out) {
    if (v->bid_qty <= 0 || v->ask_qty <= 0) return QuoteNoChange;
    if (v->n_explicit_live == 0 && (v->position > 20 || v->position < -20)) {
        out->n_orders = 1;
        out->order_type[0] = TypeIoc;
        out->order_side[0] = v->position > 0 ? -1 : 1;
        out->order_px[0] = static_cast<double>(v->position > 0 ? v->best_bid - 1 : v->best_ask + 1);
        out->order_qty[0] = static_cast<double>(v->position > 0 ? v->position : -v->position);
        out->order_tag[0] = v->ts;
    }
    const int64_t skew = v->position / 10;
    const int64_t gaps[3] = {1, 2, 4};
    out->n_bid_levels = out->n_ask_levels = 3;
    for (int k = 0; k < 3; ++k) {
        out->bid_ladder_px[k] = static_cast<double>(v->best_bid - gaps[k] - skew);
        out->ask_ladder_px[k] = static_cast<double>(v->best_ask + gaps[k] - skew);
        out->bid_ladder_qty[k] = v->position < 30 ? 2 : 0;
        out->ask_ladder_qty[k] = v->position > -30 ? 2 : 0;
    }
    return QuoteSet;
}

template <class T>
bool same_bytes(const RecordBuffer<T> &a, const RecordBuffer<T> &b) {
    return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void k_runs_equal_separate_runs() {
    const std::vector<Event> e = synthetic(30000, 42);
    std::vector<RunSpec> runs;
    const std::vector<std::shared_ptr<LatencyModel>> feeds = {
        std::make_shared<ConstantLatencyModel>(0), std::make_shared<ConstantLatencyModel>(2500),
        std::make_shared<ConstantLatencyModel>(5000000),  // ~2,500 messages on the tape behind it
        std::make_shared<RecordedFeedLatency>(), std::make_shared<LogNormalLatencyModel>(3000.0, 1.0, 100),
        std::make_shared<RecordedFeedLatency>(2500)};  // recorded + 2.5 us, its own delivery beside recorded
    const std::vector<std::shared_ptr<QueueModel>> queues = {std::make_shared<RiskAverseQueueModel>(),
                                                             std::make_shared<PowerProbQueueModel>(2.0),
                                                             std::make_shared<LogProbQueueModel>()};
    for (size_t f = 0; f < feeds.size(); ++f)
        for (size_t q = 0; q < queues.size(); ++q) {
            EngineConfig c = config(0, 1000, 2000);
            c.feed = feeds[f];
            c.queue = queues[q];
            c.seed = f * 10 + q;
            c.decide_every = q == 2 ? 7000 : 0;
            c.post_only = q != 1;
            c.signals = f % 2 == 0;
            c.signal_params.ofi_half_life_ns = q == 0 ? 1e9 : 1e6;
            c.maker_fee_bps = -0.5;
            c.taker_fee_bps = 7;
            runs.push_back(RunSpec{c, Strategy{skew_quoter, nullptr, nullptr}});
            if (q == 0) {  // a ladder with explicit orders beside it, in the same pass
                c.ladder_levels = 3;
                c.max_orders = 32;
                runs.push_back(RunSpec{c, Strategy{ladder_quoter, nullptr, nullptr}});
            }
        }
    runs.push_back(RunSpec{config(), Strategy{}});  // the market alone, in the same pass
    const int64_t n = static_cast<int64_t>(e.size());
    const std::vector<RunOutput> many = run_many(e.data(), n, runs);
    CHECK(many.size() == runs.size());
    size_t with_fills = 0, halted_rejects = 0;
    for (size_t k = 0; k < runs.size(); ++k) {
        const RunOutput one = run(e.data(), n, runs[k]);
        const RunOutput &m = many[k];
        const bool same = m.completed && same_bytes(m.fills, one.fills) && same_bytes(m.order_log, one.order_log) &&
                          same_bytes(m.samples, one.samples) && same_bytes(m.fill_signals, one.fill_signals) &&
                          same_bytes(m.decisions, one.decisions) && m.decisions.size() == static_cast<size_t>(m.n_calls) &&
                          m.position == one.position && m.cash_ticks == one.cash_ticks && m.fees == one.fees &&
                          m.n_calls == one.n_calls && m.n_events == one.n_events && m.unsent_at_end == one.unsent_at_end;
        if (!same) std::fprintf(stderr, "run %zu of the pass differs from the same run alone\n", k);
        CHECK(same);
        with_fills += !m.fills.empty();
        for (const auto &o : m.order_log) halted_rejects += o.reason == static_cast<uint8_t>(RejectReason::Halted);
    }
    CHECK(with_fills == runs.size() - 1);  // every quoting run traded: the comparison is not vacuous
    CHECK(halted_rejects > 0);             // ... and met the halts
}

}  // namespace

void stop_request_interrupts_the_pass() {
    // A stop request set by the poll at its first check, after the venue message holding event
    // kStopCheckEvents - 1: every run stops there, interrupted, with no error and a last sample
    // at that message's time.
    const std::vector<Event> e = synthetic(3 * 6000, 5);
    Counter a;
    std::atomic<bool> stop{false};
    struct Poll {
        std::atomic<bool> *stop;
        int calls = 0;
    } poll{&stop};
    PassOptions opt;
    opt.stop = &stop;
    opt.poll = [](void *user) {
        auto *p = static_cast<Poll *>(user);
        ++p->calls;
        p->stop->store(true);
    };
    opt.poll_user = &poll;
    std::vector<RunOutput> outs = run_many(e.data(), static_cast<int64_t>(e.size()),
                                           {RunSpec{config(), a.strategy()}, RunSpec{config(), Strategy{}}}, opt);
    const int64_t at = e[kStopCheckEvents - 1].exch_ts;
    CHECK(poll.calls == 1);
    for (const RunOutput &o : outs)
        CHECK(o.interrupted && !o.completed && !o.error && !o.samples.empty() &&
              o.samples[o.samples.size() - 1].exch_ts == at);
    CHECK(a.calls > 0 && a.last_ts <= at);

    // Requested before the pass, with a 1 ns timer through a 10 ms gap (few events, many calls):
    // the check before every kStopCheckCalls-th strategy call stops it.
    Counter b;
    EngineConfig timer = config();
    timer.decide_every = 1;
    const std::vector<Event> gap = book_plus({ev(1000 + 10 * kMs, Kind::Depth, kBid, 100, 9)});
    PassOptions asked;
    asked.stop = &stop;
    outs = run_many(gap.data(), static_cast<int64_t>(gap.size()), {RunSpec{timer, b.strategy()}}, asked);
    CHECK(outs[0].interrupted && !outs[0].completed && !outs[0].error && b.calls == kStopCheckCalls - 1);

    // A strategy returning kInterruptCode stops the whole pass, even where failures drop out;
    // a run that failed before keeps its error and is not interrupted.
    auto interrupt = [](void *, const View *v, Quote *) -> int64_t {
        return v->ts >= 3000 ? static_cast<int64_t>(kInterruptCode) : static_cast<int64_t>(QuoteNoChange);
    };
    auto fail = [](void *, const View *v, Quote *) -> int64_t { return v->ts >= 2000 ? 7 : static_cast<int64_t>(QuoteNoChange); };
    const std::vector<Event> three = book_plus({ev(2000, Kind::Depth, kBid, 100, 9), ev(3000, Kind::Depth, kBid, 100, 8),
                                                ev(4000, Kind::Depth, kBid, 100, 7)});
    PassOptions drop;
    drop.stop_on_error = false;
    outs = run_many(three.data(), static_cast<int64_t>(three.size()),
                    {RunSpec{config(), Strategy{fail, nullptr, nullptr}}, RunSpec{config(), Strategy{interrupt, nullptr, nullptr}},
                     RunSpec{config(), Strategy{}}},
                    drop);
    CHECK(outs[0].error && !outs[0].interrupted);
    for (int k = 1; k < 3; ++k)
        CHECK(outs[k].interrupted && !outs[k].completed && !outs[k].error &&
              outs[k].samples[outs[k].samples.size() - 1].exch_ts == 3000);

    // The book-only replays check too: a request made before them stops them at event
    // kStopCheckEvents - 1, and the poll is called there.
    std::vector<int64_t> cols(4 * e.size());
    std::vector<double> sig(e.size() * MMSIM_SIG_COUNT);
    const int64_t ne = static_cast<int64_t>(e.size());
    for (int which = 0; which < 2; ++which) {
        poll.calls = 0;
        stop.store(false);
        bool thrown = false;
        try {
            if (which == 0) replay_bbo(e.data(), ne, &cols[0], &cols[ne], &cols[2 * ne], &cols[3 * ne], opt);
            else compute_signals(e.data(), ne, MmsimSignalParams{}, sig.data(), opt);
        } catch (const PassInterrupted &) {
            thrown = true;
        }
        CHECK(thrown && poll.calls == 1);
    }
}

// Bytes of [p, p + bytes) resident in memory (-1 where the platform cannot say).
long long resident_bytes(const void *p, size_t bytes) {
#if defined(__linux__)
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((bytes + page - 1) / page);
    if (mincore(const_cast<void *>(p), bytes, in.data()) != 0) return -1;
    long long n = 0;
    for (unsigned char c : in) n += (c & 1) ? static_cast<long long>(page) : 0;
    return n;
#else
    (void)p;
    (void)bytes;
    return -1;
#endif
}

// A record buffer's contents across its growth (mapping doublings, each faulted in a step at a
// time), exact; and the pages faulted in ahead of its records stay within one step: the whole
// doubled mapping was faulted in at once (1.4 s for a 2 GiB decision log: the pass, and a
// Ctrl-C, waited), and the resident memory was twice the records.
void record_buffer_grows_a_step_at_a_time() {
    constexpr size_t kMiB = size_t(1) << 20;
    const size_t n = 128 * kMiB / sizeof(DecisionRecord) + 1;  // just past 128 MiB: a 256 MiB mapping
    auto fill = [](DecisionRecord *d, size_t k) {
        const int64_t v = static_cast<int64_t>(k);
        *d = DecisionRecord{v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6};
    };
    auto exact = [&](const RecordBuffer<DecisionRecord> &b, size_t count) {
        if (b.size() != count) return false;
        for (size_t k = 0; k < count; ++k) {
            DecisionRecord want;
            fill(&want, k);
            if (std::memcmp(&b[k], &want, sizeof want) != 0) return false;
        }
        return true;
    };
    {
        RecordBuffer<DecisionRecord> b;
        for (size_t k = 0; k < n; ++k) fill(b.append(), k);
        CHECK(exact(b, n));
        const size_t used = (n * sizeof(DecisionRecord) + 4095) / 4096 * 4096;
        const long long ahead = resident_bytes(reinterpret_cast<const char *>(b.data()) + used, 256 * kMiB - used);
        CHECK(ahead >= -1 && ahead <= static_cast<long long>(kRecordStepBytes + 2 * kMiB));  // (a huge page's rounding)
        RecordBuffer<DecisionRecord> moved(std::move(b));  // what the bindings hand to numpy
        CHECK(b.size() == 0 && exact(moved, n));
    }
    // A mapping kept from a finished buffer (above: returned to the pool if small enough, else
    // unmapped) grows the same way under new records: nothing of the old ones shows through.
    RecordBuffer<DecisionRecord> small;
    for (size_t k = 0; k < 1000; ++k) fill(small.append(), k + 7);
    small = RecordBuffer<DecisionRecord>();
    RecordBuffer<DecisionRecord> again;
    const size_t m = 3 * kRecordStepBytes / sizeof(DecisionRecord) + 5;  // across three steps
    for (size_t k = 0; k < m; ++k) fill(again.append(), k);
    CHECK(exact(again, m));
}

// The queue position figures of each fill (FillRecord::queue_ahead_at_entry and
// level_qty_at_fill), computed by hand.
void queue_position_of_fills() {
    // L2. Our bid (100 x 5) joins 10 lots; our ask (102 x 4) opens its level, 7 lots join
    // behind it. At 2000 a sell of 4 and the level to 6: 6 ahead. At 3000 the level drops to 1
    // and then a sell of 8 takes the 6 and 2 of ours: the level before that message was 6 (the
    // book already says 1). At 4000 a sell of 5 completes us: the level was 1. At 5000 a buy
    // of 9 at 102 fills our ask (nothing ahead): its level was 7.
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 101, 10),
                            ev(2000, Kind::Trade, kAsk, 100, 4),  ev(2000, Kind::Depth, kBid, 100, 6),
                            ev(2000, Kind::Depth, kAsk, 102, 7),  ev(3000, Kind::Depth, kBid, 100, 1),
                            ev(3000, Kind::Trade, kAsk, 100, 8),  ev(4000, Kind::Trade, kAsk, 100, 5),
                            ev(5000, Kind::Trade, kBid, 102, 9)};
    Fixed s{quote4(100, 5, 102, 4)};
    RunOutput r = run1(e, config(), s.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{3000, kBid, 100, 2, 3}, {4000, kBid, 100, 3, 0}, {5000, kAsk, 102, 4, 0}}));
    if (r.fills.size() == 3) {
        CHECK(r.fills[0].queue_ahead_at_entry == 10 && r.fills[0].level_qty_at_fill == 6);
        CHECK(r.fills[1].queue_ahead_at_entry == 10 && r.fills[1].level_qty_at_fill == 1);
        CHECK(r.fills[2].queue_ahead_at_entry == 0 && r.fills[2].level_qty_at_fill == 7);
    }
    // L3 (l3_fifo's market): A (5) and B (3) rest at 100 when we join: 8 ahead. The fill at
    // 5000 (C executed behind us) had A gone, B 2 and C 4 at the level: 6; the one at 8000,
    // only D's 1 lot.
    std::vector<Event> l3 = {
        ev(1000, Kind::Add, kBid, 100, 5, 11),     ev(1000, Kind::Add, kBid, 100, 3, 12),
        ev(1000, Kind::Add, kAsk, 101, 10, 20),    ev(2000, Kind::Add, kBid, 100, 4, 13),
        ev(3000, Kind::Execute, kBid, 100, 5, 11), ev(4000, Kind::Cancel, kBid, 100, 1, 12),
        ev(5000, Kind::Execute, kBid, 100, 4, 13), ev(6000, Kind::Delete, kBid, 100, 2, 12),
        ev(7000, Kind::Add, kBid, 100, 1, 14),     ev(8000, Kind::Execute, kBid, 100, 1, 14),
    };
    Fixed b{quote4(100, 5, 0, 0)};
    RunOutput f = run1(l3, config(), b.strategy());
    CHECK((fills_of(f) == std::vector<FillRow>{{5000, kBid, 100, 2, 3}, {8000, kBid, 100, 1, 2}}));
    if (f.fills.size() == 2) {
        CHECK(f.fills[0].queue_ahead_at_entry == 8 && f.fills[0].level_qty_at_fill == 6);
        CHECK(f.fills[1].queue_ahead_at_entry == 8 && f.fills[1].level_qty_at_fill == 1);
    }
    // The other side's update reaches our bid (an ask listed at 100): the book drops the stale
    // bid level of 10 lots and our 5 fill at the end of the message; the level was 10.
    RunOutput x = run1(book_plus({ev(2000, Kind::Depth, kAsk, 100, 3)}), config(), b.strategy());
    CHECK((fills_of(x) == std::vector<FillRow>{{2000, kBid, 100, 5, 0}}));
    if (x.fills.size() == 1) CHECK(x.fills[0].queue_ahead_at_entry == 10 && x.fills[0].level_qty_at_fill == 10);
    // A crossing quote (post_only off) fills as taker on arrival: no queue position (-1).
    EngineConfig c = config();
    c.post_only = false;
    Fixed cross{quote4(0, 0, 100, 3)};
    RunOutput t = run1(kBook, c, cross.strategy());
    CHECK((fills_of(t) == std::vector<FillRow>{{1000, kAsk, 100, 3, 0}}));
    if (t.fills.size() == 1) CHECK(!t.fills[0].maker && t.fills[0].queue_ahead_at_entry == -1 &&
                                   t.fills[0].level_qty_at_fill == -1);
}

EngineConfig with_queue(std::shared_ptr<QueueModel> q) {
    EngineConfig c = config();
    c.queue = std::move(q);
    return c;
}

std::vector<std::pair<const char *, std::shared_ptr<QueueModel>>> all_queue_models() {
    return {{"risk_averse", std::make_shared<RiskAverseQueueModel>()},
            {"power2", std::make_shared<PowerProbQueueModel>(2.0)},
            {"log", std::make_shared<LogProbQueueModel>()}};
}

// fix34q F5: a level of ours that the stale-crossing rule removes moves us as any depth
// update of the message does, on its net change from its size before the message.
void stale_crossing_moves_our_queue() {
    Fixed b{quote4(100, 5, 0, 0)};
    // Bid 100x10, 99x5, ask 102x10; our bid 5 @ 100 behind 10. One message at 3000: an ask
    // at 100 (the book drops bid 100), then a bid at 101 (drops that ask): no crossing
    // fill, and our level went 10 -> 0: nobody is ahead. A sell of 4 at 100 fills 4.
    const std::vector<Event> head = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kBid, 99, 5),
                                     ev(1000, Kind::Depth, kAsk, 102, 10)};
    std::vector<Event> e = head;
    for (const Event &x : {ev(3000, Kind::Depth, kAsk, 100, 5), ev(3000, Kind::Depth, kBid, 101, 3),
                           ev(4000, Kind::Depth, kBid, 101, 0), ev(5000, Kind::Trade, kAsk, 100, 4)})
        e.push_back(x);
    for (const auto &[name, q] : all_queue_models()) {
        RunOutput r = run1(e, with_queue(q), b.strategy());
        const bool ok = fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 4, 1}};
        if (!ok) std::fprintf(stderr, "  removed level, %s\n", name);
        CHECK(ok);
    }
    // Bid 100x10, we join behind 10, 10 more join behind us (20). One message at 3000: an ask
    // at 100 (drops bid 100), then bid 100 x 3 (drops that ask): the level went 20 -> 3, a
    // net decrease of 17 with 10 ahead and 10 behind: risk_averse min(10, 3) = 3 ahead;
    // power 2 and log split it half and half, 8 ahead (floor 8.5), 9 behind: 2 ahead. A
    // sell of 6 fills 3 (risk_averse) or 4 lots.
    std::vector<Event> f = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
                            ev(2000, Kind::Depth, kBid, 100, 20), ev(3000, Kind::Depth, kAsk, 100, 5),
                            ev(3000, Kind::Depth, kBid, 100, 3),  ev(5000, Kind::Trade, kAsk, 100, 6)};
    for (const auto &[name, q] : all_queue_models()) {
        RunOutput r = run1(f, with_queue(q), b.strategy());
        const int64_t lots = std::string(name) == "risk_averse" ? 3 : 4;
        const bool ok = fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, lots, 5 - lots}};
        if (!ok) std::fprintf(stderr, "  removed and re-listed level, %s\n", name);
        CHECK(ok);
    }
}

// fix34q F1 and F2: the power and log models' share of a cancel ahead of us is exact where
// it is a whole number of lots, and the lots behind us do not count the lots that traded.
void prob_queue_share() {
    Fixed b{quote4(100, 5, 0, 0)};
    // Power 1: 26 ahead, 20 behind (46), the level to 23: 26/46 of 23 = 13 exactly -> 13 ahead;
    // a sell of 14 fills 1 (the double 26/46 * 23 is 12.999...: 14 ahead, no fill).
    std::vector<Event> e = {ev(1000, Kind::Depth, kBid, 100, 26), ev(1000, Kind::Depth, kAsk, 102, 10),
                            ev(3000, Kind::Depth, kBid, 100, 46), ev(4000, Kind::Depth, kBid, 100, 23),
                            ev(5000, Kind::Trade, kAsk, 100, 14)};
    RunOutput r = run1(e, with_queue(std::make_shared<PowerProbQueueModel>(1.0)), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 1, 4}}));
    // Power 1: 30 ahead, 14 behind, the level 44 -> 22: 30/44 of 22 = 15 -> 15 ahead; a sell of 16 fills 1.
    e = {ev(1000, Kind::Depth, kBid, 100, 30), ev(1000, Kind::Depth, kAsk, 102, 10),
         ev(3000, Kind::Depth, kBid, 100, 44), ev(4000, Kind::Depth, kBid, 100, 22), ev(5000, Kind::Trade, kAsk, 100, 16)};
    r = run1(e, with_queue(std::make_shared<PowerProbQueueModel>(1.0)), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 1, 4}}));
    // Log: 8 ahead, 26 behind, 5 cancelled: log 9 / (log 9 + log 27) = 2/5 of 5 = 2 -> 6 ahead;
    // a sell of 7 fills 1.
    e = {ev(1000, Kind::Depth, kBid, 100, 8), ev(1000, Kind::Depth, kAsk, 102, 10), ev(3000, Kind::Depth, kBid, 100, 34),
         ev(4000, Kind::Depth, kBid, 100, 29), ev(5000, Kind::Trade, kAsk, 100, 7)};
    r = run1(e, with_queue(std::make_shared<LogProbQueueModel>()), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 1, 4}}));
    CHECK(prob_share_lots(23, 26.0, 20.0) == 13 && prob_share_lots(22, 30.0, 14.0) == 15);
    CHECK(prob_share_lots(5, std::log1p(8.0), std::log1p(26.0)) == 2);
    CHECK(prob_share_lots(3, 0.0, 0.0) == 3 && prob_share_lots(7, 0.0, 5.0) == 0 && prob_share_lots(7, 5.0, 0.0) == 7);
    // breaker34 F7: a large exponent on large lot counts (2e8^40 is inf). 2e8 ahead, 2e8 behind,
    // 1e8 cancelled: ahead == behind, so half of it ahead for every n -> 1.5e8 ahead; a sell of
    // 1.5e8 + 3 fills 3 (inf / (inf + inf) was NaN: the whole order filled). Power 20 on
    // 1e17 ahead, 0 behind (1e340: inf, the other term 0): all of the cancel ahead of us.
    for (const double n : {2.0, 16.0, 40.0, 1000.0}) {
        const int64_t a = 200000000;
        e = {ev(1000, Kind::Depth, kBid, 100, a), ev(1000, Kind::Depth, kAsk, 101, 10),
             ev(3000, Kind::Depth, kBid, 100, 2 * a), ev(4000, Kind::Depth, kBid, 100, 2 * a - 100000000),
             ev(5000, Kind::Trade, kAsk, 100, 150000003)};
        r = run1(e, with_queue(std::make_shared<PowerProbQueueModel>(n)), b.strategy());
        CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 3, 2}}));
    }
    CHECK(PowerProbQueueModel(20.0).after_cancel(100000000000000000, 100000000000000000, 100000000000000000 - 1000,
                                                1000) == 100000000000000000 - 1000);
    CHECK(PowerProbQueueModel(40.0).after_cancel(200000000, 400000000, 300000000, 100000000) == 150000000);
    // F2, power 2: bid 100x10, we join behind 10, 5 join behind us. One message: a sell of 4
    // (6 ahead) and the level 15 -> 9: 2 cancelled, 6 ahead and 5 behind: 36/61 of 2 = 1.18
    // -> 1 -> 5 ahead; a sell of 6 fills 1 (counting the 4 traded lots behind us: 36/117 of
    // 2 -> 0, 6 ahead, no fill). The same with the print a message before the update.
    for (const bool apart : {false, true}) {
        e = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
             ev(2000, Kind::Depth, kBid, 100, 15), ev(apart ? 3000 : 4000, Kind::Trade, kAsk, 100, 4),
             ev(4000, Kind::Depth, kBid, 100, 9),  ev(6000, Kind::Trade, kAsk, 100, 6)};
        r = run1(e, with_queue(std::make_shared<PowerProbQueueModel>(2.0)), b.strategy());
        CHECK((fills_of(r) == std::vector<FillRow>{{6000, kBid, 100, 1, 4}}));
        // Log: log 7 / (log 7 + log 6) of 2 = 1.04 -> 1 -> 5 ahead (log 7 / (log 7 + log 10): 0).
        r = run1(e, with_queue(std::make_shared<LogProbQueueModel>()), b.strategy());
        CHECK((fills_of(r) == std::vector<FillRow>{{6000, kBid, 100, 1, 4}}));
    }
}

// fix34q F4: while the venue is not trading a crossed book is real: the stale-crossing rule
// waits for trading; a book still crossed when trading resumes is uncrossed as an auction.
void crossed_book_while_not_trading() {
    const auto st = [](int64_t ts, TradingStatus x) { return ev(ts, Kind::Status, 0, 0, static_cast<int64_t>(x)); };
    Fixed b{quote4(100, 5, 0, 0)};
    // QUOTING: bid 100x10, ask 101x10; the pre-open ask at 100 x 4 comes and goes; trading at
    // 5000. Our bid arrives at 5500 behind the 10 lots that never left: a sell of 10 fills
    // nothing, a sell of 3 then fills 3.
    std::vector<Event> e = {st(1000, TradingStatus::Quoting),     ev(1000, Kind::Depth, kBid, 100, 10),
                            ev(1000, Kind::Depth, kAsk, 101, 10), ev(3000, Kind::Depth, kAsk, 100, 4),
                            ev(4000, Kind::Depth, kAsk, 100, 0),  st(5000, TradingStatus::Trading),
                            ev(6000, Kind::Trade, kAsk, 100, 10), ev(7000, Kind::Trade, kAsk, 100, 3)};
    RunOutput r = run1(e, config(0, 4500, 0), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{7000, kBid, 100, 3, 2}}));
    if (r.fills.size() == 1) CHECK(r.fills[0].queue_ahead_at_entry == 10);
    Book book;
    for (size_t i = 0; i < 5; ++i) book.apply(e[i], int64_t(i));
    CHECK(book.bids.best() == 100 && book.bids.qty(100) == 10);  // kept while quoting
    // Our bid rests behind 10 while quoting; an ask at 100 x 4 crosses the book (it stays);
    // trading resumes with the book crossed: the auction trades 4 of the bid 100 lots (10 -> 6;
    // our level: min(10, 6) = 6 ahead under risk_averse) and the ask at 100 is gone: no
    // fill at the resume; a sell of 7 then fills 1.
    e = {st(1000, TradingStatus::Quoting),     ev(1000, Kind::Depth, kBid, 100, 10),
         ev(1000, Kind::Depth, kAsk, 102, 10), ev(3000, Kind::Depth, kAsk, 100, 4),
         st(5000, TradingStatus::Trading),     ev(6000, Kind::Trade, kAsk, 100, 7)};
    r = run1(e, config(), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{6000, kBid, 100, 1, 4}}));
    Book ub;
    for (size_t i = 0; i < 5; ++i) ub.apply(e[i], int64_t(i));
    CHECK(ub.bids.qty(100) == 10 && ub.asks.qty(100) == 4);  // crossed until the end of the resume message
    CHECK(ub.end_message(4));
    CHECK(ub.bids.best() == 100 && ub.bids.qty(100) == 6 && ub.asks.best() == 102 && ub.asks.qty(102) == 10);
    CHECK(!ub.end_message(4));
    // The ask at 100 x 15: the auction takes the 10 ahead of us and leaves 5 lots at 100,
    // which cross our bid at the resume: all 5 of ours fill there (the reopening cross).
    e[3] = ev(3000, Kind::Depth, kAsk, 100, 15);
    r = run1(e, config(), b.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{5000, kBid, 100, 5, 0}}));
    if (r.fills.size() == 1) CHECK(r.fills[0].maker && r.fills[0].level_qty_at_fill == 10);
    // The venue's own updates in the resume message are its auction, listed execution by
    // execution: no stale-crossing removal there. Pre-open: bid 99x10, ask 101x3 (our ask
    // 101 x 5 behind those 3), ask 103x10; ask 100x2 and bid 102x2 cross. At the resume the
    // auction trades bid 102 with ask 100, one lot at a time (bid 102 -> 1 would drop the ask
    // 101 level as stale while trading). After it: bid 99, ask 101x3 (3 ahead of us, never
    // changed), 103: a buy of 4 at 101 fills 1.
    Fixed a{quote4(0, 0, 101, 5)};
    e = {st(1000, TradingStatus::Quoting),     ev(1000, Kind::Depth, kBid, 99, 10),
         ev(1000, Kind::Depth, kAsk, 101, 3),  ev(1000, Kind::Depth, kAsk, 103, 10),
         ev(2000, Kind::Depth, kAsk, 100, 2),  ev(2500, Kind::Depth, kBid, 102, 2),
         st(5000, TradingStatus::Trading),     ev(5000, Kind::Depth, kBid, 102, 1),
         ev(5000, Kind::Depth, kAsk, 100, 1),  ev(5000, Kind::Depth, kBid, 102, 0),
         ev(5000, Kind::Depth, kAsk, 100, 0),  ev(6000, Kind::Trade, kBid, 101, 4)};
    r = run1(e, config(), a.strategy());
    CHECK((fills_of(r) == std::vector<FillRow>{{6000, kAsk, 101, 1, 4}}));
    Book rb;
    for (size_t i = 0; i < 11; ++i) rb.apply(e[i], int64_t(i));
    CHECK(!rb.end_message(10));  // not crossed: nothing to uncross
    CHECK(rb.bids.best() == 99 && rb.asks.best() == 101 && rb.asks.qty(101) == 3);
}

// fix36c (breaker36 F1): the lots the resume's uncross trades move us as a print does (the
// front of the queue first, the rest fill us), not as cancels; under every queue model.
void resume_uncross_is_a_print() {
    const auto st = [](int64_t ts, TradingStatus x) { return ev(ts, Kind::Status, 0, 0, static_cast<int64_t>(x)); };
    auto models = all_queue_models();
    models.push_back({"power1", std::make_shared<PowerProbQueueModel>(1.0)});
    Fixed b{quote4(100, 5, 0, 0)};
    // Bid 100x10, our bid 5 behind them, 4 join behind us (14); QUOTING, a pre-open ask
    // 100x3; resume: the auction's 3 lots are the front of the queue: 7 ahead, a sell of 9
    // fills 2 (as cancels: risk_averse and log 0, power 1 and 2 gave 1).
    const std::vector<Event> e1 = {ev(1000, Kind::Depth, kBid, 100, 10), ev(1000, Kind::Depth, kAsk, 102, 10),
                                   ev(1500, Kind::Depth, kBid, 100, 14), st(2000, TradingStatus::Quoting),
                                   ev(3000, Kind::Depth, kAsk, 100, 3),  st(5000, TradingStatus::Trading),
                                   ev(6000, Kind::Trade, kAsk, 100, 9)};
    // Bid 100x4, our bid 5 behind them, 6 behind us (10); a pre-open ask 100x7: the auction
    // trades the 4 ahead and 3 of ours at the resume; a sell of 9 takes the other 2.
    const std::vector<Event> e2 = {ev(1000, Kind::Depth, kBid, 100, 4),  ev(1000, Kind::Depth, kAsk, 102, 10),
                                   ev(1500, Kind::Depth, kBid, 100, 10), st(2000, TradingStatus::Quoting),
                                   ev(3000, Kind::Depth, kAsk, 100, 7),  st(5000, TradingStatus::Trading),
                                   ev(6000, Kind::Trade, kAsk, 100, 9)};
    // The ask side of e1: ask 100x10, ours behind, 4 behind us; a pre-open bid 100x3; a buy of 9.
    Fixed a{quote4(0, 0, 100, 5)};
    const std::vector<Event> e3 = {ev(1000, Kind::Depth, kBid, 98, 10),  ev(1000, Kind::Depth, kAsk, 100, 10),
                                   ev(1500, Kind::Depth, kAsk, 100, 14), st(2000, TradingStatus::Quoting),
                                   ev(3000, Kind::Depth, kBid, 100, 3),  st(5000, TradingStatus::Trading),
                                   ev(6000, Kind::Trade, kBid, 100, 9)};
    for (const auto &[name, q] : models) {
        EngineConfig c = with_queue(q);
        c.entry = std::make_shared<ConstantLatencyModel>(100);
        bool ok = fills_of(run1(e1, c, b.strategy())) == std::vector<FillRow>{{6000, kBid, 100, 2, 3}};
        ok = ok && fills_of(run1(e2, c, b.strategy())) ==
                       std::vector<FillRow>{{5000, kBid, 100, 3, 2}, {6000, kBid, 100, 2, 0}};
        ok = ok && fills_of(run1(e3, c, a.strategy())) == std::vector<FillRow>{{6000, kAsk, 100, 2, 3}};
        if (!ok) std::fprintf(stderr, "  resume uncross, %s\n", name);
        CHECK(ok);
    }
}

// prints_through_book: a seller's print more than band * bid under the bid, a buyer's more than band * ask over
// the ask, counted against the book before each; the first `keep` described; a price the book refuses is its error.
void prints_through_book_counts_the_far_ones() {
    // Book 100 / 101, band 0.1: 10% of 100 is 10 ticks, of 101 is 10.1.
    auto e = book_plus({ev(2000, Kind::Trade, kAsk, 90, 1), ev(3000, Kind::Trade, kAsk, 89, 1),
                        ev(4000, Kind::Trade, kBid, 111, 1), ev(5000, Kind::Trade, kBid, 112, 1),
                        ev(6000, Kind::Trade, 0, 89, 1), ev(7000, Kind::Trade, kAsk, 1000, 1)});
    ThroughPrint first[2] = {};
    CHECK(prints_through_book(e.data(), int64_t(e.size()), 0.1, first, 2) == 3);
    CHECK(first[0].index == 3 && first[0].price == 89 && first[0].best == 100 && first[0].side == kAsk);
    CHECK(first[1].index == 5 && first[1].price == 112 && first[1].best == 101 && first[1].side == kBid);
    CHECK(prints_through_book(e.data(), int64_t(e.size()), 0.1, nullptr, 0) == 3);
    // Not while the venue does not trade (a halt, an auction's QUOTING): such a print fills no resting order.
    auto st = [](int64_t t, TradingStatus s) { return ev(t, Kind::Status, 0, 0, static_cast<int64_t>(s)); };
    auto paused = book_plus({st(1500, TradingStatus::Quoting), ev(2000, Kind::Trade, kAsk, 80, 1),
                             st(2500, TradingStatus::Halted), ev(3000, Kind::Trade, kBid, 200, 1),
                             st(3500, TradingStatus::Trading), ev(4000, Kind::Trade, kAsk, 80, 1)});
    CHECK(prints_through_book(paused.data(), int64_t(paused.size()), 0.1, first, 2) == 1);
    CHECK(first[0].index == 7 && first[0].price == 80 && first[0].best == 100);
    // A price outside the engine's range is not compared (no overflow), and the book refuses it as replay_bbo does.
    auto bad = book_plus({ev(2000, Kind::Trade, kAsk, std::numeric_limits<int64_t>::min(), 1)});
    CHECK(data_error([&] { prints_through_book(bad.data(), int64_t(bad.size()), 0.1, first, 2); }, 2,
                     "event 2: TRADE has price -9223372036854775808 outside the range the engine accepts "
                     "([-2^62, 2^62) ticks)"));
}

int main() {
    const std::vector<std::pair<const char *, std::function<void()>>> tests = {
        {"queue_then_partial_fill", queue_then_partial_fill},
        {"trade_through_fills_all", trade_through_fills_all},
        {"cancel_race", cancel_race},
        {"post_only_reject", post_only_reject},
        {"l3_fifo", l3_fifo},
        {"snapshot_and_one_message", snapshot_and_one_message},
        {"l3_snapshot_priority", l3_snapshot_priority},
        {"l3_behind_options", l3_behind_options},
        {"l3_hidden_print", l3_hidden_print},
        {"halt_and_resume", halt_and_resume},
        {"fees_on_absolute_notional", fees_on_absolute_notional},
        {"bad_events", bad_events},
        {"failing_run_drops_out", failing_run_drops_out},
        {"stop_request_interrupts_the_pass", stop_request_interrupts_the_pass},
        {"timer_sleeps_through_a_gap", timer_sleeps_through_a_gap},
        {"no_progress_guard_sees_nanosecond_latencies", no_progress_guard_sees_nanosecond_latencies},
        {"rejected_target_is_not_resent", rejected_target_is_not_resent},
        {"held_target_released_when_it_crosses_nothing", held_target_released_when_it_crosses_nothing},
        {"impossible_times_are_data_errors", impossible_times_are_data_errors},
        {"recorded_feed_with_an_offset", recorded_feed_with_an_offset},
        {"checked_arithmetic", checked_arithmetic},
        {"trade_span_and_l3_levels", trade_span_and_l3_levels},
        {"no_fills_after_the_last_event", no_fills_after_the_last_event},
        {"far_levels_cost_a_map_entry_not_a_page", far_levels_cost_a_map_entry_not_a_page},
        {"ladder_outer_moves_inner_keeps_its_queue", ladder_outer_moves_inner_keeps_its_queue},
        {"explicit_orders_take_the_visible_book", explicit_orders_take_the_visible_book},
        {"explicit_orders_while_not_trading", explicit_orders_while_not_trading},
        {"two_orders_at_one_price", two_orders_at_one_price},
        {"queue_position_of_fills", queue_position_of_fills},
        {"l3_price_priority_of_our_ladder", l3_price_priority_of_our_ladder},
        {"decision_log", decision_log},
        {"feed_deliveries_outside_the_pass", feed_deliveries_outside_the_pass},
        {"l3_snapshot_new_ids_keep_what_was_ahead", l3_snapshot_new_ids_keep_what_was_ahead},
        {"lognormal_feed_delivers_whole_messages", lognormal_feed_delivers_whole_messages},
        {"timer_first_period_sees_no_later_data", timer_first_period_sees_no_later_data},
        {"k_runs_equal_separate_runs", k_runs_equal_separate_runs},
        {"record_buffer_grows_a_step_at_a_time", record_buffer_grows_a_step_at_a_time},
        {"prints_through_book_counts_the_far_ones", prints_through_book_counts_the_far_ones},
        {"stale_crossing_moves_our_queue", stale_crossing_moves_our_queue},
        {"prob_queue_share", prob_queue_share},
        {"crossed_book_while_not_trading", crossed_book_while_not_trading},
        {"resume_uncross_is_a_print", resume_uncross_is_a_print},
    };
    for (const auto &t : tests) {
        const int before = failures;
        t.second();
        std::printf("%-32s %s\n", t.first, failures == before ? "ok" : "FAILED");
    }
    std::printf("%d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
