"""A store's ``events_digest`` is recomputed where a store tells whether it is the data a run replayed (breaker16d):
an ``events.npy`` edited or replaced under its old ``meta.json`` is refused by ``mmsim compare`` (given or named by
the runs), ``make_report(result, store)`` and ``mmsim report --events``, naming the file (docs/compare.md)."""

from __future__ import annotations

import hashlib
import re
import shutil

import numpy as np
import pytest
from test_compare_digest import META, l2_events, run_on, run_unchecked

import mmsim
from mmsim import Kind
from mmsim.data.store import write_store
from mmsim.errors import DataError


def _changed(d, old_digest: str) -> str:
    """The message for store ``d`` whose events.npy now hashes otherwise than ``old_digest``."""
    got = hashlib.sha256((d / "events.npy").read_bytes()[256:]).hexdigest()
    return re.escape(f"{d / 'events.npy'} changed since the store was written: its SHA-256 is {got[:16]}…, "
                     f"meta.json's events_digest says {old_digest[7:23]}…; these are not the events the store was "
                     "written with (write it again from its source: mmsim convert)") + "$"


def _edit_book(d, after_ns) -> None:
    """Move the book 4 ticks up from 0.3 s to 1.2 s after each time of ``after_ns`` (/tmp/b16d/sc10.py)."""
    a = np.load(d / "events.npy", mmap_mode="r+")
    for t in after_ns:
        m = (a["exch_ts"] > t + 300_000_000) & (a["exch_ts"] <= t + 1_200_000_000) & (a["kind"] == int(Kind.DEPTH))
        a["price"][m] += 4
    a.flush()
    del a


@pytest.fixture
def edited(tmp_path):
    """A store, run A on it, and a copy ``e`` whose book was edited by hand under the old meta.json; run B on it."""
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    ra = run_on(st)
    shutil.copytree(tmp_path / "s", tmp_path / "e")
    _edit_book(tmp_path / "e", np.asarray(ra.fills["exch_ts"]))
    ed = mmsim.load(tmp_path / "e")
    assert ed.meta["events_digest"] == st.meta["events_digest"]
    ra.save(tmp_path / "ra")
    rb = run_unchecked(ed)  # mmsim.run(ed) refuses it now (lead session 18)
    rb.meta["store"] = str(tmp_path / "e")
    rb.save(tmp_path / "rb")
    return st, ed, ra, rb


def test_compare_refuses_a_store_edited_under_its_digest(tmp_path, edited):
    # Before: compared; B's PnL (same strategy, same config, other data) came out "really" lower.
    st, ed, ra, rb = edited
    with pytest.raises(DataError, match=_changed(tmp_path / "e", st.meta["events_digest"])):
        mmsim.compare(ra, rb, ed, horizons=["1s"], bucket="10s", n_boot=50)
    # Not given: the store run A names (B's result.json names the edited one).
    with pytest.raises(DataError, match=_changed(tmp_path / "e", st.meta["events_digest"])):
        mmsim.compare(tmp_path / "rb", tmp_path / "rb", horizons=["1s"], bucket="10s", n_boot=50)
    # The unedited store still compares.
    assert mmsim.compare(ra, ra, st, horizons=["1s"], bucket="10s", n_boot=50).n_buckets > 0


def test_a_report_refuses_a_store_edited_under_its_digest(tmp_path, edited, capsys):
    from mmsim.cli import main

    st, ed, ra, _ = edited
    with pytest.raises(DataError, match=_changed(tmp_path / "e", st.meta["events_digest"])):
        mmsim.report.make_report(ra, ed, horizons=["1s"])
    rc = main(["report", str(tmp_path / "ra"), "--events", str(tmp_path / "e"), "-o", str(tmp_path / "o"),
               "--no-plots", "-q"])
    err = capsys.readouterr().err
    assert rc != 0 and not (tmp_path / "o" / "report.json").exists()
    assert f"{tmp_path / 'e' / 'events.npy'} changed since the store was written" in err


def test_a_store_whose_events_npy_was_replaced_is_refused_after_one_check_passed(tmp_path):
    # Another store's events.npy (one size apart, same count and times) copied over this one's, after a check of
    # the original in the same process: the per-file cache does not hide the new file.
    ev = l2_events()
    other = ev.copy()
    other["qty"][101] += 1
    st = write_store(tmp_path / "s", ev, dict(META))
    write_store(tmp_path / "t", other, dict(META))
    ra = run_on(st)
    mmsim.compare(ra, ra, st, horizons=["1s"], bucket="10s", n_boot=50)  # checked and cached
    shutil.copy(tmp_path / "t" / "events.npy", tmp_path / "s" / "events.npy.new")
    (tmp_path / "s" / "events.npy.new").replace(tmp_path / "s" / "events.npy")
    again = mmsim.load(tmp_path / "s")
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        mmsim.compare(ra, ra, again, horizons=["1s"], bucket="10s", n_boot=50)
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        mmsim.report.make_report(ra, again, horizons=["1s"])


def test_a_store_without_a_digest_is_not_checked(tmp_path):
    # Written before npz16: no digest to check (format and source tell it apart, docs/compare.md).
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    ra = run_on(st)
    del st.meta["events_digest"], ra.meta["events_digest"]
    assert mmsim.compare(ra, ra, st, horizons=["1s"], bucket="10s", n_boot=50).n_buckets > 0


def test_a_run_of_a_store_edited_under_its_digest_refuses_it_before_the_replay(tmp_path, edited, capsys):
    """`mmsim run --no-report` replayed such a store and wrote its result.json under the store's old digest (only a
    report checked it, afterwards: datafix17's note). It refuses it now, from runner.load_events, before anything
    is replayed or written: one line naming the file, exit 1."""
    from test_newcomer17 import FIXED_SPREAD

    from mmsim.cli import main

    st = edited[0]
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {tmp_path / 'e'}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, "
                   "size: 1}}\n")
    capsys.readouterr()
    rc = main(["run", str(cfg), "--no-report", "-o", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    want = "mmsim: error: " + _changed(tmp_path / "e", st.meta["events_digest"])[:-1] + "\n"
    assert rc == 1 and re.fullmatch(want, err), err
    assert not (tmp_path / "o").exists()
    cfg.write_text(cfg.read_text().replace(str(tmp_path / "e"), str(tmp_path / "s")))  # the store as written runs
    assert main(["run", str(cfg), "--no-report", "-o", str(tmp_path / "o"), "-q"]) == 0


def test_a_sweep_point_on_a_store_edited_under_its_digest_fails_before_its_replay(tmp_path, edited):
    """The second case: a sweep's point on such a store replayed all its events and only then failed (newcomer17);
    it fails before its replay now (0 events replayed), with the same message; the point on the store as written
    runs."""
    from test_newcomer17 import FIXED_SPREAD

    from mmsim.sweep import run_sweep

    st = edited[0]
    grid = {"base": {"strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}},
                     "report": {"horizons": ["1s"]}},
            "axes": {"data": [str(tmp_path / "s"), str(tmp_path / "e")]}}
    with pytest.raises(DataError) as info:  # the sweep's pre-flight refuses the store, no point runs (newcomer18)
        run_sweep(grid, workers=0)
    assert re.fullmatch(_changed(tmp_path / "e", st.meta["events_digest"]), str(info.value))
    with pytest.MonkeyPatch.context() as mp:  # the store edited once the pre-flight had verified it
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)
        good, bad = run_sweep(grid, workers=0)
    assert (good["status"], good["n_events"]) == ("ok", len(st.events))
    assert (bad["status"], bad["error_type"], bad.get("n_events")) == ("error", "DataError", None)
    assert re.fullmatch(_changed(tmp_path / "e", st.meta["events_digest"]), bad["error_message"])
