"""Each input file of a conversion given once (docs/data.md, "Several files in one store").

A file given twice, under one path or two (``lob/x.csv`` and ``../lob/x.csv``, a symlink, a hard link), was
converted twice by some loaders (its second copy then refused by an unclear time check: ``non-monotonic timestamp``),
and silently once by LOBSTER when the path repeated. :func:`given_once` is every converter's one rule: the same
file twice is refused before any row is read, naming both paths as given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import DataError

__all__ = ["given_once", "same_file_key"]


def same_file_key(path: Path) -> tuple[int, int] | str:
    """What two paths of one file share: the file's device and inode (a symlink, a hard link, ``..`` in the path
    all lead there), or for a path that cannot be read, its resolved path."""
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (st.st_dev, st.st_ino)


def given_once(sources: Iterable[str | os.PathLike]) -> list[Path]:
    """``sources`` as paths, each a different file.

    Raises
    ------
    mmsim.DataError
        ``lob/x.csv: the same file as ../lob/x.csv (given twice); give each file once``: the later path first, both
        as given.
    """
    paths = [Path(p) for p in sources]
    seen: dict[tuple[int, int] | str, Path] = {}
    for p in paths:
        first = seen.setdefault(same_file_key(p), p)
        if first is not p:
            raise DataError(f"{p}: the same file as {first} (given twice); give each file once")
    return paths
