"""Printed start pages of sections, from a report's own contents list ('6.1 Direct disruption
measures<TAB>31'), for sources without real pages (the bundled Markdown report).

Every passage gets the start page of the deepest section of its trail that the contents list
gives a page for, and which heading that page belongs to, so a citation can say honestly
"section begins p. 31" or "§6.1 begins p. 31" (never a page the passage may not be on). How closely an
unnumbered heading must match its contents entry is set in ``PdfLayoutConfig``
(``pdf_contents_title_similarity``, ``pdf_contents_title_min_chars``; ``settings.pdf_layout``), recorded
in the index's build spec like the PDF layout thresholds.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from indexer.blocks import heading_number
from indexer.sections import split_contents_line
from reportqa.records import Passage
from reportqa.settings import PdfLayoutConfig
from reportqa.text import match_key


class SectionPages:
    """Start pages by section number and by (unnumbered) title, read from contents lines. Titles are
    matched loosely (``config.pdf_contents_title_similarity``): contents lines come from PDF conversion,
    and 'E<TAB>kecutive summary' is 'Executive summary'."""

    def __init__(self, lines: list[str], config: PdfLayoutConfig | None = None) -> None:
        self.config = config or PdfLayoutConfig()
        self.by_number: dict[tuple[int, ...], int] = {}
        self.by_title: dict[str, int] = {}
        for line in lines:
            text, page = split_contents_line(line)
            if page is None:
                continue
            number, title = heading_number(text)
            if number is not None:  # a numbered entry is found by its number only, never by its title
                self.by_number.setdefault(number, page)
            elif match_key(text):
                self.by_title.setdefault(match_key(text), page)

    def __bool__(self) -> bool:
        return bool(self.by_number or self.by_title)

    def page_of(self, heading: str) -> int | None:
        """The start page of one heading of a section trail, or None."""
        number, title = heading_number(heading)
        if number is not None:
            return self.by_number.get(number)
        key = match_key(title)
        if not key:
            return None
        if key in self.by_title:
            return self.by_title[key]
        if len(key) < self.config.pdf_contents_title_min_chars:
            return None
        best = max(self.by_title, key=lambda k: SequenceMatcher(None, k, key).ratio(), default=None)
        if best is not None and SequenceMatcher(None, best, key).ratio() >= self.config.pdf_contents_title_similarity:
            return self.by_title[best]
        return None

    def for_trail(self, section: tuple[str, ...]) -> tuple[int | None, str]:
        """(start page, heading it belongs to) for the deepest heading of ``section`` with a page.
        An unnumbered heading inside a numbered section ('Key findings' in chapter 6) is not looked up
        by title: the contents list's entry of that name is another one (the executive summary's)."""
        numbered = [heading_number(h)[0] is not None for h in section]
        for depth in range(len(section) - 1, -1, -1):
            heading = section[depth]
            if not numbered[depth] and any(numbered[:depth]):
                continue
            page = self.page_of(heading)
            if page is not None:
                return page, heading
        return None, ""


def with_section_pages(passages: list[Passage], contents_lines: list[str],
                       config: PdfLayoutConfig | None = None) -> list[Passage]:
    """The passages with ``section_page``/``section_page_of`` set from the contents list (unchanged
    when there is none, or when a passage already has exact pages). ``config``: how titles are matched
    (``settings.pdf_layout``; default: ``PdfLayoutConfig()``)."""
    pages = SectionPages(contents_lines, config)
    if not pages:
        return passages
    cache: dict[tuple[str, ...], tuple[int | None, str]] = {}
    out = []
    for p in passages:
        if p.page_start is not None:
            out.append(p)
            continue
        if p.section not in cache:
            cache[p.section] = pages.for_trail(p.section)
        page, heading = cache[p.section]
        out.append(replace(p, section_page=page, section_page_of=heading) if page is not None else p)
    return out
