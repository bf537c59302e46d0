"""Run by tests/test_ctrl_c.py in a subprocess: the command line interrupted by SIGINT at a chosen point.

``python _ctrl_c_cli.py WHERE -- ARGS...`` runs ``mmsim ARGS...`` (``mmsim.cli.main()``, reading
``sys.argv`` as the ``mmsim`` script does). It prints a marker and waits where the test sends
a SIGINT: ``writing`` where the first one lands, ``winding down`` (waiting two seconds) where
the second (or the only one, after a run that completed) lands. WHERE:

- ``cleanup``, ``line``, ``exit``: the report's writing made slow (``writing``); the second
  while the staged output directory is removed (``shutil.rmtree``), while ``main`` prints
  ``mmsim: interrupted``, or while the interpreter exits (an ``atexit`` callback);
- ``sweep-exit``: the same after ``mmsim sweep``, whose points wait for the first SIGINT
  (``run_sweep`` prints ``writing``); the sweep says itself that it was interrupted;
- ``sweep-line``: the same, the second while the sweep counts the points saved for its line;
- ``finalizer``: the first lands inside a finalizer (a ``__del__`` called while the report is
  written), which swallows a KeyboardInterrupt; the report's writing then goes on (10 s);
- ``blocked``: no slowing; the run's Python strategy prints ``writing`` and blocks in its call
  (60 s), so the stopped replay waits for it when the second lands (``winding down`` is
  printed once the replay was asked to stop);
- ``demo``: ``mmsim demo --quick`` made small (1 session of 11 s), its HTML page's rendering
  made slow (``writing``, after the CSV and JSON files);
- ``plain``: nothing slowed (the run's strategy prints ``writing``);
- ``summary``, ``replaced``, ``done-exit``: a run that completes; the only SIGINT lands while
  its last line is printed, while the previous run directory (``--force``) is deleted, or
  while the interpreter exits;
- ``slow``: the report's writing made slow (``writing``) in short sleeps, nothing else (tests/test_sigterm.py);
- ``store``: an event store's writer (``mmsim convert``, ``mmsim synth``) made slow where it would put its
  ``.STORE.tmp-...`` directory in place (``writing``).

tests/test_sigterm.py sends SIGTERM in place of the first SIGINT.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import time

import mmsim
from mmsim.cli import main

STOPPED: list[bool] = []


def slow_save(self, outdir, *args, **kwargs):
    try:
        # The marker inside the try: under load the test's SIGINT landed between the print and the try, the
        # finally never ran, and sweep-line never waited for its second Ctrl-C ("no 'winding down'").
        print("writing", flush=True)
        time.sleep(60)  # the first Ctrl-C lands here
    finally:
        STOPPED.append(True)


def polling_save(self, outdir, *args, **kwargs):
    """As :func:`slow_save`, in short sleeps: a signal the kernel gives another thread (the main thread has one
    pending: two sent at once) is then handled within 0.1 s, as in a command's own writing, not after 60 s."""
    print("writing", flush=True)
    for _ in range(600):
        time.sleep(0.1)


def winding_down():
    print("winding down", file=sys.__stdout__, flush=True)
    time.sleep(2)  # the second Ctrl-C lands here


class Finalized:
    def __del__(self):
        print("writing", flush=True)
        time.sleep(60)  # the first Ctrl-C lands here: its KeyboardInterrupt is "ignored" by Python


def finalizer_save(self, outdir, *args, **kwargs):
    Finalized()
    time.sleep(10)  # the Ctrl-C must still stop the run here


class SlowLine:
    """A stream whose ``write`` of a text starting with ``start`` first waits for the test's SIGINT."""

    def __init__(self, stream, start):
        self.stream, self.start, self.waited = stream, start, False

    def write(self, text):
        if text.startswith(self.start) and not self.waited:
            self.waited = True
            winding_down()
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def slow_rmtree_of(part):
    rmtree = shutil.rmtree

    def slow_rmtree(path, *args, **kwargs):
        if part in str(path):
            winding_down()
        rmtree(path, *args, **kwargs)

    shutil.rmtree = slow_rmtree


if __name__ == "__main__":
    where = sys.argv[1]
    sys.argv = ["mmsim", *sys.argv[3:]]
    if where in ("cleanup", "line", "exit", "sweep-exit", "sweep-line"):
        mmsim.report.Report.save = slow_save
    if where == "slow":
        mmsim.report.Report.save = polling_save
    if where == "store":
        import mmsim.data.store

        mmsim.data.store.EventStoreWriter._commit = lambda self: slow_save(self, None)
    if where in ("sweep-exit", "sweep-line"):
        import mmsim.sweep

        mmsim.sweep.run_sweep = lambda *args, **kwargs: slow_save(None, None)
    if where == "sweep-line":
        read_results = mmsim.sweep.read_results

        def slow_read_results(*args, **kwargs):
            if STOPPED:
                winding_down()
            return read_results(*args, **kwargs)

        mmsim.sweep.read_results = slow_read_results
    elif where == "finalizer":
        mmsim.report.Report.save = finalizer_save
    elif where == "blocked":
        import threading

        import mmsim._interrupt

        def watch():  # the replay was asked to stop, and waits for the strategy's call
            while not mmsim._interrupt.stopping():
                time.sleep(0.01)
            print("winding down", flush=True)

        threading.Thread(target=watch, daemon=True).start()
    elif where == "demo":
        import mmsim.demo

        mmsim.demo.QUICK_PLAN = mmsim.demo.DemoPlan(sessions=1, session_ns=11_000_000_000)
        mmsim.demo.render_html = lambda *args, **kwargs: slow_save(None, None)
    elif where == "cleanup":
        slow_rmtree_of(".writing-")
    elif where == "replaced":
        slow_rmtree_of(".replaced-")
    elif where == "line":
        sys.stderr = SlowLine(sys.stderr, "mmsim: interrupted")
    elif where == "summary":
        sys.stdout = SlowLine(sys.stdout, "")  # (-q: the run's one line)
    elif where in ("exit", "sweep-exit", "done-exit"):
        atexit.register(winding_down)
    sys.exit(main())
