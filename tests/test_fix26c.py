"""breaker26's findings on a fresh clone (fix26c).

A. ``--tick-size`` / ``--lot-size`` inside the store's bounds (1e-12 to 1e12) but finer than the decimals a loader
   reads, or off that grid, are refused up front naming the flag (the keyword on the Python path), the value and
   the loader's limit (docs/data.md, "Formats"); an ``.npz`` whose ``mmsim_meta`` says another tick says that first.
B. Values quoted as the file wrote them (``seed: 1e400`` said ``got inf``), and ``decimal.Decimal`` read as a real
   number as ``fractions.Fraction`` is (docs/config.md).
C. The hftbacktest import quotes a record's float price only when it is exactly the price, else ticks x tick with
   the tick's decimals (``8.00``, not ``8.000000000000002``; docs/data.md, "Prints through the book").
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from test_hftbacktest_preopen import ADD, BUY, SELL, TRADE, npz

import mmsim
from mmsim.cli import main
from mmsim.data import converter
from mmsim.data import hftbacktest as hbt
from mmsim.events import Kind

DEPTH = hbt.DEPTH_EVENT

TARDIS_BOOK = """exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
ex,XUSDT,1700000000000000,1700000000000100,true,bid,10.0,1
ex,XUSDT,1700000000000000,1700000000000100,true,ask,10.5,1
ex,XUSDT,1700000000001000,1700000000001100,false,bid,10.0,2
"""
DATABENTO = """ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,channel_id
1703541600000000150,1703541600000000100,0,1,7,ESH4,A,B,4800.00,2,11,130,0
1703541600000000250,1703541600000000200,0,2,7,ESH4,A,A,4800.25,1,12,130,0
"""
BINANCE = ('1700000000001000000 {"lastUpdateId": 100, "E": 1700000000000, "T": 1700000000000, '
           '"bids": [["61800.0", "1.000"]], "asks": [["61800.1", "1.500"]]}\n')
LOBSTER = "34200.0,1,11,100,5850000,1\n"


def _inputs(tmp_path: Path) -> dict[str, list[Path]]:
    (tmp_path / "book.csv").write_text(TARDIS_BOOK)
    (tmp_path / "db.csv").write_text(DATABENTO)
    (tmp_path / "cap.txt").write_text(BINANCE)
    lob = tmp_path / "AAPL_2012-06-21_34200000_57600000_message_1.csv"
    lob.write_text(LOBSTER)
    (tmp_path / "AAPL_2012-06-21_34200000_57600000_orderbook_1.csv").write_text("5850100,100,5850000,100\n")
    raw = npz(tmp_path / "raw.npz", [(0, DEPTH, BUY, 10.0, 1, 0), (0, DEPTH, SELL, 10.01, 1, 0)])
    return {"tardis": [tmp_path / "book.csv"], "databento": [tmp_path / "db.csv"], "binance": [tmp_path / "cap.txt"],
            "hftbacktest": [raw], "lobster": [lob]}


# (format, key, value as the command line writes it, the message after the key): each loader's finest step is
# 10**-decimals it parses to: tardis and databento prices 9, binance and hftbacktest 8, lobster prices 4;
# databento and lobster sizes whole contracts / shares.
FINER = [
    ("tardis", "tick_size", "1e-12", "is finer than the tardis loader reads (prices to 9 decimals: 1e-9 and its "
                                     "multiples), got {}"),
    ("tardis", "tick_size", "1e-10", "is finer than the tardis loader reads (prices to 9 decimals: 1e-9 and its "
                                     "multiples), got {}"),
    ("tardis", "lot_size", "1e-12", "is finer than the tardis loader reads (amounts to 9 decimals: 1e-9 and its "
                                    "multiples), got {}"),
    ("tardis", "tick_size", "1.5e-9", "is not a multiple of 1e-9, the finest the tardis loader reads (prices to 9 "
                                      "decimals), got {}"),
    ("databento", "tick_size", "1e-12", "is finer than the databento loader reads (prices to 9 decimals: 1e-9 and "
                                        "its multiples), got {}"),
    ("databento", "lot_size", "0.5", "is finer than the databento loader reads (sizes in whole contracts: 1 and its "
                                     "multiples), got {}"),
    ("binance", "tick_size", "1e-12", "is finer than the binance loader reads (prices to 8 decimals: 1e-8 and its "
                                      "multiples), got {}"),
    ("binance", "lot_size", "0.000000015", "is not a multiple of 1e-8, the finest the binance loader reads (sizes to "
                                           "8 decimals), got {}"),
    ("hftbacktest", "tick_size", "1e-12", "is finer than the hftbacktest loader reads (prices to 8 decimals: 1e-8 "
                                          "and its multiples), got {}"),
    ("hftbacktest", "lot_size", "1e-9", "is finer than the hftbacktest loader reads (sizes to 8 decimals: 1e-8 and "
                                        "its multiples), got {}"),
    ("lobster", "tick_size", "0.00001", "is finer than the lobster loader reads (prices in $0.0001, 4 decimals: "
                                        "1e-4 and its multiples), got {}"),
    ("lobster", "lot_size", "2.5", "is not a multiple of 1, the finest the lobster loader reads (sizes in whole "
                                   "shares), got {}"),
]


@pytest.mark.parametrize(("fmt", "key", "text", "why"), FINER, ids=lambda v: str(v)[:12])
def test_a_flag_finer_than_the_loader_reads_is_named_on_the_command_line(tmp_path, capsys, fmt, key, text, why):
    src = _inputs(tmp_path)[fmt]
    flag = "--" + key.replace("_", "-")
    code = main(["convert", *map(str, src), "-o", str(tmp_path / "st"), "--format", fmt, f"{flag}={text}"])
    assert (code, capsys.readouterr().err) == (2, f"mmsim: config error: {flag} {why.format(repr(text))}\n")
    assert not (tmp_path / "st").exists()


@pytest.mark.parametrize(("fmt", "key", "text", "why"), FINER, ids=lambda v: str(v)[:12])
def test_a_keyword_finer_than_the_loader_reads_is_named_on_the_python_path(tmp_path, fmt, key, text, why):
    src = _inputs(tmp_path)[fmt]
    value = float(text)
    msg = f"{key} {why.format(repr(value))}"
    with pytest.raises(mmsim.ConfigError, match=f"^{re.escape(msg)}$"):
        converter(fmt)(src, tmp_path / "st", **{key: value})
    with pytest.raises(mmsim.ConfigError, match=f"^{re.escape(msg)}$"):  # mmsim.data.convert says the same
        mmsim.data.convert(src, tmp_path / "st", format=fmt, **{key: value})


def test_a_keyword_outside_the_stores_bounds_is_refused_by_the_converter_too(tmp_path):
    # converter(fmt) is the loader itself: it read 1e-300 as "size 1e-300 cannot be written with 9 decimals"
    with pytest.raises(mmsim.ConfigError, match=re.escape(
            "tick_size must be a positive number from 1e-12 to 1e12, got 1e-300")):
        converter("tardis")(_inputs(tmp_path)["tardis"], tmp_path / "st", tick_size=1e-300)


@pytest.mark.parametrize("text", ["1e-12", "1e12"])
def test_the_npz_meta_conflict_is_said_before_the_grid(tmp_path, capsys, text):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 10.0, 1, 0), (0, DEPTH, SELL, 10.01, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(json.dumps({"tick_size": 0.01})))
    code = main(["convert", str(f), "-o", str(tmp_path / "st"), "--format", "hftbacktest", f"--tick-size={text}"])
    assert (code, capsys.readouterr().err) == (1, (
        f"mmsim: error: {f}: tick_size {float(text)!r} given (--tick-size), but the file says its prices are in ticks "
        "of 0.01 (its mmsim_meta, written by mmsim's export): leave --tick-size out\n"))


def test_a_flag_on_the_grid_is_taken(tmp_path):
    st = converter("tardis")(_inputs(tmp_path)["tardis"], tmp_path / "st", tick_size=1e-9, lot_size=1e-9)
    # 10.0, 10.5 and 10.0 in ticks of 1e-9, 1, 1 and 2 in lots of 1e-9: hand-computed
    depth = st.events[st.events["kind"] == int(Kind.DEPTH)]
    assert (depth["price"].tolist(), depth["qty"].tolist()) == (
        [10_000_000_000, 10_500_000_000, 10_000_000_000], [1_000_000_000, 1_000_000_000, 2_000_000_000])
    assert st.meta["tick_size"] == 1e-9


# -- B: values quoted as written ---------------------------------------------------------------------------


def test_a_synth_seed_of_1e400_is_quoted_as_written(tmp_path, capsys):
    cfg = tmp_path / "sy.yaml"
    cfg.write_text("seed: 1e400\n")
    assert main(["synth", str(cfg), "-o", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"mmsim: config error: synth config key 'seed': expected an integer, got '1e400' ({cfg} line 1)\n")


@pytest.mark.parametrize(("yaml", "msg"), [
    ("report: {event_horizons: [10, 1e400]}", "report.event_horizons[1]: expected a positive number of market "
                                              "events (an integer, or '<k>ev'), got '1e400' ({} line 4)"),
    ("strategy: {path: join_best, params: {size: 1000000000000000000000000000000}}",
     "strategy JoinBest: parameter 'size' must be a whole number of at most 2^53 - 1, got "
     "1000000000000000000000000000000 ({} line 3)"),  # digits echoed unquoted, as `got 0` (lead, 23)
], ids=["event_horizons", "size"])
def test_a_run_config_value_is_quoted_as_written(tmp_path, capsys, store, yaml, msg):
    cfg = tmp_path / "run.yaml"
    strategy = "" if yaml.startswith("strategy") else "strategy: {path: join_best, params: {size: 1}}\n"
    cfg.write_text(f"data: {store}\n{strategy}signals: {{enabled: false}}\n{yaml}\n")
    assert main(["run", str(cfg), "-o", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {msg.format(cfg)}\n"


@pytest.mark.parametrize("value", [Decimal("0.01"), Fraction(1, 100)], ids=repr)
def test_a_decimal_is_a_real_number_as_a_fraction(value):
    assert mmsim.Config(tick_size=value).tick_size == 0.01


@pytest.mark.parametrize(("value", "shown"), [(Decimal("1e400"), "Decimal('1E+400')"),
                                              (Decimal("sNaN"), "Decimal('sNaN')"),
                                              (Fraction(1, 10**30), "Fraction(1, 1000000000000000000000000000000)")],
                         ids=str)
def test_a_decimal_or_fraction_out_of_range_is_quoted_as_given(value, shown):
    with pytest.raises(mmsim.ConfigError, match=re.escape(
            f"tick_size must be a positive number from 1e-12 to 1e12, got {shown}")):
        mmsim.Config(tick_size=value)


def test_a_decimal_is_a_whole_number_for_an_integer_key():
    assert mmsim.Config(max_orders=Decimal("8")).max_orders == 8


# -- C: the hftbacktest import's price quote -------------------------------------------------------------


@pytest.mark.parametrize(("tick", "px", "quoted"), [
    (0.01, 8.000000000000002, "8.00"),  # breaker26's np_noise.npz: a float step over 800 ticks of 0.01
    (0.1, 3 * 0.1, "0.3"),  # 0.30000000000000004
    (0.01, 8.0, "8.0"),  # the float is exactly the price: as stored
])
def test_the_npz_print_through_quotes_ticks_times_tick_where_the_float_is_not_exactly_it(tmp_path, tick, px, quoted):
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 1000 * tick, 5, 0), (0, DEPTH, SELL, 1001 * tick, 5, 0),
                                 (1000, TRADE, SELL, px, 1, 0)])
    st = hbt.convert([f], tmp_path / "st", tick_size=tick, lot_size=1)
    q = st.meta["quirks"]["prints_through_book"]
    assert (q["price"], q["at"]) == (quoted, "a.npz: record 3")


def test_an_l3_message_quotes_the_record_price_as_ticks_times_tick(tmp_path):
    # an order added at 800 ticks of 0.01 stored a float step over (8.000000000000002) where a depth row set a
    # level: the message said "at price 8" (the float's :g, 6 digits); the record's price is 8.00
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 8.0, 5, 0), (0, ADD, BUY, 8.000000000000002, 1, 7)])
    with pytest.raises(mmsim.DataError, match=re.escape(
            f"{f}: record 2: order 7 added at price 8.00 on the bid side, where a depth row set an L2 level")):
        hbt.convert([f], tmp_path / "st", tick_size=0.01, lot_size=1)


# -- A, the other side: a flag on the loader's grid that puts a price beyond the ticks a store holds -----------


def test_a_tardis_price_beyond_the_ticks_of_a_given_tick_names_the_flag(tmp_path):
    book = tmp_path / "book.csv"
    book.write_text(TARDIS_BOOK.replace("10.5", "10000000000.5"))
    # 10000000000.5 / 1e-9 = 1.00000000005e19 ticks, beyond 2**53 - 1 (the tick inferred, 0.5, holds it)
    with pytest.raises(mmsim.DataError, match="^" + re.escape(
            f"{book}: line 3: price 10000000000.5 is beyond the largest accepted, 2**53 - 1 ticks of 1e-09; check the "
            "tick size given (--tick-size) or the price unit") + "$"):
        converter("tardis")([book], tmp_path / "st", tick_size=1e-9)


def test_an_npz_price_beyond_the_ticks_of_a_given_tick_names_the_flag(tmp_path):
    # 123456789.5 / 1e-8 = 1.234567895e16 ticks, beyond 2**53 - 1 (9.007e15); it said "price 1.23457e+08 is beyond
    # 9007199254740991 (2**53 - 1) ticks", the float's 6 digits and neither the tick nor the flag
    f = npz(tmp_path / "a.npz", [(0, DEPTH, BUY, 123456789.5, 1, 0)])
    with pytest.raises(mmsim.DataError, match="^" + re.escape(
            f"{f}: record 1: price 123456789.5 is beyond the largest accepted, 2**53 - 1 ticks of 1e-08; check the "
            "tick size given (--tick-size) or the price unit") + "$"):
        hbt.convert([f], tmp_path / "st", tick_size=1e-8, lot_size=1)
