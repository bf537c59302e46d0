"""newcomer19: faults a first-time user met following README.md and docs/ (failing until fixed).

docs/strategies.md ("Ladders") says each write into an integer field of ``out`` "whose value the parameters
decide" is evaluated when the strategy is made, and a fraction is a ConfigError "on every path". A user who copies
the style of the page's own ``clamped_mm`` example (``out.bid_px, out.ask_px = bid, ask``) for the level counts, or
who annotates a local, gets 2 levels from ``levels: 2.5`` silently on the fast path. And under ``mmsim run`` the
refusal names the rule's line but not the config line that set 2.5 (docs/config.md: the strategy's errors under
``mmsim run`` end with the line of the parameter they name).
"""

from __future__ import annotations

import pytest
from test_compare_digest import META, l2_events
from test_stratbreak18 import ladder

import mmsim
from mmsim.cli import main
from mmsim.data.store import write_store
from mmsim.errors import ConfigError, StrategyError
from mmsim.numba_strategy import numba_strategy

WHOLE = r"out\.n_bid_levels = .*2\.5 is not a whole number"


@numba_strategy(params={"levels": 2.0, "size": 1.0})
def levels_by_tuple(view, params, state, out):
    """Both level counts in one tuple assignment, as ``out.bid_px, out.ask_px = bid, ask`` in docs/strategies.md."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out.n_bid_levels, out.n_ask_levels = params.levels, params.levels
    ladder(view, params.size, 2, out)
    return 1


@numba_strategy(params={"levels": 2.0, "size": 1.0})
def levels_by_annotated_local(view, params, state, out):
    """A local assigned once, with a type annotation."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    n: float = params.levels
    out.n_bid_levels = n
    out.n_ask_levels = n
    ladder(view, params.size, 2, out)
    return 1


@pytest.mark.parametrize("how", ["fast", "python", "check_params"])
def test_a_parameter_fraction_written_by_tuple_assignment_is_refused(how):
    """``levels: 2.5`` into ``out.n_bid_levels, out.n_ask_levels = params.levels, params.levels``: numba cuts it to
    2 levels a side; today the strategy is made and runs with 2 levels, no error (fast and jitted Python path)."""
    make = {"fast": lambda: levels_by_tuple(levels=2.5),
            "python": lambda: levels_by_tuple.python(levels=2.5),
            "check_params": lambda: levels_by_tuple.check_params({"levels": 2.5})}[how]
    with pytest.raises(ConfigError, match=WHOLE):
        make()


def test_a_whole_parameter_by_tuple_assignment_still_runs():
    """The fix must not refuse ``levels: 2``: two bid levels (200, 199) and two ask levels (202, 203)."""
    got = mmsim.run(l2_events(20), levels_by_tuple(levels=2.0), mmsim.Config(ladder_levels=2))
    orders = got.orders
    assert {int(p) for p in orders["price"]} == {199, 200, 202, 203}


def test_a_number_alone_written_by_tuple_assignment_is_refused_when_declared():
    """``out.n_bid_levels, out.n_ask_levels = 2.5, 2`` is refused at declaration, as ``out.n_bid_levels = 2.5`` is."""
    with pytest.raises(StrategyError, match=r"out\.n_bid_levels = 2\.5 is not a whole number"):
        @numba_strategy(params={"size": 1.0})
        def constant_by_tuple(view, params, state, out):
            out.n_bid_levels, out.n_ask_levels = 2.5, 2
            ladder(view, params.size, 2, out)
            return 1


@pytest.mark.parametrize("how", ["fast", "check_params"])
def test_a_parameter_fraction_through_an_annotated_local_is_refused(how):
    """``n: float = params.levels`` is a local assigned once (docs/strategies.md): ``levels: 2.5`` is refused."""
    make = {"fast": lambda: levels_by_annotated_local(levels=2.5),
            "check_params": lambda: levels_by_annotated_local.check_params({"levels": 2.5})}[how]
    with pytest.raises(ConfigError, match=WHOLE):
        make()


RULE = '''import mmsim


@mmsim.numba_strategy(params={"levels": 2.0, "size": 1.0})
def my_ladder(view, params, state, out):
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out.n_bid_levels = params.levels
    out.n_ask_levels = params.levels
    for k in range(2):
        out.bid_ladder_px[k] = view.best_bid - k
        out.bid_ladder_qty[k] = params.size
        out.ask_ladder_px[k] = view.best_ask + k
        out.ask_ladder_qty[k] = params.size
    return 1
'''


def test_mmsim_run_names_the_config_line_of_a_fractional_level_count(tmp_path, capsys):
    """``levels: 2.5`` on run.yaml line 5: the refusal names the rule's line (my_ladder.py line 8) and, as every
    other parameter refusal under ``mmsim run`` does (a domain, a constraint, an unknown name), the config's line.
    Today it ends with ``(my_ladder.py line 8)`` alone: which of a user's configs set 2.5 is not said."""
    write_store(tmp_path / "s", l2_events(20), dict(META))
    (tmp_path / "my_ladder.py").write_text(RULE)
    (tmp_path / "run.yaml").write_text("data: s\n"
                                       "output: out\n"
                                       "strategy:\n"
                                       "  path: my_ladder.py:my_ladder\n"
                                       "  params: {levels: 2.5, size: 1}\n"
                                       "ladder_levels: 2\n"
                                       "tick_size: 0.5\n")
    rc = main(["run", str(tmp_path / "run.yaml"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "out.n_bid_levels = params.levels = 2.5 is not a whole number" in err
    assert "my_ladder.py line 8" in err
    assert "run.yaml line 5" in err


def test_a_run_config_naming_another_strategy_does_not_label_the_strategy_run(tmp_path):
    """``mmsim.run(store, JoinBest(size=1), mmsim.config.load_yaml("run.yaml"))`` with run.yaml naming
    ``toxicity_pull`` (max_position: 2): a user who forgets ``.engine`` (docs/compare.md writes
    ``load_yaml(...).engine``). Today the run goes on, and its report says the strategy was ``JoinBest`` with
    ToxicityPull's path and parameters, measures time at a position limit of 2 that JoinBest does not have, and
    gives the run the config digest of the ToxicityPull run of the same file. Right: refuse the pair (ConfigError:
    the run config's strategy is not the strategy given), or report the strategy that ran (no path, no
    parameters, no limit: as with ``.engine``) under a digest of its own."""
    from mmsim.strategies.join_best import JoinBest

    write_store(tmp_path / "s", l2_events(), dict(META))
    (tmp_path / "run.yaml").write_text("data: s\nstrategy:\n  path: toxicity_pull\n"
                                       "  params: {half_spread: 1, size: 1, max_position: 2}\n")
    rc = mmsim.config.load_yaml(tmp_path / "run.yaml")
    store = mmsim.load(tmp_path / "s")
    try:
        got = mmsim.run(store, JoinBest(size=1), rc)
    except ConfigError:
        return
    rep = got.report().data
    assert rep["setup"]["strategy"]["path"] != "toxicity_pull"
    assert rep["setup"]["strategy"]["params"] != {"half_spread": 1, "size": 1, "max_position": 2}
    assert rep["inventory"]["limit"] is None
    pull = mmsim.run(store, mmsim.load_strategy("toxicity_pull", {"half_spread": 1, "size": 1, "max_position": 2}), rc)
    assert rep["setup"]["config_digest"] != pull.report().data["setup"]["config_digest"]
