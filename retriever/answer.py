"""Extractive answers: up to three verbatim sentences from the top passages, each cited, once the
answer decision (``retriever.decision``) says to answer. Nothing is generated or paraphrased. A list item is shown
with its lead-in, and a lead-in with what it introduces, so no answer line is a fragment; entries of
a reference list and table lines of bare labels are used only when nothing else is there.

A generative mode would plug in here later as another ``AnswerComposer`` that receives the
same cited hits; none is included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from reportqa.records import Passage
from reportqa.settings import AnswerConfig
from reportqa.text import FIGURE_RE, match_key, words
from retriever.analysis import QueryAnalysis
from retriever.answer_kinds import answer_kinds, type_matches
from retriever.answer_lines import is_caption, table_line
from retriever.constraints import ConstraintCheck
from retriever.decision import Decision
from retriever.highlight import ScoredSentence, complete_thought, merge_spans, unfinished
from retriever.results import Answer, AnswerSentence, Citation, Hit
from retriever.schema import Signals

REFERENCE_LISTS = frozenset({"references", "bibliography"})


@dataclass
class Evidence:
    """What the answer is built from: ranked hits with their scored sentences and signals."""

    query: str
    hits: list[Hit]
    sentences: dict[str, list[ScoredSentence]]  # by passage id
    signals: Signals = field(default_factory=Signals)
    check: ConstraintCheck = field(default_factory=ConstraintCheck)
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → the word searched for
    analysis: QueryAnalysis | None = None


class AnswerComposer(Protocol):
    """Turns evidence into an answer. The extractive composer is the only one shipped."""

    def compose(self, evidence: Evidence, decision: Decision) -> Answer: ...


def _similar(a: str, b: str) -> bool:
    ka, kb = match_key(a), match_key(b)
    if not ka or not kb:
        return False
    if ka in kb or kb in ka:
        return True
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > 0.8


def _is_reference_list(passage: Passage) -> bool:
    """A passage of a report's reference list: it names sources, it answers nothing."""
    return bool(passage.section) and match_key(passage.section[0]) in REFERENCE_LISTS


def _is_bare_row(text: str) -> bool:
    """A table line of short labels and no figures ("Abuse by other under-18s · CAWNs · Direct"):
    it says nothing on its own."""
    cells = text.split("\t")
    return len(cells) > 1 and not FIGURE_RE.search(text) and max(len(words(c)) for c in cells) < 6


def _answer_line(passage: Passage, start: int, text: str, n: int) -> AnswerSentence:
    """An answer sentence, typed: a line of a table carries its caption, headers and cells (a
    ``table_row`` passage is quoted whole), anything else is a sentence."""
    line = table_line(passage, start, start + len(text))
    if line is None:
        return AnswerSentence(text, n)
    whole = passage.text if passage.kind == "table_row" else text
    return AnswerSentence(whole, n, "table_row", line.caption, line.header, line.cells)


def _merged(chosen: list[tuple[int, int, str]], evidence: Evidence) -> list[tuple[int, int, str]]:
    """Chosen spans of the same passage that overlap become one."""
    out = []
    for rank in sorted({r for r, _, _ in chosen}):
        text = evidence.hits[rank].passage.text
        spans = merge_spans([(a, a + len(t)) for r, a, t in chosen if r == rank])
        out += [(rank, a, text[a:b]) for a, b in spans]
    return out


class ExtractiveComposer:
    """Picks the best-scoring sentences of the top hits, when the decision is to answer; otherwise
    an abstention carrying the decision's reasons and the nearest passages."""

    def __init__(self, config: AnswerConfig, unit_words: int) -> None:
        self.config = config
        self.unit_words = unit_words  # RankingConfig.unit_words: how far a lead-in is continued into its list
        self.max_sentences = config.answer_max_sentences

    def compose(self, evidence: Evidence, decision: Decision) -> Answer:
        if not evidence.hits or not decision.answer:
            return Answer(evidence.query, decision.outcome, [], self._closest(evidence, decision.outcome),
                          evidence.hits, decision.confidence, list(decision.reasons), evidence.corrections)
        pool = _sentence_pool(evidence, answer_kinds(evidence.query), self.config)
        chosen = self._choose(pool, evidence)
        if not chosen:
            return Answer(evidence.query, "closest", [], self._closest(evidence, "closest"), evidence.hits,
                          decision.confidence, corrections=evidence.corrections)
        numbers: dict[int, int] = {}
        sentences: list[AnswerSentence] = []
        for rank, start, text in chosen:
            n = numbers.setdefault(rank, len(numbers) + 1)
            line = _answer_line(evidence.hits[rank].passage, start, text, n)
            if line not in sentences:  # two sentences of one table row are one line
                sentences.append(line)
        citations = [Citation(n, evidence.hits[rank].passage, evidence.hits[rank].doc_title)
                     for rank, n in numbers.items()]
        return Answer(evidence.query, "answer", sentences, citations, evidence.hits, decision.confidence,
                      corrections=evidence.corrections)

    def _closest(self, evidence: Evidence, outcome: str) -> list[Citation]:
        """Under ``closest``, the top passages as numbered citations (the passages to read);
        none under ``not_covered``, where no passage answers."""
        if outcome != "closest":
            return []
        return [Citation(n, hit.passage, hit.doc_title)
                for n, hit in enumerate(evidence.hits[:self.config.answer_source_hits], start=1)]

    def _choose(self, pool: list[tuple[float, int, int]], evidence: Evidence) -> list[tuple[int, int, str]]:
        """The best sentences (each widened to a complete thought) scoring close to the best one,
        without repeats, as (hit rank, start, text) in citation and text order."""
        if not pool:
            return []
        best = pool[0][0]
        chosen: list[tuple[int, int, str]] = []
        for score, rank, k in pool:
            if score < self.config.answer_sentence_ratio * best:
                break
            passage = evidence.hits[rank].passage.text
            spans = [(s.start, s.end) for s in evidence.sentences[evidence.hits[rank].passage.passage_id]]
            unit = complete_thought(passage, spans, k, self.unit_words)
            if len(chosen) + len(unit) > self.max_sentences:
                continue
            texts = [passage[a:b] for a, b in unit]
            if all(is_caption(t) for t in texts):  # a caption never stands alone
                continue
            if any(_similar(t, other) for t in texts for _, _, other in chosen):
                continue
            chosen += [(rank, a, passage[a:b]) for a, b in unit]
        return sorted(_merged(chosen, evidence), key=lambda item: (item[0], item[1]))


def _sentence_pool(evidence: Evidence, kinds: tuple[str, ...], config: AnswerConfig) -> list[tuple[float, int, int]]:
    """(score, hit rank, sentence position) of the top hits' sentences that could answer, best
    first. A sentence with the kind of answer asked for (``kinds``: a figure, a duration, a
    penalty…) scores ``answer_kind_bonus`` more. Reference-list entries, lead-ins whose list is in the
    next passage and table lines of bare labels are kept back, and used only when nothing else is."""
    kinds = tuple(k for k in kinds if k != "other")
    pool: list[tuple[float, int, int]] = []
    fallback: list[tuple[float, int, int]] = []
    for rank, hit in enumerate(evidence.hits[:config.answer_source_hits]):
        scored = evidence.sentences.get(hit.passage.passage_id, [])
        spans = [(s.start, s.end) for s in scored]
        references = _is_reference_list(hit.passage)
        for k, s in enumerate(scored):
            text = hit.passage.text[s.start:s.end]
            if len(words(text)) < config.answer_min_words:
                continue
            if hit.passage.kind != "table_row" and is_caption(text):  # a label says nothing on its own
                continue
            weak = references or unfinished(hit.passage.text, spans, k) or _is_bare_row(text)
            bonus = config.answer_kind_bonus if kinds and all(type_matches(kind, text) for kind in kinds) else 0.0
            (fallback if weak else pool).append((s.score + bonus, rank, k))
    return sorted(pool or fallback, key=lambda item: -item[0])
