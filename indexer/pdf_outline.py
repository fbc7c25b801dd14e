"""The outline (bookmarks) of a PDF: read with pypdf into flat entries (title, depth, page), and
checked against its headings' numbering before its depths are trusted as section levels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from indexer.blocks import heading_number
from indexer.cleaning import normalize_unicode
from reportqa.settings import PdfLayoutConfig


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark of the PDF's outline: its title, depth (1 = top) and 0-based page."""

    title: str
    level: int
    page: int


def read_outline(reader: Any) -> list[OutlineEntry]:
    """The outline of a pypdf PdfReader, flattened in order; empty when it has none or it is broken."""
    entries: list[OutlineEntry] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a bookmark to nowhere: skip it
                continue
            title = normalize_unicode(str(getattr(item, "title", "") or "")).strip()
            if title and page is not None and page >= 0:
                entries.append(OutlineEntry(title, level, page))

    try:
        walk(reader.outline, 1)
    except Exception:  # a malformed outline is ignored; layout still gives structure
        return []
    return entries


def levels_follow_numbering(outline: list[OutlineEntry], config: PdfLayoutConfig | None = None) -> bool:
    """Whether the outline's depths agree with its headings' numbers ('1.2' one deeper than '1.').
    An outline made from HTML heading tags (a browser's 'print to PDF') often does not; then its
    headings are kept but their levels come from the numbering and the contents list."""
    config = config or PdfLayoutConfig()
    numbered = [(heading_number(e.title)[0], e.level) for e in outline]
    pairs = [(n, lv) for n, lv in numbered if n is not None]
    if len(pairs) < 2:
        return True
    agree = sum(1 for (a, la), (b, lb) in zip(pairs, pairs[1:]) if (len(b) - len(a) > 0) == (lb - la > 0)
                and (len(b) - len(a) < 0) == (lb - la < 0))
    return agree >= config.pdf_outline_agreement * (len(pairs) - 1)
