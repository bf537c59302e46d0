"""`mmsim sweep -o DIR` and `mmsim demo -o DIR --force` wrote into a folder that was not theirs: a non-empty
directory that is not a sweep's (resp. a demo's) output is refused, with --force too, naming what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.cli import main
from mmsim.errors import ConfigError
from mmsim.sweep import run_sweep

S = 1_000_000_000
FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("outdir")
    write_store(SynthConfig(seed=5, duration=2 * S, format="l2"), d / "store")
    return d / "store"


def _grid(tmp_path: Path, store: Path) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\naxes:\n"
                    "  latency.feed: [0ms, 1ms]\n")
    return path


def _foreign(tmp_path: Path) -> Path:
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    (out / "notes.txt").write_text("mine\n")
    (out / "results.csv").write_text("my own table\n")
    return out


def _sweep_message(out: Path) -> str:
    return (f"{out}: not empty and not a sweep's output (no results.jsonl or .mmsim-sweep.lock): it holds data/, "
            "notes.txt, results.csv; the sweep would write its results.jsonl, results.csv, sweep.html and plots among "
            "them (replacing any of those names); refusing, even with --force: give -o a new or empty directory, or "
            "a sweep's own")


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["resume", "force"])
def test_a_sweep_into_someone_elses_folder_is_refused_even_with_force(tmp_path, store, capsys, force):
    out = _foreign(tmp_path)
    assert main(["sweep", str(_grid(tmp_path, store)), "-o", str(out), "-q", "--workers", "0"] + force) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {_sweep_message(out)}\n"
    assert (out / "results.csv").read_text() == "my own table\n"
    assert sorted(p.name for p in out.iterdir()) == ["data", "notes.txt", "results.csv"]  # no lock, no results


def test_a_point_into_someone_elses_folder_and_the_python_api_are_refused_too(tmp_path, store, capsys):
    out = _foreign(tmp_path)
    grid = _grid(tmp_path, store)
    assert main(["sweep", str(grid), "-o", str(out), "-q", "--point", "0000", "--force"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {_sweep_message(out)}\n"
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, out, workers=0, fresh=True)
    assert str(exc.value) == _sweep_message(out)
    assert sorted(p.name for p in out.iterdir()) == ["data", "notes.txt", "results.csv"]


def test_a_sweeps_own_folder_is_resumed_and_replaced_as_before(tmp_path, store, capsys):
    out = tmp_path / "sw"
    grid = _grid(tmp_path, store)
    assert main(["sweep", str(grid), "-o", str(out), "-q", "--workers", "0", "--no-plots"]) == 0
    assert main(["sweep", str(grid), "-o", str(out), "-q", "--workers", "0", "--no-plots"]) == 0
    assert "0 run now, 2 reused from results.jsonl" in capsys.readouterr().out
    assert main(["sweep", str(grid), "-o", str(out), "-q", "--workers", "0", "--no-plots", "--force"]) == 0
    assert "2 run now, 0 reused" in capsys.readouterr().out
    # A folder holding only what `--point` writes is the sweep's too.
    (out / "results.jsonl").unlink()
    (out / ".mmsim-sweep.lock").unlink()
    for p in out.iterdir():
        if p.name != "points":
            p.unlink()
    (out / "points").mkdir()
    assert main(["sweep", str(grid), "-o", str(out), "-q", "--workers", "0", "--no-plots"]) == 0


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["new", "force"])
def test_the_demo_into_someone_elses_folder_is_refused_even_with_force(tmp_path, capsys, force):
    out = _foreign(tmp_path)
    assert main(["demo", "--quick", "-q", "-o", str(out)] + force) == 2
    assert capsys.readouterr().err == (
        f"mmsim demo: error: {out}: not empty and not an mmsim demo output folder (no demo.html): it holds data/, "
        "notes.txt, results.csv, among which --force would have written the demo's files; refusing to write into it "
        "even with --force: choose another -o\n")
    assert (out / "results.csv").read_text() == "my own table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # nothing staged


@pytest.mark.parametrize("hidden", [[".gitkeep"], [".DS_Store", ".gitkeep"]])
def test_a_sweep_into_a_folder_of_only_hidden_files_writes_beside_them(tmp_path, store, capsys, hidden):
    # A folder holding only .gitkeep was refused as someone's ("it holds .gitkeep").
    out = tmp_path / "out"
    out.mkdir()
    for name in hidden:
        (out / name).write_text("")
    assert main(["sweep", str(_grid(tmp_path, store)), "-o", str(out), "-q", "--workers", "0", "--no-plots"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert set(hidden) | {"results.jsonl", "results.csv", "sweep.html"} <= set(names)


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["new", "force"])
def test_the_demo_and_a_run_into_a_folder_of_only_hidden_files_write_beside_them(tmp_path, store, capsys, force):
    out = tmp_path / "demo"
    out.mkdir()
    (out / ".DS_Store").write_text("finder\n")
    assert main(["demo", "--quick", "-q", "-o", str(out)] + force) == 0
    assert (out / ".DS_Store").read_text() == "finder\n" and (out / "demo.html").is_file()
    # A run's staged output is renamed into place: into a folder of hidden files it is moved in file by file.
    run = tmp_path / "run"
    run.mkdir()
    (run / ".gitkeep").write_text("")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: '{FIXED_SPREAD}'}}\n")
    assert main(["run", str(cfg), "-o", str(run), "-q"] + force) == 0
    assert (run / ".gitkeep").exists() and (run / "result.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # nothing staged left
