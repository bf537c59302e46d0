"""hftbacktest ``.npz`` import: a price or size on a fine grid, beyond about 2**33 ticks or lots, is on the grid
within the float's own resolution (docs/data.md, "hftbacktest .npz")."""

from __future__ import annotations

import re

import pytest
from test_hftbacktest_preopen import BUY, SELL, npz

import mmsim
from mmsim.data import hftbacktest as hbt

DEPTH = hbt.DEPTH_EVENT


@pytest.mark.parametrize(("lot", "sizes", "lots"), [
    # 133.83798 (a hand-made file's nearest double) / 1e-08 is 13383797999.999998; the export of 13383798000 lots
    # writes 133.83798000000002, which divides to 13383798000.000002: each one float step (1.9e-6) off.
    (1e-08, (133.83798, 133.83798000000002), 13383798000),
    (1e-06, (134990.24473, 134990.24473), 134990244730),  # 134990244730.00002
])
def test_a_large_size_on_a_fine_lot_is_a_whole_number_of_lots(tmp_path, lot, sizes, lots):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 60000.00, sizes[0], 0), (0, DEPTH, SELL, 60000.01, sizes[1], 0)])
    st = hbt.convert([f], tmp_path / "s", tick_size=0.01, lot_size=lot)
    assert st.events["qty"].tolist() == [lots, lots]


def test_a_large_price_on_a_fine_tick_is_on_the_grid(tmp_path):
    # 330.19318 / 1e-08 is 33019317999.999996 and 330.19323 / 1e-08 is 33019323000.000004 (a float step, 3.8e-6, off).
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 330.19318, 1, 0), (0, DEPTH, SELL, 330.19323, 1, 0)])
    st = hbt.convert([f], tmp_path / "s", tick_size=1e-08, lot_size=1)
    assert st.events["price"].tolist() == [33019318000, 33019323000]


@pytest.mark.parametrize(("qty", "shown"), [(5e-09, "5e-09"), (133.838000005, "133.838000005")])
def test_half_a_lot_is_still_refused(tmp_path, qty, shown):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 60000.00, 1, 0), (0, DEPTH, SELL, 60000.01, qty, 0)])
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: record 2: size {shown} is not a whole number of lots (lot size 1e-08)")):
        hbt.convert([f], tmp_path / "s", tick_size=0.01, lot_size=1e-08)


def test_half_a_tick_is_still_refused(tmp_path):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 330.193180005, 1, 0)])
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: record 1: price 330.193180005 is off the tick grid (tick size 1e-08)")):
        hbt.convert([f], tmp_path / "s", tick_size=1e-08, lot_size=1)
