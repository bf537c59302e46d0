"""One check of an ``events_digest``'s form, wherever one is read (breaker16d): a store's ``meta.json``
(``mmsim.load``), a run's ``result.json`` ``meta`` (``Result.load``) and the store ``mmsim report --events`` reads.
Before, ``Result.load`` took any value (5 and null then fell back to format and source in compare, ``"garbage"``
was compared as a digest) and ``mmsim report --events`` read ``meta.json`` unchecked, where compare refused it."""

from __future__ import annotations

import json
import re

import pytest
from test_compare_digest import META, l2_events, run_on

import mmsim
from mmsim.data.store import write_store

HEX = "0123456789abcdef" * 4
BAD = [5, "garbage", None, "sha256:" + HEX.upper(), "SHA256:" + HEX, "sha256:" + HEX[:-1]]


def why(bad) -> str:
    return ("must be 'sha256:' and 64 lowercase hex digits (the SHA-256 of the events, written with the store), "
            f"got {bad!r}")


@pytest.fixture
def saved(tmp_path):
    st = write_store(tmp_path / "s", l2_events(), dict(META))
    run_on(st).save(tmp_path / "r")
    return tmp_path


def _edit(p, bad) -> None:
    doc = json.loads(p.read_text())
    (doc["meta"] if "meta" in doc else doc)["events_digest"] = bad
    p.write_text(json.dumps(doc))


@pytest.mark.parametrize("bad", BAD)
def test_a_result_json_digest_not_of_its_form_is_refused(saved, bad):
    p = saved / "r" / "result.json"
    _edit(p, bad)
    with pytest.raises(mmsim.DataError, match=re.escape(f"{p}: meta.events_digest {why(bad)}") + "$"):
        mmsim.Result.load(saved / "r")


@pytest.mark.parametrize("bad", BAD)
def test_mmsim_report_refuses_a_store_digest_not_of_its_form(saved, bad, capsys):
    from mmsim.cli import main

    p = saved / "s" / "meta.json"
    _edit(p, bad)
    rc = main(["report", str(saved / "r"), "--events", str(saved / "s"), "-o", str(saved / "o"), "--no-plots", "-q"])
    assert rc != 0 and not (saved / "o" / "report.json").exists()
    assert capsys.readouterr().err == f"mmsim: error: {p}: key 'events_digest' {why(bad)}\n"
    # mmsim.load and the compare of the store: the same words.
    with pytest.raises(mmsim.DataError, match=re.escape(f"{p}: key 'events_digest' {why(bad)}") + "$"):
        mmsim.load(saved / "s")


def test_a_result_without_a_digest_still_loads(saved):
    # A run saved from a store written before npz16: no key, loads as before.
    p = saved / "r" / "result.json"
    doc = json.loads(p.read_text())
    del doc["meta"]["events_digest"]
    p.write_text(json.dumps(doc))
    assert "events_digest" not in mmsim.Result.load(saved / "r").meta
