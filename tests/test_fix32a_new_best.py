"""fix32a (breaker31 item 2): a LOBSTER level better than the previous row's best, which the row's own message just
added, cannot have been outside the window; a row showing another size there is refused on its own line.

It was reset to the row's depth (fewer lots than the messages leave: the level cleared and re-seeded) or topped up by a
synthetic order (more lots), silently on the last row, and named by the row after it in the middle.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_fix29a_rows import AAPL, MAY, _error, _real

import mmsim
from mmsim.data import convert


def _edit(b: Path, line: int, col: int, value: str) -> None:
    rows = b.read_text().split("\n")
    f = rows[line - 1].split(",")
    f[col] = value
    rows[line - 1] = ",".join(f)
    b.write_text("\n".join(rows))


def _want(m: Path, b: Path, line: int, shown: int, side: str, px: int, left: int) -> str:
    return (f"{b}: line {line}: the orderbook row shows {shown} lots at {side} {px} ticks but the messages up to "
            f"{m.name} line {line} leave {left}; the message and orderbook files disagree")


# Message line 999 adds 18 at bid 585.35 (the previous row's best bid 585.32); message line 615 adds 6 at bid 585.53
# (previous best 585.50); message line 998 adds 100 at ask 585.71 (previous best ask 585.72). Columns: ask price,
# ask size, bid price, bid size.
@pytest.mark.parametrize(
    ("line", "col", "value", "side", "px", "left"),
    [
        (999, 3, "17", "bid", 58535, 18),  # the report's: the last row, fewer (it converted, levels reset 1 -> 2)
        (615, 3, "5", "bid", 58553, 6),  # the report's middle row: line 616 was named
        (999, 3, "19", "bid", 58535, 18),  # more lots: a synthetic order joined at a new best
        (998, 1, "101", "ask", 58571, 100),  # a new best ask, more lots: line 999 was named
        (998, 1, "99", "ask", 58571, 100),  # a new best ask, fewer
    ],
)
def test_new_best_with_another_size_is_refused_on_its_row(tmp_path, line, col, value, side, px, left):
    m, b = _real(tmp_path / "d", AAPL)
    _edit(b, line, col, value)
    note = MAY if line == 999 else ""  # the sample's last row has no newline at its end
    assert _error(m, tmp_path / "s") == _want(m, b, line, int(value), side, px, left) + note
    assert not (tmp_path / "s").exists()


def test_real_samples_unchanged(tmp_path):
    """The AAPL sample converts as before: its one reset is not at a new best."""
    m, _ = _real(tmp_path / "d", AAPL)
    convert([m], tmp_path / "s", format="lobster")
    meta = mmsim.load(tmp_path / "s").meta
    assert meta["event_count"] == 1033  # fix34l (was 1035): its reset cancels from the back, no DELETE + ADD
    assert meta["events_digest"] == "sha256:3ae8288cf51a5ba033ec3fb88bd90a10fe0525d251e3a997765c4495a920c90f"
