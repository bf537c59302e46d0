"""Every table mmsim prints fits the terminal without cutting a number (issue 15 item 7).

Each command's output (`run`/`report`, `sweep`, `queue-score`, `compare`; `demo`
is tested the same way in test_demo.py) is printed to a rich console of 80 and of
200 columns: no line is longer than the width, nothing is cut (rich writes "…"
where it cuts), and every number the table holds appears whole.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, make_events

import mmsim
from mmsim.report._format import _num
from mmsim.sweep import Grid, rich_table

S = 1_000_000_000
WIDTHS = [80, 200]
#: Narrower than the docs' 80: tables stack further (a group that does not fit is split into its
#: columns) and a part still too wide wraps its cells; nothing is cut at any width.
NARROW = [60, 40]


def _printed(renderables, width: int) -> str:
    from rich.console import Console

    console = Console(record=True, width=width)
    for r in renderables:
        console.print(r)
    return console.export_text()


def _check(text: str, width: int) -> list[str]:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text
    return [" ".join(line.replace("│", " ").replace("┃", " ").split()) for line in lines]


@pytest.fixture(scope="module")
def run_report(tmp_path_factory):
    """A real run on a synthetic L2 day with every report section: six horizons, signals, 4-digit counts."""
    from mmsim.synth import SynthConfig, write_store

    store = mmsim.load(write_store(SynthConfig(seed=4, duration=600 * S, format="l2"),
                                   tmp_path_factory.mktemp("width") / "s"))
    cfg = mmsim.RunConfig.from_dict({
        "data": str(store.path), "latency": {"feed": "1ms", "entry": "1ms", "response": "1ms"},
        "strategy": {"path": f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread",
                     "params": {"half_spread": 0.5, "size": 1}},
        "report": {"horizons": ["100ms", "1s", "10s", "60s"], "event_horizons": [10, 100]}})
    from mmsim.runner import run_config

    res = run_config(cfg, events=store)
    return res.report(store)


@pytest.mark.parametrize("width", WIDTHS)
def test_run_and_report_tables_fit(run_report, width):
    from rich.console import Console

    console = Console(record=True, width=width)
    run_report.print(console)  # what `mmsim run` and `mmsim report` print
    text = console.export_text()
    lines = _check(text, width)
    d = run_report.data
    assert d["fills"]["count"] >= 1000  # 4-digit counts, as in the "3,9…"
    flat = " ".join(lines)
    # A post-only quoter has no taker fills: that all-"–" column is left out, and the title says so.
    groups = [g for g in ("buy", "sell", "maker", "taker") if any(m["groups"][g]["n"] for m in d["markouts"])]
    assert groups == ["buy", "sell", "maker"]
    assert "no taker fills)" in flat
    assert not any(line.startswith("horizon") and "taker" in line for line in lines)
    for m in d["markouts"]:
        g = m["groups"]["all"]
        row = f"{m['horizon']} {_num(g['ticks']['mean'], 2)} [{_num(g['ticks']['ci_low'], 2)}, " \
              f"{_num(g['ticks']['ci_high'], 2)}] {_num(g['bps']['mean'], 2)} {g['n']:,}"
        sides = " ".join(_num(m["groups"][k]["ticks"]["mean"], 2) for k in groups)
        # One table (the whole row on one line), or stacked (two tables, each row led by its horizon).
        assert f"{row} {sides}" in flat or (width < 200 and row in flat and f"{m['horizon']} {sides}" in flat), row
    for name, s in d["signals"].items():
        qs = " ".join(_num(b["markout_ticks"]["mean"], 2) for b in s["buckets"])
        rho = f"{_num(s['spearman']['rho'], 2)} {_num(s['spearman_signed']['rho'], 2)} {s['n']:,}"
        if width == 200:
            assert f"{name} {qs} {rho}" in flat
        else:
            assert f"{name} {qs}" in flat and f"{name} {rho}" in flat
    assert f"PnL total (mark to mid) {_num(d['pnl']['total'], 2)}" in flat
    # Information age: every row whole; markout by age (stacked at 80: the range leads each part).
    from mmsim.report.render_infoage import age_rows, by_age_rows

    ia = d["information_age"]
    for row in age_rows(ia):
        assert " ".join(" ".join(row).split()) in flat, row
    head, rows = by_age_rows(ia["by_age"][0], d["run"]["horizons"])
    assert len(rows) >= 2
    for row in rows:
        whole = " ".join(" ".join(row).split())
        assert whole in flat or (width < 200 and " ".join(" ".join(row[:5]).split()) in flat
                                 and " ".join(" ".join([row[0]] + row[5:]).split()) in flat), row
    assert f"look-ahead audit: {ia['n_decisions']:,} decisions, 0 violations" in flat
    if width == 200:  # stacked only when needed: at 200 columns each table is one
        assert "(continued)" not in flat


@pytest.mark.parametrize("width", NARROW)
def test_report_tables_below_80_columns_are_never_cut(run_report, width):
    from rich.console import Console

    console = Console(record=True, width=width)
    run_report.print(console)
    text = console.export_text()
    lines = _check(text, width)  # no line wider than the console, no "…"
    flat = " ".join(lines)
    d = run_report.data
    # Every markout mean and interval prints whole, each row led by its horizon.
    for m in d["markouts"]:
        g = m["groups"]["all"]["ticks"]
        assert f"{m['horizon']} {_num(g['mean'], 2)}" in flat
        assert f"[{_num(g['ci_low'], 2)}, {_num(g['ci_high'], 2)}]" in flat or width < 60
    # Markout by information age (its 4-column group is wider than 60 with the age range):
    # split into single columns, every bucket's count and mean whole.
    from mmsim.report.render_infoage import by_age_rows

    head, rows = by_age_rows(d["information_age"]["by_age"][0], d["run"]["horizons"])
    for row in rows:
        for cell in row[1:3]:
            assert f" {cell} " in f" {flat} ", (row, cell)
    assert f"{_num(d['pnl']['total'], 2)}" in flat


def _sweep_rows(n_horizons: int = 6):
    rows = []
    feeds = ["0ms", {"lognormal": {"median": "1ms", "sigma": 0.5}}, "250us", "1s"]
    for i, (strat, feed) in enumerate([(s, f) for s in ("FixedSpread", "ToxicityPull") for f in feeds]):
        row = {"id": f"{i:016x}", "digest": f"{i:012x}", "index": i, "repeat": 0, "seed": 0, "status": "ok",
               "strategy": {"path": f"/long/path/strategies/{strat.lower()}.py:{strat}",
                            "params": {"half_spread": 1, "size": 100}},
               "latency.feed": feed, "pnl.total": -12345.678 * (i + 1), "fills.count": 4090 + i,
               "toxic_share": 0.55 + i / 1000, "n_events": 78849, "elapsed_s": 0.1,
               "error_type": None, "error_message": None}
        for h in ["100ms", "1s", "10s", "60s", "10ev", "100ev"][:n_horizons]:
            row[f"markout.{h}.mean_ticks"] = -1.2345 - i / 10
        rows.append(row)
    rows[3].update(status="error", error_type="StrategyError", error_message="strategy X returned an invalid "
                   "quote at local time 1340285400000000000 ns (2012-06-21T13:30:00.000000000Z): bid qty 0.5",
                   **{"pnl.total": None})
    grid = Grid(points=(), keys=("strategy", "latency.feed"), repeats=1, output=None, workers=None,
                source="g.yaml")
    return rows, grid


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_table_fits_and_keeps_every_markout(width):
    rows, grid = _sweep_rows()
    text = _printed([rich_table(rows, grid, width=width)], width)
    lines = _check(text, width)
    # Each point's cells, gathered over the stacked tables (every part repeats the key columns).
    cells: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            parts = [c.strip() for c in line.strip().strip("│").split("│")]
            cells.setdefault((parts[0], parts[1]), []).extend(parts[2:])
    feeds = {"0ms": "0ms", "250us": "250us", "1s": "1s"}
    for r in rows:
        feed = feeds.get(r["latency.feed"], "lognormal(1ms, 0.5)") if isinstance(r["latency.feed"], str) \
            else "lognormal(1ms, 0.5)"
        key = (r["strategy"]["path"].rpartition(":")[2], feed)
        # Each column's decimals are its metric's unit's (sweepword14; they were 3 significant digits of the column).
        marks = [f"{r[k]:.3f}" for k in r if k.startswith("markout.")]
        if r["status"] == "ok":
            expected = ["ok", f"{r['pnl.total']:,.2f}", f"{r['fills.count']:,}", f"{100 * r['toxic_share']:.2f}%", *marks]
        else:
            expected = ["StrategyError", *["–"] * (3 + len(marks))]  # a failed point has no figures
        assert sorted(cells[key]) == sorted([*expected, r["id"][:8]]), key
    assert ("(continued)" in text) == (width == 80)
    # The lognormal latency reads as a model, not as JSON; the failure is listed whole below the table.
    flat = " ".join(lines)
    assert '{"lognormal"' not in text
    assert ("point 00000000 (strategy=FixedSpread(half_spread=1, size=100), latency.feed=1s): StrategyError: strategy X returned an "
            "invalid quote at local time 1340285400000000000 ns (2012-06-21T13:30:00.000000000Z): bid qty 0.5"
            in flat)


def _queue_score():
    from test_queue_score import BID_DAY, MODELS, ZERO, FixedQuote

    from mmsim.analysis import score_queue_models

    return score_queue_models(make_events(BID_DAY), FixedQuote(1), ZERO, MODELS, tolerance="1s",
                              horizons=["100ms", "1s", "10s"], fit_powers=(1, 2))


@pytest.mark.parametrize("width", WIDTHS + NARROW)
def test_queue_score_table_fits(width):
    from rich.console import Console

    score = _queue_score()
    console = Console(record=True, width=width)
    score.print(console)  # what `mmsim queue-score` prints
    lines = _check(console.export_text(), width)
    flat = " ".join(lines)
    for r in score.to_dict()["rows"]:
        assert f"{r['model']} {r['fills']:,}" in flat


def _fake(fills):
    from test_compare import fake_run

    return fake_run(fills, n_events=7)


@pytest.mark.parametrize("width", WIDTHS + NARROW)
def test_compare_table_fits(width):
    from test_compare import events_two_minutes, fill

    from mmsim.analysis.comparison import _fmt

    a = _fake([fill(10 * S, 1, 100, 2), fill(70 * S, -1, 102, 1), fill(100 * S, 1, 101, 1)])
    b = _fake([fill(10 * S, 1, 100, 1), fill(70 * S, -1, 102, 2), fill(100 * S, 1, 100, 3)])
    cmp = mmsim.compare(a, b, events_two_minutes(), horizons=["1s", "10s"], bucket="30s", n_boot=200,
                        labels=("a-rather-long-baseline-name", "b-rather-long-candidate-name"))
    from rich.console import Console

    console = Console(record=True, width=width)
    cmp.print(console)  # what `mmsim compare` prints
    lines = _check(console.export_text(), width)
    flat = " ".join(lines)
    for r in cmp.rows:
        money = r.metric == "pnl_per_day"
        assert f"{r.label} {_fmt(r.a, money, True)} {_fmt(r.b, money, True)} {_fmt(r.diff.estimate, money, True)}" \
            in flat


def test_fit_table_stacks_only_what_does_not_fit():
    from rich.table import Table

    from mmsim._tables import fit_table

    cols = [("key", {}), *[(f"col{i}", {"justify": "right"}) for i in range(8)]]
    rows = [["row", *[f"{-1234.5678 * i:,.4f}" for i in range(8)]]]
    one = fit_table(lambda t, c: Table(title=t, caption=c), cols, rows, 200, title="T")
    assert isinstance(one, Table) and len(one.columns) == 9
    parts = fit_table(lambda t, c: Table(title=t, caption=c), cols, rows, 60, title="T", caption="C")
    tables = parts.renderables
    # Titles, captions and headers come as plain rich Text (never markup), compared by their text.
    assert [str(t.title) for t in tables] == ["T"] + ["T (continued)"] * (len(tables) - 1)
    assert [None if t.caption is None else str(t.caption) for t in tables] == [None] * (len(tables) - 1) + ["C"]
    assert all(str(t.columns[0].header) == "key" for t in tables)  # the key column is repeated
    assert sum(len(t.columns) - 1 for t in tables) == 8  # every other column exactly once
    text = _printed([parts], 60)
    _check(text, 60)
    for v in rows[0][1:]:
        assert v in text


def test_fit_table_wraps_a_part_too_wide_for_the_console_instead_of_cutting_it():
    from rich.table import Table

    from mmsim._tables import fit_table

    # A key and one value column together need 2 + 14 + 3 + 18 + 2 = 39 columns; at 24 even
    # that part does not fit: its cells wrap (the long number folds), nothing is cut.
    cols = [("key", {}), ("value", {"justify": "right"}), ("other", {"justify": "right"})]
    rows = [["a rather long key", "-123,456,789.0123", "7"]]
    text = _printed([fit_table(lambda t, c: Table(title=t, caption=c), cols, rows, 24, groups=[[1, 2]])], 24)
    _check(text, 24)
    # Each table's body column by column: a wrapped cell continues on the next line of its column.
    body: dict[int, str] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            for k, cell in enumerate(line.strip().strip("│").split("│")):
                body[k] = body.get(k, "") + cell.replace(" ", "")
    assert "-123,456,789.0123" in body[1] and "7" in body[1]  # the value part, then the other part
    assert body[0].count("aratherlongkey") == 2  # the key, repeated in both parts
