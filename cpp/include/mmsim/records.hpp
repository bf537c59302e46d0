// Output records, mirrored by numpy dtypes in src/mmsim/records.py, and the buffer a run
// appends them to.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "mmsim_signals.h"

namespace mmsim {

enum class OrderEvent : uint8_t {
    Sent = 1, Acked = 2, Rejected = 3, CancelSent = 4, Canceled = 5,
    CancelRejected = 6, Filled = 7, Expired = 8,
};

enum class RejectReason : uint8_t {
    None = 0,
    PostOnlyWouldCross = 1,
    OrderDone = 2,
    Halted = 3,      // the venue is halted (TradingStatus::Halted): it takes no orders
    NotTrading = 4,  // quoting only: an order that would trade (post_only off, crossing) is refused
};

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
    uint8_t order_type;  // OrderType (strategy.hpp)
    int8_t level;        // the target level the order was sent for; -1: an explicit order
    uint8_t pad_[3];
    int64_t tag;         // an explicit order's client tag (0 for target orders)
    // Queue position (docs/engine.md, "Queue position of a fill"); -1 for a taker fill:
    // the lots displayed at the order's price when it arrived at the exchange (the lots
    // ahead of it as it joined the back of its level; 0: it opened the level) ...
    int64_t queue_ahead_at_entry;
    // ... and at the order's price just before this fill (the book best_bid/best_ask are of).
    int64_t level_qty_at_fill;
};
static_assert(sizeof(FillRecord) == 112, "FillRecord must match FILL_DTYPE");

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
    uint8_t order_type;  // OrderType (strategy.hpp)
    int8_t level;        // the target level the order was sent for; -1: an explicit order
    uint8_t pad_[3];
    int64_t tag;         // an explicit order's client tag (0 for target orders)
    // The strategy call this row comes from (0-based over the run's calls; a row of
    // Result.decisions when the decision log is on): for SENT, ACKED, REJECTED, FILLED and
    // EXPIRED the call that sent the order; for CANCEL_SENT, CANCELED and CANCEL_REJECTED
    // the call that sent the cancel.
    int64_t decision;
};
static_assert(sizeof(OrderLogRecord) == 72, "OrderLogRecord must match ORDER_LOG_DTYPE");

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

// The local side's signal values at a fill (NaN when the run's signals are off).
struct FillSignalsRecord {
    double values[MMSIM_SIG_COUNT];
};

// One strategy call and the newest market event in the view it was given (the decision
// log, docs/engine.md "Decisions and information age"). Information age = local_ts -
// event_exch_ts = feed delay (event_local_ts - event_exch_ts) + wait (local_ts -
// event_local_ts). best_bid/best_ask are the view's, for the look-ahead audit.
struct DecisionRecord {
    int64_t local_ts;        // when the strategy was called
    int64_t event_exch_ts;   // exch_ts of the newest market event in the view (INT64_MIN: none yet)
    int64_t event_local_ts;  // when that event reached this run's local side (INT64_MIN: none yet)
    int64_t event_index;     // its index in the event array (-1: none yet)
    int64_t best_bid;        // the view's best bid and ask (ticks; INT64_MIN / INT64_MAX when empty)
    int64_t best_ask;
    int64_t reason;          // Wake bits
};
static_assert(sizeof(DecisionRecord) == 56, "DecisionRecord must match DECISION_DTYPE");

// Which kind of record a buffer holds (finished buffers are kept per kind for reuse).
template <class T>
struct RecordKind;
template <>
struct RecordKind<FillRecord> {
    static constexpr int value = 0;
};
template <>
struct RecordKind<OrderLogRecord> {
    static constexpr int value = 1;
};
template <>
struct RecordKind<SampleRecord> {
    static constexpr int value = 2;
};
template <>
struct RecordKind<FillSignalsRecord> {
    static constexpr int value = 3;
};
template <>
struct RecordKind<DecisionRecord> {
    static constexpr int value = 4;
};
constexpr int kRecordKinds = 5;

// Bytes of a record buffer faulted in at a time, ahead of its records (ready_records).
constexpr size_t kRecordStepBytes = size_t(2) << 20;  // one huge page

// Grow (or first get) `p`, of `old_bytes`, to at least `new_bytes` (set to what it got);
// keeps the contents, copying none. `ready`: bytes from the start known to be faulted in
// (in: of `p`; out: of the result; a hint, never needed for correctness). Linux: one private
// anonymous mapping, extended by mremap (no copy: its page tables move, 0.3 ms for 2 GiB),
// with transparent huge pages asked for once it is large; a finished run's mapping is kept
// (up to a bound) for the next run's records of the same kind. Elsewhere: realloc.
void *grow_records(void *p, size_t old_bytes, size_t &new_bytes, size_t &ready, int kind);
// Fault in the next kRecordStepBytes of `p` (of `bytes`) from `ready`, in one call rather
// than one trap per page; returns the new `ready`.
size_t ready_records(void *p, size_t ready, size_t bytes);
void free_records(void *p, size_t bytes, int kind);

// Append-only records of one run (fills, the order log, samples, decisions). Appending
// happens per fill, order action or strategy call, never per event. The mapping doubles
// without copying the records, and is faulted in kRecordStepBytes at a time as the records
// reach it: growing costs its page faults and nothing more, and never stalls the pass for
// longer than one step (a pass checks its stop request between records; docs/engine.md,
// "Ctrl-C"). Before, the doubled half was faulted in at once: 1.4 s for a 2 GiB decision log
// growing to 4 GiB, and the resident memory twice the records.
template <class T>
class RecordBuffer {
    static_assert(std::is_trivially_copyable<T>::value, "records are plain structs");

  public:
    RecordBuffer() = default;
    RecordBuffer(const RecordBuffer &) = delete;
    RecordBuffer &operator=(const RecordBuffer &) = delete;
    RecordBuffer(RecordBuffer &&o) noexcept : data_(o.data_), size_(o.size_), bytes_(o.bytes_), ready_(o.ready_) {
        o.data_ = nullptr;
        o.size_ = o.bytes_ = o.ready_ = 0;
    }
    RecordBuffer &operator=(RecordBuffer &&o) noexcept {
        if (this != &o) {
            free_records(data_, bytes_, RecordKind<T>::value);
            data_ = o.data_;
            size_ = o.size_;
            bytes_ = o.bytes_;
            ready_ = o.ready_;
            o.data_ = nullptr;
            o.size_ = o.bytes_ = o.ready_ = 0;
        }
        return *this;
    }
    ~RecordBuffer() { free_records(data_, bytes_, RecordKind<T>::value); }

    void push_back(const T &v) { *append() = v; }
    // A new record at the end, to be written field by field (building it on the stack
    // and copying it costs a store-forwarding stall per 16 bytes).
    T *append() {
        if ((size_ + 1) * sizeof(T) > ready_) grow();
        return data_ + size_++;
    }
    const T *data() const { return data_; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const T &operator[](size_t k) const { return data_[k]; }
    const T *begin() const { return data_; }
    const T *end() const { return data_ + size_; }

  private:
    void grow() {
        if ((size_ + 1) * sizeof(T) > bytes_) {
            size_t nb = bytes_ ? 2 * bytes_ : size_t(64) << 10;
            data_ = static_cast<T *>(grow_records(data_, bytes_, nb, ready_, RecordKind<T>::value));
            bytes_ = nb;
        }
        ready_ = ready_records(data_, ready_, bytes_);
    }
    T *data_ = nullptr;
    size_t size_ = 0, bytes_ = 0, ready_ = 0;
};

}  // namespace mmsim
