"""The build's own checks: what ``pip install .`` says when a tool it needs is missing.

These configure ``CMakeLists.txt`` with the system's ``cmake`` in a scratch
build directory (a few seconds, no compilation of mmsim) with a PATH and HOME
that hide the real Rust toolchain. pybind11's CMake package is replaced by an
empty stub: configuration stops at the cargo check, before pybind11 is used,
and the test venv need not have pybind11 (it is a build-only dependency).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CMAKE = shutil.which("cmake")

pytestmark = pytest.mark.skipif(CMAKE is None, reason="cmake is not on PATH (needed to configure the build)")

#: The one line CMake prints when cargo is missing (CMakeLists.txt, after find_program(CARGO ...)).
NO_CARGO = (
    "mmsim needs cargo (the Rust toolchain) to build its signals crate, and cargo is not on PATH or in "
    "~/.cargo/bin: install it with rustup (curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh, "
    "then open a new shell) or your system's package (Debian/Ubuntu: sudo apt-get install cargo), "
    "then run pip install again"
)


def _path_without_cargo() -> str:
    """PATH with every directory that holds a ``cargo`` removed (the compilers stay)."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "cargo").exists()]
    return os.pathsep.join(keep)


def _configure(tmp_path: Path, home: Path, extra_env: dict[str, str] | None = None) -> tuple[int, str, Path]:
    stub = tmp_path / "pybind11-stub"
    stub.mkdir(exist_ok=True)
    (stub / "pybind11Config.cmake").write_text("# stub: configuration stops before pybind11 is used\n")
    build = tmp_path / "build"
    env = {k: v for k, v in os.environ.items() if k not in ("CARGO_HOME", "CARGO")}
    env.update({"PATH": _path_without_cargo(), "HOME": str(home)})
    env.update(extra_env or {})
    proc = subprocess.run(
        [CMAKE, "-S", str(ROOT), "-B", str(build), f"-Dpybind11_DIR={stub}", f"-DPython_EXECUTABLE={sys.executable}"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, build


def _cached_cargo(build: Path) -> str | None:
    for line in (build / "CMakeCache.txt").read_text().splitlines():
        if line.startswith("CARGO:"):
            return line.split("=", 1)[1]
    return None


def _fake_cargo(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True)
    cargo = bin_dir / "cargo"
    cargo.write_text("#!/bin/sh\nexit 0\n")
    cargo.chmod(0o755)
    return cargo


def test_no_cargo_fails_with_one_line_saying_how_to_install_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    if shutil.which("cargo", path=_path_without_cargo()):
        pytest.skip("cargo cannot be hidden from PATH here")
    code, out, _ = _configure(tmp_path, home)
    assert code != 0
    # the whole message on one line (not re-wrapped by CMake), and no bare "Could not find"
    lines = [ln.strip() for ln in out.splitlines()]
    assert NO_CARGO in lines, out
    assert "Could not find CARGO" not in out


def test_cargo_in_home_is_found_without_path(tmp_path):
    # the other way to have cargo: rustup's default ~/.cargo/bin, not on PATH
    home = tmp_path / "home"
    cargo = _fake_cargo(home / ".cargo" / "bin")
    _code, out, build = _configure(tmp_path, home)
    assert NO_CARGO not in out
    assert _cached_cargo(build) == str(cargo)


def test_cargo_under_cargo_home_is_found(tmp_path):
    # rustup installed with CARGO_HOME elsewhere: $CARGO_HOME/bin
    home = tmp_path / "home"
    home.mkdir()
    cargo = _fake_cargo(tmp_path / "cargo-home" / "bin")
    _code, out, build = _configure(tmp_path, home, {"CARGO_HOME": str(tmp_path / "cargo-home")})
    assert NO_CARGO not in out
    assert _cached_cargo(build) == str(cargo)
