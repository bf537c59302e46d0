"""SIGTERM (``timeout``, ``kill``, systemd, ``docker stop``, Slurm) winds a command down as Ctrl-C does (breaker29 10).

Each command that stages its output (``run``, ``report``, ``demo``, ``sweep --point``: ``.NAME.writing-PID``;
``convert``, ``synth``: ``.STORE.tmp-...``) was ended by SIGTERM's default action: status 143 with no word,
the hidden folder left behind (1.2 GB for a run with a fine timer). Now it says ``mmsim: terminated
(SIGTERM)``, removes what it staged and exits 143; a ``mmsim sweep`` says how many points are saved.
The signal is sent at a marker the command prints where its writing is made slow (tests/_ctrl_c_cli.py),
so no timing is guessed.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from test_breaker18b import run_config
from test_ctrl_c import cli

TERMINATED = "mmsim: terminated (SIGTERM)\n"


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_sigterm_while_a_run_writes_removes_its_staged_folder_and_exits_143(store, tmp_path):
    runs = tmp_path / "runs"
    code, _, err = cli("slow", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(runs / "r")],
                       [("writing", 1)], first=signal.SIGTERM)
    assert (code, err) == (143, TERMINATED)
    assert not runs.exists()  # neither runs/r nor runs/.r.writing-PID (nor runs/, which the command created)


def test_sigterm_stops_a_background_job_whose_sigint_is_ignored_and_a_ctrl_c_still_does_not(store, tmp_path):
    # breaker29's own case: `mmsim run cfg.yaml & sleep 12; kill -TERM $!`. A script's background job starts with
    # SIGINT ignored, where mmsim installed no handler at all: SIGTERM killed it (143, no word, `.r.writing-PID`
    # left). The SIGINT the shell ignores for it stays ignored: sent just before the SIGTERM (and handled first,
    # the lower signal number), it would have made the status 130.
    runs = tmp_path / "runs"
    code, _, err = cli("slow", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(runs / "r")],
                       [("writing", 2, [signal.SIGINT, signal.SIGTERM])], sigint_ignored=True)
    assert (code, err) == (143, TERMINATED)
    assert not runs.exists()


def test_sigterm_while_a_report_is_written_keeps_the_previous_report(store, tmp_path):
    from mmsim.cli import main

    cfg = run_config(store, tmp_path)
    assert main(["run", str(cfg), "-q", "--no-report", "-o", str(tmp_path / "r")]) == 0
    out = tmp_path / "rep"
    code, _, err = cli("slow", ["report", str(tmp_path / "r"), "-q", "-o", str(out)], [("writing", 1)],
                       first=signal.SIGTERM)
    assert (code, err) == (143, TERMINATED)
    assert _left(tmp_path) == ["r", "run.yaml"]


@pytest.mark.parametrize("command", ["convert", "synth"])
def test_sigterm_while_a_store_is_written_removes_its_tmp_folder(store, tmp_path, command):
    out = tmp_path / "stores" / "s"
    if command == "convert":
        from _corpus import lobster

        (tmp_path / "in").mkdir()
        srcs, _ = lobster(tmp_path / "in")
        argv = ["convert", *map(str, srcs), "-o", str(out), "--format", "lobster", "-q"]
    else:
        cfg = tmp_path / "synth.yaml"
        cfg.write_text("seed: 3\nduration: 5s\n")
        argv = ["synth", str(cfg), "-o", str(out), "-q"]
    code, _, err = cli("store", argv, [("writing", 1)], first=signal.SIGTERM)
    assert (code, err) == (143, TERMINATED)
    assert not (tmp_path / "stores").exists()  # no store, no .s.tmp-... (stores/ was the command's)


def test_sigterm_while_the_demo_writes_leaves_nothing(tmp_path):
    code, _, err = cli("demo", ["demo", "--quick", "-q", "-o", str(tmp_path / "d")], [("writing", 1)],
                       first=signal.SIGTERM)
    assert (code, err) == (143, TERMINATED)
    assert _left(tmp_path) == []


def test_sigterm_stops_a_sweep_with_its_saved_points_line_and_143(store, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: join_best}}\naxes:\n  latency.feed: [0ms]\n")
    out = tmp_path / "sw"
    code, _, err = cli("sweep-exit", ["sweep", str(grid), "-q", "--workers", "0", "-o", str(out)],
                       [("writing", 1), ("winding down", 0)], first=signal.SIGTERM)
    # (It said "interrupted", as for a Ctrl-C: closing23.)
    assert (code, err) == (143, f"mmsim sweep: terminated (SIGTERM); 0 of 1 points are saved in "
                                f"{out / 'results.jsonl'}; run the same command to resume\n")


# A point that waits in its strategy, after writing a marker, until the test says stop: the SIGTERM is sent once the
# marker is there and the other point's record is saved, so no timing is guessed.
WAITER = """import time
from pathlib import Path

import mmsim


class Waiter(mmsim.Strategy):
    def __init__(self, wait=False, marker=""):
        self.wait, self.marker, self.calls = wait, marker, 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.wait and self.calls == 5:
            Path(self.marker).write_text("waiting")
            for _ in range(2400):  # 120 s at most
                if Path(self.marker + ".stop").exists():
                    break
                time.sleep(0.05)
        return None
"""


@pytest.mark.parametrize("how", ["in-process", "workers", "dask"])
def test_sigterm_stops_a_real_sweep_saying_terminated_with_what_is_saved(store, tmp_path, how):
    # closing23: `mmsim sweep` said "interrupted" on SIGTERM (status 143 right). In-process (--workers 0: the points'
    # passes through mmsim.run_many), SIGTERM to the sweep's process; on local workers, SIGTERM to the whole process
    # group, as `timeout`, Slurm and systemd send it (a worker it kills is not a point that failed: none is recorded);
    # on a Dask cluster (the points run in this test's process), SIGTERM to the sweep's process.
    import json
    import os
    import subprocess
    import sys
    import time

    from test_ctrl_c import close_pipes

    (tmp_path / "waiter.py").write_text(WAITER)
    marker = tmp_path / "marker"
    base = {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]},
            "strategy": {"path": f"{tmp_path / 'waiter.py'}:Waiter", "params": {"marker": str(marker)}}}
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": base, "points": [{"strategy.params.wait": False},
                                                         {"strategy.params.wait": True}]}))
    out = tmp_path / "sw"
    results = out / "results.jsonl"
    argv = [sys.executable, "-m", "mmsim", "sweep", str(grid), "-o", str(out), "-q", "--no-plots", "--pass-size", "1",
            "--workers", "0" if how == "in-process" else "2"]
    cluster = None
    if how == "dask":
        distributed = pytest.importorskip("distributed")
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                           dashboard_address=None)
        argv += ["--scheduler", cluster.scheduler_address]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 240
        while not (marker.exists() and results.exists() and len(results.read_text().splitlines()) == 1):
            assert p.poll() is None and time.monotonic() < deadline, (p.poll(), p.stderr.read() if p.stderr else "")
            time.sleep(0.05)
        if how == "workers":
            os.killpg(p.pid, signal.SIGTERM)
        else:
            p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)
    finally:
        (tmp_path / "marker.stop").write_text("")
        if p.poll() is None:
            p.kill()
            p.wait()
        close_pipes(p)
        if cluster is not None:
            cluster.close()
    assert p.returncode == 143
    assert err.splitlines()[-1] == (f"mmsim sweep: terminated (SIGTERM); 1 of 2 points are saved in {results}; run "
                                    "the same command to resume")
    assert [json.loads(r)["status"] for r in results.read_text().splitlines()] == ["ok"]  # no WorkerDied record


def test_a_ctrl_c_then_a_sigterm_is_still_an_interruption(store, tmp_path):
    # The first stop decides: a SIGTERM while mmsim winds down after a Ctrl-C is held back as a second Ctrl-C is.
    runs = tmp_path / "runs"
    code, _, err = cli("cleanup", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(runs / "r")],
                       [("writing", 1), ("winding down", 1, signal.SIGTERM)])
    assert (code, err) == (130, "mmsim: interrupted\n")
    assert not runs.exists()


def test_a_sigterm_once_the_run_is_in_place_changes_nothing(store, tmp_path):
    out = tmp_path / "r"
    code, stdout, err = cli("summary", ["run", str(run_config(store, tmp_path)), "-q", "-o", str(out)],
                            [("winding down", 1)], first=signal.SIGTERM)
    assert (code, err) == (0, "")
    assert stdout.endswith(f" M events/s -> {out}\n")
    assert (out / "result.json").is_file()
