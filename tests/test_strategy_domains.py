"""Strategy parameters outside their domain are refused when the strategy is built, never run silently.

A negative or zero ``size`` used to run with 0 fills and exit 0 (``quoting.capped_sizes`` clips it to
0); a ladder's ``level_gap`` of 0 became 1, an inf threshold divided to 0. Each built-in parameter
declares its domain (``numba_strategy(domains=...)``, docs/strategies.md "Parameter domains").
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import main
from mmsim.errors import ConfigError, StrategyError
from mmsim.numba_strategy import NumbaStrategyType
from mmsim.plugins import check_strategy

S = 1_000_000_000
MODULES = ["fixed_spread", "join_best", "inventory_skew", "avellaneda_stoikov", "glft", "signal_skew",
           "toxicity_pull", "ladder_flatten"]
# The strategies whose sizes go through quoting.capped_sizes (a negative size clipped to 0: no quote at all).
CAPPED = {"inventory_skew": "InventorySkew", "avellaneda_stoikov": "AvellanedaStoikov", "glft": "GLFT",
          "signal_skew": "SignalSkew", "toxicity_pull": "ToxicityPull"}


def _type(module: str, name: str):
    return getattr(importlib.import_module(f"strategies.{module}"), name)


@pytest.mark.parametrize("module, name", sorted(CAPPED.items()))
@pytest.mark.parametrize("size", [-1, 0])
def test_a_size_that_is_not_positive_is_refused_on_both_paths(module, name, size):
    kind = _type(module, name)
    msg = f"strategy {name}: parameter 'size' must be > 0, got {size}"
    with pytest.raises(ConfigError) as fast:
        kind(size=size)
    assert str(fast.value) == msg
    with pytest.raises(ConfigError) as python:
        kind.python_class(size=size)
    assert str(python.value) == msg
    with pytest.raises(ConfigError) as checked:  # what a sweep runs on every point before any starts
        check_strategy(f"{ROOT / 'strategies' / module}.py:{name}", {"size": size})
    assert str(checked.value) == msg


@pytest.mark.parametrize("module, name, key, value, message", [
    # The second case of the kind: other strategies, other parameters.
    ("ladder_flatten", "LadderFlatten", "level_gap", 0, "must be >= 1, got 0"),
    ("ladder_flatten", "LadderFlatten", "outer_size", -2.5, "must be > 0, got -2.5"),
    ("ladder_flatten", "LadderFlatten", "flatten_at", -math.inf, "must be >= 0 or inf, got -inf"),
    ("toxicity_pull", "ToxicityPull", "ofi_threshold", math.inf, "must be finite, got inf"),
    ("toxicity_pull", "ToxicityPull", "cooldown_ms", -1, "must be >= 0, got -1"),
    ("toxicity_pull", "ToxicityPull", "trade_flow_threshold", math.nan, ": expected a number, got NaN"),
    ("glft", "GLFT", "gamma", 0, "must be > 0, got 0"),
    ("glft", "GLFT", "k", math.inf, "must be > 0 and finite, got inf"),
    ("avellaneda_stoikov", "AvellanedaStoikov", "sigma", -0.5, "must be >= 0, got -0.5"),
    ("fixed_spread", "FixedSpread", "half_spread", -1, "must be >= 0, got -1"),
    ("inventory_skew", "InventorySkew", "skew", -math.inf, "must be finite, got -inf"),
    ("join_best", "JoinBest", "size", True, ": expected a number, got True"),
    ("join_best", "JoinBest", "size", -123456789, "must be > 0, got -123456789"),  # every digit, not -1.23457e+08
    ("join_best", "JoinBest", "size", -0.25, "must be > 0, got -0.25"),
])
def test_a_parameter_outside_its_domain_names_the_parameter(module, name, key, value, message):
    with pytest.raises(ConfigError) as e:
        _type(module, name)(**{key: value})
    sep = "" if message.startswith(":") else " "
    assert str(e.value) == f"strategy {name}: parameter {key!r}{sep}{message}"


def test_an_infinite_limit_switches_it_off():
    """``"> 0 or inf"``: a position limit or flatten threshold of inf is legal (no limit), and quotes full size."""
    from mmsim.quoting import capped_sizes

    s = _type("inventory_skew", "InventorySkew")(max_position=math.inf, size=3)
    assert s.params["max_position"] == math.inf
    assert capped_sizes(3.0, math.inf, 1_000_000) == (3.0, 3.0)
    assert _type("ladder_flatten", "LadderFlatten")(flatten_at=math.inf).params["flatten_at"] == math.inf


@pytest.mark.parametrize("module", MODULES)
def test_every_built_in_parameter_declares_a_domain(module):
    mod = importlib.import_module(f"strategies.{module}")
    kinds = [v for v in vars(mod).values() if isinstance(v, NumbaStrategyType)]
    assert kinds
    for kind in kinds:
        assert sorted(kind.param_domains) == sorted(kind.param_names), kind.name


def test_a_malformed_domain_declaration_is_a_strategy_error():
    def rule(view, params, state, out):
        return 0

    with pytest.raises(StrategyError, match=r"^strategy rule: domain given for 'sise', which is not a declared "
                                            r"parameter$"):
        mmsim.numba_strategy(rule, params={"size": 1.0}, domains={"sise": "> 0"})
    with pytest.raises(StrategyError, match=r"^strategy rule: the default of parameter 'size' must be > 0, it is 0$"):
        mmsim.numba_strategy(rule, params={"size": 0.0}, domains={"size": "> 0"})
    # A bound must be finite: '> 1e999' was accepted, and its messages said "must be > inf".
    with pytest.raises(StrategyError, match=r"^strategy rule: parameter 'x': domain '> 1e999' has a bound that is "
                                            r"not a finite number$"):
        mmsim.numba_strategy(rule, params={"x": 1.0}, domains={"x": "> 1e999"})
    with pytest.raises(StrategyError, match=r"^strategy rule: parameter 'size': domain 'positive' is not 'finite', "):
        mmsim.numba_strategy(rule, params={"size": 1.0}, domains={"size": "positive"})
    kind = mmsim.numba_strategy(rule, params={"lo": 0.0}, domains={"lo": "<= 1.5"}, cache=False)
    assert kind.check_params({"lo": 1.5}) == {"lo": 1.5}
    with pytest.raises(ConfigError, match=r"^strategy rule: parameter 'lo' must be <= 1.5, got 2$"):
        kind.check_params({"lo": 2})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("domains") / "store"
    write_store(SynthConfig(seed=3, duration=5 * S), path)
    return path


@pytest.mark.parametrize("strategy, params, line, message", [
    ("inventory_skew.py:InventorySkew", "    half_spread: 1\n    size: -1\n", 6,
     "strategy InventorySkew: parameter 'size' must be > 0, got -1"),
    ("ladder_flatten.py:LadderFlatten", "    level_gap: 0\n    size: 1\n", 5,
     "strategy LadderFlatten: parameter 'level_gap' must be >= 1, got 0"),
    ("toxicity_pull.py:ToxicityPull", "    size: 1\n    ofi_threshold: .inf\n", 6,
     "strategy ToxicityPull: parameter 'ofi_threshold' must be finite, got '.inf'"),  # as written (breaker26)
], ids=["size", "level_gap", "inf-threshold"])
def test_mmsim_run_refuses_it_naming_the_config_line(store, tmp_path, capsys, strategy, params, line, message):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{ROOT / 'strategies' / strategy}'\n  params:\n{params}")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message} ({cfg} line {line})\n"
    assert not (tmp_path / "out").exists()


# A size is a whole number of lots: `size: 0.5` passed `> 0` and stopped the run at its first
# quote ("quote bid_qty = 0.5 is not a whole number of lots"); a `max_position` of 10.5 capped a
# size at 0.5 near the limit, the same stop later in the day.
@pytest.mark.parametrize("module, name, param, value, why", [
    ("inventory_skew", "InventorySkew", "size", 0.5, "must be a whole number, got 0.5"),
    ("ladder_flatten", "LadderFlatten", "outer_size", 2.25, "must be a whole number, got 2.25"),
    ("glft", "GLFT", "max_position", 10.5, "must be a whole number or inf, got 10.5"),
    ("join_best", "JoinBest", "size", 1e300, "must be a whole number of at most 2^53 - 1, got 1e+300"),
    ("fixed_spread", "FixedSpread", "size", 2.0 ** 53, "must be a whole number of at most 2^53 - 1, got 9007199254740992"),
])
def test_a_size_in_lots_must_be_whole(module, name, param, value, why):
    kind = _type(module, name)
    msg = f"strategy {name}: parameter '{param}' {why}"
    for build in (kind, kind.python_class):
        with pytest.raises(ConfigError) as exc:
            build(**{param: value})
        assert str(exc.value) == msg
    with pytest.raises(ConfigError) as checked:
        check_strategy(f"{ROOT / 'strategies' / module}.py:{name}", {param: value})
    assert str(checked.value) == msg


def test_whole_sizes_and_an_unlimited_position_are_accepted():
    kind = _type("inventory_skew", "InventorySkew")
    assert kind.check_params({"size": 3, "max_position": math.inf})["max_position"] == math.inf
    assert _type("join_best", "JoinBest").check_params({"size": 2.0 ** 53 - 1})["size"] == 2.0 ** 53 - 1
    assert repr(kind.param_domains["size"]) == "'whole > 0'"
    # YAML reads a bare `inf` as a string (docs say `.inf`): the message says so.
    with pytest.raises(ConfigError) as exc:
        kind.check_params({"max_position": "inf"})
    assert str(exc.value) == ("strategy InventorySkew: parameter 'max_position': expected a number, got 'inf' "
                              "(YAML writes infinity as .inf)")
