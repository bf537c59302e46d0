"""Sweep throughput on a real day: the same grid on 1 and 2 local worker processes, each point alone or in passes.

Converts the LOBSTER AMZN day (2012-06-21, shipped in ../shared/data) to an
event store, then runs a 48-point grid (8 feed latencies x 3 half-spreads x
2 strategies, numba fast path, 100 ms decision timer, report per point) from
scratch with 1 and with 2 workers, and with each pass size asked for: 1 (every
point replayed alone, as sweeps did before they shared passes) and 16 (the
default: the points of the store replayed together, ``mmsim.run_many``). The
modes alternate within each repeat and the best of ``--repeat`` runs is kept
(other work on the machine only ever slows a run down). Prints points per
minute and events per second in total (events replayed by all points / wall
time, worker start-up included), the ratios, and checks that every run gives
identical metrics.

    python bench/bench_sweep.py [--data ../shared/data] [--workers 1,2] [--pass-sizes 1,16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = "lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv"

GRID = """\
base:
  data: {store}
  decide_every: 100ms
  latency: {{entry: 1ms, response: 1ms}}
  fees: {{maker_bps: -0.2}}
  report: {{horizons: [100ms, 1s, 10s]}}
points:
  - strategy: {{path: {root}/strategies/fixed_spread.py:FixedSpread, params: {{half_spread: 1, size: 100}}}}
  - strategy: {{path: {root}/strategies/toxicity_pull.py:ToxicityPull, params: {{half_spread: 1, size: 100}}}}
axes:
  latency.feed: [0ms, 1ms, 2ms, 5ms, 10ms, 20ms, 50ms, 100ms]
  strategy.params.half_spread: [1, 2, 3]
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--pass-sizes", default="1,16", help="comma-separated pass sizes (1: every point alone)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per worker count and pass size (the best is kept)")
    args = ap.parse_args()

    import importlib

    import mmsim
    from mmsim.data import converter

    sw = importlib.import_module("mmsim.sweep")

    counts = [int(w) for w in args.workers.split(",")]
    sizes = [int(s) for s in args.pass_sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        store = converter("lobster")([args.data / MESSAGE], tmp_path / "amzn", tick_size=None, lot_size=None,
                                     symbol=None, progress=None)
        grid_path = tmp_path / "grid.yaml"
        grid_path.write_text(GRID.format(store=store.path, root=ROOT))
        grid = sw.load_grid(grid_path)
        print(f"mmsim {mmsim.__version__}: {len(grid.points)} points, {len(store):,} events per point, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
        best: dict[tuple[int, int], tuple[float, list[dict]]] = {}
        for k in range(args.repeat):
            for w in counts:
                for size in sizes:  # alternating: a burst of load hits every mode alike
                    t0 = time.perf_counter()
                    rows = sw.run_sweep(grid, out=tmp_path / f"out{w}_{size}_{k}", workers=w, pass_size=size)
                    wall = time.perf_counter() - t0
                    failed = [r for r in rows if r["status"] != "ok"]
                    if failed:
                        first_err = f"{failed[0]['error_type']}: {failed[0]['error_message']}"
                        raise SystemExit(f"{len(failed)} points failed: {first_err}")
                    if (w, size) not in best or wall < best[(w, size)][0]:
                        best[(w, size)] = (wall, rows)
        reference = _metrics(best[(counts[0], sizes[0])][1])
        for (w, size), (wall, rows) in sorted(best.items()):
            assert _metrics(rows) == reference, f"workers={w}, pass size {size} gives different results"
            events = sum(r["n_events"] for r in rows)
            print(f"workers={w} pass size {size:>2}: {wall:6.2f} s wall, {len(rows) / wall * 60:7.1f} points/min, "
                  f"{events / wall / 1e6:6.2f} M events/s in total, "
                  f"mean point {sum(r['elapsed_s'] for r in rows) / len(rows):.3f} s in its worker")
        for w in counts:
            for size in sizes[1:]:
                print(f"workers={w}: pass size {size} vs {sizes[0]}: "
                      f"{best[(w, sizes[0])][0] / best[(w, size)][0]:.2f}x (identical metrics)")
        for size in sizes:
            for w in counts[1:]:
                print(f"pass size {size}: {w} vs {counts[0]} workers: "
                      f"{best[(counts[0], size)][0] / best[(w, size)][0]:.2f}x")


def _metrics(rows: list[dict]) -> list[dict]:
    """Everything but the wall times."""
    return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]


if __name__ == "__main__":
    main()
