"""Small path helpers shared by the commands and the sweep."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "describe_entries", "visible_entries"]


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
