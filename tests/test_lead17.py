"""Second cases of breaker17d's kinds, fixed by the lead: a sweep's in-process store cache, ``mmsim report`` onto a
file, an output given as a symbolic link."""

from __future__ import annotations

import json

from test_breaker17d import FIXED_SPREAD, META, l2_events
from test_report_staged import _run

from mmsim.data.store import write_store


def test_a_second_sweep_in_a_process_reads_a_meta_json_edited_since(tmp_path):
    """The sweep's store cache knew a store by its events.npy alone: a ``contract_size`` edited in meta.json between
    two in-process sweeps (the events, and their digest, unchanged) kept the first sweep's PnL. The cache's stamp
    has the meta.json's too now: the same fills, the PnL 10 times the first's."""
    from mmsim.data._meta_digest import meta_digest
    from mmsim.sweep import run_sweep

    write_store(tmp_path / "s", l2_events(), dict(META))
    grid = {"base": {"strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}},
                     "report": {"horizons": ["1s"]}, "data": str(tmp_path / "s")},
            "axes": {"latency.entry": ["1ms", "2ms"]}}
    first = run_sweep(grid, workers=0)
    p = tmp_path / "s" / "meta.json"
    meta = json.loads(p.read_text())
    meta["contract_size"] = 10.0
    meta["meta_digest"] = meta_digest(meta)  # as a store written with it would have (fix34c)
    p.write_text(json.dumps(meta))
    second = run_sweep(grid, workers=0)
    assert [r["fills.count"] for r in second] == [r["fills.count"] for r in first]
    assert all(r["fills.count"] > 0 for r in first)
    assert [r["pnl.total"] for r in second] == [10 * r["pnl.total"] for r in first]


def test_report_forced_onto_a_link_to_a_file_is_refused_naming_it(tmp_path, capsys):
    """The second case of ``-o FILE --force``: ``-o`` a symbolic link to a file; refused, the file as it was."""
    from mmsim.cli import main

    run = _run(tmp_path)
    f = tmp_path / "notes.txt"
    f.write_text("mine\n")
    (tmp_path / "link").symlink_to(f)
    capsys.readouterr()
    rc = main(["report", str(run), "-o", str(tmp_path / "link"), "--force", "--no-plots", "-q"])
    err = capsys.readouterr().err
    assert (rc, f.read_text()) == (2, "mine\n")
    assert err == (f"mmsim report: error: {tmp_path / 'link'}: a file, not a directory: the report writes a folder "
                   "of files; choose another -o\n")


def test_a_forced_report_into_a_link_to_a_previous_report_writes_where_it_points(tmp_path, capsys):
    """The second case of a forced output through a symbolic link (breaker17d's run): ``mmsim report RUN -o link
    --force``, ``link -> real/`` holding a previous report: the new report is in ``real/``, the link stays a link,
    nothing hidden is left beside them."""
    from mmsim.cli import main

    run = _run(tmp_path)
    real = tmp_path / "real"
    assert main(["report", str(run), "-o", str(real), "--no-plots", "-q"]) == 0
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    assert main(["report", str(run), "-o", str(tmp_path / "link"), "--force", "--horizons", "5s", "--no-plots",
                 "-q"]) == 0
    assert (tmp_path / "link").is_symlink() and sorted(p.name for p in real.iterdir()) == ["fills.csv", "report.json"]
    got = json.loads((real / "report.json").read_text())
    assert [m["value"] for m in got["markouts"] if m["kind"] == "time"] == [5 * 10**9]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
