"""Judgements from the web: the one way the JSON API (web/api.py) and the workbench's forms
(web/workbench/judgements.py) record a judgement, undo one and read them back, each with the HTTP
error its caller can show. The store itself is reportqa/judgements.py.

These functions do blocking store I/O: the JSON API's routes run them in FastAPI's thread pool
(they are plain ``def`` routes), and the forms' ``async`` routes through ``run_in_threadpool``,
so a slow write never holds up the server's event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException

from reportqa.judgements import (
    Judgement,
    JudgementError,
    JudgementStore,
    JudgementStoreError,
    ReviewRow,
    Undo,
    normalise_name,
)
from reportqa.settings import Settings
from retriever.retriever import Retriever
from web.workbench.auth import require_evaluator


def store_of(settings: Settings) -> JudgementStore:
    """The judgements store this server records into."""
    return JudgementStore(settings.judgements_path)


def save_judgement(settings: Settings, retriever: Retriever, query: str, passage_id: str, relevant: bool,
                   who: str | None) -> Judgement:
    """Record whether ``passage_id`` answers ``query``, by the evaluator ``who`` (name normalised).

    403 without the evaluator permission, 404 for a passage not in the index, 422 for an empty
    query or name (or a record that is not valid), 503 when the store cannot be written.
    """
    require_evaluator(settings)
    if retriever.passage(passage_id) is None:
        raise HTTPException(status_code=404, detail="No passage with that id.")
    if not query.strip():
        raise HTTPException(status_code=422, detail="The query is empty.")
    name = normalise_name(who)
    if not name:
        raise HTTPException(status_code=422, detail="Give your name (who) before judging.")
    judgement = Judgement.now(query.strip(), passage_id, relevant, name)
    try:
        return store_of(settings).add(judgement)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgement was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def undo_judgement(settings: Settings, query: str, passage_id: str, who: str | None) -> Undo:
    """Undo ``who``'s latest standing judgement of (query, passage) with a retraction. 403 without
    the evaluator permission, 422 without a name, 404 when there is nothing to undo, 503 when the
    store cannot be written."""
    require_evaluator(settings)
    name = normalise_name(who)
    if not name:
        raise HTTPException(status_code=422, detail="Give the evaluator (who) whose judgement to undo.")
    try:
        return store_of(settings).undo(query.strip(), passage_id, name)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The undo was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def _read(call):
    try:
        return call()
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgements cannot be read: {exc}") from exc


def read_judgements(settings: Settings) -> list[Judgement]:
    """Every judgement and undo, in the order recorded; 503 when the store cannot be read."""
    return _read(store_of(settings).all)


def standing_judgements(settings: Settings, who: str | None = None) -> list[Judgement]:
    """The judgements no undo cancelled (only ``who``'s when given); 503 when the store cannot be read."""
    return _read(lambda: store_of(settings).standing(who))


def standing_on(settings: Settings, query: str) -> list[Judgement]:
    """The judgements standing now on ``query`` (any evaluator); 503 when the store cannot be read."""
    return _read(lambda: store_of(settings).for_query(query))


@dataclass(frozen=True)
class ReviewPage:
    """One page of the review: its records newest first, which page of how many, and every name."""

    rows: list[ReviewRow]
    number: int
    pages: int
    count: int
    names: list[str]


def review_page(settings: Settings, who: str | None, number: int) -> ReviewPage:
    """Page ``number`` (from 1; past the last gives the last) of the records, only ``who``'s when
    given, ``settings.judgements_page_size`` a page; 503 when the store cannot be read."""
    store = store_of(settings)
    size = settings.judgements_page_size

    def read() -> ReviewPage:
        count = store.count(who)
        pages = max(1, -(-count // size))
        number_ = min(max(1, number), pages)
        return ReviewPage(store.page(who, (number_ - 1) * size, size), number_, pages, count, store.names())

    return _read(read)
