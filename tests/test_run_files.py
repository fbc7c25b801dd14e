"""The eval report files (reportqa/run_files.py): what eval writes reads back as the same record,
the runs and summaries already in eval/reports/ stay readable, and a malformed file is refused
with a plain message naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportqa.records import Passage
from reportqa.run_files import (
    PLOT,
    RUN_FILE,
    SUMMARY,
    AskSummary,
    ConfigRun,
    ConfigSummary,
    FailingQuestion,
    QuestionRecord,
    RecordedHit,
    RunFormatError,
    RunSummary,
    WrongAnswer,
    first_words,
    label_key,
    report_name,
)
from reportqa.settings import PROJECT_ROOT

MEASURES = {"Hit@1": 0.5, "Hit@5": 1.0, "MRR@10": 0.75}
REPORTS = PROJECT_ROOT / "eval" / "reports"


def a_run(**changes) -> ConfigRun:
    top = RecordedHit(1, "alpha-1", 2.5, True, {"dense": 0.8, "lexical": 1.0}, "alpha", "Alpha – review", "1. Intro",
                      "Operation Lantern issued “220” notices")
    below = RecordedHit(4, "beta-9", 0.25, False)  # below the top few: where it ranked only
    questions = (QuestionRecord("q1", "frontline", "what is a CAWN?", 1, 50, ("alpha-1",), (top, below)),
                 QuestionRecord("q2", "facts", "how many notices", None, 50, ("alpha-2",), (below,)))
    run = ConfigRun("full", MEASURES, {"frontline": MEASURES}, {"acronym": MEASURES}, 12.5, 30.0,
                    (FailingQuestion("q2", "facts", "how many notices", None),),
                    {"q1": {"MRR@10": 1.0}, "q2": {"MRR@10": 0.0}}, questions, "dev", "2026-01-01", "2026-01-01.2")
    return ConfigRun(**{**run.__dict__, **changes})


def a_summary(ask: AskSummary | None) -> RunSummary:
    return RunSummary("2026-01-01", "2026-01-01.2", "dev", 12,
                      {"full": ConfigSummary(MEASURES, 12.5, 30.0), "bm25": ConfigSummary(MEASURES, 3.0, 4.0)},
                      ask, ("Hit@1", "Hit@5", "MRR@10"))


ASK = AskSummary(10, 2, {"frontline": {"answer": 8, "closest": 1, "not_covered": 1}}, 0.5, 0.1, 0.1, 0.7, 0.875,
                 9.0, 11.0, (WrongAnswer("u1", "unanswerable", "capital of Peru?", "answered an unanswerable question",
                                         "answer", 0.61, ("no term matched",)),), {"q1": "answer", "u1": "answer"})


def test_a_run_reads_back_as_the_record_written(tmp_path: Path) -> None:
    run = a_run()
    assert ConfigRun.from_json(run.to_json(), tmp_path / "x.json") == run
    legacy = a_run(questions=())  # before issue 14: no per-question records
    assert ConfigRun.from_json(legacy.to_json(), tmp_path / "x.json") == legacy


def test_a_run_file_stays_small_and_keeps_its_layout() -> None:
    text = a_run().to_json()
    data = json.loads(text)
    assert list(data) == ["name", "overall", "by_persona", "by_tag", "latency_p50_ms", "latency_p95_ms", "failing",
                          "per_query", "split", "date", "label", "questions"]
    q1 = next(line for line in text.splitlines() if '"id":"q1"' in line)  # one compact line per question
    assert json.loads(q1.strip().rstrip(","))["hits"][1] == {"rank": 4, "passage_id": "beta-9", "score": 0.25,
                                                             "relevant": False}  # empty fields left out
    assert list(data["questions"][0]["hits"][0]) == ["rank", "passage_id", "score", "relevant", "doc_id",
                                                     "short_title", "section", "words", "features"]
    assert "“220”" in text  # the words as written, not escaped


@pytest.mark.parametrize("ask", [ASK, None], ids=["with-ask", "no-ask"])
def test_a_summary_reads_back_as_the_record_written(ask: AskSummary | None, tmp_path: Path) -> None:
    summary = a_summary(ask)
    assert RunSummary.from_json(summary.to_json(), tmp_path / "2026-01-01.2-summary.json") == summary


def test_older_summaries_stay_readable(tmp_path: Path) -> None:
    """Before labels the label comes from the file name; an ask of the shape before issue 14 is not shown."""
    old = {"date": "2025-12-01", "split": "dev", "questions": 3, "measures": ["Hit@5"],
           "configs": {"full": {"overall": {"Hit@5": 0.5}}},
           "ask": {"answerable": 2, "unanswerable": 1, "abstention_precision": 0.9, "evidence_carried": 0.5}}
    summary = RunSummary.from_json(json.dumps(old), tmp_path / "2025-12-01.3-summary.json")
    assert (summary.label, summary.ask, summary.configs["full"].latency_p95_ms) == ("2025-12-01.3", None, 0.0)


def test_every_report_already_written_reads() -> None:
    runs = [p for p in REPORTS.rglob("*.json") if RUN_FILE.match(p.name) and not p.name.endswith("-summary.json")]
    summaries = list(REPORTS.rglob("*-summary.json"))
    assert runs and summaries
    for path in runs:
        run = ConfigRun.read(path)
        assert run.per_query and set(run.overall) >= {"Hit@5", "MRR@10"}, path
    assert any(ConfigRun.read(p).questions for p in runs) and any(not ConfigRun.read(p).questions for p in runs)
    read = [RunSummary.read(p) for p in summaries]
    assert any(s.ask is not None for s in read) and any(s.ask is None for s in read)  # both ask shapes


def _spoilt(edit) -> str:
    data = json.loads(a_run().to_json())
    edit(data)
    return json.dumps(data)


MALFORMED_RUNS = {
    "not-json": '{"name": "full", "per_q',
    "not-an-object": "[1, 2]",
    "no-name": _spoilt(lambda d: d.pop("name")),
    "features-not-object": _spoilt(lambda d: d["questions"][0]["hits"][0].update(features=[1, 2])),
    "per-query-not-object": _spoilt(lambda d: d["per_query"].update(q1=3)),
    "overall-not-object": _spoilt(lambda d: d.update(overall=[1, 2])),
    "by-persona-null-values": _spoilt(lambda d: d.update(by_persona={"x": None})),
    "questions-not-list": _spoilt(lambda d: d.update(questions=7)),
    "rank-text": _spoilt(lambda d: d["questions"][0].update(first_rank="two")),
    "score-text": _spoilt(lambda d: d["questions"][0]["hits"][0].update(score="high")),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_RUNS))
def test_a_malformed_run_is_refused_with_a_plain_message(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"2026-02-01-{name}.json"
    path.write_text(MALFORMED_RUNS[name], encoding="utf-8")
    with pytest.raises(RunFormatError, match=rf"^{path}: (not an eval run file|a per-question record cannot be read)"):
        ConfigRun.read(path)


def test_a_missing_or_undecodable_file_is_refused_the_same_way(tmp_path: Path) -> None:
    with pytest.raises(RunFormatError, match="cannot be read"):
        ConfigRun.read(tmp_path / "2026-01-01-none.json")
    (tmp_path / "2026-01-01-summary.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(RunFormatError, match="2026-01-01-summary.json"):
        RunSummary.read(tmp_path / "2026-01-01-summary.json")


@pytest.mark.parametrize("edit", [lambda d: d.pop("configs"), lambda d: d.update(questions="many"),
                                  lambda d: d["configs"]["full"].pop("overall"),
                                  lambda d: d["ask"].update(outcomes=None)],
                         ids=["no-configs", "questions-text", "config-without-overall", "ask-outcomes-null"])
def test_a_malformed_summary_is_refused(edit, tmp_path: Path) -> None:
    data = json.loads(a_summary(ASK).to_json())
    edit(data)
    with pytest.raises(RunFormatError, match="not an eval summary"):
        RunSummary.from_json(json.dumps(data), tmp_path / "2026-01-01-summary.json")


def test_names_labels_and_previews() -> None:
    assert report_name("2026-01-01.2", PLOT) == "2026-01-01.2-recall.png"
    assert report_name("2026-01-01", f"{SUMMARY}.json") == "2026-01-01-summary.json"
    assert RUN_FILE.match("2026-01-01.2-hybrid+questions.json").groups() == ("2026-01-01.2", "hybrid+questions")
    assert RUN_FILE.match("notes.json") is None
    assert sorted(["2026-01-01.10", "2026-01-01.2", "2026-01-01", "2025-12-31"], key=label_key) == [
        "2025-12-31", "2026-01-01", "2026-01-01.2", "2026-01-01.10"]
    assert first_words("  one\ntwo   three four ", 3) == "one two three"


def test_a_hit_is_described_by_its_passage() -> None:
    passage = Passage("alpha-7", "alpha", "text", ("3. Findings", "3.1 Notices"), 0, 52,
                      "Operation Lantern issued 220 notices over four years")
    hit = RecordedHit(7, "alpha-7", 0.5, False).described(passage, "Alpha", 4)
    assert (hit.doc_id, hit.short_title, hit.words) == ("alpha", "Alpha", "Operation Lantern issued 220")
    assert hit.section == "3. Findings › 3.1 Notices" and hit.rank == 7
