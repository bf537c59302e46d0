"""A small LOBSTER reader for the engine tests (the full loader lives in mmsim.data).

A level-1 LOBSTER message file omits every message outside the top level, so
its orders cannot be replayed as L3 without the orderbook file. This helper
builds an L2 top-of-book feed instead: after each message, DEPTH events move
the best bid/ask to the orderbook file's row; visible (4) and hidden (5)
executions become TRADE events (aggressor = -direction) before the depth
update they cause. Prices are $ x 1e4 in the files, ticks of $0.01 here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mmsim

# 2012-06-21 00:00 America/New_York (EDT, UTC-4) in ns since the epoch.
MIDNIGHT_NY_20120621 = 1340251200 * 1_000_000_000


def lobster_l2_events(message: Path, orderbook: Path, midnight_ns: int = MIDNIGHT_NY_20120621) -> np.ndarray:
    m = np.loadtxt(message, delimiter=",", ndmin=2)
    ob = np.loadtxt(orderbook, delimiter=",", ndmin=2).astype(np.int64)
    t = np.round(m[:, 0] * 1e9).astype(np.int64) + midnight_ns
    typ = m[:, 1].astype(np.int64)
    size = m[:, 3].astype(np.int64)
    price = np.round(m[:, 4] / 100).astype(np.int64)
    direction = m[:, 5].astype(np.int64)
    D, T = int(mmsim.Kind.DEPTH), int(mmsim.Kind.TRADE)
    rows: list[tuple[int, int, int, int, int]] = []
    bid = ask = None  # (price, size) last emitted
    for k in range(len(m)):
        if typ[k] in (4, 5):
            rows.append((t[k], T, -int(direction[k]), int(price[k]), int(size[k])))
        ask_px, ask_sz, bid_px, bid_sz = (int(x) for x in ob[k, :4])
        new_bid = (bid_px // 100, bid_sz) if bid_sz > 0 and bid_px > 0 else None
        new_ask = (ask_px // 100, ask_sz) if ask_sz > 0 and 0 < ask_px < 9_999_999_999 else None
        for side, old, new in ((1, bid, new_bid), (-1, ask, new_ask)):
            if old == new:
                continue
            # The new level first, then the old one's removal: the book never shows
            # an empty side in between (a fill recorded there would have no mid).
            if new is not None:
                rows.append((t[k], D, side, new[0], new[1]))
            if old is not None and (new is None or new[0] != old[0]):
                rows.append((t[k], D, side, old[0], 0))
        bid, ask = new_bid, new_ask
    ev = np.zeros(len(rows), dtype=mmsim.EVENT_DTYPE)
    arr = np.array(rows, dtype=np.int64)
    ev["exch_ts"] = arr[:, 0]
    ev["local_ts"] = arr[:, 0]
    ev["kind"] = arr[:, 1]
    ev["side"] = arr[:, 2]
    ev["price"] = arr[:, 3]
    ev["qty"] = arr[:, 4]
    return ev
