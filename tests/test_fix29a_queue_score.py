"""fix29a, item 4: ``mmsim queue-score`` of a store converted from a LOBSTER or Databento file of trades only says why
the store is L2 data.

Such a store is labelled L2 (lead, 23: none of its events is an order event). queue-score refused it as L2 and
suggested "a Databento MBO, LOBSTER or hftbacktest L3 store", the very source it came from, without a word of why
this one is not; ``score_queue_models`` said "the event store is L2 data". Both now say, from the store's meta.json
(``format``, ``source``, ``event_count``), that its market-by-order source held no order event.
"""

from __future__ import annotations

import pytest
from _corpus import LOB_DAY, lobster

import mmsim
from mmsim.analysis import score_queue_models
from mmsim.cli import main
from mmsim.data import convert

HEAD = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
ROW = "1703541600000000{t}00,1703541600000000{t}90,0,{t},7,ES,T,{s},{px},1,0,130,0\n"
ORDERS = "(ADD, CANCEL, DELETE, EXECUTE)"
SUGGEST = ("mmsim queue-score scores the L2 queue models against the exact FIFO fills of market-by-order (L3) data: a "
           "Databento MBO, LOBSTER or hftbacktest L3 store, or `mmsim synth` (L3 by default)")


def test_queue_score_of_a_databento_store_of_trades_says_its_source_held_no_order(tmp_path, capsys):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + ROW.format(t=1, s="B", px="4800.00") + ROW.format(t=2, s="A", px="4800.25"))
    convert([p], tmp_path / "s", format="databento")
    assert main(["queue-score", str(tmp_path / "s"), "-o", str(tmp_path / "q")]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: {tmp_path / 's'}: an L2 (market-by-price) event store; {SUGGEST}; this store was "
        f"converted from a databento (market-by-order) source (d.csv), but none of its 2 events is an order event "
        f"{ORDERS}: a window of trades and status only is labelled L2 (docs/data.md, \"Formats\"); convert a window of "
        "the source that holds orders\n")
    assert not (tmp_path / "q").exists()


def test_score_queue_models_of_a_lobster_store_of_hidden_executions_says_so_too(tmp_path):
    """The second case: a LOBSTER day of hidden executions over an empty book (CLEAR + 2 prints: 3 events), through
    the library function."""
    srcs, _ = lobster(tmp_path, msg=["34200.1,5,0,3,1000150,-1", "34200.2,5,0,2,1000150,1"],
                      book=["9999999999,0,-9999999999,0"] * 2)
    st = convert(srcs, tmp_path / "s", format="lobster")
    with pytest.raises(mmsim.DataError) as e:
        score_queue_models(st)
    names = f"{LOB_DAY.format('message')}, {LOB_DAY.format('orderbook')}"
    assert str(e.value) == (
        "score_queue_models: the event store is L2 data; queue models are scored against market-by-order (L3) data, "
        f"where the exact FIFO fills are known; this store was converted from a lobster (market-by-order) source "
        f"({names}), but none of its 3 events is an order event {ORDERS}: a window of trades and status only is "
        "labelled L2 (docs/data.md, \"Formats\"); convert a window of the source that holds orders")
