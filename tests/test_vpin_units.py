"""``signals.vpin_bucket_volume`` written in base units (``5 base``) or lots (``100 lots``), and the lot-unit warning
when it stays in lots on a store whose lot is not 1 (docs/signals.md, "Bucket volume in base units").

Its default, 100 lots, is 0.000001 BTC on Binance spot (lot 1e-08): every print filled many buckets, and nothing
said so. Hand-computed: 5 base on a lot of 1e-08 is 500000000 lots; 0.05 base on 0.001 is 50; 0.0125 base on
0.001 is 12.5.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import mmsim
from mmsim._qty_units import setting_in_lots, settings_lot_warning_parts
from mmsim.config import RunConfig
from mmsim.errors import ConfigError, LotUnitWarning
from mmsim.runner import run_config

S = 1_000_000_000
FIXED = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"
KEY = "signals.vpin_bucket_volume"
SIGDOCS = 'docs/signals.md, "Bucket volume in base units"'
STRATDOCS = 'docs/strategies.md, "Units of strategy parameters"'


def _store(tmp_path: Path, lot_size: float) -> Path:
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration=S, format="l2", lot_size=lot_size), tmp_path / "store")
    return tmp_path / "store"


def test_5_base_on_a_lot_of_1e_8_is_500000000_lots():
    cfg = mmsim.SignalConfig(vpin_bucket_volume="5 base")
    assert cfg.vpin_bucket_volume == "5 base"  # kept as written until the store's lot is known
    assert setting_in_lots(cfg.vpin_bucket_volume, 1e-08, KEY) == 500_000_000.0
    # Exact from the lot's decimal text: 0.07 / 0.001 in floats is 70.00000000000001.
    assert setting_in_lots("0.07 base", 0.001, KEY) == 70.0
    assert setting_in_lots("0.0125 base", 0.001, KEY) == 12.5
    # `lots` needs no lot; a number is lots as it is.
    assert setting_in_lots("100 lots", None, KEY) == 100.0
    assert mmsim.signals.params_from_config(mmsim.SignalConfig(vpin_bucket_volume="7 lots"))[
        "vpin_bucket_volume"] == 7.0
    assert mmsim.Config.from_dict({"signals": {"vpin_bucket_volume": "5 base"}}).to_dict()["signals"][
        "vpin_bucket_volume"] == "5 base"


def test_a_run_in_base_units_is_the_run_in_lots(tmp_path):
    store = _store(tmp_path, 0.001)

    def run(v):
        cfg = RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED, "params": {"size": "0.001 base"}},
                                   "signals": {"vpin_bucket_volume": v, "vpin_buckets": 2}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LotUnitWarning)
            return run_config(cfg)

    a, b = run(5), run("0.005 base")
    assert b.config.signals.vpin_bucket_volume == 5.0  # the run's engine config holds lots
    assert b.run_config.engine.signals.vpin_bucket_volume == "0.005 base"  # the run description, as written
    assert len(a.fills) > 0
    assert np.nanmax(a.fill_signals["vpin"]) > 0
    assert a.fills.tobytes() == b.fills.tobytes()
    assert a.fill_signals.tobytes() == b.fill_signals.tobytes()
    # mmsim.signals.compute on the store converts it with the store's lot too.
    ev = mmsim.load(str(store))
    assert np.array_equal(mmsim.signals.compute(ev, mmsim.SignalConfig(vpin_bucket_volume="0.1 base"))["vpin"],
                          mmsim.signals.compute(ev, mmsim.SignalConfig(vpin_bucket_volume=100))["vpin"],
                          equal_nan=True)


@pytest.mark.parametrize("value, message", [
    ("5 btc", f"{KEY}: cannot read '5 btc': a size is a number of lots, or a number and a unit, '5 base' (base "
              f"units, converted with the event store's lot size) or '100 lots' ({SIGDOCS})"),
    ("five base", f"{KEY}: cannot read 'five base': a size is a number of lots, or a number and a unit, '5 base' "
                  f"(base units, converted with the event store's lot size) or '100 lots' ({SIGDOCS})"),
    ("-1 base", f"{KEY} must be a finite number > 0, got '-1 base'"),
    ("0 lots", f"{KEY} must be a finite number > 0, got '0 lots'"),
    ("1e400 base", f"{KEY}: '1e400 base' is out of range: a quantity is 0 or between 1e-300 and 1e300 in magnitude"),
    (-1, f"{KEY} must be a finite number > 0, got -1.0"),
])
def test_a_bad_bucket_volume_is_a_config_error_naming_the_key(value, message):
    with pytest.raises(ConfigError) as exc:
        mmsim.Config.from_dict({"signals": {"vpin_bucket_volume": value}})
    assert str(exc.value) == message


def test_base_units_without_a_lot_and_a_bad_unit_in_a_config_file_say_where(tmp_path):
    events = mmsim.load(str(_store(tmp_path, 1.0))).events  # a plain array: no lot
    with pytest.raises(ConfigError) as exc:
        mmsim.run(events, None, mmsim.Config(signals=mmsim.SignalConfig(vpin_bucket_volume="5 base")))
    assert str(exc.value) == (f"{KEY}: '5 base' is in base units, which need the event store's lot size; none is "
                              "known here (give the store, set lot_size, or write lots)")
    # signals.compute reads the unit only on a SignalConfig: anything else is refused as before.
    with pytest.raises(ConfigError, match=r"^signals: expected a SignalConfig, got int$"):
        mmsim.signals.compute(events, 5)
    # With the config's lot_size it converts: 5 base of 0.5 is 10 lots.
    res = mmsim.run(events, None, mmsim.Config(lot_size=0.5, signals=mmsim.SignalConfig(vpin_bucket_volume="5 base")))
    assert res.config.signals.vpin_bucket_volume == 10.0
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {tmp_path / 'store'}\nstrategy:\n  path: '{FIXED}'\nsignals:\n  vpin_bucket_volume: 5 btc\n")
    proc = subprocess.run([sys.executable, "-m", "mmsim", "run", "run.yaml", "-o", str(tmp_path / "out"), "-q",
                           "--no-report"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (f"mmsim: config error: {KEY}: cannot read '5 btc': a size is a number of lots, or a number "
                           "and a unit, '5 base' (base units, converted with the event store's lot size) or '100 lots' "
                           f"({SIGDOCS}) (run.yaml line 5)\n")


VPIN_SPOT = (f"config: these settings are in lots, and a lot of this event store is 0.00000001 base units ({SIGDOCS}):\n"
             f"  {KEY}: 100 lots (the default) = 0.000001 base units; in base units write "
             "`signals: {vpin_bucket_volume: 0.000001 base}`")


def test_the_warning_names_the_bucket_volume_left_in_lots():
    def warning(**kw):
        parts = settings_lot_warning_parts(mmsim.SignalConfig(**kw), 1e-08)
        return None if parts is None else "\n".join([parts[0], *parts[1]])

    assert warning() == VPIN_SPOT
    assert settings_lot_warning_parts(mmsim.SignalConfig(vpin_bucket_volume=50), 0.001) == (
        f"config: these settings are in lots, and a lot of this event store is 0.001 base units ({SIGDOCS}):", [
            f"  {KEY}: 50 lots (written without a unit) = 0.05 base units; in base units write "
            "`signals: {vpin_bucket_volume: 0.05 base}`"])
    # With a unit (either), with signals off, or on a lot of 1: nothing.
    assert warning(vpin_bucket_volume="0.000001 base") is None
    assert warning(vpin_bucket_volume="100 lots") is None
    assert warning(enabled=False) is None
    assert settings_lot_warning_parts(mmsim.SignalConfig(), 1.0) is None


def test_mmsim_run_joins_the_bucket_volume_into_the_one_warning_and_prints_nothing_on_lot_1(tmp_path):
    size_line = ("  size: 1 lot (the default) = 0.00000001 base units; in base units write "
                 "`size: 0.00000001 base`")
    strat_head = (f"strategy FixedSpread: these quantities are in lots, and a lot of this event store is 0.00000001 "
                  f"base units ({STRATDOCS}):")
    cases = (
        # Each block with the prefix (newcomer15: the second read `config: these settings ...` bare).
        (1e-08, "{}", "", f"mmsim: warning: {strat_head}\n{size_line}\nmmsim: warning: {VPIN_SPOT}\n"),
        (1e-08, "{size: 0.00000001 base}", "", f"mmsim: warning: {VPIN_SPOT}\n"),
        (1e-08, "{size: 0.00000001 base}", "signals: {vpin_bucket_volume: 0.000001 base}\n", ""),
        (1e-08, "{size: 0.00000001 base}", "signals: {enabled: false}\n", ""),
        (1.0, "{}", "", ""),
        (1.0, "{}", "signals: {vpin_bucket_volume: 50}\n", ""),
    )
    for i, (lot, params, extra, expect) in enumerate(cases):
        d = tmp_path / f"case{i}"
        d.mkdir()
        cfg = d / "run.yaml"
        cfg.write_text(f"data: {_store(d, lot)}\nstrategy:\n  path: '{FIXED}'\n  params: {params}\n{extra}")
        proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(cfg), "-o", str(d / "out"), "-q",
                               "--no-report"], capture_output=True, text=True, cwd=d)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stderr == expect, i


def test_base_units_and_lots_have_one_digest_and_one_point_id_and_a_sweep_warns_once(tmp_path):
    from mmsim.sweep import load_grid, run_sweep

    store = _store(tmp_path, 1e-08)

    def cfg(v):
        return RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED},
                                    "signals": {"vpin_bucket_volume": v}})

    assert cfg("5 base").digest() == cfg(500_000_000).digest() == cfg("500000000 lots").digest()
    assert cfg("0.000001 base").digest() == cfg(100).digest() == RunConfig.from_dict(
        {"data": str(store), "strategy": {"path": FIXED}}).digest()
    assert cfg("6 base").digest() != cfg(500_000_000).digest()
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED}', params: {{size: 0.00000001 base}}}}\n"
                    f"axes:\n  {KEY}: [100, 0.000001 base]\noutput: out\n")
    with pytest.raises(ConfigError, match=r"^axes\.signals\.vpin_bucket_volume\[1\]: '0\.000001 base' is '100' "):
        load_grid(grid)
    # Four points, two without a unit: one warning, each value once.
    grid.write_text(grid.read_text().replace("[100, 0.000001 base]", "[50, 0.000001 base, 20, 30 lots]"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_sweep(grid, workers=0)
    assert [r["status"] for r in res] == ["ok"] * 4
    assert [str(w.message) for w in caught if w.category is LotUnitWarning] == [
        f"config: these settings are in lots, and a lot of this event store is 0.00000001 base units ({SIGDOCS}):\n"
        f"  {KEY}: 50 lots (written without a unit) = 0.0000005 base units; in base units write "
        "`signals: {vpin_bucket_volume: 0.0000005 base}`\n"
        f"  {KEY}: 20 lots (written without a unit) = 0.0000002 base units; in base units write "
        "`signals: {vpin_bucket_volume: 0.0000002 base}`"]
