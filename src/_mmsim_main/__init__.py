"""The ``mmsim`` console script's entry point, kept outside the ``mmsim`` package.

Importing ``mmsim`` (numpy, numba, the compiled engine, rich) takes 0.3 to 1.4 s, and the command line's Ctrl-C
handling (:mod:`mmsim.cli._sigint`) is installed only once :func:`mmsim.cli.main` runs: a Ctrl-C in that window
printed a ``KeyboardInterrupt`` traceback and the process died by the signal (newcomer18), where docs/config.md
("Exit codes") promises ``mmsim: interrupted`` and status 130. A console script importing ``mmsim.cli`` imports the
package first, so the import is made here, where a Ctrl-C during it can be caught. ``python -m mmsim`` imports the
package before any of its code runs: :mod:`mmsim._start` (imported first by the package, active only then) covers
that import, and ``mmsim/__main__.py`` calls :func:`main` here for the rest (outpath19).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    """``mmsim.cli.main()``, with a Ctrl-C while ``mmsim`` is imported the command line's own: one line, 130; and
    running out of memory while it is imported one line, 1 (as :func:`mmsim.cli.main` says it later)."""
    try:
        from mmsim.cli import main as cli_main
    except KeyboardInterrupt:
        try:
            sys.stderr.write("mmsim: interrupted\n")
            sys.stderr.flush()
        except (OSError, KeyboardInterrupt):  # a closed stderr, a second Ctrl-C: the status still says it
            pass
        return 130
    except MemoryError as exc:  # a memory limit too tight for numpy itself (breaker33: prlimit --as=150000000)
        try:
            sys.stderr.write(f"mmsim: error: out of memory while loading mmsim ({str(exc) or 'an allocation failed'}): "
                             "the process may not take the memory numpy and the engine need to start (ulimit -v)\n")
        except OSError:
            pass
        return 1
    return cli_main()
