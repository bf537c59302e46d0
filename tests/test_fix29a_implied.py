"""fix29a, item 3: ``--trade-implied-book`` converts a Databento or LOBSTER file of trades (and status) only.

Such a file is written as an L2 store (lead, 23: an L3 source with no order event is labelled L2), but
``--trade-implied-book`` refused every ``lobster`` and ``databento`` file by its format, before reading it, as "L3".
The file is read now and refused at its first order event, naming the file and line (or record) and why.
"""

from __future__ import annotations

import json

import pytest
from _corpus import LOB_DAY, lobster
from conftest import shared_data

import mmsim
from mmsim.cli import main
from mmsim.data import convert

HEAD = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
ROW = "1703541600000000{t}00,1703541600000000{t}90,0,{t},7,ES,{a},{s},{px},1,{oid},130,0\n"
ZERO = {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
WHY = ("a trade-implied book needs L2 data, and this file is market-by-order (L3) data (on L3 data each execution "
       "removes its order: there is nothing to imply; a file of trades and status only converts)")


def _dbn(tmp_path, *rows: tuple[str, str, str, int]):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "".join(ROW.format(t=i + 1, a=a, s=s, px=px, oid=oid) for i, (a, s, px, oid) in enumerate(rows)))
    return p


def test_a_databento_file_of_trades_only_converts_with_a_trade_implied_book(tmp_path, capsys):
    p = _dbn(tmp_path, ("T", "B", "4800.00", 0), ("T", "A", "4800.25", 0))
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "databento", "--trade-implied-book"]) == 0
    err = capsys.readouterr().err.splitlines()
    # No level to hide or reduce: two prints over an empty book imply nothing.
    assert err[1] == ('book trade-implied (prints hid 0 and reduced 0 levels until the side\'s next depth update: '
                      'docs/data.md, "A trade-implied book")')
    assert err[2].startswith("warning: none of the 2 events of d.csv is an order event ")
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert (meta["levels"], meta["event_count"], meta["quirks"]["trade_implied_book"]) == ("L2", 2, ZERO)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d.csv", "s"]  # the scratch store removed


def test_a_lobster_day_of_hidden_executions_converts_with_a_trade_implied_book(tmp_path):
    """The second case: a LOBSTER day over an empty book (dummy levels) whose messages are hidden executions."""
    srcs, _ = lobster(tmp_path, msg=["34200.1,5,0,3,1000150,-1", "34200.2,5,0,2,1000150,1"],
                      book=["9999999999,0,-9999999999,0"] * 2)
    st = convert(srcs, tmp_path / "s", format="lobster", trade_implied=True)
    assert (st.meta["levels"], st.meta["quirks"]["trade_implied_book"]) == ("L2", ZERO)
    # CLEAR of the day, then the two prints (rounded to the grid toward the aggressor: 100.015 -> 100.01 for a
    # buyer, 100.02 for a seller).
    assert [(mmsim.Kind(int(k)).name, int(s), int(px), int(q)) for k, s, px, q in
            zip(st.events["kind"], st.events["side"], st.events["price"], st.events["qty"])] == [
        ("CLEAR", 0, 0, 0), ("TRADE", 1, 10001, 3), ("TRADE", -1, 10002, 2)]


def test_a_file_with_an_order_event_is_refused_at_it(tmp_path, capsys):
    p = _dbn(tmp_path, ("T", "B", "4800.00", 0), ("A", "B", "4800.00", 11), ("T", "A", "4800.25", 0))
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "databento", "--trade-implied-book"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {p}: line 3: ADD, an order event (ADD, CANCEL, DELETE, EXECUTE): {WHY}\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d.csv"]
    # Without the flag it is an L3 store.
    assert convert([p], tmp_path / "s", format="databento").meta["levels"] == "L3"


def test_a_lobster_day_with_a_book_is_refused_at_its_seeded_orders(tmp_path):
    """The AMZN day: its first message is a hidden execution, but the orders resting before it (seeded from the first
    orderbook row as ADDs at message line 1) are order events."""
    m = shared_data("lobster", LOB_DAY.replace("TEST", "AMZN").format("message"))
    with pytest.raises(mmsim.DataError) as e:
        convert([m], tmp_path / "s", format="lobster", trade_implied=True)
    assert str(e.value) == f"{m}: line 1: ADD, an order event (ADD, CANCEL, DELETE, EXECUTE): {WHY}"
    assert list(tmp_path.iterdir()) == []
