"""`reportqa eval`: question set → qrels (evidence spans + judgements) → runs → metrics → reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eval.qrels import build_qrels
from eval.questions import Question, load_questions
from eval.report import ask_table, table, write_reports
from eval.runner import run_ask, run_config
from reportqa.judgements import judgement_qrels, load_judgements
from reportqa.run_files import AskSummary, ConfigRun
from retriever.pipeline import DEFAULT_CONFIGS, PIPELINES
from retriever.retriever import Retriever

__all__ = ["DEFAULT_CONFIGS", "EvalOutcome", "evaluate", "qrels_for", "summary_text"]


@dataclass
class EvalOutcome:
    results: list[ConfigRun]
    ask: AskSummary | None
    written: list[Path]
    questions: int


def qrels_for(retriever: Retriever, questions: list[Question], judgements_path: Path | None) -> dict:
    """Span-derived qrels over the retriever's index, plus recorded judgements."""
    documents = {doc_id: doc.text for doc_id, doc in retriever.documents.items()}
    extra = judgement_qrels(load_judgements(judgements_path), {q.id: q.question for q in questions}) \
        if judgements_path else {}
    return build_qrels(questions, documents, retriever.passages, extra)


def evaluate(retriever: Retriever, questions_path: Path, split: str, configs: list[str], out_dir: Path,
             judgements_path: Path | None = None, with_ask: bool = True,
             progress: Callable[[int, int, str], None] | None = None) -> EvalOutcome:
    """Run ``configs`` (and the ask slice) on the questions of ``split``; write reports.
    ``progress(done, total, stage)`` is called after each question searched or asked.

    Raises ValueError for an unknown configuration name.
    """
    unknown = [c for c in configs if c not in PIPELINES]
    if unknown:
        raise ValueError(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(PIPELINES)}")
    questions = load_questions(questions_path, split)
    qrels = qrels_for(retriever, questions, judgements_path)
    total = len(configs) * sum(1 for q in questions if q.answerable and qrels.get(q.id)) \
        + (len(questions) if with_ask else 0)
    done = 0

    def step(stage: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, stage)

    results = [run_config(retriever, name, questions, qrels, step) for name in configs]
    ask = run_ask(retriever, questions, qrels, step) if with_ask else None
    # dev reports go straight into eval/reports/; other splits into a sub-folder named after them
    target = out_dir if split == "dev" else out_dir / split
    written = write_reports(target, results, ask, split, len(questions))
    return EvalOutcome(results, ask, written, len(questions))


def summary_text(outcome: EvalOutcome) -> str:
    parts = [table(outcome.results)]
    if outcome.ask is not None:
        parts.append(ask_table(outcome.ask))
    return "\n\n".join(parts)
