"""Small path helpers shared by the commands and the sweep."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["visible_entries"]


def visible_entries(path: Path) -> list[str]:
    """The sorted names in directory ``path``, less hidden files (``.gitkeep``, ``.DS_Store``).

    A folder holding only hidden files counts as empty for an output: they are kept, and the
    output is written beside them. A hidden directory (``.git/``) still counts.
    """
    return sorted(n for n in os.listdir(path) if not (n.startswith(".") and (path / n).is_file()))
