"""``mmsim demo``: does a toxicity defence still pay at my feed latency? Answered on a synthetic market, with intervals.

The demo generates independent sessions of a synthetic market (one seed each),
every session twice -- with informed traders and without them (same seed, so
the same fair-value path) -- and replays a naive quoter that joins the best bid
and ask (``fixed_spread``) and the toxicity-pull strategy (``toxicity_pull``,
the same quotes but a side is pulled when the decayed trade flow says informed
traders are taking it) at feed latencies 0, 100 us, 1 ms, 10 ms and 100 ms.

The *defence value* at a latency is the toxicity-pull strategy's mean 1 s
markout per filled lot minus the naive quoter's, in ticks: what pulling on the
signal saves per fill. It is computed in each session (both strategies replay
the same events, so it is a paired difference) and reported as the mean over
sessions with a Student-t interval across them, in ticks per lot and in money
per trading day. Markouts and PnL are the report's
(:func:`mmsim.report.compute.compute_report`), not a copy. ``docs/demo.md``
explains the method and how to read the outputs; :mod:`mmsim.demo_render`
draws the table, the plot and the HTML page.
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import math
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, LatencyConfig, LatencyModel, SignalConfig, integer_argument
from .demo_render import defence_figure, print_tables, render_html
from .synth import SynthConfig, simulate

__all__ = [
    "DEMO_LATENCIES_NS",
    "FULL_PLAN",
    "QUICK_PLAN",
    "DemoPlan",
    "DemoResult",
    "default_outdir",
    "demo_configs",
    "demo_runs",
    "run_demo",
    "seed_interval",
]

#: Feed latencies the demo replays at, ns.
DEMO_LATENCIES_NS: tuple[int, ...] = (0, 100_000, 1_000_000, 10_000_000, 100_000_000)
#: Order entry and response latency of every run, ns: a colocated gateway. Not zero: a
#: post-only quote rejected for crossing would otherwise be re-sent and rejected again
#: without the clock moving.
ORDER_LATENCY_NS = 25_000
#: Markout horizons reported, ns (the headline is 1 s).
HORIZONS_NS: tuple[int, ...] = (100_000_000, 1_000_000_000, 10_000_000_000)
HEADLINE_NS = 1_000_000_000
#: "Per day" means per trading day of 6.5 hours (a US equity session, 09:30-16:00): the
#: synthetic market is priced like a $100 stock with a one-cent tick.
TRADING_DAY_NS = 23_400_000_000_000
#: Level of every interval (Student t, as the report's).
CONFIDENCE = 0.95

#: The market: the defaults of :class:`~mmsim.synth.SynthConfig` (informed traders know
#: the fair value 50 ms ahead); each session gets its own seed, ``DEMO_SEED + k``.
DEMO_SEED = 20240102
DEMO_SYNTH = SynthConfig(seed=DEMO_SEED, symbol="SYNTH")


@dataclass(frozen=True)
class DemoPlan:
    """How much market the demo replays: ``sessions`` independent sessions of ``session_ns`` each.

    Parameters
    ----------
    sessions : int
        Independent sessions (seeds ``seed, seed + 1, ...``); the interval needs at least 2.
    session_ns : int
        Length of each session, ns of exchange time; longer than the longest markout horizon.
    """

    sessions: int
    session_ns: int

    def __post_init__(self) -> None:
        for name in ("sessions", "session_ns"):  # integers as an integer config key takes them: 2.0 is 2, not True
            object.__setattr__(self, name, integer_argument(getattr(self, name), f"DemoPlan.{name} must be an integer",
                                                            error=ValueError))
        if self.sessions < 1:
            raise ValueError(f"DemoPlan.sessions must be at least 1, got {self.sessions}")
        if self.session_ns <= max(HORIZONS_NS):
            raise ValueError(f"DemoPlan.session_ns must exceed the longest markout horizon "
                             f"({max(HORIZONS_NS)} ns), got {self.session_ns}")

    def label(self) -> str:
        """``6 × 10 min``."""
        s = self.session_ns / 1e9
        length = f"{s / 60:g} min" if s >= 60 else f"{s:g} s"
        return f"{self.sessions} × {length}"


#: ``mmsim demo``: six sessions of ten minutes (an hour of market, as one session was before).
FULL_PLAN = DemoPlan(sessions=6, session_ns=600_000_000_000)
#: ``mmsim demo --quick``: four sessions of 150 s (a first look; the tests use it).
QUICK_PLAN = DemoPlan(sessions=4, session_ns=150_000_000_000)

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


def demo_configs(synth: SynthConfig, latencies_ns: Sequence[int] = DEMO_LATENCIES_NS) -> dict[int, Config]:
    """The run config at each feed latency: 25 us order entry and responses, no fees, L3 FIFO queues.

    Parameters
    ----------
    synth : SynthConfig
        The market (for tick, lot and contract size).
    latencies_ns : sequence of int
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


def demo_runs(synth: SynthConfig, latencies_ns: Sequence[int] = DEMO_LATENCIES_NS) -> list[tuple[str, Config]]:
    """The runs replayed on every session: ``(strategy name, config)`` pairs, strategy by strategy.

    Every pair replays the same events; only the strategy and the feed latency
    (``config.latency.feed.ns``) differ, so the list can be handed as it is to
    a one-pass replay of many runs.

    Parameters
    ----------
    synth : SynthConfig
        The market (for tick, lot and contract size).
    latencies_ns : sequence of int
        Feed latencies, ns.

    Returns
    -------
    list of (str, Config)
        ``len(STRATEGIES) * len(latencies_ns)`` pairs; the name is a key of :data:`STRATEGIES`.
    """
    configs = demo_configs(synth, latencies_ns)
    return [(name, configs[lat]) for name in STRATEGIES for lat in latencies_ns]


def _load(name: str, params: Mapping[str, float]) -> Any:
    """The reference strategy ``name`` with ``params``: entry point, else the shipped module (or checkout file)."""
    from .plugins import load_reference_strategy

    attr = {"fixed_spread": "FixedSpread", "toxicity_pull": "ToxicityPull"}[name]
    return load_reference_strategy(name, attr, dict(params))


def _replay(events: np.ndarray, pairs: Sequence[tuple[Any, Config]]) -> list[Any]:
    """Replay ``events`` once for every ``(strategy, config)`` pair (:func:`mmsim.run_many`); one
    :class:`mmsim.Result` each, in order, each bit-identical to :func:`mmsim.run` of its pair alone.

    A numba strategy object serves all its runs; a Python strategy object (kept state)
    is copied for each run after its first.
    """
    from ._py_units import quiet
    from .engine import run_many

    runs, seen = [], set()
    for strategy, cfg in pairs:
        if not hasattr(strategy, "_mmsim_native_"):
            if id(strategy) in seen:
                strategy = copy.deepcopy(strategy)
            seen.add(id(strategy))
        runs.append((strategy, cfg))
    with quiet():  # the demo's own strategies and market, not the caller's quantities
        return run_many(events, runs)


# --------------------------------------------------------------------------- numbers

def _label(ns: int) -> str:
    from .report.compute import format_ns

    return "0" if ns == 0 else format_ns(ns)


def seed_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean of per-session values with a Student-t interval across sessions.

    The sessions are independent replications of the same market (independent
    seeds), so their values are i.i.d.; each is an average over hundreds of
    fills, so close to normal. The interval is ``mean ± t_{n-1} * sd / sqrt(n)``
    (the method of independent replications: Law, *Simulation Modeling and
    Analysis*, ch. 9), computed by the report's :func:`mmsim.report.compute.summarize`
    (``scipy.stats.t.interval``).

    Parameters
    ----------
    values : sequence of float
        One value per session; NaN (a session without the value, e.g. no fills) is left out.
    confidence : float
        Level of the interval.

    Returns
    -------
    dict
        ``n`` (sessions used), ``mean``, ``sd`` (ddof 1), ``ci_low``, ``ci_high``;
        NaN where undefined (no sessions; one session has no interval).
    """
    from .report.compute import summarize

    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    s = summarize(x, confidence)
    nan = math.nan
    return {"n": s["n"], "mean": nan if s["mean"] is None else s["mean"],
            "sd": nan if s["std"] is None else s["std"],
            "ci_low": nan if s["ci_low"] is None else s["ci_low"],
            "ci_high": nan if s["ci_high"] is None else s["ci_high"]}


def _session_row(market: str, seed: int, name: str, cfg: Config, events: np.ndarray, result: Any,
                 bbo: Any = None) -> dict[str, Any]:
    """One run's numbers, all from the report (markouts, PnL, fills); ``bbo``: :func:`mmsim.replay_bbo` of
    ``events`` when the caller has it (one book replay serves a session's runs)."""
    from .report.compute import compute_report, format_ns

    # The per-fill signal values only feed the report's markout-by-signal table, and the decision
    # log its information age and look-ahead audit, none of which the demo shows; without them
    # the report skips those sections (two thirds of its time).
    lean = copy.copy(result)
    lean.fill_signals = None
    lean.decisions = None
    rep = compute_report(lean, events, horizons=list(HORIZONS_NS), event_horizons=[],
                         toxic_horizon=HEADLINE_NS, signal_buckets=1, confidence=CONFIDENCE, bbo=bbo)
    d = rep.data
    by_h = {blk["horizon"]: blk["groups"]["all"] for blk in d["markouts"]}
    head = by_h[format_ns(HEADLINE_NS)]
    mk = rep.fills[f"markout_{format_ns(HEADLINE_NS)}_ticks"]
    row: dict[str, Any] = {
        "market": market,
        "seed": seed,
        "strategy": name,
        "latency_ns": cfg.latency.feed.ns,
        "events": int(d["run"]["n_events"]),
        "fills": int(d["fills"]["count"]),
        "lots": int(d["fills"]["qty"]),
        "pnl": float(d["pnl"]["total"]),
        "position": int(d["pnl"]["position"]),
    }
    for h in HORIZONS_NS:
        v = by_h[format_ns(h)]["qty_weighted_ticks"]
        row[f"markout_{format_ns(h)}"] = math.nan if v is None else float(v)
    row["lots_1s"] = int(rep.fills["qty"][np.isfinite(mk)].sum())
    row["excluded_1s"] = int(head["n_past_end"] + head["n_no_mid"])
    row["markout_pnl_1s"] = float(head["pnl"])
    return row


def _aggregate(sessions: Sequence[Mapping[str, Any]], plan: DemoPlan) -> tuple[list[dict], list[dict]]:
    """Per market, strategy and latency over the sessions; and the defence value per market and latency."""
    from .report.compute import format_ns

    lats = sorted({r["latency_ns"] for r in sessions})
    by = {(r["market"], r["strategy"], r["latency_ns"], r["seed"]): r for r in sessions}
    seeds = sorted({r["seed"] for r in sessions})
    rows, defence = [], []
    for market in MARKETS:
        for name in STRATEGIES:
            for lat in lats:
                rs = [by[(market, name, lat, s)] for s in seeds]
                row: dict[str, Any] = {
                    "market": market, "strategy": name, "latency_ns": lat, "latency": _label(lat),
                    "sessions": len(rs), "fills": sum(r["fills"] for r in rs), "lots": sum(r["lots"] for r in rs),
                    "pnl": float(sum(r["pnl"] for r in rs)),
                    "markout_pnl_1s": float(sum(r["markout_pnl_1s"] for r in rs)),
                }
                for h in HORIZONS_NS:
                    key = f"markout_{format_ns(h)}"
                    iv = seed_interval([r[key] for r in rs])
                    row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"] = iv["mean"], iv["ci_low"], iv["ci_high"]
                rows.append(row)
        # what a day of the defence is worth: the markout PnL it adds per session, scaled from
        # the span whose fills have a 1 s markout (the session less the horizon) to a day
        per_day = TRADING_DAY_NS / (plan.session_ns - HEADLINE_NS)
        for lat in lats:
            ticks, money = [], []
            for s in seeds:
                pull, naive = by[(market, "toxicity_pull", lat, s)], by[(market, "naive", lat, s)]
                ticks.append(pull["markout_1s"] - naive["markout_1s"])
                money.append((pull["markout_pnl_1s"] - naive["markout_pnl_1s"]) * per_day)
            t, m = seed_interval(ticks), seed_interval(money)
            defence.append({
                "market": market, "latency_ns": lat, "latency": _label(lat), "sessions": t["n"],
                "defence_ticks": t["mean"], "defence_ticks_sd": t["sd"],
                "defence_ticks_ci_low": t["ci_low"], "defence_ticks_ci_high": t["ci_high"],
                "defence_per_day": m["mean"], "defence_per_day_sd": m["sd"],
                "defence_per_day_ci_low": m["ci_low"], "defence_per_day_ci_high": m["ci_high"],
            })
    return rows, defence


# --------------------------------------------------------------------------- result

@dataclass(frozen=True)
class DemoResult:
    """What ``mmsim demo`` found.

    Attributes
    ----------
    rows : list of dict
        One per market, strategy and feed latency, over the sessions (columns: ``ROW_COLUMNS``,
        described in docs/demo.md).
    defence_rows : list of dict
        One per market and feed latency: the defence value and its intervals (``DEFENCE_COLUMNS``).
    sessions : list of dict
        One per market, session, strategy and latency: the report's numbers of that run
        (``SESSION_COLUMNS``).
    plan : DemoPlan
        Sessions and their length.
    seeds : tuple of int
        The sessions' seeds.
    synth : SynthConfig
        The first session's market (informed flow on; the control switches it off).
    n_events : int
        Events in the sessions with informed flow, summed over the sessions (each run replays one session).
    outdir : Path or None
        Where the outputs were written.
    elapsed_s : float
        Wall time of the whole demo.
    files : dict of str to Path
        The files written, by kind.
    """

    rows: list[dict[str, Any]]
    defence_rows: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    plan: DemoPlan
    seeds: tuple[int, ...]
    synth: SynthConfig
    n_events: int
    outdir: Path | None = None
    elapsed_s: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def latencies(self) -> list[int]:
        """The feed latencies, ns, ascending."""
        return sorted({r["latency_ns"] for r in self.rows})

    def row(self, market: str, strategy: str, latency_ns: int) -> dict[str, Any]:
        """The row of one market, strategy and latency (over the sessions)."""
        for r in self.rows:
            if (r["market"], r["strategy"], r["latency_ns"]) == (market, strategy, latency_ns):
                return r
        raise KeyError((market, strategy, latency_ns))

    def defence_row(self, market: str, latency_ns: int) -> dict[str, Any]:
        """The defence value of one market and latency, with its intervals."""
        for r in self.defence_rows:
            if (r["market"], r["latency_ns"]) == (market, latency_ns):
                return r
        raise KeyError((market, latency_ns))

    def defence(self, market: str = "informed", key: str = "defence_ticks") -> dict[int, float]:
        """``key`` of the defence value at each latency (default: ticks per lot, the mean over sessions)."""
        return {lat: self.defence_row(market, lat)[key] for lat in self.latencies}

    @property
    def markets(self) -> list[str]:
        """The markets, in table order (``informed``, ``uninformed``)."""
        return list(dict.fromkeys(r["market"] for r in self.rows))

    @property
    def strategies(self) -> list[str]:
        """The strategies, in table order (``naive``, ``toxicity_pull``)."""
        return list(dict.fromkeys(r["strategy"] for r in self.rows))

    @property
    def method(self) -> dict[str, Any]:
        """How the numbers were made: sessions, seeds, interval, horizon, the per-day scale (results.json)."""
        return {
            "sessions": self.plan.sessions,
            "session_ns": self.plan.session_ns,
            "seeds": list(self.seeds),
            "confidence": CONFIDENCE,
            "interval": "Student t across sessions (independent seeds) of per-session paired differences",
            "headline_horizon_ns": HEADLINE_NS,
            "trading_day_ns": TRADING_DAY_NS,
            "per_day_scale": TRADING_DAY_NS / (self.plan.session_ns - HEADLINE_NS),
            "order_latency_ns": ORDER_LATENCY_NS,
            "informed_horizon_ns": self.synth.informed_horizon,
        }

    def session_values(self, market: str, strategy: str, latency_ns: int, key: str) -> list[float]:
        """``key`` of each session (in seed order) for one market, strategy and latency."""
        rs = [r for r in self.sessions if (r["market"], r["strategy"], r["latency_ns"]) == (market, strategy, latency_ns)]
        return [r[key] for r in sorted(rs, key=lambda r: r["seed"])]


# --------------------------------------------------------------------------- running

def default_outdir() -> Path:
    """The demo's output folder when none is given: ``mmsim-demo-<UTC time>`` in the working directory."""
    return Path(f"mmsim-demo-{_dt.datetime.now(_dt.timezone.utc):%Y%m%d-%H%M%S}")


def run_demo(outdir: str | Path | None = None, quick: bool = False, progress: bool = True,
             *, write: bool = True, quiet: bool = False, console: Any = None,
             plan: DemoPlan | None = None, seed: int = DEMO_SEED, write_in: Path | None = None) -> DemoResult:
    """Run the demo: independent synthetic sessions, two strategies, five feed latencies, with and without informed flow.

    Parameters
    ----------
    outdir : path-like, optional
        Output folder; default ``mmsim-demo-<UTC time>`` in the working directory.
    quick : bool
        :data:`QUICK_PLAN` (4 sessions of 150 s) instead of :data:`FULL_PLAN` (6 of 10 min).
    progress : bool
        Show a rich progress bar.
    write : bool
        Write the CSV, JSON, PNG and HTML outputs (listed in docs/demo.md).
    quiet : bool
        Print nothing but the progress bar (the tables and the output folder are printed otherwise).
    console : rich.console.Console, optional
        Where to print (default: a new stdout console).
    plan : DemoPlan, optional
        Sessions and their length; overrides ``quick``.
    seed : int
        Seed of the first session; session ``k`` uses ``seed + k`` (a whole float is that integer; a fraction or a
        bool is a ConfigError).
    write_in : path-like, optional
        Write the files here, not in ``outdir``, which ``files`` still name (``mmsim demo``
        writes in a hidden directory it then renames to ``outdir``: never half written).

    Returns
    -------
    DemoResult
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from .replay import replay_bbo

    t0 = time.perf_counter()
    console = console or Console()
    plan = plan or (QUICK_PLAN if quick else FULL_PLAN)
    seed = integer_argument(seed, "seed must be a non-negative integer", low=0)  # 7.0 is 7; True and 2.5 are refused
    seeds = tuple(seed + k for k in range(plan.sessions))
    base = DEMO_SYNTH.replace(seed=seed, duration=plan.session_ns)
    runs = demo_runs(base)
    strategies = {name: _load(*spec) for name, spec in STRATEGIES.items()}
    pairs = [(strategies[name], cfg) for name, cfg in runs]
    n_runs = len(MARKETS) * len(seeds) * len(runs)

    # One task per session and market: generate it, replay every run on it in one pass, report each.
    # The engine releases the GIL while it replays and the market generator is nogil, so
    # two threads use both cores; rows are sorted afterwards, so the output does not
    # depend on which task finishes first.
    workers = max(1, min(2, os.cpu_count() or 1))
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not progress, transient=False,
    ) as bar, ThreadPoolExecutor(max_workers=workers) as pool:
        task = bar.add_task(f"{plan.label()} sessions, {n_runs} runs", total=n_runs)

        def session(market: str, s: int) -> tuple[str, int, list[dict[str, Any]]]:
            cfg = base.replace(seed=s, informed=market == "informed")
            events = simulate(cfg).events
            bbo = replay_bbo(events)  # the exchange book, replayed once for the session's reports
            out = []
            for (name, run_cfg), result in zip(runs, _replay(events, pairs)):
                out.append(_session_row(market, s, name, run_cfg, events, result, bbo))
                bar.update(task, advance=1)
            return market, len(events), out

        futures = [pool.submit(session, m, s) for s in seeds for m in MARKETS]
        sessions: list[dict[str, Any]] = []
        n_events = 0
        for fut in as_completed(futures):
            market, n, rows_of = fut.result()
            sessions += rows_of
            n_events += n if market == "informed" else 0
        bar.update(task, description="done")
    order = {m: i for i, m in enumerate(MARKETS)}
    strat = {s: i for i, s in enumerate(STRATEGIES)}
    sessions.sort(key=lambda r: (order[r["market"]], r["seed"], strat[r["strategy"]], r["latency_ns"]))
    rows, defence = _aggregate(sessions, plan)
    res = DemoResult(rows=rows, defence_rows=defence, sessions=sessions, plan=plan, seeds=seeds, synth=base,
                     n_events=n_events)
    out: Path | None = None
    files: dict[str, Path] = {}
    if write:
        out = Path(outdir) if outdir is not None else default_outdir()
        files = _write(_replace(res, outdir=out, elapsed_s=time.perf_counter() - t0), Path(write_in or out))
        files = {k: out / f.name for k, f in files.items()}
    res = _replace(res, outdir=out, elapsed_s=time.perf_counter() - t0, files=files)
    if not quiet:
        print_tables(res, console)
    return res


def _replace(res: DemoResult, **changes: Any) -> DemoResult:
    import dataclasses

    return dataclasses.replace(res, **changes)


# --------------------------------------------------------------------------- files

#: Columns of results.csv (one row per market, strategy and feed latency).
ROW_COLUMNS = ("market", "strategy", "latency_ns", "sessions", "fills", "lots", "pnl", "markout_pnl_1s",
               "markout_100ms", "markout_100ms_ci_low", "markout_100ms_ci_high",
               "markout_1s", "markout_1s_ci_low", "markout_1s_ci_high",
               "markout_10s", "markout_10s_ci_low", "markout_10s_ci_high")
#: Columns of defence.csv (one row per market and feed latency).
DEFENCE_COLUMNS = ("market", "latency_ns", "sessions", "defence_ticks", "defence_ticks_sd", "defence_ticks_ci_low",
                   "defence_ticks_ci_high", "defence_per_day", "defence_per_day_sd", "defence_per_day_ci_low",
                   "defence_per_day_ci_high")
#: Columns of sessions.csv (one row per market, session, strategy and feed latency).
SESSION_COLUMNS = ("market", "seed", "strategy", "latency_ns", "events", "fills", "lots", "pnl", "position",
                   "markout_100ms", "markout_1s", "markout_10s", "lots_1s", "excluded_1s", "markout_pnl_1s")


def _csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            # an undefined value (NaN) is an empty cell, as in the report's fills.csv
            w.writerow(["" if isinstance(r[c], float) and not math.isfinite(r[c]) else r[c] for c in columns])


def _write(res: DemoResult, out: Path) -> dict[str, Path]:
    from ._plot import png_bytes
    from .report.render import to_json

    out.mkdir(parents=True, exist_ok=True)
    files = {"csv": out / "results.csv", "defence": out / "defence.csv", "sessions": out / "sessions.csv",
             "json": out / "results.json", "synth": out / "synth.json", "plot": out / "defence_vs_latency.png",
             "html": out / "demo.html"}
    _csv(files["csv"], ROW_COLUMNS, res.rows)
    _csv(files["defence"], DEFENCE_COLUMNS, res.defence_rows)
    _csv(files["sessions"], SESSION_COLUMNS, res.sessions)
    doc = {
        "question": "does the toxicity-pull defence still pay at this feed latency?",
        "method": res.method,
        "defence_value_ticks_per_lot": {m: {str(k): v for k, v in res.defence(m).items()} for m in MARKETS},
        "defence": [{c: r[c] for c in DEFENCE_COLUMNS} for r in res.defence_rows],
        "rows": [{c: r[c] for c in ROW_COLUMNS} for r in res.rows],
        "sessions": [{c: r[c] for c in SESSION_COLUMNS} for r in res.sessions],
        "events": res.n_events,
    }
    files["json"].write_text(to_json(doc) + "\n")
    # the first session's market, as `mmsim synth` reads it; session k has seed + k (method.seeds)
    files["synth"].write_text(to_json(res.synth.to_dict()) + "\n")
    png = png_bytes(defence_figure(res))
    files["plot"].write_bytes(png)
    files["html"].write_text(render_html(res, png), encoding="utf-8")
    return files


