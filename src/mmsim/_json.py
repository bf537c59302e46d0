"""The one JSON cleaner: plain, strict JSON values from report dicts, sweep records and result metadata."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

__all__ = ["json_clean"]


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
