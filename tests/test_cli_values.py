"""What the command line says about a value it refuses: the config line of a key checked late, a flag's value
as the user wrote it, mmsim's own message for every numeric flag, a strategy's refused return value."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.cli import build_parser, main
from mmsim.cli._common import Written, keep

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"
LADDER_FLATTEN = f"{ROOT / 'strategies' / 'ladder_flatten.py'}:LadderFlatten"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, store: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("runs")
    cfg = folder / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
                   "report: {horizons: [1s], event_horizons: [10]}\n")
    a, b = folder / "a", folder / "b"
    assert main(["run", str(cfg), "-q", "-o", str(a)]) == 0
    assert main(["run", str(cfg), "-q", "-o", str(b)]) == 0
    return a, b


def ladder_config(folder: Path, store: Path, tail: str) -> Path:
    """LadderFlatten (declares ladder_levels_used = 2, max_live_orders = 9) with ``tail`` from line 5 on."""
    cfg = folder / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{LADDER_FLATTEN}'\n  params: {{half_spread: 0.5}}\n{tail}")
    return cfg


MAX_ORDERS = ("max_orders: 4 is less than the 9 live orders strategy LadderFlatten can hold at once (its "
              "max_live_orders: working and replacement orders, those waiting for a cancel confirmation, explicit "
              "orders); raise max_orders to at least 9")
LADDER_LEVELS = ("ladder_levels: 1 is less than the 2 target levels per side strategy LadderFlatten quotes; set "
                 "ladder_levels to at least 2")


# cli7 item 1: a max_orders (or ladder_levels) below what the strategy declares was refused naming the key but
# not the config's line (every other config error names FILE line N), after an empty line on stdout.
@pytest.mark.parametrize("tail, message, line", [
    ("ladder_levels: 2\nmax_orders: 4\n", MAX_ORDERS, "line 6"),
    ("ladder_levels: 1\n", LADDER_LEVELS, "line 5"),
    # The same kind, a key the file leaves at its default (ladder_levels 1): the strategy's line, saying so.
    ("max_orders: 64\n", LADDER_LEVELS, "line 2, the strategy; ladder_levels is not set in the file"),
], ids=["max-orders", "ladder-levels", "ladder-levels-unset"])
@pytest.mark.parametrize("command", ["run", "queue-score"])
def test_a_key_too_small_for_the_strategy_names_its_config_line(store, tmp_path, capsys, tail, message, line,
                                                                command):
    cfg = ladder_config(tmp_path, store, tail)
    assert main([command, str(cfg), "-o", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert err == f"mmsim: config error: {message} ({cfg} {line})\n"
    assert out == ""  # rich's progress bar ended with an empty line on a stdout that is not a terminal
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "queue-score"])
def test_another_key_checked_against_the_store_names_its_config_line(store, tmp_path, capsys, command):
    """The same kind: tick_size is checked against the store's meta.json after the config is read."""
    cfg = ladder_config(tmp_path, store, "ladder_levels: 2\ntick_size: 0.5\n")
    assert main([command, str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: tick_size: 0.5 differs from the event store's tick_size 0.01 ({store}/meta.json); the "
        "store's prices are integer ticks of its own tick_size, so another one would only rescale every money "
        f"figure: leave tick_size unset (null), or convert the data again with --tick-size ({cfg} line 6)\n")


# edges20: `ladder_levels: 2.0` was refused ("expected an integer, got 2.0") where a strategy's `size: 2.0` is taken.
@pytest.mark.parametrize("tail, message", [
    ("ladder_levels: 1.0\n", f"{LADDER_LEVELS} ({{cfg}} line 5)"),  # read as 1, then checked as 1 is
    ("ladder_levels: 2.5\n", "ladder_levels: expected an integer, got 2.5 ({cfg} line 5)"),
    ("ladder_levels: 2\nmax_orders: 4.0\n", f"{MAX_ORDERS} ({{cfg}} line 6)"),
    ("ladder_levels: false\n", "ladder_levels: expected an integer, got False ({cfg} line 5)"),
], ids=["whole-float-too-small", "fraction", "whole-float-max-orders", "bool"])
def test_an_integer_key_reads_a_whole_float_as_its_integer_under_mmsim_run(store, tmp_path, capsys, tail, message):
    cfg = ladder_config(tmp_path, store, tail)
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message.format(cfg=cfg)}\n"


def test_an_integer_flag_reads_a_whole_decimal_as_a_config_key_does():
    """``--workers 1e3`` was refused (``expected a non-negative integer, got '1e3'``) though ``workers: 1e3`` in a grid
    is 1000 (edges20); a fraction, hex and a float beyond 2**53 are still refused, quoted as written."""
    from mmsim.cli._common import integer
    from mmsim.errors import ConfigError

    read = integer("a non-negative integer")
    assert [read(t, "--workers") for t in ("12", "2.0", "1e3", "-3", "9007199254740992.0")] == [
        12, 2, 1000, -3, 9007199254740992]
    inexact = " (a float beyond 2**53 is not exact: write the integer's digits, without a decimal point)"
    for text, why in (("2.5", ""), ("0x10", ""), ("nan", ""), ("9007199254740994.0", inexact)):  # msgs22: the reason
        with pytest.raises(ConfigError) as info:
            read(text, "--workers")
        assert str(info.value) == f"--workers: expected a non-negative integer, got {text!r}{why}"


def test_a_whole_float_ladder_levels_runs_as_the_integer(store, tmp_path):
    cfg = ladder_config(tmp_path, store, "ladder_levels: 2.0\nreport: {horizons: [1s]}\n")
    assert main(["run", str(cfg), "-q", "--no-report", "-o", str(tmp_path / "out")]) == 0
    saved = json.loads((tmp_path / "out" / "result.json").read_text())["config"]
    assert saved["ladder_levels"] == 2 and type(saved["ladder_levels"]) is int


def test_a_run_that_works_prints_no_empty_line_on_a_pipe(store, tmp_path, capsys):
    cfg = ladder_config(tmp_path, store, "ladder_levels: 2\nreport: {horizons: [1s]}\n")
    assert main(["run", str(cfg), "--no-report", "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith(f" -> {tmp_path / 'out'}\n"), out


@pytest.mark.parametrize("tail, message", [
    ("max_orders: 4\nladder_levels: 2\n", "max_orders: 4 is less than the 9 live orders"),
    ("ladder_levels: 2\n", "strategy LadderFlatten: parameter 'size' must be > 0, got -1"),
])
def test_a_refused_run_with_force_leaves_the_previous_run(store, tmp_path, capsys, tail, message):
    """`mmsim run --force` removed the previous run directory, then refused the config (a strategy
    parameter, max_orders against the strategy): the old run was gone and no new one written. A run
    directory is now replaced only when there is a result to write."""
    out = tmp_path / "out"
    good = ladder_config(tmp_path, store, "ladder_levels: 2\n")
    assert main(["run", str(good), "-q", "--no-report", "-o", str(out)]) == 0
    before = (out / "result.json").read_bytes()
    bad = tmp_path / "bad.yaml"
    text = good.read_text().replace("params: {half_spread: 0.5}", "params: {half_spread: 0.5, size: -1}"
                                    if "size" in message else "params: {half_spread: 0.5}")
    bad.write_text(text.replace("ladder_levels: 2\n", tail))
    capsys.readouterr()
    assert main(["run", str(bad), "-q", "--no-report", "--force", "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert (out / "result.json").read_bytes() == before
    # A run that works replaces it, as before.
    faster = tmp_path / "other.yaml"
    faster.write_text(good.read_text() + "max_orders: 64\n")
    assert main(["run", str(faster), "-q", "--no-report", "--force", "-o", str(out)]) == 0
    assert (out / "result.json").read_bytes() != before


@pytest.mark.parametrize("params, message", [
    ("size=1e999", "strategy JoinBest: parameter 'size' must be > 0 and finite, got inf (--params 'size=1e999')"),
    ("sise=1", "strategy JoinBest: unknown parameter 'sise' (it takes: size) (--params 'sise=1')"),
])
def test_a_queue_score_params_error_names_the_flag(store, tmp_path, capsys, params, message):
    """`queue-score --params size=1e999` said "got inf" and named neither the flag nor the value as written."""
    assert main(["queue-score", str(store), "--strategy", "join_best", "--params", params, "-o",
                 str(tmp_path / "q"), "--no-report"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_queue_score_force_keeps_the_previous_output_when_refused(store, tmp_path, capsys):
    """`mmsim queue-score --force` removed its previous output, then refused `max_orders: 1`
    (checked against the strategy after the config is read): nothing was left."""
    out = tmp_path / "q"
    assert main(["queue-score", str(store), "-o", str(out), "--no-fit", "--models", "power:1", "-q",
                 "--no-report"]) == 0
    before = (out / "queue_score.json").read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"data: {store}\nmax_orders: 1\nstrategy: {{path: '{FIXED_SPREAD}'}}\n")
    capsys.readouterr()
    assert main(["queue-score", str(bad), "-o", str(out), "--force", "--no-fit", "--models", "power:1", "-q",
                 "--no-report"]) == 2
    assert "max_orders: 1 is less than the 4 live orders" in capsys.readouterr().err
    assert (out / "queue_score.json").read_bytes() == before


def test_sweep_point_force_writes_a_partial_result_like_run(store, tmp_path, capsys, monkeypatch):
    """`mmsim sweep --point ID --force` removed the point's directory, then the run failed and
    nothing was written; it now writes the partial result, as `mmsim run` does (and a refusal
    before the run keeps the old directory)."""
    plug = tmp_path / "plug.py"
    plug.write_text("import os\nimport mmsim\n\n\nclass S(mmsim.Strategy):\n    def quote(self, view):\n"
                    "        if os.environ.get('PLUG_FAIL'):\n            raise RuntimeError('asked to fail')\n"
                    "        return None\n")
    g = tmp_path / "grid.yaml"
    g.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{plug}:S'}}\naxes:\n  latency.feed: [0ms]\n")
    out = tmp_path / "sw"
    assert main(["sweep", str(g), "-o", str(out), "-q", "--workers", "0", "--no-plots"]) == 0
    pid = json.loads((out / "results.jsonl").read_text().splitlines()[0])["id"]
    assert main(["sweep", str(g), "-o", str(out), "-q", "--point", pid[:8], "--no-plots"]) == 0
    target = out / "points" / pid
    assert json.loads((target / "result.json").read_text()).get("partial") is not True
    monkeypatch.setenv("PLUG_FAIL", "1")
    capsys.readouterr()
    assert main(["sweep", str(g), "-o", str(out), "-q", "--point", pid[:8], "--no-plots", "--force"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mmsim sweep: the point stopped; its partial result up to the stop (0 fills) is in "
                          f"{target} (result.json: \"partial\": true)\n"), err
    assert json.loads((target / "result.json").read_text())["partial"] is True


def test_mmsim_run_finds_a_plugins_helper_on_pythonpath(store, tmp_path, monkeypatch, capsys):
    """A plugin `plug/mm.py` that does `from mm_helper_cli import half` (its own file beside it),
    named in a config elsewhere and run from a third folder: a one-line error naming the
    PYTHONPATH to set; with it (here sys.path, as PYTHONPATH sets it) the run works."""
    import sys

    plug = tmp_path / "plug"
    plug.mkdir()
    (plug / "mm_helper_cli.py").write_text("def half():\n    return 2\n")
    (plug / "mm.py").write_text("import mmsim\nfrom mm_helper_cli import half\n\n\nclass MM(mmsim.Strategy):\n"
                                "    def quote(self, view):\n"
                                "        if view.bid_qty == 0 or view.ask_qty == 0:\n"
                                "            return None\n"
                                "        return mmsim.Quote(view.best_bid - half(), 1, view.best_ask + half(), 1)\n")
    cfg = tmp_path / "conf" / "run.yaml"
    cfg.parent.mkdir()
    cfg.write_text(f"data: {store}\nstrategy: {{path: ../plug/mm.py:MM}}\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["run", str(cfg), "-q", "--no-report", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(
        f"mm_helper_cli.py beside it is imported as a module, so its folder must be on the module path: "
        f"PYTHONPATH={plug.resolve()} (docs/strategies.md, \"Helper files\")\n"), err
    sys.path.insert(0, str(plug.resolve()))
    try:
        assert main(["run", str(cfg), "-q", "--no-report", "-o", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    finally:
        sys.modules.pop("mm_helper_cli", None)
    assert (tmp_path / "out" / "result.json").is_file()


def grid(folder: Path, store: Path, extra: str = "") -> Path:
    g = folder / "grid.yaml"
    g.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n  latency.feed: [0ms]\n"
                 f"{extra}")
    return g


def test_a_sweep_on_a_pipe_prints_no_progress_bar(store, tmp_path, capsys):
    """Like `run`'s: the sweep's bar drew its last state on a stdout that is not a terminal
    (a log file, a pipe); what it prints there is the table and the paths, without the bar."""
    g = grid(tmp_path, store)
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "--workers", "0", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "1 points (0 failed), 2,374 events replayed -> " in out  # the summary, not the bar ("1/1 points ...")
    assert "1/1" not in out and "points  0 failed" not in out, out


def test_the_sweep_summary_says_its_events_are_every_points_replay(store, tmp_path, capsys):
    """A fresh user's: `14 points (0 failed), 1,103,886 events` read as the data's size; it is 78,849 events
    replayed by each of 14 points (the total the progress bar's events/s divides by the wall time)."""
    g = grid(tmp_path, store).read_text().replace("latency.feed: [0ms]", "latency.feed: [0ms, 1ms, 2ms]")
    (tmp_path / "grid.yaml").write_text(g)
    assert main(["sweep", str(tmp_path / "grid.yaml"), "-o", str(tmp_path / "s"), "--workers", "0",
                 "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "3 points (0 failed), 7,122 events replayed (2,374 × 3 points) -> " in out, out


def test_the_sweep_summary_of_points_that_replayed_different_counts():
    from mmsim.cli.sweep import events_replayed

    assert events_replayed([{"n_events": 78_849}, {"n_events": 77_100}, {"n_events": None}]) == \
        "155,949 events replayed (77,100 to 78,849 a point, 2 points)"
    assert events_replayed([{"n_events": 0}]) == "0 events replayed"


NOT_ENFORCED = ("note: timeout 5s is not enforced with --workers 0 (in this process); a run that never returns "
                "holds the sweep (docs/sweeps.md, \"Exactly once per point\")\n")


# cli7 item 2: `--timeout 5000000000` was "cannot read '5000000000' as a duration" while `timeout: 5000000000` in
# the grid is 5 s; a bare number on the command line reads as its config key reads it.
@pytest.mark.parametrize("value", ["5000000000", "5e9"])
def test_a_bare_number_of_ns_in_timeout_reads_as_the_grid_key(store, tmp_path, capsys, value):
    g = grid(tmp_path, store)
    assert main(["sweep", str(g), "-o", str(tmp_path / "flag"), "-q", "--workers", "0", "--timeout", value]) == 0
    assert capsys.readouterr().err == NOT_ENFORCED
    g = grid(tmp_path, store, f"timeout: {value}\n")
    assert main(["sweep", str(g), "-o", str(tmp_path / "key"), "-q", "--workers", "0"]) == 0
    assert capsys.readouterr().err == NOT_ENFORCED


def test_a_zero_timeout_gives_the_keys_message_naming_the_flag(store, tmp_path, capsys):
    """`--timeout 0` said "cannot read '0' as a duration"; the key says it must be longer than 0."""
    g = grid(tmp_path, store, "timeout: 0\n")
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: timeout: a timeout must be longer than 0, got 0; leave it "
                                       f"out for no timeout ({g} line 6)\n")
    g = grid(tmp_path, store)
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q", "--timeout", "0"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --timeout: a timeout must be longer than 0, got 0; "
                                       "leave it out for no timeout\n")


def test_a_timeout_under_a_millisecond_is_refused_with_a_hint(store, tmp_path, capsys):
    """`--timeout 60` is 60 ns (a bare number is nanoseconds, as for every duration key): every
    point was killed as a PointTimeout. A timeout below 1 ms fails every point, so it is refused,
    and a bare number gets the hint of the unit it probably meant."""
    g = grid(tmp_path, store)
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q", "--timeout", "60"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --timeout: a timeout must be at least 1ms (every point "
                                       "would time out), got 60; a bare number is nanoseconds: for seconds write "
                                       "'60s'\n")
    g = grid(tmp_path, store, "timeout: 500us\n")
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: timeout: a timeout must be at least 1ms (every point "
                                       f"would time out), got '500us' ({g} line 6)\n")
    assert not (tmp_path / "s").exists()
    g = grid(tmp_path, store, "timeout: 1ms\n")  # the floor itself is a timeout
    assert main(["sweep", str(g), "-o", str(tmp_path / "ok"), "-q", "--workers", "0"]) == 0


def _duration_flags() -> list[tuple[str, str]]:
    _, subs = build_parser()
    return [(name, a.option_strings[-1]) for name, p in subs.items() for a in p._actions
            if a.metavar in ("DURATION", "LATENCY", "H")]


def test_every_duration_flag_reads_a_bare_number_as_its_key_does():
    """Every flag of one duration reads its value with the config's YAML rule (a bare number is ns); a bare
    number under 1 ms is taken for a unit left out and refused with the hint (the newcomer's `--bucket 10`, 10 ns
    buckets; `--timeout` has its own floor of 1 ms with the same hint)."""
    from mmsim import ConfigError
    from mmsim.cli._common import duration

    _, subs = build_parser()
    flags = _duration_flags()
    assert {f for _, f in flags} == {"--timeout", "--bucket", "--tolerance", "--feed", "--entry", "--response",
                                     "--toxic-horizon", "--sharpe-interval"}
    for name, flag in flags:
        action = next(a for a in subs[name]._actions if flag in a.option_strings)
        # None: mmsim.cli._common.scalar; duration: scalar after the check for a unit left out
        assert isinstance(action, Written) and action.read is (None if flag == "--timeout" else duration), (name, flag)
        ns = argparse.Namespace()
        action(subs[name], ns, "5000000000", flag)
        assert getattr(ns, action.dest) == 5 * S and type(getattr(ns, action.dest)) is int
        if flag != "--timeout":
            for ok in ("10ns", "0", "1000000", "recorded"):  # a unit, zero, 1 ms of ns, a word: read as written
                action(subs[name], ns, ok, flag)
            with pytest.raises(ConfigError) as e:
                action(subs[name], ns, "10", flag)
            what = "a horizon" if flag == "--toxic-horizon" else "a duration"
            # The units it more likely meant (breaker15b: a latency's hint was seconds; a horizon may be events).
            hint = {"--feed": "for microseconds write '10us', for milliseconds '10ms'",
                    "--toxic-horizon": "for seconds write '10s', for market events '10ev'"}.get(
                        "--feed" if flag in ("--feed", "--entry", "--response") else flag, "for seconds write '10s'")
            assert str(e.value) == (f"{flag}: 10 is {what} of 10 ns (a bare number is nanoseconds, as in the config); "
                                    f"{hint}, or '10ns' if nanoseconds are meant")
            if flag in ("--feed", "--entry", "--response"):  # a co-located 50 us latency, in ns: as written
                action(subs[name], ns, "50000", flag)
                assert getattr(ns, action.dest) == 50_000


def test_a_bare_number_under_a_millisecond_is_refused_in_a_list_of_horizons(two_runs, capsys):
    """The second case, a list: `--horizons 1,10s` measured a 1 ns markout beside a 10 s one."""
    a, b = two_runs
    assert main(["compare", str(a), str(b), "-q", "--horizons", "1,10s"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --horizons[0]: 1 is a horizon of 1 ns (a bare number is "
                                       "nanoseconds, as in the config); for seconds write '1s', for milliseconds '1ms', "
                                       "or '1ns' if nanoseconds are meant\n")
    # breaker15c: `--bucket 0.5` offered '0.5ns', itself refused (no whole number of ns): no such hint for a fraction.
    assert main(["compare", str(a), str(b), "-q", "--bucket", "0.5"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --bucket: 0.5 is a duration of 0.5 ns (a bare number is "
                                       "nanoseconds, as in the config); for seconds write '0.5s'\n")


# cli7 item 3: a message echoed the value as read (inf, -1.0), not as written.
@pytest.mark.parametrize("argv, message", [
    (["queue-score", "{store}", "-q", "--no-report", "-o", "{tmp}/q", "--tolerance", "1e999"],
     "--tolerance: expected a duration (e.g. 5ms or an int of ns), got '1e999'"),
    (["compare", "{a}", "{b}", "-q", "--block", "-1"], "--block must be a finite number of buckets >= 1, got -1"),
    # The same kind: a float flag (1e3 was 1000.0), an item of a list (1e999 was inf), an int flag (-1 was -1).
    (["compare", "{a}", "{b}", "-q", "--confidence", "1e3"], "--confidence must be in (0, 1), got '1e3'"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--horizons", "1s,1e999"],
     "--horizons: expected a duration (e.g. 5ms or an int of ns), got '1e999'"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--event-horizons", "10, 1e-3"],
     "--event-horizons: expected a positive number of market events (an integer, or '<k>ev'), got '1e-3'"),
    (["sweep", "{grid}", "-o", "{tmp}/s", "-q", "--pass-size", "-1"], "--pass-size: expected a positive integer, got "
                                                                      "-1"),
    # YAML's spelling of infinity and NaN, which number() reads, was echoed as Python's (inf, nan).
    (["compare", "{a}", "{b}", "-q", "--block=.inf"], "--block must be a finite number of buckets >= 1, got '.inf'"),
    (["compare", "{a}", "{b}", "-q", "--confidence=-.NaN"], "--confidence must be in (0, 1), got '-.NaN'"),
], ids=["tolerance", "block", "confidence", "horizons-item", "event-horizons-item", "pass-size", "block-yaml-inf",
        "confidence-yaml-nan"])
def test_a_message_quotes_the_value_as_written(store, two_runs, tmp_path, capsys, argv, message):
    a, b = two_runs
    g = grid(tmp_path, store)
    argv = [t.format(a=a, b=b, store=store, tmp=tmp_path, grid=g) for t in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


# cli7 item 5: an int flag given 1e3 was argparse's "invalid int value: '1e3'" under a usage line.
@pytest.mark.parametrize("argv, message", [
    # (edges20: a whole number written as a float, 1e3 or 2000.0, is now that integer, as in a config; a fraction
    # is still refused, quoted as written.)
    (["sweep", "{grid}", "-o", "{tmp}/s", "-q", "--workers", "1.5e0"],
     "--workers: expected a non-negative integer, got '1.5e0'"),
    (["compare", "{a}", "{b}", "-q", "--boot", "2000.5"], "--boot: expected an integer from 10 to 10,000,000, got "
                                                          "'2000.5'"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--position-limit", "5 lots"],
     "--position-limit: expected a positive number of lots (an integer), got '5 lots'"),
    (["synth", "-o", "{tmp}/syn", "-q", "--seed", "0x10"], "--seed: expected an integer in 0 .. 2**63 - 1, got '0x10'"),
    (["convert", "{tmp}/x.csv", "-o", "{tmp}/c", "--format", "lobster", "-q", "--tick-size", "1 cent"],
     "--tick-size: expected a positive number, got '1 cent'"),
    # A real-valued flag was read by Python's float(), which takes '1_000' and full-width digits
    # (the integer flags and the config do not); numbers are ASCII as YAML writes them.
    (["compare", "{a}", "{b}", "-q", "--block", "1_000"], "--block: expected a finite number of buckets >= 1, got "
                                                          "'1_000'"),
    (["compare", "{a}", "{b}", "-q", "--confidence", "\uff10.9"], "--confidence: expected a number in (0, 1), got "
                                                                   "'\uff10.9'"),
], ids=["workers", "boot", "position-limit", "synth-seed", "tick-size", "block-underscore", "confidence-fullwidth"])
def test_a_numeric_flag_that_is_not_a_number_is_mmsims_message(store, two_runs, tmp_path, capsys, argv, message):
    a, b = two_runs
    g = grid(tmp_path, store)
    argv = [t.format(a=a, b=b, tmp=tmp_path, grid=g) for t in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_every_numeric_flag_quotes_a_refused_value_as_written(store, two_runs, tmp_path, capsys):
    """Every value flag of every subcommand but the paths, names and lists of names, given 1e999, -1 and nan: one
    line naming the flag, the value as written, never a traceback nor the value as read (inf, -1.0)."""
    a, b = two_runs
    src = tmp_path / "x.csv"
    src.write_text("1,2,3\n")
    g = grid(tmp_path, store)
    base = {"report": ["report", str(a), "-q", "--no-plots", "-o", str(tmp_path / "r")],
            "compare": ["compare", str(a), str(b), "-q"],
            "synth": ["synth", "-o", str(tmp_path / "syn"), "-q"],
            "convert": ["convert", str(src), "-o", str(tmp_path / "c"), "--format", "lobster", "-q"],
            "sweep": ["sweep", str(g), "-o", str(tmp_path / "s"), "-q", "--no-plots"],
            "queue-score": ["queue-score", str(store), "-q", "--no-report", "-o", str(tmp_path / "q")]}
    _, subs = build_parser()
    tried = set()
    for name, p in subs.items():
        for action in p._actions:
            assert action.type not in (int, float), (name, action.option_strings)  # argparse's own message
            if not isinstance(action, Written) or action.dest in ("models", "window") or \
                    (action.read is keep and action.metavar != "LIST"):
                continue
            flag = action.option_strings[-1]
            for value in ("1e999", "-1", "nan"):
                assert main([*base[name], flag, value]) == 2, (name, flag, value)
                err = capsys.readouterr().err
                assert err.startswith(f"mmsim: config error: {flag}") and err.count("\n") == 1, (flag, value, err)
                # fix28b: a whole number in digits bare (got -1), any other text quoted ('1e999'), as a config's value
                assert (value if value == "-1" else f"{value!r}") in err, (flag, value, err)
                assert not re.search(r"got (inf|-1\.0|nan)\b|'-1'", err), (flag, value, err)
                tried.add(flag)
    assert tried == {"--horizons", "--event-horizons", "--toxic-horizon", "--signal-buckets", "--age-buckets",
                     "--queue-buckets", "--qty", "--position-limit", "--seed", "--tick-size", "--lot-size", "--workers", "--pass-size",
                     "--timeout", "--tolerance", "--fit-powers", "--feed", "--entry", "--response", "--bucket",
                     "--boot", "--block", "--confidence", "--sharpe-interval"}


TUPLE_QUOTER = '''
import mmsim


class TupleQuoter(mmsim.Strategy):
    name = "TupleQuoter"

    def quote(self, view):
        return {value}
'''

MUST = ("it must return mmsim.Quote(bid_px, bid_qty, ask_px, ask_qty), mmsim.Quote.ladder(...), mmsim.Quote.keep(...) "
        "or None")


# cli7 item 4: "strategy TupleQuoter raised TypeError in quote()": the strategy raised nothing, mmsim refused
# what quote() returned.
@pytest.mark.parametrize("value, said", [
    ("(99, 1, 102, 1)", f"quote() returned tuple (99, 1, 102, 1); {MUST} (a plain sequence's order is not checked: "
                        "name the fields with mmsim.Quote(bid_px=..., bid_qty=..., ask_px=..., ask_qty=...))"),
    ("{'bid': 99}", f"quote() returned dict {{'bid': 99}}; {MUST}"),
    # The same kind, a field of a Quote mmsim refuses: the strategy raised nothing there either.
    ("mmsim.Quote('99', 1, 102, 1)", "quote bid_px = '99' is a str, not a number"),
], ids=["tuple", "dict", "quote-field"])
def test_a_refused_quote_says_what_quote_returned(store, tmp_path, capsys, value, said):
    strategy = tmp_path / "tuple_quoter.py"
    strategy.write_text(TUPLE_QUOTER.format(value=value))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{strategy}:TupleQuoter'}}\n")
    assert main(["run", str(cfg), "-q", "--no-report", "-o", str(tmp_path / "out")]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert re.fullmatch(r"mmsim: error: strategy TupleQuoter returned an invalid quote at local time \d+ ns "
                        r"\(\d{4}-\d\d-\d\dT[\d:.]+Z\): " + re.escape(said), last), last


def test_ctrl_c_during_a_python_strategy_run_exits_130_not_abort(store, tmp_path):
    """Ctrl-C during `mmsim run` with a Python strategy: the replay's thread was still in the
    engine when Python exited, and the process aborted ("FATAL: exception not rethrown", SIGABRT,
    3 tries in 4). It exits with 130 and the one line `mmsim: interrupted`."""
    import os
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "started"
    plug = tmp_path / "slow.py"
    plug.write_text(f"import time\nimport mmsim\n\n\nclass S(mmsim.Strategy):\n    def quote(self, view):\n"
                    f"        open({str(marker)!r}, 'w').close()\n        time.sleep(0.002)\n        return None\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{plug}:S'}}\n")
    for attempt in range(3):
        marker.unlink(missing_ok=True)
        p = subprocess.Popen([sys.executable, "-m", "mmsim", "run", str(cfg), "-q", "--no-report", "--force",
                              "-o", str(tmp_path / "out")], stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        deadline = time.monotonic() + 120
        while not marker.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert (p.returncode, err) == (130, "mmsim: interrupted\n"), attempt


from test_sweep_passes import BOOM  # noqa: E402  (the failing strategy of the sweep tests)


@pytest.mark.parametrize("fail_at", [[0, 50], [0, 0, 50]], ids=["one-finished", "two-finished"])
def test_the_sweep_summary_with_a_failed_point_says_what_it_counts(store, tmp_path, capsys, fail_at):
    """A breaker's: `2 points (1 failed), 69,521 events replayed` read as both points' replay. The failed
    point's record had no count; since polish13 it has the events it replayed before it stopped (its error's
    partial result: those of `mmsim.run` alone up to the 50th call), and the line says what each part counts."""
    import importlib.util

    import mmsim

    (tmp_path / "boom.py").write_text(BOOM)
    g = tmp_path / "grid.yaml"
    g.write_text(json.dumps({"base": {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]}},
                             "points": [{"strategy": {"path": f"{tmp_path / 'boom.py'}:Boom",
                                                      "params": {"fail_at": f}}, "latency": {"feed": f"{i}ms"}}
                                        for i, f in enumerate(fail_at)]}))
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "--workers", "0", "--no-plots", "-q"]) == 1
    out = capsys.readouterr().out
    recs = [json.loads(s) for s in (tmp_path / "s" / "results.jsonl").read_text().splitlines()]
    n = next(r["n_events"] for r in recs if r["status"] == "ok")
    m = next(r["n_events"] for r in recs if r["status"] == "error")
    spec = importlib.util.spec_from_file_location("boom", tmp_path / "boom.py")
    boom = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(boom)
    cfg = mmsim.Config.from_dict({"decide_every": "100ms", "latency": {"feed": f"{len(fail_at) - 1}ms"}})
    with pytest.raises(mmsim.StrategyError) as err:
        mmsim.run(mmsim.load(store), boom.Boom(fail_at=50), cfg)
    assert 0 < m == err.value.partial.n_events < n
    if len(fail_at) == 2:
        line = (f"2 points (1 failed), {n + m:,} events replayed: {n:,} by the 1 point that finished, {m:,} by the "
                "1 failed point before it stopped -> ")
    else:
        line = (f"3 points (1 failed), {2 * n + m:,} events replayed: {2 * n:,} by the 2 points that finished "
                f"({n:,} × 2 points), {m:,} by the 1 failed point before it stopped -> ")
    assert line in out, out


def test_the_sweep_summary_when_no_point_finished():
    from mmsim.cli.sweep import events_replayed

    assert events_replayed([{"status": "error", "n_events": None}] * 2) == "0 events replayed (no point finished)"
    assert events_replayed([{"status": "ok", "n_events": 5}, {"status": "error", "n_events": None}]) == \
        "5 events replayed by the 1 point that finished"
    # Failed points that replayed some events before they stopped: counted, and said so.
    assert events_replayed([{"status": "error", "n_events": 300}, {"status": "error", "n_events": 66}]) == \
        "366 events replayed by the 2 failed points before they stopped (no point finished)"
