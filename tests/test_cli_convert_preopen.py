"""``mmsim convert`` says when the loader inferred CME's pre-open from the crossed book (npzsnap15: before, the
spans and counts were only in meta.json's quirks), one line after its summary, for Databento and ``.npz`` alike."""

from __future__ import annotations

import math

from conftest import shared_data
from test_databento_preopen import MIDSTREAM, mbo_csv
from test_hftbacktest_preopen import MID, npz
from test_hftbacktest_snapshot import DAY1, DAY2

from mmsim.cli import main
from mmsim.cli.convert import preopen_line
from mmsim.data import hftbacktest as hbt

S = 1_000_000_000

#: MIDSTREAM / MID (from NS0, 2023-12-25 22:00:00 UTC): an ask crosses the bid at 100 s, the auction at 700 s.
MID_LINE = ('pre-open inferred from the crossed book: QUOTING 2023-12-25 22:01:40.000 → TRADING 22:11:40.000 '
            '(1 crossed message; docs/data.md "Pre-open")')


def convert(tmp_path, capsys, src, fmt: str, *more: str) -> list[str]:
    # Not --quiet: -q prints the summary line only (datafix17); stderr is no terminal here, so no progress bar.
    assert main(["convert", str(src), "-o", str(tmp_path / "s"), "--format", fmt, *more]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"wrote {tmp_path / 's'}: ")
    return lines[1:]


def test_convert_names_the_preopen_it_inferred_from_databento_and_npz(tmp_path, capsys):
    # The same pre-open after trading, from a Databento CSV and an hftbacktest .npz: one line each, the same.
    assert convert(tmp_path / "d", capsys, mbo_csv(tmp_path / "m.csv", MIDSTREAM), "databento",
                   "--tick-size", "0.25") == [MID_LINE]
    assert convert(tmp_path / "h", capsys, npz(tmp_path / "x.npz", MID), "hftbacktest",
                   "--tick-size", "0.25", "--lot-size", "1") == [MID_LINE]
    # None inferred (the file trades before the book crosses, and never crosses): no line.
    assert convert(tmp_path / "n", capsys, npz(tmp_path / "n.npz", MID[:4]), "hftbacktest",
                   "--tick-size", "0.25", "--lot-size", "1") == []


#: Two days after DAY1 (2023-12-25 22:00 UTC): day 2 a whole-book clear at 2023-12-26 22:00 and DAY2 (its pre-open
#: from that snapshot to the auction at 2023-12-27 21:00); day 3 another clear at 2023-12-27 22:00 and MID after it
#: (a trade at 1 s, a cross at 100 s, the auction at 700 s).
DAYS = DAY1 + [(86_400 * S, hbt.DEPTH_CLEAR_EVENT, 0, math.nan, 0, 0)] + DAY2 + [
    (2 * 86_400 * S, hbt.DEPTH_CLEAR_EVENT, 0, math.nan, 0, 0)] + [
    (t + 2 * 86_400 * S, code, side, px, q, oid) for t, code, side, px, q, oid in MID]


def test_convert_lists_several_preopens_compactly(tmp_path, capsys):
    # The first span in full, the next with its date (another day), each end's date only where it changes.
    lines = convert(tmp_path, capsys, npz(tmp_path / "x.npz", DAYS), "hftbacktest",
                    "--tick-size", "0.25", "--lot-size", "1")
    assert lines == ['pre-open inferred from the crossed book: QUOTING 2023-12-26 22:00:00.000 → TRADING '
                     '2023-12-27 21:00:00.000, 2023-12-27 22:01:40.000 → 22:11:40.000 (2 crossed messages; '
                     'docs/data.md "Pre-open")']


def test_the_line_for_many_spans_and_one_never_opened():
    ns = 1_703_462_400_000_000_000  # 2023-12-25 00:00:00 UTC
    h = 3_600_000_000_000
    meta = {"quirks": {"preopen_spans_ns": [[ns, ns + 23 * h], [ns + 24 * h + 1_234_567, ns + 47 * h],
                                            [ns + 70 * h, ns + 71 * h], [ns + 94 * h, None]],
                       "preopen_crossed_messages": 12345}}
    assert preopen_line(meta) == (
        "pre-open inferred from the crossed book: QUOTING 2023-12-25 00:00:00.000 → TRADING 23:00:00.000, "
        "2023-12-26 00:00:00.001 → 23:00:00.000, 2023-12-27 22:00:00.000 → 23:00:00.000, and 1 more "
        '(12,345 crossed messages; docs/data.md "Pre-open")')
    meta["quirks"]["preopen_spans_ns"] = [[ns + 94 * h, None]]
    assert preopen_line(meta) == (
        "pre-open inferred from the crossed book: QUOTING 2023-12-28 22:00:00.000 → the data's end (never opened) "
        '(12,345 crossed messages; docs/data.md "Pre-open")')
    assert preopen_line({"quirks": {"preopen_spans_ns": []}}) is None and preopen_line({}) is None


def test_convert_names_the_esh4_preopen(tmp_path, capsys):
    src = shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    assert convert(tmp_path, capsys, src, "databento") == [
        'pre-open inferred from the crossed book: QUOTING 2023-12-25 00:00:00.000 → TRADING 23:00:00.000 '
        '(891 crossed messages; docs/data.md "Pre-open")']
