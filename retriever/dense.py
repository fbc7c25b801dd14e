"""Dense search: passages nearest the query vector, by cosine (inner product of normalised vectors).

A passage scores the better of its own cosine and its best sentence's cosine. MiniLM squeezes a
150-token passage into one vector, so a passage whose answer is one sentence among several other
topics can sit far from the question; its sentence vector does not (on dev: dense Hit@5 0.74 →
0.86, see eval/NOTES.md). Passage vectors are searched in FAISS; sentence vectors (stored by the
indexer for highlighting) are scanned exactly.
"""

from __future__ import annotations

import faiss
import numpy as np

from indexer.store import IndexReader

Scored = list[tuple[int, float]]


class DenseSearcher:
    """Searches the index's passage vectors in FAISS, and its sentence vectors."""

    def __init__(self, reader: IndexReader, ef_search: int = 96, sentence_level: bool = True) -> None:
        self.reader = reader
        self.index = reader.faiss
        if hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = ef_search
        self.ef_search = ef_search
        self.sentence_level = sentence_level and len(reader.sentence_vectors) > 0
        self.counts = np.asarray(reader.sentences.count, dtype=np.int64)
        self.with_sentences = np.flatnonzero(self.counts)
        self.firsts = np.asarray(reader.sentences.first, dtype=np.int64)[self.with_sentences]

    def search(self, vector: np.ndarray, limit: int = 50, allowed: set[int] | None = None) -> Scored:
        """The ``limit`` nearest passages to ``vector``, optionally only among ``allowed``."""
        n = self.index.ntotal
        if n == 0 or limit <= 0 or (allowed is not None and not allowed):
            return []
        passage_hits = self._passage_search(vector, limit, allowed)
        if not self.sentence_level:
            return passage_hits
        sentence_cosines = self._sentence_cosines(vector)
        best = self._best_sentence(sentence_cosines)
        if allowed is not None:
            candidates = np.fromiter(allowed, dtype=np.int64)
            best_allowed = best[candidates]
        else:
            candidates, best_allowed = np.arange(len(best)), best
        # the top ``limit`` by max(passage, sentence) lie within the top ``limit`` of each
        k = min(limit, len(candidates))
        top = candidates[np.argpartition(-best_allowed, k - 1)[:k]]
        pool = sorted({i for i, _ in passage_hits} | {int(i) for i in top if np.isfinite(best[i])})
        scores = np.maximum(self._passage_cosines(vector, pool), best[pool])
        order = np.lexsort((pool, -scores))[:limit]
        return [(pool[j], float(scores[j])) for j in order]

    def similarity(self, vector: np.ndarray, idxs: list[int]) -> dict[int, float]:
        """Dense scores of the given passages (exact, from stored vectors)."""
        if not idxs:
            return {}
        scores = self._passage_cosines(vector, idxs)
        if self.sentence_level:
            sentence_cosines = self._sentence_cosines(vector)
            scores = np.maximum(scores, self._best_sentence(sentence_cosines)[idxs])
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
        scores, ids = self.index.search(query, k, params=params) if params else self.index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _passage_cosines(self, vector: np.ndarray, idxs: list[int]) -> np.ndarray:
        stored = self.index.reconstruct_batch(np.asarray(idxs, dtype=np.int64))
        return stored @ vector.astype(np.float32)

    def _sentence_cosines(self, vector: np.ndarray) -> np.ndarray:
        # einsum, not BLAS: a multi-threaded BLAS matrix-vector product leaves threads spinning
        # that slow the next query encoding threefold on 2 cores (measured: 8 ms → 25 ms)
        return np.einsum("ij,j->i", self.reader.sentence_vectors, vector.astype(np.float32))

    def _best_sentence(self, sentence_cosines: np.ndarray) -> np.ndarray:
        """Each passage's best sentence cosine (-inf for a passage without sentences)."""
        best = np.full(len(self.counts), -np.inf, dtype=np.float32)
        if self.with_sentences.size:
            best[self.with_sentences] = np.maximum.reduceat(sentence_cosines, self.firsts)
        return best
