// L2 queue models, one class each (hftbacktest's naming): how a depth decrease at our
// price that is not a trade moves the lots ahead of our order. L3 data needs none (the
// engine keeps exact FIFO). A new model is a new subclass of QueueModel.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

namespace mmsim {

class QueueModel {
  public:
    virtual ~QueueModel() = default;
    virtual std::unique_ptr<QueueModel> clone() const = 0;
    // Lots ahead of us after `dec` > 0 lots were cancelled from our level, which went from
    // prev_qty to new_qty; `ahead` is what was ahead before. The result is in [0, new_qty].
    virtual int64_t after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec) const = 0;
};

// Every cancel is behind us until the level is smaller than our queue: ahead = min(ahead, level).
class RiskAverseQueueModel final : public QueueModel {
  public:
    std::unique_ptr<QueueModel> clone() const override { return std::make_unique<RiskAverseQueueModel>(); }
    int64_t after_cancel(int64_t ahead, int64_t, int64_t new_qty, int64_t) const override {
        return std::min(ahead, new_qty);
    }
};

// The probabilistic family (Rigtorp 2013; hftbacktest's ProbQueueModel): a cancel falls
// ahead of us with probability f(ahead) / (f(ahead) + f(behind)). The share ahead is
// rounded down to whole lots: we never move up on a fraction of a lot. `prev_qty` is the
// level's size just before the cancel (the caller has taken out what traded there), so
// `prev_qty - ahead` is the lots behind us.
//
// The rounding is exact where the share is: when f(ahead) and f(behind) are whole numbers
// (the power model with a whole exponent: ahead^n is exact in a double below 2^53) the
// share dec * f(ahead) / (f(ahead) + f(behind)) is computed in 128-bit integers, so
// 26/46 of 23 lots is 13, not the 12.999... of the double 26/46 * 23. Otherwise (the log
// model, a fractional exponent) f is irrational almost always and the double quotient
// dec * f(ahead) / (f(ahead) + f(behind)) is taken (the product first: exact for whole
// inputs) with a guard of 8 ulps below a whole number: pow/log1p, the sum, the product
// and the quotient each round by at most half an ulp, so a result that close below k is
// k up to the arithmetic's own error (e.g. log model, 8 ahead, 26 behind, 5 cancelled:
// exactly 2 lots, log 9 / log 243 * 5); a true share that close below k without being
// k is beyond what the doubles resolve.
inline int64_t prob_share_lots(int64_t dec, double ff, double fb) {
    if (!(ff + fb > 0)) return dec;  // nobody on either side (or NaN): all of it ahead
    constexpr double kExact = 9007199254740992.0;  // 2^53
#if defined(__SIZEOF_INT128__)
    if (ff >= 0 && fb >= 0 && ff + fb < kExact && ff == std::floor(ff) && fb == std::floor(fb)) {
        const auto a = static_cast<unsigned __int128>(static_cast<uint64_t>(ff));
        const auto t = a + static_cast<unsigned __int128>(static_cast<uint64_t>(fb));
        return static_cast<int64_t>(static_cast<unsigned __int128>(static_cast<uint64_t>(dec)) * a / t);
    }
#endif
    const double x = static_cast<double>(dec) * ff / (ff + fb);
    const double k = std::floor(x);
    const double up = k + 1;
    const int64_t lots = static_cast<int64_t>(
        up - x <= 8 * std::numeric_limits<double>::epsilon() * up ? up : k);
    return std::min(std::max<int64_t>(lots, 0), dec);
}

inline int64_t prob_queue_after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec, double ff,
                                       double fb) {
    const int64_t back = std::max<int64_t>(0, prev_qty - ahead);
    int64_t dec_ahead = prob_share_lots(dec, ff, fb);
    const int64_t dec_behind = dec - dec_ahead;
    if (dec_behind > back) dec_ahead += dec_behind - back;
    return std::min(std::max<int64_t>(ahead - dec_ahead, 0), new_qty);
}

// f(x) = x^n. A large exponent on large lot counts overflows a double (2e8 lots, as a level
// of 2 BTC in spot's 1e-8 lots, to the 40th is inf; inf / (inf + inf) is NaN, which put the
// order at the front, breaker34 F7): where dec * f(ahead) + f(behind) is not finite the
// share is taken in units of the larger side, (ahead / m)^n and (behind / m)^n with
// m = max(ahead, behind), the same ratio with both terms at most 1. Every finite case is
// computed as before.
class PowerProbQueueModel final : public QueueModel {
  public:
    explicit PowerProbQueueModel(double n) : n_(n) {}
    std::unique_ptr<QueueModel> clone() const override { return std::make_unique<PowerProbQueueModel>(n_); }
    int64_t after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec) const override {
        const int64_t back = std::max<int64_t>(0, prev_qty - ahead);
        double ff = std::pow(static_cast<double>(ahead), n_);
        double fb = std::pow(static_cast<double>(back), n_);
        if (!std::isfinite(static_cast<double>(dec) * ff + fb)) {
            const double m = static_cast<double>(std::max(ahead, back));
            ff = std::pow(static_cast<double>(ahead) / m, n_);
            fb = std::pow(static_cast<double>(back) / m, n_);
        }
        return prob_queue_after_cancel(ahead, prev_qty, new_qty, dec, ff, fb);
    }
    double n() const { return n_; }

  private:
    double n_;
};

// f(x) = log(1 + x).
class LogProbQueueModel final : public QueueModel {
  public:
    std::unique_ptr<QueueModel> clone() const override { return std::make_unique<LogProbQueueModel>(); }
    int64_t after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec) const override {
        const int64_t back = std::max<int64_t>(0, prev_qty - ahead);
        return prob_queue_after_cancel(ahead, prev_qty, new_qty, dec, std::log1p(static_cast<double>(ahead)),
                                       std::log1p(static_cast<double>(back)));
    }
};

}  // namespace mmsim
