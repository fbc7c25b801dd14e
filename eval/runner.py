"""Run named retrieval configurations and the ask slice over a question set, in one process. The
results are the records the report files hold (reportqa/run_files.py), which eval/report.py writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from eval.metrics import aggregate, first_relevant_rank, per_query, percentile
from eval.questions import Question
from reportqa.run_files import AskSummary, ConfigRun, FailingQuestion, QuestionRecord, RecordedHit, WrongAnswer
from reportqa.text import match_key
from retriever.results import Hit
from retriever.retriever import PIPELINES, Retriever

RUN_DEPTH = 50
DETAILED_HITS = 3  # recorded hits that also keep their words, section and features
Progress = Callable[[str], None]  # called once per question searched or asked, with the stage name
OUTCOMES = ("answer", "closest", "not_covered")


def _recorded(retriever: Retriever, hits: list[Hit], relevant: dict[str, int], depth: int) -> list[RecordedHit]:
    out: list[RecordedHit] = []
    for hit in hits[:depth]:
        p = hit.passage
        recorded = RecordedHit(hit.rank or len(out) + 1, p.passage_id, round(hit.score, 5),
                               relevant.get(p.passage_id, 0) > 0)
        if len(out) < DETAILED_HITS:  # below the top few: where it ranked, not what it says
            doc = retriever.documents.get(p.doc_id)
            features = {k: round(v, 3) for k, v in hit.features.as_dict().items()} if hit.features else {}
            recorded = replace(recorded, features=features).described(
                p, doc.meta.short_title if doc else p.doc_id, retriever.settings.eval_preview_words)
        out.append(recorded)
    return out


def run_config(retriever: Retriever, name: str, questions: list[Question], qrels: dict,
               progress: Progress | None = None) -> ConfigRun:
    """Search every answerable question with pipeline ``name``; metrics, failures, and per question
    where the evidence first ranked and the top hits (``settings.eval_record_depth`` of them)."""
    pipeline = PIPELINES[name]
    retriever.clear_cache()
    depth = retriever.settings.eval_record_depth
    run: dict[str, dict[str, float]] = {}
    ranked: dict[str, list[str]] = {}
    records: dict[str, list[RecordedHit]] = {}
    latencies: list[float] = []
    answerable = [q for q in questions if q.answerable and qrels.get(q.id)]
    for q in answerable:
        started = time.perf_counter()
        hits = retriever.search(q.question, k=RUN_DEPTH, pipeline=pipeline)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked[q.id] = [h.passage.passage_id for h in hits]
        run[q.id] = {h.passage.passage_id: h.score for h in hits}
        records[q.id] = _recorded(retriever, hits, qrels[q.id], depth)
        if progress:
            progress(name)
    values = per_query({q.id: qrels[q.id] for q in answerable}, run)
    by_persona = {p: aggregate(values, [q.id for q in answerable if q.persona == p])
                  for p in sorted({q.persona for q in answerable})}
    tags = sorted({t for q in answerable for t in q.tags if not t.startswith("sec:")})
    by_tag = {t: aggregate(values, [q.id for q in answerable if t in q.tags]) for t in tags}
    failing = []
    kept = []
    for q in answerable:
        rank = first_relevant_rank(qrels[q.id], ranked[q.id])
        if rank is None or rank > retriever.settings.eval_failure_rank:
            failing.append(FailingQuestion(q.id, q.persona, q.question, rank))
        kept.append(QuestionRecord(q.id, q.persona, q.question, rank, RUN_DEPTH,
                                   tuple(sorted(p for p, v in qrels[q.id].items() if v > 0)), tuple(records[q.id])))
    return ConfigRun(name, aggregate(values), by_persona, by_tag, percentile(latencies, 50),
                     percentile(latencies, 95), tuple(failing), values, tuple(kept))


def _carries_evidence(answer, question: Question, relevant: dict[str, int]) -> bool:
    cited = {c.passage.passage_id for c in answer.citations}
    if any(relevant.get(pid, 0) > 0 for pid in cited):
        return True
    text = match_key(" ".join(s.text for s in answer.sentences))
    return any(match_key(ev.quote) in text for ev in question.evidence)


def run_ask(retriever: Retriever, questions: list[Question], qrels: dict,
            progress: Progress | None = None) -> AskSummary:
    """Ask every question; count outcomes by persona, and check answers against the evidence."""
    retriever.clear_cache()
    latencies: list[float] = []
    outcomes: dict[str, dict[str, int]] = {}
    carried = answered = 0
    counts = dict.fromkeys(("answered_unanswerable", "not_covered", "closest"), 0)
    wrong = []
    by_question: dict[str, str] = {}
    for q in questions:
        started = time.perf_counter()
        answer = retriever.ask(q.question)
        latencies.append((time.perf_counter() - started) * 1000)
        by_question[q.id] = answer.outcome
        if progress:
            progress("ask")
        mix = outcomes.setdefault(q.persona, dict.fromkeys(OUTCOMES, 0))
        mix[answer.outcome] += 1
        problem = None
        if not q.answerable:
            if answer.outcome == "answer":
                counts["answered_unanswerable"] += 1
                problem = "answered an unanswerable question"
        elif answer.outcome == "answer":
            answered += 1
            if _carries_evidence(answer, q, qrels.get(q.id, {})):
                carried += 1
            else:
                problem = "answer lacks evidence"
        else:
            counts["not_covered" if answer.outcome == "not_covered" else "closest"] += 1
            problem = f"{answer.outcome} on an answerable question"
        if problem:
            wrong.append(WrongAnswer(q.id, q.persona, q.question, problem, answer.outcome,
                                     round(answer.confidence, 3), tuple(answer.reasons)))
    n_ans = sum(1 for q in questions if q.answerable)
    n_un = len(questions) - n_ans
    return AskSummary(
        answerable=n_ans,
        unanswerable=n_un,
        outcomes=outcomes,
        answered_unanswerable=counts["answered_unanswerable"] / n_un if n_un else 0.0,
        not_covered_answerable=counts["not_covered"] / n_ans if n_ans else 0.0,
        closest_answerable=counts["closest"] / n_ans if n_ans else 0.0,
        evidence_carried=carried / n_ans if n_ans else 0.0,
        evidence_carried_answered=carried / answered if answered else 0.0,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        wrong=tuple(wrong),
        by_question=by_question,
    )
