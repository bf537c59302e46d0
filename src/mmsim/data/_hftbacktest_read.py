"""hftbacktest's event format (``hftbacktest.types``, v2) and the reading of its ``.npz``/``.npy`` files in chunks,
with the checks made on the raw rows (NaN or infinite values, local_ts order); :mod:`.hftbacktest` converts them."""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._json import DuplicateKeyError, loads_unique
from .._scales import UNIT_RULE, unit_problem
from ..errors import DataError
from ._common import RECV_WINDOW_NS, late_step, seconds_over
from ._identity import DROPPED, THROUGH, ZONE_RULE, implied_problem, known_zone, through_problem
from .implied import QUIRK

__all__ = [
    "HBT_EVENT_DTYPE", "DEPTH_EVENT", "TRADE_EVENT", "DEPTH_CLEAR_EVENT", "DEPTH_SNAPSHOT_EVENT", "DEPTH_BBO_EVENT",
    "ADD_ORDER_EVENT", "CANCEL_ORDER_EVENT", "MODIFY_ORDER_EVENT", "FILL_EVENT", "EXCH_EVENT", "LOCAL_EVENT",
    "BUY_EVENT", "SELL_EVENT", "SIDED_CLEARS", "sided_clears", "FILL_FOLLOWED", "fills_followed",
]

#: hftbacktest's ``event_dtype`` (hftbacktest.types, v2).
HBT_EVENT_DTYPE = np.dtype(
    [
        ("ev", "<u8"),
        ("exch_ts", "<i8"),
        ("local_ts", "<i8"),
        ("px", "<f8"),
        ("qty", "<f8"),
        ("order_id", "<u8"),
        ("ival", "<i8"),
        ("fval", "<f8"),
    ],
    align=True,
)

DEPTH_EVENT = 1
TRADE_EVENT = 2
DEPTH_CLEAR_EVENT = 3
DEPTH_SNAPSHOT_EVENT = 4
DEPTH_BBO_EVENT = 5
ADD_ORDER_EVENT = 10
CANCEL_ORDER_EVENT = 11
MODIFY_ORDER_EVENT = 12
FILL_EVENT = 13
EXCH_EVENT = 1 << 31
LOCAL_EVENT = 1 << 30
BUY_EVENT = 1 << 29
SELL_EVENT = 1 << 28

_DIGITS = 8
_CHUNK = 1 << 18

#: The keys of a store's meta.json an export writes into its ``.npz`` (the array ``mmsim_meta``, a JSON string, which
#: hftbacktest does not read) and an import takes as its defaults: what the file's numbers mean.
META_KEYS = ("tick_size", "lot_size", "contract_size", "symbol", "venue", "time_zone", "local_ts_recorded")

#: The ``mmsim_meta`` key of a trade-implied store's export: its ``meta.json`` ``quirks.trade_implied_book`` (the
#: transform's counts), which the import writes back into the store's quirks (newcomer17: before, the round trip of
#: a trade-implied store, one ``events_digest``, was a plain store to every command).
IMPLIED_KEY = QUIRK

#: The ``mmsim_meta`` key of the export of a store whose prints through the book were dropped
#: (``drop_prints_through_book``): its ``meta.json`` ``quirks.prints_through_book`` with ``"dropped": true``, which the
#: import writes back (its events hold none of those prints, so its own count finds none). A record of prints the
#: events still hold is not carried: the import counts those itself.
DROPPED_KEY = THROUGH


_PRICED = (DEPTH_EVENT, TRADE_EVENT, DEPTH_SNAPSHOT_EVENT, ADD_ORDER_EVENT, MODIFY_ORDER_EVENT, FILL_EVENT)
_SIDED = (DEPTH_EVENT, DEPTH_SNAPSHOT_EVENT, ADD_ORDER_EVENT)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


def _chunks(path: Path) -> Iterator[np.ndarray]:
    """Stream the event array of a ``.npz`` (key ``data``) or ``.npy`` in chunks."""
    if zipfile.is_zipfile(path):
        try:
            zf = zipfile.ZipFile(path)
        except _ZIP_ERRORS as exc:
            raise DataError(f"{path}: not a readable .npz ({exc})") from None
        with zf:
            names = zf.namelist()
            name = "data.npy" if "data.npy" in names else next((n for n in names if n.endswith(".npy")), None)
            if name is None:
                raise DataError(f"{path}: no .npy array inside the .npz")
            with zf.open(name) as f:
                yield from _read_npy_stream(path, f)
    else:
        with open(path, "rb") as f:
            if f.read(4) == b"PK\x03\x04":
                raise DataError(f"{path}: a truncated or corrupt .npz (its zip directory is missing)")
            f.seek(0)
            yield from _read_npy_stream(path, f)


#: The event types of hftbacktest's market-by-order (L3) rows, by name.
L3_TYPES = {ADD_ORDER_EVENT: "ADD_ORDER_EVENT", MODIFY_ORDER_EVENT: "MODIFY_ORDER_EVENT",
            CANCEL_ORDER_EVENT: "CANCEL_ORDER_EVENT", FILL_EVENT: "FILL_EVENT"}


def refuse_l3(path: Path, ch: np.ndarray, base: int) -> None:
    """Refuse a chunk's first exchange-side L3 row (:data:`L3_TYPES`), naming its record (1-based, every row of the
    file, as the import's errors count; ``base`` rows of the file came before the chunk) and event type: a
    conversion that needs L2 data (``--trade-implied-book``) says it in its own pass over the file, before the
    chunk's other checks (loadbreak18: before, a pass of its own read each file once more)."""
    typ = ch["ev"] & np.uint64(0xFF)
    hit = np.flatnonzero(((ch["ev"] & np.uint64(EXCH_EVENT)) != 0) & np.isin(typ, list(L3_TYPES)))
    if len(hit):
        raise DataError(f"{path}: record {base + int(hit[0]) + 1}: {L3_TYPES[int(typ[hit[0]])]}, an L3 row: a "
                        "trade-implied book needs L2 data (on L3 data each execution removes its order: there is "
                        "nothing to imply)")


def refuse_implied(path: Path, meta: dict) -> None:
    """Refuse a file whose ``mmsim_meta`` says its book is already trade-implied (an export of a trade-implied
    store), for a conversion that makes a trade-implied book."""
    if IMPLIED_KEY in meta:
        raise DataError(f"{path}: its book is already trade-implied (its mmsim_meta {IMPLIED_KEY}: an export "
                        "of a trade-implied store)")


#: The ``mmsim_meta`` key and value of an export that writes a store's whole-book ``CLEAR`` (side 0) as one clear
#: without a side flag (hftbacktest clears both sides), so its clears of a side each, even of both sides at one
#: time, are the store's sided ``CLEAR``s; a file without it (hftbacktest's converters, mmsim's exports before 17)
#: has a clear of each side of a NaN price at one time read as one ``CLEAR`` of the whole book.
SIDED_CLEARS = ("clears", "sided")


#: The ``mmsim_meta`` key and value of an export (18 on) that writes a store's ``EXECUTE`` as two rows at its time: the
#: ``FILL`` (the print, as hftbacktest's Databento converter writes a venue's ``F``), then the row that changes
#: hftbacktest's book, a ``CANCEL`` of the filled size when the execute empties the order, else a ``MODIFY`` to its
#: remaining size (hftbacktest's L3 replay changes its book only on those). The import absorbs that row; a file
#: without the key (exports before 18, other writers') has its ``FILL`` rows read as the ``EXECUTE`` alone.
FILL_FOLLOWED = ("executes", "fill_then_book_row")


def _marked(path: Path, mark: tuple[str, str]) -> bool:
    """Whether ``path``'s ``mmsim_meta`` has ``mark`` (key, value); the key with another value is an error naming the
    file."""
    meta = _raw_meta(path) or {}
    key, value = mark
    if key in meta and meta[key] != value:
        raise DataError(f"{path}: its mmsim_meta {key} is {meta[key]!r}, not {value!r}")
    return key in meta


def sided_clears(path: Path) -> bool:
    """Whether ``path``'s clears of each side at one time are two sided ``CLEAR``s (its ``mmsim_meta`` says
    :data:`SIDED_CLEARS`), not one of the whole book. A ``clears`` of another value is an error naming the file."""
    return _marked(path, SIDED_CLEARS)


def fills_followed(path: Path) -> bool:
    """Whether each ``FILL`` row of ``path`` is followed by its order's ``CANCEL``/``MODIFY`` row (its ``mmsim_meta``
    says :data:`FILL_FOLLOWED`). An ``executes`` of another value is an error naming the file."""
    return _marked(path, FILL_FOLLOWED)


def _raw_meta(path: Path) -> dict | None:
    """The ``mmsim_meta`` JSON object of a ``.npz`` (as written), or None when it has none."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            if "mmsim_meta.npy" not in zf.namelist():
                return None
            with zf.open("mmsim_meta.npy") as f:
                meta = loads_unique(str(np.lib.format.read_array(f, allow_pickle=False)[()]))
    except DuplicateKeyError as exc:  # json.loads kept the last value (scale24)
        raise DataError(f"{path}: its mmsim_meta: {exc.msg}") from None
    except (*_ZIP_ERRORS, ValueError, TypeError, IndexError) as exc:
        raise DataError(f"{path}: its mmsim_meta array is not readable ({exc})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{path}: its mmsim_meta is not a JSON object")
    return meta


def _file_meta(path: Path) -> dict | None:
    """The ``mmsim_meta`` of a ``.npz`` mmsim exported (its store's tick, lot, symbol, ...), or None."""
    meta = _raw_meta(path)
    if meta is None:
        return None
    for k in ("tick_size", "lot_size", "contract_size"):
        v = meta.get(k)
        if k in meta and unit_problem(v) is not None:  # a store's bounds (scale24): the store it makes must load
            shown = v if not isinstance(v, int) or abs(v) < 10**20 else f"an integer of {len(str(abs(v)))} digits"
            raise DataError(f"{path}: its mmsim_meta {k} is {shown!r}, not {UNIT_RULE}")
    for k in ("symbol", "venue", "time_zone"):
        if k in meta and not isinstance(meta[k], str):
            raise DataError(f"{path}: its mmsim_meta {k} is {meta[k]!r}, not a string")
    if "local_ts_recorded" in meta and not isinstance(meta["local_ts_recorded"], bool):
        raise DataError(f"{path}: its mmsim_meta local_ts_recorded is {meta['local_ts_recorded']!r}, not true or false")
    if "time_zone" in meta and not known_zone(meta["time_zone"]):
        raise DataError(f"{path}: its mmsim_meta time_zone is {meta['time_zone']!r}, not {ZONE_RULE}")
    if IMPLIED_KEY in meta and (why := implied_problem(meta[IMPLIED_KEY])) is not None:
        raise DataError(f"{path}: its mmsim_meta {IMPLIED_KEY} {why}")
    if DROPPED_KEY in meta and (why := dropped_problem(meta[DROPPED_KEY])) is not None:
        raise DataError(f"{path}: its mmsim_meta {DROPPED_KEY} {why}")
    return {k: meta[k] for k in (*META_KEYS, IMPLIED_KEY, DROPPED_KEY) if k in meta}


def dropped_problem(v: object) -> str | None:
    """Why ``v`` is not the record of dropped prints an export carries (:data:`DROPPED_KEY`): a ``prints_through_book``
    quirk by its rule (:func:`mmsim.data._identity.through_problem`) that says ``"dropped": true``, else None."""
    if (why := through_problem(v)) is not None:
        return why
    assert isinstance(v, dict)
    if DROPPED[0] not in v:
        return (f"has no {DROPPED[0]!r}: an export carries the record of prints dropped from its events only (the "
                "import counts the prints its events hold)")
    return None


def _read_npy_stream(path: Path, f) -> Iterator[np.ndarray]:
    try:
        with warnings.catch_warnings():
            # A damaged header can look like a Python 2 one (numpy warns, then fails).
            warnings.simplefilter("ignore")
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
    except Exception as exc:  # numpy's header parser raises ValueError, SyntaxError, TokenError, ...
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: not a numpy array file ({why})") from None
    if not isinstance(dtype, np.dtype) or not isinstance(shape, tuple):
        raise DataError(f"{path}: not a numpy array file (a header without dtype and shape)")
    if (
        dtype.names is None
        or set(dtype.names) != set(HBT_EVENT_DTYPE.names or ())
        or any(dtype[n] != HBT_EVENT_DTYPE[n] for n in HBT_EVENT_DTYPE.names or ())
    ):
        raise DataError(
            f"{path}: dtype {dtype} is not hftbacktest's v2 event_dtype "
            "(ev u8, exch_ts i8, local_ts i8, px f8, qty f8, order_id u8, ival i8, fval f8)"
        )
    if len(shape) != 1 or fortran:
        raise DataError(f"{path}: the event array has shape {shape}; hftbacktest's is one-dimensional")
    n = shape[0]
    done = 0
    while done < n:
        k = min(_CHUNK, n - done)
        try:
            buf = f.read(k * dtype.itemsize)
        except _ZIP_ERRORS as exc:
            raise DataError(f"{path}: record {done + 1}: file is corrupt or truncated ({exc})") from None
        if len(buf) != k * dtype.itemsize:
            raise DataError(f"{path}: record {done + len(buf) // dtype.itemsize + 1}: file is truncated")
        yield np.frombuffer(buf, dtype=dtype)
        done += k


def _check_floats(p: Path, ch: np.ndarray, idx: np.ndarray, base: int, typ: np.ndarray,
                  sized: np.ndarray | None = None) -> None:
    """NaN or infinite prices and sizes of priced rows (sizes of the ``sized`` rows too) are an error naming the
    record."""
    priced = np.isin(typ, _PRICED)
    for field, what, rows in (("px", "price", priced), ("qty", "size", priced if sized is None else sized)):
        bad = rows & ~np.isfinite(ch[field])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{p}: record {base + int(idx[i]) + 1}: {what} is {float(ch[field][i])}")


def _check_local_order(p: Path, ch: np.ndarray, base: int, top: tuple[int, int]) -> tuple[int, int]:
    """Rows come in local_ts order within 10 s (EXCH_EVENT rows in exch_ts order); returns the new ``top``."""
    li = np.flatnonzero((ch["ev"] & (EXCH_EVENT | LOCAL_EVENT)) != 0)
    t = ch["local_ts"][li].astype(np.int64)
    if not len(t):
        return top
    late, k, latest = late_step(top[0], t, RECV_WINDOW_NS)
    at = (latest, top[1] if k < 0 else base + int(li[k]) + 1)
    if late is not None:  # a row stamped late would hold a recorded feed back to it
        raise DataError(f"{p}: record {base + int(li[late]) + 1}: local_ts {int(t[late])} is "
                        f"{seconds_over(at[0] - int(t[late]))} s before record {at[1]}'s ({at[0]}); rows are in "
                        "local_ts order (EXCH_EVENT rows within their feed latency), so one of the two is wrong")
    return at
