"""The exceptions mmsim raises: one base class, one subclass per kind of fault."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Result

__all__ = ["ConfigError", "DataError", "MmsimError", "StrategyError"]


class MmsimError(Exception):
    """Base class of every error mmsim raises on purpose."""


class DataError(MmsimError, ValueError):
    """Bad market data: names the file and line, or the event index, and the reason.

    ``index`` is the event's position in the array when the engine found it (else
    None); ``run_index`` the run of a :func:`mmsim.run_many` pass it failed (None when
    it failed every run); ``partial`` the :class:`mmsim.Result` of a run stopped by it,
    up to the stop (``Result.partial`` True; None when raised outside a run).
    """

    index: int | None = None
    run_index: int | None = None
    partial: Result | None = None


class ConfigError(MmsimError, ValueError):
    """Bad configuration: names the key (and the file line when read from YAML)."""


class StrategyError(MmsimError, RuntimeError):
    """A strategy raised or returned an invalid quote: names the strategy and the local time.

    ``code`` is the engine's or the strategy's error code and ``local_ts`` the local
    time (ns) when the engine raised it; ``run_index`` the run of a
    :func:`mmsim.run_many` pass that failed; ``partial`` the :class:`mmsim.Result` of
    the run up to the stop (``Result.partial`` True).
    """

    code: int | None = None
    local_ts: int | None = None
    run_index: int | None = None
    partial: Result | None = None
