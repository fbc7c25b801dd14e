"""Extractive answers: up to three verbatim sentences from the top passages, each cited, once the
answer decision (``retriever.decision``) says to answer; under ``closest``, the one sentence that
comes closest (the *lead*), cited, above the passages. Nothing is generated or paraphrased.

Sentences are ranked by the sentence answer model (``retriever.sentence_model``). A list item is
shown with its lead-in, and a lead-in with what it introduces, so no answer line is a fragment;
entries of a reference list and table lines of bare labels are used only when nothing else is there.
A sentence that says again what a chosen one says (the executive summary and the body) is quoted
once, citing both places. A quoted sentence never stands without the next one when that one
contrasts with it ("However, …", "…, by contrast, …", or it turns to another measure): half a
passage must not read as "yes" when the passage goes on to say "but not here".

A generative mode would plug in here later as another ``AnswerComposer`` that receives the
same cited hits; none is included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from reportqa.records import Passage
from reportqa.settings import AnswerConfig
from reportqa.text import FIGURE_RE, match_key, words
from retriever.analysis import QueryAnalysis
from retriever.answer_lines import is_caption, table_line
from retriever.constraints import ConstraintCheck
from retriever.decision import Decision
from retriever.highlight import ScoredSentence, complete_thought, merge_spans, unfinished
from retriever.results import Answer, AnswerSentence, Citation, Hit
from retriever.schema import Signals
from retriever.sentence_model import is_reference_list


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


CONTRAST_RE = re.compile(r"^\W*(?:however|but|whereas|although|though|yet|conversely|nevertheless|nonetheless|"
                         r"instead|unlike|in contrast|by contrast|on the other hand)\b|^(?:\S+\s+){0,6}?(?:\S+,\s*)?"
                         r"(?:however|by contrast|in contrast|on the other hand|whereas)\b", re.IGNORECASE)
MeasuresIn = Callable[[str], frozenset[str]]  # the measures a text names (retriever.measures)


def contrasts(sentence: str, quoted: str, measures_in: MeasuresIn | None = None) -> bool:
    """True when ``sentence``, coming right after ``quoted``, qualifies or contrasts with it: it opens
    with (or soon says) "however", "but", "whereas", "by contrast"…, or ``quoted`` is about a measure
    and ``sentence`` names another one."""
    if CONTRAST_RE.search(sentence):
        return True
    if measures_in is None:
        return False
    before = measures_in(quoted)
    return bool(before) and bool(measures_in(sentence) - before)


class AnswerComposer(Protocol):
    """Turns evidence into an answer. The extractive composer is the only one shipped."""

    def compose(self, evidence: Evidence, decision: Decision) -> Answer: ...


@dataclass(frozen=True)
class Unit:
    """A candidate for the answer: one sentence of one hit widened to a complete thought (a list
    item with its lead-in), as one or more [start, end) spans of the hit's text."""

    score: float
    rank: int  # the hit's position in the evidence
    spans: tuple[tuple[int, int], ...]

    def text(self, evidence: Evidence) -> str:
        passage = evidence.hits[self.rank].passage.text
        return " ".join(passage[a:b] for a, b in self.spans)


def same_statement(a: str, b: str, overlap: float) -> bool:
    """True when two sentences say the same thing: one holds the other (letters and digits
    compared), or they share at least ``overlap`` of the shorter one's words."""
    ka, kb = match_key(a), match_key(b)
    if not ka or not kb:
        return False
    if ka in kb or kb in ka:
        return True
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > overlap


def _is_bare_row(text: str, max_words: int) -> bool:
    """A table line of short labels and no figures ("Abuse by other under-18s · CAWNs · Direct"):
    it says nothing on its own."""
    cells = text.split("\t")
    return len(cells) > 1 and not FIGURE_RE.search(text) and max(len(words(c)) for c in cells) < max_words


def answer_line(passage: Passage, start: int, end: int, n: int) -> AnswerSentence:
    """An answer line, typed, with where it lies in its passage: a line of a table carries its
    caption, headers and cells (a ``table_row`` passage is quoted whole), anything else is a sentence."""
    line = table_line(passage, start, end)
    if line is None:
        return AnswerSentence(passage.text[start:end], n, passage_id=passage.passage_id, start=start, end=end)
    if passage.kind == "table_row":
        start, end = 0, len(passage.text)
    return AnswerSentence(passage.text[start:end], n, "table_row", line.caption, line.header, line.cells,
                          passage_id=passage.passage_id, start=start, end=end)


class ExtractiveComposer:
    """Picks the best sentences of the top hits when the decision is to answer; under ``closest`` the
    single best one as the lead; under ``not_covered`` nothing but the decision's reasons."""

    def __init__(self, config: AnswerConfig, unit_words: int, measures_in: MeasuresIn | None = None) -> None:
        self.config = config
        self.unit_words = unit_words  # RankingConfig.unit_words: how far a lead-in is continued into its list
        self.measures_in = measures_in

    def compose(self, evidence: Evidence, decision: Decision) -> Answer:
        if not evidence.hits or decision.outcome == "not_covered":
            return Answer(evidence.query, decision.outcome, [], [], evidence.hits, decision.confidence,
                          list(decision.reasons), evidence.corrections)
        units = self._units(evidence)
        if decision.answer and units:
            return self._answer(evidence, units, decision)
        return self._closest(evidence, units, decision)

    def lines(self, evidence: Evidence) -> list[AnswerSentence]:
        """The lines an answer to this evidence would quote (whatever the decision): what the weight
        fitting checks an answer against."""
        units = self._units(evidence)
        return self._answer(evidence, units, Decision("answer", 1.0)).sentences if units else []

    def lead(self, evidence: Evidence) -> AnswerSentence | None:
        """The lead ``closest`` would show for this evidence (whatever the decision)."""
        return self._lead(evidence, self._units(evidence))

    # --- the two outcomes that show sentences ----------------------------------------------------
    def _answer(self, evidence: Evidence, units: list[Unit], decision: Decision) -> Answer:
        chosen = self._choose(units, evidence)
        numbers: dict[int, int] = {}  # hit rank → citation number, in order of first use
        sentences: list[AnswerSentence] = []
        for rank, (start, end), repeats in chosen:
            n = numbers.setdefault(rank, len(numbers) + 1)
            also = tuple(numbers.setdefault(r, len(numbers) + 1) for r in repeats)
            line = replace(answer_line(evidence.hits[rank].passage, start, end, n), also_cited=also)
            if all(line.text != s.text or line.citation != s.citation for s in sentences):  # one table row, once
                sentences.append(line)
        citations = [Citation(n, evidence.hits[rank].passage, evidence.hits[rank].doc_title)
                     for rank, n in numbers.items()]
        return Answer(evidence.query, "answer", sentences, citations, evidence.hits, decision.confidence,
                      corrections=evidence.corrections)

    def _closest(self, evidence: Evidence, units: list[Unit], decision: Decision) -> Answer:
        """The top passages as numbered citations (the passages to read), and the best sentence
        among them as the lead ("The closest the reports come: …"), never framed as an answer."""
        shown = evidence.hits[:self.config.answer_source_hits]
        citations = [Citation(n, hit.passage, hit.doc_title) for n, hit in enumerate(shown, start=1)]
        reasons = list(decision.reasons) if decision.outcome == "closest" else []
        return Answer(evidence.query, "closest", [], citations, evidence.hits, decision.confidence, reasons,
                      evidence.corrections, lead=self._lead(evidence, units))

    @staticmethod
    def _lead(evidence: Evidence, units: list[Unit]) -> AnswerSentence | None:
        """The best unit as one line, cited by its hit's number among the closest passages."""
        if not units:
            return None
        best = units[0]
        start, end = best.spans[0][0], best.spans[-1][1]  # the whole thought, as one line
        return answer_line(evidence.hits[best.rank].passage, start, end, best.rank + 1)

    # --- which sentences ----------------------------------------------------------------------------
    def _units(self, evidence: Evidence) -> list[Unit]:
        """The top hits' sentences that could answer, each widened to a complete thought, best first.
        Reference-list entries, lead-ins whose list is in the next passage, bare captions and table
        lines of bare labels are kept back, and used only when nothing else is."""
        config = self.config
        strong: list[Unit] = []
        weak: list[Unit] = []
        for rank, hit in enumerate(evidence.hits[:config.answer_source_hits]):
            text = hit.passage.text
            scored = evidence.sentences.get(hit.passage.passage_id, [])
            spans = [(s.start, s.end) for s in scored]
            references = is_reference_list(hit.passage)
            for k, s in enumerate(scored):
                sentence = text[s.start:s.end]
                figure_row = hit.passage.kind == "table" and "\t" in sentence and FIGURE_RE.search(sentence)
                if len(words(sentence)) < config.answer_min_words and not figure_row:  # a row's figure says much
                    continue
                if hit.passage.kind != "table_row" and is_caption(sentence):  # a label says nothing on its own
                    continue
                unit = tuple(complete_thought(text, spans, k, self.unit_words))
                if all(is_caption(text[a:b]) for a, b in unit):
                    continue
                unit += self._contrast_after(text, spans, unit)
                bare = _is_bare_row(sentence, config.answer_bare_row_words)
                (weak if references or unfinished(text, spans, k) or bare else strong).append(Unit(s.score, rank, unit))
        return sorted(strong or weak, key=lambda u: (-u.score, u.rank, u.spans))

    def _contrast_after(self, text: str, spans: list[tuple[int, int]], unit: tuple[tuple[int, int], ...]
                        ) -> tuple[tuple[int, int], ...]:
        """The sentence after ``unit`` when it contrasts with it (see ``contrasts``), else nothing."""
        following = [span for span in spans if span[0] >= unit[-1][1]]
        if not following:
            return ()
        quoted = " ".join(text[a:b] for a, b in unit)
        a, b = following[0]
        return ((a, b),) if contrasts(text[a:b], quoted, self.measures_in) else ()

    def _choose(self, units: list[Unit], evidence: Evidence) -> list[tuple[int, tuple[int, int], tuple[int, ...]]]:
        """The best units scoring at least ``answer_sentence_ratio`` of the best one, up to
        ``answer_max_sentences`` sentences, as (hit rank, span, hit ranks that say it too) in citation
        and text order. A unit saying what a chosen one says is not quoted again: its hit is cited
        beside the chosen one."""
        best = units[0].score
        chosen: list[tuple[Unit, list[int]]] = []
        for unit in units:
            if unit.score < self.config.answer_sentence_ratio * best:
                break
            text = unit.text(evidence)
            same = next((c for c in chosen if same_statement(text, c[0].text(evidence), self.config.answer_same_words)),
                        None)
            if same is not None:
                if unit.rank != same[0].rank and unit.rank not in same[1]:
                    same[1].append(unit.rank)
                continue
            if chosen and sum(len(u.spans) for u, _ in chosen) + len(unit.spans) > self.config.answer_max_sentences:
                continue
            chosen.append((unit, []))
        out = []
        for rank in sorted({u.rank for u, _ in chosen}):
            mine = [(span, repeats) for u, repeats in chosen if u.rank == rank for span in u.spans]
            for a, b in merge_spans([span for span, _ in mine]):  # one sentence chosen twice is quoted once
                repeats = tuple(dict.fromkeys(r for (s, e), rs in mine if a <= s and e <= b for r in rs))
                out.append((rank, (a, b), repeats))
        return out
