"""Qrels from evidence spans: a passage is relevant to a question when it contains one of the
question's evidence spans (located by character offsets in the cleaned report). A span that
no single passage contains is credited to the passages that hold at least half of it.

A passage whose own text holds an evidence quote is relevant too, wherever its offsets point. Table
rows and the later parts of a long table are rendered with their table's caption and header
("Table 8. Locations where … — Recording location: Police National Computer; …") but placed at the
row's offsets alone, so a quote of the caption lies outside them: by offsets only, the row a reader
sees starting with the quoted caption would not count. Quotes and passages are compared on their
match keys (letters and digits, case-folded: ``reportqa.text.match_key``), so a label written
"Table 8:" or "Table 8." and differences of spacing, dashes and quote marks do not matter.

A quote that is a heading ("Appendix B: Survey respondents by police force"), which the cleaned text
holds between passages and no passage's text repeats, credits the passages of that section: their
section trail holds the heading, with or without its label ("Appendix B:", "7.5.1").

Qrels use the standard shape {query_id: {passage_id: relevance}}.
"""

from __future__ import annotations

import re

from eval.questions import Question, locate
from reportqa.records import Passage
from reportqa.text import match_key

Qrels = dict[str, dict[str, int]]
MIN_COVER = 0.5
HEADING_LABEL = re.compile(r"^\s*(?:(?:appendix|annex|section|chapter|part)\s+[a-z0-9]+|\d+(?:\.\d+)*)\b[.:]?\s*",
                           re.IGNORECASE)  # "Appendix B:", "7.5.1"


def span_passages(span: tuple[int, int], passages: list[Passage]) -> list[str]:
    """Ids of passages containing ``span`` (or, failing that, holding half of it)."""
    a, b = span
    full = [p.passage_id for p in passages if p.start <= a and p.end >= b]
    if full:
        return full
    length = b - a
    return [p.passage_id for p in passages if min(p.end, b) - max(p.start, a) >= MIN_COVER * length]


class PassageKeys:
    """Each passage's match key, by report, computed once: to find the passages whose text quotes a span."""

    def __init__(self, passages: list[Passage]) -> None:
        self.by_doc: dict[str, list[tuple[str, str]]] = {}
        self.headings: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for p in passages:
            self.by_doc.setdefault(p.doc_id, []).append((p.passage_id, match_key(p.text)))
            keys = {k for h in p.section for k in (match_key(h), match_key(HEADING_LABEL.sub("", h))) if k}
            self.headings.setdefault(p.doc_id, []).append((p.passage_id, frozenset(keys)))

    def quoting(self, doc_id: str, quote: str) -> list[str]:
        """Ids of the passages of report ``doc_id`` whose text holds ``quote`` (on match keys)."""
        needle = match_key(quote)
        if not needle:
            return []
        return [pid for pid, key in self.by_doc.get(doc_id, []) if needle in key]

    def under_heading(self, doc_id: str, quote: str) -> list[str]:
        """Ids of the passages of report ``doc_id`` in a section whose heading ``quote`` is (with or
        without the heading's label)."""
        needle = match_key(quote)
        return [pid for pid, keys in self.headings.get(doc_id, []) if needle and needle in keys]


def evidence_passages(question: Question, documents: dict[str, str], by_doc: dict[str, list[Passage]],
                      keys: PassageKeys) -> set[str]:
    """Ids of the passages holding one of ``question``'s evidence spans: by offsets in the cleaned
    report, quoted in the passage's own text, or as the heading of the passage's section."""
    found: set[str] = set()
    for ev in question.evidence:
        text = documents.get(ev.doc_id)
        for span in locate(ev.quote, text) if text is not None else []:
            found.update(span_passages(span, by_doc.get(ev.doc_id, [])))
        found.update(keys.quoting(ev.doc_id, ev.quote))
        found.update(keys.under_heading(ev.doc_id, ev.quote))
    return found


def build_qrels(questions: list[Question], documents: dict[str, str], passages: list[Passage],
                extra: Qrels | None = None) -> Qrels:
    """Qrels for the answerable questions, merged with ``extra`` (e.g. judgements; a 0 there
    removes a span-derived relevance)."""
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    keys = PassageKeys(passages)
    qrels: Qrels = {}
    for q in questions:
        if not q.answerable:
            continue
        rel = dict.fromkeys(sorted(evidence_passages(q, documents, by_doc, keys)), 1)
        for pid, value in (extra or {}).get(q.id, {}).items():
            rel[pid] = value
        qrels[q.id] = rel
    return qrels
