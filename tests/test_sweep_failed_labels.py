"""A failed or skipped sweep point is named whole in its message line, never cut like a table cell."""

from __future__ import annotations

import io

from rich.console import Console

from mmsim.sweep import parse_grid, rich_table


def _render(renderable) -> str:
    buf = io.StringIO()
    Console(file=buf, width=1000, color_system=None).print(renderable)
    return buf.getvalue()


def _rows(grid, **fields):
    return [{"id": p.id, **p.overrides, **fields} for p in grid.points]


def test_a_failed_points_long_strategy_label_is_printed_whole(tmp_path):
    params = {"half_spread": 1, "size": 100, "max_position": 500, "pull_threshold": 0.25}
    grid = parse_grid({"base": {"data": str(tmp_path / "s")},
                       "points": [{"strategy": {"path": f"{tmp_path / 'flowpull.py'}:flowpull", "params": params}}],
                       "axes": {"latency.feed": ["0ms"]}})
    rows = _rows(grid, status="error", error_type="StrategyError", error_message="boom")
    text = _render(rich_table(rows, grid))
    assert (f"point {grid.points[0].id[:8]} (strategy=flowpull(half_spread=1, size=100, max_position=500, "
            "pull_threshold=0.25), latency.feed=0ms): StrategyError: boom") in text


def test_a_long_latency_and_parameter_mapping_in_a_not_compared_line_are_whole_too(tmp_path):
    # The same kind: a lognormal latency with its floor and a mapping of parameters, over 40 characters each.
    feed = {"lognormal": {"median": "1234567ns", "sigma": 0.123456789, "min": "7ns"}}
    params = {"half_spread": 1, "size": 100, "skew_per_lot_in_ticks": 0.125}
    grid = parse_grid({"base": {"data": str(tmp_path / "s"), "strategy": {"path": "fixed_spread"}},
                       "axes": {"latency.feed": [feed], "strategy.params": [params]}})
    rows = _rows(grid, status="error", error_type="DataError", error_message="event 3: bad")
    text = _render(rich_table(rows, grid))
    assert (f"point {grid.points[0].id[:8]} (latency.feed=lognormal(1234567ns, 0.123456789, min 7ns), "
            "strategy.params={half_spread=1, size=100, skew_per_lot_in_ticks=0.125}): DataError: event 3: bad") in text
