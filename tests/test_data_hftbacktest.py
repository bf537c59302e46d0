"""mmsim's Binance conversion against hftbacktest's own converter on the same capture.

hftbacktest lives in its own environment (its own numpy/numba): the python
named by ``MMSIM_HFTBACKTEST_PYTHON`` (default ``/work/venv-hbt/bin/python``
when it exists). Skipped with the reason when it is not available.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

import mmsim
from mmsim.data import hftbacktest as hbt


def _hbt_python() -> str | None:
    exe = os.environ.get("MMSIM_HFTBACKTEST_PYTHON")
    if exe:
        return exe
    default = Path("/work/venv-hbt/bin/python")
    return str(default) if default.exists() else None


def test_binance_store_matches_hftbacktest_conversion(tmp_path, real_store):
    """hftbacktest's own converter, run in its environment, then imported through the .npz path."""
    src = shared_data("binance", "usdm", "btcusdt_20240808.gz")
    exe = _hbt_python()
    if exe is None:
        pytest.skip("hftbacktest not available: set MMSIM_HFTBACKTEST_PYTHON to a python with hftbacktest 2.x")
    if not Path(exe).exists():
        pytest.skip(f"MMSIM_HFTBACKTEST_PYTHON={exe} does not exist")
    probe = subprocess.run([exe, "-c", "import hftbacktest"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{exe} cannot import hftbacktest")
    out = tmp_path / "hbt.npz"
    code = ("import sys; from hftbacktest.data.utils import binancefutures as b; "
            "b.convert(sys.argv[1], output_filename=sys.argv[2], buffer_size=3_000_000)")
    subprocess.run([exe, "-c", code, str(src), str(out)], check=True, capture_output=True)
    theirs = hbt.convert([out], tmp_path / "theirs")
    ours = real_store("binance", "binance", "usdm", "btcusdt_20240808.gz")
    from test_data import last_index_per_time, replay_bbo

    def top_by_time(st):
        ev = np.asarray(st.events)
        bb, ba = replay_bbo(ev)
        i = last_index_per_time(ev["exch_ts"])
        i = i[ev["exch_ts"][i] >= ours.meta["first_exch_ts"]]
        return ev["exch_ts"][i], bb[i], ba[i]

    t1, b1, a1 = top_by_time(ours)
    t2, b2, a2 = top_by_time(theirs)
    # Same exchange times, same best bid and ask after each, from our snapshot on.
    # (hftbacktest also keeps 8 messages recorded before the snapshot; mmsim drops
    # them because the book is unknown until the snapshot.)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(b1, b2)
    np.testing.assert_array_equal(a1, a2)
    assert len(t1) > 10_000
    # Same recorder-clock correction: the trades carry identical local_ts.
    e1, e2 = np.asarray(ours.events), np.asarray(theirs.events)
    tr1 = e1[e1["kind"] == mmsim.Kind.TRADE]
    tr2 = e2[(e2["kind"] == mmsim.Kind.TRADE) & (e2["exch_ts"] >= ours.meta["first_exch_ts"])]
    np.testing.assert_array_equal(tr1["local_ts"], tr2["local_ts"])
    np.testing.assert_array_equal(tr1["price"], tr2["price"])
    assert ours.meta["quirks"]["local_clock_offset_ns"] == 1_272_156_851
    # The diff that set it: line 92886 was received at 1723161592432843149 ns, its T is
    # 1723161593705 ms, 1,272,156,851 ns later (the capture clock ran 1.27 s behind).
    assert ours.meta["quirks"]["local_clock_offset_at"].endswith("btcusdt_20240808.gz: line 92886")
    # And our export is a file hftbacktest accepts: its own order validator passes.
    exported = tmp_path / "ours.npz"
    hbt.export(ours, exported)
    check = ("import sys, numpy as np; from hftbacktest.data.validation import validate_event_order; "
             "d = np.load(sys.argv[1])['data']; validate_event_order(d); print(len(d))")
    r = subprocess.run([exe, "-c", check, str(exported)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split()[-1]) >= len(ours)


_DEPTH_AFTER = """
import json, sys
from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest
files, until = sys.argv[1:-1], int(sys.argv[-1])
asset = (BacktestAsset().data(files).linear_asset(1.0).constant_order_latency(0, 0).power_prob_queue_model(2.0)
         .no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0).tick_size(0.25).lot_size(1.0))
hbt = HashMapMarketDepthBacktest([asset])
hbt.elapse(until)
d = hbt.depth(0)
side = lambda q: {t: int(q(t)) for t in range(300, 500) if q(t) > 0}
print(json.dumps([side(d.bid_qty_at_tick), side(d.ask_qty_at_tick)]))
hbt.close()
"""


@pytest.mark.parametrize("day2", ["snapshot", "no_snapshot"])
def test_two_l2_days_give_the_book_hftbacktest_replays(tmp_path, day2):
    """Two .npz days replayed by hftbacktest itself, one after the other: its book after day 2's rows is our
    store's (day 1's levels that day 2 never lists stay in both; before, our import lost them at day 2's clear)."""
    import json

    from test_hftbacktest_files import DAY, L2_DAY1, S, book_of
    from test_hftbacktest_preopen import npz

    exe = _hbt_python()
    if exe is None or not Path(exe).exists():
        pytest.skip("hftbacktest not available: set MMSIM_HFTBACKTEST_PYTHON to a python with hftbacktest 2.x")
    if subprocess.run([exe, "-c", "import hftbacktest"], capture_output=True).returncode != 0:
        pytest.skip(f"{exe} cannot import hftbacktest")
    D, C, SN, B, A = hbt.DEPTH_EVENT, hbt.DEPTH_CLEAR_EVENT, hbt.DEPTH_SNAPSHOT_EVENT, hbt.BUY_EVENT, hbt.SELL_EVENT
    day1 = L2_DAY1 + [(S, D, A, 103.00, 1, 0)]
    rows = {
        "snapshot": [(DAY, C, B, 99.50, 0, 0), (DAY, SN, B, 100.00, 7, 0), (DAY, SN, B, 99.50, 1, 0),
                     (DAY, C, A, 101.00, 0, 0), (DAY, SN, A, 100.50, 2, 0)],
        "no_snapshot": [(DAY, D, B, 100.00, 6, 0), (DAY + S, C, B, 100.00, 0, 0)],
    }[day2]
    files = [npz(tmp_path / "a.npz", day1), npz(tmp_path / "b.npz", rows)]
    st = hbt.convert(files, tmp_path / "s", tick_size=0.25, lot_size=1)
    ours = book_of(st.events)
    # From its start (day 1's first row) to past day 2's last row.
    r = subprocess.run([exe, "-c", _DEPTH_AFTER, *map(str, files), str(DAY + 10 * S)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bids, asks = json.loads(r.stdout.split("\n")[-2])
    assert ({int(k): v for k, v in bids.items()}, {int(k): v for k, v in asks.items()}) == ours
    assert ours == {"snapshot": ({400: 7, 398: 1, 392: 2}, {402: 2, 412: 1}),
                    "no_snapshot": ({398: 3, 392: 2}, {402: 4, 404: 1, 412: 1})}[day2]


_L3 = (".no_partial_fill_exchange()", ".l3_fifo_queue_model().no_partial_fill_exchange()")


@pytest.mark.parametrize("case", ["l2_clear", "l2_sided_clears", "l3_clear", "l3_sided_clears", "l3_cancel"])
def test_days_exported_apart_replay_in_hftbacktest_as_the_store(tmp_path, case):
    """Days of a store exported to one .npz each, replayed by hftbacktest itself one after the other: its book is the
    store's (a store CLEAR clears the whole side; a cancel of an order from the day before is a modify to its size;
    17: a CLEAR of side 0 is one sideless clear, a sided CLEAR of each side at one time two sided clears)."""
    import json

    from test_hftbacktest_files import DAY, L2_CLEAR, S, book_of, events

    from mmsim import Kind

    exe = _hbt_python()
    if exe is None or not Path(exe).exists():
        pytest.skip("hftbacktest not available: set MMSIM_HFTBACKTEST_PYTHON to a python with hftbacktest 2.x")
    if subprocess.run([exe, "-c", "import hftbacktest"], capture_output=True).returncode != 0:
        pytest.skip(f"{exe} cannot import hftbacktest")
    kw: dict = {}
    if case == "l2_clear":
        day1, day2 = L2_CLEAR
        script = _DEPTH_AFTER
    elif case == "l2_sided_clears":  # day 1: bids 400 x5, 392 x2, ask 402 x4
        day1 = L2_CLEAR[0]
        day2 = events([(DAY, Kind.CLEAR, 1, 0, 0, 0), (DAY, Kind.CLEAR, -1, 0, 0, 0), (DAY, Kind.DEPTH, 1, 399, 3, 0),
                       (DAY, Kind.DEPTH, -1, 403, 1, 0), (DAY + S, Kind.CLEAR, 0, 0, 0, 0),
                       (DAY + S, Kind.DEPTH, 1, 398, 2, 0), (DAY + S, Kind.DEPTH, -1, 404, 1, 0),
                       (DAY + S, Kind.CLEAR, -1, 0, 0, 0), (DAY + S, Kind.DEPTH, -1, 405, 6, 0)])
        script = _DEPTH_AFTER
    else:
        day1 = events([(0, Kind.ADD, 1, 399, 5, 11), (0, Kind.ADD, -1, 410, 2, 12)])
        day2 = {
            "l3_clear": events([(DAY, Kind.ADD, 1, 400, 1, 13), (DAY, Kind.ADD, -1, 405, 3, 14),
                                (DAY + S, Kind.CLEAR, 0, 0, 0, 0), (DAY + S, Kind.ADD, 1, 399, 4, 11),
                                (DAY + S, Kind.ADD, -1, 412, 1, 15)]),
            "l3_sided_clears": events([(DAY, Kind.ADD, 1, 400, 1, 13), (DAY + S, Kind.CLEAR, 1, 0, 0, 0),
                                       (DAY + S, Kind.CLEAR, -1, 0, 0, 0), (DAY + S, Kind.ADD, 1, 398, 2, 16),
                                       (DAY + S, Kind.ADD, -1, 411, 1, 17), (DAY + 2 * S, Kind.CLEAR, -1, 0, 0, 0),
                                       (DAY + 2 * S, Kind.ADD, -1, 413, 5, 18)]),
            "l3_cancel": events([(DAY, Kind.CANCEL, 1, 399, 2, 11), (DAY + S, Kind.CANCEL, -1, 410, 1, 12)]),
        }[case]
        script = _DEPTH_AFTER.replace(*_L3)
        kw = {"before": day1} if case == "l3_cancel" else {}
    files = [tmp_path / "a.npz", tmp_path / "b.npz"]
    hbt.export(day1, files[0], tick_size=0.25, lot_size=1)
    hbt.export(day2, files[1], tick_size=0.25, lot_size=1, **kw)
    want = book_of(np.concatenate([day1, day2]))
    st = hbt.convert(files, tmp_path / "s", tick_size=0.25, lot_size=1)
    assert book_of(st.events) == want
    r = subprocess.run([exe, "-c", script, *map(str, files), str(DAY + 10 * S)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bids, asks = json.loads(r.stdout.split("\n")[-2])
    assert ({int(k): v for k, v in bids.items()}, {int(k): v for k, v in asks.items()}) == want
    assert want == {"l2_clear": ({388: 1}, {402: 3}), "l3_clear": ({399: 4}, {412: 1}),
                    "l2_sided_clears": ({398: 2}, {405: 6}), "l3_sided_clears": ({398: 2}, {413: 5}),
                    "l3_cancel": ({399: 3}, {410: 1})}[case]
