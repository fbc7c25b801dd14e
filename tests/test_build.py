"""The index build (indexer.build): what a build writes, stable ids, incremental and no-op rebuilds, and
the errors that stop a build before any work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.store import FORMAT_VERSION, live_build, open_index
from reportqa.cli import check_index
from tests.conftest import fake_settings


def passage_ids(settings) -> list[str]:
    return [p.passage_id for p in open_index(settings.index_dir).passages]


def test_build_writes_a_complete_index(fake_built) -> None:
    reader = open_index(fake_built.index_dir)
    manifest = reader.manifest
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.lexical is not None and manifest.lexical.kind == "bm25s"
    assert any(name.startswith("bm25/") for name in manifest.files)
    assert (manifest.model.name, manifest.model.dim) == ("fake-hash", 64)
    assert manifest.chunker["target_tokens"] == 60
    assert set(manifest.indexed()) == {"alpha-review.txt", "beta-survey.md"}
    assert all(len(info.sha256) == 64 for info in manifest.sources.values())
    assert manifest.counts.passages == len(reader.passages) > 0
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
    assert report.counts.passages > 0


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


def test_rebuild_after_corruption_recovers(fake_built) -> None:
    path = live_build(fake_built.index_dir) / "index.sqlite"
    path.write_bytes(b"garbage")
    report = build_index(fake_built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert report.counts.passages == len(open_index(fake_built.index_dir).passages)


@pytest.mark.parametrize("files", [{}, {"broken.txt": b"\x00\x01binary\x00"}])
def test_an_empty_corpus_says_so_without_a_traceback(tmp_path: Path, files: dict) -> None:
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


def test_an_unwritable_index_folder_fails_before_any_work(corpus_copy: Path, tmp_path: Path) -> None:
    from indexer.store import IndexStoreError

    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be", encoding="utf-8")
    embedder = FakeEmbedder()
    with pytest.raises(IndexStoreError, match="cannot write the index"):
        build_index(fake_settings(corpus_copy, blocker), embedder=embedder, progress=False)
    assert embedder.calls == []  # nothing was embedded
