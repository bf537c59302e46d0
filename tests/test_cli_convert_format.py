"""A file converted with the wrong --format: the loader's error, then which format the file looks like (the
newcomer's: `--format binance` on a Databento CSV said only `line 1: malformed row`)."""

from __future__ import annotations

import gzip

from conftest import shared_data

from mmsim.cli import main
from mmsim.cli.convert import looks_like


def test_a_databento_csv_converted_as_binance_names_its_format(tmp_path, capsys):
    src = shared_data("databento", "esh4_mbo_20231225.csv.gz")
    assert main(["convert", str(src), "-o", str(tmp_path / "s"), "--format", "binance"]) == 1
    assert capsys.readouterr().err == (
        f"mmsim: error: {src}: line 1: malformed row: expected 'local_ts {{json}}'; {src} looks like a databento file: "
        "--format databento?\n")


def test_a_binance_capture_converted_as_tardis_names_its_format(tmp_path, capsys):
    src = shared_data("binance", "usdm", "btcusdt_20240808.gz")
    assert main(["convert", str(src), "-o", str(tmp_path / "s"), "--format", "tardis"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mmsim: error: {src}")
    assert err.endswith(f"; {src} looks like a binance file: --format binance?\n")


def test_what_files_look_like(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n")
    assert looks_like(csv) == "tardis"
    gz = tmp_path / "y.gz"
    with gzip.open(gz, "wt") as f:
        f.write('1723161256123456789 {"lastUpdateId": 1}\n')
    assert looks_like(gz) == "binance"
    lob = tmp_path / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
    lob.write_text("34200.017459617,5,0,1,2238200,-1\n")
    assert looks_like(lob) == "lobster"
    assert looks_like(tmp_path / "z.dbn.zst") == "databento" and looks_like(tmp_path / "e.npz") == "hftbacktest"
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    assert looks_like(other) is None and looks_like(tmp_path / "missing.csv") is None
