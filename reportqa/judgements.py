"""Relevance judgements recorded by evaluators (from the web app), read by eval as extra qrels.

``eval/judgements.jsonl`` holds one record per line::

    {"query": str, "passage_id": str, "relevant": bool, "who": str, "when": ISO-8601 str}

Records are appended under an exclusive file lock with a single write, so concurrent clicks
never interleave or lose lines. The latest record for a (query, passage) pair wins.

``who`` is the evaluator's name. An undo appends a retraction (the same fields plus
``"retract": true``): it cancels that evaluator's latest standing judgement of the pair, so the
file stays append-only and every change can be reviewed. Older readers skip nothing they knew.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from reportqa.text import match_key

MAX_FIELD = 1000
MAX_NAME = 200


class JudgementError(ValueError):
    """A judgement record is not valid."""


def normalise_name(value: str | None) -> str:
    """An evaluator's name as stored and compared everywhere (web forms, the JSON API, undo, the
    review filter, and lines read back): any run of spaces, tabs or other unprintable characters
    becomes one space, the ends are trimmed, and at most MAX_NAME characters are kept ('' when none).
    So "Alice  Smith", " Alice Smith" and "Alice\tSmith" are one evaluator."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value or ""))
    return " ".join(text.split())[:MAX_NAME]


@dataclass(frozen=True)
class Judgement:
    query: str
    passage_id: str
    relevant: bool
    who: str
    when: str
    retract: bool = False  # an undo: cancels ``who``'s latest standing judgement of the pair

    @classmethod
    def now(cls, query: str, passage_id: str, relevant: bool, who: str, retract: bool = False) -> Judgement:
        """A judgement made now, the evaluator's name normalised (``normalise_name``)."""
        return cls(query, passage_id, relevant, normalise_name(who), datetime.now(UTC).isoformat(timespec="seconds"),
                   retract)

    @property
    def pair(self) -> tuple[str, str]:
        """The (query, passage) pair judged, the query compared on letters and digits only."""
        return match_key(self.query), self.passage_id

    def to_line(self) -> str:
        """The JSON line; ``retract`` only on retractions, so judgement lines keep their old shape."""
        data = asdict(self)
        if not self.retract:
            del data["retract"]
        return json.dumps(data, ensure_ascii=False) + "\n"

    def validate(self) -> Judgement:
        """Return self, or raise JudgementError naming the bad field."""
        if not self.query.strip() or len(self.query) > MAX_FIELD:
            raise JudgementError("query must be 1-1000 characters")
        if not self.passage_id or len(self.passage_id) > 200:
            raise JudgementError("passage_id is required")
        if not isinstance(self.relevant, bool):
            raise JudgementError("relevant must be true or false")
        if not self.who.strip() or len(self.who) > MAX_NAME or not self.who.isprintable():
            raise JudgementError("who (the evaluator's name) must be 1-200 printable characters")
        if not isinstance(self.retract, bool):
            raise JudgementError("retract must be true or false")
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
    line = judgement.validate().to_line()
    with _locked(path) as fd:
        _append(fd, path, line)


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The judgements file opened for appending, under an exclusive lock. Raises JudgementStoreError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise JudgementStoreError(f"cannot write judgements to {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        raise JudgementStoreError(f"cannot write judgements to {path}: {exc.strerror}") from exc
    finally:
        os.close(fd)


def _append(fd: int, path: Path, line: str) -> None:
    """One write of one line (after a newline when the file lacks its last one), then fsync."""
    size = os.fstat(fd).st_size
    data = line.encode("utf-8")
    if size and os.pread(fd, 1, size - 1) != b"\n":
        data = b"\n" + data
    written = 0
    while written < len(data):
        written += os.write(fd, data[written:])
    os.fsync(fd)


def _parse(text: str) -> list[Judgement]:
    out = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
            out.append(Judgement(str(data["query"]), str(data["passage_id"]), data["relevant"],
                                 normalise_name(str(data["who"])), str(data["when"]),
                                 data.get("retract", False)).validate())
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, JudgementError):
            continue
    return out


def load_judgements(path: Path) -> list[Judgement]:
    """All valid records in the file, retractions included, in file order. A malformed line (bad
    JSON, a field missing, bytes that are not UTF-8) is skipped, never fatal; evaluator names are
    normalised as read. Raises JudgementStoreError when the file exists but cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise JudgementStoreError(f"cannot read judgements from {path}: {exc.strerror}") from exc
    return _parse(_readable(data))


def _readable(data: bytes) -> str:
    """The file's lines that are valid UTF-8 (a line with a bad byte is skipped like any bad line)."""
    out = []
    for raw in data.split(b"\n"):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return "\n".join(out)


Status = Literal["standing", "undone", "undo"]


@dataclass(frozen=True)
class ReviewRow:
    """A record of the file and what became of it: ``standing``, ``undone`` (retracted later) or
    ``undo`` (the retraction itself)."""

    judgement: Judgement
    status: Status


def review(records: list[Judgement], who: str | None = None) -> list[ReviewRow]:
    """Every record with its status, in file order; only ``who``'s when given. A retraction
    cancels the latest standing judgement of the same evaluator on the same pair."""
    stacks: dict[tuple[str, str, str], list[int]] = {}
    status: list[Status] = []
    for n, j in enumerate(records):
        key = (j.who, *j.pair)
        if j.retract:
            status.append("undo")
            if stacks.get(key):
                status[stacks[key].pop()] = "undone"
        else:
            status.append("standing")
            stacks.setdefault(key, []).append(n)
    name = None if who is None else normalise_name(who)
    return [ReviewRow(j, s) for j, s in zip(records, status) if name is None or j.who == name]


def standing(records: list[Judgement], who: str | None = None) -> list[Judgement]:
    """The judgements no retraction cancelled, in file order."""
    return [row.judgement for row in review(records, who) if row.status == "standing"]


def retract_latest(path: Path, query: str, passage_id: str, who: str) -> Judgement:
    """Undo ``who``'s latest standing judgement of (query, passage): append its retraction, read
    and written under one lock so two undos never cancel one judgement twice. Returns the
    retraction. Raises JudgementError when there is nothing to undo, JudgementStoreError when
    the file cannot be written."""
    pair = (match_key(query), passage_id)
    who = normalise_name(who)
    with _locked(path) as fd:
        size = os.fstat(fd).st_size
        text = _readable(os.pread(fd, size, 0)) if size else ""
        mine = [j for j in standing(_parse(text), who) if j.pair == pair]
        if not mine:
            raise JudgementError(f"{who} has no standing judgement of that passage for that query to undo")
        latest = mine[-1]
        retraction = Judgement.now(latest.query, latest.passage_id, latest.relevant, who, retract=True).validate()
        _append(fd, path, retraction.to_line())
    return retraction


def judgement_qrels(judgements: list[Judgement], questions: dict[str, str]) -> dict[str, dict[str, int]]:
    """Extra qrels {question_id: {passage_id: 0|1}} for standing judgements whose query text
    matches a question (letters and digits only). The latest judgement of a pair wins."""
    by_key = {match_key(text): qid for qid, text in questions.items()}
    qrels: dict[str, dict[str, int]] = {}
    for j in sorted(standing(judgements), key=lambda j: j.when):
        qid = by_key.get(match_key(j.query))
        if qid is not None:
            qrels.setdefault(qid, {})[j.passage_id] = int(j.relevant)
    return qrels


def query_id(query: str) -> str:
    """A stable id for a query no question matches: 'j-' and 12 hex digits of its match key."""
    return "j-" + hashlib.sha1(match_key(query).encode("utf-8")).hexdigest()[:12]


def trec_qrels(judgements: list[Judgement], questions: dict[str, str], who: str | None = None,
               unmatched: bool = False) -> list[str]:
    """Standing judgements (only ``who``'s when given) as TREC qrels lines ``query_id 0 passage_id 0|1``,
    the format ir_measures.read_trec_qrels reads. Queries matching a question take its id;
    others are left out unless ``unmatched`` (then they take ``query_id(query)``). The latest
    judgement of a pair wins."""
    by_key = {match_key(text): qid for qid, text in questions.items()}
    chosen: dict[tuple[str, str], int] = {}
    for j in sorted(standing(judgements, who), key=lambda j: j.when):
        qid = by_key.get(match_key(j.query)) or (query_id(j.query) if unmatched else None)
        if qid is not None:
            chosen[(qid, j.passage_id)] = int(j.relevant)
    return [f"{qid} 0 {pid} {rel}" for (qid, pid), rel in sorted(chosen.items())]
