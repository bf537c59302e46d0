"""Analyses that compose runs: L2 queue models scored against L3 truth, and paired run comparisons.

- :func:`score_queue_models` (docs/queue_models.md): replay one strategy on
  market-by-order data under exact FIFO and on the same day aggregated to L2
  under each L2 queue model; how wrong is each model?
- :func:`compare` (docs/compare.md): two runs on the same data as paired
  series over time buckets, with block-bootstrap intervals and a verdict.
"""

from __future__ import annotations

from .comparison import Comparison, CompareRow, compare
from .queue_score import PowerFit, QueueModelRow, QueueScore, match_fills, score_queue_models

__all__ = [
    "CompareRow",
    "Comparison",
    "PowerFit",
    "QueueModelRow",
    "QueueScore",
    "compare",
    "match_fills",
    "score_queue_models",
]
