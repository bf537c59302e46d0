"""fix28b, item 2: a flag's whole number is echoed as a config file echoes it.

A config file's or grid's value written as a whole number in digits is echoed bare (``timeout: 60`` says ``got
60``), any other form quoted (``got '1e6'``: :func:`mmsim.config._written.shown_written`). The command line quoted
every value (``--timeout 60`` said ``got '60'``); it follows the same rule now, in every command's numeric flags.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.cli import main

FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


def _grid(folder: Path, store: Path, extra: str = "") -> Path:
    g = folder / "grid.yaml"
    g.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n  latency.feed: [0ms]\n"
                 f"{extra}")
    return g


@pytest.mark.parametrize("flags, message", [
    (["--timeout", "60"], "--timeout: a timeout must be at least 1ms (every point would time out), got 60; a bare "
                          "number is nanoseconds: for seconds write '60s'"),
    (["--workers", "-1"], "--workers: expected a non-negative integer, got -1"),
    (["--pass-size", "0"], "--pass-size: expected a positive integer, got 0"),
    (["--pass-size", "+0"], "--pass-size: expected a positive integer, got +0"),
    # any other form stays quoted
    (["--workers", "2.5"], "--workers: expected a non-negative integer, got '2.5'"),
    (["--timeout", "1e3"], "--timeout: a timeout must be at least 1ms (every point would time out), got '1e3'; a "
                           "bare number is nanoseconds: for seconds write '1e3s'"),
], ids=["timeout", "workers", "pass-size", "pass-size-plus", "workers-fraction", "timeout-exponent"])
def test_a_sweep_flag_echoes_a_whole_number_bare(store, tmp_path, capsys, flags, message):
    g = _grid(tmp_path, store)
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q", *flags]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


def test_the_grid_key_and_the_flag_echo_60_alike(store, tmp_path, capsys):
    """The rule the flag follows: the grid's own key's message (fix28b: the flag said got '60')."""
    g = _grid(tmp_path, store, "timeout: 60\n")
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q"]) == 2
    grid_err = capsys.readouterr().err
    assert "got 60;" in grid_err
    assert main(["sweep", str(_grid(tmp_path, store)), "-o", str(tmp_path / "s"), "-q", "--timeout", "60"]) == 2
    assert "got 60;" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["convert", "{src}", "-o", "{tmp}/c", "--format", "binance", "-q", "--tick-size", "-0"],
     "--tick-size must be a positive number from 1e-12 to 1e12, got -0"),
    (["convert", "{src}", "-o", "{tmp}/c", "--format", "binance", "-q", "--lot-size", "-5"],
     "--lot-size must be a positive number from 1e-12 to 1e12, got -5"),
    (["convert", "{src}", "-o", "{tmp}/c", "--format", "binance", "-q", "--lot-size", "-5.0"],
     "--lot-size must be a positive number from 1e-12 to 1e12, got '-5.0'"),
    (["synth", "-o", "{tmp}/syn", "-q", "--seed", "-1"], "--seed: must be in 0 .. 2**63 - 1, got -1"),
    (["compare", "{a}", "{a}", "-q", "--seed", "-1"], "--seed must be a non-negative integer, got -1"),
    (["compare", "{a}", "{a}", "-q", "--boot", "1"], "--boot must be an integer from 10 to 10,000,000, got 1"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--qty", "5"],
     "--qty: expected one of auto, lots, base, got 5"),
    (["report", "{a}", "-q", "--no-plots", "-o", "{tmp}/r", "--signal-buckets", "0"],
     "--signal-buckets must be a positive integer, got 0"),
    (["queue-score", "{store}", "-q", "--no-report", "-o", "{tmp}/q", "--feed", "-1"],
     "--feed: a duration cannot be negative, got -1"),
], ids=["convert-tick-minus-zero", "convert-lot", "convert-lot-float", "synth-seed", "compare-seed", "compare-boot",
        "report-qty", "report-buckets", "queue-score-feed"])
def test_every_command_echoes_a_whole_number_bare(store, tmp_path, capsys, argv, message):
    src = tmp_path / "x.txt"
    src.write_text("")
    run = tmp_path / "run"
    if "{a}" in argv:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
                       "report: {horizons: [1s], event_horizons: [10]}\n")
        assert main(["run", str(cfg), "-q", "-o", str(run)]) == 0
        capsys.readouterr()
    argv = [t.format(src=src, tmp=tmp_path, a=run, store=store) for t in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


@pytest.mark.parametrize("extra, flags", [("timeout: 1e3\n", []), ("", ["--timeout", "1e3"])], ids=["grid", "flag"])
def test_the_timeout_hint_writes_the_number_as_written(store, tmp_path, capsys, extra, flags):
    """Its hint said `write '1000.0s'` for a timeout written 1e3 (the value as read)."""
    g = _grid(tmp_path, store, extra)
    assert main(["sweep", str(g), "-o", str(tmp_path / "s"), "-q", *flags]) == 2
    err = capsys.readouterr().err
    assert "got '1e3'; a bare number is nanoseconds: for seconds write '1e3s'" in err, err
