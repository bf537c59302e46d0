"""Head-to-head against hftbacktest 2.4.4: same capture, same quoting rule, same latencies and queue model, one run.

Usage (from the repository root, after creating hftbacktest's own venv as
``bench/README.md`` says)::

    python bench/vs_hftbacktest.py

In one run, on this machine, it:

1. converts the Binance USD-M BTCUSDT 2024-08-08 capture with hftbacktest's
   converter and with mmsim's, timing both, and checks the two hold the same
   market events (event by event from the REST snapshot on, and the same best
   bid/ask after every exchange timestamp);
2. runs the same quoting rule (``_quoter_rule.quote_targets``) in both tools,
   decided on a 10 ms timer and, separately, on every local wake-up, with the
   same constant feed and order latencies, the risk-averse queue model,
   post-only orders and maker/taker fees: mmsim with its partial fills,
   hftbacktest with its no-partial-fill exchange (the only one of its two that
   finishes this capture) and its partial-fill exchange (run until it fails);
3. times each: warm events/s (median of ``--repeat`` runs in one process),
   wall time of a first run in a fresh process (mmsim with a warm and with a
   cold compile cache), peak RSS; and reports fills, final position and PnL
   with the ratios mmsim/hftbacktest;
4. cross-checks fills: with 1-lot orders a partial fill cannot happen, so the
   two models agree by construction and the fills must match exactly; with the
   benchmark's 10-lot orders they differ, and the script prints by how much;
5. measures the cost of mmsim's decision log (``decision_log``, on by default):
   warm events/s with it on and off, alternating in one process, per mode
   (``--decision-log-only`` runs just this step, without hftbacktest).

hftbacktest pins older numpy/numba than mmsim, so it runs in its own virtual
environment, driven as a subprocess (``_hbt_runner.py``); this script runs in
mmsim's environment. Internal ``_child-*`` subcommands re-enter this file in a
fresh process for the first-run and memory figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_CAPTURE = ROOT.parent / "shared" / "data" / "binance" / "usdm" / "btcusdt_20240808.gz"
HBT_VENV_CMD = "python -m venv .venv-hbt && .venv-hbt/bin/pip install -r bench/hbt/requirements.txt"

# hftbacktest's event flags (hftbacktest.types), spelt out so this side need not import it.
_HBT_EXCH_EVENT = 1 << 31
_HBT_BUY_EVENT = 1 << 29
_HBT_KIND_MASK = 0xFF
_HBT_DEPTH, _HBT_TRADE, _HBT_CLEAR, _HBT_SNAPSHOT = 1, 2, 3, 4

TICK_SIZE = 0.1
LOT_SIZE = 0.001
MAKER_FEE = -0.00005  # -0.5 bp of traded value (a rebate)
TAKER_FEE = 0.0007  # 7 bp


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
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _fmt_ns(ns: int) -> str:
    return f"{ns / 1e6:g} ms"


# --------------------------------------------------------------------------------------
# subprocess plumbing


def _run_json(cmd: list[str], env: dict[str, str] | None = None) -> tuple[dict, float]:
    """Run ``cmd``, return (the JSON object it prints last on stdout, wall seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"benchmark step failed (exit {proc.returncode}): {' '.join(cmd)}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
        raise SystemExit(f"benchmark step printed no result: {' '.join(cmd)}")
    return json.loads(lines[-1]), wall


def _find_hbt_python(arg: str | None) -> str:
    candidates = [arg, os.environ.get("MMSIM_HFTBACKTEST_PYTHON"), str(ROOT / ".venv-hbt" / "bin" / "python")]
    for c in candidates:
        if c and Path(c).exists():
            return c
    raise SystemExit(
        "hftbacktest's virtual environment was not found. Create it with\n"
        f"    {HBT_VENV_CMD}\n"
        "or point --hbt-python / MMSIM_HFTBACKTEST_PYTHON at a Python that has hftbacktest==2.4.4."
    )


# --------------------------------------------------------------------------------------
# mmsim side (children run in a fresh process)


def _mmsim_config(args: argparse.Namespace, mode: str):
    import mmsim

    return mmsim.Config.from_dict(
        {
            "tick_size": TICK_SIZE,
            "lot_size": LOT_SIZE,
            "contract_size": 1.0,
            "latency": {
                "feed": args.feed_latency_ns,
                "entry": args.entry_latency_ns,
                "response": args.response_latency_ns,
            },
            "queue": {"model": "risk_averse"},
            "fees": {"maker_bps": MAKER_FEE * 1e4, "taker_bps": TAKER_FEE * 1e4},
            "post_only": True,
            "decide_every": args.interval_ns if mode == "timer" else None,
            "signals": {"enabled": False},
        }
    )


def _mmsim_strategy(args: argparse.Namespace):
    sys.path.insert(0, str(BENCH))
    from _mmsim_quoter import touch_quoter

    return touch_quoter(qty=args.qty_lots, max_position=args.max_position_lots,
                        skew_ticks_per_lot=args.skew_ticks_per_lot)


def child_mmsim_convert(args: argparse.Namespace) -> dict:
    """Convert the capture with mmsim twice (cold, then warm) into ``--store``."""
    import mmsim
    from mmsim.data import converter

    convert = converter("binance")
    times = []
    for i in range(2):
        out = Path(args.store) if i == 1 else Path(args.store + ".cold")
        if out.exists():
            shutil.rmtree(out)
        t0 = time.perf_counter()
        convert([Path(args.capture)], out, tick_size=TICK_SIZE, lot_size=LOT_SIZE)
        times.append(time.perf_counter() - t0)
    shutil.rmtree(Path(args.store + ".cold"), ignore_errors=True)
    store = mmsim.load(args.store)
    return {
        "tool": "mmsim",
        "n_events": int(len(store.events)),
        "convert_cold_s": times[0],
        "convert_warm_s": times[1],
        "peak_rss_mib": _peak_rss_mib(),
        "meta": store.meta,
    }


def child_mmsim_logcost(args: argparse.Namespace) -> dict:
    """Warm runs with the decision log on and off, alternating (on, off, on, ...), in one process."""
    import mmsim

    events = mmsim.load(args.store).events
    on = _mmsim_config(args, args.mode)
    off = on.replace(decision_log=False)
    strategy = _mmsim_strategy(args)
    r_on, r_off = mmsim.run(events, strategy, on), mmsim.run(events, strategy, off)  # compile, warm up
    if r_on.orders.tobytes() != r_off.orders.tobytes() or len(r_off.decisions) or len(r_on.decisions) != r_on.n_calls:
        raise SystemExit("the decision log changed the run, or did not log every call")
    times: dict[str, list[float]] = {"on": [], "off": []}
    for k in range(2 * args.repeat):
        which = "on" if k % 2 == 0 else "off"
        t0 = time.perf_counter()
        mmsim.run(events, strategy, on if which == "on" else off)
        times[which].append(time.perf_counter() - t0)
    n = int(len(events))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "mode": args.mode,
        "n_events": n,
        "n_calls": int(r_on.n_calls),
        "decision_log_mib": r_on.decisions.nbytes / 2**20,
        "times_s": times,
        "events_per_s": {k: n / v for k, v in med.items()},
        "ratio_on_off": med["off"] / med["on"],
    }


def child_mmsim_run(args: argparse.Namespace) -> dict:
    """One first run (compile or cache load), then ``--repeat`` warm runs; fills of the first."""
    t_import = time.perf_counter()
    import numba  # noqa: F401  (the strategy needs it; counted with the imports)

    import mmsim

    t_prep = time.perf_counter()
    rss_import = _rss_mib()
    store = mmsim.load(args.store)
    events = store.events
    config = _mmsim_config(args, args.mode)
    strategy = _mmsim_strategy(args)
    strategy._mmsim_native_()  # compiles, or loads the compiled rule from the cache
    t_first = time.perf_counter()
    res = mmsim.run(events, strategy, config)
    t_first_end = time.perf_counter()
    rss_first = _rss_mib()
    warm = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = mmsim.run(events, strategy, config)
        warm.append(time.perf_counter() - t0)
        if len(r.fills) != len(res.fills) or r.position != res.position:
            raise SystemExit("mmsim gave a different result on a repeated run: the run is not pure")
    rss_repeats = _rss_mib()
    fills = res.fills
    bb = mmsim._engine.replay_bbo(events) if args.with_bbo else None
    mid = None
    if bb is not None:
        mid = 0.5 * (int(bb["best_bid"][-1]) + int(bb["best_ask"][-1])) * TICK_SIZE
    n = int(len(events))
    return {
        "tool": "mmsim",
        "mode": args.mode,
        "n_rows": n,
        "completed": True,
        "error": None,
        "first_call_s": t_first_end - t_first,
        "import_s": t_prep - t_import,
        "prep_s": t_first - t_prep,
        "warm_s": warm,
        "warm_median_s": statistics.median(warm) if warm else None,
        "warm_events_per_s": n / statistics.median(warm) if warm else None,
        "n_fills": int(len(fills)),
        "position": int(res.position) * LOT_SIZE,
        "cash": float(res.cash),
        "fees": float(res.fees),
        "mid_end": mid,
        "pnl": float(res.cash) + int(res.position) * LOT_SIZE * mid if mid is not None else None,
        "n_calls": int(res.n_calls),
        "peak_rss_mib": _peak_rss_mib(),
        "rss_after_import_mib": rss_import,
        "rss_after_first_mib": rss_first,
        "rss_after_repeats_mib": rss_repeats,
        "fill_list": np.stack(
            [fills["exch_ts"], fills["side"].astype(np.int64), fills["price"], fills["qty"], fills["order_id"]], axis=1
        ).tolist(),
    }


# --------------------------------------------------------------------------------------
# same market events?


def hbt_to_mmsim_events(hbt: np.ndarray) -> np.ndarray:
    """hftbacktest's exchange-side rows as :data:`mmsim.EVENT_DTYPE` (prices in ticks, sizes in lots).

    A snapshot's ``DEPTH_CLEAR`` becomes a CLEAR of that side and its
    ``DEPTH_SNAPSHOT`` rows become DEPTH events. (hftbacktest's clear empties
    the side only up to the snapshot's last price; mmsim's empties the side: the
    two agree on every level the snapshot covers, which includes the touch.)
    """
    import mmsim

    rows = hbt[(hbt["ev"] & np.uint64(_HBT_EXCH_EVENT)) != 0]
    kind = (rows["ev"] & np.uint64(_HBT_KIND_MASK)).astype(np.int64)
    out = np.zeros(len(rows), dtype=mmsim.EVENT_DTYPE)
    out["exch_ts"] = rows["exch_ts"]
    out["local_ts"] = rows["local_ts"]
    out["price"] = np.rint(rows["px"] / TICK_SIZE).astype(np.int64)
    out["qty"] = np.rint(rows["qty"] / LOT_SIZE).astype(np.int64)
    out["side"] = np.where((rows["ev"] & np.uint64(_HBT_BUY_EVENT)) != 0, 1, -1)
    k = np.full(len(rows), 0, np.uint8)
    k[(kind == _HBT_DEPTH) | (kind == _HBT_SNAPSHOT)] = int(mmsim.Kind.DEPTH)
    k[kind == _HBT_TRADE] = int(mmsim.Kind.TRADE)
    k[kind == _HBT_CLEAR] = int(mmsim.Kind.CLEAR)
    if (k == 0).any():
        raise SystemExit(f"hftbacktest events of an unexpected kind: {sorted(set(kind[k == 0].tolist()))}")
    out["kind"] = k
    out["price"][k == int(mmsim.Kind.CLEAR)] = 0
    return out


def _keys(ev: np.ndarray) -> np.ndarray:
    """(exch_ts, kind, side, price, qty) rows, sorted, for a multiset comparison."""
    keyed = np.zeros(len(ev), dtype=[("t", "<i8"), ("k", "<i8"), ("s", "<i8"), ("p", "<i8"), ("q", "<i8")])
    keyed["t"], keyed["k"], keyed["s"] = ev["exch_ts"], ev["kind"], ev["side"]
    keyed["p"], keyed["q"] = ev["price"], ev["qty"]
    keyed.sort(order=["t", "k", "s", "p", "q"])
    return keyed


def _multiset_diff(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``a`` not in ``b`` and of ``b`` not in ``a`` (counting duplicates)."""
    ua, ca = np.unique(a, return_counts=True)
    ub, cb = np.unique(b, return_counts=True)
    common, ia, ib = np.intersect1d(ua, ub, return_indices=True)
    only_a_counts = ca.copy()
    only_a_counts[ia] -= np.minimum(ca[ia], cb[ib])
    only_b_counts = cb.copy()
    only_b_counts[ib] -= np.minimum(ca[ia], cb[ib])
    return np.repeat(ua, only_a_counts), np.repeat(ub, only_b_counts)


def compare_events(hbt_ev: np.ndarray, mm_ev: np.ndarray) -> dict:
    """Check both conversions hold the same market events and give the same book."""
    import mmsim
    from mmsim import _engine

    clear = int(mmsim.Kind.CLEAR)
    # The first CLEAR is the REST snapshot: before it both tools hold diffs for a
    # book they do not know yet, and they may differ in what they keep.
    t_snap = int(mm_ev["exch_ts"][mm_ev["kind"] == clear][0]) if (mm_ev["kind"] == clear).any() else int(mm_ev["exch_ts"][0])
    h = hbt_ev[hbt_ev["exch_ts"] >= t_snap]
    m = mm_ev[mm_ev["exch_ts"] >= t_snap]
    kinds = (int(mmsim.Kind.DEPTH), int(mmsim.Kind.TRADE))
    hk = _keys(h[np.isin(h["kind"], kinds)])
    mk = _keys(m[np.isin(m["kind"], kinds)])
    only_h, only_m = _multiset_diff(hk, mk)

    # Best bid/ask after the last event of every exchange timestamp, from the snapshot on.
    def bbo_by_ts(ev: np.ndarray) -> np.ndarray:
        b = _engine.replay_bbo(np.ascontiguousarray(ev))
        ts = ev["exch_ts"]
        last = np.r_[ts[1:] != ts[:-1], True]
        keep = last & (ts >= t_snap)
        out = np.zeros(int(keep.sum()), dtype=[("t", "<i8"), ("bb", "<i8"), ("ba", "<i8"), ("bq", "<i8"), ("aq", "<i8")])
        out["t"], out["bb"], out["ba"] = ts[keep], b["best_bid"][keep], b["best_ask"][keep]
        out["bq"], out["aq"] = b["bid_qty"][keep], b["ask_qty"][keep]
        return out

    hb, mb = bbo_by_ts(hbt_ev), bbo_by_ts(mm_ev)
    same_ts = len(hb) == len(mb) and bool((hb["t"] == mb["t"]).all())
    bbo_mismatch = int((hb != mb).sum()) if same_ts else None
    return {
        "snapshot_exch_ts": t_snap,
        "hbt_rows_before_snapshot": int((hbt_ev["exch_ts"] < t_snap).sum()),
        "mmsim_rows_before_snapshot": int((mm_ev["exch_ts"] < t_snap).sum()),
        "compared": int(len(hk)),
        "mmsim_compared": int(len(mk)),
        "only_hbt": int(len(only_h)),
        "only_mmsim": int(len(only_m)),
        "only_hbt_sample": only_h[:5].tolist(),
        "only_mmsim_sample": only_m[:5].tolist(),
        "bbo_timestamps": int(len(hb)),
        "bbo_same_timestamps": same_ts,
        "bbo_mismatches": bbo_mismatch,
        "same": len(only_h) == 0 and len(only_m) == 0 and same_ts and bbo_mismatch == 0,
    }


# --------------------------------------------------------------------------------------
# fills


def _by_print(fills: list) -> list[tuple[int, int, int, int]]:
    """Fills summed per (exch_ts, side, price), in that order.

    One market event can fill an order in several prints (a sweep at one
    exchange time): mmsim reports each partial fill, hftbacktest's local side
    sees the order's state once per wake-up. Summing per exchange time, side
    and price compares what was traded, not how it was reported.
    """
    acc: dict[tuple[int, int, int], int] = {}
    for f in fills:
        key = (int(f[0]), int(f[1]), int(f[2]))
        acc[key] = acc.get(key, 0) + int(f[3])
    return [(*k, q) for k, q in sorted(acc.items())]


def compare_fills(hbt_fills: list, mm_fills: list) -> dict:
    """Match fills (exch_ts, side, price, qty) and find where the two streams part."""
    h = _by_print(hbt_fills)
    m = _by_print(mm_fills)
    n_prefix = 0
    while n_prefix < min(len(h), len(m)) and h[n_prefix] == m[n_prefix]:
        n_prefix += 1
    first = None
    if n_prefix < max(len(h), len(m)):
        first = {
            "index": n_prefix,
            "hbt": list(h[n_prefix]) if n_prefix < len(h) else None,
            "mmsim": list(m[n_prefix]) if n_prefix < len(m) else None,
        }
    hs = {f[:3] for f in h}
    ms = {f[:3] for f in m}
    sizes = [int(f[3]) for f in hbt_fills]
    full = max(sizes) if sizes else 0
    # Lots per order: both tools number orders 1, 2, ... in the order they send
    # them, so while they send the same orders, the ids line up.
    ho: dict[int, list[int]] = {}
    mo: dict[int, list[int]] = {}
    for src, dst in ((hbt_fills, ho), (mm_fills, mo)):
        for f in src:
            if len(f) > 4:
                d = dst.setdefault(int(f[4]), [int(f[1]), int(f[2]), 0])
                d[2] += int(f[3])
    hseq = [tuple(v) for _, v in sorted(ho.items())]
    mseq = [tuple(v) for _, v in sorted(mo.items())]
    k = 0
    while k < min(len(hseq), len(mseq)) and hseq[k] == mseq[k]:
        k += 1
    return {
        "same_lots_per_order": bool(ho) and hseq == mseq,
        "orders_filled": [len(ho), len(mo)],
        "orders_identical_prefix": k,
        "hbt_fills": len(hbt_fills),
        "mmsim_fills": len(mm_fills),
        "hbt_lots": sum(f[3] for f in h),
        "mmsim_lots": sum(f[3] for f in m),
        "hbt_prints": len(h),
        "mmsim_prints": len(m),
        "identical": h == m,
        "identical_prefix": n_prefix,
        "first_difference": first,
        "same_time_side_price": len(hs & ms),
        "mmsim_partial_prints": sum(1 for f in m if f[3] < full),
    }


# --------------------------------------------------------------------------------------
# the driver


def _ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |")
        if j == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cmd", nargs="?", default="bench",
                   choices=("bench", "_child-mmsim-convert", "_child-mmsim-run", "_child-mmsim-logcost"),
                   help=argparse.SUPPRESS)
    p.add_argument("--capture", default=str(DEFAULT_CAPTURE), help="Binance USD-M capture (.gz)")
    p.add_argument("--hbt-python", default=None,
                   help="Python of hftbacktest's venv (default: $MMSIM_HFTBACKTEST_PYTHON or .venv-hbt/bin/python)")
    p.add_argument("--repeat", type=int, default=5, help="warm runs per tool and mode (median reported)")
    p.add_argument("--rounds", type=int, default=2,
                   help="turns each tool takes at the warm measurement (best round reported)")
    p.add_argument("--feed-latency-ns", type=int, default=1_250_000,
                   help="constant feed latency, ns (off Binance's 1 ms time grid, so clocks never tie)")
    p.add_argument("--entry-latency-ns", type=int, default=500_000)
    p.add_argument("--response-latency-ns", type=int, default=500_000)
    p.add_argument("--interval-ns", type=int, default=10_000_000, help="decision timer, ns")
    p.add_argument("--qty-lots", type=int, default=10, help="order size, lots (10 = 0.01 BTC)")
    p.add_argument("--max-position-lots", type=int, default=500)
    p.add_argument("--skew-ticks-per-lot", type=float, default=0.1)
    p.add_argument("--json", default=None, help="also write every figure to this JSON file")
    p.add_argument("--workdir", default=None, help="where converted data go (default: a temporary directory)")
    p.add_argument("--decision-log-only", action="store_true",
                   help="only measure mmsim's decision log: warm events/s with it on and off (no hftbacktest)")
    # child-only
    p.add_argument("--store", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="timer", help=argparse.SUPPRESS)
    p.add_argument("--with-bbo", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.cmd == "_child-mmsim-convert":
        print(json.dumps(child_mmsim_convert(args)))
        return 0
    if args.cmd == "_child-mmsim-run":
        print(json.dumps(child_mmsim_run(args)))
        return 0
    if args.cmd == "_child-mmsim-logcost":
        print(json.dumps(child_mmsim_logcost(args)))
        return 0
    if args.decision_log_only:
        return bench_decision_log(args)
    return bench(args)


def _decision_log_cost(args: argparse.Namespace, me: list[str], store: Path) -> dict:
    """Per mode, warm events/s with the decision log on and off (alternating, in one fresh process)."""
    out = {}
    for mode in ("timer", "feed"):
        out[mode], _ = _run_json(me + ["_child-mmsim-logcost", "--store", str(store), "--mode", mode,
                                       "--repeat", str(args.repeat), "--qty-lots", str(args.qty_lots),
                                       "--feed-latency-ns", str(args.feed_latency_ns),
                                       "--entry-latency-ns", str(args.entry_latency_ns),
                                       "--response-latency-ns", str(args.response_latency_ns),
                                       "--interval-ns", str(args.interval_ns),
                                       "--max-position-lots", str(args.max_position_lots),
                                       "--skew-ticks-per-lot", str(args.skew_ticks_per_lot)])
    return out


def _print_decision_log_cost(cost: dict, args: argparse.Namespace) -> None:
    print(f"\n## The decision log's cost (mmsim, warm events/s, median of {args.repeat} runs each, alternating)")
    rows = [("mode", "calls (= decisions)", "log size", "log on", "log off", "on/off")]
    for mode, label in (("timer", f"{_fmt_ns(args.interval_ns)} timer"), ("feed", "every wake-up")):
        c = cost[mode]
        rows.append((label, f"{c['n_calls']:,}", f"{c['decision_log_mib']:.1f} MiB",
                     f"{c['events_per_s']['on'] / 1e6:.2f} M", f"{c['events_per_s']['off'] / 1e6:.2f} M",
                     f"{c['ratio_on_off']:.3f}"))
    _print_table(rows)


def bench_decision_log(args: argparse.Namespace) -> int:
    """``--decision-log-only``: convert the capture with mmsim and measure the decision log alone."""
    if not Path(args.capture).exists():
        raise SystemExit(f"{args.capture}: capture not found (the Binance USD-M BTCUSDT 2024-08-08 file)")
    tmp = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mmsim-vs-hbt-"))
    tmp.mkdir(parents=True, exist_ok=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    store = tmp / "mmsim_store"
    if not (store / "events.npy").exists():
        _run_json(me + ["_child-mmsim-convert", "--capture", args.capture, "--store", str(store)])
    cost = _decision_log_cost(args, me, store)
    _print_decision_log_cost(cost, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"decision_log": cost}, indent=1))
    if not args.workdir:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def bench(args: argparse.Namespace) -> int:
    hbt_py = _find_hbt_python(args.hbt_python)
    if not Path(args.capture).exists():
        raise SystemExit(f"{args.capture}: capture not found (the Binance USD-M BTCUSDT 2024-08-08 file)")
    tmp = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mmsim-vs-hbt-"))
    tmp.mkdir(parents=True, exist_ok=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    runner = [hbt_py, str(BENCH / "_hbt_runner.py")]
    common = ["--feed-latency-ns", str(args.feed_latency_ns), "--entry-latency-ns", str(args.entry_latency_ns),
              "--response-latency-ns", str(args.response_latency_ns), "--interval-ns", str(args.interval_ns),
              "--max-position-lots", str(args.max_position_lots), "--skew-ticks-per-lot", str(args.skew_ticks_per_lot)]
    report: dict = {"settings": {k: v for k, v in vars(args).items() if k not in ("cmd", "store", "mode", "with_bbo")}}

    print(f"capture: {args.capture}")
    print(f"latencies: feed {_fmt_ns(args.feed_latency_ns)}, entry {_fmt_ns(args.entry_latency_ns)}, "
          f"response {_fmt_ns(args.response_latency_ns)}; risk-averse queue; post-only; "
          f"maker {MAKER_FEE * 1e4:g} bp, taker {TAKER_FEE * 1e4:g} bp\n")

    # 1. conversion
    hbt_npy = tmp / "hbt_events.npy"
    store = tmp / "mmsim_store"
    hconv, _ = _run_json(runner + ["convert", args.capture, "--out", str(hbt_npy)])
    mconv, _ = _run_json(me + ["_child-mmsim-convert", "--capture", args.capture, "--store", str(store)])
    report["convert"] = {"hftbacktest": hconv, "mmsim": {k: v for k, v in mconv.items() if k != "meta"}}

    import mmsim

    mm_events = np.asarray(mmsim.load(store).events)
    hbt_events = hbt_to_mmsim_events(np.load(hbt_npy))
    same = compare_events(hbt_events, mm_events)
    report["same_events"] = same
    # Both replay from the REST snapshot on: mmsim's loader drops the diffs
    # received before it (the book is unknown until then), hftbacktest's keeps them.
    hbt_start = ["--start-ts", str(same["snapshot_exch_ts"])]

    # 2-3. runs
    runs: dict = {}
    for mode in ("timer", "feed"):
        for qty in (args.qty_lots, 1):
            tag = f"{mode}/{qty}"
            hb_args = common + hbt_start + ["--mode", mode, "--qty-lots", str(qty)]
            mm_args = ["--store", str(store), "--mode", mode, "--qty-lots", str(qty)] + common
            main_run = qty == args.qty_lots
            rep = str(args.repeat if main_run else 0)
            # Warm throughput: the tools take turns, ``--rounds`` times, and each keeps
            # its best round, so a burst of load from elsewhere on the machine does
            # not land on one tool only.
            hs, ms = [], []
            for _ in range(args.rounds if main_run else 1):
                hs.append(_run_json(runner + ["run", str(hbt_npy), "--repeat", rep, "--exchange", "no_partial"]
                                    + hb_args)[0])
                ms.append(_run_json(me + ["_child-mmsim-run", "--repeat", rep, "--with-bbo"] + mm_args)[0])
            h = min(hs, key=lambda r: r["warm_median_s"] or 0.0)
            m = min(ms, key=lambda r: r["warm_median_s"] or 0.0)
            h["rounds_warm_median_s"] = [r["warm_median_s"] for r in hs]
            m["rounds_warm_median_s"] = [r["warm_median_s"] for r in ms]
            runs[tag] = {"hftbacktest": h, "mmsim": m, "fills": compare_fills(h["fill_list"], m["fill_list"])}
            if main_run:
                hp, _ = _run_json(runner + ["run", str(hbt_npy), "--repeat", "0", "--exchange", "partial"] + hb_args)
                runs[tag]["hftbacktest_partial"] = hp
                # Both partial-fill models over the stretch hftbacktest's partial-fill exchange survives.
                upto = hp["last_ts"] if not hp["completed"] else None
                runs[tag]["fills_partial"] = compare_fills(
                    hp["fill_list"], [f for f in m["fill_list"] if upto is None or f[0] <= upto])
                # A first run in a fresh process, nothing else: its wall time (interpreter
                # start, imports, loading the events, JIT compile or cache load, one run)
                # and its peak RSS.
                hf, h_wall = _run_json(runner + ["run", str(hbt_npy), "--repeat", "0", "--exchange", "no_partial"]
                                       + hb_args)
                mf, m_wall = _run_json(me + ["_child-mmsim-run", "--repeat", "0"] + mm_args)
                cold = Path(tempfile.mkdtemp(prefix="mmsim-cold-cache-", dir=tmp))
                env_cold = dict(os.environ, MMSIM_CACHE_DIR=str(cold / "mmsim"), NUMBA_CACHE_DIR=str(cold / "numba"))
                mc, m_cold_wall = _run_json(me + ["_child-mmsim-run", "--repeat", "0"] + mm_args, env=env_cold)
                runs[tag]["first_run"] = {
                    "hftbacktest": {"wall_s": h_wall, **{k: hf[k] for k in ("import_s", "first_call_s", "peak_rss_mib",
                                                                           "rss_after_import_mib")}},
                    "mmsim_warm_cache": {"wall_s": m_wall, **{k: mf[k] for k in ("import_s", "prep_s", "first_call_s",
                                                                                   "peak_rss_mib", "rss_after_import_mib")}},
                    "mmsim_cold_cache": {"wall_s": m_cold_wall, **{k: mc[k] for k in ("import_s", "prep_s",
                                                                                        "first_call_s", "peak_rss_mib")}},
                }
    report["runs"] = runs
    report["decision_log"] = _decision_log_cost(args, me, store)

    _print_report(report, args)
    _print_decision_log_cost(report["decision_log"], args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
        print(f"\nall figures: {args.json}")
    if not args.workdir:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print_report(report: dict, args: argparse.Namespace) -> None:
    hc, mc = report["convert"]["hftbacktest"], report["convert"]["mmsim"]
    print("## Conversion of the capture")
    _print_table([
        ("figure", "hftbacktest", "mmsim", "mmsim/hftbacktest"),
        ("events", f"{hc['n_rows']:,}", f"{mc['n_events']:,}", ""),
        ("cold (fresh process)", f"{hc['convert_cold_s']:.2f} s", f"{mc['convert_cold_s']:.2f} s",
         _ratio(mc["convert_cold_s"], hc["convert_cold_s"])),
        ("warm", f"{hc['convert_warm_s']:.2f} s", f"{mc['convert_warm_s']:.2f} s",
         _ratio(mc["convert_warm_s"], hc["convert_warm_s"])),
        ("peak RSS", f"{hc['peak_rss_mib']:.0f} MiB", f"{mc['peak_rss_mib']:.0f} MiB",
         _ratio(mc["peak_rss_mib"], hc["peak_rss_mib"])),
    ])
    s = report["same_events"]
    print(f"\nsame market events from the REST snapshot on: {'YES' if s['same'] else 'NO'} — "
          f"{s['compared']:,} depth/trade events compared, {s['only_hbt']} only in hftbacktest's, "
          f"{s['only_mmsim']} only in mmsim's; best bid/ask equal after all {s['bbo_timestamps']:,} "
          f"exchange timestamps: {s['bbo_mismatches'] == 0}. Before the snapshot: "
          f"{s['hbt_rows_before_snapshot']} hftbacktest rows, {s['mmsim_rows_before_snapshot']} mmsim rows.")

    for mode, label in (("timer", f"decided on a {_fmt_ns(args.interval_ns)} timer"),
                        ("feed", "decided on every local wake-up")):
        r = report["runs"][f"{mode}/{args.qty_lots}"]
        h, m, hp, fr = r["hftbacktest"], r["mmsim"], r["hftbacktest_partial"], r["first_run"]
        hf, mw, mc = fr["hftbacktest"], fr["mmsim_warm_cache"], fr["mmsim_cold_cache"]
        h_over = hf["wall_s"] - h["warm_median_s"]
        mw_over = mw["wall_s"] - m["warm_median_s"]
        mc_over = mc["wall_s"] - m["warm_median_s"]
        print(f"\n## {label} ({args.qty_lots}-lot orders)")
        _print_table([
            ("figure", "hftbacktest 2.4.4", "mmsim", "mmsim/hftbacktest"),
            (f"warm events/s (median of {args.repeat}, best of {args.rounds} rounds)", f"{h['warm_events_per_s'] / 1e6:.2f} M",
             f"{m['warm_events_per_s'] / 1e6:.2f} M", _ratio(m["warm_events_per_s"], h["warm_events_per_s"])),
            ("warm run time", f"{h['warm_median_s'] * 1e3:.0f} ms", f"{m['warm_median_s'] * 1e3:.0f} ms",
             _ratio(m["warm_median_s"], h["warm_median_s"])),
            ("first run in a fresh process", f"{hf['wall_s']:.2f} s", f"{mw['wall_s']:.2f} s",
             _ratio(mw["wall_s"], hf["wall_s"])),
            ("  of which start-up overhead", f"{h_over:.2f} s (JIT, no cache possible)",
             f"{mw_over:.2f} s (warm compile cache)", _ratio(mw_over, h_over)),
            ("  with a cold compile cache", f"{hf['wall_s']:.2f} s", f"{mc['wall_s']:.2f} s (overhead {mc_over:.2f} s)",
             _ratio(mc["wall_s"], hf["wall_s"])),
            ("peak RSS, fresh process, one run", f"{hf['peak_rss_mib']:.0f} MiB", f"{mw['peak_rss_mib']:.0f} MiB",
             _ratio(mw["peak_rss_mib"], hf["peak_rss_mib"])),
            ("  of which Python + imports", f"{hf['rss_after_import_mib']:.0f} MiB",
             f"{mw['rss_after_import_mib']:.0f} MiB", ""),
            (f"RSS after 1 / after {args.repeat + 1} runs",
             f"{h['rss_after_first_mib']:.0f} / {h['rss_after_repeats_mib']:.0f} MiB",
             f"{m['rss_after_first_mib']:.0f} / {m['rss_after_repeats_mib']:.0f} MiB", ""),
            ("fills (lots filled)", f"{h['n_fills']:,} ({r['fills']['hbt_lots']:,})",
             f"{m['n_fills']:,} ({r['fills']['mmsim_lots']:,})", _ratio(m["n_fills"], h["n_fills"])),
            ("final position", f"{h['position']:+.3f} BTC", f"{m['position']:+.3f} BTC", ""),
            ("PnL, marked to the last mid", f"{h['pnl']:+.2f} USDT", f"{m['pnl']:+.2f} USDT", ""),
        ])
        print(f"hftbacktest's partial-fill exchange: "
              + ("finished" if hp["completed"] else
                 f"stopped with {hp['error']} after {hp['covered_s']:.1f} s of {hp['span_s']:.0f} s "
                 f"({hp['events_covered']:,} events, {hp['n_fills']} fills)"))
        fp = r["fills_partial"]
        hp_fills_pos = sum(int(x[1]) * int(x[3]) for x in hp["fill_list"]) * LOT_SIZE
        print(f"  over that stretch, against mmsim's partial fills: {fp['orders_filled'][0]} and "
              f"{fp['orders_filled'][1]} orders filled for {fp['hbt_lots']} and {fp['mmsim_lots']} lots; the "
              f"first {fp['orders_identical_prefix']} filled orders get the same side, price and lots"
              + (" (all of them)" if fp["same_lots_per_order"] else "")
              + f". hftbacktest's own position when it stopped: {hp['position']:+.3f} BTC, its fills add up to "
              f"{hp_fills_pos:+.3f} BTC" + ("" if abs(hp["position"] - hp_fills_pos) < 1e-9 else
                                             " (its account miscounts partial fills"
                                             + (")" if fp["same_lots_per_order"] else
                                                ", so from there its skew quotes elsewhere)")))
        f = r["fills"]
        print(f"against the no-partial-fill exchange (fills summed per exchange time, side, price): "
              f"hftbacktest {f['hbt_prints']} ({f['hbt_lots']:,} lots), mmsim {f['mmsim_prints']} "
              f"({f['mmsim_lots']:,} lots, {f['mmsim_partial_prints']} of them partial); identical for the first "
              f"{f['identical_prefix']}, then {f['first_difference']} [exch_ts, side, price, lots]: a trade "
              f"got past the queue ahead by fewer lots than the order's size; hftbacktest fills the whole order, "
              f"mmsim what the trade left, and the positions (so the skewed quotes) part from there")
        c = report["runs"][f"{mode}/1"]["fills"]
        verdict = "IDENTICAL" if c["identical"] else "DIFFER"
        print(f"1-lot orders (no partial fill possible: the models agree by construction): {verdict} — "
              f"hftbacktest {c['hbt_fills']} fills, mmsim {c['mmsim_fills']}"
              + ("" if c["identical"] else f"; identical for the first {c['identical_prefix']}, then "
                 f"{c['first_difference']}"))


if __name__ == "__main__":
    sys.exit(main())
