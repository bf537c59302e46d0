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
