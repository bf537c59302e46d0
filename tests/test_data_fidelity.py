"""Real-feed fidelity on the loader side (issue 13) and atomic stores (issue 18, item 2).

Trading halts become STATUS events, Binance diff streams follow Binance's own
rules at every boundary, Databento fills of orders never added change nothing,
several files convert into one valid store, and a store is replaced only on
request and never under a reader's feet. Expected values are worked out by hand
in the comments.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from _corpus import LOB_BOOK, LOB_MSG, lobster
from conftest import shared_data

import mmsim
from mmsim import Kind, TradingStatus
from mmsim.data import binance as bn
from mmsim.data import convert, hftbacktest, load, summary, to_l2, write_store
from mmsim.data import databento as dbt
from mmsim.data import lobster as lob

#: 2012-06-21 00:00 America/New_York (EDT, UTC-4), seconds since the epoch.
MIDNIGHT = 1_340_251_200
S = 1_000_000_000


def rows_of(ev) -> list[tuple]:
    return [(int(e["exch_ts"]), Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
             int(e["order_id"])) for e in np.asarray(ev)]


def lobster_day(d: Path, date: str, msgs: list[str], books: list[str]) -> Path:
    name = f"TEST_{date}_34200000_57600000_{{}}_1.csv"
    (d / name.format("message")).write_text("\n".join(msgs) + "\n")
    (d / name.format("orderbook")).write_text("\n".join(books) + "\n")
    return d / name.format("message")


# --------------------------------------------------------------------------- halts (item 4)
#: The issue's example: book 219.90 x 220.10, halt at 36000 s, quoting at 36300 s, a seller
#: adds 50 @ 220.00 at 36400 s, trading resumes at 36700 s. Type-7 rows carry price -1 / 0 / 1
#: (LOBSTER_SampleFiles_ReadMe.txt) and repeat the previous orderbook row.
HALT_MSGS = [
    "35999.0,1,1,100,2199000,1",
    "36000.0,7,0,0,-1,-1",
    "36300.0,7,0,0,0,-1",
    "36400.0,1,3,50,2200000,-1",
    "36700.0,7,0,0,1,-1",
]
HALT_BOOK = [
    "2201000,100,2199000,100",
    "2201000,100,2199000,100",
    "2201000,100,2199000,100",
    "2200000,50,2199000,100",
    "2200000,50,2199000,100",
]


def test_lobster_halt_quoting_resume_are_status_events_at_their_times(tmp_path):
    m = lobster_day(tmp_path, "2012-06-21", HALT_MSGS, HALT_BOOK)
    st = lob.convert([m], tmp_path / "s")

    def t(secs):
        return (MIDNIGHT + secs) * S

    syn = lob.SYNTHETIC_ID_BASE
    assert rows_of(st.events) == [
        (t(35999), "CLEAR", 0, 0, 0, 0),
        (t(35999), "ADD", -1, 22010, 100, syn),  # the ask resting before the file, seeded
        (t(35999), "ADD", 1, 21990, 100, 1),
        (t(36000), "STATUS", 0, 0, int(TradingStatus.HALTED), 0),
        (t(36300), "STATUS", 0, 0, int(TradingStatus.QUOTING), 0),
        (t(36400), "ADD", -1, 22000, 50, 3),
        (t(36700), "STATUS", 0, 0, int(TradingStatus.TRADING), 0),
    ]
    assert t(36000) == 1_340_287_200 * S
    assert [(h["state"], h["line"]) for h in st.meta["quirks"]["halts"]] == [("halt", 2), ("quoting", 3), ("resume", 5)]
    # The engine's book accepts the store (matching through halts is the engine's rule).
    r = mmsim.replay_bbo(st)
    assert (int(r["best_bid"][-1]), int(r["best_ask"][-1])) == (21990, 22000)


def test_lobster_next_day_opens_trading_after_a_day_that_ended_halted(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    m1 = lobster_day(d1, "2012-06-21", HALT_MSGS[:4], HALT_BOOK[:4])  # ends quoting-only
    m2 = lobster_day(d2, "2012-06-22", ["34200.5,1,7,10,2200000,1"], ["2201000,5,2200000,10"])
    st = lob.convert([m1, m2], tmp_path / "s")
    ev = rows_of(st.events)
    day2 = (MIDNIGHT + 86400 + 34200) * S + S // 2
    i = [k for k, e in enumerate(ev) if e[1] == "CLEAR"][1]
    assert ev[i] == (day2, "CLEAR", 0, 0, 0, 0)
    assert ev[i + 1] == (day2, "STATUS", 0, 0, int(TradingStatus.TRADING), 0)
    assert [e[4] for e in ev if e[1] == "STATUS"] == [1, 2, 3]
    # A day that ends trading adds nothing: the two-day store of test_data_errors has no STATUS.


def test_status_passes_through_to_l2_and_is_left_out_of_the_hftbacktest_export(tmp_path):
    m = lobster_day(tmp_path, "2012-06-21", HALT_MSGS, HALT_BOOK)
    st = lob.convert([m], tmp_path / "s")
    l2 = to_l2(st)
    status = l2[l2["kind"] == Kind.STATUS]
    assert status["qty"].tolist() == [1, 2, 3]
    assert status["exch_ts"].tolist() == [(MIDNIGHT + s) * S for s in (36000, 36300, 36700)]
    out = hftbacktest.export(st, tmp_path / "x.npz")
    assert len(out) == len(st) - 3  # STATUS dropped; the side-0 CLEAR is one sideless clear (17: one per side before)
    with pytest.raises(mmsim.DataError, match=r"event 3: a STATUS event \(trading status 1\); hftbacktest has no"):
        hftbacktest.export(st, tmp_path / "y.npz", on_status="error")


# --------------------------------------------------------------------------- Binance sequence rules (item 5)
T0 = 1_700_000_000_000  # ms
LOCAL0 = 1_700_000_000_000_000_000


def capture(tmp_path: Path, msgs: list[dict], name: str = "cap.gz", recv_ms: list[int] | None = None) -> Path:
    """Line i received at LOCAL0 + (i + 1) ms, or at LOCAL0 + ``recv_ms[i]`` ms."""
    p = tmp_path / name
    with gzip.open(p, "wt") as f:
        for i, m in enumerate(msgs):
            f.write(f"{LOCAL0 + (i + 1 if recv_ms is None else recv_ms[i]) * 1_000_000} {json.dumps(m)}\n")
    return p


def spot_diff(U: int, u: int, k: int) -> dict:
    """A spot diff that sets bid level 9.00 + k ticks (its price says which diff it was)."""
    return {"stream": "xusdt@depth@100ms", "data": {"e": "depthUpdate", "E": T0 + k, "s": "XUSDT", "U": U, "u": u,
                                                     "b": [[f"{9 + k / 100:.2f}", "1.00000"]], "a": []}}


def usdm_diff(U: int, u: int, pu: int, k: int) -> dict:
    return {"stream": "xusdt@depth@0ms", "data": {"e": "depthUpdate", "E": T0 + k, "T": T0 + k, "s": "XUSDT",
                                                   "U": U, "u": u, "pu": pu, "b": [[f"{9 + k / 100:.2f}", "1.000"]],
                                                   "a": []}}


SPOT_SNAP = {"lastUpdateId": 100, "bids": [["10.00", "1.00000"]], "asks": [["10.10", "1.00000"]]}
USDM_SNAP = {"lastUpdateId": 100, "E": T0, "T": T0, "bids": [["10.00", "1.000"]], "asks": [["10.10", "1.000"]]}


def applied(st) -> list[int]:
    """Which diffs were applied: k of the bid levels 900 + k ticks."""
    ev = np.asarray(st.events)
    d = ev[(ev["kind"] == Kind.DEPTH) & (ev["price"] < 1000)]
    return [int(p) - 900 for p in d["price"]]


def test_binance_spot_diffs_follow_the_update_procedure(tmp_path):
    msgs = [
        SPOT_SNAP,
        spot_diff(95, 100, 1),  # u = lastUpdateId: already in the snapshot, dropped
        spot_diff(101, 103, 2),  # U = lastUpdateId + 1: the first diff applied
        spot_diff(102, 106, 3),  # overlaps (previous u=103, U=102 <= 104): applied (the example)
        spot_diff(104, 106, 4),  # u = the book's 106: stale, dropped
        spot_diff(105, 105, 5),  # u below the book's: dropped
        spot_diff(107, 109, 6),  # U = 106 + 1: applied
    ]
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01)
    assert applied(st) == [2, 3, 6]
    assert st.meta["quirks"]["dropped_before_snapshot"] == 1
    assert st.meta["quirks"]["stale_diffs_dropped"] == 2
    gap = capture(tmp_path, msgs + [spot_diff(111, 112, 7)], "gap.gz")  # U = 111 > 109 + 1
    with pytest.raises(mmsim.DataError, match=r"gap.gz: line 8: sequence gap: U=111 but the previous diff ended at "
                                              r"u=109; expected U=110 or lower"):
        bn.convert([gap], tmp_path / "g", tick_size=0.01)


def test_binance_spot_first_diff_must_reach_the_snapshot(tmp_path):
    p = capture(tmp_path, [SPOT_SNAP, spot_diff(102, 105, 1)])  # U = lastUpdateId + 2
    with pytest.raises(mmsim.DataError, match=r"cap.gz: line 2: sequence gap: first diff after the snapshot "
                                              r"\(lastUpdateId 100\) has U=102, u=105; it must span update 101"):
        bn.convert([p], tmp_path / "s")


def test_binance_usdm_diffs_follow_the_pu_rule(tmp_path):
    msgs = [
        USDM_SNAP,
        usdm_diff(90, 99, 89, 1),  # u < lastUpdateId: dropped
        usdm_diff(100, 100, 99, 2),  # U = u = lastUpdateId: the first diff applied
        usdm_diff(101, 104, 100, 3),  # pu = previous u: applied
    ]
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01)
    assert applied(st) == [2, 3]
    assert st.meta["quirks"]["dropped_before_snapshot"] == 1
    for k, pu in enumerate((103, 105)):  # one below and one above the previous u=104
        p = capture(tmp_path, msgs + [usdm_diff(105, 107, pu, 4)], f"gap{k}.gz")
        with pytest.raises(mmsim.DataError, match=rf"gap{k}.gz: line 5: sequence gap: pu={pu} but the previous diff "
                                                  r"ended at u=104 \(updates were missed\)"):
            bn.convert([p], tmp_path / f"g{k}", tick_size=0.01)
    p = capture(tmp_path, [USDM_SNAP, usdm_diff(101, 105, 100, 1)], "first.gz")  # U = lastUpdateId + 1
    with pytest.raises(mmsim.DataError, match=r"first.gz: line 2: sequence gap: first diff after the snapshot "
                                              r"\(lastUpdateId 100\) has U=101, u=105; it must span update 100"):
        bn.convert([p], tmp_path / "f")


def test_binance_usdm_drops_a_diff_the_book_already_holds(tmp_path):
    """A diff sent again (u at or below the last applied u) is dropped and counted, not a "gap"."""
    msgs = [
        USDM_SNAP,
        usdm_diff(100, 100, 99, 2),   # the first diff applied
        usdm_diff(101, 104, 100, 3),  # applied
        usdm_diff(101, 104, 100, 3),  # the same diff again (the line written twice): dropped
        usdm_diff(100, 100, 99, 2),   # an older one again: dropped
        usdm_diff(105, 107, 104, 4),  # pu = 104, the last applied u: applied
    ]
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01)
    assert applied(st) == [2, 3, 4]
    assert st.meta["quirks"]["stale_diffs_dropped"] == 2
    p = capture(tmp_path, msgs + [usdm_diff(109, 110, 108, 5)], "gap.gz")  # newer, but 108 is not 107: a gap
    with pytest.raises(mmsim.DataError, match=r"gap.gz: line 7: sequence gap: pu=108 but the previous diff "
                                              r"ended at u=107 \(updates were missed\)"):
        bn.convert([p], tmp_path / "g", tick_size=0.01)


def test_binance_drops_a_trade_id_already_read(tmp_path):
    """Trade ids rise on a symbol's stream: an id read before is the same trade sent again."""
    def trade(t: int | None, k: int, q: str = "1.000") -> dict:
        d = {"e": "trade", "E": T0 + k, "T": T0 + k, "s": "XUSDT", "p": "10.05", "q": q, "X": "MARKET", "m": True}
        if t is not None:
            d["t"] = t
        return {"stream": "xusdt@trade", "data": d}

    base = [USDM_SNAP, usdm_diff(100, 100, 99, 2)]
    msgs = base + [trade(7, 3), trade(7, 3),       # the line written twice: the second is dropped
                   trade(8, 4, "2.000"),
                   trade(7, 3),                    # an older trade again: dropped
                   trade(9, 5, "3.000"), trade(None, 6, "4.000"), trade(None, 6, "4.000")]  # no id: kept
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01, lot_size=0.001)
    ev = np.asarray(st.events)
    assert ev["qty"][ev["kind"] == Kind.TRADE].tolist() == [1000, 2000, 3000, 4000, 4000]
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 2


def _trade(t: int | None, k: int, q: str, **kw) -> dict:
    d = {"e": "trade", "E": T0 + k, "T": T0 + k, "s": "XUSDT", "p": "10.05", "q": q, "X": "MARKET", "m": True, **kw}
    if t is not None:
        d["t"] = t
    return {"stream": "xusdt@trade", "data": d}


@pytest.mark.parametrize("ids", [
    [10, 12, 11, 13],          # two lines swapped: 11 comes after 12 and was never read
    [20, 24, 21, 22, 23, 25],  # a line written three trades late: ids go back by 3
])
def test_binance_keeps_a_trade_whose_line_comes_after_a_later_one(tmp_path, ids):
    """Only an id read before is a duplicate: a trade below the largest id read, never read, is real."""
    base = [USDM_SNAP, usdm_diff(100, 100, 99, 2)]
    msgs = base + [_trade(t, 3, f"{t}.000") for t in ids] + [_trade(ids[2], 3, f"{ids[2]}.000")]  # one sent again
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01, lot_size=0.001)
    ev = np.asarray(st.events)
    assert ev["qty"][ev["kind"] == Kind.TRADE].tolist() == [t * 1000 for t in ids]  # every trade once, line order
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 1


def test_binance_trade_ids_read_before_are_kept_across_gaps_and_files(tmp_path):
    """Ids read on both sides of a gap stay known; a second file repeating the first's last trades drops them."""
    a = [USDM_SNAP, usdm_diff(100, 100, 99, 2), _trade(5, 3, "1.000"), _trade(9, 4, "2.000"), _trade(7, 5, "3.000"),
         _trade(8, 6, "4.000"), _trade(6, 7, "5.000")]  # 5, 9, then the gap 6..8 filled out of order
    b = [USDM_SNAP | {"lastUpdateId": 200, "E": T0 + 8, "T": T0 + 8}, usdm_diff(200, 200, 199, 8),
         _trade(9, 8, "2.000"), _trade(5, 8, "1.000"), _trade(10, 9, "6.000")]  # 9 and 5 again, then 10
    st = bn.convert([capture(tmp_path, a, "a.gz"), capture(tmp_path, b, "b.gz")], tmp_path / "s",
                    tick_size=0.01, lot_size=0.001)
    ev = np.asarray(st.events)
    assert ev["qty"][ev["kind"] == Kind.TRADE].tolist() == [1000, 2000, 3000, 4000, 5000, 6000]
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 2


@pytest.mark.parametrize("edit, differ", [
    ({"p": "10.10"}, "price"),                       # another price under the same id
    ({"q": "5.000", "m": False}, "size and side"),   # another size and aggressor
])
def test_binance_trade_id_read_again_with_other_fields_is_an_error(tmp_path, edit, differ):
    """A repeat of a trade id must be that trade: one that differs is not a resend (it was dropped unread)."""
    base = [USDM_SNAP, usdm_diff(100, 100, 99, 2)]
    again = _trade(7, 3, "1.000")
    again["data"].update(edit)
    msgs = base + [_trade(7, 3, "1.000"), _trade(8, 4, "2.000"), again]
    with pytest.raises(mmsim.DataError, match=rf"cap.gz: line 5: trade id 7 was read at line 3 with another "
                                              rf"{differ}; one id names one trade"):
        bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01, lot_size=0.001)
    # The same trade written as other decimal strings ("1.0" for "1.000") is a resend: dropped, counted.
    same = base + [_trade(7, 3, "1.000"), _trade(7, 3, "1.0", p="10.050")]
    st = bn.convert([capture(tmp_path, same, "same.gz")], tmp_path / "t", tick_size=0.01, lot_size=0.001)
    assert st.meta["quirks"]["duplicate_trades_dropped"] == 1


def test_binance_trade_id_repeated_in_the_next_file_with_another_price_names_both_files(tmp_path):
    a = [USDM_SNAP, usdm_diff(100, 100, 99, 2), _trade(9, 4, "2.000")]
    b = [USDM_SNAP | {"lastUpdateId": 200, "E": T0 + 8, "T": T0 + 8}, usdm_diff(200, 200, 199, 8),
         _trade(9, 8, "2.000", p="10.06")]
    with pytest.raises(mmsim.DataError, match=r"b.gz: line 3: trade id 9 was read at a.gz: line 3 with another "
                                              r"price; one id names one trade"):
        bn.convert([capture(tmp_path, a, "a.gz"), capture(tmp_path, b, "b.gz")], tmp_path / "s",
                   tick_size=0.01, lot_size=0.001)


@pytest.mark.parametrize("bids, asks, what", [
    ([["10.00", "1.000"], ["9.99", "2.000"], ["10.00", "999.000"]], [["10.10", "1.000"]],
     r"bid price 10.00 twice with different sizes \(levels 1 and 3"),
    ([["10.00", "1.000"]], [["10.10", "1.000"], ["10.1", "5.000"]],  # the same price, written shorter
     r"ask price 10.1 twice with different sizes \(levels 1 and 2"),
])
def test_binance_snapshot_listing_a_price_twice_is_an_error(tmp_path, bids, asks, what):
    """A REST depth snapshot has one level per price: a second one is not a size to keep (the last one won)."""
    snap = USDM_SNAP | {"bids": bids, "asks": asks}
    with pytest.raises(mmsim.DataError, match=rf"cap.gz: line 1: the snapshot lists the {what} of its side\); "
                                              r"a depth snapshot has one level per price"):
        bn.convert([capture(tmp_path, [snap, usdm_diff(100, 100, 99, 2)])], tmp_path / "s", tick_size=0.01)


def _capture_at(path: Path, timed: list[tuple[int, dict]]) -> Path:
    """A capture whose lines carry the given receive times (ns)."""
    with gzip.open(path, "wt") as f:
        for local, m in timed:
            f.write(f"{local} {json.dumps(m)}\n")
    return path


def test_binance_receive_time_far_ahead_of_the_next_line_is_an_error(tmp_path):
    """A capture is written in receive order. One line stamped an hour late held every later event
    back to it under `feed: recorded` (the feed is one ordered stream): 58 fills became 3, silently."""
    ms, hour = 1_000_000, 3600 * 1_000_000_000
    msgs = [USDM_SNAP, usdm_diff(100, 100, 99, 2), usdm_diff(101, 101, 100, 3), usdm_diff(102, 102, 101, 4)]
    late = [(LOCAL0 + ms, msgs[0]), (LOCAL0 + 2 * ms, msgs[1]), (LOCAL0 + 3 * ms + hour, msgs[2]), (LOCAL0 + 4 * ms, msgs[3])]
    with pytest.raises(mmsim.DataError, match=r"cap.gz: line 4: receive time 1700000000004000000 is 3599.999 s before "
                                              r"line 3's \(1700003600003000000\); a capture is written in receive "
                                              r"order, so one of the two receive times is wrong"):
        bn.convert([_capture_at(tmp_path / "cap.gz", late)], tmp_path / "s", tick_size=0.01)
    # Within the 10 s reorder window a step back converts (a recorder's clock adjusted).
    back = [(LOCAL0 + 9 * 10**9, msgs[0]), (LOCAL0 + 9 * 10**9 + ms, msgs[1]), (LOCAL0 + 2 * ms, msgs[2]),
            (LOCAL0 + 3 * ms, msgs[3])]
    assert applied(bn.convert([_capture_at(tmp_path / "ok.gz", back)], tmp_path / "t", tick_size=0.01)) == [2, 3, 4]


def test_binance_spot_receive_time_far_ahead_of_the_next_line_is_an_error(tmp_path):
    ms = 1_000_000
    timed = [(LOCAL0 + ms, SPOT_SNAP), (LOCAL0 + 2 * ms + 30 * 10**9, spot_diff(101, 101, 2)),
             (LOCAL0 + 3 * ms, spot_diff(102, 102, 3))]
    with pytest.raises(mmsim.DataError, match=r"cap.gz: line 3: receive time 1700000000003000000 is 29.999 s before "
                                              r"line 2's \(1700000030002000000\); a capture is written in receive "
                                              r"order, so one of the two receive times is wrong"):
        bn.convert([_capture_at(tmp_path / "cap.gz", timed)], tmp_path / "s", tick_size=0.01)


def test_trade_id_runs_hold_exactly_the_ids_added():
    from mmsim.data._common import IdRuns  # Binance's and Tardis' set of trade ids read

    runs = IdRuns()
    added = [5, 9, 7, 8, 6, 20, 3, 4, 19, 21, 1]
    assert [runs.add(t) for t in added] == [True] * len(added)
    assert (runs.lo, runs.hi) == ([1, 3, 19], [1, 9, 21])  # 1; 3..9; 19..21
    assert [runs.add(t) for t in (1, 3, 9, 19, 21, 20)] == [False] * 6
    assert [runs.add(t) for t in (2, 10, 18)] == [True] * 3
    assert (runs.lo, runs.hi) == ([1, 18], [10, 21])


@pytest.mark.parametrize("t", ['"11"', "11.0", "true", "null"])
def test_binance_trade_id_must_be_an_integer(tmp_path, t):
    p = tmp_path / "cap.gz"
    msgs = [USDM_SNAP, usdm_diff(100, 100, 99, 2)]
    with gzip.open(p, "wt") as f:
        for i, m in enumerate(msgs):
            f.write(f"{LOCAL0 + (i + 1) * 1_000_000} {json.dumps(m)}\n")
        bad = json.dumps(_trade(11, 3, "1.000")).replace('"t": 11', f'"t": {t}')
        f.write(f"{LOCAL0 + 3_000_000} {bad}\n")
    with pytest.raises(mmsim.DataError, match=r"cap.gz: line 3: malformed trade: t is .*, not an integer"):
        bn.convert([p], tmp_path / "s", tick_size=0.01)


@pytest.mark.parametrize("usdm", [True, False])
def test_binance_snapshot_line_written_twice_is_dropped(tmp_path, usdm):
    """A snapshot at or below the last applied diff would roll the book back: dropped, counted."""
    if usdm:
        snap, diffs = USDM_SNAP, [usdm_diff(100, 100, 99, 2), usdm_diff(101, 104, 100, 3)]
        nxt = usdm_diff(105, 107, 104, 4)
    else:
        snap, diffs = SPOT_SNAP, [spot_diff(101, 103, 2), spot_diff(104, 104, 3)]
        nxt = spot_diff(105, 107, 4)
    older = snap | {"lastUpdateId": 99, "bids": [["9.90", "5.000"]]}  # older than the book: dropped too
    msgs = [diffs[0], snap, snap, diffs[1], older, snap, nxt]  # the first diff recorded before the snapshot
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01)
    assert applied(st) == [2, 3, 4]
    ev = np.asarray(st.events)
    assert (ev["kind"] == Kind.CLEAR).sum() == 1
    assert st.meta["quirks"]["stale_snapshots_dropped"] == 3
    newer = snap | {"lastUpdateId": 200}  # a newer snapshot still starts the book again: the diff after it
    p = capture(tmp_path, msgs + [newer, nxt], "newer.gz")  # (u=107) is older than it, so none reaches it
    with pytest.raises(mmsim.DataError, match=r"newer.gz: no depth diff after the snapshot could be applied"):
        bn.convert([p], tmp_path / "n", tick_size=0.01)


# --------------------------------------------------------------------------- Databento hidden fills (item 6)
NS0 = 1_703_541_600_000_000_000
HDR = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id"


def mbo_csv(path: Path, rows: list[tuple]) -> Path:
    lines = [HDR]
    for i, (dt, act, side, px, size, oid, flags) in enumerate(rows):
        lines.append(f"{NS0 + dt + 10},{NS0 + dt},0,{i + 1},7,ESH4,{act},{side},{px},{size},{oid},{flags},0")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_databento_fill_of_an_order_never_added_changes_nothing(tmp_path):
    p = mbo_csv(tmp_path / "mbo.csv", [
        (100, "A", "B", "4800.00", 2, 11, 130),
        (200, "A", "A", "4800.25", 1, 12, 130),
        (300, "T", "A", "4800.00", 5, 0, 0),  # a seller takes 5 at the bid
        (300, "F", "B", "4800.00", 2, 11, 0),  # order 11 (shown) fills 2
        (300, "F", "B", "4800.00", 3, 77, 0),  # order 77 was never added: the hidden part of an iceberg
        (300, "C", "B", "4800.00", 2, 11, 130),  # the venue removes the filled sizes: absorbed
        (300, "C", "B", "4800.00", 3, 77, 130),
        (400, "A", "B", "4799.75", 1, 13, 130),
    ])
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert [e[1:] for e in rows_of(st.events)] == [
        ("ADD", 1, 19200, 2, 11),
        ("ADD", -1, 19201, 1, 12),
        ("EXECUTE", 1, 19200, 2, 11),
        ("TRADE", -1, 19200, 3, 0),  # the print's part no shown order covers
        ("ADD", 1, 19199, 1, 13),
    ]
    q = st.meta["quirks"]
    assert (q["fills_of_unseen_orders"], q["fill_cancels_absorbed"], q["uncovered_trade_prints"]) == (1, 2, 1)


def test_databento_hidden_fill_on_the_ask_in_a_dbn_file(tmp_path):
    from _corpus import dbn_bytes

    rows = [
        (100, "A", "A", "4800.25", 2, 12, 130),
        (150, "A", "B", "4800.00", 1, 11, 130),
        (200, "T", "B", "4800.25", 4, 0, 0),  # a buyer lifts 4
        (200, "F", "A", "4800.25", 2, 12, 0),
        (200, "F", "A", "4800.25", 2, 88, 0),  # never added
        (200, "C", "A", "4800.25", 2, 12, 130),
        (200, "C", "A", "4800.25", 2, 88, 130),
    ]
    p = tmp_path / "mbo.dbn"
    p.write_bytes(dbn_bytes(rows))
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert [e[1:] for e in rows_of(st.events)] == [
        ("ADD", -1, 19201, 2, 12), ("ADD", 1, 19200, 1, 11), ("EXECUTE", -1, 19201, 2, 12), ("TRADE", 1, 19201, 2, 0)]
    assert st.meta["quirks"]["fills_of_unseen_orders"] == 1


def test_databento_fill_of_the_aggressing_order_is_not_an_execution_where_it_rests(tmp_path):
    """Record 12736 of the ESH4 day: order 7540 rests as a bid @ 4802.75, is modified into a buy
    @ 4803.00 and takes 1 lot; CME lists T (aggressor 7540), F of 7540 @ 4803.00, F of the resting
    ask 5481, then C of 7540 @ 4802.75 and M of 5481 (its new size). Nobody sold at 4802.75: the
    F of 7540 is not an execution there; the C after it removes the order."""
    p = mbo_csv(tmp_path / "mbo.csv", [
        (100, "A", "B", "4802.75", 1, 7540, 130),
        (110, "A", "A", "4803.00", 2, 5481, 130),
        (200, "T", "B", "4803.00", 1, 7540, 0),
        (200, "F", "B", "4803.00", 1, 7540, 0),  # the aggressor's own fill, at the trade price
        (200, "F", "A", "4803.00", 1, 5481, 0),
        (210, "C", "B", "4802.75", 1, 7540, 0),
        (210, "M", "A", "4803.00", 1, 5481, 130),  # the ask's new size after its fill: absorbed
    ])
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert [e[1:] for e in rows_of(st.events)] == [
        ("ADD", 1, 19211, 1, 7540),
        ("ADD", -1, 19212, 2, 5481),
        ("EXECUTE", -1, 19212, 1, 5481),  # the match: the resting ask's fill covers the T
        ("DELETE", 1, 19211, 1, 7540),  # 7540 leaves its old price by the C
    ]
    q = st.meta["quirks"]
    assert (q["aggressor_fills"], q["fill_cancels_absorbed"], q["uncovered_trade_prints"]) == (1, 1, 0)


def test_databento_aggressing_ask_keeps_no_phantom_execution_through_our_ask(tmp_path):
    """The other side, partly filled: ask 9001 (3 lots @ 4803.50) is modified into a sell @ 4803.00
    and takes the 1-lot bid 9002; its other 2 lots rest @ 4803.00 (the M after the fills). Read as
    an execution of 9001 @ 4803.50, it would pass our ask @ 4803.25 and fill it (a phantom)."""
    p = mbo_csv(tmp_path / "mbo.csv", [
        (100, "A", "A", "4803.50", 3, 9001, 130),
        (110, "A", "B", "4803.00", 1, 9002, 130),
        (200, "T", "A", "4803.00", 1, 9001, 0),
        (200, "F", "A", "4803.00", 1, 9001, 0),  # the aggressor's fill; 9001 rests @ 4803.50
        (200, "F", "B", "4803.00", 1, 9002, 0),
        (210, "M", "A", "4803.00", 2, 9001, 130),  # the rest of 9001 now rests @ 4803.00
        (210, "C", "B", "4803.00", 1, 9002, 0),  # the bid's fill, removed: absorbed
        (300, "A", "B", "4802.75", 1, 9003, 130),
    ])
    st = dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert [e[1:] for e in rows_of(st.events)] == [
        ("ADD", -1, 19214, 3, 9001),
        ("ADD", 1, 19212, 1, 9002),
        ("EXECUTE", 1, 19212, 1, 9002),
        ("DELETE", -1, 19214, 3, 9001),  # M to a new price: priority lost
        ("ADD", -1, 19212, 2, 9001),
        ("ADD", 1, 19211, 1, 9003),
    ]
    assert st.meta["quirks"]["aggressor_fills"] == 1

    class AskAt(mmsim.Strategy):  # our ask @ 4803.25, inside the spread before the match
        def quote(self, view):
            return mmsim.Quote(0, 0, 19213, 1)

    cfg = mmsim.Config(signals=mmsim.SignalConfig(enabled=False))
    assert len(mmsim.run(st, AskAt(), cfg).fills) == 0


# --------------------------------------------------------------------------- several files in one store (item 2)
SNAP = dbt.F_SNAPSHOT


def test_two_databento_files_each_start_a_new_book(tmp_path):
    day1 = mbo_csv(tmp_path / "a.csv", [
        (0, "A", "B", "4800.00", 2, 11, SNAP),
        (0, "A", "A", "4800.25", 1, 12, SNAP | dbt.F_LAST),
        (100, "A", "B", "4799.75", 1, 13, 130),
    ])
    day2 = mbo_csv(tmp_path / "b.csv", [
        (10_000, "A", "B", "4800.00", 3, 11, SNAP),  # the same ids, listed again by the next snapshot
        (10_000, "A", "A", "4800.25", 1, 12, SNAP),
        (10_000, "A", "B", "4799.75", 1, 13, SNAP | dbt.F_LAST),
        (10_100, "C", "B", "4799.75", 1, 13, 130),
    ])
    st = convert([day1, day2], tmp_path / "s", format="databento", tick_size=0.25)
    t1, t2 = NS0 + 10, NS0 + 10_010  # a snapshot takes its first record's ts_recv
    assert rows_of(st.events) == [
        (t1, "CLEAR", 0, 0, 0, 0), (t1, "ADD", 1, 19200, 2, 11), (t1, "ADD", -1, 19201, 1, 12),
        (NS0 + 100, "ADD", 1, 19199, 1, 13),
        (t2, "CLEAR", 0, 0, 0, 0), (t2, "ADD", 1, 19200, 3, 11), (t2, "ADD", -1, 19201, 1, 12),
        (t2, "ADD", 1, 19199, 1, 13), (NS0 + 10_100, "DELETE", 1, 19199, 1, 13),
    ]
    assert st.meta["quirks"]["snapshot_orders"] == 5
    # The whole store replays as one book: the second file's CLEAR empties the order map,
    # so its snapshot re-lists 11, 12 and 13 (same ids, same prices: they keep their priority).
    r = mmsim.replay_bbo(st)
    assert (int(r["best_bid"][7]), int(r["bid_qty"][7]), int(r["best_ask"][7])) == (19200, 3, 19201)
    assert (int(r["best_bid"][-1]), int(r["bid_qty"][-1])) == (19200, 3)


def test_two_databento_files_replay_in_the_engine_with_priority_kept_across_the_boundary(tmp_path):
    # Our bid 1 @ 4799.75 joins behind order 13 (the first file's snapshot). The second file's
    # snapshot re-lists 13 at the same price: it keeps its place, ahead of us. So the sell that
    # executes 13 at 10_200 passed nobody (no fill); order 14 joins behind us and its execution
    # at 10_400 fills our lot. (Had the re-listed 13 joined behind us, we would fill at 10_200.)
    day1 = mbo_csv(tmp_path / "a.csv", [
        (0, "A", "B", "4800.00", 2, 11, SNAP),
        (0, "A", "B", "4799.75", 1, 13, SNAP),
        (0, "A", "A", "4800.25", 1, 12, SNAP | dbt.F_LAST),
    ])
    day2 = mbo_csv(tmp_path / "b.csv", [
        (10_000, "A", "B", "4800.00", 2, 11, SNAP),
        (10_000, "A", "B", "4799.75", 1, 13, SNAP),
        (10_000, "A", "A", "4800.25", 1, 12, SNAP | dbt.F_LAST),
        (10_100, "C", "B", "4800.00", 2, 11, 130),
        (10_200, "T", "A", "4799.75", 1, 0, 0),
        (10_200, "F", "B", "4799.75", 1, 13, 0),
        (10_200, "C", "B", "4799.75", 1, 13, 130),
        (10_300, "A", "B", "4799.75", 1, 14, 130),
        (10_400, "T", "A", "4799.75", 1, 0, 0),
        (10_400, "F", "B", "4799.75", 1, 14, 0),
        (10_400, "C", "B", "4799.75", 1, 14, 130),
    ])
    st = convert([day1, day2], tmp_path / "s", format="databento", tick_size=0.25)

    class BidOne(mmsim.Strategy):
        def quote(self, view):
            return mmsim.Quote(19199, 1, 0, 0)

    cfg = mmsim.Config(signals=mmsim.SignalConfig(enabled=False), check_invariants=True)
    res = mmsim.run(st, BidOne(), cfg)
    assert res.n_events == len(st)
    assert [(int(f["exch_ts"]), int(f["price"]), int(f["qty"])) for f in res.fills] == [(NS0 + 10_400, 19199, 1)]


@pytest.fixture(scope="module")
def esh4_head(tmp_path_factory):
    """The first 12,000 lines of the real ESH4 CSV (header, the 8,725-order snapshot, the opening
    match at lines 9652-, and ~2,000 records of trading) and its store, converted as one file."""
    d = tmp_path_factory.mktemp("esh4_split")
    with gzip.open(shared_data("databento", "esh4_mbo_20231225.csv.gz"), "rt") as f:
        lines = [next(f) for _ in range(12_000)]
    whole = dbt.convert([_write(d / "whole.csv", lines)], d / "whole")
    return d, lines, whole


def _write(p: Path, lines: list[str]) -> Path:
    p.write_text("".join(lines))
    return p


@pytest.mark.parametrize("cut, what", [
    (9652, "after the opening match's T (44 lots at 4800.25), before its F records"),
    (9653, "between the first two F records of that match"),
    (5000, "inside the starting snapshot"),
])
def test_databento_csv_split_anywhere_converts_to_the_same_store_as_the_whole(esh4_head, cut, what):
    # Databento splits a batch download by size, anywhere: the files of one convert are one stream.
    # Cut after the T, each file's state started afresh: the T's 44 lots became a TRADE print at the
    # end of the first file, on top of the EXECUTEs of its F records in the second (the match
    # counted twice); cut inside the snapshot, the second file's snapshot records started a new book.
    d, lines, whole = esh4_head
    assert lines[9651].split(",")[6:10] == ["T", "N", "4800.25", "44"]
    a = _write(d / f"a{cut}.csv", lines[:cut])
    b = _write(d / f"b{cut}.csv", lines[:1] + lines[cut:])
    st = dbt.convert([a, b], d / f"split{cut}")
    ev, ref = np.asarray(st.events), np.asarray(whole.events)
    # 12,066 events, and the pre-open's two STATUS events (QUOTING after the snapshot, TRADING before the opening match)
    assert len(ev) == len(ref) == 12_068, what
    assert ref["qty"][ref["kind"] == Kind.STATUS].tolist() == [2, 3]
    for name in ref.dtype.names:
        np.testing.assert_array_equal(ev[name], ref[name], err_msg=f"{name}, cut {what}")
    assert int((ev["kind"] == Kind.TRADE).sum()) == int((ref["kind"] == Kind.TRADE).sum())
    q, qref = dict(st.meta["quirks"]), dict(whole.meta["quirks"])
    assert q == qref


def test_databento_next_file_repeating_the_last_record_of_the_previous_is_an_error_naming_both(esh4_head):
    # Two downloads that overlap by one record: the record is read twice, across the files.
    d, lines, _ = esh4_head
    a = _write(d / "ov_a.csv", lines[:9699])
    b = _write(d / "ov_b.csv", lines[:1] + lines[9698:])
    with pytest.raises(mmsim.DataError, match=r"ov_b.csv: line 2: repeats \S*ov_a.csv: line 9699 field for field "
                                              r"\(sequence 6003, .*\): a record read twice"):
        dbt.convert([a, b], d / "ov")


def test_databento_print_carried_into_the_next_file_is_named_in_its_own_file(esh4_head):
    # Cut after the T at line 9716 (a buy of 5 @ 4800.25; its F, line 9717, fills 5), the T made
    # 6 lots (1 lot uncovered: a print written when the second file's record after the F comes)
    # and received 5 s before it happened. The shift it would set is refused naming the T where it
    # is, the first file's line 9716; it was named in the second file ("b9716t.csv: line 9716", a
    # line that file does not have): the print carried the first file's position, read as a line
    # of the file being read.
    d, lines, _ = esh4_head
    t = lines[9715].split(",")
    assert t[:2] == ["1703545200107250074", "1703545200085275419"] and t[6:10] == ["T", "B", "4800.25", "5"]
    assert lines[9716].split(",")[6:10] == ["F", "A", "4800.25", "5"]
    t[0], t[9] = "1703545195085275419", "6"
    a = _write(d / "a9716t.csv", lines[:9715] + [",".join(t)])
    b = _write(d / "b9716t.csv", lines[:1] + lines[9716:])
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([a, b], d / "carried")
    # 288: 10% of the 2,880 to 2,889 lines that make events (the snapshot's 8,725 records, received at one
    # time, count as one line; absorbed C records make none).
    assert str(ei.value) == (
        f"{a}: line 9716: receive time 1703545195085275419 is 5.000 s before the exchange time (1703545200085275419); "
        "shifting every receive time by +5.000 s for it is 5.000 s more than every line but the 288 most behind needs "
        "(none): a wrong receive time, not a recorder clock behind the venue's (that is behind on nearly every line); "
        "fix or remove the line")


def test_databento_uncovered_print_carried_across_going_back_in_time_names_both_files(tmp_path):
    # The T at a.csv's line 4 (NS0+500, 1 lot, no F) is an uncovered print, written when b.csv's
    # first record comes; that record (NS0+400) goes back in time from it. The print is at a.csv's
    # line 4 (it was named "b.csv: line 4", a line b.csv does not have).
    a = mbo_csv(tmp_path / "a.csv", [
        (100, "A", "B", "4800.00", 2, 11, 130),
        (200, "A", "A", "4800.25", 1, 12, 130),
        (500, "T", "A", "4800.00", 1, 0, 0),
    ])
    b = mbo_csv(tmp_path / "b.csv", [(400, "A", "B", "4799.75", 1, 13, 130)])
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([a, b], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (f"{b}: line 2: non-monotonic timestamp: {NS0 + 400} ns is earlier than {NS0 + 500} ns "
                             f"at {a}: line 4")


def test_two_lobster_days_relist_an_order_id_still_resting(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    m1 = lobster_day(d1, "2012-06-21", LOB_MSG[:2], LOB_BOOK[:2])  # order 101 still rests at the end
    m2 = lobster_day(d2, "2012-06-22", ["34200.5,1,101,3,1000100,1"], ["1000200,2,1000100,3"])
    st = lob.convert([m1, m2], tmp_path / "s")
    ev = rows_of(st.events)
    clears = [k for k, e in enumerate(ev) if e[1] == "CLEAR"]
    assert clears == [0, 4]
    assert [e[1:] for e in ev[4:]] == [("CLEAR", 0, 0, 0, 0), ("ADD", -1, 10002, 2, lob.SYNTHETIC_ID_BASE + 1),
                                       ("ADD", 1, 10001, 3, 101)]
    assert [e[5] for e in ev if e[1] == "ADD"].count(101) == 2


# --------------------------------------------------------------------------- atomic stores (issue 18, item 2)
def test_an_existing_store_is_refused_without_force_and_replaced_with_it(tmp_path):
    srcs, _ = lobster(tmp_path)
    out = tmp_path / "store"
    first = convert(srcs, out, format="lobster")
    assert first.replaced is False and summary(first).startswith(f"wrote {out}: 9 events")
    old = load(out).events  # a reader mapping the old store
    old_prices = np.array(old["price"])
    # The Python API names its keyword only (the message said "pass --force (force=True)");
    # mmsim convert names the flag only (tests/test_cli.py).
    with pytest.raises(mmsim.DataError, match=r"store: an event store already exists there; pass force=True "
                                              r"to replace it$"):
        convert(srcs, out, format="lobster")
    m = list(LOB_MSG)
    m[1] = "34200.2,1,102,5,1000400,-1"  # another day: the ask order rests at 100.04
    d2 = tmp_path / "other"
    d2.mkdir()
    srcs2, _ = lobster(d2, msg=m)
    second = convert(srcs2, out, format="lobster", force=True)
    assert second.replaced is True and summary(second).startswith(f"replaced {out}: 9 events")
    assert 10004 in np.asarray(second.events)["price"]
    np.testing.assert_array_equal(old["price"], old_prices)  # the old map still reads the old store
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TEST_2012-06-21_34200000_57600000_message_1.csv",
                                                          "TEST_2012-06-21_34200000_57600000_orderbook_1.csv",
                                                          "other", "store"]


def test_force_never_replaces_a_directory_that_is_not_a_store(tmp_path):
    srcs, _ = lobster(tmp_path)
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(mmsim.DataError, match=r"results: output directory is not empty and not an event store"):
        convert(srcs, out, format="lobster", force=True)
    assert (out / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(convert(srcs, empty, format="lobster")) == 9  # an empty directory is filled


def test_convert_command_says_replaced(tmp_path, capsys):
    from mmsim.cli import main

    srcs, _ = lobster(tmp_path)
    out = tmp_path / "store"
    assert main(["convert", str(srcs[0]), "-o", str(out), "--format", "lobster", "--quiet"]) == 0
    assert capsys.readouterr().err.startswith(f"wrote {out}: 9 events")
    assert main(["convert", str(srcs[0]), "-o", str(out), "--format", "lobster", "--quiet"]) == 1
    assert "pass --force" in capsys.readouterr().err
    assert main(["convert", str(srcs[0]), "-o", str(out), "--format", "lobster", "--quiet", "--force"]) == 0
    assert capsys.readouterr().err.startswith(f"replaced {out}: 9 events")


def test_write_store_replays_the_events_it_writes(tmp_path):
    ev = np.zeros(2, mmsim.EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = [1, 2]
    ev["kind"] = [Kind.ADD, Kind.ADD]
    ev["side"] = [1, 1]
    ev["price"] = [100, 100]
    ev["qty"] = [5, 0]
    ev["order_id"] = [1, 2]
    meta = {"symbol": "X", "venue": "v", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0, "source": [],
            "time_zone": "UTC", "levels": "L3", "local_ts_recorded": False, "quirks": {}}
    with pytest.raises(mmsim.DataError, match=r"store: ADD of order 2 has non-positive qty 0 \(event 1 of the store\)"):
        write_store(tmp_path / "store", ev, meta)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- reorder window (issue 18, item 6)
def test_binance_reorder_window_boundary(tmp_path):
    """A trade stamped 9.999 s before the latest exchange time is sorted into place; 10.001 s is an error."""
    def trade(T):
        return {"stream": "xusdt@trade", "data": {"e": "trade", "E": T, "T": T, "s": "XUSDT", "t": 1, "p": "10.05",
                                                   "q": "1.000", "X": "MARKET", "m": True}}

    base = [USDM_SNAP, usdm_diff(100, 100, 99, 0), usdm_diff(101, 104, 100, 10_000)]
    # Each line received 1 ms after the latest exchange time so far: a diff at T0 + 10 s received at
    # T0 + 3 ms set a recorder-clock shift of 9.997 s, refused as a wrong receive time.
    recv = [1, 2, 10_001, 10_002]
    st = bn.convert([capture(tmp_path, base + [trade(T0 + 1)], recv_ms=recv)], tmp_path / "s",
                    tick_size=0.01)  # 9.999 s early
    ev = np.asarray(st.events)
    i = int(np.flatnonzero(ev["kind"] == Kind.TRADE)[0])
    assert ev["exch_ts"][i] == (T0 + 1) * 1_000_000 and ev["exch_ts"][i + 1] == (T0 + 10_000) * 1_000_000
    p = capture(tmp_path, base + [trade(T0 - 1)], "late.gz", recv)  # 10.001 s early
    with pytest.raises(mmsim.DataError, match=r"late.gz: line 4: exchange timestamp 1699999999999000000 is 10.001 s "
                                              r"earlier than 1700000010000000000 read before \(at .*late.gz: line 3\); "
                                              r"rows may be out of order by at most 10 s"):
        bn.convert([p], tmp_path / "t", tick_size=0.01)


def test_binance_time_going_back_across_files_names_the_earlier_files_line(tmp_path):
    """The latest time was read in the first file: the error names that file, not the current one.

    The first file's line 3 is at T0 + 10 s; the second file's line 1 is 10.001 s before it.
    The line was named in the second file ("second.gz: line 3", a file of one line).
    """
    def trade(T):
        return {"stream": "xusdt@trade", "data": {"e": "trade", "E": T, "T": T, "s": "XUSDT", "t": 1, "p": "10.05",
                                                   "q": "1.000", "X": "MARKET", "m": True}}

    first = capture(tmp_path, [USDM_SNAP, usdm_diff(100, 100, 99, 0), usdm_diff(101, 104, 100, 10_000)], "first.gz")
    second = capture(tmp_path, [trade(T0 - 1)], "second.gz")
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([first, second], tmp_path / "s", tick_size=0.01)
    assert str(ei.value) == (f"{second}: line 1: exchange timestamp 1699999999999000000 is 10.001 s earlier than "
                             f"1700000010000000000 read before (at {first}: line 3); "
                             "rows may be out of order by at most 10 s")


def test_binance_real_captures_in_the_wrong_order_name_the_earlier_files_last_line(tmp_path):
    """The same on the shared captures: the 2024 file (93,954 lines, its last diff at T 1723161601054 ms)
    before the 2023 one, whose first timed line is 2."""
    new_day = shared_data("binance", "usdm", "btcusdt_20240808.gz")
    old_day = shared_data("binance", "usdm_2023", "btcusdt_20230404.dat.gz")
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([new_day, old_day], tmp_path / "s")
    assert str(ei.value) == (f"{old_day}: line 2: exchange timestamp 1680652700452000000 is 42508900.602 s earlier "
                             f"than 1723161601054000000 read before (at {new_day}: line 93954); "
                             "rows may be out of order by at most 10 s")
    assert not (tmp_path / "s").exists()


def test_two_lobster_days_survive_the_hftbacktest_round_trip(tmp_path):
    """The same kind in another format: one-sided clears re-list ids in an hftbacktest L3 file."""
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    m1 = lobster_day(d1, "2012-06-21", LOB_MSG[:2], LOB_BOOK[:2])
    m2 = lobster_day(d2, "2012-06-22", ["34200.5,1,101,3,1000100,1"], ["1000200,2,1000100,3"])
    st = lob.convert([m1, m2], tmp_path / "s")
    hftbacktest.export(st, tmp_path / "x.npz")
    back = hftbacktest.convert([tmp_path / "x.npz"], tmp_path / "back")
    ev = rows_of(back.events)
    # Each side-0 CLEAR comes back as one CLEAR (npzsnap15: it was one per side); order 101 is added on both days.
    assert [e[1:3] for e in ev if e[1] == "CLEAR"] == [("CLEAR", 0)] * 2
    assert ev == rows_of(st.events)
    assert [e[5] for e in ev if e[1] == "ADD"].count(101) == 2


def test_convert_rejects_sizes_that_are_not_positive_numbers(tmp_path):
    srcs, _ = lobster(tmp_path)
    # +inf is above the bound (fix25b: "at most 1e12"), the others not positive numbers
    for bad, rule in ((float("nan"), "a positive number"), (float("inf"), "at most 1e12"), (0.0, "a positive number"),
                      (-0.01, "a positive number")):
        with pytest.raises(mmsim.ConfigError, match=rf"tick_size must be {rule}"):
            convert(srcs, tmp_path / "s", format="lobster", tick_size=bad)
    assert not (tmp_path / "s").exists()
