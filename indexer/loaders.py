"""Read report files (.txt, .md, .pdf) into raw page texts, with a clear error for each bad file. A PDF is
read in a child process whose memory and time are capped, after a cheap check of what it will cost
(indexer.bounded, indexer.pdf_budget)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from indexer.bounded import BoundExceeded, Bounds, run_bounded
from indexer.cleaning import normalize_unicode
from indexer.corpus import SourceFile
from indexer.pdf_outline import OutlineEntry, read_outline
from indexer.pdf_structure import PdfStructure, read_structure
from reportqa.settings import InputLimitsConfig, PdfLayoutConfig

log = logging.getLogger(__name__)

SourceFormat = Literal["text", "markdown", "pdf"]
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # control characters other than \t \n \f \r


class LoadError(Exception):
    """A report file cannot be read; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple:  # raised in a child process (indexer.bounded) and again in the caller
        return LoadError, (self.path, self.reason)


@dataclass(frozen=True)
class ReadOptions:
    """How files are read: a PDF's layout thresholds, and what reading one file may cost."""

    layout: PdfLayoutConfig
    limits: InputLimitsConfig


@dataclass(frozen=True)
class RawDocument:
    """The text of one report as read from disk, page by page where the source has pages."""

    source: SourceFile
    format: SourceFormat
    pages: list[str]
    paged: bool
    title_hint: str | None = None
    authors_hint: str | None = None
    structure: PdfStructure | None = None  # PDFs: blocks from the outline, fonts and ruled tables


def load(source: SourceFile, pdf_layout: PdfLayoutConfig | None = None,
         limits: InputLimitsConfig | None = None) -> RawDocument:
    """Read one corpus file with the loader registered for its suffix. Raises LoadError for an
    unsupported suffix and for empty, binary, encrypted or malformed files, and for a file that needs
    more than ``limits`` allow. ``pdf_layout``: how a PDF's layout is read (``settings.pdf_layout``);
    ``limits``: ``settings.input_limits`` (defaults: the settings' defaults)."""
    loader = LOADERS.get(source.path.suffix.lower())
    if loader is None:
        raise LoadError(source.path, f"unsupported file type; supported: {', '.join(LOADERS)}")
    return loader(source, ReadOptions(pdf_layout or PdfLayoutConfig(), limits or InputLimitsConfig()))


def _load_text(source: SourceFile, _options: ReadOptions) -> RawDocument:
    text = _read_text(source.path)
    fmt: SourceFormat = "markdown" if source.path.suffix.lower() == ".md" else "text"
    pages = text.split("\f") if "\f" in text else [text]
    return RawDocument(source=source, format=fmt, pages=pages, paged=False)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise LoadError(path, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark: NULs are expected
        try:
            return _normalise_lines(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise LoadError(path, f"the file says it is UTF-16 but is not ({exc.reason})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        bad = text.count("\ufffd")
        if bad <= max(3, 0.005 * len(text)):  # a few bad bytes in a UTF-8 file: keep the rest as written
            log.warning("%s: %d bytes are not valid UTF-8 and were replaced", path.name, bad)
        else:  # not UTF-8 at all: most likely a Windows file
            text = data.decode("cp1252", errors="replace")
            log.warning("%s: not UTF-8, read as Windows-1252", path.name)
    controls = len(CONTROL_RE.findall(text))
    if controls > 0.01 * len(text):
        nul = " and NUL bytes" if "\x00" in text else ""
        raise LoadError(path, f"the file looks binary, not text (many control characters{nul})")
    if controls:  # a few stray NUL or control bytes anywhere in the file: dropped, never indexed or shown
        log.warning("%s: %d NUL or control characters removed", path.name, controls)
        text = CONTROL_RE.sub("", text)
    return _normalise_lines(text)


def _normalise_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_pdf(source: SourceFile, options: ReadOptions) -> RawDocument:
    """A PDF read in a child process within the memory and time of ``options.limits`` (indexer.bounded)."""
    path = source.path
    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty")
    limits = options.limits
    try:
        return run_bounded(read_pdf, (source, options), Bounds(limits.pdf_memory_mb, limits.pdf_seconds))
    except BoundExceeded as exc:
        raise LoadError(path, f"reading it {exc} (limits per PDF: REPORTQA_PDF_MEMORY_MB, "
                        "REPORTQA_PDF_SECONDS)") from exc


def read_pdf(source: SourceFile, options: ReadOptions) -> RawDocument:
    """A PDF's pages, structure and metadata (run in the child process of ``_load_pdf``). Raises
    LoadError for an encrypted, malformed, textless or over-budget PDF (indexer.pdf_budget)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from indexer.pdf_budget import OverBudget, check_budget

    path = source.path
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise LoadError(path, f"the PDF is encrypted and cannot be opened ({exc})") from exc
            if not opened:
                raise LoadError(path, "the PDF is encrypted with a password; remove it first")
        check_budget(reader, options.limits)
        title = _metadata_text(reader, "title", path)
        authors = _metadata_text(reader, "author", path)
        structure = _structure(path, read_outline(reader), options.layout) if reader.pages else None
        if structure is not None:
            pages = structure.page_texts
        else:  # no outline and one font throughout: the plain text, parsed by line heuristics
            pages = [page.extract_text() or "" for page in reader.pages]
    except OverBudget as exc:
        raise LoadError(path, str(exc)) from exc
    except (LoadError, MemoryError):
        raise
    except PdfReadError as exc:
        raise LoadError(path, f"the PDF is malformed ({exc})") from exc
    except Exception as exc:  # a damaged PDF can fail anywhere inside the parser
        raise LoadError(path, f"the PDF could not be read ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise LoadError(path, "the PDF has no pages")
    if sum(len(p.strip()) for p in pages) < 20:
        raise LoadError(path, "the PDF has no extractable text (scanned images?); OCR it first")
    if structure is not None:
        title = title or structure.title
    return RawDocument(source=source, format="pdf", pages=pages, paged=True, title_hint=title,
                       authors_hint=authors, structure=structure)


def _structure(path: Path, outline: list[OutlineEntry], layout: PdfLayoutConfig) -> PdfStructure | None:
    """The PDF's structure from its outline, fonts and tables; None (with a warning) when the layout
    cannot be read, so that the report is still indexed from its plain text."""
    try:
        return read_structure(path, outline, layout)
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer can fail where pypdf did not
        log.warning("%s: layout could not be read (%s: %s); using its plain text", path.name,
                    type(exc).__name__, exc)
        return None


def _metadata_text(reader: object, name: str, path: Path) -> str | None:
    """A PDF metadata field, unless empty or a placeholder (the file's own name, 'untitled')."""
    metadata = getattr(reader, "metadata", None)
    value = getattr(metadata, name, None) if metadata is not None else None
    text = " ".join(normalize_unicode(str(value)).split()) if value else ""
    lowered = text.lower()
    if (not text or lowered in {"untitled", "unknown", "anonymous", "author", "title", path.stem.lower()}
            or lowered.endswith((".html", ".htm", ".pdf", ".doc", ".docx")) or "://" in lowered):
        return None
    return text


# Suffix → loader (the file, and how files are read). The corpus accepts exactly these
# suffixes (indexer.corpus.supported_suffixes).
LOADERS: dict[str, Callable[[SourceFile, ReadOptions], RawDocument]] = {
    ".pdf": _load_pdf,
    ".txt": _load_text,
    ".md": _load_text,
}
