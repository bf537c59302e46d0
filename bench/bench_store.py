"""Benchmark the event store: flat memory when replaying 1M vs 20M events, and conversion speed.

1. Tiles the converted Binance BTCUSDT USD-M day (~0.47M events) into stores of
   1M and 20M events (timestamps shifted per copy; each copy starts with its
   snapshot), then replays each store in a fresh subprocess with
   ``mmsim.run(store, None, Config())`` and prints its peak RSS (``ru_maxrss``).
   Until the engine provides ``mmsim.run`` the subprocess replays with a chunked
   pass over the memory map instead, and says so.
2. Converts the same capture with mmsim and with hftbacktest's
   ``binancefutures.convert`` (in the hftbacktest venv given by
   ``MMSIM_HFTBACKTEST_PYTHON``, default ``/work/venv-hbt/bin/python``), timing
   the conversion call only, and prints the ratio.

Usage::

    python bench/bench_store.py [--data ../shared/data] [--work /tmp/mmsim-bench] [--sizes 1000000 20000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ("binance", "usdm", "btcusdt_20240808.gz")


def tile(src, out: Path, n: int) -> None:
    """Write a store of ``n`` events by repeating ``src`` with shifted timestamps (streamed)."""
    from mmsim.data.store import EventStoreWriter

    ev = np.asarray(src.events)
    span = int(ev["exch_ts"][-1] - ev["exch_ts"][0]) + 1_000_000_000
    w = EventStoreWriter(out, force=True)
    with w:
        done, k = 0, 0
        while done < n:
            m = min(len(ev), n - done)
            for i in range(0, m, 1 << 20):
                c = np.array(ev[i : min(m, i + (1 << 20))])
                c["exch_ts"] += k * span
                c["local_ts"] += k * span
                w.append(c)
            done += m
            k += 1
        meta = dict(src.meta)
        meta["source"] = [f"{k} tiles of " + ",".join(src.meta["source"])]
        w.close(meta)


def replay_child(path: str, mode: str) -> None:
    """Run in a subprocess: replay the store, print JSON with peak RSS."""
    import mmsim
    from mmsim.data import load

    st = load(path)
    t = time.perf_counter()
    if mode == "run" and hasattr(mmsim, "run"):
        res = mmsim.run(st, None, mmsim.Config())
        how = "mmsim.run"
        n = int(getattr(res, "n_events", len(st)))
    else:
        # Touch every event as a replay loop reads it (a checksum keeps the work
        # honest): through the whole-file map, or through store.chunks() windows.
        acc = 0
        n = 0
        if mode == "chunks":
            how = "store.chunks() windows"
            it = st.chunks()
        else:
            how = "whole-file memmap (.events)"
            it = (st.events[i : i + (1 << 20)] for i in range(0, len(st), 1 << 20))
        for c in it:
            acc ^= int(np.bitwise_xor.reduce(c["price"])) ^ int(c["qty"].sum())
            n += len(c)
    dt = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Split of the resident set at the end (Linux): anonymous memory is what the
    # process allocated; file pages are the store's mapped pages, which the
    # kernel can drop under pressure.
    split = {}
    try:
        for ln in Path("/proc/self/status").read_text().splitlines():
            k, _, v = ln.partition(":")
            if k in ("RssAnon", "RssFile"):
                split[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    print(json.dumps({"events": n, "seconds": dt, "peak_rss_mb": rss_mb, "how": how, **split}))


def hbt_python() -> str | None:
    exe = os.environ.get("MMSIM_HFTBACKTEST_PYTHON")
    if exe:
        return exe
    d = Path("/work/venv-hbt/bin/python")
    return str(d) if d.exists() else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--work", type=Path, default=Path("/tmp/mmsim-bench"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 20_000_000])
    ap.add_argument("--replay-child", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="all", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.replay_child:
        replay_child(a.replay_child, a.mode)
        return 0
    from mmsim.data import binance, load

    cap = a.data.joinpath(*CAPTURE)
    if not cap.exists():
        print(f"capture not found: {cap}", file=sys.stderr)
        return 1
    a.work.mkdir(parents=True, exist_ok=True)

    # --- conversion speed: mmsim vs hftbacktest on the same capture
    t = time.perf_counter()
    src = binance.convert([cap], a.work / "day", force=True)
    ours_s = time.perf_counter() - t
    print(f"mmsim convert --format binance {cap.name}: {len(src):,} events in {ours_s:.2f} s")
    exe = hbt_python()
    if exe:
        # Two calls in one process: the first includes numba compiling
        # hftbacktest's correct_event_order, the second does not.
        code = (
            "import sys, time; from hftbacktest.data.utils import binancefutures as b\n"
            "for _ in range(2):\n"
            "    t=time.perf_counter(); d=b.convert(sys.argv[1], output_filename=None, buffer_size=3_000_000)\n"
            "    print(len(d), time.perf_counter()-t)"
        )
        r = subprocess.run([exe, "-c", code, str(cap)], capture_output=True, text=True, check=True)
        res = [ln.split() for ln in r.stdout.strip().splitlines() if ln.split()[0].isdigit()]
        (n_h, cold), (_, warm) = res[-2], res[-1]
        cold, warm = float(cold), float(warm)
        t = time.perf_counter()
        binance.convert([cap], a.work / "day2", force=True)
        ours2 = time.perf_counter() - t
        print(f"mmsim convert, second run: {ours2:.2f} s")
        print(f"hftbacktest binancefutures.convert: {int(n_h):,} rows in {cold:.2f} s first call (numba JIT), "
              f"{warm:.2f} s second call (no .npz write)")
        print(f"conversion time ratio mmsim / hftbacktest: {ours_s / cold:.2f} vs first call, "
              f"{ours2 / warm:.2f} vs second call")
    else:
        print("hftbacktest not available (set MMSIM_HFTBACKTEST_PYTHON): conversion comparison skipped")

    # --- replay memory at growing store sizes
    rows = []
    for n in a.sizes:
        path = a.work / f"tiled_{n}"
        if not (path / "meta.json").exists() or load(path).meta["event_count"] != n:
            t = time.perf_counter()
            tile(src, path, n)
            print(f"tiled {n:,} events in {time.perf_counter() - t:.1f} s -> {path}")
        size_mb = (path / "events.npy").stat().st_size / 2**20
        for mode in ("run", "memmap", "chunks"):
            r = subprocess.run(
                [sys.executable, __file__, "--replay-child", str(path), "--mode", mode],
                capture_output=True, text=True, check=True,
            )
            res = json.loads(r.stdout.strip().splitlines()[-1])
            if mode == "run" and res["how"] != "mmsim.run":
                print("mmsim.run not available yet (engine not merged): replay via mmsim.run skipped")
                continue
            res["mode"] = mode
            rows.append(res)
            split = (f" (at end: anon {res['RssAnon']:.0f} MB, file {res['RssFile']:.0f} MB)"
                     if "RssAnon" in res else "")
            print(
                f"replay {res['events']:>12,} events ({size_mb:,.0f} MB on disk): peak RSS {res['peak_rss_mb']:.0f} MB"
                f"{split}, {res['seconds']:.2f} s [{res['how']}]"
            )
    for mode in ("run", "memmap", "chunks"):
        rs = [r for r in rows if r["mode"] == mode]
        if len(rs) >= 2:
            print(f"[{mode}] peak RSS ratio {rs[-1]['events']:,} vs {rs[0]['events']:,} events: "
                  f"{rs[-1]['peak_rss_mb'] / rs[0]['peak_rss_mb']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
