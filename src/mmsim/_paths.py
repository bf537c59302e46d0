"""Small path helpers shared by the commands and the sweep."""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["cache_dir", "describe_entries", "is_current_folder", "move_entries", "output_fault", "output_key_fault",
           "output_target", "up_from_missing", "visible_entries"]


def visible_entries(path: Path) -> list[str]:
    """The sorted names in directory ``path``, less hidden files (``.gitkeep``, ``.DS_Store``).

    A folder holding only hidden files counts as empty for an output: they are kept, and the
    output is written beside them. A hidden directory (``.git/``) still counts.
    """
    return sorted(n for n in os.listdir(path) if not (n.startswith(".") and (path / n).is_file()))


def describe_entries(path: Path, names: list[str]) -> str:
    """The first three of ``names`` (entries of directory ``path``), a folder with ``/``, and how many more:
    ``a.txt, data/, b.txt and 2 more``, for a refusal to write into a folder that is not mmsim's."""
    shown = ", ".join(n + ("/" if (path / n).is_dir() else "") for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def cache_dir() -> Path:
    """mmsim's cache directory: ``$MMSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmsim``, else ``~/.cache/mmsim``
    (compiled strategies, the receive-time checks of loaded stores); not created here."""
    env = os.environ.get("MMSIM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "mmsim"


def output_target(path: str | os.PathLike[str]) -> Path:
    """Where an output given as ``path`` (``-o``) is written: the one rule of the commands' staging
    (:mod:`mmsim.cli._staging`) and the event store writer (:mod:`mmsim.data._store_write`).

    ``os.path.realpath(path)``: absolute, ``.`` and ``..`` removed as the system reads them, so ``-o .``, ``-o ./``,
    ``-o sub/..`` and ``-o ../HERE`` are the current folder named explicitly and the staging folder goes beside
    it, not inside it (breaker18b); a symbolic link (the last component or a folder on the way) is followed to
    where it points: the output replaces what the link points to, the link itself is kept; a dangling link gives
    the path it names (written there, its missing parents created). A link that loops is not refused here (the
    callers refuse it first: :func:`mmsim.cli._common.refuse_looping_link`, the store writer's check), nor a ``..``
    out of a folder that does not exist (the commands refuse it first: :func:`up_from_missing`). No error.
    """
    return Path(os.path.realpath(path))


def up_from_missing(path: str | os.PathLike[str]) -> str | None:
    """Why output ``path`` goes up (``..``) out of a folder that does not exist, or None: ``nosub/..``, which
    :func:`output_target` (``realpath``) reads as the current folder where a shell says ``No such file or
    directory``. The message names the first missing folder (or file: ``Not a directory``) on the way to the ``..``:
    ``nosub/..: nosub: No such file or directory (the path goes up out of it with ..); create it, or choose
    another -o``; a dangling symbolic link is named with where it points (``dangl -> target: No such file or
    directory ...``). A missing folder with no ``..`` after it is no fault (the output's missing parents are made).
    """
    why = _up_from_missing(Path(path))
    return None if why is None else f"{path}: {why}; create it, or choose another -o"


def _up_from_missing(path: Path) -> str | None:
    """:func:`up_from_missing`'s reason, without the path and the advice."""
    parts = path.parts
    for i, part in enumerate(parts):
        if part != ".." or not i:
            continue
        for j in range(1, i + 1):
            folder = Path(*parts[:j])
            if not os.path.isdir(folder):  # a file on the way: the system's other word
                why = "Not a directory" if os.path.exists(folder) else "No such file or directory"
                name = f"{folder} -> {os.readlink(folder)}" if os.path.islink(folder) else str(folder)
                return f"{name}: {why} (the path goes up out of it with ..)"
    return None


def output_fault(path: str | os.PathLike[str]) -> tuple[str, bool] | None:
    """Why nothing can be written at output ``path`` (as the system reads it from the current folder), or None:
    the one check of every path a command writes to, from a flag (``-o``:
    :func:`mmsim.cli._common.refuse_looping_link`) or a file's key (a run config's or a grid's ``output``).

    Returns ``(why, missing)``: ``why`` says what is wrong without naming ``path`` itself; ``missing`` is True for a
    ``..`` out of a folder that does not exist (the advice is then ``create it, or choose another ...``). In order:

    - a file on the way (``notes.txt/out``, ``afile/../r6``, or on the way to where a link leads):
      ``FILE is a file, not a folder: nothing can be written under it``;
    - a ``..`` out of a missing folder (:func:`up_from_missing`): ``nosub: No such file or directory (the path goes
      up out of it with ..)``, a dangling link named with its target (``dangl -> target: ...``);
    - a symbolic link that loops (``path`` itself: ``a symbolic link that loops (following it never ends)``; one on
      the way: ``LINK is a symbolic link that loops (following it never ends)``).

    A dangling link (without ``..`` after it) is no fault: the output is written where it points.
    """
    path = Path(path)
    try:
        os.stat(path)
        return None
    except OSError as e:
        if e.errno == errno.ENOTDIR:
            # the first on the way that is not a folder; else on the way to where a link leads (LINK -> notes.txt/x)
            for q in [*reversed(path.parents), *reversed(Path(os.path.realpath(path)).parents)]:
                if os.path.exists(q) and not os.path.isdir(q):
                    return f"{q} is a file, not a folder: nothing can be written under it", False
        if e.errno == errno.ENOENT and (why := _up_from_missing(path)):
            return why, True
        if e.errno != errno.ELOOP:
            return None
    looping = path
    for q in [*reversed(path.parents), path]:  # the first on the way that loops
        try:
            os.stat(q)
        except OSError as e:
            if e.errno == errno.ELOOP:
                looping = q
                break
    what = "a symbolic link that loops" if looping == path else f"{looping} is a symbolic link that loops"
    return f"{what} (following it never ends)", False


def output_key_fault(text: str, base_dir: str | os.PathLike[str]) -> str | None:
    """Why a file's output key (a run config's or a grid's ``output: TEXT``) cannot be written to, or None: the
    checks of :func:`output_fault` on ``TEXT`` read against ``base_dir`` (the file's folder; joined, not yet
    resolved, so a ``..`` is checked as the system reads it). The message quotes ``TEXT`` as written and names the
    folder or link as joined: ``emp3/nosub/..: emp3/nosub: No such file or directory (the path goes up out of it
    with ..); create it, or choose another output``; the caller puts the key before it and the line after it.
    """
    p = Path(text).expanduser()
    fault = output_fault(p if p.is_absolute() else Path(base_dir) / p)
    if fault is None:
        return None
    why, missing = fault
    return f"{text}: {why}; {'create it, or ' * missing}choose another output"


def is_current_folder(target: Path) -> bool:
    """Whether ``target`` (an :func:`output_target`) is this process's current folder (``-o .``): an output put
    there replaces the folder's contents, the folder itself kept, so the shell that started the command is still
    in it afterwards (replacing the folder left the shell in a deleted one). False when there is no current folder."""
    try:
        return os.path.realpath(os.getcwd()) == os.fspath(target)
    except OSError:  # the current folder was deleted
        return False


def move_entries(src: Path, dst: Path) -> None:
    """Move every entry of directory ``src`` into directory ``dst`` (``os.replace`` each: a file of the same name in
    ``dst`` is replaced; the caller makes sure no entry is a folder where ``dst`` holds one), sorted by name."""
    for name in sorted(os.listdir(src)):
        os.replace(src / name, dst / name)
