"""Analyses that compose runs: L2 queue models scored against L3 truth, and paired run comparisons.

- :func:`score_queue_models` (docs/queue_models.md): replay one strategy on
  market-by-order data under exact FIFO and on the same day aggregated to L2
  under each L2 queue model; how wrong is each model?
- :func:`compare` (docs/compare.md): two runs on the same data as paired
  series over time buckets, with block-bootstrap intervals and a verdict.
- :func:`audit_look_ahead` (docs/reports.md, "Look-ahead audit"): every decision
  of a run checked against the event array for look-ahead, outside the engine.
"""

from __future__ import annotations

from .comparison import Comparison, CompareRow, compare
from .lookahead import LookAheadAudit, audit_look_ahead, feed_delivery_times
from .queue_score import PowerFit, QueueModelRow, QueueScore, match_fills, score_queue_models

__all__ = [
    "CompareRow",
    "Comparison",
    "LookAheadAudit",
    "PowerFit",
    "QueueModelRow",
    "QueueScore",
    "audit_look_ahead",
    "compare",
    "feed_delivery_times",
    "match_fills",
    "score_queue_models",
]
