"""The workbench's run pages: eval runs by date and configuration (per persona, with the Hit@k
plot and the latest summaries), one run's failures, two runs side by side, and the report files
themselves (plots, Markdown, JSON) under /eval-reports/."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.responses import Response

from reportqa.run_files import CONFIG_NAME, DEV_SPLIT, LABEL, PLOT, label_key, report_name
from reportqa.runs import compare_runs, latest_summaries, list_runs
from retriever.pipeline import DEFAULT_CONFIGS, PIPELINES
from web.deps import SettingsDep
from web.workbench.jobs import jobs_for
from web.workbench.page import render
from web.workbench.run_store import refuse_held_back, run_named, run_rows

router = APIRouter(include_in_schema=False)
HEADLINE = ("Hit@1", "Hit@5", "MRR@10")
REPORT_FILE = re.compile(rf"^(?:(?:heldout|sealed|all)/)?{LABEL}-{CONFIG_NAME}\.(png|md|json)$")


@router.get("/evaluator", response_class=HTMLResponse, name="evaluator")
def workbench(request: Request, settings: SettingsDep, date: str | None = None, split: str | None = None) -> Response:
    """Runs by date and configuration, the per-persona table of one date, the plot, the controls."""
    runs = list_runs(settings.reports_dir)
    rows = run_rows(runs, settings)
    dates = sorted({(r.date, r.split) for r in runs}, key=lambda d: (label_key(d[0]), d[1]), reverse=True)
    chosen = (date, split or DEV_SPLIT) if date else next(((d, s) for d, s in dates if s == DEV_SPLIT),
                                                          dates[0] if dates else None)
    if chosen is not None and chosen not in dates:
        raise HTTPException(status_code=404, detail="No eval runs on that date.")
    of_date = [r for r in rows if chosen and (r.info.date, r.info.split) == chosen and r.record]
    personas = sorted({p for r in of_date for p in r.record.by_persona})
    plot = None
    if chosen:
        folder = settings.reports_dir if chosen[1] == DEV_SPLIT else settings.reports_dir / chosen[1]
        png = folder / report_name(chosen[0], PLOT)
        plot = str(png.relative_to(settings.reports_dir)) if png.exists() else None
    return render(request, "evaluator_home.html", {
        "rows": rows, "dates": dates, "splits": sorted({s for _, s in dates}), "chosen": chosen, "of_date": of_date,
        "personas": personas, "plot": plot,
        "headline": HEADLINE, "summaries": latest_summaries(settings.reports_dir), "job": jobs_for(request).status(),
        "pipelines": list(PIPELINES), "default_configs": DEFAULT_CONFIGS,
        "failure_rank": settings.eval_failure_rank}, settings)


@router.get("/evaluator/run", response_class=HTMLResponse, name="evaluator_run")
def run_page(request: Request, settings: SettingsDep, run: str | None = None) -> Response:
    """A run: its per-persona table and its failures with their top three passages."""
    record = run_named(run, settings)
    failures = [] if record.headline_only else record.failures(settings.eval_failure_rank)
    return render(request, "evaluator_run.html", {
        "run": record, "failures": failures, "headline": HEADLINE,
        "failure_rank": settings.eval_failure_rank}, settings)


@router.get("/evaluator/compare", response_class=HTMLResponse, name="evaluator_compare")
def compare_page(request: Request, settings: SettingsDep, a: str | None = None, b: str | None = None,
                 all: bool = False) -> Response:  # noqa: A002 - the query parameter
    """Two runs side by side: per question, better or worse and by how much, with totals."""
    runs = [r for r in list_runs(settings.reports_dir) if r.split == DEV_SPLIT]  # held-back splits: headline only
    comparison = None
    if a and b:
        run_a, run_b = run_named(a, settings), run_named(b, settings)
        refuse_held_back(run_a)
        refuse_held_back(run_b)
        comparison = compare_runs(run_a, run_b)
    rows = (comparison.rows if all else comparison.changed) if comparison else []
    return render(request, "evaluator_compare.html", {
        "runs": runs, "a": a or "", "b": b or "", "c": comparison, "rows": rows, "show_all": all}, settings)


@router.get("/eval-reports/{name:path}", name="eval_report")
def eval_report(name: str, settings: SettingsDep) -> FileResponse:
    """A file of an eval report (a plot, the Markdown, a run's JSON); only names a run writes."""
    path = settings.reports_dir / name
    if not REPORT_FILE.match(name) or not path.is_file():
        raise HTTPException(status_code=404, detail="No such report file.")
    return FileResponse(path)
