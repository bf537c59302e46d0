//! Hand-computed sequences for every signal, time-decay invariance, parameter handling.

use super::*;

const S: i64 = 1_000_000_000; // one second in ns

fn params() -> Params {
    Params {
        depth_levels: 3,
        depth_decay: 0.5,
        ofi_half_life_ns: S as f64,
        trade_flow_half_life_ns: S as f64,
        vol_half_life_ns: S as f64,
        hawkes_half_life_ns: S as f64,
        hawkes_alpha: 0.5,
        hawkes_baseline: 0.2,
        vpin_bucket_volume: 10.0,
        vpin_buckets: 2,
    }
}

fn sig() -> Signals {
    Signals::new(params()).unwrap()
}

/// Feed a one-level book.
fn top(s: &mut Signals, ts: i64, bid: i64, bq: i64, ask: i64, aq: i64) {
    s.on_book(ts, &[bid], &[bq], &[ask], &[aq]);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        assert!(close(a, b), "{} = {} != {}", stringify!($a), a, b);
    }};
}

#[test]
fn book_values_by_hand() {
    let mut s = sig();
    top(&mut s, 0, 100, 30, 102, 10);
    let v = s.values();
    assert_eq!(v[slot::SPREAD], 2.0);
    assert_eq!(v[slot::MID], 101.0);
    assert_eq!(v[slot::IMBALANCE], 0.5);
    // (100 * 10 + 102 * 30) / 40
    assert_eq!(v[slot::MICROPRICE], 101.5);
    // one level only: the depth imbalance is the top imbalance
    assert_eq!(v[slot::DEPTH_IMBALANCE], 0.5);
}

#[test]
fn book_values_nan_until_two_sided_then_kept_over_empty_side() {
    let mut s = sig();
    let v = s.values();
    for (k, x) in v.iter().enumerate().take(5) {
        assert!(x.is_nan(), "slot {k} before any book");
    }
    top(&mut s, 0, 100, 5, 0, 0); // asks empty
    assert!(s.values()[slot::MID].is_nan());
    top(&mut s, 1, 100, 5, 101, 15);
    assert_eq!(s.values()[slot::MID], 100.5);
    assert_eq!(s.values()[slot::IMBALANCE], -0.5);
    // a CLEAR of the bids: the last values stay
    top(&mut s, 2, 0, 0, 101, 15);
    assert_eq!(s.values()[slot::MID], 100.5);
    assert_eq!(s.values()[slot::IMBALANCE], -0.5);
    assert_eq!(s.values()[slot::SPREAD], 1.0);
}

#[test]
fn depth_imbalance_by_hand() {
    let mut s = sig(); // 3 levels, decay 0.5
    let bid_px = [100, 99, 98, 97];
    let bid_q = [10, 20, 40, 1000];
    let ask_px = [101, 102, 0, 0];
    let ask_q = [30, 10, 0, 0];
    s.on_book(0, &bid_px, &bid_q, &ask_px, &ask_q);
    // num = (10-30) + 0.5 (20-10) + 0.25 (40-0) = -5 ; den = 40 + 15 + 10 = 65
    assert_close!(s.values()[slot::DEPTH_IMBALANCE], -5.0 / 65.0);
    let mut s2 = Signals::new(Params { depth_levels: 2, ..params() }).unwrap();
    s2.on_book(0, &bid_px, &bid_q, &ask_px, &ask_q);
    assert_close!(s2.values()[slot::DEPTH_IMBALANCE], -15.0 / 55.0);
    let mut s3 = Signals::new(Params { depth_levels: 4, depth_decay: 0.1, ..params() }).unwrap();
    s3.on_book(0, &bid_px, &bid_q, &ask_px, &ask_q);
    let num = -20.0 + 0.1 * 10.0 + 0.01 * 40.0 + 0.001 * 1000.0;
    let den = 40.0 + 0.1 * 30.0 + 0.01 * 40.0 + 0.001 * 1000.0;
    assert_close!(s3.values()[slot::DEPTH_IMBALANCE], num / den);
}

#[test]
fn ofi_cont_kukanov_stoikov_by_hand() {
    let mut s = sig();
    top(&mut s, 0, 100, 10, 101, 10);
    assert_eq!(s.values()[slot::OFI], 0.0);
    // bid qty up at the same price: +15 - 10; ask unchanged: -10 + 10
    top(&mut s, 0, 100, 15, 101, 10);
    assert_eq!(s.values()[slot::OFI], 5.0);
    // both sides up a tick: bid +3 (new level), ask +10 (old ask taken)
    top(&mut s, 0, 101, 3, 102, 7);
    assert_eq!(s.values()[slot::OFI], 18.0);
    // both down: bid -3 (old bid gone), ask -4 (new ask)
    top(&mut s, 0, 100, 8, 101, 4);
    assert_eq!(s.values()[slot::OFI], 11.0);
    // one half-life later, no change at the top: halves
    top(&mut s, S, 100, 8, 101, 4);
    assert_close!(s.values()[slot::OFI], 5.5);
    // a trade one more half-life later decays it too (values are as of the last event)
    s.on_trade(2 * S, 1, 101, 1);
    assert_close!(s.values()[slot::OFI], 2.75);
}

#[test]
fn ofi_does_not_accumulate_across_an_empty_side() {
    let mut s = sig();
    top(&mut s, 0, 100, 10, 101, 10);
    top(&mut s, 0, 100, 12, 101, 10); // +2
    top(&mut s, 0, 0, 0, 0, 0); // snapshot CLEAR
    top(&mut s, 0, 90, 1, 0, 0); // bids only
    top(&mut s, 0, 90, 1, 110, 50); // full again: restart, no increment
    assert_eq!(s.values()[slot::OFI], 2.0);
    top(&mut s, 0, 90, 4, 110, 50); // +3 from the new reference
    assert_eq!(s.values()[slot::OFI], 5.0);
}

#[test]
fn trade_flow_by_hand() {
    let mut s = sig();
    s.on_trade(0, 1, 100, 10);
    assert_eq!(s.values()[slot::TRADE_FLOW], 10.0);
    s.on_trade(S, -1, 100, 4);
    assert_close!(s.values()[slot::TRADE_FLOW], 1.0); // 10/2 - 4
    top(&mut s, 3 * S, 100, 1, 101, 1);
    assert_close!(s.values()[slot::TRADE_FLOW], 0.25);
    // invalid prints only move the clock
    s.on_trade(4 * S, 0, 100, 5);
    s.on_trade(4 * S, 1, 100, 0);
    assert_close!(s.values()[slot::TRADE_FLOW], 0.125);
}

#[test]
fn volatility_by_hand() {
    let mut s = sig(); // H = 1 s, tau = 1/ln2 s
    top(&mut s, 0, 99, 1, 101, 1); // mid 100, first mid: no change
    assert_eq!(s.values()[slot::VOLATILITY], 0.0);
    top(&mut s, 0, 100, 1, 102, 1); // mid 101: S = 1
    assert_close!(s.values()[slot::VOLATILITY], (1.0 * std::f64::consts::LN_2).sqrt());
    top(&mut s, S, 100, 1, 101, 1); // mid 100.5: S = 0.5 + 0.25
    assert_close!(s.values()[slot::VOLATILITY], (0.75 * std::f64::consts::LN_2).sqrt());
    s.on_trade(2 * S, 1, 100, 1); // decays to the trade's time
    assert_close!(s.values()[slot::VOLATILITY], (0.375 * std::f64::consts::LN_2).sqrt());
    // a gap keeps the last valid mid: the jump across it counts
    top(&mut s, 2 * S, 0, 0, 0, 0);
    top(&mut s, 2 * S, 102, 1, 103, 1); // mid 102.5: +2
    assert_close!(s.values()[slot::VOLATILITY], ((0.375 + 4.0) * std::f64::consts::LN_2).sqrt());
}

#[test]
fn volatility_of_a_random_walk_estimates_its_rate() {
    // Mid moves +-1 tick every 10 ms: variance rate 100 ticks^2/s, so the
    // estimate should be near 10 ticks/sqrt(s) whatever the half-life.
    let mut s = Signals::new(Params { vol_half_life_ns: 20.0 * S as f64, ..params() }).unwrap();
    let mut x: u64 = 42;
    let mut mid2 = 200i64; // 2 * mid
    for i in 0..200_000i64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        mid2 += if (x >> 33) & 1 == 1 { 2 } else { -2 };
        top(&mut s, i * 10_000_000, mid2 / 2 - 1, 1, mid2 / 2 + 1, 1);
    }
    let v = s.values()[slot::VOLATILITY];
    assert!((v - 10.0).abs() < 1.0, "{v}");
}

#[test]
fn hawkes_by_hand() {
    let mut s = sig(); // mu 0.2, alpha 0.5, H 1 s
    assert_close!(s.values()[slot::HAWKES_BUY], 0.2);
    s.on_trade(0, 1, 100, 3);
    assert_close!(s.values()[slot::HAWKES_BUY], 0.7);
    s.on_trade(S, 1, 100, 3); // 0.5 * (0.5 + 1)
    assert_close!(s.values()[slot::HAWKES_BUY], 0.95);
    assert_close!(s.values()[slot::HAWKES_SELL], 0.2);
    s.on_trade(2 * S, -1, 100, 1);
    assert_close!(s.values()[slot::HAWKES_BUY], 0.2 + 0.5 * 0.75);
    assert_close!(s.values()[slot::HAWKES_SELL], 0.7);
    top(&mut s, 4 * S, 100, 1, 101, 1);
    assert_close!(s.values()[slot::HAWKES_BUY], 0.2 + 0.5 * 0.75 / 4.0);
    assert_close!(s.values()[slot::HAWKES_SELL], 0.2 + 0.5 / 4.0);
}

#[test]
fn vpin_by_hand() {
    let mut s = sig(); // V = 10, window 2
    s.on_trade(0, 1, 100, 6);
    assert_eq!(s.values()[slot::VPIN], 0.0); // no bucket complete yet
    s.on_trade(0, -1, 100, 7); // bucket 1: B6 S4 -> 2; S3 carried
    assert_close!(s.values()[slot::VPIN], 0.2);
    s.on_trade(0, 1, 100, 25); // bucket 2: S3 B7 -> 4; bucket 3: B10 -> 10; B8 carried
    assert_close!(s.values()[slot::VPIN], (4.0 + 10.0) / 20.0);
    s.on_trade(0, -1, 100, 2); // bucket 4: B8 S2 -> 6
    assert_close!(s.values()[slot::VPIN], (10.0 + 6.0) / 20.0);
    // no decay: VPIN is volume-clocked
    s.on_trade(100 * S, -1, 100, 1);
    assert_close!(s.values()[slot::VPIN], 0.8);
}

#[test]
fn vpin_huge_trade_is_bounded_and_exact() {
    let mut s = Signals::new(Params { vpin_buckets: 3, ..params() }).unwrap();
    s.on_trade(0, -1, 100, 4);
    s.on_trade(0, 1, 100, 1003); // B6 S4 -> 2, then 99 one-sided buckets, B7 left
    assert_eq!(s.vpin.completed, 100);
    assert_close!(s.values()[slot::VPIN], 1.0);
    s.on_trade(0, -1, 100, 3); // B7 S3 -> 4
    assert_close!(s.values()[slot::VPIN], (10.0 + 10.0 + 4.0) / 30.0);
}

/// Straightforward VPIN: bucket by bucket, a list of all imbalances.
fn vpin_brute(trades: &[(i64, i64)], v: f64, n: usize) -> Vec<f64> {
    let (mut b, mut s) = (0.0, 0.0);
    let mut done: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for &(side, qty) in trades {
        let mut q = qty as f64;
        while q > 0.0 {
            let room = v - (b + s);
            let take = if q < room { q } else { room };
            if side > 0 { b += take } else { s += take }
            q -= take;
            if take == room {
                done.push((b - s).abs());
                b = 0.0;
                s = 0.0;
            }
        }
        let m = done.len().min(n);
        out.push(if m == 0 { 0.0 } else { done[done.len() - m..].iter().sum::<f64>() / (m as f64 * v) });
    }
    out
}

#[test]
fn vpin_matches_brute_force_on_random_flow() {
    for &(v, n) in &[(10.0, 2usize), (37.5, 7), (3.0, 50), (1000.0, 5)] {
        let mut s = Signals::new(Params { vpin_bucket_volume: v, vpin_buckets: n as i64, ..params() }).unwrap();
        let mut x: u64 = 7;
        let mut trades = Vec::new();
        for _ in 0..5000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let side = if (x >> 40) & 1 == 1 { 1 } else { -1 };
            let qty = 1 + ((x >> 20) % 60) as i64;
            trades.push((side, qty));
        }
        let want = vpin_brute(&trades, v, n);
        for (i, &(side, qty)) in trades.iter().enumerate() {
            s.on_trade(i as i64, side, 100, qty);
            let got = s.values()[slot::VPIN];
            assert!((got - want[i]).abs() <= 1e-12, "V={v} n={n} trade {i}: {got} != {}", want[i]);
        }
    }
}

#[test]
fn decay_is_by_time_not_by_event_count() {
    // A: a buy of 2 lots and a book change every 10 ms.
    // B: the same, each trade split in two prints of 1 lot, and a book event
    //    that changes nothing half-way between: twice the events, same flow.
    let mut a = sig();
    let mut b = sig();
    let dt = 10_000_000i64;
    let mut prev_bq = 0;
    for i in 0..500i64 {
        let t = i * dt;
        let bq = 10 + (i * 7) % 13;
        if i > 0 {
            top(&mut b, t - dt / 2, 100 + i % 3, prev_bq, 101 + i % 3, 10);
        }
        a.on_trade(t, 1, 100, 2);
        top(&mut a, t, 100 + (i + 1) % 3, bq, 101 + (i + 1) % 3, 10);
        b.on_trade(t, 1, 100, 1);
        b.on_trade(t, 1, 100, 1);
        top(&mut b, t, 100 + (i + 1) % 3, bq, 101 + (i + 1) % 3, 10);
        prev_bq = bq;
        let (va, vb) = (a.values(), b.values());
        for k in [slot::OFI, slot::TRADE_FLOW, slot::VOLATILITY, slot::VPIN, slot::MICROPRICE] {
            assert!(close(va[k], vb[k]), "slot {k} at event {i}: {} vs {}", va[k], vb[k]);
        }
        assert!(i < 2 || va[slot::OFI] != 0.0 && va[slot::VOLATILITY] > 0.0, "flow too trivial at {i}");
    }
}

#[test]
fn same_flow_at_twice_the_rate_gives_the_same_level() {
    // A constant buy flow of 200 lots/s, as 2 lots every 10 ms or 1 lot every
    // 5 ms: the decayed value tends to rate * H / ln 2 either way (to O(dt/H)).
    // A per-event decay would give values a factor 2 apart.
    let rate_per_s = 200.0;
    let level = |q: i64, dt: i64| {
        let mut s = sig();
        let mut t = 0;
        while t < 20 * S {
            s.on_trade(t, 1, 100, q);
            t += dt;
        }
        s.on_trade(t, 1, 100, 0); // read at a common time after the last print
        s.values()[slot::TRADE_FLOW]
    };
    let (a, b) = (level(2, 10_000_000), level(1, 5_000_000));
    let want = rate_per_s / std::f64::consts::LN_2;
    assert!((a / b - 1.0).abs() < 5e-3, "{a} vs {b}");
    assert!((a / want - 1.0).abs() < 1e-2, "{a} vs {want}");
}

#[test]
fn earlier_timestamp_counts_as_no_elapsed_time() {
    let mut s = sig();
    s.on_trade(10 * S, 1, 100, 8);
    s.on_trade(9 * S, 1, 100, 8); // out of order: no decay, no negative dt
    assert_eq!(s.values()[slot::TRADE_FLOW], 16.0);
    assert_eq!(s.last_ts(), 10 * S);
}

#[test]
fn reset_gives_a_fresh_state() {
    let mut s = sig();
    top(&mut s, 0, 100, 10, 101, 10);
    top(&mut s, S, 101, 10, 102, 10);
    s.on_trade(S, 1, 100, 25);
    s.reset();
    let fresh = sig().values();
    let v = s.values();
    for k in 0..COUNT {
        assert!(v[k] == fresh[k] || v[k].is_nan() && fresh[k].is_nan(), "slot {k}");
    }
    // and it runs the same sequence to the same values
    top(&mut s, 5, 100, 10, 101, 10);
    let mut t = sig();
    top(&mut t, 5, 100, 10, 101, 10);
    assert_eq!(s.values()[slot::MID], t.values()[slot::MID]);
}

#[test]
fn zero_fields_take_defaults_and_bad_params_are_refused() {
    let zero = Params {
        depth_levels: 0,
        depth_decay: 0.0,
        ofi_half_life_ns: 0.0,
        trade_flow_half_life_ns: 0.0,
        vol_half_life_ns: 0.0,
        hawkes_half_life_ns: 0.0,
        hawkes_alpha: 0.0,
        hawkes_baseline: 0.0,
        vpin_bucket_volume: 0.0,
        vpin_buckets: 0,
    };
    assert_eq!(*Signals::new(zero).unwrap().params(), Params::default());
    for bad in [
        Params { depth_levels: 33, ..params() },
        Params { depth_levels: -1, ..params() },
        Params { depth_decay: -0.5, ..params() },
        Params { ofi_half_life_ns: f64::NAN, ..params() },
        Params { vol_half_life_ns: f64::INFINITY, ..params() },
        Params { hawkes_alpha: -1.0, ..params() },
        Params { hawkes_baseline: -1.0, ..params() },
        Params { vpin_bucket_volume: -10.0, ..params() },
        Params { vpin_buckets: -2, ..params() },
        Params { vpin_buckets: MAX_VPIN_BUCKETS + 1, ..params() },
        Params { depth_decay: 1e308, ..params() },
        Params { hawkes_alpha: MAX_FACTOR * 2.0, ..params() },
        Params { hawkes_baseline: MAX_FACTOR * 2.0, ..params() },
    ] {
        assert!(Signals::new(bad).is_none(), "{bad:?}");
    }
    let top = Params { depth_decay: MAX_FACTOR, hawkes_alpha: MAX_FACTOR, hawkes_baseline: MAX_FACTOR, ..params() };
    assert!(Signals::new(top).is_some());
}

#[test]
fn a_long_quiet_spell_flushes_to_exact_zero() {
    let mut s = Signals::new(Params { ofi_half_life_ns: 1e6, ..params() }).unwrap();
    s.on_trade(0, 1, 100, 10);
    top(&mut s, 0, 100, 10, 101, 10);
    top(&mut s, 0, 100, 12, 101, 10); // OFI +2
    // 1e6 OFI half-lives (1000 s) later: 2 * 2^-1e6 underflows; flushed to 0, never subnormal
    top(&mut s, 1000 * S, 100, 12, 101, 10);
    assert_eq!(s.values()[slot::OFI], 0.0);
    // the 1 s half-life trade flow decayed by 2^-1000 ~ 1e-301: below the flush threshold
    assert_eq!(s.values()[slot::TRADE_FLOW], 0.0);
    assert_eq!(s.values()[slot::HAWKES_BUY], 0.2);
    // and accumulates again from there
    s.on_trade(1000 * S, -1, 100, 3);
    assert_eq!(s.values()[slot::TRADE_FLOW], -3.0);
}

#[test]
fn accumulators_with_distinct_half_lives_decay_independently() {
    let mut s = Signals::new(Params {
        trade_flow_half_life_ns: 2.0 * S as f64,
        hawkes_half_life_ns: 0.5 * S as f64,
        ..params()
    })
    .unwrap();
    s.on_trade(0, 1, 100, 8);
    s.on_trade(2 * S, 1, 100, 0); // clock only
    assert_close!(s.values()[slot::TRADE_FLOW], 4.0); // one 2 s half-life
    assert_close!(s.values()[slot::HAWKES_BUY], 0.2 + 0.5 / 16.0); // four 0.5 s half-lives
}

#[test]
fn times_at_the_ends_of_i64_decay_instead_of_wrapping() {
    // i64::MAX - i64::MIN does not fit an i64: it used to wrap to -1, decay by 2^(+1/H)
    // per ns into inf, and turn the accumulators into inf and NaN.
    let mut s = sig();
    s.on_trade(i64::MIN, 1, 100, 10);
    top(&mut s, i64::MIN, 100, 10, 101, 10);
    top(&mut s, i64::MIN, 100, 14, 101, 10); // OFI +4
    s.on_trade(i64::MAX, -1, 100, 3);
    let v = s.values();
    for k in [slot::OFI, slot::TRADE_FLOW, slot::VOLATILITY, slot::HAWKES_BUY, slot::HAWKES_SELL, slot::VPIN] {
        assert!(v[k].is_finite(), "{} = {}", NAMES[k], v[k]);
    }
    assert_eq!(v[slot::OFI], 0.0); // 2^64 ns later: decayed to nothing
    assert_eq!(v[slot::TRADE_FLOW], -3.0);
    assert_eq!(s.last_ts(), i64::MAX);
}

#[test]
fn sizes_at_the_ends_of_i64_stay_finite() {
    // The OFI increment sums four sizes: with sizes near i64::MAX it is computed in i128.
    let mut s = sig();
    top(&mut s, 0, 100, i64::MAX, 101, i64::MAX);
    top(&mut s, 0, 101, i64::MAX, 102, i64::MAX); // both sides moved up: +bq_new + aq_old
    assert_eq!(s.values()[slot::OFI], 2.0 * i64::MAX as f64);
    // A print of i64::MAX lots into buckets of 1e-300 lots: the bucket count saturates.
    let mut v = Signals::new(Params { vpin_bucket_volume: 1e-300, ..params() }).unwrap();
    v.on_trade(0, 1, 100, i64::MAX);
    v.on_trade(1, -1, 100, i64::MAX);
    let x = v.values()[slot::VPIN];
    assert!((0.0..=1.0).contains(&x), "vpin {x}");
}
