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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmsim", description="Market-making adverse-selection backtester.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--version", action="version", version=f"mmsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run_parser(sub)
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
