// The two-clock replay engine (docs/design.md section 4), many runs in one pass.
//
// The exchange side processes market events in exch_ts order and owns the true book;
// each run ("variant") owns its resting orders with their queue positions. The local
// side of a run (its strategy) sees each event at local_ts = exch_ts + feed latency,
// sends order actions that reach the exchange after the entry latency, and learns of
// acks, rejects, fills and cancels after the response latency.
//
// run_many replays one event array for K runs at once. With no market impact the
// exchange book is the same for every run, so it is applied once per event, and the
// market part of every strategy view is recorded once on the tape (tape.hpp). What is
// per run is its orders and queue positions, its messages in flight, its feed cursor,
// timer, strategy calls and results (variant.hpp). Each run's result is bit-identical
// to replaying it alone.
//
// Order of things at one nanosecond (the scheduler in engine.cpp owns it):
//   1. exchange market events (a whole venue message: every event at that exch_ts),
//   2. our order messages arriving at the exchange,
//   3. on the local side: responses, then market data, then the timer; then one
//      strategy call for everything learnt at that time.
// Runs do not interact, so between two venue messages each run handles its own items
// up to the next message's time on its own.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "mmsim/event.hpp"
#include "mmsim/latency.hpp"
#include "mmsim/queue.hpp"
#include "mmsim/records.hpp"
#include "mmsim/strategy.hpp"
#include "mmsim_signals.h"

namespace mmsim {

// On L3 data, what an execution of a market order queued *behind* ours at our price does
// to our order (docs/engine.md, "L3 queue options").
enum class L3BehindFill : uint8_t {
    // The aggressor would have hit us first: at the end of the venue message, the executed
    // lots behind us less the lots still ahead of us (and our own orders before ours) fill us.
    Remainder = 0,
    // hftbacktest's L3FIFOQueueModel: all of our order fills, at once, whatever its size and
    // whatever is still ahead of us.
    Hftbacktest = 1,
};

// What decides one run, apart from its strategy. Models are prototypes: each run
// clones its own (a random latency's stream belongs to one run).
struct EngineConfig {
    std::shared_ptr<LatencyModel> feed = std::make_shared<ConstantLatencyModel>(0);
    std::shared_ptr<LatencyModel> entry = std::make_shared<ConstantLatencyModel>(0);
    std::shared_ptr<LatencyModel> response = std::make_shared<ConstantLatencyModel>(0);
    uint64_t seed = 0;  // seeds the random latency streams (feed, entry, response each its own)
    std::shared_ptr<QueueModel> queue = std::make_shared<RiskAverseQueueModel>();
    double maker_fee_bps = 0, taker_fee_bps = 0, maker_fee_per_lot = 0, taker_fee_per_lot = 0;
    double tick_value = 1.0;  // currency value of one tick * one lot (tick_size*lot_size*contract_size)
    bool post_only = true;
    int64_t decide_every = 0;  // 0: call the strategy after every local update
    // The timer sleeps after max_idle ns (or kMaxIdleTicks ticks, if fewer) without market
    // data, and wakes on its grid at the next delivery.
    int64_t max_idle = 60000000000;
    int64_t sample_every = 1000000000;
    bool signals = true;
    MmsimSignalParams signal_params{};  // zero fields: the crate's defaults
    int64_t max_orders = 64;
    int64_t ladder_levels = 1;  // target levels a quote may hold per side, 1..kMaxLadder
    L3BehindFill l3_behind_fill = L3BehindFill::Remainder;
    // Checked mode: on L3 data, after every event, each of our orders' lots ahead must equal
    // the lots of the book's orders at its level with an earlier priority (a DataError
    // naming the event otherwise). Costs a shadow index of the book; off by default.
    bool check_invariants = false;
    // Record one DecisionRecord per strategy call (RunOutput::decisions). The order log's
    // `decision` column is written either way.
    bool decision_log = true;
    // Test hook (never set by a user config): the tape entry that first holds event
    // debug_early_event reaches this run debug_early_ns before its delivery time (never
    // before the event happened): a deliberate look-ahead, for the audit's tests.
    int64_t debug_early_event = -1;
    int64_t debug_early_ns = 0;
};

// The timer sleeps after at most this many ticks without market data.
constexpr int64_t kMaxIdleTicks = 100000;

// One run of a pass: its config and the strategy it calls.
struct RunSpec {
    EngineConfig config;
    Strategy strategy;
};

// What one run produced (records.hpp). `error` is set when the run failed (`shared_error`:
// by a bad event, which fails every run still going); a run the pass stopped before its
// end (another run failed and stop_on_error) has completed == false and no error.
struct RunOutput {
    RecordBuffer<FillRecord> fills;
    RecordBuffer<OrderLogRecord> order_log;
    RecordBuffer<SampleRecord> samples;
    RecordBuffer<FillSignalsRecord> fill_signals;  // one per fill
    RecordBuffer<DecisionRecord> decisions;        // one per strategy call (decision_log)
    int64_t position = 0, cash_ticks = 0;
    double fees = 0;
    int64_t n_calls = 0, n_events = 0;
    // Our messages (new orders, cancels) that would have reached the exchange after its last
    // event: the run ends there, so they are never matched (docs/engine.md, "Targets, not orders").
    int64_t unsent_at_end = 0;
    bool completed = false;
    // The pass was stopped (PassOptions::stop, or a strategy's kInterruptCode) before this run's
    // end; it keeps what it did, with a last sample at the stop, and has no error.
    bool interrupted = false;
    std::exception_ptr error;
    bool shared_error = false;
};

struct PassOptions {
    // The events are a read-only file mapping: hand pages the exchange side is done with
    // back to the kernel as the replay goes, so resident memory stays flat.
    bool release_pages = false;
    // A run that fails stops the whole pass (the others are left incomplete); otherwise
    // it drops out and the others go on. A bad event fails every run still going.
    bool stop_on_error = true;
    // Exchange-side events done so far, for a progress bar polled from another thread.
    std::atomic<int64_t> *progress = nullptr;
    // A stop request: once true (set from any thread, or by `poll`), the pass ends at its next
    // check (every kStopCheckEvents exchange events, at the end of a venue message, and every
    // kStopCheckCalls strategy calls, before a call), and every
    // run still going is interrupted (RunOutput::interrupted). A Python strategy's adapter
    // also reads it before each call.
    const std::atomic<bool> *stop = nullptr;
    // Called on the pass's own thread at each of those checks, before `stop` is read (the
    // Python binding runs Python's signal handlers there, so Ctrl-C reaches a pass that runs
    // on the main thread). Not called when null.
    void (*poll)(void *user) = nullptr;
    void *poll_user = nullptr;
};

// Exchange events, and strategy calls (over all runs), between two checks of PassOptions::stop
// (the events a power of two): about 0.1 to 1 ms of a pass, never per event.
constexpr int64_t kStopCheckEvents = int64_t(1) << 12;
constexpr int64_t kStopCheckCalls = 4096;

// Replay events[0, n) for every run in one pass. Errors are reported per run in
// RunOutput::error (DataError / StrategyFailure), never thrown.
std::vector<RunOutput> run_many(const Event *events, int64_t n, const std::vector<RunSpec> &runs,
                                const PassOptions &options = {});

// One run: run_many with one run; rethrows its error.
RunOutput run(const Event *events, int64_t n, const RunSpec &spec, const PassOptions &options = {});

// When each event reaches the local side under `feed` seeded as a run with `seed` seeds it
// (out: n arrival times, before the engine delivers each venue message whole at the latest
// of its events' times and clamps the stream to be monotone). Draws the same random
// delivery times as a run's feed, from a fresh model, outside any pass: the look-ahead
// audit recomputes deliveries with it. Throws DataError for an event the model cannot deliver.
void feed_deliveries(const Event *events, int64_t n, const LatencyModel &feed, uint64_t seed, int64_t *out);

// Replay the book only: best bid/ask and their sizes after each event (exchange side).
// Of `options`, only `stop` and `poll` are read (every kStopCheckEvents events); a stop
// request throws PassInterrupted.
void replay_bbo(const Event *events, int64_t n, int64_t *best_bid, int64_t *best_ask, int64_t *bid_qty,
                int64_t *ask_qty, const PassOptions &options = {});

// One TRADE print through the book (prints_through_book): event `index`, its `price`,
// the `best` price it went through (ticks; the best bid for a seller's print, the best
// ask for a buyer's, before the event) and its aggressor `side` (+1, -1 or 0).
struct ThroughPrint {
    int64_t index;
    int64_t price;
    int64_t best;
    int8_t side;
};

// Replay the book only (as replay_bbo) and count the TRADE prints through the book by
// more than `band` of the best price they went through: a seller's print (side -1)
// below the best bid before it, a buyer's (+1) above the best ask before it, an
// unknown aggressor's (0) either, by more than band * that best price (compared in long
// double; the double 0.1 is a hair above 1/10, so a print exactly 10% through is not
// counted); only where that
// best price is > 0 (a relative band means nothing at or below 0) and its side is not
// empty. EXECUTE events (at a resting order's own price) are not looked at. The first
// min(count, keep) such prints go to first[0..). Allocates nothing per event. Of
// `options`, only `stop` and `poll` are read, as for replay_bbo. Throws DataError for a
// bad event (as replay_bbo) and std::invalid_argument for a band that is not finite
// and >= 0 or a negative keep.
int64_t prints_through_book(const Event *events, int64_t n, double band, ThroughPrint *first, int64_t keep,
                            const PassOptions &options = {});

// Signals over a whole event array exactly as the engine's local side sees them:
// out holds n * MMSIM_SIG_COUNT doubles, row i = values after event i. A stop request
// (options.stop, options.poll, as for replay_bbo) throws PassInterrupted.
void compute_signals(const Event *events, int64_t n, const MmsimSignalParams &params, double *out,
                     const PassOptions &options = {});

}  // namespace mmsim
