"""Running a sweep's tasks on local worker processes or a Dask cluster, resumably: :func:`run_sweep`.

multiprocessing and Dask load when a sweep runs, not at ``import mmsim``.
"""

from __future__ import annotations

import datetime as _dt
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..errors import ConfigError, MmsimError
from . import passes
from .grid import _as_grid, _is_int
from .labels import _describe
from .passes import default_point, plan_tasks, run_task
from .points import check_points
from .results import RESULTS_FILE, _flatten, _ResultsWriter, read_results

__all__ = ["WorkerKilledError", "default_point", "run_sweep"]

# --------------------------------------------------------------------------- worker processes


def _worker_init(parent_pid: int, queue: Any = None) -> None:
    # Each point's record goes to the parent through `queue` as soon as it is done
    # (a task of many points returns only when its last point is done).
    passes._QUEUE = queue
    # Ctrl-C reaches the whole process group; only the parent decides what to do
    # (record what is done, stop the rest), so workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # A parent killed with SIGKILL cannot stop its pool; workers notice the
    # orphaning and exit instead of waiting forever on a queue nobody feeds.
    # (Under forkserver our direct parent is the fork server, which exits when
    # the sweep's process dies, so a change of parent also means orphaned.)
    first_ppid = os.getppid()

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


# --------------------------------------------------------------------------- executors


def _mp_context() -> Any:
    # forkserver: workers fork from a clean server that has imported mmsim once
    # (fast start, none of the parent's threads); spawn where fork is unavailable.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["mmsim.sweep.execute"])
        return ctx
    return multiprocessing.get_context("spawn")


class WorkerKilledError(MmsimError):
    """A local sweep worker was killed from outside (SIGKILL, SIGTERM): the sweep stops, resumable.

    Attributes
    ----------
    points : list of str
        ``id (overrides)`` of each point the worker was running and had not reported.
    how : str
        What happened (``killed by signal SIGKILL``).
    """

    def __init__(self, points: list[str], how: str) -> None:
        super().__init__("a sweep worker process died (killed or crashed); the finished points are saved, run the "
                         "same command again to resume")
        self.points, self.how = points, how


#: Deaths that come from outside the point (a user, the OOM killer, a shutdown): stop the sweep.
_EXTERNAL = (-signal.SIGKILL, -signal.SIGTERM)


def _how(exitcode: int) -> str:
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by signal {name}"
    return f"exit code {exitcode}"


def _subtask(task: Mapping[str, Any], pts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """``task`` cut down to ``pts``, with the baseline runs they need (reported points of the task included)."""
    ids = {p["id"] for p in pts}
    need = {p.get("baseline") for p in pts} - ids - {None}
    extra = [r for r in list(task.get("extra") or ()) + list(task["points"]) if r["id"] in need]
    extra = list({r["id"]: r for r in extra}.values())
    return {**task, "points": pts, "extra": extra}


def _died(p: Mapping[str, Any], pid: int, how: str) -> dict[str, Any]:
    """The record of a point whose worker process died while running it alone."""
    rec = passes._record(p)
    rec.update(status="error", metrics={}, n_events=None,
               error={"type": "WorkerDied", "message": f"the worker process running this point (pid {pid}) died: "
                                                        f"{how}", "traceback": ""},
               elapsed_s=None, host=socket.gethostname(), pid=pid,
               finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"))
    return rec


def _execute_local(tasks: list[dict[str, Any]], workers: int) -> Iterator[dict[str, Any]]:
    """Run the tasks on ``workers`` processes, yielding each record as it comes.

    A worker that dies by itself (a nonzero exit, ``os._exit``, a segfault) takes
    down the pool: the points of its task that it had not reported run again,
    each alone in a new pool, so that one that dies alone is the one that killed
    it, recorded as failed (``WorkerDied``, with the exit code or signal); the
    other tasks' unreported points run again too. A worker killed from outside
    (SIGKILL, SIGTERM) stops the sweep (:class:`WorkerKilledError`).
    """
    if workers == 0:
        for t in tasks:
            yield from passes.iter_task(t)
        return
    ctx = _mp_context()
    todo = list(tasks)
    got: set[str] = set()
    while todo:
        todo = yield from _pool_round(todo, workers, ctx, got)


def _pool_round(tasks: list[dict[str, Any]], workers: int, ctx: Any,
                got: set[str]) -> Generator[dict[str, Any], None, list[dict[str, Any]]]:
    """One pool over ``tasks``; returns (as a generator's value) the tasks to run again after a crash, or []."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    queue = ctx.SimpleQueue()
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(), queue))
    clean = False
    started: dict[int, str] = {}  # worker pid -> key (first point id) of the task it runs
    procs: dict[int, Any] = {}

    def drain() -> Iterator[dict[str, Any]]:
        while not queue.empty():
            msg = queue.get()
            if "started" in msg:
                started[msg["pid"]] = msg["started"]
                continue
            got.add(msg["id"])
            yield msg

    try:
        by_future = {pool.submit(run_task, t): t for t in tasks}
        pending = set(by_future)
        broken = False
        while pending and not broken:
            procs.update(getattr(pool, "_processes", None) or {})
            yield from drain()
            finished, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    ids = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                # A task puts each record before it returns: what is still owed is in the pipe.
                owed = {i for i in ids if i not in got}
                while owed:
                    msg = queue.get()
                    if "started" in msg:
                        started[msg["pid"]] = msg["started"]
                        continue
                    got.add(msg["id"])
                    owed.discard(msg["id"])
                    yield msg
        if not broken:
            clean = True
            return []
        # A worker died: every future of this pool failed. Records sent before are in the pipe.
        procs.update(getattr(pool, "_processes", None) or {})
        # The pool's own thread terminates and joins the other workers: wait for it before
        # reading exit codes (two threads reading one forkserver status pipe read 255).
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(30)
        for proc in procs.values():
            proc.join(5)
        yield from drain()
        by_key = {t["points"][0]["id"]: t for t in tasks}
        dead = {pid: proc.exitcode for pid, proc in procs.items()
                if proc.exitcode is not None and proc.exitcode != -signal.SIGTERM}
        if not dead:  # terminated from outside (every worker shows SIGTERM), or died before it said what it ran
            dead = {pid: proc.exitcode for pid, proc in procs.items() if proc.exitcode is not None}
        blamed = {pid: by_key[started[pid]] for pid in dead if started.get(pid) in by_key}
        if not blamed or any(code in _EXTERNAL for code in dead.values()):
            names = [f"{p['id']} ({_describe(p['overrides'])})" for pid in blamed for p in blamed[pid]["points"]
                     if p["id"] not in got]
            codes = sorted({c for c in dead.values() if c is not None})
            raise WorkerKilledError(names, ", ".join(_how(c) for c in codes) or "died")
        again: list[dict[str, Any]] = []
        for t in tasks:
            left = [p for p in t["points"] if p["id"] not in got]
            if not left:
                continue
            pid = next((pid for pid, bt in blamed.items() if bt is t), None)
            if pid is None:
                again.append(_subtask(t, left))
            elif len(t["points"]) == 1:
                # The point ran alone in its task: it killed its worker.
                rec = _died(left[0], pid, _how(dead[pid]))
                got.add(rec["id"])
                yield rec
            else:
                # One of the points of this pass killed it: run each alone to find which.
                again.extend(_subtask(t, [p]) for p in left)
        return again
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            # Interrupted or failed: stop now rather than finish the points in flight.
            # ProcessPoolExecutor has no public terminate before Python 3.14.
            procs.update(getattr(pool, "_processes", None) or {})
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs.values():
                if proc.is_alive():
                    proc.terminate()
            for proc in procs.values():
                proc.join(5)


def _probe(address: str) -> None:
    """Fail at once on a refused TCP address (the Dask client would retry until its timeout)."""
    if "://" in address and not address.startswith("tcp://"):
        return  # another transport (tls://, inproc://): Dask checks it
    # Without a scheme Dask reads HOST:PORT as tcp; a bare word was a ValueError, then a 20 s timeout traceback.
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"--scheduler: expected tcp://HOST:PORT (a port from 1 to 65535), got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise MmsimError(f"cannot connect to the Dask scheduler at {address}: {exc.strerror or exc}") from None


def _execute_dask(make_tasks: Callable[[int], list[dict[str, Any]]], scheduler: str) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MmsimError("--scheduler needs Dask distributed, an optional extra: pip install 'mmsim[dask]'") from None
    _probe(scheduler)
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise MmsimError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
    token = uuid.uuid4().hex[:8]
    futures = []
    try:
        # One task per pass, sized by the threads the cluster has now. Tasks hold the
        # configs only; each worker maps the event store itself.
        tasks = make_tasks(max(1, sum(client.nthreads().values())))
        futures = [client.submit(run_task, t, key=f"mmsim-sweep-{t['points'][0]['id']}-{token}", pure=False)
                   for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks)}
        for fut in as_completed(futures, loop=client.loop):
            try:
                yield from fut.result()
            except Exception as exc:  # e.g. KilledWorker: the task took its workers down
                for p in by_key[fut.key]["points"]:
                    rec = passes._record(p)
                    rec.update(status="error", metrics={}, n_events=None,
                               error={"type": type(exc).__name__, "message": str(exc), "traceback": ""},
                               elapsed_s=None, host=None, pid=None,
                               finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"))
                    yield rec
    finally:
        if futures:
            client.cancel(futures)
        client.close()


# --------------------------------------------------------------------------- the sweep


def run_sweep(grid_or_path: Any, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              scheduler: str | None = None, *, retry_failed: bool = False, progress: bool = False, fresh: bool = False,
              point_fn: Callable[[RunConfig], Mapping[str, Any]] | None = None,
              pass_size: int | None = None) -> list[dict[str, Any]]:
    """Run every point of a grid and return one flat record per point, in grid order.

    Parameters
    ----------
    grid_or_path : path, mapping or Grid
        A grid file, a grid mapping (as parsed from YAML) or a :class:`Grid`.
    out : path, optional
        Output directory; results append to ``out/results.jsonl`` as points
        finish, and points already there are skipped. Default: the grid's
        ``output``; with neither, results are kept in memory only.
    workers : int, optional
        Local worker processes (default: the grid's ``workers``, else the CPU
        count, at most the number of points to run). 0 runs the points in this
        process (for debugging).
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
        A bad grid (naming the key and line); a ``point_fn`` with a grid that has
        a baseline; or, with the default ``point_fn``,
        a strategy that does not load with its parameters, a missing event store
        or a ``recorded`` feed on a store without receive times, found before
        any point runs (:func:`~mmsim.sweep.points.check_points`: one error
        naming the points concerned).
    MmsimError
        Dask missing or unreachable; :class:`WorkerKilledError` when a local
        worker process is killed from outside (SIGKILL, SIGTERM). A worker that
        dies by itself records the point that killed it as failed (``WorkerDied``)
        and the sweep goes on (docs/sweeps.md, "Exactly once per point").
    KeyboardInterrupt
        On Ctrl-C, after the points in flight are stopped (finished ones are saved).
    """
    grid = _as_grid(grid_or_path)
    plan = grid.baseline
    if plan is not None and point_fn is not None:
        raise ConfigError(f"{grid.source}: baseline: a custom point_fn gives no runs to compare; drop the grid's "
                          "`baseline` or the point_fn")
    out_dir = Path(out) if out is not None else (Path(grid.output) if grid.output else None)
    done = read_results(out_dir / RESULTS_FILE) if out_dir is not None and not fresh else {}
    wanted = {p.id for p in grid.points}
    done = {k: v for k, v in done.items() if k in wanted}
    todo = _todo(grid, done, retry_failed)
    if point_fn is None and todo:
        # What would fail every point alike fails once, here, before anything runs or is written.
        check_points(todo, len(grid.points))
    if fresh and out_dir is not None and (out_dir / RESULTS_FILE).exists():
        (out_dir / RESULTS_FILE).unlink()
    if workers is None:
        workers = grid.workers if grid.workers is not None else (os.cpu_count() or 1)
    if not _is_int(workers) or workers < 0:
        raise ConfigError(f"workers: expected a non-negative integer, got {workers!r}")
    if pass_size is not None and (not _is_int(pass_size) or pass_size < 1):
        raise ConfigError(f"pass_size: expected a positive integer, got {pass_size!r}")
    by_id = {p.id: p for p in grid.points}

    def make_tasks(slots: int) -> list[dict[str, Any]]:
        return plan_tasks(todo, slots, pass_size=pass_size, plan=plan, by_id=by_id, point_fn=point_fn,
                          compare=plan.settings if plan is not None else None)

    tasks = make_tasks(min(workers, len(todo)) or 1) if not scheduler else []
    workers = min(workers, len(tasks)) if workers else 0

    writer = _ResultsWriter(out_dir / RESULTS_FILE) if (out_dir is not None and todo) else None
    todo_ids = {p.id for p in todo}
    failed_before = sum(1 for k, v in done.items() if k not in todo_ids and v.get("status") != "ok")
    bar = _Progress(len(grid.points), len(grid.points) - len(todo), failed_before, enabled=progress)
    try:
        with bar:
            if todo:
                stream = _execute_dask(make_tasks, scheduler) if scheduler else _execute_local(tasks, workers)
                try:
                    for rec in stream:
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


def _todo(grid: Any, done: Mapping[str, Mapping[str, Any]], retry_failed: bool) -> list[Any]:
    """The points to run: not in ``done``, failed (with ``retry_failed``), or compared otherwise than the grid asks.

    A finished point whose recorded comparison names another baseline point or other
    settings than the grid's runs again (its figures come out the same; its comparison
    is new), and so does one whose baseline failed when that baseline runs again.
    """
    plan = grid.baseline

    def stale(p: Any) -> bool:
        rec = done.get(p.id)
        if rec is None:
            return True
        if rec.get("status") != "ok":
            return retry_failed
        if plan is None:
            return False
        cmp = rec.get("comparison") or {}
        want = plan.expected(p.id)
        return cmp.get("id") != want["id"] or cmp.get("settings") != want["settings"]

    todo = [p for p in grid.points if stale(p)]
    if plan is not None:
        again = {p.id for p in todo}
        todo += [p for p in grid.points if p.id not in again and plan.of.get(p.id) in again
                 and (done[p.id].get("comparison") or {}).get("baseline_failed")]
        todo.sort(key=lambda p: p.index)
    return todo


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


