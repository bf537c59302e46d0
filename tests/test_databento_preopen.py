"""CME's pre-open in Databento MBO data: a book that crosses before the stream's first trade starts ``QUOTING``;
the first trade (the opening auction) makes it ``TRADING``, before the auction's records (docs/data.md)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

import mmsim
from mmsim import Kind, TradingStatus
from mmsim.data import convert
from mmsim.data import databento as dbt

ROOT = Path(__file__).resolve().parents[1]
NS0 = 1_703_541_600_000_000_000
HDR = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id"
SNAP, LAST = dbt.F_SNAPSHOT, dbt.F_LAST
QUOTING, TRADING = int(TradingStatus.QUOTING), int(TradingStatus.TRADING)
OPEN_ESH4 = 1_703_545_200_000_000_000  # 2023-12-25 23:00:00 UTC, the CME open (its first T record)


def mbo_csv(path: Path, rows: list[tuple]) -> Path:
    lines = [HDR]
    for i, (dt, act, side, px, size, oid, flags) in enumerate(rows):
        lines.append(f"{NS0 + dt + 10},{NS0 + dt},0,{i + 1},7,ESH4,{act},{side},{px},{size},{oid},{flags},0")
    path.write_text("\n".join(lines) + "\n")
    return path


def rows_of(ev) -> list[tuple]:
    return [(int(e["exch_ts"]), Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
             int(e["order_id"])) for e in np.asarray(ev)]


def bid_fills(st, price: int) -> list[tuple]:
    class Bid(mmsim.Strategy):
        def quote(self, view):
            return mmsim.Quote(price, 1, 0, 0)

    res = mmsim.run(st, Bid(), mmsim.Config(signals=mmsim.SignalConfig(enabled=False), check_invariants=True))
    return [(int(f["exch_ts"]) - NS0, int(f["price"]), int(f["qty"])) for f in res.fills]


#: A snapshot (bid 2 @ 4800.00, order 11; ask 2 @ 4801.00, order 12), then CME's pre-open: at 100 an ask of 3 @
#: 4799.50 crosses the book's bid (and any bid of ours at 4799.50 or more), at 200 a bid 1 @ 4800.50; at 1000
#: the opening auction matches 3 lots at 4800.00: the bids 4800.50 (1) and 4800.00 (2) with the 3-lot ask.
PREOPEN = [
    (0, "A", "B", "4800.00", 2, 11, SNAP),
    (0, "A", "A", "4801.00", 2, 12, SNAP | LAST),
    (100, "A", "A", "4799.50", 3, 21, 130),
    (200, "A", "B", "4800.50", 1, 22, 130),
    (1000, "T", "N", "4800.00", 3, 0, 0),
    (1000, "F", "N", "4800.00", 1, 22, 0),
    (1000, "F", "N", "4800.00", 2, 11, 0),
    (1000, "F", "N", "4800.00", 3, 21, 0),
    (1000, "C", "B", "4800.50", 1, 22, 0),
    (1000, "C", "B", "4800.00", 2, 11, 0),
    (1000, "C", "A", "4799.50", 3, 21, 130),
    (2000, "A", "B", "4800.75", 1, 23, 130),
]


def test_databento_preopen_is_quoting_until_the_opening_auction(tmp_path):
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", PREOPEN)], tmp_path / "s", tick_size=0.25)
    t0 = NS0 + 10  # the snapshot's ts_recv
    assert rows_of(st.events) == [
        (t0, "CLEAR", 0, 0, 0, 0), (t0, "ADD", 1, 19200, 2, 11), (t0, "ADD", -1, 19204, 2, 12),
        (t0, "STATUS", 0, 0, QUOTING, 0),  # the book crosses before the first trade: from the snapshot on
        (NS0 + 100, "ADD", -1, 19198, 3, 21), (NS0 + 200, "ADD", 1, 19202, 1, 22),
        (NS0 + 1000, "STATUS", 0, 0, TRADING, 0),  # before the auction's executions
        (NS0 + 1000, "EXECUTE", 1, 19202, 1, 22), (NS0 + 1000, "EXECUTE", 1, 19200, 2, 11),
        (NS0 + 1000, "EXECUTE", -1, 19198, 3, 21),
        (NS0 + 2000, "ADD", 1, 19203, 1, 23),
    ]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[t0, NS0 + 1000]]
    assert st.meta["quirks"]["preopen_crossed_messages"] == 2


def test_databento_preopen_ask_through_our_bid_fills_nothing_the_auction_fills_it(tmp_path):
    # Our bid 1 @ 4800.25 (19201) rests from the snapshot, inside 4800.00 x 4801.00. The pre-open ask 3 @ 4799.50
    # at 100 is through it: before, the L3 crossing-ADD rule filled it there (1 @ 19201 at 100), while nothing can
    # trade. Now nothing fills before the open; at 1000 the auction (3 lots at 4800.00) executes the book's bids at
    # 4800.00, a worse price than ours: a bid above the auction price is filled in full, 1 @ 19201, at the open.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", PREOPEN)], tmp_path / "s", tick_size=0.25)
    assert bid_fills(st, 19201) == [(1000, 19201, 1)]


def test_databento_preopen_bid_at_the_auction_price_fills_by_time_priority(tmp_path):
    # Our bid 1 @ 4800.00 joins behind order 11 (2 lots); at 300 order 24 bids 2 @ 4800.00 behind us. The pre-open
    # ask 4 @ 4799.50 at 100 is through our bid (before: 1 @ 19200 filled at 100). The auction matches 4 lots at
    # 4800.00: 11's 2 (ahead of us), then 24's 2 (behind us): in time priority our lot comes before 24's, so 1 lot
    # fills, at the open.
    rows = [
        (0, "A", "B", "4800.00", 2, 11, SNAP),
        (0, "A", "A", "4801.00", 2, 12, SNAP | LAST),
        (100, "A", "A", "4799.50", 4, 21, 130),
        (300, "A", "B", "4800.00", 2, 24, 130),
        (1000, "T", "N", "4800.00", 4, 0, 0),
        (1000, "F", "N", "4800.00", 2, 11, 0),
        (1000, "F", "N", "4800.00", 2, 24, 0),
        (1000, "F", "N", "4800.00", 4, 21, 0),
        (1000, "C", "B", "4800.00", 2, 11, 0),
        (1000, "C", "B", "4800.00", 2, 24, 0),
        (1000, "C", "A", "4799.50", 4, 21, 130),
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert bid_fills(st, 19200) == [(1000, 19200, 1)]
    # Without order 24 (and a 2-lot ask), the auction's 2 lots at 4800.00 are all 11's, ahead of us: no fill.
    rows = rows[:2] + [(100, "A", "A", "4799.50", 2, 21, 130), (1000, "T", "N", "4800.00", 2, 0, 0),
                       (1000, "F", "N", "4800.00", 2, 11, 0), (1000, "F", "N", "4800.00", 2, 21, 0),
                       (1000, "C", "B", "4800.00", 2, 11, 0), (1000, "C", "A", "4799.50", 2, 21, 130)]
    st = dbt.convert([mbo_csv(tmp_path / "mbo2.csv", rows)], tmp_path / "s2", tick_size=0.25)
    assert bid_fills(st, 19200) == []


def test_databento_stream_that_trades_before_any_cross_has_no_status(tmp_path):
    # A stream starting mid-session: its first trade comes before any crossed book: no STATUS, as before.
    rows = [
        (0, "A", "B", "4800.00", 2, 11, SNAP),
        (0, "A", "A", "4801.00", 2, 12, SNAP | LAST),
        (100, "T", "A", "4800.00", 1, 0, 0),
        (100, "F", "B", "4800.00", 1, 11, 0),
        (100, "C", "B", "4800.00", 1, 11, 130),
        (200, "A", "A", "4800.00", 1, 21, 130),  # then a locked book, while trading
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert [e[1] for e in rows_of(st.events)] == ["CLEAR", "ADD", "ADD", "EXECUTE", "ADD"]
    assert st.meta["quirks"]["preopen_spans_ns"] == []


@pytest.mark.parametrize("cut", [3, 4, 6])
def test_databento_preopen_split_into_files_converts_as_the_whole(tmp_path, cut):
    # Cut before the crossing ask (the hold carries over), after it, and inside the auction (after its first F).
    whole = dbt.convert([mbo_csv(tmp_path / "w.csv", PREOPEN)], tmp_path / "w", tick_size=0.25)
    a = mbo_csv(tmp_path / "a.csv", PREOPEN[:cut])
    b = mbo_csv(tmp_path / "b.csv", PREOPEN[cut:])
    st = convert([a, b], tmp_path / "s", format="databento", tick_size=0.25)
    assert rows_of(st.events) == rows_of(whole.events)
    assert st.meta["quirks"]["preopen_spans_ns"] == whole.meta["quirks"]["preopen_spans_ns"]


def test_databento_file_after_a_preopen_that_never_opened_starts_trading_at_its_snapshot(tmp_path):
    # File a ends in pre-open (crossed, no trade); file b starts a new book that trades before it crosses: the
    # venue is trading from b's snapshot (STATUS TRADING there); a store ending in pre-open stays QUOTING.
    a = mbo_csv(tmp_path / "a.csv", PREOPEN[:4])
    b = mbo_csv(tmp_path / "b.csv", [
        (5000, "A", "B", "4800.00", 2, 11, SNAP),
        (5000, "A", "A", "4801.00", 2, 12, SNAP | LAST),
        (5100, "T", "A", "4800.00", 1, 0, 0),
        (5100, "F", "B", "4800.00", 1, 11, 0),
        (5100, "C", "B", "4800.00", 1, 11, 130),
    ])
    st = convert([a, b], tmp_path / "s", format="databento", tick_size=0.25)
    status = [(e[0] - NS0, e[4]) for e in rows_of(st.events) if e[1] == "STATUS"]
    assert status == [(10, QUOTING), (5010, TRADING)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 10, NS0 + 5010]]
    st = convert([a], tmp_path / "s1", format="databento", tick_size=0.25)
    assert [(e[0] - NS0, e[4]) for e in rows_of(st.events) if e[1] == "STATUS"] == [(10, QUOTING)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 10, None]]


def test_esh4_example_has_no_fill_before_the_cme_open(tmp_path):
    # examples/esh4_mbo.yaml on the ESH4 evening: the book first crosses at 22:39:55 (CME's pre-open) and the first
    # trade is the opening auction at 23:00:00 UTC. Before, 3 of its 25 fills came before the open (22:39:55, 22:50:46, 22:53:16:
    # pre-open ADDs "crossing" our quotes; effective half-spreads 1, 12 and 40 ticks, 53 of the 77 tick*lots of
    # spread capture). Now: 22 fills, the first at 23:00:00.147 (a bid 1 @ 19201), the same 22 as before from the
    # open on; spread capture 24 tick*lots (48 half-ticks).
    src = shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    store = dbt.convert([src], tmp_path / "store")
    ev = np.asarray(store.events)
    at = np.flatnonzero(ev["kind"] == Kind.STATUS)
    assert at.tolist() == [8726, 9681]  # after the CLEAR and the 8,725 snapshot orders; before the auction
    assert ev["qty"][at].tolist() == [QUOTING, TRADING]
    assert ev["exch_ts"][at].tolist() == [1_703_462_400_000_000_000, OPEN_ESH4]
    assert ev["kind"][at[1] + 1] == Kind.EXECUTE and ev["exch_ts"][at[1] + 1] == OPEN_ESH4
    assert store.meta["quirks"]["preopen_spans_ns"] == [[1_703_462_400_000_000_000, OPEN_ESH4]]
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "mmsim", "run", str(ROOT / "examples" / "esh4_mbo.yaml"),
         "--data", str(tmp_path / "store"), "-o", str(out), "-q"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out / "fills.csv") as f:
        fills = list(csv.DictReader(f))
    assert len(fills) == 22
    assert min(int(r["exch_ts"]) for r in fills) >= OPEN_ESH4
    assert (int(fills[0]["exch_ts"]), int(fills[0]["side"]), int(fills[0]["price_ticks"])) == (
        1_703_545_200_147_263_453, 1, 19201)
    doc = json.loads((out / "report.json").read_text())
    assert doc["pnl"]["half_ticks"]["spread_capture"] == 48
    assert sum(float(r["effective_half_spread_ticks"]) * int(r["qty"]) for r in fills) == 24.0


def test_databento_preopen_held_over_several_chunks_writes_the_same_store(tmp_path, monkeypatch):
    # The events held until the book crosses are checked and kept chunk by chunk: 2-event chunks give the same store.
    whole = dbt.convert([mbo_csv(tmp_path / "w.csv", PREOPEN)], tmp_path / "w", tick_size=0.25)
    mid = dbt.convert([mbo_csv(tmp_path / "mw.csv", MIDSTREAM)], tmp_path / "mw", tick_size=0.25)
    monkeypatch.setattr("mmsim.data._emitter.CHUNK", 2)
    st = dbt.convert([mbo_csv(tmp_path / "c.csv", PREOPEN)], tmp_path / "c", tick_size=0.25)
    assert rows_of(st.events) == rows_of(whole.events)
    assert [e[1] for e in rows_of(st.events)].index("STATUS") == 3
    # After trading too: the crossing message's events are still queued when the cross begins, and held from there.
    st = dbt.convert([mbo_csv(tmp_path / "mc.csv", MIDSTREAM)], tmp_path / "mc", tick_size=0.25)
    assert rows_of(st.events) == rows_of(mid.events)
    assert [e[1] for e in rows_of(st.events)][4:6] == ["STATUS", "ADD"]


# --- A pre-open after trading (CME's daily halt and pre-open, about 22:00-23:00 UTC, in a 00:00-24:00 file) ---
S = 1_000_000_000
#: A snapshot (bid 2 @ 4800.00, order 11; ask 2 @ 4801.00, order 12); at 1 s a trade (1 lot of 12); at 100 s the
#: pre-open: an ask 3 @ 4799.50 crosses the bid; nothing until the auction at 700 s: 3 lots at 4800.00 (11's 2 and
#: 21's 3 executed: the T's 3 lots are covered).
MIDSTREAM = [
    (0, "A", "B", "4800.00", 2, 11, SNAP),
    (0, "A", "A", "4801.00", 2, 12, SNAP | LAST),
    (S, "T", "B", "4801.00", 1, 0, 0),
    (S, "F", "A", "4801.00", 1, 12, 0),
    (S, "C", "A", "4801.00", 1, 12, 130),
    (100 * S, "A", "A", "4799.50", 3, 21, 130),
    (700 * S, "T", "N", "4800.00", 3, 0, 0),
    (700 * S, "F", "N", "4800.00", 2, 11, 0),
    (700 * S, "F", "N", "4800.00", 3, 21, 0),
    (700 * S, "C", "B", "4800.00", 2, 11, 0),
    (700 * S, "C", "A", "4799.50", 3, 21, 130),
]


def test_databento_preopen_after_trading_is_quoting_from_the_cross_to_the_auction(tmp_path):
    # Before: no status; the crossing ADD at 100 s filled our bid 1 @ 4800.25 there (the L3 crossing-ADD rule) while
    # nothing could trade. Now QUOTING before the crossing ADD (at its time), TRADING before the auction's T; our bid
    # rests through the pre-open and the auction (3 lots at 4800.00, below ours) fills it in full: 1 @ 19201 at 700 s.
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", MIDSTREAM)], tmp_path / "s", tick_size=0.25)
    t0 = NS0 + 10
    assert rows_of(st.events) == [
        (t0, "CLEAR", 0, 0, 0, 0), (t0, "ADD", 1, 19200, 2, 11), (t0, "ADD", -1, 19204, 2, 12),
        (NS0 + S, "EXECUTE", -1, 19204, 1, 12),
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0),
        (NS0 + 700 * S, "EXECUTE", 1, 19200, 2, 11), (NS0 + 700 * S, "EXECUTE", -1, 19198, 3, 21),
    ]
    q = st.meta["quirks"]
    assert q["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
    assert (q["preopen_crossed_messages"], q["transient_crossed_messages"]) == (1, 0)
    assert bid_fills(st, 19201) == [(700 * S, 19201, 1)]

    class Bid(mmsim.Strategy):
        def quote(self, view):
            return mmsim.Quote(19201, 1, 0, 0)

    res = mmsim.run(st, Bid(), mmsim.Config(signals=mmsim.SignalConfig(enabled=False), check_invariants=True))
    assert [bool(f["maker"]) for f in res.fills] == [True]


def test_databento_preopen_after_trading_with_messages_during_the_cross(tmp_path):
    # Before: "line 7: the book is crossed ... stays crossed for 200.000 s, until line 9": refused. At 100.5 s (within
    # the 1 s tolerance) a bid 1 @ 4800.50 and at 300 s an ask 1 @ 4802.00 come during the cross, no trade: the cross
    # is a pre-open from 100 s (decided at 300 s); the auction at 700 s executes 22's 1, 11's 2 and 21's 3.
    rows = MIDSTREAM[:6] + [
        (100 * S + S // 2, "A", "B", "4800.50", 1, 22, 130),
        (300 * S, "A", "A", "4802.00", 1, 23, 130),
        (700 * S, "T", "N", "4800.00", 3, 0, 0),
        (700 * S, "F", "N", "4800.00", 1, 22, 0),
        (700 * S, "F", "N", "4800.00", 2, 11, 0),
        (700 * S, "F", "N", "4800.00", 3, 21, 0),
        (700 * S, "C", "B", "4800.50", 1, 22, 0),
        (700 * S, "C", "B", "4800.00", 2, 11, 0),
        (700 * S, "C", "A", "4799.50", 3, 21, 130),
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    ev = rows_of(st.events)
    assert ev[4:9] == [
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 100 * S + S // 2, "ADD", 1, 19202, 1, 22), (NS0 + 300 * S, "ADD", -1, 19208, 1, 23),
        (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0),
    ]
    assert [e[1] for e in ev[9:]] == ["EXECUTE"] * 3
    q = st.meta["quirks"]
    assert q["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
    assert (q["preopen_crossed_messages"], q["transient_crossed_messages"]) == (3, 0)
    assert bid_fills(st, 19201) == [(700 * S, 19201, 1)]
    # Cut into two files inside the cross (the hold carries over): the store of the whole.
    for cut in (6, 7, 8):
        a, b = mbo_csv(tmp_path / "a.csv", rows[:cut]), mbo_csv(tmp_path / "b.csv", rows[cut:])
        two = convert([a, b], tmp_path / f"two{cut}", format="databento", tick_size=0.25)
        assert rows_of(two.events) == ev


def test_databento_preopen_after_trading_begins_after_the_executions_of_its_message(tmp_path):
    # One message at 100 s: a trade (1 lot of 12 @ 4801.00), then the ask 3 @ 4799.50 that crosses. The execution
    # came first (the venue traded); QUOTING goes after it, before the crossing ADD, which fills nothing of ours.
    rows = MIDSTREAM[:2] + [
        (100 * S, "T", "B", "4801.00", 1, 0, 0),
        (100 * S, "F", "A", "4801.00", 1, 12, 0),
        (100 * S, "C", "A", "4801.00", 1, 12, 0),
        (100 * S, "A", "A", "4799.50", 3, 21, 130),
    ] + MIDSTREAM[6:]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert rows_of(st.events)[3:7] == [
        (NS0 + 100 * S, "EXECUTE", -1, 19204, 1, 12), (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0),
        (NS0 + 100 * S, "ADD", -1, 19198, 3, 21), (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0),
    ]
    assert bid_fills(st, 19201) == [(700 * S, 19201, 1)]
    # The same with a T and no F (a print written as a TRADE when the next record comes): QUOTING after it.
    del rows[3:5]
    st = dbt.convert([mbo_csv(tmp_path / "mbo2.csv", rows)], tmp_path / "s2", tick_size=0.25)
    assert rows_of(st.events)[3:7] == [
        (NS0 + 100 * S, "TRADE", 1, 19204, 1, 0), (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0),
    ]


def test_databento_clear_then_a_new_book_that_crosses_is_a_preopen(tmp_path):
    # After the first pre-open's auction, trading; at 800 s an R (clear), a new book (bid 4800.00, ask 4801.00), at
    # 900 s an ask 1 @ 4799.75 crosses it and at 950 s a cancel of 32 keeps it crossed, no trade: a second pre-open,
    # QUOTING from 900 s (before the crossing ADD) to the auction at 1000 s (1 lot at 4800.00: 31's 1 and 33's 1).
    rows = MIDSTREAM + [
        (800 * S, "R", "N", "", 0, 0, 130),
        (800 * S + 1, "A", "B", "4800.00", 1, 31, 130),
        (800 * S + 2, "A", "A", "4801.00", 2, 32, 130),
        (900 * S, "A", "A", "4799.75", 1, 33, 130),
        (950 * S, "C", "A", "4801.00", 1, 32, 130),
        (1000 * S, "T", "N", "4800.00", 1, 0, 0),
        (1000 * S, "F", "N", "4800.00", 1, 31, 0),
        (1000 * S, "F", "N", "4800.00", 1, 33, 0),
        (1000 * S, "C", "B", "4800.00", 1, 31, 0),
        (1000 * S, "C", "A", "4799.75", 1, 33, 130),
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    ev = rows_of(st.events)
    assert [(e[0] - NS0, e[4]) for e in ev if e[1] == "STATUS"] == [
        (100 * S, QUOTING), (700 * S, TRADING), (900 * S, QUOTING), (1000 * S, TRADING)]
    at = [i for i, e in enumerate(ev) if e[1] == "STATUS"][2]
    assert ev[at:at + 2] == [(NS0 + 900 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 900 * S, "ADD", -1, 19199, 1, 33)]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S], [NS0 + 900 * S, NS0 + 1000 * S]]


def test_databento_transient_cross_after_trading_stays_transient(tmp_path):
    # An ask 1 @ 4799.50 crosses at 100 s and is cancelled 0.5 s later (within the 1 s tolerance): no status, the
    # events as read, one transient crossed message.
    rows = MIDSTREAM[:5] + [
        (100 * S, "A", "A", "4799.50", 1, 21, 130),
        (100 * S + S // 2, "C", "A", "4799.50", 1, 21, 130),
        (200 * S, "M", "B", "4800.00", 1, 11, 130),  # 11 down to 1 lot (a CANCEL of 1)
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert [e[1] for e in rows_of(st.events)][3:] == ["EXECUTE", "ADD", "DELETE", "CANCEL"]
    q = st.meta["quirks"]
    assert (q["preopen_spans_ns"], q["transient_crossed_messages"], q["preopen_crossed_messages"]) == ([], 1, 0)
    # A trade during a cross shorter than the tolerance: transient too.
    rows = MIDSTREAM[:6] + [
        (100 * S + S // 2, "T", "A", "4800.00", 2, 0, 0),
        (100 * S + S // 2, "F", "B", "4800.00", 2, 11, 0),
        (100 * S + S // 2, "C", "B", "4800.00", 2, 11, 130),
    ]
    st = dbt.convert([mbo_csv(tmp_path / "mbo2.csv", rows)], tmp_path / "s2", tick_size=0.25)
    assert "STATUS" not in [e[1] for e in rows_of(st.events)]
    assert st.meta["quirks"]["preopen_spans_ns"] == []


def test_databento_long_cross_with_trades_during_it_is_an_error(tmp_path):
    # The ask 3 @ 4799.50 crosses at 100 s; at 100.5 s a trade (1 lot of 12 @ 4801.00) leaves it crossed; at 300 s
    # still crossed: not a pre-open (it traded) nor a transient cross.
    rows = MIDSTREAM[:6] + [
        (100 * S + S // 2, "T", "B", "4801.00", 1, 0, 0),
        (100 * S + S // 2, "F", "A", "4801.00", 1, 12, 0),
        (100 * S + S // 2, "C", "A", "4801.00", 1, 12, 130),
        (300 * S, "A", "B", "4799.00", 1, 24, 130),
    ]
    path = mbo_csv(tmp_path / "mbo.csv", rows)
    with pytest.raises(mmsim.DataError) as e:
        dbt.convert([path], tmp_path / "s", tick_size=0.25)
    assert str(e.value) == (
        f"{path}: line 7: the book is crossed (best bid 4800.00 >= best ask 4799.50, 19200 >= 19198 ticks) and "
        "stays crossed for 200.000 s, until line 11 (tolerance 1 s), with a trade during the cross (line 8): "
        "not a pre-open (a cross beyond the tolerance with no trade until the opening auction) nor a transient cross"
    )


def test_esh4_with_a_trade_after_its_snapshot_has_its_preopen_mid_stream(tmp_path):
    # The breaker's withtrade.csv: the ESH4 CSV with a print (T, side N, 1 @ 4799.00) right after its snapshot. Its
    # stream trades first, so the pre-open (the book crosses at 22:39:55.216798489, many messages during the cross)
    # falls after trading. Before: refused ("line 8762: the book is crossed ... stays crossed for 256.633 s"). Now:
    # QUOTING before the crossing message, TRADING before the auction, every other event as in the ESH4 store.
    import gzip

    src = shared_data("databento", "esh4_mbo_20231225.csv.gz")
    lines = gzip.open(src, "rt").read().splitlines()
    lines.insert(8726, "1703541600180087000,1703541600180087000,0,4956,17077,ESH4,T,N,4799.00,1,0,130,0")
    path = tmp_path / "withtrade.csv"
    path.write_text("\n".join(lines) + "\n")
    whole = np.asarray(dbt.convert([src], tmp_path / "w").events)
    st = dbt.convert([path], tmp_path / "s")
    ev = np.asarray(st.events)
    at = np.flatnonzero(ev["kind"] == Kind.STATUS)
    cross = 1_703_543_995_216_798_489
    assert at.tolist() == [8761, 9682]
    assert ev["qty"][at].tolist() == [QUOTING, TRADING]
    assert ev["exch_ts"][at].tolist() == [cross, OPEN_ESH4]
    assert (ev["kind"][at[0] + 1], ev["exch_ts"][at[0] + 1]) == (Kind.ADD, cross)
    assert ev["kind"][at[1] + 1] == Kind.EXECUTE
    assert st.meta["quirks"]["preopen_spans_ns"] == [[cross, OPEN_ESH4]]
    rest = ev[(ev["kind"] != Kind.STATUS) & ~((ev["kind"] == Kind.TRADE) & (ev["exch_ts"] == 1_703_541_600_180_087_000))]
    same = whole[whole["kind"] != Kind.STATUS]
    assert len(rest) == len(same) and all(np.array_equal(rest[f], same[f]) for f in same.dtype.names)


def test_databento_cross_undecided_at_the_end_of_data_beyond_the_tolerance_is_a_preopen(tmp_path):
    # The ask 3 @ 4799.50 crosses at 100 s (after trading); the file ends inside a message (records without F_LAST,
    # a download cut there) at 300 s, still crossed, no trade. Before: no status, the crossing ADD and the bid at
    # 300 s written as a crossed book's (the ADD filled our bid 1 @ 4800.25 at 100 s). Now: the cross lasts 200 s of
    # data with no trade, beyond the 1 s tolerance: a pre-open, QUOTING before the crossing message, never opened.
    rows = MIDSTREAM[:6] + [(300 * S, "A", "B", "4799.25", 1, 24, 0), (300 * S, "A", "B", "4799.00", 1, 25, 0)]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert rows_of(st.events)[3:] == [
        (NS0 + S, "EXECUTE", -1, 19204, 1, 12),
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 300 * S, "ADD", 1, 19197, 1, 24), (NS0 + 300 * S, "ADD", 1, 19196, 1, 25),
    ]
    q = st.meta["quirks"]
    assert q["preopen_spans_ns"] == [[NS0 + 100 * S, None]]
    assert (q["preopen_crossed_messages"], q["transient_crossed_messages"], q["crossed_at_end_ns"]) == (1, 0, None)
    assert bid_fills(st, 19201) == []
    # Split into two files inside the cross: the same store.
    a, b = mbo_csv(tmp_path / "a.csv", rows[:6]), mbo_csv(tmp_path / "b.csv", rows[6:])
    two = convert([a, b], tmp_path / "two", format="databento", tick_size=0.25)
    assert rows_of(two.events) == rows_of(st.events)
    assert two.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 100 * S, None]]


def test_databento_cross_undecided_at_the_end_of_data_within_the_tolerance_stays_transient(tmp_path):
    # The cross begins at 100 s and the data ends at 100.5 s (a bid during it), still crossed, no trade: within the
    # tolerance, what the transient rule says: written as read, no status, counted as transient crossed messages;
    # crossed_at_end_ns says where the cross that the data ends in began and the last record's time.
    rows = MIDSTREAM[:6] + [(100 * S + S // 2, "A", "B", "4800.50", 1, 22, 130)]
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", rows)], tmp_path / "s", tick_size=0.25)
    assert [e[1] for e in rows_of(st.events)] == ["CLEAR", "ADD", "ADD", "EXECUTE", "ADD", "ADD"]
    q = st.meta["quirks"]
    assert (q["preopen_spans_ns"], q["transient_crossed_messages"], q["preopen_crossed_messages"]) == ([], 2, 0)
    assert q["crossed_at_end_ns"] == [NS0 + 100 * S, NS0 + 100 * S + S // 2]


def test_databento_stream_all_preopen_with_no_trade_is_quoting_to_the_end(tmp_path):
    # A file that is all pre-open (a snapshot, then orders that cross the book; no trade at all): QUOTING from the
    # snapshot to the end of the data (never opened).
    st = dbt.convert([mbo_csv(tmp_path / "mbo.csv", PREOPEN[:4])], tmp_path / "s", tick_size=0.25)
    assert [e[1] for e in rows_of(st.events)] == ["CLEAR", "ADD", "ADD", "STATUS", "ADD", "ADD"]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 10, None]]
    # The same when the book crosses only in the last message, cut before its end (no F_LAST): before, no status
    # (the stream was undecided when the data ended); the book is crossed before any trade: a pre-open.
    rows = PREOPEN[:2] + [(100, "A", "B", "4800.25", 1, 20, 130), (200, "A", "A", "4799.50", 3, 21, 0)]
    st = dbt.convert([mbo_csv(tmp_path / "cut.csv", rows)], tmp_path / "c", tick_size=0.25)
    ev = rows_of(st.events)
    assert ev[3] == (NS0 + 10, "STATUS", 0, 0, QUOTING, 0) and [e[1] for e in ev[4:]] == ["ADD", "ADD"]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 10, None]]


#: MIDSTREAM with a crossing message of 7 events at 100 s: six bids below the book (orders 31-36, 4799.25 down to
#: 4798.00, no F_LAST), then the ask 3 @ 4799.50 that crosses the bid (F_LAST ends the message); MIDSTREAM's auction.
BIGCROSS = MIDSTREAM[:5] + [(100 * S, "A", "B", f"{4799.25 - k * 0.25:.2f}", 1, 31 + k, 0) for k in range(6)] + [
    (100 * S, "A", "A", "4799.50", 3, 21, 130)] + MIDSTREAM[6:]


def test_databento_crossing_message_larger_than_a_chunk_is_quoting_from_its_start(tmp_path, monkeypatch):
    # The crossing message's 7 events, with 4-event chunks (as a message of more than 32k events with the real
    # 65,536: a message starts with at most half a chunk queued). Before: its first 4 were written when the chunk
    # filled, and QUOTING went after them, before the rest (the events of the message split by the status). Now its
    # events are held from its start when they fill a chunk: QUOTING before all 7, the store of 65,536-event chunks.
    whole = dbt.convert([mbo_csv(tmp_path / "w.csv", BIGCROSS)], tmp_path / "w", tick_size=0.25)
    ev = rows_of(whole.events)
    assert ev[4] == (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0)
    assert [e[1] for e in ev[5:12]] == ["ADD"] * 7 and ev[11] == (NS0 + 100 * S, "ADD", -1, 19198, 3, 21)
    assert whole.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
    for chunk in (4, 3, 2):
        monkeypatch.setattr("mmsim.data._emitter.CHUNK", chunk)
        st = dbt.convert([mbo_csv(tmp_path / f"c{chunk}.csv", BIGCROSS)], tmp_path / f"c{chunk}", tick_size=0.25)
        assert rows_of(st.events) == ev, chunk
    # The same when the message trades first (the stream's first message after its snapshot): QUOTING after its
    # execution, before the rest, with chunks of 2, 3 and 4 events as with 65,536.
    rows = MIDSTREAM[:2] + BIGCROSS[5:8] + [
        (100 * S, "T", "B", "4801.00", 1, 0, 0), (100 * S, "F", "A", "4801.00", 1, 12, 0),
        (100 * S, "C", "A", "4801.00", 1, 12, 0)] + BIGCROSS[8:]
    monkeypatch.setattr("mmsim.data._emitter.CHUNK", 1 << 16)
    traded = rows_of(dbt.convert([mbo_csv(tmp_path / "t.csv", rows)], tmp_path / "t", tick_size=0.25).events)
    assert [e[1] for e in traded[3:9]] == ["ADD", "ADD", "ADD", "EXECUTE", "STATUS", "ADD"]
    for chunk in (2, 3, 4):
        monkeypatch.setattr("mmsim.data._emitter.CHUNK", chunk)
        st = dbt.convert([mbo_csv(tmp_path / f"t{chunk}.csv", rows)], tmp_path / f"t{chunk}", tick_size=0.25)
        assert rows_of(st.events) == traded, chunk
    # A message that outgrows a chunk and does not cross is written as read (the hold ends with it).
    rows = BIGCROSS[:11] + [(100 * S, "A", "A", "4800.75", 3, 21, 130)]
    monkeypatch.setattr("mmsim.data._emitter.CHUNK", 1 << 16)
    plain = rows_of(dbt.convert([mbo_csv(tmp_path / "p.csv", rows)], tmp_path / "p", tick_size=0.25).events)
    monkeypatch.setattr("mmsim.data._emitter.CHUNK", 4)
    small = dbt.convert([mbo_csv(tmp_path / "p4.csv", rows)], tmp_path / "p4", tick_size=0.25)
    assert rows_of(small.events) == plain and "STATUS" not in [e[1] for e in plain]


@pytest.mark.parametrize("cut", [6, 8, 11])
def test_databento_crossing_message_split_across_two_files_is_quoting_from_its_start(tmp_path, cut):
    # The crossing message cut between two files (Databento splits a download by size, anywhere): after its first
    # record, inside it, and before its last (crossing) record. Before: the second file's part was taken for a
    # message of its own, and QUOTING went before it, after the first file's part. Now: the store of the whole.
    whole = dbt.convert([mbo_csv(tmp_path / "w.csv", BIGCROSS)], tmp_path / "w", tick_size=0.25)
    a, b = mbo_csv(tmp_path / "a.csv", BIGCROSS[:cut]), mbo_csv(tmp_path / "b.csv", BIGCROSS[cut:])
    st = convert([a, b], tmp_path / "s", format="databento", tick_size=0.25)
    assert rows_of(st.events) == rows_of(whole.events)
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]


def test_databento_crossing_message_ending_on_a_record_that_changes_nothing_is_quoting_from_its_start(tmp_path):
    # The crossing message at 100 s ends (F_LAST) on a modify that changes nothing (11 to its own price and size).
    # Before: that message's end was never checked (the record wrote nothing), the cross was first seen at the end of
    # the bid's message at 300 s, and QUOTING went there, after the crossing ADD. Now before the crossing ADD.
    auction = MIDSTREAM[6:]
    rows = MIDSTREAM[:5] + [
        (100 * S, "A", "A", "4799.50", 3, 21, 0), (100 * S, "M", "B", "4800.00", 2, 11, 130),
        (300 * S, "A", "B", "4799.00", 1, 24, 130),
    ] + auction
    ev = rows_of(dbt.convert([mbo_csv(tmp_path / "m.csv", rows)], tmp_path / "m", tick_size=0.25).events)
    assert ev[4:8] == [
        (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0), (NS0 + 100 * S, "ADD", -1, 19198, 3, 21),
        (NS0 + 300 * S, "ADD", 1, 19196, 1, 24), (NS0 + 700 * S, "STATUS", 0, 0, TRADING, 0),
    ]
    # The same when it ends on the C the venue sends after a fill of that message (absorbed): QUOTING after the
    # execution, before the crossing ADD.
    rows = MIDSTREAM[:2] + [
        (100 * S, "T", "B", "4801.00", 1, 0, 0), (100 * S, "F", "A", "4801.00", 1, 12, 0),
        (100 * S, "A", "A", "4799.50", 3, 21, 0), (100 * S, "C", "A", "4801.00", 1, 12, 130),
        (300 * S, "A", "B", "4799.00", 1, 24, 130),
    ] + auction
    st = dbt.convert([mbo_csv(tmp_path / "c.csv", rows)], tmp_path / "c", tick_size=0.25)
    assert rows_of(st.events)[3:7] == [
        (NS0 + 100 * S, "EXECUTE", -1, 19204, 1, 12), (NS0 + 100 * S, "STATUS", 0, 0, QUOTING, 0),
        (NS0 + 100 * S, "ADD", -1, 19198, 3, 21), (NS0 + 300 * S, "ADD", 1, 19196, 1, 24),
    ]
    assert st.meta["quirks"]["preopen_spans_ns"] == [[NS0 + 100 * S, NS0 + 700 * S]]
