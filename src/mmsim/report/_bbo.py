"""Exchange book top after each event, for mids and markouts (development stand-in for the engine's replay_bbo)."""

from __future__ import annotations

import numpy as np

from ..events import Kind

INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max


def replay_bbo(events: np.ndarray) -> dict[str, np.ndarray]:
    """Best bid/ask and their sizes after each event; INT64_MIN/INT64_MAX and 0 for an empty side."""
    try:
        from .. import _engine

        return _engine.replay_bbo(events)
    except AttributeError:
        pass
    n = events.shape[0]
    out = {k: np.empty(n, dtype=np.int64) for k in ("best_bid", "best_ask", "bid_qty", "ask_qty")}
    books: dict[int, dict[int, int]] = {1: {}, -1: {}}
    kind = events["kind"].tolist()
    side = events["side"].tolist()
    price = events["price"].tolist()
    qty = events["qty"].tolist()
    best = {1: None, -1: None}
    for i in range(n):
        k = kind[i]
        s = side[i]
        if k == Kind.CLEAR:
            for sd in ((1, -1) if s == 0 else (s,)):
                books[sd].clear()
                best[sd] = None
        elif k != Kind.TRADE:
            lv = books[s]
            p = price[i]
            if k == Kind.DEPTH:
                q = qty[i]
            elif k == Kind.ADD:
                q = lv.get(p, 0) + qty[i]
            else:
                q = max(lv.get(p, 0) - qty[i], 0)
            if q > 0:
                lv[p] = q
                b = best[s]
                if b is None or (p > b if s == 1 else p < b):
                    best[s] = p
            else:
                lv.pop(p, None)
                if best[s] == p:
                    best[s] = (max(lv) if s == 1 else min(lv)) if lv else None
        for sd, pk, qk, empty in ((1, "best_bid", "bid_qty", INT64_MIN), (-1, "best_ask", "ask_qty", INT64_MAX)):
            b = best[sd]
            if b is None:
                out[pk][i] = empty
                out[qk][i] = 0
            else:
                out[pk][i] = b
                out[qk][i] = books[sd][b]
    return out
