"""Re-score stored eval runs with the current evidence matching (eval/qrels.py), without searching
again: ``python -m eval.rescore`` (or ``reportqa eval --rescore``).

A run file records, per question, the passages it counted as evidence and its top hits
(``settings.eval_record_depth`` of them, ten by default), each by passage id. Re-scoring builds the
qrels of the run's questions over the current index with the current matching, adds them to the
evidence the run counted (so a judgement or a rule of the day is never lost), marks each recorded hit
again and recomputes every measure down to rank 10 (Hit@k, R@k, MRR@10, nDCG@10) of the questions
whose evidence widened (the others keep the values the run gave them, which ties between equal
scores decided), the per-persona and per-tag tables, the failing questions and the first rank of
the evidence. A first rank below the recorded hits is kept as the run recorded it. A passage id
is a hash of the passage's report, kind and text, so a recorded passage still in the index is the
passage the run saw; one no longer in the index keeps the relevance the run gave it.

The run's files are rewritten in place (its Markdown, its summary and its plot too); what the ask
slice measured (glance, answer precision) is left as it was, as re-scoring it would need the
answers again. Runs written before per-question records (issue 14) cannot be re-scored and are
named as skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from eval.metrics import aggregate, first_relevant_rank, per_query
from eval.qrels import Qrels, build_qrels
from eval.questions import Question, load_questions
from eval.report import config_markdown, plot_curves, run_notes, summary_markdown
from indexer.spec import build_spec
from indexer.store import open_index
from reportqa.run_files import (
    DEV_SPLIT,
    PLOT,
    RUN_FILE,
    SUMMARY,
    ConfigRun,
    FailingQuestion,
    QuestionRecord,
    RunFormatError,
    RunSummary,
    report_name,
)
from reportqa.settings import Settings


@dataclass(frozen=True)
class Rescored:
    """One run file re-scored: its headline before and after, and the questions whose evidence it now sees."""

    path: Path
    before: dict[str, float]
    after: dict[str, float]
    found: tuple[str, ...]  # questions whose first evidence rank improved

    def line(self, measures: tuple[str, ...] = ("Hit@1", "Hit@5", "MRR@10", "R@5")) -> str:
        moved = ", ".join(f"{m} {self.before.get(m, 0.0):.3f} → {self.after[m]:.3f}" for m in measures)
        return f"{self.path.name}: {moved}; evidence now seen higher for {len(self.found)} question(s)"


def _rescored_question(record: QuestionRecord, relevant: set[str]) -> QuestionRecord:
    hits = tuple(replace(h, relevant=h.passage_id in relevant) for h in record.hits)
    seen = first_relevant_rank(dict.fromkeys(relevant, 1), [h.passage_id for h in hits])
    first = seen if seen is not None else record.first_rank  # below the recorded hits: as the run recorded it
    return replace(record, first_rank=first, relevant=tuple(sorted(relevant)), hits=hits)


def rescore_run(run: ConfigRun, qrels: Qrels, tags: dict[str, tuple[str, ...]], failure_rank: int) -> ConfigRun:
    """``run`` with its evidence widened by ``qrels`` and its measures recomputed from its recorded hits
    (see the module docstring); ``tags`` are the questions' tags, for the per-tag table."""
    records = [_rescored_question(q, set(q.relevant) | {p for p, v in qrels.get(q.id, {}).items() if v > 0})
               for q in run.questions]
    changed = [new for old, new in zip(run.questions, records) if set(new.relevant) != set(old.relevant)]
    judged = {q.id: dict.fromkeys(q.relevant, 1) for q in changed}
    ranked = {q.id: {h.passage_id: float(-h.rank) for h in q.hits} for q in changed}  # in the order shown
    values = {**run.per_query, **per_query(judged, ranked)}  # a question whose evidence is unchanged keeps its values
    ids = [q.id for q in records]
    by_persona = {p: aggregate(values, [q.id for q in records if q.persona == p])
                  for p in sorted({q.persona for q in records})}
    names = sorted({t for q in ids for t in tags.get(q, ()) if not t.startswith("sec:")})
    by_tag = {t: aggregate(values, [q for q in ids if t in tags.get(q, ())]) for t in names}
    failing = tuple(FailingQuestion(q.id, q.persona, q.question, q.first_rank) for q in records
                    if q.first_rank is None or q.first_rank > failure_rank)
    return replace(run, overall=aggregate(values), by_persona=by_persona, by_tag=by_tag, failing=failing,
                   per_query=values, questions=tuple(records))


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.rescore")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def rescore_label(folder: Path, label: str, qrels: Qrels, tags: dict[str, tuple[str, ...]],
                  failure_rank: int) -> tuple[list[Rescored], list[Path]]:
    """Re-score every run of ``label`` in ``folder`` and rewrite its files. Returns the runs
    re-scored and the run files that could not be (no per-question records, or unreadable)."""
    paths = sorted(p for p in folder.glob(f"{label}-*.json")
                   if (m := RUN_FILE.match(p.name)) and m.group(1) == label and m.group(2) != SUMMARY)
    summary_path = folder / report_name(label, f"{SUMMARY}.json")
    try:
        summary = RunSummary.read(summary_path) if summary_path.is_file() else None
    except RunFormatError:  # a damaged summary is left as it is; the runs are re-scored all the same
        summary = None
    runs: dict[str, ConfigRun] = {}
    done: list[Rescored] = []
    skipped: list[Path] = []
    for path in paths:
        try:
            run = ConfigRun.read(path)
        except RunFormatError:
            skipped.append(path)
            continue
        if not run.questions:
            runs[run.name] = run
            skipped.append(path)
            continue
        new = replace(rescore_run(run, qrels, tags, failure_rank), label=run.label or label,
                      date=run.date or label.partition(".")[0])  # runs written before labels: from the name
        before = {q.id: q.first_rank or 10**6 for q in run.questions}
        found = tuple(q.id for q in new.questions if (q.first_rank or 10**6) < before[q.id])
        _write(path, new.to_json())
        runs[run.name] = new
        done.append(Rescored(path, run.overall, new.overall, found))
    if not done:
        return done, skipped
    # the summary's configurations, in its order (a run file of the date it does not list stays out of it)
    results = [runs[n] for n in summary.configs if n in runs] if summary else list(runs.values())
    split = summary.split if summary else results[0].split
    notes = run_notes(split, summary.questions if summary else len(results[0].questions))
    for r in runs.values():
        if r.questions:
            _write(folder / report_name(label, f"{r.name}.md"), config_markdown(label, r, notes))
    if summary is not None:
        configs = {n: replace(c, overall=runs[n].overall) if n in runs else c for n, c in summary.configs.items()}
        _write(summary_path, replace(summary, configs=configs).to_json())
        _write(folder / report_name(label, f"{SUMMARY}.md"), summary_markdown(label, results, summary.ask, notes))
    plot_curves(results, folder / report_name(label, PLOT))
    return done, skipped


def split_folder(reports_dir: Path, split: str) -> Path:
    """Where the runs of ``split`` are: the reports folder for dev, else its sub-folder of that name."""
    return reports_dir if split == DEV_SPLIT else reports_dir / split


def question_set(settings: Settings, split: str) -> list[Question]:
    """The questions the runs of ``split`` were asked: the sealed set for sealed, else the dev file
    (the heldout split was retired into it)."""
    if split == "sealed":
        return load_questions(settings.eval_dir / "sealed")
    return load_questions(settings.eval_dir / "questions.jsonl")


def rescore_split(settings: Settings, split: str, labels: list[str] | None = None) -> tuple[list[Rescored], list[Path]]:
    """Re-score every stored run of ``split`` (or of ``labels`` only) against the current index."""
    folder = split_folder(settings.reports_dir, split)
    reader = open_index(settings.index_dir, build_spec(settings))
    questions = question_set(settings, split)
    qrels = build_qrels(questions, {d: doc.text for d, doc in reader.documents.items()}, reader.passages)
    tags = {q.id: q.tags for q in questions}
    found = sorted({m.group(1) for p in folder.glob("*.json") if (m := RUN_FILE.match(p.name))})
    done: list[Rescored] = []
    skipped: list[Path] = []
    for label in labels or found:
        d, s = rescore_label(folder, label, qrels, tags, settings.eval_failure_rank)
        done += d
        skipped += s
    return done, skipped


def report_lines(done: list[Rescored], skipped: list[Path]) -> list[str]:
    """What re-scoring did, one line per run file."""
    lines = [r.line() for r in done]
    lines += [f"{p.name}: skipped (written before per-question records, or unreadable)" for p in skipped]
    return lines or ["no runs to re-score"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.rescore", description=__doc__.splitlines()[0])
    parser.add_argument("--split", default=DEV_SPLIT, help="the split whose runs to re-score (dev, sealed, heldout)")
    parser.add_argument("labels", nargs="*", metavar="LABEL", help="only the runs of these dates (2026-11-29)")
    args = parser.parse_args(argv)
    print("\n".join(report_lines(*rescore_split(Settings(), args.split, args.labels))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
