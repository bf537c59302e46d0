"""A resumed sweep reads each record's metrics back: a value no run writes is refused naming file, line and key.

breaker26: a hand-edited ``"pnl.total": "12"`` was reused as the point's PnL (the table read 12 where the run
made 3.74); NaN, Infinity and ``"fills.count": 1e400`` kept the status ``ok`` and showed ``–``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmsim.cli import main as cli_main
from mmsim.errors import MmsimError
from mmsim.sweep import RESULTS_FILE, read_results

S = 1_000_000_000
TAIL = "; the sweep writes only its own records there: remove that line (or give the sweep another -o)"
INF = "Infinity (the word, or a number past the largest float, 1.8e308, as JSON reads it)"


def _record(metrics_text: str, rid: str = "b" * 16) -> str:
    # written as text: NaN, Infinity and 1e400 are what an editor leaves, not what json.dumps writes
    return '{"id": "%s", "status": "ok", "metrics": {%s}}' % (rid, metrics_text)


@pytest.mark.parametrize("metrics, why", [
    # a figure: a finite number
    ('"pnl.total": "12"', 'its metric "pnl.total" is "12" (a string), not what a run writes there (a finite number)'),
    ('"pnl.total": NaN', 'its metric "pnl.total" is NaN, not what a run writes there (a finite number)'),
    ('"pnl.total": Infinity', f'its metric "pnl.total" is {INF}, not what a run writes there (a finite number)'),
    ('"pnl.fees": -1e400', f'its metric "pnl.fees" is -{INF}, not what a run writes there (a finite number)'),
    ('"pnl.total": true', 'its metric "pnl.total" is true, not what a run writes there (a finite number)'),
    # every run has a PnL: null is not what it writes there (json_clean writes null for an undefined figure only)
    ('"pnl.total": null', 'its metric "pnl.total" is null, not what a run writes there (a finite number)'),
    ('"toxic_share": "0.3"', 'its metric "toxic_share" is "0.3" (a string), not what a run writes there '
                             '(a finite number, or null where it is undefined)'),
    ('"markout.1s.mean_ticks": NaN', 'its metric "markout.1s.mean_ticks" is NaN, not what a run writes there '
                                     '(a finite number, or null where it is undefined)'),
    # a count: a whole number of 0 or more
    ('"fills.count": 1e400', f'its metric "fills.count" is {INF}, not what a run writes there '
                             '(a whole number of 0 or more)'),
    ('"fills.count": 1188.0', 'its metric "fills.count" is 1188.0 (a number with a decimal point or exponent), '
                              'not what a run writes there (a whole number of 0 or more)'),
    ('"fills.count": 2.5', 'its metric "fills.count" is 2.5 (a fraction), not what a run writes there '
                           '(a whole number of 0 or more)'),
    ('"fills.count": null', 'its metric "fills.count" is null, not what a run writes there '
                            '(a whole number of 0 or more)'),
    ('"fills.rejects": -1', 'its metric "fills.rejects" is -1, not what a run writes there '
                            '(a whole number of 0 or more, or null where it is undefined)'),
    ('"markout.1s.n": 3e2', 'its metric "markout.1s.n" is 300.0 (a number with a decimal point or exponent), not '
                            'what a run writes there (a whole number of 0 or more, or null where it is undefined)'),
    # a flag
    ('"pnl.reconciled": 1', 'its metric "pnl.reconciled" is 1, not what a run writes there (true or false)'),
    # a metric of another version: a finite number, a flag or null
    ('"x": "a"', 'its metric "x" is "a" (a string), not what a run writes there '
                 '(a finite number, true or false, or null where it is undefined)'),
])
def test_a_metric_value_no_run_writes_is_refused_naming_file_line_and_key(tmp_path, metrics, why):
    path = tmp_path / RESULTS_FILE
    good = _record('"pnl.total": 3.74, "fills.count": 1188', "a" * 16)
    path.write_text(good + "\n" + _record(metrics) + "\n")
    with pytest.raises(MmsimError) as exc:
        read_results(path)
    assert str(exc.value) == f"{path} line 2: {why}{TAIL}"


def test_the_values_a_run_writes_are_read_back_as_written(tmp_path):
    path = tmp_path / RESULTS_FILE
    metrics = {"pnl.total": -2.5, "pnl.position": 10**30, "pnl.reconciled": True, "fills.count": 0,
               "fills.orders_sent": None, "fills.fill_rate": None, "toxic_share": None, "markout.1s.mean_ticks": None,
               "markout.1s.n": 0, "stale_book.count": None, "x": False}
    path.write_text(json.dumps({"id": "a" * 16, "status": "ok", "metrics": metrics}) + "\n")
    assert read_results(path)["a" * 16]["metrics"] == metrics


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("metric_values")
    write_store(SynthConfig(seed=5, duration=10 * S, format="l2"), d / "store")
    return d / "store"


def _swept(tmp_path: Path, store: Path, params: dict) -> tuple[list[str], Path]:
    base = {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]},
            "strategy": {"path": "fixed_spread", "params": params}}
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": base, "axes": {"latency.feed": ["0ms", "5ms"]}}))  # JSON is YAML
    out = tmp_path / "out"
    args = ["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]
    assert cli_main(args) == 0
    return args, out


def test_a_resume_stops_on_an_edited_metric_before_running_anything(tmp_path, store, capsys):
    args, out = _swept(tmp_path, store, {"half_spread": 1, "size": 1})
    lines = (out / RESULTS_FILE).read_text().splitlines(keepends=True)
    rec = json.loads(lines[0])
    assert isinstance(rec["metrics"]["pnl.total"], float)
    rec["metrics"]["pnl.total"] = "12"
    edited = json.dumps(rec) + "\n" + "".join(lines[1:])
    (out / RESULTS_FILE).write_text(edited)
    capsys.readouterr()
    assert cli_main(args) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {out / RESULTS_FILE} line 1: its metric \"pnl.total\" is "
                                       f"\"12\" (a string), not what a run writes there (a finite number){TAIL}\n")
    assert (out / RESULTS_FILE).read_text() == edited  # nothing ran or was written


def test_a_run_with_undefined_metrics_writes_null_and_resumes(tmp_path, store, capsys):
    # Quotes 10**6 ticks away: no fill, so no toxic share and no markout mean (null, as json_clean writes them).
    args, out = _swept(tmp_path, store, {"half_spread": 10**6, "size": 1})
    recs = [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]
    m = recs[0]["metrics"]
    assert (m["fills.count"], m["toxic_share"], m["markout.1s.mean_ticks"], m["markout.1s.n"]) == (0, None, None, 0)
    capsys.readouterr()
    assert cli_main(args) == 0  # a resume: both points reused, none run
    assert [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()] == recs


def _custom_point(config) -> dict:
    """A point function whose metric depends on the point's half spread (module level: workers import it)."""
    h = config.strategy.params["half_spread"]
    return {"fills.count": 2.5, "n_events": 7} if h == 1 else {"label": "wide", "pnl.total": float(h)}


def test_a_point_fn_metric_no_resume_could_read_fails_its_point_and_is_never_written(tmp_path):
    import mmsim.sweep as sw

    grid = sw.parse_grid({"base": {"data": str(tmp_path), "strategy": {"path": "x.py:X"}},
                          "axes": {"strategy.params": [{"half_spread": 1}, {"half_spread": 2}]}})
    rows = sw.run_sweep(grid, out=tmp_path / "out", workers=0, point_fn=_custom_point)
    assert [(r["status"], r["error_type"], r["error_message"]) for r in rows] == [
        ("error", "MmsimError", 'point_fn _custom_point returned a metric a resumed sweep could not read back: its '
                                'metric "fills.count" is 2.5 (a fraction), not what a run writes there (a whole '
                                'number of 0 or more)'),
        ("error", "MmsimError", 'point_fn _custom_point returned a metric a resumed sweep could not read back: its '
                                'metric "label" is "wide" (a string), not what a run writes there (a finite '
                                'number, true or false, or null where it is undefined)')]
    # Both failed points' records are read back (a resume) without an error: nothing unreadable was written.
    assert [r["status"] for r in read_results(tmp_path / "out").values()] == ["error", "error"]
