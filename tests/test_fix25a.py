"""fix25a: breaker25's findings on prints24's and scale24's merges.

1. ``quirks.prints_through_book``'s ``best`` is the book's best price, never the trade's own text: a loader's quote
   of a line gives that line's price only when it is the ticks asked for, else the price is ticks times the tick
   (docs/data.md, "Prints through the book").
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _corpus import bn_lines, bn_text
from conftest import make_events

import mmsim
from mmsim import Kind
from mmsim.data import convert, write_store
from mmsim.replay import prints_through_book

D, T = Kind.DEPTH, Kind.TRADE
MS = 1_000_000

TARDIS_BOOK = """exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
ex,XUSDT,1700000000000000,1700000000000100,true,bid,10.0,1
ex,XUSDT,1700000000000000,1700000000000100,true,ask,10.5,1
ex,XUSDT,1700000000000000,1700000000000100,true,bid,9.5,2
ex,XUSDT,1700000000001000,1700000000001100,false,bid,10.0,2
"""
TARDIS_TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def _tardis(tmp_path, trade: str):
    (tmp_path / "book.csv").write_text(TARDIS_BOOK)
    (tmp_path / "trades.csv").write_text(TARDIS_TRADES + trade + "\n")
    st = convert([tmp_path / "book.csv", tmp_path / "trades.csv"], tmp_path / "s", format="tardis", lot_size=0.1)
    return st.meta["quirks"]["prints_through_book"]


def test_tardis_sell_through_the_bid_quotes_the_bid_not_its_own_price(tmp_path):
    # Tick 0.5 (inferred): the bid 10.0 is 20 ticks, the sell at 0.5000 is 1 tick. It said best '0.5000'.
    q = _tardis(tmp_path, "ex,XUSDT,1700000000001500,1700000000001600,t1,sell,0.5000,0.5")
    assert (q["side"], q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == (-1, "0.5000", 1, "10.0", 20)
    assert q["at"] == "trades.csv: line 2"


def test_tardis_buy_through_the_ask_quotes_the_ask(tmp_path):
    # The ask 10.5 is 21 ticks; a buy at 12.00 (24 ticks) is more than 10% over it.
    q = _tardis(tmp_path, "ex,XUSDT,1700000000001500,1700000000001600,t1,buy,12.00,0.5")
    assert (q["side"], q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == (1, "12.00", 24, "10.5", 21)


DBN = """ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id
1703541600000000100,1703541600000000090,0,1,7,ES,A,B,4800.00,2,11,130,0
1703541600000000150,1703541600000000140,0,1,7,ES,A,A,4801.00,2,12,130,0
1703541600000000200,1703541600000000190,0,1,7,ES,T,A,100.00,1,0,130,0
"""


def test_databento_best_is_ticks_times_the_tick_as_every_loader(tmp_path):
    # Tick 0.25: the bid 4800.00 is 19200 ticks, written with the tick's two decimals (it was the fixed point's
    # '4800', another spelling than every other loader's fallback).
    (tmp_path / "d.csv").write_text(DBN)
    q = convert([tmp_path / "d.csv"], tmp_path / "s", format="databento", tick_size=0.25).meta["quirks"]["prints_through_book"]
    assert (q["price"], q["price_ticks"], q["best"], q["best_ticks"]) == ("100.00", 400, "4800.00", 19200)


def test_a_whole_tick_writes_no_decimal(tmp_path):
    # Tick 1 (inferred): the bid is '4800' (it was '4800.0': repr(1.0)'s decimal taken for the tick's).
    (tmp_path / "d.csv").write_text(DBN)
    q = convert([tmp_path / "d.csv"], tmp_path / "s", format="databento").meta["quirks"]["prints_through_book"]
    assert (q["price"], q["best"], q["best_ticks"]) == ("100.00", "4800", 4800)
    # No loader (write_store): both prices ticks times the tick 1.0, '4800' and '100' (they were '4800.0', '100.0').
    ev = make_events([(0, D, 1, 4800, 1), (0, D, -1, 4801, 1), (MS, T, -1, 100, 1)])
    w = write_store(tmp_path / "w", ev, {"symbol": "X", "tick_size": 1.0, "lot_size": 1.0, "levels": "L2"})
    assert (w.meta["quirks"]["prints_through_book"]["price"], w.meta["quirks"]["prints_through_book"]["best"]) == (
        "100", "4800")


# ----------------------------------------------------------------------------- 2. write_store(validate=False)

L2 = {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"}
#: breaker25's stale_quirk.py: a quirk copied from another store's meta (7 prints through its book).
STALE = {"count": 7, "band": 0.1, "event": 2293, "at": "cap.gz: line 141", "side": -1, "price": "1.00",
         "best": "61800.1", "price_ticks": 10, "best_ticks": 618001}
BOOK2 = [(0, D, 1, 1000, 5), (0, D, -1, 1010, 5)]


def test_validate_false_drops_a_copied_quirk_the_events_do_not_have(tmp_path):
    # It kept {"count": 7, ...}: the report said 7 prints through the book of a store with none.
    st = write_store(tmp_path / "s", make_events(BOOK2), {**L2, "quirks": {"prints_through_book": STALE}},
                     validate=False)
    assert st.meta["quirks"] == {} and mmsim.load(tmp_path / "s").meta["quirks"] == {}
    # Events the book refuses (a price too far from the others): not replayed, the quirk is unknown and dropped.
    far = make_events(BOOK2 + [(MS, D, 1, 2**62, 1)])
    st = write_store(tmp_path / "f", far, {**L2, "quirks": {"prints_through_book": STALE}}, validate=False)
    assert st.meta["quirks"] == {}


def test_validate_false_records_the_events_own_quirk(tmp_path):
    # A sell at 1.00 under the 10.00 bid: recomputed (validate=False wrote the meta as given, no quirk).
    ev = make_events(BOOK2 + [(MS, T, -1, 100, 1)])
    st = write_store(tmp_path / "s", ev, {**L2, "quirks": {"prints_through_book": STALE}}, validate=False)
    assert st.meta["quirks"]["prints_through_book"] == {
        "count": 1, "band": 0.1, "event": 2, "at": None, "side": -1, "price": "1.00", "best": "10.00",
        "price_ticks": 100, "best_ticks": 1000}


@pytest.mark.parametrize("kind, name", [(Kind.ADD, "ADD"), (Kind.EXECUTE, "EXECUTE")])
def test_validate_false_still_refuses_an_l2_label_over_order_events(tmp_path, kind, name):
    ev = make_events(BOOK2 + [(MS, kind, 1, 999, 3, 7)])
    with pytest.raises(mmsim.DataError) as info:
        write_store(tmp_path / "s", ev, L2, validate=False)
    assert str(info.value) == (
        f"{tmp_path / 's' / 'meta.json'}: key 'levels' is 'L2' (market-by-price), but event 2 is an {name} "
        "(market-by-order): the store's events are L3 data; its levels is 'L3' (an L2 store of them is "
        "mmsim.data.to_l2's)")
    assert not (tmp_path / "s").exists()


# ----------------------------------------------------------------------------- 3. prints_through_book's arguments


@pytest.mark.parametrize("kw, message", [
    ({"keep": 1.5}, "keep must be an integer in [0, 1000], got 1.5"),
    ({"keep": True}, "keep must be an integer in [0, 1000], got True"),
    ({"keep": 1001}, "keep must be an integer in [0, 1000], got 1001"),
    ({"band": "0.1"}, "band must be a finite fraction >= 0 (0.1: 10%), got '0.1'"),
    ({"band": True}, "band must be a finite fraction >= 0 (0.1: 10%), got True"),
    # breaker26: an int too big for a float was an OverflowError traceback (float(10**400)); quoted by its size
    ({"band": 10**400}, "band must be a finite fraction >= 0 (0.1: 10%), got an integer of 401 digits"),
    ({"band": -(10**400)}, "band must be a finite fraction >= 0 (0.1: 10%), got a negative integer of 401 digits"),
    ({"band": -1}, "band must be a finite fraction >= 0 (0.1: 10%), got -1"),
])
def test_prints_through_book_refuses_a_bad_argument_naming_it(kw, message):
    # keep=1.5 ran as keep=1, keep=True as 1 and band="0.1" as 0.1 (int() and float() of them).
    with pytest.raises(ValueError) as info:
        prints_through_book(make_events(BOOK2), **kw)
    assert str(info.value) == message


def test_prints_through_book_takes_a_whole_keep_and_a_numpy_band():
    ev = make_events(BOOK2 + [(MS, T, -1, 100, 1), (2 * MS, T, -1, 100, 1)])
    r = prints_through_book(ev, band=np.float64(0.5), keep=2.0)
    assert r["count"] == 2 and r["index"].tolist() == [2, 3]


# ----------------------------------------------------------------------------- 4. a hand-edited quirk


def _edited(tmp_path, edit):
    st = write_store(tmp_path / "s", make_events(BOOK2 + [(MS, T, -1, 100, 1)]), L2)
    meta_json = tmp_path / "s" / "meta.json"
    meta = json.loads(meta_json.read_text())
    meta["quirks"]["prints_through_book"] = edit(dict(st.meta["quirks"]["prints_through_book"]))
    meta_json.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(tmp_path / "s")
    return str(info.value).removeprefix(f"{meta_json}: key 'quirks.prints_through_book' ")


KEYS = "count, band, event, at, side, price, best, price_ticks, best_ticks"


@pytest.mark.parametrize("value, why", [
    ("yes", f"is 'yes', not a mapping of {KEYS} (docs/data.md, \"Prints through the book\")"),
    (None, f"is None, not a mapping of {KEYS} (docs/data.md, \"Prints through the book\")"),
])
def test_a_quirk_that_is_no_mapping_is_refused(tmp_path, value, why):
    # It loaded: the report's row disappeared.
    assert _edited(tmp_path, lambda q: value) == why


@pytest.mark.parametrize("key, value, rule", [
    ("count", "5", "a positive integer"), ("count", -3, "a positive integer"), ("count", True, "a positive integer"),
    ("count", 10**30, "a positive integer"), ("band", "x", "a fraction in (0, 1]"),
    ("band", float("nan"), "a fraction in (0, 1]"), ("band", 1e300, "a fraction in (0, 1]"),
    ("band", -5, "a fraction in (0, 1]"), ("side", 2, "-1, 0 or 1"), ("price", 1.0, "a string (the price as written)"),
])
def test_a_quirk_key_out_of_its_rule_is_refused_naming_it(tmp_path, key, value, rule):
    # count "5" and band NaN loaded with the report showing no row or a default 10%.
    assert _edited(tmp_path, lambda q: {**q, key: value}) == f"{key} is {value!r}, not {rule}"


def test_a_quirk_lacking_a_key_or_with_another_is_refused(tmp_path):
    # fix26a: "(it has {KEYS})" named the keys it must have, not the one it has.
    assert _edited(tmp_path, lambda q: {"count": 5}) == (
        f"lacks 'band', 'event', 'at', 'side', 'price', 'best', 'price_ticks', 'best_ticks' (its keys must be {KEYS}, "
        "and dropped when its prints were dropped; it has count)")
    assert _edited(tmp_path, lambda q: {**q, "extra": 1}) == (
        f"has the unknown key 'extra' (its keys must be {KEYS}, and dropped when its prints were dropped)")


# ----------------------------------------------------------------------------- 5. Databento's huge price, as written

HEAD = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
ROW = "1703541600000000{t}00,1703541600000000{t}90,0,{t},7,ES,A,{s},{px},1,1{t},130,0\n"


def _dbn(tmp_path, px: str, **kw):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + ROW.format(t=1, s="B", px="4800.00") + ROW.format(t=2, s="A", px=px))
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="databento", **kw)
    return str(info.value).removeprefix(f"{p}: ")


def test_databento_price_beyond_2_53_ticks_is_quoted_as_written(tmp_path):
    # It said "price 399999999999999999997 does not fit in a signed 64-bit integer": the tick count.
    assert _dbn(tmp_path, "99999999999999999999.25", tick_size=0.25) == (
        "line 3: price 99999999999999999999.25 is beyond the largest accepted, 2**53 - 1 ticks of 0.25; check the "
        "tick size given (--tick-size) or the price unit")
    # Within int64 ticks, beyond 2**53 - 1 (as Binance, Tardis and LOBSTER).
    assert _dbn(tmp_path, "2251799813685248.25", tick_size=0.25) == (
        "line 3: price 2251799813685248.25 is beyond the largest accepted, 2**53 - 1 ticks of 0.25; check the "
        "tick size given (--tick-size) or the price unit")


def test_databento_price_beyond_64_bits_when_inferring_the_tick_is_quoted_as_written(tmp_path):
    # It said "price 99999999999999999999250000000 (1e-9 units) does not fit in 64 bits".
    assert _dbn(tmp_path, "99999999999999999999.25") == (
        "line 3: price 99999999999999999999.25 does not fit in 64 bits as Databento's 1e-9 units")


# ----------------------------------------------------------------------------- 6. Binance: a JSON key given twice

DUP = "(a JSON reader keeps the last value silently): keep one"


def _bn_dup(tmp_path, i: int, old: str, new: str, space: bool = False):
    text = bn_text(bn_lines())
    assert old in text[i]
    text[i] = text[i].replace(old, new, 1)
    if space:  # a space before each ':' (still JSON): refused alike
        text[i] = text[i].replace('": ', '" : ')
    p = tmp_path / "cap.txt"
    p.write_text("\n".join(text) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="binance")
    return str(info.value).removeprefix(f"{p}: ")


def test_binance_trade_price_given_twice_is_refused_naming_the_line(tmp_path):
    # breaker25: '"p": "10.1", "p": "1.00"' converted as a print at 1.00 (the last value), silently.
    assert _bn_dup(tmp_path, 2, '"p": "10.1"', '"p": "10.1", "p": "1.00"') == (
        f"line 3: malformed row: key 'p' is given twice in one JSON object {DUP}")
    assert _bn_dup(tmp_path, 2, '"p": "10.1"', '"p": "10.1", "p": "1.00"', space=True) == (
        f"line 3: malformed row: key 'p' is given twice in one JSON object {DUP}")


def test_binance_key_given_twice_in_the_outer_object_or_a_diff_is_refused(tmp_path):
    assert _bn_dup(tmp_path, 1, '"stream": ', '"stream": "x", "stream": ') == (
        f"line 2: malformed row: key 'stream' is given twice in one JSON object {DUP}")
    assert _bn_dup(tmp_path, 3, '"u": 110', '"u": 110, "u": 111') == (
        f"line 4: malformed row: key 'u' is given twice in one JSON object {DUP}")
