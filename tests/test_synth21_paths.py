"""synth21 (breaker20): every path a command writes to goes through the same checks, from ``-o`` or a file's key.

B. A run config's and a grid's ``output:`` key: a ``..`` out of a missing folder, a file on the way and a symbolic
   link that loops are refused naming the key and the file line, exit 2, nothing written (they were resolved
   first: ``emp3/nosub/..`` wrote into ``emp3``, ``afile/../r6`` wrote ``./r6``, a looping link raised RuntimeError).
O. A dangling link before a ``..`` is named with where it points.
"""

from __future__ import annotations

import os
from pathlib import Path

FIXED = Path(__file__).resolve().parents[1] / "strategies" / "fixed_spread.py"
UP = "No such file or directory (the path goes up out of it with ..); create it, or choose another"
FILE = "is a file, not a folder: nothing can be written under it; choose another"


def _config(path: Path, store: Path, output: str) -> Path:
    path.write_text(f"data: {store}\noutput: {output}\n"
                    f"strategy: {{path: {FIXED}:FixedSpread, params: {{half_spread: 1, size: 1}}}}\n")
    return path


def test_a_run_configs_output_going_up_out_of_a_missing_folder_is_refused_naming_the_key(store, tmp_path,
                                                                                         monkeypatch, capsys):
    from mmsim.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "emp3").mkdir()
    _config(tmp_path / "e3.yaml", store, "emp3/nosub/..")
    assert main(["run", "e3.yaml", "--no-report", "-q"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: emp3/nosub/..: emp3/nosub: {UP} output (e3.yaml line 2)\n"
    assert os.listdir(tmp_path / "emp3") == []
    # The same kind: the config in another folder (its relative output read against that folder, named so).
    (tmp_path / "sub").mkdir()
    _config(tmp_path / "sub" / "o1.yaml", store, "nosub/../r5")
    assert main(["run", "sub/o1.yaml", "--no-report", "-q"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: nosub/../r5: sub/nosub: {UP} output (sub/o1.yaml line 2)\n"
    assert sorted(os.listdir(tmp_path)) == ["e3.yaml", "emp3", "sub"] and os.listdir(tmp_path / "sub") == ["o1.yaml"]


def test_a_run_configs_output_under_a_file_or_through_a_looping_link_is_refused_naming_the_key(store, tmp_path,
                                                                                               monkeypatch, capsys):
    from mmsim.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    _config(tmp_path / "o4.yaml", store, "afile/../r6")  # -o afile/../r6 was refused; the key wrote ./r6
    assert main(["run", "o4.yaml", "--no-report", "-q"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: afile/../r6: afile {FILE} output (o4.yaml line 2)\n"
    os.symlink("loop", tmp_path / "loop")
    _config(tmp_path / "o5.yaml", store, "loop/x")  # was RuntimeError: Symlink loop, a traceback
    assert main(["run", "o5.yaml", "--no-report", "-q"]) == 2
    assert capsys.readouterr().err == ("mmsim: config error: output: loop/x: loop is a symbolic link that loops "
                                       "(following it never ends); choose another output (o5.yaml line 2)\n")
    assert sorted(os.listdir(tmp_path)) == ["afile", "loop", "o4.yaml", "o5.yaml"]


def test_a_grids_output_is_checked_as_minus_o_naming_the_key(store, tmp_path, monkeypatch, capsys):
    from mmsim.cli import main

    monkeypatch.chdir(tmp_path)
    grid = (f"base:\n  data: {store}\n  strategy: {{path: {FIXED}:FixedSpread, params: {{half_spread: 1, size: 1}}}}\n"
            "axes:\n  latency.feed: [1ms, 2ms]\noutput: ")
    (tmp_path / "o2.yaml").write_text(grid + "nosub/../q\n")  # wrote ./q/results.jsonl
    assert main(["sweep", "o2.yaml", "-q", "--workers", "0"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: nosub/../q: nosub: {UP} output (o2.yaml line 6)\n"
    (tmp_path / "afile").write_text("")
    (tmp_path / "o3.yaml").write_text(grid + "afile/sw\n")
    assert main(["sweep", "o3.yaml", "-q", "--workers", "0"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: afile/sw: afile {FILE} output (o3.yaml line 6)\n"
    assert sorted(os.listdir(tmp_path)) == ["afile", "o2.yaml", "o3.yaml"]


def test_a_dangling_link_before_a_dotdot_is_named_with_where_it_points(store, tmp_path, monkeypatch, capsys):
    from mmsim.cli import main

    monkeypatch.chdir(tmp_path)
    os.symlink("target", tmp_path / "dangl")
    _config(tmp_path / "c.yaml", store, "out")
    assert main(["run", "c.yaml", "-q", "-o", "dangl/.."]) == 2
    assert capsys.readouterr().err == f"mmsim run: error: dangl/..: dangl -> target: {UP} -o\n"
    _config(tmp_path / "d.yaml", store, "dangl/../r")
    assert main(["run", "d.yaml", "-q"]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: output: dangl/../r: dangl -> target: {UP} output (d.yaml line 2)\n"
    assert sorted(os.listdir(tmp_path)) == ["c.yaml", "d.yaml", "dangl"]


def test_compare_seed_below_zero_does_not_offer_none_on_the_command_line(tmp_path, capsys):
    """breaker20 I: ``mmsim compare --seed -1`` said ``(or None)``, which a command line cannot give."""
    from mmsim.cli import main

    # Digits echoed bare, any other form quoted (fix28b: one rule for flags and config files).
    for written, shown in (("-1", "-1"), ("-2.0", "'-2.0'")):
        assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--seed", written]) == 2
        assert capsys.readouterr().err == f"mmsim: config error: --seed must be a non-negative integer, got {shown}\n"
