"""Judgements from the web: the one way the JSON API (web/api.py) and the workbench's forms
(web/workbench/judgements.py) record a judgement, undo one and read them all back, each with the
HTTP error its caller can show. The file itself is reportqa/judgements.py."""

from __future__ import annotations

from fastapi import HTTPException

from reportqa.judgements import (
    Judgement,
    JudgementError,
    JudgementStoreError,
    append_judgement,
    load_judgements,
    normalise_name,
    retract_latest,
)
from reportqa.settings import Settings
from retriever.retriever import Retriever
from web.workbench.auth import require_evaluator


def save_judgement(settings: Settings, retriever: Retriever, query: str, passage_id: str, relevant: bool,
                   who: str | None) -> Judgement:
    """Append whether ``passage_id`` answers ``query``, by the evaluator ``who`` (name normalised).

    403 without the evaluator permission, 404 for a passage not in the index, 422 for an empty
    query or name (or a record that is not valid), 503 when the file cannot be written.
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
        append_judgement(settings.judgements_path, judgement)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgement was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return judgement


def undo_judgement(settings: Settings, query: str, passage_id: str, who: str | None) -> Judgement:
    """Undo ``who``'s latest standing judgement of (query, passage) by appending its retraction,
    which is returned. 403 without the evaluator permission, 422 without a name, 404 when there is
    nothing to undo, 503 when the file cannot be written."""
    require_evaluator(settings)
    name = normalise_name(who)
    if not name:
        raise HTTPException(status_code=422, detail="Give the evaluator (who) whose judgement to undo.")
    try:
        return retract_latest(settings.judgements_path, query.strip(), passage_id, name)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The undo was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def read_judgements(settings: Settings) -> list[Judgement]:
    """Every judgement and undo in the file, in file order; 503 when it cannot be read."""
    try:
        return load_judgements(settings.judgements_path)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgements cannot be read: {exc}") from exc
