"""``mmsim compare RUN_A RUN_B``: is B better than A? Paired series over time buckets, with intervals."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._common import (Written, add_force, add_output, add_quiet, duration, duration_list, ensure_new_output, flags_named, integer, keep,
                      number)
from ._staging import staged_file

__all__ = ["add_parser", "cmd"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``compare`` to the subparsers."""
    p = sub.add_parser(
        "compare", parents=[parent],
        help="is B better than A? two saved runs on the same data as paired series, with intervals",
        description="Compare two run directories (written by `mmsim run`) on the same data as paired series over "
                    "time buckets: B − A in mean markout per lot at each horizon, spread capture per lot and PnL "
                    "per day, each with a stationary-bootstrap confidence interval and a verdict "
                    "(docs/compare.md). Runs on different data are refused.")
    p.add_argument("run_a", metavar="RUN_A", type=Path, help="run directory of A (the baseline)")
    p.add_argument("run_b", metavar="RUN_B", type=Path, help="run directory of B")
    p.add_argument("--events", metavar="PATH", type=Path,
                   help="event store both runs replayed (default: the store named in RUN_A's result.json)")
    p.add_argument("--horizons", metavar="LIST", action=Written, read=keep,
                   help="markout horizons, e.g. 100ms,1s,10s (default: RUN_A's config)")
    p.add_argument("--bucket", metavar="DURATION", default="1min", action=Written, read=duration, help="time bucket (default %(default)s)")
    p.add_argument("--boot", metavar="N", action=Written, read=integer("an integer from 10 to 10,000,000"), default=2000,
                   help="bootstrap resamples (default %(default)s)")
    p.add_argument("--block", metavar="BUCKETS", action=Written, read=number("a finite number of buckets >= 1"),
                   help="mean block length in buckets (default: Politis-White automatic choice)")
    p.add_argument("--confidence", metavar="LEVEL", action=Written, read=number("a number in (0, 1)"), default=0.95,
                   help="interval level (default 0.95)")
    p.add_argument("--seed", metavar="S", action=Written, read=integer("a non-negative integer"), default=0,
                   help="bootstrap seed (default 0)")
    p.add_argument("--labels", metavar="A,B", help="names of the runs in the verdicts (default: directory names)")
    add_output(p, "write compare.json to this directory (or .json file); an existing file needs --force",
               metavar="PATH")
    add_force(p, "replace an existing compare.json")
    add_quiet(p, "no table; the verdicts only")
    p.set_defaults(func=cmd)
    return p


def cmd(args: argparse.Namespace) -> int:
    """``mmsim compare``: 0 on success."""
    from ..analysis import compare

    labels = None
    if args.labels is not None:
        parts = [t.strip() for t in args.labels.split(",")]
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"--labels: expected two names A,B, got {args.labels!r}")
        labels = (parts[0], parts[1])
    events = None
    if args.events is not None:
        from ..data import load

        events = load(args.events)
    if args.output is not None:
        target = args.output if args.output.suffix == ".json" else args.output / "compare.json"
        ensure_new_output(target, args.force, what="comparison file")
    if args.seed < 0:  # the library's words offer None, which a command line cannot give
        from ..config._written import shown_written

        shown = str((getattr(args, "_written", None) or {}).get("seed", args.seed))
        raise ConfigError(f"--seed must be a non-negative integer, got {shown_written(shown)}")
    horizons = duration_list(args.horizons, "--horizons") if args.horizons is not None else None
    with flags_named(args, {"horizons": "horizons", "bucket": "bucket", "n_boot": "boot", "confidence": "confidence",
                            "block": "block", "seed": "seed"}):
        cmp = compare(args.run_a, args.run_b, events, horizons=horizons,
                      bucket=args.bucket, n_boot=args.boot, confidence=args.confidence, block=args.block,
                      seed=args.seed, labels=labels)
    from ..analysis._bootstrap import MIN_BUCKETS

    used = [r.diff.block for r in cmp.rows]
    # (Below MIN_BUCKETS no row has an interval, so the block changed nothing worth a note.)
    if args.block is not None and used and max(used) < args.block and cmp.n_buckets >= MIN_BUCKETS:
        shown = str((getattr(args, "_written", None) or {}).get("block", f"{args.block:g}")).strip()
        print(f"note: --block {shown} buckets is longer than "
              f"min(3\u221an, n/3) for {cmp.n_buckets:,} buckets; each interval used {max(used):g} "
              "(docs/compare.md, \"Block length\")", file=sys.stderr)
    if args.quiet:
        for v in cmp.verdicts():
            print(v)
    else:
        from rich.console import Console

        cmp.print(Console())
    if args.output is not None:
        # Whole or not at all: a failure or Ctrl-C (SIGTERM) while it is written leaves no part of it, and an earlier
        # file (--force) as it was; the overwrite check is run again as it is put in place.
        check = functools.partial(ensure_new_output, target, args.force, what="comparison file")
        with staged_file(target, check=check) as tmp:
            cmp.save(tmp)
        print(f"wrote {target}")
    return 0
