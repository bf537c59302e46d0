"""Run by tests/test_ctrl_c.py in a subprocess: ``mmsim run`` as the command line runs it, interrupted twice.

``python _ctrl_c_cli.py WHERE -- ARGS...`` runs ``mmsim ARGS...`` (``mmsim.cli.main()``, reading
``sys.argv`` as the ``mmsim`` script does) with the report's writing made slow: it prints
``writing`` and waits there for the test's first SIGINT. Then it prints ``winding down`` and
waits (two seconds) where WHERE says the second SIGINT lands:

- ``cleanup``: while the staged output directory is removed (``shutil.rmtree``);
- ``line``: while ``main`` prints ``mmsim: interrupted``;
- ``exit``: while the interpreter exits, after ``main`` returned (an ``atexit`` callback);
- ``sweep-exit``: the same after ``mmsim sweep``, whose points wait for the first SIGINT
  (``run_sweep`` prints ``writing``); the sweep says itself that it was interrupted.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import time

import mmsim
from mmsim.cli import main


def slow_save(self, outdir, *args, **kwargs):
    print("writing", flush=True)
    time.sleep(60)  # the first Ctrl-C lands here


def winding_down():
    print("winding down", flush=True)
    time.sleep(2)  # the second Ctrl-C lands here


if __name__ == "__main__":
    where = sys.argv[1]
    sys.argv = ["mmsim", *sys.argv[3:]]
    mmsim.report.Report.save = slow_save
    if where == "sweep-exit":
        import mmsim.sweep

        mmsim.sweep.run_sweep = lambda *args, **kwargs: slow_save(None, None)
    if where == "cleanup":
        rmtree = shutil.rmtree

        def slow_rmtree(path, *args, **kwargs):
            winding_down()
            rmtree(path, *args, **kwargs)

        shutil.rmtree = slow_rmtree
    elif where == "line":
        class SlowLine:
            def __init__(self, stream):
                self.stream = stream

            def write(self, text):
                if text.startswith("mmsim: interrupted"):
                    winding_down()
                return self.stream.write(text)

            def __getattr__(self, name):
                return getattr(self.stream, name)

        sys.stderr = SlowLine(sys.stderr)
    else:
        atexit.register(winding_down)
    sys.exit(main())
