"""The exceptions mmsim raises: one base class, one subclass per kind of fault."""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Result

__all__ = ["ConfigError", "DataError", "LotUnitWarning", "MmsimError", "StrategyError", "disk_full", "disk_full_error",
           "format_ts", "raised_at"]


class MmsimError(Exception):
    """Base class of every error mmsim raises on purpose."""


class DataError(MmsimError, ValueError):
    """Bad market data: names the file and line, or the event index, and the reason.

    ``index`` is the event's position in the array when the engine found it (else
    None); ``run_index`` the run of a :func:`mmsim.run_many` call it failed, before or in
    the pass (None when it failed every run); ``partial`` the :class:`mmsim.Result` of a run stopped by it,
    up to the stop (``Result.partial`` True; None when raised outside a run).
    """

    index: int | None = None
    run_index: int | None = None
    partial: Result | None = None


class ConfigError(MmsimError, ValueError):
    """Bad configuration: names the key (and the file line when read from YAML).

    ``run_index`` is the run of a :func:`mmsim.run_many` call whose config (or strategy) was
    refused before the pass, as its message's ``run k (label): `` says (None otherwise).
    """

    run_index: int | None = None


class LotUnitWarning(UserWarning):
    """A strategy's quantities are in lots on a store whose lot is not 1, left at their defaults or written
    without a unit (docs/strategies.md, "Units of strategy parameters"); ``mmsim run`` and ``mmsim sweep``
    print it as ``mmsim: warning: ...``. :func:`mmsim.run` and :func:`mmsim.run_many` give it, once per call, for
    what was left at its default (a number passed in Python is the caller's)."""


class StrategyError(MmsimError, RuntimeError):
    """A strategy raised or returned an invalid quote: names the strategy and the local time.

    ``code`` is the engine's or the strategy's error code and ``local_ts`` the local
    time (ns) when the engine raised it; ``run_index`` the run of a
    :func:`mmsim.run_many` call that failed, refused before the pass (a strategy that
    does not build) or failed in it; ``partial`` the :class:`mmsim.Result` of
    the run up to the stop (``Result.partial`` True).
    """

    code: int | None = None
    local_ts: int | None = None
    run_index: int | None = None
    partial: Result | None = None


def raised_at(exc: BaseException, source: object = None) -> str:
    """Where ``exc`` was raised in the user's code, for a message: `` (FILE line N)``, else ``""``.

    The innermost frame of ``exc``'s traceback in ``source`` (a strategy file's path, or a strategy
    object: its class's file), else the innermost one outside the mmsim package; a ``SyntaxError``
    gives its own file and line. The whole traceback is what ``--debug`` shows.
    """
    import os
    import sys
    import traceback

    if source is not None and not isinstance(source, str):
        source = getattr(sys.modules.get(type(source).__module__), "__file__", None)

    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return f" ({os.path.basename(exc.filename)} line {exc.lineno})"
    here = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if source is not None and os.path.abspath(f.filename) == os.path.abspath(source)]
    outside = [f for f in frames if not os.path.abspath(f.filename).startswith(here + os.sep)]
    pick = mine or outside
    return f" ({os.path.basename(pick[-1].filename)} line {pick[-1].lineno})" if pick else ""


def format_ts(ns: int) -> str:
    """``1340285400000000000`` -> ``'1340285400000000000 ns (2012-06-21T13:30:00.000000000Z)'``."""
    secs, rem = divmod(int(ns), 1_000_000_000)
    try:
        stamp = _dt.datetime.fromtimestamp(secs, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return f"{ns} ns ({stamp}.{rem:09d}Z)"


#: numpy's message when ``ndarray.tofile`` (``np.save`` to a path) writes less than it should, as on a full disk: no
#: errno, no file name ("75033 requested and 2156 written", breaker35 F3).
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")


def disk_full(exc: BaseException) -> bool:
    """``exc`` says the disk (or the user's quota) is full: ENOSPC, EDQUOT, or numpy's short write."""
    if not isinstance(exc, OSError):
        return False
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or (exc.errno is None and bool(_SHORT_WRITE.fullmatch(str(exc))))


def disk_full_error(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """``exc`` (:func:`disk_full`) as an ``OSError`` naming ``path`` (the file, else the output folder), which the
    command line prints as ``mmsim: error: PATH: no space left on device`` (``disk quota exceeded`` for EDQUOT)."""
    code = errno.EDQUOT if exc.errno == errno.EDQUOT else errno.ENOSPC
    return OSError(code, "disk quota exceeded" if code == errno.EDQUOT else "no space left on device", os.fspath(path))


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """A full disk (:func:`disk_full`) while the block writes ``path`` is raised naming it, when the error names no
    file (a write, flush or close of an open file, numpy's short write): ``mmsim report``, ``convert`` and ``synth``
    named their output folder only (breaker36 F9)."""
    try:
        yield
    except OSError as exc:
        if disk_full(exc) and exc.filename is None:
            raise disk_full_error(exc, path) from exc
        raise
