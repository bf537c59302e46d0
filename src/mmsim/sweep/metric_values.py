"""What a sweep record's metric values may be: what a run writes (:meth:`mmsim.report.Report.flat` through
:func:`mmsim._json.json_clean`), checked when a resumed sweep reads ``results.jsonl`` back and when a custom
``point_fn``'s figures are written."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["bad_metric"]


# What a run writes for each metric (Report.flat, through json_clean: a float that is not finite is written null).
# A flag: true (the PnL parts reconcile, or the report refuses). Counts: whole numbers of 0 or more. The figures
# every run has (its PnL, its fills) are never null; any other figure is null where it is undefined (no fills: no
# toxic share, no markout mean; no order log: no orders sent). A metric not named here (a record of another
# version) is a finite number, a flag or null.
_FLAGS = frozenset({"pnl.reconciled"})
_COUNTS = frozenset({"fills.count", "fills.buy_count", "fills.sell_count", "fills.maker_count", "fills.taker_count",
                     "fills.orders_sent", "fills.cancels_sent", "fills.rejects", "presence_pulls_bid",
                     "presence_pulls_ask", "stale_book.count"})
_NEVER_NULL = frozenset({"pnl.total", "pnl.spread_capture", "pnl.inventory", "pnl.fees", "pnl.mark_to_mid",
                         "pnl.cash", "pnl.position", "pnl.reconciled", "fills.count",
                         "fills.buy_count", "fills.sell_count", "fills.maker_count", "fills.taker_count", "fills.qty",
                         "fills.maker_qty", "fills.taker_qty", "fills.turnover"})


def _metric_kind(name: str) -> str:
    if name in _FLAGS:
        return "flag"
    if name in _COUNTS or (name.startswith("markout.") and name.endswith(".n")):
        return "count"
    return "number" if name in _NEVER_NULL or _known_metric(name) else "any"


def _known_metric(name: str) -> bool:
    return name.startswith(("pnl.", "fills.", "markout.", "presence_", "stale_book.", "toxic_share"))


def bad_metric(name: str, value: Any) -> str | None:
    """Why ``value`` (as JSON reads it back) is not what a run writes for the metric ``name``; None when it is.

    A resumed sweep refuses such a record as one of the wrong shape (:func:`mmsim.sweep.read_results`): it was
    shown as the point's figure (a hand-edited ``"pnl.total": "12"`` read 12 in the table) or as ``–`` under an
    ``ok`` status (NaN, Infinity, ``1e400``). A custom ``point_fn``'s metrics are held to it when written, so a
    sweep can always read its own records back. Returns the reason as a clause: ``its metric "pnl.total" is "12"
    (a string), not what a run writes there (a finite number)``."""
    kind = _metric_kind(name)
    nullable = name not in _NEVER_NULL
    if value is None and nullable:
        return None
    # an int is exact whatever its size (math.isfinite(10**400) raised OverflowError)
    is_num = isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and math.isfinite(value)
    if kind == "flag":
        ok, want = isinstance(value, bool), "true or false"
    elif kind == "count":
        ok, want = isinstance(value, int) and not isinstance(value, bool) and value >= 0, "a whole number of 0 or more"
    elif kind == "number":
        ok, want = is_num, "a finite number"
    else:
        ok, want = is_num or isinstance(value, bool), "a finite number, true or false"
    if ok:
        return None
    if nullable:
        want += ", or null where it is undefined"
    return f"its metric {json.dumps(name)} is {value_text(value)}, not what a run writes there ({want})"


def value_text(value: Any) -> str:
    """A value read back from a record as its message quotes it: its JSON and what it is (``"12" (a string)``)."""
    if isinstance(value, float) and not math.isfinite(value):
        # json reads 1e400 as Infinity: say so, the line does not show that word
        return ("NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity (the word, or a number past "
                "the largest float, 1.8e308, as JSON reads it)")
    kind = {str: "a string", float: "a fraction" if isinstance(value, float) and not value.is_integer() else
            "a number with a decimal point or exponent", dict: "a JSON object", list: "a JSON list"}.get(type(value))
    text = json.dumps(value)
    text = text if len(text) <= 40 else text[:40] + "..."
    return f"{text} ({kind})" if kind else text
