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
    if (why := _form_problem(d)) is not None:
        return META_DIGEST_KEY, why
    for key in MEANING_KEYS:
        if key_digest(key, meta.get(key)) != d[key]:
            return key, (f"is {meta.get(key)!r}, not the value the store was written with (its "
                         f"{META_DIGEST_KEY}.{key} is of another value): meta.json was edited by hand, and {key} says "
                         f"what the events mean ({MEANING[key]})")
    return None


def _form_problem(d: Any) -> str | None:
    """Why ``d`` is not a ``meta_digest`` of its form, naming the key missing, extra or not of its form (breaker36
    F5: the whole mapping was shown, eight keys to diff by eye), else None."""
    rule = f"a mapping of {', '.join(MEANING_KEYS)}, each \"sha256:\" and 16 hex digits, written with the store"
    if not isinstance(d, dict):
        return f"is {d!r}, not {rule}"
    if lacks := [k for k in MEANING_KEYS if k not in d]:
        return f"lacks {_names(lacks)}: it is {rule}"
    if extra := [k for k in d if k not in MEANING_KEYS]:
        return f"has {_names(extra)}, not one of its eight keys: it is {rule}"
    for k in MEANING_KEYS:
        if not (isinstance(d[k], str) and _FORM.match(d[k])):
            return (f"entry {k!r} is {d[k]!r}, not \"sha256:\" and 16 lower-case hex digits: the {META_DIGEST_KEY} "
                    f"is {rule}")
    return None


def _names(keys: list[Any]) -> str:
    return ", ".join(repr(k) for k in keys)


#: What sets a key for ``mmsim synth``: its CONFIG's keys (docs/demo.md) and ``--format``; ``venue`` and
#: ``time_zone`` are always ``"synthetic"`` and ``"UTC"``, and ``local_ts_recorded`` false (breaker36 F8: the
#: remedy named ``mmsim synth --tick-size``, which does not exist).
_SYNTH = {"symbol": "its CONFIG's symbol", "tick_size": "its CONFIG's tick_size", "lot_size": "its CONFIG's lot_size",
          "contract_size": "its CONFIG's contract_size", "levels": "--format"}


def remedy_flag(key: str, command: str = "mmsim convert") -> str:
    """`` (--tick-size sets it)`` after a remedy's ``command`` (``mmsim convert`` or ``mmsim synth``) for a key that
    command sets (a flag, or a synth CONFIG key), else ``""``."""
    sets = _SYNTH if command == "mmsim synth" else _FLAGS
    return f" ({sets[key]} sets it)" if key in sets else ""


def rounded_by_double(value: Any, exact: Any) -> bool:
    """Whether ``value`` (a ``meta.json`` key as read) is ``exact``, an integer beyond 2**53, as a JSON tool that reads
    numbers as doubles writes it back (jq 1.6: ``first_exch_ts`` 1340285400017459617 became 1340285400017459700;
    breaker36 F7)."""
    if not isinstance(exact, int) or isinstance(exact, bool) or abs(exact) <= 2**53:
        return False
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value == exact:
        return False
    try:
        return float(value) == float(exact)
    except OverflowError:
        return False


#: The words after a refusal of a key :func:`rounded_by_double`.
ROUNDED = ("; the two differ only by rounding to a double, as a JSON tool that reads numbers as doubles (jq 1.6) "
           "rounds integers beyond 2**53: edit meta.json with one that keeps integers exact (Python's json)")
