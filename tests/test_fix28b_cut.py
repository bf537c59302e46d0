"""fix28b, item 1: a text file cut inside its last field, whose row still reads as a row, is named as possibly cut off.

fix27a's note (docs/data.md, "A file cut off mid-line") was added to "malformed" reasons only. A LOBSTER orderbook
row cut from ``...,2238300,110`` to ``...,2238300,11`` reads as a row, and its error blamed the files for
disagreeing. Any row error on a text file's last line that has no newline at its end now adds that the file may be
cut off, which would explain it; a whole last line (its newline there) wrong for another reason gets no note, and a
Binance JSON line, which cannot hide a cut, gets it for a malformed row only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_data

import mmsim
from mmsim.cli import main
from mmsim.data import convert

MAY = ("; it is the file's last line, with no newline at its end: the file may be cut off (a recorder stopped "
       'mid-write), which would explain this; to convert the lines before it, drop that line (docs/data.md, "A file '
       'cut off mid-line")')
AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"


def _error(fmt: str, files: list[Path], out: Path) -> str:
    with pytest.raises(mmsim.DataError) as e:
        convert(files, out, format=fmt)
    return str(e.value)


def _amzn(folder: Path, rows: int = 3000) -> tuple[Path, Path]:
    folder.mkdir()
    paths = []
    for kind in ("message", "orderbook"):
        with open(shared_data("lobster", AMZN.format(kind)), encoding="utf-8") as f:
            text = "".join(next(f) for _ in range(rows))
        (p := folder / AMZN.format(kind)).write_text(text)
        paths.append(p)
    return paths[0], paths[1]


def test_lobster_orderbook_cut_inside_its_last_field_may_be_cut_off(tmp_path, capsys):
    """The report's repro: 3,000 rows of the AMZN day, the orderbook file's last 2 bytes removed (110 -> 11)."""
    m, b = _amzn(tmp_path / "d")
    b.write_bytes(b.read_bytes()[:-2])
    assert b.read_bytes().endswith(b",2238300,11")
    want = (f"{b}: line 3000: the orderbook row shows 11 lots at bid 22383 ticks but the messages up to {m.name} line "
            f"3000 leave 110; the message and orderbook files disagree{MAY}")
    assert _error("lobster", [m], tmp_path / "s") == want
    assert main(["convert", str(m), "-o", str(tmp_path / "s"), "--format", "lobster", "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {want}\n"
    # The same row whole, with its newline: a disagreement, as anywhere else (no note).
    b.write_bytes(b.read_bytes() + b"\n")
    assert _error("lobster", [m], tmp_path / "s") == want[: -len(MAY)]
    # Cut as the note says (the last row of both files), the rows before it convert.
    for p in (m, b):
        p.write_text("".join(p.read_text().splitlines(keepends=True)[:-1]))
    assert convert([m], tmp_path / "s", format="lobster").meta["event_count"] > 0


TRADES = """exchange,symbol,timestamp,local_timestamp,id,side,price,amount
ex,XUSDT,1700000000000500,1700000000000600,1,buy,10.5,5
"""
BOOK = """exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
ex,XUSDT,1700000000000000,1700000000000100,true,bid,10.0,1.5
ex,XUSDT,1700000000000000,1700000000000100,true,ask,10.5,1
"""


def test_tardis_trade_cut_to_size_zero_may_be_cut_off(tmp_path):
    """The same kind in another loader: a trade's amount 0.5 cut to 0. reads as a trade of size 0."""
    book, trades = tmp_path / "book.csv", tmp_path / "trades.csv"
    book.write_text(BOOK)
    trades.write_text(TRADES + "ex,XUSDT,1700000000000700,1700000000000800,2,sell,10.0,0.")
    assert _error("tardis", [book, trades], tmp_path / "s") == f"{trades}: line 3: trade of size 0{MAY}"
    trades.write_text(TRADES + "ex,XUSDT,1700000000000700,1700000000000800,2,sell,10.0,0.\n")
    assert _error("tardis", [book, trades], tmp_path / "s") == f"{trades}: line 3: trade of size 0"


DATABENTO = """ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id
1703541600000000150,1703541600000000100,0,1,7,ESH4,A,B,4800.00,2,11,130,0
"""


def test_databento_csv_last_row_error_may_be_cut_off(tmp_path):
    db = tmp_path / "db.csv"
    db.write_text(DATABENTO + "1703541600000000250,1703541600000000200,0,2,7,ESH4,A,B,4800.00,2,11,130,0")
    assert _error("databento", [db], tmp_path / "s") == f"{db}: line 3: order id 11 added twice{MAY}"
    db.write_text(DATABENTO + "1703541600000000250,1703541600000000200,0,2,7,ESH4,A,B,4800.00,2,11,130,0\n")
    assert _error("databento", [db], tmp_path / "s") == f"{db}: line 3: order id 11 added twice"


def test_a_binance_json_line_is_no_cut(tmp_path):
    """A JSON line cut anywhere does not parse (fix27a's note); a whole one wrong otherwise is not called cut off,
    with or without its newline."""
    snap = ('1700000000001000000 {"lastUpdateId": 100, "E": 1700000000000, "T": 1700000000000, '
            '"bids": [["61800.0", "1.000"]], "asks": [["61800.1", "1.500"]]}\n')
    back = ('1600000000002000000 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000001,'
            '"s":"BTCUSDT","U":101,"u":101,"b":[["61800.0","2.000"]],"a":[]}}')
    cap = tmp_path / "cap.txt"
    cap.write_text(snap + back)
    closed = _error("binance", [cap], tmp_path / "s")
    cap.write_text(snap + back + "\n")
    assert _error("binance", [cap], tmp_path / "s") == closed
    assert closed.startswith(f"{cap}: line 2: ") and "cut off" not in closed
