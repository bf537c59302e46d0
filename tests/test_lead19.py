"""Lead, session 19: cases of kinds fixed before that no test pinned yet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_newcomer17 import FIXED_SPREAD, META, l2_with_prints

import mmsim.sweep as sw
from mmsim.data import load
from mmsim.data._identity import array_digest
from mmsim.data.store import write_store
from mmsim.errors import DataError

CALLS: list[str] = []


def _point(cfg) -> dict:
    """A custom point_fn that reads nothing itself: it records that it was called."""
    CALLS.append(cfg.strategy.params["half_spread"])
    return {"x": 1.0}


def _grid(tmp_path: Path) -> dict:
    return {"base": {"data": "st", "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                     "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
            "axes": {"strategy.params.half_spread": [1, 2]}, "workers": 0}


@pytest.mark.parametrize("resumed", [False, True], ids=["first-run", "resumed"])
def test_a_sweep_with_a_custom_point_fn_refuses_a_store_edited_under_its_digest(tmp_path, resumed):
    """closing18 left it untested: a sweep's pre-flight verifies every store (``check_stores``) whatever computes
    its points, so a custom ``point_fn`` (which opens nothing the sweep sees) is never called on an ``events.npy``
    edited under its ``meta.json`` digest: the sweep is refused with ``mmsim run``'s message, on a first run and
    on a resume (whose records would otherwise be reused as "the same store events")."""
    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps(_grid(tmp_path)))
    CALLS.clear()
    if resumed:
        rows = sw.run_sweep(str(grid), tmp_path / "out", workers=0, point_fn=_point)
        assert [(r["status"], r["x"]) for r in rows] == [("ok", 1.0), ("ok", 1.0)]
        assert CALLS == [1, 2]
        CALLS.clear()
    want = json.loads((st / "meta.json").read_text())["events_digest"]
    ev = np.load(st / "events.npy", mmap_mode="r+")
    ev["qty"][5] += 2                       # a hand edit under the digest
    ev.flush()
    del ev
    got = array_digest(load(st).events)
    with pytest.raises(DataError) as info:
        sw.run_sweep(str(grid), tmp_path / "out", workers=0, point_fn=_point)
    assert str(info.value) == (f"{st}/events.npy changed since the store was written: its SHA-256 is {got[7:23]}…, "
                               f"meta.json's events_digest says {want[7:23]}…; these are not the events the store "
                               "was written with (write it again from its source: mmsim convert)")
    assert CALLS == []
    if resumed:  # the records of the first run as they were
        assert [json.loads(r)["status"] for r in (tmp_path / "out" / "results.jsonl").read_text().splitlines()] == [
            "ok", "ok"]


# --- breaker19b's two strict xfails, fixed: a second case of each kind ---------------------------------------------

def test_the_pure_path_reads_and_writes_fields_by_name_with_the_integer_check():
    """``view["bid_qty"]`` reads as ``view.bid_qty``; ``out["n_orders"] = 0.5`` is refused as ``out.n_orders = 0.5``
    is (the compiled rule would cut it to 0); a field that does not exist is a KeyError naming it; the view and the
    params are read-only by name too."""
    from mmsim._numba_support import _RecordReader, _RecordWriter
    from mmsim.records import QUOTE_DTYPE, VIEW_DTYPE

    v = np.zeros((), dtype=VIEW_DTYPE)
    v["bid_qty"] = 5.0
    view = _RecordReader(v[()])
    assert (view["bid_qty"], type(view["bid_qty"])) == (view.bid_qty, type(view.bid_qty)) == (5, int)
    with pytest.raises(AttributeError, match="^the view and params are read-only$"):
        view["bid_qty"] = 1.0
    with pytest.raises(KeyError, match="record has no field 'bid_qtty'"):
        view["bid_qtty"]
    o = np.zeros((), dtype=QUOTE_DTYPE)
    out = _RecordWriter(o)
    out["n_orders"] = 1.0
    out["order_side"][0] = -1
    assert (int(o["n_orders"]), int(o["order_side"][0])) == (1, -1)
    with pytest.raises(ValueError) as info:
        out["n_orders"] = 0.5
    assert str(info.value) == ("out.n_orders = 0.5 is not a whole number: it is an integer field, which the compiled "
                               "rule would set to 0 silently")


def test_sweep_into_a_link_to_an_existing_folder_writes_there_and_resumes(tmp_path):
    """``-o lk`` with ``lk -> runs/today`` (an existing empty folder): the results go there, the link kept; the same
    command again resumes from them (2 points reused, none run)."""
    from test_breaker18b import mmsim_cli

    st = tmp_path / "st"
    write_store(st, l2_with_prints(), dict(META))
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps({k: v for k, v in _grid(tmp_path).items() if k != "workers"}))
    (tmp_path / "runs" / "today").mkdir(parents=True)
    (tmp_path / "lk").symlink_to("runs/today")
    p = mmsim_cli(["sweep", str(grid), "-q", "--workers", "0", "-o", "lk"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "lk").is_symlink()
    first = (tmp_path / "runs" / "today" / "results.jsonl").read_text()
    assert len(first.splitlines()) == 2
    again = mmsim_cli(["sweep", str(grid), "--workers", "0", "-o", "lk"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 run now, 2 reused" in again.stdout + again.stderr
    assert (tmp_path / "runs" / "today" / "results.jsonl").read_text() == first


# --- newcomer19's rough edges: a misspelt field, a unit on an undeclared quantity ------------------------------------

def test_a_misspelt_field_names_the_rules_line_and_the_nearest_field():
    """``view.bid_qtty``: numba's typer raises a bare KeyError; the refusal said only ``no field 'bid_qtty' in the
    view, params or out record``. It names the rule's line that reads it and the field meant; a name near nothing
    (``view.zzz``) gets no guess."""
    from mmsim.errors import StrategyError
    from mmsim.numba_strategy import numba_strategy

    def typo(view, params, state, out):
        if view.bid_qtty > 0:
            out.bid_px = view.best_bid
        return 0

    def nothing_near(view, params, state, out):
        out.bid_px = view.zzz
        return 0

    first = typo.__code__.co_firstlineno
    with pytest.raises(StrategyError) as info:
        numba_strategy(params={"size": 1.0}, cache=False)(typo)()
    assert str(info.value) == (
        "strategy typo: the rule test_lead19.typo.<locals>.typo(view, params, state, out) does not compile for the "
        f"view record: no field 'bid_qtty' in the view, params or out record (test_lead19.py line {first + 1}); "
        "did you mean 'bid_qty'?".replace("test_lead19.typo.<locals>.typo", typo.__qualname__))
    with pytest.raises(StrategyError) as info:
        numba_strategy(params={"size": 1.0}, cache=False)(nothing_near)()
    assert str(info.value).endswith("no field 'zzz' in the view, params or out record (test_lead19.py line "
                                    f"{nothing_near.__code__.co_firstlineno + 1})")


def test_a_unit_on_an_undeclared_quantity_says_how_to_declare_it():
    from mmsim._qty_units import resolve_units
    from mmsim.errors import ConfigError
    from mmsim.numba_strategy import numba_strategy

    bare = numba_strategy(lambda view, params, state, out: 0, params={"size": 1.0}, name="Bare")
    with pytest.raises(ConfigError) as info:
        resolve_units(bare, {"size": "1 base"}, 0.001, "Bare")
    assert str(info.value) == (
        "strategy Bare: parameter 'size': '1 base' has a unit, but 'size' is not a quantity in lots (it declares no "
        "quantity parameters); write it as a plain number, or declare it a quantity (numba_strategy(..., "
        "quantities=['size']), or a strategy class's `quantities` attribute) (docs/strategies.md, \"Units of "
        "strategy parameters\")")
