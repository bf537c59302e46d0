"""fix34a: a line that ``drop_prints_through_book`` (``mmsim convert --drop-prints-through-book``) drops influences
nothing else in the store (docs/data.md, "Prints through the book").

Before, the drop came last, at the store's close: ``quirks.time_jump_at_end`` and the recorder-clock shift
(``quirks.local_clock_offset_ns``, added to every kept event's ``local_ts``) were read from the events before it, and
a loader's quirk counts of events (Tardis ``unknown_aggressor_trades``, Databento and hftbacktest
``uncovered_trade_prints``, LOBSTER ``cross_trades`` and ``hidden_trades_rounded_to_grid``) counted the dropped prints.
Now the prints are dropped before any of these is read (a loader's ``correct_local_clock``), and each count tied to
events is held to the kept ones.
"""

from __future__ import annotations

from _corpus import DB_ROWS, LOB_MSG, TD_BOOK_HDR, TD_TRADE_HDR, US0, databento_csv, db_csv_lines, lobster, tardis
from test_fix30b_files import DAY_MS, _long_capture, _received, _write
from test_fix31a_jump import JUMP, KEY

import mmsim
from mmsim.cli import main
from mmsim.data import binance as bn
from mmsim.data import converter
from mmsim.data import tardis as tds


def _binance(tmp_path, late_ms: int = 0, early_ns: int = 0):
    """breaker29 9's capture (tests/test_fix31a_jump.py: the snapshot, 200 diffs 1 ms apart, each line received 1 ms
    after its exchange time) whose last line, line 202, is a sell at 1.0 under the 10.0 bid (through the book),
    ``late_ms`` later and received ``early_ns`` before its exchange time."""
    msgs = _long_capture()
    msgs[-1]["data"].update(p="1.0", m=True)
    msgs[-1]["data"]["T"] += late_ms
    msgs[-1]["data"]["E"] += late_ms
    received = _received(msgs, -1_000_000)
    received[-1] -= 1_000_000 + early_ns
    p = tmp_path / "cap.gz"
    _write(p, msgs, received)
    return p


def test_a_jump_made_only_by_a_dropped_binance_print_is_not_recorded(tmp_path, capsys):
    # Kept: fix31a's jump (line 202, 30 days late), 206 events, a 30-day span. Dropped: 205 events (the snapshot's
    # CLEAR and 4 levels, the 200 diffs), the span T0 .. T0 + 200 ms, and no jump (nor its warning).
    p = _binance(tmp_path, late_ms=30 * DAY_MS)
    kept = bn.convert([p], tmp_path / "k")
    assert kept.meta["event_count"] == 206 and kept.meta["quirks"][KEY] == JUMP
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "binance",
                 "--drop-prints-through-book"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"wrote {tmp_path / 's'}: 205 events, ")
    assert not any(KEY in line for line in err) and err[1].startswith("warning: 1 trade print more than 10% ")
    st = mmsim.load(tmp_path / "s")
    assert st.meta["event_count"] == 205 and KEY not in st.meta["quirks"]
    assert st.meta["last_exch_ts"] - st.meta["first_exch_ts"] == 200_000_000
    assert st.meta["quirks"]["prints_through_book"]["at"] == "cap.gz: line 202"


def test_a_clock_shift_set_only_by_a_dropped_binance_print_is_not_applied(tmp_path):
    # Every line is received 1 ms after its exchange time, but line 202 (the print) 5 ms before it: kept, the shift
    # is +5,000,000 ns, set by line 202, and every event's feed latency grows by 5 ms; dropped, no shift.
    p = _binance(tmp_path, early_ns=5_000_000)
    kept = bn.convert([p], tmp_path / "k")
    q = kept.meta["quirks"]
    assert (q["local_clock_offset_ns"], q["local_clock_offset_at"]) == (5_000_000, "cap.gz: line 202")
    st = bn.convert([p], tmp_path / "s", drop_prints_through_book=True)
    q = st.meta["quirks"]
    assert (q["local_clock_offset_ns"], q["local_clock_offset_at"]) == (0, None)
    assert q["local_clock_note"] == "local_ts >= exch_ts as recorded; no shift"
    ev = st.events
    assert set((ev["local_ts"] - ev["exch_ts"]).tolist()) == {1_000_000}  # as recorded
    assert set((kept.events["local_ts"] - kept.events["exch_ts"])[:205].tolist()) == {6_000_000}


def _tardis(tmp_path):
    """A Tardis book (bid 10.0, ask 10.5 at US0) and 22 trades, each received 100 us after its exchange time: 20
    sells at 10.0 1 ms apart (lines 2-21), line 21's aggressor unknown; line 22 then line 23 (1 ms later), unknown
    aggressors at 1.0 (through the 10.0 bid), a day after line 21, received 2 ms and 3 ms before their exchange
    times."""
    book = [TD_BOOK_HDR, f"ex,XUSDT,{US0},{US0 + 100},true,bid,10.0,1", f"ex,XUSDT,{US0},{US0 + 100},true,ask,10.5,1"]
    rows = [f"ex,XUSDT,{US0 + 1000 * k},{US0 + 1000 * k + 100},t{k},{'unknown' if k == 20 else 'sell'},10.0,1"
            for k in range(1, 21)]
    nxt = US0 + 20_000 + DAY_MS * 1000
    rows += [f"ex,XUSDT,{nxt},{nxt - 2000},n1,unknown,1.0,1", f"ex,XUSDT,{nxt + 1000},{nxt - 2000},n2,unknown,1.0,1"]
    return tardis(tmp_path, book=book, trades=[TD_TRADE_HDR] + rows)[0]


def test_tardis_dropped_prints_set_no_jump_no_shift_and_no_count(tmp_path):
    srcs = _tardis(tmp_path)
    name = srcs[1].name
    kept = tds.convert(srcs, tmp_path / "k")
    q = kept.meta["quirks"]
    # Kept: 25 events (CLEAR, 2 levels, 22 trades); 3 unknown aggressors; the shift +3 ms set by line 23; the jump
    # from line 21 (US0 + 20 ms) to line 22 (+1 day): 86400 s, on the last 2 of 22 trades, the rest spanning 19 ms + 1 ms.
    assert kept.meta["event_count"] == 25 and q["unknown_aggressor_trades"] == 3
    assert (q["local_clock_offset_ns"], q["local_clock_offset_at"]) == (3_000_000, f"{name}: line 23")
    assert q[KEY] == {"at": f"{name}: line 22", "from": f"{name}: line 21", "time": "exchange",
                      "jump_ns": 86_400_000_000_000, "span_ns": 20_000_000, "events_after": 2, "events": 22}
    st = tds.convert(srcs, tmp_path / "s", drop_prints_through_book=True)
    q = st.meta["quirks"]
    # Dropped: 23 events; line 21's unknown aggressor only; no shift; no jump; the span US0 .. US0 + 20 ms.
    assert st.meta["event_count"] == 23 and q["unknown_aggressor_trades"] == 1
    assert (q["local_clock_offset_ns"], q["local_clock_offset_at"]) == (0, None)
    assert KEY not in q and st.meta["last_exch_ts"] - st.meta["first_exch_ts"] == 20_000_000
    assert (q["prints_through_book"]["count"], q["prints_through_book"]["at"]) == (2, f"{name}: line 22")


def test_lobster_counts_of_dropped_prints_are_not_kept(tmp_path):
    # Line 6 of the corpus day as a cross trade (type 6, no aggressor) at $110.55 over the $100.02 ask: dropped,
    # cross_trades 1 -> 0. A hidden execution (type 5) at the off-grid $110.5550, rounded to 110.55: dropped,
    # hidden_trades_rounded_to_grid 1 -> 0. The other quirks are the same.
    for line6, key in (("34200.6,6,0,3,1105500,-1", "cross_trades"),
                       ("34200.6,5,0,3,1105550,-1", "hidden_trades_rounded_to_grid")):
        d = tmp_path / key
        d.mkdir()
        srcs, _ = lobster(d, msg=[*LOB_MSG[:5], line6])
        kept = converter("lobster")(srcs, d / "k")
        st = converter("lobster")(srcs, d / "s", drop_prints_through_book=True)
        assert (kept.meta["quirks"][key], st.meta["quirks"][key]) == (1, 0)
        assert (len(kept), len(st)) == (9, 8)
        rest = {k: v for k, v in st.meta["quirks"].items() if k not in (key, "prints_through_book")}
        assert rest == {k: v for k, v in kept.meta["quirks"].items() if k not in (key, "prints_through_book")}


def test_a_dropped_databento_print_is_not_an_uncovered_trade_print(tmp_path):
    # Bids 4800.00 (orders 11, 13), ask 4800.25; then a T on line 5 selling 1 at 100.00 that no fill covers: its
    # print is a TRADE (uncovered_trade_prints 1), 98% under the 4800.00 bid; dropped, it is counted nowhere.
    rows = [*DB_ROWS[:3], (400, "T", "A", "100.00", 1, 0, 0), (500, "C", "B", "4800.00", 3, 13, 130)]
    srcs, p = databento_csv(tmp_path, db_csv_lines(rows))
    kept = converter("databento")(srcs, tmp_path / "k")
    st = converter("databento")(srcs, tmp_path / "s", drop_prints_through_book=True)
    assert (kept.meta["quirks"]["uncovered_trade_prints"], st.meta["quirks"]["uncovered_trade_prints"]) == (1, 0)
    assert (len(kept), len(st)) == (5, 4)  # 3 ADDs, the print, the CANCEL
    assert st.meta["quirks"]["prints_through_book"]["at"] == f"{p.name}: line 5"
