"""A sweep figure's panels (sweepplot15): one y scale rule per unit across a figure's panels, the absolute
two-sided presence as a panel of its own, and with repeats an error bar never narrower than what one repeat's
interval says."""

from __future__ import annotations

import pytest

from mmsim.sweep import Grid
from mmsim.sweep.baseline import BaselinePlan, CompareSettings
from mmsim.sweep.render import _table_rows, sweep_figures


def _rows(metrics_by_strategy, repeats=1):
    """Two strategies at two feed latencies; ``metrics_by_strategy``: strategy -> repeat -> flat metrics."""
    rows = []
    for strat, per_repeat in metrics_by_strategy.items():
        for feed in ("0ms", "1ms"):
            for rep in range(repeats):
                rows.append({"id": f"p{len(rows)}", "index": len(rows), "repeat": rep, "seed": rep, "status": "ok",
                             "strategy": strat, "latency.feed": feed, "pnl.total": 100.0, "toxic_share": 0.5,
                             **per_repeat[rep]})
    grid = Grid(points=(), keys=("strategy", "latency.feed"), repeats=repeats, output=None, workers=None,
                source="g.yaml")
    return rows, grid


def _panel(fig, title_start):
    return next(ax for ax in fig.axes if ax.get_title().startswith(title_start))


def _scale(ax):
    """The axis's scale name and, for symlog, its linear band."""
    return ax.get_yscale(), getattr(ax.yaxis.get_transform(), "linthresh", None)


# ----------------------------------------------------------------------------- one scale rule per unit


def test_the_markout_panels_of_one_figure_share_one_symlog_rule():
    """Markout 1s differs by 100x between the strategies (symlog alone), Markout 10s by 1.3x (linear alone): they
    were drawn side by side on two scales. Now both symlog, with one linear band, the decade of the smallest
    size among them (0.1); the PnL and the percent panels keep their own rule (linear here)."""
    rows, grid = _rows({"Naive": [{"markout.1s.mean_ticks": -10.0, "markout.10s.mean_ticks": -2.0}],
                        "Pull": [{"markout.1s.mean_ticks": -0.1, "markout.10s.mean_ticks": -1.5}]})
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert [ax.get_title() for ax in fig.axes] == ["PnL (quote ccy)", "Toxic fills (%)",
                                                   "Markout 1s (ticks), symlog", "Markout 10s (ticks), symlog"]
    assert _scale(_panel(fig, "Markout 1s")) == ("symlog", pytest.approx(0.1))
    assert _scale(_panel(fig, "Markout 10s")) == ("symlog", pytest.approx(0.1))  # was ("linear", None)
    assert _scale(_panel(fig, "PnL")) == ("linear", None)
    assert _scale(_panel(fig, "Toxic")) == ("linear", None)
    # No panel needs it: every one linear, as before.
    rows, grid = _rows({"Naive": [{"markout.1s.mean_ticks": -1.0, "markout.10s.mean_ticks": -2.0}],
                        "Pull": [{"markout.1s.mean_ticks": -0.5, "markout.10s.mean_ticks": -1.5}]})
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert {_scale(ax) for ax in fig.axes} == {("linear", None)}


def _vs_rows(diffs, repeats=1):
    """Each latency's Naive point is the baseline; ``diffs``: strategy -> repeat -> quantity -> (est, lo, hi)."""
    rows = []
    for strat, per_repeat in {"Naive": None, **diffs}.items():
        for feed in ("0ms", "1ms"):
            for rep in range(repeats):
                r = {"id": f"p{len(rows)}", "index": len(rows), "repeat": rep, "seed": rep, "status": "ok",
                     "strategy": strat, "latency.feed": feed, "pnl.total": 1.0, "baseline": f"p{rep}",
                     "baseline_note": None, "verdict": "baseline" if per_repeat is None else "better"}
                for q, (est, lo, hi) in (per_repeat or diffs[next(iter(diffs))])[rep].items():
                    if per_repeat is None:
                        est = lo = hi = 0.0
                    r.update({f"vs_baseline.{q}": est, f"vs_baseline.{q}.ci_low": lo, f"vs_baseline.{q}.ci_high": hi})
                rows.append(r)
    grid = Grid(points=(), keys=("strategy", "latency.feed"), repeats=repeats, output=None, workers=None,
                source="g.yaml", baseline=BaselinePlan(spec={"strategy": "Naive"}, settings=CompareSettings()))
    return rows, grid


def test_the_differences_of_one_quantity_share_one_symlog_rule_and_other_quantities_keep_theirs():
    """The second case, on the `_vs_baseline` figure: Δ markout 1s is 3 for one strategy and 0.02 for the other
    (symlog alone), Δ markout 10s 0.5 and 0.4 (linear alone): both symlog, one band (0.01). Δ spread capture, in
    ticks/lot too, 0.5 and 0.4, keeps its own (linear) rule: the lead's change to sweepplot15's rule by unit, after
    newcomer15's sweep, where a Δ spread capture 50 times apart made every Δ markout panel symlog; Δ PnL per day
    (quote ccy) stays linear."""
    rows, grid = _vs_rows({"PullA": [{"markout@1s": (3.0, 3.0, 3.0), "markout@10s": (0.5, 0.5, 0.5),
                                      "spread_capture": (0.5, 0.5, 0.5), "pnl_per_day": (40.0, 40.0, 40.0)}],
                           "PullB": [{"markout@1s": (0.02, 0.02, 0.02), "markout@10s": (0.4, 0.4, 0.4),
                                      "spread_capture": (0.4, 0.4, 0.4), "pnl_per_day": (50.0, 50.0, 50.0)}]})
    fig = sweep_figures(rows, grid)["sweep_latency_feed_vs_baseline.png"]
    scales = {ax.get_title(): _scale(ax) for ax in fig.axes}
    assert scales == {"Δ markout 1s (ticks/lot), symlog": ("symlog", pytest.approx(0.01)),
                      "Δ markout 10s (ticks/lot), symlog": ("symlog", pytest.approx(0.01)),
                      "Δ spread capture (ticks/lot)": ("linear", None),  # by unit it was symlog with them
                      "Δ PnL per day (quote ccy)": ("linear", None)}


# ----------------------------------------------------------------------------- the two-sided presence


def _ydata(ax):
    return [[round(float(v), 9) for v in ln.get_ydata()] for ln in ax.get_lines() if ln.get_marker() == "o"]


def test_the_two_sided_presence_has_a_panel_in_percent():
    """Only its difference from a baseline (`Δ two-sided presence`) was drawn; the point's own share of the
    trading time with both sides live (`presence_two_sided`, the table's `2-sided`) is a panel now, in percent."""
    rows, grid = _rows({"Naive": [{"presence_two_sided": 0.613, "markout.1s.mean_ticks": -1.0}],
                        "Pull": [{"presence_two_sided": 0.55, "markout.1s.mean_ticks": -0.8}]})
    figs = sweep_figures(rows, grid)
    fig = figs["sweep_latency_feed.png"]
    assert [ax.get_title() for ax in fig.axes] == ["PnL (quote ccy)", "Toxic fills (%)", "Two-sided presence (%)",
                                                   "Markout 1s (ticks)"]
    assert _ydata(_panel(fig, "Two-sided presence")) == [[61.3, 61.3], [55.0, 55.0]]
    # Against the strategy too, one marker per strategy and series.
    ax = _panel(figs["sweep_strategy.png"], "Two-sided presence")
    assert sorted(v for ys in _ydata(ax) for v in ys) == [55.0, 55.0, 61.3, 61.3]  # a series per latency
    # The table's column of the same number.
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("2-sided")] for line in body] == ["61.30%", "61.30%", "55.00%", "55.00%"]


def test_the_two_sided_presence_with_repeats_is_their_mean_and_standard_deviation():
    """The second case: two repeats (60% and 64%) draw their mean, 62%, with one standard deviation, the sample
    SD 2·sqrt(2) = 2.83 pp (the presence has no interval per run; newcomer15: the population SD, 2 pp, read
    narrower than the repeats' spread), and the table lists each repeat's own."""
    rows, grid = _rows({"Naive": [{"presence_two_sided": 0.60}, {"presence_two_sided": 0.64}]}, repeats=2)
    ax = _panel(sweep_figures(rows, grid)["sweep_latency_feed.png"], "Two-sided presence")
    assert _ydata(ax) == [[62.0, 62.0]]
    assert [(round(a[1], 9), round(b[1], 9)) for a, b in ax.collections[0].get_segments()] == [
        (round(62 - 2 * 2**0.5, 9), round(62 + 2 * 2**0.5, 9))] * 2
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("2-sided")] for line in body] == ["60.00%", "64.00%"] * 2


# ----------------------------------------------------------------------------- repeats' error bars


def _bars(ax):
    return [(round(float(a[1]), 9), round(float(b[1]), 9)) for a, b in ax.collections[0].get_segments()]


def test_a_difference_with_repeats_has_a_bar_over_every_repeat_s_interval():
    """Two repeats of a Δ PnL, 10 [-50, 70] and 12 [-40, 64], each spanning zero: the bar was one standard
    deviation, 11 ± 1, a clear win. Now the mean of the repeats, 11, with the envelope of their intervals,
    [-50, 70]: no repeat's interval is narrower than it, and each repeat's table cell lies inside it."""
    rows, grid = _vs_rows({"Pull": [{"pnl_per_day": (10.0, -50.0, 70.0)}, {"pnl_per_day": (12.0, -40.0, 64.0)}]},
                          repeats=2)
    ax = _panel(sweep_figures(rows, grid)["sweep_latency_feed_vs_baseline.png"], "Δ PnL")
    assert _ydata(ax) == [[11.0, 11.0]]
    assert _bars(ax) == [(-50.0, 70.0)] * 2  # was [(10.0, 12.0)] * 2
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("Δ PnL/day")] for line in body if line[0] == "Pull"] == [
        "10.00 [-50.00, 70.00]", "12.00 [-40.00, 64.00]"] * 2
    from mmsim.sweep.render import _baseline_caption

    assert _baseline_caption(grid, rows).endswith(
        "; with repeats each repeat has its own row; the plots draw a point at the mean of its repeats with a bar "
        "spanning every repeat's interval, so each row's interval lies inside it")


def test_a_markout_with_repeats_has_a_bar_over_every_repeat_s_interval():
    """The second case: a markout's confidence interval per run. -1.0 [-1.2, -0.8] and -1.4 [-1.5, -1.3]: the bar
    was -1.2 ± 0.2 ([-1.4, -1.0], narrower than either repeat's reach); now [-1.5, -0.8]. A single run keeps its
    own interval."""
    rows, grid = _rows({"Naive": [
        {"markout.1s.mean_ticks": -1.0, "markout.1s.ci_low": -1.2, "markout.1s.ci_high": -0.8},
        {"markout.1s.mean_ticks": -1.4, "markout.1s.ci_low": -1.5, "markout.1s.ci_high": -1.3}]}, repeats=2)
    ax = _panel(sweep_figures(rows, grid)["sweep_latency_feed.png"], "Markout 1s")
    assert _ydata(ax) == [[-1.2, -1.2]]
    assert _bars(ax) == [(-1.5, -0.8)] * 2  # was [(-1.4, -1.0)] * 2
    one = [r for r in rows if r["repeat"] == 0]
    ax = _panel(sweep_figures(one, Grid(points=(), keys=grid.keys, repeats=1, output=None, workers=None,
                                        source="g.yaml"))["sweep_latency_feed.png"], "Markout 1s")
    assert _bars(ax) == [(-1.2, -0.8)] * 2


# ----------------------------------------------------------------------------- quantities with a unit on the x axis


@pytest.mark.parametrize("values, unit", [(["40 per base", "10 per base", "20 per base"], "per base"),
                                          (["0.02 base", "0.01 base", "0.005 base"], "base")],
                         ids=["per-base", "base"])
def test_a_quantity_written_with_a_unit_is_a_numeric_axis(values, unit):
    """newcomer15: a sweep over `skew: [20 per base, ...]` plotted its values as categories, markers with no line.
    Values of one unit are numbers now, as plain numbers are: placed by their number, joined by a line in x order,
    the unit in the axis title; a mix of units stays categorical (no common scale)."""
    key = "strategy.params.skew" if "per" in unit else "strategy.params.size"
    rows = [{"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", key: v, "pnl.total": float(i),
             "toxic_share": 0.5} for i, v in enumerate(values)]
    grid = Grid(points=(), keys=(key,), repeats=1, output=None, workers=None, source="g.yaml")
    ax = _panel(next(iter(sweep_figures(rows, grid).values())), "PnL")
    nums = sorted(float(v.split()[0]) for v in values)
    line = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert list(line.get_xdata()) == nums and line.get_linestyle() != "None"
    assert list(line.get_ydata()) == [float(values.index(v)) for v in sorted(values, key=lambda v: float(v.split()[0]))]
    assert ax.get_xlabel() == f"{key} ({unit})"
    rows[0][key] = "20 lots"  # two units: categories again
    ax = _panel(next(iter(sweep_figures(rows, grid).values())), "PnL")
    assert ax.get_xlabel() == key


# ----------------------------------------------------------------------------- the two figures of a sweep agree (sweep16)


def _vs_by_feed(diffs):
    """Naive (each latency's baseline) and Pull at 0ms and 1ms; ``diffs``: feed -> quantity -> (est, lo, hi) of Pull."""
    rows = []
    for strat in ("Naive", "Pull"):
        for feed in ("0ms", "1ms"):
            r = {"id": f"p{len(rows)}", "index": len(rows), "repeat": 0, "seed": 0, "status": "ok", "strategy": strat,
                 "latency.feed": feed, "pnl.total": 1.0, "baseline": "p0", "baseline_note": None,
                 "verdict": "baseline" if strat == "Naive" else "better"}
            for q, (est, lo, hi) in diffs[feed].items():
                if strat == "Naive":
                    est = lo = hi = 0.0
                r.update({f"vs_baseline.{q}": est, f"vs_baseline.{q}.ci_low": lo, f"vs_baseline.{q}.ci_high": hi})
            rows.append(r)
    grid = Grid(points=(), keys=("strategy", "latency.feed"), repeats=1, output=None, workers=None, source="g.yaml",
                baseline=BaselinePlan(spec={"strategy": "Naive"}, settings=CompareSettings()))
    return rows, grid


#: examples/defence_sweep.yaml's shape: the pull's edge at 0 ms gone at a slower feed (1 ms here).
DEFENCE = {"0ms": {"markout@1s": (1.7, 1.5, 1.9), "spread_capture": (0.126, 0.105, 0.149),
                   "pnl_per_day": (49.4, -256.4, 356.6), "two_sided": (-0.0761, -0.0826, -0.07)},
           "1ms": {"markout@1s": (-0.039, -0.076, 0.014), "spread_capture": (0.004, 0.002, 0.006),
                   "pnl_per_day": (-9.8, -37.7, 16.1), "two_sided": (-0.002, -0.003, -0.001)}}


def test_the_differences_against_the_strategy_take_the_scales_they_have_against_the_latency():
    """One compared strategy: against the latency its Δs are one line per panel, linear. Against the strategy
    (one category, the latencies side by side) Δ markout 1s (1.9 vs 0.076 with their bars), Δ spread capture
    (0.149 vs 0.006) and Δ two-sided presence (8.26 vs 0.3 pp) each went symlog, each panel on its own, because
    the latencies' single points were compared as groups; Δ PnL (356.6 vs 37.7, under 20x) stayed linear. The
    categories are what a categorical panel compares (docs/sweeps.md): one here, so linear, as the other figure."""
    rows, grid = _vs_by_feed(DEFENCE)
    figs = sweep_figures(rows, grid)
    expected = {"Δ markout 1s (ticks/lot)": ("linear", None), "Δ spread capture (ticks/lot)": ("linear", None),
                "Δ PnL per day (quote ccy)": ("linear", None), "Δ two-sided presence (pp)": ("linear", None)}
    assert {ax.get_title(): _scale(ax) for ax in figs["sweep_latency_feed_vs_baseline.png"].axes} == expected
    assert {ax.get_title(): _scale(ax) for ax in figs["sweep_strategy_vs_baseline.png"].axes} == expected


def test_the_metrics_against_the_strategy_take_the_scales_they_have_against_the_latency():
    """The second case, on the metrics figure: both strategies make 48,000 at 0 ms and 500 at 1 ms. Against the
    latency each strategy is one line from 48,000 to 500 (sizes 48,000 and 48,000: linear); against the strategy
    the 0 ms and 1 ms markers were compared (96x: symlog). Now linear in both; strategies 48,000 against -480 still
    go symlog in both (test_sweep_points)."""
    rows, grid = _rows({"Naive": [{"markout.1s.mean_ticks": -1.0}], "Pull": [{"markout.1s.mean_ticks": -1.0}]})
    for r in rows:
        r["pnl.total"] = 48_000.0 if r["latency.feed"] == "0ms" else 500.0
    figs = sweep_figures(rows, grid)
    assert _scale(_panel(figs["sweep_latency_feed.png"], "PnL")) == ("linear", None)
    assert _scale(_panel(figs["sweep_strategy.png"], "PnL")) == ("linear", None)
    assert _panel(figs["sweep_strategy.png"], "PnL").get_title() == "PnL (quote ccy)"


def _legend_texts(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_the_differences_figure_lists_its_series_in_the_metrics_figure_s_order():
    """Δ markout 1s has no interval at 1 ms (too few buckets: ci_low/ci_high null), so that series is drawn
    without bars; the legend, read off the first panel, listed it first (matplotlib puts plain lines before
    error-bar containers): `latency.feed=1ms, latency.feed=0ms` beside the metrics figure's `0ms, 1ms`."""
    diffs = {f: {"markout@1s": DEFENCE[f]["markout@1s"], "pnl_per_day": DEFENCE[f]["pnl_per_day"]} for f in DEFENCE}
    diffs["1ms"]["markout@1s"] = (-0.039, None, None)
    rows, grid = _vs_by_feed(diffs)
    figs = sweep_figures(rows, grid)
    assert _legend_texts(figs["sweep_strategy.png"]) == ["latency.feed=0ms", "latency.feed=1ms"]
    assert _legend_texts(figs["sweep_strategy_vs_baseline.png"]) == ["latency.feed=0ms", "latency.feed=1ms"]


def test_a_series_missing_from_the_first_panel_is_in_the_legend():
    """The second case: Pull B has no Δ markout 1s at all (null), only a Δ PnL: it was left out of the legend
    (read off the Δ markout panel) though its Δ PnL is drawn; now listed in its place, as the metrics figure."""
    rows, grid = _vs_rows({"PullA": [{"markout@1s": (1.0, 0.5, 1.5), "pnl_per_day": (4.0, 3.0, 5.0)}],
                           "PullB": [{"markout@1s": (None, None, None), "pnl_per_day": (5.0, 4.0, 6.0)}]})
    for r in rows:
        if r["strategy"] == "PullB":
            r.update({"vs_baseline.markout@1s": None, "vs_baseline.markout@1s.ci_low": None,
                      "vs_baseline.markout@1s.ci_high": None})
    figs = sweep_figures(rows, grid)
    assert _legend_texts(figs["sweep_latency_feed.png"]) == ["strategy=Naive", "strategy=PullA", "strategy=PullB"]
    assert _legend_texts(figs["sweep_latency_feed_vs_baseline.png"]) == ["strategy=PullA", "strategy=PullB"]


# ----------------------------------------------------------------------------- a recorded feed's two lines (sweepfix16)


def _recorded_rows(value_of, vs_baseline):
    """Naive (the baseline) and Pull at ``[5ms, 20ms, recorded, recorded + 5ms]``; ``value_of``: strategy -> feed
    -> the metric's value (Pull's Δ markout at 1s when ``vs_baseline``, each strategy's PnL otherwise)."""
    rows = []
    for strat in ("Naive", "Pull"):
        for feed in ("5ms", "20ms", "recorded", "recorded + 5ms"):
            r = {"id": f"p{len(rows)}", "index": len(rows), "repeat": 0, "seed": 0, "status": "ok", "strategy": strat,
                 "latency.feed": feed, "pnl.total": value_of[strat][feed], "markout.1s.mean_ticks": -1.0}
            if vs_baseline:
                d = value_of[strat][feed]
                r.update({"pnl.total": 1.0, "baseline": "p0", "baseline_note": None,
                          "verdict": "baseline" if strat == "Naive" else "better", "vs_baseline.markout@1s": d,
                          "vs_baseline.markout@1s.ci_low": 0.9 * d, "vs_baseline.markout@1s.ci_high": 1.1 * d})
            rows.append(r)
    grid = Grid(points=(), keys=("strategy", "latency.feed"), repeats=1, output=None, workers=None, source="g.yaml",
                baseline=BaselinePlan(spec={"strategy": "Naive"}, settings=CompareSettings()) if vs_baseline else None)
    return rows, grid


def test_a_series_split_in_its_constant_and_recorded_lines_is_one_group_for_the_y_scale():
    """Pull's Δ markout is 0.1 tick at the constants and 4-5 ticks on the recorded feed. Against the strategy its
    one category stayed linear; against the latency its constants' line (size 0.132) was compared with its recorded
    line (5.5): 41x, symlog. The two lines are one series, one group, as its category is: linear in both."""
    d_mk = {"5ms": 0.10, "20ms": 0.12, "recorded": 4.0, "recorded + 5ms": 5.0}
    rows, grid = _recorded_rows({"Naive": {f: 0.0 for f in d_mk}, "Pull": d_mk}, vs_baseline=True)
    figs = sweep_figures(rows, grid)
    assert _scale(_panel(figs["sweep_latency_feed_vs_baseline.png"], "Δ markout 1s")) == ("linear", None)
    assert _scale(_panel(figs["sweep_strategy_vs_baseline.png"], "Δ markout 1s")) == ("linear", None)


def test_the_metrics_figure_with_a_recorded_feed_agrees_with_the_strategy_figure():
    """The second case, on the metrics figure: both strategies make 100 at the constants and 4,000-5,000 on the
    recorded feed. Against the latency four lines (100, 5,000, 100, 5,000: 50x) went symlog; against the
    strategy its two categories (5,000 each) linear. Now each strategy is one group: linear in both; strategies
    100 against 5,000 throughout still go symlog in both."""
    pnl = {"5ms": 100.0, "20ms": 90.0, "recorded": 4_000.0, "recorded + 5ms": 5_000.0}
    rows, grid = _recorded_rows({"Naive": pnl, "Pull": pnl}, vs_baseline=False)
    figs = sweep_figures(rows, grid)
    assert _scale(_panel(figs["sweep_latency_feed.png"], "PnL")) == ("linear", None)
    assert _scale(_panel(figs["sweep_strategy.png"], "PnL")) == ("linear", None)
    small = {f: v / 50 for f, v in pnl.items()}
    rows, grid = _recorded_rows({"Naive": small, "Pull": {f: 5_000.0 for f in pnl}}, vs_baseline=False)
    figs = sweep_figures(rows, grid)
    assert _scale(_panel(figs["sweep_latency_feed.png"], "PnL"))[0] == "symlog"
    assert _scale(_panel(figs["sweep_strategy.png"], "PnL"))[0] == "symlog"
