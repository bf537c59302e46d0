"""The ``mmsim`` command line: parse arguments, load a Config, call the library.

Exit codes: 0 success, 1 the run failed (bad data, a strategy error, an I/O
error), 2 bad usage or a bad config. Errors print as one line; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import ConfigError, MmsimError

__all__ = ["main"]

# Subcommands that live beside their library code: (module, add_parser, command).
_PLUGGED = (
    ("mmsim.report.cli", "add_report_parser", "cmd_report"),
    ("mmsim.demo", "add_demo_parser", "cmd_demo"),
    ("mmsim.synth_cli", "add_synth_parser", "cmd_synth"),
    ("mmsim.data.cli", "add_convert_parser", "cmd_convert"),
    ("mmsim.sweep", "add_sweep_parser", "cmd_sweep"),
)


def _add_run_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="replay a config's event store with its strategy and write the report",
                       description="Replay the event store named in CONFIG with its strategy, then write the "
                                   "result and the toxicity/PnL report to the output directory.")
    p.add_argument("config", type=Path, help="run config (YAML)")
    p.add_argument("-o", "--output", type=Path, help="output directory (default: the config's `output`, else runs/<name>)")
    p.add_argument("--data", type=Path, help="event store to replay instead of the config's `data`")
    p.add_argument("--no-report", action="store_true", help="save the result only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")
    p.set_defaults(func=cmd_run)


def progress_bar(label: str, quiet: bool = False) -> Any:
    """A context manager yielding ``update(done, total)`` for a rich progress bar with events/s."""
    import contextlib

    @contextlib.contextmanager
    def bar() -> Any:
        if quiet:
            yield lambda done, total: None
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        t0 = time.perf_counter()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed:,.0f}/{task.total:,.0f} events"),
                      TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=True) as prog:
            task = prog.add_task(label, total=1, rate="")

            def update(done: int, total: int) -> None:
                dt = time.perf_counter() - t0
                rate = f"{done / dt / 1e6:.1f} M events/s" if dt > 0 and done else ""
                prog.update(task, completed=done, total=total, rate=rate)

            yield update

    return bar()


def cmd_run(args: argparse.Namespace) -> int:
    from .config import load_yaml
    from .runner import load_events, run_config

    config = load_yaml(args.config)
    out = args.output or (Path(config.output) if config.output else Path("runs") / args.config.stem)
    config = config.replace(output=str(out))
    if args.data is not None:
        config = config.replace(data=str(args.data))
    events = load_events(config)
    with progress_bar(f"run {args.config.name}", args.quiet) as update:
        result = run_config(config, events=events, progress=update)
    result.save(out)
    if not args.no_report:
        rep = result.report(events, horizons=config.report.horizons, event_horizons=config.report.event_horizons,
                            toxic_horizon=config.report.toxic_horizon)
        rep.save(out)
        if not args.quiet:
            rep.print()
    print(f"{result.n_events:,} events, {len(result.fills):,} fills, "
          f"{result.events_per_second / 1e6:.1f} M events/s -> {out}")
    return 0


# --------------------------------------------------------------------------- mmsim queue-score


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _add_queue_score_parser(sub: Any) -> None:
    p = sub.add_parser(
        "queue-score", help="score the L2 queue models against exact L3 FIFO fills on market-by-order data",
        description="Replay a strategy on an L3 (market-by-order) event store under exact FIFO (the truth) and on "
                    "the same day aggregated to L2 under each queue model, compare every model's fills, markouts "
                    "and PnL with the truth's, fit the power-model exponent, and write queue_score.json, "
                    "queue_score.png and the truth run's report with the queue-model section "
                    "(docs/queue_models.md).")
    p.add_argument("source", metavar="CONFIG_OR_STORE", type=Path,
                   help="a run config (YAML: its data, strategy, latencies, fees and horizons) or an L3 event "
                        "store (then the strategy is join_best with 1 lot and the latencies are zero unless given)")
    p.add_argument("-o", "--output", type=Path, help="output directory (default: runs/queue_score_<name>)")
    p.add_argument("--data", type=Path, help="event store to replay instead of the config's `data`")
    p.add_argument("--models", metavar="LIST", default=",".join(_queue_defaults()[0]),
                   help="queue models to score (default %(default)s)")
    p.add_argument("--tolerance", metavar="DURATION", default="100ms",
                   help="largest exchange-time difference of a matched fill (default %(default)s)")
    p.add_argument("--fit-powers", metavar="LIST", default=",".join(f"{x:g}" for x in _queue_defaults()[1]),
                   help="exponents of the power-model fit (default %(default)s)")
    p.add_argument("--no-fit", action="store_true", help="skip the power-model fit")
    p.add_argument("--horizons", metavar="LIST", help="markout horizons, e.g. 100ms,1s,10s (default: the config's)")
    p.add_argument("--window", metavar="START,END",
                   help="score only fills in [START, END), UTC times (2023-12-25T23:01) or ns; either may be empty")
    p.add_argument("--strategy", metavar="SPEC", help="strategy plugin (file.py:Class or entry point), overriding "
                                                      "the config's")
    p.add_argument("--params", metavar="K=V,...", help="strategy parameters with --strategy (e.g. size=1)")
    p.add_argument("--feed", metavar="LATENCY", help="feed latency (5ms, recorded), overriding the config's")
    p.add_argument("--entry", metavar="LATENCY", help="entry latency, overriding the config's")
    p.add_argument("--response", metavar="LATENCY", help="response latency, overriding the config's")
    p.add_argument("--no-report", action="store_true", help="write queue_score.json and .png only")
    p.add_argument("-q", "--quiet", action="store_true", help="no table")
    p.set_defaults(func=cmd_queue_score)


def _queue_defaults() -> tuple[tuple[str, ...], tuple[float, ...]]:
    from .analysis.queue_score import DEFAULT_FIT_POWERS, DEFAULT_MODELS

    return DEFAULT_MODELS, DEFAULT_FIT_POWERS


def _params(text: str | None) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in _csv(text or ""):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--params: expected key=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def cmd_queue_score(args: argparse.Namespace) -> int:
    from .analysis import score_queue_models
    from .config import Config, LatencyModel, StrategyConfig, load_yaml
    from .data import load
    from .plugins import load_strategy

    src: Path = args.source
    if src.is_dir():
        config = Config(data=str(src), strategy=StrategyConfig(path="join_best", params={"size": 1}))
        name = src.name
    elif src.is_file():
        config = load_yaml(src)
        name = src.stem
    else:
        raise ConfigError(f"{src}: no such config file or event store")
    if args.data is not None:
        config = config.replace(data=str(args.data))
    if args.strategy:
        config = config.replace(strategy=StrategyConfig(path=args.strategy, params=_params(args.params)))
    elif args.params:
        config = config.replace(strategy=StrategyConfig(path=config.strategy.path,
                                                        params={**config.strategy.params, **_params(args.params)}))
    lat = {k: LatencyModel.parse(getattr(args, k), f"--{k}") for k in ("feed", "entry", "response")
           if getattr(args, k) is not None}
    if lat:
        import dataclasses

        config = config.replace(latency=dataclasses.replace(config.latency, **lat))
    if not config.data:
        raise ConfigError(f"{src}: the config names no event store (`data:`); pass --data STORE")
    if not config.strategy.path:
        raise ConfigError(f"{src}: the config names no strategy; pass --strategy (e.g. join_best)")
    store = load(config.data)
    strategy = load_strategy(config.strategy.path, config.strategy.params)
    window = None
    if args.window is not None:
        start, sep, end = args.window.partition(",")
        if not sep:
            raise ConfigError(f"--window: expected START,END (either may be empty), got {args.window!r}")
        window = tuple(None if not v.strip() else int(v) if v.strip().isdigit() else v.strip() for v in (start, end))
    powers: list[float] = []
    if not args.no_fit:
        for t in _csv(args.fit_powers):
            try:
                powers.append(float(t))
            except ValueError:
                raise ConfigError(f"--fit-powers: {t!r} is not a number") from None
    out = args.output or Path("runs") / f"queue_score_{name}"
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]queue-score"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                  TimeElapsedColumn(), transient=True, disable=args.quiet) as prog:
        task = prog.add_task("runs", total=None)
        score = score_queue_models(store, strategy, config, _csv(args.models), tolerance=args.tolerance,
                                   horizons=_csv(args.horizons) if args.horizons else None,
                                   fit_powers=powers or None, window=window,
                                   progress=lambda d, t: prog.update(task, completed=d, total=t))
    written = score.save(out, report=not args.no_report)
    if not args.quiet:
        score.print()
    print(f"{len(score.models)} models scored against {score.truth.fills:,} true fills -> {out} "
          f"({', '.join(sorted(written))})")
    return 0


# --------------------------------------------------------------------------- mmsim compare


def _add_compare_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare", help="is B better than A? two saved runs on the same data as paired series, with intervals",
        description="Compare two run directories (written by `mmsim run`) on the same data as paired series over "
                    "time buckets: B − A in mean markout per lot at each horizon, spread capture per lot and PnL "
                    "per day, each with a stationary-bootstrap confidence interval and a verdict "
                    "(docs/compare.md). Runs on different data are refused.")
    p.add_argument("run_a", metavar="RUN_A", type=Path, help="run directory of A (the baseline)")
    p.add_argument("run_b", metavar="RUN_B", type=Path, help="run directory of B")
    p.add_argument("--events", metavar="PATH", type=Path,
                   help="event store both runs replayed (default: the store named in RUN_A's result.json)")
    p.add_argument("--horizons", metavar="LIST", help="markout horizons, e.g. 100ms,1s,10s (default: RUN_A's config)")
    p.add_argument("--bucket", metavar="DURATION", default="1min", help="time bucket (default %(default)s)")
    p.add_argument("--boot", metavar="N", type=int, default=2000, help="bootstrap resamples (default %(default)s)")
    p.add_argument("--block", metavar="BUCKETS", type=float,
                   help="mean block length in buckets (default: Politis-White automatic choice)")
    p.add_argument("--confidence", metavar="LEVEL", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--seed", metavar="S", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--labels", metavar="A,B", help="names of the runs in the verdicts (default: directory names)")
    p.add_argument("-o", "--output", type=Path, help="write compare.json to this directory (or .json file)")
    p.add_argument("-q", "--quiet", action="store_true", help="no table; the verdicts only")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from .analysis import compare

    labels = None
    if args.labels is not None:
        parts = [t.strip() for t in args.labels.split(",")]
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"--labels: expected two names A,B, got {args.labels!r}")
        labels = (parts[0], parts[1])
    events = None
    if args.events is not None:
        from .data import load

        events = load(args.events)
    cmp = compare(args.run_a, args.run_b, events, horizons=_csv(args.horizons) if args.horizons else None,
                  bucket=args.bucket, n_boot=args.boot, confidence=args.confidence, block=args.block,
                  seed=args.seed, labels=labels)
    if args.quiet:
        for v in cmp.verdicts():
            print(v)
    else:
        from rich.console import Console

        cmp.print(Console(soft_wrap=True))
    if args.output is not None:
        print(f"wrote {cmp.save(args.output)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmsim", description="Market-making adverse-selection backtester.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--version", action="version", version=f"mmsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run_parser(sub)
    _add_queue_score_parser(sub)
    _add_compare_parser(sub)
    for module, add, cmd in _PLUGGED:
        mod = importlib.import_module(module)
        getattr(mod, add)(sub)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("mmsim: interrupted", file=sys.stderr)
        return 130
    except ConfigError as exc:
        if args.debug:
            raise
        print(f"mmsim: config error: {exc}", file=sys.stderr)
        return 2
    except (MmsimError, OSError) as exc:
        if args.debug:
            raise
        print(f"mmsim: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
