"""Ctrl-C during a replay: the pass stops at once, no thread is left running, KeyboardInterrupt reaches the caller.

A pass runs on the calling thread when there is no progress callback: there the engine runs
Python's signal handlers every few thousand events (``check_signals``; only Python's main
thread runs them), so Ctrl-C stops even a compiled (numba) run within about a millisecond,
and a Python strategy sees it as a KeyboardInterrupt in its own call; the SIGINT handler is
wrapped for the pass's time so that its KeyboardInterrupt also asks the pass to stop (a
strategy that catches the exception itself is stopped all the same). With a progress
callback the pass runs on a worker thread while the calling thread reports progress; Ctrl-C
reaches the calling thread, which asks the pass to stop and waits for it to end (docs/engine.md,
"Ctrl-C").
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
import time
from typing import Any, Callable, Iterator

from . import _engine

__all__ = ["exit_guarded", "interrupt_of", "replay_running", "run_pass", "stopping"]

_stopping = 0  # passes stopped by an exception on the calling thread, waiting for their thread to end
_running: dict[int, Any] = {}  # the Progress of every pass inside the engine, by id
_exiting = False  # the interpreter exits: passes still running were stopped by _stop_at_exit
EXIT_WAIT = 2.0  # seconds _stop_at_exit waits for them


def stopping() -> bool:
    """Whether a stopped pass is waiting for its replay's thread to end (a strategy call may block
    it): a second Ctrl-C must then raise, to leave (mmsim.cli._sigint)."""
    return _stopping > 0


def replay_running() -> bool:
    """Whether a replay's thread is still inside the engine (a second Ctrl-C left a stopped pass
    waiting for a strategy call that blocks): the process must leave with os._exit, since
    Python's exit would end that thread inside C++ frames (SIGABRT)."""
    return any(t.name == "mmsim-run" and t.is_alive() for t in threading.enumerate())


def run_pass(go: Callable[[Any, bool], list[Any]], total: int,
             progress: Callable[[int, int], None] | None) -> tuple[list[Any], Any, BaseException | None]:
    """Run ``go(control, check_signals)`` (the compiled pass); its outputs, its control, and a Ctrl-C the caller's thread got."""
    global _stopping
    control = _engine.Progress()
    if _exiting and threading.current_thread() is not threading.main_thread():
        control.request_stop()  # (a daemon thread's pass started once the exit's atexit callbacks ran)
    if progress is None:
        main = threading.current_thread() is threading.main_thread()
        with _sigint_stops(control, main) as raised, _registered(control):
            outs = go(control, main)
        return outs, control, raised[0] if raised else None
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with _registered(control):
                box["out"] = go(control, False)
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc
        finally:
            box["done"] = True

    # Waiting polls a flag with time.sleep, which Ctrl-C interrupts cleanly: a KeyboardInterrupt
    # inside threading's Event/Condition wait can leave its lock inconsistent.
    worker = threading.Thread(target=target, name="mmsim-run", daemon=True)
    interrupt: BaseException | None = None
    try:
        with _sigint_blocked():  # started whole: a Ctrl-C now comes once it runs, in this try
            worker.start()
        shown = -1.0
        while "done" not in box:
            if time.monotonic() - shown >= 0.1:
                progress(int(control.done), total)
                shown = time.monotonic()
            time.sleep(0.01)
    except BaseException as exc:
        # Ctrl-C reaches this (the main) thread only: ask the pass to stop and wait for it (it
        # checks every few thousand events or calls, and before each Python strategy call). The
        # same for anything else raised here (a SIGALRM or SIGTERM handler's exception, the
        # progress callback's): the replay's thread must not outlive the call, nor run on into
        # the interpreter's exit inside C++ frames.
        control.request_stop()
        interrupt = exc
        _stopping += 1
        try:
            while "done" not in box:
                time.sleep(0.01)
        except KeyboardInterrupt as again:
            # A second Ctrl-C while a strategy call blocks: leave now. The replay's thread is
            # still inside the engine, and Python's exit would end it inside C++ frames (SIGABRT):
            # the command line leaves with os._exit when it sees this mark.
            again.mmsim_replay_running = "done" not in box  # type: ignore[attr-defined]
            raise
        finally:
            _stopping -= 1
    worker.join()
    if interrupt is not None and not isinstance(interrupt, KeyboardInterrupt):
        raise interrupt
    if "exc" in box:
        raise box["exc"]
    if interrupt is None:
        progress(total, total)
    return box["out"], control, interrupt


def exit_guarded(call: Callable[[Any], Any]) -> Any:
    """``call(control)``: a compiled pass with no runs (:func:`mmsim.replay_bbo`, :func:`mmsim.signals.compute`).
    On the main thread ``control`` is None (the engine checks for Ctrl-C itself); on another it is a
    registered ``Progress``, so that the interpreter's exit stops the call (:func:`_stop_at_exit`), which then
    raises SystemExit in its thread: left running in a daemon thread, it aborted the process."""
    if threading.current_thread() is threading.main_thread():
        return call(None)
    control = _engine.Progress()
    with _registered(control):
        # Registered first, then the flag read: the exit's callback either sees this call (and stops it)
        # or has set the flag, and the call does not start (a call on fewer events than the engine's
        # stop-check interval would finish unstopped, and the next one be ended inside the engine).
        if _exiting:
            raise SystemExit("stopped: the interpreter exits")
        return call(control)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back from this thread (and the threads it starts) inside the block, where
    the platform can (POSIX); a Ctrl-C meanwhile arrives when it ends."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _registered(control: Any) -> Iterator[None]:
    """The pass of ``control`` is inside the engine for the block (:func:`_stop_at_exit`)."""
    _running[id(control)] = control
    try:
        yield
    finally:
        del _running[id(control)]


@atexit.register
def _stop_at_exit() -> None:
    """When the interpreter exits, stop every pass still running (in a daemon thread: non-daemon
    threads were joined before atexit) and wait for them to leave the engine, up to EXIT_WAIT
    seconds. Python ends a daemon thread when it next takes the GIL during the exit, and inside
    the engine's C++ frames (a Python strategy's call, the pass's return) that aborted the
    process ("terminate called without an active exception"). Stopped so, a pass's call raises
    SystemExit in its thread (which threading ends silently), its runs partial,
    ``stop_reason`` 'interrupted (SystemExit)'. A pass on the main thread (an atexit callback
    of the program's that runs after this one) is left alone."""
    global _exiting
    _exiting = True
    for control in list(_running.values()):
        control.request_stop()
    deadline = time.monotonic() + EXIT_WAIT
    while _running and time.monotonic() < deadline:
        time.sleep(0.005)


@contextlib.contextmanager
def _sigint_stops(control: Any, main: bool) -> Iterator[list[BaseException]]:
    """On the main thread, inside the block, SIGINT's handler (Python's own, or a program's, if
    set from Python) also asks the pass to stop when it raises KeyboardInterrupt; the list
    given gets that exception. Without this, a Python strategy
    that catches KeyboardInterrupt itself (``except:``, ``except BaseException``) swallowed
    the Ctrl-C, which the handler raises inside its call, and the pass went on to its end."""
    raised: list[BaseException] = []
    old = signal.getsignal(signal.SIGINT) if main else None
    if not callable(old):  # another thread, SIGINT ignored or default, or a handler not set from Python
        yield raised
        return
    running = [True]

    def handler(signum: int, frame: Any) -> Any:
        try:
            return old(signum, frame)
        except KeyboardInterrupt as exc:
            if running[0]:
                control.request_stop()
                if not raised:
                    raised.append(exc)
            raise

    # (signal.signal first runs a Ctrl-C already pending through the handler in place: before
    # the pass, its exception leaves here with the handler unchanged.)
    signal.signal(signal.SIGINT, handler)
    try:
        yield raised
    finally:
        running[0] = False
        _put_back(old, handler)


def _put_back(old: Any, ours: Any) -> None:
    """SIGINT's handler back to ``old`` if it is still ``ours`` (the strategy may have set its
    own); a Ctrl-C pending meanwhile runs through ``ours`` first and is raised once it is back."""
    pending: BaseException | None = None
    for _ in range(8):  # (each try runs at most the Ctrl-Cs that came since the last)
        try:
            if signal.getsignal(signal.SIGINT) is ours:
                signal.signal(signal.SIGINT, old)
            break
        except BaseException as exc:
            pending = pending or exc
    if pending is not None:
        raise pending


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C held back inside the block by Python's own SIGINT handler (on the main thread,
    whichever thread the signal reaches), then raised when the block ends (the previous
    handler's way: KeyboardInterrupt by default). For clean-up a second Ctrl-C must not cut
    short (a staged output directory half removed)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield  # (None: a handler not set from Python, which could not be put back)
        return
    got: list[Any] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: got.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if got:
        if callable(old):
            old(signal.SIGINT, got[0])
        elif old != signal.SIG_IGN:  # SIG_DFL, or a handler not set from Python
            raise KeyboardInterrupt


def interrupt_of(outs: list[Any], control: Any, caught: BaseException | None,
                 holders: list[dict[str, BaseException]]) -> BaseException | None:
    """The exception to raise after a pass that Ctrl-C stopped (None when nothing interrupted it).

    The calling thread's own KeyboardInterrupt (or the one SIGINT's handler raised during a pass
    on the calling thread, which a strategy may have swallowed), else what a signal handler
    raised during the pass, else a Python strategy's KeyboardInterrupt (raised inside its call),
    else SystemExit when the interpreter's exit stopped the pass (:func:`_stop_at_exit`), else a
    new KeyboardInterrupt (a strategy adapter saw the stop request). The first two are raised
    even when every run had already ended (the pass was not interrupted, but the user asked to
    stop).
    """
    if caught is not None:
        return caught
    if control.signal_exception is not None:
        exc: BaseException = control.signal_exception
        return exc
    if not any(out.interrupted for out in outs):
        return None
    for holder in holders:
        if isinstance(holder.get("exc"), KeyboardInterrupt):
            return holder["exc"]
    if _exiting:  # stopped by _stop_at_exit
        return SystemExit("mmsim: the interpreter exits; the pass was stopped")
    return KeyboardInterrupt()
