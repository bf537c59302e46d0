"""The table :func:`mmsim.score_queue_models` returns: a row per queue model, the power-exponent fit, rendering.

See docs/queue_models.md for every column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence


from .fill_match import FillMatch

__all__ = ["PowerFit", "QueueModelRow", "QueueScore"]

#: Label of the truth row (and the truth run's key in :attr:`QueueScore.results`, whatever its row's label).
TRUTH = "L3 FIFO (truth)"
#: Label of the truth row on a store whose loader repaired a level-N book (a LOBSTER level-N file: ``info``'s
#: ``level_n_repairs``): FIFO over the messages, not the venue's queue (breaker36 F3).
REFERENCE = "L3 FIFO (reference; level-N repairs approximate)"


@dataclass(frozen=True)
class QueueModelRow:
    """One row of the score table: the truth (first row) or one L2 queue model.

    Attributes
    ----------
    model : str
        ``L3 FIFO (truth)`` (``L3 FIFO (reference; level-N repairs approximate)`` on a store whose loader repaired a
        level-N book), ``risk_averse``, ``power:<n>`` or ``log``.
    is_truth : bool
    fills, lots : int
        Fills and lots inside the scoring window.
    lots_bias : int
        ``lots - truth lots`` (0 on the truth row).
    lots_bias_pct : float or None
        ``lots_bias / truth lots`` (None when the truth has no lots).
    matched, missed, false_fills : int
        From :func:`match_fills` (the truth row matches itself).
    match_share : float or None
        matched / true fills.
    precision : float or None
        matched / model fills.
    f1 : float
        F1 of the lots.
    mean_abs_dt_ns : float or None
        Mean ``|exch_ts difference|`` of the matched pairs, ns.
    markout : dict of str to float or None
        Mean markout per lot at each horizon (ticks/lot; lots-weighted mean of
        the report's per-fill markouts over the fills with one).
    markout_bias : dict of str to float or None
        ``markout - truth markout`` per horizon (ticks/lot).
    pnl : float
        PnL over the window, mark to mid, fees included (quote currency).
    pnl_bias : float
        ``pnl - truth pnl``.
    diverged_at : int or None
        Exchange time of the first missed or false fill, ns (None: never).
    position_gap : float
        Time-weighted mean ``|position - truth position|`` over the window, lots.
    """

    model: str
    is_truth: bool
    fills: int
    lots: int
    lots_bias: int
    lots_bias_pct: float | None
    matched: int
    missed: int
    false_fills: int
    match_share: float | None
    precision: float | None
    f1: float
    mean_abs_dt_ns: float | None
    markout: dict[str, float | None]
    markout_bias: dict[str, float | None]
    pnl: float
    pnl_bias: float
    diverged_at: int | None
    position_gap: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping (the row's fields)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class PowerFit:
    """The power-model exponent that best matches the truth, found on a grid.

    Loss: ``1 - F1`` of the matched lots (:attr:`FillMatch.f1`). It counts
    missed and false lots alike (a lots-only loss can be zero with every fill
    wrong, missed fills cancelling false ones) and is bounded, so days and
    markets compare. It is a step function of the exponent (fills are
    discrete), which a derivative-free bounded minimiser (Brent) would stop
    on at an arbitrary flat step; a grid shows the whole curve instead.

    Attributes
    ----------
    powers : tuple of float
        The exponents tried, ascending.
    loss : tuple of float
        ``1 - F1`` at each.
    lots_bias : tuple of int
        ``lots - truth lots`` at each.
    match_share : tuple of float or None
        matched / true fills at each.
    best_power : float
        The exponent of least loss; ties go to the least ``|lots_bias|``, then
        the smallest exponent.
    best_loss : float
    plateau : (float, float)
        The smallest and largest exponent of the run of adjacent grid points
        around ``best_power`` sharing its loss: the data cannot tell them apart.
    """

    powers: tuple[float, ...]
    loss: tuple[float, ...]
    lots_bias: tuple[int, ...]
    match_share: tuple[float | None, ...]
    best_power: float
    best_loss: float
    plateau: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping."""
        return {"loss_name": "1 - F1 of matched lots", "powers": list(self.powers), "loss": list(self.loss),
                "lots_bias": list(self.lots_bias), "match_share": list(self.match_share),
                "best_power": self.best_power, "best_loss": self.best_loss, "plateau": list(self.plateau)}


def _fit(powers: Sequence[float], matches: Sequence[FillMatch]) -> PowerFit:
    loss = [1.0 - m.f1 for m in matches]
    bias = [m.lots_model - m.lots_true for m in matches]
    order = sorted(range(len(powers)), key=lambda i: (round(loss[i], 12), abs(bias[i]), powers[i]))
    b = order[0]
    lo = hi = b
    while lo > 0 and math.isclose(loss[lo - 1], loss[b], abs_tol=1e-12):
        lo -= 1
    while hi < len(powers) - 1 and math.isclose(loss[hi + 1], loss[b], abs_tol=1e-12):
        hi += 1
    return PowerFit(tuple(float(p) for p in powers), tuple(loss), tuple(int(x) for x in bias),
                    tuple(m.match_share for m in matches), float(powers[b]), float(loss[b]),
                    (float(powers[lo]), float(powers[hi])))


@dataclass
class QueueScore:
    """What :func:`score_queue_models` returns: the score table, the power fit, and the runs.

    Attributes
    ----------
    rows : list of QueueModelRow
        The truth first, then one row per model in the order asked.
    fit : PowerFit or None
        None when the fit was not asked for.
    tolerance_ns : int
        Fill-matching tolerance, ns.
    horizons : list of str
        Markout horizon labels.
    window : (int, int)
        ``[start, end)`` of the scored fills, exchange ns.
    info : dict
        Symbol, strategy, latencies, event counts (for the tables and JSON); ``level_n_repairs``: the counts of the
        store's level-N book repairs (``meta.json`` ``quirks``: a LOBSTER level-N file), None without any, and
        ``truth_note``: the line saying the truth is then approximate (None without repairs).
    results : dict of str to mmsim.Result
        Every run by model label (the truth under ``L3 FIFO (truth)``, also when its row is labelled the reference).
    """

    rows: list[QueueModelRow]
    fit: PowerFit | None
    tolerance_ns: int
    horizons: list[str]
    window: tuple[int, int]
    info: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict, repr=False)
    _events: Any = field(default=None, repr=False)

    @property
    def truth(self) -> QueueModelRow:
        """The truth row (exact FIFO on the L3 events)."""
        return self.rows[0]

    @property
    def models(self) -> list[QueueModelRow]:
        """The L2 model rows."""
        return self.rows[1:]

    @property
    def best(self) -> QueueModelRow:
        """The model row with the highest F1; ties: least ``|lots_bias|``, then least ``|pnl_bias|``."""
        return min(self.models, key=lambda r: (-round(r.f1, 12), abs(r.lots_bias), abs(r.pnl_bias)))

    def to_dict(self) -> dict[str, Any]:
        """The document written as queue_score.json (plain values, None where undefined)."""
        from .._json import json_clean as _json_clean

        return _json_clean({
            "schema": "mmsim.queue_score/1",
            "info": self.info,
            "tolerance_ns": self.tolerance_ns,
            "horizons": self.horizons,
            "window": list(self.window),
            "rows": [r.to_dict() for r in self.rows],
            "best": self.best.model if self.models else None,
            "fit": None if self.fit is None else self.fit.to_dict(),
        })

    def rich_table(self, width: int | None = None) -> Any:
        """The score table as a rich Table (stacked into several to fit ``width`` columns when given)."""
        from ..report.render_queue import queue_models_table

        return queue_models_table(self.to_dict(), width)

    def print(self, console: Any = None) -> None:
        """Print the score table and the fit."""
        from ..report.render_queue import queue_models_summary

        if console is None:
            from rich.console import Console

            console = Console()
        console.print(self.rich_table(console.width))
        for line in queue_models_summary(self.to_dict()):
            console.print(line, highlight=False, markup=False)

    def plot(self) -> bytes:
        """PNG: lots bias and match share by model, and the fit's loss against the exponent."""
        from ..report.render_queue import plot_queue_models

        return plot_queue_models(self.to_dict())

    def report(self) -> Any:
        """The truth run's :class:`mmsim.report.Report` with this score as its ``queue_models`` section."""
        from ..report import Report
        from ..report.compute import compute_report

        truth = self.results[TRUTH]
        rd = compute_report(truth, self._events)
        rd.data["queue_models"] = self.to_dict()
        return Report(rd)

    def save(self, outdir: str | Path, *, report: bool = True) -> dict[str, Path]:
        """Write queue_score.json and queue_score.png; with ``report``, the truth run's report
        (report.json, fills.csv, plots, report.html) carrying the queue-model section.

        Returns
        -------
        dict of str to Path
            Each written file by name.
        """
        import json

        from ..errors import writing

        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        p = out / "queue_score.json"
        with writing(p):  # a full disk names the file (breaker36 F9)
            p.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        written[p.name] = p
        p = out / "queue_score.png"
        png = self.plot()
        with writing(p):
            p.write_bytes(png)
        written[p.name] = p
        if report:
            written.update(self.report().save(out))
        return written

    def __repr__(self) -> str:
        best = self.best.model if self.models else None
        return f"<QueueScore {len(self.models)} models, best {best}, truth {self.truth.fills} fills>"
