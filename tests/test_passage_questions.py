"""Passage questions: attached by anchor at index time, warned about when stale or malformed, used
by search as a field of their own and by the dense stage, and never required."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from indexer.build import build_index, is_up_to_date
from indexer.embedding import FakeEmbedder
from indexer.passage_questions import attach, read_entries
from indexer.store import open_index
from reportqa.records import Passage
from reportqa.text import match_key
from retriever.pipeline import Pipeline
from retriever.retriever import Retriever
from tests.conftest import fake_settings

EVERYDAY = "pictures nobody has clocked before can they spot those"
ENTRY = {"anchor": "it cannot detect new images that have never been seen before",
         "questions": [{"style": "frontline", "text": EVERYDAY},
                       {"style": "keywords", "text": "hashing unseen material"}],
         "provenance": {"writer": "test", "date": "2026-11-29"}}


def write_questions(corpus: Path, *lines: str) -> Path:
    path = corpus / "alpha-review.questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_entries_attach_by_anchor_and_bad_lines_are_warnings(tmp_path: Path) -> None:
    passages = [(0, Passage("a", "d", "text", ("1",), 0, 60, "Image hashing finds known images; it cannot "
                                                             "detect new images that have never been seen before.")),
                (1, Passage("b", "d", "text", ("2",), 60, 90, "Hotels can be asked about guests."))]
    stale = dict(ENTRY, anchor="a sentence the report does not contain anywhere at all")
    path = write_questions(tmp_path, json.dumps(ENTRY), "{not json", json.dumps(stale),
                           json.dumps(dict(ENTRY, questions=[{"style": "poem", "text": "x"}])))
    attached = attach(path, passages)
    assert [(q.passage_idx, q.style) for q in attached.questions] == [(0, "frontline"), (0, "keywords")]
    text = passages[0][1].text
    assert {text[q.anchor_start:q.anchor_end] for q in attached.questions} == {
        "it cannot \ndetect new images that have never been seen before".replace(" \n", " ")}, "the anchor's offsets"
    assert [w.split(":")[1] for w in attached.warnings] == ["2", "4", "3"]  # file and line named
    assert "anchor not found" in attached.warnings[-1] and "alpha-review.questions.jsonl:3" in attached.warnings[-1]
    assert len(read_entries(path)[0]) == 2


def test_one_unreadable_line_is_a_warning_naming_it_never_a_failed_build(corpus_copy: Path, tmp_path: Path) -> None:
    """A line nested 1,200 levels deep (RecursionError in the JSON parser), a number too long to convert
    and a bare string are each a warning with the file and line; the good entry is still attached and
    the build completes (D1: before, one such line stopped every report from being indexed)."""
    deep = "[" * 1200 + "]" * 1200
    write_questions(corpus_copy, deep, json.dumps(ENTRY), '{"anchor": ' + "9" * 5000 + "}", '"not an entry"')
    settings = fake_settings(corpus_copy, tmp_path / "index")
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert report.counts.documents == 2 and report.counts.questions == 2
    assert [w.split(":")[1] for w in report.question_warnings] == ["1", "3", "4"]
    assert report.question_warnings[0] == "alpha-review.questions.jsonl:1: nested too deeply to read; line skipped"
    assert report.question_warnings[1].startswith("alpha-review.questions.jsonl:3: cannot be read (")


def test_a_questions_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    path = write_questions(tmp_path, json.dumps(ENTRY), json.dumps(ENTRY))
    entries, warnings = read_entries(path, max_bytes=100)
    assert entries == [] and warnings == ["alpha-review.questions.jsonl: 0.0 MB, over the 0.0001 MB limit per "
                                          "file (REPORTQA_MAX_FILE_MB); its questions are not used"]
    assert len(read_entries(path, max_bytes=path.stat().st_size)[0]) == 2


def test_questions_are_indexed_and_change_ranking(corpus_copy: Path, tmp_path: Path, caplog) -> None:
    settings = fake_settings(corpus_copy, tmp_path / "index")
    embedder = FakeEmbedder()
    write_questions(corpus_copy, json.dumps(ENTRY), json.dumps(dict(ENTRY, anchor="no such words in the review")))
    with caplog.at_level(logging.WARNING):
        report = build_index(settings, embedder=embedder, progress=False)
    assert report.counts.questions == 2 and report.counts.passages_with_questions == 1
    assert any("anchor not found" in w for w in report.question_warnings)
    reader = open_index(settings.index_dir)
    owner = reader.passages[int(reader.questions.passage_idx[0])]
    assert "cannot detect new images" in owner.text and reader.manifest.counts.questions == 2
    anchored = [owner.text[s:e] for s, e in zip(reader.questions.anchor_start, reader.questions.anchor_end)]
    assert all(match_key(a) == match_key(ENTRY["anchor"]) for a in anchored), "offsets kept in the index"

    retriever = Retriever.open(settings, embedder=embedder)
    with_questions = retriever.search(EVERYDAY, k=3)
    without = retriever.search(EVERYDAY, k=3, pipeline=Pipeline(questions=False))
    assert with_questions[0].passage.passage_id == owner.passage_id
    assert owner.passage_id not in [h.passage.passage_id for h in without[:1]]
    assert with_questions[0].features.question_lexical > 0 and with_questions[0].features.question_dense > 0

    # a changed questions file makes the index out of date
    write_questions(corpus_copy, json.dumps(ENTRY))
    fresh, reasons = is_up_to_date(settings)
    assert not fresh and any("passage questions" in r for r in reasons)


def test_a_report_without_questions_indexes_and_answers(fake_retriever) -> None:
    assert len(fake_retriever.reader.questions) == 0
    hits = fake_retriever.search("image hashing new images", k=3)
    assert hits and all(h.features.question_dense == 0.0 for h in hits)
    assert fake_retriever.ask("what is a CAWN").hits
