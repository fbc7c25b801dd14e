"""Run named retrieval configurations and the ask slice over a question set, in one process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from eval.metrics import aggregate, first_relevant_rank, per_query, percentile
from eval.questions import Question
from reportqa.text import match_key
from retriever.retriever import PIPELINES, Retriever

RUN_DEPTH = 50


@dataclass
class ConfigResult:
    """Metrics of one configuration, overall and broken down."""

    name: str
    overall: dict[str, float]
    by_persona: dict[str, dict[str, float]]
    by_tag: dict[str, dict[str, float]]
    latency_p50_ms: float
    latency_p95_ms: float
    failing: list[dict]
    per_query: dict[str, dict[str, float]]
    run: dict[str, dict[str, float]] = field(repr=False, default_factory=dict)


@dataclass
class AskResult:
    """How answers behave: abstention quality and whether answers carry their evidence."""

    answerable: int
    unanswerable: int
    abstention_precision: float
    abstention_recall: float
    false_abstention_rate: float
    evidence_carried: float
    latency_p50_ms: float
    latency_p95_ms: float
    wrong: list[dict]


def run_config(retriever: Retriever, name: str, questions: list[Question], qrels: dict) -> ConfigResult:
    """Search every answerable question with pipeline ``name``; metrics and failures."""
    pipeline = PIPELINES[name]
    retriever.clear_cache()
    run: dict[str, dict[str, float]] = {}
    ranked: dict[str, list[str]] = {}
    latencies: list[float] = []
    answerable = [q for q in questions if q.answerable and qrels.get(q.id)]
    for q in answerable:
        started = time.perf_counter()
        hits = retriever.search(q.question, k=RUN_DEPTH, pipeline=pipeline)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked[q.id] = [h.passage.passage_id for h in hits]
        run[q.id] = {h.passage.passage_id: h.score for h in hits}
    values = per_query({q.id: qrels[q.id] for q in answerable}, run)
    by_persona = {p: aggregate(values, [q.id for q in answerable if q.persona == p])
                  for p in sorted({q.persona for q in answerable})}
    tags = sorted({t for q in answerable for t in q.tags if not t.startswith("sec:")})
    by_tag = {t: aggregate(values, [q.id for q in answerable if t in q.tags]) for t in tags}
    failing = []
    for q in answerable:
        rank = first_relevant_rank(qrels[q.id], ranked[q.id])
        if rank is None or rank > 5:
            failing.append({"id": q.id, "persona": q.persona, "question": q.question, "first_rank": rank})
    return ConfigResult(name, aggregate(values), by_persona, by_tag, percentile(latencies, 50),
                        percentile(latencies, 95), failing, values, run)


def _carries_evidence(answer, question: Question, relevant: dict[str, int]) -> bool:
    cited = {c.passage.passage_id for c in answer.citations}
    if any(relevant.get(pid, 0) > 0 for pid in cited):
        return True
    text = match_key(" ".join(s.text for s in answer.sentences))
    return any(match_key(ev.quote) in text for ev in question.evidence)


def run_ask(retriever: Retriever, questions: list[Question], qrels: dict) -> AskResult:
    """Ask every question; score abstentions and evidence."""
    retriever.clear_cache()
    latencies: list[float] = []
    abstained_on = {"answerable": 0, "unanswerable": 0}
    answered_with_evidence = 0
    answered = 0
    wrong = []
    for q in questions:
        started = time.perf_counter()
        answer = retriever.ask(q.question)
        latencies.append((time.perf_counter() - started) * 1000)
        kind = "answerable" if q.answerable else "unanswerable"
        if answer.abstained:
            abstained_on[kind] += 1
            if q.answerable:
                wrong.append({"id": q.id, "question": q.question, "problem": "abstained",
                              "confidence": round(answer.confidence, 3)})
        elif q.answerable:
            answered += 1
            if _carries_evidence(answer, q, qrels.get(q.id, {})):
                answered_with_evidence += 1
            else:
                wrong.append({"id": q.id, "question": q.question, "problem": "answer lacks evidence",
                              "confidence": round(answer.confidence, 3)})
        else:
            wrong.append({"id": q.id, "question": q.question, "problem": "answered an unanswerable question",
                          "confidence": round(answer.confidence, 3)})
    n_ans = sum(1 for q in questions if q.answerable)
    n_un = len(questions) - n_ans
    total_abstained = abstained_on["answerable"] + abstained_on["unanswerable"]
    return AskResult(
        answerable=n_ans,
        unanswerable=n_un,
        abstention_precision=abstained_on["unanswerable"] / total_abstained if total_abstained else 0.0,
        abstention_recall=abstained_on["unanswerable"] / n_un if n_un else 0.0,
        false_abstention_rate=abstained_on["answerable"] / n_ans if n_ans else 0.0,
        evidence_carried=answered_with_evidence / answered if answered else 0.0,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        wrong=wrong,
    )
