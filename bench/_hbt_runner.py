"""Drive hftbacktest 2.4.4 for the head-to-head benchmark: convert the capture, run the reference quoter.

This file runs INSIDE hftbacktest's own virtual environment (see
``bench/hbt/requirements.txt``), never in mmsim's: hftbacktest pins older
numpy/numba. ``bench/vs_hftbacktest.py`` starts it as a subprocess and reads
the one JSON object it prints on stdout; everything else (hftbacktest's own
progress prints, numba warnings) goes to stderr.

Subcommands::

    python bench/_hbt_runner.py convert CAPTURE.gz --out events.npy
    python bench/_hbt_runner.py run events.npy --mode timer --exchange no_partial --repeat 5
    python bench/_hbt_runner.py curve events.npy --mode timer --feed-latencies-ns 0,50000000 --repeat 3

``curve`` (for ``bench/bench_many.py``) runs the quoter once per constant feed
latency of a latency curve in one process (one compile), and reports each
latency's warm CPU time (of the strategy loop; the thread's CPU seconds).

``run`` times a first call (numba compiles the strategy and hftbacktest's
jitclass on it), then ``--repeat`` warm calls, each on a freshly built
backtest over the same in-memory event array, and reports the median.

The strategy is ``bench/_quoter_rule.py``'s ``quote_targets`` (the same jitted
function ``vs_hftbacktest.py`` runs in mmsim): a symmetric quoter at the touch
with a linear inventory skew. Around it, this file does the order management
mmsim's engine does by itself: a working order at the wanted price and size is
kept (its queue position survives); any other is cancelled and the new one sent
at once, both post-only (GTX), so a price change costs one entry latency with
no quote on that side. A target whose order was rejected (GTX, it would have crossed: the
order comes back EXPIRED) is not sent again while the rule keeps that target and the best
bid and ask stay those of the decision that learnt of the reject, unless the local book is
past the reject (local time minus the constant feed latency at or after the reject's
exchange time) and the target crosses nothing in it, as mmsim holds it (docs/engine.md,
"Targets, not orders").
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

_T_PROCESS = time.perf_counter()  # start of this interpreter's work (after Python's own start-up)

_FILL_COLS = 5  # exch_ts, side (+1 bought / -1 sold), price in ticks, qty in lots, order id
_MAX_FILLS = 1_000_000

#: hftbacktest's Python binding returns 1 at the end of the data and these codes
#: for its Rust ``BacktestError`` variants.
_END_OF_DATA = 1
_ERRORS = {
    10: "OrderIdExist",
    11: "OrderRequestInProcess",
    12: "OrderNotFound",
    13: "InvalidOrderRequest",
    14: "InvalidOrderStatus",
    15: "EndOfData",
    100: "DataError",
}


def _peak_rss_mib() -> float:
    """Peak resident set size of this process, MiB.

    Read from ``VmHWM``: ``getrusage``'s ``ru_maxrss`` survives ``execve`` on
    Linux, so a child started by a large parent would report the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_mib() -> float:
    """Current resident set size of this process, MiB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def cmd_convert(args: argparse.Namespace) -> dict:
    """Convert the raw capture twice in this process: the first call is cold, the second warm."""
    from hftbacktest.data.utils.binancefutures import convert

    times = []
    data = None
    for _ in range(2):
        t0 = time.perf_counter()
        # hftbacktest prints progress on stdout; keep stdout for our JSON alone.
        with contextlib.redirect_stdout(sys.stderr):
            data = convert(args.capture, combined_stream=True)
        times.append(time.perf_counter() - t0)
    assert data is not None
    np.save(args.out, data)
    return {
        "tool": "hftbacktest",
        "capture": os.path.abspath(args.capture),
        "out": os.path.abspath(args.out),
        "n_rows": int(len(data)),
        "convert_cold_s": times[0],
        "convert_warm_s": times[1],
        "peak_rss_mib": _peak_rss_mib(),
    }


def constant_feed_latency(data: np.ndarray, feed_latency_ns: int) -> np.ndarray:
    """Rewrite local timestamps as ``exch_ts + feed_latency_ns`` (one row per market event).

    hftbacktest's converter keeps the recorded receive time (shifted so that no
    latency is negative) and, where the local order differs from the exchange
    order, writes an event twice: once flagged for the exchange side, once for
    the local side. With a constant latency both orders agree, so the rows
    flagged for the exchange are the market events, each now valid on both sides.
    """
    from hftbacktest.types import EXCH_EVENT, LOCAL_EVENT

    exch_rows = data[(data["ev"] & EXCH_EVENT) != 0].copy()
    exch_rows["local_ts"] = exch_rows["exch_ts"] + np.int64(feed_latency_ns)
    exch_rows["ev"] |= np.uint64(EXCH_EVENT | LOCAL_EVENT)
    return exch_rows


def _build_backtest(data: np.ndarray, args: argparse.Namespace):
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

    asset = (
        BacktestAsset()
        .data(data)
        .linear_asset(1.0)
        .constant_order_latency(args.entry_latency_ns, args.response_latency_ns)
        .risk_adverse_queue_model()
        .trading_value_fee_model(args.maker_fee, args.taker_fee)
        .tick_size(args.tick_size)
        .lot_size(args.lot_size)
    )
    if args.exchange == "partial":
        asset = asset.partial_fill_exchange()
    else:
        asset = asset.no_partial_fill_exchange()
    return HashMapMarketDepthBacktest([asset])


def _make_strategy():
    """Build the jitted quoter; imported lazily so ``convert`` does not pay for it."""
    from numba import njit
    from numba.typed import Dict
    from numba import types

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _quoter_rule import quote_targets

    from hftbacktest.order import BUY, CANCELED, EXPIRED, FILLED, GTX, LIMIT, NEW, NONE, PARTIALLY_FILLED

    @njit
    def quoter(hbt, on_feed, include_resp, interval_ns, start_offset, qty_lots, max_lots, skew_ticks_per_lot,
               quote_from, fills, out, feed_ns):
        """Run to the end of the data; return the loop's last return code.

        ``fills`` receives one row per fill (exch_ts, side, price ticks, qty
        lots, order id; partial fills the local side learns of in one
        wake-up come as one row at the last one's time); ``out`` receives
        [n_fills, n_decisions, last timestamp, n_orders_sent, n_cancels_sent]. ``start_offset`` (ns) is elapsed once
        before the timer starts: hftbacktest's clock starts at the first
        exchange timestamp, mmsim's timer at the first market data the local
        side receives. Decisions before local time ``quote_from`` (ns) do
        nothing (no order rests then, so there is nothing to record either).
        ``feed_ns``: the constant feed latency (0 when the data's own local
        timestamps are kept), so that the local book at local time t is the
        exchange's at t - feed_ns.
        """
        asset_no = 0
        depth = hbt.depth(asset_no)
        tick = depth.tick_size
        lot = depth.lot_size
        # Filled lots already recorded per order: partial fills arrive as a
        # growing (qty - leaves_qty), and one wake-up can merge several.
        seen = Dict.empty(key_type=types.uint64, value_type=types.float64)
        n_fills = 0
        n_decisions = 0
        n_sent = 0
        n_cancels = 0
        next_id = np.uint64(1)
        rc = 0
        last_num_trades = 0
        # mmsim's hold of a rejected target, per side: on, price, lots, best bid and ask, and the
        # reject's exchange time.
        hb_on = False
        hb_px = hb_qty = hb_bb = hb_ba = hb_ts = 0
        ha_on = False
        ha_px = ha_qty = ha_bb = ha_ba = ha_ts = 0
        if not on_feed and start_offset > 0:
            rc = hbt.elapse(start_offset)
        while rc == 0 or rc == 2 or rc == 3:
            if on_feed:
                rc = hbt.wait_next_feed(include_resp, 3_600_000_000_000)
                if rc == 1:
                    break
                if rc != 0 and rc != 2 and rc != 3:
                    break
            else:
                rc = hbt.elapse(interval_ns)
                if rc != 0:
                    break
            if hbt.current_timestamp < quote_from:
                continue
            n_decisions += 1

            # Record what the fill reports so far tell, before clearing done
            # orders; walk the orders only when the local trade count moved, so
            # recording costs the timed loop next to nothing.
            orders = hbt.orders(asset_no)
            num_trades = hbt.state_values(asset_no).num_trades
            values = orders.values()
            while num_trades != last_num_trades and values.has_next():
                o = values.get()
                if o.status == FILLED or o.status == PARTIALLY_FILLED or (
                        o.status == CANCELED and o.leaves_qty < o.qty):
                    done = o.qty - o.leaves_qty
                    if o.status == FILLED:
                        done = o.qty
                    prev = seen.get(o.order_id, 0.0)
                    if done > prev + 1e-12 and n_fills < fills.shape[0]:
                        fills[n_fills, 0] = o.exch_timestamp
                        fills[n_fills, 1] = 1 if o.side == BUY else -1
                        fills[n_fills, 2] = o.exec_price_tick
                        fills[n_fills, 3] = round((done - prev) / lot)
                        fills[n_fills, 4] = o.order_id
                        n_fills += 1
                        seen[o.order_id] = done
            last_num_trades = num_trades
            best_bid = depth.best_bid_tick
            best_ask = depth.best_ask_tick
            # A rejected target (this decision is the first to know): hold it with this book.
            values = orders.values()
            while values.has_next():
                o = values.get()
                if o.status == EXPIRED:
                    if o.side == BUY:
                        hb_on, hb_px, hb_qty, hb_bb, hb_ba = True, o.price_tick, round(o.qty / lot), best_bid, best_ask
                        hb_ts = o.exch_timestamp
                    else:
                        ha_on, ha_px, ha_qty, ha_bb, ha_ba = True, o.price_tick, round(o.qty / lot), best_bid, best_ask
                        ha_ts = o.exch_timestamp
            hbt.clear_inactive_orders(asset_no)

            if best_bid <= -(1 << 62) or best_ask >= (1 << 62) or best_bid >= best_ask:
                continue  # empty or crossed local book: keep what rests
            pos_lots = round(hbt.position(asset_no) / lot)
            bid_px, bid_qty, ask_px, ask_qty = quote_targets(
                best_bid, best_ask, pos_lots, qty_lots, max_lots, skew_ticks_per_lot)
            want_bid = bid_qty > 0
            want_ask = ask_qty > 0
            # A hold ends when the target or the best bid/ask moves, or when the local book is past
            # the reject and the target crosses nothing in it.
            past = hbt.current_timestamp - feed_ns
            if hb_on and (bid_px != hb_px or bid_qty != hb_qty or best_bid != hb_bb or best_ask != hb_ba or (
                    past >= hb_ts and hb_px < best_ask)):
                hb_on = False
            if ha_on and (ask_px != ha_px or ask_qty != ha_qty or best_bid != ha_bb or best_ask != ha_ba or (
                    past >= ha_ts and ha_px > best_bid)):
                ha_on = False

            have_bid = False
            have_ask = False
            values = orders.values()
            while values.has_next():
                o = values.get()
                if o.req != NONE and o.status != NONE:
                    continue  # a cancel is in flight: the order is on its way out
                live = o.status == NEW or o.status == PARTIALLY_FILLED or (o.status == NONE and o.req == NEW)
                if not live:
                    continue
                if o.side == BUY:
                    keep = want_bid and not have_bid and o.price_tick == bid_px
                    if keep or (o.status == NONE):
                        # kept, or not acknowledged yet (cannot be cancelled): occupies the side
                        have_bid = True
                    else:
                        hbt.cancel(asset_no, o.order_id, False)
                        n_cancels += 1
                else:
                    keep = want_ask and not have_ask and o.price_tick == ask_px
                    if keep or (o.status == NONE):
                        have_ask = True
                    else:
                        hbt.cancel(asset_no, o.order_id, False)
                        n_cancels += 1
            if want_bid and not have_bid and not hb_on:
                hbt.submit_buy_order(asset_no, next_id, bid_px * tick, qty_lots * lot, GTX, LIMIT, False)
                next_id += np.uint64(1)
                n_sent += 1
            if want_ask and not have_ask and not ha_on:
                hbt.submit_sell_order(asset_no, next_id, ask_px * tick, qty_lots * lot, GTX, LIMIT, False)
                next_id += np.uint64(1)
                n_sent += 1
        out[0] = n_fills
        out[1] = n_decisions
        out[2] = hbt.current_timestamp
        out[3] = n_sent
        out[4] = n_cancels
        return rc

    return quoter


def _one_run(quoter, data: np.ndarray, args: argparse.Namespace) -> dict:
    fills = np.zeros((_MAX_FILLS, _FILL_COLS), np.int64)
    out = np.zeros(5, np.int64)
    start_offset = 0
    if args.feed_latency_ns is not None:
        # Start the timer where mmsim's starts: at the first market data the local side receives.
        start_offset = int(data["local_ts"].min() - data["exch_ts"].min())
    t_build = time.perf_counter()
    hbt = _build_backtest(data, args)
    t0 = time.perf_counter()  # timed: the strategy loop, as hftbacktest's own benchmarks time it
    c0 = time.thread_time()
    rc = quoter(hbt, args.mode == "feed", args.include_order_resp, args.interval_ns, start_offset, args.qty_lots,
                args.max_position_lots, args.skew_ticks_per_lot, 0, fills, out, args.feed_latency_ns or 0)
    cpu = time.thread_time() - c0
    elapsed = time.perf_counter() - t0
    sv = hbt.state_values(0)
    depth = hbt.depth(0)
    result = {
        "rc": int(rc),
        "elapsed_s": elapsed,
        "cpu_s": cpu,
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
        "trading_volume": float(sv.trading_volume),
        "trading_value": float(sv.trading_value),
        "best_bid_tick": int(depth.best_bid_tick),
        "best_ask_tick": int(depth.best_ask_tick),
        "fills": fills[: out[0]],
    }
    hbt.close()
    return result


def cmd_run(args: argparse.Namespace) -> dict:
    """Run the quoter: one first (compiling) call, then ``--repeat`` warm calls."""
    t_import = time.perf_counter()
    import hftbacktest  # noqa: F401  (import cost is part of a first run)

    rss_import = _rss_mib()

    data = np.load(args.data)
    if args.start_ts is not None:
        # Replay from the REST snapshot on, as mmsim's loader does: hftbacktest's
        # converter also keeps the diffs received before it, for a book not known yet.
        data = data[data["exch_ts"] >= args.start_ts].copy()
    if args.end_ts is not None:
        data = data[data["exch_ts"] < args.end_ts].copy()
    if args.feed_latency_ns is not None:
        data = constant_feed_latency(data, args.feed_latency_ns)
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
    ref = first
    n_rows = int(len(data))
    ts = data["exch_ts"]
    # How far the run got: hftbacktest's partial-fill exchange stops early with
    # InvalidOrderStatus on this capture (its issues #301/#312).
    completed = ref["rc"] == _END_OF_DATA
    covered = min(max(ref["last_ts"], int(ts[0])), int(ts[-1])) - int(ts[0])
    events_covered = int(np.searchsorted(ts, ref["last_ts"], side="right")) if not completed else n_rows
    mid = 0.5 * (ref["best_bid_tick"] + ref["best_ask_tick"]) * args.tick_size
    fills = ref.pop("fills")
    res = {
        "tool": "hftbacktest",
        "version": hftbacktest.__version__,
        "mode": args.mode,
        "exchange": args.exchange,
        "feed_latency_ns": args.feed_latency_ns,
        "n_rows": n_rows,
        "completed": completed,
        "error": None if completed else _ERRORS.get(ref["rc"], f"return code {ref['rc']}"),
        "span_s": (int(ts[-1]) - int(ts[0])) / 1e9,
        "covered_s": covered / 1e9,
        "events_covered": events_covered,
        "first_call_s": t_first_end - t_first,
        "import_s": t_first - t_import,
        "since_interpreter_start_s": t_first_end - _T_PROCESS,
        "warm_s": warm,
        "warm_median_s": statistics.median(warm) if warm else None,
        "warm_events_per_s": events_covered / statistics.median(warm) if warm else None,
        "mid_end": mid,
        "pnl": ref["balance"] - ref["fee"] + ref["position"] * mid,
        "peak_rss_mib": _peak_rss_mib(),
        "rss_after_import_mib": rss_import,
        "rss_after_first_mib": rss_after_first,
        "rss_after_repeats_mib": _rss_mib(),
        **{k: v for k, v in ref.items() if k not in ("elapsed_s",)},
        "first_elapsed_s": ref["elapsed_s"],
    }
    if args.fills_out:
        np.save(args.fills_out, fills)
        res["fills_out"] = os.path.abspath(args.fills_out)
    else:
        res["fill_list"] = fills.tolist()
    return res


def cmd_curve(args: argparse.Namespace) -> dict:
    """The quoter at each of several constant feed latencies: one first (compiling) call, then warm calls' CPU times."""
    import hftbacktest  # noqa: F401

    raw = np.load(args.data)
    if args.start_ts is not None:
        raw = raw[raw["exch_ts"] >= args.start_ts].copy()
    quoter = _make_strategy()
    latencies = [int(x) for x in args.feed_latencies_ns.split(",")]
    first = None
    warm: dict[str, list[float]] = {}
    fills: dict[str, int] = {}
    for lat in latencies:
        args.feed_latency_ns = lat
        data = constant_feed_latency(raw, lat)
        if first is None:
            t0 = time.perf_counter()
            _one_run(quoter, data, args)
            first = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            gc.collect()
            r = _one_run(quoter, data, args)
            times.append(r["cpu_s"])
        warm[str(lat)] = times
        fills[str(lat)] = r["n_fills"]
    return {"tool": "hftbacktest", "version": hftbacktest.__version__, "mode": args.mode, "n_rows": int(len(raw)),
            "first_call_s": first, "warm_s": warm, "n_fills": fills}


def _add_run_options(r: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``curve``."""
    r.add_argument("data", help="events converted by the convert subcommand (.npy)")
    r.add_argument("--mode", choices=("timer", "feed"), default="timer",
                   help="decide on a timer (elapse) or on every feed wake-up (wait_next_feed)")
    r.add_argument("--feed-only", dest="include_order_resp", action="store_false",
                   help="in feed mode, wake on market data only (wait_next_feed(False, ...)); "
                        "by default order responses wake the strategy too, as mmsim's engine does")
    r.add_argument("--exchange", choices=("no_partial", "partial"), default="no_partial")
    r.add_argument("--repeat", type=int, default=5, help="warm calls after the first (median reported)")
    r.add_argument("--interval-ns", type=int, default=10_000_000, help="timer period, ns")
    r.add_argument("--start-ts", type=int, default=None, help="drop events before this exchange time, ns")
    r.add_argument("--entry-latency-ns", type=int, default=500_000)
    r.add_argument("--response-latency-ns", type=int, default=500_000)
    r.add_argument("--tick-size", type=float, default=0.1)
    r.add_argument("--lot-size", type=float, default=0.001)
    r.add_argument("--maker-fee", type=float, default=-0.00005, help="fraction of traded value (-0.5 bp)")
    r.add_argument("--taker-fee", type=float, default=0.0007, help="fraction of traded value (7 bp)")
    r.add_argument("--qty-lots", type=int, default=10, help="order size, lots (10 = 0.01 BTC)")
    r.add_argument("--max-position-lots", type=int, default=500, help="|position| limit, lots (500 = 0.5 BTC)")
    r.add_argument("--skew-ticks-per-lot", type=float, default=0.1,
                   help="ticks both quotes move down per lot of long position")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="convert a raw Binance futures capture with hftbacktest")
    c.add_argument("capture")
    c.add_argument("--out", required=True, help="where to save the converted events (.npy)")
    r = sub.add_parser("run", help="run the reference quoter")
    _add_run_options(r)
    r.add_argument("--feed-latency-ns", type=int, default=None,
                   help="replace the recorded receive times by exch_ts + this constant (default: keep them)")
    r.add_argument("--end-ts", type=int, default=None, help="drop events from this exchange time on, ns")
    r.add_argument("--fills-out", default=None, help="save the fills (.npy) instead of listing them in the JSON")
    k = sub.add_parser("curve", help="run the reference quoter at several constant feed latencies (one compile)")
    _add_run_options(k)
    k.add_argument("--feed-latencies-ns", required=True, help="comma-separated constant feed latencies, ns")
    args = p.parse_args(argv)
    if args.cmd == "convert":
        res = cmd_convert(args)
    elif args.cmd == "curve":
        res = cmd_curve(args)
    else:
        res = cmd_run(args)
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
