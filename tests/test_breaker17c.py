"""breaker17c: a sweep's baseline on a store at another path with the same events (sweep17), broken.

Every sweep here runs on a tiny synthetic L2 store (20 s of market) and copies of it, in the calling process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from mmsim.data._meta_digest import meta_digest
from mmsim.errors import DataError
from mmsim.sweep import parse_grid, run_sweep

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"
NARROW = {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}
WIDE = {"path": FIXED_SPREAD, "params": {"half_spread": 2, "size": 1}}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of a synthetic L2 market (contract_size 1, an events_digest in its meta.json)."""
    from mmsim.synth import SynthConfig, write_store

    return Path(write_store(SynthConfig(seed=5, duration=20 * S, format="l2"),
                            tmp_path_factory.mktemp("b17c") / "a"))


def _grid(data: list[Path], baseline) -> dict:
    return {"base": {"data": str(data[0]), "latency": {"entry": "1ms", "response": "1ms"},
                     "report": {"horizons": ["1s"]}},
            "points": [{"strategy": NARROW}, {"strategy": WIDE}],
            "axes": {"data": [str(p) for p in data]},
            "baseline": baseline, "compare": {"bucket": "1s", "n_boot": 100}}


def _copy_with(store: Path, dest: Path, **meta_changes) -> Path:
    shutil.copytree(store, dest)
    meta = json.loads((dest / "meta.json").read_text())
    meta.update(meta_changes)
    meta["meta_digest"] = meta_digest(meta)  # a store of these keys, as its writer would check it (fix34c)
    (dest / "meta.json").write_text(json.dumps(meta))
    return dest


# ----------------------------------------------------------------------------- a copy whose PnL unit differs


# Was xfail (breaker17c): _Stores.why pairs two stores by events_digest and identity_keys only; contract_size (the
# PnL unit, tick_value) is not an identity key, so a copy whose meta.json says contract_size 10 is paired, the
# baseline replayed on it with 10x its own PnL, while `mmsim compare` refuses the two runs ('value a tick·lot
# differently')
def test_a_copy_with_another_contract_size_is_not_paired(store, tmp_path):
    """A copy of the store whose meta.json says contract_size 10 (one events_digest, a tick·lot worth 10x): the
    baseline point on ``a`` made PnL p, the same strategy on the copy 10·p, and `mmsim compare` of the two runs
    refuses them (tick_value 0.01 vs 0.1). The sweep pairs them and shows a Δ PnL of exactly 0 for the same
    strategy (the baseline replayed on the copy, PnL 10·p, not the baseline point's p)."""
    sized = _copy_with(store, tmp_path / "sized", contract_size=10.0)
    grid = parse_grid(_grid([store, sized], {"data": str(store), "strategy": NARROW}))
    base = grid.points[0].id
    on_copy = {p.id for p in grid.points if p.config.data == str(sized)}
    assert len(on_copy) == 2
    why = (f"its baseline point {base[:8]} replays another event store ({store}) than this point's ({sized}): the "
           "same events (one events_digest) read otherwise (contract_size 1.0 vs 10.0); a paired comparison needs "
           "the same data")
    assert dict(grid.baseline.skipped) == {i: why for i in on_copy}
    rows = run_sweep(grid, workers=0)
    by_id = {r["id"]: r for r in rows}
    for i in on_copy:
        assert by_id[i]["verdict"] == "skipped" and by_id[i].get("vs_baseline.pnl_per_day") is None


# Was xfail (breaker17c): as above, the second case: the sweep's comparison of the same strategy on a
# contract_size-10 copy reads PnL a = 10x the baseline point's own PnL
def test_a_paired_comparisons_baseline_pnl_is_the_baseline_points_own(store, tmp_path):
    """Whatever a comparison pairs, its ``a`` (the baseline's figure) is the baseline point's: with the copy at
    contract_size 10, the same strategy's point on the copy has pnl.total 10x the baseline point's, and a
    comparison (if any) whose PnL ``a`` is the baseline point's PnL per span."""
    sized = _copy_with(store, tmp_path / "sized", contract_size=10.0)
    grid = parse_grid(_grid([store, sized], {"data": str(store), "strategy": NARROW}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0)
    recs = {json.loads(line)["id"]: json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()}
    base = recs[grid.points[0].id]
    same = next(recs[p.id] for p in grid.points if p.config.data == str(sized) and p.overrides["strategy"] == NARROW)
    assert same["metrics"]["pnl.total"] == pytest.approx(10 * base["metrics"]["pnl.total"], rel=1e-9)
    a_base = base["comparison"]["rows"]["pnl_per_day"]["a"]
    rows = (same.get("comparison") or {}).get("rows") or {}
    # Either not compared (no rows), or compared against the baseline point's own PnL.
    assert rows == {} or rows["pnl_per_day"]["a"] == a_base


# ----------------------------------------------------------------------------- a baseline point that failed


def _tampered(store: Path, dest: Path) -> Path:
    """A copy whose events.npy was edited under its meta.json (the digest is the original's): every receive time
    20 ms later. A report refuses it (its events are not the ones the digest was computed from)."""
    shutil.copytree(store, dest)
    ev = np.load(dest / "events.npy", mmap_mode="r+")
    ev["local_ts"] += 20_000_000
    ev.flush()
    del ev
    return dest


# Was xfail (breaker17c): the baseline on a tampered copy (meta.json's digest equal, events edited) fails with
# DataError, but _Stores trusts meta.json's digest and the point's pass replays the baseline on the point's own
# (good) store (_on_store), so the points there get a full comparison 'with' a baseline point that failed
def test_points_are_not_compared_with_a_baseline_point_that_failed_on_a_tampered_copy(store, tmp_path):
    tampered = _tampered(store, tmp_path / "tampered")
    grid = parse_grid(_grid([tampered, store], {"data": str(tampered), "strategy": NARROW}))
    base = grid.points[0].id
    with pytest.raises(DataError, match=f"^{tampered.resolve()}/events.npy changed since the store was written: "):
        run_sweep(grid, workers=0)  # the sweep's pre-flight refuses the copy (newcomer18)
    with pytest.MonkeyPatch.context() as mp:  # the copy edited once the pre-flight had verified it
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)
        rows = {r["id"]: r for r in run_sweep(grid, workers=0)}
    assert rows[base]["status"] == "error" and rows[base]["error_type"] == "DataError"
    on_good = [p.id for p in grid.points if p.config.data == str(store)]
    assert [rows[i]["status"] for i in on_good] == ["ok", "ok"]
    assert [rows[i]["verdict"] for i in on_good] == ["skipped", "skipped"]
    assert [rows[i].get("vs_baseline.pnl_per_day") for i in on_good] == [None, None]


# Was xfail (breaker17c): as above, the second case: a fixed baseline (an index) and two workers
def test_a_fixed_baseline_that_failed_on_a_tampered_copy_compares_nothing_with_workers(store, tmp_path):
    tampered = _tampered(store, tmp_path / "tampered")
    grid = parse_grid(_grid([tampered, store], 0))
    with pytest.MonkeyPatch.context() as mp:  # the copy edited once the pre-flight had verified it (newcomer18)
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)
        rows = {r["id"]: r for r in run_sweep(grid, workers=2)}
    assert rows[grid.points[0].id]["status"] == "error"
    on_good = [p.id for p in grid.points if p.config.data == str(store)]
    assert [rows[i]["verdict"] for i in on_good] == ["skipped", "skipped"]


# ----------------------------------------------------------------------------- a grid read before its store changed


def _narrow_on(rows, store: Path):
    return next(r for r in rows if r["data"] == str(store) and r["strategy"]["params"]["half_spread"] == 1)


# Was xfail (breaker17c): _Stores reads each store's meta.json once, in parse_grid; run_sweep(grid) of a Grid read
# before the copy was written again with other events reruns the copy's points (resume sees the new events_digest)
# but pairs them with the baseline on the old plan: a row compared with a baseline whose events_digest differs from
# its own
def test_a_grid_read_before_the_copy_changed_does_not_pair_other_events(store, tmp_path):
    from mmsim.synth import SynthConfig, write_store

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    grid = parse_grid(_grid([store, copy], {"data": str(store), "strategy": NARROW}))
    out = tmp_path / "out"
    first = run_sweep(grid, out=out, workers=0)
    assert _narrow_on(first, copy)["verdict"] == "none real"  # paired: the same events, Δ 0
    shutil.rmtree(copy)
    write_store(SynthConfig(seed=6, duration=20 * S, format="l2"), copy)  # other events at the copy's path
    rows = run_sweep(grid, out=out, workers=0)
    base, same = _narrow_on(rows, store), _narrow_on(rows, copy)
    assert base["events_digest"] != same["events_digest"]
    # As a grid read now says (parse_grid again): not compared, other events.
    assert same["verdict"] == "skipped" and same.get("vs_baseline.pnl_per_day") is None
    assert same["baseline_note"].startswith(f"its baseline point {grid.points[0].id[:8]} replays another event store")


# Was xfail (breaker17c): as above, the second case: the baseline's own store written again with other events after
# parse_grid (the copy unchanged) and workers=2
def test_a_grid_read_before_the_baseline_store_changed_does_not_pair_other_events(store, tmp_path):
    from mmsim.synth import SynthConfig, write_store

    a, copy = tmp_path / "a", tmp_path / "copy"
    shutil.copytree(store, a)
    shutil.copytree(store, copy)
    grid = parse_grid(_grid([a, copy], {"data": str(a), "strategy": NARROW}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=2)
    shutil.rmtree(a)
    write_store(SynthConfig(seed=6, duration=20 * S, format="l2"), a)
    rows = run_sweep(grid, out=out, workers=2)
    base, same = _narrow_on(rows, a), _narrow_on(rows, copy)
    assert base["events_digest"] != same["events_digest"]
    assert same["verdict"] == "skipped" and same.get("vs_baseline.pnl_per_day") is None


# ----------------------------------------------------------------------------- the note of two stores without a digest


# Was xfail (breaker17c): _Stores.why joins the lacking stores' paths with ' and ' and appends '/meta.json' once:
# two stores without a digest read 'in A and B/meta.json' (A's meta.json not named)
def test_two_stores_without_a_digest_each_name_their_meta_json(store, tmp_path):
    """Both the baseline's store and the point's lack an events_digest (written before stores carried one): the
    note names each one's meta.json."""
    meta = json.loads((store / "meta.json").read_text())
    del meta["events_digest"]
    bare_a = _copy_with(store, tmp_path / "bare_a")
    bare_b = _copy_with(store, tmp_path / "bare_b")
    for d in (bare_a, bare_b):
        (d / "meta.json").write_text(json.dumps(meta))
    grid = parse_grid(_grid([bare_a, bare_b], {"data": str(bare_a), "strategy": NARROW}))
    base = grid.points[0].id
    assert set(grid.baseline.skipped.values()) == {
        f"its baseline point {base[:8]} replays another event store ({bare_a}) than this point's ({bare_b}), and "
        f"without an events_digest in {bare_a}/meta.json and {bare_b}/meta.json (a store written before stores "
        "carried one) the sweep cannot tell whether their events are the same; a paired comparison needs the same "
        "events"}
    # The second case: a fixed baseline (an index), the same note after "the baseline point".
    grid = parse_grid(_grid([bare_a, bare_b], 0))
    assert all(f"without an events_digest in {bare_a}/meta.json and {bare_b}/meta.json (" in why
               for why in grid.baseline.skipped.values()) and len(grid.baseline.skipped) == 2
