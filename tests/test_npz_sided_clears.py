"""A store's sided ``CLEAR``s through an hftbacktest ``.npz`` (17): the export writes a ``CLEAR`` of side 0 as one
clear without a side flag and a sided one with its side's flag, and says so in ``mmsim_meta`` (``"clears": "sided"``),
so the import gives back the store's events exactly (the same ``events_digest``: ``mmsim compare`` takes the pair);
a file without that key (hftbacktest's converters) reads a clear of each side at one time as the whole book's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_databento_preopen import NS0, rows_of
from test_hftbacktest_files import DAY, S, events
from test_hftbacktest_preopen import BUY, SELL, npz

from mmsim import Kind
from mmsim.data import hftbacktest as hbt
from mmsim.data._identity import array_digest
from mmsim.errors import DataError

CLEAR, DEPTH = hbt.DEPTH_CLEAR_EVENT, hbt.DEPTH_EVENT

#: Sided clears where the import took them for a snapshot's clear of the whole book (each came back as one CLEAR 0):
#: first in the file (its first exchange time), and at a time that also has a whole-book CLEAR, one side cleared
#: alone later.
LAYOUTS = {
    "first_in_file": [(0, Kind.CLEAR, 1, 0, 0, 0), (0, Kind.CLEAR, -1, 0, 0, 0), (0, Kind.DEPTH, 1, 400, 5, 0),
                      (0, Kind.DEPTH, -1, 402, 4, 0), (S, Kind.DEPTH, 1, 401, 1, 0)],
    "with_a_whole_book_clear": [(0, Kind.DEPTH, 1, 400, 5, 0), (0, Kind.DEPTH, -1, 402, 4, 0),
                                (S, Kind.CLEAR, 0, 0, 0, 0), (S, Kind.DEPTH, 1, 399, 3, 0),
                                (S, Kind.CLEAR, 1, 0, 0, 0), (S, Kind.CLEAR, -1, 0, 0, 0),
                                (S, Kind.DEPTH, 1, 398, 2, 0), (S, Kind.DEPTH, -1, 403, 1, 0),
                                (2 * S, Kind.CLEAR, -1, 0, 0, 0), (2 * S, Kind.DEPTH, -1, 404, 6, 0)],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_sided_clears_round_trip_exactly(tmp_path, layout):
    ev = events(LAYOUTS[layout])
    out = hbt.export(ev, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    # Before: the clears of each side at one time came back as one CLEAR 0 (an event fewer, another digest).
    assert rows_of(back.events) == rows_of(ev)
    assert back.meta["events_digest"] == array_digest(ev)
    # One row per event (both flags: local_ts never decreases): the CLEAR 0 sideless, each sided CLEAR its side's flag.
    clears = [int(r) & (hbt.BUY_EVENT | hbt.SELL_EVENT) for r in out["ev"] if int(r) & 0xFF == CLEAR]
    assert len(out) == len(ev)
    assert clears == {"first_in_file": [hbt.BUY_EVENT, hbt.SELL_EVENT],
                      "with_a_whole_book_clear": [0, hbt.BUY_EVENT, hbt.SELL_EVENT, hbt.SELL_EVENT]}[layout]


@pytest.mark.parametrize("rows", [
    [(DAY, CLEAR, BUY, math.nan, 0, 0), (DAY, CLEAR, SELL, math.nan, 0, 0)],  # hftbacktest's Tardis converter
    [(DAY, CLEAR, SELL, math.nan, 0, 0), (DAY, CLEAR, BUY, math.nan, 0, 0)],  # the other way round
])
def test_a_clear_of_each_side_in_a_file_without_the_key_is_one_clear_of_the_book(tmp_path, rows):
    # A file hftbacktest's converters wrote (no mmsim_meta): a clear of each side of a NaN price at one time is a
    # snapshot's clear of the whole book, the store's one CLEAR, as before 17.
    a = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.00, 5, 0), (0, DEPTH, SELL, 100.50, 4, 0)] + rows
            + [(DAY, DEPTH, BUY, 99.75, 2, 0), (DAY, DEPTH, SELL, 100.25, 1, 0)])
    st = hbt.convert([a], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert [r[:3] for r in rows_of(st.events)] == [
        (NS0, "DEPTH", 1), (NS0, "DEPTH", -1), (NS0 + DAY, "CLEAR", 0), (NS0 + DAY, "DEPTH", 1),
        (NS0 + DAY, "DEPTH", -1)]


@pytest.mark.parametrize("bad", ["both", 1])
def test_an_mmsim_meta_clears_of_another_value_is_refused(tmp_path, bad):
    a = np.zeros(2, hbt.HBT_EVENT_DTYPE)
    a[:] = [(DEPTH | BUY | hbt.EXCH_EVENT | hbt.LOCAL_EVENT, NS0, NS0, 100.0, 1, 0, 0, 0.0),
            (DEPTH | SELL | hbt.EXCH_EVENT | hbt.LOCAL_EVENT, NS0, NS0, 100.5, 1, 0, 0, 0.0)]
    p = tmp_path / "a.npz"
    np.savez_compressed(p, data=a, mmsim_meta=np.array(json.dumps({"clears": bad})))
    with pytest.raises(DataError) as e:
        hbt.convert([p], tmp_path / "s", tick_size=0.25, lot_size=1)
    assert str(e.value) == f"{p}: its mmsim_meta clears is {bad!r}, not 'sided'"
