"""Build the index: corpus → load → clean → structure → chunk → embed (with a cache) → write.

Re-indexing reuses stored embeddings for unchanged text and, when nothing changed at all,
returns at once without loading the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from indexer.acronyms import mine_acronyms
from indexer.chunking import ChunkedPassage, Chunker
from indexer.corpus import CorpusError, SourceFile, discover, discover_with_skips, slugify, supported_suffixes
from indexer.document import CleanDocument, build_document, guess_title, parse_blocks
from indexer.embedding import Embedder, create_embedder, embedder_spec
from indexer.loaders import LoadError, load
from indexer.measures import build_measure_cards
from indexer.passage_questions import PassageQuestion, attach
from indexer.section_pages import with_section_pages
from indexer.spec import build_spec, chunker_settings, chunking_config, corpus_changes, structure_settings
from indexer.store import (
    FORMAT_VERSION,
    IndexStoreError,
    WriteBundle,
    current_manifest,
    read_embedding_cache,
    write_index,
)
from indexer.titles import distinct_short_titles, short_title
from reportqa.measures_records import MeasureCard
from reportqa.records import DocumentMeta
from reportqa.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did, for the CLI summary."""

    index_dir: Path
    documents: int = 0
    passages: int = 0
    tables: int = 0
    table_rows: int = 0
    figures: int = 0
    acronyms: int = 0
    callouts_removed: int = 0
    embedded: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    questions: int = 0
    passages_with_questions: int = 0
    question_warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False


def is_up_to_date(settings: Settings, files: list[SourceFile] | None = None) -> tuple[bool, list[str]]:
    """Whether the live index matches the corpus and settings (without opening it fully)."""
    manifest = current_manifest(settings.index_dir)
    if manifest is None:
        return False, ["no index yet"]
    problems = build_spec(settings).mismatches(manifest)
    if files is None:
        files = discover(settings.corpus_dir)
    return not problems and not corpus_changes(manifest, files), problems + corpus_changes(manifest, files)


def document_meta(source: SourceFile, title_hint: str | None, fallback_title: str) -> DocumentMeta:
    """Manifest metadata, or metadata inferred from the file (PDF title or first heading)."""
    if source.meta is not None:
        return source.meta
    title = title_hint or fallback_title or source.path.stem
    return DocumentMeta(doc_id=slugify(source.path.stem), file=source.name, title=title,
                        short_title=short_title(title))


def cache_key(model_name: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\x1f{text}".encode()).hexdigest()


class IndexBuilder:
    """Runs one build with the given settings and embedder."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, progress: bool = True) -> None:
        self.settings = settings
        self._embedder = embedder
        self.progress = progress

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = create_embedder(self.settings.embedder, self.settings, for_index=True)
        return self._embedder

    def build(self, rebuild: bool = False) -> BuildReport:
        """Build (or refresh) the index. Raises CorpusError for an unusable corpus folder."""
        started = time.perf_counter()
        settings = self.settings
        report = BuildReport(index_dir=settings.index_dir)
        files, unusable = discover_with_skips(settings.corpus_dir)
        check_writable(settings.index_dir)
        up_to_date, _ = is_up_to_date(settings, files)
        if up_to_date and not rebuild:
            manifest = current_manifest(settings.index_dir) or {}
            _fill_counts(report, manifest)
            report.skipped += unusable
            report.up_to_date = True
            report.seconds = time.perf_counter() - started
            return report

        for name, reason in unusable:
            log.warning("skipped %s: %s", name, reason)
            report.skipped.append((name, reason))
        docs: list[tuple[SourceFile, CleanDocument]] = []
        sources: dict[str, dict] = {}
        seen_ids: set[str] = set()
        for source in files:
            try:
                megabytes = source.path.stat().st_size / 1e6
                if megabytes > settings.max_file_mb:
                    raise LoadError(source.path, f"it is {megabytes:.1f} MB, over the {settings.max_file_mb:g} MB "
                                    "limit per file (REPORTQA_MAX_FILE_MB)")
                raw = load(source, settings.pdf_layout)
                fallback = ""
                if source.meta is None and not raw.title_hint:
                    blocks, _ = parse_blocks(raw, "")
                    fallback = guess_title(blocks, source.path.stem)
                meta = document_meta(source, raw.title_hint, fallback)
                authors_hint = getattr(raw, "authors_hint", None)  # a PDF's /Author, for citations
                if source.meta is None and authors_hint and not meta.authors:
                    meta = replace(meta, authors=authors_hint)
                if meta.doc_id in seen_ids:
                    raise LoadError(source.path, f"its id {meta.doc_id!r} is already used by another file")
                try:
                    doc = build_document(raw, meta)
                except Exception as exc:  # an odd layout must not stop the other reports from indexing
                    log.debug("structuring %s failed", source.name, exc_info=True)
                    raise LoadError(source.path, f"its text could not be structured ({type(exc).__name__}: {exc})"
                                    ) from exc
                if not doc.text.strip():
                    raise LoadError(source.path, "no text left after cleaning")
            except LoadError as exc:
                log.warning("skipped %s", exc)
                report.skipped.append((source.name, exc.reason))
                sources[source.name] = {"sha256": source.sha256, "status": "skipped", "reason": exc.reason}
                continue
            seen_ids.add(meta.doc_id)
            docs.append((source, doc))

        if not docs:
            skipped = "; ".join(f"{name}: {reason}" for name, reason in report.skipped)
            raise CorpusError(f"no reports to index in {settings.corpus_dir}"
                              + (f" (skipped {skipped})" if skipped else
                                 f"; add report files ({', '.join(supported_suffixes())})"))
        inferred = {s.doc_id for s, _ in docs if s.meta is None}  # every stored short title must differ
        for (_, doc), meta in zip(docs, distinct_short_titles([d.meta for _, d in docs], inferred)):
            doc.meta = meta
        chunker = Chunker(chunking_config(settings, self.embedder.max_tokens), self.embedder.count_tokens)
        chunked: list[ChunkedPassage] = []
        questions: list[PassageQuestion] = []
        for source, doc in docs:
            passages = chunker.chunk(doc)
            if not doc.paged:  # printed section start pages from the report's contents list
                cited = with_section_pages([c.passage for c in passages], doc.contents, settings.pdf_layout)
                passages = [replace(c, passage=p) for c, p in zip(passages, cited)]
            first = len(chunked)
            chunked.extend(passages)
            sources[source.name] = {"sha256": source.sha256, "status": "indexed", "doc_id": doc.meta.doc_id,
                                    "passages": len(passages), "questions_sha256": source.questions_sha256,
                                    "meta_sha256": source.meta_sha256}
            report.callouts_removed += doc.callouts_removed
            if source.questions_sha256:
                attached = attach(source.questions_path, [(first + i, c.passage) for i, c in enumerate(passages)])
                questions += attached.questions
                for warning in attached.warnings:
                    log.warning("%s", warning)
                report.question_warnings += attached.warnings

        passage_vectors, sentence_vectors, question_vectors, cache = self._vectors(
            chunked, [q.text for q in questions], report, use_cache=not rebuild)
        report.questions = len(questions)
        report.passages_with_questions = len({q.passage_idx for q in questions})

        acronyms = mine_acronyms([doc.text for _, doc in docs])
        measures = measure_cards([doc for _, doc in docs], [c.passage for c in chunked], acronyms, settings)
        faiss_kind = "hnsw" if len(chunked) >= settings.hnsw_threshold else "flat"
        manifest = {
            "format_version": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"name": self.embedder.name, "dim": self.embedder.dim},
            "chunker": chunker_settings(settings, self.embedder.max_tokens),
            "structure": structure_settings(settings),
            "sources": sources,
            "counts": {},
        }
        _count(report, docs, chunked, acronyms)
        manifest["counts"] = {
            "documents": report.documents, "passages": report.passages, "tables": report.tables,
            "table_rows": report.table_rows, "figures": report.figures, "acronyms": report.acronyms,
            "sentences": int(len(sentence_vectors)), "callouts_removed": report.callouts_removed,
            "skipped": len(report.skipped), "questions": report.questions,
            "passages_with_questions": report.passages_with_questions,
            "question_warnings": len(report.question_warnings),
            "measures": len(measures),
        }
        bundle = WriteBundle(
            documents=[(doc.meta, doc.paged, doc.text, structure_of(doc)) for _, doc in docs],
            passages=[c.passage for c in chunked],
            passage_vectors=passage_vectors,
            sentences=[c.sentences for c in chunked],
            sentence_vectors=sentence_vectors,
            questions=[(q.passage_idx, q.style, q.text, q.anchor_start, q.anchor_end) for q in questions],
            question_vectors=question_vectors,
            acronyms=[(a.short, a.long, a.count) for a in acronyms],
            cache=cache,
            manifest=manifest,
            faiss_kind=faiss_kind,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
            measures=measures,
        )
        write_index(settings.index_dir, bundle)
        report.seconds = time.perf_counter() - started
        return report

    def _vectors(self, chunked: list[ChunkedPassage], questions: list[str], report: BuildReport,
                 use_cache: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Passage vectors, sentence vectors (a one-sentence passage reuses its own vector),
        passage-question vectors (embedded as queries), and the embedding cache to store."""
        own = [len(c.sentences) == 1 and c.sentences[0] == (0, len(c.passage.text)) for c in chunked]
        sentence_texts = [c.passage.text[s:e] for c, single in zip(chunked, own) if not single for s, e in c.sentences]
        spec = embedder_spec(self.settings.embedder)
        texts = [spec.passage_prefix + t for t in [c.embed_text for c in chunked] + sentence_texts]
        texts += [spec.query_prefix + q for q in questions]
        vectors, cache = self._embed(texts, report, use_cache)
        dim = vectors.shape[1] if len(vectors) else self.embedder.dim
        passage_vectors = vectors[: len(chunked)]
        question_vectors = vectors[len(texts) - len(questions):] if questions else np.zeros((0, dim), np.float32)
        extra = iter(vectors[len(chunked):len(texts) - len(questions)])
        rows = []
        for c, single, vector in zip(chunked, own, passage_vectors):
            rows.extend([vector] if single else [next(extra) for _ in c.sentences])
        sentence_vectors = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
        return passage_vectors, sentence_vectors, question_vectors, cache

    def _embed(self, texts: list[str], report: BuildReport,
               use_cache: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Vectors for ``texts``, taking unchanged ones from the previous build's cache
        (only from a build that verifies against its checksums)."""
        name = self.embedder.name
        keys = [cache_key(name, t) for t in texts]
        cached: dict[str, np.ndarray] = {}
        if use_cache:
            cached = read_embedding_cache(self.settings.index_dir, sorted(set(keys)))
            cached = {k: v for k, v in cached.items() if len(v) == self.embedder.dim}
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
        if missing:
            fresh = self.embedder.embed([t for _, t in missing], batch_size=self.settings.embed_batch_size,
                                        progress=self.progress)
            cached.update({k: v for (k, _), v in zip(missing, fresh)})
        report.embedded = len(missing)
        report.reused = len(set(keys)) - len(missing)
        dim = self.embedder.dim
        vectors = np.stack([cached[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
        return vectors, {k: cached[k] for k in set(keys)}


def structure_of(doc: CleanDocument) -> list:
    """The block layout the web reader needs: kind, offsets, section, pages, row offsets."""
    out = []
    for block in doc.blocks:
        pages = doc.pages_of(block)
        out.append({
            "kind": block.kind, "start": block.start, "end": block.end, "section": list(block.section),
            "pages": list(pages) if pages[0] is not None else None,
            "rows": [list(span) for span in block.row_spans],
        })
    return out


def measure_cards(docs: list[CleanDocument], passages: list, acronyms, settings: Settings) -> list[MeasureCard]:
    """The measure cards (indexer.measures). A report whose table defeats them costs the cards,
    with a warning, never the index."""
    try:
        return build_measure_cards(docs, passages, acronyms, settings.measures)
    except Exception as exc:  # cards are an extra: an odd table must not stop the build
        log.warning("measure cards skipped: %s: %s", type(exc).__name__, exc)
        return []


def _count(report: BuildReport, docs, chunked: list[ChunkedPassage], acronyms) -> None:
    report.documents = len(docs)
    report.passages = len(chunked)
    report.tables = sum(len(doc.tables) for _, doc in docs)
    report.table_rows = sum(1 for c in chunked if c.passage.kind == "table_row")
    report.figures = sum(1 for c in chunked if c.passage.kind == "figure")
    report.acronyms = len(acronyms)


def _fill_counts(report: BuildReport, manifest: dict) -> None:
    counts = manifest.get("counts", {})
    for name in ("documents", "passages", "tables", "table_rows", "figures", "acronyms", "callouts_removed",
                 "questions", "passages_with_questions"):
        setattr(report, name, int(counts.get(name, 0)))
    report.skipped = [(name, info.get("reason", "")) for name, info in manifest.get("sources", {}).items()
                      if info.get("status") == "skipped"]


def check_writable(index_dir: Path) -> None:
    """Raise IndexStoreError, before any work is done, when the index cannot be written there."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index to {index_dir} ({exc.strerror}); choose a writable folder "
                              "with --index or REPORTQA_INDEX_DIR") from exc


def build_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False,
                progress: bool = True) -> BuildReport:
    """Build or refresh the index described by ``settings``; see IndexBuilder.build."""
    return IndexBuilder(settings, embedder, progress).build(rebuild=rebuild)
