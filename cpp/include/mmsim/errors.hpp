// Exceptions the engine throws; the bindings turn them into mmsim.DataError / StrategyError.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mmsim {

// Bad market data: `index` is the event's position in the array.
struct DataError : std::runtime_error {
    int64_t index;
    DataError(int64_t i, const std::string &what)
        : std::runtime_error("event " + std::to_string(i) + ": " + what), index(i) {}
};

// A strategy failed: code < 0 is a Python exception held by the binding; otherwise a
// numba strategy's own error code, or one of the engine's validation codes below.
struct StrategyFailure : std::runtime_error {
    int64_t code;
    int64_t local_ts;
    StrategyFailure(int64_t c, int64_t ts, const std::string &what)
        : std::runtime_error(what), code(c), local_ts(ts) {}
};

// Engine-side validation codes of a strategy's quote (kept distinct from user codes).
constexpr int64_t kBadQuoteCode = -2;
constexpr int64_t kPythonErrorCode = -1;
constexpr int64_t kTooManyOrdersCode = -3;
constexpr int64_t kNoProgressCode = -4;

}  // namespace mmsim
