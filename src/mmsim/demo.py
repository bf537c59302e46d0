"""``mmsim demo``: does a toxicity defence still pay at my feed latency? Answered on a synthetic market.

The demo generates a synthetic session twice from one seed -- with informed
traders and without them (same fair-value path) -- and replays a naive quoter
that joins the best bid and ask (``fixed_spread``) and the toxicity-pull
strategy (``toxicity_pull``, the same quotes but a side is pulled when the
decayed trade flow says informed traders are taking it) at feed latencies
0, 100 us, 1 ms, 10 ms and 100 ms. It prints one table (fills, PnL, markouts
per strategy and latency), and writes it as ``results.csv``/``results.json``
with the plot ``defence_vs_latency.png`` to a folder it names at the end.

The *defence value* at a latency is the toxicity-pull strategy's mean 1 s
markout per filled lot minus the naive quoter's, in ticks: what pulling on
the signal saves per fill. ``docs/demo.md`` explains how to read it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from .config import Config, LatencyConfig, LatencyModel, SignalConfig
from .synth import SynthConfig, SynthDay, simulate

__all__ = ["DEMO_LATENCIES_NS", "DemoResult", "demo_configs", "run_demo"]

#: Feed latencies the demo replays at, ns.
DEMO_LATENCIES_NS: tuple[int, ...] = (0, 100_000, 1_000_000, 10_000_000, 100_000_000)
#: Order entry and response latency of every run, ns: a colocated gateway. Not zero: a
#: post-only quote rejected for crossing would otherwise be re-sent and rejected again
#: without the clock moving.
ORDER_LATENCY_NS = 25_000
#: Markout horizons reported, ns (the headline is 1 s).
HORIZONS_NS: tuple[int, ...] = (100_000_000, 1_000_000_000, 10_000_000_000)
_HEADLINE_NS = 1_000_000_000

#: The market: the defaults of :class:`~mmsim.synth.SynthConfig` (one hour; informed
#: traders know the fair value 50 ms ahead), seeded.
DEMO_SYNTH = SynthConfig(seed=20240102, symbol="SYNTH")
#: ``quick``: ten minutes of the same market (tests, a first look).
QUICK_DURATION_NS = 600_000_000_000

#: Both strategies quote 1 lot at the best bid and ask (half_spread 0.5 tick from the
#: mid joins a one- or two-tick spread). The pull reads the decayed signed trade flow
#: (100 ms half-life, see _signals below): at 15 lots -- about 4.5 standard deviations of
#: the noise traders' flow, one to two informed orders -- the side being taken is pulled
#: for 100 ms. widen_at 1 switches widening off, so pulling is the only difference;
#: the position limit is out of reach, as the naive quoter has none.
NAIVE = ("fixed_spread", {"half_spread": 0.5, "size": 1.0})
TOXICITY_PULL = (
    "toxicity_pull",
    {"half_spread": 0.5, "size": 1.0, "skew": 0.0, "max_position": 1e9, "trade_flow_threshold": 15.0,
     "ofi_threshold": 0.0, "hawkes_threshold": 0.0, "widen_at": 1.0, "widen_ticks": 0.0, "cooldown_ms": 100.0},
)
STRATEGIES: dict[str, tuple[str, dict[str, float]]] = {"naive": NAIVE, "toxicity_pull": TOXICITY_PULL}
MARKETS = ("informed", "uninformed")


def _signals() -> SignalConfig:
    # a 100 ms trade-flow memory: long enough to add up an informed burst (orders ~5 ms
    # apart), short enough to forget noise before the next burst
    return SignalConfig(trade_flow_half_life=100_000_000)


def demo_configs(synth: SynthConfig, latencies_ns: tuple[int, ...] = DEMO_LATENCIES_NS) -> dict[int, Config]:
    """The run config at each feed latency: 25 us order entry and responses, no fees, L3 FIFO queues.

    Parameters
    ----------
    synth : SynthConfig
        The market (for tick, lot and contract size).
    latencies_ns : tuple of int
        Feed latencies, ns.
    """
    return {
        lat: Config(
            tick_size=synth.tick_size,
            lot_size=synth.lot_size,
            contract_size=synth.contract_size,
            latency=LatencyConfig(
                feed=LatencyModel(kind="constant", ns=lat),
                entry=LatencyModel(kind="constant", ns=ORDER_LATENCY_NS),
                response=LatencyModel(kind="constant", ns=ORDER_LATENCY_NS),
            ),
            signals=_signals(),
        )
        for lat in latencies_ns
    }


def _load(name: str, params: Mapping[str, float]) -> Any:
    """The reference strategy ``name`` with ``params``: entry point, else the checkout's strategies/ file."""
    from .plugins import available_strategies, load_strategy

    if name in available_strategies():
        return load_strategy(name, dict(params))
    path = Path(__file__).resolve().parents[2] / "strategies" / f"{name}.py"
    attr = {"fixed_spread": "FixedSpread", "toxicity_pull": "ToxicityPull"}[name]
    return load_strategy(f"{path}:{attr}", dict(params))


def markouts(day: SynthDay, fills: np.ndarray, horizon_ns: int) -> np.ndarray:
    """Markout of each fill in ticks per lot: ``side * (mid(t_fill + h) - price)``.

    ``mid(t)`` is the exchange book's mid after the last event at or before ``t``.

    Parameters
    ----------
    day : SynthDay
        The session the fills come from.
    fills : numpy.ndarray
        :data:`mmsim.records.FILL_DTYPE` records.
    horizon_ns : int
        The horizon, ns.
    """
    ts = day.events["exch_ts"]
    idx = np.searchsorted(ts, fills["exch_ts"] + horizon_ns, side="right") - 1
    mid = 0.5 * (day.best_bid[idx] + day.best_ask[idx]).astype(np.float64)
    return fills["side"].astype(np.float64) * (mid - fills["price"])


@dataclass(frozen=True)
class DemoResult:
    """What ``mmsim demo`` found.

    Attributes
    ----------
    rows : list of dict
        One per market, strategy and feed latency: ``market`` (informed or uninformed),
        ``strategy``, ``latency_ns``, ``fills``, ``lots``, ``pnl`` (mark-to-mid at the end,
        quote currency), ``position`` (lots), ``markout_<h>`` (mean markout per lot in
        ticks at each horizon, NaN without fills) and ``markout_pnl_1s`` (sum of the 1 s
        markouts, currency).
    outdir : Path or None
        Where the outputs were written.
    synth : SynthConfig
        The market's parameters (informed flow on; the control run switches it off).
    n_events : int
        Events in the session with informed flow.
    elapsed_s : float
        Wall time of the whole demo.
    """

    rows: list[dict[str, Any]]
    outdir: Path | None
    synth: SynthConfig
    n_events: int
    elapsed_s: float
    files: dict[str, Path] = field(default_factory=dict)

    def row(self, market: str, strategy: str, latency_ns: int) -> dict[str, Any]:
        """The row of one market, strategy and latency."""
        for r in self.rows:
            if (r["market"], r["strategy"], r["latency_ns"]) == (market, strategy, latency_ns):
                return r
        raise KeyError((market, strategy, latency_ns))

    def defence(self, market: str = "informed", key: str = "markout_1s") -> dict[int, float]:
        """Toxicity pull minus naive of ``key`` at each latency (default: 1 s markout, ticks per lot)."""
        lats = sorted({r["latency_ns"] for r in self.rows})
        return {
            lat: self.row(market, "toxicity_pull", lat)[key] - self.row(market, "naive", lat)[key] for lat in lats
        }


def _fmt_latency(ns: int) -> str:
    if ns == 0:
        return "0"
    for unit, scale in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= scale:
            return f"{ns / scale:g} {unit}"
    return f"{ns} ns"


def _hname(ns: int) -> str:
    return f"{ns // 1_000_000}ms" if ns < 1_000_000_000 else f"{ns // 1_000_000_000}s"


def _summarize(market: str, strategy: str, lat: int, day: SynthDay, result: Any) -> dict[str, Any]:
    fills = result.fills
    lots = fills["qty"].astype(np.float64)
    total = float(lots.sum())
    tick_value = float(result.tick_value)
    row: dict[str, Any] = {
        "market": market,
        "strategy": strategy,
        "latency_ns": lat,
        "latency": _fmt_latency(lat),
        "fills": int(len(fills)),
        "lots": int(total),
    }
    for h in HORIZONS_NS:
        mo = markouts(day, fills, h)
        row[f"markout_{_hname(h)}"] = float((mo * lots).sum() / total) if total else math.nan
        if h == _HEADLINE_NS:
            row["markout_pnl_1s"] = float((mo * lots).sum() * tick_value)
    mid_end = 0.5 * float(day.best_bid[-1] + day.best_ask[-1])
    pnl_ticks = float(result.cash_ticks) + float(result.position) * mid_end
    row["pnl"] = pnl_ticks * tick_value - float(result.fees)
    row["position"] = int(result.position)
    return row


def _runs(days: Mapping[str, SynthDay], configs: Mapping[int, Config]) -> Iterator[tuple[str, str, int]]:
    for market in days:
        for strategy in STRATEGIES:
            for lat in configs:
                yield market, strategy, lat


def run_demo(outdir: str | Path | None = None, quick: bool = False, progress: bool = True,
             *, write: bool = True, quiet: bool = False, console: Any = None) -> DemoResult:
    """Run the demo: synthetic day, two strategies, five feed latencies, with and without informed flow.

    Parameters
    ----------
    outdir : path-like, optional
        Output folder; default ``mmsim-demo-<UTC time>`` in the working directory.
    quick : bool
        Ten minutes of market instead of an hour (a first look; the tests use it).
    progress : bool
        Show a rich progress bar and print the table.
    quiet : bool
        Print nothing but the progress bar (the table and the output folder are printed otherwise).
    write : bool
        Write ``results.csv``, ``results.json``, ``synth.json`` and ``defence_vs_latency.png``.
    console : rich.console.Console, optional
        Where to print (default: a new stdout console).

    Returns
    -------
    DemoResult
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import run as mmsim_run

    t0 = time.perf_counter()
    console = console or Console()
    synth = DEMO_SYNTH.replace(duration=QUICK_DURATION_NS) if quick else DEMO_SYNTH
    configs = demo_configs(synth)
    strategies = {name: _load(*spec) for name, spec in STRATEGIES.items()}
    n_runs = len(MARKETS) * len(STRATEGIES) * len(configs)

    # the engine releases the GIL while it replays and the synthetic market's kernel is
    # nogil, so two threads use both cores; rows are collected by key, so the output
    # does not depend on which run finishes first
    workers = max(1, min(2, os.cpu_count() or 1))
    done: dict[tuple[str, str, int], dict[str, Any]] = {}
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"), console=console, disable=not progress, transient=False,
    ) as bar, ThreadPoolExecutor(max_workers=workers) as pool:
        task = bar.add_task("generating the synthetic market", total=n_runs, rate="")
        markets = {"informed": synth, "uninformed": synth.replace(informed=False)}
        futures = {m: pool.submit(simulate, cfg) for m, cfg in markets.items()}
        days = {m: f.result() for m, f in futures.items()}
        bar.update(task, description=f"replaying {len(days['informed'].events):,} events {n_runs} times")
        t_run = time.perf_counter()
        n_events = 0

        def one(key: tuple[str, str, int]) -> dict[str, Any]:
            market, strategy, lat = key
            result = mmsim_run(days[market].events, strategies[strategy], configs[lat])
            return _summarize(market, strategy, lat, days[market], result)

        keys = list(_runs(days, configs))
        for fut in as_completed([pool.submit(one, key) for key in keys]):
            row = fut.result()
            done[(row["market"], row["strategy"], row["latency_ns"])] = row
            n_events += len(days[row["market"]].events)
            rate = n_events / max(time.perf_counter() - t_run, 1e-9)
            bar.update(task, advance=1, rate=f"{rate / 1e6:.1f}M events/s")
        bar.update(task, description="done")
    rows = [done[key] for key in keys]

    res = DemoResult(rows=rows, outdir=None, synth=synth, n_events=len(days["informed"].events),
                     elapsed_s=time.perf_counter() - t0)
    files: dict[str, Path] = {}
    out: Path | None = None
    if write:
        out = Path(outdir) if outdir is not None else Path(
            f"mmsim-demo-{_dt.datetime.now(_dt.timezone.utc):%Y%m%d-%H%M%S}")
        files = _write(res, out)
    res = DemoResult(rows=rows, outdir=out, synth=synth, n_events=res.n_events,
                     elapsed_s=time.perf_counter() - t0, files=files)
    if not quiet:
        _print(res, console)
    return res


_COLUMNS = ("market", "strategy", "latency_ns", "fills", "lots", "pnl", "position", "markout_100ms",
            "markout_1s", "markout_10s", "markout_pnl_1s")


def _write(res: DemoResult, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"csv": out / "results.csv", "json": out / "results.json", "synth": out / "synth.json",
             "plot": out / "defence_vs_latency.png"}
    with files["csv"].open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_COLUMNS)
        for r in res.rows:
            w.writerow([r[c] for c in _COLUMNS])
    doc = {
        "question": "does the toxicity-pull defence still pay at this feed latency?",
        "defence_value_ticks_per_lot": {m: {str(k): _json_num(v) for k, v in res.defence(m).items()} for m in MARKETS},
        "rows": [{c: _json_num(r[c]) for c in _COLUMNS} for r in res.rows],
        "events": res.n_events,
    }
    files["json"].write_text(json.dumps(doc, indent=2) + "\n")
    files["synth"].write_text(json.dumps(res.synth.to_dict(), indent=2) + "\n")
    plot_defence(res, files["plot"])
    return files


def _json_num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def plot_defence(res: DemoResult, path: str | Path) -> Path:
    """Write the "defence value vs feed latency" PNG.

    Left: each strategy's mean 1 s markout per lot; right: the defence value (toxicity
    pull minus naive), with informed flow (solid) and without (dashed).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lats = sorted({r["latency_ns"] for r in res.rows})
    # feed latency 0 cannot sit on a log axis: draw it one decade left of the smallest
    # positive latency and label it "0"
    pos = [lat for lat in lats if lat > 0]
    zero_x = (min(pos) / 10) if pos else 1.0
    xs = [lat if lat > 0 else zero_x for lat in lats]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    colors = {"naive": "tab:red", "toxicity_pull": "tab:blue"}
    for market, style in (("informed", "-"), ("uninformed", "--")):
        for strategy in STRATEGIES:
            ys = [res.row(market, strategy, lat)["markout_1s"] for lat in lats]
            flow = "with" if market == "informed" else "without"
            ax1.plot(xs, ys, style, marker="o", color=colors[strategy], label=f"{strategy}, {flow} informed flow")
        d = res.defence(market)
        ax2.plot(xs, [d[lat] for lat in lats], style, marker="o", color="black",
                 label=f"{'with' if market == 'informed' else 'without'} informed flow")
    horizon = res.synth.informed_horizon
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([_fmt_latency(lat).replace("us", "\u00b5s") for lat in lats])
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.axvline(horizon, color="tab:orange", lw=1, ls=":")
        ax.set_xlabel("feed latency")
        ax.grid(alpha=0.3)
    ax2.text(horizon, ax2.get_ylim()[1], " informed horizon", color="tab:orange", va="top", fontsize=8)
    ax1.set_ylabel("mean markout at 1 s (ticks per lot)")
    ax1.set_title("fill quality")
    ax1.legend(fontsize=7)
    ax2.set_ylabel("defence value (ticks per lot)")
    ax2.set_title("defence value vs feed latency")
    ax2.legend(fontsize=8)
    fig.suptitle(f"toxicity pull vs naive quoter on a synthetic market ({res.n_events:,} events)")
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _print(res: DemoResult, console: Any) -> None:
    from rich.table import Table

    for market in MARKETS:
        flow = "with" if market == "informed" else "without"
        dv = res.defence(market)
        table = Table(
            title=f"{flow} informed flow: naive quoter vs toxicity pull",
            caption="defence value (toxicity pull minus naive, 1 s markout, ticks per lot): "
                    + ", ".join(f"{_fmt_latency(k)}: {v:+.2f}" for k, v in dv.items()),
        )
        table.add_column("strategy", no_wrap=True)
        for col in ("feed", "fills", "PnL", "mo 100ms", "mo 1s", "mo 10s"):
            table.add_column(col, justify="right", no_wrap=True)
        for strategy in STRATEGIES:
            for lat in sorted({r["latency_ns"] for r in res.rows}):
                r = res.row(market, strategy, lat)
                mo = r["markout_1s"]
                style = "red" if mo < 0 else "green"
                table.add_row(strategy, r["latency"], f"{r['fills']:,}", f"{r['pnl']:,.2f}",
                              f"{r['markout_100ms']:+.2f}", f"[{style}]{mo:+.2f}[/]", f"{r['markout_10s']:+.2f}")
            if strategy != list(STRATEGIES)[-1]:
                table.add_section()
        console.print(table)
    console.print("feed: feed latency; mo h: mean markout at horizon h, side * (mid(t + h) - fill price) in "
                  "ticks per lot; PnL: mark-to-mid at the end, quote currency")
    if res.outdir is not None:
        console.print(f"outputs written to [bold]{res.outdir}[/] ({res.elapsed_s:.1f} s)")
