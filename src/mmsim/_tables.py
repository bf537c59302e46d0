"""Terminal tables that fit the terminal: columns are stacked into several tables rather than cut.

Every table mmsim prints goes through :func:`fit_table`. When its natural width
(each column as wide as its widest value, values never wrapped) is within the
console's width it is one table; otherwise the columns are split into
consecutive tables, each repeating the key columns (e.g. ``horizon``), so no
number is ever cut (``-1.…``) or dropped. Column titles may wrap to two lines.
A group of columns meant to stay together is split into its columns when it does
not fit next to the key columns; a part still wider than the console (the key
columns and one column, on a very narrow terminal) wraps its cells, at spaces and
else mid-number, inside the console's width: never cut (docs/reports.md, "Outputs").
A number wider than its cell is never folded across lines (``11,985,335,…,560,97`` above ``1,187,…,272.00``
read as two numbers): it is written in scientific notation with as many digits as fit
(:class:`NumberCell`, ``1.1985335000000003e+43``), 4 significant digits at least (a cell narrower than
that folds the digits as written).
rich loads when a table is built, not at ``import mmsim``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["NumberCell", "fit_table", "scientific"]

# A number as the tables write it (``-1,234.50``, ``12.5%``, ``3e-05``), with what clings to it (``[``, ``,``, ``)``).
_NUMBER = re.compile(r"^([\[(]*)(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?)(%?[\]),;/]*)$")
#: The fewest significant digits a number is shortened to (a cell narrower than that folds it).
MIN_DIGITS = 4


def scientific(number: str, width: int) -> str:
    """``number`` (digits as a table writes them: ``11,985,335,000,000,003,293,591,560,971,187,715,437,494,272.00``)
    in scientific notation within ``width`` characters, with as many significant digits as fit, at most those
    the number has: those that tell its float apart (``1.1985335000000003e+43``; ``1.197e+15`` for
    ``1,197,000,000,000,000``), an integer's own when no float is exactly it (``100000000000000000001``); at
    least :data:`MIN_DIGITS` (``1.199e+43``, wider than ``width`` when it is narrower). Rounded half to even
    from the digits written, trailing zeros dropped."""
    import numpy as np

    text = number.replace(",", "")
    value = Decimal(text)
    if re.fullmatch(r"-?\d+", text) and Decimal(float(value)) != value:
        digits = len(text.lstrip("-").strip("0")) or 1  # an exact integer no float holds (a count past 2**53)
    else:  # a float's digits as a table writes them (with its decimals, or none: ``960,…,808``)
        shortest = np.format_float_scientific(float(value), unique=True, trim="-")
        digits = len(shortest.split("e")[0].lstrip("-").replace(".", ""))
    for sig in range(max(digits, MIN_DIGITS), MIN_DIGITS - 1, -1):
        out = _sci(value, min(sig, digits))
        if len(out) <= width:
            return out
    return _sci(value, min(MIN_DIGITS, digits))


def _sci(value: Decimal, sig: int) -> str:
    mant, exp = f"{value:.{sig - 1}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    e = int(exp)
    return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"


class NumberCell:
    """A table cell that never folds a number across lines.

    ``text`` is shown as it is when its cell is wide enough; otherwise it wraps at its spaces (``-11,000 @``
    over ``10,039``), and a number still wider than the cell (a token of digits, commas, a point, a sign, a
    ``%``, with any brackets or comma around it) is written by :func:`scientific` to fit. A cell too narrow
    for :data:`MIN_DIGITS` digits in scientific notation folds the number as written (never cuts it). Style
    and justification are the column's. Its measure: at most the whole text, at least its widest word with each number at its shortest.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"NumberCell({self.text!r})"

    def _fitted(self, width: int) -> str:
        words = self.text.split(" ")
        out = []
        for w in words:
            m = _NUMBER.match(w)
            if m is not None and len(w) > width and _finite(m.group(2)):
                pre, num, post = m.groups()
                short = pre + scientific(num, max(1, width - len(pre) - len(post))) + post
                w = short if len(short) <= width else w  # not even 4 digits fit: the digits as written fold
            out.append(w)
        return " ".join(out)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.cells import cell_len
        from rich.measure import Measurement

        return Measurement(max(self._shortest(w) for w in self.text.split(" ")),
                           cell_len(self.text)).with_maximum(options.max_width)

    @staticmethod
    def _shortest(word: str) -> int:
        """The fewest columns ``word`` takes without folding: a number at :data:`MIN_DIGITS` digits."""
        from rich.cells import cell_len

        m = _NUMBER.match(word)
        if m is None or not _finite(m.group(2)):
            return cell_len(word)
        pre, num, post = m.groups()
        return min(len(word), len(pre) + len(scientific(num, 1)) + len(post))

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.text import Text

        yield Text(self._fitted(options.max_width), overflow="fold")


def _finite(number: str) -> bool:
    try:
        return math.isfinite(float(number.replace(",", "")))
    except (OverflowError, ValueError):
        return False


def _measure(table: Any) -> int:
    """The table's natural width (every column as wide as its widest cell), in columns."""
    import io

    from rich.console import Console

    console = Console(width=10_000, color_system=None, file=io.StringIO())
    return int(console.measure(table).maximum)


def fit_table(make: Callable[[Any, Any], Any], columns: Sequence[tuple[str, dict[str, Any]]],
              rows: Sequence[Sequence[Any]], width: int | None, *, keys: int = 1,
              groups: Sequence[Sequence[int]] | None = None, title: str | None = None,
              caption: str | None = None, row_styles: Sequence[dict[str, Any]] | None = None) -> Any:
    """One rich Table, or a Group of tables stacked to fit ``width`` columns.

    Parameters
    ----------
    make : callable
        ``make(title, caption) -> rich.table.Table`` with the table's style (box,
        padding) and no columns yet; title and caption come as ``rich.text.Text``
        (or None), as every str cell and header is put in: plain text, never markup.
    columns : sequence of (header, add_column keyword arguments)
        Every column in order. Values never wrap unless a column says
        ``no_wrap=False`` (then give it a ``max_width``: text such as a long
        label wraps at its spaces inside that width).
    rows : sequence of sequences
        Cells (str or rich renderables), one per column.
    width : int or None
        The console's width; None: one table whatever its width.
    keys : int
        The first ``keys`` columns name the row and are repeated in every part.
    groups : sequence of sequences of int, optional
        Column indices (``>= keys``) that stay together when the table is split;
        by default each column alone. Every non-key column must be in one group.
    title, caption : str, optional
        The first part takes the title (later ones ``title (continued)``); the
        last part takes the caption.
    row_styles : sequence of dict, optional
        ``add_row`` keyword arguments per row (``end_section``, ``style``).

    Returns
    -------
    rich.table.Table or rich.console.Group
    """
    from rich.console import Group
    from rich.text import Text

    # Plain text, never console markup: a cell such as ``-5.6 [no CI]`` or a caption naming
    # ``[no CI]`` lost its brackets' words to rich's markup parser (``[no CI]`` reads as a style tag).
    def plain(x: Any) -> Any:
        return Text(x) if isinstance(x, str) else x

    columns = [(plain(h), kw) for h, kw in columns]
    # A cell's number is never folded across lines: too wide for its cell, it is written shorter (NumberCell).
    rows = [[NumberCell(x) if isinstance(x, str) else x for x in r] for r in rows]
    n = len(columns)
    if groups is None:
        groups = [[i] for i in range(keys, n)]
    styles = list(row_styles) if row_styles is not None else [{} for _ in rows]

    def build(cols: Sequence[int], t: str | None, c: str | None, fold: bool = False) -> Any:
        table = make(plain(t), plain(c))
        for i in cols:
            header, kw = columns[i]
            # fold: a part too wide even alone wraps its cells (at spaces, else mid-word) instead of cutting them
            table.add_column(header, **({**kw, "no_wrap": False, "overflow": "fold", "max_width": None} if fold
                                        else {"no_wrap": True, **kw}))
        for r, st in zip(rows, styles):
            table.add_row(*[r[i] for i in cols], **st)
        return table

    everything = list(range(n))
    if width is None or _measure(build(everything, None, None)) <= width:
        return build(everything, title, caption)
    # A group wider than the console even next to the key columns alone is split into its columns.
    split: list[list[int]] = []
    for g in groups:
        if len(g) > 1 and _measure(build(list(range(keys)) + list(g), None, None)) > width:
            split.extend([i] for i in g)
        else:
            split.append(list(g))
    parts: list[list[int]] = []
    current: list[int] = list(range(keys))
    for g in split:
        trial = current + list(g)
        if len(current) > keys and _measure(build(trial, None, None)) > width:
            parts.append(current)
            current = list(range(keys)) + list(g)
        else:
            current = trial
    parts.append(current)
    tables = []
    for j, cols in enumerate(parts):
        t = title if j == 0 else (f"{title} (continued)" if title else None)
        c = caption if j == len(parts) - 1 else None
        # The key columns and one column wider than the console: its cells wrap rather than being cut.
        tables.append(build(cols, t, c, fold=_measure(build(cols, None, None)) > width))
    return Group(*tables)
