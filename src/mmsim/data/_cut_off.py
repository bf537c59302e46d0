"""A text file cut off mid-line: a row error on its last line says so (docs/data.md, "A file cut off mid-line").

A recorder killed mid-write leaves a capture whose last line stops mid-row: a JSON line without its end, a CSV row
short of columns, a character cut in two. The loaders name that line as malformed, as they would a bad line
anywhere; :func:`cut_off_hint` (a decorator of the text loaders' ``convert``) adds that it is the file's last line
and what to do. A CSV row cut inside its last field may still read as a row and fail a later check (an orderbook
size the messages do not leave): on a last line with no newline at its end, any row error says the file may be cut
off, which would explain it (fix28b). The note goes by the line an error arose on, not by the check that raised it
(fix29a): a check whose message names another line first (LOBSTER's phantom best names the row before, a crossed book
the row it crossed at) gets it when a file read through :func:`reading` was at its last line with no newline at its
end. The line is refused, never dropped: only the file's writer can tell what the line was meant to hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Generic, ParamSpec, TypeVar

from ..errors import DataError
from ._common import open_binary

__all__ = ["cut_off_hint", "cut_off_note", "json_cut_off_hint", "reading"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")

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


class _Reading(Generic[_T]):
    """Rows ``(line, ...)`` of a text file as a loader reads them, and the line it is at (:func:`reading`)."""

    __slots__ = ("path", "line", "done", "_rows")

    def __init__(self, path: Path, rows: Iterator[tuple[int, _T]]) -> None:
        self.path, self.line, self.done, self._rows = path, 0, False, rows

    def __iter__(self) -> _Reading[_T]:
        return self

    def __next__(self) -> tuple[int, _T]:
        try:
            item = next(self._rows)
        except StopIteration:
            self.done = True  # read to its end: an error after it arose on no line of the file
            raise
        self.line = item[0]
        return item


#: The files read through :func:`reading` in the conversion under way (set by :data:`cut_off_hint`).
_READ: ContextVar[list[_Reading] | None] = ContextVar("mmsim_cut_off_read", default=None)


def reading(path: Path, rows: Iterator[tuple[int, _T]]) -> Iterator[tuple[int, _T]]:
    """``rows`` (``(line, row)`` of a text file, 1-based) as the loader reads them: a row error raised while the
    file's last line, with no newline at its end, is the one read gets the cut-off note whichever line its message
    names first (fix29a). For files read row by row in step with the error's checks (LOBSTER's two files): a file
    read ahead of the row a check is about would name a line the error is not about."""
    r = _Reading(path, rows)
    if (read := _READ.get()) is not None:
        read.append(r)
    return r


def _read_note(message: str, read: list[tuple[Path, int]]) -> str:
    """The note for the lines ``read`` when the row error ``message`` arose, those that are their file's last with no
    newline at its end (the line ``message`` names first is :func:`cut_off_note`'s); "" for none."""
    m = _AT.match(message)
    if m is None:  # not a row error ("has fewer rows than the message file")
        return ""
    named = (Path(m["path"]), int(m["line"]))
    cut = [(p, n) for p, n in read if (p, n) != named and n > 0 and _last_line(p, n) == "open"]
    if not cut:
        return ""
    where = " and ".join(f"{p}: line {n}" for p, n in cut)
    what = ("is the file's last line, with no newline at its end: the file may" if len(cut) == 1 else
            "are their files' last lines, with no newline at their ends: the files may")
    return (f"; {where}, read when this was found, {what} be cut off (a recorder stopped mid-write), which would "
            'explain this; to convert the lines before it, drop that line (docs/data.md, "A file cut off mid-line")')


def cut_off_note(message: str, *, any_reason: bool = True) -> str:
    """What a row error ``message`` (``FILE: line N: REASON``) gains when line N is the file's last and may be cut off.

    A malformed row (or a cut character) looks cut off when the line has no newline at its end, or is short of a row
    (bad JSON, fewer columns than expected) with its newline. Any other reason (an orderbook size the messages do
    not leave, a time going back) may be a row cut inside its last field that still reads as a row (``110`` cut to
    ``11``): when the line has no newline at its end, the note says the file may be cut off, which would explain the
    error (fix28b), unless ``any_reason`` is False (a JSON line: cut anywhere, it does not parse, so a whole one is
    no cut). A whole last line, with its newline, wrong for another reason gets no note; "" then and otherwise."""
    m = _AT.match(message)
    if m is None:
        return ""
    malformed = m["why"].startswith(("malformed", "not UTF-8 text"))
    if not (malformed or any_reason):
        return ""
    short = _SHORT.match(m["why"])
    if short is not None and short["have"] is not None and int(short["have"]) >= int(short["want"]):
        short = None
    path, line = Path(m["path"]), int(m["line"])
    if not path.is_file() or (end := _last_line(path, line)) is None or (end == "closed" and short is None):
        return ""
    where = "the file's last line, with no newline at its end" if end == "open" else "the file's last line"
    drop = 'to convert the lines before it, drop that line (docs/data.md, "A file cut off mid-line")'
    if not malformed:
        return f"; it is {where}: the file may be cut off (a recorder stopped mid-write), which would explain this; {drop}"
    return f"; it is {where}: the file looks cut off (a recorder stopped mid-write); {drop}"


def _hint(any_reason: bool) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    def hint(convert: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(convert)
        def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            token = _READ.set([])
            try:
                return convert(*args, **kwargs)
            except DataError as exc:
                note = cut_off_note(str(exc), any_reason=any_reason)
                if not note and any_reason:  # a row error on the line being read, whatever line it names first
                    note = _read_note(str(exc), [(r.path, r.line) for r in _READ.get() or () if not r.done])
                if note:
                    exc.args = (f"{exc}{note}",)
                raise
            finally:
                _READ.reset(token)

        return wrapped

    return hint


#: ``convert`` whose row error on a CSV file's last line says the file looks (or, for a reason other than a malformed
#: row, may be) cut off (:func:`cut_off_note`): Tardis, Databento CSV, LOBSTER message and orderbook files.
cut_off_hint = _hint(any_reason=True)
#: As :data:`cut_off_hint` for JSON lines (Binance): a malformed last line only, as a whole JSON line is no cut.
json_cut_off_hint = _hint(any_reason=False)
