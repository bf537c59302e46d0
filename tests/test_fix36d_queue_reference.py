"""fix36d (breaker36 F3): ``mmsim queue-score`` of a store whose loader repaired a level-N LOBSTER book does not call
its L3 replay the exact truth.

The run report says "FIFO over the messages, level-N repairs approximate" for such a store (fix34l); queue-score's
table, summary, HTML and ``queue_score.json`` labelled the same replay ``L3 FIFO (truth)`` with no word of the repairs.
A store with no repair keeps ``L3 FIFO (truth)``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from test_fix34l_lobster_repairs import _store

from mmsim.cli import main
from mmsim.report.render_queue import queue_models_summary, queue_models_table

# Ask 220.10: order 2 (100), our JoinBest ask behind it, order 5 (50) behind us; 2 is executed whole, then 10 of 5:
# the aggressor took our lot first (1 fill at 220.10). Bid 220.00 x100 seeded from the orderbook file.
MSGS = ["34200.000000000,1,2,100,2201000,-1", "34200.500000000,1,5,50,2201000,-1",
        "34201.000000000,4,2,100,2201000,-1", "34201.500000000,4,5,10,2201000,-1"]
BOOKS = ["2201000,100,2200000,100", "2201000,150,2200000,100", "2201000,50,2200000,100", "2201000,40,2200000,100"]
# ... and a better bid that comes and goes, after which the row shows 220.00 x80: one level reset to the orderbook.
RESET_MSGS = ["34202.000000000,1,3,50,2200500,1", "34202.200000000,3,3,50,2200500,1"]
RESET_BOOKS = ["2201000,40,2200500,50", "2201000,40,2200000,80"]
REFERENCE = "L3 FIFO (reference; level-N repairs approximate)"
NOTE = ("the L3 FIFO row is a reference, not the exact truth: FIFO over the messages, not the venue's queue; level-N "
        "LOBSTER book repairs: 1 level reset to the orderbook file (queue positions there approximate: quirks; "
        "docs/data.md \"Queue positions away from the best\")")


def _score(tmp_path: Path, capsys, repaired: bool) -> tuple[dict, str, str]:
    st = _store(tmp_path / "d", MSGS + (RESET_MSGS if repaired else []), BOOKS + (RESET_BOOKS if repaired else []))
    capsys.readouterr()
    assert main(["queue-score", str(st.path), "-o", str(tmp_path / "q"), "--models", "risk_averse", "--no-fit",
                 "-q"]) == 0
    out = capsys.readouterr().out
    q = json.loads((tmp_path / "q" / "queue_score.json").read_text())
    return q, out, (tmp_path / "q" / "report.html").read_text()


def test_a_repaired_level_n_store_s_replay_is_the_reference_not_the_truth(tmp_path, capsys):
    q, out, page = _score(tmp_path, capsys, repaired=True)
    assert [r["model"] for r in q["rows"]] == [REFERENCE, "risk_averse"]
    assert q["rows"][0]["is_truth"] and q["rows"][0]["fills"] == 1
    assert q["info"]["level_n_repairs"] == {"levels_entering_window": 0, "levels_reset_to_orderbook": 1,
                                            "levels_folded_for_unknown_ids": 0, "levels_vanished_outside_messages": 0}
    assert q["info"]["truth_note"] == NOTE
    assert queue_models_summary(q)[0] == NOTE
    assert str(queue_models_table(q).title).startswith(
        "L2 queue models vs L3 FIFO reference (level-N repairs approximate) — AMZN: JoinBest")
    assert out.startswith("1 models scored against 1 reference fills (level-N repairs approximate) -> ")
    assert "<h2>L2 queue models against the L3 FIFO reference</h2>" in page
    assert ("market-by-order events (FIFO over the messages, level-N repairs approximate: the reference) and on the "
            "same day") in page
    assert f"<td>{REFERENCE}</td>" in page
    assert f'<p class="note">{html.escape(NOTE)}</p>' in page


def test_a_store_with_no_repair_keeps_the_truth(tmp_path, capsys):
    """The second case: the same day without the reset (the bid seeded at the open only: no repair counted)."""
    q, out, page = _score(tmp_path, capsys, repaired=False)
    assert [r["model"] for r in q["rows"]] == ["L3 FIFO (truth)", "risk_averse"]
    assert q["info"]["level_n_repairs"] is None and q["info"]["truth_note"] is None
    assert queue_models_summary(q)[0].startswith("best model: risk_averse")
    assert str(queue_models_table(q).title).startswith("L2 queue models vs L3 FIFO truth — AMZN: JoinBest")
    assert out.startswith("1 models scored against 1 true fills -> ")
    assert "<h2>L2 queue models against L3 truth</h2>" in page
    assert "market-by-order events (exact FIFO: the truth) and on the same day" in page
    assert "level-N" not in page.split("<h2>L2 queue models")[1].split("<h2>")[0]


# fix37q (breaker37 F5): the other words for the L3 row on a repaired store: the best-model line, the table's caption,
# the report's note, the PNG's axis and legend, and the error of a window where the L3 run has no fill.
def _plot_texts(q: dict, monkeypatch) -> list[str]:
    import mmsim.report.render_queue as rq

    figs: list = []
    monkeypatch.setattr(rq, "png_bytes", lambda fig: figs.append(fig) or b"")
    rq.plot_queue_models(q)
    ax0, ax1 = figs[0].axes[:2]
    return [ax0.get_ylabel(), *[t.get_text() for t in ax1.get_legend().get_texts()]]


def _no_fill_error(tmp_path: Path, repaired: bool) -> str:
    from mmsim import DataError
    from mmsim.analysis import score_queue_models

    st = _store(tmp_path / "w", MSGS + (RESET_MSGS if repaired else []), BOOKS + (RESET_BOOKS if repaired else []))
    try:
        score_queue_models(st, models=["risk_averse"], fit_powers=None, window=(0, 1))
    except DataError as e:
        return str(e)
    raise AssertionError("no DataError")


def test_every_word_for_the_l3_row_on_a_repaired_store_is_reference(tmp_path, capsys, monkeypatch):
    q, out, page = _score(tmp_path, capsys, repaired=True)
    best = ("best model: risk_averse (F1 1.000, 100.0% of reference fills matched, lots bias 0, 1s markout bias – "
            "ticks/lot, PnL bias 0.00)")
    assert queue_models_summary(q)[1] == best
    assert f'<p class="note">{html.escape(best)}</p>' in page  # stdout prints the same lines without -q
    assert str(queue_models_table(q).caption) == (
        "fills matched one to one on side and price within 100ms; biases are model − reference; the reference row's "
        "markout is its value (ticks/lot)")
    assert ("biases are model − reference; markouts in ticks per lot (the reference row: its markout). pos gap: "
            "time-weighted mean |position − reference position| (lots)") in page
    assert "truth" not in page.split("<h2>L2 queue models")[1].split("<h2>")[0].replace("exact truth", "")
    assert _plot_texts(q, monkeypatch) == ["model − reference, % of the reference", "reference fills matched",
                                           "model fills matched"]
    assert _no_fill_error(tmp_path, repaired=True).startswith(
        "score_queue_models: the reference run (L3 FIFO, level-N repairs approximate) has no fill in the window [")


def test_a_store_with_no_repair_keeps_every_truth_word(tmp_path, capsys, monkeypatch):
    q, out, page = _score(tmp_path, capsys, repaired=False)
    best = ("best model: risk_averse (F1 1.000, 100.0% of true fills matched, lots bias 0, 1s markout bias – "
            "ticks/lot, PnL bias 0.00)")
    assert queue_models_summary(q)[0] == best
    assert str(queue_models_table(q).caption) == (
        "fills matched one to one on side and price within 100ms; biases are model − truth; the truth row's "
        "markout is its value (ticks/lot)")
    assert ("biases are model − truth; markouts in ticks per lot (the truth row: its markout). pos gap: "
            "time-weighted mean |position − true position| (lots)") in page
    assert _plot_texts(q, monkeypatch) == ["model − truth, % of the truth", "true fills matched", "model fills matched"]
    assert _no_fill_error(tmp_path, repaired=False).startswith(
        "score_queue_models: the truth run (L3 FIFO) has no fill in the window [")
