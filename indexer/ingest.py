"""Read the corpus files into structured documents: each file is loaded, given its metadata (from
the manifest, or inferred from the file) and cleaned and structured, or skipped with the reason.
One bad file never stops the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from indexer.corpus import SourceFile
from indexer.document import CleanDocument, build_document, guess_title, parse_blocks
from indexer.loaders import LoadError, RawDocument, load
from indexer.title_page import read_title_page
from indexer.titles import distinct_short_titles, short_title
from reportqa.records import DocumentMeta
from reportqa.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ReadReport:
    """A corpus file read into a structured document."""

    source: SourceFile
    doc: CleanDocument


@dataclass
class Ingested:
    """The reports read from the corpus, and the files skipped with their reasons."""

    reports: list[ReadReport] = field(default_factory=list)
    skipped: list[tuple[SourceFile, str]] = field(default_factory=list)


def document_meta(source: SourceFile, title_hint: str | None, fallback_title: str) -> DocumentMeta:
    """Manifest metadata, or metadata inferred from the file (PDF title or first heading)."""
    if source.meta is not None:
        return source.meta
    title = title_hint or fallback_title or source.path.stem
    return DocumentMeta(doc_id=source.doc_id, file=source.name, title=title, short_title=short_title(title))


def check_size(source: SourceFile, max_file_mb: float) -> None:
    """Raise LoadError when the file is larger than ``max_file_mb`` (REPORTQA_MAX_FILE_MB)."""
    megabytes = source.path.stat().st_size / 1e6
    if megabytes > max_file_mb:
        raise LoadError(source.path, f"it is {megabytes:.1f} MB, over the {max_file_mb:g} MB "
                        "limit per file (REPORTQA_MAX_FILE_MB)")


def meta_of(source: SourceFile, raw: RawDocument) -> DocumentMeta:
    """The report's metadata: its manifest entry, or a title, authors, date and organisation from the
    file (PDF metadata, its first heading, what its first page prints: indexer.title_page)."""
    fallback = ""
    if source.meta is None and not raw.title_hint:
        blocks, _ = parse_blocks(raw, "")
        fallback = guess_title(blocks, source.path.stem)
    meta = document_meta(source, raw.title_hint, fallback)
    if source.meta is not None:
        return meta
    page = read_title_page(raw.pages[0] if raw.pages else "", meta.title)  # 'by …', 'March 2024', '… Trust'
    return replace(meta, authors=raw.authors_hint or page.authors,  # a PDF's /Author first, for citations
                   date=page.date, publisher=page.organisation)


def structure(raw: RawDocument, meta: DocumentMeta) -> CleanDocument:
    """The cleaned, structured document. Raises LoadError when the text cannot be structured or
    nothing is left after cleaning."""
    try:
        doc = build_document(raw, meta)
    except Exception as exc:  # an odd layout must not stop the other reports from indexing
        log.debug("structuring %s failed", raw.source.name, exc_info=True)
        raise LoadError(raw.source.path, f"its text could not be structured ({type(exc).__name__}: {exc})"
                        ) from exc
    if not doc.text.strip():
        raise LoadError(raw.source.path, "no text left after cleaning")
    return doc


def read_report(source: SourceFile, settings: Settings) -> CleanDocument:
    """One corpus file as a structured document. Raises LoadError, with the reason, for a file that is
    too large or cannot be read or structured. (Every file has its own id: indexer.corpus.distinct_ids.)"""
    check_size(source, settings.max_file_mb)
    raw = load(source, settings.pdf_layout, settings.input_limits)
    return structure(raw, meta_of(source, raw))


def read_reports(files: list[SourceFile], settings: Settings) -> Ingested:
    """Every file read (in order), or skipped with its reason; short titles made distinct."""
    out = Ingested()
    for source in files:
        if source.id_note:
            log.warning("%s: %s", source.name, source.id_note)
        try:
            doc = read_report(source, settings)
        except LoadError as exc:
            log.warning("skipped %s", exc)
            out.skipped.append((source, exc.reason))
            continue
        out.reports.append(ReadReport(source, doc))
    make_short_titles_distinct(out.reports)
    return out


def make_short_titles_distinct(reports: list[ReadReport]) -> None:
    """Every stored short title differs (indexer.titles): reports without a manifest entry may be renamed."""
    inferred = {r.source.doc_id for r in reports if r.source.meta is None}
    for report, meta in zip(reports, distinct_short_titles([r.doc.meta for r in reports], inferred)):
        report.doc.meta = meta
