"""outpath19: one rule for where an output given as ``-o PATH`` is written (``mmsim._paths.output_target``), used by
the commands' staging (``mmsim run``, ``report``...) and the event store writer (``mmsim synth``, ``convert``,
``mmsim.data.store.EventStoreWriter``); and ``python -m mmsim`` interrupted while it imports the package.

1. ``-o .`` and its other spellings (``./``, ``../HERE``): the current folder, staged beside it, not inside it
   (breaker18b's strict xfails, now passing; these are the second cases). The folder itself is kept: it is filled,
   not replaced, so the shell that started the command is still in it; a non-empty current folder is refused as any
   other, or with ``--force`` its contents replaced when it is the command's own output.
2. ``-o LINK`` for a store: written where the link points, the link kept; a looping link refused before any work.
3. ``python -m mmsim`` and a Ctrl-C while the package is imported: ``mmsim: interrupted``, 130, no traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from test_breaker18b import S, mmsim_cli, run_config, run_into_ref_and_here, run_to_report_and_here, wrote


# ----------------------------------------------------------------------------- -o going up out of a missing folder


def test_an_output_going_up_out_of_a_missing_folder_is_a_usage_error_naming_it(store, tmp_path, monkeypatch, capsys):
    """edges20: ``-o nosub/..`` with no ``nosub`` was read as the current folder (realpath), where a shell says ``No
    such file or directory``: the run was written into the current folder. Now a usage error (exit 2) naming the
    first missing folder on the way to the ``..``, before any work; a ``..`` out of a folder that exists is fine."""
    from mmsim.cli import main

    cfg = run_config(store, tmp_path)
    syn = tmp_path / "syn.yaml"
    syn.write_text("duration: 5s\n")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    tail = "No such file or directory (the path goes up out of it with ..); create it, or choose another -o\n"
    assert main(["run", str(cfg), "-q", "-o", "nosub/.."]) == 2
    assert capsys.readouterr().err == f"mmsim run: error: nosub/..: nosub: {tail}"
    assert os.listdir(here) == []
    # The same kind: another command, the missing folder deeper on the way.
    (here / "a").mkdir()
    assert main(["synth", str(syn), "-q", "--seed", "5", "-o", "a/b/c/../../out"]) == 2
    assert capsys.readouterr().err == f"mmsim synth: error: a/b/c/../../out: a/b: {tail}"
    assert os.listdir(here) == ["a"] and os.listdir(here / "a") == []
    # Up out of a folder that exists: written where the system reads it (here/out).
    assert main(["synth", str(syn), "-q", "--seed", "5", "-o", "a/../out"]) == 0
    assert sorted(os.listdir(here)) == ["a", "out"] and sorted(os.listdir(here / "out")) == ["events.npy", "meta.json"]


def test_up_from_missing_names_the_first_missing_folder_before_a_dotdot(tmp_path):
    from mmsim._paths import up_from_missing

    (tmp_path / "a").mkdir()
    (tmp_path / "f").write_text("")
    tail = " (the path goes up out of it with ..); create it, or choose another -o"
    missing = ": No such file or directory" + tail
    assert up_from_missing(tmp_path / "a" / "x" / "y" / "..") == f"{tmp_path}/a/x/y/..: {tmp_path}/a/x{missing}"
    assert up_from_missing(tmp_path / "a" / ".." / "n" / "..") == f"{tmp_path}/a/../n/..: {tmp_path}/a/../n{missing}"
    assert up_from_missing(tmp_path / "f" / "..") == f"{tmp_path}/f/..: {tmp_path}/f: Not a directory{tail}"
    for fine in ("a/..", "new/sub", "a/../new", ".."):
        assert up_from_missing(tmp_path / fine) is None


# ----------------------------------------------------------------------------- 1. -o the current folder


def test_run_into_the_current_folder_spelled_dotdot_here_slash_keeps_the_folder(store, tmp_path):
    cfg, here = run_into_ref_and_here(store, tmp_path)
    ino = os.stat(here).st_ino
    p = mmsim_cli(["run", str(cfg), "-q", "-o", "../here/"], here)
    assert (p.returncode, p.stderr) == (0, "")
    assert sorted(os.listdir(here)) == sorted(os.listdir(tmp_path / "ref"))
    assert os.stat(here).st_ino == ino  # the same folder, filled: not one put in its place
    assert sorted(os.listdir(tmp_path)) == ["here", "ref", "run.yaml"]  # no staging folder left beside it


def test_run_force_into_the_current_folder_holding_a_run_replaces_its_contents(store, tmp_path):
    cfg = run_config(store, tmp_path)
    here = tmp_path / "here"
    here.mkdir()
    p = mmsim_cli(["run", str(cfg), "-q", "-o", "."], here)
    assert (p.returncode, p.stderr) == (0, "")
    (here / "result.json").write_text("{}")  # the earlier run's result, marked to see it replaced
    (here / "extra.txt").write_text("of the earlier run\n")
    ino = os.stat(here).st_ino
    p = mmsim_cli(["run", str(cfg), "-q", "-o", "."], here)  # without --force: refused in the usual words
    assert (p.returncode, p.stderr) == (2, "mmsim run: error: .: the run directory already exists; pass --force to "
                                           "replace it, or -o another directory\n")
    p = mmsim_cli(["run", str(cfg), "-q", "--force", "-o", "."], here)
    assert (p.returncode, p.stderr) == (0, "")
    ref = mmsim_cli(["run", str(cfg), "-q", "-o", str(tmp_path / "ref")], tmp_path)
    assert ref.returncode == 0, ref.stderr
    assert sorted(os.listdir(here)) == sorted(os.listdir(tmp_path / "ref"))  # extra.txt went with the earlier run
    assert (here / "result.json").read_bytes() != b"{}" and os.stat(here).st_ino == ino
    assert sorted(os.listdir(tmp_path)) == ["here", "ref", "run.yaml"]


def test_run_into_a_current_folder_that_is_not_a_run_is_refused_even_with_force(store, tmp_path):
    cfg = run_config(store, tmp_path)
    here = tmp_path / "here"
    here.mkdir()
    (here / "notes.txt").write_text("mine\n")
    p = mmsim_cli(["run", str(cfg), "-q", "--force", "-o", "./"], here)
    assert (p.returncode, p.stderr) == (2, "mmsim run: error: .: not empty and not an mmsim run directory (no "
                                           "result.json): it holds notes.txt, which --force would have replaced; "
                                           "refusing to replace it even with --force: choose another -o\n")
    assert sorted(os.listdir(here)) == ["notes.txt"] and sorted(os.listdir(tmp_path)) == ["here", "run.yaml"]


def test_report_into_the_current_folder_spelled_dot_slash_writes_the_report_there(store, tmp_path):
    run, here = run_to_report_and_here(store, tmp_path)
    ino = os.stat(here).st_ino
    p = mmsim_cli(["report", str(run), "-q", "--no-plots", "-o", "./"], here)
    assert (p.returncode, p.stderr) == (0, "")
    assert sorted(os.listdir(here)) == ["fills.csv", "report.json"] and os.stat(here).st_ino == ino


def test_synth_into_the_current_folder_spelled_dotdot_here_writes_the_store_there(tmp_path):
    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    here = tmp_path / "here"
    here.mkdir()
    ino = os.stat(here).st_ino
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "-o", "../here"], here)
    assert (p.returncode, wrote(p.stderr, "../here")) == (0, 5)
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"] and os.stat(here).st_ino == ino
    assert sorted(os.listdir(tmp_path)) == ["here", "syn.yaml"]


def test_synth_force_over_the_store_in_the_current_folder_replaces_it_there(tmp_path):
    from mmsim.synth import SynthConfig, write_store

    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    here = tmp_path / "here"
    write_store(SynthConfig(seed=3, duration=5 * S), here)
    ino = os.stat(here).st_ino
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "-o", "."], here)
    assert (p.returncode, p.stderr) == (2, "mmsim synth: error: .: the event store already exists; pass --force to "
                                           "replace it, or -o another directory\n")
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "--force", "-o", "."], here)
    assert (p.returncode, wrote(p.stderr, ".")) == (0, 5)
    write_store(SynthConfig(seed=5, duration=5 * S), tmp_path / "ref")
    assert (here / "events.npy").read_bytes() == (tmp_path / "ref" / "events.npy").read_bytes()
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"] and os.stat(here).st_ino == ino
    assert sorted(os.listdir(tmp_path)) == ["here", "ref", "syn.yaml"]


def test_convert_into_the_current_folder_spelled_dot_slash_writes_the_store_there(store, tmp_path):
    import mmsim
    from mmsim.data import hftbacktest as hbt

    st = mmsim.load(store)
    hbt.export(st, tmp_path / "x.npz", tick_size=st.meta["tick_size"], lot_size=st.meta["lot_size"])
    here = tmp_path / "here"
    here.mkdir()
    ino = os.stat(here).st_ino
    p = mmsim_cli(["convert", "--format", "hftbacktest", "../x.npz", "-q", "-o", "./"], here)
    assert (p.returncode, p.stderr) == (0, f"wrote .: {len(st.events):,} events, SYNTH (synthetic), tick 0.01, "
                                           "lot 1, L3\n")
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"] and os.stat(here).st_ino == ino
    assert mmsim.load(here).meta["events_digest"] == st.meta["events_digest"]


def test_convert_trade_implied_into_the_current_folder_writes_its_scratch_store_beside_it(tmp_path):
    """``--trade-implied-book`` writes a scratch store beside the output first (``data.convert``): beside the
    current folder for ``-o .``, and the store is the one written to a folder named explicitly."""
    import mmsim
    from _corpus import binance

    (src,), _ = binance(tmp_path)
    argv = ["convert", "--format", "binance", str(src), "--trade-implied-book", "-q", "-o"]
    ref = mmsim_cli([*argv, str(tmp_path / "ref")], tmp_path)
    assert ref.returncode == 0, ref.stderr
    here = tmp_path / "here"
    here.mkdir()
    p = mmsim_cli([*argv, "."], here)
    assert (p.returncode, p.stderr) == (0, ref.stderr.replace(f"wrote {tmp_path / 'ref'}: ", "wrote .: "))
    assert p.stderr.startswith("wrote .: ")
    assert sorted(os.listdir(here)) == ["events.npy", "meta.json"]
    assert sorted(os.listdir(tmp_path)) == sorted([src.name, "here", "ref"])  # no scratch store left beside it
    assert mmsim.load(here).meta["events_digest"] == mmsim.load(tmp_path / "ref").meta["events_digest"]


# ----------------------------------------------------------------------------- 2. -o a symbolic link, for a store


def test_synth_onto_a_link_to_an_empty_folder_writes_there_keeping_the_link(tmp_path):
    cfg = tmp_path / "syn.yaml"
    cfg.write_text("duration: 5s\n")
    (tmp_path / "day").mkdir()
    (tmp_path / "today").symlink_to("day")
    p = mmsim_cli(["synth", str(cfg), "-q", "--seed", "5", "-o", "today"], tmp_path)
    # it said "today: output exists and is a symbolic link; choose a new path", exit 1
    assert (p.returncode, wrote(p.stderr, "today")) == (0, 5)
    assert os.readlink(tmp_path / "today") == "day"
    assert sorted(os.listdir(tmp_path / "day")) == ["events.npy", "meta.json"]
    assert sorted(os.listdir(tmp_path)) == ["day", "syn.yaml", "today"]


def test_convert_force_onto_a_link_to_a_store_writes_where_it_points(store, tmp_path):
    import mmsim
    from mmsim.data import hftbacktest as hbt
    from mmsim.synth import SynthConfig, write_store

    st = mmsim.load(store)
    hbt.export(st, tmp_path / "x.npz", tick_size=st.meta["tick_size"], lot_size=st.meta["lot_size"])
    write_store(SynthConfig(seed=3, duration=5 * S), tmp_path / "stores" / "day")
    (tmp_path / "today").symlink_to("stores/day")
    p = mmsim_cli(["convert", "--format", "hftbacktest", "x.npz", "-q", "-o", "today"], tmp_path)
    assert (p.returncode, p.stderr) == (1, "mmsim: error: today: an event store already exists there; pass --force "
                                           "to replace it\n")
    p = mmsim_cli(["convert", "--format", "hftbacktest", "x.npz", "-q", "--force", "-o", "today"], tmp_path)
    assert (p.returncode, p.stderr) == (0, f"replaced today: {len(st.events):,} events, SYNTH (synthetic), tick 0.01, "
                                           "lot 1, L3\n")
    assert os.readlink(tmp_path / "today") == "stores/day"
    assert mmsim.load(tmp_path / "stores" / "day").meta["events_digest"] == st.meta["events_digest"]
    assert sorted(os.listdir(tmp_path / "stores")) == ["day"]  # no staging left beside it


def test_a_looping_link_is_refused_before_any_work_by_convert_and_the_store_writer(store, tmp_path):
    from mmsim.errors import DataError
    from mmsim.synth import SynthConfig, write_store

    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "x.npz").write_bytes(b"not read")
    p = mmsim_cli(["convert", "--format", "hftbacktest", "x.npz", "-q", "-o", "loop"], tmp_path)
    # it said "loop: output exists and is a symbolic link; choose a new path", exit 1
    assert (p.returncode, p.stderr) == (2, "mmsim convert: error: loop: a symbolic link that loops (following it "
                                           "never ends); choose another -o\n")
    with pytest.raises(DataError) as e:
        write_store(SynthConfig(seed=3, duration=5 * S), tmp_path / "loop")
    assert str(e.value) == f"{tmp_path / 'loop'}: a symbolic link that loops (following it never ends); choose a new path"
    assert sorted(os.listdir(tmp_path)) == ["loop", "x.npz"]


# ----------------------------------------------------------------------------- 3. python -m mmsim interrupted


# As tests/test_newcomer18.py's test of the console script: `python -m mmsim` imports the mmsim package (numpy,
# numba, the engine) before mmsim/__main__.py runs, so a Ctrl-C then printed a `Traceback ... KeyboardInterrupt`
# and the process died by the signal (status -2), where docs/config.md (Exit codes) promises `mmsim: interrupted`
# and 130. The start is held open where the test says (a `sitecustomize` on the child's path makes the import of
# `hold` wait, after saying so in a file), so the SIGINT lands inside the package's import on any machine.
_HOLD = """import sys, time
from pathlib import Path

class _Hold:
    def find_spec(self, name, path=None, target=None):
        if name == {hold!r}:
            Path({ready!r}).write_text("holding")
            time.sleep(60)
        return None

sys.meta_path.insert(0, _Hold())
"""


@pytest.mark.parametrize("hold", ["mmsim._engine", "mmsim.engine"])  # the first import after the guard; a later one
def test_ctrl_c_while_python_m_mmsim_starts_is_the_one_line_and_130(tmp_path, hold):
    ready = tmp_path / "ready"
    (tmp_path / "sitecustomize.py").write_text(_HOLD.format(hold=hold, ready=str(ready)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    p = subprocess.Popen([sys.executable, "-m", "mmsim", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=tmp_path, env=env)
    t0 = time.monotonic()
    while not ready.exists() and p.poll() is None and time.monotonic() - t0 < 60:
        time.sleep(0.01)
    assert ready.exists(), p.communicate()  # the child is inside the package's import, held
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out, err) == (130, "", "mmsim: interrupted\n")


def test_importing_mmsim_from_a_program_leaves_its_ctrl_c_as_python_s(tmp_path):
    """The guard is only ``python -m mmsim``'s: ``import mmsim`` (``python -c``, a program's own ``-m``) keeps
    Python's handler, and ``python -m mmsim`` puts it back once the package is imported (for mmsim.cli's own)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = "import signal, mmsim; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert (p.returncode, p.stdout, p.stderr) == (0, "True\n", "")
    (tmp_path / "prog.py").write_text(code + "\n")
    p = subprocess.run([sys.executable, "-m", "prog"], capture_output=True, text=True, cwd=tmp_path,
                       env={**env, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}, timeout=120)
    assert (p.returncode, p.stdout, p.stderr) == (0, "True\n", "")
    from mmsim import _start

    assert (_start._run_as_main(), _start.guarded) == (False, False)  # pytest's process: not `python -m mmsim`
