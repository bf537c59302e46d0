"""A corrupt file that repeats itself: one price twice in one depth message or snapshot, a Databento record read
twice. Each is an error naming the file, the line or record, and what repeats."""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import TD_BOOK_HDR, T0, US0, binance, bn_diff, bn_lines, tardis

import mmsim
from mmsim.data import convert
from mmsim.data import tardis as tds

# ----------------------------------------------------------------------------- one price twice in one message


@pytest.mark.parametrize("diff,side,price,levels", [
    # line 2, the diff that spans the snapshot: the bid 10.0 twice (last-wins kept 9.000 lots)
    (bn_diff(95, 105, 94, T0 + 1, b=[("10.0", "0.500"), ("9.9", "1.000"), ("10.00", "9.000")]), "bid", "10.00",
     "1 and 3"),
    # an ask written twice the same way, levels 1 and 2
    (bn_diff(95, 105, 94, T0 + 1, a=[("10.1", "0.000"), ("10.1", "2.000")]), "ask", "10.1", "1 and 2"),
])
def test_binance_depth_diff_listing_one_price_twice_is_an_error(tmp_path, diff, side, price, levels):
    msgs = bn_lines()
    msgs[1] = diff
    srcs, p = binance(tmp_path, msgs)
    with pytest.raises(mmsim.DataError) as ei:
        convert(srcs, tmp_path / "s", format="binance")
    assert str(ei.value) == (f"{p}: line 2: the diff lists the {side} price {price} twice (levels {levels} "
                             "of its side); a depth diff has one level per price")


def test_binance_one_price_on_both_sides_of_a_diff_is_not_a_repeat(tmp_path):
    """The same price as a bid and an ask in one diff (a level moving across, its old side set to 0) is two levels."""
    msgs = bn_lines()
    msgs[1] = bn_diff(95, 105, 94, T0 + 1, b=[("10.1", "0.500")], a=[("10.1", "0.000")])
    msgs[3] = bn_diff(106, 110, 105, T0 + 3, b=[("10.1", "0.000")], a=[("10.1", "1.000")])
    srcs, _ = binance(tmp_path, msgs)
    st = convert(srcs, tmp_path / "s", format="binance")
    ev = np.asarray(st.events)
    depth = [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH]
    assert depth[4:] == [(1, 101, 500), (-1, 101, 0), (1, 101, 0), (-1, 101, 1000)]  # after the 4 snapshot levels


def _td_book(rows: list[tuple[int, str, str, str, str]]) -> list[str]:
    return [TD_BOOK_HDR] + [f"ex,XUSDT,{US0 + dt},{US0 + dt + 100},{snap},{side},{px},{q}"
                            for dt, snap, side, px, q in rows]


@pytest.mark.parametrize("rows,line,side,price,first", [
    # the first snapshot lists the bid 10.0 at lines 2 and 4 (written 10.00 the second time)
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "10.5", "1"), (0, "true", "bid", "10.00", "2"),
      (1000, "false", "bid", "10.0", "2")], 4, "bid", "10.00", 2),
    # a second snapshot (after updates) repeats its ask 11.0; the first snapshot's ask 11.0 is no repeat of it
    ([(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "11.0", "1"), (1000, "false", "bid", "10.0", "2"),
      (2000, "true", "bid", "10.0", "1"), (2000, "true", "ask", "11.0", "1"), (2000, "true", "ask", "10.5", "3"),
      (2000, "true", "ask", "11.0", "4")], 8, "ask", "11.0", 6),
])
def test_tardis_snapshot_listing_one_price_twice_is_an_error(tmp_path, rows, line, side, price, first):
    srcs, _ = tardis(tmp_path, book=_td_book(rows), with_trades=False)
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (f"{srcs[0]}: line {line}: the snapshot lists the {side} price {price} twice (lines "
                             f"{first} and {line}); a depth snapshot has one level per price")


def test_tardis_one_price_in_two_snapshots_or_updates_is_not_a_repeat(tmp_path):
    rows = [(0, "true", "bid", "10.0", "1"), (0, "true", "ask", "10.5", "1"),
            (1000, "false", "bid", "10.0", "2"), (1000, "false", "bid", "10.0", "3"),  # updates: the last is the level
            (2000, "true", "bid", "10.0", "1"), (2000, "true", "ask", "10.5", "1"),
            # a snapshot message right after another (no update between: one run of rows, another local_timestamp)
            (3000, "true", "bid", "10.0", "4"), (3000, "true", "ask", "10.5", "5")]
    srcs, _ = tardis(tmp_path, book=_td_book(rows), with_trades=False)
    st = tds.convert(srcs, tmp_path / "s")
    assert st.meta["quirks"]["snapshots"] == 2
    ev = np.asarray(st.events)
    assert [(int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev if e["kind"] == mmsim.Kind.DEPTH][-2:] == \
        [(1, 20, 4), (-1, 21, 5)]
