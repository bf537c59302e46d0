"""Benchmark of the native signals: ns per event for all signals, engine events/s with signals on and off.

Runs on a seeded synthetic L2 stream (and on the real Binance BTCUSDT capture
when ``../shared/data`` and the Binance loader are present). Measures, in one
process:

- ``mmsim._engine.compute_signals`` (book replay + every signal updated and
  read after each event) against ``mmsim._engine.replay_bbo`` (the same book
  replay alone): the difference is the cost of all signals together, in ns
  per event; and ``mmsim.signals.compute`` end to end;
- ``mmsim.run`` with no strategy, with ``signals.enabled`` true and false:
  engine events per second and their ratio.

A correctness check runs first: the final ``trade_flow`` and ``vpin`` from
``compute`` must equal a closed-form NumPy computation over the same prints.

Usage::

    python bench/bench_signals.py [--events 2000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import mmsim
import mmsim.signals
from mmsim import Kind

SEED = 20240808


def synthetic(n: int, seed: int = SEED) -> np.ndarray:
    """A seeded L2 stream: 10 levels a side around a fixed centre, 70% depth updates, 30% prints.

    Vectorised so that millions of events take well under a second to make.
    Bids sit 1..10 ticks below the centre and asks above it, so the book never
    crosses; the mid still moves as the top levels empty and refill.
    """
    rng = np.random.default_rng(seed)
    centre = 100_000
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ts = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(1, 100_000, n))
    is_trade = rng.random(n) < 0.3
    side = np.where(rng.random(n) < 0.5, 1, -1)
    depth_px = centre - side * rng.integers(1, 11, n)
    trade_px = centre + side  # a buy lifts the ask side, a sell hits the bid side
    ev["exch_ts"] = ts
    ev["local_ts"] = ts
    ev["kind"] = np.where(is_trade, Kind.TRADE, Kind.DEPTH)
    ev["side"] = side
    ev["price"] = np.where(is_trade, trade_px, depth_px)
    ev["qty"] = np.where(is_trade, rng.integers(1, 50, n), rng.integers(0, 60, n))
    return ev


def check(events: np.ndarray, cfg: mmsim.SignalConfig) -> None:
    """Compare compute()'s last trade_flow and vpin with closed forms over the prints."""
    sig = mmsim.signals.compute(events, cfg)
    tr = events[events["kind"] == Kind.TRADE]
    t_end = int(events["exch_ts"][-1])
    signed = tr["side"].astype(float) * tr["qty"]
    want_tf = float(np.sum(signed * np.exp2(-(t_end - tr["exch_ts"]).astype(float) / cfg.trade_flow_half_life)))
    got_tf = float(sig["trade_flow"][-1])
    assert math.isclose(got_tf, want_tf, rel_tol=1e-9, abs_tol=1e-9 * float(np.abs(signed).max())), (got_tf, want_tf)
    # VPIN with an integer bucket: cumulative signed/unsigned volume at bucket edges
    v, n = int(cfg.vpin_bucket_volume), cfg.vpin_buckets
    vol = np.cumsum(tr["qty"])
    buy = np.cumsum(np.where(tr["side"] > 0, tr["qty"], 0))
    edges = np.arange(v, int(vol[-1]) + 1, v)
    # buy volume up to each edge: the print that crosses the edge is split
    j = np.searchsorted(vol, edges)
    before = np.where(j > 0, vol[j - 1], 0)
    buy_before = np.where(j > 0, buy[j - 1], 0)
    buy_at = buy_before + np.where(tr["side"][j] > 0, edges - before, 0)
    b = np.diff(np.concatenate([[0], buy_at]))
    imb = np.abs(2 * b - v)
    last = imb[-n:]
    want_vpin = float(last.sum() / (len(last) * v))
    assert math.isclose(float(sig["vpin"][-1]), want_vpin, rel_tol=1e-12), (sig["vpin"][-1], want_vpin)


def best(f, repeat: int) -> float:
    """Fastest wall time of ``repeat`` calls, seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench(name: str, events: np.ndarray, repeat: int) -> None:
    """Print ns/event of the signals and the engine's events/s with signals on and off."""
    n = len(events)
    cfg_on = mmsim.Config(signals=mmsim.SignalConfig())
    cfg_off = mmsim.Config(signals=mmsim.SignalConfig(enabled=False))
    native = mmsim.signals.native_params(cfg_on.signals)
    t_book = best(lambda: mmsim._engine.replay_bbo(events), repeat)
    t_raw = best(lambda: mmsim._engine.compute_signals(events, native), repeat)
    t_sig = best(lambda: mmsim.signals.compute(events, cfg_on), repeat)
    t_on = best(lambda: mmsim.run(events, None, cfg_on), repeat)
    t_off = best(lambda: mmsim.run(events, None, cfg_off), repeat)
    ns = 1e9 / n
    print(f"\n{name}: {n:,} events, best of {repeat}")
    print(f"  book replay only (_engine.replay_bbo)         {t_book * ns:8.1f} ns/event")
    print(f"  book + all signals (_engine.compute_signals)  {t_raw * ns:8.1f} ns/event")
    print(f"  => all 11 signals together                    {(t_raw - t_book) * ns:8.1f} ns/event")
    print(f"  mmsim.signals.compute (with record packing)   {t_sig * ns:8.1f} ns/event")
    print(f"  engine run, signals on                        {n / t_on / 1e6:8.2f} M events/s")
    print(f"  engine run, signals off                       {n / t_off / 1e6:8.2f} M events/s")
    print(f"  ratio on/off (events/s)                       {t_off / t_on:8.3f}")
    print(f"  ratio compute_signals/replay_bbo (time)       {t_raw / t_book:8.3f}")
    # The same on a slice that stays in cache: the signals' own cost without the
    # page faults of writing 88 bytes of fresh output per event.
    part = events[:20_000]
    m = len(part)
    t_book_c = best(lambda: mmsim._engine.replay_bbo(part), 20 * repeat)
    t_raw_c = best(lambda: mmsim._engine.compute_signals(part, native), 20 * repeat)
    print(f"  => all 11 signals, cache-resident ({m:,} ev)  {(t_raw_c - t_book_c) * 1e9 / m:8.1f} ns/event")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    events = synthetic(args.events)
    check(events[:200_000], mmsim.SignalConfig(trade_flow_half_life=50_000_000, vpin_bucket_volume=100.0))
    print("correctness check passed (trade_flow and vpin against closed forms)")
    bench("synthetic L2", events, args.repeat)
    shared = Path(os.environ.get("MMSIM_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    real = shared / "binance" / "usdm" / "btcusdt_20240808.gz"
    try:
        from mmsim.data import converter
    except ImportError:  # the loaders are not in this checkout
        converter = None
    if real.exists() and converter is not None:
        with tempfile.TemporaryDirectory() as tmp:
            store = converter("binance")([real], Path(tmp) / "store")
            bench("Binance USD-M BTCUSDT 2024-08-08 (real)", np.array(store.events), args.repeat)
    else:
        print(f"\n(skipped the real-data run: {real} or mmsim.data is missing)")

if __name__ == "__main__":
    main()
