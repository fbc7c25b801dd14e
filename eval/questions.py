"""The question set: load, validate, and check that every evidence span exists in the corpus.

Each line of ``eval/questions.jsonl`` is one question::

    {"id": "su-017", "split": "dev" | "heldout", "persona": "frontline" | "trainer" | "facts" |
     "unanswerable", "tags": ["sec:7.5", "keyword"], "question": "...", "answer": "...",
     "evidence": [{"doc_id": "survey-report", "quote": "6 to 25 verbatim words"}]}

Evidence spans, not passage ids, define relevance, so the qrels survive any re-chunking.
Matching is on letters and digits only, case-folded (``reportqa.text.match_key``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reportqa.runs import Evidence
from reportqa.text import match_key, match_key_with_map

PERSONAS = ("frontline", "trainer", "facts", "unanswerable")
SPLITS = ("dev", "heldout", "sealed")  # heldout was retired into dev; sealed lives in eval/sealed/
MIN_SPAN_WORDS = 6
MAX_SPAN_WORDS = 25
TABLE_ROW_TAG = "table"


class QuestionSetError(Exception):
    """The question file is not valid; the message names the line and the problem."""


@dataclass(frozen=True)
class Question:
    id: str
    split: str
    persona: str
    tags: tuple[str, ...]
    question: str
    answer: str
    evidence: tuple[Evidence, ...]

    @property
    def answerable(self) -> bool:
        return self.persona != "unanswerable"


def parse_question(data: dict, where: str) -> Question:
    """One question from its JSON object. Raises QuestionSetError."""
    required = ("id", "split", "persona", "tags", "question", "answer", "evidence")
    missing = [k for k in required if k not in data]
    if missing:
        raise QuestionSetError(f"{where}: missing {', '.join(missing)}")
    if data["split"] not in SPLITS:
        raise QuestionSetError(f"{where}: split must be one of {SPLITS}")
    if data["persona"] not in PERSONAS:
        raise QuestionSetError(f"{where}: persona must be one of {PERSONAS}")
    if not str(data["question"]).strip():
        raise QuestionSetError(f"{where}: empty question")
    evidence = tuple(Evidence(e["doc_id"], e["quote"]) for e in data["evidence"])
    if data["persona"] == "unanswerable" and evidence:
        raise QuestionSetError(f"{where}: an unanswerable question has no evidence")
    if data["persona"] != "unanswerable" and not 1 <= len(evidence) <= 3:
        raise QuestionSetError(f"{where}: give 1 to 3 evidence spans")
    return Question(str(data["id"]), data["split"], data["persona"], tuple(data["tags"]),
                    str(data["question"]), str(data["answer"]), evidence)


def load_questions(path: Path, split: str = "all") -> list[Question]:
    """Questions from a JSONL file, or from every JSONL file of a folder, optionally only one split
    ('dev', 'sealed' or 'all').

    Raises QuestionSetError for invalid lines or duplicate ids.
    """
    questions: list[Question] = []
    seen: set[str] = set()
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    lines = [(f, n, line) for f in files for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)]
    for file, n, line in lines:
        if not line.strip():
            continue
        where = f"{file.name}:{n}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where}: not JSON ({exc})") from exc
        question = parse_question(data, where)
        if question.id in seen:
            raise QuestionSetError(f"{where}: duplicate id {question.id}")
        seen.add(question.id)
        if split in ("all", question.split):
            questions.append(question)
    return questions


def locate(quote: str, text: str) -> list[tuple[int, int]]:
    """Every (start, end) in ``text`` where ``quote`` occurs, matching letters and digits only."""
    needle = match_key(quote)
    if not needle:
        return []
    key, offsets = match_key_with_map(text)
    found = []
    start = key.find(needle)
    while start >= 0:
        found.append((offsets[start], offsets[start + len(needle) - 1] + 1))
        start = key.find(needle, start + 1)
    return found


def check_evidence(questions: list[Question], documents: dict[str, str]) -> list[str]:
    """Problems with evidence spans: unknown report, not found in its cleaned text, or a
    length outside 6–25 words (table rows, tagged 'table', may be shorter). Empty when all is well."""
    problems = []
    for q in questions:
        for ev in q.evidence:
            n_words = len(ev.quote.split())
            if ev.doc_id not in documents:
                problems.append(f"{q.id}: unknown doc_id {ev.doc_id!r}")
            elif not locate(ev.quote, documents[ev.doc_id]):
                problems.append(f"{q.id}: quote not found in {ev.doc_id}: {ev.quote[:60]!r}")
            if n_words > MAX_SPAN_WORDS or (n_words < MIN_SPAN_WORDS and TABLE_ROW_TAG not in q.tags):
                problems.append(f"{q.id}: quote has {n_words} words (6-25 expected): {ev.quote[:60]!r}")
    return problems
