"""The eval report files, defined once as typed records: the run of one configuration
(``<label>-<config>.json``, a ``ConfigRun``) and the summary of a run (``<label>-summary.json``, a
``RunSummary``). eval/ computes and writes them (``to_json``); the shared layer reads them back
(``read``, ``from_json``) for ``reportqa eval --compare`` and for the web workbench, which may not
import eval (tests/test_layers.py).

A run's label is its date, with ``.N`` when a run of that date was already written (eval/report.py
never overwrites one): 2026-11-29-full, then 2026-11-29.2-full, each label with its own summary and
plot (``<label>-recall.png``).

Files written before a field existed stay readable: a run from before per-question records
(issue 14) reads with no ``questions``; a hit without its report, section, words or features
(runs keep those for the top few hits only) reads with them empty; a summary whose ask figures
are of the older shape (abstention precision and recall) reads with no ask figures. A file that is
not one of these raises RunFormatError, naming the file and the problem, however it is damaged
(nesting too deep to read, a number too large or not finite, a field of the wrong type).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from reportqa.records import Passage

Measures = dict[str, float]  # measure name (eval/metrics.py: "Hit@5", "MRR@10", …) → value

LABEL = r"\d{4}-\d{2}-\d{2}(?:\.\d+)?"  # 2026-11-29, 2026-11-29.2
CONFIG_NAME = r"[A-Za-z0-9+_.-]+"  # a configuration's name as it stands in a file name
RUN_FILE = re.compile(rf"^({LABEL})-({CONFIG_NAME})\.json$")
SUMMARY = "summary"  # <label>-summary.json and .md: not the name of a configuration
PLOT = "recall.png"  # <label>-recall.png: the Hit@k curves of every configuration of the run
DEV_SPLIT = "dev"
LEGACY_DEPTH = 50  # eval/runner.RUN_DEPTH when runs did not record their depth


class RunFormatError(ValueError):
    """A run or summary file cannot be read; the message names the file and the problem."""


# What reading a damaged file's fields can raise: a missing key, a wrong type, a bad or overflowing
# number (int(1e400)), nesting too deep to walk.
FIELD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError)


def _loads(text: str, source: Path, what: str) -> dict:
    """The JSON object ``text`` holds. Raises RunFormatError naming ``source`` when it is not one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise RunFormatError(f"{source}: not {what} ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    if not isinstance(data, dict):
        raise RunFormatError(f"{source}: not {what} (a JSON {type(data).__name__}, not an object)")
    return data


def report_name(label: str, part: str) -> str:
    """The file name of one part of a run's report: ``<label>-<part>`` (``2026-11-29-full.json``)."""
    return f"{label}-{part}"


def label_key(label: str) -> tuple[str, int]:
    """Sort key of a run label: by date, then by its number (2026-11-29 < 2026-11-29.2 < 2026-11-29.10)."""
    day, _, n = label.partition(".")
    return day, int(n) if n.isdigit() else 1


WRITING_PREFIX = ".eval-"  # the folder a run's files are written in before they are published (eval/report.py)
STALE_WRITING_SECONDS = 3600.0  # writing a run's files takes seconds: a folder this old was left by a run stopped


def remove_old_folders(candidates: Iterable[Path], older_than: float) -> list[Path]:
    """Remove each of ``candidates`` that is a folder (never a file or a link) last changed more than
    ``older_than`` seconds ago: the folders eval runs that were stopped leave behind. Returns those removed."""
    removed = []
    cutoff = time.time() - older_than
    for folder in candidates:
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed.append(folder)
        except OSError:
            continue
    return removed


def sweep_stale_writing(reports_dir: Path, older_than: float = STALE_WRITING_SECONDS) -> list[Path]:
    """Remove the folders runs stopped while writing left in ``reports_dir`` and its split folders
    (``.eval-*`` folders older than ``older_than`` seconds; never a file, such as the workbench's
    ``.eval-job.lock``). Returns those removed."""
    if not reports_dir.is_dir():
        return []
    folders = [reports_dir] + [p for p in reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return remove_old_folders([left for folder in folders for left in folder.glob(WRITING_PREFIX + "*")], older_than)


def first_words(text: str, n: int) -> str:
    """The first ``n`` words of ``text``, on one line: how runs and the workbench preview a passage."""
    return " ".join(text.split()[:n])


# --- the run of one configuration -------------------------------------------------------------------------
HIT_FIELDS = ("rank", "passage_id", "score", "relevant", "doc_id", "short_title", "section", "words", "features")


@dataclass(frozen=True)
class RecordedHit:
    """A ranked passage as a run recorded it. Its report, section, first words and features are
    kept for the top few hits only (``described``); below those, where it ranked. The features
    stay keyed by name: runs written by other versions carry other features."""

    rank: int
    passage_id: str
    score: float
    relevant: bool
    features: dict[str, float] = field(default_factory=dict)
    doc_id: str = ""
    short_title: str = ""
    section: str = ""
    words: str = ""

    def described(self, passage: Passage, short_title: str, words: int) -> RecordedHit:
        """This hit with ``passage``'s report, section and first ``words`` words."""
        return replace(self, doc_id=passage.doc_id, short_title=short_title, section=passage.section_label,
                       words=first_words(passage.text, words))

    def as_json(self) -> dict:
        """The hit as the file holds it, the fields it lacks (empty) left out to keep runs small."""
        return {key: value for key, value in _ordered(asdict(self), HIT_FIELDS).items() if value not in ("", {})}


@dataclass(frozen=True)
class QuestionRecord:
    """What one configuration did with one question: where its evidence first ranked, the passages
    counted as evidence, and the top hits."""

    id: str
    persona: str
    question: str
    first_rank: int | None  # None: not in the top ``depth``
    depth: int
    relevant: tuple[str, ...]
    hits: tuple[RecordedHit, ...]

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

    def as_json(self) -> dict:
        return {"id": self.id, "persona": self.persona, "question": self.question, "first_rank": self.first_rank,
                "depth": self.depth, "relevant": list(self.relevant), "hits": [h.as_json() for h in self.hits]}


@dataclass(frozen=True)
class FailingQuestion:
    """A question whose evidence is not in the top 5 (or not found), as the run lists it."""

    id: str
    persona: str
    question: str
    first_rank: int | None


@dataclass(frozen=True)
class ConfigRun:
    """The run of one configuration over a question set: its measures overall, per persona, per tag
    and per question, its latency, its failures, and (runs from issue 14 on) each question's record.
    ``split``, ``date`` and ``label`` are set when the run is written."""

    name: str
    overall: Measures
    by_persona: dict[str, Measures]
    by_tag: dict[str, Measures]
    latency_p50_ms: float
    latency_p95_ms: float
    failing: tuple[FailingQuestion, ...]
    per_query: dict[str, Measures]
    questions: tuple[QuestionRecord, ...] = ()
    split: str = DEV_SPLIT
    date: str = ""
    label: str = ""

    def to_json(self) -> str:
        """The run file: indented JSON, its questions one compact line each (a run stays a few
        hundred kilobytes)."""
        head = {"name": self.name, "overall": self.overall, "by_persona": self.by_persona, "by_tag": self.by_tag,
                "latency_p50_ms": self.latency_p50_ms, "latency_p95_ms": self.latency_p95_ms,
                "failing": [asdict(f) for f in self.failing], "per_query": self.per_query, "split": self.split,
                "date": self.date, "label": self.label}
        text = json.dumps(head, indent=2)
        if not self.questions:
            return text
        rows = ["    " + json.dumps(q.as_json(), ensure_ascii=False, separators=(",", ":")) for q in self.questions]
        return text[:-2] + ',\n  "questions": [\n' + ",\n".join(rows) + "\n  ]\n}"

    @classmethod
    def from_json(cls, text: str, source: Path) -> ConfigRun:
        """The run a file holds. Raises RunFormatError naming ``source`` when it is not a run file."""
        data = _loads(text, source, "an eval run file")
        try:
            name, per_query = str(data["name"]), data["per_query"]
        except KeyError as exc:
            raise RunFormatError(f"{source}: not an eval run file (KeyError: {exc})") from exc
        try:
            return cls(name, _measures(data.get("overall") or {}), _grouped(data.get("by_persona")),
                       _grouped(data.get("by_tag")), _number(data.get("latency_p50_ms", 0.0)),
                       _number(data.get("latency_p95_ms", 0.0)),
                       tuple(_failing(f) for f in data.get("failing") or [] if isinstance(f, dict) and "id" in f),
                       {str(qid): _measures(values) for qid, values in per_query.items()},
                       tuple(_question(r) for r in data.get("questions") or [] if isinstance(r, dict) and "id" in r),
                       str(data.get("split", DEV_SPLIT)), str(data.get("date", "")), str(data.get("label", "")))
        except FIELD_ERRORS as exc:  # a half-written, hand-edited or damaged file
            raise RunFormatError(f"{source}: a per-question record cannot be read ({exc.__class__.__name__}: "
                                 f"{str(exc)[:120]})") from exc

    @classmethod
    def read(cls, path: Path) -> ConfigRun:
        """The run in the file ``path``. Raises RunFormatError when it cannot be read or is not a run."""
        return cls.from_json(_text(path), path)


# --- the summary of a run --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfigSummary:
    """One configuration's headline in a run's summary."""

    overall: Measures
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0


@dataclass(frozen=True)
class WrongAnswer:
    """A question the ask slice got wrong in a way that matters, and why."""

    id: str
    persona: str
    question: str
    problem: str
    outcome: str
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AskSummary:
    """How answers behaved: the outcome mix (overall and per persona), how often the outcome is
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
    wrong: tuple[WrongAnswer, ...]
    by_question: dict[str, str] = field(default_factory=dict)  # question id → outcome (added in issue 14)
    # added in issue 20: per persona ("all" too) glance, answer_precision, answered, sentence_hit1, …;
    # per answerable question whether what the user reads first carries the fact; the decision's
    # precision–coverage curve (threshold, precision, answered, unanswerable_answered)
    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    glance: dict[str, bool] = field(default_factory=dict)
    curve: tuple[dict[str, float], ...] = ()


@dataclass(frozen=True)
class RunSummary:
    """A run's summary: every configuration's headline and the ask slice (None when skipped)."""

    date: str
    label: str
    split: str
    questions: int
    configs: dict[str, ConfigSummary]
    ask: AskSummary | None
    measures: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"date": self.date, "label": self.label, "split": self.split, "questions": self.questions,
                           "configs": {name: asdict(c) for name, c in self.configs.items()},
                           "ask": asdict(self.ask) if self.ask else None, "measures": list(self.measures)}, indent=2)

    @classmethod
    def from_json(cls, text: str, source: Path) -> RunSummary:
        """The summary a file holds; one written before labels takes its label from the file name.
        Raises RunFormatError naming ``source`` when it is not a summary."""
        default_label = source.name.removesuffix(f"-{SUMMARY}.json")
        data = _loads(text, source, "an eval summary")
        try:
            return cls(str(data["date"]), str(data.get("label") or default_label), str(data["split"]),
                       int(data["questions"]), {str(name): _config_summary(c) for name, c in data["configs"].items()},
                       _ask(data.get("ask")), tuple(str(m) for m in data.get("measures") or ()))
        except FIELD_ERRORS as exc:
            raise RunFormatError(f"{source}: not an eval summary ({exc.__class__.__name__}: {str(exc)[:120]})") \
                from exc

    @classmethod
    def read(cls, path: Path) -> RunSummary:
        """The summary in the file ``path``. Raises RunFormatError when it cannot be read."""
        return cls.from_json(_text(path), path)


# --- reading the parts ---------------------------------------------------------------------------------
def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFormatError(f"{path}: cannot be read ({exc.__class__.__name__}: {exc})") from exc


def _ordered(data: dict, keys: tuple[str, ...]) -> dict:
    return {key: data[key] for key in keys}


def _number(value: object) -> float:
    """A measure's value: a finite number (ValueError otherwise: 'inf', 1e400, NaN, a string)."""
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _measures(values: dict) -> Measures:
    return {str(name): _number(value) for name, value in values.items()}


def _grouped(groups: dict | None) -> dict[str, Measures]:
    return {str(group): _measures(values) for group, values in (groups or {}).items()}


def _rank(value: int | str | None) -> int | None:
    """A rank: None (not found) or a whole number from 1 (ValueError otherwise)."""
    if value is None:
        return None
    rank = int(value)
    if rank < 1:
        raise ValueError(f"rank {value!r} is not 1 or more")
    return rank


def _failing(raw: dict) -> FailingQuestion:
    return FailingQuestion(str(raw["id"]), str(raw.get("persona") or ""), str(raw.get("question") or ""),
                           _rank(raw.get("first_rank")))


def _hit(raw: dict) -> RecordedHit:
    return RecordedHit(int(raw["rank"]), str(raw["passage_id"]), _number(raw["score"]), bool(raw["relevant"]),
                       _measures(raw.get("features") or {}), str(raw.get("doc_id", "")),
                       str(raw.get("short_title", "")), str(raw.get("section", "")), str(raw.get("words", "")))


def _question(raw: dict) -> QuestionRecord:
    return QuestionRecord(str(raw["id"]), str(raw["persona"]), str(raw["question"]), _rank(raw["first_rank"]),
                          int(raw.get("depth", LEGACY_DEPTH)), tuple(str(p) for p in raw.get("relevant") or []),
                          tuple(_hit(h) for h in raw.get("hits") or []))


def _config_summary(raw: dict) -> ConfigSummary:
    return ConfigSummary(_measures(raw["overall"]), _number(raw.get("latency_p50_ms", 0.0)),
                         _number(raw.get("latency_p95_ms", 0.0)))


def _ask(raw: dict | None) -> AskSummary | None:
    """The ask figures; None when skipped, or of the shape written before issue 14."""
    if not raw or "answered_unanswerable" not in raw:
        return None
    wrong = tuple(WrongAnswer(str(w["id"]), str(w["persona"]), str(w["question"]), str(w["problem"]),
                              str(w["outcome"]), _number(w["confidence"]),
                              tuple(str(r) for r in w.get("reasons") or ()))
                  for w in raw.get("wrong") or ())
    return AskSummary(
        answerable=int(raw["answerable"]), unanswerable=int(raw["unanswerable"]),
        outcomes={str(p): {str(o): int(n) for o, n in mix.items()} for p, mix in raw["outcomes"].items()},
        answered_unanswerable=_number(raw["answered_unanswerable"]),
        not_covered_answerable=_number(raw["not_covered_answerable"]),
        closest_answerable=_number(raw["closest_answerable"]), evidence_carried=_number(raw["evidence_carried"]),
        evidence_carried_answered=_number(raw["evidence_carried_answered"]),
        latency_p50_ms=_number(raw["latency_p50_ms"]), latency_p95_ms=_number(raw["latency_p95_ms"]), wrong=wrong,
        by_question={str(q): str(o) for q, o in (raw.get("by_question") or {}).items()},
        figures={str(p): {str(m): _number(v) for m, v in values.items()}
                 for p, values in (raw.get("figures") or {}).items()},
        glance={str(q): bool(v) for q, v in (raw.get("glance") or {}).items()},
        curve=tuple({str(k): _number(v) for k, v in point.items()} for point in raw.get("curve") or ()))
