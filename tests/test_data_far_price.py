"""A price too far from the book (the store's replay refuses it) is quoted as the file writes it, in every loader.

The replay check counts in ticks; a loader gives it its prices as written (``EventStoreWriter.quote``),
so that the message quotes both ends as the user reads them in the file, with the other end's line or
record. Tardis and Binance: ``tests/test_data_messy.py``; LOBSTER, Databento and hftbacktest here.
"""

from __future__ import annotations

import pytest
from _corpus import DB_ROWS, LOB_MSG, databento_csv, databento_dbn, db_csv_lines, dbn_bytes, hbt_file, hbt_rows, lobster

import mmsim
from mmsim.data import convert
from mmsim.data import hftbacktest as hbt

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
    assert str(ei.value) == (f"{mp}: line 6: price 100000000000050 is too far from price 1000200 ({mp}: line 1, event 1)"
                             f" {_WHY} (event 8 of the store)")


# ----------------------------------------------------------------------------- Databento


def test_databento_csv_far_price_is_quoted_as_the_line_writes_it(tmp_path):
    # Line 3 adds an ask at 4800000000.00 (1.92e10 ticks of 0.25), more than 2^34 ticks from the bid
    # at 4800.00 on line 2 (event 0). It was "price 19200000000 is too far from price 19200 (event 0)".
    rows = list(DB_ROWS)
    rows[1] = (200, "A", "A", "4800000000.00", 1, 12, 130)
    srcs, p = databento_csv(tmp_path, db_csv_lines(rows))
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="databento", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 3: price 4800000000.00 is too far from price 4800.00 ({p}: line 2, event 0)"
                             f" {_WHY} (event 1 of the store)")


def test_databento_dbn_far_price_is_quoted_as_a_decimal_and_csv_fixed_point_as_written(tmp_path):
    # A DBN record holds fixed-point 1e-9 integers: record 2's 4800000000250000000 is quoted as the
    # decimal 4800000000.25, record 1's 4800000000000 as 4800, each with its record.
    srcs, p = databento_dbn(tmp_path, dbn_bytes(price_override={1: 4_800_000_000_250_000_000}), zst=False)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="databento", tick_size=0.25)
    assert str(ei.value) == (f"{p}: record 2: price 4800000000.25 is too far from price 4800 ({p}: record 1, event 0)"
                             f" {_WHY} (event 1 of the store)")
    # A CSV of 1e-9 integers: quoted as those integers, as the line writes them.
    d = tmp_path / "fixed"
    d.mkdir()
    rows = [(dt, a, s, str(int(float(px) * 10**9)), q, o, f) for dt, a, s, px, q, o, f in DB_ROWS]
    rows[1] = (200, "A", "A", "4800000000250000000", 1, 12, 130)
    srcs, p = databento_csv(d, db_csv_lines(rows))
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, d / "s", format="databento", tick_size=0.25)
    assert str(ei.value) == (f"{p}: line 3: price 4800000000250000000 is too far from price 4800000000000 ({p}: line 2, "
                             f"event 0) {_WHY} (event 1 of the store)")


# ----------------------------------------------------------------------------- hftbacktest


def test_hftbacktest_far_price_is_quoted_as_the_stored_float(tmp_path):
    # Record 2's bid at 12345678901.5 (24691357803 ticks of 0.5) is more than 2^34 ticks from record
    # 1's bid at 10.0 (event 0): quoted as the float reads back (repr), not "%g" (1.23457e+10) nor
    # ticks (it was "price 24691357803 is too far from price 20 (event 0)").
    rows = hbt_rows()
    rows[1]["px"] = 12345678901.5
    srcs, p = hbt_file(tmp_path, rows)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="hftbacktest", tick_size=0.5, lot_size=1.0)
    assert str(ei.value) == (f"{p}: record 2: price 12345678901.5 is too far from price 10.0 ({p}: record 1, event 0)"
                             f" {_WHY} (event 1 of the store)")


def test_hftbacktest_far_price_first_is_quoted_at_the_other_end(tmp_path):
    # The far price comes first (record 1, an ask at 1e13); record 2's bid at 9.5 is refused against it.
    rows = hbt_rows()
    rows[0]["ev"] = (int(rows[0]["ev"]) & ~hbt.BUY_EVENT) | hbt.SELL_EVENT
    rows[0]["px"] = 1e13
    srcs, p = hbt_file(tmp_path, rows, npy=True)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="hftbacktest", tick_size=0.5, lot_size=1.0)
    assert str(ei.value) == (f"{p}: record 2: price 9.5 is too far from price 10000000000000.0 ({p}: record 1, event 0)"
                             f" {_WHY} (event 1 of the store)")
