"""Relevance judgements recorded by evaluators (from the web app), read by eval as extra qrels.

The store is a SQLite file (``judgements.sqlite3``, in WAL mode, so readers never wait for a
writer), one row per judgement::

    query, passage_id, relevant, who (the evaluator's name), when (ISO-8601), retract, undone_by

An undo adds a retraction row (``retract``) and marks the judgement it cancels (``undone_by``): the
latest standing judgement of that evaluator on that (query, passage) pair. Nothing is deleted, so
every change can be reviewed. Each judgement and each undo is one transaction; an undo reads what
it cancels inside its own write transaction (BEGIN IMMEDIATE), so two undos never cancel one
judgement twice. Rows are indexed by question (its match key) and passage. The latest judgement
of a pair wins.

A ``.jsonl`` path names the judgements file written before the store (one JSON record a line,
retractions carrying ``"retract": true``); its store is the ``.sqlite3`` file beside it. The first
time a store is opened where no store exists yet, the JSON lines file beside it is migrated into it
(a line that cannot be read is skipped, and counted). JSON lines (``to_jsonl``) and TREC qrels
(``trec_qrels``) stay as export formats.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from reportqa.text import match_key as _match_key

log = logging.getLogger(__name__)
# Queries repeat (every judgement of a question, every evaluator): their keys are worked out once.
match_key = lru_cache(maxsize=65_536)(_match_key)
MAX_FIELD = 1000
MAX_NAME = 200
MAX_PASSAGE_ID = 200
STORE_SUFFIX = ".sqlite3"
LEGACY_SUFFIX = ".jsonl"
BUSY_SECONDS = 30.0  # how long a write waits for another writer before giving up
SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    query_key TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    relevant INTEGER NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    retract INTEGER NOT NULL DEFAULT 0,
    undone_by INTEGER
);
CREATE INDEX IF NOT EXISTS judgements_by_pair ON judgements (query_key, passage_id, who);
CREATE INDEX IF NOT EXISTS judgements_by_passage ON judgements (passage_id);
CREATE INDEX IF NOT EXISTS judgements_by_who ON judgements (who, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
COLUMNS = "id, query, passage_id, relevant, who, at, retract, undone_by"


class JudgementError(ValueError):
    """A judgement record is not valid, or there is nothing to undo."""


class JudgementStoreError(OSError):
    """The judgements store cannot be read or written; the message says why."""


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
        if not isinstance(self.query, str) or not self.query.strip() or len(self.query) > MAX_FIELD:
            raise JudgementError("query must be 1-1000 characters")
        if not isinstance(self.passage_id, str) or not self.passage_id or len(self.passage_id) > MAX_PASSAGE_ID:
            raise JudgementError("passage_id is required")
        if not isinstance(self.relevant, bool):
            raise JudgementError("relevant must be true or false")
        if not isinstance(self.who, str) or not self.who.strip() or len(self.who) > MAX_NAME \
                or not self.who.isprintable():
            raise JudgementError("who (the evaluator's name) must be 1-200 printable characters")
        if not isinstance(self.retract, bool):
            raise JudgementError("retract must be true or false")
        try:
            datetime.fromisoformat(self.when)
        except (TypeError, ValueError) as exc:
            raise JudgementError("when must be an ISO-8601 time") from exc
        return self


Status = Literal["standing", "undone", "undo"]


@dataclass(frozen=True)
class ReviewRow:
    """A record and what became of it: ``standing``, ``undone`` (retracted later) or ``undo`` (the
    retraction itself). ``id`` is its place in the store (1 for the first record); ``undoable``
    marks the latest standing judgement of its evaluator and pair, the one an undo would cancel."""

    judgement: Judgement
    status: Status
    id: int = 0
    undoable: bool = False


@dataclass(frozen=True)
class Undo:
    """What an undo did: the retraction it recorded and the id of the judgement it cancelled."""

    retraction: Judgement
    cancelled: int


# --- the JSON lines format (the file before the store, and an export) ------------------------------------------
def to_jsonl(records: Iterable[Judgement], lines_a_chunk: int = 1) -> Iterator[str]:
    """The records as JSON lines, retractions with ``"retract": true``: the format of the old file;
    ``lines_a_chunk`` lines to each string yielded (a download sends fewer, larger pieces)."""
    chunk: list[str] = []
    for record in records:
        chunk.append(record.to_line())
        if len(chunk) >= lines_a_chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def parse_line(line: str | bytes) -> Judgement:
    """One JSON line as a validated Judgement (the evaluator's name normalised). Raises
    JudgementError for a line that is not one: bad JSON or UTF-8, nesting too deep to read, a field
    missing or of the wrong type."""
    try:
        data = json.loads(line)
        return Judgement(str(data["query"]), str(data["passage_id"]), data["relevant"],
                         normalise_name(str(data["who"])), str(data["when"]), data.get("retract", False)).validate()
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:  # ValueError: JSON, UTF-8
        raise JudgementError(f"not a judgement ({exc.__class__.__name__})") from exc


def parse_jsonl(data: bytes) -> tuple[list[Judgement], int]:
    """The valid records of a JSON lines file, in file order, and how many lines were skipped
    (a malformed line is never fatal)."""
    records, skipped = [], 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            records.append(parse_line(raw))
        except JudgementError:
            skipped += 1
    return records, skipped


# --- the store ---------------------------------------------------------------------------------------------------
def store_path(path: Path) -> Path:
    """The SQLite store of the judgements at ``path``: ``path`` itself, or for a ``.jsonl`` path
    (the file before the store) the ``.sqlite3`` file beside it."""
    return path.with_suffix(STORE_SUFFIX) if path.suffix == LEGACY_SUFFIX else path


def legacy_path(path: Path) -> Path:
    """The JSON lines file a new store at ``path`` is migrated from: the ``.jsonl`` file beside it."""
    return store_path(path).with_suffix(LEGACY_SUFFIX)


def _row(row: tuple) -> Judgement:
    _, query, passage_id, relevant, who, when, retract, _ = row
    return Judgement(query, passage_id, bool(relevant), who, when, bool(retract))


def _status(row: tuple) -> Status:
    return "undo" if row[6] else "undone" if row[7] is not None else "standing"


def _latest_standing(conn: sqlite3.Connection, key: str, passage_id: str, who: str) -> tuple | None:
    """The latest standing judgement of ``who`` on the pair (key, passage), or None."""
    return conn.execute(f"SELECT {COLUMNS} FROM judgements WHERE query_key = ? AND passage_id = ? AND who = ? "
                        "AND retract = 0 AND undone_by IS NULL ORDER BY id DESC LIMIT 1",
                        (key, passage_id, who)).fetchone()


def _insert(conn: sqlite3.Connection, judgement: Judgement) -> int:
    cursor = conn.execute("INSERT INTO judgements (query, query_key, passage_id, relevant, who, at, retract) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (judgement.query, match_key(judgement.query), judgement.passage_id, int(judgement.relevant),
                           judgement.who, judgement.when, int(judgement.retract)))
    return int(cursor.lastrowid or 0)


def _record(conn: sqlite3.Connection, judgement: Judgement) -> None:
    """Insert a judgement; a retraction also marks the judgement it cancels (when one stands)."""
    latest = _latest_standing(conn, match_key(judgement.query), judgement.passage_id, judgement.who) \
        if judgement.retract else None
    new_id = _insert(conn, judgement)
    if latest is not None:
        conn.execute("UPDATE judgements SET undone_by = ? WHERE id = ?", (new_id, latest[0]))


class JudgementStore:
    """The judgements of one store file (``store_path(path)``). Every call opens its own
    connection, so one store may be used from many threads and processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = store_path(path)
        self.legacy = legacy_path(path)

    # --- opening ---------------------------------------------------------------------------------------------
    def _open(self, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _create(self) -> None:
        """Make the store, with the old JSON lines file's records when there is one. It is built
        under a temporary name and then linked into place, so a crash leaves no half-migrated store
        and two threads or processes starting at once make one store between them."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        building = self.path.with_name(f"{self.path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            conn = self._open(building)
            try:
                conn.executescript(SCHEMA)
                migrated = self._migrate(conn)
            finally:
                conn.close()  # the last connection: the write-ahead log is checkpointed and removed
            try:
                os.link(building, self.path)
            except FileExistsError:
                return  # another thread or process made the store first: use theirs
            if migrated:
                log.warning("judgements: %s", migrated)
        finally:
            for leftover in (building, building.with_name(building.name + "-wal"),
                             building.with_name(building.name + "-shm")):
                leftover.unlink(missing_ok=True)

    def _migrate(self, conn: sqlite3.Connection) -> str:
        """Copy the old JSON lines file into a new store, in file order; what was done, or ''."""
        try:
            data = self.legacy.read_bytes()
        except FileNotFoundError:
            return ""
        records, skipped = parse_jsonl(data)
        conn.execute("BEGIN IMMEDIATE")
        for record in records:
            _record(conn, record)
        note = (f"{len(records)} records migrated from {self.legacy.name} into {self.path.name}"
                + (f"; {skipped} lines that could not be read were skipped" if skipped else ""))
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                         [("migrated_from", str(self.legacy)), ("migrated", note)])
        conn.execute("COMMIT")
        return note

    @contextmanager
    def _connection(self, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection to the store (None when there is none yet and ``create`` is false: nothing
        was recorded). Raises JudgementStoreError when it cannot be opened, read or written."""
        action = "write judgements to" if create else "read judgements from"
        if not create and not self.path.exists() and not self.legacy.is_file():
            yield None
            return
        try:
            if not self.path.exists():
                self._create()
            conn = self._open(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise JudgementStoreError(f"cannot {action} {self.path}: {_reason(exc)}") from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise JudgementStoreError(f"cannot {action} {self.path}: {_reason(exc)}") from exc
        finally:
            conn.close()

    # --- writing ---------------------------------------------------------------------------------------------
    def add(self, judgement: Judgement) -> Judgement:
        """Record one validated judgement, in one transaction. Raises JudgementError for an invalid
        record (and records nothing), JudgementStoreError when the store cannot be written."""
        judgement.validate()
        if judgement.retract:
            raise JudgementError("record an undo with undo(), which finds the judgement it cancels")
        with self._connection(create=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            _insert(conn, judgement)
            conn.execute("COMMIT")
        return judgement

    def undo(self, query: str, passage_id: str, who: str) -> Undo:
        """Cancel ``who``'s latest standing judgement of (query, passage) with a retraction, read and
        written in one write transaction. Raises JudgementError when there is nothing to undo,
        JudgementStoreError when the store cannot be written."""
        who = normalise_name(who)
        with self._connection(create=True) as conn:
            conn.execute("BEGIN IMMEDIATE")  # the write lock first: what is read stays true until COMMIT
            try:
                latest = _latest_standing(conn, match_key(query), passage_id, who)
                if latest is None:
                    raise JudgementError(f"{who} has no standing judgement of that passage for that query to undo")
                cancelled = _row(latest)
                retraction = Judgement.now(cancelled.query, cancelled.passage_id, cancelled.relevant, who,
                                           retract=True).validate()
                new_id = _insert(conn, retraction)
                conn.execute("UPDATE judgements SET undone_by = ? WHERE id = ?", (new_id, latest[0]))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return Undo(retraction, latest[0])

    # --- reading ---------------------------------------------------------------------------------------------
    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._connection(create=False) as conn:
            return [] if conn is None else conn.execute(sql, params).fetchall()

    def all(self) -> list[Judgement]:
        """Every judgement and retraction, in the order recorded."""
        return [_row(r) for r in self._rows(f"SELECT {COLUMNS} FROM judgements ORDER BY id")]

    def standing(self, who: str | None = None) -> list[Judgement]:
        """The judgements no undo cancelled (only ``who``'s when given), in the order recorded."""
        where, params = _by(who)
        where = (where + " AND" if where else "WHERE") + " retract = 0 AND undone_by IS NULL"
        return [_row(r) for r in self._rows(f"SELECT {COLUMNS} FROM judgements {where} ORDER BY id", params)]

    def for_query(self, query: str) -> list[Judgement]:
        """The judgements still standing on ``query`` (compared on letters and digits), in order recorded."""
        return [_row(r) for r in self._rows(f"SELECT {COLUMNS} FROM judgements WHERE query_key = ? AND retract = 0 "
                                            "AND undone_by IS NULL ORDER BY id", (match_key(query),))]

    def count(self, who: str | None = None) -> int:
        """How many records (judgements and retractions), only ``who``'s when given."""
        where, params = _by(who)
        rows = self._rows(f"SELECT COUNT(*) FROM judgements {where}", params)
        return int(rows[0][0]) if rows else 0

    def names(self) -> list[str]:
        """Every evaluator's name, sorted."""
        return [r[0] for r in self._rows("SELECT DISTINCT who FROM judgements ORDER BY who")]

    def page(self, who: str | None, offset: int, limit: int) -> list[ReviewRow]:
        """Records newest first, ``limit`` of them after the first ``offset``, only ``who``'s when
        given, each with what became of it and whether an undo would cancel it."""
        where, params = _by(who)
        rows = self._rows(
            f"SELECT {COLUMNS}, (retract = 0 AND undone_by IS NULL AND NOT EXISTS (SELECT 1 FROM judgements later "
            "WHERE later.query_key = j.query_key AND later.passage_id = j.passage_id AND later.who = j.who "
            "AND later.retract = 0 AND later.undone_by IS NULL AND later.id > j.id)) "
            f"FROM judgements j {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        return [ReviewRow(_row(r[:8]), _status(r), r[0], bool(r[8])) for r in rows]

    def migration(self) -> str:
        """What the migration from the JSON lines file did, or ''."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'migrated'")
        return rows[0][0] if rows else ""


def _by(who: str | None) -> tuple[str, tuple]:
    return ("WHERE who = ?", (normalise_name(who),)) if who is not None else ("", ())


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


# --- the functions eval and the web app call -----------------------------------------------------------------------
def append_judgement(path: Path, judgement: Judgement) -> None:
    """Record one validated judgement in the store of ``path``. Raises JudgementError for an invalid
    record, JudgementStoreError when the store cannot be written."""
    JudgementStore(path).add(judgement)


def load_judgements(path: Path) -> list[Judgement]:
    """Every judgement and retraction in the store of ``path`` (migrating the old JSON lines file
    on first use), in the order recorded; [] when none was ever recorded. Raises
    JudgementStoreError when the store exists but cannot be read."""
    return JudgementStore(path).all()


def retract_latest(path: Path, query: str, passage_id: str, who: str) -> Judgement:
    """Undo ``who``'s latest standing judgement of (query, passage); returns the retraction.
    Raises JudgementError when there is nothing to undo, JudgementStoreError when the store cannot
    be written."""
    return JudgementStore(path).undo(query, passage_id, who).retraction


def review(records: list[Judgement], who: str | None = None) -> list[ReviewRow]:
    """Every record with its status, in order; only ``who``'s when given. A retraction cancels the
    latest standing judgement of the same evaluator on the same pair."""
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
    latest = {stack[-1] for stack in stacks.values() if stack}
    name = None if who is None else normalise_name(who)
    return [ReviewRow(j, s, n + 1, n in latest) for n, (j, s) in enumerate(zip(records, status))
            if name is None or j.who == name]


def standing(records: list[Judgement], who: str | None = None) -> list[Judgement]:
    """The judgements no retraction cancelled, in order (``records`` as they are when none is a
    retraction: the store's own ``standing`` gives such a list)."""
    if not any(j.retract for j in records):
        name = None if who is None else normalise_name(who)
        return [j for j in records if name is None or j.who == name]
    return [row.judgement for row in review(records, who) if row.status == "standing"]


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
    return _query_id_of_key(match_key(query))


@lru_cache(maxsize=65_536)
def _query_id_of_key(key: str) -> str:
    return "j-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def trec_qrels(judgements: list[Judgement], questions: dict[str, str], who: str | None = None,
               unmatched: bool = False) -> list[str]:
    """Standing judgements (only ``who``'s when given) as TREC qrels lines ``query_id 0 passage_id 0|1``,
    the format ir_measures.read_trec_qrels reads. Queries matching a question take its id;
    others are left out unless ``unmatched`` (then they take ``query_id(query)``). The latest
    judgement of a pair wins."""
    by_key = {match_key(text): qid for qid, text in questions.items()}
    chosen: dict[tuple[str, str], int] = {}
    for j in sorted(standing(judgements, who), key=lambda j: j.when):
        key = match_key(j.query)
        qid = by_key.get(key) or (_query_id_of_key(key) if unmatched else None)
        if qid is not None:
            chosen[(qid, j.passage_id)] = int(j.relevant)
    return [f"{qid} 0 {pid} {rel}" for (qid, pid), rel in sorted(chosen.items())]
