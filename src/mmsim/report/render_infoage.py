"""The report's information-age and look-ahead-audit sections: terminal tables, HTML, the plot.

See docs/reports.md ("Information age", "Look-ahead audit") for every number.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .._plot import figure, png_bytes
from ._format import _ci, _num, _pct

__all__ = [
    "age_rows",
    "audit_lines",
    "by_age_lines",
    "by_age_rows",
    "fmt_age",
    "info_age_html",
    "info_age_tables",
    "plot_information_age",
]

#: What each markout-by-age basis reads as.
BASIS_TEXT = {"age": "information age at the fill's decision", "age_at_fill": "information age at the fill",
              "unseen": "events unseen at the fill's decision"}


def fmt_age(ns: Any, digits: int = 3) -> str:
    """A duration in ns with its unit, ``digits`` significant digits: ``1.25 ms``, ``350 µs``, ``2.1 s``, ``0``."""
    if ns is None:
        return "–"
    x = float(ns)
    a = abs(x)
    if a == 0:
        return "0"
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if a >= scale:
            return f"{x / scale:.{digits}g} {unit}"
    return f"{x:.{digits}g} ns"


def _count(x: Any) -> str:
    return "–" if x is None else (f"{x:,.0f}" if float(x) == int(x) else f"{x:,.1f}")


_AGE_COLUMNS = ("mean", "p5", "median", "p95", "max")


def age_rows(ia: Mapping[str, Any]) -> list[list[str]]:
    """Rows of the age table: decisions and fills, the age and its parts (durations), unseen events (counts)."""
    dec, fl = ia["decisions"], ia["fills"]
    Row = tuple[str, Mapping[str, Any], Callable[[Any], str]]
    spec: list[Row] = [("decisions: age", dec["age"], fmt_age), ("  feed delay", dec["feed"], fmt_age),
            ("  wait", dec["wait"], fmt_age), ("  unseen events", dec["unseen"], _count),
            ("fills: age", fl["age"], fmt_age), ("  feed delay", fl["feed"], fmt_age),
            ("  wait", fl["wait"], fmt_age), ("  entry", fl["entry"], fmt_age),
            ("  resting", fl["resting"], fmt_age), ("  age at fill", fl["age_at_fill"], fmt_age),
            ("  unseen events", fl["unseen"], _count)]
    return [[label] + [fmt(st[c]) for c in _AGE_COLUMNS] for label, st, fmt in spec]


#: Units of a duration label: scale in ns, name, most decimals (a nanosecond's).
_AGE_UNITS = ((1e9, "s", 9), (1e6, "ms", 6), (1e3, "µs", 3), (1.0, "ns", 0))


def _age_unit(x: float) -> tuple[float, str, int]:
    return next((u for u in _AGE_UNITS if abs(x) >= u[0]), _AGE_UNITS[-1])


def _duration_labels(buckets: Sequence[Mapping[str, Any]]) -> list[str]:
    # Each edge: (value, scale, unit name, most decimals, decimals).
    edges: list[list[Any]] = []

    def exact(xs: Sequence[float], scale: float, most: int) -> int:
        # The fewest decimals that show every one of xs exactly (whole milliseconds: `4 ms`, not `4.00 ms`).
        return next((d for d in range(most + 1) if all(abs(x - round(x / scale, d) * scale) < 0.5 for x in xs)), most)

    for b in buckets:
        lo, hi = float(b["lo"]), float(b["hi"])
        nonzero = [abs(x) for x in (lo, hi) if x]
        unit = _age_unit(min(nonzero)) if nonzero else _AGE_UNITS[-1]
        # One unit per label, the smaller edge's; each edge its own when the larger would read 100,000 or more.
        one = max(nonzero, default=0.0) < 1e5 * unit[0]
        for x in (lo, hi):
            scale, name, most = unit if one else _age_unit(x)
            sig = max(0, 2 - int(np.floor(np.log10(abs(x) / scale)))) if x else 0  # 3 significant digits
            # Fewer when fewer show the label's edges exactly: `4 ms – 19 ms`, `1.5 ms – 2.0 ms`.
            edges.append([x, scale, name, most, min(sig, most, exact((lo, hi) if one else (x,), scale, most))])

    def shown(e: list[Any]) -> float:
        return round(e[0] / e[1], e[4]) * e[1]

    # Tell apart every two edges that differ (a bucket's own, and each boundary's: `3.559 ms` then `3.560 ms`),
    # in order: both take more decimals until the lower reads below the higher.
    pairs = [(2 * k, 2 * k + 1) for k in range(len(buckets))]
    pairs += [(2 * k - 1, 2 * k) for k in range(1, len(buckets))]
    first = [e[4] for e in edges]
    changed = True
    while changed:
        changed = False
        # A label in one unit that needed more decimals reads them on both edges (`1.392 ms – 3.559 ms`).
        for k in range(0, len(edges), 2):
            e_lo, e_hi = edges[k], edges[k + 1]
            if e_lo[1] == e_hi[1] and e_lo[4] != e_hi[4] and (e_lo[4] > first[k] or e_hi[4] > first[k + 1]):
                e_lo[4] = e_hi[4] = max(e_lo[4], e_hi[4])
                changed = True
        for i, j in pairs:
            a, c = sorted((edges[i], edges[j]), key=lambda e: e[0])
            if a[0] == c[0] or shown(a) < shown(c) or (a[4] >= a[3] and c[4] >= c[3]):
                continue
            if a[1] == c[1]:  # one unit: both the same decimals, one more than the finer (`3.559 ms`, `3.560 ms`)
                a[4] = c[4] = max(a[4], c[4]) + 1
            else:
                a[4], c[4] = a[4] + 1, c[4] + 1
            a[4], c[4] = min(a[4], a[3]), min(c[4], c[3])
            changed = True

    def fmt(e: list[Any]) -> str:
        return f"{e[0] / e[1]:,.{e[4]}f} {e[2]}"

    return [fmt(edges[2 * k]) if b["lo"] == b["hi"] else f"{fmt(edges[2 * k])} – {fmt(edges[2 * k + 1])}"
            for k, b in enumerate(buckets)]


def _ranges(buckets: Sequence[Mapping[str, Any]], unit: str) -> list[str]:
    """Each bucket's ``lo – hi`` (or its one value).

    Durations: each label in one unit, its smaller edge's (``s``, ``ms``, ``µs`` or ``ns``; each edge in its own
    when the larger would read 100,000 or more), each edge to 3 significant digits (fewer when that shows it
    exactly: ``4 ms``), more where two edges that differ would read the same or out of order (a bucket's own,
    and each boundary's: ``3.559 ms`` then ``3.560 ms``), up to a nanosecond: ``1.39 ms – 100 ms``.

    Counts (events unseen) are whole numbers, or carry up to 3 decimals when an edge is not.
    """
    if not buckets:
        return []
    if unit == "ns":
        return _duration_labels(buckets)
    edges = [float(x) for b in buckets for x in (b["lo"], b["hi"])]
    decimals = 0 if all(x == int(x) for x in edges) else 3
    return [f"{b['lo']:,.{decimals}f}" if b["lo"] == b["hi"] else f"{b['lo']:,.{decimals}f} – {b['hi']:,.{decimals}f}"
            for b in buckets]


def by_age_rows(block: Mapping[str, Any], horizons: Sequence[str], ci: bool = True,
                qty: Any = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one markout-by-age table (``information_age.by_age[k]``); a block in lots (queue
    position) reads its buckets in base units when ``qty`` (a :class:`~mmsim.report._format.Quantities`) says so."""
    head = [block["basis"].replace("_", " "), "n", f"mean @ {block['horizon']}"] + (["95% CI"] if ci else [])
    head += ["toxic"] + [h for h in horizons if h != block["horizon"]]
    rows = []
    if qty is not None and qty.base and block["unit"] == "lots":
        head[0] += f" ({qty.unit})"
        spans = [qty.qty(b["lo"]) if b["lo"] == b["hi"] else f"{qty.qty(b['lo'])} – {qty.qty(b['hi'])}"
                 for b in block["buckets"]]
    else:
        spans = _ranges(block["buckets"], block["unit"])
    for b, span in zip(block["buckets"], spans):
        m = b["markout_ticks"]
        cells = [span, f"{b['n']:,}", _num(m["mean"], 2)]
        if ci:
            cells.append(_ci(m))
        cells.append(_pct(b["toxic_share"]))
        cells += [_num(b["horizons"].get(h), 2) for h in horizons if h != block["horizon"]]
        rows.append(cells)
    return head, rows


def one_bucket(block: Mapping[str, Any]) -> str:
    """Why a block has one bucket: every fill has the same value, or one bucket was asked for (its edges differ;
    it read "every fill alike" of fills 0 to 46 lots ahead with ``--queue-buckets 1``)."""
    b = block["buckets"]
    if len(b) == 1 and b[0]["n"] == 1:
        return "one bucket only (one fill)"
    return ("one bucket only (every fill alike)" if len(b) == 1 and b[0]["lo"] == b[0]["hi"]
            else "one bucket only (one asked for)")


def one_fill(d: Mapping[str, Any], ends: Sequence[tuple[str, str]]) -> str:
    """Why a difference of two buckets has no interval when one of them holds a single fill (it printed no
    interval and no reason); ``ends``: (key of ``n_<key>``, name) of the two buckets."""
    short = [name for key, name in ends if d.get(f"n_{key}") == 1]
    return f" (no interval: {' and '.join(short)} bucket {'has' if len(short) == 1 else 'have'} one fill)" if short \
        else ""


def by_age_lines(ia: Mapping[str, Any]) -> list[str]:
    """One line per basis: the stalest bucket's mean markout minus the freshest's, with its interval and ρ."""
    out = []
    for block in ia["by_age"]:
        d = block.get("stale_minus_fresh")
        if not block["n"]:
            out.append(f"by {BASIS_TEXT[block['basis']]}: no fill with a markout at {block['horizon']}, "
                       "no comparison")
            continue
        if not d:
            out.append(f"by {BASIS_TEXT[block['basis']]}: {one_bucket(block)}, no comparison")
            continue
        ci = (one_fill(d, (("stale", "the stalest"), ("fresh", "the freshest"))) if d["ci_low"] is None
              else f" (95% CI {_num(d['ci_low'], 2)} to {_num(d['ci_high'], 2)})")
        if d.get("zero_variance"):
            which = " and ".join({"stale": "the stalest", "fresh": "the freshest"}[k] for k in d["zero_variance"])
            ci = f" (no interval: every markout of {which} bucket is equal)"
        sp = block.get("spearman")
        rho = "" if not sp else f"; Spearman ρ {sp['rho']:+.2f} (p {sp['p_value']:.2g})"
        out.append(f"by {BASIS_TEXT[block['basis']]}: last bucket − first (stalest − freshest) "
                   f"{_num(d['diff'], 2)} ticks @ {block['horizon']}{ci}{rho}")
    return out


def audit_lines(a: Mapping[str, Any]) -> list[str]:
    """The audit's line, then its first violations and how deliveries were recomputed."""
    lines = [a["line"]]
    if a.get("ran"):
        lines += [f"  {v['check']}: {v['message']}" for v in a.get("violations") or []]
        lines.append(f"  deliveries recomputed from the events: {a['method']}")
    return lines


def info_age_tables(d: Mapping[str, Any], width: int | None) -> list[Any]:
    """The terminal section: the age table, markout by age (decision basis), one line per basis, the audit."""
    from rich.table import Table
    from rich.text import Text

    from .._tables import fit_table

    out: list[Any] = []
    ia = d.get("information_age")
    if ia and ia.get("recorded"):
        def make(t: str | None, c: str | None) -> Any:
            return Table(title=t, caption=c)

        cols = [("", {"justify": "left"})] + [(c, {"justify": "right"}) for c in _AGE_COLUMNS]
        out.append(fit_table(make, cols, age_rows(ia), width,
                             title=f"Information age ({ia['n_decisions']:,} decisions, {ia['fills']['n']:,} fills): "
                                   "age = feed delay + wait; at fill = age + entry + resting"))
        block = ia["by_age"][0]
        if block["buckets"]:
            horizons = d["run"]["horizons"]
            head, rows = by_age_rows(block, horizons)
            cols = [(h, {"justify": "left" if k == 0 else "right"}) for k, h in enumerate(head)]
            out.append(fit_table(make, cols, rows, width, groups=[[1, 2, 3, 4], list(range(5, len(head)))],
                                 title=f"Markout by {BASIS_TEXT[block['basis']]} (ticks; first row freshest)"))
        out += [Text(line) for line in by_age_lines(ia)]
    elif ia:
        out.append(Text(f"information age: not recorded ({ia['reason']})"))
    a = d.get("look_ahead_audit")
    if a:
        style = "bold green" if a.get("ok") else ("bold red" if a.get("ran") else "yellow")
        lines = audit_lines(a)
        out.append(Text(lines[0], style=style))
        out += [Text(line) for line in lines[1:]]
    return out


def bucket_tables_html(blocks: Sequence[Mapping[str, Any]], horizons: Sequence[str], table: Any,
                       names: Mapping[str, str], qty: Any = None) -> list[str]:
    """One ``<h3>Markout by …</h3>`` and table per block with buckets (information age, queue position);
    ``names``: each block's basis as it reads in the heading."""
    parts: list[str] = []
    for block in blocks:
        if block["buckets"]:
            head, rows = by_age_rows(block, horizons, qty=qty)
            parts += [f"<h3>Markout by {html.escape(names[block['basis']])}</h3>",
                      table(head, rows, f"markout-by-{block['basis'].replace('_', '-')}")]
    return parts


def info_age_html(d: Mapping[str, Any], table: Any) -> list[str]:
    """The HTML section; ``table(header, rows, id)`` renders a table as the rest of the report does."""
    parts: list[str] = []
    ia = d.get("information_age")
    if ia:
        parts.append("<h2>Information age</h2>")
        if not ia.get("recorded"):
            parts.append(f'<p class="note">Not recorded: {html.escape(ia["reason"])}.</p>')
        else:
            parts += [
                '<p class="note">A decision\'s information age is its local time minus the exchange time of the '
                "newest market event in its view = that event's feed delay + the wait from its arrival to the call. "
                "A fill's is that of the decision that sent its order; at the fill add the entry latency (to the "
                "exchange) and the time the order rested. Unseen events: events that had happened at the exchange "
                f"but not reached the view. {ia['n_decisions']:,} decisions, {ia['fills']['n']:,} fills.</p>",
                table(["", *_AGE_COLUMNS], age_rows(ia), "information-age"),
            ]
            parts += bucket_tables_html(ia["by_age"], d["run"]["horizons"], table, BASIS_TEXT)
            parts += [f'<p class="note">{html.escape(line)}</p>' for line in by_age_lines(ia)]
    a = d.get("look_ahead_audit")
    if a:
        lines = audit_lines(a)
        cls = "ok" if a.get("ok") else "warn"
        parts += ["<h2>Look-ahead audit</h2>", f'<p class="{cls}" id="look-ahead-audit">{html.escape(lines[0])}</p>']
        parts += [f'<p class="note">{html.escape(line.strip())}</p>' for line in lines[1:]]
    return parts


def _markout_panel(ax: Any, block: Mapping[str, Any]) -> None:
    b = block["buckets"]
    if b:
        x = np.arange(len(b))

        def col(key: str) -> np.ndarray:
            return np.array([np.nan if v["markout_ticks"][key] is None else v["markout_ticks"][key] for v in b])

        mean, lo, hi = col("mean"), col("ci_low"), col("ci_high")
        ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="o-", color="black", capsize=4,
                    label="mean with 95% CI")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xticks(x, [r.replace(" – ", "–\n") for r in _ranges(b, block["unit"])], fontsize=7)
        ax.legend(fontsize=8)
    ax.set_xlabel(f"{BASIS_TEXT[block['basis']]} (quantile buckets)", fontsize=8)
    ax.set_ylabel(f"markout @ {block['horizon']} (ticks)")
    title = {"age": "information age", "age_at_fill": "age at fill", "unseen": "unseen events"}[block["basis"]]
    ax.set_title(f"Markout by {title}", fontsize=10)


#: Ages binned at a time for the histogram.
_CHUNK = 1 << 16


def _positive_range(x: np.ndarray) -> tuple[float, float]:
    """The least and the greatest positive value of ``x`` ((inf, -inf) when none is), with no copy of ``x``."""
    big = np.iinfo(x.dtype).max if x.dtype.kind in "iu" else np.inf
    small = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
    if not np.any(x > 0):
        return np.inf, -np.inf
    return float(np.min(x, where=x > 0, initial=big)), float(np.max(x, where=x > 0, initial=small))


def plot_information_age(d: Mapping[str, Any], series: Mapping[str, Any]) -> bytes | None:
    """Histogram of information age (decisions, fills), and markout by age and by unseen events with
    their intervals, as PNG bytes; None without a decision log."""
    ia = d.get("information_age")
    if not ia or not ia.get("recorded"):
        return None
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    fig = figure(14, 4.4)
    ax, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"wspace": 0.3})
    fig.subplots_adjust(left=0.05, right=0.99, top=0.9, bottom=0.2)
    # The decisions' ages (one per strategy call: 10^8 and more under a fine timer) are binned a chunk at a
    # time, never copied whole (fix30d).
    dec = np.asarray(series.get("decision_age", []))
    fil = np.asarray(series.get("fill_age", []))
    ends = [_positive_range(x) for x in (dec, fil) if x.size]
    lo, hi = min((e[0] for e in ends), default=np.inf), max((e[1] for e in ends), default=-np.inf)
    if np.isfinite(lo):
        wide = hi / lo >= 20  # a log axis only across more than a decade
        hi = hi * 1.0001 if hi > lo else lo * (10 if wide else 1.1)
        bins = np.geomspace(lo, hi, 41) if wide else np.linspace(lo, hi, 41)
        # Zero ages (zero feed latency, no wait) are counted in the first bin.
        for x, colr, label in ((dec, "tab:blue", "decisions"), (fil, "tab:red", "fills (their decision)")):
            if x.size:
                counts = sum((np.histogram(np.clip(x[k:k + _CHUNK].astype(np.float64), lo, None), bins=bins)[0]
                              for k in range(0, x.size, _CHUNK)), np.zeros(len(bins) - 1, dtype=np.int64))
                ax.stairs(counts / x.size, bins, lw=1.4, color=colr, label=f"{label}, n={x.size:,}")
        if wide:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_age(v)))
        ax.legend(fontsize=8)
    ax.set_xlabel("local time − exch time of the newest event seen", fontsize=8)
    ax.set_ylabel("share")
    ax.set_title("Information age", fontsize=10)
    blocks = {b["basis"]: b for b in ia["by_age"]}
    _markout_panel(ax2, blocks["age"])
    _markout_panel(ax3, blocks["unseen"])
    return png_bytes(fig)
