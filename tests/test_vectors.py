"""The vectors of a build (indexer.vectors): one per passage, one per sentence (a one-sentence passage
reuses its own), one per passage question embedded as a query, and unchanged text taken from the cache."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from indexer.build import BuildReport, IndexBuilder
from indexer.chunking import ChunkedPassage
from indexer.corpus import discover
from indexer.embedding import EMBEDDERS, FakeEmbedder
from indexer.store import open_index
from indexer.vectors import VectorMaker
from reportqa.records import Passage


def chunked(text: str, spans: list[tuple[int, int]], pid: str) -> ChunkedPassage:
    return ChunkedPassage(Passage(pid, "d", "text", ("1. S",), 0, len(text), text), f"S\n{text}", spans)


ONE = chunked("Warning notices break contact.", [(0, 30)], "d-1")
TWO = chunked("Orders restrict activity. Breaches are followed up.", [(0, 25), (26, 51)], "d-2")


class Recording(FakeEmbedder):
    """The fake embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts, batch_size=32, progress=False):
        self.texts += texts
        return super().embed(texts, batch_size, progress)


def test_passages_sentences_and_questions_each_get_their_vectors(tmp_path: Path) -> None:
    embedder = Recording()
    spec = replace(EMBEDDERS["fake"], query_prefix="query: ", passage_prefix="passage: ")
    built = VectorMaker(embedder, spec, tmp_path, 8, progress=False).vectors([ONE, TWO], ["can we warn them?"])
    assert built.passages.shape == (2, 64) and built.questions.shape == (1, 64)
    assert built.sentences.shape == (3, 64)  # ONE's own vector, then TWO's two sentences
    assert np.array_equal(built.sentences[0], built.passages[0])
    assert np.allclose(built.sentences[1], embedder.embed(["passage: Orders restrict activity."])[0])
    assert np.allclose(built.questions[0], embedder.embed(["query: can we warn them?"])[0])
    assert "passage: S\nWarning notices break contact." in embedder.texts  # the embed text, section first
    assert (built.embedded, built.reused) == (5, 0) and len(built.cache) == 5


def test_unchanged_text_comes_from_the_previous_build(fake_built) -> None:
    """The fixture corpus chunked again: every vector is read from the live build's cache, equal to the
    stored one, and nothing is embedded; without the cache, everything is."""
    builder = IndexBuilder(fake_built, FakeEmbedder(), progress=False)
    reports = builder.chunk(builder.read(discover(fake_built.corpus_dir), BuildReport(fake_built.index_dir)).reports)
    passages = [c for r in reports for c in r.passages]
    embedder = Recording()
    maker = VectorMaker(embedder, EMBEDDERS["fake"], fake_built.index_dir, 8, progress=False)
    built = maker.vectors(passages, [])
    reader = open_index(fake_built.index_dir)
    assert built.embedded == 0 and built.reused == len(built.cache) > 0 and embedder.texts == []
    assert np.array_equal(built.passages, reader.faiss.reconstruct_n(0, reader.faiss.ntotal))
    assert np.array_equal(built.sentences, reader.sentence_vectors)
    assert maker.vectors(passages, [], use_cache=False).embedded == len(built.cache)


def test_an_empty_build_has_empty_vectors(tmp_path: Path) -> None:
    built = VectorMaker(FakeEmbedder(), EMBEDDERS["fake"], tmp_path, 8, progress=False).vectors([], [])
    assert built.passages.shape[0] == built.sentences.shape[0] == built.questions.shape[0] == 0
    assert built.sentences.shape[1] == built.questions.shape[1] == 64


def _table_chunks() -> list[ChunkedPassage]:
    text = "Table 3. Orders by area\nArea\tOrders\nNorthern\t41 (32%)\nSouthern\t17 (13%)"
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, at + len(line)))
        at += len(line) + 1
    table = ChunkedPassage(Passage("d-t", "d", "table", ("3. R",), 100, 180, text), text, lines)
    rendered = [(140, "Table 3. Orders by area — Area: Northern; Orders: 41 (32%)"),
                (157, "Table 3. Orders by area — Area: Southern; Orders: 17 (13%)")]
    rows = [ChunkedPassage(Passage(f"d-r{n}", "d", "table_row", ("3. R",), start, start + 16, row), row,
                           [(0, len(row))]) for n, (start, row) in enumerate(rendered)]
    return [TWO, table, *rows]


def test_a_table_line_takes_its_row_passages_vector_and_the_header_none() -> None:
    from indexer.vectors import table_lines_as_rows

    built = _table_chunks()
    # sentences are numbered across passages: TWO has 2, the table's caption 2, header 3, rows 4 and 5
    assert table_lines_as_rows(built, 8) == {4: 2, 5: 3}
    assert table_lines_as_rows(built, 2) == {}, "a line of two words or more says enough here"
    maker = VectorMaker(FakeEmbedder(), EMBEDDERS["fake"], Path("/nonexistent"), batch_size=8, progress=False)
    vectors = maker.vectors(built, [], use_cache=False)
    assert np.allclose(vectors.sentences[4], vectors.passages[2])
    assert np.allclose(vectors.sentences[5], vectors.passages[3])
    assert not np.allclose(vectors.sentences[3], vectors.passages[2]), "the header line keeps its own vector"
