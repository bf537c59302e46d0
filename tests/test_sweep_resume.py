"""What a resumed sweep trusts in its results file: the strategy's code each record ran (an edited plugin or
helper reruns its points), and only its own records (a foreign line is an error naming the file and line).

Every sweep here runs on a tiny synthetic store (10 s of market) in the calling process or one worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmsim.cli import main as cli_main
from mmsim.errors import MmsimError
from mmsim.plugins import resolve_strategy
from mmsim.sweep import RESULTS_FILE, load_grid, read_results, run_sweep
from mmsim.sweep.code import code_fingerprint

S = 1_000_000_000

# A Python strategy whose quote size lives in a helper module beside it (imported the way
# docs/strategies.md, "Helper files", shows, with the folder put on the path by the plugin).
QUOTER = """import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mmsim
from sizing_helpers import quote_size


class Quoter(mmsim.Strategy):
    def __init__(self, half_spread=1):
        self.h = int(half_spread)

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        return mmsim.Quote(view.best_bid - self.h + 1, quote_size(), view.best_ask + self.h - 1, quote_size())
"""
HELPER = "def quote_size():\n    return {size}\n"

# A numba rule that calls a jitted helper in another file beside it.
RULE = """import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numba_helpers
import mmsim


@mmsim.numba_strategy(params={"half_spread": 1.0})
def rule(view, params, state, out):
    out.bid_px = view.best_bid - numba_helpers.widen(params.half_spread)
    out.ask_px = view.best_ask + numba_helpers.widen(params.half_spread)
    out.bid_qty = 1
    out.ask_qty = 1
    return 1
"""
NUMBA_HELPER = "import numba\n\n\n@numba.njit\ndef widen(h):\n    return int(h) - {k}\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("resume")
    write_store(SynthConfig(seed=5, duration=10 * S, format="l2"), d / "store")
    return d / "store"


def _grid(tmp_path: Path, store: Path, spec: str, extra: dict | None = None) -> Path:
    base = {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]}, "strategy": {"path": spec}}
    grid = {"base": base, "axes": {"latency.feed": ["0ms", "5ms"]}, **(extra or {})}
    path = tmp_path / "grid.yaml"
    path.write_text(json.dumps(grid))  # JSON is YAML
    return path


def _records(out: Path) -> list[dict]:
    return [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]


def _plugin(tmp_path: Path, size: int) -> str:
    d = tmp_path / "plugin"
    d.mkdir(exist_ok=True)
    (d / "quoter.py").write_text(QUOTER)
    (d / "sizing_helpers.py").write_text(HELPER.format(size=size))
    return f"{d / 'quoter.py'}:Quoter"


def _swept(tmp_path: Path, store: Path) -> tuple[list[str], Path]:
    """The plugin's grid swept once in this process (size 1): the command's arguments and its output folder."""
    grid = _grid(tmp_path, store, _plugin(tmp_path, size=1))
    out = tmp_path / "out"
    args = ["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 0
    return args, out


# ------------------------------------------------------------------------- the strategy's code


def test_an_edited_helper_of_a_python_strategy_reruns_its_points_with_the_new_code(tmp_path, store, capsys):
    spec = _plugin(tmp_path, size=1)
    grid = _grid(tmp_path, store, spec)
    out = tmp_path / "out"
    args = ["sweep", str(grid), "-o", str(out), "--workers", "1", "-q", "--no-plots"]
    assert cli_main(args) == 0
    first = _records(out)
    code1 = code_fingerprint(resolve_strategy(spec))
    assert [r["strategy_code"] for r in first] == [code1, code1]
    capsys.readouterr()

    # Unchanged code: nothing runs, nothing is said on stderr.
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    assert "\n0 run now, 2 reused from results.jsonl" in cap.out
    assert _records(out) == first

    # The helper module (not the plugin's own file) is edited: both points run again, said once.
    (tmp_path / "plugin" / "sizing_helpers.py").write_text(HELPER.format(size=3))
    code2 = code_fingerprint(resolve_strategy(spec))
    assert code2 != code1
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == (f"mmsim sweep: the code of strategy quoter.py:Quoter changed since 2 of its points were "
                       f"recorded in {out / RESULTS_FILE}; running them again\n")
    assert "\n2 run now (2 of them: strategy code changed), 0 reused from results.jsonl\n" in cap.out
    again = _records(out)
    assert len(again) == 4 and [r["id"] for r in again[2:]] == [r["id"] for r in first]  # ids are kept
    assert [r["strategy_code"] for r in again[2:]] == [code2, code2]
    # Its figures are the new code's: those of a fresh sweep of it.
    fresh = run_sweep(grid, out=tmp_path / "fresh", workers=1)
    assert [r["metrics"] for r in again[2:]] == [
        {k: v for k, v in rec["metrics"].items()} for rec in _records(tmp_path / "fresh")]
    assert [r["fills.count"] for r in fresh] == [r["metrics"]["fills.count"] for r in again[2:]]
    # Every order of the old code was for 1 lot (the helper's size), of the new code for 3.
    for rec, size in zip(again, [1, 1, 3, 3]):
        assert rec["metrics"]["fills.quoted_qty"] == size * rec["metrics"]["fills.orders_sent"] > 0
    # Resumed again: nothing more runs.
    assert cli_main(args) == 0
    assert capsys.readouterr().err == ""
    assert len(_records(out)) == 4


def test_an_edited_numba_helper_reruns_the_points_and_a_failed_point_with_it(tmp_path, store, capsys):
    d = tmp_path / "nplugin"
    d.mkdir()
    (d / "nrule.py").write_text(RULE)
    (d / "numba_helpers.py").write_text(NUMBA_HELPER.format(k=0))
    spec = f"{d / 'nrule.py'}:rule"
    grid = _grid(tmp_path, store, spec)
    out = tmp_path / "out"
    # A point function: the strategy is fingerprinted, never compiled.
    run_sweep(grid, out=out, workers=0, point_fn=_count_point)
    first = _records(out)
    # the second point failed: a code change runs it again too (with its error, as a run writes a failed point's
    # record: "error": null is a finished point's, refused in a failed one's since fix27b)
    first[1].update(status="error", metrics={}, error={"type": "StrategyError", "message": "boom", "traceback": ""})
    (out / RESULTS_FILE).write_text("".join(json.dumps(r) + "\n" for r in first))
    capsys.readouterr()
    run_sweep(grid, out=out, workers=0, point_fn=_count_point)
    assert capsys.readouterr().err == ""
    (d / "numba_helpers.py").write_text(NUMBA_HELPER.format(k=1))
    rows = run_sweep(grid, out=out, workers=0, point_fn=_count_point)
    assert capsys.readouterr().err == (f"mmsim sweep: the code of strategy nrule.py:rule changed since 2 of its "
                                       f"points were recorded in {out / RESULTS_FILE}; running them again\n")
    assert [r["status"] for r in rows] == ["ok", "ok"]
    recs = _records(out)
    assert len(recs) == 4 and recs[2]["strategy_code"] != recs[0]["strategy_code"]


def _count_point(config) -> dict:
    return {"n_events": 0, "one": 1.0}


def test_records_without_a_code_fingerprint_are_reused_with_a_note(tmp_path, store, capsys):
    args, out = _swept(tmp_path, store)
    old = _records(out)
    for r in old:
        del r["strategy_code"]  # as an earlier mmsim wrote them
    (out / RESULTS_FILE).write_text("".join(json.dumps(r) + "\n" for r in old))
    capsys.readouterr()
    (tmp_path / "plugin" / "sizing_helpers.py").write_text(HELPER.format(size=2))
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == (f"mmsim sweep: 2 point(s) in {out / RESULTS_FILE} were recorded without a fingerprint of "
                       "their strategy's code (an earlier mmsim wrote them); they are reused unchecked: after editing "
                       "a strategy, run with --force\n")
    assert "\n0 run now, 2 reused from results.jsonl" in cap.out
    assert _records(out) == old


def test_records_of_a_strategy_that_no_longer_loads_are_reused_with_a_note(tmp_path, store, capsys):
    # The breaker's case: a syntax error appended to the plugin, every point recorded; the
    # resume said "... and the same strategy code" without a word that nothing was checked.
    args, out = _swept(tmp_path, store)
    old = _records(out)
    with (tmp_path / "plugin" / "quoter.py").open("a") as fh:
        fh.write("this is a syntax error(\n")
    # A new process, as a user's next command (this one has the plugin's module imported already).
    p = subprocess.run([sys.executable, "-m", "mmsim", *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stderr.endswith(f"mmsim sweep: strategy quoter.py:Quoter does not load now, so the code of its 2 "
                             f"recorded point(s) in {out / RESULTS_FILE} could not be checked; they are reused "
                             "unchecked\n"), p.stderr
    assert "\n0 run now, 2 reused from results.jsonl" in p.stdout
    assert _records(out) == old


def test_a_point_compared_with_a_baseline_whose_code_changed_runs_again(tmp_path, store, capsys):
    spec = _plugin(tmp_path, size=1)
    d = tmp_path / "plugin"
    (d / "other.py").write_text(QUOTER.replace("class Quoter", "class Other"))
    grid_path = tmp_path / "grid.yaml"
    base = {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]}}
    grid_path.write_text(json.dumps({
        "base": base, "points": [{"strategy": {"path": spec}}, {"strategy": {"path": f"{d / 'other.py'}:Other"}}],
        "baseline": 0, "compare": {"n_boot": 50, "bucket": "1s"}}))
    out = tmp_path / "out"
    run_sweep(grid_path, out=out, workers=0)
    capsys.readouterr()
    (d / "quoter.py").write_text(QUOTER + "\nEDITED = True\n")  # the baseline's own file; other.py is unchanged
    run_sweep(grid_path, out=out, workers=0)
    assert capsys.readouterr().err == (
        f"mmsim sweep: the code of strategy quoter.py:Quoter changed since 1 of its points were recorded in "
        f"{out / RESULTS_FILE}; running them again\n"
        "mmsim sweep: 1 more point(s) are compared with a baseline point that runs again; running them again too\n")
    assert [r["index"] for r in _records(out)] == [0, 1, 0, 1]


# ------------------------------------------------------------------------- foreign lines


GOOD = {"id": "a" * 16, "status": "ok", "metrics": {}}


@pytest.mark.parametrize("line, why", [
    ("hello world", "it is not JSON ('hello world')"),
    ('{"note": "added by hand"}', 'its "id" is null, not a sweep point\'s id (a sweep record is a JSON object with '
                                  'a 16-hex-digit "id" and a "status" of "ok" or "error", one a line)'),
    ("[1, 2]", 'it is a JSON list, not a sweep record (a sweep record is a JSON object with a 16-hex-digit "id" and '
               'a "status" of "ok" or "error", one a line)'),
    ('{"id": "bbbbbbbbbbbbbbbb", "status": "done"}', 'its "status" is "done", not a sweep record\'s (a sweep record '
                                                      'is a JSON object with a 16-hex-digit "id" and a "status" of '
                                                      '"ok" or "error", one a line)'),
    ('{"id": "XYZ", "status": "ok"}', 'its "id" is "XYZ", not a sweep point\'s id (a sweep record is a JSON object '
                                      'with a 16-hex-digit "id" and a "status" of "ok" or "error", one a line)'),
    # A record edited by hand: "metrics": "zzz" was an AttributeError traceback from the table,
    # a finished record without metrics was reused as a finished point.
    ('{"id": "bbbbbbbbbbbbbbbb", "status": "ok", "metrics": "zzz"}',
     'it is a finished point\'s record without its figures ("metrics" is "zzz", not a JSON object)'),
    ('{"id": "bbbbbbbbbbbbbbbb", "status": "ok"}',
     'it is a finished point\'s record without its figures ("metrics" is null, not a JSON object)'),
    ('{"id": "bbbbbbbbbbbbbbbb", "status": "error", "error": "boom"}', 'its "error" is "boom", not a JSON object'),
])
def test_a_line_that_is_not_a_record_is_an_error_naming_the_file_and_line(tmp_path, line, why):
    path = tmp_path / RESULTS_FILE
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n" + json.dumps({**GOOD, "id": "c" * 16}) + "\n")
    with pytest.raises(MmsimError) as exc:
        read_results(path)
    assert str(exc.value) == (f"{path} line 2: {why}; the sweep writes only its own records there: remove that line "
                              "(or give the sweep another -o)")


def test_a_copied_record_is_an_error_and_a_superseding_one_is_not(tmp_path):
    path = tmp_path / RESULTS_FILE
    rec = {**GOOD, "host": "vm", "pid": 7, "finished_at": "2026-01-01T00:00:00.000+00:00"}
    later = {**rec, "pid": 8, "finished_at": "2026-01-01T00:01:00.000+00:00"}  # --retry-failed, a code change
    path.write_text("".join(json.dumps(r) + "\n" for r in (rec, later, {"id": "d" * 16, "status": "error"})))
    assert read_results(path)["a" * 16] == later
    path.write_text("".join(json.dumps(r) + "\n" for r in (rec, {"id": "d" * 16, "status": "error"}, rec)))
    with pytest.raises(MmsimError) as exc:
        read_results(path)
    assert str(exc.value) == (f"{path} line 3: it repeats the record of line 1 (point {'a' * 16}, the same process "
                              "and finish time): a copy, not a run of the point; the sweep writes only its own "
                              "records there: remove that line (or give the sweep another -o)")


def test_a_torn_last_line_is_still_ignored_and_a_whole_one_kept(tmp_path):
    path = tmp_path / RESULTS_FILE
    path.write_text(json.dumps(GOOD) + "\n\n" + '{"id": "bbbbbbbbbbbbbbbb", "sta')  # a blank line is skipped
    assert list(read_results(path)) == ["a" * 16]
    # A last record whose newline was lost (an editor) is a record; the writer keeps it.
    from mmsim.sweep.results import _ResultsWriter

    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "b" * 16}))
    assert list(read_results(path)) == ["a" * 16, "b" * 16]
    w = _ResultsWriter(path)
    w.append({**GOOD, "id": "c" * 16})
    w.close()
    assert list(read_results(path)) == ["a" * 16, "b" * 16, "c" * 16]


def test_cli_stops_on_a_foreign_line_before_running_anything(tmp_path, store, capsys):
    args, out = _swept(tmp_path, store)
    recs = (out / RESULTS_FILE).read_text()
    (out / RESULTS_FILE).write_text(recs + "junk appended by a script\n")
    capsys.readouterr()
    assert cli_main(args) == 1
    cap = capsys.readouterr()
    assert cap.err == (f"mmsim: error: {out / RESULTS_FILE} line 3: it is not JSON ('junk appended by a script'); "
                       "the sweep writes only its own records there: remove that line (or give the sweep another "
                       "-o)\n")
    assert (out / RESULTS_FILE).read_text() == recs + "junk appended by a script\n"  # nothing ran or was written


def _appending_point(config) -> dict:
    """A point function that, as a foreign program would, appends a valid record of another grid meanwhile."""
    out = Path(config.data).parent / "out" / RESULTS_FILE
    with out.open("a") as fh:
        fh.write(json.dumps({"id": f"{abs(hash(str(config.engine.latency.feed))) % 16**16:016x}", "status": "ok",
                             "metrics": {}}) + "\n")
    return {"n_events": 0}


def test_records_written_meanwhile_by_another_program_never_make_a_negative_count(tmp_path, capsys, monkeypatch):
    # The summary read "-1 reused": it counted the lines the file gained, the foreign ones too.
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=5, duration=2 * S, format="l2"), tmp_path / "store")
    grid = _grid(tmp_path, tmp_path / "store", _plugin(tmp_path, size=1))
    import mmsim.sweep as pkg  # cmd imports run_sweep from the package when it runs

    orig = pkg.run_sweep
    monkeypatch.setattr(pkg, "run_sweep", lambda *a, **k: orig(*a, **{**k, "point_fn": _appending_point}))
    assert cli_main(["sweep", str(grid), "-o", str(tmp_path / "out"), "--workers", "0", "-q", "--no-plots"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "2 run now, 0 reused from results.jsonl"
    assert lines[2] == (f"note: {tmp_path / 'out' / RESULTS_FILE} also holds 2 point(s) of another grid (left as "
                        "they are; this sweep's tables and plots show only its own points)")
    assert len(load_grid(grid).points) == 2


def test_point_drill_down_says_the_strategy_code_changed(tmp_path, store, capsys):
    spec = _plugin(tmp_path, size=1)
    grid = _grid(tmp_path, store, spec)
    out = tmp_path / "out"
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]) == 0
    pid = _records(out)[0]["id"]
    (tmp_path / "plugin" / "sizing_helpers.py").write_text(HELPER.format(size=3))
    # In a new process, as a command runs (this one has the old helper imported).
    done = subprocess.run([sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "--point", pid[:8],
                           "-q", "--no-plots"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    err = done.stderr
    head = f"figures differ from the sweep's record of this point in {out / RESULTS_FILE} ("
    assert err.startswith("note: ") and head in err, err
    assert err.endswith("...): the strategy's code changed since the sweep ran (the sweep runs its points again)\n")


# ------------------------------------------------------------------------- the store's events


def test_a_store_written_again_at_the_same_path_reruns_its_points(tmp_path, capsys):
    # A store converted again at the same path (its trade-implied version, another day) kept the point ids: a
    # resume reused the old store's figures and said "0 run now" (breaker16c). Each record carries the store's
    # events_digest; a changed one runs the points again. A store written the same way again is reused.
    from mmsim.synth import SynthConfig, write_store

    store = tmp_path / "store"
    write_store(SynthConfig(seed=5, duration=10 * S, format="l2"), store)
    grid = _grid(tmp_path, store, "fixed_spread")
    out = tmp_path / "out"
    args = ["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 0
    first = _records(out)
    digest1 = json.loads((store / "meta.json").read_text())["events_digest"]
    assert [r["events_digest"] for r in first] == [digest1, digest1]
    write_store(SynthConfig(seed=5, duration=10 * S, format="l2"), store)  # the same events again: reused
    capsys.readouterr()
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == "" and "\n0 run now, 2 reused from results.jsonl" in cap.out

    write_store(SynthConfig(seed=6, duration=10 * S, format="l2"), store)  # another day at the same path
    digest2 = json.loads((store / "meta.json").read_text())["events_digest"]
    assert digest2 != digest1
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == (f"mmsim sweep: the events of store {store} changed since 2 of its points were recorded in "
                       f"{out / RESULTS_FILE} (its meta.json events_digest); running them again\n")
    assert "\n2 run now (2 of them: store events changed), 0 reused from results.jsonl\n" in cap.out
    again = _records(out)
    assert [r["id"] for r in again[2:]] == [r["id"] for r in first]
    assert [r["events_digest"] for r in again[2:]] == [digest2, digest2]
    run_sweep(grid, out=tmp_path / "fresh", workers=0)  # its figures are the new store's
    fresh = _records(tmp_path / "fresh")
    assert [r["metrics"] for r in again[2:]] == [r["metrics"] for r in fresh]
    assert [r["metrics"] for r in first] != [r["metrics"] for r in fresh]
