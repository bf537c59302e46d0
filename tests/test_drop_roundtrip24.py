"""The record of dropped prints through the book (``quirks.prints_through_book`` with ``"dropped": true``, drop26)
survives an hftbacktest export and import (lead, 24): the export carries it in ``mmsim_meta`` as
``prints_through_book``, the import writes it back. Before, the round trip of a dropped store (one
``events_digest``) was a store with no such record: its report's ``data`` row no longer said prints were dropped.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_events
from test_datafix17 import _with_meta
from test_drop_prints_through import BN, PRINTS, QUIRK
from test_prints_through import BOOK, META, MS, T, _capture

import mmsim
from mmsim.cli import main
from mmsim.data import convert, write_store
from mmsim.data._hftbacktest_export import export


#: A plausible exchange time (2023-11-14) for the events of make_events, which start at 0 (an import refuses 1970).
T0 = 1_700_000_000 * 10**9


def _events(rows):
    ev = make_events(rows)
    ev["exch_ts"] += T0
    ev["local_ts"] += T0
    return ev


def _mmsim_meta(path) -> dict:
    with np.load(path) as z:
        return json.loads(str(z["mmsim_meta"][()]))


def test_a_dropped_stores_round_trip_keeps_its_record(tmp_path, capsys):
    assert main(["convert", str(_capture(tmp_path)), "-o", str(tmp_path / "s"), *BN,
                 "--drop-prints-through-book"]) == 0
    st = mmsim.load(tmp_path / "s")
    assert st.meta["quirks"]["prints_through_book"] == {**QUIRK, "dropped": True}
    export(st, tmp_path / "x.npz")
    assert _mmsim_meta(tmp_path / "x.npz")["prints_through_book"] == {**QUIRK, "dropped": True}
    capsys.readouterr()
    assert main(["convert", str(tmp_path / "x.npz"), "-o", str(tmp_path / "r"), "--format", "hftbacktest"]) == 0
    back = mmsim.load(tmp_path / "r")
    # The same events (one digest) and the same record: the cap.gz line and index of the print before the drop.
    assert back.meta["events_digest"] == st.meta["events_digest"]
    assert back.meta["quirks"]["prints_through_book"] == {**QUIRK, "dropped": True}
    assert capsys.readouterr().err.splitlines()[-1] == (
        "warning: 1 trade print more than 10% through the book dropped; the first: cap.gz: line 3 (event 6 before "
        'the drop), a sell at 1.00 with the best bid at 61800.0 (quirks.prints_through_book; docs/data.md "Prints '
        'through the book")')


def test_a_kept_record_is_not_exported_the_import_counts_the_prints(tmp_path):
    st = write_store(tmp_path / "k", _events(BOOK + PRINTS), META)
    assert "dropped" not in st.meta["quirks"]["prints_through_book"]
    export(st, tmp_path / "x.npz")
    assert "prints_through_book" not in _mmsim_meta(tmp_path / "x.npz")
    back = convert([tmp_path / "x.npz"], tmp_path / "r", format="hftbacktest")
    # The import's own count of the two prints its events hold (index 5 of the events, at record 6 of the file).
    q = back.meta["quirks"]["prints_through_book"]
    assert (q["count"], q["event"], q["at"], "dropped" in q) == (2, 5, "x.npz: record 6", False)


def test_slices_of_a_dropped_store_import_as_one_store_with_its_record(tmp_path):
    # Second case of the kind: a dropped store exported as two files (the second with before=) and imported as one
    # stream keeps the one record both carry; files carrying two different records are refused, naming both.
    ev = _events(BOOK + PRINTS + [(6 * MS, T, 1, 100000, 1)])
    st = write_store(tmp_path / "s", ev, META, drop_prints_through_book=True)
    rec = st.meta["quirks"]["prints_through_book"]
    assert (rec["count"], rec["dropped"]) == (2, True)
    cut = len(st.events) - 2
    export(st, tmp_path / "full.npz")
    # An export of a bare array (a slice) carries no quirk; the store's export does: the two files of one stream are
    # the store's export cut in two, each with its mmsim_meta.
    with np.load(tmp_path / "full.npz") as z:
        data, meta = z["data"], str(z["mmsim_meta"][()])
    half = int(np.searchsorted(data["exch_ts"], int(st.events["exch_ts"][cut])))
    np.savez_compressed(tmp_path / "d1.npz", data=data[:half], mmsim_meta=np.array(meta))
    np.savez_compressed(tmp_path / "d2.npz", data=data[half:], mmsim_meta=np.array(meta))
    both = convert([tmp_path / "d1.npz", tmp_path / "d2.npz"], tmp_path / "r", format="hftbacktest")
    assert both.meta["quirks"]["prints_through_book"] == rec
    assert both.meta["events_digest"] == st.meta["events_digest"]
    _with_meta(tmp_path / "d2.npz", tmp_path / "e2.npz", prints_through_book={**rec, "count": 3})
    with pytest.raises(mmsim.DataError) as info:
        convert([tmp_path / "d1.npz", tmp_path / "e2.npz"], tmp_path / "q", format="hftbacktest")
    assert str(info.value) == (f"{tmp_path / 'e2.npz'}: its mmsim_meta prints_through_book differs from "
                               f"{tmp_path / 'd1.npz'}'s (a record of other dropped prints): files of one stream "
                               "are one store's export")


@pytest.mark.parametrize(("value", "why"), [
    ("yes", "is 'yes', not a mapping of count, band, event, at, side, price, best, price_ticks, best_ticks "
            '(docs/data.md, "Prints through the book")'),
    ({**QUIRK, "count": "5", "dropped": True}, "count is '5', not a positive integer"),
    ({**QUIRK, "dropped": "yes"}, "dropped is 'yes', not true (the key is left out when the prints were kept)"),
    (QUIRK, "has no 'dropped': an export carries the record of prints dropped from its events only (the import "
            "counts the prints its events hold)"),
])
def test_a_hand_edited_record_in_mmsim_meta_is_refused_naming_the_file_and_key(tmp_path, value, why):
    st = write_store(tmp_path / "s", _events(BOOK + PRINTS), META, drop_prints_through_book=True)
    export(st, tmp_path / "x.npz")
    _with_meta(tmp_path / "x.npz", tmp_path / "y.npz", prints_through_book=value)
    with pytest.raises(mmsim.DataError) as info:
        convert([tmp_path / "y.npz"], tmp_path / "r", format="hftbacktest")
    assert str(info.value) == f"{tmp_path / 'y.npz'}: its mmsim_meta prints_through_book {why}"
