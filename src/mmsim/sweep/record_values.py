"""What the fields of a sweep record other than its metrics may be: what a run writes there (:mod:`.passes`, through
:func:`mmsim._json.json_clean`), checked when a resumed sweep reads ``results.jsonl`` back (:func:`bad_field`).

A resumed sweep shows a recorded point's fields, or reads them back, as its own: its comparison with its baseline
point (a hand-edited ``"ci_low": "abc"``, ``"significant": "yes"`` read ``Δ mk 1s 55.5 [abc, 1e+300]`` and the
verdict ``fills: better``; breaker27), its events replayed, elapsed time and error. The fields a record copies from
its grid point (``index``, ``overrides``, ``repeat``, ``seed``, ``digest``) are never read back: the sweep's rows
take them from the grid's point its id names (:func:`mmsim.sweep.results._flatten`). :mod:`.metric_values` checks
the metrics; ``strategy_code`` and ``comparison.settings`` are compared with the grid's (a point whose differ runs
again); ``pass`` is not read back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from ..analysis._bootstrap import MIN_BLOCKS
from ..data._meta_digest import MEANING_KEYS
from ..events import digest_problem
from .metric_values import value_text

__all__ = ["bad_field"]


def _whole(v: Any, low: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= low


def _finite(v: Any) -> bool:
    # an int is exact whatever its size (math.isfinite(10**400) raised OverflowError)
    return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and math.isfinite(v)


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _or_null(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _meaning(v: Any) -> bool:
    """Whether ``v`` is a record's ``store_meaning`` (:data:`mmsim.sweep.resume.MEANING_FIELD`): meaning keys to JSON
    scalars."""
    return isinstance(v, dict) and all(k in MEANING_KEYS and (x is None or isinstance(x, (str, bool)) or _finite(x))
                                       for k, x in v.items())


_COUNT = "a whole number of 0 or more"

#: A record's own fields that a resume reads back (besides id, status, metrics, error and comparison): check, want.
_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n_events": (_or_null(_whole), f"{_COUNT}, or null"),
    "elapsed_s": (_or_null(lambda v: _finite(v) and v >= 0), "a finite number of 0 or more, or null"),
    "units_warning": (_or_null(_text), "a string, or null"),
    "events_digest": (_or_null(lambda v: digest_problem(v) is None), '"sha256:" and 64 lowercase hex digits, or null'),
    "store_meaning": (_or_null(_meaning), "a mapping of some of " + ", ".join(MEANING_KEYS) + ", each to null, "
                      "a string, a number or true/false, or null"),
    # the point's process and finish time tell a copied line from a run (results.read_results)
    "host": (_or_null(_text), "a string, or null"),
    "pid": (_or_null(_whole), f"{_COUNT}, or null"),
    "finished_at": (_or_null(lambda v: _text(v) and _timestamp(v)),
                    'a UTC time as a run writes it, "2026-12-03T14:47:18.972+00:00", or null'),
}


def _timestamp(v: str) -> bool:
    """Whether ``v`` is a finish time as a sweep writes it: ``datetime.now(utc).isoformat(timespec="milliseconds")``."""
    import datetime as _dt
    import re

    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", v):
        return False
    try:
        _dt.datetime.fromisoformat(v)
    except ValueError:
        return False
    return True

_ERROR_KEYS = ("type", "message", "traceback")

#: A comparison's keys: always the first three; then ``skipped`` (and ``baseline_failed`` when the baseline point
#: failed), or the paired figures. ``n_days`` and ``span_ns`` are absent from records of an earlier mmsim.
_ALWAYS = ("id", "settings", "is_baseline")
_SKIPPED = ("skipped", "baseline_failed")
_PAIRED = ("n_buckets", "n_days", "span_ns", "rows")
_PAIRED_OPTIONAL = ("n_days", "span_ns")

#: A compared quantity's row (:func:`mmsim.sweep.paired.compare_runs`); ``support`` is absent from records of an
#: earlier mmsim.
_ROW_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "label": (_text, "a string"),
    "unit": (_text, "a string"),
    "a": (_or_null(_finite), "a finite number, or null where a run has nothing to measure"),
    "b": (_or_null(_finite), "a finite number, or null where a run has nothing to measure"),
    "estimate": (_or_null(_finite), "a finite number, or null where a run has nothing to measure"),
    "ci_low": (_or_null(_finite), "a finite number, or null without an interval"),
    "ci_high": (_or_null(_finite), "a finite number, or null without an interval"),
    "confidence": (lambda v: _finite(v) and 0 < v < 1, "a number between 0 and 1"),
    "block": (lambda v: _finite(v) and v >= 1, "a finite number of 1 or more"),
    "n_buckets": (_whole, _COUNT),
    "n_boot": (lambda v: _whole(v, 10), "a whole number of 10 or more"),
    "n_valid": (_whole, _COUNT),
    "support": (_or_null(lambda v: isinstance(v, list) and len(v) == 2 and all(_whole(x) for x in v)),
                "a list of two whole numbers of 0 or more, or null"),
    "significant": (lambda v: isinstance(v, bool), "true or false"),
    "verdict": (_text, "a string"),
}
_ROW_OPTIONAL = ("support",)

#: The compared quantities: ``markout@<horizon>`` and these. Every comparison has the first two; the ratios'
#: estimate is ``b - a`` (each run's ratio on the whole sample), the PnL's a mean of the buckets' differences.
_ALWAYS_ROWS = ("spread_capture", "pnl_per_day")
_PNL = "pnl_per_day"
_NAMED_ROWS = ("spread_capture", "pnl_per_day", "two_sided")


def bad_field(rec: Mapping[str, Any]) -> str | None:
    """Why a field of ``rec`` (a sweep record, as JSON reads it back) is not what a run writes there; None when
    every one is. Fields absent are those of an earlier mmsim's record (units_warning, events_digest...).

    A resumed sweep refuses such a record as one of the wrong shape (:func:`mmsim.sweep.read_results`). Returns
    the reason as a clause: ``its comparison.rows["markout@1s"].ci_low is "abc" (a string), not what a run writes
    there (a finite number, or null without an interval)``."""
    for key, (ok, want) in _FIELDS.items():
        if key in rec and not ok(rec[key]):
            return _not_written(json.dumps(key), rec[key], want)
    why = _bad_error(rec)
    if why is None and isinstance(rec.get("comparison"), Mapping):
        why = _bad_comparison(rec["id"], rec["comparison"])
    return why


def _not_written(where: str, value: Any, want: str) -> str:
    return f"its {where} is {value_text(value)}, not what a run writes there ({want})"


def _keys(where: str, obj: Mapping[str, Any], allowed: tuple[str, ...], optional: tuple[str, ...] = ()) -> str | None:
    """A key ``obj`` has that a run does not write there, or one a run always writes that it lacks."""
    for key in obj:
        if key not in allowed:
            return f"its {where} has the key {json.dumps(key)}, which a run does not write there"
    for key in allowed:
        if key not in obj and key not in optional:
            return f"its {where} has no {json.dumps(key)}, which a run always writes there"
    return None


def _bad_error(rec: Mapping[str, Any]) -> str | None:
    if "error" not in rec:
        return None
    err = rec["error"]
    if rec["status"] == "ok":
        return None if err is None else _not_written('"error"', err, "null for a finished point")
    if not isinstance(err, Mapping):  # null: a JSON object is checked before this (results._not_a_record)
        return _not_written('"error"', err, 'a JSON object of "type", "message" and "traceback" for a failed point')
    why = _keys("error", err, _ERROR_KEYS)
    for key in _ERROR_KEYS:
        if why is None and not isinstance(err[key], str):
            why = _not_written(f"error.{key}", err[key], "a string")
    return why


def _bad_comparison(rid: str, cmp: Mapping[str, Any]) -> str | None:
    skipped = "skipped" in cmp
    both = next((k for k in _PAIRED if skipped and k in cmp), None)
    if both is not None:
        return f'its comparison has both "skipped" and {json.dumps(both)}: a run writes one or the other'
    why = _keys("comparison", cmp, _ALWAYS + (_SKIPPED if skipped else _PAIRED),
                ("baseline_failed",) if skipped else _PAIRED_OPTIONAL)
    if why:
        return why
    bid = cmp["id"]
    if bid is not None and not (isinstance(bid, str) and len(bid) == 16 and set(bid) <= set("0123456789abcdef")):
        return _not_written("comparison.id", bid, "a sweep point's 16-hex-digit id, or null")
    if not isinstance(cmp["is_baseline"], bool):
        return _not_written("comparison.is_baseline", cmp["is_baseline"], "true or false")
    if cmp["is_baseline"] != (bid == rid):
        return (f"its comparison.is_baseline is {json.dumps(cmp['is_baseline'])} with its comparison.id "
                f"{json.dumps(bid)}: a run writes true exactly when the point is its own baseline point")
    if skipped:
        if not isinstance(cmp["skipped"], str):
            return _not_written("comparison.skipped", cmp["skipped"], "a string")
        if "baseline_failed" in cmp and cmp["baseline_failed"] is not True:
            return _not_written("comparison.baseline_failed", cmp["baseline_failed"], "true")
        return None
    for key, low in (("n_buckets", 0), ("n_days", 1), ("span_ns", 0)):
        if key in cmp and not _whole(cmp[key], low):
            return _not_written(f"comparison.{key}", cmp[key], f"a whole number of {low} or more")
    rows = cmp["rows"]
    if not isinstance(rows, Mapping):
        return _not_written("comparison.rows", rows, "a JSON object")
    for name in rows:
        if not (name in _NAMED_ROWS or name.startswith("markout@") and len(name) > len("markout@")):
            return (f"its comparison.rows has the key {json.dumps(name)}, which a run does not write there (it "
                    "compares markout@<horizon>, spread_capture, pnl_per_day and two_sided)")
    for name in _ALWAYS_ROWS:
        if name not in rows:
            return f"its comparison.rows has no {json.dumps(name)}, which a run always writes there"
    for name, row in rows.items():
        where = f"comparison.rows[{json.dumps(name)}]"
        why = _bad_row(where, name, row) or _unlike_run(where, name, row, cmp)
        if why:
            return why
    return None


def _unlike_run(where: str, name: str, row: Mapping[str, Any], cmp: Mapping[str, Any]) -> str | None:
    """A relation a run's row holds with its comparison's other figures and settings that ``row`` breaks
    (:func:`mmsim.sweep.paired.compare_runs`, :mod:`mmsim.analysis._bootstrap`): its series' buckets are the
    comparison's, its resamples and level the settings', at most ``n_boot`` of them valid; a ratio counts the
    buckets with fills of each run among them, and has an estimate exactly when both runs have one; an interval
    needs 10 buckets (and, for a ratio, 10 with fills of each run) and 2 valid resamples."""
    n, n_boot, n_valid = row["n_buckets"], row["n_boot"], row["n_valid"]
    if "n_buckets" in cmp and n != cmp["n_buckets"]:
        return (f"its {where}.n_buckets is {n}, but its comparison.n_buckets is {cmp['n_buckets']}: a run compares "
                "every quantity over the comparison's buckets")
    settings = cmp["settings"] if isinstance(cmp.get("settings"), Mapping) else {}
    want_boot, want_level = settings.get("n_boot"), settings.get("confidence")
    if _whole(want_boot, 10) and n_boot != want_boot:
        return (f"its {where}.n_boot is {n_boot}, but its comparison.settings.n_boot is {want_boot}: a run draws "
                "the settings' resamples")
    if _finite(want_level) and row["confidence"] != want_level:
        return (f"its {where}.confidence is {row['confidence']!r}, but its comparison.settings.confidence is "
                f"{want_level!r}: a run's intervals are at the settings' level")
    block = settings.get("block")
    if _finite(block) and row["block"] > block:
        return (f"its {where}.block is {row['block']!r}, above its comparison.settings.block {block!r}: a run "
                "uses the settings' block, or a shorter one on few buckets")
    if n_valid > n_boot:
        return f"its {where}.n_valid is {n_valid}, above its n_boot {n_boot}: a run counts the valid resamples among those drawn"
    support, est = row.get("support"), row["estimate"]
    if name != _PNL and "support" in row and support is None:
        return _not_written(f"{where}.support", None, "a list of two whole numbers: a ratio counts each run's buckets "
                            "with fills")
    if name == _PNL and support is not None:
        return _not_written(f"{where}.support", support, "null: a mean has no buckets with fills to count")
    if name != _PNL and support is not None:
        if max(support) > n:
            return (f"its {where}.support is {value_text(support)}, above its n_buckets {n}: a run counts the "
                    "buckets with fills among the compared buckets")
        if (est is None) != (min(support) == 0):
            return (f"its {where} has estimate {json.dumps(est)} with support {json.dumps(support)}: a run writes an "
                    "estimate exactly when both runs have fills in a bucket")
    if name != _PNL and est is None and n_valid != 0:
        return f"its {where}.n_valid is {n_valid} without an estimate: a run draws no resample then (0)"
    if row["ci_low"] is not None:
        few = "" if n >= 10 else f"{n} buckets"
        if not few and n_valid < 2:
            few = f"{n_valid} valid resamples"
        if not few and name != _PNL and support is not None and min(support) < 10:
            few = f"a run's fills in {min(support)} buckets"
        if few:
            return (f"its {where} has an interval on {few}: a run gives none on fewer than 10 buckets (a ratio: 10 "
                    "with fills of each run) or 2 valid resamples")
    return None


def _bad_row(where: str, name: str, row: Any) -> str | None:
    if not isinstance(row, Mapping):
        return _not_written(where, row, "a JSON object")
    why = _keys(where, row, tuple(_ROW_FIELDS), _ROW_OPTIONAL)
    if why:
        return why
    for key, (ok, want) in _ROW_FIELDS.items():
        if key in row and not ok(row[key]):
            if name == _PNL and key in ("a", "b", "estimate"):
                want = "a finite number"  # every run has a PnL
            return _not_written(f"{where}.{key}", row[key], want)
        if name == _PNL and key in ("a", "b", "estimate") and row[key] is None:
            return _not_written(f"{where}.{key}", None, "a finite number")
    est, lo, hi, a, b = (row[k] for k in ("estimate", "ci_low", "ci_high", "a", "b"))
    if (lo is None) != (hi is None):
        return f"its {where} has ci_low {json.dumps(lo)} and ci_high {json.dumps(hi)}: a run writes both or neither"
    if lo is not None and est is None:
        return f"its {where} has an interval without an estimate: a run writes neither"
    if lo is not None and lo > hi:
        return f"its {where} has ci_low {lo!r} above ci_high {hi!r}: a run's interval is ci_low <= ci_high"
    excludes = lo is not None and (lo > 0 or hi < 0)
    # An interval on fewer than MIN_BLOCKS expected blocks is not called real (fix30d); a record written before
    # that rule called it by the interval alone, so both are a run's.
    few = lo is not None and "block" in row and row["n_buckets"] / row["block"] < MIN_BLOCKS
    if row["significant"] != excludes and not (few and row["significant"] is False):
        has = "it has no interval" if lo is None else f"its interval [{lo!r}, {hi!r}] {'excludes' if excludes else 'includes'} 0"
        return (f"its {where}.significant is {json.dumps(row['significant'])}, but {has}: a run writes true "
                "exactly when the interval excludes 0")
    if name != _PNL:  # a ratio: each run's on the whole sample, and their difference
        if (est is None) != (a is None or b is None):
            return (f"its {where} has estimate {json.dumps(est)} with a {json.dumps(a)} and b {json.dumps(b)}: a "
                    "run writes an estimate exactly when both runs have a value")
        if est is not None and abs(est - (b - a)) > 1e-9 * max(1.0, abs(a), abs(b)):
            return (f"its {where}.estimate is {est!r}, not b - a = {b - a:.6g} (this point's {b:.6g} minus the "
                    f"baseline's {a:.6g}), which a run writes there")
    return None
