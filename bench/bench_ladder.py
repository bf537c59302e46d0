"""What ladders cost: a 1-level quoter before and after them, and an N-level ladder against 1 level.

Usage (from the repository root, in mmsim's environment)::

    python bench/bench_ladder.py --ladder 5                       # N levels against 1, this build
    python bench/bench_ladder.py --ab /path/to/other/venv/bin/python   # this build against another

Both read the Binance USD-M BTCUSDT 2024-08-08 capture (``--capture``), converted once
with this build's converter into ``--workdir`` (its ``events.npy`` is what every run
replays, whichever build runs it), with ``bench/vs_hftbacktest.py``'s setting: tick 0.1,
lot 0.001, feed 1.25 ms, entry and response 0.5 ms, the risk-averse queue model,
post-only, maker -0.5 bp and taker 7 bp, signals off; decisions on a 10 ms timer and,
separately, on every local wake-up. Figures are warm events/s: events / the CPU time
of ``mmsim.run`` (the thread's, so time the machine gives other jobs is not counted),
the median and the best over every timed run, with the runs alternating in one process
(``--ladder``) or the builds taking turns in fresh processes (``--ab``), so the ratios
are measured in one sitting on a shared machine.

``--ladder N`` runs three strategies in turn: the benchmark quoter of
``vs_hftbacktest.py`` (``_mmsim_quoter.touch_quoter``, the 1-level ``Quote`` form), and
``ladder_quoter`` below with 1 level and with N levels per side (``ladder_levels`` set to
match). ``ladder_quoter`` is ``LadderFlatten``'s shape on the benchmark's rule: level 0
at the benchmark quoter's skewed touch prices, level k ``k * gap`` ticks further out,
``qty`` lots each, every level of a side dropped once filling it could pass
``max_position``; past ``flatten_at`` (50) lots it sends one IOC toward flat at the touch;
while more than ``2 N`` target orders are live (replacements in flight) it keeps its
targets.

``--ab PYTHON`` runs the benchmark quoter (1 level) in PYTHON's mmsim (another build,
e.g. ``main`` before ladders) and in this build with the decision log on (the default)
and off, one fresh process each, in turns, ``--rounds`` times; the other build is given
no config key it may not know (``decision_log``) and its own numba cache directory.

``python bench/bench_ladder.py _one --events STORE/events.npy --mode timer|feed
--decision-log on|off|absent [--ladder N]`` runs the benchmark quoter (or ``ladder_quoter``
with N levels) once, for an instruction count
under callgrind (docs/benchmarks.md, "Ladders and explicit orders: what they cost").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_CAPTURE = ROOT.parent / "shared" / "data" / "binance" / "usdm" / "btcusdt_20240808.gz"
TICK_SIZE, LOT_SIZE = 0.1, 0.001
IOC = 2  # mmsim.records.OrderType.IOC

sys.path.insert(0, str(BENCH))
from _quoter_rule import quote_targets  # noqa: E402  (the benchmark's rule, beside this file)


def config_dict(mode: str, *, decision_log: bool | None = None, ladder_levels: int | None = None) -> dict:
    """vs_hftbacktest.py's engine config; keys a build may not know are left out unless given."""
    d = {
        "tick_size": TICK_SIZE, "lot_size": LOT_SIZE, "contract_size": 1.0,
        "latency": {"feed": 1_250_000, "entry": 500_000, "response": 500_000},
        "queue": {"model": "risk_averse"},
        "fees": {"maker_bps": -0.5, "taker_bps": 7.0},
        "post_only": True,
        "decide_every": 10_000_000 if mode == "timer" else None,
        "signals": {"enabled": False},
    }
    if decision_log is not None:
        d["decision_log"] = decision_log
    if ladder_levels is not None:
        d["ladder_levels"] = ladder_levels
    return d


def touch_quoter():
    """The benchmark quoter of vs_hftbacktest.py (10 lots, |position| <= 500, 0.1 tick of skew a lot)."""
    from _mmsim_quoter import touch_quoter as kind

    return kind(qty=10, max_position=500, skew_ticks_per_lot=0.1)


@njit(cache=True)
def ladder_quoter(view, params, state, out):
    """The benchmark quoter as ``levels`` levels a side, ``gap`` ticks apart, with an IOC to flat past ``flatten_at``."""
    if view.bid_qty <= 0 or view.ask_qty <= 0 or view.best_bid >= view.best_ask:
        return 0
    q = view.position
    n = int(params.levels)
    if abs(q) > params.flatten_at and view.n_explicit_live == 0:
        out.n_orders = 1
        out.order_type[0] = IOC
        out.order_side[0] = -1 if q > 0 else 1
        out.order_px[0] = view.best_bid if q > 0 else view.best_ask
        out.order_qty[0] = abs(q)
    if view.n_live_orders - view.n_explicit_live > 2 * n:
        return 0  # replacements in flight: wait for the exchange before requoting
    bid, bq, ask, aq = quote_targets(view.best_bid, view.best_ask, q, int(params.qty), int(params.max_position),
                                     params.skew_ticks_per_lot)
    # A side's levels only while all of them filled stay within max_position.
    room = params.max_position - n * params.qty
    out.n_bid_levels = n
    out.n_ask_levels = n
    for k in range(n):
        out.bid_ladder_px[k] = bid - k * params.gap
        out.bid_ladder_qty[k] = bq if q <= room else 0
        out.ask_ladder_px[k] = ask + k * params.gap
        out.ask_ladder_qty[k] = aq if -q <= room else 0
    return 1


def ladder_kind():
    """``ladder_quoter`` as an mmsim strategy (built on first use: builds before ladders have no such fields)."""
    from mmsim.numba_strategy import numba_strategy

    return numba_strategy(ladder_quoter, params={"levels": 1.0, "qty": 10.0, "gap": 1.0, "max_position": 500.0,
                                                 "skew_ticks_per_lot": 0.1, "flatten_at": 50.0},
                          name="ladder_quoter")


def ensure_events(capture: str, workdir: Path) -> Path:
    """``workdir/store/events.npy``, converted from the capture with this build once."""
    store = workdir / "store"
    if not (store / "events.npy").exists():
        from mmsim.data import converter

        converter("binance")([Path(capture)], store, tick_size=TICK_SIZE, lot_size=LOT_SIZE)
    return store / "events.npy"


def timed(events, strategy, config, repeat: int) -> tuple[list[float], object]:
    import mmsim

    first = mmsim.run(events, strategy, config)  # compile or load from the cache, warm up
    out = []
    for _ in range(repeat):
        t0 = time.thread_time()
        r = mmsim.run(events, strategy, config)
        out.append(time.thread_time() - t0)
        if r.fills.tobytes() != first.fills.tobytes():
            raise SystemExit("a repeated run gave different fills: the run is not pure")
    return out, first


def child(args: argparse.Namespace) -> dict:
    """One build, one strategy (the benchmark quoter), one mode: warm run times."""
    import mmsim

    events = np.load(args.events, mmap_mode="r")
    log = {"on": True, "off": False, "absent": None}[args.decision_log]
    config = mmsim.Config.from_dict(config_dict(args.mode, decision_log=log))
    times, first = timed(events, touch_quoter(), config, args.repeat)
    return {"times": times, "n_events": int(len(events)), "n_fills": int(len(first.fills)),
            "n_calls": int(first.n_calls), "mmsim": str(Path(mmsim.__file__).parent)}


def one(args: argparse.Namespace) -> dict:
    """One run of the benchmark quoter, the strategy compiled first: for ``valgrind --tool=callgrind
    --toggle-collect='mmsim::run_many*'`` (the engine and the compiled strategy, not Python)."""
    import mmsim

    events = np.load(args.events, mmap_mode="r")
    log = {"on": True, "off": False, "absent": None}[args.decision_log]
    if args.ladder:  # ladder_quoter with that many levels (--ladder 1 too)
        strategy = ladder_kind()(levels=args.ladder)
        config = config_dict(args.mode, decision_log=log, ladder_levels=args.ladder)
    else:
        strategy, config = touch_quoter(), config_dict(args.mode, decision_log=log)
    strategy._mmsim_native_()  # compile, or load from the cache, outside the measured call
    r = mmsim.run(events, strategy, mmsim.Config.from_dict(config))
    return {"n_fills": int(len(r.fills)), "n_calls": int(r.n_calls)}


def bench_ab(args: argparse.Namespace, events_path: Path) -> dict:
    builds = [("other", args.ab, "absent"), ("this, log on", sys.executable, "on"),
              ("this, log off", sys.executable, "off")]
    out: dict = {}
    for mode in ("timer", "feed"):
        times: dict[str, list[float]] = {b[0]: [] for b in builds}
        info: dict[str, dict] = {}
        for _ in range(args.rounds):
            for label, python, log in builds:
                env = dict(os.environ)
                env["MMSIM_CACHE_DIR"] = str(Path(args.workdir) / ("cache-other" if label == "other" else "cache-this"))
                cmd = [python, str(Path(__file__).resolve()), "_child", "--events", str(events_path), "--mode", mode,
                       "--repeat", str(args.repeat), "--decision-log", log]
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT.parent))
                if proc.returncode:
                    raise SystemExit(f"{label}: {' '.join(cmd)} failed\n{proc.stderr[-3000:]}")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                times[label] += res["times"]
                info[label] = res
        n = info["other"]["n_events"]
        fills = {k: v["n_fills"] for k, v in info.items()}
        if len(set(fills.values())) != 1:
            print(f"note ({mode}): fills differ between builds: {fills}")
        out[mode] = {"n_events": n, "fills": fills, "n_calls": info["other"]["n_calls"],
                     "mmsim": {k: v["mmsim"] for k, v in info.items()}, **rates(times, n)}
    print(f"\n## 1-level benchmark quoter: this build against {args.ab} "
          f"(warm events/s over {args.rounds} x {args.repeat} runs per build, builds in turns: median, and best)")
    print("| mode | figure | fills | other | this, log on | this, log off | on / other | off / other |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, label in (("timer", "10 ms timer"), ("feed", "every wake-up")):
        for fig, key in (("median", "events_per_s"), ("best", "best_events_per_s")):
            e = out[mode][key]
            print(f"| {label} | {fig} | {out[mode]['fills']['other']:,} | {e['other'] / 1e6:.2f} M "
                  f"| {e['this, log on'] / 1e6:.2f} M | {e['this, log off'] / 1e6:.2f} M "
                  f"| {e['this, log on'] / e['other']:.3f} | {e['this, log off'] / e['other']:.3f} |")
    return out


def rates(times: dict[str, list[float]], n_events: int) -> dict:
    """Events/s of each entry's median and best time, and the times themselves."""
    return {"events_per_s": {k: n_events / statistics.median(v) for k, v in times.items()},
            "best_events_per_s": {k: n_events / min(v) for k, v in times.items()}, "times_s": times}


def bench_ladder(args: argparse.Namespace, events_path: Path) -> dict:
    import mmsim

    events = np.load(events_path, mmap_mode="r")
    n_ev = int(len(events))
    kind = ladder_kind()
    out: dict = {}
    for mode in ("timer", "feed"):
        runs = {
            "quoter (Quote)": (touch_quoter(), mmsim.Config.from_dict(config_dict(mode))),
            "ladder, 1 level": (kind(levels=1), mmsim.Config.from_dict(config_dict(mode, ladder_levels=1))),
            f"ladder, {args.ladder} levels": (kind(levels=args.ladder),
                                              mmsim.Config.from_dict(config_dict(mode, ladder_levels=args.ladder))),
        }
        times: dict[str, list[float]] = {k: [] for k in runs}
        facts: dict[str, dict] = {}
        for k, (s, c) in runs.items():
            _, r = timed(events, s, c, 0)
            f = r.fills
            facts[k] = {"fills": int(len(f)), "calls": int(r.n_calls), "orders_sent": int(
                (r.orders["event"] == mmsim.records.OrderEvent.SENT).sum()),
                "levels_filled": sorted(set(np.unique(f["level"]).tolist()))}
        for _ in range(args.rounds):
            for k, (s, c) in runs.items():
                t, _ = timed(events, s, c, args.repeat)
                times[k] += t
        out[mode] = {"n_events": n_ev, "facts": facts, **rates(times, n_ev)}
    print(f"\n## {args.ladder}-level ladder against 1 level (warm events/s over {args.rounds} x {args.repeat} "
          f"runs each, in turns: median, and best; {n_ev:,} events)")
    print("| mode | strategy | orders sent | fills | levels filled | median | / 1 level | best | / 1 level |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode, label in (("timer", "10 ms timer"), ("feed", "every wake-up")):
        e, b = out[mode]["events_per_s"], out[mode]["best_events_per_s"]
        for k in e:
            f = out[mode]["facts"][k]
            print(f"| {label} | {k} | {f['orders_sent']:,} | {f['fills']:,} | {f['levels_filled']} "
                  f"| {e[k] / 1e6:.2f} M | {e[k] / e['ladder, 1 level']:.3f} "
                  f"| {b[k] / 1e6:.2f} M | {b[k] / b['ladder, 1 level']:.3f} |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cmd", nargs="?", default="bench", help=argparse.SUPPRESS)
    p.add_argument("--capture", default=str(DEFAULT_CAPTURE), help="Binance USD-M capture (.gz)")
    p.add_argument("--workdir", default="bench-ladder", help="where the converted store and caches go")
    p.add_argument("--ladder", type=int, default=0, help="levels per side of the ladder run (2..16)")
    p.add_argument("--ab", default=None, metavar="PYTHON", help="the other build's Python (its venv's bin/python)")
    p.add_argument("--repeat", type=int, default=5, help="warm runs per turn")
    p.add_argument("--rounds", type=int, default=3, help="turns each build or strategy takes")
    p.add_argument("--json", default=None, help="also write every figure to this JSON file")
    p.add_argument("--events", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="timer", help=argparse.SUPPRESS)
    p.add_argument("--decision-log", default="absent", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.cmd == "_child":
        print(json.dumps(child(args)))
        return 0
    if args.cmd == "_one":
        print(json.dumps(one(args)))
        return 0
    if not args.ladder and not args.ab:
        p.error("give --ladder N and/or --ab PYTHON")
    if args.ladder and not 2 <= args.ladder <= 16:
        p.error("--ladder takes 2..16 levels")
    if not Path(args.capture).exists():
        raise SystemExit(f"{args.capture}: capture not found (the Binance USD-M BTCUSDT 2024-08-08 file)")
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    args.workdir = str(Path(args.workdir).resolve())
    events_path = ensure_events(args.capture, Path(args.workdir))
    figures = {}
    if args.ab:
        figures["ab"] = bench_ab(args, events_path)
    if args.ladder:
        figures["ladder"] = bench_ladder(args, events_path)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
