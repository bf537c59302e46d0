"""A resumed sweep holds each record it reuses to what a run guarantees between its figures, its grid's compare
settings, its event store and its baseline point's record, and works out the text a comparison row derives
(fix28a, breaker28).

breaker28: with ``latency.feed: [0ms, 1ms, 10ms]`` against 0ms and ``report.horizons: [100ms, 1s]``, the 10ms
record without its ``markout@1s`` row resumed with exit 0 and the verdict ``fills: worse (mk 100ms, spread)``
where the run said ``worse (mk 100ms, mk 1s, spread)``; a ``markout@5s`` row, ``n_valid: 5000`` of 200
resamples, a baseline PnL of -5.0 where the baseline's record says -2.39, ``"n_events": 99999`` and ``"verdict":
"great"`` were all shown as the run's.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from mmsim.cli import main as cli_main
from mmsim.errors import MmsimError
from mmsim.sweep import RESULTS_FILE, read_results, run_sweep

S = 1_000_000_000
TAIL = "; the sweep writes only its own records there: remove that line (or give the sweep another -o)"
MK = 'comparison.rows["markout@1s"]'
PNL = 'comparison.rows["pnl_per_day"]'

# A quoting strategy that raises at its `fail_at`-th call (0: never), or hangs there with `hang`.
MM = """import mmsim


class MM(mmsim.Strategy):
    def __init__(self, half=1, fail_at=0, hang=False):
        self.half, self.fail_at, self.hang, self.calls = int(half), int(fail_at), bool(hang), 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.calls == self.fail_at:
            while self.hang:
                pass
            raise RuntimeError("boom")
        if view.bid_qty == 0 or view.ask_qty == 0:
            return None
        return mmsim.Quote(view.best_bid - self.half + 1, 1, view.best_ask + self.half - 1, 1)
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("fix28a")
    write_store(SynthConfig(seed=5, duration=20 * S, format="l2"), d / "store")
    (d / "mm.py").write_text(MM)
    return d / "store"


def _grid(path: Path, store: Path, extra: dict[str, Any] | None = None) -> Path:
    g: dict[str, Any] = {"base": {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["100ms", "1s"]},
                                  "strategy": {"path": "fixed_spread", "params": {"half_spread": 1, "size": 1}}},
                         "axes": {"latency.feed": ["0ms", "1ms", "10ms"]},
                         "baseline": {"latency.feed": "0ms"}, "compare": {"bucket": "1s", "n_boot": 100}}
    g.update(extra or {})
    path.write_text(json.dumps(g))  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def swept(store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """breaker28's sweep: its grid and its results.jsonl's lines, in the order written."""
    d = tmp_path_factory.mktemp("swept")
    grid = _grid(d / "grid.yaml", store)
    assert cli_main(["sweep", str(grid), "-o", str(d / "out"), "--workers", "0", "-q", "--no-plots"]) == 0
    return grid, (d / "out" / RESULTS_FILE).read_text().splitlines(keepends=True)


def _at(lines: list[str], feed: str) -> int:
    return next(i for i, s in enumerate(lines) if json.loads(s)["overrides"]["latency.feed"] == feed)


def _resume_edited(tmp_path: Path, swept: tuple[Path, list[str]], edit: Any, capsys: Any,
                   feed: str = "10ms") -> tuple[int, str, Path, list[str]]:
    grid, lines = swept
    lines = list(lines)
    i = _at(lines, feed)
    rec = json.loads(lines[i])
    edit(rec)
    lines[i] = json.dumps(rec) + "\n"
    out = tmp_path / "out"
    out.mkdir()
    (out / RESULTS_FILE).write_text("".join(lines))
    capsys.readouterr()
    code = cli_main(["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"])
    return code, capsys.readouterr().err, out, lines


def _rows(rec: dict[str, Any]) -> dict[str, Any]:
    return rec["comparison"]["rows"]


def _base_pnl(swept: tuple[Path, list[str]]) -> float:
    return _rows(json.loads(swept[1][_at(swept[1], "0ms")]))["pnl_per_day"]["a"]


@pytest.mark.parametrize("edit, why", [
    # breaker28's edit: a row a run of this grid writes, missing
    (lambda r: _rows(r).pop("markout@1s"),
     'its comparison.rows has no "markout@1s", which a run of this grid writes there: one markout row per horizon '
     "compared, 100ms, 1s (the baseline point's report.horizons), with fills or without"),
    (lambda r: _rows(r).pop("markout@100ms"),
     'its comparison.rows has no "markout@100ms", which a run of this grid writes there: one markout row per '
     "horizon compared, 100ms, 1s (the baseline point's report.horizons), with fills or without"),
    # a row no run of this grid writes
    (lambda r: _rows(r).update({"markout@5s": _rows(r)["markout@1s"]}),
     'its comparison.rows has the key "markout@5s", which a run of this grid does not write there: it compares '
     "the horizons 100ms, 1s (the baseline point's report.horizons)"),
    # the store's event count
    (lambda r: r.update(n_events=99999),
     'its "n_events" is 99999, but the store it replayed ({store}, the events its events_digest names) holds '
     "{count} (its meta.json event_count): a finished point replays every event"),
    (lambda r: r.update(n_events=0),
     'its "n_events" is 0, but the store it replayed ({store}, the events its events_digest names) holds '
     "{count} (its meta.json event_count): a finished point replays every event"),
])
def test_a_reused_record_a_run_of_the_grid_does_not_write_stops_the_resume(tmp_path, swept, store, capsys, edit,
                                                                           why):
    code, err, out, lines = _resume_edited(tmp_path, swept, edit, capsys)
    count = json.loads((store / "meta.json").read_text())["event_count"]
    at = _at(lines, "10ms") + 1
    assert (code, err) == (1, f"mmsim: error: {out / RESULTS_FILE} line {at}: "
                              f"{why.format(store=store, count=count)}{TAIL}\n")
    assert (out / RESULTS_FILE).read_text() == "".join(lines)  # nothing ran or was written


@pytest.mark.parametrize("key", ["pnl_per_day", "markout@1s", "spread_capture"])
def test_a_baseline_figure_unlike_the_baseline_point_s_own_record_stops_the_resume(tmp_path, swept, capsys, key):
    """breaker28: pnl_per_day.a -5.0 while the baseline point's own record has its PnL."""
    base = json.loads(swept[1][_at(swept[1], "0ms")])
    own = _rows(base)[key]["a"]

    def edit(r: dict[str, Any]) -> None:  # the row's estimate kept b - a (a ratio's is checked: fix27b)
        row = _rows(r)[key]
        row.update(a=-5.0, estimate=row["b"] + 5.0)

    code, err, out, lines = _resume_edited(tmp_path, swept, edit, capsys)
    assert code == 1
    assert err == (f"mmsim: error: {out / RESULTS_FILE} line {_at(lines, '10ms') + 1}: its comparison.rows"
                   f'["{key}"].a is -5.0, but the baseline point {base["id"][:8]}\'s own record has {json.dumps(own)}: '
                   f"a run's a is the baseline point's figure{TAIL}\n")


def test_the_events_days_unlike_the_baseline_point_s_own_record_stop_the_resume(tmp_path, swept, capsys):
    base = json.loads(swept[1][_at(swept[1], "0ms")])
    span = base["comparison"]["span_ns"]
    code, err, out, lines = _resume_edited(tmp_path, swept, lambda r: r["comparison"].update(span_ns=span + 1), capsys)
    assert (code, err) == (1, f"mmsim: error: {out / RESULTS_FILE} line {_at(lines, '10ms') + 1}: its "
                              f"comparison.span_ns is {span + 1}, but the baseline point {base['id'][:8]}'s own "
                              f"record has {span}: a run takes it from the events both replayed{TAIL}\n")


def _refused(tmp_path: Path, swept: tuple[Path, list[str]], edit: Any) -> str:
    lines = list(swept[1])
    i = _at(lines, "10ms")
    rec = json.loads(lines[i])
    edit(rec)
    lines[i] = json.dumps(rec) + "\n"
    path = tmp_path / RESULTS_FILE
    path.write_text("".join(lines))
    with pytest.raises(MmsimError) as exc:
        read_results(path)
    text = str(exc.value)
    assert text.startswith(f"{path} line {i + 1}: ") and text.endswith(TAIL)
    return text[len(f"{path} line {i + 1}: "):-len(TAIL)]


def _mk(**fields: Any) -> Any:
    return lambda r: _rows(r)["markout@1s"].update(fields)


@pytest.mark.parametrize("edit, why", [
    (_mk(n_valid=5000), f"its {MK}.n_valid is 5000, above its n_boot 100: a run counts the valid resamples among "
                        "those drawn"),
    (_mk(n_boot=10), f"its {MK}.n_boot is 10, but its comparison.settings.n_boot is 100: a run draws the settings' "
                     "resamples"),
    (lambda r: _rows(r)["pnl_per_day"].update(n_boot=2000),
     f"its {PNL}.n_boot is 2000, but its comparison.settings.n_boot is 100: a run draws the settings' resamples"),
    (_mk(confidence=0.5), f"its {MK}.confidence is 0.5, but its comparison.settings.confidence is 0.95: a run's "
                          "intervals are at the settings' level"),
    (_mk(n_buckets=999), f"its {MK}.n_buckets is 999, but its comparison.n_buckets is 20: a run compares every "
                         "quantity over the comparison's buckets"),
    (lambda r: r["comparison"].update(n_buckets=999),
     'its comparison.rows["markout@100ms"].n_buckets is 20, but its comparison.n_buckets is 999: a run compares '
     "every quantity over the comparison's buckets"),
    (_mk(support=[999, 5]), f"its {MK}.support is [999, 5] (a JSON list), above its n_buckets 20: a run counts the "
                            "buckets with fills among the compared buckets"),
    (_mk(support=[0, 5]), f"its {MK} has estimate {{est}} with support [0, 5]: a run writes an estimate exactly "
                          "when both runs have fills in a bucket"),
    (_mk(support=None), f"its {MK}.support is null, not what a run writes there (a list of two whole numbers: a "
                        "ratio counts each run's buckets with fills)"),
    (lambda r: _rows(r)["pnl_per_day"].update(support=[20, 20]),
     f"its {PNL}.support is [20, 20] (a JSON list), not what a run writes there (null: a mean has no buckets with "
     "fills to count)"),
    (_mk(support=[9, 12]), f"its {MK} has an interval on a run's fills in 9 buckets: a run gives none on fewer than "
                           "10 buckets (a ratio: 10 with fills of each run) or 2 valid resamples"),
    (_mk(n_valid=1), f"its {MK} has an interval on 1 valid resamples: a run gives none on fewer than 10 buckets (a "
                     "ratio: 10 with fills of each run) or 2 valid resamples"),
    (lambda r: r.update(finished_at="yesterday"),
     'its "finished_at" is "yesterday" (a string), not what a run writes there (a UTC time as a run writes it, '
     '"2026-12-03T14:47:18.972+00:00", or null)'),
    (lambda r: r.update(finished_at="2026-13-45T25:00:00.000+00:00"),
     'its "finished_at" is "2026-13-45T25:00:00.000+00:00" (a string), not what a run writes there (a UTC time as a '
     'run writes it, "2026-12-03T14:47:18.972+00:00", or null)'),
])
def test_comparison_figures_a_run_does_not_write_together_are_refused(tmp_path, swept, edit, why):
    est = _rows(json.loads(swept[1][_at(swept[1], "10ms")]))["markout@1s"]["estimate"]
    assert _refused(tmp_path, swept, edit) == why.format(est=json.dumps(est))


@pytest.mark.parametrize("edit", [
    lambda r: _rows(r)["markout@1s"].update(verdict="great", label="best", unit="bps"),
    lambda r: _rows(r)["pnl_per_day"].update(verdict="we made money", label="profit"),
])
def test_a_row_s_text_is_worked_out_from_its_figures_not_read_back(tmp_path, swept, capsys, edit):
    """breaker28: "verdict": "great" went into results.csv's vs_baseline.markout@1s.verdict."""
    ran = json.loads(swept[1][_at(swept[1], "10ms")])
    code, _, out, _ = _resume_edited(tmp_path, swept, edit, capsys)
    assert code == 0
    back = read_results(out)[ran["id"]]
    assert _rows(back) == _rows(ran)
    with (out / "results.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == ran["id"])
    for name in ("markout@1s", "pnl_per_day"):
        assert row[f"vs_baseline.{name}.verdict"] == _rows(ran)[name]["verdict"]


def _resumes(tmp_path: Path, store: Path, points: list[dict[str, Any]], capsys: Any) -> dict[str, dict[str, Any]]:
    """Sweep ``points`` against point 0 (horizons 100ms, 1s and 5s), resume: nothing is refused or run again."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({
        "base": {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["100ms", "1s", "5s"]},
                 "strategy": {"path": f"{store.parent / 'mm.py'}:MM"}},
        "points": points, "baseline": 0, "compare": {"bucket": "1s", "n_boot": 50}, "timeout": "2s"}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=1)
    before = (out / RESULTS_FILE).read_text()
    capsys.readouterr()
    args = ["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 1  # failed points: exit 1, nothing refused
    assert f"0 run now, {len(points)} reused" in capsys.readouterr().out
    assert (out / RESULTS_FILE).read_text() == before
    return {r["overrides"]["latency.feed"]: r for r in read_results(out).values()}


def test_a_sweep_resumes_from_its_own_records_of_every_kind(tmp_path, store, capsys):
    """Failed, timed-out and no-fill points and three horizons: every record resumes as written."""
    recs = _resumes(tmp_path, store, [
        {"latency.feed": "0ms"}, {"latency.feed": "1ms"},
        {"latency.feed": "2ms", "strategy.params.half": 10**6},  # no fill: null markouts
        {"latency.feed": "3ms", "strategy.params.fail_at": 5},  # fails
        {"latency.feed": "4ms", "strategy.params.fail_at": 5, "strategy.params.hang": True}], capsys)  # times out
    assert recs["3ms"]["error"]["type"] == "StrategyError" and recs["4ms"]["error"]["type"] == "PointTimeout"
    assert _rows(recs["2ms"])["markout@5s"]["estimate"] is None
    assert sorted(_rows(recs["1ms"])) == ["markout@100ms", "markout@1s", "markout@5s", "pnl_per_day",
                                          "spread_capture", "two_sided"]


def test_a_sweep_resumes_from_its_own_records_of_a_failed_baseline(tmp_path, store, capsys):
    recs = _resumes(tmp_path, store, [{"latency.feed": "0ms", "strategy.params.fail_at": 3},
                                      {"latency.feed": "1ms"}], capsys)
    assert recs["0ms"]["status"] == "error" and recs["1ms"]["comparison"]["baseline_failed"] is True
