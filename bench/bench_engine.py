"""Engine throughput on the AMZN LOBSTER day: no strategy, and a numba strategy on a 10 ms timer or every update.

Run: python bench/bench_engine.py [--repeat 5]
Prints events/s (median of repeats) and the ratios between modes, measured in one run.
Correctness check: the no-strategy replay ends with the same book as replay_bbo.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import mmsim

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from _lobster import lobster_l2_events  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "lobster"


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out), r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    ev = lobster_l2_events(DATA / "AMZN_2012-06-21_34200000_57600000_message_1.csv",
                           DATA / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv")
    lm = mmsim.LatencyModel(ns=500_000)
    base = mmsim.Config(tick_size=0.01, latency=mmsim.LatencyConfig(feed=lm, entry=lm, response=lm))
    off = base.replace(signals=mmsim.SignalConfig(enabled=False))
    n = len(ev)
    rows = []
    t, r = timed(lambda: mmsim.run(ev, None, off), args.repeat)
    assert r.samples[-1]["best_bid"] == mmsim.replay_bbo(ev)["best_bid"][-1]
    rows.append(("engine alone, signals off", t))
    t, _ = timed(lambda: mmsim.run(ev, None, base), args.repeat)
    rows.append(("engine alone, signals on", t))
    quoter = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 100})  # numba, the reference FixedSpread
    mmsim.run(ev[:1000], quoter, off)  # compile (or load from cache) outside the timing
    t, r = timed(lambda: mmsim.run(ev, quoter, off.replace(decide_every=10_000_000)), args.repeat)
    rows.append((f"numba FixedSpread, 10 ms timer ({r.n_calls:,} calls)", t))
    t, r = timed(lambda: mmsim.run(ev, quoter, off), args.repeat)
    rows.append((f"numba FixedSpread, every update ({r.n_calls:,} calls)", t))
    ref = rows[0][1]
    print(f"AMZN 2012-06-21 L2 top-of-book, {n:,} events; median of {args.repeat}")
    for name, secs in rows:
        print(f"  {name:60s} {n / secs / 1e6:8.2f} M events/s   x{ref / secs:5.2f} of engine alone")


if __name__ == "__main__":
    main()
