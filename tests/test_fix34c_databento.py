"""fix34c: Databento tidy-ups (closing23's final read). A record received before it happened is one rule with one
message (two checks of two messages before: the 1 ms rule, and a later record going back before it); ``l2_only`` is
given to the store writer, not set after it."""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import NS0, db_csv_lines
from test_fix30c_databento import EARLY_TAIL

import mmsim
from mmsim.data import convert
from mmsim.data.store import EventStoreWriter


def _early_lines(delay_ns: int) -> list[str]:
    """Databento CSV lines whose line 3 (the add of order 12) has its ts_event ``delay_ns`` after its ts_recv."""
    lines = db_csv_lines()
    f = lines[2].split(",")
    f[1] = str(int(f[0]) + delay_ns)
    lines[2] = ",".join(f)
    return lines


def test_a_record_early_in_one_file_contradicted_in_the_next_is_named_by_its_own_file(tmp_path):
    # The files of one convert are one stream: a record of a.csv received 5 s before it happened, and the first of
    # b.csv going back before it. Before: "b.csv: a.csv: line 3: ..." (the later file's path before the record's).
    lines = _early_lines(5_000_000_000)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("\n".join(lines[:3]) + "\n")
    b.write_text("\n".join([lines[0]] + lines[3:]) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([a, b], tmp_path / "s", format="databento", tick_size=0.25)
    assert str(info.value) == (
        f"{a}: line 3: ts_event {NS0 + 5_000_000_250} is 5.000 s after its ts_recv {NS0 + 250} (received before it "
        f"happened), and {b}: line 2 after it has ts_event {NS0 + 300}, before it: {EARLY_TAIL.format(5.0)}line")


def test_one_message_whichever_shows_the_ts_event_wrong(tmp_path):
    # 2 ms early with no record going back before it (the 1 ms rule, at the end) and 0.5 ms early with one (at the
    # record after it): the same sentence, its reason apart.
    lines = _early_lines(2_000_000)
    for ln in range(3, len(lines)):  # every later record after it: nothing goes back before it
        f = lines[ln].split(",")
        f[0], f[1] = str(int(f[0]) + 3_000_000), str(int(f[1]) + 3_000_000)
        lines[ln] = ",".join(f)
    p = tmp_path / "late.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([p], tmp_path / "s", format="databento", tick_size=0.25)
    far = str(info.value)
    assert far == (f"{p}: line 3: ts_event {NS0 + 2_000_250} is 0.002 s after its ts_recv {NS0 + 250} (received "
                   "before it happened), by more than 0.001 s, while Databento's ts_recv is its PTP-synchronised "
                   f"capture clock: {EARLY_TAIL.format(0.002)}line")
    q = tmp_path / "near.csv"
    q.write_text("\n".join(_early_lines(500_000)) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        convert([q], tmp_path / "t", format="databento", tick_size=0.25)
    near = str(info.value)
    # 0.5 ms to the ns: it read "0.001 s" (3 decimals), the 1 ms rule's own bound
    tail = EARLY_TAIL.replace("{:.3f}", "0.0005")
    assert near == (f"{q}: line 3: ts_event {NS0 + 500_250} is 0.0005 s after its ts_recv {NS0 + 250} (received "
                    f"before it happened), and line 4 after it has ts_event {NS0 + 300}, before it: {tail}line")
    assert far.split(": a corrupt record")[1] == near.split(": a corrupt record")[1].replace("0.0005", "0.002")


def test_l2_only_is_given_to_the_writer(tmp_path):
    # It was set on the writer after construction (databento.py, lobster.py): a keyword of the constructor now.
    from mmsim.events import EVENT_DTYPE, Kind

    ev = np.zeros(1, EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = NS0
    ev["kind"] = Kind.ADD
    with EventStoreWriter(tmp_path / "s", l2_only=True) as w:
        assert w.l2_only is True
        with pytest.raises(mmsim.DataError, match=r"ADD, an order event"):
            w.append(ev)
    with EventStoreWriter(tmp_path / "t") as w:
        assert w.l2_only is False
        w.append(ev)
        w.abort()
