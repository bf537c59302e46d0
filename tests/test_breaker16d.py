"""breaker16d: failing-test sketches for npz16 (events_digest, the .npz mid-time clear, mmsim_meta time_zone).

Each was xfail(strict=True); digestfix16 fixed all but the CLEAR pair's round trip, which data17 fixed (an export's
sided clears), and dropped their marks."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_compare_digest import META, l2_events, run_on, run_unchecked
from test_databento_preopen import rows_of
from test_hftbacktest_files import events

import mmsim
from mmsim import Kind
from mmsim.data import hftbacktest as hbt
from mmsim.data.store import write_store
from mmsim.errors import DataError

S = 1_000_000_000


def test_compare_refuses_a_store_edited_under_its_digest(tmp_path):
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    ra = run_on(st)
    shutil.copytree(tmp_path / "s", tmp_path / "e")
    a = np.load(tmp_path / "e" / "events.npy", mmap_mode="r+")
    ft = np.asarray(ra.fills["exch_ts"])
    for t in ft:  # the book 4 ticks up from 0.3 s to 1.2 s after each of run A's fills (the book before each untouched)
        m = (a["exch_ts"] > t + 300_000_000) & (a["exch_ts"] <= t + 1_200_000_000) & (a["kind"] == int(Kind.DEPTH))
        a["price"][m] += 4
    a.flush()
    del a
    ed = mmsim.load(tmp_path / "e")
    assert ed.meta["events_digest"] == st.meta["events_digest"]  # the meta.json of the unedited events
    rb = run_unchecked(ed)  # mmsim.run(ed) refuses it now (lead session 18)
    # Today: compared, and B's PnL (same strategy, same config) is "real"ly 5.50 lower.
    with pytest.raises(DataError, match="events_digest"):
        mmsim.compare(ra, rb, ed, horizons=["1s"], bucket="10s", n_boot=50)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "utc", ""])
def test_a_store_mmsim_wrote_exports_to_an_npz_mmsim_imports(tmp_path, tz):
    try:
        st = write_store(tmp_path / "s", l2_events(), dict(META, time_zone=tz))
    except DataError as e:  # refusing the zone where the store is written is a fix too
        assert "time_zone" in str(e)
        return
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")  # today: "its mmsim_meta time_zone is 'utc', not an IANA..."
    assert back.meta["events_digest"] == st.meta["events_digest"]


@pytest.mark.parametrize("before", [[(S, Kind.TRADE, 1, 402, 1, 0)], []])
def test_a_clear_of_each_side_round_trips_through_npz(tmp_path, before):
    # Two sided CLEARs (not the store's one sideless CLEAR): the export writes both as a NaN clear, the import merges
    # them into CLEAR side 0, so the round trip has another digest and `mmsim compare` refuses it against its store.
    # With the print first this round-tripped before npz16; first in its time it never did.
    ev = events([(0, Kind.DEPTH, 1, 400, 5, 0), (0, Kind.DEPTH, -1, 402, 4, 0), *before,
                 (S, Kind.CLEAR, 1, 0, 0, 0), (S, Kind.CLEAR, -1, 0, 0, 0),
                 (S, Kind.DEPTH, 1, 399, 3, 0), (S, Kind.DEPTH, -1, 403, 1, 0), (2 * S, Kind.DEPTH, 1, 399, 2, 0)])
    hbt.export(ev, tmp_path / "x.npz", tick_size=0.25, lot_size=1)
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b", tick_size=0.25, lot_size=1)
    assert rows_of(back.events) == rows_of(ev)


@pytest.mark.parametrize("bad", [5, "garbage", None])
def test_a_result_json_digest_not_of_its_form_is_refused(tmp_path, bad):
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    run_on(st).save(tmp_path / "r")
    p = tmp_path / "r" / "result.json"
    doc = json.loads(p.read_text())
    doc["meta"]["events_digest"] = bad
    p.write_text(json.dumps(doc))
    # Today: loads; 5 or None then silently falls back to format/source in compare, "garbage" is compared as a digest.
    with pytest.raises(DataError, match="events_digest"):
        mmsim.Result.load(tmp_path / "r")


@pytest.mark.parametrize("bad", [5, None])
def test_mmsim_report_refuses_a_store_digest_not_of_its_form(tmp_path, bad):
    from mmsim.cli import main

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    run_on(st).save(tmp_path / "r")
    p = tmp_path / "s" / "meta.json"
    meta = json.loads(p.read_text())
    meta["events_digest"] = bad
    p.write_text(json.dumps(meta))
    # Today: the report is written (mmsim compare with the same --events refuses naming meta.json and the key).
    rc = main(["report", str(tmp_path / "r"), "--events", str(tmp_path / "s"), "-o", str(tmp_path / "o"),
               "--no-plots", "-q"])
    assert rc != 0 and not (tmp_path / "o" / "report.json").exists()


def test_a_store_without_receive_times_round_trips_without_them(tmp_path):
    # A LOBSTER-like store (no recorded local_ts): a run with latency.feed 'recorded' is refused on it, but its .npz
    # round trip (events_digest equal: compare calls it the same data) says local_ts_recorded true and runs it with a
    # feed latency of 0.
    st = write_store(tmp_path / "s", l2_events(), dict(META, local_ts_recorded=False))
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert back.meta["events_digest"] == st.meta["events_digest"]
    assert back.meta["local_ts_recorded"] is False
