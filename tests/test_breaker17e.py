"""breaker17e: faults found in the lead's 17 fixes (1788ee8: the digest cache keyed by the file's stat before its
memory map was opened; a sweep's store cache stamp; outputs given as symbolic links). Each test is an xfail pinning
the expected behaviour. The three digest-cache tests pass on 1788ee8^ (a regression of its cache key); the
synth one fails there too (older than 1788ee8, of the kind it fixed: an output given as a symbolic link)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from test_compare_digest import META, l2_events
from test_digest_verified import _changed

from mmsim.data.store import load, write_store
from mmsim.errors import DataError


def _edit_in_place_keep_mtime(path) -> None:
    """One size of ``path``'s events (row 101) one lot more, written into the same file (same inode, same size),
    its mtime set back: only its ctime tells."""
    st = path.stat()
    a = np.load(path, mmap_mode="r+")
    a["qty"][101] += 1
    a.flush()
    del a
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


# Was xfail: breaker17e: the digest cache is keyed by the stat taken before the memory map was opened; the map is
# shared, so an in-place edit shows through it, yet the same store's second check finds its old key and passes
def test_a_store_verified_then_edited_in_place_is_refused_when_checked_again(tmp_path):
    """A store opened and checked (``verify_store``), then its events.npy edited in place (same inode, the mtime set
    back): the opened store's map now shows the edited row, and checking it again must refuse it, as the code
    before 1788ee8 did (its key held the ctime at the check)."""
    from mmsim.data._identity import verify_store

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    s = load(tmp_path / "s")
    verify_store(s)
    _edit_in_place_keep_mtime(tmp_path / "s" / "events.npy")
    assert int(s.events["qty"][101]) == int(l2_events()["qty"][101]) + 1  # the map shows the edit
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        verify_store(s)


# Was xfail: breaker17e: the export's verify_store of an opened store hits the digest cache entry of that map made
# before the in-place edit: the edited events are exported
def test_an_opened_store_edited_in_place_is_not_exported(tmp_path):
    """Second case: the hftbacktest export of an ``EventStore`` object exported once, then its events.npy edited in
    place (mtime kept): the second export must be refused naming the file, not write the edited events."""
    from mmsim.data.hftbacktest import export

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    s = load(tmp_path / "s")
    export(s, tmp_path / "a.npz")
    _edit_in_place_keep_mtime(tmp_path / "s" / "events.npy")
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        export(s, tmp_path / "b.npz")
    assert not (tmp_path / "b.npz").exists()



# Was xfail: breaker17e: make_report's store check (_store_mismatch -> verify_digest) of the store object the run
# replayed hits the cache entry its first report made: the in-place edit since is reported on
def test_a_report_on_a_store_edited_in_place_since_its_first_report_is_refused(tmp_path):
    """The user's case: ``s = load(p)``, ``res = mmsim.run(s, ...)``, ``make_report(res, s)``; then p's events.npy
    is edited in place (one size, mtime set back: the best bid/ask unchanged, so the fills' book check passes); a
    second ``make_report(res, s)`` must refuse the store naming its events.npy, as a fresh ``load(p)`` is."""
    from test_compare_digest import run_on

    from mmsim.report import make_report

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    s = load(tmp_path / "s")
    res = run_on(s)
    make_report(res, s)
    _edit_in_place_keep_mtime(tmp_path / "s" / "events.npy")
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        make_report(res, load(tmp_path / "s"))  # a fresh load: refused (the old code too)
    with pytest.raises(DataError, match=_changed(tmp_path / "s", st.meta["events_digest"])):
        make_report(res, s)

# Was xfail: breaker17e: mmsim synth's ensure_new_output(remove=True) calls shutil.rmtree on the -o symlink (to a
# previous store) under --force: 'Cannot call rmtree on a symbolic link', naming no path. Fixed then by refusing any
# link (the store writer's rule then); since outpath19 the store writer follows the rule of mmsim run's output
# (breaker17d, breaker18b): a link to a store is replaced with --force where it points, the link kept.
@pytest.mark.parametrize("hops", [1, 2])
def test_synth_forced_onto_a_link_to_a_store_writes_where_it_points_keeping_the_link(tmp_path, capsys, hops):
    """``mmsim synth CFG -o link --force``, ``link -> real/`` (a store; ``hops=2``: ``link -> mid -> real/``): the
    new store is in ``real/`` (the events of the same synth written to a new folder, not the old store's), the links
    as they were."""
    from mmsim.cli import main

    st = write_store(tmp_path / "real", l2_events(), dict(META))
    link = tmp_path / "link"
    if hops == 2:
        (tmp_path / "mid").symlink_to(tmp_path / "real", target_is_directory=True)
        link.symlink_to(tmp_path / "mid", target_is_directory=True)
    else:
        link.symlink_to(tmp_path / "real", target_is_directory=True)
    assert main(["synth", "examples/synth.yaml", "-o", str(tmp_path / "ref"), "-q"]) == 0
    capsys.readouterr()
    rc = main(["synth", "examples/synth.yaml", "-o", str(link), "--force", "-q"])
    err = capsys.readouterr().err
    said = re.fullmatch(r"wrote [0-9,]+ L[23] events \(.*\) to (.+) in [0-9.]+ s\n", err)
    assert (rc, said and said.group(1)) == (0, str(link))
    assert os.readlink(link) == str(tmp_path / ("mid" if hops == 2 else "real"))
    new = load(tmp_path / "real").meta["events_digest"]
    assert new == load(tmp_path / "ref").meta["events_digest"] != st.meta["events_digest"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["real", "link", "ref"] + ["mid"] * (hops == 2))
