/* mmsim_signals.h — C ABI of the Rust crate mmsim-signals.
 *
 * Kept by hand beside rust/src/ffi.rs; tests/test_ffi.py and the crate's
 * layout test check that the struct layout and the signal order agree.
 * Every function takes an opaque handle made by mmsim_signals_new and freed by
 * mmsim_signals_free. Times are int64 ns, prices int64 ticks, sizes int64 lots.
 *
 * Call sequence per market event (the engine's, and the batch API's): for a
 * trade print, mmsim_signals_on_trade first; then, when the event changed the
 * book, mmsim_signals_on_book with the top levels after it. Values are "as of
 * the last event fed": time-decayed values are decayed (by elapsed time,
 * 2^(-dt/H)) to the time of the last event of any kind. Book-derived values
 * (slots 0-4) are NaN until the first book with both sides non-empty, and keep
 * their last values while a side is empty. docs/readme/signals.md has the formulas.
 */
#ifndef MMSIM_SIGNALS_H
#define MMSIM_SIGNALS_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Signal slots, in the order mmsim_signals_values writes them. */
enum {
    MMSIM_SIG_SPREAD = 0,          /* best ask - best bid, ticks */
    MMSIM_SIG_MID = 1,             /* (best bid + best ask) / 2, ticks */
    MMSIM_SIG_IMBALANCE = 2,       /* (bid_qty - ask_qty) / (bid_qty + ask_qty), top level */
    MMSIM_SIG_DEPTH_IMBALANCE = 3, /* the same over depth_levels, weights depth_decay^k */
    MMSIM_SIG_MICROPRICE = 4,      /* (bid*ask_qty + ask*bid_qty) / (bid_qty + ask_qty), ticks */
    MMSIM_SIG_OFI = 5,             /* Cont-Kukanov-Stoikov order-flow imbalance, decayed, lots */
    MMSIM_SIG_TRADE_FLOW = 6,      /* signed aggressor volume, decayed, lots */
    MMSIM_SIG_VOLATILITY = 7,      /* EWMA realized volatility of mid changes, ticks per sqrt(second) */
    MMSIM_SIG_HAWKES_BUY = 8,      /* Hawkes intensity of buyer-initiated trades, per second */
    MMSIM_SIG_HAWKES_SELL = 9,     /* Hawkes intensity of seller-initiated trades, per second */
    MMSIM_SIG_VPIN = 10,           /* volume-synchronized probability of informed trading, [0, 1] */
    MMSIM_SIG_COUNT = 11
};

/* Parameters; a zero field means "use the default" (see mmsim_signals_params_default). */
typedef struct MmsimSignalParams {
    int64_t depth_levels;          /* levels in depth_imbalance, 1..=MMSIM_MAX_LEVELS */
    double depth_decay;            /* weight of level k (0-based) is depth_decay^k; at most 1e6 */
    double ofi_half_life_ns;       /* half-life of the OFI accumulator */
    double trade_flow_half_life_ns;/* half-life of the trade-flow accumulator */
    double vol_half_life_ns;       /* half-life of the EWMA of squared mid changes */
    double hawkes_half_life_ns;    /* half-life of the exponential Hawkes kernel */
    double hawkes_alpha;           /* jump of the intensity per trade, per second; at most 1e6 */
    double hawkes_baseline;        /* baseline intensity mu, per second; at most 1e6 */
    double vpin_bucket_volume;     /* lots per volume bucket */
    int64_t vpin_buckets;          /* buckets in the VPIN window */
} MmsimSignalParams;

#define MMSIM_MAX_LEVELS 32

typedef struct MmsimSignals MmsimSignals;

/* Fill *out with the default parameters. */
void mmsim_signals_params_default(MmsimSignalParams *out);
/* New signal state; NULL when a parameter is invalid (negative, non-finite, levels out of range). */
MmsimSignals *mmsim_signals_new(const MmsimSignalParams *params);
void mmsim_signals_free(MmsimSignals *handle);
/* Write the parameters in use (zero fields replaced by their defaults). */
void mmsim_signals_params_get(const MmsimSignals *handle, MmsimSignalParams *out);
/* Back to the state of a fresh handle with the same parameters. */
void mmsim_signals_reset(MmsimSignals *handle);
/* The book changed: the top n levels of each side after the event (n <= MMSIM_MAX_LEVELS;
 * a side with fewer levels has qty 0 in the rest). ts is the event's exchange time. */
void mmsim_signals_on_book(MmsimSignals *handle, int64_t ts,
                           const int64_t *bid_px, const int64_t *bid_qty,
                           const int64_t *ask_px, const int64_t *ask_qty, int64_t n);
/* A trade print; side is the aggressor (+1 buy, -1 sell). */
void mmsim_signals_on_trade(MmsimSignals *handle, int64_t ts, int64_t side, int64_t price, int64_t qty);
/* Write MMSIM_SIG_COUNT values as of the last event seen (decayed to its time). */
void mmsim_signals_values(const MmsimSignals *handle, double *out);
/* Number of signals and the name of slot i (static, NUL-terminated; NULL out of range). */
int64_t mmsim_signals_count(void);
const char *mmsim_signals_name(int64_t i);

#ifdef __cplusplus
}
#endif
#endif
