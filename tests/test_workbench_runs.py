"""The workbench's run pages (web/workbench/runs.py): runs by date with personas and the plot, two
runs compared, unreadable run files listed rather than a 500, held-back splits shown as headline
numbers only, and the report files served safely."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from conftest import client_for
from workbench_support import CONFIGS, a_config_run, block, run_ref

from eval.report import write_reports
from reportqa.run_files import RunFormatError, sweep_stale_writing
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
    (reports / "2026-01-01-full.json").write_text(json.dumps({"name": "full", "per_query": {}}), encoding="utf-8")
    page = wb_client.get("/evaluator").text
    assert "Latest evaluation on the dev split" in page and "2026-01-01-recall.png" in page


def test_held_back_report_files_serve_only_their_plots(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-01")
    write_reports(reports / "sealed", [a_config_run("full", {"q1": 30})], None, "sealed", 1, day="2026-01-02")
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    for name in ("2026-01-01-full.json", "2026-01-01-full.md", "2026-01-01-summary.md", "2026-01-01-recall.png",
                 "sealed/2026-01-02-recall.png"):
        assert client.get(f"/eval-reports/{name}").status_code == 200, name
    for name in ("sealed/2026-01-02-full.json", "sealed/2026-01-02-full.md", "sealed/2026-01-02-summary.json",
                 "sealed/2026-01-02-summary.md"):  # per-question data of a held-back split (issue 22, D9)
        assert (reports / name).is_file() and client.get(f"/eval-reports/{name}").status_code == 404, name


# --- one control picks a run's date; compare and the headline choose sensibly (issue 21, #9) --------------------
def test_one_control_picks_the_runs_shown_and_never_calls_a_sealed_run_dev(wb_settings, fake_retriever,
                                                                             tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-02")
    write_reports(reports / "sealed", [a_config_run("full", {"q1": 30})], None, "sealed", 1, day="2026-01-02")
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    home = client.get("/evaluator").text
    control = home[home.index('<form method="get" action="http://testserver/evaluator"'):]
    control = control[:control.index("</form>")]
    assert control.count("<select") == 1 and 'name="split"' not in control
    assert '<option value="2026-01-02" selected>2026-01-02 (dev split)</option>' in control
    assert '<option value="sealed/2026-01-02">2026-01-02 (sealed split, headline figures only)</option>' in control
    sealed = client.get("/evaluator", params={"date": "sealed/2026-01-02"}).text
    assert "By persona: 2026-01-02 (sealed split)" in sealed
    assert re.findall(r'<option value="([^"]+)" selected>', sealed) == ["sealed/2026-01-02"]
    assert "sealed/2026-01-02-full" in block(sealed, "chosen-runs")
    old_link = client.get("/evaluator", params={"date": "2026-01-02", "split": "sealed"}).text  # still works
    assert "By persona: 2026-01-02 (sealed split)" in old_link
    misplaced = reports / "2026-01-03-full.json"  # a sealed run's file in the dev folder: its own split shows
    misplaced.write_bytes((reports / "sealed" / "2026-01-02-full.json").read_bytes())
    home = client.get("/evaluator").text
    assert '<option value="sealed/2026-01-03">2026-01-03 (sealed split, headline figures only)</option>' in home
    assert "2026-01-03 (dev split)" not in home
    assert client.get("/evaluator", params={"date": "2026-01-03"}).status_code == 404


def test_compare_offers_the_two_latest_different_runs(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for day in ("2026-01-01", "2026-01-02"):
        write_reports(reports, [a_config_run(c, {"q1": 3}) for c in ("bm25", "full")], None, "dev", 1, day=day)
    write_reports(reports, [a_config_run("bm25", {"q1": 2})], None, "dev", 1, day="2026-01-03")
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    form = block(client.get("/evaluator/compare").text, "compare-form", "form")
    selected = re.findall(r'<option value="([^"]+)" selected>', form)
    assert selected == ["2026-01-01-full", "2026-01-02-full"]  # A before B: the default pipeline's last two runs
    chosen_b = block(client.get("/evaluator/compare", params={"b": "2026-01-03-bm25"}).text, "compare-form", "form")
    assert re.findall(r'<option value="([^"]+)" selected>', chosen_b) == ["2026-01-02-bm25", "2026-01-03-bm25"]
    only = tmp_path / "one"
    write_reports(only, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-01")
    one = client_for(wb_settings.model_copy(update={"reports_dir": only}), fake_retriever)
    assert re.findall(r'<option value="([^"]+)" selected>', one.get("/evaluator/compare").text) == ["2026-01-01-full"]


def test_the_headline_is_the_default_pipelines_latest_run(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run(c, {"q1": 3}) for c in ("bm25", "full")], None, "dev", 1, day="2026-01-01")
    write_reports(reports, [a_config_run("bm25", {"q1": 2})], None, "dev", 1, day="2026-01-02")  # from the page
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    latest = block(client.get("/evaluator").text, "latest-summary")
    assert "Latest evaluation on the dev split: 2026-01-01" in latest and "2026-01-02" not in latest
    assert "The full pipeline: Hit@1 0.500" in latest and "?run=2026-01-01-full" in latest
    alone = tmp_path / "bm25-only"
    write_reports(alone, [a_config_run("bm25", {"q1": 2})], None, "dev", 1, day="2026-01-02")
    other = client_for(wb_settings.model_copy(update={"reports_dir": alone}), fake_retriever)
    assert "Latest evaluation on the dev split: 2026-01-02" in other.get("/evaluator").text  # none ran it: newest


HOSTILE_RUNS = {  # as ../shared/hostile/runs/ makes them (issue 22, D10)
    "deep": "[" * 10_000 + "]" * 10_000,
    "overflow": json.dumps({"name": "x", "per_query": {"q1": {"MRR@10": 0.5}},
                            "questions": [{"id": "q1", "first_rank": 1, "persona": "p", "question": "q"}]})
    .replace('"first_rank": 1', '"first_rank": 1e400'),
    "infinite": '{"name": "x", "per_query": {"q1": {"MRR@10": Infinity}}}',
    "nulls": json.dumps({"name": "x", "per_query": {"q1": None}}),
    "types": json.dumps({"name": "x", "per_query": {"q1": {"MRR@10": "abc"}}}),
    "not-an-object": "[1, 2, 3]",
    "badjson": "{",
}


def test_hostile_run_files_never_make_a_500(fabricated: Path, wb_settings, fake_retriever) -> None:
    for name, text in HOSTILE_RUNS.items():
        (fabricated / f"2026-12-31-{name}.json").write_text(text, encoding="utf-8")
        with pytest.raises(RunFormatError):
            load_run(fabricated / f"2026-12-31-{name}.json")
    (fabricated / "2026-12-31-binary.json").write_bytes(b"\xff\xfe{")
    tiny = fabricated / "2026-12-29-tiny.json"  # an RR too small to be 1 / rank (1 / RR overflows): no rank
    tiny.write_text(json.dumps({"name": "x", "per_query": {"q1": {"MRR@10": 1e-320}}}), encoding="utf-8")
    assert load_run(tiny).questions["q1"].first_rank is None
    (fabricated / "2026-12-31-summary.json").write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    (fabricated / "2026-12-30-summary.json").write_text(json.dumps({
        "date": "2026-12-30", "split": "dev", "questions": 1e400, "configs": {}, "ask": None}), encoding="utf-8")
    (fabricated / ".eval-job.status.json").write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    client = client_for(wb_settings.model_copy(update={"reports_dir": fabricated}), fake_retriever)
    page = client.get("/evaluator", params={"date": "2026-12-31"})
    assert page.status_code == 200
    assert block(page.text, "runs", "table").count('data-testid="unreadable"') == len(HOSTILE_RUNS) + 1
    assert "2026-01-02" in block(page.text, "latest-summary")  # the newest summary that can be read
    for name in HOSTILE_RUNS:
        assert client.get("/evaluator/run", params={"run": f"2026-12-31-{name}"}).status_code == 422, name
        assert client.get("/evaluator/compare", params={"a": "2026-01-01-before",
                                                        "b": f"2026-12-31-{name}"}).status_code == 422, name
    assert client.get("/evaluator/job").status_code == 200
    assert client.get("/api/evaluator/job").json() == {"state": "idle"}


# --- a run stopped while its files were published (issue 22, D13) ------------------------------------------------
def test_a_run_stopped_while_publishing_is_never_headlined(wb_settings, fake_retriever, tmp_path: Path,
                                                           monkeypatch) -> None:
    import eval.report

    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-01")
    publish, published = eval.report._publish, []

    def stopped_after_three(tmp: Path, target: Path) -> None:
        if len(published) == 3:
            raise KeyboardInterrupt  # as a kill would stop it, between two files
        publish(tmp, target)
        published.append(target.name)

    monkeypatch.setattr(eval.report, "_publish", stopped_after_three)
    with pytest.raises(KeyboardInterrupt):
        write_reports(reports, [a_config_run(c, {"q1": 2}) for c in ("bm25", "full")], None, "dev", 1,
                      day="2026-01-02")
    assert published[0] == "2026-01-02-recall.png" and not (reports / "2026-01-02-summary.json").exists()
    monkeypatch.setattr(eval.report, "_publish", publish)
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    assert "Latest evaluation on the dev split: 2026-01-01" in block(client.get("/evaluator").text, "latest-summary")
    written = write_reports(reports, [a_config_run("full", {"q1": 1})], None, "dev", 1, day="2026-01-02")
    assert written[-1].name == "2026-01-02.2-summary.json"  # the summary last; the stopped run keeps its label
    (reports / "2026-01-02.2-full.json").unlink()  # as a run published summary-first and then stopped left it
    assert "Latest evaluation on the dev split: 2026-01-01" in block(client.get("/evaluator").text, "latest-summary")


def test_folders_left_by_stopped_runs_are_swept(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-01")
    old, fresh, sealed_old = reports / ".eval-dead", reports / ".eval-writing", reports / "sealed" / ".eval-x"
    for folder in (old, fresh, sealed_old):
        folder.mkdir(parents=True)
        (folder / "2026-01-05-full.json").write_text("{}", encoding="utf-8")
    for folder in (old, sealed_old):
        os.utime(folder, (time.time() - 2 * 3600, time.time() - 2 * 3600))
    (reports / ".eval-job.lock").write_text("", encoding="utf-8")
    os.utime(reports / ".eval-job.lock", (0, 0))  # a file, however old, is never swept
    write_reports(reports, [a_config_run("full", {"q1": 3})], None, "dev", 1, day="2026-01-02")
    assert not old.exists() and not sealed_old.exists()  # in the split folders too
    assert fresh.exists() and (reports / ".eval-job.lock").exists()  # one being written, and a file, are kept
    assert sweep_stale_writing(reports, older_than=-1) == [fresh]
