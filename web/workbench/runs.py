"""The workbench's run pages: eval runs by date and configuration (per persona, with the Hit@k
plot and the latest summaries), one run's failures and answers at a glance (glance per persona and
the decision's precision–coverage curve), two runs side by side (with the questions whose glance
changed), and the report files themselves under /eval-reports/: plots, Markdown and JSON of the dev
split, only the plots of a held-back split (sealed, heldout), whose per-question files are not to be
read one by one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.responses import Response

from reportqa.run_files import CONFIG_NAME, DEV_SPLIT, LABEL, PLOT, label_key, report_name
from reportqa.runs import (
    GlanceDiff,
    RunInfo,
    RunRecord,
    compare_runs,
    glance_diff,
    latest_summaries,
    list_runs,
    summary_of,
)
from reportqa.settings import Settings
from retriever.pipeline import DEFAULT_CONFIGS, DEFAULT_PIPELINE, PIPELINES
from web.deps import SettingsDep
from web.workbench.curve import curve_chart
from web.workbench.jobs import jobs_for
from web.workbench.page import render
from web.workbench.run_store import RunRow, questions, refuse_held_back, run_named, run_rows

router = APIRouter(include_in_schema=False)
HEADLINE = ("Hit@1", "Hit@5", "MRR@10")
REPORT_FILE = re.compile(rf"^(?:{LABEL}-{CONFIG_NAME}\.(?:png|md|json)|[a-z]+/{LABEL}-{CONFIG_NAME}\.png)$")


@dataclass(frozen=True)
class RunDate:
    """The runs of one date (label) and split: one choice of the "Runs of" control."""

    label: str
    split: str
    rows: tuple[RunRow, ...]

    @property
    def value(self) -> str:
        """The control's value: the label, after the split's folder for a held-back split (as run names are)."""
        return self.label if self.split == DEV_SPLIT else f"{self.split}/{self.label}"


def split_of(row: RunRow) -> str:
    """The split a run is of: as its file says when it can be read (a held-back run is never shown
    as a dev one, wherever its file lies), else as its folder says."""
    return row.record.split if row.record is not None else row.info.split


def run_dates(rows: list[RunRow]) -> list[RunDate]:
    """The runs grouped by date and split, newest first (dev before a held-back split on one date)."""
    groups: dict[tuple[str, str], list[RunRow]] = {}
    for row in rows:
        groups.setdefault((row.info.date, split_of(row)), []).append(row)
    keys = sorted(groups, key=lambda k: (label_key(k[0]), k[1] == DEV_SPLIT), reverse=True)
    return [RunDate(label, split, tuple(groups[(label, split)])) for label, split in keys]


def chosen_date(dates: list[RunDate], date: str | None, split: str | None) -> RunDate | None:
    """The date the page shows: ``date`` (``sealed/2026-11-29`` names a held-back split's; the older
    ``split`` parameter is read too), else the newest dev date, else the newest. 404 for a date with
    no runs."""
    if not date:
        return next((d for d in dates if d.split == DEV_SPLIT), dates[0] if dates else None)
    if "/" in date:
        split, date = date.split("/", 1)
    found = next((d for d in dates if (d.label, d.split) == (date, split or DEV_SPLIT)), None)
    if found is None:
        raise HTTPException(status_code=404, detail="No eval runs on that date.")
    return found


@router.get("/evaluator", response_class=HTMLResponse, name="evaluator")
def workbench(request: Request, settings: SettingsDep, date: str | None = None, split: str | None = None) -> Response:
    """Runs by date and configuration, the per-persona table of one date, the plot, the controls."""
    rows = run_rows(list_runs(settings.reports_dir), settings)
    dates = run_dates(rows)
    chosen = chosen_date(dates, date, split)
    of_date = [r for r in chosen.rows if r.record] if chosen else []
    personas = sorted({p for r in of_date for p in r.record.by_persona})
    plot = None
    if chosen:
        png = chosen.rows[0].info.path.with_name(report_name(chosen.label, PLOT))
        plot = str(png.relative_to(settings.reports_dir)) if png.exists() else None
    summaries = latest_summaries(settings.reports_dir, DEFAULT_PIPELINE)
    return render(request, "evaluator_home.html", {
        "rows": rows, "dates": dates, "chosen": chosen, "of_date": of_date, "personas": personas, "plot": plot,
        "headline": HEADLINE, "summaries": summaries, "headline_config": DEFAULT_PIPELINE,
        "job": jobs_for(request).status(), "pipelines": list(PIPELINES), "default_configs": DEFAULT_CONFIGS,
        "failure_rank": settings.eval_failure_rank, "store": settings.judgements_path.name,
        "places": {"session"}}, settings)


@router.get("/evaluator/run", response_class=HTMLResponse, name="evaluator_run")
def run_page(request: Request, settings: SettingsDep, run: str | None = None) -> Response:
    """A run: its per-persona table and its failures with their top three passages."""
    record = run_named(run, settings)
    failures = [] if record.headline_only else record.failures(settings.eval_failure_rank)
    summary = summary_of(record)
    ask = summary.ask if summary else None
    return render(request, "evaluator_run.html", {
        "run": record, "failures": failures, "headline": HEADLINE, "failure_rank": settings.eval_failure_rank,
        "ask": ask, "chart": curve_chart(ask.curve) if ask else None}, settings)


@dataclass(frozen=True)
class GlanceRow:
    """A question whose glance changed between two runs, as the compare page lists it."""

    id: str
    persona: str
    question: str


def glance_rows(ids: tuple[str, ...], run: RunRecord, settings: Settings) -> list[GlanceRow]:
    """The questions ``ids`` named from run B's records, else from the question sets."""
    known = questions(settings)
    rows = []
    for qid in ids:
        recorded, info = run.questions.get(qid), known.get(qid)
        rows.append(GlanceRow(qid, recorded.persona if recorded else info.persona if info else "",
                              (recorded.question if recorded else "") or (info.question if info else "")))
    return rows


def default_pair(runs: list[RunInfo], a: str = "", b: str = "") -> tuple[str, str]:
    """The two runs compare shows chosen (``runs`` newest first), where the address names none:
    B the newest run of the default pipeline (else the newest run), A the run of B's configuration
    before it (else the newest other run); never the same run twice, '' where there is none."""
    if not b:
        others = [r for r in runs if r.ref != a]
        b = next((r.ref for r in others if r.config == DEFAULT_PIPELINE), others[0].ref if others else "")
    if not a:
        refs = [r.ref for r in runs]
        after = runs[refs.index(b) + 1:] if b in refs else runs
        config = next((r.config for r in runs if r.ref == b), None)
        others = [r for r in runs if r.ref != b]
        a = next((r.ref for r in after if r.config == config), others[0].ref if others else "")
    return a, b


@router.get("/evaluator/compare", response_class=HTMLResponse, name="evaluator_compare")
def compare_page(request: Request, settings: SettingsDep, a: str | None = None, b: str | None = None,
                 all: bool = False) -> Response:  # noqa: A002 - the query parameter
    """Two runs side by side: per question, better or worse and by how much, with totals."""
    runs = [r for r in list_runs(settings.reports_dir) if r.split == DEV_SPLIT]  # held-back splits: headline only
    comparison = None
    glance: GlanceDiff | None = None
    lost: list[GlanceRow] = []
    gained: list[GlanceRow] = []
    if a and b:
        run_a, run_b = run_named(a, settings), run_named(b, settings)
        refuse_held_back(run_a)
        refuse_held_back(run_b)
        comparison = compare_runs(run_a, run_b)
        summaries = summary_of(run_a), summary_of(run_b)
        glance = glance_diff(*(s.ask if s else None for s in summaries))
        if glance:
            lost, gained = glance_rows(glance.lost, run_b, settings), glance_rows(glance.gained, run_b, settings)
    shown_a, shown_b = default_pair(runs, a or "", b or "")
    rows = (comparison.rows if all else comparison.changed) if comparison else []
    return render(request, "evaluator_compare.html", {
        "runs": runs, "a": shown_a, "b": shown_b, "c": comparison, "rows": rows, "show_all": all,
        "glance": glance, "glance_lost": lost, "glance_gained": gained}, settings)


@router.get("/eval-reports/{name:path}", name="eval_report")
def eval_report(name: str, settings: SettingsDep) -> FileResponse:
    """A file of an eval report: a plot, the Markdown or a run's JSON of the dev split; only the plot
    of a held-back split. Only names a run writes."""
    path = settings.reports_dir / name
    if not REPORT_FILE.match(name) or not path.is_file():
        raise HTTPException(status_code=404, detail="No such report file.")
    return FileResponse(path)
