"""A sweep's messages quote numbers as the grid file writes them (``'1e999'``, not ``inf``), and a strategy
parameter out of its domain names where the grid writes it: its key, the value as written and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.errors import ConfigError
from mmsim.sweep import load_grid, run_sweep

S = 1_000_000_000
FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"
INVENTORY_SKEW = str(ROOT / "strategies" / "inventory_skew.py") + ":InventorySkew"
LADDER_FLATTEN = str(ROOT / "strategies" / "ladder_flatten.py") + ":LadderFlatten"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("written")
    write_store(SynthConfig(seed=5, duration=2 * S, format="l2"), d / "store")
    return d / "store"


def _grid(tmp_path: Path, store: Path, body: str) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{FIXED_SPREAD}'}}\n{body}")
    return path


@pytest.mark.parametrize("body, message", [
    # The brief's two: YAML reads 1e999 as inf and 1.5e0 as 1.5 (1.0e3, 1000.0, is the integer 1000 since
    # edges20), which the messages echoed.
    ("timeout: 1e999\n", "timeout: expected a duration (e.g. 5ms or an int of ns), got '1e999' ({g} line 4)"),
    ("workers: 1.5e0\n", "workers: expected a non-negative integer, got '1.5e0' ({g} line 4)"),
    # The same kind elsewhere: a negative infinity, repeats, an axis value and a point's value.
    ("axes: {latency.feed: [0ms]}\ntimeout: -1e999\n",
     "timeout: expected a duration (e.g. 5ms or an int of ns), got '-1e999' ({g} line 5)"),
    ("repeats: 2.5e0\n", "repeats: expected a positive integer, got '2.5e0' ({g} line 4)"),
    ("axes:\n  max_orders: [16, 1.25e1]\n",
     "axes.max_orders[1]: max_orders: expected an integer, got '1.25e1' ({g} line 5)"),
    ("points:\n  - {max_orders: 1e999}\n", "points[0]: max_orders: expected an integer, got '1e999' ({g} line 5)"),
])
def test_grid_values_are_quoted_as_written(tmp_path, store, body, message):
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        load_grid(grid)
    assert str(exc.value) == message.replace("{g}", str(grid))


@pytest.mark.parametrize("body, message", [
    # The brief's: an axis of strategy sizes with one out of the domain named the points only.
    ("axes:\n  strategy.params.size: [1, -1]\n",
     "axes.strategy.params.size[1]: strategy FixedSpread: parameter 'size' must be > 0, got -1 ({g} line 5) — in "
     "1 of 2 points (strategy.params.size=-1); no point ran"),
    ("axes:\n  strategy.params.size: [1, 1e999]\n",
     "axes.strategy.params.size[1]: strategy FixedSpread: parameter 'size' must be > 0 and finite, got '1e999' "
     "({g} line 5) — in 1 of 2 points (strategy.params.size=1e999); no point ran"),
    # Inside a point's mapping, inside an axis of mappings, and in the base.
    ("points:\n  - strategy.params: {size: 1.0e3, half_spread: -1.0e0}\n",
     "points[0].strategy.params.half_spread: strategy FixedSpread: parameter 'half_spread' must be >= 0, got "
     "'-1.0e0' ({g} line 5) — in 1 of 1 points (strategy.params={size=1.0e3, half_spread=-1.0e0}); no point ran"),
    ("axes:\n  strategy.params: [{size: 1}, {size: 0.5e0}]\n",
     "axes.strategy.params[1].size: strategy FixedSpread: parameter 'size' must be a whole number, got '0.5e0' "
     "({g} line 5) — in 1 of 2 points (strategy.params={size=0.5e0}); no point ran"),
    # The point list quotes values as written too (sweep9): -1e0 is not -1.0, 0x10 is not 16.
    ("axes:\n  strategy.params.half_spread: [0x10, -1e0]\n",
     "axes.strategy.params.half_spread[1]: strategy FixedSpread: parameter 'half_spread' must be >= 0, got '-1e0' "
     "({g} line 5) — in 1 of 2 points (strategy.params.half_spread=-1e0); no point ran"),
])
def test_a_strategy_parameter_out_of_its_domain_names_the_grid_key_its_line_and_the_value_as_written(
        tmp_path, store, body, message):
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))
    assert not (tmp_path / "out").exists()


def test_a_base_parameter_out_of_its_domain_names_the_base_line(tmp_path, store):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy:\n    path: '{FIXED_SPREAD}'\n    params: {{size: -2.0e0}}\n"
                    "axes:\n  latency.feed: [0ms, 1ms]\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        f"base.strategy.params.size: strategy FixedSpread: parameter 'size' must be > 0, got '-2.0e0' ({grid} line "
        "5) — in 2 of 2 points (latency.feed=0ms; latency.feed=1ms); no point ran")


@pytest.mark.parametrize("strategy, body, message", [
    # The breaker's: a broken constraint named the points only, and quoted 0x10 as 16 and 1e1 as 10.
    (INVENTORY_SKEW, "    params: {max_position: 1e1}\naxes:\n  strategy.params.size: [1, 0x10]\n",
     "axes.strategy.params.size[1] ({g} line 7) and base.strategy.params.max_position ({g} line 5): strategy "
     "InventorySkew: parameter 'size' ('0x10') must be <= parameter 'max_position' ('1e1') — in 1 of 2 points "
     "(strategy.params.size=0x10); no point ran"),
    # A value left at its default is not the grid's: only the key the grid writes is named.
    (INVENTORY_SKEW, "axes:\n  strategy.params.size: [1, 1.1e1]\n",
     "axes.strategy.params.size[1]: strategy InventorySkew: parameter 'size' ('1.1e1') must be <= "
     "parameter 'max_position' (default 10) ({g} line 6) — in 1 of 2 points (strategy.params.size=1.1e1); no point "
     "ran"),
    # Both sides in one point's mapping, one written as Python prints it (5 stays 5); their one line once, at the end.
    (LADDER_FLATTEN, "points:\n  - strategy.params: {flatten_at: 5, flatten_to: 0xa}\n",
     "points[0].strategy.params.flatten_to and points[0].strategy.params.flatten_at: strategy LadderFlatten: "
     "parameter 'flatten_to' ('0xa') must be <= parameter 'flatten_at' (5) ({g} line 6) — in 1 of 1 points "
     "(strategy.params={flatten_at=5, flatten_to=0xa}); no point ran"),
])
def test_a_broken_constraint_names_each_grid_key_its_line_and_the_values_as_written(
        tmp_path, store, strategy, body, message):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy:\n    path: '{strategy}'\n{body}")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))
    assert not (tmp_path / "out").exists()


TAIL = (", so the grid would run the same point twice (the copy counts twice in the sweep's results and plots, and "
        "wastes a run); drop one")


@pytest.mark.parametrize("body, message", [
    # The breaker's: an error about one item of a block list cited the line of its key (`latency.feed:`).
    ("axes:\n  latency.feed:\n    - 0ms\n    - fast\n",
     "axes.latency.feed[1]: latency.feed: cannot read 'fast' as a duration; use a number with a unit (ns, us, ms, s, "
     "min, h), e.g. 250us ({g} line 7)"),
    # The same for `points:` (it cited the line of `points:`), a key inside a block point, and a duplicate.
    ("points:\n  - {max_orders: 8}\n  - {max_orders: 1.5e0}\n",
     "points[1]: max_orders: expected an integer, got '1.5e0' ({g} line 6)"),
    ("points:\n  - max_orders: 8\n  - max_orders: 16\n    latency.fed: 1ms\n",
     "points[1].latency.fed: unknown config key 'latency.fed' ({g} line 7)"),
    ("axes:\n  latency.feed:\n    - 1ms\n    - 1000us\n",
     "axes.latency.feed[1]: '1000us' is '1ms' (axes.latency.feed[0]) once read" + TAIL
     + " (axes.latency.feed[1] at {g} line 7, axes.latency.feed[0] at {g} line 6)"),
    # Two block axes that clash once crossed: each key's line is its item's.
    ("axes:\n  queue.model:\n    - risk_averse\n    - power\n  queue.power:\n    - 2\n    - 3\n",
     "point queue.model=risk_averse, queue.power=3: queue.power: 3 is read by queue.model: power only, and "
     "queue.model is 'risk_averse'; set queue.model: power, or drop queue.power (queue.power at {g} line 10, "
     "queue.model at {g} line 6)"),
])
def test_an_error_about_a_list_item_names_the_items_own_line(tmp_path, store, body, message):
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        load_grid(grid)
    assert str(exc.value) == message.replace("{g}", str(grid))


def test_a_broken_constraint_quotes_5_0_as_written(tmp_path, store):
    # The breaker's: `max_position: 5.0` and `size: 6.0` read `(6) must be <= (5)`, values no one wrote.
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{INVENTORY_SKEW}', params: {{max_position: 5.0}}}}\n"
                    "axes:\n  strategy.params.size: [1, 6.0]\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        f"axes.strategy.params.size[1] ({grid} line 5) and base.strategy.params.max_position ({grid} line 3): strategy "
        "InventorySkew: parameter 'size' ('6.0') must be <= parameter 'max_position' ('5.0') — in 1 of 2 points "
        "(strategy.params.size=6.0); no point ran")


def test_a_broken_constraint_quotes_the_base_config_files_value_and_the_block_items_line(tmp_path, store):
    # A second case: the base from `base_config` (its own file's text and line), the axis in a block list.
    (tmp_path / "base.yaml").write_text(f"data: {store}\nstrategy:\n  path: '{INVENTORY_SKEW}'\n"
                                        "  params: {max_position: 5.0}\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text("base_config: base.yaml\naxes:\n  strategy.params.size:\n    - 1\n    - 2.0e1\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        f"axes.strategy.params.size[1] ({grid} line 5) and base.strategy.params.max_position ({tmp_path / 'base.yaml'} "
        "line 4): strategy InventorySkew: parameter 'size' ('2.0e1') must be <= parameter 'max_position' ('5.0') — in "
        "1 of 2 points (strategy.params.size=2.0e1); no point ran")


MAX_LIVE = ("is less than the 4 live orders strategy FixedSpread can hold at once (its max_live_orders: working and "
            "replacement orders, those waiting for a cancel confirmation, explicit orders); raise max_orders to at "
            "least 4")


@pytest.mark.parametrize("body, message", [
    # The breaker's: `max_orders` against what the strategy declares named the points only, and not that the
    # value came from the base.
    ("  max_orders: 3\naxes:\n  latency.feed: [0ms, 1ms]\n",
     f"base.max_orders: max_orders: 3 {MAX_LIVE} ({{g}} line 4) — in 2 of 2 points (latency.feed=0ms; "
     "latency.feed=1ms); no point ran"),
    # A grid value (a block list's item, written in hex), and a point's.
    ("axes:\n  max_orders:\n    - 64\n    - 0x2\n",
     f"axes.max_orders[1]: max_orders: '0x2' {MAX_LIVE} ({{g}} line 7) — in 1 of 2 points (max_orders=0x2); "
     "no point ran"),
    ("points:\n  - {max_orders: 64}\n  - {max_orders: 2}\n",
     f"points[1].max_orders: max_orders: 2 {MAX_LIVE} ({{g}} line 6) — in 1 of 2 points (max_orders=2); no point ran"),
])
def test_a_key_below_what_the_strategy_declares_names_where_the_value_comes_from(tmp_path, store, body, message):
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))


def test_a_key_left_at_its_default_below_what_the_strategy_declares_says_so(tmp_path, store):
    plugin = tmp_path / "ladder.py"
    plugin.write_text("import mmsim\n\nclass Ladder(mmsim.Strategy):\n    ladder_levels_used = 3\n\n"
                      "    def __init__(self, size=1):\n        self.size = size\n\n"
                      "    def quote(self, view):\n        return None\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{plugin}:Ladder'}}\naxes:\n"
                    "  strategy.params.size: [1, 2]\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        "ladder_levels: 1 (its default) is less than the 3 target levels per side strategy Ladder quotes; set "
        "ladder_levels to at least 3 — in 2 of 2 points (strategy.params.size=1; strategy.params.size=2); no point ran")
