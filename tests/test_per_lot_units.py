"""Per-lot strategy parameters written per base unit (``skew: 0.1 per base``) and the warning for those left per
lot on a store whose lot is not 1 (docs/strategies.md, "Units of strategy parameters").

InventorySkew's ``skew: 0.1`` is ticks per lot of position: on Binance spot (lot 1e-08 BTC) it is 10,000,000
ticks per BTC, and nothing said so. Each expected value is hand-computed: per lot = per base unit x lot, so
0.1 per base on a lot of 1e-08 is 1e-09 per lot, 20 per base on a lot of 0.001 is 0.02 per lot.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

from mmsim._qty_units import as_lots, declared_per_quantities, lot_warning, resolve_units
from mmsim.config import RunConfig
from mmsim.errors import ConfigError, LotUnitWarning, StrategyError
from mmsim.numba_strategy import numba_strategy
from mmsim.plugins import load_strategy, resolve_strategy
from mmsim.runner import run_config

S = 1_000_000_000
DOCS = 'docs/strategies.md, "Units of strategy parameters"'


def spec(module: str, cls: str) -> str:
    return str(ROOT / "strategies" / f"{module}.py") + f":{cls}"


INV = spec("inventory_skew", "InventorySkew")
TOX = spec("toxicity_pull", "ToxicityPull")


def inv():
    return resolve_strategy(INV)


def test_0_1_per_base_on_a_lot_of_1e_8_is_1e_9_per_lot():
    assert resolve_units(inv(), {"skew": "0.1 per base"}, 1e-08, "I") == {"skew": 1e-09}
    # 20 ticks per BTC on a lot of 0.001 BTC: 0.02 ticks per lot (20 * 0.001 in floats is 0.02 too, but 0.07 *
    # 0.001 is 7.000000000000001e-05: the exact product is 7e-05).
    assert resolve_units(inv(), {"skew": "20 per base"}, 0.001, "I") == {"skew": 0.02}
    assert resolve_units(inv(), {"skew": "0.07 per base"}, 0.001, "I") == {"skew": 7e-05}
    # `per lot` is the number as it is, with or without a store; a whole product is an int.
    assert resolve_units(inv(), {"skew": "0.02 per lot"}, None, "I") == {"skew": 0.02}
    assert resolve_units(inv(), {"skew": "3000 per base", "size": "0.01 base"}, 0.001, "I") == {"skew": 3, "size": 10}
    assert resolve_units(resolve_strategy(TOX), {"skew": "-0.5 PER BASE"}, 1e-08, "T") == {"skew": -5e-09}


def test_a_run_per_base_unit_is_the_run_per_lot(tmp_path):
    store = _store(tmp_path, 0.001)

    def run(skew):
        cfg = RunConfig.from_dict({"data": str(store), "strategy": {"path": INV, "params": {
            "skew": skew, "size": "0.001 base", "max_position": "0.01 base"}}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LotUnitWarning)
            return run_config(cfg)

    a, b = run(0.5), run("500 per base")
    assert len(a.fills) > 0
    assert a.fills.tobytes() == b.fills.tobytes()


@pytest.mark.parametrize("params, message", [
    ({"skew": "0.1 base"},
     "strategy I: parameter 'skew': '0.1 base' is a size, but 'skew' is per lot: write its value per base unit, "
     f"'<number> per base', or per lot, '<number> per lot' ({DOCS})"),
    ({"half_spread": "1 per base"},
     "strategy I: parameter 'half_spread': '1 per base' is per a unit of size, but 'half_spread' is not a per-lot "
     f"parameter (its per-lot parameters are skew); write it as a plain number ({DOCS})"),
    ({"size": "1 per lot"},
     "strategy I: parameter 'size': '1 per lot' is per a unit of size, but 'size' is not a per-lot "
     f"parameter (its per-lot parameters are skew); write it as a plain number ({DOCS})"),
    ({"skew": "0.1 per btc"},
     "strategy I: parameter 'skew': cannot read '0.1 per btc': a per-lot parameter is a number per lot, or a number "
     "and a unit, '0.1 per base' (per base unit, converted with the event store's lot size) or '0.1 per lot' "
     f"({DOCS})"),
    ({"skew": "1e400 per base"},
     "strategy I: parameter 'skew': '1e400 per base' is out of range: a quantity is 0 or between 1e-300 and 1e300 "
     "in magnitude"),
])
def test_a_bad_per_lot_value_is_a_config_error_naming_the_parameter(params, message):
    with pytest.raises(ConfigError) as exc:
        resolve_units(inv(), params, 1e-08, "I")
    assert str(exc.value) == message


def test_per_base_without_a_store_and_on_a_strategy_declaring_none_say_so():
    with pytest.raises(ConfigError) as exc:
        resolve_units(inv(), {"skew": "0.1 per base"}, None, "I")
    assert str(exc.value) == ("strategy I: parameter 'skew': '0.1 per base' is per base unit, which needs the event "
                              "store's lot size; none is known here (give the store, or write per lot)")
    fixed = resolve_strategy(spec("fixed_spread", "FixedSpread"))
    with pytest.raises(ConfigError, match=r"it declares no per-lot parameters\); write it as a plain number"):
        resolve_units(fixed, {"half_spread": "1 per base"}, 0.001, "F")
    # Through the plugin loader (what `mmsim run` does): the same check.
    with pytest.raises(ConfigError, match=r"'skew': '0\.1 base' is a size, but 'skew' is per lot"):
        load_strategy(INV, {"skew": "0.1 base"}, lot_size=0.001)


def test_the_reference_strategies_declare_skew_per_lot_and_not_gamma():
    """skew multiplies the position in lots; AS and GLFT's gamma multiplies position / size (quotes held)."""
    got = {m: declared_per_quantities(resolve_strategy(spec(m, c))) for m, c in (
        ("inventory_skew", "InventorySkew"), ("signal_skew", "SignalSkew"), ("ladder_flatten", "LadderFlatten"),
        ("toxicity_pull", "ToxicityPull"), ("avellaneda_stoikov", "AvellanedaStoikov"), ("glft", "GLFT"),
        ("fixed_spread", "FixedSpread"), ("join_best", "JoinBest"))}
    assert got == {"inventory_skew": ("skew",), "signal_skew": ("skew",), "ladder_flatten": ("skew",),
                   "toxicity_pull": ("skew",), "avellaneda_stoikov": (), "glft": (), "fixed_spread": (),
                   "join_best": ()}
    # The Python-path twin reads its rule's declaration.
    assert declared_per_quantities(resolve_strategy(spec("inventory_skew", "InventorySkewPython"))) == ("skew",)


INV_WARNING = (
    "strategy InventorySkew: these quantities are in lots, and a lot of this event store is 0.00000001 base units "
    f"({DOCS}):\n"
    "  size: 1 lot (the default) = 0.00000001 base units; in base units write `size: 0.00000001 base`\n"
    "  max_position: 10 lots (the default) = 0.0000001 base units; in base units write `max_position: 0.0000001 base`\n"
    "  skew: 0.1 per lot (the default) = 10000000 per base unit; in base units write `skew: 10000000 per base`")


def test_the_warning_names_a_per_lot_parameter_left_per_lot_with_both_values():
    assert lot_warning(inv(), {}, 1e-08, "InventorySkew") == INV_WARNING
    # Written without a unit, on a lot of 0.001: 0.02 per lot is 20 per base unit.
    assert lot_warning(inv(), {"size": "0.001 base", "max_position": "0.01 base", "skew": 0.02}, 0.001, "I") == (
        f"strategy I: these quantities are in lots, and a lot of this event store is 0.001 base units ({DOCS}):\n"
        "  skew: 0.02 per lot (written without a unit) = 20 per base unit; in base units write `skew: 20 per base`")
    # Written with a unit, or 0 (off in any unit, ToxicityPull's default): nothing to say.
    assert lot_warning(inv(), {"size": "0.001 base", "max_position": "0.01 base", "skew": "20 per base"}, 0.001,
                       "I") is None
    assert lot_warning(resolve_strategy(TOX), {"size": "0.001 base", "max_position": "0.01 base",
                                               "trade_flow_threshold": "1 base"}, 0.001, "T") is None
    # A lot of 1: nothing, whatever the skew.
    assert lot_warning(inv(), {"skew": 0.5}, 1.0, "I") is None


def _store(tmp_path: Path, lot_size: float) -> Path:
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration=S, format="l2", lot_size=lot_size), tmp_path / "store")
    return tmp_path / "store"


def test_mmsim_run_warns_of_the_default_skew_on_a_fractional_lot_and_prints_nothing_on_lot_1(tmp_path):
    cases = ((1e-08, "{}", f"mmsim: warning: {INV_WARNING}\n"), (1.0, "{}", ""),
             (1e-08, "{size: 0.00000001 base, max_position: 0.0000001 base, skew: 0.1 per lot}", ""))
    for i, (lot, params, expect) in enumerate(cases):
        d = tmp_path / f"case{i}"
        d.mkdir()
        cfg = d / "run.yaml"
        cfg.write_text(f"data: {_store(d, lot)}\nstrategy:\n  path: '{INV}'\n  params: {params}\n"
                       "signals: {vpin_bucket_volume: 100 lots}\n")  # a unit: the strategy's warning alone
        proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(cfg), "-o", str(d / "out"), "-q",
                               "--no-report"], capture_output=True, text=True, cwd=d)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stderr == expect


def test_per_base_and_its_value_per_lot_have_one_digest_and_one_point_id(tmp_path):
    from mmsim.sweep import load_grid

    store = _store(tmp_path, 1e-08)

    def cfg(skew):
        return RunConfig.from_dict({"data": str(store), "strategy": {"path": INV, "params": {"skew": skew}}})

    assert cfg("0.1 per base").digest() == cfg(1e-09).digest() == cfg("1e-09 per lot").digest()
    assert cfg("0.2 per base").digest() != cfg(1e-09).digest()
    assert as_lots({"skew": "0.1 per base", "size": "0.01 base"}, str(store), None) == {"skew": 1e-09,
                                                                                        "size": 1_000_000}
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{INV}'}}\naxes:\n"
                    "  strategy.params.skew: [1e-09, 0.1 per base]\noutput: out\n")
    with pytest.raises(ConfigError, match=r"^axes\.strategy\.params\.skew\[1\]: '0\.1 per base' is '1e-09' "):
        load_grid(grid)


@pytest.mark.parametrize("per, message", [
    (["nope"], "strategy Bad: per-lot parameter 'nope' is not a declared parameter"),
    (["size"], "strategy Bad: 'size' is declared both a quantity (in lots) and a per-lot parameter (per_quantities); "
               "it is one or the other"),
    ({"skew": "whole"}, "strategy Bad: per-lot parameter 'skew' must be 'real', got 'whole'"),
    ("skew", "strategy Bad: per_quantities must be a sequence of parameter names or a mapping name -> 'real', "
             "got 'skew'"),
])
def test_a_bad_per_quantities_declaration_is_a_strategy_error(per, message):
    with pytest.raises(StrategyError) as exc:
        numba_strategy(lambda view, params, state, out: 0, params={"size": 1.0, "skew": 0.1}, quantities=["size"],
                       per_quantities=per, name="Bad")
    assert str(exc.value) == message


def test_a_python_strategy_declares_per_lot_parameters_with_a_per_quantities_attribute(tmp_path):
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\n\nclass Mine(mmsim.Strategy):\n"
                      "    quantities = ['size']\n    per_quantities = ['skew']\n\n"
                      "    def __init__(self, size=1, skew=0.5):\n"
                      "        self.size, self.skew = size, skew\n\n"
                      "    def quote(self, view):\n        return None\n")
    built = load_strategy(f"{plugin}:Mine", {"size": "0.07 base", "skew": "0.3 per base"}, lot_size=1e-08)
    assert (built.size, built.skew) == (7_000_000, 3e-09)
    assert lot_warning(resolve_strategy(f"{plugin}:Mine"), {"size": "1 base"}, 0.001, "Mine") == (
        f"strategy Mine: these quantities are in lots, and a lot of this event store is 0.001 base units ({DOCS}):\n"
        "  skew: 0.5 per lot (the default) = 500 per base unit; in base units write `skew: 500 per base`")
    bad = tmp_path / "bad.py"
    bad.write_text(plugin.read_text().replace("per_quantities = ['skew']", "per_quantities = ['edge']"))
    with pytest.raises(StrategyError, match=r"^strategy Mine: per-lot parameter 'edge' is not a declared parameter$"):
        load_strategy(f"{bad}:Mine", {"skew": "1 per base"}, lot_size=1e-08)
