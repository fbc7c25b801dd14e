"""Candidate generation, the second stage: lexical (bm25) + dense (FAISS) search, fused, within the
user's filters and exact phrases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from indexer.store import IndexReader
from reportqa.records import Passage
from reportqa.settings import CandidateConfig
from reportqa.text import words
from retriever.analysis import QueryAnalyser, QueryAnalysis
from retriever.dense import DenseSearcher
from retriever.fusion import Scored, fuse
from retriever.lexical import LexicalSearcher
from retriever.pipeline import Pipeline
from retriever.terms import TermCache


@dataclass(frozen=True)
class SearchFilters:
    """Restrict search to some reports and/or a section (by number or title prefix)."""

    doc_ids: frozenset[str] | None = None
    section_prefix: str | None = None
    exclude_passages: frozenset[str] | None = None  # passage ids left out (the weight fitting hides answers)

    def admits(self, passage: Passage) -> bool:
        if self.doc_ids and passage.doc_id not in self.doc_ids:
            return False
        if self.exclude_passages and passage.passage_id in self.exclude_passages:
            return False
        if self.section_prefix:
            prefix = self.section_prefix.strip().casefold()
            if not any(t.casefold().startswith(prefix) for t in passage.section) and \
                    not passage.section_label.casefold().startswith(prefix):
                return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.doc_ids) or bool(self.section_prefix) or bool(self.exclude_passages)


@dataclass(frozen=True)
class CandidateSet:
    """The fused first-stage list (best first, cut to the ranking depth), the lists it was fused
    from, and the query vector."""

    fused: Scored
    dense: Scored
    lexical: Scored
    vector: np.ndarray
    questions: bool = False  # the passage questions were matched
    question_lexical: np.ndarray | None = None  # each passage's best question bm25
    exclude: frozenset[int] = frozenset()  # question rows left out (weight fitting)


class CandidateGenerator:
    """Finds first-stage candidates for an analysed query."""

    def __init__(self, reader: IndexReader, analyser: QueryAnalyser, terms: TermCache,
                 encode: Callable[[str], np.ndarray], config: CandidateConfig) -> None:
        self.reader = reader
        self.analyser = analyser
        self.terms = terms
        self.encode = encode
        self.config = config
        self.lexical = LexicalSearcher(reader)
        self.dense = DenseSearcher(reader, config.hnsw_ef_search, config.dense_sentences, config.dense_rescore_depth,
                                   config.question_depth)

    def generate(self, analysis: QueryAnalysis, filters: SearchFilters | None, pipeline: Pipeline,
                 depth: int, exclude: frozenset[int] = frozenset()) -> CandidateSet | None:
        """The candidates, or None when the query has no words or the filters admit nothing.
        Question rows in ``exclude`` are left out (the weight fitting asks a passage question
        without its own row)."""
        if analysis.empty:
            return None
        allowed = self._allowed(analysis, filters)
        if allowed is not None and not allowed:
            return None
        c = self.config
        vector = self.encode(analysis.dense_text)
        groups = [(self.analyser.selective(tuple(words(" ".join(analysis.added))), c.lexical_min_idf, keep=0),
                   c.acronym_weight),
                  (self.analyser.selective(tuple(words(" ".join(analysis.colloquial))), c.lexical_min_idf, keep=0),
                   c.colloquial_weight)]
        tokens = self.analyser.selective(analysis.parsed.words, c.lexical_min_idf)
        questions = pipeline.questions and c.passage_questions and len(self.reader.questions) > 0
        question_lexical = self.lexical.question_scores(tokens, exclude) if questions else None
        lexical = self.lexical.search(tokens, groups, c.lexical_candidates, allowed, question_lexical,
                                      c.question_lexical_weight) if pipeline.lexical else []
        dense = self.dense.search(vector, c.dense_candidates, allowed, questions, exclude) if pipeline.dense else []
        if pipeline.lexical and pipeline.dense:
            fused = fuse(pipeline.fusion or c.fusion, dense, lexical, c)
        else:
            fused = lexical or dense
        return CandidateSet(fused[:depth], dense, lexical, vector, questions, question_lexical, exclude)

    def _allowed(self, analysis: QueryAnalysis, filters: SearchFilters | None) -> set[int] | None:
        allowed: set[int] | None = None
        if filters is not None and filters.active:
            allowed = {i for i, p in enumerate(self.reader.passages) if filters.admits(p)}
        query = analysis.parsed
        if query.is_phrase_search:
            found = self.lexical.phrase_matches(query.phrases)
            exact = {i for i in found if all(k in self.terms.passage_key(i) for k in query.phrase_keys)}
            if exact:  # a quoted phrase the reports never use is searched as plain words
                allowed = exact if allowed is None else allowed & exact
        return allowed
