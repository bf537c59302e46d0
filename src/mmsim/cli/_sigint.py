"""Ctrl-C on the command line: the first stops the command, the outcome then stays (docs/config.md, exit codes).

:func:`mmsim.cli.main` installs :class:`CtrlC` as the SIGINT handler for the command's time.
The first Ctrl-C raises ``KeyboardInterrupt`` as Python's own handler does; from that moment
the command is stopping, and a further Ctrl-C is held back, so it cannot cut short what the
stop still does (a staged directory removed, the sweep's workers killed, the sweep's
``N of M points are saved`` line, ``mmsim: interrupted``): there is no window between the
``except`` and a handler swap. One exception: while a stopped replay waits for a strategy
call that blocks (:func:`mmsim._interrupt.stopping`), a second Ctrl-C raises again and the
command line leaves at once. Once the outcome is settled (:func:`settled`: the output is in
place, or ``main`` has its exit status), every Ctrl-C is held back; when ``main`` is the
process, SIGINT is then ignored outright (``SIG_IGN``, which, unlike a Python handler, the
interpreter keeps while it exits), so the status is the one decided and nothing more is printed.

SIGTERM (``timeout``, ``kill``, systemd, ``docker stop``, Slurm) is wound down the same way when
``main`` is the process and SIGTERM has its default action: :meth:`CtrlC.term` runs SIGINT's
handler (or, while SIGINT is held back, sends it), so it takes every path a Ctrl-C takes (a staged output removed whole, a
stopped replay, the sweep's line, held back while an output is put in place and ignored once
it is), and notes that the stop came from SIGTERM: ``main`` then says ``mmsim: terminated
(SIGTERM)`` and exits 143 (128 + 15, what a shell reports for a process SIGTERM ended).
Killed by the default action, the command left its hidden ``.NAME.writing-PID`` or
``.STORE.tmp-...`` folder behind with no word (breaker29).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

from .. import _interrupt

__all__ = ["CtrlC", "install", "settled", "terminated", "uninstall"]


class CtrlC:
    """mmsim's SIGINT handler while :func:`mmsim.cli.main` runs (see the module's docstring)."""

    def __init__(self, process: bool) -> None:
        self.process = process
        self.raised: KeyboardInterrupt | None = None  # the KeyboardInterrupt the first Ctrl-C raised
        self.settled = False
        self.held = 0  # Ctrl-Cs held back
        self.old: Any = None
        self.old_term: Any = None  # SIGTERM's handler before :meth:`term` (None: not installed)
        self.hook: Any = None
        self.terminated = False  # the stop came from SIGTERM (before any Ctrl-C)
        self.external = True  # a SIGINT from outside is a Ctrl-C (False: SIGINT was ignored, only SIGTERM stops)

    def __call__(self, signum: int, frame: Any) -> None:
        if not self.external and not self.terminated:
            return  # SIGINT ignored, as it was when mmsim started (a shell's background job): only SIGTERM's
        if not self.settled and (self.raised is None or _interrupt.stopping()):
            if _in_hook(frame):
                self._again()  # (inside the hook below, where it would be swallowed again)
                return
            self.raised = KeyboardInterrupt()
            raise self.raised
        self.held += 1

    def term(self, signum: int, frame: Any) -> None:
        """SIGTERM's handler: a Ctrl-C on the main thread (held back, ignored, or raised as the first
        Ctrl-C would be), noted as a termination when it is the command's first stop."""
        if not self.settled and self.raised is None:
            self.terminated = True
        if signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, ()):
            # Held back (an output being put in place): pending until the block ends, then handled there.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            return
        # SIGINT's handler in place (this one, or a replay's wrapper of it) called here: a SIGINT sent from a
        # handler is only tripped, and a blocking call this handler interrupted (a sleep, a wait) would resume
        # before Python looked at it again (the wind-down then waited for its end: found by tests/test_sigterm.py).
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)

    def unraisable(self, unraisable: Any) -> None:
        """``sys.unraisablehook``: the first Ctrl-C's KeyboardInterrupt raised inside a finalizer
        (a ``__del__``, a weak reference's callback), which swallows it ("Exception ignored in
        ..."), is delivered again where the command runs; anything else goes to the previous hook."""
        if unraisable.exc_value is not None and unraisable.exc_value is self.raised and not self.settled:
            self.raised = None
            self._again()
            return
        self.hook(unraisable)

    @staticmethod
    def _again() -> None:
        """SIGINT sent again to the main thread, from another thread, in a moment: it lands once
        this thread has left the hook (in a blocking call such as ``time.sleep`` too)."""
        main = threading.main_thread().ident or 0

        def send() -> None:
            time.sleep(0.05)
            signal.pthread_kill(main, signal.SIGINT)

        threading.Thread(target=send, name="mmsim-ctrl-c", daemon=True).start()

    def settle(self) -> None:
        """From now on a Ctrl-C changes nothing; the process (``process``) ignores SIGINT."""
        self.settled = True
        if self.process:
            # (signal.signal runs a Ctrl-C already pending through this handler first: held back.)
            signal.signal(signal.SIGINT, signal.SIG_IGN)


_current: CtrlC | None = None


def _in_hook(frame: Any) -> bool:
    """Whether ``frame`` is inside :meth:`CtrlC.unraisable`."""
    while frame is not None:
        if frame.f_code is CtrlC.unraisable.__code__:
            return True
        frame = frame.f_back
    return False


def install(process: bool) -> CtrlC | None:
    """Install :class:`CtrlC` for one :func:`mmsim.cli.main` call (None: left as it was).

    Only on the main thread, and only in place of Python's own handler: a caller's handler
    (``main(argv)`` called from a program) is kept, and SIGINT ignored (a shell's background job) stays
    ignored: then the handler is installed only for SIGTERM's sake (:attr:`CtrlC.external` False).
    """
    global _current
    if threading.current_thread() is not threading.main_thread() or _current is not None:
        return None
    term = process and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # (a program's own handler is kept)
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler and not (ignored and term):
        return None
    ctrl_c = CtrlC(process)
    # A background job of a script (`mmsim run ... &`) starts with SIGINT ignored: a Ctrl-C still does not reach
    # it, but SIGTERM (the script's `kill`, `timeout`) winds it down through the same handler (breaker29).
    ctrl_c.external = not ignored
    ctrl_c.hook = sys.unraisablehook
    ctrl_c.old = signal.signal(signal.SIGINT, ctrl_c)
    if term:
        ctrl_c.old_term = signal.signal(signal.SIGTERM, ctrl_c.term)
    sys.unraisablehook = ctrl_c.unraisable
    _current = ctrl_c
    return ctrl_c


def uninstall(ctrl_c: CtrlC | None) -> None:
    """The end of :func:`mmsim.cli.main`: settled; a program's own handler and hook put back
    (``main(argv)``), or SIGINT left ignored while the process exits (``main()``)."""
    global _current
    if ctrl_c is None:
        return
    ctrl_c.settle()
    if not ctrl_c.process:
        signal.signal(signal.SIGINT, ctrl_c.old)  # a Ctrl-C held back is dropped
        sys.unraisablehook = ctrl_c.hook
    _current = None


def terminated() -> bool:
    """Whether the command is stopping because of SIGTERM (:meth:`CtrlC.term`), not a Ctrl-C."""
    return _current is not None and _current.terminated


def settled() -> None:
    """The command's outcome is settled (its output is in place): a Ctrl-C from now on changes nothing."""
    if _current is not None:
        _current.settle()

