"""Build the index: corpus → load → clean → structure → chunk → embed (with a cache) → write.

``IndexBuilder.build`` runs the steps in order, each a method of its own: find the files, read them
(indexer.ingest), cut passages and attach their questions, make the vectors (indexer.vectors), mine
acronyms and measure cards, describe the build (the manifest) and write it (indexer.store).
Re-indexing reuses stored embeddings for unchanged text and, when nothing changed at all, returns at
once without loading the model.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.acronyms import Acronym, mine_acronyms
from indexer.chunking import ChunkedPassage, Chunker
from indexer.corpus import CorpusError, SourceFile, discover, discover_with_skips, supported_suffixes
from indexer.document import CleanDocument
from indexer.embedding import Embedder, create_embedder, embedder_spec
from indexer.glossary_file import curated_acronyms, read_glossary_file
from indexer.ingest import Ingested, ReadReport, document_meta, read_reports
from indexer.measure_aliases import MEASURE_ALIASES_NAME, CuratedAliases, MeasureAliasesError, load_curated_aliases
from indexer.measures import build_measure_cards
from indexer.passage_questions import PassageQuestion, attach
from indexer.section_pages import with_section_pages
from indexer.spec import build_spec, chunker_settings, corpus_changes, structure_settings
from indexer.store import (
    FORMAT_VERSION,
    BuildCounts,
    IndexManifest,
    IndexStoreError,
    StoredDocument,
    WriteBundle,
    current_manifest,
    write_index,
)
from indexer.store.manifest import IndexedSource, ModelInfo, SkippedSource, SourceRecord
from indexer.vectors import BuildVectors, VectorMaker
from reportqa.measures_records import MeasureCard
from reportqa.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["BuildReport", "IndexBuilder", "build_index", "document_meta", "is_up_to_date"]


@dataclass
class BuildReport:
    """What a build did, for the CLI summary: what the index holds (its manifest counts), what was
    embedded or reused, and what was skipped or warned about."""

    index_dir: Path
    counts: BuildCounts = field(default_factory=BuildCounts)
    embedded: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    question_warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False


@dataclass
class ChunkedReport:
    """One report's passages, and where they start among the build's passages."""

    source: SourceFile
    doc: CleanDocument
    passages: list[ChunkedPassage]
    first: int


@dataclass
class BuildContents:
    """Everything one build holds, before it is written."""

    reports: list[ChunkedReport]
    chunked: list[ChunkedPassage]
    questions: list[PassageQuestion]
    vectors: BuildVectors
    acronyms: list[Acronym]
    measures: list[MeasureCard]


def is_up_to_date(settings: Settings, files: list[SourceFile] | None = None) -> tuple[bool, list[str]]:
    """Whether the live index matches the corpus and settings (without opening it fully), and if
    not, why."""
    manifest = current_manifest(settings.index_dir)
    if manifest is None:
        return False, ["no index yet"]
    problems = build_spec(settings).mismatches(manifest)
    if files is None:
        files = discover(settings.corpus_dir)
    changes = corpus_changes(manifest, files)
    return not problems and not changes, problems + changes


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
        """Build (or refresh) the index. Raises CorpusError for an unusable corpus folder, and
        IndexStoreError when the index folder cannot be written."""
        started = time.perf_counter()
        files, unusable = discover_with_skips(self.settings.corpus_dir)
        check_writable(self.settings.index_dir)
        if not rebuild and is_up_to_date(self.settings, files)[0]:
            return self.unchanged(unusable, started)
        report = BuildReport(index_dir=self.settings.index_dir)
        for name, reason in unusable:
            log.warning("skipped %s: %s", name, reason)
            report.skipped.append((name, reason))
        ingested = self.read(files, report)
        reports = self.chunk(ingested.reports)
        contents = self.contents(reports, report, use_cache=not rebuild)
        manifest = self.manifest(ingested, contents, report)
        write_index(self.settings.index_dir, self.bundle(contents, manifest))
        report.seconds = time.perf_counter() - started
        return report

    # --- the steps, in order -----------------------------------------------------------------------
    def unchanged(self, unusable: list[tuple[str, str]], started: float) -> BuildReport:
        """The report of a build that had nothing to do: the live index's counts."""
        report = BuildReport(index_dir=self.settings.index_dir, up_to_date=True)
        manifest = current_manifest(self.settings.index_dir)
        if manifest is not None:
            report.counts = manifest.counts
            report.skipped = [(name, s.reason) for name, s in manifest.skipped().items()]
        report.skipped += unusable
        report.seconds = time.perf_counter() - started
        return report

    def read(self, files: list[SourceFile], report: BuildReport) -> Ingested:
        """Read every file into a structured document (indexer.ingest). Raises CorpusError when no
        report is left to index."""
        ingested = read_reports(files, self.settings)
        report.skipped += [(source.name, reason) for source, reason in ingested.skipped]
        if not ingested.reports:
            skipped = "; ".join(f"{name}: {reason}" for name, reason in report.skipped)
            raise CorpusError(f"no reports to index in {self.settings.corpus_dir}"
                              + (f" (skipped {skipped})" if skipped else
                                 f"; add report files ({', '.join(supported_suffixes())})"))
        return ingested

    def chunk(self, reports: list[ReadReport]) -> list[ChunkedReport]:
        """Cut every report into passages; a report without real pages gets its sections' printed
        start pages from its contents list."""
        chunker = Chunker(self.settings.chunker, self.embedder.max_tokens, self.embedder.count_tokens,
                          self.settings.max_word_chars)
        out: list[ChunkedReport] = []
        first = 0
        for read in reports:
            passages = chunker.chunk(read.doc)
            if not read.doc.paged:
                cited = with_section_pages([c.passage for c in passages], read.doc.contents, self.settings.pdf_layout)
                passages = [replace(c, passage=p) for c, p in zip(passages, cited)]
            out.append(ChunkedReport(read.source, read.doc, passages, first))
            first += len(passages)
        return out

    def questions(self, reports: list[ChunkedReport], report: BuildReport) -> list[PassageQuestion]:
        """The passage questions of every report that has a questions file, attached to its passages."""
        questions: list[PassageQuestion] = []
        for chunked in reports:
            if not chunked.source.questions_sha256:
                continue
            attached = attach(chunked.source.questions_path,
                              [(chunked.first + i, c.passage) for i, c in enumerate(chunked.passages)],
                              max_bytes=int(self.settings.max_file_mb * 1e6))
            questions += attached.questions
            for warning in attached.warnings:
                log.warning("%s", warning)
            report.question_warnings += attached.warnings
        return questions

    def contents(self, reports: list[ChunkedReport], report: BuildReport, use_cache: bool) -> BuildContents:
        """Questions, vectors, acronyms and measure cards for the chunked reports."""
        chunked = [c for r in reports for c in r.passages]
        questions = self.questions(reports, report)
        maker = VectorMaker(self.embedder, embedder_spec(self.settings.embedder), self.settings.index_dir,
                            self.settings.embed_batch_size, self.progress, self.settings.table_line_bare_words)
        vectors = maker.vectors(chunked, [q.text for q in questions], use_cache=use_cache)
        report.embedded, report.reused = vectors.embedded, vectors.reused
        docs = [r.doc for r in reports]
        texts = [doc.text for doc in docs]
        acronyms = mine_acronyms(texts)
        acronyms += curated_acronyms(read_glossary_file(self.settings.corpus_dir), texts, acronyms)
        measures = measure_cards(docs, [c.passage for c in chunked], acronyms, self.settings)
        return BuildContents(reports, chunked, questions, vectors, acronyms, measures)

    def manifest(self, ingested: Ingested, contents: BuildContents, report: BuildReport) -> IndexManifest:
        """How the build was made, what it holds, and every source's status."""
        sources: dict[str, SourceRecord] = {
            source.name: SkippedSource(sha256=source.sha256, reason=reason) for source, reason in ingested.skipped}
        for r in contents.reports:
            sources[r.source.name] = IndexedSource(
                sha256=r.source.sha256, doc_id=r.doc.meta.doc_id, passages=len(r.passages),
                questions_sha256=r.source.questions_sha256, meta_sha256=r.source.meta_sha256)
        report.counts = counts = build_counts(contents, report)
        return IndexManifest(
            format_version=FORMAT_VERSION,
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            model=ModelInfo(name=self.embedder.name, dim=self.embedder.dim),
            chunker=chunker_settings(self.settings, self.embedder.max_tokens),
            structure=structure_settings(self.settings),
            sources=sources,
            counts=counts,
        )

    def bundle(self, contents: BuildContents, manifest: IndexManifest) -> WriteBundle:
        """Everything the store writes for this build."""
        settings = self.settings
        vectors = contents.vectors
        return WriteBundle(
            documents=[StoredDocument(r.doc.meta, r.doc.paged, r.doc.text, structure_of(r.doc))
                       for r in contents.reports],
            passages=[c.passage for c in contents.chunked],
            passage_vectors=vectors.passages,
            sentences=[c.sentences for c in contents.chunked],
            sentence_vectors=vectors.sentences,
            questions=[(q.passage_idx, q.style, q.text, q.anchor_start, q.anchor_end) for q in contents.questions],
            question_vectors=vectors.questions,
            acronyms=[(a.short, a.long, a.count) for a in contents.acronyms],
            cache=vectors.cache,
            manifest=manifest,
            faiss_kind="hnsw" if len(contents.chunked) >= settings.hnsw_threshold else "flat",
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
            measures=contents.measures,
        )


def build_counts(contents: BuildContents, report: BuildReport) -> BuildCounts:
    """The manifest's counts of a build."""
    chunked = contents.chunked
    return BuildCounts(
        documents=len(contents.reports), passages=len(chunked),
        tables=sum(len(r.doc.tables) for r in contents.reports),
        table_rows=sum(1 for c in chunked if c.passage.kind == "table_row"),
        figures=sum(1 for c in chunked if c.passage.kind == "figure"),
        acronyms=len(contents.acronyms), sentences=int(len(contents.vectors.sentences)),
        callouts_removed=sum(r.doc.callouts_removed for r in contents.reports), skipped=len(report.skipped),
        questions=len(contents.questions), passages_with_questions=len({q.passage_idx for q in contents.questions}),
        question_warnings=len(report.question_warnings),
        measures=len(contents.measures),
    )


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
    with a warning, never the index; so does a curated alias file that cannot be read (the cards are
    built without it)."""
    try:
        curated = load_curated_aliases(settings.corpus_dir / MEASURE_ALIASES_NAME)
    except MeasureAliasesError as exc:
        log.warning("curated measure aliases skipped: %s", exc)
        curated = CuratedAliases({})
    try:
        cards = build_measure_cards(docs, passages, acronyms, settings.measures, curated)
    except Exception as exc:  # cards are an extra: an odd table must not stop the build
        log.warning("measure cards skipped: %s: %s", type(exc).__name__, exc)
        return []
    for name in curated.unused(cards):
        log.warning("%s names no measure of the reports: %r", MEASURE_ALIASES_NAME, name)
    return cards


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
