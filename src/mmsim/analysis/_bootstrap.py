"""Block bootstrap of paired time series: the stationary bootstrap and its automatic block length.

Pure numpy. Two runs on the same data are compared bucket by bucket (the
same buckets for both runs), so a resample draws *bucket indices* once and
applies them to both runs' series: the pairing survives the resampling and
the common market noise cancels in the difference.

- Resampling: the stationary bootstrap of Politis and Romano (1994), "The
  stationary bootstrap", J. American Statistical Association 89(428),
  1303-1313. Blocks start at uniform random buckets, have geometric lengths
  of mean ``b`` and wrap around the end of the series.
- Mean block length ``b``: the automatic rule of Politis and White (2004),
  "Automatic block-length selection for the dependent bootstrap",
  Econometric Reviews 23(1), 53-70, with the correction of Patton, Politis
  and White (2009), Econometric Reviews 28(4), 372-375 (flat-top lag window
  of Politis and Romano 1995; ``D_SB = 2 g(0)^2``).
- Interval: the percentile interval of the bootstrap distribution of the
  statistic (Efron and Tibshirani 1993, ch. 13).

All random draws come from ``numpy.random.default_rng(seed)``: a seed gives
the same interval, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "MIN_BLOCKS",
    "MIN_BUCKETS",
    "PairedInterval",
    "max_block_length",
    "optimal_block_length",
    "paired_mean_interval",
    "paired_ratio_interval",
    "stationary_indices",
]


def _flat_top(x: np.ndarray) -> np.ndarray:
    """Politis and Romano's (1995) trapezoidal flat-top lag window: 1 on |x| <= 1/2, down to 0 at |x| = 1."""
    a = np.abs(x)
    return np.where(a <= 0.5, 1.0, np.where(a <= 1.0, 2.0 * (1.0 - a), 0.0))


def optimal_block_length(x: np.ndarray) -> float:
    """Mean block length of the stationary bootstrap for the mean of ``x`` (Politis and White 2004).

    Parameters
    ----------
    x : 1-d float array, shape (n,)
        The series (e.g. one paired difference per time bucket); finite values.

    Returns
    -------
    float
        ``b = (2 G^2 / D_SB)^(1/3) n^(1/3)`` with ``G = sum_k lam(k/M) |k| R(k)``,
        ``D_SB = 2 (sum_k lam(k/M) R(k))^2`` over ``|k| <= M`` (``R`` the sample
        autocovariances, ``lam`` the flat-top window), clipped to
        ``[1, ceil(min(3 sqrt(n), n/3))]``. ``M = min(2 m, ceil(sqrt(n)) + K)``
        where ``m >= 1`` is the smallest lag after which ``K = max(5, ceil(sqrt(log10 n)))``
        autocorrelations in a row are insignificant at ``2 sqrt(log10(n)/n)``
        (Politis 2003; Remark 2.3 of Politis and White 2004), else the largest
        significant lag. A series of fewer than 9 values or with no variance
        gets ``1.0`` (the i.i.d. bootstrap).

    Raises
    ------
    ValueError
        ``x`` is not 1-d or holds a non-finite value.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"optimal_block_length: expected a 1-d series, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("optimal_block_length: the series holds NaN or inf")
    n = x.size
    if n < 9:
        return 1.0
    xc = x - x.mean()
    var = float(xc @ xc) / n
    if var <= 0.0:
        return 1.0
    k_n = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = math.ceil(math.sqrt(n)) + k_n
    b_max = max_block_length(n)
    lags = min(m_max + k_n, n - 1)
    acov = np.array([float(xc[: n - k] @ xc[k:]) / n for k in range(lags + 1)])
    rho = acov[1:] / acov[0]  # rho[j] is the lag j+1 autocorrelation
    crit = 2.0 * math.sqrt(math.log10(n) / n)
    small = np.abs(rho) < crit
    m_hat = None
    for m in range(1, lags - k_n + 1):
        if small[m: m + k_n].all():  # lags m+1 .. m+K all insignificant
            m_hat = m
            break
    if m_hat is None:  # no run of K insignificant lags: the largest significant lag
        sig = np.flatnonzero(~small)
        m_hat = int(sig[-1]) + 1 if sig.size else 1
    big_m = min(2 * m_hat, m_max, lags)
    k = np.arange(-big_m, big_m + 1)
    r = acov[np.abs(k)]
    lam = _flat_top(k / big_m)
    g_hat = float(np.sum(lam * np.abs(k) * r))
    g0 = float(np.sum(lam * r))
    d_sb = 2.0 * g0 * g0
    if d_sb <= 0.0 or g_hat == 0.0:
        return 1.0
    b = (2.0 * g_hat * g_hat / d_sb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(b, 1.0), b_max))


def stationary_indices(n: int, block: float, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Index arrays of ``n_boot`` stationary-bootstrap resamples of a series of length ``n``.

    Parameters
    ----------
    n : int
        Length of the series (buckets), >= 1.
    block : float
        Mean block length ``b`` >= 1: each position starts a new block with
        probability ``1/b`` (geometric block lengths, Politis and Romano 1994).
    n_boot : int
        Resamples.
    rng : numpy.random.Generator
        Source of every draw.

    Returns
    -------
    int64 array, shape (n_boot, n)
        Row ``r`` holds the bucket indices of resample ``r``; blocks wrap
        around the end of the series.
    """
    if n < 1 or n_boot < 1:
        raise ValueError(f"stationary_indices: need n >= 1 and n_boot >= 1, got {n}, {n_boot}")
    if not block >= 1.0:
        raise ValueError(f"stationary_indices: the mean block length must be >= 1, got {block!r}")
    starts = rng.integers(0, n, size=(n_boot, n))
    new = rng.random((n_boot, n)) < (1.0 / block)
    new[:, 0] = True
    pos = np.arange(n)
    # For each position, the position where its block began; its index is that block's
    # random start plus the offset into the block, wrapped.
    began = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    first = np.take_along_axis(starts, began, axis=1)
    return (first + (pos - began)) % n


@dataclass(frozen=True)
class PairedInterval:
    """A paired difference ``B - A`` with its bootstrap confidence interval.

    Attributes
    ----------
    estimate : float or None
        The difference on the whole sample (None when undefined, e.g. no fills).
    ci_low, ci_high : float or None
        Percentile interval at ``confidence``; None when undefined, and when the
        series has fewer than ``MIN_BUCKETS`` (10) buckets.
    confidence : float
        Level of the interval.
    block : float
        Mean block length used, in buckets.
    n_buckets : int
        Buckets in the series.
    n_boot : int
        Resamples drawn.
    n_valid : int
        Resamples where the statistic was defined (a ratio needs lots in both runs).
    support : (int, int) or None
        For a ratio: the buckets in which run A and run B have lots (a fill).
        Either below ``MIN_BUCKETS`` gives no interval: a run whose fills all fall
        in one bucket has the same ratio in every resample that holds it, so the
        interval would show only the other run's spread (one fill could be "real").
        None for a mean.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    block: float
    n_buckets: int
    n_boot: int
    n_valid: int
    support: tuple[int, int] | None = None

    @property
    def blocks(self) -> float:
        """Expected blocks in a resample: ``n_buckets / block``."""
        return self.n_buckets / self.block if self.block > 0 else float(self.n_buckets)

    @property
    def few_blocks(self) -> bool:
        """The interval rests on fewer than ``MIN_BLOCKS`` expected blocks (:data:`MIN_BLOCKS`): shown, never called real."""
        return self.ci_low is not None and self.blocks < MIN_BLOCKS

    @property
    def significant(self) -> bool:
        """True when the interval exists, excludes zero and rests on at least ``MIN_BLOCKS`` expected blocks."""
        return (self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0)
                and not self.few_blocks)

    def to_dict(self) -> dict:
        """Plain JSON-ready mapping."""
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "confidence": self.confidence, "block": self.block, "n_buckets": self.n_buckets,
                "n_boot": self.n_boot, "n_valid": self.n_valid,
                "support": None if self.support is None else list(self.support), "significant": self.significant}


def _check(confidence: float, n_boot: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ValueError(f"n_boot must be an integer >= 10, got {n_boot!r}")


#: Buckets an interval needs: below this a resample of the buckets says little about the
#: sampling distribution (one bucket gives a zero-width "interval"), so there is none.
MIN_BUCKETS = 10

#: Expected blocks (``n_buckets / block``) an interval needs to be called real. The stationary bootstrap
#: resamples blocks, not buckets: its independent units are the blocks, and the variance of its variance
#: estimate is of order ``block / n_buckets``, one over the number of blocks (Kuensch 1989, Ann. Statist. 17,
#: 1217-1241; Lahiri 1999, "Theoretical comparisons of block bootstrap methods", Ann. Statist. 27, 386-404;
#: Lahiri 2003, Resampling Methods for Dependent Data, ch. 3 and 5), so with a handful of blocks the width of
#: the interval is itself a guess. The same minimum as :data:`MIN_BUCKETS` asks of the units resampled.
#: The automatic block's bound ``min(3 sqrt(n), n/3)`` (Politis and White 2004) allows 3 blocks: breaker29's
#: ``--block 100000`` on 390 buckets, clamped to 60 (6.5 blocks), turned a PnL row from "not distinguishable"
#: (block 1.3, [-11,146, 51,675]) to "real" ([2,080, 38,004]). Below it the interval is shown, not called real.
MIN_BLOCKS = 10


def _interval(estimate: float | None, stats: np.ndarray, confidence: float, block: float, n: int,
              n_boot: int, support: tuple[int, int] | None = None) -> PairedInterval:
    ok = stats[np.isfinite(stats)]
    lo = hi = None
    enough = support is None or min(support) >= MIN_BUCKETS
    if estimate is not None and ok.size >= 2 and n >= MIN_BUCKETS and enough:
        alpha = (1.0 - confidence) / 2.0
        lo, hi = (float(v) for v in np.quantile(ok, [alpha, 1.0 - alpha]))
    return PairedInterval(estimate, lo, hi, confidence, float(block), n, int(n_boot), int(ok.size), support)


def max_block_length(n: int) -> int:
    """The longest mean block the intervals use on ``n`` buckets: ``ceil(min(3 sqrt(n), n/3))``,
    at least 1 (the bound of :func:`optimal_block_length`, Politis and White 2004).

    A longer block makes most resamples one block wrapping around the day: a rotation of
    the series, with the same mean, so the interval shrinks to the estimate and any
    difference looks "real".
    """
    return max(1, math.ceil(min(3.0 * math.sqrt(n), n / 3.0)))


def _resolve_block(block: float | None, z: np.ndarray) -> float:
    if block is None:
        return optimal_block_length(z)
    if not (isinstance(block, (int, float, np.integer, np.floating)) and not isinstance(block, bool)
            and math.isfinite(block) and block >= 1.0):
        raise ValueError(f"block must be a number >= 1 (buckets) or None, got {block!r}")
    # A fixed block obeys the automatic choice's bound (the `block` column shows what was used).
    return float(min(float(block), max_block_length(len(z))))


def _resampled(n: int, block: float, n_boot: int, seed: int | np.random.Generator | None,
               stat: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = np.empty(n_boot)
    # Chunks bound the memory of the index matrix (n_boot x n int64).
    chunk = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    for s in range(0, n_boot, chunk):
        idx = stationary_indices(n, block, min(chunk, n_boot - s), rng)
        out[s: s + idx.shape[0]] = stat(idx)
    return out


def paired_mean_interval(d: np.ndarray, *, scale: float = 1.0, block: float | None = None,
                         n_boot: int = 2000, confidence: float = 0.95,
                         seed: int | np.random.Generator | None = 0) -> PairedInterval:
    """Stationary-bootstrap interval for ``scale * mean(d)`` of a paired difference series.

    Parameters
    ----------
    d : 1-d float array, shape (n,)
        One paired difference ``B - A`` per time bucket (e.g. PnL per bucket).
    scale : float
        Multiplies the mean (e.g. buckets per day, to report PnL per day).
    block : float, optional
        Mean block length in buckets; None selects it from ``d`` with
        :func:`optimal_block_length`.
    n_boot : int
        Resamples (>= 10).
    confidence : float
        Level of the percentile interval.
    seed : int, Generator or None
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    PairedInterval

    Raises
    ------
    ValueError
        An empty or non-finite series, a bad block, level or resample count.
    """
    _check(confidence, n_boot)
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 1 or d.size == 0 or not np.isfinite(d).all():
        raise ValueError("paired_mean_interval: expected a non-empty 1-d series of finite values")
    b = _resolve_block(block, d)
    stats = _resampled(d.size, b, n_boot, seed, lambda idx: d[idx].mean(axis=1) * scale)
    return _interval(float(d.mean() * scale), stats, confidence, b, d.size, n_boot)


def paired_ratio_interval(num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray, *,
                          block: float | None = None, n_boot: int = 2000, confidence: float = 0.95,
                          seed: int | np.random.Generator | None = 0) -> PairedInterval:
    """Stationary-bootstrap interval for ``sum(num_b)/sum(den_b) - sum(num_a)/sum(den_a)``.

    The statistic of "mean markout per lot": per bucket, ``num`` is the sum of
    markout x lots and ``den`` the lots, for each run. A resample draws bucket
    indices once and sums both runs' buckets at them (paired).

    Parameters
    ----------
    num_a, den_a, num_b, den_b : 1-d float arrays, shape (n,)
        Per-bucket numerators and denominators (``den >= 0``) of runs A and B.
    block : float, optional
        Mean block length in buckets; None selects it (Politis and White 2004)
        from the linearised difference
        ``(num_b - r_b den_b)/mean(den_b) - (num_a - r_a den_a)/mean(den_a)``
        (the ratio's influence function; ``r`` the whole-sample ratios).
    n_boot, confidence, seed
        As in :func:`paired_mean_interval`.

    Returns
    -------
    PairedInterval
        ``estimate`` None when a run has no lots; resamples where a run has no
        lots are dropped (``n_valid`` counts the rest). ``support`` counts the
        buckets with lots per run; no interval when either is below
        ``MIN_BUCKETS`` (a ratio known from fewer buckets has no sampling spread
        the buckets can show).

    Raises
    ------
    ValueError
        Arrays of different lengths, empty, non-finite or negative denominators.
    """
    _check(confidence, n_boot)
    arrs = [np.asarray(a, dtype=np.float64) for a in (num_a, den_a, num_b, den_b)]
    n = arrs[0].size
    if any(a.ndim != 1 or a.size != n for a in arrs) or n == 0:
        raise ValueError("paired_ratio_interval: expected four non-empty 1-d arrays of one length")
    if not all(np.isfinite(a).all() for a in arrs) or (arrs[1] < 0).any() or (arrs[3] < 0).any():
        raise ValueError("paired_ratio_interval: values must be finite and denominators >= 0")
    na, da, nb, db = arrs
    sa, sb = da.sum(), db.sum()
    support = (int(np.count_nonzero(da)), int(np.count_nonzero(db)))
    if sa <= 0 or sb <= 0:
        return PairedInterval(None, None, None, confidence, 1.0 if block is None else float(block), n,
                              int(n_boot), 0, support)
    ra, rb = na.sum() / sa, nb.sum() / sb
    z = (nb - rb * db) / (sb / n) - (na - ra * da) / (sa / n)
    b = _resolve_block(block, z)

    def stat(idx: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return nb[idx].sum(axis=1) / db[idx].sum(axis=1) - na[idx].sum(axis=1) / da[idx].sum(axis=1)

    stats = _resampled(n, b, n_boot, seed, stat)
    return _interval(float(rb - ra), stats, confidence, b, n, n_boot, support)
