"""Writing a build (indexer.store.writer): atomic, every file listed with its checksum, and pruned to the
newest builds."""

from __future__ import annotations

import os
import time

import pytest

from indexer.build import build_index
from indexer.corpus import sha256_file
from indexer.embedding import FakeEmbedder
from indexer.store import live_build, open_index, read_manifest
from indexer.store.writer import ABANDONED_AFTER_SECONDS, LEXICAL, build_bm25, prune_builds


def passage_ids(settings) -> list[str]:
    return [p.passage_id for p in open_index(settings.index_dir).passages]


def test_crash_mid_build_leaves_previous_index(fake_built, monkeypatch) -> None:
    before = passage_ids(fake_built)
    live_before = live_build(fake_built.index_dir)
    (fake_built.corpus_dir / "alpha-review.txt").write_text("Changed text about hotels.\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash while writing vectors")

    monkeypatch.setattr("indexer.store.writer.faiss.write_index", boom)
    with pytest.raises(RuntimeError):
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert live_build(fake_built.index_dir) == live_before
    assert passage_ids(fake_built) == before
    assert not list(fake_built.index_dir.glob(".tmp-build-*"))


def test_old_builds_are_pruned(fake_built) -> None:
    for n in range(3):
        (fake_built.corpus_dir / "extra.md").write_text(f"# Extra\n\nVersion {n} of a note.\n", encoding="utf-8")
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    builds = list(fake_built.index_dir.glob("build-*"))
    assert len(builds) == 2 and live_build(fake_built.index_dir) in builds


def test_every_written_file_has_its_size_and_checksum_in_the_manifest(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    manifest = read_manifest(build)
    on_disk = sorted(str(p.relative_to(build)) for p in build.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(manifest.files) == on_disk
    for name, record in manifest.files.items():
        assert record.bytes == (build / name).stat().st_size and record.sha256 == sha256_file(build / name)
    assert manifest.lexical == LEXICAL and manifest.faiss is not None and manifest.faiss.kind == "flat"


def test_an_empty_lexical_index_can_be_saved(tmp_path) -> None:
    build_bm25([]).save(str(tmp_path / "bm25"), show_progress=False)  # a build with no passage questions
    assert (tmp_path / "bm25" / "params.index.json").is_file()


def test_an_abandoned_temporary_build_is_removed(fake_built) -> None:
    abandoned = fake_built.index_dir / ".tmp-build-crashed"
    abandoned.mkdir()
    recent = fake_built.index_dir / ".tmp-build-running"
    recent.mkdir()
    old = time.time() - ABANDONED_AFTER_SECONDS - 5
    os.utime(abandoned, (old, old))
    prune_builds(fake_built.index_dir)
    assert not abandoned.exists() and recent.exists()  # another build may still be writing that one
