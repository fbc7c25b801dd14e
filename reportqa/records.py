"""Typed records that cross module boundaries: documents, passages, hits and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Hit:
    """One ranked search result."""

    passage: Passage
    doc_title: str
    score: float
    rank: int = 0
    highlights: list[tuple[int, int]] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """A numbered reference from an answer to the passage it quotes."""

    n: int
    passage: Passage
    doc_title: str


SentenceKind = Literal["sentence", "table_row"]


@dataclass(frozen=True)
class AnswerSentence:
    """One verbatim sentence of an extractive answer and the number of its citation. A line of a
    table (``kind="table_row"``) also carries its table's caption, column headers and cells, so it
    is shown as a small table, never as a quotation."""

    text: str
    citation: int
    kind: SentenceKind = "sentence"
    caption: str = ""
    header: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()


Outcome = Literal["answer", "closest", "not_covered"]


@dataclass
class Answer:
    """The outcome of a question:

    - ``answer``: verbatim sentences with citations;
    - ``closest``: the reports may not answer it directly; the closest passages are in ``hits``;
    - ``not_covered``: there is evidence the reports do not cover it (a name, place or year they
      never use), said in ``reasons``.
    """

    query: str
    outcome: Outcome
    sentences: list[AnswerSentence]
    citations: list[Citation]
    hits: list[Hit]
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)  # why it did not answer, in plain words
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → the word searched for

    @property
    def abstained(self) -> bool:
        """True unless the outcome is an answer (kept for consumers of the first contract)."""
        return self.outcome != "answer"

    @property
    def text(self) -> str:
        """The answer as one string with [n] markers, or the message of the outcome."""
        if self.outcome == "answer":
            return " ".join(f"{s.text} [{s.citation}]" for s in self.sentences)
        return OUTCOME_MESSAGES[self.outcome]


OUTCOME_MESSAGES = {
    "closest": "The reports may not answer this directly; the closest passages are listed below.",
    "not_covered": "The reports don't cover this.",
}
ABSTAIN_MESSAGE = OUTCOME_MESSAGES["closest"]
