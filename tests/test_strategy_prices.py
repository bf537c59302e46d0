"""A reference rule never hands the engine numba's int64 of a price it could not compute.

``avellaneda_stoikov`` with ``gamma: 1.0e300`` (in its domain) stopped the run with ``quote bid_px =
-9.2233720368547758e+18 is out of range``: ``math.floor`` in numba converts to int64, and the int64 of
NaN, inf or a value beyond 2^63 is -2^63, a price the model never computed (the pure Python path
raised OverflowError instead). The rules now round in float64 (``mmsim.quoting.floor_price``), so the
run stops naming the value the model produced, the same on the fast, jitted and pure paths
(docs/strategies.md, "Prices a model cannot compute").
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import main
from mmsim.errors import StrategyError
from mmsim.plugins import load_strategy
from mmsim.quoting import ceil_price, floor_price, locked_or_crossed, post_only_prices

S = 1_000_000_000
# The local time of the first quote, as the engine's message gives it.
FIRST = r"at local time \d+ ns \([0-9T:.\-]+Z\)"


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("prices") / "store"
    write_store(SynthConfig(seed=3, duration=5 * S), path)
    return mmsim.load(path)


def _fmt(x: float) -> str:
    """The engine's %.17g (fmt_px in cpp/src/variant.cpp)."""
    return "nan" if math.isnan(x) else ("-inf" if x == -math.inf else f"{x:.17g}")


# Hand-computed: the mid (~1e4 ticks) vanishes next to 1e300, so the bid is -(half the spread).
# AS: delta = gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k) = 1e300 * 4 * 1 (+ ~1e-297): bid = -2e300.
# AS with sigma 1e5: gamma sigma^2 tau = 1e310 = inf (q = 0: q * gamma * var_tau = 0): bid = -inf.
# GLFT with k = 1e-300: gamma/(2Ak) (1 + gamma/k)^(k/gamma + 1) = 2.5e298 * 5e298 = inf, c2 = inf,
#   and at q = 0 the skew term inf * 0 is NaN: bid = NaN.
# FixedSpread with half_spread 1e300: bid = -1e300.
CASES = [
    ("avellaneda_stoikov", "AvellanedaStoikov", {"gamma": 1e300, "sigma": 2.0}, "bid_px", -2e300, "is out of range"),
    ("avellaneda_stoikov", "AvellanedaStoikov", {"gamma": 1e300, "sigma": 1e5}, "bid_px", -math.inf, "is not finite"),
    ("glft", "GLFT", {"k": 1e-300, "sigma": 1.0}, "bid_px", math.nan, "is not finite"),
    ("fixed_spread", "FixedSpread", {"half_spread": 1e300}, "bid_px", -1e300, "is out of range"),
]


@pytest.mark.parametrize("module, name, params, field, value, why", CASES,
                         ids=["as-gamma", "as-inf", "glft-nan", "fixed-spread"])
@pytest.mark.parametrize("path", ["fast", "jitted", "pure"])
def test_an_extreme_parameter_stops_the_run_naming_the_computed_price(events, module, name, params, field, value,
                                                                      why, path):
    kind = load_strategy(f"{ROOT / 'strategies' / module}.py:{name}", params)
    strategy = {"fast": kind, "jitted": kind.python(), "pure": kind.python(pure=True)}[path]
    with pytest.raises(StrategyError) as exc:
        mmsim.run(events, strategy, mmsim.Config())
    assert re.fullmatch(f"strategy {name} returned an invalid quote {FIRST}: "
                        + re.escape(f"quote {field} = {_fmt(value)} {why}"), str(exc.value)), str(exc.value)


@pytest.mark.parametrize("params, message", [
    # level_gap 1e300: numba's max(1, int64(1e300 + 0.5)) = max(1, -2^63) quoted the outer level 1 tick out.
    ({"level_gap": 1e300}, f"quote bid level 1 price = {_fmt(-1e300)} is out of range"),
    # slippage 1e300: max(0, -2^63) = 0 sent the IOC at the touch; from flat-at-0 the first fill flattens.
    ({"slippage": 1e300, "flatten_at": 0}, f"order 0 order_px = {_fmt(1e300)} is out of range"),
], ids=["level_gap", "slippage"])
@pytest.mark.parametrize("path", ["fast", "pure"])
def test_the_ladder_names_an_extreme_gap_or_slippage(events, params, message, path):
    kind = load_strategy(f"{ROOT / 'strategies' / 'ladder_flatten'}.py:LadderFlatten", params)
    strategy = kind if path == "fast" else kind.python(pure=True)
    with pytest.raises(StrategyError) as exc:
        mmsim.run(events, strategy, mmsim.Config(ladder_levels=2))
    assert str(exc.value).endswith(": " + message), str(exc.value)
    assert str(exc.value).startswith("strategy LadderFlatten ")


def test_mmsim_run_with_the_issue_s_config(tmp_path, capsys):
    """The issue's run: gamma 1.0e300 and the volatility signal; the message names a price, not -2^63."""
    from mmsim.synth import SynthConfig, write_store

    store = tmp_path / "store"
    write_store(SynthConfig(seed=3, duration=5 * S), store)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{ROOT / 'strategies' / 'avellaneda_stoikov.py'}"
                   ":AvellanedaStoikov'\n  params:\n    gamma: 1.0e300\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    m = re.search(r"quote bid_px = (\S+) is out of range\n$", err)
    assert m is not None, err
    # -(gamma sigma^2 tau) / 2 for the volatility the signal had: finite, far beyond int64, and not -2^63.
    assert float(m.group(1)) < -1e250 and float(m.group(1)) != -2.0 ** 63


@pytest.mark.parametrize("jit", [False, True])
def test_the_helpers_keep_a_non_finite_price(jit):
    from numba import njit

    def through(bid, ask, best_bid, best_ask):
        b, a = post_only_prices(floor_price(bid), ceil_price(ask), best_bid, best_ask)
        return b, a, locked_or_crossed(b, a)

    f = njit(through) if jit else through
    # Finite: rounded and clamped off the far side of the book, as before (floats now).
    assert f(100.4, 102.2, 100, 103) == (100.0, 103.0, False)
    assert f(104.5, 99.5, 100, 103) == (102.0, 101.0, True)   # the targets cross: locked_or_crossed
    assert f(-5e299, 5e299, 100, 103) == (-5e299, 5e299, False)
    # Not finite: returned as they are, never clamped into the book and never read as a locked book.
    b, a, crossed = f(math.nan, 102.0, 100, 103)
    assert math.isnan(b) and (a, crossed) == (102.0, False)
    assert f(math.inf, math.inf, 100, 103) == (math.inf, math.inf, False)
    assert f(-math.inf, -math.inf, 100, 103) == (-math.inf, -math.inf, False)
    b, a, crossed = f(math.nan, math.nan, 100, 103)
    assert math.isnan(b) and math.isnan(a) and not crossed
    # Integer targets (a plugin still using math.floor) are clamped as before.
    assert post_only_prices(105, 99, 100, 103) == (102, 101)


@pytest.mark.parametrize("jit", [False, True])
def test_floor_and_ceil_price_do_what_their_shared_docstring_says(jit):
    """floor_price's docstring holds for both (ceil_price refers to it): arrays element by element,
    float64 out, an integer keeps its value, non-finite and beyond-int64 values as they are."""
    from numba import njit

    def both(x):
        return floor_price(x), ceil_price(x)

    f = njit(both) if jit else both
    lo, hi = f(np.array([1.5, -1.5, 2.0, 1e300, -np.inf]))
    assert lo.dtype == hi.dtype == np.float64 and lo.shape == hi.shape == (5,)
    assert lo.tolist() == [1.0, -2.0, 2.0, 1e300, -np.inf] and hi.tolist() == [2.0, -1.0, 2.0, 1e300, -np.inf]
    assert f(-0.5) == (-1.0, -0.0) and f(7) == (7, 7)
    assert "floor_price" in (ceil_price.__doc__ or "") and "ticks" in (ceil_price.__doc__ or "")
