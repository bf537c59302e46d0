"""A store's content digest (``meta.json`` ``events_digest``, npz16): ``mmsim compare`` and a report know the data a
run replayed by it when both stores carry one, so a store exported to ``.npz`` and imported back compares with the
original (its ``format`` and ``source`` differ, its events do not), and two stores that differ in one event are
refused though every other key agrees (docs/compare.md)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

import mmsim
from mmsim.data import hftbacktest as hbt
from mmsim.data.store import write_store
from mmsim.errors import DataError

S = 1_000_000_000
NS0 = 1_700_000_000 * S
META = {"symbol": "TEST", "venue": "XTEST", "tick_size": 0.5, "lot_size": 1.0, "contract_size": 1.0, "levels": "L2",
        "format": "synthetic", "source": ["made.csv"]}


def l2_events(n: int = 240) -> np.ndarray:
    """A 2-minute L2 book: bid 200 / ask 202 ticks, sizes moving every half second, a 1-lot trade every 5 s."""
    rows = []
    for i in range(n):
        t = NS0 + i * S // 2
        rows.append((t, t + 1000, 200, 5 + i % 3, 0, int(mmsim.Kind.DEPTH), 1))
        rows.append((t, t + 1000, 202, 4 + i % 2, 0, int(mmsim.Kind.DEPTH), -1))
        if i % 10 == 5:
            rows.append((t, t + 1000, 202 if i % 20 == 5 else 200, 1, 0, int(mmsim.Kind.TRADE), 1 if i % 20 == 5 else -1))
    return np.array(rows, dtype=mmsim.EVENT_DTYPE)


def run_on(store):
    from mmsim.strategies.fixed_spread import FixedSpread

    return mmsim.run(store, FixedSpread(half_spread=1, size=1), mmsim.Config(tick_size=0.5, lot_size=1.0))


def run_unchecked(store):
    """:func:`run_on` of a store's events and meta.json, given without its path: a run of a store edited under its
    digest that ``mmsim.run(store)`` now refuses (lead session 18), as a run made before that check was. Its result
    names the store and carries its digest, as such a run's ``result.json`` did (written in by hand: a store's meta
    given with other events is refused too, breaker18a)."""
    from types import SimpleNamespace

    from mmsim.events import DIGEST_KEY

    r = run_on(SimpleNamespace(events=store.events, meta={k: v for k, v in store.meta.items() if k != DIGEST_KEY}))
    r.meta["store"], r.meta[DIGEST_KEY] = str(store.path), store.meta[DIGEST_KEY]  # (breaker18a: not carried now)
    return r


def test_a_store_carries_the_sha256_of_its_events(tmp_path):
    ev = l2_events()
    st = write_store(tmp_path / "s", ev, dict(META))
    raw = (tmp_path / "s" / "events.npy").read_bytes()[256:]
    assert st.meta["events_digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert json.loads((tmp_path / "s" / "meta.json").read_text())["events_digest"] == st.meta["events_digest"]
    # The same events from another source, any caller's meta (a digest it carries is replaced): the same digest.
    again = write_store(tmp_path / "t", ev.copy(), dict(META, format="other", source=["x"], events_digest="sha256:0"))
    assert again.meta["events_digest"] == st.meta["events_digest"]


def test_a_store_exported_to_npz_and_imported_back_compares_with_the_original(tmp_path):
    # Before: `compare: runs A and B replayed different data: format 'synthetic' vs 'hftbacktest', source
    # ['made.csv'] vs ['x.npz']`, for the same events, event for event.
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert (np.asarray(back.events) == np.asarray(st.events)).all()
    assert (back.meta["format"], back.meta["source"]) == ("hftbacktest", ["x.npz"])
    assert back.meta["events_digest"] == st.meta["events_digest"]
    a, b = run_on(st), run_on(back)
    a.save(tmp_path / "ra")
    b.save(tmp_path / "rb")
    ident = mmsim.analysis.comparison.check_same_data(a, b)
    assert ident["events_digest"] == st.meta["events_digest"] and "format" not in ident
    cmp = mmsim.compare(tmp_path / "ra", tmp_path / "rb", horizons=["1s"], bucket="10s", n_boot=50)
    assert cmp.n_buckets > 0
    # The report's own check of a store given against the run is the same: run A's report on the imported store.
    rep = mmsim.report.make_report(mmsim.Result.load(tmp_path / "ra"), back, horizons=["1s"])
    assert rep.data is not None
    # compare given the imported store as its events too.
    mmsim.compare(tmp_path / "ra", tmp_path / "rb", back, horizons=["1s"], bucket="10s", n_boot=50)


def test_two_stores_one_event_apart_are_refused_naming_the_digest(tmp_path):
    # Every other key equal (symbol, venue, format, source, count, first and last times, sizes): before, compared as
    # the same data.
    ev = l2_events()
    other = ev.copy()
    other["qty"][101] += 1  # one depth row's size
    sa, sb = write_store(tmp_path / "a", ev, dict(META)), write_store(tmp_path / "b", other, dict(META))
    da, db = sa.meta["events_digest"], sb.meta["events_digest"]
    assert da != db
    a, b = run_on(sa), run_on(sb)
    with pytest.raises(DataError, match=re.escape(
            f"compare: runs A and B replayed different data: events_digest {da!r} vs {db!r}") + "$"):
        mmsim.compare(a, b, sa, labels=("A", "B"))
    # The report's check of a store given against its run: by the digest too.
    with pytest.raises(DataError, match=re.escape(
            f"report: the event store given is not the data the run replayed: events_digest {da!r} vs {db!r}") + "$"):
        mmsim.report.make_report(a, sb, horizons=["1s"])
    # compare's check of the store given against the runs, alike.
    with pytest.raises(DataError, match=re.escape(
            f"compare: the event store given is not the data the runs replayed: events_digest {da!r} vs {db!r}")
            + "$"):
        mmsim.compare(a, a, sb)


def test_a_store_written_before_the_digest_keeps_the_old_keys(tmp_path):
    # A store without events_digest (written before it): format and source still tell it apart, as before.
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    a, b = run_on(st), run_on(back)
    del a.meta["events_digest"]
    with pytest.raises(DataError, match=re.escape(
            "compare: runs A and B replayed different data: format 'synthetic' vs 'hftbacktest', source ['made.csv'] "
            "vs ['x.npz']") + "$"):
        mmsim.analysis.comparison.check_same_data(a, b)


@pytest.mark.parametrize("bad", ["sha256:xyz", 5, "md5:" + "0" * 32])
def test_a_meta_json_digest_not_of_its_form_is_refused_naming_the_key(tmp_path, bad):
    write_store(tmp_path / "s", l2_events(), dict(META))
    p = tmp_path / "s" / "meta.json"
    meta = json.loads(p.read_text())
    meta["events_digest"] = bad
    p.write_text(json.dumps(meta))
    with pytest.raises(DataError, match=re.escape(
            f"{p}: key 'events_digest' must be 'sha256:' and 64 lowercase hex digits (the SHA-256 of the events, "
            "written with "
            f"the store), got {bad!r}")):
        mmsim.load(tmp_path / "s")
