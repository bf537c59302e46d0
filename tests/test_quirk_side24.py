"""A kept ``quirks.prints_through_book`` names its print by ``event`` and ``price_ticks`` (fix26a) and now by its
``side`` too (lead, 24): a hand-edited side loaded, and the report and convert warning described a buy where the
store holds a sell (the 4-event store of tests/test_fix26a.py: event 2 is a sell, aggressor side -1, at 100 ticks)."""

from __future__ import annotations

import pytest
from test_fix26a import _edited, _quirk, _store


@pytest.mark.parametrize("side", [1, 0])
def test_a_quirk_whose_side_is_not_its_prints_is_refused(tmp_path, side):
    # A buy (side 1) at 100 ticks is through the book above a best ask of 10 ticks, not of 1000 (the quirk's: that
    # record is refused by its own values first since fix32a, tests/test_fix32a_through.py).
    edit = _quirk(side=side, best_ticks=10) if side == 1 else _quirk(side=side)
    assert _edited(tmp_path, edit) == (
        f"key 'quirks.prints_through_book' side is {side}, but event 2, the TRADE it describes, has aggressor side -1")


def test_the_side_a_store_writes_loads(tmp_path):
    import mmsim
    from mmsim.data._identity import verify_store

    _store(tmp_path)
    verify_store(mmsim.load(tmp_path / "s"))  # its own quirk, side -1: no error
