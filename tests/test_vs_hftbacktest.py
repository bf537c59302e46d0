"""mmsim against hftbacktest 2.4.4 on real Binance data: where the fill models agree by construction, fills are identical.

With 1-lot orders no partial fill can happen, so hftbacktest's no-partial-fill
exchange and mmsim's engine (same constant latencies, risk-averse queue,
post-only orders, same quoting rule) must produce the same fills, fill for
fill. hftbacktest runs in its own virtual environment (``bench/README.md``);
the test skips with the reason when that environment or the capture is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mmsim
from mmsim.data import converter
from mmsim.records import OrderState
from conftest import ROOT, shared_data

BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from _quoter_rule import quote_targets  # noqa: E402
from vs_hftbacktest import compare_events, compare_fills, hbt_to_mmsim_events  # noqa: E402

FEED_NS, ENTRY_NS, RESPONSE_NS = 1_250_000, 500_000, 500_000
SPAN_NS = 60_000_000_000  # the first minute after the REST snapshot keeps the test fast


def _hbt_python() -> str:
    for cand in (os.environ.get("MMSIM_HFTBACKTEST_PYTHON"), str(ROOT / ".venv-hbt" / "bin" / "python")):
        if cand and Path(cand).exists():
            return cand
    pytest.skip("hftbacktest's venv not found (create .venv-hbt as bench/README.md says, "
                "or set MMSIM_HFTBACKTEST_PYTHON)")


class OneLotQuoter(mmsim.Strategy):
    """The benchmark's rule on the Python path, 1-lot orders, holding unacknowledged orders."""

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0 or view.best_bid >= view.best_ask:
            return None
        bid, bid_qty, ask, ask_qty = quote_targets(view.best_bid, view.best_ask, view.position, 1, 500, 0.1)
        if view.bid_order_state == OrderState.PENDING_NEW:
            bid, bid_qty = view.bid_order_px, view.bid_order_qty
        if view.ask_order_state == OrderState.PENDING_NEW:
            ask, ask_qty = view.ask_order_px, view.ask_order_qty
        return mmsim.Quote(bid, bid_qty, ask, ask_qty)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    capture = shared_data("binance", "usdm", "btcusdt_20240808.gz")
    hbt_py = _hbt_python()
    tmp = tmp_path_factory.mktemp("vs_hbt")
    store = converter("binance")([capture], tmp / "store", tick_size=0.1, lot_size=0.001)
    hbt_npy = tmp / "hbt.npy"
    subprocess.run([hbt_py, str(BENCH / "_hbt_runner.py"), "convert", str(capture), "--out", str(hbt_npy)],
                   check=True, capture_output=True)
    return hbt_py, np.asarray(store.events), hbt_npy


def test_both_conversions_hold_the_same_market_events(converted):
    _, mm_events, hbt_npy = converted
    same = compare_events(hbt_to_mmsim_events(np.load(hbt_npy)), mm_events)
    assert same["compared"] == 466_571
    assert (same["only_hbt"], same["only_mmsim"], same["bbo_mismatches"]) == (0, 0, 0)
    assert same["hbt_rows_before_snapshot"] == 263  # diffs before the REST snapshot, which mmsim drops


@pytest.mark.parametrize("mode", ["timer", "feed"], ids=["10ms-timer", "every-wakeup"])
def test_one_lot_fills_match_hftbacktest_fill_for_fill(converted, mode):
    hbt_py, mm_events, hbt_npy = converted
    start = int(mm_events["exch_ts"][0])  # the REST snapshot
    end = start + SPAN_NS
    proc = subprocess.run(
        [hbt_py, str(BENCH / "_hbt_runner.py"), "run", str(hbt_npy), "--repeat", "0", "--mode", mode,
         "--qty-lots", "1", "--feed-latency-ns", str(FEED_NS), "--entry-latency-ns", str(ENTRY_NS),
         "--response-latency-ns", str(RESPONSE_NS), "--start-ts", str(start), "--end-ts", str(end)],
        check=True, capture_output=True, text=True)
    hbt = json.loads(proc.stdout.splitlines()[-1])
    config = mmsim.Config(
        tick_size=0.1, lot_size=0.001,
        latency=mmsim.LatencyConfig(feed=mmsim.LatencyModel(ns=FEED_NS), entry=mmsim.LatencyModel(ns=ENTRY_NS),
                                    response=mmsim.LatencyModel(ns=RESPONSE_NS)),
        fees=mmsim.FeeConfig(maker_bps=-0.5, taker_bps=7.0),
        decide_every=10_000_000 if mode == "timer" else None,
        signals=mmsim.SignalConfig(enabled=False),
    )
    events = np.ascontiguousarray(mm_events[mm_events["exch_ts"] < end])
    res = mmsim.run(events, OneLotQuoter(), config)
    fills = res.fills
    mm = np.stack([fills["exch_ts"], fills["side"].astype(np.int64), fills["price"], fills["qty"]], axis=1)
    check = compare_fills(hbt["fill_list"], mm.tolist())
    assert check["mmsim_fills"] > 50  # a minute of quoting at the touch fills often
    assert check["identical"], check["first_difference"]
    assert res.position * 0.001 == pytest.approx(hbt["position"], abs=1e-9)
