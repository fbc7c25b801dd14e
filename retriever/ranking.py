"""Ranking, the third stage: each candidate's sentences are scored and its features computed, the
fitted reranker orders them, near-duplicates collapse, and the evidence sentences are highlighted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from indexer.store import IndexReader
from reportqa.settings import RankingConfig
from retriever.analysis import QueryAnalysis
from retriever.candidates import CandidateSet
from retriever.dedup import collapse
from retriever.dense import DenseSearcher
from retriever.features import Candidate, extract_features
from retriever.fusion import strictly_decreasing
from retriever.highlight import ScoredSentence, evidence_spans, score_sentences
from retriever.pipeline import Pipeline
from retriever.results import Hit
from retriever.schema import Features
from retriever.sentence_model import SentenceScorer
from retriever.terms import TermCache
from retriever.weights import FittedWeights


@dataclass(frozen=True)
class Ranking:
    """Ranked hits (at least ``RankingConfig.min_ranked_hits``), with each hit's scored sentences and features."""

    hits: list[Hit]
    sentences: dict[str, list[ScoredSentence]]  # by passage id
    features: dict[str, Features]  # by passage id


class Ranker:
    """Turns a candidate set into ranked, highlighted hits."""

    def __init__(self, reader: IndexReader, dense: DenseSearcher, terms: TermCache, weights: FittedWeights,
                 config: RankingConfig, doc_title: Callable[[str], str], sentences: SentenceScorer) -> None:
        self.reader = reader
        self.dense = dense
        self.terms = terms
        self.weights = weights
        self.config = config
        self.doc_title = doc_title
        self.sentences = sentences

    def candidates(self, found: CandidateSet, analysis: QueryAnalysis) -> list[Candidate]:
        """The candidates with their sentences scored by the sentence answer model, and their
        features (before reranking)."""
        idxs = [i for i, _ in found.fused]
        questions = self.dense.question_cosines(found.vector, idxs, found.exclude) if found.questions else {}
        question_dense = np.array([float(np.max(questions[i][1])) if i in questions else -np.inf for i in idxs])
        dense_scores = dict(found.dense)
        best_question = dict(zip(idxs, question_dense.tolist()))
        missing = [i for i in idxs if i not in dense_scores]
        for idx, score in self.dense.similarity(found.vector, missing).items():  # a passage outside the dense list
            dense_scores[idx] = max(score, best_question[idx])  # scores its best question too, as in the list
        lexical_scores = dict(found.lexical)
        terms = analysis.terms
        out = []
        for (idx, score), best_question in zip(found.fused, question_dense):
            sentences = score_sentences(self.reader, idx, found.vector, terms, self.config.sentence_lexical_weight,
                                        self.terms.sentence_terms)
            out.append(Candidate(idx, self.reader.passages[idx], score, dense_scores.get(idx, 0.0),
                                 lexical_scores.get(idx, 0.0), sentences, terms=self.terms.passage_terms(idx),
                                 section_terms=self.terms.section_terms(idx), key=self.terms.passage_key(idx),
                                 question_dense=max(float(best_question), 0.0),
                                 question_lexical=float(found.question_lexical[idx])
                                 if found.question_lexical is not None else 0.0))
        extract_features(out, terms, analysis.added, analysis.numbers, self.config.length_scale, analysis.colloquial)
        for c, described in zip(out, self.sentences.score(out, analysis, questions)):
            c.sentence_features = described
        return out

    def rank(self, candidates: list[Candidate], k: int, pipeline: Pipeline) -> Ranking:
        """Score, order, collapse and highlight ``candidates``; at least ``min_ranked_hits`` hits."""
        use_rerank = pipeline.rerank and self.config.rerank and self.weights.rerank_enabled
        for c in candidates:
            c.score = self.weights.rerank.score(c.features) if use_rerank else c.fused
        candidates.sort(key=lambda c: (-c.score, c.idx))
        order = [c.idx for c in candidates]
        if pipeline.dedup:
            order = collapse(order, lambda i: self.reader.passages[i], self._similarity(candidates),
                             self.config.dedup_overlap, self.config.dedup_similarity,
                             limit=max(k, self.config.min_ranked_hits))
        by_idx = {c.idx: c for c in candidates}
        shown = [by_idx[i] for i in order[:max(k, self.config.min_ranked_hits)]]
        scores = strictly_decreasing([float(c.score) for c in shown])
        hits = [
            Hit(c.passage, self.doc_title(c.passage.doc_id), score, rank,
                evidence_spans(c.sentences, self.config.second_sentence_ratio, self.config.unit_words, c.passage.text),
                c.features)
            for rank, (c, score) in enumerate(zip(shown, scores), start=1)]
        return Ranking(hits, {c.passage.passage_id: c.sentences for c in shown},
                       {c.passage.passage_id: c.features for c in shown})

    def _similarity(self, candidates: list[Candidate]):
        """Cosine of two candidates' passage vectors, all pairs computed in one product."""
        idxs = [c.idx for c in candidates]
        if not idxs:
            return lambda a, b: 0.0
        vectors = self.dense.index.reconstruct_batch(np.asarray(idxs, dtype=np.int64))
        cosines = np.einsum("ik,jk->ij", vectors, vectors)  # einsum, not BLAS: see retriever.dense
        position = {idx: n for n, idx in enumerate(idxs)}
        return lambda a, b: float(cosines[position[a], position[b]])
