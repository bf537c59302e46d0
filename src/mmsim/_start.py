"""A Ctrl-C while ``python -m mmsim`` imports the package: the command line's one line and status 130.

``python -m mmsim`` imports the ``mmsim`` package (numpy, numba, the compiled engine: 0.3 to 1.4 s) before any of
``mmsim/__main__.py`` runs, and the command line's Ctrl-C handling (:mod:`mmsim.cli._sigint`) is installed only once
:func:`mmsim.cli.main` runs: a Ctrl-C in that window printed a ``KeyboardInterrupt`` traceback and the process died
by the signal, where docs/config.md ("Exit codes") promises ``mmsim: interrupted`` and 130 (the console script's
entry, ``_mmsim_main``, catches it for ``mmsim``; outpath19). The package's ``__init__`` imports this module first
(which calls :func:`guard`) and calls :func:`release` last; ``__main__`` then imports :mod:`mmsim.cli` through
``_mmsim_main.main``, which catches it.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

__all__ = ["guard", "release"]


def _run_as_main() -> bool:
    """Whether this import is ``python -m mmsim`` importing its package (``sys.argv[0]`` is ``-m`` meanwhile).

    The module Python was told to run is read from its options as Python reads them: ``-m mmsim``, ``-mmmsim``, and
    ``m`` in a cluster of short options (``-um mmsim``, ``-Bm mmsim``, ``-umMMSIM``'s spelling ``-ummmsim``); the
    options that take a value (``-W``, ``-X``, ``--check-hash-based-pycs``) skip it; ``-c`` ends the options."""
    if sys.argv[:1] != ["-m"]:
        return False
    argv = list(getattr(sys, "orig_argv", []))[1:]
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--check-hash-based-pycs":
            i += 2
            continue
        if not a.startswith("-") or a.startswith("--") or a == "-":
            return False  # a script, a long option without a value (--help: no module), or stdin
        for j, c in enumerate(a[1:], 1):
            if c in "cmWX":
                rest = a[j + 1:]
                value = rest if rest else (argv[i + 1] if i + 1 < len(argv) else "")
                if c == "m":
                    return value == "mmsim"
                if c == "c":
                    return False
                i += 0 if rest else 1
                break
        i += 1
    return False


def _interrupted(signum: int, frame: Any) -> None:
    """The Ctrl-C of the import window: one line on stderr, exit 130 (SystemExit: no traceback)."""
    try:
        sys.stderr.write("mmsim: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed stderr: the status still says it
        pass
    raise SystemExit(130)


def guard() -> bool:
    """Under ``python -m mmsim``, with Python's own SIGINT handler in place (not ignored, not a program's), make a
    Ctrl-C until :func:`release` exit as the command line's does; True when it did. Else nothing, False."""
    if not _run_as_main() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    signal.signal(signal.SIGINT, _interrupted)
    return True


def release() -> None:
    """Put Python's own SIGINT handler back where :func:`guard` replaced it (once), for :mod:`mmsim.cli._sigint`."""
    global guarded
    if guarded and signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    guarded = False


#: Whether :func:`guard` replaced the SIGINT handler as this module was imported (by ``mmsim/__init__.py``, first).
guarded = guard()
