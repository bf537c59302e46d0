"""``mmsim demo``: the synthetic informed-flow study (:func:`mmsim.demo.run_demo`)."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

from ._common import add_force, add_output, add_quiet, ensure_new_output
from ._staging import staged_output

__all__ = ["add_parser", "cmd"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``demo`` to the subparsers."""
    p = sub.add_parser(
        "demo", parents=[parent],
        help="answer the project's question on a synthetic market in under a minute",
        description=(
            "Generate independent sessions of a synthetic market with and without informed traders, run a "
            "naive quoter and the toxicity-pull strategy at feed latencies 0, 100us, 1ms, 10ms and 100ms, "
            "print the defence value with 95% intervals across sessions, and write CSV, JSON, a plot and "
            "demo.html."
        ),
    )
    add_output(p, "output folder (default: mmsim-demo-<time>); one that exists needs --force")
    p.add_argument("--quick", action="store_true", help="4 sessions of 150 s instead of 6 of 10 min")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_force(p, "write into a demo's output folder that already exists (one holding demo.html; any other "
                 "non-empty folder is refused)")
    add_quiet(p, "no progress bar or tables (the output folder is still printed)")
    p.set_defaults(func=cmd)
    return p


def cmd(args: argparse.Namespace) -> int:
    """``mmsim demo``: 0.

    The files are written in a hidden ``.NAME.writing-PID`` beside the output folder and
    renamed to it once all are there (:func:`._staging.staged_output`): Ctrl-C meanwhile leaves
    no folder, or the previous one as it was. With ``--force``, a demo's folder that exists (it
    holds demo.html) receives the files one by one, each whole (its other files are left as they
    are); a non-empty folder that is not a demo's is refused, with ``--force`` too.
    """
    from ..demo import default_outdir, run_demo
    from ..demo_render import print_tables

    out = Path(args.output) if args.output is not None else default_outdir()
    # Only a demo's own folder (it holds demo.html) is written into with --force; any other is refused.
    check = functools.partial(ensure_new_output, out, args.force, marker="demo.html", what="demo output folder",
                              remove=False, merge=True)
    check()
    with staged_output(out, "demo.html", check=check) as stage:  # checked again when put in place (newcomer18)
        res = run_demo(outdir=out, quick=args.quick, progress=not (args.no_progress or args.quiet), quiet=True,
                       write_in=stage.dir())
        stage.commit(merge=True)
    if args.quiet:
        print(f"outputs written to {res.outdir}")
    else:
        from rich.console import Console

        print_tables(res, Console())
    return 0
