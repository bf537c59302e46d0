"""Property tests of ``mmsim demo``: the defence pays against informed flow, while the feed is fast.

One quick demo (ten minutes of the synthetic market, fixed seed; about 240 000
events per market, 20 replays, a few seconds) is run once for the module. The
measured values are in the comments, with their range over seeds 1-8 of the
same market; each threshold sits well inside that range and well outside
chance: with 1000-1800 fills per run, the standard error of a mean 1 s
markout is under 0.1 tick.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmsim.demo import DEMO_LATENCIES_NS, DemoResult, run_demo

LOW = DEMO_LATENCIES_NS[:3]  # 0, 100 us, 1 ms: far below the informed horizon (50 ms)
HIGH = DEMO_LATENCIES_NS[-1]  # 100 ms: past it


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoResult:
    return run_demo(outdir=tmp_path_factory.mktemp("demo"), quick=True, progress=False, quiet=True)


def test_naive_fills_are_toxic_with_informed_flow(demo):
    # informed traders sweep the touch ahead of each jump (mean 4 ticks), and the naive
    # quoter sits at the touch: its mean 1 s markout is clearly negative at every low
    # latency (measured -1.3 tick per lot; -0.9 to -1.7 over seeds)
    for lat in LOW:
        row = demo.row("informed", "naive", lat)
        assert row["fills"] > 200
        assert row["markout_1s"] < -0.3, (lat, row)


def test_toxicity_pull_is_clearly_better_at_low_latency(demo):
    # pulling the side the flow is taking recovers more than a tick per lot while the
    # feed is fast (measured +1.6; +1.3 to +2.0 over seeds); 0.5 is many standard errors from 0
    for lat in LOW:
        assert demo.defence("informed")[lat] > 0.5, (lat, demo.defence("informed"))
        assert demo.row("informed", "toxicity_pull", lat)["markout_1s"] > demo.row("informed", "naive", lat)[
            "markout_1s"]


def test_the_advantage_shrinks_as_feed_latency_grows(demo):
    dv = demo.defence("informed")
    # at 100 ms the strategy hears of a burst after the jump it announced (the informed
    # horizon is 50 ms): the defence is worth nothing (measured -0.07; -0.09 to +0.07 over
    # seeds), far below a third of its low-latency value. At 10 ms it is partly spent (+1.2).
    assert dv[HIGH] < dv[0] / 3
    assert dv[HIGH] < 0.4
    # and it does not grow with latency anywhere along the way (0.25-tick slack for noise)
    lats = list(DEMO_LATENCIES_NS)
    for a, b in zip(lats, lats[1:]):
        assert dv[b] < dv[a] + 0.25, (a, b, dv)


def test_no_such_effect_without_informed_flow(demo):
    dv = demo.defence("uninformed")
    # without informed flow pulling protects nothing: the defence value is zero up to
    # noise at every latency (measured |dv| <= 0.05 over seeds)...
    assert all(abs(v) < 0.2 for v in dv.values()), dv
    # ...and the naive quoter earns the spread at low latency (measured +0.58; +0.45 to +0.69)
    for lat in LOW:
        assert demo.row("uninformed", "naive", lat)["markout_1s"] > 0.3


def test_outputs_are_written(demo):
    files = demo.files
    assert demo.outdir is not None
    assert {p.name for p in demo.outdir.iterdir()} >= {"results.csv", "results.json", "synth.json",
                                                        "defence_vs_latency.png"}
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads(files["json"].read_text())
    assert len(doc["rows"]) == 2 * 2 * len(DEMO_LATENCIES_NS)
    assert doc["defence_value_ticks_per_lot"]["informed"]["0"] == pytest.approx(demo.defence("informed")[0])
    lines = files["csv"].read_text().splitlines()
    assert lines[0].startswith("market,strategy,latency_ns,fills")
    assert len(lines) == 1 + len(doc["rows"])
    # every row's markout PnL and mean markout agree (PnL = mean * lots * tick value)
    for r in demo.rows:
        if r["lots"]:
            assert r["markout_pnl_1s"] == pytest.approx(r["markout_1s"] * r["lots"] * 0.01)
        assert np.isfinite(r["pnl"])


def test_table_and_folder_are_printed(demo):
    from rich.console import Console

    from mmsim.demo import _print

    console = Console(record=True, width=200)
    _print(demo, console)
    text = " ".join(console.export_text().split())  # captions wrap at the table's width
    assert "with informed flow: naive quoter vs toxicity pull" in text
    assert "without informed flow: naive quoter vs toxicity pull" in text
    assert f"outputs written to {demo.outdir}" in text
    for market in ("informed", "uninformed"):
        dv = demo.defence(market)[0]
        assert f"defence value (toxicity pull minus naive, 1 s markout, ticks per lot): 0: {dv:+.2f}" in text


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
