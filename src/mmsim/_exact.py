"""Exact integer arithmetic for the report: int64 while every value fits, Python ints past it.

The engine bounds prices (``[-2^62, 2^62)`` ticks), one fill's notional (below 2^62
tick·lots), and the run's cash and position (int64), but not the report's own
products and sums: a markout in half-ticks times a fill's lots, a position times a
mid move, a sum of lots over many fills, or even a markout itself (``2·mid − 2·price``
spans up to 2^64 half-ticks). NumPy's int64 arithmetic wraps silently, so each helper
here checks that its int64 result cannot have wrapped and otherwise computes the same
thing with Python ints (an ``object`` array): exact whatever the sizes, and bit for bit
the int64 answer whenever that one fits (so no number of a run inside the bounds
changes). Conversions to float go through :func:`as_float` (correctly rounded from
the exact integer). ``docs/reports.md``, "Exact arithmetic".
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["add", "as_float", "dot", "isum", "mul", "sub"]

_SAFE = float(2**62)  # a float bound below 2^63 with room for the float estimate's rounding


def _exact(x: np.ndarray) -> bool:
    return x.dtype == object


def _obj(x: Any) -> np.ndarray:
    """An object array of Python ints (int64 elements become Python ints, never np.int64)."""
    arr = np.asarray(x)
    return arr if arr.dtype == object else arr.astype(np.int64).astype(object)


def sub(a: Any, b: Any) -> np.ndarray:
    """``a - b`` elementwise, exact: int64 when no difference wraps, else an object array of Python ints."""
    a, b = np.asarray(a), np.asarray(b)
    if _exact(a) or _exact(b):
        return _obj(a) - _obj(b)
    a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    r = a - b  # wraps silently on overflow; detected below
    # The difference wrapped iff a and b differ in sign and r's sign differs from a's.
    if np.any(((a ^ b) & (a ^ r)) < 0):
        return _obj(a) - _obj(b)
    return r


def add(a: Any, b: Any) -> np.ndarray:
    """``a + b`` elementwise, exact: int64 when no sum wraps, else an object array of Python ints."""
    a, b = np.asarray(a), np.asarray(b)
    if _exact(a) or _exact(b):
        return _obj(a) + _obj(b)
    a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    r = a + b
    # The sum wrapped iff a and b share a sign that r does not have.
    if np.any(((a ^ r) & (b ^ r)) < 0):
        return _obj(a) + _obj(b)
    return r


def mul(a: Any, b: Any) -> np.ndarray:
    """``a * b`` elementwise, exact: int64 when every product fits, else an object array of Python ints."""
    a, b = np.asarray(a), np.asarray(b)
    if _exact(a) or _exact(b):
        return _obj(a) * _obj(b)
    a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    est = np.abs(a.astype(np.float64)) * np.abs(b.astype(np.float64))
    if est.size and not float(est.max()) < _SAFE:
        return _obj(a) * _obj(b)
    return a * b


def isum(x: Any) -> int:
    """The exact sum of an integer array, as a Python int (0 when empty)."""
    x = np.asarray(x)
    if x.size == 0:
        return 0
    if _exact(x):
        return int(sum(x.tolist()))
    x = x.astype(np.int64, copy=False)
    if float(np.abs(x.astype(np.float64)).sum()) < _SAFE:
        return int(x.sum())
    return int(sum(x.tolist()))


def dot(a: Any, b: Any) -> int:
    """``sum(a * b)``, exact, as a Python int (0 when empty)."""
    return isum(mul(a, b))


def as_float(x: Any) -> np.ndarray:
    """The float64 values of an exact integer array (each correctly rounded); float arrays unchanged."""
    x = np.asarray(x)
    if _exact(x):
        return np.array([float(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)
    return x.astype(np.float64, copy=False)
