"""Reading a build (indexer.store.reader): a missing index is reported, a served build is read-only and
its parts line up, and a file changed after opening is noticed."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from indexer.store import CURRENT_FILE, IndexCorruptError, IndexMissingError, open_index


def test_missing_index_is_reported(tmp_path: Path, corpus_copy: Path) -> None:
    with pytest.raises(IndexMissingError, match="reportqa index"):
        open_index(tmp_path / "nowhere")


def test_index_database_is_read_only_while_served(fake_built) -> None:
    reader = open_index(fake_built.index_dir)
    with pytest.raises(sqlite3.OperationalError):
        reader.connection().execute("DELETE FROM passages")
    assert os.access(reader.build / "index.sqlite", os.R_OK)
    shutil.rmtree(reader.build)  # a server keeps working from what it loaded
    assert reader.passages


def test_a_reader_holds_the_build_aligned(fake_built) -> None:
    """Passages, sentence spans and vectors line up, and the typed manifest describes them."""
    reader = open_index(fake_built.index_dir)
    assert reader.dim == reader.manifest.model.dim == reader.sentence_vectors.shape[1] == 64
    assert len(reader.passages) == reader.faiss.ntotal == reader.manifest.counts.passages
    assert len(reader.sentence_vectors) == reader.manifest.counts.sentences == int(reader.sentences.count.sum())
    for idx, passage in enumerate(reader.passages):
        assert reader.passage(passage.passage_id) is passage
        spans = reader.sentence_spans(idx)
        assert spans and all(0 <= s < e <= len(passage.text) for s, e in spans)
    assert reader.passage("no-such-id") is None
    assert {d.meta.doc_id for d in reader.documents.values()} == {p.doc_id for p in reader.passages}


def test_a_pointer_to_a_missing_build_is_reported(fake_built) -> None:
    (fake_built.index_dir / CURRENT_FILE).write_text("build-gone\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="build-gone named by .*CURRENT is missing"):
        open_index(fake_built.index_dir)


def test_a_file_changed_after_opening_is_noticed(fake_built) -> None:
    reader = open_index(fake_built.index_dir)
    assert reader.damage() is None
    with (reader.build / "sentences.npy").open("ab") as fh:
        fh.write(b"\0")
    assert reader.damage() == "index files changed on disk since they were verified: sentences.npy"
