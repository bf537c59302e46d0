"""breaker18a: session 18's store verification in ``mmsim.run``/``run_many``, a report replacing a report as a set
and the output paths, broken.

Fixed here: a packed or byte-swapped copy of a store's events in a hand-built store (verified as given, before the
layout was made EVENT_DTYPE's: the same events refused as edited, or a dtype fault called an edit); an ``events.npy``
cut short while a Python session held its store (SIGBUS, the process killed); a report into a folder where a report
file's name is a folder (an OSError naming the hidden staging folder, after some files had been replaced); ``-o``
under a file (an OSError after the work, exit 1). Fixed by the lead after breaker18a's strict xfails: a store-like
object without a path carried its meta.json's digest into a result unverified; an edit refused, then undone through
a writable map, stayed refused. Documented, not caught: an edit through a writable memory map of pages already
written, after a verified run in the same process (docs/compare.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from test_compare_digest import META, l2_events, run_on
from test_newcomer17 import run_dir

import mmsim
from mmsim.cli import main
from mmsim.data.store import EventStore, write_store
from mmsim.errors import DataError

CONFIG = mmsim.Config(tick_size=0.5, lot_size=1.0)
PACKED = np.dtype({"names": list(mmsim.EVENT_DTYPE.names),
                   "formats": [mmsim.EVENT_DTYPE.fields[n][0] for n in mmsim.EVENT_DTYPE.names]})


def _digest(a: np.ndarray) -> str:
    """The SHA-256 (hex) of the events of ``a`` as a store writes them: EVENT_DTYPE's 48-byte records, padding zero."""
    out = np.zeros(len(a), dtype=mmsim.EVENT_DTYPE)
    for n in mmsim.EVENT_DTYPE.names:
        out[n] = a[n]
    u = out.view(np.uint8).reshape(len(a), 48).copy()
    u[:, 42:] = 0
    return hashlib.sha256(u.tobytes()).hexdigest()


@pytest.fixture
def store(tmp_path):
    return write_store(tmp_path / "s", l2_events(), dict(META))


def _changed_msg(d: Path, got: str, want: str) -> str:
    return (f"{d / 'events.npy'} changed since the store was written: its SHA-256 is {got[:16]}…, meta.json's "
            f"events_digest says {want[7:23]}…; these are not the events the store was written with (write it again "
            "from its source: mmsim convert)")


# ----------------------------------------------------------------- 1. the array replayed is the array verified


def test_a_packed_copy_of_a_stores_events_runs_as_its_store(store):
    """``np.concatenate`` of two slices of ``np.load(events.npy)`` (the header's dtype has lost numpy's "aligned"
    flag) packs the records to 42 bytes; ``mmsim.run`` copies such an array into EVENT_DTYPE (docs/data.md). Given
    in a store with the store's meta, it was hashed as 42-byte records and refused: ``events.npy changed since the
    store was written`` of a file nobody changed. It is the store's events: it runs, under the store's digest."""
    raw = np.load(store.path / "events.npy")  # no memory map: the header's dtype
    packed = np.concatenate([raw[:100], raw[100:]])
    assert packed.dtype.itemsize == 42 and len(packed) == 504
    r = run_on(EventStore(store.path, packed, dict(store.meta)))
    assert r.n_events == 504
    assert r.meta["events_digest"] == store.meta["events_digest"] == "sha256:" + _digest(packed)
    # the same kind: a packed copy made with astype, and a run_many of it
    runs = [(None, CONFIG), (None, CONFIG)]
    out = mmsim.run_many(EventStore(store.path, np.array(store.events).astype(PACKED), dict(store.meta)), runs)
    assert [o.n_events for o in out] == [504, 504]


def test_a_packed_copy_of_edited_events_is_still_refused(store):
    """The fix verifies the copy in EVENT_DTYPE, not nothing: one price changed in the packed copy is refused."""
    packed = np.array(store.events).astype(PACKED)
    packed["price"][7] += 1
    with pytest.raises(DataError) as e:
        run_on(EventStore(store.path, packed, dict(store.meta)))
    assert str(e.value) == _changed_msg(store.path, _digest(packed), store.meta["events_digest"])


def test_a_byte_swapped_copy_in_a_store_is_a_dtype_error_not_an_edit(store):
    """A big-endian copy is refused as a bare array is (its dtype named), not as ``events.npy changed since the
    store was written``: the file did not change, the layout is wrong."""
    be = np.array(store.events).astype(mmsim.EVENT_DTYPE.newbyteorder(">"))
    with pytest.raises(DataError) as bare:
        mmsim.run(be, None, CONFIG)
    with pytest.raises(DataError) as given:
        mmsim.run(EventStore(store.path, be, dict(store.meta)), None, CONFIG)
    assert str(given.value) == str(bare.value)
    assert str(bare.value).startswith("events have dtype ") and "exch_ts is >i8, not <i8" in str(bare.value)


# ------------------------------------------------------------- 2. an events.npy cut short under an open store

_CUT = textwrap.dedent("""
    import json, os, sys
    import mmsim
    from mmsim.errors import DataError
    d, bare = sys.argv[1], sys.argv[2] == "bare"
    st = mmsim.load(d)
    os.truncate(os.path.join(d, "events.npy"), 256 + 48 * 100)
    try:
        mmsim.run(st.events if bare else st, None, mmsim.Config(tick_size=0.5, lot_size=1.0))
        print("replayed")
    except DataError as e:
        print("DataError:", e)
""")


def _run_cut(d: Path, how: str = "store") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _CUT, str(d), how], capture_output=True, text=True, timeout=120)


def _cut_msg(d: Path, n_events: int) -> str:
    """The refusal of a store at ``d`` of ``n_events`` records whose ``events.npy`` _CUT truncated to 100 records."""
    return (f"DataError: {d / 'events.npy'} is 5056 bytes, {256 + 48 * n_events} when the store was opened: cut "
            "short since (its memory map cannot be read past the new end); open the store again (mmsim.load)\n")


def test_a_store_cut_short_after_its_open_is_refused_not_a_crash(tmp_path):
    """``mmsim.run(store)`` after the store's ``events.npy`` was truncated in place (a copy over it interrupted, a
    disk-full rewrite) read its memory map past the file's new end: SIGBUS killed the Python process (exit -7), no
    error. The file's size now against its size at the open: a DataError naming both."""
    ev = l2_events(5000)
    write_store(tmp_path / "s", ev, dict(META))
    p = _run_cut(tmp_path / "s")
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == _cut_msg(tmp_path / "s", len(ev))


def test_a_stores_map_given_bare_and_cut_short_is_refused_too(tmp_path):
    """The same of ``mmsim.run(store.events)`` (a bare array, replayed as given, but a store's map all the same)."""
    ev = l2_events(5000)
    write_store(tmp_path / "s", ev, dict(META))
    p = _run_cut(tmp_path / "s", "bare")
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == _cut_msg(tmp_path / "s", len(ev))


def test_a_store_without_a_digest_cut_short_is_refused_too(tmp_path):
    """The same of a store written before ``events_digest`` (nothing to verify): still refused, not a crash."""
    ev = l2_events(5000)
    write_store(tmp_path / "s", ev, dict(META))
    mp = tmp_path / "s" / "meta.json"
    meta = json.loads(mp.read_text())
    del meta["events_digest"]
    mp.write_text(json.dumps(meta))
    p = _run_cut(tmp_path / "s")
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == _cut_msg(tmp_path / "s", len(ev))


def test_a_store_replaced_whole_is_not_cut_short(store, tmp_path):
    """A store written again at its path (``mmsim convert --force``: a new inode) is no truncation of the map the
    session holds: the old events replay under the old digest, as before."""
    held = mmsim.load(store.path)
    write_store(store.path, l2_events(3), dict(META), force=True)
    assert run_on(held).n_events == 504


# ------------------------------------------------------------------- 3. edits through a writable memory map


def _dirty_map(d: Path) -> np.memmap:
    """``events.npy`` opened writable, every page of it written once (and put back): the pages are dirty, so later
    writes through this map change neither the file's mtime nor its ctime (the kernel stamps a shared mapping's
    file on the write fault of a clean page only)."""
    a = np.load(d / "events.npy", mmap_mode="r+")
    a["qty"] += 1
    a["qty"] -= 1
    return a


def test_an_edit_undone_through_a_writable_map_runs_again(store):
    """An edit refused, then undone through the same writable map, kept the edited events' digest in the cache under
    an unchanged stat, and the store's own events were refused as edited until the file was touched. A digest that
    is not the store's is not cached now (lead session 18). Not caught, and documented (docs/compare.md): an edit
    through such a map after a verified run (the cache's stat cannot see it; a test of it would pass or fail as the
    kernel writes the pages back)."""
    a = _dirty_map(store.path)
    st = mmsim.load(store.path)
    a["price"][5] += 4
    with pytest.raises(DataError):
        run_on(st)
    a["price"][5] -= 4  # undone: the file holds the store's events again
    assert _digest(np.array(st.events)) == store.meta["events_digest"][7:]
    assert run_on(st).n_events == 504


# ------------------------------------------------------------------ 4. a store-like object without a path


def test_an_object_with_a_stores_meta_and_other_events_is_refused(store):
    """events_and_meta verified only an object with a path; one with events and meta but no path (a user's wrapper
    of a store's events) had its meta.json's events_digest copied into the result unverified, so two runs of
    different events compared as one data set. Verified now (lead session 18); the store's own events, in memory,
    still run, and a part of them is refused naming both counts (the second case)."""
    ed = np.array(store.events)
    ed["price"][ed["kind"] == int(mmsim.Kind.DEPTH)] += 4
    with pytest.raises(DataError, match=re.escape(
            f"events given with a store's meta but no path: its SHA-256 is {_digest(ed)[:16]}…, meta.json's "
            f"events_digest says {store.meta['events_digest'][7:23]}…; these are not the events the meta describes "
            "(give the events alone, as an array, to replay them as given)") + "$"):
        run_on(SimpleNamespace(events=ed, meta=store.meta))
    r = run_on(SimpleNamespace(events=np.array(store.events), meta=store.meta))
    assert r.n_events == len(store.events) and r.meta["events_digest"] == store.meta["events_digest"]
    with pytest.raises(DataError, match=re.escape(
            f"100 events given with a store's meta, which says the store holds {len(store.events)}: not the events "
            "its events_digest is of (give the events alone, as an array, to replay them as given)") + "$"):
        run_on(SimpleNamespace(events=np.array(store.events[:100]), meta=store.meta))


# --------------------------------------------------------------------- 5. a report's files, and -o paths


def _names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_a_report_into_a_folder_where_a_report_file_is_a_folder_changes_nothing(tmp_path, capsys):
    """``mmsim report RUN`` where the user made ``RUN/report.json`` a folder: the commit moved ``fills.csv`` in,
    then failed on report.json with ``[Errno 21] Is a directory: '.../.r.writing-PID/report.json' -> ...`` (the
    hidden staging folder named), leaving the new fills.csv beside the earlier report's plots. Refused before any
    file moves, naming the folder; the run directory as it was."""
    run = run_dir(tmp_path)
    (run / "report.json").unlink()
    (run / "report.json").mkdir()
    (run / "report.json" / "mine.txt").write_text("mine\n")
    before = {n: (run / n).read_bytes() for n in _names(run) if (run / n).is_file()}
    capsys.readouterr()
    assert main(["report", str(run), "--no-plots", "-q", "--horizons", "5s"]) == 1
    err = capsys.readouterr().err
    assert err == (f"mmsim: error: {run / 'report.json'}: a folder, where this output writes a file of that name; "
                   "nothing was written (move it, or choose another -o)\n")
    assert {n: (run / n).read_bytes() for n in _names(run) if (run / n).is_file()} == before
    assert (run / "report.json" / "mine.txt").read_text() == "mine\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_named_like_a_plot_the_report_does_not_write_stays(tmp_path, capsys):
    """The second case: a folder named ``signals.png`` in an earlier report's folder, and a report without plots:
    the report writes no file of that name, so nothing clashes and the folder stays (it is not the earlier
    report's plot); the earlier plots that are files go."""
    run = run_dir(tmp_path)
    (run / "signals.png").unlink()
    (run / "signals.png").mkdir()
    capsys.readouterr()
    assert main(["report", str(run), "--no-plots", "-q", "--horizons", "5s"]) == 0
    assert _names(run) == sorted(["decisions.npy", "fill_signals.npy", "fills.csv", "fills.npy", "orders.npy",
                                  "report.json", "result.json", "samples.npy", "signals.png"])


@pytest.mark.parametrize("under", [["afile", "sub"], ["afile", "a", "b"]])
def test_report_with_o_under_a_file_is_a_usage_error_naming_the_file(tmp_path, capsys, under):
    """``-o notes.txt/out``: an OSError after the report was computed (``[Errno 17] File exists: '.../afile'``,
    exit 1; ``[Errno 20] Not a directory`` one level deeper). A usage error naming the file, exit 2, nothing
    created."""
    run = run_dir(tmp_path)
    (tmp_path / "afile").write_text("x\n")
    out = tmp_path.joinpath(*under)
    capsys.readouterr()
    assert main(["report", str(run), "-q", "--no-plots", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"mmsim report: error: {out}: {tmp_path / 'afile'} is a file, not a folder: "
                                       "nothing can be written under it; choose another -o\n")
    assert (tmp_path / "afile").read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_run_with_o_under_a_file_is_a_usage_error_naming_the_file(tmp_path, capsys):
    """The same of ``mmsim run`` (through ensure_new_output)."""
    run_dir(tmp_path)
    (tmp_path / "afile").write_text("x\n")
    out = tmp_path / "afile" / "r2"
    capsys.readouterr()
    assert main(["run", str(tmp_path / "run.yaml"), "-o", str(out), "-q"]) == 2
    assert capsys.readouterr().err == (f"mmsim run: error: {out}: {tmp_path / 'afile'} is a file, not a folder: "
                                       "nothing can be written under it; choose another -o\n")
    assert os.path.isfile(tmp_path / "afile")
    shutil.rmtree(tmp_path / "r")


# ------------------------------------------------------------------ 6. a part of a store given as the store


@pytest.mark.parametrize("part", [slice(0, 100), slice(10, None)])
def test_a_slice_given_as_its_store_is_refused_as_a_part_not_as_an_edit(store, part):
    """``EventStore(store.path, store.events[a:b], store.meta)`` is not the events the digest is of, and is refused;
    it was refused as ``events.npy changed since the store was written`` (its SHA-256 against the whole file's), of
    a file nobody changed. The message says what it is and how a part replays."""
    ev = store.events[part]
    with pytest.raises(DataError) as e:
        run_on(EventStore(store.path, ev, dict(store.meta)))
    assert str(e.value) == (f"{store.path / 'events.npy'}: {len(ev)} events given, meta.json says the store holds "
                            "504: not the events its events_digest is of (a part of a store replays as an array, "
                            "mmsim.run(store.events[a:b], ...); an events.npy changed since the store was written is "
                            "written again from its source: mmsim convert)")
    assert run_on(ev).n_events == len(ev)  # as an array it replays


# ------------------------------ 7. hftbacktest's own conversion of a Databento MBO day
#
# breaker18a pinned two strict xfails here (a CANCEL after a whole FILL, a sideless FILL of an unseen order, in a
# file written by hand without Databento's flags): hbtimport18 reads hftbacktest's converter's files (Databento
# flags in ival) by the Databento loader's rules, tests/test_hbtimport18.py (the ESH4 day both ways and hand-made
# rows of each kind), and hbtexport18 marks mmsim's own exports; a file with neither is read as before, pinned by
# tests/test_hbtexport18.py (a FILL then CANCEL without the mark: "unknown order id" naming the record).
