"""A sweep of a futures store with per-lot fees and no contract_size printed its PnL columns "in quote
currency" with no word of the units warning its points' reports carry (docs/reports.md, "Futures without
contract_size"). Each point's record keeps the warning; the terminal and sweep.html say it once under the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, rewrite_meta
from test_report_header import UNITS_WARNING  # the report's warning on a CME store, word for word

from mmsim.cli import main
from mmsim.sweep import RESULTS_FILE, load_grid

S = 1_000_000_000
FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"


@pytest.fixture(scope="module")
def futures_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short synthetic day with a CME store's venue."""
    from mmsim.synth import SynthConfig, write_store

    out = write_store(SynthConfig(seed=3, duration=5 * S, format="l2"), tmp_path_factory.mktemp("units") / "store")
    rewrite_meta(Path(out), venue="GLBX.MDP3")
    return Path(out)


def _grid(tmp_path: Path, store: Path, extra: str = "") -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\n"
                    f"  fees: {{maker_per_lot: 0.6, taker_per_lot: 0.6}}\n{extra}"
                    "  report: {horizons: [1s]}\naxes:\n  latency.feed: [0ms, 1ms]\n")
    return path


def _sweep(grid: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["sweep", str(grid), "-o", str(out), "--workers", "0", "--no-plots"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_a_futures_sweep_without_contract_size_carries_the_units_warning(futures_store, tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    grid = _grid(tmp_path, futures_store)
    ids = [p.id for p in load_grid(grid).points]
    line = f"warning: 2 points ({ids[0][:8]}, {ids[1][:8]}): {UNITS_WARNING}"
    out = tmp_path / "out"
    assert line in _sweep(grid, out, capsys)
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert f"<p class='warn'>{line.replace(chr(39), '&#x27;')}</p>" in html
    assert html.count("contract_size is 1") == 1  # once, not per point
    records = [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]
    assert [r["units_warning"] for r in records] == [UNITS_WARNING] * 2
    assert (out / "results.csv").read_text(encoding="utf-8").count(UNITS_WARNING) == 2
    # A results.jsonl written before the warning was kept (records without the field) resumes with the warning
    # worked out again from each point's config and store (it resumed with none: the old points were silent).
    (out / RESULTS_FILE).write_text("".join(json.dumps({k: v for k, v in r.items() if k != "units_warning"}) + "\n"
                                            for r in records))
    again = _sweep(grid, out, capsys)
    assert "0 run now, 2 reused from results.jsonl" in again
    assert line in again
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert f"<p class='warn'>{line.replace(chr(39), '&#x27;')}</p>" in html and html.count("contract_size is 1") == 1
    assert (out / "results.csv").read_text(encoding="utf-8").count(UNITS_WARNING) == 2


def test_no_units_warning_with_contract_size_in_the_base(futures_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    out = tmp_path / "out"
    text = _sweep(_grid(tmp_path, futures_store, "  contract_size: 1\n"), out, capsys)
    assert "warning:" not in text and "2 points (0 failed)" in text
    assert "contract_size is 1" not in (out / "sweep.html").read_text(encoding="utf-8")
    records = [json.loads(s) for s in (out / RESULTS_FILE).read_text().splitlines()]
    assert [r["units_warning"] for r in records] == [None, None]
    # Records without the field, resumed: contract_size written in the base is the user's word there too.
    (out / RESULTS_FILE).write_text("".join(json.dumps({k: v for k, v in r.items() if k != "units_warning"}) + "\n"
                                            for r in records))
    again = _sweep(_grid(tmp_path, futures_store, "  contract_size: 1\n"), out, capsys)
    assert "0 run now, 2 reused from results.jsonl" in again and "warning:" not in again


def test_points_run_alone_record_the_warning_too(futures_store, tmp_path):
    """``point_fn=default_point`` (each point its own replay) records the same warning as a shared pass."""
    from mmsim.sweep import run_sweep
    from mmsim.sweep.passes import default_point

    rows = run_sweep(_grid(tmp_path, futures_store), workers=0, point_fn=default_point)
    assert [r["units_warning"] for r in rows] == [UNITS_WARNING] * 2
    assert all(r["status"] == "ok" and "units_warning" not in {k for k in r if k.startswith("metric")} for r in rows)


def test_a_resumed_record_without_the_field_gets_the_warning_from_its_point(futures_store, tmp_path):
    """What the resume reads: the record's own field when present (null included), else the point's warning
    worked out again from its config and its store's meta.json; a failed point has none."""
    from mmsim.sweep.units import point_units_warning

    grid = load_grid(_grid(tmp_path, futures_store))
    p = grid.points[0]
    assert point_units_warning({"status": "ok"}, p) == UNITS_WARNING
    assert point_units_warning({"status": "ok", "units_warning": None}, p) is None
    assert point_units_warning({"status": "error"}, p) is None
    cs = load_grid(_grid(tmp_path, futures_store, "  contract_size: 50\n")).points[0]
    assert point_units_warning({"status": "ok"}, cs) is None
