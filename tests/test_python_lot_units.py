"""Strategy quantities from Python (``mmsim.run`` / ``mmsim.run_many``) on a store whose lot is not 1: the one
lot-unit warning for what was left at its default, and ``mmsim.base`` / ``mmsim.per_base`` to pass base units
(docs/strategies.md, "Units of strategy parameters").

``mmsim.run(spot_store, ToxicityPull(size=1000000, ...), cfg)`` used to run ``trade_flow_threshold`` at its default
20 lots (0.0000002 BTC: it pulls almost always) without a word; only the config path warned. Each expected value
is hand-computed in decimal: 20 x 1e-08 = 0.0000002; 0.1 per lot / 1e-08 = 10000000 per base unit.
"""

from __future__ import annotations

import dataclasses
import pickle
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.config import RunConfig
from mmsim.errors import ConfigError, LotUnitWarning
from mmsim.plugins import resolve_strategy
from mmsim.runner import run_config

S = 1_000_000_000
TOX = str(ROOT / "strategies" / "toxicity_pull.py") + ":ToxicityPull"
SKEW = str(ROOT / "strategies" / "inventory_skew.py") + ":InventorySkew"
DOCS = '(docs/strategies.md, "Units of strategy parameters")'
HEAD = "strategy {}: these quantities are in lots, and a lot of this event store is {} base units " + DOCS + ":"
TFT = ("  trade_flow_threshold: 20 lots (the default) = 0.0000002 base units; in base units pass "
       "`trade_flow_threshold=mmsim.base(0.0000002, store)`")
NO_SIGNALS = mmsim.Config(signals=mmsim.SignalConfig(enabled=False))


@pytest.fixture(scope="module")
def spot(tmp_path_factory):
    """A synthetic store with Binance spot's lot, 1e-08 base units."""
    from mmsim.synth import SynthConfig, write_store

    out = tmp_path_factory.mktemp("spot") / "store"
    write_store(SynthConfig(seed=3, duration=S, format="l2", lot_size=1e-08), out)
    return mmsim.load(out)


def tox(**params):
    return resolve_strategy(TOX)(**params)


def test_mmsim_run_warns_of_the_defaults_left_in_lots_once(spot):
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, tox(size=1000000, max_position=50000000), NO_SIGNALS)
    assert [str(w.message) for w in rec] == [HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT]
    assert rec[0].filename == __file__  # the caller's line, not mmsim's
    # With the signals on, their default bucket volume joins the one warning (100 lots = 0.000001 BTC).
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, tox(size=1000000, max_position=50000000), mmsim.Config())
    assert [str(w.message) for w in rec] == [
        HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT + "\n"
        'config: these settings are in lots, and a lot of this event store is 0.00000001 base units '
        '(docs/signals.md, "Bucket volume in base units"):\n'
        "  signals.vpin_bucket_volume: 100 lots (the default) = 0.000001 base units; in base units pass "
        '`SignalConfig(vpin_bucket_volume="0.000001 base")`']


def test_run_many_joins_every_run_into_one_warning_each_line_once(spot):
    a, b = tox(size=1000000, max_position=50000000), tox(size=2000000, max_position=50000000)
    skew = resolve_strategy(SKEW)(size=1000000, max_position=50000000)
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run_many(spot, [(a, NO_SIGNALS), (skew, NO_SIGNALS), (b, NO_SIGNALS)])
    assert [str(w.message) for w in rec] == [
        HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT + "\n"
        + HEAD.format("InventorySkew", "0.00000001") + "\n"
        "  skew: 0.1 per lot (the default) = 10000000 per base unit; in base units pass "
        "`skew=mmsim.per_base(10000000, store)`"]


class Quoter(mmsim.Strategy):
    """A Python strategy declaring its quantities and a per-lot parameter."""

    quantities = ["size", "max_position"]
    per_quantities = ["skew"]

    def __init__(self, half_spread=1, size=1, max_position=10, skew=0.5):
        self.size, self.max_position, self.skew = size, max_position, skew

    def quote(self, view):
        return None


def test_a_python_strategy_warns_of_the_parameters_its_constructor_was_not_given(spot):
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, Quoter(2, 1000000), NO_SIGNALS)  # size given by position: not warned of
    assert [str(w.message) for w in rec] == [
        HEAD.format("Quoter", "0.00000001") + "\n"
        "  max_position: 10 lots (the default) = 0.0000001 base units; in base units pass "
        "`max_position=mmsim.base(0.0000001, store)`\n"
        "  skew: 0.5 per lot (the default) = 50000000 per base unit; in base units pass "
        "`skew=mmsim.per_base(50000000, store)`"]
    # A numba strategy's Python twin, and a pickled numba strategy, keep which were defaults.
    for strategy in (tox(size=1000000, max_position=50000000).python(),
                     pickle.loads(pickle.dumps(tox(size=1000000, max_position=50000000)))):
        with pytest.warns(LotUnitWarning) as rec:
            mmsim.run(spot, strategy, NO_SIGNALS)
        assert [str(w.message) for w in rec] == [HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT]


def test_every_quantity_given_in_python_warns_of_nothing_and_is_the_config_run(spot, tmp_path):
    strategy = tox(size=mmsim.base(0.01, spot), max_position=mmsim.base("0.5", spot),
                   trade_flow_threshold=mmsim.base(0.5, spot), skew=mmsim.per_base(20, spot))
    assert strategy.params["size"] == 1000000 and strategy.params["skew"] == 2e-07
    cfg = mmsim.Config(signals=mmsim.SignalConfig(vpin_bucket_volume="5 base"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = mmsim.run(spot, strategy, cfg)
        theirs = run_config(RunConfig.from_dict({
            "data": str(spot.path), "signals": {"vpin_bucket_volume": "5 base"},
            "strategy": {"path": TOX, "params": {"size": "0.01 base", "max_position": "0.5 base",
                                                 "trade_flow_threshold": "0.5 base", "skew": "20 per base"}}}))
    assert ours.orders.tobytes() == theirs.orders.tobytes() and ours.fills.tobytes() == theirs.fills.tobytes()


def test_run_config_warns_once_in_the_configs_words(spot):
    config = RunConfig.from_dict({"data": str(spot.path), "signals": {"enabled": False},
                                  "strategy": {"path": TOX, "params": {"size": "0.01 base", "max_position": 50000000}}})
    with pytest.warns(LotUnitWarning) as rec:
        run_config(config)
    assert [str(w.message) for w in rec] == [
        HEAD.format("ToxicityPull", "0.00000001") + "\n"
        "  max_position: 50000000 lots (written without a unit) = 0.5 base units; in base units write "
        "`max_position: 0.5 base`\n"
        "  trade_flow_threshold: 20 lots (the default) = 0.0000002 base units; in base units write "
        "`trade_flow_threshold: 0.0000002 base`"]


def test_no_warning_on_a_store_whose_lot_is_1(tmp_path):
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=3, duration=S, format="l2"), tmp_path / "store")
    store = mmsim.load(tmp_path / "store")
    assert store.meta["lot_size"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mmsim.run(store, tox(), mmsim.Config())
        mmsim.run_many(store, [(tox(), mmsim.Config()), (Quoter(), NO_SIGNALS)])
        # A bare event array has no lot (1 unless the config says otherwise).
        mmsim.run(store.events, tox(), mmsim.Config())


def test_a_bare_array_with_a_config_lot_warns(spot):
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot.events, tox(size=1000000, max_position=50000000),
                  NO_SIGNALS.replace(lot_size=1e-08, tick_size=spot.meta["tick_size"]))
    assert [str(w.message) for w in rec] == [HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT]


@pytest.mark.parametrize("call, value", [
    (lambda s: mmsim.base(0.01, s), 1000000),
    (lambda s: mmsim.base("0.07", s), 7000000),  # a float quotient is 7000000.000000001
    (lambda s: mmsim.base(0.000000015, s), 1.5),
    (lambda s: mmsim.base(3, 0.001), 3000),
    (lambda s: mmsim.per_base(20, s), 2e-07),
    (lambda s: mmsim.per_base(0, s.meta), 0),
])
def test_base_and_per_base_are_exact(spot, call, value):
    got = call(spot)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("call, message", [
    (lambda s: mmsim.base("abc", s), "mmsim.base: cannot read 'abc': give a finite number (an int, a float, a Decimal "
                                     "or a decimal string such as '0.01') " + DOCS),
    (lambda s: mmsim.base(float("nan"), s), "mmsim.base: cannot read nan: give a finite number (an int, a float, a "
                                            "Decimal or a decimal string such as '0.01') " + DOCS),
    (lambda s: mmsim.base(True, s), "mmsim.base: cannot read True: give a finite number (an int, a float, a Decimal "
                                    "or a decimal string such as '0.01') " + DOCS),
    (lambda s: mmsim.base("1e999", s), "mmsim.base: '1e999' is out of range: a quantity is 0 or between 1e-300 and "
                                       "1e300 in magnitude"),
    (lambda s: mmsim.base(1, "store"), "mmsim.base: the second argument is an event store (or its lot size, a number "
                                       "> 0); got 'store', which gives no lot size"),
    (lambda s: mmsim.per_base(1, 0), "mmsim.per_base: the second argument is an event store (or its lot size, a "
                                     "number > 0); got 0, which gives no lot size"),
])
def test_base_refuses_what_is_no_amount_or_no_store(spot, call, message):
    with pytest.raises(ConfigError) as err:
        call(spot)
    assert str(err.value) == message


def test_the_docs_name_the_python_way():
    text = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    assert "mmsim.base(0.01, store)" in text and "mmsim.per_base(" in text
    assert Path(ROOT / "CHANGELOG.md").read_text(encoding="utf-8").count("mmsim.base(") >= 1


@pytest.fixture(scope="module")
def l3_milli(tmp_path_factory):
    """A synthetic L3 store with a lot of 0.001 base units (as Binance USD-M's), for queue-score."""
    from mmsim.synth import SynthConfig, write_store

    out = tmp_path_factory.mktemp("l3") / "store"
    write_store(SynthConfig(seed=3, duration=20 * S, lot_size=0.001), out)
    return out


def test_score_queue_models_warns_once_for_its_truth_and_model_runs(l3_milli):
    from mmsim.strategies.join_best import JoinBest

    with pytest.warns(LotUnitWarning) as rec:
        mmsim.score_queue_models(mmsim.load(l3_milli), JoinBest(), NO_SIGNALS, ["risk_averse", "log"])
    assert [str(w.message) for w in rec] == [
        HEAD.format("JoinBest", "0.001") + "\n"
        "  size: 1 lot (the default) = 0.001 base units; in base units pass `size=mmsim.base(0.001, store)`"]


def test_mmsim_queue_score_warns_once_in_the_configs_words(l3_milli, tmp_path, capsys):
    from mmsim.cli import main

    cfg = tmp_path / "qs.yaml"
    cfg.write_text(f"data: {l3_milli}\nstrategy: {{path: join_best, params: {{size: 1}}}}\nsignals: {{enabled: false}}\n")
    assert main(["queue-score", str(cfg), "--models", "risk_averse", "--no-fit", "--no-report", "-q",
                 "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert err == ("mmsim: warning: " + HEAD.format("JoinBest", "0.001") + "\n"
                   "  size: 1 lot (written without a unit) = 0.001 base units; in base units write "
                   "`size: 0.001 base`\n")


@pytest.mark.parametrize("build, message", [
    (lambda: tox(size="0.01 base"), "strategy ToxicityPull: parameter 'size': expected a number, got '0.01 base'; a "
     "unit is read from a config file: in Python pass mmsim.base(0.01, store), its lots " + DOCS),
    (lambda: resolve_strategy(TOX).python(skew="20 per base"), "strategy ToxicityPull: parameter 'skew': expected a "
     "number, got '20 per base'; a unit is read from a config file: in Python pass mmsim.per_base(20, store), its "
     "value per lot " + DOCS),
    (lambda: tox(size="20 lots"), "strategy ToxicityPull: parameter 'size': expected a number, got '20 lots'; a "
     "unit is read from a config file: in Python pass 20 (a number is lots) " + DOCS),
    (lambda: tox(size="abc"), "strategy ToxicityPull: parameter 'size': expected a number, got 'abc'"),
])
def test_a_unit_written_in_python_says_how_to_pass_it(build, message):
    with pytest.raises(ConfigError) as err:
        build()
    assert str(err.value) == message


@dataclasses.dataclass
class DC(mmsim.Strategy):
    """A dataclass strategy: its __init__ is made after the class."""

    quantities = ["size"]
    size: int = 1

    def quote(self, view):
        return None


def test_nothing_is_recorded_on_a_python_strategy_and_its_signature_is_its_own():
    """pyunits15 first wrapped each subclass's __init__ to record its arguments on the instance. breaker15b: a
    strategy built from a generator or holding a lock no longer pickled or deep-copied, one built from a day's
    events pickled the whole array (3.8 MB for a float it keeps), a custom __setattr__ stopped construction, a
    dataclass strategy and a subclass forwarding *args escaped it. What a strategy left at its default is now read
    from the attributes it holds; nothing is wrapped or recorded, so all of these work as before."""
    import copy
    import inspect
    import threading

    class NoInit(mmsim.Strategy):
        def quote(self, view):
            return None

    class Child(Quoter):
        def __init__(self, edge=3):
            super().__init__(5, size=7)

    assert str(inspect.signature(NoInit)) == "()"
    assert str(inspect.signature(Quoter)) == "(half_spread=1, size=1, max_position=10, skew=0.5)"
    assert str(inspect.signature(Child)) == "(edge=3)"
    assert "_mmsim_args_" not in vars(Quoter(2, size=4))

    class Tab(mmsim.Strategy):
        def __init__(self, levels, size=1):
            self.levels, self.size = list(levels), size

        def quote(self, view):
            return None

    class WithLock(mmsim.Strategy):
        def __init__(self, lock):
            self.n = 0

        def quote(self, view):
            return None

    class Frozen(mmsim.Strategy):
        quantities = ["size"]

        def __init__(self, size=1):
            object.__setattr__(self, "size", size)

        def __setattr__(self, k, v):
            raise AttributeError("frozen")

        def quote(self, view):
            return None

    globals().update(Tab=Tab)  # picklable by name
    Tab.__qualname__ = "Tab"
    assert pickle.loads(pickle.dumps(Tab(x for x in range(3)))).levels == [0, 1, 2]
    assert copy.deepcopy(WithLock(threading.Lock())).n == 0
    assert Frozen().size == 1

    assert list(inspect.signature(DC).parameters) == ["size"] and DC().size == 1


def test_what_a_python_strategy_holds_says_what_was_left_at_its_default(spot):
    """The second case, the warning: a quantity set after construction (`b.size = mmsim.base(0.01, store)`) is not
    the default; a dataclass strategy's default is; one kept under another name cannot be told and is not warned
    of."""
    b = Quoter(max_position=5000000, skew=2e-07)
    b.size = mmsim.base(0.01, spot)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mmsim.run(spot, b, NO_SIGNALS)
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, Quoter(size=1000000, max_position=5000000), NO_SIGNALS)
    assert [str(w.message) for w in rec] == [
        HEAD.format("Quoter", "0.00000001") + "\n"
        "  skew: 0.5 per lot (the default) = 50000000 per base unit; in base units pass "
        "`skew=mmsim.per_base(50000000, store)`"]

    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, DC(), NO_SIGNALS)
    assert [str(w.message) for w in rec] == [
        HEAD.format("DC", "0.00000001") + "\n"
        "  size: 1 lot (the default) = 0.00000001 base units; in base units pass `size=mmsim.base(0.00000001, store)`"]

    class Hidden(mmsim.Strategy):
        quantities = ["size"]

        def __init__(self, size=1):
            self._size = size

        def quote(self, view):
            return None

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mmsim.run(spot, Hidden(), NO_SIGNALS)


def test_base_takes_numpy_scalars():
    """breaker15b: `mmsim.base(np.float64(0.01), store)` was `cannot read np.float64(0.01)` (numpy 2's repr), so a
    loop over np.linspace failed; a numpy scalar is the number it holds."""
    import numpy as np

    assert mmsim.base(np.float64(0.01), 1e-08) == 1000000 and mmsim.base(np.int64(2), 0.001) == 2000
    assert mmsim.per_base(np.float64(20), 1e-08) == 2e-07 and mmsim.base(np.float32(0.5), 1.0) == 0.5


def test_a_declaration_the_class_cannot_hold_does_not_stop_a_python_run(spot):
    """Child inherits Quoter's quantities but not its parameters: the warning leaves it out, the run goes on
    (loading it from a config refuses the declaration, as before)."""
    class Child(Quoter):
        def __init__(self, edge=3):
            super().__init__(5, size=7)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mmsim.run(spot, Child(), NO_SIGNALS).n_events == len(spot)


def test_a_twin_built_from_its_type_counts_what_it_holds(spot):
    """breaker15c: `ToxicityPull.python(**p)` and `ToxicityPullPython(**p)` (signature `(*, pure, **params)`) read
    every quantity as its default, warning `size: 1 lot (the default)` of a run quoting 1000000 lots; the twin's
    params are compared with the rule's defaults now. A quantity left out still warns."""
    kind = resolve_strategy(TOX)
    p = dict(size=mmsim.base(0.01, spot), max_position=mmsim.base(1, spot), trade_flow_threshold=mmsim.base(0.5, spot),
             ofi_threshold=mmsim.base(0.5, spot), skew=mmsim.per_base(1, spot))
    for twin in (kind.python(**p), kind.python_class(**p)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mmsim.run(spot, twin, NO_SIGNALS)
    del p["trade_flow_threshold"]
    with pytest.warns(LotUnitWarning) as rec:
        mmsim.run(spot, kind.python_class(**p), NO_SIGNALS)
    assert [str(w.message) for w in rec] == [HEAD.format("ToxicityPull", "0.00000001") + "\n" + TFT]


@pytest.mark.parametrize("lot", [1e-08, 1.0], ids=["spot-lot", "lot-1"])
def test_a_strategy_whose_getattr_raises_another_error_runs(spot, tmp_path, lot):
    """breaker15c: a Strategy reading unknown attributes from a params dict (`__getattr__` raising KeyError) stopped
    mmsim.run with a bare `KeyError: 'kind'` from inside mmsim (the engine asks hasattr / getattr(..., None) what a
    strategy declares), on any store: now a StrategyError naming the protocol it breaks; fixed, it runs."""
    from mmsim.synth import SynthConfig, write_store

    class Params(mmsim.Strategy):
        def __init__(self, size=1):
            self.__dict__["params"] = {"size": size}

        def __getattr__(self, k):
            return self.__dict__["params"][k]

        def quote(self, view):
            return None

    store = spot if lot != 1.0 else mmsim.load(write_store(SynthConfig(seed=3, duration=S, format="l2"),
                                                           tmp_path / "one"))
    with pytest.raises(mmsim.StrategyError) as e:
        mmsim.run(store, Params(), NO_SIGNALS)
    assert str(e.value) == ("strategy Params: looking up an attribute it does not have raised KeyError: "
                            "'_mmsim_no_such_attribute_'; its __getattr__ must raise AttributeError for a missing name "
                            "(Python's protocol: hasattr and getattr(obj, name, default) rely on it)")

    class Fixed(Params):
        def __getattr__(self, k):
            try:
                return self.__dict__["params"][k]
            except KeyError:
                raise AttributeError(k) from None

    assert mmsim.run(store, Fixed(), NO_SIGNALS).n_events == len(store)


def test_a_getattr_answering_every_name_or_only_public_ones_is_named(spot):
    """breaker15d, the same kind: a `__getattr__` returning None for every name passed the probe, then the engine took
    the strategy for a numba one (`TypeError: 'NoneType' object is not callable`); one raising AttributeError for
    private names but KeyError for public ones reached `KeyError: 'label'`. Both are StrategyErrors now."""
    class Answers:
        def __init__(self, size=1):
            self.params = {"size": size}

        def __getattr__(self, n):
            return self.__dict__.get("params", {}).get(n)

        def quote(self, view):
            return None

    class PublicKeyError(Answers):
        def __getattr__(self, n):
            if n.startswith("_"):
                raise AttributeError(n)
            return self.params[n]

    with pytest.raises(mmsim.StrategyError) as e:
        mmsim.run(spot, Answers(), NO_SIGNALS)
    assert str(e.value) == ("strategy Answers: an attribute it does not have, '_mmsim_no_such_attribute_', reads None; "
                            "its __getattr__ must raise AttributeError for a missing name (Python's protocol: hasattr "
                            "and getattr(obj, name, default) rely on it)")
    with pytest.raises(mmsim.StrategyError) as e:
        mmsim.run(spot, PublicKeyError(), NO_SIGNALS)
    assert str(e.value).startswith("strategy PublicKeyError: looking up an attribute it does not have raised KeyError: "
                                   "'mmsim_no_such_attribute'; ")


def test_a_twin_given_a_value_equal_to_its_default_counts_it_as_given(spot):
    """breaker15d: the twin compared its params with the rule's defaults, so `FixedSpreadPython(size=1)` (or
    `size=mmsim.base(0.00000001, store)`, exactly what the warning asks) read `size: 1 lot (the default)` where the
    numba strategy, called alike, warns of nothing: the twin remembers the names it was called with, as it."""
    kind = resolve_strategy(str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread")
    for strategy in (kind(size=1), kind.python(size=1), kind.python_class(size=mmsim.base(0.00000001, spot)),
                     kind(size=1).python()):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mmsim.run(spot, strategy, NO_SIGNALS)
    with pytest.warns(LotUnitWarning):
        mmsim.run(spot, kind.python_class(), NO_SIGNALS)
