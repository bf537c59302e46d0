"""breaker17b: attempts to break data17 (sided CLEARs through .npz; a store's time_zone checked at load)."""

from __future__ import annotations

import json

import pytest
from test_compare_digest import META, l2_events, run_on

from mmsim.data.store import write_store

RULE = "an IANA time zone name (such as 'UTC' or 'America/Chicago')"


# mmsim report read the store's meta.json itself (cli/report.py), not through check_meta: a hand-edited time_zone
# that mmsim load/run/compare refuse was reported on (breaker17b). It reads it as load does now (check_store_meta).
@pytest.mark.parametrize("tz", ["Mars/Olympus", "localtime"])
@pytest.mark.parametrize("given", [True, False])
def test_mmsim_report_refuses_a_store_with_a_bad_time_zone(tmp_path, capsys, tz, given):
    from mmsim.cli import main

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    res = run_on(st)
    res.save(tmp_path / "r")
    p = tmp_path / "s" / "meta.json"
    meta = json.loads(p.read_text())
    meta["time_zone"] = tz
    p.write_text(json.dumps(meta))
    capsys.readouterr()
    # --events given, or the store the run names (result.json's meta "store"/its config's data)
    args = ["report", str(tmp_path / "r")] + (["--events", str(tmp_path / "s")] if given else [])
    rc = main(args + ["-o", str(tmp_path / "o"), "--no-plots", "-q"])
    err = capsys.readouterr().err
    assert (rc, err) == (1, f"mmsim: error: {p}: key 'time_zone' must be {RULE}, got {tz!r}\n")
    assert not (tmp_path / "o" / "report.json").exists()


@pytest.mark.parametrize(("key", "value", "why"), [
    ("levels", "L5", "key 'levels' must be 'L2' or 'L3', got 'L5'"),
    ("local_ts_recorded", "yes", "key 'local_ts_recorded' must be true or false, got 'yes'"),
])
def test_mmsim_report_refuses_a_store_meta_json_that_load_refuses(tmp_path, capsys, key, value, why):
    """The second case of the kind: any key mmsim.load refuses (not only the zone), read by the report as by load."""
    from mmsim.cli import main

    st = write_store(tmp_path / "s", l2_events(), dict(META))
    run_on(st).save(tmp_path / "r")
    p = tmp_path / "s" / "meta.json"
    meta = json.loads(p.read_text())
    meta[key] = value
    p.write_text(json.dumps(meta))
    capsys.readouterr()
    rc = main(["report", str(tmp_path / "r"), "-o", str(tmp_path / "o"), "--no-plots", "-q"])
    assert (rc, capsys.readouterr().err) == (1, f"mmsim: error: {p}: {why}\n")
    assert not (tmp_path / "o" / "report.json").exists()
