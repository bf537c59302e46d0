"""A sweep's outputs: the terminal table, one plot per varying key, results.csv and a single-file HTML page."""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._plot import figure, fit_tick_labels, png_bytes
from ..config import parse_duration
from ..errors import ConfigError
from .baseline import METRIC_LABELS
from .cells import column_digits, number_cell, percent_cell, start_decimals
from .grid import Grid
from .labels import _canonical, _short, _value_text, display_label, is_duration_key, latency_positions
from .units import units_lines
from .xscale import duration_scale

__all__ = ["POINT_ID_SHOWN", "SYMLOG_RATIO", "render_html", "render_plots", "rich_table", "sweep_figures",
           "write_report"]

# Metrics the table and plots show first, in this order, when a run reports them.
_HEADLINE = ("pnl.total", "pnl.spread_capture", "pnl.inventory", "pnl.fees", "fills.count", "toxic_share",
             "presence_two_sided")
#: Fractions the tables show in percent (results.csv and results.jsonl keep the fraction).
_PERCENT = ("toxic_share", "presence_two_sided")



def _metric_columns(rows: Sequence[Mapping[str, Any]], grid_keys: Sequence[str]) -> list[str]:
    """Metric names to show: the headline ones first, then markouts, in the run's order."""
    skip = set(grid_keys) | {"id", "digest", "index", "repeat", "seed", "status", "n_events", "elapsed_s", "error_type",
                             "error_message"}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in skip and k not in names)
    numeric = [n for n in names if any(isinstance(r.get(n), (int, float)) and not isinstance(r.get(n), bool)
                                       for r in rows)]
    head = [n for n in _HEADLINE if n in numeric]
    marks = [n for n in numeric if _is_markout(n) and n not in head]
    return head + marks


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


def _compared_header(m: str, short: bool) -> str:
    if m.startswith("markout@"):
        return f"Δ {'mk' if short else 'markout'} {m[len('markout@'):]}"
    return "Δ " + ((METRIC_LABELS.get(m, m)) if short else m.replace("_", " ").replace("pnl", "PnL"))


def _verdict_cell(r: Mapping[str, Any]) -> str:
    """The point's verdict and what it rests on (:func:`~mmsim.sweep.baseline.verdict_on`):
    ``better (spread)``, ``mixed (+spread, −mk 1s)``; ``none real`` and the rest alone."""
    verdict, on = r.get("verdict"), r.get("verdict_on")
    return "–" if not verdict else f"{verdict} ({on})" if on else str(verdict)


def _interval(r: Mapping[str, Any], m: str) -> str:
    """``estimate [ci_low, ci_high]`` of a difference from the baseline."""
    est = r.get(_VS + m)
    if est is None:
        return "–"
    lo, hi = r.get(f"{_VS}{m}.ci_low"), r.get(f"{_VS}{m}.ci_high")
    return f"{_fmt(est)} [{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and hi is not None else f"{_fmt(est)} [no CI]"


def _header(name: str) -> str:
    return f"markout {name[len('markout.'):-len('.mean_ticks')]}" if _is_markout(name) else name


def _plot_metrics(cols: Sequence[str]) -> list[str]:
    return [c for c in cols if c in ("pnl.total", "toxic_share") or _is_markout(c)]


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


def _cell(metric: str, v: Any, digits: int | None = None) -> str:
    """A metric's table cell: the toxic share in percent, as ``mmsim report`` shows it (``57.0%``; results.csv
    and results.jsonl keep the fraction), anything else :func:`_fmt`; ``digits``: the column's
    (:func:`_column_digits`: one number of decimals per column), else 1 decimal of a percent and
    3 significant digits."""
    if metric in _PERCENT and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return percent_cell(float(v), 1 if digits is None else digits)
    if isinstance(v, float) and math.isfinite(v) and digits is not None:
        return number_cell(v, digits)
    return _fmt(v)


def _column_digits(metric: str, values: Sequence[Any]) -> int:
    """The digits of a metric's column: the fewest that tell its distinct values apart (:mod:`.cells`)."""
    if metric in _PERCENT:
        return column_digits(values, percent_cell, 1)
    return column_digits(values, number_cell, start_decimals(values))


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
                 "presence_two_sided": "2-sided"}


def _table_rows(rows: Sequence[Mapping[str, Any]], grid: Grid, *,
                short: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and cells: the grid's keys (and repeat), status, the metrics, then the point's id and digest."""
    keys = list(grid.keys)
    metrics = _metric_columns(rows, keys)
    if short:  # the terminal keeps the total; the PnL split is in the CSV and HTML
        metrics = [m for m in metrics if m not in ("pnl.spread_capture", "pnl.inventory", "pnl.fees")]
    names = [(_SHORT_HEADER.get(m, _header(m).replace("markout ", "mk ")) if short else _header(m)) for m in metrics]
    tail = ["point"] if short else ["point", "digest"]
    compared = _compared(rows) if grid.baseline is not None else []
    verdict = ["verdict"] if grid.baseline is not None else []
    header = (keys + (["repeat"] if grid.repeats > 1 else []) + ["status"] + verdict + names
              + [_compared_header(m, short) for m in compared] + tail)
    # Labels whole: the terminal wraps a long one inside its column rather than cut it.
    columns = [_value_labels([r.get(k) for r in rows], 10_000 if short else 60, k) for k in keys]
    ok = [r for r in rows if r.get("status") == "ok"]
    digits = {m: _column_digits(m, [r.get(m) for r in ok]) for m in metrics}
    body = []
    for i, r in enumerate(rows):
        line = [col[i] for col in columns]
        if grid.repeats > 1:
            line.append(str(r.get("repeat")))
        if r.get("status") == "ok":
            line.append("ok")
            line.extend(_verdict_cell(r) for _ in verdict)
            line.extend(_cell(m, r.get(m), digits[m]) for m in metrics)
            line.extend(_interval(r, m) for m in compared)
        else:
            # The terminal lists each failure's message under the table (a long cell would not fit).
            line.append(str(r.get("error_type")) if short
                        else f"{r.get('error_type')}: {_short(str(r.get('error_message')), 60)}")
            line.extend("–" for _ in verdict + metrics + compared)
        line.append(str(r.get("id"))[:POINT_ID_SHOWN] if short else str(r.get("id")))
        if not short:
            line.append(str(r.get("digest") or "–"))
        body.append(line)
    return header, body


#: Widest a key column of the terminal table gets (a longer label wraps at its spaces).
_KEY_WIDTH = 24

#: Characters of a point's id the terminal table shows (``mmsim sweep --point`` takes any unique prefix).
POINT_ID_SHOWN = 8


def rich_table(rows: Sequence[Mapping[str, Any]], grid: Grid, max_rows: int = 200, width: int | None = None) -> Any:
    """The results as a rich Table (one row per point, short column titles).

    Parameters
    ----------
    rows : list of dict
        What :func:`~mmsim.sweep.run_sweep` returned.
    grid : Grid
        The grid they came from (its varying keys become the first columns).
    max_rows : int
        Show the first this many points (all of them are in results.csv and sweep.html).
    width : int, optional
        The console's width: a wider table is stacked into several, each
        repeating the grid's key columns, so no number is cut or dropped.

    Returns
    -------
    rich.table.Table or rich.console.Group
    """
    from rich.table import Table

    from .._tables import fit_table

    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    warned = units_lines(rows, POINT_ID_SHOWN)  # of every point, shown or not
    title = f"mmsim sweep: {len(rows)} points, {n_fail} failed"
    if len(rows) > max_rows:
        title += f" (first {max_rows} shown; all in results.csv and sweep.html)"
        rows = rows[:max_rows]
    header, body = _table_rows(rows, grid, short=True)
    caption = ("PnL in quote currency (its split: results.csv, sweep.html); toxic = share of fills with a negative "
               "markout at the toxic horizon, in percent (results.csv: a fraction); 2-sided = share of the time with quotes "
               "live on both sides (percent); mk h = mean markout per fill "
               "at h in ticks (+ = good for us); point: the start of the point's id (mmsim sweep GRID --point ID writes its full report)")
    if grid.baseline is not None:
        caption += "; " + _baseline_caption(grid)
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    # The grid's keys wrap at their spaces within 24 columns (a strategy with its parameters, a lognormal
    # latency with its floor); every other cell stays on one line.
    wrap = {"no_wrap": False, "max_width": _KEY_WIDTH, "overflow": "fold"}
    cols = [(h, {"justify": "left", **wrap} if i < len(grid.keys)
             else {"justify": "left" if i <= nk or h == "verdict" or i == len(header) - 1 else "right"})
            for i, h in enumerate(header)]
    # Stacked column by column: status and the headline figures first, then the point, then the markouts.
    marks = [i for i, h in enumerate(header) if h.startswith("mk ")]
    deltas = [i for i, h in enumerate(header) if h.startswith("Δ ")]
    groups = ([[i] for i in range(nk, len(header)) if i not in marks + deltas] + [[m] for m in marks]
              + [[d] for d in deltas])

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, caption=c)

    table = fit_table(make, cols, body, width, keys=nk, groups=groups, title=title, caption=caption)
    failed = [r for r in rows if r.get("status") != "ok"]
    skipped = [r for r in rows if r.get("status") == "ok" and r.get("baseline_note")]
    if not failed and not skipped and not warned:
        return table
    from rich.console import Group
    from rich.text import Text

    lines = [Text(w, style="yellow") for w in warned]
    lines += [Text(f"point {str(r.get('id'))[:POINT_ID_SHOWN]} ({_describe(r, grid)}): {r.get('error_type')}: "
                   f"{r.get('error_message')}", style="red") for r in failed[:_MAX_ERRORS_SHOWN]]
    if len(failed) > _MAX_ERRORS_SHOWN:
        lines.append(Text(f"... and {len(failed) - _MAX_ERRORS_SHOWN} more failures (results.csv, sweep.html)"))
    lines += [Text(f"point {str(r.get('id'))[:POINT_ID_SHOWN]} ({_describe(r, grid)}): not compared: "
                   f"{r.get('baseline_note')}", style="yellow") for r in skipped[:_MAX_ERRORS_SHOWN]]
    if len(skipped) > _MAX_ERRORS_SHOWN:
        lines.append(Text(f"... and {len(skipped) - _MAX_ERRORS_SHOWN} more points not compared (results.csv)"))
    return Group(table, *lines)


def _baseline_caption(grid: Grid) -> str:
    """What the Δ columns and the verdict mean, with the comparison's settings."""
    from ..config import format_ns

    if grid.baseline is None:
        return ""
    opts = grid.baseline.settings
    level = f"{opts.confidence * 100:g}%"
    return (f"Δ = this point − its baseline point, paired over {format_ns(opts.bucket_ns)} buckets, with its {level} "
            f"stationary-bootstrap CI ({opts.n_boot} resamples, seed {opts.seed}; Δ mk and Δ spread per lot, "
            "Σ value·lots / Σ lots as mmsim compare, so with fills of different sizes Δ mk is not the difference of "
            "two mk cells (means per fill); "
            "PnL/day in quote currency; + = the point is better); verdict: better or worse when every difference "
            "whose CI excludes 0 points that way, mixed when both, in brackets the quantities whose CI excludes 0 "
            "(mixed: each with its sign), none real when none, not tested when no "
            "difference has a CI ([no CI]: too few time buckets or fills, results.jsonl's verdicts say which; a "
            "shorter compare.bucket gives more buckets), baseline for the baseline point")


_MAX_ERRORS_SHOWN = 10


def _describe(row: Mapping[str, Any], grid: Grid) -> str:
    """The keys this point sets, each value whole (a key another point varies, left at the base here,
    is not named): a message names the point exactly, so two points that differ only at the end of a
    long strategy label never read alike (``flowpull(half_spread=1, size=100, max_p…`` did). Table
    cells are what fit a column; a message line wraps."""
    return ", ".join(f"{k}={_value_text(row.get(k), k)}" for k in grid.keys
                     if row.get(k) is not None) or "base"


def _axis_values(key: str, values: Sequence[Any]) -> tuple[list[float], list[str], str, str]:
    """x positions, tick labels, axis title, and the axis kind: ``number``, ``duration`` or ``category``.

    A duration axis is placed by its value in ns but ticked with the values as
    written (``0ms``, ``250us``, ``1s``): the title carries no unit, since each
    tick says its own. Anything that is not one number per value (strategies,
    queue models, lognormal latencies) is categorical.
    """
    uniq = _unique(values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in uniq) and not key.startswith("latency."):
        return [float(v) for v in uniq], [_fmt(v) for v in uniq], key, "number"
    try:
        ns = [parse_duration(v, key) for v in uniq]
    except ConfigError:
        ns = None
    if ns is not None and (key.startswith("latency.") or key in ("decide_every", "sample_every")
                           or any(isinstance(v, str) for v in uniq)):
        return [float(n) for n in ns], [display_label(v, key) for v in uniq], key, "duration"
    # A latency axis with a recorded feed: constants by ns, then recorded + X by X (labels.latency_positions).
    xs = latency_positions(uniq, key) or [float(i) for i in range(len(uniq))]
    return xs, _value_labels(uniq, 32, key), key, "category"


#: Lines of one panel whose largest magnitudes differ by this factor or more get a symlog y axis.
SYMLOG_RATIO = 20.0


def _y_scale(ax: Any, groups: Sequence[Sequence[float]]) -> bool:
    """Put ``ax`` on a symlog y scale when its groups of points differ by orders of magnitude; True if it did.

    A group is one series (a line), and on a categorical axis also the points
    of one category. Each group's size is its largest |value| (error bar ends
    included); when the largest size is at least :data:`SYMLOG_RATIO` times the
    smallest non-zero one, a linear axis would flatten the small ones onto
    zero. The linear band ends at the decade of the smallest size
    (``10**floor(log10(size))``), so every group sits in the logarithmic part
    with its sign and level readable.
    """
    sizes = [max(abs(v) for v in ys) for ys in groups if ys]
    sizes = [x for x in sizes if x > 0 and math.isfinite(x)]
    if len(sizes) < 2 or max(sizes) / min(sizes) < SYMLOG_RATIO:
        return False
    linthresh = 10.0 ** math.floor(math.log10(min(sizes)))
    ax.set_yscale("symlog", linthresh=linthresh)
    return True


def render_plots(rows: Sequence[Mapping[str, Any]], grid: Grid) -> dict[str, bytes]:
    """PNG bytes by file name (``sweep_<key>.png``): :func:`sweep_figures` rendered."""
    return {name: png_bytes(fig) for name, fig in sweep_figures(rows, grid).items()}


def sweep_figures(rows: Sequence[Mapping[str, Any]], grid: Grid) -> dict[str, Any]:
    """matplotlib Figures by file name: one figure per varying key, one panel per plotted metric.

    Each panel plots a metric (PnL total, toxic share, markout at each horizon)
    against that key, one series per value of the other varying keys (averaged
    over them when there are more than eight combinations), the mean over
    repeats with a bar of one standard deviation (a single run's markout shows
    its confidence interval). A numeric axis joins its points by lines; a
    categorical one (strategies, queue models, lognormal latencies) shows
    markers only, side by side. A duration axis is linear, symlog or evenly
    spaced (:func:`mmsim.sweep.xscale.duration_scale`), ticked at the grid's values as written. A panel
    whose series differ by :data:`SYMLOG_RATIO` or more in size gets a symlog y
    axis (its title says so).
    """
    ok = [r for r in rows if r.get("status") == "ok"]
    plots = _figures(rows, grid, _plot_metrics(_metric_columns(ok, grid.keys)), "", "metrics")
    if grid.baseline is not None:
        plots.update(_figures(rows, grid, [f"{_VS}{m}" for m in _compared(ok)], "_vs_baseline",
                              "difference from the baseline point"))
    return plots


def _figures(rows: Sequence[Mapping[str, Any]], grid: Grid, metrics: Sequence[str], suffix: str,
             what: str) -> dict[str, Any]:
    ok = [r for r in rows if r.get("status") == "ok"]
    varying = [k for k in grid.keys if len({_canonical(r.get(k)) for r in rows}) > 1]
    plots: dict[str, Any] = {}
    if not ok or not metrics:
        return plots
    labels_of = {k: dict(zip([_canonical(v) for v in _unique([r.get(k) for r in rows])],
                             _value_labels(_unique([r.get(k) for r in rows]), 40, k)))
                 for k in varying}
    for key in varying:
        others = [k for k in varying if k != key]
        xs, ticks, xtitle, kind = _axis_values(key, [r.get(key) for r in rows])
        numeric = kind != "category"
        positive = [x for x in xs if x > 0]
        scale, lin = duration_scale(xs) if kind == "duration" else (
            ("symlog", min(positive)) if positive and max(xs) / min(positive) >= 100 else ("linear", 0.0))
        if scale == "even":  # too close on any scale: evenly spaced in their order, ticked as written
            xs, xtitle = [float(sorted(xs).index(x)) for x in xs], f"{key} (evenly spaced)"
        xpos = {c: x for c, x in zip([_canonical(v) for v in _unique([r.get(key) for r in rows])], xs)}
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for r in ok:
            label = ", ".join(f"{k}={labels_of[k][_canonical(r.get(k))]}" for k in others) or "all"
            groups.setdefault(label, []).append(r)
        if len(groups) > 8:
            groups = {f"mean over {', '.join(others)}": ok}
        ncols = min(3, len(metrics))
        nrows = math.ceil(len(metrics) / ncols)
        # Inches: each panel 2.35 high; under it the tick labels (tilted ones take room for
        # their length), the axis title, then the next panel's title or the legend.
        # Number and duration ticks are level (fit_tick_labels: two rows, then upright); categories tilt.
        tilted = kind == "category" and (len(xs) > 3 or max(len(t) for t in ticks) > 14)
        below = 0.95 + (0.055 * max(len(t) for t in ticks) if tilted else 0.0)
        panel, top, legend = 2.35, 0.65, 0.35
        height = nrows * panel + nrows * below + top + legend
        fig = figure(4.6 * ncols, height, dpi=100)
        # Categorical series sit side by side around each tick instead of on top of each other.
        step = min(0.2, 0.6 / max(1, len(groups)))
        thin: list[Any] = []
        for i, m in enumerate(metrics):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            series: list[list[float]] = []
            by_x: dict[float, list[float]] = {}
            for g, (label, grp) in enumerate(groups.items()):
                pts: dict[float, list[Mapping[str, Any]]] = {}
                for r in grp:
                    if _number(r.get(m)) is not None:
                        pts.setdefault(xpos[_canonical(r.get(key))], []).append(r)
                if not pts:
                    continue
                x = sorted(pts)
                y = [float(np.mean([_number(r.get(m)) for r in pts[k]])) for k in x]
                lo, hi = _spread(m, [pts[k] for k in x], y)
                ends = [(m_, m_ - a, m_ + b) for m_, a, b in zip(y, lo, hi)]
                series.append([v for e in ends for v in e])
                for xv, e in zip(x, ends):
                    by_x.setdefault(xv, []).extend(e)
                color = f"C{g % 10}"
                if not numeric:
                    x = [v + (g - (len(groups) - 1) / 2) * step for v in x]
                style = {"marker": "o", "ms": 5, "color": color, "label": label}
                if not numeric:
                    style["linestyle"] = "none"
                if any(lo) or any(hi):
                    ax.errorbar(x, y, yerr=[lo, hi], capsize=3, **style)
                else:
                    ax.plot(x, y, **style)
            symlog = _y_scale(ax, series + (list(by_x.values()) if not numeric else []))
            if _is_markout(m) or m.startswith("pnl") or m.startswith(_VS):
                ax.axhline(0.0, color="0.6", lw=0.8)
            ax.set_title(_panel_title(m) + (", symlog" if symlog else ""), fontsize=10)
            ax.set_xlabel(xtitle, fontsize=9)
            if numeric and scale == "symlog":  # a roughly geometric grid (0, 20ms, 100ms, 1s): xscale.py
                ax.set_xscale("symlog", linthresh=lin)
                ax.set_xlim(min(xs) - 0.3 * lin, max(xs) * 1.4)
                ax.set_xticks(xs, ticks, fontsize=7)
                ax.minorticks_off()
                thin.append(ax)
            elif kind == "duration":
                ax.set_xticks(xs, ticks, fontsize=8)
                thin.append(ax)
            elif kind != "number":
                tilt = len(xs) > 3 or max(len(t) for t in ticks) > 14
                ax.set_xticks(xs, ticks, fontsize=8, rotation=25 if tilt else 0, ha="right" if tilt else "center")
            if not numeric or scale == "even":
                ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
        handles, labels = fig.axes[0].get_legend_handles_labels()
        if len(labels) > 1 or (labels and labels[0] != "all"):
            fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
        fig.suptitle(f"sweep: {what} against {key}", fontsize=11)
        # Margins in inches (title above, legend below), whatever the panel count.
        fig.subplots_adjust(left=0.08, right=0.98, top=1 - top / height, bottom=(below + legend) / height,
                            hspace=below / panel, wspace=0.3)
        fit_tick_labels(fig, thin)
        plots[f"sweep_{key.replace('.', '_')}{suffix}.png"] = fig
    return plots


def _panel_title(m: str) -> str:
    if m.startswith(_VS):
        name = m[len(_VS):]
        unit = "quote currency" if name == "pnl_per_day" else "ticks/lot"
        return f"{_compared_header(name, short=False)} ({unit})"
    return _header(m) + (" (ticks)" if _is_markout(m) else "")


def _number(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _spread(metric: str, groups: Sequence[Sequence[Mapping[str, Any]]],
            means: Sequence[float]) -> tuple[list[float], list[float]]:
    """Error bar below/above each mean: one standard deviation over repeats, else a
    markout's confidence interval (``markout.<h>.ci_low``/``ci_high``) or a difference's
    bootstrap interval (``vs_baseline.<m>.ci_low``/``ci_high``) when the run gives it."""
    lo: list[float] = []
    hi: list[float] = []
    for rows, mean in zip(groups, means):
        vals = [v for v in (_number(r.get(metric)) for r in rows) if v is not None]
        if len(vals) > 1:
            sd = float(np.std(vals))
            lo.append(sd)
            hi.append(sd)
            continue
        base = metric[: -len(".mean_ticks")] if _is_markout(metric) else (metric if metric.startswith(_VS) else None)
        a = _number(rows[0].get(f"{base}.ci_low")) if base else None
        b = _number(rows[0].get(f"{base}.ci_high")) if base else None
        lo.append(max(0.0, mean - a) if a is not None else 0.0)
        hi.append(max(0.0, b - mean) if b is not None else 0.0)
    return lo, hi


def _unique(values: Iterable[Any]) -> list[Any]:
    out, seen = [], set()
    for v in values:
        c = _canonical(v)
        if c not in seen:
            seen.add(c)
            out.append(v)
    return out


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td.k{text-align:left}td.err{color:#b00;text-align:left}p.warn{color:#a60}img{max-width:100%;margin:1em 0}
td.id{text-align:left;font-family:ui-monospace,monospace;font-size:12px}div.wide{overflow-x:auto}"""


def render_html(rows: Sequence[Mapping[str, Any]], grid: Grid, plots: Mapping[str, bytes]) -> str:
    """A single-file HTML page: the results table and the plots (base64 PNG, no network)."""
    header, body = _table_rows(rows, grid)
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>mmsim sweep {html.escape(grid.source)}</title><style>{_CSS}</style></head><body>",
             f"<h1>mmsim sweep</h1><p>grid <code>{html.escape(grid.source)}</code>: {len(rows)} points, "
             f"{n_fail} failed. Money in quote currency; markouts in ticks (+ = good for us); toxic_share in "
             "percent, as <code>mmsim report</code> shows it (results.csv, results.jsonl and the plots: a fraction); "
             "so is presence_two_sided, the share of the time with quotes live on both sides. point: the point's "
             "id (<code>mmsim sweep GRID --point ID</code> writes its full report); digest: of its resolved run "
             "config, as its report header shows it.</p>",
             f"<p>{html.escape(_baseline_caption(grid))}.</p>" if grid.baseline is not None else "",
             "<div class='wide'><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for line in body:
        cells = []
        for i, c in enumerate(line):
            cls = "k" if i < nk else ("err" if i == nk and c != "ok" else ("id" if i >= len(line) - 2 else ""))
            cells.append(f"<td class='{cls}'>{html.escape(c)}</td>" if cls else f"<td>{html.escape(c)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table></div>")
    parts.extend(f"<p class='warn'>{html.escape(w)}</p>" for w in units_lines(rows, POINT_ID_SHOWN))
    notes = [r for r in rows if r.get("status") == "ok" and r.get("baseline_note")]
    if notes:
        parts.append("<h2>Points not compared with a baseline</h2><ul>" + "".join(
            f"<li><code>{html.escape(str(r.get('id')))}</code> ({html.escape(_describe(r, grid))}): "
            f"{html.escape(str(r.get('baseline_note')))}</li>" for r in notes) + "</ul>")
    for name, png in plots.items():
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(rows: Sequence[Mapping[str, Any]], grid: Grid, out: str | os.PathLike[str], *,
                 plots: bool = True) -> dict[str, Path]:
    """Write ``results.csv``, the PNG plots and ``sweep.html`` into ``out``.

    Returns
    -------
    dict of str to Path
        Each written file by name.
    """
    import csv

    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    p = d / "results.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow(["" if r.get(n) is None else (_canonical(r[n]) if isinstance(r[n], (dict, list)) else r[n])
                        for n in names])
    written["results.csv"] = p
    pngs = render_plots(rows, grid) if plots else {}
    for name, png in pngs.items():
        (d / name).write_bytes(png)
        written[name] = d / name
    p = d / "sweep.html"
    p.write_text(render_html(rows, grid, pngs), encoding="utf-8")
    written["sweep.html"] = p
    return written
