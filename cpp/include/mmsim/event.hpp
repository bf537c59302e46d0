// The event record, read in place from the numpy buffer (mmsim.EVENT_DTYPE).
#pragma once
#include <cstdint>

namespace mmsim {

enum class Kind : uint8_t {
    Depth = 1,    // set L2 level side/price to qty (0 removes it)
    Trade = 2,    // trade print; side is the aggressor
    Clear = 3,    // empty one side (side +1/-1) or both (0)
    Add = 4,      // L3: new order
    Cancel = 5,   // L3: reduce an order by qty
    Delete = 6,   // L3: remove an order (qty = its remaining size)
    Execute = 7,  // L3: resting order traded qty (aggressor is the other side)
    Status = 8,   // trading status changes to qty (TradingStatus); no book change
};

// The venue's trading status (qty of a Status event); mirrored by mmsim.TradingStatus.
enum class TradingStatus : int64_t { Halted = 1, Quoting = 2, Trading = 3 };

struct Event {
    int64_t exch_ts;
    int64_t local_ts;
    int64_t price;
    int64_t qty;
    int64_t order_id;
    uint8_t kind;
    int8_t side;
    uint8_t pad_[6];
};
static_assert(sizeof(Event) == 48, "Event must match mmsim.EVENT_DTYPE");

inline bool is_l3(uint8_t k) { return k >= 4 && k <= 7; }

}  // namespace mmsim
