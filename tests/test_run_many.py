"""``mmsim.run_many``: many runs over one read of the events, each bit-identical to ``mmsim.run`` alone.

Every real data set is replayed with a mix of runs that share nothing but the
events (latency models of every kind, queue models, fees, timers, post-only
off, signal parameters, numba strategies and a Python strategy in one call),
and every array of every result is compared byte for byte with a separate
``run``. Small hand-built cases pin the rest: errors per run, a bad event,
configs that cannot share a pass, progress.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from conftest import make_events, shared_data

import mmsim
from mmsim import Kind, Quote
from mmsim.data import converter
from mmsim.errors import LotUnitWarning
from mmsim.plugins import load_strategy

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE

# name -> (format, file under ../shared/data, order size and position limit in lots)
DATA = {
    "amzn_lobster": ("lobster", ("lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv"), 100, 1000),
    "aapl_lobster10": ("lobster", ("lobster", "AAPL_2012-06-21_34200000_57600000_message_10.csv"), 100, 1000),
    "btcusdt_usdm": ("binance", ("binance", "usdm", "btcusdt_20240808.gz"), 10, 500),
    "ethusdt_usdm": ("binance", ("binance", "usdm", "ethusdt_20240808.gz"), 10, 500),
    "btcusdt_spot": ("binance", ("binance", "spot", "btcusdt_20240808.gz"), 1_000_000, 50_000_000),
    "btcusdt_usdm_2023": ("binance", ("binance", "usdm_2023", "btcusdt_20230404.dat.gz"), 10, 500),
    "esh4_mbo": ("databento", ("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst"), 1, 10),
}


def lat(value) -> mmsim.LatencyModel:
    return mmsim.LatencyModel.parse(value, "latency")


def config(feed=0, entry="500us", response="500us", **kw) -> mmsim.Config:
    latency = mmsim.LatencyConfig(feed=lat(feed), entry=lat(entry), response=lat(response), seed=kw.pop("seed", 0))
    return mmsim.Config(latency=latency, **kw)


def assert_same(a: mmsim.Result, b: mmsim.Result, where: str) -> None:
    """Every array and figure of two results equal, byte for byte (NaN signals included)."""
    for name in ("fills", "orders", "samples", "fill_signals", "decisions"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, (where, name)
        if x.tobytes() != y.tobytes():
            n = min(len(x), len(y))
            first = next((k for k in range(n) if x[k].tobytes() != y[k].tobytes()), n)
            raise AssertionError(f"{where}: {name} differ (lengths {len(x)} and {len(y)}, first at row {first})")
    for name in ("position", "cash_ticks", "fees", "n_calls", "n_events", "unsent_at_end", "tick_value"):
        assert getattr(a, name) == getattr(b, name), (where, name)


def lot_warning(lot: str, base_100: str, ofi_scale: str | None = None) -> str:
    """The lot-unit warning of a run_many of the mix on a store whose lot is ``lot`` base units: signal_skew's
    ``ofi_scale`` (10 lots, ``ofi_scale`` base units) and the signals' bucket volume (100 lots, ``base_100``)
    left at their defaults (docs/strategies.md, "Units of strategy parameters")."""
    strategy = ("" if ofi_scale is None else
                f"strategy SignalSkew: these quantities are in lots, and a lot of this event store is {lot} base units "
                '(docs/strategies.md, "Units of strategy parameters"):\n'
                f"  ofi_scale: 10 lots (the default) = {ofi_scale} base units; in base units pass "
                f"`ofi_scale=mmsim.base({ofi_scale}, store)`\n")
    return (f"{strategy}config: these settings are in lots, and a lot of this event store is {lot} base units "
            '(docs/signals.md, "Bucket volume in base units"):\n'
            f"  signals.vpin_bucket_volume: 100 lots (the default) = {base_100} base units; in base units pass "
            f'`SignalConfig(vpin_bucket_volume="{base_100} base")`')


# The lot-unit warning of the mix on each lot that is not 1 (the others warn of nothing).
MIX_WARNING = {0.001: lot_warning("0.001", "0.1", "0.01"), 1e-08: lot_warning("0.00000001", "0.000001", "0.0000001")}


def check_against_separate_runs(events, runs, warning: str | None = None) -> list[mmsim.Result]:
    """run_many of ``runs`` and each run alone, byte for byte. ``warning``: run_many's exact lot-unit warning
    (each run alone warns of its own lines of it), on a store whose lot is not 1; None: no warning at all."""
    with pytest.warns(LotUnitWarning) if warning else contextlib.nullcontext() as rec:
        many = mmsim.run_many(events, runs)
        assert len(many) == len(runs)
        for k, ((strategy, cfg), r) in enumerate(zip(runs, many)):
            assert_same(r, mmsim.run(events, strategy, cfg), f"run {k}")
    if warning:
        assert all(w.category is LotUnitWarning for w in rec)
        assert str(rec[0].message) == warning
        lines = set(warning.splitlines())
        assert all(set(str(w.message).splitlines()) <= lines for w in rec[1:])
    return many


def real_mix(size: int, max_position: int, recorded: bool, span_ns: int) -> list[tuple]:
    """Eleven runs that share nothing but the events.

    Timers are set from the data's span (a timer fires through gaps in the data: the
    Databento file's snapshot is 22 hours before its trading), about 10,000 to 60,000 ticks.
    """
    p = {"size": size, "max_position": max_position}
    timer = [max(1_000_000, span_ns // k) for k in (40_000, 60_000, 10_000)]
    fixed = load_strategy("fixed_spread", {"half_spread": 1, "size": size})
    ladder = {"half_spread": 1, "size": size, "outer_size": 2 * size, "skew": 0.02, "max_position": max_position,
              "flatten_at": max_position // 2, "flatten_to": 0}
    return [
        (fixed, config(feed=0, decide_every=timer[0])),
        (load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.02, **p}),
         config(feed=1_250_000, queue=mmsim.QueueConfig(model="power", power=2.0),
                fees=mmsim.FeeConfig(maker_bps=-0.5, taker_bps=7.0))),
        (load_strategy("signal_skew", {"half_spread": 1, "imbalance_ticks": 1.0, "ofi_ticks": 1.0, **p}),
         config(feed="37ms", queue=mmsim.QueueConfig(model="log"), post_only=False, decide_every=timer[1],
                signals=mmsim.SignalConfig(ofi_half_life=250_000_000, depth_levels=3))),
        (load_strategy("toxicity_pull", {"half_spread": 1, "trade_flow_threshold": 20.0 * size, **p}),
         config(feed={"lognormal": {"median": "2ms", "sigma": 0.7}}, seed=3,
                fees=mmsim.FeeConfig(maker_per_lot=-0.002, taker_per_lot=0.003))),
        # The Python path, a random entry latency and the slowest feed of the curve.
        (load_strategy("fixed_spread", {"half_spread": 2, "size": size}).python(),
         config(feed="100ms", entry={"lognormal": {"median": "300us", "sigma": 0.4}}, decide_every=timer[2])),
        # Another tick value (a store's tick_size is its own; the contract size may differ).
        (load_strategy("glft", {"gamma": 0.05, **p}),
         config(feed="recorded" if recorded else "20ms", sample_every=100_000_000,
                contract_size=2.0, signals=mmsim.SignalConfig(enabled=False))),
        # One numba strategy object in two runs is fine: each run gets its own state.
        (fixed, config(feed="5ms", max_orders=16)),
        # Ladders (two levels a side) with IOCs toward flat past half the limit, on both paths,
        # and a 1-level strategy under a ladder config, beside the 1-level runs.
        (load_strategy("ladder_flatten", ladder), config(feed=2_000_000, ladder_levels=2,
                                                         fees=mmsim.FeeConfig(maker_bps=-0.5, taker_bps=7.0))),
        (load_strategy("ladder_flatten", ladder).python(), config(feed="10ms", ladder_levels=3, decide_every=timer[0])),
        (fixed, config(feed="3ms", ladder_levels=16)),
        # The recorded feed 5 ms slower: its own delivery per event, beside the recorded one.
        (fixed, config(feed="recorded + 5ms" if recorded else "7ms", decide_every=timer[1])),
    ]


@pytest.fixture(scope="module", params=sorted(DATA), ids=sorted(DATA))
def real(request, tmp_path_factory):
    fmt, parts, size, max_position = DATA[request.param]
    store = converter(fmt)([shared_data(*parts)], tmp_path_factory.mktemp(request.param) / "store")
    return store, size, max_position


def test_run_many_equals_separate_runs_on_every_real_data_set(real):
    store, size, max_position = real
    recorded = bool(store.meta.get("local_ts_recorded"))
    span = int(store.events["exch_ts"][-1] - store.events["exch_ts"][0])
    many = check_against_separate_runs(store, real_mix(size, max_position, recorded, span),
                                       MIX_WARNING.get(store.meta.get("lot_size")))
    # The mix is not degenerate: every run quoted, and the runs differ from one another.
    assert all(r.n_calls > 0 for r in many)
    assert all(len(r.decisions) == r.n_calls for r in many)  # the decision log compared is every call's
    assert sum(len(r.fills) > 0 for r in many) >= 5
    assert len({r.orders.tobytes() for r in many}) == len(many)


@pytest.mark.slow
def test_a_latency_curve_of_sixteen_points_on_the_btcusdt_day(real_store):
    """The shape run_many is for: one strategy at 16 constant feed latencies 0..100 ms, plus a feed 60 s
    behind (the tape then holds a minute of the market between the exchange and that run)."""
    store = real_store("binance", "binance", "usdm", "btcusdt_20240808.gz")
    quoter = load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.02, "size": 10, "max_position": 500})
    runs = [(quoter, config(feed=int(ns))) for ns in np.linspace(0, 100_000_000, 16)]
    runs.append((quoter, config(feed="60s", decide_every=100_000_000)))
    many = check_against_separate_runs(store, runs, lot_warning("0.001", "0.1"))
    assert len({len(r.orders) for r in many}) > 8


# ------------------------------------------------------------------ small hand-built cases


class Fixed(mmsim.Strategy):
    def __init__(self, bid=(0, 0), ask=(0, 0), name="Fixed"):
        self.q = Quote(bid[0], bid[1], ask[0], ask[1])
        self.name = name

    def quote(self, view):
        return self.q


class Puller(mmsim.Strategy):
    """Bid 5 lots at 100 while the ask holds 5 lots or more, else pull it (the cancel race)."""

    def quote(self, view):
        return Quote(100, 5, 0, 0) if view.ask_qty >= 5 else Quote(0, 0, 0, 0)


CANCEL_RACE = [(1000, D, BID, 100, 1), (1000, D, ASK, 101, 10), (2000, D, ASK, 101, 2),
               (2500, T, ASK, 100, 6), (3000, D, ASK, 101, 9)]


def test_each_run_of_a_cancel_race_gets_its_own_outcome():
    # The bid is pulled at t=2000 (local) and a sell hits it at t=2500: an entry latency of
    # 400 ns cancels in time, 600 ns does not (tests/test_engine.py pins both alone).
    ev = make_events(CANCEL_RACE)
    runs = [(Puller(), config(entry=e, response=0)) for e in (400, 600, 450, 700)]
    many = check_against_separate_runs(ev, runs)
    assert [len(r.fills) for r in many] == [0, 1, 0, 1]
    assert [r.position for r in many] == [0, 5, 0, 5]


def test_feed_latencies_deliver_the_same_book_states_at_their_own_times():
    ev = make_events([(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (2000, D, BID, 100, 7),
                      (2500, D, BID, 100, 8)])

    class Recorder(mmsim.Strategy):
        def __init__(self):
            self.seen = []

        def quote(self, view):
            self.seen.append((view.ts, view.bid_qty, view.n_events))
            return None

    recorders = [Recorder() for _ in range(3)]
    mmsim.run_many(ev, [(s, config(feed=f)) for s, f in zip(recorders, (0, 300, 1000))])
    assert recorders[0].seen == [(1000, 10, 2), (2000, 7, 3), (2500, 8, 4)]
    assert recorders[1].seen == [(1300, 10, 2), (2300, 7, 3), (2800, 8, 4)]
    assert recorders[2].seen == [(2000, 10, 2), (3000, 7, 3), (3500, 8, 4)]


def synthetic(n: int = 30_000, seed: int = 7, step: int = 2000) -> np.ndarray:
    """A deterministic market: venue messages of 3 events `step` ns apart, depth updates on
    ten levels around 100/101 (a size of 0 removes the level) and trades that reach into them."""
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = 1_000_000 + np.arange(n, dtype=np.int64) // 3 * step
    ev["local_ts"] = ev["exch_ts"] + rng.integers(0, 4000, n)
    side = rng.choice([BID, ASK], n)
    trade = rng.random(n) < 0.15
    ev["kind"] = np.where(trade, int(T), int(D))
    ev["side"] = side
    ev["price"] = np.where(side == BID, rng.integers(96, 101, n), rng.integers(101, 106, n))
    ev["price"][trade] = np.where(side == BID, rng.integers(101, 105, n), rng.integers(97, 101, n))[trade]
    ev["qty"] = rng.integers(0, 30, n)
    ev["qty"][trade] = rng.integers(1, 40, n)[trade]
    ev["qty"][:10] = 50
    return ev


def test_every_latency_model_queue_model_and_timer_in_one_pass():
    ev = synthetic()
    fixed = load_strategy("fixed_spread", {"half_spread": 1, "size": 3})
    runs = []
    for feed in (0, 2500, 5_000_000, "recorded", {"lognormal": {"median": "3us", "sigma": 1.0}}):
        for queue in ("risk_averse", "power", "log"):
            runs.append((fixed, config(feed=feed, entry="1us", response="2us", queue=mmsim.QueueConfig(model=queue),
                                       decide_every=None if queue != "log" else 7000,
                                       signals=mmsim.SignalConfig(enabled=queue != "power"))))
    runs.append((None, config(feed=0)))  # the market alone, in the same pass
    many = check_against_separate_runs(ev, runs)
    assert many[-1].n_calls == 0 and len(many[-1].samples) > 0
    # A feed 5 ms behind venue messages 2 us apart: the tape holds ~2,500 of them between
    # the exchange and that run (it grows past its first size).
    assert len(many[6].fills) > 0
    assert all(len(r.fills) > 0 for r in many[:-1])


def test_every_feed_delivers_whole_messages_in_one_pass():
    """Recorded and lognormal feeds over messages of 3 events with their own local_ts: each run's decisions see only
    whole messages (the newest event in a view is the last of its message), in the pass as alone."""
    ev = synthetic(6000)
    fixed = load_strategy("fixed_spread", {"half_spread": 1, "size": 3})
    runs = [(fixed, config(feed=feed, entry="1us", response="2us", seed=seed))
            for feed, seed in (("recorded", 0), ({"lognormal": {"median": "3us", "sigma": 1.0}}, 1),
                               ({"lognormal": {"median": "1us", "sigma": 2.0, "min": "500ns"}}, 2))]
    for r in check_against_separate_runs(ev, runs):
        last = r.decisions["event_index"]
        assert len(last) > 100
        assert (ev["exch_ts"][last[last < len(ev) - 1] + 1] != ev["exch_ts"][last[last < len(ev) - 1]]).all()


def test_l3_snapshots_under_new_ids_in_one_pass():
    """The second-snapshot case of tests/test_engine_fidelity.py at several entry latencies and both L3 rules, with
    the checked mode: each run as alone; the run at entry 0 fills 2 lots at t=7000 as computed there."""
    A, E, C = Kind.ADD, Kind.EXECUTE, Kind.CLEAR
    ev = make_events([
        (1000, A, BID, 100, 5, 11), (1000, A, BID, 100, 3, 12), (1000, A, ASK, 101, 10, 20),
        (3000, C, 0, 0, 0), (3000, A, BID, 100, 5, 31), (3000, A, BID, 100, 3, 32), (3000, A, ASK, 101, 10, 40),
        (3500, A, BID, 100, 2, 33),
        (4000, C, 0, 0, 0), (4000, A, BID, 100, 5, 61), (4000, A, BID, 100, 2, 33), (4000, A, BID, 100, 3, 62),
        (4000, A, ASK, 101, 10, 40),
        (5000, E, BID, 100, 3, 62), (6000, E, BID, 100, 5, 61), (6500, A, BID, 100, 4, 63), (7000, E, BID, 100, 4, 63),
    ])
    runs = [(Fixed(bid=(100, 5)), config(entry=entry, response=0, check_invariants=True,
                                          queue=mmsim.QueueConfig(l3_behind_fill=rule)))
            for entry in (0, 100, 2500, 3200) for rule in ("remainder", "hftbacktest")]
    many = check_against_separate_runs(ev, runs)
    f = many[0].fills
    assert [(int(f["exch_ts"][k]), int(f["qty"][k]), int(f["leaves"][k])) for k in range(len(f))] == [(7000, 2, 3)]


def test_signal_parameters_group_runs_and_disabled_signals_read_nan():
    ev = synthetic()
    fixed = load_strategy("fixed_spread", {"half_spread": 1, "size": 3})
    slow, fast = mmsim.SignalConfig(ofi_half_life=1_000_000_000), mmsim.SignalConfig(ofi_half_life=1_000_000)
    runs = [(fixed, config(signals=slow)), (fixed, config(signals=fast)), (fixed, config(signals=slow)),
            (fixed, config(signals=mmsim.SignalConfig(enabled=False)))]
    a, b, c, off = check_against_separate_runs(ev, runs)
    assert len(a.fills) > 0 and a.fills.tobytes() == b.fills.tobytes()  # the quoter ignores signals
    assert not np.array_equal(a.fill_signals["ofi"], b.fill_signals["ofi"])
    assert a.fill_signals.tobytes() == c.fill_signals.tobytes()
    assert np.isnan(off.fill_signals["ofi"]).all() and np.isfinite(a.fill_signals["mid"]).all()


def test_python_and_numba_strategies_mix_and_keep_their_own_state():
    ev = synthetic()
    rule = load_strategy("toxicity_pull", {"half_spread": 1, "size": 3, "trade_flow_threshold": 30.0})
    runs = [(rule, config(feed=f)) for f in (0, 3000)] + [(rule.python(), config(feed=f)) for f in (0, 3000)]
    many = check_against_separate_runs(ev, runs)
    assert_same(many[0], many[2], "numba and Python paths at 0 ns")
    assert_same(many[1], many[3], "numba and Python paths at 3 us")


class Boom(mmsim.Strategy):
    name = "boom"

    def quote(self, view):
        if view.ts >= 2000:
            raise ValueError("bad day")
        return None


def test_a_strategy_error_names_the_run_and_stops_the_pass():
    ev = make_events(CANCEL_RACE)
    runs = [(Puller(), config()), (Boom(), config()), (Puller(), config(feed=100))]
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run_many(ev, runs)
    assert str(info.value) == ("run 1 (boom): strategy boom raised ValueError in quote() at local time 2000 ns "
                               "(1970-01-01T00:00:00.000002000Z): bad day "
                               f"(test_run_many.py line {Boom.quote.__code__.co_firstlineno + 2})")
    assert info.value.run_index == 1
    assert isinstance(info.value.__cause__, ValueError)


def test_return_exceptions_keeps_the_other_runs_going():
    ev = make_events(CANCEL_RACE)
    runs = [(Puller(), config()), (Boom(), config()), (Puller(), config(feed=100, entry=600))]
    ok0, err, ok2 = mmsim.run_many(ev, runs, return_exceptions=True)
    assert isinstance(err, mmsim.StrategyError) and err.run_index == 1
    assert str(err).startswith("run 1 (boom): strategy boom raised ValueError in quote() at local time 2000 ns")
    assert_same(ok0, mmsim.run(ev, Puller(), runs[0][1]), "run 0")
    assert_same(ok2, mmsim.run(ev, Puller(), runs[2][1]), "run 2")
    assert len(ok2.fills) == 1


def test_a_bad_event_fails_every_run_with_the_event_index():
    ev = make_events([(1000, D, BID, 100, 1), (1000, D, ASK, 101, 10), (900, D, BID, 100, 2)])
    runs = [(Fixed(bid=(100, 1)), config()), (None, config(feed=50))]
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run_many(ev, runs)
    assert str(info.value) == "event 2: events are not sorted by exch_ts (900 after 1000)"
    assert info.value.index == 2 and info.value.run_index is None
    errors = mmsim.run_many(ev, runs, return_exceptions=True)
    assert [str(e) for e in errors] == [str(info.value)] * 2
    assert all(isinstance(e, mmsim.DataError) and e.index == 2 for e in errors)


def test_a_recorded_feed_before_its_event_fails_only_that_run():
    # local_ts 900 < exch_ts 1000: the recorded feed cannot deliver event 2; a modelled feed can.
    ev = make_events([(500, D, BID, 100, 5, 0, 600), (500, D, ASK, 101, 5, 0, 650), (1000, D, BID, 100, 3, 0, 900),
                      (2000, T, ASK, 100, 9, 0, 2100)])
    recorded = config(feed="recorded")
    runs = [(Fixed(bid=(100, 2)), recorded), (Fixed(bid=(100, 2)), config(feed=10))]
    bad, ok = mmsim.run_many(ev, runs, return_exceptions=True)
    assert isinstance(bad, mmsim.DataError) and bad.run_index == 0 and bad.index == 2
    assert str(bad).startswith("run 0 (Fixed): event 2: local_ts 900 is before exch_ts 1000")
    assert_same(ok, mmsim.run(ev, Fixed(bid=(100, 2)), runs[1][1]), "run 1")
    with pytest.raises(mmsim.DataError, match=r"^event 2: local_ts 900 is before exch_ts 1000"):
        mmsim.run(ev, Fixed(bid=(100, 2)), recorded)


def test_configs_that_cannot_share_a_pass_are_config_errors():
    ev = make_events(CANCEL_RACE)
    # A run description (RunConfig) names its data; run_many takes it for the engine config inside. It names the
    # strategy each run is given (Puller, this file's): one naming another is refused (tests/test_run_config19.py).
    strat = mmsim.StrategyConfig(path=f"{__file__}:Puller")
    a = mmsim.RunConfig(data="/stores/amzn", strategy=strat, engine=config())
    b = mmsim.RunConfig(data="/stores/aapl", strategy=strat, engine=config())
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.run_many(ev, [(Puller(), a), (Puller(), config()), (Puller(), b)])
    assert str(info.value) == ("run 2 (Puller): data '/stores/aapl' differs from run 0's '/stores/amzn': one pass "
                               "replays one event array; call run_many once per event store")
    # The same store named by every run is fine.
    check_against_separate_runs(ev, [(Puller(), a), (Puller(), a.replace(engine=config(feed=100)))])
    shared = Puller()
    with pytest.raises(mmsim.ConfigError, match=r"^run 1 \(Puller\): the same Python strategy object as run 0; give each "
                                                r"run its own instance"):
        mmsim.run_many(ev, [(shared, config()), (shared, config(feed=100))])
    with pytest.raises(mmsim.ConfigError, match=r"^run 0: expected a \(strategy, config\) pair, got 3 items$"):
        mmsim.run_many(ev, [(Puller(), config(), 1)])
    with pytest.raises(mmsim.ConfigError, match=r"^run 1 \(Puller\): config must be an mmsim.Config or RunConfig, got dict$"):
        mmsim.run_many(ev, [(Puller(), None), (Puller(), {})])
    assert mmsim.run_many(ev, []) == []


class ResetFails(mmsim.Strategy):
    name = "rf"

    def reset(self):
        raise KeyError("k")

    def quote(self, view):
        return None


def test_every_error_of_a_run_names_it_one_way_before_and_inside_the_pass():
    """``run k (label): `` before the pass (a config refused) as inside it (a strategy failing), and in a pass of
    one run too (it had ``runs[k]: `` before the pass, ``run k (label): `` inside it only with several runs)."""
    ev = make_events(CANCEL_RACE)
    where = f"(test_run_many.py line {Boom.quote.__code__.co_firstlineno + 2})"
    failed = ("strategy boom raised ValueError in quote() at local time 2000 ns (1970-01-01T00:00:00.000002000Z): "
              f"bad day {where}")
    with pytest.raises(mmsim.StrategyError) as info:  # inside the pass, the only run
        mmsim.run_many(ev, [(Boom(), config())])
    assert str(info.value) == f"run 0 (boom): {failed}" and info.value.run_index == 0
    (alone,) = mmsim.run_many(ev, [(Boom(), config())], return_exceptions=True)
    assert str(alone) == f"run 0 (boom): {failed}" and alone.run_index == 0
    with pytest.raises(mmsim.ConfigError) as info:  # before the pass: the same prefix
        mmsim.run_many(ev, [(Puller(), config()), (Boom(), {})])
    assert str(info.value) == "run 1 (boom): config must be an mmsim.Config or RunConfig, got dict"
    # reset() before the run, in a pass of one: named as well.
    line = ResetFails.reset.__code__.co_firstlineno + 1
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run_many(ev, [(ResetFails(), config())])
    assert str(info.value) == ("run 0 (rf): strategy rf raised KeyError in reset() before the run: 'k' "
                               f"(test_run_many.py line {line})")
    # mmsim.run names no run.
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(ev, Boom(), config())
    assert str(info.value) == failed and info.value.run_index is None


class Sized(mmsim.Strategy):
    """A Python strategy with one parameter, which a RunConfig naming this file builds."""

    def __init__(self, size: float = 1.0) -> None:
        self.size = size

    def quote(self, view):
        return None


def test_an_error_before_the_pass_carries_its_run_index():
    """Before the pass an error named its run (``run 2 (Puller): ``) but its ``run_index`` was None, where an error
    in the pass has k; and an unknown parameter of the strategy a RunConfig names had no prefix at all. Now both,
    a ConfigError and a StrategyError alike, whatever ``return_exceptions`` says (with it, in the run's place)."""
    ev = make_events(CANCEL_RACE)
    strat = mmsim.StrategyConfig(path=f"{__file__}:Puller")
    a = mmsim.RunConfig(data="/stores/amzn", strategy=strat, engine=config())
    b = mmsim.RunConfig(data="/stores/aapl", strategy=strat, engine=config())
    with pytest.raises(mmsim.ConfigError) as info:  # a config for another data set
        mmsim.run_many(ev, [(Puller(), a), (Puller(), config()), (Puller(), b)])
    assert str(info.value) == ("run 2 (Puller): data '/stores/aapl' differs from run 0's '/stores/amzn': one pass "
                               "replays one event array; call run_many once per event store")
    assert info.value.run_index == 2
    *_, dropped = mmsim.run_many(ev, [(Puller(), a), (Puller(), config()), (Puller(), b)], return_exceptions=True)
    assert str(dropped) == str(info.value) and dropped.run_index == 2
    bogus = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path=f"{__file__}:Sized", params={"sise": 2}),
                            engine=config())
    with pytest.raises(mmsim.ConfigError) as info:  # an unknown parameter (it was unprefixed)
        mmsim.run_many(ev, [(Puller(), config()), (Sized(), bogus)])
    assert str(info.value) == "run 1 (Sized): strategy Sized: unknown parameter 'sise' (it takes: size)"
    assert info.value.run_index == 1
    with pytest.raises(mmsim.ConfigError) as info:  # not a pair: no strategy to name
        mmsim.run_many(ev, [(Puller(), config()), (Puller(), config()), (Puller(), config(), 1)])
    assert str(info.value) == "run 2: expected a (strategy, config) pair, got 3 items" and info.value.run_index == 2
    with pytest.raises(mmsim.StrategyError) as info:  # a class, not a strategy
        mmsim.run_many(ev, [(Puller(), config()), (Puller, config())])
    assert str(info.value) == ("run 1 (Puller): strategy Puller: expected an mmsim.Strategy instance (with "
                               "quote(view)), a numba strategy, or None (a market-only replay); Puller is a class: "
                               "pass an instance, Puller(...)")
    assert info.value.run_index == 1
    line = ResetFails.reset.__code__.co_firstlineno + 1
    with pytest.raises(mmsim.StrategyError) as info:  # reset() raised, before the pass
        mmsim.run_many(ev, [(Puller(), config()), (ResetFails(), config())])
    assert str(info.value) == ("run 1 (rf): strategy rf raised KeyError in reset() before the run: 'k' "
                               f"(test_run_many.py line {line})")
    assert info.value.run_index == 1


def test_a_lone_run_refused_before_the_pass_is_run_0():
    ev = make_events(CANCEL_RACE)
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.run_many(ev, [(Puller(), {})])
    assert str(info.value) == "run 0 (Puller): config must be an mmsim.Config or RunConfig, got dict"
    assert info.value.run_index == 0
    (refused,) = mmsim.run_many(ev, [(Puller, config())], return_exceptions=True)
    assert isinstance(refused, mmsim.StrategyError)
    assert str(refused).startswith("run 0 (Puller): strategy Puller: expected an mmsim.Strategy instance")
    assert refused.run_index == 0
    # mmsim.run names no run, before the pass as in it.
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.run(ev, Puller(), {})
    assert str(info.value) == "config must be an mmsim.Config or RunConfig, got dict" and info.value.run_index is None


def test_progress_reports_events_done_of_the_total():
    ev = synthetic(200_000)
    seen = []
    fixed = load_strategy("fixed_spread", {"half_spread": 1, "size": 3})
    runs = [(fixed, config(feed=f)) for f in (0, 10_000)]
    many = mmsim.run_many(ev, runs, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(ev), len(ev))
    assert all(t == len(ev) for _, t in seen) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    for r, (s, c) in zip(many, runs):
        assert_same(r, mmsim.run(ev, s, c), "with progress")
