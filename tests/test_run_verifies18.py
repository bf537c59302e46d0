"""``mmsim.run`` and ``mmsim.run_many`` of a store verify its ``events_digest`` before the replay (lead session 18):
``mmsim.run(mmsim.load(...))`` in Python replayed a store whose ``events.npy`` was edited under its ``meta.json`` and
gave a result carrying the store's old digest; only a report or compare of it refused it afterwards (closing17's
"Left"). The commands did already (``runner.load_events``); docs/compare.md."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from test_compare_digest import META, l2_events, run_on
from test_digest_verified import _changed, _edit_book

import mmsim
from mmsim.data import _identity
from mmsim.data.store import write_store
from mmsim.errors import DataError


def _fill_times(st):
    return np.asarray(run_on(mmsim.data.store.EventStore(st.path, np.array(st.events), dict(st.meta))).fills["exch_ts"])


@pytest.fixture
def stores(tmp_path):
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    shutil.copytree(tmp_path / "s", tmp_path / "e")
    _edit_book(tmp_path / "e", _fill_times(st))
    return st, mmsim.load(tmp_path / "e")


def test_run_refuses_a_store_edited_under_its_digest_before_the_replay(tmp_path, stores, monkeypatch):
    st, ed = stores
    ran = []
    real = mmsim.engine._pass
    monkeypatch.setattr(mmsim.engine, "_pass", lambda *a, **k: ran.append(1) or real(*a, **k))
    with pytest.raises(DataError, match=_changed(tmp_path / "e", st.meta["events_digest"])):
        run_on(ed)
    assert ran == []  # refused before anything was replayed
    assert run_on(st).n_events == len(st.events) and ran == [1]  # the store as written runs


def test_run_many_refuses_it_too(tmp_path, stores):
    from mmsim.strategies.fixed_spread import FixedSpread

    st, ed = stores
    runs = [(FixedSpread(half_spread=h, size=1), mmsim.Config(tick_size=0.5, lot_size=1.0)) for h in (1, 2)]
    with pytest.raises(DataError, match=_changed(tmp_path / "e", st.meta["events_digest"])):
        mmsim.run_many(ed, runs)
    assert [r.n_events for r in mmsim.run_many(st, runs)] == [len(st.events)] * 2


def test_the_events_array_of_a_store_is_not_checked(stores):
    """A bare array carries no digest: ``mmsim.run(store.events)`` replays what it is given (docs/compare.md)."""
    st, ed = stores
    r = mmsim.run(ed.events, None, mmsim.Config(tick_size=0.5, lot_size=1.0))
    assert r.n_events == len(ed.events)
    assert not np.array_equal(np.asarray(ed.events["price"]), np.asarray(st.events["price"]))


def test_a_store_is_hashed_once_per_file_version(tmp_path, stores, monkeypatch):
    """Run after run of one opened store hash its events once; an edit in place since (a new ctime) is hashed again
    and refused."""
    st, _ = stores
    fills = _fill_times(st)
    calls = []
    real = _identity.array_digest
    monkeypatch.setattr(_identity, "array_digest", lambda ev, *a: calls.append(len(ev)) or real(ev, *a))
    s2 = mmsim.load(tmp_path / "s")
    run_on(s2)
    run_on(s2)
    mmsim.run(s2, None, mmsim.Config(tick_size=0.5, lot_size=1.0))
    assert calls == [len(s2.events)]
    _edit_book(tmp_path / "s", fills)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 's' / 'events.npy'} changed since the store")):
        run_on(s2)
    assert calls == [len(s2.events)] * 2


def test_the_digest_reads_padding_as_zeros(stores):
    """numpy's copy of a structured array leaves each record's 6 padding bytes undefined: the copy's digest differed
    from its store's, and ``mmsim.run`` of a store holding such a copy would refuse it as edited. The padding is read
    as zeros; any field byte still counts (the second case)."""
    st, _ = stores
    a = np.array(st.events)
    u = a.view(np.uint8).reshape(len(a), 48)
    u[:, 42:48] = np.arange(len(a) * 6, dtype=np.uint64).reshape(len(a), 6) % 251 + 1  # garbage, never zero
    assert _identity.array_digest(a) == st.meta["events_digest"]
    assert run_on(mmsim.data.store.EventStore(st.path, a, dict(st.meta))).n_events == len(a)
    u[7, 41] ^= 1  # `side` of event 7: a field byte
    assert _identity.array_digest(a) != st.meta["events_digest"]
