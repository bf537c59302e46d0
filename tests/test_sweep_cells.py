"""The sweep table's number cells take, per column, one number of decimals, a fixed rule of the metric's unit
(sweepword14; metrics.UNIT_DECIMALS): money 2, percent 2, markouts 3 (ticks), counts 0. They used to be as few
as told the column's values apart, so a point's cell changed with the other points of the sweep. The cases
below were written for that rule (the newcomer's: markouts -1.2304 and -1.2261 both read -1.23, as if
equal); their values are now those of the fixed rule, which still tells those two apart."""

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
    assert _column(rows, "PnL") == ["44,182.10", "44,182.40", "38,296.00", "44,182.10"]
    assert _column(rows, "toxic") == ["57.04%", "57.01%", "58.50%", "57.04%"]
    assert _column(rows, "markout 1s", short=False) == ["-1.230", "-1.226", "-2.000", "-1.230"]  # sweep.html's too


def test_a_column_keeps_its_rule_whatever_its_values():
    """Equal values read alike, and so does a float rounding difference (-2.04 and the next float toward zero)."""
    rows = _rows([{"markout.1s.mean_ticks": -1.22, "pnl.total": 44_182.0, "toxic_share": 0.570},
                  {"markout.1s.mean_ticks": -2.04, "pnl.total": 39_896.0, "toxic_share": 0.633},
                  {"markout.1s.mean_ticks": math.nextafter(-2.04, 0.0), "pnl.total": 0.1 + 0.2,
                   "toxic_share": math.nextafter(0.633, 1.0)}])
    assert _column(rows, "mk 1s") == ["-1.220", "-2.040", "-2.040"]
    assert _column(rows, "PnL") == ["44,182.00", "39,896.00", "0.30"]  # it read 0 beside 44,182
    assert _column(rows, "toxic") == ["57.00%", "63.30%", "63.30%"]


def test_small_values_and_large_ones_read_by_the_same_rule():
    """Markouts near zero read to the thousandth of a tick (0.0012341 and 0.0012349 are the same 0.001: a
    difference far below any markout's interval; results.csv keeps every digit) and a PnL above a million
    to the cent."""
    rows = _rows([{"markout.100ms.mean_ticks": 0.0012341, "pnl.total": 1_234_567.2},
                  {"markout.100ms.mean_ticks": 0.0012349, "pnl.total": 1_234_567.4},
                  {"markout.100ms.mean_ticks": 0.5, "pnl.total": 1_234_568.0}])
    assert _column(rows, "mk 100ms") == ["0.001", "0.001", "0.500"]
    assert _column(rows, "PnL") == ["1,234,567.20", "1,234,567.40", "1,234,568.00"]


def test_values_near_zero_never_read_as_a_signed_zero():
    """A breaker's: -0.04 and 0.03 read -0.0 and 0.0 at one decimal, two cells that differ only by the sign
    of a zero; -0.0004 and 0.0003 beside 48,089 read -0 and 0."""
    rows = _rows([{"markout.1s.mean_ticks": -0.04, "pnl.total": -0.0004},
                  {"markout.1s.mean_ticks": 0.03, "pnl.total": 0.0003},
                  {"markout.1s.mean_ticks": 12.5, "pnl.total": 48_089.0}])
    assert _column(rows, "mk 1s") == ["-0.040", "0.030", "12.500"]
    # Under a cent: 2 significant digits, the sign kept (span14; breaker14: a sweep of tiny orders read a PnL
    # of -0.0029 as 0.00 beside a Δ PnL of 0.0117; this read 0.00, 0.00 before: never a signed zero still)
    assert _column(rows, "PnL") == ["-0.0004", "0.0003", "48,089.00"]
    rows = _rows([{"markout.1s.mean_ticks": -0.0001}, {"markout.1s.mean_ticks": 4.44},
                  {"markout.1s.mean_ticks": 0.0}, {"markout.1s.mean_ticks": -0.0}])
    assert _column(rows, "mk 1s") == ["-0.0001", "4.440", "0.000", "0.000"]  # was 0.000 for -0.0001


def _point(**metrics):
    return {"markout.1s.mean_ticks": -1.2304, "pnl.total": 44_182.1, "toxic_share": 0.57041, "fills.count": 4_061,
            "presence_two_sided": 0.787, **metrics}


def test_a_point_s_cells_do_not_depend_on_the_other_points_of_the_sweep():
    """sweepword14 (the newcomer's): a column's digits changed with the other rows. The same point in two
    sweeps that differ in their other points reads alike in both."""
    alone = _rows([_point(), _point(**{"markout.1s.mean_ticks": -2.0, "pnl.total": 38_296.0})])
    crowded = _rows([_point(), _point(**{"markout.1s.mean_ticks": -1.2261, "pnl.total": 44_182.4,
                                         "toxic_share": 0.57012, "presence_two_sided": 0.78712})])
    for name in ("mk 1s", "PnL", "toxic", "fills", "2-sided"):
        assert _column(alone, name)[0] == _column(crowded, name)[0], name
    assert [_column(alone, n)[0] for n in ("PnL", "fills", "toxic", "2-sided", "mk 1s")] == \
        ["44,182.10", "4,061", "57.04%", "78.70%", "-1.230"]  # before: 44,182, 57.0%, 78.7%, -1.23 here


def test_a_column_s_digits_do_not_grow_with_a_tiny_or_a_huge_neighbour():
    """A second case of the kind: a neighbour near zero (it raised the PnL column to 4 decimals) or far larger
    (it cut the markouts' digits) leaves the first point's cells as they were."""
    base = _rows([_point(), _point()])
    tiny = _rows([_point(), _point(**{"pnl.total": 0.0003, "markout.1s.mean_ticks": 0.0004})])
    huge = _rows([_point(), _point(**{"pnl.total": 12_345_678.9, "markout.1s.mean_ticks": -250.0})])
    for name in ("PnL", "mk 1s"):
        assert _column(base, name)[0] == _column(tiny, name)[0] == _column(huge, name)[0], name
    # the tiny neighbour's own cell keeps its 2 significant digits (span14; it read 0.00)
    assert _column(tiny, "PnL") == ["44,182.10", "0.0003"] and _column(huge, "mk 1s") == ["-1.230", "-250.000"]


def _delta_rows(**diffs):
    """Two points, the first the second's baseline; ``diffs``: quantity -> (estimate, ci_low, ci_high)."""
    rows = _rows([{"pnl.total": 1.0, "verdict": "baseline"}, {"pnl.total": 2.0, "verdict": "none real"}])
    for q, (est, lo, hi) in diffs.items():
        rows[1].update({f"vs_baseline.{q}": est, f"vs_baseline.{q}.ci_low": lo, f"vs_baseline.{q}.ci_high": hi})
        rows[0].update({f"vs_baseline.{q}": 0.0, f"vs_baseline.{q}.ci_low": 0.0, f"vs_baseline.{q}.ci_high": 0.0})
    return rows


def _delta_column(rows, name):
    from mmsim.sweep.baseline import BaselinePlan, CompareSettings

    grid = Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g.yaml",
                baseline=BaselinePlan(spec=0, settings=CompareSettings()))
    header, body = _table_rows(rows, grid, short=True)
    return body[1][header.index(name)]


def test_delta_columns_read_with_their_unit_s_decimals():
    """sweepplot15: the Δ columns kept 3 significant digits (`-1.23 [-1.5, -0.96]`, `12.3 [-3.1, 27.8]`) beside
    markout columns of 3 decimals and PnL of 2; now each Δ reads as its unit's column does."""
    rows = _delta_rows(**{"markout@1s": (-1.2304, -1.5, -0.96), "spread_capture": (0.25, 0.1, 0.4),
                          "pnl_per_day": (12.3456, -3.1, 27.8)})
    assert _delta_column(rows, "Δ mk 1s") == "-1.230 [-1.500, -0.960]"
    assert _delta_column(rows, "Δ spread") == "0.250 [0.100, 0.400]"
    assert _delta_column(rows, "Δ PnL/day") == "12.35 [-3.10, 27.80]"
    # A large PnL difference is grouped by thousands, as the PnL column (it read 12,346 [2,000, 22,000]).
    rows = _delta_rows(pnl_per_day=(12_345.678, 2_000.5, 22_000.0))
    assert _delta_column(rows, "Δ PnL/day") == "12,345.68 [2,000.50, 22,000.00]"


def test_delta_values_near_zero_keep_two_significant_digits_and_their_interval_the_width_s():
    """The second case: an estimate that would read as zero shows 2 significant digits with its sign, as the
    other columns; its bounds take the unit's decimals, or more for 2 significant digits of the interval's
    width (and the estimate then takes them too). The lead's change to sweepplot15's first rule (bounds at the
    estimate's decimals): AMZN's `0.00046 [-0.12199, 0.13547]` read five decimals for a 0.26-tick interval."""
    rows = _delta_rows(pnl_per_day=(0.0042, -0.001, 0.0094), **{"markout@1s": (-0.0004, -0.0021, 0.0002)})
    assert _delta_column(rows, "Δ PnL/day") == "0.004 [-0.001, 0.009]"
    assert _delta_column(rows, "Δ mk 1s") == "-0.0004 [-0.0021, 0.0002]"
    rows = _delta_rows(**{"markout@1s": (0.00046, -0.12199, 0.13547)})
    assert _delta_column(rows, "Δ mk 1s") == "0.00046 [-0.122, 0.135]"
    # A real interval narrower than the unit's resolution never reads as a point.
    rows = _delta_rows(**{"markout@1s": (0.0042, 0.0041, 0.0043)})
    assert _delta_column(rows, "Δ mk 1s") == "0.00420 [0.00410, 0.00430]"
    # A bound that would still read as zero keeps its sign and 2 significant digits (whether it spans 0).
    rows = _delta_rows(pnl_per_day=(1.5, -0.00003, 3.0))
    assert _delta_column(rows, "Δ PnL/day") == "1.50 [-0.00003, 3.00]"
