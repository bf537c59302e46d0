"""implfix17: the second cases of breaker17d's trade-implied findings (tests/test_breaker17d.py holds the first).

- a store whose ``meta.json`` ``quirks.trade_implied_book`` is not the four non-negative integer counts is refused
  where it is loaded (and where a store is written), naming the file and key, by the ``.npz`` import's own rule;
- ``mmsim run`` of such a store is one line, exit 1, nothing written (a count that is a list made the report's
  ``f'{x:,}'`` end in a TypeError traceback);
- trade-implied days exported one file each import as one stream, their counts summed; a plain file among them is
  still refused.
"""

from __future__ import annotations

import re

import pytest

import mmsim
from mmsim.data import hftbacktest as h
from mmsim.data import trade_implied
from mmsim.data.store import write_store
from mmsim.errors import DataError
from test_breaker17d import _RULE, _store_with_implied
from test_compare_digest import META, l2_events
from test_newcomer17 import META as M17
from test_newcomer17 import l2_with_prints


@pytest.mark.parametrize("value", [
    {"prints": 1, "hidden": 0, "reduced": 1, "restored": 1, "shown": 2},  # a fifth key
    {"prints": 1, "hidden": 0, "reduced": 1},  # restored missing
    {"prints": True, "hidden": 0, "reduced": 1, "restored": 1},  # true is not a count
    {"prints": 1, "hidden": -1, "reduced": 1, "restored": 1},  # negative
    {"prints": 1, "hidden": 0, "reduced": 1.0, "restored": 1},  # a float
    [1, 0, 1, 1],  # the counts without their names
])
def test_a_malformed_trade_implied_book_is_refused_at_load_naming_file_and_key(tmp_path, value):
    p = _store_with_implied(tmp_path, value)
    with pytest.raises(DataError) as exc:
        mmsim.load(tmp_path / "s")
    assert str(exc.value) == f"{p}: key 'quirks.trade_implied_book' is {value!r}, {_RULE}"


def test_a_store_is_not_written_with_a_malformed_trade_implied_book(tmp_path):
    """The writer checks ``meta.json`` by the same ``check_meta``: a store ``mmsim.load`` refuses is not written."""
    meta = dict(META, quirks={"trade_implied_book": {"prints": "60"}})
    with pytest.raises(DataError) as exc:
        write_store(tmp_path / "s", l2_events(), meta)
    assert str(exc.value) == (f"{tmp_path / 's' / 'meta.json'}: key 'quirks.trade_implied_book' is "
                              f"{{'prints': '60'}}, {_RULE}")
    assert not (tmp_path / "s").exists()


def test_a_well_formed_trade_implied_book_still_loads(tmp_path):
    counts = {"prints": 3, "hidden": 1, "reduced": 2, "restored": 0}
    _store_with_implied(tmp_path, counts)
    assert mmsim.load(tmp_path / "s").meta["quirks"]["trade_implied_book"] == counts


def _implied_days(tmp_path, sizes):
    """One trade-implied store per day (``l2_with_prints(n)`` shifted by a day each), each exported whole."""
    day = 86_400 * 10**9
    out = []
    for k, n in enumerate(sizes):
        ev = l2_with_prints(n)
        ev["exch_ts"] += k * day
        ev["local_ts"] += k * day
        write_store(tmp_path / f"d{k}", ev, dict(M17))
        st = trade_implied(tmp_path / f"d{k}", tmp_path / f"i{k}")
        h.export(st, tmp_path / f"f{k}.npz")
        out.append((st, tmp_path / f"f{k}.npz"))
    return out


def test_three_trade_implied_days_import_as_one_stream_their_counts_summed(tmp_path):
    """``l2_with_prints(n)``: n/2 prints, each reducing a level of 4 to 7 lots by 2 (hidden 0, reduced n/2), each set
    back a second later but the last (restored n/2 - 1). Days of 120, 60 and 40 seconds: 60 + 30 + 20 = 110 prints
    and reduced, 59 + 29 + 19 = 107 restored."""
    days = _implied_days(tmp_path, (120, 60, 40))
    assert [st.meta["quirks"]["trade_implied_book"]["restored"] for st, _ in days] == [59, 29, 19]
    both = h.convert([f for _, f in days], tmp_path / "all")
    assert both.meta["quirks"]["trade_implied_book"] == {"prints": 110, "hidden": 0, "reduced": 110,
                                                         "restored": 107}
    assert len(both.events) == sum(len(st.events) for st, _ in days)
    assert mmsim.load(tmp_path / "all").meta["quirks"]["trade_implied_book"]["restored"] == 107


def test_trade_implied_days_with_a_plain_day_among_them_are_still_refused(tmp_path):
    (_, a), (_, b) = _implied_days(tmp_path, (120, 60))
    day = 86_400 * 10**9
    ev = l2_with_prints(40)
    ev["exch_ts"] += 2 * day
    ev["local_ts"] += 2 * day
    h.export(write_store(tmp_path / "p", ev, dict(M17)), tmp_path / "plain.npz")
    plain = tmp_path / "plain.npz"
    with pytest.raises(DataError, match=re.escape(
            f"{a}: its mmsim_meta says its book is trade-implied (trade_implied_book), {plain}'s does not: "
            "files of one stream are one store's export") + "$"):
        h.convert([a, b, plain], tmp_path / "all")
    assert not (tmp_path / "all").exists()
