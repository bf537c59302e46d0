"""How a command's output directory is written whole or not at all: staged in a hidden sibling, put in place at once.

:func:`staged_output` (and its :class:`Staged`) is used by ``mmsim run``, ``report``, ``queue-score``,
``sweep --point``, ``demo`` and a sweep's report (its files put into the sweep's folder each whole); :func:`staged_file`
by ``mmsim compare -o`` (docs/config.md, "An output directory is written whole or not at all").
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from .._paths import is_current_folder, move_entries, output_target, visible_entries
from ..errors import disk_full, disk_full_error

__all__ = ["Staged", "staged_file", "staged_output"]


def _outside(filename: object, staged: Path | None, path: Path) -> Path:
    """``filename`` (an OSError's) under ``staged`` as the same name under ``path``; ``path`` without one."""
    if isinstance(filename, (str, os.PathLike)) and staged is not None:
        try:
            return path / Path(filename).relative_to(staged)
        except ValueError:
            pass
    return path


class Staged:
    """A command's output written in a hidden sibling directory, put in place whole (:func:`staged_output`)."""

    def __init__(self, path: Path, marker: str, check: Callable[[], None] | None = None) -> None:
        # ``-o .`` and a symbolic link alike: staged beside the folder it names or points to (_paths.output_target:
        # the store writer's rule too), the link kept (breaker17d), never inside the current folder (breaker18b)
        self.path, self.target, self.marker = Path(path), output_target(path), marker
        self.check = check  # the command's start check (its --force or not), run again at commit (newcomer18)
        self.committed = False
        self._dir: Path | None = None
        self._created: list[Path] = []  # the target's parents dir() created, deepest first

    def _make_parents(self) -> None:
        """Create the target's missing parents, noting them: removed again if the output is not committed."""
        from ..data._store_write import make_parents  # (the store writer's: numpy is not imported at mmsim's start)

        self._created = make_parents(self.target)

    def _remove_created_parents(self) -> None:
        """Remove the parents :meth:`_make_parents` created, deepest first, each only while empty."""
        from ..data._store_write import remove_parents

        remove_parents(self._created)

    def dir(self) -> Path:
        """The directory to write in (created on first use): ``.NAME.writing-PID`` beside the target."""
        if self._dir is None:
            self._make_parents()
            d = self.target.parent / f".{self.target.name}.writing-{os.getpid()}"
            if d.exists():  # left by a process of the same pid that was killed mid-write
                shutil.rmtree(d)
            d.mkdir()
            self._dir = d
        return self._dir

    def commit(self, *, merge: bool = False, replaces: Collection[str] = ()) -> None:
        """Put the written directory in place of the target (a previous output holding
        ``marker``, or an empty directory), with Ctrl-C held back for the two renames; the
        command's outcome is then settled (:func:`._sigint.settled`): a Ctrl-C while the
        previous output is deleted, or the tables and the last line are printed, changes nothing.
        ``merge``: a non-empty target (accepted with ``--force``, ``mmsim demo``) receives the
        files one by one, each whole, the others in it left as they are; when it holds ``marker`` (an
        earlier output of the same kind), the names of ``replaces`` it holds that were not written
        this time (an earlier report's plots) are removed in the same step, nothing else.
        ``check`` (the command's start check, :func:`._common.ensure_new_output` with its ``--force`` or
        not) is run again first: an output another command put at the target meanwhile is replaced only
        with ``--force``; without it the command is refused as at its start (UsageError), nothing moved.
        The current folder (``-o .``, empty or holding ``marker`` with ``--force``) is not replaced but emptied and
        filled, its earlier output moved aside first and deleted after: the shell that started the command is
        still in the folder afterwards (docs/config.md)."""
        from .._interrupt import _sigint_blocked
        from ._sigint import settled

        old = None
        with _sigint_blocked():
            if self.check is not None:
                self.check()
            t = self.target
            if t.is_dir() and any(t.iterdir()) and (merge or not visible_entries(t)):  # (kept: its hidden files)
                written = {f.name for f in self.dir().iterdir()}
                clash = sorted(n for n in written if (t / n).is_dir() and not (t / n).is_symlink())
                if clash:  # os.replace of a file onto it fails midway: refused before any file moves (breaker18a)
                    from ..errors import DataError

                    raise DataError(f"{self.path / clash[0]}: a folder, where this output writes a file of that name; "
                                    "nothing was written (move it, or choose another -o)")
                stale = [n for n in replaces if n not in written and (t / self.marker).is_file()
                         and ((t / n).is_file() or (t / n).is_symlink())]
                for f in sorted(self.dir().iterdir()):  # --force into a folder: each file whole
                    os.replace(f, t / f.name)
                self.dir().rmdir()
                for n in stale:  # the earlier output's files this one does not have (outdir18)
                    (t / n).unlink(missing_ok=True)
            elif is_current_folder(t):  # -o . (empty, or --force over its own output): its contents replaced, the
                if (t / self.marker).exists():  # folder kept: the shell that started the command stays in it
                    old = t.parent / f".{t.name}.replaced-{os.getpid()}"
                    if old.exists():
                        shutil.rmtree(old)
                    old.mkdir()
                    move_entries(t, old)
                move_entries(self.dir(), t)
                self.dir().rmdir()
            else:
                if t.is_dir() and (t / self.marker).exists():
                    old = t.parent / f".{t.name}.replaced-{os.getpid()}"
                    if old.exists():
                        shutil.rmtree(old)
                    os.replace(t, old)
                elif t.is_dir() and not any(t.iterdir()):
                    t.rmdir()
                os.replace(self.dir(), t)
            self.committed = True
            settled()  # the output is in place: a Ctrl-C from now on changes nothing (its status included)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_output(path: Path, marker: str, *, check: Callable[[], None] | None = None) -> Iterator[Staged]:
    """Write a command's output whole or not at all.

    The command writes in ``stage.dir()`` and calls ``stage.commit()`` once everything is
    there; the directory then replaces ``path`` (a previous output :func:`ensure_new_output`
    accepted with ``remove=False``, holding ``marker``). Left uncommitted (an error, Ctrl-C
    while the files or the report are written), the staged directory is removed and
    ``path`` is as it was: a run directory is never half written (``result.json`` without
    its report, or record arrays without ``result.json``; docs/config.md). A second Ctrl-C
    while the staged directory is removed is raised once it is gone. The parents of ``path`` the
    command created (``-o a/b/c`` with no ``a/``) are removed too, deepest first, each only while
    empty; those that existed stay. ``check``: the command's start check of ``path`` (with its ``--force`` or
    not, nothing removed), run again by :meth:`Staged.commit` (None: none, as ``mmsim report`` into its run).
    """
    from .._interrupt import _sigint_deferred

    stage = Staged(path, marker, check)
    try:
        yield stage
    except OSError as exc:
        if not disk_full(exc):
            raise
        # The file the disk filled on, named where it was to go (not in the hidden staged folder); else the output.
        raise disk_full_error(exc, _outside(exc.filename, stage._dir, stage.path)) from exc
    finally:
        if not stage.committed:
            with _sigint_deferred():  # a second Ctrl-C: raised once the staged directory is gone
                if stage._dir is not None:
                    shutil.rmtree(stage._dir, ignore_errors=True)
                stage._remove_created_parents()


@contextlib.contextmanager
def staged_file(path: Path, *, check: Callable[[], None] | None = None) -> Iterator[Path]:
    """Write a command's one output file whole or not at all (``mmsim compare -o``).

    Yields the hidden name ``.STEM.writing-PID.SUFFIX`` beside the file (``.compare.writing-PID.json``: its suffix
    kept, for writers that go by it) (beside where a link leads, as
    :func:`staged_output`), its missing parent folders created. When the block ends without error, ``check`` (the
    command's start check with its ``--force`` or not: an output another command put there meanwhile is replaced
    only with ``--force``) is run again and the hidden file replaces ``path`` in one rename, Ctrl-C held back; the
    command's outcome is then settled. Left by an error or a Ctrl-C (SIGTERM), the hidden file and the parents
    created are removed and ``path`` is as it was: never half a file, never an earlier output lost.
    """
    from .._interrupt import _sigint_blocked, _sigint_deferred
    from ..data._store_write import make_parents, remove_parents
    from ._sigint import settled

    target = output_target(path)
    created = make_parents(target)
    tmp = target.parent / f".{target.stem}.writing-{os.getpid()}{target.suffix}"
    done = False
    try:
        try:
            yield tmp
        except OSError as exc:
            if not disk_full(exc):
                raise
            raise disk_full_error(exc, path) from exc
        with _sigint_blocked():
            if check is not None:
                check()
            os.replace(tmp, target)
            done = True
            settled()  # the file is in place: a Ctrl-C from now on changes nothing
    finally:
        if not done:
            with _sigint_deferred():  # a second Ctrl-C: raised once the hidden file is gone
                tmp.unlink(missing_ok=True)
                remove_parents(created)
