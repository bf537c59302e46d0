"""A sweep's plots: one figure per varying key, one panel per plotted metric."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._plot import figure, fit_tick_labels, png_bytes
from ..config import parse_duration
from ..errors import ConfigError
from .grid import Grid
from .labels import RECORDED_LINE, _canonical, display_label, latency_positions, one_spelling, recorded_axis
from .metrics import (_VS, _compared, _fmt, _is_markout, _metric_columns, _plot_metrics, _value_labels, metric_scale,
                      metric_title)
from .xscale import duration_scale

__all__ = ["SYMLOG_RATIO", "render_plots", "sweep_figures"]


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
    recorded = recorded_axis(uniq, key)  # `recorded + X`: placed by X, beside any constants (labels.recorded_axis)
    if recorded is not None:
        return recorded[0], recorded[1], recorded[2], "duration"
    with_unit = _quantities_with_unit(uniq)
    if with_unit is not None:  # `size: [0.01 base, 0.02 base]`, `skew: [20 per base, 40 per base]`: numbers
        xs, nums, unit = with_unit
        return xs, nums, f"{key} ({unit})", "number"
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


def _quantities_with_unit(values: Sequence[Any]) -> tuple[list[float], list[str], str] | None:
    """x positions, tick labels (the numbers as written) and the unit of strategy quantities written with one
    unit (``0.01 base``, ``20 lots``, ``20 per base``; docs/strategies.md), or None: they were categories, one
    marker per value with no line (newcomer15's sweep over ``skew``)."""
    from .._qty_units import _PER_RE, _QTY_RE, _UNITS

    xs, nums, units = [], [], set()
    for v in values:
        if not isinstance(v, str):
            return None
        m = _PER_RE.match(v)
        per = m is not None
        m = m or _QTY_RE.match(v)
        unit = _UNITS.get(m.group("unit").lower()) if m else None
        if m is None or unit is None:
            return None
        try:
            x = float(m.group("num").replace("_", ""))
        except ValueError:
            return None
        if not math.isfinite(x):
            return None
        xs.append(x)
        nums.append(m.group("num").strip())
        units.add(f"per {'lot' if unit == 'lots' else unit}" if per else unit)
    return (xs, nums, units.pop()) if len(units) == 1 else None


#: Lines of one panel whose largest magnitudes differ by this factor or more get a symlog y axis.
SYMLOG_RATIO = 20.0


def _sizes(groups: Sequence[Sequence[float]]) -> list[float]:
    """Each group's size, its largest |value| (error bar ends included); zero and non-finite sizes left out."""
    sizes = [max(abs(v) for v in ys) for ys in groups if ys]
    return [x for x in sizes if x > 0 and math.isfinite(x)]


def _needs_symlog(groups: Sequence[Sequence[float]]) -> bool:
    """True when a panel's groups of points differ by orders of magnitude: the largest size at least
    :data:`SYMLOG_RATIO` times the smallest non-zero one (a linear axis would flatten the small ones onto zero)."""
    sizes = _sizes(groups)
    return len(sizes) >= 2 and max(sizes) / min(sizes) >= SYMLOG_RATIO


def _y_scales(panels: Sequence[tuple[Any, str, Sequence[Sequence[float]]]]) -> None:
    """One y scale rule per quantity in a figure: ``(ax, metric, groups)`` of each panel.

    A group is one series (a line) on a number or duration axis, the points of one
    category on a categorical one (the series were groups there too: a figure against
    the strategy then went symlog on latencies 20x apart, the figure against the
    latency of the same points not). The panels of one quantity at several horizons (the markouts;
    the Δ markouts) go symlog together when any one of them needs it
    (:func:`_needs_symlog`), all with the same linear band, the decade of the
    smallest size among them (``10**floor(log10(size))``), so every group sits in
    the logarithmic part with its sign and level readable, and two panels side by
    side read on one scale (they were decided one by one: ``Markout 1s`` symlog
    beside a linear ``Markout 10s``). Another quantity in the same unit keeps its
    own rule (the newcomer's: a Δ spread capture 50 times apart across points made
    every Δ markout panel symlog, their own values within 20 times). Each such
    panel's title says ``, symlog``.
    """
    by_quantity: dict[str, list[tuple[Any, Sequence[Sequence[float]]]]] = {}
    for ax, m, groups in panels:
        # markout.<h>.mean_ticks, vs_baseline.markout@<h>: one quantity whatever the horizon
        by_quantity.setdefault("markout" if m.startswith("markout.") else m.split("@", 1)[0], []).append((ax, groups))
    for same in by_quantity.values():
        if not any(_needs_symlog(groups) for _, groups in same):
            continue
        smallest = min(x for _, groups in same for x in _sizes(groups))
        linthresh = 10.0 ** math.floor(math.log10(smallest))
        for ax, _ in same:
            ax.set_yscale("symlog", linthresh=linthresh)
            ax.set_title(ax.get_title() + ", symlog", fontsize=10)


def render_plots(rows: Sequence[Mapping[str, Any]], grid: Grid) -> dict[str, bytes]:
    """PNG bytes by file name (``sweep_<key>.png``): :func:`sweep_figures` rendered."""
    return {name: png_bytes(fig) for name, fig in sweep_figures(rows, grid).items()}


def sweep_figures(rows: Sequence[Mapping[str, Any]], grid: Grid) -> dict[str, Any]:
    """matplotlib Figures by file name: one figure per varying key, one panel per plotted metric.

    Each panel plots a metric (PnL total, toxic share, markout at each horizon)
    against that key, one series per value of the other varying keys (averaged
    over them when there are more than eight combinations), the mean over
    repeats: a metric with an interval per run (a markout, a difference from the
    baseline) with a bar spanning every repeat's interval (:func:`_spread`), any
    other with one standard deviation. A numeric axis joins its points by lines; a
    categorical one (strategies, queue models, lognormal latencies) shows
    markers only, side by side. A duration axis is linear, symlog or evenly
    spaced (:func:`mmsim.sweep.xscale.duration_scale`), ticked at the grid's values as written. A panel
    whose series differ by :data:`SYMLOG_RATIO` or more in size gets a symlog y
    axis (its title says so), and so do the figure's other panels of its unit (:func:`_y_scales`).
    """
    rows = one_spelling(rows, grid.keys)  # one value, one tick: 1ms and 1000us on two strategies' points
    ok = [r for r in rows if r.get("status") == "ok"]
    plots = _figures(rows, grid, _plot_metrics(_metric_columns(ok, grid.keys)), "", "metrics")
    if grid.baseline is not None:
        plots.update(_figures(rows, grid, [f"{_VS}{m}" for m in _compared(ok)], "_vs_baseline",
                              "difference from the baseline point"))
    return plots


def _figures(rows: Sequence[Mapping[str, Any]], grid: Grid, metrics: Sequence[str], suffix: str,
             what: str) -> dict[str, Any]:
    ok = [r for r in rows if r.get("status") == "ok"]
    # A baseline point's difference from itself is no measurement (the table reads `baseline`): the plot's
    # line at 0 is the baseline; drawn, its points sat at 0 with [0, 0] bars as if measured. Its series
    # keeps its colour index, so each series has one colour in every figure of the sweep.
    skip_baseline = suffix == "_vs_baseline"
    if skip_baseline and all(r.get("verdict") == "baseline" for r in ok):
        return {}  # every point its own baseline: nothing to draw (the plot was empty panels)
    varying = [k for k in grid.keys if len({_canonical(r.get(k)) for r in rows}) > 1]
    plots: dict[str, Any] = {}
    if not ok or not metrics:
        return plots
    labels_of = {k: dict(zip([_canonical(v) for v in _unique([r.get(k) for r in rows])],
                             _value_labels(_unique([r.get(k) for r in rows]), 40, k)))
                 for k in varying}
    for key in varying:
        others = [k for k in varying if k != key]
        values = [r.get(key) for r in rows]
        xs, ticks, xtitle, kind = _axis_values(key, values)
        if skip_baseline and kind == "category":  # a category whose every point is its own baseline (the baseline
            measured = {_canonical(r.get(key)) for r in ok if r.get("verdict") != "baseline"}  # strategy): none
            values = [v for v in values if _canonical(v) in measured] or values  # (a number axis keeps its tick)
            xs, ticks, xtitle, kind = _axis_values(key, values)
        numeric = kind != "category"
        positive = [x for x in xs if x > 0]
        scale, lin = duration_scale(xs) if kind == "duration" else (
            ("symlog", min(positive)) if positive and max(xs) / min(positive) >= 100 else ("linear", 0.0))
        if scale == "even":  # too close on any scale: evenly spaced in their order, ticked as written
            xs, xtitle = [float(sorted(set(xs)).index(x)) for x in xs], f"{xtitle} (evenly spaced)"
        # A recorded feed beside constants: one line each (x the constant's latency or the recorded X).
        cells = [_canonical(v) for v in _unique(values)]  # each axis value, in xs' order
        recorded = recorded_axis(_unique(values), key) if kind == "duration" else None
        line_of = dict(zip(cells, recorded[3])) if recorded else {}
        tick_x, tick_text = _one_tick_per_x(xs, ticks)  # `5ms` and `recorded + 5ms`: one tick at 5 ms
        xpos = dict(zip(cells, xs))
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for r in ok:
            label = ", ".join(f"{k}={labels_of[k][_canonical(r.get(k))]}" for k in others) or "all"
            groups.setdefault(label, []).append(r)
        if len(groups) > 8:
            groups = {f"mean over {', '.join(others)}": ok}
        # Each series' colour (the index of its label among the other keys' values) and whether it is dashed.
        style_of = {label: (g, False) for g, label in enumerate(groups)}
        if len(set(line_of.values())) > 1:
            groups, style_of = _split_lines(groups, key, line_of)
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
        panels: list[tuple[Any, str, list[list[float]]]] = []
        for i, m in enumerate(metrics):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            series: dict[int, list[float]] = {}  # by series (its colour): a recorded feed's two lines are one
            factor = metric_scale(m)
            by_x: dict[float, list[float]] = {}
            for g, (label, grp) in enumerate(groups.items()):
                pts: dict[float, list[Mapping[str, Any]]] = {}
                for r in grp:
                    if skip_baseline and r.get("verdict") == "baseline":
                        continue
                    if _number(r.get(m)) is not None:
                        pts.setdefault(xpos[_canonical(r.get(key))], []).append(r)
                if not pts:
                    continue
                x = sorted(pts)
                y = [float(np.mean([_number(r.get(m)) for r in pts[k]])) for k in x]
                lo, hi = _spread(m, [pts[k] for k in x], y)
                y, lo, hi = ([factor * v for v in vs] for vs in (y, lo, hi))  # a fraction in percent
                ends = [(m_, m_ - a, m_ + b) for m_, a, b in zip(y, lo, hi)]
                colour, dashed = style_of[label]
                series.setdefault(colour, []).extend(v for e in ends for v in e)
                for xv, e in zip(x, ends):
                    by_x.setdefault(xv, []).extend(e)
                color = f"C{colour % 10}"
                if not numeric:
                    x = [v + (g - (len(groups) - 1) / 2) * step for v in x]
                style = {"marker": "o", "ms": 5, "color": color, "label": label}
                if not numeric:
                    style["linestyle"] = "none"
                elif dashed:  # the recorded feed's line beside the constants' (solid, round), in the same colour
                    style.update(linestyle="--", marker="s")  # squares: a lone point of either reads apart too
                if any(lo) or any(hi):
                    ax.errorbar(x, y, yerr=[lo, hi], capsize=3, **style)
                else:
                    ax.plot(x, y, **style)
            # What a panel's scale compares: its lines on a number axis, its categories on a categorical one (each
            # category's series side by side). Both compare the same points (a figure against the latency compares
            # its strategies' lines; one against the strategy, its strategies), so the two figures of a sweep agree;
            # with the series too, a categorical figure went symlog on latencies 20x apart (the defence sweep's
            # sweep_strategy_vs_baseline.png, beside a linear sweep_latency_feed_vs_baseline.png). A series split in
            # its constants' and its recorded feed's lines is one group, as it is one series in the other figures.
            panels.append((ax, m, list(series.values()) if numeric else list(by_x.values())))
            if _is_markout(m) or m.startswith("pnl") or m.startswith(_VS):
                ax.axhline(0.0, color="0.6", lw=0.8)
            ax.set_title(metric_title(m, ok), fontsize=10)
            ax.set_xlabel(xtitle, fontsize=9)
            if numeric and scale == "symlog":  # a roughly geometric grid (0, 20ms, 100ms, 1s): xscale.py
                ax.set_xscale("symlog", linthresh=lin)
                ax.set_xlim(min(xs) - 0.3 * lin, max(xs) * 1.4)
                ax.set_xticks(tick_x, tick_text, fontsize=7)
                ax.minorticks_off()
                thin.append(ax)
            elif kind == "duration":
                ax.set_xticks(tick_x, tick_text, fontsize=8)
                thin.append(ax)
            elif kind != "number":
                tilt = len(xs) > 3 or max(len(t) for t in ticks) > 14
                ax.set_xticks(xs, ticks, fontsize=8, rotation=25 if tilt else 0, ha="right" if tilt else "center")
            if not numeric or scale == "even":
                ax.set_xlim(-0.5, len(tick_x) - 0.5)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
        _y_scales(panels)
        handles, labels = _legend(fig, list(groups))
        if len(labels) > 1 or (labels and labels[0] != "all"):
            fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
        fig.suptitle(f"sweep: {what} against {key}", fontsize=11)
        # Margins in inches (title above, legend below), whatever the panel count.
        fig.subplots_adjust(left=0.08, right=0.98, top=1 - top / height, bottom=(below + legend) / height,
                            hspace=below / panel, wspace=0.3)
        fit_tick_labels(fig, thin)
        _fit_rows(fig, nrows, panel, top, legend, below)
        plots[f"sweep_{key.replace('.', '_')}{suffix}.png"] = fig
    return plots


#: Inches kept between what hangs under a row of panels (tick labels, axis title) and the next row's titles.
ROW_GAP_IN = 0.1


def _fit_rows(fig: Any, nrows: int, panel: float, top: float, legend: float, below: float) -> None:
    """Grow the figure when what hangs under a row of panels does not fit the room left for it.

    The room under each row (``below`` inches) is planned from the tick labels' lengths, but
    :func:`~mmsim._plot.fit_tick_labels` may turn a crowded axis's labels upright afterwards
    (twenty latencies), and then they and the axis title ran into the next row's panel titles
    or the legend. Measured with the Agg renderer: the deepest labels and axis title under any
    panel, plus the tallest panel title, plus :data:`ROW_GAP_IN`; the panels keep their size
    (``panel`` inches high) and the figure grows by what each row needs more.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    hang = title = 0.0
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        under = [t.get_window_extent(renderer) for t in [*ax.get_xticklabels(), ax.xaxis.label] if t.get_text()]
        hang = max([hang, *((frame.y0 - b.y0) / fig.dpi for b in under)])
        if ax.title.get_text():
            title = max(title, (ax.title.get_window_extent(renderer).y1 - frame.y1) / fig.dpi)
    need = hang + title + ROW_GAP_IN
    if need <= below:
        return
    height = nrows * panel + nrows * need + top + legend
    fig.set_size_inches(fig.get_size_inches()[0], height)
    fig.subplots_adjust(top=1 - top / height, bottom=(need + legend) / height, hspace=need / panel)


def _legend(fig: Any, order: Sequence[str]) -> tuple[list[Any], list[str]]:
    """One legend entry per series drawn in any panel, in the series' order: the first panel's own list put
    lines without error bars before those with (matplotlib lists containers last), so a Δ with no interval at
    one latency moved that latency's series first, and left out a series that panel had nothing of."""
    handles: dict[str, Any] = {}
    for ax in fig.axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    labels = [label for label in order if label in handles]
    return [handles[label] for label in labels], labels


def _one_tick_per_x(xs: Sequence[float], ticks: Sequence[str]) -> tuple[list[float], list[str]]:
    """One tick per position, in order, labelled as its first value (a constant ``5ms`` and ``recorded + 5ms``
    share 5 ms)."""
    first: dict[float, str] = {}
    for x, t in zip(xs, ticks):
        first.setdefault(x, t)
    return sorted(first), [first[x] for x in sorted(first)]


def _split_lines(groups: Mapping[str, list[Mapping[str, Any]]], key: str,
                 line_of: Mapping[str, str]) -> tuple[dict[str, list[Mapping[str, Any]]], dict[str, tuple[int, bool]]]:
    """Each series split into its constant latencies' line and its recorded feed's (``recorded + X``): the
    same colour, the recorded one dashed, labelled ``<series>, recorded + X`` (``constant``/``recorded + X``
    alone when there is no other key)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    style: dict[str, tuple[int, bool]] = {}
    for g, (label, grp) in enumerate(groups.items()):
        for line in ("constant", RECORDED_LINE):
            rows = [r for r in grp if line_of.get(_canonical(r.get(key))) == line]
            if rows:
                name = line if label == "all" else f"{label}, {line}"
                out[name] = rows
                style[name] = (g, line == RECORDED_LINE)
    return out, style


def _number(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _spread(metric: str, groups: Sequence[Sequence[Mapping[str, Any]]],
            means: Sequence[float]) -> tuple[list[float], list[float]]:
    """Error bar below/above each mean (the mean of its runs: one run, or the repeats of a point).

    A metric with an interval per run (a markout's confidence interval,
    ``markout.<h>.ci_low``/``ci_high``; a difference's bootstrap interval,
    ``vs_baseline.<m>.ci_low``/``ci_high``): the bar spans the envelope of the runs'
    intervals and estimates, from the lowest ``ci_low`` to the highest ``ci_high``.
    So with repeats it is never narrower than any one repeat's interval (it was one
    standard deviation of the repeats' estimates: three repeats of a Δ PnL whose
    intervals each spanned zero drew a bar far from zero), and each repeat's table
    cell, ``estimate [ci_low, ci_high]``, lies inside it. A metric without one (PnL,
    toxic share, presence): one standard deviation over the repeats, none for one run.
    """
    base = metric[: -len(".mean_ticks")] if _is_markout(metric) else (metric if metric.startswith(_VS) else None)
    lo: list[float] = []
    hi: list[float] = []
    for rows, mean in zip(groups, means):
        vals = [v for v in (_number(r.get(metric)) for r in rows) if v is not None]
        ends = [(a, b) for r in rows if base and _number(r.get(metric)) is not None
                and (a := _number(r.get(f"{base}.ci_low"))) is not None
                and (b := _number(r.get(f"{base}.ci_high"))) is not None]
        if ends:
            low = min([a for a, _ in ends] + vals)
            high = max([b for _, b in ends] + vals)
            lo.append(max(0.0, mean - low))
            hi.append(max(0.0, high - mean))
        elif len(vals) > 1:
            sd = float(np.std(vals, ddof=1))  # the sample SD of the repeats (ddof=0 read 18% narrower at 3)
            lo.append(sd)
            hi.append(sd)
        else:
            lo.append(0.0)
            hi.append(0.0)
    return lo, hi


def _unique(values: Iterable[Any]) -> list[Any]:
    out, seen = [], set()
    for v in values:
        c = _canonical(v)
        if c not in seen:
            seen.add(c)
            out.append(v)
    return out
