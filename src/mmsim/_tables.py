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
rich loads when a table is built, not at ``import mmsim``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["fit_table"]


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
    rows = [[plain(x) for x in r] for r in rows]
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
