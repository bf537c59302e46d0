"""A sweep point's id: a hash of what its run config sets otherwise than the defaults, and its repeat."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..config import RunConfig
from ..config.run import StrategyConfig
from .labels import _canonical

__all__ = ["_point_id"]


def _point_id(config: RunConfig, repeat: int) -> str:
    """16 hex digits: a hash of what the point's config sets otherwise than the defaults, and its repeat.

    A key at its default value does not enter the hash (:func:`_changed`), so a
    key mmsim adds later, with a default that does what was done before it,
    keeps the ids of old sweeps (and their results are resumed). ``output`` is
    left out: where results go does not change them.
    """
    from .._qty_units import as_lots, setting_as_lots

    plain = setting_as_lots(config.to_dict(), config.data, config.engine.lot_size)
    plain.pop("output", None)
    # `size: 0.01 base` is `size: 1000000` on a lot of 1e-08: one point, one id (docs/sweeps.md); so are
    # `signals.vpin_bucket_volume: 0.000001 base` and its default 100 lots.
    plain["strategy"]["params"] = as_lots(plain["strategy"]["params"], config.data, config.engine.lot_size)
    defaults = RunConfig(strategy=StrategyConfig(path="-")).to_dict()
    changed = _changed(plain, defaults)
    digest = hashlib.sha256(_canonical({"config": {} if changed is _SAME else changed,
                                        "repeat": repeat}).encode()).hexdigest()
    return digest[:16]


_SAME: Any = object()


def _changed(value: Any, default: Any) -> Any:
    """What of ``value`` differs from ``default``: mappings key by key, anything else whole; ``_SAME`` if nothing.

    A key that ``default`` lacks (a strategy parameter) always differs. Values
    compare as their canonical JSON (``1`` is not ``1.0`` nor ``true``).
    """
    if isinstance(value, Mapping) and isinstance(default, Mapping):
        out = {}
        for k, v in value.items():
            d = _changed(v, default[k]) if k in default else v
            if d is not _SAME:
                out[k] = d
        return out if out else _SAME
    return _SAME if _canonical(value) == _canonical(default) else value
