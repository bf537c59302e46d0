"""A Tardis day without trades is legal data: its trades file (header only, or a gzip of nothing) loads as none.

Tardis serves the trades file of a day with depth but no trades as a CSV with its header only, or as a
gzip that decompresses to nothing; the loader refused the latter as "empty file". A file of 0 bytes
stays an error: it is what a failed download leaves (docs/data.md, "Tardis.dev").
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from mmsim.data import tardis as tds
from mmsim.data.store import summary
from mmsim.errors import DataError
from mmsim.events import Kind

BOOK_HDR = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
TRADE_HDR = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
T0 = 1_700_000_000_000_000  # µs


def _book(tmp_path):
    p = tmp_path / "book.csv"
    p.write_text(BOOK_HDR + f"binance,BTCUSDT,{T0 + 1000},{T0 + 1500},true,ask,100.5,2\n"
                 f"binance,BTCUSDT,{T0 + 1000},{T0 + 1500},true,bid,100.0,1\n"
                 f"binance,BTCUSDT,{T0 + 2000},{T0 + 2500},false,bid,100.0,3\n")
    return p


def _header_only(p):
    p.write_text(TRADE_HDR)


def _header_only_gz(p):
    with gzip.open(p, "wt") as f:
        f.write(TRADE_HDR)


def _gzip_of_nothing(p):
    with gzip.open(p, "wb") as f:
        f.write(b"")


@pytest.mark.parametrize("name, write", [("trades.csv", _header_only), ("trades.csv.gz", _header_only_gz),
                                         ("trades.csv.gz", _gzip_of_nothing)],
                         ids=["header-only", "header-only-gzip", "gzip-of-nothing"])
@pytest.mark.parametrize("trades_first", [False, True])
def test_a_trades_file_without_rows_loads_the_book_with_no_trades(tmp_path, name, write, trades_first):
    book = _book(tmp_path)
    trades = tmp_path / name
    write(trades)
    assert trades.stat().st_size > 0
    st = tds.convert([trades, book] if trades_first else [book, trades], tmp_path / "s")
    got = [(Kind(e["kind"]).name, int(e["side"]), int(e["price"]), int(e["qty"])) for e in np.asarray(st.events)]
    # tick 0.5 (common step of 100.5 and 100.0), lot 1: the book's rows, no TRADE.
    assert got == [("CLEAR", 0, 0, 0), ("DEPTH", -1, 201, 2), ("DEPTH", 1, 200, 1), ("DEPTH", 1, 200, 3)]
    assert st.meta["quirks"]["empty_trades_file"] == 1
    assert summary(st) == (f"wrote {tmp_path / 's'}: 4 events, BTCUSDT (tardis-binance), tick 0.5, lot 1, L2; "
                           "the trades file has no trades (quirks.empty_trades_file)")


def test_a_trades_file_with_rows_says_it_is_not_empty(tmp_path):
    book = _book(tmp_path)
    trades = tmp_path / "trades.csv"
    trades.write_text(TRADE_HDR + f"binance,BTCUSDT,{T0 + 1200},{T0 + 1600},7,sell,100.0,1\n")
    st = tds.convert([book, trades], tmp_path / "s")
    assert st.meta["quirks"]["empty_trades_file"] == 0
    assert "empty_trades_file" not in tds.convert([book], tmp_path / "b").meta["quirks"]  # no trades file given
    assert "no trades" not in summary(st)


@pytest.mark.parametrize("name", ["trades.csv", "trades.csv.gz"])
def test_a_file_of_zero_bytes_is_still_an_error(tmp_path, name):
    book = _book(tmp_path)
    trades = tmp_path / name
    trades.write_bytes(b"")
    with pytest.raises(DataError) as e:
        tds.convert([book, trades], tmp_path / "s")
    assert str(e.value) == (
        f"{trades}: empty file (0 bytes, not even a CSV header; a failed download leaves this): download it again. "
        "A book file is never empty; a trades file of a day without trades is given as Tardis serves it (its header "
        "only, or an empty gzip), or left out")
    assert not (tmp_path / "s").exists()


def test_a_book_file_of_zero_bytes_is_named_as_a_failed_download(tmp_path):
    """The message assumed a trades file ("For a day without trades give the trades file..."), also
    for the book; it now says to download it again, and what an empty trades file looks like."""
    book = tmp_path / "book.csv"
    book.write_bytes(b"")
    with pytest.raises(DataError) as e:
        tds.convert([book], tmp_path / "s")
    assert str(e.value).startswith(f"{book}: empty file (0 bytes, not even a CSV header; a failed download leaves "
                                   "this): download it again. A book file is never empty; ")


def test_a_gzip_of_nothing_cannot_be_the_book(tmp_path):
    empty = tmp_path / "book.csv.gz"
    _gzip_of_nothing(empty)
    with pytest.raises(DataError) as e:
        tds.convert([empty], tmp_path / "s")
    assert str(e.value) == (f"{empty}: an empty gzip (no header, no rows) cannot be the incremental_book_L2 file; "
                            "the book cannot be built")
    header_only = tmp_path / "trades.csv"
    _header_only(header_only)
    with pytest.raises(DataError, match=r"a second trades file"):  # an empty gzip with a trades file: no book
        tds.convert([_book(tmp_path), empty, header_only], tmp_path / "s")


def test_a_binance_capture_without_trade_messages_loads_with_no_trades(tmp_path):
    """The other loaders have no separate trades file: Binance's trades come in the capture's own stream."""
    from _corpus import bn_lines, binance

    from mmsim.data import binance as bn

    msgs = [m for m in bn_lines() if not (isinstance(m, dict) and m.get("data", {}).get("e") == "trade")]
    assert len(msgs) == len(bn_lines()) - 1
    srcs, _ = binance(tmp_path, msgs)
    kinds = np.asarray(bn.convert(srcs, tmp_path / "s").events)["kind"]
    assert set(kinds.tolist()) == {Kind.CLEAR, Kind.DEPTH}  # the book, and no TRADE
