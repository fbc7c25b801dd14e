"""Writing a build: every file into a temporary folder, a checksum for each in the manifest, then
the folder renamed and CURRENT replaced atomically, so that a crash mid-build leaves the previous
index in use. Old builds are pruned, except the ones a serving process holds a lease on."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from indexer.corpus import sha256_file
from indexer.store import paths
from indexer.store.cache import CACHE_TABLE, write_cache
from indexer.store.leases import leased_builds
from indexer.store.manifest import FaissInfo, FileRecord, IndexManifest, LexicalInfo
from indexer.store.reader import StoredDocument
from reportqa.measures_records import MeasureCard, cards_to_json
from reportqa.records import Passage
from reportqa.text import lexical_tokens

KEEP_BUILDS = 2
ABANDONED_AFTER_SECONDS = 60  # a temporary build folder this old belongs to a build that died
LEXICAL = LexicalInfo()  # the bm25 parameters of every build

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
""" + CACHE_TABLE + "\n"


@dataclass
class WriteBundle:
    """Everything a build writes."""

    documents: list[StoredDocument]
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[list[tuple[int, int]]]  # per passage
    sentence_vectors: np.ndarray
    acronyms: list[tuple[str, str, int]]
    cache: dict[str, np.ndarray]
    manifest: IndexManifest
    faiss_kind: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    questions: list[tuple[int, str, str, int, int]] = field(default_factory=list)  # passage index, style, text,
    # and the anchor's [start, end) in the passage's text
    measures: list[MeasureCard] = field(default_factory=list)  # measure cards; none: no measures.json
    question_vectors: np.ndarray | None = None


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


def build_bm25(documents: list[list[str]]) -> bm25s.BM25:
    """A bm25s index over tokenised documents: each passage's text and section trail, or each
    passage question (FTS5 stays for phrase queries)."""
    model = bm25s.BM25(method=LEXICAL.method, k1=LEXICAL.k1, b=LEXICAL.b)
    corpus = [tokens or ["∅"] for tokens in documents] or [["∅"]]  # bm25s cannot save an empty index
    model.index(corpus, show_progress=False)
    return model


def new_build_id() -> str:
    """A build id that sorts by time and differs between processes."""
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{int(time.time() * 1000) % 100000:05d}"


def write_index(index_dir: Path, bundle: WriteBundle) -> Path:
    """Write a new build and make it live atomically. Returns the build directory."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = new_build_id()
    tmp = index_dir / f"{paths.TMP_PREFIX}{build_id}"
    final = index_dir / f"{paths.BUILD_PREFIX}{build_id}"
    tmp.mkdir()
    try:
        _write_files(tmp, bundle)
        manifest = bundle.manifest.model_copy(update={
            "build_id": build_id,
            "faiss": FaissInfo(kind=bundle.faiss_kind, m=bundle.hnsw_m),
            "lexical": LEXICAL,
            "files": _file_records(tmp),
        })
        write_atomic(tmp / paths.MANIFEST, manifest.to_json())
        fsync_dir(tmp)
        os.replace(tmp, final)
        write_atomic(index_dir / paths.CURRENT_FILE, final.name + "\n")
        fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune_builds(index_dir)
    return final


def _write_files(folder: Path, bundle: WriteBundle) -> None:
    """The build's data files: SQLite, passage, sentence and question vectors, both bm25 indexes, and
    the measure cards when there are any."""
    _write_sqlite(folder / paths.SQLITE, bundle)
    faiss.write_index(
        build_faiss(bundle.passage_vectors, bundle.faiss_kind, bundle.hnsw_m, bundle.hnsw_ef_construction),
        str(folder / paths.PASSAGE_VECTORS),
    )
    np.save(folder / paths.SENTENCE_VECTORS, np.ascontiguousarray(bundle.sentence_vectors, dtype=np.float32))
    dim = bundle.sentence_vectors.shape[1] if bundle.sentence_vectors.ndim == 2 else 0
    questions = bundle.question_vectors if bundle.question_vectors is not None else np.zeros((0, dim))
    np.save(folder / paths.QUESTION_VECTORS, np.ascontiguousarray(questions, dtype=np.float32))
    build_bm25([lexical_tokens(f"{p.text} {p.section_label}") for p in bundle.passages]).save(
        str(folder / paths.BM25_DIR), show_progress=False)
    build_bm25([lexical_tokens(row[2]) for row in bundle.questions]).save(
        str(folder / paths.QUESTION_BM25_DIR), show_progress=False)
    if bundle.measures:
        (folder / paths.MEASURES).write_text(json.dumps(cards_to_json(bundle.measures), ensure_ascii=False),
                                       encoding="utf-8")


def _file_records(folder: Path) -> dict[str, FileRecord]:
    """Size and checksum of every file written into ``folder``."""
    bm25_files = sorted(f"{sub}/{f.name}" for sub in (paths.BM25_DIR, paths.QUESTION_BM25_DIR)
                        for f in (folder / sub).iterdir())
    names = list(paths.INDEX_FILES) + bm25_files
    names += [paths.MEASURES] if (folder / paths.MEASURES).exists() else []
    return {name: FileRecord(bytes=(folder / name).stat().st_size, sha256=sha256_file(folder / name))
            for name in names}


def prune_builds(index_dir: Path) -> None:
    """Remove abandoned temporary builds and all but the newest KEEP_BUILDS builds.

    The previous build is kept so that a server still reading it is not disturbed, and so is
    every build a live process holds a lease on.
    """
    live = paths.live_build(index_dir)
    for tmp in index_dir.glob(f"{paths.TMP_PREFIX}*"):
        if time.time() - tmp.stat().st_mtime > ABANDONED_AFTER_SECONDS:
            shutil.rmtree(tmp, ignore_errors=True)
    builds = sorted(index_dir.glob(f"{paths.BUILD_PREFIX}*"), key=lambda p: p.stat().st_mtime, reverse=True)
    held = leased_builds(index_dir)
    for old in builds[KEEP_BUILDS:]:
        if (live is None or old.resolve() != live.resolve()) and old.name not in held:
            shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (written to a temporary file, synced, renamed)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_sqlite(path: Path, bundle: WriteBundle) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [_document_row(d) for d in bundle.documents])
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
        write_cache(con, bundle.cache)
        con.commit()
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("VACUUM")
    finally:
        con.close()


def _document_row(document: StoredDocument) -> tuple:
    m = document.meta
    return (m.doc_id, m.file, m.title, m.short_title, m.authors, m.publisher, m.date, m.attribution, m.source,
            int(document.paged), document.text, json.dumps(document.structure),
            json.dumps({"author_names": list(m.author_names), "place": m.place, "url": m.url}))
