"""Tests of ``mmsim demo``: the defence pays against informed flow while the feed is fast, with intervals.

One quick demo (4 independent sessions of 150 s of the synthetic market, fixed
seeds; about 20 000 events per session, 80 replays, a few seconds) is run once
for the module. The measured values are in the comments, with their range over
eight disjoint sets of four seeds (base seeds 1, 5, ..., 29); each threshold
sits inside that range with a margin, and every interval asserted to exclude
zero did so for all eight sets.

The numbers themselves (markouts, PnL) are the report's; the hand-built
sessions below check that the demo reads them as the report computes them,
including the fills the report leaves out.
"""

from __future__ import annotations

import csv
import html.parser
import json
import math
import re
import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind
from mmsim.demo import (
    DEFENCE_COLUMNS,
    DEMO_LATENCIES_NS,
    DEMO_SYNTH,
    HEADLINE_NS,
    ROW_COLUMNS,
    SESSION_COLUMNS,
    STRATEGIES,
    TRADING_DAY_NS,
    DemoPlan,
    DemoResult,
    _aggregate,
    _load,
    _session_row,
    demo_configs,
    demo_runs,
    run_demo,
    seed_interval,
)
from mmsim.records import FILL_DTYPE

LOW = DEMO_LATENCIES_NS[:3]  # 0, 100 us, 1 ms: far below the informed horizon (50 ms)
HIGH = DEMO_LATENCIES_NS[-1]  # 100 ms: past it
S = 1_000_000_000
#: A printed value rounded to 2 decimals (or to whole units) is within half its last digit.
HALF_CENT = 0.005 + 1e-9
HALF_UNIT = 0.5 + 1e-9


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoResult:
    return run_demo(outdir=tmp_path_factory.mktemp("demo"), quick=True, progress=False, quiet=True)


# ----------------------------------------------------------------------------- the answer

def test_naive_fills_are_toxic_with_informed_flow(demo):
    # informed traders sweep the touch ahead of each jump (mean 4 ticks), and the naive
    # quoter sits at the touch: its mean 1 s markout is clearly negative at every low
    # latency (measured -1.17 tick per lot; -0.89 to -1.96 over seed sets), and so is the
    # whole interval (upper end measured -0.69; -0.28 at worst over seed sets)
    for lat in LOW:
        row = demo.row("informed", "naive", lat)
        assert row["fills"] > 200
        assert row["markout_1s"] < -0.3, (lat, row)
        assert row["markout_1s_ci_high"] < 0, (lat, row)


def test_toxicity_pull_is_clearly_better_at_low_latency(demo):
    # pulling the side the flow is taking recovers more than a tick per lot while the feed
    # is fast (measured +1.65; +1.25 to +2.41 over seed sets); 0.5 is far outside the noise
    for lat in LOW:
        d = demo.defence_row("informed", lat)
        assert demo.defence("informed")[lat] > 0.5, (lat, demo.defence("informed"))
        assert demo.row("informed", "toxicity_pull", lat)["markout_1s"] > demo.row("informed", "naive", lat)[
            "markout_1s"]
        # the interval excludes zero, in ticks (lower end measured +1.22; +0.68 at worst)
        # and in money per day (+797; +273 at worst)
        assert d["defence_ticks_ci_low"] > 0, d
        assert d["defence_per_day_ci_low"] > 0, d
        assert d["sessions"] == 4


def test_the_advantage_shrinks_as_feed_latency_grows(demo):
    dv = demo.defence("informed")
    # at 100 ms the strategy hears of a burst after the jump it announced (the informed
    # horizon is 50 ms): the defence is worth nothing (measured -0.04; -0.09 to +0.13 over
    # seed sets), far below a third of its low-latency value. At 10 ms it is partly spent (+1.28).
    assert dv[HIGH] < dv[0] / 3
    assert dv[HIGH] < 0.4
    # the two intervals do not overlap (100 ms upper end +0.47 at worst, 0 lower end +0.68 at worst)
    assert demo.defence_row("informed", HIGH)["defence_ticks_ci_high"] < demo.defence_row("informed", 0)[
        "defence_ticks_ci_low"]
    # and it does not grow with latency anywhere along the way (0.25-tick slack for noise)
    lats = list(DEMO_LATENCIES_NS)
    for a, b in zip(lats, lats[1:]):
        assert dv[b] < dv[a] + 0.25, (a, b, dv)


def test_no_such_effect_without_informed_flow(demo):
    dv = demo.defence("uninformed")
    # without informed flow pulling protects nothing: the defence value is zero up to
    # noise at every latency (measured |dv| <= 0.03 over seed sets), and its interval rules
    # out any effect of 0.2 tick either way (measured within [-0.09, +0.06])...
    assert all(abs(v) < 0.2 for v in dv.values()), dv
    for lat in DEMO_LATENCIES_NS:
        d = demo.defence_row("uninformed", lat)
        assert -0.2 < d["defence_ticks_ci_low"] <= d["defence_ticks"] <= d["defence_ticks_ci_high"] < 0.2, d
    # ...and the naive quoter earns the spread at low latency (measured +0.54; +0.43 to +0.70),
    # all of its interval above zero (lower end +0.17 at worst)
    for lat in LOW:
        row = demo.row("uninformed", "naive", lat)
        assert row["markout_1s"] > 0.3
        assert row["markout_1s_ci_low"] > 0


# ----------------------------------------------------------------------------- the intervals

def test_seed_interval_by_hand():
    # [1, 2, 3, 4]: mean 2.5, sd sqrt(5/3) = 1.290994, t(0.975, 3) = 3.182446,
    # half-width 3.182446 * 1.290994 / 2 = 2.054260
    iv = seed_interval([1.0, 2.0, 3.0, 4.0])
    assert iv["n"] == 4 and iv["mean"] == 2.5
    assert iv["sd"] == pytest.approx(1.2909944, rel=1e-7)
    assert iv["ci_low"] == pytest.approx(2.5 - 2.0542603, rel=1e-7)
    assert iv["ci_high"] == pytest.approx(2.5 + 2.0542603, rel=1e-7)
    # a session without the value (NaN) is left out; one value has a mean but no interval
    one = seed_interval([math.nan, 3.0])
    assert one["n"] == 1 and one["mean"] == 3.0
    assert math.isnan(one["sd"]) and math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])
    none = seed_interval([])
    assert none["n"] == 0 and math.isnan(none["mean"])


def _sessions(pull_mo, naive_mo, pull_pnl, naive_pnl, lat=0):
    out = []
    for k, (pm, nm, pp, npnl) in enumerate(zip(pull_mo, naive_mo, pull_pnl, naive_pnl)):
        for name, mo, pnl in (("toxicity_pull", pm, pp), ("naive", nm, npnl)):
            for market in ("informed", "uninformed"):
                out.append({"market": market, "seed": 10 + k, "strategy": name, "latency_ns": lat, "events": 100,
                            "fills": 7, "lots": 9, "pnl": 1.0, "position": 0, "markout_100ms": mo,
                            "markout_1s": mo, "markout_10s": mo, "lots_1s": 9, "excluded_1s": 0,
                            "markout_pnl_1s": pnl})
    return out


def test_defence_is_the_mean_of_paired_session_differences_by_hand():
    # three sessions: pull 1, 2, 3 and naive 0, 0.5, 1 ticks per lot -> differences 1, 1.5, 2:
    # mean 1.5, sd 0.5, t(0.975, 2) = 4.3026527 -> 1.5 -/+ 4.3026527 * 0.5 / sqrt(3) = 1.5 -/+ 1.2420689
    plan = DemoPlan(sessions=3, session_ns=61 * S)
    rows, defence = _aggregate(_sessions([1.0, 2.0, 3.0], [0.0, 0.5, 1.0], [0.3, 0.2, 0.4], [0.1, 0.1, 0.1]), plan)
    d = next(r for r in defence if r["market"] == "informed")
    assert d["sessions"] == 3 and d["defence_ticks"] == pytest.approx(1.5)
    assert d["defence_ticks_sd"] == pytest.approx(0.5)
    assert (d["defence_ticks_ci_high"] - d["defence_ticks_ci_low"]) / 2 == pytest.approx(1.2420689, rel=1e-7)
    assert (d["defence_ticks_ci_high"] + d["defence_ticks_ci_low"]) / 2 == pytest.approx(1.5)
    # money per day: markout-PnL differences 0.2, 0.1, 0.3 per session, scaled from the
    # 60 s whose fills have a 1 s markout to a 6.5 h day (x 390): 78, 39, 117 -> mean 78
    assert TRADING_DAY_NS / (60 * S) == 390
    assert d["defence_per_day"] == pytest.approx(78.0)
    assert d["defence_per_day_sd"] == pytest.approx(39.0)
    # rows: means over sessions, totals of counts
    naive = next(r for r in rows if (r["market"], r["strategy"]) == ("informed", "naive"))
    assert naive["markout_1s"] == pytest.approx(0.5) and naive["fills"] == 21 and naive["sessions"] == 3
    assert naive["markout_pnl_1s"] == pytest.approx(0.3)


def test_demo_intervals_equal_scipy_on_the_session_values(demo):
    from scipy import stats

    scale = TRADING_DAY_NS / (demo.plan.session_ns - HEADLINE_NS)
    for market in ("informed", "uninformed"):
        for lat in DEMO_LATENCIES_NS:
            pull = demo.session_values(market, "toxicity_pull", lat, "markout_1s")
            naive = demo.session_values(market, "naive", lat, "markout_1s")
            pull_pnl = demo.session_values(market, "toxicity_pull", lat, "markout_pnl_1s")
            naive_pnl = demo.session_values(market, "naive", lat, "markout_pnl_1s")
            d = demo.defence_row(market, lat)
            for values, key in (
                (np.subtract(pull, naive), "defence_ticks"),
                ((np.subtract(pull_pnl, naive_pnl)) * scale, "defence_per_day"),
            ):
                assert len(values) == 4
                lo, hi = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
                assert d[key] == pytest.approx(np.mean(values), rel=1e-12, abs=1e-12)
                assert d[f"{key}_ci_low"] == pytest.approx(lo, rel=1e-12, abs=1e-12)
                assert d[f"{key}_ci_high"] == pytest.approx(hi, rel=1e-12, abs=1e-12)
            for name in STRATEGIES:
                r = demo.row(market, name, lat)
                for h in ("100ms", "1s", "10s"):
                    v = demo.session_values(market, name, lat, f"markout_{h}")
                    lo, hi = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
                    assert r[f"markout_{h}"] == pytest.approx(np.mean(v), rel=1e-12, abs=1e-12)
                    assert (r[f"markout_{h}_ci_low"], r[f"markout_{h}_ci_high"]) == pytest.approx((lo, hi), rel=1e-12)
                assert r["fills"] == sum(demo.session_values(market, name, lat, "fills"))
                assert r["pnl"] == pytest.approx(sum(demo.session_values(market, name, lat, "pnl")))


def test_sessions_are_independent_seeds_on_one_fair_value_path_per_seed(demo):
    assert demo.seeds == (DEMO_SYNTH.seed, DEMO_SYNTH.seed + 1, DEMO_SYNTH.seed + 2, DEMO_SYNTH.seed + 3)
    # every run of the plan on every session: 2 markets x 4 seeds x 2 strategies x 5 latencies
    assert len(demo.sessions) == 2 * 4 * len(demo_runs(DEMO_SYNTH))
    keys = {(r["market"], r["seed"], r["strategy"], r["latency_ns"]) for r in demo.sessions}
    assert len(keys) == len(demo.sessions)
    # sessions differ from each other (independent seeds), as do their naive results
    naive = demo.session_values("informed", "naive", 0, "fills")
    assert len(set(naive)) == 4
    assert demo.n_events == sum(r["events"] for r in demo.sessions
                                if (r["market"], r["strategy"], r["latency_ns"]) == ("informed", "naive", 0))


def test_demo_runs_are_strategy_config_pairs_that_differ_only_in_strategy_and_feed_latency():
    runs = demo_runs(DEMO_SYNTH)
    assert [(name, cfg.latency.feed.ns) for name, cfg in runs] == [
        (name, lat) for name in ("naive", "toxicity_pull") for lat in DEMO_LATENCIES_NS]
    first = runs[0][1]
    for _name, cfg in runs:
        assert cfg.latency.entry == first.latency.entry and cfg.signals == first.signals
        assert cfg.latency.entry.ns == cfg.latency.response.ns == 25_000


def test_each_session_is_one_pass_with_the_numbers_of_every_run_alone(monkeypatch):
    """Issue 14: the demo replays a session's 10 runs in one mmsim.run_many pass; its numbers stay bit for bit."""
    import mmsim.demo as demo_module
    import mmsim.engine as engine

    plan = DemoPlan(sessions=2, session_ns=12 * S)
    passes = []
    one_pass = engine.run_many

    def counted(events, runs, **kw):
        passes.append(len(runs))
        return one_pass(events, runs, **kw)

    monkeypatch.setattr(engine, "run_many", counted)
    together = run_demo(plan=plan, write=False, quiet=True, progress=False)
    assert passes == [len(demo_runs(DEMO_SYNTH))] * (2 * 2)  # one pass per session and market, 10 runs each
    monkeypatch.setattr(demo_module, "_replay", lambda events, pairs: [mmsim.run(events, s, c) for s, c in pairs])
    alone = run_demo(plan=plan, write=False, quiet=True, progress=False)
    assert len(passes) == 4  # the runs alone used no pass

    def text(rows):  # NaN equals NaN here, as the files write them
        return json.dumps(rows, sort_keys=True)

    assert text(together.sessions) == text(alone.sessions) and len(alone.sessions) == 2 * 2 * 10
    assert text(together.rows) == text(alone.rows) and text(together.defence_rows) == text(alone.defence_rows)


def test_a_session_replays_its_book_once_and_reports_no_decision_log(monkeypatch):
    """The demo shows markouts, PnL and fills: its reports skip the information age and look-ahead audit (the
    decision log's sections) and share one replay of the session's book; test_demo_session_equals_the_full_report_
    of_the_same_run holds the numbers to the full report's."""
    import mmsim.analysis.lookahead as lookahead
    import mmsim.replay as replay
    import mmsim.report.compute as compute

    plan = DemoPlan(sessions=2, session_ns=12 * S)
    calls: dict[str, list] = {"bbo": [], "age": [], "audit": []}

    def counting(name, fn):
        def wrapped(*a, **kw):
            out = fn(*a, **kw)
            calls[name].append(out)
            return out
        return wrapped

    monkeypatch.setattr(replay, "replay_bbo", counting("bbo", replay.replay_bbo))
    monkeypatch.setattr(compute, "replay_bbo", counting("bbo", compute.replay_bbo))
    monkeypatch.setattr(compute, "information_age", counting("age", compute.information_age))
    monkeypatch.setattr(lookahead, "audit_look_ahead", counting("audit", lookahead.audit_look_ahead))
    res = run_demo(plan=plan, write=False, quiet=True, progress=False)
    assert len(res.sessions) == 2 * 2 * 10
    assert len(calls["bbo"]) == 2 * 2  # one per session and market, not one per run (40)
    assert [age[0]["recorded"] for age in calls["age"]] == [False] * 40
    assert [audit.ran for audit in calls["audit"]] == [False] * 40


def test_plan_errors_name_the_field():
    with pytest.raises(ValueError, match=r"^DemoPlan\.sessions must be at least 1, got 0$"):
        DemoPlan(sessions=0, session_ns=60 * S)
    with pytest.raises(ValueError, match=r"^DemoPlan\.session_ns must exceed the longest markout horizon"):
        DemoPlan(sessions=2, session_ns=10 * S)


def test_one_session_has_no_interval_and_says_so(tmp_path):
    from rich.console import Console

    res = run_demo(outdir=tmp_path / "one", progress=False, quiet=True, plan=DemoPlan(sessions=1, session_ns=20 * S))
    d = res.defence_row("informed", 0)
    assert d["sessions"] == 1 and math.isfinite(d["defence_ticks"])
    assert math.isnan(d["defence_ticks_ci_low"]) and math.isnan(d["defence_per_day_ci_high"])
    doc = json.loads(res.files["json"].read_text())
    assert doc["defence"][0]["defence_ticks_ci_low"] is None
    with res.files["defence"].open() as fh:
        assert next(csv.DictReader(fh))["defence_ticks_ci_low"] == ""
    console = Console(record=True, width=80)
    from mmsim.demo_render import print_tables

    print_tables(res, console)
    assert "–" in console.export_text()


# ----------------------------------------------------------------------------- the report's markouts

def _fill(ts, side, price, qty, bid, ask):
    return (ts, ts, 1, price, qty, 0, 0, bid, ask, 0.0, side, True, False, 1, 0, 0, -1, -1)  # a LIMIT order, level 0; no queue position


def _result(fills, tick_value=0.01):
    f = np.array(fills, dtype=FILL_DTYPE)
    pos = int((f["side"].astype(np.int64) * f["qty"]).sum())
    cash = int(-(f["side"].astype(np.int64) * f["price"] * f["qty"]).sum())
    return SimpleNamespace(fills=f, orders=None, samples=None, fill_signals=None, position=pos, cash_ticks=cash,
                           fees=0.0, tick_value=tick_value, config=None, meta={})


# 0 s: bid 100 / ask 102 (mid 101); 1 s: ask 101 (mid 100.5); 2 s: the ask side empties
# (no mid); 3 s: ask 103 (mid 101.5); 4 s: bid 99 joins behind (mid 101.5), the last event.
HAND_EVENTS = [
    (0, Kind.DEPTH, 1, 100, 5),
    (0, Kind.DEPTH, -1, 102, 5),
    (S, Kind.DEPTH, -1, 101, 3),
    (2 * S, Kind.DEPTH, -1, 101, 0),
    (2 * S, Kind.DEPTH, -1, 102, 0),
    (3 * S, Kind.DEPTH, -1, 103, 1),
    (4 * S, Kind.DEPTH, 1, 99, 2),
]


def test_session_markouts_leave_out_empty_book_sides_and_horizons_past_the_data():
    ev = make_events(HAND_EVENTS)
    res = _result([
        _fill(S // 2, 1, 100, 1, 100, 102),          # 1 s later (1.5 s) mid 100.5: +0.5
        _fill(S + S // 2, -1, 101, 2, 100, 101),     # 2.5 s: no ask, no mid -> left out
        _fill(3 * S, -1, 103, 3, 100, 103),          # 4 s = the last event, still in: -(101.5 - 103) = +1.5
        _fill(3 * S + S // 2, 1, 100, 1, 100, 103),  # 4.5 s is past the data -> left out
    ])
    cfg = demo_configs(DEMO_SYNTH)[0]
    row = _session_row("informed", 7, "naive", cfg, ev, res)
    # per lot over the fills with a markout: (0.5 * 1 + 1.5 * 3) / 4 = 1.25
    assert row["markout_1s"] == pytest.approx(1.25)
    assert row["lots_1s"] == 4 and row["excluded_1s"] == 2
    assert row["markout_pnl_1s"] == pytest.approx(5.0 * 0.01)
    assert row["markout_pnl_1s"] == pytest.approx(row["markout_1s"] * row["lots_1s"] * 0.01)
    # 100 ms: mids 101, 100.5, 101.5, 101.5 -> +1*1, +0.5*2, +1.5*3, +1.5*1 over 7 lots
    assert row["markout_100ms"] == pytest.approx((1.0 + 1.0 + 4.5 + 1.5) / 7)
    # 10 s: every horizon runs past the data: undefined, not the last mid
    assert math.isnan(row["markout_10s"])
    # PnL: cash -100 + 202 + 309 - 100 = 311 tick-lots, position -3 marked at 101.5 -> 6.5 ticks
    assert (row["fills"], row["lots"], row["position"]) == (4, 7, -3)
    assert row["pnl"] == pytest.approx(6.5 * 0.01)
    assert (row["market"], row["seed"], row["strategy"], row["latency_ns"], row["events"]) == (
        "informed", 7, "naive", 0, 7)


def test_session_markouts_the_other_side_empty():
    # the same kind on the bid side: the bid empties at 2 s while the ask stays
    ev = make_events([
        (0, Kind.DEPTH, 1, 100, 5),
        (0, Kind.DEPTH, -1, 102, 5),
        (2 * S, Kind.DEPTH, 1, 100, 0),
        (3 * S, Kind.DEPTH, 1, 99, 4),
    ])
    res = _result([
        _fill(S // 2, -1, 102, 2, 100, 102),   # 1.5 s: mid 101 -> +1 per lot
        _fill(S + S // 2, 1, 100, 1, 100, 102),  # 2.5 s: no bid -> left out
        _fill(2 * S, 1, 99, 1, 100, 102),      # 3 s, the last event: mid 100.5 -> +1.5
    ])
    row = _session_row("uninformed", 1, "toxicity_pull", demo_configs(DEMO_SYNTH)[0], ev, res)
    assert row["markout_1s"] == pytest.approx((1.0 * 2 + 1.5) / 3)
    assert row["excluded_1s"] == 1 and row["lots_1s"] == 3


def test_demo_session_equals_the_full_report_of_the_same_run(demo):
    # one session rebuilt from its seed and replayed: the demo's numbers are the report's
    from mmsim.report.compute import compute_report
    from mmsim.synth import simulate

    seed = demo.seeds[2]
    cfg = demo_configs(DEMO_SYNTH)[1_000_000]
    events = simulate(demo.synth.replace(seed=seed, informed=True)).events
    result = mmsim.run(events, _load(*STRATEGIES["naive"]), cfg)
    rep = compute_report(result, events, horizons=["100ms", "1s", "10s"], event_horizons=[], toxic_horizon="1s")
    by = {b["horizon"]: b["groups"]["all"] for b in rep.data["markouts"]}
    row = next(r for r in demo.sessions if (r["market"], r["seed"], r["strategy"], r["latency_ns"]) ==
               ("informed", seed, "naive", 1_000_000))
    for h in ("100ms", "1s", "10s"):
        assert row[f"markout_{h}"] == by[h]["qty_weighted_ticks"]
    assert row["markout_pnl_1s"] == by["1s"]["pnl"]
    assert row["excluded_1s"] == by["1s"]["n_past_end"] + by["1s"]["n_no_mid"]
    assert row["pnl"] == rep.data["pnl"]["total"] and row["fills"] == len(result.fills)
    # the fills in the last second are the ones left out at 1 s (the book is never one-sided)
    assert row["excluded_1s"] == int((result.fills["exch_ts"] + S > events["exch_ts"][-1]).sum()) > 0


# ----------------------------------------------------------------------------- outputs

def _floats(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"[-+]?\d[\d,]*\.?\d*", text)]


def test_files_are_written_with_every_column(demo):
    files = demo.files
    assert demo.outdir is not None
    assert {p.name for p in demo.outdir.iterdir()} == {
        "results.csv", "defence.csv", "sessions.csv", "results.json", "synth.json", "defence_vs_latency.png",
        "demo.html"}
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads(files["json"].read_text())
    assert len(doc["rows"]) == 2 * 2 * len(DEMO_LATENCIES_NS)
    assert doc["defence_value_ticks_per_lot"]["informed"]["0"] == pytest.approx(demo.defence("informed")[0])
    assert doc["method"]["seeds"] == list(demo.seeds) and doc["method"]["confidence"] == 0.95
    assert doc["method"]["per_day_scale"] == TRADING_DAY_NS / (demo.plan.session_ns - HEADLINE_NS)
    for name, columns, rows in (("csv", ROW_COLUMNS, demo.rows), ("defence", DEFENCE_COLUMNS, demo.defence_rows),
                                ("sessions", SESSION_COLUMNS, demo.sessions)):
        with files[name].open() as fh:
            reader = csv.reader(fh)
            assert tuple(next(reader)) == columns
            body = list(reader)
        assert len(body) == len(rows)
        for cells, r in zip(body, rows):
            for c, cell in zip(columns, cells):
                v = r[c]
                if isinstance(v, str):
                    assert cell == v
                else:
                    assert float(cell) == pytest.approx(v, rel=1e-12), (name, c)
        key = {"csv": "rows", "defence": "defence", "sessions": "sessions"}[name]
        assert [list(x) for x in doc[key]] == [list(columns)] * len(rows)
        assert all(doc[key][i][c] == pytest.approx(rows[i][c]) for i in range(len(rows)) for c in columns
                   if not isinstance(rows[i][c], str))
    # synth.json is the first session's market as `mmsim synth` reads it
    from mmsim.synth import SynthConfig

    synth = SynthConfig.from_dict(json.loads(files["synth"].read_text()))
    assert synth == demo.synth and synth.seed == demo.seeds[0] and synth.duration == demo.plan.session_ns


def test_every_output_column_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "demo.md").read_text()
    for col in set(ROW_COLUMNS) | set(DEFENCE_COLUMNS) | set(SESSION_COLUMNS):
        assert f"`{col}`" in doc, col


def _console_lines(demo, width):
    from rich.console import Console

    from mmsim.demo_render import print_tables

    console = Console(record=True, width=width)
    print_tables(demo, console)
    text = console.export_text()
    return text, [" ".join(line.split()) for line in text.splitlines()]


@pytest.mark.parametrize("width", [80, 200])
def test_terminal_tables_fit_the_width_without_cutting_a_number(demo, width):
    from mmsim.demo_render import defence_cells, strategy_cells

    text, lines = _console_lines(demo, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    for market, flow in (("informed", "with"), ("uninformed", "without")):
        assert f"{flow} informed flow: defence value (toxicity pull − naive)" in lines
        assert f"{flow} informed flow: per strategy" in lines
        # every row whole on one line: defence (feed, ticks/lot, CI, per day, CI) and per
        # strategy (strategy, feed, fills, PnL, mo 100ms, mo 1s, mo 10s)
        for cells in defence_cells(demo, market):
            assert " ".join(cells[:5]) in lines, cells
        for cells in strategy_cells(demo, market):
            assert " ".join(cells[:6] + cells[7:]) in lines, cells
    assert f"outputs written to {demo.outdir}" in " ".join(lines)


@pytest.mark.parametrize("width", [80, 200])
def test_the_money_figure_says_it_is_per_6_5_hours_not_per_day(demo, width):
    """The newcomer's: "per day" is PnL per calendar day of data in sweeps and mmsim compare; the demo's is
    each session's 1 s markout PnL difference scaled to 6.5 h of trading (the terminal, the plot, the page)."""
    from mmsim.demo_render import DEFENCE_HEADER, defence_figure

    text, lines = _console_lines(demo, width)
    joined = " ".join(lines)
    assert "feed ticks/lot 95% CI per 6.5 h 95% CI" in lines
    assert ("per 6.5 h: the same difference in 1 s markout PnL, scaled from each session to 6.5 h of trading (a US "
            "equity day, 09:30-16:00; quote currency; not PnL per calendar day)") in joined
    assert "per day" not in joined
    assert DEFENCE_HEADER[3:5] == ("per 6.5 h", "95% CI (6.5 h)")
    ax3 = defence_figure(demo).axes[2]
    assert ax3.get_title() == "defence value, money per 6.5 h (95% CI)"
    assert ax3.get_ylabel() == "1 s markout PnL per 6.5 h (quote currency)"
    page = demo.files["html"].read_text(encoding="utf-8")
    assert "<b>Per 6.5 h</b>: each session's difference in 1 s markout PnL" in page
    assert "per day" not in page.lower()


def test_terminal_numbers_are_the_results(demo):
    from mmsim.demo_render import defence_cells

    for market in ("informed", "uninformed"):
        for lat, cells in zip(DEMO_LATENCIES_NS, defence_cells(demo, market)):
            d = demo.defence_row(market, lat)
            assert _floats(cells[1])[0] == pytest.approx(d["defence_ticks"], abs=HALF_CENT)
            assert _floats(cells[2]) == pytest.approx([d["defence_ticks_ci_low"], d["defence_ticks_ci_high"]],
                                                      abs=HALF_CENT)
            assert _floats(cells[3])[0] == pytest.approx(d["defence_per_day"], abs=HALF_UNIT)
            assert _floats(cells[4]) == pytest.approx([d["defence_per_day_ci_low"], d["defence_per_day_ci_high"]],
                                                      abs=HALF_UNIT)


# ----------------------------------------------------------------------------- plot

def _series(ax):
    return {c.get_label(): c.lines[0] for c in ax.containers}


def test_plot_shows_every_series_with_its_interval_and_distinct_styles(demo):
    from mmsim.demo_render import defence_figure

    fig = defence_figure(demo)
    ax1, ax2, ax3 = fig.axes
    lines = _series(ax1)
    # the two "without informed flow" curves coincide in value; both are drawn, told apart by
    # colour, marker, fill and a small horizontal offset
    a, b = lines["naive, without informed flow"], lines["toxicity_pull, without informed flow"]

    def style(ln):
        return (ln.get_color(), ln.get_marker(), ln.get_markerfacecolor(), ln.get_linestyle())

    assert style(a) != style(b)
    assert a.get_marker() != b.get_marker() and a.get_markerfacecolor() != b.get_markerfacecolor()
    assert np.all(np.asarray(a.get_xdata()) != np.asarray(b.get_xdata()))
    assert len({style(ln) for ln in lines.values()}) == 4
    # error bars are the intervals: the bar of toxicity_pull with informed flow at 0
    bars = {c.get_label(): c for c in ax1.containers}["toxicity_pull, with informed flow"]
    seg = bars.lines[2][0].get_segments()[0]
    r = demo.row("informed", "toxicity_pull", 0)
    assert sorted(seg[:, 1]) == pytest.approx([r["markout_1s_ci_low"], r["markout_1s_ci_high"]])
    for ax, key in ((ax2, "defence_ticks"), (ax3, "defence_per_day")):
        series = {c.get_label(): c for c in ax.containers}
        assert set(series) == {"with informed flow", "without informed flow"}
        d = demo.defence_row("informed", DEMO_LATENCIES_NS[-1])
        seg = series["with informed flow"].lines[2][0].get_segments()[-1]
        assert sorted(seg[:, 1]) == pytest.approx([d[f"{key}_ci_low"], d[f"{key}_ci_high"]])


def test_plot_labels_stay_inside(demo):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mmsim.demo_render import defence_figure

    fig = defence_figure(demo)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    fb = fig.bbox
    for ax in fig.axes:
        # the informed horizon is named in each legend, with no text on the plot to cross the data
        assert len(ax.texts) == 0
        legend = ax.get_legend()
        assert "informed horizon (50ms)" in [t.get_text() for t in legend.get_texts()]
        # and nothing of the axes (tick labels, titles, legends) runs off the figure
        for box in (ax.get_tightbbox(renderer), legend.get_window_extent(renderer)):
            assert fb.x0 <= box.x0 and box.x1 <= fb.x1 and fb.y0 <= box.y0 and box.y1 <= fb.y1, (ax.get_title(), box)
    title = fig.get_suptitle()
    assert title and fig._suptitle.get_window_extent(renderer).x1 <= fb.x1


# ----------------------------------------------------------------------------- HTML

class _Tables(html.parser.HTMLParser):
    """Cells of every table by id, and the img sources."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.imgs: list[dict] = []
        self.links: list[str] = []
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = ""
        elif tag == "img":
            self.imgs.append(a)
        for k in ("href", "src"):
            if k in a and tag != "img":
                self.links.append(a[k])
        if tag in ("script", "link", "iframe"):
            self.links.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _page(demo):
    p = _Tables()
    p.feed(demo.files["html"].read_text(encoding="utf-8"))
    return p


def test_html_tables_hold_the_results(demo):
    page = _page(demo)
    assert set(page.tables) == {"defence-informed", "defence-uninformed", "strategies-informed",
                                "strategies-uninformed"}
    for market in ("informed", "uninformed"):
        header, *body = page.tables[f"defence-{market}"]
        # "per 6.5 h", not "per day" (sweep9: a header rename, not a loosening; in sweeps and mmsim compare
        # "per day" is PnL per calendar day of data, here the 1 s markout PnL scaled to 6.5 h of trading).
        assert header == ["feed", "ticks/lot", "95% CI", "per 6.5 h", "95% CI (6.5 h)", "sessions"]
        assert len(body) == len(DEMO_LATENCIES_NS)
        for lat, cells in zip(DEMO_LATENCIES_NS, body):
            d = demo.defence_row(market, lat)
            assert _floats(cells[1])[0] == pytest.approx(d["defence_ticks"], abs=HALF_CENT)
            assert _floats(cells[2]) == pytest.approx([d["defence_ticks_ci_low"], d["defence_ticks_ci_high"]],
                                                      abs=HALF_CENT)
            assert _floats(cells[3])[0] == pytest.approx(d["defence_per_day"], abs=HALF_UNIT)
            assert _floats(cells[4]) == pytest.approx([d["defence_per_day_ci_low"], d["defence_per_day_ci_high"]],
                                                      abs=HALF_UNIT)
            assert int(cells[5]) == d["sessions"] == 4
        header, *body = page.tables[f"strategies-{market}"]
        assert header == ["strategy", "feed", "fills", "PnL", "mo 100ms", "mo 1s", "mo 1s 95% CI", "mo 10s"]
        keys = [(n, lat) for n in STRATEGIES for lat in DEMO_LATENCIES_NS]
        assert len(body) == len(keys)
        for (name, lat), cells in zip(keys, body):
            r = demo.row(market, name, lat)
            assert cells[0] == name
            assert int(cells[2].replace(",", "")) == r["fills"]
            assert _floats(cells[3])[0] == pytest.approx(r["pnl"], abs=HALF_CENT)
            for i, key in ((4, "markout_100ms"), (5, "markout_1s"), (7, "markout_10s")):
                assert _floats(cells[i])[0] == pytest.approx(r[key], abs=HALF_CENT)
            assert _floats(cells[6]) == pytest.approx([r["markout_1s_ci_low"], r["markout_1s_ci_high"]], abs=HALF_CENT)


def test_html_is_self_contained_with_the_plot_and_how_to_read_it(demo):
    import base64

    page = _page(demo)
    assert page.links == []  # no scripts, stylesheets or links: opens without a network
    (img,) = page.imgs
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix)
    assert base64.b64decode(img["src"][len(prefix):]) == demo.files["plot"].read_bytes()
    text = demo.files["html"].read_text(encoding="utf-8")
    assert 'id="h-read"' in text and 'id="method"' in text
    assert f"seeds ({demo.seeds[0]}–{demo.seeds[-1]})" in text and "Student-t interval" in text


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")


def test_html_renders_in_headless_chromium(demo, tmp_path):
    browser = _chromium()
    page = demo.files["html"]
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    for tid in ("defence-informed", "defence-uninformed", "strategies-informed", "strategies-uninformed"):
        assert f'<table id="{tid}">' in dom
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1250,2600", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    from matplotlib.image import imread

    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2600, 1250)
    # the embedded plot was decoded and painted: its blue (toxicity_pull, tab:blue) is on the page
    blue = np.array([31, 119, 180]) / 255
    assert (np.abs(img - blue).max(axis=-1) < 0.06).sum() > 200


# ----------------------------------------------------------------------------- CLI

def test_demo_command_line():
    from pathlib import Path

    from mmsim.cli import build_parser
    from mmsim.cli.demo import cmd as cmd_demo

    parser, _ = build_parser()
    args = parser.parse_args(["demo", "--quick", "-o", "out", "--no-progress"])
    assert args.func is cmd_demo
    assert (args.quick, args.output, args.no_progress) == (True, Path("out"), True)
    defaults = parser.parse_args(["demo"])
    assert (defaults.quick, defaults.output, defaults.no_progress) == (False, None, False)


def test_the_demo_finds_its_strategies_when_the_entry_points_are_not_visible(monkeypatch, tmp_path):
    """An installed mmsim whose entry points were momentarily unreadable (a pip install running at the same time)
    failed with `strategy file not found: /work/venv/lib/python3.11/strategies/fixed_spread.py`: the fallback was a
    source checkout's path. It builds the modules mmsim ships (mmsim.strategies) instead."""
    import mmsim.plugins as plugins
    from mmsim.demo import NAIVE, TOXICITY_PULL, _load

    with_eps = [_load(*NAIVE), _load(*TOXICITY_PULL)]
    monkeypatch.setattr(plugins, "available_strategies", lambda: {})
    monkeypatch.setattr(plugins, "CHECKOUT_STRATEGIES", tmp_path / "strategies", raising=False)  # none beside it
    without = [_load(*NAIVE), _load(*TOXICITY_PULL)]
    assert [s.kind for s in without] == [s.kind for s in with_eps]  # the same strategy types, the shipped modules'
    assert [(s.name, s.params) for s in without] == [("FixedSpread", NAIVE[1]), ("ToxicityPull", TOXICITY_PULL[1])]
    assert [s.kind.__module__ for s in without] == ["mmsim.strategies.fixed_spread", "mmsim.strategies.toxicity_pull"]


def test_the_demo_says_to_reinstall_when_no_strategy_can_be_found(monkeypatch, tmp_path):
    import mmsim.plugins as plugins
    from mmsim.demo import NAIVE, _load

    monkeypatch.setattr(plugins, "available_strategies", lambda: {})
    monkeypatch.setattr(plugins, "SHIPPED_PACKAGE", "mmsim.no_such_package", raising=False)
    monkeypatch.setattr(plugins, "CHECKOUT_STRATEGIES", tmp_path / "strategies", raising=False)
    with pytest.raises(mmsim.ConfigError) as err:
        _load(*NAIVE)
    assert str(err.value) == (
        "mmsim's strategy 'fixed_spread' cannot be found: mmsim's entry points (group 'mmsim.strategies') are not "
        "visible and neither the module mmsim.no_such_package.fixed_spread nor "
        f"{tmp_path / 'strategies' / 'fixed_spread.py'} exists; mmsim's installation is incomplete or being changed "
        "(a pip install running at the same time?): reinstall mmsim (pip install --force-reinstall --no-deps mmsim, "
        "or pip install . in its repository)")
