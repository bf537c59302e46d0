"""Report arithmetic near the engine's bounds: no int64 product or sum wraps (docs/reports.md, "Exact arithmetic").

The engine accepts prices in [-2^62, 2^62) ticks and a fill's notional below 2^62
tick·lots; the report's own products (markout half-ticks x lots, position x mid move),
its sums of lots, and even a markout (2·mid − 2·price) can leave int64. Each case is
hand-computed with Python ints.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_events
from test_report import fill, result_of

import mmsim
from mmsim import Kind
from mmsim.report import make_report as report
from mmsim._exact import add, dot, isum, mul, sub

S = 1_000_000_000
P = 1 << 62


def test_markout_times_lots_and_position_times_mid_move_are_exact():
    # Book 1/3 (2*mid 4) until 1s, then 1000/1002 (2*mid 2002). A buy of 2^60 lots at 2
    # ticks (notional 2^61 < 2^62, as the engine allows) at 0.5s.
    ev = make_events([(0, Kind.DEPTH, 1, 1, 5), (0, Kind.DEPTH, -1, 3, 5),
                      (S, Kind.DEPTH, 1, 1000, 5), (S, Kind.DEPTH, -1, 3, 0), (S, Kind.DEPTH, -1, 1002, 5),
                      (2 * S, Kind.DEPTH, 1, 999, 1)])
    q = 1 << 60
    res = result_of([fill(S // 2, 1, 2, q, 1, 3)])
    rep = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    d = rep.data
    g = d["markouts"][0]["groups"]["all"]
    # markout at 1.5s: 2002 - 2*2 = 1998 half-ticks = 999 ticks, times 2^60 lots.
    assert g["ticks"]["mean"] == 999.0
    assert g["pnl"] == float(999 * q)           # was 1998 * 2^60 wrapped in int64
    assert g["qty_weighted_ticks"] == 999.0
    # PnL: spread 0 (bought at the mid), inventory 2^60 * (2002 - 4) half-ticks; the
    # independent total 2*cash + pos*2*mid = -2^62 + 2^60*2002 (this raised "do not reconcile").
    p = d["pnl"]
    assert p["half_ticks"] == {"spread_capture": 0, "inventory": 1998 * q, "total_before_fees": 1998 * q}
    assert p["total"] == float(999 * q) and p["inventory"] == float(999 * q)
    assert json.loads(rep.to_json())["pnl"]["half_ticks"]["inventory"] == 1998 * q


def test_a_markout_beyond_int64_keeps_its_sign():
    # The other side and the other product: a sell of 1 lot at -2^62 ticks with the book at
    # 0 / 2 (2*mid 2). 2*mid - 2*price = 2 + 2^63 does not fit int64; it wrapped to a
    # positive (good-for-us) markout of 2^62 - 1 ticks instead of -(2^62 + 1). (The book was
    # -2^62+3 / 2^62-1, the same 2*mid, until the engine refused a book wider than 2^34 ticks.)
    ev = make_events([(0, Kind.DEPTH, 1, 0, 5), (0, Kind.DEPTH, -1, 2, 5),
                      (2 * S, Kind.DEPTH, 1, 0, 6)])
    res = result_of([fill(S // 2, -1, -P, 1, 0, 2)])
    rep = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    d = rep.data
    exact = -(P + 1)  # ticks
    assert d["markouts"][0]["groups"]["all"]["ticks"]["mean"] == float(exact)
    assert d["toxic_share"] == 1.0
    assert d["spread"]["effective"]["all"]["ticks"]["mean"] == float(exact)
    assert rep.fills["effective_half_spread_ticks"][0] == float(exact)
    assert rep.fills["markout_1s_ticks"][0] == float(exact)
    assert rep.fills["price_impact_1s_ticks"][0] == 0.0
    # cash +(-2^62), position -1 at 2*mid 2: 2*cash + pos*2*mid = -2^63 - 2 half-ticks.
    p = d["pnl"]
    assert p["half_ticks"] == {"spread_capture": -(1 << 63) - 2, "inventory": 0, "total_before_fees": -(1 << 63) - 2}
    assert p["total"] == float(exact)


def test_sums_of_lots_beyond_int64_are_exact():
    # Two round trips of 2^61 lots at 1 tick (each notional 2^61; the cash and position stay
    # small) with the book at 1/3: 2^63 lots filled, which int64 summed to -2^63.
    ev = make_events([(0, Kind.DEPTH, 1, 1, 5), (0, Kind.DEPTH, -1, 3, 5), (10 * S, Kind.DEPTH, 1, 1, 6)])
    q = 1 << 61
    res = result_of([fill(i * S, 1 if i % 2 == 0 else -1, 1, q, 1, 3, oid=i + 1) for i in range(4)])
    d = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s").data
    assert d["fills"]["qty"] == 1 << 63 and d["fills"]["maker_qty"] == 1 << 63 and d["fills"]["taker_qty"] == 0
    # Buys at 1 mark out +1 tick (mid 2), sells at 1 mark out -1: half the lots are toxic
    # (int64 made it 2^62 / -2^63 = -0.5).
    assert d["toxic_share_qty"] == 0.5
    g = d["markouts"][0]["groups"]["all"]
    assert g["qty_weighted_ticks"] == 0.0 and g["pnl"] == 0.0
    assert d["cancel_race"]["qty"] == 0


def test_exact_helpers_agree_with_python_ints():
    rng = np.random.default_rng(3)
    big = rng.integers(-(1 << 63), (1 << 63) - 1, size=200, dtype=np.int64)
    small = rng.integers(-1000, 1000, size=200, dtype=np.int64)
    for a, b in ((big, big[::-1]), (small, small[::-1]), (big, small)):
        pa, pb = a.tolist(), b.tolist()
        assert sub(a, b).tolist() == [x - y for x, y in zip(pa, pb)]
        assert add(a, b).tolist() == [x + y for x, y in zip(pa, pb)]
        assert mul(a, b).tolist() == [x * y for x, y in zip(pa, pb)]
        assert dot(a, b) == sum(x * y for x, y in zip(pa, pb))
        assert isum(a) == sum(pa)
    # Inside int64 the helpers give int64 arrays (the report's numbers are unchanged there).
    assert sub(small, small[::-1]).dtype == np.int64 and mul(small, small).dtype == np.int64


def test_a_fill_price_outside_the_engine_range_is_refused():
    ev = make_events([(0, Kind.DEPTH, 1, 1, 5), (0, Kind.DEPTH, -1, 3, 5), (2 * S, Kind.DEPTH, 1, 1, 6)])
    res = result_of([fill(S, 1, 2, 1, 1, 3), fill(S, -1, P, 1, 1, 3, oid=2)])
    with pytest.raises(mmsim.DataError, match=r"^report: fill 1 has price 4611686018427387904 ticks, outside the "
                                              r"range the engine accepts \(\[-2\^62, 2\^62\) ticks\)$"):
        report(res, ev)


# ----------------------------------------------------------------------------- zero-variance intervals

def test_a_group_whose_markouts_are_all_equal_has_no_interval():
    from test_report import HAND_EVENTS

    from mmsim.report._format import _ci

    # Two buys at 100 with the book 100/102, at 0.5s and 0.6s: both mark out +0.5 at 1s
    # (mid 100.5 from 1s). The t interval mean ± t·s/√n was [0.5, 0.5].
    ev = make_events(HAND_EVENTS)
    res = result_of([fill(S // 2, 1, 100, 1, 100, 102), fill(6 * S // 10, 1, 100, 1, 100, 102, oid=2)])
    rep = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s")
    t = rep.data["markouts"][0]["groups"]["all"]["ticks"]
    assert (t["n"], t["mean"], t["std"], t["ci_low"], t["ci_high"]) == (2, 0.5, 0.0, None, None)
    assert _ci(t) == "all equal"
    from rich.console import Console

    console = Console(record=True, width=80)
    rep.print(console)
    assert "│ 1s      │ 0.50 │ all equal │" in console.export_text()
    # The same in a signal bucket: one bucket of the two equal markouts, no interval either.
    b = report(res, ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s",
               signal_buckets=1).data["spread"]["horizons"][0]["groups"]["all"]["realized"]
    assert (b["std"], b["ci_low"]) == (0.0, None)
    # One value: no interval, no claim either ("–").
    assert _ci({"n": 1, "mean": 0.5, "std": None, "ci_low": None, "ci_high": None}) == "–"


def test_stale_minus_fresh_from_a_bucket_of_equal_markouts_has_no_interval():
    from mmsim.report.infoage import _welch
    from mmsim.report.render_infoage import by_age_lines

    fresh = np.array([-1.0, 0.0, 1.0, 2.0])      # mean 0.5, var 5/3
    stale = np.array([-1.5, -1.5, -1.5])         # all equal
    d = _welch(stale, fresh, 0.95)
    # Welch would use the fresh bucket's spread alone (df 3) and take -1.5 as exact.
    assert d == {"diff": -2.0, "n_stale": 3, "n_fresh": 4, "ci_low": None, "ci_high": None,
                 "zero_variance": ["stale"]}
    assert _welch(stale, stale + 1.0, 0.95)["zero_variance"] == ["stale", "fresh"]
    ok = _welch(fresh, fresh[::-1] + np.array([0.0, 0.5, 0.0, 0.0]), 0.95)
    assert ok["zero_variance"] == [] and ok["ci_low"] is not None
    block = {"basis": "age", "n": 7, "horizon": "1s", "stale_minus_fresh": d, "spearman": None}
    assert by_age_lines({"by_age": [block]}) == [
        "by information age at the fill's decision: last bucket − first (stalest − freshest) -2.00 ticks @ 1s "
        "(no interval: every markout of the stalest bucket is equal)"]
