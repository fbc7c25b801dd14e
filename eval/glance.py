"""Whether a shown sentence carries the fact: the measure behind "glance" (what a user reads first
carries the fact), answer precision and sentence Hit@1.

A question's evidence spans are located in the cleaned report text (``eval.questions.locate``). A
shown sentence is placed in the same text: a prose sentence at its passage's offset, a table row
(rendered with its headers) as the whole row. It *carries* the fact when it covers at least half of
one evidence span, the rule by which a passage is relevant (``eval.qrels.MIN_COVER``), applied to
the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from eval.qrels import MIN_COVER
from eval.questions import Question, locate
from reportqa.records import Passage

Span = tuple[int, int]


@dataclass(frozen=True)
class EvidenceSpans:
    """One question's evidence, located: document id → [start, end) spans in its cleaned text."""

    spans: dict[str, list[Span]]

    @classmethod
    def of(cls, question: Question, documents: dict[str, str]) -> EvidenceSpans:
        spans: dict[str, list[Span]] = {}
        for ev in question.evidence:
            text = documents.get(ev.doc_id)
            if text is not None:
                spans.setdefault(ev.doc_id, []).extend(locate(ev.quote, text))
        return cls(spans)

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
    """True when the sentence ``passage.text[start:end]`` carries one of the evidence spans."""
    document = documents.get(passage.doc_id)
    if document is None:
        return False
    return evidence.carried_by(passage.doc_id, document_span(passage, start, end, document))
