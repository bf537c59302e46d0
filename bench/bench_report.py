"""Benchmark: time of mmsim.report on one AMZN LOBSTER day, beyond the run itself.

Runs a quoting strategy over the AMZN 2012-06-21 LOBSTER day (L2 top of book), then times
``mmsim.report.make_report(result, events)`` (every number, including the exchange
mid replay) and, separately, rendering and writing every output file. Checks
that the PnL parts reconcile with the engine's own cash and position before
printing the figures.

Usage::

    python bench/bench_report.py [--repeat 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import mmsim  # noqa: E402
from mmsim.report import make_report as report  # noqa: E402
from mmsim.strategy import Quote, Strategy  # noqa: E402

LOBSTER = ROOT.parent / "shared" / "data" / "lobster"
MESSAGE = LOBSTER / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
ORDERBOOK = LOBSTER / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"


class JoinBest(Strategy):
    """Join the local best bid and ask with 100 shares, skewing away from inventory; fixed seed-free rule."""

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        skew = int(view.position // 400)
        bid_qty = 100 if view.position < 2000 else 0
        ask_qty = 100 if view.position > -2000 else 0
        return Quote(view.best_bid - max(skew, 0), bid_qty, view.best_ask - min(skew, 0), ask_qty)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None, help="keep the outputs here")
    args = ap.parse_args()
    if not MESSAGE.exists():
        print(f"skipped: {MESSAGE} not found")
        return 0
    from _lobster import lobster_l2_events

    events = lobster_l2_events(MESSAGE, ORDERBOOK)
    cfg = mmsim.Config(
        tick_size=0.01,
        latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=1_000_000), entry=mmsim.LatencyModel(ns=1_000_000),
                                    response=mmsim.LatencyModel(ns=1_000_000)),
        fees=mmsim.FeeConfig(maker_bps=-0.2, taker_bps=0.3),
        decide_every=100_000_000,
    )
    t0 = time.perf_counter()
    result = mmsim.run(events, JoinBest(), cfg)
    t_run = time.perf_counter() - t0

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rep = report(result, events)
        times.append(time.perf_counter() - t0)
    t_report = statistics.median(times)

    p = rep.data["pnl"]
    # Correctness: the parts add up, exactly, to cash plus position at the end mid.
    h = p["half_ticks"]
    assert h["spread_capture"] + h["inventory"] == h["total_before_fees"]
    assert h["total_before_fees"] == 2 * result.cash_ticks + result.position * int(round(2 * p["end_mid"]))
    assert abs(p["total"] - (result.cash + result.position * p["end_mid"] * result.tick_value)) < 1e-6

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        rep.save(out)
        t_save = time.perf_counter() - t0

    n_fills = rep.data["fills"]["count"]
    print(f"AMZN LOBSTER 2012-06-21: {events.shape[0]:,} events, {n_fills:,} fills")
    print(f"run (Python strategy, 100ms timer):  {t_run:8.3f} s")
    print(f"report compute (median of {args.repeat}):     {t_report:8.3f} s   "
          f"({t_report / t_run:.2f}x the run)")
    print(f"render + write all outputs:          {t_save:8.3f} s")
    print(f"pnl.total {p['total']:.2f} = spread {p['spread_capture']:.2f} + inventory {p['inventory']:.2f} "
          f"- fees {p['fees']:.2f}; toxic share @1s {rep.data['toxic_share']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
