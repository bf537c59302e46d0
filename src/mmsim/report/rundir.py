"""A run directory on disk: the records and totals `mmsim report RUN_DIR` reads back.

Layout (written by :func:`save_run`, read by :func:`load_run`)::

    RUN_DIR/run.json          totals, config (Config.to_dict()), meta, events path
    RUN_DIR/fills.npy         FILL_DTYPE (required; the others may be absent)
    RUN_DIR/orders.npy        ORDER_LOG_DTYPE
    RUN_DIR/samples.npy       SAMPLE_DTYPE
    RUN_DIR/fill_signals.npy  one float64 field per signal

The events are not copied: ``run.json`` names the event store (``events``,
else ``config.data``), a directory holding ``events.npy`` or an ``.npy`` file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..errors import ConfigError, DataError
from ..events import EVENT_DTYPE
from ..records import FILL_DTYPE, ORDER_LOG_DTYPE, SAMPLE_DTYPE

__all__ = ["RUN_FORMAT", "RunData", "load_events", "load_run", "save_run"]

#: Value of run.json's ``format`` key.
RUN_FORMAT = "mmsim.run/1"

_ARRAYS = {"fills": FILL_DTYPE, "orders": ORDER_LOG_DTYPE, "samples": SAMPLE_DTYPE, "fill_signals": None}


@dataclass
class RunData:
    """A run read back from disk, with the attributes of :class:`mmsim.Result` the report uses."""

    fills: np.ndarray
    orders: np.ndarray
    samples: np.ndarray
    fill_signals: np.ndarray | None
    position: int
    cash_ticks: int
    fees: float
    tick_value: float
    config: Config
    meta: dict[str, Any] = field(default_factory=dict)
    n_events: int = 0
    events_path: str = ""

    @property
    def cash(self) -> float:
        """Cash in quote currency, fees deducted."""
        return self.cash_ticks * self.tick_value - self.fees


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def save_run(result: Any, run_dir: str | Path, *, events_path: str | Path | None = None) -> Path:
    """Write a run's records and totals so that ``mmsim report RUN_DIR`` can read them back.

    Parameters
    ----------
    result : mmsim.Result
        The finished run.
    run_dir : str or Path
        Directory, created if missing.
    events_path : str or Path, optional
        The event store the run replayed (default ``result.config.data``).

    Returns
    -------
    Path
        The run directory.
    """
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        arr = getattr(result, name, None)
        if arr is not None:
            np.save(out / f"{name}.npy", np.asarray(arr), allow_pickle=False)
    cfg = getattr(result, "config", None)
    doc = {
        "format": RUN_FORMAT,
        "events": str(events_path if events_path is not None else getattr(cfg, "data", "") or ""),
        "position": int(result.position),
        "cash_ticks": int(result.cash_ticks),
        "fees": float(result.fees),
        "cash": float(getattr(result, "cash", result.cash_ticks * result.tick_value - result.fees)),
        "tick_value": float(result.tick_value),
        "n_events": int(getattr(result, "n_events", 0) or 0),
        "n_calls": int(getattr(result, "n_calls", 0) or 0),
        "elapsed_s": float(getattr(result, "elapsed_s", 0.0) or 0.0),
        "meta": _plain(dict(getattr(result, "meta", None) or {})),
        "config": cfg.to_dict() if isinstance(cfg, Config) else {},
    }
    (out / "run.json").write_text(json.dumps(doc, indent=2) + "\n")
    return out


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory written by :func:`save_run`.

    Raises
    ------
    DataError
        Naming the file and the reason when the directory is not a run.
    """
    d = Path(run_dir)
    meta_path = d / "run.json"
    if not meta_path.is_file():
        raise DataError(f"{d}: not a run directory (no run.json; write one with mmsim run or mmsim.report.save_run)")
    try:
        doc = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{meta_path} line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != RUN_FORMAT:
        raise DataError(f"{meta_path}: format is {doc.get('format') if isinstance(doc, dict) else None!r}, "
                        f"expected {RUN_FORMAT!r}")
    for key in ("position", "cash_ticks", "fees", "tick_value"):
        if key not in doc:
            raise DataError(f"{meta_path}: missing key {key!r}")
    arrays: dict[str, Any] = {}
    for name, dtype in _ARRAYS.items():
        p = d / f"{name}.npy"
        if not p.is_file():
            if name == "fills":
                raise DataError(f"{p}: missing (a run directory holds {', '.join(k + '.npy' for k in _ARRAYS)})")
            # A run saved without an order log, samples or signals: report what it can.
            arrays[name] = None if dtype is None else np.zeros(0, dtype=dtype)
            continue
        try:
            a = np.load(p, allow_pickle=False)
        except ValueError as e:
            raise DataError(f"{p}: cannot read ({e})") from None
        if dtype is not None and a.dtype != dtype:
            raise DataError(f"{p}: dtype {a.dtype} is not mmsim's {name} record")
        arrays[name] = a
    try:
        config = Config.from_dict(doc.get("config") or {})
    except ConfigError as e:
        raise ConfigError(f"{meta_path}: config: {e}") from None
    return RunData(
        **arrays,
        position=int(doc["position"]),
        cash_ticks=int(doc["cash_ticks"]),
        fees=float(doc["fees"]),
        tick_value=float(doc["tick_value"]),
        config=config,
        meta=dict(doc.get("meta") or {}),
        n_events=int(doc.get("n_events") or 0),
        events_path=str(doc.get("events") or config.data or ""),
    )


def load_events(path: str | Path) -> np.ndarray:
    """Open an event store (a directory with events.npy) or an .npy file, memory-mapped.

    Raises
    ------
    DataError
        Naming the path when it is missing or not an array of EVENT_DTYPE.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "events.npy"
    if not p.is_file():
        raise DataError(f"{p}: event file not found")
    try:
        ev = np.load(p, mmap_mode="r", allow_pickle=False)
    except ValueError as e:
        raise DataError(f"{p}: cannot read ({e})") from None
    if ev.dtype != EVENT_DTYPE:
        raise DataError(f"{p}: dtype {ev.dtype} is not mmsim.EVENT_DTYPE")
    return ev
