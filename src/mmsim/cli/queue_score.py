"""``mmsim queue-score CONFIG_OR_STORE``: score the L2 queue models against exact L3 FIFO fills."""

from __future__ import annotations

import argparse
import contextlib
import functools
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._common import (Written, add_force, add_output, add_quiet, comma_list, duration, duration_list, ensure_new_output,
                      flags_named, interactive, keep, scalar, strategy_located)
from ._staging import staged_output

__all__ = ["add_parser", "cmd"]


def _defaults() -> tuple[tuple[str, ...], tuple[float, ...]]:
    from ..analysis.queue_score import DEFAULT_FIT_POWERS, DEFAULT_MODELS

    return DEFAULT_MODELS, DEFAULT_FIT_POWERS


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``queue-score`` to the subparsers."""
    models, powers = _defaults()
    p = sub.add_parser(
        "queue-score", parents=[parent],
        help="score the L2 queue models against exact L3 FIFO fills on market-by-order data",
        description="Replay a strategy on an L3 (market-by-order) event store under exact FIFO (the truth) and on "
                    "the same day aggregated to L2 under each queue model, compare every model's fills, markouts "
                    "and PnL with the truth's, fit the power-model exponent, and write queue_score.json, "
                    "queue_score.png and the truth run's report with the queue-model section "
                    "(docs/queue_models.md).")
    p.add_argument("source", metavar="CONFIG_OR_STORE", type=Path,
                   help="a run config (YAML: its data, strategy, latencies, fees and horizons) or an L3 event "
                        "store (then the strategy is join_best with 1 lot and the latencies are zero unless given)")
    add_output(p, "output directory (default: runs/queue_score_<name>); an existing one needs --force")
    p.add_argument("--data", type=Path, help="event store to replay instead of the config's `data`")
    p.add_argument("--models", metavar="LIST", default=",".join(models),
                   help="queue models to score (default %(default)s)")
    p.add_argument("--tolerance", metavar="DURATION", default="100ms", action=Written, read=duration,
                   help="largest exchange-time difference of a matched fill (default %(default)s)")
    p.add_argument("--fit-powers", metavar="LIST", action=Written, read=keep, default=",".join(f"{x:g}" for x in powers),
                   help="exponents of the power-model fit (default %(default)s)")
    p.add_argument("--no-fit", action="store_true", help="skip the power-model fit")
    p.add_argument("--horizons", metavar="LIST", action=Written, read=keep,
                   help="markout horizons, e.g. 100ms,1s,10s (default: the config's)")
    p.add_argument("--window", metavar="START,END", action=Written, read=keep,
                   help="score only fills in [START, END), UTC times (2023-12-25T23:01) or ns; either may be empty")
    p.add_argument("--strategy", metavar="SPEC", help="strategy plugin (file.py:Class or entry point), overriding "
                                                      "the config's")
    p.add_argument("--params", metavar="K=V,...", help="strategy parameters with --strategy (e.g. size=1)")
    p.add_argument("--feed", metavar="LATENCY", action=Written, read=duration, help="feed latency (5ms, recorded), overriding the config's")
    p.add_argument("--entry", metavar="LATENCY", action=Written, read=duration, help="entry latency, overriding the config's")
    p.add_argument("--response", metavar="LATENCY", action=Written, read=duration, help="response latency, overriding the config's")
    p.add_argument("--no-report", action="store_true", help="write queue_score.json and .png only")
    add_force(p, "replace an existing queue-score output (one with queue_score.json)")
    add_quiet(p, "no progress bar or table")
    p.set_defaults(func=cmd)
    return p


def _params(text: str | None) -> dict[str, Any]:
    import yaml

    from ..config.yaml_file import loader_class

    out: dict[str, Any] = {}
    for item in comma_list(text, "--params") if text is not None else []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--params: expected key=value, got {item!r}")
        out[key.strip()] = yaml.load(value, Loader=loader_class())  # a SafeLoader that reads 1e-3 as a float
    return out


_RAISE_KEY = re.compile(r"(?:set|raise) (ladder_levels|max_orders) to at least (\d+)$")


@contextlib.contextmanager
def _config_hint(src: Path) -> Iterator[None]:
    """With a store as input (no config to edit), a refusal that says to set a config key
    (``set ladder_levels to at least 2``, ``raise max_orders to at least 70``) says how this command takes one:
    a run config given instead of the store, naming it, the strategy and the key (docs/queue_models.md)."""
    try:
        yield
    except ConfigError as exc:
        m = _RAISE_KEY.search(str(exc))
        if m is None or not src.is_dir():
            raise
        raise ConfigError(f"{exc}: with a store as input queue-score uses the engine's defaults; give it a run "
                          f"config instead of {src} (`data: {src}`, your `strategy:` and `{m[1]}: {m[2]}`), "
                          "`mmsim queue-score CONFIG`") from None


def cmd(args: argparse.Namespace) -> int:
    """``mmsim queue-score``: 0 on success."""
    from ..analysis import score_queue_models
    from ..config import LatencyModel, RunConfig, StrategyConfig, load_yaml
    from ..data._identity import no_orders_note
    from .._py_units import quiet
    from ..runner import load_events, load_run_strategy, store_lot

    src: Path = args.source
    # Store paths made absolute, as `mmsim run --data` does and a config's `data:` is: the store
    # path written in queue_score.json and report.json then names it from any directory.
    if src.is_dir():
        config = RunConfig(data=str(src.resolve()), strategy=StrategyConfig(path="join_best", params={"size": 1}))
        name = src.name
    elif src.is_file():
        config = load_yaml(src)
        name = src.stem
    else:
        raise ConfigError(f"{src}: no such config file or event store")
    if args.data is not None:
        config = config.replace(data=str(args.data.resolve()))
    if args.strategy:
        config = config.replace(strategy=StrategyConfig(path=args.strategy, params=_params(args.params)))
    elif args.params:
        config = config.replace(strategy=StrategyConfig(path=config.strategy.path,
                                                        params={**config.strategy.params, **_params(args.params)}))
    lat = {k: LatencyModel.parse(getattr(args, k), f"--{k}") for k in ("feed", "entry", "response")
           if getattr(args, k) is not None}
    if lat:
        engine = config.engine
        with flags_named(args, {f"latency.{k}": k for k in ("feed", "entry", "response")}):
            config = config.replace(engine=engine.replace(latency=dataclasses.replace(engine.latency, **lat)))  # type: ignore[arg-type]
    if not config.data:
        raise ConfigError(f"{src}: the config names no event store (`data:`); pass --data STORE")
    store = load_events(config)
    levels = getattr(store, "meta", {}).get("levels")
    if levels is not None and levels != "L3":
        # A config problem (exit 2): the library's DataError named its own function.
        raise ConfigError(f"data: {config.data}: an {levels} (market-by-price) event store; mmsim queue-score "
                          "scores the L2 queue models against the exact FIFO fills of market-by-order (L3) "
                          "data: a Databento MBO, LOBSTER or hftbacktest L3 store, or `mmsim synth` (L3 by "
                          f"default){no_orders_note(store.meta)}")
    try:
        with strategy_located(src if src.is_file() and not args.strategy and not args.params else None):
            # A relative file of the config's was looked for beside it first (load_yaml), then here.
            # Quantities left in lots on a lot that is not 1: warned of here, in the config's words (not the
            # default join_best of a bare store, the command's own choice).
            strategy = load_run_strategy(config, src.parent if src.is_file() and not args.strategy else None,
                                         "the config's folder", lot_size=store_lot(config, store),
                                         warn=src.is_file() or bool(args.strategy or args.params))
    except ConfigError as exc:
        if not args.params:
            raise
        # The parameters came (at least in part) from the flag: name it, with the values as written.
        raise ConfigError(f"{exc} (--params {args.params!r})") from None
    window = None
    if args.window is not None:
        start, sep, end = args.window.partition(",")
        if not sep:
            raise ConfigError(f"--window: expected START,END (either may be empty), got {args.window!r}")
        parts = [v.strip() for v in (start, end)]
        window = tuple(None if not v else scalar(v) for v in parts)  # ns as a bare integer, as in YAML
    powers: list[float] = []
    if not args.no_fit:
        for t in comma_list(args.fit_powers, "--fit-powers"):
            try:
                powers.append(float(t))
            except ValueError:
                raise ConfigError(f"--fit-powers: {t!r} is not a number") from None
    models = comma_list(args.models, "--models")
    horizons = duration_list(args.horizons, "--horizons") if args.horizons is not None else None
    out = args.output or Path("runs") / f"queue_score_{name}"
    # Checked now, replaced only when the score is ready: a config refused later (max_orders
    # against the strategy, tick_size against the store) or a run that fails keeps the old one.
    check = functools.partial(ensure_new_output, out, args.force, marker="queue_score.json",
                              what="queue-score output", remove=False)
    check()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]queue-score"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                  TimeElapsedColumn(), transient=True, disable=args.quiet or not interactive()) as prog:
        task = prog.add_task("runs", total=None)
        with strategy_located(src if src.is_file() else None, strategy=not (args.strategy or args.params)), \
                flags_named(args, {"tolerance": "tolerance", "horizons": "horizons", "fit_powers": "fit_powers",
                                "window": "window", "queue model": "models", "models": "models"}):
            with quiet(), _config_hint(src):  # warned above, in the config's words
                score = score_queue_models(store, strategy, config, models, tolerance=args.tolerance,
                                           horizons=horizons,
                                           fit_powers=powers or None, window=window,
                                           progress=lambda d, t: prog.update(task, completed=d, total=t))
    with staged_output(out, "queue_score.json", check=check) as stage:  # whole or not at all (Ctrl-C while writing)
        written = {name: out / Path(p).name for name, p in score.save(stage.dir(), report=not args.no_report).items()}
        stage.commit()
    if not args.quiet:
        score.print()
    truth = "reference fills (level-N repairs approximate)" if score.info.get("level_n_repairs") else "true fills"
    print(f"{len(score.models)} models scored against {score.truth.fills:,} {truth} -> {out} "
          f"({', '.join(sorted(written))})")
    return 0
