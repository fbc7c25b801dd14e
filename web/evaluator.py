"""The evaluator workbench under /evaluator: eval runs by date and configuration (per persona, with
the Hit@k plot), a run's failures and a drill-down into one question (as recorded, and re-run
"now" against the live index), two runs side by side, starting an eval run in the background,
and judgements with the evaluator's name, undo, review and export as TREC qrels.

Every page works with JavaScript off (GET forms, POST forms, a meta refresh while a run goes).
Reading needs only what every page needs (the access token, when set); writing also needs the
server's evaluator permission (see web/workbench_auth.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.responses import Response

from reportqa.judgements import (
    Judgement,
    JudgementError,
    JudgementStoreError,
    append_judgement,
    judgement_qrels,
    load_judgements,
    retract_latest,
    review,
    trec_qrels,
)
from reportqa.run_files import RecordedHit
from reportqa.runs import (
    DEV_SPLIT,
    QuestionInfo,
    RunFormatError,
    RunInfo,
    RunRecord,
    compare_runs,
    label_key,
    latest_summaries,
    list_runs,
    load_run,
    question_index,
    summary_of,
)
from reportqa.settings import Settings
from retriever.pipeline import DEFAULT_CONFIGS, DEFAULT_PIPELINE, PIPELINES
from web.deps import RetrieverDep, SettingsDep
from web.eval_jobs import EvalJobs, JobBusyError, JobStatus, runner_for
from web.templating import TEMPLATES
from web.workbench_auth import (
    clean_name,
    evaluator_name,
    form_token,
    judging_on,
    read_form,
    remember_choices,
    remember_form_token,
    require_evaluator,
)

router = APIRouter(include_in_schema=False)
HEADLINE = ("Hit@1", "Hit@5", "MRR@10")
JOB_REFRESH_SECONDS = 3
RUNNABLE_SPLIT = "dev"  # the sealed set is evaluated once, from the command line


# --- helpers ----------------------------------------------------------------------------------------------------
def _jobs(request: Request) -> EvalJobs:
    """The job runner of this server's reports folder: one per process (web.eval_jobs.runner_for, made
    under a lock), its lock and status file in the reports folder, shared by every worker. A runner
    put on ``app.state.eval_jobs`` (tests) takes its place."""
    jobs = getattr(request.app.state, "eval_jobs", None)
    if jobs is not None:
        return jobs
    settings: Settings = request.app.state.settings
    return runner_for(settings.reports_dir, settings.eval_job_timeout_seconds)


_QUESTIONS: dict[Path, tuple[float, dict[str, QuestionInfo]]] = {}
_RUNS: dict[Path, tuple[int, int, RunRecord]] = {}


def _questions(settings: Settings) -> dict[str, QuestionInfo]:
    """The question sets by id, re-read when the dev file changes."""
    source = settings.eval_dir / "questions.jsonl"
    stamp = source.stat().st_mtime if source.exists() else 0.0
    cached = _QUESTIONS.get(settings.eval_dir)
    if cached is None or cached[0] != stamp:
        _QUESTIONS[settings.eval_dir] = cached = (stamp, question_index(settings.eval_dir))
    return cached[1]


def _load(path: Path, settings: Settings) -> RunRecord:
    """A run file read back, cached until the file changes. Raises RunFormatError."""
    stat = path.stat()
    cached = _RUNS.get(path)
    if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
        record = load_run(path, _questions(settings))
        _RUNS[path] = cached = (stat.st_mtime_ns, stat.st_size, record)
    return cached[2]


def _run(ref: str | None, settings: Settings) -> RunRecord:
    """The run named ``ref`` among the reports (never an arbitrary path); 404 / 422 otherwise."""
    if not ref:
        raise HTTPException(status_code=422, detail="Choose a run.")
    info = next((r for r in list_runs(settings.reports_dir) if r.ref == ref), None)
    if info is None:
        raise HTTPException(status_code=404, detail=f"No eval run named {ref[:80]!r}; see the list of runs.")
    try:
        return _load(info.path, settings)
    except (RunFormatError, OSError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _page(request: Request, name: str, context: dict, settings: Settings, status_code: int = 200) -> Response:
    """Render a workbench template with what every workbench page needs, and keep the form token."""
    token = form_token(request)
    context = {"documents": [], "evaluator": settings.evaluator_mode, "judging": judging_on(request, settings),
               "who": evaluator_name(request), "form_token": token, "note": request.query_params.get("note", "")[:300],
               **context}
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    remember_form_token(response, token, request.url.scheme == "https")
    return response


def _back(target: str | None, default: str = "/evaluator") -> str:
    """A place on the workbench to go back to (never another site)."""
    if not target or not target.startswith("/evaluator") or "//" in target or "\\" in target:
        return default
    return "".join(ch for ch in target if ch.isprintable())


def _with_note(target: str, note: str) -> RedirectResponse:
    base = target.split("#")[0]
    parts = [p for p in base.split("?", 1)[1].split("&") if p and not p.startswith("note=")] if "?" in base else []
    query = "&".join(parts + [urlencode({"note": note})])
    return RedirectResponse(base.split("?")[0] + "?" + query, status_code=303)


def _run_rows(runs: list[RunInfo], settings: Settings) -> list[dict]:
    """A row per run file; a file that cannot be read is listed as unreadable (with why), never a 500.
    Held-back splits show no failure count (their questions are not read one by one)."""
    rows = []
    for info in runs:
        try:
            record = _load(info.path, settings)
        except (RunFormatError, OSError) as exc:
            rows.append({"info": info, "record": None, "error": _short_error(exc, settings)})
            continue
        rows.append({"info": info, "record": record, "failures": None if record.headline_only
                     else len(record.failures(settings.eval_failure_rank))})
    return rows


def _short_error(exc: Exception, settings: Settings) -> str:
    """Why a run file cannot be read, without the server's folder names."""
    return str(exc).replace(str(settings.reports_dir) + "/", "")[:200]


def _per_question(record: RunRecord) -> None:
    """403 for a run of a held-back split: its questions are not to be read one by one."""
    if record.headline_only:
        raise HTTPException(status_code=403, detail=f"Run {record.ref} is of the {record.split} split, which is held "
                                                    "back from tuning: only its headline numbers are shown (on its "
                                                    "run page); its questions are not shown or compared one by one.")


def _judgements(settings: Settings) -> list[Judgement]:
    """The judgements file read back; 503 when it cannot be read."""
    try:
        return load_judgements(settings.judgements_path)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgements cannot be read: {exc}") from exc


# --- runs ---------------------------------------------------------------------------------------------------------
@router.get("/evaluator", response_class=HTMLResponse, name="evaluator")
def workbench(request: Request, settings: SettingsDep, date: str | None = None, split: str | None = None) -> Response:
    """Runs by date and configuration, the per-persona table of one date, the plot, the controls."""
    runs = list_runs(settings.reports_dir)
    rows = _run_rows(runs, settings)
    dates = sorted({(r.date, r.split) for r in runs}, key=lambda d: (label_key(d[0]), d[1]), reverse=True)
    chosen = (date, split or "dev") if date else next(((d, s) for d, s in dates if s == "dev"),
                                                       dates[0] if dates else None)
    if chosen is not None and chosen not in dates:
        raise HTTPException(status_code=404, detail="No eval runs on that date.")
    of_date = [r for r in rows if chosen and (r["info"].date, r["info"].split) == chosen and r["record"]]
    personas = sorted({p for r in of_date for p in r["record"].by_persona})
    plot = None
    if chosen:
        folder = settings.reports_dir if chosen[1] == "dev" else settings.reports_dir / chosen[1]
        png = folder / f"{chosen[0]}-recall.png"
        plot = str(png.relative_to(settings.reports_dir)) if png.exists() else None
    return _page(request, "evaluator_home.html", {
        "rows": rows, "dates": dates, "splits": sorted({s for _, s in dates}), "chosen": chosen, "of_date": of_date,
        "personas": personas, "plot": plot,
        "headline": HEADLINE, "summaries": latest_summaries(settings.reports_dir), "job": _jobs(request).status(),
        "pipelines": list(PIPELINES), "default_configs": DEFAULT_CONFIGS,
        "failure_rank": settings.eval_failure_rank}, settings)


@router.get("/evaluator/run", response_class=HTMLResponse, name="evaluator_run")
def run_page(request: Request, settings: SettingsDep, run: str | None = None) -> Response:
    """A run: its per-persona table and its failures with their top three passages."""
    record = _run(run, settings)
    failures = [] if record.headline_only else record.failures(settings.eval_failure_rank)
    return _page(request, "evaluator_run.html", {
        "run": record, "failures": failures, "headline": HEADLINE,
        "failure_rank": settings.eval_failure_rank}, settings)


@router.get("/evaluator/question", response_class=HTMLResponse, name="evaluator_question")
def question_page(request: Request, retriever: RetrieverDep, settings: SettingsDep, run: str | None = None,
                  id: str | None = None) -> Response:  # noqa: A002 - the query parameter is the question id
    """One question of a run: what the run recorded, and the same question re-run now."""
    record = _run(run, settings)
    _per_question(record)
    result = record.questions.get(id or "")
    if result is None:
        raise HTTPException(status_code=404, detail=f"Run {record.ref} has no question {id!r}.")
    question = _questions(settings).get(result.id)
    text = result.question or (question.question if question else "")
    pipeline = PIPELINES.get(record.config, PIPELINES[DEFAULT_PIPELINE])
    # evidence now: what the run counted, changed by the judgements standing now
    relevant_now = dict.fromkeys(result.relevant, 1)
    if text:
        judged = judgement_qrels(_judgements(settings), {result.id: text})
        relevant_now.update(judged.get(result.id, {}))
    live = []
    if text:
        for hit in retriever.search(text, k=settings.evaluator_live_depth, pipeline=pipeline):
            p = hit.passage
            live.append(RecordedHit(hit.rank, p.passage_id, hit.score, relevant_now.get(p.passage_id, 0) > 0,
                                    hit.features.as_dict() if hit.features else {}).described(
                p, _short_title(retriever, p.doc_id), settings.eval_preview_words))
    recorded = [_described(h, retriever, settings.eval_preview_words) for h in result.hits]
    first_now = next((h.rank for h in live if h.relevant), None)
    outcome_now = retriever.ask(text).outcome if text else None
    feature_names = list(live[0].features) if live else []
    return _page(request, "evaluator_question.html", {
        "run": record, "q": result, "recorded": recorded, "text": text, "live": live, "first_now": first_now,
        "outcome_now": outcome_now,
        "recorded_outcome": _recorded_ask(record, result.id), "feature_names": feature_names,
        "live_depth": settings.evaluator_live_depth, "pipeline_name": record.config if record.config in PIPELINES
        else DEFAULT_PIPELINE, "back": str(request.url.path) + "?" + urlencode({"run": record.ref, "id": result.id})},
        settings)


def _short_title(retriever, doc_id: str) -> str:
    doc = retriever.documents.get(doc_id)
    return doc.meta.short_title if doc else doc_id


def _described(hit: RecordedHit, retriever, words: int) -> RecordedHit:
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
    """The ask outcome the same run's summary recorded for a question (runs from issue 14 on)."""
    summary = summary_of(record)
    return summary.ask.by_question.get(qid) if summary and summary.ask else None


@router.get("/evaluator/compare", response_class=HTMLResponse, name="evaluator_compare")
def compare_page(request: Request, settings: SettingsDep, a: str | None = None, b: str | None = None,
                 all: bool = False) -> Response:  # noqa: A002 - the query parameter
    """Two runs side by side: per question, better or worse and by how much, with totals."""
    runs = [r for r in list_runs(settings.reports_dir) if r.split == DEV_SPLIT]  # held-back splits: headline only
    comparison = None
    if a and b:
        run_a, run_b = _run(a, settings), _run(b, settings)
        _per_question(run_a)
        _per_question(run_b)
        comparison = compare_runs(run_a, run_b)
    rows = (comparison.rows if all else comparison.changed) if comparison else []
    return _page(request, "evaluator_compare.html", {
        "runs": runs, "a": a or "", "b": b or "", "c": comparison, "rows": rows, "show_all": all}, settings)


# --- eval runs from the page -----------------------------------------------------------------------------------------
@router.post("/evaluator/jobs", name="evaluator_start_job")
async def start_job(request: Request, settings: SettingsDep) -> Response:
    """Start ``reportqa eval`` (dev split) in the background; one at a time."""
    require_evaluator(settings)
    fields = await read_form(request)
    configs = [c for c in fields.get("configs", " ".join(DEFAULT_CONFIGS)).split() if c]
    chosen = [name for name in PIPELINES if fields.get(f"config_{name}") == "on"] or configs
    unknown = [c for c in chosen if c not in PIPELINES]
    if unknown or not chosen:
        raise HTTPException(status_code=422, detail=f"Unknown configuration(s): {', '.join(unknown) or 'none'}; "
                                                    f"choose from {', '.join(PIPELINES)}.")
    with_ask = fields.get("ask", "") == "on"
    try:
        _jobs(request).start_eval(settings, chosen, RUNNABLE_SPLIT, with_ask)
    except JobBusyError as exc:
        return _page(request, "evaluator_job.html", {"job": _jobs(request).status(), "busy": str(exc),
                                                     "refresh": JOB_REFRESH_SECONDS}, settings, status_code=409)
    except OSError as exc:  # the reports folder (lock, status) cannot be written, or eval cannot start
        raise HTTPException(status_code=503, detail=f"The eval run could not be started: {exc.strerror or exc}") \
            from exc
    return RedirectResponse(str(request.url_for("evaluator_job")), status_code=303)


@router.get("/evaluator/job", response_class=HTMLResponse, name="evaluator_job")
def job_page(request: Request, settings: SettingsDep) -> Response:
    """The current or last run's progress; refreshes itself while it runs."""
    status = _jobs(request).status()
    response = _page(request, "evaluator_job.html", {"job": status, "busy": "", "refresh": JOB_REFRESH_SECONDS},
                     settings)
    if status is not None and status.running:
        response.headers["refresh"] = str(JOB_REFRESH_SECONDS)  # the meta refresh's twin, for any browser
    return response


def job_json(status: JobStatus | None) -> dict:
    if status is None:
        return {"state": "idle"}
    return {"id": status.id, "state": status.state, "configs": list(status.configs), "split": status.split,
            "done": status.done, "total": status.total, "percent": status.percent, "stage": status.stage,
            "started": status.started, "finished": status.finished, "message": status.message,
            "written": list(status.written)}


@router.get("/api/evaluator/job", name="evaluator_job_json")
def job_status(request: Request) -> dict:
    """The current or last eval run as JSON (``{"state": "idle"}`` before the first)."""
    return job_json(_jobs(request).status())


# --- judgements ------------------------------------------------------------------------------------------------------
@router.post("/evaluator/session", name="evaluator_session")
async def session(request: Request, settings: SettingsDep) -> Response:
    """Turn this browser's judgement buttons on or off, and remember the evaluator's name."""
    fields = await read_form(request)
    judging = fields.get("judging") == "on"
    if judging:
        require_evaluator(settings)
    name = clean_name(fields.get("who"))
    response = _with_note(_back(fields.get("back")), ("Judgement buttons on" if judging else
                                                       "Judgement buttons off") + (f" for {name}." if name else "."))
    remember_choices(response, judging, name, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements", name="evaluator_judge")
async def judge(request: Request, retriever: RetrieverDep, settings: SettingsDep) -> Response:
    """Record a judgement from a form (the drill-down's buttons), then go back with a note."""
    require_evaluator(settings)
    fields = await read_form(request)
    who = clean_name(fields.get("who"))
    if not who:
        raise HTTPException(status_code=422, detail="Give your name (evaluator) before judging.")
    query, pid = fields.get("query", "").strip(), fields.get("passage_id", "")
    if retriever.passage(pid) is None:
        raise HTTPException(status_code=404, detail="No passage with that id.")
    if fields.get("relevant") not in ("true", "false"):
        raise HTTPException(status_code=422, detail="Say relevant or not relevant.")
    relevant = fields["relevant"] == "true"
    try:
        append_judgement(settings.judgements_path, Judgement.now(query, pid, relevant, who))
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The judgement was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    response = _with_note(_back(fields.get("back")), f"Saved: {pid} {'relevant' if relevant else 'not relevant'} "
                                                     f"(by {who}).")
    remember_choices(response, None, who, request.url.scheme == "https")
    return response


@router.post("/evaluator/judgements/undo", name="evaluator_undo")
async def undo(request: Request, settings: SettingsDep) -> Response:
    """Undo an evaluator's latest standing judgement of a pair (appends a retraction)."""
    require_evaluator(settings)
    fields = await read_form(request)
    who = clean_name(fields.get("who"))
    if not who:
        raise HTTPException(status_code=422, detail="Give the evaluator whose judgement to undo.")
    try:
        retraction = retract_latest(settings.judgements_path, fields.get("query", "").strip(),
                                    fields.get("passage_id", ""), who)
    except JudgementStoreError as exc:
        raise HTTPException(status_code=503, detail=f"The undo was not saved: {exc}") from exc
    except JudgementError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return _with_note(_back(fields.get("back"), "/evaluator/judgements"),
                      f"Undone: {who}'s judgement of {retraction.passage_id}.")


@router.get("/evaluator/judgements", response_class=HTMLResponse, name="evaluator_judgements")
def judgements_page(request: Request, settings: SettingsDep, who: str | None = None) -> Response:
    """Every judgement and undo, newest first, optionally one evaluator's, with what became of each."""
    records = _judgements(settings)
    rows = review(records, clean_name(who) or None)
    names = sorted({j.who for j in records})
    # the undo button sits on the row an undo would cancel: the latest standing one of its evaluator and pair
    latest: dict[tuple[str, str, str], int] = {}
    for n, row in enumerate(rows):
        if row.status == "standing":
            latest[(row.judgement.who, *row.judgement.pair)] = n
    undoable = set(latest.values())
    shown = [{"row": row, "undoable": n in undoable} for n, row in enumerate(rows)][::-1]
    return _page(request, "evaluator_judgements.html", {
        "rows": shown, "names": names, "filter": clean_name(who), "count": len(rows),
        "back": str(request.url.path) + ("?" + urlencode({"who": clean_name(who)}) if who else "")}, settings)


@router.get("/evaluator/judgements.qrels", name="evaluator_qrels")
def judgements_qrels(settings: SettingsDep, who: str | None = None, unmatched: bool = False) -> Response:
    """Standing judgements as TREC qrels (``query_id 0 passage_id relevance``), as a download.
    Queries that match an eval question take its id; others only with ``unmatched`` (id 'j-…')."""
    questions = {qid: q.question for qid, q in question_index(settings.eval_dir).items()}
    lines = trec_qrels(_judgements(settings), questions, clean_name(who) or None, unmatched)
    name = "judgements" + (f"-{clean_name(who)}" if who else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return PlainTextResponse("".join(f"{line}\n" for line in lines),
                             headers={"content-disposition": f'attachment; filename="{safe}.qrels"'})
