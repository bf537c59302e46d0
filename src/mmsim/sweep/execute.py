"""Running a sweep's tasks on local worker processes or a Dask cluster, resumably: :func:`run_sweep`.

multiprocessing and Dask load when a sweep runs, not at ``import mmsim``.
"""

from __future__ import annotations

import dataclasses

import datetime as _dt
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..config._units import integer_argument
from ..errors import ConfigError, MmsimError
from . import passes
from .code import CODE_FIELD
from .grid import _as_grid, parse_timeout
from ._dask import execute_dask
from .passes import default_point, plan_tasks, subtask, task_runs
from .points import check_points, check_stores
from .results import (RESULTS_FILE, _DirLock, _flatten, _ResultsWriter, check_output_dir, check_reused, read_records,
                      read_results)
from .resume import DATA_FIELD, MEANING_FIELD, current_meanings, resume

__all__ = ["default_point", "run_sweep"]

# --------------------------------------------------------------------------- worker processes


def _worker_main(conn: Any, parent_pid: int) -> None:
    """A local sweep worker: run the tasks ``conn`` sends, one at a time, sending each record as it is done.

    Messages to the parent: ``("ready", pid)`` once started, ``("rec", record)`` per
    point, ``("done", None)`` at the end of a task, ``("bug", text)`` if a task
    raised (a bug in mmsim: its unreported points are recorded failed with it).
    """
    # Ctrl-C reaches the whole process group; only the parent decides what to do
    # (record what is done, stop the rest), so workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed with SIGKILL cannot stop its workers; they notice the orphaning
    # and exit instead of running on. (Under forkserver our direct parent is the fork
    # server, which exits when the sweep's process dies: a change of parent means orphaned.)
    first_ppid = os.getppid()
    # The watch below needs the GIL, which a run stuck in C code holding it (a numba rule's
    # loop, a runaway regex) never gives up; on Linux the kernel kills us when our parent
    # dies, whatever we are doing: the fork server, which the kernel kills when the sweep's
    # process dies (mmsim.sweep._forkserver), or the sweep's process itself under spawn.
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watch alone
            pass
        if os.getppid() != first_ppid:  # pragma: no cover - the parent died before prctl
            os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid was reused by another user's process
                os._exit(1)
            if os.getppid() != first_ppid:
                os._exit(1)

    threading.Thread(target=watch, name="mmsim-sweep-orphan-watch", daemon=True).start()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            for rec in passes.iter_task(task):
                conn.send(("rec", rec))  # synchronous: on its way to the parent before the next point
        except Exception:  # pragma: no cover - iter_task records every point's error itself
            import traceback

            conn.send(("bug", traceback.format_exc()))
        conn.send(("done", None))


def _mp_context() -> Any:
    # forkserver: workers fork from a clean server that has imported mmsim once
    # (fast start, none of the parent's threads); spawn where fork is unavailable.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # The fork server dies with this process, and the workers with it (mmsim.sweep._forkserver).
        ctx.set_forkserver_preload(["mmsim.sweep.execute", "mmsim.sweep._forkserver"])
        return ctx
    return multiprocessing.get_context("spawn")


def _how(exitcode: int | None) -> str:
    if exitcode is None:
        return "died"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by signal {name} ({-exitcode})"
    return f"exit code {exitcode}"


def _failed_record(p: Mapping[str, Any], etype: str, message: str, pid: int | None) -> dict[str, Any]:
    """The record of a point that failed outside its own code: its worker died or overran the timeout."""
    rec = passes._record(p)
    rec.update(status="error", metrics={}, n_events=None, error={"type": etype, "message": message, "traceback": ""},
               elapsed_s=None, host=socket.gethostname(), pid=pid,
               finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"))
    return rec


class _Worker:
    """One local worker process, its pipe, and the task it runs."""

    def __init__(self, ctx: Any) -> None:
        here, there = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(there, os.getpid()), name="mmsim-sweep-worker",
                                daemon=True)
        self.proc.start()
        there.close()
        self.conn = here
        self.ready = False
        self.task: dict[str, Any] | None = None
        self.left: list[dict[str, Any]] = []  # the task's points not reported yet
        self.deadline: float | None = None

    def stop(self) -> None:
        """Kill the process at once (it may be stuck in native code) and reap it."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(10)
        self.conn.close()


def _execute_local(tasks: list[dict[str, Any]], workers: int, timeout_ns: int | None = None) -> Iterator[dict[str, Any]]:
    """Run the tasks on ``workers`` processes, yielding each record as it comes.

    A worker that dies (a nonzero exit, ``os._exit``, a segfault, SIGKILL from the
    OOM killer) or overruns its task's time (``timeout_ns`` per run, docs/sweeps.md)
    is replaced: the points of its task that it had not reported run again, each
    alone, so that the one that dies or hangs alone is found and recorded as failed
    (``WorkerDied`` or ``PointTimeout``), and the others finish. A point that was
    already alone is recorded at once.
    """
    if workers == 0:
        for t in tasks:
            yield from passes.iter_task(t)
        return
    ctx = _mp_context()
    todo: list[dict[str, Any]] = list(tasks)
    got: dict[str, dict[str, Any]] = {}  # id -> record, this run
    pool: list[_Worker] = []
    try:
        while todo or any(w.task is not None for w in pool):
            # Start workers as the tasks to hand out need them (at most `workers`), then hand them out.
            idle = sum(w.task is None for w in pool)
            while len(pool) < workers and idle < len(todo):
                pool.append(_Worker(ctx))
                idle += 1
            for w in pool:
                if w.task is None and w.ready:
                    nxt = _ready_task(todo, got)
                    if nxt is None:
                        break
                    _assign(w, nxt, timeout_ns)
            yield from _step(pool, todo, got, timeout_ns)
    finally:
        for w in pool:
            if w.task is None and w.proc.is_alive():
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        for w in pool:
            if w.task is not None:
                w.stop()  # interrupted: stop now rather than finish the points in flight
            else:
                w.proc.join(5)
                w.stop()


def _ready_task(todo: list[dict[str, Any]], got: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The next task to run (None: those left wait for a baseline point being isolated too)."""
    for i, t in enumerate(todo):
        wait = t.get("after") or set()
        if all(b in got for b in wait):
            del todo[i]
            if wait:
                # A baseline run that failed alone is not replayed again: the point says its baseline failed.
                failed = {b: got[b] for b in wait if got[b].get("status") != "ok"}
                t = {**t, "extra": [r for r in t.get("extra") or () if r["id"] not in failed],
                     "failed_baselines": {b: f"{r['error']['type']}: {r['error']['message']}"
                                          for b, r in failed.items()}}
            return t
    return None


def _assign(w: _Worker, task: dict[str, Any], timeout_ns: int | None) -> None:
    w.task, w.left = task, list(task["points"])
    # The pass replays all its runs before the first point is reported: each run gets the
    # timeout, and the first point's report one more.
    w.deadline = None if timeout_ns is None else time.monotonic() + timeout_ns / 1e9 * (task_runs(task) + 1)
    w.conn.send(task)


def _step(pool: list[_Worker], todo: list[dict[str, Any]], got: dict[str, dict[str, Any]],
          timeout_ns: int | None) -> Iterator[dict[str, Any]]:
    """Wait for the workers once; yield the records that came, and deal with deaths and overruns."""
    from multiprocessing.connection import wait

    now = time.monotonic()
    deadlines = [w.deadline for w in pool if w.task is not None and w.deadline is not None]
    pause = 0.5 if not deadlines else max(0.0, min(min(deadlines) - now, 0.5))
    ready = wait([w.conn for w in pool] + [w.proc.sentinel for w in pool], timeout=pause)
    for w in list(pool):
        if w.conn in ready or w.proc.sentinel in ready:
            yield from _read(w, got, timeout_ns)
        if not w.proc.is_alive() or w.conn.closed:
            yield from _read(w, got, timeout_ns)
            yield from _lost(w, pool, todo, got, "WorkerDied", timeout_ns)
        elif w.task is not None and w.deadline is not None and time.monotonic() > w.deadline:
            yield from _read(w, got, timeout_ns)  # what came in the meantime counts
            if w.task is not None and w.deadline is not None and time.monotonic() > w.deadline:
                yield from _lost(w, pool, todo, got, "PointTimeout", timeout_ns)


def _read(w: _Worker, got: dict[str, dict[str, Any]], timeout_ns: int | None) -> Iterator[dict[str, Any]]:
    """Every message the worker has sent so far (all of them when it is dead: the pipe keeps what was sent)."""
    while not w.conn.closed:
        try:
            if not w.conn.poll():
                return
            kind, body = w.conn.recv()
        except (EOFError, OSError):  # dead, maybe in the middle of a message: that point runs again
            w.conn.close()
            return
        if kind == "ready":
            w.ready = True
        elif kind == "rec":
            w.left = [p for p in w.left if p["id"] != body["id"]]
            got[body["id"]] = body
            if timeout_ns is not None:
                w.deadline = time.monotonic() + timeout_ns / 1e9  # each next point's report has the timeout
            yield body
        elif kind == "bug":  # pragma: no cover - iter_task records every point's error itself
            for p in w.left:
                rec = _failed_record(p, "MmsimError", f"the sweep worker failed: {body.strip().splitlines()[-1]}",
                                     w.proc.pid)
                got[rec["id"]] = rec
                yield rec
            w.left = []
        elif kind == "done":
            w.task, w.left, w.deadline = None, [], None


def _lost(w: _Worker, pool: list[_Worker], todo: list[dict[str, Any]], got: dict[str, dict[str, Any]],
          etype: str, timeout_ns: int | None) -> Iterator[dict[str, Any]]:
    """Replace a worker that died or overran; record or isolate the points its task had not reported."""
    from ..config import format_ns

    task, left, pid, was_ready = w.task, list(w.left), w.proc.pid, w.ready
    w.stop()
    exitcode = w.proc.exitcode
    pool.remove(w)
    if not was_ready and task is None:
        raise MmsimError(f"a sweep worker process could not start ({_how(exitcode)}); no point was lost, run the "
                         "same command again")
    if task is None or not left:
        return
    if etype == "PointTimeout":
        t, n = format_ns(int(timeout_ns or 0)), task_runs(task)
        msg = (f"the point did not finish within timeout {t} (a pass of {n} run(s) has {n + 1} x {t} until its first "
               f"report); its worker process (pid {pid}) was killed")
    else:
        msg = f"the worker process running this point (pid {pid}) died: {_how(exitcode)}"
    if task.get("alone") or len(task["points"]) == 1:
        # The point ran alone (with the baseline run it needs, settled before): it is the cause.
        for p in left:
            rec = _failed_record(p, etype, msg, pid)
            got[rec["id"]] = rec
            yield rec
        return
    # One of the points of this pass caused it: run each alone to find which. A point whose
    # baseline point is still to be reported (being isolated too, or in another worker's
    # pass) waits for it: a baseline that hangs or kills alone is not replayed again.
    pending = {p["id"] for p in left} | {q["id"] for queued in todo for q in queued["points"]} | {
        q["id"] for o in pool for q in o.left}
    for p in left:
        alone = subtask(task, [p], alone=True)
        b = p.get("baseline")
        if b is not None and b != p["id"] and (b in got or b in pending):
            alone["after"] = {b}
        todo.append(alone)


# --------------------------------------------------------------------------- the sweep


def run_sweep(grid_or_path: Any, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              scheduler: str | None = None, *, retry_failed: bool = False, progress: bool = False, fresh: bool = False,
              point_fn: Callable[[RunConfig], Mapping[str, Any]] | None = None,
              pass_size: int | None = None, timeout: Any = None) -> list[dict[str, Any]]:
    """Run every point of a grid and return one flat record per point, in grid order.

    Parameters
    ----------
    grid_or_path : path, mapping or Grid
        A grid file, a grid mapping (as parsed from YAML) or a :class:`Grid`.
    out : path, optional
        Output directory; results append to ``out/results.jsonl`` as points
        finish, and points already there are skipped (unless their strategy's code
        changed since: :mod:`mmsim.sweep.code`, said on stderr). Default: the grid's
        ``output``; with neither, results are kept in memory only.
    workers : int, optional
        Local worker processes (default: the grid's ``workers``, else the CPU
        count, at most the number of points to run). 0 runs the points in this
        process (for debugging). A whole float is that integer (``2.0``), as for
        every integer keyword (docs/config.md); ``2.5`` and ``True`` are refused.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): run the
        points on its cluster instead. The workers must have mmsim installed and
        reach the event store at the same path.
    retry_failed : bool
        Run again the points recorded as failed.
    fresh : bool
        Start afresh: the results file in ``out`` is replaced, not resumed
        (``mmsim sweep --force``).
    progress : bool
        Show a progress bar (points done, failed, events/s).
    point_fn : callable, optional
        ``point_fn(run_config) -> dict`` of flat metrics (given the point's
        :class:`~mmsim.RunConfig`), run in the workers for each point alone
        instead of the shared passes (it must be importable there: a module-level
        function). A key ``n_events`` is taken as the events replayed.
        ``point_fn=default_point`` runs each point alone, with the same figures.
    pass_size : int, optional
        Most points replayed in one pass (:func:`mmsim.run_many`), default
        :data:`~mmsim.sweep.passes.MAX_PASS` (16); 1 replays each point alone.
        The points of one event store are cut into tasks of near-equal size so
        that every worker gets about as many (docs/sweeps.md, "Where points run").
    timeout : duration, optional
        Most wall time a run may take on a local worker process or Dask (``"10min"``, int ns;
        default: the grid's ``timeout``, else none). A pass of ``k`` runs must report
        its first point within ``(k + 1) x timeout`` of its start, and each next point
        within ``timeout`` of the one before; past that its worker process is killed
        and its unreported points run again each alone, where a point that overruns
        is recorded as failed (``PointTimeout``). On Dask a task of ``k`` runs and ``n``
        points has ``(k + n) x timeout`` in all, then is cancelled and its worker
        restarted (:mod:`mmsim.sweep._dask`). Not enforced with ``workers=0``
        (docs/sweeps.md, "Exactly once per point").

    Returns
    -------
    list of dict
        Per point: ``id``, ``index``, ``repeat``, ``seed``, ``status``, one key per
        overridden config key, one per metric, ``n_events``, ``elapsed_s``,
        ``error_type``, ``error_message``; with a baseline in the grid also
        ``baseline``, ``verdict`` and ``vs_baseline.*``
        (:func:`mmsim.sweep.baseline.columns`). :func:`to_array` turns it into a
        structured array.

    Raises
    ------
    ConfigError
        A bad grid (naming the key and line); a ``workers`` or ``pass_size`` that is not an integer
        in its range (``workers: expected a non-negative integer, got 2.5``); a ``point_fn`` with a grid that has
        a baseline; or, with the default ``point_fn``,
        a strategy that does not load with its parameters, a missing event store
        or a ``recorded`` feed on a store without receive times, found before
        any point runs (:func:`~mmsim.sweep.points.check_points`: one error
        naming the points concerned).
    MmsimError
        A line of ``out/results.jsonl`` that is not a sweep record (naming the file and
        line: :func:`~mmsim.sweep.results.read_results`); Dask missing or unreachable; a
        local worker process that dies before it could start. A worker that dies in a point (``os._exit``, a segfault,
        SIGKILL from the OOM killer) records the point that killed it as failed
        (``WorkerDied``) and the sweep goes on (docs/sweeps.md, "Exactly once per point").
    KeyboardInterrupt
        On Ctrl-C, after the points in flight are stopped (finished ones are saved).
    """
    # Integer keywords as a grid's integer keys (workers=2.0 is 2; 2.5 and True are refused), before anything is read.
    if workers is not None:
        workers = integer_argument(workers, "workers: expected a non-negative integer", low=0)
    if pass_size is not None:
        pass_size = integer_argument(pass_size, "pass_size: expected a positive integer", low=1)
    grid = _as_grid(grid_or_path)
    if grid.baseline is not None:  # a Grid read before a store was written again: its pairs on two stores anew
        grid = dataclasses.replace(grid, baseline=grid.baseline.rechecked(grid.points))
    plan = grid.baseline
    if plan is not None and point_fn is not None:
        raise ConfigError(f"{grid.source}: baseline: a custom point_fn gives no runs to compare; drop the grid's "
                          "`baseline` or the point_fn")
    out_dir = Path(out) if out is not None else (Path(grid.output) if grid.output else None)
    if out_dir is not None:
        check_output_dir(out_dir)  # someone's folder is not a sweep's, --force (fresh) or not
    # Held from before the results are read until the last is written: a second sweep into the
    # same directory stops at once instead of running (and recording) every point again. A
    # directory that does not exist yet is locked when it is made, after the checks.
    locks = [_DirLock(out_dir)] if out_dir is not None and out_dir.is_dir() else []
    try:
        return _run_sweep(grid, out_dir, workers, scheduler, retry_failed, progress, fresh, point_fn, pass_size,
                          timeout, locks)
    finally:
        for lock in locks:
            lock.release()


def _run_sweep(grid: Any, out_dir: Path | None, workers: int | None, scheduler: str | None, retry_failed: bool,
               progress: bool, fresh: bool, point_fn: Any, pass_size: int | None,
               timeout: Any, locks: list[Any]) -> list[dict[str, Any]]:
    plan = grid.baseline
    # Every store's events against its digest, before a point is reused (its record claims the same store events)
    # or run, or --force deletes the results: mmsim run's refusal of an events.npy edited under it (newcomer18).
    check_stores(grid.points)
    done, lines = read_records(out_dir / RESULTS_FILE) if out_dir is not None and not fresh else ({}, {})
    done, todo, codes, digests = resume(grid, done, retry_failed, str(out_dir / RESULTS_FILE) if out_dir else "")
    if out_dir is not None and not fresh:  # what a reused record shows, held to its grid, store and baseline (fix28a)
        rerun = {p.id for p in todo}
        check_reused(out_dir / RESULTS_FILE, grid, {k: v for k, v in done.items() if k not in rerun}, lines)
    if point_fn is None and todo:
        # What would fail every point alike fails once, here, before anything runs or is written.
        check_points(todo, len(grid.points), grid)
    if fresh and out_dir is not None and (out_dir / RESULTS_FILE).exists():
        (out_dir / RESULTS_FILE).unlink()
    if workers is None:
        workers = grid.workers if grid.workers is not None else (os.cpu_count() or 1)
    timeout_ns = parse_timeout(timeout, "timeout") if timeout is not None else grid.timeout
    by_id = {p.id: p for p in grid.points}

    def make_tasks(slots: int) -> list[dict[str, Any]]:
        return plan_tasks(todo, slots, pass_size=pass_size, plan=plan, by_id=by_id, point_fn=point_fn,
                          compare=plan.settings if plan is not None else None)

    todo_ids = {p.id for p in todo}
    tasks = make_tasks(min(workers, len(todo)) or 1) if not scheduler else []
    workers = min(workers, len(tasks)) if workers else 0

    if out_dir is not None and todo and not locks:
        locks.append(_DirLock(out_dir))
        # Made by this sweep after its checks: another sweep that made it meanwhile and finished
        # would have recorded points this one is about to run again.
        if any(k in todo_ids for k in read_results(out_dir / RESULTS_FILE)):
            raise MmsimError(f"{out_dir}: another sweep wrote there while this one started; run the same command "
                             "again to resume")
    writer = _ResultsWriter(out_dir / RESULTS_FILE) if (out_dir is not None and todo) else None
    failed_before = sum(1 for k, v in done.items() if k not in todo_ids and v.get("status") != "ok")
    bar = _Progress(len(grid.points), len(grid.points) - len(todo), failed_before, enabled=progress)
    try:
        with bar:
            if todo:
                stream = (execute_dask(make_tasks, scheduler, timeout_ns) if scheduler
                          else _execute_local(tasks, workers, timeout_ns))
                try:
                    for rec in stream:
                        rec[CODE_FIELD] = codes.get(by_id[rec["id"]].config.strategy.path)
                        if DATA_FIELD not in rec:  # not run by the sweep's passes: a custom point_fn, a lost worker
                            rec[DATA_FIELD] = _unverified_digest(rec, digests, by_id[rec["id"]])
                        if MEANING_FIELD not in rec:  # the same: its store's keys as the sweep read them now
                            rec[MEANING_FIELD] = (current_meanings([by_id[rec["id"]]]).get(
                                str(by_id[rec["id"]].config.data or "")) if rec.get("status") == "ok" else None)
                        if writer is not None:
                            writer.append(rec)
                        done[rec["id"]] = rec
                        bar.advance(rec)
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()
    finally:
        if writer is not None:
            writer.close()
    return [_flatten(done[p.id], grid, p) for p in grid.points if p.id in done]


def _unverified_digest(rec: Mapping[str, Any], digests: Mapping[str, str | None], point: Any) -> str | None:
    """The ``events_digest`` of a record whose events no sweep worker verified: a custom ``point_fn``'s finished
    point has its store's meta.json's digest when the sweep started (what it opened is its own), any failed one
    none (a worker lost, a point refused before its events were read: it claims no events)."""
    if rec.get("status") != "ok":
        return None
    return digests.get(str(point.config.data or ""))


class _Progress:
    """Rich progress bar: points done of total, failed, and events/s over the whole sweep."""

    def __init__(self, total: int, already: int, failed: int, enabled: bool) -> None:
        self.total, self.done, self.failed, self.enabled = total, already, failed, enabled
        self.events = 0
        self._prog: Any = None

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn

            self._prog = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("points  [red]{task.fields[failed]} failed"),
                                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
            self._prog.__enter__()
            self._task = self._prog.add_task("sweep", total=self.total, completed=self.done,
                                             failed=self.failed, rate="")
            self._t0 = time.perf_counter()
        return self

    def advance(self, rec: Mapping[str, Any]) -> None:
        self.done += 1
        if rec.get("status") != "ok":
            self.failed += 1
        self.events += int(rec.get("n_events") or 0)
        if self._prog is not None:
            dt = time.perf_counter() - self._t0
            rate = f"{self.events / dt / 1e6:.2f} M events/s" if dt > 0 and self.events else ""
            self._prog.update(self._task, completed=self.done, failed=self.failed, rate=rate)

    def __exit__(self, *exc: Any) -> None:
        if self._prog is not None:
            self._prog.__exit__(*exc)


