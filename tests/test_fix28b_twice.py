"""fix28b, item 3: the same file given twice is refused by every converter, before any row is read.

LOBSTER converted a message file given twice by one path once, silently, and refused it under two paths (``lob/x.csv``
and ``../lob/x.csv``, a symlink) with ``non-monotonic timestamp ...``; Binance read the copy and refused it by its
times, Databento by ``order id ... added twice``. One rule now (``mmsim.data._sources.given_once``): sources that are
the same file, by any path, are refused naming both paths as given. A LOBSTER day's message file and its own
orderbook file given together are still that day once.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from conftest import shared_data

import mmsim
from mmsim.cli import main
from mmsim.data import convert

M = "AAPL_2012-06-21_34200000_57600000_message_10.csv"
O = "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"  # noqa: E741


def _twice(later: str | Path, first: str | Path) -> str:
    return f"{later}: the same file as {first} (given twice); give each file once"


def _error(fmt: str, files: list, out: Path) -> str:
    with pytest.raises(mmsim.DataError) as e:
        convert(files, out, format=fmt)
    return str(e.value)


@pytest.fixture
def lob(tmp_path, monkeypatch):
    """``lob/`` holding the AAPL day, ``ln`` a symlink to it, ``sub/`` an empty folder; the current folder is tmp."""
    (tmp_path / "lob").mkdir()
    for name in (M, O):
        shutil.copy(shared_data("lobster", name), tmp_path / "lob" / name)
    (tmp_path / "ln").symlink_to(tmp_path / "lob")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_lobster_one_file_under_two_paths_is_refused_naming_both(lob, capsys):
    """The report's repro: `../lob/x.csv` and `lob/x.csv` said `non-monotonic timestamp ...`."""
    assert _error("lobster", [f"sub/../lob/{M}", f"lob/{M}"], lob / "s") == _twice(f"lob/{M}", f"sub/../lob/{M}")
    assert _error("lobster", [f"lob/{M}", f"ln/{M}"], lob / "s") == _twice(f"ln/{M}", f"lob/{M}")  # a symlink
    assert main(["convert", f"lob/{M}", f"ln/{M}", "-o", "s", "--format", "lobster", "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {_twice(f'ln/{M}', f'lob/{M}')}\n"
    assert not (lob / "s").exists()


def test_lobster_one_path_twice_is_refused_not_converted_once(lob):
    """It was converted once, silently: a command line that names a file twice is a mistake, as in every loader."""
    assert _error("lobster", [f"lob/{M}", f"lob/{M}"], lob / "s") == _twice(f"lob/{M}", f"lob/{M}")
    # the orderbook file twice, which stands for its message file, likewise
    assert _error("lobster", [f"lob/{O}", f"ln/{O}"], lob / "s") == _twice(f"ln/{O}", f"lob/{O}")


def test_lobster_message_and_its_own_orderbook_file_are_the_day_once(lob):
    """Two files of one day (a glob `lob/AAPL_*` gives both), by any paths: one day, as the message file alone."""
    n = convert([f"lob/{M}"], lob / "a", format="lobster").meta["event_count"]
    assert convert([f"lob/{M}", f"ln/{O}"], lob / "b", format="lobster").meta["event_count"] == n
    assert convert([f"ln/{O}", f"sub/../lob/{M}"], lob / "c", format="lobster").meta["event_count"] == n


def test_binance_one_file_twice_is_refused_before_its_times(tmp_path):
    """It read the file again and refused its first line by time (`exchange timestamp ... is 12.203 s earlier`)."""
    cap = tmp_path / "cap.gz"
    with gzip.open(shared_data("binance", "usdm", "btcusdt_20240808.gz"), "rt") as f, gzip.open(cap, "wt") as g:
        g.writelines(next(f) for _ in range(3000))
    (tmp_path / "ln.gz").symlink_to(cap)
    assert _error("binance", [cap, cap], tmp_path / "s") == _twice(cap, cap)
    assert _error("binance", [cap, tmp_path / "ln.gz"], tmp_path / "s") == _twice(tmp_path / "ln.gz", cap)


def test_tardis_databento_and_hftbacktest_refuse_one_file_twice_before_reading_it(tmp_path):
    """The same kind in every other converter: the files hold no valid row, so the error comes before any is read."""
    for fmt, name in (("tardis", "book.csv"), ("databento", "mbo.csv"), ("databento", "mbo.dbn"),
                      ("hftbacktest", "day.npz")):
        f = tmp_path / name
        f.write_text("not data\n")
        (tmp_path / "d").mkdir(exist_ok=True)
        other = tmp_path / "d" / ".." / name
        assert _error(fmt, [f, other], tmp_path / "s") == _twice(other, f), fmt
    hard = tmp_path / "hard.csv"
    hard.hardlink_to(tmp_path / "book.csv")  # a hard link is the same file too
    assert _error("tardis", [tmp_path / "book.csv", hard], tmp_path / "s") == _twice(hard, tmp_path / "book.csv")
