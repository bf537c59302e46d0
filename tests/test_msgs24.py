"""Messages that named the wrong thing (breaker24, fixed by msgs24): an empty side's marker quoted as a price,
a Python integer size shown as a float, a numba rule's bad return code with its context twice."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Order, Quote
from mmsim.numba_strategy import numba_strategy

WHEN = f"at local time {mmsim.engine.format_ts(1000)}"
# A one-sided book: bids only at t=1000 (the ask side is empty), or asks only.
BIDS_ONLY = make_events([(1000, Kind.DEPTH, 1, 100, 10), (2000, Kind.DEPTH, 1, 100, 11)])
ASKS_ONLY = make_events([(1000, Kind.DEPTH, -1, 101, 10), (2000, Kind.DEPTH, -1, 101, 11)])
ASK_EMPTY = ("is the empty-side marker of view.best_ask (the ask side is empty: check view.ask_qty > 0 before "
             "quoting from it)")
BID_EMPTY = ("is the empty-side marker of view.best_bid (the bid side is empty: check view.bid_qty > 0 before "
             "quoting from it)")


class Both(mmsim.Strategy):
    """Quotes at the local best on both sides, empty or not (the mistake)."""

    def quote(self, view):
        return Quote(view.best_bid, 1, view.best_ask, 1)


class LadderAsk(mmsim.Strategy):
    def quote(self, view):
        return Quote.ladder(bids=[(view.best_bid, 1)], asks=[(view.best_ask + 0, 1)])


class IocAtBestBid(mmsim.Strategy):
    def quote(self, view):
        return Quote.keep(orders=[Order.ioc(-1, view.best_bid, 1)])


def test_a_python_quote_at_the_empty_ask_is_named_as_the_marker():
    """Was ``quote ask_px = 9223372036854775807 is out of range``."""
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BIDS_ONLY, Both())
    assert str(info.value) == f"strategy Both returned an invalid quote {WHEN}: quote ask_px = 9223372036854775807 {ASK_EMPTY}"


def test_a_python_quote_at_the_empty_bid_is_named_as_the_marker():
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ASKS_ONLY, Both())
    assert str(info.value) == f"strategy Both returned an invalid quote {WHEN}: quote bid_px = -9223372036854775808 {BID_EMPTY}"


class FloatAsk(mmsim.Strategy):
    def quote(self, view):
        return Quote(float(view.best_bid), 1, float(view.best_ask), 1)


def test_a_python_quote_at_the_marker_as_a_float_is_named_by_the_engines_message():
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BIDS_ONLY, FloatAsk())
    assert str(info.value) == (f"strategy FloatAsk returned an invalid quote {WHEN}: quote ask_px = "
                               f"9.2233720368547758e+18 {ASK_EMPTY}")


def test_a_ladder_level_and_an_explicit_orders_price_at_the_marker_are_named():
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BIDS_ONLY, LadderAsk(), mmsim.Config(ladder_levels=2))
    # (Quote.ladder refuses it as it is built, inside quote(): the line is the strategy's)
    assert str(info.value) == (f"strategy LadderAsk raised TypeError in quote() {WHEN}: Quote.ladder: asks[0] price = "
                               f"9223372036854775807 {ASK_EMPTY} (test_msgs24.py line 33)")
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ASKS_ONLY, IocAtBestBid())
    assert str(info.value) == (f"strategy IocAtBestBid raised TypeError in quote() {WHEN}: Quote.keep: order 0 price "
                               f"= -9223372036854775808 {BID_EMPTY} (test_msgs24.py line 38)")


@numba_strategy(params={"ladder": 0.0, "order": 0.0})
def quote_best(view, params, state, out):
    """Quote the local best on both sides without looking at the sizes: 1-level, ladder level 0, or an IOC."""
    if params.order > 0:
        out.n_orders = 1
        out.order_type[0] = 2
        out.order_side[0] = 1
        out.order_px[0] = view.best_ask
        out.order_qty[0] = 1.0
        return 0
    if params.ladder > 0:
        out.n_bid_levels = 1
        out.n_ask_levels = 1
        out.bid_ladder_px[0] = view.best_bid
        out.bid_ladder_qty[0] = 1.0
        out.ask_ladder_px[0] = view.best_ask
        out.ask_ladder_qty[0] = 1.0
        return 1
    out.bid_px = view.best_bid
    out.ask_px = view.best_ask
    out.bid_qty = 1.0
    out.ask_qty = 1.0
    return 1


NUMBA_BID = ("is out of range (-2^63 is the empty-side marker of view.best_bid (if the bid side is empty, check "
             "view.bid_qty > 0 before quoting from it), and what numba's int() makes of inf, NaN or a number beyond "
             "int64, and what an int64 sum that wrapped around gives, e.g. best_ask + 1 on an empty ask side, where "
             "best_ask is 2^63 - 1: the strategy most likely computed a non-finite or wrapped price)")


@pytest.mark.parametrize("path", ["fast", "python", "pure"])
def test_a_numba_rules_quote_at_an_empty_side_is_named_as_the_marker(path):
    """Was ``quote ask_px = 9.2233720368547758e+18 is out of range`` on all three paths (the engine's message)."""
    def make(**params):
        rule = quote_best(**params)
        return rule if path == "fast" else rule.python(pure=path == "pure")

    cases = [
        (BIDS_ONLY, {}, "returned an invalid quote", f"quote ask_px = 9.2233720368547758e+18 {ASK_EMPTY}"),
        (BIDS_ONLY, {"ladder": 1.0}, "returned an invalid quote",
         f"quote ask level 0 price = 9.2233720368547758e+18 {ASK_EMPTY}"),
        (BIDS_ONLY, {"order": 1.0}, "sent an invalid order", f"order 0 order_px = 9.2233720368547758e+18 {ASK_EMPTY}"),
        (ASKS_ONLY, {}, "returned an invalid quote", f"quote bid_px = -9.2233720368547758e+18 {NUMBA_BID}"),
    ]
    for events, params, verb, said in cases:
        with pytest.raises(mmsim.StrategyError) as info:
            mmsim.run(events, make(**params), mmsim.Config(ladder_levels=2))
        assert str(info.value) == f"strategy quote_best {verb} {WHEN}: {said}", params


class HugeSize(mmsim.Strategy):
    def __init__(self, size):
        self.size = size

    def quote(self, view):
        return Quote(view.best_bid, self.size, view.best_ask, 1)


BOOK = make_events([(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10)])


@pytest.mark.parametrize(("size", "said"), [
    (2**62, "4611686018427387904"),  # exact as a float: the engine named 4.6116860184273879e+18
    (np.int64(2**53), "9007199254740992"),  # the first integer out of range
    (np.uint64(2**63 + 5), "9223372036854775813"),
    (-(2**60), "-1152921504606846976"),
])
def test_an_integer_size_out_of_range_is_quoted_as_the_integer(size, said):
    """Was ``quote bid_qty = 4.6116860184273879e+18 is out of range`` for ``2**62``."""
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BOOK, HugeSize(size))
    assert str(info.value) == f"strategy HugeSize returned an invalid quote {WHEN}: quote bid_qty = {said} is out of range"


@numba_strategy(params={"code": 7.0})
def ret_code(view, params, state, out):
    return int(params.code)


@numba_strategy(params={"size": 1.0})
def ret_float(view, params, state, out):
    return 1.5


@pytest.mark.parametrize("pure", [False, True])
def test_a_rules_bad_return_code_on_the_python_path_says_its_context_once(pure):
    """Was ``strategy ret7 raised StrategyError in quote() at local time X: strategy ret7 at local time X ns: the
    strategy returned ...``; now as the fast path says it."""
    said = ("the strategy returned a value other than 0 (no change) or 1 (quote in out) (it returned 7)")
    for strat in (ret_code(), ret_code().python(pure=pure)):
        with pytest.raises(mmsim.StrategyError) as info:
            mmsim.run(BOOK, strat)
        assert str(info.value) == f"strategy ret_code failed {WHEN}: {said}"
    # Another refused return (not an integer: the fast path cannot compile it, the Python path runs it): once too.
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BOOK, ret_float.python(pure=pure))
    assert str(info.value) == (f"strategy ret_float failed {WHEN}: the rule must return an integer (0 = no change, "
                               "1 = out holds the quote), it returned 1.5")


def _synth_refusal(tmp_path, text):
    import os

    from mmsim.synth.config import load_synth_config

    (tmp_path / "s.yaml").write_text(text)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(mmsim.ConfigError) as info:
            load_synth_config("s.yaml")
    finally:
        os.chdir(here)
    return str(info.value)


@pytest.mark.parametrize(("text", "expected"), [
    # was: synth config key 'fv_step': ... got 10000000 (a key not in the file, no line)
    ("seed: 1\nduration: 8784h\n",
     "synth config key 'duration': the session would make 3,162,240,000 diffusion steps (duration / fv_step (the "
     "default 10ms)), more than the 1,073,741,824 (2**30) the generator can step through; raise fv_step, lower "
     "jump_rate or shorten duration, got '8784h' (s.yaml line 2)"),
    # 0.3 x sqrt(3,600,000 s) = 569.21 ticks a step; was: synth config key 'fv_vol': ... got 0.3
    ("fv_step: 1000h\n",
     "synth config key 'fv_step': one diffusion step would move the fair value by 569.21 ticks (a standard deviation: "
     "fv_vol (the default 0.3) x sqrt(fv_step in s)), more than the 256 (1/64 of the generator's 16384-tick book "
     "window) one move may; lower fv_vol or fv_step, got '1000h' (s.yaml line 1)"),
    # was: synth config key 'duration': must end before 2**63 ns after the epoch (with start), got 3600000000000
    ("start: '2262-04-11T23:30:00Z'\n",
     "synth config key 'start': the session must end before 2**63 ns after the epoch (start + duration (the default "
     "3600s)), got '2262-04-11T23:30:00Z' (s.yaml line 1)"),
    # 2 x (100 x 1000 + 5 x 4950) lots in 1-lot orders = 249,500 orders, x 2.5 x 1 cancels + 30 + 50 = 623,830 a
    # second, over the default hour: was "synth config key 'duration': ... got 3600000000000"
    ("lp_levels: 100\nlp_depth: 1000\nlp_order_size_mean: 1\nlp_cancel_rate: 1\n",
     "synth config key 'lp_cancel_rate': the session would make about 3,369,684,096 events (623,830 a second: "
     "lp_cancel_rate x the book's orders, noise_rate, informed_rate; over duration (the default 3600s)), more than the "
     "1,073,741,824 (2**30) the generator can hold; shorten duration or lower the rates, got 1 (s.yaml line 4)"),  # as written (lead, 23)
])
def test_a_synth_limit_names_the_written_key_and_the_default_that_made_it_bite(tmp_path, text, expected):
    assert _synth_refusal(tmp_path, text) == expected


def test_a_synth_limit_names_its_own_key_when_written_and_a_python_config_counts_changed_keys_as_written():
    from mmsim.synth import SynthConfig

    # written (by value, in Python): as before, no default named
    with pytest.raises(mmsim.ConfigError) as info:
        SynthConfig(duration="20s", fv_step=1)
    assert str(info.value) == ("synth config key 'fv_step': the session would make 20,000,000,000 diffusion steps "
                               "(duration / fv_step), more than the 1,073,741,824 (2**30) the generator can step "
                               "through; raise fv_step, lower jump_rate or shorten duration, got 1")
    with pytest.raises(mmsim.ConfigError) as info:
        SynthConfig(duration="8784h")
    assert str(info.value).startswith("synth config key 'duration': the session would make 3,162,240,000 diffusion "
                                      "steps (duration / fv_step (the default 10ms)),")


def _grid_refusal(tmp_path, body):
    from mmsim.sweep import load_grid

    (tmp_path / "grid.yaml").write_text("base:\n  data: store\n  strategy: {path: 'fixed_spread.py:FixedSpread'}\n"
                                        + body)
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(tmp_path / "grid.yaml")
    return str(info.value).replace(str(tmp_path) + "/", "")


OUTPUT_WHY = "the grid's `output:` names the sweep's folder; each point gets its own inside it"


def test_output_cannot_be_an_axis(tmp_path):
    """Was ``axes.output[1]: 'b' is 'a' (axes.output[0]) once read, so the grid would run the same point twice``."""
    assert _grid_refusal(tmp_path, "axes:\n  latency.feed: [0ms, 1ms]\n  output: [a, b]\n") == (
        f"axes.output: output cannot be an axis: {OUTPUT_WHY} (grid.yaml line 6)")


def test_output_cannot_be_a_points_setting(tmp_path):
    # the same kind through points: two points differing only in output were one point read twice
    assert _grid_refusal(tmp_path, "points:\n  - {latency.feed: 1ms}\n  - {latency.feed: 2ms, output: b}\n") == (
        f"points[1].output: output cannot be set per point: {OUTPUT_WHY} (grid.yaml line 6)")


@pytest.mark.parametrize(("price", "reason"), [
    # the breaker's: was "price 10000000000000000.0000 is off the tick grid (0.01)", a printed value on the grid
    ("99999999999999999999", "price 99999999999999999999 is beyond the largest accepted, 2**53 - 1 ticks of 0.01; "
                             "check the tick size or the price unit"),
    # on the grid and beyond the engine's range: was accepted as far as the store's own check
    ("99999999999999999900", "price 99999999999999999900 is beyond the largest accepted, 2**53 - 1 ticks of 0.01; "
                             "check the tick size or the price unit"),
    # in range, off the grid, beyond what a float keeps to 4 decimals: printed exactly (a float gave .0992)
    ("9007199254740993", "price 900719925474.0993 is off the tick grid (0.01)"),
])
def test_a_lobster_price_beyond_a_float_or_the_engine_is_quoted_exactly(tmp_path, price, reason):
    from test_data_errors import GOOD_BOOK, GOOD_MSG, lobster_files

    from mmsim.data import lobster as lob

    m = lobster_files(tmp_path, GOOD_MSG[:2] + [f"34200.3,1,103,5,{price},1"], GOOD_BOOK[:2] + ["1000200,7,1000100,7"])
    with pytest.raises(mmsim.DataError) as info:
        lob.convert([m], tmp_path / "s")
    assert str(info.value) == f"{m}: line 3: {reason}"


def test_a_databento_price_off_the_grid_is_quoted_exactly(tmp_path):
    """4800.250000001 printed as ``4800.25`` (``:g``), on the 0.25 grid it was said to be off."""
    from test_data_errors import mbo

    from mmsim.data import databento as dbt

    rows = ["100,90,0,1,7,ES,A,B,4800.00,2,11,130,0", "200,190,0,2,7,ES,A,A,4800.250000001,1,12,130,0"]
    p = tmp_path / "d.csv"
    p.write_text(mbo(rows))
    with pytest.raises(mmsim.DataError) as info:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(info.value) == f"{p}: line 3: price 4800.250000001 is off the tick grid (0.25)"


@pytest.mark.parametrize(("ns", "shown"), [
    (1, "1 ns"), (999, "999 ns"), (1_000, "1 µs"), (250_000_000, "250 ms"), (1_500_000_000, "1.5 s"),
    (90 * 10**9, "1.5 min"), (23_400 * 10**9, "6.5 h"), (8784 * 3600 * 10**9, "8784 h"), (10**9 + 1, "1 s"),
    (0, "0 s"), (-2_000_000, "-2 ms"),
])
def test_readable_ns_reads_a_duration_in_its_unit(ns, shown):
    from mmsim.config._units import readable_ns

    assert readable_ns(ns) == shown


@pytest.mark.parametrize(("duration", "shown"), [("1", "1 ns"), ("250ms", "250 ms")])
def test_synth_says_its_duration_in_the_unit_it_reads_best(tmp_path, duration, shown):
    """``duration: 1`` printed ``(1e-09 s of SYNTH, ...)``."""
    import subprocess
    import sys

    (tmp_path / "s.yaml").write_text(f"duration: {duration}\nseed: 3\n")
    done = subprocess.run([sys.executable, "-m", "mmsim", "synth", "s.yaml", "-o", "out", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"L3 events ({shown} of SYNTH, informed on, seed 3) to out in " in done.stderr
