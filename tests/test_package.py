"""The package's shape: a light import, no import cycle, no oversized module, no global matplotlib state."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_structure  # noqa: E402

SRC = ROOT / "src" / "mmsim"


def test_import_mmsim_stays_light():
    """`import mmsim` loads no argparse, multiprocessing, dask, matplotlib, scipy (nor numba): they load when used."""
    code = ("import sys, mmsim; heavy = ['argparse', 'multiprocessing', 'dask', 'distributed', 'matplotlib', "
            "'scipy', 'numba', 'yaml', 'rich', 'importlib.metadata']; print(','.join(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    # ...and what the lazy attributes load is there when asked for.
    code = "import sys, mmsim; mmsim.sweep.to_array; mmsim.report.make_report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["report", "--help"], ["demo", "--help"]])
def test_the_command_line_help_loads_nothing_heavy(argv):
    """`mmsim --help` and a command's help print at once: no matplotlib, scipy, numba, rich, yaml or dask."""
    code = ("import sys; sys.argv = ['mmsim'] + sys.argv[1:]\nfrom mmsim.cli import main\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nheavy = ['matplotlib', 'scipy', 'numba', 'rich', 'yaml', 'dask']\n"
            "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    assert "usage: mmsim" in out.stdout and out.stderr.strip() == ""


def test_no_import_cycle_and_no_module_over_600_lines():
    mods = check_structure.modules()
    assert check_structure.cycles(check_structure.imports(mods)) == []
    assert check_structure.oversized(mods) == {}


def test_the_cycle_check_sees_function_level_imports(tmp_path, monkeypatch):
    """A cycle hidden behind a function-level import (as engine <-> report was) is found."""
    pkg = tmp_path / "mmsim"
    (pkg / "report").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "engine.py").write_text("def report():\n    from .report import make_report\n")
    (pkg / "report" / "__init__.py").write_text("from .compute import x\n")
    (pkg / "report" / "compute.py").write_text("def f():\n    from ..engine import replay_bbo\n")
    monkeypatch.setattr(check_structure, "SRC", tmp_path)
    mods = check_structure.modules()
    assert check_structure.cycles(check_structure.imports(mods)) == [
        ["mmsim.engine", "mmsim.report", "mmsim.report.compute"]]


#: No module may use pyplot's global state (the demo's figure is built on a Figure too).
PYPLOT_ALLOWED: set[str] = set()


def test_no_module_switches_the_matplotlib_backend_or_uses_pyplot():
    offenders = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "matplotlib":
                offenders.add(str(path.relative_to(SRC)))
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if any(n and n.startswith("matplotlib.pyplot") for n in names):
                    offenders.add(str(path.relative_to(SRC)))
    assert offenders == PYPLOT_ALLOWED


def test_plotting_leaves_the_matplotlib_backend_alone(tmp_path):
    """Rendering a report's and a sweep's plots in a session with another backend keeps that backend."""
    code = f"""
import matplotlib
matplotlib.use("svg")
import numpy as np, mmsim
from mmsim.synth import SynthConfig, generate
ev = generate(SynthConfig(seed=1, duration=20_000_000_000))
strat = mmsim.load_strategy("{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread", {{"half_spread": 1, "size": 1}})
res = mmsim.run(ev, strat, mmsim.Config(latency={{"entry": "25us", "response": "25us"}}))
assert len(res.report(ev).plots()) >= 2
rows = [{{"id": "a", "status": "ok", "latency.feed": f, "pnl.total": float(i)}} for i, f in enumerate(["0ms", "5ms"])]
grid = mmsim.sweep.Grid(points=(), keys=("latency.feed",), repeats=1, output=None, workers=None, source="g")
assert mmsim.sweep.render_plots(rows, grid)
import sys
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["svg", "False"]


@pytest.mark.parametrize("name", ["_engine.pyi", "py.typed"])
def test_typing_files_ship_with_the_package(name):
    assert (SRC / name).is_file()


def test_the_engine_stub_names_what_the_compiled_module_has():
    import mmsim._engine as engine

    stub = ast.parse((SRC / "_engine.pyi").read_text(encoding="utf-8"))
    declared = set()
    members: dict[str, set[str]] = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            declared.add(node.name)
            members[node.name] = {n.name if isinstance(n, ast.FunctionDef) else n.target.id
                                  for n in node.body if isinstance(n, (ast.FunctionDef, ast.AnnAssign))}
        elif isinstance(node, ast.FunctionDef):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            declared.add(node.target.id)
    public = {n for n in dir(engine) if not n.startswith("_")}
    assert declared == public
    for cls, names in members.items():
        have = {n for n in vars(getattr(engine, cls)) if not n.startswith("_")} | {"__init__"}
        if issubclass(getattr(engine, cls), Exception):
            continue
        assert names == have, cls
