"""fix25a: breaker25's findings on prints24's and scale24's merges.

1. ``quirks.prints_through_book``'s ``best`` is the book's best price, never the trade's own text: a loader's quote
   of a line gives that line's price only when it is the ticks asked for, else the price is ticks times the tick
   (docs/data.md, "Prints through the book").
"""

from __future__ import annotations

from conftest import make_events

from mmsim import Kind
from mmsim.data import convert, write_store

D, T = Kind.DEPTH, Kind.TRADE
MS = 1_000_000

TARDIS_BOOK = """exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
ex,XUSDT,1700000000000000,1700000000000100,true,bid,10.0,1
ex,XUSDT,1700000000000000,1700000000000100,true,ask,10.5,1
ex,XUSDT,1700000000000000,1700000000000100,true,bid,9.5,2
ex,XUSDT,1700000000001000,1700000000001100,false,bid,10.0,2
"""
TARDIS_TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def _tardis(tmp_path, trade: str):
    (tmp_path / "book.csv").write_text(TARDIS_BOOK)
    (tmp_path / "trades.csv").write_text(TARDIS_TRADES + trade + "\n")
    st = convert([tmp_path / "book.csv", tmp_path / "trades.csv"], tmp_path / "s", format="tardis", lot_size=0.1)
    return st.meta["quirks"]["prints_through_book"]


def test_tardis_sell_through_the_bid_quotes_the_bid_not_its_own_price(tmp_path):
    # Tick 0.5 (inferred): the bid 10.0 is 20 ticks, the sell at 0.5000 is 1 tick. It said best '0.5000'.
    q = _tardis(tmp_path, "ex,XUSDT,1700000000001500,1700000000001600,t1,sell,0.5000,0.5")
    assert (q["side"], q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == (-1, "0.5000", 1, "10.0", 20)
    assert q["at"] == "trades.csv: line 2"


def test_tardis_buy_through_the_ask_quotes_the_ask(tmp_path):
    # The ask 10.5 is 21 ticks; a buy at 12.00 (24 ticks) is more than 10% over it.
    q = _tardis(tmp_path, "ex,XUSDT,1700000000001500,1700000000001600,t1,buy,12.00,0.5")
    assert (q["side"], q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == (1, "12.00", 24, "10.5", 21)


DBN = """ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id
1703541600000000100,1703541600000000090,0,1,7,ES,A,B,4800.00,2,11,130,0
1703541600000000150,1703541600000000140,0,1,7,ES,A,A,4801.00,2,12,130,0
1703541600000000200,1703541600000000190,0,1,7,ES,T,A,100.00,1,0,130,0
"""


def test_databento_best_is_ticks_times_the_tick_as_every_loader(tmp_path):
    # Tick 0.25: the bid 4800.00 is 19200 ticks, written with the tick's two decimals (it was the fixed point's
    # '4800', another spelling than every other loader's fallback).
    (tmp_path / "d.csv").write_text(DBN)
    q = convert([tmp_path / "d.csv"], tmp_path / "s", format="databento", tick_size=0.25).meta["quirks"]["prints_through_book"]
    assert (q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == ("100.00", 400, "4800.00", 19200)


def test_a_whole_tick_writes_no_decimal(tmp_path):
    # Tick 1 (inferred): the bid is '4800' (it was '4800.0': repr(1.0)'s decimal taken for the tick's).
    (tmp_path / "d.csv").write_text(DBN)
    q = convert([tmp_path / "d.csv"], tmp_path / "s", format="databento").meta["quirks"]["prints_through_book"]
    assert (q["price"], q["best"], q["best_ticks"]) == ("100.00", "4800", 4800)
    # No loader (write_store): both prices ticks times the tick 1.0, '4800' and '100' (they were '4800.0', '100.0').
    ev = make_events([(0, D, 1, 4800, 1), (0, D, -1, 4801, 1), (MS, T, -1, 100, 1)])
    w = write_store(tmp_path / "w", ev, {"symbol": "X", "tick_size": 1.0, "lot_size": 1.0, "levels": "L2"})
    assert (w.meta["quirks"]["prints_through_book"]["price"], w.meta["quirks"]["prints_through_book"]["best"]) == (
        "100", "4800")
