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

__all__ = ["UsageError", "add_force", "add_output", "add_quiet", "comma_list", "common_parent", "ensure_new_output",
           "flags_named", "progress_bar"]


class UsageError(Exception):
    """Bad usage found after parsing (e.g. an output that exists without ``--force``): exit status 2."""


def common_parent() -> argparse.ArgumentParser:
    """The parent parser of every subcommand: ``--debug`` after the subcommand too."""
    parent = argparse.ArgumentParser(add_help=False)
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
