"""Whether a shown sentence carries the fact: the measure behind "glance" (what a user reads first
carries the fact), answer precision and sentence Hit@1; and the answer decision's precision–coverage
curve.

A question's evidence spans are located in the cleaned report text (``eval.questions.locate``). A
shown sentence is placed in the same text: a prose sentence at its passage's offset, a table row
(rendered with its headers) as the whole row. It *carries* the fact when it covers at least half of
one evidence span, the rule by which a passage is relevant (``eval.qrels.MIN_COVER``), applied to
the sentence; or when it restates an evidence quote elsewhere in the reports (the executive summary
says what the body says, in nearly the same words): it holds at least ``RESTATED`` of the quote's
content words, and the quote has at least ``MIN_RESTATED_WORDS`` of them; or when its text holds
a quote word for word (on match keys, as ``eval.qrels`` credits a passage): a table row shown with its
caption carries a quote of the caption, however short.
"""

from __future__ import annotations

from dataclasses import dataclass

from eval.qrels import MIN_COVER
from eval.questions import Question, locate
from reportqa.records import Passage
from reportqa.text import content_words, match_key

Span = tuple[int, int]
RESTATED = 0.8  # share of a quote's content words a restatement holds
MIN_RESTATED_WORDS = 5  # a shorter quote must be found where it stands


@dataclass(frozen=True)
class EvidenceSpans:
    """One question's evidence, located: document id → [start, end) spans in its cleaned text; and
    each quote's content words (stemmed), for restatements."""

    spans: dict[str, list[Span]]
    quotes: tuple[frozenset[str], ...] = ()
    keys: tuple[str, ...] = ()  # each quote's match key

    @classmethod
    def of(cls, question: Question, documents: dict[str, str]) -> EvidenceSpans:
        spans: dict[str, list[Span]] = {}
        for ev in question.evidence:
            text = documents.get(ev.doc_id)
            if text is not None:
                spans.setdefault(ev.doc_id, []).extend(locate(ev.quote, text))
        quotes = tuple(frozenset(content_words(ev.quote)) for ev in question.evidence)
        keys = tuple(k for k in (match_key(ev.quote) for ev in question.evidence) if k)
        return cls(spans, tuple(q for q in quotes if len(q) >= MIN_RESTATED_WORDS), keys)

    def quoted_in(self, text: str) -> bool:
        """True when ``text`` holds one quote word for word (letters and digits, case-folded)."""
        key = match_key(text) if self.keys else ""
        return any(k in key for k in self.keys)

    def restated_by(self, text: str) -> bool:
        """True when ``text`` holds at least ``RESTATED`` of one quote's content words."""
        if not self.quotes:
            return False
        held = set(content_words(text))
        return any(len(q & held) >= RESTATED * len(q) for q in self.quotes)

    def carried_by(self, doc_id: str, span: Span) -> bool:
        """True when ``span`` of report ``doc_id`` covers at least half of one evidence span."""
        a, b = span
        return any(min(b, e) - max(a, s) >= MIN_COVER * (e - s) for s, e in self.spans.get(doc_id, []))


def document_span(passage: Passage, start: int, end: int, document: str) -> Span:
    """Where ``passage.text[start:end]`` lies in the cleaned report text: at the passage's offset
    when the passage is a slice of the report, the whole row for a table row, else where the text
    is found inside the passage's range (the whole passage when it is not)."""
    if passage.kind == "table_row":
        return passage.start, passage.end
    if document[passage.start:passage.end] == passage.text:
        return passage.start + start, passage.start + end
    found = locate(passage.text[start:end], document[passage.start:passage.end])
    if found:
        s, e = found[0]
        return passage.start + s, passage.start + e
    return passage.start, passage.end


def carries(evidence: EvidenceSpans, passage: Passage, start: int, end: int, documents: dict[str, str]) -> bool:
    """True when the sentence ``passage.text[start:end]`` carries one of the evidence spans, where it
    stands or restated."""
    document = documents.get(passage.doc_id)
    if document is not None and evidence.carried_by(passage.doc_id, document_span(passage, start, end, document)):
        return True
    return evidence.quoted_in(passage.text[start:end]) or evidence.restated_by(passage.text[start:end])


@dataclass(frozen=True)
class DecisionPoint:
    """One question as the answer decision saw it: the model's probability, whether a rule decided
    first (then the model's probability does not matter), and whether the answer would carry the fact."""

    probability: float
    ruled: bool
    answerable: bool
    correct: bool


def precision_curve(points: list[DecisionPoint]) -> list[dict]:
    """For each threshold (each distinct probability, highest first): the answer precision (answers
    that carry the fact, of questions answered, unanswerable ones included), the share of answerable
    questions answered, and of unanswerable ones."""
    answerable = sum(1 for p in points if p.answerable) or 1
    unanswerable = sum(1 for p in points if not p.answerable) or 1
    curve = []
    for t in sorted({round(p.probability, 3) for p in points if not p.ruled}, reverse=True):
        answered = [p for p in points if not p.ruled and round(p.probability, 3) >= t]
        correct = sum(1 for p in answered if p.correct)
        curve.append({"threshold": t, "precision": round(correct / len(answered), 4),
                      "answered": round(sum(1 for p in answered if p.answerable) / answerable, 4),
                      "unanswerable_answered": round(sum(1 for p in answered if not p.answerable) / unanswerable, 4)})
    return curve
