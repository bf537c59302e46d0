"""sweep18: a sweep point records only the events digest it verified, and a sweep opens each store once.

1. A point that failed before its store's events were verified (its ``events.npy`` edited under its meta.json
   digest, a meta.json the loader refuses, a store gone) records ``events_digest`` null: it recorded the
   meta.json's digest, claiming to be of events it did not replay. A resume does not rerun it for changed events,
   and the summary line does not count it as "store events changed".
2. The pre-flight opens each store with ``mmsim.data.load`` and the points of that process reuse it (the in-process
   cache of ``mmsim.sweep.passes``, keyed by the files' stat): one open per store, not two; a store edited between
   the pre-flight and a point is still opened again and refused.

Every sweep here runs on a tiny synthetic L2 store (20 s of market), in the calling process.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from mmsim.sweep import parse_grid, run_sweep, write_report

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of a synthetic L2 market (each test copies it: it edits its copy)."""
    from mmsim.synth import SynthConfig, write_store

    return Path(write_store(SynthConfig(seed=5, duration=20 * S, format="l2"), tmp_path_factory.mktemp("s18") / "a"))


def _copy(synth: Path, where: Path) -> Path:
    shutil.copytree(synth, where)
    return where


def _digest(store: Path) -> str:
    return json.loads((store / "meta.json").read_text())["events_digest"]


def _grid(data: list[Path], feeds: tuple[str, ...] = ("1ms", "2ms")) -> dict:
    return {"base": {"data": str(data[0]), "latency": {"entry": "1ms", "response": "1ms"},
                     "report": {"horizons": ["1s"]},
                     "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
            "axes": {"data": [str(p) for p in data], "latency.feed": list(feeds)}}


def _edit_under_digest(store: Path) -> str:
    """Change one event's quantity in ``store/events.npy`` in place (its meta.json and its digest left as they
    were); the SHA-256 of the edited events' bytes, by hashlib."""
    ev = store / "events.npy"
    events = np.load(ev)
    events["qty"][-1] += 1
    np.save(ev, events)
    return "sha256:" + hashlib.sha256(np.load(ev).tobytes()).hexdigest()


def _changed_message(store: Path, got: str) -> str:
    return (f"{store.resolve() / 'events.npy'} changed since the store was written: its SHA-256 is {got[7:23]}…, "
            f"meta.json's events_digest says {_digest(store)[7:23]}…; these are not the events the store was "
            "written with (write it again from its source: mmsim synth)")


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _csv(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------------------- 1. a failed point's events_digest


def test_a_point_on_events_edited_under_their_digest_records_no_digest(synth, tmp_path, capsys):
    """The store's events.npy was edited under its meta.json once the sweep's pre-flight had verified it (here: the
    pre-flight's check_stores skipped), each point's run refuses it; its row, record and results.csv cell have no
    events_digest (they had the meta.json's: the digest of events the point did not replay). A resume leaves the
    failed points as they are; once the store is written again and they are retried, they record its digest.
    Resumed with the pre-flight (newcomer18), the edited store refuses the whole sweep, the records as they are."""
    from mmsim.cli.sweep import _code_changed
    from mmsim.errors import DataError

    st = _copy(synth, tmp_path / "st")
    pristine = (st / "events.npy").read_bytes()
    got = _edit_under_digest(st)
    assert got != _digest(st)
    grid = parse_grid(_grid([st]))
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)  # as if edited after the pre-flight
        rows = run_sweep(grid, out=out, workers=0)
        assert [(r["status"], r["error_type"], r["error_message"]) for r in rows] == [
            ("error", "DataError", _changed_message(st, got))] * 2
        assert [r["events_digest"] for r in rows] == [None, None]
        assert [r["events_digest"] for r in _records(out)] == [None, None]
        write_report(rows, grid, out, plots=False)
        assert [r["events_digest"] for r in _csv(out)] == ["", ""]
        # Resumed: failed points are not run again for their events (they claim none), only with retry_failed.
        before = {r["id"]: r for r in _records(out)}
        again = run_sweep(grid, out=out, workers=0)
        assert [r["status"] for r in again] == ["error", "error"] and len(_records(out)) == 2
    with pytest.raises(DataError) as info:
        run_sweep(grid, out=out, workers=0)
    assert str(info.value) == _changed_message(st, got)
    assert {r["id"]: r for r in _records(out)} == before
    capsys.readouterr()
    (st / "events.npy").write_bytes(pristine)
    fixed = run_sweep(grid, out=out, workers=0, retry_failed=True)
    assert [(r["status"], r["events_digest"]) for r in fixed] == [("ok", _digest(st))] * 2
    assert "changed since" not in capsys.readouterr().err
    after = {r["id"]: r for r in _records(out)}
    # The summary line's "store events changed": not for a record that claimed no events.
    assert _code_changed(fixed, before, after, "events_digest") == 0


def test_a_point_whose_store_the_loader_refuses_records_no_digest(synth, tmp_path):
    """The second case: a point failing before its events were verified for another reason. With
    ``point_fn=default_point`` (no pre-flight) on a store whose meta.json has a bad key, and in passes on a store
    whose meta.json was broken, or which was removed, after the pre-flight: each failed point's events_digest is
    None (it was the meta.json's digest, read when the sweep started)."""
    from mmsim.sweep import execute
    from mmsim.sweep.passes import default_point

    bad = _copy(synth, tmp_path / "bad")
    meta = json.loads((bad / "meta.json").read_text())
    meta["tick_size"] = 0
    (bad / "meta.json").write_text(json.dumps(meta))
    rows = run_sweep(parse_grid(_grid([bad])), workers=0, point_fn=default_point)
    assert [(r["error_message"], r["events_digest"]) for r in rows] == [
        (f"{bad / 'meta.json'}: key 'tick_size' must be a positive number from 1e-12 to 1e12, got 0", None)] * 2

    broken, gone = _copy(synth, tmp_path / "broken"), _copy(synth, tmp_path / "gone")
    check = execute.check_points

    def then_break(*args, **kwargs):
        check(*args, **kwargs)
        (broken / "meta.json").write_text((broken / "meta.json").read_text() + "}")
        shutil.rmtree(gone)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(execute, "check_points", then_break)
        rows = run_sweep(parse_grid(_grid([broken, gone])), workers=0)
    lines = len((synth / "meta.json").read_text().splitlines()) + 1  # the `}` after its last line's newline
    hint = ("make it with `mmsim convert SRC... -o {0} --format FORMAT` (--format lobster for "
            "TICKER_DATE_*_message_LEVEL.csv; --format binance for SYMBOL_DATE.gz (a collector capture); --format "
            "databento for FILE.mbo.dbn.zst (or its CSV); --format tardis for incremental_book_L2_*.csv.gz "
            "[trades_*.csv.gz]; --format hftbacktest for FILE.npz), or `mmsim synth -o {0}` for a synthetic market")
    # The points by store (broken, gone), each at both feed latencies.
    assert [(r["data"], r["status"], r["error_message"], r["events_digest"]) for r in rows] == [
        (str(broken), "error", f"{broken / 'meta.json'}: line {lines}: not valid JSON (Extra data)", None)] * 2 + [
        (str(gone), "error", f"data: {gone}: no such directory; {hint.format(gone)}", None)] * 2


def test_a_point_that_ran_records_the_digest_it_verified(synth, tmp_path):
    """An ok point's events_digest is its store's, and a point whose strategy failed on verified events keeps it
    (it failed on those events)."""
    st = _copy(synth, tmp_path / "st")
    g = _grid([st])
    g["axes"]["strategy.params.size"] = [1, -1]  # -1: refused by the strategy, after the store was verified
    grid = parse_grid(g)
    from mmsim.sweep import passes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passes, "_STORES", {})
        mp.setattr("mmsim.sweep.execute.check_points", lambda *a, **k: None)  # let the bad size reach the run
        rows = run_sweep(grid, workers=0)
    assert [(r["strategy.params.size"], r["status"], r["events_digest"]) for r in rows] == [
        (1, "ok", _digest(st)), (-1, "error", _digest(st))] * 2


def test_a_point_rerun_onto_edited_events_is_not_counted_as_store_events_changed(synth, tmp_path):
    """A point recorded with its store's digest, run again (``--force``) after its events.npy was edited under
    that digest (once the pre-flight had verified it), fails and records none: the summary's "store events changed"
    does not count it (the run did not see other events, it refused them; its meta.json's digest is the same)."""
    from mmsim.cli.sweep import _code_changed
    from mmsim.errors import DataError

    st = _copy(synth, tmp_path / "st")
    grid = parse_grid(_grid([st]))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0)
    before = {r["id"]: r for r in _records(out)}
    assert [r["events_digest"] for r in before.values()] == [_digest(st)] * 2
    got = _edit_under_digest(st)
    # The pre-flight refuses the store before --force deletes a record (newcomer18).
    with pytest.raises(DataError) as info:
        run_sweep(grid, out=out, workers=0, fresh=True)
    assert str(info.value) == _changed_message(st, got)
    assert {r["id"]: r for r in _records(out)} == before
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)  # as if edited after the pre-flight
        rows = run_sweep(grid, out=out, workers=0, fresh=True)
    after = {r["id"]: r for r in _records(out)}
    assert [(r["status"], r["events_digest"]) for r in after.values()] == [("error", None)] * 2
    assert _code_changed(rows, before, after, "events_digest") == 0


def test_points_on_a_copy_edited_under_its_digest_share_no_digest_with_the_original(synth, tmp_path):
    """results.csv's events_digest tells which points replayed identical events: the points of a copy whose
    events were edited under the original's digest had the original's (as if they replayed its events); they have
    none. A baseline point there pairs nothing: the original's points are skipped, the edit named (the pairing
    verifies the events, it never reads a record's digest)."""
    good = _copy(synth, tmp_path / "good")
    bad = _copy(synth, tmp_path / "bad")
    got = _edit_under_digest(bad)
    g = _grid([bad, good], ("1ms",))
    g["axes"]["strategy.params.half_spread"] = [1, 2]
    g["baseline"] = {"data": str(bad), "strategy.params.half_spread": 1}
    g["compare"] = {"bucket": "1s", "n_boot": 100}
    grid = parse_grid(g)
    base = grid.points[0].id
    with pytest.MonkeyPatch.context() as mp:  # the copy's points reach their runs (the pre-flight refuses it)
        mp.setattr("mmsim.sweep.execute.check_stores", lambda points: None)
        rows = run_sweep(grid, out=tmp_path / "out", workers=0)
    note = (f"its baseline point {base[:8]} replays another event store ({bad}) than this point's ({good}): "
            f"{_changed_message(bad, got)}; a paired comparison needs the same events")
    # The points by store (bad, good), each with half_spread 1 and 2.
    assert [(r["data"], r["status"], r["events_digest"], r["verdict"], r.get("baseline_note")) for r in rows] == [
        (str(bad), "error", None, None, None)] * 2 + [(str(good), "ok", _digest(good), "skipped", note)] * 2
    write_report(rows, grid, tmp_path / "out", plots=False)
    assert [r["events_digest"] for r in _csv(tmp_path / "out")] == ["", "", _digest(good), _digest(good)]


def _half_spread_or_fail(config) -> dict:
    """A custom point function: fails for ``half_spread`` 2, else one figure."""
    if config.strategy.params["half_spread"] == 2:
        raise ValueError("no figures for half_spread 2")
    return {"half_spread": config.strategy.params["half_spread"]}


def test_a_lost_worker_and_a_custom_point_fn_record_no_digest_for_a_failed_point(synth, tmp_path):
    """Records made where no sweep worker verified the events: a point whose worker died (``WorkerDied``, recorded
    by the sweep's process) has none; with a custom point_fn a finished point has the meta.json's digest when the
    sweep started (what the function opened is its own), a failed one none. Each had the meta.json's digest."""
    from test_sweep_passes import DIE

    st = _copy(synth, tmp_path / "st")
    (tmp_path / "die.py").write_text(DIE)
    g = _grid([st], ("1ms",))
    g["base"]["strategy"] = {"path": f"{tmp_path / 'die.py'}:Die", "params": {"exit_at": 1, "code": 3}}
    rows = run_sweep(parse_grid(g), workers=1)
    assert [(r["status"], r["error_type"], r["events_digest"]) for r in rows] == [("error", "WorkerDied", None)]

    g = _grid([st], ("1ms",))
    g["axes"]["strategy.params.half_spread"] = [1, 2]
    rows = run_sweep(parse_grid(g), workers=0, point_fn=_half_spread_or_fail)
    assert [(r["half_spread"] if r["status"] == "ok" else r["error_message"], r["events_digest"]) for r in rows] == [
        (1, _digest(st)), ("no figures for half_spread 2", None)]


# ----------------------------------------------------------------------------- 2. one open per store


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every events.npy ``mmsim.data.load`` opens, in order (the in-process store cache emptied first)."""
    from mmsim.data import store as store_mod
    from mmsim.sweep import passes

    monkeypatch.setattr(passes, "_STORES", {})
    seen: list[str] = []
    real = store_mod._open_events

    def counting(ev_path: Path) -> np.ndarray:
        seen.append(str(ev_path.parent))
        return real(ev_path)

    monkeypatch.setattr(store_mod, "_open_events", counting)
    return seen


def test_a_sweep_of_one_store_opens_it_once(synth, tmp_path, opens):
    """3 points on one store, in this process: the pre-flight's open serves the points (it was opened twice: the
    pre-flight's mmsim.load, then the points' runner.load_events)."""
    st = _copy(synth, tmp_path / "st")
    rows = run_sweep(parse_grid(_grid([st], ("1ms", "2ms", "3ms"))), workers=0)
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert opens == [str(st)]


def test_a_sweep_of_two_stores_opens_each_once(synth, tmp_path, opens):
    """The second case: 4 points on two stores, 2 opens (it was 4)."""
    a, b = _copy(synth, tmp_path / "a"), _copy(synth, tmp_path / "b")
    rows = run_sweep(parse_grid(_grid([a, b])), workers=0)
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert sorted(opens) == [str(a), str(b)]


def test_a_store_edited_after_the_pre_flight_is_opened_again_and_refused(synth, tmp_path, opens):
    """The cache weakens no check: events.npy edited in place after the pre-flight (its mtime set back) is opened
    again (its ctime changed) and its points are refused, the edit named."""
    from mmsim.sweep import execute

    st = _copy(synth, tmp_path / "st")
    check = execute.check_points
    got: list[str] = []

    def then_edit(*args, **kwargs):
        check(*args, **kwargs)
        t = os.stat(st / "events.npy")
        got.append(_edit_under_digest(st))
        os.utime(st / "events.npy", ns=(t.st_atime_ns, t.st_mtime_ns))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(execute, "check_points", then_edit)
        rows = run_sweep(parse_grid(_grid([st])), workers=0)
    assert [(r["error_message"], r["events_digest"]) for r in rows] == [(_changed_message(st, got[0]), None)] * 2
    assert opens == [str(st), str(st)]


def test_a_drilled_down_point_opens_its_store_once(synth, tmp_path, opens):
    """``mmsim sweep GRID --point ID``: its pre-flight and its run share one open (they were two)."""
    from mmsim.cli import main

    st = _copy(synth, tmp_path / "st")
    g = tmp_path / "grid.yaml"
    g.write_text(json.dumps({**_grid([st]), "output": str(tmp_path / "out")}))
    point = parse_grid(json.loads(g.read_text())).points[1]
    assert main(["sweep", str(g), "--point", point.id[:8], "--no-plots", "-q"]) == 0
    assert opens == [str(st)]
