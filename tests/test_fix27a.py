"""breaker27's findings on a fresh clone (fix27a).

A. ``mmsim convert --format lobster`` of files of two tickers wrote one store (``AAPL,AMZN``) whose runs filled AMZN
   orders at AAPL's book: LOBSTER refuses a second ticker by the file names, before any row is read, as the other
   loaders refuse a second symbol or instrument. One ticker at several levels stays one store.
B. A capture cut off mid-line (a recorder stopped mid-write) said ``bad JSON (Unterminated string starting at)``: the
   JSON error keeps its column in the line, and a row error on a text file's last line says the file looks cut off
   and what to do (Binance, Tardis, Databento CSV, LOBSTER; docs/data.md, "A file cut off mid-line").
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

import mmsim
from mmsim.cli import main
from mmsim.data import convert
from mmsim.data import lobster as lob

NAME = "{}_{}_34200000_57600000_{}_{}.csv"
MSG = "34200.1,1,101,10,1000100,1\n34200.2,1,102,5,1000300,-1\n34200.3,3,101,10,1000100,1\n"
BOOK_1 = "1000200,7,1000100,10\n1000200,7,1000100,10\n1000200,7,1000000,4\n"
# The same messages in a level-2 file: message 2's ask 100.03 is inside the window.
BOOK_2 = ("1000200,7,1000100,10,9999999999,0,-9999999999,0\n1000200,7,1000100,10,1000300,5,-9999999999,0\n"
          "1000200,7,1000000,4,1000300,5,-9999999999,0\n")


def _day(d: Path, ticker: str, date: str = "2012-06-21", level: int = 1, msg: str = MSG) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    m = d / NAME.format(ticker, date, "message", level)
    m.write_text(msg)
    (d / NAME.format(ticker, date, "orderbook", level)).write_text(BOOK_1 if level == 1 else BOOK_2)
    return m


def _cli_error(argv: list[str], capsys) -> str:
    assert main(argv) == 1
    return capsys.readouterr().err.strip()


# ------------------------------------------------------------------------------------------- A: one ticker a store
def test_lobster_second_ticker_is_refused_before_any_row(tmp_path, capsys):
    # The first day's rows are garbage: the refusal comes from the names, before any row is read.
    a = _day(tmp_path / "a", "AMZN", msg="not,a,row\n")
    b = _day(tmp_path / "b", "AAPL", date="2012-06-22")
    want = f"{b}: ticker AAPL differs from AMZN ({a}); one store holds one symbol (convert each ticker to its own store)"
    for call in (lambda: lob.convert([a, b], tmp_path / "s"),
                 lambda: convert([a, b], tmp_path / "s", format="lobster"),
                 lambda: convert([a, b], tmp_path / "s", format="lobster", symbol="MIX")):  # --symbol mixes nothing
        with pytest.raises(mmsim.DataError) as e:
            call()
        assert str(e.value) == want
    assert _cli_error(["convert", str(a), str(b), "-o", str(tmp_path / "s"), "--format", "lobster"], capsys) == (
        f"mmsim: error: {want}")
    assert not (tmp_path / "s").exists()


def test_lobster_second_ticker_given_by_its_orderbook_file_is_refused(tmp_path):
    # The same kind the report did not give: the other ticker's orderbook file, as the third source.
    a = _day(tmp_path, "TEST")
    a2 = _day(tmp_path, "TEST", date="2012-06-22")
    _day(tmp_path, "OTHR", date="2012-06-25")
    b = tmp_path / NAME.format("OTHR", "2012-06-25", "orderbook", 1)
    with pytest.raises(mmsim.DataError) as e:
        lob.convert([a, a2, b], tmp_path / "s")
    assert str(e.value) == (f"{b}: ticker OTHR differs from TEST ({a}); one store holds one symbol (convert each "
                            "ticker to its own store)")


def test_lobster_real_amzn_and_aapl_days_are_refused(tmp_path, capsys):
    """The report's repro: AMZN 2012-06-21 (level 1) and AAPL's day copied to 2012-06-22 (level 10)."""
    amzn = shared_data("lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    src = shared_data("lobster")
    aapl = tmp_path / NAME.format("AAPL", "2012-06-22", "message", 10)
    shutil.copy(src / NAME.format("AAPL", "2012-06-21", "message", 10), aapl)
    shutil.copy(src / NAME.format("AAPL", "2012-06-21", "orderbook", 10), lob.orderbook_path(aapl))
    err = _cli_error(["convert", str(amzn), str(aapl), "-o", str(tmp_path / "s_mix"), "--format", "lobster"], capsys)
    assert err == (f"mmsim: error: {aapl}: ticker AAPL differs from AMZN ({amzn}); one store holds one symbol "
                   "(convert each ticker to its own store)")
    assert not (tmp_path / "s_mix").exists()


def test_lobster_one_ticker_over_several_days_and_levels_is_one_store(tmp_path):
    """Each file starts from its own snapshot (a CLEAR, then its resting depth), so a day at level 1 and the next at
    level 2 make one coherent store of one symbol (no longer a join of the tickers)."""
    a = _day(tmp_path, "TEST")
    b = _day(tmp_path, "TEST", date="2012-06-22", level=2)
    st = lob.convert([a, b], tmp_path / "s")
    ev = np.asarray(st.events)
    assert st.meta["symbol"] == "TEST"
    assert st.meta["source"] == [a.name, lob.orderbook_path(a).name, b.name, lob.orderbook_path(b).name]
    assert np.flatnonzero(ev["kind"] == mmsim.Kind.CLEAR).tolist() == [0, 6]
    # Day 2 at level 2 seeds the ask 100.02 x 7 (message 2 then adds 100.03 x 5 inside the window, as day 1's
    # level-1 file could not show): the same 6 events as day 1 but no level entering from outside the window.
    assert len(ev) == 12


def test_lobster_one_ticker_same_day_at_two_levels_is_refused_by_time(tmp_path):
    """The same day twice (at level 1 and at level 2) is that day's data twice: the second file's first row goes
    back in time, an error naming both files and lines."""
    a = _day(tmp_path, "TEST")
    b = _day(tmp_path, "TEST", level=2)
    with pytest.raises(mmsim.DataError) as e:
        lob.convert([a, b], tmp_path / "s")
    assert str(e.value) == (f"{b}: line 1: non-monotonic timestamp: 1340285400100000000 ns is earlier than "
                            f"1340285400300000000 ns at {a}: line 3")


# ------------------------------------------------------------------------------------------- B: a file cut off
CUT = ('; it is the file\'s last line{}: the file looks cut off (a recorder stopped mid-write); to convert the lines '
       'before it, drop that line (docs/data.md, "A file cut off mid-line")')
OPEN, CLOSED = CUT.format(", with no newline at its end"), CUT.format("")
SNAPSHOT = ('1700000000001000000 {"lastUpdateId": 100, "E": 1700000000000, "T": 1700000000000, '
            '"bids": [["61800.0", "1.000"]], "asks": [["61800.1", "1.500"]]}\n')
DIFF = ('1700000000002000000 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000001,'
        '"s":"BTCUSDT","U":101,"u":101,"b":[["61800.0","2.000"]],"a":[]}}\n')
TARDIS = """exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
ex,XUSDT,1700000000000000,1700000000000100,true,bid,10.0,1
ex,XUSDT,1700000000000000,1700000000000100,true,ask,10.5,1
"""
DATABENTO = """ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id
1703541600000000150,1703541600000000100,0,1,7,ESH4,A,B,4800.00,2,11,130,0
"""


def _error(fmt: str, files: list[Path], out: Path) -> str:
    with pytest.raises(mmsim.DataError) as e:
        convert(files, out, format=fmt)
    return str(e.value)


def test_binance_capture_cut_mid_line_says_so_with_the_json_column(tmp_path, capsys):
    """The report's repro: 3,000 lines of the BTCUSDT spot capture, then line 3,001's first 120 characters."""
    with gzip.open(shared_data("binance", "spot", "btcusdt_20240808.gz"), "rt") as f:
        lines = [next(f) for _ in range(3001)]
    cut = lines[3000][:120]
    assert cut[114] == '"' and '"' not in cut[115:]  # column 115 opens the string the cut leaves unterminated
    for name, end, note in (("cut.gz", "\n", CLOSED), ("killed.gz", "", OPEN)):  # `cut -c` adds a newline; a kill not
        with gzip.open(tmp_path / name, "wt") as f:
            f.write("".join(lines[:3000]) + cut + end)
        want = (f"{tmp_path / name}: line 3001: malformed row: bad JSON (Unterminated string starting at: column 115 "
                f"of the line){note}")
        assert _error("binance", [tmp_path / name], tmp_path / "s") == want
        assert _cli_error(["convert", str(tmp_path / name), "-o", str(tmp_path / "s"), "--format", "binance"],
                          capsys) == f"mmsim: error: {want}"
    assert not (tmp_path / "s").exists()
    # Cut as the message says, the lines before it convert.
    with gzip.open(tmp_path / "fixed.gz", "wt") as f:
        f.write("".join(lines[:3000]))
    assert convert([tmp_path / "fixed.gz"], tmp_path / "s", format="binance").meta["event_count"] > 0


def test_binance_cut_line_column_is_hand_counted_and_a_middle_line_is_not_cut_off(tmp_path):
    cap = tmp_path / "cap.txt"
    # 19 digits, a space, then 25 characters of JSON: the error is after the last one, column 19 + 1 + 25 + 1 = 46.
    cap.write_text(SNAPSHOT + '1700000000002000000 {"e":"depthUpdate","E":17')
    assert _error("binance", [cap], tmp_path / "s") == (
        f"{cap}: line 2: malformed row: bad JSON (Expecting ',' delimiter: column 46 of the line){OPEN}")
    # The same line with a line after it: a bad line, not a cut file (no note).
    cap.write_text(SNAPSHOT + '1700000000002000000 {"e":"depthUpdate","E":17\n' + DIFF)
    assert _error("binance", [cap], tmp_path / "s") == (
        f"{cap}: line 2: malformed row: bad JSON (Expecting ',' delimiter: column 46 of the line)")


def test_binance_book_tickers_says_a_capture_is_cut_off_as_convert_does(tmp_path):
    from mmsim.data import binance

    cap = tmp_path / "cap.txt"
    # 19 + 1 + 47 characters ('{"stream":"btcusdt@bookTicker","data":{"u":5009'): the error at column 68.
    cap.write_text(SNAPSHOT + '1700000000002000000 {"stream":"btcusdt@bookTicker","data":{"u":5009')
    with pytest.raises(mmsim.DataError) as e:
        binance.book_tickers(cap, 0.1, 0.001)
    assert str(e.value) == f"{cap}: line 2: malformed row: bad JSON (Expecting ',' delimiter: column 68 of the line){OPEN}"


def test_a_character_cut_in_two_on_the_last_line_says_the_file_is_cut_off(tmp_path):
    """Another cut the report did not give: the recorder stopped inside a UTF-8 character (\u00e9 is 2 bytes)."""
    cap = tmp_path / "cap.txt"
    cap.write_bytes((SNAPSHOT + '1700000000002000000 {"e":"d').encode() + "\u00e9".encode()[:1])
    assert _error("binance", [cap], tmp_path / "s") == (
        f"{cap}: line 2: not UTF-8 text (byte 28 of the line: b'\\xc3'){OPEN}")


def test_tardis_and_databento_csv_cut_mid_row_say_so(tmp_path):
    book = tmp_path / "book.csv"
    book.write_text(TARDIS + "ex,XUSDT,1700000000001000,17000")
    assert _error("tardis", [book], tmp_path / "s") == (
        f"{book}: line 4: malformed row: 4 columns, expected 8 (as the header){OPEN}")
    book.write_text(TARDIS + "ex,XUSDT,1700000000001000,17000\n\n")  # blank lines after it are no row
    assert _error("tardis", [book], tmp_path / "s") == (
        f"{book}: line 4: malformed row: 4 columns, expected 8 (as the header){CLOSED}")
    db = tmp_path / "db.csv.gz"
    with gzip.open(db, "wt") as f:
        f.write(DATABENTO + "1703541600000000250,1703541600000000200,0,2,7,ESH4,A,A,48")
    assert _error("databento", [db], tmp_path / "s") == (
        f"{db}: line 3: malformed row: 9 columns, expected 13 (as the header){OPEN}")


def test_lobster_message_or_orderbook_file_cut_mid_row_says_which(tmp_path, capsys):
    m = _day(tmp_path / "m", "TEST", msg=MSG[:-len("10,1000100,1\n")])  # line 3: "34200.3,3,101,"
    assert _error("lobster", [m], tmp_path / "s") == (
        f"{m}: line 3: malformed row: 4 columns, expected 6 (time,type,id,size,price,direction){OPEN}")
    m = _day(tmp_path / "b", "TEST")
    book = lob.orderbook_path(m)
    book.write_text(BOOK_1[: -len(",4\n")])  # the orderbook file's last row stops after its bid price
    assert _error("lobster", [m], tmp_path / "s") == f"{book}: line 3: malformed row: 3 columns, expected 4{OPEN}"
    assert _cli_error(["convert", str(m), "-o", str(tmp_path / "s"), "--format", "lobster"], capsys) == (
        f"mmsim: error: {book}: line 3: malformed row: 3 columns, expected 4{OPEN}")


def test_a_whole_last_line_malformed_otherwise_is_not_called_cut_off(tmp_path):
    """A last line that ends in its newline and is whole (its columns all there) but wrong is a bad line, as
    anywhere else; so is a short line with lines after it."""
    m = _day(tmp_path / "a", "TEST", msg=MSG.replace("34200.3,3,", "34200.3,9,"))
    assert _error("lobster", [m], tmp_path / "s") == f"{m}: line 3: malformed row: unknown event type 9"
    m = _day(tmp_path / "b", "TEST", msg=MSG.replace("34200.2,1,102,5,1000300,-1", "34200.2,1,102,5"))
    assert _error("lobster", [m], tmp_path / "s") == (
        f"{m}: line 2: malformed row: 4 columns, expected 6 (time,type,id,size,price,direction)")
