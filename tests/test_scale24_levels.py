"""scale24: a store whose meta.json says ``"levels": "L2"`` (market-by-price) while its events hold an order event
(``ADD``/``CANCEL``/``DELETE``/``EXECUTE``) is refused where its events are verified (a run's start, a report,
``mmsim compare``) and where a store is written, naming the meta.json's ``levels`` and the first order event.

An L3 store relabelled L2 replayed as before (the engine tells L3 data by its ADDs) but its report named the L2 queue
model instead of the exact FIFO it used, and ``mmsim queue-score`` refused it as L2 data (breaker24). The reverse is
not refused: an L3 store may hold ``DEPTH`` events (docs/data.md: an L2 level and L3 orders at one price).
"""

from __future__ import annotations

import shutil

import pytest
from conftest import make_events, rewrite_meta

import mmsim
from mmsim import Kind
from mmsim.data.store import write_store

T0 = 1_704_205_800_000_000_000
META = {"symbol": "TEST", "venue": "XTEST", "tick_size": 0.5, "lot_size": 1.0, "contract_size": 1.0,
        "levels": "L3", "format": "synthetic", "source": ["made.csv"]}
#: A book of two DEPTH levels, a trade, then order 7 added (event 3), reduced, executed; a last DEPTH.
ROWS = [(T0, Kind.DEPTH, 1, 100, 5), (T0, Kind.DEPTH, -1, 102, 5), (T0 + 10, Kind.TRADE, 1, 102, 1),
        (T0 + 20, Kind.ADD, 1, 99, 3, 7), (T0 + 30, Kind.CANCEL, 1, 99, 1, 7), (T0 + 40, Kind.EXECUTE, 1, 99, 2, 7),
        (T0 + 50, Kind.DEPTH, 1, 101, 4)]


def _why(meta_json, i, kind):
    return (f"{meta_json}: key 'levels' is 'L2' (market-by-price), but event {i} is an {kind} (market-by-order): "
            "the store's events are L3 data; its levels is 'L3' (an L2 store of them is mmsim.data.to_l2's)")


def _relabel(src, dst, levels):
    shutil.copytree(src, dst)
    rewrite_meta(dst, levels=levels)  # the levels' check, not the meta_digest's of an edit (fix34c)
    return dst


def test_an_l3_store_relabelled_l2_is_refused_at_the_run(tmp_path):
    src = write_store(tmp_path / "l3", make_events(ROWS), META).path
    bad = _relabel(src, tmp_path / "bad", "L2")
    st = mmsim.load(bad)  # opening reads no event: the check is where they are verified
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(st, None, mmsim.Config())
    assert str(info.value) == _why(bad / "meta.json", 3, "ADD")


def test_the_breakers_synthetic_store_relabelled_l2_is_refused_by_mmsim_run(store, tmp_path, capsys):
    """The breaker's meta_levels_L2, through the command line: a synthetic L3 day opens with its book's ADDs."""
    from mmsim.cli import main

    bad = _relabel(store, tmp_path / "bad", "L2")
    first = next(i for i, k in enumerate(mmsim.load(store).events["kind"][:100]) if k == Kind.ADD)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {bad}\nstrategy: {{path: fixed_spread, params: {{half_spread: 1, size: 1}}}}\n")
    assert main(["run", str(cfg), "-o", str(tmp_path / "out"), "--no-report"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {_why(bad / 'meta.json', first, 'ADD')}\n"


def test_a_store_is_not_written_as_l2_with_order_events(tmp_path):
    with pytest.raises(mmsim.DataError) as info:
        write_store(tmp_path / "s", make_events(ROWS), dict(META, levels="L2"))
    assert str(info.value) == _why(tmp_path / "s" / "meta.json", 3, "ADD")
    assert not (tmp_path / "s").exists()


def test_depth_events_in_an_l3_store_and_an_l2_store_without_orders_are_not_refused(tmp_path):
    l3 = write_store(tmp_path / "l3", make_events(ROWS), META)
    assert mmsim.run(l3, None, mmsim.Config()).partial is False
    l2 = write_store(tmp_path / "l2", make_events([r for r in ROWS if r[1] not in (Kind.ADD, Kind.CANCEL,
                                                                                   Kind.EXECUTE)]),
                     dict(META, levels="L2"))
    assert len(l2) == 4 and mmsim.run(l2, None, mmsim.Config()).partial is False


def test_the_scan_stops_at_the_first_order_event_and_is_kept_per_file_version(tmp_path):
    from mmsim.data import _identity

    st = write_store(tmp_path / "l3", make_events(ROWS), META)
    assert _identity.first_order_event(st.events, chunk=2) == (3, int(Kind.ADD))
    assert _identity.first_order_event(st.events[:3]) is None
    key = _identity._cache_key(st.events)
    assert key is not None and _identity._FIRST_ORDER[key] == (3, int(Kind.ADD))
