"""loadbreak18: messy inputs for each loader (docs/data.md), and ``--trade-implied-book`` of hftbacktest files read
once.

Each finding pins the events its input converts to (hand-computed, field by field) or the one-line error naming the
file and line or record; the second case of each kind is beside the first.
"""

from __future__ import annotations

import numpy as np
import pytest

import mmsim
from mmsim.data import _hftbacktest_read as hread
from mmsim.data._hftbacktest_read import (
    ADD_ORDER_EVENT,
    BUY_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    HBT_EVENT_DTYPE,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
)

NS0 = 1_700_000_000 * 10**9
BOTH = EXCH_EVENT | LOCAL_EVENT


def _hbt(rows):
    """hftbacktest rows (ev, exch offset ns, px, qty, order id), local_ts 1 us after exch_ts."""
    a = np.zeros(len(rows), HBT_EVENT_DTYPE)
    for i, (ev, t, px, qty, oid) in enumerate(rows):
        a[i] = (ev, NS0 + t, NS0 + t + 1000, px, qty, oid, 0, 0.0)
    return a


def _l2_day(shift: int = 0):
    """An L2 day: a book of a bid at 100 and an ask at 101, a sell print at the bid, the bid's next update."""
    return _hbt([(DEPTH_EVENT | BOTH | BUY_EVENT, shift + 1_000, 100.0, 3.0, 0),
                 (DEPTH_EVENT | BOTH | SELL_EVENT, shift + 1_000, 101.0, 2.0, 0),
                 (TRADE_EVENT | BOTH | SELL_EVENT, shift + 2_000, 100.0, 1.0, 0),
                 (DEPTH_EVENT | BOTH | BUY_EVENT, shift + 3_000, 100.0, 2.0, 0)])


@pytest.fixture
def npz_reads(monkeypatch):
    """The files whose event array is read (each start of a pass over a .npz's ``data``), in order."""
    seen: list[str] = []
    real = hread._read_npy_stream

    def counted(path, f):
        seen.append(path.name)
        return real(path, f)

    monkeypatch.setattr(hread, "_read_npy_stream", counted)
    return seen


@pytest.mark.parametrize("grid", [["--tick-size", "1", "--lot-size", "1"], []])
def test_trade_implied_book_of_npz_files_reads_each_file_as_often_as_a_plain_conversion(tmp_path, npz_reads, grid):
    """Each file's event array is read once by the conversion (twice with the grid inferred: the inference's pass),
    no more for the trade-implied book: before, a pass of its own looked for an L3 row first (2 and 3 reads)."""
    from mmsim.cli import main

    np.savez_compressed(tmp_path / "a.npz", data=_l2_day())
    np.savez_compressed(tmp_path / "b.npz", data=_l2_day(10_000))
    files = [str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]
    per_file = 1 if grid else 2
    assert main(["convert", *files, "-o", str(tmp_path / "plain"), "--format", "hftbacktest", "-q", *grid]) == 0
    assert npz_reads == ["a.npz", "b.npz"] * per_file  # the grid's pass over both files, then the conversion's
    npz_reads.clear()
    assert main(["convert", *files, "-o", str(tmp_path / "implied"), "--format", "hftbacktest", "-q",
                 "--trade-implied-book", *grid]) == 0
    assert npz_reads == ["a.npz", "b.npz"] * per_file
    # each day's sell print of 1 lot at the bid of 3 reduced it to 2 until the bid's next update: 1 print, reduced 1,
    # restored 1 a day
    assert mmsim.load(tmp_path / "implied").meta["quirks"]["trade_implied_book"] == {
        "prints": 2, "hidden": 0, "reduced": 2, "restored": 2}


@pytest.mark.parametrize("grid", [["--tick-size", "1", "--lot-size", "1"], []])
def test_an_l3_npz_is_refused_for_a_trade_implied_book_by_the_conversion_reading_it_once(tmp_path, capsys, npz_reads,
                                                                                        grid):
    """The refusal names the file and the first exchange-side L3 row's record (every row counted: the local-only twin
    at record 3 too), said by the conversion's one pass; nothing is written."""
    from mmsim.cli import main

    rows = _l2_day()
    l3 = np.concatenate([rows[:2], _hbt([(ADD_ORDER_EVENT | LOCAL_EVENT | BUY_EVENT, 1_500, 99.0, 1.0, 7),
                                         (ADD_ORDER_EVENT | EXCH_EVENT | BUY_EVENT, 1_500, 99.0, 1.0, 7)]), rows[2:]])
    l3["local_ts"][2:4] = l3["local_ts"][1]
    np.savez_compressed(tmp_path / "a.npz", data=l3)
    capsys.readouterr()
    assert main(["convert", str(tmp_path / "a.npz"), "-o", str(tmp_path / "out"), "--format", "hftbacktest",
                 "--trade-implied-book", *grid]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {tmp_path / 'a.npz'}: record 4: ADD_ORDER_EVENT, an L3 row: a "
                                       "trade-implied book needs L2 data (on L3 data each execution removes its "
                                       "order: there is nothing to imply)\n")
    assert npz_reads == ["a.npz"]  # the first pass (the grid's, or the conversion's) says it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]
