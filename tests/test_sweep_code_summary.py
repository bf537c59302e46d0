"""After a strategy's code changes, the sweep says so on stderr and in its summary line.

The newcomer's case: a grid of 6 points, 3 of an edited plugin; the summary read `3 run now, 3
reused ... (same strategy code ...)` with the note far above the table. A constant imported
from a helper (`from consts import SIZE`) was not covered by the fingerprint at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmsim.cli import main as cli_main
from mmsim.plugins import resolve_strategy
from mmsim.sweep import RESULTS_FILE
from mmsim.sweep.code import code_fingerprint

S = 1_000_000_000

PLUGIN = """import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mmsim
from {consts} import SIZE


class Cls(mmsim.Strategy):
    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        return mmsim.Quote(view.best_bid, SIZE, view.best_ask, SIZE)
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("codesum")
    write_store(SynthConfig(seed=3, duration=5 * S, format="l2"), d / "store")
    return d / "store"


def _grid(tmp_path: Path, store: Path, spec: str) -> Path:
    grid = {"base": {"data": str(store), "decide_every": "100ms", "report": {"horizons": ["1s"]}},
            "axes": {"strategy": [{"path": spec}, {"path": "fixed_spread", "params": {"half_spread": 1, "size": 1}}],
                     "latency.feed": ["0ms", "1ms", "5ms"]}}
    path = tmp_path / "grid.yaml"
    path.write_text(json.dumps(grid))
    return path


def _resume_after_edit(tmp_path, store, capsys, spec: str, consts: Path, label: str, quiet: bool) -> None:
    out = tmp_path / "out"
    args = ["sweep", str(_grid(tmp_path, store, spec)), "-o", str(out), "--workers", "0", "--no-plots"] + (
        ["-q"] if quiet else [])
    assert cli_main(args) == 0
    capsys.readouterr()
    code1 = code_fingerprint(resolve_strategy(spec))
    consts.write_text("SIZE = 3\n")  # only the helper's constant changes, not the plugin's own file
    assert code_fingerprint(resolve_strategy(spec)) != code1
    assert cli_main(args) == 0
    cap = capsys.readouterr()
    assert cap.err == (f"mmsim sweep: the code of strategy {label} changed since 3 of its points were recorded in "
                       f"{out / RESULTS_FILE}; running them again\n")
    assert cap.out.splitlines()[-1] == (
        "3 run now (3 of them: strategy code changed), 3 reused from results.jsonl (same point ids: same config and "
        "store path, and the same strategy code and store events, read with the same meta.json meaning keys; --force "
        "runs all again)")


@pytest.mark.parametrize("quiet", [True, False], ids=["-q", "table"])
def test_a_file_plugins_helper_constant_edited_reruns_its_points_and_says_so(tmp_path, store, capsys, quiet):
    d = tmp_path / "plug"
    d.mkdir()
    consts = f"consts_{'q' if quiet else 't'}"  # one module name per test: sys.modules outlives a test
    (d / "my.py").write_text(PLUGIN.format(consts=consts))
    (d / f"{consts}.py").write_text("SIZE = 1\n")
    _resume_after_edit(tmp_path, store, capsys, f"{d / 'my.py'}:Cls", d / f"{consts}.py", "my.py:Cls", quiet)


@pytest.mark.parametrize("quiet", [True, False], ids=["-q", "table"])
def test_a_plugin_named_as_a_module_says_so_too(tmp_path, store, capsys, monkeypatch, quiet):
    pkg = f"codesum_pkg_{'q' if quiet else 't'}"
    d = tmp_path / pkg
    d.mkdir()
    (d / "__init__.py").write_text("")
    (d / "my.py").write_text(PLUGIN.format(consts=f"{pkg}.consts"))
    (d / "consts.py").write_text("SIZE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _resume_after_edit(tmp_path, store, capsys, f"{pkg}.my:Cls", d / "consts.py", f"{pkg}.my:Cls", quiet)
