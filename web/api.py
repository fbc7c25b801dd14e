"""The JSON API under /api (documented by OpenAPI at /docs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from indexer.store import IndexStoreError
from reportqa.citation import passage_link
from retriever.contract import AskResponse, SearchResponse, ask_response, search_response
from web.deps import DocParam, QueryParam, RetrieverDep, SettingsDep, clean_query, filters_for
from web.render import SAFE_ID, citer_for
from web.schemas import (
    DocumentModel,
    HealthResponse,
    JudgementIn,
    JudgementOut,
    JudgementUndoIn,
    PassageResponse,
)
from web.workbench import judging

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/search", response_model=SearchResponse, summary="Find passages")
def search(retriever: RetrieverDep, settings: SettingsDep, q: QueryParam = None,
           k: Annotated[int, Query(ge=1, le=50, description="number of results")] = 10,
           doc: DocParam = None) -> SearchResponse:
    """Ranked passages with evidence highlights. A query in double quotes is an exact phrase."""
    query = clean_query(q, settings)
    return search_response(query, retriever.search(query, k=k, filters=filters_for(retriever, doc)),
                           citer_for(retriever, settings))


@router.get("/ask", response_model=AskResponse, summary="Answer with citations")
def ask(retriever: RetrieverDep, settings: SettingsDep, q: QueryParam = None, doc: DocParam = None) -> AskResponse:
    """Up to three verbatim sentences from the reports with numbered citations, or an abstention."""
    query = clean_query(q, settings)
    return ask_response(retriever.ask(query, filters=filters_for(retriever, doc)), citer_for(retriever, settings))


def passage_response(retriever, passage_id: str, base_url: str) -> dict:
    if not SAFE_ID.match(passage_id):
        raise HTTPException(status_code=404, detail="No passage with that id.")
    passage = retriever.passage(passage_id)
    if passage is None:
        raise HTTPException(status_code=404, detail="No passage with that id.")
    url = passage_link(base_url, passage)  # the public base URL, never the request's Host header
    return {
        "passage_id": passage.passage_id, "doc_id": passage.doc_id, "doc_title": retriever.doc_title(passage.doc_id),
        "kind": passage.kind, "section": passage.section_label, "page_start": passage.page_start,
        "page_end": passage.page_end, "start": passage.start, "end": passage.end, "text": passage.text, "url": url,
    }


@router.get("/passages/{passage_id}", response_model=PassageResponse, summary="One passage")
def get_passage(passage_id: str, retriever: RetrieverDep, settings: SettingsDep) -> dict:
    """A passage by id, with its place in the report and a link to read it in context."""
    return passage_response(retriever, passage_id, settings.base_url)


@router.get("/documents", response_model=list[DocumentModel], summary="The reports")
def documents(retriever: RetrieverDep) -> list[dict]:
    counts: dict[str, int] = {}
    for p in retriever.passages:
        counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
    return [
        {"doc_id": d.meta.doc_id, "title": d.meta.title, "short_title": d.meta.short_title,
         "authors": d.meta.authors, "publisher": d.meta.publisher, "date": d.meta.date,
         "attribution": d.meta.attribution, "passages": counts.get(d.meta.doc_id, 0)}
        for d in retriever.documents.values()
    ]


@router.get("/health", response_model=HealthResponse, summary="Is the index loaded",
            responses={503: {"description": "the live index is damaged"}})
def health(request: Request, retriever: RetrieverDep):
    """Which build is served (a re-index shows at once), and whether its files are still intact;
    ``degraded``, with the error, while a newer build on disk cannot be served."""
    try:
        retriever = request.app.state.holder.catch_up()
    except IndexStoreError as exc:
        raise HTTPException(status_code=503, detail=f"the index is not available: {exc}") from exc
    damage = retriever.damage()
    if damage:
        return JSONResponse({"status": "damaged", "index_loaded": True, "detail": damage +
                             "; run `reportqa index --rebuild`"}, status_code=503)
    facts = retriever.health()
    problem = request.app.state.holder.last_error  # a newer build on disk that could not be served
    return {"status": "degraded" if problem else "ok", "index_loaded": True, "passages": facts["passages"],
            "documents": facts["documents"], "model": facts["model"], "build": str(facts["build_id"]),
            "detail": f"a newer index build on disk is not served: {problem}" if problem else None}


@router.post("/judgements", response_model=JudgementOut, status_code=201, summary="Record a relevance judgement")
def post_judgement(body: JudgementIn, retriever: RetrieverDep, settings: SettingsDep) -> dict:
    """Record (query, passage, relevant, who, when) in the judgements store for eval; ``who`` is
    the evaluator's name.

    Requires the evaluator switch (REPORTQA_EVALUATOR_MODE=true); 403 otherwise.
    """
    judgement = judging.save_judgement(settings, retriever, body.query, body.passage_id, body.relevant, body.who)
    return {"saved": True, **judgement.__dict__}


@router.post("/judgements/undo", response_model=JudgementOut, status_code=201, summary="Undo a judgement",
             responses={404: {"description": "that evaluator has no standing judgement of the pair"}})
def undo_judgement(body: JudgementUndoIn, settings: SettingsDep) -> dict:
    """Record a retraction of ``who``'s latest standing judgement of (query, passage); nothing is
    deleted. Requires the evaluator switch; 404 when there is nothing to undo."""
    retraction = judging.undo_judgement(settings, body.query, body.passage_id, body.who).retraction
    return {"saved": True, **retraction.__dict__}
