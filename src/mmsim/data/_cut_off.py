"""A text file cut off mid-line: a row error on its last line says so (docs/data.md, "A file cut off mid-line").

A recorder killed mid-write leaves a capture whose last line stops mid-row: a JSON line without its end, a CSV row
short of columns, a character cut in two. The loaders name that line as malformed, as they would a bad line
anywhere; :func:`cut_off_hint` (a decorator of the text loaders' ``convert``) adds that it is the file's last line
and what to do. The line is refused, never dropped: a row cut inside its last field may still read as a row, so
only the file's writer can tell what the line was meant to hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from ..errors import DataError
from ._common import open_binary

__all__ = ["cut_off_hint", "cut_off_note"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: "FILE: line N: REASON", the head of every row error of the text loaders.
_AT = re.compile(r"(?P<path>.+?): line (?P<line>\d+): (?P<why>.*)", re.DOTALL)
#: Reasons a row cut short gives whatever its content: the JSON ends early, columns are missing.
_SHORT = re.compile(r"malformed row: (bad JSON|expected 'local_ts \{json\}')|malformed CSV|"
                    r"malformed row: (?P<have>\d+) columns, expected (?P<want>\d+)")


def _last_line(path: Path, line: int) -> str | None:
    """``"open"`` when ``line`` is the file's last line and has no newline at its end, ``"closed"`` when it is the
    last one with text and ends in a newline, None when a line with text follows it or the file cannot be read."""
    try:
        with open_binary(path) as fb:
            seen = 0  # newlines before the block
            past = False  # the block starts after the newline that ends `line`
            while block := fb.read(1 << 20):
                if not past:
                    n = block.count(b"\n")
                    if seen + n < line:
                        seen += n
                        continue
                    end = -1
                    for _ in range(line - seen):
                        end = block.index(b"\n", end + 1)
                    block, past = block[end + 1 :], True
                if block.strip():
                    return None
    except Exception:  # noqa: BLE001 - a damaged or changed file: the error stands without the note
        return None
    if past:
        return "closed"
    return "open" if seen == line - 1 else None


def cut_off_note(message: str) -> str:
    """What a row error ``message`` (``FILE: line N: malformed ...``) gains when line N is the file's last and looks
    cut off: with no newline at its end any malformed row or cut character, else a row cut short (bad JSON, fewer
    columns than expected); "" otherwise."""
    m = _AT.match(message)
    if m is None or not m["why"].startswith(("malformed", "not UTF-8 text")):
        return ""
    short = _SHORT.match(m["why"])
    if short is not None and short["have"] is not None and int(short["have"]) >= int(short["want"]):
        short = None
    path, line = Path(m["path"]), int(m["line"])
    if not path.is_file() or (end := _last_line(path, line)) is None or (end == "closed" and short is None):
        return ""
    where = "the file's last line, with no newline at its end" if end == "open" else "the file's last line"
    return (f"; it is {where}: the file looks cut off (a recorder stopped mid-write); to convert the lines before "
            'it, drop that line (docs/data.md, "A file cut off mid-line")')


def cut_off_hint(convert: Callable[_P, _R]) -> Callable[_P, _R]:
    """``convert`` whose row error on a file's last line says the file looks cut off (:func:`cut_off_note`)."""

    @functools.wraps(convert)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return convert(*args, **kwargs)
        except DataError as exc:
            if note := cut_off_note(str(exc)):
                exc.args = (f"{exc}{note}",)
            raise

    return wrapped
