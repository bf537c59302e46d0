"""A latency as mmsim prints it (sweep tables, report headers) reads back as the same model."""

from __future__ import annotations

import pytest

import mmsim
from mmsim import ConfigError, LatencyModel
from mmsim.config import load_yaml
from mmsim.sweep.labels import display_label

MODELS = [
    LatencyModel(kind="constant", ns=0),
    LatencyModel(kind="constant", ns=5_000_000),
    LatencyModel(kind="constant", ns=1_234_567),
    LatencyModel(kind="recorded"),
    LatencyModel(kind="recorded", offset_ns=5_000_000),  # recorded + 5ms
    LatencyModel(kind="recorded", offset_ns=1_234_567),
    LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=0.5),
    LatencyModel(kind="lognormal", median_ns=250_000, sigma=1.0, min_ns=100_000),
    # A sigma %g would round (0.123457) and a floor of 7 ns: both must survive the label.
    LatencyModel(kind="lognormal", median_ns=1_234_567, sigma=0.123456789, min_ns=7),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.describe())
def test_every_printed_latency_label_parses_back_to_the_same_model(model):
    assert LatencyModel.parse(model.describe(), "latency.feed") == model
    # The sweep table's label of the value as a grid writes it (the YAML mapping form) too.
    assert LatencyModel.parse(display_label(model.plain(), "latency.feed"), "latency.feed") == model


def test_the_issue_example_and_its_floor_form_read_as_the_mapping_forms():
    assert LatencyModel.parse("lognormal(1ms, 0.5)", "feed") == LatencyModel.parse(
        {"lognormal": {"median": "1ms", "sigma": 0.5}}, "feed")
    assert LatencyModel.parse(" lognormal( 250us ,1, min 100us ) ", "feed") == LatencyModel(
        kind="lognormal", median_ns=250_000, sigma=1.0, min_ns=100_000)
    assert LatencyModel.parse("constant(5ms)", "feed") == LatencyModel(kind="constant", ns=5_000_000)
    assert LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=0.5,
                        min_ns=100_000).describe() == "lognormal(1ms, 0.5, min 100us)"


@pytest.mark.parametrize("text, message", [
    ("lognormal(1ms)",
     "feed: cannot read 'lognormal(1ms)' as a latency; a latency is a duration (5ms, 250us; a bare number is ns), "
     "'recorded' or 'recorded + 5ms' (feed only), lognormal(MEDIAN, SIGMA) or lognormal(MEDIAN, SIGMA, min MIN) "
     "(lognormal(1ms, 0.5)), or the mappings {constant: 5ms}, {recorded: 5ms} and {lognormal: {median: 1ms, "
     "sigma: 0.5, min: 100us}}"),
    ("Lognormal(1ms, 0.5)",
     "feed: cannot read 'Lognormal(1ms, 0.5)'; model names are lower case: write 'lognormal(1ms, 0.5)'"),
    ("lognormal(1ms, 11)",
     "feed: a lognormal sigma must be a finite number in [0, 10], got '11' in 'lognormal(1ms, 11)'"),
    ("lognormal(soon, 0.5)",
     "feed: lognormal median: cannot read 'soon' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
     "e.g. 250us"),
])
def test_a_bad_written_latency_says_which_forms_are_read(text, message):
    with pytest.raises(ConfigError) as info:
        LatencyModel.parse(text, "feed")
    assert str(info.value) == message


def test_the_written_form_reads_in_a_run_config_and_a_flow_mapping_says_to_quote_it(tmp_path):
    block = tmp_path / "block.yaml"
    block.write_text("strategy: {path: fixed_spread}\nlatency:\n  feed: lognormal(1ms, 0.5, min 100us)\n"
                     "  entry: lognormal(25us, 0.2)\n")
    lat = load_yaml(block).engine.latency
    assert lat.feed == LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=0.5, min_ns=100_000)
    assert lat.entry == LatencyModel(kind="lognormal", median_ns=25_000, sigma=0.2)
    assert mmsim.LatencyConfig(response="lognormal(1ms, 0.5)").response.median_ns == 1_000_000
    flow = tmp_path / "flow.yaml"
    flow.write_text("strategy: {path: fixed_spread}\nlatency: {feed: lognormal(1ms, 0.5)}\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(flow)
    assert str(info.value) == (
        "unknown config key 'latency.0.5)'; latency.feed: 'lognormal(1ms' is cut at a comma: inside {...} YAML "
        "splits at commas, so quote a value that holds one ('lognormal(1ms, 0.5)') or write the key on its own "
        f"line ({flow} line 2)")
    flow.write_text("strategy: {path: fixed_spread}\nlatency: {feed: 'lognormal(1ms, 0.5)'}\n")
    assert load_yaml(flow).engine.latency.feed == LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=0.5)


def test_queue_score_feed_flag_reads_the_written_form_and_names_the_flag(tmp_path, capsys):
    import json

    from mmsim.cli import main
    from mmsim.synth import SynthConfig, write_store

    write_store(SynthConfig(seed=1, duration=20 * 1_000_000_000), tmp_path / "st")
    assert main(["queue-score", str(tmp_path / "st"), "-q", "-o", str(tmp_path / "qs"), "--models", "risk_averse",
                 "--feed", "lognormal(1ms, 0.5, min 100us)"]) == 0
    info = json.loads((tmp_path / "qs" / "queue_score.json").read_text())["info"]
    assert info["latency"]["feed"] == "lognormal(1ms, 0.5, min 100us)"
    capsys.readouterr()
    assert main(["queue-score", str(tmp_path / "st"), "-q", "-o", str(tmp_path / "qs2"), "--feed", "lognormal(1ms"]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: --feed: cannot read 'lognormal(1ms' as a latency: no closing ')' (inside a YAML {...} "
        "mapping the value is cut at its comma: quote it, feed: 'lognormal(1ms, 0.5)')\n")
