// Output records, mirrored by numpy dtypes in src/mmsim/records.py.
#pragma once
#include <cstdint>

namespace mmsim {

enum class OrderEvent : uint8_t {
    Sent = 1, Acked = 2, Rejected = 3, CancelSent = 4, Canceled = 5,
    CancelRejected = 6, Filled = 7, Expired = 8,
};

enum class RejectReason : uint8_t { None = 0, PostOnlyWouldCross = 1, OrderDone = 2 };

struct FillRecord {
    int64_t exch_ts;
    int64_t local_ts;
    int64_t order_id;
    int64_t price;
    int64_t qty;
    int64_t leaves;
    int64_t position;
    int64_t best_bid;
    int64_t best_ask;
    double fee;
    int8_t side;
    bool maker;
    bool after_cancel;
    uint8_t pad_[5];
};
static_assert(sizeof(FillRecord) == 88, "FillRecord must match FILL_DTYPE");

struct OrderLogRecord {
    int64_t exch_ts;
    int64_t local_ts;
    int64_t order_id;
    int64_t price;
    int64_t qty;
    int64_t leaves;
    uint8_t event;
    int8_t side;
    uint8_t reason;
    uint8_t pad_[5];
};
static_assert(sizeof(OrderLogRecord) == 56, "OrderLogRecord must match ORDER_LOG_DTYPE");

struct SampleRecord {
    int64_t exch_ts;
    int64_t best_bid;
    int64_t best_ask;
    int64_t position;
    int64_t cash_ticks;
    double fees;
    int64_t n_fills;
};
static_assert(sizeof(SampleRecord) == 56, "SampleRecord must match SAMPLE_DTYPE");

}  // namespace mmsim
