"""The workbench's judgement pages: turn this browser's judgement buttons on or off (and remember
the evaluator's name), record a judgement or undo one from a form, review every judgement and undo
with what became of each (a page at a time), and export them: the standing ones as TREC qrels,
every record as JSON lines. Recording and undoing go through web/workbench/judging.py, as the JSON
API's do, in the thread pool (store I/O never runs on the event loop).

A form goes back to the page it was sent from, to the element it acted on (the judged candidate,
the undone row: the form's ``place``), which shows what was done and takes the focus."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from reportqa.judgements import normalise_name, to_jsonl, trec_qrels
from web.deps import RetrieverDep, SettingsDep
from web.workbench.auth import read_form, remember_choices, require_evaluator
from web.workbench.judging import (
    read_judgements,
    review_page,
    save_judgement,
    standing_judgements,
    undo_judgement,
)
from web.workbench.page import back_to, render, with_note
from web.workbench.run_store import questions

router = APIRouter(include_in_schema=False)
REVIEW = "/evaluator/judgements"
EXPORT_CHUNK_LINES = 2000  # JSON lines a piece of the download


@router.post("/evaluator/session", name="evaluator_session")
async def session(request: Request, settings: SettingsDep) -> Response:
    """Turn this browser's judgement buttons on or off, and remember the evaluator's name."""
    fields = await read_form(request, settings)
    judging = fields.get("judging") == "on"
    if judging:
        require_evaluator(settings)
    name = normalise_name(fields.get("who"))
    response = with_note(back_to(fields.get("back")), ("Judgement buttons on" if judging else
                                                       "Judgement buttons off") + (f" for {name}." if name else "."),
                         "session")
    remember_choices(response, judging, name, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements", name="evaluator_judge")
async def judge(request: Request, retriever: RetrieverDep, settings: SettingsDep) -> Response:
    """Record a judgement from a form (the drill-down's buttons), then go back to the candidate judged."""
    require_evaluator(settings)  # before the form: a server without the permission says so
    fields = await read_form(request, settings)
    if fields.get("relevant") not in ("true", "false"):
        raise HTTPException(status_code=422, detail="Say relevant or not relevant.")
    saved = await run_in_threadpool(save_judgement, settings, retriever, fields.get("query", ""),
                                    fields.get("passage_id", ""), fields["relevant"] == "true", fields.get("who"))
    response = with_note(back_to(fields.get("back")), f"Saved: {saved.passage_id} "
                                                      f"{'relevant' if saved.relevant else 'not relevant'} "
                                                      f"(by {saved.who}).", fields.get("place", ""))
    remember_choices(response, None, saved.who, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements/undo", name="evaluator_undo")
async def undo(request: Request, settings: SettingsDep) -> Response:
    """Undo an evaluator's latest standing judgement of a pair (records a retraction), then go back
    to the candidate, or to the undone row of the review."""
    require_evaluator(settings)
    fields = await read_form(request, settings)
    done = await run_in_threadpool(undo_judgement, settings, fields.get("query", ""), fields.get("passage_id", ""),
                                   fields.get("who"))
    place = fields.get("place", "")
    return with_note(back_to(fields.get("back"), REVIEW),
                     f"Undone: {done.retraction.who}'s judgement of {done.retraction.passage_id}.",
                     f"j-{done.cancelled}" if place == "row" else place)


@router.get(REVIEW, response_class=HTMLResponse, name="evaluator_judgements")
def judgements_page(request: Request, settings: SettingsDep, who: str | None = None, page: int = 1) -> Response:
    """Every judgement and undo, newest first, a page at a time, optionally one evaluator's, with
    what became of each."""
    name = normalise_name(who)
    shown = review_page(settings, name or None, page)
    filters = {"who": name} if name else {}
    here = {**filters, **({"page": shown.number} if shown.number > 1 else {})}
    return render(request, "evaluator_judgements.html", {
        "rows": shown.rows, "names": shown.names, "filter": name, "count": shown.count, "page": shown.number,
        "pages": shown.pages, "page_size": settings.judgements_page_size,
        "places": {f"j-{row.id}" for row in shown.rows},
        "newer": REVIEW + "?" + urlencode({**filters, "page": shown.number - 1}) if shown.number > 1 else None,
        "older": REVIEW + "?" + urlencode({**filters, "page": shown.number + 1}) if shown.number < shown.pages
        else None,
        "back": REVIEW + ("?" + urlencode(here) if here else "")}, settings)


def _download_name(stem: str, who: str | None, name: str) -> str:
    filename = stem + (f"-{name}" if who else "")
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in filename)


@router.get("/evaluator/judgements.qrels", name="evaluator_qrels")
def judgements_qrels(settings: SettingsDep, who: str | None = None, unmatched: bool = False) -> Response:
    """Standing judgements as TREC qrels (``query_id 0 passage_id relevance``), as a download.
    Queries that match an eval question take its id; others only with ``unmatched`` (id 'j-…')."""
    name = normalise_name(who)
    texts = {qid: q.question for qid, q in questions(settings).items()}
    lines = trec_qrels(standing_judgements(settings, name or None), texts, None, unmatched)
    return PlainTextResponse("".join(f"{line}\n" for line in lines), headers={
        "content-disposition": f'attachment; filename="{_download_name("judgements", who, name)}.qrels"'})


@router.get("/evaluator/judgements.jsonl", name="evaluator_jsonl")
def judgements_jsonl(settings: SettingsDep, who: str | None = None) -> Response:
    """Every judgement and undo (only ``who``'s when given) as JSON lines, in the order recorded:
    the format of the file the store replaced, as a download."""
    name = normalise_name(who)
    records = [j for j in read_judgements(settings) if not name or j.who == name]
    return StreamingResponse(to_jsonl(records, EXPORT_CHUNK_LINES), media_type="application/x-ndjson", headers={
        "content-disposition": f'attachment; filename="{_download_name("judgements", who, name)}.jsonl"'})
