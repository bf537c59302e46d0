"""Which metrics a sweep's table and plots show, in which order, under which names, and how a value reads."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .baseline import METRIC_LABELS, PNL_METRIC
from .labels import _canonical, _short, display_label, is_duration_key

__all__ = ["COMPARED_NAMES", "METRIC_NAMES", "STALE_SHARE", "UNIT_DECIMALS", "metric_decimals", "metric_name", "metric_scale",
           "metric_title", "pnl_span"]

#: The share of the classified maker fills that met a stale book (the report's ``stale_book.share``, a fraction;
#: docs/reports.md, "Fills on a stale book"). A point whose report computed it shows it, 0 included (on L3 data
#: it is 0 by construction: each execution updates the book); a point whose report has none (no classified maker
#: fill, a report on other events, a record from before it was kept) reads ``–`` and is not drawn. The column and
#: panel appear only when some point's share is above 0 (a sweep of L3 stores would show a column of zeros).
STALE_SHARE = "stale_book.share"

# Metrics the table and plots show first, in this order, when a run reports them.
_HEADLINE = ("pnl.total", "pnl.spread_capture", "pnl.inventory", "pnl.fees", "fills.count", "toxic_share",
             "presence_two_sided", STALE_SHARE)

#: Each metric's name and unit, as a plot's panel title reads it (``PnL (quote ccy)``, ``Toxic fills (%)``): the one
#: table of them. A unit of ``%`` is a fraction the plot draws in percent (results.csv keeps the fraction). The
#: markouts (``Markout 1s (ticks)``) and the differences from a baseline (``Δ markout 1s (ticks/lot)``) are named
#: by :func:`metric_title` from :data:`COMPARED_NAMES`.
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "pnl.total": ("PnL", "quote ccy"),
    "pnl.spread_capture": ("Spread capture", "quote ccy"),
    "pnl.inventory": ("Inventory PnL", "quote ccy"),
    "pnl.fees": ("Fees", "quote ccy"),
    "fills.count": ("Fills", "count"),
    "toxic_share": ("Toxic fills", "%"),
    "presence_two_sided": ("Two-sided presence", "%"),
    STALE_SHARE: ("Fills on a stale book", "%"),
}

#: The quantities compared with a baseline (``vs_baseline.<q>``): name and unit, as ``mmsim compare`` measures them.
COMPARED_NAMES: dict[str, tuple[str, str]] = {
    "spread_capture": ("Δ spread capture", "ticks/lot"),
    "pnl_per_day": ("Δ PnL per day", "quote ccy"),
    "two_sided": ("Δ two-sided presence", "pp"),
}


def metric_name(m: str) -> tuple[str, str]:
    """A plotted metric's name and unit (:data:`METRIC_NAMES`, :data:`COMPARED_NAMES`; a markout in ticks)."""
    if _is_markout(m):
        return f"Markout {m[len('markout.'):-len('.mean_ticks')]}", "ticks"
    if m.startswith(_VS):
        q = m[len(_VS):]
        if q.startswith("markout@"):
            return f"Δ markout {q[len('markout@'):]}", "ticks/lot"
        return COMPARED_NAMES.get(q, (f"Δ {q}", ""))
    return METRIC_NAMES.get(m, (m, ""))


def metric_title(m: str, rows: Sequence[Mapping[str, Any]] = ()) -> str:
    """``PnL (quote ccy)``, ``Toxic fills (%)``, ``Markout 1s (ticks)``, ``Δ markout 1s (ticks/lot)``; the PnL
    difference over the span of ``rows``' data when under a day (:func:`pnl_span`): ``Δ PnL over 5m46s (quote ccy)``."""
    name, unit = metric_name(m)
    if m == _VS + PNL_METRIC:
        name = f"Δ {pnl_span(rows)[1]}"
    return f"{name} ({unit})" if unit else name


def pnl_span(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """What the PnL difference of ``rows`` is over, short and long: ``PnL/day`` and ``PnL per day``, or on less
    than a day of data (one day of data, the report's ``risk.n_days``, over a span under a day) the span, as the
    report's Sharpe row names it: ``PnL (over 5m46s)`` and ``PnL over 5m46s`` (the figure is the whole span's
    PnL, not scaled to a day). Points on different spans or on more days besides: ``PnL (per day; under a day:
    over its span)``. Rows recorded without their days of data read per day."""
    from ..analysis.comparison import pnl_name

    # Each row's PnL as mmsim compare names it (pnl_name: the one rule); rows recorded without their days read per day.
    names = {pnl_name(n, ns if isinstance(ns, int) else 0)
             for n, ns in ((r.get("vs_baseline_n_days"), r.get("vs_baseline_span_ns")) for r in rows)
             if isinstance(n, int) and n >= 1}
    spans = {x for x in names if x != "PnL per day"}
    if not spans:
        return "PnL/day", "PnL per day"
    if len(names) == 1:
        (long,) = spans
        return f"PnL ({long[len('PnL '):]})", long
    return ("PnL (per day; under a day: over its span)",) * 2


#: A table cell's decimals by its metric's unit: a fixed rule of the metric, so a column reads the same whatever
#: other points the sweep holds (money to the cent, percentages to 0.01, markouts to 0.001 tick, counts whole).
UNIT_DECIMALS = {"quote ccy": 2, "%": 2, "pp": 2, "ticks": 3, "ticks/lot": 3, "count": 0}


def metric_decimals(m: str) -> int | None:
    """The decimals of a metric's table cells (:data:`UNIT_DECIMALS` of its unit); None for a metric with no unit."""
    return UNIT_DECIMALS.get(metric_name(m)[1])


def metric_scale(m: str) -> float:
    """What a plot multiplies the metric's values by: 100 for a fraction drawn in percent (or a difference of
    fractions in percentage points), else 1."""
    return 100.0 if metric_name(m)[1] in ("%", "pp") else 1.0


def _metric_columns(rows: Sequence[Mapping[str, Any]], grid_keys: Sequence[str]) -> list[str]:
    """Metric names to show: the headline ones first, then markouts, in the run's order."""
    skip = set(grid_keys) | {"id", "digest", "events_digest", "index", "repeat", "seed", "status", "n_events", "elapsed_s", "error_type",
                             "error_message"}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in skip and k not in names)
    numeric = [n for n in names if any(isinstance(r.get(n), (int, float)) and not isinstance(r.get(n), bool)
                                       for r in rows)]
    if not any(_positive(r.get(STALE_SHARE)) for r in rows):  # zeros only (L3 stores): nothing to show
        numeric = [n for n in numeric if n != STALE_SHARE]
    head = [n for n in _HEADLINE if n in numeric]
    marks = [n for n in numeric if _is_markout(n) and n not in head]
    return head + marks


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _is_markout(name: str) -> bool:
    """The mean markout in ticks at one horizon (``markout.<h>.mean_ticks``, from Report.flat)."""
    return name.startswith("markout.") and name.endswith(".mean_ticks")


#: Row columns of a point's difference from its baseline (:func:`mmsim.sweep.baseline.columns`).
_VS = "vs_baseline."


def _compared(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The quantities compared with the baseline (``markout@<h>``..., ``spread_capture``, ``pnl_per_day``)."""
    names: list[str] = []
    for r in rows:
        names.extend(k[len(_VS):] for k in r if k.startswith(_VS) and k.count(".") == 1 and k[len(_VS):] not in names)
    return names


def _compared_header(m: str, short: bool, rows: Sequence[Mapping[str, Any]] = ()) -> str:
    if m == PNL_METRIC:
        return "Δ " + pnl_span(rows)[0 if short else 1]
    if m.startswith("markout@"):
        return f"Δ {'mk' if short else 'markout'} {m[len('markout@'):]}"
    return "Δ " + ((METRIC_LABELS.get(m, m)) if short else m.replace("_", " ").replace("pnl", "PnL"))


def _header(name: str) -> str:
    return f"markout {name[len('markout.'):-len('.mean_ticks')]}" if _is_markout(name) else name


def _plot_metrics(cols: Sequence[str]) -> list[str]:
    return [c for c in cols if c in ("pnl.total", "toxic_share", "presence_two_sided", STALE_SHARE) or _is_markout(c)]


def _fmt(v: Any, key: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}"
    return _short(display_label(v, key))


def _value_labels(values: Sequence[Any], width: int = 28, key: str = "") -> list[str]:
    """Labels for one column of grid values (:func:`~mmsim.sweep.grid.display_label`): a
    strategy section by its class name alone when that already tells the rows apart, else
    with its parameters; a latency as ``5ms`` or ``lognormal(1ms, 0.5)``."""
    labels = [_fmt(v, key) if not isinstance(v, (str, Mapping, list)) and not is_duration_key(key)
              else _short(display_label(v, key), width) for v in values]
    if all(isinstance(v, Mapping) and isinstance(v.get("path"), str) for v in values):
        names = [_short(v["path"]) for v in values]
        by_name: dict[str, set[str]] = {}
        for n, v in zip(names, values):
            by_name.setdefault(n, set()).add(_canonical(v))
        if all(len(c) == 1 for c in by_name.values()):
            labels = names
    return labels


# Terminal column titles (the HTML page keeps the full metric names).
_SHORT_HEADER = {"pnl.total": "PnL", "pnl.spread_capture": "spread", "pnl.inventory": "inventory",
                 "pnl.fees": "fees", "fills.count": "fills", "toxic_share": "toxic",
                 "presence_two_sided": "2-sided", STALE_SHARE: "stale"}
