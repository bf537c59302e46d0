"""The report's queue-model section (:func:`mmsim.score_queue_models`): table, summary lines and plot.

See docs/queue_models.md for every column.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .._plot import figure, png_bytes
from ._format import _money, _num, _pct

__all__ = ["plot_queue_models", "queue_models_rows", "queue_models_summary", "queue_models_table", "tolerance_label"]


def _hms(ns: Any) -> str:
    return "–" if ns is None else str(np.datetime64(int(ns), "ns"))[11:23]


def _signed(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    text = _num(x, digits)
    return text if text.startswith("-") or text.strip("0.,") == "" else "+" + text


def _queue_headline_horizon(q: Mapping[str, Any]) -> str | None:
    hs = q.get("horizons") or []
    return "1s" if "1s" in hs else (hs[0] if hs else None)


def queue_models_rows(q: Mapping[str, Any], terminal: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the queue-model score table (``QueueScore.to_dict()``); biases are model − truth.

    The terminal form gives the lots bias in % of the true lots, keeps one markout horizon (1 s when
    scored, else the first) and leaves out lots,
    matched (= fills − false), |Δt|, PnL, the position gap and the divergence time (they are in
    queue_score.json and the HTML) to fit 100 columns.
    """
    hs = list(q.get("horizons") or [])
    shown = [_queue_headline_horizon(q)] if terminal and hs else hs
    cols = ["model", "fills", "lots", "lots bias", "matched", "missed", "false", "match", "F1", "|Δt| ms"]
    cols += [f"markout bias {h}" for h in shown]
    cols += ["PnL", "PnL bias", "pos gap", "diverged"]
    if terminal:
        cols = [c for c in cols if c not in ("lots", "matched", "|Δt| ms", "PnL", "pos gap", "diverged")]
    rows = []
    for r in q["rows"]:
        truth = r["is_truth"]
        pct = "" if truth or r["lots_bias_pct"] is None else f" ({100 * r['lots_bias_pct']:+.1f}%)"
        cells = {
            "model": r["model"],
            "fills": _num(r["fills"]),
            "lots": _num(r["lots"]),
            "lots bias": "–" if truth else (pct.strip(" ()") or _signed(r["lots_bias"], 0)) if terminal
            else _signed(r["lots_bias"], 0) + pct,
            "matched": _num(r["matched"]),
            "missed": _num(r["missed"]),
            "false": _num(r["false_fills"]),
            "match": _pct(r["match_share"]),
            "F1": _num(r["f1"], 3),
            "|Δt| ms": "–" if r["mean_abs_dt_ns"] is None else _num(r["mean_abs_dt_ns"] / 1e6, 2),
            "PnL": _money(r["pnl"]),
            "PnL bias": "–" if truth else _signed(r["pnl_bias"],
                                                  0 if terminal and abs(r["pnl_bias"]) >= 100 else 2),
            "pos gap": "–" if truth else _num(r["position_gap"], 2),
            "diverged": "–" if truth else ("never" if r["diverged_at"] is None else _hms(r["diverged_at"])),
        }
        for h in shown:  # the truth row shows its markout, the model rows their bias
            cells[f"markout bias {h}"] = (_num(r["markout"].get(h), 3) if truth
                                          else _signed(r["markout_bias"].get(h), 3))
        rows.append([cells[c] for c in cols])
    return cols, rows


def queue_models_table(q: Mapping[str, Any], width: int | None = None) -> Any:
    """The queue-model score as a rich Table (terminal form), stacked to fit ``width`` columns when given."""
    from rich import box
    from rich.table import Table

    from .._tables import fit_table

    info = q.get("info") or {}
    lat = info.get("latency") or {}
    title = (f"L2 queue models vs {_truth_name(q)}{' — ' + str(info['symbol']) if info.get('symbol') else ''}: "
             f"{info.get('strategy', '')}, feed/entry/response {lat.get('feed', '?')}/{lat.get('entry', '?')}/"
             f"{lat.get('response', '?')}")
    header, rows = queue_models_rows(q, terminal=True)
    ref = _truth_word(q)
    caption = (f"fills matched one to one on side and price within {tolerance_label(q['tolerance_ns'])}; biases "
               f"are model − {ref}; the {ref} row's markout is its value (ticks/lot)")

    def make(t: str | None, c: str | None) -> Any:
        return Table(title=t, box=box.SIMPLE_HEAD, pad_edge=False, caption=c)

    # Two-line headers keep the numbers' columns narrow.
    cols = [(c.replace("markout bias ", "markout\nbias ").replace("PnL bias", "PnL\nbias")
             .replace("lots bias", "lots\nbias"), {"justify": "left" if c == "model" else "right"}) for c in header]
    return fit_table(make, cols, rows, width, title=title, caption=caption)


def _truth_name(q: Mapping[str, Any]) -> str:
    """``L3 FIFO truth``, or on a store whose loader repaired a level-N book (``info.level_n_repairs``) the
    reference it is (breaker36 F3)."""
    repaired = (q.get("info") or {}).get("level_n_repairs")
    return "L3 FIFO reference (level-N repairs approximate)" if repaired else "L3 FIFO truth"


def _truth_word(q: Mapping[str, Any]) -> str:
    """``truth``, or ``reference`` on a store whose loader repaired a level-N book: the word for the L3 FIFO row in
    the caption, the best-model line and the plot (breaker37 F5)."""
    return "reference" if (q.get("info") or {}).get("level_n_repairs") else "truth"


def tolerance_label(ns: int) -> str:
    from .compute import format_ns

    return "0 ns (same instant)" if ns == 0 else format_ns(int(ns))


def queue_models_summary(q: Mapping[str, Any]) -> list[str]:
    """Plain-text lines under the table: that the truth is approximate, on a store whose loader repaired a level-N
    book (``info.truth_note``); which strategy, when not the one the config named; the best model and the power
    fit."""
    info = q.get("info") or {}
    lines = [n for n in (info.get("truth_note"), info.get("strategy_note")) if n]
    rows = {r["model"]: r for r in q["rows"]}
    best = q.get("best")
    h = _queue_headline_horizon(q)
    if best is not None:
        r = rows[best]
        mk = "" if h is None else f", {h} markout bias {_signed(r['markout_bias'].get(h), 3)} ticks/lot"
        share = _pct(r["match_share"])
        kind = "true" if _truth_word(q) == "truth" else "reference"
        lines.append(f"best model: {best} (F1 {r['f1']:.3f}, {share} of {kind} fills matched, lots bias "
                     f"{_signed(r['lots_bias'], 0)}{mk}, PnL bias {_signed(r['pnl_bias'])})")
    fit = q.get("fit")
    if fit:
        lo, hi = fit["plateau"]
        span = "" if lo == hi else f"; every exponent from {lo:g} to {hi:g} fits as well"
        lines.append(f"power fit: exponent {fit['best_power']:g} (loss 1 − F1 = {fit['best_loss']:.3f}{span}; "
                     f"grid {', '.join(f'{p:g}' for p in fit['powers'])})")
        lines += _grid_edge(fit)
    return lines


def _grid_edge(fit: Mapping[str, Any]) -> list[str]:
    """A line when the best exponent is the grid's first or last: which one, and the grid to try instead."""
    powers, best = list(fit["powers"]), fit["best_power"]
    if len(powers) < 2 or tuple(fit["plateau"]) == (powers[0], powers[-1]):
        return []  # one exponent, or all fit alike: nothing beyond the edge would decide
    if best == powers[-1]:
        edge, other, more = "largest", "larger", [best * 1.5, best * 2]
    elif best == powers[0]:
        edge, other, more = "smallest", "smaller", [best / 4, best / 2]
    else:
        return []
    grid = ",".join(f"{p:g}" for p in sorted(set(powers) | set(more)))
    return [f"power fit: the best exponent, {best:g}, is the {edge} tried, and a {other} one may fit better: "
            f"extend the grid, e.g. mmsim queue-score --fit-powers {grid} (fit_powers= in Python)"]


def plot_queue_models(q: Mapping[str, Any]) -> bytes:
    """PNG, one panel each: fill-count and lots bias by model (% of the truth's), the share of true and of
    model fills matched, and the power fit's loss against the exponent (when fitted)."""
    models = [r for r in q["rows"] if not r["is_truth"]]
    truth = next(r for r in q["rows"] if r["is_truth"])
    fit = q.get("fit")
    n = 3 if fit else 2
    fig = figure(4.6 * n, 4.2)
    axes = fig.subplots(1, n)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.86, bottom=0.2, wspace=0.32)
    info = q.get("info") or {}
    sym = f" — {info['symbol']}" if info.get("symbol") else ""
    kind = "reference" if info.get("level_n_repairs") else "true"
    fig.suptitle(f"L2 queue models vs {_truth_name(q)}{sym} ({truth['fills']:,} {kind} fills)", fontsize=11)
    x = np.arange(len(models))
    names = [r["model"] for r in models]
    w = 0.38

    def pct(values: Sequence[Any]) -> np.ndarray:
        return np.array([np.nan if v is None else 100.0 * v for v in values], dtype=float)

    ax = axes[0]
    count_bias = pct([(r["fills"] - truth["fills"]) / truth["fills"] if truth["fills"] else None for r in models])
    lots_bias = pct([r["lots_bias_pct"] for r in models])
    ax.bar(x - w / 2, count_bias, w, color="tab:orange", label="fills")
    ax.bar(x + w / 2, lots_bias, w, color="tab:red", label="lots")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xticks(x, names, rotation=20)
    ax.set_ylabel(f"model − {_truth_word(q)}, % of the {_truth_word(q)}")
    ax.set_title("Fill-count and lots bias", fontsize=10)
    ax.legend(fontsize=7)

    ax = axes[1]
    ax.bar(x - w / 2, pct([r["match_share"] for r in models]), w, color="tab:green", label=f"{kind} fills matched")
    ax.bar(x + w / 2, pct([r["precision"] for r in models]), w, color="tab:blue", label="model fills matched")
    lo = np.nanmin(np.concatenate([pct([r["match_share"] for r in models]), pct([r["precision"] for r in models]),
                                   [100.0]]))
    ax.set_ylim(max(0.0, lo - 5.0), 100.5)
    ax.set_xticks(x, names, rotation=20)
    ax.set_ylabel("%")
    ax.set_title(f"Fills matched within {tolerance_label(q['tolerance_ns'])}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")

    if fit:
        ax = axes[2]
        ax.plot(fit["powers"], fit["loss"], "o-", color="black", label="power model")
        for r, colr in zip([r for r in models if not r["model"].startswith("power")],
                           ("tab:red", "tab:purple", "tab:brown")):
            ax.axhline(1 - r["f1"], color=colr, ls="--", lw=0.9, label=r["model"])
        ax.axvline(fit["best_power"], color="tab:green", lw=0.8, ls=":", label=f"best n = {fit['best_power']:g}")
        if len(set(fit["powers"])) == 1:  # one exponent: a span around it (matplotlib warned of equal limits)
            ax.set_xlim(fit["powers"][0] / 2, fit["powers"][0] * 2)
        ax.set_xscale("log")
        ax.set_xticks(fit["powers"], [f"{p:g}" for p in fit["powers"]], fontsize=7)
        ax.minorticks_off()
        ax.set_xlabel("exponent n of f(x) = x^n")
        ax.set_ylabel("loss: 1 − F1 of matched lots")
        ax.set_title("Power-model fit", fontsize=10)
        ax.legend(fontsize=7)
    return png_bytes(fig)
