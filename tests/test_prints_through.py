"""A TRADE print far through the book is counted at store write and said at convert and in the report (prints24).

breaker24 finding 1: a Binance capture with one trade edited to a 1-lot SELL at "1.00" while the book stood near
61,800 converted with no word, and the print filled a touch quoter's bid (a silent wrong fill). The rule
(docs/data.md, "Prints through the book"): a seller's print (side -1) below the best bid before it, a buyer's (+1)
above the best ask before it, an unknown aggressor's (0) either, by more than 10% of that best price (> 0), is
"through the book". The store is kept and fills do not change; ``meta.json`` records ``quirks.prints_through_book``,
``mmsim convert`` prints a warning line and the report's data row says so.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from _corpus import LOB_MSG, T0, bn_diff, bn_text, bn_trade, lobster
from conftest import make_events, synth_day

import mmsim
from mmsim import Kind
from mmsim.cli import main
from mmsim.data import convert, write_store
from mmsim.replay import THROUGH_BOOK_BAND, prints_through_book

D, T = Kind.DEPTH, Kind.TRADE
MS = 1_000_000
META = {"symbol": "X", "tick_size": 0.1, "lot_size": 1.0, "levels": "L2"}


def test_the_band_is_ten_percent():
    assert THROUGH_BOOK_BAND == 0.10


# ----------------------------------------------------------------------------- breaker24's example, small


def _capture(tmp_path):
    """A USD-M capture: a book of 61,800.0 / 61,800.1 (tick 0.1), then on line 3 a 1-lot SELL ("m": true, the buyer
    is the maker) at 1.00, then a diff. Returns (the capture, its path)."""
    snap = {"lastUpdateId": 100, "E": T0, "T": T0,
            "bids": [["61800.0", "1.000"], ["61799.9", "2.000"]], "asks": [["61800.1", "1.500"], ["61800.2", "1.000"]]}
    msgs = [snap,
            bn_diff(95, 105, 94, T0 + 1, b=[("61800.0", "0.500")]),
            bn_trade(T0 + 2, p="1.00", q="0.001", m=True),
            bn_diff(106, 110, 105, T0 + 3, a=[("61800.1", "1.000")])]
    p = tmp_path / "cap.gz"
    p.write_bytes(gzip.compress(("\n".join(bn_text(msgs)) + "\n").encode()))
    return p


#: The warning for _capture's store: the first print on line 3 of cap.gz, event 6 (a CLEAR, four levels, the
#: line-2 diff's level, then the print), the bid as the store's ticks give it with the tick's one decimal.
WARNING = ("warning: 1 trade print more than 10% through the book, which can fill resting orders; the first: "
           "cap.gz: line 3 (event 6), a sell at 1.00 with the best bid at 61800.0 "
           '(quirks.prints_through_book; docs/data.md "Prints through the book")')


def test_a_binance_sell_print_at_1_under_a_61800_bid_is_recorded_and_warned(tmp_path, capsys):
    p = _capture(tmp_path)
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "binance", "--tick-size", "0.1",
                 "--lot-size", "0.001"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"wrote {tmp_path / 's'}: ") and lines[1:] == [WARNING]
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert meta["quirks"]["prints_through_book"] == {
        "count": 1, "band": 0.1, "event": 6, "at": "cap.gz: line 3", "side": -1, "price": "1.00",
        "best": "61800.0", "price_ticks": 10, "best_ticks": 618000}
    st = mmsim.load(tmp_path / "s")
    ev = np.asarray(st.events)
    assert (int(ev[6]["kind"]), int(ev[6]["side"]), int(ev[6]["price"])) == (int(T), -1, 10)

    # Detection only: the store is kept and the print still fills a bid resting at 618000 (fills do not change).
    class Bid(mmsim.Strategy):
        def quote(self, v):
            return mmsim.Quote(618000, 1, 0, 0) if v.bid_qty else None

    res = mmsim.run(st, Bid(), mmsim.Config(signals=mmsim.SignalConfig(enabled=False)))
    assert [(int(f["side"]), int(f["price"]), int(f["exch_ts"])) for f in res.fills] == [(1, 618000, int(ev[6]["exch_ts"]))]
    # -q keeps the warning (it is one), and drops nothing else that was there.
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "binance", "--tick-size", "0.1",
                 "--lot-size", "0.001", "--force", "-q"]) == 0
    assert capsys.readouterr().err.splitlines()[1:] == [WARNING]


# ----------------------------------------------------------------------------- the rule's boundaries, hand-computed

#: Bids 99990, 99980, 99970; asks 100000, 100010 (ticks of 0.1: 9999.0 / 10000.0).
BOOK = [(0, D, 1, 99990, 5), (0, D, 1, 99980, 5), (0, D, 1, 99970, 5), (0, D, -1, 100000, 5), (0, D, -1, 100010, 5)]


def _count(prints, **kw):
    """prints_through_book of BOOK then ``prints`` (side, price) at 1 ms, 2 ms, ... each."""
    ev = make_events(BOOK + [((k + 1) * MS, T, s, px, 1) for k, (s, px) in enumerate(prints)])
    return prints_through_book(ev, **kw)


@pytest.mark.parametrize("side,price,counted", [
    # A buyer over the ask 100000: 10% of it is 10000 ticks.
    (1, 110500, True),    # 10.5% over
    (1, 110001, True),    # one tick more than 10%
    (1, 110000, False),   # exactly 10%: not more than it
    # A seller under the bid 99990: 10% of it is 9999 ticks.
    (-1, 89990, True),    # 10000 under
    (-1, 89991, False),   # exactly 9999 under
    (-1, 99960, False),   # a sweep of the three bid levels and one tick more
    # Each aggressor through its own side only: a seller far over the ask, a buyer far under the bid.
    (-1, 200000, False),
    (1, 1, False),
    # Unknown aggressor (0): through either side.
    (0, 89990, True),
    (0, 110001, True),
    (0, 89991, False),
    (0, 110000, False),
])
def test_the_band_boundaries(side, price, counted):
    r = _count([(side, price)])
    assert r["count"] == int(counted)
    best = 99990 if price < 99990 else 100000
    assert [(int(i), int(p), int(b), int(s)) for i, p, b, s in zip(r["index"], r["price"], r["best"], r["side"])] == (
        [(5, price, best, side)] if counted else [])


def test_the_count_is_of_all_prints_and_the_first_few_are_described():
    # Four through (two sells, a buy, an unknown), one not; keep=2 describes the first two, in event order.
    r = _count([(-1, 1000), (1, 99990), (1, 200000), (0, 50000), (-1, 80000)], keep=2)
    assert r["count"] == 4
    assert r["index"].tolist() == [5, 7] and r["price"].tolist() == [1000, 200000] and r["best"].tolist() == [
        99990, 100000] and r["side"].tolist() == [-1, 1]
    # Each print is judged against the book before it: the book moved to bid 9000 makes 8100 (exactly 10%) not
    # through and 8099 through.
    ev = make_events(BOOK + [(MS, D, 1, 9000, 1), (MS, D, 1, 99990, 0), (MS, D, 1, 99980, 0), (MS, D, 1, 99970, 0),
                             (2 * MS, T, -1, 8100, 1), (3 * MS, T, -1, 8099, 1)])
    r = prints_through_book(ev)
    assert (r["count"], r["index"].tolist(), r["best"].tolist()) == (1, [10], [9000])


def test_a_best_price_at_or_below_zero_counts_nothing():
    # Bid -100 / ask 0 (ticks): a relative band means nothing there, whatever the print.
    ev = make_events([(0, D, 1, -100, 5), (0, D, -1, 0, 5), (MS, T, -1, -100000, 1), (2 * MS, T, 1, 100000, 1),
                      (3 * MS, T, 0, -100000, 1)])
    assert prints_through_book(ev)["count"] == 0
    # An empty side: nothing to go through.
    ev = make_events([(0, D, -1, 100000, 5), (MS, T, -1, 1, 1), (2 * MS, T, 0, 1, 1)])
    assert prints_through_book(ev)["count"] == 0


def test_bad_arguments_are_refused():
    ev = make_events(BOOK)
    for band, shown in ((-0.1, "-0.1"), (float("nan"), "nan"), (float("inf"), "inf")):
        with pytest.raises(ValueError) as info:
            prints_through_book(ev, band=band)
        assert str(info.value) == f"band must be a finite fraction >= 0 (0.1: 10%), got {shown}"
    with pytest.raises(ValueError) as info:
        prints_through_book(ev, keep=-1)
    assert str(info.value) == "keep must be an integer in [0, 1000], got -1"


# ----------------------------------------------------------------------------- every store write


def test_write_store_records_the_quirk_with_prices_from_the_tick(tmp_path):
    # No loader: no source position, the prices as ticks times the tick (0.1: one decimal).
    ev = make_events(BOOK + [(MS, T, 1, 110500, 1), (2 * MS, T, -1, 1, 1)])
    st = write_store(tmp_path / "s", ev, META)
    assert st.meta["quirks"] == {"prints_through_book": {
        "count": 2, "band": 0.1, "event": 5, "at": None, "side": 1, "price": "11050.0", "best": "10000.0",
        "price_ticks": 110500, "best_ticks": 100000}}
    # Its meta.json holds it too, and a store rewritten without such prints drops a stale one given in its meta.
    assert json.loads((tmp_path / "s" / "meta.json").read_text())["quirks"] == st.meta["quirks"]
    clean = write_store(tmp_path / "t", make_events(BOOK + [(MS, T, 1, 100000, 1)]), {**META, "quirks": st.meta["quirks"]})
    assert clean.meta["quirks"] == {} and prints_through_book(clean)["count"] == 0


def test_a_trade_implied_store_keeps_the_line_of_the_first_print(tmp_path, capsys):
    # The transform writes a new store from the converted one (no source positions); the same first print keeps
    # the line the conversion named, and its prices as that line writes them.
    assert main(["convert", str(_capture(tmp_path)), "-o", str(tmp_path / "s"), "--format", "binance",
                 "--tick-size", "0.1", "--lot-size", "0.001", "--trade-implied-book"]) == 0
    err = capsys.readouterr().err.splitlines()
    q = mmsim.load(tmp_path / "s").meta["quirks"]["prints_through_book"]
    assert (q["count"], q["at"], q["price"], q["best"]) == (1, "cap.gz: line 3", "1.00", "61800.0")
    assert err[-1] == WARNING.replace("(event 6)", f"(event {q['event']})")


def test_a_lobster_hidden_execution_far_over_the_ask_is_recorded_with_its_line(tmp_path):
    # Line 6 of the corpus day: a hidden execution (type 5) of a sell order (-1: a buyer took it) at $110.55
    # (1105500 in the file's dollars x 10000: 11055 ticks of $0.01) while the ask is $100.02 (10002 ticks): 1053
    # ticks over it, more than 10% of 10002 (1000.2). The price is quoted as the line writes it, the ask as the
    # orderbook row writes it (ticks x 100).
    m = list(LOB_MSG)
    m[5] = "34200.6,5,0,3,1105500,-1"
    srcs, mp = lobster(tmp_path, msg=m)
    st = convert(srcs, tmp_path / "s", format="lobster")
    ev = np.asarray(st.events)
    (at,) = np.flatnonzero((ev["kind"] == int(T)) & (ev["price"] == 11055))
    assert st.meta["quirks"]["prints_through_book"] == {
        "count": 1, "band": 0.1, "event": int(at), "at": f"{mp.name}: line 6", "side": 1, "price": "1105500",
        "best": "1000200", "price_ticks": 11055, "best_ticks": 10002}


def test_lobster_and_synth_stores_get_no_quirk(tmp_path):
    srcs, _ = lobster(tmp_path)
    st = convert(srcs, tmp_path / "lob", format="lobster")
    assert prints_through_book(st)["count"] == 0 and "prints_through_book" not in st.meta["quirks"]
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    # conftest's synthetic day (its events made once a session), written as mmsim synth writes it.
    cfg = SynthConfig(seed=20240102, duration=300 * 1_000_000_000, format="l3")
    path = synth_store(cfg, tmp_path / "syn", events=synth_day("l3").events)
    st = mmsim.load(path)
    assert prints_through_book(st)["count"] == 0 and "prints_through_book" not in st.meta["quirks"]


# ----------------------------------------------------------------------------- the report


def test_the_report_header_says_the_store_has_prints_through_the_book(tmp_path):
    from rich.console import Console

    from mmsim.report import make_report

    ev = make_events(BOOK + [(MS, T, -1, 1, 1), (2 * MS, T, 1, 200000, 1), (3 * MS, D, 1, 99990, 6)])
    st = write_store(tmp_path / "s", ev, META)

    class Bid(mmsim.Strategy):
        def quote(self, v):
            return mmsim.Quote(99990, 1, 0, 0)

    res = mmsim.run(st, Bid())
    rep = make_report(res, st, horizons=["1s"], event_horizons=[])
    console = Console(record=True, width=400)
    rep.print(console)
    data = next(line for line in console.export_text().splitlines() if line.strip().startswith("data"))
    assert data.rstrip().endswith("; 2 trade prints more than 10% through the book, which can fill resting orders "
                                  "(quirks.prints_through_book)")
    assert rep.data["setup"]["data"]["prints_through_book"]["count"] == 2


# ----------------------------------------------------------------------------- not while the venue does not trade
# breaker26: a sell at 1 under a 99990 bid during a pre-open (QUOTING) was counted and the warning said it "can fill
# resting orders", while the engine matches nothing then (our resting bid got no fill). Only prints while TRADING count.


def test_a_print_in_a_pre_open_or_a_halt_is_not_counted_and_fills_nothing(tmp_path):
    S, Q, H, TR = Kind.STATUS, int(mmsim.TradingStatus.QUOTING), int(mmsim.TradingStatus.HALTED), int(
        mmsim.TradingStatus.TRADING)
    ev = make_events(BOOK + [(MS, S, 0, 0, Q), (2 * MS, T, -1, 1, 1), (3 * MS, S, 0, 0, H), (4 * MS, T, 1, 200000, 1),
                             (5 * MS, S, 0, 0, TR), (6 * MS, T, 0, 99990, 1)])
    assert prints_through_book(ev)["count"] == 0
    st = write_store(tmp_path / "s", ev, META)
    assert "prints_through_book" not in st.meta["quirks"]

    class Bid(mmsim.Strategy):
        def quote(self, v):
            return mmsim.Quote(99990, 1, 0, 0)

    # The resting bid at 99990 (behind 5 lots) fills neither on the pre-open sell at 1 nor at the 1-lot print after.
    assert len(mmsim.run(st, Bid()).fills) == 0
    # The same sell at 1 once the venue trades again is counted (event 11), and it fills the bid.
    more = make_events(BOOK + [(MS, S, 0, 0, Q), (2 * MS, S, 0, 0, TR), (3 * MS, T, -1, 1, 10)])
    found = prints_through_book(more)
    assert (found["count"], found["index"].tolist()) == (1, [7])
    assert len(mmsim.run(more, Bid()).fills) == 1


def test_a_lobster_hidden_execution_in_a_halt_is_not_counted(tmp_path):
    # The corpus day's line 6 at $110.55, far over the $100.02 ask (counted in the test above), but inside a
    # type-7 halt (price -1) resumed after it (price 1): not counted, no quirk.
    m = list(LOB_MSG[:5]) + ["34200.55,7,0,0,-1,-1", "34200.6,5,0,3,1105500,-1", "34200.65,7,0,0,1,-1"]
    b = ["1000200,7,1000100,10", "1000200,7,1000100,10", "1000200,7,1000100,6", "1000200,7,1000100,5",
         "1000200,7,1000000,4", "1000200,7,1000000,4", "1000200,7,1000000,4", "1000200,7,1000000,4"]
    srcs, _ = lobster(tmp_path, msg=m, book=b)
    st = convert(srcs, tmp_path / "s", format="lobster")
    assert [h["state"] for h in st.meta["quirks"]["halts"]] == ["halt", "resume"]
    assert "prints_through_book" not in st.meta["quirks"]
