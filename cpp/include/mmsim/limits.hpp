// The bounds that keep the engine's int64 arithmetic exact (docs/engine.md, "Bad input").
//
// Times are int64 ns, prices int64 ticks, sizes int64 lots. With event times below
// 2100, every latency at most a day and every other duration at most 366 days, no
// time the engine computes (a delivery, an arrival, a response, a timer tick) can
// wrap; prices are kept well inside int64 so that the book's sentinels (INT64_MIN for
// no bid, INT64_MAX for no ask) are never real levels. Products and sums that can
// still overflow (cash in tick*lots, positions, an L3 level's total) are checked where
// they are computed.
#pragma once
#include <cstdint>

namespace mmsim {

// Event times (exch_ts, and local_ts when the feed is recorded) lie in [0, kMaxEventTs):
// 1970-01-01 to 2100-01-01 UTC. The loaders hold real files to 1990-2100; the engine
// accepts from 0 so that hand-built arrays may start at small times.
constexpr int64_t kMaxEventTs = int64_t(4102444800) * 1000000000;
// Every latency a model gives is at most one day (the config's bound on latencies);
// a random draw beyond it is cut to it.
constexpr int64_t kMaxLatencyNs = int64_t(86400) * 1000000000;
// Timer, idle and sample intervals are at most 366 days (the config's bound on durations).
constexpr int64_t kMaxDurationNs = int64_t(366) * 86400 * 1000000000;
// Prices lie in [-kMaxPrice, kMaxPrice) ticks (2^62): a range of whole book pages (4,096
// ticks), so the book checks it only when it gives a price a new page.
constexpr int64_t kMaxPrice = int64_t(1) << 62;
// A quote's notional |price| * size must stay below this many tick*lots (2^62), so that
// one fill at our price fits in int64 with room to spare.
constexpr double kMaxQuoteNotional = 4611686018427387904.0;

inline bool time_ok(int64_t ts) { return static_cast<uint64_t>(ts) < static_cast<uint64_t>(kMaxEventTs); }
inline bool price_ok(int64_t px) {
    return static_cast<uint64_t>(px) + static_cast<uint64_t>(kMaxPrice) < 2 * static_cast<uint64_t>(kMaxPrice);
}

}  // namespace mmsim
