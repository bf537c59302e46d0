"""Native signals: mmsim.signals.compute against a plain NumPy reference, delay and time decay."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _signals_ref import book_tops, reference, synthetic_events
from conftest import make_events

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


def test_compute_rejects_events_of_another_dtype():
    with pytest.raises(mmsim.DataError, match="events must be a 1-d array of mmsim.EVENT_DTYPE, got float64"):
        compute(np.zeros(3))


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
