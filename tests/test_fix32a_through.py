"""fix32a (breaker31 item 9): a ``prints_through_book`` record is held to what it implies by itself, dropped or kept:
its print is through the book by more than its ``band`` on its ``side`` (the engine's rule: a sell, side -1, below the
best bid by more than band times it; a buy, side 1, above the best ask so; side 0 either), and a dropped record's
``event`` is below ``event_count + count`` (the events before the drop). A dropped record's flipped side loaded and was
described as "a buy at 1.00 with the best ask at 61829.76"; its ``event`` 999999 of a 7,396-event store loaded. In a
store's ``meta.json``, an ``.npz``'s ``mmsim_meta`` (the import, which wrote a store that then did not load) and a
result's copy.
"""

from __future__ import annotations

import json

import pytest
from test_datafix17 import _with_meta
from test_drop_prints_through import PRINTS
from test_drop_roundtrip24 import _events
from test_fix26a import QUIRK, _edited, _quirk, _store
from test_prints_through import BOOK, META

import mmsim
from mmsim.data import convert, write_store
from mmsim.data._hftbacktest_export import export
from mmsim.result import _check_quirks

KEY = "key 'quirks.prints_through_book'"
NOT = "not a print through the book"
# The 4-event store of tests/test_fix26a.py: event 2 a sell (side -1) at 100 ticks; QUIRK's best bid 1000 ticks.
BUY = f"side is 1 (a buy), but price_ticks 100 is not above best_ticks 1000 (the best ask) by more than band 0.1 times it: {NOT}"


@pytest.mark.parametrize("edit, words", [
    ({"side": 1, "dropped": True}, BUY),  # the report's: a dropped record's side flipped
    ({"side": 1}, BUY),  # kept: refused by its own values before its event is read
    ({"best_ticks": 111}, f"side is -1 (a sell), but price_ticks 100 is not below best_ticks 111 (the best bid) by more "
                          f"than band 0.1 times it: {NOT}"),  # 11 ticks below 111: not more than 11.1
    ({"price_ticks": 900, "dropped": True}, f"side is -1 (a sell), but price_ticks 900 is not below best_ticks 1000 "
                                            f"(the best bid) by more than band 0.1 times it: {NOT}"),  # exactly 10%
    ({"side": 0, "price_ticks": 1100, "dropped": True},
     f"side is 0 (no known aggressor), but price_ticks 1100 is neither below nor above best_ticks 1000 by more than "
     f"band 0.1 times it: {NOT}"),
    ({"best_ticks": 0, "price_ticks": -5, "dropped": True},
     f"side is -1 (a sell), but price_ticks -5 is not below best_ticks 0 (the best bid) by more than band 0.1 times "
     f"it: {NOT}"),  # a best at or below 0 has no relative band
    ({"event": 44, "count": 40, "dropped": True}, "event is 44, not an index of the 44 events before the drop (the "
                                                  "store's 4, event_count, and the 40 prints dropped, count)"),
    ({"event": 999999, "dropped": True}, "event is 999999, not an index of the 5 events before the drop (the store's "
                                         "4, event_count, and the 1 prints dropped, count)"),
])
def test_a_record_its_own_values_contradict_is_refused_naming_the_key(tmp_path, edit, words):
    assert _edited(tmp_path, _quirk(**edit)) == f"{KEY} {words}"


@pytest.mark.parametrize("edit", [
    {"best_ticks": 112},  # kept: 12 ticks below 112, more than 11.2
    {"price_ticks": 899, "dropped": True},  # 101 ticks below 1000: more than 10%
    {"side": 1, "price_ticks": 1101, "dropped": True},  # a buy 101 ticks above the best ask
    {"side": 0, "price_ticks": 1101, "dropped": True},  # no known aggressor: above
    {"side": 0, "dropped": True},  # no known aggressor: below
    {"event": 4, "dropped": True},  # the last of the 5 events before the drop
])
def test_a_record_through_the_book_by_its_own_values_loads(tmp_path, edit):
    _store(tmp_path)
    meta_json = tmp_path / "s" / "meta.json"
    meta = json.loads(meta_json.read_text())
    meta["quirks"]["prints_through_book"] = {**QUIRK, **edit}
    meta_json.write_text(json.dumps(meta))
    assert mmsim.load(tmp_path / "s").meta["quirks"]["prints_through_book"] == {**QUIRK, **edit}


def _npz(tmp_path, **edit):
    """A dropped store's export (8 events, 2 sells at 1 tick under a best bid of 99990 dropped: its record event 5) with
    its mmsim_meta record edited."""
    st = write_store(tmp_path / "s", _events(BOOK + PRINTS), META, drop_prints_through_book=True)
    rec = st.meta["quirks"]["prints_through_book"]
    assert (len(st), rec["event"], rec["count"], rec["price_ticks"], rec["best_ticks"]) == (8, 5, 2, 1, 99990)
    export(st, tmp_path / "x.npz")
    _with_meta(tmp_path / "x.npz", tmp_path / "y.npz", prints_through_book={**rec, **edit})
    return tmp_path / "y.npz"


@pytest.mark.parametrize("edit, words", [
    ({"side": 1}, f"side is 1 (a buy), but price_ticks 1 is not above best_ticks 99990 (the best ask) by more than "
                  f"band 0.1 times it: {NOT}"),
    ({"event": 999999}, "event is 999999, not an index of the 10 events before the drop (the store's 8, event_count, "
                        "and the 2 prints dropped, count)"),
    ({"event": 10}, "event is 10, not an index of the 10 events before the drop (the store's 8, event_count, and the "
                    "2 prints dropped, count)"),
])
def test_an_npz_record_is_refused_at_the_import_naming_the_file(tmp_path, edit, words):
    y = _npz(tmp_path, **edit)
    with pytest.raises(mmsim.DataError) as info:
        convert([y], tmp_path / "r", format="hftbacktest")
    assert str(info.value) == f"{y}: its mmsim_meta prints_through_book {words}"
    assert not (tmp_path / "r").exists()  # the store it wrote did not load before


def test_an_npz_record_within_the_bounds_imports(tmp_path):
    y = _npz(tmp_path, event=9)
    back = convert([y], tmp_path / "r", format="hftbacktest")
    assert back.meta["quirks"]["prints_through_book"]["event"] == 9 and len(mmsim.load(tmp_path / "r")) == 8


def test_a_results_copy_is_held_to_the_same_rule(tmp_path):
    meta = {"event_count": 4, "quirks": {"prints_through_book": {**QUIRK, "side": 1, "dropped": True}}}
    with pytest.raises(mmsim.DataError) as info:
        _check_quirks(meta, tmp_path / "result.json")
    assert str(info.value) == f"{tmp_path / 'result.json'}: meta.quirks.prints_through_book {BUY}"
