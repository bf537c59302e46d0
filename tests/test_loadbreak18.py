"""loadbreak18: messy inputs for each loader (docs/data.md), and ``--trade-implied-book`` of hftbacktest files read
once.

Findings: a LOBSTER file whose first message empties a level was refused; a Databento ``F`` / hftbacktest
``FILL_EVENT`` at a price its order does not rest at became an execution at the resting price; an hftbacktest modify
to an order's own price and size sent it to the back of its queue. Each finding pins the events its input converts
to (hand-computed, field by field) or the one-line error naming the file and line or record; the second case of
each kind is beside the first.
"""

from __future__ import annotations

import numpy as np
import pytest

import mmsim
from mmsim.data import _hftbacktest_read as hread
from mmsim.data._hftbacktest_read import (
    ADD_ORDER_EVENT,
    BUY_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    HBT_EVENT_DTYPE,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
)

NS0 = 1_700_000_000 * 10**9
BOTH = EXCH_EVENT | LOCAL_EVENT


def _hbt(rows):
    """hftbacktest rows (ev, exch offset ns, px, qty, order id), local_ts 1 us after exch_ts."""
    a = np.zeros(len(rows), HBT_EVENT_DTYPE)
    for i, (ev, t, px, qty, oid) in enumerate(rows):
        a[i] = (ev, NS0 + t, NS0 + t + 1000, px, qty, oid, 0, 0.0)
    return a


def _l2_day(shift: int = 0):
    """An L2 day: a book of a bid at 100 and an ask at 101, a sell print at the bid, the bid's next update."""
    return _hbt([(DEPTH_EVENT | BOTH | BUY_EVENT, shift + 1_000, 100.0, 3.0, 0),
                 (DEPTH_EVENT | BOTH | SELL_EVENT, shift + 1_000, 101.0, 2.0, 0),
                 (TRADE_EVENT | BOTH | SELL_EVENT, shift + 2_000, 100.0, 1.0, 0),
                 (DEPTH_EVENT | BOTH | BUY_EVENT, shift + 3_000, 100.0, 2.0, 0)])


@pytest.fixture
def npz_reads(monkeypatch):
    """The files whose event array is read (each start of a pass over a .npz's ``data``), in order."""
    seen: list[str] = []
    real = hread._read_npy_stream

    def counted(path, f):
        seen.append(path.name)
        return real(path, f)

    monkeypatch.setattr(hread, "_read_npy_stream", counted)
    return seen


@pytest.mark.parametrize("grid", [["--tick-size", "1", "--lot-size", "1"], []])
def test_trade_implied_book_of_npz_files_reads_each_file_as_often_as_a_plain_conversion(tmp_path, npz_reads, grid):
    """Each file's event array is read once by the conversion (twice with the grid inferred: the inference's pass),
    no more for the trade-implied book: before, a pass of its own looked for an L3 row first (2 and 3 reads)."""
    from mmsim.cli import main

    np.savez_compressed(tmp_path / "a.npz", data=_l2_day())
    np.savez_compressed(tmp_path / "b.npz", data=_l2_day(10_000))
    files = [str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]
    per_file = 1 if grid else 2
    assert main(["convert", *files, "-o", str(tmp_path / "plain"), "--format", "hftbacktest", "-q", *grid]) == 0
    assert npz_reads == ["a.npz", "b.npz"] * per_file  # the grid's pass over both files, then the conversion's
    npz_reads.clear()
    assert main(["convert", *files, "-o", str(tmp_path / "implied"), "--format", "hftbacktest", "-q",
                 "--trade-implied-book", *grid]) == 0
    assert npz_reads == ["a.npz", "b.npz"] * per_file
    # each day's sell print of 1 lot at the bid of 3 reduced it to 2 until the bid's next update: 1 print, reduced 1,
    # restored 1 a day
    assert mmsim.load(tmp_path / "implied").meta["quirks"]["trade_implied_book"] == {
        "prints": 2, "hidden": 0, "reduced": 2, "restored": 2}


@pytest.mark.parametrize("grid", [["--tick-size", "1", "--lot-size", "1"], []])
def test_an_l3_npz_is_refused_for_a_trade_implied_book_by_the_conversion_reading_it_once(tmp_path, capsys, npz_reads,
                                                                                        grid):
    """The refusal names the file and the first exchange-side L3 row's record (every row counted: the local-only twin
    at record 3 too), said by the conversion's one pass; nothing is written."""
    from mmsim.cli import main

    rows = _l2_day()
    l3 = np.concatenate([rows[:2], _hbt([(ADD_ORDER_EVENT | LOCAL_EVENT | BUY_EVENT, 1_500, 99.0, 1.0, 7),
                                         (ADD_ORDER_EVENT | EXCH_EVENT | BUY_EVENT, 1_500, 99.0, 1.0, 7)]), rows[2:]])
    l3["local_ts"][2:4] = l3["local_ts"][1]
    np.savez_compressed(tmp_path / "a.npz", data=l3)
    capsys.readouterr()
    assert main(["convert", str(tmp_path / "a.npz"), "-o", str(tmp_path / "out"), "--format", "hftbacktest",
                 "--trade-implied-book", *grid]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {tmp_path / 'a.npz'}: record 4: ADD_ORDER_EVENT, an L3 row: a "
                                       "trade-implied book needs L2 data (on L3 data each execution removes its "
                                       "order: there is nothing to imply)\n")
    assert npz_reads == ["a.npz"]  # the first pass (the grid's, or the conversion's) says it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


# --- LOBSTER: a first message that empties a level ------------------------------------------------------------------

MIDNIGHT_NY_20120621 = 1340251200 * 10**9  # 2012-06-21 00:00 America/New_York (EDT) in ns
SYN = 2**62  # mmsim's synthetic order ids (docs/data.md, LOBSTER)


def _lobster(tmp_path, messages: str, book: str):
    m = tmp_path / "X_2012-06-21_34200000_57600000_message_1.csv"
    m.write_text(messages)
    (tmp_path / "X_2012-06-21_34200000_57600000_orderbook_1.csv").write_text(book)
    return m


def _rows(store):
    ev = mmsim.load(store).events
    return [(int(e["exch_ts"]), mmsim.Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
             int(e["order_id"])) for e in ev]


@pytest.mark.parametrize("typ,kind", [(3, "DELETE"), (4, "EXECUTE"), (2, "DELETE")])
def test_lobster_first_message_emptying_a_level_seeds_that_level(tmp_path, typ, kind):
    """The orders resting before the file are the first orderbook row with the first message undone: a deletion,
    execution or cancel that took a whole level (100 shares at the best ask $101, gone from the row) put it back.
    Before, the undo only restored a level the row still showed: the message was refused as an unknown order id
    "cannot be explained by the depth resting before the file", on a valid file."""
    m = _lobster(tmp_path, f"34200.1,{typ},5,100,1010000,-1\n34200.2,1,6,10,1000000,1\n",
                 "1020000,50,990000,20\n1020000,50,1000000,10\n")
    mmsim.data.convert([m], tmp_path / "s", format="lobster")
    t1, t2 = MIDNIGHT_NY_20120621 + 34_200_100_000_000, MIDNIGHT_NY_20120621 + 34_200_200_000_000
    # seeded: bids best first, then asks best first, ids 2**62 + k; the message takes the seeded ask at $101
    assert _rows(tmp_path / "s") == [
        (t1, "CLEAR", 0, 0, 0, 0),
        (t1, "ADD", 1, 9900, 20, SYN),
        (t1, "ADD", -1, 10100, 100, SYN + 1),
        (t1, "ADD", -1, 10200, 50, SYN + 2),
        (t1, kind, -1, 10100, 100, SYN + 1),
        (t2, "ADD", 1, 10000, 10, 6),
    ]


def test_lobster_first_message_partly_taking_a_level_still_seeds_what_the_row_shows_plus_it(tmp_path):
    """The second case of the undo: an execution of 30 of a best bid of 50 that stays in the row (20 left) seeds
    50, and executes 30 of it (unchanged by the fix: the row shows the level)."""
    m = _lobster(tmp_path, "34200.1,4,5,30,990000,1\n", "1010000,10,990000,20\n")
    mmsim.data.convert([m], tmp_path / "s", format="lobster")
    t1 = MIDNIGHT_NY_20120621 + 34_200_100_000_000
    assert _rows(tmp_path / "s") == [
        (t1, "CLEAR", 0, 0, 0, 0),
        (t1, "ADD", 1, 9900, 50, SYN),
        (t1, "ADD", -1, 10100, 10, SYN + 1),
        (t1, "EXECUTE", 1, 9900, 30, SYN),
    ]


# --- A fill at a price its resting order is not at (Databento F, hftbacktest FILL_EVENT) -----------------------------

DB_HEADER = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
DB_T0 = 1703545200000000000


def _db_row(dt, seq, action, side, px, q, oid, flags=128):
    return f"{DB_T0 + dt + 500},{DB_T0 + dt},0,{seq},17077,ESH4,{action},{side},{px},{q},{oid},{flags},0\n"


@pytest.mark.parametrize("aggr,fside,fpx,oid,rests", [("B", "B", "4800.25", 1, "a bid at 4800.00"),
                                                     ("A", "A", "4800", 2, "an ask at 4800.25")])
def test_databento_fill_of_a_resting_order_at_another_price_is_refused(tmp_path, aggr, fside, fpx, oid, rests):
    """A T (aggressor not named: order 0) then an F of a resting order at the T's price, not where the order rests.
    Before: an EXECUTE of that order at its resting price (a buy print at the ask became an execution of the bid
    below it, the ask untouched); now an error naming the line. A resting order fills at its own price; the
    aggressor's own fill is named by its T, and an auction's fills (side N) are at the auction price (the ESH4
    sample converts as before)."""
    rows = [_db_row(0, 1, "A", "B", "4800.00", 2, 1), _db_row(0, 1, "A", "A", "4800.25", 3, 2),
            _db_row(1000, 2, "T", aggr, fpx, 1, 0, 0), _db_row(1000, 2, "F", fside, fpx, 1, oid, 0),
            _db_row(1000, 2, "C", fside, "4800.00" if oid == 1 else "4800.25", 1, oid)]
    src = tmp_path / "db.csv"
    src.write_text(DB_HEADER + "".join(rows))
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([src], tmp_path / "s", format="databento")
    assert str(exc.value) == (
        f"{src}: line 5: fill at {fpx.removesuffix('.00')} of order {oid}, which rests as {rests} and is not the "
        f"aggressor the trade (T) at line 4 names (order 0): a resting order fills at its own price (sequence 2, "
        f"ts_recv {DB_T0 + 1500}, F of order {oid}, side {fside}, 1 at {fpx.removesuffix('.00')})")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("fill_side,px,oid,rests", [(BUY_EVENT, 101.0, 1, "a bid at 100"),
                                                     (SELL_EVENT, 99.0, 2, "an ask at 101")])
def test_hftbacktest_fill_of_a_resting_order_at_another_price_is_refused(tmp_path, fill_side, px, oid, rests):
    """hftbacktest's FILL_EVENT of an order at a price it does not rest at: before, an EXECUTE at the resting
    price (a print at 101 became an execution of the bid at 100); now an error naming the record."""
    from mmsim.data._hftbacktest_read import FILL_EVENT

    rows = _hbt([(ADD_ORDER_EVENT | BOTH | BUY_EVENT, 1_000, 100.0, 2.0, 1),
                 (ADD_ORDER_EVENT | BOTH | SELL_EVENT, 1_000, 101.0, 3.0, 2),
                 (TRADE_EVENT | BOTH | fill_side, 2_000, px, 1.0, 0),
                 (FILL_EVENT | BOTH | fill_side, 2_000, px, 1.0, oid)])
    np.savez_compressed(tmp_path / "a.npz", data=rows)
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([tmp_path / "a.npz"], tmp_path / "s", format="hftbacktest", tick_size=1.0, lot_size=1.0)
    assert str(exc.value) == (f"{tmp_path / 'a.npz'}: record 4: fill at price {px:g} of order {oid}, which rests as "
                              f"{rests}: a resting order fills at its own price")
    assert not (tmp_path / "s").exists()


def test_hftbacktest_fill_at_its_order_price_is_still_an_execute(tmp_path):
    """The rule's other side: a FILL_EVENT at its order's price is an EXECUTE of it (the trade row, a TRADE)."""
    from mmsim.data._hftbacktest_read import FILL_EVENT

    rows = _hbt([(ADD_ORDER_EVENT | BOTH | BUY_EVENT, 1_000, 100.0, 2.0, 1),
                 (ADD_ORDER_EVENT | BOTH | SELL_EVENT, 1_000, 101.0, 3.0, 2),
                 (FILL_EVENT | BOTH | SELL_EVENT, 2_000, 101.0, 1.0, 2)])
    np.savez_compressed(tmp_path / "a.npz", data=rows)
    mmsim.data.convert([tmp_path / "a.npz"], tmp_path / "s", format="hftbacktest", tick_size=1.0, lot_size=1.0)
    assert _rows(tmp_path / "s") == [(NS0 + 1_000, "ADD", 1, 100, 2, 1), (NS0 + 1_000, "ADD", -1, 101, 3, 2),
                                     (NS0 + 2_000, "EXECUTE", -1, 101, 1, 2)]


# --- hftbacktest: a modify to the order's own price and size -----------------------------------------------------------

def _modify_rows(first):
    from mmsim.data._hftbacktest_read import MODIFY_ORDER_EVENT

    return _hbt([(ADD_ORDER_EVENT | BOTH | BUY_EVENT, 1_000, 100.0, 2.0, 1),
                 (ADD_ORDER_EVENT | BOTH | BUY_EVENT, 1_000, 100.0, 3.0, 2),
                 (ADD_ORDER_EVENT | BOTH | SELL_EVENT, 1_000, 101.0, 3.0, 3),
                 *first,
                 (MODIFY_ORDER_EVENT | BOTH | BUY_EVENT, 2_000, 100.0, 1.0 if first else 2.0, 1)])


def test_hftbacktest_modify_to_the_same_price_and_size_keeps_the_order_in_place(tmp_path):
    """Order 1 (2 lots, first at the bid 100, order 2 behind it) modified to 2 lots at 100: nothing changes, so
    nothing is written and it keeps its place (hftbacktest's L3 queue model moves an order back only for another
    price or a larger size). Before: DELETE + ADD, order 1 sent behind order 2."""
    np.savez_compressed(tmp_path / "a.npz", data=_modify_rows([]))
    mmsim.data.convert([tmp_path / "a.npz"], tmp_path / "s", format="hftbacktest", tick_size=1.0, lot_size=1.0)
    assert _rows(tmp_path / "s") == [(NS0 + 1_000, "ADD", 1, 100, 2, 1), (NS0 + 1_000, "ADD", 1, 100, 3, 2),
                                     (NS0 + 1_000, "ADD", -1, 101, 3, 3)]


def test_hftbacktest_modify_to_the_size_a_fill_left_keeps_the_order_in_place(tmp_path):
    """The venue's modify after a partial fill (CME: F, then M to the new size): a sell print fills 1 of order 1's 2
    lots (EXECUTE 1), then the modify to 1 lot at 100 writes nothing; order 1 stays ahead of order 2. Before: DELETE
    of its 1 lot + ADD of 1 at the back."""
    from mmsim.data._hftbacktest_read import FILL_EVENT

    np.savez_compressed(tmp_path / "a.npz", data=_modify_rows([(FILL_EVENT | BOTH | BUY_EVENT, 1_500, 100.0, 1.0, 1)]))
    mmsim.data.convert([tmp_path / "a.npz"], tmp_path / "s", format="hftbacktest", tick_size=1.0, lot_size=1.0)
    assert _rows(tmp_path / "s") == [(NS0 + 1_000, "ADD", 1, 100, 2, 1), (NS0 + 1_000, "ADD", 1, 100, 3, 2),
                                     (NS0 + 1_000, "ADD", -1, 101, 3, 3), (NS0 + 1_500, "EXECUTE", 1, 100, 1, 1)]


# --- Binance: errors of a later capture's values name that capture ---------------------------------------------------

BN_T = 1723161256000  # ms
BN_L0 = 1723161255000000000  # ns: the recorder 1 s behind


def _bn_line(ms, obj):
    import json

    return f"{BN_L0 + ms * 1_000_000} {json.dumps(obj)}\n"


def _bn_snap(last_id, ms):
    return {"lastUpdateId": last_id, "E": BN_T + ms, "T": BN_T + ms, "bids": [["100.0", "1.000"], ["99.9", "1.000"]],
            "asks": [["100.1", "1.000"], ["100.2", "2.000"]]}


def _bn_diff(ms, first, last, prev, bids):
    return {"stream": "x@depth", "data": {"e": "depthUpdate", "E": BN_T + ms, "T": BN_T + ms, "s": "X", "U": first,
                                          "u": last, "pu": prev, "b": bids, "a": []}}


def _bn_two_captures(tmp_path, level):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text(_bn_line(0, _bn_snap(100, 0)) + _bn_line(1, _bn_diff(1, 95, 105, 90, [["100.0", "2.000"]])))
    b.write_text(_bn_line(5, _bn_snap(200, 5)) + _bn_line(6, _bn_diff(6, 195, 205, 190, [level])))
    return a, b


@pytest.mark.parametrize("level,why", [
    (["100.05", "2.000"], "price 100.05 is off the tick grid (tick size 0.1); the tick was inferred from the snapshot "
                          "at a.log: line 1 (the common step of its prices): pass --tick-size"),
    (["100.0", "2.0005"], "size 2.0005 is not a whole number of lots (lot size 0.001); the lot was inferred from the "
                          "snapshot at a.log: line 1 (the decimals of its sizes): pass --lot-size"),
    (["-100.0", "2.000"], "price -100.0 is not positive (Binance prices are)"),
])
def test_binance_a_bad_value_in_the_second_capture_names_that_capture(tmp_path, level, why):
    """The grid (tick, lot) of the first capture's snapshot parses every capture's values; its errors named the
    first capture with the second's line number (``a.log: line 2`` for b.log's line 2, where a.log's line 2 is
    fine). An off-grid value against an inferred grid says where the grid came from and the flag to give it."""
    a, b = _bn_two_captures(tmp_path, level)
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([a, b], tmp_path / "s", format="binance")
    assert str(exc.value) == f"{b}: line 2: {why}"
    assert not (tmp_path / "s").exists()


def test_binance_off_grid_against_a_given_tick_names_no_inference(tmp_path):
    """With --tick-size given, the off-grid error is as before: the tick is the user's, nothing was inferred."""
    a, b = _bn_two_captures(tmp_path, ["100.05", "2.000"])
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([a, b], tmp_path / "s", format="binance", tick_size=0.1)
    assert str(exc.value) == f"{b}: line 2: price 100.05 is off the tick grid (tick size 0.1)"


# --- Binance: a capture ending in a snapshot line ------------------------------------------------------------------

def _bn_trade(ms, tid):
    return {"stream": "x@trade", "data": {"e": "trade", "E": BN_T + ms, "T": BN_T + ms, "s": "X", "t": tid,
                                          "p": "100.0", "q": "0.500", "X": "MARKET", "m": True}}


BN_NS, MS = BN_T * 1_000_000, 1_000_000
BN_SYNCED = [  # the snapshot (book at update 101; tick 0.1, lot 0.001), the diff spanning it (bid 100.0 to 2), a sell
    # print of 0.5 at the bid (m: the buyer made it)
    (BN_NS, "CLEAR", 0, 0, 0, 0), (BN_NS, "DEPTH", 1, 1000, 1000, 0), (BN_NS, "DEPTH", 1, 999, 1000, 0),
    (BN_NS, "DEPTH", -1, 1001, 1000, 0), (BN_NS, "DEPTH", -1, 1002, 2000, 0),
    (BN_NS + MS, "DEPTH", 1, 1000, 2000, 0), (BN_NS + 2 * MS, "TRADE", -1, 1000, 500, 0)]


@pytest.mark.parametrize("tail,dropped", [([], 0), ([_bn_trade(4, 8)], 1)])
def test_binance_a_capture_ending_in_a_snapshot_keeps_its_synced_book(tmp_path, tail, dropped):
    """A capture whose last snapshot line (a newer one, fetched again) has no diff after it: the book stays as the
    diffs synced it and the snapshot is dropped, counted in ``quirks.trailing_snapshots_dropped``; a trade after it
    (against no known book) is dropped as before a snapshot. Before: the whole capture was refused, "no depth diff
    after the snapshot could be applied", naming no line."""
    cap = tmp_path / "a.log"
    cap.write_text("".join(_bn_line(ms, o) for ms, o in [
        (0, _bn_snap(101, 0)), (1, _bn_diff(1, 101, 104, 90, [["100.0", "2.000"]])), (2, _bn_trade(2, 7)),
        (3, _bn_snap(105, 3))] + [(4, o) for o in tail]))
    st = mmsim.data.convert([cap], tmp_path / "s", format="binance")
    assert _rows(tmp_path / "s") == BN_SYNCED
    assert st.meta["quirks"]["trailing_snapshots_dropped"] == 1
    assert st.meta["quirks"]["dropped_before_snapshot"] == dropped


def test_binance_a_later_capture_without_a_snapshot_says_so(tmp_path):
    """The second capture of a store has no snapshot line: it said "no depth diff after the snapshot could be
    applied" (the first capture's grid stood for a snapshot); now it says it has none."""
    a, _ = _bn_two_captures(tmp_path, ["100.0", "2.000"])
    b = tmp_path / "c.log"
    b.write_text(_bn_line(6, _bn_diff(6, 195, 205, 190, [["100.0", "3.000"]])))
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([a, b], tmp_path / "s", format="binance")
    assert str(exc.value) == (f"{b}: no REST depth snapshot line (a JSON object with lastUpdateId); the book cannot be "
                              "built")


def test_binance_a_snapshot_no_diff_reaches_is_still_refused_naming_its_line(tmp_path):
    """The other side of the rule: diffs after the last snapshot, none reaching it (older), is still an error, now
    naming the snapshot's line and update id."""
    cap = tmp_path / "a.log"
    cap.write_text("".join(_bn_line(ms, o) for ms, o in [
        (0, _bn_snap(101, 0)), (1, _bn_diff(1, 101, 104, 90, [["100.0", "2.000"]])), (3, _bn_snap(200, 3)),
        (4, _bn_diff(4, 105, 107, 104, [["100.0", "3.000"]]))]))
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([cap], tmp_path / "s", format="binance")
    assert str(exc.value) == (f"{cap}: no depth diff after the snapshot could be applied (the snapshot at line 3, "
                              "lastUpdateId 200: no diff after it reaches it)")


def _bn_levels(t):
    return [(t, "CLEAR", 0, 0, 0, 0), (t, "DEPTH", 1, 1000, 1000, 0), (t, "DEPTH", 1, 999, 1000, 0),
            (t, "DEPTH", -1, 1001, 1000, 0), (t, "DEPTH", -1, 1002, 2000, 0)]


@pytest.mark.parametrize("where", ["first snapshot", "resync"])
def test_binance_a_snapshot_older_than_the_one_awaiting_its_diff_is_dropped(tmp_path, where):
    """Two REST snapshot lines before a diff, the second older (lastUpdateId 101 after 108: a response written
    late): the older one is dropped (``stale_snapshots_dropped``) and the diff syncs the newer one. Before, the older
    replaced it and the diff spanning 108 was refused as a "sequence gap" at its line. At a capture's start, and at a
    re-sync after diffs."""
    older = _bn_snap(101, 4) | {"bids": [["99.0", "7.000"]]}
    head = [] if where == "first snapshot" else [(0, _bn_snap(90, 0)), (1, _bn_diff(1, 90, 104, 80, [["100.0", "2.000"]]))]
    cap = tmp_path / "a.log"
    cap.write_text("".join(_bn_line(ms, o) for ms, o in [
        *head, (3, _bn_snap(108, 3)), (4, older), (5, _bn_diff(5, 108, 110, 104, [["100.0", "3.000"]]))]))
    st = mmsim.data.convert([cap], tmp_path / "s", format="binance")
    before = [] if not head else [*_bn_levels(BN_NS), (BN_NS + MS, "DEPTH", 1, 1000, 2000, 0)]
    assert _rows(tmp_path / "s") == [*before, *_bn_levels(BN_NS + 3 * MS), (BN_NS + 5 * MS, "DEPTH", 1, 1000, 3000, 0)]
    assert st.meta["quirks"]["stale_snapshots_dropped"] == 1
