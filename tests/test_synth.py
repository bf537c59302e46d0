"""Tests of the synthetic market: determinism, book validity, informed flow, config errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mmsim
from mmsim import ConfigError, Kind
from mmsim.synth import AGENT_NAMES, SynthConfig, generate, simulate, write_store

NONE_BID = np.iinfo(np.int64).min
NONE_ASK = np.iinfo(np.int64).max
S = 1_000_000_000

#: Two minutes of the default market: ~30k events, enough for every event kind.
SHORT = SynthConfig(seed=7, duration=120 * S)


@pytest.fixture(scope="module")
def short_day():
    return simulate(SHORT)


def replay_l3(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild an L3 book from the events alone, asserting every L3 rule; return the top after each event."""
    orders: dict[int, list[int]] = {}
    levels = {1: {}, -1: {}}
    bb = np.empty(len(ev), np.int64)
    ba = np.empty(len(ev), np.int64)
    for i, (_, _, px, qty, oid, kind, side) in enumerate(ev.tolist()):
        book = levels[side]
        assert qty > 0, f"event {i}: qty {qty}"
        if kind == Kind.ADD:
            assert oid not in orders, f"event {i}: order id {oid} reused"
            orders[oid] = [side, px, qty]
            book[px] = book.get(px, 0) + qty
        else:
            assert oid in orders, f"event {i}: unknown order id {oid}"
            o_side, o_px, o_qty = orders[oid]
            assert (o_side, o_px) == (side, px), f"event {i}: side/price differ from the order's"
            if kind == Kind.DELETE:
                assert qty == o_qty, f"event {i}: DELETE qty {qty} != remaining {o_qty}"
            elif kind == Kind.CANCEL:
                assert qty < o_qty, f"event {i}: CANCEL of {qty} >= remaining {o_qty}"
            else:
                assert kind == Kind.EXECUTE, f"event {i}: kind {kind} in an L3 stream"
                assert qty <= o_qty, f"event {i}: EXECUTE of {qty} > remaining {o_qty}"
            orders[oid][2] -= qty
            if orders[oid][2] == 0:
                del orders[oid]
            book[px] -= qty
            if book[px] == 0:
                del book[px]
        bb[i] = max(levels[1]) if levels[1] else NONE_BID
        ba[i] = min(levels[-1]) if levels[-1] else NONE_ASK
    return bb, ba


def replay_l2(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild an L2 book; a TRADE must print at the opposite best and not exceed its quantity."""
    levels = {1: {}, -1: {}}
    bb = np.empty(len(ev), np.int64)
    ba = np.empty(len(ev), np.int64)
    for i, (_, _, px, qty, oid, kind, side) in enumerate(ev.tolist()):
        assert oid == 0
        if kind == Kind.DEPTH:
            assert qty >= 0
            if qty:
                levels[side][px] = qty
            else:
                levels[side].pop(px, None)
        else:
            assert kind == Kind.TRADE, f"event {i}: kind {kind} in an L2 stream"
            resting = levels[-side]
            best = min(resting) if side > 0 else max(resting)
            assert px == best and 0 < qty <= resting[px], f"event {i}: trade {qty}@{px} vs best {best}"
        bb[i] = max(levels[1]) if levels[1] else NONE_BID
        ba[i] = min(levels[-1]) if levels[-1] else NONE_ASK
    return bb, ba


def test_same_seed_same_events_bit_for_bit():
    a = generate(SHORT)
    b = generate(SHORT)
    assert a.dtype == mmsim.EVENT_DTYPE
    assert a.tobytes() == b.tobytes()
    c = generate(SHORT.replace(seed=8))
    assert len(a) != len(c) or a.tobytes() != c.tobytes()


def test_timestamps_increase_and_local_equals_exchange(short_day):
    ev = short_day.events
    step = np.diff(ev["exch_ts"])
    assert np.all(step >= 0)
    # only one taker order's executions share a time (a sweep is one matching-engine action)
    same = np.flatnonzero(step == 0) + 1
    assert len(same) > 100
    assert np.all(ev["kind"][same] == Kind.EXECUTE) and np.all(ev["kind"][same - 1] == Kind.EXECUTE)
    assert np.all(short_day.agent[same] == short_day.agent[same - 1])
    assert np.all(short_day.agent[same] != AGENT_NAMES.index("lp"))
    assert np.array_equal(ev["local_ts"], ev["exch_ts"])
    assert ev["exch_ts"][0] >= SHORT.start
    assert ev["exch_ts"][-1] < SHORT.start + SHORT.duration
    # a couple of minutes of the default market is tens of thousands of events
    assert 15_000 < len(ev) < 60_000


def test_l3_book_is_valid_and_never_crossed(short_day):
    ev = short_day.events
    assert set(np.unique(ev["kind"])) == {Kind.ADD, Kind.CANCEL, Kind.DELETE, Kind.EXECUTE}
    bb, ba = replay_l3(ev)
    # the generator's own record of the top matches an independent rebuild
    assert np.array_equal(bb, short_day.best_bid)
    assert np.array_equal(ba, short_day.best_ask)
    # both sides present after the opening book, never crossed nor locked
    opening = 2 * SHORT.lp_levels
    assert np.all(bb[opening:] > NONE_BID) and np.all(ba[opening:] < NONE_ASK)
    assert np.all(bb < ba)


def test_l2_book_is_valid_and_never_crossed():
    day = simulate(SHORT.replace(format="l2"))
    ev = day.events
    assert set(np.unique(ev["kind"])) == {Kind.DEPTH, Kind.TRADE}
    bb, ba = replay_l2(ev)
    assert np.array_equal(bb, day.best_bid)
    assert np.array_equal(ba, day.best_ask)
    assert np.all(bb < ba)
    # same seed: the L2 stream is the L3 session seen by price level, so the
    # trades are the L3 executions summed per aggressor order and level
    l3 = simulate(SHORT).events
    l3_volume = l3["qty"][l3["kind"] == Kind.EXECUTE].sum()
    assert ev["qty"][ev["kind"] == Kind.TRADE].sum() == l3_volume


@pytest.mark.parametrize("fmt", ["l3", "l2"])
def test_engine_replays_the_store_and_agrees_on_the_book(fmt):
    day = simulate(SHORT.replace(format=fmt))
    # the engine validates every event (unknown ids, negative sizes, DELETE != remaining,
    # time going backwards) and raises DataError naming the event index on the first bad one
    top = mmsim.replay_bbo(day.events)
    assert np.array_equal(top["best_bid"], day.best_bid)
    assert np.array_equal(top["best_ask"], day.best_ask)
    result = mmsim.run(day.events, None, mmsim.Config(tick_size=SHORT.tick_size))
    assert result.n_events == len(day.events)


def _trade_markouts(day, horizon_ns: int):
    """Aggressor-signed mid change from just before each execution to ``horizon_ns`` after it, ticks."""
    ev = day.events
    ts = ev["exch_ts"]
    mid = 0.5 * (day.best_bid + day.best_ask)
    ex = np.flatnonzero(ev["kind"] == Kind.EXECUTE)
    ex = ex[ts[ex] + horizon_ns < ts[-1]]
    later = np.searchsorted(ts, ts[ex] + horizon_ns, side="right") - 1
    before = np.searchsorted(ts, ts[ex], side="left") - 1  # the book before the whole sweep
    aggressor = -ev["side"][ex].astype(float)  # an EXECUTE carries the resting order's side
    return aggressor * (mid[later] - mid[before]), day.agent[ex]


@pytest.fixture(scope="module")
def ten_minutes():
    cfg = SynthConfig(seed=3, duration=600 * S)
    return simulate(cfg), simulate(cfg.replace(informed=False))


def test_informed_trades_predict_the_mid_move(ten_minutes):
    on, off = ten_minutes
    move, agent = _trade_markouts(on, S)
    informed = agent == AGENT_NAMES.index("informed")
    # ~60 fair-value jumps of mean 3 ticks in 10 minutes, each traded ahead by a few
    # informed orders: the mid moves their way by about the jump size within 1 s
    # (measured ~6 ticks; standard error ~0.2). 3 ticks is far from both chance and the measured value.
    assert informed.sum() > 200
    assert move[informed].mean() > 3.0
    # noise takers learn nothing: their mean is within a tick of zero (measured ~0)
    assert abs(move[~informed].mean()) < 1.0
    # the same against the latent fair value: an informed taker's price is below the fair
    # value 1 s later when it buys (above when it sells) by about the jump less the edge
    # (measured ~4.3 ticks); a noise taker pays the half spread (measured ~-0.8)
    ev = on.events
    ex = np.flatnonzero(ev["kind"] == Kind.EXECUTE)
    ex = ex[ev["exch_ts"][ex] + S < ev["exch_ts"][-1]]
    later = np.searchsorted(ev["exch_ts"], ev["exch_ts"][ex] + S, side="right") - 1
    edge = -ev["side"][ex] * (on.fair_value[later] - ev["price"][ex])
    by_informed = on.agent[ex] == AGENT_NAMES.index("informed")
    assert edge[by_informed].mean() > 2.0
    assert -1.5 < edge[~by_informed].mean() < 0.0


def test_without_informed_flow_trades_do_not_predict(ten_minutes):
    on, off = ten_minutes
    move, agent = _trade_markouts(off, S)
    assert not np.any(agent == AGENT_NAMES.index("informed"))
    se = move.std() / np.sqrt(len(move))
    # all trades are noise: the aggressor-signed move is zero up to the small
    # mean-reversion of a level refilling (measured -0.05 +- 0.01 tick); with
    # informed flow on, the same statistic over all trades is clearly positive.
    assert abs(move.mean()) < 0.2 and se < 0.05
    move_on, _ = _trade_markouts(on, S)
    assert move_on.mean() > move.mean() + 0.1


def test_informed_switch_keeps_the_fair_value_path(ten_minutes):
    on, off = ten_minutes
    # the fair value has its own random stream: the path is the same with informed flow off,
    # so the fair value as of the same instants agrees (sampled at one-second marks)
    grid = on.events["exch_ts"][0] + S * np.arange(1, 599)

    def fair_at(day):
        ts = day.events["exch_ts"]
        return day.fair_value[np.searchsorted(ts, grid, side="right") - 1]

    # events happen every few ms, so the value at the last event before a mark can
    # differ only by the fair-value steps in between: allow one diffusion step's worth
    diff = np.abs(fair_at(on) - fair_at(off))
    assert np.median(diff) < 0.05
    assert on.fair_value[0] == off.fair_value[0] == SHORT.initial_price


def test_write_store(tmp_path, short_day):
    out = write_store(SHORT, tmp_path / "store", events=short_day.events)
    ev = np.load(out / "events.npy", mmap_mode="r")
    assert ev.dtype == mmsim.EVENT_DTYPE and np.array_equal(ev, short_day.events)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["venue"] == "synthetic"
    assert meta["symbol"] == "SYNTH"
    assert meta["tick_size"] == 0.01 and meta["lot_size"] == 1.0 and meta["contract_size"] == 1.0
    assert meta["levels"] == "L3"
    assert meta["local_ts_recorded"] is False
    assert meta["event_count"] == len(ev)
    assert meta["first_exch_ts"] == int(ev["exch_ts"][0])
    assert meta["last_exch_ts"] == int(ev["exch_ts"][-1])
    assert meta["quirks"] == {} and meta["source"] == "mmsim.synth" and meta["time_zone"] == "UTC"
    assert SynthConfig.from_dict(meta["synth"]) == SHORT
    store = mmsim.load(out)
    assert len(store) == len(ev) and store.tick_size == 0.01


def test_from_dict_reads_units_and_iso_start():
    cfg = SynthConfig.from_dict(
        {"duration": "90s", "informed_horizon": "20ms", "lp_reaction": "150us", "start": "2024-03-01T13:30:00Z",
         "informed": False, "fv_vol": 1, "format": "l2"}
    )
    assert cfg.duration == 90 * S
    assert cfg.informed_horizon == 20_000_000
    assert cfg.lp_reaction == 150_000
    assert cfg.start == 1_709_299_800 * S
    assert cfg.informed is False and cfg.fv_vol == 1.0 and cfg.format == "l2"
    # unquoted in YAML, a time or a date arrives as a datetime/date object
    import datetime as dt

    assert SynthConfig.from_dict({"start": dt.date(2024, 3, 1)}).start == 1_709_251_200 * S
    aware = dt.datetime(2024, 3, 1, 13, 30, 0, 500, tzinfo=dt.timezone.utc)
    assert SynthConfig.from_dict({"start": aware}).start == 1_709_299_800 * S + 500_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"jump_rat": 0.1}, "unknown synth config key 'jump_rat' (synth.yaml line 3)"),
        ({"informed": "yes"}, "synth config key 'informed': expected true or false, got 'yes' (synth.yaml line 3)"),
        ({"lp_levels": 2.5}, "synth config key 'lp_levels': expected an integer, got 2.5 (synth.yaml line 3)"),
        ({"noise_rate": "fast"}, "synth config key 'noise_rate': expected a number, got 'fast' (synth.yaml line 3)"),
        ({"duration": "10 parsecs"}, "synth config key 'duration': cannot read '10 parsecs' as a duration"),
        ({"start": "yesterday"}, "synth config key 'start': cannot read 'yesterday' as an ISO 8601 time"),
        ({"format": "l4"}, "synth config key 'format': must be 'l3' or 'l2', got 'l4' (synth.yaml line 3)"),
        ({"lp_partial_cancel": 1.5}, "synth config key 'lp_partial_cancel': must be a probability in [0, 1], got 1.5"),
        ({"jump_mean": 0.5}, "synth config key 'jump_mean': must be >= 1 (a geometric mean on 1, 2, ...), got 0.5"),
        ({"informed_horizon": 0}, "synth config key 'informed_horizon': must be a positive duration, got 0"),
    ],
    ids=["unknown-key", "bool", "int", "float", "duration-unit", "iso-start", "format", "probability",
         "geometric-mean", "zero-duration"],
)
def test_config_errors_name_the_key(data, message):
    where = {key: "synth.yaml line 3" for key in data}
    with pytest.raises(ConfigError) as err:
        SynthConfig.from_dict(data, where=where)
    assert str(err.value).startswith(message)


def test_config_is_frozen_and_keyword_only():
    with pytest.raises(TypeError):
        SynthConfig(1)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        SHORT.seed = 2  # type: ignore[misc]


def test_cli_writes_a_store(tmp_path):
    from mmsim.cli import build_parser

    cfg = tmp_path / "synth.yaml"
    cfg.write_text("seed: 5\nduration: 20s\nformat: l2\n")
    parser, _ = build_parser()
    args = parser.parse_args(["synth", str(cfg), "-o", str(tmp_path / "store"), "--no-informed"])
    assert args.func(args) == 0
    meta = json.loads((tmp_path / "store" / "meta.json").read_text())
    assert meta["levels"] == "L2" and meta["synth"]["seed"] == 5 and meta["synth"]["informed"] is False
    ev = np.load(tmp_path / "store" / "events.npy")
    assert np.array_equal(ev, generate(SynthConfig(seed=5, duration=20 * S, format="l2", informed=False)))


def test_example_config_loads():
    from pathlib import Path

    from mmsim.synth import load_synth_config

    cfg = load_synth_config(Path(__file__).resolve().parents[1] / "examples" / "synth.yaml")
    assert cfg.seed == 1 and cfg.duration == 3600 * S and cfg.informed_horizon == 50_000_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: 1\nnoise_rat: 3\n", "unknown synth config key 'noise_rat' ({path} line 2)"),
        ("seed: 1\n\nduration: 5 fortnights\n", "synth config key 'duration': cannot read '5 fortnights' as a "
         "duration; use a number with a unit (ns, us, ms, s, min, h), e.g. 250us ({path} line 3)"),
        ("seed: [1\n", "{path} line 2: invalid YAML"),
        ("- 1\n- 2\n", "{path} line 1: expected a mapping of synth config keys"),
    ],
    ids=["unknown-key", "bad-unit", "bad-yaml", "not-a-mapping"],
)
def test_yaml_errors_name_the_file_and_line(tmp_path, text, message):
    from mmsim.synth import load_synth_config

    path = tmp_path / "synth.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_synth_config(path)
    assert str(err.value).startswith(message.format(path=path))


def test_example_run_config_replays_a_synthetic_store(tmp_path):
    from pathlib import Path

    from mmsim.config import StrategyConfig, load_yaml
    from mmsim.runner import load_events, run_config

    root = Path(__file__).resolve().parents[1]
    write_store(SHORT, tmp_path / "store")
    config = load_yaml(root / "examples" / "synth_run.yaml")
    assert config.engine.latency.feed.ns == 1_000_000 and config.engine.signals.trade_flow_half_life == 100_000_000
    # the store's meta (not the config) gives the tick size; the strategy comes from the
    # checkout's file, as the entry point may not be installed where the tests run
    config = config.replace(
        data=str(tmp_path / "store"),
        strategy=StrategyConfig(path=f"{root / 'strategies' / 'toxicity_pull.py'}:ToxicityPull",
                                params=config.strategy.params),
    )
    result = run_config(config, events=load_events(config))
    assert result.n_events == len(generate(SHORT))
    assert result.tick_value == pytest.approx(0.01)
    assert len(result.fills) > 50


def test_synth_config_goes_through_the_one_loader():
    """Durations take units in the constructor as in YAML, and are bounded (issue 16 item 2)."""
    assert SynthConfig(duration="10min", informed_horizon="50ms") == SynthConfig(duration=600 * S,
                                                                               informed_horizon=50_000_000)
    with pytest.raises(ConfigError) as err:
        SynthConfig(duration="400d")
    assert str(err.value).startswith("synth config key 'duration': cannot read '400d' as a duration")
    with pytest.raises(ConfigError) as err:
        SynthConfig(fv_step=2**63)
    assert str(err.value) == ("synth config key 'fv_step': a duration must be at most 366 days "
                              "(31622400000000000 ns), got 9223372036854775808")
