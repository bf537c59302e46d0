"""The recorder-clock shift (docs/data.md, "Recorder clock behind the exchange clock").

When a receive time is before its exchange time, every receive time of the store is shifted by
the most negative difference. A shift set by a few lines far beyond what the rest of the file
needs is a wrong receive time, refused naming the line; a clock behind by a steady amount (the
2024 Binance captures, ~1.27 s) converts with the shift it always had.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from conftest import shared_data
from _corpus import NS0, T0, TD_BOOK_HDR, TD_TRADE_HDR, US0, bn_lines, db_csv_lines, hbt_rows, tardis

import mmsim
from mmsim.data import binance as bn
from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt
from mmsim.data import tardis as tds

LAG = 1_272_156_851  # the USD-M BTCUSDT capture's shift, ns


def _capture(path, locals_ns: list[int]) -> None:
    """bn_lines() (snapshot at T0, diff T0+1, trade T0+2, diff T0+3, bookTicker) received at ``locals_ns``."""
    text = "".join(f"{t} {json.dumps(m)}\n" for t, m in zip(locals_ns, bn_lines()))
    path.write_bytes(gzip.compress(text.encode()))


def _lagged(latencies: list[int], lag: int = LAG) -> list[int]:
    """Receive times of the five lines: exchange time (line 5, the bookTicker: T0+4 ms) - lag + latency."""
    return [(T0 + i) * 1_000_000 - lag + lat for i, lat in enumerate(latencies)]


def test_binance_one_line_5s_behind_is_refused_not_a_shift_of_every_line(tmp_path):
    # The clock is 1,272,156,851 ns behind on every line (each received 1 ms after it happened,
    # less the lag: each needs +1,271,156,851 ns), but line 3, the trade at T0+2 ms, is stamped 5 s
    # before it happened. It would shift every receive time by +5.000 s (every feed latency +3.7 s:
    # on the 2023 capture such a line cut 53 fills to 37). The store's 4 lines with events
    # (snapshot, diff, trade, diff; the bookTicker makes none): k = max(3, 4 // 1000) = 3, capped at
    # 4 - 1 = 3, so what the rest need is the 4th largest need, +1.271156851 s; 5 s is
    # 3.728843149 s beyond it, over the 1 s bound.
    locs = _lagged([1_000_000] * 5)
    exch3 = (T0 + 2) * 1_000_000
    locs[2] = exch3 - 5_000_000_000
    p = tmp_path / "cap.gz"
    _capture(p, locs)
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([p], tmp_path / "s")
    assert str(ei.value) == (
        f"{p}: line 3: receive time {exch3 - 5_000_000_000} is 5.000 s before the exchange time ({exch3}); "
        "shifting every receive time by +5.000 s for it is 3.729 s more than every line but the 3 most behind "
        "needs (at most +1.271 s): a wrong receive time, not a recorder clock behind the venue's (that is behind "
        "on nearly every line); fix or remove the line")
    assert not (tmp_path / "s").exists() and list(tmp_path.iterdir()) == [p]


def test_binance_one_line_just_over_1s_beyond_the_rest_is_refused_and_just_under_converts(tmp_path):
    # The bound, on the same capture without a lag: every line received 1 ms after it happened
    # (needs -1 ms: the rest need none), line 4 (the diff at T0+3 ms) before it happened.
    exch4 = (T0 + 3) * 1_000_000
    for ahead, ok in ((1_000_000_000, True), (1_000_000_001, False)):
        locs = [(T0 + i) * 1_000_000 + 1_000_000 for i in range(5)]
        locs[3] = exch4 - ahead
        p = tmp_path / f"cap{ok}.gz"
        _capture(p, locs)
        if ok:
            st = bn.convert([p], tmp_path / "ok")
            assert st.meta["quirks"]["local_clock_offset_ns"] == 1_000_000_000
            assert st.meta["quirks"]["local_clock_offset_at"] == "capTrue.gz: line 4"
            continue
        with pytest.raises(mmsim.DataError) as ei:
            bn.convert([p], tmp_path / "bad")
        assert str(ei.value).startswith(
            f"{p}: line 4: receive time {exch4 - ahead} is 1.000 s before the exchange time ({exch4}); shifting "
            "every receive time by +1.000 s for it is 1.000000001 s more than every line but the 3 most behind "
            "needs (none): ")


def test_databento_record_5s_behind_is_refused_naming_its_line(tmp_path):
    # The second loader: line 4 of the CSV (the add of order 13, ts_event NS0+300) received 5 s
    # before it happened; every other record 50 ns after. 5 lines make events (lines 2, 3, 4, the
    # fill at 6, the cancel at 8; the T at 5 is covered by its fill, the C at 7 absorbed): k = 3,
    # the 4th largest need is -50 ns, so the rest need none: 5.000 s beyond.
    rows = db_csv_lines()
    parts = rows[3].split(",")
    parts[0] = str(NS0 + 300 - 5_000_000_000)
    rows[3] = ",".join(parts)
    p = tmp_path / "mbo.csv"
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([p], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (
        f"{p}: line 4: receive time {NS0 + 300 - 5_000_000_000} is 5.000 s before the exchange time ({NS0 + 300}); "
        "shifting every receive time by +5.000 s for it is 5.000 s more than every line but the 3 most behind needs "
        "(none): a wrong receive time, not a recorder clock behind the venue's (that is behind on nearly every "
        "line); fix or remove the line")


def test_hftbacktest_record_5s_behind_is_refused_naming_its_record(tmp_path):
    # The same in an hftbacktest file, whose positions are records: record 4 (the trade) received
    # 5 s before it happened, the others when they happened (need 0: none).
    rows = hbt_rows()
    rows[3]["local_ts"] = rows[3]["exch_ts"] - 5_000_000_000
    p = tmp_path / "data.npz"
    np.savez_compressed(p, data=rows)
    with pytest.raises(mmsim.DataError) as ei:
        hbt.convert([p], tmp_path / "s")
    t = int(rows[3]["exch_ts"])
    assert str(ei.value).startswith(
        f"{p}: record 4: receive time {t - 5_000_000_000} is 5.000 s before the exchange time ({t}); shifting every "
        "receive time by +5.000 s for it is 5.000 s more than every record but the 3 most behind needs (none): ")


def test_binance_steady_1_27s_lag_converts_with_the_shift_of_the_line_most_behind(tmp_path):
    # The 2024 captures: the clock 1,272,156,851 ns behind on every line, the latencies 0.3, 0,
    # 0.25 and 0.9 ms. The shift is the largest need, line 2's (latency 0): the lag exactly, as
    # before; every receive time becomes its exchange time + its latency.
    lats = [300_000, 0, 250_000, 900_000, 100_000]
    p = tmp_path / "cap.gz"
    _capture(p, _lagged(lats))
    st = bn.convert([p], tmp_path / "s")
    assert st.meta["quirks"]["local_clock_offset_ns"] == LAG
    assert st.meta["quirks"]["local_clock_offset_at"] == "cap.gz: line 2"
    ev = np.asarray(st.events)
    lat_of = {(T0 + i) * 1_000_000: lat for i, lat in enumerate(lats)}
    assert [int(e["local_ts"] - e["exch_ts"]) for e in ev] == [lat_of[int(t)] for t in ev["exch_ts"]]
    assert sorted(set((ev["local_ts"] - ev["exch_ts"]).tolist())) == [0, 250_000, 300_000, 900_000]


def test_hftbacktest_steady_lag_converts_with_the_same_shift(tmp_path):
    # The same lag in an hftbacktest file of 6 records (latencies 0 to 5 us): shift = the lag.
    rows = hbt_rows()
    rows["local_ts"] = rows["exch_ts"] - LAG + np.arange(6) * 1000
    p = tmp_path / "data.npz"
    np.savez_compressed(p, data=rows)
    st = hbt.convert([p], tmp_path / "s")
    assert st.meta["quirks"]["local_clock_offset_ns"] == LAG
    assert st.meta["quirks"]["local_clock_offset_at"] == "data.npz: record 1"


def test_tardis_trade_5s_behind_is_refused_naming_its_line_in_the_trades_file(tmp_path):
    # The fourth loader: a snapshot at US0, updates at US0 + 6 s and + 7 s, each row received 100 us
    # after it happened; the trade (trades file, line 2) happened at US0 + 6.5 s and is stamped
    # received at US0 + 1.5 s, 5 s before. Merged by receive time it still comes after the snapshot.
    # 5 lines make events (the snapshot's 2 rows, 2 updates, the trade): k = min(3, 5 - 1) = 3; the
    # 4th largest need is -100 us, so the rest need none.
    book = [TD_BOOK_HDR] + [f"ex,XUSDT,{US0 + dt},{US0 + dt + 100},{snap},{side},{px},1" for dt, snap, side, px in
                            [(0, "true", "bid", "10.0"), (0, "true", "ask", "10.5"), (6_000_000, "false", "bid", "10.0"),
                             (7_000_000, "false", "ask", "10.5")]]
    trades = [TD_TRADE_HDR, f"ex,XUSDT,{US0 + 6_500_000},{US0 + 1_500_000},t1,sell,10.0,1"]
    srcs, _ = tardis(tmp_path, book=book, trades=trades)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    t = (US0 + 6_500_000) * 1000
    assert str(ei.value) == (
        f"{srcs[1]}: line 2: receive time {t - 5_000_000_000} is 5.000 s before the exchange time ({t}); shifting "
        "every receive time by +5.000 s for it is 5.000 s more than every line but the 3 most behind needs (none): a "
        "wrong receive time, not a recorder clock behind the venue's (that is behind on nearly every line); fix or "
        "remove the line")
    # Stamped 0.9 s before it happened instead (received at US0 + 5.6 s): within 1 s of the rest, a shift.
    trades[1] = f"ex,XUSDT,{US0 + 6_500_000},{US0 + 5_600_000},t1,sell,10.0,1"
    srcs, _ = tardis(tmp_path, book=book, trades=trades)
    st = tds.convert(srcs, tmp_path / "ok")
    assert st.meta["quirks"]["local_clock_offset_ns"] == 900_000_000
    assert st.meta["quirks"]["local_clock_offset_at"] == "trades.csv: line 2"


@pytest.mark.parametrize("folder, name, shift, line", [
    ("usdm", "btcusdt_20240808.gz", 1_272_156_851, 92886),
    ("usdm", "ethusdt_20240808.gz", 1_272_228_703, 70852),
    ("spot", "btcusdt_20240808.gz", 1_274_761_454, 39733),
    ("usdm_2023", "btcusdt_20230404.dat.gz", 18_836_000, 12962),
])
def test_every_sample_capture_keeps_its_shift(folder, name, shift, line, real_store):
    # The shifts (and lines) every sample capture converted with before the refusal: their line most
    # behind is about 2, 2, 2 and 8 ms beyond what all but their 2,785, 2,065, 1,320 and 651 lines most
    # behind (10%) need, far inside the 1 s bound.
    st = real_store("binance", "binance", folder, name)
    assert st.meta["quirks"]["local_clock_offset_ns"] == shift
    assert st.meta["quirks"]["local_clock_offset_at"] == f"{name}: line {line}"


def test_a_snapshot_received_5s_early_counts_as_one_line_and_is_refused_tardis(tmp_path):
    # A breaker's find: a Tardis snapshot's levels are rows of their own, so 8 snapshot rows stamped
    # received 5 s before they happened were 8 "lines", more than k = 3: not outliers, and the whole
    # file was shifted +5 s. Rows received together (same exchange and receive times) are one line:
    # the snapshot is 1 of 21 (k = 3); the 20 updates, each received 100 us late, need none.
    snap = [f"ex,XUSDT,{US0 + 5_000_000},{US0},true,{side},{px},1"
            for side, px in [("bid", f"{10 - i * 0.5}") for i in range(4)] + [("ask", f"{10.5 + i * 0.5}") for i in range(4)]]
    upd = [f"ex,XUSDT,{US0 + 5_000_000 + k * 1000},{US0 + 5_000_000 + k * 1000 + 100},false,bid,10.0,{k + 2}"
           for k in range(1, 21)]
    srcs, _ = tardis(tmp_path, book=[TD_BOOK_HDR] + snap + upd, trades=[TD_TRADE_HDR])
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    t = (US0 + 5_000_000) * 1000
    assert str(ei.value) == (
        f"{srcs[0]}: line 2: receive time {US0 * 1000} is 5.000 s before the exchange time ({t}); shifting every "
        "receive time by +5.000 s for it is 5.000 s more than every line but the 3 most behind needs (none): a "
        "wrong receive time, not a recorder clock behind the venue's (that is behind on nearly every line); fix or "
        "remove the line")


def test_a_snapshot_received_5s_early_counts_as_one_record_and_is_refused_hftbacktest(tmp_path):
    # The same in an hftbacktest file: 8 snapshot records, then 20 depth updates received 100 ns late.
    from mmsim.data.hftbacktest import DEPTH_EVENT, DEPTH_SNAPSHOT_EVENT, EXCH_EVENT, LOCAL_EVENT, BUY_EVENT, SELL_EVENT

    t0 = 1_700_000_000_000_000_000
    rows = np.zeros(28, hbt_rows().dtype)
    for i in range(8):
        bid = i < 4
        rows[i] = (DEPTH_SNAPSHOT_EVENT | EXCH_EVENT | LOCAL_EVENT | (BUY_EVENT if bid else SELL_EVENT), t0 + 5 * 10**9, t0,
                   (10.0 - 0.5 * i) if bid else (10.5 + 0.5 * (i - 4)), 1.0, 0, 0, 0.0)
    for k in range(20):
        ts = t0 + 5 * 10**9 + (k + 1) * 1000
        rows[8 + k] = (DEPTH_EVENT | EXCH_EVENT | LOCAL_EVENT | BUY_EVENT, ts, ts + 100, 10.0, float(k + 2), 0, 0, 0.0)
    p = tmp_path / "data.npz"
    np.savez_compressed(p, data=rows)
    with pytest.raises(mmsim.DataError) as ei:
        hbt.convert([p], tmp_path / "s")
    assert str(ei.value).startswith(
        f"{p}: record 1: receive time {t0} is 5.000 s before the exchange time ({t0 + 5 * 10**9}); shifting every "
        "receive time by +5.000 s for it is 5.000 s more than every record but the 3 most behind needs (none): ")
    assert str(ei.value).endswith("fix or remove the record")


def test_several_lines_far_behind_are_counted_in_the_refusal(tmp_path):
    # A breaker's find: a recorder clock stepping back near the end was named as one wrong line. Lines
    # 3 and 4 stamped 2.0 s and 2.5 s before they happened, the others 1 ms after: 4 lines with events,
    # k = 3, the rest need none; the line most behind is named and both are counted.
    locs = [(T0 + i) * 1_000_000 + 1_000_000 for i in range(5)]
    exch3, exch4 = (T0 + 2) * 1_000_000, (T0 + 3) * 1_000_000
    locs[2], locs[3] = exch3 - 2_000_000_000, exch4 - 2_500_000_000
    p = tmp_path / "cap.gz"
    _capture(p, locs)
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([p], tmp_path / "s")
    assert str(ei.value) == (
        f"{p}: line 4: receive time {exch4 - 2_500_000_000} is 2.500 s before the exchange time ({exch4}); "
        "shifting every receive time by +2.500 s for it is 2.500 s more than every line but the 3 most behind "
        "needs (none): a wrong receive time, not a recorder clock behind the venue's (that is behind on nearly "
        "every line); 2 lines are more than 1.000 s beyond the rest (this one the most): fix or remove them (a "
        "recorder clock that stepped back: convert the lines before and after the step apart)")


def test_the_refusal_names_the_unit_of_the_file_the_record_is_in(tmp_path):
    # A breaker's find: a DBN file then a CSV as one Databento stream; line 5 of the CSV (the cancel at
    # NS0+500) received 5 s early was called a "record" (the first file's unit) in the reason.
    from _corpus import DB_ROWS, dbn_bytes

    a = tmp_path / "a.dbn"
    a.write_bytes(dbn_bytes(DB_ROWS[:3]))
    lines = db_csv_lines(DB_ROWS[3:])
    parts = lines[4].split(",")
    parts[0] = str(NS0 + 500 - 5_000_000_000)
    lines[4] = ",".join(parts)
    b = tmp_path / "b.csv"
    b.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as ei:
        dbt.convert([a, b], tmp_path / "s", tick_size=0.25)
    assert str(ei.value) == (
        f"{b}: line 5: receive time {NS0 + 500 - 5_000_000_000} is 5.000 s before the exchange time ({NS0 + 500}); "
        "shifting every receive time by +5.000 s for it is 5.000 s more than every line but the 3 most behind needs "
        "(none): a wrong receive time, not a recorder clock behind the venue's (that is behind on nearly every "
        "line); fix or remove the line")


def test_seven_lines_5s_behind_in_a_real_capture_are_refused_not_a_shift(tmp_path):
    # A breaker's find: with k = 0.1% of the lines (6 on the 2023 capture's event lines), 7 receive times
    # 5 s early were "the rest" and shifted the whole file +5 s (66 fills of a FixedSpread run became 28).
    # k is 10% of the lines: a clock behind the venue's is behind on nearly every line, so what 90% of the
    # lines need is what the clock needs. The line most behind is named and the seven are counted.
    src = shared_data("binance", "usdm_2023", "btcusdt_20230404.dat.gz")
    lines = gzip.decompress(src.read_bytes()).decode().splitlines(keepends=True)
    edited = [3001, 3195, 3389, 3583, 3680, 3777, 4068]
    for n in edited:
        t, rest = lines[n - 1].split(" ", 1)
        assert "depthUpdate" in rest or "aggTrade" in rest or "trade" in rest
        lines[n - 1] = f"{int(t) - 5_000_000} {rest}"
    p = tmp_path / "seven.dat.gz"
    p.write_bytes(gzip.compress("".join(lines).encode()))
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([p], tmp_path / "s")
    msg = str(ei.value)
    assert msg.startswith(f"{p}: line ") and " is 5.0" in msg
    assert int(msg.split(": line ")[1].split(":")[0]) in edited
    assert "7 lines are more than 1.000 s beyond the rest (this one the most): fix or remove them" in msg
    assert not (tmp_path / "s").exists()
