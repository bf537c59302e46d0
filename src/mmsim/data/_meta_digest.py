"""A store's ``meta_digest`` (fix34c): a check, written with the store, of the ``meta.json`` keys that say what its
integer events mean. ``events_digest`` covers the events only, so a ``tick_size`` edited by hand loaded and scaled
every price and PnL figure by the edit with no word. The digest holds, for each key of :data:`MEANING_KEYS`, the first
16 hex digits of the SHA-256 of the key and its value as written (:func:`key_digest`); a store whose key no longer
matches is refused naming its ``meta.json`` and the key (``_identity.check_meaning``). It guards against an edit by
hand, not a forger: anyone can compute it. A store without ``meta_digest`` (written before fix34c) loads as before."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

#: The ``meta.json`` key of the digest.
META_DIGEST_KEY = "meta_digest"

#: The keys that say what a store's integer events mean, each with what it says (the words of a refusal):
#: the hftbacktest export's ``META_KEYS`` and ``levels``. ``event_count``, ``first_exch_ts``, ``last_exch_ts`` and
#: ``levels`` are also checked against the events themselves (``_identity.check_recorded``, ``check_levels``).
MEANING: dict[str, str] = {
    "symbol": "the instrument the events are of",
    "venue": "the venue the events are of",
    "tick_size": "a price is its integer ticks times tick_size: every price and PnL figure scales with it",
    "lot_size": "a size is its integer lots times lot_size: every quantity and PnL figure scales with it",
    "contract_size": "a notional is lots times price times contract_size: every PnL figure scales with it",
    "levels": "L2 or L3 data: which queue model a replay and its report name",
    "local_ts_recorded": "whether local_ts is a recorded receive time (what 'feed: recorded' replays)",
    "time_zone": "the zone of the session's local times",
}
MEANING_KEYS = tuple(MEANING)

#: The flag of ``mmsim convert`` that sets a key, for a refusal's remedy.
_FLAGS = {"tick_size": "--tick-size", "lot_size": "--lot-size", "symbol": "--symbol"}

_FORM = re.compile(r"sha256:[0-9a-f]{16}\Z")


def _canonical(key: str, value: Any) -> str:
    """``value`` as the digest reads it: a size as a float (``1`` and ``1.0`` are one size), anything else as JSON."""
    if key in ("tick_size", "lot_size", "contract_size") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        value = float(value)
    return json.dumps(value, sort_keys=True, allow_nan=True)


def key_digest(key: str, value: Any) -> str:
    """``"sha256:"`` and the first 16 hex digits of the SHA-256 of ``key=VALUE`` (:func:`_canonical`)."""
    return "sha256:" + hashlib.sha256(f"{key}={_canonical(key, value)}".encode()).hexdigest()[:16]


def meta_digest(meta: Mapping[str, Any]) -> dict[str, str]:
    """The ``meta_digest`` of ``meta`` (a store's meta as its writer writes it): :func:`key_digest` of each key of
    :data:`MEANING_KEYS`."""
    return {k: key_digest(k, meta.get(k)) for k in MEANING_KEYS}


def meaning_problem(meta: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first fault of ``meta``'s ``meta_digest`` as (the key to name, why: the words after it), else None (no
    ``meta_digest``: a store written before it; or every key of :data:`MEANING_KEYS` as written with the store).
    A digest not of its form (a mapping of exactly those keys, each ``"sha256:"`` and 16 hex digits) is named as
    ``meta_digest``; a key whose value is not the one its digest was computed from, by its own name."""
    if META_DIGEST_KEY not in meta:
        return None
    d = meta[META_DIGEST_KEY]
    rule = f"a mapping of {', '.join(MEANING_KEYS)}, each \"sha256:\" and 16 hex digits, written with the store"
    if not isinstance(d, dict) or sorted(d) != sorted(MEANING_KEYS) \
            or not all(isinstance(v, str) and _FORM.match(v) for v in d.values()):
        return META_DIGEST_KEY, f"is {d!r}, not {rule}"
    for key in MEANING_KEYS:
        if key_digest(key, meta.get(key)) != d[key]:
            return key, (f"is {meta.get(key)!r}, not the value the store was written with (its "
                         f"{META_DIGEST_KEY}.{key} is of another value): meta.json was edited by hand, and {key} says "
                         f"what the events mean ({MEANING[key]})")
    return None


def remedy_flag(key: str) -> str:
    """`` (--tick-size)`` after a remedy's command for a key ``mmsim convert`` sets by a flag, else ``""``."""
    return f" ({_FLAGS[key]} sets it)" if key in _FLAGS else ""
