"""``mmsim synth [CONFIG] -o STORE``: write a synthetic session as an event store."""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path
from typing import Any

from ._common import Written, add_force, add_output, add_quiet, ensure_new_output, flags_named, integer

__all__ = ["add_parser", "cmd"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``synth`` to the subparsers."""
    p = sub.add_parser(
        "synth", parents=[parent],
        help="generate a synthetic market session (informed flow) as an event store",
        description=(
            "Generate a seeded synthetic trading session -- a latent fair value with jumps, noise "
            "and informed takers, liquidity providers -- and write it as an event store "
            "(events.npy + meta.json) that every other mmsim command reads like real data. "
            "CONFIG is a YAML mapping of synth parameters (docs/demo.md); without it, "
            "the defaults (one hour, L3) are used."
        ),
    )
    p.add_argument("config", nargs="?", metavar="CONFIG", help="YAML file of synth parameters")
    add_output(p, "event store directory to write; an existing store needs --force", required=True,
               metavar="STORE")
    p.add_argument("--seed", action=Written, read=integer("an integer in 0 .. 2**63 - 1"), help="override the config's seed")
    p.add_argument("--format", choices=("l3", "l2"), help="override the config's format")
    p.add_argument("--no-informed", action="store_true", help="switch informed traders off")
    add_force(p, "replace an existing event store")
    add_quiet(p, "no progress spinner (the summary line is still printed)")
    p.set_defaults(func=cmd)
    return p


def cmd(args: argparse.Namespace) -> int:
    """``mmsim synth``: read the config, generate, write the store, print a one-line summary; 0."""
    from rich.console import Console
    from rich.text import Text

    from ..config._units import readable_ns
    from ..errors import DataError
    from ..synth import SynthConfig, load_synth_config, simulate, write_store
    from ..synth.config import informed_label

    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.format is not None:
        changes["format"] = args.format
    if args.no_informed:
        changes["informed"] = False
    # The flags are set over the file's keys before its limits are checked (fix25b: --no-informed with
    # informed_rate: 1000000 was refused on informed_rate).
    with flags_named(args, {"synth config key 'seed'": "seed"}):
        if args.config:
            cfg = load_synth_config(args.config, changes)
        else:
            cfg = SynthConfig().replace(**changes) if changes else SynthConfig()
    out = Path(args.output)
    # Checked now and again when the store is put in place: the writer gets --force (as mmsim convert's), so a
    # store another command wrote there meanwhile is replaced only with it (newcomer18).
    check = functools.partial(ensure_new_output, out, args.force, marker="meta.json", what="event store", remove=False)
    check()
    console = Console(stderr=True, soft_wrap=True)
    t0 = time.perf_counter()
    try:
        if args.quiet:
            day = simulate(cfg)
            path = write_store(cfg, out, events=day.events, force=args.force)
        else:
            with console.status("generating the synthetic session"):
                day = simulate(cfg)
                path = write_store(cfg, out, events=day.events, force=args.force)
    except DataError:
        check()  # the target changed meanwhile: refused in the start check's words
        raise
    dt = time.perf_counter() - t0
    n = len(day.events)
    console.print(Text.assemble(  # plain text: a "[x]" or "\\" in the path or symbol prints as written
        f"wrote {n:,} {cfg.format.upper()} events ({readable_ns(cfg.duration)} of {cfg.symbol}, "
        f"{informed_label(cfg)}, seed {cfg.seed}) to ", (str(path), "bold"), f" in {dt:.2f} s"))
    return 0
