"""``mmsim sweep GRID -o OUT``: a resumable grid of runs on local processes or a Dask cluster."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import ConfigError, DataError, StrategyError
from ._common import Written, add_force, add_output, add_quiet, integer, interactive
from ._sigint import settled, terminated
from ._staging import staged_output

__all__ = ["add_parser", "cmd"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``sweep`` to the subparsers."""
    p = sub.add_parser(
        "sweep", parents=[parent],
        help="run a grid of configs (e.g. a latency study) on local processes or a Dask cluster",
        description="Run every point of GRID (a base run config and the keys to vary), appending each "
                    "finished point to OUT/results.jsonl at once; rerunning the same command skips the "
                    "finished points. The points of one event store are replayed together, in passes of up "
                    "to 16 (mmsim.run_many). Writes results.csv, PNG plots and sweep.html into OUT.")
    p.add_argument("grid", type=Path, help="grid file (YAML)")
    add_output(p, "output directory (default: the grid's `output`); one with results resumes them")
    p.add_argument("--workers", action=Written, read=integer("a non-negative integer"),
                   help="local worker processes (default: the grid's `workers`, else the CPU count); 0 runs in "
                        "this process")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on this Dask distributed scheduler (needs `pip install mmsim[dask]`)")
    p.add_argument("--pass-size", action=Written, read=integer("a positive integer"), metavar="N",
                   help="most points of one event store replayed in one pass (default 16); 1 replays each alone")
    p.add_argument("--timeout", metavar="DURATION", action=Written,
                   help="most wall time a run may take on a local worker or a Dask cluster (e.g. 10min; default: the grid's "
                        "`timeout`, else none): past it the worker is killed and the point recorded as failed "
                        "(PointTimeout); the other points go on")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the points recorded as failed (errors, dead workers, timeouts)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots (the HTML has the table only)")
    p.add_argument("--point", metavar="ID",
                   help="instead of the sweep, run the one point whose id starts with ID (the table's `point` "
                        "column) and write its full report and its resolved config.yaml to OUT/points/<id>; "
                        "`mmsim run OUT/points/<id>/config.yaml -o DIR` re-runs it")
    add_force(p, "start afresh: replace the results already in OUT instead of resuming them (with --point: "
                 "replace that point's directory)")
    add_quiet(p, "no progress bar or table")
    p.set_defaults(func=cmd)
    return p


def cmd(args: argparse.Namespace) -> int:
    """``mmsim sweep``: 0 when every point ran, 1 when some failed, 130 on Ctrl-C."""
    from ..sweep import RESULTS_FILE, load_grid, read_results, rich_table, run_sweep, write_report
    from ..sweep.grid import parse_timeout

    grid = load_grid(args.grid)
    out = args.output if args.output is not None else (Path(grid.output) if grid.output else None)
    if out is None:
        raise ConfigError(f"{args.grid}: no output directory: pass -o OUT or set `output:` in the grid")
    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers: expected a non-negative integer, got {args.workers}")
    if args.pass_size is not None and args.pass_size < 1:
        raise ConfigError(f"--pass-size: expected a positive integer, got {args.pass_size}")
    timeout = (parse_timeout(args.timeout, "--timeout", (getattr(args, "_written", None) or {}).get("timeout"))
               if args.timeout is not None else grid.timeout)
    from ..sweep.results import check_output_dir
    from ._common import refuse_looping_link

    refuse_looping_link(Path(out))  # -o LINK looping: a usage error naming it (outdir18)
    check_output_dir(Path(out))  # a folder that is not a sweep's output: refused, even with --force
    if args.point is not None:
        return _drill(args, grid, Path(out))
    if timeout is not None and args.workers == 0 and not args.scheduler:
        from ..config import format_ns

        print(f"note: timeout {format_ns(timeout)} is not enforced with --workers 0 (in this process); a run that "
              "never returns holds the sweep (docs/sweeps.md, \"Exactly once per point\")", file=sys.stderr)
    results = Path(out) / RESULTS_FILE
    before = {} if args.force else read_results(results)  # a line that is not a record stops here, named
    try:
        rows = run_sweep(grid, out, workers=args.workers, scheduler=args.scheduler, retry_failed=args.retry_failed,
                         progress=not args.quiet and interactive(), fresh=args.force, pass_size=args.pass_size,
                         timeout=timeout)
        # Its files (results.csv, the plots, sweep.html) each whole, or the earlier ones as they were: written in a
        # hidden folder beside OUT, then put into OUT one by one, Ctrl-C held back (a Ctrl-C or an error while they
        # were written left a results.csv cut short in place of the earlier one).
        with staged_output(Path(out), RESULTS_FILE) as stage:
            write_report(rows, grid, stage.dir(), plots=not args.no_plots)
            stage.commit(merge=True)
    except KeyboardInterrupt:
        # A further Ctrl-C is held back from the first one's moment (mmsim.cli._sigint): this line is said whole.
        settled()
        n = len(read_results(Path(out) / RESULTS_FILE))
        # With --force, the same command would start afresh and delete what is saved.
        again = "the same command without --force" if args.force else "the same command"
        # SIGTERM (timeout, Slurm, systemd) took Ctrl-C's path: said as every command says it (exit status 143).
        what = "terminated (SIGTERM)" if terminated() else "interrupted"
        print(f"mmsim sweep: {what}; {n} of {len(grid.points)} points are saved in {Path(out) / RESULTS_FILE}; "
              f"run {again} to resume", file=sys.stderr)
        return 130
    settled()  # the results and the report are written: a Ctrl-C from now on changes nothing
    n_fail = sum(1 for r in rows if r["status"] != "ok")
    if not args.quiet:
        from rich.console import Console

        console = Console()
        console.print(rich_table(rows, grid, width=console.width))
    after = read_results(results)
    ids = {p.id for p in grid.points}
    now = {r["id"] for r in rows if after.get(r["id"]) != before.get(r["id"])}  # a new record: run now
    ran = len(now)
    recoded = _code_changed(rows, before, after)
    redata = _code_changed(rows, before, after, "events_digest")
    remeant = _code_changed(rows, before, after, "store_meaning")
    print(f"{len(rows)} points ({n_fail} failed), {events_summary(rows, now)} -> {results}, "
          f"{Path(out) / 'sweep.html'}")
    why = [f"{recoded} of them: strategy code changed"] * bool(recoded) + [f"{redata} of them: store events "
                                                                           "changed"] * bool(redata) \
        + [f"{remeant} of them: store meaning keys changed"] * bool(remeant)
    because = f" ({'; '.join(why)})" if why else ""
    print(f"{ran} run now{because}, "
          f"{len(rows) - ran} reused from {results.name}"
          + ("" if len(rows) - ran == 0 else " (same point ids: same config and store path, and the same strategy "
                                             "code and store events, read with the same meta.json meaning keys; "
                                             "--force runs all again)"))
    others = sum(1 for k in after if k not in ids)
    if others:
        print(f"note: {results} also holds {others} point(s) of another grid (left as they are; "
              "this sweep's tables and plots show only its own points)")
    return 1 if n_fail else 0


def _code_changed(rows: Any, before: Any, after: Any, field: str = "strategy_code") -> int:
    """How many of the points run now had a record whose strategy's code (``field`` "strategy_code") or whose
    store's events (``"events_digest"``) or the keys that say what they mean (``"store_meaning"``) are not those
    they ran with now.

    Said in the summary line: the stderr note about it (:func:`mmsim.sweep.code.changed_code`,
    :func:`mmsim.sweep.resume.changed_data`) comes before the progress bar and the table, and a long table
    pushes it off the screen. A record that holds none of them (an earlier mmsim's; a point that failed before its
    store's events were verified records no ``events_digest``: sweep18) is not counted.
    """
    n = 0
    for r in rows:
        old, new = before.get(r["id"]), after.get(r["id"])
        if old is None or new is None or old == new or old.get(field) is None or new.get(field) is None:
            continue
        n += old[field] != new.get(field)
    return n


def events_summary(rows: Sequence[Mapping[str, Any]], now: Any) -> str:
    """The summary line's events: :func:`events_replayed` when every point ran in this invocation; with points
    reused from the results file (their ids not in ``now``), what this invocation replayed, then apart what the
    reused points' records say they replayed when they ran: ``0 events replayed now (every point reused; the 4
    reused points replayed 543,320 events when they ran)``. It read ``543,320 events replayed (135,830 × 4
    points)`` beside ``0 run now, 4 reused``, as if the points had been replayed again (newcomer17)."""
    reused = [r for r in rows if r["id"] not in now]
    if not reused:
        return events_replayed(rows)
    fresh = [r for r in rows if r["id"] in now]
    n, total = len(reused), sum(int(r.get("n_events") or 0) for r in reused)
    them = f"the {n} reused points replayed {total:,} events when they ran" if n != 1 else \
        f"the 1 reused point replayed {total:,} events when it ran"
    if not fresh:
        return f"0 events replayed now (every point reused; {them})"
    return f"{events_replayed(fresh, ' now')}; {them}"


def events_replayed(rows: Sequence[Mapping[str, Any]], when: str = "") -> str:
    """What the sweep's points replayed, each point its own replay: ``1,103,886 events replayed (78,849 × 14
    points)``; ``(77,100 to 78,849 a point, 3 points)`` when they differ. The total is what the progress bar's
    events/s divides by the wall time (docs/sweeps.md). A failed point's record counts the events it replayed
    before it stopped (its error's partial result; none when it failed before replaying): with failures the line
    says what each part counts, ``69,887 events replayed: 69,521 by the 1 point that finished, 366 by the 1 failed
    point before it stopped``, or ``69,521 events replayed by the 1 point that finished`` when the failed ones
    replayed nothing known. ``when`` follows "replayed" (``" now"``: :func:`events_summary`)."""
    def plural(n: int, word: str = "point") -> str:
        return f"{n} {word}{'s' if n != 1 else ''}"

    done_n = [int(r.get("n_events") or 0) for r in rows if r.get("status") != "error"]
    fail_n = [int(r.get("n_events") or 0) for r in rows if r.get("status") == "error"]
    some = [n for n in done_n if n]
    each = ("" if len(some) < 2 else f" ({some[0]:,} × {len(some)} points)" if min(some) == max(some)
            else f" ({min(some):,} to {max(some):,} a point, {len(some)} points)")
    total, stopped = sum(done_n) + sum(fail_n), sum(fail_n)
    if not fail_n:
        return f"{total:,} events replayed{when}{each}"
    done = sum(1 for r in rows if r.get("status") == "ok")
    finished = f"by the {plural(done)} that finished{each}"
    if not stopped:
        return f"{total:,} events replayed{when} " + (finished if done else "(no point finished)")
    failed = f"by the {len(fail_n)} failed point{'s' if len(fail_n) != 1 else ''} before " + (
        "it stopped" if len(fail_n) == 1 else "they stopped")
    if not done:
        return f"{total:,} events replayed{when} {failed} (no point finished)"
    return f"{total:,} events replayed{when}: {sum(done_n):,} {finished}, {stopped:,} {failed}"


def _drill(args: argparse.Namespace, grid: Any, out: Path) -> int:
    """``mmsim sweep GRID --point ID``: one point, its full report and config.yaml in OUT/points/<id>."""
    from ..sweep import RESULTS_FILE, read_results, run_point, select_point
    from ..sweep.grid import _describe
    from ..sweep.points import POINT_CONFIG, check_points, check_stores, differences
    from ._common import ensure_new_output, progress_bar
    from ._staging import staged_output

    point = select_point(grid, args.point)
    check_stores([point])  # an events.npy edited under its digest: mmsim run's refusal, exit 1 (newcomer18)
    check_points([point], len(grid.points), grid)
    target = out / "points" / point.id
    # Replaced only when there is a result to write (complete or partial), as `mmsim run` does.
    check = functools.partial(ensure_new_output, target, args.force, marker="result.json", what="point directory",
                              remove=False)
    check()
    with staged_output(target, "result.json", check=check) as stage:  # whole or not at all (Ctrl-C while writing)
        try:
            with progress_bar(f"point {point.id[:8]}", args.quiet) as update:
                done = run_point(grid, point, target, plots=not args.no_plots, progress=update, write_in=stage.dir)
            stage.commit()
        except (StrategyError, DataError) as exc:
            part = getattr(exc, "partial", None)
            if part is not None:
                stage.commit()  # run_point wrote the partial result and its report
                print(f"mmsim sweep: the point stopped; its partial result up to the stop ({len(part.fills):,} "
                      f"fills) is in {target} (result.json: \"partial\": true)", file=sys.stderr)
            raise
    if not args.quiet:
        from rich.console import Console

        done["report"].print(Console())
    recorded = read_results(out / RESULTS_FILE).get(point.id)
    if recorded is not None and recorded.get("status") == "ok":
        diff = differences(done["metrics"], recorded.get("metrics") or {})
        if diff:
            from ..sweep.code import CODE_FIELD, current_codes
            from ..sweep.resume import DATA_FIELD, MEANING_FIELD, changed_keys, current_digests, current_meanings

            was, now = recorded.get(CODE_FIELD), current_codes([point]).get(point.config.strategy.path)
            store = str(point.config.data or "")
            events_now = current_digests([point]).get(store)
            keys = changed_keys(recorded.get(MEANING_FIELD), current_meanings([point]).get(store))
            why = ("the strategy's code changed since the sweep ran (the sweep runs its points again)"
                   if was is not None and now is not None and was != now else
                   "the event store's events changed since the sweep ran (its meta.json events_digest; the sweep "
                   "runs its points again)" if events_now is not None and recorded.get(DATA_FIELD) not in
                   (None, events_now) else
                   f"the event store's meta.json {', '.join(keys)} changed since the sweep ran (the sweep runs its "
                   "points again)" if keys else
                   "the event store changed since the sweep ran, or code the strategy's fingerprint does not cover "
                   "(docs/sweeps.md, \"The strategy's code\")" if was is not None else
                   "the event store or the strategy file changed since the sweep ran")
            print(f"note: {len(diff)} figures differ from the sweep's record of this point in {out / RESULTS_FILE} "
                  f"({', '.join(diff[:3])}{', ...' if len(diff) > 3 else ''}): {why}", file=sys.stderr)
    result = done["result"]
    print(f"point {point.id} ({_describe(point.overrides)}): {result.n_events:,} events, {len(result.fills):,} "
          f"fills -> {target} (report.html, {POINT_CONFIG}); re-run it with: mmsim run {target / POINT_CONFIG} "
          "-o DIR")
    return 0
