"""How a command's output directory is written whole or not at all: staged in a hidden sibling, put in place at once.

:func:`staged_output` (and its :class:`Staged`) is used by ``mmsim run``, ``report``, ``queue-score``,
``sweep --point`` and ``demo`` (docs/config.md, "An output directory is written whole or not at all").
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .._paths import visible_entries

__all__ = ["Staged", "staged_output"]


class Staged:
    """A command's output written in a hidden sibling directory, put in place whole (:func:`staged_output`)."""

    def __init__(self, path: Path, marker: str) -> None:
        link = Path(path)  # a symbolic link: written where it points, staged beside that, the link kept (breaker17d)
        self.target, self.marker = (Path(os.path.realpath(link)) if link.is_symlink() else link), marker
        self.committed = False
        self._dir: Path | None = None

    def dir(self) -> Path:
        """The directory to write in (created on first use): ``.NAME.writing-PID`` beside the target."""
        if self._dir is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            d = self.target.parent / f".{self.target.name}.writing-{os.getpid()}"
            if d.exists():  # left by a process of the same pid that was killed mid-write
                shutil.rmtree(d)
            d.mkdir()
            self._dir = d
        return self._dir

    def commit(self, *, merge: bool = False) -> None:
        """Put the written directory in place of the target (a previous output holding
        ``marker``, or an empty directory), with Ctrl-C held back for the two renames; the
        command's outcome is then settled (:func:`._sigint.settled`): a Ctrl-C while the
        previous output is deleted, or the tables and the last line are printed, changes nothing.
        ``merge``: a non-empty target (accepted with ``--force``, ``mmsim demo``) receives the
        files one by one, each whole, the others in it left as they are."""
        from .._interrupt import _sigint_blocked
        from ._sigint import settled

        old = None
        with _sigint_blocked():
            t = self.target
            if t.is_dir() and any(t.iterdir()) and (merge or not visible_entries(t)):  # (kept: its hidden files)
                for f in sorted(self.dir().iterdir()):  # --force into a folder: each file whole
                    os.replace(f, t / f.name)
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
def staged_output(path: Path, marker: str) -> Iterator[Staged]:
    """Write a command's output whole or not at all.

    The command writes in ``stage.dir()`` and calls ``stage.commit()`` once everything is
    there; the directory then replaces ``path`` (a previous output :func:`ensure_new_output`
    accepted with ``remove=False``, holding ``marker``). Left uncommitted (an error, Ctrl-C
    while the files or the report are written), the staged directory is removed and
    ``path`` is as it was: a run directory is never half written (``result.json`` without
    its report, or record arrays without ``result.json``; docs/config.md). A second Ctrl-C
    while the staged directory is removed is raised once it is gone.
    """
    from .._interrupt import _sigint_deferred

    stage = Staged(path, marker)
    try:
        yield stage
    finally:
        if not stage.committed and stage._dir is not None:
            with _sigint_deferred():  # a second Ctrl-C: raised once the staged directory is gone
                shutil.rmtree(stage._dir, ignore_errors=True)
