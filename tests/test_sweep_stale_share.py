"""The share of fills on a stale book in a sweep's table and plots (sweep17): the report's ``stale_book.share``
(a fraction, as ``toxic_share``) reads in percent in the table's ``stale`` column and on a panel ``Fills on a
stale book (%)``; a point whose report computed it shows it, 0 included (an L3 store: 0 by construction); a point
whose report has none (None, or a record without the field) reads ``–`` and is not drawn; the column and panel
appear only when some point's share is above 0."""

from __future__ import annotations

from mmsim.sweep import Grid
from mmsim.sweep.render import _table_rows, rich_table, sweep_figures


def _rows(shares):
    """One strategy at len(shares) feed latencies; ``shares``: each point's stale_book.share, or ``...`` for a
    record without the field (written before it was kept)."""
    rows = []
    for i, share in enumerate(shares):
        r = {"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", "latency.feed": f"{i}ms",
             "pnl.total": 1.0, "toxic_share": 0.5}
        if share is not ...:
            r["stale_book.share"] = share
        rows.append(r)
    grid = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml")
    return rows, grid


def _panel(fig, title):
    return next(ax for ax in fig.axes if ax.get_title() == title)


def _points(ax):
    """The panel's drawn (x, y), y rounded to 1e-9."""
    return [(float(x), round(float(y), 9)) for ln in ax.get_lines() if ln.get_marker() == "o"
            for x, y in zip(ln.get_xdata(), ln.get_ydata())]


def _text(renderable) -> str:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=400, record=True)
    console.print(renderable)
    return " ".join(console.file.getvalue().split())


def test_the_stale_share_is_a_column_and_a_panel_in_percent():
    """On L2 stores: 3 of 12 maker fills stale (0.25) and 1 of 8 (0.125) read 25.00% and 12.50% in the table's
    ``stale`` column and on the panel ``Fills on a stale book (%)``, at 25 and 12.5 (the column and the panel
    were absent: the sweep showed only the toxic share and the presence)."""
    rows, grid = _rows([3 / 12, 1 / 8])
    header, body = _table_rows(rows, grid, short=True)
    assert header[header.index("toxic") + 1] == "stale"  # after the toxic share (and the two-sided presence)
    assert [line[header.index("stale")] for line in body] == ["25.00%", "12.50%"]
    header, body = _table_rows(rows, grid)  # sweep.html's table: the metric's full name
    assert [line[header.index("stale_book.share")] for line in body] == ["25.00%", "12.50%"]
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert [ax.get_title() for ax in fig.axes] == ["PnL (quote ccy)", "Toxic fills (%)", "Fills on a stale book (%)"]
    assert _points(_panel(fig, "Fills on a stale book (%)")) == [(0.0, 25.0), (1e6, 12.5)]  # x: the feed in ns
    assert "stale = share of the maker fills on a stale book" in _text(rich_table(rows, grid, width=400))


def test_a_share_the_report_computed_shows_even_at_0_and_one_it_did_not_stays_blank():
    """The second case: an L3 point's report computed it (0 of its 30 maker fills: 0.0) and reads 0.00%, drawn at
    0; a point whose report has none (None: no classified maker fill) and a record without the field read ``–``
    and are not drawn. With no point's share above 0 (none reported, or zeros only: a sweep of L3 stores, whose
    column of zeros said nothing) there is no column, no panel and no caption."""
    rows, grid = _rows([0.0, None, ..., 0.5])
    header, body = _table_rows(rows, grid, short=True)
    assert [line[header.index("stale")] for line in body] == ["0.00%", "–", "–", "50.00%"]
    fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
    assert _points(_panel(fig, "Fills on a stale book (%)")) == [(0.0, 0.0), (3e6, 50.0)]
    for shares in ([None, ...], [0.0, 0.0, None]):  # no number, or zeros only (a sweep of L3 stores)
        rows, grid = _rows(shares)
        header, _ = _table_rows(rows, grid, short=True)
        assert "stale" not in header
        fig = sweep_figures(rows, grid)["sweep_latency_feed.png"]
        assert [ax.get_title() for ax in fig.axes] == ["PnL (quote ccy)", "Toxic fills (%)"]
        assert "stale =" not in _text(rich_table(rows, grid, width=400))
