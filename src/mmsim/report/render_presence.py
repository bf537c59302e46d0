"""The report's quote-presence section: the terminal table and the HTML table.

See docs/reports.md ("Quote presence") for every number; :mod:`mmsim.report.presence`
computes them.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Mapping, Sequence

from ._format import _num, _pct, format_span

__all__ = ["PRESENCE_NOTE", "presence_html", "presence_line", "presence_rows", "presence_tables"]

#: What the section says under its title (HTML).
PRESENCE_NOTE = ("Share of the venue's trading time in the report's span (as the inventory figures; halts and a "
                 "pre-open left out) with at least one of our orders live at the exchange on the side: from its "
                 "ack to its end there (filled to 0, cancelled, expired); rejected "
                 "and explicit (IOC/FOK/market) orders are never live. At the touch: our best live price at or "
                 "better than the exchange's best. Pulls: our cancel took the side out and its strategy call sent "
                 "no new order on the side (a withdrawal); requotes: the call that cancelled also sent a new "
                 "limit order on the side, which arrived later or was rejected; hits: a fill took the side out. "
                 "Gap: how long the side then stayed out (one still open at the end is cut there).")


def _dur(ns: Any) -> str:
    """A gap's duration: ``850 ns``, ``2 ms``, ``745 ms``, ``2.84 s``, ``5m45s`` (3 significant digits below a second)."""
    if ns is None:
        return "–"
    for unit, scale in (("ns", 1.0), ("µs", 1e3), ("ms", 1e6)):
        if ns < 999.5 * scale:
            return f"{ns / scale:.3g} {unit}"
    return format_span(round(ns))


def presence_rows(p: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the table, per side: live share, at the touch, pulls, requotes and hits, each with
    its gaps (requotes ``–`` without the order log's ``decision`` column)."""
    head = ["", "bid", "ask"]
    touch = p.get("at_touch") or {}
    s = [p["sides"]["bid"], p["sides"]["ask"]]
    rows = [["live", _pct(p["bid"]), _pct(p["ask"])]]
    if touch:
        rows.append(["at the touch", _pct(touch.get("bid")), _pct(touch.get("ask"))])
    for what, label in (("pull", "pulls (cancel only)"), ("requote", "requotes (cancel + new)"),
                        ("hit", "hits (a fill)")):
        rows.append([label] + [_num(x.get(what + "s")) for x in s])
        rows.append(["  gap mean / median"] + [
            f"{_dur(x[what + '_gap_mean_ns'])} / {_dur(x[what + '_gap_median_ns'])}" if x.get(what + "s") else "–"
            for x in s])
    return head, rows


def presence_line(p: Mapping[str, Any]) -> str:
    """``two-sided 20.0%, neither side 18.0% of 1.00 s``; with time the venue was not trading in the span,
    ``... of 1h00m of trading (not trading 1h00m of the 2h00m span: halts, pre-open)``."""
    span = p["to_ts"] - p["from_ts"]
    off = p.get("not_trading_ns") or 0
    if not off:
        return f"two-sided {_pct(p['two_sided'])}, neither side {_pct(p['none'])} of {format_span(span)}"
    return (f"two-sided {_pct(p['two_sided'])}, neither side {_pct(p['none'])} of {format_span(span - off)} of "
            f"trading (not trading {format_span(off)} of the {format_span(span)} span: halts, pre-open)")


def presence_tables(d: Mapping[str, Any], width: int | None) -> list[Any]:
    """The terminal section: one small table and the two-sided line (nothing without a ``presence`` block)."""
    p = d.get("presence")
    if not p:
        return []
    from rich.table import Table
    from rich.text import Text

    from .._tables import fit_table

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, caption=c)

    head, rows = presence_rows(p)
    cols = [(x, {"justify": "left" if k == 0 else "right"}) for k, x in enumerate(head)]
    of = "trading time" if p.get("not_trading_ns") else "span"
    return [fit_table(make, cols, rows, width, title=f"Quote presence (live at the exchange, share of the {of})"),
            Text(presence_line(p))]


def presence_html(d: Mapping[str, Any], table: Callable[[Sequence[str], Sequence[Sequence[str]], str], str]) -> list[str]:
    """The HTML section; ``table(header, rows, id)`` renders a table as the rest of the report does."""
    p = d.get("presence")
    if not p:
        return []
    head, rows = presence_rows(p)
    return ["<h2>Quote presence</h2>", f'<p class="note">{html.escape(PRESENCE_NOTE)}</p>',
            table(head, rows, "presence"), f'<p class="note">{html.escape(presence_line(p))}</p>']
