"""A sweep plot's rows of panels leave room for what hangs under them (sweepword14, the newcomer's): twenty long
latency labels, turned upright by ``fit_tick_labels`` after the figure was laid out, ran into the next row's
panel titles (and the last row's into the legend). The figure now grows by what each row needs."""

from __future__ import annotations

import pytest
from test_sweep_points import _rows

from mmsim._plot import png_bytes
from mmsim.sweep.render import sweep_figures


def _figure(values, horizons):
    rows, grid = _rows(values)
    for r in rows:
        for j, h in enumerate(horizons):
            r[f"markout.{h}.mean_ticks"] = r["markout.1s.mean_ticks"] * (j + 2)
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    png_bytes(fig)
    return fig


def _overlaps(fig):
    """(what, with) for every tick label or axis title that overlaps another panel's title or the legend."""
    r = fig.canvas.get_renderer()
    found = []
    others = [(b.title.get_text(), b.title.get_window_extent(r), b) for b in fig.axes]
    others += [("legend", lg.get_window_extent(r), None) for lg in fig.legends]
    for a in fig.axes:
        hanging = [t for t in [*a.get_xticklabels(), a.xaxis.label] if t.get_text()]
        for t in hanging:
            box = t.get_window_extent(r)
            found += [(t.get_text(), name) for name, other, b in others if b is not a and box.overlaps(other)]
    return found


@pytest.mark.parametrize("horizons, rows_of_panels", [(["10s"], 2), (["10s", "60s", "100ev", "10ev", "5min"], 3)])
def test_twenty_upright_latency_labels_stay_clear_of_the_next_row(horizons, rows_of_panels):
    values = [f"{(i + 1) * 1_000_003}ns" for i in range(20)]  # 1000003ns ... 20000060ns: crowded, turned upright
    fig = _figure(values, horizons)
    assert {t.get_rotation() for t in fig.axes[0].get_xticklabels()} == {90.0}
    assert len({round(ax.get_position().y0, 6) for ax in fig.axes}) == rows_of_panels
    assert _overlaps(fig) == []  # before: 'latency.feed' on 'Markout 10s (ticks)', labels on the legend
    # Each panel keeps its height (2.35 in): the figure grew, the panels did not shrink.
    assert {round(ax.get_position().height * fig.get_size_inches()[1], 2) for ax in fig.axes} == {2.35}


def test_a_figure_whose_labels_fit_keeps_its_planned_height():
    fig = _figure(["0ms", "1ms", "10ms", "1s"], ["10s"])
    assert _overlaps(fig) == []
    assert fig.get_size_inches()[1] == pytest.approx(2 * 2.35 + 2 * 0.95 + 0.65 + 0.35)
