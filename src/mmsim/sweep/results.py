"""The sweep's results file: one JSON line per finished point, appended and fsynced; resuming reads it back."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .._json import DuplicateKeyError, NestedTooDeepError, json_clean, loads_unique
from .._paths import describe_entries, visible_entries
from ..errors import ConfigError, MmsimError
from .baseline import columns
from .grid import Grid, SweepPoint, _is_int
from .labels import _label, plain_value, typed_form
from .metric_values import bad_metric, metrics_problem
from .record_context import bad_reused, rederive
from .record_values import bad_field
from .resume import DATA_FIELD
from .units import point_units_warning

__all__ = ["RESULTS_FILE", "check_output_dir", "check_reused", "read_records", "read_results", "to_array"]

#: Name of the results file inside the output directory. JSON Lines, one object per
#: finished point: ``id``, ``index`` (position in the grid), ``overrides`` (dotted key ->
#: value as written), ``repeat``, ``seed``, ``digest`` (:meth:`mmsim.RunConfig.digest` of the
#: point's resolved config, as its report header shows it), ``status`` (``"ok"`` or ``"error"``),
#: ``metrics`` (flat name -> number, from :func:`mmsim.runner.point_metrics`),
#: ``n_events`` (a failed point's: those replayed before it stopped, or null),
#: ``elapsed_s`` (the point's share of its pass plus its own report),
#: ``pass`` (``{runs, elapsed_s}``: the runs replayed in the point's pass and its wall
#: time), ``error`` (``{type, message, traceback}`` or null), ``host``, ``pid``,
#: ``finished_at`` (UTC ISO time), ``units_warning`` (the futures-units warning its report
#: would print, or null; absent from records written before it was kept, and worked out again from the point's
#: config and store on resume), and with a baseline in the grid ``comparison``
#: (``{id, settings, is_baseline, n_buckets, n_days, span_ns, rows}`` or ``{..., skipped}``,
#: docs/sweeps.md). A later line for the same id supersedes an earlier one
#: (``--retry-failed``, a changed baseline). A resume checks each field it reads back
#: (:mod:`.metric_values`, :mod:`.record_values`) and takes ``index``, ``overrides``, ``repeat``,
#: ``seed`` and ``digest`` from the grid's point, never the record's copy.
RESULTS_FILE = "results.jsonl"


def read_results(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Finished points in a results file, by id (the last record of an id wins).

    A last line cut short by a crash while it was being written (no newline at its end,
    not JSON) is ignored: its point runs again. Blank lines are skipped. Records of points
    that are not in the grid at hand (another grid's, a value since removed) are returned
    too: the caller keeps them apart.

    Raises
    ------
    MmsimError
        Any other line that is not a sweep record (text that is not JSON, JSON that is not
        an object with a 16-hex-digit ``id`` and a ``status`` of ``"ok"`` or ``"error"``, or
        a copy of an earlier line's record: the same point, host, process and finish time, or
        a metric whose value is not what a run writes: a string, NaN, Infinity or ``1e400`` for a
        figure, a fraction or a negative number for a count, null for a figure every run has, or any
        other field a resume reads back that is not what a run writes there: its comparison, events,
        elapsed time, error, process: :func:`~mmsim.sweep.record_values.bad_field`),
        naming the file, the line and the metric or key: something other than a sweep wrote there, and the
        records around it cannot be trusted to be the sweep's own.
    """
    return read_records(path)[0]


def read_records(path: str | os.PathLike[str]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """:func:`read_results`, with the line each record's last copy is on (for :func:`check_reused`'s messages)."""
    p = Path(path)
    if p.is_dir():
        p = p / RESULTS_FILE
    done: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    if not p.exists():
        return done, lines
    _read(p, done, lines)
    return done, lines


def _read(p: Path, done: dict[str, dict[str, Any]], lines: dict[str, int]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    with p.open("r", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = loads_unique(line)
            except DuplicateKeyError as exc:  # json.loads kept the last value (scale24); one record a line
                _foreign(p, n, f"its key {exc.key!r} is given twice (a JSON reader keeps the last value silently)")
            except ValueError as exc:
                if not line.endswith("\n"):
                    continue  # the last line, cut short by a crash: its point runs again
                # nested too deeply: the parser's RecursionError, as loads_unique raises it (fix25b)
                deep = "nested too deeply: " if isinstance(exc, NestedTooDeepError) else ""
                _foreign(p, n, f"it is not JSON ({deep}{_clip(line)})")
            why = _not_a_record(rec)
            if why:
                _foreign(p, n, why)
            key = (rec["id"], rec.get("host"), rec.get("pid"), rec.get("finished_at"))
            if key in seen and rec.get("finished_at") is not None:
                _foreign(p, n, f"it repeats the record of line {seen[key]} (point {rec['id']}, the same process "
                               "and finish time): a copy, not a run of the point")
            seen[key] = n
            rederive(rec)  # a row's label, unit and verdict: worked out from its figures, never read back (fix28a)
            done[rec["id"]] = rec
            lines[rec["id"]] = n


def check_reused(path: str | os.PathLike[str], grid: Grid, reused: Mapping[str, Mapping[str, Any]],
                 lines: Mapping[str, int]) -> None:
    """MmsimError naming the file, line and key for a record a resumed sweep would reuse that breaks what a run of
    ``grid`` guarantees between it, the grid, its event store and its baseline point's record
    (:func:`~mmsim.sweep.record_context.bad_reused`: a comparison row missing, a row no run of the grid writes, an
    ``n_events`` the store contradicts...), before anything runs."""
    p = Path(path)
    stores: dict[str, Any] = {}
    for point in grid.points:
        rec = reused.get(point.id)
        if rec is not None:
            why = bad_reused(rec, grid, point, reused, stores)
            if why:
                _foreign(p, lines.get(point.id, 0), why)


_RECORD_HELP = ('a sweep record is a JSON object with a 16-hex-digit "id" and a "status" of "ok" or "error", '
                "one a line")


def _not_a_record(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return f"it is a JSON {type(rec).__name__ if rec is not None else 'null'}, not a sweep record ({_RECORD_HELP})"
    rid = rec.get("id")
    if not (isinstance(rid, str) and len(rid) == 16 and all(c in "0123456789abcdef" for c in rid)):
        return f"its \"id\" is {json.dumps(rid)}, not a sweep point's id ({_RECORD_HELP})"
    if rec.get("status") not in ("ok", "error"):
        return f"its \"status\" is {json.dumps(rec.get('status'))}, not a sweep record's ({_RECORD_HELP})"
    # The parts a sweep reads back: a hand-edited "metrics": "zzz" was a traceback, a record
    # without its figures was reused as a finished point.
    if rec["status"] == "ok" and not isinstance(rec.get("metrics"), dict):
        return (f"it is a finished point's record without its figures (\"metrics\" is "
                f"{json.dumps(rec.get('metrics'))}, not a JSON object)")
    for key in ("overrides", "error", "comparison"):
        if rec.get(key) is not None and not isinstance(rec[key], dict):
            return f"its \"{key}\" is {json.dumps(rec[key])}, not a JSON object"
    if isinstance(rec.get("metrics"), dict):
        for name, value in rec["metrics"].items():
            why = bad_metric(name, value)
            if why:
                return why
        if why := metrics_problem(rec["metrics"]):  # what one run guarantees between its figures (breaker29)
            return why
    return bad_field(rec)  # its other fields a resume reads back: its comparison, events, error... (fix27b)


def _is_record(data: bytes) -> bool:
    try:
        return _not_a_record(loads_unique(data)) is None
    except ValueError:
        return False


def _clip(line: str, n: int = 40) -> str:
    text = line.strip()
    return repr(text if len(text) <= n else text[:n] + "...")


def _foreign(path: Path, n: int, why: str) -> NoReturn:
    raise MmsimError(f"{path} line {n}: {why}; the sweep writes only its own records there: remove that line "
                     "(or give the sweep another -o)")


#: Lock file in the output directory, held by the sweep writing there (``flock``: freed when
#: its process ends, however it ends).
LOCK_FILE = ".mmsim-sweep.lock"


def check_output_dir(out: Path) -> None:
    """ConfigError for an existing non-empty directory that is not a sweep's output, ``--force`` or not.

    A sweep's output is what a resume reads: it holds ``results.jsonl`` or the lock file every
    sweep writing there leaves (:data:`LOCK_FILE`), or only ``points/`` (``mmsim sweep --point``).
    Anything else is someone's folder: the sweep would write its results.jsonl, results.csv,
    sweep.html and plots among its files (a ``results.csv`` of theirs replaced), and ``--force``
    does not make it the sweep's.
    """
    out = Path(out)
    if not out.is_dir():
        return
    try:
        names = visible_entries(out)  # a folder of only .gitkeep / .DS_Store is empty (they are kept)
    except OSError:
        return  # the sweep's own attempt to write there says why
    if not names or RESULTS_FILE in names or LOCK_FILE in names or names == ["points"]:
        return
    raise ConfigError(f"{out}: not empty and not a sweep's output (no {RESULTS_FILE} or {LOCK_FILE}): it holds "
                      f"{describe_entries(out, names)}; the sweep would write its {RESULTS_FILE}, results.csv, sweep.html and plots "
                      "among them (replacing any of those names); refusing, even with --force: give -o a new or "
                      "empty directory, or a sweep's own")


def _make_dir(out: Path) -> None:
    """Create the output directory, or a ConfigError saying in one line why it cannot be. A symbolic link is
    made where it points (a dangling one too, its parents made; the link kept), the rule of every other ``-o``
    (:func:`mmsim._paths.output_target`)."""
    from .._paths import output_target

    try:
        output_target(out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # `-o grid.yaml` (a file): say so in one line, not `[Errno 17] File exists: 'grid.yaml'`.
        why = "it is a file, not a directory" if out.is_file() else (exc.strerror or str(exc))
        raise ConfigError(f"{out}: cannot write the sweep's results there: {why}") from None


class _DirLock:
    """One sweep at a time per output directory: two would each run every point and append it twice."""

    def __init__(self, out: Path) -> None:
        import fcntl

        _make_dir(out)
        self.path = out / LOCK_FILE
        self._fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.seek(0)
            holder = self._fh.read().strip() or "another process"
            self._fh.close()
            raise MmsimError(f"{out}: another sweep is writing there ({holder}); wait for it to finish, or give "
                             "this one another -o") from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        self._fh.flush()

    def release(self) -> None:
        self._fh.close()  # closing frees the lock


class _ResultsWriter:
    """Appends one JSON line per finished point; each is on disk before the next is taken."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _make_dir(path.parent)
        try:
            self._fh = path.open("ab")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write the sweep's results there: {exc.strerror or exc}") from None
        # A crash mid-write can leave a partial last line; cut it so the next
        # record starts on a line of its own (read_results already skips it).
        size = self._fh.seek(0, os.SEEK_END)
        if size:
            with path.open("rb") as r:
                r.seek(size - 1)
                last = r.read(1)
            if last != b"\n":
                keep = _last_newline(path, size)
                with path.open("rb") as r:
                    r.seek(keep)
                    tail = r.read()
                if _is_record(tail):  # a whole record whose newline was lost (an editor): keep it
                    self._fh.write(b"\n")
                    self._fh.flush()
                else:
                    self._fh.truncate(keep)
                    self._fh.seek(keep)
        self._size = self._fh.tell()  # what the file holds when it is still ours
        self._written = 0  # records this writer appended

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record; refuse if the file is no longer the one being written.

        Raises
        ------
        MmsimError
            The results file was deleted, replaced or truncated since the sweep opened it:
            writing on would put every later record in a file no one can read (or after a
            hole), and the summary would be computed from records the file no longer has.
        """
        self._check_still_ours()
        line = json.dumps(json_clean(record), allow_nan=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._size += len(data)
        self._written += 1

    def _check_still_ours(self) -> None:
        mine = os.fstat(self._fh.fileno())
        try:
            there = os.stat(self.path)
        except FileNotFoundError:
            what = "was deleted"
        else:
            if (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
                what = "was replaced by another file"
            elif there.st_size < self._size:
                what = f"was truncated ({there.st_size} bytes, {self._size} written)"
            else:
                return
        raise MmsimError(f"{self.path} {what} while the sweep ran; the sweep stops rather than write on "
                         f"(this sweep had appended {self._written} record(s), and each point's record is "
                         "its only copy); run the same command again to resume: the points whose records "
                         "are missing from the file run again")

    def close(self) -> None:
        self._fh.close()


def _last_newline(path: Path, size: int) -> int:
    with path.open("rb") as r:
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            r.seek(start)
            chunk = r.read(pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                return start + i + 1
            pos = start
    return 0


def _flatten(rec: Mapping[str, Any], grid: Grid, point: SweepPoint | None = None) -> dict[str, Any]:
    # What the record copies from its grid point (its index, its values as written, repeat, seed, and the digest of
    # its resolved run config: what `mmsim run` of its config prints in the report header) is the grid's point that
    # its id names, not the record's copy: a hand-edited "overrides" showed the 0ms point's figures as a second 1s
    # row, and a grid with a value added before the others showed each reused point at its old index (fix27b).
    if point is not None:
        copied: Mapping[str, Any] = {"index": point.index, "overrides": point.overrides, "repeat": point.repeat,
                                     "seed": int(point.config.engine.latency.seed), "digest": point.config.digest()}
    else:
        copied = {"index": rec.get("index"), "overrides": rec.get("overrides") or {}, "repeat": rec.get("repeat", 0),
                  "seed": rec.get("seed"), "digest": rec.get("digest")}
    # Beside it, the digest of the events the point replayed (its store's meta.json events_digest when it ran): two
    # points with equal ones replayed the same events, whatever path their stores are at (None: not recorded).
    events = rec.get(DATA_FIELD)
    row: dict[str, Any] = {"id": rec["id"], "digest": copied["digest"],
                           DATA_FIELD: events if isinstance(events, str) else None, "index": copied["index"],
                           "repeat": copied["repeat"], "seed": copied["seed"], "status": rec.get("status")}
    for k in grid.keys:
        row[k] = copied["overrides"].get(k)
    for k, v in (rec.get("metrics") or {}).items():
        row[k if k not in row else f"metric.{k}"] = v
    if grid.baseline is not None:
        if rec.get("status") == "ok":
            row.update(columns(rec.get("comparison")))
        else:  # a failed point has no comparison to show: its baseline point is the grid's (as a finished one's,
            # whose recorded one is the grid's or it runs again: resume._todo)
            row.update(baseline=grid.baseline.of.get(rec["id"]), verdict=None)
    err = rec.get("error") or {}
    row.update(n_events=rec.get("n_events"), elapsed_s=rec.get("elapsed_s"),
               error_type=err.get("type"), error_message=err.get("message"),
               units_warning=point_units_warning(rec, point))  # worked out again for a record without it
    return row


def to_array(rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Sweep records as a structured numpy array, one field per column.

    Numeric columns become ``float64`` (``int64`` when every value is an
    integer and none is missing, ``uint64`` when one is past int64 and none is
    negative: a latency seed of 2**64 - 1; integers no 64-bit type holds are
    their digits, a string column; missing numbers are NaN), booleans ``bool``,
    anything else a unicode string: durations and strings as written, a mapping
    or list as results.csv writes it (a latency model as its label,
    ``recorded + 50ms``; anything else as YAML flow). A value built in Python
    is taken as its plain value (``np.int64(1)`` an integer, a ``Path`` its text).

    Raises
    ------
    TypeError
        ``rows`` is not a sequence of mappings: a path (a results folder or file: its rows are
        ``run_sweep(GRID, out=FOLDER)``'s, which reads the recorded points back), a mapping
        (:func:`read_results`' records by id: their ``.values()``), or a row that is not a mapping.
    """
    _check_rows(rows)
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    dtypes: list[tuple[str, str]] = []
    cols: list[list[Any]] = []
    for name in names:
        vals = [plain_value(r.get(name)) for r in rows]  # np.int64(1) an int (it was the string 'np.int64(1)')
        present = [v for v in vals if v is not None]
        ints = bool(present) and all(_is_int(v) for v in present) and len(present) == len(vals)
        if present and all(isinstance(v, bool) for v in present) and len(present) == len(vals):
            dtypes.append((name, "?"))
            cols.append(vals)
        elif ints and -2**63 <= min(vals) and max(vals) < 2**64 and (max(vals) < 2**63 or min(vals) >= 0):
            # uint64 when one is past int64 and none is negative (a latency seed of 2**64 - 1 raised OverflowError)
            dtypes.append((name, "<i8" if max(vals) < 2**63 else "<u8"))
            cols.append(vals)
        elif not ints and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            dtypes.append((name, "<f8"))
            cols.append([np.nan if v is None else float(v) for v in vals])
        else:
            # a mapping or list as results.csv writes it (`recorded + 50ms`; labels.typed_form)
            text = ["" if v is None else typed_form(v, name) if isinstance(v, (dict, list)) else _label(v) for v in vals]
            dtypes.append((name, f"<U{max(1, max((len(t) for t in text), default=1))}"))
            cols.append(text)
    arr = np.zeros(len(rows), dtype=dtypes)
    for (name, _), col in zip(dtypes, cols):
        arr[name] = col
    return arr


def _check_rows(rows: Any) -> None:
    """TypeError naming what :func:`to_array` takes, for anything but a sequence of mappings (a results folder's
    path raised ``AttributeError: 'str' object has no attribute 'get'``; newcomer17)."""
    takes = "mmsim.sweep.to_array takes sweep rows (the list of dicts run_sweep returns, one per point)"
    if isinstance(rows, (str, bytes, os.PathLike)):
        raise TypeError(f"{takes}, not a path ({os.fsdecode(rows)!r}); a results folder's rows are "
                        "mmsim.sweep.run_sweep(GRID, out=FOLDER)'s (it reads the points recorded there back and "
                        "runs only those missing), its raw records list(mmsim.sweep.read_results(FOLDER).values())")
    if isinstance(rows, Mapping):
        raise TypeError(f"{takes}, not a mapping; for read_results' records by id, pass list(records.values())")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise TypeError(f"{takes}: row {i} is a {type(r).__name__}, not a dict")
