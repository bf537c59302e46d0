"""``mmsim convert SRC... -o STORE --format F``: turn market-data files into an event store, with a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._common import Written, add_force, add_output, add_quiet, flags_named, number, refuse_looping_link

__all__ = ["FORMAT_HELP", "add_parser", "cmd", "looks_like"]

#: One line per format for ``--help``.
FORMAT_HELP = {
    "lobster": "LOBSTER message (+ orderbook beside it) CSV, L3",
    "binance": "Binance collector capture (local_ts {json} lines, .gz), USD-M or spot, L2",
    "databento": "Databento MBO .dbn/.dbn.zst or CSV, L3",
    "hftbacktest": "hftbacktest .npz/.npy event file",
    "tardis": "Tardis.dev incremental_book_L2 (+ trades) CSV, L2",
}


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``convert`` to the subparsers."""
    from ..data import FORMATS

    p = sub.add_parser(
        "convert", parents=[parent],
        help="convert market-data files into an event store",
        description="Convert market-data files into an mmsim event store "
        "(a directory with events.npy and meta.json). Formats: "
        + "; ".join(f"{k}: {v}" for k, v in FORMAT_HELP.items()),
    )
    p.add_argument("sources", nargs="+", type=Path, metavar="SRC", help="input file(s), in time order")
    add_output(p, "store directory to write", required=True, metavar="STORE")
    p.add_argument("--format", required=True, choices=sorted(FORMATS), help="input format")
    p.add_argument("--tick-size", action=Written, read=number("a positive number"), default=None, help="price tick (inferred when omitted)")
    p.add_argument("--lot-size", action=Written, read=number("a positive number"), default=None,
                   help="size of one lot (inferred when omitted)")
    p.add_argument("--symbol", default=None, help="symbol written to meta.json (default: from the data)")
    p.add_argument("--trade-implied-book", action="store_true",
                   help="L2 data: a print hides the levels it went through until the next depth update of "
                        "the side (docs/data.md, 'A trade-implied book')")
    p.add_argument("--drop-prints-through-book", action="store_true",
                   help="drop the trade prints more than 10%% through the best price of the side they hit (a "
                        "corrupt line): they fill no order; meta.json records how many (docs/data.md, 'Prints "
                        "through the book')")
    add_force(p, "replace an existing event store")
    add_quiet(p, "no progress bar, and the summary line only (no pre-open or trade-implied line; a warning stays)")
    p.set_defaults(func=cmd)
    return p


def cmd(args: argparse.Namespace) -> int:
    """``mmsim convert``: 0 ok; bad or missing input raises (exit 1, as ``mmsim run``).

    The store is written atomically by :func:`mmsim.data.convert` (a temporary
    directory renamed in at the end); an existing store needs ``--force``.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from ..data import convert, summary
    from ..data._common import file_size
    from ..data._store_write import FORCE_HINT, missing_parents
    from ..errors import DataError

    refuse_looping_link(Path(args.output))  # a usage error before anything is read, as every command's -o (outpath19)
    console = Console(stderr=True, soft_wrap=True)
    total = sum(file_size(Path(s)) for s in args.sources)
    show = not args.quiet and sys.stderr.isatty()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console, disable=not show, transient=True) as bar:
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

        # The folders -o a/b/c makes are removed again when no store is written (an error, Ctrl-C; docs/config.md),
        # also after --trade-implied-book's first step wrote its scratch store there (newcomer18).
        made = missing_parents(Path(args.output))
        with flags_named(args, {"tick_size": "tick_size", "lot_size": "lot_size"}), _removing(made):
            try:
                store = convert(args.sources, args.output, format=args.format, tick_size=args.tick_size,
                                lot_size=args.lot_size, symbol=args.symbol, progress=progress, force=args.force,
                                trade_implied=args.trade_implied_book,
                                drop_prints_through_book=args.drop_prints_through_book)
            except DataError as e:
                # The library's hint names its keyword (force=True); here the user types a flag.
                if str(e).endswith(FORCE_HINT):
                    raise DataError(str(e)[: -len(FORCE_HINT)] + "pass --force to replace it") from None
                guess = next(((src, g) for src in args.sources if (g := looks_like(Path(src))) not in (None, args.format)),
                             None)
                if guess is None:
                    raise
                raise DataError(f"{e}; {guess[0]} looks like a {guess[1]} file: --format {guess[1]}?") from None
    # One plain line (rich would wrap it at the console width).
    print(summary(store), file=sys.stderr)
    from ..data._identity import QUIRK, THROUGH, TIME_JUMP, jump_words
    from ..report.setup import MAYBE_BAD, implied_label, maybe_bad_label, through_warning

    # -q: the one summary line only (docs/config.md: "a one-line summary stays"; newcomer17: the pre-open line stayed).
    quirks = store.meta.get("quirks") or {}
    for line in (preopen_line(store.meta), implied_label(quirks.get(QUIRK))):
        if line and not args.quiet:
            print(line, file=sys.stderr)
    # A warning, -q or not: prints far through the book fill resting orders (docs/data.md, "Prints through the book").
    if (warn := through_warning(quirks.get(THROUGH))) is not None:
        print(warn, file=sys.stderr)
    if (warn := no_orders_warning(store.meta)) is not None:
        print(warn, file=sys.stderr)
    if (label := maybe_bad_label(quirks.get(MAYBE_BAD))) is not None:  # -q or not (docs/data.md, "Databento")
        print(f"warning: {label}", file=sys.stderr)
    if (words := jump_words(quirks.get(TIME_JUMP))) is not None:  # -q or not: a wrong time, or a second session
        print(f"warning: {words}", file=sys.stderr)
    return 0


def no_orders_warning(meta: dict[str, Any]) -> str | None:
    """The warning for a store of a market-by-order source (``lobster``, ``databento``) that holds no order event, which
    its converter labels ``"levels": "L2"`` (docs/data.md, "Formats"); None for any other store."""
    from ..data._identity import mbo_as_l2
    from ..events import L3_KIND_NAMES as names

    if not mbo_as_l2(meta):
        return None

    n = meta.get("event_count")
    return (f"warning: none of the {f'{n:,}' if isinstance(n, int) else n} events of {', '.join(meta.get('source') or [])} is an order "
            f"event ({names}): the {meta['format']} source is market-by-order, but the store is labelled L2 "
            "(market-by-price) and runs use the L2 queue model, not the exact FIFO")


@contextlib.contextmanager
def _removing(made: list[Path]) -> Iterator[None]:
    """Remove the folders ``made`` (deepest first, each only while empty) when the block raises (Ctrl-C included),
    a second Ctrl-C held back meanwhile."""
    from .._interrupt import _sigint_deferred
    from ..data._store_write import remove_parents

    try:
        yield
    except BaseException:
        with _sigint_deferred():
            remove_parents(made)
        raise


def preopen_line(meta: dict[str, Any]) -> str | None:
    """The line ``mmsim convert`` prints after its summary when the loader inferred a pre-open (CME's crossed book:
    ``quirks.preopen_spans_ns``), else None: each span's ``QUOTING`` and ``TRADING`` times (UTC, to the ms, as the
    report's ``trading`` row; a date only where it changes), at most three, and the crossed messages counted."""
    quirks = meta.get("quirks") or {}
    spans = quirks.get("preopen_spans_ns") or []
    if not spans:
        return None

    def at(ns: int, date: str | None) -> str:
        t = str(np.datetime64(int(ns), "ns"))[:23].replace("T", " ")
        return t[11:] if t[:10] == date else t

    shown = []
    for i, (q, t) in enumerate(spans[:3]):
        start = at(q, None)
        if t is None:  # the data end in it
            shown.append(f"{'QUOTING ' if i == 0 else ''}{start} → the data's end (never opened)")
        else:
            shown.append(f"{'QUOTING ' if i == 0 else ''}{start} → {'TRADING ' if i == 0 else ''}{at(t, start[:10])}")
    more = f", and {len(spans) - 3} more" if len(spans) > 3 else ""
    n = int(quirks.get("preopen_crossed_messages") or 0)
    return (f"pre-open inferred from the crossed book: {', '.join(shown)}{more} ({n:,} crossed "
            f"message{'' if n == 1 else 's'}; docs/data.md \"Pre-open\")")


def looks_like(path: Path) -> str | None:
    """The format ``path``'s name or first line says it is (``--format``'s names), else None: a hint for a
    file converted with the wrong ``--format``, not a detector (each loader checks its own input)."""
    import gzip
    import re

    name = path.name.lower()
    if name.endswith((".npz", ".npy")):
        return "hftbacktest"
    if name.endswith((".dbn", ".dbn.zst")):
        return "databento"
    try:
        with (gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")) as f:
            head = f.readline(4096).decode("utf-8", "replace").strip().lower()
    except (OSError, EOFError):
        return None
    if re.match(r"\d{10,19} \{", head):
        return "binance"
    cols = set(head.replace(" ", "").split(","))
    if {"ts_recv", "ts_event", "action"} <= cols:
        return "databento"
    if {"exchange", "symbol", "timestamp", "local_timestamp"} <= cols:
        return "tardis"
    if "_message_" in name and re.fullmatch(r"[\d.]+(,-?[\d.]+){5}", head):
        return "lobster"
    return None

