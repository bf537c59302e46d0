"""A sweep's work in passes: points grouped by event store into tasks, each task replayed in one pass (``mmsim.run_many``).

:func:`plan_tasks` cuts the points still to run into tasks: the points of one
event store, at most :data:`MAX_PASS` of them, sized so that every worker gets
about the same number (docs/sweeps.md, "Where points run"). :func:`iter_task`
runs one task in a worker: one :func:`mmsim.run_many` pass over the store for
all its points (and the baseline points they are compared with), then each
point's report and comparison, one record per point as soon as it is done.
:func:`run_task` is what a worker process or a Dask task calls.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import socket
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..config import RunConfig
from .resume import DATA_FIELD, MEANING_FIELD, meaning_of

__all__ = ["MAX_PASS", "default_point", "iter_task", "open_store", "plan_tasks", "run_task", "subtask", "task_runs"]

#: Most points one task replays in one pass. Past about 16 runs a pass gains little
#: more (the shared market is then a small part of each run's cost, docs/benchmarks.md),
#: while a bigger task balances worse across workers, holds more results in memory,
#: and loses more work when its worker is killed.
MAX_PASS = 16

# Stores opened by this worker process, by path: each is a memory map, so every
# point on a worker shares the same pages and nothing is shipped with a task.
_STORES: dict[str, Any] = {}
# Per store and bucket length: what a comparison needs of the events (computed once).
_PAIRED: dict[str, Any] = {}
# Per store: the exchange book's top after every event, which every point's report reads (replayed once).
_BBO: dict[str, Any] = {}


# --------------------------------------------------------------------------- planning


def plan_tasks(points: Sequence[Any], slots: int, *, pass_size: int | None = None, plan: Any = None,
               by_id: Mapping[str, Any] | None = None, point_fn: Any = None,
               compare: Any = None) -> list[dict[str, Any]]:
    """Cut the points to run into tasks for ``slots`` workers.

    Parameters
    ----------
    points : sequence of SweepPoint
        The points to run, in grid order.
    slots : int
        Workers that run tasks at once (local processes, or the Dask cluster's threads).
    pass_size : int, optional
        Most points per task (default :data:`MAX_PASS`; 1 runs every point alone).
    plan : BaselinePlan, optional
        The grid's baseline: each task also replays the baseline points its points
        are compared with, when they are not among its points.
    by_id : mapping, optional
        Every point of the grid by id (to find baseline points that are not to run).
    point_fn : callable, optional
        A custom point function: every point is a task of its own (nothing to share).
    compare : CompareSettings, optional
        Carried to the workers with each task.

    Returns
    -------
    list of dict
        Tasks (``points``, ``extra``, ``point_fn``, ``compare``), largest first. A
        task holds the points of one event store. With ``N`` points, ``W`` slots
        and ``P = pass_size``, every task has at most
        ``c = ceil(N / (W * ceil(N / (W * P))))`` points (so at most ``P``, and
        ``N / c`` is about a multiple of ``W``), and each store's points are split
        into ``ceil(n / c)`` tasks of near-equal size.
    """
    n = len(points)
    if n == 0:
        return []
    cap = 1 if point_fn is not None else max(1, int(pass_size or MAX_PASS))
    w = max(1, int(slots))
    size = math.ceil(n / (w * math.ceil(n / (w * cap))))
    stores: dict[str, list[Any]] = {}
    for p in points:
        stores.setdefault(p.config.data, []).append(p)
    of = dict(plan.of) if plan is not None else {}
    tasks = []
    for pts in stores.values():
        if of:
            # A baseline point first, then the points compared with it: most tasks then
            # hold their baseline, and one holds few baselines.
            pts = sorted(pts, key=lambda p: (of.get(p.id, p.id), of.get(p.id) != p.id, p.index))
        k = math.ceil(len(pts) / size)
        bounds = [i * len(pts) // k for i in range(k + 1)]
        for a, b in zip(bounds, bounds[1:]):
            chunk = pts[a:b]
            ids = {p.id for p in chunk}
            need = list(dict.fromkeys(of[p.id] for p in chunk if p.id in of and of[p.id] not in ids))
            extra = [_on_store(_ptask(by_id[b_id], plan), chunk[0].config.data) for b_id in need] if by_id is not None else []
            tasks.append({"points": [_ptask(p, plan) for p in chunk], "extra": extra, "point_fn": point_fn,
                          "compare": compare if plan is not None else None})
    tasks.sort(key=lambda t: -len(t["points"]))
    return tasks


def _ptask(p: Any, plan: Any) -> dict[str, Any]:
    out = {"id": p.id, "index": p.index, "overrides": p.overrides, "repeat": p.repeat, "config": p.config}
    if plan is not None:
        out["baseline"] = plan.of.get(p.id)
        out["skipped"] = plan.skipped.get(p.id)
    return out


def _on_store(run: dict[str, Any], data: Any) -> dict[str, Any]:
    """A baseline run replayed in a pass over ``data``: a baseline point on a store at another path with the same
    events (:class:`~mmsim.sweep.baseline.BaselinePlan` pairs them only then) replays this store, one pass one
    event array (its own record comes from its own task, on its own store)."""
    if run["config"].data != data:
        run = {**run, "config": run["config"].replace(data=data)}
    return run


# --------------------------------------------------------------------------- one point alone


def default_point(config: RunConfig) -> dict[str, Any]:
    """Run one config alone and return its flat metrics (a sweep point without a shared pass).

    Opens ``config.data`` memory-mapped (once per worker process), loads the
    strategy plugin, runs and reports with :func:`mmsim.runner.point_metrics`.
    ``n_events`` in the returned dict is the number of events replayed. A sweep
    replays the points of one store together (:func:`iter_task`); passing
    ``point_fn=default_point`` to :func:`~mmsim.sweep.run_sweep` runs each alone,
    with the same figures.
    """
    return _default_point(config, _store(config))


def _default_point(config: RunConfig, store: Any, timing: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`default_point` on the opened store; ``timing`` (when given) gets the replay's pass of one run, as a
    record's ``pass`` holds it, also when the run fails."""
    from ..runner import point_metrics, run_config

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result = run_config(config, events=store, warn=False)  # the sweep warned before its points ran
    finally:
        if timing is not None:
            timing.update(runs=1, elapsed_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0)
    metrics = dict(point_metrics(result, store, config))
    metrics["n_events"] = int(result.n_events)
    metrics[UNITS_FIELD] = _units_warning(result)
    return metrics


#: A point record's futures-units warning (:func:`mmsim.report.setup.units_warning`, the one its report
#: would print), or None; records written before it was recorded lack the key (read as None).
UNITS_FIELD = "units_warning"


def _units_warning(result: Any) -> str | None:
    from ..report.setup import units_warning

    return units_warning(result, getattr(result, "config", None), dict(getattr(result, "meta", None) or {}))


def _stamp(path: Any) -> tuple[int, ...] | None:
    """What tells a store written again at ``path`` from the one opened: its events.npy's inode, size, mtime and
    ctime, and its meta.json's (an edit in place that set the mtime back changes the ctime; breaker17d: the cached
    store was replayed without runner.load_events' digest check)."""
    try:
        st = os.stat(os.path.join(str(path), "events.npy"))
        mt = os.stat(os.path.join(str(path), "meta.json"))
    except (OSError, TypeError):
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, mt.st_ino, mt.st_mtime_ns, mt.st_ctime_ns


def open_store(path: str) -> Any:
    """The event store at ``path`` as :func:`mmsim.data.load` opens it (memory-mapped), once per process and file
    version: a sweep's pre-flight (:func:`mmsim.sweep.points.check_points`) and the points run in the same process
    share one open (a recorded store's receive times are scanned once). Opened again when its ``events.npy`` or
    ``meta.json`` was written or edited since (:func:`_stamp`: inode, size, mtime, ctime), and the store's derived
    caches (its book's top, a comparison's columns) dropped with the old map. Its events are not verified here:
    :func:`_store` does, through :func:`mmsim.runner.load_events`.

    Raises
    ------
    DataError
        As :func:`mmsim.data.load` (nothing is cached then).
    """
    from ..data import load

    key = str(path)
    cached = _STORES.get(key)
    stamp = _stamp(key)
    if cached is None or stamp is None or cached[0] != stamp:
        _BBO.pop(key, None)
        _PAIRED.pop(key, None)
        _STORES.pop(key, None)
        store = load(key)  # the stamp taken before the open: a file written meanwhile is opened again next time
        if stamp is None:
            return store
        cached = _STORES[key] = (stamp, store)
    return cached[1]


def _store(config: RunConfig) -> Any:
    """The point's store by :func:`mmsim.runner.load_events` (its path checked, its events verified against its
    digest: cached per file version, :func:`mmsim.data._identity.verify_digest`), opened by :func:`open_store`:
    once per worker process, and again when it was written again at its path since (an in-process sweep after a
    conversion: the old memory map replayed the old events)."""
    from ..runner import load_events

    return load_events(config, opener=open_store)


def _verified_digest(store: Any) -> str | None:
    """The ``events_digest`` of a store :func:`_store` returned (its events verified against it), or None for a
    store without one."""
    from ..events import DIGEST_KEY

    digest = (getattr(store, "meta", None) or {}).get(DIGEST_KEY)
    return digest if isinstance(digest, str) else None


def _record(p: Mapping[str, Any]) -> dict[str, Any]:
    config: RunConfig = p["config"]
    return {"id": p["id"], "index": p["index"], "overrides": p["overrides"], "repeat": p["repeat"],
            "seed": int(config.engine.latency.seed), "digest": config.digest()}


def _failed(rec: dict[str, Any], exc: BaseException, n_events: Any = None) -> dict[str, Any]:
    """The record of a failed point; ``n_events`` the events it replayed: given (its report failed after the
    run), else its error's ``partial`` Result's (a StrategyError or DataError stops a run there), else None."""
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    if n_events is None:
        n_events = getattr(getattr(exc, "partial", None), "n_events", None)
    rec.update(status="error", metrics={}, n_events=None if n_events is None else int(n_events),
               error={"type": type(exc).__name__, "message": str(exc), "traceback": "".join(tb[-3:])})
    return rec


def _finish(rec: dict[str, Any], elapsed: float) -> dict[str, Any]:
    rec["elapsed_s"] = elapsed
    rec["host"] = socket.gethostname()
    rec["pid"] = os.getpid()
    rec["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    return rec


def _run_point(task: Mapping[str, Any]) -> dict[str, Any]:
    """One point with a point function: never raises, an error becomes part of the record."""
    fn = task.get("point_fn") or default_point
    rec = _record(task)
    t0 = time.perf_counter()
    # default_point replays the point in the sweep's own pass of one run on events verified first: its record has
    # their digest and its `pass`, so a resume holds its n_events to the store's event_count as a shared pass's
    # (record_context); a custom function's has no `pass`: it says what it replayed.
    timing: dict[str, Any] = {}
    if fn is default_point:
        rec[DATA_FIELD] = rec[MEANING_FIELD] = None
    try:
        if fn is default_point:
            store = _store(task["config"])
            rec[DATA_FIELD] = _verified_digest(store)
            rec[MEANING_FIELD] = meaning_of(getattr(store, "meta", None))
            metrics = _default_point(task["config"], store, timing)
        else:
            metrics = _checked(fn, dict(fn(task["config"])))
        n_events = metrics.pop("n_events", None)
        warning = metrics.pop(UNITS_FIELD, None)
        rec.update(status="ok", metrics=metrics, n_events=None if n_events is None else int(n_events), error=None)
        rec[UNITS_FIELD] = warning
    except Exception as exc:  # a failing point is recorded, never stops the sweep
        _failed(rec, exc)
    if timing:
        rec["pass"] = timing
    return _finish(rec, time.perf_counter() - t0)


def _checked(fn: Any, metrics: dict[str, Any]) -> dict[str, Any]:
    """A custom point function's metrics, or an MmsimError (the point fails) for one a resumed sweep would refuse
    (:func:`~mmsim.sweep.metric_values.bad_metric`: ``{"fills.count": 2.5}``): the sweep never writes a record
    it cannot read back. Checked as written (:func:`mmsim._json.json_clean`: NaN is written null)."""
    from .._json import json_clean
    from ..errors import MmsimError
    from .metric_values import bad_metric, metrics_problem

    written = {str(k): json_clean(v) for k, v in metrics.items() if k not in ("n_events", UNITS_FIELD)}  # as a record
    for name, value in written.items():
        why = bad_metric(name, value)
        if why:
            raise MmsimError(f"point_fn {getattr(fn, '__qualname__', fn)!s} returned a metric a resumed sweep "
                             f"could not read back: {why}")
    if why := metrics_problem(written):
        raise MmsimError(f"point_fn {getattr(fn, '__qualname__', fn)!s} returned metrics a resumed sweep could not "
                         f"read back: {why}")
    # Its events replayed and units warning, as _run_point records them, held to what a resume reads back (fix27b:
    # an "n_events" of -1 was written, and the sweep could not resume from its own file).
    from .record_values import bad_field

    fields = {UNITS_FIELD: json_clean(metrics[UNITS_FIELD])} if UNITS_FIELD in metrics else {}
    if metrics.get("n_events") is not None:
        fields["n_events"] = int(metrics["n_events"])
    why = bad_field({"status": "ok", **fields})
    if why:
        raise MmsimError(f"point_fn {getattr(fn, '__qualname__', fn)!s} returned a value a resumed sweep could not "
                         f"read back: {why}")
    return metrics


# --------------------------------------------------------------------------- a task: one pass


def run_task(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a task in a worker (a Dask task): the records of its points."""
    return list(iter_task(task))


def iter_task(task: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The records of a task's points, each as soon as its report (and comparison) is done.

    With a point function each point runs alone. Otherwise the task's points,
    and the baseline points they are compared with (``extra``), are replayed in
    one :func:`mmsim.run_many` pass; a point that fails (its strategy raises)
    drops out of the pass and is recorded as failed, the others go on. Each
    record's ``elapsed_s`` is its share of the pass (pass time / runs in it)
    plus its own report and comparison; ``pass`` holds the pass's size, wall
    time and the CPU time of the worker process during it (``runs``,
    ``elapsed_s``, ``cpu_s``).
    """
    if task.get("point_fn") is not None:
        for p in task["points"]:
            yield _run_point({**p, "point_fn": task["point_fn"]})
        return
    yield from _run_group(task)


def _run_group(task: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    from .._py_units import quiet
    from ..engine import run_many
    from ..runner import load_run_strategy, store_lot

    pts: list[Mapping[str, Any]] = list(task["points"])
    runs = pts + list(task.get("extra") or ())
    t0, c0 = time.perf_counter(), time.process_time()
    outs: list[Any] = [None] * len(runs)
    try:
        store = _store(runs[0]["config"])
    except Exception as exc:  # no store, or a bad one: every point fails alike, on no verified events
        for p in pts:
            yield _finish(_failed({**_record(p), DATA_FIELD: None, MEANING_FIELD: None}, exc),
                          time.perf_counter() - t0)
        return
    digest, meaning = _verified_digest(store), meaning_of(getattr(store, "meta", None))
    pairs, slot = [], []
    for i, r in enumerate(runs):
        try:
            pairs.append((load_run_strategy(r["config"], lot_size=store_lot(r["config"], store)), r["config"]))
            slot.append(i)
        except Exception as exc:
            outs[i] = exc
    for i, out in zip(slot, _pass_outs(run_many, quiet, store, pairs)):
        outs[i] = out
    pass_s, pass_cpu = time.perf_counter() - t0, time.process_time() - c0
    share = pass_s / len(runs)
    paired = (_Paired(store, runs, len(pts), outs, task["compare"], task.get("failed_baselines"))
              if task.get("compare") is not None else None)
    for j, p in enumerate(pts):
        t1 = time.perf_counter()
        rec = {**_record(p), DATA_FIELD: digest, MEANING_FIELD: meaning}
        out = outs[j]
        if isinstance(out, BaseException):
            _failed(rec, out)
        else:
            try:
                report = _point_report(out, store, p["config"])
                metrics = report.flat()
                rec.update(status="ok", metrics=metrics, n_events=int(out.n_events), error=None)
                rec[UNITS_FIELD] = _units_warning(out)
            except Exception as exc:
                _failed(rec, exc, out.n_events)  # the run finished: every event replayed
                report = None
            if paired is not None and report is not None:
                paired.reports[j] = report
        if paired is not None:
            rec["comparison"] = paired.compare(j, p)
            paired.release(j)
        outs[j] = None if paired is None or not paired.needed(j) else outs[j]
        rec["pass"] = {"runs": len(runs), "elapsed_s": pass_s, "cpu_s": pass_cpu}
        yield _finish(rec, share + time.perf_counter() - t1)


def _point_report(result: Any, store: Any, config: RunConfig) -> Any:
    from ..replay import replay_bbo
    from ..runner import point_report

    bbo = _BBO.get(config.data)
    if bbo is None:
        events = store.events if hasattr(store, "events") and hasattr(store, "meta") else store
        bbo = _BBO[config.data] = replay_bbo(np.asarray(events))
    return point_report(result, store, config, signals=False, decisions=False, bbo=bbo)


def _pass_outs(run_many: Any, quiet: Any, store: Any, pairs: list[tuple[Any, RunConfig]]) -> list[Any]:
    """Each run's Result, or its own error (:func:`_own_error`), from one ``run_many`` pass of ``pairs``.

    A run's failure, before the pass or in it, is its own: ``return_exceptions`` puts it in its place. An error
    raised all the same for one run (its ``run_index`` set) is that run's alone: the pass is run again without it.
    Only an error of the pass itself (no ``run_index``) is every run's."""
    got: dict[int, Any] = {}
    left = list(range(len(pairs)))
    while left:
        try:
            with quiet():  # the sweep warned once, before its points ran
                outs = run_many(store, [pairs[k] for k in left], return_exceptions=True)
        except Exception as exc:
            j = getattr(exc, "run_index", None)
            if not isinstance(j, int) or not 0 <= j < len(left):  # the pass itself failed: every run alike
                got.update((k, exc) for k in left)
                break
            k = left.pop(j)
            got[k] = _own_error(exc, j, pairs[k][0])
            continue
        for j, (k, out) in enumerate(zip(left, outs)):
            got[k] = _own_error(out, j, pairs[k][0]) if isinstance(out, BaseException) or out is None else out
        break
    return [got[k] for k in range(len(pairs))]


def _own_error(exc: BaseException | None, k: int, strategy: Any) -> BaseException:
    """A run's error as ``run`` alone would give it: without the ``run k (label): `` (or ``run k: ``) prefix of the
    pass, ``k`` its place in the pass; the sweep names the point itself (docs/sweeps.md)."""
    from .._strategy_calls import run_prefix
    from ..errors import MmsimError

    if exc is None:  # not returned with return_exceptions; kept for safety
        return MmsimError("the pass stopped before this point finished")
    text = str(exc)
    prefix = next((p for p in (run_prefix(k, strategy), run_prefix(k, pair=False)) if text.startswith(p)), "")
    if getattr(exc, "run_index", None) == k and prefix:
        alone = type(exc)(text[len(prefix):])
        alone.__dict__.update(exc.__dict__)
        alone.run_index = None  # type: ignore[attr-defined]
        alone.__cause__ = exc.__cause__
        return alone
    return exc


class _Paired:
    """The comparisons of one task's points with their baselines (:mod:`mmsim.sweep.paired`)."""

    def __init__(self, store: Any, runs: Sequence[Mapping[str, Any]], n_points: int, outs: list[Any],
                 settings: Any, failed: Mapping[str, str] | None = None) -> None:
        self.store, self.runs, self.outs, self.settings = store, runs, outs, settings
        #: Baseline points that failed run alone before (their worker died or overran): id -> "Type: message".
        self.failed = dict(failed or {})
        self.reports: dict[int, Any] = {}
        self.row_of = {r["id"]: i for i, r in enumerate(runs)}
        #: Rows whose run later points are compared with (kept until the task ends).
        self.wanted = {self.row_of[r["baseline"]] for r in runs[:n_points] if r.get("baseline") in self.row_of}
        self._columns: dict[tuple[int, tuple[int, ...]], Any] = {}

    def needed(self, i: int) -> bool:
        return i in self.wanted

    def release(self, i: int) -> None:
        """Forget a point's report and columns once it is done, unless later points need them."""
        if i not in self.wanted:
            self.reports.pop(i, None)
            for key in [k for k in self._columns if k[0] == i]:
                del self._columns[key]

    def columns(self, i: int, hs: tuple[int, ...]) -> Any:
        from .paired import run_columns

        key = (i, hs)
        if key not in self._columns:
            self._columns[key] = run_columns(self.outs[i], self.reports.get(i), self.store, hs)
        return self._columns[key]

    def compare(self, j: int, p: Mapping[str, Any]) -> dict[str, Any]:
        from .paired import compare_runs, context, horizons_of

        bid = p.get("baseline")
        out: dict[str, Any] = {"id": bid, "settings": self.settings.to_dict(), "is_baseline": bid == p["id"]}
        if bid is None:
            out["skipped"] = p.get("skipped") or "no baseline point"
            return out
        if bid in self.failed and bid not in self.row_of:
            out.update(skipped=f"the baseline point {bid[:8]} failed: {self.failed[bid]}", baseline_failed=True)
            return out
        i = self.row_of[bid]
        base = self.outs[i]
        if isinstance(base, BaseException):
            out.update(skipped=f"the baseline point {bid[:8]} failed: {type(base).__name__}: {base}",
                       baseline_failed=True)
            return out
        point = self.outs[j]
        if isinstance(point, BaseException) or j not in self.reports:
            out["skipped"] = "this point failed"
            return out
        try:
            hs = horizons_of(self.settings, self.runs[i]["config"])
            ctx = context(_PAIRED, self.runs[j]["config"].data, self.store, self.settings.bucket_ns)
            out.update(compare_runs(ctx, base, self.columns(i, hs), point, self.columns(j, hs), hs, self.settings))
        except Exception as exc:  # the point's own figures stand; its comparison says what went wrong
            out["skipped"] = f"comparison failed: {type(exc).__name__}: {exc}"
        return out


def subtask(task: Mapping[str, Any], pts: list[Mapping[str, Any]], alone: bool = False) -> dict[str, Any]:
    """``task`` cut down to ``pts``, with the baseline runs they need (reported points of the task included)."""
    ids = {p["id"] for p in pts}
    need = {p.get("baseline") for p in pts} - ids - {None}
    extra = [r for r in list(task.get("extra") or ()) + list(task["points"]) if r["id"] in need]
    extra = list({r["id"]: r for r in extra}.values())
    return {**task, "points": pts, "extra": extra, "alone": alone}


def task_runs(task: Mapping[str, Any]) -> int:
    """Runs a task replays: its points and the baseline runs it needs."""
    return len(task["points"]) + len(task.get("extra") or ())
