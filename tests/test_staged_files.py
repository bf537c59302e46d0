"""Outputs written whole or not at all: ``mmsim compare -o`` and a sweep's report (mmsim.cli._staging).

closing23 left: ``mmsim compare -o`` wrote compare.json in place, so a failure or an interrupt while it was
written left half a file, over an earlier one with ``--force``; every other command stages its output. A sweep's
report (results.csv, the plots, sweep.html) was written into the sweep's folder in place too.
"""

from __future__ import annotations

import errno
import os
import json
from pathlib import Path

import pytest

import mmsim
from mmsim.analysis.comparison import Comparison
from mmsim.cli import main

def no_space(path: Path) -> str:
    """A full disk's line: the file (or output folder) named, not ``[Errno 28] No space left on device`` (breaker35 F3)."""
    return f"mmsim: error: {path}: no space left on device\n"


def _fail_writes_halfway(monkeypatch, exc: BaseException, name: str) -> list[Path]:
    """``Path.write_text`` of a file whose name holds ``name`` writes half its text, then raises ``exc`` (a disk
    that fills, a Ctrl-C); returns the paths it was called with."""
    real = Path.write_text
    seen: list[Path] = []

    def write_text(self, data, *args, **kwargs):
        if name not in self.name:
            return real(self, data, *args, **kwargs)
        seen.append(self)
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise exc

    monkeypatch.setattr(Path, "write_text", write_text)
    return seen


@pytest.fixture(scope="module")
def two_runs(store, tmp_path_factory):
    from mmsim.strategies.fixed_spread import FixedSpread

    d = tmp_path_factory.mktemp("cmp")
    ev = mmsim.load(store)
    mmsim.run(ev, FixedSpread(half_spread=1, size=1), mmsim.Config()).save(d / "tight")
    mmsim.run(ev, FixedSpread(half_spread=3, size=1), mmsim.Config()).save(d / "wide")
    return d


def _compare(two_runs, *flags: str) -> int:
    return main(["compare", str(two_runs / "tight"), str(two_runs / "wide"), "--bucket", "5s", "--boot", "50", "-q",
                 *flags])


def _all(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_compare_that_fails_writing_leaves_nothing_and_its_folders_removed(two_runs, tmp_path, monkeypatch, capsys):
    seen = _fail_writes_halfway(monkeypatch, OSError(errno.ENOSPC, "No space left on device"), "compare")
    assert _compare(two_runs, "-o", str(tmp_path / "new" / "deep")) == 1
    assert capsys.readouterr().err == no_space(tmp_path / "new" / "deep" / "compare.json")
    assert [p.name for p in seen] == [f".compare.writing-{os.getpid()}.json"]
    assert _all(tmp_path) == []  # no new/deep/compare.json cut in half, no hidden file, no folder the command made
    # -o FILE.json: the same
    monkeypatch.undo()
    _fail_writes_halfway(monkeypatch, OSError(errno.ENOSPC, "No space left on device"), "c.")
    assert _compare(two_runs, "-o", str(tmp_path / "c.json")) == 1
    assert _all(tmp_path) == []


@pytest.mark.parametrize("target", ["compare.json", "mine.json"])
def test_compare_force_over_an_earlier_file_keeps_it_whole_when_the_write_fails(two_runs, tmp_path, monkeypatch,
                                                                               capsys, target):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / target).write_text('{"earlier": true}\n')
    (out / "notes.txt").write_text("mine\n")
    given = str(out) if target == "compare.json" else str(out / target)
    stem = Path(target).stem  # the hidden file now, the file itself before (written in place)
    _fail_writes_halfway(monkeypatch, OSError(errno.ENOSPC, "No space left on device"), stem)
    assert _compare(two_runs, "-o", given, "--force") == 1
    assert capsys.readouterr().err == no_space(out / target)
    assert (out / target).read_text() == '{"earlier": true}\n'  # (was half of the new one)
    assert _all(tmp_path) == ["cmp", f"cmp/{target}", "cmp/notes.txt"]
    # A Ctrl-C (or SIGTERM) while it is written: 130, the same
    monkeypatch.undo()
    _fail_writes_halfway(monkeypatch, KeyboardInterrupt(), stem)
    assert _compare(two_runs, "-o", given, "--force") == 130
    assert capsys.readouterr().err == "mmsim: interrupted\n"
    assert (out / target).read_text() == '{"earlier": true}\n'
    assert _all(tmp_path) == ["cmp", f"cmp/{target}", "cmp/notes.txt"]
    # Written whole, it replaces the earlier one (--force), nothing else in the folder touched.
    monkeypatch.undo()
    assert _compare(two_runs, "-o", given, "--force") == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {out / target}"
    assert json.loads((out / target).read_text())["a"] == "tight"
    assert _all(tmp_path) == ["cmp", f"cmp/{target}", "cmp/notes.txt"]


def test_compare_refuses_a_file_another_command_put_there_meanwhile_without_force(two_runs, tmp_path, monkeypatch,
                                                                                 capsys):
    # Checked at the start (no file yet) and again as the file is put in place: another command's compare.json,
    # written while this one computed, is not clobbered without --force.
    out = tmp_path / "cmp"
    real = Comparison.to_dict

    def meanwhile(self):
        out.mkdir(exist_ok=True)
        (out / "compare.json").write_text("theirs\n")
        return real(self)

    monkeypatch.setattr(Comparison, "to_dict", meanwhile)
    assert _compare(two_runs, "-o", str(out)) == 2
    assert capsys.readouterr().err == (f"mmsim compare: error: {out / 'compare.json'}: the comparison file already "
                                       "exists; pass --force to replace it, or -o another directory\n")
    assert (out / "compare.json").read_text() == "theirs\n"
    assert _all(tmp_path) == ["cmp", "cmp/compare.json"]
    assert _compare(two_runs, "-o", str(out), "--force") == 0  # with --force it is replaced
    assert json.loads((out / "compare.json").read_text())["b"] == "wide"


def _grid(tmp_path: Path, store: Path, feeds: list[str]) -> Path:
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: join_best}}\naxes:\n  latency.feed: [{', '.join(feeds)}]\n")
    return grid


def _sweep(grid: Path, out: Path) -> int:
    return main(["sweep", str(grid), "-o", str(out), "-q", "--no-plots", "--workers", "0"])


@pytest.mark.parametrize("stop", ["error", "ctrl-c"])
def test_a_sweep_report_that_fails_keeps_the_earlier_report_whole(store, tmp_path, monkeypatch, capsys, stop):
    # A sweep of one point, then the same folder with two: its report fails while sweep.html is written (results.csv
    # already rewritten, in place, with 2 rows beside the earlier sweep.html of 1; or cut short by a Ctrl-C).
    out = tmp_path / "sw"
    assert _sweep(_grid(tmp_path, store, ["0ms"]), out) == 0
    before = {n: (out / n).read_bytes() for n in ("results.csv", "sweep.html")}
    capsys.readouterr()
    exc = OSError(errno.ENOSPC, "No space left on device") if stop == "error" else KeyboardInterrupt()
    _fail_writes_halfway(monkeypatch, exc, "sweep.html")
    code = _sweep(_grid(tmp_path, store, ["0ms", "5ms"]), out)
    err = capsys.readouterr().err
    if stop == "error":
        assert (code, err) == (1, no_space(out))  # the sweep's folder: the writer named no file
    else:
        assert (code, err) == (130, f"mmsim sweep: interrupted; 2 of 2 points are saved in {out / 'results.jsonl'}; "
                                    "run the same command to resume\n")
    assert {n: (out / n).read_bytes() for n in ("results.csv", "sweep.html")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.yaml", "sw"]  # no hidden folder beside it
    assert len((out / "results.jsonl").read_text().splitlines()) == 2  # the points are saved: the rerun reuses them
    monkeypatch.undo()
    assert _sweep(_grid(tmp_path, store, ["0ms", "5ms"]), out) == 0
    assert len((out / "results.csv").read_text().splitlines()) == 3  # its header and 2 points
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.yaml", "sw"]
