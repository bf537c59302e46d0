"""breaker29 findings 4, 5, 6, 9 and the LOBSTER file-name window of 12 (fix30b): per-file rules of a store.

- 4: a Binance store holds one venue (a spot capture then a USD-M one made one ``binance-spot`` store);
- 5: the captures of one Binance store share one recorder-clock shift, so captures whose clocks need shifts more
  than 100 ms apart are refused (the 2023 capture got the 2024 recorder's +1.27 s);
- 6: a capture whose trades come only on ``aggTrade`` says so on the summary line; a partial-depth stream is
  counted under its name (``depth20``), not its speed (``100ms``);
- 9: a time jumped far forward on a file's last events (more than 10 min and 10x the rest of the file's span) is
  recorded naming the line (one last line +30 days made a 12 s capture a 30-day store): ``quirks.time_jump_at_end``,
  a warning (fix31a: refused here at first, which refused files of two sessions; tests/test_fix31a_jump.py);
- 12: a LOBSTER row outside the time window the file name gives is refused naming the line.
"""

from __future__ import annotations

import copy
import gzip
import json

import pytest
from conftest import shared_data
from _corpus import T0, TD_BOOK_HDR, TD_TRADE_HDR, US0, bn_diff, bn_lines, bn_trade, lobster, tardis

import mmsim
from mmsim.data import binance as bn
from mmsim.data import lobster as lob
from mmsim.data import summary
from mmsim.data import tardis as tds

DAY_MS = 86_400_000


def _write(path, msgs: list, locals_ns: list[int]) -> None:
    text = "".join(f"{t} {json.dumps(m)}\n" for t, m in zip(locals_ns, msgs))
    path.write_bytes(gzip.compress(text.encode()))


def _later(msgs: list, ms: int) -> list:
    """``msgs`` with every E/T ``ms`` later."""
    out = copy.deepcopy(msgs)
    for m in out:
        d = m.get("data", m)
        for k in ("E", "T"):
            if k in d:
                d[k] += ms
    return out


def _exch_ms(m: dict) -> int | None:
    d = m.get("data", m)
    return d.get("T", d.get("E"))


def _received(msgs: list, lag_ns: int) -> list[int]:
    """Receive times: each line's exchange time - ``lag_ns`` (a line without one, a spot snapshot or a bookTicker:
    the next line's, else the line before's)."""
    times = [_exch_ms(m) for m in msgs]
    for i in range(len(times) - 2, -1, -1):
        times[i] = times[i + 1] if times[i] is None else times[i]
    for i in range(1, len(times)):
        times[i] = times[i - 1] if times[i] is None else times[i]
    return [t * 1_000_000 - lag_ns for t in times]


def _spot_lines() -> list:
    snap = {"lastUpdateId": 100, "bids": [["10.0", "1.000"]], "asks": [["10.1", "1.000"]]}
    diff = {"stream": "xusdt@depth@100ms", "data": {"e": "depthUpdate", "E": T0 + 1, "s": "XUSDT", "U": 99, "u": 104,
                                                     "b": [["10.0", "2.000"]], "a": []}}
    return [snap, diff]


# --------------------------------------------------------------------------- 4: one venue per store
@pytest.mark.parametrize("first, second", [("spot", "usdm"), ("usdm", "spot")])
def test_a_capture_of_another_venue_is_refused_naming_both_files(tmp_path, first, second):
    # The finding's order (spot then USD-M) and the reverse: each file converts alone; the pair was one store
    # labelled by the first file's venue. The second capture's times follow the first's by 1 min.
    lines = {"spot": _spot_lines(), "usdm": bn_lines()}
    a, b = tmp_path / f"{first}.gz", tmp_path / f"{second}.gz"
    _write(a, lines[first], _received(lines[first], -1_000_000))
    later = _later(lines[second], 60_000)
    _write(b, later, _received(later, -1_000_000))
    venue = {"spot": "binance-spot", "usdm": "binance-usdm"}
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([a, b], tmp_path / "s")
    assert str(ei.value) == (
        f"{b}: line 1: a {venue[second]} capture after a {venue[first]} one ({a}: line 1); one store holds one market "
        "(spot and "
        "USD-M futures books of one symbol are two markets): convert each to its own store")
    assert bn.convert([b], tmp_path / "one").meta["venue"] == venue[second]


def test_two_captures_of_one_venue_still_make_one_store(tmp_path):
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    _write(a, bn_lines(), _received(bn_lines(), -1_000_000))
    later = _later(bn_lines(), 60_000)
    _write(b, later, _received(later, -1_000_000))
    st = bn.convert([a, b], tmp_path / "s")
    assert st.meta["venue"] == "binance-usdm" and st.meta["source"] == ["a.gz", "b.gz"]


# --------------------------------------------------------------------------- 5: one clock shift per store
def _two_clocks(tmp_path, lag_a: int, lag_b: int):
    """Capture a.gz (USD-M, at T0) received ``-lag_a`` ns after each exchange time, b.gz 1 min later ``-lag_b``."""
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    _write(a, bn_lines(), _received(bn_lines(), lag_a))
    later = _later(bn_lines(), 60_000)
    _write(b, later, _received(later, lag_b))
    return a, b


def test_captures_whose_clocks_need_shifts_far_apart_are_refused(tmp_path):
    # a.gz is received 1 ms after each exchange time (it needs no shift), b.gz 500 ms before (needs +0.5 s, on
    # every line; its line 1, the snapshot, is the first of them). One shift of +0.5 s for the store would add
    # 0.500 s to every feed latency of a.gz (the 2023 capture got +1.253 s this way).
    a, b = _two_clocks(tmp_path, -1_000_000, 500_000_000)
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([a, b], tmp_path / "s")
    assert str(ei.value) == (
        f"{a}: line 1: this capture's recorder clock needs no shift (this line is the one most behind its exchange "
        f"time), {b}: line 1 needs +0.500 s: one store takes one shift of its receive times, which would add 0.500 s "
        f"to every feed latency of {a}; two recorders' clocks more than 100 ms apart: convert each capture to its "
        f"own store (or, if the receive time at {b}: line 1 is wrong, fix or remove the line)")
    # Each alone converts with its own shift.
    assert bn.convert([a], tmp_path / "a").meta["quirks"]["local_clock_offset_ns"] == 0
    assert bn.convert([b], tmp_path / "b").meta["quirks"]["local_clock_offset_ns"] == 500_000_000


def test_a_capture_needing_a_smaller_shift_is_refused_in_either_order(tmp_path):
    # a.gz needs +30 ms (every line received 30 ms before it happened), b.gz +1.27 s: the finding's kind (2023: 18.8
    # ms, 2024: 1.272 s); b.gz's shift would add 1.240 s to a.gz's feed latencies. And b.gz first, a.gz 1 min later.
    a, b = _two_clocks(tmp_path, 30_000_000, 1_270_000_000)
    with pytest.raises(mmsim.DataError, match=rf"^{a}: line 1: this capture's recorder clock needs a shift of "
                       rf"\+0\.030 s .*, {b}: line 1 needs \+1\.270 s: .* would add 1\.240 s to every feed latency"):
        bn.convert([a, b], tmp_path / "s")
    first, second = tmp_path / "f.gz", tmp_path / "g.gz"
    _write(first, bn_lines(), _received(bn_lines(), 1_270_000_000))
    later = _later(bn_lines(), 60_000)
    _write(second, later, _received(later, 30_000_000))
    with pytest.raises(mmsim.DataError, match=rf"^{second}: line 1: .* needs a shift of \+0\.030 s .*, {first}: line 1 "
                       r"needs \+1\.270 s"):
        bn.convert([first, second], tmp_path / "t")


@pytest.mark.parametrize("apart, ok", [(100_000_000, True), (100_000_001, False)])
def test_the_bound_between_two_captures_clocks_is_100_ms(tmp_path, apart, ok):
    # a.gz needs no shift (received 1 ms after), b.gz exactly 100 ms (converts, shifted +100 ms: a.gz's feed
    # latencies grow by 100 ms, within the bound), or 1 ns more (refused).
    a, b = _two_clocks(tmp_path, -1_000_000, apart)
    if ok:
        st = bn.convert([a, b], tmp_path / "s")
        assert st.meta["quirks"]["local_clock_offset_ns"] == 100_000_000
        return
    with pytest.raises(mmsim.DataError, match="would add 0.100000001 s to every feed latency"):
        bn.convert([a, b], tmp_path / "s")


def test_tardis_book_and_trades_files_are_one_capture_and_keep_one_shift(tmp_path):
    # The rule is for files of their own recorders (Binance captures). Tardis' book and trades files are one
    # capture (Tardis' recorder; one book file per store): a trade 0.9 s behind with the book behind by nothing
    # shifts the store by 0.9 s, as before (tests/test_data_clock.py pins it; here with the file order reversed).
    book = [TD_BOOK_HDR] + [f"ex,XUSDT,{US0 + dt},{US0 + dt + 100},{snap},{side},{px},1" for dt, snap, side, px in
                            [(0, "true", "bid", "10.0"), (0, "true", "ask", "10.5"), (6_000_000, "false", "bid", "10.0")]]
    trades = [TD_TRADE_HDR, f"ex,XUSDT,{US0 + 6_500_000},{US0 + 5_600_000},t1,sell,10.0,1"]
    srcs, _ = tardis(tmp_path, book=book, trades=trades)
    assert tds.convert(srcs[::-1], tmp_path / "s").meta["quirks"]["local_clock_offset_ns"] == 900_000_000


# --------------------------------------------------------------------------- 6: aggTrade, partial depth
def _agg(m: dict) -> dict:
    d = m["data"]
    return {"stream": "xusdt@aggTrade", "data": {"e": "aggTrade", "E": d["E"], "s": d["s"], "a": d["t"], "p": d["p"],
                                                  "q": d["q"], "f": d["t"], "l": d["t"], "T": d["T"], "m": d["m"]}}


def test_a_capture_with_aggtrade_and_no_trade_says_so_on_the_summary_line(tmp_path):
    msgs = bn_lines()
    msgs[2] = _agg(msgs[2])  # line 3, the trade, as Binance's aggTrade stream sends it
    p = tmp_path / "cap.gz"
    _write(p, msgs, _received(msgs, -1_000_000))
    st = bn.convert([p], tmp_path / "s")
    assert int((st.events["kind"] == int(mmsim.Kind.TRADE)).sum()) == 0
    assert st.meta["quirks"]["aggtrade_only_files"] == ["cap.gz"]
    assert st.meta["quirks"]["skipped_streams"] == {"aggTrade": 1, "bookTicker": 1}
    assert summary(st).endswith(
        "; no trade message in cap.gz: its aggTrade messages are not read as trades, so the store has no trade "
        "from it (quirks.aggtrade_only_files)")


def test_aggtrade_beside_trade_is_skipped_once_and_the_note_names_only_the_capture_without_trade(tmp_path):
    # a.gz has both streams: its one trade is read once (the aggTrade is skipped, counted), no note; b.gz, 1 min
    # later, has aggTrade only: the note names b.gz alone.
    msgs = bn_lines()
    msgs.insert(3, _agg(msgs[2]))
    a = tmp_path / "a.gz"
    _write(a, msgs, _received(msgs, -1_000_000))
    st = bn.convert([a], tmp_path / "a")
    assert int((st.events["kind"] == int(mmsim.Kind.TRADE)).sum()) == 1
    assert "aggtrade_only_files" not in st.meta["quirks"] and "aggTrade" not in summary(st)
    later = _later(bn_lines(), 60_000)
    later[2] = _agg(later[2])
    b = tmp_path / "b.gz"
    _write(b, later, _received(later, -1_000_000))
    st = bn.convert([a, b], tmp_path / "ab")
    assert int((st.events["kind"] == int(mmsim.Kind.TRADE)).sum()) == 1
    assert st.meta["quirks"]["aggtrade_only_files"] == ["b.gz"]
    assert st.meta["quirks"]["skipped_streams"]["aggTrade"] == 2


@pytest.mark.parametrize("stream, key", [("xusdt@depth20@100ms", "depth20"), ("xusdt@depth10@1000ms", "depth10")])
def test_a_partial_depth_stream_is_counted_under_its_name(tmp_path, stream, key):
    # A spot partial-depth message (no event type e; a book of the top levels) is not a diff: skipped, counted
    # under the stream's name, not its update speed ('100ms', breaker29).
    msgs = _spot_lines()
    msgs.append({"stream": stream, "data": {"lastUpdateId": 104, "bids": [["10.0", "2.000"]], "asks": []}})
    p = tmp_path / "cap.gz"
    _write(p, msgs, _received(msgs, -1_000_000))
    assert bn.convert([p], tmp_path / "s").meta["quirks"]["skipped_streams"] == {key: 1}


# --------------------------------------------------------------------------- 9: a forward jump at a file's end
def _long_capture(n: int = 200) -> list:
    """A USD-M capture: the snapshot, then ``n`` diffs 1 ms apart (one level each), then a trade."""
    msgs = [bn_lines()[0], bn_diff(95, 105, 94, T0 + 1, b=[("10.0", "0.500")])]
    for k in range(1, n):
        msgs.append(bn_diff(105 + k, 105 + k, 104 + k, T0 + 1 + k, b=[("10.0", f"{0.5 + k / 1000:.3f}")]))
    msgs.append(bn_trade(T0 + n + 1))
    return msgs


def test_a_last_line_30_days_ahead_is_recorded_naming_it(tmp_path):
    # The snapshot (line 1: CLEAR + 4 levels), 200 diffs (lines 2-201), the trade (line 202) 30 days late: 206
    # events. The rest span T0 .. T0 + 200 ms = 0.200 s; the jump from line 201 (T0 + 200 ms) to T0 + 201 ms + 30
    # days is 2592000.001 s, more than 10 min and 10 x 0.200 s, on the last 1 event (at most 10). fix31a: recorded
    # (the exchange time's: its receive time jumps too), not refused.
    msgs = _long_capture()
    msgs[-1]["data"]["T"] += 30 * DAY_MS
    msgs[-1]["data"]["E"] += 30 * DAY_MS
    p = tmp_path / "cap.gz"
    _write(p, msgs, _received(msgs, -1_000_000))
    assert bn.convert([p], tmp_path / "s").meta["quirks"]["time_jump_at_end"] == {
        "at": "cap.gz: line 202", "from": "cap.gz: line 201", "time": "exchange", "jump_ns": 2_592_000_001_000_000,
        "span_ns": 200_000_000, "events_after": 1, "events": 206}


def test_a_last_receive_time_a_day_late_is_recorded_and_an_hour_gap_within_the_bound_is_not(tmp_path):
    # Only the receive time of the last line is a day late (its exchange time is right): the receive times jump
    # 86400.001 s from line 201's. And the bound: the trade 1.999 s later than line 201 (rest 0.200 s: more than
    # 10 x, but under 10 min) converts, as does one 11 min later when the rest of the file spans 1.2 min.
    msgs = _long_capture()
    locs = _received(msgs, -1_000_000)
    locs[-1] += DAY_MS * 1_000_000
    p = tmp_path / "cap.gz"
    _write(p, msgs, locs)
    assert bn.convert([p], tmp_path / "s").meta["quirks"]["time_jump_at_end"] == {
        "at": "cap.gz: line 202", "from": "cap.gz: line 201", "time": "receive", "jump_ns": 86_400_001_000_000,
        "span_ns": 200_000_000, "events_after": 1, "events": 206}
    ok = _long_capture()
    ok[-1]["data"]["T"] += 1_799
    _write(p, ok, _received(ok, -1_000_000))
    st = bn.convert([p], tmp_path / "ok")
    assert st.meta["event_count"] == 206 and "time_jump_at_end" not in st.meta["quirks"]
    wide = _long_capture()
    for k, m in enumerate(wide[2:-1], start=1):  # the diffs 360 ms apart: the rest spans 72 s
        m["data"]["T"] = m["data"]["E"] = T0 + 1 + 360 * k
    wide[-1]["data"]["T"] = wide[-1]["data"]["E"] = T0 + 1 + 360 * 199 + 11 * 60_000
    _write(p, wide, _received(wide, -1_000_000))
    st = bn.convert([p], tmp_path / "wide")
    assert st.meta["event_count"] == 206 and "time_jump_at_end" not in st.meta["quirks"]


def test_a_tardis_trades_file_whose_last_row_is_30_days_late_is_recorded(tmp_path):
    # Another loader: the trades file's rows 1 ms apart over 0.019 s, its last row (line 21) 30 days later.
    book = [TD_BOOK_HDR, f"ex,XUSDT,{US0},{US0 + 100},true,bid,10.0,1", f"ex,XUSDT,{US0},{US0 + 100},true,ask,10.5,1"]
    rows = [f"ex,XUSDT,{US0 + 1000 * k},{US0 + 1000 * k + 100},t{k},sell,10.0,1" for k in range(1, 21)]
    late = US0 + 20_000 + 30 * DAY_MS * 1000
    rows[-1] = f"ex,XUSDT,{late},{late + 100},t20,sell,10.0,1"
    srcs, _ = tardis(tmp_path, book=book, trades=[TD_TRADE_HDR] + rows)
    q = tds.convert(srcs, tmp_path / "s").meta["quirks"]["time_jump_at_end"]
    assert q == {"at": f"{srcs[1].name}: line 21", "from": f"{srcs[1].name}: line 20", "time": "exchange",
                 "jump_ns": 2_592_000_001_000_000, "span_ns": 18_000_000, "events_after": 1, "events": 20}


# --------------------------------------------------------------------------- 12: the LOBSTER file name's window
@pytest.mark.parametrize("name, line, where", [
    # The corpus day's rows are at 34200.1 .. 34200.6 s.
    ("TEST_2012-06-21_34200000_34200500_{}_1.csv", 6, "after"),
    ("TEST_2012-06-21_34200200_57600000_{}_1.csv", 1, "before"),
])
def test_a_lobster_row_outside_the_file_names_window_is_refused_naming_it(tmp_path, name, line, where):
    srcs, mp = lobster(tmp_path, name=name)
    start, end = name.split("_")[2:4]
    row = ("34200.6", "34200.1")[line == 1]
    with pytest.raises(mmsim.DataError) as ei:
        lob.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (
        f"{mp}: line {line}: time {row} s is {where} the window the file name gives ({start} to {end} ms after "
        f"midnight, {int(start) / 1000:g} to {int(end) / 1000:g} s): a wrong time, or the file of another window "
        "under this name")


def test_a_lobster_window_is_inclusive_and_a_reversed_window_is_refused_by_name(tmp_path):
    srcs, _ = lobster(tmp_path, name="TEST_2012-06-21_34200100_34200600_{}_1.csv")  # first and last rows on its edges
    assert lob.convert(srcs, tmp_path / "s").meta["event_count"] > 0
    bad, mp = lobster(tmp_path, name="TEST_2012-06-21_57600000_34200000_{}_1.csv")
    with pytest.raises(mmsim.DataError) as ei:
        lob.convert(bad, tmp_path / "t")
    assert str(ei.value) == (
        f"{mp}: the time window in the file name, 57600000 to 34200000 ms after midnight, is not a window of one day "
        "(its start after its end, or its end past 86400000)")


@pytest.mark.slow
def test_the_2023_and_2024_usdm_samples_are_refused_as_two_clocks(tmp_path):
    # The finding's files: the 2023 capture's own clock needs +18.836 ms (its line 12962), the 2024 one's +1.272
    # s (line 92886, docs/data.md): one store would add 1.253 s to every 2023 feed latency.
    a = shared_data("binance", "usdm_2023", "btcusdt_20230404.dat.gz")
    b = shared_data("binance", "usdm", "btcusdt_20240808.gz")
    with pytest.raises(mmsim.DataError) as ei:
        bn.convert([a, b], tmp_path / "s")
    assert str(ei.value).startswith(
        f"{a}: line 12962: this capture's recorder clock needs a shift of +0.019 s (this line is the one most behind "
        f"its exchange time), {b}: line 92886 needs +1.272 s: one store takes one shift of its receive times, which "
        f"would add 1.253 s to every feed latency of {a}")
