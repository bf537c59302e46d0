"""A resumed sweep never refuses its own records, and holds every record the sweep's own replay wrote to its store
(fix29b).

The checks a resume makes against a record's grid, store and baseline point's record (fix28a: record_context) were
tried on one-day stores only. Here: a store of three days with thousands of buckets, PnL in the hundreds of millions (a
``contract_size`` of 1e9) and taker fills in 1 ms buckets without a market event (so a point's comparison tiles more
buckets than its baseline point's own, and its ``a`` is summed over other buckets), records written by passes of
one run and of several, and a sweep cut short. Every record is reused, its figures as written.

And ``point_fn=default_point`` (each point its own replay, on events verified first) wrote no ``pass``: a resume
took its ``"n_events": 99999`` on a store of 27,000 events as the run's (the summary's events replayed), where a
shared pass's record with it is refused. It now writes its pass of one run, and is held to the store the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mmsim
from mmsim.cli import main as cli_main
from mmsim.sweep import RESULTS_FILE, default_point, read_results, run_sweep

S = 1_000_000_000
DAY = 86_400 * S
START = 1_704_205_800 * S  # 2024-01-02 14:30 UTC
TAIL = "; the sweep writes only its own records there: remove that line (or give the sweep another -o)"
REUSED = "reused from results.jsonl (same point ids: same config and store path, and the same strategy code and " \
         "store events, read with the same meta.json meaning keys; --force runs all again)"

# A quoter that raises at its `fail_at`-th call (0: never).
MM = """import mmsim


class MM(mmsim.Strategy):
    def __init__(self, fail_at=0):
        self.fail_at, self.calls = int(fail_at), 0

    def reset(self):
        self.calls = 0

    def quote(self, view):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("boom")
        if view.bid_qty == 0 or view.ask_qty == 0:
            return None
        return mmsim.Quote(view.best_bid, 1, view.best_ask, 1)
"""


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three one-minute sessions of the synthetic market at 14:30 UTC on 2, 3 and 4 January 2024, one store: each
    day after the first opens with a snapshot (CLEAR, then the day's book)."""
    from mmsim.synth import SynthConfig, generate, write_store

    parts = []
    first = None
    for d in range(3):
        cfg = SynthConfig(seed=21 + d, format="l2", duration=60 * S, start=START + d * DAY)
        first = first or cfg
        ev = generate(cfg)
        if d:
            clear = np.zeros(1, dtype=ev.dtype)
            clear["exch_ts"] = clear["local_ts"] = ev["exch_ts"][0]
            clear["kind"] = int(mmsim.Kind.CLEAR)
            parts.append(clear)
        parts.append(ev)
    d = tmp_path_factory.mktemp("fix29b")
    assert first is not None
    (d / "mm.py").write_text(MM)
    return write_store(first, d / "days", events=np.concatenate(parts))


def _grid(path: Path, store: Path) -> Path:
    """The fixed spread (each feed latency's baseline) and a ladder that flattens with IOCs 7 ms after it decides
    (taker fills between market events), PnL in the hundreds of millions, in 1 ms buckets."""
    path.write_text(json.dumps({  # JSON is YAML
        "base": {"data": str(store), "contract_size": 1e9, "ladder_levels": 2,
                 "latency": {"entry": "7ms", "response": "25us"}, "fees": {"maker_bps": -0.2, "taker_bps": 0.5},
                 "report": {"horizons": ["100ms", "1s", "10s"]}},
        "points": [
            {"strategy": {"path": "fixed_spread", "params": {"half_spread": 0.5, "size": 1}}},
            {"strategy": {"path": "ladder_flatten",
                          "params": {"half_spread": 0.5, "level_gap": 1, "size": 1.0, "outer_size": 2.0, "skew": 0.1,
                                     "max_position": 10.0, "flatten_at": 3.0, "flatten_to": 1.0, "slippage": 1.0}}}],
        "axes": {"latency.feed": ["0ms", "10ms"]},
        "baseline": {"strategy": "FixedSpread"},
        "compare": {"bucket": "1ms", "n_boot": 50, "seed": 0}}))
    return path


def _sweep(grid: Path, out: Path, capsys: Any, *more: str) -> tuple[int, str]:
    """The exit status and the last line of ``mmsim sweep -q``: what it ran and reused."""
    capsys.readouterr()
    code = cli_main(["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots", *more])
    return code, capsys.readouterr().out.splitlines()[-1]


@pytest.fixture(scope="module")
def swept(days: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("swept")
    grid = _grid(d / "grid.yaml", days)
    assert cli_main(["sweep", str(grid), "-o", str(d / "out"), "--workers", "0", "-q", "--no-plots"]) == 0
    return grid, d / "out"


def _by_feed(out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    recs = read_results(out / RESULTS_FILE)
    return {(r["comparison"]["id"] == r["id"] and "base" or "ladder", r["overrides"]["latency.feed"]): r
            for r in recs.values()}


def test_a_multi_day_sweep_compared_in_thousands_of_buckets_resumes_every_record(swept, days, capsys):
    grid, out = swept
    recs = _by_feed(out)
    assert len(recs) == 4
    meta = json.loads((days / "meta.json").read_text())
    for feed in ("0ms", "10ms"):
        base, ladder = recs["base", feed]["comparison"], recs["ladder", feed]["comparison"]
        for cmp in (base, ladder):
            # three calendar days, from the first event to the last (no opening snapshot on the first day)
            assert (cmp["n_days"], cmp["span_ns"]) == (3, meta["last_exch_ts"] - meta["first_exch_ts"])
        # the ladder's taker fills fall in buckets without a market event: the pair tiles more buckets than the
        # baseline point with itself, and the baseline's figures (a) are summed over them, yet are its own
        assert ladder["n_buckets"] > base["n_buckets"] > 5000
        assert recs["ladder", feed]["metrics"]["fills.taker_count"] > 0
        for name, row in ladder["rows"].items():
            if name != "two_sided":
                assert row["a"] == base["rows"][name]["a"], name
        assert abs(base["rows"]["pnl_per_day"]["a"]) > 1e8  # PnL per day in the hundreds of millions
    before = [(out / f).read_text() for f in (RESULTS_FILE, "results.csv")]
    assert _sweep(grid, out, capsys) == (0, f"0 run now, 4 {REUSED}")
    assert [(out / f).read_text() for f in (RESULTS_FILE, "results.csv")] == before


def test_records_of_passes_of_one_run_resume_as_those_of_one_pass(swept, tmp_path, capsys):
    """``--pass-size 1``: each point its own pass, with its baseline point replayed beside it; the same records."""
    grid, full = swept
    out = tmp_path / "out"
    assert _sweep(grid, out, capsys, "--pass-size", "1") == (0, "4 run now, 0 reused from results.jsonl")
    alone = read_results(out / RESULTS_FILE)
    assert sorted(r["pass"]["runs"] for r in alone.values()) == [1, 1, 2, 2]
    assert sorted(r["pass"]["runs"] for r in read_results(full / RESULTS_FILE).values()) == [4, 4, 4, 4]
    for i, rec in read_results(full / RESULTS_FILE).items():
        assert (alone[i]["comparison"], alone[i]["metrics"]) == (rec["comparison"], rec["metrics"])
    assert _sweep(grid, out, capsys) == (0, f"0 run now, 4 {REUSED}")


def test_a_sweep_cut_short_resumes_what_it_wrote_and_runs_the_rest(swept, tmp_path, capsys):
    """As a sweep killed after two points leaves its file: two records and a third cut short (a kill mid-write)."""
    grid, full = swept
    lines = (full / RESULTS_FILE).read_text().splitlines(keepends=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / RESULTS_FILE).write_text("".join(lines[:2]) + lines[2][:len(lines[2]) // 2])
    assert _sweep(grid, out, capsys, "--pass-size", "1") == (0, f"2 run now, 2 {REUSED}")
    after = read_results(out / RESULTS_FILE)
    for i, rec in read_results(full / RESULTS_FILE).items():
        assert (after[i]["comparison"], after[i]["n_events"]) == (rec["comparison"], rec["n_events"])
    assert _sweep(grid, out, capsys) == (0, f"0 run now, 4 {REUSED}")


# --------------------------------------------------------------------------- point_fn=default_point


def _alone(tmp_path: Path, days: Path, params: dict[str, Any]) -> tuple[Path, Path]:
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": {"data": str(days), "decide_every": "100ms",
                                         "strategy": {"path": f"{days.parent / 'mm.py'}:MM", "params": params}},
                                "axes": {"latency.feed": ["0ms", "1ms"]}}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0, point_fn=default_point)
    return grid, out


def _edited(out: Path, edit: Any) -> str:
    path = out / RESULTS_FILE
    lines = path.read_text().splitlines(keepends=True)
    rec = json.loads(lines[0])
    edit(rec)
    lines[0] = json.dumps(rec) + "\n"
    path.write_text("".join(lines))
    return "".join(lines)


def test_default_point_records_its_pass_of_one_run_and_resumes(tmp_path, days, capsys):
    grid, out = _alone(tmp_path, days, {})
    count = json.loads((days / "meta.json").read_text())["event_count"]
    recs = list(read_results(out / RESULTS_FILE).values())
    assert [(r["n_events"], r["pass"]["runs"]) for r in recs] == [(count, 1), (count, 1)]
    assert _sweep(grid, out, capsys) == (0, f"0 run now, 2 {REUSED}")


@pytest.mark.parametrize("params, n, why", [
    ({}, 99999, "a finished point replays every event"),
    ({}, 0, "a finished point replays every event"),
    ({"fail_at": 5}, "count + 1", "a failed point replays some of them"),
])
def test_a_default_point_record_s_events_unlike_its_store_stop_the_resume(tmp_path, days, capsys, params, n, why):
    """Before, read back as written (no ``pass``): ``"n_events": 99999`` made the summary's events replayed."""
    grid, out = _alone(tmp_path, days, params)
    count = json.loads((days / "meta.json").read_text())["event_count"]
    n = count + 1 if n == "count + 1" else n
    written = _edited(out, lambda r: r.update(n_events=n))
    capsys.readouterr()
    assert cli_main(["sweep", str(grid), "-o", str(out), "--workers", "0", "-q", "--no-plots"]) == 1
    assert capsys.readouterr().err == (
        f'mmsim: error: {out / RESULTS_FILE} line 1: its "n_events" is {n}, but the store it replayed ({days}, the '
        f"events its events_digest names) holds {count} (its meta.json event_count): {why}{TAIL}\n")
    assert (out / RESULTS_FILE).read_text() == written  # nothing ran or was written


def _says(config: Any) -> dict[str, Any]:
    """A custom point function: it replays nothing, and says so."""
    return {"pnl.total": 1.5, "n_events": 7}


def test_a_custom_point_fn_s_events_are_its_own_word(tmp_path, days, capsys):
    """A custom function's record has no pass: its n_events is what it says it replayed (docs/sweeps.md)."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({"base": {"data": str(days), "strategy": {"path": "fixed_spread"}},
                                "axes": {"latency.feed": ["0ms", "1ms"]}}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0, point_fn=_says)
    recs = list(read_results(out / RESULTS_FILE).values())
    assert [(r["n_events"], "pass" in r, r["events_digest"] is not None) for r in recs] == [(7, False, True)] * 2
    assert _sweep(grid, out, capsys) == (0, f"0 run now, 2 {REUSED}")
