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
                 progress: bool = True) -> None:
        self.embedder = embedder
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
