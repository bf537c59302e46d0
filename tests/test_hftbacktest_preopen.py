"""CME's pre-open in an hftbacktest ``.npz`` of L3 data (hftbacktest's Databento converter, or an export of a
Databento store): a file whose orders' book crosses before its first trade starts ``QUOTING``, as the Databento
loader infers it (``_preopen``; docs/data.md, "hftbacktest .npz")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from test_databento_preopen import (
    MIDSTREAM,
    NS0,
    OPEN_ESH4,
    PREOPEN,
    QUOTING,
    TRADING,
    bid_fills,
    mbo_csv,
    rows_of,
)

import mmsim
from mmsim import Kind
from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt

BUY, SELL, NONE = hbt.BUY_EVENT, hbt.SELL_EVENT, 0
ADD, FILL, TRADE, CANCEL = hbt.ADD_ORDER_EVENT, hbt.FILL_EVENT, hbt.TRADE_EVENT, hbt.CANCEL_ORDER_EVENT


def npz(path: Path, rows: list[tuple]) -> Path:
    """(time after NS0, event code, side flag, price, size, order id) rows, both EXCH_EVENT and LOCAL_EVENT."""
    a = np.zeros(len(rows), hbt.HBT_EVENT_DTYPE)
    for i, (dt, code, side, px, qty, oid) in enumerate(rows):
        a[i] = (code | side | hbt.EXCH_EVENT | hbt.LOCAL_EVENT, NS0 + dt, NS0 + dt + 10, px, qty, oid, 0, 0.0)
    np.savez_compressed(path, data=a)
    return path


#: The Databento tests' PREOPEN as hftbacktest rows: bid 2 @ 4800.00 (11) and ask 2 @ 4801.00 (12); at 100 an ask
#: 3 @ 4799.50 crosses the bid, at 200 a bid 1 @ 4800.50; at 1000 the auction: a 3-lot print at 4800.00 and the
#: fills of 22 (1), 11 (2) and 21 (3); at 2000 a bid 1 @ 4800.75.
ROWS = [
    (0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4801.00, 2, 12),
    (100, ADD, SELL, 4799.50, 3, 21), (200, ADD, BUY, 4800.50, 1, 22),
    (1000, TRADE, NONE, 4800.00, 3, 0), (1000, FILL, NONE, 4800.00, 1, 22), (1000, FILL, NONE, 4800.00, 2, 11),
    (1000, FILL, NONE, 4800.00, 3, 21),
    (2000, ADD, BUY, 4800.75, 1, 23),
]


def test_hftbacktest_l3_npz_crossed_before_its_first_trade_is_quoting_until_it(tmp_path):
    # Before: no status; the crossing ask at 100 filled our bid 1 @ 4800.25 there (the L3 crossing-ADD rule) while
    # nothing could trade. Now QUOTING before the file's first row (at its time), TRADING before the auction's print.
    st = hbt.convert([npz(tmp_path / "x.npz", ROWS)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events) == [
        (NS0, "STATUS", 0, 0, QUOTING, 0),
        (NS0, "ADD", 1, 19200, 2, 11), (NS0, "ADD", -1, 19204, 2, 12),
        (NS0 + 100, "ADD", -1, 19198, 3, 21), (NS0 + 200, "ADD", 1, 19202, 1, 22),
        (NS0 + 1000, "STATUS", 0, 0, TRADING, 0), (NS0 + 1000, "TRADE", 0, 19200, 3, 0),
        (NS0 + 1000, "EXECUTE", 1, 19202, 1, 22), (NS0 + 1000, "EXECUTE", 1, 19200, 2, 11),
        (NS0 + 1000, "EXECUTE", -1, 19198, 3, 21),
        (NS0 + 2000, "ADD", 1, 19203, 1, 23),
    ]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0, NS0 + 1000]]
    assert bid_fills(st, 19201) == [(1000, 19201, 1)]
    # A file that trades before its book crosses (one starting mid-session) gets no status, as before.
    rows = ROWS[:2] + [(50, TRADE, BUY, 4801.00, 1, 0), (50, FILL, NONE, 4801.00, 1, 12)] + ROWS[2:4]
    st = hbt.convert([npz(tmp_path / "t.npz", rows)], tmp_path / "t", tick_size=0.25, lot_size=1)
    assert "STATUS" not in [e[1] for e in rows_of(st.events)] and st.meta["quirks"]["preopen_spans_ns"] == []
    # And one that ends in pre-open (no trade at all) is QUOTING to its end.
    st = hbt.convert([npz(tmp_path / "q.npz", ROWS[:4])], tmp_path / "q", tick_size=0.25, lot_size=1)
    assert [e[1] for e in rows_of(st.events)][:2] == ["STATUS", "ADD"]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0, None]]


def test_hftbacktest_export_of_a_databento_preopen_imports_with_its_status(tmp_path):
    # A Databento store with a pre-open, exported (hftbacktest has no status event: STATUS is left out) and imported
    # again: before, no status (the pre-open replayed as trading); now QUOTING and TRADING come back at the same
    # times, and the same fill. npzsnap15: the events are the store's exactly (before, the QUOTING stood before the
    # snapshot's CLEAR, written as one per side, so the report saw no opening snapshot): the file's first exchange
    # time starts with a clear of each side, a snapshot, written as the store's one CLEAR, QUOTING right after it.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", PREOPEN)], tmp_path / "d", tick_size=0.25)
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    status = [(e[0], e[4]) for e in rows_of(back.events) if e[1] == "STATUS"]
    assert status == [(e[0], e[4]) for e in rows_of(st.events) if e[1] == "STATUS"] == [
        (NS0 + 10, QUOTING), (NS0 + 1000, TRADING)]
    assert back.meta["quirks"]["preopen_spans_ns"] == st.meta["quirks"]["preopen_spans_ns"]
    assert rows_of(back.events) == rows_of(st.events)
    assert [e[1] for e in rows_of(st.events)[:4]] == ["CLEAR", "ADD", "ADD", "STATUS"]
    assert bid_fills(back, 19201) == bid_fills(st, 19201) == [(1000, 19201, 1)]


def test_hftbacktest_export_of_the_esh4_store_keeps_its_preopen(tmp_path):
    # The ESH4 evening exported to .npz and imported: before, no status; now QUOTING at the 00:00 snapshot's time
    # and TRADING at the 23:00:00 open, before the auction's first execution, as in the Databento store. npzsnap15:
    # QUOTING right after the snapshot (its CLEAR one, not one per side), as the store has it: it was first, before
    # the snapshot's two CLEAR rows, so the report saw no opening snapshot (a 24h00m span for 2h00m of market).
    from conftest import shared_data

    from mmsim import Kind

    st = dbt.convert([shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")], tmp_path / "s")
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    ev = np.asarray(back.events)
    at = np.flatnonzero(ev["kind"] == Kind.STATUS)
    assert at.tolist() == np.flatnonzero(np.asarray(st.events)["kind"] == Kind.STATUS).tolist() == [8726, 9681]
    assert ev["qty"][at].tolist() == [QUOTING, TRADING]
    assert (ev == np.asarray(st.events)).all()
    assert back.meta["quirks"]["preopen_spans_ns"] == st.meta["quirks"]["preopen_spans_ns"] == [
        [1_703_462_400_000_000_000, 1_703_545_200_000_000_000]]
    assert ev["kind"][at[1] + 1] == Kind.EXECUTE


# --- A pre-open after trading (CME's daily halt and pre-open, about 22:00-23:00 UTC, mid-file) ---
S = 1_000_000_000
#: The Databento tests' MIDSTREAM as hftbacktest rows: bid 2 @ 4800.00 (11) and ask 2 @ 4801.00 (12); at 1 s a trade
#: (1 lot of 12); at 100 s the pre-open: an ask 3 @ 4799.50 (21) crosses the bid; nothing until the auction at 700 s:
#: a 3-lot print at 4800.00 and the fills of 11 (2) and 21 (3).
MID = [
    (0, ADD, BUY, 4800.00, 2, 11), (0, ADD, SELL, 4801.00, 2, 12),
    (S, TRADE, BUY, 4801.00, 1, 0), (S, FILL, NONE, 4801.00, 1, 12),
    (100 * S, ADD, SELL, 4799.50, 3, 21),
    (700 * S, TRADE, NONE, 4800.00, 3, 0), (700 * S, FILL, NONE, 4800.00, 2, 11), (700 * S, FILL, NONE, 4800.00, 3, 21),
]
AUCTION = [
    (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0), (NS0 + 700 * S, "TRADE", 0, 19200, 3, 0),
    (NS0 + 700 * S, "EXECUTE", 1, 19200, 2, 11), (NS0 + 700 * S, "EXECUTE", -1, 19198, 3, 21),
]


def test_hftbacktest_npz_preopen_after_trading_is_quoting_from_the_cross_to_the_auction(tmp_path):
    # Before: no status (only the stream-start rule applied to a .npz); the crossing ADD at 100 s filled our bid
    # 1 @ 4800.25 there (the L3 crossing-ADD rule) while nothing could trade. Now, as from the Databento file: the
    # cross lasts beyond the 1 s tolerance with no trade, so QUOTING before the crossing row (at its time), TRADING
    # before the auction's print; our bid rests through it and the auction (3 lots at 4800.00, below ours) fills it
    # in full, 1 @ 19201 at 700 s, as maker.
    st = hbt.convert([npz(tmp_path / "x.npz", MID)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events) == [
        (NS0, "ADD", 1, 19200, 2, 11), (NS0, "ADD", -1, 19204, 2, 12),
        (NS0 + S, "TRADE", 1, 19204, 1, 0), (NS0 + S, "EXECUTE", -1, 19204, 1, 12),
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
    ] + AUCTION
    q = st.meta["quirks"]
    assert q["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
    assert (q["preopen_crossed_messages"], q["transient_crossed_messages"], q["crossed_at_end_ns"]) == (1, 0, None)
    assert bid_fills(st, 19201) == [(700 * S, 19201, 1)]

    class Bid(mmsim.Strategy):
        def quote(self, view):
            return mmsim.Quote(19201, 1, 0, 0)

    res = mmsim.run(st, Bid(), mmsim.Config(signals=mmsim.SignalConfig(enabled=False), check_invariants=True))
    assert [bool(f["maker"]) for f in res.fills] == [True]


MID3 = MID[:4] + [
    (100 * S, TRADE, BUY, 4801.00, 1, 0), (100 * S, FILL, NONE, 4801.00, 1, 12),
    (100 * S, ADD, BUY, 4800.25, 1, 20), (100 * S, ADD, SELL, 4799.50, 3, 21),
    (100 * S + S // 2, ADD, BUY, 4800.50, 1, 22), (300 * S, ADD, SELL, 4802.00, 1, 23),
] + MID[5:]


def test_hftbacktest_npz_preopen_after_trading_takes_an_exchange_times_rows_as_one_message(tmp_path):
    # At 100 s three rows of one exchange time: a trade (1 lot of 12 @ 4801.00), a bid 1 @ 4800.25 (20), then the
    # crossing ask: QUOTING goes after the execution, before the bid (the start of the message the cross ends, past
    # its executions), not before the crossing row alone. At 100.5 s (within the tolerance) a bid 1 @ 4800.50 and at
    # 300 s an ask 1 @ 4802.00 come during the cross, no trade: a pre-open from 100 s (decided at 300 s), 3 messages
    # crossed; the auction at 700 s. Before: no status, and the crossing ADD filled our bid 1 @ 4800.25 at 100 s.
    st = hbt.convert([npz(tmp_path / "x.npz", MID3)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[4:] == [
        (NS0 + 100 * S, "TRADE", 1, 19204, 1, 0), (NS0 + 100 * S, "EXECUTE", -1, 19204, 1, 12),
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0),
        (NS0 + 100 * S, "ADD", 1, 19201, 1, 20), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 100 * S + S // 2, "ADD", 1, 19202, 1, 22), (NS0 + 300 * S, "ADD", -1, 19208, 1, 23),
    ] + AUCTION
    q = st.meta["quirks"]
    assert q["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
    assert (q["preopen_crossed_messages"], q["transient_crossed_messages"]) == (3, 0)
    # Our bid 1 @ 4800.25 rests from the start (ahead of 20, at its price from 100 s) and the crossing ADD fills
    # nothing; the auction executes 11's 2 at 4800.00, a worse price than ours: our bid fills in full at the open.
    assert bid_fills(st, 19201) == [(700 * S, 19201, 1)]


def test_hftbacktest_npz_preopen_after_trading_over_small_chunks_writes_the_same_store(tmp_path, monkeypatch):
    # The rows of one exchange time are one message however the file is read: 3-row read chunks (the 100 s rows
    # split over two) and 2-event store chunks (the crossing message's events held from its start) give the store
    # of the whole, QUOTING at the same place.
    whole = rows_of(hbt.convert([npz(tmp_path / "w.npz", MID3)], tmp_path / "w", tick_size=0.25, lot_size=1).events)
    monkeypatch.setattr("mmsim.data._hftbacktest_read._CHUNK", 3)
    monkeypatch.setattr("mmsim.data._emitter.CHUNK", 2)
    st = hbt.convert([npz(tmp_path / "c.npz", MID3)], tmp_path / "c", tick_size=0.25, lot_size=1)
    assert rows_of(st.events) == whole
    assert whole[6] == (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0)


def test_hftbacktest_npz_transient_cross_after_trading_stays_transient(tmp_path):
    # An ask 1 @ 4799.50 crosses at 100 s and is cancelled 0.5 s later (within the 1 s tolerance): no status, the
    # events as read, one transient crossed message (before: the same events, the count not reported).
    rows = MID[:4] + [(100 * S, ADD, SELL, 4799.50, 1, 21), (100 * S + S // 2, CANCEL, NONE, 4799.50, 0, 21)]
    st = hbt.convert([npz(tmp_path / "x.npz", rows)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [e[1] for e in rows_of(st.events)] == ["ADD", "ADD", "TRADE", "EXECUTE", "ADD", "DELETE"]
    q = st.meta["quirks"]
    assert (q["preopen_spans_ns"], q["transient_crossed_messages"], q["preopen_crossed_messages"]) == ([], 1, 0)
    assert q["crossed_at_end_ns"] is None
    # A trade during a cross shorter than the tolerance, then it stays crossed no longer: transient too.
    rows = MID[:5] + [(100 * S + S // 2, TRADE, SELL, 4800.00, 2, 0), (100 * S + S // 2, FILL, NONE, 4800.00, 2, 11)]
    st = hbt.convert([npz(tmp_path / "t.npz", rows)], tmp_path / "t", tick_size=0.25, lot_size=1)
    assert "STATUS" not in [e[1] for e in rows_of(st.events)]
    assert (st.meta["quirks"]["preopen_spans_ns"], st.meta["quirks"]["transient_crossed_messages"]) == ([], 1)


def test_hftbacktest_npz_long_cross_with_a_trade_during_it_is_an_error(tmp_path):
    # The ask 3 @ 4799.50 crosses at 100 s (record 5); at 100.5 s a trade (1 lot of 12 @ 4801.00, records 6-7)
    # leaves it crossed; at 300 s (record 8) still crossed: not a pre-open (it traded) nor a transient cross.
    rows = MID[:5] + [
        (100 * S + S // 2, TRADE, BUY, 4801.00, 1, 0), (100 * S + S // 2, FILL, NONE, 4801.00, 1, 12),
        (300 * S, ADD, BUY, 4799.00, 1, 24),
    ]
    path = npz(tmp_path / "x.npz", rows)
    with pytest.raises(mmsim.DataError) as e:
        hbt.convert([path], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert str(e.value) == (
        f"{path}: record 5 at exch_ts {NS0 + 100 * S}: the book is crossed (best bid 4800.00 >= best ask 4799.50, "
        f"19200 >= 19198 ticks) and stays crossed for 200.000 s, until record 8 at exch_ts {NS0 + 300 * S} "
        f"(tolerance 1 s), with a trade during the cross (record 6 at exch_ts {NS0 + 100 * S + S // 2}): not a "
        "pre-open (a cross beyond the tolerance with no trade until the opening auction) nor a transient cross"
    )


def test_hftbacktest_npz_cross_undecided_at_the_end_of_the_file(tmp_path):
    # The file ends 200 s into the cross (no trade): beyond the tolerance, a pre-open that never opened (before: no
    # status, the crossing ADD filled our bid 1 @ 4800.25 at 100 s).
    rows = MID[:5] + [(300 * S, ADD, BUY, 4799.25, 1, 24)]
    st = hbt.convert([npz(tmp_path / "x.npz", rows)], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert rows_of(st.events)[4:] == [
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 300 * S, "ADD", 1, 19197, 1, 24),
    ]
    q = st.meta["quirks"]
    assert (q["preopen_spans_ns"], q["crossed_at_end_ns"]) == ([[NS0 + 100 * S, None]], None)
    assert bid_fills(st, 19201) == []
    # It ends 0.5 s into the cross: transient, written as read; crossed_at_end_ns says where it began and the end.
    rows = MID[:5] + [(100 * S + S // 2, ADD, BUY, 4800.50, 1, 22)]
    st = hbt.convert([npz(tmp_path / "t.npz", rows)], tmp_path / "t", tick_size=0.25, lot_size=1)
    assert "STATUS" not in [e[1] for e in rows_of(st.events)]
    q = st.meta["quirks"]
    assert (q["preopen_spans_ns"], q["transient_crossed_messages"]) == ([], 2)
    assert q["crossed_at_end_ns"] == [NS0 + 100 * S, NS0 + 100 * S + S // 2]


def test_hftbacktest_export_of_a_databento_preopen_after_trading_imports_with_its_status(tmp_path):
    # The Databento MIDSTREAM store (a pre-open after trading) exported to .npz (STATUS left out) and imported again:
    # before, no status (the pre-open replayed as trading, our bid filled by the crossing ADD); now the same STATUS
    # events at the same times, the same spans and the same fill.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", MIDSTREAM)], tmp_path / "d", tick_size=0.25)
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    status = [(e[0], e[4]) for e in rows_of(back.events) if e[1] == "STATUS"]
    assert status == [(e[0], e[4]) for e in rows_of(st.events) if e[1] == "STATUS"] == [
        (NS0 + 100 * S, QUOTING), (NS0 + 700 * S, TRADING)]
    for k in ("preopen_spans_ns", "preopen_crossed_messages", "transient_crossed_messages", "crossed_at_end_ns"):
        assert back.meta["quirks"][k] == st.meta["quirks"][k], k
    assert bid_fills(back, 19201) == bid_fills(st, 19201) == [(700 * S, 19201, 1)]


def test_hftbacktest_export_of_the_esh4_store_with_a_trade_first_keeps_its_preopen_mid_stream(tmp_path):
    # The ESH4 CSV with a print right after its snapshot (as test_databento_preopen's withtrade.csv): its pre-open
    # falls after trading (the book crosses at 22:39:55.216798489). Exported to .npz and imported: before, no status;
    # now QUOTING before the crossing exchange time's rows and TRADING before the 23:00 auction, as in the Databento
    # store (npzsnap15: at the same positions; they were one event later, the snapshot's CLEAR one per side), with
    # the same counts.
    import gzip

    src = shared_data("databento", "esh4_mbo_20231225.csv.gz")
    lines = gzip.open(src, "rt").read().splitlines()
    lines.insert(8726, "1703541600180087000,1703541600180087000,0,4956,17077,ESH4,T,N,4799.00,1,0,130,0")
    path = tmp_path / "withtrade.csv"
    path.write_text("\n".join(lines) + "\n")
    st = dbt.convert([path], tmp_path / "s")
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    ev = np.asarray(back.events)
    at = np.flatnonzero(ev["kind"] == Kind.STATUS)
    cross = 1_703_543_995_216_798_489
    assert at.tolist() == np.flatnonzero(np.asarray(st.events)["kind"] == Kind.STATUS).tolist() == [8761, 9682]
    assert ev["qty"][at].tolist() == [QUOTING, TRADING]
    assert ev["exch_ts"][at].tolist() == [cross, OPEN_ESH4]
    assert [int(k) for k in ev["kind"][at + 1]] == [Kind.ADD, Kind.EXECUTE]
    for k in ("preopen_spans_ns", "preopen_crossed_messages", "transient_crossed_messages", "crossed_at_end_ns"):
        assert back.meta["quirks"][k] == st.meta["quirks"][k], k
    assert back.meta["quirks"]["preopen_spans_ns"] == [[cross, OPEN_ESH4]]
    assert (back.meta["quirks"]["preopen_crossed_messages"], back.meta["quirks"]["transient_crossed_messages"]) == (891, 0)
