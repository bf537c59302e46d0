"""How mmsim's commands write their output directories (outdir18; docs/config.md, "An output directory is written
whole or not at all"):

1. a report written into a folder that holds an earlier report replaces that report's files as a set: the report
   files it does not write again (plots, report.html) go, in the same Ctrl-C-safe commit; nothing else does;
2. the parents of ``-o a/b/c`` a command created are removed again when its output is not committed;
3. ``-o LINK`` where LINK is a symbolic link that loops is a one-line usage error naming it; a dangling link is
   written where it points.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

from test_newcomer17 import FIXED_SPREAD, META, l2_with_prints, run_dir, write_store

from mmsim.cli import main
from mmsim.report import Report

# What `mmsim run` writes (the run of test_newcomer17.run_dir: FixedSpread with signals, a 1s horizon).
ARRAYS = ["decisions.npy", "fill_signals.npy", "fills.npy", "orders.npy", "result.json", "samples.npy"]
PLOTS = ["information_age.png", "markouts.png", "pnl.png", "signals.png"]


def _names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def _disk_full(self):
    raise OSError(errno.ENOSPC, "No space left on device")


def _interrupted(self):
    raise KeyboardInterrupt


# --------------------------------------------------------------------------- 1. a report replaces a report


def test_a_report_without_plots_into_the_run_directory_drops_the_earlier_reports_plots(tmp_path, capsys):
    """``mmsim report RUN --no-plots``: the run's earlier report.html and PNGs showed a report that is no longer
    there beside the new report.json; they go, the run's arrays and the user's notes stay."""
    run = run_dir(tmp_path)
    assert _names(run) == sorted(ARRAYS + PLOTS + ["fills.csv", "report.html", "report.json"])
    (run / "notes.txt").write_text("mine\n")
    capsys.readouterr()
    assert main(["report", str(run), "--no-plots", "-q", "--horizons", "5s"]) == 0
    assert capsys.readouterr().out == f"wrote fills.csv, report.json to {run}\n"
    assert _names(run) == sorted(ARRAYS + ["fills.csv", "notes.txt", "report.json"])
    assert (run / "notes.txt").read_text() == "mine\n"
    rep = json.loads((run / "report.json").read_text())
    assert [m["value"] for m in rep["markouts"] if m["kind"] == "time"] == [5 * 10**9]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_forced_report_without_plots_into_an_earlier_reports_folder_drops_its_plots(tmp_path, capsys):
    """The same into ``-o OUT --force`` holding an earlier report (with plots) and a file of the user's."""
    run = run_dir(tmp_path)
    out = tmp_path / "o"
    assert main(["report", str(run), "-o", str(out), "-q"]) == 0
    assert _names(out) == sorted(PLOTS + ["fills.csv", "report.html", "report.json"])
    (out / "notes.txt").write_text("mine\n")
    assert main(["report", str(run), "-o", str(out), "--force", "--no-plots", "-q"]) == 0
    assert _names(out) == ["fills.csv", "notes.txt", "report.json"]


def test_a_report_with_fewer_plots_drops_the_earlier_reports_extra_plot(tmp_path, capsys):
    """The second case: a 10000-event toxic horizon is past every fill of the 300-event store, so no fill has a
    signal bucket and the report draws no signals.png: the earlier one goes (it showed 1s buckets)."""
    run = run_dir(tmp_path)
    capsys.readouterr()
    assert main(["report", str(run), "--toxic-horizon", "10000ev", "-q"]) == 0
    assert capsys.readouterr().out == ("wrote fills.csv, information_age.png, markouts.png, pnl.png, report.html, "
                                       f"report.json to {run}\n")
    assert _names(run) == sorted(ARRAYS + ["fills.csv", "information_age.png", "markouts.png", "pnl.png",
                                           "report.html", "report.json"])


def test_an_interrupted_report_without_plots_keeps_the_earlier_report_whole(tmp_path, monkeypatch, capsys):
    """Ctrl-C-safe: interrupted before the commit, the earlier report (its plots included) is as it was."""
    run = run_dir(tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir()}

    real = Report.save

    def save_then_ctrl_c(self, outdir, **kw):
        real(self, outdir, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(Report, "save", save_then_ctrl_c)
    capsys.readouterr()
    assert main(["report", str(run), "--no-plots", "-q"]) == 130
    assert capsys.readouterr().err == "mmsim: interrupted\n"
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_files_in_a_folder_without_an_earlier_report_are_not_removed(tmp_path):
    """Only an earlier report's files go: a folder given with --force that holds no report.json keeps a pnl.png of
    the user's (it is not known to be a report's)."""
    run = run_dir(tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "pnl.png").write_bytes(b"my plot")
    assert main(["report", str(run), "-o", str(out), "--force", "--no-plots", "-q"]) == 0
    assert _names(out) == ["fills.csv", "pnl.png", "report.json"]
    assert (out / "pnl.png").read_bytes() == b"my plot"


# --------------------------------------------------------------------------- 2. parents created, then removed


def _config(tmp_path: Path) -> Path:
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(json.dumps({"data": str(st), "strategy": {"path": FIXED_SPREAD,
                                                             "params": {"half_spread": 1, "size": 1}}}))
    return cfg


def test_a_report_failing_at_render_time_removes_the_parents_it_created(tmp_path, monkeypatch, capsys):
    run = run_dir(tmp_path)
    before = _names(tmp_path)
    monkeypatch.setattr(Report, "to_html", _disk_full)
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(tmp_path / "a" / "b" / "c"), "-q"]) == 1
    # the output folder named (breaker35 F3: it read "[Errno 28] No space left on device")
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'a' / 'b' / 'c'}: no space left on device\n"
    assert _names(tmp_path) == before  # no a/, no a/b/


def test_an_interrupted_run_removes_the_parents_it_created(tmp_path, monkeypatch, capsys):
    cfg = _config(tmp_path)
    before = _names(tmp_path)
    monkeypatch.setattr(Report, "to_html", _interrupted)
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(tmp_path / "a" / "b" / "c"), "-q"]) == 130
    assert capsys.readouterr().err == "mmsim: interrupted\n"
    assert _names(tmp_path) == before


def test_only_the_parents_it_created_and_only_if_still_empty(tmp_path, monkeypatch, capsys):
    """``a/`` existed (kept, though empty); ``a/b/x/`` was created, but a file appeared in ``a/b/`` meanwhile:
    ``a/b/`` keeps it, only ``a/b/x/`` (still empty) goes."""
    cfg = _config(tmp_path)
    (tmp_path / "a").mkdir()

    def someone_writes_then_ctrl_c(self):
        (tmp_path / "a" / "b" / "theirs.txt").write_text("x\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(Report, "to_html", someone_writes_then_ctrl_c)
    assert main(["run", str(cfg), "-o", str(tmp_path / "a" / "b" / "x" / "c"), "-q"]) == 130
    assert _names(tmp_path / "a") == ["b"]
    assert _names(tmp_path / "a" / "b") == ["theirs.txt"]


# --------------------------------------------------------------------------- 3. -o a symbolic link that loops


def test_report_into_a_link_to_itself_is_a_usage_error_naming_it(tmp_path, capsys):
    run = run_dir(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(link)
    before = _names(tmp_path)
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(link), "-q"]) == 2
    assert capsys.readouterr().err == (f"mmsim report: error: {link}: a symbolic link that loops (following it "
                                       "never ends); choose another -o\n")
    assert _names(tmp_path) == before and link.is_symlink()


def test_run_into_a_loop_of_two_links_is_a_usage_error_naming_it(tmp_path, capsys):
    cfg = _config(tmp_path)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    before = _names(tmp_path)
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(tmp_path / "a"), "-q", "--no-report"]) == 2
    assert capsys.readouterr().err == (f"mmsim run: error: {tmp_path / 'a'}: a symbolic link that loops (following it "
                                       "never ends); choose another -o\n")
    assert _names(tmp_path) == before


def test_run_into_a_folder_under_a_link_that_loops_names_the_link(tmp_path, capsys):
    cfg = _config(tmp_path)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    before = _names(tmp_path)
    out = tmp_path / "loop" / "sub" / "r"
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(out), "-q", "--no-report"]) == 2
    assert capsys.readouterr().err == (f"mmsim run: error: {out}: {tmp_path / 'loop'} is a symbolic link that loops "
                                       "(following it never ends); choose another -o\n")
    assert _names(tmp_path) == before


def test_report_into_a_dangling_link_writes_where_it_points(tmp_path, capsys):
    """docs/config.md: a link to a directory that does not exist is written where it points (created, with its
    missing parents), as a link to one that exists; the link stays."""
    run = run_dir(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing" / "dir", target_is_directory=True)
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(link), "--no-plots", "-q"]) == 0
    assert capsys.readouterr().out == f"wrote fills.csv, report.json to {link}\n"
    assert link.is_symlink() and _names(tmp_path / "missing" / "dir") == ["fills.csv", "report.json"]


def test_a_failed_report_into_a_dangling_link_removes_what_it_created(tmp_path, monkeypatch, capsys):
    """The second case: failing, it leaves the link dangling as it was (no missing/ created)."""
    run = run_dir(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing" / "dir", target_is_directory=True)
    before = _names(tmp_path)
    monkeypatch.setattr(Report, "to_html", _disk_full)
    assert main(["report", str(run), "-o", str(link), "-q"]) == 1
    assert _names(tmp_path) == before and link.is_symlink()


def test_a_loop_is_refused_before_the_report_is_computed(tmp_path, monkeypatch, capsys):
    """The check comes before the work: no report is computed for an output that cannot be written."""
    import mmsim.report as report_module

    run = run_dir(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "link")
    calls: list[int] = []
    real = report_module.make_report
    monkeypatch.setattr(report_module, "make_report", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert main(["report", str(run), "-o", str(tmp_path / "link"), "-q"]) == 2
    assert calls == []


def test_sweep_into_a_link_that_loops_is_a_usage_error_naming_it(tmp_path, capsys):
    """``mmsim sweep GRID -o LINK`` (its own output folder, not staged) refuses a looping link the same way."""
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {st}\n  strategy: {{path: join_best}}\naxes:\n  latency.feed: [0ms]\n")
    link = tmp_path / "link"
    link.symlink_to(link)
    before = _names(tmp_path)
    capsys.readouterr()
    assert main(["sweep", str(grid), "--workers", "0", "-q", "-o", str(link)]) == 2
    assert capsys.readouterr().err == (f"mmsim sweep: error: {link}: a symbolic link that loops (following it never "
                                       "ends); choose another -o\n")
    assert _names(tmp_path) == before


def test_every_file_a_report_writes_is_a_report_file(tmp_path):
    """REPORT_FILES is the set a later report replaces: the run's report (four plots) writes none outside it."""
    from mmsim.report import REPORT_FILES

    run = run_dir(tmp_path)
    assert sorted(set(_names(run)) - set(ARRAYS)) == sorted(set(PLOTS) | {"fills.csv", "report.html",
                                                                          "report.json"})
    assert set(PLOTS) | {"fills.csv", "report.html", "report.json"} <= set(REPORT_FILES)
    assert len(REPORT_FILES) == 8 and REPORT_FILES[:2] == ("report.json", "fills.csv")
