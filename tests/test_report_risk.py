"""The report's Sharpe, max drawdown and PnL by day: marked from the fills and the exchange mid, not the samples.

A breaker's find: the report read its equity from the engine's samples, taken every ``sample_every``
counted from the first event, so stamping ESH4's opening snapshot half a second later moved its
Sharpe from 2.4270 to 2.4307 for the same trading. Equity at a grid time is now marked exactly from
the fills and events stamped at or before it, and max drawdown over every event and every fill.
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache

import numpy as np
import pytest
from conftest import make_events, synth_day
from test_report import fill, result_of

import mmsim
from mmsim import Kind
from mmsim.analysis.buckets import forward_mid
from mmsim.plugins import load_strategy
from mmsim.report.compute import compute_report
from mmsim.report.equity import equity_at, max_drawdown

S = 1_000_000_000
K = Kind


def hand_events():
    """0s: 100/102 (mid 101); 1.2s: 96/98 (mid 97); 1.7s: 100/104 (mid 102); 3s: no price moves."""
    return make_events([
        (0, K.DEPTH, 1, 100, 5), (0, K.DEPTH, -1, 102, 5),
        (12 * S // 10, K.DEPTH, 1, 100, 0), (12 * S // 10, K.DEPTH, 1, 96, 5),
        (12 * S // 10, K.DEPTH, -1, 98, 5), (12 * S // 10, K.DEPTH, -1, 102, 0),
        (17 * S // 10, K.DEPTH, -1, 98, 0), (17 * S // 10, K.DEPTH, -1, 104, 5),
        (17 * S // 10, K.DEPTH, 1, 100, 5), (17 * S // 10, K.DEPTH, 1, 96, 0),
        (3 * S, K.DEPTH, 1, 100, 6),
    ])


def risk_of(fills, ev, **kw):
    return compute_report(result_of(fills, config=mmsim.Config(sample_every=S), **kw), ev, horizons=["1s"],
                          event_horizons=[])


def test_sharpe_and_max_drawdown_by_hand():
    """Buy 2 at 100 at 0.5s (fee 0.5), sell 2 at 103 at 2.5s (fee 0.5); tick_value 1.

    Equity = cash + position * mid - fees after every event and fill:
      0.5s: -200 + 2 * 101 - 0.5 = 1.5     1.2s: -200 + 2 * 97 - 0.5 = -6.5
      1.7s: -200 + 2 * 102 - 0.5 = 3.5     2.5s: 6 - 1 = 5 (flat), 3s: 5
    Max drawdown: peak 1.5, then -6.5: 8.0 (the 1 s grid 0, 1.5, 3.5, 5 never shows the fall; nor did the
    engine's 1 s samples, so the report said 0).
    Sharpe: increments on the 1 s grid 1.5, 2, 1.5: mean 5/3; deviations -1/6, 1/3, -1/6, squares
    1/36 + 4/36 + 1/36 = 1/6, / 2 = 1/12, sd 1/sqrt(12); one day: * sqrt(3 / 1).
    (5/3) * sqrt(12) * sqrt(3) = (5/3) * 6 = 10.
    """
    fills = [fill(S // 2, 1, 100, 2, 100, 102, fee=0.5), fill(5 * S // 2, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
    rep = risk_of(fills, hand_events())
    r = rep.data["risk"]
    assert r["max_drawdown"] == pytest.approx(8.0)
    assert r["sharpe_daily"] == pytest.approx(10.0)
    assert r["pnl_by_day"] == {"1970-01-01": pytest.approx(5.0)}
    assert rep.data["pnl"]["total"] == pytest.approx(5.0)
    # pnl.png plots the Sharpe's grid, the same equity
    assert rep.series["equity_t"].tolist() == [0, S, 2 * S, 3 * S]
    assert rep.series["equity"].tolist() == pytest.approx([0.0, 1.5, 3.5, 5.0])


def test_equity_at_a_grid_time_counts_a_fill_stamped_at_that_time():
    """The same trading with the sell at exactly 2s: equity at grid time 2s counts it (at or before t),
    so the grid reads 0, 1.5, 5, 5: increments 1.5, 3.5, 0, mean 5/3, squared deviations 1/36, 121/36,
    100/36, sum 222/36, / 2 = 37/12; Sharpe (5/3) / sqrt(37/12) * sqrt(3) = (5/3) * 6 / sqrt(37) =
    10 / sqrt(37). (Marked strictly before t, the sell would land on 3s and the Sharpe would stay 10.)"""
    fills = [fill(S // 2, 1, 100, 2, 100, 102, fee=0.5), fill(2 * S, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
    rep = risk_of(fills, hand_events())
    assert rep.data["risk"]["sharpe_daily"] == pytest.approx(10 / math.sqrt(37))
    assert rep.series["equity"].tolist() == pytest.approx([0.0, 1.5, 5.0, 5.0])
    assert rep.data["risk"]["max_drawdown"] == pytest.approx(8.0)


def test_the_last_grid_point_is_the_pnl_total_exactly_even_with_a_fill_after_the_last_event():
    """An order in flight at the end filled 1 s after the last event (3s): the PnL total counts it, so the
    grid's last point (3s, the last event) is the total, to the last bit: the last increment holds the
    sell, 5 - 3.5 = 1.5, as in the hand case, and the Sharpe is 10 again."""
    fills = [fill(S // 2, 1, 100, 2, 100, 102, fee=0.5), fill(4 * S, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
    rep = risk_of(fills, hand_events())
    total = rep.data["pnl"]["total"]
    assert rep.series["equity"][-1] == total
    assert rep.data["risk"]["pnl_by_day"] == {"1970-01-01": total}
    assert rep.data["risk"]["sharpe_daily"] == pytest.approx(10.0)
    # tick_value 0.3 and a fee of 0.1: float sums that need not round alike, still the same number
    fills = [fill(S // 2, 1, 100, 7, 100, 102, fee=0.1), fill(4 * S, -1, 103, 7, 100, 104, fee=0.1, oid=2)]
    rep = compute_report(result_of(fills, tick_value=0.3, config=mmsim.Config(sample_every=S)), hand_events(),
                         horizons=["1s"], event_horizons=[])
    assert rep.series["equity"][-1] == rep.data["pnl"]["total"]


def test_pnl_by_day_splits_at_midnight_not_at_the_grids_last_point_of_the_day():
    """A 5 h grid from 22:00: its last point on day 1 is 22:00, the next 03:00 on day 2. A round trip at 23:00
    (buy 1 at 100, sell 1 at 104: +4) is day 1's, one at 01:00 (+2) day 2's. The grid read +0 for day 1
    and +6 for day 2 (the PnL up to its next point)."""
    hour = 3600 * S
    t0 = 22 * hour
    ev = make_events([(t0, K.DEPTH, 1, 100, 5), (t0, K.DEPTH, -1, 102, 5), (t0 + 10 * hour, K.DEPTH, 1, 100, 6)])
    fills = [fill(23 * hour, 1, 100, 1, 100, 102), fill(23 * hour + S, -1, 104, 1, 100, 102, oid=2),
             fill(25 * hour, 1, 100, 1, 100, 102, oid=3), fill(25 * hour + S, -1, 102, 1, 100, 102, oid=4)]
    d = compute_report(result_of(fills, config=mmsim.Config(sample_every=5 * hour)), ev, horizons=["1s"],
                       event_horizons=[]).data
    assert d["risk"]["pnl_by_day"] == {"1970-01-01": 4.0, "1970-01-02": 2.0}


@pytest.mark.parametrize("before", [17 * S // 100, 67 * S // 100])
def test_an_opening_snapshot_not_set_apart_moves_no_grid_point(before):
    """A LOBSTER-like day: its snapshot (a CLEAR and the book) a fraction of a second before the first market
    event, too close to be set apart from the header's span. The hand trading 10 s later. The Sharpe's grid
    ran from the snapshot, so stamping it 0.5 s earlier moved every point: increments 1.5, 2, 1.5, 0 from
    9.83 s, 0, -6.5, 10, 1.5 from 9.33 s. Its points now run from the market's start (10 s), and the
    snapshot's stretch before it joins the first interval (alone it was a zero interval and read 5 / sqrt(3)
    here; with `sample_every` longer than the data every run's Sharpe read -1.00 or 1.00: breaker14; left
    out, a fill in it was in no interval: breaker14b): points snap, 11 s, 12 s, 13 s, increments 1.5, 2, 1.5
    either way, the hand case's Sharpe, 10."""
    t = 10 * S
    snap = t - before
    ev = hand_events()
    ev["exch_ts"] += t
    ev["local_ts"] += t
    ev = np.concatenate([make_events([(snap, K.CLEAR, 0, 0, 0), (snap, K.DEPTH, 1, 100, 5),
                                      (snap, K.DEPTH, -1, 102, 5)]), ev])
    fills = [fill(t + S // 2, 1, 100, 2, 100, 102, fee=0.5),
             fill(t + 5 * S // 2, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
    rep = risk_of(fills, ev)
    assert rep.data["inventory"]["from_ts"] == snap  # not set apart: the header's span starts at the snapshot
    assert rep.series["equity_t"].tolist() == [snap, t + S, t + 2 * S, t + 3 * S]
    assert rep.data["risk"]["sharpe_daily"] == pytest.approx(10.0)
    assert rep.data["risk"]["max_drawdown"] == pytest.approx(8.0)
    # One interval (sample_every longer than the data): no Sharpe, not +-1.
    r = compute_report(result_of(fills, config=mmsim.Config(sample_every=3600 * S)), ev, horizons=["1s"],
                       event_horizons=[])
    assert r.data["risk"]["sharpe_daily"] is None and r.series["equity_t"].tolist() == [snap, t + 3 * S]
    # A taker buy against the snapshot's book before the market's start (breaker14b: a fill there was in no
    # interval): 2 @ 102 at t - 0.1 s; a sell 2 @ 103 at t + 2.5 s. Equity at snap 0; at t + 1 s -204 + 2 * 101 =
    # -2 (the mid of the events at t); at t + 2 s -204 + 2 * 102 = 0; at t + 3 s the total, -204 + 206 = 2.
    # Increments -2, 2, 2: they add up to the total (the -2 was left out when the grid began at t).
    early = [fill(t - S // 10, 1, 102, 2, 100, 102, maker=False), fill(t + 5 * S // 2, -1, 103, 2, 100, 104, oid=2)]
    r = risk_of(early, ev)
    assert r.series["equity"].tolist() == pytest.approx([0.0, -2.0, 0.0, 2.0])
    assert r.data["pnl"]["total"] == pytest.approx(2.0)


def test_a_position_taken_before_the_book_has_two_sides_is_marked_at_its_first_mid():
    """breaker14: a 10-lot market buy at 1 s @102, when only the ask side exists (the bid appears at 3 s:
    mid 101). Marked at mid 0 until then, equity read -1020 and the max drawdown 1,020 (the whole notional).
    Before the first two-sided mid the position is marked at that first mid: -1020 + 10 * 101 = -10 from
    the fill on; max drawdown 10, the PnL total -10. compare's bucket PnL reads the same marks."""
    imin = np.iinfo(np.int64).min
    ev = make_events([(0, K.DEPTH, -1, 102, 5), (3 * S, K.DEPTH, 1, 100, 5), (4 * S, K.DEPTH, 1, 100, 6)])
    fills = [fill(S, 1, 102, 10, imin, 102, maker=False)]
    rep = risk_of(fills, ev)
    assert rep.data["pnl"]["total"] == pytest.approx(-10.0)
    assert rep.data["risk"]["max_drawdown"] == pytest.approx(10.0)
    exch_ts, mid2_ff, ffvalid = forward_mid(ev)
    f = np.array(fills, dtype=mmsim.records.FILL_DTYPE)
    assert equity_at(f, 1.0, exch_ts, mid2_ff, ffvalid, np.array([S // 2, 2 * S, 5 * S])).tolist() == [0.0, -10.0,
                                                                                                       -10.0]
    # A sell short before the book's first mid, the other side: 5 @ 102 with only the ask there is marked
    # at 101 too: +510 - 505 = +5; no drawdown.
    rep = risk_of([fill(S, -1, 102, 5, imin, 102)], ev)
    assert rep.data["pnl"]["total"] == pytest.approx(5.0) and rep.data["risk"]["max_drawdown"] == 0.0


# ----------------------------------------------------------------------------- phase invariance


@lru_cache(maxsize=8)
def synth_run(snapshot_shift: int, sample_every: int):
    """JoinBest on the seeded 5-minute synthetic market, after an opening snapshot (a CLEAR) 2 h before it,
    moved later by ``snapshot_shift``: the same trading, the engine's samples in another phase."""
    ev = synth_day("l3").events
    clear = np.zeros(1, dtype=ev.dtype)
    clear["exch_ts"] = clear["local_ts"] = ev["exch_ts"][0] - 7200 * S + snapshot_shift
    clear["kind"] = int(K.CLEAR)
    events = np.concatenate([clear, ev])
    res = mmsim.run(events, load_strategy("join_best", {"size": 1}),
                    mmsim.Config(sample_every=sample_every))
    return events, res


def risk(events, res):
    return compute_report(res, events, horizons=["1s"], event_horizons=[]).data["risk"]


def test_the_same_trading_gives_the_same_sharpe_and_drawdown_whatever_the_samples_phase():
    """The snapshot stamped 0.5 s later: the same fills, the samples 0.5 s out of phase with the Sharpe's grid.
    Before, Sharpe -0.6680 against -0.7028 and max drawdown 302.5 against 288.5 (both under the exact 309.0)."""
    ev0, a = synth_run(0, S)
    ev1, b = synth_run(S // 2, S)
    assert np.array_equal(a.fills, b.fills) and len(a.fills) > 100  # the same trading
    assert not np.array_equal(a.samples["exch_ts"] - ev0["exch_ts"][0], b.samples["exch_ts"] - ev0["exch_ts"][0])
    ra, rb = risk(ev0, a), risk(ev1, b)
    assert ra["sharpe_daily"] is not None
    assert (ra["sharpe_daily"], ra["max_drawdown"], ra["pnl_by_day"]) == (
        rb["sharpe_daily"], rb["max_drawdown"], rb["pnl_by_day"])


def test_max_drawdown_does_not_depend_on_sample_every_nor_on_the_samples_at_all():
    """The same trading sampled every 700 ms and every 3 s, and with no samples: max drawdown 309.0 each time
    (it read 302.5, 303.0 and 288.0 from the samples, and the samples-less run marked equity only at fills).
    The Sharpe's interval is ``sample_every`` (risk.sharpe_interval), so its value is that grid's: with
    the samples dropped it does not move."""
    ev, a = synth_run(0, S)
    base = risk(ev, a)
    for se in (700_000_000, 3 * S):
        e, r = synth_run(0, se)
        assert np.array_equal(r.fills, a.fills)
        assert risk(e, r)["max_drawdown"] == base["max_drawdown"]
    bare = copy.copy(a)
    bare.samples = a.samples[:0]
    assert risk(ev, bare) == base


def test_max_drawdown_in_chunks_equals_marking_every_event_and_fill_at_once():
    """max_drawdown marks the path a chunk at a time (bounded memory on a day of millions of events): the
    running peak carries over, so any chunk gives the figure of marking every event and fill time at once."""
    ev, res = synth_run(0, S)
    exch_ts, mid2_ff, ffvalid = forward_mid(ev)
    fills = np.asarray(res.fills)
    times = np.sort(np.concatenate([exch_ts, fills["exch_ts"]]))
    eq = equity_at(fills, float(res.tick_value), exch_ts, mid2_ff, ffvalid, times + 1)
    whole = float((np.maximum.accumulate(np.maximum(eq, 0.0)) - eq).max())
    assert whole > 0
    for chunk in (3, 1000, 1 << 20):
        assert max_drawdown(fills, float(res.tick_value), exch_ts, mid2_ff, ffvalid, chunk=chunk) == whole


def test_the_sharpe_interval_is_a_report_setting_of_its_own():
    """The Sharpe's interval was the engine's sample_every, a setting of the run, though the equity is marked from
    the fills and the mid (no samples read). `sharpe_interval` sets it; by default it stays sample_every. With
    sample_every 500ms and sharpe_interval 1s the grid is 0, 1, 2, 3 s: Sharpe 10, as the 1 s grid above."""
    fills = [fill(S // 2, 1, 100, 2, 100, 102, fee=0.5), fill(5 * S // 2, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
    res = result_of(fills, config=mmsim.Config(sample_every=S // 2))
    default = compute_report(res, hand_events(), horizons=["1s"], event_horizons=[]).data["risk"]
    assert default["sharpe_interval"] == "500ms" and default["sharpe_daily"] != pytest.approx(10.0)
    rep = compute_report(res, hand_events(), horizons=["1s"], event_horizons=[], sharpe_interval="1s")
    assert rep.data["risk"]["sharpe_interval"] == "1s"
    assert rep.data["risk"]["sharpe_daily"] == pytest.approx(10.0)
    assert rep.series["equity_t"].tolist() == [0, S, 2 * S, 3 * S]
    # The same kind: 1.5 s (ns given as an int), the grid 0, 1.5, 3 s: equity 0, -6.5 (mid 97), 5; increments
    # -6.5, 11.5: mean 2.5, sd 9 * sqrt(2), * sqrt(2 intervals / 1 day): 2.5 / 9.
    r = compute_report(res, hand_events(), horizons=["1s"], event_horizons=[], sharpe_interval=1_500_000_000)
    assert r.data["risk"]["sharpe_daily"] == pytest.approx(2.5 / 9)
    assert r.data["risk"]["max_drawdown"] == default["max_drawdown"]  # the drawdown does not depend on it


def test_a_bad_sharpe_interval_names_the_setting_or_the_flag(tmp_path, capsys):
    from mmsim.errors import ConfigError

    fills = [fill(S // 2, 1, 100, 2, 100, 102)]
    for bad, msg in (("0s", r"^sharpe_interval must be a positive duration \(e\.g\. 1m\), got '0s'$"),
                     ("soon", r"^sharpe_interval: cannot read 'soon' as a duration; use a number with a unit"),
                     ("-1s", r"^sharpe_interval: a duration cannot be negative, got '-1s'$")):
        with pytest.raises(ConfigError, match=msg):
            mmsim.report.make_report(result_of(fills), hand_events(), sharpe_interval=bad)
    # mmsim report --sharpe-interval: the flag named, no traceback.
    ev = hand_events()
    res = mmsim.run(ev, load_strategy("fixed_spread", {"half_spread": 1, "size": 1}), mmsim.Config())
    res.save(tmp_path / "run")
    np.save(tmp_path / "ev.npy", ev)
    from mmsim.cli import main

    assert main(["report", str(tmp_path / "run"), "--events", str(tmp_path / "ev.npy"), "--sharpe-interval", "0",
                 "-q", "--no-plots"]) != 0
    assert capsys.readouterr().err == ("mmsim: config error: --sharpe-interval must be a positive duration (e.g. 1m), "
                                       "got 0\n")
    assert main(["report", str(tmp_path / "run"), "--events", str(tmp_path / "ev.npy"), "--sharpe-interval", "1s",
                 "-q", "--no-plots"]) == 0
    import json

    assert json.loads((tmp_path / "run" / "report.json").read_text())["risk"]["sharpe_interval"] == "1s"


def test_pnl_png_parts_are_on_the_equity_grid_and_add_up_to_it_at_every_point():
    """pnl.png's parts stepped at fill times only, so between fills spread capture + inventory - fees was not
    the equity plotted with them (ESH4 ~23:12: 945 against 1,100). They are on the equity's grid now.
    The hand case: buy 2 at 100 at 0.5s (mid 101: spread capture 2, fee 0.5), sell 2 at 103 at 2.5s (mid 102:
    2, fee 0.5); equity on the 1 s grid 0, 1.5, 3.5, 5; spread capture 0, 2, 2, 4; fees 0, 0.5, 0.5, 1;
    inventory = equity - spread + fees: 0, 0, 2, 2 (the old parts read inventory 0 until 2.5s, so at 1.7s–2s
    their sum was 1.5 where equity was 3.5). The second case: the sell 1 s after the last event (3s) is in
    the last point, the totals."""
    for sell_ts in (5 * S // 2, 4 * S):
        fills = [fill(S // 2, 1, 100, 2, 100, 102, fee=0.5), fill(sell_ts, -1, 103, 2, 100, 104, fee=0.5, oid=2)]
        rep = risk_of(fills, hand_events())
        s, p = rep.series, rep.series["parts"]
        assert s["parts_t"].tolist() == s["equity_t"].tolist() == [0, S, 2 * S, 3 * S]
        assert p["spread"].tolist() == [0.0, 2.0, 2.0, 4.0]
        assert p["fees"].tolist() == [0.0, 0.5, 0.5, 1.0]
        assert p["inventory"].tolist() == [0.0, 0.0, 2.0, 2.0]
        assert (p["spread"] + p["inventory"] - p["fees"]).tolist() == s["equity"].tolist()
        pnl = rep.data["pnl"]
        assert (p["spread"][-1], p["inventory"][-1], p["fees"][-1]) == (pnl["spread_capture"], pnl["inventory"],
                                                                       pnl["fees"])
    # A run of hundreds of fills: the identity at every plotted point (to float rounding).
    ev, res = synth_run(0, S)
    s = compute_report(res, ev, horizons=["1s"], event_horizons=[]).series
    p = s["parts"]
    assert len(res.fills) > 100 and np.array_equal(s["parts_t"], s["equity_t"])
    np.testing.assert_allclose(p["spread"] + p["inventory"] - p["fees"], s["equity"], rtol=0, atol=1e-9)
