"""sweepfix17: second cases of the sweep faults newcomer17 found (tests/test_newcomer17.py pins the first).

A sweep's pre-flight reads each store as `mmsim run` does; two stores whose meta.json differ in conversion notes
(`quirks`) only are paired, but not when one book is trade-implied; a baseline names a store by any spelling of
its path; the summary line says what was replayed now; `to_array` says what it takes.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from test_newcomer17 import FIXED_SPREAD, META, l2_with_prints

import mmsim
from mmsim.data.store import write_store

N_EVENTS = 300  # l2_with_prints(): 120 seconds × (bid + ask) + a print every other second


def _grid(tmp_path, data, size: object = 1, **extra):
    g = tmp_path / "grid.yaml"
    g.write_text(json.dumps({
        "base": {"data": str(data), "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                 "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": size}}},
        "axes": {"latency.feed": ["1ms", "2ms"]}, "output": str(tmp_path / "out"), **extra}))
    return g


# ----------------------------------------------------------------------------- 1. the pre-flight reads a store as
# `mmsim run` does: any fault its loader finds, named as it names it


@pytest.mark.parametrize("fault", ["event_count", "bad_key"])
def test_a_sweep_over_a_store_the_loader_refuses_says_what_the_loader_says(tmp_path, capsys, fault):
    from mmsim.cli import main

    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    meta_path = st / "meta.json"
    meta = json.loads(meta_path.read_text())
    assert meta["event_count"] == N_EVENTS
    if fault == "event_count":
        meta["event_count"] = 301
        why = f"{meta_path}: key 'event_count' is 301 but events.npy holds {N_EVENTS} events (an interrupted conversion?)"
    else:
        del meta["tick_size"]
        why = f"{meta_path}: missing key(s) tick_size"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as run_err:  # what `mmsim run` (mmsim.load) says of the store
        mmsim.load(st)
    assert str(run_err.value) == why
    grid = _grid(tmp_path, st)
    capsys.readouterr()
    assert main(["sweep", str(grid), "-q"]) == 2
    # Sizes in lots: the store's fault is the only problem (no "(1 other problem too)").
    assert capsys.readouterr().err == (f"mmsim: config error: data: {why} ({grid} line 1) — in 2 of 2 points "
                                       "(latency.feed=1ms; latency.feed=2ms); no point ran\n")
    assert not (tmp_path / "out" / "results.jsonl").exists()


# ----------------------------------------------------------------------------- 2. quirks are provenance, but for
# quirks.trade_implied_book


IMPLIED = {"hidden": 0, "prints": 0, "reduced": 0, "restored": 0}


@pytest.mark.parametrize("quirks_a, quirks_b, note", [
    ({"dropped_before_snapshot": 3, "trade_implied_book": IMPLIED},
     {"skipped_streams": {"trade": 2}, "trade_implied_book": IMPLIED}, None),      # other notes, the same book
    ({"trade_implied_book": IMPLIED}, {"dropped_before_snapshot": 1}, "quirks.trade_implied_book in {a}/meta.json only"),
    ({"trade_implied_book": IMPLIED}, {"trade_implied_book": dict(IMPLIED, hidden=1)}, "quirks.trade_implied_book differ"),
], ids=["other-notes", "implied-in-one", "implied-differs"])
def test_two_stores_differing_in_quirks_are_paired_unless_their_trade_implied_book_differs(tmp_path, quirks_a,
                                                                                            quirks_b, note):
    from mmsim.sweep._stores import _Stores

    write_store(tmp_path / "a", l2_with_prints(), dict(META, quirks=quirks_a))
    write_store(tmp_path / "b", l2_with_prints(), dict(META, quirks=quirks_b))
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    why = _Stores().why("its baseline point 01234567", a, b)
    if note is None:
        assert why is None
    else:
        assert why == (f"its baseline point 01234567 replays another event store ({a}) than this point's ({b}): the "
                       f"same events (one events_digest) read otherwise ({note.format(a=a)}); a paired comparison "
                       "needs the same data")


# ----------------------------------------------------------------------------- 3. a baseline's data, any spelling


@pytest.mark.parametrize("spelt", ["dotdot", "symlink", "other_store"])
def test_a_baseline_data_is_read_as_the_grid_reads_it(tmp_path, spelt):
    from mmsim.sweep import load_grid

    for s in "abc":
        write_store(tmp_path / "s" / s, l2_with_prints(), dict(META))
    (tmp_path / "g").mkdir()
    os.symlink(tmp_path / "s" / "b", tmp_path / "link")
    want = {"dotdot": "../s/./x/../b", "symlink": str(tmp_path / "link"), "other_store": "../s/c"}[spelt]
    grid_file = tmp_path / "g" / "grid.yaml"
    grid_file.write_text(json.dumps({
        "base": {"data": "../s/a", "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                 "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
        "axes": {"data": ["../s/a", "../s/b"]}, "baseline": {"data": want}}))
    if spelt == "other_store":  # another store, even one that exists, is none of the grid's values
        with pytest.raises(mmsim.ConfigError) as err:
            load_grid(grid_file)
        assert str(err.value) == (f"baseline.data: '../s/c' is none of the grid's values (../s/a, ../s/b) "
                                  f"({grid_file} line 1)")
        return
    grid = load_grid(grid_file)
    on_b = [p for p in grid.points if p.overrides["data"] == "../s/b"]
    assert len(on_b) == 1 and len(grid.points) == 2
    assert all(grid.baseline.of[p.id] == on_b[0].id for p in grid.points)


# ----------------------------------------------------------------------------- 4a. the summary's events: replayed
# now, and the reused points' apart


def test_the_sweep_summary_says_what_was_replayed_now_and_what_was_reused(tmp_path, capsys):
    from mmsim.cli import main

    write_store(tmp_path / "st", l2_with_prints(), dict(META))
    grid = _grid(tmp_path, tmp_path / "st")
    out = tmp_path / "out"
    paths = f" -> {out / 'results.jsonl'}, {out / 'sweep.html'}\n"
    assert main(["sweep", str(grid), "-q", "--workers", "0", "--no-plots"]) == 0
    assert f"2 points (0 failed), {2 * N_EVENTS:,} events replayed ({N_EVENTS} × 2 points){paths}" \
        in capsys.readouterr().out
    # Again: nothing runs.
    assert main(["sweep", str(grid), "-q", "--workers", "0", "--no-plots"]) == 0
    assert (f"2 points (0 failed), 0 events replayed now (every point reused; the 2 reused points replayed "
            f"{2 * N_EVENTS} events when they ran){paths}0 run now, 2 reused from results.jsonl") \
        in capsys.readouterr().out
    # One more feed latency: one point runs, two are reused.
    g = json.loads(grid.read_text())
    g["axes"]["latency.feed"].append("3ms")
    grid.write_text(json.dumps(g))
    assert main(["sweep", str(grid), "-q", "--workers", "0", "--no-plots"]) == 0
    assert (f"3 points (0 failed), {N_EVENTS} events replayed now; the 2 reused points replayed {2 * N_EVENTS} "
            f"events when they ran{paths}1 run now, 2 reused from results.jsonl") in capsys.readouterr().out


def test_the_summary_events_of_one_reused_point_and_a_failed_one_run_now():
    from mmsim.cli.sweep import events_summary

    rows = [{"id": "a", "status": "ok", "n_events": 50}, {"id": "b", "status": "error", "n_events": 7}]
    assert events_summary(rows, {"b"}) == ("7 events replayed now by the 1 failed point before it stopped (no "
                                           "point finished); the 1 reused point replayed 50 events when it ran")
    assert events_summary(rows, {"a", "b"}) == ("57 events replayed: 50 by the 1 point that finished, 7 by the 1 "
                                                "failed point before it stopped")


# ----------------------------------------------------------------------------- 4b. to_array takes rows


TAKES = "mmsim.sweep.to_array takes sweep rows (the list of dicts run_sweep returns, one per point)"


@pytest.mark.parametrize("as_path", [str, os.fsencode, lambda p: p], ids=["str", "bytes", "Path"])
def test_to_array_of_a_results_folder_says_what_it_takes(tmp_path, as_path):
    from mmsim.sweep import to_array

    with pytest.raises(TypeError) as err:
        to_array(as_path(tmp_path / "out"))
    assert str(err.value) == (f"{TAKES}, not a path ({str(tmp_path / 'out')!r}); a results folder's rows are "
                              "mmsim.sweep.run_sweep(GRID, out=FOLDER)'s (it reads the points recorded there back "
                              "and runs only those missing), its raw records "
                              "list(mmsim.sweep.read_results(FOLDER).values())")


def test_to_array_of_records_by_id_or_of_other_rows_says_what_it_takes():
    from mmsim.sweep import to_array

    with pytest.raises(TypeError) as err:
        to_array({"0123456789abcdef": {"id": "0123456789abcdef", "status": "ok"}})
    assert str(err.value) == f"{TAKES}, not a mapping; for read_results' records by id, pass list(records.values())"
    with pytest.raises(TypeError) as err:
        to_array([{"id": "x"}, "y"])
    assert str(err.value) == f"{TAKES}: row 1 is a str, not a dict"
    # Rows as documented still convert; records' values too.
    arr = to_array([{"id": "0123456789abcdef", "status": "ok", "n_events": 3}])
    assert arr.dtype.names == ("id", "status", "n_events") and arr["n_events"].tolist() == [3]
    assert np.issubdtype(arr["n_events"].dtype, np.integer)
