"""A strategy file that is not found: the error lists every place searched, in search order.

A relative ``file.py:Name`` in a config is looked for beside the config (the grid, the base
config) first, then in the working directory; ``mmsim run``, ``mmsim sweep``, ``mmsim
queue-score`` and the Python API (``run_config(..., base_dir=)``, ``load_strategy(...,
base_dir=)``) said only the working directory's path, or listed two with no word of which is which.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

import mmsim
from mmsim.cli import main
from mmsim.config import load_yaml
from mmsim.errors import ConfigError
from mmsim.runner import run_config

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("search") / "store"
    write_store(SynthConfig(seed=3, duration=5 * S), path)
    return path


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A config folder and another working directory."""
    cfg, work = tmp_path / "cfg", tmp_path / "work"
    cfg.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    return cfg, work


def _run_yaml(cfg: Path, store: Path, path: str) -> Path:
    p = cfg / "run.yaml"
    p.write_text(f"data: {store}\nstrategy:\n  path: {path}\n  params: {{half_spread: 1, size: 1}}\n")
    return p


@pytest.mark.parametrize("command", ["run", "queue-score"])
def test_run_names_the_config_folder_then_the_working_directory(store, dirs, capsys, command):
    cfg, work = dirs
    run = _run_yaml(cfg, store, "strats/mine.py:Mine")
    assert main([command, str(run), "-q", "-o", str(work / "out")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy file not found: strats/mine.py; looked in the config's folder, "
        f"{cfg}/strats/mine.py, then in the working directory, {work}/strats/mine.py ({run} line 3)\n")
    # Found in the working directory, it is that one (as before).
    (work / "strats").mkdir()
    (work / "strats" / "mine.py").write_text(f"from mmsim.plugins import resolve_strategy\n"
                                             f"Mine = resolve_strategy({FIXED_SPREAD!r})\n")
    assert load_yaml(run).strategy.path == "strats/mine.py:Mine"
    assert main([command, str(run), "-q", "-o", str(work / "out")]) == 0


def test_the_config_in_the_working_directory_is_named_once(store, dirs, capsys):
    cfg, work = dirs
    run = _run_yaml(work, store, "nope.py:X")
    assert main(["run", "run.yaml", "-q"]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy file not found: nope.py; looked in the config's folder and the working "
        f"directory, {work}/nope.py (run.yaml line 3)\n")
    assert run.is_file()


def test_queue_score_strategy_flag_replaces_a_missing_config_strategy(store, dirs, capsys):
    cfg, work = dirs
    run = _run_yaml(cfg, store, "strats/mine.py:Mine")
    # The flag's file is the working directory's only; the config's own (missing) one is not looked for.
    assert main(["queue-score", str(run), "-q", "-o", str(work / "out"), "--strategy", "flag.py:X"]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: strategy file not found: flag.py; looked in the working directory, {work}/flag.py\n")


def test_sweep_axis_and_point_name_the_grid_folder(store, dirs, capsys):
    cfg, work = dirs
    grid = cfg / "grid.yaml"
    base = f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
    grid.write_text(base + "axes:\n  strategy.path: ['other.py:Other']\n")
    assert main(["sweep", str(grid), "-q", "-o", str(work / "sw")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy file not found: other.py; looked in the grid's folder, "
        f"{cfg}/other.py, then in the working directory, {work}/other.py — in 1 of 1 points "
        "(strategy.path=other.py:Other); no point ran\n")
    grid.write_text(base + "points:\n  - {strategy: {path: 'sub/p.py:P', params: {size: 1}}}\n")
    assert main(["sweep", str(grid), "-q", "-o", str(work / "sw")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy file not found: sub/p.py; looked in the grid's folder, "
        f"{cfg}/sub/p.py, then in the working directory, {work}/sub/p.py — in 1 of 1 points "
        "(strategy=P(size=1)); no point ran\n")


def test_sweep_base_names_its_own_folder(store, dirs, capsys, tmp_path):
    cfg, work = dirs
    _run_yaml(cfg, store, "strats/mine.py:Mine")
    gdir = tmp_path / "grids"
    gdir.mkdir()
    grid = gdir / "grid.yaml"
    grid.write_text("base_config: ../cfg/run.yaml\naxes:\n  latency.entry: [0ms, 1ms]\n")
    assert main(["sweep", str(grid), "-q", "-o", str(work / "sw")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy file not found: strats/mine.py; looked in the base config's folder, "
        f"{cfg}/strats/mine.py, then in the working directory, {work}/strats/mine.py — in 2 of 2 points "
        "(latency.entry=0ms; latency.entry=1ms); no point ran\n")
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: m.py:M}}\naxes:\n  latency.entry: [0ms, 1ms]\n")
    assert main(["sweep", str(grid), "-q", "-o", str(work / "sw")]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: strategy file not found: m.py; looked in the grid's folder, {gdir}/m.py, then "
        f"in the working directory, {work}/m.py — in 2 of 2 points (latency.entry=0ms; latency.entry=1ms); "
        "no point ran\n")


def test_python_api_names_every_place(store, dirs):
    cfg, work = dirs
    run = _run_yaml(cfg, store, "strats/mine.py:Mine")
    with pytest.raises(ConfigError) as exc:
        run_config(load_yaml(run), base_dir=run.parent)
    assert str(exc.value) == (f"strategy file not found: strats/mine.py; looked in the config's folder, "
                              f"{cfg}/strats/mine.py, then in the working directory, {work}/strats/mine.py")
    with pytest.raises(ConfigError) as exc:  # without base_dir: what run_config looks at, the working directory
        run_config(load_yaml(run))
    assert str(exc.value) == f"strategy file not found: strats/mine.py; looked in the working directory, " \
                             f"{work}/strats/mine.py"
    with pytest.raises(ConfigError) as exc:
        mmsim.load_strategy("x.py:X", base_dir=cfg)
    assert str(exc.value) == (f"strategy file not found: x.py; looked in base_dir, {cfg}/x.py, then in the working "
                              f"directory, {work}/x.py")
    with pytest.raises(ConfigError) as exc:
        mmsim.load_strategy("x.py:X")
    assert str(exc.value) == f"strategy file not found: x.py; looked in the working directory, {work}/x.py"


def test_a_strategy_that_fails_to_build_names_its_config_line_and_its_own_line(store, dirs, capsys):
    """The newcomer's: a numba rule with a typo and a plugin that fails at import said neither the config's
    line nor the plugin's; a strategy built from the config names the strategy's line of the config, and an
    import failure the plugin's own line."""
    cfg, work = dirs
    (cfg / "typo.py").write_text(
        "from numba import njit\nfrom mmsim.numba_strategy import numba_strategy\n\n\n@njit\n"
        "def typo_rule(view, params, state, out):\n    out.bid_px = view.best_bidd\n    return 1\n\n\n"
        "Typo = numba_strategy(typo_rule, params={'half_spread': 1.0, 'size': 1.0}, name='Typo')\n")
    run = _run_yaml(cfg, store, "typo.py:Typo")
    assert main(["run", str(run), "-q", "-o", str(work / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mmsim: error: strategy Typo: the rule typo_rule(view, params, state, out) does not compile")
    assert err.endswith(f"({run} line 3)\n")
    (cfg / "bad.py").write_text("import mmsim\n\nX = 1 / 0\n")
    run = _run_yaml(cfg, store, "bad.py:X")
    assert main(["run", str(run), "-q", "-o", str(work / "out")]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: strategy file {cfg / 'bad.py'} failed to import: "
                                       "ZeroDivisionError: division by zero (bad.py line 3)\n")
