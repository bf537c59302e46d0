"""How a sweep plot places a duration axis (a latency, a timer): linear, symlog, or evenly spaced in order."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MIN_GAP", "duration_scale"]

#: Least gap between two neighbouring points of a duration axis, as a share of the axis's span (about 17
#: pixels in a 3-column figure's panel): closer, a point's marker and label would sit on its neighbour's.
MIN_GAP = 0.05


def _symlog(x: float, linthresh: float) -> float:
    """Where matplotlib's symlog scale (base 10, linscale 1) puts ``x`` (>= 0), in decades."""
    import math

    adj = 1.0 / (1.0 - 0.1)  # matplotlib's linscale / (1 - 1/base): the linear band takes 1.11 decades
    return x / linthresh * adj if x <= linthresh else adj + math.log10(x / linthresh)


def _least_gap(xs: Sequence[float]) -> float:
    """The smallest gap between neighbours of ``xs`` as a share of their span (1.0 for one point)."""
    s = sorted(set(xs))
    return 1.0 if len(s) < 2 else min(b - a for a, b in zip(s, s[1:])) / (s[-1] - s[0])


def duration_scale(ns: Sequence[float]) -> tuple[str, float]:
    """``("linear", 0)``, ``("symlog", linthresh)`` or ``("even", 0)`` for a duration axis of values ``ns``.

    Of a linear and a symlog placement, the one whose closest two neighbours are further apart (as a share of
    the span; linear on a tie): an even grid (0/25/50/75/100 ms) stays linear and proportional, a roughly
    geometric one (0, 20ms, 100ms, 1s) goes symlog. The symlog's linear band ends at the smallest positive
    value, so 0 sits 1.1 decades below it (0, 20ms, 100ms, 1s at 0, 1.1, 1.8, 2.8 decades). When even the
    better placement has two neighbours under :data:`MIN_GAP` apart (0, 100ms, 110ms, 120ms, 1s), the points
    are evenly spaced in their order.
    """
    positive = [x for x in ns if x > 0]
    if len(set(ns)) < 2 or not positive:
        return "linear", 0.0
    lin = min(positive)
    linear = _least_gap(list(ns))
    symlog = _least_gap([_symlog(max(x, 0.0), lin) for x in ns])
    if max(linear, symlog) < MIN_GAP:
        return "even", 0.0
    return ("linear", 0.0) if linear >= symlog else ("symlog", lin)
