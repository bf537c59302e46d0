"""Messages of the msgs22 pass (breaker20 N, G, H, M, L): one opener for a store's events, one wording for a whole
float beyond 2**53, values quoted as written, a hint queue-score's user can act on, sweep duplicates in order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.cli import main

FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


@pytest.fixture(scope="module")
def run_a(tmp_path_factory: pytest.TempPathFactory, store: Path) -> Path:
    folder = tmp_path_factory.mktemp("runs")
    cfg = folder / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n")
    assert main(["run", str(cfg), "-q", "-o", str(folder / "a")]) == 0
    return folder / "a"


def _bad_store(store: Path, where: Path, how: str) -> Path:
    """A copy of ``store`` whose events.npy is a directory (``how='dir'``) or a text file (``'text'``)."""
    bad = where / f"bad_{how}"
    shutil.copytree(store, bad)
    (bad / "events.npy").unlink()
    if how == "dir":
        (bad / "events.npy").mkdir()
    else:
        (bad / "events.npy").write_text("ts,price\n1,2\n")
    return bad


REMEDY = "a store's events.npy is the .npy file `mmsim convert` or `mmsim synth` writes"


@pytest.mark.parametrize("how, fault", [
    ("dir", "a directory, not an .npy file"),
    ("text", "not an .npy file (it does not begin with numpy's header)"),
])
def test_every_command_opening_a_store_says_the_same_of_a_bad_events_npy(store, run_a, tmp_path, capsys, how, fault):
    # breaker20 N: report said "event file not found" of a directory, compare and queue-score "Is a directory";
    # of a text file, report said "not an event store ... nor an .npy file", the others "pickled data".
    bad = _bad_store(store, tmp_path, how)
    want = f"mmsim: error: {bad}/events.npy: {fault}; {REMEDY}\n"
    commands = {
        "report": ["report", str(run_a), "--events", str(bad), "-q", "--no-plots", "-o", str(tmp_path / "r")],
        "compare": ["compare", str(run_a), str(run_a), "--events", str(bad), "-q"],
        "queue-score": ["queue-score", str(bad), "-q", "-o", str(tmp_path / "qs")],
    }
    for name, argv in commands.items():
        assert main(argv) == 1, name
        assert capsys.readouterr().err == want, name
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {bad}\nstrategy: {{path: '{FIXED_SPREAD}'}}\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err == want


INEXACT = " (a float beyond 2**53 is not exact: write the integer's digits, without a decimal point)"


def test_a_whole_float_beyond_2_53_gets_its_reason_on_flags_and_event_horizons(store, run_a, tmp_path, capsys):
    # breaker20 G: config keys said why 1e18 is refused, integer flags and report.event_horizons did not.
    from mmsim import ConfigError
    from mmsim.config import parse_event_horizon

    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n  latency.feed: [0ms]\n")
    assert main(["sweep", str(grid), "-q", "--workers", "1e18", "-o", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: --workers: expected a non-negative integer, got '1e18'{INEXACT}\n"
    assert main(["compare", str(run_a), str(run_a), "-q", "--boot", "2e16"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: --boot: expected an integer from 10 to 10,000,000, "
                                       f"got '2e16'{INEXACT}\n")
    with pytest.raises(ConfigError) as info:
        parse_event_horizon(1e18, "report.event_horizons[1]")
    assert str(info.value) == ("report.event_horizons[1]: expected a positive number of market events (an integer, "
                               f"or '<k>ev'), got 1e+18{INEXACT}")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}'}}\nreport: {{event_horizons: [10, 1e18]}}\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: report.event_horizons[1]: expected a positive number of "
                                       f"market events (an integer, or '<k>ev'), got '1e18'{INEXACT} ({cfg} line 3)\n")
    # A grid's own integer keys word it so too (repeats was `expected a positive integer, got '1e18'`).
    grid.write_text(grid.read_text() + "repeats: 1e18\n")
    assert main(["sweep", str(grid), "-q", "-o", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == (f"mmsim: config error: repeats: expected a positive integer, got '1e18'{INEXACT} "
                                       f"({grid} line 6)\n")


def test_values_are_quoted_as_written_in_a_grid_compare_and_on_integer_flags(store, run_a, tmp_path, capsys):
    # breaker20 H: a grid's compare: said `got inf` for 1e400 and `got 100000000.0` for 1e8 (repeats quoted them);
    # an integer flag's -0.0 echoed `got 0`, 2e7 `got 20000000`; a sweep's NaN parameter `got NaN` for .nan.
    grid = tmp_path / "grid.yaml"
    head = f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n  latency.feed: [0ms, 1ms]\n"
    for compare, message in (
            ("n_boot: 1e400", "compare.n_boot: expected an integer >= 10, got '1e400'"),
            ("n_boot: 1e8", "compare.n_boot: at most 10,000,000 resamples, got '1e8'"),
            ("seed: -1e0", "compare.seed: expected a non-negative integer (or null), got '-1e0'"),
    ):
        grid.write_text(head + f"baseline: 0\ncompare: {{{compare}}}\n")
        assert main(["sweep", str(grid), "-q", "-o", str(tmp_path / "s")]) == 2
        assert capsys.readouterr().err == f"mmsim: config error: {message} ({grid} line 7)\n"
    grid.write_text(head)
    assert main(["sweep", str(grid), "-q", "--pass-size", "-0.0", "-o", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --pass-size: expected a positive integer, got '-0.0'\n"
    for boot in ("-0.0", "2e7"):
        assert main(["compare", str(run_a), str(run_a), "-q", "--boot", boot]) == 2
        assert capsys.readouterr().err == (f"mmsim: config error: --boot must be an integer from 10 to 10,000,000, "
                                           f"got '{boot}'\n")
    assert main(["report", str(run_a), "-q", "--no-plots", "--signal-buckets", "-0.0", "-o", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --signal-buckets must be a positive integer, got '-0.0'\n"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n"
                    "  strategy.params.size: [.nan, 1]\n")
    assert main(["sweep", str(grid), "-q", "-o", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: axes.strategy.params.size[0]: strategy FixedSpread: parameter 'size': expected a "
        f"number, got '.nan' ({grid} line 5) — in 1 of 2 points (strategy.params.size=.nan); no point ran\n")


LADDER = '''import mmsim
from numba import njit


@mmsim.numba_strategy(params={"levels": 2.0, "size": 1.0})
@njit
def my_ladder(view, params, state, out):
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out.n_bid_levels = params.levels
    out.n_ask_levels = params.levels
    for k in range(out.n_bid_levels):
        out.bid_ladder_px[k] = view.best_bid - k
        out.bid_ladder_qty[k] = params.size
        out.ask_ladder_px[k] = view.best_ask + k
        out.ask_ladder_qty[k] = params.size
    return 1
'''


@pytest.mark.parametrize("params, key, n", [("levels=2.0,size=1", "ladder_levels", 2),
                                            ("levels=3,size=1", "ladder_levels", 3)])
def test_queue_score_on_a_store_says_how_to_set_the_key_it_asks_for(store, tmp_path, capsys, params, key, n):
    # breaker20 M: "set ladder_levels to at least 2" with a store as input, where no flag or config sets it.
    (tmp_path / "my_ladder.py").write_text(LADDER)
    assert main(["queue-score", str(store), "-q", "-o", str(tmp_path / "qs"), "--strategy",
                 f"{tmp_path / 'my_ladder.py'}:my_ladder", "--params", params]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: {key}: 1 is less than the {n} target levels per side strategy my_ladder quotes; "
        f"set {key} to at least {n}: with a store as input queue-score uses the engine's defaults; give it a run "
        f"config instead of {store} (`data: {store}`, your `strategy:` and `{key}: {n}`), `mmsim queue-score "
        "CONFIG`\n")
