"""FastAPI dependencies: settings, the current retriever, and validated query parameters.

Tests swap the retriever with ``app.dependency_overrides[get_retriever]``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from indexer.store import IndexStoreError
from reportqa.settings import Settings
from retriever.retriever import Retriever, SearchFilters


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_retriever(request: Request) -> Retriever:
    """The live retriever. 503 while no index is loaded (e.g. a rebuild failed)."""
    try:
        return request.app.state.holder.current()
    except IndexStoreError as exc:
        raise HTTPException(status_code=503, detail=f"the index is not available: {exc}") from exc


def clean_query(q: str | None, settings: Settings, required: bool = True) -> str | None:
    """The query stripped, or a 422 with a clear message for empty, blank or over-long input."""
    if q is None or not q.strip():
        if required:
            raise HTTPException(status_code=422, detail="The query is empty: type a question or some words.")
        return None
    if len(q) > settings.max_query_chars:
        raise HTTPException(status_code=422,
                            detail=f"The query is too long ({len(q)} characters; the limit is "
                                   f"{settings.max_query_chars}).")
    if "\x00" in q:
        raise HTTPException(status_code=422, detail="The query contains a NUL character.")
    return q.strip()


def filters_for(retriever: Retriever, doc: str | None) -> SearchFilters | None:
    """Filters for an optional report id; 404 for an unknown report."""
    if not doc:
        return None
    if doc not in retriever.documents:
        raise HTTPException(status_code=404, detail=f"No report with id {doc!r}.")
    return SearchFilters(doc_ids=frozenset({doc}))


SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
QueryParam = Annotated[str | None, Query(description="the question or words to search for (1-1000 characters)")]
DocParam = Annotated[str | None, Query(description="only this report (its id)", max_length=200)]
