"""The sweep table's number cells take, per column, one number of decimals: as few as tell its distinct
values apart (the newcomer's: two points' markouts -1.2304 and -1.2261 both read -1.23, as if equal),
from where the column's largest value reads with 3 significant digits."""

from __future__ import annotations

import math

from mmsim.sweep import Grid
from mmsim.sweep.render import _table_rows


def _rows(cells):
    return [{"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", "latency.feed": f"{i}ms",
             "fills.count": 3, "n_events": 10, "elapsed_s": 0.1, "error_type": None, "error_message": None, **c}
            for i, c in enumerate(cells)]


GRID = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml")


def _column(rows, name, short=True):
    header, body = _table_rows(rows, GRID, short=short)
    return [line[header.index(name)] for line in body]


def test_a_column_takes_the_digits_that_tell_its_values_apart():
    rows = _rows([{"markout.1s.mean_ticks": -1.2304, "pnl.total": 44_182.1, "toxic_share": 0.57041},
                  {"markout.1s.mean_ticks": -1.2261, "pnl.total": 44_182.4, "toxic_share": 0.57012},
                  {"markout.1s.mean_ticks": -2.0, "pnl.total": 38_296.0, "toxic_share": 0.585},
                  {"markout.1s.mean_ticks": -1.2304, "pnl.total": 44_182.1, "toxic_share": 0.57041}])  # a repeat
    # It read -1.23, -1.23, -2 and 44,182, 44,182 and 57.0%, 57.0%: distinct points as equal.
    assert _column(rows, "mk 1s") == ["-1.230", "-1.226", "-2.000", "-1.230"]
    assert _column(rows, "PnL") == ["44,182.1", "44,182.4", "38,296.0", "44,182.1"]
    assert _column(rows, "toxic") == ["57.04%", "57.01%", "58.50%", "57.04%"]
    assert _column(rows, "markout 1s", short=False) == ["-1.230", "-1.226", "-2.000", "-1.230"]  # sweep.html's too


def test_a_column_whose_values_differ_keeps_the_short_form():
    """Equal values read alike and distinct ones no longer than needed: the digits are not raised for nothing,
    nor by a float rounding difference (-2.04 and the next float toward zero read alike)."""
    rows = _rows([{"markout.1s.mean_ticks": -1.22, "pnl.total": 44_182.0, "toxic_share": 0.570},
                  {"markout.1s.mean_ticks": -2.04, "pnl.total": 39_896.0, "toxic_share": 0.633},
                  {"markout.1s.mean_ticks": math.nextafter(-2.04, 0.0), "pnl.total": 0.1 + 0.2,
                   "toxic_share": math.nextafter(0.633, 1.0)}])
    assert _column(rows, "mk 1s") == ["-1.22", "-2.04", "-2.04"]
    assert _column(rows, "PnL") == ["44,182", "39,896", "0"]  # one number of decimals: 3 digits of the largest
    assert _column(rows, "toxic") == ["57.0%", "63.3%", "63.3%"]


def test_small_values_and_large_ones_get_the_digits_they_need_too():
    """A second case of the kind: markouts near zero (0.0012341 and 0.0012349 read 0.00123) and a PnL above a
    million whose points differ in the units (1,234,567 and 1,234,568 read apart already; 1,234,567.2 and
    1,234,567.4 did not)."""
    rows = _rows([{"markout.100ms.mean_ticks": 0.0012341, "pnl.total": 1_234_567.2},
                  {"markout.100ms.mean_ticks": 0.0012349, "pnl.total": 1_234_567.4},
                  {"markout.100ms.mean_ticks": 0.5, "pnl.total": 1_234_568.0}])
    assert _column(rows, "mk 100ms") == ["0.001234", "0.001235", "0.500000"]  # 6 decimals tell them apart
    assert _column(rows, "PnL") == ["1,234,567.2", "1,234,567.4", "1,234,568.0"]


def test_values_near_zero_never_read_as_a_signed_zero():
    """A breaker's: -0.04 and 0.03 read -0.0 and 0.0 at one decimal, two cells that differ only by the sign
    of a zero; -0.0004 and 0.0003 beside 48,089 read -0 and 0."""
    rows = _rows([{"markout.1s.mean_ticks": -0.04, "pnl.total": -0.0004},
                  {"markout.1s.mean_ticks": 0.03, "pnl.total": 0.0003},
                  {"markout.1s.mean_ticks": 12.5, "pnl.total": 48_089.0}])
    assert _column(rows, "mk 1s") == ["-0.04", "0.03", "12.50"]
    assert _column(rows, "PnL") == ["-0.0004", "0.0003", "48,089.0000"]
    # equal to zero after rounding, with nothing to tell apart: no minus sign
    rows = _rows([{"markout.1s.mean_ticks": -0.0001}, {"markout.1s.mean_ticks": 4.44}])
    assert _column(rows, "mk 1s") == ["0.00", "4.44"]
