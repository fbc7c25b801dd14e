"""The embedding cache (indexer.store.cache): vectors of unchanged text are reused, whatever the format."""

from __future__ import annotations

import json

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.store import live_build, open_index
from indexer.store.cache import cache_key, read_embedding_cache


def test_format_change_reuses_stored_embeddings(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1  # as if built by an older version of ReportQA
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    embedder = FakeEmbedder()
    report = build_index(fake_built, embedder=embedder, progress=False)
    assert not report.up_to_date and report.embedded == 0 and report.reused > 0


def test_a_key_names_the_model_and_the_text() -> None:
    assert cache_key("m", "text") == cache_key("m", "text")
    assert len({cache_key("m", "text"), cache_key("n", "text"), cache_key("m", "texts")}) == 3


def test_stored_vectors_are_read_back_by_key_in_batches(fake_built, monkeypatch) -> None:
    reader = open_index(fake_built.index_dir)
    keys = [row[0] for row in reader.connection().execute("SELECT key FROM embedding_cache ORDER BY key")]
    monkeypatch.setattr("indexer.store.cache.LOOKUP_BATCH", 7)  # several batches, the last one short
    assert len(keys) > 14 and len(keys) % 7
    found = read_embedding_cache(fake_built.index_dir, keys + ["no-such-key"])
    assert set(found) == set(keys) and all(v.shape == (64,) for v in found.values())


def test_a_cache_that_fails_its_checksum_is_not_used(fake_built) -> None:
    build = live_build(fake_built.index_dir)
    keys = [row[0] for row in open_index(fake_built.index_dir).connection().execute("SELECT key FROM embedding_cache")]
    with (build / "index.sqlite").open("ab") as fh:
        fh.write(b"\0")  # one byte more: no longer the file the manifest vouches for
    assert read_embedding_cache(fake_built.index_dir, keys) == {}
    assert read_embedding_cache(fake_built.index_dir / "nowhere", keys) == {}
