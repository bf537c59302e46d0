"""Loader edge cases of messy feeds (session 19): data stamped before the book exists, a clear inside an
hftbacktest file carrying Databento's flags, and the L3 export of a cancel that empties an order.

Each test gives hand-computed events or the exact error, and a second case of the same kind.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import US0, tardis, td_book_lines

import mmsim
from mmsim.data import tardis as tds
from mmsim.events import Kind


def _td_trades(path, rows):
    """A Tardis trades file of ``(dt_us, dlocal_us, id, side, price, amount)`` rows after US0."""
    path.write_text("\n".join(["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
                              + [f"ex,XUSDT,{US0 + dt},{US0 + dl},{i},{s},{px},{q}" for dt, dl, i, s, px, q in rows])
                    + "\n")
    return path


def _ev(st):
    """``(kind, exch_ts - US0 in µs, side, price ticks, qty lots)`` of every event."""
    return [(int(e["kind"]), int(e["exch_ts"]) // 1000 - US0, int(e["side"]), int(e["price"]), int(e["qty"]))
            for e in np.asarray(st.events)]


# The corpus book (tick 0.5, lot 0.1): a snapshot at US0 (received at US0 + 100 µs) of bids 10.0 x 1 and 9.5 x 2,
# ask 10.5 x 1; then updates at +1000 (bid 10.0 -> 2), +2000 (ask 10.5 -> 0.5), +3000 (ask 11.0 x 1).
_SNAP = [(Kind.CLEAR, 0, 0, 0, 0), (Kind.DEPTH, 0, 1, 20, 10), (Kind.DEPTH, 0, -1, 21, 10), (Kind.DEPTH, 0, 1, 19, 20)]
_UPDATES = [(Kind.DEPTH, 1000, 1, 20, 20), (Kind.DEPTH, 2000, -1, 21, 5), (Kind.DEPTH, 3000, -1, 22, 10)]


# --------------------------------------------------------------------------- Tardis: stamped before the first snapshot
def test_tardis_trade_read_after_the_first_snapshot_but_stamped_before_it_is_dropped(tmp_path):
    """Trades are merged by receive time, then ordered by exchange time: a trade received after the snapshot
    but stamped 300 µs before it was written before the snapshot's CLEAR, a print against no book. A trade
    from before the book exists is dropped and counted, as one read before the snapshot is; one stamped at
    the snapshot's own time is kept, after the snapshot's levels (file order breaks the tie)."""
    srcs, _ = tardis(tmp_path, with_trades=False)
    tp = _td_trades(tmp_path / "trades.csv", [(-300, 200, "t0", "buy", "10.5", "0.5"),   # stamped before, read after
                                              (0, 300, "t1", "sell", "10.0", "0.5"),     # at the snapshot's time
                                              (1500, 1600, "t2", "sell", "10.0", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 1
    assert _ev(st) == [*_SNAP, (Kind.TRADE, 0, -1, 20, 5), _UPDATES[0], (Kind.TRADE, 1500, -1, 20, 5),
                       *_UPDATES[1:]]


def test_tardis_book_update_read_after_the_first_snapshot_but_stamped_before_it_is_dropped(tmp_path):
    """The same kind in the book file: an update received after the snapshot's rows but stamped 200 µs before
    them was written before the CLEAR and wiped by it (the loader's own book kept it: the two disagreed on
    bid 9.0). It is dropped and counted; the row after it still continues the book."""
    lines = td_book_lines()
    book = [*lines[:4], f"ex,XUSDT,{US0 - 200},{US0 + 150},false,bid,9.0,3", *lines[4:]]
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    st = tds.convert(srcs, tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 1
    assert _ev(st) == [*_SNAP, *_UPDATES]


def test_tardis_trade_stamped_before_a_later_snapshot_is_kept_against_the_book_before_it(tmp_path):
    """Only the first snapshot starts the book: a trade stamped before a later snapshot (a reconnect's) but
    received after it has the book before that snapshot to trade against, and is kept, ordered before its
    CLEAR by exchange time."""
    book = [*td_book_lines(), f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,bid,10.0,3",
            f"ex,XUSDT,{US0 + 5000},{US0 + 5100},true,ask,10.5,4"]
    srcs, _ = tardis(tmp_path, book=book, with_trades=False)
    tp = _td_trades(tmp_path / "trades.csv", [(4000, 5200, "t1", "buy", "10.5", "0.5")])
    st = tds.convert([srcs[0], tp], tmp_path / "s")
    assert st.meta["quirks"]["dropped_before_snapshot"] == 0
    assert _ev(st) == [*_SNAP, *_UPDATES, (Kind.TRADE, 4000, 1, 21, 5), (Kind.CLEAR, 5000, 0, 0, 0),
                       (Kind.DEPTH, 5000, 1, 20, 30), (Kind.DEPTH, 5000, -1, 21, 40)]


@pytest.mark.parametrize("which", ["trade", "update"])
def test_tardis_row_dropped_as_before_the_first_snapshot_is_still_held_to_the_10s_window(tmp_path, which):
    """Dropping a row stamped before the snapshot does not hide a time 20 s back: the error names it and the
    snapshot row that set the latest exchange time, as for any row."""
    lines = td_book_lines()
    early = US0 - 20_000_000
    if which == "trade":
        srcs, bp = tardis(tmp_path, with_trades=False)
        src = _td_trades(tmp_path / "trades.csv", [(-20_000_000, 200, "t0", "buy", "10.5", "0.5")])
        srcs, at = [srcs[0], src], f"{src}: line 2"
    else:
        srcs, bp = tardis(tmp_path, book=[*lines[:4], f"ex,XUSDT,{early},{US0 + 150},false,bid,9.0,3", *lines[4:]],
                          with_trades=False)
        at = f"{bp}: line 5"
    with pytest.raises(mmsim.DataError) as ei:
        tds.convert(srcs, tmp_path / "s")
    assert str(ei.value) == (f"{at}: exchange timestamp {early * 1000} is 20.000 s earlier than {US0 * 1000} read "
                             f"before (at {bp}: line 2); rows may be out of order by at most 10 s")
