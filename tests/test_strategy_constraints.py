"""Relations between strategy parameters are refused when the strategy is built, never run silently.

``LadderFlatten(flatten_at=5, flatten_to=10)`` was accepted and then flattened only from ``|q| >= 11``;
a ``size`` above ``max_position`` was capped to the limit at every quote. A strategy declares such
relations (``numba_strategy(constraints=[...])``, docs/strategies.md "Relations between parameters"),
checked on both paths and by ``check_params`` (a sweep's preflight) without compiling the rule.
"""

from __future__ import annotations

import importlib
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import main
from mmsim.errors import ConfigError, StrategyError
from mmsim.numba_strategy import NumbaStrategyType
from mmsim.plugins import check_strategy
from mmsim.records import VIEW_DTYPE

S = 1_000_000_000
WITH_MAX_POSITION = ["inventory_skew", "avellaneda_stoikov", "glft", "signal_skew", "toxicity_pull", "ladder_flatten"]


def _type(module: str, name: str):
    return getattr(importlib.import_module(f"strategies.{module}"), name)


def _refused_everywhere(module: str, name: str, params: dict, msg: str) -> None:
    """Fast path, Python path (jitted and pure), check_params and the sweep's check_strategy: one message."""
    kind = _type(module, name)
    for build in (lambda: kind(**params), lambda: kind.python(**params), lambda: kind.python(pure=True, **params),
                  lambda: kind.check_params(params),
                  lambda: check_strategy(f"{ROOT / 'strategies' / module}.py:{name}", params)):
        with pytest.raises(ConfigError) as exc:
            build()
        assert str(exc.value) == msg


def test_a_flatten_target_above_the_threshold_is_refused():
    """The issue's example: flatten_at 5, flatten_to 10 flattened only from |q| >= 11."""
    _refused_everywhere("ladder_flatten", "LadderFlatten", {"flatten_at": 5, "flatten_to": 10},
                        "strategy LadderFlatten: parameter 'flatten_to' (10) must be <= parameter 'flatten_at' (5)")


def test_a_value_left_at_its_default_is_named_as_the_default():
    """The second case of the kind: the user set one side only; the other is the declared default (8)."""
    _refused_everywhere("ladder_flatten", "LadderFlatten", {"flatten_to": 9},
                        "strategy LadderFlatten: parameter 'flatten_to' (9) must be <= parameter 'flatten_at' "
                        "(default 8)")


@pytest.mark.parametrize("module, name", [
    ("inventory_skew", "InventorySkew"), ("avellaneda_stoikov", "AvellanedaStoikov"), ("glft", "GLFT"),
    ("signal_skew", "SignalSkew"), ("toxicity_pull", "ToxicityPull"), ("ladder_flatten", "LadderFlatten")])
def test_a_size_above_the_position_limit_is_refused(module, name):
    _refused_everywhere(module, name, {"size": 20, "max_position": 10},
                        f"strategy {name}: parameter 'size' (20) must be <= parameter 'max_position' (10)")
    _refused_everywhere(module, name, {"size": 11},
                        f"strategy {name}: parameter 'size' (11) must be <= parameter 'max_position' (default 10)")


def test_the_boundaries_are_accepted():
    """Equality holds (<=), and an unlimited max_position (inf) is above every size."""
    ladder = _type("ladder_flatten", "LadderFlatten")
    assert ladder.check_params({"flatten_at": 5, "flatten_to": 5})["flatten_to"] == 5
    assert ladder.check_params({"flatten_at": math.inf, "flatten_to": 1e15})["flatten_to"] == 1e15
    assert ladder.check_params({"flatten_at": 5.5, "flatten_to": 5})["flatten_at"] == 5.5
    skew = _type("inventory_skew", "InventorySkew")
    assert skew.check_params({"size": 10, "max_position": 10})["size"] == 10
    assert skew.check_params({"size": 2.0 ** 53 - 1, "max_position": math.inf})["size"] == 2.0 ** 53 - 1
    assert [c.text for c in ladder.param_constraints] == ["flatten_to <= flatten_at", "size <= max_position"]


def test_a_fractional_flatten_target_is_refused():
    """flatten_at 5.5 with flatten_to 5.5 sent nothing at |q| = 6 (floor(0.5) = 0 lots) and waited for 7:
    the target is a whole number of lots, so flatten_to <= flatten_at means every |q| past flatten_at flattens."""
    _refused_everywhere("ladder_flatten", "LadderFlatten", {"flatten_at": 5.5, "flatten_to": 5.5},
                        "strategy LadderFlatten: parameter 'flatten_to' must be a whole number, got 5.5")


def _ladder_view(position: int) -> np.ndarray:
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"], v["ts"] = 100, 104, 5, 5, position, 1_000
    return v


@pytest.mark.parametrize("pure", [False, True])
@pytest.mark.parametrize("flatten_at, flatten_to, position, ioc_qty", [
    (5, 5, 6, 1),        # the target equal to the threshold trims back to it: 1 lot at |q| = 6
    (5, 5, 5, None),     # at the threshold, not past it: no IOC
    (5.5, 5, -6, 1),     # a fractional threshold: past 5.5 is |q| >= 6, which flattens to 5 (a buy)
    (8, 0, 9, 9),        # the defaults' kind: all the way to flat
])
def test_every_position_past_the_threshold_sends_the_ioc(pure, flatten_at, flatten_to, position, ioc_qty):
    s = _type("ladder_flatten", "LadderFlatten").python(pure=pure, flatten_at=flatten_at, flatten_to=flatten_to,
                                                           max_position=20)
    ladder = s.quote(_ladder_view(position))
    if ioc_qty is None:
        assert ladder.orders == ()
    else:
        (order,) = ladder.orders
        assert (order.side, order.qty) == ((-1 if position > 0 else 1), ioc_qty)


@pytest.mark.parametrize("module", ["fixed_spread", "join_best", "inventory_skew", "avellaneda_stoikov", "glft",
                                    "signal_skew", "toxicity_pull", "ladder_flatten"])
def test_each_reference_strategy_declares_its_relations(module):
    """size <= max_position wherever both exist; flatten_to <= flatten_at in the ladder; nothing else
    (docs/strategies.md "Constraints between parameters" says which relations are left out, and why)."""
    mod = importlib.import_module(f"strategies.{module}")
    (kind,) = [v for v in vars(mod).values() if isinstance(v, NumbaStrategyType)]
    expected = (["flatten_to <= flatten_at"] if module == "ladder_flatten" else []) + (
        ["size <= max_position"] if module in WITH_MAX_POSITION else [])
    assert [c.text for c in kind.param_constraints] == expected


def test_a_malformed_constraint_declaration_is_a_strategy_error():
    def rule(view, params, state, out):
        return 0

    spec = {"lo": 1.0, "hi": 2.0}
    for constraints, msg in [
        (["lo < high"], "strategy rule: constraint 'lo < high' names 'high', which is not a declared parameter"),
        (["lo << hi"], "strategy rule: constraint 'lo << hi' is not '<parameter> <op> <parameter>' with op one of "
                       "<, <=, >, >="),
        (["lo < 3"], "strategy rule: constraint 'lo < 3' is not '<parameter> <op> <parameter>' with op one of "
                     "<, <=, >, >="),
        (["lo <= lo"], "strategy rule: constraint 'lo <= lo' relates a parameter to itself (use a domain)"),
        (["lo > hi"], "strategy rule: the defaults break constraint 'lo > hi': parameter 'lo' (1) must be > "
                      "parameter 'hi' (2)"),
        ("lo < hi", "strategy rule: constraints must be a list of strings such as 'flatten_to <= flatten_at', "
                    "got str"),
    ]:
        with pytest.raises(StrategyError) as exc:
            mmsim.numba_strategy(rule, params=spec, constraints=constraints, cache=False)
        assert str(exc.value) == msg
    # A required parameter (no default) is checked when the value comes.
    kind = mmsim.numba_strategy(rule, params={"lo": None, "hi": 2.0}, constraints=["lo < hi"], cache=False)
    assert kind.check_params({"lo": 1.5}) == {"lo": 1.5, "hi": 2.0}
    with pytest.raises(ConfigError) as exc:
        kind.check_params({"lo": 2})
    assert str(exc.value) == "strategy rule: parameter 'lo' (2) must be < parameter 'hi' (default 2)"


def _rule(view, params, state, out):
    return 0


@pytest.mark.parametrize("constraints, msg", [
    # The breaker's: on parameters without defaults nothing refused them until every value was.
    (["a <= b", "b < a"], "strategy _rule: constraints 'a <= b' and 'b < a' cannot both hold: together they say "
                          "a < a, so no values satisfy them"),
    # The same relation written both ways round, and a cycle of three through a strict one.
    (["a < b", "a > b"], "strategy _rule: constraints 'a < b' and 'a > b' cannot both hold: together they say a < a, "
                         "so no values satisfy them"),
    # (c >= a holds beside them: it is not named.)
    (["c >= a", "a < b", "b <= c", "c <= a"], "strategy _rule: constraints 'a < b', 'b <= c' and 'c <= a' cannot all "
                                               "hold: together they say a < a, so no values satisfy them"),
])
def test_contradictory_constraints_are_refused_when_declared(constraints, msg):
    with pytest.raises(StrategyError) as exc:
        mmsim.numba_strategy(_rule, params=["a", "b", "c"], constraints=constraints, cache=False)
    assert str(exc.value) == msg


@pytest.mark.parametrize("constraints, values", [
    # Sound: only a cycle through a strict relation is refused. a <= b <= a holds with a == b (inf too).
    (["a <= b", "b <= a"], {"a": 3, "b": 3, "c": 0}),
    (["a >= b", "b >= a", "b <= c"], {"a": math.inf, "b": math.inf, "c": math.inf}),
    (["a < b", "b < c", "a < c"], {"a": 1, "b": 2, "c": 3}),
])
def test_constraints_that_some_values_satisfy_are_declared(constraints, values):
    kind = mmsim.numba_strategy(_rule, params=["a", "b", "c"], constraints=constraints, cache=False)
    assert kind.check_params(values) == {k: float(v) for k, v in values.items()}


def test_a_domain_error_comes_before_a_constraint():
    """Each value is checked alone first: a size of 0.5 is out of its domain, whatever max_position is."""
    with pytest.raises(ConfigError) as exc:
        _type("glft", "GLFT").check_params({"size": 0.5, "max_position": 0.25})
    assert str(exc.value) == "strategy GLFT: parameter 'size' must be a whole number, got 0.5"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("constraints") / "store"
    write_store(SynthConfig(seed=3, duration=5 * S), path)
    return path


@pytest.mark.parametrize("strategy, params, line, message", [
    ("ladder_flatten.py:LadderFlatten", "    flatten_at: 5\n    flatten_to: 10\n", 6,
     "strategy LadderFlatten: parameter 'flatten_to' (10) must be <= parameter 'flatten_at' (5)"),
    ("glft.py:GLFT", "    max_position: 4\n    gamma: 0.1\n    size: 5\n", 7,
     "strategy GLFT: parameter 'size' (5) must be <= parameter 'max_position' (4)"),
], ids=["flatten", "size"])
def test_mmsim_run_names_the_config_line_of_the_parameter(store, tmp_path, capsys, strategy, params, line, message):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{ROOT / 'strategies' / strategy}'\n  params:\n{params}")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {message} ({cfg} line {line})\n"
    assert not (tmp_path / "out").exists()


def test_mmsim_run_names_the_line_of_the_parameter_the_file_sets(store, tmp_path, capsys):
    """The first parameter named is left at its default: the line is the other one's, which the file sets."""
    plugin = tmp_path / "band.py"
    plugin.write_text(textwrap.dedent("""
        import mmsim

        @mmsim.numba_strategy(params={"lo": 5.0, "hi": 10.0}, constraints=["lo < hi"], cache=False)
        def band(view, params, state, out):
            return 0
    """))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{plugin}:band'\n  params:\n    hi: 3\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: strategy band: parameter 'lo' (default 5) must be < "
                                       f"parameter 'hi' (3) ({cfg} line 5)\n")
