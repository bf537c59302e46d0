"""Count trades whose level shrank, by at least the trade's size, only at an *earlier* exchange time.

docs/engine.md, "Snapshots and venue messages": a trade at t1 and the venue's depth update
at t2 >= t1 are not counted twice in our queue position; a depth update stamped *before*
its own trade (t2 < t1) is. This script measures how often that can happen on a Binance
capture: for every trade, whether the level it hit (bid for a seller, ask for a buyer, at
the trade price) has a depth decrease of at least the trade's size within ``W`` of it,
stamped at the trade's own time, after it, or only before it. A decrease only before is
either the trade's own update stamped early or a cancel that happened to precede the
trade: the data cannot tell them apart.

Usage::

    python bench/count_depth_stamped_before_trade.py ../shared/data/binance/usdm/btcusdt_20240808.gz
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import mmsim
from mmsim.data import binance

WINDOWS_NS = (1_000_000, 10_000_000, 100_000_000)


def main(paths: list[str]) -> None:
    D, T = int(mmsim.Kind.DEPTH), int(mmsim.Kind.TRADE)
    for src in map(Path, paths):
        with tempfile.TemporaryDirectory() as tmp:
            ev = np.asarray(binance.convert([src], Path(tmp) / "s", force=True).events)
        size: dict[tuple[int, int], int] = {}
        dec: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for e in ev[ev["kind"] == D]:
            key = (int(e["side"]), int(e["price"]))
            prev, size[key] = size.get(key, 0), int(e["qty"])
            if prev > size[key]:
                dec.setdefault(key, []).append((int(e["exch_ts"]), prev - size[key]))
        arr = {k: (np.array([a for a, _ in v]), np.array([b for _, b in v])) for k, v in dec.items()}
        trades = ev[ev["kind"] == T]
        print(f"{src}: {len(trades):,} trades")
        for w in WINDOWS_NS:
            before = same = after = 0
            for e in trades:
                key = (-int(e["side"]), int(e["price"]))
                if key not in arr:
                    continue
                ts, q = arr[key]
                t = int(e["exch_ts"])
                lo, hi = np.searchsorted(ts, t - w), np.searchsorted(ts, t + w, side="right")
                near = ts[lo:hi][q[lo:hi] >= int(e["qty"])]
                if (near == t).any():
                    same += 1
                elif (near > t).any():
                    after += 1
                elif near.size:
                    before += 1
            print(f"  within {w / 1e6:g} ms: decrease at the trade's time {same:,}, after it {after:,}, "
                  f"only before it {before:,}")


if __name__ == "__main__":
    main(sys.argv[1:])
