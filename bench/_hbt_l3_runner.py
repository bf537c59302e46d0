"""Drive hftbacktest 2.4.4 on Databento market-by-order data for the L3 head-to-head.

This file runs INSIDE hftbacktest's own virtual environment (see
``bench/hbt/requirements.txt``; its Databento converter needs the
``databento`` package there), never in mmsim's. ``bench/vs_hftbacktest_l3.py``
starts it as a subprocess and reads the one JSON object it prints on stdout;
everything else (hftbacktest's progress prints, warnings) goes to stderr.

Subcommands::

    python bench/_hbt_l3_runner.py convert ESH4.mbo.dbn.zst --out events.npy
    python bench/_hbt_l3_runner.py bbo events.npy --out bbo.npy
    python bench/_hbt_l3_runner.py run events.npy --mode timer --timer-start NS --quote-from NS --repeat 5
    python bench/_hbt_l3_runner.py suite events.npy --bbo-out bbo.npy --modes timer,feed ...

``convert`` runs hftbacktest's ``hftbacktest.data.utils.databento.convert``
twice in one process (cold, then warm). ``bbo`` replays the converted events
with no latency and no strategy through hftbacktest's own L3 depth
(``HashMapMarketDepth`` with ``L3FIFOQueueModel``) and records its best bid and
ask after every exchange timestamp. ``run`` runs the reference quoter
(``_hbt_runner._make_strategy``, the one the Binance head-to-head runs) with
the L3 FIFO queue model and the no-partial-fill exchange (hftbacktest's only
exchange for L3: ``L3NoPartialFillExchange``), on constant latencies. ``suite``
does ``bbo`` and one untimed run per mode in one process, so numba compiles
hftbacktest's classes once (the test uses it).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _hbt_runner import (  # noqa: E402  (the Binance runner's helpers, same environment)
    _END_OF_DATA,
    _ERRORS,
    _FILL_COLS,
    _MAX_FILLS,
    _T_PROCESS,
    _make_strategy,
    _peak_rss_mib,
    _rss_mib,
    constant_feed_latency,
)


def cmd_convert(args: argparse.Namespace) -> dict:
    """Convert the DBN file twice in this process with hftbacktest's converter: cold, then warm."""
    from hftbacktest.data.utils.databento import convert

    times = []
    data = None
    for _ in range(2):
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # it prints progress
            data = convert(args.dbn, symbol=None)
        times.append(time.perf_counter() - t0)
    assert data is not None
    np.save(args.out, data)
    return {
        "tool": "hftbacktest",
        "source": os.path.abspath(args.dbn),
        "out": os.path.abspath(args.out),
        "n_rows": int(len(data)),
        "convert_cold_s": times[0],
        "convert_warm_s": times[1],
        "peak_rss_mib": _peak_rss_mib(),
    }


def _build_backtest(data: np.ndarray, args: argparse.Namespace):
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

    asset = (
        BacktestAsset()
        .data(data)
        .linear_asset(args.contract_size)
        .constant_order_latency(args.entry_latency_ns, args.response_latency_ns)
        .l3_fifo_queue_model()
        .no_partial_fill_exchange()  # with the L3 model: L3NoPartialFillExchange
        .trading_qty_fee_model(args.maker_fee, args.taker_fee)
        .tick_size(args.tick_size)
        .lot_size(args.lot_size)
    )
    return HashMapMarketDepthBacktest([asset])


def _bbo_loop():
    from numba import njit

    @njit
    def loop(hbt, last_ts, out):
        """Best bid/ask (ticks) and their sizes (lots) after every local wake-up, i.e. timestamp."""
        depth = hbt.depth(0)
        lot = depth.lot_size
        n = 0
        while True:
            rc = hbt.wait_next_feed(False, 1 << 62)
            if rc != 0 and rc != 1 and rc != 2:
                return -rc
            # At the end of the data hftbacktest returns EndOfData after applying the
            # last timestamp's events, without moving its clock there.
            out[n, 0] = last_ts if rc == 1 else hbt.current_timestamp
            out[n, 1] = depth.best_bid_tick
            out[n, 2] = depth.best_ask_tick
            out[n, 3] = round(depth.best_bid_qty / lot)
            out[n, 4] = round(depth.best_ask_qty / lot)
            n += 1
            if rc == 1:
                break
        return n

    return loop


def cmd_bbo(args: argparse.Namespace) -> dict:
    """hftbacktest's own exchange book, best bid/ask after every exchange timestamp.

    With zero feed latency the local side receives each exchange event at its
    exchange time and hftbacktest's L3 local processor applies the same
    add/modify/cancel operations to the same ``HashMapMarketDepth`` type as its
    exchange processor, so the local book after each wake-up is the exchange's.
    """
    data = constant_feed_latency(np.load(args.data), 0)
    hbt = _build_backtest(data, args)
    out = np.zeros((len(data) + 2, 5), np.int64)
    n = _bbo_loop()(hbt, int(data["exch_ts"][-1]), out)
    hbt.close()
    if n < 0:
        raise SystemExit(f"hftbacktest stopped with {_ERRORS.get(-n, -n)}")
    np.save(args.out, out[:n])
    return {"tool": "hftbacktest", "n_timestamps": int(n), "out": os.path.abspath(args.out)}


def _one_run(quoter, data: np.ndarray, args: argparse.Namespace) -> dict:
    fills = np.zeros((_MAX_FILLS, _FILL_COLS), np.int64)
    out = np.zeros(5, np.int64)
    # hftbacktest's clock starts at the first exchange timestamp; mmsim's timer at the
    # first market data its local side receives (``--timer-start``).
    start_offset = int(args.timer_start - data["exch_ts"].min()) if args.timer_start is not None else 0
    t_build = time.perf_counter()
    hbt = _build_backtest(data, args)
    t0 = time.perf_counter()  # timed: the strategy loop, as hftbacktest's own benchmarks time it
    rc = quoter(hbt, args.mode == "feed", True, args.interval_ns, start_offset, args.qty_lots,
                args.max_position_lots, args.skew_ticks_per_lot, args.quote_from, fills, out, args.feed_latency_ns)
    elapsed = time.perf_counter() - t0
    sv = hbt.state_values(0)
    depth = hbt.depth(0)
    result = {
        "rc": int(rc),
        "elapsed_s": elapsed,
        "build_s": t0 - t_build,
        "n_fills": int(out[0]),
        "n_decisions": int(out[1]),
        "last_ts": int(out[2]),
        "n_orders_sent": int(out[3]),
        "n_cancels_sent": int(out[4]),
        "position": float(sv.position),
        "balance": float(sv.balance),
        "fee": float(sv.fee),
        "num_trades": int(sv.num_trades),
        "best_bid_tick": int(depth.best_bid_tick),
        "best_ask_tick": int(depth.best_ask_tick),
        "fills": fills[: out[0]],
    }
    hbt.close()
    return result


def _load(args: argparse.Namespace) -> np.ndarray:
    data = np.load(args.data)
    if getattr(args, "end_ts", None) is not None:
        data = data[data["exch_ts"] < args.end_ts].copy()
    return data


def cmd_suite(args: argparse.Namespace) -> dict:
    """The book (over all the data) and one run per mode (up to ``--end-ts``) in one process: numba
    compiles hftbacktest's classes once. For tests."""
    full = np.load(args.data)
    at_once = constant_feed_latency(full, 0)  # hftbacktest reads the array in place: keep it alive
    hbt = _build_backtest(at_once, args)
    out = np.zeros((len(full) + 2, 5), np.int64)
    n = _bbo_loop()(hbt, int(full["exch_ts"][-1]), out)
    hbt.close()
    if n < 0:
        raise SystemExit(f"hftbacktest stopped with {_ERRORS.get(-n, -n)}")
    np.save(args.bbo_out, out[:n])
    quoter = _make_strategy()
    runs = {}
    data = _load(args)
    delayed = constant_feed_latency(data, args.feed_latency_ns)
    for mode in args.modes.split(","):
        args.mode = mode
        r = _one_run(quoter, delayed, args)
        runs[mode] = {"completed": r["rc"] == _END_OF_DATA, "position": r["position"], "n_fills": r["n_fills"],
                      "fill_list": r["fills"].tolist()}
    return {"tool": "hftbacktest", "n_rows": int(len(data)), "bbo_out": os.path.abspath(args.bbo_out), "runs": runs}


def cmd_run(args: argparse.Namespace) -> dict:
    """Run the quoter with the L3 FIFO queue model: one first (compiling) call, then ``--repeat`` warm calls."""
    t_import = time.perf_counter()
    import hftbacktest  # noqa: F401  (import cost is part of a first run)

    rss_import = _rss_mib()
    data = constant_feed_latency(_load(args), args.feed_latency_ns)
    quoter = _make_strategy()
    t_first = time.perf_counter()
    first = _one_run(quoter, data, args)
    t_first_end = time.perf_counter()
    rss_after_first = _rss_mib()
    warm = []
    for _ in range(args.repeat):
        gc.collect()
        r = _one_run(quoter, data, args)
        warm.append(r["elapsed_s"])
        if r["n_fills"] != first["n_fills"] or r["position"] != first["position"]:
            raise SystemExit("hftbacktest gave a different result on a repeated run")
    ref = first
    completed = ref["rc"] == _END_OF_DATA
    mid = 0.5 * (ref["best_bid_tick"] + ref["best_ask_tick"]) * args.tick_size
    fills = ref.pop("fills")
    res = {
        "tool": "hftbacktest",
        "version": hftbacktest.__version__,
        "mode": args.mode,
        "n_rows": int(len(data)),
        "completed": completed,
        "error": None if completed else _ERRORS.get(ref["rc"], f"return code {ref['rc']}"),
        "first_call_s": t_first_end - t_first,
        "import_s": t_first - t_import,
        "since_interpreter_start_s": t_first_end - _T_PROCESS,
        "warm_s": warm,
        "warm_median_s": statistics.median(warm) if warm else None,
        "mid_end": mid,
        "pnl": ref["balance"] - ref["fee"] + ref["position"] * mid * args.contract_size,
        "peak_rss_mib": _peak_rss_mib(),
        "rss_after_import_mib": rss_import,
        "rss_after_first_mib": rss_after_first,
        "rss_after_repeats_mib": _rss_mib(),
        **{k: v for k, v in ref.items() if k != "elapsed_s"},
        "first_elapsed_s": ref["elapsed_s"],
        "fill_list": fills.tolist(),
    }
    return res


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--entry-latency-ns", type=int, default=500_000)
    p.add_argument("--response-latency-ns", type=int, default=500_000)
    p.add_argument("--tick-size", type=float, default=0.25)
    p.add_argument("--lot-size", type=float, default=1.0)
    p.add_argument("--contract-size", type=float, default=50.0, help="USD per index point (E-mini S&P: 50)")
    p.add_argument("--maker-fee", type=float, default=0.5, help="USD per contract")
    p.add_argument("--taker-fee", type=float, default=1.0, help="USD per contract")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="convert a Databento MBO file with hftbacktest's converter")
    c.add_argument("dbn")
    c.add_argument("--out", required=True, help="where to save the converted events (.npy)")
    b = sub.add_parser("bbo", help="hftbacktest's best bid/ask after every exchange timestamp")
    b.add_argument("data")
    b.add_argument("--out", required=True)
    _common(b)
    r = sub.add_parser("run", help="run the reference quoter with the L3 FIFO queue model")
    r.add_argument("--mode", choices=("timer", "feed"), default="timer")
    r.add_argument("--repeat", type=int, default=5, help="warm calls after the first (median reported)")
    s = sub.add_parser("suite", help="the book (bbo) and one run per mode in one process")
    s.add_argument("--bbo-out", required=True)
    s.add_argument("--modes", default="timer,feed")
    for q in (r, s):
        q.add_argument("data", help="events converted by the convert subcommand (.npy)")
        q.add_argument("--interval-ns", type=int, default=10_000_000)
        q.add_argument("--feed-latency-ns", type=int, required=True)
        q.add_argument("--timer-start", type=int, default=None,
                       help="absolute time (ns) the timer counts from: mmsim's first local market data")
        q.add_argument("--quote-from", type=int, default=0, help="no decision before this local time, ns")
        q.add_argument("--end-ts", type=int, default=None, help="drop events from this exchange time on, ns")
        q.add_argument("--qty-lots", type=int, default=1)
        q.add_argument("--max-position-lots", type=int, default=20)
        q.add_argument("--skew-ticks-per-lot", type=float, default=0.1)
        _common(q)
    args = p.parse_args(argv)
    res = {"convert": cmd_convert, "bbo": cmd_bbo, "run": cmd_run, "suite": cmd_suite}[args.cmd](args)
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
