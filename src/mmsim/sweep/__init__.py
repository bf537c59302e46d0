"""Latency-sensitivity sweeps: a grid of run configs mapped over local processes or a Dask cluster, resumable.

A grid file (YAML) holds a base run config and the keys to vary::

    base_config: amzn.yaml          # or `base:` with the run config inline
    axes:                           # product of every axis
      latency.feed: [0ms, 1ms, 5ms, 20ms]
      strategy.params.half_spread: [1, 2]
    points:                         # optional explicit points (each one crossed with the axes)
      - {strategy: {path: strategies/fixed_spread.py:FixedSpread, params: {size: 100}}}
    repeats: 3                      # per point with a random (lognormal) latency model
    output: sweeps/latency          # default of -o
    workers: 2                      # default of --workers

Each point is the base mapping with its dotted overrides set (an override
replaces what the base had at that key), then :meth:`Config.from_dict`, so
every value is checked exactly as in a run config
(:meth:`mmsim.RunConfig.from_dict`). A point's id is a hash of
its resolved config and repeat index: rerunning a sweep recognises finished
points, and editing the base reruns the points it changes.

Results go to ``OUT/results.jsonl``, one JSON object per finished point,
appended, flushed and fsynced as each point finishes (see :data:`RESULTS_FILE`
for the record layout). A crash or Ctrl-C loses nothing, and running the same
command again skips every point already in the file.

Example
-------
>>> rows = mmsim.sweep.run_sweep("latency.yaml", out="sweeps/latency", workers=2)  # doctest: +SKIP
>>> table = mmsim.sweep.to_array(rows)          # structured numpy array   # doctest: +SKIP
The package: :mod:`~mmsim.sweep.grid` (parsing a grid into points),
:mod:`~mmsim.sweep.results` (the results file, resuming, :func:`to_array`),
:mod:`~mmsim.sweep.execute` (local processes and Dask, :func:`run_sweep`),
:mod:`~mmsim.sweep.points` (checking every point before a sweep starts, with
:mod:`~mmsim.sweep.duplicates`: two points that are one run once read; one
point's full report and resolved config, ``mmsim sweep GRID --point ID``) and
:mod:`~mmsim.sweep.render` (terminal table, HTML, results.csv), :mod:`~mmsim.sweep.plots` (the plots). The command line is
``mmsim sweep`` (:mod:`mmsim.cli.sweep`).
"""

from __future__ import annotations

from .execute import default_point, run_sweep
from .grid import GRID_KEYS, Grid, SweepPoint, load_grid, parse_grid
from .points import POINT_CONFIG, check_points, run_point, select_point
from .render import render_html, render_plots, rich_table, write_report
from .results import RESULTS_FILE, read_results, to_array

__all__ = [
    "GRID_KEYS",
    "POINT_CONFIG",
    "RESULTS_FILE",
    "Grid",
    "SweepPoint",
    "check_points",
    "default_point",
    "load_grid",
    "parse_grid",
    "read_results",
    "render_html",
    "render_plots",
    "rich_table",
    "run_point",
    "run_sweep",
    "select_point",
    "to_array",
    "write_report",
]
