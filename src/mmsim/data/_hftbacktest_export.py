"""Export a store (or an event array) as an hftbacktest ``.npz`` (the module notes of :mod:`.hftbacktest`).

Exported files are read as hftbacktest replays several: one stream, each file going on with the book the file before
left. So a row never assumes its file starts from an empty book: a ``CLEAR`` is a clear of the whole side (a NaN
price, as hftbacktest 2.4 reads it), never one up to the farthest price the file has seen, and a ``CLEAR`` of the
whole book (side 0) one clear without a side flag (hftbacktest clears both sides), so the sided ``CLEAR``s of each
side at one time stay two (``mmsim_meta`` says so: :data:`SIDED_CLEARS`, breaker16d); a ``CANCEL`` (a modify to
the order's new size, or hftbacktest's cancel row when it empties the order: hftbacktest 2.4's L3 replay keeps an
order modified to 0 lots resting, its price still the best bid or ask) needs the order's size, which for an order
resting from before the events exported comes from ``before`` (the events before them), else is an error naming the
event.

An ``EXECUTE`` is two rows at its time (hftbacktest 2.4's L3 replay takes no lots off its book on a ``FILL`` row; its
Databento converter writes the venue's ``CANCEL``/``MODIFY`` after it, which does; hbtexport18: the executed orders
stayed resting in hftbacktest): its ``FILL`` (the print), then a ``CANCEL`` of the lots filled when it empties the
order, else a ``MODIFY`` to the lots left (counted as a ``CANCEL``'s, from ``before`` for a slice); ``mmsim_meta``
says so (:data:`FILL_FOLLOWED`), and the import absorbs the second row.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind, as_event_array
from ._hftbacktest_read import (
    ADD_ORDER_EVENT,
    BUY_EVENT,
    CANCEL_ORDER_EVENT,
    DEPTH_CLEAR_EVENT,
    DROPPED_KEY,
    DEPTH_EVENT,
    EXCH_EVENT,
    FILL_EVENT,
    FILL_FOLLOWED,
    HBT_EVENT_DTYPE,
    IMPLIED_KEY,
    LOCAL_EVENT,
    META_KEYS,
    MODIFY_ORDER_EVENT,
    SELL_EVENT,
    SIDED_CLEARS,
    TRADE_EVENT,
    dropped_problem,
    implied_problem,
)
from ._identity import check_zone, verify_store
from .store import EventStore, load


def _events_of(events) -> np.ndarray:
    if isinstance(events, (str, Path)):
        events = load(events)
    if isinstance(events, EventStore):
        verify_store(events)  # the orders before= gives sizes from are the store's as written
        return events.events
    return as_event_array(np.asarray(events))


def export(
    events,
    path: str | Path,
    *,
    tick_size: float | None = None,
    lot_size: float | None = None,
    on_status: str = "drop",
    before=None,
) -> np.ndarray:
    """Write events as an hftbacktest ``.npz`` (``np.savez_compressed(path, data=..., mmsim_meta=...)``).

    Besides hftbacktest's ``data`` array the file holds ``mmsim_meta``, a JSON string of the store's
    ``tick_size``, ``lot_size``, ``contract_size``, ``symbol``, ``venue``, ``time_zone`` and ``local_ts_recorded`` (of a bare
    array: the sizes given), which hftbacktest ignores and mmsim's import takes as its defaults, a trade-implied
    store's ``quirks.trade_implied_book`` (its counts, as ``trade_implied_book``: the import writes them back, so
    the round trip's book is still trade-implied to every command), a store's ``quirks.prints_through_book`` when
    it says ``"dropped": true`` (as ``prints_through_book``: the import writes it back; a record of prints the
    events hold is not written, the import counts those itself), and ``"clears":
    "sided"``: a ``CLEAR`` of side 0 is one clear row without a side flag, one of side 1 or -1 a clear of that side
    (BUY_EVENT or SELL_EVENT), so the import reads a sided clear of each side at one time back as two ``CLEAR``s,
    and ``"executes": "fill_then_book_row"``: an ``EXECUTE`` is its ``FILL_EVENT`` row, then at its time the row
    hftbacktest's book takes its lots by (it takes none on a ``FILL``): a ``CANCEL_ORDER_EVENT`` of the lots filled
    when the execute empties the order, else a ``MODIFY_ORDER_EVENT`` to the order's lots left; the import absorbs it.

    Parameters
    ----------
    events : EventStore, str, Path or ndarray
        A store (or its path), or an event array (then ``tick_size`` and
        ``lot_size`` are required), e.g. one day of a store's events.
    path : str or Path
        Output file (``.npz``).
    tick_size, lot_size : float, optional
        Override the store's sizes.
    on_status : {"drop", "error"}
        hftbacktest has no trading-status event: ``"drop"`` leaves ``STATUS``
        events out (hftbacktest then matches through halts), ``"error"`` raises
        when there are any.
    before : EventStore, str, Path or ndarray, optional
        The events before ``events`` when they are a slice of a stream (the
        store's events up to the slice's first): the L3 orders resting at the
        slice's start, whose ``CANCEL`` in the slice is written as a modify to
        the order's new size, and whose ``EXECUTE``'s book row is a cancel or a
        modify to its new size. Nothing of it is written.

    Returns
    -------
    ndarray
        The array written, of :data:`HBT_EVENT_DTYPE`. The whole array is built in
        memory (hftbacktest's format is one array).

    Raises
    ------
    mmsim.DataError
        A store (or ``before``) whose ``events.npy`` is not what its ``meta.json``
        ``events_digest`` was computed from (edited under it: nothing is
        written), a bare array without sizes, a wrong dtype, ``STATUS`` events with
        ``on_status="error"``, or a ``CANCEL`` or ``EXECUTE`` of an order neither
        the events nor ``before`` add (the first such ``CANCEL``, else the first
        such ``EXECUTE``), or of more lots than it has (naming the event's index
        in ``events``), or a ``before``
        that ends after the events begin (the whole store given as ``before``).
    """
    if on_status not in ("drop", "error"):
        raise ValueError(f"on_status must be 'drop' or 'error', got {on_status!r}")
    if isinstance(events, (str, Path)):
        events = load(events)
    meta: dict = {}
    if isinstance(events, EventStore):
        tick_size = tick_size if tick_size is not None else events.tick_size
        lot_size = lot_size if lot_size is not None else events.lot_size
        ev = events.events
        meta = {k: events.meta[k] for k in META_KEYS if k in events.meta}
        implied = (events.meta.get("quirks") or {}).get(IMPLIED_KEY)
        if implied is not None:  # the book is trade-implied: the import says so again (newcomer17)
            if (why := implied_problem(implied)) is not None:  # else an .npz the import refuses
                raise DataError(f"{events.path / 'meta.json'}: key 'quirks.{IMPLIED_KEY}' {why}")
            meta[IMPLIED_KEY] = implied
        through = (events.meta.get("quirks") or {}).get(DROPPED_KEY)
        if isinstance(through, dict) and through.get("dropped") is True:  # the record of prints the events lack
            if (why := dropped_problem(through)) is not None:  # the store loaded by this rule; held to it again
                raise DataError(f"{events.path / 'meta.json'}: key 'quirks.{DROPPED_KEY}' {why}")
            meta[DROPPED_KEY] = through
        check_zone(events.meta, events.path / "meta.json")  # else an .npz mmsim's import refuses (breaker16d)
        verify_store(events)  # an events.npy edited under its digest is refused, not exported (newcomer17)
    else:
        ev = as_event_array(np.asarray(events))
        if tick_size is None or lot_size is None:
            raise DataError("export of a bare event array needs tick_size and lot_size")
    status = ev["kind"] == Kind.STATUS
    index = np.arange(len(ev))  # each exported event's index in ``events`` (for an error's words)
    if status.any():
        if on_status == "error":
            i = int(np.flatnonzero(status)[0])
            raise DataError(
                f"event {i}: a STATUS event (trading status {int(ev['qty'][i])}); hftbacktest has no "
                "trading-status event (export with on_status='drop' to leave them out)"
            )
        ev, index = ev[~status], index[~status]
    prior = _events_of(before) if before is not None else None
    if prior is not None and len(prior) and len(ev) and int(prior["exch_ts"][-1]) > int(ev["exch_ts"][0]):
        # breaker15b: before= the whole store gave the orders' sizes at its end (a modify to 3 where 8 was right)
        raise DataError(f"before= ends at exch_ts {int(prior['exch_ts'][-1])}, after the exported events begin "
                        f"(event {int(index[0])} at exch_ts {int(ev['exch_ts'][0])}): before= is the events before "
                        "them (a store's events up to the slice's first), not the whole store")
    rest = _resting(prior) if prior is not None else {}
    out = _to_hbt(ev, float(tick_size), float(lot_size), rest, index)
    # What the numbers mean, for mmsim's import (hftbacktest reads only ``data``): an .npz has no lot, and the one
    # inferred from its sizes can be coarser than the store's (1e-06 for Binance spot's 1e-08).
    meta.update(tick_size=float(tick_size), lot_size=float(lot_size))
    meta[SIDED_CLEARS[0]] = SIDED_CLEARS[1]  # a CLEAR 0 is one sideless row: sided clears of each side stay two
    meta[FILL_FOLLOWED[0]] = FILL_FOLLOWED[1]  # an EXECUTE is its FILL and its book row: the import absorbs the second
    np.savez_compressed(path, data=out, mmsim_meta=np.array(json.dumps(meta, sort_keys=True)))
    return out


def _resting(ev: np.ndarray) -> dict[int, tuple[int, int]]:
    """The L3 orders resting after ``ev``: {order id: (side, lots)} (a ``CLEAR`` removes its side's, as the store)."""
    rest: dict[int, tuple[int, int]] = {}
    l3 = np.isin(ev["kind"], [Kind.ADD, Kind.CANCEL, Kind.EXECUTE, Kind.DELETE, Kind.CLEAR])
    sel = ev[l3]
    for k, s, o, q in zip(sel["kind"].tolist(), sel["side"].tolist(), sel["order_id"].tolist(), sel["qty"].tolist()):
        if k == Kind.ADD:
            rest[o] = (s, q)
        elif k == Kind.CANCEL or k == Kind.EXECUTE:
            if o in rest:
                rest[o] = (rest[o][0], rest[o][1] - q)
                if rest[o][1] <= 0:
                    del rest[o]
        elif k == Kind.DELETE:
            rest.pop(o, None)
        else:
            for x in [x for x, v in rest.items() if s == 0 or v[0] == s]:
                del rest[x]
    return rest


def _sizes(k: np.ndarray, s: np.ndarray, e: np.ndarray, rest: dict[int, tuple[int, int]],
           at: np.ndarray) -> tuple[dict[int, int], dict[int, int]]:
    """The lots an order keeps after each ``CANCEL`` ({event: lots}) and after each ``EXECUTE`` ({event: lots}) of
    ``e`` (its kinds ``k``, sides ``s``), counted from the orders resting before (``rest``); ``at``: each event's index
    in the events given (for an error's words). Raises DataError for one of an order no event adds (the first such
    ``CANCEL``'s, else the first such ``EXECUTE``'s), or of more lots than it has."""
    rem = {o: v[1] for o, v in rest.items()}
    sides = {o: v[0] for o, v in rest.items()}
    ko, oo, qo, so = k.tolist(), e["order_id"].tolist(), e["qty"].tolist(), s.tolist()
    newq: dict[int, int] = {}
    left: dict[int, int] = {}
    unknown: DataError | None = None
    for i in range(len(e)):
        kk = ko[i]
        if kk == Kind.ADD:
            rem[oo[i]] = qo[i]
            sides[oo[i]] = so[i]
        elif kk in (Kind.CANCEL, Kind.EXECUTE):
            r = rem.get(oo[i])
            what = "CANCEL" if kk == Kind.CANCEL else "EXECUTE"
            if r is None:
                why = ("hftbacktest writes a partial cancel as a modify to the order's new size" if kk == Kind.CANCEL
                       else "hftbacktest's book loses an execute's lots by a cancel or a modify to the order's new size")
                err = DataError(
                    f"event {int(at[i])}: {what} of {qo[i]} lots of order {oo[i]}, which no event before it adds: "
                    f"{why}, unknown here (a slice of a store: pass the events before it as before=..., or export "
                    "the days in one call)")
                if kk == Kind.CANCEL:
                    raise err
                unknown = unknown or err  # a CANCEL's error first (as before 18), else the first EXECUTE's
                continue
            if r - qo[i] < 0:
                raise DataError(f"event {int(at[i])}: {what} of {qo[i]} lots of order {oo[i]}, which has {r}")
            (newq if kk == Kind.CANCEL else left)[i] = r - qo[i]
            rem[oo[i]] = r - qo[i]
        elif kk == Kind.DELETE:
            rem.pop(oo[i], None)
        elif kk == Kind.CLEAR:  # the side's orders are gone (both sides' for side 0)
            for x in [x for x in rem if so[i] == 0 or sides.get(x) == so[i]]:
                del rem[x]
    if unknown is not None:
        raise unknown
    return newq, left


def _to_hbt(ev: np.ndarray, tick: float, lot: float, rest: dict[int, tuple[int, int]] | None = None,
            index: np.ndarray | None = None) -> np.ndarray:
    # One row per event (an EXECUTE two: its FILL, then the row taking its lots off hftbacktest's book): a side-0
    # CLEAR is a clear without a side flag, which hftbacktest reads as both sides (it
    # was a clear per side, which the import could not tell from a store's CLEAR 1 and CLEAR -1 at one time).
    src = np.arange(len(ev))
    e = ev
    k = e["kind"]
    s = e["side"].astype(np.int64)
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
    # A partial cancel is a modify to the order's new size, and an EXECUTE's FILL row is followed by the row that
    # takes its lots off hftbacktest's book (a CANCEL when it empties the order, else a MODIFY to the lots left):
    # both count from the orders resting before the events (``rest``); one of an order no event adds is an error,
    # never a modify to a size counted from 0.
    l3 = np.flatnonzero((k == Kind.CANCEL) | (k == Kind.EXECUTE))
    if len(l3):
        newq, left = _sizes(k, s, e, rest or {}, src if index is None else index[src])
        idx = np.fromiter(newq.keys(), np.int64, len(newq))
        kept = np.fromiter(newq.values(), np.int64, len(newq))
        out["qty"][idx] = np.where(kept == 0, e["qty"][idx], kept) * lot
        # A CANCEL that empties its order is hftbacktest's cancel row (of the lots cancelled, as the venue's): its
        # L3 replay keeps an order modified to 0 lots resting, its price still the best (loaders19).
        out["ev"][idx[kept == 0]] = np.uint64(CANCEL_ORDER_EVENT) | flags[idx[kept == 0]]
        at = np.fromiter(left.keys(), np.int64, len(left))
        lots = np.fromiter(left.values(), np.int64, len(left))
        book = out[at].copy()  # at the FILL's exch_ts/local_ts, its order, side and price
        book["ev"] = np.where(lots == 0, CANCEL_ORDER_EVENT, MODIFY_ORDER_EVENT).astype(np.uint64) | flags[at]
        book["qty"] = np.where(lots == 0, e["qty"][at], lots) * lot  # a CANCEL of the lots filled, as the venue's
        out = np.insert(out, at + 1, book)
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
