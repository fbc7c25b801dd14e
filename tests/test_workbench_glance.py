"""Answers at a glance on the workbench (web/workbench/runs.py, curve.py): a run's page shows the ask
slice's glance figures per persona and the decision's precision–coverage curve (an inline SVG with a
table as its text alternative); the compare page lists the questions whose glance changed."""

from __future__ import annotations

from pathlib import Path

from conftest import client_for
from workbench_support import a_config_run, an_ask_summary, block

from eval.report import write_reports
from reportqa.runs import open_run, summary_of
from web.workbench.curve import TABLE_ROWS, curve_chart

# precision falls as the threshold falls and more questions are answered: 30 thresholds
CURVE = tuple({"threshold": round(0.95 - k * 0.03, 3), "precision": round(1.0 - k * 0.01, 4),
               "answered": round(k / 29, 4), "unanswerable_answered": round(k / 58, 4)} for k in range(30))
BEFORE = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": True}
AFTER = {"q1": True, "q2": False, "q3": True, "q4": False, "q6": True}


def _client(wb_settings, fake_retriever, reports: Path, before_ask=None, after_ask=None):
    write_reports(reports, [a_config_run("before", {"q1": 3, "q2": 1, "q3": 2, "q4": 30, "q5": 4})],
                  before_ask, "dev", 5, day="2026-01-01")
    write_reports(reports, [a_config_run("after", {"q1": 1, "q2": None, "q3": 2, "q4": 12, "q6": 1})],
                  after_ask, "dev", 5, day="2026-01-02")
    return client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)


def test_a_run_page_shows_glance_per_persona_and_the_curve(wb_settings, fake_retriever, tmp_path: Path) -> None:
    client = _client(wb_settings, fake_retriever, tmp_path / "reports", an_ask_summary(BEFORE, CURVE))
    page = client.get("/evaluator/run", params={"run": "2026-01-01-before"}).text
    figures = block(page, "glance-figures", "table")
    assert '<th scope="row">frontline</th><td>5</td>' in figures and "<td>0.600</td>" in figures  # 3 of 5 carried
    assert "<td>0.900</td>" in figures and "<td>0.700</td>" in figures  # answer precision, sentence Hit@1
    curve = block(page, "curve", "figure")
    assert 'role="img"' in curve and "30 thresholds, from 0.950" in curve and "to 0.080" in curve
    assert curve.count("<circle") == block(curve, "curve-table", "table").count('<th scope="row">') <= TABLE_ROWS + 1
    table = block(curve, "curve-table", "table")
    assert '<th scope="row">0.950</th><td>1.000</td><td>0.000</td>' in table  # the first threshold ...
    assert '<th scope="row">0.080</th><td>0.710</td><td>1.000</td><td>0.500</td>' in table  # ... and the last
    assert len(curve.split('points="')[1].split('"')[0].split()) == 30


def test_a_run_without_ask_figures_shows_no_glance(wb_settings, fake_retriever, tmp_path: Path) -> None:
    client = _client(wb_settings, fake_retriever, tmp_path / "reports")
    page = client.get("/evaluator/run", params={"run": "2026-01-01-before"})
    assert page.status_code == 200 and 'data-testid="glance"' not in page.text


def test_the_fixture_run_shows_its_own_ask_figures(wb_client, eval_root: Path) -> None:
    """A run written by the eval itself over the fake index: every persona its ask slice measured."""
    ref = next(p.stem for p in (eval_root / "eval" / "reports").glob("*-bm25.json"))
    ask = summary_of(open_run(ref, eval_root / "eval" / "reports")).ask
    figures = block(wb_client.get("/evaluator/run", params={"run": ref}).text, "glance-figures", "table")
    for persona, values in ask.figures.items():
        assert f'<th scope="row">{persona}</th><td>{int(values["answerable"])}</td><td>{values["glance"]:.3f}</td>' \
            in figures


def test_compare_lists_the_questions_whose_glance_changed(wb_settings, fake_retriever, tmp_path: Path) -> None:
    client = _client(wb_settings, fake_retriever, tmp_path / "reports", an_ask_summary(BEFORE), an_ask_summary(AFTER))
    html = client.get("/evaluator/compare", params={"a": "2026-01-01-before", "b": "2026-01-02-after"}).text
    changed = block(html, "glance-changed")
    assert "Of 4 answerable questions" in changed  # q5 and q6 are in one run only
    lost, gained = block(changed, "glance-lost", "ul"), block(changed, "glance-gained", "ul")
    assert "id=q2" in lost and "question q2?" in lost and "q1" not in lost and "q3" not in lost
    assert "id=q3" in gained and "q2" not in gained and "q4" not in gained


def test_compare_says_when_glance_cannot_be_compared(wb_settings, fake_retriever, tmp_path: Path) -> None:
    client = _client(wb_settings, fake_retriever, tmp_path / "reports", None, an_ask_summary(AFTER))
    html = client.get("/evaluator/compare", params={"a": "2026-01-01-before", "b": "2026-01-02-after"}).text
    assert "cannot be listed" in block(html, "glance-changed") and 'data-testid="glance-lost"' not in html


def test_the_curve_is_drawn_inside_its_frame() -> None:
    assert curve_chart(()) is None
    chart = curve_chart(({"threshold": 0.9, "precision": 1.0, "answered": 0.0, "unanswerable_answered": 0.0},
                         {"threshold": 0.1, "precision": 0.5, "answered": 1.0, "unanswerable_answered": 1.0}))
    top_left, bottom_right = chart.points
    assert (top_left.x, top_left.y) == (chart.margin, chart.margin)
    assert (bottom_right.x, bottom_right.y) == (chart.width - chart.margin, chart.up(0.5))
    assert chart.rows == chart.points and chart.step == 1


def test_the_latest_summary_headlines_glance(wb_client, eval_root: Path) -> None:
    ref = next(p.stem for p in (eval_root / "eval" / "reports").glob("*-bm25.json"))
    every = summary_of(open_run(ref, eval_root / "eval" / "reports")).ask.figures["all"]
    line = " ".join(block(wb_client.get("/evaluator").text, "headline-glance", "li").split())
    assert f"carries the fact on {every['glance'] * 100:.0f}% of answerable" in line
