"""Run named retrieval configurations and the ask slice over a question set, in one process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eval.metrics import aggregate, first_relevant_rank, per_query, percentile
from eval.questions import Question
from reportqa.text import match_key
from retriever.results import Hit
from retriever.retriever import PIPELINES, Retriever

RUN_DEPTH = 50
DETAILED_HITS = 3  # recorded hits that also keep their words, section and features
PREVIEW_WORDS = 16
Progress = Callable[[str], None]  # called once per question searched or asked, with the stage name


@dataclass
class RecordedHit:
    """One ranked passage as a run saw it (its words, section and features only in the first ``DETAILED_HITS``)."""

    rank: int
    passage_id: str
    score: float
    relevant: bool
    doc_id: str
    short_title: str
    section: str
    words: str  # the first words of the passage
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class QuestionRecord:
    """What one configuration did with one question: where the evidence first ranked and the top hits."""

    id: str
    persona: str
    question: str
    first_rank: int | None  # None: not in the top RUN_DEPTH
    depth: int
    relevant: list[str]
    hits: list[RecordedHit]


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
    questions: list[QuestionRecord] = field(repr=False, default_factory=list)  # added in issue 14


OUTCOMES = ("answer", "closest", "not_covered")


@dataclass
class AskResult:
    """How answers behave: the outcome mix (overall and per persona), how often the outcome is
    wrong in the two ways that matter, and whether answers carry their evidence."""

    answerable: int
    unanswerable: int
    outcomes: dict[str, dict[str, int]]  # persona → outcome → count
    answered_unanswerable: float  # share of unanswerable questions given an answer
    not_covered_answerable: float  # share of answerable questions told "not covered"
    closest_answerable: float  # share of answerable questions given only the closest passages
    evidence_carried: float  # share of answerable questions answered with sentences carrying the evidence
    evidence_carried_answered: float  # the same share among the answerable questions answered
    latency_p50_ms: float
    latency_p95_ms: float
    wrong: list[dict]
    by_question: dict[str, str] = field(default_factory=dict)  # question id → outcome (added in issue 14)


def _recorded(retriever: Retriever, hits: list[Hit], relevant: dict[str, int], depth: int) -> list[RecordedHit]:
    out = []
    for hit in hits[:depth]:
        p = hit.passage
        rank, score, is_relevant = hit.rank or len(out) + 1, round(hit.score, 5), relevant.get(p.passage_id, 0) > 0
        if len(out) >= DETAILED_HITS:  # below the top few: where it ranked, not what it says
            out.append(RecordedHit(rank, p.passage_id, score, is_relevant, "", "", "", ""))
            continue
        doc = retriever.documents.get(p.doc_id)
        title = doc.meta.short_title if doc else p.doc_id
        out.append(RecordedHit(rank, p.passage_id, score, is_relevant, p.doc_id, title,
                               p.section_label, " ".join(p.text.split()[:PREVIEW_WORDS]),
                               {k: round(v, 3) for k, v in hit.features.as_dict().items()} if hit.features else {}))
    return out


def run_config(retriever: Retriever, name: str, questions: list[Question], qrels: dict,
               progress: Progress | None = None) -> ConfigResult:
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
            failing.append({"id": q.id, "persona": q.persona, "question": q.question, "first_rank": rank})
        kept.append(QuestionRecord(q.id, q.persona, q.question, rank, RUN_DEPTH,
                                   sorted(p for p, v in qrels[q.id].items() if v > 0), records[q.id]))
    return ConfigResult(name, aggregate(values), by_persona, by_tag, percentile(latencies, 50),
                        percentile(latencies, 95), failing, values, run, kept)


def _carries_evidence(answer, question: Question, relevant: dict[str, int]) -> bool:
    cited = {c.passage.passage_id for c in answer.citations}
    if any(relevant.get(pid, 0) > 0 for pid in cited):
        return True
    text = match_key(" ".join(s.text for s in answer.sentences))
    return any(match_key(ev.quote) in text for ev in question.evidence)


def run_ask(retriever: Retriever, questions: list[Question], qrels: dict,
            progress: Progress | None = None) -> AskResult:
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
            wrong.append({"id": q.id, "persona": q.persona, "question": q.question, "problem": problem,
                          "outcome": answer.outcome, "confidence": round(answer.confidence, 3),
                          "reasons": answer.reasons})
    n_ans = sum(1 for q in questions if q.answerable)
    n_un = len(questions) - n_ans
    return AskResult(
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
        wrong=wrong,
        by_question=by_question,
    )
