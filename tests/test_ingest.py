"""Reading the corpus into documents (indexer.ingest): a bad, oversized or unstructurable file is skipped
with its reason, and every stored short title differs."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build_index, is_up_to_date
from indexer.corpus import discover
from indexer.embedding import FakeEmbedder
from indexer.ingest import check_size, read_reports
from indexer.loaders import LoadError
from indexer.store import open_index
from retriever.retriever import Retriever
from tests.conftest import fake_settings


def test_malformed_pdf_is_skipped_and_reported(fake_built) -> None:
    (fake_built.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    report = build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert [name for name, _ in report.skipped] == ["broken.pdf"]
    assert report.counts.documents == 2
    manifest = open_index(fake_built.index_dir).manifest
    assert manifest.sources["broken.pdf"].status == "skipped"
    assert is_up_to_date(fake_built)[0]  # the skipped file is remembered, not retried forever


def test_a_file_that_cannot_be_structured_is_skipped(fake_built, monkeypatch) -> None:
    import indexer.ingest as ingest_module

    real = ingest_module.build_document

    def fragile(raw, meta):
        if meta.doc_id == "alpha-review":
            raise IndexError("list index out of range")
        return real(raw, meta)

    monkeypatch.setattr(ingest_module, "build_document", fragile)
    report = build_index(fake_built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert report.skipped == [("alpha-review.txt", "its text could not be structured (IndexError: list index out "
                                                   "of range)")]
    assert report.counts.documents == 1


def test_a_file_over_the_size_limit_is_skipped_with_the_reason(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "huge.txt").write_text("Police disruption. " * 200, encoding="utf-8")
    settings = fake_settings(corpus_copy, tmp_path / "index", max_file_mb=0.002)
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert any(name == "huge.txt" and "over the 0.002 MB limit per file" in reason for name, reason in report.skipped)
    assert report.counts.documents == 2


def test_manifest_entries_sharing_a_short_title_are_stored_apart_and_shown_as_stored(corpus_copy, tmp_path) -> None:
    """Two manifest entries a user gave one short title each get their file name at index time, and so
    does a report without an entry whose inferred short title is the same; the web's report filter,
    cards and citations all show the stored names."""
    from tests.conftest import client_for

    manifest = corpus_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'short_title = "Beta survey"', 'short_title = "Alpha Review"'), encoding="utf-8")
    (corpus_copy / "gamma.md").write_text("# Alpha review\n\nOfficers used warning notices to disrupt abuse "
                                          "near schools, and recorded each one.\n", encoding="utf-8")
    settings = fake_settings(corpus_copy, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    retriever = Retriever.open(settings, embedder=FakeEmbedder())
    shorts = {doc_id: doc.meta.short_title for doc_id, doc in retriever.documents.items()}
    assert shorts == {"alpha-review": "Alpha review (alpha-review)", "beta-survey": "Alpha Review (beta-survey)",
                      "gamma": "Alpha review (gamma)"}
    page = client_for(settings, retriever).get("/", params={"q": "warning notices"}).text
    for doc_id, short in shorts.items():
        assert f'<option value="{doc_id}">{short}</option>' in page
    assert '<span class="report">Alpha review (' in page  # a card names its report as stored


def test_metadata_comes_from_the_manifest_or_the_file(corpus_copy: Path, tmp_path: Path) -> None:
    """A report with a manifest entry keeps it; one without gets its id from its file name, its title
    from its first heading and a short title that fits."""
    (corpus_copy / "Gamma Notes.md").write_text("# A very long title about disruption of child sexual abuse in "
                                                "towns\n\nOfficers used warning notices.\n", encoding="utf-8")
    files = discover(corpus_copy)
    ingested = read_reports(files, fake_settings(corpus_copy, tmp_path / "index"))
    metas = {r.source.name: r.doc.meta for r in ingested.reports}
    manifest = {f.name: f.meta for f in files if f.meta is not None}
    assert metas["alpha-review.txt"] == manifest["alpha-review.txt"]
    gamma = metas["Gamma Notes.md"]
    assert gamma.doc_id == "gamma-notes" and gamma.file == "Gamma Notes.md"
    assert gamma.title.startswith("A very long title") and len(gamma.short_title) <= 40


def test_a_second_file_with_a_taken_id_gets_its_own(corpus_copy: Path, tmp_path: Path, caplog) -> None:
    (corpus_copy / "alpha_review.md").write_text("# Another alpha\n\nText about orders.\n", encoding="utf-8")
    ingested = read_reports(discover(corpus_copy), fake_settings(corpus_copy, tmp_path / "index"))
    assert ingested.skipped == []
    assert {r.source.name: r.doc.meta.doc_id for r in ingested.reports} == {
        "alpha-review.txt": "alpha-review", "alpha_review.md": "alpha-review-md", "beta-survey.md": "beta-survey"}
    assert ("alpha_review.md: its id 'alpha-review' belongs to alpha-review.txt (manifest.toml); indexed as "
            "'alpha-review-md'") in caplog.messages


def test_the_size_check_names_the_limit(corpus_copy: Path) -> None:
    source = next(f for f in discover(corpus_copy) if f.name == "beta-survey.md")
    check_size(source, 10.0)
    with pytest.raises(LoadError, match=r"over the 1e-05 MB limit per file \(REPORTQA_MAX_FILE_MB\)"):
        check_size(source, 0.00001)
