// Latency models: constant, recorded (feed only), or a seeded lognormal draw.
//
// The random generator is our own (splitmix64 + xoshiro256**, Box-Muller) rather
// than <random>'s distributions, whose output differs between standard libraries:
// a run must be bit-identical everywhere for a given seed.
#pragma once
#include <cmath>
#include <cstdint>

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

enum class LatencyKind : int { Constant = 0, Recorded = 1, LogNormal = 2 };

struct LatencySpec {
    LatencyKind kind = LatencyKind::Constant;
    int64_t ns = 0;          // constant
    double median_ns = 0;    // lognormal median
    double sigma = 0;        // lognormal shape
    int64_t min_ns = 0;      // floor added under the draw
};

class LatencyModel {
  public:
    LatencyModel() = default;
    LatencyModel(const LatencySpec &spec, uint64_t seed) : spec_(spec), rng_(seed) {}
    void reseed(uint64_t seed) { rng_.reseed(seed); }
    // Latency for one message sent at `ts` (recorded_ts used by the recorded feed model).
    int64_t arrival(int64_t ts, int64_t recorded_ts) {
        switch (spec_.kind) {
            case LatencyKind::Recorded: return recorded_ts;
            case LatencyKind::LogNormal:
                return ts + spec_.min_ns +
                       static_cast<int64_t>(std::llround(spec_.median_ns * std::exp(spec_.sigma * rng_.normal())));
            default: return ts + spec_.ns;
        }
    }
    bool recorded() const { return spec_.kind == LatencyKind::Recorded; }
    bool constant() const { return spec_.kind == LatencyKind::Constant; }
    int64_t constant_ns() const { return spec_.ns; }

  private:
    LatencySpec spec_;
    Rng rng_;
};

}  // namespace mmsim
