"""fix36b (breaker36 F4): a Binance capture's trades are held to its market as its diffs and snapshots are (fix34e).
A spot trade carries ``M`` and no ``X``; a USD-M futures trade carries ``X`` (its order type) and no ``M``. A USD-M
print in a spot capture was written to the store (exit 0): it could fill a spot order and set the recorder-clock
shift. Now a trade of the other market is refused naming its line and the line that told the capture's market; a
trade that tells the market first sets it, and a trade with neither field tells nothing."""

from __future__ import annotations

import pytest

from test_fix30a_binance import SPOT_SNAP, T0, USDM_SNAP, capture, spot, trade, usdm

from mmsim import DataError, Kind
from mmsim.data import binance as bn

TAIL = ("; one capture is one market's stream (spot and USD-M futures are two markets, with two sequence rules): "
        "convert each to its own store")


def _trade(t: int, k: int, **kw) -> dict:
    m = trade(t, k)
    m["data"].update(kw)
    return m


def _usdm_trade(t: int, k: int) -> dict:  # as the shared USD-M capture's: X, no M; sizes to 3 decimals
    return _trade(t, k, X="MARKET", q="1.000")


def _spot_trade(t: int, k: int) -> dict:  # as the shared spot capture's: M, no X
    return _trade(t, k, M=True)


def _error(tmp_path, msgs, *more) -> str:
    paths = [capture(tmp_path, msgs)]
    for i, m in enumerate(more):
        (tmp_path / str(i)).mkdir()
        paths.append(capture(tmp_path / str(i), m))
    with pytest.raises(DataError) as e:
        bn.convert(paths, tmp_path / "s", tick_size=0.01)
    return str(e.value).replace(str(tmp_path) + "/", "")


def test_a_usdm_trade_in_a_spot_capture_is_refused_naming_both_lines(tmp_path):
    # breaker36 F4: spot (line 1 a snapshot without T, diffs without pu or T, a spot trade with M at line 3), then a
    # USD-M print (X, no M) at line 5: it was written as a TRADE of the spot book.
    msgs = [SPOT_SNAP, spot(101, 101, 1), _spot_trade(1, 2), spot(102, 102, 3), _usdm_trade(2, 4)]
    assert _error(tmp_path, msgs) == (
        "cap.gz: line 5: a USD-M futures trade with X, in a capture of the spot market (line 1: a snapshot without "
        "T)" + TAIL)


def test_a_spot_trade_in_a_usdm_capture_is_refused_naming_both_lines(tmp_path):
    # The reverse: USD-M told by its first diff (line 1, before the snapshot); a spot print (M, no X) at line 4.
    msgs = [usdm(95, 101, 94, 0), USDM_SNAP, usdm(102, 102, 101, 2), _spot_trade(1, 3)]
    assert _error(tmp_path, msgs) == (
        "cap.gz: line 4: a spot trade with M, in a capture of the USD-M futures market (line 1: a depthUpdate with "
        "pu and T)" + TAIL)


def test_a_trade_that_tells_the_market_first_sets_it(tmp_path):
    # A USD-M print at line 1, before any depth line: the capture is USD-M from there, and its spot snapshot at line
    # 2 is refused naming the trade (the trade was held for the snapshot and never told).
    assert _error(tmp_path, [_usdm_trade(1, 0), SPOT_SNAP, spot(101, 101, 1)]) == (
        "cap.gz: line 2: a spot snapshot without T, in a capture of the USD-M futures market (line 1: a trade with "
        "X)" + TAIL)
    # Across captures: a spot capture, then one whose first line telling its market is a USD-M print (line 1).
    (tmp_path / "x").mkdir()
    assert _error(tmp_path / "x", [SPOT_SNAP, spot(101, 101, 1)],
                  [_usdm_trade(1, 2), USDM_SNAP | {"lastUpdateId": 200}, usdm(195, 201, 194, 3)]) == (
        "0/cap.gz: line 1: a binance-usdm capture after a binance-spot one (cap.gz: line 1); one store holds one "
        "market (spot and USD-M futures books of one symbol are two markets): convert each to its own store")


def test_a_trade_with_both_market_fields_is_malformed_and_one_with_neither_tells_nothing(tmp_path):
    msgs = [SPOT_SNAP, spot(101, 101, 1), _trade(1, 2, M=True, X="MARKET")]
    assert _error(tmp_path, msgs) == (
        "cap.gz: line 3: malformed trade: it carries both X (a USD-M futures trade's order type) and M (a spot "
        "trade's field); a trade is one market's")
    # Neither (as hand-made captures write them): read in either market, as before.
    for name, msgs in (("s", [SPOT_SNAP, spot(101, 101, 1), trade(1, 2), _spot_trade(2, 3)]),
                       ("u", [USDM_SNAP, usdm(95, 101, 94, 1), trade(1, 2), _usdm_trade(2, 3)])):
        (tmp_path / name).mkdir()
        st = bn.convert([capture(tmp_path / name, msgs)], tmp_path / name / "s", tick_size=0.01)
        ev = st.events
        trades = ev[ev["kind"] == int(Kind.TRADE)]
        assert list(trades["exch_ts"]) == [(T0 + 2) * 1_000_000, (T0 + 3) * 1_000_000]
        assert st.meta["venue"] == {"s": "binance-spot", "u": "binance-usdm"}[name]
