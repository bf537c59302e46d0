"""What every subcommand shares: the options that mean the same everywhere, output checks, the progress bar.

``-q/--quiet`` (no progress bar or tables), ``-o/--output`` (where to write),
``--force`` (replace what is already there) and ``--debug`` (show the
traceback; accepted before or after the subcommand) are declared here once.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["Parser", "UsageError", "add_force", "add_output", "add_quiet", "comma_list", "common_parent",
           "ensure_new_output", "flags_named", "progress_bar", "scalar", "strategy_located", "value_list"]

# A token that starts like a negative number (-1, -1s, -.5ms, -0.5,1, -1e3, -inf, -nan) is a value, never an option:
# argparse's own rule took only -1 and -.5, so `--tolerance -1s` was "expected one argument" instead of mmsim's
# message about a negative duration. (Python 3.13's argparse reads '-1s' as a value too.)
_NEGATIVE_VALUE = re.compile(r"^-(?:\.?\d|(?i:inf|infinity|nan)(?:$|,))")
# A bare number, as the config's YAML reader (YAML 1.2) reads one: 0, -5, 1.5, 1e9, .5.
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")


class UsageError(Exception):
    """Bad usage found after parsing (e.g. an output that exists without ``--force``): exit status 2."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that reads a value starting like a negative number as a value.

    ``--tolerance -1s``, ``--horizons -1s,1s``, ``--fit-powers -0.5,1`` and ``--confidence -inf`` give
    the flag its value, so mmsim's own check names the flag and what is wrong (``--tolerance: a
    duration cannot be negative, got '-1s'``); argparse alone took only ``-1`` and ``-.5`` as values
    and stopped at ``-1s`` with ``expected one argument``. No mmsim option looks like a negative
    number, so none is shadowed. Subparsers inherit the class (``add_subparsers`` uses the parent's).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE


def common_parent() -> argparse.ArgumentParser:
    """The parent parser of every subcommand: ``--debug`` after the subcommand too."""
    parent = Parser(add_help=False)
    # SUPPRESS: absent after the subcommand, it leaves the value given before it alone.
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    return parent


def add_quiet(p: argparse.ArgumentParser, what: str = "no progress bar or tables") -> None:
    """``-q/--quiet``."""
    p.add_argument("-q", "--quiet", action="store_true", help=what)


def add_output(p: argparse.ArgumentParser, help: str, *, required: bool = False, metavar: str = "DIR",
               aliases: tuple[str, ...] = ()) -> None:
    """``-o/--output`` (dest ``output``, a Path)."""
    p.add_argument("-o", "--output", *aliases, dest="output", type=Path, required=required, metavar=metavar,
                   help=help)


def add_force(p: argparse.ArgumentParser, help: str = "replace an output that already exists") -> None:
    """``--force``."""
    p.add_argument("--force", action="store_true", help=help)


def _is_nonempty(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def ensure_new_output(path: Path, force: bool, *, marker: str | None = None, what: str = "output") -> None:
    """Refuse to write over ``path`` unless ``force``.

    ``path`` may be missing or an empty directory. Anything else needs ``force``;
    with it, a directory holding ``marker`` (a previous output of the same kind,
    e.g. ``result.json`` of a run) is removed first, and any other non-empty
    directory is still refused (mmsim never deletes what it did not write).

    Raises
    ------
    UsageError
        Naming the path and what to do.
    """
    if not _is_nonempty(path):
        return
    if not force:
        raise UsageError(f"{path}: the {what} already exists; pass --force to replace it, or -o another directory")
    if marker is None:
        return
    if path.is_dir() and (path / marker).exists():
        shutil.rmtree(path)
        return
    raise UsageError(f"{path}: not empty and not an mmsim {what} (no {marker}); refusing to replace it even with "
                     "--force: choose another -o")


@contextlib.contextmanager
def _bar(label: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    if quiet:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,.0f}/{task.total:,.0f} events"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=True) as prog:
        task = prog.add_task(label, total=1, rate="")

        def update(done: int, total: int) -> None:
            dt = time.perf_counter() - t0
            rate = f"{done / dt / 1e6:.1f} M events/s" if dt > 0 and done else ""
            prog.update(task, completed=done, total=total, rate=rate)

        yield update


def progress_bar(label: str, quiet: bool = False) -> Any:
    """A context manager yielding ``update(done, total)`` for a rich progress bar with events/s."""
    return _bar(label, quiet)


def comma_list(text: str, flag: str, *, allow_empty: bool = False) -> list[str]:
    """The items of a flag's comma-separated ``LIST`` (``100ms, 1s,10s``), stripped.

    With ``allow_empty``, an empty (or blank) ``text`` is the empty list: for a flag whose
    config key may be an empty list (``--event-horizons ''`` is ``report.event_horizons: []``,
    no markouts in market events).

    Raises
    ------
    ConfigError
        Naming ``flag``, when the list is empty (``--horizons ''`` would otherwise fall
        back to the defaults without a word), unless ``allow_empty``; or when an item is
        (``1s,,10s``).
    """
    from ..errors import ConfigError

    items = [t.strip() for t in text.split(",")]
    if allow_empty and not text.strip():
        return []
    if not any(items):
        raise ConfigError(f"{flag}: expected a comma-separated list, got {text!r}")
    if not all(items):
        raise ConfigError(f"{flag}: an empty item in {text!r}; separate the items with one comma")
    return items


def scalar(text: str) -> Any:
    """A flag's value read as the config's YAML reads the same value: a bare number is a number.

    ``0`` and ``-5`` are ints, ``1.5``, ``1e9`` and ``.5`` floats (YAML 1.2, as
    :func:`mmsim.config.load_yaml`); anything else stays the (stripped) string. So
    ``--horizons 0`` is 0 ns as ``report.horizons: [0]`` is, ``--event-horizons 10`` is 10
    events as ``event_horizons: [10]``, and ``--feed 1000`` is 1000 ns as ``latency.feed: 1000``;
    the reader behind the flag then checks the value as it checks the key's.
    """
    t = text.strip()
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    return t


def value_list(text: str, flag: str, *, allow_empty: bool = False) -> list[Any]:
    """:func:`comma_list` with each item read by :func:`scalar` (a bare number is a number, as in YAML).

    Raises
    ------
    ConfigError
        As :func:`comma_list`.
    """
    return [scalar(t) for t in comma_list(text, flag, allow_empty=allow_empty)]


@contextlib.contextmanager
def flags_named(args: argparse.Namespace, keys: Mapping[str, str]) -> Iterator[None]:
    """Name the flag the user typed in a :class:`~mmsim.ConfigError` about its value.

    The library names its own keys (``report.toxic_horizon``, ``n_boot``); on the
    command line the user typed a flag (``--toxic-horizon``, ``--boot``), and the
    message must say that. ``keys`` maps each key the library names (the start of
    its message, an index ``[i]`` after it included) to its flag's ``dest``
    (``{"report.toxic_horizon": "toxic_horizon"}``); only flags the user gave
    (not None) are renamed, so an error about a value read from a saved config
    keeps the config's key.

    Raises
    ------
    ConfigError
        The same error, its leading key replaced by ``--flag``.
    """
    from ..errors import ConfigError

    try:
        yield
    except ConfigError as e:
        msg = str(e)
        for key, dest in sorted(keys.items(), key=lambda kv: -len(kv[0])):
            if getattr(args, dest, None) is None:
                continue
            flag = "--" + dest.replace("_", "-")
            m = re.match(re.escape(key) + r"(\[\d+\])?(?=[: ]|$)", msg)
            if m:
                raise ConfigError(flag + msg[m.end():]) from None
        raise


@contextlib.contextmanager
def strategy_located(config_path: Path | None) -> Iterator[None]:
    """Add the config file's line to a :class:`~mmsim.ConfigError` about the strategy it names.

    The strategy is built after the config is read (``strategy FixedSpread: unknown parameter
    'bogus'``, ``strategy file not found: x.py``), when the file's lines are gone; this reads
    them again and ends the message with the line of ``strategy.params.<name>`` (the parameter
    the message names), else ``strategy.path`` or ``strategy``. A message that already has a
    line, or a config not read from a file (None), is left as it is.

    Raises
    ------
    ConfigError
        The same error, located.
    """
    from ..errors import ConfigError

    try:
        yield
    except ConfigError as e:
        msg = str(e)
        if config_path is None or " line " in msg or not msg.startswith(("strategy", "unknown strategy")):
            raise
        from ..config.yaml_file import read_yaml_mapping

        try:
            _, where = read_yaml_mapping(config_path, what="config", keys="run config keys")
        except ConfigError:
            raise e from None
        m = re.search(r"parameter '([^']+)'", msg)
        keys = ([f"strategy.params.{m.group(1)}"] if m else []) + (
            ["strategy.params"] if m else ["strategy.path"]) + ["strategy"]
        loc = next((where[k] for k in keys if k in where), None)
        if loc is None:
            raise
        raise ConfigError(f"{msg} ({loc})") from None
