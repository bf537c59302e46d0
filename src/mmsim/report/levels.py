"""Markouts by target level: fills, volume, spread capture, fees and markouts per level of a quote ladder.

A fill belongs to the level its order was sent for (the fill record's ``level``:
``k`` for the k-th ``(price, size)`` of that side's list in the quote that sent it,
0 for the 1-level ``Quote``); fills of explicit IOC/FOK/market orders (``order_type``
not ``LIMIT``, level -1) form their own row. The section exists only when the run
used more than one level or any explicit order (``report.json``'s ``by_level`` is
null otherwise). docs/reports.md, "Markouts by level".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..records import OrderEvent, OrderType
from .._exact import as_float, dot, isum
from .markouts import Horizon, group_stats, summarize

__all__ = ["EXPLICIT", "by_level", "level_keys"]

#: The row key of explicit (IOC, FOK, market) orders' fills: their record's ``level``.
EXPLICIT = -1


def level_keys(level: np.ndarray, order_type: np.ndarray) -> np.ndarray:
    """Row key per fill or order: its target level, or :data:`EXPLICIT` for an explicit order.

    Parameters
    ----------
    level : int ndarray
        The records' ``level`` field.
    order_type : int ndarray
        The records' ``order_type`` field (:class:`~mmsim.records.OrderType`).

    Returns
    -------
    int64 ndarray
        ``level`` where the order is a target's (``LIMIT``), else -1.
    """
    return np.where(np.asarray(order_type) == int(OrderType.LIMIT), np.asarray(level, dtype=np.int64), EXPLICIT)


def _sent(orders: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Row key and size of every order sent (the order log's SENT rows); None without an order log."""
    names = orders.dtype.names or ()
    if "event" not in names:  # an empty order log is one: nothing sent, nothing rejected
        return None
    rows = orders[orders["event"] == int(OrderEvent.SENT)]
    level = rows["level"] if "level" in names else np.zeros(rows.size, dtype=np.int64)
    kind = rows["order_type"] if "order_type" in names else np.full(rows.size, int(OrderType.LIMIT))
    return level_keys(level, kind), np.asarray(rows["qty"], dtype=np.int64)


def by_level(
    f: Mapping[str, Any],
    orders: np.ndarray,
    eff2: np.ndarray,
    mk2: np.ndarray,
    ok: np.ndarray,
    past: np.ndarray,
    hs: Sequence[Horizon],
    col: Mapping[Horizon, int],
    toxic: Horizon,
    bps_scale: np.ndarray,
    tick_value: float,
    confidence: float,
) -> dict[str, Any] | None:
    """The ``by_level`` block of report.json: one row per target level, explicit orders last.

    Parameters
    ----------
    f : mapping
        The report's fill columns (``level``, ``order_type``, ``qty``, ``fee``, ``maker``...).
    orders : ndarray of ORDER_LOG_DTYPE
        The order log (its SENT rows give the orders and lots sent per level); may be empty.
    eff2 : int64 ndarray
        Effective half-spread per fill, half-ticks (``side * (2*m0 - 2*price)``).
    mk2, ok, past : ndarray, shape (n_fills, n_horizons)
        Markouts in half-ticks, their validity and past-the-end masks.
    hs : sequence of Horizon
        The horizons reported (the toxic horizon is added when it is not one of them).
    col : mapping of Horizon to int
        Each horizon's column in ``mk2``.
    toxic : Horizon
        The horizon of the toxic share.
    bps_scale, tick_value, confidence
        As for the report's markouts.

    Returns
    -------
    dict or None
        ``horizon`` (the toxic horizon's label) and ``rows``: per level (0, 1, ...; then
        ``explicit``) ``level`` (-1: explicit), ``label``, ``orders_sent``, ``sent_qty``
        (None without an order log), ``count``, ``qty``, ``maker_count``, ``taker_count``,
        ``fill_rate``, ``spread_capture`` (money) and ``spread_capture_half_ticks``
        (exact), ``fees``, ``effective_ticks`` (stats), ``toxic_share`` and ``markouts``
        (horizon label to :func:`~mmsim.report.markouts.group_stats`). None when the run
        used one level and no explicit order.
    """
    key = level_keys(f["level"], f["order_type"])
    sent = _sent(orders)
    used = set(np.unique(key).tolist())
    if sent is not None:
        used |= set(np.unique(sent[0]).tolist())
    if not any(k != 0 for k in used):
        return None
    hs_all = list(hs) + ([toxic] if toxic not in hs else [])
    jt = col[toxic]
    rows = []
    for k in sorted(used, key=lambda k: (k == EXPLICIT, k)):
        m = key == k
        qty = f["qty"][m]
        filled = isum(qty)
        n_sent = sent_qty = None
        if sent is not None:
            mine = sent[0] == k
            n_sent, sent_qty = int(mine.sum()), isum(sent[1][mine])
        sc2 = dot(eff2[m], qty)  # exact (docs/reports.md, "Exact arithmetic")
        tox = m & ok[:, jt]
        rows.append({
            "level": int(k),
            "label": "explicit" if k == EXPLICIT else str(k),
            "orders_sent": n_sent,
            "sent_qty": sent_qty,
            "count": int(m.sum()),
            "qty": filled,
            "maker_count": int((m & f["maker"]).sum()),
            "taker_count": int((m & ~f["maker"]).sum()),
            "fill_rate": filled / sent_qty if sent_qty else None,
            "spread_capture": sc2 * tick_value / 2.0,
            "spread_capture_half_ticks": sc2,
            "fees": float(np.sum(f["fee"][m])),
            "effective_ticks": summarize(as_float(eff2[m]) / 2.0, confidence),
            "toxic_share": float((mk2[tox, jt] < 0).mean()) if tox.any() else None,
            "markouts": {h.label: group_stats(m, mk2[:, col[h]], ok[:, col[h]], past[:, col[h]], f, bps_scale,
                                              tick_value, confidence) for h in hs_all},
        })
    return {"horizon": toxic.label, "rows": rows}
