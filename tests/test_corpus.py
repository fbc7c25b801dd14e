"""The corpus folder (indexer.corpus): which file owns which id. A manifest id always belongs to its
manifest file; a stray file whose name gives a taken id gets an id of its own and none of the other
report's questions (issue 22, D2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.build import build_index, is_up_to_date
from indexer.corpus import CorpusError, discover, distinct_ids
from indexer.embedding import FakeEmbedder
from indexer.store import open_index
from reportqa.records import DocumentMeta
from retriever.retriever import Retriever
from tests.conftest import fake_settings

IMPOSTOR = "IMPOSTOR REPORT\n\nThis file was dropped in by mistake. It says nothing except impostorzebra.\n"
ANCHOR = "A CAWN is an official notice served by police which aims to break contact"


def _questions(corpus: Path) -> None:
    entry = {"anchor": ANCHOR, "questions": [{"style": "frontline", "text": "can we warn someone off a kid"}],
             "provenance": {"writer": "test", "date": "2026-12-06"}}
    (corpus / "alpha-review.questions.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")


def test_a_stray_file_never_takes_over_a_manifest_report(corpus_copy: Path, tmp_path: Path) -> None:
    """'Alpha-Review.txt' sorts before 'alpha-review.txt' and its name gives the id 'alpha-review'."""
    _questions(corpus_copy)
    settings = fake_settings(corpus_copy, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    alone = open_index(settings.index_dir)
    (corpus_copy / "Alpha-Review.txt").write_text(IMPOSTOR, encoding="utf-8")
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert report.skipped == [] and report.question_warnings == [] and report.counts.documents == 3
    reader = open_index(settings.index_dir)
    assert reader.documents["alpha-review"].meta.title == "Alpha Review of Disruption Measures"
    assert reader.documents["alpha-review-txt"].meta.file == "Alpha-Review.txt"
    real = [p for p in reader.passages if p.doc_id == "alpha-review"]
    assert [p.passage_id for p in real] == [p.passage_id for p in alone.passages if p.doc_id == "alpha-review"]
    owners = {reader.passages[int(i)].doc_id for i in reader.questions.passage_idx}
    assert owners == {"alpha-review"} and len(reader.questions) == len(alone.questions) == 1
    assert reader.manifest.indexed()["Alpha-Review.txt"].doc_id == "alpha-review-txt"
    hits = Retriever.open(settings, embedder=FakeEmbedder()).search("impostorzebra", k=1)
    assert hits[0].passage.doc_id == "alpha-review-txt"


def test_ids_are_distinct_and_say_why() -> None:
    names = ["Notes.md", "notes.md", "notes.txt", "notes-md.txt", "Beta Survey.md"]
    manifest = {"beta-survey.md": DocumentMeta(doc_id="beta-survey", file="beta-survey.md", title="B", short_title="B")}
    ids = distinct_ids(names, manifest)
    assert ids == {
        "Notes.md": ("notes-md-2", "its id 'notes' belongs to notes.md; indexed as 'notes-md-2'"),
        "notes.txt": ("notes-txt", "its id 'notes' belongs to notes.md; indexed as 'notes-txt'"),
        "Beta Survey.md": ("beta-survey-md", "its id 'beta-survey' belongs to beta-survey.md (manifest.toml); "
                                             "indexed as 'beta-survey-md'"),
    }  # 'notes.md' is its own id, so it keeps it; 'notes-md.txt' keeps 'notes-md'


def test_a_changed_id_makes_the_index_stale(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "gamma-notes.md").write_text("# Gamma\n\nNotes about orders.\n", encoding="utf-8")
    settings = fake_settings(corpus_copy, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    manifest = corpus_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + '\n[[report]]\nfile = "other.md"\nid = "gamma-notes"\n',
                        encoding="utf-8")
    fresh, reasons = is_up_to_date(settings)
    assert not fresh and reasons == ["new id 'gamma-notes-md' of gamma-notes.md"]


@pytest.mark.parametrize(("extra", "message"), [
    ('[[report]]\nfile = "other.md"\nid = "alpha-review"\n', "entries 1 and 3 both have the id 'alpha-review'"),
    ('[[report]]\nfile = "alpha-review.txt"\n', "entry 3 repeats the file 'alpha-review.txt'"),
])
def test_a_manifest_that_gives_one_id_twice_is_refused(corpus_copy: Path, extra: str, message: str) -> None:
    manifest = corpus_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        discover(corpus_copy)
