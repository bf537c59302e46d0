"""``quirks.maybe_bad_book`` (fix30c: the Databento records flagged ``F_MAYBE_BAD_BOOK``) is held to its form where a
store is loaded, as the other quirks a report shows are (lead, 24): a hand-edited ``"count": "5"`` loaded, and the
report's data row and the convert warning said nothing, as if no record had been flagged."""

from __future__ import annotations

import json

import pytest
from test_fix30c_databento import DB_ROWS, MAYBE, _csv, db_csv_lines

import mmsim
from mmsim.cli import main

RULE = 'a mapping of count (a non-negative integer) and at (the first flagged record, "FILE: record N", null when count is 0)'


@pytest.fixture
def store(tmp_path):
    rows = list(DB_ROWS)
    rows[2] = rows[2][:6] + (130 | MAYBE,)
    assert main(["convert", str(_csv(tmp_path, db_csv_lines(rows))), "-o", str(tmp_path / "s"), "--format",
                 "databento", "-q"]) == 0
    return tmp_path / "s"


@pytest.mark.parametrize("value, why", [
    ({"count": "5", "at": "mbo.csv: line 4"}, "count is '5', not a non-negative integer"),
    ({"count": -1, "at": None}, "count is -1, not a non-negative integer"),
    ({"count": 0, "at": "mbo.csv: line 4"}, f"at is 'mbo.csv: line 4' with count 0, not {RULE}"),
    ({"count": 2, "at": None}, f"at is None with count 2, not {RULE}"),
    ({"count": 1}, f"is {{'count': 1}}, not {RULE}"),
    ("yes", f"is 'yes', not {RULE}"),
])
def test_a_hand_edited_maybe_bad_book_is_refused_naming_the_key(store, value, why):
    meta_json = store / "meta.json"
    meta = json.loads(meta_json.read_text())
    assert meta["quirks"]["maybe_bad_book"] == {"count": 1, "at": "mbo.csv: line 4"}  # as converted: it loads
    mmsim.load(store)
    meta["quirks"]["maybe_bad_book"] = value
    meta_json.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(store)
    assert str(info.value) == f"{meta_json}: key 'quirks.maybe_bad_book' {why}"
