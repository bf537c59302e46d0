//! mmsim-signals: microstructure signals computed incrementally per event.
//!
//! Every signal is O(1) or O(levels) per event, computed on what the caller
//! feeds it (in mmsim: the local, delayed book and trade prints). The C ABI
//! lives in `ffi.rs`; `include/mmsim_signals.h` mirrors it.
//!
//! The caller feeds, per market event and in event order:
//!
//! * [`Signals::on_trade`] for a trade print (aggressor side, price, size);
//! * [`Signals::on_book`] after each event that changed the book, with the top
//!   levels of each side.
//!
//! and reads [`Signals::values`] "as of the last event fed": every
//! time-decayed accumulator is decayed to the time of the last event of any
//! kind. All decays run on elapsed time (`2^(-dt/H)` with `dt` in ns and `H` a
//! half-life), never on event counts, so the same flow at a different event
//! rate gives the same value.
//!
//! Feature flags: none (the crate has no dependencies and no optional parts).

pub mod ffi;

/// Number of signal slots.
pub const COUNT: usize = 11;
/// Deepest book level a caller may pass.
pub const MAX_LEVELS: usize = 32;
/// Largest VPIN window accepted (buckets); guards against absurd allocations.
pub const MAX_VPIN_BUCKETS: i64 = 1 << 20;
/// Largest `depth_decay`, `hawkes_alpha` and `hawkes_baseline` accepted: with 32 levels of
/// 2^63 lots the weighted depth sums stay finite, and so does a Hawkes intensity.
pub const MAX_FACTOR: f64 = 1e6;

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

/// Slot indices (mirror `MMSIM_SIG_*` in the header).
pub mod slot {
    /// Best ask - best bid, ticks.
    pub const SPREAD: usize = 0;
    /// (best bid + best ask) / 2, ticks.
    pub const MID: usize = 1;
    /// Top-of-book imbalance, [-1, 1].
    pub const IMBALANCE: usize = 2;
    /// Depth-weighted imbalance, [-1, 1].
    pub const DEPTH_IMBALANCE: usize = 3;
    /// Imbalance-weighted mid, ticks.
    pub const MICROPRICE: usize = 4;
    /// Decayed Cont-Kukanov-Stoikov order-flow imbalance, lots.
    pub const OFI: usize = 5;
    /// Decayed signed aggressor volume, lots.
    pub const TRADE_FLOW: usize = 6;
    /// EWMA realized volatility of the mid, ticks per sqrt(second).
    pub const VOLATILITY: usize = 7;
    /// Hawkes intensity of buyer-initiated trades, per second.
    pub const HAWKES_BUY: usize = 8;
    /// Hawkes intensity of seller-initiated trades, per second.
    pub const HAWKES_SELL: usize = 9;
    /// Volume-synchronized probability of informed trading, [0, 1].
    pub const VPIN: usize = 10;
}

const NS_PER_S: f64 = 1e9;

/// Signal parameters; `#[repr(C)]` mirror of `MmsimSignalParams`.
///
/// A zero field means "use the default" (the header's contract); see
/// [`Params::resolved`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Levels in the depth-weighted imbalance, 1..=[`MAX_LEVELS`].
    pub depth_levels: i64,
    /// Weight of level k (0-based) is `depth_decay^k`; in (0, [`MAX_FACTOR`]].
    pub depth_decay: f64,
    /// Half-life of the OFI accumulator, ns.
    pub ofi_half_life_ns: f64,
    /// Half-life of the trade-flow accumulator, ns.
    pub trade_flow_half_life_ns: f64,
    /// Half-life of the EWMA of squared mid changes, ns.
    pub vol_half_life_ns: f64,
    /// Half-life of the Hawkes kernel, ns.
    pub hawkes_half_life_ns: f64,
    /// Jump of the intensity per trade, per second; at most [`MAX_FACTOR`].
    pub hawkes_alpha: f64,
    /// Baseline intensity, per second; at most [`MAX_FACTOR`].
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

impl Params {
    /// The parameters with every zero field replaced by its default.
    pub fn resolved(&self) -> Params {
        let d = Params::default();
        let pick_f = |v: f64, dv: f64| if v == 0.0 { dv } else { v };
        let pick_i = |v: i64, dv: i64| if v == 0 { dv } else { v };
        Params {
            depth_levels: pick_i(self.depth_levels, d.depth_levels),
            depth_decay: pick_f(self.depth_decay, d.depth_decay),
            ofi_half_life_ns: pick_f(self.ofi_half_life_ns, d.ofi_half_life_ns),
            trade_flow_half_life_ns: pick_f(self.trade_flow_half_life_ns, d.trade_flow_half_life_ns),
            vol_half_life_ns: pick_f(self.vol_half_life_ns, d.vol_half_life_ns),
            hawkes_half_life_ns: pick_f(self.hawkes_half_life_ns, d.hawkes_half_life_ns),
            hawkes_alpha: pick_f(self.hawkes_alpha, d.hawkes_alpha),
            hawkes_baseline: pick_f(self.hawkes_baseline, d.hawkes_baseline),
            vpin_bucket_volume: pick_f(self.vpin_bucket_volume, d.vpin_bucket_volume),
            vpin_buckets: pick_i(self.vpin_buckets, d.vpin_buckets),
        }
    }

    /// True when every field is in range (after [`Params::resolved`]).
    pub fn is_valid(&self) -> bool {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        (1..=MAX_LEVELS as i64).contains(&self.depth_levels)
            && pos(self.depth_decay)
            && self.depth_decay <= MAX_FACTOR
            && pos(self.ofi_half_life_ns)
            && pos(self.trade_flow_half_life_ns)
            && pos(self.vol_half_life_ns)
            && pos(self.hawkes_half_life_ns)
            && self.hawkes_alpha.is_finite()
            && self.hawkes_alpha >= 0.0
            && self.hawkes_alpha <= MAX_FACTOR
            && self.hawkes_baseline.is_finite()
            && self.hawkes_baseline >= 0.0
            && self.hawkes_baseline <= MAX_FACTOR
            && pos(self.vpin_bucket_volume)
            && (1..=MAX_VPIN_BUCKETS).contains(&self.vpin_buckets)
    }
}

/// Decay rate `ln 2 / H` per ns for a half-life `H` in ns.
fn rate(half_life_ns: f64) -> f64 {
    std::f64::consts::LN_2 / half_life_ns
}

/// Slots of the time-decayed accumulators in `Signals::acc`.
mod acc {
    pub const OFI: usize = 0;
    pub const TRADE_FLOW: usize = 1;
    pub const VOL_SUM: usize = 2;
    pub const HAWKES_BUY: usize = 3;
    pub const HAWKES_SELL: usize = 4;
    pub const N: usize = 5;
}

/// Below this magnitude a decaying accumulator is set to 0, so a long quiet
/// spell cannot leave it subnormal (slow arithmetic) or decaying forever.
const FLUSH: f64 = 1e-200;

/// Book top remembered for the OFI increment.
#[derive(Clone, Copy, Debug)]
struct Top {
    bid_px: i64,
    bid_qty: i64,
    ask_px: i64,
    ask_qty: i64,
}

/// VPIN state: the current bucket and a ring of the last `n` bucket imbalances.
#[derive(Clone, Debug)]
struct Vpin {
    bucket_volume: f64,
    /// |B - S| of the last completed buckets; slot `head` is the next to write.
    ring: Vec<f64>,
    head: usize,
    /// Buckets completed since the start (saturates the window at `ring.len()`).
    completed: u64,
    /// Sum of `ring` over the completed slots.
    sum: f64,
    buy: f64,
    sell: f64,
}

impl Vpin {
    fn new(bucket_volume: f64, buckets: usize) -> Self {
        Vpin { bucket_volume, ring: vec![0.0; buckets], head: 0, completed: 0, sum: 0.0, buy: 0.0, sell: 0.0 }
    }

    fn reset(&mut self) {
        self.ring.iter_mut().for_each(|x| *x = 0.0);
        self.head = 0;
        self.completed = 0;
        self.sum = 0.0;
        self.buy = 0.0;
        self.sell = 0.0;
    }

    fn push(&mut self, imbalance: f64) {
        let n = self.ring.len();
        self.sum += imbalance - self.ring[self.head];
        self.ring[self.head] = imbalance;
        self.head += 1;
        self.completed = self.completed.saturating_add(1);
        if self.head == n {
            self.head = 0;
            // Re-sum once per lap so rounding from the running add/subtract
            // cannot build up (amortized O(1) per bucket).
            self.sum = self.ring.iter().sum();
        }
    }

    /// Add `qty` lots of aggressor `side` volume, splitting it across bucket boundaries.
    fn add(&mut self, side: i64, qty: f64) {
        let v = self.bucket_volume;
        let mut q = qty;
        let room = v - (self.buy + self.sell);
        if q < room {
            if side > 0 { self.buy += q } else { self.sell += q }
            return;
        }
        // Close the current bucket.
        if side > 0 { self.buy += room } else { self.sell += room }
        self.push((self.buy - self.sell).abs());
        self.buy = 0.0;
        self.sell = 0.0;
        q -= room;
        // Whole buckets filled by this trade alone are one-sided: |B - S| = V.
        // Only the last `n` of them can stay in the window, so the loop is
        // bounded by the window length however large the trade.
        let full = (q / v).floor();
        if full >= 1.0 {
            let n = self.ring.len();
            let keep = if full >= n as f64 { n } else { full as usize };
            for _ in 0..keep {
                self.push(v);
            }
            // `full` may be astronomically large (a huge print into tiny buckets): the
            // count saturates rather than wrapping (only its lower part is ever read).
            self.completed = self.completed.saturating_add((full as u64).saturating_sub(keep as u64));
            q -= full * v;
        }
        if q > 0.0 {
            if side > 0 { self.buy = q } else { self.sell = q }
        }
    }

    fn value(&self) -> f64 {
        if self.completed == 0 {
            return 0.0;
        }
        let m = self.completed.min(self.ring.len() as u64) as f64;
        self.sum / (m * self.bucket_volume)
    }
}

/// Incremental signal state.
///
/// Book-derived values (spread, mid, imbalances, microprice) are NaN until
/// the first book with both sides non-empty; afterwards a book with an empty
/// side leaves them at their last values.
#[derive(Clone, Debug)]
pub struct Signals {
    params: Params,
    weights: [f64; MAX_LEVELS],
    levels: usize,
    hawkes_alpha: f64,
    hawkes_baseline: f64,
    /// `H_vol / ln 2` in seconds: the EWMA's time constant.
    vol_tau_s: f64,
    /// Time of the last event fed (ns); every accumulator is decayed to it.
    now: i64,
    started: bool,
    book: [f64; 5],
    prev_top: Option<Top>,
    last_mid: f64,
    /// Time-decayed accumulators (slots in [`acc`]), all as of `now`.
    acc: [f64; acc::N],
    /// Distinct decay rates `ln 2 / H` (per ns) and which one each accumulator uses:
    /// accumulators sharing a half-life share one `exp` per time step.
    rates: [f64; acc::N],
    n_rates: usize,
    rate_of: [usize; acc::N],
    vpin: Vpin,
}

impl Signals {
    /// New state; `None` when a parameter is invalid.
    ///
    /// * `params` - zero fields take their defaults ([`Params::resolved`]); the
    ///   result must pass [`Params::is_valid`].
    pub fn new(params: Params) -> Option<Self> {
        let p = params.resolved();
        if !p.is_valid() {
            return None;
        }
        let half_lives = [
            p.ofi_half_life_ns,
            p.trade_flow_half_life_ns,
            p.vol_half_life_ns,
            p.hawkes_half_life_ns,
            p.hawkes_half_life_ns,
        ];
        let (mut rates, mut n_rates, mut rate_of) = ([0.0; acc::N], 0, [0; acc::N]);
        for (i, &h) in half_lives.iter().enumerate() {
            let r = rate(h);
            rate_of[i] = match rates[..n_rates].iter().position(|&x| x == r) {
                Some(j) => j,
                None => {
                    rates[n_rates] = r;
                    n_rates += 1;
                    n_rates - 1
                }
            };
        }
        let mut weights = [0.0; MAX_LEVELS];
        let mut w = 1.0;
        for x in weights.iter_mut() {
            *x = w;
            w *= p.depth_decay;
        }
        Some(Signals {
            params: p,
            weights,
            levels: p.depth_levels as usize,
            hawkes_alpha: p.hawkes_alpha,
            hawkes_baseline: p.hawkes_baseline,
            vol_tau_s: p.vol_half_life_ns / std::f64::consts::LN_2 / NS_PER_S,
            now: 0,
            started: false,
            book: [f64::NAN; 5],
            prev_top: None,
            last_mid: f64::NAN,
            acc: [0.0; acc::N],
            rates,
            n_rates,
            rate_of,
            vpin: Vpin::new(p.vpin_bucket_volume, p.vpin_buckets as usize),
        })
    }

    /// Back to the state of a fresh handle with the same parameters.
    pub fn reset(&mut self) {
        self.now = 0;
        self.started = false;
        self.book = [f64::NAN; 5];
        self.prev_top = None;
        self.last_mid = f64::NAN;
        self.acc = [0.0; acc::N];
        self.vpin.reset();
    }

    /// Advance the clock to `ts`, decaying every accumulator by `2^(-dt/H)`
    /// (never backwards: an earlier `ts` counts as `dt = 0`).
    #[inline]
    fn tick(&mut self, ts: i64) {
        if !self.started {
            self.started = true;
            self.now = ts;
            return;
        }
        if ts <= self.now {
            return;
        }
        // In i128: two i64 times may be further apart than i64 can hold.
        let dt = (ts as i128 - self.now as i128) as f64;
        self.now = ts;
        let mut f = [0.0; acc::N];
        for (fj, &r) in f.iter_mut().zip(&self.rates[..self.n_rates]) {
            *fj = (-dt * r).exp();
        }
        for i in 0..acc::N {
            let x = self.acc[i] * f[self.rate_of[i]];
            self.acc[i] = if x.abs() < FLUSH { 0.0 } else { x };
        }
    }

    /// The book changed.
    ///
    /// * `ts` - the event's time, ns.
    /// * `bid_px`, `bid_qty` - the top bid levels, best first (ticks, lots);
    ///   a missing level has qty 0.
    /// * `ask_px`, `ask_qty` - the same for the asks.
    ///
    /// When either side's top has qty 0 (an empty side, e.g. during a
    /// snapshot) the book values keep their last values and the OFI restarts
    /// from the next book with both sides present.
    pub fn on_book(&mut self, ts: i64, bid_px: &[i64], bid_qty: &[i64], ask_px: &[i64], ask_qty: &[i64]) {
        self.tick(ts);
        let n = bid_px.len().min(bid_qty.len()).min(ask_px.len()).min(ask_qty.len());
        if n == 0 || bid_qty[0] <= 0 || ask_qty[0] <= 0 {
            self.prev_top = None;
            return;
        }
        let top = Top { bid_px: bid_px[0], bid_qty: bid_qty[0], ask_px: ask_px[0], ask_qty: ask_qty[0] };
        let (b, a) = (top.bid_px as f64, top.ask_px as f64);
        let (bq, aq) = (top.bid_qty as f64, top.ask_qty as f64);
        let mid = 0.5 * (a + b);
        self.book[slot::SPREAD] = a - b;
        self.book[slot::MID] = mid;
        self.book[slot::IMBALANCE] = (bq - aq) / (bq + aq);
        self.book[slot::MICROPRICE] = (b * aq + a * bq) / (bq + aq);

        let (mut num, mut den) = (0.0, 0.0);
        for k in 0..n.min(self.levels) {
            let (qb, qa) = (bid_qty[k].max(0) as f64, ask_qty[k].max(0) as f64);
            num += self.weights[k] * (qb - qa);
            den += self.weights[k] * (qb + qa);
        }
        self.book[slot::DEPTH_IMBALANCE] = num / den;

        // Cont, Kukanov & Stoikov (2014), eq. (10): the top-of-book flow since
        // the previous book. Skipped across a gap (one side was empty).
        if let Some(p) = self.prev_top {
            // In i128: four i64 sizes can sum past i64.
            let mut e = 0i128;
            if top.bid_px >= p.bid_px {
                e += top.bid_qty as i128;
            }
            if top.bid_px <= p.bid_px {
                e -= p.bid_qty as i128;
            }
            if top.ask_px <= p.ask_px {
                e -= top.ask_qty as i128;
            }
            if top.ask_px >= p.ask_px {
                e += p.ask_qty as i128;
            }
            self.acc[acc::OFI] += e as f64;
        }
        self.prev_top = Some(top);

        if self.last_mid.is_finite() && mid != self.last_mid {
            let d = mid - self.last_mid;
            self.acc[acc::VOL_SUM] += d * d;
        }
        self.last_mid = mid;
    }

    /// A trade print.
    ///
    /// * `ts` - the event's time, ns.
    /// * `side` - the aggressor: +1 buy, -1 sell (anything else only advances the clock).
    /// * `price` - ticks (not used by the current signals).
    /// * `qty` - lots; a print with `qty <= 0` only advances the clock.
    pub fn on_trade(&mut self, ts: i64, side: i64, _price: i64, qty: i64) {
        self.tick(ts);
        if qty <= 0 || (side != 1 && side != -1) {
            return;
        }
        let q = qty as f64;
        self.acc[acc::TRADE_FLOW] += side as f64 * q;
        self.acc[if side > 0 { acc::HAWKES_BUY } else { acc::HAWKES_SELL }] += 1.0;
        self.vpin.add(side, q);
    }

    /// Values as of the last event fed, in slot order ([`NAMES`]).
    ///
    /// Cheap: the accumulators are already decayed to the last event's time.
    #[inline]
    pub fn values(&self) -> [f64; COUNT] {
        let a = &self.acc;
        [
            self.book[0],
            self.book[1],
            self.book[2],
            self.book[3],
            self.book[4],
            a[acc::OFI],
            a[acc::TRADE_FLOW],
            (a[acc::VOL_SUM] / self.vol_tau_s).sqrt(),
            self.hawkes_baseline + self.hawkes_alpha * a[acc::HAWKES_BUY],
            self.hawkes_baseline + self.hawkes_alpha * a[acc::HAWKES_SELL],
            self.vpin.value(),
        ]
    }

    /// Parameters in use (zero fields replaced by defaults).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Time of the last event fed, ns (0 before any).
    pub fn last_ts(&self) -> i64 {
        self.now
    }
}

#[cfg(test)]
mod tests;
