"""breaker18b: faults found in what session 18 merged (cli18b, sweepfix18, hbtexport18, lead), pinned as strict xfails.

``-o .`` (the current folder, empty): the start check accepts an empty folder, but ``Path('.')`` has no name and
its parent is itself, so the command's staging folder (``..writing-PID``, the store writer's ``..tmp-PID-...``) is
made *inside* the target. The commit's second start check (cli18b) then finds the target not empty and refuses the
command naming its own staging folder (``mmsim run``: "it holds ..writing-13925/, which --force would have
replaced"; ``mmsim report``: "the output directory already exists; pass --force"; ``mmsim synth``: "holds
['..tmp-13996-db03d039']"); before cli18b ``mmsim run -o .`` failed as ``[Errno 16] Device or resource busy:
'..writing-PID' -> '.'``. An empty folder is an accepted ``-o`` (docs/config.md); ``.`` is one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


S = 1_000_000_000


def mmsim_cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmsim", *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=300)


def wrote(stderr: str, out: str) -> int | None:
    """The seed of ``mmsim synth -q``'s one line (on stderr) for 5 s written to ``out``, None if it is not that line."""
    m = re.fullmatch(r"wrote [0-9,]+ L3 events \(5 s of SYNTH, informed on, seed ([0-9]+)\) to (.+) in [0-9.]+ s\n",
                     stderr)
    return int(m.group(1)) if m and m.group(2) == out else None


def run_config(store: Path, tmp_path: Path) -> Path:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: join_best, params: {{size: 1}}}}\n")
    return cfg


def run_into_ref_and_here(store: Path, tmp_path: Path) -> tuple[Path, Path]:
    """``(config, here)``: the run config of ``store`` in ``tmp_path``, run once into ``tmp_path/ref`` (the files a run
    writes, to compare with), and an empty folder ``tmp_path/here``."""
    cfg = run_config(store, tmp_path)
    ref = mmsim_cli(["run", str(cfg), "-q", "-o", str(tmp_path / "ref")], tmp_path)
    assert ref.returncode == 0, ref.stderr
    here = tmp_path / "here"
    here.mkdir()
    return cfg, here


def run_to_report_and_here(store: Path, tmp_path: Path) -> tuple[Path, Path]:
    """``(run, here)``: a run of ``store`` without its report in ``tmp_path/r``, and an empty folder
    ``tmp_path/here``."""
    run = tmp_path / "r"
    p = mmsim_cli(["run", str(run_config(store, tmp_path)), "-q", "--no-report", "-o", str(run)], tmp_path)
    assert p.returncode == 0, p.stderr
    here = tmp_path / "here"
    here.mkdir()
    return run, here


def test_run_into_the_current_empty_folder_writes_the_run_there(store, tmp_path):
    cfg, here = run_into_ref_and_here(store, tmp_path)
    p = mmsim_cli(["run", str(cfg), "-q", "-o", "."], here)
    assert (p.returncode, p.stderr) == (0, "")
    # the same files as a run into a new folder, and nothing of the command's staging left
    assert sorted(os.listdir(here)) == sorted(os.listdir(tmp_path / "ref"))


def test_report_into_the_current_empty_folder_writes_the_report_there(store, tmp_path):
    run, here = run_to_report_and_here(store, tmp_path)
    p = mmsim_cli(["report", str(run), "-q", "--no-plots", "-o", "."], here)
    # it said ".: the output directory already exists; pass --force to replace it" of an empty folder
    assert (p.returncode, p.stderr) == (0, "")
    assert sorted(os.listdir(here)) == ["fills.csv", "report.json"]


def test_synth_into_the_current_empty_folder_writes_the_store_there(tmp_path):
    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    here = tmp_path / "here"
    here.mkdir()
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "-o", "."], here)
    # it said ".: output directory is not empty and not an event store (holds ['..tmp-PID-...'])", exit 1
    assert (p.returncode, wrote(p.stderr, ".")) == (0, 5)
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"]


# `-o LINK` (a symbolic link) for a store: docs/config.md says an output given as a symbolic link to a directory is
# written where it points, the link kept, and a dangling link likewise (`mmsim run`, `mmsim report` do so); `mmsim
# synth` (and `mmsim convert`, the same store writer, `data/_store_write.py` `_target_state`) refuse any link:
# "mmsim: error: LINK: output exists and is a symbolic link; choose a new path", exit 1, even with --force.
def test_synth_force_onto_a_link_to_a_store_writes_where_it_points(tmp_path):
    from mmsim.synth import SynthConfig, write_store

    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    write_store(SynthConfig(seed=3, duration=5 * S), tmp_path / "day")
    (tmp_path / "today").symlink_to("day")
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "--force", "-o", "today"], tmp_path)
    assert (p.returncode, wrote(p.stderr, "today")) == (0, 5)
    assert os.readlink(tmp_path / "today") == "day"  # the link kept
    ref = tmp_path / "ref"
    write_store(SynthConfig(seed=5, duration=5 * S), ref)
    assert (tmp_path / "day" / "events.npy").read_bytes() == (ref / "events.npy").read_bytes()


def test_synth_onto_a_dangling_link_writes_where_it_points(tmp_path):
    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    (tmp_path / "out").symlink_to("stores/x")  # stores/ is made later: `mmsim run -o out` writes stores/x
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "-o", "out"], tmp_path)
    assert (p.returncode, wrote(p.stderr, "out")) == (0, 5)
    assert os.readlink(tmp_path / "out") == "stores/x"
    assert sorted(os.listdir(tmp_path / "stores" / "x")) == ["events.npy", "meta.json"]


def test_convert_into_the_current_empty_folder_writes_the_store_there(store, tmp_path):
    import mmsim
    from mmsim.data import hftbacktest as hbt

    st = mmsim.load(store)
    hbt.export(st, tmp_path / "x.npz", tick_size=st.meta["tick_size"], lot_size=st.meta["lot_size"])
    here = tmp_path / "here"
    here.mkdir()
    p = mmsim_cli(["convert", "--format", "hftbacktest", str(tmp_path / "x.npz"), "-q", "-o", "."], here)
    # it said ".: output directory is not empty and not an event store (holds ['..tmp-PID-...'])", exit 1
    assert (p.returncode, p.stderr) == (0, f"wrote .: {len(st.events):,} events, SYNTH (synthetic), tick 0.01, lot 1, L3\n")
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"]
