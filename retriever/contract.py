"""The wire format of search results and answers, defined once as pydantic models: the API returns
them and the CLI's ``--json`` prints them. Other tools rely on these names and types: change them
only with a new contract.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from reportqa.citation import Citer
from reportqa.records import Passage
from retriever.results import Answer, AnswerSentence, Hit


class CitationFormats(BaseModel):
    """A passage's reference, ready to paste (see reportqa.citation)."""

    harvard: str
    apa: str
    ris: str
    bibtex: str


class PassageFields(BaseModel):
    """Fields shared by a search result and a citation."""

    passage_id: str
    doc_id: str
    doc_title: str
    section: str
    page: int | None
    text: str
    citation: CitationFormats | None = Field(None, description="the passage's reference in Harvard, APA, RIS "
                                             "and BibTeX, linking to it under the server's public base URL")


class SearchResult(PassageFields):
    rank: int
    score: float
    highlights: list[list[int]] = Field(description="[start, end) character spans of the evidence sentences")


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class AnswerSentenceModel(BaseModel):
    text: str
    citation: int
    kind: Literal["sentence", "table_row"] = Field(
        "sentence", description="table_row: a line of a table, shown with its caption and headers, not as a quote")
    caption: str = Field("", description="table_row: the table's caption")
    header: list[str] = Field(default_factory=list, description="table_row: the column headers")
    cells: list[str] = Field(default_factory=list, description="table_row: the row's cells")
    passage_id: str = Field("", description="the cited passage")
    start: int = Field(0, description="where the text starts in the cited passage's text")
    end: int = Field(0, description="where it ends (exclusive)")
    also_cited: list[int] = Field(default_factory=list, description="other citations saying the same thing "
                                  "(the executive summary and the body): quoted once, cited at each")


class CitationModel(PassageFields):
    n: int


class AskResponse(BaseModel):
    query: str
    outcome: Literal["answer", "closest", "not_covered"] = Field(
        description="answer: sentences quoted from the reports; closest: the reports may not answer it "
                    "directly, see the passages; not_covered: the reports do not cover it (see reasons)")
    abstained: bool = Field(description="outcome != 'answer' (kept for consumers of the first contract)")
    answer: str
    reasons: list[str] = Field(description="why it did not answer, in plain words")
    sentences: list[AnswerSentenceModel]
    lead: AnswerSentenceModel | None = Field(None, description="closest only: the sentence that comes closest "
                                             "(\"The closest the reports come:\"), cited by its number in "
                                             "citations; not an answer")
    citations: list[CitationModel]
    passages: list[SearchResult] = Field(description="the closest passages, best first, whatever the outcome")




def passage_fields(passage: Passage, doc_title: str, citer: Citer | None = None) -> dict:
    """Fields common to a search result and a citation (with its reference when ``citer`` is given)."""
    cited = citer(passage) if citer is not None else None
    return {
        "citation": CitationFormats(**cited.formats()) if cited is not None else None,
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "doc_title": doc_title,
        "section": passage.section_label,
        "page": passage.page,
        "text": passage.text,
    }


def search_result(hit: Hit, citer: Citer | None = None) -> SearchResult:
    """One search result: rank, passage fields, score and evidence highlight spans."""
    return SearchResult(rank=hit.rank, **passage_fields(hit.passage, hit.doc_title, citer),
                        score=round(float(hit.score), 6),
                        highlights=[[int(s), int(e)] for s, e in hit.highlights])


def search_response(query: str, hits: list[Hit], citer: Citer | None = None) -> SearchResponse:
    return SearchResponse(query=query, results=[search_result(h, citer) for h in hits])


def answer_sentence(s: AnswerSentence) -> AnswerSentenceModel:
    return AnswerSentenceModel(text=s.text, citation=s.citation, kind=s.kind, caption=s.caption, header=list(s.header),
                               cells=list(s.cells), passage_id=s.passage_id, start=s.start, end=s.end,
                               also_cited=list(s.also_cited))


def ask_response(answer: Answer, citer: Citer | None = None) -> AskResponse:
    """An answer: verbatim sentences with citation numbers, or an abstention."""
    return AskResponse(
        query=answer.query,
        outcome=answer.outcome,
        abstained=answer.abstained,
        answer=answer.text,
        reasons=list(answer.reasons),
        sentences=[answer_sentence(s) for s in answer.sentences],
        lead=answer_sentence(answer.lead) if answer.lead is not None else None,
        citations=[CitationModel(n=c.n, **passage_fields(c.passage, c.doc_title, citer)) for c in answer.citations],
        passages=[search_result(h, citer) for h in answer.hits],
    )
