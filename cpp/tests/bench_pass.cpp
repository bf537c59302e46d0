// A profiling harness for the pass, without Python: replays an event store's events.npy
// for K runs of the benchmark quoter (bench/_quoter_rule.py, rewritten in C++) at K
// constant feed latencies from 0 to 100 ms, and prints the wall time of run_many against
// one run and against K separate runs. Not a test: `perf record` / `valgrind --tool=callgrind`
// point at it to see where the engine's time goes with symbols and no interpreter.
// BENCH_SIGNALS=1 turns the signals on, BENCH_STRATEGY=none|idle|quoter picks the strategy,
// BENCH_DECISION_LOG=0 turns the decision log off.
//
//   bench_pass STORE/events.npy [K=8] [timer|feed] [reps=5] [many|one|sep]
#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "mmsim/engine.hpp"

using namespace mmsim;

namespace {

std::vector<Event> load_npy(const char *path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "%s: cannot open\n", path);
        std::exit(2);
    }
    char magic[8];
    f.read(magic, 8);
    uint32_t hlen = 0;
    if (magic[6] == 1) {
        uint16_t h;
        f.read(reinterpret_cast<char *>(&h), 2);
        hlen = h;
    } else {
        f.read(reinterpret_cast<char *>(&hlen), 4);
    }
    f.seekg(static_cast<std::streamoff>(hlen), std::ios::cur);
    std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<Event> ev(raw.size() / sizeof(Event));
    std::memcpy(ev.data(), raw.data(), ev.size() * sizeof(Event));
    return ev;
}

// bench/_quoter_rule.py's quote_targets with _mmsim_quoter.py's hold_pending, qty 10,
// max position 500, 0.1 tick of skew per lot.
int64_t quoter(void *, const View *v, Quote *out) {
    if (v->bid_qty <= 0 || v->ask_qty <= 0 || v->best_bid >= v->best_ask) return QuoteNoChange;
    const int64_t qty = 10, max_pos = 500;
    const int64_t skew = static_cast<int64_t>(std::nearbyint(0.1 * static_cast<double>(v->position)));
    double bid = static_cast<double>(std::min(v->best_bid - skew, v->best_ask - 1));
    double ask = static_cast<double>(std::max(v->best_ask - skew, v->best_bid + 1));
    double bq = v->position + qty <= max_pos ? qty : 0, aq = v->position - qty >= -max_pos ? qty : 0;
    if (v->bid_order_state == StatePendingNew) bid = static_cast<double>(v->bid_order_px), bq = static_cast<double>(v->bid_order_qty);
    if (v->ask_order_state == StatePendingNew) ask = static_cast<double>(v->ask_order_px), aq = static_cast<double>(v->ask_order_qty);
    out->bid_px = bid;  // the 1-level form (the engine hands out the rest zeroed)
    out->bid_qty = bq;
    out->ask_px = ask;
    out->ask_qty = aq;
    return QuoteSet;
}

// CPU time of this thread: on a shared machine, time spent descheduled is not ours.
int64_t idle(void *, const View *, Quote *) { return QuoteNoChange; }

double cpu_now() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s events.npy [K] [timer|feed] [reps] [many|one|sep|all]\n", argv[0]);
        return 2;
    }
    const std::vector<Event> ev = load_npy(argv[1]);
    const int K = argc > 2 ? std::atoi(argv[2]) : 8;
    const bool timer = argc > 3 ? std::string(argv[3]) == "timer" : true;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 5;
    const std::string what = argc > 5 ? argv[5] : "all";
    std::vector<RunSpec> runs(static_cast<size_t>(K));
    for (int k = 0; k < K; ++k) {
        EngineConfig &c = runs[k].config;
        const int64_t feed = K > 1 ? static_cast<int64_t>(100000000.0 * k / (K - 1)) : 1250000;
        c.feed = std::make_shared<ConstantLatencyModel>(feed);
        c.entry = std::make_shared<ConstantLatencyModel>(500000);
        c.response = std::make_shared<ConstantLatencyModel>(500000);
        c.maker_fee_bps = -0.5;
        c.taker_fee_bps = 7;
        c.tick_value = 0.0001;
        c.decide_every = timer ? 10000000 : 0;
        c.signals = std::getenv("BENCH_SIGNALS") != nullptr;
        if (const char *log = std::getenv("BENCH_DECISION_LOG")) c.decision_log = std::string(log) != "0";
        const char *strat = std::getenv("BENCH_STRATEGY");
        const std::string which = strat ? strat : "quoter";
        if (which == "quoter") runs[k].strategy = Strategy{quoter, nullptr, nullptr};
        else if (which == "idle") runs[k].strategy = Strategy{idle, nullptr, nullptr};
    }
    const int64_t n = static_cast<int64_t>(ev.size());
    // The least CPU time of `reps` (the machine is shared: the minimum is the least disturbed).
    double t_many = 1e99, t_one = 1e99, t_sep = 1e99;
    int64_t calls = 0, fills = 0;
    for (int r = 0; r < reps; ++r) {
        if (what == "all" || what == "many") {
            const double t0 = cpu_now();
            auto outs = run_many(ev.data(), n, runs);
            t_many = std::min(t_many, cpu_now() - t0);
            calls = fills = 0;
            for (auto &o : outs) calls += o.n_calls, fills += static_cast<int64_t>(o.fills.size());
        }
        if (what == "all" || what == "one") {
            const double t0 = cpu_now();
            run(ev.data(), n, runs[0]);
            t_one = std::min(t_one, cpu_now() - t0);
        }
        if (what == "all" || what == "sep") {
            const double t0 = cpu_now();
            for (auto &s : runs) run(ev.data(), n, s);
            t_sep = std::min(t_sep, cpu_now() - t0);
        }
    }
    std::printf("%lld events, K=%d, %s, least CPU time of %d: run_many %.2f ms, one run %.2f ms, %d separate runs %.2f ms; "
                "many/one %.2fx, many/(separate/K) %.2fx, separate/many %.2fx (%lld calls, %lld fills)\n",
                static_cast<long long>(n), K, timer ? "10 ms timer" : "every wake-up", reps, 1e3 * t_many,
                1e3 * t_one, K, 1e3 * t_sep, t_many / t_one, t_many / (t_sep / K), t_sep / t_many,
                static_cast<long long>(calls), static_cast<long long>(fills));
    return 0;
}
