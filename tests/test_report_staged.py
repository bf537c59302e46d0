"""mmsim report writes its output whole or not at all (newcomer17): staged in a hidden sibling and moved in once
every file is there, as mmsim run's output is (docs/config.md, "An output directory is written whole or not at
all"). The second case of newcomer17's kind: ``-o`` a folder that already holds a previous report and a file of
the user's, with ``--force``."""

from __future__ import annotations

import json

from test_newcomer17 import run_dir as _run


def _files(d):
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}


def test_a_forced_report_into_a_folder_is_all_or_nothing_and_keeps_the_users_files(tmp_path, monkeypatch, capsys):
    from mmsim.cli import main
    from mmsim.report import Report

    run = _run(tmp_path)
    out = tmp_path / "o"
    assert main(["report", str(run), "-o", str(out), "--no-plots", "-q"]) == 0
    (out / "notes.txt").write_text("mine\n")
    before = _files(out)
    assert sorted(before) == ["fills.csv", "notes.txt", "report.json"]

    def interrupted(self):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # interrupted after report.json, fills.csv and the PNGs, before report.html
        m.setattr(Report, "to_html", interrupted)
        capsys.readouterr()
        rc = main(["report", str(run), "-o", str(out), "--force", "--horizons", "5s", "-q"])
        assert (rc, capsys.readouterr().err) == (130, "mmsim: interrupted\n")
    assert _files(out) == before  # not one file of the interrupted report
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staged folder left behind
    assert main(["report", str(run), "-o", str(out), "--force", "--horizons", "5s", "-q"]) == 0
    after = _files(out)
    assert after["notes.txt"] == b"mine\n" and "report.html" in after
    assert [m["value"] for m in json.loads(after["report.json"])["markouts"] if m["kind"] == "time"] == [5 * 10**9]
    assert capsys.readouterr().out.endswith(f" to {out}\n")  # the files are named where they are, not staged
