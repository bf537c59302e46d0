"""The one JSON cleaner (plain, strict JSON values from report dicts, sweep records and result metadata) and the one
JSON reader of files a user may edit or that may be damaged (:func:`loads_unique`: a key given twice is refused)."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

__all__ = ["DuplicateKeyError", "NestedTooDeepError", "json_clean", "json_fault", "loads_unique"]


class DuplicateKeyError(json.JSONDecodeError):
    """A JSON object that gives one key twice. ``key`` is the key, ``lineno`` the line of its second occurrence
    (``pos`` its offset), ``first_lineno`` the line of the first. A :class:`json.JSONDecodeError`, so a reader that
    takes an unreadable file as absent takes this one so too."""

    def __init__(self, key: str, doc: str, pos: int, first_pos: int) -> None:
        first = doc.count("\n", 0, first_pos) + 1
        super().__init__(f"key {key!r} is given twice (first on line {first}); a JSON reader keeps the last value "
                         "silently, mmsim refuses the file: keep one", doc, pos)
        self.key, self.first_lineno = key, first


class NestedTooDeepError(json.JSONDecodeError):
    """A JSON text nested deeper than Python's parser can follow (``[[[...]]]`` 100,000 levels: the parser's
    :class:`RecursionError`). A :class:`json.JSONDecodeError` (``msg`` ``nested too deeply``, no useful line: the
    depth at which the parser stops depends on the stack), so every reader's handling of a file that is not JSON
    names this one so too; its ``str`` is ``nested too deeply`` (:func:`json_fault` gives ``not valid JSON (nested
    too deeply)``)."""

    def __init__(self, doc: str) -> None:
        super().__init__("nested too deeply", doc, 0)

    def __str__(self) -> str:
        return self.msg


class _Twice(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Twice(k)
        out[k] = v
    return out


#: A JSON string (its escapes kept) or one of the punctuation marks that say where a key is.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]', re.S)


def _first_twice(text: str) -> tuple[str, int, int] | None:
    """(key, offset of its second occurrence, offset of its first) of the first key given twice in one object, in
    the text's order; None when there is none. One pass of a regular expression over ``text``, on the error path
    only (the parser's hook knows the key, not where it is)."""
    stack: list[dict[str, int] | None] = []
    prev: tuple[str, int] | None = None
    for m in _TOKEN.finditer(text):
        t = m.group()
        if t == ":" and prev is not None and stack and stack[-1] is not None:
            seen = stack[-1]
            if prev[0] in seen:
                return prev[0], prev[1], seen[prev[0]]
            seen[prev[0]] = prev[1]
        elif t in "{[":
            stack.append({} if t == "{" else None)
        elif t in "}]" and stack:
            stack.pop()
        prev = (json.loads(t), m.start()) if t.startswith('"') else None
    return None


def loads_unique(text: str | bytes) -> Any:
    """:func:`json.loads` of ``text`` that refuses an object giving a key twice (``json.loads`` keeps the last value:
    a ``meta.json`` with ``"tick_size": 0.01`` then ``"tick_size": 1.0`` made every money figure 100 times larger).

    The one reader of the JSON files a user may edit or that may be damaged: a store's ``meta.json``, a run's
    ``result.json``, a sweep's ``results.jsonl`` lines, an ``.npz``'s ``mmsim_meta``. NaN and Infinity are read as
    :func:`json.loads` reads them (the callers' key checks refuse them).

    Raises
    ------
    DuplicateKeyError
        A key given twice in one object, with the line of each occurrence.
    NestedTooDeepError
        Nested too deeply for the parser (a :class:`json.JSONDecodeError`, not the parser's RecursionError).
    json.JSONDecodeError
        Not JSON (:func:`json.loads`'s error).
    """
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _Twice as twice:
        found = _first_twice(text)
        key, pos, first = found if found is not None else (twice.key, 0, 0)
        raise DuplicateKeyError(key, text, pos, first) from None
    except RecursionError:
        raise NestedTooDeepError(text) from None
    except ValueError as exc:  # a JSONDecodeError is one: re-raised as it is
        if isinstance(exc, json.JSONDecodeError):
            raise
        # An integer of more than Python's 4300 digits (sys.get_int_max_str_digits): a ValueError traceback.
        raise json.JSONDecodeError(f"a number of more digits than Python reads ({sys.get_int_max_str_digits()})",
                                   text, _long_number(text)) from None


def _long_number(text: str) -> int:
    """Offset of the first run of more than :func:`sys.get_int_max_str_digits` digits in ``text`` (0: none)."""
    m = re.search(r"[0-9]{%d,}" % (sys.get_int_max_str_digits() + 1), text)
    return m.start() if m else 0


def json_fault(exc: json.JSONDecodeError) -> str:
    """What is wrong with a file :func:`loads_unique` refused, after its name: ``line 46: key 'tick_size' is given
    twice (first on line 45); ...``, ``line 3: not valid JSON (Expecting ',' delimiter)`` or, with no line (where the
    parser stops depends on its stack), ``not valid JSON (nested too deeply)``."""
    if isinstance(exc, NestedTooDeepError):
        return f"not valid JSON ({exc.msg})"
    if isinstance(exc, DuplicateKeyError):
        return f"line {exc.lineno}: {exc.msg}"
    return f"line {exc.lineno}: not valid JSON ({exc.msg})"


def json_clean(obj: Any) -> Any:
    """A strict-JSON copy of ``obj``.

    Mappings get string keys; tuples and lists become lists; numpy scalars become
    Python numbers (``np.bool_`` a bool); non-finite floats become None (JSON has no
    NaN); paths and any other object become their ``str``.
    """
    if isinstance(obj, Mapping):
        return {str(k): json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, PurePath):
        return str(obj)
    return str(obj)
