"""A resumed sweep trusts no field of a results.jsonl record that fix26b's metric check left out (fix27b, breaker27).

Each field a resume shows or uses is either checked as the metrics are (the comparison with the baseline point,
the events replayed, the elapsed time, the error, the process that wrote it: a value no run writes stops the sweep
naming the file, line and key), or taken from the grid's point the record's id names (its index, its values as
written, repeat, seed and config digest: the record's copy is never read back).

breaker27: a comparison row edited to ``estimate: 55.5, ci_low: "abc", ci_high: 1e300, significant: "yes"`` read
``Δ mk 1s 55.5 [abc, 1e+300]`` and ``fills: better (mk 1s)``; a 0ms record's ``overrides`` edited to 1s showed the
0ms point's figures as a second ``1s`` row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from mmsim.cli import main as cli_main
from mmsim.errors import MmsimError
from mmsim.sweep import RESULTS_FILE, load_grid, read_results, run_sweep

S = 1_000_000_000
TAIL = "; the sweep writes only its own records there: remove that line (or give the sweep another -o)"
INF = "Infinity (the word, or a number past the largest float, 1.8e308, as JSON reads it)"
MK = 'comparison.rows["markout@1s"]'
PNL = 'comparison.rows["pnl_per_day"]'
FEEDS = ["0ms", "5ms", "50ms", "1s"]
DROP = object()  # an edit that removes the key


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("fix27b")
    write_store(SynthConfig(seed=5, duration=20 * S, format="l2"), d / "store")
    return d / "store"


def _grid(path: Path, store: Path, feeds: list[str], baseline: bool = True) -> Path:
    g: dict[str, Any] = {"base": {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]},
                                  "strategy": {"path": "fixed_spread", "params": {"half_spread": 1, "size": 1}}},
                         "axes": {"latency.feed": feeds}}
    if baseline:
        g.update(baseline={"latency.feed": "0ms"}, compare={"bucket": "1s", "n_boot": 100})
    path.write_text(json.dumps(g))  # JSON is YAML
    return path


def _sweep(tmp_path: Path, store: Path, feeds: list[str], baseline: bool = True) -> tuple[list[str], Path]:
    grid = _grid(tmp_path / "grid.yaml", store, feeds, baseline)
    out = tmp_path / "out"
    args = ["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 0
    return args, out


@pytest.fixture(scope="module")
def compared(store: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The records of a sweep of 4 feeds, each compared with the 0ms point (bucket 1s: 20 buckets, intervals), in
    the grid's order."""
    _, out = _sweep(tmp_path_factory.mktemp("compared"), store, FEEDS)
    return sorted((json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()), key=lambda r: r["index"])


def _edited(rec: dict[str, Any], edits: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    rec = json.loads(json.dumps(rec))
    for path, value in edits.items():
        at = rec
        for key in path[:-1]:
            at = at[key]
        if value is DROP:
            del at[path[-1]]
        else:
            at[path[-1]] = value
    return rec


def _refused(tmp_path: Path, good: dict[str, Any], bad: dict[str, Any]) -> str:
    path = tmp_path / RESULTS_FILE
    # as text: NaN and Infinity are what an editor leaves, not what the sweep's writer writes
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(MmsimError) as exc:
        read_results(path)
    text = str(exc.value)
    assert text.startswith(f"{path} line 2: ") and text.endswith(TAIL)
    return text[len(f"{path} line 2: "):-len(TAIL)]


ROW = ("comparison", "rows", "markout@1s")
PNL_ROW = ("comparison", "rows", "pnl_per_day")


def _row(**fields: Any) -> dict[tuple[str, ...], Any]:
    return {ROW + (k,): v for k, v in fields.items()}


@pytest.mark.parametrize("edits, why", [
    # breaker27's edit: the first field no run writes is named
    (_row(estimate=55.5, ci_low="abc", ci_high=1e300, significant="yes"),
     f'its {MK}.ci_low is "abc" (a string), not what a run writes there (a finite number, or null without an '
     'interval)'),
    ({PNL_ROW + ("estimate",): float("nan")},
     f"its {PNL}.estimate is NaN, not what a run writes there (a finite number)"),
    ({PNL_ROW + ("a",): None}, f"its {PNL}.a is null, not what a run writes there (a finite number)"),
    (_row(significant="yes"), f'its {MK}.significant is "yes" (a string), not what a run writes there (true or false)'),
    (_row(ci_high=float("inf")),
     f"its {MK}.ci_high is {INF}, not what a run writes there (a finite number, or null without an interval)"),
    (_row(b="-0.6"), f'its {MK}.b is "-0.6" (a string), not what a run writes there (a finite number, or null where '
                     'a run has nothing to measure)'),
    (_row(block=0.5), f"its {MK}.block is 0.5 (a fraction), not what a run writes there (a finite number of 1 or more)"),
    (_row(support=[1]), f"its {MK}.support is [1] (a JSON list), not what a run writes there (a list of two whole "
                        "numbers of 0 or more, or null)"),
    # what a run's numbers guarantee between them
    (_row(a=-1.1, b=-0.6, estimate=55.5, ci_low=0.1, ci_high=0.9, significant=True),
     f"its {MK}.estimate is 55.5, not b - a = 0.5 (this point's -0.6 minus the baseline's -1.1), which a run writes "
     "there"),
    (_row(a=-1.1, b=-0.6, estimate=0.5, ci_low=-0.1, ci_high=0.9, significant=True),
     f"its {MK}.significant is true, but its interval [-0.1, 0.9] includes 0: a run writes true exactly when the "
     "interval excludes 0"),
    (_row(a=-1.1, b=-0.6, estimate=0.5, ci_low=0.1, ci_high=0.9, significant=False),
     f"its {MK}.significant is false, but its interval [0.1, 0.9] excludes 0: a run writes true exactly when the "
     "interval excludes 0"),
    (_row(ci_low=None, ci_high=None, significant=True),
     f"its {MK}.significant is true, but it has no interval: a run writes true exactly when the interval excludes 0"),
    (_row(ci_low=0.9, ci_high=0.1), f"its {MK} has ci_low 0.9 above ci_high 0.1: a run's interval is ci_low <= "
                                    "ci_high"),
    (_row(ci_low=0.1, ci_high=None), f"its {MK} has ci_low 0.1 and ci_high null: a run writes both or neither"),
    (_row(a=None, b=None, estimate=None, ci_low=0.1, ci_high=0.9),
     f"its {MK} has an interval without an estimate: a run writes neither"),
    (_row(a=None, estimate=0.5, ci_low=None, ci_high=None, significant=False),
     f"its {MK} has estimate 0.5 with a null and b -0.6333333333333333: a run writes an estimate exactly when both "
     "runs have a value"),
    # only the keys a run writes, and every one it always writes
    (_row(note="checked"), f'its {MK} has the key "note", which a run does not write there'),
    (_row(verdict=DROP), f'its {MK} has no "verdict", which a run always writes there'),
    ({ROW: [1]}, f"its {MK} is [1] (a JSON list), not what a run writes there (a JSON object)"),
    ({("comparison", "rows", "sharpe"): {}}, 'its comparison.rows has the key "sharpe", which a run does not write '
                                             'there (it compares markout@<horizon>, spread_capture, pnl_per_day and '
                                             'two_sided)'),
    ({PNL_ROW: DROP}, 'its comparison.rows has no "pnl_per_day", which a run always writes there'),
    ({("comparison", "rows"): "all better"},
     'its comparison.rows is "all better" (a string), not what a run writes there (a JSON object)'),
    ({("comparison", "verdict"): "better"}, 'its comparison has the key "verdict", which a run does not write there'),
    ({("comparison", "is_baseline"): DROP}, 'its comparison has no "is_baseline", which a run always writes there'),
    ({("comparison", "skipped"): "no baseline point"},
     'its comparison has both "skipped" and "n_buckets": a run writes one or the other'),
    ({("comparison", "is_baseline"): "no"},
     'its comparison.is_baseline is "no" (a string), not what a run writes there (true or false)'),
    ({("comparison", "id"): "0ms"},
     'its comparison.id is "0ms" (a string), not what a run writes there (a sweep point\'s 16-hex-digit id, or null)'),
    ({("comparison", "n_days"): 0},
     "its comparison.n_days is 0, not what a run writes there (a whole number of 1 or more)"),
    ({("comparison", "span_ns"): 2e10}, "its comparison.span_ns is 20000000000.0 (a number with a decimal point or "
                                        "exponent), not what a run writes there (a whole number of 0 or more)"),
])
def test_a_comparison_no_run_writes_is_refused_naming_file_line_and_key(tmp_path, compared, edits, why):
    assert _refused(tmp_path, compared[0], _edited(compared[2], edits)) == why


def test_a_comparison_calling_itself_the_baseline_is_refused(tmp_path, compared):
    bad = _edited(compared[2], {("comparison", "is_baseline"): True})
    bid = compared[0]["id"]
    assert _refused(tmp_path, compared[0], bad) == (f'its comparison.is_baseline is true with its comparison.id '
                                                    f'"{bid}": a run writes true exactly when the point is its own '
                                                    "baseline point")
    # the baseline point's own comparison says false of itself: as refused
    assert _refused(tmp_path, compared[1], _edited(compared[0], {("comparison", "is_baseline"): False})) == (
        f'its comparison.is_baseline is false with its comparison.id "{bid}": a run writes true exactly when the '
        "point is its own baseline point")


FAILED = {("status",): "error", ("metrics",): {},
          ("error",): {"type": "StrategyError", "message": "boom", "traceback": ""}}


@pytest.mark.parametrize("edits, why", [
    ({("n_events",): "abc"}, 'its "n_events" is "abc" (a string), not what a run writes there (a whole number of 0 '
                             'or more, or null)'),
    ({("n_events",): 2853.5}, 'its "n_events" is 2853.5 (a fraction), not what a run writes there (a whole number '
                              'of 0 or more, or null)'),
    ({("elapsed_s",): -1}, 'its "elapsed_s" is -1, not what a run writes there (a finite number of 0 or more, or '
                           'null)'),
    ({("units_warning",): 5}, 'its "units_warning" is 5, not what a run writes there (a string, or null)'),
    ({("events_digest",): "abc"}, 'its "events_digest" is "abc" (a string), not what a run writes there ("sha256:" '
                                  'and 64 lowercase hex digits, or null)'),
    ({("host",): {}}, 'its "host" is {} (a JSON object), not what a run writes there (a string, or null)'),
    ({("pid",): -7}, 'its "pid" is -7, not what a run writes there (a whole number of 0 or more, or null)'),
    ({("finished_at",): 1}, 'its "finished_at" is 1, not what a run writes there (a UTC time as a run writes it, '
                            '"2026-12-03T14:47:18.972+00:00", or null)'),  # fix28a: the form, not any string
    ({("error",): {"type": "X", "message": "m", "traceback": ""}},
     'its "error" is {"type": "X", "message": "m", "traceback... (a JSON object), not what a run writes there '
     '(null for a finished point)'),
    ({**FAILED, ("error",): None}, 'its "error" is null, not what a run writes there (a JSON object of "type", '
                                   '"message" and "traceback" for a failed point)'),
    ({**FAILED, ("error", "type"): 5}, "its error.type is 5, not what a run writes there (a string)"),
    ({**FAILED, ("error", "traceback"): DROP}, 'its error has no "traceback", which a run always writes there'),
])
def test_a_record_field_no_run_writes_is_refused_naming_file_line_and_key(tmp_path, compared, edits, why):
    assert _refused(tmp_path, compared[0], _edited(compared[1], edits)) == why


def test_a_resume_stops_on_an_edited_comparison_before_running_anything(tmp_path, store, capsys):
    """breaker27's steps: 4 feeds against the 0ms point, one record's comparison edited, the same command again."""
    args, out = _sweep(tmp_path, store, FEEDS)
    lines = (out / RESULTS_FILE).read_text().splitlines(keepends=True)
    rec = json.loads(lines[2])
    rec["comparison"]["rows"]["markout@1s"].update(estimate=55.5, ci_low="abc", ci_high=1e300, significant="yes")
    rec["comparison"]["rows"]["pnl_per_day"]["estimate"] = float("nan")
    lines[2] = json.dumps(rec) + "\n"
    (out / RESULTS_FILE).write_text("".join(lines))
    capsys.readouterr()
    assert cli_main(args) == 1
    assert capsys.readouterr().err == (f'mmsim: error: {out / RESULTS_FILE} line 3: its {MK}.ci_low is "abc" (a '
                                       "string), not what a run writes there (a finite number, or null without an "
                                       f"interval){TAIL}\n")
    assert (out / RESULTS_FILE).read_text() == "".join(lines)  # nothing ran or was written


def test_the_comparisons_a_run_writes_are_read_back(tmp_path, store, capsys):
    """Every record of a baseline sweep (the baseline point, intervals, rows without fills) resumes as written."""
    g = _grid(tmp_path / "grid.yaml", store, ["0ms", "1s"])
    data = json.loads(g.read_text())
    data["axes"]["strategy.params.half_spread"] = [1, 10**6]  # quotes 10**6 ticks away: no fill, no markout
    data["compare"]["bucket"] = "100ms"
    g.write_text(json.dumps(data))
    args = ["sweep", str(g), "-o", str(tmp_path / "out"), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 0
    recs = list(read_results(tmp_path / "out").values())
    assert sorted((r["overrides"]["strategy.params.half_spread"], r["comparison"]["rows"]["markout@1s"]["estimate"]
                   is None) for r in recs) == [(1, False), (1, False), (10**6, True), (10**6, True)]
    assert any(r["significant"] for rec in recs for r in rec["comparison"]["rows"].values())
    capsys.readouterr()
    assert cli_main(args) == 0
    assert "0 run now, 4 reused" in capsys.readouterr().out


def _csv(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


IDENTITY = ["id", "index", "repeat", "seed", "digest", "latency.feed"]


def _expected(grid_path: Path) -> list[dict[str, str]]:
    grid = load_grid(grid_path)
    return [{"id": p.id, "index": str(p.index), "repeat": str(p.repeat), "seed": str(p.config.engine.latency.seed),
             "digest": p.config.digest(), "latency.feed": p.overrides["latency.feed"]} for p in grid.points]


def test_a_record_s_copy_of_its_grid_point_is_not_read_back(tmp_path, store, capsys):
    """breaker27: the 0ms record's overrides edited to 1s (its id kept) showed the 0ms figures as a second 1s row."""
    args, out = _sweep(tmp_path, store, ["0ms", "5ms", "1s"], baseline=False)
    lines = (out / RESULTS_FILE).read_text().splitlines(keepends=True)
    at = next(i for i, s in enumerate(lines) if json.loads(s)["overrides"] == {"latency.feed": "0ms"})
    rec = json.loads(lines[at])
    rec.update(overrides={"latency.feed": "1s"}, index=7, repeat=3, seed=99, digest="zzz")
    lines[at] = json.dumps(rec) + "\n"
    (out / RESULTS_FILE).write_text("".join(lines))
    capsys.readouterr()
    assert cli_main(args) == 0
    assert "0 run now, 3 reused" in capsys.readouterr().out
    assert [{k: r[k] for k in IDENTITY} for r in _csv(out)] == _expected(tmp_path / "grid.yaml")
    rows = run_sweep(tmp_path / "grid.yaml", out=out, workers=0)
    assert [(r["latency.feed"], r["index"], r["repeat"], r["seed"]) for r in rows] == [
        ("0ms", 0, 0, 0), ("5ms", 1, 0, 0), ("1s", 2, 0, 0)]
    assert rows[0]["pnl.total"] == rec["metrics"]["pnl.total"]  # the 0ms point's own figures, on its own row


def test_a_grid_written_again_shows_its_own_index_and_spelling_on_reused_points(tmp_path, store, capsys):
    """The second case, with no hand edit: a value added before the others, and 0ms written 0s (the same point id).
    Each reused point showed the index and the spelling of the grid that ran it (two points at index 0)."""
    args, out = _sweep(tmp_path, store, ["0ms", "5ms", "1s"], baseline=False)
    _grid(tmp_path / "grid.yaml", store, ["2ms", "0s", "5ms", "1s"], baseline=False)
    capsys.readouterr()
    assert cli_main(args) == 0
    assert "1 run now, 3 reused" in capsys.readouterr().out
    got = [{k: r[k] for k in IDENTITY} for r in _csv(out)]
    assert got == _expected(tmp_path / "grid.yaml")
    assert [(r["index"], r["latency.feed"]) for r in got] == [("0", "2ms"), ("1", "0s"), ("2", "5ms"), ("3", "1s")]


def test_a_failed_point_s_baseline_is_the_grid_s(tmp_path, store):
    """A failed point's comparison is not compared with the grid's (it is not shown): its baseline column was the
    record's comparison.id, which a hand edit (or a grid whose baseline changed since) made another point's."""
    args, out = _sweep(tmp_path, store, ["0ms", "5ms", "1s"])
    recs = sorted((json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()), key=lambda r: r["index"])
    base, other = recs[0]["id"], recs[1]["id"]
    recs[2].update(status="error", metrics={}, error={"type": "StrategyError", "message": "boom", "traceback": ""},
                   comparison={**recs[2]["comparison"], "id": other})
    for key in ("n_buckets", "n_days", "span_ns", "rows"):
        del recs[2]["comparison"][key]
    recs[2]["comparison"]["skipped"] = "this point failed"
    (out / RESULTS_FILE).write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert cli_main(args) == 1  # a failed point, not run again without --retry-failed
    assert [(r["status"], r["baseline"]) for r in _csv(out)] == [("ok", base), ("ok", base), ("error", base)]


def _fields_point(config) -> dict:
    """A point function whose events replayed or units warning a resume would refuse (module level: workers import
    it)."""
    h = config.strategy.params["half_spread"]
    return {"pnl.total": 1.0, "n_events": -1} if h == 1 else {"pnl.total": 2.0, "units_warning": 5, "n_events": 7.0}


def test_a_point_fn_value_no_resume_could_read_fails_its_point_and_is_never_written(tmp_path):
    """A custom point function's n_events and units_warning are written as the record's: held to what a resume reads
    back, as its metrics are (fix26b), so that the sweep can always resume from its own file."""
    import mmsim.sweep as sw

    grid = sw.parse_grid({"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
                          "axes": {"strategy.params": [{"half_spread": 1}, {"half_spread": 2}]}})
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_fields_point)
    assert [(r["status"], r["error_type"], r["error_message"]) for r in rows] == [
        ("error", "MmsimError", 'point_fn _fields_point returned a value a resumed sweep could not read back: its '
                                '"n_events" is -1, not what a run writes there (a whole number of 0 or more, or null)'),
        ("error", "MmsimError", 'point_fn _fields_point returned a value a resumed sweep could not read back: its '
                                '"units_warning" is 5, not what a run writes there (a string, or null)')]
    assert [r["status"] for r in read_results(tmp_path / "out").values()] == ["error", "error"]


def _plain_point(config) -> dict:
    return {"pnl.total": 1.0}


def test_a_point_fn_record_is_never_given_a_store_digest_no_resume_could_read(tmp_path):
    """A custom point_fn's record is given its store's meta.json events_digest unverified: one of another form
    (``"abc"``) was written, and the sweep refused its own file on the next run."""
    import mmsim.sweep as sw

    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "meta.json").write_text('{"events_digest": "abc"}')
    grid = sw.parse_grid({"base": {"data": str(tmp_path / "fake"), "strategy": {"path": "x.py:X"}},
                          "axes": {"strategy.params": [{"half_spread": 1}]}})
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_plain_point)
    assert [(r["status"], r["events_digest"]) for r in rows] == [("ok", None)]
    again = sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_plain_point)  # a resume: reused
    assert again == rows and len(read_results(tmp_path / "out")) == 1
