"""The report's markout-by-queue-position section: terminal table and lines, HTML.

The tables are those of markout by information age (``render_infoage.by_age_rows``). See
docs/reports.md ("Markout by queue position") for every number.
"""

from __future__ import annotations

import html
from typing import Any, Mapping

from ._format import _num
from .render_infoage import bucket_tables_html, by_age_rows, one_bucket, one_fill

__all__ = ["queue_position_html", "queue_position_lines", "queue_position_tables"]

#: What each basis reads as, and what its last and first buckets are.
#: The queue-ahead bucket's heading in base units (the terminal's title and the HTML's alike).
AHEAD_IN_BASE_UNITS = "qty ahead at entry in base units"
BASIS_TEXT = {"queue_ahead_at_entry": ("lots ahead at entry", "back − front of the queue"),
              "level_qty_at_fill": ("level size at the fill", "deepest − thinnest level")}


def _not_ranked(q: Mapping[str, Any]) -> str:
    parts = [f"{q['n_taker']:,} taker fill{'' if q['n_taker'] == 1 else 's'}"] if q["n_taker"] else []
    if q["n_not_recorded"]:
        parts.append(f"{q['n_not_recorded']:,} maker fill{'' if q['n_not_recorded'] == 1 else 's'} without a "
                     "queue position")
    return f" ({' and '.join(parts)} not ranked)" if parts else ""


def queue_position_lines(q: Mapping[str, Any]) -> list[str]:
    """The section's lines: what was ranked, then per basis the last bucket minus the first and Spearman's ρ."""
    if not q.get("recorded"):
        return [f"queue position: not recorded ({q['reason']})"]
    out = [f"queue position: {q['n_maker']:,} maker fill{'' if q['n_maker'] == 1 else 's'} ranked{_not_ranked(q)}"]
    if q.get("n_alone"):  # absent from a report.json written before it was counted
        out[0] += (f"; {q['n_alone']:,} of them opened their level and had no one else at their price when filled "
                   "(both figures 0, as a quote improving on the touch)")
    for block in q["by_queue"]:
        what, ends = BASIS_TEXT[block["basis"]]
        d = block.get("last_minus_first")
        if not block["n"]:
            out.append(f"by {what}: no maker fill with a markout at {block['horizon']}, no comparison")
            continue
        if not d:
            out.append(f"by {what}: {one_bucket(block)}, no comparison")
            continue
        ci = (one_fill(d, (("last", "the last"), ("first", "the first"))) if d["ci_low"] is None
              else f" (95% CI {_num(d['ci_low'], 2)} to {_num(d['ci_high'], 2)})")
        if d.get("zero_variance"):
            ci = f" (no interval: every markout of the {' and '.join(d['zero_variance'])} bucket is equal)"
        sp = block.get("spearman")
        rho = "" if not sp else f"; Spearman ρ {sp['rho']:+.2f} (p {sp['p_value']:.2g})"
        out.append(f"by {what}: last bucket − first ({ends}) {_num(d['diff'], 2)} ticks @ {block['horizon']}"
                   f"{ci}{rho}")
    return out


def queue_position_tables(d: Mapping[str, Any], width: int | None, qty: Any = None) -> list[Any]:
    """The terminal section: markout by lots ahead at entry (a short table), then the lines; the buckets in
    base units when ``qty`` (a :class:`~mmsim.report._format.Quantities`) says so."""
    from rich.table import Table
    from rich.text import Text

    from .._tables import fit_table

    q = d.get("queue_position")
    if not q:
        return []
    out: list[Any] = []
    blocks = q.get("by_queue") or []
    if q.get("recorded") and blocks and blocks[0]["buckets"]:
        def make(t: str | None, c: str | None) -> Any:
            return Table(title=t, caption=c)

        head, rows = by_age_rows(blocks[0], d["run"]["horizons"], qty=qty)
        ahead = AHEAD_IN_BASE_UNITS if qty is not None and qty.base else "lots ahead at entry"
        cols = [(h, {"justify": "left" if k == 0 else "right"}) for k, h in enumerate(head)]
        out.append(fit_table(make, cols, rows, width, groups=[[1, 2, 3, 4], list(range(5, len(head)))],
                             title=f"Markout by queue position: {ahead} (maker fills, ticks; "
                                   "first row front of the queue)"))
    out += [Text(line) for line in queue_position_lines(q)]
    return out


def queue_position_html(d: Mapping[str, Any], table: Any, qty: Any = None) -> list[str]:
    """The HTML section; ``table(header, rows, id)`` renders a table as the rest of the report does."""
    q = d.get("queue_position")
    if not q:
        return []
    parts = ["<h2>Markout by queue position</h2>"]
    base = qty is not None and qty.base
    if q.get("recorded"):
        parts.append(
            '<p class="note">Maker fills only. Lots ahead at entry: the lots displayed at the order\'s price when it '
            "arrived at the exchange (it joins the back of its level; 0: it opened the level). Level size at the "
            "fill: the lots displayed at its price just before the fill, ours not counted (0: no one else was "
            "left there, either because the level was consumed down to us or because we were alone at that "
            "price all along, as a quote improving on the touch is). Both are the exchange book's, whatever "
            "the queue model." + (f" The buckets are in base units (1 lot = {qty.lot_text})." if base else "")
            + "</p>")
        names = {basis: text for basis, (text, _) in BASIS_TEXT.items()}
        if base:  # as the terminal's title: the buckets are not lots
            names["queue_ahead_at_entry"] = AHEAD_IN_BASE_UNITS
        parts += bucket_tables_html(q["by_queue"], d["run"]["horizons"], table, names, qty)
    parts += [f'<p class="note">{html.escape(line)}</p>' for line in queue_position_lines(q)]
    return parts
