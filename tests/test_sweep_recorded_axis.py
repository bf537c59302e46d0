"""A sweep plot against a latency holding the recorded feed (sweep16, after newcomer15b): `recorded + X` is placed
by its X on a duration axis (it was categorical, one marker per value and no line). Every value recorded: one line
against X, the axis titled `latency.feed = recorded + X`. Constants beside recorded: two lines on one duration axis,
the constants' solid and the recorded feed's dashed in the same colour. A lognormal model among them stays
categorical (constants, then recorded by X, then lognormal)."""

from __future__ import annotations

from mmsim.sweep import Grid
from mmsim.sweep.render import sweep_figures


def _rows(feeds, strategies=("A",)):
    """Each strategy at each feed latency, its PnL 10 + the feed's position in ``feeds``."""
    rows = []
    for s in strategies:
        for i, f in enumerate(feeds):
            rows.append({"id": f"p{len(rows)}", "index": len(rows), "repeat": 0, "seed": 0, "status": "ok",
                         "strategy": s, "latency.feed": f, "pnl.total": 10.0 + i, "toxic_share": 0.5,
                         "markout.1s.mean_ticks": -1.0 - i})
    keys = ("strategy", "latency.feed") if len(strategies) > 1 else ("latency.feed",)
    return rows, Grid(points=(), keys=keys, repeats=1, output=None, workers=None, source="g.yaml")


def _ticks(ax):
    return [(float(x), t.get_text()) for x, t in zip(ax.get_xticks(), ax.get_xticklabels())]


def _lines(ax):
    """(label, linestyle, colour, x, y) of each series drawn with markers (round; the recorded feed's square
    beside constants)."""
    return [(ln.get_label(), ln.get_linestyle(), ln.get_color(), [float(v) for v in ln.get_xdata()],
             [float(v) for v in ln.get_ydata()]) for ln in ax.get_lines() if ln.get_marker() in ("o", "s")]


def test_an_axis_of_recorded_feeds_is_numeric_in_the_added_latency():
    """`[recorded, recorded + 5ms, recorded + 20ms]` (one written as the mapping, one without spaces): placed at
    X = 0, 5 ms, 20 ms on a duration axis (symlog: 0, 5, 20 ms), ticked `0`, `5ms`, `20ms`, one line; it was
    categorical at 0, 1, 2, ticked `recorded`, `recorded + 5ms`, `recorded + 20ms`, with no line."""
    rows, grid = _rows(["recorded", "recorded+5ms", {"recorded": "20ms"}])
    ax = sweep_figures(rows, grid)["sweep_latency_feed.png"].axes[0]
    assert ax.get_xlabel() == "latency.feed = recorded + X"
    assert _ticks(ax) == [(0.0, "0"), (5e6, "5ms"), (20e6, "20ms")]
    assert ax.get_xscale() == "symlog"
    assert _lines(ax) == [("all", "-", "C0", [0.0, 5e6, 20e6], [10.0, 11.0, 12.0])]


def test_an_even_grid_of_recorded_feeds_is_linear_in_the_added_latency():
    """The second case: `recorded + 0/25/50/75/100ms` out of order, an even grid, is linear as a constant
    one is (xscale.duration_scale), its points joined in the order of X."""
    feeds = ["recorded + 50ms", "recorded", "recorded + 25ms", "recorded + 100ms", "recorded + 75ms"]
    rows, grid = _rows(feeds)
    ax = sweep_figures(rows, grid)["sweep_latency_feed.png"].axes[0]
    assert ax.get_xscale() == "linear"
    assert _ticks(ax) == [(0.0, "0"), (25e6, "25ms"), (50e6, "50ms"), (75e6, "75ms"), (100e6, "100ms")]
    assert _lines(ax) == [("all", "-", "C0", [0.0, 25e6, 50e6, 75e6, 100e6], [11.0, 12.0, 10.0, 14.0, 13.0])]


def test_constants_beside_recorded_feeds_are_two_lines_on_one_axis():
    """`[recorded + 20ms, 5ms, recorded, recorded + 5ms, 20ms]` of two strategies: per strategy, the constants'
    line (5 ms, 20 ms) and the recorded feed's (X = 0, 5 ms, 20 ms), dashed, in the strategy's colour, on one
    axis ticked once per latency (`5ms` of the constant and of `recorded + 5ms` one tick). It was categorical,
    `[5ms, 20ms, recorded, recorded + 5ms, recorded + 20ms]`, with no line."""
    rows, grid = _rows(["recorded + 20ms", "5ms", "recorded", "recorded + 5ms", "20ms"], ("A", "B"))
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "latency.feed = X, or recorded + X"
    assert _ticks(ax) == [(0.0, "0"), (5e6, "5ms"), (20e6, "20ms")]
    assert _lines(ax) == [("strategy=A, constant", "-", "C0", [5e6, 20e6], [11.0, 14.0]),
                          ("strategy=A, recorded + X", "--", "C0", [0.0, 5e6, 20e6], [12.0, 13.0, 10.0]),
                          ("strategy=B, constant", "-", "C1", [5e6, 20e6], [11.0, 14.0]),
                          ("strategy=B, recorded + X", "--", "C1", [0.0, 5e6, 20e6], [12.0, 13.0, 10.0])]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "strategy=A, constant", "strategy=A, recorded + X", "strategy=B, constant", "strategy=B, recorded + X"]
    # One strategy: the two lines are named by their kind alone.
    rows, grid = _rows(["0ms", "recorded", "recorded + 1ms", "1ms"])
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert [(lb, ls) for lb, ls, *_ in _lines(fig.axes[0])] == [("constant", "-"), ("recorded + X", "--")]
    # A lone constant point reads apart from the recorded line's in the same colour: round against square.
    assert [(ln.get_label(), ln.get_marker()) for ln in fig.axes[0].get_lines()][:2] == [("constant", "o"),
                                                                                         ("recorded + X", "s")]
    assert _ticks(fig.axes[0]) == [(0.0, "0ms"), (1e6, "1ms")]


def test_a_lognormal_beside_a_recorded_feed_stays_categorical():
    rows, grid = _rows(["recorded", "5ms", {"lognormal": {"median": "1ms", "sigma": 0.5}}])
    ax = sweep_figures(rows, grid)["sweep_latency_feed.png"].axes[0]
    assert ax.get_xlabel() == "latency.feed"
    assert sorted(_ticks(ax)) == [(0.0, "5ms"), (1.0, "recorded"), (2.0, "lognormal(1ms, 0.5)")]
    assert [ls for _, ls, *_ in _lines(ax)] == ["None"]
