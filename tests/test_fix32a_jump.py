"""fix32a (breaker31 item 8): ``quirks.time_jump_at_end`` is held to what ``meta.json`` alone tells where a store is
loaded, not to its form only: ``events`` at most the store's ``event_count`` (plus the prints through the book dropped
after the jump was found), an exchange-time jump's ``jump_ns + span_ns`` at most ``last_exch_ts - first_exch_ts`` (the
store's events are in exchange-time order), ``at`` and ``from`` of the form ``NAME: line N`` or ``NAME: record N``.
``"events": 1e9`` of a 7,398-event store, a jump longer than the store and ``"at": "nonsense"`` loaded.
"""

from __future__ import annotations

import json

import pytest
from test_fix31a_jump import JUMP, KEY, _capture

import mmsim
from mmsim.data import binance as bn
from mmsim.result import _check_quirks

# A dropped prints_through_book record consistent with itself: a sell at 1 tick under a best bid of 100 ticks.
DROPPED = {"count": 1, "band": 0.1, "event": 5, "at": None, "side": -1, "price": "0.1", "best": "10.0",
           "price_ticks": 1, "best_ticks": 100, "dropped": True}


def _store(tmp_path):
    bn.convert([_capture(tmp_path)], tmp_path / "s")
    mp = tmp_path / "s" / "meta.json"
    return mp, json.loads(mp.read_text())


def _load(mp, meta, edit, through=None):
    meta["quirks"][KEY] = {**JUMP, **edit}
    if through is not None:
        meta["quirks"]["prints_through_book"] = through
    mp.write_text(json.dumps(meta))
    return mmsim.load(mp.parent)


def _refused(mp, meta, edit, through=None) -> str:
    with pytest.raises(mmsim.DataError) as ei:
        _load(mp, meta, edit, through)
    return str(ei.value)


def test_the_store_as_converted(tmp_path):
    """The capture's store: 206 events, its span the jump's plus the rest's exactly (the file is the store)."""
    mp, meta = _store(tmp_path)
    assert meta["event_count"] == 206 and meta["quirks"][KEY] == JUMP
    assert meta["last_exch_ts"] - meta["first_exch_ts"] == 2_592_000_001_000_000 + 200_000_000


@pytest.mark.parametrize("edit, words", [
    ({"events": 10**9}, "events is 1000000000, more than the store's 206 events (event_count)"),
    ({"events": 207}, "events is 207, more than the store's 206 events (event_count)"),
    ({"jump_ns": 9 * 10**18}, "jump_ns is 9000000000000000000 and span_ns 200000000: 9000000000200000000 ns of "
                              "exchange time, more than the store's span (2592000201000000 ns, last_exch_ts - "
                              "first_exch_ts)"),
    ({"span_ns": 200_000_001}, "jump_ns is 2592000001000000 and span_ns 200000001: 2592000201000001 ns of exchange "
                               "time, more than the store's span (2592000201000000 ns, last_exch_ts - first_exch_ts)"),
    ({"at": "nonsense"}, "at is 'nonsense', not of the form 'NAME: line N' or 'NAME: record N'"),
    ({"from": "cap.gz: row 201"}, "from is 'cap.gz: row 201', not of the form 'NAME: line N' or 'NAME: record N'"),
])
def test_a_quirk_the_meta_contradicts_is_refused_naming_the_key(tmp_path, edit, words):
    mp, meta = _store(tmp_path)
    assert _refused(mp, meta, edit) == f"{mp}: key 'quirks.{KEY}' {words}"


@pytest.mark.parametrize("edit", [
    {"events": 206},  # the bound itself
    {"span_ns": 199_999_999},  # under the span
    {"at": "x.dbn.zst: record 40001", "from": "a b.csv: line 7"},  # a record; a name with a space
    {"time": "receive", "jump_ns": 9 * 10**18},  # a receive-time jump is not bounded by the exchange times' span
])
def test_what_the_meta_allows_loads(tmp_path, edit):
    mp, meta = _store(tmp_path)
    assert _load(mp, meta, edit).meta["quirks"][KEY] == {**JUMP, **edit}


def test_prints_dropped_after_the_jump_was_found_count_and_the_span_is_not_bounded(tmp_path):
    """With prints through the book dropped (found after the jump: a converted store's ``events`` exceed its
    ``event_count`` by them), ``events`` is bounded by both, and the span not at all (a print dropped may have been the
    store's last event)."""
    mp, meta = _store(tmp_path)
    assert _load(mp, meta, {"events": 207, "jump_ns": 9 * 10**18}, DROPPED).meta["quirks"][KEY]["events"] == 207
    assert _refused(mp, meta, {"events": 208}, DROPPED) == (
        f"{mp}: key 'quirks.{KEY}' events is 208, more than the store's 206 events (event_count) and the 1 prints "
        "through the book dropped after the jump was found")


def test_a_results_copy_is_held_to_the_same_rule(tmp_path):
    mp, meta = _store(tmp_path)
    meta["quirks"][KEY] = {**JUMP, "jump_ns": 9 * 10**18}
    with pytest.raises(mmsim.DataError) as ei:
        _check_quirks(meta, tmp_path / "result.json")
    assert str(ei.value).startswith(f"{tmp_path / 'result.json'}: meta.quirks.{KEY} jump_ns is 9000000000000000000 ")
    _check_quirks({**meta, "first_exch_ts": None}, tmp_path / "result.json")  # no span known: not bounded
