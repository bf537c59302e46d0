"""The ``mmsim synth CONFIG -o STORE`` subcommand: write a synthetic session as an event store."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .config import parse_yaml
from .errors import ConfigError
from .synth import SynthConfig, simulate, write_store

__all__ = ["add_synth_parser", "cmd_synth", "load_synth_config"]


def load_synth_config(path: str | Path) -> SynthConfig:
    """Read a synthetic-market YAML file (a flat mapping of :class:`~mmsim.synth.SynthConfig` keys).

    Parameters
    ----------
    path : path-like
        The YAML file.

    Raises
    ------
    ConfigError
        Naming the file and line, for unreadable YAML, an unknown key, a wrong type or a bad value.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config ({e.strerror})") from None
    data, where = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path} line 1: expected a mapping of synth config keys, got {type(data).__name__}")
    return SynthConfig.from_dict(data, where=where)


def add_synth_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``synth`` subcommand to an argparse subparsers object; its handler is :func:`cmd_synth`."""
    p = subparsers.add_parser(
        "synth",
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
    p.add_argument("-o", "--output", required=True, metavar="STORE", help="event store directory to write")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--format", choices=("l3", "l2"), help="override the config's format")
    p.add_argument("--no-informed", action="store_true", help="switch informed traders off")
    p.set_defaults(func=cmd_synth)
    return p


def cmd_synth(args: argparse.Namespace) -> int:
    """Run ``mmsim synth``: read the config, generate, write the store, print a one-line summary.

    Returns
    -------
    int
        0 on success. Bad configs raise :class:`~mmsim.ConfigError` for the CLI to print.
    """
    from rich.console import Console

    cfg = load_synth_config(args.config) if args.config else SynthConfig()
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.format is not None:
        changes["format"] = args.format
    if args.no_informed:
        changes["informed"] = False
    if changes:
        cfg = cfg.replace(**changes)
    console = Console(stderr=True)
    t0 = time.perf_counter()
    with console.status("generating the synthetic session"):
        day = simulate(cfg)
        out = write_store(cfg, args.output, events=day.events)
    dt = time.perf_counter() - t0
    n = len(day.events)
    console.print(
        f"wrote {n:,} {cfg.format.upper()} events ({cfg.duration / 1e9:g} s of {cfg.symbol}, "
        f"informed {'on' if cfg.informed else 'off'}, seed {cfg.seed}) to [bold]{out}[/] in {dt:.2f} s"
    )
    return 0
