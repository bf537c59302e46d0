"""A number too wide for its table cell is written shorter in scientific notation, never folded across lines.

breaker26: at 80 columns, a run with tick, lot and contract size 1e12 printed ``PnL total │
11,985,335,000,000,003,293,591,560,97`` over ``1,187,715,437,494,272.00`` (the value folded: read as two
numbers, the first cut); report.json had 1.1985335000000003e43.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind
from mmsim._tables import fit_table
from mmsim.records import FILL_DTYPE, ORDER_LOG_DTYPE
from mmsim.report import make_report
from mmsim.report.render import rich_tables

S = 1_000_000_000
#: pnl.total of breaker26's run (report.json), as the summary writes it: 2 decimals of the float's exact value.
BIG = 1.1985335000000003e43
BIG_TEXT = "11,985,335,000,000,003,293,591,560,971,187,715,437,494,272.00"


def _printed(renderable, width: int) -> list[str]:
    from rich.console import Console

    console = Console(record=True, width=width)
    console.print(renderable)
    return console.export_text().splitlines()


def _cells(lines: list[str]) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in lines if line.startswith("│")]


@pytest.mark.parametrize("number, width, short", [
    (BIG_TEXT, 80, "1.1985335000000003e+43"),  # the float's 17 digits (repr) when they fit
    (BIG_TEXT, 16, "1.1985335e+43"),  # 11 digits fit; the zeros among them are dropped
    (BIG_TEXT, 12, "1.198534e+43"),  # 7 digits: 1.198533|5000000003 rounds up
    (BIG_TEXT, 3, "1.199e+43"),  # never fewer than 4 significant digits (a cell this narrow folds the number)
    ("1,197,000,000,000,000", 8, "1.197e+15"),  # an integer a float holds: its digits, 4
    ("100000000000000000001", 30, "1.00000000000000000001e+20"),  # an integer no float holds: every digit
    ("-1,234,567", 10, "-1.235e+06"),  # 4 digits: 1.234|567 rounds up
    ("1,234,500", 9, "1.234e+06"),  # rounded half to even from the digits written
    ("-2,500,000,000.50", 17, "-2.5000000005e+09"),  # a fraction: its float's 11 digits, 17 wide
    ("-2,500,000,000.50", 16, "-2.5e+09"),  # 10 digits: 2.500000000|5 to even, the zeros dropped
])
def test_scientific_keeps_as_many_digits_as_fit(number, width, short):
    from mmsim._tables import scientific

    assert scientific(number, width) == short


def test_fit_table_writes_a_number_too_wide_for_its_cell_shorter():
    from rich.table import Table

    # key column: 3 wide ("key"); the value column gets 24 - (1 + 5 + 1 + 2 + 1) = 14 columns: 1.1985335e+43.
    cols = [("key", {}), ("PnL", {"justify": "right"})]
    lines = _printed(fit_table(lambda t, c: Table(title=t, caption=c), cols, [["k", BIG_TEXT], ["m", "-2.5"]], 24),
                     24)
    assert _cells(lines) == [["k", "1.1985335e+43"], ["m", "-2.5"]]
    # Wide enough: the number as written, whole.
    lines = _printed(fit_table(lambda t, c: Table(title=t, caption=c), cols, [["k", BIG_TEXT]], 80), 80)
    assert _cells(lines) == [["k", BIG_TEXT]]


def test_a_number_cell_wraps_at_spaces_before_it_shortens_a_number():
    from rich.table import Table

    from mmsim._tables import NumberCell

    t = Table()
    t.add_column("v", justify="right")
    t.add_row(NumberCell("-11,000,000,000,000 @ 10,039,000,000,000,000"))
    # 22 columns for the cell: both numbers fit whole, each on its own line.
    assert _cells(_printed(t, 26)) == [["-11,000,000,000,000 @"], ["10,039,000,000,000,000"]]
    # 12 columns: 10,039,000,000,000,000 (22) does not fit: 1.0039e+16.
    assert _cells(_printed(t, 16)) == [["-1.1e+13 @"], ["1.0039e+16"]]


@pytest.fixture(scope="module")
def report_data():
    """A hand-built run (no fills, two-sided 100/102 book) whose figures are then set to breaker26's sizes."""
    ev = make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (10 * S, Kind.DEPTH, 1, 100, 6)])
    res = SimpleNamespace(fills=np.zeros(0, dtype=FILL_DTYPE), orders=np.zeros(0, dtype=ORDER_LOG_DTYPE),
                          samples=None, fill_signals=None, position=0, cash_ticks=0, fees=0.0, tick_value=1.0,
                          config=mmsim.Config(), meta={"symbol": "TEST"}, strategy="Still")
    d = make_report(res, ev).data
    d["pnl"].update(total=BIG, inventory=-1.07e39)
    d["risk"]["max_drawdown"] = 2.5e40
    return d


def _summary(d, width: int) -> dict[str, str]:
    lines = []
    for r in rich_tables(d, width=width)[:2]:  # the setup (when there is one) and the summary
        lines += _printed(r, width)
    assert max(len(x) for x in lines) <= width
    return {c[0]: c[1] for c in _cells(lines) if len(c) == 2 and c[0]}


def test_the_summary_at_80_columns_writes_a_huge_pnl_in_scientific_notation(report_data):
    cells = _summary(report_data, 80)
    assert cells["PnL total (mark to mid)"] == "1.1985335000000003e+43"
    assert cells["inventory"] == "-1.07e+39"
    assert cells["Max drawdown"] == "2.5e+40"  # 24,999,999,999,999,999,…: the float 2.5e40
    assert cells["spread capture"] == "0.00"  # what fits stays as written


def test_the_summary_at_200_columns_writes_every_digit(report_data):
    cells = _summary(report_data, 200)
    assert cells["PnL total (mark to mid)"] == BIG_TEXT
    assert cells["inventory"] == f"{-1.07e39:,.2f}"


def test_the_sweep_table_in_a_narrow_terminal_writes_a_huge_pnl_in_scientific_notation():
    from mmsim.sweep import Grid, rich_table

    rows = [{"id": f"{i:016x}", "digest": f"{i:012x}", "index": i, "repeat": 0, "seed": 0, "status": "ok",
             "latency.feed": feed, "pnl.total": pnl, "fills.count": 1197, "n_events": 7, "elapsed_s": 0.1,
             "error_type": None, "error_message": None}
            for i, (feed, pnl) in enumerate([("0ms", BIG), ("5ms", -2.5e40)])]
    grid = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml")
    lines = _printed(rich_table(rows, grid, width=60), 60)
    assert max(len(x) for x in lines) <= 60
    pnl = {c[0]: c[1] for c in _cells(lines) if len(c) == 2}  # the part of the table with the PnL column
    assert pnl == {"0ms": "1.1985335000000003e+43", "5ms": "-2.5e+40"}


def test_a_number_cell_measures_its_numbers_at_their_shortest():
    from rich.console import Console

    from mmsim._tables import NumberCell

    console = Console(width=200)
    # at most the whole text; at least its widest word, a number at 4 digits: 1.199e+43 (9), "[" and "," kept (11)
    m = console.measure(NumberCell(f"[{BIG_TEXT}, 5.00]"))
    assert (m.minimum, m.maximum) == (11, len(BIG_TEXT) + 8)
    m = console.measure(NumberCell("a rather long key"))
    assert (m.minimum, m.maximum) == (6, 17)
