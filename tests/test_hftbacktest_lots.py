"""hftbacktest ``.npz`` import: a price or size on a fine grid, beyond about 2**33 ticks or lots, is on the grid
within the float's own resolution (docs/data.md, "hftbacktest .npz")."""

from __future__ import annotations

import re

import numpy as np

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


@pytest.mark.parametrize(("qty", "shown", "lot"), [(5e-09, "5e-09", 1e-08), (133.838000005, "133.838000005", 1e-08),
                                                   # breaker15d: from 2**49 lots 4 float steps were half a lot
                                                   (2.0**49 + 0.5, "562949953421312.5", 1.0)], ids=str)
def test_half_a_lot_is_still_refused(tmp_path, qty, shown, lot):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 60000.00, 1, 0), (0, DEPTH, SELL, 60000.01, qty, 0)])
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: record 2: size {shown} is not a whole number of lots (lot size {lot!r})")):
        hbt.convert([f], tmp_path / "s", tick_size=0.01, lot_size=lot)


def test_half_a_tick_is_still_refused(tmp_path):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 330.193180005, 1, 0)])
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: record 1: price 330.193180005 is off the tick grid (tick size 1e-08)")):
        hbt.convert([f], tmp_path / "s", tick_size=1e-08, lot_size=1)


META = ("tick_size", "lot_size", "contract_size", "symbol", "venue", "time_zone")


def test_the_spot_store_round_trips_with_its_lot_and_symbol(tmp_path, real_store):
    """The export carries the store's meta (mmsim_meta): imported with no flags, Binance spot's lot is 1e-08, not
    the 1e-06 its sizes' common step gives (before, every quantity in lots meant 100x another thing), and its symbol
    is BTCUSDT, not blank; the events are the store's, each one."""
    st = real_store("binance", "binance", "spot", "btcusdt_20240808.gz")
    f = tmp_path / "spot.npz"
    hbt.export(st, f)
    back = hbt.convert([f], tmp_path / "back")
    assert {k: back.meta[k] for k in META} == {
        "tick_size": 0.01, "lot_size": 1e-08, "contract_size": 1.0, "symbol": "BTCUSDT", "venue": "binance-spot",
        "time_zone": "UTC"}
    assert np.array_equal(np.asarray(back.events), np.asarray(st.events))
    assert int(st.events["qty"].max()) > 2**33  # sizes a float does not hold exactly on the 1e-08 lot (above)
    # Flags equal to the file's are fine; one that differs is refused, naming both.
    assert len(hbt.convert([f], tmp_path / "b2", tick_size=0.01, lot_size=0.00000001)) == len(st)
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: lot_size 1e-06 given (--lot-size), but the file says its sizes are in lots of 1e-08 "
            "(its mmsim_meta, written by mmsim's export): leave --lot-size out")):
        hbt.convert([f], tmp_path / "b3", lot_size=1e-06)


def test_a_synthetic_store_round_trips_with_its_meta(tmp_path):
    """A store of lot 1e-08 and sizes beyond 2**33 lots, tick 0.5, contract size 0.001, symbol XBT-PERP: imported
    with no flags as itself; a --symbol given wins; a --tick-size that differs is refused."""
    from test_hftbacktest_files import events

    from mmsim import Kind

    ev = events([(0, Kind.DEPTH, 1, 120_000, 13383798000, 0), (0, Kind.DEPTH, -1, 120_001, 2**34 + 1, 0),
                 (10, Kind.TRADE, -1, 120_000, 13383797999, 0), (20, Kind.DEPTH, 1, 120_000, 1, 0)])
    meta = {"symbol": "XBT-PERP", "venue": "deribit", "tick_size": 0.5, "lot_size": 1e-08, "contract_size": 0.001,
            "time_zone": "UTC", "levels": "L2"}
    st = mmsim.data.write_store(tmp_path / "st", ev, meta)
    f = tmp_path / "x.npz"
    hbt.export(st, f)
    back = hbt.convert([f], tmp_path / "back")
    assert {k: back.meta[k] for k in META} == {k: meta[k] for k in META}
    assert np.array_equal(np.asarray(back.events), ev)
    assert hbt.convert([f], tmp_path / "b2", symbol="BTC-PERPETUAL").meta["symbol"] == "BTC-PERPETUAL"
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: tick_size 0.25 given (--tick-size), but the file says its prices are in ticks of 0.5 "
            "(its mmsim_meta, written by mmsim's export): leave --tick-size out")):
        hbt.convert([f], tmp_path / "b3", tick_size=0.25)
    # A bare array's export carries the sizes given (no symbol): 100 and 200 lots of 1e-08 import as such, not as 1 and
    # 2 lots of 1e-06 (their common step, inferred for a file without mmsim_meta: hftbacktest's own).
    bare = events([(0, Kind.DEPTH, 1, 120_000, 100, 0), (0, Kind.DEPTH, -1, 120_001, 200, 0)])
    g = tmp_path / "bare.npz"
    hbt.export(bare, g, tick_size=0.5, lot_size=1e-08)
    b4 = hbt.convert([g], tmp_path / "b4")
    assert (b4.meta["lot_size"], b4.meta["symbol"], b4.events["qty"].tolist()) == (1e-08, "", [100, 200])
    np.savez_compressed(g, data=np.load(g)["data"])  # the same rows without mmsim_meta
    b5 = hbt.convert([g], tmp_path / "b5")
    assert (b5.meta["lot_size"], b5.events["qty"].tolist()) == (1e-06, [1, 2])


@pytest.mark.parametrize(("meta", "why"), [
    ("{lot", "its mmsim_meta array is not readable (Expecting property name enclosed in double quotes: line 1 "
             "column 2 (char 1))"),
    ('{"lot_size": "1e-08"}', "its mmsim_meta lot_size is '1e-08', not a positive number from 1e-12 to 1e12"),
    ('[1]', "its mmsim_meta is not a JSON object"),
    # breaker15d: Infinity and a 401-digit integer got through, then overflowed in a traceback.
    ('{"tick_size": Infinity, "lot_size": 1e-08}', "its mmsim_meta tick_size is inf, not a positive number from "
     "1e-12 to 1e12"),
    ('{"contract_size": 1' + "0" * 400 + '}', "its mmsim_meta contract_size is 'an integer of 401 digits', not a "
     "positive number from 1e-12 to 1e12"),
    # npz16: a time zone zoneinfo does not know went into the store's meta.json unchecked.
    ('{"time_zone": "Mars/Olympus"}', "its mmsim_meta time_zone is 'Mars/Olympus', not an IANA time zone name "
     "(such as 'UTC' or 'America/Chicago')"),
    ('{"time_zone": ""}', "its mmsim_meta time_zone is '', not an IANA time zone name (such as 'UTC' or "
     "'America/Chicago')"),
    ('{"time_zone": "America"}', "its mmsim_meta time_zone is 'America', not an IANA time zone name (such as 'UTC' "
     "or 'America/Chicago')"),
    ('{"time_zone": "../../etc/passwd"}', "its mmsim_meta time_zone is '../../etc/passwd', not an IANA time zone "
     "name (such as 'UTC' or 'America/Chicago')"),
    ('{"time_zone": 5}', "its mmsim_meta time_zone is 5, not a string"),
])
def test_a_bad_mmsim_meta_is_an_error_naming_the_file(tmp_path, meta, why):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(meta))
    with pytest.raises(mmsim.DataError, match=re.escape(f"{f}: {why}")):
        hbt.convert([f], tmp_path / "s")


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Etc/GMT+5"])
def test_an_mmsim_meta_time_zone_zoneinfo_knows_is_the_stores(tmp_path, zone):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(f'{{"time_zone": "{zone}"}}'))
    assert hbt.convert([f], tmp_path / "s").meta["time_zone"] == zone


def test_files_of_one_stream_with_different_lots_are_refused(tmp_path):
    rows = [(0, DEPTH, BUY, 100.0, 1, 0)]
    a, b = npz(tmp_path / "a.npz", rows), npz(tmp_path / "b.npz", rows)
    for f, lot in ((a, 1e-08), (b, 1e-06)):
        np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(f'{{"lot_size": {lot}}}'))
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{b}: its mmsim_meta lot_size 1e-06 differs from {a}'s 1e-08: files of one stream are in one tick, "
            "lot and symbol")):
        hbt.convert([a, b], tmp_path / "s")
