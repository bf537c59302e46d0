"""The exact PnL split (spread capture + inventory - fees), inventory, equity, risk and activity figures of a run.

Every PnL part is an exact integer of half-tick·lots until the one conversion to
currency; the parts reconcile with the result's own cash and position (a DataError
otherwise). Formulas: ``docs/reports.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..config import format_ns
from ..errors import DataError
from ..records import OrderEvent
from .._days import NS_PER_DAY as _NS_PER_DAY
from .._days import n_days as days_of_data
from .._exact import as_float, dot, isum, mul, sub
from .equity import equity_at, max_drawdown

__all__: list[str] = []


#: Sharpe is computed on an equity grid of at most this many points (the
#: grid's step, ``sample_every``, is widened if a long run would exceed it).
_MAX_GRID = 2_000_000


def _pnl(
    f: Mapping[str, Any],
    m0_2: np.ndarray,
    mid2_ff: np.ndarray,
    ffvalid: np.ndarray,
    result: Any,
    tick_value: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Exact PnL split in half-tick·lots; see the module docstring and docs/reports.md."""
    side, qty, price = f["side"], f["qty"], f["price"]
    n = f["n"]
    if ffvalid[-1]:
        end2 = int(mid2_ff[-1])
    elif n:
        end2 = int(m0_2[-1])  # no two-sided book ever: mark at the last fill's mid
    else:
        end2 = 0  # no mid and no position to mark: end_mid is null (a trades-only store showed "0 @ 0.0 ticks")
    pos = f["position_after"]
    # Python ints: exact whatever the size of the run (no int64 wrap; docs/reports.md, "Exact arithmetic").
    cash_fills = -dot(mul(side, price), qty)
    cash_ticks = getattr(result, "cash_ticks", None)
    if cash_ticks is not None and int(cash_ticks) != cash_fills:
        raise DataError(
            f"report: the fills add up to cash of {cash_fills} tick·lots but result.cash_ticks is "
            f"{int(cash_ticks)}; the fills and the result do not belong together"
        )
    position = int(pos[-1]) if n else 0

    sc_each = mul(mul(side, sub(sub(m0_2, price), price)), qty).astype(object)
    next_m = np.append(m0_2[1:], end2) if n else m0_2
    inv_each = mul(pos, sub(next_m, m0_2)).astype(object)
    spread2 = int(np.sum(sc_each)) if n else 0
    inv2 = int(np.sum(inv_each)) if n else 0
    # Independent: cash plus position marked to the end mid, from the result's own totals.
    total2 = 2 * cash_fills + position * end2
    if spread2 + inv2 != total2:  # algebraically impossible; guards the implementation
        raise DataError(
            f"report: PnL parts do not reconcile: spread {spread2} + inventory {inv2} != total {total2} half-tick·lots"
        )
    fees = float(np.sum(f["fee"])) if n else 0.0
    res_fees = getattr(result, "fees", None)
    if res_fees is not None and not math.isclose(float(res_fees), fees, rel_tol=1e-9, abs_tol=1e-9):
        raise DataError(f"report: the fills' fees add up to {fees!r} but result.fees is {float(res_fees)!r}")
    half = tick_value / 2.0
    spread_capture = spread2 * half
    inventory = inv2 * half
    pnl = {
        "total": spread_capture + inventory - fees,
        "spread_capture": spread_capture,
        "inventory": inventory,
        "fees": fees,
        "mark_to_mid": total2 * half - fees,
        "cash": cash_fills * tick_value - fees,
        "position": position,
        "end_mid": end2 / 2.0 if ffvalid[-1] or n else None,
        "half_ticks": {"spread_capture": spread2, "inventory": inv2, "total_before_fees": total2},
        "reconciled": True,
    }
    # Spread capture and fees up to and with each fill: pnl.png's parts (_parts_on_grid).
    parts = {
        "spread": as_float(np.cumsum(sc_each)) * half if n else np.zeros(0),
        "fees": np.cumsum(f["fee"].astype(np.float64)),
    }
    return pnl, parts


def _parts_on_grid(f_ts: np.ndarray, cum: Mapping[str, np.ndarray], pnl: Mapping[str, Any], grid: np.ndarray,
                   equity: np.ndarray) -> dict[str, np.ndarray]:
    """pnl.png's parts at the equity's grid times: spread capture and fees of the fills stamped at or
    before each time (the last point: the totals, fills after the last event too), and inventory the
    rest, ``equity - spread + fees``, so the parts add up to the plotted equity at every point (they
    stepped at fills only, and between fills their sum was not the equity: ESH4 ~23:12, 945 against 1,100).

    ``cum``: :func:`_pnl`'s parts (spread capture and fees up to each fill).
    """
    k = np.searchsorted(np.asarray(f_ts, dtype=np.int64), grid, side="right")
    spread = np.concatenate([[0.0], cum["spread"]])[k]
    fees = np.concatenate([[0.0], cum["fees"]])[k]
    spread[-1], fees[-1] = pnl["spread_capture"], pnl["fees"]
    return {"spread": spread, "inventory": equity - spread + fees, "fees": fees}


def _inventory(f: Mapping[str, Any], t0: int, t1: int, limit: int | None,
               status: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """The ``inventory`` section: time-weighted over the span ``[t0, t1]``, and over its trading time.

    ``status``: :func:`mmsim.report.presence.trading_steps` of the events. When the venue was not
    trading for part of the span (a pre-open, a halt), ``trading`` holds ``mean_abs``, ``mean`` and
    ``time_at_limit`` weighted over the trading time alone (``trading_ns``), as quote presence is;
    else None (the span's figures are the trading time's). ``max_abs`` is over the whole span:
    a position held through a halt is still at risk.
    """
    n = f["n"]
    span = max(t1 - t0, 0)
    out: dict[str, Any] = {"mean_abs": 0.0, "mean": 0.0, "max_abs": 0, "final": 0, "limit": limit,
                           "time_at_limit": None if limit is None else 0.0, "from_ts": int(t0), "to_ts": int(t1),
                           "trading": None}
    trading_ns = span
    if status is not None and span > 0:
        from .presence import _live_ns

        trading_ns = int(_live_ns(status[0], status[1], np.array([t1], dtype=np.int64))[0])
    if trading_ns != span:
        none = trading_ns == 0  # never trading: no time to weigh over (presence reads `–` too), fills or not
        out["trading"] = {"mean_abs": None if none else 0.0, "mean": None if none else 0.0,
                          "time_at_limit": None if limit is None or none else 0.0, "trading_ns": trading_ns}
    if n == 0:
        return out
    pos = f["position_after"]
    # Position is held from each fill until the next (or the end of the data).
    start = np.clip(f["exch_ts"], t0, t1)
    dur = np.diff(np.append(start, t1)).astype(np.float64)
    abs_pos = np.abs(pos.astype(np.float64))  # np.abs of an int64 position of -2^63 would wrap
    out["max_abs"] = max(abs(int(pos.min())), abs(int(pos.max())))
    out["final"] = int(pos[-1])
    if span > 0:
        out["mean_abs"] = float((abs_pos * dur).sum() / span)
        out["mean"] = float((pos * dur).sum() / span)
        if limit is not None:
            out["time_at_limit"] = float(dur[abs_pos >= limit].sum() / span)
    if out["trading"] is not None and trading_ns > 0 and status is not None:
        from .presence import _live_ns

        # Each holding's trading ns: the trading time from t0 to its end less that to its start.
        tdur = np.diff(_live_ns(status[0], status[1], np.append(start, t1).astype(np.int64)))
        tr = out["trading"]
        tr["mean_abs"] = float((abs_pos * tdur).sum() / trading_ns)
        tr["mean"] = float((pos * tdur).sum() / trading_ns)
        if limit is not None:
            tr["time_at_limit"] = float(tdur[abs_pos >= limit].sum() / trading_ns)
    elif out["trading"] is not None:  # never trading: no time to weigh over
        out["trading"].update(mean_abs=None, mean=None, time_at_limit=None)
    return out


def _risk(
    f: Mapping[str, Any], tick_value: float, mid: tuple[np.ndarray, np.ndarray, np.ndarray], total: float,
    t0: int, t1: int, cfg: Any, anchor: int | None = None, interval: int | None = None,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Sharpe, max drawdown and PnL by day from the fills and the exchange mid, and the equity grid for pnl.png.

    ``mid`` is ``(exch_ts, mid2_ff, ffvalid)`` of every event; ``total`` the PnL total. Equity at a
    time ``t`` is marked from the fills and events stamped at or before ``t``; the grid's last point
    (``t1``, the last event) is the end of the run: ``total``, to the last bit (fills after the last
    event too). The grid's points are ``interval`` (default ``sample_every``) apart from ``anchor``, the market's start (the
    first event after an opening snapshot, default ``t0``), so stamping the snapshot earlier or later
    moves no point; the snapshot's stretch before it (``t0`` to ``anchor``) is part of the first
    interval, not one of its own (alone it was a near-zero interval: a LOBSTER day's 0.17 s before its
    first message read Sharpe -1.00 for any run with ``sample_every`` longer than the day; left out, a
    fill in it, a taker order against the snapshot's book, was in no interval). The intervals add up
    to ``total``. Fewer than two give no Sharpe. Nothing reads the engine's samples, so no figure depends on their
    phase (docs/reports.md, "Inventory and risk").
    """
    exch_ts, mid2_ff, ffvalid = mid
    span = max(int(t1) - int(t0), 0)
    out: dict[str, Any] = {"sharpe_daily": None, "sharpe_interval": None, "max_drawdown": 0.0,
                           "pnl_by_day": {}, "n_days": 0, "span_ns": span}
    out["max_drawdown"] = max_drawdown(f, tick_value, exch_ts, mid2_ff, ffvalid)
    # The interval: the report's own (``interval``, ``mmsim report --sharpe-interval``), else the engine's
    # sample_every, as before it was a setting of its own (the equity is marked here, not sampled).
    step = int(interval or getattr(cfg, "sample_every", 1_000_000_000) or 1_000_000_000)
    # The dates the market's events touch (1 at one instant): from the grid's start, the market's (an
    # opening snapshot stamped on the day before adds no day). compare's and a sweep's "per day"
    # divide by the same count (analysis.buckets).
    out["n_days"] = n_days = days_of_data(t0, t1, exch_ts[exch_ts >= t0])
    if span == 0:
        return out, np.array([t1], dtype=np.int64), np.array([total])
    step = max(step, -(-span // _MAX_GRID))
    start = t0 if anchor is None else min(max(int(anchor), t0), t1)
    grid = np.arange(start, t1 + 1, step, dtype=np.int64)
    if start > t0:  # the snapshot's stretch joins the first interval: from t0 to the first point after start
        grid = np.concatenate([np.array([t0], dtype=np.int64), grid[1:]])
    if grid[-1] != t1:
        grid = np.append(grid, t1)
    eg = equity_at(f, tick_value, exch_ts, mid2_ff, ffvalid, grid + 1)  # +1: at or before each grid time
    eg[-1] = total
    # The first interval starts from nothing (equity 0), not from the equity at the grid's first point: a
    # fill before the market's start (a taker order against an opening snapshot set apart) is in it, as in
    # compare's first bucket, so the intervals add up to ``total``.
    d = np.diff(np.concatenate([[0.0], eg[1:]]))
    out["sharpe_interval"] = format_ns(step)
    if d.size >= 2:
        sd = float(np.std(d, ddof=1))
        if sd > 0:
            # Per-interval Sharpe scaled by sqrt(intervals per day of data, mmsim._days.n_days).
            out["sharpe_daily"] = float(np.mean(d) / sd * math.sqrt(d.size / n_days))
    # Each UTC date's PnL: equity at its end (everything stamped before the next midnight; the last
    # date's is the total) less the previous date's, whatever the grid's step.
    days = np.unique(grid // _NS_PER_DAY)
    ends = equity_at(f, tick_value, exch_ts, mid2_ff, ffvalid, (days[:-1] + 1) * _NS_PER_DAY)
    prev = 0.0
    for dkey, end_eq in zip(days, [*ends.tolist(), total]):
        out["pnl_by_day"][str(np.datetime64(int(dkey), "D"))] = end_eq - prev
        prev = end_eq
    return out, grid, eg


def _activity(f: Mapping[str, Any], orders: np.ndarray, tick_value: float) -> dict[str, Any]:
    n = f["n"]
    names = orders.dtype.names or ()
    n_sent: int | None
    sent_qty: int | None
    n_cancel: int | None
    n_reject: int | None
    if "event" in names:  # an order log, even an empty one (a strategy that never quoted sent 0 orders)
        ev = orders["event"]
        sent = ev == int(OrderEvent.SENT)
        n_sent = int(sent.sum())
        sent_qty = isum(orders["qty"][sent])
        n_cancel = int((ev == int(OrderEvent.CANCEL_SENT)).sum())
        n_reject = int((ev == int(OrderEvent.REJECTED)).sum())
    else:
        n_sent = sent_qty = n_cancel = n_reject = None  # no order log: undefined, not zero
    filled = isum(f["qty"])
    maker = f["maker"]
    return {
        "count": n,
        "qty": filled,
        "buy_count": int((f["side"] > 0).sum()),
        "sell_count": int((f["side"] < 0).sum()),
        "maker_count": int(maker.sum()),
        "taker_count": int((~maker).sum()),
        "maker_qty": isum(f["qty"][maker]),
        "taker_qty": isum(f["qty"][~maker]),
        # The traded notional: |price| x qty, as the engine's bps fees (docs/engine.md item 9); a signed sum
        # read -7.0 for fills at -3 and -1 ticks, and 0 for a spread bought at -1 and sold at +1.
        "turnover": float(np.abs(f["price"].astype(np.float64)) @ f["qty"].astype(np.float64) * tick_value),
        "orders_sent": n_sent,
        "quoted_qty": sent_qty,
        "cancels_sent": n_cancel,
        "rejects": n_reject,
        "fill_rate": filled / sent_qty if sent_qty else None,
        "order_to_trade": n_sent / n if n and n_sent is not None else None,
    }


