"""`mmsim.run(events, None, config)` is a market-only replay on purpose; anything else that is not a strategy is refused."""

from __future__ import annotations

import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, StrategyError

S = 1_000_000_000
EVENTS = [(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (S, Kind.DEPTH, 1, 100, 6),
          (2 * S, Kind.TRADE, -1, 100, 2)]
WHAT = "expected an mmsim.Strategy instance (with quote(view)), a numba strategy, or None (a market-only replay)"


class Quiet(mmsim.Strategy):
    def quote(self, view):
        return None


def test_none_replays_the_market_alone_in_run_and_in_run_many():
    ev = make_events(EVENTS)
    res = mmsim.run(ev, None, mmsim.Config())
    assert (res.strategy, len(res.fills), len(res.orders), res.n_events) == ("none", 0, 0, 4)
    # The market's side is there: a sample each second (the first before the t=0 events: an empty book)
    # and one at the end, each with the 100/102 touch; the position stays 0.
    sm = res.samples
    assert list(sm["exch_ts"]) == [0, S, 2 * S, 2 * S]
    assert list(sm["best_bid"][1:]) == [100, 100, 100] and list(sm["best_ask"][1:]) == [102, 102, 102]
    assert list(sm["position"]) == [0, 0, 0, 0]
    many = mmsim.run_many(ev, [(None, None), (Quiet(), mmsim.Config(latency={"feed": "1ms"}))])
    assert [(r.strategy, len(r.fills), len(r.orders)) for r in many] == [("none", 0, 0), ("Quiet", 0, 0)]


@pytest.mark.parametrize("strategy, label, message", [
    ("fixed_spread", "str", f"strategy str: {WHAT}; 'fixed_spread' is a name: build it with "
                     "mmsim.load_strategy('fixed_spread', params) (an entry-point name or file.py:Class)"),
    (Quiet, "Quiet", f"strategy Quiet: {WHAT}; Quiet is a class: pass an instance, Quiet(...)"),
    (42, "int", f"strategy int: {WHAT}"),
])
def test_what_is_not_a_strategy_says_what_a_strategy_must_be(strategy, label, message):
    ev = make_events(EVENTS)
    with pytest.raises(StrategyError) as info:
        mmsim.run(ev, strategy, mmsim.Config())
    assert str(info.value) == message
    # In run_many the pair is named too.
    with pytest.raises(StrategyError) as info:
        mmsim.run_many(ev, [(None, None), (strategy, None)])
    assert str(info.value) == f"run 1 ({label}): {message}"
