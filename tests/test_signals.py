"""Native signals: mmsim.signals.compute against a plain NumPy reference, delay and time decay."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _signals_ref import book_tops, reference, synthetic_events
from conftest import make_events, shared_data

import mmsim
from mmsim import Kind
from mmsim.records import SIGNAL_NAMES
from mmsim.signals import PARAM_KEYS, SIGNAL_DTYPE, compute, params_from_config

S = 1_000_000_000

#: Short half-lives so the decays matter over minutes of data; a VPIN bucket
#: that is not a multiple of typical print sizes so prints get split.
FAST = mmsim.SignalConfig(
    depth_levels=5,
    depth_decay=0.6,
    ofi_half_life=100_000_000,
    trade_flow_half_life=300_000_000,
    vol_half_life=5 * S,
    hawkes_half_life=200_000_000,
    hawkes_alpha=0.8,
    hawkes_baseline=0.05,
    vpin_bucket_volume=97.0,
    vpin_buckets=20,
)


def assert_matches_reference(got: np.ndarray, want: dict[str, np.ndarray]) -> None:
    """Every signal to 1e-9 relative; near zero, 1e-12 of the signal's own scale.

    The absolute floor matters only where a signed sum (OFI, trade flow)
    crosses zero and the two computations' different rounding orders leave
    residues of ~1e-16 of the terms.
    """
    assert got.dtype == SIGNAL_DTYPE
    for name in SIGNAL_NAMES:
        w = want[name]
        finite = np.isfinite(w)
        scale = float(np.max(np.abs(w[finite]))) if finite.any() else 1.0
        np.testing.assert_allclose(got[name], w, rtol=1e-9, atol=1e-12 * scale, equal_nan=True, err_msg=name)


# ---------------------------------------------------------------------------- parameters


def test_params_from_config_gives_the_c_struct_fields():
    p = params_from_config(mmsim.SignalConfig())
    assert tuple(p) == PARAM_KEYS
    assert p == {
        "depth_levels": 5,
        "depth_decay": 0.5,
        "ofi_half_life_ns": 1e9,
        "trade_flow_half_life_ns": 1e9,
        "vol_half_life_ns": 60e9,
        "hawkes_half_life_ns": 1e9,
        "hawkes_alpha": 0.5,
        "hawkes_baseline": 0.0,
        "vpin_bucket_volume": 100.0,
        "vpin_buckets": 50,
    }
    assert isinstance(p["depth_levels"], int) and isinstance(p["ofi_half_life_ns"], float)


def test_params_from_yaml_durations():
    cfg = mmsim.Config.from_dict({"signals": {"ofi_half_life": "250ms", "vpin_buckets": 7}})
    p = params_from_config(cfg.signals)
    assert p["ofi_half_life_ns"] == 250e6
    assert p["vpin_buckets"] == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"depth_decay": 0.0}, "signals.depth_decay must be a finite number > 0, got 0.0"),
        ({"hawkes_alpha": -1.0}, "signals.hawkes_alpha must be a finite number > 0, got -1.0"),
        ({"hawkes_baseline": math.nan}, "signals.hawkes_baseline must be a finite number >= 0, got nan"),
        ({"vpin_buckets": 2_000_000}, "signals.vpin_buckets must be at most 1048576, got 2000000"),
    ],
    ids=["zero-decay", "negative-alpha", "nan-baseline", "huge-window"],
)
def test_params_from_config_rejects(change, message):
    with pytest.raises(mmsim.ConfigError) as err:
        params_from_config(mmsim.SignalConfig(**change))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"depth_decay": 1e308}, "signals.depth_decay must be at most 1e6, got 1e+308"),
        ({"hawkes_alpha": 1e308}, "signals.hawkes_alpha must be at most 1e6, got 1e+308"),
        ({"hawkes_baseline": 2e6}, "signals.hawkes_baseline must be at most 1e6, got 2000000.0"),
    ],
    ids=["huge-decay", "huge-alpha", "huge-baseline"],
)
def test_signal_factors_beyond_1e6_are_refused(change, message):
    # depth_decay 1e308 made depth_imbalance NaN on a two-sided book (w**k overflowed), and
    # hawkes_alpha 1e308 made hawkes_buy inf after two prints: no error, a value that is not one.
    with pytest.raises(mmsim.ConfigError) as err:
        mmsim.SignalConfig(**change)
    assert str(err.value) == message


def test_signal_factors_at_1e6_stay_finite_with_32_levels_of_2_62_lots():
    # Bid 100 and ask 101 with 2**62 lots each, plus 2**62 lots on the ask 31 levels out:
    # depth_imbalance = -w**31 / (2 + w**31) = -1.0 in float64 at w = 1e6; two buy prints at
    # one time: hawkes_buy = 2 * alpha = 2e6 per second.
    q = 1 << 62
    rows = [(1, Kind.DEPTH, 1, 100, q), (1, Kind.DEPTH, -1, 101, q)]
    rows += [(1, Kind.DEPTH, -1, 101 + k, 1) for k in range(1, 31)] + [(1, Kind.DEPTH, -1, 132, q)]
    rows += [(2, Kind.TRADE, 1, 101, 1), (2, Kind.TRADE, 1, 101, 1)]
    cfg = mmsim.SignalConfig(depth_levels=32, depth_decay=1e6, hawkes_alpha=1e6, hawkes_baseline=1e6)
    sig = compute(make_events([(1_700_000_000_000_000_000 + t, *r) for t, *r in rows]), cfg)
    assert sig["depth_imbalance"][-1] == -1.0
    assert sig["hawkes_buy"][-1] == 1e6 + 2e6 and sig["hawkes_sell"][-1] == 1e6


def test_compute_rejects_events_of_another_dtype():
    with pytest.raises(mmsim.DataError, match="events must be a 1-d array of mmsim.EVENT_DTYPE, got float64"):
        compute(np.zeros(3))
    with pytest.raises(mmsim.DataError, match="events must be a 1-d array of mmsim.EVENT_DTYPE, got list"):
        compute([1, 2])


@pytest.mark.parametrize("fmt", ["l3", "l2"])
def test_compute_takes_an_event_store_as_run_does(tmp_path, fmt):
    """Issue 15 item 9: `compute(mmsim.load(store))` was a DataError; it takes what mmsim.run takes."""
    from mmsim.synth import SynthConfig, write_store

    store = mmsim.load(write_store(SynthConfig(seed=3, duration=30 * 1_000_000_000, format=fmt), tmp_path / "s"))
    from_store = compute(store, mmsim.SignalConfig(ofi_half_life="500ms"))
    from_array = compute(np.asarray(store.events), mmsim.SignalConfig(ofi_half_life=500_000_000))
    assert from_store.dtype == SIGNAL_DTYPE and len(from_store) == len(store.events)
    np.testing.assert_array_equal(from_store.view(np.int64), from_array.view(np.int64))  # bit for bit, NaN too


# ---------------------------------------------------------------------------- hand values


def test_compute_hand_values():
    cfg = mmsim.SignalConfig(depth_levels=2, depth_decay=0.5, trade_flow_half_life=S, hawkes_half_life=S,
                             hawkes_alpha=1.0, vpin_bucket_volume=10.0, vpin_buckets=2)
    ev = make_events([
        (0, Kind.DEPTH, 1, 100, 30),       # bids only: book values NaN
        (0, Kind.DEPTH, -1, 102, 10),      # 100x30 / 102x10
        (0, Kind.DEPTH, 1, 99, 20),
        (0, Kind.DEPTH, -1, 103, 40),
        (S, Kind.TRADE, 1, 102, 6),        # buy 6
        (2 * S, Kind.TRADE, -1, 100, 7),   # sell 7: bucket B6 S4 closes
        (3 * S, Kind.CLEAR, -1, 0, 0),     # asks gone: book values held
    ])
    sig = compute(ev, cfg)
    assert np.isnan(sig["mid"][0])
    assert sig["mid"][1] == 101.0 and sig["spread"][1] == 2.0
    assert sig["imbalance"][1] == 0.5 and sig["microprice"][1] == 101.5
    # (30 - 10 + 0.5 * 20) / (40 + 0.5 * 20) then (30 - 10 + 0.5 (20 - 40)) / (40 + 0.5 * 60)
    assert sig["depth_imbalance"][2] == pytest.approx(30 / 50, rel=1e-15)
    assert sig["depth_imbalance"][3] == pytest.approx(10 / 70, rel=1e-15)
    # OFI: the ask/bid depth below the top does not move it; only the first
    # two-sided book starts it
    assert np.all(sig["ofi"][:4] == 0.0)
    assert sig["trade_flow"][4] == 6.0
    assert sig["trade_flow"][5] == pytest.approx(6 / 2 - 7, rel=1e-15)
    assert sig["trade_flow"][6] == pytest.approx(-4 / 2, rel=1e-15)
    assert sig["hawkes_buy"][5] == pytest.approx(0.5, rel=1e-15)
    assert sig["hawkes_sell"][6] == pytest.approx(0.5, rel=1e-15)
    assert sig["vpin"][4] == 0.0 and sig["vpin"][5] == pytest.approx(0.2, rel=1e-15)
    assert sig["mid"][6] == 101.0 and sig["imbalance"][6] == 0.5
    np.testing.assert_array_equal(sig["exch_ts"], ev["exch_ts"])


def test_print_with_unknown_aggressor_only_moves_the_clock():
    """A TRADE with side 0 (e.g. a cross trade) is fed too: no flow, but values decay to its time."""
    cfg = mmsim.SignalConfig(trade_flow_half_life=S, vpin_bucket_volume=10.0)
    ev = make_events([
        (0, Kind.DEPTH, 1, 100, 5),
        (0, Kind.DEPTH, -1, 101, 5),
        (0, Kind.TRADE, 1, 101, 8),
        (S, Kind.TRADE, 0, 100, 50),
    ])
    sig = compute(ev, cfg)
    assert sig["trade_flow"][2] == 8.0
    assert sig["trade_flow"][3] == pytest.approx(4.0, rel=1e-15)
    assert sig["vpin"][3] == 0.0  # its 50 lots are not classified, so no bucket fills
    assert sig["hawkes_buy"][3] == pytest.approx(0.5 * 0.5, rel=1e-15)


HALTED, QUOTING, TRADING = (int(s) for s in (mmsim.TradingStatus.HALTED, mmsim.TradingStatus.QUOTING,
                                              mmsim.TradingStatus.TRADING))


@pytest.mark.parametrize("status", [HALTED, QUOTING], ids=["halted", "quoting"])
@pytest.mark.parametrize("l3", [False, True], ids=["trade", "l3-execute"])
def test_a_print_while_the_venue_is_not_trading_moves_no_trade_signal(status, l3):
    """A print while HALTED or QUOTING matches nothing (docs/engine.md, "Trading halts"), and no
    trade signal sees it: every signal after every event is what the same events give with the
    print replaced by an event that prints nothing at that time (a STATUS repeating the status; on
    L3, the EXECUTE by a CANCEL of the same lots). The buy of 2 after trading resumes is the only
    flow: trade_flow 2.0 exactly (the halted buy of 7 added 7 * 2^(-2/1000) before)."""
    cfg = mmsim.SignalConfig(trade_flow_half_life=S, vpin_bucket_volume=5.0, vpin_buckets=2)
    if l3:
        book = [(1000, Kind.ADD, 1, 100, 10, 1), (1000, Kind.ADD, -1, 101, 10, 2)]
        printed, quiet = (2000, Kind.EXECUTE, -1, 101, 7, 2), (2000, Kind.CANCEL, -1, 101, 7, 2)
    else:
        book = [(1000, Kind.DEPTH, 1, 100, 10), (1000, Kind.DEPTH, -1, 101, 10)]
        printed, quiet = (2000, Kind.TRADE, 1, 101, 7), (2000, Kind.STATUS, 0, 0, status)
    rest = [(3000, Kind.STATUS, 0, 0, TRADING), (4000, Kind.TRADE, 1, 101, 2)]
    with_print = make_events(book + [(1500, Kind.STATUS, 0, 0, status), printed] + rest)
    without = make_events(book + [(1500, Kind.STATUS, 0, 0, status), quiet] + rest)
    got, want = compute(with_print, cfg), compute(without, cfg)
    assert got.tobytes() == want.tobytes()
    assert got["trade_flow"].tolist()[-3:] == [0.0, 0.0, 2.0]
    ref = reference(with_print, params_from_config(cfg))
    assert ref["trade_flow"].tolist()[-3:] == [0.0, 0.0, 2.0]

    # The engine's own signals, as a strategy sees them (feed 0: one call per event time).
    class Seen(mmsim.Strategy):
        def __init__(self):
            self.flow = []

        def quote(self, view):
            self.flow.append(view.signals["trade_flow"])
            return mmsim.Quote(0, 0, 0, 0)

    s = Seen()
    mmsim.run(with_print, s, mmsim.Config(signals=cfg))
    assert s.flow == [0.0, 0.0, 0.0, 0.0, 2.0]


# ---------------------------------------------------------------------------- synthetic data


@pytest.mark.parametrize("l3", [False, True], ids=["l2-snapshots", "l3-orders"])
@pytest.mark.parametrize(
    "cfg",
    [FAST, mmsim.SignalConfig(), mmsim.SignalConfig(depth_levels=1, vpin_bucket_volume=3.0, vpin_buckets=1)],
    ids=["fast", "defaults", "top-only"],
)
def test_matches_reference_on_synthetic_flow(cfg, l3):
    ev = synthetic_events(8_000, seed=11, l3=l3)
    assert_matches_reference(compute(ev, cfg), reference(ev, params_from_config(cfg)))


def test_reference_book_agrees_with_engine_book():
    ev = synthetic_events(8_000, seed=5)
    tops = book_tops(ev, 1)
    bbo = mmsim._engine.replay_bbo(ev)
    np.testing.assert_array_equal(tops["bid_qty"][:, 0], bbo["bid_qty"])
    np.testing.assert_array_equal(tops["ask_qty"][:, 0], bbo["ask_qty"])
    has_bid, has_ask = tops["bid_qty"][:, 0] > 0, tops["ask_qty"][:, 0] > 0
    np.testing.assert_array_equal(tops["bid_px"][has_bid, 0], bbo["best_bid"][has_bid])
    np.testing.assert_array_equal(tops["ask_px"][has_ask, 0], bbo["best_ask"][has_ask])


def test_rust_defaults_names_and_struct_match_python():
    native = mmsim._engine.SignalParams()
    assert {k: getattr(native, k) for k in PARAM_KEYS} == params_from_config(mmsim.SignalConfig())
    assert tuple(mmsim._engine.SIGNAL_NAMES) == SIGNAL_NAMES
    assert mmsim._engine.SIGNAL_PARAMS_SIZE == 8 * len(PARAM_KEYS)


# ---------------------------------------------------------------------------- real data

AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"


@pytest.fixture(scope="module")
def amzn() -> np.ndarray:
    """LOBSTER AMZN 2012-06-21 as an L2 top-of-book feed with trades (tests/_lobster.py)."""
    from _lobster import lobster_l2_events

    return lobster_l2_events(shared_data("lobster", AMZN.format("message")),
                             shared_data("lobster", AMZN.format("orderbook")))


def _store_events(real_store, fmt: str, *parts: str) -> np.ndarray:
    shared_data(*parts)
    pytest.importorskip("mmsim.data", reason="the loaders (mmsim.data) are not installed in this checkout")
    return np.array(real_store(fmt, *parts).events)


@pytest.fixture(scope="module")
def btcusdt(real_store) -> np.ndarray:
    """Binance USD-M BTCUSDT 2024-08-08: a REST snapshot, L2 diffs and trades."""
    return _store_events(real_store, "binance", "binance", "usdm", "btcusdt_20240808.gz")


@pytest.fixture(scope="module")
def esh4(real_store) -> np.ndarray:
    """CME ESH4 market-by-order (Databento MBO): real L3 with executions."""
    return _store_events(real_store, "databento", "databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")


@pytest.mark.parametrize("cfg", [FAST, mmsim.SignalConfig()], ids=["fast", "defaults"])
def test_matches_reference_on_lobster_amzn(amzn, cfg):
    assert_matches_reference(compute(amzn, cfg), reference(amzn, params_from_config(cfg)))


@pytest.mark.parametrize("cfg", [FAST, mmsim.SignalConfig()], ids=["fast", "defaults"])
def test_matches_reference_on_binance_btcusdt(btcusdt, cfg):
    assert_matches_reference(compute(btcusdt, cfg), reference(btcusdt, params_from_config(cfg)))


def test_matches_reference_on_databento_esh4_l3(esh4):
    assert_matches_reference(compute(esh4, FAST), reference(esh4, params_from_config(FAST)))


def test_matches_reference_on_databento_esh4_as_l2(esh4):
    """The same day through to_l2: its pre-open is a crossed L2 book under QUOTING (kept as it is), and the
    open's message lists the auction level by level (no stale-crossing removal in it; docs/engine.md,
    "Trading halts")."""
    from mmsim.data.l2 import to_l2

    ev = to_l2(esh4)
    assert_matches_reference(compute(ev, FAST), reference(ev, params_from_config(FAST)))


@pytest.mark.parametrize("last", ["depth", "trade"])
def test_the_uncross_at_a_resume_is_a_book_change_for_the_signals(last):
    """QUOTING: bid 100x10, ask 102x10, then a pre-open ask at 100 x 4 crosses the bid (kept). Trading resumes at
    3000 (the message ends with a depth update elsewhere, or with a print): the book is uncrossed lot for lot,
    bid 100 x 6 / ask 102 x 10, after the message's last event: spread 2, mid 101, imbalance (6 - 10) / 16."""
    end = (3000, Kind.DEPTH, -1, 105, 1) if last == "depth" else (3000, Kind.TRADE, -1, 100, 1)
    ev = make_events([(1000, Kind.STATUS, 0, 0, QUOTING), (1000, Kind.DEPTH, 1, 100, 10),
                      (1000, Kind.DEPTH, -1, 102, 10), (2000, Kind.DEPTH, -1, 100, 4),
                      (3000, Kind.STATUS, 0, 0, TRADING), end])
    sig = compute(ev, FAST)
    assert (sig["spread"][-1], sig["mid"][-1], sig["imbalance"][-1]) == (2.0, 101.0, -0.25)
    assert sig["spread"][3] == 0.0  # crossed at 100 / 100 before the resume (locked: a spread of 0)
    # (Not at the STATUS row itself: the engine makes no book call there, the reference does.)
    rows = [0, 1, 2, 3, 5]
    want = reference(ev, params_from_config(FAST))
    assert_matches_reference(sig[rows], {k: v[rows] for k, v in want.items()})
    tops = book_tops(ev, 1)
    assert tops["uncrossed"].tolist() == [False] * 5 + [True]


@pytest.mark.parametrize("data", ["amzn", "btcusdt", "esh4"])
def test_real_data_exercises_every_signal(data, request):
    """The reference comparisons mean something only if every signal moves."""
    sig = compute(request.getfixturevalue(data), FAST)
    for name in SIGNAL_NAMES:
        col = sig[name][np.isfinite(sig[name])]
        assert len(np.unique(col)) >= 5, name
    assert sig["spread"][-1] > 0 and sig["vpin"][-1] > 0 and sig["volatility"][-1] > 0


# ---------------------------------------------------------------------------- time decay


def with_noop_events(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add events that change nothing: a repeat of every DEPTH right after it, and,
    half-way between events at different times, a DEPTH that re-sets the best bid.

    The book does not change, so every signal must read the same at the
    original events: decays must depend on elapsed time only, not on how many
    events happened. Returns the new array and the original events' positions in it.
    """
    bbo = mmsim._engine.replay_bbo(ev)
    ts = ev["exch_ts"]
    gap = np.flatnonzero((np.diff(ts) > 1) & (bbo["bid_qty"][:-1] > 0) & (bbo["ask_qty"][:-1] > 0))
    mid = np.zeros(len(gap), dtype=mmsim.EVENT_DTYPE)
    mid["exch_ts"] = ts[gap] + (ts[gap + 1] - ts[gap]) // 2
    mid["local_ts"] = mid["exch_ts"]
    mid["kind"] = Kind.DEPTH
    mid["side"] = 1
    mid["price"] = bbo["best_bid"][gap]
    mid["qty"] = bbo["bid_qty"][gap]
    rep = np.flatnonzero(ev["kind"] == Kind.DEPTH)
    # insert after event i: the repeat of a DEPTH, then the half-way event
    where = np.concatenate([rep + 1, gap + 1])
    extra = np.concatenate([ev[rep], mid])
    order = np.argsort(where, kind="stable")
    out = np.insert(ev, where[order], extra[order])
    orig = np.arange(len(ev)) + np.searchsorted(np.sort(where), np.arange(len(ev)), side="right")
    assert np.array_equal(out[orig], ev)
    return out, orig


def with_split_prints(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every print (TRADE, EXECUTE) of 2+ lots into two prints at the same time.

    Twice the trade events for the same flow. Returns the new array and, for
    each original event, the position of its last part.
    """
    kind = ev["kind"]
    split = ((kind == Kind.TRADE) | (kind == Kind.EXECUTE)) & (ev["qty"] >= 2)
    idx = np.flatnonzero(split)
    first = ev[idx].copy()
    first["qty"] = ev["qty"][idx] // 2
    out = np.insert(ev, idx, first)
    pos = np.flatnonzero(np.isin(np.arange(len(out)), idx + np.arange(len(idx)), invert=True))
    out["qty"][pos[idx]] -= first["qty"]
    assert len(pos) == len(ev) and np.array_equal(out["exch_ts"][pos], ev["exch_ts"])
    return out, pos


def assert_same_at(a: np.ndarray, b: np.ndarray, names) -> None:
    for name in names:
        scale = float(np.nanmax(np.abs(a[name]))) or 1.0
        np.testing.assert_allclose(b[name], a[name], rtol=1e-9, atol=1e-12 * scale, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("data", ["synthetic", "binance"])
def test_time_decay_invariance_extra_events(data, request):
    ev = synthetic_events(8_000, seed=2) if data == "synthetic" else request.getfixturevalue("btcusdt")
    more, orig = with_noop_events(ev)
    assert len(more) > 1.4 * len(ev)  # markedly more events for the same flow
    a, b = compute(ev, FAST), compute(more, FAST)
    assert_same_at(a, b[orig], SIGNAL_NAMES)
    # and not trivially: between events, the decayed signals did decay
    mid_rows = np.setdiff1d(np.arange(len(more)), orig)
    assert np.any(np.abs(b["trade_flow"][mid_rows]) < np.abs(b["trade_flow"][mid_rows - 1]))


@pytest.mark.parametrize("data", ["synthetic-l3", "lobster"])
def test_time_decay_invariance_split_prints(data, request):
    ev = synthetic_events(8_000, seed=3, l3=True) if data == "synthetic-l3" else request.getfixturevalue("amzn")
    more, pos = with_split_prints(ev)
    assert len(more) > len(ev) * 1.05
    a, b = compute(ev, FAST), compute(more, FAST)
    # every signal but the Hawkes intensities (which count prints) is unchanged
    assert_same_at(a, b[pos], [n for n in SIGNAL_NAMES if not n.startswith("hawkes")])
    assert np.all(b["hawkes_buy"][pos] >= a["hawkes_buy"] - 1e-12)
    assert np.any(b["hawkes_buy"][pos] > a["hawkes_buy"] + 1e-6)


# ---------------------------------------------------------------------------- the delay


class Recorder(mmsim.Strategy):
    """Quotes nothing; records the local time, the events received and the signals at each call."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ts: list[int] = []
        self.n_events: list[int] = []
        self.values: list[tuple[float, ...]] = []

    def quote(self, view):
        self.ts.append(view.ts)
        self.n_events.append(view.n_events)
        self.values.append(tuple(view.signals[n] for n in SIGNAL_NAMES))
        return None


@pytest.mark.parametrize("latency_ns", [0, 5_000_000, 250_000_000], ids=["0", "5ms", "250ms"])
@pytest.mark.parametrize("data", ["lobster", "binance"])
def test_strategy_sees_the_batch_signal_of_the_feed_delayed_event(data, latency_ns, request):
    """With feed latency L, at local time t the view holds the batch row of the last event with exch_ts <= t - L."""
    # Binance stamps depth diffs per millisecond (~40 events a timestamp), so it
    # needs more events than LOBSTER for as many strategy calls.
    ev = request.getfixturevalue("amzn")[:30_000] if data == "lobster" else request.getfixturevalue("btcusdt")[:100_000]
    batch = compute(ev, FAST)
    cfg = mmsim.Config(signals=FAST, latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=latency_ns)))
    rec = Recorder()
    mmsim.run(ev, rec, cfg)
    t = np.array(rec.ts, dtype=np.int64)  # local times, ns (not float: 1e18 ns needs 63 bits)
    values = np.array(rec.values, dtype=float)
    assert len(t) > 1000
    last = np.searchsorted(ev["exch_ts"], t - latency_ns, side="right") - 1
    assert (last >= 0).all()
    np.testing.assert_array_equal(np.array(rec.n_events), last + 1)
    for k, name in enumerate(SIGNAL_NAMES):
        np.testing.assert_array_equal(values[:, k], batch[name][last], err_msg=name)
    if latency_ns:
        # the batch value of the event at t itself differs somewhere: the delay is visible
        now = np.searchsorted(ev["exch_ts"], t, side="right") - 1
        assert np.any(batch["ofi"][now] != batch["ofi"][last])


def test_a_repeated_trade_row_in_a_bare_array_is_a_second_trade():
    # docs/data.md, "Event arrays without a store": the engine cannot tell a repeated row
    # from a second identical print, so both count: trade_flow 3 + 3 lots, two Hawkes jumps.
    T = 1_700_000_000_000_000_000
    rows = [(T, Kind.DEPTH, 1, 100, 5), (T, Kind.DEPTH, -1, 101, 5), (T + 1, Kind.TRADE, 1, 101, 3),
            (T + 1, Kind.TRADE, 1, 101, 3)]
    sig = compute(make_events(rows), mmsim.SignalConfig(hawkes_alpha=0.5))
    assert sig["trade_flow"].tolist() == [0.0, 0.0, 3.0, 6.0]
    assert sig["hawkes_buy"].tolist() == [0.0, 0.0, 0.5, 1.0]
    # A repeated DEPTH row sets its level again: no change to the book signals.
    sig2 = compute(make_events(rows[:2] + [rows[1]]))
    assert sig2["imbalance"].tolist()[1:] == [0.0, 0.0] and sig2["ofi"].tolist() == [0.0, 0.0, 0.0]
