"""A latency curve in one pass: ``mmsim.run_many`` against K separate ``mmsim.run`` calls and K hftbacktest runs.

Usage (from the repository root; hftbacktest's venv as for ``vs_hftbacktest.py``)::

    python bench/bench_many.py                    # both markets, both modes, K = 1, 2, 4, 8, 16
    python bench/bench_many.py --no-hbt --ks 1,8  # mmsim only

For each market (the Binance USD-M BTCUSDT 2024-08-08 capture, converted by
``mmsim convert``; the LOBSTER AMZN 2012-06-21 day as its L2 top of book, the
events ``bench/bench_engine.py`` replays) and each decision mode (a 10 ms
timer; every local wake-up), K runs of the benchmark quoter
(``bench/_mmsim_quoter.py``, the rule of ``vs_hftbacktest.py``) at K constant
feed latencies evenly spaced from 0 to 100 ms (K = 1: 0 ms), order entry and
response 0.5 ms, risk-averse queue, post-only, maker -0.5 bp / taker 7 bp:

- ``run_many``: one call for the K runs;
- ``K x run``: the K runs one after another in the same process;
- ``one run``: their mean, the cost of one point of the curve;
- ``K hftbacktest``: hftbacktest 2.4.4 (its own venv, driven as ``vs_hftbacktest.py``
  drives it) at the same K latencies in one process, the sum of each latency's warm
  CPU time (its strategy loop alone, as its own benchmarks time it; building each
  backtest over the events, another ~0.4 s a run, is left out).

Times are CPU seconds of the calling thread (where the replay runs), the least of
``--repeat`` measurements taken in turns (run_many, then the K runs, again and
again) in one process: on a shared machine the least is the least disturbed, and
CPU time leaves out the time other processes hold the core. Correctness check:
before timing, every ``run_many`` result is compared byte for byte with its
separate run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))

import mmsim  # noqa: E402
from _mmsim_quoter import touch_quoter  # noqa: E402
from vs_hftbacktest import _find_hbt_python, _run_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
BTC_CAPTURE = DATA / "binance" / "usdm" / "btcusdt_20240808.gz"
AMZN = (DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_1.csv",
        DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv")
ENTRY_NS = RESPONSE_NS = 500_000
MAKER_BPS, TAKER_BPS = -0.5, 7.0
TIMER_NS = 10_000_000

# hftbacktest's event record and flags (hftbacktest.types), spelt out so this side need not import it.
HBT_EVENT_DTYPE = np.dtype({"names": ["ev", "exch_ts", "local_ts", "px", "qty", "order_id", "ival", "fval"],
                            "formats": ["<u8", "<i8", "<i8", "<f8", "<f8", "<u8", "<i8", "<f8"],
                            "offsets": [0, 8, 16, 24, 32, 40, 48, 56], "itemsize": 64, "aligned": True})
HBT_EXCH, HBT_LOCAL, HBT_BUY, HBT_SELL = 1 << 31, 1 << 30, 1 << 29, 1 << 28
HBT_DEPTH, HBT_TRADE, HBT_CLEAR = 1, 2, 3


def latencies(k: int) -> list[int]:
    return [int(round(x)) for x in np.linspace(0, 100_000_000, k)] if k > 1 else [0]


def config(feed_ns: int, mode: str, tick_size: float, lot_size: float) -> mmsim.Config:
    return mmsim.Config(
        tick_size=tick_size, lot_size=lot_size, contract_size=1.0,
        latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=feed_ns), entry=mmsim.LatencyModel(ns=ENTRY_NS),
                                    response=mmsim.LatencyModel(ns=RESPONSE_NS)),
        fees=mmsim.FeeConfig(maker_bps=MAKER_BPS, taker_bps=TAKER_BPS),
        decide_every=TIMER_NS if mode == "timer" else None,
        signals=mmsim.SignalConfig(enabled=False),
    )


def to_hbt(ev: np.ndarray, tick_size: float, lot_size: float) -> np.ndarray:
    """mmsim DEPTH/TRADE/CLEAR events as hftbacktest rows (exchange and local side, prices and sizes in units)."""
    kinds = {int(mmsim.Kind.DEPTH): HBT_DEPTH, int(mmsim.Kind.TRADE): HBT_TRADE, int(mmsim.Kind.CLEAR): HBT_CLEAR}
    bad = ~np.isin(ev["kind"], list(kinds))
    if bad.any():
        raise SystemExit(f"events of kinds {sorted(set(ev['kind'][bad].tolist()))} have no hftbacktest L2 row")
    out = np.zeros(len(ev), dtype=HBT_EVENT_DTYPE)
    kind = np.zeros(len(ev), np.uint64)
    for k, h in kinds.items():
        kind[ev["kind"] == k] = h
    side = np.where(ev["side"] > 0, HBT_BUY, np.where(ev["side"] < 0, HBT_SELL, 0)).astype(np.uint64)
    out["ev"] = kind | side | np.uint64(HBT_EXCH | HBT_LOCAL)
    out["exch_ts"] = ev["exch_ts"]
    out["local_ts"] = ev["exch_ts"]
    out["px"] = ev["price"] * tick_size
    out["qty"] = ev["qty"] * lot_size
    return out


def best_of(fns, repeat: int) -> list[float]:
    """Least CPU time of each function, the functions taking turns ``repeat`` times."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.thread_time()
            fn()
            best[k] = min(best[k], time.thread_time() - t0)
    return best


def check_identical(events, runs) -> None:
    many = mmsim.run_many(events, runs)
    for k, ((s, c), r) in enumerate(zip(runs, many)):
        one = mmsim.run(events, s, c)
        for name in ("fills", "orders", "samples", "fill_signals"):
            if getattr(r, name).tobytes() != getattr(one, name).tobytes():
                raise SystemExit(f"run_many differs from run for run {k} ({name}): a bug, not a benchmark result")


def market_events(name: str, workdir: Path) -> tuple[np.ndarray, float, float, int | None]:
    """(events, tick size, lot size, first exch_ts for hftbacktest) of a market."""
    if name == "btcusdt":
        from mmsim.data import converter

        store = converter("binance")([BTC_CAPTURE], workdir / "btc_store", tick_size=0.1, lot_size=0.001)
        ev = np.asarray(store.events)
        return ev, 0.1, 0.001, int(ev["exch_ts"][0])
    from _lobster import lobster_l2_events

    return lobster_l2_events(*AMZN), 0.01, 1.0, None


def hbt_curve(hbt_py: str, events: np.ndarray, tick: float, lot: float, mode: str, lats: list[int],
              repeat: int, workdir: Path, btc_start: int | None) -> dict[int, float]:
    """hftbacktest's warm CPU time at each latency (least of ``repeat``), one process."""
    runner = [hbt_py, str(BENCH / "_hbt_runner.py")]
    if btc_start is not None:  # the capture through hftbacktest's own converter, from the REST snapshot on
        data = workdir / "hbt_btc.npy"
        if not data.exists():
            _run_json(runner + ["convert", str(BTC_CAPTURE), "--out", str(data)])
        start = ["--start-ts", str(btc_start)]
    else:
        data = workdir / "hbt_amzn.npy"
        if not data.exists():
            np.save(data, to_hbt(events, tick, lot))
        start = []
    res, _ = _run_json(runner + ["curve", str(data), "--mode", mode, "--repeat", str(repeat),
                                 "--feed-latencies-ns", ",".join(map(str, lats)), "--tick-size", str(tick),
                                 "--lot-size", str(lot), "--entry-latency-ns", str(ENTRY_NS),
                                 "--response-latency-ns", str(RESPONSE_NS), "--interval-ns", str(TIMER_NS),
                                 f"--maker-fee={MAKER_BPS * 1e-4}", f"--taker-fee={TAKER_BPS * 1e-4}"]
                       + start)
    return {int(k): min(v) for k, v in res["warm_s"].items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--markets", default="btcusdt,amzn")
    p.add_argument("--modes", default="timer,feed")
    p.add_argument("--ks", default="1,2,4,8,16")
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions (the least is reported)")
    p.add_argument("--hbt-repeat", type=int, default=2, help="warm hftbacktest runs per latency")
    p.add_argument("--no-hbt", action="store_true", help="leave hftbacktest out")
    p.add_argument("--hbt-python", default=None)
    p.add_argument("--json", default=None, help="also write every figure to this JSON file")
    args = p.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]
    hbt_py = None if args.no_hbt else _find_hbt_python(args.hbt_python)
    workdir = Path(tempfile.mkdtemp(prefix="mmsim-bench-many-"))
    quoter = touch_quoter(qty=10, max_position=500, skew_ticks_per_lot=0.1)
    rows = []
    print(f"mmsim {mmsim.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
          f"least CPU time of {args.repeat} turns")
    for market in args.markets.split(","):
        events, tick, lot, btc_start = market_events(market, workdir)
        for mode in args.modes.split(","):
            all_lats = sorted({lat for k in ks for lat in latencies(k)})
            hbt = (hbt_curve(hbt_py, events, tick, lot, mode, all_lats, args.hbt_repeat, workdir, btc_start)
                   if hbt_py else {})
            for k in ks:
                runs = [(quoter, config(lat, mode, tick, lot)) for lat in latencies(k)]
                check_identical(events, runs)
                t_many, t_sep = best_of([lambda: mmsim.run_many(events, runs),
                                         lambda: [mmsim.run(events, s, c) for s, c in runs]], args.repeat)
                t_hbt = sum(hbt[lat] for lat in latencies(k)) if hbt else None
                row = {"market": market, "mode": mode, "k": k, "n_events": int(len(events)), "run_many_s": t_many,
                       "separate_s": t_sep, "one_run_s": t_sep / k, "hbt_s": t_hbt}
                rows.append(row)
                hb = f"{t_hbt * 1e3:9.1f} ms {t_hbt / t_many:6.1f}x" if t_hbt else "        n/a        "
                print(f"{market:8s} {mode:5s} K={k:2d}: run_many {t_many * 1e3:8.1f} ms = {t_many / (t_sep / k):5.2f}x "
                      f"one run ({t_sep / k * 1e3:6.1f} ms) | {k} x run {t_sep * 1e3:8.1f} ms, {t_sep / t_many:5.2f}x "
                      f"run_many | {k} hftbacktest {hb}")
    print()
    print("| market | decisions | K | run_many | one run (mean) | run_many / one run | K x run | "
          "K x run / run_many | K hftbacktest | hftbacktest / run_many |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        hb = (f"{r['hbt_s'] * 1e3:.0f} ms | {r['hbt_s'] / r['run_many_s']:.1f}x" if r["hbt_s"] else "n/a | n/a")
        print(f"| {r['market']} | {'10 ms timer' if r['mode'] == 'timer' else 'every wake-up'} | {r['k']} | "
              f"{r['run_many_s'] * 1e3:.1f} ms | {r['one_run_s'] * 1e3:.1f} ms | "
              f"**{r['run_many_s'] / r['one_run_s']:.2f}x** | {r['separate_s'] * 1e3:.1f} ms | "
              f"{r['separate_s'] / r['run_many_s']:.2f}x | {hb} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
