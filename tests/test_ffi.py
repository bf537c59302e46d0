"""The records shared across the language boundaries have one layout: numpy dtypes, C++ structs, Rust ABI."""

from __future__ import annotations

import numpy as np
import pytest

import mmsim
from mmsim import _engine
from mmsim.records import (
    DECISION_DTYPE,
    EXPLICIT_MAX,
    FILL_DTYPE,
    LADDER_MAX,
    ORDER_LOG_DTYPE,
    QUOTE_DTYPE,
    SAMPLE_DTYPE,
    SIGNAL_NAMES,
    VIEW_DTYPE,
)


@pytest.mark.parametrize(
    "dtype, size, offsets",
    [
        (mmsim.EVENT_DTYPE, _engine.EVENT_SIZE, _engine.EVENT_OFFSETS),
        (VIEW_DTYPE, _engine.VIEW_SIZE, _engine.VIEW_OFFSETS),
        (FILL_DTYPE, _engine.FILL_SIZE, _engine.FILL_OFFSETS),
        (ORDER_LOG_DTYPE, _engine.ORDER_LOG_SIZE, _engine.ORDER_LOG_OFFSETS),
        (SAMPLE_DTYPE, _engine.SAMPLE_SIZE, _engine.SAMPLE_OFFSETS),
        (QUOTE_DTYPE, _engine.QUOTE_SIZE, _engine.QUOTE_OFFSETS),
        (DECISION_DTYPE, _engine.DECISION_SIZE, _engine.DECISION_OFFSETS),
    ],
    ids=["event", "view", "fill", "order-log", "sample", "quote", "decision"],
)
def test_numpy_dtype_matches_cpp_struct(dtype, size, offsets):
    assert dtype.itemsize == size
    for name, off in offsets.items():
        if name != "signals":
            assert dtype.fields[name][1] == off, name
    # Every C++ field is in the dtype (signals are one array in C++, named fields here).
    named = set(dtype.names) - set(SIGNAL_NAMES)
    assert named == set(offsets) - {"signals"}


def test_decision_and_order_log_layouts_are_the_documented_ones():
    """The decision log's row and the order log's decision column, byte by byte (docs/engine.md)."""
    assert DECISION_DTYPE.itemsize == 56
    assert [(n, DECISION_DTYPE.fields[n][1], DECISION_DTYPE.fields[n][0].str) for n in DECISION_DTYPE.names] == [
        ("local_ts", 0, "<i8"), ("event_exch_ts", 8, "<i8"), ("event_local_ts", 16, "<i8"),
        ("event_index", 24, "<i8"), ("best_bid", 32, "<i8"), ("best_ask", 40, "<i8"), ("reason", 48, "<i8")]
    # The column came last (after the ladders' tag), so every older field keeps its offset.
    assert ORDER_LOG_DTYPE.itemsize == 72 and ORDER_LOG_DTYPE.fields["decision"][1] == 64
    assert ORDER_LOG_DTYPE.names[-1] == "decision" and ORDER_LOG_DTYPE.fields["reason"][1] == 50


def test_view_signal_fields_follow_the_rust_slot_order():
    assert tuple(_engine.SIGNAL_NAMES) == SIGNAL_NAMES
    base = _engine.VIEW_OFFSETS["signals"]
    for k, name in enumerate(SIGNAL_NAMES):
        assert VIEW_DTYPE.fields[name][1] == base + 8 * k


def test_quote_and_signal_params_sizes():
    # 4 scalars, 3 counts, 5 x 4 explicit-order fields, 4 x 16 ladder entries; 8 bytes each.
    assert QUOTE_DTYPE.itemsize == _engine.QUOTE_SIZE == 8 * (4 + 3 + 5 * 4 + 4 * 16) == 728
    assert _engine.SIGNAL_PARAMS_SIZE == 80


def test_record_sizes_with_ladder_fields():
    # order_type and level sit in what was padding; tag is a new int64 after them (and the
    # order log's decision column after that); the fill's two queue position figures follow
    # tag (96 -> 112 bytes).
    assert FILL_DTYPE.itemsize == _engine.FILL_SIZE == 112
    assert FILL_DTYPE.fields["queue_ahead_at_entry"][1] == 96 and FILL_DTYPE.fields["level_qty_at_fill"][1] == 104
    assert ORDER_LOG_DTYPE.itemsize == _engine.ORDER_LOG_SIZE == 72
    assert FILL_DTYPE.fields["order_type"][1] == 83 and FILL_DTYPE.fields["level"][1] == 84
    assert FILL_DTYPE.fields["tag"][1] == 88 and ORDER_LOG_DTYPE.fields["tag"][1] == 56


def test_ladder_and_order_arrays_have_the_engines_bounds():
    assert (LADDER_MAX, EXPLICIT_MAX) == (_engine.LADDER_MAX, _engine.EXPLICIT_MAX) == (16, 4)
    for name in ("bid_ladder_px", "bid_ladder_qty", "bid_ladder_leaves", "bid_ladder_state",
                 "ask_ladder_px", "ask_ladder_qty", "ask_ladder_leaves", "ask_ladder_state"):
        assert VIEW_DTYPE.fields[name][0].shape == (LADDER_MAX,), name
    for name in ("bid_ladder_px", "bid_ladder_qty", "ask_ladder_px", "ask_ladder_qty"):
        assert QUOTE_DTYPE.fields[name][0].shape == (LADDER_MAX,), name
    for name in ("order_type", "order_side", "order_px", "order_qty", "order_tag"):
        assert QUOTE_DTYPE.fields[name][0].shape == (EXPLICIT_MAX,), name
    # The config's bound is the engine's.
    with pytest.raises(mmsim.ConfigError, match="ladder_levels"):
        mmsim.Config(ladder_levels=LADDER_MAX + 1)
    assert mmsim.Config(ladder_levels=LADDER_MAX).ladder_levels == LADDER_MAX


def test_kind_enum_matches_the_engine():
    # An event of each kind applies (or fails for its own reason), never "unknown kind".
    for kind in mmsim.Kind:
        ev = np.zeros(1, dtype=mmsim.EVENT_DTYPE)
        ev["kind"] = int(kind)
        ev["side"] = 1
        ev["qty"] = 1
        try:
            mmsim.replay_bbo(ev)
        except mmsim.DataError as e:
            assert "unknown event kind" not in str(e)


@pytest.mark.parametrize(
    "py_enum, name",
    [
        (mmsim.Kind, "Kind"),
        (mmsim.TradingStatus, "TradingStatus"),
        (mmsim.records.OrderEvent, "OrderEvent"),
        (mmsim.records.RejectReason, "RejectReason"),
        (mmsim.records.Wake, "Wake"),
        (mmsim.records.OrderState, "OrderState"),
        (mmsim.records.OrderType, "OrderType"),
    ],
    ids=["Kind", "TradingStatus", "OrderEvent", "RejectReason", "Wake", "OrderState", "OrderType"],
)
def test_python_enums_equal_the_engines(py_enum, name):
    """Each IntEnum has exactly the C++ enum's members, by name and value (one definition, in C++)."""
    assert {m.name: int(m.value) for m in py_enum} == dict(_engine.ENUMS[name])


def test_engine_error_codes_are_the_ones_mmsim_engine_reads():
    from mmsim import engine

    assert dict(_engine.ENUMS["ErrorCode"]) == {"PYTHON_ERROR": -1, "BAD_QUOTE": -2, "TOO_MANY_ORDERS": -3,
                                                 "NO_PROGRESS": -4, "BAD_ORDER": -5, "INTERRUPT": -6}
    assert engine._CODE == _engine.ENUMS["ErrorCode"]
