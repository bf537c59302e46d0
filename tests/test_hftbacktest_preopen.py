"""CME's pre-open in an hftbacktest ``.npz`` of L3 data (hftbacktest's Databento converter, or an export of a
Databento store): a file whose orders' book crosses before its first trade starts ``QUOTING``, as the Databento
loader infers it (``_preopen``; docs/data.md, "hftbacktest .npz")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_databento_preopen import NS0, PREOPEN, QUOTING, TRADING, bid_fills, mbo_csv, rows_of

from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt

BUY, SELL, NONE = hbt.BUY_EVENT, hbt.SELL_EVENT, 0
ADD, FILL, TRADE = hbt.ADD_ORDER_EVENT, hbt.FILL_EVENT, hbt.TRADE_EVENT


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
    # times, the snapshot's CLEAR now after the QUOTING (the .npz has no snapshot flag), and the same fill.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", PREOPEN)], tmp_path / "d", tick_size=0.25)
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    status = [(e[0], e[4]) for e in rows_of(back.events) if e[1] == "STATUS"]
    assert status == [(e[0], e[4]) for e in rows_of(st.events) if e[1] == "STATUS"] == [
        (NS0 + 10, QUOTING), (NS0 + 1000, TRADING)]
    assert back.meta["quirks"]["preopen_spans_ns"] == st.meta["quirks"]["preopen_spans_ns"]
    # The same events but for where the QUOTING stands (before the snapshot's CLEAR, written as one per side).
    moved = rows_of(st.events)
    moved = [moved[3], (NS0 + 10, "CLEAR", 1, 0, 0, 0), (NS0 + 10, "CLEAR", -1, 0, 0, 0)] + moved[1:3] + moved[4:]
    assert rows_of(back.events) == moved
    assert bid_fills(back, 19201) == bid_fills(st, 19201) == [(1000, 19201, 1)]


def test_hftbacktest_export_of_the_esh4_store_keeps_its_preopen(tmp_path):
    # The ESH4 evening exported to .npz and imported: before, no status; now QUOTING at the 00:00 snapshot's time
    # (before its two CLEAR rows) and TRADING at the 23:00:00 open, before the auction's first execution, as in the
    # Databento store.
    from conftest import shared_data

    from mmsim import Kind

    st = dbt.convert([shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")], tmp_path / "s")
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    ev = np.asarray(back.events)
    at = np.flatnonzero(ev["kind"] == Kind.STATUS)
    assert at.tolist() == [0, 9682] and ev["qty"][at].tolist() == [QUOTING, TRADING]
    assert back.meta["quirks"]["preopen_spans_ns"] == st.meta["quirks"]["preopen_spans_ns"] == [
        [1_703_462_400_000_000_000, 1_703_545_200_000_000_000]]
    assert ev["kind"][at[1] + 1] == Kind.EXECUTE
