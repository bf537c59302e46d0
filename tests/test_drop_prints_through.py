"""``drop_prints_through_book`` (``mmsim convert --drop-prints-through-book``): the TRADE prints more than 10% through
the book (tests/test_prints_through.py, docs/data.md "Prints through the book") removed at the store's write, before
its digest, and recorded as ``quirks.prints_through_book`` with ``"dropped": true`` (drop26).

Before, the only way to be rid of such a print was to edit the capture and convert it again; each test here uses
the new keyword or flag (refused by the old code: a TypeError, an unknown argument).
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from _corpus import LOB_MSG, lobster
from conftest import make_events
from test_prints_through import BOOK, META, MS, WARNING, D, T, _capture

import mmsim
from mmsim.cli import main
from mmsim.data import convert, converter, write_store
from mmsim.replay import prints_through_book

#: The warning for _capture's store converted with the flag: the first print's line, its event index in the
#: events before the drop (the store no longer holds it), the same prices as the warning of a kept print.
DROPPED = ("warning: 1 trade print more than 10% through the book dropped; the first: cap.gz: line 3 "
           "(event 6 before the drop), a sell at 1.00 with the best bid at 61800.0 "
           '(quirks.prints_through_book; docs/data.md "Prints through the book")')

#: _capture's quirk (tests/test_prints_through.py), kept or dropped.
QUIRK = {"count": 1, "band": 0.1, "event": 6, "at": "cap.gz: line 3", "side": -1, "price": "1.00", "best": "61800.0",
         "price_ticks": 10, "best_ticks": 618000}
BN = ["--format", "binance", "--tick-size", "0.1", "--lot-size", "0.001"]
NO_SIGNALS = mmsim.Config(signals=mmsim.SignalConfig(enabled=False))


def _same(a, b) -> bool:
    """The same events, field by field (a copy's padding bytes are whatever memory held; a store's are zeros)."""
    a, b = np.asarray(a), np.asarray(b)
    return len(a) == len(b) and all(np.array_equal(a[f], b[f]) for f in mmsim.EVENT_DTYPE.names)


def _fills(store, strategy) -> list[tuple[int, int, int]]:
    """(side, price, exch_ts) of each fill of ``strategy`` on ``store``."""
    res = mmsim.run(store, strategy, NO_SIGNALS)
    return [(int(f["side"]), int(f["price"]), int(f["exch_ts"])) for f in res.fills]


class _Bid618(mmsim.Strategy):
    """A 1-lot bid at 61,800.0 (618000 ticks of 0.1) while the bid side has a level."""

    def quote(self, v):
        return mmsim.Quote(618000, 1, 0, 0) if v.bid_qty else None


def test_a_binance_sell_at_1_is_dropped_and_fills_nothing(tmp_path, capsys):
    p = _capture(tmp_path)
    assert main(["convert", str(p), "-o", str(tmp_path / "kept"), *BN]) == 0
    assert capsys.readouterr().err.splitlines()[1:] == [WARNING]
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), *BN, "--drop-prints-through-book"]) == 0
    lines = capsys.readouterr().err.splitlines()
    # 8 events kept (a CLEAR, four snapshot levels, line 2's level, the print, line 4's level), 7 dropped.
    assert lines == [f"wrote {tmp_path / 's'}: 7 events, XUSDT (binance-usdm), tick 0.1, lot 0.001, L2", DROPPED]
    kept, st = mmsim.load(tmp_path / "kept"), mmsim.load(tmp_path / "s")
    assert (len(kept), len(st), st.meta["event_count"]) == (8, 7, 7)
    assert st.meta["quirks"]["prints_through_book"] == {**QUIRK, "dropped": True}
    assert json.loads((tmp_path / "s" / "meta.json").read_text())["quirks"]["prints_through_book"] == {
        **QUIRK, "dropped": True}
    # The store is the kept one without event 6, byte for byte, and its digest is of those events.
    assert _same(st.events, np.delete(np.asarray(kept.events), 6))
    assert st.meta["events_digest"] == write_store(tmp_path / "w", np.delete(np.asarray(kept.events), 6),
                                                   kept.meta).meta["events_digest"] != kept.meta["events_digest"]
    assert prints_through_book(st)["count"] == 0
    # The bid resting at 61,800.0 was filled by the sell at 1.00 (event 6); without it, by nothing: one fill less.
    assert _fills(kept, _Bid618()) == [(1, 618000, int(kept.events[6]["exch_ts"]))]
    assert _fills(st, _Bid618()) == []
    # -q keeps the warning; the first and last exchange times are the kept events' own.
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), *BN, "--drop-prints-through-book", "--force", "-q"]) == 0
    assert capsys.readouterr().err.splitlines()[1:] == [DROPPED]
    ev = np.asarray(st.events)
    assert (st.meta["first_exch_ts"], st.meta["last_exch_ts"]) == (int(ev["exch_ts"][0]), int(ev["exch_ts"][-1]))


def test_a_lobster_hidden_execution_far_over_the_ask_is_dropped_through_the_converter(tmp_path):
    # Line 6 of the corpus day, a hidden execution (type 5) bought at $110.55 while the ask is $100.02: through the
    # book (tests/test_prints_through.py); the day's 9 events lose it, the last one.
    m = list(LOB_MSG)
    m[5] = "34200.6,5,0,3,1105500,-1"
    srcs, mp = lobster(tmp_path, msg=m)
    kept = convert(srcs, tmp_path / "kept", format="lobster")
    st = converter("lobster")(srcs, tmp_path / "s", drop_prints_through_book=True)
    assert (len(kept), len(st)) == (9, 8)
    assert np.asarray(st.events).tobytes() == np.asarray(kept.events)[:8].tobytes()
    assert st.meta["quirks"]["prints_through_book"] == {
        "count": 1, "band": 0.1, "event": 8, "at": f"{mp.name}: line 6", "side": 1, "price": "1105500",
        "best": "1000200", "price_ticks": 11055, "best_ticks": 10002, "dropped": True}
    assert st.meta["last_exch_ts"] == int(st.events[7]["exch_ts"]) < kept.meta["last_exch_ts"]
    # The other quirks are the conversion's, whatever the drop.
    assert {k: v for k, v in st.meta["quirks"].items() if k != "prints_through_book"} == {
        k: v for k, v in kept.meta["quirks"].items() if k != "prints_through_book"}

    class Ask(mmsim.Strategy):  # a 1-lot ask at $100.10, over the book's best: only a buy through it fills it
        def quote(self, v):
            return mmsim.Quote(0, 0, 10010, 1)

    assert _fills(kept, Ask()) == [(-1, 10010, int(kept.events[8]["exch_ts"]))]
    assert _fills(st, Ask()) == []
    # mmsim.data.convert takes the keyword as well, to the same store.
    again = convert(srcs, tmp_path / "c", format="lobster", drop_prints_through_book=True)
    assert again.meta["events_digest"] == st.meta["events_digest"]


def test_every_converter_takes_the_keyword_off_by_default():
    import inspect

    from mmsim.data import FORMATS

    for name, conv in FORMATS.items():
        param = inspect.signature(conv).parameters.get("drop_prints_through_book")
        assert param is not None and param.default is False and param.kind is param.KEYWORD_ONLY, name


def test_an_hftbacktest_import_drops_the_record_of_the_print(tmp_path, capsys):
    # The export of _capture's kept store: record 1 its CLEAR, 2-5 the snapshot's levels, 6 line 2's level, 7 the
    # sell at 1.00 (hftbacktest's float price, quoted as the file writes it: 1.0), 8 the last level.
    from mmsim.data._hftbacktest_export import export

    assert main(["convert", str(_capture(tmp_path)), "-o", str(tmp_path / "k"), *BN]) == 0
    export(mmsim.load(tmp_path / "k"), tmp_path / "x.npz")
    st = convert([tmp_path / "x.npz"], tmp_path / "h", format="hftbacktest", drop_prints_through_book=True)
    assert len(st) == 7 and prints_through_book(st)["count"] == 0
    assert st.meta["quirks"]["prints_through_book"] == {**QUIRK, "at": "x.npz: record 7", "price": "1.0",
                                                        "dropped": True}
    # The export of the dropped store carries its record (lead, 24: before, it carried none, and the record that one
    # was dropped did not survive an export and import; tests/test_drop_roundtrip24.py).
    export(st, tmp_path / "y.npz")
    assert (convert([tmp_path / "y.npz"], tmp_path / "r", format="hftbacktest").meta["quirks"]["prints_through_book"]
            == st.meta["quirks"]["prints_through_book"])


#: BOOK (bids 99990, 99980, 99970; asks 100000, 100010), then a sell at 1 and a buy at 200000 (both through), the
#: bid level topped up, a sell at 99980 (a sweep of one level: not through) and the level again.
PRINTS = [(MS, T, -1, 1, 1), (2 * MS, T, 1, 200000, 1), (3 * MS, D, 1, 99990, 6), (4 * MS, T, -1, 99980, 1),
          (5 * MS, D, 1, 99990, 5)]


class _Bid(mmsim.Strategy):
    def quote(self, v):
        return mmsim.Quote(99990, 1, 0, 0)


def test_write_store_drops_two_prints_of_an_event_array(tmp_path):
    ev = make_events(BOOK + PRINTS)
    kept = write_store(tmp_path / "kept", ev, META)
    st = write_store(tmp_path / "s", ev, META, drop_prints_through_book=True)
    assert (len(kept), len(st)) == (10, 8)
    assert _same(st.events, np.delete(ev, [5, 6]))
    assert st.meta["quirks"] == {"prints_through_book": {
        "count": 2, "band": 0.1, "event": 5, "at": None, "side": -1, "price": "0.1", "best": "9999.0",
        "price_ticks": 1, "best_ticks": 99990, "dropped": True}}
    # The bid at 99990 is filled by the sell at 1 (1 ms) and again, requoted, by the sell at 99980 under it (4 ms);
    # without the sell at 1, by the second only.
    assert _fills(kept, _Bid()) == [(1, 99990, MS), (1, 99990, 4 * MS)]
    assert _fills(st, _Bid()) == [(1, 99990, 4 * MS)]
    # validate=False drops them too (the events replay), to the same store.
    unchecked = write_store(tmp_path / "u", ev, META, validate=False, drop_prints_through_book=True)
    assert unchecked.meta == {**st.meta}


def test_unchecked_events_the_book_refuses_are_written_as_given(tmp_path):
    # validate=False: a DEPTH of side 0 after the sell at 1 (the book refuses it): nothing is known of the events,
    # nothing dropped, no quirk (as without the flag); validated, the event is refused, naming its index.
    ev = make_events(BOOK + [(MS, T, -1, 1, 1), (2 * MS, D, 0, 99990, 1)])
    st = write_store(tmp_path / "u", ev, META, validate=False, drop_prints_through_book=True)
    assert len(st) == 7 and st.meta["quirks"] == {}
    with pytest.raises(mmsim.DataError) as info:
        write_store(tmp_path / "s", ev, META, drop_prints_through_book=True)
    assert str(info.value) == f"{tmp_path / 's'}: DEPTH has side 0 (must be +1 bid/buy or -1 ask/sell) (event 6 of the store)"


def test_more_prints_than_one_pass_describes_are_all_dropped(tmp_path):
    # 2,500 prints through the book (a sell at 1 and a buy at 200000 in turn), each after a legal sell at 99990:
    # more than the first pass of prints_through_book describes (1000): a second lists them all, each one dropped.
    rows = list(BOOK)
    bad = []
    for k in range(2500):
        rows.append(((2 * k + 1) * MS, T, -1, 99990, 1))
        bad.append(len(rows))
        rows.append(((2 * k + 2) * MS, T, -1, 1, 1) if k % 2 == 0 else ((2 * k + 2) * MS, T, 1, 200000, 1))
    ev = make_events(rows)
    assert prints_through_book(ev)["count"] == 2500
    st = write_store(tmp_path / "s", ev, META, drop_prints_through_book=True)
    assert len(st) == len(ev) - 2500 == 2505
    assert _same(st.events, np.delete(ev, bad))
    q = st.meta["quirks"]["prints_through_book"]
    assert (q["count"], q["event"], q["dropped"]) == (2500, 6, True)
    assert prints_through_book(st)["count"] == 0
    assert st.meta["last_exch_ts"] == 4999 * MS  # the last print (5000 ms) was dropped


def test_a_store_without_such_prints_is_the_same_with_the_flag(tmp_path, capsys):
    # A Binance capture whose only print is at the bid, converted once with and once without: the same store.
    p = _capture(tmp_path)
    text = gzip.decompress(p.read_bytes()).decode().replace('"p": "1.00"', '"p": "61800.0"')
    p.write_bytes(gzip.compress(text.encode()))
    assert main(["convert", str(p), "-o", str(tmp_path / "a"), *BN]) == 0
    assert main(["convert", str(p), "-o", str(tmp_path / "b"), *BN, "--drop-prints-through-book"]) == 0
    assert [line.split(": ", 1)[1] for line in capsys.readouterr().err.splitlines()] == [
        "8 events, XUSDT (binance-usdm), tick 0.1, lot 0.001, L2"] * 2
    a, b = mmsim.load(tmp_path / "a"), mmsim.load(tmp_path / "b")
    assert a.meta == b.meta and "prints_through_book" not in a.meta["quirks"]
    assert (tmp_path / "a" / "events.npy").read_bytes() == (tmp_path / "b" / "events.npy").read_bytes()
    # An event array: the same digest.
    ev = make_events(BOOK + PRINTS[2:])
    assert (write_store(tmp_path / "c", ev, META).meta["events_digest"]
            == write_store(tmp_path / "d", ev, META, drop_prints_through_book=True).meta["events_digest"])


def test_a_rewrite_of_a_dropped_store_keeps_the_record(tmp_path):
    st = write_store(tmp_path / "s", make_events(BOOK + PRINTS), META, drop_prints_through_book=True)
    q = st.meta["quirks"]["prints_through_book"]
    # Its events hold no such print: the recount is 0, the record that 2 were dropped is the given meta's.
    for validate in (True, False):
        again = write_store(tmp_path / f"r{validate}", np.asarray(st.events), st.meta, validate=validate)
        assert again.meta["quirks"]["prints_through_book"] == q
        assert again.meta["events_digest"] == st.meta["events_digest"]
    # Events with prints through the book of their own: those are recorded (kept), the given record replaced.
    other = write_store(tmp_path / "o", make_events(BOOK + [(MS, T, 1, 300000, 1)]), st.meta)
    assert other.meta["quirks"]["prints_through_book"] == {
        "count": 1, "band": 0.1, "event": 5, "at": None, "side": 1, "price": "30000.0", "best": "10000.0",
        "price_ticks": 300000, "best_ticks": 100000}


def test_the_drop_comes_before_the_trade_implied_book(tmp_path, capsys):
    # The sell at 1.00 went through both bid levels (61800.0, 61799.9): kept, it hides them in the implied book;
    # dropped, it hides nothing (no other print there), and the implied store keeps the conversion's record.
    p = _capture(tmp_path)
    assert main(["convert", str(p), "-o", str(tmp_path / "k"), *BN, "--trade-implied-book"]) == 0
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), *BN, "--trade-implied-book",
                 "--drop-prints-through-book"]) == 0
    err = capsys.readouterr().err.splitlines()
    kept, st = mmsim.load(tmp_path / "k"), mmsim.load(tmp_path / "s")
    assert kept.meta["quirks"]["trade_implied_book"] == {"prints": 1, "hidden": 2, "reduced": 0, "restored": 0}
    assert st.meta["quirks"]["trade_implied_book"] == {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
    assert st.meta["quirks"]["prints_through_book"] == {**QUIRK, "dropped": True}
    assert err[-1] == DROPPED
    assert prints_through_book(st)["count"] == 0


def test_a_dropped_record_out_of_its_rule_is_refused_naming_the_key(tmp_path):
    st = write_store(tmp_path / "s", make_events(BOOK + PRINTS), META, drop_prints_through_book=True)
    meta_json = tmp_path / "s" / "meta.json"
    for value in ("yes", False, 1):
        meta = json.loads(meta_json.read_text())
        meta["quirks"]["prints_through_book"]["dropped"] = value
        meta_json.write_text(json.dumps(meta))
        with pytest.raises(mmsim.DataError) as info:
            mmsim.load(tmp_path / "s")
        assert str(info.value) == (f"{meta_json}: key 'quirks.prints_through_book' dropped is {value!r}, not true "
                                   "(the key is left out when the prints were kept)")
    meta["quirks"]["prints_through_book"]["dropped"] = True
    meta_json.write_text(json.dumps(meta))
    assert mmsim.load(tmp_path / "s").meta["quirks"] == st.meta["quirks"]


def test_the_report_row_says_the_prints_were_dropped(tmp_path):
    from rich.console import Console

    from mmsim.report import make_report

    st = write_store(tmp_path / "s", make_events(BOOK + PRINTS), META, drop_prints_through_book=True)
    rep = make_report(mmsim.run(st, _Bid()), st, horizons=["1s"], event_horizons=[])
    console = Console(record=True, width=400)
    rep.print(console)
    data = next(line for line in console.export_text().splitlines() if line.strip().startswith("data"))
    assert data.rstrip().endswith("; 2 trade prints more than 10% through the book dropped (quirks.prints_through_book)")
    assert rep.data["setup"]["data"]["prints_through_book"]["dropped"] is True


def test_the_flag_is_in_converts_help(capsys):
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert ("--drop-prints-through-book drop the trade prints more than 10% through the best price of the side they "
            "hit (a corrupt line): they fill no order; meta.json records how many") in out
