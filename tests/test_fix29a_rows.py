"""fix29a, items 1 and 2: every LOBSTER orderbook row is checked against the book its messages build, and a row error
on a cut line gets the cut-off note whichever line its message names first.

1. A level that stayed inside the window was excused from the check when it held an order known from before the level
   last left the window ("untrusted"): its size could have changed outside the window with no message. Such a row was
   reset to the orderbook's depth, silently, and only a later row that disagreed with the reset caught it, naming
   that later row; the last row has none, so a last row cut from ``...,2205100,249`` to ``...,2205100,24`` converted
   (any level of it: a level-10 file's deeper levels too). Only the level of a message about such an order may differ
   from the row now; every other level shown in the previous row changes by the message or not at all. The first
   row, the book after the first message, was not checked against it: a row showing less than the first message
   adds there was reset to the row's depth.
2. The note went by the line a message names first: LOBSTER's phantom best names the row before, a crossed book the
   row it crossed at, so an error found on a last line with no newline had no note. It now goes by the row read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import shared_data

import mmsim
from mmsim.cli import main
from mmsim.data import convert

NOTE = ("the file may be cut off (a recorder stopped mid-write), which would explain this; to convert the lines before "
        'it, drop that line (docs/data.md, "A file cut off mid-line")')
MAY = f"; it is the file's last line, with no newline at its end: {NOTE}"
AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"
AAPL = "AAPL_2012-06-21_34200000_57600000_{}_10.csv"
DAY = "TEST_2012-06-21_34200000_57600000_{}_1.csv"


def _error(m: Path, out: Path) -> str:
    with pytest.raises(mmsim.DataError) as e:
        convert([m], out, format="lobster")
    return str(e.value)


def _real(folder: Path, name: str) -> tuple[Path, Path]:
    """A writable copy of a real LOBSTER day (message, orderbook)."""
    folder.mkdir()
    paths = []
    for kind in ("message", "orderbook"):
        p = folder / name.format(kind)
        shutil.copyfile(shared_data("lobster", name.format(kind)), p)
        paths.append(p)
    return paths[0], paths[1]


def _day(folder: Path, messages: list[str], books: list[str], *, m_end: str = "\n", b_end: str = "\n") -> Path:
    folder.mkdir()
    m = folder / DAY.format("message")
    m.write_text("\n".join(messages) + m_end)
    (folder / DAY.format("orderbook")).write_text("\n".join(books) + b_end)
    return m


# ------------------------------------------------------------------------------------- 1: every row is checked
def test_amzn_last_row_cut_is_refused(tmp_path, capsys):
    """The report's repro: the AMZN orderbook's last row cut from 249 to 24 lots (its last 2 bytes, ``9\\n``)."""
    m, b = _real(tmp_path / "d", AMZN)
    b.write_bytes(b.read_bytes()[:-2])
    assert b.read_bytes().endswith(b"\n2206400,100,2205100,24")
    # The last message (line 57515) deletes an ask; the bid 220.51 held 249 shares for the 4 rows before.
    want = (f"{b}: line 57515: the orderbook row shows 24 lots at bid 22051 ticks but the messages up to {m.name} "
            f"line 57515 leave 249; the message and orderbook files disagree{MAY}")
    assert _error(m, tmp_path / "s") == want
    assert main(["convert", str(m), "-o", str(tmp_path / "s"), "--format", "lobster", "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {want}\n"
    assert not (tmp_path / "s").exists()
    # The same row whole, with its newline: a disagreement (no note).
    b.write_bytes(b.read_bytes() + b"\n")
    assert _error(m, tmp_path / "s") == want[: -len(MAY)]


def test_amzn_middle_row_names_itself_not_the_row_after(tmp_path):
    """The same value two rows before the end: the row after it (right, 249) was named, as if it were the bad one."""
    m, b = _real(tmp_path / "d", AMZN)
    lines = b.read_bytes().split(b"\n")
    assert lines[57512] == b"2206400,100,2205100,249"  # line 57513
    lines[57512] = b"2206400,100,2205100,24"
    b.write_bytes(b"\n".join(lines))
    assert _error(m, tmp_path / "s") == (
        f"{b}: line 57513: the orderbook row shows 24 lots at bid 22051 ticks but the messages up to {m.name} line "
        "57513 leave 249; the message and orderbook files disagree")


@pytest.mark.parametrize("level, old, new, want", [
    (5, b"5859300,59", b"5859300,5", "5 lots at ask 58593 ticks but the messages up to {m} line 999 leave 59"),
    (10, b"5849900,234249", b"5849900,2342", "2342 lots at bid 58499 ticks but the messages up to {m} line 999 leave 2"),
], ids=["level-5-ask", "level-10-bid"])
def test_aapl_level_10_last_row_deeper_levels_are_checked(tmp_path, level, old, new, want):
    """A second file position: the level-10 AAPL day's last row (line 999, no newline in the sample), its deeper levels.

    The files end without a newline, so the last orderbook row runs on into nothing: ``...,5849900,2`` is the
    row's level-10 bid. Level 5's ask (58593, 59 shares) and level 10's bid (58499, 2 shares, a size written
    ``2342`` here) each stayed inside the window from the row before; a wrong size there converted."""
    m, b = _real(tmp_path / "d", AAPL)
    text = b.read_bytes()
    assert not text.endswith(b"\n") and text.count(b"\n") == 998
    last = text.rsplit(b"\n", 1)[1]
    if level == 10:  # the last field: append digits (a size the messages do not leave) instead of cutting
        assert last.endswith(b",5849900,2")
        last = last + b"342"
    else:
        assert last.count(old) == 1
        last = last.replace(old, new)
    b.write_bytes(text.rsplit(b"\n", 1)[0] + b"\n" + last)
    assert _error(m, tmp_path / "s") == (f"{b}: line 999: the orderbook row shows {want.format(m=m.name)}; the "
                                         f"message and orderbook files disagree{MAY}")


#: A bid 100.00 x 10 (order 101) that left the level-1 window (a better bid came and went) and came back at row 3:
#: order 101 is known from before its level left the window. Then hidden executions (no book change).
BACK_MSG = ["34200.1,1,101,10,1000000,1", "34200.2,1,102,5,1000100,1", "34200.3,3,102,5,1000100,1",
            "34200.4,5,0,1,1000300,-1", "34200.5,5,0,1,1000300,-1"]
BACK_BOOK = ["1000300,7,1000000,10", "1000300,7,1000100,5", "1000300,7,1000000,10"]


def test_a_level_back_in_the_window_is_checked_at_the_last_row(tmp_path):
    """Row 4 shows 9 lots at 100.00, which the hidden execution (message 4) does not change: it was reset to 9."""
    m = _day(tmp_path / "a", BACK_MSG[:4], BACK_BOOK + ["1000300,7,1000000,9"])
    assert _error(m, tmp_path / "s") == (
        f"{m.with_name(DAY.format('orderbook'))}: line 4: the orderbook row shows 9 lots at bid 10000 ticks but the "
        f"messages up to {m.name} line 4 leave 10; the message and orderbook files disagree")
    # A message about order 101 may leave other than the row: a deletion removes what we hold (10), and the
    # order may have been cut to 6 while outside the window, 4 lots joining behind it. The row's 4 is taken.
    ok = convert([_day(tmp_path / "b", BACK_MSG[:3] + ["34200.4,3,101,6,1000000,1"],
                       BACK_BOOK + ["1000300,7,1000000,4"])], tmp_path / "t", format="lobster")
    assert ok.meta["quirks"]["levels_entering_window"] == 1


@pytest.mark.parametrize("row, want", [
    ("1000300,7,1000000,4", "4 lots at bid 10000"),  # the level shows less than the add
    ("1000300,7,999900,3", "0 lots at bid 10000"),  # a better bid than the row's, inside the window: not shown
], ids=["less-than-the-add", "not-shown"])
def test_the_first_row_is_checked_against_the_first_message(tmp_path, row, want):
    """The first row is the book after the first message (an add of 10 lots at 100.00). A row showing less there
    was reset to the row's depth (less-than-the-add) or lost the add (not-shown), and the bid left the level-1
    window at row 2 (a better bid) with no later row to contradict it: both converted."""
    msgs = ["34200.1,1,101,10,1000000,1", "34200.2,1,102,5,1000100,1"]
    m = _day(tmp_path / "a", msgs, [row, "1000300,7,1000100,5"])
    assert _error(m, tmp_path / "s") == (
        f"{m.with_name(DAY.format('orderbook'))}: line 1: the orderbook row shows {want} ticks but the messages up to "
        f"{m.name} line 1 leave at least 10 (the first message adds them); the message and orderbook files disagree")
    # Showing the add (or more: orders resting before the file) converts.
    for i, good in enumerate(("1000300,7,1000000,10", "1000300,7,1000000,12")):
        assert convert([_day(tmp_path / f"g{i}", msgs, [good, "1000300,7,1000100,5"])], tmp_path / f"t{i}",
                       format="lobster").meta["event_count"] > 0


def test_real_days_convert_as_before():
    """No row of the two sample days was excused by the old rule: both still convert (events unchanged: the digest
    each had before this change)."""
    import tempfile

    digests = {
        AMZN: "sha256:5dde1795fcebd2c8a6657bb222f07ab0846e387aafe5d9f206fc30f28ac11beb",
        AAPL: "sha256:3ae8288cf51a5ba033ec3fb88bd90a10fe0525d251e3a997765c4495a920c90f",
    }
    for name, digest in digests.items():
        with tempfile.TemporaryDirectory() as d:
            st = convert([shared_data("lobster", name.format("message"))], Path(d) / "s", format="lobster")
            assert st.meta["events_digest"] == digest


# ------------------------------------------------------------------- 2: the note goes by the row read, any check
PHANTOM_MSG = ["34200.1,1,101,10,1000000,1", "34200.2,5,0,3,1000100,-1"]
PHANTOM_BOOK = ["1000300,7,1000100,4", "1000300,7,1000000,10"]


def test_a_phantom_best_found_on_a_cut_last_row_says_it_may_be_cut_off(tmp_path):
    """The phantom best names the row before (line 1); the row it was found on is the last, with no newline."""
    m = _day(tmp_path / "a", PHANTOM_MSG, PHANTOM_BOOK, b_end="")
    b = m.with_name(DAY.format("orderbook"))
    head = (f"{b}: line 1: the orderbook row shows a best bid 10001 ticks (4 lots) that the next row no longer "
            f"shows, and no message up to {m.name} line 2 adds or removes it: a phantom best price; the message "
            "and orderbook files disagree")
    assert _error(m, tmp_path / "s") == f"{head}; {b}: line 2, read when this was found, is the file's last line, " \
                                        f"with no newline at its end: {NOTE}"
    # With its newline: no note.
    b.write_text(b.read_text() + "\n")
    assert _error(m, tmp_path / "s") == head


CROSS_MSG = ["34200.1,1,101,10,1000100,1", "34200.5,1,102,5,1000000,-1", "34202.0,1,103,1,999900,-1"]
CROSS_BOOK = ["1000200,7,1000100,10", "1000000,5,1000100,10", "999900,1,1000100,10"]


def test_a_crossed_book_found_on_a_cut_last_row_says_it_may_be_cut_off(tmp_path):
    """Another check: a crossed book names the row it crossed at (line 2), found on row 3, the last of both files.
    Neither file ends in a newline (as the AAPL sample): both lines are named."""
    m = _day(tmp_path / "a", CROSS_MSG, CROSS_BOOK, m_end="", b_end="")
    b = m.with_name(DAY.format("orderbook"))
    head = (f"{m}: line 2: the book is crossed (best bid 10001 >= best ask 9999 ticks) and stays crossed for "
            "1.500 s, until line 3 (tolerance 1 s)")
    both = (f"; {m}: line 3 and {b}: line 3, read when this was found, are their files' last lines, with no newline "
            f"at their ends: the files may be cut off (a recorder stopped mid-write), which would explain this; to "
            'convert the lines before it, drop that line (docs/data.md, "A file cut off mid-line")')
    assert _error(m, tmp_path / "s") == head + both
    m.write_text(m.read_text() + "\n")  # the message file whole: the orderbook line alone
    assert _error(m, tmp_path / "s") == f"{head}; {b}: line 3, read when this was found, is the file's last " \
                                        f"line, with no newline at its end: {NOTE}"
    b.write_text(b.read_text() + "\n")
    assert _error(m, tmp_path / "s") == head


def test_an_error_that_names_no_row_gets_no_note(tmp_path):
    """"Fewer rows" is about the orderbook file as a whole, not a row: no note, though it was found while the message
    file's last line (no newline at its end) was read."""
    m = _day(tmp_path / "a", CROSS_MSG[:2], CROSS_BOOK[:1], m_end="")
    assert _error(m, tmp_path / "s") == (f"{m.with_name(DAY.format('orderbook'))}: has fewer rows than the message "
                                         "file (line 2)")


def test_a_worse_best_with_no_message_is_refused_at_its_row(tmp_path):
    """Row 4 shows a worse best bid 99.99 x 3 after a hidden execution: the bid 100.00 x 10 it no longer shows stayed
    inside the window (row 3 showed it), so row 4 is refused at once. It was excused (order 101 is known from before
    its level left the window) and the phantom best named by row 5; test_data_errors' worse-best case now cancels a
    lot of order 101 in message 4, which may leave its level otherwise, to reach the phantom check."""
    m = _day(tmp_path / "a", BACK_MSG, BACK_BOOK + ["1000300,7,999900,3", "1000300,7,1000000,10"])
    assert _error(m, tmp_path / "s") == (
        f"{m.with_name(DAY.format('orderbook'))}: line 4: the orderbook row no longer shows the bid level at 10000 "
        f"ticks (10 lots), which the previous row showed, but no message up to {m.name} line 4 removes it; the "
        "message and orderbook files disagree")
