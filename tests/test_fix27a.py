"""breaker27's findings on a fresh clone (fix27a).

A. ``mmsim convert --format lobster`` of files of two tickers wrote one store (``AAPL,AMZN``) whose runs filled AMZN
   orders at AAPL's book: LOBSTER refuses a second ticker by the file names, before any row is read, as the other
   loaders refuse a second symbol or instrument. One ticker at several levels stays one store.
"""

from __future__ import annotations

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
