// Latency models, one class each (hftbacktest's naming): ConstantLatencyModel,
// RecordedFeedLatency (the feed's recorded receive times, plus an optional offset) and LogNormalLatencyModel
// (a seeded random draw). A new model is a new subclass; the engine only calls
// `arrival` (order and response messages) and `feed_arrival` (market data).
//
// The random generator is our own (splitmix64 + xoshiro256**, Box-Muller) rather
// than <random>'s distributions, whose output differs between standard libraries:
// a run must be bit-identical everywhere for a given seed.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "mmsim/errors.hpp"
#include "mmsim/event.hpp"
#include "mmsim/limits.hpp"

namespace mmsim {

class Rng {
  public:
    explicit Rng(uint64_t seed = 0) { reseed(seed); }
    void reseed(uint64_t seed) {
        uint64_t x = seed;
        for (auto &s : s_) s = splitmix(x);
    }
    uint64_t next() {
        const uint64_t r = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return r;
    }
    // Uniform in (0, 1).
    double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    double normal() {
        const double u1 = uniform(), u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix(uint64_t &x) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t s_[4];
};

// One direction of travel: exchange -> local (feed, responses) or local -> exchange (orders).
// A config holds a prototype; each run gets its own instance from clone(seed), so a random
// model's stream belongs to one run and does not depend on what else shares the pass.
class LatencyModel {
  public:
    virtual ~LatencyModel() = default;
    // A fresh instance for one run; `seed` seeds its random stream (if any).
    virtual std::unique_ptr<LatencyModel> clone(uint64_t seed) const = 0;
    // When a message sent at `ts` arrives (>= ts).
    virtual int64_t arrival(int64_t ts) = 0;
    // When market event `e` (index `i`) reaches the local side, called for the events in
    // order. Throws DataError for an event the model cannot deliver. The engine delivers a
    // venue message (the events at one exch_ts) whole, at the latest of its events' times
    // (and never before the message ahead of it): a model that draws should draw once per
    // message (LogNormalLatencyModel does).
    virtual int64_t feed_arrival(const Event &e, int64_t i) {
        (void)i;
        return arrival(e.exch_ts);
    }
    // True when every message takes exactly constant_ns(): the engine then delivers market
    // data by venue message (events at one exch_ts) without asking the model per event.
    virtual bool is_constant() const { return false; }
    virtual int64_t constant_ns() const { return 0; }
};

class ConstantLatencyModel final : public LatencyModel {
  public:
    explicit ConstantLatencyModel(int64_t ns) : ns_(ns) {
        if (ns < 0 || ns > kMaxLatencyNs) throw std::invalid_argument("a constant latency must be in [0, 1 day] ns");
    }
    std::unique_ptr<LatencyModel> clone(uint64_t) const override {
        return std::make_unique<ConstantLatencyModel>(ns_);
    }
    int64_t arrival(int64_t ts) override { return ts + ns_; }
    bool is_constant() const override { return true; }
    int64_t constant_ns() const override { return ns_; }

  private:
    int64_t ns_;
};

// The feed as recorded, plus a fixed offset: each event reaches the local side at its own
// local_ts + offset_ns (`recorded + 5ms`: "my feed, 5 ms slower"; offset 0 is `recorded`).
// The offset is in [0, 1 day]: a negative one could deliver an event before it happened (the
// config refuses it), and the recorded latency plus the offset is bounded like every latency.
class RecordedFeedLatency final : public LatencyModel {
  public:
    explicit RecordedFeedLatency(int64_t offset_ns = 0) : offset_(offset_ns) {
        if (offset_ns < 0 || offset_ns > kMaxLatencyNs)
            throw std::invalid_argument("a recorded feed's offset must be in [0, 1 day] ns");
    }
    std::unique_ptr<LatencyModel> clone(uint64_t) const override {
        return std::make_unique<RecordedFeedLatency>(offset_);
    }
    int64_t arrival(int64_t ts) override { return ts; }  // feed only (the config refuses it elsewhere)
    int64_t feed_arrival(const Event &e, int64_t i) override {
        if (e.local_ts < e.exch_ts)
            throw DataError(i, "local_ts " + std::to_string(e.local_ts) + " is before exch_ts " +
                                   std::to_string(e.exch_ts) +
                                   ": the feed would deliver the event before it happened (fix the recorder "
                                   "clock when converting, or use a modelled feed latency)");
        // exch_ts >= 0 here (the pass checked it), so the difference cannot wrap; the offset is
        // at most kMaxLatencyNs, so neither can the bound, and local_ts + offset_ stays below
        // kMaxEventTs + kMaxLatencyNs.
        if (e.local_ts - e.exch_ts > kMaxLatencyNs - offset_) {
            if (offset_ == 0)
                throw DataError(i, "local_ts " + std::to_string(e.local_ts) + " is more than one day after exch_ts " +
                                       std::to_string(e.exch_ts) +
                                       ": a recorded feed latency beyond the bound every latency has (a timestamp "
                                       "in the wrong unit, or a corrupt one?)");
            throw DataError(i, "local_ts " + std::to_string(e.local_ts) + " plus the feed's offset " +
                                   std::to_string(offset_) + " ns is more than one day after exch_ts " +
                                   std::to_string(e.exch_ts) +
                                   ": a recorded feed latency with its offset beyond the bound every latency has "
                                   "(a timestamp in the wrong unit, a corrupt one, or too large an offset?)");
        }
        return e.local_ts + offset_;
    }
    int64_t offset_ns() const { return offset_; }

  private:
    int64_t offset_;
};

// min_ns + a lognormal draw with the given median and shape (sigma of the log), per message:
// an order or response message (arrival), or a venue message of the feed (feed_arrival: one
// draw for all the events at one exch_ts, so a message's events travel together). The latency is at most one day (kMaxLatencyNs): a draw beyond it is cut to it, so that
// exp(sigma * z) can never overflow the clock (with sigma <= 2 and a median of a second
// or less no draw comes near it).
class LogNormalLatencyModel final : public LatencyModel {
  public:
    LogNormalLatencyModel(double median_ns, double sigma, int64_t min_ns, uint64_t seed = 0)
        : median_ns_(median_ns), sigma_(sigma), min_ns_(min_ns),
          max_draw_(static_cast<double>(kMaxLatencyNs - min_ns)), rng_(seed) {
        if (!(median_ns > 0 && median_ns <= static_cast<double>(kMaxLatencyNs)) || !(sigma >= 0 && sigma <= 10) ||
            min_ns < 0 || min_ns > kMaxLatencyNs)
            throw std::invalid_argument(
                "a lognormal latency needs median_ns in (0, 1 day], sigma in [0, 10] and min_ns in [0, 1 day]");
    }
    std::unique_ptr<LatencyModel> clone(uint64_t seed) const override {
        return std::make_unique<LogNormalLatencyModel>(median_ns_, sigma_, min_ns_, seed);
    }
    int64_t arrival(int64_t ts) override {
        const double d = median_ns_ * std::exp(sigma_ * rng_.normal());
        return ts + min_ns_ + static_cast<int64_t>(std::llround(d < max_draw_ ? d : max_draw_));
    }
    // One draw per venue message: the events of a message (consecutive, at one exch_ts) share it.
    int64_t feed_arrival(const Event &e, int64_t i) override {
        (void)i;
        if (!drawn_ || e.exch_ts != msg_ts_) {
            msg_arrival_ = arrival(e.exch_ts);
            msg_ts_ = e.exch_ts;
            drawn_ = true;
        }
        return msg_arrival_;
    }

  private:
    double median_ns_, sigma_;
    int64_t min_ns_;
    double max_draw_;
    Rng rng_;
    bool drawn_ = false;      // feed: a message's draw is held
    int64_t msg_ts_ = 0;      // ... for the message at this exch_ts
    int64_t msg_arrival_ = 0;
};

}  // namespace mmsim
