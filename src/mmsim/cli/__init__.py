"""The ``mmsim`` command line: parse arguments, load a config, call the library; one module per subcommand.

``run``, ``report``, ``demo``, ``synth``, ``convert``, ``sweep``, ``queue-score`` and ``compare`` each live in
``mmsim.cli.<name>`` with ``add_parser(subparsers, parent)`` and ``cmd(args)``;
no library module holds argparse code. ``python -m mmsim`` and the ``mmsim``
console script both call :func:`main`.

Exit codes: 0 success, 1 the run failed (bad data, a strategy error, an I/O
error), 2 bad usage or a bad config, 130 interrupted. Errors print as one line
on stderr, never wrapped (a path stays whole); ``--debug``, before or after
the subcommand, shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError, MmsimError
from ._common import Parser, UsageError, as_written, common_parent, located

__all__ = ["COMMANDS", "build_parser", "main"]

#: Subcommands, in the order ``mmsim --help`` lists them (module ``mmsim.cli.<name>``).
COMMANDS: tuple[str, ...] = ("run", "report", "demo", "synth", "convert", "sweep", "queue-score", "compare")


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``mmsim`` parser and each subcommand's parser by name."""
    parser = Parser(prog="mmsim", description="Market-making adverse-selection backtester.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--version", action="version", version=f"mmsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = common_parent()
    subs = {name: importlib.import_module(f"{__name__}.{name.replace('-', '_')}").add_parser(sub, parent)
            for name in COMMANDS}
    return parser, subs


def _data_named(msg: str, args: argparse.Namespace) -> str:
    """A ``data: PATH: ...`` error (:func:`mmsim.runner.load_events`) with where the path came from.

    ``--data PATH: ...`` when the flag gave it; the config file's line of ``data:``
    (``(run.yaml line 1)``) when the config did (``mmsim run CONFIG``, ``mmsim
    queue-score CONFIG``); ``PATH: ...`` alone when it is queue-score's own
    argument (a store given in place of a config). Any other message is returned
    as it is. The line is found as every other config key's is (:func:`._common.located`).
    """
    if not msg.startswith("data: ") or " line " in msg:
        return msg
    if getattr(args, "data", None) is not None:
        return "--data " + msg[len("data: "):]
    config = getattr(args, "config", None) or getattr(args, "source", None)
    if not isinstance(config, os.PathLike) or not os.path.isfile(config):
        return msg[len("data: "):] if getattr(args, "source", None) is not None else msg
    return located(msg, config, strategy=False)


def _leave_now(signum: int = 0, frame: Any = None) -> None:
    """Exit 130 at once (what is buffered flushed); also the SIGINT handler once mmsim is winding down."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # (a flush cut short by the signal is re-entered)
            stream.flush()
    os._exit(130)


def _interrupted(exc: KeyboardInterrupt, *, process: bool) -> int:
    """Ctrl-C reached :func:`main`: one line, exit status 130, and a second Ctrl-C cannot change that.

    The output directories are staged (a second Ctrl-C while one is removed is held back until
    it is gone, :func:`._common.staged_output`), so nothing is left to write: a second Ctrl-C
    while the line is printed, or (``process``: :func:`main` is the process, ``mmsim`` or
    ``python -m mmsim``) while the interpreter exits, leaves at once with 130. It used to end
    the process by SIGINT (status -2, a shell's 130) with a traceback. (Not covered: the
    few instructions between the ``except`` and this function's first line.) Called by
    :func:`main` in-process (``argv`` given), the caller's handler is put back and a second
    Ctrl-C while the line is printed adds nothing.
    """
    on_main = threading.current_thread() is threading.main_thread()
    again: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: again.append(signum)) if on_main else None
    print("mmsim: interrupted", file=sys.stderr)
    if getattr(exc, "mmsim_replay_running", False) or (again and process):
        # mmsim_replay_running: a second Ctrl-C while the stopped replay still waited for a
        # blocking strategy call (the first one stops the replay and ends its thread,
        # mmsim._interrupt): its thread is still inside the engine, and Python's exit would end
        # it inside C++ frames ("FATAL: exception not rethrown", SIGABRT); leave at once.
        _leave_now()
    if on_main:
        signal.signal(signal.SIGINT, _leave_now if process else (signal.default_int_handler if old is None else old))
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmsim`` command line; returns the exit code.

    ``argv`` None reads ``sys.argv`` and means this call is the process (the ``mmsim`` script,
    ``python -m mmsim``): after a Ctrl-C, a second one while it exits leaves at once with 130.
    """
    parser, subs = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except ConfigError as exc:
        # A flag's value its reader refused (`--workers 1e3`): mmsim's message, not argparse's.
        if "--debug" in (sys.argv[1:] if argv is None else argv):
            raise
        print(f"mmsim: config error: {exc}", file=sys.stderr)
        return 2
    if extra:
        # An unknown option after the subcommand is that subcommand's usage error.
        subs[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    debug = bool(getattr(args, "debug", False))
    try:
        code = int(args.func(args) or 0)
        if code == 130 and argv is None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _leave_now)  # the command said it was interrupted (a sweep)
        return code
    except KeyboardInterrupt as exc:
        return _interrupted(exc, process=argv is None)
    except UsageError as exc:
        if debug:
            raise
        print(f"mmsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        if debug:
            raise
        print(f"mmsim: config error: {as_written(_data_named(str(exc), args), args)}", file=sys.stderr)
        return 2
    except (MmsimError, OSError) as exc:
        if debug:
            raise
        print(f"mmsim: error: {exc}", file=sys.stderr)
        return 1
