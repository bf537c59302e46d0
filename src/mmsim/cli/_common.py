"""What every subcommand shares: the options that mean the same everywhere, output checks, the progress bar.

``-q/--quiet`` (no progress bar or tables), ``-o/--output`` (where to write),
``--force`` (replace what is already there) and ``--debug`` (show the
traceback; accepted before or after the subcommand) are declared here once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from ..config._written import shown_written
from .._paths import describe_entries, output_fault, visible_entries
from ._located import located, strategy_located
from ._staging import Staged, staged_output

__all__ = ["Parser", "UsageError", "Written", "add_force", "add_output", "add_quiet", "as_written", "comma_list",
           "common_parent", "ensure_new_output", "flags_named", "integer", "interactive", "keep", "located", "number",
           "progress_bar", "refuse_looping_link", "scalar", "Staged", "staged_output", "strategy_located", "value_list"]

# A token that starts like a negative number (-1, -1s, -.5ms, -0.5,1, -1e3, -inf, -nan) is a value, never an option:
# argparse's own rule took only -1 and -.5, so `--tolerance -1s` was "expected one argument" instead of mmsim's
# message about a negative duration. (Python 3.13's argparse reads '-1s' as a value too.)
_NEGATIVE_VALUE = re.compile(r"^-(?:\.?\d|(?i:inf|infinity|nan)(?:$|,))")
# A bare number, as the config's YAML reader (YAML 1.2) reads one: 0, -5, 1.5, 1e9, .5.
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_NONFINITE = re.compile(r"^[-+]?\.?(?:inf|infinity|nan)$", re.IGNORECASE)


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


class Written(argparse.Action):
    """Store a flag's value read by ``read(text, flag)`` and keep the text as the user wrote it.

    ``add_argument("--workers", action=Written, read=integer("a non-negative integer"))``: the
    value is read when the flag is parsed (default :func:`scalar`: a bare number is a number, as
    in the config's YAML) and the text is kept in ``args._written[dest]``, so a message about the
    value quotes what the user typed (``got '1e999'``), never what it was converted to (``inf``);
    see :func:`as_written`. A reader's :class:`~mmsim.ConfigError` (naming the flag) leaves
    ``parse_args``: :func:`mmsim.cli.main` prints it as every config error, not as argparse's
    ``invalid int value``.
    """

    def __init__(self, *args: Any, read: Callable[[str, str], Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read = read

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        flag = self.option_strings[-1]
        setattr(namespace, self.dest, scalar(values) if self.read is None else self.read(values, flag))
        written = dict(getattr(namespace, "_written", None) or {})
        written[self.dest] = values
        namespace._written = written


def keep(text: str, flag: str) -> str:
    """A :class:`Written` reader that keeps the text (a ``LIST`` read item by item later)."""
    return text


def integer(what: str = "an integer") -> Callable[[str, str], int]:
    """A :class:`Written` reader of an integer flag: an integer as a config's integer key takes one (``12``, ``-3``,
    ``2.0``, ``1e3``: ``config._units.whole_integer``), not ``2.5``, ``nan``, ``0x10`` or ``12ms`` (``--workers:
    expected a non-negative integer, got '2.5'``). ``what`` says what is allowed; bounds are checked where used.

    Raises
    ------
    ConfigError
        Naming the flag, what is allowed, and the value as written.
    """

    def read(text: str, flag: str) -> int:
        from ..config._units import not_integer, whole_integer
        from ..errors import ConfigError

        t = text.strip()
        number = int(t) if _INT.match(t) else float(t) if _FLOAT.match(t) else None
        if (value := None if number is None else whole_integer(number)) is None:
            # 1e18 is refused as a config's integer key refuses it: a float beyond 2**53, saying so
            raise ConfigError(not_integer(flag, text if number is None else number, what, written=text))
        return value

    return read


#: A bare number of ns below this on a duration flag is taken for a unit left out (``--bucket 10``); on a latency
#: flag, below 1 us (a co-located 50 us latency is ``--feed 50000``).
_BARE_FLOOR_NS = 1_000_000
_LATENCY_FLAGS = ("--feed", "--entry", "--response")


def _unitless(text: str, flag: str, what: str = "a duration") -> None:
    """A ConfigError naming ``flag`` when ``text`` is a bare number of ns, not 0, below the flag's floor (1 ms; 1 us
    for a latency): a unit left out, with the units it more likely meant."""
    from ..errors import ConfigError

    t = text.strip()
    latency = flag in _LATENCY_FLAGS
    if not ((_INT.match(t) or _FLOAT.match(t)) and 0 < float(t) < (1_000 if latency else _BARE_FLOOR_NS)):
        return
    if latency:
        hint = f"for microseconds write '{t}us', for milliseconds '{t}ms'"
    elif "horizon" in flag:
        hint = f"for seconds write '{t}s', for market events '{t}ev'" if flag == "--toxic-horizon" else \
            f"for seconds write '{t}s', for milliseconds '{t}ms'"
    else:
        hint = f"for seconds write '{t}s'"
    ns = f", or '{t}ns' if nanoseconds are meant" if _INT.match(t) else ""  # '0.5ns' is no whole ns (breaker15c)
    raise ConfigError(f"{flag}: {t} is {what} of {t} ns (a bare number is nanoseconds, as in the config); {hint}{ns}")


def duration(text: str, flag: str) -> Any:
    """A :class:`Written` reader of a duration flag (``--bucket 10s``): :func:`scalar`, checked for a unit left out.

    A bare number is nanoseconds, as the config's key reads it, but one below the flag's floor is refused with the
    hint (``--bucket 10`` compared 10 ns buckets with intervals that looked fine); ``10ns`` says it is meant.

    Raises
    ------
    ConfigError
        Naming the flag, for a bare number of ns, not 0, under 1 ms.
    """
    _unitless(text, flag, "a horizon" if "horizon" in flag else "a duration")
    return scalar(text)


def duration_list(text: str, flag: str) -> list[Any]:
    """:func:`value_list` of durations (``--horizons 100ms,1s``), each checked as :func:`duration` checks one."""
    items = comma_list(text, flag)
    for i, t in enumerate(items):
        _unitless(t, f"{flag}[{i}]" if len(items) > 1 else flag, "a horizon")
    return [scalar(t) for t in items]


def one_of(*choices: str) -> Callable[[str, str], str]:
    """A :class:`Written` reader of a flag with a few values, written as listed (lower case, as the config's units).

    Raises
    ------
    ConfigError
        ``--qty: expected one of auto, lots, base, got 'BTC'``.
    """

    def read(text: str, flag: str) -> str:
        from ..errors import ConfigError

        if text not in choices:
            raise ConfigError(f"{flag}: expected one of {', '.join(choices)}, got {shown_written(text)}")
        return text

    return read


def number(what: str = "a number") -> Callable[[str, str], float]:
    """A :class:`Written` reader of a real-valued flag (``1.5``, ``-1``, ``1e999``, ``inf``, ``nan`` are numbers).

    The value's range is checked where it is used, and that message quotes the value as
    written (:func:`as_written`).

    Raises
    ------
    ConfigError
        Naming the flag, what is allowed, and the value as written, when it is not a number.
    """

    def read(text: str, flag: str) -> float:
        from ..errors import ConfigError

        # ASCII digits as YAML writes them, or inf/nan: Python's float() also took '1_000' and
        # full-width digits, which the integer flags (and the config) refuse.
        t = text.strip()
        if _FLOAT.match(t) or _NONFINITE.match(t):
            return float(t.replace(".", "", 1) if _NONFINITE.match(t) else t)
        raise ConfigError(f"{flag}: expected {what}, got {shown_written(text)}")

    return read


def _renderings(text: str) -> list[str]:
    """How a message may echo ``text`` once read (``1e999`` or ``.inf`` -> ``inf``, ``-1`` -> ``-1``, ``-1.0``, ``'-1'``)."""
    values: list[Any] = [scalar(text), text.strip()]
    with contextlib.suppress(ValueError):
        values.append(float(text))
    if _NONFINITE.match(text.strip()):  # YAML's .inf / -.inf / .nan, as number() reads them
        values.append(float(text.strip().replace(".", "", 1)))
    with contextlib.suppress(ValueError, OverflowError):  # the integer an integer flag reads a whole float as:
        if (f := float(text)).is_integer():  # '-0.0' is 0, '2e7' is 20000000 (their :g forms: '-0', '2e+07')
            values.append(int(f))
    out: list[str] = []
    for v in values:
        forms = [repr(v), str(v)] + ([f"{v:g}"] if isinstance(v, float) else [])
        out.extend(f for f in forms if f not in out)
    return sorted(out, key=len, reverse=True)


def as_written(message: str, args: argparse.Namespace) -> str:
    """``message`` about a flag (``--block must be ... got -1.0``) with the value quoted as the user wrote it.

    A message that starts with a :class:`Written` flag's name and echoes its value as read
    (``inf`` for ``1e999``, ``-1.0`` for ``-1``, ``1000.0`` for an item ``1e3`` of a list)
    says ``got '1e999'``, ``got -1``, ``got '1e3'`` instead: a whole number written in digits bare, as
    written, any other text quoted, as a config file's value (:func:`mmsim.config._written.shown_written`;
    a value of more than 24 characters, 1 and 400 zeros, as the excerpt ``got '100000000000...' (401
    characters)``); any other message is returned as it is.
    """
    m = re.match(r"--([a-z][a-z0-9-]*)", message)
    written = getattr(args, "_written", None) or {}
    text = written.get(m.group(1).replace("-", "_")) if m else None
    if text is None:
        return message
    for item in [text, *text.split(",")]:
        for form in _renderings(item):
            m = re.search(r"\bgot (" + re.escape(form) + r")(?=$|[\s;,)])", message)
            if m:
                w = item.strip()
                # as a config file's value is echoed (config._written.shown_written: `got 60`, `got '1e3'`)
                quoted = shown_written(w) if len(w) <= 24 else f"{w[:12] + '...'!r} ({len(w)} characters)"
                return message[:m.start(1)] + quoted + message[m.end(1):]
    return message


def interactive() -> bool:
    """Whether stdout is a terminal a progress bar can redraw (rich's ``is_interactive``).

    Elsewhere (a pipe, a file) a bar shows nothing but rich still ends it with an empty line,
    a stray line before the summary, or the only thing on stdout of a refused run.
    """
    from rich.console import Console

    return Console().is_interactive


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
    """``-o/--output`` (dest ``output``, a Path). An empty value (``-o "$OUT"`` with ``OUT`` unset) is a usage error:
    ``Path("")`` is the current folder, which ``--force`` would have replaced (``-o .`` says so explicitly)."""
    p.add_argument("-o", "--output", *aliases, dest="output", type=_output_path, required=required, metavar=metavar,
                   help=help)


def _output_path(text: str) -> Path:
    """``-o``'s value as a Path; argparse's usage error for an empty one."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path (an unset variable?); give a folder, or -o . for the current "
                                         "folder")
    return Path(text)


def add_force(p: argparse.ArgumentParser, help: str = "replace an output that already exists") -> None:
    """``--force``."""
    p.add_argument("--force", action="store_true", help=help)


def _is_nonempty(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and bool(visible_entries(path)))  # hidden files are kept


def refuse_looping_link(path: Path) -> None:
    """Refuse an output ``path`` that is, or goes through, a symbolic link that loops (``link -> link``,
    ``a -> b -> a``: nothing can be written there; it was an OSError naming the hidden staging folder), one under
    a file (``-o notes.txt/out``: an OSError after the work, breaker18a) and one going up out of a missing folder
    (``-o nosub/..``: :func:`mmsim._paths.up_from_missing`): the checks of :func:`mmsim._paths.output_fault`, which a
    run config's and a grid's ``output`` key go through too. A dangling link is not refused: written where it points.

    Raises
    ------
    UsageError
        ``LINK: a symbolic link that loops (following it never ends); choose another -o``; for a folder on
        the way, ``PATH: LINK is a symbolic link that loops ...``; ``PATH: FILE is a file, not a folder: nothing
        can be written under it; choose another -o``.
    """
    fault = output_fault(path)
    if fault is not None:
        why, missing = fault
        raise UsageError(f"{path}: {why}; {'create it, or ' * missing}choose another -o")


def ensure_new_output(path: Path, force: bool, *, marker: str | None = None, what: str = "output",
                      remove: bool = True, merge: bool = False) -> None:
    """Refuse to write over ``path`` unless ``force``.

    ``path`` may be missing or an empty directory. Anything else needs ``force``;
    with it, a directory holding ``marker`` (a previous output of the same kind,
    e.g. ``result.json`` of a run) is removed first, and any other non-empty
    directory is still refused (mmsim never deletes what it did not write).
    With ``remove=False`` the previous output is only checked, not removed: the
    caller replaces it (:func:`staged_output`) once it has something to write,
    so a command refused later (a bad strategy parameter) leaves it as it was.
    A non-empty directory without ``marker``, or a file, is refused with or without ``force``, in the same
    words (the message never suggests a ``--force`` that would then be refused: newcomer18).
    :func:`staged_output` runs this check again, with the command's ``force``, when it puts the output in place.
    ``merge``: ``--force`` writes the files into the folder (``mmsim demo``), as the refusal says.
    A directory holding only hidden files (``.gitkeep``) is empty: they are kept.
    A ``path`` that is a symbolic link that loops is refused first (:func:`refuse_looping_link`). One that holds the
    current folder (``-o ..`` from ``run/notes``) is refused even with ``force`` (``merge`` aside, and a folder
    without ``marker``, which ``mmsim report`` fills file by file): replacing it
    would delete the folder the shell that started the command is in (the current folder itself is filled instead).

    Raises
    ------
    UsageError
        Naming the path and what to do.
    """
    refuse_looping_link(path)
    if not _is_nonempty(path):
        return
    if marker is not None and not (path.is_dir() and (path / marker).exists()):
        _refuse_foreign(path, marker, what, merge)
    if not force:
        raise UsageError(f"{path}: the {what} already exists; pass --force to replace it, or -o another directory")
    if marker is not None and not merge and (inner := _current_folder_inside(path)) is not None:
        raise UsageError(f"{path}: the {what} holds the current folder ({inner}), which --force would delete with "
                         "it; run the command from another folder, or -o another directory")
    if marker is not None and remove:  # (a directory holding marker: anything else was refused above)
        shutil.rmtree(path)


def _current_folder_inside(path: Path) -> str | None:
    """The current folder, relative to ``path``, when it lies inside the folder ``path`` leads to (``-o ..`` from
    ``run/notes``: ``notes``), else None (``-o .`` itself is filled, not replaced: :mod:`._staging`)."""
    try:
        here, target = os.path.realpath(os.getcwd()), os.path.realpath(path)
    except OSError:  # the current folder was deleted
        return None
    inside = here.startswith(target.rstrip(os.sep) + os.sep) and here != target
    return os.path.relpath(here, target) if inside else None


def _refuse_foreign(path: Path, marker: str, what: str, merge: bool = False) -> NoReturn:
    """UsageError for a non-empty directory that is not mmsim's ``what`` (naming what it holds), or a file."""
    refusing = "refusing to write into it" if merge else "refusing to replace it"
    if not path.is_dir():
        raise UsageError(f"{path}: a file, not an mmsim {what}; {refusing} even with --force: choose another -o")
    names = visible_entries(path)
    shown = describe_entries(path, names)
    # A demo's --force writes its files among those in the folder; the others replace the folder.
    if merge:
        holds = f": it holds {shown}, among which --force would have written the demo's files" if names else ""
    else:
        holds = f": it holds {shown}, which --force would have replaced" if names else ""
    raise UsageError(f"{path}: not empty and not an mmsim {what} (no {marker}){holds}; {refusing} even "
                     "with --force: choose another -o")


@contextlib.contextmanager
def _bar(label: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    if quiet or not interactive():
        yield lambda done, total: None
        return
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,.0f}/{task.total:,.0f} events"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=True) as prog:
        task = prog.add_task(escape(label), total=1, rate="")  # a config file "cfg[x].yaml" read "cfg.yaml"

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
