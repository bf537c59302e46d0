"""One point's failure in a sweep pass is that point's alone (breaker20, sweep21).

A grid with one bad point failed every point of its pass, each blamed with the bad point's error: the sweep's
pre-flight did not check the level counts a numba rule's parameters decide against ``ladder_levels``,
``mmsim.run_many(..., return_exceptions=True)`` raised for the whole pass when one run was refused before it
(its ``reset()`` raising), and the sweep handed that one exception to every point of the pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_events
from test_run_many import CANCEL_RACE, Puller, ResetFails, assert_same, config

import mmsim
from mmsim.errors import ConfigError
from mmsim.sweep import run_sweep

S = 1_000_000_000

LADDER_RULE = (
    "import mmsim\n"
    "\n"
    "\n"
    "@mmsim.numba_strategy(params={'levels': 2.0, 'size': 1.0})\n"
    "def my_ladder(view, params, state, out):\n"
    "    if view.bid_qty <= 0 or view.ask_qty <= 0:\n"
    "        return 0\n"
    "    out.n_bid_levels = params.levels\n"
    "    out.n_ask_levels = params.levels\n"
    "    for k in range(out.n_bid_levels):\n"
    "        out.bid_ladder_px[k] = view.best_bid - k\n"
    "        out.bid_ladder_qty[k] = params.size\n"
    "        out.ask_ladder_px[k] = view.best_ask + k\n"
    "        out.ask_ladder_qty[k] = params.size\n"
    "    return 1\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("passfail")
    write_store(SynthConfig(seed=1, duration=2 * S), d / "store")
    return d / "store"


def _ladder_grid(tmp_path: Path, store: Path, body: str) -> Path:
    (tmp_path / "my_ladder.py").write_text(LADDER_RULE)
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n{body}")
    return grid


LEVELS = "is less than the 5 target levels per side strategy my_ladder quotes; set ladder_levels to at least 5"


@pytest.mark.parametrize("body, message", [
    # The breaker's grid: ladder_levels in the base, the parameter on an axis.
    ("  ladder_levels: 4\n  strategy: {path: my_ladder.py:my_ladder, params: {levels: 2, size: 1}}\n"
     "axes:\n  strategy.params.levels: [2, 5]\n",
     f"base.ladder_levels: ladder_levels: 4 {LEVELS} ({{g}} line 3) — in 1 of 2 points (strategy.params.levels=5); "
     "no point ran"),
    # The same kind: ladder_levels on an axis, the parameter a point's, written as a float.
    ("  strategy: {path: my_ladder.py:my_ladder, params: {size: 1}}\n"
     "axes:\n  ladder_levels: [5, 3]\n  strategy.params.levels: [5.0]\n",
     f"axes.ladder_levels[1]: ladder_levels: 3 {LEVELS} ({{g}} line 5) — in 1 of 2 points (ladder_levels=3, "
     "strategy.params.levels=5.0); no point ran"),
])
def test_the_levels_the_parameters_set_are_checked_against_ladder_levels_before_any_point(tmp_path, store, body,
                                                                                          message):
    """As ``mmsim run`` refuses ``ladder_levels: 4`` for ``levels: 5`` (exit 2), the sweep refuses the point before
    any runs, naming the key that sets ladder_levels first and its line last; nothing is written."""
    grid = _ladder_grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, tmp_path / "out", workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- run_many: a run refused drops out alone

def _too_big(monkeypatch):
    """No memory for any decision log: a run with ``decide_every`` and its log is refused before the pass."""
    monkeypatch.setattr("mmsim._timer_budget._memory_free", lambda: (1, ""))
    return (Puller(), config(decide_every=1000))


# Each kind of refusal before the pass, for run 1 of 3 (CANCEL_RACE: 5 events from 1000 to 3000 ns).
REFUSED = {
    "reset raises": (lambda mp: (ResetFails(), config()), mmsim.StrategyError,
                     "run 1 (rf): strategy rf raised KeyError in reset() before the run: 'k' (test_run_many.py line "
                     f"{ResetFails.reset.__code__.co_firstlineno + 1})"),
    "config refused": (lambda mp: (Puller(), {}), mmsim.ConfigError,
                       "run 1 (Puller): config must be an mmsim.Config or RunConfig, got dict"),
    "not a pair": (lambda mp: 3, mmsim.ConfigError, "run 1: expected a (strategy, config) pair, got int"),
    "a class": (lambda mp: (Puller, config()), mmsim.StrategyError,
                "run 1 (Puller): strategy Puller: expected an mmsim.Strategy instance (with quote(view)), a numba "
                "strategy, or None (a market-only replay); Puller is a class: pass an instance, Puller(...)"),
    # 5 events and 2000 ns // 1 us = 2 timer ticks between them: up to 7 calls.
    "decision log": (_too_big, mmsim.ConfigError,
                     "run 1 (Puller): decide_every: 1us over these 5 events is up to 7 strategy calls, and the "
                     "decision log keeps"),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_run_refused_before_the_pass_drops_out_alone_with_return_exceptions(kind, monkeypatch):
    """Its place holds its error (``run_index`` 1), the others' Results are those of running them alone; without
    ``return_exceptions`` the same error is raised. ``reset()`` raising and a decision log too big raised for the
    whole pass; ``3`` for a run was ``runs must be a sequence of (strategy, config) pairs``, naming no run."""
    make, error, message = REFUSED[kind]
    ev = make_events(CANCEL_RACE)
    runs = [(Puller(), config()), make(monkeypatch), (Puller(), config(feed=100, entry=600))]
    with pytest.raises(error) as info:
        mmsim.run_many(ev, runs)
    assert str(info.value).startswith(message) and info.value.run_index == 1
    runs[2] = (Puller(), runs[2][1])  # a fresh object: the first pass called this one
    ok0, bad, ok2 = mmsim.run_many(ev, runs, return_exceptions=True)
    assert type(bad) is error and str(bad) == str(info.value) and bad.run_index == 1
    assert_same(ok0, mmsim.run(ev, Puller(), runs[0][1]), "run 0")
    assert_same(ok2, mmsim.run(ev, Puller(), runs[2][1]), "run 2")
    assert [len(ok0.fills), len(ok2.fills)] == [0, 1]  # 500 us entry: no bid before the end; 600 ns: hit at 2500


# --------------------------------------------------------------------------- a sweep pass: each point its own failure

PY_STRATEGY = (
    "import mmsim\n"
    "\n"
    "\n"
    "class P(mmsim.Strategy):\n"
    "    def __init__(self, where='none', size=1):\n"
    "        self.where, self.size = where, size\n"
    "\n"
    "    def reset(self):\n"
    "        if self.where == 'reset':\n"
    "            raise ValueError('boom reset')\n"
    "\n"
    "    def quote(self, view):\n"
    "        if view.bid_qty <= 0 or view.ask_qty <= 0:\n"
    "            return None\n"
    "        return mmsim.Quote(view.best_bid, self.size, view.best_ask, self.size)\n")


def _py_grid(tmp_path: Path, store: Path, body: str) -> Path:
    (tmp_path / "pys.py").write_text(PY_STRATEGY)
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: pys.py:P, params: {{where: none}}}}\n{body}")
    return grid


def _by_value(out: Path, key: str) -> dict:
    """The sweep's point records in ``out``/results.jsonl by the value of the key its axis sets."""
    import json

    lines = (out / "results.jsonl").read_text().splitlines()
    return {r["overrides"][key]: r for r in map(json.loads, lines)}


RESET = "strategy P raised ValueError in reset() before the run: boom reset (pys.py line 10)"


@pytest.mark.parametrize("body, key, bad, message", [
    # The breaker's: reset() raises for one parameter value; the other two points ran.
    ("axes:\n  strategy.params.where: [none, reset, other]\n", "strategy.params.where", "reset", RESET),
    # The same kind: a decision log too big for one point (no memory for any: the point with a timer).
    ("axes:\n  decide_every: [null, 1ms]\n", "decide_every", "1ms", None),
])
def test_one_point_refused_before_the_pass_fails_alone(tmp_path, store, monkeypatch, body, key, bad, message):
    """It failed every point of the pass, each with ``run 1 (P): ...`` (the pass's index, meaningless to a sweep).
    Now the bad point records its own message, without the pass's prefix, as in a pass of one; the others ran, their
    figures those of each point run alone (``pass_size=1``)."""
    monkeypatch.setattr("mmsim._timer_budget._memory_free", lambda: (1, ""))  # decision logs only where a timer is set
    grid = _py_grid(tmp_path, store, body)
    run_sweep(grid, tmp_path / "one", workers=0)
    run_sweep(grid, tmp_path / "each", workers=0, pass_size=1)
    together, alone = _by_value(tmp_path / "one", key), _by_value(tmp_path / "each", key)
    assert {v: r["status"] for v, r in together.items()} == {v: ("error" if v == bad else "ok") for v in together}
    if message is None:
        message = alone[bad]["error"]["message"]
        assert message.startswith("decide_every: 1ms over these ") and "run " not in message
    assert together[bad]["error"]["message"] == message == alone[bad]["error"]["message"]
    for v, r in together.items():
        if v != bad:
            assert r["metrics"] == alone[v]["metrics"] and r["n_events"] == alone[v]["n_events"] > 0
            assert r["pass"]["runs"] == len(together) and alone[v]["pass"]["runs"] == 1


def test_retry_failed_runs_the_failed_point_alone_again(tmp_path, store):
    """``--retry-failed`` after such a pass runs the one failed point again (it fails as before), the two that ran
    are reused: 3 lines, then 1 more. Every point of the pass failed before, so all 3 ran again."""
    import json

    grid = _py_grid(tmp_path, store, "axes:\n  strategy.params.where: [none, reset, other]\n")
    run_sweep(grid, tmp_path / "out", workers=0)
    run_sweep(grid, tmp_path / "out", workers=0, retry_failed=True)
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [(r["overrides"]["strategy.params.where"], r["status"]) for r in lines] == [
        ("none", "ok"), ("reset", "error"), ("other", "ok"), ("reset", "error")]
    assert lines[3]["error"]["message"] == lines[1]["error"]["message"] == RESET


def test_an_error_raised_for_one_run_is_its_point_s_alone_and_the_pass_runs_again_without_it():
    """Should ``run_many`` raise an error of one run (``run_index`` set) all the same, it is that point's, its pass
    prefix dropped, and the others run again without it; one with no ``run_index`` is every point's."""
    import contextlib

    from mmsim.sweep.passes import _pass_outs

    calls = []

    def fake_run_many(store, pairs, return_exceptions):
        calls.append([p[1] for p in pairs])
        if "bad" in calls[-1]:
            exc = ConfigError(f"run {calls[-1].index('bad')} (none): too big")
            exc.run_index = calls[-1].index("bad")
            raise exc
        return [f"result {c}" for c in calls[-1]]

    outs = _pass_outs(fake_run_many, contextlib.nullcontext, None, [(None, "a"), (None, "bad"), (None, "c")])
    assert outs[0::2] == ["result a", "result c"] and calls == [["a", "bad", "c"], ["a", "c"]]
    assert type(outs[1]) is ConfigError and str(outs[1]) == "too big" and outs[1].run_index is None

    def broken(store, pairs, return_exceptions):
        raise ConfigError("the pass failed")

    outs = _pass_outs(broken, contextlib.nullcontext, None, [(None, "a"), (None, "b")])
    assert [str(o) for o in outs] == ["the pass failed", "the pass failed"]


# --------------------------------------------------------------------------- pre-flight refusals: key, line, others

@pytest.mark.parametrize("values, message", [
    # The breaker's: NaN named no key nor line, and the other problem (1e400 is inf) was only counted.
    ("[.nan, 1e400]",
     # msgs22: the grid wrote .nan, quoted so (it said `got NaN`).
     "axes.strategy.params.levels[0]: strategy my_ladder: parameter 'levels': expected a number, got '.nan' ({g} line 6) "
     "— in 1 of 2 points (strategy.params.levels=.nan); no point ran (1 other problem too:\n"
     "  axes.strategy.params.levels[1]: strategy my_ladder: out.n_bid_levels = params.levels = inf is not a whole "
     "number: it is an integer field, which the compiled rule would set to -9223372036854775808 silently "
     "(my_ladder.py line 8) ({g} line 6) — in 1 of 2 points (strategy.params.levels=1e400))"),
    # The same kind: a word for a number, the point's value as written.
    ("[2, abc]",
     "axes.strategy.params.levels[1]: strategy my_ladder: parameter 'levels': expected a number, got 'abc' "
     "({g} line 6) — in 1 of 2 points (strategy.params.levels=abc); no point ran"),
])
def test_a_parameter_that_is_not_a_number_is_named_by_its_grid_key_and_line(tmp_path, store, values, message):
    grid = _ladder_grid(tmp_path, store, "  ladder_levels: 4\n  strategy: {path: my_ladder.py:my_ladder}\n"
                        f"axes:\n  strategy.params.levels: {values}\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, tmp_path / "out", workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))


def test_more_than_three_other_problems_list_three_and_count_the_rest(tmp_path, store):
    grid = _ladder_grid(tmp_path, store, "  strategy: {path: my_ladder.py:my_ladder}\n"
                        "axes:\n  strategy.params.size: [a, b, c, d, e]\n")
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, tmp_path / "out", workers=0)
    lines = str(exc.value).splitlines()
    first = "axes.strategy.params.size[{i}]: strategy my_ladder: parameter 'size': expected a number, got '{v}' " \
            f"({grid} line 5) — in 1 of 5 points (strategy.params.size={{v}})"
    assert lines == [first.format(i=0, v="a") + "; no point ran (4 other problems too:",
                     "  " + first.format(i=1, v="b"), "  " + first.format(i=2, v="c"),
                     "  " + first.format(i=3, v="d"), "  ... and 1 more)"]


@pytest.mark.parametrize("axis, index, line", [("axes:\n  data:\n    - {store}\n    - {missing}\n", "axes.data[1]", 6),
                                               ("points:\n  - {{data: {store}}}\n  - {{data: {missing}}}\n",
                                                "points[1].data", 5)])
def test_a_missing_store_a_grid_value_names_is_named_by_its_key(tmp_path, store, axis, index, line):
    """``data: /x/nostore: no such directory ... (grid.yaml line 7)`` lacked the key every other axis value's refusal
    starts with."""
    missing = tmp_path / "nostore"
    grid = tmp_path / "grid.yaml"
    grid.write_text("base:\n  strategy: {path: fixed_spread}\n" + axis.format(store=store, missing=missing))
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, tmp_path / "out", workers=0)
    assert str(exc.value).startswith(f"{index}: data: {missing}: no such directory; ")
    assert str(exc.value).endswith(f" ({grid} line {line}) — in 1 of 2 points (data={missing}); no point ran")
