"""The workbench's judgement pages: turn this browser's judgement buttons on or off (and remember
the evaluator's name), record a judgement or undo one from a form, review every judgement and undo
with what became of each, and export the standing ones as TREC qrels. Recording and undoing go
through web/workbench/judging.py, as the JSON API's do."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.responses import Response

from reportqa.judgements import normalise_name, review, trec_qrels
from web.deps import RetrieverDep, SettingsDep
from web.workbench.auth import read_form, remember_choices, require_evaluator
from web.workbench.judging import read_judgements, save_judgement, undo_judgement
from web.workbench.page import back_to, render, with_note
from web.workbench.run_store import questions

router = APIRouter(include_in_schema=False)
REVIEW = "/evaluator/judgements"


@router.post("/evaluator/session", name="evaluator_session")
async def session(request: Request, settings: SettingsDep) -> Response:
    """Turn this browser's judgement buttons on or off, and remember the evaluator's name."""
    fields = await read_form(request)
    judging = fields.get("judging") == "on"
    if judging:
        require_evaluator(settings)
    name = normalise_name(fields.get("who"))
    response = with_note(back_to(fields.get("back")), ("Judgement buttons on" if judging else
                                                       "Judgement buttons off") + (f" for {name}." if name else "."))
    remember_choices(response, judging, name, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements", name="evaluator_judge")
async def judge(request: Request, retriever: RetrieverDep, settings: SettingsDep) -> Response:
    """Record a judgement from a form (the drill-down's buttons), then go back with a note."""
    require_evaluator(settings)  # before the form: a server without the permission says so
    fields = await read_form(request)
    if fields.get("relevant") not in ("true", "false"):
        raise HTTPException(status_code=422, detail="Say relevant or not relevant.")
    saved = save_judgement(settings, retriever, fields.get("query", ""), fields.get("passage_id", ""),
                           fields["relevant"] == "true", fields.get("who"))
    response = with_note(back_to(fields.get("back")), f"Saved: {saved.passage_id} "
                                                      f"{'relevant' if saved.relevant else 'not relevant'} "
                                                      f"(by {saved.who}).")
    remember_choices(response, None, saved.who, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements/undo", name="evaluator_undo")
async def undo(request: Request, settings: SettingsDep) -> Response:
    """Undo an evaluator's latest standing judgement of a pair (appends a retraction)."""
    require_evaluator(settings)
    fields = await read_form(request)
    retraction = undo_judgement(settings, fields.get("query", ""), fields.get("passage_id", ""), fields.get("who"))
    return with_note(back_to(fields.get("back"), REVIEW),
                     f"Undone: {retraction.who}'s judgement of {retraction.passage_id}.")


@router.get(REVIEW, response_class=HTMLResponse, name="evaluator_judgements")
def judgements_page(request: Request, settings: SettingsDep, who: str | None = None) -> Response:
    """Every judgement and undo, newest first, optionally one evaluator's, with what became of each."""
    records = read_judgements(settings)
    name = normalise_name(who)
    rows = review(records, name or None)
    names = sorted({j.who for j in records})
    # the undo button sits on the row an undo would cancel: the latest standing one of its evaluator and pair
    latest: dict[tuple[str, str, str], int] = {}
    for n, row in enumerate(rows):
        if row.status == "standing":
            latest[(row.judgement.who, *row.judgement.pair)] = n
    undoable = set(latest.values())
    shown = [{"row": row, "undoable": n in undoable} for n, row in enumerate(rows)][::-1]
    return render(request, "evaluator_judgements.html", {
        "rows": shown, "names": names, "filter": name, "count": len(rows),
        "back": str(request.url.path) + ("?" + urlencode({"who": name}) if who else "")}, settings)


@router.get("/evaluator/judgements.qrels", name="evaluator_qrels")
def judgements_qrels(settings: SettingsDep, who: str | None = None, unmatched: bool = False) -> Response:
    """Standing judgements as TREC qrels (``query_id 0 passage_id relevance``), as a download.
    Queries that match an eval question take its id; others only with ``unmatched`` (id 'j-…')."""
    name = normalise_name(who)
    texts = {qid: q.question for qid, q in questions(settings).items()}
    lines = trec_qrels(read_judgements(settings), texts, name or None, unmatched)
    filename = "judgements" + (f"-{name}" if who else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in filename)
    return PlainTextResponse("".join(f"{line}\n" for line in lines),
                             headers={"content-disposition": f'attachment; filename="{safe}.qrels"'})
