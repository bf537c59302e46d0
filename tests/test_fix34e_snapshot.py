"""A snapshot is one message (docs/engine.md, "Snapshots and venue messages"): every loader writes a snapshot's
``CLEAR`` and its levels (or orders) at one exchange time, its earliest (breaker34 F3; docs/data.md per format)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_databento_preopen import LAST, NS0, SNAP, mbo_csv

import mmsim
from mmsim import Kind
from mmsim.data import databento as dbt
from mmsim.data import tardis

S = 1_700_000_000_000_000  # us
BOOK_H = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
TRADE_H = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def _cfg() -> mmsim.Config:
    lat = mmsim.LatencyModel
    return mmsim.Config(signals=mmsim.SignalConfig(enabled=False),
                        latency=mmsim.LatencyConfig(feed=lat(ns=0), entry=lat(ns=10), response=lat(ns=10)))


class _Once(mmsim.Strategy):
    def __init__(self, price: int, qty: int) -> None:
        self.q: mmsim.Quote | None = mmsim.Quote(price, qty, 0, 0)

    def quote(self, view):
        q, self.q = self.q, None
        return q


def _rows(st) -> list[tuple]:
    return [(int(e["exch_ts"]) - S * 1000, Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]))
            for e in np.asarray(st.events)]


def _tardis(tmp_path: Path, snapshot: list[str], trade_us: int = 8000) -> mmsim.EventStore:
    book = BOOK_H + "".join([
        f"binance-futures,X,{S},{S + 100},true,bid,100.0,10\n",
        f"binance-futures,X,{S},{S + 100},true,ask,101.0,10\n",
        f"binance-futures,X,{S + 1000},{S + 1100},false,ask,101.0,11\n",
        *snapshot,
        f"binance-futures,X,{S + 9000},{S + 9100},false,ask,101.0,12\n",
    ])
    (tmp_path / "book.csv").write_text(book)
    (tmp_path / "trades.csv").write_text(TRADE_H + f"binance-futures,X,{S + trade_us},{S + trade_us + 100},1,sell,100.0,10\n")
    return tardis.convert([tmp_path / "book.csv", tmp_path / "trades.csv"], tmp_path / "store", force=True)


def test_tardis_snapshot_rows_at_two_exchange_times_are_one_message_and_keep_our_place(tmp_path):
    # breaker34 F3: the mid-stream snapshot (rows sharing local_timestamp S+5100) re-lists the same book, its ask at
    # S+5000 us and its bid at S+5001 us. Our bid 5 @ 100 joined behind 10; one snapshot that lists 100x10 keeps our
    # place (10 ahead), so the sell of 10 @ 100 at S+8000 fills nothing. Before: CLEAR+ask at 5.000 ms, bid at
    # 5.001 ms, two messages: the book was empty between them, our place lost, the sell filled 5.
    st = _tardis(tmp_path, [f"binance-futures,X,{S + 5000},{S + 5100},true,ask,101.0,10\n",
                            f"binance-futures,X,{S + 5001},{S + 5100},true,bid,100.0,10\n"])
    assert _rows(st)[4:7] == [(5_000_000, "CLEAR", 0, 0, 0), (5_000_000, "DEPTH", -1, 101, 10),
                              (5_000_000, "DEPTH", 1, 100, 10)]
    assert st.meta["quirks"]["snapshot_rows_restamped"] == 1
    assert st.meta["quirks"]["snapshots"] == 2
    r = mmsim.run(st.events, _Once(100, 5), _cfg())
    assert len(r.fills) == 0


def test_tardis_snapshot_takes_its_earliest_rows_time_not_its_first_rows(tmp_path):
    # The earliest row is the second (S+4990 us): the whole snapshot is written there, the first row's later time
    # is restamped. The snapshot lists the bid at 100 x 6 (4 cancelled ahead of us, risk-averse: 6 ahead); the sell
    # of 10 @ 100 at S+8000 takes 6 and fills 4. Split (CLEAR at S+5000 with the ask, the bid at S+4990 before it,
    # wiped), the bid level would be gone: nobody ahead, a fill of 5.
    st = _tardis(tmp_path, [f"binance-futures,X,{S + 5000},{S + 5100},true,ask,101.0,10\n",
                            f"binance-futures,X,{S + 4990},{S + 5100},true,bid,100.0,6\n"])
    assert _rows(st)[4:7] == [(4_990_000, "CLEAR", 0, 0, 0), (4_990_000, "DEPTH", -1, 101, 10),
                              (4_990_000, "DEPTH", 1, 100, 6)]
    assert st.meta["quirks"]["snapshot_rows_restamped"] == 1
    r = mmsim.run(st.events, _Once(100, 5), _cfg())
    assert [(int(f["exch_ts"]) - S * 1000, int(f["qty"])) for f in r.fills] == [(8_000_000, 4)]


def test_tardis_snapshot_is_never_stamped_before_a_book_row_read_before_it(tmp_path):
    # The update at S+1000 (ask 101 -> 11) is read before the snapshot, whose rows are stamped S+900 and S+950:
    # ordered by exchange time the snapshot would come first and the stale update would land on it. The snapshot
    # takes the update's time; both rows restamped.
    st = _tardis(tmp_path, [f"binance-futures,X,{S + 900},{S + 5100},true,ask,101.0,10\n",
                            f"binance-futures,X,{S + 950},{S + 5100},true,bid,100.0,10\n"])
    assert _rows(st)[3:7] == [(1_000_000, "DEPTH", -1, 101, 11), (1_000_000, "CLEAR", 0, 0, 0),
                              (1_000_000, "DEPTH", -1, 101, 10), (1_000_000, "DEPTH", 1, 100, 10)]
    assert st.meta["quirks"]["snapshot_rows_restamped"] == 2


def test_tardis_snapshot_rows_at_one_time_are_not_counted(tmp_path):
    st = _tardis(tmp_path, [f"binance-futures,X,{S + 5000},{S + 5100},true,ask,101.0,10\n",
                            f"binance-futures,X,{S + 5000},{S + 5100},true,bid,100.0,10\n"])
    assert st.meta["quirks"]["snapshot_rows_restamped"] == 0


def test_databento_snapshot_records_at_several_times_are_written_at_one(tmp_path):
    # The same kind in the Databento loader, which already holds: a mid-stream snapshot whose records carry
    # ts_recv NS0+3010 and NS0+3011 (ts_event 3000, 3001) is one CLEAR and its orders at its first ts_recv.
    rows = [(0, "A", "B", "100.00", 10, 11, SNAP), (0, "A", "A", "101.00", 10, 12, SNAP | LAST),
            (1000, "A", "A", "101.00", 1, 13, 130),
            (3000, "A", "A", "101.00", 10, 12, SNAP), (3001, "A", "B", "100.00", 10, 11, SNAP | LAST),
            (9000, "A", "A", "101.00", 1, 14, 130)]
    st = dbt.convert([mbo_csv(tmp_path / "x.csv", rows)], tmp_path / "store", force=True)
    got = [(int(e["exch_ts"]) - NS0, Kind(int(e["kind"])).name) for e in np.asarray(st.events)]
    assert got[4:7] == [(3010, "CLEAR"), (3010, "ADD"), (3010, "ADD")]


def test_tardis_snapshot_row_read_after_a_trade_takes_the_snapshots_time(tmp_path):
    # The snapshot's rows span two local_timestamps (S+5100: the ask at S+5000; S+5200: the bid at S+5001) and a trade
    # (local S+5150, exchange S+5000) is read between them: it ends the snapshot's held rows, and the bid, read after
    # it, is the snapshot's too: written at S+5000, one message with the CLEAR, the ask and the trade.
    book = BOOK_H + "".join([
        f"binance-futures,X,{S},{S + 100},true,bid,100.0,10\n",
        f"binance-futures,X,{S},{S + 100},true,ask,101.0,10\n",
        f"binance-futures,X,{S + 1000},{S + 1100},false,ask,101.0,11\n",
        f"binance-futures,X,{S + 5000},{S + 5100},true,ask,101.0,10\n",
        f"binance-futures,X,{S + 5001},{S + 5200},true,bid,100.0,10\n",
        f"binance-futures,X,{S + 9000},{S + 9100},false,ask,101.0,12\n",
    ])
    (tmp_path / "book.csv").write_text(book)
    (tmp_path / "trades.csv").write_text(TRADE_H + f"binance-futures,X,{S + 5000},{S + 5150},1,buy,101.0,1\n")
    st = tardis.convert([tmp_path / "book.csv", tmp_path / "trades.csv"], tmp_path / "store", force=True)
    assert _rows(st)[4:8] == [(5_000_000, "CLEAR", 0, 0, 0), (5_000_000, "DEPTH", -1, 101, 10),
                              (5_000_000, "TRADE", 1, 101, 1), (5_000_000, "DEPTH", 1, 100, 10)]
    assert st.meta["quirks"]["snapshot_rows_restamped"] == 1
