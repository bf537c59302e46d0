"""One-to-one matching of a model's fills to the true fills (same side and price, exchange times within a tolerance).

Used by :func:`mmsim.score_queue_models` (docs/queue_models.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


from ..config import integer_argument
from .._exact import isum

__all__ = ["FillMatch", "match_fills"]


@dataclass(frozen=True)
class FillMatch:
    """A one-to-one matching of a model's fills to the true fills.

    Attributes
    ----------
    n_true, n_model : int
        Fills of the truth and of the model (inside the scoring window).
    lots_true, lots_model : int
        Their lots.
    pairs : int64 array, shape (matched, 2)
        ``(true fill index, model fill index)`` of each matched pair, indices
        into the arrays given to :func:`match_fills`.
    matched_lots : int
        Sum over pairs of ``min(true qty, model qty)``.
    abs_dt_ns : int64 array, shape (matched,)
        ``|exch_ts difference|`` of each pair, ns.
    first_unmatched_ts : int or None
        Exchange time of the earliest missed or false fill (None: none).
    """

    n_true: int
    n_model: int
    lots_true: int
    lots_model: int
    pairs: np.ndarray
    matched_lots: int
    abs_dt_ns: np.ndarray
    first_unmatched_ts: int | None

    @property
    def matched(self) -> int:
        """Matched pairs."""
        return int(self.pairs.shape[0])

    @property
    def missed(self) -> int:
        """True fills the model has no match for."""
        return self.n_true - self.matched

    @property
    def false_fills(self) -> int:
        """Model fills with no true fill to match."""
        return self.n_model - self.matched

    @property
    def match_share(self) -> float | None:
        """matched / true fills (the recall); None without true fills."""
        return self.matched / self.n_true if self.n_true else None

    @property
    def precision(self) -> float | None:
        """matched / model fills; None without model fills."""
        return self.matched / self.n_model if self.n_model else None

    @property
    def f1(self) -> float:
        """F1 of the lots: ``2 * matched_lots / (lots_true + lots_model)`` (1.0 when neither filled)."""
        tot = self.lots_true + self.lots_model
        return 2.0 * self.matched_lots / tot if tot else 1.0


def _match_group(t: list[int], m: list[int], tol: int) -> list[tuple[int, int]]:
    """Pairs ``(a, b)`` of positions in the sorted time lists ``t`` and ``m`` (one side and price).

    The most pairs with ``|t[a] - m[b]| <= tol``, and among those the least
    total ``|t[a] - m[b]|``. Two crossing pairs (``a < a'``, ``b > b'``) can be
    uncrossed without breaking the tolerance or raising the cost, so an
    optimal matching is a chain increasing in both ``a`` and ``b``: the
    heaviest chain of candidate pairs, by value ``(pairs, -cost)``, found
    with a Fenwick tree of prefix maxima over ``b`` (O(P log n) for P
    candidate pairs).
    """
    cands: list[tuple[int, int, int]] = []
    lo = 0
    for a, ta in enumerate(t):
        while lo < len(m) and m[lo] < ta - tol:
            lo += 1
        b = lo
        while b < len(m) and m[b] <= ta + tol:
            cands.append((a, b, abs(m[b] - ta)))
            b += 1
    if not cands:
        return []
    size = len(m)
    tree: list[tuple[int, int, int] | None] = [None] * (size + 1)
    val: list[tuple[int, int, int]] = []
    prev: list[int] = []
    k = 0
    while k < len(cands):
        a = cands[k][0]
        group = []
        while k < len(cands) and cands[k][0] == a:
            group.append(k)
            k += 1
        for c in group:  # chains ending before truth fill a, at a model fill before b
            b, cost = cands[c][1], cands[c][2]
            best = None
            x = b
            while x > 0:
                v = tree[x]
                if v is not None and (best is None or v > best):
                    best = v
                x -= x & -x
            if best is None:
                val.append((1, -cost, c))
                prev.append(-1)
            else:
                val.append((best[0] + 1, best[1] - cost, c))
                prev.append(best[2])
        for c in group:
            x = cands[c][1] + 1
            while x <= size:
                cur = tree[x]
                if cur is None or val[c] > cur:
                    tree[x] = val[c]
                x += x & -x
    c = max(range(len(val)), key=val.__getitem__)
    out = []
    while c != -1:
        out.append((cands[c][0], cands[c][1]))
        c = prev[c]
    return out[::-1]


def match_fills(truth: np.ndarray, model: np.ndarray, tolerance_ns: int) -> FillMatch:
    """Match a model's fills to the true fills one to one.

    A model fill and a true fill may match when they are on the same side and
    price and ``|exch_ts difference| <= tolerance_ns``; their sizes may differ
    (``matched_lots`` takes the smaller of each pair). Each fill matches at
    most once. The matching has the largest possible number of pairs, and
    among those the least total time difference, so an exact replay matches
    fill for fill and a fill at the same instant is preferred to a
    neighbour within the tolerance. (Two crossing pairs can always be
    uncrossed without breaking the tolerance or adding time difference, so
    the optimum is found as the heaviest increasing chain of candidate pairs.)

    Parameters
    ----------
    truth, model : structured arrays, shape (n,), (m,)
        Fills with ``exch_ts`` (ns), ``side`` (+1/-1), ``price`` (ticks) and
        ``qty`` (lots), e.g. ``Result.fills``.
    tolerance_ns : int
        Largest time difference of a match, ns (>= 0; a whole float, ``5.0``, is that integer).

    Returns
    -------
    FillMatch

    Raises
    ------
    ConfigError
        A negative tolerance, or one that is not an integer (``2.5``, ``True``).
    """
    # An integer keyword as an integer config key: 5.0 is 5; 2.5, True and a float beyond 2**53 are refused.
    tolerance_ns = integer_argument(tolerance_ns, "tolerance_ns must be an integer >= 0 (ns)", low=0)
    tt, mt = truth["exch_ts"].astype(np.int64), model["exch_ts"].astype(np.int64)
    tq, mq = truth["qty"].astype(np.int64), model["qty"].astype(np.int64)
    groups: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for i, key in enumerate(zip(truth["side"].tolist(), truth["price"].tolist())):
        groups.setdefault(key, ([], []))[0].append(i)
    for j, key in enumerate(zip(model["side"].tolist(), model["price"].tolist())):
        groups.setdefault(key, ([], []))[1].append(j)
    tl, ml = tt.tolist(), mt.tolist()
    pairs: list[tuple[int, int]] = []
    for ti, mi in groups.values():
        ti.sort(key=lambda i: (tl[i], i))
        mi.sort(key=lambda j: (ml[j], j))
        for a, b in _match_group([tl[i] for i in ti], [ml[j] for j in mi], int(tolerance_ns)):
            pairs.append((ti[a], mi[b]))
    arr = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    matched_lots = isum(np.minimum(tq[arr[:, 0]], mq[arr[:, 1]])) if arr.size else 0  # lots summed exactly
    dt = np.abs(tt[arr[:, 0]] - mt[arr[:, 1]]) if arr.size else np.zeros(0, dtype=np.int64)
    un_t = np.setdiff1d(np.arange(tt.size), arr[:, 0])
    un_m = np.setdiff1d(np.arange(mt.size), arr[:, 1])
    firsts = [int(tt[un_t].min())] if un_t.size else []
    firsts += [int(mt[un_m].min())] if un_m.size else []
    return FillMatch(int(tt.size), int(mt.size), isum(tq), isum(mq), arr, matched_lots, dt,
                     min(firsts) if firsts else None)
