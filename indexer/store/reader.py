"""Reading a build: ``open_index`` finds the live build, checks it against the settings and its
checksums, and returns an ``IndexReader`` holding passages, sentences, vectors, bm25 indexes,
documents and measure cards in memory."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from indexer.store import paths
from indexer.store.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from indexer.store.manifest import IndexManifest, read_manifest
from indexer.store.verify import BuildSpec, file_stamps, verify_files
from reportqa.measures_records import MeasureCard, MeasuresFileError, cards_from_json
from reportqa.records import DocumentMeta, Passage


@dataclass
class StoredDocument:
    """A document as stored: metadata, cleaned text and block structure (for the reader)."""

    meta: DocumentMeta
    paged: bool
    text: str
    structure: list = field(default_factory=list)


@dataclass
class SentenceTable:
    """Sentence spans of every passage (relative to passage text), aligned with their vectors."""

    passage_idx: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray  # per passage: index of its first sentence
    count: np.ndarray  # per passage: number of sentences


@dataclass
class QuestionTable:
    """The passage questions of a build, aligned with their vectors and their bm25 documents; each
    with the [start, end) of its anchor in its passage's text (the sentence it points at)."""

    passage_idx: np.ndarray
    style: list[str]
    text: list[str]
    anchor_start: np.ndarray
    anchor_end: np.ndarray

    def __len__(self) -> int:
        return len(self.text)


class IndexReader:
    """A verified, read-only view of one build: passages, vectors, FTS and documents."""

    def __init__(self, build: Path, manifest: IndexManifest) -> None:
        self.build = build
        self.manifest = manifest
        self._local = threading.local()
        con = self.connection()
        try:
            self.passages = _read_passages(con)
            first_count = np.array(
                con.execute("SELECT sent_first, sent_count FROM passages ORDER BY idx").fetchall(),
                dtype=np.int64).reshape(-1, 2)
            sent = np.array(con.execute("SELECT passage_idx, start, end FROM sentences ORDER BY idx").fetchall(),
                            dtype=np.int64).reshape(-1, 3)
            self.documents = {row[0]: _document_from_row(row)
                              for row in con.execute("SELECT * FROM documents ORDER BY doc_id")}
            self.acronyms = [tuple(r) for r in con.execute("SELECT short, long, count FROM acronyms")]
            rows = con.execute("SELECT passage_idx, style, text, anchor_start, anchor_end FROM passage_questions "
                               "ORDER BY idx").fetchall()
            self.questions = QuestionTable(np.array([r[0] for r in rows], dtype=np.int64),
                                           [r[1] for r in rows], [r[2] for r in rows],
                                           np.array([r[3] for r in rows], dtype=np.int64),
                                           np.array([r[4] for r in rows], dtype=np.int64))
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{build / paths.SQLITE} is damaged ({exc}); "
                                    "run `reportqa index --rebuild`") from exc
        self.sentences = SentenceTable(sent[:, 0], sent[:, 1], sent[:, 2], first_count[:, 0], first_count[:, 1])
        self.index_by_id = {p.passage_id: i for i, p in enumerate(self.passages)}
        try:
            self.faiss = faiss.read_index(str(build / paths.PASSAGE_VECTORS))
            # read into memory once verified: a mapped file damaged later (bytes changed, truncated)
            # would feed wrong scores into answers, or kill the server with SIGBUS
            self.sentence_vectors = np.load(build / paths.SENTENCE_VECTORS)
            self.bm25 = bm25s.BM25.load(str(build / paths.BM25_DIR), show_progress=False, verbosity=0) \
                if self.passages else None
            self.question_vectors = np.load(build / paths.QUESTION_VECTORS)
            self.question_bm25 = bm25s.BM25.load(str(build / paths.QUESTION_BM25_DIR), show_progress=False,
                                                 verbosity=0) if len(self.questions) else None
        except Exception as exc:
            raise IndexCorruptError(
                f"vector files in {build} are damaged ({exc}); run `reportqa index --rebuild`") from exc
        if self.faiss.ntotal != len(self.passages) or len(self.sentence_vectors) != len(sent) \
                or len(self.question_vectors) != len(self.questions):
            raise IndexCorruptError(
                f"{build}: vector counts do not match the passages; run `reportqa index --rebuild`")

        self.measures = read_measures(build, manifest)
        self._stamps = file_stamps(build, manifest)

    def damage(self) -> str | None:
        """What changed on disk since this build was opened and verified (size or modification
        time of an index file), or None. Cheap: one stat per file."""
        now = file_stamps(self.build, self.manifest)
        changed = sorted(name for name in self._stamps if now.get(name) != self._stamps[name])
        return f"index files changed on disk since they were verified: {', '.join(changed)}" if changed else None

    def connection(self) -> sqlite3.Connection:
        """A read-only SQLite connection for the calling thread."""
        con = getattr(self._local, "con", None)
        if con is None:
            uri = f"file:{self.build / paths.SQLITE}?mode=ro&immutable=1"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.con = con
        return con

    @property
    def dim(self) -> int:
        return self.manifest.model.dim

    def passage(self, passage_id: str) -> Passage | None:
        idx = self.index_by_id.get(passage_id)
        return None if idx is None else self.passages[idx]

    def sentence_spans(self, idx: int) -> list[tuple[int, int]]:
        first, count = int(self.sentences.first[idx]), int(self.sentences.count[idx])
        return [(int(self.sentences.start[k]), int(self.sentences.end[k])) for k in range(first, first + count)]


def read_measures(build: Path, manifest: IndexManifest) -> list[MeasureCard]:
    """The build's measure cards; empty for a build written without them (not in its manifest).
    A file that is listed but cannot be read as cards is damage: IndexCorruptError."""
    if paths.MEASURES not in manifest.files:
        return []
    try:
        return cards_from_json(json.loads((build / paths.MEASURES).read_text(encoding="utf-8")))
    except (OSError, ValueError, MeasuresFileError) as exc:
        raise IndexCorruptError(f"{build / paths.MEASURES} is damaged ({exc}); run `reportqa index --rebuild`") from exc


def open_index(index_dir: Path, spec: BuildSpec | None = None, verify_hashes: bool = True) -> IndexReader:
    """Open and verify the live build in ``index_dir``.

    Raises IndexMissingError when there is no index, IndexMismatchError when it was built
    with another format, model or chunker, IndexCorruptError when a file is damaged.
    """
    build = paths.live_build(index_dir)
    if build is None:
        raise IndexMissingError(f"no index in {index_dir}; run `reportqa index` first")
    if not build.is_dir():
        raise IndexCorruptError(f"{build} named by {index_dir / paths.CURRENT_FILE} is missing; "
                                "run `reportqa index --rebuild`")
    manifest = read_manifest(build)
    if spec is not None:
        problems = spec.mismatches(manifest)
        if problems:
            raise IndexMismatchError(
                f"the index in {index_dir} was built with another " + "; ".join(problems)
                + ". Re-index with `reportqa index --rebuild`.")
    verify_files(build, manifest, hashes=verify_hashes)
    return IndexReader(build, manifest)


def _read_passages(con: sqlite3.Connection) -> list[Passage]:
    # section pages are optional: an index written before them still loads
    pages = "section_page, section_page_of" if _has_column(con, "passages", "section_page") else "NULL, ''"
    return [_passage_from_row(r) for r in con.execute(
        "SELECT passage_id, doc_id, kind, section, start, end, text, page_start, page_end, "
        f"{pages} FROM passages ORDER BY idx")]


def _passage_from_row(row: tuple) -> Passage:
    passage_id, doc_id, kind, section, start, end, text, page_start, page_end, section_page, section_page_of = row
    return Passage(passage_id, doc_id, kind, tuple(json.loads(section)), start, end, text, page_start, page_end,
                   section_page, section_page_of or "")


def _document_from_row(row: tuple) -> StoredDocument:
    meta = DocumentMeta(doc_id=row[0], file=row[1], title=row[2], short_title=row[3], authors=row[4],
                        publisher=row[5], date=row[6], attribution=row[7], source=row[8],
                        **_cite_fields(row[12] if len(row) > 12 else None))
    return StoredDocument(meta, bool(row[9]), row[10], json.loads(row[11]))


def _has_column(con: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in con.execute(f"PRAGMA table_info({table})"))


def _cite_fields(value: str | None) -> dict:
    """Citation metadata of a document (authors for citations, place, publisher's URL), {} when absent."""
    data = json.loads(value) if value else {}
    return {"author_names": tuple(data.get("author_names", ())), "place": data.get("place", ""),
            "url": data.get("url", "")}
