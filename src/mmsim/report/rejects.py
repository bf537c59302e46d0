"""Rejected orders and cancels by reason, from a run's order log, and the warnings a reject storm deserves.

The order log (:data:`mmsim.records.ORDER_LOG_DTYPE`) has a ``REJECTED`` row
for every new order the exchange refused and a ``CANCEL_REJECTED`` row for
every cancel that came too late, each with a :class:`~mmsim.records.RejectReason`.
A run whose rejects pass a share of what it sent gets a warning line in the
terminal, report.json (``warnings``) and the HTML, saying what it means and
what to change (docs/reports.md, "Rejects").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..records import OrderEvent, RejectReason

__all__ = ["CANCEL_REJECT_WARN_SHARE", "ORDER_REJECT_WARN_SHARE", "reason_name", "rejects_block", "reject_warnings"]

#: A reason that rejected more than this share of the new orders sent earns a warning.
ORDER_REJECT_WARN_SHARE = 0.05
#: A reason that rejected more than this share of the cancels sent earns a warning.
CANCEL_REJECT_WARN_SHARE = 0.25

_ADVICE = {
    ("orders", "POST_ONLY_WOULD_CROSS"): (
        "were rejected as post-only crossing: the quotes crossed the book when they reached the exchange. "
        "Check the quote prices against the best bid and ask the strategy sees (a bid at or above the best "
        "ask crosses), and the feed and entry latency (a stale view quotes through a book that has moved); "
        "with post_only: false they would take liquidity instead"),
    ("orders", "HALTED"): (
        "arrived while the venue was halted (a STATUS event of the data): a halted venue takes no orders. "
        "A strategy can read view.trading_status and hold its quotes until trading or quoting resumes"),
    ("orders", "NOT_TRADING"): (
        "would have traded while the venue took quotes only (TradingStatus.QUOTING): nothing trades "
        "until trading resumes; post-only quotes that do not cross are accepted and rest"),
    ("cancels", "ORDER_DONE"): (
        "arrived after their order was already filled or cancelled: the requotes race the fills at this "
        "latency. A slower requote rule (decide_every) or a shorter entry latency sends fewer late cancels; "
        "the fills they cost are under cancel-race"),
}


def reason_name(code: int) -> str:
    """``POST_ONLY_WOULD_CROSS`` for a known :class:`~mmsim.records.RejectReason` code, else ``reason_<code>``."""
    try:
        return RejectReason(int(code)).name
    except ValueError:
        return f"reason_{int(code)}"


def _by_reason(reasons: np.ndarray) -> dict[str, int]:
    codes, counts = np.unique(reasons, return_counts=True)
    return {reason_name(int(c)): int(n) for c, n in zip(codes.tolist(), counts.tolist())}


def rejects_block(orders: np.ndarray) -> dict[str, Any] | None:
    """The ``rejects`` section of report.json; None without an order log.

    Returns
    -------
    dict or None
        ``orders_sent``, ``cancels_sent``; ``orders`` and ``cancels``: reason
        name -> count of ``REJECTED`` / ``CANCEL_REJECTED`` rows; ``order_share``
        and ``cancel_share`` (all rejects over what was sent, null when nothing
        was sent); ``warn_shares`` (the thresholds of :func:`reject_warnings`).
    """
    names = orders.dtype.names or ()
    if "event" not in names:  # an empty order log is one: nothing sent, nothing rejected
        return None
    ev = orders["event"]
    reason = orders["reason"] if "reason" in names else np.zeros(len(orders), dtype=np.uint8)
    sent = int((ev == int(OrderEvent.SENT)).sum())
    cancels = int((ev == int(OrderEvent.CANCEL_SENT)).sum())
    rej = _by_reason(reason[ev == int(OrderEvent.REJECTED)])
    crej = _by_reason(reason[ev == int(OrderEvent.CANCEL_REJECTED)])
    return {
        "orders_sent": sent,
        "cancels_sent": cancels,
        "orders": rej,
        "cancels": crej,
        "order_share": sum(rej.values()) / sent if sent else None,
        "cancel_share": sum(crej.values()) / cancels if cancels else None,
        "warn_shares": {"orders": ORDER_REJECT_WARN_SHARE, "cancels": CANCEL_REJECT_WARN_SHARE},
    }


def reject_warnings(block: dict[str, Any] | None) -> list[str]:
    """One line per reason whose rejects pass its share of what was sent: what it means, what to change."""
    if not block:
        return []
    out = []
    for what, total_key, limit in (("orders", "orders_sent", ORDER_REJECT_WARN_SHARE),
                                   ("cancels", "cancels_sent", CANCEL_REJECT_WARN_SHARE)):
        total = block[total_key]
        for name, n in block[what].items():
            if not total or n / total <= limit:
                continue
            share = f"{100.0 * n / total:.0f}%" if n / total >= 0.01 else f"{100.0 * n / total:.2g}%"
            advice = _ADVICE.get((what, name), f"were rejected with reason {name} (see mmsim.records.RejectReason)")
            noun = "orders" if what == "orders" else "cancels"
            out.append(f"{share} of {noun} ({n:,} of {total:,}) {advice}.")
    return out
