"""Strategy quantities written in base units (``size: 0.01 base``) and the warning for quantities left in lots
on a store whose lot is not 1 (docs/strategies.md, "Units of strategy parameters").

On Binance spot (lot 1e-08 BTC) ToxicityPull's default ``trade_flow_threshold: 20`` is 0.0000002 BTC and it
pulled almost always, without a word; examples/btcusdt_spot.yaml had to write ``size: 1000000``. Each expected
value is hand-computed in decimal: 0.07 / 1e-08 = 7000000 exactly (a float quotient is 7000000.000000001).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

from mmsim._qty_units import lot_warning, resolve_units
from mmsim.config import RunConfig
from mmsim.errors import ConfigError, LotUnitWarning, StrategyError
from mmsim.numba_strategy import numba_strategy
from mmsim.plugins import load_strategy, resolve_strategy
from mmsim.runner import run_config
from mmsim.sweep import run_sweep

S = 1_000_000_000
TOX = str(ROOT / "strategies" / "toxicity_pull.py") + ":ToxicityPull"
FIXED = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"
DOCS = 'docs/strategies.md, "Units of strategy parameters"'


def tox():
    return resolve_strategy(TOX)


def _fixed_grid(tmp_path: Path, store: Path, axis: str, output: str = "out") -> Path:
    """tmp_path/grid.yaml: FixedSpread on ``store`` with one axis (``strategy.params.size: [...]``, line 6); the
    VPIN bucket volume written `100 lots` (a unit: the warning is the strategy's alone)."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  signals: {{vpin_bucket_volume: 100 lots}}\n"
                    f"  strategy: {{path: '{FIXED}'}}\naxes:\n  {axis}\noutput: {output}\n")
    return grid


def test_0_01_base_on_a_lot_of_1e_8_is_1000000_lots_exactly():
    out = resolve_units(tox(), {"size": "0.01 base", "max_position": "0.5 base"}, 1e-08, "ToxicityPull")
    assert out == {"size": 1_000_000, "max_position": 50_000_000}
    assert type(out["size"]) is int
    # Where a float quotient is off: 0.07 / 1e-08 is 7000000.000000001, 0.0003 / 1e-08 29999.999999999996.
    assert resolve_units(tox(), {"size": "0.07 base", "max_position": "0.0003 base"}, 1e-08, "T") == {
        "size": 7_000_000, "max_position": 30_000}
    # A float parameter (a threshold) gets the exact quotient: 0.0000002 BTC is 20 lots.
    assert resolve_units(tox(), {"trade_flow_threshold": "2e-7 base"}, 1e-08, "T") == {"trade_flow_threshold": 20}


def test_0_5_base_on_a_lot_of_0_001_is_500_lots_and_lots_read_as_lots():
    out = resolve_units(tox(), {"size": "0.5 base", "max_position": "20 lots", "ofi_threshold": "1 lot"}, 0.001, "T")
    assert out == {"size": 500, "max_position": 20, "ofi_threshold": 1}
    # A threshold that is not a whole number of lots: the exact quotient, 0.0125 / 0.001 = 12.5.
    assert resolve_units(tox(), {"trade_flow_threshold": "0.0125 base"}, 0.001, "T") == {"trade_flow_threshold": 12.5}
    # `lots` needs no store; plain numbers pass as they are.
    assert resolve_units(tox(), {"size": "3 lots", "half_spread": 2}, None, "T") == {"size": 3, "half_spread": 2}


def test_a_base_quantity_not_whole_in_lots_for_a_whole_parameter_is_refused_naming_key_and_values():
    with pytest.raises(ConfigError) as exc:
        resolve_units(tox(), {"size": "0.000000015 base"}, 1e-08, "ToxicityPull")
    assert str(exc.value) == ("strategy ToxicityPull: parameter 'size': '0.000000015 base' is 1.5 lots of "
                              "0.00000001, not a whole number of lots; 'size' is a whole number of lots: write a "
                              "multiple of 0.00000001 base")
    # Loaded through the plugin loader (what `mmsim run` does), the same message.
    with pytest.raises(ConfigError, match=r"'size': '0\.0005 base' is 0\.5 lots of 0\.001, not a whole"):
        load_strategy(TOX, {"size": "0.0005 base"}, lot_size=0.001)


@pytest.mark.parametrize("params, message", [
    ({"half_spread": "1 base"},
     "strategy T: parameter 'half_spread': '1 base' has a unit, but 'half_spread' is not a quantity in lots (its "
     f"quantities are size, max_position, trade_flow_threshold, ofi_threshold); write it as a plain number ({DOCS})"),
    ({"size": "0.01 btc"},
     "strategy T: parameter 'size': cannot read '0.01 btc': a quantity is a number of lots, or a number and a "
     "unit, '0.01 base' (base units, converted with the event store's lot size) or '20 lots' (" + DOCS + ")"),
    ({"size": "base 0.01"},
     "strategy T: parameter 'size': cannot read 'base 0.01': a quantity is a number of lots, or a number and a "
     "unit, '0.01 base' (base units, converted with the event store's lot size) or '20 lots' (" + DOCS + ")"),
])
def test_a_unit_on_a_non_quantity_or_an_unknown_form_is_a_clear_error(params, message):
    with pytest.raises(ConfigError) as exc:
        resolve_units(tox(), params, 1e-08, "T")
    assert str(exc.value) == message


def test_base_units_without_a_store_say_so():
    with pytest.raises(ConfigError) as exc:
        load_strategy(TOX, {"size": "0.01 base"})
    assert str(exc.value) == ("strategy ToxicityPull: parameter 'size': '0.01 base' is in base units, which need "
                              "the event store's lot size; none is known here (give the store, or write lots)")


def test_a_strategy_declaring_no_quantities_refuses_a_unit():
    bare = numba_strategy(lambda view, params, state, out: 0, params={"size": 1.0}, name="Bare")
    with pytest.raises(ConfigError, match=r"it declares no quantity parameters\); write it as a plain number"):
        resolve_units(bare, {"size": "1 base"}, 0.001, "Bare")
    with pytest.raises(StrategyError, match=r"quantity 'qty' is not a declared parameter"):
        numba_strategy(lambda view, params, state, out: 0, params={"size": 1.0}, quantities=["qty"], name="Bad")
    with pytest.raises(StrategyError, match=r"quantity 'size' is not a declared parameter"):
        numba_strategy(lambda view, params, state, out: 0, quantities=["size"], name="NoParams")


SPOT_WARNING = (
    "strategy ToxicityPull: these quantities are in lots, and a lot of this event store is 0.00000001 base units "
    f"({DOCS}):\n"
    "  size: 1 lot (the default) = 0.00000001 base units; in base units write `size: 0.00000001 base`\n"
    "  max_position: 50000000 lots (written without a unit) = 0.5 base units; in base units write "
    "`max_position: 0.5 base`\n"
    "  trade_flow_threshold: 20 lots (the default) = 0.0000002 base units; in base units write "
    "`trade_flow_threshold: 0.0000002 base`")


def test_the_warning_names_each_quantity_left_in_lots_with_both_values():
    # ofi_threshold's default 0 (off) reads alike in any unit: left out.
    assert lot_warning(tox(), {"max_position": 50_000_000}, 1e-08, "ToxicityPull") == SPOT_WARNING
    # Written in base units: nothing to say.
    assert lot_warning(tox(), {"size": "0.01 base", "max_position": "0.5 base", "trade_flow_threshold": "0.5 base"},
                       1e-08, "ToxicityPull") is None
    assert lot_warning(tox(), {}, 1.0, "ToxicityPull") is None


def _store(tmp_path: Path, lot_size: float) -> Path:
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration=S, format="l2", lot_size=lot_size), tmp_path / "store")
    return tmp_path / "store"


def test_mmsim_run_prints_the_warning_once_on_a_fractional_lot_and_nothing_on_lot_1(tmp_path):
    for lot, expect in ((1e-08, f"mmsim: warning: {SPOT_WARNING}\n"), (1.0, "")):
        d = tmp_path / f"lot{lot}"
        d.mkdir()
        cfg = d / "run.yaml"
        cfg.write_text(f"data: {_store(d, lot)}\nstrategy:\n  path: '{TOX}'\n  params: {{max_position: 50000000}}\n"
                       "signals: {vpin_bucket_volume: 100 lots}\n")  # a unit: the strategy's warning alone
        proc = subprocess.run([sys.executable, "-m", "mmsim", "run", str(cfg), "-o", str(d / "out"), "-q",
                               "--no-report"], capture_output=True, text=True, cwd=d)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stderr == expect


def test_a_run_in_base_units_is_the_run_in_lots(tmp_path):
    store = _store(tmp_path, 0.001)
    vpin = {"vpin_bucket_volume": "100 lots"}  # a unit: the warnings are the strategy's alone
    lots = RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED, "params": {"size": 500}},
                                "signals": vpin})
    base = RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED, "params": {"size": "0.5 base"}},
                                "signals": vpin})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, b = run_config(lots), run_config(base)
    assert len(a.fills) > 0
    assert a.fills.tobytes() == b.fills.tobytes()
    # `size: 500` warned (written without a unit); `0.5 base` did not.
    assert [str(w.message).splitlines()[1] for w in caught if w.category is LotUnitWarning] == [
        "  size: 500 lots (written without a unit) = 0.5 base units; in base units write `size: 0.5 base`"]


def test_a_sweep_grid_converts_base_units_warns_once_and_refuses_the_same_point_in_lots(tmp_path):
    store = _store(tmp_path, 0.001)
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [0.5 base, 2 base]")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_sweep(grid, workers=0)
    assert [w for w in caught if w.category is LotUnitWarning] == []
    assert [(r["strategy.params.size"], r["status"]) for r in res] == [("0.5 base", "ok"), ("2 base", "ok")]
    assert res[0]["fills.count"] > 0
    # 0.5 base and 500 lots are one run: refused before any point runs.
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [500, 0.5 base]", output="out2")
    with pytest.raises(ConfigError) as exc, warnings.catch_warnings():
        warnings.simplefilter("ignore", LotUnitWarning)  # `500` is written without a unit
        run_sweep(grid, workers=0)
    assert not (tmp_path / "out2").exists()
    assert str(exc.value).startswith("axes.strategy.params.size[1]: '0.5 base' is '500' "
                                     "(axes.strategy.params.size[0]) once read, so the grid would run the same")
    # A grid in lots on a fractional lot warns once, whatever the number of points.
    grid = _fixed_grid(tmp_path, store, "strategy.params.half_spread: [1, 2, 3]", output="out3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_sweep(grid, workers=0)
    assert [str(w.message).splitlines()[1] for w in caught if w.category is LotUnitWarning] == [
        "  size: 1 lot (the default) = 0.001 base units; in base units write `size: 0.001 base`"]


def test_a_quantity_in_base_units_and_the_same_in_lots_have_one_digest_and_one_point_id(tmp_path):
    from mmsim.sweep import load_grid

    store = _store(tmp_path, 1e-08)

    def cfg(size):
        return RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED, "params": {"size": size}}})

    assert cfg("0.01 base").digest() == cfg(1_000_000).digest() == cfg("1000000 lots").digest()
    assert cfg("0.02 base").digest() != cfg(1_000_000).digest()
    # The grid refuses the pair as it is read (the point ids collide), before loading the strategy.
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [1000000, 0.01 base]")
    with pytest.raises(ConfigError, match=r"^axes\.strategy\.params\.size\[1\]: '0\.01 base' is '1000000' "):
        load_grid(grid)


def test_the_reports_position_limit_reads_max_position_in_base_units(tmp_path):
    """The report's time at the limit reads the strategy's max_position from the run config: written
    `0.005 base` on a lot of 0.001 it is 5 lots, as `max_position: 5` gives."""
    store = _store(tmp_path, 0.001)
    inv = str(ROOT / "strategies" / "inventory_skew.py") + ":InventorySkew"
    limits = []
    for mp in ("0.005 base", 5):
        cfg = RunConfig.from_dict({"data": str(store), "strategy": {"path": inv, "params": {
            "size": "0.001 base", "max_position": mp}}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LotUnitWarning)
            res = run_config(cfg)
        limits.append(res.report().data["inventory"]["limit"])
    assert limits == [5, 5]


def test_a_python_strategy_declares_its_quantities_with_a_quantities_attribute(tmp_path):
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\n\nclass Mine(mmsim.Strategy):\n"
                      "    quantities = {'size': 'whole', 'edge': 'real'}\n\n"
                      "    def __init__(self, size=1, edge=5.0, half_spread=1.0):\n"
                      "        self.size, self.edge = size, edge\n\n"
                      "    def quote(self, view):\n        return None\n")
    built = load_strategy(f"{plugin}:Mine", {"size": "0.07 base", "edge": "0.0000001 base"}, lot_size=1e-08)
    assert (built.size, built.edge) == (7_000_000, 10)
    with pytest.raises(ConfigError, match=r"'size': '1e-9 base' is 0\.1 lots of 0\.00000001, not a whole"):
        load_strategy(f"{plugin}:Mine", {"size": "1e-9 base"}, lot_size=1e-08)
    assert lot_warning(resolve_strategy(f"{plugin}:Mine"), {"size": 3}, 0.001, "Mine") == (
        f"strategy Mine: these quantities are in lots, and a lot of this event store is 0.001 base units ({DOCS}):\n"
        "  size: 3 lots (written without a unit) = 0.003 base units; in base units write `size: 0.003 base`\n"
        "  edge: 5 lots (the default) = 0.005 base units; in base units write `edge: 0.005 base`")


def test_a_sweeps_bad_base_quantity_names_its_grid_key_and_line(tmp_path):
    store = _store(tmp_path, 1e-08)
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [0.01 base, 0.000000015 base]")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        "axes.strategy.params.size[1]: strategy FixedSpread: parameter 'size': '0.000000015 base' is 1.5 lots of "
        "0.00000001, not a whole number of lots; 'size' is a whole number of lots: write a multiple of 0.00000001 "
        f"base ({grid} line 6) — in 1 of 2 points (strategy.params.size=0.000000015 base); no point ran")


RANGE = "is out of range: a quantity is 0 or between 1e-300 and 1e300 in magnitude"


@pytest.mark.parametrize("params, message", [
    ({"size": "1e400 base"}, f"strategy T: parameter 'size': '1e400 base' {RANGE}"),
    ({"ofi_threshold": "1e400 lots"}, f"strategy T: parameter 'ofi_threshold': '1e400 lots' {RANGE}"),
    # 10**999999999 as a fraction never finished: bounded on the decimal as written, before any conversion.
    ({"size": "1e999999999 base"}, f"strategy T: parameter 'size': '1e999999999 base' {RANGE}"),
    ({"trade_flow_threshold": "-1e999999999 lots"},
     f"strategy T: parameter 'trade_flow_threshold': '-1e999999999 lots' {RANGE}"),
    # The same bound: the message printed 1e-392 with its ~400 zeros.
    ({"size": "1e-400 base"}, f"strategy T: parameter 'size': '1e-400 base' {RANGE}"),
    # Beyond Decimal's own exponent limit: decimal.InvalidOperation was a traceback (breaker14b).
    ({"size": "1e1000000000000000000 base"}, f"strategy T: parameter 'size': '1e1000000000000000000 base' {RANGE}"),
    ({"ofi_threshold": "1e-99999999999999999999999 lots"},
     f"strategy T: parameter 'ofi_threshold': '1e-99999999999999999999999 lots' {RANGE}"),
    # In range as written, but 1e300 / 1e-09 = 1e309 lots is beyond a float64.
    ({"trade_flow_threshold": "1e300 base"},
     "strategy T: parameter 'trade_flow_threshold': '1e300 base' is more than 1.8e308 lots of 0.000000001, more "
     "than a number holds"),
])
def test_a_huge_or_tiny_quantity_is_a_config_error_naming_the_key_not_an_overflow_or_a_hang(params, message):
    with pytest.raises(ConfigError) as exc:
        resolve_units(tox(), params, 1e-09, "T")
    assert str(exc.value) == message
    # Zero and the bounds themselves read: 1e300 base is 1e308 lots of 1e-08, 1e-300 lots on a real quantity.
    # (This read `size: 1e-300 lots`, a whole quantity: `lots` is now checked for wholeness as `base` is.)
    assert resolve_units(tox(), {"trade_flow_threshold": "1e300 base", "ofi_threshold": "1e-300 lots"}, 1e-08,
                         "T") == {"trade_flow_threshold": 10 ** 308, "ofi_threshold": 1e-300}
    assert resolve_units(tox(), {"ofi_threshold": "0e999999999 base"}, 1e-08, "T") == {"ofi_threshold": 0}


def test_a_huge_quantity_in_a_run_a_sweep_and_queue_score_is_a_config_error(tmp_path):
    store = _store(tmp_path, 1e-08)
    sig = str(ROOT / "strategies" / "signal_skew.py") + ":SignalSkew"
    for path, key, value, message in (
            (FIXED, "size", "'1e400 base'", f"strategy FixedSpread: parameter 'size': '1e400 base' {RANGE}"),
            (sig, "ofi_scale", "'1e400 base'", f"strategy SignalSkew: parameter 'ofi_scale': '1e400 base' {RANGE}"),
            # A plain 401-digit integer overflowed float() in the parameter check, units or not.
            (FIXED, "size", "1" + "0" * 400, "strategy FixedSpread: parameter 'size': 1e+400 is too large for a "
                                             "number (at most 1.8e308)"),
            (sig, "half_spread", "-" + "7" * 401, "strategy SignalSkew: parameter 'half_spread': -7.778e+400 is "
                                                  "too large for a number (at most 1.8e308)")):
        cfg = tmp_path / "run.yaml"
        cfg.write_text(f"data: {store}\nstrategy:\n  path: '{path}'\n  params:\n    {key}: {value}\n")
        proc = subprocess.run([sys.executable, "-m", "mmsim", "run", "run.yaml", "-o", str(tmp_path / "out"), "-q",
                               "--no-report"], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode != 0
        assert proc.stderr == f"mmsim: config error: {message} (run.yaml line 5)\n"
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [0.01 base, 1e999999999 base]")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        f"axes.strategy.params.size[1]: strategy FixedSpread: parameter 'size': '1e999999999 base' {RANGE} ({grid} "
        "line 6) — in 1 of 2 points (strategy.params.size=1e999999999 base); no point ran")
    l3 = tmp_path / "l3"
    l3.mkdir()
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration=S, lot_size=1e-08), l3 / "store")
    proc = subprocess.run([sys.executable, "-m", "mmsim", "queue-score", "--params", "size=1e400 base",
                           str(l3 / "store")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr == (f"mmsim: config error: strategy JoinBest: parameter 'size': '1e400 base' {RANGE} "
                           "(--params 'size=1e400 base')\n")


@pytest.mark.parametrize("value", ["０.０１ base", "1٠ lots"])
def test_a_quantity_in_non_ascii_digits_is_refused_naming_the_key(value):
    # `\d` took the full-width digits: `０.０１ base` read as 0.01 (1000000 lots), `1٠ lots` (Arabic-Indic 0) as 10.
    with pytest.raises(ConfigError) as exc:
        resolve_units(tox(), {"size": value}, 1e-08, "T")
    assert str(exc.value) == (
        f"strategy T: parameter 'size': cannot read {value!r}: a quantity is a number of lots, or a number and a "
        "unit, '0.01 base' (base units, converted with the event store's lot size) or '20 lots' (" + DOCS + ")")
    # On a parameter that is not a quantity it is not a number with a unit: the parameter's own check names it.
    with pytest.raises(ConfigError, match=r"^strategy FixedSpread: parameter 'half_spread': expected a number, got"):
        load_strategy(FIXED, {"half_spread": value}, lot_size=1e-08)


@pytest.mark.parametrize("declared, message", [
    # A mapping of bools skipped the check: `True` passed as whole, the name 7 as a quantity.
    ("{'size': True, 7: False}", "quantity 'size' must be 'whole' or 'real', got True"),
    ("{'size': 'whole', 7: 'real'}", "a quantity's name must be a parameter's name (a string), got 7"),
    ("['size', 7]", "a quantity's name must be a parameter's name (a string), got 7"),
    # A name the constructor does not take (its signature says which it takes).
    ("['size', 'edgee']", "quantity 'edgee' is not a declared parameter"),
    ("{'sise': 'whole'}", "quantity 'sise' is not a declared parameter"),
    # A mapping's value is 'whole' or 'real' (breaker14b: None read the default rule).
    ("{'size': None}", "quantity 'size' must be 'whole' or 'real', got None"),
])
def test_a_python_strategys_quantities_are_checked_in_every_form(tmp_path, declared, message):
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\n\nclass Mine(mmsim.Strategy):\n"
                      f"    quantities = {declared}\n\n"
                      "    def __init__(self, size=1, edge=5.0):\n"
                      "        self.size, self.edge = size, edge\n\n"
                      "    def quote(self, view):\n        return None\n\n\n"
                      f"def mine(size=1, edge=5.0):\n    return Mine(size, edge)\n\n\nmine.quantities = {declared}\n")
    for name in ("Mine", "mine"):
        with pytest.raises(StrategyError) as exc:
            load_strategy(f"{plugin}:{name}", {"size": "0.01 base"}, lot_size=1e-08)
        assert str(exc.value) == f"strategy {name}: {message}"
    # A factory taking **kwargs takes any name: only the form is checked.
    anyname = tmp_path / "anyname.py"
    anyname.write_text("def mine(**kw):\n    return None\n\n\nmine.quantities = ['sise']\n")
    assert resolve_units(resolve_strategy(f"{anyname}:mine"), {"sise": "0.5 lots"}, 1e-08, "mine") == {"sise": 0.5}


def _lot_warnings(grid: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_sweep(grid, workers=0)
    return [str(w.message) for w in caught if w.category is LotUnitWarning]


FIXED_HEAD = ("strategy FixedSpread: these quantities are in lots, and a lot of this event store is 0.00000001 base "
              f"units ({DOCS}):")


def test_a_sweep_warns_once_listing_every_points_quantities_in_lots_each_once(tmp_path):
    """The sweep warned once per distinct message: `[0.01 base, 2000000, 3000000]` gave two warnings, a grid of N
    sizes without a unit N."""
    store = _store(tmp_path, 1e-08)
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [0.01 base, 2000000, 3000000]")
    assert _lot_warnings(grid) == [
        f"{FIXED_HEAD}\n"
        "  size: 2000000 lots (written without a unit) = 0.02 base units; in base units write `size: 0.02 base`\n"
        "  size: 3000000 lots (written without a unit) = 0.03 base units; in base units write `size: 0.03 base`"]
    # Two axes, four points, two sizes in lots: one warning, each size once.
    grid = _fixed_grid(tmp_path, store, "strategy.params.size: [2, 3]\n  strategy.params.half_spread: [1, 2]", output="out2")
    assert _lot_warnings(grid) == [
        f"{FIXED_HEAD}\n"
        "  size: 2 lots (written without a unit) = 0.00000002 base units; in base units write `size: 0.00000002 base`\n"
        "  size: 3 lots (written without a unit) = 0.00000003 base units; in base units write `size: 0.00000003 base`"]


def test_the_sweeps_one_warning_shows_twelve_lines_and_counts_the_rest():
    from mmsim._qty_units import join_warnings

    lines = [f"  size: {n} lots (written without a unit)" for n in range(1, 15)]
    assert join_warnings({"head": lines}).splitlines() == [
        "head", *lines[:12], "  and 2 more quantities in lots in the sweep's points"]
    assert join_warnings({"a": lines[:13], "b": lines[:1]}).splitlines() == [
        "a", *lines[:12], "  and 1 more quantity in lots in the sweep's points", "b", lines[0]]


def test_an_out_of_range_quantity_has_a_digest_and_a_point_id_at_once(tmp_path):
    """as_lots (the digest, a sweep point's id) built 10**999999999 for `1e999999999 base` and never finished;
    out of range, the value counts as written (loading the strategy then refuses it)."""
    from mmsim._qty_units import as_lots

    store = _store(tmp_path, 1e-08)

    def cfg(size):
        return RunConfig.from_dict({"data": str(store), "strategy": {"path": FIXED, "params": {"size": size}}})

    assert cfg("1e999999999 base").digest() != cfg("1e999999998 base").digest()
    assert as_lots({"size": "1e999999999 lots", "max_position": "-1e-999999999 base"}, str(store), None) == {
        "size": "1e999999999 lots", "max_position": "-1e-999999999 base"}
    # 1e300 base on a lot of 1e-09 is 1e309 lots, beyond a float64: as written too.
    assert as_lots({"size": "1e300 base", "edge": "1e-300 base"}, "", 1e-09) == {"size": "1e300 base",
                                                                                 "edge": 1e-291}


def test_a_python_strategys_listed_quantity_is_whole_when_its_default_is_an_int(tmp_path):
    """`quantities = ["size"]` read every name as real: `size: 0.000000015 base` built the strategy with 1.5 lots
    and the run stopped at its first quote (the engine refuses a size that is not a whole number of lots)."""
    plugin = tmp_path / "listed.py"
    plugin.write_text("import mmsim\n\n\nclass Listed(mmsim.Strategy):\n"
                      "    quantities = ['size', 'edge']\n\n"
                      "    def __init__(self, size=1, edge=5.0):\n"
                      "        self.size, self.edge = size, edge\n\n"
                      "    def quote(self, view):\n        return None\n\n\n"
                      "def listed(size=2, threshold=20):\n    return Listed(size, threshold)\n\n\n"
                      "listed.quantities = ['size', 'threshold']\n")
    with pytest.raises(ConfigError) as exc:
        load_strategy(f"{plugin}:Listed", {"size": "0.000000015 base"}, lot_size=1e-08)
    assert str(exc.value) == (
        "strategy Listed: parameter 'size': '0.000000015 base' is 1.5 lots of 0.00000001, not a whole number of "
        "lots; 'size' is a whole number of lots (its default is an int; declare quantities = {'size': 'real'} if it "
        "takes fractions): write a multiple of 0.00000001 base")
    # A float default stays real: the exact quotient.
    built = load_strategy(f"{plugin}:Listed", {"size": "0.00000002 base", "edge": "0.000000015 base"}, lot_size=1e-08)
    assert (built.size, built.edge) == (2, 1.5)
    # A factory: its threshold's default 20 is an int, so 0.0125 base on a lot of 0.001 (12.5 lots) is refused.
    with pytest.raises(ConfigError, match=r"^strategy listed: parameter 'threshold': '0\.0125 base' is 12\.5 lots of "
                                          r"0\.001, not a whole number of lots; 'threshold' is a whole number of lots "
                                          r"\(its default is an int; declare quantities = \{'threshold': 'real'\}"):
        load_strategy(f"{plugin}:listed", {"threshold": "0.0125 base"}, lot_size=0.001)
    # In lots, or a plain number of lots, the same check (breaker14b: `1.5 lots` and `1.5` loaded, and the run
    # stopped at its first quote). A whole float (2.0) still reads.
    for value, shown in (("1.5 lots", "'1.5 lots'"), (1.5, "1.5")):
        with pytest.raises(ConfigError) as exc:
            load_strategy(f"{plugin}:Listed", {"size": value}, lot_size=1e-08)
        assert str(exc.value) == (
            f"strategy Listed: parameter 'size': {shown} is 1.5 lots, not a whole number of lots; 'size' is a whole "
            "number of lots (its default is an int; declare quantities = {'size': 'real'} if it takes fractions)")
    assert load_strategy(f"{plugin}:Listed", {"size": 2.0}, lot_size=1e-08).size == 2.0
    # A tiny base quantity names its lots in 6 significant digits, not 300 zeros.
    with pytest.raises(ConfigError) as exc:
        load_strategy(f"{plugin}:Listed", {"size": "1e-300 base"}, lot_size=1e-08)
    assert str(exc.value).startswith("strategy Listed: parameter 'size': '1e-300 base' is 1e-292 lots of 0.00000001, "
                                     "not a whole number of lots") and len(str(exc.value)) < 300
