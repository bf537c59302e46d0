"""A sweep point's verdict says what it rests on and never reads as "it pays" on a PnL difference that is
not significant (sweepword14, the newcomer's finding: ``better (mk 1s, ...)`` beside a Δ PnL/day interval
spanning zero).

The verdict judges the fills (markouts, spread capture); the PnL per day has its own word
(``pnl_verdict``): ``better``/``worse`` when its interval excludes zero, ``not significant`` when it spans
zero, ``not tested`` without an interval. The intervals below are made by hand.
"""

from __future__ import annotations

from mmsim.sweep.baseline import columns, pnl_verdict, summary_verdict, verdict_on
from mmsim.sweep.render import _verdict_cell


def _cmp(**rows: tuple[float, float | None, float | None]) -> dict:
    """A recorded comparison: per quantity (estimate, ci_low, ci_high); significant when the CI excludes 0."""
    return {"id": "base", "rows": {m: {"estimate": e, "ci_low": lo, "ci_high": hi,
                                       "significant": lo is not None and hi is not None and (lo > 0 or hi < 0)}
                                   for m, (e, lo, hi) in rows.items()}}


def test_better_markouts_with_a_pnl_interval_spanning_zero_do_not_read_as_paying():
    # The defence sweep's 0 ms row: mk 1s 1.75 [1.57, 1.92], spread 0.0174 [0.0121, 0.0232], PnL/day 49.4 [-256, 357].
    c = _cmp(**{"markout@1s": (1.75, 1.57, 1.92), "spread_capture": (0.0174, 0.0121, 0.0232),
                "pnl_per_day": (49.4, -256.0, 357.0)})
    assert (summary_verdict(c), verdict_on(c), pnl_verdict(c)) == ("better", "mk 1s, spread", "not significant")
    assert _verdict_cell(columns(c)) == "fills: better (mk 1s, spread); PnL: not significant"


def test_the_pnl_is_judged_on_its_own_and_never_inside_the_fills_verdict():
    # Fills better, PnL really worse: it read "mixed (+mk 1s, −PnL/day)".
    c = _cmp(**{"markout@1s": (0.25, 0.03, 0.48), "pnl_per_day": (-27_588.0, -79_492.0, -25.0)})
    assert (summary_verdict(c), verdict_on(c), pnl_verdict(c)) == ("better", "mk 1s", "worse")
    assert _verdict_cell(columns(c)) == "fills: better (mk 1s); PnL: worse"
    # Only the PnL real: it read "better (PnL/day)", as if the fills were.
    c = _cmp(**{"markout@1s": (0.1, -0.2, 0.4), "spread_capture": (0.01, -0.01, 0.03),
                "pnl_per_day": (300.0, 12.0, 610.0)})
    assert (summary_verdict(c), verdict_on(c), pnl_verdict(c)) == ("none real", None, "better")
    assert _verdict_cell(columns(c)) == "fills: none real; PnL: better"
    # A PnL without an interval (too few buckets): not tested, whatever its estimate.
    c = _cmp(**{"markout@1s": (-0.5, -0.75, -0.25), "pnl_per_day": (-5.6, None, None)})
    assert _verdict_cell(columns(c)) == "fills: worse (mk 1s); PnL: not tested"
    # The baseline point and a skipped point: their one word, no PnL word.
    base = {"id": "base", "is_baseline": True, "rows": {"pnl_per_day": {"estimate": 0.0, "ci_low": 0.0,
                                                                          "ci_high": 0.0, "significant": False}}}
    assert (pnl_verdict(base), _verdict_cell(columns(base))) == (None, "baseline")
    skipped = {"id": None, "skipped": "no baseline point on its store", "rows": None}
    assert (pnl_verdict(skipped), _verdict_cell(columns(skipped))) == (None, "skipped")


# ----------------------------------------------------------------------------- the baseline point's Δ cells


def _rows(baselines=(0,)):
    """Three points on a feed latency, each compared with its baseline (``baselines``: the indices of the
    baseline points), the differences and intervals made by hand."""
    from mmsim.sweep import Grid
    from mmsim.sweep.baseline import BaselinePlan, CompareSettings

    rows = []
    for i, feed in enumerate(["0ms", "5ms", "50ms"]):
        base = i in baselines
        r = {"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", "latency.feed": feed,
             "pnl.total": 10.0 - i, "markout.1s.mean_ticks": -1.0 - i, "baseline": f"p{max(b for b in baselines if b <= i)}",
             "verdict": "baseline" if base else "worse", "verdict_on": None if base else "mk 1s",
             "pnl_verdict": None if base else "not significant", "baseline_note": None}
        for m, est, lo, hi in (("markout@1s", -0.5 * i, -0.75 * i, -0.25 * i), ("pnl_per_day", -100.0 * i, -300.0, 50.0)):
            r[f"vs_baseline.{m}"], r[f"vs_baseline.{m}.ci_low"], r[f"vs_baseline.{m}.ci_high"] = (
                (0.0, 0.0, 0.0) if base else (est, lo, hi))
        rows.append(r)
    grid = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml",
                baseline=BaselinePlan(spec=0, settings=CompareSettings()))
    return rows, grid


def test_the_baseline_point_s_delta_cells_say_baseline_not_zero(tmp_path):
    """The baseline row printed ``0 [0, 0]`` for its own differences, as if measured (the newcomer's)."""
    import csv

    from mmsim.sweep import write_report
    from mmsim.sweep.render import _table_rows, render_html

    rows, grid = _rows()
    header, body = _table_rows(rows, grid, short=True)
    assert header[-3:] == ["Δ mk 1s", "Δ PnL/day", "point"]
    assert body[0][-3:] == ["baseline", "baseline", "p0"]
    # sweepplot15: each unit's decimals (they read -0.5 [-0.75, -0.25] and -100 [-300, 50])
    assert body[1][-3:] == ["-0.500 [-0.750, -0.250]", "-100.00 [-300.00, 50.00]", "p1"]
    assert "<td>baseline</td><td>baseline</td>" in render_html(rows, grid, {})
    # results.csv keeps the numbers: the baseline against itself is exactly 0 [0, 0].
    write_report(rows, grid, tmp_path, plots=False)
    with (tmp_path / "results.csv").open(encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert [first[f"vs_baseline.markout@1s{s}"] for s in ("", ".ci_low", ".ci_high")] == ["0.0", "0.0", "0.0"]
    assert first["verdict"] == "baseline"


def test_every_baseline_point_of_a_sweep_reads_baseline():
    """A baseline per latency (``baseline: {strategy: ...}``): each of them, wherever it sits."""
    from mmsim.sweep.render import _table_rows

    rows, grid = _rows(baselines=(0, 2))
    _, body = _table_rows(rows, grid, short=True)
    assert [line[-3:-1] for line in body] == [["baseline", "baseline"],
                                              ["-0.500 [-0.750, -0.250]", "-100.00 [-300.00, 50.00]"],
                                              ["baseline", "baseline"]]
    _, body = _table_rows(rows, grid)  # the HTML's full table too
    assert [line[-4:-2] for line in body][2] == ["baseline", "baseline"]


# ----------------------------------------------------------------------------- plot titles


def test_plot_titles_name_each_metric_with_its_unit_and_the_toxic_share_in_percent():
    """The panels were titled by raw keys (``pnl.total``, ``toxic_share`` drawn as a fraction)."""
    from mmsim.sweep.render import sweep_figures

    rows, grid = _rows()
    for i, r in enumerate(rows):
        r["toxic_share"] = 0.5 + 0.125 * i
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert [ax.get_title() for ax in fig.axes] == ["PnL (quote ccy)", "Toxic fills (%)", "Markout 1s (ticks)"]
    line = next(ln for ln in fig.axes[1].get_lines() if ln.get_marker() == "o")
    assert list(line.get_ydata()) == [50.0, 62.5, 75.0]


def test_the_differences_plot_takes_its_titles_from_the_same_table():
    from mmsim.sweep.metrics import COMPARED_NAMES, METRIC_NAMES, metric_title
    from mmsim.sweep.render import sweep_figures

    rows, grid = _rows()
    fig = sweep_figures(rows, grid)["sweep_latency_feed_vs_baseline.png"]
    assert [ax.get_title() for ax in fig.axes] == ["Δ markout 1s (ticks/lot)", "Δ PnL per day (quote ccy)"]
    assert metric_title("presence_two_sided") == "Two-sided presence (%)"
    assert metric_title("vs_baseline.spread_capture") == "Δ spread capture (ticks/lot)"
    assert METRIC_NAMES["pnl.total"] == ("PnL", "quote ccy") and COMPARED_NAMES["pnl_per_day"][1] == "quote ccy"


# ----------------------------------------------------------------------------- Δ PnL on less than a day of data


def _spanned(days_spans):
    rows, grid = _rows()
    for r, (n, span) in zip(rows, days_spans):
        r["vs_baseline_n_days"], r["vs_baseline_span_ns"] = n, span
    return rows, grid


def test_the_pnl_difference_on_a_sub_day_capture_names_its_span():
    """A 5m46s capture's "Δ PnL/day" was the whole span's PnL (one day of data), labelled per day."""
    from mmsim.sweep.render import _table_rows, sweep_figures

    rows, grid = _spanned([(1, 346 * 10**9)] * 3)  # the Binance capture's 5m46s, as the report's Sharpe row names it
    header, _ = _table_rows(rows, grid, short=True)
    assert header[-3:] == ["Δ mk 1s", "Δ PnL (over 5m46s)", "point"]
    header, _ = _table_rows(rows, grid)
    assert header[-3] == "Δ PnL over 5m46s"
    titles = [ax.get_title() for ax in sweep_figures(rows, grid)["sweep_latency_feed_vs_baseline.png"].axes]
    assert titles == ["Δ markout 1s (ticks/lot)", "Δ PnL over 5m46s (quote ccy)"]


def test_more_days_or_several_spans_read_per_day_and_say_so():
    from mmsim.sweep.render import _table_rows

    day = 86_400 * 10**9
    # Three sessions: per day, as before; a results file recorded without the days: per day too.
    for days in ([(3, 3 * day - 1)] * 3, [(None, None)] * 3):
        header, _ = _table_rows(_spanned(days)[0], _rows()[1], short=True)
        assert header[-2] == "Δ PnL/day"
    # A grid over two stores, an hour and two days: the column cannot name one span.
    rows, grid = _spanned([(1, 3_600 * 10**9), (2, 2 * day - 1), (1, 3_600 * 10**9)])
    header, _ = _table_rows(rows, grid, short=True)
    assert header[-2] == "Δ PnL (per day; under a day: over its span)"
