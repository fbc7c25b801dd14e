"""Eval runs read back for comparing: list the runs and summaries in the reports folder, load a
run as a RunRecord, list its failures, and compare two runs question by question. Shared by
``reportqa eval --compare/--failures`` (text in eval/compare.py) and the evaluator workbench
(web/workbench/); it lives in the shared layer because web may not import eval (tests/test_layers.py).
The files themselves are defined in reportqa/run_files.py.

A run is one ``<label>-<config>.json``, named by its stem (``2026-11-29-full``;
``sealed/2026-11-29-full`` for another split) or by a path. Runs written before per-question
records (issue 14) stay readable: the rank of the first evidence is recovered from RR@10
(rank = 1 / RR) and, below rank 10, from the run's list of failing questions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reportqa.run_files import (
    DEV_SPLIT,
    LEGACY_DEPTH,
    PLOT,
    RUN_FILE,
    SUMMARY,
    AskSummary,
    ConfigRun,
    QuestionRecord,
    RunFormatError,
    RunSummary,
    label_key,
    report_name,
)

MIN_RR = 0.05  # RR@10 is 0 or at least 0.1; a smaller positive value (a damaged file) names no rank
UNANSWERABLE = "unanswerable"  # the persona of the questions the reports do not answer (eval/questions.py)


@dataclass(frozen=True)
class QuestionInfo:
    """What a run file may lack about a question: its persona and text."""

    id: str
    persona: str
    question: str


class RunNotFoundError(ValueError):
    """No run by that name or path; the message lists what there is."""


@dataclass(frozen=True)
class RunInfo:
    """A run file in the reports folder."""

    ref: str  # the stem, with the split folder for non-dev splits: "sealed/2026-11-29-full"
    date: str
    config: str
    split: str
    path: Path


@dataclass(frozen=True)
class QuestionResult(QuestionRecord):
    """One question in one run: its record (rebuilt from the scores for older runs) and its RR@10."""

    rr: float  # RR@10, from the run's per-query measures


@dataclass(frozen=True)
class RunRecord:
    """One configuration's run, read back."""

    ref: str
    path: Path
    config: str
    date: str
    split: str
    overall: dict[str, float]
    by_persona: dict[str, dict[str, float]]
    questions: dict[str, QuestionResult]
    detailed: bool  # per-question hits were recorded (runs from issue 14 on)

    @property
    def headline_only(self) -> bool:
        """A run of a held-back split (sealed, heldout): its questions are not to be read one by one,
        so only its overall and per-persona numbers are shown."""
        return self.split != DEV_SPLIT

    def failures(self, worse_than: int = 5) -> list[QuestionResult]:
        """Questions whose evidence is not in the top ``worse_than`` (or not found), worst first."""
        out = [q for q in self.questions.values() if q.first_rank is None or q.first_rank > worse_than]
        return sorted(out, key=lambda q: (q.first_rank is not None, -(q.first_rank or 0), q.id))


@dataclass(frozen=True)
class QuestionDiff:
    """A question in two runs: A (before) and B (after)."""

    id: str
    persona: str
    question: str
    a: QuestionResult
    b: QuestionResult

    @property
    def delta_rr(self) -> float:
        return self.b.rr - self.a.rr

    @property
    def change(self) -> str:
        """'better', 'worse' or 'same': by RR@10, then (beyond 10) by the rank of the first evidence."""
        if abs(self.delta_rr) > 1e-9:
            return "better" if self.delta_rr > 0 else "worse"
        ra = self.a.first_rank if self.a.first_rank is not None else 10**6
        rb = self.b.first_rank if self.b.first_rank is not None else 10**6
        return "same" if ra == rb else "better" if rb < ra else "worse"

    @property
    def rank_moved(self) -> int | None:
        """Places the first evidence moved up (positive) or down; None when either run did not find it."""
        if self.a.first_rank is None or self.b.first_rank is None:
            return None
        return self.a.first_rank - self.b.first_rank


@dataclass(frozen=True)
class Comparison:
    """A per-question diff of two runs, with totals."""

    a: RunRecord
    b: RunRecord
    rows: list[QuestionDiff]
    only_a: list[str]
    only_b: list[str]

    def _of(self, change: str) -> list[QuestionDiff]:
        return [r for r in self.rows if r.change == change]

    @property
    def better(self) -> list[QuestionDiff]:
        return self._of("better")

    @property
    def worse(self) -> list[QuestionDiff]:
        return self._of("worse")

    @property
    def same(self) -> list[QuestionDiff]:
        return self._of("same")

    @property
    def changed(self) -> list[QuestionDiff]:
        """Questions that moved, the largest change in RR first."""
        return sorted([r for r in self.rows if r.change != "same"], key=lambda r: (-abs(r.delta_rr), r.id))

    @property
    def mean_rr(self) -> tuple[float, float]:
        n = len(self.rows) or 1
        return sum(r.a.rr for r in self.rows) / n, sum(r.b.rr for r in self.rows) / n

    def hits_at(self, k: int) -> tuple[int, int]:
        """How many shared questions have their evidence in the top ``k``, in A and in B."""
        def inside(q: QuestionResult) -> bool:
            return q.first_rank is not None and q.first_rank <= k
        return sum(inside(r.a) for r in self.rows), sum(inside(r.b) for r in self.rows)

    def by_persona(self) -> dict[str, tuple[int, int, int]]:
        """Persona → (better, worse, same)."""
        out: dict[str, list[int]] = {}
        for r in self.rows:
            counts = out.setdefault(r.persona, [0, 0, 0])
            counts[("better", "worse", "same").index(r.change)] += 1
        return {p: (c[0], c[1], c[2]) for p, c in sorted(out.items())}


# --- finding and reading runs ------------------------------------------------------------------------------
def _split_folders(reports_dir: Path) -> list[tuple[Path, str]]:
    """The reports folder (the dev split, named "") and its split folders (sealed, heldout …),
    leaving out hidden ones (.eval-*: a run being written)."""
    if not reports_dir.is_dir():
        return []
    return [(reports_dir, "")] + [(p, p.name) for p in sorted(reports_dir.iterdir())
                                  if p.is_dir() and not p.name.startswith(".")]


def list_runs(reports_dir: Path) -> list[RunInfo]:
    """Every run in ``reports_dir`` and its split folders, newest date first, then by config."""
    found = []
    for folder, sub in _split_folders(reports_dir):
        for path in folder.glob("*.json"):
            m = RUN_FILE.match(path.name)
            if not m or m.group(2) == SUMMARY:
                continue
            ref = f"{sub}/{path.stem}" if sub else path.stem
            found.append(RunInfo(ref, m.group(1), m.group(2), sub or "dev", path))
    return sorted(found, key=lambda r: (label_key(r.date), r.split == "dev", r.config), reverse=True)


def resolve_run(ref: str, reports_dir: Path) -> Path:
    """The file of run ``ref``: a path to a run file, or a stem among the runs in ``reports_dir``.

    Raises RunNotFoundError with the runs there are.
    """
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        return path
    name = ref[:-5] if ref.endswith(".json") else ref
    runs = list_runs(reports_dir)
    for run in runs:
        if run.ref == name:
            return run.path
    known = ", ".join(r.ref for r in runs[:8]) or "none (run `reportqa eval` first)"
    raise RunNotFoundError(f"no eval run {ref!r} in {reports_dir}; runs there: {known}")


def _question_records(path: Path) -> list[dict]:
    """The JSON objects of a question file's lines; a line (or a file) that cannot be read is
    skipped (eval/questions.py validates the sets)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for line in lines:
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            out.append(data)
    return out


def question_index(eval_dir: Path) -> dict[str, QuestionInfo]:
    """Every question of the dev and sealed sets by id (to name the questions of older runs)."""
    out: dict[str, QuestionInfo] = {}
    sealed = eval_dir / "sealed"
    files = [eval_dir / "questions.jsonl"] + (sorted(sealed.glob("*.jsonl")) if sealed.is_dir() else [])
    for path in files:
        for data in _question_records(path):
            try:
                out[str(data["id"])] = QuestionInfo(str(data["id"]), str(data["persona"]), str(data["question"]))
            except KeyError:
                continue
    return out


@dataclass(frozen=True)
class Evidence:
    """A span of a report a question's answer is in, as the question set gives it (eval/questions.py
    reads the sets with it too)."""

    doc_id: str
    quote: str


@dataclass(frozen=True)
class Expected:
    """What a dev question expects: its reference answer and its evidence spans, for an evaluator to see
    why a question failed. Never read for a held-back split (sealed, heldout)."""

    id: str
    answer: str
    evidence: tuple[Evidence, ...]


def dev_expectations(eval_dir: Path) -> dict[str, Expected]:
    """The reference answer and evidence of every question of the dev file (``questions.jsonl``, split
    dev), by id; a line without them is left out. The sealed set is never read here."""
    out: dict[str, Expected] = {}
    for data in _question_records(eval_dir / "questions.jsonl"):
        if data.get("split", DEV_SPLIT) != DEV_SPLIT or "id" not in data:
            continue
        raw = data.get("evidence")
        evidence = tuple(Evidence(str(e["doc_id"]), str(e["quote"])) for e in raw
                         if isinstance(e, dict) and "doc_id" in e and "quote" in e) if isinstance(raw, list) else ()
        out[str(data["id"])] = Expected(str(data["id"]), str(data.get("answer") or ""), evidence)
    return out


def dev_question_counts(eval_dir: Path) -> tuple[int, int]:
    """How many questions of the dev set are answerable, and how many there are in all."""
    dev = [d for d in _question_records(eval_dir / "questions.jsonl") if d.get("split", DEV_SPLIT) == DEV_SPLIT]
    return sum(1 for d in dev if d.get("persona") != UNANSWERABLE), len(dev)


def load_run(path: Path, questions: dict[str, QuestionInfo] | None = None, ref: str | None = None) -> RunRecord:
    """A run file as a RunRecord; ``questions`` name the persona and text where the file lacks them.

    Raises RunFormatError for a file that is not a run.
    """
    run = ConfigRun.read(path)
    known = questions or {}
    recorded = {q.id: q for q in run.questions}
    failing = {f.id: f for f in run.failing}
    results: dict[str, QuestionResult] = {}
    for qid, values in run.per_query.items():
        rr = values.get("MRR@10", 0.0)
        if qid in recorded:
            r = recorded[qid]
            results[qid] = QuestionResult(qid, r.persona, r.question, r.first_rank, r.depth, r.relevant, r.hits, rr)
            continue
        fail, info = failing.get(qid), known.get(qid)
        rank = round(1 / rr) if rr >= MIN_RR else fail.first_rank if fail else None
        persona = (fail.persona if fail else "") or (info.persona if info else "unknown")
        text = (fail.question if fail else "") or (info.question if info else "")
        results[qid] = QuestionResult(qid, persona, text, rank, LEGACY_DEPTH, (), (), rr)
    m = RUN_FILE.match(path.name)
    label = m.group(1) if m else run.date
    return RunRecord(ref or (path.stem if run.split == DEV_SPLIT else f"{run.split}/{path.stem}"), path, run.name,
                     label, run.split, run.overall, run.by_persona, results, bool(recorded))


def open_run(ref: str, reports_dir: Path, questions: dict[str, QuestionInfo] | None = None) -> RunRecord:
    """``resolve_run`` then ``load_run``."""
    return load_run(resolve_run(ref, reports_dir), questions)


def latest_summaries(reports_dir: Path, headline: str | None = None) -> list[tuple[RunSummary, str | None]]:
    """The newest readable summary of each split (dev in reports/, others in reports/<split>/),
    with the path of its plot relative to reports/ (or None). With ``headline`` (a configuration's
    name), the newest that ran it, when any did. A summary that cannot be read (half written,
    edited by hand), or whose run files are not all there (a run stopped while its files were
    published), is passed over for the one before it."""
    suffix = f"-{SUMMARY}.json"
    found = []
    for folder, _ in _split_folders(reports_dir):
        newest_first = sorted(folder.glob(f"*{suffix}"), key=lambda p: label_key(p.name.removesuffix(suffix)),
                              reverse=True)
        complete = []
        for path in newest_first:
            try:
                summary = RunSummary.read(path)
            except RunFormatError:
                continue
            label = path.name.removesuffix(suffix)
            if all((folder / report_name(label, f"{config}.json")).is_file() for config in summary.configs):
                complete.append((summary, label))
        chosen = next((c for c in complete if headline in c[0].configs), complete[0] if complete else None)
        if chosen is not None:
            plot = folder / report_name(chosen[1], PLOT)
            found.append((chosen[0], str(plot.relative_to(reports_dir)) if plot.exists() else None))
    return found


def summary_of(run: RunRecord) -> RunSummary | None:
    """The summary written with ``run`` (its folder and label), or None when it is missing or cannot be read."""
    try:
        return RunSummary.read(run.path.with_name(report_name(run.date, f"{SUMMARY}.json")))
    except RunFormatError:
        return None


# --- comparing -------------------------------------------------------------------------------------------------
def compare_runs(a: RunRecord, b: RunRecord) -> Comparison:
    """Question-by-question diff of the questions both runs scored."""
    shared = [qid for qid in a.questions if qid in b.questions]
    rows = []
    for qid in sorted(shared):
        qa, qb = a.questions[qid], b.questions[qid]
        persona = qb.persona if qb.persona != "unknown" else qa.persona
        rows.append(QuestionDiff(qid, persona, qb.question or qa.question, qa, qb))
    return Comparison(a, b, rows, sorted(set(a.questions) - set(b.questions)),
                      sorted(set(b.questions) - set(a.questions)))


@dataclass(frozen=True)
class GlanceDiff:
    """The answerable questions both runs' ask slices saw whose glance changed (what the user reads
    first carried the fact, and now does not: ``lost``; and the other way: ``gained``), by id."""

    lost: tuple[str, ...]
    gained: tuple[str, ...]
    shared: int  # questions with a glance in both runs


def glance_diff(a: AskSummary | None, b: AskSummary | None) -> GlanceDiff | None:
    """How glance changed from run A's ask slice to run B's; None when either has no per-question
    glance (skipped, or written before issue 20)."""
    if a is None or b is None or not a.glance or not b.glance:
        return None
    shared = sorted(set(a.glance) & set(b.glance))
    return GlanceDiff(tuple(q for q in shared if a.glance[q] and not b.glance[q]),
                      tuple(q for q in shared if b.glance[q] and not a.glance[q]), len(shared))
