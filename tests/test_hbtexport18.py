"""hbtexport18: mmsim's ``.npz`` export of an L3 store writes each ``EXECUTE`` as its ``FILL_EVENT`` row, then at its
time the row that takes its lots off hftbacktest's book (docs/data.md, "hftbacktest ``.npz``").

Finding: hftbacktest 2.4.4's L3 replay takes no lots off its book on a ``FILL_EVENT`` row (its exchange processor
moves its queue model, its local processor ignores it; its Databento converter writes the venue's ``CANCEL``/
``MODIFY`` after the fill, which does). The export wrote an ``EXECUTE`` as the ``FILL`` row alone, so in hftbacktest
every executed order stayed resting: a silent wrong book for every L3 store (LOBSTER, Databento) exported to it. Now a
``CANCEL`` of the lots filled follows when the execute empties the order, else a ``MODIFY`` to the lots left;
``mmsim_meta`` says so (``"executes": "fill_then_book_row"``) and the import absorbs that row, so the round trip is
exact. Books are hand-computed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_data_hftbacktest import _DEPTH_AFTER, _L3, _hbt_python
from test_databento_preopen import rows_of
from test_hftbacktest_files import DAY, S, book_of, events

from mmsim import Kind
from mmsim.data import hftbacktest as hbt
from mmsim.data._identity import array_digest
from mmsim.errors import DataError

FILL, CANCEL, MODIFY = hbt.FILL_EVENT, hbt.CANCEL_ORDER_EVENT, hbt.MODIFY_ORDER_EVENT
_REAL = {"amzn": ("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv"),
         "esh4": ("databento", "databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")}


def _exe() -> str:
    exe = _hbt_python()
    if exe is None or not Path(exe).exists():
        pytest.skip("hftbacktest not available: set MMSIM_HFTBACKTEST_PYTHON to a python with hftbacktest 2.x")
    if subprocess.run([exe, "-c", "import hftbacktest"], capture_output=True).returncode != 0:
        pytest.skip(f"{exe} cannot import hftbacktest")
    return exe


def _hbt_book(files: list[Path]) -> tuple[dict, dict]:
    """hftbacktest's own L3 book after replaying ``files`` one after the other (tick 0.25, lot 1)."""
    r = subprocess.run([_exe(), "-c", _DEPTH_AFTER.replace(*_L3), *map(str, files), str(3 * DAY)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bids, asks = json.loads(r.stdout.split("\n")[-2])
    return {int(k): v for k, v in bids.items()}, {int(k): v for k, v in asks.items()}


def _rows(out: np.ndarray) -> list[tuple[int, int, float, int]]:
    """(event type, side flag, lots, order id) of each exported L3 row."""
    return [(int(r["ev"]) & 0xFF, int(r["ev"]) & (hbt.BUY_EVENT | hbt.SELL_EVENT), float(r["qty"]), int(r["order_id"]))
            for r in out]


# Day 1: bids 399 x5 (11) and 398 x1 (13), ask 410 x2 (12). Day 2: a sell prints 5 at 399 and executes bid 11 whole;
# a buy prints 1 at 410 and executes 1 of ask 12. The book: bid 398 x1, ask 410 x1.
PROBE = events([(0, Kind.ADD, 1, 399, 5, 11), (0, Kind.ADD, 1, 398, 1, 13), (0, Kind.ADD, -1, 410, 2, 12),
                (DAY, Kind.TRADE, -1, 399, 5, 0), (DAY, Kind.EXECUTE, 1, 399, 5, 11),
                (DAY + S, Kind.TRADE, 1, 410, 1, 0), (DAY + S, Kind.EXECUTE, -1, 410, 1, 12)])


def test_an_execute_is_its_fill_then_the_row_taking_its_lots_off_the_book(tmp_path):
    out = hbt.export(PROBE, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    B, A = hbt.BUY_EVENT, hbt.SELL_EVENT
    assert _rows(out) == [
        (hbt.ADD_ORDER_EVENT, B, 5.0, 11), (hbt.ADD_ORDER_EVENT, B, 1.0, 13), (hbt.ADD_ORDER_EVENT, A, 2.0, 12),
        (hbt.TRADE_EVENT, A, 5.0, 0), (FILL, B, 5.0, 11), (CANCEL, B, 5.0, 11),  # empties 11: a cancel of the 5 filled
        (hbt.TRADE_EVENT, B, 1.0, 0), (FILL, A, 1.0, 12), (MODIFY, A, 1.0, 12)]  # 12 keeps 1: a modify to 1
    assert out["exch_ts"][5] == out["exch_ts"][4] and out["local_ts"][8] == out["local_ts"][7]
    assert out["px"][5] == 399 * 0.25 and out["px"][8] == 410 * 0.25
    meta = json.loads(str(np.load(tmp_path / "x.npz")["mmsim_meta"]))
    assert meta["executes"] == "fill_then_book_row"
    # The import absorbs the book rows: the store's events again, byte for byte.
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert rows_of(back.events) == rows_of(PROBE)
    assert back.meta["events_digest"] == array_digest(PROBE)
    assert "fill_cancels_absorbed" not in back.meta["quirks"]  # no Databento file: the loader's counts stay out


def test_hftbacktest_replays_the_executes_as_the_store(tmp_path):
    # Before: hftbacktest's book was bids {398: 1, 399: 5}, asks {410: 2} (both executes left resting).
    hbt.export(PROBE, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    assert _hbt_book([tmp_path / "x.npz"]) == book_of(PROBE) == ({398: 1}, {410: 1})


# Day 1: ask 410 x3 (12), ask 412 x1 (14), bid 399 x2 (11); 1 of 12 executes. Day 2: the other 2 of 12 execute.
DAY1 = events([(0, Kind.ADD, -1, 410, 3, 12), (0, Kind.ADD, -1, 412, 1, 14), (0, Kind.ADD, 1, 399, 2, 11),
               (S, Kind.TRADE, 1, 410, 1, 0), (S, Kind.EXECUTE, -1, 410, 1, 12)])
DAY2 = events([(DAY, Kind.TRADE, 1, 410, 2, 0), (DAY, Kind.EXECUTE, -1, 410, 2, 12)])


def test_a_partial_then_a_full_execute_across_two_exported_days(tmp_path):
    a = hbt.export(DAY1, tmp_path / "day1.npz", tick_size=0.25, lot_size=1)
    b = hbt.export(DAY2, tmp_path / "day2.npz", tick_size=0.25, lot_size=1, before=DAY1)
    A = hbt.SELL_EVENT
    assert _rows(a)[-2:] == [(FILL, A, 1.0, 12), (MODIFY, A, 2.0, 12)]  # 12 keeps 2
    assert _rows(b) == [(hbt.TRADE_EVENT, hbt.BUY_EVENT, 2.0, 0), (FILL, A, 2.0, 12), (CANCEL, A, 2.0, 12)]
    both = np.concatenate([DAY1, DAY2])
    back = hbt.convert([tmp_path / "day1.npz", tmp_path / "day2.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert back.meta["events_digest"] == array_digest(both)
    assert _hbt_book([tmp_path / "day1.npz", tmp_path / "day2.npz"]) == book_of(both) == ({399: 2}, {412: 1})


def test_an_execute_of_an_order_the_slice_does_not_add_is_an_error(tmp_path):
    with pytest.raises(DataError) as e:
        hbt.export(DAY2, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    assert str(e.value) == (
        "event 1: EXECUTE of 2 lots of order 12, which no event before it adds: hftbacktest's book loses an "
        "execute's lots by a cancel or a modify to the order's new size, unknown here (a slice of a store: pass the "
        "events before it as before=..., or export the days in one call)")
    with pytest.raises(DataError) as e:  # 1 of 12's 3 lots executed on day 1: 2 left
        hbt.export(events([(DAY, Kind.EXECUTE, -1, 410, 3, 12)]), tmp_path / "x.npz", tick_size=0.25, lot_size=1,
                   before=DAY1)
    assert str(e.value) == "event 0: EXECUTE of 3 lots of order 12, which has 2"
    assert not (tmp_path / "x.npz").exists()


def test_an_export_before_18_without_the_key_reads_as_before(tmp_path):
    # An export before 18: each EXECUTE its FILL row alone, no "executes" in mmsim_meta. Its FILLs are the EXECUTEs.
    out = hbt.export(PROBE, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    meta = json.loads(str(np.load(tmp_path / "x.npz")["mmsim_meta"]))
    del meta["executes"]
    p = tmp_path / "old.npz"
    np.savez_compressed(p, data=np.delete(out, [5, 8]), mmsim_meta=np.array(json.dumps(meta)))
    back = hbt.convert([p], tmp_path / "b")
    assert back.meta["events_digest"] == array_digest(PROBE)
    # The new file read as an old one: the CANCEL after the FILL that emptied order 11 names a gone order.
    np.savez_compressed(p, data=out, mmsim_meta=np.array(json.dumps(meta)))
    with pytest.raises(DataError) as e:
        hbt.convert([p], tmp_path / "c")
    assert str(e.value) == f"{p}: record 6: unknown order id 11"


def test_an_mmsim_meta_executes_of_another_value_is_refused(tmp_path):
    out = hbt.export(PROBE, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    p = tmp_path / "y.npz"
    np.savez_compressed(p, data=out, mmsim_meta=np.array(json.dumps({"executes": "fill"})))
    with pytest.raises(DataError) as e:
        hbt.convert([p], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert str(e.value) == f"{p}: its mmsim_meta executes is 'fill', not 'fill_then_book_row'"


def _store(real_store, name: str):
    """The real L3 store ``name``, converted once per session from ../shared/data (conftest's ``real_store``: it
    skips with the reason when the data is absent)."""
    return real_store(*_REAL[name])


@pytest.mark.parametrize("name", ["amzn", "esh4"])
def test_a_real_l3_store_round_trips_exactly(tmp_path, real_store, name):
    st = _store(real_store, name)
    out = hbt.export(st, tmp_path / "x.npz")
    n_exec = int((st.events["kind"] == Kind.EXECUTE).sum())
    assert n_exec > 1000
    assert len(out) == len(st.events) - int((st.events["kind"] == Kind.STATUS).sum()) + n_exec
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert back.meta["events_digest"] == st.meta["events_digest"]


_BBO = """
import json, sys
from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest
f, tick, step, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
asset = (BacktestAsset().data([f]).linear_asset(1.0).constant_order_latency(0, 0).l3_fifo_queue_model()
         .no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0).tick_size(tick).lot_size(1.0))
hbt = HashMapMarketDepthBacktest([asset])
out = []
for _ in range(n):
    end = hbt.elapse(step) != 0
    d = hbt.depth(0)
    out.append([end, hbt.current_timestamp, d.best_bid_tick, int(d.bid_qty_at_tick(d.best_bid_tick)),
                d.best_ask_tick, int(d.ask_qty_at_tick(d.best_ask_tick))])
print(json.dumps(out))
hbt.close()
"""


def _best(ev: np.ndarray) -> list[int]:
    bids, asks = book_of(ev)
    b, a = max(bids), min(asks)
    return [b, bids[b], a, asks[a]]


@pytest.mark.parametrize("name", ["amzn", "esh4"])
def test_hftbacktest_replays_a_real_l3_store_as_the_store(tmp_path, real_store, name):
    # Its best bid and ask (with their sizes) at 6 times through the session and at its end are the store's. Before,
    # each executed order stayed in hftbacktest's book (AMZN: 8974 executes, ESH4: 6257).
    st = _store(real_store, name)
    exe = _exe()
    hbt.export(st, tmp_path / "x.npz")
    ev = st.events
    first, last = int(ev["local_ts"][0]), int(ev["local_ts"][-1])
    step = (last - first) // 7 + 1_234_567  # off any round time: 6 steps within the session, the 7th past it
    r = subprocess.run([exe, "-c", _BBO, str(tmp_path / "x.npz"), str(st.tick_size), str(step), "7"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.split("\n")[-2])
    assert [s[0] for s in seen] == [False] * 6 + [True]  # the 7th step goes past the end
    for end, ts, *best in seen:
        upto = len(ev) if end else int(np.searchsorted(ev["local_ts"], ts, side="right"))
        assert best == _best(ev[:upto]), (name, ts)
