"""fix36d (breaker36 F9): a full disk during ``mmsim report`` or ``convert`` names the file being written, as
``mmsim run`` does (fix34s): a write to an open file (``[Errno 28] No space left on device``) carries no file name, and
the line named the output folder only. The writers know the path: each names its file where it was to go (not the
hidden staged folder)."""

from __future__ import annotations

import errno
import pathlib
from pathlib import Path

import pytest
from test_fix34l_lobster_repairs import DAY
from test_outdir18 import run_dir

import mmsim.data.store as store_mod
import mmsim.report as report_mod
from mmsim.cli import main


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")  # as file.write raises it: no filename


def test_report_names_fills_csv(tmp_path, monkeypatch, capsys):
    run = run_dir(tmp_path)
    monkeypatch.setattr(report_mod, "write_fills_csv", _full)
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(tmp_path / "rep"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'rep' / 'fills.csv'}: no space left on device\n"
    assert not (tmp_path / "rep").exists()


def test_report_names_report_html(tmp_path, monkeypatch, capsys):
    """The second file of the kind: the HTML, written last."""
    run = run_dir(tmp_path)
    real = pathlib.Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "report.html":
            _full()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(tmp_path / "rep"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'rep' / 'report.html'}: no space left on device\n"
    assert not (tmp_path / "rep").exists()


def _lobster(tmp_path: Path) -> Path:
    (tmp_path / DAY.format("message")).write_text("34200.000000000,1,2,100,2201000,-1\n"
                                                  "34201.000000000,1,3,10,2200000,1\n")
    (tmp_path / DAY.format("orderbook")).write_text("2201000,100,2200000,100\n2201000,100,2200000,110\n")
    return tmp_path / DAY.format("message")


class _FullFile:
    """An open file whose writes fail as on a full disk."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        _full()

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.mark.parametrize("name", ["events.npy", "meta.json"])
def test_convert_names_the_store_s_file(tmp_path, monkeypatch, capsys, name):
    msg = _lobster(tmp_path)
    if name == "events.npy":
        real_init = store_mod.EventStoreWriter.__init__

        def init(self, *args, **kwargs):
            real_init(self, *args, **kwargs)
            self._fh = _FullFile(self._fh)

        monkeypatch.setattr(store_mod.EventStoreWriter, "__init__", init)
    else:
        real = pathlib.Path.write_text

        def write_text(self, *args, **kwargs):
            if self.name == "meta.json":
                _full()
            return real(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    capsys.readouterr()
    assert main(["convert", "--format", "lobster", str(msg), "-o", str(tmp_path / "st"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'st' / name}: no space left on device\n"
    assert not (tmp_path / "st").exists()


def test_synth_names_events_npy(tmp_path, monkeypatch, capsys):
    """``mmsim synth`` writes through the same store writer: its store's file is named too."""
    real_init = store_mod.EventStoreWriter.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._fh = _FullFile(self._fh)

    monkeypatch.setattr(store_mod.EventStoreWriter, "__init__", init)
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\n")
    capsys.readouterr()
    assert main(["synth", str(cfg), "-o", str(tmp_path / "s"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 's' / 'events.npy'}: no space left on device\n"
    assert not (tmp_path / "s").exists()


def test_queue_score_names_queue_score_json(tmp_path, monkeypatch, capsys):
    """``mmsim queue-score`` writes its own files before the report's: named too (staged, named where they go)."""
    from test_fix36d_queue_reference import BOOKS, MSGS

    from test_fix34l_lobster_repairs import _store

    st = _store(tmp_path / "d", MSGS, BOOKS)
    real = pathlib.Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "queue_score.json":
            _full()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    capsys.readouterr()
    assert main(["queue-score", str(st.path), "-o", str(tmp_path / "q"), "--models", "risk_averse", "--no-fit",
                 "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'q' / 'queue_score.json'}: no space left on device\n"
    assert not (tmp_path / "q").exists()
