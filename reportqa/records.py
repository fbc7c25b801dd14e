"""Typed records that cross module boundaries from the indexer on: documents and passages. What the
retriever returns (hits, answers) is in retriever.results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PassageKind = Literal["text", "table", "table_row", "figure"]

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class DocumentMeta:
    """Bibliographic facts about one report, from corpus/manifest.toml or the file itself."""

    doc_id: str
    file: str
    title: str
    short_title: str
    authors: str = ""
    publisher: str = ""
    date: str = ""
    attribution: str = ""
    source: str = ""
    author_names: tuple[str, ...] = ()  # for citations, each "Family, Given" (no affiliations)
    place: str = ""  # place of publication, e.g. "Barkingside"
    url: str = ""  # the publisher's page for the report

    @property
    def year(self) -> str:
        """The four-digit year in the date, or '' when there is none."""
        digits = [tok for tok in self.date.replace(",", " ").split() if tok.isdigit()]
        return next((d for d in digits if len(d) == 4), "")


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: whole sentences of one section, a table, a table row or a figure.

    ``start``/``end`` are character offsets into the cleaned document text; for prose
    passages ``text`` equals that slice, for table rows it is the row rendered with its
    column headers and caption.
    """

    passage_id: str
    doc_id: str
    kind: PassageKind
    section: tuple[str, ...]
    start: int
    end: int
    text: str
    page_start: int | None = None
    page_end: int | None = None
    section_page: int | None = None  # printed start page of its section (from the contents list), unpaged sources
    section_page_of: str = ""  # the heading (an element of ``section``) that ``section_page`` is the start of

    @property
    def section_label(self) -> str:
        """The section trail joined for display, e.g. '6. … › 6.1 … › 6.1.1 …'."""
        return SECTION_SEPARATOR.join(self.section)

    @property
    def page(self) -> int | None:
        """The first page of the passage, where the source has pages."""
        return self.page_start
