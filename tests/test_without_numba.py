"""The three ways a reference rule runs give the same quotes: the compiled callback, jitted Python, plain Python.

The callback is called through ctypes exactly as the engine calls it
(``int64 fn(View*, double*, double*, Quote*)``); the Python path calls the
jitted rule on the same record, and ``pure=True`` runs the rule's Python source
with numba out of the picture. Views come from the real LOBSTER AMZN book
(best levels after every message) and from the seeded synthetic market (so the
check runs in a fresh clone without ../shared/data), with positions and signals
drawn from a seeded generator so every branch (limits, NaN signals, pulls) is taken.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest

from conftest import ROOT, shared_data, synth_day

import mmsim
from mmsim.plugins import resolve_strategy
from mmsim.records import QUOTE_DTYPE, SIGNAL_NAMES, VIEW_DTYPE

AMZN_BOOK = "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"
AMZN_MSG = "AMZN_2012-06-21_34200000_57600000_message_1.csv"
N_VIEWS = 20_000

CFUNC_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)

REFERENCE = [
    ("fixed_spread.py", "FixedSpread", {"half_spread": 3.0, "size": 2.0}),
    ("join_best.py", "JoinBest", {"size": 2.0}),
    ("inventory_skew.py", "InventorySkew", {"half_spread": 2.0, "skew": 0.7, "size": 3.0, "max_position": 9.0}),
    ("avellaneda_stoikov.py", "AvellanedaStoikov", {"gamma": 0.05, "k": 0.3, "sigma": 0.0, "horizon_s": 5.0,
                                                     "size": 2.0, "max_position": 8.0}),
    ("glft.py", "GLFT", {"gamma": 0.02, "A": 0.8, "k": 0.25, "sigma": 0.0, "size": 1.0, "max_position": 6.0}),
    ("signal_skew.py", "SignalSkew", {"half_spread": 1.5, "micro_weight": 0.8, "imbalance_ticks": 2.0,
                                      "ofi_ticks": 3.0, "ofi_scale": 40.0, "skew": 0.3}),
    ("toxicity_pull.py", "ToxicityPull", {"half_spread": 2.0, "skew": 0.2, "trade_flow_threshold": 60.0,
                                          "ofi_threshold": 80.0, "hawkes_threshold": 4.0, "widen_at": 0.4,
                                          "widen_ticks": 2.0, "cooldown_ms": 50.0}),
    ("ladder_flatten.py", "LadderFlatten", {"half_spread": 1.5, "level_gap": 2.0, "size": 2.0, "outer_size": 3.0,
                                            "skew": 0.3, "max_position": 10.0, "flatten_at": 7.0, "flatten_to": 2.0}),
]


def load_reference(filename: str, name: str):
    """The strategy type strategies/<filename>:<name>, found by path as a plugin user would."""
    return resolve_strategy(f"strategies/{filename}:{name}", base_dir=ROOT)


@pytest.fixture(scope="module")
def amzn_views() -> np.ndarray:
    """VIEW_DTYPE records built from the AMZN top of book, with seeded positions and signals."""
    book = np.loadtxt(shared_data("lobster", AMZN_BOOK), delimiter=",", dtype=np.int64, max_rows=N_VIEWS)
    times = np.loadtxt(shared_data("lobster", AMZN_MSG), delimiter=",", usecols=0, max_rows=N_VIEWS)
    # LOBSTER prices are dollars * 1e4; AMZN's tick is one cent = 100 units.
    return _views((times * 1e9).astype(np.int64), book[:, 2] // 100, book[:, 3], book[:, 0] // 100, book[:, 1],
                  seed=20120621)


@pytest.fixture(scope="module")
def synth_views() -> np.ndarray:
    """VIEW_DTYPE records from the seeded synthetic market's book (no real data needed)."""
    import mmsim

    ev = synth_day("l3").events
    top = mmsim.replay_bbo(ev)
    keep = (top["bid_qty"] > 0) & (top["ask_qty"] > 0)
    idx = np.flatnonzero(keep)[:N_VIEWS]
    return _views(ev["exch_ts"][idx], top["best_bid"][idx], top["bid_qty"][idx], top["best_ask"][idx],
                  top["ask_qty"][idx], seed=20240102)


def _views(ts, best_bid, bid_qty, best_ask, ask_qty, *, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(ts)
    v = np.zeros(n, dtype=VIEW_DTYPE)
    v["ts"] = ts
    v["best_ask"], v["ask_qty"], v["best_bid"], v["bid_qty"] = best_ask, ask_qty, best_bid, bid_qty
    v["position"] = rng.integers(-12, 13, n)
    v["n_live_orders"] = rng.choice([0, 1, 2, 3, 4], n, p=[0.3, 0.2, 0.3, 0.1, 0.1])
    v["bid_order_qty"] = rng.choice([0, 1], n)
    v["ask_order_qty"] = rng.choice([0, 1], n)
    bid, ask = v["best_bid"].astype(float), v["best_ask"].astype(float)
    bq, aq = v["bid_qty"].astype(float), v["ask_qty"].astype(float)
    v["mid"] = 0.5 * (bid + ask)
    v["spread"] = ask - bid
    v["imbalance"] = (bq - aq) / (bq + aq)
    v["microprice"] = (bid * aq + ask * bq) / (bq + aq)
    v["ofi"] = rng.normal(0, 60, n)
    v["trade_flow"] = rng.normal(0, 50, n)
    v["volatility"] = rng.gamma(2.0, 3.0, n)
    v["hawkes_buy"] = rng.gamma(2.0, 1.5, n)
    v["hawkes_sell"] = rng.gamma(2.0, 1.5, n)
    # Signals are NaN until known; a few empty sides exercise the no-quote branch.
    for name in SIGNAL_NAMES:
        v[name][rng.random(n) < 0.03] = np.nan
    empty = rng.random(n) < 0.005
    v["bid_qty"][empty] = 0
    v["best_bid"][empty] = np.iinfo(np.int64).min
    return v


def run_callback(strategy, views: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Call the compiled callback through ctypes on every view, as the engine does."""
    addr, params, state = strategy._mmsim_native_()
    fn = CFUNC_TYPE(addr)
    out = np.zeros(1, dtype=QUOTE_DTYPE)
    codes = np.zeros(len(views), dtype=np.int64)
    quotes = np.zeros(len(views), dtype=QUOTE_DTYPE)
    rec = np.zeros(1, dtype=VIEW_DTYPE)
    for i in range(len(views)):
        rec[0] = views[i]
        out[0] = 0  # the engine zeroes the Quote before each call
        codes[i] = fn(rec.ctypes.data, params.ctypes.data, state.ctypes.data, out.ctypes.data)
        quotes[i] = out[0]
    return codes, quotes


def scalars(quote) -> tuple:
    """The 1-level form's four fields of a QUOTE_DTYPE record."""
    return tuple(quote[["bid_px", "bid_qty", "ask_px", "ask_qty"]].item())


def run_python(strategy, views: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    strategy.reset()
    codes = np.zeros(len(views), dtype=np.int64)
    quotes = np.zeros(len(views), dtype=QUOTE_DTYPE)
    rec = np.zeros((), dtype=VIEW_DTYPE)
    for i in range(len(views)):
        rec[()] = views[i]
        q = strategy.quote(rec)
        if isinstance(q, mmsim.Ladder):  # a ladder or explicit orders: the record as the engine gets it
            codes[i] = q.write(quotes[i:i + 1].reshape(()))
        elif q is not None:
            codes[i] = 1
            for name, value in zip(("bid_px", "bid_qty", "ask_px", "ask_qty"), q):
                quotes[name][i] = value
    return codes, quotes


@pytest.mark.parametrize("market", ["amzn", "synth"])
@pytest.mark.parametrize(("filename", "name", "params"), REFERENCE, ids=[r[1] for r in REFERENCE])
def test_three_paths_give_identical_quotes(request, market, filename, name, params):
    amzn_views = request.getfixturevalue(f"{market}_views")
    kind = load_reference(filename, name)
    native = kind(**params)
    codes_c, quotes_c = run_callback(native, amzn_views)
    assert set(np.unique(codes_c)) <= {0, 1}
    assert (codes_c == 1).sum() > len(amzn_views) // 2, "the rule should quote on most views"
    for pure in (False, True):
        codes_p, quotes_p = run_python(kind.python(pure=pure, **params), amzn_views)
        np.testing.assert_array_equal(codes_p, codes_c)
        for field in QUOTE_DTYPE.names:
            np.testing.assert_array_equal(quotes_p[field], quotes_c[field], err_msg=f"{field} pure={pure}")
    q = quotes_c[codes_c == 1]
    ladder = q["n_bid_levels"] > 0  # the ladder form: its first levels are the inner quotes
    assert np.all(np.where(ladder, q["bid_ladder_px"][:, 0], q["bid_px"]) < np.where(ladder, q["ask_ladder_px"][:, 0],
                                                                                     q["ask_px"]))
    for field in QUOTE_DTYPE.names:
        assert np.all(np.isfinite(q[field])) and np.all(q[field] == np.round(q[field])), field
    assert np.all(q["bid_qty"] >= 0) and np.all(q["ask_qty"] >= 0)
    assert np.all(q["bid_ladder_qty"] >= 0) and np.all(q["ask_ladder_qty"] >= 0)


def test_inventory_skew_by_hand():
    """One view, quotes computed by hand from the formula in the docstring."""
    kind = load_reference("inventory_skew.py", "InventorySkew")
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 1000, 1004, 5, 5, 8
    # r = 1002 - 0.5 * 8 = 998; bid = floor(998 - 1.5) = 996; ask = ceil(999.5) = 1000 -> clamped to 1001
    # bid size = min(3, 9 - 8) = 1; ask size = min(3, 9 + 8) = 3
    s = kind.python(pure=True, half_spread=1.5, skew=0.5, size=3, max_position=9)
    assert tuple(s.quote(v)) == (996.0, 1.0, 1001.0, 3.0)
    codes, quotes = run_callback(kind(half_spread=1.5, skew=0.5, size=3, max_position=9), v.reshape(1))
    assert codes[0] == 1 and scalars(quotes[0]) == (996.0, 1.0, 1001.0, 3.0)


def test_join_best_by_hand():
    """Quotes the local best bid and ask at `size`; a crossed book or a replacement in flight: no change."""
    kind = load_reference("join_best.py", "JoinBest")
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 1000, 1004, 5, 5, 37
    s = kind.python(pure=True, size=3)
    assert tuple(s.quote(v)) == (1000.0, 3.0, 1004.0, 3.0)  # the position (37) changes nothing
    codes, quotes = run_callback(kind(size=3), v.reshape(1))
    assert codes[0] == 1 and scalars(quotes[0]) == (1000.0, 3.0, 1004.0, 3.0)
    for field, value in (("best_ask", 1000), ("n_live_orders", 3), ("ask_qty", 0)):
        w = v.copy()
        w[field] = value
        assert s.quote(w) is None, field
        assert run_callback(kind(size=3), w.reshape(1))[0][0] == 0, field


def test_glft_by_hand():
    kind = load_reference("glft.py", "GLFT")
    gamma, a, k, sigma = 0.1, 2.0, 0.5, 3.0
    c1 = math.log(1 + gamma / k) / gamma
    c2 = math.sqrt(gamma / (2 * a * k) * (1 + gamma / k) ** (k / gamma + 1))
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 10_000, 10_010, 5, 5, -2
    q = -2.0
    bid = math.floor(10_005 - (c1 + (2 * q + 1) / 2 * sigma * c2))
    ask = math.ceil(10_005 + (c1 - (2 * q - 1) / 2 * sigma * c2))
    s = kind.python(gamma=gamma, A=a, k=k, sigma=sigma, size=1, max_position=3)
    assert tuple(s.quote(v)) == (bid, 1.0, ask, 1.0)
    # c1 = ln(1.2)/0.1 = 1.8232, sigma*c2 = 3*sqrt(0.05 * 1.2**6) = 1.1592; q = -2:
    # bid depth = 1.8232 - 1.5*1.1592 = 0.0845, ask depth = 1.8232 + 2.5*1.1592 = 4.7211
    assert (bid, ask) == (10_004, 10_010)  # short: the bid sits 0.08 ticks under the mid


def test_toxicity_pull_pulls_the_ask_on_buying_flow_and_keeps_it_pulled():
    kind = load_reference("toxicity_pull.py", "ToxicityPull")
    s = kind.python(pure=True, half_spread=1.0, trade_flow_threshold=10.0, widen_at=0.5, widen_ticks=2.0,
                    cooldown_ms=1.0)
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"] = 100, 102, 1, 1
    for name in SIGNAL_NAMES:
        v[name] = np.nan
    v["ts"], v["trade_flow"] = 1_000_000_000, 6.0   # score 0.6: widen the ask by 2
    assert tuple(s.quote(v)) == (100.0, 1.0, 104.0, 1.0)
    v["ts"], v["trade_flow"] = 1_000_100_000, 12.0  # score 1.2: pull the ask for 1 ms
    assert tuple(s.quote(v)) == (100.0, 1.0, 104.0, 0.0)
    v["ts"], v["trade_flow"] = 1_001_000_000, 0.0   # 0.9 ms later: still pulled
    assert tuple(s.quote(v)) == (100.0, 1.0, 102.0, 0.0)
    v["ts"] = 1_001_100_001                           # cooldown over
    assert tuple(s.quote(v)) == (100.0, 1.0, 102.0, 1.0)
    v["trade_flow"] = -15.0                           # selling flow: the bid goes
    assert tuple(s.quote(v)) == (98.0, 0.0, 102.0, 1.0)


def test_avellaneda_stoikov_by_hand():
    kind = load_reference("avellaneda_stoikov.py", "AvellanedaStoikov")
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 5_000, 5_004, 3, 3, 4
    # q = 4/2 = 2; gamma sigma^2 tau = 0.1 * 4 * 2 = 0.8; r = 5002 - 2 * 0.8 = 5000.4
    # delta = 0.8 + 20 * ln(1 + 0.1/0.5) = 0.8 + 3.6464 = 4.4464; r -/+ 2.2232 = 4998.18 / 5002.62
    s = kind.python(pure=True, gamma=0.1, k=0.5, sigma=2.0, horizon_s=2.0, size=2.0, max_position=5.0)
    assert tuple(s.quote(v)) == (4998.0, 1.0, 5003.0, 2.0)  # bid size capped at 5 - 4 = 1 lot
    v["volatility"] = np.nan
    assert kind.python(pure=True, sigma=0.0).quote(v) is None  # sigma from the signal, not known yet


def test_signal_skew_by_hand():
    kind = load_reference("signal_skew.py", "SignalSkew")
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 200, 210, 9, 1, -2
    v["microprice"], v["imbalance"], v["ofi"] = 209.0, 0.8, float("nan")
    # fair = 205 - 0.5*(-2) + 0.5*(209 - 205) + 2*0.8 + 0 (OFI unknown) = 205 + 1 + 2 + 1.6 = 209.6
    s = kind.python(pure=True, half_spread=2.0, micro_weight=0.5, imbalance_ticks=2.0, ofi_ticks=3.0, skew=0.5)
    assert tuple(s.quote(v)) == (207.0, 1.0, 212.0, 1.0)
    v["ofi"] = 20.0  # + 3 * tanh(2) = 2.892: fair 212.49 -> bid floor(210.49) clamped to 209, ask ceil(214.49)
    assert tuple(s.quote(v)) == (209.0, 1.0, 215.0, 1.0)


def test_ladder_flatten_by_hand():
    """Two levels a side, capped by the position limit, and an IOC toward flat past flatten_at."""
    import mmsim

    kind = load_reference("ladder_flatten.py", "LadderFlatten")
    params = dict(half_spread=1.5, level_gap=2.0, size=2.0, outer_size=3.0, skew=0.5, max_position=10.0,
                  flatten_at=8.0, flatten_to=2.0, slippage=1.0)
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"] = 1000, 1004, 5, 5, 9
    # r = 1002 - 0.5 * 9 = 997.5: bid floor(996) = 996, ask ceil(999) = 999 -> 1001 (post-only).
    # Room to buy 10 - 9 = 1: bid sizes 1 and 0; to sell 19: 2 and 3. Past 8 lots: sell IOC of
    # 9 - 2 = 7 at best bid - 1 = 999, tag 1 (the first flattening order).
    expect = mmsim.Quote.ladder(bids=[(996, 1), (994, 0)], asks=[(1001, 2), (1003, 3)],
                                orders=[mmsim.Order.ioc(-1, 999, 7, tag=1)])
    for pure in (True, False):
        assert kind.python(pure=pure, **params).quote(v) == expect
    codes, quotes = run_callback(kind(**params), v.reshape(1))
    assert codes[0] == 1 and quotes[0]["n_orders"] == 1 and quotes[0]["order_tag"][0] == 1
    assert list(quotes[0]["bid_ladder_px"][:2]) == [996, 994] and list(quotes[0]["ask_ladder_qty"][:2]) == [2, 3]
    # An IOC already in flight: no second one; the ladder alone.
    v["n_explicit_live"] = 1
    assert kind.python(pure=True, **params).quote(v) == mmsim.Quote.ladder(bids=expect.bids, asks=expect.asks)
    # A replacement in flight (5 target orders live): keep the targets; the IOC still goes.
    v["n_explicit_live"], v["n_live_orders"] = 0, 5
    assert kind.python(pure=True, **params).quote(v) == mmsim.Quote.keep(orders=expect.orders)
