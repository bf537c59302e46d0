// Bindings of the engine: config structs, the Engine, and the book-only replays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>

#include "mmsim/engine.hpp"
#include "mmsim/errors.hpp"

namespace py = pybind11;
using namespace mmsim;

namespace {

const Event *event_ptr(const py::buffer &buf, int64_t &n) {
    const py::buffer_info info = buf.request();
    if (info.ndim != 1 || info.itemsize != static_cast<py::ssize_t>(sizeof(Event)) ||
        (info.shape[0] > 1 && info.strides[0] != static_cast<py::ssize_t>(sizeof(Event))))
        throw py::value_error("events must be a 1-d, C-contiguous array of mmsim.EVENT_DTYPE");
    n = info.shape[0];
    return static_cast<const Event *>(info.ptr);
}

py::bytes as_bytes(const void *p, size_t nbytes) { return py::bytes(static_cast<const char *>(p), nbytes); }

// Python strategy: quote_cb() -> None | (bid_px, bid_qty, ask_px, ask_qty); fill_cb(side, px, qty, exch_ts).
// Exceptions are kept by the Python side (which knows the strategy); here they only become an error code.
struct PyStrategy {
    py::object quote_cb, fill_cb;
};

int64_t py_quote(void *user, const View *, Quote *out) {
    auto *s = static_cast<PyStrategy *>(user);
    try {
        py::object r = s->quote_cb();
        if (r.is_none()) return QuoteNoChange;
        py::tuple t = r.cast<py::tuple>();
        out->bid_px = t[0].cast<double>();
        out->bid_qty = t[1].cast<double>();
        out->ask_px = t[2].cast<double>();
        out->ask_qty = t[3].cast<double>();
        return QuoteSet;
    } catch (py::error_already_set &) {
        return kPythonErrorCode;
    } catch (py::cast_error &) {
        return kPythonErrorCode;
    }
}

int64_t py_fill(void *user, const ToLocal &f) {
    auto *s = static_cast<PyStrategy *>(user);
    if (s->fill_cb.is_none()) return 0;
    try {
        s->fill_cb(static_cast<int>(f.side), f.price, f.qty, f.exch_ts);
        return 0;
    } catch (py::error_already_set &) {
        return kPythonErrorCode;
    }
}

struct NativeStrategy {
    int64_t (*fn)(const View *, double *, double *, Quote *);
    double *params;
    double *state;
};

int64_t native_quote(void *user, const View *v, Quote *out) {
    auto *s = static_cast<NativeStrategy *>(user);
    return s->fn(v, s->params, s->state, out);
}

}  // namespace

void bind_engine(py::module_ &m) {
    static py::exception<DataError> data_exc(m, "DataFault", PyExc_ValueError);
    static py::exception<StrategyFailure> strat_exc(m, "StrategyFault", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const DataError &e) {
            PyErr_SetObject(data_exc.ptr(), py::make_tuple(e.what(), e.index).ptr());
        } catch (const StrategyFailure &e) {
            PyErr_SetObject(strat_exc.ptr(), py::make_tuple(e.what(), e.code, e.local_ts).ptr());
        }
    });

    py::class_<LatencySpec>(m, "LatencySpec")
        .def(py::init<>())
        .def_property(
            "kind", [](const LatencySpec &s) { return static_cast<int>(s.kind); },
            [](LatencySpec &s, int k) { s.kind = static_cast<LatencyKind>(k); })
        .def_readwrite("ns", &LatencySpec::ns)
        .def_readwrite("median_ns", &LatencySpec::median_ns)
        .def_readwrite("sigma", &LatencySpec::sigma)
        .def_readwrite("min_ns", &LatencySpec::min_ns);

    py::class_<EngineConfig>(m, "EngineConfig")
        .def(py::init<>())
        .def_readwrite("feed", &EngineConfig::feed)
        .def_readwrite("entry", &EngineConfig::entry)
        .def_readwrite("response", &EngineConfig::response)
        .def_readwrite("seed", &EngineConfig::seed)
        .def_property(
            "queue", [](const EngineConfig &c) { return static_cast<int>(c.queue); },
            [](EngineConfig &c, int q) { c.queue = static_cast<QueueModel>(q); })
        .def_readwrite("queue_power", &EngineConfig::queue_power)
        .def_readwrite("maker_fee_bps", &EngineConfig::maker_fee_bps)
        .def_readwrite("taker_fee_bps", &EngineConfig::taker_fee_bps)
        .def_readwrite("maker_fee_per_lot", &EngineConfig::maker_fee_per_lot)
        .def_readwrite("taker_fee_per_lot", &EngineConfig::taker_fee_per_lot)
        .def_readwrite("tick_value", &EngineConfig::tick_value)
        .def_readwrite("post_only", &EngineConfig::post_only)
        .def_readwrite("decide_every", &EngineConfig::decide_every)
        .def_readwrite("sample_every", &EngineConfig::sample_every)
        .def_readwrite("signals", &EngineConfig::signals)
        .def_readwrite("signal_params", &EngineConfig::signal_params)
        .def_readwrite("max_orders", &EngineConfig::max_orders);

    py::class_<Engine>(m, "Engine")
        .def(py::init<const EngineConfig &>())
        .def("run_none",
             [](Engine &e, const py::buffer &events, bool release) {
                 int64_t n;
                 const Event *p = event_ptr(events, n);
                 py::gil_scoped_release nogil;
                 e.run(p, n, release);
             })
        .def("run_native",
             [](Engine &e, const py::buffer &events, uintptr_t fn, py::array_t<double> params,
                py::array_t<double> state, bool release) {
                 int64_t n;
                 const Event *p = event_ptr(events, n);
                 NativeStrategy s{reinterpret_cast<int64_t (*)(const View *, double *, double *, Quote *)>(fn),
                                  params.mutable_data(), state.mutable_data()};
                 e.set_strategy(native_quote, &s);
                 py::gil_scoped_release nogil;
                 e.run(p, n, release);
             })
        .def("run_python",
             [](Engine &e, const py::buffer &events, py::object quote_cb, py::object fill_cb, bool release) {
                 int64_t n;
                 const Event *p = event_ptr(events, n);
                 PyStrategy s{std::move(quote_cb), std::move(fill_cb)};
                 e.set_strategy(py_quote, &s);
                 e.set_fill_hook(py_fill);
                 e.run(p, n, release);
             })
        .def("view_memory",
             [](Engine &e) { return py::memoryview::from_memory(&e.view(), sizeof(View), true); },
             py::keep_alive<0, 1>())
        .def("fills_bytes", [](const Engine &e) { return as_bytes(e.fills.data(), e.fills.size() * sizeof(FillRecord)); })
        .def("orders_bytes",
             [](const Engine &e) { return as_bytes(e.order_log.data(), e.order_log.size() * sizeof(OrderLogRecord)); })
        .def("samples_bytes",
             [](const Engine &e) { return as_bytes(e.samples.data(), e.samples.size() * sizeof(SampleRecord)); })
        .def("fill_signals_bytes",
             [](const Engine &e) { return as_bytes(e.fill_signals.data(), e.fill_signals.size() * sizeof(double)); })
        .def_readonly("position", &Engine::position)
        .def_readonly("cash_ticks", &Engine::cash_ticks)
        .def_readonly("fees", &Engine::fees)
        .def_readonly("n_calls", &Engine::n_calls)
        .def_readonly("n_events", &Engine::n_events)
        .def_property_readonly("progress", [](const Engine &e) { return e.progress.load(std::memory_order_relaxed); });

    m.def("replay_bbo", [](const py::buffer &events) {
        int64_t n;
        const Event *p = event_ptr(events, n);
        py::array_t<int64_t> bb(n), ba(n), bq(n), aq(n);
        {
            int64_t *pbb = bb.mutable_data(), *pba = ba.mutable_data(), *pbq = bq.mutable_data(),
                    *paq = aq.mutable_data();
            py::gil_scoped_release nogil;
            replay_bbo(p, n, pbb, pba, pbq, paq);
        }
        py::dict d;
        d["best_bid"] = bb;
        d["best_ask"] = ba;
        d["bid_qty"] = bq;
        d["ask_qty"] = aq;
        return d;
    }, "Best bid/ask and their sizes after each event (exchange book).");

    m.def("compute_signals", [](const py::buffer &events, const MmsimSignalParams &params) {
        int64_t n;
        const Event *p = event_ptr(events, n);
        py::array_t<double> out({n, static_cast<int64_t>(MMSIM_SIG_COUNT)});
        double *po = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            compute_signals(p, n, params, po);
        }
        return out;
    }, "Signals after each event, as the engine's local side computes them (n x SIGNAL_COUNT).");

    // Field offsets of the structs shared with numpy/numba, for the layout tests.
    py::dict view_off, fill_off, log_off, sample_off, event_off;
#define MMSIM_OFF(d, T, f) d[#f] = offsetof(T, f)
    MMSIM_OFF(event_off, Event, exch_ts); MMSIM_OFF(event_off, Event, local_ts); MMSIM_OFF(event_off, Event, price);
    MMSIM_OFF(event_off, Event, qty); MMSIM_OFF(event_off, Event, order_id); MMSIM_OFF(event_off, Event, kind);
    MMSIM_OFF(event_off, Event, side);
    MMSIM_OFF(view_off, View, ts); MMSIM_OFF(view_off, View, reason); MMSIM_OFF(view_off, View, best_bid);
    MMSIM_OFF(view_off, View, best_ask); MMSIM_OFF(view_off, View, bid_qty); MMSIM_OFF(view_off, View, ask_qty);
    MMSIM_OFF(view_off, View, bid_depth_px); MMSIM_OFF(view_off, View, bid_depth_qty);
    MMSIM_OFF(view_off, View, ask_depth_px); MMSIM_OFF(view_off, View, ask_depth_qty);
    MMSIM_OFF(view_off, View, position); MMSIM_OFF(view_off, View, cash); MMSIM_OFF(view_off, View, fees);
    MMSIM_OFF(view_off, View, n_fills); MMSIM_OFF(view_off, View, last_fill_side); MMSIM_OFF(view_off, View, last_fill_px);
    MMSIM_OFF(view_off, View, last_fill_qty); MMSIM_OFF(view_off, View, last_fill_ts);
    MMSIM_OFF(view_off, View, bid_order_px); MMSIM_OFF(view_off, View, bid_order_qty);
    MMSIM_OFF(view_off, View, bid_order_leaves); MMSIM_OFF(view_off, View, bid_order_state);
    MMSIM_OFF(view_off, View, ask_order_px); MMSIM_OFF(view_off, View, ask_order_qty);
    MMSIM_OFF(view_off, View, ask_order_leaves); MMSIM_OFF(view_off, View, ask_order_state);
    MMSIM_OFF(view_off, View, n_live_orders); MMSIM_OFF(view_off, View, n_events); MMSIM_OFF(view_off, View, signals);
    MMSIM_OFF(fill_off, FillRecord, exch_ts); MMSIM_OFF(fill_off, FillRecord, local_ts); MMSIM_OFF(fill_off, FillRecord, order_id);
    MMSIM_OFF(fill_off, FillRecord, price); MMSIM_OFF(fill_off, FillRecord, qty); MMSIM_OFF(fill_off, FillRecord, leaves);
    MMSIM_OFF(fill_off, FillRecord, position); MMSIM_OFF(fill_off, FillRecord, best_bid); MMSIM_OFF(fill_off, FillRecord, best_ask);
    MMSIM_OFF(fill_off, FillRecord, fee); MMSIM_OFF(fill_off, FillRecord, side); MMSIM_OFF(fill_off, FillRecord, maker);
    MMSIM_OFF(fill_off, FillRecord, after_cancel);
    MMSIM_OFF(log_off, OrderLogRecord, exch_ts); MMSIM_OFF(log_off, OrderLogRecord, local_ts);
    MMSIM_OFF(log_off, OrderLogRecord, order_id); MMSIM_OFF(log_off, OrderLogRecord, price); MMSIM_OFF(log_off, OrderLogRecord, qty);
    MMSIM_OFF(log_off, OrderLogRecord, leaves); MMSIM_OFF(log_off, OrderLogRecord, event); MMSIM_OFF(log_off, OrderLogRecord, side);
    MMSIM_OFF(log_off, OrderLogRecord, reason);
    MMSIM_OFF(sample_off, SampleRecord, exch_ts); MMSIM_OFF(sample_off, SampleRecord, best_bid);
    MMSIM_OFF(sample_off, SampleRecord, best_ask); MMSIM_OFF(sample_off, SampleRecord, position);
    MMSIM_OFF(sample_off, SampleRecord, cash_ticks); MMSIM_OFF(sample_off, SampleRecord, fees);
    MMSIM_OFF(sample_off, SampleRecord, n_fills);
#undef MMSIM_OFF
    m.attr("EVENT_OFFSETS") = event_off;
    m.attr("VIEW_OFFSETS") = view_off;
    m.attr("FILL_OFFSETS") = fill_off;
    m.attr("ORDER_LOG_OFFSETS") = log_off;
    m.attr("SAMPLE_OFFSETS") = sample_off;
    m.attr("VIEW_SIZE") = sizeof(View);
    m.attr("QUOTE_SIZE") = sizeof(Quote);
    m.attr("FILL_SIZE") = sizeof(FillRecord);
    m.attr("ORDER_LOG_SIZE") = sizeof(OrderLogRecord);
    m.attr("SAMPLE_SIZE") = sizeof(SampleRecord);
}
