"""L3 -> L2 aggregation: market-by-order events to market-by-price events, as a plain function."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..events import EVENT_DTYPE, Kind, as_event_array

__all__ = ["to_l2"]


def to_l2(events) -> np.ndarray:
    """Aggregate L3 (market-by-order) events into L2 (market-by-price) events.

    Every ``ADD``/``CANCEL``/``DELETE``/``EXECUTE`` becomes a ``DEPTH`` event that
    sets its level to the new total size (0 removes the level); an ``EXECUTE``
    is first printed as a ``TRADE`` (aggressor: the other side of the resting
    order) at the same times, as an L2 feed shows a trade then the depth
    change. ``CLEAR``, ``DEPTH``, ``TRADE`` and ``STATUS`` events pass through. Times,
    ``local_ts`` included, are kept, so replaying the result under an L2 queue
    model and the original under exact FIFO compares the two on the same day
    (docs/design.md section 11).

    Parameters
    ----------
    events : ndarray or EventStore
        Events of :data:`mmsim.EVENT_DTYPE` (a store's memory map works).

    Returns
    -------
    ndarray
        New L2 event array of :data:`mmsim.EVENT_DTYPE`; ``order_id`` is 0.

    Raises
    ------
    mmsim.DataError
        An L3 event names an order id that is not resting (event index given).
    """
    ev = as_event_array(np.asarray(events), "to_l2: events")
    n = len(ev)
    kinds = ev["kind"].tolist()
    sides = ev["side"].tolist()
    prices = ev["price"].tolist()
    qtys = ev["qty"].tolist()
    oids = ev["order_id"].tolist()
    # Output rows: (source index, kind, side, price, qty); times come from the source.
    src: list[int] = []
    ok: list[int] = []
    os_: list[int] = []
    op: list[int] = []
    oq: list[int] = []
    levels: dict[tuple[int, int], int] = {}
    orders: dict[int, list[int]] = {}
    ADD, CANCEL, DELETE, EXECUTE = int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE)
    CLEAR, DEPTH, TRADE, STATUS = int(Kind.CLEAR), int(Kind.DEPTH), int(Kind.TRADE), int(Kind.STATUS)
    for i in range(n):
        k = kinds[i]
        if k == ADD:
            s, p, q = sides[i], prices[i], qtys[i]
            orders[oids[i]] = [s, p, q]
            tot = levels.get((s, p), 0) + q
            levels[(s, p)] = tot
        elif k == CANCEL or k == DELETE or k == EXECUTE:
            o = orders.get(oids[i])
            if o is None:
                raise DataError(f"to_l2: event {i}: {Kind(k).name} of unknown order id {oids[i]}")
            s, p, rem = o
            q = rem if k == DELETE else qtys[i]
            if q > rem:
                raise DataError(f"to_l2: event {i}: order {oids[i]} has {rem} lots left, the event removes {q}")
            if k == EXECUTE:
                src.append(i)
                ok.append(TRADE)
                os_.append(-s)
                op.append(p)
                oq.append(q)
            o[2] = rem - q
            if o[2] == 0:
                del orders[oids[i]]
            tot = levels[(s, p)] - q
            if tot:
                levels[(s, p)] = tot
            else:
                del levels[(s, p)]
        elif k == CLEAR:
            s = sides[i]
            for key in [key for key in levels if s == 0 or key[0] == s]:
                del levels[key]
            for oid in [oid for oid, o in orders.items() if s == 0 or o[0] == s]:
                del orders[oid]
            src.append(i)
            ok.append(CLEAR)
            os_.append(s)
            op.append(0)
            oq.append(0)
            continue
        elif k == DEPTH or k == TRADE or k == STATUS:
            src.append(i)
            ok.append(k)
            os_.append(sides[i])
            op.append(prices[i])
            oq.append(qtys[i])
            continue
        else:
            raise DataError(f"to_l2: event {i}: unknown kind {k}")
        src.append(i)
        ok.append(DEPTH)
        os_.append(s)
        op.append(p)
        oq.append(tot)
    out = np.zeros(len(src), EVENT_DTYPE)
    idx = np.asarray(src, dtype=np.int64)
    out["exch_ts"] = ev["exch_ts"][idx]
    out["local_ts"] = ev["local_ts"][idx]
    out["kind"] = ok
    out["side"] = os_
    out["price"] = op
    out["qty"] = oq
    return out
