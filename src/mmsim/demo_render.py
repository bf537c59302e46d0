"""What ``mmsim demo`` shows: the terminal tables, the defence-vs-latency plot and the self-contained demo.html.

Every function reads a :class:`mmsim.demo.DemoResult` (its rows, its intervals and
``method``: sessions, seeds, confidence, per-day scale) and computes nothing new:
the numbers are the result's, formatted once here (``fmt_*``) for the terminal
and the HTML alike, so the two cannot disagree.
"""

from __future__ import annotations

from ._plot import figure

import base64
import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the numbers come with the result; this module imports nothing from mmsim.demo
    from .demo import DemoResult

__all__ = ["defence_figure", "fmt_ci", "fmt_money", "fmt_ticks", "print_tables", "render_html"]

_FLOW = {"informed": "with informed flow", "uninformed": "without informed flow"}
_DASH = "–"


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _signed(x: Any, digits: int, thousands: bool = False) -> str:
    if not _finite(x):
        return _DASH
    text = f"{x:+,.{digits}f}" if thousands else f"{x:+.{digits}f}"
    # a value that rounds to zero reads 0.00, not -0.00 (a loss) or +0.00
    return text[1:] if not text.strip("+-0.,") else text


def fmt_ticks(x: Any) -> str:
    """Ticks per lot: ``+1.64``; ``–`` when undefined."""
    return _signed(x, 2)


def fmt_money(x: Any) -> str:
    """Money per 6.5 h, whole units: ``+1,280``; ``–`` when undefined."""
    return _signed(x, 0, thousands=True)


def fmt_pnl(x: Any) -> str:
    """Money, cents: ``-1,152.24``."""
    if not _finite(x):
        return _DASH
    text = f"{x:,.2f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def fmt_ci(lo: Any, hi: Any, fmt: Any = fmt_ticks) -> str:
    """An interval: ``[+1.32, +1.96]``; ``–`` when undefined (fewer than two sessions)."""
    if not (_finite(lo) and _finite(hi)):
        return _DASH
    return f"[{fmt(lo)}, {fmt(hi)}]"


def _latency_label(ns: int) -> str:
    from .report.compute import format_ns

    return "0" if ns == 0 else format_ns(ns).replace("us", "µs")


def _pct(res: DemoResult) -> int:
    return round(res.method["confidence"] * 100)


def _day_hours(res: DemoResult) -> str:
    return f"{res.method['trading_day_ns'] / 3.6e12:g}"


def _seeds(res: DemoResult) -> str:
    return f"{res.seeds[0]}" if len(res.seeds) == 1 else f"{res.seeds[0]}–{res.seeds[-1]}"


def _intro(res: DemoResult) -> str:
    return (f"{res.plan.label()} sessions of a synthetic market (seeds {_seeds(res)}), each with and without "
            f"informed traders; {res.n_events:,} events with informed flow")


def strategy_cells(res: DemoResult, market: str) -> list[list[str]]:
    """Rows of the per-strategy table: strategy, feed, fills, PnL, mo 100ms, mo 1s, its 95% CI, mo 10s."""
    out = []
    for name in res.strategies:
        for lat in res.latencies:
            r = res.row(market, name, lat)
            out.append([name, _latency_label(lat), f"{r['fills']:,}", fmt_pnl(r["pnl"]),
                        fmt_ticks(r["markout_100ms"]), fmt_ticks(r["markout_1s"]),
                        fmt_ci(r["markout_1s_ci_low"], r["markout_1s_ci_high"]), fmt_ticks(r["markout_10s"])])
    return out


STRATEGY_HEADER = ("strategy", "feed", "fills", "PnL", "mo 100ms", "mo 1s", "mo 1s 95% CI", "mo 10s")
#: "per 6.5 h": the 1 s markout PnL difference scaled from each session's span to 6.5 h of trading
#: (:data:`mmsim.demo.TRADING_DAY_NS`); not "per day", which in sweeps and ``mmsim compare`` is PnL per
#: calendar day of data.
DEFENCE_HEADER = ("feed", "ticks/lot", "95% CI", "per 6.5 h", "95% CI (6.5 h)", "sessions")


def defence_cells(res: DemoResult, market: str) -> list[list[str]]:
    """Rows of the defence table: feed, ticks/lot, its CI, 1 s markout money per 6.5 h, its CI, sessions."""
    out = []
    for lat in res.latencies:
        d = res.defence_row(market, lat)
        out.append([_latency_label(lat), fmt_ticks(d["defence_ticks"]),
                    fmt_ci(d["defence_ticks_ci_low"], d["defence_ticks_ci_high"]),
                    fmt_money(d["defence_per_day"]),
                    fmt_ci(d["defence_per_day_ci_low"], d["defence_per_day_ci_high"], fmt_money),
                    str(d["sessions"])])
    return out


# --------------------------------------------------------------------------- terminal

def print_tables(res: DemoResult, console: Any) -> None:
    """Print, per market, the defence value with its intervals and the per-strategy table.

    The terminal table leaves out the per-strategy interval column (it is in
    results.csv and demo.html) so that every table fits 80 columns.
    """
    from rich import box
    from rich.text import Text
    from rich.table import Table

    pct = _pct(res)
    console.print(f"[bold]mmsim demo[/]: {_intro(res)}")
    for market in res.markets:
        dt = Table(title=f"{_FLOW[market]}: defence value (toxicity pull − naive)",
                   box=box.SIMPLE_HEAD, title_justify="left")
        for i, col in enumerate(("feed", "ticks/lot", f"{pct}% CI", f"per {_day_hours(res)} h", f"{pct}% CI")):
            dt.add_column(col, justify="right", no_wrap=True, style="bold" if i == 1 else None)
        for cells in defence_cells(res, market):
            dt.add_row(*cells[:5])
        console.print(dt)
        st = Table(title=f"{_FLOW[market]}: per strategy", box=box.SIMPLE_HEAD,
                   title_justify="left")
        st.add_column("strategy", no_wrap=True)
        for col in ("feed", "fills", "PnL", "mo 100ms", "mo 1s", "mo 10s"):
            st.add_column(col, justify="right", no_wrap=True)
        rows = strategy_cells(res, market)
        for i, cells in enumerate(rows):
            mo = cells[5]
            style = "red" if mo.startswith("-") else "green"
            st.add_row(*cells[:5], f"[{style}]{mo}[/]", cells[7], end_section=(i + 1) == len(res.latencies))
        console.print(st)
    console.print(
        f"ticks/lot: mean over {res.plan.sessions} sessions of each session's toxicity-pull minus naive mean "
        f"1 s markout per lot; {pct}% CI: Student t across sessions; per {_day_hours(res)} h: the same "
        f"difference in 1 s markout PnL, scaled from each session to {_day_hours(res)} h of trading (a US "
        "equity day, 09:30-16:00; quote currency; not PnL per calendar day). mo h: mean markout at "
        "horizon h, side × (mid(t + h) − fill price), ticks per lot (mean over sessions); fills, PnL "
        "(mark-to-mid at each session's end): totals over the sessions.")
    if res.outdir is not None:
        console.print(Text.assemble("outputs written to ", (str(res.outdir), "bold"),
                                    f" ({res.elapsed_s:.1f} s); open {res.outdir / 'demo.html'} in a browser"))


# --------------------------------------------------------------------------- plot

#: Per strategy: colour, marker, filled; per market: line style. No two series share all.
_STYLE = {"naive": ("tab:red", "o", True), "toxicity_pull": ("tab:blue", "s", False)}
_LINE = {"informed": "-", "uninformed": "--"}
#: Horizontal dodge (a factor on the log axis: 0.08 decade, a marker's width, apart) so that
#: series at the same latency and value do not hide each other.
_DODGE = {("informed", "naive"): 10 ** -0.12, ("informed", "toxicity_pull"): 10 ** -0.04,
          ("uninformed", "naive"): 10 ** 0.04, ("uninformed", "toxicity_pull"): 10 ** 0.12}


def defence_figure(res: DemoResult) -> Any:
    """The defence-vs-latency figure (a matplotlib ``Figure``, no pyplot state).

    Left: each strategy's mean 1 s markout per lot; middle: the defence value
    in ticks per lot; right: in 1 s markout money per 6.5 h of trading. Error bars are the
    95% intervals across sessions. With informed flow solid, without dashed.
    """
    from matplotlib.ticker import FuncFormatter

    lats = res.latencies
    # feed latency 0 cannot sit on a log axis: draw it one decade left of the smallest
    # positive latency and label it "0"
    pos = [lat for lat in lats if lat > 0]
    zero_x = (min(pos) / 10) if pos else 1.0
    xs = [lat if lat > 0 else zero_x for lat in lats]
    fig = figure(14, 5.2, layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for market in res.markets:
        flow = _FLOW[market]
        for name in res.strategies:
            color, marker, filled = _STYLE[name]
            rows = [res.row(market, name, lat) for lat in lats]
            ys = [r["markout_1s"] for r in rows]
            err = _yerr(ys, [r["markout_1s_ci_low"] for r in rows], [r["markout_1s_ci_high"] for r in rows])
            ax1.errorbar([x * _DODGE[(market, name)] for x in xs], ys, yerr=err, ls=_LINE[market], marker=marker,
                         color=color, mfc=color if filled else "white", capsize=3, lw=1.5,
                         label=f"{name}, {flow}")
        drows = [res.defence_row(market, lat) for lat in lats]
        color = "black" if market == "informed" else "tab:grey"
        marker = "o" if market == "informed" else "D"
        shift = 10 ** (-0.04 if market == "informed" else 0.04)
        for ax, key in ((ax2, "defence_ticks"), (ax3, "defence_per_day")):
            ys = [d[key] for d in drows]
            err = _yerr(ys, [d[f"{key}_ci_low"] for d in drows], [d[f"{key}_ci_high"] for d in drows])
            ax.errorbar([x * shift for x in xs], ys, yerr=err, ls=_LINE[market], marker=marker, color=color,
                        capsize=3, lw=1.5, label=flow)
    horizon = res.method["informed_horizon_ns"]
    for ax in (ax1, ax2, ax3):
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([_latency_label(lat) for lat in lats])
        ax.minorticks_off()
        ax.set_xlim(zero_x / 2.5, max(xs) * 2.5)
        ax.axhline(0.0, color="grey", lw=0.8)
        # named in the legend, not written on the plot, where it would cross the data
        ax.axvline(horizon, color="tab:orange", lw=1.2, ls=":",
                   label=f"informed horizon ({_latency_label(int(horizon))})")
        ax.set_xlabel("feed latency")
        ax.grid(alpha=0.3)
    pct = _pct(res)
    ax1.set_ylabel("mean markout at 1 s (ticks per lot)")
    ax1.set_title("fill quality")
    # legends under the axes: inside, they would cover points wherever the data falls
    below = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.16), "fontsize": 8, "frameon": False, "ncols": 2}
    for ax in (ax1, ax2, ax3):
        handles, labels = ax.get_legend_handles_labels()  # the horizon line comes first: put it last
        ax.legend(handles[1:] + handles[:1], labels[1:] + labels[:1], **below)
    ax2.set_ylabel("defence value (ticks per lot)")
    ax2.set_title(f"defence value, ticks per lot ({pct}% CI)")
    ax3.set_ylabel(f"1 s markout PnL per {_day_hours(res)} h (quote currency)")
    ax3.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax3.set_title(f"defence value, money per {_day_hours(res)} h ({pct}% CI)")
    fig.suptitle(f"toxicity pull vs naive quoter on a synthetic market: {res.plan.label()} sessions, "
                 f"error bars {pct}% Student t across sessions")
    return fig


def _yerr(ys: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> Any:
    """Error-bar lengths below and above each point (0 where the interval is undefined)."""
    import numpy as np

    y, lo_, hi_ = (np.asarray(v, dtype=np.float64) for v in (ys, lo, hi))
    below = np.where(np.isfinite(lo_), y - lo_, 0.0)
    above = np.where(np.isfinite(hi_), hi_ - y, 0.0)
    return np.vstack([np.nan_to_num(below), np.nan_to_num(above)])


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1150px;
color:#222;padding:0 1em;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f5}
td.neg{color:#b00}img{max-width:100%;border:1px solid #eee}
p.note{color:#555;font-size:.9em}code{background:#f5f5f5;padding:0 .2em}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], table_id: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)

    def cell(v: str) -> str:
        cls = ' class="neg"' if v.startswith("-") else ""
        return f"<td{cls}>{html.escape(v)}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(res: DemoResult, png: bytes) -> str:
    """One self-contained page: the tables, the plot (base64 PNG) and how to read them; no scripts or links."""
    pct = _pct(res)
    m = res.method
    day_h = _day_hours(res)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>mmsim demo</title><style>{_CSS}</style></head><body>",
        '<h1 id="title">mmsim demo: does the toxicity defence still pay at this feed latency?</h1>',
        (f'<p class="note" id="what">{e(_intro(res))}. Two strategies quote 1 lot at the best bid and ask: '
         "<b>naive</b> (<code>fixed_spread</code>, no defence) and <b>toxicity_pull</b> (the same quotes, but a "
         "side is pulled for 100 ms when the decayed trade flow reaches 15 lots against it). Orders take "
         f"{m['order_latency_ns'] / 1000:g} µs each way, no fees, exact L3 FIFO queues; only the feed latency changes "
         f"between runs. Informed traders know the fair value {m['informed_horizon_ns'] / 1e6:g} ms ahead.</p>"),
    ]
    for market in res.markets:
        parts += [
            f'<h2 id="h-defence-{market}">Defence value {_FLOW[market]}</h2>',
            _table(("feed", "ticks/lot", f"{pct}% CI", f"per {day_h} h", f"{pct}% CI ({day_h} h)", "sessions"),
                   defence_cells(res, market), f"defence-{market}"),
        ]
    parts += [
        "<h2>The plot</h2>",
        (f'<p><img id="plot" alt="defence value vs feed latency" src="data:image/png;base64,'
         f'{base64.b64encode(png).decode("ascii")}"></p>'),
    ]
    for market in res.markets:
        parts += [
            f'<h2 id="h-strategies-{market}">Per strategy, {_FLOW[market]}</h2>',
            _table(STRATEGY_HEADER, strategy_cells(res, market), f"strategies-{market}"),
        ]
    parts += [
        '<h2 id="h-read">How to read it</h2>',
        ("<p>A fill's <b>markout</b> at 1 s is <code>side × (mid(t_fill + 1 s) − fill price)</code> in ticks, on "
         "the exchange-side mid: positive means the fill earned the spread, negative means someone who knew "
         "better traded with you. Fills whose 1 s horizon runs past the end of the session are left out, as in "
         "<code>mmsim report</code>. The <b>defence value</b> is the toxicity-pull strategy's mean 1 s markout "
         "per lot minus the naive quoter's: what pulling on the signal saves per fill.</p>"),
        ("<ul><li>With informed flow the naive quoter's fills lose at 1 s: informed traders sweep the touch just "
         "before the fair value jumps. Pulling the side the flow is taking recovers more than a tick per lot "
         "while the feed is fast.</li>"
         "<li>The defence value collapses once the feed latency passes the informed traders' horizon (the "
         "dotted orange line): the strategy then learns of a burst after the price has moved.</li>"
         "<li>Without informed flow pulling changes almost nothing: the defence has no value against "
         "uninformed flow (in money it costs a little: the pulls that noise sets off lose a few fills that "
         "would have earned the spread).</li>"
         "<li>PnL (mark-to-mid at each session's end, summed over sessions) also carries inventory that neither "
         "strategy controls here, so it is noisier than the markouts.</li></ul>"),
        (f'<h2 id="h-method">The intervals</h2><p id="method">The market is generated {res.plan.sessions} times '
         f"from independent seeds ({e(_seeds(res))}), {res.plan.session_ns / 6e10:g} min each, and both "
         "strategies replay the same events, so each session gives one paired difference (toxicity pull minus "
         f"naive). The table shows their mean and a {pct}% Student-t interval across sessions, "
         f"mean ± t<sub>{res.plan.sessions - 1}</sub> · sd / √{res.plan.sessions} (the method of independent "
         "replications). It assumes the sessions are independent (they are, by construction) and their "
         "differences roughly normal (each is an average over hundreds of fills); it covers the market's "
         f"randomness at these parameters, not the model's limits. <b>Per {day_h} h</b>: each session's difference "
         f"in 1 s markout PnL, scaled by {m['per_day_scale']:.2f} from the span whose fills have a 1 s markout "
         f"(the session less 1 s) to {day_h} h of trading (a US equity day, 09:30–16:00), in quote currency (not PnL per "
         "calendar day, as <code>mmsim compare</code> and sweeps give it); pulling also changes how many "
         "lots fill, so it is not ticks/lot times a fixed volume. mo h: mean markout at horizon h (ticks per "
         "lot; mean over sessions of each session's mean); fills and PnL are totals over the sessions.</p>"),
        ('<p class="note">Files beside this page: results.csv (per strategy), defence.csv, sessions.csv (every '
         "run's numbers, from which the intervals can be recomputed), results.json (all three and the method), "
         "synth.json (the market), defence_vs_latency.png. Documentation: docs/demo.md.</p>"),
        "</body></html>",
    ]
    return "\n".join(parts)
