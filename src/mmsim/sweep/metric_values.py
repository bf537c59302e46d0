"""What a sweep record's metric values may be: what a run writes (:meth:`mmsim.report.Report.flat` through
:func:`mmsim._json.json_clean`), checked when a resumed sweep reads ``results.jsonl`` back and when a custom
``point_fn``'s figures are written."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["bad_metric", "metrics_problem"]


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


#: Figures of one run that are shares, each in [0, 1] (docs/reports.md).
_SHARES = ("toxic_share", "toxic_share_qty", "presence_bid", "presence_ask", "presence_two_sided", "stale_book.share")


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def metrics_problem(m: Mapping[str, Any]) -> str | None:
    """Why a record's metrics, each of its form (:func:`bad_metric`), break what one run guarantees between its
    figures (``Report.flat``; docs/reports.md), else None: ``pnl.reconciled`` true (a run whose parts do not
    reconcile is refused by its report); ``pnl.total`` exactly ``pnl.spread_capture + pnl.inventory - pnl.fees``
    (the expression the report evaluates, on the same floats, which JSON writes and reads back exactly), and
    ``pnl.mark_to_mid`` (cash plus the position at the end mid, computed apart) equal to it within 1e-9 of the
    largest part; ``fills.count`` the sum of ``buy_count`` and ``sell_count`` and of ``maker_count`` and
    ``taker_count``, ``fills.qty`` of ``maker_qty`` and ``taker_qty``; each markout's ``n`` at most
    ``fills.count`` and its ``mean_ticks`` within its ``[ci_low, ci_high]``; the shares (toxic, presence, stale
    book) in [0, 1], the two-sided presence at most each side's, the stale-book count at most the maker fills and
    its share 0 exactly when the count is; ``fills.fill_rate`` ``qty / quoted_qty`` and ``fills.order_to_trade``
    ``orders_sent / count`` (breaker31). A relation is checked where its figures are all numbers (a custom ``point_fn`` writing some of
    them is held to the ones it writes). breaker29: a hand-edited ``"pnl.total": 1.0`` of parts adding up to
    48,531.27, ``"fills.count": 5`` of 4,059 buys and sells, and a markout outside its own interval resumed as the
    run's figures."""
    def have(*names: str) -> bool:
        return all(_num(m.get(n)) for n in names)

    if m.get("pnl.reconciled") is False:
        return ('its metric "pnl.reconciled" is false, which a run never writes (its PnL parts reconcile, or its '
                "report refuses the run)")
    parts = ("pnl.spread_capture", "pnl.inventory", "pnl.fees")
    if have("pnl.total", *parts):
        sc, inv, fees = (m[k] for k in parts)
        if m["pnl.total"] != sc + inv - fees:
            return (f'its metric "pnl.total" is {m["pnl.total"]!r}, but its parts give {sc + inv - fees!r} '
                    '("pnl.spread_capture" + "pnl.inventory" - "pnl.fees", as a run computes it)')
        if have("pnl.mark_to_mid") and abs(m["pnl.mark_to_mid"] - m["pnl.total"]) > 1e-9 * max(
                1.0, abs(sc), abs(inv), abs(fees)):
            return (f'its metric "pnl.mark_to_mid" is {m["pnl.mark_to_mid"]!r}, but "pnl.total" is '
                    f'{m["pnl.total"]!r}: a run\'s PnL marked to the end mid is its total')
    for total, a, b in (("fills.count", "fills.buy_count", "fills.sell_count"),
                        ("fills.count", "fills.maker_count", "fills.taker_count"),
                        ("fills.qty", "fills.maker_qty", "fills.taker_qty")):
        if have(total, a, b) and m[total] != m[a] + m[b]:
            return (f'its metric "{total}" is {m[total]!r}, but "{a}" {m[a]!r} + "{b}" {m[b]!r} is {m[a] + m[b]!r}: '
                    "a run counts each fill once, in both")
    for name, v in m.items():
        if name.startswith("markout.") and name.endswith(".n") and _num(v) and have("fills.count") \
                and v > m["fills.count"]:
            return (f'its metric "{name}" is {v!r}, more markouts than its {m["fills.count"]!r} fills '
                    '("fills.count")')
        if name.startswith("markout.") and name.endswith(".mean_ticks"):
            h = name[: -len(".mean_ticks")]
            if have(name, h + ".ci_low", h + ".ci_high") and not m[h + ".ci_low"] <= v <= m[h + ".ci_high"]:
                return (f'its metric "{name}" is {v!r}, outside its own interval [{m[h + ".ci_low"]!r}, '
                        f'{m[h + ".ci_high"]!r}] ("{h}.ci_low", "{h}.ci_high"), which a run centres on it')
    for name in _SHARES:
        if have(name) and not 0 <= m[name] <= 1:
            return f'its metric "{name}" is {m[name]!r}, not a share in [0, 1]'
    # Ratios a run works out from counts the record keeps (docs/reports.md, "Fills"): the same division again.
    for ratio, num, den in (("fills.fill_rate", "fills.qty", "fills.quoted_qty"),
                            ("fills.order_to_trade", "fills.orders_sent", "fills.count")):
        if have(ratio, num, den) and m[den] and not math.isclose(m[ratio], m[num] / m[den], rel_tol=1e-12):
            return (f'its metric "{ratio}" is {m[ratio]!r}, but "{num}" / "{den}" is {m[num] / m[den]!r}: a run '
                    "writes that ratio")
    if have("presence_two_sided", "presence_bid", "presence_ask") and m["presence_two_sided"] > min(
            m["presence_bid"], m["presence_ask"]) + 1e-12:
        return (f'its metric "presence_two_sided" is {m["presence_two_sided"]!r}, above "presence_bid" '
                f'{m["presence_bid"]!r} or "presence_ask" {m["presence_ask"]!r}: quoting both sides is quoting each')
    if have("stale_book.count", "fills.maker_count") and m["stale_book.count"] > m["fills.maker_count"]:
        return (f'its metric "stale_book.count" is {m["stale_book.count"]!r}, more than its '
                f'{m["fills.maker_count"]!r} maker fills ("fills.maker_count"): it counts maker fills')
    if have("stale_book.count", "stale_book.share") and (m["stale_book.count"] == 0) != (m["stale_book.share"] == 0):
        return (f'its metric "stale_book.share" is {m["stale_book.share"]!r} with "stale_book.count" '
                f'{m["stale_book.count"]!r}: a share is 0 exactly when the count is')
    return None
