"""Relevance judgements recorded by evaluators (from the web app), read by eval as extra qrels.

``eval/judgements.jsonl`` holds one record per line::

    {"query": str, "passage_id": str, "relevant": bool, "who": str, "when": ISO-8601 str}

Records are appended under an exclusive file lock with a single write, so concurrent clicks
never interleave or lose lines. The latest record for a (query, passage) pair wins.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from reportqa.text import match_key

MAX_FIELD = 1000


class JudgementError(ValueError):
    """A judgement record is not valid."""


@dataclass(frozen=True)
class Judgement:
    query: str
    passage_id: str
    relevant: bool
    who: str
    when: str

    @classmethod
    def now(cls, query: str, passage_id: str, relevant: bool, who: str) -> Judgement:
        return cls(query, passage_id, relevant, who, datetime.now(UTC).isoformat(timespec="seconds"))

    def validate(self) -> Judgement:
        """Return self, or raise JudgementError naming the bad field."""
        if not self.query.strip() or len(self.query) > MAX_FIELD:
            raise JudgementError("query must be 1-1000 characters")
        if not self.passage_id or len(self.passage_id) > 200:
            raise JudgementError("passage_id is required")
        if not isinstance(self.relevant, bool):
            raise JudgementError("relevant must be true or false")
        if not self.who.strip() or len(self.who) > 200:
            raise JudgementError("who must be 1-200 characters")
        try:
            datetime.fromisoformat(self.when)
        except ValueError as exc:
            raise JudgementError("when must be an ISO-8601 time") from exc
        return self


class JudgementStoreError(OSError):
    """The judgements file cannot be written; the message says why."""


def append_judgement(path: Path, judgement: Judgement) -> None:
    """Append one validated record atomically (one write of one line, under flock). When the file
    does not end with a newline (an edit by hand, a crash), one is written first, so the record is
    never glued onto the last line. Raises JudgementStoreError when the file cannot be written."""
    line = json.dumps(asdict(judgement.validate()), ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise JudgementStoreError(f"cannot write judgements to {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            data = line.encode("utf-8")
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        raise JudgementStoreError(f"cannot write judgements to {path}: {exc.strerror}") from exc
    finally:
        os.close(fd)


def load_judgements(path: Path) -> list[Judgement]:
    """All valid records in the file (a malformed line is skipped, never fatal)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            out.append(Judgement(str(data["query"]), str(data["passage_id"]), data["relevant"],
                                 str(data["who"]), str(data["when"])).validate())
        except (json.JSONDecodeError, KeyError, TypeError, JudgementError):
            continue
    return out


def judgement_qrels(judgements: list[Judgement], questions: dict[str, str]) -> dict[str, dict[str, int]]:
    """Extra qrels {question_id: {passage_id: 0|1}} for judgements whose query text matches a
    question (letters and digits only). The latest judgement of a pair wins."""
    by_key = {match_key(text): qid for qid, text in questions.items()}
    qrels: dict[str, dict[str, int]] = {}
    for j in sorted(judgements, key=lambda j: j.when):
        qid = by_key.get(match_key(j.query))
        if qid is not None:
            qrels.setdefault(qid, {})[j.passage_id] = int(j.relevant)
    return qrels
