"""The report's markouts-by-level section: the terminal table and the HTML table.

See docs/reports.md ("Markouts by level") for every number; :mod:`mmsim.report.levels`
computes them.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Mapping, Sequence

from ._format import _ci, _money, _num, _pct

__all__ = ["LEVELS_NOTE", "level_rows", "levels_html", "levels_tables"]

#: What the section says under its title (HTML) or in its title (terminal).
LEVELS_NOTE = ("Fills by the target level their order was sent for (0 = the first level of the quote's list "
               "for that side; explicit = IOC, FOK and market orders). Markouts in ticks, + = good for us; "
               "the interval is for the mean at the toxic horizon; toxic: the share of fills with a negative "
               "markout there. Orders and fill rate count the orders sent for the level (the order log).")


def level_rows(block: Mapping[str, Any], horizons: Sequence[str], full: bool = False,
               qty: Any = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the by-level table (``report.json``'s ``by_level``).

    Parameters
    ----------
    block : mapping
        ``by_level``: ``horizon`` (the toxic horizon) and ``rows``.
    horizons : sequence of str
        The report's horizon labels; each besides the toxic one gets a column of means.
    full : bool
        Add the maker and taker counts, the mean effective half-spread, spread capture
        and fees (the HTML table); the terminal leaves them out.
    qty : Quantities, optional
        The filled quantity in base units (column ``base units``) when it says so; else lots.
    """
    base = qty is not None and qty.base
    h = block["horizon"]
    others = [x for x in horizons if x != h]
    head = ["level", "orders", "fills", "base units" if base else "lots", "fill rate"]
    if full:
        head += ["maker", "taker"]
    head += [f"mean @ {h}", "95% CI", "toxic"] + others
    if full:
        head += ["effective", "spread capture", "fees"]
    rows = []
    for r in block["rows"]:
        m = r["markouts"][h]["ticks"]
        cells = [r["label"], _num(r["orders_sent"]), _num(r["count"]), qty.qty(r["qty"]) if base else _num(r["qty"]), _pct(r["fill_rate"])]
        if full:
            cells += [_num(r["maker_count"]), _num(r["taker_count"])]
        cells += [_num(m["mean"], 2),
                  _ci(m),
                  _pct(r["toxic_share"])]
        cells += [_num(r["markouts"][x]["ticks"]["mean"], 2) for x in others]
        if full:
            cells += [_num(r["effective_ticks"]["mean"], 2), _money(r["spread_capture"]), _money(r["fees"])]
        rows.append(cells)
    return head, rows


def levels_tables(d: Mapping[str, Any], width: int | None, qty: Any = None) -> list[Any]:
    """The terminal section: one table, stacked to fit ``width`` (nothing without a ``by_level`` block)."""
    block = d.get("by_level")
    if not block:
        return []
    from rich.table import Table

    from .._tables import fit_table

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, caption=c)

    head, rows = level_rows(block, d["run"]["horizons"] + d["run"]["event_horizons"], qty=qty)
    cols = [(x, {"justify": "left" if k == 0 else "right"}) for k, x in enumerate(head)]
    groups = [[1, 2, 3, 4], [5, 6, 7]] + ([list(range(8, len(head)))] if len(head) > 8 else [])
    return [fit_table(make, cols, rows, width, groups=groups,
                      title="Markouts by target level (ticks, + = good for us; explicit = IOC/FOK/market)")]


def levels_html(d: Mapping[str, Any], table: Callable[[Sequence[str], Sequence[Sequence[str]], str], str],
                qty: Any = None) -> list[str]:
    """The HTML section; ``table(header, rows, id)`` renders a table as the rest of the report does."""
    block = d.get("by_level")
    if not block:
        return []
    head, rows = level_rows(block, d["run"]["horizons"] + d["run"]["event_horizons"], full=True, qty=qty)
    return [f"<h2>Markouts by target level (@ {html.escape(block['horizon'])})</h2>",
            f'<p class="note">{html.escape(LEVELS_NOTE)} Effective: mean effective half-spread (ticks); spread '
            "capture and fees in quote currency (the PnL split's parts, by level).</p>",
            f'<div style="overflow-x:auto">{table(head, rows, "by-level")}</div>']
