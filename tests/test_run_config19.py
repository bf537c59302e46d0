"""A RunConfig given to mmsim.run / run_many must describe the run: its strategy and its data (newcomer19).

``mmsim.run(store, JoinBest(size=1), load_yaml("run.yaml"))`` with run.yaml naming ``toxicity_pull``: the result
carries the RunConfig, whose strategy the report and result.json read, so JoinBest's run was reported as
ToxicityPull's (path, parameters, a position limit JoinBest does not have) under ToxicityPull's config digest. A
user who meant ``load_yaml(...).engine``. Refused now, naming both; a config that does describe the run is as
before.
"""

from __future__ import annotations

import pytest
from test_compare_digest import META, l2_events

import mmsim
import mmsim.runner
from mmsim.data.store import write_store
from mmsim.errors import ConfigError
from mmsim.strategies.join_best import JoinBest
from mmsim.strategies.toxicity_pull import ToxicityPull

TP = {"half_spread": 1, "size": 1, "max_position": 2}
HINT = ("a RunConfig describes the run it is attached to (its report and result.json read the strategy from it); "
        "pass config.engine to run another strategy with its settings, or mmsim.runner.run_config(config) to run the "
        "one it names")


@pytest.fixture
def setup(tmp_path):
    write_store(tmp_path / "s", l2_events(), dict(META))
    (tmp_path / "run.yaml").write_text("data: s\nstrategy:\n  path: toxicity_pull\n"
                                       "  params: {half_spread: 1, size: 1, max_position: 2}\n")
    return mmsim.load(tmp_path / "s"), mmsim.config.load_yaml(tmp_path / "run.yaml"), tmp_path


def test_a_run_config_naming_another_strategy_is_refused(setup):
    store, rc, _ = setup
    with pytest.raises(ConfigError) as info:
        mmsim.run(store, JoinBest(size=1), rc)
    assert str(info.value) == ("config: its strategy is toxicity_pull (ToxicityPull), the strategy given is "
                               f"JoinBest: {HINT}")
    with pytest.raises(ConfigError) as info:  # the second run of a pass: its prefix
        mmsim.run_many(store, [(ToxicityPull(**TP), rc), (None, rc)])
    assert str(info.value) == ("run 1 (none): config: its strategy is toxicity_pull (ToxicityPull), the strategy given is "
                               f"none (a market-only replay): {HINT}")


def test_a_run_config_with_other_parameters_is_refused_naming_them(setup):
    """The same class with ``max_position: 3`` given where the config says 2: the report would read a limit of 2."""
    store, rc, _ = setup
    with pytest.raises(ConfigError) as info:
        mmsim.run(store, ToxicityPull(half_spread=1, size=1, max_position=3), rc)
    assert str(info.value) == (
        "config: its strategy toxicity_pull has other parameters than the strategy given (max_position: 2.0 in the "
        "config, 3.0 given): a RunConfig describes the run it is attached to; pass config.engine to run the "
        "strategy given with its settings")


def test_a_run_config_that_describes_the_run_runs_as_run_config_does(setup):
    """The strategy the config names, built by the user: the same fills as mmsim.runner.run_config, the config attached;
    and with ``config.engine`` any strategy runs, no config attached."""
    store, rc, _ = setup
    got = mmsim.run(store, ToxicityPull(**TP), rc)
    ref = mmsim.runner.run_config(rc, events=store)
    assert got.run_config is rc
    assert got.fills.tobytes() == ref.fills.tobytes() and len(got.fills) > 0
    assert mmsim.run(store, JoinBest(size=1), rc.engine).run_config is None


def test_a_run_config_naming_another_store_than_the_events_is_refused(setup):
    """``data: s`` but the events given are the store at ``t`` (a copy of the same events): result.json would name
    ``s``. A bare array is replayed as given (nothing to compare)."""
    store, rc, tmp_path = setup
    write_store(tmp_path / "t", l2_events(), dict(META))
    other = mmsim.load(tmp_path / "t")
    with pytest.raises(ConfigError) as info:
        mmsim.run(other, ToxicityPull(**TP), rc)
    assert str(info.value) == (f"config: data is {tmp_path / 's'}, the events given are the store at {tmp_path / 't'}: "
                               "a RunConfig describes the run it is attached to; pass config.engine to replay other "
                               "events with its settings")
    assert len(mmsim.run(other.events, ToxicityPull(**TP), rc).fills) == len(mmsim.run(store, ToxicityPull(**TP),
                                                                                         rc).fills)


class Wrapping(mmsim.Strategy):
    """A strategy keeping a parameter as an object built of it (no ``__eq__``): two constructions differ."""

    class Model:
        def __init__(self, k):
            self.k = k

    def __init__(self, model=1, size=1):
        self.model, self.size = Wrapping.Model(model), size

    def quote(self, view):
        return None


def test_a_parameter_kept_as_an_object_is_not_a_false_refusal(tmp_path):
    """The strategy the config names, built again for the check, holds another ``Model`` object: not comparable,
    so not refused (a sweep's points are built from their config and must run); a plain parameter that differs
    (``size``) still is."""
    write_store(tmp_path / "s", l2_events(), dict(META))
    (tmp_path / "run.yaml").write_text(f"data: s\nstrategy:\n  path: {__file__}:Wrapping\n  params: {{model: 2}}\n")
    rc = mmsim.config.load_yaml(tmp_path / "run.yaml")
    store = mmsim.load(tmp_path / "s")
    assert mmsim.run(store, Wrapping(model=2), rc).run_config is rc
    with pytest.raises(ConfigError, match=r"\(size: 1 in the config, 3 given\)"):
        mmsim.run(store, Wrapping(model=2, size=3), rc)
