"""Tests of mmsim.score_queue_models: a hand-built L3 day whose queue-model errors are computed by hand.

The day (bid side; the ask-side mirror is the second case of the same kind).
Zero latency everywhere; the strategy always wants 1 lot bid at 100, so after a
fill it sends a new order, which joins the back of the queue. Orders #1..#5 bid,
#9 the ask at 103. Level = lots resting at 100 in the data (ours are never in it).

  t  event                      level  truth ahead (FIFO)       risk_averse   power:1/log    power:2/power:3
  1  ADD #1 2@100, #5 2@99,     2      O joins: 2 (#1)          2             2              2
     #9 5@103
  2  ADD #2 7@100 (behind O)    9      2                        2             2              2
  3  CANCEL #2 by 5 (behind O)  4      2                        min(2,4)=2    share f(2)/(f(2)+f(7)):
                                                                             p1 2/9 -> floor(5*.222)=1 -> 1
                                                                             log .346 -> floor(1.73)=1 -> 1
                                                                             p2 4/53, p3 8/351 -> 0 -> 2
  4  EXECUTE #1 1               3      1                        1             0              1
  5  EXECUTE #1 1               2      0                        0             FILL (false):  0
                                                                             ahead 0 < trade 1; O' joins: 2
  6  ADD #3 4@100               6      0                        0             2              0
  7  EXECUTE #2 1 (behind O)    5      FILL (O was first);      FILL, O2: 5   O': 1          FILL, O2: 5
                                       O2 joins: 5 (#2 1, #3 4)
  8  DELETE #2 (1 left)         4      4                        min(5,4)=4    1              back 0 -> 4
  9  ADD #4 2@100               6      4                        4             1              4
 10  CANCEL #3 by 3 (ahead)     3      1                        min(4,3)=3    1              f(4)/(f(4)+f(2)):
                                                                                             p2 .8 -> floor(2.4)=2,
                                                                                             p3 .89 -> 2 -> 2
 11  EXECUTE #3 1               2      0                        2             0              1
 12  EXECUTE #4 2 (behind O2)   0      FILL 1 (2 - 0 ahead)     2 - 2 = 0,    FILL           FILL (2 - 1 ahead)
                                                                no fill
 13  EXECUTE #5 1 @99           -      through 100: FILL        FILL          FILL           FILL
 15  ADD #7 1@103               -      (a last event so the 1 s markout of the 13 s fill exists)

Fills (all buys at 100): truth 7, 12, 13 s; risk_averse 7, 13 (misses 12: it
ignored the cancel ahead at 10 s); power:1 and log 5, 12, 13 (they credited
the cancel behind at 3 s and jumped the queue: a false fill at 5 s, the true
one at 7 s missed); power:2 and power:3 7, 12, 13 (exact).

Mid: 101.5 while 100 is the best bid (to 12 s), then (99 + 103)/2 = 101.
1 s markouts (ticks): fill at 5 s -> mid(6) - 100 = 1.5; 7 s -> 1.5; 12 s ->
mid(13) - 100 = 1.0; 13 s -> 1.0. Truth mean 3.5/3; risk_averse 2.5/2
(bias +1/12); power:1 3.5/3 (bias 0). PnL (mark to the end mid 101, tick
value 1): truth 3 lots bought at 100 -> 3; risk_averse 2; others 3.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind
from mmsim.analysis import match_fills, score_queue_models
from mmsim.analysis.queue_score import PowerFit, parse_model
from mmsim.errors import ConfigError, DataError
from mmsim.records import FILL_DTYPE

S = 1_000_000_000

BID_DAY = [
    (1 * S, Kind.ADD, 1, 100, 2, 1),
    (1 * S, Kind.ADD, 1, 99, 2, 5),
    (1 * S, Kind.ADD, -1, 103, 5, 9),
    (2 * S, Kind.ADD, 1, 100, 7, 2),
    (3 * S, Kind.CANCEL, 1, 100, 5, 2),
    (4 * S, Kind.EXECUTE, 1, 100, 1, 1),
    (5 * S, Kind.EXECUTE, 1, 100, 1, 1),
    (6 * S, Kind.ADD, 1, 100, 4, 3),
    (7 * S, Kind.EXECUTE, 1, 100, 1, 2),
    (8 * S, Kind.DELETE, 1, 100, 1, 2),
    (9 * S, Kind.ADD, 1, 100, 2, 4),
    (10 * S, Kind.CANCEL, 1, 100, 3, 3),
    (11 * S, Kind.EXECUTE, 1, 100, 1, 3),
    (12 * S, Kind.EXECUTE, 1, 100, 2, 4),
    (13 * S, Kind.EXECUTE, 1, 99, 1, 5),
    (15 * S, Kind.ADD, -1, 103, 1, 7),
]


def mirrored(rows):
    """The same day on the other side: sides flipped, prices reflected about 100 (bid 100 <-> ask 100)."""
    return [(t, k, -s, 200 - p, q, oid) for (t, k, s, p, q, oid) in rows]


class FixedQuote(mmsim.Strategy):
    """Always wants 1 lot on one side at 100 (a position-independent probe)."""

    def __init__(self, side: int) -> None:
        self.side = side

    def quote(self, view):
        if self.side > 0:
            return mmsim.Quote(100, 1, 0, 0)
        return mmsim.Quote(0, 0, 100, 1)


ZERO = mmsim.Config()  # zero feed, entry and response latency
MODELS = ("risk_averse", "power:1", "power:2", "power:3", "log")

# Per model: fill times (s), matched, missed, false, lots bias, 1 s markout bias, PnL bias, diverged at (s).
EXPECTED = {
    "risk_averse": ([7, 13], 2, 1, 0, -1, 2.5 / 2 - 3.5 / 3, -1.0, 12),
    "power:1": ([5, 12, 13], 2, 1, 1, 0, 0.0, 0.0, 5),
    "log": ([5, 12, 13], 2, 1, 1, 0, 0.0, 0.0, 5),
    "power:2": ([7, 12, 13], 3, 0, 0, 0, 0.0, 0.0, None),
    "power:3": ([7, 12, 13], 3, 0, 0, 0, 0.0, 0.0, None),
}


@pytest.fixture(params=[1, -1], ids=["bid-side", "ask-side"])
def day(request):
    side = request.param
    rows = BID_DAY if side > 0 else mirrored(BID_DAY)
    return side, make_events(rows)


def test_hand_day_scores(day):
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, MODELS, tolerance="1s", horizons=["1s"],
                               fit_powers=None)
    truth = score.truth
    assert truth.model == "L3 FIFO (truth)" and truth.is_truth
    assert (truth.fills, truth.lots, truth.matched, truth.missed, truth.false_fills) == (3, 3, 3, 0, 0)
    assert truth.markout["1s"] == pytest.approx(3.5 / 3, abs=1e-12)
    assert truth.pnl == pytest.approx(3.0, abs=1e-12)
    true_times = score.results["L3 FIFO (truth)"].fills["exch_ts"] // S
    assert true_times.tolist() == [7, 12, 13]
    assert score.results["L3 FIFO (truth)"].fills["side"].tolist() == [side] * 3
    assert [r.model for r in score.models] == list(MODELS)
    for r in score.models:
        times, matched, missed, false, lots_bias, mk_bias, pnl_bias, diverged = EXPECTED[r.model]
        assert (score.results[r.model].fills["exch_ts"] // S).tolist() == times, r.model
        assert (r.fills, r.matched, r.missed, r.false_fills, r.lots_bias) == \
            (len(times), matched, missed, false, lots_bias), r.model
        assert r.markout_bias["1s"] == pytest.approx(mk_bias, abs=1e-12), r.model
        assert r.pnl_bias == pytest.approx(pnl_bias, abs=1e-12), r.model
        assert r.diverged_at == (None if diverged is None else diverged * S), r.model
        assert r.match_share == pytest.approx(matched / 3)
        assert r.f1 == pytest.approx(2 * matched / (3 + len(times)))
    # risk_averse: 1 lot short over [12 s, 15 s] of the [1 s, 15 s + 1 ns) window;
    # power:1: 1 lot long over [5 s, 7 s).
    span = 14 * S + 1
    rows = {r.model: r for r in score.models}
    assert rows["risk_averse"].position_gap == pytest.approx(3 * S / span)
    assert rows["power:1"].position_gap == pytest.approx(2 * S / span)
    assert rows["power:2"].position_gap == 0.0
    assert rows["risk_averse"].lots_bias_pct == pytest.approx(-1 / 3)
    # Best: the highest F1 (power:2 and power:3 tie at 1.0; equal biases; the first asked wins).
    assert score.best.model == "power:2"


def test_tolerance_boundary_pairs_the_early_false_fill(day):
    """power:1's 5 s fill is 2 s before the true 7 s fill: matched at a 2 s tolerance, not at 2 s - 1 ns."""
    side, ev = day
    strict = score_queue_models(ev, FixedQuote(side), ZERO, ["power:1"], tolerance=2 * S - 1, horizons=["1s"],
                                fit_powers=None)
    loose = score_queue_models(ev, FixedQuote(side), ZERO, ["power:1"], tolerance="2s", horizons=["1s"],
                               fit_powers=None)
    r0, r1 = strict.models[0], loose.models[0]
    assert (r0.matched, r0.missed, r0.false_fills, r0.diverged_at) == (2, 1, 1, 5 * S)
    assert (r1.matched, r1.missed, r1.false_fills, r1.diverged_at) == (3, 0, 0, None)
    assert r1.mean_abs_dt_ns == pytest.approx(2 * S / 3)


def test_power_fit_on_the_hand_day(day):
    """power:1 and lower credit the cancel behind at 3 s; from 1.5 up the day is replayed exactly."""
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, ["risk_averse"], tolerance=0, horizons=["1s"],
                               fit_powers=(0.5, 1, 1.5, 2, 3))
    fit = score.fit
    assert isinstance(fit, PowerFit)
    assert fit.powers == (0.5, 1.0, 1.5, 2.0, 3.0)
    # n = 1.5 at 3 s: f(2)/(f(2)+f(7)) = 2.83/(2.83+18.52) = 0.13 -> floor(0.66) = 0 -> exact thereafter
    # (10 s: f(4)/(f(4)+f(2)) = 8/10.83 = 0.74 -> floor(2.2) = 2, as power:2).
    # n = 0.5 at 3 s: 1.41/(1.41+2.65) = 0.35 -> floor(1.74) = 1: the power:1 path. Loss 1 - F1 = 1 - 4/6.
    assert fit.loss == pytest.approx((1 / 3, 1 / 3, 0.0, 0.0, 0.0))
    assert fit.best_power == 1.5 and fit.best_loss == 0.0
    assert fit.plateau == (1.5, 3.0)
    assert fit.lots_bias == (0, 0, 0, 0, 0)


def _fills(rows):
    f = np.zeros(len(rows), FILL_DTYPE)
    for i, (ts, side, price, qty) in enumerate(rows):
        f[i]["exch_ts"], f[i]["side"], f[i]["price"], f[i]["qty"] = ts, side, price, qty
    return f


def test_match_fills_is_one_to_one_and_maximal():
    """As many pairs as possible, then as close as possible; side and price must agree; sizes may differ
    (matched lots take the smaller)."""
    truth = _fills([(100, 1, 10, 2), (150, 1, 10, 1), (300, 1, 10, 1), (300, -1, 11, 1)])
    model = _fills([(120, 1, 10, 1), (160, 1, 10, 3), (300, 1, 11, 1), (400, -1, 11, 1)])
    m = match_fills(truth, model, 50)
    # (100 ~ 120), (150 ~ 160); 300 bid at 10 has no model fill at 10 in [250, 350]; the ask at 11 at 300
    # and the model's at 400 are 100 apart; the model's bid at 11 has no true fill at that price.
    assert m.pairs.tolist() == [[0, 0], [1, 1]]
    assert (m.matched, m.missed, m.false_fills) == (2, 2, 2)
    assert (m.lots_true, m.lots_model, m.matched_lots) == (5, 6, 2)
    assert m.f1 == pytest.approx(4 / 11)
    assert m.first_unmatched_ts == 300
    assert m.abs_dt_ns.tolist() == [20, 10]
    # Pairing the nearest first fails when the nearest pair blocks two others: true 100, 130; model 125, 160
    # (tol 30): 130~125 (5 apart) would leave 100 and 160 unmatched; the most pairs are 100~125 and 130~160.
    m2 = match_fills(_fills([(100, 1, 10, 1), (130, 1, 10, 1)]), _fills([(125, 1, 10, 1), (160, 1, 10, 1)]), 30)
    assert m2.pairs.tolist() == [[0, 0], [1, 1]] and m2.abs_dt_ns.tolist() == [25, 30]
    # Among the most pairs, the least time difference: true 100, 200; model 100, 190, 200 (tol 20): two pairs
    # either way; (100~100, 200~200) costs 0, (100~100, 200~190) costs 10.
    m3 = match_fills(_fills([(100, 1, 10, 1), (200, 1, 10, 1)]),
                     _fills([(100, 1, 10, 1), (190, 1, 10, 1), (200, 1, 10, 1)]), 20)
    assert m3.pairs.tolist() == [[0, 0], [1, 2]] and m3.false_fills == 1 and m3.first_unmatched_ts == 190
    empty = match_fills(_fills([]), _fills([]), 0)
    assert (empty.matched, empty.f1, empty.match_share, empty.first_unmatched_ts) == (0, 1.0, None, None)


def test_window_scores_only_fills_inside_it(day):
    """A window from 6 s drops power:1's 5 s false fill: its 12 s and 13 s fills match, the 7 s true fill is
    missed; PnL is the equity change over the window."""
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, ["power:1"], tolerance=0, horizons=["1s"],
                               fit_powers=None, window=(6 * S, None))
    t, r = score.truth, score.models[0]
    assert (t.fills, r.fills, r.matched, r.missed, r.false_fills) == (3, 2, 2, 1, 0)
    # Truth: no position at 6 s (mid 101.5), 3 lots at the end (mid 101): -300 + 303 = 3.
    # power:1: 1 lot at 6 s worth 101.5 - 100 = 1.5 already; end 3 lots: 3 - 1.5 = 1.5 over the window.
    assert t.pnl == pytest.approx(3.0) and r.pnl == pytest.approx(1.5)
    assert score.window == (6 * S, 15 * S + 1)


def test_a_window_and_a_tolerance_in_ns_take_whole_floats(day):
    """ns are integers as a config's timestamps are (``start: 6.0e9``): ``window=(6e9, None)`` was "the start must be
    ns since the epoch or an ISO UTC time, got 6000000000.0", and ``match_fills`` took ``tolerance_ns=2.5`` and
    True without a word. The window of the test above, written as a float."""
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, ["power:1"], tolerance=0, horizons=["1s"],
                               fit_powers=None, window=(6e9, None))
    assert score.window == (6 * S, 15 * S + 1)
    assert (score.truth.fills, score.models[0].fills, score.models[0].matched) == (3, 2, 2)
    for bad, why in ((6.5e9 + 0.5, ""), (True, ""),
                     (2e18, " (a float beyond 2**53 is not exact: write the integer's digits, without a decimal point)")):
        with pytest.raises(ConfigError) as info:
            score_queue_models(ev, FixedQuote(side), ZERO, ["power:1"], window=(bad, None))
        assert str(info.value) == f"window: the start must be ns since the epoch or an ISO UTC time, got {bad!r}{why}"
    m = match_fills(_fills([(100, 1, 10, 1)]), _fills([(125, 1, 10, 1)]), 25.0)
    assert m.pairs.tolist() == [[0, 0]] and m.abs_dt_ns.tolist() == [25]
    for bad in (24.5, True):
        with pytest.raises(ConfigError) as info:
            match_fills(_fills([(100, 1, 10, 1)]), _fills([(125, 1, 10, 1)]), bad)
        assert str(info.value) == f"tolerance_ns must be an integer >= 0 (ns), got {bad!r}"


def test_the_default_window_starts_at_the_market_not_at_an_opening_snapshot_long_before():
    """pos gap is time-weighted over the window: by default it ran from a Databento day's 00:00 book, 22 hours
    before the session, and read 12 times too small on ESH4 (breaker). The hand day behind a book snapshot
    100 s before it: by default scored from its first event, as with that window given."""
    snap = [(0, Kind.CLEAR, 0, 0, 0, 0), (0, Kind.ADD, -1, 110, 1, 99)]
    ev = make_events(snap + [(t + 99 * S, *rest) for t, *rest in BID_DAY])

    def score(window=None):
        return score_queue_models(ev, FixedQuote(1), ZERO, ["risk_averse"], tolerance="1s", horizons=["1s"],
                                  fit_powers=None, window=window)

    later, given, whole = score(), score((100 * S, None)), score((0, None))
    assert later.window == given.window == (100 * S, 114 * S + 1)
    assert later.models[0].position_gap == given.models[0].position_gap > 0
    # Over the 114 s from the snapshot the same gap (it is 0 before the market) reads 14/114 of it.
    assert whole.models[0].position_gap == pytest.approx(given.models[0].position_gap * 14 / 114)
    # The same kind: a snapshot the market follows within the minute stays in the window (as in the report).
    soon = score_queue_models(make_events([(S // 2, *r[1:]) for r in snap] + BID_DAY), FixedQuote(1), ZERO,
                              ["risk_averse"], tolerance="1s", horizons=["1s"], fit_powers=None)
    assert soon.window == (S // 2, 15 * S + 1)


@pytest.mark.parametrize("powers", [(2,), (1000.0,)])
def test_a_fit_of_one_exponent_plots_without_a_warning(day, tmp_path, powers):
    """`--fit-powers 1e3` (one exponent) drew the fit on a log axis with equal limits: matplotlib's
    UserWarning on stderr (an error under pytest; at 2 its margins happened to hide it). The axis
    spans a factor 2 each side of the exponent."""
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, ["risk_averse"], tolerance="1s", horizons=["1s"],
                               fit_powers=powers)
    assert score.fit.powers == tuple(float(p) for p in powers)
    written = score.save(tmp_path)
    assert (tmp_path / "queue_score.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and written


def test_outputs_json_table_plot_and_report(day, tmp_path):
    side, ev = day
    score = score_queue_models(ev, FixedQuote(side), ZERO, MODELS, tolerance="1s", horizons=["1s"],
                               fit_powers=(1, 2))
    d = json.loads(json.dumps(score.to_dict(), allow_nan=False))
    assert d["schema"] == "mmsim.queue_score/1"
    assert [r["model"] for r in d["rows"]] == ["L3 FIFO (truth)", *MODELS]
    assert d["best"] == "power:2" and d["fit"]["best_power"] == 2.0
    written = score.save(tmp_path)
    assert {"queue_score.json", "queue_score.png", "report.json", "report.html", "queue_models.png"} <= set(written)
    assert (tmp_path / "queue_score.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["queue_models"]["rows"][1]["model"] == "risk_averse"
    page = (tmp_path / "report.html").read_text()
    assert "L2 queue models against L3 truth" in page and 'id="queue-models"' in page
    assert 'id="plot-queue_models"' in page
    assert "<td class=\"neg\">-1 (-33.3%)</td>" in page  # the HTML gives lots bias in lots and in %

    from rich.console import Console

    console = Console(width=200, record=True)
    score.print(console)
    text = console.export_text()
    assert "risk_averse" in text and "-33.3%" in text  # the terminal gives lots bias in %
    assert "best model: power:2 (F1 1.000, 100.0% of true fills matched, lots bias 0, 1s markout bias 0.000 " \
           "ticks/lot, PnL bias 0.00)" in text
    # It said "the best is at the edge of the grid": not which edge, nor what to do.
    assert "power fit: exponent 2 (loss 1 − F1 = 0.000; grid 1, 2)\n" in text
    assert ("power fit: the best exponent, 2, is the largest tried, and a larger one may fit better: extend the "
            "grid, e.g. mmsim queue-score --fit-powers 1,2,3,4 (fit_powers= in Python)") in text


@pytest.mark.parametrize("powers, loss, plateau, best, edge", [
    ([0.25, 0.5, 1], [0.1, 0.2, 0.3], (0.25, 0.25), 0.25,
     "power fit: the best exponent, 0.25, is the smallest tried, and a smaller one may fit better: extend the grid, "
     "e.g. mmsim queue-score --fit-powers 0.0625,0.125,0.25,0.5,1 (fit_powers= in Python)"),
    ([1, 2, 3], [0.3, 0.2, 0.1], (3, 3), 3,
     "power fit: the best exponent, 3, is the largest tried, and a larger one may fit better: extend the grid, "
     "e.g. mmsim queue-score --fit-powers 1,2,3,4.5,6 (fit_powers= in Python)"),
    ([1, 2, 3], [0.3, 0.1, 0.2], (2, 2), 2, None),          # inside the grid: nothing to extend
    ([1, 2, 3], [0.1, 0.1, 0.1], (1, 3), 1, None),          # every exponent alike: extending would not decide
])
def test_power_fit_names_the_edge_and_the_grid_to_try(powers, loss, plateau, best, edge):
    from mmsim.report.render_queue import queue_models_summary

    fit = {"powers": powers, "loss": loss, "plateau": list(plateau), "best_power": best,
           "best_loss": min(loss)}
    lines = queue_models_summary({"rows": [], "best": None, "fit": fit})
    assert lines[1:] == ([edge] if edge else [])
    assert "edge" not in lines[0]


def test_bad_input_is_named():
    l2 = make_events([(S, Kind.DEPTH, 1, 100, 5), (S, Kind.DEPTH, -1, 101, 5)])
    with pytest.raises(DataError, match=r"score_queue_models: the events hold no market-by-order event"):
        score_queue_models(l2, FixedQuote(1), ZERO)
    ev = make_events(BID_DAY)
    with pytest.raises(ConfigError, match=r"queue model 'power': the power model needs an exponent"):
        score_queue_models(ev, FixedQuote(1), ZERO, ["power"])
    with pytest.raises(ConfigError, match=r"queue model 'fifo': expected risk_averse, log or power:<n>"):
        score_queue_models(ev, FixedQuote(1), ZERO, ["fifo"])
    with pytest.raises(ConfigError, match=r"tolerance: a duration cannot be negative"):
        score_queue_models(ev, FixedQuote(1), ZERO, tolerance=-1)
    with pytest.raises(ConfigError, match=r"fit_powers: every exponent must be a positive number, got -1"):
        score_queue_models(ev, FixedQuote(1), ZERO, fit_powers=(1, -1))
    # In ns, as given (the message printed "(1000000000)" without a unit; an ISO time was printed as ns too).
    with pytest.raises(ConfigError, match=r"^window: the end 1000000000 ns must be after the start 2000000000 ns$"):
        score_queue_models(ev, FixedQuote(1), ZERO, window=(2 * S, S))
    with pytest.raises(ConfigError, match=r"^window: the end '1970-01-01T00:00:01' must be after the start "
                                          r"'1970-01-01T00:00:02'$"):
        score_queue_models(ev, FixedQuote(1), ZERO, window=("1970-01-01T00:00:02", "1970-01-01T00:00:01"))
    with pytest.raises(ConfigError, match=r"^window: cannot read the start 'noon' as a UTC time"):
        score_queue_models(ev, FixedQuote(1), ZERO, window=("noon", None))
    bad = make_events([(S, Kind.ADD, 1, 100, 2, 1), (2 * S, Kind.DELETE, 1, 100, 2, 77)])
    with pytest.raises(DataError, match=r"^event 1: DELETE of unknown order id 77"):
        score_queue_models(bad, FixedQuote(1), ZERO, fit_powers=None)


def test_a_window_where_the_venue_does_not_trade_says_so(day):
    """A breaker's: `mmsim queue-score --window` inside ESH4's pre-open answered "widen the window, or check
    that JoinBest quotes where the market trades", not that the venue was not trading. The day with the venue
    QUOTING from its start to 5 s: a window inside that says so and when it trades; one that reaches the
    trading keeps the usual advice."""
    from mmsim.events import TradingStatus

    side, ev = day
    st = np.zeros(2, dtype=ev.dtype)
    st["exch_ts"] = st["local_ts"] = [int(ev["exch_ts"][0]), 5 * S]
    st["kind"] = int(Kind.STATUS)
    st["qty"] = [int(TradingStatus.QUOTING), int(TradingStatus.TRADING)]
    both = np.concatenate([st[:1], ev])
    both = np.concatenate([both[both["exch_ts"] < 5 * S], st[1:], both[both["exch_ts"] >= 5 * S]])
    with pytest.raises(DataError) as ei:
        score_queue_models(both, FixedQuote(side), ZERO, MODELS, window=(S, 3 * S))
    assert str(ei.value).endswith(
        "there is nothing to score the queue models against (the venue is not trading in the whole window: its "
        "status is QUOTING until 1970-01-01T00:00:05.000000000, e.g. CME's pre-open, docs/data.md \"Pre-open\"; "
        "choose a window where it trades)")
    with pytest.raises(DataError, match=r"\(widen the window, or check that FixedQuote quotes where the market "
                                        r"trades\)$"):
        score_queue_models(both, FixedQuote(side), ZERO, MODELS, window=(S, 5 * S + 1))


def test_the_not_trading_check_reads_the_status_as_the_report_does(day):
    """queue_score's own check predated `presence.status_steps`; it now reads the status through it, the state
    after every event at a time. Unchanged: a window ending where the venue starts trading (5 s, the end
    excluded) is not trading. Changed: a TRADING undone at the same nanosecond (TRADING then QUOTING at 2 s)
    was trading time to the old check ("widen the window"), while the report's header lists that window as
    not trading and its presence counts 0 ns of trading there: no time, nothing could trade."""
    from mmsim.events import TradingStatus

    side, ev = day
    st = np.zeros(4, dtype=ev.dtype)
    st["exch_ts"] = st["local_ts"] = [int(ev["exch_ts"][0]), 2 * S, 2 * S, 5 * S]
    st["kind"] = int(Kind.STATUS)
    st["qty"] = [int(TradingStatus.QUOTING), int(TradingStatus.TRADING), int(TradingStatus.QUOTING),
                 int(TradingStatus.TRADING)]
    rows = np.concatenate([st[:1], ev])
    rows = np.concatenate([rows[rows["exch_ts"] < 2 * S], st[1:3], rows[(rows["exch_ts"] >= 2 * S) & (rows["exch_ts"] < 5 * S)],
                           st[3:], rows[rows["exch_ts"] >= 5 * S]])
    want = ("there is nothing to score the queue models against (the venue is not trading in the whole window: its "
            "status is QUOTING until 1970-01-01T00:00:05.000000000, e.g. CME's pre-open, docs/data.md \"Pre-open\"; "
            "choose a window where it trades)")
    for window in ((S, 3 * S), (S, 5 * S)):
        with pytest.raises(DataError) as ei:
            score_queue_models(rows, FixedQuote(side), ZERO, MODELS, window=window)
        assert str(ei.value).endswith(want), window


def test_a_window_without_a_true_fill_is_refused(day):
    """With no true fill in the window every model scored F1 = 1.000 and the first asked was named "best model"
    (and the power fit "exponent 0.25"): a window before the data did that. The same for a window inside the
    day where the truth does not fill (1 s to 7 s: its first fill is at 7 s, and [1 s, 7 s) ends before it)."""
    side, ev = day
    with pytest.raises(DataError, match=r"^score_queue_models: the truth run \(L3 FIFO\) has no fill in the window "
                                        r"\[1970-01-01T00:00:00\.000000000, 1970-01-01T00:00:00\.000000001\): "
                                        r"there is nothing to score the queue models against \(widen the window, "
                                        r"or check that FixedQuote quotes where the market trades\)$"):
        score_queue_models(ev, FixedQuote(side), ZERO, MODELS, window=(0, 1))
    with pytest.raises(DataError, match=r"has no fill in the window \[1970-01-01T00:00:01\.000000000, "
                                        r"1970-01-01T00:00:07\.000000000\)"):
        score_queue_models(ev, FixedQuote(side), ZERO, MODELS, window=(S, 7 * S))
    # The boundary: [1 s, 7 s + 1 ns) holds the 7 s fill and is scored.
    assert score_queue_models(ev, FixedQuote(side), ZERO, MODELS, fit_powers=None,
                              window=(S, 7 * S + 1)).truth.fills == 1


def test_parse_model_round_trip():
    for text in ("risk_averse", "log", "power:2", "power:0.5", "power:12"):
        q = parse_model(text)
        assert mmsim.analysis.queue_score.model_label(q) == text
    assert parse_model("power2") == mmsim.QueueConfig(model="power", power=2.0)
    assert parse_model("Risk-Averse") == mmsim.QueueConfig(model="risk_averse")
    # A negative or zero exponent is named as such (the "-" is a sign, not a word separator).
    for bad in ("power:-1", "POWER:0"):
        with pytest.raises(ConfigError) as info:
            parse_model(bad)
        assert str(info.value) == f"queue model {bad!r}: the exponent must be a positive number"
    with pytest.raises(ConfigError, match=r"^queue model 'power:x': the power model needs an exponent, e.g. power:2$"):
        parse_model("power:x")


def test_match_fills_against_an_assignment_solver():
    """On random small days, the matching has as many pairs as the best assignment and the least total |dt|
    among those (scipy's linear_sum_assignment on cost |dt| - BIG for allowed pairs, 0 for the rest)."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(17)
    big = 10**9
    for _ in range(300):
        n, m = rng.integers(0, 9, size=2)
        truth = _fills([(int(rng.integers(0, 60)), int(rng.choice([-1, 1])), int(rng.integers(10, 12)), 1)
                        for _ in range(n)])
        model = _fills([(int(rng.integers(0, 60)), int(rng.choice([-1, 1])), int(rng.integers(10, 12)), 1)
                        for _ in range(m)])
        tol = int(rng.integers(0, 12))
        t, md = np.sort(truth, order="exch_ts"), np.sort(model, order="exch_ts")
        got = match_fills(t, md, tol)
        if n and m:
            dt = np.abs(t["exch_ts"][:, None] - md["exch_ts"][None, :])
            same = (t["side"][:, None] == md["side"][None, :]) & (t["price"][:, None] == md["price"][None, :])
            ok = same & (dt <= tol)
            cost = np.where(ok, dt - big, 0)
            r, c = linear_sum_assignment(cost)
            best_n = int(ok[r, c].sum())
            best_cost = int(dt[r, c][ok[r, c]].sum())
        else:
            best_n = best_cost = 0
        assert got.matched == best_n
        assert int(got.abs_dt_ns.sum()) == best_cost
        for a, b in got.pairs:
            assert t["side"][a] == md["side"][b] and t["price"][a] == md["price"][b]
            assert abs(int(t["exch_ts"][a]) - int(md["exch_ts"][b])) <= tol
        assert len(set(got.pairs[:, 0].tolist())) == got.matched == len(set(got.pairs[:, 1].tolist()))


def test_cli_queue_score_matches_the_library(tmp_path, capsys):
    from mmsim.cli import main
    from mmsim.data.store import write_store
    from mmsim.strategies.join_best import JoinBest

    ev = make_events(BID_DAY)
    write_store(tmp_path / "day", ev,
                {"symbol": "HAND", "tick_size": 0.5, "lot_size": 1.0, "contract_size": 1.0, "levels": "L3"})
    out = tmp_path / "out"
    code = main(["queue-score", str(tmp_path / "day"), "--models", "risk_averse,power:1,power:2",
                 "--tolerance", "1s", "--horizons", "1s", "--fit-powers", "1,2", "-o", str(out), "-q"])
    assert code == 0
    assert "3 models scored against" in capsys.readouterr().out
    doc = json.loads((out / "queue_score.json").read_text())
    lib = score_queue_models(mmsim.load(tmp_path / "day"), JoinBest(size=1), mmsim.Config(),
                             ["risk_averse", "power:1", "power:2"], tolerance="1s", horizons=["1s"],
                             fit_powers=(1, 2))
    assert doc == json.loads(json.dumps(lib.to_dict()))
    assert doc["info"]["symbol"] == "HAND" and doc["info"]["strategy"] == "JoinBest"
    assert doc["info"]["tick_value"] == 0.5
    assert (out / "report.html").is_file() and (out / "queue_models.png").is_file()

    write_store(tmp_path / "l2", make_events([(S, Kind.DEPTH, 1, 100, 5), (S, Kind.DEPTH, -1, 101, 5)]),
                {"symbol": "L2DAY", "tick_size": 1.0, "lot_size": 1.0, "contract_size": 1.0, "levels": "L2"})
    # A config problem, exit 2 (it was exit 1, "mmsim: error: score_queue_models: the event store is L2
    # data; ...", the Python function's name): the store given, then through --data and a config's data:.
    tail = ("an L2 (market-by-price) event store; mmsim queue-score scores the L2 queue models against the "
            "exact FIFO fills of market-by-order (L3) data: a Databento MBO, LOBSTER or hftbacktest L3 store, "
            "or `mmsim synth` (L3 by default)\n")
    code = main(["queue-score", str(tmp_path / "l2"), "-o", str(tmp_path / "x")])
    assert code == 2
    assert capsys.readouterr().err == f"mmsim: config error: {tmp_path / 'l2'}: " + tail
    assert main(["queue-score", str(tmp_path / "day"), "--data", str(tmp_path / "l2"), "-o", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: --data {tmp_path / 'l2'}: " + tail
    cfg = tmp_path / "l2.yaml"
    cfg.write_text(f"strategy: {{path: join_best, params: {{size: 1}}}}\ndata: {tmp_path / 'l2'}\n")
    assert main(["queue-score", str(cfg), "-o", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == (f"mmsim: config error: data: {tmp_path / 'l2'}: " + tail[:-1]
                                       + f" ({cfg} line 2)\n")
    assert not (tmp_path / "x").exists()
    code = main(["queue-score", str(tmp_path / "day"), "--window", "noon"])
    assert code == 2
    assert capsys.readouterr().err == ("mmsim: config error: --window: expected START,END (either may be empty), "
                                       "got 'noon'\n")
    # An empty --models scored nothing and --fit-powers '' skipped the fit, each without a word.
    assert main(["queue-score", str(tmp_path / "day"), "--models", ""]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --models: expected a comma-separated list, got ''\n"
    assert main(["queue-score", str(tmp_path / "day"), "--fit-powers", "1,"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --fit-powers: an empty item in '1,'; separate the items "
                                       "with one comma\n")


def test_real_day_score_reconciles_with_plain_runs(real_store):
    """LOBSTER AMZN (message file as L3): every row is the plain run it claims to be. The truth row is
    mmsim.run on the store; each model row is mmsim.run on to_l2 under that model; the counts add up; the
    truth's markout and PnL are the report's (no window)."""
    from mmsim.strategies.join_best import JoinBest

    store = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=1_000_000),
                                                   entry=mmsim.LatencyModel(ns=1_000_000),
                                                   response=mmsim.LatencyModel(ns=1_000_000)))
    strat = JoinBest(size=100)
    score = score_queue_models(store, strat, cfg, ["risk_averse", "power:2"], horizons=["1s"], fit_powers=None)
    truth = mmsim.run(store, strat, cfg)
    assert np.array_equal(score.results["L3 FIFO (truth)"].fills, truth.fills)
    rep = truth.report(store.events, horizons=["1s"])
    t = score.truth
    assert (t.fills, t.lots) == (len(truth.fills), int(truth.fills["qty"].sum()))
    assert t.markout["1s"] == pytest.approx(rep.data["markouts"][0]["groups"]["all"]["qty_weighted_ticks"], rel=1e-12)
    assert t.pnl == pytest.approx(rep.data["pnl"]["total"], rel=1e-9)
    l2 = mmsim.to_l2(store.events)
    for r in score.models:
        plain = mmsim.run(l2, strat, cfg.replace(queue=parse_model(r.model), tick_size=0.01, lot_size=1.0,
                                                 contract_size=1.0))
        assert np.array_equal(score.results[r.model].fills, plain.fills), r.model
        assert r.matched + r.missed == t.fills and r.matched + r.false_fills == r.fills
        assert r.lots_bias == int(plain.fills["qty"].sum()) - t.lots
        assert r.pnl == pytest.approx(plain.report(store.events, horizons=["1s"]).data["pnl"]["total"], rel=1e-9)
        assert 0.5 < r.match_share <= 1.0  # sanity: the same strategy on the same day mostly agrees


def test_a_run_config_whose_strategy_is_not_scored_says_so():
    """The newcomer's: score_queue_models(store, config=load_yaml(...)) scored JoinBest, quietly setting the
    config's ToxicityPull aside (`mmsim queue-score CONFIG` scores the config's). The summary now says so; a
    strategy passed, or an engine Config, leaves nothing to say."""
    from mmsim.config import RunConfig, StrategyConfig
    from mmsim.report.render_queue import queue_models_summary

    ev = make_events(BID_DAY)
    rc = RunConfig(strategy=StrategyConfig(path="strategies/toxicity_pull.py:ToxicityPull"))
    score = score_queue_models(ev, config=rc, models=["risk_averse"], tolerance="1s", horizons=["1s"], fit_powers=None)
    note = ("scored the default strategy, JoinBest; the config's strategy (strategies/toxicity_pull.py:ToxicityPull) "
            "is not used: pass strategy= to score it (mmsim queue-score CONFIG scores the config's)")
    assert score.info["strategy_note"] == note
    assert queue_models_summary(score.to_dict())[0] == note
    given = score_queue_models(ev, FixedQuote(1), rc, ["risk_averse"], tolerance="1s", horizons=["1s"], fit_powers=None)
    engine = score_queue_models(ev, config=ZERO, models=["risk_averse"], tolerance="1s", horizons=["1s"], fit_powers=None)
    assert given.info["strategy_note"] is None and engine.info["strategy_note"] is None
    assert not queue_models_summary(given.to_dict())[0].startswith("scored the default")
