// Bindings of the event record: its size and offsets, and the event enums.
#include <pybind11/pybind11.h>

#include <cstddef>

#include "mmsim/event.hpp"

namespace py = pybind11;
using namespace mmsim;

void bind_events(py::module_ &m) {
    m.attr("EVENT_SIZE") = sizeof(Event);
    py::dict off;
#define MMSIM_OFF(f) off[#f] = offsetof(Event, f)
    MMSIM_OFF(exch_ts); MMSIM_OFF(local_ts); MMSIM_OFF(price); MMSIM_OFF(qty); MMSIM_OFF(order_id);
    MMSIM_OFF(kind); MMSIM_OFF(side);
#undef MMSIM_OFF
    m.attr("EVENT_OFFSETS") = off;
    py::dict kind, status;
    kind["DEPTH"] = static_cast<int>(Kind::Depth);
    kind["TRADE"] = static_cast<int>(Kind::Trade);
    kind["CLEAR"] = static_cast<int>(Kind::Clear);
    kind["ADD"] = static_cast<int>(Kind::Add);
    kind["CANCEL"] = static_cast<int>(Kind::Cancel);
    kind["DELETE"] = static_cast<int>(Kind::Delete);
    kind["EXECUTE"] = static_cast<int>(Kind::Execute);
    kind["STATUS"] = static_cast<int>(Kind::Status);
    status["HALTED"] = static_cast<int64_t>(TradingStatus::Halted);
    status["QUOTING"] = static_cast<int64_t>(TradingStatus::Quoting);
    status["TRADING"] = static_cast<int64_t>(TradingStatus::Trading);
    py::dict enums = m.attr("ENUMS");
    enums["Kind"] = kind;
    enums["TradingStatus"] = status;
}
