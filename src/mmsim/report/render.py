"""Report outputs: a rich terminal table, report.json, fills.csv, PNG plots and one self-contained HTML file.

Plots use matplotlib's Agg canvas directly (no pyplot state, no display
needed). The HTML file embeds the PNGs as base64 data URIs and has no scripts
or external links, so it opens in any browser without a network.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._json import json_clean
from .._plot import figure, png_bytes
from ._format import Quantities, _ci, _money, _num, _pct, format_span
from .compute import ReportData
from .setup import setup_rows
from .render_infoage import info_age_html, info_age_tables, plot_information_age
from .render_levels import levels_html, levels_tables
from .render_presence import presence_html, presence_tables
from .render_queuepos import queue_position_html, queue_position_tables
from .render_stale import stale_html, stale_rows, stale_tables
from .render_queue import plot_queue_models, queue_models_rows, queue_models_summary, queue_models_table
from .render_queue import tolerance_label as _tol

__all__ = [
    "plot_markouts",
    "plot_queue_models",
    "queue_models_summary",
    "queue_models_table",
    "plot_pnl",
    "plot_signals",
    "render_html",
    "render_plots",
    "rich_tables",
    "to_json",
    "write_fills_csv",
]


# --------------------------------------------------------------------------- formatting

def _ts(ns: int) -> str:
    return str(np.datetime64(int(ns), "ns"))[:23]


def to_json(data: Mapping[str, Any], indent: int | None = 2) -> str:
    """Serialize the report dict as strict JSON (no NaN: undefined values are null)."""
    return json.dumps(json_clean(data), indent=indent, allow_nan=False, ensure_ascii=False)


# --------------------------------------------------------------------------- tables

def _sharpe_label(risk: Mapping[str, Any]) -> str:
    """``Sharpe (daily, 1s intervals)`` over more than one day of data; over one day (or less) the Sharpe of
    the whole span's PnL, so the row names the span: ``Sharpe (over 5m46s, 1s intervals)`` (docs/reports.md).
    The interval (``risk.sharpe_interval``: ``mmsim report --sharpe-interval``, else the engine's
    ``sample_every``, widened on long data) is named too: another interval is another Sharpe."""
    span = risk.get("span_ns")  # absent from report.json files written before it was recorded
    step = risk.get("sharpe_interval")  # absent before it was recorded, None without a span
    of = f", {step} intervals" if step else ""
    if risk.get("n_days") == 1 and span:
        return f"Sharpe (over {format_span(span)}{of})"
    return f"Sharpe (daily{of})"


def _summary_rows(d: Mapping[str, Any], qty: str | Quantities = "auto") -> list[tuple[str, str]]:
    """The summary's (label, value) rows; quantities in lots or base units as ``qty`` says
    (:class:`~mmsim.report._format.Quantities`; ``"auto"``: base units when the lot is not 1)."""
    p, fl, inv, risk, race = d["pnl"], d["fills"], d["inventory"], d["risk"], d["cancel_race"]
    u = qty if isinstance(qty, Quantities) else Quantities(d, qty)
    unit = f" ({u.unit})"
    rows = [
        ("PnL total (mark to mid)", _money(p["total"])),
        ("  spread capture", _money(p["spread_capture"])),
        ("  inventory", _money(p["inventory"])),
        # The three rows under the total add up to it: fees enter with their sign in the PnL
        # (rebates earned add), as report.json's pnl.fees is the cost (negative: rebates).
        ("  − fees (+ rebates)", _money(None if p["fees"] is None else 0.0 - p["fees"])),
        (f"End position{unit} @ mid", f"{u.qty(p['position'])} @ {u.mid(p['end_mid'])}"),
        (_sharpe_label(risk), _num(risk["sharpe_daily"], 2)),
        ("Max drawdown", _money(risk["max_drawdown"])),
        ("Fills (maker / taker)", f"{_num(fl['count'])} ({_num(fl['maker_count'])} / {_num(fl['taker_count'])})"),
        (f"Filled qty{unit}", u.qty(fl["qty"])),
        ("Turnover (notional)", _money(fl["turnover"])),
        ("Fill rate (filled / quoted qty)", _pct(fl["fill_rate"])),
        ("Order-to-trade ratio", _num(fl["order_to_trade"], 2)),
        *_reject_rows(d),
        (f"Toxic share @ {d['toxic']['horizon']} (fills / qty)",
         f"{_pct(d['toxic_share'])} / {_pct(d['toxic_share_qty'])}"),
        *stale_rows(d),  # how much of it a stale L2 book may make (docs/engine.md item 11)
        *_inventory_rows(inv, u),
    ]
    rows.append(("Cancel-race fills (count / qty)", f"{_num(race['count'])} / {u.qty(race['qty'])}"))
    rows.append((f"Cancel-race markout PnL @ {d['toxic']['horizon']}", _money(race["markout_pnl"])))
    return rows


def _inventory_rows(inv: Mapping[str, Any], u: Quantities) -> list[tuple[str, str]]:
    """The inventory rows: over the span; over the trading time when the venue was not trading for part
    of it (``inventory.trading``, as quote presence is), the maximum still over the whole span."""
    unit = "" if not u.base else f" ({u.unit})"
    tr = inv.get("trading")
    limit = inv.get("limit")
    if not tr:
        rows = [("Inventory mean |pos| / max |pos|" + unit, f"{u.mean(inv['mean_abs'], 2)} / {u.qty(inv['max_abs'])}")]
        if limit is not None:
            rows.append((f"Time at limit (|pos| ≥ {u.limit(limit)})", _pct(inv["time_at_limit"])))
        return rows
    of = f"of {format_span(tr['trading_ns'])} of trading"
    unit = "" if not u.base else f"{u.unit}, "
    rows = [(f"Inventory mean |pos| ({unit}{of})", u.mean(tr["mean_abs"], 2)),
            (f"Inventory max |pos| ({unit}of the {format_span(inv['to_ts'] - inv['from_ts'])} span)",
             u.qty(inv["max_abs"]))]
    if limit is not None:
        rows.append((f"Time at limit (|pos| ≥ {u.limit(limit)}, {of})", _pct(tr["time_at_limit"])))
    return rows


_MARKOUT_HEADER = ("horizon", "mean", "95% CI", "median", "bps", "buy", "sell", "maker", "taker", "n", "excluded")
#: The terminal leaves out median and excluded (they are in report.json and the HTML) to fit 80 columns.
_MARKOUT_TERMINAL = ("horizon", "mean", "95% CI", "bps", "n", "buy", "sell", "maker", "taker")


def _markout_rows(d: Mapping[str, Any], columns: Sequence[str] = _MARKOUT_HEADER) -> list[list[str]]:
    rows = []
    for h in d["markouts"]:
        g = h["groups"]
        a = g["all"]["ticks"]
        cells = {
            "horizon": h["horizon"],
            "mean": _num(a["mean"], 2),
            "95% CI": _ci(a),
            "median": _num(a["median"], 2),
            "bps": _num(g["all"]["bps"]["mean"], 2),
            "n": f"{g['all']['n']:,}",
            "excluded": f"{g['all']['n_past_end'] + g['all']['n_no_mid']:,}",
        }
        for k in ("buy", "sell", "maker", "taker"):
            cells[k] = _num(g[k]["ticks"]["mean"], 2)
        rows.append([cells[c] for c in columns])
    return rows


def _spread_rows(d: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for h in d["spread"]["horizons"]:
        g = h["groups"]["all"]
        rows.append([h["horizon"], *(_num(g[k][s], 2) for s in ("mean", "median")  # medians: gapped books
                                     for k in ("effective", "realized", "price_impact")),
                     _num(g["realized_bps"], 2), _num(g["price_impact_bps"], 2), f"{g['n']:,}"])
    return rows


def _signal_rows(d: Mapping[str, Any], width: int) -> list[list[str]]:
    rows = []
    for name, s in d["signals"].items():
        cells = [_num(b["markout_ticks"]["mean"], 2) for b in s["buckets"]]
        cells += [""] * (width - len(cells))
        rho = s["spearman"]["rho"] if s["spearman"] else None
        rho_s = s["spearman_signed"]["rho"] if s["spearman_signed"] else None
        rows.append([name] + cells[:width] + [_num(rho, 2), _num(rho_s, 2), f"{s['n']:,}"])
    return rows


def _signal_width(d: Mapping[str, Any]) -> int:
    return max((len(s["buckets"]) for s in d["signals"].values()), default=0)


def _box_table(title: str | None, caption: str | None) -> Any:
    from rich.table import Table

    return Table(title=title, caption=caption)


def _reject_rows(d: Mapping[str, Any]) -> list[tuple[str, str]]:
    rj = d.get("rejects")
    if not rj:
        return []
    rows = []
    for what, total, share in (("orders", "orders_sent", "order_share"), ("cancels", "cancels_sent", "cancel_share")):
        n = sum(rj[what].values())
        rows.append((f"{what.capitalize()} rejected (of {_num(rj[total])} sent)", f"{_num(n)} ({_pct(rj[share])})"))
        for name, k in rj[what].items():
            rows.append((f"  {_REASON_TEXT.get(name, name)}", _num(k)))
    return rows


#: How each reject reason reads in the tables (report.json keeps the enum names).
_REASON_TEXT = {"POST_ONLY_WOULD_CROSS": "post-only, would cross", "ORDER_DONE": "order already filled/cancelled",
                "HALTED": "venue halted", "NOT_TRADING": "quoting only, would trade"}


def rich_tables(d: Mapping[str, Any], width: int | None = None, qty: str = "auto") -> list[Any]:
    """The terminal report as a list of rich renderables.

    What was run (the setup), the summary, quote presence, markouts, markouts by target level (a
    ladder or explicit orders), the spread decomposition,
    markout by signal, the queue-model section when present, information age and
    markout by it, the look-ahead audit's line, and a warning line per reject storm
    last. With ``width`` (the console's columns) a table wider than that is stacked
    into several (:func:`mmsim._tables.fit_table`), so no number is cut. ``qty``: quantities
    in ``"lots"``, ``"base"`` units, or ``"auto"`` (base units when the lot is not 1; docs/reports.md, "Units").
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .._tables import NumberCell, fit_table

    run = d["run"]
    title = f"mmsim report{' — ' + run['symbol'] if run.get('symbol') else ''}"
    out: list[Any] = []
    # Plain text, never markup: a store path, symbol or strategy parameter with "[/x]" in it raised rich's
    # MarkupError here (and a "[word]" was dropped).
    if d.get("setup"):
        head = Table(title=Text(title), show_header=False, box=box.SIMPLE, pad_edge=False)
        head.add_column("what", style="bold", no_wrap=True)
        head.add_column("value", overflow="fold")
        for k, v in setup_rows(d["setup"]):
            head.add_row(Text(k), Text(v))
        out.append(head)
        title = "Summary"
    u = Quantities(d, qty)
    summary = Table(title=Text(title), caption=u.caption())
    # Within the width the labels wrap at spaces; a console too narrow for a long word folds it (never "…"),
    # and a number too wide for its cell is written in scientific notation (NumberCell: a number folded across
    # two lines read as two numbers, breaker26).
    summary.add_column("metric", overflow="fold")
    summary.add_column("value", justify="right", overflow="fold")
    for k, v in _summary_rows(d, u):
        summary.add_row(Text(k), NumberCell(v))
    out.append(summary)
    out += presence_tables(d, width)

    right = {"justify": "right"}
    # A group without fills (no taker fills, as for a post-only quoter) has no column: all of it would be "–".
    empty = [g for g in ("maker", "taker") if not any(h["groups"][g]["n"] for h in d["markouts"])]
    shown = [c for c in _MARKOUT_TERMINAL if c not in empty]
    mk_cols = [(c, {"justify": "left"} if c == "horizon" else right) for c in shown]
    means = "/".join(c for c in ("buy", "sell", "maker", "taker") if c in shown)
    out.append(fit_table(_box_table, mk_cols, _markout_rows(d, shown), width,
                         groups=[[1, 2, 3, 4], list(range(5, len(shown)))],
                         title=f"Markouts (ticks, + = good for us; {means}: means"
                               + "".join(f"; no {g} fills" for g in empty) + ")"))
    out += levels_tables(d, width, u)
    out += stale_tables(d, width)

    sp_cols = [(c, {"justify": "left"} if c == "horizon" else right)
               for c in ("horizon", "effective", "realized", "price\nimpact", "effective\nmedian", "realized\nmedian",
                         "impact\nmedian", "realized\nbps", "impact\nbps", "n")]
    out.append(fit_table(_box_table, sp_cols, _spread_rows(d), width, groups=[[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                         title="Spread decomposition (ticks over the fills with a markout at h): effective = "
                               "realized + price impact for the means, not the medians"))

    sw = _signal_width(d)
    if sw:
        sg_cols = [(c, {"justify": "left"} if c == "signal" else right)
                   for c in ("signal", *[f"Q{i + 1}" for i in range(sw)], "ρ", "ρ\nsigned", "n")]
        out.append(fit_table(_box_table, sg_cols, _signal_rows(d, sw), width,
                             groups=[list(range(1, sw + 1)), [sw + 1, sw + 2, sw + 3]],
                             title=f"Mean markout @ {d['toxic']['horizon']} by signal quantile at fill "
                                   "(ticks; Q1 = lowest; ρ = Spearman)"))
    if d.get("queue_models"):
        out.append(queue_models_table(d["queue_models"], width))
    out += queue_position_tables(d, width, u)
    out += info_age_tables(d, width)
    for w in d.get("warnings") or []:
        out.append(Text(f"warning: {w}", style="bold yellow"))
    return out


# --------------------------------------------------------------------------- CSV

def write_fills_csv(columns: Mapping[str, np.ndarray], path: str | Path) -> Path:
    """Write one row per fill; empty cells where a value is undefined (NaN)."""
    path = Path(path)
    cols = []
    for name in columns:
        a = np.asarray(columns[name])
        if a.dtype.kind == "f":
            txt = list(map(repr, a.tolist()))  # shortest text that reads back to the same float
            for i in np.flatnonzero(~np.isfinite(a)).tolist():
                txt[i] = ""
        else:
            txt = list(map(str, a.astype(np.int64).tolist()))
        cols.append(txt)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(columns))
        w.writerows(zip(*cols))
    return path


# --------------------------------------------------------------------------- plots

def _figure(w: float, h: float) -> Any:
    # No layout engine: constrained/tight layout triples the render time.
    return figure(w, h, dpi=100)


def _dt(ns: np.ndarray) -> np.ndarray:
    return np.asarray(ns, dtype=np.int64).astype("datetime64[ns]")


def plot_pnl(rep: ReportData, qty: str = "auto") -> bytes:
    """Equity and its parts (top) and inventory (bottom, lots or base units as ``qty`` says) over exchange
    time, as PNG bytes."""
    s = rep.series
    u = Quantities(rep.data, qty)
    fig = _figure(10, 6)
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1], gridspec_kw={"hspace": 0.08})
    fig.subplots_adjust(left=0.09, right=0.98, top=0.94, bottom=0.09)
    ax.plot(_dt(s["equity_t"]), s["equity"], color="black", lw=1.2, drawstyle="steps-post",
            label="equity (mark to mid)")
    pt = _dt(s["parts_t"])
    parts = s["parts"]
    ax.step(pt, parts["spread"], where="post", lw=0.9, color="tab:green", label="spread capture")
    ax.step(pt, parts["inventory"], where="post", lw=0.9, color="tab:blue", label="inventory")
    ax.step(pt, -parts["fees"], where="post", lw=0.9, color="tab:red", label="− fees")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("PnL (quote currency)")
    ax.set_title("PnL and its parts")
    ax.legend(loc="upper left", fontsize=8)
    ft = np.concatenate([[s["t_start"]], s["fill_t"], [s["t_end"]]])
    pos = np.concatenate([[0], s["position"], [s["position"][-1] if len(s["position"]) else 0]])
    ax2.step(_dt(ft), pos * u.lot_size if u.base else pos, where="post", color="tab:purple", lw=0.9)
    ax2.axhline(0, color="grey", lw=0.5)
    ax2.set_ylabel(f"position ({u.unit})")
    ax2.set_xlabel("exchange time (UTC)")
    # The header's span: from the market's start, not from an opening snapshot hours before it (ESH4's
    # 00:00 book put 22 flat hours before its 2 of trading; a breaker's find).
    start = (rep.data.get("inventory") or {}).get("from_ts")
    if start is not None and int(start) > int(s["t_start"]) and int(s["t_end"]) > int(start):
        ax2.set_xlim(*_dt(np.array([start, s["t_end"]], dtype=np.int64)))
    return png_bytes(fig)


def _curve(ax: Any, rows: Sequence[Mapping[str, Any]], xlabel: str, log: bool) -> None:
    xs = np.array([r["value"] for r in rows], dtype=float)
    labels = [r["horizon"] for r in rows]
    pos = np.arange(len(rows)) if not log else xs
    g = [r["groups"]["all"]["ticks"] for r in rows]
    mean = np.array([np.nan if s["mean"] is None else s["mean"] for s in g])
    lo = np.array([np.nan if s["ci_low"] is None else s["ci_low"] for s in g])
    hi = np.array([np.nan if s["ci_high"] is None else s["ci_high"] for s in g])
    ax.fill_between(pos, lo, hi, color="black", alpha=0.15, label="all: 95% CI")
    ax.plot(pos, mean, "o-", color="black", label="all")
    for grp, colr in (("buy", "tab:green"), ("sell", "tab:red"), ("maker", "tab:blue"), ("taker", "tab:orange")):
        m = np.array([np.nan if r["groups"][grp]["ticks"]["mean"] is None else r["groups"][grp]["ticks"]["mean"]
                      for r in rows])
        if np.isfinite(m).any():
            ax.plot(pos, m, ".--", color=colr, lw=0.8, label=grp)
    ax.axhline(0, color="grey", lw=0.5)
    if log and (xs > 0).all():
        ax.set_xscale("log")
    ax.set_xticks(pos, labels)
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean markout (ticks)")
    ax.legend(fontsize=7)


def plot_markouts(rep: ReportData) -> bytes:
    """Markout curve with its confidence band, and the spread decomposition, as PNG bytes."""
    d = rep.data
    time_rows = [r for r in d["markouts"] if r["kind"] == "time"]
    ev_rows = [r for r in d["markouts"] if r["kind"] == "events"]
    ncol = 1 + bool(time_rows and ev_rows)
    fig = _figure(10, 7)
    axes = fig.subplots(2, ncol, squeeze=False, gridspec_kw={"hspace": 0.45, "wspace": 0.25})
    fig.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.07)
    col = 0
    if time_rows:
        _curve(axes[0, col], time_rows, "horizon (exchange time)", log=True)
        axes[0, col].set_title("Markout curve")
        col += 1
    if ev_rows:
        _curve(axes[0, col], ev_rows, "horizon (market events)", log=False)
        axes[0, col].set_title("Markout curve (event clock)")
    rows = d["spread"]["horizons"]
    gs = axes[1, 0].get_gridspec()
    for a in axes[1, :]:
        a.remove()
    ax = fig.add_subplot(gs[1, :])
    x = np.arange(len(rows))

    def val(r: Mapping[str, Any], key: str) -> float:
        v = r["groups"]["all"][key]["mean"]
        return np.nan if v is None else v

    real = np.array([val(r, "realized") for r in rows])
    imp = np.array([val(r, "price_impact") for r in rows])
    eff = np.array([val(r, "effective") for r in rows])
    w = 0.27
    ax.bar(x - w, eff, w, color="tab:grey", label="effective half-spread")
    ax.bar(x, real, w, color="tab:green", label="realized half-spread (= markout)")
    ax.bar(x + w, imp, w, color="tab:red", label="price impact (adverse selection)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xticks(x, [r["horizon"] for r in rows])
    ax.set_ylabel("ticks (mean per fill)")
    ax.set_title("Spread decomposition: effective = realized + price impact")
    ax.legend(fontsize=7)
    return png_bytes(fig)


#: The most signal buckets :func:`plot_signals` draws one labelled column each (docs/reports.md, "Signals").
LABELLED_BUCKETS = 20


def plot_signals(rep: ReportData) -> bytes | None:
    """Mean markout by signal quantile at fill time as a heat map (rows signals), PNG bytes; None without signals."""
    sig = {k: v for k, v in rep.data["signals"].items() if v["buckets"]}
    if not sig:
        return None
    width = max(len(v["buckets"]) for v in sig.values())
    grid = np.full((len(sig), width), np.nan)
    for i, s in enumerate(sig.values()):
        for b in s["buckets"]:
            m = b["markout_ticks"]["mean"]
            grid[i, b["q"]] = np.nan if m is None else m
    # Up to LABELLED_BUCKETS columns each cell carries its mean and CI; past that the figure keeps that width
    # and drops the cell text (unreadable anyway): a picture of any bucket count is a bounded size, where one
    # 1.3 in column per bucket made --signal-buckets 10000 an 11 MB PNG drawn from gigabytes (breaker35 F8).
    labelled = width <= LABELLED_BUCKETS
    w, h = 3.6 + 1.3 * min(width, LABELLED_BUCKETS), 1.3 + 0.42 * len(sig)
    fig = _figure(w, h)
    ax = fig.subplots()
    # Fixed margins in inches: room for the signal names (left), title, axis label and colour bar.
    fig.subplots_adjust(left=2.0 / w, right=1 - 0.7 / w, top=1 - 0.45 / h, bottom=0.6 / h)
    lim = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
    im = ax.imshow(grid, aspect="auto", cmap="RdYlGn", vmin=-lim, vmax=lim or 1.0)
    for i, s in enumerate(sig.values() if labelled else ()):
        for b in s["buckets"]:
            m, ci = b["markout_ticks"]["mean"], b["markout_ticks"]
            half = None if ci["ci_high"] is None else (ci["ci_high"] - ci["ci_low"]) / 2
            text = _num(m, 2) + ("" if half is None else f" ±{half:.2f}")
            # White on the darkest cells (either end of the colour map), black elsewhere: readable on both.
            dark = m is not None and lim > 0 and abs(m) / lim > 0.7
            ax.text(b["q"], i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    names = []
    for name, s in sig.items():
        rho = "–" if not s["spearman"] else _num(s["spearman"]["rho"], 2) if round(s["spearman"]["rho"], 2) == 0 \
            else f"{s['spearman']['rho']:+.2f}"  # a rho that rounds to zero reads 0.00, not -0.00
        names.append(f"{name}  ρ={rho}")
    ax.set_yticks(np.arange(len(sig)), names, fontsize=8)
    ticks = np.arange(width) if labelled else np.unique(np.linspace(0, width - 1, LABELLED_BUCKETS).round())
    ax.set_xticks(ticks, [f"Q{int(k) + 1}" for k in ticks], fontsize=8)
    ax.set_xlabel("quantile of the signal at fill (Q1 = lowest)")
    fig.colorbar(im, ax=ax, label="mean markout (ticks)", fraction=0.04, pad=0.02)
    note = "± 95% CI half-width" if labelled else f"{width} buckets: their values are in the table"
    ax.set_title(f"Mean markout @ {rep.data['toxic']['horizon']} by signal quantile ({note})", fontsize=10)
    return png_bytes(fig)


#: Every plot file a report can draw (:func:`render_plots` draws a subset): with report.json, fills.csv and
#: report.html, the files a report writes and a later report into the same folder replaces (REPORT_FILES).
PLOT_FILES = ("pnl.png", "markouts.png", "signals.png", "queue_models.png", "information_age.png")


def render_plots(rep: ReportData, qty: str = "auto") -> dict[str, bytes]:
    """All plots by file name (``pnl.png``, ``markouts.png``; ``signals.png``, ``queue_models.png`` and
    ``information_age.png`` when the report has those sections), names of :data:`PLOT_FILES`."""
    out = {"pnl.png": plot_pnl(rep, qty), "markouts.png": plot_markouts(rep)}
    sig = plot_signals(rep)
    if sig is not None:
        out["signals.png"] = sig
    if rep.data.get("queue_models"):
        out["queue_models.png"] = plot_queue_models(rep.data["queue_models"])
    age = plot_information_age(rep.data, rep.series)
    if age is not None:
        out["information_age.png"] = age
    return out


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f5}
td.neg{color:#b00}td.pos{color:#070}img{max-width:100%;border:1px solid #eee}
p.note{color:#555;font-size:.85em}
td.sub{padding-left:2em;color:#444}
table.setup th{text-align:left;background:none;padding-right:1.2em;vertical-align:top}
table.setup td{text-align:left;overflow-wrap:anywhere}
p.warn{background:#fff4e0;border-left:4px solid #e69500;padding:.5em .8em;font-weight:600}
p.ok{background:#e9f7ec;border-left:4px solid #2e8b3e;padding:.5em .8em;font-weight:600}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], table_id: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)

    def cell(v: str) -> str:
        cls = ' class="neg"' if v.startswith("-") else ""
        if v.startswith("  "):  # a sub-row of the one above (the PnL parts, rejects by reason)
            cls = ' class="sub"'
        return f"<td{cls}>{html.escape(v.strip())}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _units_note(u: Quantities) -> str:
    """The HTML note's units (nothing in lots, as before)."""
    return (f"quantities in base units (1 lot = {u.lot_text}; report.json and fills.csv keep lots), "
            "the summary's mid in quote currency; ") if u.base else ""


def _setup_table(setup: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in setup_rows(setup))
    return f'<table id="setup" class="setup"><tbody>{rows}</tbody></table>'


def render_html(rep: ReportData, plots: Mapping[str, bytes], qty: str = "auto") -> str:
    """One self-contained HTML page: the tables and every plot embedded as a base64 PNG (``qty`` as for
    :func:`rich_tables`)."""
    d = rep.data
    u = Quantities(d, qty)
    run = d["run"]
    sym = html.escape(str(run.get("symbol") or ""))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>mmsim report {sym}</title><style>{_CSS}</style></head><body>",
        f'<h1 id="title">mmsim report {sym}</h1>',
    ]
    parts += [f'<p class="warn" id="warning-{i}">warning: {html.escape(w)}</p>'
              for i, w in enumerate(d.get("warnings") or [])]
    if d.get("setup"):
        parts += ["<h2>What was run</h2>", _setup_table(d["setup"])]
    span = "" if d.get("setup") else (f'{html.escape(_ts(run["start_ts"]))} → {html.escape(_ts(run["end_ts"]))} UTC, '
                                      f'{run["n_events"]:,} events, ')
    parts += [
        f'<p class="note">{span}Tick size {run["tick_size"]:g}, tick value {run["tick_value"]:g}. '
        f"Money in quote currency; {_units_note(u)}markouts in ticks, positive = good for us; intervals are "
        f'{int(run["confidence"] * 100)}% Student t.</p>',
        "<h2>Summary</h2>",
        _table(["metric", "value"], _summary_rows(d, u), "summary"),
        *presence_html(d, _table),
        "<h2>Markouts</h2>",
        '<p class="note">side × (mid(t_fill + h) − fill price) on the exchange-side mid, in ticks '
        "(bps: of the fill price). The interval is for the mean over all fills; buy/sell/maker/taker "
        "are group means. Excluded: horizon past the end of the data, or no two-sided book there.</p>",
        _table(_MARKOUT_HEADER, _markout_rows(d), "markouts"),
        *levels_html(d, _table, u),
        *stale_html(d, _table),
        "<h2>Spread decomposition</h2>",
        '<p class="note">effective = side × (mid at fill − price); realized = markout at h; '
        "price impact = side × (mid at fill − mid(t + h)); effective = realized + price impact, fill by fill "
        "and for the means (not for the medians: a few fills in a gapped book move the means).</p>",
        _table(["horizon", "effective", "realized", "price impact", "effective median", "realized median",
                "impact median", "realized bps", "impact bps", "n"],
               _spread_rows(d), "spread"),
    ]
    width = _signal_width(d)
    if width:
        parts += [
            f"<h2>Markout by signal at fill (@ {html.escape(d['toxic']['horizon'])})</h2>",
            '<p class="note">Fills grouped by quantiles of the signal value the strategy saw at the fill; '
            "mean markout in ticks per bucket (Q1 lowest). spearman: rank correlation of value and markout; "
            "signed: of side × value.</p>",
            _table(["signal", *[f"Q{i + 1}" for i in range(width)], "spearman", "signed", "n"],
                   _signal_rows(d, width), "signals"),
        ]
    if d.get("queue_models"):
        q = d["queue_models"]
        header, rows = queue_models_rows(q)
        ref = "reference" if (repaired := bool((q.get("info") or {}).get("level_n_repairs"))) else "truth"  # breaker36 F3
        parts += [
            f"<h2>L2 queue models against {'the L3 FIFO reference' if repaired else 'L3 truth'}</h2>",
            '<p class="note">The same strategy and latencies replayed on the market-by-order events ('
            f"{'FIFO over the messages, level-N repairs approximate: the reference' if repaired else 'exact FIFO: the truth'}"
            ") and on the same day aggregated to L2 under each queue model. Fills match one to one on "
            f"side and price within {html.escape(_tol(q['tolerance_ns']))}; biases are model − {ref}; markouts in "
            f"ticks per lot (the {ref} row: its markout). pos gap: time-weighted mean |position − {ref if repaired else 'true'} position| "
            "(lots); diverged: the first missed or false fill (UTC). See docs/queue_models.md.</p>",
            f'<div style="overflow-x:auto">{_table(header, rows, "queue-models")}</div>',
        ]
        parts += [f'<p class="note">{html.escape(line)}</p>' for line in queue_models_summary(q)]
    parts += queue_position_html(d, _table, u)
    parts += info_age_html(d, _table)
    parts.append("<h2>Plots</h2>")
    for name, png in plots.items():
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f'<p><img id="plot-{html.escape(name[:-4])}" alt="{html.escape(name)}" '
                     f'src="data:image/png;base64,{b64}"></p>')
    parts.append("</body></html>")
    return "\n".join(parts)
