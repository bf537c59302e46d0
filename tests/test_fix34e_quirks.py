"""fix34e: the Binance and LOBSTER loaders give ``quirks.crossed_at_end_ns`` as the Databento and Tardis loaders do
(``[where the cross the data ends in began, the last kept event]``, exchange times, ns; None when the book ends
uncrossed), and its end is the last event kept: a print through the book dropped by ``drop_prints_through_book``
sets no end (Tardis's ended at it). A Binance capture holds one market's diffs: a diff (or snapshot) of the other
market in the same file is refused, naming both lines."""

from __future__ import annotations

from _corpus import LOB_BOOK, LOB_MSG, lobster
from test_fix30a_binance import SPOT_SNAP, T0, USDM_SNAP, capture, spot, trade, usdm
from test_fix30c_tardis import _quirks as tardis_quirks
from test_fix30c_tardis import T0 as TD0

import pytest

from mmsim import DataError
from mmsim.data import binance as bn
from mmsim.data import converter

MS = 1_000_000
NY_MIDNIGHT = 1340251200 * 1_000_000_000  # 2012-06-21 00:00 America/New_York, ns


def _bn(tmp_path, msgs, drop: bool = False) -> dict:
    st = bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01, drop_prints_through_book=drop)
    return st.meta["quirks"]


def test_binance_capture_ending_crossed_gives_crossed_at_end_ns(tmp_path):
    # Snapshot bid 10.00 / ask 10.10; diff 101 (T0 + 1 ms) a bid at 9.00; diff 102 (T0 + 2 ms) a bid at 10.20,
    # through the ask: the capture ends crossed since T0 + 2 ms, the last event there.
    q = _bn(tmp_path, [SPOT_SNAP, spot(101, 101, 1), spot(102, 102, 2, px="10.20")])
    assert q["crossed_at_end_ns"] == [(T0 + 2) * MS, (T0 + 2) * MS]
    assert q["transient_crossed_messages"] == 1


def test_binance_crossed_at_end_lasts_to_a_trade_after_it_and_none_when_uncrossed(tmp_path):
    q = _bn(tmp_path, [SPOT_SNAP, spot(101, 101, 1), spot(102, 102, 2, px="10.20"), trade(1, 4)])
    assert q["crossed_at_end_ns"] == [(T0 + 2) * MS, (T0 + 4) * MS]
    (tmp_path / "u").mkdir()
    gone = spot(103, 103, 3)
    gone["data"]["b"] = [["10.20", "0"]]  # the bid through the ask removed at +3 ms: the capture ends uncrossed
    q = _bn(tmp_path / "u", [SPOT_SNAP, spot(101, 101, 1), spot(102, 102, 2, px="10.20"), gone])
    assert q["crossed_at_end_ns"] is None


def test_binance_crossed_at_end_ends_at_the_last_kept_event_not_a_dropped_print(tmp_path):
    # The last line, a sell at 1.00 (T0 + 4 ms), is 90% under the 10.20 bid: dropped, the end is the diff at +2 ms.
    far = trade(1, 4)
    far["data"]["p"] = "1.00"
    msgs = [SPOT_SNAP, spot(101, 101, 1), spot(102, 102, 2, px="10.20"), far]
    assert _bn(tmp_path, msgs)["crossed_at_end_ns"] == [(T0 + 2) * MS, (T0 + 4) * MS]
    (tmp_path / "d").mkdir()
    assert _bn(tmp_path / "d", msgs, drop=True)["crossed_at_end_ns"] == [(T0 + 2) * MS, (T0 + 2) * MS]


def test_tardis_crossed_at_end_ends_at_the_last_kept_event_not_a_dropped_print(tmp_path):
    # fix30c's book crossed at +2 ms and +3 ms; the last row a buy at 100.0 (+4 ms), far over the 10.0 ask: kept,
    # the end is +4 ms; dropped, +3 ms (it was +4 ms: the file's last time read).
    rows = (f"ex,XUSDT,{TD0 + 2000},{TD0 + 2100},false,bid,11.0,1\n"
            f"ex,XUSDT,{TD0 + 3000},{TD0 + 3100},false,ask,10.0,1\n")
    trades = f"ex,XUSDT,{TD0 + 4000},{TD0 + 4100},t1,buy,100.0,1\n"
    assert tardis_quirks(tmp_path, rows, trades)["crossed_at_end_ns"] == [(TD0 + 2000) * 1000, (TD0 + 4000) * 1000]
    from mmsim.data import tardis

    st = tardis.convert([tmp_path / "book.csv", tmp_path / "trades.csv"], tmp_path / "d", drop_prints_through_book=True)
    assert st.meta["quirks"]["crossed_at_end_ns"] == [(TD0 + 2000) * 1000, (TD0 + 3000) * 1000]


def _lob(tmp_path, extra_msg: list[str], extra_book: list[str], drop: bool = False) -> dict:
    srcs, _ = lobster(tmp_path, msg=[*LOB_MSG, *extra_msg], book=[*LOB_BOOK, *extra_book])
    return converter("lobster")(srcs, tmp_path / "s", drop_prints_through_book=drop).meta["quirks"]


def test_lobster_day_ending_crossed_gives_crossed_at_end_ns(tmp_path):
    # The corpus day (bid 100.00 x4, ask 100.02 x7 after line 6), then line 7 adds a bid of 2 at 100.02, at the ask:
    # crossed (bid >= ask) from 34200.7 s, the day's last row.
    t7 = NY_MIDNIGHT + 34_200_700_000_000
    q = _lob(tmp_path, ["34200.7,1,103,2,1000200,1"], ["1000200,7,1000200,2"])
    assert q["crossed_at_end_ns"] == [t7, t7]
    (tmp_path / "u").mkdir()
    assert _lob(tmp_path / "u", [], [])["crossed_at_end_ns"] is None


def test_lobster_crossed_at_end_ends_at_the_last_kept_event(tmp_path):
    # Line 8, a hidden execution at $110.55 (34200.8 s), 10% over the ask: kept, the end; dropped, line 7's time.
    t7, t8 = NY_MIDNIGHT + 34_200_700_000_000, NY_MIDNIGHT + 34_200_800_000_000
    msg, book = ["34200.7,1,103,2,1000200,1", "34200.8,5,0,1,1105500,-1"], ["1000200,7,1000200,2"] * 2
    assert _lob(tmp_path, msg, book)["crossed_at_end_ns"] == [t7, t8]
    (tmp_path / "d").mkdir()
    assert _lob(tmp_path / "d", msg, book, drop=True)["crossed_at_end_ns"] == [t7, t7]


def _error(tmp_path, msgs) -> str:
    with pytest.raises(DataError) as e:
        bn.convert([capture(tmp_path, msgs)], tmp_path / "s", tick_size=0.01)
    return str(e.value).replace(str(tmp_path) + "/", "")


def test_binance_spot_capture_with_a_usdm_diff_is_refused_naming_both_lines(tmp_path):
    # Spot (line 1: a snapshot without T; line 2 a diff without pu or T), then a USD-M diff (pu and T) at line 4:
    # it was applied under the spot rule (its pu unchecked), one book of two markets.
    msgs = [SPOT_SNAP, spot(101, 101, 1), spot(102, 102, 2), usdm(103, 103, 102, 3)]
    assert _error(tmp_path, msgs) == (
        "cap.gz: line 4: a USD-M futures depthUpdate with pu and T, in a capture of the spot market (line 1: a "
        "snapshot without T); one capture is one market's stream (spot and USD-M futures are two markets, with two "
        "sequence rules): convert each to its own store")


def test_binance_usdm_capture_with_a_spot_diff_or_snapshot_is_refused_naming_both_lines(tmp_path):
    # The same kind the other way: a USD-M capture told by its first diff (line 1, before the snapshot), then a spot
    # diff at line 4 (it was "missing 'pu'", a malformed USD-M diff), and, in another capture, a spot snapshot.
    msgs = [usdm(95, 101, 94, 0), USDM_SNAP, usdm(102, 102, 101, 2), spot(103, 103, 3)]
    assert _error(tmp_path, msgs) == (
        "cap.gz: line 4: a spot depthUpdate without pu or T, in a capture of the USD-M futures market (line 1: a "
        "depthUpdate with pu and T); one capture is one market's stream (spot and USD-M futures are two markets, "
        "with two sequence rules): convert each to its own store")
    (tmp_path / "b").mkdir()
    msgs = [USDM_SNAP, usdm(95, 101, 94, 1), SPOT_SNAP | {"lastUpdateId": 200}]
    assert _error(tmp_path / "b", msgs) == (
        "cap.gz: line 3: a spot snapshot without T, in a capture of the USD-M futures market (line 1: a snapshot "
        "with T); one capture is one market's stream (spot and USD-M futures are two markets, with two sequence "
        "rules): convert each to its own store")
