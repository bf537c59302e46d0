"""A market-by-order source (LOBSTER, Databento MBO) whose events hold no order event is written as L2 data.

Such a window (trades and status only) replays with the L2 queue model, as the engine tells L3 data by its order
events. Labelled L3, its store was refused when written (fix26a), with a remedy ("a store of them is labelled
'L2'") the converter's user could not choose: the converter now labels it L2 and `mmsim convert` says why.
"""

from __future__ import annotations

import json

import pytest
from _corpus import LOB_DAY, lobster

import mmsim
from mmsim.cli import main
from mmsim.data import convert, write_store

HEAD = "ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id\n"
ROW = "1703541600000000{t}00,1703541600000000{t}90,0,{t},7,ES,{a},{s},{px},1,{oid},130,0\n"
ORDERS = "(ADD, CANCEL, DELETE, EXECUTE)"
TAIL = "but the store is labelled L2 (market-by-price) and runs use the L2 queue model, not the exact FIFO"


def _dbn(tmp_path, *rows: tuple[str, str, str, int]):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "".join(ROW.format(t=i + 1, a=a, s=s, px=px, oid=oid) for i, (a, s, px, oid) in enumerate(rows)))
    return p


def test_a_databento_file_of_trades_only_is_written_as_l2_and_convert_says_so(tmp_path, capsys):
    p = _dbn(tmp_path, ("T", "B", "4800.00", 0), ("T", "A", "4800.25", 0))
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "databento", "-q"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (f"warning: none of the 2 events of d.csv is an order event {ORDERS}: the databento source is "
                       f"market-by-order, {TAIL}")
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert (meta["levels"], meta["event_count"], meta["format"]) == ("L2", 2, "databento")
    # The store loads and replays (no level to fill against: trades only).
    st = mmsim.load(tmp_path / "s")
    assert st.meta["levels"] == "L2" and len(st) == 2
    assert len(mmsim.run(st, None, mmsim.Config(tick_size=st.tick_size)).fills) == 0


def test_a_lobster_day_of_hidden_executions_only_is_written_as_l2(tmp_path, capsys):
    # The second case of the kind: a LOBSTER window whose book is empty throughout (LOBSTER's dummy levels,
    # 9999999999 and -9999999999 of size 0) and whose messages are hidden executions (type 5) only: no ADD is seeded.
    srcs, mp = lobster(tmp_path, msg=["34200.1,5,0,3,1000150,-1", "34200.2,5,0,2,1000150,1"],
                       book=["9999999999,0,-9999999999,0"] * 2)
    st = convert(srcs, tmp_path / "s", format="lobster")
    assert st.meta["levels"] == "L2"
    assert main(["convert", str(mp), "-o", str(tmp_path / "s2"), "--format", "lobster"]) == 0
    names = f"{LOB_DAY.format('message')}, {LOB_DAY.format('orderbook')}"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"warning: none of the {len(st)} events of {names} is an order event {ORDERS}: the lobster source is "
        f"market-by-order, {TAIL}")


def test_one_order_event_keeps_the_l3_label_and_no_warning(tmp_path, capsys):
    p = _dbn(tmp_path, ("A", "B", "4800.00", 11), ("T", "A", "4800.25", 0))
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "databento"]) == 0
    assert not [line for line in capsys.readouterr().err.splitlines() if "order event" in line]
    assert mmsim.load(tmp_path / "s").meta["levels"] == "L3"
    # A LOBSTER day with its adds stays L3 too.
    (tmp_path / "lob").mkdir()
    srcs, _ = lobster(tmp_path / "lob")
    assert convert(srcs, tmp_path / "s2", format="lobster").meta["levels"] == "L3"


def test_a_meta_given_as_l3_over_no_order_event_is_still_refused_by_write_store(tmp_path):
    # write_store's caller writes the meta: the label is theirs to change, and the refusal (fix26a) stands.
    st = mmsim.load(convert([_dbn(tmp_path, ("T", "B", "4800.00", 0))], tmp_path / "s", format="databento").path)
    with pytest.raises(mmsim.DataError, match=r"key 'levels' is 'L3' \(market-by-order\), but none of its 1 events"):
        write_store(tmp_path / "w", st.events, {**st.meta, "levels": "L3"})


def test_a_sweep_over_a_store_of_trades_only_resumes_from_its_own_records(tmp_path):
    # Such a store has no mid: pnl.end_mid is null (a run writes it so), and a resumed sweep reads its own records
    # back (fix26b's check held pnl.end_mid never null, and would have refused them).
    import json as _json

    from mmsim.sweep import RESULTS_FILE, parse_grid, run_sweep

    st = convert([_dbn(tmp_path, ("T", "B", "4800.00", 0), ("T", "A", "4800.25", 0))], tmp_path / "s",
                 format="databento")
    grid = parse_grid({"base": {"data": str(st.path), "strategy": {"path": "join_best", "params": {"size": 1}}},
                       "axes": {"latency.feed": ["0ms", "1ms"]}})
    first = run_sweep(grid, out=tmp_path / "sw", workers=0)
    records = [_json.loads(s) for s in (tmp_path / "sw" / RESULTS_FILE).read_text().splitlines()]
    assert [r["metrics"]["pnl.end_mid"] for r in records] == [None, None]
    again = run_sweep(grid, out=tmp_path / "sw", workers=0)
    assert [r["status"] for r in again] == [r["status"] for r in first] == ["ok", "ok"]
    assert (tmp_path / "sw" / RESULTS_FILE).read_text().count("\n") == 2  # nothing ran again


def test_the_count_is_written_with_thousands_separators():
    # breaker31: "none of the 2446 events" beside the summary line's "2,446 events".
    from mmsim.cli.convert import no_orders_warning
    from mmsim.data._identity import no_orders_note

    meta = {"format": "databento", "levels": "L2", "event_count": 2446, "source": ["d.csv"]}
    assert no_orders_warning(meta).startswith("warning: none of the 2,446 events of d.csv is an order event ")
    assert "but none of its 2,446 events is an order event" in no_orders_note(meta)
