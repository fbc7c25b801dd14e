"""The JSON shapes of search results and answers, shared by the CLI (``--json``) and the API.

Other tools rely on these names and types: change them only with a new contract.
"""

from __future__ import annotations

from reportqa.records import Answer, Hit, Passage


def passage_dict(passage: Passage, doc_title: str) -> dict:
    """Fields common to a search result and a citation."""
    return {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "doc_title": doc_title,
        "section": passage.section_label,
        "page": passage.page,
        "text": passage.text,
    }


def hit_dict(hit: Hit) -> dict:
    """One search result: rank, passage fields, score and evidence highlight spans."""
    return {
        "rank": hit.rank,
        **passage_dict(hit.passage, hit.doc_title),
        "score": round(float(hit.score), 6),
        "highlights": [[int(s), int(e)] for s, e in hit.highlights],
    }


def search_dict(query: str, hits: list[Hit]) -> dict:
    return {"query": query, "results": [hit_dict(h) for h in hits]}


def answer_dict(answer: Answer) -> dict:
    """An answer: verbatim sentences with citation numbers, or an abstention."""
    return {
        "query": answer.query,
        "abstained": answer.abstained,
        "answer": answer.text,
        "sentences": [{"text": s.text, "citation": s.citation} for s in answer.sentences],
        "citations": [{"n": c.n, **passage_dict(c.passage, c.doc_title)} for c in answer.citations],
    }
