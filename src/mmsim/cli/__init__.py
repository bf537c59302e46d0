"""The ``mmsim`` command line: parse arguments, load a config, call the library; one module per subcommand.

``run``, ``report``, ``demo``, ``synth``, ``convert``, ``sweep``, ``queue-score`` and ``compare`` each live in
``mmsim.cli.<name>`` with ``add_parser(subparsers, parent)`` and ``cmd(args)``;
no library module holds argparse code. ``python -m mmsim`` and the ``mmsim``
console script both call :func:`main`.

Exit codes: 0 success, 1 the run failed (bad data, a strategy error, an I/O
error), 2 bad usage or a bad config, 130 interrupted (143 terminated by SIGTERM). Errors print as one line
on stderr, never wrapped (a path stays whole); ``--debug``, before or after
the subcommand, shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError, LotUnitWarning, MmsimError, disk_full
from . import _sigint
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
    as it is. The line is found as every other config key's is (:func:`._located.located`).
    """
    if not msg.startswith("data: ") or " line " in msg:
        return msg
    if getattr(args, "data", None) is not None:
        return "--data " + msg[len("data: "):]
    config = getattr(args, "config", None) or getattr(args, "source", None)
    if not isinstance(config, os.PathLike) or not os.path.isfile(config):
        return msg[len("data: "):] if getattr(args, "source", None) is not None else msg
    return located(msg, config, strategy=False)


def _leave_now(code: int) -> None:
    """Exit with ``code`` at once (what is buffered flushed): a replay's thread is still inside the engine."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _interrupted(exc: KeyboardInterrupt) -> int:
    """Ctrl-C reached :func:`main`: the one line ``mmsim: interrupted``, exit status 130
    (SIGTERM, :mod:`._sigint`: ``mmsim: terminated (SIGTERM)``, 143).

    A further Ctrl-C is held back from the first one's moment (:mod:`._sigint`), so nothing
    cuts the line short; with a replay's thread still running (a second Ctrl-C left a stopped
    pass waiting for a blocking strategy call, :mod:`mmsim._interrupt`), leave at once, since
    Python's exit would end that thread inside C++ frames ("FATAL: exception not rethrown", SIGABRT).
    """
    code = 143 if _sigint.terminated() else 130
    _sigint.settled()
    print("mmsim: terminated (SIGTERM)" if code == 143 else "mmsim: interrupted", file=sys.stderr)
    if getattr(exc, "mmsim_replay_running", False):
        _leave_now(code)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmsim`` command line; returns the exit code.

    ``argv`` None reads ``sys.argv`` and means this call is the process (the ``mmsim`` script,
    ``python -m mmsim``): once the outcome is settled SIGINT is ignored while it exits, so a
    Ctrl-C then changes neither the status nor the output (:mod:`._sigint`). Called with
    ``argv``, the caller's SIGINT handler is put back on return.
    """
    ctrl_c = _sigint.install(process=argv is None)
    try:
        try:
            code = _command(argv)
            if code == 130 and _sigint.terminated():
                code = 143  # a sweep that said itself it was interrupted, by SIGTERM
            _sigint.settled()
        except KeyboardInterrupt as exc:
            code = _interrupted(exc)
        interrupt = sys.modules.get("mmsim._interrupt")  # (imported by any replay)
        if code in (130, 143) and interrupt is not None and interrupt.replay_running():
            _leave_now(code)  # a sweep that said itself it was interrupted, its replay's thread blocked
        return code
    finally:
        _sigint.uninstall(ctrl_c)


def _show_warning(default: Any) -> Any:
    """``warnings.showwarning`` printing mmsim's own warnings as ``mmsim: warning: ...`` (no file and line)."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(category, type) and issubclass(category, LotUnitWarning):
            # Each block of the one warning (the strategy's, the run config's settings) with the prefix, so the
            # second does not read as output of another kind (newcomer15: `config: these settings ...` bare).
            lines = str(message).split("\n")
            print("\n".join(ln if ln[:1].isspace() else f"mmsim: warning: {ln}" for ln in lines), file=sys.stderr)
        else:
            default(message, category, *args, **kwargs)

    return show


#: The line for a command that ran out of memory (breaker31: a run under ``ulimit -v`` the timer guard let through
#: died in its report with numpy's ``ArrayMemoryError`` traceback). Any staged output is removed as on an error.
OUT_OF_MEMORY = ("out of memory ({what}): this command needs more memory than the machine has free or the process "
                 "may take (ulimit -v); for a run, decide less often (a coarser decide_every), set decision_log: false, "
                 "or replay a shorter window (docs/config.md, \"A timer too fine for memory\")")


def _disk_full_line(exc: BaseException, args: Any) -> str | None:
    """``PATH: no space left on device`` for a full disk (:func:`mmsim.errors.disk_full`), PATH the file an output
    writer named, else the command's ``-o``; None for any other error. It read ``[Errno 28] No space left on device``
    or numpy's ``75033 requested and 2156 written``, naming nothing (breaker35 F3)."""
    if not disk_full(exc):
        return None
    assert isinstance(exc, OSError)
    where = exc.filename if exc.filename is not None else getattr(args, "output", None)
    what = "disk quota exceeded" if exc.errno == errno.EDQUOT else "no space left on device"
    return what if where is None else f"{os.fspath(where)}: {what}"


def _command(argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run its subcommand; an error is its one line and exit status (Ctrl-C is raised)."""
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
        with warnings.catch_warnings():
            warnings.filterwarnings("always", category=LotUnitWarning)  # printed, whatever the caller's filters
            warnings.showwarning = _show_warning(warnings.showwarning)
            return int(args.func(args) or 0)
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
        print(f"mmsim: error: {_disk_full_line(exc, args) or exc}", file=sys.stderr)
        return 1
    except MemoryError as exc:  # numpy's ArrayMemoryError, the engine's std::bad_alloc: one line, never a traceback
        if debug:
            raise
        print(f"mmsim: error: {OUT_OF_MEMORY.format(what=str(exc) or 'an allocation failed')}", file=sys.stderr)
        return 1
