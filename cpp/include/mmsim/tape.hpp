// The tape: what the local side of every run can see, recorded once per pass.
//
// With no market impact the local book after delivering events 0..d-1 is the exchange
// book after those events, and the signals are a function of those events alone (they
// are fed exch_ts, never a delivery time). So the market part of a strategy's view, and
// the signal values recorded with a fill, depend on d alone, whatever the run's
// latencies. The pass records them once at each position d where some run's local side
// can rest: the end of every venue message (events at one exch_ts; every feed delivers a
// message whole, a recorded or random one at the latest of its events' times). Each run
// reads the entry of its own position.
//
// Entries are a ring of int64 words, one fixed-size row per entry, kept from the oldest
// entry a run still reads to the newest; the ring doubles when it is full (rarely).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mmsim/strategy.hpp"

namespace mmsim {

class Tape {
  public:
    // Row layout (int64 words).
    static constexpr int kPos = 0;      // d: the entry is the state after events 0..d-1
    static constexpr int kTsLast = 1;   // exch_ts of event d-1 (INT64_MIN for d = 0)
    static constexpr int kMarket = 2;   // best bid, best ask, bid qty, ask qty, 4 x kViewDepth depth words, status
    static constexpr int kMarketWords = 4 + 4 * kViewDepth + 1;  // as laid out in View from best_bid on
    static constexpr int kStatus = kMarket + 4 + 4 * kViewDepth;  // the trading status word
    static constexpr int kFixedWords = kMarket + kMarketWords;

    // n_feeds: runs whose feed has its own delivery time per entry; n_sets: signal sets.
    void configure(int n_feeds, int n_sets, int64_t capacity = 1024) {
        feeds_ = n_feeds;
        stride_ = kFixedWords + n_feeds + n_sets * MMSIM_SIG_COUNT;
        cap_ = capacity;
        buf_.assign(static_cast<size_t>(cap_ * stride_), 0);
        head_ = tail_ = 0;
    }
    // Entries recorded so far; entry j (0 <= j < size()) is readable while j >= tail.
    int64_t size() const { return head_; }
    const int64_t *at(int64_t j) const { return buf_.data() + (j & (cap_ - 1)) * stride_; }
    int64_t delivery(int64_t j, int feed) const { return at(j)[kFixedWords + feed]; }
    const double *signals(int64_t j, int set) const {
        return reinterpret_cast<const double *>(at(j) + kFixedWords + feeds_ + set * MMSIM_SIG_COUNT);
    }
    // Oldest entry still read by some run (entries below it may be overwritten).
    void set_tail(int64_t j) { tail_ = j; }
    bool full() const { return head_ - tail_ >= cap_; }
    // A new row at the head (the caller made room: !full()).
    int64_t *push() {
        int64_t *w = buf_.data() + (head_ & (cap_ - 1)) * stride_;
        ++head_;
        return w;
    }
    double *signals_of(int64_t *row, int set) const {
        return reinterpret_cast<double *>(row + kFixedWords + feeds_ + set * MMSIM_SIG_COUNT);
    }
    int64_t *deliveries_of(int64_t *row) const { return row + kFixedWords; }
    void grow() {
        std::vector<int64_t> nb(buf_.size() * 2);
        const int64_t ncap = cap_ * 2;
        for (int64_t j = tail_; j < head_; ++j)
            std::memcpy(nb.data() + (j & (ncap - 1)) * stride_, at(j), static_cast<size_t>(stride_) * sizeof(int64_t));
        buf_.swap(nb);
        cap_ = ncap;
    }

  private:
    std::vector<int64_t> buf_;
    int64_t stride_ = kFixedWords, cap_ = 0, head_ = 0, tail_ = 0;
    int feeds_ = 0;
};

static_assert(offsetof(View, trading_status) + sizeof(View::trading_status) - offsetof(View, best_bid) ==
                  Tape::kMarketWords * sizeof(int64_t),
              "the tape's market words mirror View from best_bid to trading_status");

}  // namespace mmsim
