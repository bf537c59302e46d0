"""``mmsim convert``: turn market-data files into an event store, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import FORMATS, convert, summary
from ._common import file_size

__all__ = ["add_convert_parser", "cmd_convert"]

_HELP = {
    "lobster": "LOBSTER message (+ orderbook beside it) CSV, L3",
    "binance": "Binance collector capture (local_ts {json} lines, .gz), USD-M or spot, L2",
    "databento": "Databento MBO .dbn/.dbn.zst or CSV, L3",
    "hftbacktest": "hftbacktest .npz/.npy event file",
    "tardis": "Tardis.dev incremental_book_L2 (+ trades) CSV, L2",
}


def add_convert_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``convert`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "convert",
        help="convert market-data files into an event store",
        description="Convert market-data files into an mmsim event store "
        "(a directory with events.npy and meta.json). Formats: "
        + "; ".join(f"{k}: {v}" for k, v in _HELP.items()),
    )
    p.add_argument("sources", nargs="+", type=Path, metavar="SRC", help="input file(s), in time order")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="STORE", help="store directory to write")
    p.add_argument("--format", required=True, choices=sorted(FORMATS), help="input format")
    p.add_argument("--tick-size", type=float, default=None, help="price tick (inferred when omitted)")
    p.add_argument("--lot-size", type=float, default=None, help="size of one lot (inferred when omitted)")
    p.add_argument("--symbol", default=None, help="symbol written to meta.json (default: from the data)")
    p.add_argument("--force", action="store_true", help="replace an existing store at STORE (atomically)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_convert)
    return p


def cmd_convert(args: argparse.Namespace) -> int:
    """Run ``mmsim convert``; returns the exit code (errors propagate to ``mmsim.cli.main``: exit 1)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    total = sum(file_size(Path(s)) for s in args.sources)
    show = not args.quiet and sys.stderr.isatty()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(f"converting {args.format}", total=total or None)
        done_before = [0]
        current = [0]

        def progress(n: int) -> None:
            # Loaders report bytes read of the current file; keep a running
            # total across files (a smaller value means the next file began).
            if n < current[0]:
                done_before[0] += current[0]
            current[0] = n
            bar.update(task, completed=min(total, done_before[0] + n) if total else None)

        store = convert(
            args.sources,
            args.output,
            format=args.format,
            tick_size=args.tick_size,
            lot_size=args.lot_size,
            symbol=args.symbol,
            progress=progress,
            force=args.force,
        )
    # One plain line (rich would wrap it at the console width).
    print(summary(store), file=sys.stderr)
    return 0
