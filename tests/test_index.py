"""The index on disk: stable ids, incremental rebuilds, atomic swaps, and refusing bad indexes."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from indexer.build import build_index, is_up_to_date
from indexer.embedding import FakeEmbedder
from indexer.store import (
    CURRENT_FILE,
    FORMAT_VERSION,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    live_build,
    open_index,
)
from reportqa.cli import check_index
from retriever.retriever import Retriever
from tests.conftest import fake_settings


def passage_ids(settings) -> list[str]:
    return [p.passage_id for p in open_index(settings.index_dir).passages]


def test_build_writes_a_complete_index(fake_built) -> None:
    reader = open_index(fake_built.index_dir)
    manifest = reader.manifest
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["lexical"]["kind"] == "bm25s"
    assert any(name.startswith("bm25/") for name in manifest["files"])
    assert manifest["model"] == {"name": "fake-hash", "dim": 64}
    assert manifest["chunker"]["target_tokens"] == 60
    assert set(manifest["sources"]) == {"alpha-review.txt", "beta-survey.md"}
    assert all(len(info["sha256"]) == 64 for info in manifest["sources"].values())
    assert manifest["counts"]["passages"] == len(reader.passages) > 0
    assert reader.faiss.ntotal == len(reader.passages)
    assert {short for short, _, _ in reader.acronyms} >= {"CAWN", "SRO"}
    assert check_index(fake_built) == []


def test_ids_are_stable_across_a_rebuild(fake_built) -> None:
    before = passage_ids(fake_built)
    build_index(fake_built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert passage_ids(fake_built) == before


def test_no_change_is_a_fast_no_op(fake_built) -> None:
    embedder = FakeEmbedder()
    report = build_index(fake_built, embedder=embedder, progress=False)
    assert report.up_to_date and embedder.calls == []
    assert report.passages > 0


def test_incremental_rebuild_embeds_only_the_changed_file(fake_built) -> None:
    before = {p.passage_id: p for p in open_index(fake_built.index_dir).passages}
    path = fake_built.corpus_dir / "beta-survey.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA new closing paragraph about taxi licensing.\n",
                    encoding="utf-8")
    embedder = FakeEmbedder()
    report = build_index(fake_built, embedder=embedder, progress=False)
    after = open_index(fake_built.index_dir).passages
    new = [p for p in after if p.passage_id not in before]
    assert new and all(p.doc_id == "beta-survey" for p in new)
    assert all(p.passage_id in before for p in after if p.doc_id == "alpha-review")
    assert report.embedded == sum(embedder.calls) > 0
    assert report.embedded <= 2 * len(new)  # each new passage and its sentence(s), nothing else
    assert report.reused > report.embedded


def test_malformed_pdf_is_skipped_and_reported(fake_built) -> None:
    (fake_built.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    report = build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert [name for name, _ in report.skipped] == ["broken.pdf"]
    assert report.documents == 2
    manifest = open_index(fake_built.index_dir).manifest
    assert manifest["sources"]["broken.pdf"]["status"] == "skipped"
    assert is_up_to_date(fake_built)[0]  # the skipped file is remembered, not retried forever


def test_crash_mid_build_leaves_previous_index(fake_built, monkeypatch) -> None:
    before = passage_ids(fake_built)
    live_before = live_build(fake_built.index_dir)
    (fake_built.corpus_dir / "alpha-review.txt").write_text("Changed text about hotels.\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash while writing vectors")

    monkeypatch.setattr("indexer.store.faiss.write_index", boom)
    with pytest.raises(RuntimeError):
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert live_build(fake_built.index_dir) == live_before
    assert passage_ids(fake_built) == before
    assert not list(fake_built.index_dir.glob(".tmp-build-*"))


def test_missing_index_is_reported(tmp_path: Path, corpus_copy: Path) -> None:
    with pytest.raises(IndexMissingError, match="reportqa index"):
        open_index(tmp_path / "nowhere")


def test_index_built_with_other_chunker_is_refused(fake_built) -> None:
    other = fake_built.model_copy(update={"chunk_target_tokens": 61})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Retriever.open(other, embedder=FakeEmbedder())


def test_index_built_with_other_model_is_refused(fake_built) -> None:
    other = fake_built.model_copy(update={"embedder": "minilm"})
    with pytest.raises(IndexMismatchError, match="model fake-hash"):
        Retriever.open(other, embedder=FakeEmbedder())


def test_stale_index_is_refused(fake_built) -> None:
    (fake_built.corpus_dir / "gamma.md").write_text("# Gamma\n\nNew report.\n", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="new file gamma.md"):
        Retriever.open(fake_built, embedder=FakeEmbedder())
    assert any("gamma.md" in p for p in check_index(fake_built))


def test_manifest_edit_makes_the_index_stale_and_a_rebuild_takes_it(fake_built) -> None:
    manifest = fake_built.corpus_dir / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'title = "Alpha Review of Disruption Measures"', 'title = "Alpha Review, Second Edition"'), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="changed manifest entry of alpha-review.txt"):
        Retriever.open(fake_built, embedder=FakeEmbedder())
    report = build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert not report.up_to_date and report.embedded == 0  # the text did not change: vectors are reused
    retriever = Retriever.open(fake_built, embedder=FakeEmbedder())
    assert retriever.documents["alpha-review"].meta.title == "Alpha Review, Second Edition"


@pytest.mark.parametrize("change", [{"pdf_heading_ratio": 1.3}, {"pdf_column_gap_points": 20.0},
                                    {"pdf_contents_title_similarity": 0.8}])
def test_a_changed_pdf_layout_setting_makes_the_index_stale_without_touching_the_weights(fake_built, change) -> None:
    """Every layout threshold, and how contents entries give section start pages, is in the build spec."""
    from indexer.build import is_up_to_date
    from retriever.weights import fingerprint

    other = fake_built.model_copy(update=change)
    fresh, problems = is_up_to_date(other)
    assert not fresh and any("PDF layout" in p for p in problems)
    assert fingerprint(other) == fingerprint(fake_built)  # fitted weights stay valid
    build_index(other, embedder=FakeEmbedder(), progress=False)
    assert is_up_to_date(other)[0]


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


def test_truncated_faiss_file_is_detected(fake_built) -> None:
    path = live_build(fake_built.index_dir) / "passages.faiss"
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(IndexCorruptError, match="truncated"):
        open_index(fake_built.index_dir)


def test_corrupted_sqlite_is_detected(fake_built) -> None:
    path = live_build(fake_built.index_dir) / "index.sqlite"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum"):
        open_index(fake_built.index_dir)
    assert check_index(fake_built)


def test_damaged_bm25_file_is_detected(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    target = sorted((build / "bm25").glob("*.npy"))[0]
    target.write_bytes(target.read_bytes()[:-8] + b"\x00" * 8)
    with pytest.raises(IndexCorruptError, match="bm25"):
        open_index(fake_built.index_dir)


def test_format_change_reuses_stored_embeddings(fake_built) -> None:
    import json

    build = live_build(fake_built.index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1  # as if built by an older version of ReportQA
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    embedder = FakeEmbedder()
    report = build_index(fake_built, embedder=embedder, progress=False)
    assert not report.up_to_date and report.embedded == 0 and report.reused > 0


def test_garbage_current_pointer_is_detected(fake_built) -> None:
    (fake_built.index_dir / CURRENT_FILE).write_text("../../etc\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        open_index(fake_built.index_dir)


def test_rebuild_after_corruption_recovers(fake_built) -> None:
    path = live_build(fake_built.index_dir) / "index.sqlite"
    path.write_bytes(b"garbage")
    report = build_index(fake_built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert report.passages == len(open_index(fake_built.index_dir).passages)


def test_old_builds_are_pruned(fake_built) -> None:
    for n in range(3):
        (fake_built.corpus_dir / "extra.md").write_text(f"# Extra\n\nVersion {n} of a note.\n", encoding="utf-8")
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    builds = list(fake_built.index_dir.glob("build-*"))
    assert len(builds) == 2 and live_build(fake_built.index_dir) in builds


def test_index_database_is_read_only_while_served(fake_built) -> None:
    reader = open_index(fake_built.index_dir)
    with pytest.raises(sqlite3.OperationalError):
        reader.connection().execute("DELETE FROM passages")
    assert os.access(reader.build / "index.sqlite", os.R_OK)
    shutil.rmtree(reader.build)  # a server keeps working from what it loaded
    assert reader.passages


def test_a_file_that_cannot_be_structured_is_skipped(fake_built, monkeypatch) -> None:
    import indexer.build as build_module

    real = build_module.build_document

    def fragile(raw, meta):
        if meta.doc_id == "alpha-review":
            raise IndexError("list index out of range")
        return real(raw, meta)

    monkeypatch.setattr(build_module, "build_document", fragile)
    report = build_index(fake_built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert report.skipped == [("alpha-review.txt", "its text could not be structured (IndexError: list index out "
                                                   "of range)")]
    assert report.documents == 1


@pytest.mark.parametrize("files", [{}, {"broken.txt": b"\x00\x01binary\x00"}])
def test_an_empty_corpus_says_so_without_a_traceback(tmp_path: Path, files: dict) -> None:
    import os
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_EMBEDDER="fake", REPORTQA_WEIGHTS_PATH=str(tmp_path / "none.json"))
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", "index", "--corpus", str(corpus), "--index",
                             str(tmp_path / "index")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and f"no reports to index in {corpus}" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "index" / "CURRENT").exists()
    if files:
        assert "broken.txt" in result.stderr and "binary" in result.stderr


@pytest.mark.parametrize("pointer", [b"\xff\xfe\x00build", b"build-1\x1b[31m", b""])
def test_a_damaged_current_pointer_is_a_clear_error(fake_built, pointer: bytes) -> None:
    (fake_built.index_dir / "CURRENT").write_bytes(pointer)
    with pytest.raises(IndexCorruptError, match="CURRENT is damaged"):
        open_index(fake_built.index_dir)
    assert any("CURRENT is damaged" in p for p in check_index(fake_built))


def test_an_unwritable_index_folder_fails_before_any_work(corpus_copy: Path, tmp_path: Path) -> None:
    from indexer.store import IndexStoreError

    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be", encoding="utf-8")
    embedder = FakeEmbedder()
    with pytest.raises(IndexStoreError, match="cannot write the index"):
        build_index(fake_settings(corpus_copy, blocker), embedder=embedder, progress=False)
    assert embedder.calls == []  # nothing was embedded


def test_a_file_over_the_size_limit_is_skipped_with_the_reason(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "huge.txt").write_text("Police disruption. " * 200, encoding="utf-8")
    settings = fake_settings(corpus_copy, tmp_path / "index", max_file_mb=0.002)
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert any(name == "huge.txt" and "over the 0.002 MB limit per file" in reason for name, reason in report.skipped)
    assert report.documents == 2


def test_a_leased_build_survives_back_to_back_builds(fake_built) -> None:
    from indexer.store import leased_builds, release_lease, take_lease

    served = live_build(fake_built.index_dir)
    lease = take_lease(fake_built.index_dir, served)
    for n in range(3):  # each build prunes to the newest two, plus what a server holds
        (fake_built.corpus_dir / "alpha-review.txt").write_text(f"Report number {n} about hotels.\n", encoding="utf-8")
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert served.is_dir() and served.name in leased_builds(fake_built.index_dir)
    release_lease(lease)
    (fake_built.corpus_dir / "alpha-review.txt").write_text("Report number 9 about hotels.\n", encoding="utf-8")
    build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert not served.exists()


def test_a_lease_of_a_dead_process_does_not_hold_a_build(fake_built) -> None:
    from indexer.store import LEASES, leased_builds

    served = live_build(fake_built.index_dir)
    (fake_built.index_dir / LEASES).mkdir(exist_ok=True)
    stale = fake_built.index_dir / LEASES / f"999999999-{served.name}"
    stale.write_text(served.name, encoding="utf-8")
    assert leased_builds(fake_built.index_dir) == set() and not stale.exists()
