// Exceptions the engine throws. The bindings map them, in one translator, onto
// mmsim.DataError (with `index`) and mmsim.StrategyError (with `code`, `local_ts`).
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

// A strategy failed: `code` is one of the engine's codes below (negative), or a
// compiled strategy's own non-0/1 return value.
struct StrategyFailure : std::runtime_error {
    int64_t code;
    int64_t local_ts;
    StrategyFailure(int64_t c, int64_t ts, const std::string &what)
        : std::runtime_error(what), code(c), local_ts(ts) {}
};

// The engine's own strategy failure codes (kept distinct from a strategy's codes, which are >= 2).
enum ErrorCode : int64_t {
    kPythonErrorCode = -1,    // a Python strategy raised (the binding keeps the exception)
    kBadQuoteCode = -2,       // the quote is not finite, not whole ticks/lots, or a size is negative
    kTooManyOrdersCode = -3,  // more than max_orders live orders
    kNoProgressCode = -4,     // too many calls at one local time (a zero-latency livelock)
    kBadOrderCode = -5,       // an explicit order is invalid (type, side, price, size, or too many)
    kInterruptCode = -6,      // stop the whole pass, as a stop request would (a Python strategy saw Ctrl-C)
};

// Thrown inside a pass to end it at once: a stop request (PassOptions::stop) or a strategy that
// returned kInterruptCode. run_many catches it; every run still going keeps what it did
// (RunOutput::interrupted). Not an error of any run.
struct PassInterrupted {};

}  // namespace mmsim
