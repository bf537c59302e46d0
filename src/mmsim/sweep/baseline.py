"""A sweep's baseline point: which point each point is compared with, and how (``baseline:`` and ``compare:`` in a grid).

Every point of a grid that names a ``baseline`` is compared with its baseline
point as paired series over time buckets, with the stationary-bootstrap
intervals of ``mmsim compare`` (:mod:`mmsim.analysis.comparison`;
docs/sweeps.md, "Is the difference real? A baseline point"). This module reads
the two grid keys and resolves, for each point, the id of its baseline point or
the reason it has none; :mod:`mmsim.sweep.paired` computes the comparisons in the
workers, and :func:`columns` turns a point's recorded comparison into table columns.

The grammar of ``baseline``:

- an integer: the point at that index of the grid (its ``index`` in the results); a whole float (``1.0``) is
  that integer, as for every integer key of a grid (``config._units.whole_integer``);
- a string of at least 4 characters: the point whose id starts with it;
- a mapping of grid keys to values: for each point, the point with these values
  at these keys and the point's own values at every other key (its event store
  included), and the same repeat when that point has repeats (else repeat 0).
  A value is matched with the values the grid gives that key: as written, by its
  label in the table (``FixedSpread``, ``lognormal(1ms, 0.5)``), or by what it
  means (``0`` and ``0ms`` are the same latency).

A point and its baseline point on event stores at two paths are compared only when the stores hold the same
events (equal ``events_digest`` in both meta.json, verified, and equal meta.json but for ``format``,
``source`` and ``quirks`` other than ``quirks.trade_implied_book``: ``_Stores``, judged again when a sweep runs);
otherwise the point
is skipped, its note saying why (docs/sweeps.md, "Points that are not compared").
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis._bootstrap import MIN_BLOCKS
from ..analysis.comparison import MAX_BOOT
from ..config import LatencyModel, parse_duration, parse_markout_horizon
from ..config._units import inexact, not_integer, whole_integer
from ..errors import ConfigError
from ._stores import _Stores
from .labels import _LATENCY_MODELS, _canonical, _describe, _unmatched, display_label
from .written import quote_written

__all__ = ["COMPARE_KEYS", "METRIC_LABELS", "BaselinePlan", "CompareSettings", "columns", "metric_label",
           "parse_baseline", "pnl_verdict", "summary_verdict", "verdict_on"]

#: Keys of a grid's ``compare:`` mapping.
COMPARE_KEYS = ("block", "bucket", "confidence", "horizons", "n_boot", "seed")

#: Short names of the compared quantities in the terminal table (metric -> column title).
METRIC_LABELS = {"spread_capture": "spread", "pnl_per_day": "PnL/day", "two_sided": "2-sided"}


def metric_label(metric: str) -> str:
    """A compared quantity's short name (``markout@1s`` -> ``mk 1s``, ``spread_capture`` -> ``spread``)."""
    if metric.startswith("markout@"):
        return f"mk {metric[len('markout@'):]}"
    return METRIC_LABELS.get(metric, metric)

# Config keys whose values are durations (matched by their value in ns).
_DURATION_KEYS = ("decide_every", "sample_every")


@dataclass(frozen=True)
class CompareSettings:
    """How a sweep compares each point with its baseline (the options of ``mmsim compare``).

    Parameters
    ----------
    bucket_ns : int
        Bucket length, ns (default one minute).
    n_boot : int
        Bootstrap resamples (>= 10; default 2000).
    confidence : float
        Level of the intervals, in (0, 1) (default 0.95).
    block : float or None
        Mean block length in buckets (>= 1); None selects it per quantity (Politis and White 2004).
    seed : int or None
        Seed of ``numpy.random.default_rng`` (default 0).
    horizons : tuple of int or None
        Markout horizons compared, ns; None: the baseline point's ``report.horizons``.
    """

    bucket_ns: int = 60_000_000_000
    n_boot: int = 2000
    confidence: float = 0.95
    block: float | None = None
    seed: int | None = 0
    horizons: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain values (recorded with each comparison: a rerun with other settings compares again)."""
        return {"bucket_ns": self.bucket_ns, "n_boot": self.n_boot, "confidence": self.confidence,
                "block": self.block, "seed": self.seed,
                "horizons": None if self.horizons is None else list(self.horizons)}


@dataclass(frozen=True)
class BaselinePlan:
    """Which point each point of a grid is compared with.

    Attributes
    ----------
    spec : int, str or mapping
        The grid's ``baseline`` as written.
    settings : CompareSettings
        The grid's ``compare`` options.
    of : dict of str to str
        Point id -> the id of its baseline point (a baseline point maps to itself).
    skipped : dict of str to str
        Point id -> why it has no baseline (no such point on its event store).
    """

    spec: Any
    settings: CompareSettings
    of: Mapping[str, str] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    #: Point id -> (its baseline point's id, how a note names that point) for a pair on two stores: judged by the
    #: stores' meta.json and events when the grid was read, and again by :meth:`rechecked` when a sweep runs.
    apart: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def rechecked(self, points: Sequence[Any]) -> BaselinePlan:
        """This plan with its pairs on two stores judged again on the stores as they are now (a grid read before
        one of them was written again paired other events; breaker17c); itself when nothing changed."""
        if not self.apart:
            return self
        data = {p.id: p.config.data for p in points}
        stores = _Stores()
        of, skipped = dict(self.of), dict(self.skipped)
        for pid, (bid, who) in self.apart.items():
            why = stores.why(who, data[bid], data[pid])
            of.pop(pid, None)
            skipped.pop(pid, None)
            if why is None:
                of[pid] = bid
            else:
                skipped[pid] = why
        if of == dict(self.of) and skipped == dict(self.skipped):
            return self
        return BaselinePlan(self.spec, self.settings, of, skipped, self.apart)

    def expected(self, point_id: str) -> dict[str, Any]:
        """What a point's record must say about its comparison to count as done: its baseline and the settings."""
        return {"id": self.of.get(point_id), "settings": self.settings.to_dict()}


# --------------------------------------------------------------------------- parsing


def parse_settings(value: Any, loc: Callable[[str], str], written: Mapping[str, str] | None = None) -> CompareSettings:
    """Read a grid's ``compare:`` mapping (``bucket``, ``n_boot``, ``confidence``, ``block``, ``seed``, ``horizons``).

    ``written``: the grid's numbers as written (:func:`mmsim.sweep.written.scalar_texts`), which a message quotes.

    Raises
    ------
    ConfigError
        Naming the key and the grid's line, the value as the grid writes it (``compare.n_boot: ... got '1e400'``,
        not ``inf``).
    """
    try:
        return _settings(value, loc)
    except ConfigError as exc:
        key = next((k for k, v in (value.items() if isinstance(value, Mapping) else ())
                    if f"compare.{k}:" in str(exc)), None)
        if key is None:
            raise
        raise ConfigError(quote_written(str(exc), value[key], (written or {}).get(f"compare.{key}"))) from None


def _settings(value: Any, loc: Callable[[str], str]) -> CompareSettings:
    if value is None:
        return CompareSettings()
    if not isinstance(value, Mapping):
        raise ConfigError(f"compare: expected a mapping ({', '.join(COMPARE_KEYS)}), got {value!r}{loc('compare')}")
    out: dict[str, Any] = {}
    for key, v in value.items():
        at = loc(f"compare.{key}") or loc("compare")
        if key not in COMPARE_KEYS:
            raise ConfigError(f"compare: unknown key {key!r}; expected one of {', '.join(COMPARE_KEYS)}{at}")
        if key == "bucket":
            ns = _duration(v, "compare.bucket", at)
            if ns <= 0:
                raise ConfigError(f"compare.bucket: must be a positive duration, got {v!r}{at}")
            out["bucket_ns"] = ns
        elif key == "n_boot":
            n = whole_integer(v)  # a whole float (2000.0) too, as every integer key
            if n is None or n < 10:
                raise ConfigError(not_integer("compare.n_boot", v, "an integer >= 10") + at)
            if n > MAX_BOOT:  # as `mmsim compare --boot`: each resample holds a bucket-long array
                raise ConfigError(f"compare.n_boot: at most {MAX_BOOT:,} resamples, got {v!r}{at}")
            out["n_boot"] = n
        elif key == "confidence":
            if not _is_number(v) or not 0 < v < 1:
                raise ConfigError(f"compare.confidence: expected a number in (0, 1), got {v!r}{at}")
            out["confidence"] = float(v)
        elif key == "block":
            if v is not None and (not _is_number(v) or not v >= 1):
                raise ConfigError(f"compare.block: expected a number of buckets >= 1 (or null), got {v!r}{at}")
            out["block"] = None if v is None else float(v)
        elif key == "seed":
            seed = None if v is None else whole_integer(v)
            if v is not None and (seed is None or seed < 0):
                raise ConfigError(not_integer("compare.seed", v, "a non-negative integer (or null)") + at)
            out["seed"] = seed
        else:
            if not isinstance(v, list) or not v:
                raise ConfigError(f"compare.horizons: expected a non-empty list of durations, got {v!r}{at}")
            out["horizons"] = tuple(sorted({_duration(h, f"compare.horizons[{i}]", at) for i, h in enumerate(v)}))
    return CompareSettings(**out)


def _duration(value: Any, key: str, at: str) -> int:
    """``parse_duration``, its error ending with the grid's line as every other grid error does."""
    try:
        return parse_duration(value, key)
    except ConfigError as exc:
        raise ConfigError(f"{exc}{at}") from None


def parse_baseline(spec: Any, settings: Any, points: Sequence[Any], keys: Sequence[str],
                   loc: Callable[[str], str], base_dir: str | os.PathLike[str] | None = None,
                   written: Mapping[str, str] | None = None) -> BaselinePlan:
    """Resolve a grid's ``baseline`` against its points.

    Parameters
    ----------
    spec : int, str or mapping
        The grid's ``baseline`` (module docstring: the grammar).
    settings : mapping or None
        The grid's ``compare``.
    points : sequence of SweepPoint
        The grid's points.
    keys : sequence of str
        The keys the grid varies.
    loc : callable
        Grid key -> ``" (FILE line N)"`` for messages.
    base_dir : path, optional
        The folder the grid's relative ``data`` values are read against (the grid file's): a ``data`` the baseline
        names matches the grid's value that is the same store once both are read so (``./b``, ``b`` and b's
        absolute path are one store); without it, as written.
    written : mapping, optional
        The grid's numbers as written, quoted by a message about ``compare`` (:func:`parse_settings`).

    Returns
    -------
    BaselinePlan

    Raises
    ------
    ConfigError
        A bad ``baseline`` or ``compare`` (naming the key and line): an index out of
        range, an id no point (or several) has, a key the grid does not vary, a value
        none (or several) of the grid's values match.
    """
    at = loc("baseline")
    opts = parse_settings(settings, loc, written)
    of: dict[str, str] = {}
    skipped: dict[str, str] = {}
    stores = _Stores()
    apart: dict[str, tuple[str, str]] = {}

    def pair(p: Any, base: Any, who: str) -> None:
        if base.config.data != p.config.data:
            apart[p.id] = (base.id, who)
        why = stores.why(who, base.config.data, p.config.data)
        if why is not None:
            skipped[p.id] = why
        else:
            of[p.id] = base.id

    if _is_number(spec) or isinstance(spec, str):
        base = _fixed(spec, points, at)
        for p in points:
            pair(p, base, f"the baseline point {base.id[:8]}")
        return BaselinePlan(spec, opts, of, skipped, apart)
    if not isinstance(spec, Mapping) or not spec:
        raise ConfigError(_not_baseline(spec, at))
    chosen: dict[str, Any] = {}
    for key, want in spec.items():
        key = str(key)
        if key not in keys:
            varied = ", ".join(keys) if keys else "none"
            raise ConfigError(f"baseline.{key}: not a key the grid varies (it varies: {varied}){at}")
        chosen[key] = _match(key, want, [p.overrides.get(key) for p in points if key in p.overrides], at,
                             base_dir)
    index = {(_canonical(p.overrides), p.repeat): p for p in points}
    for p in points:
        target = _canonical({**p.overrides, **chosen})
        base = index.get((target, p.repeat)) or index.get((target, 0))
        if base is None:
            skipped[p.id] = (f"no point of the grid has {_describe(chosen)} with this point's other settings"
                             + _unmatched(p, chosen, points))
        else:
            pair(p, base, f"its baseline point {base.id[:8]}")
    return BaselinePlan(spec, opts, of, skipped, apart)


def _not_baseline(spec: Any, at: str) -> str:
    return (f"baseline: expected a point's index, the start of its id, or a mapping of grid keys to values, "
            f"got {spec!r}{inexact(spec)}{at}")


def _fixed(spec: float | str, points: Sequence[Any], at: str) -> Any:
    if not isinstance(spec, str):
        index = whole_integer(spec)  # an index as every integer key: 1.0 is 1; 1.5 and true are no index
        if index is None:
            raise ConfigError(_not_baseline(spec, at))
        if not 0 <= index < len(points):
            raise ConfigError(f"baseline: index {index} is out of range (the grid has {len(points)} points, "
                              f"0 to {len(points) - 1}){at}")
        return points[index]
    text = spec.strip().lower()
    if len(text) < 4:
        raise ConfigError(f"baseline: give a point's index, or at least 4 characters of its id, got {spec!r}{at}")
    hits = [p for p in points if p.id.startswith(text)]
    if len(hits) != 1:
        what = "no point's id starts" if not hits else f"{len(hits)} point ids start"
        raise ConfigError(f"baseline: {what} with {spec!r} (the ids are in the sweep table, results.csv and "
                          f"sweep.html){at}")
    return hits[0]


def _match(key: str, want: Any, values: Sequence[Any], at: str,
           base_dir: str | os.PathLike[str] | None = None) -> Any:
    """The one distinct value of ``key`` in the grid that ``want`` names (a ``data`` path read against ``base_dir``)."""
    distinct: dict[str, Any] = {}
    for v in values:
        distinct.setdefault(_canonical(v), v)
    hits = [v for v in distinct.values() if _same(key, v, want, base_dir)]
    if len(hits) > 1:
        # Written exactly as the grid writes one of them (`fixed_spread` for the arm whose
        # path is `fixed_spread`, beside a copy at strategies/fixed_spread.py:FixedSpread):
        # that one, not every arm an alias also names.
        exact = [v for v in hits if _written_as(v, want)]
        if len(exact) == 1:
            return exact[0]
    if len(hits) == 1:
        return hits[0]
    shown = ", ".join(display_label(v, key) for v in distinct.values())
    read = _reader(key)
    if not hits and read is not None:
        # A value the config itself would refuse ('0MS'): the config's own message, with its hint ("write '0ms'").
        try:
            read(want, f"baseline.{key}")
        except ConfigError as exc:
            raise ConfigError(f"{exc}{at}") from None
    if not hits:
        raise ConfigError(f"baseline.{key}: {want!r} is none of the grid's values ({shown}){at}")
    raise ConfigError(f"baseline.{key}: {want!r} matches {len(hits)} of the grid's values "
                      f"({', '.join(display_label(v, key) for v in hits)}); write it as the grid does{at}")


def _written_as(written: Any, want: Any) -> bool:
    """Whether ``want`` is the grid's value ``written`` as the grid writes it (or, for a strategy, its path)."""
    if _canonical(written) == _canonical(want):
        return True
    return isinstance(want, str) and isinstance(written, Mapping) and _same_target(written.get("path"), want)


def _same_target(path: Any, want: str) -> bool:
    """Whether the strategy spec ``want`` is the arm's ``path``, spelt the same (a file's path normalised) or
    through a registered name (``fixed_spread`` is ``mmsim.strategies.fixed_spread:FixedSpread``)."""
    from ..plugins import _is_path_spec, available_strategies

    if not isinstance(path, str):
        return False

    def norm(spec: str) -> str:
        target, colon, attr = spec.rpartition(":")
        if not colon or not _is_path_spec(target):
            return spec
        return f"{os.path.normpath(target)}:{attr}"

    registered = available_strategies()
    return norm(registered.get(path, path)) == norm(registered.get(want, want))


def _store_path(data: str, base_dir: str | os.PathLike[str]) -> str:
    """A ``data`` value as the store it names: read against ``base_dir`` as a point's ``config.data`` is
    (:func:`mmsim.config.resolve_paths`), its symbolic links followed."""
    from ..config import resolve_paths

    return os.path.realpath(resolve_paths({"data": data}, os.fspath(base_dir))["data"])


def _strategy_names(spec: str) -> set[str]:
    """The names a strategy spec goes by: the class name of ``file.py:Class`` or ``module:Class``,
    and the entry-point name registered for that class name (``fixed_spread`` for
    ``FixedSpread``), or the class name an entry-point name stands for."""
    from ..plugins import available_strategies

    registered = available_strategies()
    cls = registered.get(spec, spec).rpartition(":")[2]
    return {cls} | {name for name, target in registered.items() if target.rpartition(":")[2] == cls}


def _reader(key: str) -> Callable[[Any, str], Any] | None:
    """The config's reader of the values of ``key`` when two spellings can name one value (units), else None."""
    last = key.rpartition(".")[2]
    if key.startswith("latency.") and last in _LATENCY_MODELS:
        return LatencyModel.parse
    if key == "report.toxic_horizon":  # a duration or <k>ev: "100 ev" names 100ev, "1000ms" 1s
        return parse_markout_horizon
    if key in _DURATION_KEYS or key.endswith("_half_life"):
        return parse_duration
    return None


def _same(key: str, written: Any, want: Any, base_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether the grid's value ``written`` at ``key`` is what the baseline's ``want`` names."""
    if _canonical(written) == _canonical(want):
        return True
    if key == "data" and base_dir is not None and isinstance(written, str) and isinstance(want, str):
        # One store however its path is spelt (newcomer17: `./b` and b's absolute path were "none of the grid's
        # values (a, b)"), read as the grid reads a point's data (resolve_paths), then with its links followed.
        return bool(written and want) and _store_path(written, base_dir) == _store_path(want, base_dir)
    if isinstance(want, str):
        if display_label(written, key) == want:
            return True
        if isinstance(written, Mapping) and isinstance(written.get("path"), str):
            if ":" in want:  # a whole spec (file.py:Class, module:Class) names one strategy, not a class name
                return _same_target(written["path"], want)
            if _strategy_names(written["path"]) & _strategy_names(want):
                return True  # a strategy arm by its class name or its registered (entry-point) name
    read = _reader(key)
    if read is not None:
        try:
            return bool(read(written, key) == read(want, key))
        except ConfigError:
            return False
    if _is_number(written) and _is_number(want):
        return float(written) == float(want)
    return False


# --------------------------------------------------------------------------- results


#: The compared quantity that is money, not the quality of the fills: it has its own word (:func:`pnl_verdict`)
#: and is not one of the quantities :func:`summary_verdict` and :func:`verdict_on` judge.
PNL_METRIC = "pnl_per_day"

#: The compared two-sided presence (``mmsim compare``'s ``two_sided`` row): shown, never part of a verdict.
PRESENCE_METRIC = "two_sided"


def _fill_rows(comparison: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison's rows of the fills' quality: the markouts and spread capture (not the PnL, nor the
    two-sided presence: quoting less of the time is the price of a defence, not a quality of its fills)."""
    return {m: r for m, r in (comparison.get("rows") or {}).items() if m not in (PNL_METRIC, PRESENCE_METRIC)}


def summary_verdict(comparison: Mapping[str, Any] | None) -> str | None:
    """One word for the quality of a point's fills against its baseline's (the table's ``verdict`` column).

    It judges the markouts and spread capture, never the PnL (:func:`pnl_verdict` has its own
    word: a point whose fills are really better may still make no more money, or less).
    ``baseline`` for the baseline point itself; ``better`` when every difference
    whose interval excludes zero is positive (better for the market maker) and
    there is at least one, ``worse`` when every such one is negative, ``mixed``
    when there are both, ``none real`` when no interval excludes zero;
    ``not tested`` when no difference has an interval at all (fewer than 10 time
    buckets, or too few fills: each row's ``verdict`` says which), so that no
    claim reads as a finding; ``skipped`` when the point has no comparison (no
    baseline on its store, or the baseline failed). None when the grid has no
    baseline.
    """
    if comparison is None:
        return None
    if comparison.get("is_baseline"):
        return "baseline"
    if not comparison.get("rows"):
        return "skipped"
    rows = _fill_rows(comparison)
    signs = {math.copysign(1.0, r["estimate"]) for r in rows.values()
             if r.get("significant") and r.get("estimate") is not None}
    if not signs:
        untested = all("ci_low" in r and r.get("ci_low") is None for r in rows.values())
        return "not tested" if untested else "none real"
    if signs == {1.0}:
        return "better"
    if signs == {-1.0}:
        return "worse"
    return "mixed"


def verdict_on(comparison: Mapping[str, Any] | None) -> str | None:
    """What a ``better``, ``worse`` or ``mixed`` verdict rests on: the markouts and spread capture whose
    interval excludes zero, by their short names (:func:`metric_label`), in the comparison's order
    (never the PnL: :func:`pnl_verdict`).

    ``"spread"`` when only spread capture is real (a point "better" on spread capture alone while
    its markouts are not told apart from the baseline's); with a mixed verdict each name carries
    its sign (``"+spread, −mk 1s"``: + is better for the market maker). None when no difference
    is real (``none real``, ``not tested``, ``skipped``, ``baseline``) or the grid has no baseline.
    """
    if comparison is None or comparison.get("is_baseline"):
        return None
    real = [(m, r["estimate"]) for m, r in _fill_rows(comparison).items()
            if r.get("significant") and r.get("estimate") is not None]
    if not real:
        return None
    mixed = len({math.copysign(1.0, e) for _, e in real}) > 1
    return ", ".join(("+" if math.copysign(1.0, e) > 0 else "−") + metric_label(m) if mixed else metric_label(m) for m, e in real)


def pnl_verdict(comparison: Mapping[str, Any] | None) -> str | None:
    """The PnL's own word (the ``pnl_verdict`` column): ``better`` or ``worse`` when the PnL-per-day
    difference's interval excludes zero (+ = the point made more), ``not significant`` when it spans
    zero, ``not tested`` when it has no interval (too few time buckets). None for the baseline point
    itself, a point with no comparison, or a comparison without PnL.
    """
    if comparison is None or comparison.get("is_baseline"):
        return None
    r = (comparison.get("rows") or {}).get(PNL_METRIC)
    if r is None or r.get("estimate") is None:
        return None
    if r.get("ci_low") is None or r.get("ci_high") is None:
        return "not tested"
    if not r.get("significant"):
        return "not significant"
    return "better" if r["estimate"] > 0 else "worse"


def columns(comparison: Mapping[str, Any] | None) -> dict[str, Any]:
    """A point's recorded comparison as flat row columns.

    ``baseline`` (the baseline point's id), ``verdict`` (:func:`summary_verdict`),
    ``verdict_on`` (:func:`verdict_on`: the quantities the verdict rests on),
    ``pnl_verdict`` (:func:`pnl_verdict`: the PnL's own word),
    ``baseline_note`` (why a point was skipped), ``vs_baseline_n_days`` and ``vs_baseline_span_ns`` (the
    days of data PnL per day divides by, and the span they cover), and per compared quantity ``m``
    (``markout@<h>``, ``spread_capture``, ``pnl_per_day``, ``two_sided``): ``vs_baseline.<m>``
    (the difference, point minus baseline; + = the point is better),
    ``.ci_low``, ``.ci_high``, ``.block``, ``.few_blocks`` (:func:`few_blocks`: an interval shown but not
    tested) and ``.verdict`` (the one-line verdict of ``mmsim compare``).
    """
    if comparison is None:
        return {}
    out: dict[str, Any] = {"baseline": comparison.get("id"), "verdict": summary_verdict(comparison),
                           "verdict_on": verdict_on(comparison), "pnl_verdict": pnl_verdict(comparison),
                           "baseline_note": comparison.get("skipped"),
                           # The days of data the PnL per day divides by and their span (recorded since sweepword14).
                           "vs_baseline_n_days": comparison.get("n_days"), "vs_baseline_span_ns": comparison.get("span_ns")}
    for metric, r in (comparison.get("rows") or {}).items():
        key = f"vs_baseline.{metric}"
        out[key] = r.get("estimate")
        out[f"{key}.ci_low"] = r.get("ci_low")
        out[f"{key}.ci_high"] = r.get("ci_high")
        out[f"{key}.block"] = r.get("block")
        out[f"{key}.few_blocks"] = few_blocks(r)
        out[f"{key}.verdict"] = r.get("verdict")
    return out


def few_blocks(row: Mapping[str, Any]) -> bool:
    """A recorded difference's interval rests on fewer than ``MIN_BLOCKS`` expected blocks (``n_buckets / block``):
    shown, never called real (``mmsim compare``'s ``few blocks``; :attr:`PairedInterval.few_blocks`)."""
    block, n = row.get("block"), row.get("n_buckets")
    if row.get("ci_low") is None or not isinstance(block, (int, float)) or not isinstance(n, (int, float)) \
            or not (_is_number(block) and _is_number(n)):
        return False
    return (n / block if block > 0 else n) < MIN_BLOCKS


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
