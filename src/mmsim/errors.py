"""The exceptions mmsim raises: one base class, one subclass per kind of fault."""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "MmsimError", "StrategyError"]


class MmsimError(Exception):
    """Base class of every error mmsim raises on purpose."""


class DataError(MmsimError, ValueError):
    """Bad market data: names the file and line, or the event index, and the reason."""


class ConfigError(MmsimError, ValueError):
    """Bad configuration: names the key (and the file line when read from YAML)."""


class StrategyError(MmsimError, RuntimeError):
    """A strategy raised or returned an invalid quote: names the strategy and the local time."""
