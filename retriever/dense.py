"""Dense search: passages nearest the query vector, by cosine (inner product of normalised vectors).

A passage scores the better of its own cosine and its best sentence's cosine. MiniLM squeezes a
150-token passage into one vector, so a passage whose answer is one sentence among several other
topics can sit far from the question; its sentence vector does not (on dev: dense Hit@5 0.74 →
0.86, see eval/NOTES.md). FAISS finds the ``rescore_depth`` nearest passage vectors; those are
rescored with their sentence vectors (stored by the indexer for highlighting), so the cost does not
grow with the corpus.

A passage with passage questions (indexer.passage_questions) also scores by its best question's
cosine: the nearest questions are found in a FAISS index of their own and mapped back to their
passages, so a user's everyday wording meets the question written in it.
"""

from __future__ import annotations

import faiss
import numpy as np

from indexer.store import IndexReader

Scored = list[tuple[int, float]]


class DenseSearcher:
    """Searches the index's passage vectors in FAISS, and rescores them by sentence vectors."""

    def __init__(self, reader: IndexReader, ef_search: int = 96, sentence_level: bool = True,
                 rescore_depth: int = 200, question_depth: int = 100) -> None:
        self.reader = reader
        self.index = reader.faiss
        if hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = ef_search
        self.ef_search = ef_search
        self.sentence_level = sentence_level and len(reader.sentence_vectors) > 0
        self.rescore_depth = rescore_depth
        self.question_depth = question_depth
        questions = np.ascontiguousarray(reader.question_vectors, dtype=np.float32)
        self.question_index = faiss.IndexFlatIP(questions.shape[1] if questions.ndim == 2 else reader.dim)
        if len(questions):
            self.question_index.add(questions)
        owners = np.asarray(reader.questions.passage_idx, dtype=np.int64)
        self._question_owner = owners
        self._by_passage = np.argsort(owners, kind="stable")  # question rows grouped by passage
        self._first = np.searchsorted(owners[self._by_passage], np.arange(len(reader.passages) + 1))

    def search(self, vector: np.ndarray, limit: int = 50, allowed: set[int] | None = None,
               questions: bool = False, exclude: frozenset[int] = frozenset()) -> Scored:
        """The ``limit`` nearest passages to ``vector``, optionally only among ``allowed``; with
        ``questions``, a passage also scores its best question's cosine (rows in ``exclude``
        left out)."""
        n = self.index.ntotal
        if n == 0 or limit <= 0 or (allowed is not None and not allowed):
            return []
        if not self.sentence_level and not questions:
            return self._passage_search(vector, limit, allowed)
        hits = self._passage_search(vector, max(limit, self.rescore_depth), allowed)
        idxs = [i for i, _ in hits]
        scores = np.array([s for _, s in hits], dtype=np.float32)
        if self.sentence_level:
            scores = np.maximum(scores, self._best_sentence(vector, idxs))
        if questions and self.question_index.ntotal:
            best = dict(zip(idxs, scores.tolist()))
            for idx, score in self._question_search(vector, allowed, exclude).items():
                best[idx] = max(best.get(idx, -np.inf), score)
            idxs = list(best)
            scores = np.array([best[i] for i in idxs], dtype=np.float32)
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

    def question_cosines(self, vector: np.ndarray, idxs: list[int], exclude: frozenset[int] = frozenset()
                         ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For each passage of ``idxs`` that has questions (rows in ``exclude`` left out): its
        question rows and their cosines with the query."""
        vectors = self.reader.question_vectors
        query = vector.astype(np.float32)
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for idx in idxs:
            rows = [int(r) for r in self._by_passage[self._first[idx]:self._first[idx + 1]] if int(r) not in exclude]
            if rows:
                out[idx] = np.asarray(rows, dtype=np.int64), np.einsum("ij,j->i", vectors[rows], query)
        return out

    def best_question(self, vector: np.ndarray, idxs: list[int], exclude: frozenset[int] = frozenset()
                      ) -> np.ndarray:
        """Each passage's best question cosine (-inf for a passage without questions)."""
        cosines = self.question_cosines(vector, idxs, exclude)
        return np.array([float(np.max(cosines[i][1])) if i in cosines else -np.inf for i in idxs], dtype=np.float32)

    def _question_search(self, vector: np.ndarray, allowed: set[int] | None,
                         exclude: frozenset[int]) -> dict[int, float]:
        """The best question cosine of the passages owning the nearest questions."""
        k = min(self.question_index.ntotal, self.question_depth + len(exclude))
        scores, rows = self.question_index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), k)
        out: dict[int, float] = {}
        for row, score in zip(rows[0], scores[0]):
            if row < 0 or int(row) in exclude:
                continue
            idx = int(self._question_owner[row])
            if (allowed is None or idx in allowed) and score > out.get(idx, -np.inf):
                out[idx] = float(score)
        return out

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
