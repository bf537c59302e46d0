"""Binance loader (breaker29 findings 2, 3 and the Binance items of 12; fix30a).

- A spot REST snapshot has no time of its own; the time the loader infers for it (its first applied diff's) no longer
  sets the recorder-clock shift: it is at most its receive time plus what the diffs and trades written need.
- Diffs are applied in update-id order; one whose exchange time goes back against the diff applied before it is an
  error naming both lines (it was sorted ahead of the diffs it follows: a wrong book).
- A diff with U > u, and a USD-M diff without pu, are malformed; a snapshot older than every diff names its own line.

Times are hand-computed in the comments: line i is received at LOCAL0 + recv[i] ms, exchange times are T0 + k ms
(T0 ms = LOCAL0 ns), so a line's need (exch - local) is k - recv in ms.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

import mmsim
from mmsim import Kind
from mmsim.data import binance as bn

T0 = 1_700_000_000_000  # ms
LOCAL0 = T0 * 1_000_000  # ns
MS = 1_000_000


def capture(tmp_path: Path, msgs: list[dict], recv_ms: list[int] | None = None) -> Path:
    """Line i (from 1) received at LOCAL0 + i ms, or at LOCAL0 + ``recv_ms[i - 1]`` ms."""
    p = tmp_path / "cap.gz"
    with gzip.open(p, "wt") as f:
        for i, m in enumerate(msgs):
            f.write(f"{LOCAL0 + (i + 1 if recv_ms is None else recv_ms[i]) * MS} {json.dumps(m)}\n")
    return p


def spot(U: int, u: int, k: int, px: str = "9.00") -> dict:
    return {"stream": "xusdt@depth@100ms", "data": {"e": "depthUpdate", "E": T0 + k, "s": "XUSDT", "U": U, "u": u,
                                                     "b": [[px, "1.00000"]], "a": []}}


def usdm(U: int, u: int, pu: int | None, k: int, px: str = "9.00") -> dict:
    d = {"e": "depthUpdate", "E": T0 + k, "T": T0 + k, "s": "XUSDT", "U": U, "u": u, "pu": pu,
         "b": [[px, "1.000"]], "a": []}
    if pu is None:
        del d["pu"]
    return {"stream": "xusdt@depth@0ms", "data": d}


SPOT_SNAP = {"lastUpdateId": 100, "bids": [["10.00", "1.00000"]], "asks": [["10.10", "1.00000"]]}
USDM_SNAP = {"lastUpdateId": 100, "E": T0, "T": T0, "bids": [["10.00", "1.000"]], "asks": [["10.10", "1.000"]]}


def convert(tmp_path: Path, msgs: list[dict], recv_ms: list[int] | None = None) -> mmsim.EventStore:
    return bn.convert([capture(tmp_path, msgs, recv_ms)], tmp_path / "s", tick_size=0.01)


def error(tmp_path: Path, msgs: list[dict], recv_ms: list[int] | None = None) -> str:
    with pytest.raises(mmsim.DataError) as ei:
        convert(tmp_path, msgs, recv_ms)
    return str(ei.value).replace(str(tmp_path / "cap.gz"), "cap.gz")


# --------------------------------------------------------------------------- finding 2: the snapshot's inferred time
def test_spot_snapshot_received_before_its_diff_does_not_set_the_clock_shift(tmp_path):
    # The recorder clock is ~500 ms behind the venue's. The snapshot (line 1, received 1000) is answered before the
    # diff that spans it (line 2: E 1600, received 1101: needs 499). It was stamped 1600, its first diff's E: it
    # needed 600 ms, and every receive time was shifted +600 ms (100 ms of feed latency more on every event).
    # Now: at most 1000 + 499 (what the diffs written need) = 1499; the shift is line 3's 500 ms.
    msgs = [SPOT_SNAP, spot(101, 105, 1600, "9.01"), spot(106, 110, 1700, "9.02"), spot(111, 112, 1800, "9.03")]
    st = convert(tmp_path, msgs, [1000, 1101, 1200, 1302])
    q = st.meta["quirks"]
    assert (q["local_clock_offset_ns"], q["local_clock_offset_at"]) == (500 * MS, "cap.gz: line 3")
    ev = np.asarray(st.events)
    assert Kind(int(ev["kind"][0])) == Kind.CLEAR
    assert (int(ev["exch_ts"][0]), int(ev["local_ts"][0])) == ((T0 + 1499) * MS, LOCAL0 + 1500 * MS)
    assert [int(t) for t in ev["local_ts"] - ev["exch_ts"]] == [1 * MS] * 3 + [1 * MS, 0, 2 * MS]  # feed latencies


def test_spot_snapshot_received_before_its_diff_adds_no_shift_to_a_clock_ahead(tmp_path):
    # Every line the venue stamped is received 50 ms after its time (needs -50 ms: no shift). The snapshot (received
    # 1000) spans the diff received at 1100 (E 1050): stamped 1050 it needed +50 ms, and every receive time was
    # shifted +50 ms for it alone. Now: min(1050, 1000 + 0) = 1000; no shift.
    msgs = [SPOT_SNAP, spot(101, 105, 1050, "9.01"), spot(106, 110, 1150, "9.02")]
    st = convert(tmp_path, msgs, [1000, 1100, 1200])
    assert st.meta["quirks"]["local_clock_offset_ns"] == 0
    ev = np.asarray(st.events)
    assert [int(t) // MS - T0 for t in ev["exch_ts"]] == [1000, 1000, 1000, 1050, 1150]
    assert [int(t - LOCAL0) // MS for t in ev["local_ts"]] == [1000, 1000, 1000, 1100, 1200]


def test_spot_snapshot_received_after_its_diff_keeps_the_diff_time(tmp_path):
    # The usual order (the sample captures): the diff spanning the snapshot is received first and held; the
    # snapshot takes its E (1600), within what that diff needs (1600 - 1101 = 499 >= 1600 - 1150).
    msgs = [spot(101, 105, 1600, "9.01"), SPOT_SNAP, spot(106, 110, 1700, "9.02")]
    st = convert(tmp_path, msgs, [1101, 1150, 1200])
    ev = np.asarray(st.events)
    assert int(ev["exch_ts"][0]) == (T0 + 1600) * MS
    assert st.meta["quirks"]["local_clock_offset_at"] == "cap.gz: line 3"


# --------------------------------------------------------------------------- finding 3: diff times follow update ids
def test_spot_diff_stamped_before_the_diff_it_follows_is_an_error(tmp_path):
    msgs = [SPOT_SNAP, spot(101, 105, 10), spot(106, 110, 20), spot(111, 115, 15)]
    assert error(tmp_path, msgs) == (
        "cap.gz: line 4: depthUpdate E=1700000000015 is 0.005 s before the diff applied before it (line 3, "
        "E=1700000000020, u=110), whose update ids it follows (U=111); a diff stream's times follow its update ids, "
        "so one of the two times is wrong")


def test_usdm_diff_stamped_before_the_first_diff_applied_is_an_error(tmp_path):
    # T 3 after the first applied diff's 5: sorted by time it landed before the snapshot's CLEAR (stamped 5) and was
    # wiped.
    msgs = [USDM_SNAP, usdm(100, 100, 99, 5), usdm(101, 104, 100, 3)]
    assert error(tmp_path, msgs) == (
        "cap.gz: line 3: depthUpdate T=1700000000003 is 0.002 s before the diff applied before it (line 2, "
        "T=1700000000005, u=100), whose update ids it follows (U=101); a diff stream's times follow its update ids, "
        "so one of the two times is wrong")


def test_diffs_with_the_same_time_and_a_resent_older_diff_are_accepted(tmp_path):
    # Equal times keep the order; a diff sent again (u at or below the book's) is dropped before its time is read.
    msgs = [SPOT_SNAP, spot(101, 105, 10, "9.01"), spot(106, 110, 10, "9.02"), spot(101, 105, 1, "9.01"),
            spot(111, 115, 12, "9.03")]
    st = convert(tmp_path, msgs)
    assert st.meta["quirks"]["stale_diffs_dropped"] == 1
    ev = np.asarray(st.events)
    assert [int(p) for p in ev["price"][(ev["kind"] == Kind.DEPTH) & (ev["price"] < 1000)]] == [901, 902, 903]


# --------------------------------------------------------------------------- item 12: malformed diffs, old snapshot
@pytest.mark.parametrize("msgs, line", [
    ([SPOT_SNAP, spot(101, 105, 1), spot(111, 110, 2)], 3),  # mid-stream (the finding)
    ([usdm(101, 99, 98, 1), USDM_SNAP, usdm(100, 100, 99, 2)], 1),  # before the snapshot: held, then read
])
def test_diff_with_U_above_u_is_malformed(tmp_path, msgs, line):
    U, u = msgs[line - 1]["data"]["U"], msgs[line - 1]["data"]["u"]
    assert error(tmp_path, msgs) == (f"cap.gz: line {line}: malformed depthUpdate: U={U} is above u={u} (a diff's "
                                     "first update id U is at most its last, u)")


@pytest.mark.parametrize("msgs, line", [
    ([USDM_SNAP, usdm(100, 100, 99, 1), usdm(101, 104, None, 2)], 3),  # mid-stream: was "sequence gap: pu=None"
    ([USDM_SNAP, usdm(100, 100, None, 1), usdm(101, 104, 100, 2)], 2),  # the first applied: was accepted silently
])
def test_usdm_diff_without_pu_is_malformed(tmp_path, msgs, line):
    assert error(tmp_path, msgs) == (
        f"cap.gz: line {line}: malformed depthUpdate: missing 'pu' (a USD-M futures diff carries pu, the u of the "
        "diff before it; this capture is USD-M: its snapshot has T or its first diff pu)")


def test_snapshot_older_than_the_diffs_received_before_it_names_the_snapshot(tmp_path):
    msgs = [spot(200, 205, 1), spot(206, 210, 2), SPOT_SNAP, spot(211, 215, 3)]
    assert error(tmp_path, msgs) == (
        "cap.gz: line 3: sequence gap: first diff after the snapshot (lastUpdateId 100) has U=200, u=205 (line 1, "
        "received before the snapshot); it must span update 101: the snapshot is older than every diff recorded "
        "around it (updates between are missing)")


def test_snapshot_older_than_the_diff_received_after_it_is_named_too(tmp_path):
    msgs = [SPOT_SNAP, spot(102, 105, 1)]
    assert error(tmp_path, msgs) == (
        "cap.gz: line 2: sequence gap: first diff after the snapshot (lastUpdateId 100) has U=102, u=105; it must "
        "span update 101 (the snapshot: line 1)")


def trade(t: int, k: int) -> dict:
    return {"stream": "xusdt@trade", "data": {"e": "trade", "E": T0 + k, "T": T0 + k, "s": "XUSDT", "t": t,
                                               "p": "10.05", "q": "1.00000", "m": True}}


def test_trade_stamped_before_the_trade_it_follows_is_an_error(tmp_path):
    # The same kind on the trade stream: trade ids order it; sorted by time, trade 3 went ahead of trade 2.
    msgs = [SPOT_SNAP, spot(101, 105, 1), trade(1, 10), trade(2, 20), trade(3, 15)]
    assert error(tmp_path, msgs) == (
        "cap.gz: line 5: trade T=1700000000015 is 0.005 s before the trade with the highest id read before it (line "
        "4, T=1700000000020, t=2), whose id it follows (t=3); a trade stream's times follow its trade ids, so one of "
        "the two times is wrong")


def test_trade_received_after_a_later_trade_keeps_its_earlier_time(tmp_path):
    # A trade whose line comes after a later trade's (t below the highest read) is kept (docs/data.md), at its time.
    msgs = [SPOT_SNAP, spot(101, 105, 1), trade(1, 10), trade(3, 20), trade(2, 15), trade(4, 20)]
    ev = np.asarray(convert(tmp_path, msgs).events)
    assert [int(t) // MS - T0 for t in ev["exch_ts"][ev["kind"] == Kind.TRADE]] == [10, 15, 20, 20]
