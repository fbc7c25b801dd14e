"""Run named retrieval configurations and the ask slice over a question set, in one process. The
results are the records the report files hold (reportqa/run_files.py), which eval/report.py writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from eval.glance import DecisionPoint, EvidenceSpans, carries, precision_curve
from eval.metrics import aggregate, first_relevant_rank, per_query, percentile
from eval.questions import Question
from reportqa.run_files import AskSummary, ConfigRun, FailingQuestion, QuestionRecord, RecordedHit, WrongAnswer
from retriever.results import AnswerSentence, Hit
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


@dataclass(frozen=True)
class Asked:
    """What the ask slice saw for one question."""

    question: Question
    outcome: str
    glance: bool  # what the user reads first carries the fact (answer lines under answer, the lead under closest)
    correct: bool  # answered, and the answer lines carry the fact
    sentence_hit: bool  # the top-scored sentence (the lead, whatever the outcome) carries the fact
    point: DecisionPoint
    reasons: tuple[str, ...] = ()


def _carried(lines: list[AnswerSentence], evidence: EvidenceSpans, retriever: Retriever,
             documents: dict[str, str]) -> bool:
    position = retriever.passage_positions
    return any(carries(evidence, retriever.passages[position[s.passage_id]], s.start, s.end, documents)
               for s in lines if s.passage_id in position)


def _ask_one(retriever: Retriever, q: Question, documents: dict[str, str]) -> Asked:
    answer, evidence = retriever.explain(q.question)
    spans = EvidenceSpans.of(q, documents)
    lead = retriever.composer.lead(evidence) if evidence.hits else None
    answered = answer.outcome == "answer"
    correct = q.answerable and answered and _carried(answer.sentences, spans, retriever, documents)
    shown = answer.read_first
    ruled = retriever.decision.rules(evidence.analysis, evidence.signals, evidence.check, bool(evidence.hits))
    sentence_hit = q.answerable and lead is not None and _carried([lead], spans, retriever, documents)
    would_carry = q.answerable and _carried(retriever.composer.lines(evidence), spans, retriever, documents)
    return Asked(q, answer.outcome, q.answerable and _carried(shown, spans, retriever, documents), correct,
                 sentence_hit, DecisionPoint(answer.confidence, ruled is not None, q.answerable, would_carry),
                 tuple(answer.reasons))


def ask_figures(asked: list[Asked]) -> dict[str, float]:
    """Glance, answer precision, the share answered and sentence Hit@1 of the answerable questions in
    ``asked`` (precision over those answered), and how often an unanswerable one is answered."""
    answerable = [a for a in asked if a.question.answerable]
    answered = [a for a in answerable if a.outcome == "answer"]
    unanswerable = [a for a in asked if not a.question.answerable]

    def share(items: list[Asked], test) -> float:
        return round(sum(1 for a in items if test(a)) / len(items), 4) if items else 0.0

    return {"questions": len(asked), "answerable": len(answerable),
            "glance": share(answerable, lambda a: a.glance),
            "answer_precision": share(answered, lambda a: a.correct),
            "answered": share(answerable, lambda a: a.outcome == "answer"),
            "sentence_hit1": share(answerable, lambda a: a.sentence_hit),
            "closest": share(answerable, lambda a: a.outcome == "closest"),
            "not_covered": share(answerable, lambda a: a.outcome == "not_covered"),
            "unanswerable_answered": share(unanswerable, lambda a: a.outcome == "answer")}


def run_ask(retriever: Retriever, questions: list[Question], qrels: dict,
            progress: Progress | None = None) -> AskSummary:
    """Ask every question; count outcomes by persona; measure glance (what a user reads first carries
    the fact), answer precision, the share answered and sentence Hit@1, per persona; and the answer
    decision's precision–coverage curve."""
    retriever.clear_cache()
    documents = {d: doc.text for d, doc in retriever.documents.items()}
    latencies: list[float] = []
    asked: list[Asked] = []
    wrong = []
    for q in questions:
        started = time.perf_counter()
        a = _ask_one(retriever, q, documents)
        latencies.append((time.perf_counter() - started) * 1000)
        asked.append(a)
        if progress:
            progress("ask")
        problem = None
        if not q.answerable and a.outcome == "answer":
            problem = "answered an unanswerable question"
        elif q.answerable and a.outcome == "answer" and not a.correct:
            problem = "answer lacks evidence"
        elif q.answerable and a.outcome != "answer":
            problem = f"{a.outcome} on an answerable question" + ("" if a.glance else "; its lead lacks evidence")
        if problem:
            wrong.append(WrongAnswer(q.id, q.persona, q.question, problem, a.outcome,
                                     round(a.point.probability, 3), a.reasons))
    outcomes: dict[str, dict[str, int]] = {}
    for a in asked:
        mix = outcomes.setdefault(a.question.persona, dict.fromkeys(OUTCOMES, 0))
        mix[a.outcome] += 1
    figures = ask_figures(asked)
    personas = sorted({a.question.persona for a in asked if a.question.answerable})
    return AskSummary(
        answerable=figures["answerable"],
        unanswerable=len(asked) - figures["answerable"],
        outcomes=outcomes,
        answered_unanswerable=figures["unanswerable_answered"],
        not_covered_answerable=figures["not_covered"],
        closest_answerable=figures["closest"],
        evidence_carried=round(sum(1 for a in asked if a.correct) / max(1, figures["answerable"]), 4),
        evidence_carried_answered=figures["answer_precision"],
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        wrong=tuple(wrong),
        by_question={a.question.id: a.outcome for a in asked},
        figures={"all": figures} | {p: ask_figures([a for a in asked if a.question.persona in (p, "unanswerable")])
                                    for p in personas},
        glance={a.question.id: a.glance for a in asked if a.question.answerable},
        curve=tuple(precision_curve([a.point for a in asked])),
    )
