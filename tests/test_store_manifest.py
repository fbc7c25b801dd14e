"""The index manifest as a typed record (indexer.store.manifest): written and read back unchanged, with
the same JSON layout as before it was typed, and any manifest that does not fit it refused as damage."""

from __future__ import annotations

import json

import pytest

from indexer.store import IndexCorruptError, current_manifest, live_build, read_manifest
from indexer.store.manifest import IndexedSource, IndexManifest, SkippedSource

# The keys every written manifest has held since format 3 (bench/compare_index.py compares them).
LAYOUT = {"build_id", "built_at", "chunker", "counts", "faiss", "files", "format_version", "lexical", "model",
          "sources", "structure"}
COUNTS = {"acronyms", "callouts_removed", "documents", "figures", "measures", "passages", "passages_with_questions",
          "question_warnings", "questions", "sentences", "skipped", "table_rows", "tables"}
# A manifest as the writer wrote it before the record was typed (sources of both kinds).
UNTYPED = {
    "build_id": "20260101T000000-1-00001", "built_at": "2026-01-01T00:00:00+0000", "format_version": 3,
    "chunker": {"version": 5, "target_tokens": 60}, "structure": {"pdf_layout": {}, "measures": {}},
    "model": {"name": "fake-hash", "dim": 64}, "faiss": {"kind": "flat", "m": 32},
    "lexical": {"kind": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75},
    "counts": dict.fromkeys(COUNTS, 1),
    "files": {"index.sqlite": {"bytes": 10, "sha256": "ab" * 32}},
    "sources": {"a.txt": {"sha256": "cd" * 32, "status": "indexed", "doc_id": "a", "passages": 4,
                          "questions_sha256": None, "meta_sha256": "ef" * 32},
                "b.pdf": {"sha256": "01" * 32, "status": "skipped", "reason": "the PDF is malformed"}},
}


def test_a_built_manifest_reads_back_as_written(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    manifest = read_manifest(build)
    assert manifest.build_id and build.name.endswith(manifest.build_id)
    raw = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert set(raw) == LAYOUT and set(raw["counts"]) == COUNTS
    assert IndexManifest.model_validate_json(manifest.to_json()) == manifest
    assert manifest.to_json() == (build / "manifest.json").read_text(encoding="utf-8")
    assert current_manifest(fake_built.index_dir) == manifest


def test_the_untyped_layout_reads_and_writes_back_the_same() -> None:
    manifest = IndexManifest.model_validate(UNTYPED)
    assert isinstance(manifest.sources["a.txt"], IndexedSource) and manifest.sources["a.txt"].passages == 4
    assert isinstance(manifest.sources["b.pdf"], SkippedSource)
    assert set(manifest.indexed()) == {"a.txt"} and manifest.skipped()["b.pdf"].reason == "the PDF is malformed"
    assert (manifest.model.name, manifest.model.dim, manifest.counts.sentences) == ("fake-hash", 64, 1)
    assert json.loads(manifest.to_json()) == UNTYPED


@pytest.mark.parametrize("text", [
    "not json",
    "[1, 2]",
    json.dumps({k: v for k, v in UNTYPED.items() if k != "model"}),
    json.dumps(UNTYPED | {"sources": {"a.txt": {"sha256": "x", "status": "lost"}}}),
    json.dumps(UNTYPED | {"counts": {"passages": "many"}}),
])
def test_a_manifest_that_does_not_fit_the_record_is_damage(fake_built, text: str) -> None:
    build = live_build(fake_built.index_dir)
    (build / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="manifest.json is damaged"):
        read_manifest(build)
    assert current_manifest(fake_built.index_dir) is None


def test_a_missing_manifest_is_reported(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    (build / "manifest.json").unlink()
    with pytest.raises(IndexCorruptError, match="manifest.json is missing"):
        read_manifest(build)
