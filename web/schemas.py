"""Pydantic models of the web-only API routes. Search and ask responses are defined once, in
``retriever.contract``, and the CLI prints the same models."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool


class PassageResponse(BaseModel):
    passage_id: str
    doc_id: str
    doc_title: str
    kind: str
    section: str
    page_start: int | None
    page_end: int | None
    start: int
    end: int
    text: str
    url: str


class DocumentModel(BaseModel):
    doc_id: str
    title: str
    short_title: str
    authors: str
    publisher: str
    date: str
    attribution: str
    passages: int


class HealthResponse(BaseModel):
    status: str = Field(description="ok; degraded while a newer build on disk cannot be served (the build "
                        "served is the one before it); damaged (503) when the build served is")
    index_loaded: bool
    passages: int
    documents: int
    model: str
    build: str
    detail: str | None = Field(None, description="when degraded: why the newer build is not served")


class JudgementIn(BaseModel):
    query: str = Field(min_length=1, max_length=1000)
    passage_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    relevant: StrictBool
    who: str = Field(default="evaluator", min_length=1, max_length=200, description="the evaluator's name")


class JudgementUndoIn(BaseModel):
    query: str = Field(min_length=1, max_length=1000)
    passage_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    who: str = Field(min_length=1, max_length=200, description="the evaluator whose latest judgement is undone")


class JudgementOut(BaseModel):
    saved: bool
    query: str
    passage_id: str
    relevant: bool
    who: str
    when: str
    retract: bool = False
