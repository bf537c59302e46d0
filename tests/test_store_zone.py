"""A store's ``time_zone`` is checked where a store is written, loaded (17) and exported, by the rule its ``.npz``
import uses (breaker16d): mmsim writes and opens no store whose export it then refuses to import, and names of the
zone database's files that are not zones (``localtime``, ``posixrules``, ``right/UTC``, ``posix/UTC``, ``Factory``)
are refused by all."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import rewrite_meta
from test_compare_digest import META, l2_events
from test_hftbacktest_preopen import BUY, npz

import mmsim
from mmsim.data import hftbacktest as hbt
from mmsim.data.store import write_store

DEPTH = hbt.DEPTH_EVENT
NOT_ZONES = ["Mars/Olympus", "utc", "", "localtime", "posixrules", "right/UTC", "posix/UTC", "Factory"]
RULE = "an IANA time zone name (such as 'UTC' or 'America/Chicago')"


@pytest.mark.parametrize("tz", NOT_ZONES)
def test_a_store_is_not_written_with_a_time_zone_its_npz_import_refuses(tmp_path, tz):
    # Before: written ('utc', '' and 'Mars/Olympus' alike), exported, and its .npz refused by mmsim's import.
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{tmp_path / 's' / 'meta.json'}: key 'time_zone' must be {RULE}, got {tz!r}") + "$"):
        write_store(tmp_path / "s", l2_events(), dict(META, time_zone=tz))
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("tz", ["localtime", "posixrules", "right/UTC", "posix/UTC", "Factory"])
def test_an_mmsim_meta_time_zone_that_is_a_file_not_a_zone_is_refused(tmp_path, tz):
    # Before: zoneinfo opened these files (this machine's zone, the POSIX rule, a leap-second table), so they were
    # taken (or not: right/ and posix/ exist on some systems only).
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(json.dumps({"time_zone": tz})))
    with pytest.raises(mmsim.DataError, match=re.escape(f"{f}: its mmsim_meta time_zone is {tz!r}, not {RULE}")):
        hbt.convert([f], tmp_path / "s")


@pytest.mark.parametrize("tz", ["UTC", "America/Chicago", "Etc/GMT+5"])
def test_a_store_of_a_zone_round_trips_through_npz(tmp_path, tz):
    st = write_store(tmp_path / "s", l2_events(), dict(META, time_zone=tz))
    hbt.export(st, tmp_path / "x.npz")
    back = hbt.convert([tmp_path / "x.npz"], tmp_path / "b")
    assert (back.meta["time_zone"], back.meta["events_digest"]) == (tz, st.meta["events_digest"])


def _edit_zone(tmp_path, tz):
    """A written store whose meta.json's time_zone is then edited by hand to ``tz``; its meta.json's path."""
    write_store(tmp_path / "s", l2_events(), dict(META))
    rewrite_meta(tmp_path / "s", time_zone=tz)  # the zone's check, not the meta_digest's of an edit (fix34c)
    return tmp_path / "s" / "meta.json"


@pytest.mark.parametrize("tz", ["utc", "localtime", "Mars/Olympus"])
def test_a_hand_edited_zone_is_refused_at_load_naming_meta_json(tmp_path, tz):
    # 17: by the rule the writer and the .npz import use (one check, _identity.check_zone). Before: the store loaded
    # and ran, and only its export was refused, so a store mmsim would never write was one mmsim.load opened.
    p = _edit_zone(tmp_path, tz)
    with pytest.raises(mmsim.DataError) as e:
        mmsim.load(tmp_path / "s")
    assert str(e.value) == f"{p}: key 'time_zone' must be {RULE}, got {tz!r}"


@pytest.mark.parametrize("tz", [5, None])
def test_a_hand_edited_zone_not_a_string_is_refused_at_load_naming_meta_json(tmp_path, tz):
    p = _edit_zone(tmp_path, tz)
    with pytest.raises(mmsim.DataError) as e:
        mmsim.load(tmp_path / "s")
    assert str(e.value) == f"{p}: key 'time_zone' must be a string, got {tz!r}"


def test_a_store_with_a_zone_of_the_database_loads(tmp_path):
    p = _edit_zone(tmp_path, "America/Chicago")
    assert mmsim.load(p.parent).meta["time_zone"] == "America/Chicago"
