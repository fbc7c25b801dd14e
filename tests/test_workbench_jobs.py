"""Eval runs from the page (web/workbench/jobs.py): start one, one at a time, never overwriting a
run already written; the job page refreshes itself while it runs."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from conftest import client_for
from workbench_support import QUESTIONS, block, post_form, waiting_job

from reportqa.runs import list_runs
from web.workbench.job_runner import EvalJobs


def test_start_a_run_from_the_page(wb_client, wb_settings, eval_root: Path, tmp_path: Path) -> None:
    settings = wb_settings.model_copy(update={"reports_dir": tmp_path / "reports"})
    wb_client = client_for(settings, wb_client.app.state.holder.current())
    jobs = wb_client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
    # a run already committed today: the page-started run must leave every one of its files alone
    today = date.today().isoformat()
    settings.reports_dir.mkdir()
    committed = {}
    for source in (eval_root / "eval" / "reports").glob(f"{today}-*"):
        if source.is_file():
            (settings.reports_dir / source.name).write_bytes(source.read_bytes())
            committed[source.name] = source.read_bytes()
    assert f"{today}-bm25.json" in committed and f"{today}-summary.json" in committed
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    jobs.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    busy = post_form(wb_client, "/evaluator/jobs", {"config_bm25": "on"})
    assert busy.status_code == 409 and "already going" in busy.text
    gate.touch()
    jobs.wait(20)
    started = post_form(wb_client, "/evaluator/jobs", {"config_bm25": "on", "config_dense": "on"})
    assert started.status_code == 303 and started.headers["location"].endswith("/evaluator/job")
    status = jobs.wait(180)
    assert status.state == "done", status.message
    body = wb_client.get("/api/evaluator/job").json()
    assert body["state"] == "done" and body["done"] == body["total"] == 2 * len(QUESTIONS)  # no ask slice: unticked
    assert {(r.date, r.config) for r in list_runs(settings.reports_dir)} == {
        (label, config) for label in (today, f"{today}.2") for config in ("bm25", "dense")}
    assert {f"{r.ref}.json" for r in list_runs(settings.reports_dir) if r.date != today} <= set(body["written"])
    for name, content in committed.items():  # nothing of the committed run was overwritten
        assert (settings.reports_dir / name).read_bytes() == content, name
    assert json.loads((settings.reports_dir / f"{today}-summary.json").read_text())["ask"] is not None
    assert (settings.reports_dir / f"{today}.2-recall.png").is_file()
    home = wb_client.get("/evaluator").text  # the new run is the newest, with its own plot and summary
    assert f"{today}.2-recall.png" in block(home, "chosen-runs")
    assert wb_client.get(f"/eval-reports/{today}.2-recall.png").status_code == 200
    new_run = wb_client.get("/evaluator/run", params={"run": f"{today}.2-bm25"})
    assert new_run.status_code == 200
    assert wb_client.get("/evaluator/compare", params={"a": f"{today}-bm25", "b": f"{today}.2-bm25"}).status_code == 200
    page = wb_client.get("/evaluator/job").text
    assert "finished" in page and "http-equiv" not in page
    bad = post_form(wb_client, "/evaluator/jobs", {"configs": "bm25 nonsense"})
    assert bad.status_code == 422 and "nonsense" in bad.text


def test_the_job_page_refreshes_while_a_run_goes(wb_client, tmp_path: Path) -> None:
    jobs = wb_client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    jobs.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    try:
        page = wb_client.get("/evaluator/job")
        assert 'http-equiv="refresh"' in page.text and page.headers["refresh"] == "3"
        assert wb_client.get("/api/evaluator/job").json()["state"] == "running"
    finally:
        gate.touch()
        jobs.wait(20)
