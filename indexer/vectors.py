"""The vectors of a build: one per passage, one per passage sentence (a one-sentence passage reuses
its own) and one per passage question (embedded as a query), each taken from the previous build's
embedding cache when its text is unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.chunking import ChunkedPassage
from indexer.embedding import Embedder, EmbedderSpec
from indexer.store.cache import cache_key, read_embedding_cache
from reportqa.text import words


@dataclass
class BuildVectors:
    """The vectors a build stores, the cache to store with them, and what was embedded or reused."""

    passages: np.ndarray
    sentences: np.ndarray
    questions: np.ndarray
    cache: dict[str, np.ndarray]
    embedded: int = 0
    reused: int = 0


class VectorMaker:
    """Embeds a build's texts with ``embedder``, reusing the vectors cached in ``index_dir``'s live build."""

    def __init__(self, embedder: Embedder, spec: EmbedderSpec, index_dir: Path, batch_size: int,
                 progress: bool = True, bare_words: int = 8) -> None:
        self.embedder = embedder
        self.bare_words = bare_words  # ChunkerConfig.table_line_bare_words
        self.spec = spec
        self.index_dir = index_dir
        self.batch_size = batch_size
        self.progress = progress

    def vectors(self, chunked: list[ChunkedPassage], questions: list[str], use_cache: bool = True) -> BuildVectors:
        """Passage vectors, sentence vectors (a one-sentence passage reuses its own vector),
        passage-question vectors (embedded as queries), and the embedding cache to store."""
        own = [len(c.sentences) == 1 and c.sentences[0] == (0, len(c.passage.text)) for c in chunked]
        sentence_texts = [c.passage.text[s:e] for c, single in zip(chunked, own) if not single for s, e in c.sentences]
        texts = [self.spec.passage_prefix + t for t in [c.embed_text for c in chunked] + sentence_texts]
        texts += [self.spec.query_prefix + q for q in questions]
        vectors, cache, embedded, reused = self.embed(texts, use_cache)
        dim = vectors.shape[1] if len(vectors) else self.embedder.dim
        passage_vectors = vectors[: len(chunked)]
        question_vectors = vectors[len(texts) - len(questions):] if questions else np.zeros((0, dim), np.float32)
        extra = iter(vectors[len(chunked):len(texts) - len(questions)])
        rows = []
        for c, single, vector in zip(chunked, own, passage_vectors):
            rows.extend([vector] if single else [next(extra) for _ in c.sentences])
        for line, row in table_lines_as_rows(chunked, self.bare_words).items():
            rows[line] = passage_vectors[row]
        sentence_vectors = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
        return BuildVectors(passage_vectors, sentence_vectors, question_vectors, cache, embedded, reused)

    def embed(self, texts: list[str], use_cache: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray], int, int]:
        """Vectors for ``texts``, taking unchanged ones from the previous build's cache (only from a
        build that verifies against its checksums); also the cache to store, and how many distinct
        texts were embedded and reused."""
        name = self.embedder.name
        keys = [cache_key(name, t) for t in texts]
        cached: dict[str, np.ndarray] = {}
        if use_cache:
            cached = read_embedding_cache(self.index_dir, sorted(set(keys)))
            cached = {k: v for k, v in cached.items() if len(v) == self.embedder.dim}
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
        if missing:
            fresh = self.embedder.embed([t for _, t in missing], batch_size=self.batch_size, progress=self.progress)
            cached.update({k: v for (k, _), v in zip(missing, fresh)})
        dim = self.embedder.dim
        vectors = np.stack([cached[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
        distinct = sorted(set(keys))  # in order, so that two builds of one corpus write the same database
        return vectors, {k: cached[k] for k in distinct}, len(missing), len(distinct) - len(missing)


def table_lines_as_rows(chunked: list[ChunkedPassage], bare_words: int) -> dict[int, int]:
    """Which sentence of the build (numbered across all passages, as stored) is a bare line of a table
    passage (fewer than ``bare_words`` words) that is also a table-row passage, and that row passage's
    number. A bare line
    ("Northern\t41 (32%)") means little without its caption and column headers, which its row passage
    carries ("Table 3. … — Force area: Northern; Orders recorded: 41 (32%)"); so the line takes the row
    passage's vector, and a figure question finds the line that answers it rather than the header that
    shares its words. A row is the one of the same report, inside the table's span, that holds every
    cell of the line in order. A longer line (a measure and its description) says enough on its own:
    its row's caption and headers would only dilute it."""
    rows_of: dict[str, list[int]] = {}
    for n, c in enumerate(chunked):
        if c.passage.kind == "table_row":
            rows_of.setdefault(c.passage.doc_id, []).append(n)
    out: dict[int, int] = {}
    sentence = 0
    for c in chunked:
        table = c.passage
        if table.kind == "table":
            inside = [n for n in rows_of.get(table.doc_id, [])
                      if table.start <= chunked[n].passage.start and chunked[n].passage.end <= table.end]
            for k, (s, e) in enumerate(c.sentences):
                line = table.text[s:e]
                if len(words(line)) >= bare_words:
                    continue
                cells = [cell.strip() for cell in line.split("\t") if cell.strip()]
                row = next((n for n in inside if cells and _holds_in_order(chunked[n].passage.text, cells)), None)
                if row is not None:
                    out[sentence + k] = row
        sentence += len(c.sentences)
    return out


def _holds_in_order(text: str, cells: list[str]) -> bool:
    """``text`` (a rendered row, 'Context — Header: value; Header: value') holds each of ``cells`` as a
    value, in order: each ends a 'Header: value' part (followed by '; ' or the end), so that a header
    line, whose cells are the header names, matches no row."""
    at = 0
    for cell in cells:
        while True:
            at = text.find(cell, at)
            if at < 0:
                return False
            at += len(cell)
            if at == len(text) or text.startswith("; ", at):
                break
    return True
