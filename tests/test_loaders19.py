"""Loader edge cases of messy feeds (session 19): Tardis rows stamped before the snapshot they are read after, a
clear inside an hftbacktest file carrying Databento's flags, the L3 export of a cancel that empties an order, and a
Databento fill in an event after its trade's.

Each test gives hand-computed events or the exact error, and a second case of the same kind.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import US0, tardis, td_book_lines

import mmsim
from mmsim.data import tardis as tds
from mmsim.events import Kind


def _td_trades(path, rows):
    """A Tardis trades file of ``(dt_us, dlocal_us, id, side, price, amount)`` rows after US0."""
    path.write_text("\n".join(["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
                              + [f"ex,XUSDT,{US0 + dt},{US0 + dl},{i},{s},{px},{q}" for dt, dl, i, s, px, q in rows])
                    + "\n")
    return path


def _ev(st):
    """``(kind, exch_ts - US0 in µs, side, price ticks, qty lots)`` of every event."""
    return [(int(e["kind"]), int(e["exch_ts"]) // 1000 - US0, int(e["side"]), int(e["price"]), int(e["qty"]))
            for e in np.asarray(st.events)]


# The corpus book (tick 0.5, lot 0.1): a snapshot at US0 (received at US0 + 100 µs) of bids 10.0 x 1 and 9.5 x 2,
# ask 10.5 x 1; then updates at +1000 (bid 10.0 -> 2), +2000 (ask 10.5 -> 0.5), +3000 (ask 11.0 x 1).
_SNAP = [(Kind.CLEAR, 0, 0, 0, 0), (Kind.DEPTH, 0, 1, 20, 10), (Kind.DEPTH, 0, -1, 21, 10), (Kind.DEPTH, 0, 1, 19, 20)]
_UPDATES = [(Kind.DEPTH, 1000, 1, 20, 20), (Kind.DEPTH, 2000, -1, 21, 5), (Kind.DEPTH, 3000, -1, 22, 10)]


# --------------------------------------------------------------------------- Tardis: stamped before the first snapshot
def test_tardis_trade_read_after_the_first_snapshot_but_stamped_before_it_is_dropped(tmp_path):
    """Trades are merged by receive time, then ordered by exchange time: a trade received after the snapshot
    but stamped 300 µs before it was written before the snapshot's CLEAR, a print against no book. A trade
    from before the book exists is dropped and counted, as one read before the snapshot is; one stamped at
    the snapshot's own time is kept, after the snapshot's levels (file order breaks the tie)."""
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path / "trades.csv", [(-300, 200, "t0", "buy", "10.5", "0.5"),   # stamped before, read after
                                              (0, 300, "t1", "sell", "10.0", "0.5"),     # at the snapshot's time
                                              (1500, 1600, "t2", "sell", "10.0", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 1
    assert _ev(st) == [*_SNAP, (Kind.TRADE, 0, -1, 20, 5), _UPDATES[0], (Kind.TRADE, 1500, -1, 20, 5),
                       *_UPDATES[1:]]


def test_tardis_book_update_read_after_a_snapshot_but_stamped_before_it_takes_the_snapshots_time(tmp_path):
    """The same kind in the book file: an update received after the snapshot's rows (bid 9.0 x 3, local US0 + 150)
    but stamped 200 µs before them was written before the CLEAR and wiped by it (the loader's own book kept it: the
    two disagreed on bid 9.0). Received after the snapshot, it changes the book the snapshot set: it takes the
    snapshot's time, after its levels (as the Binance loader's snapshot takes the earlier of its time and its first
    diff's), counted in quirks.book_rows_stamped_before_snapshot. A later snapshot (a reconnect's at US0 + 5000:
    bid 10.0 x 3, ask 10.5 x 4) and an update stamped 500 µs before it but received after it: the same."""
    lines = td_book_lines()
    book = [*lines[:4], f"ex,XUSDT,{US0 - 200},{US0 + 150},false,bid,9.0,3", *lines[4:],
            f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,bid,10.0,3", f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,ask,10.5,4",
            f"ex,XUSDT,{US0 + 4500},{US0 + 5200},false,ask,11.0,2"]
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    st = tds.convert(srcs, tmp_path / "s")
    assert (st.meta["quirks"]["book_rows_stamped_before_snapshot"], st.meta["quirks"]["dropped_before_snapshot"]) == \
        (2, 0)
    assert _ev(st) == [*_SNAP, (Kind.DEPTH, 0, 1, 18, 30), *_UPDATES, (Kind.CLEAR, 5000, 0, 0, 0),
                       (Kind.DEPTH, 5000, 1, 20, 30), (Kind.DEPTH, 5000, -1, 21, 40), (Kind.DEPTH, 5000, -1, 22, 20)]


def test_tardis_trade_stamped_before_a_later_snapshot_is_kept_against_the_book_before_it(tmp_path):
    """Only the first snapshot starts the book: a trade stamped before a later snapshot (a reconnect's) but
    received after it has the book before that snapshot to trade against, and is kept, ordered before its
    CLEAR by exchange time."""
    book = [*td_book_lines(), f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,bid,10.0,3",
            f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,ask,10.5,4"]
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    tp = _td_trades(tmp_path / "trades.csv", [(4000, 5200, "t1", "buy", "10.5", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 0
    assert _ev(st) == [*_SNAP, *_UPDATES, (Kind.TRADE, 4000, 1, 21, 5), (Kind.CLEAR, 5000, 0, 0, 0),
                       (Kind.DEPTH, 5000, 1, 20, 30), (Kind.DEPTH, 5000, -1, 21, 40)]


@pytest.mark.parametrize("which", ["trade", "update"])
def test_tardis_row_dropped_as_before_the_first_snapshot_is_still_held_to_the_10s_window(tmp_path, which):
    """Dropping a row stamped before the snapshot does not hide a time 20 s back: the error names it and the
    snapshot row that set the latest exchange time, as for any row."""
    lines = td_book_lines()
    early = US0 - 20_000_000
    if which == "trade":
        srcs, bp = tardis(tmp_path, with_trades=False)
        src = _td_trades(tmp_path / "trades.csv", [(-20_000_000, 200, "t0", "buy", "10.5", "0.5")])
        srcs, at = [srcs[0], src], f"{src}: line 2"
    else:
        srcs, bp = tardis(tmp_path, book=[*lines[:4], f"ex,XUSDT,{early},{US0 + 150},false,bid,9.0,3", *lines[4:]],
                          with_trades=False)
        at = f"{bp}: line 5"
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (f"{at}: exchange timestamp {early * 1000} is 20.000 s earlier than {US0 * 1000} read "
                             f"before (at {bp}: line 2); rows may be out of order by at most 10 s")


# --------------------------------------------------------------------------- an R inside hftbacktest's Databento file
F_LAST, F_SNAPSHOT = 128, 32


def _hbt_npz(path, recs):
    """Databento records ``(dt, action, side, price, size, order id, flags)`` as hftbacktest's Databento converter
    writes them (``hftbacktest.data.utils.databento.convert``): one row each, ``exch_ts`` the record's ts_event
    (NS0 + dt), ``local_ts`` its ts_recv (50 ns later, as ``_corpus.dbn_bytes`` writes it), the flags in ``ival``;
    an ``R`` and the rows at its ts_recv take that time as both (the converter's snapshot stamping)."""
    from _corpus import NS0
    from mmsim.data import hftbacktest as hbt

    code = {"A": hbt.ADD_ORDER_EVENT, "C": hbt.CANCEL_ORDER_EVENT, "M": hbt.MODIFY_ORDER_EVENT,
            "T": hbt.TRADE_EVENT, "F": hbt.FILL_EVENT, "R": hbt.DEPTH_CLEAR_EVENT}
    flag = {"B": hbt.BUY_EVENT, "A": hbt.SELL_EVENT, "N": 0}
    a = np.zeros(len(recs), hbt.HBT_EVENT_DTYPE)
    snap = None
    for i, (dt, act, side, px, q, oid, fl) in enumerate(recs):
        e = lc = NS0 + dt
        lc += 50
        snap = lc if act == "R" else snap if lc == snap else None
        if snap is not None:
            e = lc = snap
        a[i] = (code[act] | flag[side] | hbt.EXCH_EVENT | hbt.LOCAL_EVENT, e, lc, float(px), q, oid, fl, 0.0)
    np.savez_compressed(path, data=a)
    return path


def _both(tmp_path, recs):
    """The DBN file of ``recs`` through the Databento loader, and hftbacktest's conversion of it through the
    hftbacktest loader: each store's events as ``(exch_ts - NS0, kind, side, price, size, order id)``."""
    from _corpus import NS0, dbn_bytes

    (tmp_path / "x.dbn").write_bytes(dbn_bytes(recs))
    a = mmsim.data.convert([tmp_path / "x.dbn"], tmp_path / "a", format="databento")
    b = mmsim.data.convert([_hbt_npz(tmp_path / "x.npz", recs)], tmp_path / "b", format="hftbacktest",
                           tick_size=0.25, lot_size=1)
    return [[(int(e["exch_ts"]) - NS0, Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
              int(e["order_id"])) for e in np.asarray(st.events)] for st in (a, b)], (a, b)


#: Bids 2 and 3 @ 4800.00 (orders 1, 2), asks 3 and 2 @ 4800.25 (orders 3, 4): 4800.00 is 19200 ticks of 0.25.
_DB_BOOK = [(0, "A", "B", "4800.00", 2, 1, 0), (0, "A", "B", "4800.00", 3, 2, 0), (0, "A", "A", "4800.25", 3, 3, 0),
            (0, "A", "A", "4800.25", 2, 4, F_LAST)]
_DB_ADDS = [(0, "ADD", 1, 19200, 2, 1), (0, "ADD", 1, 19200, 3, 2), (0, "ADD", -1, 19201, 3, 3),
            (0, "ADD", -1, 19201, 2, 4)]


def test_hbt_databento_file_clear_mid_file_empties_the_book_and_the_orders_after_it_rebuild_it(tmp_path):
    """An ``R`` (Databento's clear of the book) mid-file in hftbacktest's conversion: the book is emptied, order id 1
    listed again after it is a new order (bid 4 @ 4799.75), and a cancel of 1 lot of it is a CANCEL; the DBN file
    through the Databento loader writes the same events. The one difference is the clear's time: hftbacktest's
    converter stamps an ``R`` with its ts_recv (NS0 + 1050), the Databento loader keeps its ts_event (NS0 + 1000)."""
    recs = [*_DB_BOOK, (1000, "R", "N", "0", 0, 0, F_LAST),
            (2000, "A", "B", "4799.75", 4, 1, 0), (2000, "A", "A", "4800.50", 1, 5, F_LAST),
            (3000, "C", "B", "4799.75", 1, 1, F_LAST)]
    after = [(2000, "ADD", 1, 19199, 4, 1), (2000, "ADD", -1, 19202, 1, 5), (3000, "CANCEL", 1, 19199, 1, 1)]
    (db, hb), (a, b) = _both(tmp_path, recs)
    assert db == [*_DB_ADDS, (1000, "CLEAR", 0, 0, 0, 0), *after]
    assert hb == [*_DB_ADDS, (1050, "CLEAR", 0, 0, 0, 0), *after]
    assert mmsim.replay_bbo(np.asarray(b.events))["best_bid"][-1] == 19199  # the rebuilt book, not 4800.00


def test_hbt_databento_file_clear_opening_a_snapshot_ends_a_print_and_forgets_pending_fills(tmp_path):
    """The same kind where a clear meets the Databento rules' state: a buy of 3 fills order 4's 2 lots (its print's
    uncovered lot a TRADE, written when the ``R`` ends it), then an ``R`` flagged ``F_SNAPSHOT`` opens a snapshot
    listing orders 2 and 4 again at its ts_recv (NS0 + 1050). The C of 1 lot of order 4 after it is a cancel of the
    new order, not the venue's C of the lots filled before the clear (absorbed, it wrote nothing). Both loaders write
    these events; the Databento loader wrote the snapshot's CLEAR twice (once for the snapshot, once for its R)."""
    recs = [*_DB_BOOK, (500, "T", "B", "4800.25", 3, 0, 0), (500, "F", "A", "4800.25", 2, 4, F_LAST),
            (1000, "R", "N", "0", 0, 0, F_SNAPSHOT), (1000, "A", "B", "4800.00", 5, 2, F_SNAPSHOT),
            (1000, "A", "A", "4800.25", 2, 4, F_SNAPSHOT | F_LAST), (2000, "C", "A", "4800.25", 1, 4, F_LAST)]
    expected = [*_DB_ADDS, (500, "EXECUTE", -1, 19201, 2, 4), (500, "TRADE", 1, 19201, 1, 0),
                (1050, "CLEAR", 0, 0, 0, 0), (1050, "ADD", 1, 19200, 5, 2), (1050, "ADD", -1, 19201, 2, 4),
                (2000, "CANCEL", -1, 19201, 1, 4)]
    (db, hb), (a, b) = _both(tmp_path, recs)
    assert db == expected and hb == expected
    assert a.meta["quirks"]["uncovered_trade_prints"] == b.meta["quirks"]["uncovered_trade_prints"] == 1
    assert a.meta["quirks"]["fill_cancels_absorbed"] == b.meta["quirks"]["fill_cancels_absorbed"] == 0


# --------------------------------------------------------------------------- the export of a CANCEL emptying its order
#: hftbacktest's own L3 book after replaying a file (tick 0.25, lot 1): its levels and its best bid and ask ticks.
_HBT_BOOK = """
import json, sys
from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest
asset = (BacktestAsset().data([sys.argv[1]]).linear_asset(1.0).constant_order_latency(0, 0).l3_fifo_queue_model()
         .no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0).tick_size(0.25).lot_size(1.0))
hbt = HashMapMarketDepthBacktest([asset])
hbt.elapse(int(sys.argv[2]))
d = hbt.depth(0)
side = lambda q: {t: int(q(t)) for t in range(300, 500) if q(t) > 0}
print(json.dumps([side(d.bid_qty_at_tick), side(d.ask_qty_at_tick), d.best_bid_tick, d.best_ask_tick]))
hbt.close()
"""


def _hbt_replay(path):
    import json
    import subprocess

    from test_hbtexport18 import _exe
    from test_hftbacktest_files import DAY

    r = subprocess.run([_exe(), "-c", _HBT_BOOK, str(path), str(3 * DAY)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bids, asks, bb, ba = json.loads(r.stdout.split("\n")[-2])
    return {int(k): v for k, v in bids.items()}, {int(k): v for k, v in asks.items()}, bb, ba


def _cancel_probe(readd: bool):
    from test_hftbacktest_files import S, events

    # Bids 399 x5 (order 11) and 398 x1 (13), ask 410 x2 (12); order 11's 5 lots cancelled; with readd, id 11 then
    # names a new bid 397 x2 (ids are reused: Databento's order ids after a clear, a venue's recycled ids).
    return events([(0, Kind.ADD, 1, 399, 5, 11), (0, Kind.ADD, 1, 398, 1, 13), (0, Kind.ADD, -1, 410, 2, 12),
                   (S, Kind.CANCEL, 1, 399, 5, 11)] + ([(2 * S, Kind.ADD, 1, 397, 2, 11)] if readd else []))


def test_export_writes_a_cancel_emptying_its_order_as_hftbacktests_cancel_row(tmp_path):
    """Before: a modify of order 11 to 0 lots, which hftbacktest 2.4.4's L3 replay keeps resting (its modify at the
    same price only changes the size), its best bid left at 399 on an empty level (the store's is 398). Now the
    cancel row of the 5 lots cancelled, which deletes the order: best bid 398. The import reads it back as the
    DELETE of order 11 (as it read the modify to 0): the same book; a CANCEL of part of an order stays a modify."""
    from test_hbtexport18 import _rows
    from test_hftbacktest_files import S, events

    from mmsim.data import hftbacktest as hbt

    B, A = hbt.BUY_EVENT, hbt.SELL_EVENT
    out = hbt.export(_cancel_probe(False), tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    assert _rows(out) == [(hbt.ADD_ORDER_EVENT, B, 5.0, 11), (hbt.ADD_ORDER_EVENT, B, 1.0, 13),
                          (hbt.ADD_ORDER_EVENT, A, 2.0, 12), (hbt.CANCEL_ORDER_EVENT, B, 5.0, 11)]
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert [(Kind(int(e["kind"])).name, int(e["qty"]), int(e["order_id"])) for e in np.asarray(back.events)][3:] == \
        [("DELETE", 5, 11)]
    part = events([(0, Kind.ADD, 1, 399, 5, 11), (S, Kind.CANCEL, 1, 399, 2, 11)])
    assert _rows(hbt.export(part, tmp_path / "p.npz", tick_size=0.25, lot_size=1))[1] == \
        (hbt.MODIFY_ORDER_EVENT, B, 3.0, 11)
    assert _hbt_replay(tmp_path / "x.npz") == ({398: 1}, {410: 2}, 398, 410)


def test_hftbacktest_adds_an_order_id_again_after_a_cancel_emptied_it(tmp_path):
    """The same kind, its other face: with the modify to 0 the emptied order 11 stayed in hftbacktest's orders, so a
    new bid 397 x2 under id 11 was silently not added (its book had no 397). Now hftbacktest's book is the store's."""
    from test_hftbacktest_files import book_of

    from mmsim.data import hftbacktest as hbt

    ev = _cancel_probe(True)
    hbt.export(ev, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    assert book_of(ev) == ({398: 1, 397: 2}, {410: 2})
    assert _hbt_replay(tmp_path / "x.npz") == ({398: 1, 397: 2}, {410: 2}, 398, 410)


# --------------------------------------------------------------------------- Databento: a fill in an event after its T's
def _db_events(tmp_path, recs, name="x"):
    from _corpus import NS0, dbn_bytes

    (tmp_path / f"{name}.dbn").write_bytes(dbn_bytes(recs))
    st = mmsim.data.convert([tmp_path / f"{name}.dbn"], tmp_path / name, format="databento", tick_size=0.25)
    return [(int(e["exch_ts"]) - NS0, Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
             int(e["order_id"])) for e in np.asarray(st.events)], st.meta["quirks"]


@pytest.mark.parametrize("fill_px,why", [
    ("4800.25", "at the T's price, not where the order rests"),   # refused: a resting order fills at its own price
    ("4800.00", "where the order rests, not at the T's price"),   # refused: each F follows the T of its price
])
def test_databento_fill_in_an_event_after_a_sided_trades_is_not_that_trades_fill(tmp_path, fill_px, why):
    """A sell T of 1 @ 4800.25 that is an event of its own (flagged F_LAST: a hidden order's trade), then, in the
    next event, an F of the shown bid 1 (2 @ 4800.00), at the T's price or where the order rests, as a Nasdaq
    execution at a price other than the order's displayed one would come. Before, the F was read as that T's fill
    and refused (CME's rules). A venue event's records end at its F_LAST, and CME lists a T's fills in its own
    event (all 6,371 of the ESH4 sample): the T is over, its print a TRADE of 1 @ 4800.25 (19201 ticks), and the F
    an EXECUTE of 1 where order 1 rests (19200), counted in quirks.fills_after_trade_event."""
    recs = [(0, "A", "B", "4800.00", 2, 1, F_LAST), (900, "T", "A", "4800.25", 1, 0, F_LAST),
            (1000, "F", "B", fill_px, 1, 1, F_LAST)]
    ev, q = _db_events(tmp_path, recs)
    assert ev == [(0, "ADD", 1, 19200, 2, 1), (900, "TRADE", -1, 19201, 1, 0), (1000, "EXECUTE", 1, 19200, 1, 1)]
    assert (q["fills_after_trade_event"], q["uncovered_trade_prints"]) == (1, 1)


def test_databento_fill_at_another_price_in_its_trades_event_is_still_refused(tmp_path):
    """CME's rule stands inside the T's event: the same T without F_LAST (its F in the same event) is refused,
    naming both records, as before."""
    from _corpus import NS0

    recs = [(0, "A", "B", "4800.00", 2, 1, F_LAST), (1000, "T", "A", "4800.25", 1, 0, 0),
            (1000, "F", "B", "4800.25", 1, 1, F_LAST)]
    with pytest.raises(mmsim.DataError) as ei:
        _db_events(tmp_path, recs)
    assert str(ei.value) == (
        f"{tmp_path / 'x.dbn'}: record 3: fill at 4800.25 of order 1, which rests as a bid at 4800.00 and is not the "
        "aggressor the trade (T) at record 2 names (order 0): a resting order fills at its own price (sequence 3, "
        f"ts_recv {NS0 + 1050}, F of order 1, side B, 1 at 4800.25)")
    # A fill at its own and the T's price in a later event still covers the T's print, as before (no TRADE).
    ok = [(0, "A", "B", "4800.00", 2, 1, F_LAST), (900, "T", "A", "4800.00", 1, 0, F_LAST),
          (1000, "F", "B", "4800.00", 1, 1, F_LAST)]
    ev, q = _db_events(tmp_path, ok, "ok")
    assert ev == [(0, "ADD", 1, 19200, 2, 1), (1000, "EXECUTE", 1, 19200, 1, 1)]
    assert (q["fills_after_trade_event"], q["uncovered_trade_prints"]) == (0, 0)


def test_esh4_lists_every_fill_in_its_trades_event(real_store):
    """The evidence the rule rests on: CME's T and its F records are one event (no F_LAST between), so the ESH4
    sample has no fill after its trade's event (its 107 aggressor fills as before)."""
    st = real_store("databento", "databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    assert (st.meta["quirks"]["fills_after_trade_event"], st.meta["quirks"]["aggressor_fills"]) == (0, 107)
