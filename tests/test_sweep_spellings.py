"""One value, one label across a sweep (sweepword14, the newcomer's): ``1ms`` on one strategy's explicit points and
``1000us`` on another's were accepted (two strategies written in separate blocks may well spell one latency two
ways) but printed as two labels, and plotted as two ticks on one spot. They read as the first spelling now, in
the table, sweep.html and the plots; results.csv and results.jsonl keep each point's value as written."""

from __future__ import annotations

from mmsim.sweep import Grid, parse_grid
from mmsim.sweep.labels import one_spelling
from mmsim.sweep.render import _table_rows, sweep_figures

A = {"path": "/x/fixed_spread.py:FixedSpread", "params": {}}
B = {"path": "/x/toxicity_pull.py:ToxicityPull", "params": {}}


def _rows(key, values):
    """Two strategies, each at the values of ``values`` (a list per strategy), figures made up."""
    rows = []
    for s, vals in zip((A, B), values):
        for v in vals:
            i = len(rows)
            rows.append({"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", "strategy": s, key: v,
                         "pnl.total": float(i), "toxic_share": 0.5, "markout.1s.mean_ticks": -1.0 - i})
    grid = Grid(points=(), keys=("strategy", key), repeats=1, output=None, workers=None, source="g.yaml")
    return rows, grid


def _ticks(fig):
    return [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_one_latency_written_two_ways_reads_as_its_first_spelling():
    rows, grid = _rows("latency.feed", [["0ms", "1ms"], ["0us", "1000us"]])
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("latency.feed")] for line in body] == ["0ms", "1ms", "0ms", "1ms"]
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert _ticks(fig) == ["0ms", "1ms"]  # it drew 0ms, 1ms, 0us, 1000us: two labels on each spot
    legend = [t.get_text() for t in sweep_figures(rows, grid)["sweep_strategy.png"].legends[0].get_texts()]
    assert legend == ["latency.feed=0ms", "latency.feed=1ms"]
    # The rows themselves (results.csv, results.jsonl) keep what each point wrote.
    assert [r["latency.feed"] for r in rows] == ["0ms", "1ms", "0us", "1000us"]


def test_a_latency_model_and_a_bare_ns_duration_written_two_ways_read_one_way():
    lognormal = [{"lognormal": {"median": "1ms", "sigma": 0.5}}], [{"lognormal": {"median": "1000us", "sigma": 0.5}}]
    rows, grid = _rows("latency.feed", list(lognormal))
    assert [r["latency.feed"] for r in one_spelling(rows, grid.keys)] == [lognormal[0][0]] * 2
    # One model: the latency does not vary (it drew a latency plot with lognormal(1ms, 0.5) ticked twice).
    assert set(sweep_figures(rows, grid)) == {"sweep_strategy.png"}
    # decide_every: 100ms and 100000000 (a bare number is ns): one tick, written as the first point wrote it.
    rows, grid = _rows("decide_every", [["100ms", "1s"], [100_000_000, "1000ms"]])
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("decide_every")] for line in body] == ["100ms", "1s", "100ms", "1s"]
    assert _ticks(sweep_figures(rows, grid)["sweep_decide_every.png"]) == ["100ms", "1s"]
    # Values that differ stay apart: 1ms is not recorded + 1ms, nor 1 a half spread of 1.0 on a non-duration key.
    rows, grid = _rows("latency.feed", [["1ms"], ["recorded + 1ms"]])
    assert [r["latency.feed"] for r in one_spelling(rows, grid.keys)] == ["1ms", "recorded + 1ms"]


def test_the_grid_accepts_it_and_each_point_keeps_its_written_value(tmp_path):
    store = tmp_path / "s"
    store.mkdir()
    grid = parse_grid({"base": {"data": str(store)},
                       "points": [{"strategy": {"path": "a.py:A"}, "latency.feed": "1ms"},
                                  {"strategy": {"path": "b.py:B"}, "latency.feed": "1000us"}]})
    assert [p.overrides["latency.feed"] for p in grid.points] == ["1ms", "1000us"]
