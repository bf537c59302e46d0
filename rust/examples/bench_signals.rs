//! Raw cost of the signals without the engine: ns per event for on_book/on_trade plus a read.
//!
//! `cargo run --release --offline --example bench_signals` (seeded, deterministic).
//! Feeds a synthetic stream (70% book updates of 5 levels, 30% trade prints)
//! and reads all values after every event, as the engine does.

use mmsim_signals::{Params, Signals, COUNT};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    // Read the values after every `read_every`-th event (1: every event, as compute() does).
    let read_every: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut x: u64 = 20240808;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x >> 33
    };
    // Pre-generate so the timing covers the signals only.
    let mut kinds = Vec::with_capacity(n);
    let mut qs = Vec::with_capacity(n);
    let mut ts = Vec::with_capacity(n);
    let mut t = 1_700_000_000_000_000_000i64;
    for _ in 0..n {
        t += (next() % 100_000) as i64 + 1;
        ts.push(t);
        kinds.push(next() % 10 < 3);
        qs.push([(next() % 60 + 1) as i64, (next() % 60 + 1) as i64, (next() % 3) as i64]);
    }
    let mut s = Signals::new(Params::default()).unwrap();
    let mut bid_px = [99_999i64, 99_998, 99_997, 99_996, 99_995];
    let mut ask_px = [100_001i64, 100_002, 100_003, 100_004, 100_005];
    let mut bid_q = [10i64; 5];
    let mut ask_q = [10i64; 5];
    let t0 = Instant::now();
    for i in 0..n {
        let [a, b, c] = qs[i];
        if kinds[i] {
            s.on_trade(ts[i], if a & 1 == 0 { 1 } else { -1 }, 100_000, b);
        } else {
            // move the touch by -1, 0 or +1 tick on both sides, change sizes
            let d = c - 1;
            for k in 0..5 {
                bid_px[k] += d;
                ask_px[k] += d;
            }
            bid_q[(a % 5) as usize] = a;
            ask_q[(b % 5) as usize] = b;
            s.on_book(ts[i], &bid_px, &bid_q, &ask_px, &ask_q);
        }
        if i % read_every == 0 {
            black_box(s.values());
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    let out = s.values();
    println!(
        "{n} events, read every {read_every}: {:.1} ns/event (update + reads of all {COUNT} signals); last vpin {:.4}",
        dt / n as f64 * 1e9,
        out[10]
    );
}
