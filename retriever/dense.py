"""Dense search: nearest passage vectors in FAISS by inner product (cosine on normalised vectors)."""

from __future__ import annotations

import faiss
import numpy as np

from indexer.store import IndexReader

Scored = list[tuple[int, float]]


class DenseSearcher:
    """Searches the index's FAISS passage vectors."""

    def __init__(self, reader: IndexReader, ef_search: int = 96) -> None:
        self.reader = reader
        self.index = reader.faiss
        if hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = ef_search
        self.ef_search = ef_search

    def search(self, vector: np.ndarray, limit: int = 50, allowed: set[int] | None = None) -> Scored:
        """The ``limit`` nearest passages to ``vector``, optionally only among ``allowed``."""
        n = self.index.ntotal
        if n == 0 or limit <= 0 or (allowed is not None and not allowed):
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        k = min(limit, n if allowed is None else len(allowed))
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64))
            if hasattr(self.index, "hnsw"):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(query, k, params=params) if params else self.index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def similarity(self, vector: np.ndarray, idxs: list[int]) -> dict[int, float]:
        """Cosine of ``vector`` with the given passages (exact, from stored vectors)."""
        if not idxs:
            return {}
        stored = np.stack([self.index.reconstruct(int(i)) for i in idxs])
        return dict(zip(idxs, (stored @ vector.astype(np.float32)).tolist()))
