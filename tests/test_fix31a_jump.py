"""fix31a: a time jumped far forward on a file's last lines is a warning recorded in the store, not a refusal.

fix30b refused it (breaker29 9: one last line +30 days made a 12 s capture a 30-day store), which refused legitimate
files of two sessions whose second has few events (an hftbacktest export of a two-day store imported back, a
Databento evening whose snapshot is hours before; tests/test_hbtexport18.py, test_hftbacktest_snapshot.py, ...). The
jump is now ``quirks.time_jump_at_end`` (the first file's, in source order, exchange time before receive time),
checked on load like the other quirks, printed by ``mmsim convert`` as a warning after its summary, shown on the
report's data row and in report.json's ``setup.data``, recomputed by a loader and kept by ``write_store`` of a
store's events and meta (docs/data.md, "A time far ahead on a file's last lines").
"""

from __future__ import annotations

import json

import pytest
from _corpus import TD_BOOK_HDR, TD_TRADE_HDR, US0, tardis
from test_fix30b_files import DAY_MS, _long_capture, _received, _write

import mmsim
from mmsim.cli import main
from mmsim.data import binance as bn
from mmsim.data import tardis as tds
from mmsim.data import write_store

KEY = "time_jump_at_end"
JUMP = {"at": "cap.gz: line 202", "from": "cap.gz: line 201", "time": "exchange", "jump_ns": 2_592_000_001_000_000,
        "span_ns": 200_000_000, "events_after": 1, "events": 206}
WARNING = (
    "warning: cap.gz: line 202: exchange time 2592000.001 s after the latest before it (line 201), on the last 1 of "
    "the file's 206 events, whose others span 0.200 s: a wrong time (in another unit, or off by days) that no later "
    "line contradicts, which stretches the store's span and every time measured to its end, or a new session with "
    "few events after a gap; a wrong time: fix or remove the line and convert again; a second session: convert the "
    "sessions apart to replay each alone (quirks.time_jump_at_end; docs/data.md, \"A time far ahead on a file's "
    "last lines\")")


def _capture(tmp_path):
    """breaker29 9's shape: a 0.2 s USD-M capture whose last line (the trade, line 202) is 30 days late."""
    msgs = _long_capture()
    msgs[-1]["data"]["T"] += 30 * DAY_MS
    msgs[-1]["data"]["E"] += 30 * DAY_MS
    p = tmp_path / "cap.gz"
    _write(p, msgs, _received(msgs, -1_000_000))
    return p


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_convert_warns_of_the_jump_after_its_summary_quiet_or_not(tmp_path, capsys, quiet):
    p = _capture(tmp_path)
    assert main(["convert", str(p), "-o", str(tmp_path / "s"), "--format", "binance", *quiet]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == WARNING and sum(line.startswith("warning: ") for line in err) == 1
    assert mmsim.load(tmp_path / "s").meta["quirks"][KEY] == JUMP


def test_a_second_session_of_three_trades_a_day_later_converts_with_the_warning(tmp_path, capsys):
    # Another case of the kind, the legitimate one: a Tardis trades file of 20 rows 1 ms apart (0.019 s), then 3 rows
    # of the next day's session (a day after row 20). The jump from line 21 (US0 + 20 ms) to line 22 (+1 day) is
    # 86400.000 s on the last 3 of 23 events; the rest spans 0.019 s (lines 2-21) + 0.002 s (lines 22-24) = 0.021 s.
    # The store: the book file's CLEAR and 2 levels, and the 23 trades: 26 events.
    book = [TD_BOOK_HDR, f"ex,XUSDT,{US0},{US0 + 100},true,bid,10.0,1", f"ex,XUSDT,{US0},{US0 + 100},true,ask,10.5,1"]
    rows = [f"ex,XUSDT,{US0 + 1000 * k},{US0 + 1000 * k + 100},t{k},sell,10.0,1" for k in range(1, 21)]
    nxt = US0 + 20_000 + DAY_MS * 1000
    rows += [f"ex,XUSDT,{nxt + 1000 * k},{nxt + 1000 * k + 100},n{k},buy,10.5,1" for k in range(3)]
    srcs, _ = tardis(tmp_path, book=book, trades=[TD_TRADE_HDR] + rows)
    st = tds.convert(srcs, tmp_path / "s")
    assert st.meta["event_count"] == 26 and st.meta["quirks"][KEY] == {
        "at": f"{srcs[1].name}: line 22", "from": f"{srcs[1].name}: line 21", "time": "exchange",
        "jump_ns": 86_400_000_000_000, "span_ns": 21_000_000, "events_after": 3, "events": 23}


@pytest.mark.parametrize("edit, words", [
    ({"jump_ns": 5}, "jump_ns is 5, not an integer above 600000000000 (ns: a jump of more than 10 min)"),
    ({"time": "local"}, "time is 'local', not 'exchange' or 'receive'"),
    ({"events_after": 207}, "events_after is 207, more than the file's events (206)"),
    ({"events_after": 11}, "events_after is 11, more than the last 10 or 1% of the file's 206 events: not a jump on "
                           "its last lines"),
    ({"span_ns": 300_000_000_000_000}, "jump_ns is 2592000001000000, not more than 10 times span_ns "
                                       "(300000000000000): not a jump far beyond the rest of the file's span"),
    ({"line": 3}, "has the unknown key 'line' (its keys must be at, from, time, jump_ns, span_ns, events_after, "
                  "events; docs/data.md, \"A time far ahead on a file's last lines\")"),
])
def test_a_hand_edited_quirk_is_refused_on_load_naming_the_key(tmp_path, edit, words):
    p = _capture(tmp_path)
    bn.convert([p], tmp_path / "s")
    mp = tmp_path / "s" / "meta.json"
    meta = json.loads(mp.read_text())
    meta["quirks"][KEY] = {**JUMP, **edit}
    mp.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as ei:
        mmsim.load(tmp_path / "s")
    assert str(ei.value) == f"{mp}: key 'quirks.{KEY}' {words}"


def test_a_rewrite_of_the_store_keeps_the_quirk_and_a_loader_recomputes_it(tmp_path):
    p = _capture(tmp_path)
    st = bn.convert([p], tmp_path / "s")
    again = write_store(tmp_path / "again", st.events, st.meta)  # no source positions: the given one is kept
    assert again.meta["quirks"][KEY] == JUMP
    bare = write_store(tmp_path / "bare", st.events, {**st.meta, "quirks": {}})
    assert KEY not in bare.meta["quirks"]
    fixed = _long_capture()  # the same capture with its last line's time right: a loader drops nothing it was given
    _write(p, fixed, _received(fixed, -1_000_000))
    assert KEY not in bn.convert([p], tmp_path / "s", force=True).meta["quirks"]


def test_the_report_data_row_and_report_json_show_the_jump(tmp_path):
    from rich.console import Console

    from mmsim.report import make_report

    st = bn.convert([_capture(tmp_path)], tmp_path / "s")
    res = mmsim.run(st, None, mmsim.Config(signals=mmsim.SignalConfig(enabled=False)))
    rep = make_report(res, st, horizons=["1s"], event_horizons=[])
    console = Console(record=True, width=600)
    rep.print(console)
    data = next(line for line in console.export_text().splitlines() if line.strip().startswith("data"))
    assert data.rstrip().endswith(
        "; cap.gz: line 202: exchange time 2592000.001 s after the latest before it (line 201), on the last 1 of the "
        "file's 206 events: a wrong time or a new session with few events (quirks.time_jump_at_end)")
    assert rep.data["setup"]["data"][KEY] == JUMP
