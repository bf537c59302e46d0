"""Is the difference real? Two runs on the same data compared as paired series over time buckets.

``compare(result_a, result_b, events)`` cuts the data's span into buckets of
exchange time (1 minute by default), sums each run's fills and PnL per
bucket, and gives for ``B - A``:

- the mean markout per lot at each horizon (ticks/lot; the realized
  half-spread at that horizon, docs/reports.md),
- the spread capture per lot: the effective half-spread ``side*(mid at fill -
  price)`` per lot (ticks/lot),
- the PnL per day (mark to mid, fees included; quote currency per day),

each with a stationary-bootstrap confidence interval over the buckets
(:mod:`mmsim.analysis._bootstrap`: Politis and Romano 1994, block length by
Politis and White 2004) and a one-line verdict. Positive always means B is
better for the market maker. docs/compare.md has the method and its choices.

Example
-------
>>> cmp = mmsim.compare(result_a, result_b, events=store)   # doctest: +SKIP
>>> print(cmp.verdicts()[0])                                # doctest: +SKIP
B's 1s markout is 0.42 ticks/lot better than A's (95% CI 0.18 to 0.66): real
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..config import integer_argument, parse_duration
from ..errors import ConfigError, DataError, MmsimError
from ..report.setup import IDENTITY_KEYS, identity_keys, implied_note, units_warning
from ._bootstrap import MIN_BLOCKS, MIN_BUCKETS, PairedInterval
from .buckets import BucketSeries, bucket_edges, bucket_series, equity_at, grid_origin, paired_difference

__all__ = [
    "BucketSeries",
    "CompareRow",
    "Comparison",
    "IDENTITY_KEYS",
    "bucket_edges",
    "bucket_series",
    "check_same_data",
    "compare",
    "compare_rows",
    "equity_at",
    "paired_difference",
]

#: Most bootstrap resamples a comparison draws (the statistics of one row alone hold 8 bytes each;
#: 10**11 asked for 745 GiB).
MAX_BOOT = 10_000_000



# --------------------------------------------------------------------------- same data


def not_a_run(d: Path, command: str = "compare") -> str:
    """Why directory ``d`` (no result.json) is not a run, for ``mmsim compare`` or ``mmsim report``:
    missing, a sweep's output, an event store, or anything else."""
    if not (d.exists() or d.is_symlink()):
        return f"{d}: no such directory"
    if (d / "results.jsonl").is_file():
        what = (f"compare two of its points' directories, written by `mmsim sweep GRID --point ID` to "
                f"{d / 'points' / 'ID'} (`mmsim compare {d / 'points' / 'ID_A'} {d / 'points' / 'ID_B'}`), or give "
                "the grid a `baseline:` to compare every point with one") if command == "compare" else (
                f"its table and plots are {d / 'sweep.html'}; one point's full report is written by `mmsim sweep "
                f"GRID --point ID` to {d / 'points' / 'ID'}")
        return f"{d}: a sweep's output (results.jsonl), not a run directory: {what} (docs/sweeps.md)"
    if (d / "events.npy").is_file() and (d / "meta.json").is_file():
        return (f"{d}: an event store (events.npy, meta.json), not a run directory: `mmsim run CONFIG -o DIR` "
                f"replays it (a config whose data: names it) and writes the run for `mmsim {command}`")
    return f"{d}: not a run directory (no result.json; mmsim run writes one)"


def _load(run: Any) -> Any:
    if isinstance(run, (str, Path)):
        from ..engine import Result

        d = Path(run)
        if not (d / "result.json").is_file():
            raise DataError(not_a_run(d))
        try:
            return Result.load(d)
        except MmsimError:
            raise  # already names the file and what is wrong
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f"{d}: cannot read the run ({type(e).__name__}: {e})") from None
    return run


def check_same_data(result_a: Any, result_b: Any, names: tuple[str, str] = ("A", "B")) -> dict[str, Any]:
    """Refuse two runs that did not replay the same events; return the shared identity.

    Parameters
    ----------
    result_a, result_b : mmsim.Result
        The runs (``Result.meta`` holds the store's meta.json; ``n_events`` the
        events replayed).
    names : (str, str)
        How the error names the runs.

    Returns
    -------
    dict
        The identity keys (:data:`IDENTITY_KEYS`, or by the content digest when both metas carry one:
        ``identity_keys``) present in the metas, and ``n_events``.

    Raises
    ------
    DataError
        One line listing every identity key that differs (``event_count 69532
        vs 78849``), or the tick values when the PnL units differ, or naming a
        run that stopped before the end of its data (``Result.partial``) and why.
    """
    for name, r in ((names[0], result_a), (names[1], result_b)):
        if getattr(r, "partial", False):  # docs/engine.md, "Stopped runs"; docs/compare.md
            n = getattr(r, "n_events", None)
            after = f" after {n:,} events" if isinstance(n, int) else ""
            raise DataError(f"compare: run {name} stopped before the end of its data (a partial result{after}: "
                            f"{getattr(r, 'stop_reason', None) or 'no reason recorded'}); compare needs two runs "
                            "that replayed the whole data")
    ma, mb = dict(getattr(result_a, "meta", {}) or {}), dict(getattr(result_b, "meta", {}) or {})
    diffs = []
    ident: dict[str, Any] = {}
    for k in identity_keys(ma, mb):  # by the content digest when both stores carry one
        if k not in ma and k not in mb:
            continue
        va, vb = ma.get(k), mb.get(k)
        if va != vb:
            diffs.append(f"{k} {va!r} vs {vb!r}")
        ident[k] = va
    na, nb = getattr(result_a, "n_events", None), getattr(result_b, "n_events", None)
    if na != nb:
        diffs.append(f"events replayed {na} vs {nb}")
    ident["n_events"] = na
    if diffs:
        raise DataError(f"compare: runs {names[0]} and {names[1]} replayed different data: " + ", ".join(diffs)
                        + implied_note(ma, mb, names))
    ta, tb = float(result_a.tick_value), float(result_b.tick_value)
    for name, tv in ((names[0], ta), (names[1], tb)):
        if not (math.isfinite(tv) and tv > 0):
            raise DataError(f"compare: run {name}'s tick_value is {tv!r}; expected a positive finite number")
    if not math.isclose(ta, tb, rel_tol=1e-12):
        raise DataError(f"compare: runs {names[0]} and {names[1]} value a tick·lot differently ({ta!r} vs {tb!r}); "
                        "their PnL is not in the same unit")
    return ident


# --------------------------------------------------------------------------- result


def _fmt(x: float | None, money: bool = False, short: bool = False, share: str = "", whole: bool = False) -> str:
    """A compared value as printed: money with thousands separators (``short``: whole above 1,000; ``whole``:
    whole, for an interval whose other bound is), ticks/lot with 2 decimals and thousands separators (2
    significant digits below 0.005, never an exponent: ``-0.000037``), a share of time as a percentage
    (``share="%"``) or a difference of shares in percentage points (``share="pp"``: the number; the verdict adds
    `` pp``), 2 decimals, or 2 significant digits below 0.1 pp (``-0.0071``: AMZN's two-sided difference read
    ``-0.01 [-0.01, -0.01]``)."""
    if x is None or not math.isfinite(x):
        return "–"
    if share == "%":
        return f"{x * 100:.2f}%"
    if share:
        return pp_text(x * 100)
    if money and (whole or (short and abs(x) >= 1000)) and abs(x) >= 0.5:  # never `-0` for -0.4 (breaker15b)
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 0.005:  # money too: -0.003 read -0.00
        from decimal import Decimal

        # below 1e-9 (a float's rounding, nothing measured) the exponent, not 300 zeros
        return format(Decimal(f"{x:.2g}"), "f") if abs(x) >= 1e-9 else f"{x:.1e}"
    return f"{x:,.2f}"


@dataclass(frozen=True)
class CompareRow:
    """One compared quantity.

    Attributes
    ----------
    metric : str
        ``markout@<h>``, ``spread_capture``, ``pnl_per_day`` or ``two_sided``.
    label : str
        Human name (``1s markout``, ``spread capture``, ``PnL per day``, ``two-sided time``).
    unit : str
        ``ticks/lot``, ``<currency>/day`` (``quote currency/day``) or ``fraction of time``
        (``two_sided``: the values and the difference are fractions, printed as % and pp).
    a, b : float or None
        Each run's value on the whole sample.
    diff : PairedInterval
        ``B - A`` with its interval (positive: B better).
    verdict : str
        The one-line verdict.
    """

    metric: str
    label: str
    unit: str
    a: float | None
    b: float | None
    diff: PairedInterval
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping."""
        return {"metric": self.metric, "label": self.label, "unit": self.unit, "a": self.a, "b": self.b,
                "diff": self.diff.to_dict(), "verdict": self.verdict}


def pp_text(v: float) -> str:
    """A difference of shares in percentage points: 2 decimals, 2 significant digits below 0.095 (``-3.10``,
    ``0.10``, ``-0.0071``, ``-0.0000071``: never an exponent), so that a small but real difference and its
    interval do not all read ``-0.01``; 0 reads ``0.00``."""
    if v == 0:
        return "0.00"
    if abs(v) >= 0.095:
        return f"{v:.2f}"
    from decimal import Decimal

    return format(Decimal(f"{v:.2g}"), "f")


def verdict(label_a: str, label_b: str, what: str, unit: str, d: PairedInterval, *, money: bool = False,
            share: bool = False) -> str:
    """The one-line verdict on ``B - A``.

    ``"B's 1s markout is 0.42 ticks/lot better than A's (95% CI 0.18 to 0.66): real"``
    when the interval excludes zero, ``"...: not distinguishable from zero"``
    when it does not, ``"... undefined (...)"`` when a run has nothing to measure,
    ``"... (no interval: ...): not tested (...)"`` when there are fewer than
    ``MIN_BUCKETS`` buckets, or a ratio's run has fills in fewer buckets than that;
    ``"... (95% CI ...): not tested (the interval rests on 6.5 blocks of 60.0 buckets, at least 10 needed: ...)"``
    when the resamples hold fewer than ``MIN_BLOCKS`` expected blocks (:data:`._bootstrap.MIN_BLOCKS`).
    Higher is better for every compared quantity (markout and spread capture
    are ``+`` = good for the market maker; PnL is PnL). ``share``: the quantity is a
    share of time (two-sided presence), its difference said in percentage points,
    ``more``/``less``: ``"B's two-sided time is 2.50 pp less than A's (95% CI -3.10 pp to
    -1.90 pp): real"``.
    """
    if d.estimate is None:
        why = ("the venue was not trading in any compared bucket" if share
               else "a run has no fills with a value at it")
        return f"{label_b} vs {label_a}: {what} undefined ({why})"
    level = f"{d.confidence * 100:g}%"
    pp = "pp" if share else ""
    ci = ("no interval" if d.ci_low is None
          else f"{level} CI {_fmt(d.ci_low, money, share=pp)}{' pp' * share} to "
               f"{_fmt(d.ci_high, money, share=pp)}{' pp' * share}")
    few = d.ci_low is None and d.n_buckets < MIN_BUCKETS
    if d.estimate == 0:
        head = f"{label_b}'s {what} equals {label_a}'s"
    else:
        better = d.estimate > 0
        word = (("higher" if better else "lower") if money else ("more" if better else "less") if share
                else ("better" if better else "worse"))
        amount = f"{_fmt(abs(d.estimate), share=pp)} pp" if share else f"{_fmt(abs(d.estimate), money)} {unit}".rstrip()
        head = f"{label_b}'s {what} is {amount} {word} than {label_a}'s"
    tail = "real" if d.significant else "not distinguishable from zero"
    if d.few_blocks:
        tail = (f"not tested (the interval rests on {d.blocks:.1f} blocks of {d.block:.1f} buckets, at least "
                f"{MIN_BLOCKS} needed: use a shorter block or bucket)")
    if few:
        ci = f"no interval: {d.n_buckets} time bucket{'s' if d.n_buckets != 1 else ''}, at least {MIN_BUCKETS} needed"
        tail = "not tested (use a shorter bucket)"
    elif d.ci_low is None and d.support is not None and min(d.support) < MIN_BUCKETS:
        k = min(d.support)
        who = label_a if d.support[0] == k else label_b
        ci = (f"no interval: {who} has fills in {k} time bucket{'s' if k != 1 else ''}, "
              f"at least {MIN_BUCKETS} needed")
        tail = "not tested (too few fills)"
    return f"{head} ({ci}): {tail}"


@dataclass
class Comparison:
    """What :func:`compare` returns: one row per compared quantity, B - A.

    Attributes
    ----------
    label_a, label_b : str
    rows : list of CompareRow
    bucket_ns : int
    n_buckets : int
    n_boot : int
    confidence : float
    seed : int or None
    identity : dict
        The data both runs replayed (:func:`check_same_data`).
    n_days : int
        Days of data (:func:`mmsim._days.n_days`: the calendar days, UTC, the data touches,
        at most its span rounded up to whole days): PnL per day is the total divided by it.
    span_ns : int
        The market's span, ns: from its start (the first event after an opening snapshot set
        apart, else the first event) to the last event, as the report's ``risk.span_ns`` (a
        Databento day's 00:00 book before a 22:00 session adds nothing).
    """

    label_a: str
    label_b: str
    rows: list[CompareRow]
    bucket_ns: int
    n_buckets: int
    n_boot: int
    confidence: float
    seed: int | None
    identity: dict[str, Any] = field(default_factory=dict)
    n_days: int = 1
    span_ns: int = 0
    warnings: list[str] = field(default_factory=list)

    def verdicts(self) -> list[str]:
        """One verdict line per row."""
        return [r.verdict for r in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """The document written as compare.json (plain values, None where undefined)."""
        from .._json import json_clean as _json_clean

        return _json_clean({
            "schema": "mmsim.compare/1",
            "a": self.label_a,
            "b": self.label_b,
            "bucket_ns": self.bucket_ns,
            "n_buckets": self.n_buckets,
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "seed": self.seed,
            "method": "stationary bootstrap (Politis & Romano 1994) over time buckets, mean block length by "
                      "Politis & White (2004, corrected 2009), percentile interval",
            "identity": self.identity,
            "n_days": self.n_days,
            "span_ns": self.span_ns,
            "warnings": self.warnings,
            "rows": [r.to_dict() for r in self.rows],
        })

    def rich_table(self, width: int | None = None) -> Any:
        """The comparison as a rich Table (stacked into several to fit ``width`` columns when given)."""
        from rich import box
        from rich.table import Table

        from .._tables import fit_table
        from ..report.compute import format_ns

        title = (f"B = {self.label_b} vs A = {self.label_a}: B − A (+ = B better), "
                 f"{self.confidence * 100:g}% stationary-bootstrap CI")
        two = any(r.metric == "two_sided" for r in self.rows)
        pnl = next((r.label for r in self.rows if r.metric == "pnl_per_day"), "PnL per day")
        caption = ("markouts and spread capture in ticks/lot, "
                   + ("PnL in quote currency per day" if pnl == "PnL per day"
                      else f"PnL in quote currency over the {pnl[len('PnL over '):]} of data")
                   + (", two-sided time in % of the compared trading time (B − A in percentage points)" if two else "")
                   + f"; {self.n_buckets} buckets of {format_ns(self.bucket_ns)}, {self.n_boot} resamples, "
                   f"seed {self.seed}")
        level = f"{self.confidence * 100:g}% CI"
        cols = [(c, {"justify": "left" if c == "quantity" else "right"})
                for c in ("quantity", "A", "B", "B − A", level, "block", "real?")]
        rows = []
        for r in self.rows:
            money = r.metric == "pnl_per_day"
            pct, pp = ("%", "pp") if r.metric == "two_sided" else ("", "")
            d = r.diff
            # One interval, one form: [-178, 6,010], not [-178.28, 6,010] (newcomer15)
            whole = money and d.ci_low is not None and max(abs(d.ci_low), abs(d.ci_high or 0.0)) >= 1000
            ci = "–" if d.ci_low is None else (f"[{_fmt(d.ci_low, money, True, pp, whole)}, "
                                               f"{_fmt(d.ci_high, money, True, pp, whole)}]")
            rows.append([r.label, _fmt(r.a, money, True, pct), _fmt(r.b, money, True, pct),
                         _fmt(d.estimate, money, True, pp), ci,
                         # no interval, no resampling: no block length to show (it read 1.0)
                         "–" if d.ci_low is None else f"{d.block:.1f}",
                         "yes" if d.significant else "–" if d.ci_low is None else ("few blocks" if d.few_blocks else "no")])

        def make(t: str | None, c: str | None) -> Any:
            return Table(box=box.SIMPLE_HEAD, pad_edge=False, title=t, caption=c)

        return fit_table(make, cols, rows, width, groups=[[1, 2, 3], [4, 5, 6]], title=title, caption=caption)

    def print(self, console: Any = None) -> None:
        """Print the table and the verdicts (the table stacked to fit the console's width)."""
        if console is None:
            from rich.console import Console

            console = Console()
        console.print(self.rich_table(console.width))
        for v in self.verdicts():
            console.print(v, highlight=False, markup=False)  # a label's "[fast]" is text, not a style tag
        for w in self.warnings:
            console.print(f"warning: {w}", style="yellow", highlight=False, markup=False)

    def save(self, path: str | Path) -> Path:
        """Write compare.json to ``path`` (a directory, created if missing, or a .json file)."""
        import json

        p = Path(path)
        if p.suffix != ".json":
            p.mkdir(parents=True, exist_ok=True)
            p = p / "compare.json"
        p.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        return p

    def __repr__(self) -> str:
        return f"<Comparison {self.label_b} vs {self.label_a}: {len(self.rows)} rows>"


def _label(result: Any, given: str | None, fallback: str, path: Any) -> str:
    if given:
        return given
    if isinstance(path, (str, Path)):
        return Path(path).name or fallback
    return str(getattr(result, "strategy", "") or fallback)


def _named_store(result: Any) -> Any:
    """The event store ``result``'s meta (or run description) names, opened."""
    store = (getattr(result, "meta", {}) or {}).get("store") or getattr(getattr(result, "run_config", None), "data", "")
    if not store:
        raise DataError("compare: the runs name no event store; pass events=")
    from ..data import load

    return load(store)


def compare(result_a: Any, result_b: Any, events: Any = None, *, horizons: Sequence[Any] | None = None,
            bucket: Any = "1min", n_boot: int = 2000, confidence: float = 0.95, block: float | None = None,
            seed: int | None = 0, labels: tuple[str, str] | None = None) -> Comparison:
    """Compare two runs on the same data as paired series over time buckets: is B better than A?

    Parameters
    ----------
    result_a, result_b : mmsim.Result or path
        The two runs, or run directories written by ``mmsim run`` (``Result.save``).
    events : ndarray of EVENT_DTYPE or EventStore, optional
        The events both runs replayed. Default: the store named in the runs' meta.
    horizons : sequence of int or str, optional
        Markout horizons (durations). Default: run A's ``config.report.horizons``.
    bucket : int or str
        Bucket length (``"1min"``, ``"30s"`` or int ns). Default 1 minute.
    n_boot : int
        Bootstrap resamples (>= 10; default 2000). A whole float is that integer (``2000.0``), as for
        ``seed``; a fraction or a bool is refused (docs/config.md).
    confidence : float
        Level of the intervals (default 0.95).
    block : float, optional
        Mean block length in buckets; None (default) selects it per quantity
        with the Politis-White (2004) rule.
    seed : int or None
        Seed of ``numpy.random.default_rng`` (default 0: reproducible).
    labels : (str, str), optional
        Names of A and B in the verdicts (default: the run directory names,
        else the strategy labels).

    Returns
    -------
    Comparison
        Rows ``markout@<h>`` for each horizon, ``spread_capture``,
        ``pnl_per_day`` and, when both runs have an order log, ``two_sided`` (the
        share of the compared buckets' time both sides were live, docs/compare.md);
        each with run A's and B's values, ``B - A`` with its interval and a verdict.

    Raises
    ------
    DataError
        The runs replayed different data (identity keys of the store's meta,
        events count, tick value), or ``events`` does not match them.
    ConfigError
        A bad horizon, bucket, level or resample count.
    """
    paths = (result_a, result_b)
    ra, rb = _load(result_a), _load(result_b)
    la = _label(ra, labels[0] if labels else None, "A", paths[0])
    lb = _label(rb, labels[1] if labels else None, "B", paths[1])
    if la == lb:
        la, lb = f"A ({la})", f"B ({lb})"
    ident = check_same_data(ra, rb, (la, lb))
    named = events is None  # the store run A names: checked as a store given
    if named:
        events = _named_store(ra)
    if hasattr(events, "meta") and hasattr(events, "events"):
        from ..report.compute import _store_mismatch

        bad = _store_mismatch(ra, events)  # the report's check: identity keys, the digest recomputed
        if bad:
            what = f"the event store run {la} names ({events.path})" if named else "the event store given"
            raise DataError(f"compare: {what} is not the data the runs replayed: " + ", ".join(bad))
    ev = events.events if hasattr(events, "events") and hasattr(events, "meta") else np.asarray(events)
    if ev.shape[0] == 0:
        raise DataError("compare: the event array is empty")
    if ident.get("n_events") is not None and ev.shape[0] != ident["n_events"]:
        raise DataError(f"compare: the events given have {ev.shape[0]} rows but the runs replayed "
                        f"{ident['n_events']}; pass the events the runs replayed")
    if hasattr(events, "meta"):  # a store (given, or the one RUN_A names): its book
        from ..replay import replay_bbo
        from ..report.compute import _check_fill_books, _fill_columns

        bbo = replay_bbo(ev)
        for name, r in ((la, ra), (lb, rb)):
            _check_fill_books(_fill_columns(np.asarray(r.fills)), np.asarray(ev["exch_ts"]), bbo, "compare",
                              f"run {name}")
    bucket_ns = parse_duration(bucket, "bucket")
    if bucket_ns <= 0:
        raise ConfigError(f"bucket: must be a positive duration, got {bucket!r}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence!r}")
    # Integer keywords as integer config keys: 2000.0 is 2000; 2.5, True and a float beyond 2**53 are refused.
    n_boot = integer_argument(n_boot, f"n_boot must be an integer from 10 to {MAX_BOOT:,}", 10, MAX_BOOT)
    if block is not None and not (isinstance(block, (int, float)) and not isinstance(block, bool)
                                  and 1 <= block < float("inf")):
        raise ConfigError(f"block must be a finite number of buckets >= 1, got {block!r}")
    if seed is not None:  # numpy's own check: a traceback
        seed = integer_argument(seed, "seed must be a non-negative integer (or None)", low=0)
    if horizons is None:
        horizons = list(getattr(getattr(ra.run_config, "report", None), "horizons", ()) or ("1s",))
    hs = sorted({parse_duration(h, f"horizons[{i}]") for i, h in enumerate(horizons)})
    if not hs:
        raise ConfigError("horizons: give at least one markout horizon")
    fill_ts = np.concatenate([np.asarray(ra.fills["exch_ts"], dtype=np.int64),
                              np.asarray(rb.fills["exch_ts"], dtype=np.int64)])
    # Anchored at the market's start, as the report's Sharpe grid: moving an opening snapshot moves no edge.
    start, anchor = grid_origin(ev)
    edges = bucket_edges(np.asarray(ev["exch_ts"], dtype=np.int64), bucket_ns, fill_ts, start=start, anchor=anchor)
    sa = bucket_series(ra, ev, edges, hs, presence=True)
    sb = bucket_series(rb, ev, edges, hs, presence=True)
    diffs = paired_difference(sa, sb, block=block, n_boot=int(n_boot), confidence=confidence, seed=seed)
    rows = compare_rows(sa, sb, diffs, (la, lb))
    return Comparison(la, lb, rows, bucket_ns, len(edges), int(n_boot), confidence, seed, ident, sa.n_days,
                      sa.span_ns, units_warnings(ra, rb))


def pnl_name(n_days: int, span_ns: int) -> str:
    """What the PnL row is over: ``PnL per day``, or on one day of data spanning less than a day
    ``PnL over 5m46s`` (the figure is then the whole span's PnL, not scaled to a day; the report's Sharpe
    row and a sweep's ``Δ PnL`` column name the span alike)."""
    from .._days import NS_PER_DAY
    from ..report._format import format_span

    return f"PnL over {format_span(span_ns)}" if n_days == 1 and 0 < span_ns < NS_PER_DAY else "PnL per day"


def units_warnings(ra: Any, rb: Any) -> list[str]:
    """The report's futures-units warning (:func:`mmsim.report.setup.units_warning`) of run A and of run B,
    each prefixed with its run (``both runs:`` when the same): their PnL compared mixes units too."""
    got = [units_warning(r, getattr(r, "config", None), dict(getattr(r, "meta", None) or {})) for r in (ra, rb)]
    if got[0] and got[0] == got[1]:
        return [f"both runs: {got[0]}"]
    return [f"run {name}: {w}" for name, w in zip("AB", got) if w]


def compare_rows(sa: BucketSeries, sb: BucketSeries, diffs: dict[str, PairedInterval],
                 labels: tuple[str, str]) -> list[CompareRow]:
    """The rows of a comparison: each run's value on the whole sample, ``B - A`` and its verdict.

    Parameters
    ----------
    sa, sb : BucketSeries
        Runs A and B on the same buckets (:func:`bucket_series`).
    diffs : dict of str to PairedInterval
        :func:`paired_difference` of ``sa`` and ``sb``.
    labels : (str, str)
        How the verdicts name A and B.

    Returns
    -------
    list of CompareRow
        ``markout@<h>`` for each horizon of ``sa``, ``spread_capture``, ``pnl_per_day``, and
        ``two_sided`` when ``diffs`` has it.
    """
    la, lb = labels
    pnl_what = pnl_name(sa.n_days, sa.span_ns)
    currency = "quote currency/day" if pnl_what == "PnL per day" else "quote currency"
    rows = []

    def ratio(num: np.ndarray, den: np.ndarray) -> float | None:
        s = float(den.sum())
        return float(num.sum()) / s if s > 0 else None

    for lab in sa.markout_num:
        d = diffs[f"markout@{lab}"]
        what = f"{lab} markout"
        rows.append(CompareRow(f"markout@{lab}", what, "ticks/lot", ratio(sa.markout_num[lab], sa.markout_lots[lab]),
                               ratio(sb.markout_num[lab], sb.markout_lots[lab]), d,
                               verdict(la, lb, what, "ticks/lot", d)))
    d = diffs["spread_capture"]
    rows.append(CompareRow("spread_capture", "spread capture", "ticks/lot", ratio(sa.spread_num, sa.lots),
                           ratio(sb.spread_num, sb.lots), d, verdict(la, lb, "spread capture", "ticks/lot", d)))
    d = diffs["pnl_per_day"]
    rows.append(CompareRow("pnl_per_day", pnl_what, currency, float(sa.pnl.sum()) / sa.n_days,
                           float(sb.pnl.sum()) / sb.n_days, d, verdict(la, lb, pnl_what, "", d, money=True)))
    if "two_sided" in diffs and sa.two_sided is not None and sb.two_sided is not None:
        d = diffs["two_sided"]  # paired_difference has it only when both series have trading too
        assert sa.trading is not None and sb.trading is not None
        rows.append(CompareRow("two_sided", "two-sided time", "fraction of time", ratio(sa.two_sided, sa.trading),
                               ratio(sb.two_sided, sb.trading), d,
                               verdict(la, lb, "two-sided time", "", d, share=True)))
    return rows
