"""L3 head-to-head against hftbacktest 2.4.4: CME market-by-order, its Databento converter and L3 FIFO queue model.

Usage (from the repository root, with hftbacktest's venv as ``bench/README.md`` says)::

    python bench/vs_hftbacktest_l3.py            # ~4 minutes

In one run, on the Databento ESH4 sample (CME E-mini S&P, 2023-12-25 22:00-24:00
UTC, market by order, with its starting snapshot), it:

1. converts the file with hftbacktest's ``hftbacktest.data.utils.databento.convert``
   and with mmsim's loader (the ``.dbn.zst`` and the CSV, which must give the
   same store), and checks the two books: hftbacktest's own best bid/ask (its
   ``HashMapMarketDepth``, replayed with no latency) against mmsim's after
   every exchange timestamp, and hftbacktest's timestamps against the rule
   that makes them (:func:`_l3_reference.hbt_time`);
2. runs the benchmark's quoting rule (``_quoter_rule.quote_targets``, 1-lot
   post-only orders, as in ``vs_hftbacktest.py``) in both tools from
   ``--quote-from`` (after the opening auction) to the end of the file, decided
   on a 10 ms timer and on every local wake-up, with constant latencies:
   hftbacktest with ``l3_fifo_queue_model()`` (``L3FIFOQueueModel`` and
   ``L3NoPartialFillExchange``), mmsim with its exact L3 FIFO queue;
3. replays the same records with ``_l3_reference.py``, a pure-Python model of
   both tools' L3 rules sharing one local side, and checks that it gives each
   tool's fills fill for fill; then names the rule behind every venue message at
   which the two tools' rules fill our orders differently;
4. times both tools as ``vs_hftbacktest.py`` does (warm run time, first run in a
   fresh process, peak RSS), measured in this run.

``--queue-option KEY=VALUE`` (default ``l3_behind_fill=hftbacktest``) is passed
to ``mmsim.QueueConfig`` when that class has the field (the queue option for an
execution behind our order, issue 13): the script then also runs mmsim with it
and checks its fills against the reference's ``"all"`` rule set.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import json
import os
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
sys.path.insert(0, str(BENCH))
import _l3_reference as ref  # noqa: E402
from vs_hftbacktest import _find_hbt_python, _peak_rss_mib, _print_table, _ratio, _rss_mib, _run_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "databento"
DEFAULT_DBN = DATA / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
DEFAULT_CSV = DATA / "esh4_mbo_20231225.csv.gz"
TICK_SIZE = 0.25
LOT_SIZE = 1.0
CONTRACT_SIZE = 50.0  # USD per index point
MAKER_FEE, TAKER_FEE = 0.5, 1.0  # USD per contract (illustrative; fees do not change fills)
#: 2023-12-25 23:00:01 UTC: one second after CME's opening auction, once both books agree again.
#: A whole number of 512 ns, so a float64 parameter holds it exactly.
DEFAULT_QUOTE_FROM = 1703545201000000000


def _fmt_ts(ns: int) -> str:
    """UTC time of day to the nanosecond (integer arithmetic: a float of 1.7e18 ns is off by up to 128 ns)."""
    day = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc).strftime("%H:%M:%S")
    return f"{day}.{ns % 10**9:09d}"


# --------------------------------------------------------------------------------------
# mmsim side (children run in a fresh process)


def _queue_option(spec: str | None):
    """``(key, value)`` when ``mmsim.QueueConfig`` has the field, else None."""
    if not spec:
        return None
    import mmsim

    key, _, value = spec.partition("=")
    fields = {f.name for f in dataclasses.fields(mmsim.QueueConfig)}
    return (key, value) if key in fields else None


def _mmsim_config(args: argparse.Namespace, mode: str, option=None):
    import mmsim

    queue: dict = {}
    if option is not None:
        queue[option[0]] = option[1]
    return mmsim.Config.from_dict({
        "tick_size": TICK_SIZE,
        "lot_size": LOT_SIZE,
        "contract_size": CONTRACT_SIZE,
        "latency": {"feed": args.feed_latency_ns, "entry": args.entry_latency_ns, "response": args.response_latency_ns},
        "queue": queue,
        "fees": {"maker_per_lot": MAKER_FEE, "taker_per_lot": TAKER_FEE},
        "post_only": True,
        "decide_every": args.interval_ns if mode == "timer" else None,
        "signals": {"enabled": False},
    })


def _mmsim_strategy(args: argparse.Namespace):
    from _mmsim_quoter import touch_quoter

    return touch_quoter(qty=1, max_position=args.max_position_lots, skew_ticks_per_lot=args.skew_ticks_per_lot,
                        quote_from=float(args.quote_from))


def child_mmsim_convert(args: argparse.Namespace) -> dict:
    """Convert the DBN file twice (cold, then warm) into ``--store``, and the CSV once beside it."""
    import mmsim
    from mmsim.data import converter

    convert = converter("databento")
    times = []
    for i in range(2):
        out = Path(args.store) if i == 1 else Path(args.store + ".cold")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        convert([Path(args.dbn)], out, tick_size=TICK_SIZE, lot_size=LOT_SIZE)
        times.append(time.perf_counter() - t0)
    shutil.rmtree(Path(args.store + ".cold"), ignore_errors=True)
    rss = _peak_rss_mib()
    csv_store = Path(args.store + ".csv")
    shutil.rmtree(csv_store, ignore_errors=True)
    convert([Path(args.csv)], csv_store, tick_size=TICK_SIZE, lot_size=LOT_SIZE)
    a, b = np.asarray(mmsim.load(args.store).events), np.asarray(mmsim.load(csv_store).events)
    store = mmsim.load(args.store)
    return {
        "tool": "mmsim",
        "n_events": int(len(store.events)),
        "convert_cold_s": times[0],
        "convert_warm_s": times[1],
        "peak_rss_mib": rss,
        "csv_store_identical": bool(a.shape == b.shape and (a == b).all()),
        "quirks": store.meta.get("quirks", {}),
    }


def child_mmsim_run(args: argparse.Namespace) -> dict:
    """One first run, then ``--repeat`` warm runs; the fills of the first."""
    t_import = time.perf_counter()
    import numba  # noqa: F401

    import mmsim

    t_prep = time.perf_counter()
    rss_import = _rss_mib()
    events = mmsim.load(args.store).events
    option = _queue_option(args.queue_option) if args.with_option else None
    config = _mmsim_config(args, args.mode, option)
    strategy = _mmsim_strategy(args)
    strategy._mmsim_native_()
    t_first = time.perf_counter()
    res = mmsim.run(events, strategy, config)
    t_first_end = time.perf_counter()
    warm = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = mmsim.run(events, strategy, config)
        warm.append(time.perf_counter() - t0)
        if len(r.fills) != len(res.fills) or r.position != res.position:
            raise SystemExit("mmsim gave a different result on a repeated run: the run is not pure")
    f = res.fills
    bb = mmsim._engine.replay_bbo(np.asarray(events))  # the last mid, for the PnL
    mid = 0.5 * (int(bb["best_bid"][-1]) + int(bb["best_ask"][-1])) * TICK_SIZE
    return {
        "tool": "mmsim",
        "mode": args.mode,
        "option": list(option) if option else None,
        "n_rows": int(len(events)),
        "first_call_s": t_first_end - t_first,
        "import_s": t_prep - t_import,
        "prep_s": t_first - t_prep,
        "warm_median_s": statistics.median(warm) if warm else None,
        "n_fills": int(len(f)),
        "n_calls": int(res.n_calls),
        "position": int(res.position),
        "pnl": float(res.cash) + int(res.position) * mid * CONTRACT_SIZE,
        "peak_rss_mib": _peak_rss_mib(),
        "rss_after_import_mib": rss_import,
        "fill_list": np.stack([f["exch_ts"], f["side"].astype(np.int64), f["price"], f["qty"], f["order_id"]],
                              axis=1).tolist(),
    }


# --------------------------------------------------------------------------------------
# books


def compare_books(hbt_bbo: np.ndarray, mm_events: np.ndarray, market: ref.Market) -> dict:
    """hftbacktest's own best bid/ask after every exchange timestamp against mmsim's.

    mmsim's timestamps are mapped to hftbacktest's (:func:`_l3_reference.hbt_time`), so
    both are compared after the same records. The snapshot is one timestamp in each
    (hftbacktest keeps the orders' entry time, mmsim the snapshot's ``ts_recv``).
    """
    import mmsim

    b = mmsim._engine.replay_bbo(np.ascontiguousarray(mm_events))
    t = ref.hbt_time(mm_events["exch_ts"])
    last = np.r_[t[1:] != t[:-1], True]
    mm = np.column_stack([t[last], b["best_bid"][last], b["best_ask"][last], b["bid_qty"][last], b["ask_qty"][last]])
    out: dict = {"hbt_timestamps": int(len(hbt_bbo)), "mmsim_timestamps": int(len(mm))}
    same_ts = len(mm) == len(hbt_bbo) and bool((mm[1:, 0] == hbt_bbo[1:, 0]).all())
    out["same_timestamps"] = same_ts
    out["snapshot_ts"] = {"hftbacktest": int(hbt_bbo[0, 0]), "mmsim": int(mm[0, 0])}
    if not same_ts:
        out["same"] = False
        return out
    diff = np.nonzero((mm[:, 1:] != hbt_bbo[:, 1:]).any(axis=1))[0]
    crossed = mm[:, 1] >= mm[:, 2]
    out["mismatches"] = int(len(diff))
    out["mismatches_mmsim_crossed"] = int(crossed[diff].sum())
    out["crossed_timestamps"] = int(crossed.sum())
    if len(diff):
        out["first_mismatch"] = [int(hbt_bbo[diff[0], 0]), mm[diff[0], 1:].tolist(), hbt_bbo[diff[0], 1:].tolist()]
        out["last_mismatch_ts"] = int(hbt_bbo[diff[-1], 0])
        out["mismatch_runs"] = int(1 + (np.diff(diff) != 1).sum())
    # the reference's two books, record by record, against both tools
    rlast = np.r_[market.t[1:] != market.t[:-1], True]
    out["reference_hbt_book_equal"] = bool(len(market.hbt_top[rlast]) == len(hbt_bbo)
                                           and (market.hbt_top[rlast] == hbt_bbo[:, 1:]).all())
    out["reference_mmsim_book_equal"] = bool((market.mm_top[rlast] == mm[:, 1:]).all())
    out["same"] = len(diff) == 0
    return out


def compare_event_stream(market_ns: ref.Market, mm_events: np.ndarray) -> bool:
    """The reference's mmsim events (on the recorded time grid), record by record, equal the store's events."""
    flat = [(int(market_ns.t[i]), e[0], e[1], e[2], e[3], e[4])
            for i in range(len(market_ns.t)) for e in market_ns.mm_events[i]]
    mine = np.array(flat, dtype=np.int64)
    st = np.stack([mm_events["exch_ts"], mm_events["kind"].astype(np.int64), mm_events["side"].astype(np.int64),
                   mm_events["price"], mm_events["qty"], mm_events["order_id"]], axis=1)
    return bool(mine.shape == st.shape and (mine == st).all())


# --------------------------------------------------------------------------------------
# fills


def fills_by_print(fills, to_grid: bool) -> list[tuple[int, int, int, int]]:
    """(exch_ts, side, price, lots) summed per (time, side, price), sorted.

    ``to_grid``: the times are recorded nanoseconds, to be put on hftbacktest's grid
    (:func:`_l3_reference.hbt_time`; not idempotent, so never apply it twice).
    """
    acc: dict = {}
    ts = [int(f[0]) for f in fills]
    if to_grid and ts:
        ts = ref.hbt_time(ts).tolist()
    for t, f in zip(ts, fills):
        key = (int(t), int(f[1]), int(f[2]))
        acc[key] = acc.get(key, 0) + int(f[3])
    return [(*k, q) for k, q in sorted(acc.items())]


def compare_fill_lists(a, b, a_to_grid: bool = False, b_to_grid: bool = False) -> dict:
    """Fill for fill: identical, length of the identical prefix, the first difference."""
    fa, fb = fills_by_print(a, a_to_grid), fills_by_print(b, b_to_grid)
    k = 0
    while k < min(len(fa), len(fb)) and fa[k] == fb[k]:
        k += 1
    return {
        "identical": fa == fb,
        "n": [len(fa), len(fb)],
        "identical_prefix": k,
        "first_difference": None if fa == fb else [list(fa[k]) if k < len(fa) else None,
                                                   list(fb[k]) if k < len(fb) else None],
    }


def classify_path(market: ref.Market, rec: np.ndarray, run: ref.RunResult, against: str) -> dict:
    """Per class: how many venue messages on this path fill us differently under hftbacktest's rules
    and under ``against`` (``"message"``: mmsim's default; ``"all"``: mmsim with the queue option), and
    the first of each (record index, exchange time)."""
    counts: collections.Counter = collections.Counter()
    first: dict = {}
    for msg in run.messages:
        for c in ref.classify(market, rec, msg, "hftbacktest", against):
            counts[c] += 1
            first.setdefault(c, [msg["record"], msg["t"]])
    return {"counts": dict(counts), "first": first}


# --------------------------------------------------------------------------------------
# the driver


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cmd", nargs="?", default="bench", choices=("bench", "_child-mmsim-convert", "_child-mmsim-run"),
                   help=argparse.SUPPRESS)
    p.add_argument("--dbn", default=str(DEFAULT_DBN), help="Databento MBO file (.dbn.zst)")
    p.add_argument("--csv", default=str(DEFAULT_CSV), help="the same data as Databento's CSV (must give the same store)")
    p.add_argument("--hbt-python", default=None,
                   help="Python of hftbacktest's venv (default: $MMSIM_HFTBACKTEST_PYTHON or .venv-hbt/bin/python); "
                        "it needs the databento package for hftbacktest's converter")
    p.add_argument("--repeat", type=int, default=5, help="warm runs per tool and mode (median reported)")
    p.add_argument("--rounds", type=int, default=2, help="turns each tool takes at the warm measurement (best kept)")
    p.add_argument("--feed-latency-ns", type=int, default=1_250_000)
    p.add_argument("--entry-latency-ns", type=int, default=500_000)
    p.add_argument("--response-latency-ns", type=int, default=500_000)
    p.add_argument("--interval-ns", type=int, default=10_000_000, help="decision timer, ns")
    p.add_argument("--max-position-lots", type=int, default=20)
    p.add_argument("--skew-ticks-per-lot", type=float, default=0.1)
    p.add_argument("--quote-from", type=int, default=DEFAULT_QUOTE_FROM,
                   help="local time (ns) from which the quoter acts; default 23:00:01 UTC, after the opening auction")
    p.add_argument("--queue-option", default="l3_behind_fill=hftbacktest",
                   help="KEY=VALUE for mmsim.QueueConfig, used when the class has KEY (empty: never)")
    p.add_argument("--json", default=None, help="also write every figure to this JSON file")
    p.add_argument("--workdir", default=None, help="where converted data go (default: a temporary directory)")
    p.add_argument("--store", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="timer", help=argparse.SUPPRESS)
    p.add_argument("--with-option", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.cmd == "_child-mmsim-convert":
        print(json.dumps(child_mmsim_convert(args)))
        return 0
    if args.cmd == "_child-mmsim-run":
        print(json.dumps(child_mmsim_run(args)))
        return 0
    return bench(args)


def _latency_args(args) -> list[str]:
    return ["--feed-latency-ns", str(args.feed_latency_ns), "--entry-latency-ns", str(args.entry_latency_ns),
            "--response-latency-ns", str(args.response_latency_ns), "--interval-ns", str(args.interval_ns),
            "--max-position-lots", str(args.max_position_lots), "--skew-ticks-per-lot", str(args.skew_ticks_per_lot),
            "--quote-from", str(args.quote_from)]


def bench(args: argparse.Namespace) -> int:
    hbt_py = _find_hbt_python(args.hbt_python)
    if subprocess.run([hbt_py, "-c", "import databento"], capture_output=True).returncode != 0:
        raise SystemExit(f"{hbt_py}: no databento package, which hftbacktest's Databento converter imports; "
                         f"install it with {hbt_py} -m pip install -r bench/hbt/requirements.txt")
    for f in (args.dbn, args.csv):
        if not Path(f).exists():
            raise SystemExit(f"{f}: not found (the Databento ESH4 2023-12-25 sample)")
    tmp = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mmsim-vs-hbt-l3-"))
    tmp.mkdir(parents=True, exist_ok=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    runner = [hbt_py, str(BENCH / "_hbt_l3_runner.py")]
    report: dict = {"settings": {k: v for k, v in vars(args).items() if k not in ("cmd", "store", "mode", "with_option")}}
    print(f"data: {args.dbn}")
    print(f"latencies: feed {args.feed_latency_ns / 1e6:g} ms, entry {args.entry_latency_ns / 1e6:g} ms, "
          f"response {args.response_latency_ns / 1e6:g} ms; 1-lot post-only quotes from {_fmt_ts(args.quote_from)} UTC\n")

    # 1. conversion and books
    hbt_npy, store = tmp / "hbt_events.npy", tmp / "mmsim_store"
    hconv, _ = _run_json(runner + ["convert", args.dbn, "--out", str(hbt_npy)])
    mconv, _ = _run_json(me + ["_child-mmsim-convert", "--dbn", args.dbn, "--csv", args.csv, "--store", str(store)])
    report["convert"] = {"hftbacktest": hconv, "mmsim": mconv}
    hbt_bbo_npy = tmp / "hbt_bbo.npy"
    _run_json(runner + ["bbo", str(hbt_npy), "--out", str(hbt_bbo_npy)])

    import mmsim

    mm_events = np.asarray(mmsim.load(store).events)
    rec = ref.load_records(args.dbn, TICK_SIZE)
    hbt_rows = np.load(hbt_npy)
    exch_rows = hbt_rows[(hbt_rows["ev"] & np.uint64(1 << 31)) != 0]
    report["hbt_timestamps_rule"] = bool(len(exch_rows) == len(rec)
                                         and (exch_rows["exch_ts"] == ref.hbt_time(rec["ts_event"])).all())
    market_ns = ref.market_pass(rec, "ns")
    market = ref.market_pass(rec, "hftbacktest")
    books = compare_books(np.load(hbt_bbo_npy), mm_events, market)
    books["reference_events_equal_store"] = compare_event_stream(market_ns, mm_events)
    books["quotes_after_last_mismatch"] = books.get("last_mismatch_ts", 0) < args.quote_from
    report["books"] = books
    report["quirks"] = market.quirks

    # 2-3. runs
    option = _queue_option(args.queue_option)
    runs: dict = {}
    common = _latency_args(args)
    timer_start = int(mm_events["exch_ts"][0]) + args.feed_latency_ns  # mmsim's timer: first local market data
    for mode in ("timer", "feed"):
        hb_args = ["run", str(hbt_npy), "--mode", mode, "--timer-start", str(timer_start)] + common
        mm_args = ["_child-mmsim-run", "--store", str(store), "--mode", mode] + common
        hs, ms = [], []
        for _ in range(args.rounds):
            hs.append(_run_json(runner + hb_args + ["--repeat", str(args.repeat)])[0])
            ms.append(_run_json(me + mm_args + ["--repeat", str(args.repeat)])[0])
        h = min(hs, key=lambda r: r["warm_median_s"] or 0.0)
        m = min(ms, key=lambda r: r["warm_median_s"] or 0.0)
        hf, h_wall = _run_json(runner + hb_args + ["--repeat", "0"])
        mf, m_wall = _run_json(me + mm_args + ["--repeat", "0"])
        cold = Path(tempfile.mkdtemp(prefix="mmsim-cold-cache-", dir=tmp))
        env_cold = dict(os.environ, MMSIM_CACHE_DIR=str(cold / "mmsim"), NUMBA_CACHE_DIR=str(cold / "numba"))
        mc, m_cold_wall = _run_json(me + mm_args + ["--repeat", "0"], env=env_cold)
        run = {
            "hftbacktest": {k: v for k, v in h.items() if k != "fill_list"},
            "mmsim": {k: v for k, v in m.items() if k != "fill_list"},
            "first_run": {"hftbacktest": {"wall_s": h_wall, "peak_rss_mib": hf["peak_rss_mib"]},
                          "mmsim_warm_cache": {"wall_s": m_wall, "peak_rss_mib": mf["peak_rss_mib"]},
                          "mmsim_cold_cache": {"wall_s": m_cold_wall, "peak_rss_mib": mc["peak_rss_mib"]}},
            "fills": compare_fill_lists(m["fill_list"], h["fill_list"], a_to_grid=True),
        }
        kw = dict(mode=mode, feed_ns=args.feed_latency_ns, entry_ns=args.entry_latency_ns,
                  response_ns=args.response_latency_ns, interval_ns=args.interval_ns,
                  max_position=args.max_position_lots, skew_ticks_per_lot=args.skew_ticks_per_lot,
                  quote_from=args.quote_from)
        r_h = ref.simulate(market, decider="hftbacktest", **kw)
        r_m = ref.simulate(market, decider="message", **kw)  # mmsim: executions behind us settled per message
        r_a = ref.simulate(market, decider="all", **kw)
        run["reference"] = {
            "hftbacktest_equal": compare_fill_lists(r_h.fills, h["fill_list"])["identical"],
            "mmsim_equal": compare_fill_lists(r_m.fills, m["fill_list"], b_to_grid=True)["identical"],
            "book_differs": [list(r.book_differs) for r in (r_h, r_m, r_a)],
            "all_rule_fills": len(r_a.fills),
            "classes_on_hbt_path": classify_path(market, rec, r_h, "message"),
            "classes_on_mmsim_path": classify_path(market, rec, r_m, "message"),
            "classes_with_option_on_hbt_path": classify_path(market, rec, r_h, "all"),
            "classes_with_option_on_option_path": classify_path(market, rec, r_a, "all"),
        }
        # mmsim on hftbacktest's timestamps: the time grid alone
        grid_store = tmp / "mmsim_store_hbt_grid"
        if not grid_store.exists():
            from mmsim.data.store import write_store

            g = mm_events.copy()
            g["exch_ts"], g["local_ts"] = ref.hbt_time(g["exch_ts"]), ref.hbt_time(g["local_ts"])
            write_store(grid_store, g, dict(mmsim.load(store).meta))
        mg, _ = _run_json(me + ["_child-mmsim-run", "--store", str(grid_store), "--mode", mode, "--repeat", "0"] + common)
        run["grid"] = compare_fill_lists(m["fill_list"], mg["fill_list"], a_to_grid=True)
        if option is not None:
            mo, _ = _run_json(me + mm_args + ["--repeat", "0", "--with-option", "--queue-option", args.queue_option])
            run["option"] = {"spec": list(option),
                             "fills": compare_fill_lists(mo["fill_list"], h["fill_list"], a_to_grid=True),
                             "reference_equal": compare_fill_lists(r_a.fills, mo["fill_list"],
                                                                   b_to_grid=True)["identical"],
                             "n_fills": mo["n_fills"]}
        runs[mode] = run
    report["runs"] = runs
    _print_report(report, args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
        print(f"\nall figures: {args.json}")
    if not args.workdir:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print_report(report: dict, args: argparse.Namespace) -> None:
    hc, mc = report["convert"]["hftbacktest"], report["convert"]["mmsim"]
    print("## Conversion")
    _print_table([
        ("figure", "hftbacktest", "mmsim", "mmsim/hftbacktest"),
        ("events", f"{hc['n_rows']:,} rows", f"{mc['n_events']:,} events", ""),
        ("cold (fresh process)", f"{hc['convert_cold_s']:.2f} s", f"{mc['convert_cold_s']:.2f} s",
         _ratio(mc["convert_cold_s"], hc["convert_cold_s"])),
        ("warm", f"{hc['convert_warm_s']:.2f} s", f"{mc['convert_warm_s']:.2f} s",
         _ratio(mc["convert_warm_s"], hc["convert_warm_s"])),
        ("peak RSS", f"{hc['peak_rss_mib']:.0f} MiB", f"{mc['peak_rss_mib']:.0f} MiB",
         _ratio(mc["peak_rss_mib"], hc["peak_rss_mib"])),
    ])
    b = report["books"]
    print(f"\nmmsim's .dbn.zst and CSV stores identical: {mc['csv_store_identical']}; hftbacktest's exchange times "
          f"are int(µs-truncated seconds * 1e9) of ts_event for every row: {report['hbt_timestamps_rule']}")
    print(f"books: best bid/ask and sizes after each of {b['hbt_timestamps']:,} exchange timestamps: "
          f"{b['mismatches']} differ, all in {b.get('mismatch_runs', 0)} stretch(es) up to "
          f"{_fmt_ts(b.get('last_mismatch_ts', 0))} UTC ({b['mismatches_mmsim_crossed']} of them while mmsim's "
          f"book is crossed: CME's pre-open; hftbacktest's depth hides the crossed levels); quotes start after: "
          f"{b['quotes_after_last_mismatch']}. Snapshot time: hftbacktest {_fmt_ts(b['snapshot_ts']['hftbacktest'])} "
          f"(the orders' ts_event), mmsim {_fmt_ts(b['snapshot_ts']['mmsim'])} (ts_recv).")
    print(f"reference: mmsim's events {'equal' if b['reference_events_equal_store'] else 'DIFFER FROM'} the store's; "
          f"hftbacktest's book {'equal' if b['reference_hbt_book_equal'] else 'DIFFERS'} at every timestamp")

    for mode, label in (("timer", f"decided on a {args.interval_ns / 1e6:g} ms timer"),
                        ("feed", "decided on every local wake-up")):
        r = report["runs"][mode]
        h, m, fr = r["hftbacktest"], r["mmsim"], r["first_run"]
        print(f"\n## {label} (1-lot orders)")
        _print_table([
            ("figure", "hftbacktest 2.4.4", "mmsim", "mmsim/hftbacktest"),
            (f"warm run time (median of {args.repeat}, best of {args.rounds} rounds)",
             f"{h['warm_median_s'] * 1e3:.0f} ms", f"{m['warm_median_s'] * 1e3:.0f} ms",
             _ratio(m["warm_median_s"], h["warm_median_s"])),
            ("warm records/s (68,792 MBO records)", f"{h['n_rows'] / h['warm_median_s'] / 1e6:.2f} M",
             f"{h['n_rows'] / m['warm_median_s'] / 1e6:.2f} M", _ratio(h["warm_median_s"], m["warm_median_s"])),
            ("first run in a fresh process", f"{fr['hftbacktest']['wall_s']:.2f} s",
             f"{fr['mmsim_warm_cache']['wall_s']:.2f} s", _ratio(fr["mmsim_warm_cache"]["wall_s"],
                                                                fr["hftbacktest"]["wall_s"])),
            ("  with a cold compile cache", f"{fr['hftbacktest']['wall_s']:.2f} s",
             f"{fr['mmsim_cold_cache']['wall_s']:.2f} s", _ratio(fr["mmsim_cold_cache"]["wall_s"],
                                                                fr["hftbacktest"]["wall_s"])),
            ("peak RSS, fresh process, one run", f"{fr['hftbacktest']['peak_rss_mib']:.0f} MiB",
             f"{fr['mmsim_warm_cache']['peak_rss_mib']:.0f} MiB",
             _ratio(fr["mmsim_warm_cache"]["peak_rss_mib"], fr["hftbacktest"]["peak_rss_mib"])),
            ("fills", f"{h['n_fills']:,}", f"{m['n_fills']:,}", ""),
            ("final position", f"{h['position']:+.0f} lots", f"{m['position']:+d} lots", ""),
            ("PnL, marked to the last mid", f"{h['pnl']:+,.2f} USD", f"{m['pnl']:+,.2f} USD", ""),
        ])
        f = r["fills"]
        print("fills (time on hftbacktest's grid, side, price, lots): "
              + ("IDENTICAL" if f["identical"] else
                 f"identical for the first {f['identical_prefix']}, then mmsim {f['first_difference'][0]} "
                 f"vs hftbacktest {f['first_difference'][1]}"))
        rf = r["reference"]
        print(f"reference gives hftbacktest's fills: {rf['hftbacktest_equal']}; mmsim's: {rf['mmsim_equal']}; books "
              f"the two tools would see differ at (order arrivals, strategy calls): {rf['book_differs'][0]}")
        for key, what in (("classes_on_hbt_path", "on hftbacktest's path"),
                          ("classes_on_mmsim_path", "on mmsim's path")):
            c = rf[key]
            print(f"  venue messages whose fills differ by rule, {what}: "
                  + ", ".join(f"{k} {v} (first: record {c['first'][k][0]}, {_fmt_ts(c['first'][k][1])})"
                              for k, v in sorted(c["counts"].items())))
        c = rf["classes_with_option_on_option_path"]
        print(f"  with hftbacktest's rule for executions behind us ({rf['all_rule_fills']} fills), still differing: "
              + ", ".join(f"{k} {v}" for k, v in sorted(c["counts"].items())))
        g = r["grid"]
        print(f"mmsim on hftbacktest's timestamps: same fills as on the recorded ones: {g['identical']}")
        if "option" in r:
            o = r["option"]
            print(f"mmsim with queue {o['spec'][0]}={o['spec'][1]}: {o['n_fills']} fills, equal to the reference: "
                  f"{o['reference_equal']}; against hftbacktest: "
                  + ("IDENTICAL" if o["fills"]["identical"] else
                     f"identical for the first {o['fills']['identical_prefix']}"))
        else:
            print("mmsim's QueueConfig has no such queue option yet: the run with it is skipped")


if __name__ == "__main__":
    sys.exit(main())
