"""A compiled rule's writes of its parameters into integer fields of ``out``, refused before the run (mmsim._rule_source).

``out.n_bid_levels = params.levels`` with ``levels: 2.5``: numba's cast made it 2 levels a side, silently, on the fast
path and the jitted Python path (stratbreak18's strict xfail). The rule's source is read when it is declared; a write
the parameters decide is evaluated with each strategy's values, and a fraction is a ConfigError when the strategy is
made (or its parameters checked: a sweep's pre-flight), on every path.
"""

from __future__ import annotations

from typing import Callable

import pytest

import mmsim
from mmsim.errors import ConfigError, StrategyError
from mmsim.numba_strategy import numba_strategy
from test_compare_digest import l2_events
from test_stratbreak18 import ladder, levels_from_params, prices

LADDER = mmsim.Config(ladder_levels=3)
CUT = "is not a whole number: it is an integer field, which the compiled rule would set to {} silently"


def _line(rule, k: int) -> str:
    """``test_int_writes19.py line N`` of the ``k``-th line of a rule's source (0: its decorator, or the ``def`` of a
    plain function)."""
    return f"test_int_writes19.py line {getattr(rule, 'py_rule', rule).__code__.co_firstlineno + k}"


def _refused(error: type[Exception], make: Callable[[], object]) -> str:
    """The message of the ``error`` that ``make()`` raises."""
    with pytest.raises(error) as info:
        make()
    return str(info.value)


@pytest.mark.parametrize("how", ["fast", "python", "pure", "check_params"])
def test_a_parameter_fraction_written_into_a_level_count_is_refused_when_the_strategy_is_made(how):
    """stratbreak18's case: the ConfigError names the field, the expression, its value, the cut and the line."""
    make = {"fast": lambda: levels_from_params(levels=2.5),
            "python": lambda: levels_from_params.python(levels=2.5),
            "pure": lambda: levels_from_params.python(pure=True, levels=2.5),
            "check_params": lambda: levels_from_params.check_params({"levels": 2.5})}[how]
    line = levels_from_params.py_rule.__code__.co_firstlineno + 5  # decorator, def, docstring, if, return, here
    with pytest.raises(ConfigError) as info:
        make()
    assert str(info.value) == ("strategy levels_from_params: out.n_bid_levels = params.levels = 2.5 "
                               f"{CUT.format(2)} (test_stratbreak18.py line {line})")


def test_a_whole_parameter_into_a_level_count_runs_alike_on_both_paths():
    """``levels: 2.0`` quotes 2 levels a side from the touch (bid 200 / ask 202): 199, 200, 202, 203."""
    fast = mmsim.run(l2_events(20), levels_from_params(levels=2.0), LADDER)
    assert prices(fast) == {199, 200, 202, 203}
    assert prices(mmsim.run(l2_events(20), levels_from_params.python(levels=2.0), LADDER)) == prices(fast)


@numba_strategy(params={"size": 1.0, "levels": 4.0})
def levels_through_a_local(view, params, state, out):
    """``levels / 2 + 1`` bid levels through a local; ``int(levels)`` ask levels (always whole)."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    half = params.levels / 2
    out.n_bid_levels = half + 1
    out.n_ask_levels = int(params.levels)
    ladder(view, params.size, 4, out)
    return 1


def test_a_fraction_through_a_local_assigned_once_is_refused_naming_the_parameters():
    """``levels: 3`` makes ``half + 1`` = 3 / 2 + 1 = 2.5 (cut to 2); ``int(params.levels)`` of 3.5 is 3, whole, and
    not refused; ``levels: 4`` quotes 3 bid levels (200, 199, 198) and 4 ask levels (202 .. 205)."""
    with pytest.raises(ConfigError) as info:
        levels_through_a_local(levels=3.0)
    assert str(info.value) == (f"strategy levels_through_a_local: out.n_bid_levels = half + 1 = 2.5 {CUT.format(2)} "
                               f"({_line(levels_through_a_local, 6)}; parameters levels=3.0)")
    with pytest.raises(ConfigError, match=r"out\.n_bid_levels = half \+ 1 = 2\.75 "):
        levels_through_a_local.check_params({"levels": 3.5})  # 3.5 / 2 + 1; int(3.5) = 3 is not what is refused
    got = mmsim.run(l2_events(20), levels_through_a_local(levels=4.0), mmsim.Config(ladder_levels=4))
    assert prices(got) == {198, 199, 200, 202, 203, 204, 205}


@numba_strategy(params={"levels": 1.0, "scale": 0.0})
def levels_when_scaled(view, params, state, out):
    """``levels * scale`` bid levels when ``scale > 0``, else the 1-level form."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if params.scale > 0:
        out.n_bid_levels = params.levels * params.scale
        out.n_ask_levels = 1
        out.bid_ladder_px[0] = view.best_bid
        out.bid_ladder_qty[0] = 1.0
        out.bid_ladder_px[1] = view.best_bid - 1
        out.bid_ladder_qty[1] = 1.0
        out.ask_ladder_px[0] = view.best_ask
        out.ask_ladder_qty[0] = 1.0
        return 1
    out.bid_px, out.bid_qty, out.ask_px, out.ask_qty = view.best_bid, 1.0, view.best_ask, 1.0
    return 1


def test_a_write_the_parameters_do_not_reach_is_not_refused():
    """``scale: 0`` skips the ``if`` that writes ``levels * scale``: levels 2.5 is never written (the 1-level form,
    200 / 202); ``scale: 1`` writes 2.5, refused; ``scale: 0.8`` writes 2.5 * 0.8 = 2.0, quoted (199, 200 / 202)."""
    assert prices(mmsim.run(l2_events(20), levels_when_scaled(levels=2.5, scale=0.0), LADDER)) == {200, 202}
    with pytest.raises(ConfigError) as info:
        levels_when_scaled(levels=2.5, scale=1.0)
    assert str(info.value) == (
        f"strategy levels_when_scaled: out.n_bid_levels = params.levels * params.scale = 2.5 {CUT.format(2)} "
        f"({_line(levels_when_scaled, 6)}; parameters levels=2.5, scale=1.0)")
    assert prices(mmsim.run(l2_events(20), levels_when_scaled(levels=2.5, scale=0.8), LADDER)) == {199, 200, 202}


def test_a_fraction_the_declaration_decides_is_refused_when_the_rule_is_declared():
    """A number written alone (``out.n_orders = 0.5``), or a default that makes a fraction: no strategy of the rule
    could run as written, so ``numba_strategy`` refuses it (a StrategyError naming the line)."""

    def const_rule(view, params, state, out):
        out.n_orders = 0.5
        return 0

    assert _refused(StrategyError, lambda: numba_strategy(params={"size": 1.0})(const_rule)) == (
        f"strategy const_rule: out.n_orders = 0.5 {CUT.format(0)} ({_line(const_rule, 1)})")

    def default_rule(view, params, state, out):
        out.order_tag[0] = -params.tag
        return 0

    assert _refused(StrategyError, lambda: numba_strategy(params={"tag": 1.5})(default_rule)) == (
        f"strategy default_rule: with the default parameters, out.order_tag[0] = -params.tag = -1.5 {CUT.format(-1)} "
        f"({_line(default_rule, 1)}; parameters tag=1.5)")


def test_a_write_the_view_may_reach_is_checked():
    """``out.n_orders = params.count`` under ``if view.bid_qty > 3``: the data decide whether it is reached, so it
    may be, and ``count: 1.5`` is refused (before anything compiles); ``count: 1`` is made."""

    def guarded(view, params, state, out):
        if view.bid_qty > 3:
            out.n_orders = params.count
        return 0

    kind = numba_strategy(params={"count": 0.0})(guarded)
    assert _refused(ConfigError, lambda: kind.check_params({"count": 1.5})) == (
        f"strategy guarded: out.n_orders = params.count = 1.5 {CUT.format(1)} ({_line(guarded, 2)})")
    assert kind.check_params({"count": 1.0}) == {"count": 1.0}


def test_an_integer_field_stepped_by_a_parameter_fraction_is_refused():
    """``out.n_orders += params.step``: whatever ``n_orders`` held (a whole number), a step of 0.5 makes a fraction,
    cut by numba; ``-=`` alike: ``step: 2`` steps ``n_orders`` by 2 but ``order_tag[0]`` by 2 / 4 = 0.5. A step of 4
    is made."""

    def stepped(view, params, state, out):
        out.n_orders = 0
        out.n_orders += params.step
        out.order_tag[0] -= params.step / 4
        return 0

    kind = numba_strategy(params={"step": 4.0})(stepped)
    steps = "is not a whole number: it steps an integer field, which the compiled rule would cut silently"
    assert _refused(ConfigError, lambda: kind.check_params({"step": 0.5})) == (
        f"strategy stepped: out.n_orders += params.step = 0.5 {steps} ({_line(stepped, 2)})")
    assert _refused(ConfigError, lambda: kind.check_params({"step": 2.0})) == (
        f"strategy stepped: out.order_tag[0] -= params.step / 4 = 0.5 {steps} ({_line(stepped, 3)}; parameters step=2.0)")
    assert kind.check_params({"step": 4.0}) == {"step": 4.0}


def test_mmsim_run_names_the_config_line_of_the_parameter_behind_a_local(tmp_path, capsys):
    """Under ``mmsim run`` the refusal ends with the config's line of the parameter that made the fraction, as a
    domain's refusal does: here through a local (``half = params.levels / 2``), named after the rule's line."""
    from mmsim.cli import main
    from mmsim.data.store import write_store
    from test_compare_digest import META

    write_store(tmp_path / "s", l2_events(20), dict(META))
    (tmp_path / "rule.py").write_text(
        "import mmsim\n\n\n"
        "@mmsim.numba_strategy(params={'levels': 2.0, 'size': 1.0})\n"
        "def halves(view, params, state, out):\n"
        "    half = params.levels / 2\n"
        "    out.n_bid_levels = half\n"
        "    return 0\n")
    (tmp_path / "run.yaml").write_text("data: s\noutput: out\nstrategy:\n  path: rule.py:halves\n  params:\n"
                                       "    size: 1\n    levels: 3\n")
    assert main(["run", str(tmp_path / "run.yaml"), "-q"]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: strategy halves: out.n_bid_levels = half = 1.5 {CUT.format(1)} (rule.py line 7; "
        f"parameters levels=3.0) ({tmp_path / 'run.yaml'} line 7)\n")


def test_levels_the_parameters_set_are_checked_against_ladder_levels_before_the_run():
    """``levels: 5`` with ``ladder_levels: 3``: the rule writes ``out.n_bid_levels = params.levels``, so it quotes 5
    levels a side; the run stopped at the first quote (newcomer19). Refused before it, naming the key and the value
    to use, on both paths; ``levels: 3`` runs; a rule type that declares ``ladder_levels_used`` keeps its word."""
    with pytest.raises(ConfigError) as info:
        mmsim.run(l2_events(20), levels_from_params(levels=5.0), LADDER)
    assert str(info.value) == ("ladder_levels: 3 is less than the 5 target levels per side strategy levels_from_params "
                               "quotes; set ladder_levels to at least 5")
    with pytest.raises(ConfigError, match=r"^ladder_levels: 3 is less than the 4 target levels per side"):
        mmsim.run(l2_events(20), levels_through_a_local.python(levels=4.0), LADDER)  # half + 1 = 3; int(4) = 4
    assert prices(mmsim.run(l2_events(20), levels_from_params(levels=3.0), LADDER)) == {198, 199, 200, 202, 203, 204}
    assert type(levels_from_params.python(levels=5.0)).ladder_levels_used is None  # a class: no parameters yet
