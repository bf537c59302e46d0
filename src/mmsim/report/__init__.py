"""Fill-toxicity and PnL reports of a run: markouts, spread decomposition, signal buckets, exact PnL split.

Example
-------
>>> rep = mmsim.report.make_report(result, events, horizons=("100ms", "1s", "10s"))  # doctest: +SKIP
>>> rep = result.report(horizons=("100ms", "1s", "10s"))    # the same, events attached  # doctest: +SKIP
>>> rep.print()                                  # rich tables in the terminal  # doctest: +SKIP
>>> rep.data["pnl"]["total"]                     # the dict behind report.json  # doctest: +SKIP
>>> rep.save("out/")                             # report.json, fills.csv, *.png, report.html  # doctest: +SKIP

See docs/reports.md for every number's definition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import writing
from ._format import check_qty
from .compute import CONFIDENCE, Horizon, ReportData, compute_report
from .render import PLOT_FILES, render_html, render_plots, rich_tables, to_json, write_fills_csv

__all__ = ["REPORT_FILES", "Horizon", "Report", "make_report"]

#: Every file name :meth:`Report.save` can write. A report written into a folder that holds an earlier report
#: (its report.json) replaces these as a set: those of them it does not write again (plots of a section it does
#: not have, report.html and the PNGs with ``--no-plots``) are removed when it is put in place; any other file
#: stays (docs/reports.md, "Files").
REPORT_FILES: tuple[str, ...] = ("report.json", "fills.csv", *PLOT_FILES, "report.html")


class Report:
    """A computed report: numbers in :attr:`data`, per-fill columns in :attr:`fills`.

    Build one with :func:`make_report` (or :meth:`mmsim.Result.report`). ``data`` is exactly what ``report.json``
    holds; its keys are documented in docs/reports.md.
    """

    def __init__(self, computed: ReportData, qty: str = "auto") -> None:
        check_qty(qty)
        self._computed = computed
        self._plots: dict[str, bytes] | None = None
        #: How the tables print quantities: ``"lots"``, ``"base"`` units or ``"auto"`` (base units when
        #: the lot is not 1). report.json and fills.csv hold lots whatever it is (docs/reports.md, "Units").
        self.qty = qty

    @property
    def data(self) -> dict[str, Any]:
        """The report as plain Python values (the document behind report.json)."""
        return self._computed.data

    @property
    def fills(self) -> dict[str, np.ndarray]:
        """One array per fills.csv column, one row per fill."""
        return self._computed.fills

    def print(self, console: Any = None) -> None:
        """Print the report as rich tables (to ``console``, default a new stdout console).

        Tables wider than the console are stacked into narrower ones, so every
        number prints whole at any width (80 columns included).
        """
        if console is None:
            from rich.console import Console

            console = Console()
        for table in rich_tables(self.data, width=console.width, qty=self.qty):
            console.print(table)

    def to_json(self, indent: int | None = 2) -> str:
        """report.json as a string: strict JSON, undefined values as null."""
        return to_json(self.data, indent)

    def plots(self) -> dict[str, bytes]:
        """PNG bytes by file name (rendered once, then cached)."""
        if self._plots is None:
            self._plots = render_plots(self._computed, self.qty)
        return self._plots

    def to_html(self) -> str:
        """The self-contained HTML report (tables and base64-embedded plots, no network)."""
        return render_html(self._computed, self.plots(), self.qty)

    def save(self, outdir: str | Path, *, plots: bool = True) -> dict[str, Path]:
        """Write report.json, fills.csv and, with ``plots``, the PNGs and report.html.

        Parameters
        ----------
        outdir : str or Path
            Directory, created if missing.
        plots : bool
            Also render the PNG plots and the HTML report.

        Returns
        -------
        dict of str to Path
            Each written file by name.
        """
        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        p = out / "report.json"
        with writing(p):  # a full disk names the file (breaker36 F9)
            p.write_text(self.to_json() + "\n")
        written["report.json"] = p
        with writing(out / "fills.csv"):
            written["fills.csv"] = write_fills_csv(self.fills, out / "fills.csv")
        if plots:
            for name, png in self.plots().items():
                with writing(out / name):
                    (out / name).write_bytes(png)
                written[name] = out / name
            p = out / "report.html"
            page = self.to_html()
            with writing(p):
                p.write_text(page, encoding="utf-8")
            written["report.html"] = p
        return written

    def flat(self) -> dict[str, Any]:
        """The headline numbers as one flat mapping (a sweep's row): ``pnl.*``, ``fills.*``,
        ``toxic_share``, ``presence_bid``/``presence_ask``/``presence_two_sided`` (shares of the span with
        our quotes live at the exchange: docs/reports.md, "Quote presence"), ``presence_pulls_bid``/
        ``presence_pulls_ask`` (the sides' pulls: the strategy withdrew the side), ``stale_book.count``/
        ``stale_book.share`` (maker fills on a stale book and their share of the classified maker fills:
        docs/reports.md, "Fills on a stale book"; None for a report on other events), and per markout horizon
        ``markout.<h>.mean_ticks``/``ci_low``/``ci_high``/``mean_bps``/``n``."""
        d = self.data
        out: dict[str, Any] = {}
        for section in ("pnl", "fills"):
            for k, v in d[section].items():
                if isinstance(v, (int, float, bool)) or v is None:
                    out[f"{section}.{k}"] = v
        out["toxic_share"] = d["toxic_share"]
        out["toxic_share_qty"] = d["toxic_share_qty"]
        pres = d.get("presence") or {}
        for k in ("bid", "ask", "two_sided"):
            out[f"presence_{k}"] = pres.get(k)
        for k in ("bid", "ask"):  # how often the strategy withdrew the side (a defence, an inventory cap)
            out[f"presence_pulls_{k}"] = (pres.get("sides") or {}).get(k, {}).get("pulls")
        stale = d.get("stale_book") or {}  # maker fills on a stale book (docs/engine.md item 11); None on other events
        out["stale_book.count"] = stale.get("count")
        out["stale_book.share"] = stale.get("share")
        for m in d["markouts"]:
            g = m["groups"]["all"]
            key = f"markout.{m['horizon']}"
            out[f"{key}.mean_ticks"] = g["ticks"]["mean"]
            out[f"{key}.ci_low"] = g["ticks"]["ci_low"]
            out[f"{key}.ci_high"] = g["ticks"]["ci_high"]
            out[f"{key}.mean_bps"] = g["bps"]["mean"]
            out[f"{key}.n"] = g["n"]
        return out

    def __repr__(self) -> str:
        p = self.data["pnl"]
        return (f"<Report fills={self.data['fills']['count']} pnl.total={p['total']:.2f} "
                f"toxic_share={self.data['toxic_share']}>")


def make_report(
    result: Any,
    events: np.ndarray,
    horizons: Sequence[Any] | None = None,
    event_horizons: Sequence[Any] | None = None,
    toxic_horizon: Any = None,
    signal_buckets: int = 5,
    *,
    position_limit: int | None = None,
    confidence: float = CONFIDENCE,
    age_buckets: int = 5,
    queue_buckets: int = 5,
    qty: str = "auto",
    sharpe_interval: Any = None,
) -> Report:
    """Compute the fill-toxicity and PnL report of a run.

    Parameters
    ----------
    result : mmsim.Result
        The run (``mmsim.run`` or ``mmsim.Result.load``), or any object with its attributes.
    events : ndarray of EVENT_DTYPE
        The events the run replayed.
    horizons : sequence of int or str, optional
        Markout horizons in exchange time, ns or with a unit (``"100ms"``).
        Default: ``result.run_config.report.horizons`` when the run came from a
        :class:`~mmsim.RunConfig`, else 100ms, 1s, 10s, 60s.
    event_horizons : sequence of int or str, optional
        Markout horizons in market events (k or ``"<k>ev"``). Default ``result.run_config.report.event_horizons`` (10, 100).
    toxic_horizon : int or str, optional
        Horizon of the toxic share and the signal buckets (a duration or ``"<k>ev"``).
        Default ``result.run_config.report.toxic_horizon`` (1s).
    signal_buckets : int
        Quantile buckets per signal.
    position_limit : int, optional
        Lots; the share of time with ``|position| >= position_limit`` is reported.
        Default: the strategy's ``max_position`` parameter in ``result.run_config``, when set.
    confidence : float
        Level of every confidence interval (Student t).
    age_buckets : int
        Quantile buckets of information age for the markout by age (docs/reports.md,
        "Information age").
    queue_buckets : int
        Quantile buckets of queue position for the markout of maker fills by queue position
        (docs/reports.md, "Markout by queue position").
    qty : {"auto", "lots", "base"}
        The unit the printed and HTML tables give quantities in: lots, base units (``lots ×
        lot_size``, exact; the summary's mid then in quote currency), or ``"auto"``: base units when
        the store's lot is not 1 (docs/reports.md, "Units"). ``data`` (report.json) keeps lots.
    sharpe_interval : int or str, optional
        The interval of the Sharpe's equity grid, a positive duration (ns or with a unit, ``"1m"``);
        ``risk.sharpe_interval`` says what was used. Default: the run's ``sample_every``, as before.

    Returns
    -------
    Report

    Raises
    ------
    DataError
        Empty or unsorted events, or fills that do not add up to the result.
    ConfigError
        A bad horizon, bucket count, limit, ``qty`` or ``sharpe_interval``.
    """
    check_qty(qty)  # before the work
    return Report(
        compute_report(
            result,
            events,
            horizons=horizons,
            event_horizons=event_horizons,
            toxic_horizon=toxic_horizon,
            signal_buckets=signal_buckets,
            position_limit=position_limit,
            confidence=confidence,
            age_buckets=age_buckets,
            queue_buckets=queue_buckets,
            sharpe_interval=sharpe_interval,
        ),
        qty,
    )
