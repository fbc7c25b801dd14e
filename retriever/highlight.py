"""Evidence highlighting: score a passage's sentences against the query and pick the 1–2 that
best answer it, as character spans on sentence boundaries. Used by search, ask, web and CLI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import IndexReader
from retriever.query import stemmed_set

LEXICAL_WEIGHT = 0.3
SECOND_SENTENCE_RATIO = 0.9


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a passage with its similarity to the query."""

    passage_idx: int
    start: int
    end: int
    cosine: float
    coverage: float

    @property
    def score(self) -> float:
        return self.cosine + LEXICAL_WEIGHT * self.coverage


def coverage(terms: set[str], text: str) -> float:
    """Share of the query's stemmed content terms that occur in ``text``."""
    return len(terms & stemmed_set(text)) / len(terms) if terms else 0.0


def score_sentences(reader: IndexReader, idx: int, query_vector: np.ndarray, terms: set[str],
                    sentence_terms=None) -> list[ScoredSentence]:
    """Every sentence of passage ``idx``, scored (in passage order). ``sentence_terms(idx, start,
    end)`` may supply cached stemmed word sets."""
    first, count = int(reader.sentences.first[idx]), int(reader.sentences.count[idx])
    if count == 0:
        return []
    vectors = np.asarray(reader.sentence_vectors[first:first + count])
    cosines = vectors @ query_vector.astype(np.float32)
    text = reader.passages[idx].text
    out = []
    for k in range(count):
        s, e = int(reader.sentences.start[first + k]), int(reader.sentences.end[first + k])
        if sentence_terms is not None and terms:
            share = len(terms & sentence_terms(idx, s, e)) / len(terms)
        else:
            share = coverage(terms, text[s:e])
        out.append(ScoredSentence(idx, s, e, float(cosines[k]), share))
    return out


def evidence_spans(sentences: list[ScoredSentence], limit: int = 2) -> list[tuple[int, int]]:
    """The best sentence, plus the runner-up when it scores nearly as well (in text order)."""
    if not sentences:
        return []
    ranked = sorted(sentences, key=lambda s: -s.score)
    chosen = [ranked[0]]
    for s in ranked[1:limit]:
        if s.score >= SECOND_SENTENCE_RATIO * ranked[0].score and s.score > 0:
            chosen.append(s)
    return sorted((s.start, s.end) for s in chosen)
