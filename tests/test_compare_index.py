"""Comparing two builds (bench/compare_index.py): two builds of one corpus are identical, whatever their
ids, times and bm25 vocabulary order; a changed passage, vector or count is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from bench.compare_index import differences, main
from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.store import open_index
from tests.conftest import fake_settings


def test_two_builds_of_one_corpus_are_identical(fake_built, tmp_path: Path) -> None:
    again = fake_settings(fake_built.corpus_dir, tmp_path / "again")
    build_index(again, embedder=FakeEmbedder(), progress=False)
    assert differences(open_index(fake_built.index_dir), open_index(again.index_dir)) == []
    assert main([str(fake_built.index_dir), str(again.index_dir)]) == 0


def test_a_changed_passage_and_its_vectors_are_reported(fake_built, tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "changed"
    shutil.copytree(fake_built.corpus_dir, corpus)
    path = corpus / "beta-survey.md"
    text = path.read_text(encoding="utf-8").replace("how they disrupt abuse", "how they disrupt minicab abuse")
    path.write_text(text, encoding="utf-8")
    other = fake_settings(corpus, tmp_path / "other")
    build_index(other, embedder=FakeEmbedder(), progress=False)
    found = differences(open_index(fake_built.index_dir), open_index(other.index_dir))
    assert any(line.startswith("passages: ") and "minicab" in line for line in found)
    assert any(line.startswith("passages vectors: largest difference") for line in found)
    assert any(line.startswith("manifest sources") for line in found)  # the file's checksum changed
    assert main([str(fake_built.index_dir), str(other.index_dir)]) == 1
    assert "differences" in capsys.readouterr().out


def test_vectors_are_compared_to_a_millionth(fake_built, monkeypatch) -> None:
    reader, same = open_index(fake_built.index_dir), open_index(fake_built.index_dir)
    same.sentence_vectors = same.sentence_vectors + np.float32(1e-7)
    assert differences(reader, same) == []
    same.sentence_vectors = same.sentence_vectors + np.float32(1e-3)
    assert differences(reader, same) == ["sentences vectors: largest difference 1.00e-03"]
