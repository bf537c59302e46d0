"""breaker29's finding 12 on the Tardis loader (fix30c): a book that ends crossed (its last row a bid through the ask,
within the 1 s tolerance) was counted in ``transient_crossed_messages`` only, where the Databento loader (and the
hftbacktest import's order book) gives ``quirks.crossed_at_end_ns`` ``[where it began, the last row]``: one rule."""

from __future__ import annotations

from mmsim.data import convert

HEAD = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
T0 = 1_700_000_000_000_000  # us
BOOK = HEAD + "".join(
    f"ex,XUSDT,{T0 + dt},{T0 + dt + 100},{snap},{side},{px},1\n"
    for dt, snap, side, px in [(0, "true", "bid", "10.0"), (0, "true", "ask", "10.5"), (1000, "false", "bid", "9.5")])
TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def _quirks(tmp_path, book_rows: str, trades: str = ""):
    (tmp_path / "book.csv").write_text(BOOK + book_rows)
    srcs = [tmp_path / "book.csv"]
    if trades:
        (tmp_path / "trades.csv").write_text(TRADES + trades)
        srcs.append(tmp_path / "trades.csv")
    return convert(srcs, tmp_path / "s", format="tardis").meta["quirks"]


def test_book_ending_crossed_gives_crossed_at_end_ns(tmp_path):
    # The last row, a bid at 11.0 through the ask 10.5, 2 ms after the snapshot.
    q = _quirks(tmp_path, f"ex,XUSDT,{T0 + 2000},{T0 + 2100},false,bid,11.0,1\n")
    assert q["crossed_at_end_ns"] == [(T0 + 2000) * 1000, (T0 + 2000) * 1000]
    assert q["transient_crossed_messages"] == 1


def test_book_ending_crossed_lasts_to_the_last_row_a_trade_included(tmp_path):
    # Crossed at +2 ms, still at +3 ms (an ask below the bid), the last row a trade at +4 ms.
    q = _quirks(tmp_path, f"ex,XUSDT,{T0 + 2000},{T0 + 2100},false,bid,11.0,1\n"
                          f"ex,XUSDT,{T0 + 3000},{T0 + 3100},false,ask,10.0,1\n",
                f"ex,XUSDT,{T0 + 4000},{T0 + 4100},t1,buy,11.0,1\n")
    assert q["crossed_at_end_ns"] == [(T0 + 2000) * 1000, (T0 + 4000) * 1000]
    assert q["transient_crossed_messages"] == 2


def test_book_crossed_and_uncrossed_before_its_end_has_none(tmp_path):
    q = _quirks(tmp_path, f"ex,XUSDT,{T0 + 2000},{T0 + 2100},false,bid,11.0,1\n"
                          f"ex,XUSDT,{T0 + 3000},{T0 + 3100},false,bid,11.0,0\n")
    assert q["crossed_at_end_ns"] is None
    assert q["transient_crossed_messages"] == 1
