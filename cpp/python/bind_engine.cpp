// Bindings of the engine: model classes, the run config, strategy adapters, run_many,
// the book-only replays, and the record layouts shared with numpy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <optional>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "mmsim/engine.hpp"
#include "mmsim/errors.hpp"

namespace py = pybind11;
using namespace mmsim;

namespace {

py::buffer_info event_buffer(const py::buffer &buf) {
    py::buffer_info info = buf.request();
    if (info.ndim != 1 || info.itemsize != static_cast<py::ssize_t>(sizeof(Event)) ||
        (info.shape[0] > 1 && info.strides[0] != static_cast<py::ssize_t>(sizeof(Event))))
        throw py::value_error("events must be a 1-d, C-contiguous array of mmsim.EVENT_DTYPE");
    return info;
}

// A read-only uint8 array over a run's records; the RunOutput stays alive as its base.
py::array records_of(py::handle owner, const void *p, size_t nbytes) {
    py::array a(py::dtype("u1"), {static_cast<py::ssize_t>(nbytes)}, {1}, p, owner);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

// What a run calls, as the engine sees it.
struct StrategyAdapter {
    virtual ~StrategyAdapter() = default;
    virtual Strategy strategy() = 0;
    // The pass's stop request, read before each call by adapters whose calls are slow.
    virtual void watch(const std::atomic<bool> *) {}
};

// numba: a cfunc int64 fn(View*, double* params, double* state, Quote*), called without the GIL.
struct NativeStrategy final : StrategyAdapter {
    using Fn = int64_t (*)(const View *, double *, double *, Quote *);
    NativeStrategy(uintptr_t fn, py::array_t<double, py::array::c_style> params,
                   py::array_t<double, py::array::c_style> state)
        : fn_(reinterpret_cast<Fn>(fn)), params_(std::move(params)), state_(std::move(state)) {}
    static int64_t quote(void *user, const View *v, Quote *out) {
        auto *s = static_cast<NativeStrategy *>(user);
        return s->fn_(v, s->params_.mutable_data(), s->state_.mutable_data(), out);
    }
    Strategy strategy() override { return Strategy{quote, nullptr, this}; }
    Fn fn_;
    py::array_t<double, py::array::c_style> params_, state_;
};

// Python: quote_cb() -> None | (bid_px, bid_qty, ask_px, ask_qty) | 0 | 1, reading the view
// from `view` (a VIEW_DTYPE record this adapter fills before each call); an int means the
// callback wrote the whole Quote into `out` (a QUOTE_DTYPE record: a ladder, explicit
// orders) and is the return code. fill_cb / reject_cb / expire_cb(order_id, tag, order_type,
// level, side, price, qty, leaves, reason, exch_ts), or None. Called with the GIL.
// Exceptions are kept by the Python side (which knows the strategy); here they only become
// an error code.
struct PythonStrategy final : StrategyAdapter {
    PythonStrategy(py::object quote_cb, py::object fill_cb, py::object reject_cb, py::object expire_cb, py::array view,
                   py::array out)
        : quote_cb_(std::move(quote_cb)),
          fill_cb_(std::move(fill_cb)),
          reject_cb_(std::move(reject_cb)),
          expire_cb_(std::move(expire_cb)),
          view_(std::move(view)),
          out_(std::move(out)) {
        if (view_.nbytes() != static_cast<py::ssize_t>(sizeof(View)) || !view_.writeable())
            throw py::value_error("view must be one writeable VIEW_DTYPE record");
        if (out_.nbytes() != static_cast<py::ssize_t>(sizeof(Quote)) || !out_.writeable())
            throw py::value_error("out must be one writeable QUOTE_DTYPE record");
        view_ptr_ = view_.mutable_data();
        out_ptr_ = out_.mutable_data();
    }
    static int64_t quote(void *user, const View *v, Quote *out) {
        auto *s = static_cast<PythonStrategy *>(user);
        if (s->stopping()) return kInterruptCode;
        py::gil_scoped_acquire gil;
        std::memcpy(s->view_ptr_, v, sizeof(View));
        try {
            py::object r = s->quote_cb_();
            // What the callback wrote into its view record goes back into the engine's View, as a compiled
            // rule's write goes into it on the fast path (NativeStrategy hands the rule the engine's View): the
            // Python twin of a rule then runs as the rule does, a stray write included (stratbreak18; the
            // engine rewrites a View's parts only when they change, docs/strategies.md). A Python strategy's
            // view is read-only, so for it this copies back the same bytes.
            std::memcpy(const_cast<View *>(v), s->view_ptr_, sizeof(View));
            if (r.is_none()) return QuoteNoChange;
            if (py::isinstance<py::int_>(r)) {
                std::memcpy(out, s->out_ptr_, sizeof(Quote));
                return r.cast<int64_t>();
            }
            py::tuple t = r.cast<py::tuple>();
            out->bid_px = t[0].cast<double>();
            out->bid_qty = t[1].cast<double>();
            out->ask_px = t[2].cast<double>();
            out->ask_qty = t[3].cast<double>();
            return QuoteSet;
        } catch (py::error_already_set &e) {
            return failure(e);
        } catch (py::cast_error &) {
            return kPythonErrorCode;
        }
    }
    template <py::object PythonStrategy::*cb>
    static int64_t update(void *user, const OrderUpdate *u) {
        auto *s = static_cast<PythonStrategy *>(user);
        if (s->stopping()) return kInterruptCode;
        py::gil_scoped_acquire gil;
        try {
            (s->*cb)(u->order_id, u->tag, u->order_type, u->level, u->side, u->price, u->qty, u->leaves, u->reason,
                     u->exch_ts);
            return 0;
        } catch (py::error_already_set &e) {
            return failure(e);
        }
    }
    // Ctrl-C inside the strategy (KeyboardInterrupt) stops the pass as a stop request does; any
    // other exception is the strategy's failure.
    static int64_t failure(const py::error_already_set &e) {
        return e.matches(PyExc_KeyboardInterrupt) ? kInterruptCode : kPythonErrorCode;
    }
    bool stopping() const { return stop_ && stop_->load(std::memory_order_relaxed); }
    void watch(const std::atomic<bool> *stop) override { stop_ = stop; }
    Strategy strategy() override {
        Strategy st{quote, nullptr, this};
        if (!fill_cb_.is_none()) st.on_fill = update<&PythonStrategy::fill_cb_>;
        if (!reject_cb_.is_none()) st.on_reject = update<&PythonStrategy::reject_cb_>;
        if (!expire_cb_.is_none()) st.on_expire = update<&PythonStrategy::expire_cb_>;
        return st;
    }
    py::object quote_cb_, fill_cb_, reject_cb_, expire_cb_;
    py::array view_, out_;
    void *view_ptr_, *out_ptr_;
    const std::atomic<bool> *stop_ = nullptr;
};

// A pass's progress and its stop request, shared with the thread that waits for it.
struct Progress {
    std::atomic<int64_t> done{0};
    std::atomic<bool> stop{false};
    // What a Python signal handler raised during the pass (Ctrl-C: KeyboardInterrupt), or None.
    py::object signal_exception = py::none();
};

// While a pass runs on Python's main thread (check_signals), Python's SIGINT handler only sets a flag that the
// loop reads every kStopCheckEvents events (poll_signals); a compiled strategy that never returns never gives the
// loop back, and Ctrl-C could not stop the process (stratbreak18). This guard keeps Python's handler for the
// first Ctrl-C (the pass stops at its next check, its runs partial, as before) and, on a second while the same
// pass still runs, writes one line and ends the process with status 130 (no unwinding is possible from inside
// the strategy's call; the command line's second Ctrl-C also leaves at once). Async-signal-safe: a counter,
// write(2), _exit(2). Not installed when SIGINT is ignored or left to its default action.
struct SecondSigintExits {
    static inline volatile std::sig_atomic_t count = 0;
    static inline struct sigaction previous {};
    bool installed = false;

    SecondSigintExits() {
        struct sigaction now {};
        if (sigaction(SIGINT, nullptr, &now) != 0) return;
        const bool has_handler = (now.sa_flags & SA_SIGINFO) ? now.sa_sigaction != nullptr
                                                             : (now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN);
        if (!has_handler) return;
        previous = now;
        count = 0;
        struct sigaction mine = now;
        mine.sa_flags |= SA_SIGINFO;
        mine.sa_sigaction = handler;
        installed = sigaction(SIGINT, &mine, nullptr) == 0;
    }
    ~SecondSigintExits() {
        if (installed) sigaction(SIGINT, &previous, nullptr);
    }
    static void handler(int sig, siginfo_t *info, void *context) {
        if (++count >= 2) {
            static const char msg[] =
                "mmsim: interrupted: a second Ctrl-C while the strategy had not given the engine back its loop "
                "since the first (a call that does not return); exiting with status 130\n";
            ssize_t ignored = write(2, msg, sizeof(msg) - 1);
            (void)ignored;
            _exit(130);
        }
        if (previous.sa_flags & SA_SIGINFO) {
            previous.sa_sigaction(sig, info, context);
        } else {
            previous.sa_handler(sig);
        }
    }
    // The engine got its loop back and read the flag: a later Ctrl-C is a first one again.
    static void noticed() { count = 0; }
};

// PassOptions::poll when the pass runs on Python's main thread: run the signal handlers (Ctrl-C
// raises KeyboardInterrupt in its handler); an exception from one stops the pass and is kept.
void poll_signals(void *user) {
    auto *c = static_cast<Progress *>(user);
    py::gil_scoped_acquire gil;
    SecondSigintExits::noticed();
    if (PyErr_CheckSignals() == 0) return;
    py::error_already_set e;
    c->signal_exception = e.value();
    c->stop.store(true, std::memory_order_relaxed);
}

// Run f(options) (a long loop over the events) without the GIL; on Python's main thread the
// loop runs the signal handlers every kStopCheckEvents events, and an exception from one
// (Ctrl-C: KeyboardInterrupt) ends it and is raised here.
template <class F>
void interruptible(F &&f, Progress *given = nullptr) {
    Progress own;
    Progress &control = given ? *given : own;
    PassOptions opt;
    py::module_ threading = py::module_::import("threading");
    if (threading.attr("current_thread")().is(threading.attr("main_thread")())) {
        opt.stop = &control.stop;
        opt.poll = poll_signals;
        opt.poll_user = &control;
    } else if (given) {
        opt.stop = &control.stop;  // another thread's call, stopped at the interpreter's exit (mmsim._interrupt)
    }
    bool stopped = false;
    {
        py::gil_scoped_release nogil;
        try {
            f(opt);
        } catch (const PassInterrupted &) {
            stopped = true;
        }
    }
    if (stopped) {
        if (control.signal_exception.is_none()) {
            PyErr_SetString(PyExc_SystemExit, "stopped: the interpreter exits");
        } else {
            PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(control.signal_exception.ptr())),
                            control.signal_exception.ptr());
        }
        throw py::error_already_set();
    }
}

}  // namespace

void bind_engine(py::module_ &m) {
    // ---- model families
    py::class_<LatencyModel, std::shared_ptr<LatencyModel>>(m, "LatencyModel");
    py::class_<ConstantLatencyModel, LatencyModel, std::shared_ptr<ConstantLatencyModel>>(m, "ConstantLatencyModel")
        .def(py::init<int64_t>(), py::arg("ns"));
    py::class_<RecordedFeedLatency, LatencyModel, std::shared_ptr<RecordedFeedLatency>>(m, "RecordedFeedLatency")
        .def(py::init<int64_t>(), py::arg("offset_ns") = 0);
    py::class_<LogNormalLatencyModel, LatencyModel, std::shared_ptr<LogNormalLatencyModel>>(m, "LogNormalLatencyModel")
        .def(py::init<double, double, int64_t>(), py::arg("median_ns"), py::arg("sigma"), py::arg("min_ns"));
    py::class_<QueueModel, std::shared_ptr<QueueModel>>(m, "QueueModel");
    py::class_<RiskAverseQueueModel, QueueModel, std::shared_ptr<RiskAverseQueueModel>>(m, "RiskAverseQueueModel")
        .def(py::init<>());
    py::class_<PowerProbQueueModel, QueueModel, std::shared_ptr<PowerProbQueueModel>>(m, "PowerProbQueueModel")
        .def(py::init<double>(), py::arg("n"));
    py::class_<LogProbQueueModel, QueueModel, std::shared_ptr<LogProbQueueModel>>(m, "LogProbQueueModel")
        .def(py::init<>());

    py::class_<EngineConfig>(m, "EngineConfig")
        .def(py::init<>())
        .def_readwrite("feed", &EngineConfig::feed)
        .def_readwrite("entry", &EngineConfig::entry)
        .def_readwrite("response", &EngineConfig::response)
        .def_readwrite("seed", &EngineConfig::seed)
        .def_readwrite("queue", &EngineConfig::queue)
        .def_readwrite("maker_fee_bps", &EngineConfig::maker_fee_bps)
        .def_readwrite("taker_fee_bps", &EngineConfig::taker_fee_bps)
        .def_readwrite("maker_fee_per_lot", &EngineConfig::maker_fee_per_lot)
        .def_readwrite("taker_fee_per_lot", &EngineConfig::taker_fee_per_lot)
        .def_readwrite("tick_value", &EngineConfig::tick_value)
        .def_readwrite("post_only", &EngineConfig::post_only)
        .def_readwrite("decide_every", &EngineConfig::decide_every)
        .def_readwrite("max_idle", &EngineConfig::max_idle)
        .def_readwrite("sample_every", &EngineConfig::sample_every)
        .def_readwrite("signals", &EngineConfig::signals)
        .def_readwrite("signal_params", &EngineConfig::signal_params)
        .def_readwrite("max_orders", &EngineConfig::max_orders)
        .def_property(
            "l3_behind_fill", [](const EngineConfig &c) { return static_cast<int>(c.l3_behind_fill); },
            [](EngineConfig &c, int v) {
                if (v != static_cast<int>(L3BehindFill::Remainder) && v != static_cast<int>(L3BehindFill::Hftbacktest))
                    throw py::value_error("l3_behind_fill must be 0 (remainder) or 1 (hftbacktest)");
                c.l3_behind_fill = static_cast<L3BehindFill>(v);
            })
        .def_readwrite("check_invariants", &EngineConfig::check_invariants)
                .def_readwrite("ladder_levels", &EngineConfig::ladder_levels)
        .def_readwrite("decision_log", &EngineConfig::decision_log)
        .def_readwrite("debug_early_event", &EngineConfig::debug_early_event)
        .def_readwrite("debug_early_ns", &EngineConfig::debug_early_ns);

    // ---- strategies (arguments of a run, never stored on the engine)
    py::class_<StrategyAdapter>(m, "StrategyAdapter");
    py::class_<NativeStrategy, StrategyAdapter>(m, "NativeStrategy")
        .def(py::init<uintptr_t, py::array_t<double, py::array::c_style>, py::array_t<double, py::array::c_style>>(),
             py::arg("address"), py::arg("params"), py::arg("state"));
    py::class_<PythonStrategy, StrategyAdapter>(m, "PythonStrategy")
        .def(py::init<py::object, py::object, py::object, py::object, py::array, py::array>(), py::arg("quote"),
             py::arg("on_fill"), py::arg("on_reject"), py::arg("on_expire"), py::arg("view"), py::arg("out"));

    py::class_<Progress>(m, "Progress")
        .def(py::init<>())
        .def_property_readonly("done", [](const Progress &p) { return p.done.load(std::memory_order_relaxed); })
        .def("request_stop", [](Progress &p) { p.stop.store(true, std::memory_order_relaxed); },
             "Ask the pass to stop at its next check (from any thread); its runs end interrupted.")
        .def_property_readonly("stop_requested", [](const Progress &p) { return p.stop.load(); })
        .def_readonly("signal_exception", &Progress::signal_exception,
                      "What a signal handler raised during the pass (check_signals), or None.");

    py::class_<RunOutput>(m, "RunOutput")
        .def_property_readonly("fills", [](py::object self) {
            const auto &o = self.cast<const RunOutput &>();
            return records_of(self, o.fills.data(), o.fills.size() * sizeof(FillRecord));
        })
        .def_property_readonly("orders", [](py::object self) {
            const auto &o = self.cast<const RunOutput &>();
            return records_of(self, o.order_log.data(), o.order_log.size() * sizeof(OrderLogRecord));
        })
        .def_property_readonly("samples", [](py::object self) {
            const auto &o = self.cast<const RunOutput &>();
            return records_of(self, o.samples.data(), o.samples.size() * sizeof(SampleRecord));
        })
        .def_property_readonly("fill_signals", [](py::object self) {
            const auto &o = self.cast<const RunOutput &>();
            return records_of(self, o.fill_signals.data(), o.fill_signals.size() * sizeof(FillSignalsRecord));
        })
        .def_property_readonly("decisions", [](py::object self) {
            const auto &o = self.cast<const RunOutput &>();
            return records_of(self, o.decisions.data(), o.decisions.size() * sizeof(DecisionRecord));
        })
        .def_readonly("position", &RunOutput::position)
        .def_readonly("cash_ticks", &RunOutput::cash_ticks)
        .def_readonly("fees", &RunOutput::fees)
        .def_readonly("n_calls", &RunOutput::n_calls)
        .def_readonly("unsent_at_end", &RunOutput::unsent_at_end)
        .def_readonly("n_events", &RunOutput::n_events)
        .def_readonly("completed", &RunOutput::completed)
        .def_readonly("interrupted", &RunOutput::interrupted)
        .def_readonly("shared_error", &RunOutput::shared_error)
        .def_property_readonly("failed", [](const RunOutput &o) { return static_cast<bool>(o.error); })
        .def("rethrow", [](const RunOutput &o) {
            if (o.error) std::rethrow_exception(o.error);
        }, "Raise this run's error (as mmsim.DataError / mmsim.StrategyError), if it failed.");

    m.def(
        "run_many",
        [](const py::buffer &events, const std::vector<EngineConfig> &configs, const py::list &strategies,
           Progress *progress, bool release_pages, bool stop_on_error, bool check_signals) {
            if (configs.size() != strategies.size()) throw py::value_error("one strategy (or None) per config");
            if (check_signals && !progress) throw py::value_error("check_signals needs a Progress");
            const py::buffer_info info = event_buffer(events);
            std::vector<RunSpec> runs(configs.size());
            std::vector<StrategyAdapter *> adapters;
            for (size_t k = 0; k < configs.size(); ++k) {
                runs[k].config = configs[k];
                if (strategies[k].is_none()) continue;
                adapters.push_back(&strategies[k].cast<StrategyAdapter &>());
                adapters.back()->watch(progress ? &progress->stop : nullptr);
                runs[k].strategy = adapters.back()->strategy();
            }
            PassOptions opt;
            opt.release_pages = release_pages;
            opt.stop_on_error = stop_on_error;
            opt.progress = progress ? &progress->done : nullptr;
            opt.stop = progress ? &progress->stop : nullptr;
            if (check_signals) {
                opt.poll = poll_signals;
                opt.poll_user = progress;
            }
            std::vector<RunOutput> outs;
            {
                std::optional<SecondSigintExits> second;  // on the main thread: a second Ctrl-C leaves
                if (check_signals) second.emplace();
                // Python strategies take the GIL back for each call.
                py::gil_scoped_release nogil;
                outs = run_many(static_cast<const Event *>(info.ptr), info.shape[0], runs, opt);
            }
            for (StrategyAdapter *a : adapters) a->watch(nullptr);  // the Progress may go before the adapter
            py::list result;
            for (auto &o : outs) result.append(py::cast(std::move(o)));
            return result;
        },
        py::arg("events"), py::arg("configs"), py::arg("strategies"), py::arg("progress") = nullptr,
        py::arg("release_pages") = false, py::arg("stop_on_error") = true, py::arg("check_signals") = false,
        "Replay events once for every (config, strategy); one RunOutput per run. Errors are per run (rethrow()). "
        "progress.request_stop() (any thread) ends the pass with every run still going interrupted; with "
        "check_signals (call on Python's main thread only) Python's signal handlers run every few thousand events "
        "and an exception from one (KeyboardInterrupt) does the same, kept as progress.signal_exception.");

    m.def("feed_deliveries", [](const py::buffer &events, const LatencyModel &feed, uint64_t seed) {
        const py::buffer_info info = event_buffer(events);
        const int64_t n = info.shape[0];
        py::array_t<int64_t> out(n);
        int64_t *po = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            feed_deliveries(static_cast<const Event *>(info.ptr), n, feed, seed, po);
        }
        return out;
    }, py::arg("events"), py::arg("feed"), py::arg("seed"),
       "When each event reaches the local side under `feed` seeded as a run with `seed` seeds it (before the "
       "monotone clamp), drawn outside any pass.");

    m.def("replay_bbo", [](const py::buffer &events, Progress *control) {
        const py::buffer_info info = event_buffer(events);
        const int64_t n = info.shape[0];
        py::array_t<int64_t> bb(n), ba(n), bq(n), aq(n);
        {
            int64_t *pbb = bb.mutable_data(), *pba = ba.mutable_data(), *pbq = bq.mutable_data(),
                    *paq = aq.mutable_data();
            interruptible([&](const PassOptions &opt) {
                replay_bbo(static_cast<const Event *>(info.ptr), n, pbb, pba, pbq, paq, opt);
            }, control);
        }
        py::dict d;
        d["best_bid"] = bb;
        d["best_ask"] = ba;
        d["bid_qty"] = bq;
        d["ask_qty"] = aq;
        return d;
    }, py::arg("events"), py::arg("control") = nullptr,
       "Best bid/ask and their sizes after each event (exchange book); `control`: a Progress whose stop "
       "request ends a call on another thread (the interpreter's exit).");

    m.def("prints_through_book", [](const py::buffer &events, double band, int64_t keep, Progress *control) {
        const py::buffer_info info = event_buffer(events);
        const int64_t n = info.shape[0];
        if (!std::isfinite(band) || band < 0) throw py::value_error("band must be a finite fraction >= 0");
        // The public function describes at most 1000; the drop at a store write asks for all (at most one per event).
        if (keep < 0 || keep > std::max<int64_t>(n, 1000))
            throw py::value_error("keep must be in [0, max(1000, the number of events)]");
        std::vector<ThroughPrint> first(static_cast<size_t>(keep));
        int64_t count = 0;
        interruptible([&](const PassOptions &opt) {
            count = prints_through_book(static_cast<const Event *>(info.ptr), n, band, first.data(), keep, opt);
        }, control);
        const int64_t k = std::min(count, keep);
        py::array_t<int64_t> idx(k), price(k), best(k), side(k);
        for (int64_t j = 0; j < k; ++j) {
            idx.mutable_at(j) = first[j].index;
            price.mutable_at(j) = first[j].price;
            best.mutable_at(j) = first[j].best;
            side.mutable_at(j) = first[j].side;
        }
        py::dict d;
        d["count"] = count;
        d["index"] = idx;
        d["price"] = price;
        d["best"] = best;
        d["side"] = side;
        return d;
    }, py::arg("events"), py::arg("band"), py::arg("keep") = 3, py::arg("control") = nullptr,
       "TRADE prints through the book by more than `band` (a fraction) of the best price they went through: "
       "count, and index, price, best (ticks) and side of the first min(count, keep); `control` as for replay_bbo.");

    m.def("compute_signals", [](const py::buffer &events, const MmsimSignalParams &params, Progress *control) {
        const py::buffer_info info = event_buffer(events);
        const int64_t n = info.shape[0];
        py::array_t<double> out({n, static_cast<int64_t>(MMSIM_SIG_COUNT)});
        double *po = out.mutable_data();
        interruptible([&](const PassOptions &opt) {
            compute_signals(static_cast<const Event *>(info.ptr), n, params, po, opt);
        }, control);
        return out;
    }, py::arg("events"), py::arg("params"), py::arg("control") = nullptr,
       "Signals after each event, as the engine's local side computes them (n x SIGNAL_COUNT); `control` as "
       "for replay_bbo.");

    // ---- enums and codes, once (mmsim.records and mmsim.engine build their IntEnums from these)
    py::dict enums = m.attr("ENUMS");
    py::dict order_event, reject, wake, state, codes, order_type;
    order_event["SENT"] = static_cast<int>(OrderEvent::Sent);
    order_event["ACKED"] = static_cast<int>(OrderEvent::Acked);
    order_event["REJECTED"] = static_cast<int>(OrderEvent::Rejected);
    order_event["CANCEL_SENT"] = static_cast<int>(OrderEvent::CancelSent);
    order_event["CANCELED"] = static_cast<int>(OrderEvent::Canceled);
    order_event["CANCEL_REJECTED"] = static_cast<int>(OrderEvent::CancelRejected);
    order_event["FILLED"] = static_cast<int>(OrderEvent::Filled);
    order_event["EXPIRED"] = static_cast<int>(OrderEvent::Expired);
    reject["NONE"] = static_cast<int>(RejectReason::None);
    reject["POST_ONLY_WOULD_CROSS"] = static_cast<int>(RejectReason::PostOnlyWouldCross);
    reject["ORDER_DONE"] = static_cast<int>(RejectReason::OrderDone);
    reject["HALTED"] = static_cast<int>(RejectReason::Halted);
    reject["NOT_TRADING"] = static_cast<int>(RejectReason::NotTrading);
    py::dict behind;
    behind["REMAINDER"] = static_cast<int>(L3BehindFill::Remainder);
    behind["HFTBACKTEST"] = static_cast<int>(L3BehindFill::Hftbacktest);
    enums["L3BehindFill"] = behind;
    wake["MARKET"] = static_cast<int64_t>(WakeMarket);
    wake["RESPONSE"] = static_cast<int64_t>(WakeResponse);
    wake["TIMER"] = static_cast<int64_t>(WakeTimer);
    wake["FILL"] = static_cast<int64_t>(WakeFill);
    wake["REJECT"] = static_cast<int64_t>(WakeReject);
    wake["EXPIRE"] = static_cast<int64_t>(WakeExpire);
    order_type["LIMIT"] = static_cast<int64_t>(TypeLimit);
    order_type["IOC"] = static_cast<int64_t>(TypeIoc);
    order_type["FOK"] = static_cast<int64_t>(TypeFok);
    order_type["MARKET"] = static_cast<int64_t>(TypeMarket);
    state["NONE"] = static_cast<int64_t>(StateNone);
    state["PENDING_NEW"] = static_cast<int64_t>(StatePendingNew);
    state["WORKING"] = static_cast<int64_t>(StateWorking);
    state["PENDING_CANCEL"] = static_cast<int64_t>(StatePendingCancel);
    codes["PYTHON_ERROR"] = static_cast<int64_t>(kPythonErrorCode);
    codes["BAD_QUOTE"] = static_cast<int64_t>(kBadQuoteCode);
    codes["TOO_MANY_ORDERS"] = static_cast<int64_t>(kTooManyOrdersCode);
    codes["NO_PROGRESS"] = static_cast<int64_t>(kNoProgressCode);
    codes["BAD_ORDER"] = static_cast<int64_t>(kBadOrderCode);
    codes["INTERRUPT"] = static_cast<int64_t>(kInterruptCode);
    enums["OrderEvent"] = order_event;
    enums["RejectReason"] = reject;
    enums["Wake"] = wake;
    enums["OrderState"] = state;
    enums["ErrorCode"] = codes;
    enums["OrderType"] = order_type;

    // Field offsets of the structs shared with numpy/numba, for the layout tests.
    py::dict view_off, fill_off, log_off, sample_off, quote_off, decision_off;
#define MMSIM_OFF(d, T, f) d[#f] = offsetof(T, f)
    MMSIM_OFF(view_off, View, ts); MMSIM_OFF(view_off, View, reason); MMSIM_OFF(view_off, View, best_bid);
    MMSIM_OFF(view_off, View, best_ask); MMSIM_OFF(view_off, View, bid_qty); MMSIM_OFF(view_off, View, ask_qty);
    MMSIM_OFF(view_off, View, bid_depth_px); MMSIM_OFF(view_off, View, bid_depth_qty);
    MMSIM_OFF(view_off, View, ask_depth_px); MMSIM_OFF(view_off, View, ask_depth_qty);
    MMSIM_OFF(view_off, View, trading_status);
    MMSIM_OFF(view_off, View, position); MMSIM_OFF(view_off, View, cash); MMSIM_OFF(view_off, View, fees);
    MMSIM_OFF(view_off, View, n_fills); MMSIM_OFF(view_off, View, last_fill_side); MMSIM_OFF(view_off, View, last_fill_px);
    MMSIM_OFF(view_off, View, last_fill_qty); MMSIM_OFF(view_off, View, last_fill_ts);
    MMSIM_OFF(view_off, View, bid_order_px); MMSIM_OFF(view_off, View, bid_order_qty);
    MMSIM_OFF(view_off, View, bid_order_leaves); MMSIM_OFF(view_off, View, bid_order_state);
    MMSIM_OFF(view_off, View, ask_order_px); MMSIM_OFF(view_off, View, ask_order_qty);
    MMSIM_OFF(view_off, View, ask_order_leaves); MMSIM_OFF(view_off, View, ask_order_state);
    MMSIM_OFF(view_off, View, n_live_orders); MMSIM_OFF(view_off, View, n_events); MMSIM_OFF(view_off, View, signals);
    MMSIM_OFF(view_off, View, n_bid_levels); MMSIM_OFF(view_off, View, n_ask_levels);
    MMSIM_OFF(view_off, View, n_explicit_live); MMSIM_OFF(view_off, View, n_rejects);
    MMSIM_OFF(view_off, View, last_reject_id); MMSIM_OFF(view_off, View, last_reject_tag);
    MMSIM_OFF(view_off, View, last_reject_type); MMSIM_OFF(view_off, View, last_reject_level);
    MMSIM_OFF(view_off, View, last_reject_side); MMSIM_OFF(view_off, View, last_reject_reason);
    MMSIM_OFF(view_off, View, last_reject_ts); MMSIM_OFF(view_off, View, n_expires);
    MMSIM_OFF(view_off, View, last_expire_id); MMSIM_OFF(view_off, View, last_expire_tag);
    MMSIM_OFF(view_off, View, last_expire_type); MMSIM_OFF(view_off, View, last_expire_level);
    MMSIM_OFF(view_off, View, last_expire_side); MMSIM_OFF(view_off, View, last_expire_qty);
    MMSIM_OFF(view_off, View, last_expire_ts);
    MMSIM_OFF(view_off, View, bid_ladder_px); MMSIM_OFF(view_off, View, bid_ladder_qty);
    MMSIM_OFF(view_off, View, bid_ladder_leaves); MMSIM_OFF(view_off, View, bid_ladder_state);
    MMSIM_OFF(view_off, View, ask_ladder_px); MMSIM_OFF(view_off, View, ask_ladder_qty);
    MMSIM_OFF(view_off, View, ask_ladder_leaves); MMSIM_OFF(view_off, View, ask_ladder_state);
    MMSIM_OFF(quote_off, Quote, bid_px); MMSIM_OFF(quote_off, Quote, bid_qty); MMSIM_OFF(quote_off, Quote, ask_px);
    MMSIM_OFF(quote_off, Quote, ask_qty); MMSIM_OFF(quote_off, Quote, n_bid_levels);
    MMSIM_OFF(quote_off, Quote, n_ask_levels); MMSIM_OFF(quote_off, Quote, n_orders);
    MMSIM_OFF(quote_off, Quote, order_type); MMSIM_OFF(quote_off, Quote, order_side);
    MMSIM_OFF(quote_off, Quote, order_px); MMSIM_OFF(quote_off, Quote, order_qty); MMSIM_OFF(quote_off, Quote, order_tag);
    MMSIM_OFF(quote_off, Quote, bid_ladder_px); MMSIM_OFF(quote_off, Quote, bid_ladder_qty);
    MMSIM_OFF(quote_off, Quote, ask_ladder_px); MMSIM_OFF(quote_off, Quote, ask_ladder_qty);
    MMSIM_OFF(fill_off, FillRecord, exch_ts); MMSIM_OFF(fill_off, FillRecord, local_ts); MMSIM_OFF(fill_off, FillRecord, order_id);
    MMSIM_OFF(fill_off, FillRecord, price); MMSIM_OFF(fill_off, FillRecord, qty); MMSIM_OFF(fill_off, FillRecord, leaves);
    MMSIM_OFF(fill_off, FillRecord, position); MMSIM_OFF(fill_off, FillRecord, best_bid); MMSIM_OFF(fill_off, FillRecord, best_ask);
    MMSIM_OFF(fill_off, FillRecord, fee); MMSIM_OFF(fill_off, FillRecord, side); MMSIM_OFF(fill_off, FillRecord, maker);
    MMSIM_OFF(fill_off, FillRecord, after_cancel); MMSIM_OFF(fill_off, FillRecord, order_type);
    MMSIM_OFF(fill_off, FillRecord, level); MMSIM_OFF(fill_off, FillRecord, tag);
    MMSIM_OFF(fill_off, FillRecord, queue_ahead_at_entry); MMSIM_OFF(fill_off, FillRecord, level_qty_at_fill);
    MMSIM_OFF(log_off, OrderLogRecord, exch_ts); MMSIM_OFF(log_off, OrderLogRecord, local_ts);
    MMSIM_OFF(log_off, OrderLogRecord, order_id); MMSIM_OFF(log_off, OrderLogRecord, price); MMSIM_OFF(log_off, OrderLogRecord, qty);
    MMSIM_OFF(log_off, OrderLogRecord, leaves); MMSIM_OFF(log_off, OrderLogRecord, event); MMSIM_OFF(log_off, OrderLogRecord, side);
    MMSIM_OFF(log_off, OrderLogRecord, reason); MMSIM_OFF(log_off, OrderLogRecord, order_type);
    MMSIM_OFF(log_off, OrderLogRecord, level); MMSIM_OFF(log_off, OrderLogRecord, tag);
    MMSIM_OFF(log_off, OrderLogRecord, decision);
    MMSIM_OFF(decision_off, DecisionRecord, local_ts); MMSIM_OFF(decision_off, DecisionRecord, event_exch_ts);
    MMSIM_OFF(decision_off, DecisionRecord, event_local_ts); MMSIM_OFF(decision_off, DecisionRecord, event_index);
    MMSIM_OFF(decision_off, DecisionRecord, best_bid); MMSIM_OFF(decision_off, DecisionRecord, best_ask);
    MMSIM_OFF(decision_off, DecisionRecord, reason);
    MMSIM_OFF(sample_off, SampleRecord, exch_ts); MMSIM_OFF(sample_off, SampleRecord, best_bid);
    MMSIM_OFF(sample_off, SampleRecord, best_ask); MMSIM_OFF(sample_off, SampleRecord, position);
    MMSIM_OFF(sample_off, SampleRecord, cash_ticks); MMSIM_OFF(sample_off, SampleRecord, fees);
    MMSIM_OFF(sample_off, SampleRecord, n_fills);
#undef MMSIM_OFF
    m.attr("VIEW_OFFSETS") = view_off;
    m.attr("FILL_OFFSETS") = fill_off;
    m.attr("ORDER_LOG_OFFSETS") = log_off;
    m.attr("SAMPLE_OFFSETS") = sample_off;
    m.attr("QUOTE_OFFSETS") = quote_off;
    m.attr("LADDER_MAX") = kMaxLadder;
    m.attr("EXPLICIT_MAX") = kMaxExplicit;
    m.attr("MAX_IDLE_TICKS") = kMaxIdleTicks;
    m.attr("RECORD_STEP_BYTES") = kRecordStepBytes;
    m.attr("DECISION_OFFSETS") = decision_off;
    m.attr("VIEW_SIZE") = sizeof(View);
    m.attr("QUOTE_SIZE") = sizeof(Quote);
    m.attr("FILL_SIZE") = sizeof(FillRecord);
    m.attr("ORDER_LOG_SIZE") = sizeof(OrderLogRecord);
    m.attr("SAMPLE_SIZE") = sizeof(SampleRecord);
    m.attr("DECISION_SIZE") = sizeof(DecisionRecord);
}
