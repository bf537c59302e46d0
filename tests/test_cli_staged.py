"""A command's output is written whole or not at all: Ctrl-C (or an error) while its files are
written leaves the previous output, or nothing, never a half-written directory (docs/config.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import main

FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, files: tuple[str, ...] = ()) -> None:
    """``cls.name`` writes what it writes, then Ctrl-C arrives (as during the report's plots)."""
    real = getattr(cls, name)

    def wrapped(self, outdir, *args, **kwargs):
        real(self, outdir, *args, **kwargs)
        assert all((Path(outdir) / f).exists() for f in files)  # it did write in the staged directory
        raise KeyboardInterrupt

    monkeypatch.setattr(cls, name, wrapped)


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_ctrl_c_while_a_run_is_written_leaves_nothing_or_the_previous_run(store, tmp_path, monkeypatch, capsys):
    # A newcomer's Ctrl-C after the replay, while the report was written: the run folder held
    # the .npy arrays without result.json (`mmsim run` then refused it: "already exists", and
    # `mmsim report` said "not a run directory"), or with --force a new result.json beside
    # none of its report files (the earlier report.html, fills.csv and plots were gone).
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n")
    out = tmp_path / "runs" / "r"
    _interrupt_after(monkeypatch, mmsim.report.Report, "save", ("report.json", "fills.csv"))
    assert main(["run", str(cfg), "-q", "-o", str(out)]) == 130
    assert capsys.readouterr().err == "mmsim: interrupted\n"
    # no run folder, no staged folder left behind, nor runs/ (it created it: removed since outdir18)
    assert _siblings(tmp_path) == ["run.yaml"]
    monkeypatch.undo()
    assert main(["run", str(cfg), "-q", "-o", str(out)]) == 0  # nothing to --force
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"result.json", "report.json", "report.html", "fills.csv"} <= set(before)
    # With --force over a complete run, interrupted while the new one's arrays are written:
    # the previous run, every file of it, byte for byte.
    _interrupt_after(monkeypatch, mmsim.Result, "save", ("result.json",))
    cfg.write_text(cfg.read_text().replace("half_spread: 1", "half_spread: 2"))
    assert main(["run", str(cfg), "-q", "-o", str(out), "--force"]) == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _siblings(tmp_path / "runs") == ["r"]
    monkeypatch.undo()
    # Not interrupted: the new run replaces the old one whole (no file of the old one stays).
    (out / "stale.png").write_bytes(b"from the older run")
    assert main(["run", str(cfg), "-q", "-o", str(out), "--force", "--no-report"]) == 0
    assert "stale.png" not in _siblings(out) and "report.html" not in _siblings(out)
    doc = json.loads((out / "result.json").read_text())
    assert doc["run"]["strategy"]["params"]["half_spread"] == 2 and doc["config"] and _siblings(tmp_path / "runs") == ["r"]


def test_ctrl_c_while_queue_score_or_a_sweep_point_is_written_keeps_the_previous_output(store, tmp_path, monkeypatch,
                                                                                         capsys):
    # The same kind for the two other commands that replace an output with --force.
    from mmsim.analysis.queue_score_result import QueueScore

    out = tmp_path / "q"
    args = ["queue-score", str(store), "-o", str(out), "--no-fit", "--models", "power:1", "-q", "--no-report"]
    assert main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _interrupt_after(monkeypatch, QueueScore, "save")
    assert main([*args, "--force", "--models", "power:2"]) == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and _siblings(tmp_path) == ["q"]
    monkeypatch.undo()

    g = tmp_path / "grid.yaml"
    g.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}', params: {{size: 1}}}}\n"
                 "axes:\n  latency.feed: [0ms]\n")
    sw = tmp_path / "sw"
    assert main(["sweep", str(g), "-o", str(sw), "-q", "--workers", "0", "--no-plots"]) == 0
    pid = json.loads((sw / "results.jsonl").read_text().splitlines()[0])["id"]
    assert main(["sweep", str(g), "-o", str(sw), "-q", "--point", pid[:8], "--no-plots"]) == 0
    point = sw / "points" / pid
    before = {p.name: p.read_bytes() for p in point.iterdir()}
    capsys.readouterr()
    _interrupt_after(monkeypatch, mmsim.report.Report, "save", ("report.json",))
    assert main(["sweep", str(g), "-o", str(sw), "-q", "--point", pid[:8], "--no-plots", "--force"]) == 130
    assert {p.name: p.read_bytes() for p in point.iterdir()} == before
    assert _siblings(sw / "points") == [pid]
