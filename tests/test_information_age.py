"""The decision log, information age and the look-ahead audit (issue 17, part 2).

Hand cases: one small event array replayed under a constant and under a
recorded feed, every decision's newest event and every fill's age and its parts
computed by hand; the audit passes them, and catches a delivery broken on
purpose (the engine's test hook) and a doctored log. The lognormal feed's
recomputed delivery times are checked against an independent pure-Python
implementation of the engine's random generator.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.analysis.lookahead import audit_look_ahead, feed_delivery_times
from mmsim.engine import _deliver_early
from mmsim.records import DECISION_DTYPE, Wake

D, T = Kind.DEPTH, Kind.TRADE
M, R, F = int(Wake.MARKET), int(Wake.RESPONSE), int(Wake.FILL)

# (exch_ts, kind, side, price, qty, recorded local_ts). The recorded feed delivers event 3
# (local_ts 2600) after event 2 (2900): the monotone clamp makes it 2900.
ROWS = [
    (1000, D, 1, 100, 1, 1300),
    (1000, D, -1, 101, 1, 1300),
    (2000, T, -1, 100, 3, 2900),  # 1 lot ahead of our bid, then 2 fill us
    (2500, D, -1, 102, 1, 2600),
    (4000, T, -1, 100, 2, 4100),  # 1 ahead, 1 fills our second bid (partly)
    (4500, D, -1, 101, 0, 4550),  # the ask moves up to 102
    (9000, D, -1, 103, 1, 9050),
]


class Bid2(mmsim.Strategy):
    """Always a bid of 2 lots at 100 (a partly filled order still matches: it is kept)."""

    def quote(self, view):
        return Quote(100, 2, 0, 0)


def events() -> np.ndarray:
    ev = make_events([r[:5] for r in ROWS])
    ev["local_ts"] = [r[5] for r in ROWS]
    return ev


def config(feed) -> mmsim.Config:
    return mmsim.Config(latency=mmsim.LatencyConfig(feed=feed, entry=100, response=200))


def decisions(res) -> list[tuple]:
    d = res.decisions
    return list(zip(d["local_ts"].tolist(), d["event_exch_ts"].tolist(), d["event_local_ts"].tolist(),
                    d["event_index"].tolist(), d["reason"].tolist()))


# ----------------------------------------------------------------------------- by hand

def test_decisions_and_fill_ages_by_hand_constant_feed():
    """Feed 500, entry 100, response 200. Events 0-1 (the book) arrive at 1500: decision 0 sends bid 1 (at the
    exchange at 1600, its ack back at 1800: decision 1). The trade at 2000 fills it (the fill back at 2200:
    decision 2 re-sends the bid, at the exchange at 2300, acked at 2500). The trade at 4000 fills the second bid
    by 1 lot; decision 5 (4200) saw event 3 (2500, arrived 3000) last."""
    res = mmsim.run(events(), Bid2(), config(500))
    assert decisions(res) == [
        (1500, 1000, 1500, 1, M),
        (1800, 1000, 1500, 1, R),
        (2200, 1000, 1500, 1, R | F),
        (2500, 2000, 2500, 2, M | R),
        (3000, 2500, 3000, 3, M),
        (4200, 2500, 3000, 3, R | F),
        (4500, 4000, 4500, 4, M),
        (5000, 4500, 5000, 5, M),
        (9500, 9000, 9500, 6, M),
    ]
    assert res.decisions["best_bid"].tolist() == [100] * 9
    assert res.decisions["best_ask"].tolist() == [101] * 5 + [101, 101, 102, 102]
    # Every order-log row names the call it came from: bid 1 from decision 0, bid 2 from decision 2.
    rows = [(mmsim.records.OrderEvent(e).name, int(o), int(d))
            for e, o, d in zip(res.orders["event"], res.orders["order_id"], res.orders["decision"])]
    assert rows == [("SENT", 1, 0), ("ACKED", 1, 0), ("FILLED", 1, 0), ("SENT", 2, 2), ("ACKED", 2, 2),
                    ("FILLED", 2, 2)]
    rep = res.report(horizons=["1us"], event_horizons=[], toxic_horizon="1us", age_buckets=2)
    f = rep.fills
    # fill 0: decision 0, age 500 = feed 500 + wait 0; entry 100 (1500 -> 1600), resting 400 (1600 -> 2000);
    # age at fill 2000 - 1000 = 1000 = 500 + 100 + 400. fill 1: decision 2 at 2200 saw event 1 (exch 1000,
    # arrived 1500): age 1200 = 500 + 700; entry 100, resting 1700 (2300 -> 4000); at fill 3000. The trade at
    # 2000 had happened but not arrived by 2200: 1 unseen event.
    assert f["decision"].tolist() == [0, 2]
    assert f["info_age_ns"].tolist() == [500, 1200]
    assert f["feed_delay_ns"].tolist() == [500, 500]
    assert f["wait_ns"].tolist() == [0, 700]
    assert f["entry_ns"].tolist() == [100, 100]
    assert f["resting_ns"].tolist() == [400, 1700]
    assert f["info_age_at_fill_ns"].tolist() == [1000, 3000]
    assert f["unseen_events"].tolist() == [0, 1]
    ia = rep.data["information_age"]
    ages = [500, 800, 1200, 500, 500, 1700, 500, 500, 500]
    assert ia["decisions"]["age"]["mean"] == pytest.approx(sum(ages) / 9)
    assert (ia["decisions"]["age"]["median"], ia["decisions"]["age"]["max"]) == (500, 1700)
    assert ia["decisions"]["wait"]["max"] == 1200 and ia["decisions"]["feed"]["min"] == 500
    assert ia["fills"]["age_at_fill"]["mean"] == 2000
    # Markout @ 1us: fill 0 (buy at 100) against mid 100.5 at 3000: +0.5; fill 1 against 101 at 5000: +1.
    by = ia["by_age"][0]
    assert by["basis"] == "age" and by["unit"] == "ns"
    assert [(b["lo"], b["hi"], b["n"], b["markout_ticks"]["mean"]) for b in by["buckets"]] == [
        (500, 500, 1, 0.5), (1200, 1200, 1, 1.0)]
    assert by["stale_minus_fresh"]["diff"] == 0.5 and by["stale_minus_fresh"]["ci_low"] is None
    assert rep.data["look_ahead_audit"]["line"] == "look-ahead audit: 9 decisions, 0 violations"


def test_decisions_and_fill_ages_by_hand_recorded_feed():
    """The recorded receive times: the book at 1300; event 2 at 2900 and event 3 (recorded 2600) clamped to 2900;
    event 4 at 4100, event 5 at 4550. Decision 3 (the second bid's ack, 2500) still sees event 1: age 1500, two
    events unseen (2000 and 2500 had happened)."""
    res = mmsim.run(events(), Bid2(), config("recorded"))
    assert decisions(res) == [
        (1300, 1000, 1300, 1, M),
        (1600, 1000, 1300, 1, R),
        (2200, 1000, 1300, 1, R | F),
        (2500, 1000, 1300, 1, R),
        (2900, 2500, 2900, 3, M),  # delivered at the clamped time, not its recorded 2600
        (4100, 4000, 4100, 4, M),
        (4200, 4000, 4100, 4, R | F),
        (4550, 4500, 4550, 5, M),
        (9050, 9000, 9050, 6, M),
    ]
    rep = res.report(horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    f = rep.fills
    # fill 0: age 300 (feed 300), entry 100 (1300 -> 1400), resting 600, at fill 1000 = 300 + 100 + 600;
    # fill 1: decision 2 at 2200: age 1200 = feed 300 + wait 900, entry 100, resting 1700, at fill 3000.
    assert f["info_age_ns"].tolist() == [300, 1200]
    assert f["feed_delay_ns"].tolist() == [300, 300]
    assert f["wait_ns"].tolist() == [0, 900]
    assert f["resting_ns"].tolist() == [600, 1700]
    assert f["info_age_at_fill_ns"].tolist() == [1000, 3000]
    ia = rep.data["information_age"]
    assert ia["decisions"]["age"]["mean"] == pytest.approx((300 + 600 + 1200 + 1500 + 400 + 100 + 200 + 50 + 50) / 9)
    assert ia["decisions"]["unseen"]["max"] == 2 and ia["decisions"]["unseen_share"] == pytest.approx(2 / 9)
    audit = rep.data["look_ahead_audit"]
    assert audit["ok"] and audit["n_decisions"] == 9
    assert audit["method"] == ("recorded feed: each event's local_ts, in numpy; each venue message at its latest "
                               "arrival; running maximum")


def test_the_log_can_be_off_and_changes_nothing_else():
    ev = events()
    on, off = mmsim.run_many(ev, [(Bid2(), config(500)), (Bid2(), config(500).replace(decision_log=False))])
    assert len(on.decisions) == on.n_calls == 9 and len(off.decisions) == 0 and off.n_calls == 9
    assert off.decisions.dtype == DECISION_DTYPE
    assert on.orders.tobytes() == off.orders.tobytes() and on.fills.tobytes() == off.fills.tobytes()
    rep = off.report(horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    why = ("no decision log: config key decision_log was off, or the run was saved before mmsim logged "
           "decisions")
    assert rep.data["information_age"] == {"recorded": False, "reason": why, "n_decisions": 0, "decisions": None,
                                           "fills": None, "by_age": []}
    assert rep.data["look_ahead_audit"]["line"] == f"look-ahead audit: not run ({why})"
    assert "info_age_ns" not in rep.fills
    assert "information_age.png" not in rep.plots()


def test_the_log_is_saved_and_loaded_and_old_runs_load_without_it(tmp_path):
    res = mmsim.run(events(), Bid2(), config(500))
    res.save(tmp_path / "run")
    back = mmsim.Result.load(tmp_path / "run")
    assert back.decisions.dtype == DECISION_DTYPE and back.decisions.tobytes() == res.decisions.tobytes()
    assert audit_look_ahead(back, events()).line() == "look-ahead audit: 9 decisions, 0 violations"
    (tmp_path / "run" / "decisions.npy").unlink()  # a run saved before the decision log
    old = mmsim.Result.load(tmp_path / "run")
    assert len(old.decisions) == 0 and old.decisions.dtype == DECISION_DTYPE
    assert not audit_look_ahead(old, events()).ran


# ----------------------------------------------------------------------------- the audit catches

def test_the_audit_catches_an_event_delivered_early_on_purpose():
    """The test hook hands the entry holding event 4 (the trade at 4000, due at 4500) to the local side 300 ns
    early, at 4200, the time the second bid's fill report arrives: decision 5 sees it too soon (and there is no
    call at 4500 any more: 8 decisions)."""
    with _deliver_early(4, 300):
        res = mmsim.run(events(), Bid2(), config(500))
    assert decisions(res)[5] == (4200, 4000, 4200, 4, R | F | M)
    audit = audit_look_ahead(res, events())
    assert audit.line() == "look-ahead audit: 8 decisions, 1 violation"
    assert not audit.ok and audit.counts["look_ahead"] == 1 and audit.counts["timestamps"] == 1
    assert audit.violations == [{
        "decision": 5, "check": "look_ahead",
        "message": "decision 5 at local time 4,200 ns: its view holds event 4 (exch_ts 4,000 ns), which arrived "
                   "at 4,500 ns, 300 ns after the decision; the last event delivered by then is 3"}]
    # ... and the report prints it (terminal, report.json, HTML).
    rep = res.report(horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    doc = json.loads(rep.to_json())
    assert doc["look_ahead_audit"]["n_violations"] == 1 and doc["look_ahead_audit"]["violations"][0]["decision"] == 5
    assert "look-ahead audit: 8 decisions, 1 violation</p>" in rep.to_html()


def test_the_audit_catches_early_delivery_under_a_recorded_feed():
    """The same hook on the recorded feed: event 5 (recorded 4550) handed over 40 ns early, at 4510."""
    with _deliver_early(5, 40):
        res = mmsim.run(events(), Bid2(), config("recorded"))
    assert decisions(res)[7] == (4510, 4500, 4510, 5, M)
    audit = audit_look_ahead(res, events())
    assert audit.n_violations == 1 and audit.violations[0]["check"] == "look_ahead"
    assert audit.violations[0]["message"].startswith("decision 7 at local time 4,510 ns: its view holds event 5 ")
    # The view showed the ask that event 5 removed already gone: the book check sees it too.
    assert audit.counts["book"] == 1


def test_the_audit_checks_a_doctored_log():
    """Each check, on a log changed by hand: an older newest event, a view's book, the clock, an order's decision."""
    res = mmsim.run(events(), Bid2(), config(500))
    ev = events()
    d = res.decisions.copy()
    d["event_index"][4] = 2  # decision 4 (3000) claims it saw only up to event 2; event 3 had arrived at 3000
    d["event_exch_ts"][4], d["event_local_ts"][4] = 2000, 2500
    d["best_ask"][6] = 102  # decision 6's view shows the ask event 5 removed later
    res.decisions = d
    audit = audit_look_ahead(res, ev)
    assert audit.counts == {"look_ahead": 0, "missing": 1, "timestamps": 0, "book": 1, "clock": 0, "calls": 0,
                            "orders": 0}
    assert [v["message"] for v in audit.violations] == [
        "decision 4 at local time 3,000 ns: event 3 arrived at 3,000 ns but the newest event in its view is 2",
        "decision 6 at local time 4,500 ns: its view's best bid/ask 100/102 ticks; the book after the last event "
        "delivered (4) is 100/101",
    ]
    d = res.decisions.copy()
    d["local_ts"][8] = 4000
    res.decisions = d
    o = res.orders.copy()
    o["decision"][3] = 3  # bid 2 was sent at 2200 by decision 2, not by decision 3 (2500)
    res.orders = o
    audit = audit_look_ahead(res, ev)
    assert audit.counts["clock"] == 1 and audit.counts["orders"] == 1
    assert audit.violations[-1]["message"] == ("order-log row 3 (SENT) was sent at local time 2,200 ns but names "
                                               "decision 3 at 2,500 ns; 1 rows do")


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 8])
def test_the_audit_and_the_ages_a_chunk_at_a_time_are_those_of_the_whole_log(monkeypatch, chunk):
    """The audit and the information-age columns go over the log a chunk of rows at a time (fix30d: a log of 10^9
    rows took 2.3 times its size again). Any chunk gives the whole log's answer: a clock going back across a chunk's
    edge (decision 8, the first of its chunk at 4 and 8 rows) included."""
    import mmsim.analysis.lookahead as la
    import mmsim.report.infoage as ia

    res = mmsim.run(events(), Bid2(), config(500))
    ev = events()
    d = res.decisions.copy()
    d["event_index"][4] = 2
    d["event_exch_ts"][4], d["event_local_ts"][4] = 2000, 2500
    d["best_ask"][6] = 102
    d["local_ts"][8] = 4000
    res.decisions = d
    whole, whole_age = audit_look_ahead(res, ev), res.report(ev).data["information_age"]
    monkeypatch.setattr(la, "_CHUNK", chunk)
    monkeypatch.setattr(ia, "_CHUNK", chunk)
    part = audit_look_ahead(res, ev)
    assert whole.counts == part.counts and whole.counts["clock"] == 1 and whole.counts["missing"] == 1
    assert whole.violations == part.violations and whole.n_violations == part.n_violations
    assert res.report(ev).data["information_age"] == whole_age


# ----------------------------------------------------------------------------- the lognormal feed

class _Xoshiro:
    """The engine's generator (latency.hpp: splitmix64 seeding, xoshiro256**, Box-Muller), in pure Python."""

    M = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        x = seed
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & self.M
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & _Xoshiro.M

    def next(self) -> int:
        s = self.s
        r = (self.rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 17) & self.M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return r

    def normal(self) -> float:
        u1 = ((self.next() >> 11) + 0.5) * (1.0 / 9007199254740992.0)
        u2 = ((self.next() >> 11) + 0.5) * (1.0 / 9007199254740992.0)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


def _llround(x: float) -> int:
    f = math.floor(x)
    return int(f) + (1 if x - f >= 0.5 else 0)


def test_lognormal_deliveries_equal_an_independent_implementation_and_the_runs():
    from mmsim.synth import SynthConfig, generate

    ev = generate(SynthConfig(seed=2, duration="20s"))
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed={"lognormal": {"median": "2ms", "sigma": 0.7, "min": "50us"}},
                                                   entry="25us", response="25us", seed=11))
    delivery, method = feed_delivery_times(ev, cfg)
    rng = _Xoshiro(11 ^ 0x6665656400000000)  # the feed's stream: the run's seed ^ the feed salt (variant.cpp)
    # One draw per venue message (the events at one exch_ts travel together), then the running maximum.
    arrival, last = [], None
    for t in ev["exch_ts"][:500].tolist():
        if t != last:
            a, last = t + 50_000 + _llround(2_000_000.0 * math.exp(0.7 * rng.normal())), t
        arrival.append(a)
    assert delivery[:500].tolist() == np.maximum.accumulate(arrival).tolist()
    assert len(set(ev["exch_ts"][:500].tolist())) < 500  # messages of several events are in the sample
    assert "drawn again by a fresh model outside the pass" in method
    res = mmsim.run(ev, mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1}), cfg)
    d = res.decisions
    assert len(d) > 1000
    assert (d["event_local_ts"] == delivery[d["event_index"]]).all()
    assert audit_look_ahead(res, ev).line() == f"look-ahead audit: {len(d):,} decisions, 0 violations"
    with _deliver_early(len(ev) // 2, 1_000_000):
        bad = mmsim.run(ev, mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1}), cfg)
    audit = audit_look_ahead(bad, ev)
    assert audit.counts["look_ahead"] >= 1 and audit.violations[0]["check"] == "look_ahead"


def test_a_lognormal_feed_delivers_each_venue_message_whole():
    """One draw per venue message. Seed 9, median 1000 ns, sigma 1: the messages at 1000, 2000 and 3000 draw
    846, 753 and 510 ns (the generator above), so they arrive at 1846, 2753 and 3510, each whole: the depth update
    at 2000 and its trade are seen together. With a draw per event (mmsim 0.1) the depth update arrived at 2510 and
    its trade at 2571, and the strategy was called between them."""
    ev = make_events([(1000, 1, 1, 100, 10), (1000, 1, -1, 101, 10), (2000, 1, 1, 100, 6),
                             (2000, 2, -1, 100, 4), (3000, 1, -1, 101, 9)])
    cfg = mmsim.Config(latency=mmsim.LatencyConfig(feed={"lognormal": {"median": 1000, "sigma": 1.0}}, seed=9))
    rng = _Xoshiro(9 ^ 0x6665656400000000)
    assert [t + _llround(1000.0 * math.exp(rng.normal())) for t in (1000, 2000, 3000)] == [1846, 2753, 3510]
    seen = []

    class Look(mmsim.Strategy):
        def quote(self, view):
            seen.append((view.ts, view.n_events))
            return None

    res = mmsim.run(ev, Look(), cfg)
    assert seen == [(1846, 2), (2753, 4), (3510, 5)]
    assert feed_delivery_times(ev, cfg)[0].tolist() == [1846, 1846, 2753, 2753, 3510]
    assert audit_look_ahead(res, ev).ok


def test_run_many_keeps_each_runs_decision_log_bit_identical():
    """A constant, a recorded and a lognormal feed and a timer in one pass: each log as the run alone has it."""
    ev = events()
    runs = [(Bid2(), config(500)), (Bid2(), config("recorded")),
            (Bid2(), config({"lognormal": {"median": 300, "sigma": 0.5}})),
            (Bid2(), config(250).replace(decide_every=700))]
    many = mmsim.run_many(ev, runs)
    for (s, c), r in zip(runs, many):
        alone = mmsim.run(ev, type(s)(), c)
        assert r.decisions.tobytes() == alone.decisions.tobytes() and len(r.decisions) == r.n_calls
        assert r.orders.tobytes() == alone.orders.tobytes()
        assert audit_look_ahead(r, ev).ok


def test_age_buckets_keep_equal_ages_together_at_either_end():
    """Mean ranks cut into equal shares: a mass of equal ages is one bucket, at the bottom (a constant feed with
    no wait) as at the top; distinct ages spread evenly."""
    from mmsim.report.infoage import rank_buckets

    assert rank_buckets(np.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 3.0]), 5).tolist() == [2] * 8 + [4, 4]
    assert rank_buckets(np.array([1, 2, 3, 3, 3, 3, 3, 3, 3, 3.0]), 5).tolist() == [0, 0] + [3] * 8
    assert rank_buckets(np.arange(10.0), 5).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert rank_buckets(np.array([7.0]), 5).tolist() == [2]


def test_the_timers_first_period_sees_no_data_delivered_after_it():
    """Feed 10,000 ns, a 1,000 ns timer. The book (1,000) arrives at 11,000 and starts the timer; the ask update at
    6,000 arrives at 16,000. The calls at 12,000 .. 15,000 see the book only. The audit found the engine handing
    them the update too (its first delivery loop ran on past the timer's first firing); fixed with this test."""
    ev = make_events([(1000, D, 1, 100, 10), (1000, D, -1, 101, 10), (6000, D, -1, 101, 4),
                      (21000, D, -1, 109, 1)])
    res = mmsim.run(ev, Bid2(), mmsim.Config(latency=mmsim.LatencyConfig(feed=10_000), decide_every=1000))
    d = decisions(res)
    assert [t for t, *_ in d] == list(range(12_000, 31_001, 1000))
    assert [(t, i) for t, _, _, i, _ in d if t <= 16_000] == [(12_000, 1), (13_000, 1), (14_000, 1), (15_000, 1),
                                                              (16_000, 2)]
    assert d[4][4] == M | int(Wake.TIMER) and audit_look_ahead(res, ev).ok


def test_report_sections_in_json_html_terminal_and_the_cli(tmp_path):
    """report.json's two sections with their documented keys, the HTML's tables and plot, the terminal's lines,
    and `mmsim report --age-buckets`."""
    from rich.console import Console

    from mmsim.cli import build_parser
    from mmsim.cli.report import cmd as cmd_report

    ev = events()
    res = mmsim.run(ev, Bid2(), config(500))
    rep = res.report(ev, horizons=["1us"], event_horizons=[], toxic_horizon="1us", age_buckets=2)
    doc = json.loads(rep.to_json())
    ia, audit = doc["information_age"], doc["look_ahead_audit"]
    assert set(ia) == {"recorded", "reason", "n_decisions", "decisions", "fills", "by_age"}
    assert set(ia["decisions"]) == {"age", "feed", "wait", "unseen", "unseen_share"}
    assert set(ia["fills"]) == {"n", "age", "feed", "wait", "entry", "resting", "age_at_fill", "unseen"}
    assert set(ia["fills"]["age"]) == {"n", "mean", "min", "p1", "p5", "p25", "median", "p75", "p95", "p99", "max"}
    assert [b["basis"] for b in ia["by_age"]] == ["age", "age_at_fill", "unseen"]
    assert set(ia["by_age"][0]) == {"basis", "unit", "horizon", "n", "buckets", "spearman", "stale_minus_fresh"}
    assert set(ia["by_age"][0]["buckets"][0]) == {"q", "lo", "hi", "n", "qty", "markout_ticks", "markout_bps",
                                                   "toxic_share", "horizons"}
    assert set(audit) == {"ran", "ok", "n_decisions", "n_violations", "counts", "violations", "method", "reason",
                          "line"}
    page = rep.to_html()
    for anchor in ('id="information-age"', 'id="markout-by-age"', 'id="markout-by-age-at-fill"',
                   'id="markout-by-unseen"', 'id="plot-information_age"',
                   '<p class="ok" id="look-ahead-audit">look-ahead audit: 9 decisions, 0 violations</p>'):
        assert anchor in page, anchor
    console = Console(record=True, width=80)
    rep.print(console)
    text = console.export_text()
    assert "look-ahead audit: 9 decisions, 0 violations" in text
    assert "by information age at the fill's decision: last bucket − first (stalest − freshest) 0.50 ticks @" in \
        " ".join(text.split())
    # The command line: the saved run's report with 2 age buckets is the one computed here.
    store = tmp_path / "store"
    store.mkdir()
    np.save(store / "events.npy", ev)
    res.save(tmp_path / "run")
    parser, _ = build_parser()
    args = parser.parse_args(["report", str(tmp_path / "run"), "--events", str(store), "--horizons", "1us",
                              "--event-horizons", "", "--toxic-horizon", "1us", "--age-buckets", "2", "--quiet",
                              "--no-plots", "-o", str(tmp_path / "out")])
    assert cmd_report(args) == 0
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["information_age"] == ia and saved["look_ahead_audit"] == audit
    with pytest.raises(mmsim.ConfigError, match="age_buckets must be a positive integer, got 0"):
        res.report(ev, age_buckets=0)


def test_no_fill_with_a_markout_is_not_called_one_bucket():
    """Without a fill that has a markout at the toxic horizon there are no buckets at all: the line under each
    basis said "one bucket only (every fill alike)" of a run with no fills. Both ways to have none: no fills,
    and fills whose 1 s markout runs past the end of the data (the last event is at 9,000 ns)."""
    from mmsim.report.render_infoage import by_age_lines

    class Nothing(mmsim.Strategy):
        def quote(self, view):
            return Quote(0, 0, 0, 0)

    ev = events()
    for strategy, n_fills in ((Nothing(), 0), (Bid2(), 2)):
        res = mmsim.run(ev, strategy, config(500))
        assert len(res.fills) == n_fills
        ia = res.report(ev, horizons=["1s"], event_horizons=[], toxic_horizon="1s").data["information_age"]
        assert [b["n"] for b in ia["by_age"]] == [0, 0, 0]
        assert by_age_lines(ia) == [
            "by information age at the fill's decision: no fill with a markout at 1s, no comparison",
            "by information age at the fill: no fill with a markout at 1s, no comparison",
            "by events unseen at the fill's decision: no fill with a markout at 1s, no comparison"]


def test_age_bucket_labels_read_in_order_on_both_sides_of_a_boundary():
    """A fresh user's finding: '1.001 ms – 2.2 ms' then '2.198 ms – 6.47 ms' (the hi rounded at 3 digits,
    the next lo at 4). Both sides of a boundary take the digits that tell them apart."""
    from mmsim.report.render_infoage import _ranges

    buckets = [{"lo": 1_000_500, "hi": 2_195_981}, {"lo": 2_197_931, "hi": 6_470_000},
               {"lo": 6_470_000, "hi": 6_470_000}, {"lo": 7_000_000, "hi": 9_000_000}]
    # (A label whose edge needed the boundary's 3 decimals has them on both edges; the others keep their own
    # precision since polish13, so "6.470 ms" and "7.000 ms – 9.000 ms" of the table-wide rule read as below.)
    assert _ranges(buckets, "ns") == ["1.000 ms – 2.196 ms", "2.198 ms – 6.470 ms", "6.47 ms", "7 ms – 9 ms"]
    # A label's edges exact at one decimal: one decimal on both (were "0.0 ms – 1.0 ms" table-wide until polish13).
    assert _ranges([{"lo": 0, "hi": 1_000_000}, {"lo": 1_500_000, "hi": 2_000_000}], "ns") == [
        "0 ms – 1 ms", "1.5 ms – 2.0 ms"]


def test_age_bucket_labels_of_one_table_share_a_unit_and_decimals():
    """A fresh user's finding: `2.4406 ms – 8.609 ms`, `3.182 ms – 9.3179 ms`, each edge with its own digits.
    The BTCUSDT sample (examples/btcusdt_usdm.yaml) printed `1.39 ms – 3.559 ms`, `3.56 ms – 5.49 ms`,
    `5.5 ms – 11.2 ms`, `11.5 ms – 23.2 ms`, `23.5 ms – 100 ms`: one table, four precisions, and 100.5 ms
    shown as 100. Its buckets, from its report.json: the boundary 3,559,330 / 3,559,535 ns takes 3 decimals,
    so every label does."""
    from mmsim.report.render_infoage import _ranges

    age = [(1391632, 3559330), (3559535, 5490170), (5500000, 11182063), (11500000, 23170193), (23500000, 100500000)]
    # Since polish13 each label has its own precision (the table-wide 3 decimals labelled a lone wide bucket
    # `1 ms – 100 ms`): the boundary's labels 3 decimals, the others 3 significant digits.
    assert _ranges([{"lo": lo, "hi": hi} for lo, hi in age], "ns") == [
        "1.392 ms – 3.559 ms", "3.560 ms – 5.490 ms", "5.50 ms – 11.2 ms", "11.5 ms – 23.2 ms",
        "23.5 ms – 100 ms"]
    # Its age at fill: whole milliseconds, shown exactly with no decimal; 13.576 s in ms as the rest.
    at_fill = [(4_000_000, 19_000_000), (20_000_000, 36_000_000), (37_000_000, 51_000_000),
               (52_000_000, 347_000_000), (352_000_000, 13_576_000_000)]
    assert _ranges([{"lo": lo, "hi": hi} for lo, hi in at_fill], "ns") == [
        "4 ms – 19 ms", "20 ms – 36 ms", "37 ms – 51 ms", "52 ms – 347 ms", "352 ms – 13,576 ms"]
    # Events unseen: whole numbers, thousands separated.
    assert _ranges([{"lo": 0, "hi": 0}, {"lo": 1, "hi": 4}, {"lo": 16, "hi": 1127}], "events") == [
        "0", "1 – 4", "16 – 1,127"]
    # A bucket whose own edges differ past the middle edge's digits: more decimals, for all.
    assert _ranges([{"lo": 10_000_000, "hi": 10_004_000}, {"lo": 20_000_000, "hi": 30_000_000}], "ns") == [
        "10.000 ms – 10.004 ms", "20 ms – 30 ms"]  # the second label its own (was 20.000 ms – 30.000 ms)


def test_each_age_label_has_the_precision_and_unit_of_its_own_edges():
    """A lone wide bucket from 1.392 ms to 100.5 ms read `1 ms – 100 ms` (the decimals of the table's middle
    edge, 100.5 ms), and ESH4's stalest `1,689 µs – 520,275 µs` (the table's unit, µs, from its middle edge).
    Each label now has its own unit (its smaller edge's) and each edge 3 significant digits."""
    from mmsim.report.render_infoage import _ranges

    assert _ranges([{"lo": 1_391_632, "hi": 100_500_000}], "ns") == ["1.39 ms – 100 ms"]
    # ESH4 (examples/esh4_mbo.yaml), its report.json's age buckets.
    esh4 = [(101128, 217679), (234391, 326447), (350566, 503443), (689035, 1256241), (1688710, 520275392)]
    assert _ranges([{"lo": lo, "hi": hi} for lo, hi in esh4], "ns") == [
        "101 µs – 218 µs", "234 µs – 326 µs", "351 µs – 503 µs", "689 µs – 1,256 µs", "1.69 ms – 520 ms"]
    # Edges 4 µs apart take the decimals that tell them apart; a label from 800 µs to 2 s (2,000,000 µs in one
    # unit) gives each edge its own unit.
    assert _ranges([{"lo": 2_400_000, "hi": 2_404_000}, {"lo": 800_000_000, "hi": 2_000_000_000}], "ns") == [
        "2.400 ms – 2.404 ms", "800 ms – 2,000 ms"]
    assert _ranges([{"lo": 0, "hi": 0}, {"lo": 800_000, "hi": 2_000_000_000}], "ns") == ["0 ns", "800 µs – 2 s"]


def test_a_difference_without_an_interval_says_which_bucket_has_one_fill():
    """Welch's interval needs two fills in each end bucket; with one, the line gave no interval and no reason
    (breaker13b). The same words for information age's stalest/freshest as for queue position's last/first."""
    from mmsim.report.render_infoage import one_fill

    ends = (("stale", "the stalest"), ("fresh", "the freshest"))
    assert one_fill({"n_stale": 1, "n_fresh": 4}, ends) == " (no interval: the stalest bucket has one fill)"
    assert one_fill({"n_stale": 1, "n_fresh": 1}, ends) == (
        " (no interval: the stalest and the freshest bucket have one fill)")
    assert one_fill({"n_stale": 3, "n_fresh": 2}, ends) == ""
