"""How the workbench reads runs (web/workbench/run_store.py): only by name among the reports, with
a 404, 422 or 403 a page can show; cached until the run file changes; an unreadable file listed
with why, without the server's folder names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import HTTPException
from workbench_support import a_config_run

from eval.report import write_reports
from reportqa.runs import list_runs
from web.workbench.run_store import expectations, load, refuse_held_back, run_named, run_rows


@pytest.fixture
def settings(wb_settings, fabricated: Path):
    return wb_settings.model_copy(update={"reports_dir": fabricated})


def test_a_run_is_found_by_name_only(settings) -> None:
    assert run_named("2026-01-01-before", settings).config == "before"
    for ref, status in ((None, 422), ("", 422), ("2026-01-09-none", 404), ("../../etc/passwd", 404),
                        (str(settings.reports_dir / "2026-01-01-before.json"), 404)):
        with pytest.raises(HTTPException) as refused:
            run_named(ref, settings)
        assert refused.value.status_code == status, ref


def test_a_run_is_read_again_when_its_file_changes(settings) -> None:
    path = settings.reports_dir / "2026-01-01-before.json"
    first = load(path, settings)
    assert load(path, settings) is first  # cached
    data = json.loads(path.read_text(encoding="utf-8"))
    data["overall"]["Hit@1"] = 0.125
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load(path, settings).overall["Hit@1"] == 0.125


def test_an_unreadable_run_is_a_422_and_a_row_saying_why(settings) -> None:
    (settings.reports_dir / "2026-01-03-half.json").write_text('{"name": "half", "per_q', encoding="utf-8")
    with pytest.raises(HTTPException) as refused:
        run_named("2026-01-03-half", settings)
    assert refused.value.status_code == 422 and "not an eval run file" in refused.value.detail
    rows = {row.info.ref: row for row in run_rows(list_runs(settings.reports_dir), settings)}
    assert rows["2026-01-03-half"].record is None and rows["2026-01-03-half"].error.startswith("2026-01-03-half.json")
    assert str(settings.reports_dir) not in rows["2026-01-03-half"].error
    assert rows["2026-01-02-after"].failures == 2 and rows["2026-01-02-after"].error == ""  # q2 and q4


def test_a_held_back_run_shows_no_failures_and_refuses_questions(settings) -> None:
    write_reports(settings.reports_dir / "sealed", [a_config_run("full", {"q1": 30})], None, "sealed", 1,
                  day="2026-01-05")
    sealed = run_named("sealed/2026-01-05-full", settings)
    with pytest.raises(HTTPException) as refused:
        refuse_held_back(sealed)
    assert refused.value.status_code == 403 and "held back" in refused.value.detail
    refuse_held_back(run_named("2026-01-01-before", settings))  # a dev run: no error
    assert expectations(sealed, settings) == {}, "a held-back run's questions show no evidence or answer"
    assert expectations(run_named("2026-01-01-before", settings), settings)["a1"].evidence
    [row] = [r for r in run_rows(list_runs(settings.reports_dir), settings) if r.info.split == "sealed"]
    assert row.failures is None and row.record is not None
