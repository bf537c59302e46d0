"""The broken-file corpus (tests/_corpus.py): every broken input is one clean error, and leaves nothing.

Each case is a small valid file of its format with one fault. Converting it
(or loading it, for event stores) must raise ``mmsim.DataError`` -- never
another exception -- with a one-line message naming the file and the line,
record or key, and leave neither a store nor a temporary directory behind. A
representative subset runs through ``python -m mmsim convert`` in a
subprocess: exit status 1, the same message on stderr, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _corpus import CASES, Case, leftovers, message_ok, run_cli

import mmsim
from mmsim.data import convert

#: One or two cases per format through the command line, the rest in-process.
CLI_CASES = {
    "lobster-message-time-in-ns",
    "lobster-message-empty-day",
    "binance-price-as-json-number",
    "binance-truncated-gzip",
    "databento-csv-milliseconds",
    "databento-dbn-zst-truncated-half",
    "databento-dbn-malformed-record-header",
    "hftbacktest-price-nan",
    "tardis-book-not-utf8",
    "tardis-trades-trade-1h-early",
    "store-meta-tick-size-infinity",
}


def test_corpus_covers_every_format():
    fmts = {c.fmt for c in CASES}
    assert fmts == {"lobster", "binance", "databento", "hftbacktest", "tardis", "store"}
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    assert CLI_CASES <= {c.id for c in CASES}


def _run_library(c: Case, d: Path) -> tuple[str, Path]:
    srcs, named = c.build(d)
    with pytest.raises(mmsim.MmsimError) as ei:
        if c.fmt == "store":
            mmsim.load(srcs[0])
        else:
            convert(srcs, d / "out_store", format=c.fmt, **c.opts)
    assert type(ei.value) is mmsim.DataError, f"{c.id}: {type(ei.value).__name__}: {ei.value}"
    return str(ei.value), named


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in CLI_CASES], ids=lambda c: c.id)
def test_broken_file_is_one_clean_error(case: Case, tmp_path):
    msg, named = _run_library(case, tmp_path)
    assert message_ok(msg, case, named), f"{case.id}: {msg!r} should name {named} and {case.where!r}"
    assert leftovers(tmp_path, tmp_path / "out_store") == []


@pytest.mark.parametrize("case", [c for c in CASES if c.id in CLI_CASES], ids=lambda c: c.id)
def test_broken_file_through_the_command_line(case: Case, tmp_path):
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    r = run_cli(case, tmp_path, [sys.executable], env=env, timeout=120)
    assert r["outcome"] == "clean error", r
    assert r["rc"] == 1 and "Traceback" not in r["stderr"]
    assert r["stderr"].startswith("mmsim: error: ") and "\n" not in r["stderr"], r["stderr"]
    assert r["left"] == []


def test_cli_leaves_an_existing_store_untouched_on_failure(tmp_path):
    """A failed ``convert --force`` over a store keeps the old store whole (issue 18, item 2)."""
    from _corpus import LOB_BOOK, LOB_MSG, lobster

    good = tmp_path / "good"
    good.mkdir()
    srcs, _ = lobster(good)
    out = tmp_path / "store"
    first = convert(srcs, out, format="lobster")
    before = (out / "events.npy").read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    msgs = list(LOB_MSG)
    msgs[2] = "34200.3,4,101,-4,1000100,1"
    bsrcs, _ = lobster(bad, msg=msgs, book=LOB_BOOK)
    r = subprocess.run([sys.executable, "-m", "mmsim", "convert", *map(str, bsrcs), "-o", str(out), "--format",
                        "lobster", "--force", "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "line 3: negative size -4" in r.stderr
    assert (out / "events.npy").read_bytes() == before
    assert mmsim.load(out).meta["event_count"] == first.meta["event_count"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good", "store"]
