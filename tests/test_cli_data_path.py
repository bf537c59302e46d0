"""A `data:` (or --data) that is not an event store: a config error naming where the path was written.

`mmsim run`, `queue-score` and `sweep` exit 2 alike, end the message with the config file's
line (or name --data), and never advise converting onto an existing file or directory.
"""

from __future__ import annotations

from pathlib import Path

from mmsim.cli import main

FORMATS = ("(--format lobster for TICKER_DATE_*_message_LEVEL.csv; --format binance for SYMBOL_DATE.gz (a "
           "collector capture); --format databento for FILE.mbo.dbn.zst (or its CSV); --format tardis for "
           "incremental_book_L2_*.csv.gz [trades_*.csv.gz]; --format hftbacktest for FILE.npz)")
NOT_A_STORE = "not an event store (a directory with events.npy and meta.json)"


def _config(tmp: Path, data: Path | str, name: str = "bad.yaml") -> Path:
    p = tmp / name
    p.write_text(f"output: {tmp / 'out'}\nstrategy: {{path: fixed_spread}}\ndata: {data}\n")
    return p


def _err(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    return cap.err


def test_the_issue_a_text_file_as_data_is_a_config_error_at_its_line(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# data\n")
    cfg = _config(tmp_path, readme)
    err = _err(capsys, ["run", str(cfg), "-q"])
    assert err == (f"mmsim: config error: data: {readme}: a file, {NOT_A_STORE}; name a store made by "
                   f"`mmsim convert` or `mmsim synth` ({cfg} line 3)\n")
    assert not (tmp_path / "out").exists()
    # queue-score reads the same config the same way.
    assert _err(capsys, ["queue-score", str(cfg), "-q", "-o", str(tmp_path / "qs")]) == err


def test_a_raw_file_as_data_says_to_convert_it_into_a_new_store(tmp_path, capsys):
    gz = tmp_path / "BTCUSDT_2024-01-02.gz"
    gz.write_bytes(b"\x1f\x8b")
    cfg = _config(tmp_path, gz)
    assert _err(capsys, ["run", str(cfg), "-q"]) == (
        f"mmsim: config error: data: {gz}: a file, {NOT_A_STORE}; if it is raw market data, make a store of it: "
        f"`mmsim convert {gz} -o stores/BTCUSDT_2024-01-02 --format FORMAT` {FORMATS}, then give "
        f"stores/BTCUSDT_2024-01-02 ({cfg} line 3)\n")
    # The name tells the format: a Databento file gets --format databento, and --data names the flag.
    dbn = tmp_path / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
    dbn.write_bytes(b"")
    assert _err(capsys, ["run", str(cfg), "-q", "--data", str(dbn)]) == (
        f"mmsim: config error: --data {dbn}: a file, {NOT_A_STORE}; if it is raw market data, make a store of it: "
        f"`mmsim convert {dbn} -o stores/esh4-glbx-mdp3-20231225 --format databento`, then give "
        "stores/esh4-glbx-mdp3-20231225\n")


def test_a_directory_of_raw_files_a_missing_one_and_an_empty_one(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("b_message_10.csv", "a_message_10.csv", "notes.txt"):
        (raw / name).write_text("x\n")
    cfg = _config(tmp_path, raw)
    assert _err(capsys, ["run", str(cfg), "-q"]) == (
        f"mmsim: config error: data: {raw}: a directory but {NOT_A_STORE}; it holds raw files (a_message_10.csv, "
        f"b_message_10.csv): make a store of one with `mmsim convert {raw / 'a_message_10.csv'} -o "
        f"stores/a_message_10 --format lobster`, then give stores/a_message_10 ({cfg} line 3)\n")
    # A missing path may be made in place: the advice converts onto it, and --data is named.
    missing = tmp_path / "nowhere"
    assert _err(capsys, ["run", str(cfg), "-q", "--data", str(missing)]) == (
        f"mmsim: config error: --data {missing}: no such directory; make it with `mmsim convert SRC... -o {missing} "
        f"--format FORMAT` {FORMATS}, or `mmsim synth -o {missing}` for a synthetic market\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _err(capsys, ["run", str(_config(tmp_path, empty, "e.yaml")), "-q"]).startswith(
        f"mmsim: config error: data: {empty}: an empty directory, {NOT_A_STORE}; make it with `mmsim convert SRC... "
        f"-o {empty} --format FORMAT`")


def test_a_sweep_names_the_line_of_the_base_config_or_the_axis_value(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# data\n")
    base = _config(tmp_path, readme, "base.yaml")
    grid = tmp_path / "grid.yaml"
    grid.write_text("base_config: base.yaml\naxes:\n  latency.feed: [0ms, 1ms]\n")
    assert _err(capsys, ["sweep", str(grid), "-q", "-o", str(tmp_path / "sw")]) == (
        f"mmsim: config error: data: {readme}: a file, {NOT_A_STORE}; name a store made by `mmsim convert` or "
        f"`mmsim synth` ({base} line 3) — in 2 of 2 points (latency.feed=0ms; latency.feed=1ms); no point ran\n")
    grid.write_text(f"base:\n  strategy: {{path: fixed_spread}}\naxes:\n  data:\n    - {tmp_path / 'nowhere'}\n"
                    f"    - {readme}\n")
    err = _err(capsys, ["sweep", str(grid), "-q", "-o", str(tmp_path / "sw")])
    assert err.startswith(f"mmsim: config error: axes.data[0]: data: {tmp_path / 'nowhere'}: no such directory; ")
    # the item's own line (sweep10: an item of a block list is located at its line, not its key's, line 4)
    assert err.endswith(f"for a synthetic market ({grid} line 5) — in 1 of 2 points (data={tmp_path / 'nowhere'}); "
                        f"no point ran (1 other problem too:\n  axes.data[1]: data: {readme}: a file, {NOT_A_STORE}; "
                        f"name a store made by `mmsim convert` or `mmsim synth` ({grid} line 6) — in 1 of 2 points "
                        f"(data={readme}))\n")
