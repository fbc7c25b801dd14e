"""The workbench's drill-down into one question of a run: what the question expects (its reference
answer and evidence spans, dev questions only), what the run recorded (its first
evidence, its top passages and the ask outcome that day) beside the same question re-run now
against the live index, every candidate with its features, judged against the evidence and the
judgements standing now (a judgement undone no longer counts; the latest of a pair wins)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from reportqa.judgements import judgement_qrels
from reportqa.run_files import RecordedHit
from reportqa.runs import QuestionResult, RunRecord, summary_of
from reportqa.settings import Settings
from retriever.pipeline import DEFAULT_PIPELINE, PIPELINES
from retriever.retriever import Retriever
from web.deps import RetrieverDep, SettingsDep
from web.workbench.judging import standing_on
from web.workbench.page import render
from web.workbench.run_store import expectations, questions, refuse_held_back, run_named

router = APIRouter(include_in_schema=False)


@router.get("/evaluator/question", response_class=HTMLResponse, name="evaluator_question")
def question_page(request: Request, retriever: RetrieverDep, settings: SettingsDep, run: str | None = None,
                  id: str | None = None) -> Response:  # noqa: A002 - the query parameter is the question id
    """One question of a run: what the run recorded, and the same question re-run now."""
    record = run_named(run, settings)
    refuse_held_back(record)
    result = record.questions.get(id or "")
    if result is None:
        raise HTTPException(status_code=404, detail=f"Run {record.ref} has no question {id!r}.")
    question = questions(settings).get(result.id)
    text = result.question or (question.question if question else "")
    live = _live(retriever, settings, record, result, text) if text else []
    expected = expectations(record, settings).get(result.id)
    return render(request, "evaluator_question.html", {
        "run": record, "q": result, "text": text, "live": live, "expected": expected,
        "evidence_titles": {e.doc_id: _short_title(retriever, e.doc_id) for e in expected.evidence} if expected else {},
        "recorded": [_described(h, retriever, settings.eval_preview_words) for h in result.hits],
        "first_now": next((h.rank for h in live if h.relevant), None),
        "outcome_now": retriever.ask(text).outcome if text else None,
        "recorded_outcome": _recorded_ask(record, result.id), "live_depth": settings.evaluator_live_depth,
        "pipeline_name": record.config if record.config in PIPELINES else DEFAULT_PIPELINE,
        "places": {f"cand-{h.passage_id}" for h in live},
        "back": str(request.url.path) + "?" + urlencode({"run": record.ref, "id": result.id})}, settings)


def _live(retriever: Retriever, settings: Settings, record: RunRecord, result: QuestionResult,
          text: str) -> list[RecordedHit]:
    """The question searched now with the run's pipeline, each candidate with its features and
    whether it is evidence now: what the run counted, changed by the judgements standing now."""
    relevant_now = dict.fromkeys(result.relevant, 1)
    relevant_now.update(judgement_qrels(standing_on(settings, text), {result.id: text}).get(result.id, {}))
    pipeline = PIPELINES.get(record.config, PIPELINES[DEFAULT_PIPELINE])
    live = []
    for hit in retriever.search(text, k=settings.evaluator_live_depth, pipeline=pipeline):
        p = hit.passage
        features = hit.features.as_dict() if hit.features else {}
        live.append(RecordedHit(hit.rank, p.passage_id, hit.score, relevant_now.get(p.passage_id, 0) > 0, features)
                    .described(p, _short_title(retriever, p.doc_id), settings.eval_preview_words))
    return live


def _short_title(retriever: Retriever, doc_id: str) -> str:
    doc = retriever.documents.get(doc_id)
    return doc.meta.short_title if doc else doc_id


def _described(hit: RecordedHit, retriever: Retriever, words: int) -> RecordedHit:
    """A recorded passage with its report, section and first words: runs record them for the top
    few only, so the rest are filled in from the current index, or left as the passage id when the
    passage no longer exists."""
    if hit.words or hit.section:
        return hit
    passage = retriever.passage(hit.passage_id)
    if passage is None:
        return replace(hit, section=f"{hit.passage_id} (no longer in the index)")
    return hit.described(passage, _short_title(retriever, passage.doc_id), words)


def _recorded_ask(record: RunRecord, qid: str) -> str | None:
    """The ask outcome the run's summary recorded for a question (runs from issue 14 on)."""
    summary = summary_of(record)
    return summary.ask.by_question.get(qid) if summary and summary.ask else None
