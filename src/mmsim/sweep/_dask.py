"""Running a sweep's tasks on a Dask cluster (``mmsim sweep --scheduler``), with the sweep's ``timeout``.

Dask is imported when a sweep uses it, not at ``import mmsim``. Without a timeout every task is
submitted at once and Dask queues them. With one, at most as many tasks as the cluster had threads
at the start are in flight, so a task's time counts from about when it starts: a task that has not
returned its records within its budget is cancelled, the worker running it is restarted (a stuck
thread cannot be stopped otherwise), and its points are dealt with as on local workers: run again
each alone, and a point that overruns alone is recorded as failed (``PointTimeout``), once. The
other tasks the restart killed on that worker are run again by Dask, each with a fresh budget.
"""

from __future__ import annotations

import datetime as _dt
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import ConfigError, MmsimError
from . import passes
from .passes import run_task, subtask, task_runs

__all__ = ["execute_dask", "tcp_address"]


def tcp_address(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a TCP scheduler address; None for another transport (tls://, inproc://: Dask checks it).

    Checked before Dask is imported: a malformed address is the same config error with or
    without the ``mmsim[dask]`` extra installed.
    """
    if "://" in address and not address.startswith("tcp://"):
        return None
    # Without a scheme Dask reads HOST:PORT as tcp; a bare word was a ValueError, then a 20 s timeout traceback.
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"--scheduler: expected tcp://HOST:PORT (a port from 1 to 65535), got {address!r}")
    return host, int(port)


def _probe(address: str) -> None:
    """Fail at once on a refused TCP address (the Dask client would retry until its timeout)."""
    hp = tcp_address(address)
    if hp is None:
        return
    host, port = hp
    try:
        socket.create_connection((host.strip("[]"), port), timeout=10).close()
    except OSError as exc:
        raise MmsimError(f"cannot connect to the Dask scheduler at {address}: {exc.strerror or exc}") from None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _failed(task: Mapping[str, Any], etype: str, message: str, host: str | None = None) -> list[dict[str, Any]]:
    out = []
    for p in task["points"]:
        rec = passes._record(p)
        rec.update(status="error", metrics={}, n_events=None, error={"type": etype, "message": message, "traceback": ""},
                   elapsed_s=None, host=host, pid=None, finished_at=_now())
        out.append(rec)
    return out


def _records(fut: Any, task: Mapping[str, Any]) -> list[dict[str, Any]]:
    try:
        return list(fut.result())
    except Exception as exc:  # e.g. KilledWorker: the task took its workers down
        return _failed(task, type(exc).__name__, str(exc))


def execute_dask(make_tasks: Callable[[int], list[dict[str, Any]]], scheduler: str,
                 timeout_ns: int | None = None) -> Iterator[dict[str, Any]]:
    """The records of every task ``make_tasks(threads of the cluster)`` gives, as tasks finish."""
    tcp_address(scheduler)
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
    live: dict[Any, tuple[dict[str, Any], float]] = {}  # future -> (task, deadline)
    try:
        # One task per pass, sized by the threads the cluster has now. Tasks hold the
        # configs only; each worker maps the event store itself.
        slots = max(1, sum(client.nthreads().values()))
        tasks = make_tasks(slots)
        if timeout_ns is None:
            futures = [client.submit(run_task, t, key=f"mmsim-sweep-{t['points'][0]['id']}-{token}", pure=False)
                       for t in tasks]
            live = {f: (t, 0.0) for f, t in zip(futures, tasks)}
            for fut in as_completed(futures, loop=client.loop):
                yield from _records(fut, live.pop(fut)[0])
        else:
            yield from _bounded(client, tasks, slots, timeout_ns, token, live)
    finally:
        if live:
            client.cancel(list(live))
        client.close()


def _bounded(client: Any, tasks: list[dict[str, Any]], slots: int, timeout_ns: int, token: str,
             live: dict[Any, tuple[dict[str, Any], float]]) -> Iterator[dict[str, Any]]:
    """Run ``tasks`` at most ``slots`` at a time, each within its budget (module docstring)."""
    from ..config import format_ns

    def budget(task: Mapping[str, Any]) -> float:
        # What a local worker has until its last report: (runs + 1) x timeout for the first, timeout each after.
        return timeout_ns / 1e9 * (task_runs(task) + len(task["points"]))

    queue, n = list(tasks), 0
    while queue or live:
        while queue and len(live) < slots:
            task = queue.pop(0)
            n += 1
            fut = client.submit(run_task, task, key=f"mmsim-sweep-{task['points'][0]['id']}-{token}-{n}", pure=False)
            live[fut] = (task, time.monotonic() + budget(task))
        done = [f for f in live if f.done()]
        if not done:  # polled: distributed.wait needs a default client, which a sweep does not set
            time.sleep(min(0.1, max(0.0, min(d for _, d in live.values()) - time.monotonic())))
        for fut in done:
            yield from _records(fut, live.pop(fut)[0])
        now = time.monotonic()
        for fut in list(live):
            if fut not in live or now < live[fut][1] or fut.done():  # (a deadline may have been renewed below)
                continue
            task = live.pop(fut)[0]
            processing = client.processing()
            worker = next((w for w, keys in processing.items() if fut.key in keys), None)
            fut.cancel()
            if worker is not None:
                try:  # the only way to stop a thread stuck in a run; a nanny starts the worker again
                    client.restart_workers([worker], raise_for_error=False)
                except Exception:  # noqa: BLE001 - no nanny, or an older distributed: the thread stays busy
                    pass
                # The restart also killed the other tasks running there; Dask runs them again, and each
                # gets its whole budget from now (with the old one, healthy points timed out in turn).
                victims = set(processing.get(worker, ())) - {fut.key}
                for other in [f for f in live if f.key in victims]:
                    live[other] = (live[other][0], time.monotonic() + budget(live[other][0]))
            if task.get("alone") or len(task["points"]) == 1:
                t, k = format_ns(int(timeout_ns)), task_runs(task)
                where = (f"its task was cancelled and the worker running it ({worker}) restarted" if worker else
                         "no worker of the cluster was running it (are they alive?); its task was cancelled")
                yield from _failed(task, "PointTimeout", f"the point did not finish within timeout {t} on the Dask "
                                   f"cluster (a task of {k} run(s) has {k + len(task['points'])} x {t}); {where}",
                                   worker)
            else:  # one of its points caused it: run each alone to find which
                queue[0:0] = [subtask(task, [p], alone=True) for p in task["points"]]
