"""datafix17: the second cases of newcomer17's data findings (tests/test_newcomer17.py holds the first).

- a trade-implied store's hftbacktest ``.npz`` round trip stays trade-implied; a malformed ``trade_implied_book`` in
  an ``.npz``'s ``mmsim_meta`` is refused naming the file and key; files of one stream implied and not are refused;
- every command that reads a store to write another store or file verifies its digest first (``export`` of a path,
  ``before=`` a store);
- ``mmsim convert -q`` prints the summary line only (no pre-open, no trade-implied line);
- an L3 ``.npz`` given to ``--trade-implied-book`` is refused naming the input file and its record.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import shared_data
from test_newcomer17 import META, NS0, l2_with_prints

import mmsim
from mmsim.data import hftbacktest as hbt
from mmsim.data import trade_implied
from mmsim.data._hftbacktest_read import (
    ADD_ORDER_EVENT,
    BUY_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    HBT_EVENT_DTYPE,
    LOCAL_EVENT,
    SELL_EVENT,
)
from mmsim.data.store import write_store

# l2_with_prints: 60 prints of 2 lots, each at a level of 4 to 7 lots (reduced, never emptied: hidden 0, reduced
# 60), each level set back at its side's next depth message a second later but the last print's (119.3 s: no
# message after it): restored 59.
COUNTS = {"prints": 60, "hidden": 0, "reduced": 60, "restored": 59}
IMPLIED_LINE = ("book trade-implied (prints hid 0 and reduced 60 levels until the side's next depth update: "
                "docs/data.md, \"A trade-implied book\")")


def _implied_npz(tmp_path):
    write_store(tmp_path / "plain", l2_with_prints(), dict(META))
    trade_implied(tmp_path / "plain", tmp_path / "implied")
    hbt.export(mmsim.load(tmp_path / "implied"), tmp_path / "x.npz")
    return tmp_path / "x.npz"


def _with_meta(src, dst, **changes):
    """``src``'s .npz written again as ``dst`` with its ``mmsim_meta`` keys changed (None: removed)."""
    with np.load(src) as z:
        data, meta = z["data"], json.loads(str(z["mmsim_meta"][()]))
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    np.savez_compressed(dst, data=data, mmsim_meta=np.array(json.dumps(meta)))
    return dst


def test_the_npz_round_trip_of_a_trade_implied_store_through_mmsim_convert_says_it_is_trade_implied(tmp_path, capsys):
    from mmsim.cli import main

    npz = _implied_npz(tmp_path)
    assert mmsim.load(tmp_path / "implied").meta["quirks"]["trade_implied_book"] == COUNTS
    capsys.readouterr()
    assert main(["convert", str(npz), "-o", str(tmp_path / "back"), "--format", "hftbacktest"]) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[1:] == [IMPLIED_LINE]
    assert mmsim.load(tmp_path / "back").meta["quirks"]["trade_implied_book"] == COUNTS
    # ... and is refused a second transform, as the store it came from
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([npz], tmp_path / "twice", format="hftbacktest", trade_implied=True)
    assert str(exc.value) == (f"{npz}: its book is already trade-implied (its mmsim_meta trade_implied_book: an "
                              "export of a trade-implied store)")
    assert not (tmp_path / "twice").exists()


@pytest.mark.parametrize("bad", [
    {"prints": -1, "hidden": 0, "reduced": 60, "restored": 59},
    {"prints": 60, "hidden": 0, "reduced": 60},
    {"prints": 60, "hidden": True, "reduced": 60, "restored": 59},
    {"prints": 60, "hidden": 0, "reduced": 60.0, "restored": 59},
    [60, 0, 60, 59],
    "yes",
])
def test_an_npz_whose_mmsim_meta_trade_implied_book_is_malformed_is_refused_naming_file_and_key(tmp_path, bad):
    npz = _with_meta(_implied_npz(tmp_path), tmp_path / "bad.npz", trade_implied_book=bad)
    want = (f"{npz}: its mmsim_meta trade_implied_book is {bad!r}, not a mapping of the four counts prints, hidden, "
            "reduced, restored (non-negative integers)")
    with pytest.raises(mmsim.DataError) as exc:
        hbt.convert([npz], tmp_path / "back")
    assert str(exc.value) == want
    assert not (tmp_path / "back").exists()


def test_files_of_one_stream_trade_implied_and_not_are_refused(tmp_path):
    npz = _implied_npz(tmp_path)
    plain = _with_meta(npz, tmp_path / "plain.npz", trade_implied_book=None)
    for order in ([npz, plain], [plain, npz]):
        with pytest.raises(mmsim.DataError) as exc:
            hbt.convert(order, tmp_path / "back")
        assert str(exc.value) == (f"{npz}: its mmsim_meta says its book is trade-implied (trade_implied_book), "
                                  f"{plain}'s does not: files of one stream are one store's export")
    assert not (tmp_path / "back").exists()


def _edited(tmp_path):
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    want = json.loads((st / "meta.json").read_text())["events_digest"]
    ev = np.load(st / "events.npy", mmap_mode="r+")
    ev["qty"][3] += 1
    ev.flush()
    got = hashlib.sha256(np.ascontiguousarray(ev).view(np.uint8).tobytes()).hexdigest()
    del ev
    return st, (f"{st}/events.npy changed since the store was written: its SHA-256 is {got[:16]}…, meta.json's "
                f"events_digest says {want[7:23]}…; these are not the events the store was written with (write it "
                "again from its source: mmsim convert)")


@pytest.mark.parametrize("how", ["export_of_a_path", "before_a_store"])
def test_an_export_refuses_a_store_edited_under_its_digest_given_any_way(tmp_path, how):
    st, want = _edited(tmp_path)
    write_store(tmp_path / "good", l2_with_prints(), dict(META))
    with pytest.raises(mmsim.DataError) as exc:
        if how == "export_of_a_path":
            hbt.export(str(st), tmp_path / "x.npz")
        else:  # the events after the edited store's, with it as the orders resting before them
            good = mmsim.load(tmp_path / "good").events.copy()
            good["exch_ts"] += 10**12
            good["local_ts"] += 10**12
            hbt.export(good, tmp_path / "x.npz", tick_size=0.5, lot_size=1.0, before=mmsim.load(st))
    assert str(exc.value) == want
    assert not (tmp_path / "x.npz").exists()


def test_trade_implied_refuses_a_store_edited_under_its_digest_with_its_message(tmp_path):
    st, want = _edited(tmp_path)
    with pytest.raises(mmsim.DataError) as exc:
        trade_implied(st, tmp_path / "implied")
    assert str(exc.value) == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st"]


# ----------------------------------------------------------------------------- mmsim convert -q


def test_convert_quiet_prints_the_summary_line_only_for_a_trade_implied_store(tmp_path, capsys):
    from mmsim.cli import main

    write_store(tmp_path / "plain", l2_with_prints(), dict(META))
    hbt.export(mmsim.load(tmp_path / "plain"), tmp_path / "x.npz")
    capsys.readouterr()
    args = [str(tmp_path / "x.npz"), "--format", "hftbacktest", "--trade-implied-book"]
    assert main(["convert", *args, "-o", str(tmp_path / "loud")]) == 0
    loud = capsys.readouterr().err.strip().splitlines()
    assert len(loud) == 2 and loud[0].startswith(f"wrote {tmp_path / 'loud'}: ") and loud[1] == IMPLIED_LINE
    assert main(["convert", *args, "-o", str(tmp_path / "quiet"), "-q"]) == 0
    assert capsys.readouterr().err.strip().splitlines() == [loud[0].replace("/loud:", "/quiet:")]


def test_convert_quiet_prints_no_pre_open_line_for_esh4(tmp_path, capsys):
    from mmsim.cli import main

    src = shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(tmp_path / "esh4"), "--format", "databento", "-q"]) == 0
    assert capsys.readouterr().err == f"wrote {tmp_path / 'esh4'}: 69,521 events, ESH4 (GLBX.MDP3), tick 0.25, lot 1, L3\n"


# ----------------------------------------------------------------------------- an L3 .npz for a trade-implied book


def _hbt_rows(rows):
    a = np.zeros(len(rows), HBT_EVENT_DTYPE)
    for i, (ev, t, px, qty, oid) in enumerate(rows):
        a[i] = (ev, NS0 + t, NS0 + t + 1000, px, qty, oid, 0, 0.0)
    return a


@pytest.mark.parametrize("where", ["first_file", "second_file"])
def test_an_l3_npz_for_a_trade_implied_book_is_refused_naming_the_file_and_its_record(tmp_path, capsys, where):
    from mmsim.cli import main

    both = EXCH_EVENT | LOCAL_EVENT
    l2 = _hbt_rows([(DEPTH_EVENT | both | BUY_EVENT, 1_000, 100.0, 2.0, 0),
                    (DEPTH_EVENT | both | SELL_EVENT, 1_000, 101.0, 2.0, 0)])
    # record 3 (1-based, every row) is the first L3 row the exchange side sees; record 2 is its local-only twin
    l3 = _hbt_rows([(DEPTH_EVENT | both | SELL_EVENT, 2_000, 102.0, 1.0, 0),
                    (ADD_ORDER_EVENT | LOCAL_EVENT | BUY_EVENT, 2_500, 99.0, 1.0, 7),
                    (ADD_ORDER_EVENT | EXCH_EVENT | BUY_EVENT, 3_000, 99.0, 1.0, 7)])
    l3["local_ts"][1] = l3["local_ts"][0]
    l3["local_ts"][2] = l3["local_ts"][0]
    if where == "second_file":
        np.savez_compressed(tmp_path / "a.npz", data=l2)
        np.savez_compressed(tmp_path / "b.npz", data=l3)
        files, bad = [tmp_path / "a.npz", tmp_path / "b.npz"], tmp_path / "b.npz"
    else:
        np.savez_compressed(tmp_path / "a.npz", data=l3)
        files, bad = [tmp_path / "a.npz"], tmp_path / "a.npz"
    capsys.readouterr()
    assert main(["convert", *map(str, files), "-o", str(tmp_path / "out"), "--format", "hftbacktest",
                 "--trade-implied-book", "--tick-size", "1", "--lot-size", "1"]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {bad}: record 3: ADD_ORDER_EVENT, an L3 row: a trade-implied "
                                       "book needs L2 data (on L3 data each execution removes its order: there is "
                                       "nothing to imply)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)
