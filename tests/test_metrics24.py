"""A resumed sweep holds a reused record's metrics to what one run guarantees between them
(``mmsim.sweep.metric_values.metrics_problem``; lead, 24).

breaker29: on an AMZN sweep, a record edited to ``"pnl.total": 1.0`` (its spread capture, inventory and fees add up
to 48,531.27), ``"fills.count": 5`` (of 2,082 buys and 1,977 sells), a 1 s markout mean of 5.0 outside its own
interval [-2.09, -1.81], and ``"pnl.reconciled": false`` all resumed with exit 0, the table showing the edited
figures. Each relation a run keeps is checked here on a record of a real sweep (tests/test_fix28a_records.py's),
edited one figure at a time; the relations the breaker did not try (maker and taker counts and quantities, a
markout's ``n``, the PnL marked to the end mid, a share above 1) too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_fix28a_records import TAIL, _at, store, swept  # noqa: F401  (fixtures)

from mmsim.errors import MmsimError
from mmsim.sweep import RESULTS_FILE, read_results, run_sweep


def _refused(tmp_path: Path, lines: list[str], edit: Any) -> str | None:
    """The reason read_results gives for the 10ms record edited by ``edit``, None when it reads it."""
    lines = list(lines)
    i = _at(lines, "10ms")
    rec = json.loads(lines[i])
    edit(rec["metrics"])
    lines[i] = json.dumps(rec) + "\n"
    path = tmp_path / RESULTS_FILE
    path.write_text("".join(lines))
    try:
        read_results(path)
    except MmsimError as exc:
        text = str(exc)
        assert text.startswith(f"{path} line {i + 1}: ") and text.endswith(TAIL)
        return text[len(f"{path} line {i + 1}: "):-len(TAIL)]
    return None


def _metrics(swept_: tuple[Path, list[str]]) -> dict[str, Any]:
    return json.loads(swept_[1][_at(swept_[1], "10ms")])["metrics"]


def test_the_records_a_run_writes_keep_every_relation(swept):  # noqa: F811
    m = _metrics(swept)
    # What the relations below are checked on: a record with fills, PnL parts and markout intervals.
    assert m["fills.count"] > 0 and m["markout.1s.ci_low"] is not None
    assert m["pnl.total"] == m["pnl.spread_capture"] + m["pnl.inventory"] - m["pnl.fees"]
    assert m["fills.count"] == m["fills.buy_count"] + m["fills.sell_count"] == m["fills.maker_count"] + m[
        "fills.taker_count"]
    for line in swept[1]:
        from mmsim.sweep.metric_values import metrics_problem

        assert metrics_problem(json.loads(line)["metrics"]) is None


def test_breaker29s_edits_are_refused(tmp_path, swept):  # noqa: F811
    m = _metrics(swept)
    parts = m["pnl.spread_capture"] + m["pnl.inventory"] - m["pnl.fees"]
    assert _refused(tmp_path, swept[1], lambda r: r.update({"pnl.total": 1.0})) == (
        f'its metric "pnl.total" is 1.0, but its parts give {parts!r} ("pnl.spread_capture" + "pnl.inventory" - '
        '"pnl.fees", as a run computes it)')
    buy, sell = m["fills.buy_count"], m["fills.sell_count"]
    assert _refused(tmp_path, swept[1], lambda r: r.update({"fills.count": 5})) == (
        f'its metric "fills.count" is 5, but "fills.buy_count" {buy} + "fills.sell_count" {sell} is {buy + sell}: '
        "a run counts each fill once, in both")
    lo, hi = m["markout.1s.ci_low"], m["markout.1s.ci_high"]
    assert _refused(tmp_path, swept[1], lambda r: r.update({"markout.1s.mean_ticks": 5.0})) == (
        f'its metric "markout.1s.mean_ticks" is 5.0, outside its own interval [{lo!r}, {hi!r}] '
        '("markout.1s.ci_low", "markout.1s.ci_high"), which a run centres on it')
    assert _refused(tmp_path, swept[1], lambda r: r.update({"pnl.reconciled": False})) == (
        'its metric "pnl.reconciled" is false, which a run never writes (its PnL parts reconcile, or its report '
        "refuses the run)")


def test_relations_the_breaker_did_not_try_are_refused(tmp_path, swept):  # noqa: F811
    m = _metrics(swept)
    n = m["fills.count"]
    # A fill moved from maker to taker in the count only: buy + sell still adds up, maker + taker does not.
    assert _refused(tmp_path, swept[1], lambda r: r.update({"fills.taker_count": r["fills.taker_count"] + 1})) == (
        f'its metric "fills.count" is {n}, but "fills.maker_count" {m["fills.maker_count"]} + "fills.taker_count" '
        f'{m["fills.taker_count"] + 1} is {n + 1}: a run counts each fill once, in both')
    assert _refused(tmp_path, swept[1], lambda r: r.update({"fills.maker_qty": r["fills.maker_qty"] + 2})) == (
        f'its metric "fills.qty" is {m["fills.qty"]}, but "fills.maker_qty" {m["fills.maker_qty"] + 2} + '
        f'"fills.taker_qty" {m["fills.taker_qty"]} is {m["fills.qty"] + 2}: a run counts each fill once, in both')
    assert _refused(tmp_path, swept[1], lambda r: r.update({"markout.100ms.n": n + 1})) == (
        f'its metric "markout.100ms.n" is {n + 1}, more markouts than its {n} fills ("fills.count")')
    assert _refused(tmp_path, swept[1], lambda r: r.update({"pnl.mark_to_mid": r["pnl.total"] + 0.5})) == (
        f'its metric "pnl.mark_to_mid" is {m["pnl.total"] + 0.5!r}, but "pnl.total" is {m["pnl.total"]!r}: a run\'s '
        "PnL marked to the end mid is its total")
    assert _refused(tmp_path, swept[1], lambda r: r.update({"presence_two_sided": 1.5})) == (
        'its metric "presence_two_sided" is 1.5, not a share in [0, 1]')
    # Within rounding of the parts, the PnL marked to the end mid is the total: one ulp off is read.
    import math

    assert _refused(tmp_path, swept[1], lambda r: r.update(
        {"pnl.mark_to_mid": math.nextafter(r["pnl.total"], math.inf)})) is None


def _inconsistent(config: Any) -> dict[str, Any]:
    return {"pnl.total": 3.0, "pnl.spread_capture": 1.0, "pnl.inventory": 1.0, "pnl.fees": 0.0}


def _partial(config: Any) -> dict[str, Any]:
    return {"pnl.total": 3.0, "fills.count": 2}  # relations whose figures it does not all write: none checked


def test_a_point_fn_s_figures_are_held_to_the_relations_it_writes(tmp_path, store):  # noqa: F811
    grid = {"base": {"data": str(store), "strategy": {"path": "fixed_spread",
                                                      "params": {"half_spread": 1, "size": 1}}},
            "axes": {"latency.feed": ["0ms"]}}
    bad = run_sweep(grid, tmp_path / "a", workers=0, point_fn=_inconsistent)
    assert bad[0]["status"] == "error"
    assert bad[0]["error_message"] == (
        f"point_fn {_inconsistent.__qualname__} returned metrics a resumed sweep could not read back: its metric "
        '"pnl.total" is 3.0, but its parts give 2.0 ("pnl.spread_capture" + "pnl.inventory" - "pnl.fees", as a run '
        "computes it)")
    ok = run_sweep(grid, tmp_path / "b", workers=0, point_fn=_partial)
    assert ok[0]["status"] == "ok" and (ok[0]["pnl.total"], ok[0]["fills.count"]) == (3.0, 2)


def test_relations_breaker31_found_unchecked_are_refused(tmp_path, swept):  # noqa: F811
    m = _metrics(swept)
    q, quoted, sent, n = m["fills.qty"], m["fills.quoted_qty"], m["fills.orders_sent"], m["fills.count"]
    assert _refused(tmp_path, swept[1], lambda r: r.update({"fills.fill_rate": 0.5})) == (
        f'its metric "fills.fill_rate" is 0.5, but "fills.qty" / "fills.quoted_qty" is {q / quoted!r}: a run writes '
        "that ratio")
    assert _refused(tmp_path, swept[1], lambda r: r.update({"fills.order_to_trade": 1.0})) == (
        f'its metric "fills.order_to_trade" is 1.0, but "fills.orders_sent" / "fills.count" is {sent / n!r}: a run '
        "writes that ratio")
    bid, ask = m["presence_bid"], m["presence_ask"]
    top = max(bid, ask)
    assert _refused(tmp_path, swept[1], lambda r: r.update({"presence_two_sided": top})) == (
        f'its metric "presence_two_sided" is {top!r}, above "presence_bid" {bid!r} or "presence_ask" {ask!r}: '
        "quoting both sides is quoting each")
    assert m["stale_book.count"] == 0 and m["stale_book.share"] == 0.0
    assert _refused(tmp_path, swept[1], lambda r: r.update({"stale_book.share": 0.5})) == (
        'its metric "stale_book.share" is 0.5 with "stale_book.count" 0: a share is 0 exactly when the count is')
    mk = m["fills.maker_count"]
    assert _refused(tmp_path, swept[1], lambda r: r.update({"stale_book.count": mk + 1, "stale_book.share": 1.0})) == (
        f'its metric "stale_book.count" is {mk + 1}, more than its {mk} maker fills ("fills.maker_count"): it counts '
        "maker fills")
