"""The index on disk: how it is written (atomically), opened and verified.

Layout of the index directory::

    index/
      CURRENT                 name of the live build (replaced atomically)
      build-<id>/
        manifest.json         format, model, chunker settings, source hashes, counts, file hashes
        index.sqlite          documents, passages (+ FTS5), sentences, acronyms, embedding cache
        passages.faiss        passage vectors (exact inner product, or HNSW for large corpora)
        sentences.npy         one vector per passage sentence, for evidence and reranking
        questions.npy         one vector per passage question (indexer.passage_questions)
        bm25/                 bm25s term-weight matrix over passage text and section trail
        bm25q/                bm25s term-weight matrix over the passage questions, one per question
        measures.json         measure cards (indexer.measures); optional: an index without it has no cards

A build is written into a temporary directory and becomes live only when CURRENT is
replaced, so a crash mid-build leaves the previous index in use. Readers verify every file
against the manifest and refuse an index built with another format, model or chunker.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from indexer.corpus import sha256_file
from reportqa.measures_records import MeasureCard, MeasuresFileError, cards_from_json, cards_to_json
from reportqa.records import DocumentMeta, Passage
from reportqa.text import lexical_tokens

FORMAT_VERSION = 4  # 4: passage questions keep their anchor's offsets
CURRENT_FILE = "CURRENT"
MANIFEST = "manifest.json"
SQLITE = "index.sqlite"
PASSAGE_VECTORS = "passages.faiss"
SENTENCE_VECTORS = "sentences.npy"
QUESTION_VECTORS = "questions.npy"
BM25_DIR = "bm25"
QUESTION_BM25_DIR = "bm25q"
MEASURES = "measures.json"  # optional, listed in the manifest when written
INDEX_FILES = (SQLITE, PASSAGE_VECTORS, SENTENCE_VECTORS, QUESTION_VECTORS)  # bm25 files are listed in the manifest
KEEP_BUILDS = 2

SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, file TEXT, title TEXT, short_title TEXT, authors TEXT,
    publisher TEXT, date TEXT, attribution TEXT, source TEXT, paged INTEGER,
    text TEXT, structure TEXT, cite TEXT
);
CREATE TABLE passages (
    idx INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, doc_id TEXT, kind TEXT, section TEXT,
    section_text TEXT, start INTEGER, end INTEGER, page_start INTEGER, page_end INTEGER,
    text TEXT, sent_first INTEGER, sent_count INTEGER, section_page INTEGER, section_page_of TEXT
);
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, section_text, content='passages', content_rowid='idx',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TABLE sentences (idx INTEGER PRIMARY KEY, passage_idx INTEGER, start INTEGER, end INTEGER);
CREATE TABLE acronyms (short TEXT, long TEXT, count INTEGER);
CREATE TABLE passage_questions (idx INTEGER PRIMARY KEY, passage_idx INTEGER, style TEXT, text TEXT,
                                anchor_start INTEGER, anchor_end INTEGER);
CREATE TABLE embedding_cache (key TEXT PRIMARY KEY, vector BLOB);
"""


class IndexStoreError(Exception):
    """Base class: the index cannot be used as it is. The message says what to do."""


class IndexMissingError(IndexStoreError):
    pass


class IndexMismatchError(IndexStoreError):
    pass


class IndexCorruptError(IndexStoreError):
    pass


class IndexStaleError(IndexStoreError):
    pass


@dataclass
class BuildSpec:
    """What an index must have been built with to be usable: checked on every open."""

    model_name: str
    dim: int
    chunker: dict
    structure: dict = field(default_factory=dict)  # how structure is read (PDF layout, measure cards)

    def mismatches(self, manifest: dict) -> list[str]:
        problems = []
        if manifest.get("format_version") != FORMAT_VERSION:
            problems.append(f"index format {manifest.get('format_version')} (this version reads {FORMAT_VERSION})")
        model = manifest.get("model", {})
        if model.get("name") != self.model_name or model.get("dim") != self.dim:
            problems.append(f"model {model.get('name')}/{model.get('dim')} (settings use {self.model_name}/{self.dim})")
        if manifest.get("chunker") != self.chunker:
            problems.append(f"chunker settings {manifest.get('chunker')} (settings use {self.chunker})")
        if self.structure and manifest.get("structure") != self.structure:
            problems.append("other PDF layout or measure-card settings than the current ones")
        return problems


@dataclass
class SentenceTable:
    """Sentence spans of every passage (relative to passage text), aligned with their vectors."""

    passage_idx: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray  # per passage: index of its first sentence
    count: np.ndarray  # per passage: number of sentences


@dataclass
class WriteBundle:
    """Everything a build writes."""

    documents: list[tuple[DocumentMeta, bool, str, list]]  # meta, paged, cleaned text, structure
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[list[tuple[int, int]]]  # per passage
    sentence_vectors: np.ndarray
    acronyms: list[tuple[str, str, int]]
    cache: dict[str, np.ndarray]
    manifest: dict
    faiss_kind: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    questions: list[tuple[int, str, str, int, int]] = field(default_factory=list)  # passage index, style, text,
    # and the anchor's [start, end) in the passage's text
    measures: list[MeasureCard] = field(default_factory=list)  # measure cards; none: no measures.json
    question_vectors: np.ndarray | None = None


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


def live_build(index_dir: Path) -> Path | None:
    """The live build directory named by CURRENT, or None when there is no index."""
    pointer = index_dir / CURRENT_FILE
    if not pointer.exists():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        name = ""
    if not name or "/" in name or name.startswith(".") or not name.isprintable():
        raise IndexCorruptError(f"{pointer} is damaged; run `reportqa index --rebuild`")
    return index_dir / name


def read_manifest(build: Path) -> dict:
    try:
        return json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{build / MANIFEST} is missing; run `reportqa index --rebuild`") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{build / MANIFEST} is damaged; run `reportqa index --rebuild`") from exc


def current_manifest(index_dir: Path) -> dict | None:
    """The live build's manifest, or None when there is no usable one (no errors raised)."""
    try:
        build = live_build(index_dir)
        return read_manifest(build) if build else None
    except IndexStoreError:
        return None


def build_faiss(vectors: np.ndarray, kind: str, m: int, ef_construction: int) -> faiss.Index:
    """Exact inner product (flat) or HNSW over normalised vectors."""
    dim = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_index(index_dir: Path, bundle: WriteBundle) -> Path:
    """Write a new build and make it live atomically. Returns the build directory."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{int(time.time() * 1000) % 100000:05d}"
    tmp = index_dir / f".tmp-build-{build_id}"
    final = index_dir / f"build-{build_id}"
    tmp.mkdir()
    try:
        _write_sqlite(tmp / SQLITE, bundle)
        faiss.write_index(
            build_faiss(bundle.passage_vectors, bundle.faiss_kind, bundle.hnsw_m, bundle.hnsw_ef_construction),
            str(tmp / PASSAGE_VECTORS),
        )
        np.save(tmp / SENTENCE_VECTORS, np.ascontiguousarray(bundle.sentence_vectors, dtype=np.float32))
        dim = bundle.sentence_vectors.shape[1] if bundle.sentence_vectors.ndim == 2 else 0
        questions = bundle.question_vectors if bundle.question_vectors is not None else np.zeros((0, dim))
        np.save(tmp / QUESTION_VECTORS, np.ascontiguousarray(questions, dtype=np.float32))
        build_bm25([lexical_tokens(f"{p.text} {p.section_label}") for p in bundle.passages]).save(
            str(tmp / BM25_DIR), show_progress=False)
        build_bm25([lexical_tokens(row[2]) for row in bundle.questions]).save(
            str(tmp / QUESTION_BM25_DIR), show_progress=False)
        if bundle.measures:
            (tmp / MEASURES).write_text(json.dumps(cards_to_json(bundle.measures), ensure_ascii=False),
                                        encoding="utf-8")
        manifest = dict(bundle.manifest)
        manifest["build_id"] = build_id
        manifest["faiss"] = {"kind": bundle.faiss_kind, "m": bundle.hnsw_m}
        manifest["lexical"] = {"kind": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75}
        names = list(INDEX_FILES) + sorted(f"{folder}/{f.name}" for folder in (BM25_DIR, QUESTION_BM25_DIR)
                                           for f in (tmp / folder).iterdir())
        names += [MEASURES] if (tmp / MEASURES).exists() else []
        manifest["files"] = {
            name: {"bytes": (tmp / name).stat().st_size, "sha256": sha256_file(tmp / name)} for name in names
        }
        _write_atomic(tmp / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        _fsync_dir(tmp)
        os.replace(tmp, final)
        _write_atomic(index_dir / CURRENT_FILE, final.name + "\n")
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune_builds(index_dir)
    return final


def build_bm25(documents: list[list[str]]) -> bm25s.BM25:
    """A bm25s index over tokenised documents: each passage's text and section trail, or each
    passage question (FTS5 stays for phrase queries)."""
    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    corpus = [tokens or ["∅"] for tokens in documents] or [["∅"]]  # bm25s cannot save an empty index
    model.index(corpus, show_progress=False)
    return model


def prune_builds(index_dir: Path) -> None:
    """Remove abandoned temporary builds and all but the newest KEEP_BUILDS builds.

    The previous build is kept so that a server still reading it is not disturbed.
    """
    live = live_build(index_dir)
    for tmp in index_dir.glob(".tmp-build-*"):
        if time.time() - tmp.stat().st_mtime > 60:
            shutil.rmtree(tmp, ignore_errors=True)
    builds = sorted(index_dir.glob("build-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    held = leased_builds(index_dir)
    for old in builds[KEEP_BUILDS:]:
        if (live is None or old.resolve() != live.resolve()) and old.name not in held:
            shutil.rmtree(old, ignore_errors=True)


LEASES = "leases"


def take_lease(index_dir: Path, build: Path) -> Path:
    """Record that this process serves ``build``, so that pruning keeps it even when back-to-back
    builds push it out of the newest KEEP_BUILDS. Returns the lease file (remove it with
    ``release_lease`` when the build is no longer served)."""
    folder = index_dir / LEASES
    folder.mkdir(parents=True, exist_ok=True)
    lease = folder / f"{os.getpid()}-{build.name}"
    lease.write_text(build.name, encoding="utf-8")
    return lease


def release_lease(lease: Path | None) -> None:
    if lease is not None:
        lease.unlink(missing_ok=True)


def leased_builds(index_dir: Path) -> set[str]:
    """Builds that a live process holds a lease on (leases of dead processes are removed)."""
    held: set[str] = set()
    for lease in (index_dir / LEASES).glob("*-build-*") if (index_dir / LEASES).is_dir() else ():
        pid, _, name = lease.name.partition("-")
        if pid.isdigit() and _alive(int(pid)):
            held.add(name)
        else:
            lease.unlink(missing_ok=True)
    return held


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_sqlite(path: Path, bundle: WriteBundle) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (m.doc_id, m.file, m.title, m.short_title, m.authors, m.publisher, m.date,
                 m.attribution, m.source, int(paged), text, json.dumps(structure),
                 json.dumps({"author_names": list(m.author_names), "place": m.place, "url": m.url}))
                for m, paged, text, structure in bundle.documents
            ],
        )
        rows = []
        sentence_rows = []
        first = 0
        for idx, (p, spans) in enumerate(zip(bundle.passages, bundle.sentences)):
            rows.append((idx, p.passage_id, p.doc_id, p.kind, json.dumps(list(p.section)), p.section_label,
                         p.start, p.end, p.page_start, p.page_end, p.text, first, len(spans), p.section_page,
                         p.section_page_of))
            sentence_rows.extend((first + k, idx, s, e) for k, (s, e) in enumerate(spans))
            first += len(spans)
        con.executemany("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        con.executemany("INSERT INTO sentences VALUES (?,?,?,?)", sentence_rows)
        con.executemany("INSERT INTO acronyms VALUES (?,?,?)", bundle.acronyms)
        con.executemany("INSERT INTO passage_questions VALUES (?,?,?,?,?,?)",
                        [(i, *row) for i, row in enumerate(bundle.questions)])
        con.executemany(
            "INSERT INTO embedding_cache VALUES (?,?)",
            [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in bundle.cache.items()],
        )
        con.commit()
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("VACUUM")
    finally:
        con.close()


@dataclass
class StoredDocument:
    """A document as stored: metadata, cleaned text and block structure (for the reader)."""

    meta: DocumentMeta
    paged: bool
    text: str
    structure: list = field(default_factory=list)


class IndexReader:
    """A verified, read-only view of one build: passages, vectors, FTS and documents."""

    def __init__(self, build: Path, manifest: dict) -> None:
        self.build = build
        self.manifest = manifest
        self._local = threading.local()
        con = self.connection()
        try:
            # section pages and citation metadata are optional: an index written before them still loads
            pages = "section_page, section_page_of" if _has_column(con, "passages", "section_page") \
                else "NULL, ''"
            self.passages = [_passage_from_row(r) for r in con.execute(
                "SELECT passage_id, doc_id, kind, section, start, end, text, page_start, page_end, "
                f"{pages} FROM passages ORDER BY idx")]
            first_count = np.array(
                con.execute("SELECT sent_first, sent_count FROM passages ORDER BY idx").fetchall(),
                dtype=np.int64).reshape(-1, 2)
            sent = np.array(con.execute("SELECT passage_idx, start, end FROM sentences ORDER BY idx").fetchall(),
                            dtype=np.int64).reshape(-1, 3)
            self.documents = {
                row[0]: StoredDocument(
                    DocumentMeta(doc_id=row[0], file=row[1], title=row[2], short_title=row[3], authors=row[4],
                                 publisher=row[5], date=row[6], attribution=row[7], source=row[8],
                                 **_cite_fields(row[12] if len(row) > 12 else None)),
                    bool(row[9]), row[10], json.loads(row[11]))
                for row in con.execute("SELECT * FROM documents ORDER BY doc_id")
            }
            self.acronyms = [tuple(r) for r in con.execute("SELECT short, long, count FROM acronyms")]
            rows = con.execute("SELECT passage_idx, style, text, anchor_start, anchor_end FROM passage_questions "
                               "ORDER BY idx").fetchall()
            self.questions = QuestionTable(np.array([r[0] for r in rows], dtype=np.int64),
                                           [r[1] for r in rows], [r[2] for r in rows],
                                           np.array([r[3] for r in rows], dtype=np.int64),
                                           np.array([r[4] for r in rows], dtype=np.int64))
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{build / SQLITE} is damaged ({exc}); run `reportqa index --rebuild`") from exc
        self.sentences = SentenceTable(sent[:, 0], sent[:, 1], sent[:, 2], first_count[:, 0], first_count[:, 1])
        self.index_by_id = {p.passage_id: i for i, p in enumerate(self.passages)}
        try:
            self.faiss = faiss.read_index(str(build / PASSAGE_VECTORS))
            # read into memory once verified: a mapped file damaged later (bytes changed, truncated)
            # would feed wrong scores into answers, or kill the server with SIGBUS
            self.sentence_vectors = np.load(build / SENTENCE_VECTORS)
            self.bm25 = bm25s.BM25.load(str(build / BM25_DIR), show_progress=False, verbosity=0) \
                if self.passages else None
            self.question_vectors = np.load(build / QUESTION_VECTORS)
            self.question_bm25 = bm25s.BM25.load(str(build / QUESTION_BM25_DIR), show_progress=False,
                                                 verbosity=0) if len(self.questions) else None
        except Exception as exc:
            raise IndexCorruptError(
                f"vector files in {build} are damaged ({exc}); run `reportqa index --rebuild`") from exc
        if self.faiss.ntotal != len(self.passages) or len(self.sentence_vectors) != len(sent) \
                or len(self.question_vectors) != len(self.questions):
            raise IndexCorruptError(
                f"{build}: vector counts do not match the passages; run `reportqa index --rebuild`")

        self.measures = read_measures(build, manifest)
        self._stamps = _stamps(build, manifest)

    def damage(self) -> str | None:
        """What changed on disk since this build was opened and verified (size or modification
        time of an index file), or None. Cheap: one stat per file."""
        now = _stamps(self.build, self.manifest)
        changed = sorted(name for name in self._stamps if now.get(name) != self._stamps[name])
        return f"index files changed on disk since they were verified: {', '.join(changed)}" if changed else None

    def connection(self) -> sqlite3.Connection:
        """A read-only SQLite connection for the calling thread."""
        con = getattr(self._local, "con", None)
        if con is None:
            uri = f"file:{self.build / SQLITE}?mode=ro&immutable=1"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.con = con
        return con

    @property
    def dim(self) -> int:
        return int(self.manifest["model"]["dim"])

    def passage(self, passage_id: str) -> Passage | None:
        idx = self.index_by_id.get(passage_id)
        return None if idx is None else self.passages[idx]

    def sentence_spans(self, idx: int) -> list[tuple[int, int]]:
        first, count = int(self.sentences.first[idx]), int(self.sentences.count[idx])
        return [(int(self.sentences.start[k]), int(self.sentences.end[k])) for k in range(first, first + count)]


def read_measures(build: Path, manifest: dict) -> list[MeasureCard]:
    """The build's measure cards; empty for a build written without them (not in its manifest).
    A file that is listed but cannot be read as cards is damage: IndexCorruptError."""
    if MEASURES not in manifest.get("files", {}):
        return []
    try:
        return cards_from_json(json.loads((build / MEASURES).read_text(encoding="utf-8")))
    except (OSError, ValueError, MeasuresFileError) as exc:
        raise IndexCorruptError(f"{build / MEASURES} is damaged ({exc}); run `reportqa index --rebuild`") from exc


def _stamps(build: Path, manifest: dict) -> dict[str, tuple[int, int] | None]:
    out: dict[str, tuple[int, int] | None] = {}
    for name in manifest.get("files", {}):
        try:
            st = (build / name).stat()
            out[name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            out[name] = None
    return out


def read_embedding_cache(index_dir: Path, keys: list[str]) -> dict[str, np.ndarray]:
    """Stored vectors for ``keys`` from the live build's cache table, whatever its format
    version (so a format change does not force re-embedding), provided its SQLite file matches
    the manifest checksum. Empty when there is no usable previous build."""
    try:
        build = live_build(index_dir)
        if build is None:
            return {}
        manifest = read_manifest(build)
        expected = manifest.get("files", {}).get(SQLITE, {})
        if not expected or sha256_file(build / SQLITE) != expected.get("sha256"):
            return {}
        con = sqlite3.connect(f"file:{build / SQLITE}?mode=ro&immutable=1", uri=True)
        try:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in con.execute(f"SELECT key, vector FROM embedding_cache WHERE key IN ({marks})",
                                             chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            return found
        finally:
            con.close()
    except (IndexStoreError, OSError, sqlite3.DatabaseError):
        return {}


def _passage_from_row(row: tuple) -> Passage:
    passage_id, doc_id, kind, section, start, end, text, page_start, page_end, section_page, section_page_of = row
    return Passage(passage_id, doc_id, kind, tuple(json.loads(section)), start, end, text, page_start, page_end,
                   section_page, section_page_of or "")


def _has_column(con: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in con.execute(f"PRAGMA table_info({table})"))


def _cite_fields(value: str | None) -> dict:
    """Citation metadata of a document (authors for citations, place, publisher's URL), {} when absent."""
    data = json.loads(value) if value else {}
    return {"author_names": tuple(data.get("author_names", ())), "place": data.get("place", ""),
            "url": data.get("url", "")}


def verify_files(build: Path, manifest: dict, hashes: bool = True) -> None:
    """Check every index file against the manifest (presence, size, and sha256 if ``hashes``).

    Raises IndexCorruptError naming the first bad file.
    """
    files = manifest.get("files", {})
    for name in list(INDEX_FILES) + sorted(set(files) - set(INDEX_FILES)):
        path = build / name
        expected = files.get(name)
        if expected is None or not path.exists():
            raise IndexCorruptError(f"{path} is missing; run `reportqa index --rebuild`")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise IndexCorruptError(
                f"{path} is truncated or damaged ({size} bytes, expected {expected['bytes']}); "
                "run `reportqa index --rebuild`")
        if hashes and sha256_file(path) != expected["sha256"]:
            raise IndexCorruptError(f"{path} does not match its checksum; run `reportqa index --rebuild`")


def open_index(index_dir: Path, spec: BuildSpec | None = None, verify_hashes: bool = True) -> IndexReader:
    """Open and verify the live build in ``index_dir``.

    Raises IndexMissingError when there is no index, IndexMismatchError when it was built
    with another format, model or chunker, IndexCorruptError when a file is damaged.
    """
    build = live_build(index_dir)
    if build is None:
        raise IndexMissingError(f"no index in {index_dir}; run `reportqa index` first")
    if not build.is_dir():
        raise IndexCorruptError(f"{build} named by {index_dir / CURRENT_FILE} is missing; "
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
