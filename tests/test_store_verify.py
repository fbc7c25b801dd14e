"""Checking a build (indexer.store.verify): against the settings it was built with, and against its
checksums."""

from __future__ import annotations

import pytest

from indexer.embedding import FakeEmbedder
from indexer.store import IndexCorruptError, IndexMismatchError, live_build, open_index
from reportqa.cli import check_index
from retriever.retriever import Retriever


def test_index_built_with_other_chunker_is_refused(fake_built) -> None:
    other = fake_built.model_copy(update={"chunk_target_tokens": 61})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Retriever.open(other, embedder=FakeEmbedder())


def test_index_built_with_other_model_is_refused(fake_built) -> None:
    other = fake_built.model_copy(update={"embedder": "minilm"})
    with pytest.raises(IndexMismatchError, match="model fake-hash"):
        Retriever.open(other, embedder=FakeEmbedder())


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
