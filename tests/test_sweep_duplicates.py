"""Two points of a grid that are one run once read are refused, naming the grid key, its line and both
written forms: ``size: [10, 10.0]`` ran two identical points (a duplicate weighs twice in a latency curve
and wastes a run), and ``latency.feed: [1ms, 1000us]`` named the points only, with no line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from mmsim.errors import ConfigError
from mmsim.sweep import load_grid, run_sweep
from mmsim.sweep.points import check_points

S = 1_000_000_000
FIXED_SPREAD = str(ROOT / "strategies" / "fixed_spread.py") + ":FixedSpread"
# It said "a duplicate point weighs twice in a latency curve", whatever the axis (size, decide_every, ...).
TAIL = (", so the grid would run the same point twice (the copy counts twice in the sweep's results and plots, "
        "and wastes a run); drop one")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("dups")
    write_store(SynthConfig(seed=5, duration=2 * S, format="l2"), d / "store")
    return d / "store"


def _grid(tmp_path: Path, store: Path, body: str, strategy: str = FIXED_SPREAD) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(f"base:\n  data: {store}\n  strategy: {{path: '{strategy}'}}\n{body}output: out\n")
    return path


@pytest.mark.parametrize("body, message", [
    # The newcomer's: a numba strategy reads 10 and 10.0 as one float64.
    ("axes:\n  strategy.params.size: [10, 10.0]\n",
     "axes.strategy.params.size[1]: '10.0' is '10' (axes.strategy.params.size[0]) once read" + TAIL + " ({g} line 5)"),
    # Inside an axis of mappings, one value in hex: 0x10 and 16.0.
    ("axes:\n  strategy.params: [{size: 0x10}, {size: 16.0}]\n",
     "axes.strategy.params[1]: '{size: 16.0}' is '{size: 0x10}' (axes.strategy.params[0]) once read" + TAIL
     + " ({g} line 5)"),
    # A value written out that the other point leaves at the strategy's default (size 1).
    ("points:\n  - {strategy.params.half_spread: 2}\n  - {strategy.params.half_spread: 2, strategy.params.size: 1}\n",
     "points[1].strategy.params.size: '1' is what point (strategy.params.half_spread=2) runs with (the base's value "
     "or the default)" + TAIL + " ({g} line 6)"),  # the item's line: it said line 4, the line of `points:`
])
def test_a_numba_strategys_parameters_equal_once_read_are_refused_before_any_point_runs(tmp_path, store, body,
                                                                                        message):
    grid = _grid(tmp_path, store, body)
    load_grid(grid)  # the grid alone reads: only the strategy knows it reads floats
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("body, message", [
    # The second kind: durations equal once read (the point ids collide as the grid is read).
    ("axes:\n  latency.feed: [1ms, 1000us]\n",
     "axes.latency.feed[1]: '1000us' is '1ms' (axes.latency.feed[0]) once read" + TAIL + " ({g} line 5)"),
    ("axes:\n  decide_every: [100ms, 0.1s]\n",
     "axes.decide_every[1]: '0.1s' is '100ms' (axes.decide_every[0]) once read" + TAIL + " ({g} line 5)"),
    ("axes:\n  latency.entry: [0, 0ms]\n  latency.feed: [0ms, 5ms]\n",
     "axes.latency.entry[1]: '0ms' is '0' (axes.latency.entry[0]) once read" + TAIL + " ({g} line 5)"),
    # The same point written twice in `points` (it said `point ... repeats point ... (same config)`, no line).
    ("points:\n  - {max_orders: 8}\n  - {max_orders: 8}\n",
     "point (max_orders=8) is written twice" + TAIL + " (points[1].max_orders at {g} line 6, points[0].max_orders at "
     "{g} line 5)"),  # each item's line: it said line 4, the line of `points:`
])
def test_config_values_equal_once_read_are_refused_as_the_grid_is_read(tmp_path, store, body, message):
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        load_grid(grid)
    assert str(exc.value) == message.replace("{g}", str(grid))


@pytest.mark.parametrize("spec", ["fixed_spread.py:FixedSpreadPython", "join_best.py:JoinBestPython"])
def test_a_numba_rules_python_class_reads_10_and_10_0_as_one_value(tmp_path, store, spec):
    """The rule's Python class reads its parameters as float64, as the rule does: it ran both points."""
    grid = _grid(tmp_path, store, "axes:\n  strategy.params.size: [10, 10.0]\n", str(ROOT / "strategies" / spec))
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == ("axes.strategy.params.size[1]: '10.0' is '10' (axes.strategy.params.size[0]) once read"
                              + TAIL + f" ({grid} line 5)")
    assert not (tmp_path / "out").exists()


def test_a_python_strategy_gets_10_and_10_0_as_two_values(tmp_path, store):
    """Sound: a Python strategy's parameters arrive as YAML read them (an int may be used otherwise than a float)."""
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\nclass Mine(mmsim.Strategy):\n    def __init__(self, size=1):\n"
                      "        self.size = size\n\n    def quote(self, view):\n        return None\n")
    grid = load_grid(_grid(tmp_path, store, "axes:\n  strategy.params.size: [10, 10.0]\n", f"{plugin}:Mine"))
    assert len(grid.points) == 2
    check_points(grid.points, grid=grid)  # no error


def test_one_strategy_file_spelled_two_ways_is_one_point(tmp_path, store):
    """`s/./fixed_spread.py` and `s/fixed_spread.py` load one module: the two points ran alike."""
    other = str(ROOT) + "/strategies/./fixed_spread.py:FixedSpread"  # (pathlib would drop the ".")
    grid = _grid(tmp_path, store, f"axes:\n  strategy.path: ['{FIXED_SPREAD}', '{other}']\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value).startswith(f"axes.strategy.path[1]: {other!r} is {FIXED_SPREAD!r} (axes.strategy.path[0]) "
                                     "once read, so the grid would run the same point twice")
    assert str(exc.value).endswith(f"({grid} line 5)")
    assert not (tmp_path / "out").exists()


def test_an_entry_point_and_the_file_it_loads_are_one_point(tmp_path, store):
    """The newcomer's: `fixed_spread` (the entry point) and `strategies/fixed_spread.py:FixedSpread` ran as
    two points; they load one strategy (its code, the same file's), so they are one run."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\noutput: out\npoints:\n"
                    "  - strategy: {path: fixed_spread, params: {half_spread: 1, size: 1}}\n"
                    f"  - strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (
        f"points[1].strategy: '{{path: {FIXED_SPREAD}, params: {{half_spread: 1, size: 1}}}}' is '{{path: "
        "fixed_spread, params: {half_spread: 1, size: 1}}' (points[0].strategy) once read" + TAIL
        + f" (points[1].strategy at {grid} line 6, points[0].strategy at {grid} line 5)")
    assert not (tmp_path / "out").exists()


def test_a_python_strategy_named_by_module_and_by_file_is_one_point(tmp_path, store, monkeypatch):
    """The same kind for a Python strategy of one's own: `mine:Mine` (a module on the path) and `mine.py:Mine`."""
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\nclass Mine(mmsim.Strategy):\n    def __init__(self, size=1):\n"
                      "        self.size = size\n\n    def quote(self, view):\n        return None\n\n\n"
                      "class Other(Mine):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    grid = _grid(tmp_path, store, f"axes:\n  strategy.path: ['mine:Mine', '{plugin}:Mine']\n", f"{plugin}:Mine")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, workers=0)
    assert str(exc.value) == (f"axes.strategy.path[1]: '{plugin}:Mine' is 'mine:Mine' (axes.strategy.path[0]) once "
                              f"read{TAIL} ({grid} line 5)")
    assert not (tmp_path / "out").exists()
    # Another class of that file is another strategy.
    grid = _grid(tmp_path, store, f"axes:\n  strategy.path: ['{plugin}:Other', '{plugin}:Mine']\n", f"{plugin}:Mine")
    check_points(load_grid(grid).points, grid=load_grid(grid))  # no error


def test_byte_identical_files_in_two_folders_are_two_points_when_they_read_beside_them(tmp_path, store):
    """A breaker's: v1/mm.py and v2/mm.py, byte for byte one file, each reading the cfg.json beside it
    (half spread 1 against 5), were refused as one point. A file that names `__file__` runs with its
    folder; one that does not is one strategy wherever it lies (a copy is a duplicate)."""
    reads = ("import json, pathlib\nimport mmsim\n\nHALF = json.loads((pathlib.Path(__file__).parent / 'cfg.json')"
             ".read_text())['half']\n\n\nclass MM(mmsim.Strategy):\n    def quote(self, view):\n        return None\n")
    plain = "import mmsim\n\n\nclass MM(mmsim.Strategy):\n    def quote(self, view):\n        return None\n"
    for folder, half in (("v1", 1), ("v2", 5)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "mm.py").write_text(reads)
        (tmp_path / folder / "cfg.json").write_text(f'{{"half": {half}}}')
        (tmp_path / folder / "plain.py").write_text(plain)
    both = f"axes:\n  strategy.path: ['{tmp_path}/v1/mm.py:MM', '{tmp_path}/v2/mm.py:MM']\n"
    grid = load_grid(_grid(tmp_path, store, both, f"{tmp_path}/v1/mm.py:MM"))
    check_points(grid.points, grid=grid)  # no error: two strategies
    copies = f"axes:\n  strategy.path: ['{tmp_path}/v1/plain.py:MM', '{tmp_path}/v2/plain.py:MM']\n"
    grid_path = _grid(tmp_path, store, copies, f"{tmp_path}/v1/plain.py:MM")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid_path, workers=0)
    assert str(exc.value).startswith(f"axes.strategy.path[1]: '{tmp_path}/v2/plain.py:MM' is "
                                     f"'{tmp_path}/v1/plain.py:MM' (axes.strategy.path[0]) once read")


@pytest.fixture(scope="module")
def milli_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose lot is 0.001 base units: a size written without a unit warns (LotUnitWarning)."""
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("milli")
    write_store(SynthConfig(seed=3, duration=S, format="l2", lot_size=0.001), d / "store")
    return d / "store"


def _refused_with_warnings(grid: Path) -> tuple[str, list[str]]:
    import warnings

    from mmsim.errors import LotUnitWarning

    with pytest.raises(ConfigError) as exc, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_sweep(grid, workers=0)
    return str(exc.value), [str(w.message) for w in caught if w.category is LotUnitWarning]


def test_a_grid_refused_for_a_duplicate_point_prints_no_lot_unit_warning(tmp_path, milli_store):
    """`size: [10, 10.0]` on a lot of 0.001 is one point twice once the numba strategy reads it: the sweep
    warned that both sizes are in lots, then refused the grid; the refusal alone now."""
    msg, warned = _refused_with_warnings(_grid(tmp_path, milli_store, "axes:\n  strategy.params.size: [10, 10.0]\n"))
    assert msg.startswith("axes.strategy.params.size[1]: '10.0' is '10' (axes.strategy.params.size[0]) once read")
    assert warned == []
    assert not (tmp_path / "out").exists()


def test_a_grid_refused_for_a_bad_point_prints_no_lot_unit_warning(tmp_path, milli_store):
    """The same for a grid refused for a point's problem (a store that does not exist): the points in lots
    never run, so nothing is said of their units."""
    body = f"axes:\n  data: ['{milli_store}', '{tmp_path / 'nowhere'}']\n  strategy.params.size: [500]\n"
    msg, warned = _refused_with_warnings(_grid(tmp_path, milli_store, body))
    assert msg.startswith("axes.data[1]: data: ")  # an axis value: its key first (sweep21)
    assert "no point ran" in msg
    assert warned == []


@pytest.mark.parametrize("body, message", [
    # The breaker's: it named [2] ([1e1], "value [10.0] is already ...[1]"), the first exact repeat, and
    # skipped [1] ([10.0]), which an integer key reads as [10]: [0] again.
    ("axes:\n  report.event_horizons: [[10], [10.0], [1e1]]\n",
     "axes.report.event_horizons[1]: '[10.0]' is '[10]' (axes.report.event_horizons[0]) once read" + TAIL
     + " ({g} line 5)"),
    # It said "axes.signals.depth_levels[2]: value 2 is already axes.signals.depth_levels[0]" (0x2 is 2 in YAML).
    ("axes:\n  signals.depth_levels: [2, 2.0, 0x2]\n",
     "axes.signals.depth_levels[1]: '2.0' is '2' (axes.signals.depth_levels[0]) once read" + TAIL + " ({g} line 5)"),
    # The same kind: max_orders (it named [2]); a duration, 1000us is 1ms (it named [2], the exact repeat).
    ("axes:\n  max_orders: [8, 8.0, 8]\n",
     "axes.max_orders[1]: '8.0' is '8' (axes.max_orders[0]) once read" + TAIL + " ({g} line 5)"),
    ("axes:\n  latency.feed: [1ms, 1000us, 1ms]\n",
     "axes.latency.feed[1]: '1000us' is '1ms' (axes.latency.feed[0]) once read" + TAIL + " ({g} line 5)"),
    # A block list: each item's line.
    ("axes:\n  signals.depth_levels:\n    - 2\n    - 2.0\n    - 0x2\n",
     "axes.signals.depth_levels[1]: '2.0' is '2' (axes.signals.depth_levels[0]) once read" + TAIL
     + " (axes.signals.depth_levels[1] at {g} line 7, axes.signals.depth_levels[0] at {g} line 6)"),
    # One value written two ways is quoted as written: it said "value 2 is already ...[0]" of 0x2.
    ("axes:\n  signals.depth_levels: [2, 0x2]\n",
     "axes.signals.depth_levels[1]: '0x2' is '2' (axes.signals.depth_levels[0]) once read" + TAIL + " ({g} line 5)"),
    # So in `points` (it said "point (max_orders=0x8) is written twice").
    ("points:\n  - {max_orders: 8}\n  - {max_orders: 0x8}\n",
     "points[1].max_orders: '0x8' is '8' (points[0].max_orders) once read" + TAIL
     + " (points[1].max_orders at {g} line 6, points[0].max_orders at {g} line 5)"),
    # A key read only by a model the base does not choose: the point that chooses it reads 3.0 as 3.
    ("points:\n  - {queue.model: power}\naxes:\n  queue.power: [3, 3.0]\n",
     "axes.queue.power[1]: '3.0' is '3' (axes.queue.power[0]) once read" + TAIL + " ({g} line 7)"),
])
def test_the_first_value_of_an_axis_equal_once_read_to_an_earlier_one_is_named(tmp_path, store, body, message):
    """An integer key reads a whole float as the integer (2.0 is 2): the first repeat in the list's order is
    the one named, with both values as written, whichever check finds it (the axis's or the points')."""
    grid = _grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        load_grid(grid)
    assert str(exc.value) == message.replace("{g}", str(grid))


def test_a_key_read_only_by_another_model_is_no_duplicate_on_the_base_alone(tmp_path, store):
    """queue.power: [3, 4] beside a point choosing queue.model: power: two points (the base's model does not read
    queue.power, so the axis's values are not compared as the base would read them)."""
    grid = load_grid(_grid(tmp_path, store, "points:\n  - {queue.model: power}\naxes:\n  queue.power: [3, 4]\n"))
    assert [p.config.engine.queue.power for p in grid.points] == [3.0, 4.0]


def test_a_python_strategys_10_and_10_0_stay_two_values_and_an_exact_repeat_is_named(tmp_path, store):
    """Kept: a Python strategy gets its parameters as YAML read them, so [10, 10.0, 10] repeats at [2] (not [1]);
    a value written two ways that YAML reads as one (16, 0x10) is one value, quoted as written."""
    plugin = tmp_path / "mine.py"
    plugin.write_text("import mmsim\n\nclass Mine(mmsim.Strategy):\n    def __init__(self, size=1):\n"
                      "        self.size = size\n\n    def quote(self, view):\n        return None\n")
    for body, message in [
        ("axes:\n  strategy.params.size: [10, 10.0, 10]\n",
         "axes.strategy.params.size[2]: value 10 is already axes.strategy.params.size[0] ({g} line 5)"),
        ("axes:\n  strategy.params.size: [16, 0x10]\n",
         "axes.strategy.params.size[1]: '0x10' is '16' (axes.strategy.params.size[0]) once read" + TAIL
         + " ({g} line 5)"),
    ]:
        grid = _grid(tmp_path, store, body, f"{plugin}:Mine")
        with pytest.raises(ConfigError) as exc:
            load_grid(grid)
        assert str(exc.value) == message.replace("{g}", str(grid))
