"""The sentence answer model: how likely each sentence of a candidate passage is to answer the query.

Every sentence of the ranking stage's candidates (a table row is one sentence) is described by the
features declared in ``retriever.schema.SentenceFeatures``: its cosine with the query, absolute and
relative to its passage and to all candidates; how much of the query's (IDF-weighted) vocabulary it
holds; the cosine of the passage questions *anchored in it* (a matched question points at its
sentence); whether it holds the kind of answer asked for; what kind of line it is (table row,
caption, unfinished lead-in, list item, reference entry); where it sits and how long it is; and its
passage's first-stage scores. A fitted logistic model (``eval.fit``; weights.json) turns them into a
probability, which drives the highlight, the answer sentences and the lead under ``closest``; a
passage's best probability is a reranker feature and the top hits' best are decision signals.

Until a model is fitted, the score is the old highlight score (cosine + 0.3 × coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from indexer.store import IndexReader
from reportqa.records import Passage
from reportqa.text import FIGURE_RE, is_lead_in, is_list_item, match_key, words
from retriever.analysis import CorpusStats, QueryAnalysis
from retriever.answer_kinds import answer_kinds, type_matches
from retriever.answer_lines import is_caption
from retriever.features import Candidate
from retriever.schema import SENTENCE_FEATURE_NAMES, LinearModel, SentenceFeatures
from retriever.terms import TermCache

REFERENCE_LISTS = frozenset({"references", "bibliography"})
QuestionCosines = dict[int, tuple[np.ndarray, np.ndarray]]  # passage → (question rows, their cosines)

# Until fitted: the highlight score the sentence model replaces (cosine + sentence_lexical_weight × coverage).
DEFAULT_SENTENCE_MODEL = LinearModel.over("sentence feature", SENTENCE_FEATURE_NAMES,
                                          dict.fromkeys(SENTENCE_FEATURE_NAMES, 0.0) | {"cosine": 1.0, "coverage": 0.3})


def is_reference_list(passage: Passage) -> bool:
    """A passage of a report's reference list: it names sources, it answers nothing."""
    return bool(passage.section) and match_key(passage.section[0]) in REFERENCE_LISTS


@dataclass(frozen=True)
class SentenceShape:
    """What a sentence is, whatever the query: computed once per sentence and kept."""

    figure: float
    caption: float
    unfinished: float
    list_item: float
    length: float


def probability(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))


class SentenceScorer:
    """Scores the sentences of a candidate set with the fitted sentence answer model."""

    def __init__(self, reader: IndexReader, stats: CorpusStats, terms: TermCache, model: LinearModel) -> None:
        self.reader = reader
        self.stats = stats
        self.terms = terms
        self.model = model
        self._weights = np.array([dict(model.as_dict()).get(n, 0.0) for n in SENTENCE_FEATURE_NAMES])

    def features(self, candidates: list[Candidate], analysis: QueryAnalysis,
                 questions: QuestionCosines) -> list[list[SentenceFeatures]]:
        """Each candidate's sentences' features, in passage order (candidates need their features)."""
        terms = analysis.terms
        idf = {t: self.stats.idf_of(t) for t in terms}
        idf_total = sum(idf.values()) or 1.0
        kinds = tuple(k for k in answer_kinds(analysis.text) if k != "other")
        leading = max((s.cosine for c in candidates for s in c.sentences), default=0.0)
        best_fused = max((c.fused for c in candidates), default=0.0) or 1.0
        best_lexical = max((c.lexical for c in candidates), default=0.0) or 1.0
        query_terms = math.log1p(len(terms))
        out = []
        for position, c in enumerate(candidates):
            passage = c.passage
            sentences = c.sentences
            best_in_passage = max((s.cosine for s in sentences), default=0.0)
            anchored = self._anchored(c.idx, sentences, questions.get(c.idx))
            reference = float(is_reference_list(passage))
            row = float(passage.kind == "table_row")
            last = max(len(sentences) - 1, 1)
            cosines = [s.cosine for s in sentences]
            section = c.features.section_match if c.features is not None else 0.0
            rows = []
            for k, s in enumerate(sentences):
                text = passage.text[s.start:s.end]
                shape = self.shape(c.idx, k, s.start, s.end)
                held = terms & self.terms.sentence_terms(c.idx, s.start, s.end)
                rows.append(SentenceFeatures(
                    cosine=s.cosine,
                    relative=s.cosine - best_in_passage,
                    leading=s.cosine - leading,
                    coverage=s.coverage,
                    idf_coverage=sum(idf[t] for t in held) / idf_total,
                    anchored=anchored[k],
                    passage_question=c.question_dense,
                    asks_kind=float(bool(kinds)),
                    type_match=float(bool(kinds) and all(type_matches(kind, text) for kind in kinds)),
                    figure=shape.figure,
                    table_row=row,
                    caption=shape.caption,
                    unfinished=shape.unfinished,
                    list_item=shape.list_item,
                    reference=reference,
                    position=k / last,
                    length=shape.length,
                    passage_dense=c.dense,
                    passage_fused=c.fused / best_fused,
                    passage_lexical=c.lexical / best_lexical,
                    passage_rank=1.0 / (1 + position),
                    section_match=section,
                    before=cosines[k - 1] if k > 0 else 0.0,
                    after=cosines[k + 1] if k + 1 < len(cosines) else 0.0,
                    query_terms=query_terms,
                ))
            out.append(rows)
        return out

    def score(self, candidates: list[Candidate], analysis: QueryAnalysis, questions: QuestionCosines
              ) -> list[list[SentenceFeatures]]:
        """Give every candidate sentence its answer probability (``ScoredSentence.answer``) and every
        candidate its best one (``Features.best_answer``). Returns the features, for the caller that
        records them (the weight fitting)."""
        described = self.features(candidates, analysis, questions)
        for c, rows in zip(candidates, described):
            if not rows:
                if c.features is not None:
                    c.features = replace(c.features, best_answer=0.0)
                continue
            matrix = np.array([[getattr(r, n) for n in SENTENCE_FEATURE_NAMES] for r in rows])
            logits = np.clip(matrix @ self._weights + self.model.bias, -50.0, 50.0)
            answers = 1.0 / (1.0 + np.exp(-logits))
            c.sentences = [replace(s, answer=float(a)) for s, a in zip(c.sentences, answers)]
            if c.features is not None:
                c.features = replace(c.features, best_answer=float(answers.max()))
        return described

    def shape(self, idx: int, k: int, start: int, end: int) -> SentenceShape:
        """The query-independent description of sentence ``k`` of passage ``idx`` (kept)."""
        def make() -> SentenceShape:
            text = self.reader.passages[idx].text
            sentence = text[start:end]
            spans = self.reader.sentence_spans(idx)
            unfinished = k == len(spans) - 1 and is_lead_in(sentence)
            return SentenceShape(figure=float(bool(FIGURE_RE.search(sentence))),
                                 caption=float(self.reader.passages[idx].kind != "table_row" and is_caption(sentence)),
                                 unfinished=float(unfinished), list_item=float(is_list_item(sentence)),
                                 length=math.log1p(len(words(sentence))) / 4)
        return self.terms.cached(("shape", idx, start, end), make)

    def _anchored(self, idx: int, sentences, found: tuple[np.ndarray, np.ndarray] | None) -> list[float]:
        """Per sentence: the best cosine of a question whose anchor overlaps it (0 when none)."""
        best = [0.0] * len(sentences)
        if found is None:
            return best
        rows, cosines = found
        starts = self.reader.questions.anchor_start[rows]
        ends = self.reader.questions.anchor_end[rows]
        for k, s in enumerate(sentences):
            overlapping = (starts < s.end) & (ends > s.start)
            if overlapping.any():
                best[k] = max(float(cosines[overlapping].max()), 0.0)
        return best
