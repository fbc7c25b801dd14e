"""Eval runs read back as typed records: list the runs in the reports folder, load one, list its
failures, and compare two question by question. Shared by ``reportqa eval --compare/--failures``
(text in eval/compare.py) and the evaluator workbench (web/evaluator.py); it lives in the shared
layer because web may not import eval (tests/test_layers.py), as the judgements store does.

A run is one ``<date>-<config>.json`` written by eval/report.py, named by its stem
(``2026-11-29-full``; ``sealed/2026-11-29-full`` for another split) or by a path. Files written
before per-question records were added (issue 14) stay readable: the rank of the first evidence is
recovered from RR@10 (rank = 1 / RR) and, below rank 10, from the run's list of failing questions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# a run's label is its date, with ".N" when a run of that date was already written (eval/report.py
# never overwrites one): 2026-11-29-full, then 2026-11-29.2-full, with their own summary and plot
RUN_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:\.\d+)?)-([A-Za-z0-9+_.-]+)\.json$")
DEV_SPLIT = "dev"
NOT_RUNS = ("summary",)
LEGACY_DEPTH = 50  # eval/runner.RUN_DEPTH when the old files were written


@dataclass(frozen=True)
class QuestionInfo:
    """What a run file may lack about a question: its persona and text."""

    id: str
    persona: str
    question: str


class RunNotFoundError(ValueError):
    """No run by that name or path; the message lists what there is."""


class RunFormatError(ValueError):
    """A run file cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class RunInfo:
    """A run file in the reports folder."""

    ref: str  # the stem, with the split folder for non-dev splits: "sealed/2026-11-29-full"
    date: str
    config: str
    split: str
    path: Path


@dataclass(frozen=True)
class RecordedPassage:
    """A ranked passage as the run recorded it (older runs record none)."""

    rank: int
    passage_id: str
    score: float
    relevant: bool
    doc_id: str = ""
    short_title: str = ""
    section: str = ""
    words: str = ""
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionResult:
    """One question in one run."""

    id: str
    persona: str
    question: str
    first_rank: int | None  # rank of the first relevant passage; None: not in the top ``depth``
    depth: int
    rr: float  # RR@10
    hits: tuple[RecordedPassage, ...] = ()
    relevant: tuple[str, ...] = ()  # the passages the run counted as evidence (runs from issue 14 on)

    @property
    def outcome(self) -> str:
        """Where the evidence landed, in words: first, top 5, top 10, below 10, not found."""
        if self.first_rank is None:
            return "not found"
        if self.first_rank == 1:
            return "first"
        return "top 5" if self.first_rank <= 5 else "top 10" if self.first_rank <= 10 else "below 10"

    @property
    def rank_text(self) -> str:
        return str(self.first_rank) if self.first_rank is not None else f"not in top {self.depth}"


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
def label_key(label: str) -> tuple[str, int]:
    """Sort key of a run label: by date, then by its number (2026-11-29 < 2026-11-29.2 < 2026-11-29.10)."""
    day, _, n = label.partition(".")
    return day, int(n) if n.isdigit() else 1


def list_runs(reports_dir: Path) -> list[RunInfo]:
    """Every run in ``reports_dir`` and its split folders, newest date first, then by config."""
    if not reports_dir.is_dir():
        return []
    found = []
    folders = [(reports_dir, "")] + [(p, p.name) for p in sorted(reports_dir.iterdir())
                                     if p.is_dir() and not p.name.startswith(".")]  # .eval-*: a run being written
    for folder, sub in folders:
        for path in folder.glob("*.json"):
            m = RUN_FILE.match(path.name)
            if not m or m.group(2) in NOT_RUNS:
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


def question_index(eval_dir: Path) -> dict[str, QuestionInfo]:
    """Every question of the dev and sealed sets by id (to name the questions of older runs); a
    line that cannot be read is skipped (eval/questions.py validates the sets)."""
    out: dict[str, QuestionInfo] = {}
    sealed = eval_dir / "sealed"
    files = [eval_dir / "questions.jsonl"] + (sorted(sealed.glob("*.jsonl")) if sealed.is_dir() else [])
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            try:
                data = json.loads(line)
                out[str(data["id"])] = QuestionInfo(str(data["id"]), str(data["persona"]), str(data["question"]))
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return out


def _hits(raw: list) -> tuple[RecordedPassage, ...]:
    return tuple(RecordedPassage(int(h["rank"]), str(h["passage_id"]), float(h["score"]), bool(h["relevant"]),
                                 str(h.get("doc_id", "")), str(h.get("short_title", "")), str(h.get("section", "")),
                                 str(h.get("words", "")),
                                 {str(k): float(v) for k, v in (h.get("features") or {}).items()})
                 for h in raw)


def load_run(path: Path, questions: dict[str, QuestionInfo] | None = None, ref: str | None = None) -> RunRecord:
    """A run file as a RunRecord; ``questions`` name the persona and text where the file lacks them.

    Raises RunFormatError for a file that is not a run.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        per_query: dict[str, dict[str, float]] = data["per_query"]
        config = str(data["name"])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise RunFormatError(f"{path}: not an eval run file ({exc.__class__.__name__}: {exc})") from exc
    try:
        return _record(path, data, per_query, config, questions or {}, ref)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a half-written or hand-edited file
        raise RunFormatError(f"{path}: a per-question record cannot be read ({exc.__class__.__name__}: {exc})") \
            from exc


def _record(path: Path, data: dict, per_query: dict, config: str, questions: dict[str, QuestionInfo],
            ref: str | None) -> RunRecord:
    """The RunRecord of a parsed run file; raises KeyError/TypeError/ValueError/AttributeError on a bad field."""
    if not isinstance(data, dict) or not isinstance(per_query, dict):
        raise TypeError("the run and its per_query must be JSON objects")
    failing = {str(f["id"]): f for f in data.get("failing") or [] if isinstance(f, dict) and "id" in f}
    recorded = {str(r["id"]): r for r in data.get("questions") or [] if isinstance(r, dict) and "id" in r}
    results: dict[str, QuestionResult] = {}
    for qid, values in per_query.items():
        if not isinstance(values, dict):
            raise TypeError(f"per_query[{qid!r}] is not an object")
        rr = float(values.get("MRR@10", 0.0))
        known = questions.get(qid)
        if qid in recorded:
            r = recorded[qid]
            first = r["first_rank"]
            results[qid] = QuestionResult(qid, str(r["persona"]), str(r["question"]),
                                          None if first is None else int(first),
                                          int(r.get("depth", LEGACY_DEPTH)), rr, _hits(r.get("hits") or []),
                                          tuple(str(p) for p in r.get("relevant") or []))
            continue
        fail = failing.get(qid, {})
        rank = round(1 / rr) if rr > 0 else fail.get("first_rank")
        persona = fail.get("persona") or (known.persona if known else "unknown")
        text = fail.get("question") or (known.question if known else "")
        results[qid] = QuestionResult(qid, str(persona), str(text), None if rank is None else int(rank),
                                      LEGACY_DEPTH, rr)
    split = str(data.get("split", DEV_SPLIT))
    m = RUN_FILE.match(path.name)
    overall = {str(k): float(v) for k, v in (data.get("overall") or {}).items()}
    by_persona = {str(p): {str(k): float(v) for k, v in values.items()}
                  for p, values in (data.get("by_persona") or {}).items()}
    label = m.group(1) if m else str(data.get("date", ""))
    return RunRecord(ref or (path.stem if split == DEV_SPLIT else f"{split}/{path.stem}"), path, config,
                     label, split, overall, by_persona, results, bool(recorded))


def open_run(ref: str, reports_dir: Path, questions: dict[str, QuestionInfo] | None = None) -> RunRecord:
    """``resolve_run`` then ``load_run``."""
    return load_run(resolve_run(ref, reports_dir), questions)


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
