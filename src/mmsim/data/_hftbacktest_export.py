"""Export a store (or an event array) as an hftbacktest ``.npz`` (the module notes of :mod:`.hftbacktest`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind, as_event_array
from ._hftbacktest_read import (
    ADD_ORDER_EVENT,
    BUY_EVENT,
    CANCEL_ORDER_EVENT,
    DEPTH_CLEAR_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    FILL_EVENT,
    HBT_EVENT_DTYPE,
    LOCAL_EVENT,
    MODIFY_ORDER_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
)
from .store import EventStore, load


def export(
    events,
    path: str | Path,
    *,
    tick_size: float | None = None,
    lot_size: float | None = None,
    on_status: str = "drop",
) -> np.ndarray:
    """Write events as an hftbacktest ``.npz`` (``np.savez_compressed(path, data=...)``).

    Parameters
    ----------
    events : EventStore, str, Path or ndarray
        A store (or its path), or an event array (then ``tick_size`` and
        ``lot_size`` are required).
    path : str or Path
        Output file (``.npz``).
    tick_size, lot_size : float, optional
        Override the store's sizes.
    on_status : {"drop", "error"}
        hftbacktest has no trading-status event: ``"drop"`` leaves ``STATUS``
        events out (hftbacktest then matches through halts), ``"error"`` raises
        when there are any.

    Returns
    -------
    ndarray
        The array written, of :data:`HBT_EVENT_DTYPE`. The whole array is built in
        memory (hftbacktest's format is one array).

    Raises
    ------
    mmsim.DataError
        A bare array without sizes, a wrong dtype, or ``STATUS`` events with
        ``on_status="error"``.
    """
    if on_status not in ("drop", "error"):
        raise ValueError(f"on_status must be 'drop' or 'error', got {on_status!r}")
    if isinstance(events, (str, Path)):
        events = load(events)
    if isinstance(events, EventStore):
        tick_size = tick_size if tick_size is not None else events.tick_size
        lot_size = lot_size if lot_size is not None else events.lot_size
        ev = events.events
    else:
        ev = as_event_array(np.asarray(events))
        if tick_size is None or lot_size is None:
            raise DataError("export of a bare event array needs tick_size and lot_size")
    status = ev["kind"] == Kind.STATUS
    if status.any():
        if on_status == "error":
            i = int(np.flatnonzero(status)[0])
            raise DataError(
                f"event {i}: a STATUS event (trading status {int(ev['qty'][i])}); hftbacktest has no "
                "trading-status event (export with on_status='drop' to leave them out)"
            )
        ev = ev[~status]
    out = _to_hbt(ev, float(tick_size), float(lot_size))
    np.savez_compressed(path, data=out)
    return out


def _to_hbt(ev: np.ndarray, tick: float, lot: float) -> np.ndarray:
    kind = ev["kind"]
    side = ev["side"].astype(np.int64)
    # A side-0 CLEAR becomes one clear per side: hftbacktest's converters always flag a side.
    both = (kind == Kind.CLEAR) & (side == 0)
    rep = np.where(both, 2, 1)
    src = np.repeat(np.arange(len(ev)), rep)
    e = ev[src]
    k = e["kind"]
    s = e["side"].astype(np.int64)
    first_of_pair = np.flatnonzero(both)
    pos = np.cumsum(rep) - rep  # start of each source event in the expanded array
    s[pos[first_of_pair]] = 1
    s[pos[first_of_pair] + 1] = -1
    out = np.zeros(len(e), HBT_EVENT_DTYPE)
    out["exch_ts"] = e["exch_ts"]
    out["local_ts"] = e["local_ts"]
    out["px"] = e["price"] * tick
    out["qty"] = e["qty"] * lot
    out["order_id"] = e["order_id"].astype(np.uint64)
    code = np.zeros(len(e), np.uint64)
    code[k == Kind.DEPTH] = DEPTH_EVENT
    code[k == Kind.TRADE] = TRADE_EVENT
    code[k == Kind.CLEAR] = DEPTH_CLEAR_EVENT
    code[k == Kind.ADD] = ADD_ORDER_EVENT
    code[k == Kind.DELETE] = CANCEL_ORDER_EVENT
    code[k == Kind.CANCEL] = MODIFY_ORDER_EVENT
    code[k == Kind.EXECUTE] = FILL_EVENT
    flags = np.where(s > 0, BUY_EVENT, np.where(s < 0, SELL_EVENT, 0)).astype(np.uint64)
    out["ev"] = code | flags
    # A store's CLEAR empties the whole side, whatever the book held before the file: a clear of a NaN price, which
    # hftbacktest (2.4) reads as the whole side, L2 levels and L3 orders (a clear up to the farthest price this file
    # had seen missed the levels a file before left beyond it).
    clr = k == Kind.CLEAR
    out["px"][clr] = np.nan
    out["qty"][clr] = 0.0
    # A partial cancel is a modify to the order's new size.
    canc = np.flatnonzero(k == Kind.CANCEL)
    if len(canc):
        rem: dict[int, int] = {}
        ko, oo, qo = k.tolist(), e["order_id"].tolist(), e["qty"].tolist()
        newq = {}
        for i in range(len(e)):
            kk = ko[i]
            if kk == Kind.ADD:
                rem[oo[i]] = qo[i]
            elif kk in (Kind.CANCEL, Kind.EXECUTE):
                r = rem.get(oo[i], 0) - qo[i]
                rem[oo[i]] = r
                if kk == Kind.CANCEL:
                    newq[i] = r
            elif kk == Kind.DELETE:
                rem.pop(oo[i], None)
        idx = np.fromiter(newq.keys(), np.int64)
        out["qty"][idx] = np.fromiter(newq.values(), np.int64) * lot
    loc = out["local_ts"]
    if len(out) == 0 or np.all(np.diff(loc) >= 0):
        out["ev"] |= np.uint64(EXCH_EVENT | LOCAL_EVENT)
        return out
    exch_rows = out.copy()
    exch_rows["ev"] |= np.uint64(EXCH_EVENT)
    order = np.argsort(loc, kind="stable")
    local_rows = out[order]
    local_rows["ev"] |= np.uint64(LOCAL_EVENT)
    both_rows = np.concatenate([exch_rows, local_rows])
    key = np.concatenate([exch_rows["exch_ts"], local_rows["local_ts"]])
    return both_rows[np.argsort(key, kind="stable")]
