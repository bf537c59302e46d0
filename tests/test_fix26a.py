"""fix26a: breaker26's findings on a store's meta.json and a run's copy of it in result.json.

A. A ``prints_through_book`` quirk lacking keys was refused with ``(it has count, band, ...)``: the keys it must
   have, not the keys it has.
B. ``mmsim report RUN_DIR`` showed result.json's copy of the store's quirks unchecked (``"count": "lots"``, a key
   renamed: the row gone); the copy is checked as a store's meta.json is, and must be the store's.
C. A shape-valid meta.json that does not describe its events loaded: a quirk's ``event`` past the last event,
   ``first_exch_ts`` not the first event's, ``"levels": "L3"`` over events with no order event.
"""

from __future__ import annotations

import json

import pytest
from conftest import make_events

import mmsim
from mmsim import Kind
from mmsim.cli import build_parser
from mmsim.cli.report import cmd as cmd_report
from mmsim.data import write_store
from mmsim.data._identity import verify_store
from mmsim.data._meta_digest import meta_digest
from mmsim.engine import Result

D, T = Kind.DEPTH, Kind.TRADE
MS = 1_000_000
L2 = {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"}
#: bid 10.00, ask 10.10; a seller's print at 1.00 (100 ticks: 90% under the bid, past the 10% band); an ask.
EVENTS = [(0, D, 1, 1000, 5), (0, D, -1, 1010, 5), (MS, T, -1, 100, 1), (2 * MS, D, -1, 1005, 5)]
#: Its quirk, by hand: one print, the first at event 2, a sell at 100 ticks under the bid at 1000.
QUIRK = {"count": 1, "band": 0.1, "event": 2, "at": None, "side": -1, "price": "1.00", "best": "10.00",
         "price_ticks": 100, "best_ticks": 1000}
MUST = ("its keys must be count, band, event, at, side, price, best, price_ticks, best_ticks, and dropped when its "
        "prints were dropped")


class Bid(mmsim.Strategy):
    def quote(self, v):
        return mmsim.Quote(1000, 1, 0, 0)


def _store(tmp_path, name="s"):
    st = write_store(tmp_path / name, make_events(EVENTS), L2)
    assert st.meta["quirks"]["prints_through_book"] == QUIRK
    return st


def _edited(tmp_path, edit) -> str:
    """The message of loading (and verifying, as a run's start does) the store with its meta.json edited."""
    _store(tmp_path)
    meta_json = tmp_path / "s" / "meta.json"
    meta = json.loads(meta_json.read_text())
    edit(meta)
    meta["meta_digest"] = meta_digest(meta)  # the check under test, not the meta_digest's of an edit (fix34c)
    meta_json.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        verify_store(mmsim.load(tmp_path / "s"))
    return str(info.value).removeprefix(f"{meta_json}: ")


def _quirk(**kw):
    def edit(meta):
        meta["quirks"]["prints_through_book"] = kw["to"] if "to" in kw else {**QUIRK, **kw}
    return edit


# ----------------------------------------------------------------------------- A. the keys it has, as it has them

@pytest.mark.parametrize("value, has", [
    ({}, "none"),
    # "Count" for "count": it said "(it has count, band, ...)", the keys it lacked among them.
    ({("Count" if k == "count" else k): v for k, v in QUIRK.items()}, "Count, band, event, at, side, price, best, "
                                                                       "price_ticks, best_ticks"),
])
def test_a_quirk_lacking_keys_is_refused_naming_the_keys_it_has(tmp_path, value, has):
    lacks = ("'count', 'band', 'event', 'at', 'side', 'price', 'best', 'price_ticks', 'best_ticks'" if not value
             else "'count'")
    assert _edited(tmp_path, _quirk(to=value)) == (
        f"key 'quirks.prints_through_book' lacks {lacks} ({MUST}; it has {has})")


def test_a_quirk_with_an_unknown_key_says_which_keys_it_must_have(tmp_path):
    assert _edited(tmp_path, _quirk(extra=1)) == f"key 'quirks.prints_through_book' has the unknown key 'extra' ({MUST})"


# ----------------------------------------------------------------------------- C. meta.json against its events

@pytest.mark.parametrize("key, value, why", [
    # 4 events: indices 0 to 3. It loaded, and the report described a print at event 999.
    ("event", 999, "event is 999, not an index of the store's 4 events (event_count)"),
    ("event", 4, "event is 4, not an index of the store's 4 events (event_count)"),
    ("count", 5, "count is 5, more prints than the store's 4 events (event_count)"),
])
def test_a_quirk_beyond_the_store_s_events_is_refused(tmp_path, key, value, why):
    assert _edited(tmp_path, _quirk(**{key: value})) == f"key 'quirks.prints_through_book' {why}"


@pytest.mark.parametrize("edit, why", [
    ({"event": 3}, "event is 3, but that event is a DEPTH at 1005 ticks, not the TRADE at price_ticks 100 it describes"),
    ({"price_ticks": 101}, "event is 2, but that event is a TRADE at 100 ticks, not the TRADE at price_ticks 101 it "
                           "describes"),
])
def test_a_quirk_naming_no_such_print_is_refused(tmp_path, edit, why):
    assert _edited(tmp_path, _quirk(**edit)) == f"key 'quirks.prints_through_book' {why}"


def test_a_dropped_quirk_is_of_the_events_before_the_drop(tmp_path):
    # Its event and count are the source's: event 43 of a 4-event store is not refused when 40 were dropped (the 44
    # events before the drop; event 999 loaded here until fix32a bounded it by them: tests/test_fix32a_through.py).
    _store(tmp_path)
    meta_json = tmp_path / "s" / "meta.json"
    meta = json.loads(meta_json.read_text())
    meta["quirks"]["prints_through_book"] = {**QUIRK, "event": 43, "count": 40, "dropped": True}
    meta_json.write_text(json.dumps(meta))
    st = mmsim.load(tmp_path / "s")
    verify_store(st)
    assert (st.meta["quirks"]["prints_through_book"]["event"], len(st)) == (43, 4)


@pytest.mark.parametrize("key, value, i, got", [
    ("first_exch_ts", 1, 0, 0),
    ("last_exch_ts", 3 * MS, 3, 2 * MS),
])
def test_first_and_last_exch_ts_must_be_the_events(tmp_path, key, value, i, got):
    def edit(meta):
        meta[key] = value
    assert _edited(tmp_path, edit) == (
        f"key {key!r} is {value}, but event {i}'s exch_ts is {got}: meta.json does not describe its events (edited "
        "by hand, or its events.npy changed since; write the store again from its source: mmsim convert)")


L3_NONE = ("key 'levels' is 'L3' (market-by-order), but none of its 4 events is an order event (ADD, CANCEL, DELETE, "
           "EXECUTE): the engine replays them as L2 data, with the L2 queue model (a report named the exact FIFO it "
           "did not use); a store of them is labelled 'L2'")


def test_an_l3_label_over_events_without_an_order_event_is_refused(tmp_path):
    # Its report said "queue exact FIFO (L3 data; the L2 model risk_averse is not used)".
    def edit(meta):
        meta["levels"] = "L3"
    assert _edited(tmp_path, edit) == L3_NONE
    # A run's start refuses it too (the digest check's pass over the kinds).
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(mmsim.load(tmp_path / "s"), Bid())
    assert str(info.value) == f"{tmp_path / 's' / 'meta.json'}: {L3_NONE}"


def test_an_l3_store_with_an_order_event_is_not_refused(tmp_path):
    ev = make_events([(0, Kind.ADD, 1, 1000, 5, 1), (0, Kind.ADD, -1, 1010, 5, 2), (MS, D, 1, 999, 3)])
    st = write_store(tmp_path / "s", ev, {**L2, "levels": "L3"})
    verify_store(st)
    assert st.meta["levels"] == "L3"


# ----------------------------------------------------------------------------- B. result.json's copy of the quirks

def _run(tmp_path, edit) -> str:
    """The message of ``mmsim report`` of a run of the store whose result.json's meta was edited; '' when none."""
    st = _store(tmp_path)
    run = tmp_path / "run"
    mmsim.run(st, Bid()).save(run)
    doc = json.loads((run / "result.json").read_text())
    edit(doc["meta"])
    (run / "result.json").write_text(json.dumps(doc))
    args = build_parser()[0].parse_args(["report", str(run), "-o", str(tmp_path / "out"), "-q", "--no-plots"])
    try:
        cmd_report(args)
    except mmsim.DataError as e:
        return str(e).removeprefix(f"{run / 'result.json'}: ")
    return ""


@pytest.mark.parametrize("key, value, why", [
    ("count", "lots", "count is 'lots', not a positive integer"),  # report.json carried "count": "lots"
    ("count", -3, "count is -3, not a positive integer"),
    ("count", 99, "count is 99, more prints than the store's 4 events (event_count)"),
    ("event", 12, "event is 12, not an index of the store's 4 events (event_count)"),
])
def test_result_json_s_quirk_is_checked_as_a_store_s(tmp_path, key, value, why):
    assert _run(tmp_path, _quirk(**{key: value})) == f"meta.quirks.prints_through_book {why}"
    with pytest.raises(mmsim.DataError) as info:  # Result.load, the report's reader, refuses it
        Result.load(tmp_path / "run")
    assert str(info.value) == f"{tmp_path / 'run' / 'result.json'}: meta.quirks.prints_through_book {why}"


def test_result_json_s_trade_implied_quirk_is_checked_as_a_store_s(tmp_path):
    def edit(meta):
        meta["quirks"]["trade_implied_book"] = {"prints": "x", "hidden": 0, "reduced": 0, "restored": 0}
    assert _run(tmp_path, edit) == (
        "meta.quirks.trade_implied_book is {'prints': 'x', 'hidden': 0, 'reduced': 0, 'restored': 0}, not a mapping "
        "of the four counts prints, hidden, reduced, restored (non-negative integers)")


def test_result_json_s_quirk_that_is_not_the_store_s_is_refused(tmp_path):
    # A count of 3, valid in form and within the 4 events (breaker26's 7 of 12: the report said "7 trade prints").
    assert _run(tmp_path, _quirk(count=3)) == (
        f"meta.quirks.prints_through_book.count is 3, but {tmp_path / 's' / 'meta.json'} says 1: the run's copy of "
        "its store's quirks is not the store's (one of the two edited by hand); report the run with the store it "
        "replayed, or run it again")
    # One the store has not.
    assert _run(tmp_path / "b", lambda m: m["quirks"].update(
        trade_implied_book={"prints": 1, "hidden": 0, "reduced": 0, "restored": 0})) == (
        "meta.quirks.trade_implied_book is {'prints': 1, 'hidden': 0, 'reduced': 0, 'restored': 0}, but "
        f"{tmp_path / 'b' / 's' / 'meta.json'} has none: the run's copy of its store's quirks is not the store's (one "
        "of the two edited by hand); report the run with the store it replayed, or run it again")


def test_result_json_without_the_quirk_reports_the_store_s(tmp_path):
    # The key renamed (or a run saved before it was recorded): the row was gone from report.json.
    def edit(meta):
        meta["quirks"]["prints_through_bookX"] = meta["quirks"].pop("prints_through_book")
    assert _run(tmp_path, edit) == ""
    data = json.loads((tmp_path / "out" / "report.json").read_text())["setup"]["data"]
    assert data["prints_through_book"] == QUIRK
    assert data["trade_implied_book"] is None
