"""The drill-down into one question (web/workbench/drilldown.py): what the question expects (dev
questions only), what the run recorded (its ranks,
passages and the ask outcome that day) beside the same question re-run now, every candidate with
its features and judged against the judgements standing now."""

from __future__ import annotations

from pathlib import Path

from conftest import client_for
from markupsafe import escape
from workbench_support import QUESTIONS, block, run_ref

from reportqa.judgements import Judgement, append_judgement, retract_latest
from reportqa.runs import open_run, summary_of
from retriever.pipeline import PIPELINES


def test_failures_list_and_drill_down(wb_client, eval_root: Path, fake_retriever) -> None:
    ref = run_ref(eval_root, "bm25")
    run = open_run(ref, eval_root / "eval" / "reports")
    page = wb_client.get("/evaluator/run", params={"run": ref}).text
    failures = run.failures(5)
    assert failures and f"{len(failures)} questions without evidence in the top 5" in page
    for q in failures:
        assert f"id={q.id}" in page and q.rank_text in page
        for h in q.hits[:3]:
            assert h.words in page
    missing = wb_client.get("/evaluator/question", params={"run": ref, "id": "a3"}).text
    assert "zebra xylophone quasar" in block(missing, "question", "p")
    assert "not in top 50" in block(missing, "recorded-rank", "strong")  # as recorded ...
    assert "not in top 20" in block(missing, "now-rank", "strong")  # ... and re-run now
    html = wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert "question_lexical" in html and "best_sentence" in html  # every candidate's features
    longest = max(run.questions.values(), key=lambda q: len(q.hits))
    assert len(longest.hits) > 3 and not longest.hits[-1].words  # runs keep words for the top 3 only ...
    page_text = wb_client.get("/evaluator/question", params={"run": ref, "id": longest.id}).text
    described = page_text[page_text.index('id="recorded"'):page_text.index('data-testid="now"')]
    for h in longest.hits:  # ... and the drill-down describes the rest from the current index
        passage = fake_retriever.passage(h.passage_id)
        assert str(escape(" ".join(passage.text.split()[:6]))) in described
    now = fake_retriever.search("Operation Lantern issued notices", k=fake_retriever.settings.evaluator_live_depth,
                                pipeline=PIPELINES["bm25"])
    assert html.count('class="candidate card') == len(now) > 0
    assert f'data-passage="{now[0].passage.passage_id}"' in html
    assert wb_client.get("/evaluator/question", params={"run": ref, "id": "nope"}).status_code == 404
    assert wb_client.get("/evaluator/run", params={"run": "../../etc/passwd"}).status_code == 404


def test_the_drill_down_shows_the_expected_evidence_and_the_reference_answer(wb_client, eval_root: Path,
                                                                             fake_retriever) -> None:
    """Beside the passages, what the question expects: an evaluator sees why it failed."""
    ref = run_ref(eval_root, "bm25")
    _, _, _, doc_id, quote = next(q for q in QUESTIONS if q[0] == "a3")
    expected = block(wb_client.get("/evaluator/question", params={"run": ref, "id": "a3"}).text, "expected")
    assert "The reference answer of a3." in expected
    assert f'<blockquote data-testid="evidence-quote">{quote}</blockquote>' in expected
    assert fake_retriever.documents[doc_id].meta.short_title in expected


def test_the_drill_down_shows_the_ask_outcome_recorded_that_day(wb_client, eval_root: Path) -> None:
    ref = run_ref(eval_root, "bm25")
    summary = summary_of(open_run(ref, eval_root / "eval" / "reports"))
    outcome = summary.ask.by_question["a1"]
    page = wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert f"Answer outcome that day (full pipeline): {outcome}" in block(page, "recorded", "ul")


def test_a_judgement_standing_now_makes_a_candidate_evidence_now(wb_client, wb_settings, eval_root: Path,
                                                                 fake_retriever) -> None:
    ref = run_ref(eval_root, "bm25")
    text = dict((q[0], q[2]) for q in QUESTIONS)["a6"]  # found, but not its evidence
    now = fake_retriever.search(text, k=wb_settings.evaluator_live_depth, pipeline=PIPELINES["bm25"])
    chosen = next(h for h in now if h.rank == 2)
    before = wb_client.get("/evaluator/question", params={"run": ref, "id": "a6"}).text
    assert f'class="candidate card" data-passage="{chosen.passage.passage_id}"' in before
    append_judgement(wb_settings.judgements_path, Judgement.now(text, chosen.passage.passage_id, True, "Ed"))
    after = wb_client.get("/evaluator/question", params={"run": ref, "id": "a6"}).text
    assert f'class="candidate card evidence" data-passage="{chosen.passage.passage_id}"' in after
    assert block(after, "now-rank", "strong").endswith(">2")


def test_passages_are_previewed_by_the_setting(wb_settings, fake_retriever, eval_root: Path) -> None:
    client = client_for(wb_settings.model_copy(update={"eval_preview_words": 3}), fake_retriever)
    page = client.get("/evaluator/question", params={"run": run_ref(eval_root, "bm25"), "id": "a1"}).text
    top = fake_retriever.search("Operation Lantern issued notices", k=1, pipeline=PIPELINES["bm25"])[0].passage
    three = " ".join(top.text.split()[:3])
    assert f"<p>{escape(three)}… <a" in page  # the live candidate: three words, then the link


def test_the_drill_down_follows_judgements_and_their_undos(wb_client, wb_settings, eval_root: Path,
                                                           fake_retriever) -> None:
    ref = run_ref(eval_root, "bm25")
    text = dict((q[0], q[2]) for q in QUESTIONS)["a1"]
    page = lambda: wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text  # noqa: E731

    def is_evidence(pid: str) -> bool:
        html = page()
        assert f'data-passage="{pid}"' in html
        return f'class="candidate card evidence" data-passage="{pid}"' in html

    now = fake_retriever.search(text, k=wb_settings.evaluator_live_depth, pipeline=PIPELINES["bm25"])
    spans = [h.passage.passage_id for h in now if is_evidence(h.passage.passage_id)]
    other = next(h.passage.passage_id for h in now if h.passage.passage_id not in spans)
    assert spans, "the question's evidence spans mark some candidate"
    path = wb_settings.judgements_path
    append_judgement(path, Judgement.now(text, other, True, "Ed"))
    assert is_evidence(other)
    retract_latest(path, text.upper(), other, "Ed")  # undone: no longer counted
    assert not is_evidence(other)
    append_judgement(path, Judgement.now(text, spans[0], False, "Ed"))  # a judgement overrides the spans
    assert not is_evidence(spans[0])
    append_judgement(path, Judgement.now(text, spans[0], True, "Flo"))  # the latest judgement of a pair wins
    assert is_evidence(spans[0])
    retract_latest(path, text, spans[0], "Flo")
    assert not is_evidence(spans[0])  # Ed's "not relevant" stands again
    retract_latest(path, text, spans[0], "Ed")
    assert is_evidence(spans[0])  # nothing standing: the spans again
    append_judgement(path, Judgement.now("another question", other, True, "Ed"))  # another query's: not counted
    assert not is_evidence(other)
