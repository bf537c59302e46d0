"""A command that runs out of memory says so in one line, exit status 1, never a traceback (lead, 24; breaker31: a
run under ``ulimit -v`` that the timer guard let through died in its report with numpy's ``ArrayMemoryError``
traceback). The allocation is made to fail here by replacing the function that makes it."""

from __future__ import annotations

import numpy as np
import pytest

import mmsim.synth
from mmsim.cli import OUT_OF_MEMORY, main

SYNTH = "duration: 10s\nseed: 3\n"


def _numpy_memory_error() -> MemoryError:
    """numpy's own error (``ArrayMemoryError``, a MemoryError) for an allocation that cannot be made."""
    try:
        np.empty(1 << 59, dtype=np.int64)
    except MemoryError as exc:
        return exc
    raise AssertionError("numpy allocated 2**62 bytes")


@pytest.mark.parametrize("make", [_numpy_memory_error, lambda: MemoryError("std::bad_alloc"), MemoryError])
def test_out_of_memory_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys, make):
    exc = make()

    def fail(*a, **k):
        raise exc

    monkeypatch.setattr(mmsim.synth, "simulate", fail)
    cfg = tmp_path / "s.yaml"
    cfg.write_text(SYNTH)
    assert main(["synth", str(cfg), "-o", str(tmp_path / "st")]) == 1
    err = capsys.readouterr().err
    what = str(exc) or "an allocation failed"
    assert err == f"mmsim: error: {OUT_OF_MEMORY.format(what=what)}\n"
    assert "Traceback" not in err and not (tmp_path / "st").exists()
    with pytest.raises(MemoryError):  # --debug shows it
        main(["synth", str(cfg), "-o", str(tmp_path / "st"), "--debug"])


def test_out_of_memory_while_mmsim_is_imported_is_one_line(monkeypatch, capsys):
    """breaker33: under `prlimit --as=150000000` the console script died importing numpy with a traceback."""
    import builtins

    import _mmsim_main

    real = builtins.__import__

    def failing(name, *a, **k):
        if name == "mmsim.cli":
            raise MemoryError()
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", failing)
    assert _mmsim_main.main() == 1
    assert capsys.readouterr().err == (
        "mmsim: error: out of memory while loading mmsim (an allocation failed): the process may not take the memory "
        "numpy and the engine need to start (ulimit -v)\n")
