"""results.csv writes a mapping-valued grid value in the form a user types back into the grid (sweep16, after
newcomer15b): ``latency.feed: recorded + 50ms`` as ``recorded + 50ms``, not its config mapping's JSON
``{"recorded":"50ms"}``; a lognormal latency as ``lognormal(1ms, 0.5)``; a strategy section, a parameter mapping
or a list as YAML flow. results.jsonl keeps each value exactly as the grid gives it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from mmsim.config import LatencyModel
from mmsim.sweep import Grid, write_report

FEEDS = [{"recorded": "50ms"}, "recorded", "recorded+5ms", {"constant": "1500us"}, 5000,
         {"lognormal": {"median": "1ms", "sigma": 0.5}}, {"lognormal": {"median": "1ms", "sigma": 0.5, "min": "100us"}}]


def _csv(tmp_path, key, values, extra=None):
    rows = [{"id": f"p{i}", "index": i, "repeat": 0, "seed": 0, "status": "ok", key: v, **(extra or {}),
             "pnl.total": 1.0} for i, v in enumerate(values)]
    grid = Grid(points=(), keys=(key, *(extra or {})), repeats=1, output=None, workers=None, source="g.yaml")
    write_report(rows, grid, tmp_path, plots=False)
    with (tmp_path / "results.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_latency_mapping_reads_as_its_label_in_results_csv(tmp_path):
    """``{recorded: 50ms}`` was written ``{"recorded":"50ms"}``, a lognormal as its JSON; now each reads as the
    table labels it (LatencyModel.describe), which the grid reads back to the same model. A string or a number
    stays as written (``recorded+5ms`` without its spaces, ``5000`` ns)."""
    cells = [r["latency.feed"] for r in _csv(tmp_path, "latency.feed", FEEDS)]
    assert cells == ["recorded + 50ms", "recorded", "recorded+5ms", "1500us", "5000", "lognormal(1ms, 0.5)",
                     "lognormal(1ms, 0.5, min 100us)"]
    for cell, value in zip(cells, FEEDS):
        back = int(cell) if cell.isdigit() else cell
        assert LatencyModel.parse(back, "latency.feed") == LatencyModel.parse(value, "latency.feed")


def test_the_order_latencies_read_as_their_labels_too(tmp_path):
    """The second case: ``latency.entry`` (and ``.response``) mappings, and a whole ``latency`` section swept as
    one key, whose models read as their labels inside its YAML flow mapping."""
    rows = _csv(tmp_path, "latency.entry", [{"lognormal": {"median": "250us", "sigma": 0.25}}, {"constant": "1ms"}],
                extra={"latency": {"feed": {"recorded": "5ms"}, "response": "1ms"}})
    assert [r["latency.entry"] for r in rows] == ["lognormal(250us, 0.25)", "1ms"]
    assert rows[0]["latency"] == "{feed: recorded + 5ms, response: 1ms}"
    assert LatencyModel.parse(yaml.safe_load(rows[0]["latency"])["feed"], "latency.feed") == LatencyModel.parse(
        {"recorded": "5ms"}, "latency.feed")


def test_other_mappings_and_lists_read_as_yaml_flow(tmp_path):
    """A strategy section, a parameter mapping and a list were JSON (``{"params":{"half_spread":1},"path":...}``,
    keys sorted); now YAML flow in the grid's key order, which reads back to the same value."""
    from mmsim.sweep.labels import typed_form

    strategy = {"path": "strategies/fixed_spread.py:FixedSpread", "params": {"size": "0.01 base", "half_spread": 1}}
    rows = _csv(tmp_path, "strategy", [strategy], extra={"strategy.params": {"gamma": 0.1, "skew": "20 per base"},
                                                         "report.horizons": ["100ms", "1s"]})
    assert rows[0]["strategy"] == ("{path: 'strategies/fixed_spread.py:FixedSpread', params: {size: 0.01 base, "
                                   "half_spread: 1}}")
    assert rows[0]["strategy.params"] == "{gamma: 0.1, skew: 20 per base}"
    assert rows[0]["report.horizons"] == "[100ms, 1s]"
    assert yaml.safe_load(rows[0]["strategy"]) == strategy
    assert typed_form({"maker_bps": -0.2, "taker_bps": 7}, "fees") == "{maker_bps: -0.2, taker_bps: 7}"


# ----------------------------------------------------------------------------- sweepfix16 (breaker16a)


def _read_back(cell):
    """A results.csv cell pasted into a grid file, read as the grid reader reads it (YAML 1.2 numbers)."""
    from mmsim.config.yaml_file import loader_class

    return yaml.load(f"v: {cell}\n", Loader=loader_class())["v"]


def test_numpy_numbers_and_paths_in_a_mapping_write_results_csv(tmp_path):
    """``axes: {strategy: [{path: ..., params: {half_spread: h}} for h in np.linspace(0.5, 1.5, 3)]}``: every point
    ran, then write_report (and to_array) raised yaml's RepresenterError (``cannot represent an object``,
    np.float64(0.5)). Each numpy scalar is written as its Python value and a Path as its text, and the cell types
    back to the same point (same id: np.int64(1) and np.bool_ hashed as the strings "1" and "True" before)."""
    import numpy as np

    from mmsim.sweep import parse_grid, to_array

    values = [{"path": "s.py:S", "params": {"half_spread": h, "size": np.int64(1), "quote_both": np.bool_(True),
                                            "model": Path("/m/a.json")}} for h in np.linspace(0.5, 1.5, 3)]
    rows = _csv(tmp_path, "strategy", values)
    assert [r["strategy"] for r in rows] == [
        f"{{path: 's.py:S', params: {{half_spread: {h}, size: 1, quote_both: true, model: /m/a.json}}}}"
        for h in ("0.5", "1.0", "1.5")]
    rows_in = [{"id": f"p{i}", "strategy": v} for i, v in enumerate(values)]
    assert to_array(rows_in)["strategy"][2] == (
        "{path: 's.py:S', params: {half_spread: 1.5, size: 1, quote_both: true, model: /m/a.json}}")

    def ids(strategies):
        return [p.id for p in parse_grid({"base": {"data": "/nonexistent-store"}, "axes": {"strategy": strategies}},
                                         ).points]

    assert ids(values) == ids([_read_back(r["strategy"]) for r in rows])


def test_numpy_numbers_in_a_latency_section_and_a_numpy_column():
    """The second case: a whole ``latency`` section built in Python (an np.int64 feed, a lognormal's np.float64
    sigma) reads as the grid would hold it, its model by its label; a column of np.int64 values is an integer
    column of to_array (it was the string ``'np.int64(1)'``) and a Path column its text (``"PosixPath('/x')"``)."""
    import numpy as np

    from mmsim.sweep import to_array
    from mmsim.sweep.labels import typed_form

    section = {"feed": np.int64(5_000_000), "entry": {"lognormal": {"median": "1ms", "sigma": np.float64(0.5)}}}
    assert typed_form(section, "latency") == "{feed: 5000000, entry: 'lognormal(1ms, 0.5)'}"
    assert LatencyModel.parse(_read_back(typed_form(section, "latency"))["entry"], "latency.entry") == (
        LatencyModel.parse({"lognormal": {"median": "1ms", "sigma": 0.5}}, "latency.entry"))
    arr = to_array([{"id": "a", "strategy.params.size": np.int64(1), "model": Path("/x")},
                    {"id": "b", "strategy.params.size": np.int64(2), "model": Path("/y")}])
    assert arr.dtype == np.dtype([("id", "<U1"), ("strategy.params.size", "<i8"), ("model", "<U2")])
    assert arr["strategy.params.size"].tolist() == [1, 2] and arr["model"].tolist() == ["/x", "/y"]


@pytest.mark.parametrize("value, key, cell", [
    ({"constant": 5}, "strategy.params", "{constant: 5}"),
    ({"recorded": "5ms"}, "strategy.params", "{recorded: 5ms}"),
    ({"lognormal": {"median": "1ms", "sigma": 0.5}}, "strategy.params.opts", "{lognormal: {median: 1ms, sigma: 0.5}}"),
    ({"opts": {"constant": 5}, "size": 1}, "strategy.params", "{opts: {constant: 5}, size: 1}"),
    ({"path": "s.py:S", "params": {"opts": {"recorded": "5ms"}}}, "strategy",
     "{path: 's.py:S', params: {opts: {recorded: 5ms}}}"),
])
def test_a_parameter_mapping_named_like_a_latency_model_is_no_latency(value, key, cell):
    """``strategy.params: {constant: 5}`` was written ``5ns`` and ``{recorded: 5ms}`` ``recorded + 5ms``, which the
    grid refuses back (``strategy.params: expected a mapping of parameters, got '5ns'``): any one-key mapping named
    like a latency model was taken as one, whatever its key. Only a latency key's value is a latency model."""
    from mmsim.sweep.labels import typed_form

    assert typed_form(value, key) == cell
    assert _read_back(cell) == value


def test_display_label_takes_a_latency_model_only_under_a_latency_key():
    """The second case: the table's and plots' labels had the same key-independent rule (``opts=5ns`` for a
    strategy parameter ``opts: {constant: 5}``); a latency under its key, also in a ``latency`` section, and a
    model mapping given with no key at all read as the model, as before."""
    from mmsim.sweep.grid import display_label

    assert display_label({"opts": {"constant": 5}, "size": 1}, "strategy.params") == "opts=constant=5, size=1"
    assert display_label({"recorded": "5ms"}, "strategy.params.opts") == "recorded=5ms"
    assert display_label({"feed": {"constant": "5ms"}, "entry": {"recorded": "1ms"}}, "latency") == (
        "feed=5ms, entry=recorded + 1ms")
    assert display_label({"constant": 5}, "latency.response") == "5ns"
    assert display_label({"recorded": "5ms"}) == "recorded + 5ms"


@pytest.mark.parametrize("text", ["1e-3", "1.5e3", "0o10", "1e999"])
def test_a_string_parameter_that_the_grid_reads_as_a_number_is_quoted(text):
    """``strategy.params: {label: '1e-3'}`` was written ``{label: 1e-3}``: PyYAML's dumper quotes by YAML 1.1, whose
    float needs a dot and a signed exponent, while the grid reader reads YAML 1.2's numbers (``1e-3`` 0.001,
    ``0o10`` 8, ``1e999`` inf): the cell typed back was another point. The dump resolves as the grid reader does."""
    from mmsim.sweep.labels import typed_form

    cell = typed_form({"label": text, "half_spread": 1}, "strategy.params")
    assert cell == f"{{label: '{text}', half_spread: 1}}"
    assert _read_back(cell) == {"label": text, "half_spread": 1}


def test_a_key_or_a_list_item_that_the_grid_reads_as_a_number_is_quoted_too():
    """The second case: a mapping's key and a list's items (``{1e-3: x}`` typed back is the key 0.001); a line
    break, which one line of YAML flow cannot hold, is written as JSON (a double-quoted YAML string)."""
    from mmsim.sweep.labels import typed_form

    assert typed_form({"1e-3": "x"}, "strategy.params") == "{'1e-3': x}"
    assert typed_form(["0o10", "1.5e3", 8], "report.tags") == "['0o10', '1.5e3', 8]"
    assert _read_back(typed_form(["0o10", "1.5e3", 8], "report.tags")) == ["0o10", "1.5e3", 8]
    assert typed_form({"note": "a\nb"}, "strategy.params") == '{"note": "a\\nb"}'
    assert _read_back(typed_form({"note": "a\nb"}, "strategy.params")) == {"note": "a\nb"}


FIXED = "strategies/fixed_spread.py:FixedSpread"


@pytest.mark.parametrize("text, cell", [("off", "'off'"), ("yes", "'yes'"), ("null", "'null'"), ("1e-3", "'1e-3'"),
                                        ("# x", "'# x'"), ("a: b", "'a: b'"), ("5", "'5'"), ("", "''"),
                                        ("power", "power"), ("recorded + 5ms", "recorded + 5ms"),
                                        (FIXED, FIXED), ("1:30", "1:30")])
def test_a_string_grid_value_is_a_cell_that_types_back_as_the_string(tmp_path, text, cell):
    """``axes: {strategy.params.mode: ['off', 'auto']}`` (quoted in the grid: strings) was written ``off``, which
    typed back into a grid is false (``null`` None, ``1e-3`` 0.001, ``5`` 5, ``# x`` nothing, ``a: b`` a mapping,
    an empty string an empty cell, which is a missing value): a grid value's cell is as typed back, so a string
    the grid would read as another value is quoted. Others are written as before; so are numbers (``5``)."""
    rows = _csv(tmp_path, "strategy.params.mode", [text, 5])
    assert [r["strategy.params.mode"] for r in rows] == [cell, "5"]
    assert _read_back(cell) == text


def test_only_grid_values_are_quoted(tmp_path):
    """The second case: a column that is no grid value (the status, an error message) is its text as before;
    the same string in a grid key's column is quoted."""
    rows = _csv(tmp_path, "strategy.params.mode", ["yes"], extra={"queue.model": "off"})
    rows_error = [{"id": "p0", "index": 0, "repeat": 0, "seed": 0, "status": "error", "strategy.params.mode": "no",
                   "error_message": "ValueError: off"}]
    grid = Grid(points=(), keys=("strategy.params.mode",), repeats=1, output=None, workers=None, source="g.yaml")
    write_report(rows_error, grid, tmp_path / "e", plots=False)
    with (tmp_path / "e" / "results.csv").open(encoding="utf-8") as fh:
        err = next(csv.DictReader(fh))
    assert (rows[0]["strategy.params.mode"], rows[0]["queue.model"], rows[0]["status"]) == ("'yes'", "'off'", "ok")
    assert (err["strategy.params.mode"], err["error_message"], err["status"]) == ("'no'", "ValueError: off", "error")


def test_numpy_numbers_and_paths_read_as_their_plain_value_in_the_labels():
    """The table's and plots' labels of a grid built with numpy numbers read ``half_spread=np.float64(0.5)``
    (numpy 2's repr), a strategy ``S(half_spread=np.float64(0.5))`` and a path ``PosixPath('/a')``."""
    import numpy as np

    from mmsim.sweep.grid import display_label

    assert display_label({"half_spread": np.float64(0.5), "size": np.int64(1)}, "strategy.params") == (
        "half_spread=0.5, size=1")
    assert display_label({"path": "s.py:S", "params": {"half_spread": np.float64(0.5), "on": np.bool_(True)}},
                         "strategy") == "S(half_spread=0.5, on=True)"
    assert display_label(np.float64(0.5), "strategy.params.half_spread") == "0.5"
    assert display_label(Path("/a/b.json"), "strategy.params.model") == "/a/b.json"
