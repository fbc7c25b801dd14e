"""The judgements file (reportqa/judgements.py): undo by retraction, one undo per judgement under
concurrency, and the TREC qrels export."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import ir_measures
import pytest

from reportqa.judgements import (
    Judgement,
    JudgementError,
    append_judgement,
    judgement_qrels,
    load_judgements,
    retract_latest,
    review,
    standing,
    trec_qrels,
)


def test_undo_appends_a_retraction_of_that_evaluators_latest_judgement(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement("How long is a review?", "p1", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("how long is a review", "p1", False, "alice", "2026-01-01T10:01:00+00:00"))
    append_judgement(path, Judgement("How long is a review?", "p1", True, "bob", "2026-01-01T09:00:00+00:00"))
    retraction = retract_latest(path, "How long is a review?", "p1", "alice")
    assert retraction.retract and retraction.relevant is False  # alice's latest was "not relevant"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 and lines[-1]["retract"] is True and "retract" not in lines[0]  # append-only
    records = load_judgements(path)
    assert [r.status for r in review(records)] == ["standing", "undone", "standing", "undo"]
    assert [j.relevant for j in standing(records, "alice")] == [True]
    assert judgement_qrels(records, {"q1": "How long is a review?"}) == {"q1": {"p1": 1}}
    retract_latest(path, "How long is a review?", "p1", "alice")
    with pytest.raises(JudgementError, match="no standing judgement"):
        retract_latest(path, "How long is a review?", "p1", "alice")
    assert [j.who for j in standing(load_judgements(path))] == ["bob"]  # bob's is untouched
    assert [r.judgement.who for r in review(load_judgements(path), "alice")] == ["alice"] * 4


def test_two_undos_at_once_cancel_one_judgement_each(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement.now("q", "p1", True, "alice"))
    results: list[str] = []

    def undo() -> None:
        try:
            retract_latest(path, "q", "p1", "alice")
            results.append("ok")
        except JudgementError:
            results.append("nothing")

    threads = [threading.Thread(target=undo) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["nothing"] * 5 + ["ok"]
    assert sum(1 for j in load_judgements(path) if j.retract) == 1


def test_qrels_export_is_trec_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement("What is a CAWN?", "p1", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("what is a cawn", "p2", False, "bob", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("something else", "p3", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("What is a CAWN?", "p4", True, "alice", "2026-01-01T10:00:00+00:00"))
    retract_latest(path, "What is a CAWN?", "p4", "alice")
    records = load_judgements(path)
    lines = trec_qrels(records, {"a5": "What is a CAWN?"})
    assert lines == ["a5 0 p1 1", "a5 0 p2 0"]
    (tmp_path / "x.qrels").write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = {(q.query_id, q.doc_id): q.relevance for q in ir_measures.read_trec_qrels(str(tmp_path / "x.qrels"))}
    assert read == {("a5", "p1"): 1, ("a5", "p2"): 0}
    assert trec_qrels(records, {"a5": "What is a CAWN?"}, who="bob") == ["a5 0 p2 0"]
    everything = trec_qrels(records, {"a5": "What is a CAWN?"}, unmatched=True)
    assert len(everything) == 3 and any(re.fullmatch(r"j-[0-9a-f]{12} 0 p3 1", line) for line in everything)
