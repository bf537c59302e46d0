// L2 queue models, one class each (hftbacktest's naming): how a depth decrease at our
// price that is not a trade moves the lots ahead of our order. L3 data needs none (the
// engine keeps exact FIFO). A new model is a new subclass of QueueModel.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
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
// rounded down to whole lots: we never move up on a fraction of a lot.
inline int64_t prob_queue_after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec, double ff,
                                       double fb) {
    const int64_t back = std::max<int64_t>(0, prev_qty - ahead);
    const double share = (ff + fb) > 0 ? ff / (ff + fb) : 1.0;
    int64_t dec_ahead = static_cast<int64_t>(std::floor(static_cast<double>(dec) * share));
    const int64_t dec_behind = dec - dec_ahead;
    if (dec_behind > back) dec_ahead += dec_behind - back;
    return std::min(std::max<int64_t>(ahead - dec_ahead, 0), new_qty);
}

// f(x) = x^n.
class PowerProbQueueModel final : public QueueModel {
  public:
    explicit PowerProbQueueModel(double n) : n_(n) {}
    std::unique_ptr<QueueModel> clone() const override { return std::make_unique<PowerProbQueueModel>(n_); }
    int64_t after_cancel(int64_t ahead, int64_t prev_qty, int64_t new_qty, int64_t dec) const override {
        const int64_t back = std::max<int64_t>(0, prev_qty - ahead);
        return prob_queue_after_cancel(ahead, prev_qty, new_qty, dec, std::pow(static_cast<double>(ahead), n_),
                                       std::pow(static_cast<double>(back), n_));
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
