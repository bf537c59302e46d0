"""``mmsim run CONFIG``: replay a run config's event store with its strategy, save the result and the report."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..errors import DataError, StrategyError
from ._common import (add_force, add_output, add_quiet, ensure_new_output, progress_bar, strategy_located)
from ._staging import staged_output

__all__ = ["add_parser", "cmd", "default_output"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``run`` to the subparsers."""
    p = sub.add_parser("run", parents=[parent],
                       help="replay a config's event store with its strategy and write the report",
                       description="Replay the event store named in CONFIG with its strategy, then write the "
                                   "result and the toxicity/PnL report to the output directory.")
    p.add_argument("config", type=Path, help="run config (YAML)")
    add_output(p, "output directory (default: the config's `output`, else runs/<config name>-<hash of the "
                  "resolved config>); an existing one needs --force")
    p.add_argument("--data", type=Path, help="event store to replay instead of the config's `data`")
    p.add_argument("--no-report", action="store_true", help="save the result only")
    p.epilog = ("A run that stops early (a strategy error, a guard such as max_orders, a bad event) still writes "
                'what it did up to the stop, marked "partial": true in result.json and in the report\'s header; '
                "the exit status is 1.")
    add_force(p, "replace an existing run directory (one with result.json)")
    add_quiet(p, "no progress bar or table")
    p.set_defaults(func=cmd)
    return p


def default_output(config: RunConfig, config_path: Path) -> Path:
    """``runs/<config file stem>-<digest>`` in the working directory: two configs of the same
    name in different folders (or the same file edited) never share it."""
    return Path("runs") / f"{config_path.stem}-{config.digest()}"


def cmd(args: argparse.Namespace) -> int:
    """``mmsim run``: 0 on success."""
    from ..config import load_yaml
    from ..runner import load_events, run_config

    config = load_yaml(args.config)
    if args.data is not None:
        config = config.replace(data=str(args.data.resolve()))
    out = args.output or (Path(config.output) if config.output else default_output(config, args.config))
    config = config.replace(output=str(out))
    events = load_events(config)  # before touching the output: a missing store changes nothing
    # Checked now, replaced only when there is a result to write: a config refused later (a
    # strategy parameter, max_orders against the strategy) leaves the previous run as it was.
    check = functools.partial(ensure_new_output, out, args.force, marker="result.json", what="run directory",
                              remove=False)
    check()
    with staged_output(out, "result.json", check=check) as stage:  # checked again when put in place (newcomer18)
        try:
            with strategy_located(args.config), progress_bar(f"run {args.config.name}", args.quiet) as update:
                result = run_config(config, events=events, progress=update, base_dir=args.config.parent)
        except (StrategyError, DataError) as exc:
            # A run that stopped (a guard, a strategy error, a bad event) keeps what it did, marked
            # partial in result.json and the report's header; the exit status is still 1.
            part = getattr(exc, "partial", None)
            if part is None:
                raise
            _write(part, events, stage, args)
            print(f"mmsim run: the run stopped; its partial result up to the stop ({len(part.fills):,} fills) is in "
                  f'{out} (result.json: "partial": true)', file=sys.stderr)
            raise
        _write(result, events, stage, args)
    print(f"{result.n_events:,} events, {len(result.fills):,} fills, "
          f"{result.events_per_second / 1e6:.1f} M events/s -> {out}")
    return 0


def _write(result: Any, events: Any, stage: Any, args: argparse.Namespace) -> None:
    """The result and its report written whole in place of the output (Ctrl-C meanwhile: nothing changes)."""
    rep = None
    result.save(stage.dir())
    if not args.no_report:
        rep = result.report(events)
        rep.save(stage.dir())
    stage.commit()
    if rep is not None and not args.quiet:
        rep.print()
