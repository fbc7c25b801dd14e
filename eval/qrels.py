"""Qrels from evidence spans: a passage is relevant to a question when it contains one of the
question's evidence spans (located by character offsets in the cleaned report). A span that
no single passage contains is credited to the passages that hold at least half of it.

Qrels use the standard shape {query_id: {passage_id: relevance}}.
"""

from __future__ import annotations

from eval.questions import Question, locate
from reportqa.records import Passage

Qrels = dict[str, dict[str, int]]
MIN_COVER = 0.5


def span_passages(span: tuple[int, int], passages: list[Passage]) -> list[str]:
    """Ids of passages containing ``span`` (or, failing that, holding half of it)."""
    a, b = span
    full = [p.passage_id for p in passages if p.start <= a and p.end >= b]
    if full:
        return full
    length = b - a
    return [p.passage_id for p in passages if min(p.end, b) - max(p.start, a) >= MIN_COVER * length]


def build_qrels(questions: list[Question], documents: dict[str, str], passages: list[Passage],
                extra: Qrels | None = None) -> Qrels:
    """Qrels for the answerable questions, merged with ``extra`` (e.g. judgements; a 0 there
    removes a span-derived relevance)."""
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    qrels: Qrels = {}
    for q in questions:
        if not q.answerable:
            continue
        rel: dict[str, int] = {}
        for ev in q.evidence:
            text = documents.get(ev.doc_id)
            if text is None:
                continue
            for span in locate(ev.quote, text):
                for pid in span_passages(span, by_doc.get(ev.doc_id, [])):
                    rel[pid] = 1
        for pid, value in (extra or {}).get(q.id, {}).items():
            rel[pid] = value
        qrels[q.id] = rel
    return qrels
