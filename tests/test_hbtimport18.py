"""hbtimport18: the ``.npz`` hftbacktest's own Databento converter writes from CME data imports as the Databento loader
converts the same file (docs/data.md, "hftbacktest ``.npz``"; ``mmsim.data._hftbacktest_l3``).

Finding: ``mmsim convert --format hftbacktest`` refused hftbacktest 2.4.4's conversion of the ESH4 sample ("record
9660: unknown order id", an auction fill of an order the book never showed); the hand-made rows below, as that
converter writes them (Databento's records one for one, their flags in ``ival``), were refused (a full fill then the
venue's cancel of the filled order, an iceberg's fill beyond its shown size, an aggressor's own fill) or printed
twice (each trade row written as a ``TRADE`` besides its fills' ``EXECUTE``s). Expected events are hand-computed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from test_data_hftbacktest import _hbt_python

import mmsim
from mmsim import Kind
from mmsim.data import hftbacktest as hbt
from mmsim.data._hftbacktest_l3 import DATABENTO_QUIRKS

NS0 = 1_703_545_200_000_000_000
F_LAST = 128
#: hftbacktest's converter: Databento action -> event code, side -> flag (its ``databento.convert``).
CODE = {"A": hbt.ADD_ORDER_EVENT, "C": hbt.CANCEL_ORDER_EVENT, "M": hbt.MODIFY_ORDER_EVENT, "T": hbt.TRADE_EVENT,
        "F": hbt.FILL_EVENT, "R": hbt.DEPTH_CLEAR_EVENT}
SIDE = {"B": hbt.BUY_EVENT, "A": hbt.SELL_EVENT, "N": 0}


def converted(path: Path, recs: list[tuple], flags: bool = True) -> Path:
    """Databento records (time after NS0, action, side, price, size, order id) as hftbacktest's converter writes
    them: one row each, both EXCH_EVENT and LOCAL_EVENT (in order in both clocks), Databento's flags in ``ival``
    (``F_LAST`` on the last record of a time, as CME sends them; T and F records carry none before it). Without
    ``flags``, ``ival`` 0: rows of another writer."""
    a = np.zeros(len(recs), hbt.HBT_EVENT_DTYPE)
    for i, (dt, act, side, px, q, oid) in enumerate(recs):
        last = i + 1 == len(recs) or recs[i + 1][0] != dt
        a[i] = (CODE[act] | SIDE[side] | hbt.EXCH_EVENT | hbt.LOCAL_EVENT, NS0 + dt, NS0 + dt + 500, px, q, oid,
                F_LAST if flags and last else 0, 0.0)
    np.savez_compressed(path, data=a)
    return path


def rows(st) -> list[tuple]:
    return [(int(e["exch_ts"]) - NS0, Kind(int(e["kind"])).name, int(e["side"]), int(e["price"]), int(e["qty"]),
             int(e["order_id"])) for e in np.asarray(st.events)]


def counts(st) -> dict:
    q = st.meta["quirks"]
    return {k: q[k] for k in DATABENTO_QUIRKS if q[k]}


def convert(tmp_path: Path, recs: list[tuple], flags: bool = True):
    src = converted(tmp_path / "x.npz", recs, flags)
    return mmsim.data.convert([src], tmp_path / "s", format="hftbacktest", tick_size=0.25, lot_size=1)


#: A bid 2 @ 4800.00 (order 1), a bid 3 @ 4800.00 behind it (order 2), an ask 3 @ 4800.25 (order 3), an ask 2 @
#: 4800.25 behind it (order 4): 4800.00 is 19200 ticks.
BOOK = [(0, "A", "B", 4800.00, 2, 1), (0, "A", "B", 4800.00, 3, 2), (0, "A", "A", 4800.25, 3, 3),
        (0, "A", "A", 4800.25, 2, 4)]
ADDS = [(0, "ADD", 1, 19200, 2, 1), (0, "ADD", 1, 19200, 3, 2), (0, "ADD", -1, 19201, 3, 3), (0, "ADD", -1, 19201, 2, 4)]


# --- A full fill, then the venue's cancel of the filled order --------------------------------------------------------

@pytest.mark.parametrize("recs,expected", [
    # A sell of 2 fills bid order 1 whole: EXECUTE 2; CME's C of order 1 (2 lots) after it is absorbed.
    ([(1000, "T", "A", 4800.00, 2, 0), (1000, "F", "B", 4800.00, 2, 1), (1000, "C", "B", 4800.00, 2, 1)],
     [(1000, "EXECUTE", 1, 19200, 2, 1)]),
    # A buy of 4 fills ask 3 whole and 1 of ask 4: the C of 3 and the M of 4 to its 1 lot left are both absorbed.
    ([(1000, "T", "B", 4800.25, 4, 0), (1000, "F", "A", 4800.25, 3, 3), (1000, "F", "A", 4800.25, 1, 4),
      (1000, "C", "A", 4800.25, 3, 3), (1000, "M", "A", 4800.25, 1, 4)],
     [(1000, "EXECUTE", -1, 19201, 3, 3), (1000, "EXECUTE", -1, 19201, 1, 4)]),
])
def test_a_full_fill_then_its_cancel_is_one_execute(tmp_path, recs, expected):
    """Before: the TRADE row a TRADE, the FILL an EXECUTE, then the cancel of the filled order an error (unknown
    order id). Now: the fills only (they carry the print), the venue's cancel or modify counted as absorbed."""
    st = convert(tmp_path, BOOK + recs)
    assert rows(st) == ADDS + expected
    absorbed = sum(1 for r in recs if r[1] in "CM")
    assert counts(st) == {"fill_cancels_absorbed": absorbed}


# --- A partial fill, then a modify -------------------------------------------------------------------------------------

def test_a_partial_fill_then_the_modify_to_the_size_it_left_keeps_the_order_in_place(tmp_path):
    """A sell of 1 fills 1 of bid order 1's 2 lots; CME's M of order 1 to 1 lot at 4800.00 is absorbed (order 1
    stays ahead of order 2). Before: a TRADE of 1 besides the EXECUTE (the print twice)."""
    st = convert(tmp_path, BOOK + [(1000, "T", "A", 4800.00, 1, 0), (1000, "F", "B", 4800.00, 1, 1),
                                   (1000, "M", "B", 4800.00, 1, 1), (2000, "A", "B", 4800.00, 1, 5)])
    assert rows(st) == ADDS + [(1000, "EXECUTE", 1, 19200, 1, 1), (2000, "ADD", 1, 19200, 1, 5)]
    assert counts(st) == {"fill_cancels_absorbed": 1}


def test_an_iceberg_fill_beyond_its_shown_size_then_the_modify_that_shows_it_again(tmp_path):
    """A sell of 4 fills bid order 1 (2 shown) for 4: its 2 shown lots execute, the 2 hidden ones are a TRADE at
    its price (the seller's side); CME's M then shows order 1 again, 1 lot at 4800.00, at the back of the level
    (behind order 2), as the Databento loader writes it. Before: an error (a fill of 4 lots, order 1 has 2)."""
    st = convert(tmp_path, BOOK + [(1000, "T", "A", 4800.00, 4, 0), (1000, "F", "B", 4800.00, 4, 1),
                                   (1000, "M", "B", 4800.00, 1, 1)])
    assert rows(st) == ADDS + [(1000, "EXECUTE", 1, 19200, 2, 1), (1000, "TRADE", -1, 19200, 2, 0),
                               (1000, "ADD", 1, 19200, 1, 1)]
    assert counts(st) == {"iceberg_fills_beyond_shown_size": 1, "modify_of_unknown_order_as_add": 1}


# --- A trade row, then fills ------------------------------------------------------------------------------------------

def test_a_trade_row_its_fills_cover_writes_no_trade(tmp_path):
    """A sell of 4: fills of order 1 (2, whole) and order 2 (2 of 3), the C of 1 and the M of 2 to 1 after them.
    Only the two EXECUTEs: the fills are the print (the Databento store's events). Before: a TRADE of 4 too."""
    st = convert(tmp_path, BOOK + [(1000, "T", "A", 4800.00, 4, 0), (1000, "F", "B", 4800.00, 2, 1),
                                   (1000, "F", "B", 4800.00, 2, 2), (1000, "C", "B", 4800.00, 2, 1),
                                   (1000, "M", "B", 4800.00, 1, 2)])
    assert rows(st) == ADDS + [(1000, "EXECUTE", 1, 19200, 2, 1), (1000, "EXECUTE", 1, 19200, 2, 2)]
    assert counts(st) == {"fill_cancels_absorbed": 2}


@pytest.mark.parametrize("side,tside,unseen", [
    # An auction print of 3 (side N): order 99's fill is an auction's, of an order entered in pre-open never shown.
    ("N", 0, {"auction_fills_of_unseen_orders": 1, "fill_cancels_absorbed": 1}),
    # A sell of 3: order 99 a bid's hidden part (a fill with a side); the venue's C of 99 after it is absorbed too.
    ("B", -1, {"fills_of_unseen_orders": 1, "fill_cancels_absorbed": 2}),
])
def test_a_trade_row_with_a_fill_of_an_unseen_order_writes_the_uncovered_rest(tmp_path, side, tside, unseen):
    """A print of 3 at 4800.00: a fill of bid order 1 (2) and a fill of order 99, never shown (1). The known fill
    is the EXECUTE; the 1 lot no shown order covers is a TRADE after it, at the print's time, price and side.
    Before: a TRADE of 3 before the EXECUTE, then an error (unknown order id 99)."""
    recs = [(1000, "T", "A" if side == "B" else "N", 4800.00, 3, 0), (1000, "F", side, 4800.00, 2, 1),
            (1000, "F", side, 4800.00, 1, 99), (1000, "C", "B", 4800.00, 2, 1)]
    if side == "B":
        recs.append((1000, "C", "B", 4800.00, 1, 99))
    st = convert(tmp_path, BOOK + recs)
    assert rows(st) == ADDS + [(1000, "EXECUTE", 1, 19200, 2, 1), (1000, "TRADE", tside, 19200, 1, 0)]
    assert counts(st) == {**unseen, "uncovered_trade_prints": 1}


def test_a_trade_row_naming_its_aggressor_whose_own_fill_is_no_execute(tmp_path):
    """Bid order 5 (1 @ 4799.75) modified into the ask: CME sends the T naming 5 as aggressor, the fill of ask
    order 3 (1 of 3), order 5's own fill at the trade's 4800.25, then the M of 3 to 2 and the C of 5. Order 5's
    fill is not an execution where it rests (the Databento loader's aggressor fill): the EXECUTE of 3, and the C
    deletes 5. Before: a TRADE, and an EXECUTE of order 5 at 4799.75, where nothing traded."""
    st = convert(tmp_path, BOOK + [(10, "A", "B", 4799.75, 1, 5), (1000, "T", "B", 4800.25, 1, 5),
                                   (1000, "F", "A", 4800.25, 1, 3), (1000, "F", "B", 4800.25, 1, 5),
                                   (1000, "M", "A", 4800.25, 2, 3), (1000, "C", "B", 4799.75, 1, 5)])
    assert rows(st) == ADDS + [(10, "ADD", 1, 19199, 1, 5), (1000, "EXECUTE", -1, 19201, 1, 3),
                               (1000, "DELETE", 1, 19199, 1, 5)]
    assert counts(st) == {"fill_cancels_absorbed": 1, "aggressor_fills": 1}


# --- A cancel of part of an order ----------------------------------------------------------------------------------

def test_a_cancel_row_takes_its_size(tmp_path):
    """Databento's C cancels its size: a C of 2 of bid order 2's 3 lots is a CANCEL of 2 (order 2 keeps its place
    and 1 lot), the next C of 1 a DELETE. Before: the first C a DELETE of all 3, the second an error."""
    st = convert(tmp_path, BOOK + [(1000, "C", "B", 4800.00, 2, 2), (2000, "C", "B", 4800.00, 1, 2)])
    assert rows(st) == ADDS + [(1000, "CANCEL", 1, 19200, 2, 2), (2000, "DELETE", 1, 19200, 1, 2)]
    assert counts(st) == {}


def test_a_cancel_row_of_more_than_rests_is_an_error(tmp_path):
    src = converted(tmp_path / "x.npz", BOOK + [(1000, "C", "B", 4800.00, 4, 2)])
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([src], tmp_path / "s", format="hftbacktest", tick_size=0.25, lot_size=1)
    assert str(exc.value) == f"{src}: record 5: order 2 has 3 lots left; the row cancels 4"
    assert not (tmp_path / "s").exists()


# --- A modify of an order the book does not have -----------------------------------------------------------------------

def test_a_modify_of_an_unknown_order_adds_it(tmp_path):
    """An M of order 7, never added, with a side: a new order (the Databento loader's
    ``modify_of_unknown_order_as_add``). Before: an error (unknown order id 7)."""
    st = convert(tmp_path, BOOK + [(1000, "M", "A", 4800.50, 2, 7)])
    assert rows(st) == ADDS + [(1000, "ADD", -1, 19202, 2, 7)]
    assert counts(st) == {"modify_of_unknown_order_as_add": 1}


def test_a_modify_of_an_unknown_order_without_a_side_is_an_error(tmp_path):
    src = converted(tmp_path / "x.npz", BOOK + [(1000, "M", "N", 4800.50, 2, 7)])
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([src], tmp_path / "s", format="hftbacktest", tick_size=0.25, lot_size=1)
    assert str(exc.value) == f"{src}: record 5: modify of unknown order id 7 without a side"


# --- The rules are those of the converter's files: others are read row by row ------------------------------------------

def test_rows_without_databento_flags_are_read_as_written(tmp_path):
    """The same full fill and cancel with ``ival`` 0 (mmsim's export, another writer): each row as written, the
    TRADE row a TRADE, the FILL an EXECUTE, and a cancel of an order no longer resting an error naming the record;
    no Databento counts in the quirks."""
    recs = BOOK + [(1000, "T", "A", 4800.00, 2, 0), (1000, "F", "B", 4800.00, 2, 1)]
    st = convert(tmp_path, recs, flags=False)
    assert rows(st) == ADDS + [(1000, "TRADE", -1, 19200, 2, 0), (1000, "EXECUTE", 1, 19200, 2, 1)]
    assert not set(DATABENTO_QUIRKS) & set(st.meta["quirks"])
    src = converted(tmp_path / "y.npz", recs + [(1000, "C", "B", 4800.00, 2, 1)], flags=False)
    with pytest.raises(mmsim.DataError) as exc:
        mmsim.data.convert([src], tmp_path / "t", format="hftbacktest", tick_size=0.25, lot_size=1)
    assert str(exc.value) == f"{src}: record 7: unknown order id 1"


# --- The ESH4 sample: hftbacktest's conversion against mmsim's ---------------------------------------------------------

def test_esh4_through_hftbacktests_converter_imports_as_the_databento_store(tmp_path):
    """(a) ``mmsim convert --format databento`` of the DBN file, (b) hftbacktest's Databento converter, then
    ``mmsim convert --format hftbacktest`` of its ``.npz``. hftbacktest writes each record as one row in the file's
    order (checked: order ids row by row) with its time rounded to the microsecond (``Timestamp.timestamp()``, a
    float); so the Databento store's times are compared through that rounding, record by record, and two records
    within one microsecond are one exchange time of the import. After the snapshot (hftbacktest keeps the snapshot's
    rows at their ``ts_event``; the Databento loader at its ``ts_recv``) the two stores have the same best bid and
    ask and their sizes at the end of every exchange time of the import, the same TRADEs (time, side, price, size),
    the same order events, the same opening (``TRADING``) and the same Databento counts."""
    dbn = shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    exe = _hbt_python()
    if exe is None or not Path(exe).exists():
        pytest.skip("hftbacktest not available: set MMSIM_HFTBACKTEST_PYTHON to a python with hftbacktest 2.x")
    if subprocess.run([exe, "-c", "import hftbacktest.data.utils.databento"], capture_output=True).returncode:
        pytest.skip(f"{exe} cannot import hftbacktest's Databento converter")
    npz = tmp_path / "esh4_hbt.npz"
    code = ("import sys, numpy as np; from hftbacktest.data.utils.databento import convert; "
            "np.savez_compressed(sys.argv[2], data=convert(sys.argv[1], symbol=None))")
    subprocess.run([exe, "-c", code, str(dbn), str(npz)], check=True, capture_output=True)
    for fmt, src, out in (("databento", dbn, "a"), ("hftbacktest", npz, "b")):
        subprocess.run([sys.executable, "-m", "mmsim", "convert", str(src), "-o", str(tmp_path / out), "--format", fmt],
                       check=True, capture_output=True)
    a, b = mmsim.data.load(tmp_path / "a"), mmsim.data.load(tmp_path / "b")

    from mmsim.data.databento import records
    recs = list(records(dbn))
    data = np.load(npz)["data"]
    assert (data["order_id"] == np.array([r[6] for r in recs], np.uint64)).all()  # one row per record, in order
    snap = np.array([r[7] & 32 != 0 for r in recs])  # F_SNAPSHOT
    ts_event = np.array([r[1] for r in recs])
    rounded = dict(zip(ts_event[~snap].tolist(), data["exch_ts"][~snap].tolist()))  # each record's time in (b)
    start = int(ts_event[~snap].min())  # the first record after the snapshot

    def after_snapshot(st, clock):
        ev = np.asarray(st.events)
        i = int(np.flatnonzero(ev["exch_ts"] >= start if clock else ev["exch_ts"] >= rounded[start])[0])
        t = np.array([rounded[x] for x in ev["exch_ts"][i:].tolist()]) if clock else ev["exch_ts"][i:]
        ends = np.flatnonzero(np.r_[t[1:] != t[:-1], True])  # the last event of each exchange time
        bbo = mmsim.replay_bbo(ev)
        return ev[i:], t, t[ends], {k: v[i:][ends] for k, v in bbo.items()}

    ea, ta, ends_a, bbo_a = after_snapshot(a, True)
    eb, tb, ends_b, bbo_b = after_snapshot(b, False)
    assert len(ends_b) == len(set(rounded.values())) and (ends_a == ends_b).all()
    assert len(set(rounded)) > len(ends_b)  # records within one microsecond: one exchange time of the import
    for k in ("best_bid", "best_ask", "bid_qty", "ask_qty"):
        assert (bbo_a[k] == bbo_b[k]).all(), k

    def events(ev, t, kinds):
        m = np.isin(ev["kind"], kinds)
        return list(zip(t[m].tolist(), ev["kind"][m].tolist(), ev["side"][m].tolist(), ev["price"][m].tolist(),
                        ev["qty"][m].tolist(), ev["order_id"][m].tolist()))

    trades = events(ea, ta, [Kind.TRADE])
    assert trades == events(eb, tb, [Kind.TRADE])
    assert len(trades) == a.meta["quirks"]["iceberg_fills_beyond_shown_size"]  # the hidden lots of icebergs
    book = [Kind.ADD, Kind.CANCEL, Kind.DELETE, Kind.EXECUTE, Kind.STATUS]
    assert events(ea, ta, book) == events(eb, tb, book)
    assert {k: b.meta["quirks"][k] for k in DATABENTO_QUIRKS} == {k: a.meta["quirks"][k] for k in DATABENTO_QUIRKS}
    # The pre-open: QUOTING from the import's first row (the snapshot's ts_event: no R record, so hftbacktest keeps
    # it) where the Databento store has it from the snapshot's ts_recv; TRADING at the same open. Its crossed
    # messages are the Databento store's less the pre-open's records that share a microsecond (each a crossed one).
    qa, qb = a.meta["quirks"], b.meta["quirks"]
    opened = qa["preopen_spans_ns"][0][1]
    assert qb["preopen_spans_ns"] == [[int(data["exch_ts"][0]), opened]]
    pre = ~snap & (ts_event < opened)
    merged = len(np.unique(ts_event[pre])) - len(np.unique(data["exch_ts"][pre]))
    assert merged > 0 and qa["preopen_crossed_messages"] - qb["preopen_crossed_messages"] == merged
