"""The workbench's run pages (web/workbench/runs.py): runs by date with personas and the plot, two
runs compared, unreadable run files listed rather than a 500, held-back splits shown as headline
numbers only, and the report files served safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import client_for
from workbench_support import CONFIGS, a_config_run, block, run_ref

from eval.report import write_reports
from reportqa.run_files import RunFormatError
from reportqa.runs import compare_runs, list_runs, load_run, open_run


def test_workbench_lists_runs_with_personas_and_the_plot(wb_client, eval_root: Path) -> None:
    page = wb_client.get("/evaluator")
    assert page.status_code == 200
    text = page.text
    for config in CONFIGS:
        assert f"?run={run_ref(eval_root, config)}" in text
    chosen = block(text, "chosen-runs")  # the chosen date's runs: their personas and their own plot
    for persona in ("facts", "frontline", "trainer"):
        assert f">{persona}</th>" in chosen
    label = list_runs(eval_root / "eval" / "reports")[0].date
    assert f"{label}-recall.png" in chosen and f"alt=\"Hit at k curves for each configuration of {label}\"" in chosen
    assert "Latest evaluation on the dev split" in block(text, "latest-summary")


def test_compare_page_shows_the_diff_and_totals(wb_client, eval_root: Path) -> None:
    a, b = run_ref(eval_root, "bm25"), run_ref(eval_root, "dense")
    c = compare_runs(open_run(a, eval_root / "eval" / "reports"), open_run(b, eval_root / "eval" / "reports"))
    html = wb_client.get("/evaluator/compare", params={"a": a, "b": b, "all": "true"}).text
    assert f"{len(c.better)} better" in html and f"{len(c.worse)} worse" in html
    for row in c.rows:
        assert f'class="change-{row.change}"' in html and f"id={row.id}" in html
    assert wb_client.get("/evaluator/compare", params={"a": a, "b": "missing"}).status_code == 404


BAD_RUNS = {
    "features-not-object": lambda d: d["questions"][0]["hits"][0].update(features=[1, 2]) or d,
    "per-query-not-object": lambda d: d["per_query"].update(q1=3) or d,
    "overall-not-object": lambda d: d.update(overall=[1, 2]) or d,
    "by-persona-null-values": lambda d: d.update(by_persona={"x": None}) or d,
    "questions-not-list": lambda d: d.update(questions=7) or d,
    "rank-text": lambda d: d["questions"][0].update(first_rank="two") or d,
}


def test_a_bad_run_file_is_listed_as_unreadable_not_a_500(fabricated: Path, wb_settings, fake_retriever) -> None:
    good = json.loads((fabricated / "2026-01-01-before.json").read_text())
    good["questions"][0]["hits"][0]["features"] = None  # a hit without features is read as having none
    (fabricated / "2026-01-01-before.json").write_text(json.dumps(good), encoding="utf-8")
    assert load_run(fabricated / "2026-01-01-before.json").questions["q1"].hits[0].features == {}
    for name, spoil in BAD_RUNS.items():
        path = fabricated / f"2026-02-01-{name}.json"
        path.write_text(json.dumps(spoil(json.loads(json.dumps(good)))), encoding="utf-8")
        with pytest.raises(RunFormatError):
            load_run(path)
    (fabricated / "2026-02-01-half.json").write_text(json.dumps(good)[:200], encoding="utf-8")
    (fabricated / "2026-02-01-summary.json").write_text('{"date": "2026-02', encoding="utf-8")
    (fabricated / "2026-02-02-summary.json").write_bytes(b"\xff\xfe not json")
    client = client_for(wb_settings.model_copy(update={"reports_dir": fabricated}), fake_retriever)
    page = client.get("/evaluator", params={"date": "2026-02-01"})
    assert page.status_code == 200
    runs = block(page.text, "runs", "table")
    assert runs.count('data-testid="unreadable"') == len(BAD_RUNS) + 1 and "2026-02-01-half.json" in runs
    assert "2026-01-02" in block(page.text, "latest-summary")  # the newest readable summary
    bad = client.get("/evaluator/run", params={"run": "2026-02-01-features-not-object"})
    assert bad.status_code == 422 and "cannot be read" in bad.text
    assert client.get("/evaluator/compare", params={"a": "2026-01-01-before",
                                                    "b": "2026-02-01-half"}).status_code == 422


def test_sealed_runs_show_only_headline_numbers(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run("before", {"q1": 3, "q2": 1})], None, "dev", 2, day="2026-01-01")
    write_reports(reports / "sealed", [a_config_run("full", {"q1": 30, "q2": None})], None, "sealed", 2,
                  day="2026-01-02")
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    run = client.get("/evaluator/run", params={"run": "sealed/2026-01-02-full"})
    assert run.status_code == 200 and 'data-testid="headline-only"' in run.text
    assert "frontline" in block(run.text, "run-personas", "table")  # the per-persona numbers are there ...
    assert "question q1" not in run.text and 'data-testid="failures"' not in run.text  # ... the questions not
    question = client.get("/evaluator/question", params={"run": "sealed/2026-01-02-full", "id": "q1"})
    assert question.status_code == 403 and "held back" in question.text and "question q1" not in question.text
    compare = client.get("/evaluator/compare", params={"a": "2026-01-01-before", "b": "sealed/2026-01-02-full"})
    assert compare.status_code == 403 and "question q1" not in compare.text
    form = client.get("/evaluator/compare").text
    assert "2026-01-01-before" in form and "sealed/" not in form
    home = client.get("/evaluator", params={"date": "2026-01-02", "split": "sealed"})
    assert home.status_code == 200 and "sealed/2026-01-02-full" in home.text


def test_eval_report_files_are_served_safely(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    wb_client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    reports.mkdir()
    (reports / "2026-01-01-recall.png").write_bytes(b"\x89PNG")
    assert wb_client.get("/eval-reports/2026-01-01-recall.png").status_code == 200
    assert wb_client.get("/eval-reports/..%2Fquestions.jsonl").status_code == 404
    assert wb_client.get("/eval-reports/../questions.jsonl").status_code == 404
    (reports / "2026-01-01-summary.json").write_text(json.dumps({
        "date": "2026-01-01", "split": "dev", "questions": 3, "measures": ["Hit@5"],
        "configs": {"full": {"overall": {"Hit@5": 0.5}, "latency_p95_ms": 9.0}}, "ask": None}), encoding="utf-8")
    page = wb_client.get("/evaluator").text
    assert "Latest evaluation on the dev split" in page and "2026-01-01-recall.png" in page
