"""The report's fills on a stale book: the summary row, the terminal table of markouts stale vs other, the HTML.

See :mod:`mmsim.report.stale` and docs/reports.md ("Fills on a stale book") for every number.
"""

from __future__ import annotations

import html
from typing import Any, Mapping

from ._format import _num, _pct

__all__ = ["STALE_LABEL", "stale_html", "stale_rows", "stale_tables"]

#: The summary row's label, with the pointer to the model gap it measures.
STALE_LABEL = "Fills on a stale book (docs/engine.md item 11)"

_HEADER = ("horizon", "stale mean", "stale n", "other mean", "other n", "stale − other", "95% CI")

_NOTE = ("A maker fill is on a stale book when its order reached the exchange after a print strictly through "
         "its price and through the book's touch on the side it traded against (a sell print below a bid and below "
         "the book's best bid; a buy print above an ask and above the book's best ask), with no depth update of "
         "that side since: the book still showed the liquidity the print had taken; each fill counts only up to "
         "that side's next depth update. On L2 data trades do not move the book, only depth updates do "
         "(docs/engine.md, Engine semantics item 11), so such a quote meets the book as the last depth update left "
         "it and the next print fills it; on L3 data each execution updates its order's side, so expect none. "
         "Other: the other maker fills. Markouts in ticks, + = good for us; stale − other with Welch's t "
         "interval. Fast markets alone make such fills' markouts worse: the difference bounds the model's share "
         "from above (docs/reports.md, Fills on a stale book).")


#: Under the terminal table: what the difference does not say (the HTML's note says it too).
_CAVEAT = ("fast markets alone make such fills' markouts worse (orders that arrive just after the price moved "
           "through them): the difference bounds the model's share from above, it does not measure it")


def stale_rows(d: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary row ``Fills on a stale book ... 471 of 731 (64.4%)`` (none for a report.json without the
    section, or of a run marked to other events)."""
    s = d.get("stale_book")
    if not s:
        return []
    return [(STALE_LABEL, f"{s['count']:,} of {s['n_maker']:,} ({_pct(s['share'])})")]


def _diff(r: Mapping[str, Any]) -> list[str]:
    """The difference's cells: the number and its Welch interval (``–`` where there is none)."""
    d = r.get("difference")
    if not d:
        return ["–", "–"]
    ci = "–" if d["ci_low"] is None else f"[{_num(d['ci_low'], 2)}, {_num(d['ci_high'], 2)}]"
    return [_num(d["diff"], 2), ci]


def _rows(s: Mapping[str, Any]) -> list[list[str]]:
    return [[r["horizon"], _num(r["stale"]["mean"], 2), f"{r['stale']['n']:,}", _num(r["other"]["mean"], 2),
             f"{r['other']['n']:,}", *_diff(r)] for r in s["markouts"]]


def _lines(s: Mapping[str, Any]) -> list[str]:
    skipped = [f"{s['n_taker']:,} taker fill{'' if s['n_taker'] == 1 else 's'}"] if s["n_taker"] else []
    if s["n_not_classified"]:
        skipped.append(f"{s['n_not_classified']:,} maker fill{'' if s['n_not_classified'] == 1 else 's'} whose "
                       "order is not in the order log")
    return [f"not classified: {' and '.join(skipped)}"] if skipped else []


def stale_tables(d: Mapping[str, Any], width: int | None) -> list[Any]:
    """The terminal section: markouts of the stale fills and of the other maker fills, per horizon."""
    from rich.table import Table
    from rich.text import Text

    from .._tables import fit_table

    s = d.get("stale_book")
    if not s or not s["count"]:  # none: the summary's row says so (as on L3 data)
        return [Text(line) for line in _lines(s)] if s else []

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, caption=c)

    cols = [(h, {"justify": "left" if k == 0 else "right"}) for k, h in enumerate(_HEADER)]
    out: list[Any] = [fit_table(make, cols, _rows(s), width, groups=[[1, 2], [3, 4], [5, 6]],
                                title=f"Markouts of maker fills on a stale book ({s['count']:,}) vs the other "
                                      f"{s['n_maker'] - s['count']:,} (ticks; stale − other with Welch's t "
                                      "interval; docs/reports.md, Fills on a stale book)")]
    return out + [Text(line) for line in [*_lines(s), _CAVEAT]]


def stale_html(d: Mapping[str, Any], table: Any) -> list[str]:
    """The HTML section; ``table(header, rows, id)`` renders a table as the rest of the report does."""
    s = d.get("stale_book")
    if not s:
        return []
    parts = ["<h2>Fills on a stale book</h2>",
             f'<p class="note">{html.escape(_NOTE)}</p>',
             f'<p class="note" id="stale-count">{html.escape(stale_rows(d)[0][1])} maker fills.</p>']
    if s["count"]:
        parts.append(table(list(_HEADER), _rows(s), "stale-book"))
    return parts + [f'<p class="note">{html.escape(line)}</p>' for line in _lines(s)]
