"""Dense search: passages nearest the query vector, by cosine (inner product of normalised vectors).

A passage scores the better of its own cosine and its best sentence's cosine. MiniLM squeezes a
150-token passage into one vector, so a passage whose answer is one sentence among several other
topics can sit far from the question; its sentence vector does not (on dev: dense Hit@5 0.74 →
0.86, see eval/NOTES.md). FAISS finds the ``rescore_depth`` nearest passage vectors; those are
rescored with their sentence vectors (stored by the indexer for highlighting), so the cost does not
grow with the corpus.
"""

from __future__ import annotations

import faiss
import numpy as np

from indexer.store import IndexReader

Scored = list[tuple[int, float]]


class DenseSearcher:
    """Searches the index's passage vectors in FAISS, and rescores them by sentence vectors."""

    def __init__(self, reader: IndexReader, ef_search: int = 96, sentence_level: bool = True,
                 rescore_depth: int = 200) -> None:
        self.reader = reader
        self.index = reader.faiss
        if hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = ef_search
        self.ef_search = ef_search
        self.sentence_level = sentence_level and len(reader.sentence_vectors) > 0
        self.rescore_depth = rescore_depth

    def search(self, vector: np.ndarray, limit: int = 50, allowed: set[int] | None = None) -> Scored:
        """The ``limit`` nearest passages to ``vector``, optionally only among ``allowed``."""
        n = self.index.ntotal
        if n == 0 or limit <= 0 or (allowed is not None and not allowed):
            return []
        if not self.sentence_level:
            return self._passage_search(vector, limit, allowed)
        hits = self._passage_search(vector, max(limit, self.rescore_depth), allowed)
        idxs = [i for i, _ in hits]
        scores = np.maximum(np.array([s for _, s in hits], dtype=np.float32), self._best_sentence(vector, idxs))
        order = np.lexsort((idxs, -scores))[:limit]
        return [(idxs[j], float(scores[j])) for j in order]

    def similarity(self, vector: np.ndarray, idxs: list[int]) -> dict[int, float]:
        """Dense scores of the given passages (exact, from stored vectors)."""
        if not idxs:
            return {}
        stored = self.index.reconstruct_batch(np.asarray(idxs, dtype=np.int64))
        scores = stored @ vector.astype(np.float32)
        if self.sentence_level:
            scores = np.maximum(scores, self._best_sentence(vector, idxs))
        return dict(zip(idxs, scores.tolist()))

    # --- helpers -------------------------------------------------------------------------------------
    def _passage_search(self, vector: np.ndarray, limit: int, allowed: set[int] | None) -> Scored:
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        k = min(limit, self.index.ntotal if allowed is None else len(allowed))
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64))
            if hasattr(self.index, "hnsw"):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif hasattr(self.index, "hnsw") and k > self.ef_search:
            params = faiss.SearchParametersHNSW(efSearch=k)
        scores, ids = self.index.search(query, k, params=params) if params else self.index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _best_sentence(self, vector: np.ndarray, idxs: list[int]) -> np.ndarray:
        """Each passage's best sentence cosine (-inf for a passage without sentences)."""
        sentences = self.reader.sentences
        firsts = np.asarray(sentences.first, dtype=np.int64)[idxs]
        counts = np.asarray(sentences.count, dtype=np.int64)[idxs]
        best = np.full(len(idxs), -np.inf, dtype=np.float32)
        has = counts > 0
        if not has.any():
            return best
        rows = np.concatenate([np.arange(f, f + c) for f, c in zip(firsts[has], counts[has])])
        # einsum, not BLAS: a multi-threaded BLAS product leaves threads spinning that slowed the
        # next query encoding threefold on 2 cores (measured: 8 ms → 25 ms)
        cosines = np.einsum("ij,j->i", np.asarray(self.reader.sentence_vectors)[rows], vector.astype(np.float32))
        starts = np.concatenate([[0], np.cumsum(counts[has])[:-1]])
        best[has] = np.maximum.reduceat(cosines, starts)
        return best
