//! mmsim-signals: microstructure signals computed incrementally per event.
//!
//! Every signal is O(1) or O(levels) per event, computed on what the caller
//! feeds it (in mmsim: the local, delayed book). The C ABI lives in `ffi.rs`;
//! `include/mmsim_signals.h` mirrors it.
//!
//! Feature flags: none (the crate has no dependencies and no optional parts).

pub mod ffi;

/// Number of signal slots.
pub const COUNT: usize = 11;
/// Deepest book level a caller may pass.
pub const MAX_LEVELS: usize = 32;

/// Names of the signal slots, in output order (mirrors `MMSIM_SIG_*`).
pub const NAMES: [&str; COUNT] = [
    "spread",
    "mid",
    "imbalance",
    "depth_imbalance",
    "microprice",
    "ofi",
    "trade_flow",
    "volatility",
    "hawkes_buy",
    "hawkes_sell",
    "vpin",
];

/// Signal parameters; `#[repr(C)]` mirror of `MmsimSignalParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Levels in the depth-weighted imbalance.
    pub depth_levels: i64,
    /// Weight of level k is `depth_decay^k`.
    pub depth_decay: f64,
    /// Half-life of the OFI accumulator, ns.
    pub ofi_half_life_ns: f64,
    /// Half-life of the trade-flow accumulator, ns.
    pub trade_flow_half_life_ns: f64,
    /// Half-life of the EWMA of squared mid changes, ns.
    pub vol_half_life_ns: f64,
    /// Half-life of the Hawkes kernel, ns.
    pub hawkes_half_life_ns: f64,
    /// Jump of the intensity per trade, per second.
    pub hawkes_alpha: f64,
    /// Baseline intensity, per second.
    pub hawkes_baseline: f64,
    /// Lots per VPIN volume bucket.
    pub vpin_bucket_volume: f64,
    /// Buckets in the VPIN window.
    pub vpin_buckets: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            depth_levels: 5,
            depth_decay: 0.5,
            ofi_half_life_ns: 1e9,
            trade_flow_half_life_ns: 1e9,
            vol_half_life_ns: 60e9,
            hawkes_half_life_ns: 1e9,
            hawkes_alpha: 0.5,
            hawkes_baseline: 0.0,
            vpin_bucket_volume: 100.0,
            vpin_buckets: 50,
        }
    }
}

/// Incremental signal state.
#[derive(Clone, Debug)]
pub struct Signals {
    params: Params,
    values: [f64; COUNT],
}

impl Signals {
    /// New state; `None` when a parameter is invalid.
    pub fn new(params: Params) -> Option<Self> {
        if params.depth_levels < 1 || params.depth_levels as usize > MAX_LEVELS {
            return None;
        }
        Some(Signals { params, values: [0.0; COUNT] })
    }

    /// Back to a fresh state.
    pub fn reset(&mut self) {
        self.values = [0.0; COUNT];
    }

    /// The book changed; slices hold the top levels of each side.
    pub fn on_book(&mut self, _ts: i64, bid_px: &[i64], bid_qty: &[i64], ask_px: &[i64], ask_qty: &[i64]) {
        let (bq, aq) = (bid_qty.first().copied().unwrap_or(0), ask_qty.first().copied().unwrap_or(0));
        if bq > 0 && aq > 0 {
            let (b, a) = (bid_px[0] as f64, ask_px[0] as f64);
            let (bqf, aqf) = (bq as f64, aq as f64);
            self.values[0] = a - b;
            self.values[1] = 0.5 * (a + b);
            self.values[2] = (bqf - aqf) / (bqf + aqf);
            self.values[4] = (b * aqf + a * bqf) / (bqf + aqf);
        }
    }

    /// A trade print; `side` is the aggressor.
    pub fn on_trade(&mut self, _ts: i64, _side: i64, _price: i64, _qty: i64) {}

    /// Values as of the last event.
    pub fn values(&self) -> [f64; COUNT] {
        self.values
    }

    /// Parameters in use.
    pub fn params(&self) -> &Params {
        &self.params
    }
}
