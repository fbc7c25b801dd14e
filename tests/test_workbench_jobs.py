"""Eval runs from the page (web/workbench/jobs.py): start one, one at a time, never overwriting a
run already written; the job page shows real step counts from the start, and follows the run with a
named progress bar and a polite live region, never by reloading itself."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

from conftest import client_for
from workbench_support import QUESTIONS, block, post_form, waiting_job

from reportqa.runs import list_runs
from web.workbench.job_runner import EvalJobs
from web.workbench.jobs import expected_steps


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
    assert jobs.status().total == 2 * len(QUESTIONS)  # counted from the start, not "0 of ?" while eval loads
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


def test_the_job_page_follows_a_run_without_reloading_itself(wb_client, wb_settings, tmp_path: Path) -> None:
    jobs = wb_client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    loading = [sys.executable, "-c", f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists(): "
                                     "time.sleep(0.05)\n"]  # an eval process still loading: no progress yet
    expected = expected_steps(wb_settings, ["bm25", "dense"], with_ask=True)
    assert expected == 2 * len(QUESTIONS) + len(QUESTIONS) + 1  # both configurations, then every question asked
    jobs.start(loading, dict(os.environ), ["bm25", "dense"], "dev", progress, expected_steps=expected)
    try:
        page = wb_client.get("/evaluator/job")
        assert "http-equiv" not in page.text and "refresh" not in page.headers
        assert '<label for="job-progress">Progress of eval run 1</label>' in page.text
        assert f'<progress id="job-progress" max="{expected}" value="0">' in page.text
        steps = block(page.text, "job-steps", "p")
        assert 'role="status" aria-live="polite"' in page.text.split('data-testid="job-steps"')[0][-80:]
        assert f"0 of {expected} steps" in steps and "loading the index" in steps and "?" not in steps
        assert '/evaluator/job">reload the page' in block(page.text, "reload", "p")  # without JavaScript
        assert "workbench.js" in page.text
        progress.write_text(json.dumps({"done": 3, "total": 17, "stage": "bm25"}), encoding="utf-8")
        assert "3 of 17 steps" in block(wb_client.get("/evaluator/job").text, "job-steps", "p")  # its own count
        assert wb_client.get("/api/evaluator/job").json()["state"] == "running"
    finally:
        gate.touch()
        jobs.wait(20)
