"""``mmsim report RUN_DIR``: compute and write the report of a saved run."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MmsimError
from ..config import parse_event_horizon
from ..report._format import QTY_UNITS
from ._common import (Written, add_force, add_output, add_quiet, duration, duration_list, ensure_new_output, flags_named,
                      UsageError, integer, keep, one_of, refuse_looping_link, value_list)
from ._staging import staged_output

__all__ = ["add_parser", "cmd"]

# The keys make_report names in its errors -> the flag (dest) that gives each.
_FLAGS = {"report.horizons": "horizons", "report.event_horizons": "event_horizons",
          "report.toxic_horizon": "toxic_horizon", "signal_buckets": "signal_buckets",
          "age_buckets": "age_buckets", "queue_buckets": "queue_buckets", "position_limit": "position_limit",
          "sharpe_interval": "sharpe_interval"}


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``report`` to the subparsers."""
    p = sub.add_parser(
        "report", parents=[parent],
        help="fill-toxicity and PnL report of a saved run",
        description="Compute markouts, the spread decomposition, markout by signal, the exact PnL split, "
        "information age and the look-ahead audit of a run directory (written by `mmsim run`), print it and "
        "write report.json, fills.csv, PNG plots and report.html.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (result.json and the record .npy files)")
    p.add_argument("--events", metavar="PATH",
                   help="event store or .npy the run replayed (default: the store named in result.json)")
    add_output(p, "where to write the outputs (default: RUN_DIR, whose report is replaced); another "
                  "directory that exists needs --force", aliases=("--out",))
    p.add_argument("--horizons", metavar="LIST", action=Written, read=keep, help="markout horizons, e.g. 100ms,1s,10s,60s")
    p.add_argument("--event-horizons", metavar="LIST", action=Written, read=keep,
                   help="markout horizons in market events, e.g. 10,100 (or 10ev,100ev)")
    p.add_argument("--toxic-horizon", metavar="H", action=Written, read=duration,
                   help="horizon of the toxic share and signal buckets (1s or 100ev)")
    p.add_argument("--signal-buckets", metavar="N", action=Written, read=integer("a positive integer"), default=5,
                   help="quantile buckets per signal (5)")
    p.add_argument("--age-buckets", metavar="N", action=Written, read=integer("a positive integer"), default=5,
                   help="quantile buckets of information age for the markout by age (5)")
    p.add_argument("--queue-buckets", metavar="N", action=Written, read=integer("a positive integer"), default=5,
                   help="quantile buckets of queue position for the markout of maker fills by queue position (5)")
    p.add_argument("--position-limit", metavar="LOTS", action=Written,
                   read=integer("a positive number of lots (an integer)"), help="report the share of time at |position| >= LOTS")
    p.add_argument("--sharpe-interval", metavar="DURATION", action=Written, read=duration,
                   help="interval of the Sharpe's equity grid, e.g. 1m (default: the run's sample_every)")
    p.add_argument("--qty", metavar="{auto,lots,base}", action=Written, read=one_of(*QTY_UNITS), default="auto",
                   help="quantities in the printed and HTML tables: lots, base units (lots x lot size, exact; "
                        "the summary's mid in quote currency) or auto, base units when the store's lot is not 1 "
                        "(default auto; report.json and fills.csv keep lots)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots and the HTML report")
    add_force(p, "write into an -o directory that already exists")
    add_quiet(p, "do not print the tables")
    p.set_defaults(func=cmd)
    return p


def _load_events(path: Path) -> np.ndarray:
    """Open an event store directory (events.npy + meta.json) or an .npy file, memory-mapped, by the opener every
    command shares (:func:`mmsim.data.store.open_events_file`: one message for an events.npy that is a directory)."""
    from ..data.store import open_events_file

    p = path / "events.npy" if path.is_dir() else path
    if not p.exists():
        raise DataError(f"{p}: event file not found (pass the event store the run replayed with --events)")
    if p is path and p.is_file():
        with p.open("rb") as fh:
            if fh.read(6) != b"\x93NUMPY":  # a YAML or CSV file: numpy's own message spoke of pickled data
                raise DataError(f"{p}: not an event store (a directory with events.npy and meta.json) nor an .npy "
                                "file; pass the event store the run replayed with --events")
    return open_events_file(p)


def cmd(args: argparse.Namespace) -> int:
    """``mmsim report``: 0 on success. Errors raise mmsim.MmsimError subclasses."""
    from rich.console import Console

    from ..engine import Result
    from ..report import REPORT_FILES, make_report

    run_dir = Path(args.run_dir)
    if not (run_dir / "result.json").is_file():
        from ..analysis.comparison import not_a_run

        raise DataError(not_a_run(run_dir, "report"))
    try:
        result = Result.load(run_dir)
    except MmsimError:
        raise  # already names the file and what is wrong
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{run_dir}: cannot read the run ({type(e).__name__}: {e})") from None
    job = result.run_config
    ev_path = args.events or result.meta.get("store") or (job.data if job is not None else "")
    if not ev_path:
        raise DataError(f"{run_dir / 'result.json'}: names no event store; pass --events PATH")
    p = Path(ev_path)
    if not p.exists() and not p.is_absolute() and (run_dir / p).exists():
        p = run_dir / p  # a store path written relative to the run directory
    events = _load_events(p)
    meta_path = (p if p.is_dir() else p.parent) / "meta.json"
    if meta_path.is_file():  # a store: its identity must be the run's (another tick size, the same count)
        import json

        from .._json import json_fault, loads_unique
        from ..report.compute import check_store

        try:
            store_meta = loads_unique(meta_path.read_text())  # a key given twice refused, as mmsim.load does
        except json.JSONDecodeError as e:
            raise DataError(f"{meta_path}: {json_fault(e)}") from None
        except (OSError, ValueError) as e:
            raise DataError(f"{meta_path}: cannot read ({type(e).__name__}: {e})") from None
        if isinstance(store_meta, dict):
            from ..data.store import EventStore, check_store_meta

            # Read as mmsim.load reads it (its keys' types, time_zone an IANA zone: breaker17b), and given as a
            # store, the report also checks that its book is the one the fills saw.
            check_store_meta(store_meta, meta_path)
            events = EventStore(meta_path.parent, events, store_meta)  # type: ignore[assignment]
            check_store(result, events)
    event_h: list[Any] | None = None
    if args.event_horizons is not None:  # 10 or 10ev, as in a config; '' is none, as report.event_horizons: []
        event_h = [parse_event_horizon(t, "--event-horizons")
                   for t in value_list(args.event_horizons, "--event-horizons", allow_empty=True)]
    out = Path(args.output) if args.output else run_dir
    refuse_looping_link(out)  # before out.resolve(), which raised RuntimeError on it
    check: Callable[[], None] | None = None  # into the run's own directory: nothing to check
    if out.resolve() != run_dir.resolve():
        if out.exists() and not out.is_dir():  # --force would not make a file a folder (breaker17d)
            raise UsageError(f"{out}: a file, not a directory: the report writes a folder of files; choose another -o")
        check = functools.partial(ensure_new_output, out, args.force, what="output directory")
        check()
    with flags_named(args, _FLAGS):
        rep = make_report(
            result,
            events,
            horizons=duration_list(args.horizons, "--horizons") if args.horizons is not None else None,
            event_horizons=event_h,
            toxic_horizon=args.toxic_horizon,
            signal_buckets=args.signal_buckets,
            position_limit=args.position_limit,
            age_buckets=args.age_buckets,
            queue_buckets=args.queue_buckets,
            qty=args.qty,
            sharpe_interval=args.sharpe_interval,
        )
    if not args.quiet:
        rep.print(Console())
    # Staged (docs/config.md, "An output directory is written whole or not at all"): the files are written in a
    # hidden sibling and moved in, each whole, once all are there; an error or Ctrl-C while writing leaves the
    # output (a new directory, or the run's own with its previous report) as it was (newcomer17).
    with staged_output(out, "report.json", check=check) as stage:  # checked again when put in place (newcomer18)
        written = {name: out / name for name in rep.save(stage.dir(), plots=not args.no_plots)}
        stage.commit(merge=True, replaces=REPORT_FILES)  # an earlier report's files, replaced as a set
    print(f"wrote {', '.join(sorted(written))} to {out}")  # one line, never wrapped: the path stays whole
    return 0
