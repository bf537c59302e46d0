"""Plain NumPy/Python reference of the native signals, for tests/test_signals.py.

Written from the definitions in docs/signals.md, independently of the
Rust code: the book is replayed with dicts, every accumulator is decayed
eagerly at every event (the Rust decays lazily at read time), and VPIN keeps
the full list of bucket imbalances. The engine's call sequence is followed:
a trade print (TRADE, or EXECUTE with aggressor ``-side``) first, then the
book after every event kind except TRADE.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

import mmsim
from mmsim import Kind
from mmsim.records import SIGNAL_NAMES

LN2 = math.log(2.0)


def book_tops(events: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Replay the book; return the top ``n`` levels per side after every event (and ``uncrossed``: where a
    resume message's uncross changed the book, after its last event).

    Levels are aggregated per price; L3 events change the level of their
    order's price by their quantity (a DELETE by the order's remaining size).
    As in the engine's book, a DEPTH level with qty > 0 removes the opposite
    side's levels at or through its price (they are stale: consumed, and an L2
    feed removes them later), only while the venue trades (STATUS) and not in the
    message (events at one exch_ts) whose STATUS resumed trading; at the end of
    that message a book with no L3 order still crossed is uncrossed, best bid
    against best ask, lot for lot (docs/engine.md, "Trading halts"). An absent
    level has price 0 and qty 0.
    """
    m = len(events)
    levels: dict[int, dict[int, int]] = {1: {}, -1: {}}
    # Sorted prices per side (ascending) so the top n is a slice.
    prices: dict[int, list[int]] = {1: [], -1: []}
    remaining: dict[int, int] = {}  # L3 order id -> remaining qty

    def set_level(side: int, px: int, qty: int) -> None:
        book = levels[side]
        if qty > 0:
            if px not in book:
                bisect.insort(prices[side], px)
            book[px] = qty
        elif px in book:
            del book[px]
            prices[side].pop(bisect.bisect_left(prices[side], px))

    def remove_through(side: int, px: int) -> bool:
        """Drop ``side``'s levels at or better than ``px`` (crossed by the other side)."""
        ps = prices[side]
        gone = False
        if side == 1:
            while ps and ps[-1] >= px:
                del levels[side][ps.pop()]
                gone = True
        else:
            while ps and ps[0] <= px:
                del levels[side][ps.pop(0)]
                gone = True
        return gone

    def uncross() -> bool:
        """Trade the best bid against the best ask lot for lot while they cross."""
        done = False
        while prices[1] and prices[-1] and prices[1][-1] >= prices[-1][0]:
            b, a = prices[1][-1], prices[-1][0]
            m = min(levels[1][b], levels[-1][a])
            set_level(1, b, levels[1][b] - m)
            set_level(-1, a, levels[-1][a] - m)
            done = True
        return done

    def touches_top(side: int, px: int) -> bool:
        """True when a change at ``px`` can alter ``side``'s top ``n`` levels."""
        ps = prices[side]
        if len(ps) < n:
            return True
        return px >= ps[-n] if side == 1 else px <= ps[n - 1]

    # Rows are rebuilt only after events that can change the top n levels and
    # forward-filled otherwise (most diffs of a deep L2 book are below the top).
    src = np.zeros(m, dtype=np.int64)
    rows: list[tuple[list[int], list[int], list[int], list[int]]] = []
    kinds, sides = events["kind"].tolist(), events["side"].tolist()
    pxs, qtys, oids = events["price"].tolist(), events["qty"].tolist(), events["order_id"].tolist()
    ts = events["exch_ts"].tolist()
    pad = [0] * n
    trading, resuming, l3 = True, False, False
    uncrossed = np.zeros(m, dtype=bool)  # the book was uncrossed after this event (a resume message's last)
    for i in range(m):
        kind, side, px, qty = kinds[i], sides[i], pxs[i], qtys[i]
        changed = True
        if kind == Kind.DEPTH:
            changed = touches_top(side, px)
            set_level(side, px, qty)
            if qty > 0 and trading and not resuming and remove_through(-side, px):
                changed = True
        elif kind == Kind.STATUS:
            changed = False
            if not trading and qty == int(mmsim.TradingStatus.TRADING):
                resuming = True
            trading = qty == int(mmsim.TradingStatus.TRADING)
        elif kind == Kind.CLEAR:
            for s in ((1, -1) if side == 0 else (side,)):
                levels[s].clear()
                prices[s].clear()
        elif kind == Kind.ADD:
            l3 = True
            changed = touches_top(side, px)
            remaining[oids[i]] = qty
            set_level(side, px, levels[side].get(px, 0) + qty)
        elif kind in (Kind.CANCEL, Kind.DELETE, Kind.EXECUTE):
            changed = touches_top(side, px)
            oid = oids[i]
            q = remaining[oid] if kind == Kind.DELETE else qty
            remaining[oid] -= q
            if remaining[oid] == 0:
                del remaining[oid]
            set_level(side, px, levels[side].get(px, 0) - q)
        else:
            changed = False
        if resuming and (i + 1 == m or ts[i + 1] != ts[i]):  # the end of the resume message
            resuming = False
            if trading and not l3 and uncross():
                changed = uncrossed[i] = True
        if not changed and rows:
            src[i] = len(rows) - 1
            continue
        bids = prices[1][-n:][::-1]
        asks = prices[-1][:n]
        bid_l, ask_l = levels[1], levels[-1]
        rows.append((
            bids + pad[len(bids):],
            [bid_l[p] for p in bids] + pad[len(bids):],
            asks + pad[len(asks):],
            [ask_l[p] for p in asks] + pad[len(asks):],
        ))
        src[i] = len(rows) - 1
    if not rows:
        out = {k: np.zeros((m, n), dtype=np.int64) for k in ("bid_px", "bid_qty", "ask_px", "ask_qty")}
    else:
        table = np.array(rows, dtype=np.int64)  # (rows, 4, n)
        out = {k: table[src, j] for j, k in enumerate(("bid_px", "bid_qty", "ask_px", "ask_qty"))}
    out["uncrossed"] = uncrossed
    return out


def reference(events: np.ndarray, params: dict) -> dict[str, np.ndarray]:
    """Every signal after every event, from the definitions (params: MmsimSignalParams keys)."""
    m = len(events)
    n = int(params["depth_levels"])
    tops = book_tops(events, n)
    ts = events["exch_ts"].astype(np.int64)
    kind = events["kind"].astype(np.int64)
    is_book = (kind != Kind.TRADE) | tops["uncrossed"]  # a resume's uncross after a print is a book call
    is_trade = (kind == Kind.TRADE) | (kind == Kind.EXECUTE)
    # aggressor: TRADE carries it; EXECUTE's resting order is on the other side
    aggressor = np.where(kind == Kind.EXECUTE, -events["side"], events["side"]).astype(np.int64)
    trade_qty = events["qty"].astype(np.int64)
    # A print while the venue is not trading (the status before it, from STATUS events; a
    # replay starts trading) is no continuous order flow: no trade signal sees it.
    status = events["qty"].astype(np.int64)
    last_status = np.maximum.accumulate(np.where(kind == Kind.STATUS, np.arange(m), -1))
    before = np.concatenate([[-1], last_status[:-1]]) if m else last_status
    trading = np.where(before >= 0, status[np.maximum(before, 0)], int(mmsim.TradingStatus.TRADING))
    trading = trading == int(mmsim.TradingStatus.TRADING)
    valid_trade = is_trade & (trade_qty > 0) & (np.abs(aggressor) == 1) & trading

    # ---- book values: computed where the book is two-sided, held elsewhere
    bp, bq = tops["bid_px"].astype(float), tops["bid_qty"].astype(float)
    ap, aq = tops["ask_px"].astype(float), tops["ask_qty"].astype(float)
    full = is_book & (bq[:, 0] > 0) & (aq[:, 0] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = ap[:, 0] - bp[:, 0]
        mid = 0.5 * (ap[:, 0] + bp[:, 0])
        imb = (bq[:, 0] - aq[:, 0]) / (bq[:, 0] + aq[:, 0])
        micro = (bp[:, 0] * aq[:, 0] + ap[:, 0] * bq[:, 0]) / (bq[:, 0] + aq[:, 0])
        w = float(params["depth_decay"]) ** np.arange(n)
        dimb = ((bq - aq) @ w) / ((bq + aq) @ w)
    # index of the last two-sided book at or before each event (-1: none yet)
    last_full = np.maximum.accumulate(np.where(full, np.arange(m), -1))
    out = {}
    for name, arr in (("spread", spread), ("mid", mid), ("imbalance", imb),
                      ("depth_imbalance", dimb), ("microprice", micro)):
        held = np.where(last_full >= 0, arr[np.maximum(last_full, 0)], np.nan)
        out[name] = held

    # ---- OFI increments between consecutive book calls that are both two-sided
    book_idx = np.flatnonzero(is_book)
    e = np.zeros(m)
    prev_ok = np.zeros(m, dtype=bool)
    if len(book_idx) > 1:
        cur, prv = book_idx[1:], book_idx[:-1]
        ok = full[cur] & full[prv]
        pb, pbq = tops["bid_px"][prv, 0], tops["bid_qty"][prv, 0]
        pa, paq = tops["ask_px"][prv, 0], tops["ask_qty"][prv, 0]
        cb, cbq = tops["bid_px"][cur, 0], tops["bid_qty"][cur, 0]
        ca, caq = tops["ask_px"][cur, 0], tops["ask_qty"][cur, 0]
        inc = ((cb >= pb) * cbq - (cb <= pb) * pbq - (ca <= pa) * caq + (ca >= pa) * paq)
        e[cur] = np.where(ok, inc, 0)
        prev_ok[cur] = ok

    # ---- mid changes for the volatility (against the last two-sided mid)
    d2 = np.zeros(m)
    full_idx = np.flatnonzero(full)
    if len(full_idx) > 1:
        dm = mid[full_idx[1:]] - mid[full_idx[:-1]]
        d2[full_idx[1:]] = dm * dm

    # ---- time-decayed accumulators, decayed at every event
    h = {k: float(params[k]) for k in ("ofi_half_life_ns", "trade_flow_half_life_ns",
                                        "vol_half_life_ns", "hawkes_half_life_ns")}
    # an event earlier than the latest seen counts as no elapsed time
    dt = np.diff(np.maximum.accumulate(ts), prepend=ts[:1]).astype(float)

    def decayed(increments: np.ndarray, half_life: float) -> np.ndarray:
        """x_i = x_{i-1} * 2^(-dt_i / H) + increment_i, event by event."""
        f = np.exp2(-dt / half_life).tolist()
        inc = increments.tolist()
        acc = [0.0] * m
        x = 0.0
        for i in range(m):
            x = x * f[i] + inc[i]
            acc[i] = x
        return np.array(acc)

    out["ofi"] = decayed(e, h["ofi_half_life_ns"])
    signed = np.where(valid_trade, aggressor * trade_qty, 0).astype(float)
    out["trade_flow"] = decayed(signed, h["trade_flow_half_life_ns"])
    tau_s = h["vol_half_life_ns"] / LN2 / 1e9
    out["volatility"] = np.sqrt(decayed(d2, h["vol_half_life_ns"]) / tau_s)
    mu, alpha = float(params["hawkes_baseline"]), float(params["hawkes_alpha"])
    buys = (valid_trade & (aggressor == 1)).astype(float)
    sells = (valid_trade & (aggressor == -1)).astype(float)
    out["hawkes_buy"] = mu + alpha * decayed(buys, h["hawkes_half_life_ns"])
    out["hawkes_sell"] = mu + alpha * decayed(sells, h["hawkes_half_life_ns"])
    out["vpin"] = vpin(aggressor, trade_qty, valid_trade, float(params["vpin_bucket_volume"]),
                       int(params["vpin_buckets"]))
    assert set(out) == set(SIGNAL_NAMES)
    return out


def vpin(side: np.ndarray, qty: np.ndarray, valid: np.ndarray, v: float, n: int) -> np.ndarray:
    """VPIN after each event: fill buckets of ``v`` lots, average |B - S| / v over the last ``n``."""
    out = [0.0] * len(side)
    buy = sell = 0.0
    done: list[float] = []
    window = 0.0  # sum of the last n imbalances, recomputed when a bucket completes
    for i, (sd, q, ok) in enumerate(zip(side.tolist(), qty.tolist(), valid.tolist())):
        if ok:
            q = float(q)
            while q > 0:
                room = v - (buy + sell)
                take = min(q, room)
                if sd > 0:
                    buy += take
                else:
                    sell += take
                q -= take
                if take == room:
                    done.append(abs(buy - sell))
                    buy = sell = 0.0
                    window = sum(done[-n:])
        k = min(len(done), n)
        out[i] = window / (k * v) if k else 0.0
    return np.array(out)


def synthetic_events(m: int = 20_000, seed: int = 1, l3: bool = False) -> np.ndarray:
    """A random but well-formed event array exercising every path of the signals.

    L2 (default): a ten-level book under random DEPTH updates, TRADE prints
    (some large enough to span many VPIN buckets) and periodic snapshots
    (CLEAR both sides, then DEPTH per level at one time). With ``l3=True``:
    ADD/CANCEL/DELETE/EXECUTE on order ids instead of DEPTH and TRADE.
    """
    from mmsim import EVENT_DTYPE

    rng = np.random.default_rng(seed)
    t = 1_700_000_000_000_000_000
    rows: list[tuple[int, int, int, int, int, int]] = []
    mid = 10_000
    if l3:
        orders: dict[int, list[int]] = {}  # id -> [side, price, qty]
        live: list[int] = []  # ids, for O(1) random choice (swap-remove)
        at: dict[int, dict[int, list[int]]] = {1: {}, -1: {}}  # side -> price -> ids in FIFO order
        next_id = 1

        def remove(oid: int) -> None:
            side, px, _ = orders.pop(oid)
            k = live.index(oid) if live[-1] != oid else len(live) - 1
            live[k] = live[-1]
            live.pop()
            at[side][px].remove(oid)
            if not at[side][px]:
                del at[side][px]

        while len(rows) < m:
            t += int(rng.exponential(2e6))
            bb = max(at[1], default=mid - 1)
            ba = min(at[-1], default=mid + 1)
            u = rng.random()
            if u < 0.5 or len(orders) < 20:
                side = 1 if rng.random() < 0.5 else -1
                px = bb - int(rng.integers(-1, 6)) if side == 1 else ba + int(rng.integers(-1, 6))
                px = min(px, ba - 1) if side == 1 else max(px, bb + 1)
                q = int(rng.integers(1, 40))
                orders[next_id] = [side, px, q]
                live.append(next_id)
                at[side].setdefault(px, []).append(next_id)
                rows.append((t, Kind.ADD, side, px, q, next_id))
                next_id += 1
            elif u < 0.7:
                oid = live[int(rng.integers(len(live)))]
                side, px, q = orders[oid]
                cut = int(rng.integers(1, q + 1))
                if cut < q:
                    orders[oid][2] -= cut
                    rows.append((t, Kind.CANCEL, side, px, cut, oid))
                else:
                    remove(oid)
                    rows.append((t, Kind.DELETE, side, px, q, oid))
            else:
                # execute the first order at the best price of a side (aggressor: the other side)
                side = 1 if rng.random() < 0.5 else -1
                if not at[side]:
                    continue
                px = bb if side == 1 else ba
                oid = at[side][px][0]
                x = int(rng.integers(1, orders[oid][2] + 1))
                rows.append((t, Kind.EXECUTE, side, px, x, oid))
                orders[oid][2] -= x
                if orders[oid][2] == 0:
                    remove(oid)
    else:
        book = {1: {}, -1: {}}

        def snapshot() -> None:
            rows.append((t, Kind.CLEAR, 0, 0, 0, 0))
            for s in (1, -1):
                for px, q in sorted(book[s].items()):
                    rows.append((t, Kind.DEPTH, s, px, q, 0))

        for k in range(10):
            book[1][mid - 1 - k] = int(rng.integers(1, 50))
            book[-1][mid + 1 + k] = int(rng.integers(1, 50))
        snapshot()
        while len(rows) < m:
            t += int(rng.exponential(2e6))
            bb, ba = max(book[1]), min(book[-1])
            u = rng.random()
            if u < 0.6:
                side = 1 if rng.random() < 0.5 else -1
                px = bb - int(rng.integers(-1, 8)) if side == 1 else ba + int(rng.integers(-1, 8))
                px = min(px, ba - 1) if side == 1 else max(px, bb + 1)
                q = int(rng.integers(0, 40))
                if q == 0 and len(book[side]) <= 2:
                    q = 5
                rows.append((t, Kind.DEPTH, side, px, q, 0))
                if q:
                    book[side][px] = q
                else:
                    book[side].pop(px, None)
            elif u < 0.95:
                side = 1 if rng.random() < 0.5 else -1
                big = rng.random() < 0.1
                q = int(rng.integers(100, 3000)) if big else int(rng.integers(1, 30))
                rows.append((t, Kind.TRADE, side, ba if side == 1 else bb, q, 0))
            else:
                snapshot()
    rows = rows[:m]
    ev = np.zeros(len(rows), dtype=EVENT_DTYPE)
    arr = np.array(rows, dtype=np.int64)
    ev["exch_ts"] = arr[:, 0]
    ev["local_ts"] = arr[:, 0]
    ev["kind"] = arr[:, 1]
    ev["side"] = arr[:, 2]
    ev["price"] = arr[:, 3]
    ev["qty"] = arr[:, 4]
    ev["order_id"] = arr[:, 5]
    return ev
