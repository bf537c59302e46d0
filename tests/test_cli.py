"""The command line's grammar: the options every subcommand shares, usage errors, overwrites, defaults, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import COMMANDS, build_parser, main

FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


def run_yaml(folder: Path, store: Path, extra: str = "latency: {entry: 25us, response: 25us}\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "run.yaml"
    p.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
                 f"report: {{horizons: [1s], event_horizons: [10]}}\n{extra}")
    return p


def test_every_subcommand_shares_quiet_output_force_and_debug():
    _, subs = build_parser()
    assert set(subs) == set(COMMANDS) == {"run", "report", "demo", "synth", "convert", "sweep", "queue-score", "compare"}
    for name, p in subs.items():
        opts = {s: a for a in p._actions for s in a.option_strings}
        for flag, dest in (("-q", "quiet"), ("--quiet", "quiet"), ("-o", "output"), ("--output", "output"),
                           ("--force", "force"), ("--debug", "debug")):
            assert flag in opts and opts[flag].dest == dest, (name, flag)


def test_debug_works_after_the_subcommand(tmp_path, store, capsys):
    cfg = run_yaml(tmp_path, store, "latency: {feed: soon}\n")
    assert main(["run", str(cfg), "-q"]) == 2
    assert capsys.readouterr().err.startswith("mmsim: config error: latency.feed: cannot read 'soon'")
    for argv in (["--debug", "run", str(cfg), "-q"], ["run", str(cfg), "-q", "--debug"]):
        with pytest.raises(mmsim.ConfigError, match="latency.feed: cannot read 'soon'"):
            main(argv)


def test_a_usage_error_prints_the_subcommands_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "x.yaml", "--bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mmsim run ") and err.rstrip().endswith("error: unrecognized arguments: --bogus")
    with pytest.raises(SystemExit):
        main(["sweep"])
    assert capsys.readouterr().err.startswith("usage: mmsim sweep ")


def test_run_without_strategy_is_a_config_error(tmp_path, store, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"mmsim: config error: {cfg}: missing config key 'strategy'")
    assert not (tmp_path / "out").exists()


def test_run_refuses_to_overwrite_unless_forced(tmp_path, store, capsys):
    cfg = run_yaml(tmp_path, store)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "-q", "-o", str(out)]) == 0
    (out / "stale.png").write_bytes(b"from an older run")
    capsys.readouterr()
    assert main(["run", str(cfg), "-q", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"mmsim run: error: {out}: the run directory already exists; pass --force to "
                                       "replace it, or -o another directory\n")
    assert main(["run", str(cfg), "-q", "-o", str(out), "--force"]) == 0
    assert (out / "result.json").exists() and not (out / "stale.png").exists()  # replaced, not merged
    # A non-empty directory that is not a run directory is never deleted, even with --force.
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["run", str(cfg), "-q", "-o", str(other), "--force"]) == 2
    assert "not an mmsim run directory (no result.json)" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"


def test_default_outputs_of_same_named_configs_do_not_collide(tmp_path, store, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    a = run_yaml(tmp_path / "a", store, "latency: {feed: 1ms, entry: 25us, response: 25us}\n")
    b = run_yaml(tmp_path / "b", store, "latency: {feed: 2ms, entry: 25us, response: 25us}\n")
    assert main(["run", str(a), "-q", "--no-report"]) == 0
    assert main(["run", str(b), "-q", "--no-report"]) == 0
    dirs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert dirs == sorted([f"run-{mmsim.config.load_yaml(a).digest()}", f"run-{mmsim.config.load_yaml(b).digest()}"])
    assert len(set(dirs)) == 2
    # The same config again is the same run: refused without --force, and says where it is.
    assert main(["run", str(a), "-q", "--no-report"]) == 2
    assert f"runs/run-{mmsim.config.load_yaml(a).digest()}: the run directory already exists" in capsys.readouterr().err


def test_missing_store_says_how_to_make_one(tmp_path, capsys):
    cfg = run_yaml(tmp_path, tmp_path / "nostore")
    # Exit 2, a config error (was 1, "mmsim: error"): the config names a store that is not there,
    # as `mmsim sweep` always said; the file's line ends it (tests/test_cli_data_path.py).
    assert main(["run", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mmsim: config error: data: {tmp_path / 'nostore'}: no such directory; make it with `mmsim convert "
                          f"SRC... -o {tmp_path / 'nostore'} --format FORMAT` (--format lobster for "
                          "TICKER_DATE_*_message_LEVEL.csv; --format binance for")
    assert "or `mmsim synth -o" in err and not (tmp_path / "runs").exists()
    assert err.endswith(f" for a synthetic market ({cfg} line 1)\n")


def test_synth_refuses_an_existing_store_unless_forced(tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["synth", "-o", str(out), "-q"]
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\n")
    assert main(["synth", str(cfg), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["synth", str(cfg), "-o", str(out), "-q"]) == 2
    assert "the event store already exists; pass --force" in capsys.readouterr().err
    assert main(["synth", str(cfg), "-o", str(out), "-q", "--seed", "9", "--force"]) == 0
    assert mmsim.load(out).meta["synth"]["seed"] == 9
    assert argv  # the same grammar as every other command


def test_synth_prints_a_path_and_symbol_with_square_brackets_as_written(tmp_path, capsys):
    """The summary line went through rich markup: a store path ``runs/[a]`` printed ``runs/`` (the word
    read as a style tag), and a ``[/x]`` in it would have raised rich's MarkupError."""
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\nsymbol: ES[H4]\n")
    for name in ("[a] store", "x[/y]", "bs\\\\"):  # a path ending in two backslashes printed one (rich's escape)
        out = tmp_path / name
        assert main(["synth", str(cfg), "-o", str(out), "-q"]) == 0
        err = " ".join(capsys.readouterr().err.split())
        assert "s of ES[H4], informed " in err and f"to {out} in " in err


def test_convert_onto_an_existing_store_names_the_flag_only(tmp_path, capsys):
    from _corpus import lobster

    srcs, _ = lobster(tmp_path)
    out = tmp_path / "store"
    argv = ["convert", *map(str, srcs), "-o", str(out), "--format", "lobster", "-q"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 1
    # It said "pass --force (force=True)": the keyword is the Python API's, not a flag to type.
    assert capsys.readouterr().err == (f"mmsim: error: {out}: an event store already exists there; "
                                       "pass --force to replace it\n")
    assert main([*argv, "--force"]) == 0


def test_errors_are_one_unwrapped_line_when_stderr_is_a_file(tmp_path):
    """A long path in an error stays whole: nothing wraps at 80 columns when stderr is not a terminal."""
    deep = tmp_path / ("a-rather-long-directory-name-" * 4) / "config-with-a-long-name.yaml"
    deep.parent.mkdir(parents=True)
    deep.write_text("latency: {feed: 5 parsecs}\nstrategy: {path: x.py:X}\n")
    err_file = tmp_path / "err.txt"
    with err_file.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(deep), "-q"], stderr=fh,
                              stdout=subprocess.DEVNULL, env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert proc.returncode == 2
    lines = err_file.read_text().splitlines()
    assert len(lines) == 1 and len(lines[0]) > 120
    assert lines[0] == (f"mmsim: config error: latency.feed: cannot read '5 parsecs' as a duration; use a number with "
                        f"a unit (ns, us, ms, s, min, h), e.g. 250us ({deep} line 1)")


def test_sweep_force_starts_afresh(tmp_path):
    from mmsim.sweep import RESULTS_FILE, run_sweep

    from test_sweep import _failing_point

    grid = {"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
            "axes": {"strategy.params.half_spread": [1, 3]}}
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0, point_fn=_failing_point)
    run_sweep(grid, out=out, workers=0, point_fn=_failing_point)  # resumed: nothing runs again
    assert len((out / RESULTS_FILE).read_text().splitlines()) == 2
    run_sweep(grid, out=out, workers=0, point_fn=_failing_point, fresh=True)
    assert len((out / RESULTS_FILE).read_text().splitlines()) == 2  # replaced, then every point ran once


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, store: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("flags")
    cfg = run_yaml(folder, store)
    a, b = folder / "a", folder / "b"
    assert main(["run", str(cfg), "-q", "-o", str(a)]) == 0
    assert main(["run", str(cfg), "-q", "-o", str(b)]) == 0
    return a, b


@pytest.mark.parametrize("flags, message", [
    # polish5 item 2: the error named the config key report.toxic_horizon, which the user did not type.
    (["--toxic-horizon", "0ev"], "--toxic-horizon: cannot read '0ev'; use a duration or a positive number of market "
                                 "events '<k>ev', e.g. 100ev"),
    (["--toxic-horizon", "100EV"], "--toxic-horizon: cannot read '100EV'; a number of market events is written "
                                   "'<k>ev' with the unit in lower case, e.g. 100ev"),
    (["--event-horizons", "10,0"], "--event-horizons: expected a positive number of market events (an integer, or "
                                   "'<k>ev'), got 0"),
    (["--horizons", "1s,5x"], "--horizons: cannot read '5x' as a duration; use a number with a unit (ns, us, ms, s, "
                              "min, h), e.g. 250us"),
    (["--signal-buckets", "0"], "--signal-buckets must be a positive integer, got 0"),
    (["--position-limit", "-1"], "--position-limit must be a positive number of lots, got -1"),
    # An empty list fell back to the default horizons without a word; an empty item was dropped.
    (["--horizons", ""], "--horizons: expected a comma-separated list, got ''"),
    (["--event-horizons", "10,,100"], "--event-horizons: an empty item in '10,,100'; separate the items with one "
                                      "comma"),
], ids=["toxic-0ev", "toxic-EV", "event-0", "horizons", "signal-buckets", "position-limit", "horizons-empty",
        "event-horizons-empty-item"])
def test_a_report_flag_error_names_the_flag(two_runs, tmp_path, capsys, flags, message):
    a, _ = two_runs
    assert main(["report", str(a), "-q", "--no-plots", "-o", str(tmp_path / "r"), *flags]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_report_flags_take_event_counts_as_a_config_does(two_runs, tmp_path):
    """``--event-horizons 10ev,100 ev`` and ``--toxic-horizon "100 ev"`` read as 10,100 and 100ev."""
    import json

    a, _ = two_runs
    out = tmp_path / "r"
    assert main(["report", str(a), "-q", "--no-plots", "-o", str(out), "--event-horizons", "10ev, 100 ev,5",
                 "--toxic-horizon", "100 ev"]) == 0
    run = json.loads((out / "report.json").read_text())["run"]
    assert run["event_horizons"] == ["5ev", "10ev", "100ev"] and run["toxic_horizon"] == "100ev"
    # '' is no event horizons, as report.event_horizons: [] (the one LIST flag whose key may be empty).
    assert main(["report", str(a), "-q", "--no-plots", "-o", str(tmp_path / "none"), "--event-horizons", ""]) == 0
    assert json.loads((tmp_path / "none" / "report.json").read_text())["run"]["event_horizons"] == []


@pytest.mark.parametrize("flags, message", [
    (["--boot", "1"], "--boot must be an integer from 10 to 10,000,000, got 1"),
    # numpy's own check was a bare `ValueError: expected non-negative integer`.
    (["--seed", "-1"], "--seed must be a non-negative integer, got -1"),
    (["--bucket", "5x"], "--bucket: cannot read '5x' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
                         "e.g. 250us"),
    (["--horizons", "1s,10ev"], "--horizons: '10ev' is a count of market events; a duration is needed here, a number "
                                "with a unit (ns, us, ms, s, min, h), e.g. 250us"),
    (["--horizons", ""], "--horizons: expected a comma-separated list, got ''"),  # fell back to the defaults
    # polish6: an infinite block was a ValueError traceback from the bootstrap; a zero bucket did not echo the value.
    (["--block", "inf"], "--block must be a finite number of buckets >= 1, got 'inf'"),
    (["--bucket", "0ms"], "--bucket: must be a positive duration, got '0ms'"),
], ids=["boot", "seed", "bucket", "horizons-ev", "horizons-empty", "block-inf", "bucket-0"])
def test_a_compare_flag_error_names_the_flag(two_runs, capsys, flags, message):
    a, b = two_runs
    assert main(["compare", str(a), str(b), "-q", *flags]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_a_synth_flag_error_names_the_flag(tmp_path, capsys):
    assert main(["synth", "-o", str(tmp_path / "s"), "-q", "--seed", "-1"]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --seed: must be in 0 .. 2**63 - 1, got -1\n"


# polish6 item 1: a value that starts like a negative number ('-1s', '-0.5,1', '-inf') was taken by argparse
# for an option ("expected one argument"); the flag now gets it and mmsim's own check names the flag.
@pytest.mark.parametrize("argv, message", [
    (["compare", "{a}", "{b}", "-q", "--bucket", "-1min"], "--bucket: a duration cannot be negative, got '-1min'"),
    (["compare", "{a}", "{b}", "-q", "--horizons", "-1s,1s"], "--horizons: a duration cannot be negative, got '-1s'"),
    (["compare", "{a}", "{b}", "-q", "--confidence", "-inf"], "--confidence must be in (0, 1), got '-inf'"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--toxic-horizon", "-1s"],
     "--toxic-horizon: a duration cannot be negative, got '-1s'"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--event-horizons", "-10ev"],
     "--event-horizons: cannot read '-10ev'; use a duration or a positive number of market events '<k>ev', "
     "e.g. 100ev"),
], ids=["bucket", "compare-horizons", "confidence", "toxic-horizon", "event-horizons"])
def test_a_negative_value_reaches_the_flags_own_check(two_runs, tmp_path, capsys, argv, message):
    a, b = two_runs
    argv = [t.format(a=a, b=b, tmp=tmp_path) for t in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_every_value_flag_of_every_subcommand_takes_a_negative_looking_value(capsys):
    """Every option that takes one value, in every subcommand, is given '-1s' or '-0.5,1' (not 'expected one
    argument'); what the value means is then the flag's own check."""
    _, subs = build_parser()
    seen = 0
    for name, p in subs.items():
        positionals = {"convert": ["x", "-o", "s", "--format", "lobster"], "compare": ["a", "b"],
                       "synth": [], "demo": []}.get(name, ["x"])
        for action in p._actions:
            if not action.option_strings or action.nargs is not None or action.const is not None \
                    or action.dest in ("help", "format") or isinstance(action.default, bool):
                continue
            for value in ("-1s", "-0.5,1", "-inf"):
                seen += 1
                try:
                    ns, _ = p.parse_known_args([*positionals, action.option_strings[-1], value])
                except mmsim.ConfigError as exc:
                    # An int or float flag's reader refuses it: mmsim's message naming the flag and the value
                    # as written, not argparse's "invalid int value" (cli7 item 5).
                    assert str(exc).startswith(f"{action.option_strings[-1]}: expected "), (name, value, str(exc))
                    assert str(exc).endswith(f", got {value!r}"), (name, value, str(exc))
                    continue
                got = getattr(ns, action.dest)
                assert str(got) == value or got == float(value), (name, action.dest, value, got)
    assert seen > 60  # every subcommand's value flags were tried


@pytest.mark.parametrize("flags, key, expected, yaml_value", [
    # polish6 item 2: `--horizons 0` was "cannot read '0' as a duration" while report.horizons: [0] is 0 ns.
    (["--horizons", "0,1s"], "horizons", ["0ns", "1s"], "[0, 1s]"),
    (["--horizons", "0"], "horizons", ["0ns"], "[0]"),
    # The same kind: a bare number is ns in --toxic-horizon as in report.toxic_horizon.
    (["--toxic-horizon", "1000000000"], "toxic_horizon", "1s", "1000000000"),
    (["--horizons", "1e9"], "horizons", ["1s"], "[1e9]"),  # YAML 1.2 reads 1e9 as a number, and so does the flag
], ids=["horizons-0", "horizons-bare-0", "toxic-ns", "horizons-exp"])
def test_a_bare_number_in_a_flag_is_read_as_the_config_key_reads_it(two_runs, tmp_path, flags, key, expected,
                                                                    yaml_value):
    import json

    from mmsim.config import format_ns

    a, _ = two_runs
    out = tmp_path / "r"
    assert main(["report", str(a), "-q", "--no-plots", "-o", str(out), *flags]) == 0
    assert json.loads((out / "report.json").read_text())["run"][key] == expected
    # ... as the config key reads the same value
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"strategy: {{path: '{FIXED_SPREAD}'}}\nreport: {{{key}: {yaml_value}}}\n")
    got = getattr(mmsim.config.load_yaml(cfg).report, key)
    assert ([format_ns(h) for h in got] if key == "horizons" else format_ns(got)) == expected


@pytest.mark.parametrize("flags, message", [
    # polish6 item 1: argparse said "expected one argument" for `--tolerance -1s`.
    (["--tolerance", "-1s"], "--tolerance: a duration cannot be negative, got '-1s'"),
    (["--fit-powers", "-0.5,1"], "--fit-powers: every exponent must be a positive number, got '-0.5'"),
    (["--feed", "-5ms"], "--feed: a duration cannot be negative, got '-5ms'"),
    # polish6 item 5: the window's bounds were printed as raw ns (1704205860000000000), not as written.
    (["--window", "2024-01-02T14:31,2024-01-02T14:30"],
     "--window: the end '2024-01-02T14:30' must be after the start '2024-01-02T14:31'"),
    (["--window", ",1990-01-01"], "--window: the end '1990-01-01' must be after the start (the data's first event, "
                                  "2024-01-02T14:30)"),
    # numpy read '-5' as the year 5 BC and '5' as the year 5: a bare number is ns, as everywhere.
    (["--window", "-5,"], "--window: the start in ns since the epoch cannot be negative, got -5"),
], ids=["tolerance", "fit-powers", "feed", "window-iso", "window-data-start", "window-negative"])
def test_a_queue_score_flag_error_names_the_flag_in_the_users_units(store, tmp_path, capsys, flags, message):
    assert main(["queue-score", str(store), "-q", "--no-report", "-o", str(tmp_path / "q"), *flags]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


# polish6 item 7: what a hunt over every flag with wrong, huge, NaN and wrong-case values found.
@pytest.mark.parametrize("flags, message", [
    # The same model twice was scored twice (two identical rows); RISK_AVERSE is risk_averse to parse_model.
    (["--models", "risk_averse,RISK_AVERSE"], "--models: 'RISK_AVERSE' is the same queue model as 'risk_averse' "
                                              "(risk_averse); list each model once"),
    (["--models", "power:2,power2"], "--models: 'power2' is the same queue model as 'power:2' (power:2); list each "
                                     "model once"),
    # 'RECORDED' was "cannot read 'RECORDED' as a duration", without the lower-case hint a duration gets.
    (["--feed", "RECORDED"], "--feed: cannot read 'RECORDED'; the recorded latency is written in lower case: write "
                             "'recorded'"),
    # A flag's value refused by the latency section named the config key, not the flag.
    (["--entry", "recorded"], "--entry: 'recorded' applies to the feed only"),
], ids=["models-twice-case", "models-twice-spelling", "feed-case", "entry-recorded"])
def test_a_queue_score_model_or_latency_flag_error_names_the_flag(store, tmp_path, capsys, flags, message):
    assert main(["queue-score", str(store), "-q", "--no-report", "-o", str(tmp_path / "q"), *flags]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_queue_score_records_the_store_path_absolute_as_run_does(store, tmp_path, monkeypatch, capsys):
    """A relative `--data st` (or store argument) was written as "st" in queue_score.json and
    report.json, which then named no store read from anywhere else; `mmsim run --data` and a
    config's `data:` are made absolute."""
    import json

    monkeypatch.chdir(store.parent)
    cfg = tmp_path / "qs.yaml"
    cfg.write_text("strategy: {path: join_best, params: {size: 1}}\n")
    flags = ["-q", "--no-fit", "--models", "power:1"]
    for name, argv in (("by-flag", [str(cfg), "--data", store.name]), ("by-argument", [store.name])):
        out = tmp_path / name
        assert main(["queue-score", *argv, "-o", str(out), *flags]) == 0, capsys.readouterr().err
        assert json.loads((out / "queue_score.json").read_text())["info"]["store"] == str(store.resolve()), name
        assert json.loads((out / "report.json").read_text())["setup"]["data"]["store"] == str(store.resolve()), name
    # As run records it.
    run_cfg = tmp_path / "run.yaml"
    run_cfg.write_text(f"strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n")
    assert main(["run", str(run_cfg), "--data", store.name, "-q", "-o", str(tmp_path / "r")]) == 0
    assert json.loads((tmp_path / "r" / "report.json").read_text())["setup"]["data"]["store"] == str(store.resolve())


def test_a_huge_age_bucket_count_is_the_count_of_fills_not_a_hang(two_runs, tmp_path):
    """--age-buckets 99999999999 looped over every bucket (hours); from one bucket per fill on, nothing changes."""
    import json

    a, _ = two_runs
    n = len(mmsim.Result.load(a).fills)
    got = {}
    for k in (n, n + 1, 99_999_999_999):
        assert main(["report", str(a), "-q", "--no-plots", "-o", str(tmp_path / str(k)), "--age-buckets", str(k)]) == 0
        got[k] = json.loads((tmp_path / str(k) / "report.json").read_text())["information_age"]
    assert got[n] == got[n + 1] == got[99_999_999_999]
    assert any(block["buckets"] for block in got[n]["by_age"])


def test_bad_convert_report_and_sweep_flags_name_the_flag_or_file(store, two_runs, tmp_path, capsys):
    src = tmp_path / "x.csv"
    src.write_text("1,2,3\n")
    # convert: the loader's key was printed (tick_size), not the flag typed.
    assert main(["convert", str(src), "-o", str(tmp_path / "c"), "--format", "lobster", "-q", "--tick-size",
                 "nan"]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --tick-size must be a positive number from 1e-12 to 1e12, got 'nan'\n"
    assert main(["convert", str(src), "-o", str(tmp_path / "c"), "--format", "lobster", "-q", "--lot-size",
                 "-inf"]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --lot-size must be a positive number from 1e-12 to 1e12, got '-inf'\n"
    # report --events of a text file: numpy's message spoke of pickled data.
    a, _ = two_runs
    assert main(["report", str(a), "-q", "--no-plots", "-o", str(tmp_path / "r"), "--events", str(src)]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {src}: not an event store (a directory with events.npy and "
                                       "meta.json) nor an .npy file; pass the event store the run replayed with "
                                       "--events\n")
    # sweep --scheduler without a port: a ValueError inside Dask, then a 20 s timeout traceback.
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n  latency.feed: [0ms]\n")
    for address in ("nonsense", "tcp://localhost:99999"):
        assert main(["sweep", str(grid), "-o", str(tmp_path / "s"), "-q", "--scheduler", address]) == 2
        assert capsys.readouterr().err == ("mmsim: config error: --scheduler: expected tcp://HOST:PORT (a port from 1 "
                                           f"to 65535), got {address!r}\n")


def test_a_grid_too_big_to_build_is_refused_naming_the_key_and_line(store, tmp_path, capsys):
    """repeats: 10**20 (with a random latency) or axes whose product is 10^7 filled the memory without a word."""
    grid = tmp_path / "grid.yaml"
    head = f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\n"
    grid.write_text(head + "  latency: {feed: {lognormal: {median: 1ms, sigma: 0.5}}}\naxes:\n  latency.entry: [0ms, "
                           "1ms]\nrepeats: 100000000000000000000\n")
    assert main(["sweep", str(grid), "-o", str(tmp_path / "s"), "-q"]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: repeats: the grid would have up to 2 combinations of axes and points x "
        f"100,000,000,000,000,000,000 repeats; a sweep holds at most 1,000,000 points ({grid} line 7)\n")
    axes = "".join(f"  {k}: [{', '.join(str(i) for i in range(1, 11))}]\n" for k in (
        "max_orders", "signals.depth_levels", "fees.maker_bps", "fees.taker_bps", "fees.maker_per_lot",
        "fees.taker_per_lot", "latency.seed"))
    grid.write_text(head + "axes:\n" + axes)
    assert main(["sweep", str(grid), "-o", str(tmp_path / "s"), "-q"]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: axes: the grid would have up to 10,000,000 combinations of axes and points; a sweep "
        f"holds at most 1,000,000 points ({grid} line 4)\n")


@pytest.mark.parametrize("strategy, line, message", [
    # The strategy is built after the config is read: its errors named no file nor line.
    ("  path: '{fs}'\n  params:\n    size: 1\n    bogus: 1\n", 6,
     "strategy FixedSpread: unknown parameter 'bogus' (it takes: half_spread, size)"),
    ("  path: '{fs}'\n  params:\n    half_spread: abc\n", 5,
     "strategy FixedSpread: parameter 'half_spread': expected a number, got 'abc'"),
    ("  path: '{missing}:X'\n", 3, "strategy file not found: {missing} (looked at {missing})"),
], ids=["unknown-param", "param-type", "missing-file"])
@pytest.mark.parametrize("command", ["run", "queue-score"])
def test_a_strategy_error_names_the_config_line(store, tmp_path, capsys, strategy, line, message, command):
    missing = tmp_path / "nope.py"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n" + strategy.format(fs=FIXED_SPREAD, missing=missing))
    assert main([command, str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message.format(missing=missing)} ({cfg} line {line})\n"
