"""A sweep's outputs: the terminal table, one plot per varying key, results.csv and a single-file HTML page."""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..analysis.comparison import pp_text
from .cells import interval_cell, number_cell, percent_cell
from .grid import Grid
from .labels import _short, _value_text, one_spelling, typed_form
from .metrics import (_SHORT_HEADER, _VS, _compared, _compared_header, _fmt, _header, _metric_columns,
                      _value_labels, metric_decimals, metric_scale, pnl_span)
from .plots import SYMLOG_RATIO, render_plots, sweep_figures
from .units import units_lines

__all__ = ["POINT_ID_SHOWN", "SYMLOG_RATIO", "render_html", "render_plots", "rich_table", "sweep_figures",
           "write_report"]


def _verdict_cell(r: Mapping[str, Any]) -> str:
    """The point's verdict on its fills, what it rests on (:func:`~mmsim.sweep.baseline.verdict_on`), then the
    PnL's own word (:func:`~mmsim.sweep.baseline.pnl_verdict`): ``fills: better (mk 1s, spread); PnL: not
    significant``, ``fills: mixed (+spread, −mk 1s); PnL: worse``, ``fills: none real; PnL: not significant``;
    ``baseline`` and ``skipped`` alone. "better" never stands without what it is about and what the PnL says."""
    verdict, on, pnl = r.get("verdict"), r.get("verdict_on"), r.get("pnl_verdict")
    if not verdict:
        return "–"
    if verdict in ("baseline", "skipped"):
        return str(verdict)
    return f"fills: {verdict}" + (f" ({on})" if on else "") + (f"; PnL: {pnl}" if pnl else "")


def _interval(r: Mapping[str, Any], m: str) -> str:
    """``estimate [ci_low, ci_high]`` of a difference from the baseline with the decimals of its unit, as the
    metric's own column (:func:`~mmsim.sweep.cells.interval_cell`: ``-1.000 [-1.750, -0.625]`` ticks/lot,
    ``-200.00 [-201.00, -199.50]`` quote ccy); a difference of shares (two-sided presence) in percentage points
    with 2 decimals: ``-3.10 pp [-3.52, -2.71]``."""
    est = r.get(_VS + m)
    if est is None:
        return "–"
    # An interval on too few resampled blocks is shown but never counted by the verdict: it says so, as mmsim
    # compare's real? column does (it read like a tested one, breaker35 F1).
    return _interval_text(r, m, est) + (" few blocks" if r.get(f"{_VS}{m}.few_blocks") else "")


def _interval_text(r: Mapping[str, Any], m: str, est: Any) -> str:
    lo, hi = r.get(f"{_VS}{m}.ci_low"), r.get(f"{_VS}{m}.ci_high")
    if metric_scale(_VS + m) == 100.0:
        pp = [None if v is None else pp_text(100.0 * v) for v in (est, lo, hi)]
        return f"{pp[0]} pp [{pp[1]}, {pp[2]}]" if lo is not None and hi is not None else f"{pp[0]} pp [no CI]"
    decimals = metric_decimals(_VS + m)
    if decimals is None or not all(v is None or _finite(v) for v in (est, lo, hi)) or not _finite(est):
        return f"{_fmt(est)} [{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and hi is not None else f"{_fmt(est)} [no CI]"
    return interval_cell(float(est), None if lo is None else float(lo), None if hi is None else float(hi), decimals)


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _cell(metric: str, v: Any) -> str:
    """A metric's table cell with the decimals of its unit (:func:`~mmsim.sweep.metrics.metric_decimals`: a fixed
    rule of the metric, never of the other rows): ``48,089.00``, ``-1.161``, ``4,061``; a fraction in percent
    (``57.04%``; results.csv and results.jsonl keep the fraction); anything else :func:`_fmt`."""
    decimals = metric_decimals(metric)
    if decimals is None or not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        return _fmt(v)
    return percent_cell(float(v), decimals) if metric_scale(metric) == 100.0 else number_cell(float(v), decimals)


def _table_rows(rows: Sequence[Mapping[str, Any]], grid: Grid, *,
                short: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and cells: the grid's keys (and repeat), status, the metrics, then the point's id and digest."""
    keys = list(grid.keys)
    rows = one_spelling(rows, keys)  # one value, one label: 1ms and 1000us on two strategies' points read 1ms
    metrics = _metric_columns(rows, keys)
    if short:  # the terminal keeps the total; the PnL split is in the CSV and HTML
        metrics = [m for m in metrics if m not in ("pnl.spread_capture", "pnl.inventory", "pnl.fees")]
    names = [(_SHORT_HEADER.get(m, _header(m).replace("markout ", "mk ")) if short else _header(m)) for m in metrics]
    tail = ["point"] if short else ["point", "digest"]
    compared = _compared(rows) if grid.baseline is not None else []
    verdict = ["verdict"] if grid.baseline is not None else []
    header = (keys + (["repeat"] if grid.repeats > 1 else []) + ["status"] + verdict + names
              + [_compared_header(m, short, rows) for m in compared] + tail)
    # Labels whole: the terminal wraps a long one inside its column rather than cut it.
    columns = [_value_labels([r.get(k) for r in rows], 10_000 if short else 60, k) for k in keys]
    body = []
    for i, r in enumerate(rows):
        line = [col[i] for col in columns]
        if grid.repeats > 1:
            line.append(str(r.get("repeat")))
        if r.get("status") == "ok":
            line.append("ok")
            line.extend(_verdict_cell(r) for _ in verdict)
            line.extend(_cell(m, r.get(m)) for m in metrics)
            # The baseline point against itself is 0 [0, 0] by construction (results.csv keeps those numbers).
            line.extend(BASELINE_CELL if r.get("verdict") == "baseline" else _interval(r, m) for m in compared)
        else:
            # The terminal lists each failure's message under the table (a long cell would not fit).
            line.append(str(r.get("error_type")) if short
                        else f"{r.get('error_type')}: {_short(str(r.get('error_message')), 60)}")
            line.extend("–" for _ in verdict + metrics + compared)
        line.append(str(r.get("id"))[:POINT_ID_SHOWN] if short else str(r.get("id")))
        if not short:
            line.append(str(r.get("digest") or "–"))
        body.append(line)
    return header, body


#: What the terminal's ``stale`` column is (shown when a point's report computed the share: docs/sweeps.md).
_STALE_CAPTION = ("stale = share of the maker fills on a stale book (docs/reports.md, Fills on a stale book), in "
                  "percent (results.csv: stale_book.share, a fraction; 0 on L3 data by construction; – where the "
                  "report has none); ")

#: A baseline point's Δ cells (its difference from itself, ``0 [0, 0]`` in results.csv, is no finding).
BASELINE_CELL = "baseline"

#: Widest a key column of the terminal table gets (a longer label wraps at its spaces).
_KEY_WIDTH = 24

#: Characters of a point's id the terminal table shows (``mmsim sweep --point`` takes any unique prefix).
POINT_ID_SHOWN = 8


def rich_table(rows: Sequence[Mapping[str, Any]], grid: Grid, max_rows: int = 200, width: int | None = None) -> Any:
    """The results as a rich Table (one row per point, short column titles).

    Parameters
    ----------
    rows : list of dict
        What :func:`~mmsim.sweep.run_sweep` returned.
    grid : Grid
        The grid they came from (its varying keys become the first columns).
    max_rows : int
        Show the first this many points (all of them are in results.csv and sweep.html). This and
        ``width`` take a whole float as that integer (``50.0``); a fraction or a bool is a ConfigError.
    width : int, optional
        The console's width: a wider table is stacked into several, each
        repeating the grid's key columns, so no number is cut or dropped.

    Returns
    -------
    rich.table.Table or rich.console.Group
    """
    from rich.table import Table

    from .._tables import fit_table
    from ..config import integer_argument

    # Integer keywords as integer config keys: 50.0 is 50; 2.5 and True are refused.
    max_rows = integer_argument(max_rows, "max_rows must be a non-negative integer", low=0)
    width = None if width is None else integer_argument(width, "width must be a positive integer", low=1)
    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    warned = units_lines(rows, POINT_ID_SHOWN)  # of every point, shown or not
    title = f"mmsim sweep: {len(rows)} points, {n_fail} failed"
    if len(rows) > max_rows:
        title += f" (first {max_rows} shown; all in results.csv and sweep.html)"
        rows = rows[:max_rows]
    header, body = _table_rows(rows, grid, short=True)
    caption = ("PnL in quote currency (its split: results.csv, sweep.html); toxic = share of fills with a negative "
               "markout at the toxic horizon, in percent (results.csv: a fraction); 2-sided = share of the trading time with quotes "
               "live on both sides (percent); " + (_STALE_CAPTION if "stale" in header else "") + "mk h = mean markout per fill "
               "at h in ticks (+ = good for us); point: the start of the point's id (mmsim sweep GRID --point ID writes its full report)")
    if grid.baseline is not None:
        caption += "; " + _baseline_caption(grid, rows)
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    # The grid's keys wrap at their spaces within 24 columns (a strategy with its parameters, a lognormal
    # latency with its floor); every other cell stays on one line.
    wrap = {"no_wrap": False, "max_width": _KEY_WIDTH, "overflow": "fold"}
    cols = [(h, {"justify": "left", **wrap} if i < len(grid.keys)
             else {"justify": "left" if i <= nk or h == "verdict" or i == len(header) - 1 else "right"})
            for i, h in enumerate(header)]
    # Stacked column by column: status and the headline figures first, then the point, then the markouts.
    marks = [i for i, h in enumerate(header) if h.startswith("mk ")]
    deltas = [i for i, h in enumerate(header) if h.startswith("Δ ")]
    groups = ([[i] for i in range(nk, len(header)) if i not in marks + deltas] + [[m] for m in marks]
              + [[d] for d in deltas])

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, caption=c)

    table = fit_table(make, cols, body, width, keys=nk, groups=groups, title=title, caption=caption)
    failed = [r for r in rows if r.get("status") != "ok"]
    skipped = [r for r in rows if r.get("status") == "ok" and r.get("baseline_note")]
    if not failed and not skipped and not warned:
        return table
    from rich.console import Group
    from rich.text import Text

    lines = [Text(w, style="yellow") for w in warned]
    lines += [Text(f"point {str(r.get('id'))[:POINT_ID_SHOWN]} ({_describe(r, grid)}): {r.get('error_type')}: "
                   f"{r.get('error_message')}", style="red") for r in failed[:_MAX_ERRORS_SHOWN]]
    if len(failed) > _MAX_ERRORS_SHOWN:
        lines.append(Text(f"... and {len(failed) - _MAX_ERRORS_SHOWN} more failures (results.csv, sweep.html)"))
    lines += [Text(f"point {str(r.get('id'))[:POINT_ID_SHOWN]} ({_describe(r, grid)}): not compared: "
                   f"{r.get('baseline_note')}", style="yellow") for r in skipped[:_MAX_ERRORS_SHOWN]]
    if len(skipped) > _MAX_ERRORS_SHOWN:
        lines.append(Text(f"... and {len(skipped) - _MAX_ERRORS_SHOWN} more points not compared (results.csv)"))
    return Group(table, *lines)


def _pnl_caption(rows: Sequence[Mapping[str, Any]]) -> str:
    """What the Δ PnL column is over, as its header names it (:func:`~mmsim.sweep.metrics.pnl_span`)."""
    short, long = pnl_span(rows)
    if long == "PnL per day":
        return "Δ PnL/day in quote currency per day of data"
    if long.startswith("PnL over "):
        return f"Δ {short}: in quote currency over the {long[len('PnL over '):]} of data (less than a day: not scaled to a day)"
    return "Δ PnL in quote currency, per day of data, or over its span on less than a day of data"


def _baseline_caption(grid: Grid, rows: Sequence[Mapping[str, Any]] = ()) -> str:
    """What the Δ columns and the verdict mean, with the comparison's settings; the PnL's as ``rows``' column
    names it (:func:`~mmsim.sweep.metrics.pnl_span`: per day, or over the span of less than a day of data)."""
    from ..config import format_ns

    if grid.baseline is None:
        return ""
    opts = grid.baseline.settings
    level = f"{opts.confidence * 100:g}%"
    return (f"Δ = this point − its baseline point, paired over {format_ns(opts.bucket_ns)} buckets, with its {level} "
            f"stationary-bootstrap CI ({opts.n_boot} resamples, seed {opts.seed}; Δ mk and Δ spread per lot, "
            "Σ value·lots / Σ lots as mmsim compare, so with fills of different sizes Δ mk is not the difference of "
            "two mk cells (means per fill); "
            + _pnl_caption(rows) + "; + = the point is better); verdict: fills: on the markouts and spread "
            "capture alone, better or worse when every one whose CI excludes 0 points that way, mixed when both, in "
            "brackets those whose CI excludes 0 (mixed: each with its sign), none real when none, not tested when "
            "no difference has a CI ([no CI]: too few time buckets or fills, results.jsonl's verdicts say which; a "
            "shorter compare.bucket gives more buckets); few blocks after a CI: it rests on fewer than 10 resampled "
            "blocks, shown but not tested, so never part of a verdict; PnL: the PnL/day difference's own word, better or worse "
            "when its CI excludes 0, not significant when it spans 0, not tested without a CI; "
            "baseline for the baseline point, and in its Δ cells (results.csv: its 0 [0, 0] against itself); Δ 2-sided: "
            "the difference of the two-sided presence in percentage points (of the trading time, as mmsim compare), "
            "shown but never part of a verdict" + _REPEATS_NOTE * (grid.repeats > 1))


#: How the plots draw a point's repeats (each has its own row and interval in the table).
_REPEATS_NOTE = ("; with repeats each repeat has its own row; the plots draw a point at the mean of its repeats with "
                 "a bar spanning every repeat's interval, so each row's interval lies inside it")


_MAX_ERRORS_SHOWN = 10


def _describe(row: Mapping[str, Any], grid: Grid) -> str:
    """The keys this point sets, each value whole (a key another point varies, left at the base here,
    is not named): a message names the point exactly, so two points that differ only at the end of a
    long strategy label never read alike (``flowpull(half_spread=1, size=100, max_p…`` did). Table
    cells are what fit a column; a message line wraps."""
    return ", ".join(f"{k}={_value_text(row.get(k), k)}" for k in grid.keys
                     if row.get(k) is not None) or "base"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td.k{text-align:left}td.err{color:#b00;text-align:left}p.warn{color:#a60}img{max-width:100%;margin:1em 0}
td.id{text-align:left;font-family:ui-monospace,monospace;font-size:12px}div.wide{overflow-x:auto}"""


def render_html(rows: Sequence[Mapping[str, Any]], grid: Grid, plots: Mapping[str, bytes]) -> str:
    """A single-file HTML page: the results table and the plots (base64 PNG, no network)."""
    header, body = _table_rows(rows, grid)
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>mmsim sweep {html.escape(grid.source)}</title><style>{_CSS}</style></head><body>",
             f"<h1>mmsim sweep</h1><p>grid <code>{html.escape(grid.source)}</code>: {len(rows)} points, "
             f"{n_fail} failed. Money in quote currency; markouts in ticks (+ = good for us); toxic_share in "
             "percent, as <code>mmsim report</code> shows it (results.csv and results.jsonl: a fraction); "
             "so is presence_two_sided, the share of the time with quotes live on both sides, and stale_book.share, "
             "the share of the maker fills on a stale book (docs/reports.md, Fills on a stale book; 0 on L3 data by "
             "construction; – where the report has none). point: the point's "
             "id (<code>mmsim sweep GRID --point ID</code> writes its full report); digest: of its resolved run "
             "config, as its report header shows it.</p>",
             f"<p>{html.escape(_baseline_caption(grid, rows))}.</p>" if grid.baseline is not None else "",
             "<div class='wide'><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for line in body:
        cells = []
        for i, c in enumerate(line):
            cls = "k" if i < nk else ("err" if i == nk and c != "ok" else ("id" if i >= len(line) - 2 else ""))
            cells.append(f"<td class='{cls}'>{html.escape(c)}</td>" if cls else f"<td>{html.escape(c)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table></div>")
    parts.extend(f"<p class='warn'>{html.escape(w)}</p>" for w in units_lines(rows, POINT_ID_SHOWN))
    notes = [r for r in rows if r.get("status") == "ok" and r.get("baseline_note")]
    if notes:
        parts.append("<h2>Points not compared with a baseline</h2><ul>" + "".join(
            f"<li><code>{html.escape(str(r.get('id')))}</code> ({html.escape(_describe(r, grid))}): "
            f"{html.escape(str(r.get('baseline_note')))}</li>" for r in notes) + "</ul>")
    for name, png in plots.items():
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(rows: Sequence[Mapping[str, Any]], grid: Grid, out: str | os.PathLike[str], *,
                 plots: bool = True) -> dict[str, Path]:
    """Write ``results.csv``, the PNG plots and ``sweep.html`` into ``out``.

    Returns
    -------
    dict of str to Path
        Each written file by name.
    """
    import csv

    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    p = d / "results.csv"
    keys = set(grid.keys)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            # A grid value as the grid reads it back (`recorded + 50ms`, not {"recorded":"50ms"}; a string `'off'`,
            # not `off`, which the grid reads as false: labels.typed_form). Other columns' text as it is.
            w.writerow(["" if r.get(n) is None else (typed_form(r[n], n) if isinstance(r[n], (dict, list, tuple))
                                                     or (n in keys and isinstance(r[n], str)) else r[n])
                        for n in names])
    written["results.csv"] = p
    pngs = render_plots(rows, grid) if plots else {}
    for name, png in pngs.items():
        (d / name).write_bytes(png)
        written[name] = d / name
    p = d / "sweep.html"
    p.write_text(render_html(rows, grid, pngs), encoding="utf-8")
    written["sweep.html"] = p
    return written
