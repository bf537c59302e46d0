"""The events a sweep's points replayed (sweep17): each row's ``events_digest`` (the store's meta.json digest, a
column of results.csv beside the config's ``digest``), and a baseline on a store at another path with the same
events is paired (as ``mmsim compare`` pairs two such runs), while one with other events is refused, naming both
stores and their digests.

Every sweep here runs on a tiny synthetic L2 store (20 s of market) and copies of it, in the calling process.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from mmsim.sweep import parse_grid, run_sweep, to_array, write_report

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``a``: 20 s of a synthetic L2 market; ``copy``: the same directory copied elsewhere (same events, same
    meta.json); ``other``: another seed (other events)."""
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("digest")
    a = write_store(SynthConfig(seed=5, duration=20 * S, format="l2"), d / "a")
    shutil.copytree(a, d / "copy")
    other = write_store(SynthConfig(seed=6, duration=20 * S, format="l2"), d / "other")
    return {"a": Path(a), "copy": d / "copy", "other": Path(other)}


def _digest(store: Path) -> str:
    return json.loads((store / "meta.json").read_text())["events_digest"]


NARROW = {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}


def _grid(data: list[Path], baseline=None) -> dict:
    g = {"base": {"data": str(data[0]), "latency": {"entry": "1ms", "response": "1ms"},
                  "report": {"horizons": ["1s"]}},
         "points": [{"strategy": NARROW},
                    {"strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 2, "size": 1}}}],
         "axes": {"data": [str(p) for p in data]}}
    if baseline is not None:
        g["baseline"] = baseline
        g["compare"] = {"bucket": "1s", "n_boot": 100}
    return g


def _csv(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------------------- the events_digest column


def test_results_csv_has_each_points_events_digest_beside_its_config_digest(stores, tmp_path):
    """Points on a store and on its copy replayed the same events: one events_digest (the stores' meta.json's);
    the other seed's points another. results.csv had no such column (only results.jsonl kept it)."""
    grid = parse_grid(_grid([stores["a"], stores["copy"], stores["other"]]))
    rows = run_sweep(grid, out=tmp_path / "out", workers=0)
    a, other = _digest(stores["a"]), _digest(stores["other"])
    assert a != other and a == _digest(stores["copy"])
    # The points by arm, then store (a, copy, other).
    assert [r["data"] for r in rows] == [str(stores[k]) for k in ("a", "copy", "other")] * 2
    assert [r["events_digest"] for r in rows] == [a, a, other] * 2
    write_report(rows, grid, tmp_path / "out", plots=False)
    header = (tmp_path / "out" / "results.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["id", "digest", "events_digest"]
    assert [r["events_digest"] for r in _csv(tmp_path / "out")] == [a, a, other] * 2
    arr = to_array(rows)  # a string column, each digest whole
    assert arr["events_digest"].dtype == np.dtype(f"<U{len(a)}") and list(arr["events_digest"]) == [a, a, other] * 2


def test_a_record_without_the_digest_has_an_empty_cell(stores, tmp_path):
    """The second case: a record written before records carried it (an earlier mmsim's results.jsonl, resumed)
    has an empty events_digest cell in results.csv and None in the row; the points run now carry theirs."""
    g = _grid([stores["a"], stores["other"]])
    out = tmp_path / "out"
    grid = parse_grid(g)
    run_sweep(grid, out=out, workers=0)
    recs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    for rec in recs:
        if rec["id"] == grid.points[0].id:  # the first point's record, as an earlier mmsim wrote it
            del rec["events_digest"]
    (out / "results.jsonl").write_text("".join(json.dumps(rec) + "\n" for rec in recs))
    rows = run_sweep(grid, out=out, workers=0)  # nothing to run: every point is recorded
    a, other = _digest(stores["a"]), _digest(stores["other"])
    assert [r["events_digest"] for r in rows] == [None, other, a, other]
    write_report(rows, grid, out, plots=False)
    assert [r["events_digest"] for r in _csv(out)] == ["", other, a, other]


# ----------------------------------------------------------------------------- a baseline on a copy of the store


def test_a_baseline_on_a_copy_of_the_store_is_paired(stores):
    """The baseline names the store ``a``; the points on its copy (another path, one events_digest) are compared
    with it, as on ``a`` itself: they were skipped (``replays another event store``). The same strategy on the
    copy replays the same events as the baseline, so its differences are exactly 0; the wider quoter on the copy
    has the comparison of the wider quoter on ``a``, row for row."""
    g = _grid([stores["a"], stores["copy"]],
              {"data": str(stores["a"]), "strategy": NARROW})
    grid = parse_grid(g)
    base = grid.points[0].id
    assert grid.baseline.skipped == {}
    assert grid.baseline.of == {p.id: base for p in grid.points}
    rows = run_sweep(grid, workers=0)
    on_a, on_copy = [r for r in rows if r["data"] == str(stores["a"])], [r for r in rows if r["data"] != str(stores["a"])]
    same = next(r for r in on_copy if r["strategy"]["params"]["half_spread"] == 1)
    assert same["baseline"] == base and same["baseline_note"] is None
    assert [same[f"vs_baseline.{q}"] for q in ("markout@1s", "spread_capture", "pnl_per_day", "two_sided")] == [0.0] * 4
    wide_a = next(r for r in on_a if r["strategy"]["params"]["half_spread"] == 2)
    wide_copy = next(r for r in on_copy if r["strategy"]["params"]["half_spread"] == 2)
    keys = sorted(k for k in wide_a if k.startswith("vs_baseline"))
    assert keys and [wide_copy[k] for k in keys] == [wide_a[k] for k in keys]
    assert wide_copy["verdict"] == wide_a["verdict"]
    # A fixed baseline (an index) pairs them too.
    g["baseline"] = 0
    assert parse_grid(g).baseline.of == {p.id: base for p in grid.points}


def test_a_baseline_on_other_events_is_refused_naming_both_stores_and_their_digests(stores, tmp_path):
    """The second case: on a store of other events (another seed) the points are not compared, and the note names
    both stores and their digests; a copy whose meta.json says another tick size (one events_digest, numbers that
    mean otherwise) is refused too, naming the key, as ``mmsim compare`` refuses such runs."""
    a, other = stores["a"], stores["other"]
    grid = parse_grid(_grid([a, other], {"data": str(a), "strategy": NARROW}))
    base = grid.points[0].id
    da, do = _digest(a), _digest(other)
    why = (f"its baseline point {base[:8]} replays another event store ({a}) than this point's ({other}), and "
           f"their events differ (events_digest sha256:{da[7:19]}… vs sha256:{do[7:19]}…); a paired comparison "
           "needs the same events")
    assert grid.baseline.skipped == {p.id: why for p in grid.points if p.config.data == str(other)}
    g = _grid([a, other], 0)
    assert set(parse_grid(g).baseline.skipped.values()) == {"the baseline point" + why[len("its baseline point"):]}
    ticked = tmp_path / "ticked"
    shutil.copytree(a, ticked)
    meta = json.loads((ticked / "meta.json").read_text())
    tick = meta["tick_size"]
    meta["tick_size"] = tick * 2
    (ticked / "meta.json").write_text(json.dumps(meta))
    grid = parse_grid(_grid([a, ticked], {"data": str(a), "strategy": NARROW}))
    base = grid.points[0].id
    assert set(grid.baseline.skipped.values()) == {
        f"its baseline point {base[:8]} replays another event store ({a}) than this point's ({ticked}): the same "
        f"events (one events_digest) read otherwise (tick_size {tick!r} vs {tick * 2!r}); a paired comparison needs "
        "the same data"}
    # A copy whose meta.json has no digest (a store written before stores carried one): nothing tells the events
    # apart, so the points are not paired, and the note says why.
    bare = tmp_path / "bare"
    shutil.copytree(a, bare)
    meta = json.loads((bare / "meta.json").read_text())
    del meta["events_digest"]
    (bare / "meta.json").write_text(json.dumps(meta))
    grid = parse_grid(_grid([a, bare], {"data": str(a), "strategy": NARROW}))
    assert set(grid.baseline.skipped.values()) == {
        f"its baseline point {base[:8]} replays another event store ({a}) than this point's ({bare}), and without an "
        f"events_digest in {bare}/meta.json (a store written before stores carried one) the sweep cannot tell "
        "whether their events are the same; a paired comparison needs the same events"}
