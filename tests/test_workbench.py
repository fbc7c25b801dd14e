"""The workbench package (web/workbench/__init__.py): every page it declares is served, and every
page shows the workbench's navigation."""

from __future__ import annotations

from fastapi import FastAPI
from workbench_support import run_ref

from web.workbench import drilldown, jobs, judgements, router, runs

PAGES = {"evaluator", "evaluator_run", "evaluator_question", "evaluator_compare", "evaluator_job",
         "evaluator_judgements", "evaluator_qrels", "evaluator_jsonl", "eval_report", "evaluator_job_json"}
FORMS = {"evaluator_start_job", "evaluator_session", "evaluator_judge", "evaluator_undo"}


def test_the_router_serves_every_route_of_its_modules() -> None:
    routes = [route for part in (runs, drilldown, jobs, judgements) for route in part.router.routes]
    assert {route.name for route in routes} == PAGES | FORMS
    assert all(route.methods == {"POST"} for route in routes if route.name in FORMS)
    app = FastAPI()
    app.include_router(router)
    assert app.url_path_for("evaluator_run") == "/evaluator/run"
    assert app.url_path_for("eval_report", name="2026-01-01-recall.png") == "/eval-reports/2026-01-01-recall.png"
    for name in (PAGES | FORMS) - {"eval_report"}:
        assert app.url_path_for(name).startswith(("/evaluator", "/api/evaluator")), name


def test_every_page_answers_with_the_workbench_navigation(wb_client, eval_root) -> None:
    ref = run_ref(eval_root, "bm25")
    for path, params in (("/evaluator", {}), ("/evaluator/run", {"run": ref}),
                         ("/evaluator/question", {"run": ref, "id": "a1"}), ("/evaluator/compare", {}),
                         ("/evaluator/job", {}), ("/evaluator/judgements", {})):
        page = wb_client.get(path, params=params)
        assert page.status_code == 200, path
        assert 'aria-label="Evaluator workbench"' in page.text and '/evaluator/compare">Compare' in page.text, path
    assert wb_client.get("/api/evaluator/job").json() == {"state": "idle"}
