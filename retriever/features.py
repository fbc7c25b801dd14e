"""Reranking features: what the ranking stage knows about each first-stage candidate.

Every feature is computable offline (no cross-encoder runs here); they are declared, with their
meaning, in ``retriever.schema.Features``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportqa.records import Passage
from reportqa.text import match_key
from retriever.highlight import ScoredSentence
from retriever.query import stemmed_set
from retriever.schema import Features, SentenceFeatures


@dataclass
class Candidate:
    """A first-stage candidate with its raw scores and, once computed, its features."""

    idx: int
    passage: Passage
    fused: float
    dense: float
    lexical: float
    sentences: list[ScoredSentence]
    features: Features | None = None
    score: float = 0.0
    terms: frozenset[str] | None = None  # cached stemmed words of the passage, when available
    section_terms: frozenset[str] | None = None
    key: str | None = None
    question_dense: float = 0.0  # best question cosine (0 when the passage has none)
    question_lexical: float = 0.0  # best question bm25
    sentence_features: list[SentenceFeatures] | None = None  # what the sentence answer model read, per sentence


def extract_features(candidates: list[Candidate], terms: set[str], expansions: tuple[str, ...],
                     numbers: set[str], length_scale: float, colloquial: tuple[str, ...] = ()) -> None:
    """Fill ``candidate.features`` for every candidate (depends on the whole candidate set);
    ``length`` is log(characters) / ``length_scale`` (RankingConfig)."""
    best_lex = max((c.lexical for c in candidates), default=0.0) or 1.0
    best_fused = max((c.fused for c in candidates), default=0.0) or 1.0
    best_question = max((c.question_lexical for c in candidates), default=0.0) or 1.0
    expansion_keys = [match_key(e) for e in expansions if match_key(e)]
    colloquial_groups = [stemmed_set(c) for c in colloquial]
    for c in candidates:
        p = c.passage
        words = c.terms if c.terms is not None else stemmed_set(p.text)
        section_words = c.section_terms if c.section_terms is not None else stemmed_set(" ".join(p.section))
        cov = len(terms & words) / len(terms) if terms else 0.0
        key = (c.key if c.key is not None else match_key(p.text)) if expansion_keys or numbers else ""
        c.features = Features(
            dense=c.dense,
            lexical=c.lexical / best_lex,
            fused=c.fused / best_fused,
            best_sentence=max((s.cosine for s in c.sentences), default=c.dense),
            coverage=cov,
            section_match=len(terms & section_words) / len(terms) if terms else 0.0,
            acronym_match=float(any(k in key for k in expansion_keys)),
            colloquial_match=(sum(1 for g in colloquial_groups if g & words) / len(colloquial_groups)
                              if colloquial_groups else 0.0),
            table_row=float(p.kind == "table_row"),
            row_coverage=cov if p.kind == "table_row" else 0.0,
            table=float(p.kind == "table"),
            figure=float(p.kind == "figure"),
            number_match=float(bool(numbers) and any(match_key(n) in key for n in numbers)),
            length=math.log(max(len(p.text), 1)) / length_scale,
            question_dense=c.question_dense,
            question_lexical=c.question_lexical / best_question,
        )
