"""An ``.npz`` round trip keeps a store's ``local_ts_recorded`` (breaker16d): an export writes it into ``mmsim_meta``
and the import takes it, so a store without recorded receive times (LOBSTER, synthetic) does not come back as one
with them (where ``latency.feed: recorded`` would replay it with a feed latency of 0)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from test_compare_digest import META, l2_events
from test_hftbacktest_preopen import BUY, npz

import mmsim
from mmsim.data import hftbacktest as hbt
from mmsim.data.store import write_store

DEPTH = hbt.DEPTH_EVENT


def _recorded_feed():
    from mmsim.strategies.fixed_spread import FixedSpread

    return FixedSpread(half_spread=1, size=1), mmsim.Config.from_dict({"latency": {"feed": "recorded"}})


@pytest.mark.parametrize("recorded", [False, True])
def test_a_store_round_trips_with_its_local_ts_recorded(tmp_path, recorded):
    # Before: always true after the import.
    st = write_store(tmp_path / "s", l2_events(), dict(META, local_ts_recorded=recorded))
    hbt.export(st, tmp_path / "x.npz")
    with np.load(tmp_path / "x.npz") as z:
        assert json.loads(str(z["mmsim_meta"][()]))["local_ts_recorded"] is recorded
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert (back.meta["local_ts_recorded"], back.meta["events_digest"]) == (recorded, st.meta["events_digest"])


def test_a_lobster_store_round_trips_without_receive_times(tmp_path, real_store):
    st = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    assert st.meta["local_ts_recorded"] is False
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert (back.meta["local_ts_recorded"], back.meta["events_digest"]) == (False, st.meta["events_digest"])
    # The round trip refuses a recorded feed as the store does (before: it ran, with a feed latency of 0).
    strategy, cfg = _recorded_feed()
    for s in (st, back):
        with pytest.raises(mmsim.ConfigError, match=re.escape(
                "latency.feed is 'recorded' but this event store has no recorded local_ts")):
            mmsim.run(s, strategy, cfg)


def test_an_npz_without_local_ts_recorded_in_mmsim_meta_imports_as_before(tmp_path):
    # An export written before this key (or hftbacktest's own file): receive times recorded, as before.
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array('{"time_zone": "UTC"}'))
    assert hbt.convert([f], tmp_path / "s").meta["local_ts_recorded"] is True


@pytest.mark.parametrize("bad", ['"false"', "0", "null"])
def test_an_mmsim_meta_local_ts_recorded_not_true_or_false_is_refused(tmp_path, bad):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(f'{{"local_ts_recorded": {bad}}}'))
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: its mmsim_meta local_ts_recorded is {json.loads(bad)!r}, not true or false") + "$"):
        hbt.convert([f], tmp_path / "s")
