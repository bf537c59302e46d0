"""A price too far from the book (the store's replay refuses it) is quoted as the file writes it, in every loader.

The replay check counts in ticks; a loader gives it its prices as written (``EventStoreWriter.quote``),
so that the message quotes both ends as the user reads them in the file, with the other end's line or
record. Tardis and Binance: ``tests/test_data_messy.py``; LOBSTER, Databento and hftbacktest here.
"""

from __future__ import annotations

import pytest
from _corpus import LOB_MSG, lobster

import mmsim
from mmsim.data import convert

_WHY = "for one book: more than 2^22 pages of 4096 ticks (about 2^34 ticks) apart; check the tick size"


# ----------------------------------------------------------------------------- LOBSTER


def test_lobster_far_price_is_quoted_as_the_integer_the_message_file_writes(tmp_path):
    # Line 2 submits an ask at 100000000000000 (dollars x 10000: 1e12 ticks of $0.01), more than 2^34
    # ticks from the ask at 1000200 seeded from the first orderbook row (named by message line 1,
    # event 1 after the CLEAR). It was "price 1000000000000 is too far from price 10002 (event 1)":
    # ticks, numbers neither file has.
    m = list(LOB_MSG)
    m[1] = "34200.2,1,102,5,100000000000000,-1"
    srcs, mp = lobster(tmp_path, msg=m)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="lobster")
    assert str(ei.value) == (f"{mp}: line 2: price 100000000000000 is too far from price 1000200 ({mp}: line 1, event 1)"
                             f" {_WHY} (event 3 of the store)")


def test_lobster_far_hidden_trade_is_quoted_off_the_grid_as_written_not_rounded(tmp_path):
    # A hidden execution (type 5) at a sub-penny price is rounded to the grid (down, for a buyer);
    # the message quotes the price the file writes, 100000000000050, not the rounded one.
    m = list(LOB_MSG)
    m[5] = "34200.6,5,0,3,100000000000050,-1"
    srcs, mp = lobster(tmp_path, msg=m)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="lobster")
    assert str(ei.value).startswith(f"{mp}: line 6: price 100000000000050 is too far from price 1000200 ({mp}: line 1, "
                                    f"event 1) {_WHY} (event ")
