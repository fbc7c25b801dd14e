"""The workbench's eval runs: start `reportqa eval` on the dev split from the page (one at a time),
and follow it on its page, or as JSON. The page never reloads itself (a reload sends the focus and
a screen reader back to the top): a named progress bar and a polite live region show the progress,
kept up to date by web/static/workbench.js from the JSON route; without JavaScript, a link reloads
the page. The runner itself is web/workbench/job_runner.py."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from reportqa.runs import dev_question_counts
from reportqa.settings import Settings
from retriever.pipeline import DEFAULT_CONFIGS, PIPELINES
from web.deps import SettingsDep
from web.workbench.auth import read_form, require_evaluator
from web.workbench.job_runner import EvalJobs, JobBusyError, JobStatus, runner_for
from web.workbench.page import render

router = APIRouter(include_in_schema=False)
JOB_POLL_SECONDS = 3  # how often the page's script asks for the progress
RUNNABLE_SPLIT = "dev"  # the sealed set is evaluated once, from the command line


def expected_steps(settings: Settings, configs: list[str], with_ask: bool) -> int:
    """The steps an eval run of ``configs`` should take (as eval/evaluate.py counts them: each
    configuration searches the answerable questions, the ask slice asks every question), shown
    while the eval process loads; it counts them itself once it starts."""
    answerable, total = dev_question_counts(settings.eval_dir)
    return len(configs) * answerable + (total if with_ask else 0)


def jobs_for(request: Request) -> EvalJobs:
    """The job runner of this server's reports folder: one per process (``runner_for``, made under
    a lock), its lock and status file in the reports folder, shared by every worker. A runner put
    on ``app.state.eval_jobs`` (tests) takes its place."""
    jobs = getattr(request.app.state, "eval_jobs", None)
    if jobs is not None:
        return jobs
    settings: Settings = request.app.state.settings
    return runner_for(settings.reports_dir, settings.eval_job_timeout_seconds)


@router.post("/evaluator/jobs", name="evaluator_start_job")
async def start_job(request: Request, settings: SettingsDep) -> Response:
    """Start ``reportqa eval`` (dev split) in the background; one at a time."""
    require_evaluator(settings)
    fields = await read_form(request, settings)
    configs = [c for c in fields.get("configs", " ".join(DEFAULT_CONFIGS)).split() if c]
    chosen = [name for name in PIPELINES if fields.get(f"config_{name}") == "on"] or configs
    unknown = [c for c in chosen if c not in PIPELINES]
    if unknown or not chosen:
        raise HTTPException(status_code=422, detail=f"Unknown configuration(s): {', '.join(unknown) or 'none'}; "
                                                    f"choose from {', '.join(PIPELINES)}.")
    with_ask = fields.get("ask", "") == "on"
    try:
        await run_in_threadpool(jobs_for(request).start_eval, settings, chosen, RUNNABLE_SPLIT, with_ask,
                                expected_steps(settings, chosen, with_ask))
    except JobBusyError as exc:
        return render(request, "evaluator_job.html", {"job": jobs_for(request).status(), "busy": str(exc),
                                                      "poll": JOB_POLL_SECONDS}, settings, status_code=409)
    except OSError as exc:  # the reports folder (lock, status) cannot be written, or eval cannot start
        raise HTTPException(status_code=503, detail=f"The eval run could not be started: {exc.strerror or exc}") \
            from exc
    return RedirectResponse(str(request.url_for("evaluator_job")), status_code=303)


@router.get("/evaluator/job", response_class=HTMLResponse, name="evaluator_job")
def job_page(request: Request, settings: SettingsDep) -> Response:
    """The current or last run's progress (its script follows a run that goes; it never reloads itself)."""
    return render(request, "evaluator_job.html", {"job": jobs_for(request).status(), "busy": "",
                                                  "poll": JOB_POLL_SECONDS}, settings)


def job_json(status: JobStatus | None) -> dict:
    """A job's status as the JSON route returns it (``{"state": "idle"}`` before the first)."""
    if status is None:
        return {"state": "idle"}
    return {"id": status.id, "state": status.state, "configs": list(status.configs), "split": status.split,
            "done": status.done, "total": status.total, "percent": status.percent, "stage": status.stage,
            "started": status.started, "finished": status.finished, "message": status.message,
            "written": list(status.written)}


@router.get("/api/evaluator/job", name="evaluator_job_json")
def job_status(request: Request) -> dict:
    """The current or last eval run as JSON (``{"state": "idle"}`` before the first)."""
    return job_json(jobs_for(request).status())
