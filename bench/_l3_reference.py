"""A pure-Python reference for the L3 head-to-head: both tools' rules on the venue's own records.

mmsim and hftbacktest read the same Databento market-by-order records but turn
them into different events and fill our orders by different rules. This module
replays the records once per run with both tools' exchange semantics side by
side, one of them deciding our fills (the *decider*), and logs every record at
which the other one would have filled us differently, with the name of the rule
that made the difference. The local side (feed, order entry and response
latencies, decision timer, order management and the quoting rule) is the one
both tools share: a transcription of mmsim's engine loop (``cpp/src/engine.cpp``)
and of ``bench/_mmsim_quoter.py``.

It exists to prove, not to be fast: ``decider="message"`` must give mmsim's fills
(its default ``queue.l3_behind_fill: remainder``, settled per venue message),
``decider="all"`` mmsim's with ``queue.l3_behind_fill: hftbacktest``, and
``decider="hftbacktest"`` hftbacktest's, fill for fill, and the log then names
every difference. ``decider="remainder"`` is the per-event rule of mmsim 0.1,
kept for comparison.

Semantics, record by record (``mm`` = mmsim, ``hbt`` = hftbacktest 2.4.4):

* mm: the records become mmsim's events exactly as ``mmsim.data.databento``
  writes them (``A`` ADD; ``C`` CANCEL/DELETE, absorbed after a fill; ``M``
  CANCEL of the difference or DELETE + ADD; ``F`` EXECUTE, a fill beyond the
  shown size an EXECUTE of the shown size plus a TRADE of the rest, an ``F`` of
  the preceding ``T``'s aggressor at another price than it rests at nothing;
  ``T`` a TRADE for the part its fills do not cover; the snapshot a CLEAR plus
  ADDs at its ``ts_recv``), and mmsim's engine rules apply to those events
  (``Variant::trade_at``, ``l3_event``, ``settle_behind``, ``check_cross``,
  ``order_arrival``; a TRADE on L3 data fills through our price, and at
  it once no displayed lot is left ahead of us at the end of the message).
  :func:`market_pass` returns them, so a caller can check they equal the store.
* hbt: the records are hftbacktest's events one for one
  (``hftbacktest.data.utils.databento.convert``); its ``HashMapMarketDepth``
  keeps the book (a fill changes nothing; ``C`` deletes the whole order; a
  crossing add hides the other side's crossed levels) and
  ``L3FIFOQueueModel`` with ``L3NoPartialFillExchange`` fills us: an ``F`` of
  an order queued behind ours fills all of ours; an ``F`` priced below the
  market's best bid (above its best ask) fills our orders between; an add or
  price modify that moves the best bid up (ask down) fills our crossed orders;
  ``T`` records and fills without a side change nothing.

Times: exchange time is ``ts_event`` (the snapshot's ``ts_recv`` for its
records, as mmsim's loader does), optionally mapped to hftbacktest's grid
(:func:`hbt_time`); the local side receives record ``i`` at its exchange time
plus the constant feed latency.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CLASSES", "RECORD_DTYPE", "Market", "RunResult", "classify", "hbt_time", "load_records", "market_pass",
           "simulate"]

INVALID_MIN = -(1 << 63)
INVALID_MAX = (1 << 63) - 1
F_SNAPSHOT = 1 << 5

# mmsim event kinds (mmsim.Kind), spelt out so this module needs numpy only
ADD, CANCEL, DELETE, EXECUTE, TRADE, CLEAR, STATUS = 4, 5, 6, 7, 2, 3, 8
QUOTING, TRADING = 2, 3
F_LAST = 1 << 7

RECORD_DTYPE = np.dtype([("ts_event", "<i8"), ("ts_recv", "<i8"), ("action", "S1"), ("side", "i1"),
                         ("price", "<i8"), ("size", "<i8"), ("order_id", "<i8"), ("flags", "<i8")])


def hbt_time(ns) -> np.ndarray:
    """hftbacktest's Databento timestamps: ``int(dt.timestamp() * 1e9)`` of a microsecond datetime.

    Its converter reads each row as Python ``datetime`` objects (polars'
    ``iter_rows``: the nanoseconds are truncated to microseconds) and takes
    ``int(ts.timestamp() * 1_000_000_000)``: float seconds times 1e9, truncated.
    Near 1.7e18 ns a float64 is a multiple of 256 ns, so distinct nanosecond
    times within one microsecond collapse into one and the rest move by up to
    about 1 µs.
    """
    a = np.asarray(ns, dtype=np.int64)
    return np.array([int(((int(x) // 1000) / 1_000_000) * 1e9) for x in a.ravel()], dtype=np.int64).reshape(a.shape)


def load_records(path, tick_size: float) -> np.ndarray:
    """The MBO records of a Databento file (DBN or CSV) as :data:`RECORD_DTYPE`, prices in ticks."""
    from mmsim.data.databento import records

    tick = round(tick_size * 1e9)
    rows = []
    for ts_recv, ts_event, action, side, price, size, oid, flags, _inst, _pos, _seq in records(path):
        s = 1 if side == "B" else -1 if side == "A" else 0
        px = 0 if price is None else price // tick
        rows.append((ts_event, ts_recv, action.encode(), s, px, size, oid, flags))
    return np.array(rows, dtype=RECORD_DTYPE)


# ----------------------------------------------------------------------------------------------
# the market alone: both tools' books and events, record by record


class _Levels:
    """Lots per price on one side, with the best price (no hiding: a crossed book shows crossed)."""

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.q: dict[int, int] = {}
        self.best = INVALID_MIN if sign > 0 else INVALID_MAX

    def set(self, px: int, qty: int) -> int:
        prev = self.q.get(px, 0)
        if qty > 0:
            self.q[px] = qty
            if (self.sign > 0 and px > self.best) or (self.sign < 0 and px < self.best):
                self.best = px
        else:
            self.q.pop(px, None)
            if px == self.best:
                self.best = (max(self.q) if self.sign > 0 else min(self.q)) if self.q else (
                    INVALID_MIN if self.sign > 0 else INVALID_MAX)
        return prev

    def clear(self) -> None:
        self.q.clear()
        self.best = INVALID_MIN if self.sign > 0 else INVALID_MAX


class _HbtDepth:
    """hftbacktest's ``HashMapMarketDepth`` as an L3 book (depth/hashmapmarketdepth.rs, L3MarketDepth impl)."""

    def __init__(self) -> None:
        self.bid: dict[int, int] = {}
        self.ask: dict[int, int] = {}
        self.best_bid, self.best_ask = INVALID_MIN, INVALID_MAX
        self.low_bid, self.high_ask = INVALID_MAX, INVALID_MIN
        self.orders: dict[int, list] = {}  # id -> [side, px, qty]

    @staticmethod
    def _below(depth, start, end):  # first level in [end, start), from the top
        if end == INVALID_MAX or start == INVALID_MIN:
            return INVALID_MIN
        for t in range(start - 1, end - 1, -1):
            if depth.get(t, 0) > 0:
                return t
        return INVALID_MIN

    @staticmethod
    def _above(depth, start, end):  # first level in (start, end]
        if end == INVALID_MIN or start == INVALID_MAX:
            return INVALID_MAX
        for t in range(start + 1, end + 1):
            if depth.get(t, 0) > 0:
                return t
        return INVALID_MAX

    def add(self, oid, side, px, qty):
        """add_buy_order / add_sell_order: returns (previous best, best) of that side."""
        if oid in self.orders:
            raise KeyError(f"OrderIdExist {oid}")
        self.orders[oid] = [side, px, qty]
        if side > 0:
            self.bid[px] = self.bid.get(px, 0) + qty
            prev = self.best_bid
            if px > self.best_bid:
                self.best_bid = px
                if self.best_bid >= self.best_ask:
                    self.best_ask = self._above(self.ask, self.best_bid, self.high_ask)
            self.low_bid = min(self.low_bid, px)
            return prev, self.best_bid
        self.ask[px] = self.ask.get(px, 0) + qty
        prev = self.best_ask
        if px < self.best_ask:
            self.best_ask = px
            if self.best_bid >= self.best_ask:
                self.best_bid = self._below(self.bid, self.best_ask, self.low_bid)
        self.high_ask = max(self.high_ask, px)
        return prev, self.best_ask

    def _take(self, side, px, qty):
        if side > 0:
            self.bid[px] -= qty
            if self.bid[px] == 0:
                del self.bid[px]
                if px == self.best_bid:
                    self.best_bid = self._below(self.bid, self.best_bid, self.low_bid)
                    if self.best_bid == INVALID_MIN:
                        self.low_bid = INVALID_MAX
        else:
            self.ask[px] -= qty
            if self.ask[px] == 0:
                del self.ask[px]
                if px == self.best_ask:
                    self.best_ask = self._above(self.ask, self.best_ask, self.high_ask)
                    if self.best_ask == INVALID_MAX:
                        self.high_ask = INVALID_MIN

    def delete(self, oid):
        """delete_order: removes the whole order, whatever size the record gives."""
        side, px, qty = self.orders.pop(oid)
        self._take(side, px, qty)

    def modify(self, oid, px, qty):
        """modify_order: returns (side, previous best, best); a same-price modify returns (best, best)."""
        o = self.orders[oid]
        side = o[0]
        if px != o[1]:
            prev = self.best_bid if side > 0 else self.best_ask
            self._take(side, o[1], o[2])
            o[1], o[2] = px, qty
            if side > 0:
                self.bid[px] = self.bid.get(px, 0) + qty
                if px > self.best_bid:
                    self.best_bid = px
                    if self.best_bid >= self.best_ask:
                        self.best_ask = self._above(self.ask, self.best_bid, self.high_ask)
                self.low_bid = min(self.low_bid, px)
                return side, prev, self.best_bid
            self.ask[px] = self.ask.get(px, 0) + qty
            if px < self.best_ask:
                self.best_ask = px
                if self.best_bid >= self.best_ask:
                    self.best_bid = self._below(self.bid, self.best_ask, self.low_bid)
            self.high_ask = max(self.high_ask, px)
            return side, prev, self.best_ask
        d = self.bid if side > 0 else self.ask
        d[px] = d.get(px, 0) + qty - o[2]
        o[2] = qty
        best = self.best_bid if side > 0 else self.best_ask
        return side, best, best

    def clear(self):
        self.__init__()

    def top(self):
        return (self.best_bid, self.best_ask, self.bid.get(self.best_bid, 0), self.ask.get(self.best_ask, 0))


@dataclass
class Market:
    """What :func:`market_pass` found: per record, both tools' view of the market.

    Attributes
    ----------
    t : ndarray of int64
        Exchange time of each record, ns (on the grid :func:`market_pass` was given).
    mm_events : list of list of tuple
        Per record, mmsim's events ``(kind, side, price, qty, order_id, order_seq, prev_qty, new_qty)``
        (``order_seq``: the record index that put the order in its queue; prev/new: the level's lots).
    hbt_ops : list of tuple or None
        Per record, what hftbacktest's exchange does with it: ``("X", side, prev_best, best)`` for an
        add or price modify, ``("F", side, exec_px, queue_px, order_seq, best_same_side)`` for a fill
        with a side, ``("R",)`` for a clear.
    mm_top, hbt_top : ndarray, shape (n, 4)
        Best bid, best ask (ticks), their lots, after each record, in each tool's book.
    quirks : dict
        Counts of the records each tool treats in its own way.
    """

    t: np.ndarray
    mm_events: list
    hbt_ops: list
    mm_top: np.ndarray
    hbt_top: np.ndarray
    quirks: dict = field(default_factory=dict)


def market_pass(rec: np.ndarray, grid: str = "ns") -> Market:
    """Both tools' books and events over the records, with no order of ours.

    Parameters
    ----------
    rec : ndarray of RECORD_DTYPE
    grid : {"ns", "hftbacktest"}
        Exchange times as recorded, or as hftbacktest's converter writes them (:func:`hbt_time`).

    Raises
    ------
    ValueError
        A record mmsim's loader rejects (an order id added twice, a cancel of an unknown order).
        A record that would stop hftbacktest (an add of an order id it holds; a cancel, modify or
        fill with a side naming an order it does not hold; an action its converter does not know)
        is noted in ``quirks["hbt_error"]`` instead, and hftbacktest's side ignores the records
        from there on.
    """
    n = len(rec)
    snap = (rec["flags"] & F_SNAPSHOT) != 0
    t = rec["ts_event"].copy()
    if snap.any():  # mmsim: the snapshot's records at its ts_recv (hftbacktest keeps their ts_event)
        first = int(np.argmax(snap))
        t[snap] = rec["ts_recv"][first]
    if grid == "hftbacktest":
        t = hbt_time(t)
    elif grid != "ns":
        raise ValueError(f"grid must be 'ns' or 'hftbacktest', got {grid!r}")

    # mmsim (mirror of mmsim.data.databento._Converter._process)
    mm_orders: dict[int, list] = {}  # id -> [side, px, qty, seq]
    mm_lv = {1: _Levels(1), -1: _Levels(-1)}
    pending: dict[int, int] = {}
    trade: list | None = None
    in_snap = False
    # hftbacktest
    depth = _HbtDepth()
    hbt_seq: dict[int, int] = {}  # id -> record index of its place in the queue
    hbt_shown: dict[int, int] = {}  # id -> leaves_qty in L3FIFOQueueModel (last A/M size; fills do not change it)

    mm_events: list = [[] for _ in range(n)]
    hbt_ops: list = [None] * n
    mm_top = np.zeros((n, 4), np.int64)
    hbt_top = np.zeros((n, 4), np.int64)
    quirks = {"iceberg_fills": 0, "fill_cancels_absorbed": 0, "modify_as_add": 0, "sideless_fills": 0,
              "aggressor_fills": [],
              "fills_of_unseen_orders": 0, "uncovered_trades": 0, "hbt_modify_keeps_place_mmsim_not": 0,
              "hbt_error": None}

    def emit(i, kind, side, px, qty, oid, seq):
        if kind in (TRADE, CLEAR):
            mm_events[i].append((kind, side, px, qty, oid, -1, 0, 0))
            if kind == CLEAR:
                mm_lv[1].clear()
                mm_lv[-1].clear()
            return
        lv = mm_lv[side]
        prev = lv.q.get(px, 0)
        new = prev + qty if kind == ADD else prev - qty
        lv.set(px, new)
        mm_events[i].append((kind, side, px, qty, oid, seq, prev, new))

    def mm_add(i, oid, side, px, q):
        if oid in mm_orders:
            raise ValueError(f"record {i}: mmsim: order id {oid} added twice")
        if q <= 0:
            raise ValueError(f"record {i}: mmsim: zero size for a new order {oid}")
        mm_orders[oid] = [side, px, q, i]
        emit(i, ADD, side, px, q, oid, i)

    def mm_remove(i, oid, q, kind=CANCEL):
        side, px, rem, seq = mm_orders[oid]
        if q > rem:
            raise ValueError(f"record {i}: mmsim: order {oid} has {rem} lots left; the record removes {q}")
        if q == rem and kind == CANCEL:
            kind = DELETE
        emit(i, kind, side, px, q, oid, seq)
        mm_orders[oid][2] = rem - q
        if rem == q:
            del mm_orders[oid]

    def flush_trade(i):
        # The uncovered part of a T is written when the run of its F records ends: after the
        # last record of the run (i - 1), at the T's exchange time (mmsim's loader).
        nonlocal trade
        if trade is not None and trade[2] > 0:
            quirks["uncovered_trades"] += 1
            emit(i - 1, TRADE, trade[0], trade[1], trade[2], 0, -1)
        trade = None

    for i in range(n):
        r = rec[i]
        a = r["action"].decode()
        side, px, size, oid = int(r["side"]), int(r["price"]), int(r["size"]), int(r["order_id"])
        is_snap = bool(snap[i])
        # ---- mmsim
        if is_snap and not in_snap:
            in_snap = True
            flush_trade(i)
            mm_orders.clear()
            pending.clear()
            emit(i, CLEAR, 0, 0, 0, 0, -1)
        elif not is_snap:
            in_snap = False
        if a != "F" and trade is not None:
            flush_trade(i)  # written with the record that ends the T/F run (mmsim: same exch time as the T)
        if a == "A":
            mm_add(i, oid, side, px, size)
        elif a == "C":
            q = size
            if oid in pending:
                took = min(q, pending[oid])
                pending[oid] -= took
                if pending[oid] == 0:
                    del pending[oid]
                quirks["fill_cancels_absorbed"] += 1
                q -= took
            if q:
                if oid not in mm_orders:
                    raise ValueError(f"record {i}: mmsim: cancel of unknown order id {oid}")
                mm_remove(i, oid, q)
        elif a == "M":
            if oid not in mm_orders:
                skip = False
                if oid in pending:
                    del pending[oid]
                    skip = size == 0
                if not skip:
                    if side == 0:
                        raise ValueError(f"record {i}: mmsim: modify of unknown order id {oid} without a side")
                    quirks["modify_as_add"] += 1
                    mm_add(i, oid, side, px, size)
            else:
                o_side, o_px, o_q, _ = mm_orders[oid]
                absorbed = False
                if oid in pending:
                    del pending[oid]
                    if px == o_px and size == o_q:
                        quirks["fill_cancels_absorbed"] += 1
                        absorbed = True
                if absorbed or (px == o_px and size == o_q):
                    pass
                elif px == o_px and size < o_q:
                    mm_remove(i, oid, o_q - size)
                else:
                    mm_remove(i, oid, o_q)
                    if size > 0:
                        mm_add(i, oid, o_side if side == 0 else side, px, size)
        elif a == "F":
            if oid not in mm_orders:
                # an order the book never saw: an auction fill (side N) or the hidden part of an
                # iceberg; no book change, the T carries the print, the C/M after it is absorbed
                if side == 0:
                    quirks["sideless_fills"] += 1
                else:
                    quirks["fills_of_unseen_orders"] += 1
                    pending[oid] = pending.get(oid, 0) + size
            elif trade is not None and oid == trade[3] and px != mm_orders[oid][1]:
                # the aggressor's own fill (a resting order modified into the other side, at the
                # trade price): nothing, the C/M after it moves the order (mmsim's loader)
                quirks["aggressor_fills"].append(i)
            else:
                o_side, o_px, rem, _ = mm_orders[oid]
                if size > rem:
                    quirks["iceberg_fills"] += 1
                    mm_remove(i, oid, rem, EXECUTE)
                    emit(i, TRADE, -o_side, o_px, size - rem, 0, -1)
                else:
                    mm_remove(i, oid, size, EXECUTE)
                pending[oid] = pending.get(oid, 0) + size
                if trade is not None:
                    trade[2] = max(0, trade[2] - size)
        elif a == "T":
            trade = [side, px, size, oid]
        elif a == "R":
            mm_orders.clear()
            pending.clear()
            emit(i, CLEAR, 0, 0, 0, 0, -1)
        # ---- hftbacktest (a record it cannot apply stops its backtest: noted, then ignored here)
        if quirks["hbt_error"] is None:
            quirks["hbt_error"] = _hbt_check(i, a, side, oid, depth.orders)
        if quirks["hbt_error"] is not None:
            pass
        elif a == "A":
            prev, best = depth.add(oid, side, px, size)
            hbt_seq[oid], hbt_shown[oid] = i, size
            hbt_ops[i] = ("X", side, prev, best)
        elif a == "C":
            depth.delete(oid)
            del hbt_seq[oid], hbt_shown[oid]
        elif a == "M":
            o_px = depth.orders[oid][1]
            o_side, prev, best = depth.modify(oid, px, size)
            # L3FIFOQueueModel::modify_market_feed_order: to the back of the queue when the
            # price changes or the size grows past leaves_qty (the last A/M size), else in place.
            if px != o_px or hbt_shown[oid] < size:
                hbt_seq[oid] = i
            elif oid not in mm_orders or mm_orders[oid][3] != hbt_seq[oid]:
                quirks["hbt_modify_keeps_place_mmsim_not"] += 1
            hbt_shown[oid] = size
            if px != o_px:
                hbt_ops[i] = ("X", o_side, prev, best)
        elif a == "F":
            if side != 0:
                q_side, q_px, _ = depth.orders[oid]
                best = depth.best_bid if q_side > 0 else depth.best_ask
                hbt_ops[i] = ("F", q_side, px, q_px, hbt_seq[oid], best)
        elif a == "R":
            depth.clear()
            hbt_seq.clear()
            hbt_shown.clear()
            hbt_ops[i] = ("R",)
        mm_top[i] = (mm_lv[1].best, mm_lv[-1].best, mm_lv[1].q.get(mm_lv[1].best, 0),
                     mm_lv[-1].q.get(mm_lv[-1].best, 0))
        hbt_top[i] = depth.top()
    flush_trade(n)
    _preopen(rec, snap, mm_events, mm_top)
    return Market(t=t, mm_events=mm_events, hbt_ops=hbt_ops, mm_top=mm_top, hbt_top=hbt_top, quirks=quirks)


def _preopen(rec: np.ndarray, snap: np.ndarray, mm_events: list, mm_top: np.ndarray) -> None:
    """mmsim's loader on CME's pre-open (one stream: the records open with their snapshot, or have none): a book
    crossed at the end of a message (a record flagged F_LAST, not a snapshot's) before the first T/F record starts
    the stream QUOTING (a STATUS after the snapshot's events, or before the first record's) and the first T/F
    record turns it TRADING (a STATUS before that record's events)."""
    act = rec["action"]
    tf = np.flatnonzero((act == b"T") | (act == b"F"))
    first = int(tf[0]) if len(tf) else len(rec)
    ends = np.flatnonzero(((rec["flags"][:first] & F_LAST) != 0) & ~snap[:first])
    top = mm_top[ends]
    if not ((top[:, 0] >= top[:, 1]) & (top[:, 0] != INVALID_MIN) & (top[:, 1] != INVALID_MAX)).any():
        return
    if snap.any():
        mm_events[int(np.flatnonzero(snap)[-1])].append((STATUS, 0, 0, QUOTING, 0, -1, 0, 0))
    else:
        mm_events[0].insert(0, (STATUS, 0, 0, QUOTING, 0, -1, 0, 0))
    if first < len(rec):
        mm_events[first].insert(0, (STATUS, 0, 0, TRADING, 0, -1, 0, 0))


def _hbt_check(i, a, side, oid, orders) -> str | None:
    """Why hftbacktest's backtest would stop at this record (its ``?`` on an error), or None."""
    if a == "A" and oid in orders:
        return f"record {i}: ADD of order {oid} which it holds (OrderIdExist)"
    if a in ("C", "M") and oid not in orders:
        return f"record {i}: {a} of unknown order id {oid} (OrderNotFound)"
    if a == "F" and side != 0 and oid not in orders:
        return f"record {i}: fill of unknown order id {oid} (OrderNotFound)"
    if a not in ("A", "C", "M", "R", "T", "F"):
        return f"record {i}: action {a!r}: its converter raises ValueError"
    return None


# ----------------------------------------------------------------------------------------------
# our orders, both tools' fill rules


class _Ours:
    __slots__ = ("id", "side", "px", "qty", "leaves", "seq", "ahead", "done")

    def __init__(self, oid, side, px, qty, seq, ahead):
        self.id, self.side, self.px, self.qty, self.leaves, self.seq, self.ahead = oid, side, px, qty, qty, seq, ahead
        self.done = 0  # lots filled so far (the fill reports' leaves)


def _ours_before(ours, k):
    o = ours[k]
    return sum(p.leaves for p in ours[:k] if p.side == o.side and p.px == o.px)


def _mm_rules(ev, ours, behind: str, fills: list, rec: int, apply: bool = True, defer: list | None = None) -> None:
    """mmsim's engine on one of its events (Engine::trade_at, l3_event, check_cross).

    ``fills`` receives ``(order_id, qty, rule, record)``. With ``apply`` false only the queue
    positions move (the caller decides fills by the other tool's rules). ``behind``: the rule
    for an execution of an order queued behind ours: ``"remainder"`` (mmsim 0.1, per event: what
    the execution leaves after the lots still ahead), ``"all"`` (hftbacktest's, and mmsim's
    ``l3_behind_fill: hftbacktest``: all of our order), ``"message"`` (mmsim's default: the
    remainder, settled at the end of the venue message by :func:`_settle`, so executions of one
    match count in queue order whatever order the records list them in; they are appended to
    ``defer``).
    """
    kind, side, px, qty, _oid, seq, prev, new = ev

    def fill(k, q, rule):
        o = ours[k]
        q = min(q, o.leaves)
        if q <= 0:
            return False
        fills.append((o.id, q, rule, rec))
        if not apply:
            return False
        o.leaves -= q
        if o.leaves == 0:
            del ours[k]
            return True
        return False

    if kind == TRADE:
        # On L3 data a TRADE is a print no displayed order is behind (an iceberg's hidden part,
        # the uncovered rest of a T). Displayed lots trade first at a price, so at our price it
        # moves nobody and fills our order if no displayed lot is left ahead of it at the end of
        # the message (settled by :func:`_settle`, mmsim's default rule only); through our price
        # it fills all of our order (Variant::trade_at, settle_behind).
        k = 0
        while k < len(ours):
            o = ours[k]
            if side != 0 and o.side != -side:
                k += 1
                continue
            if (px < o.px if o.side > 0 else px > o.px):
                if not fill(k, o.leaves, "print-through"):
                    k += 1
                continue
            if side != 0 and o.px == px and behind == "message" and apply:
                defer.append((o.id, qty, rec, True))
            k += 1
    elif kind == ADD:
        # mmsim gives a crossing add to our orders best price first, then in arrival order
        # (Variant::check_cross); with one order of ours per side, as here, that is this loop.
        avail = qty
        k = 0
        while k < len(ours):
            o = ours[k]
            if o.side == -side and (px <= o.px if o.side > 0 else px >= o.px):
                q = min(avail, o.leaves)
                avail -= q
                if q > 0 and fill(k, q, "cross"):
                    continue
            k += 1
    elif kind in (CANCEL, DELETE, EXECUTE):
        q = prev - new
        ex = kind == EXECUTE
        k = 0
        while k < len(ours):
            o = ours[k]
            if o.side != side:
                k += 1
                continue
            if ex and (px < o.px if o.side > 0 else px > o.px):
                if not fill(k, o.leaves, "exec-through"):
                    k += 1
                continue
            if o.px == px:
                if seq < o.seq:
                    o.ahead = max(0, o.ahead - q)
                elif ex:
                    if behind == "all":
                        if fill(k, o.leaves, "exec-behind"):
                            continue
                    elif behind == "message" and apply:
                        defer.append((o.id, q, rec, False))
                    elif behind == "message":
                        pass  # settled at the end of the message by the decider's own rule set
                    else:
                        past = q - o.ahead - _ours_before(ours, k)
                        if past > 0 and fill(k, min(past, o.leaves), "exec-behind"):
                            continue
            k += 1


def _settle(ours, defer: list, fills: list, levels: dict | None = None) -> None:
    """End of a venue message under ``behind="message"``: executions and prints at our prices.

    Per order of ours: the lots executed behind it in the message, plus the lots printed at its
    price with no displayed order behind them (TRADE records) if no displayed lot with priority
    over it is left, less those lots (the ones still ahead of it at its price, and the book's
    at better prices on its side: ``levels``, mmsim's book levels at the end of the message)
    and the leaves (before these fills) of our orders before it at its price, fill it
    (``Variant::settle_behind``; with one order of ours per side, as here, no order of ours is
    at a better price). The fill's record is the last deferred record's; its rule ``print-at``
    when the prints gave lots the executions alone would not have, else ``exec-behind``.
    """
    by: dict = {}
    for oid, q, rec, hidden in defer:
        e = by.setdefault(oid, [0, 0, rec])
        e[1 if hidden else 0] += q
        e[2] = rec
    defer.clear()
    if not by:
        return
    past = {}
    for k, o in enumerate(ours):
        if o.id in by:
            behind, hidden, _ = by[o.id]
            before = _ours_before(ours, k)
            better = sum(q for p, q in (levels or {}).get(o.side, {}).items() if (p > o.px if o.side > 0 else p < o.px))
            ahead = o.ahead + better
            execs = behind - ahead - before
            total = behind + (hidden if ahead == 0 else 0) - ahead - before
            past[o.id] = (total, "print-at" if total > max(execs, 0) else "exec-behind")
    k = 0
    while k < len(ours):
        o = ours[k]
        total, rule = past.get(o.id, (0, ""))
        q = min(total, o.leaves)
        if q > 0:
            fills.append((o.id, q, rule, by[o.id][2]))
            o.leaves -= q
            if o.leaves == 0:
                del ours[k]
                continue
        k += 1


def _hbt_rules(op, ours, fills: list, rec: int) -> None:
    """hftbacktest's L3FIFOQueueModel + L3NoPartialFillExchange on one record (whole orders fill).

    ``fills`` receives ``(order_id, qty, rule, record)``.
    """
    if op is None:
        return

    def take(pred, rule):
        k = 0
        while k < len(ours):
            o = ours[k]
            if pred(o):
                fills.append((o.id, o.leaves, rule, rec))
                del ours[k]
            else:
                k += 1

    if op[0] == "X":  # on_best_bid_update / on_best_ask_update after an add or a price modify
        _, side, prev, best = op
        if side > 0 and best > prev:
            lo = prev + 1
            wide = prev == INVALID_MIN or len(ours) < best - lo  # fill_ask_between's "shortest iteration"
            take(lambda o: o.side < 0 and o.px <= best and (wide or o.px >= lo), "cross")
        elif side < 0 and best < prev:
            hi = prev - 1
            wide = prev == INVALID_MAX or len(ours) < hi - best
            take(lambda o: o.side > 0 and o.px >= best and (wide or o.px <= hi), "cross")
    elif op[0] == "F":  # fill_market_feed_order::<false>
        _, side, exec_px, queue_px, x_seq, best = op
        if side > 0 and exec_px < best:
            lo = exec_px + 1
            wide = len(ours) < best - lo
            take(lambda o: o.side > 0 and o.px >= lo and (wide or o.px <= best), "exec-through")
        elif side < 0 and exec_px > best:
            hi = exec_px - 1
            wide = len(ours) < hi - best
            take(lambda o: o.side < 0 and o.px <= hi and (wide or o.px >= best), "exec-through")
        take(lambda o: o.side == side and o.px == queue_px and o.seq < x_seq, "exec-behind")
    elif op[0] == "R":
        take(lambda o: True, "clear")


# ----------------------------------------------------------------------------------------------
# the two clocks and the quoting rule


@dataclass
class RunResult:
    """One reference run.

    Attributes
    ----------
    fills : list of tuple
        ``(exch_ts, side, price, qty, order_id, rule, record)``, in exchange order.
    messages : list of dict
        Every venue message (records sharing one exchange time) that met an order of ours and at
        which some rule set fills our orders differently from the decider's: ``record`` (its
        first record), ``t``, ``ahead`` (our orders' lots ahead when it began, mmsim's count),
        and per rule set (``"hftbacktest"``, ``"remainder"``, ``"message"``, ``"all"``) the fills
        ``(order_id, qty, rule, record)`` it gives when applied to the same orders.
    position : int
        Final position, lots.
    n_calls : int
        Strategy calls that could act (timer ticks with nothing new are skipped: they act the same).
    book_differs : tuple of int
        Order arrivals and strategy calls (from ``quote_from`` on) at which mmsim's and
        hftbacktest's books differ: where both are 0, the two tools' fills can differ only by
        their fill rules, which ``messages`` lists.
    """

    fills: list
    messages: list
    position: int
    n_calls: int
    book_differs: tuple = (0, 0)


_RULE_SETS = ("hftbacktest", "remainder", "message", "all")


def simulate(market: Market, *, decider: str, mode: str = "timer",
             feed_ns: int, entry_ns: int, response_ns: int, interval_ns: int = 10_000_000,
             qty: int = 1, max_position: int = 20, skew_ticks_per_lot: float = 0.1, quote_from: int = 0,
             end_record: int | None = None) -> RunResult:
    """Replay ``market`` with the benchmark's quoter; one rule set decides our fills.

    Parameters
    ----------
    market : Market
    decider : {"hftbacktest", "remainder", "message", "all"}
        ``"hftbacktest"``: hftbacktest's rules and book. The others: mmsim's rules and book with
        that rule for an execution of an order behind ours (see :func:`_mm_rules`): ``"message"``
        is mmsim's engine (default), ``"all"`` mmsim with ``queue.l3_behind_fill: hftbacktest``,
        ``"remainder"`` mmsim 0.1's per-event rule.
    mode : {"timer", "feed"}
        Decide on a timer (first local market data + k * ``interval_ns``) or at every local wake-up.
    feed_ns, entry_ns, response_ns : int
        Constant latencies, ns.
    qty, max_position : int
        Order size and position limit, lots. ``skew_ticks_per_lot``: the quoter's skew.
    quote_from : int
        No decision acts before this local time, ns.
    end_record : int, optional
        Replay records ``[0, end_record)`` only.
    """
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _quoter_rule import quote_targets

    rule = quote_targets.py_func
    if decider not in _RULE_SETS:
        raise ValueError(f"decider must be one of {', '.join(_RULE_SETS)}, got {decider!r}")
    hbt = decider == "hftbacktest"
    if market.quirks.get("hbt_error") is not None:
        bad = int(market.quirks["hbt_error"].split()[1].rstrip(":"))
        if bad < (len(market.t) if end_record is None else end_record):
            raise ValueError(f"hftbacktest stops at {market.quirks['hbt_error']}: the two tools cannot be compared past it")
    INF = INVALID_MAX
    t = market.t
    n = len(t) if end_record is None else end_record
    top = market.hbt_top if hbt else market.mm_top
    mm_lv = {1: {}, -1: {}}

    ours: list[_Ours] = []  # exchange side, in arrival order
    to_ex: list = []  # (ts, kind, order_id, side, px, qty); kind "new"/"cancel"
    to_loc: list = []  # (ts, kind, order_id, side, px, qty, leaves)
    ex_head = loc_head = 0
    last_to_ex = last_to_loc = INVALID_MIN
    fills_out: list = []
    messages: list = []
    book_differs = [0, 0]  # order arrivals, strategy calls at which the two tools' books differ
    position = 0
    now = 0
    i_ex = i_loc = 0
    our_seq = 0  # orders of ours arriving after record i take seq i + 0.5 + our_seq * 1e-9

    # local side
    local_orders: list = []  # [id, side, px, qty, leaves, state]; state: 1 pending new, 2 working, 3 pending cancel
    local_pos = 0
    next_id = 1
    # Per side, a target just rejected post-only, held back while the quoter keeps it and the local
    # best bid/ask stays that of the first call after the reject, unless a view past the reject
    # shows it crossing nothing: mmsim's rule (docs/engine.md, "Targets, not orders"), which the
    # hftbacktest side's order management (_hbt_runner.py) applies too:
    # (px, qty, best_bid, best_ask, reject's exchange time) or None.
    held: dict = {1: None, -1: None}
    timer_next = INF
    dirty = True  # something reached the local side since the last call that acted
    waiting = quote_from > 0  # no call has acted yet: the first tick from quote_from on must
    n_calls = 0

    def respond(kind, o_id, side, px, q, leaves):
        nonlocal last_to_loc
        ts = max(now + response_ns, last_to_loc)
        last_to_loc = ts
        to_loc.append((ts, kind, o_id, side, px, q, leaves, now))

    def do_fills(fl):
        nonlocal position
        for o_id, q, why, rec_i in fl:
            o = by_id[o_id]
            position += o.side * q
            o.done += q
            fills_out.append((now, o.side, o.px, q, o_id, why, rec_i))
            respond("fill", o_id, o.side, o.px, q, o.qty - o.done)

    by_id: dict = {}

    msg: dict = {}  # the venue message being processed: shadows of our orders per rule set

    def exchange_record(i):
        nonlocal now
        now = int(t[i])
        evs = market.mm_events[i]
        op = market.hbt_ops[i]
        for ev in evs:  # mmsim's book levels (queue position on arrival)
            if ev[0] == STATUS:  # the pre-open's (our quotes start after the opening auction)
                continue
            if ev[0] == CLEAR:
                mm_lv[1].clear()
                mm_lv[-1].clear()
            elif ev[0] != TRADE:
                if ev[7]:
                    mm_lv[ev[1]][ev[2]] = ev[7]
                else:
                    mm_lv[ev[1]].pop(ev[2], None)
        first = i == 0 or t[i - 1] != t[i]
        last = i + 1 >= n or t[i + 1] != t[i]
        if first:
            msg.clear()
            if ours:
                msg["record"] = i
                msg["ahead"] = {o.id: o.ahead for o in ours}
                for name in _RULE_SETS:
                    if name != decider:
                        msg[name] = (copy.deepcopy(ours), [], [])  # orders, fills, deferred
                msg[decider] = (ours, [], [])
        if "record" not in msg:
            return
        # every rule set on its own copy of our orders, the decider's on the real ones
        for name in _RULE_SETS:
            o_list, fl, defer = msg[name]
            if name == "hftbacktest":
                _hbt_rules(op, o_list, fl, i)
            else:
                for ev in evs:
                    _mm_rules(ev, o_list, name, fl, i, True, defer)
        if hbt:
            for ev in evs:  # mmsim's count of the lots ahead moves on the real orders too
                _mm_rules(ev, ours, "remainder", [], i, apply=False)
        if last:
            for name in _RULE_SETS:
                if name not in ("hftbacktest", "all"):
                    _settle(msg[name][0], msg[name][2], msg[name][1], mm_lv)
        mine = msg[decider][1]
        done = msg.get("applied", 0)
        if len(mine) > done:
            do_fills(mine[done:])
            msg["applied"] = len(mine)
        if last:
            key = lambda fl: sorted((a, b) for a, b, _, _ in fl)  # noqa: E731
            if any(key(msg[name][1]) != key(mine) for name in _RULE_SETS):
                messages.append({"record": msg["record"], "t": now, "ahead": msg["ahead"],
                                 **{name: list(msg[name][1]) for name in _RULE_SETS}})

    def order_arrival(m):
        nonlocal now, our_seq
        ts, kind, o_id, side, px, q = m
        now = ts
        if kind == "cancel":
            for k, o in enumerate(ours):
                if o.id == o_id:
                    del ours[k]
                    respond("canceled", o_id, side, px, q, o.leaves)
                    return
            respond("cancel_rejected", o_id, side, px, q, 0)
            return
        last = i_ex - 1
        bb, ba = (int(top[last, 0]), int(top[last, 1])) if last >= 0 else (INVALID_MIN, INVALID_MAX)
        if last >= 0 and (market.mm_top[last, :2] != market.hbt_top[last, :2]).any():
            book_differs[0] += 1  # the two tools would check post-only against different books
        if (side > 0 and ba != INVALID_MAX and px >= ba) or (side < 0 and bb != INVALID_MIN and px <= bb):
            respond("reject", o_id, side, px, q, 0)  # post-only (GTX)
            return
        our_seq += 1
        o = _Ours(o_id, side, px, q, last + 0.5 + our_seq * 1e-9, mm_lv[side].get(px, 0))
        ours.append(o)
        by_id[o_id] = o
        respond("ack", o_id, side, px, q, q)

    def send(ts, kind, lo):
        nonlocal last_to_ex
        at = max(ts + entry_ns, last_to_ex)
        last_to_ex = at
        to_ex.append((at, kind, lo[0], lo[1], lo[2], lo[3]))

    def manage_side(ts, side, px, q):
        nonlocal next_id
        kept = False
        for lo in local_orders:
            if lo[1] != side or lo[5] == 3:
                continue
            if q > 0 and not kept and lo[2] == px and lo[3] == q:
                kept = True
                continue
            lo[5] = 3
            send(ts, "cancel", lo)
        if q <= 0 or kept or held[side] is not None:
            return
        lo = [next_id, side, px, q, q, 1]
        next_id += 1
        local_orders.append(lo)
        send(ts, "new", lo)

    def call_strategy(ts):
        nonlocal n_calls
        n_calls += 1
        j = i_loc - 1
        for side in (1, -1):  # holds taken since the last call note this call's best bid/ask
            if held[side] is not None and held[side][2] is None:
                held[side] = (*held[side][:2], int(top[j, 0]), int(top[j, 1]), held[side][4])
        if ts < quote_from:
            return
        if (market.mm_top[j] != market.hbt_top[j]).any():
            book_differs[1] += 1  # the two tools' strategies would see different books
        bb, ba, bq, aq = (int(x) for x in top[j])
        if bq <= 0 or aq <= 0 or bb >= ba:
            return
        bid_px, bid_q, ask_px, ask_q = rule(bb, ba, local_pos, qty, max_position, skew_ticks_per_lot)
        shown = {1: None, -1: None}  # the view's order per side: the newest not being cancelled
        for lo in local_orders:
            cur = shown[lo[1]]
            if cur is not None and cur[5] != 3 and lo[5] == 3:
                continue
            shown[lo[1]] = lo
        if shown[1] is not None and shown[1][5] == 1:  # hold_pending
            bid_px, bid_q = shown[1][2], shown[1][3]
        if shown[-1] is not None and shown[-1][5] == 1:
            ask_px, ask_q = shown[-1][2], shown[-1][3]
        for side, tgt in ((1, (int(bid_px), int(bid_q))), (-1, (int(ask_px), int(ask_q)))):
            h = held[side]
            if h is not None and h[:4] != (*tgt, bb, ba):
                held[side] = None  # the target or the local best moved: the hold is over
            elif h is not None and int(t[j]) >= h[4] and (h[0] < ba if side > 0 else h[0] > bb):
                held[side] = None  # a view past the reject in which the target crosses nothing
        manage_side(ts, 1, int(bid_px), int(bid_q))
        manage_side(ts, -1, int(ask_px), int(ask_q))

    def local_response(r):
        nonlocal local_pos
        _, kind, o_id, side, px, q, leaves, at = r
        k = next((j for j, lo in enumerate(local_orders) if lo[0] == o_id), None)
        done = False
        if kind == "ack":
            if k is not None and local_orders[k][5] == 1:
                local_orders[k][5] = 2
        elif kind == "fill":
            local_pos += side * q
            if k is not None:
                local_orders[k][4] = leaves
                done = leaves == 0
        else:
            done = k is not None
            if kind == "reject":  # a target just rejected post-only is held (both sides' order management)
                held[side] = (px, q, None, None, at)  # its best bid/ask: those of the next call
        if done and k is not None:
            del local_orders[k]

    while True:
        t_ex = int(t[i_ex]) if i_ex < n else INF
        t_oa = to_ex[ex_head][0] if ex_head < len(to_ex) else INF
        t_rs = to_loc[loc_head][0] if loc_head < len(to_loc) else INF
        t_ld = int(t[i_loc]) + feed_ns if i_loc < i_ex else INF
        market_done = i_loc >= n
        t_tm = INF if market_done or mode != "timer" else timer_next
        t_loc = min(t_rs, t_ld, t_tm)
        if t_ex != INF and t_ex <= t_oa and t_ex <= t_loc:
            exchange_record(i_ex)
            i_ex += 1
            continue
        if t_oa != INF and t_oa <= t_loc:
            m = to_ex[ex_head]
            ex_head += 1
            order_arrival(m[:6])
            continue
        if t_loc == INF:
            break
        T = t_loc
        if T == t_tm and T < t_rs and T < t_ld and not dirty and not (waiting and T >= quote_from):
            # Nothing new since the last call: this tick would act as that call did. Skip to
            # the last tick before anything can change the local side again.
            nxt = min(t_rs, t_ld, t_ex, t_oa, quote_from if waiting and quote_from > T else INF)
            k = max(1, (nxt - timer_next) // interval_ns) if nxt != INF else 1
            timer_next += k * interval_ns
            continue
        reason = False
        while loc_head < len(to_loc) and to_loc[loc_head][0] == T:
            local_response(to_loc[loc_head])
            loc_head += 1
            reason = True
        while i_loc < i_ex and int(t[i_loc]) + feed_ns == T:
            i_loc += 1
            reason = True
            if mode == "timer" and timer_next == INF:
                timer_next = T + interval_ns
        if reason:
            dirty = True
        call = False
        if mode == "timer":
            if timer_next == T:
                call = True
                timer_next = T + interval_ns
        else:
            call = reason
        if market_done or not call:
            continue
        call_strategy(T)
        dirty = False
        if T >= quote_from:
            waiting = False
    return RunResult(fills=fills_out, messages=messages, position=position, n_calls=n_calls,
                     book_differs=tuple(book_differs))


# ----------------------------------------------------------------------------------------------
# naming the differences

#: The rules in which the two tools differ on L3 data, by the name :func:`classify` gives them.
CLASSES = {
    "aggressor-fill": "an F record of the aggressing order itself (CME lists the fill of a resting order that "
                      "was modified into the other side at the trade price, while the order still rests at its "
                      "old price): hftbacktest fills our orders queued ahead of it at that old price; mmsim's "
                      "loader writes nothing for it (the C/M after it moves the order; "
                      "quirks.aggressor_fills)",
    "record-order": "one venue message lists its records in another order than the venue applied them: the "
                    "fill of an order behind ours comes before the fill or the cancel of an order ahead of ours "
                    "(the fills of one match out of queue order, or a cancel that the match skipped listed "
                    "after it): hftbacktest fills us at that fill; mmsim's per-event remainder does not, a "
                    "remainder settled at the end of the message would",
    "out-of-fifo": "an order behind ours executes while orders ahead of ours remain after the whole message: "
                   "hftbacktest fills all of our order, mmsim what the execution leaves after them",
    "through-alone": "a fill priced below our bid (above our ask) while no market order rests at our price or "
                     "better: mmsim fills us (the aggressor passed our price), hftbacktest does not (it compares "
                     "the fill price with the best of the market's own orders only)",
    "iceberg-print": "the hidden part of an iceberg fill (an F larger than the order's shown size): mmsim's "
                     "loader writes it as a TRADE, which on L3 data fills our order at its price once no "
                     "displayed lot is left ahead of it (only an iceberg's shown part has priority), and "
                     "through our price always; hftbacktest ignores trade records",
    "iceberg-priority": "an iceberg re-shown by an M with a size no larger than its last shown size: "
                        "hftbacktest keeps its place in the queue (fills do not reduce the size it compares "
                        "with), mmsim puts it at the back (as CME does), so its next execution is ahead of us "
                        "in one tool and behind us in the other",
    "cross-size": "an add that crosses more of our orders than its size: hftbacktest fills all of them, mmsim "
                  "up to the add's size",
    "unexplained": "none of the above (a gap in this analysis)",
}


def _per_order(fl):
    d: dict = {}
    for oid, q, rule, r in fl:
        e = d.setdefault(oid, [0, set(), set()])
        e[0] += q
        e[1].add(rule)
        e[2].add(r)
    return d


def classify(market: Market, rec: np.ndarray, msg: dict, a: str = "hftbacktest", b: str = "message") -> list:
    """Name the rule behind each of our orders that rule sets ``a`` and ``b`` fill differently in ``msg``.

    Returns a list of :data:`CLASSES` keys, one per order of ours whose filled lots differ.
    """
    A, B = _per_order(msg[a]), _per_order(msg[b])
    out = []
    for oid in sorted(set(A) | set(B)):
        qa = A[oid][0] if oid in A else 0
        qb = B[oid][0] if oid in B else 0
        if qa == qb:
            continue
        rules = (A[oid][1] if oid in A else set()) | (B[oid][1] if oid in B else set())
        recs = (A[oid][2] if oid in A else set()) | (B[oid][2] if oid in B else set())
        if any(r.startswith("print") for r in rules):
            out.append("iceberg-print")
            continue
        if "cross" in rules:
            out.append("cross-size")
            continue
        aggressor = False
        agg = set(market.quirks.get("aggressor_fills", ()))
        for r in recs:
            if rec["action"][r] == b"F":
                ex = [e for e in market.mm_events[r] if e[0] == EXECUTE]
                aggressor |= r in agg or (bool(ex) and ex[0][2] != int(rec["price"][r]))
        if aggressor:
            out.append("aggressor-fill")
            continue
        if "exec-through" in rules:
            out.append("through-alone")
            continue
        priority = False
        for r in recs:
            op = market.hbt_ops[r]
            ex = [e for e in market.mm_events[r] if e[0] == EXECUTE]
            if op is not None and op[0] == "F" and ex and op[4] != ex[0][5]:
                priority = True
        if priority:
            out.append("iceberg-priority")
            continue
        if "exec-behind" in rules:
            M = _per_order(msg["message"])
            qm = M[oid][0] if oid in M else 0
            hb = qa if a == "hftbacktest" else qb
            out.append("record-order" if qm == hb else "out-of-fifo")
            continue
        out.append("unexplained")
    return out
