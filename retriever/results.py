"""What the retriever returns: ranked hits (with their typed reranker features), and answers with
their cited sentences. Built by the retriever; read by the web pages, the API contract, the CLI and eval."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from reportqa.records import Passage
from retriever.schema import Features


@dataclass
class Hit:
    """One ranked search result."""

    passage: Passage
    doc_title: str
    score: float
    rank: int = 0
    highlights: list[tuple[int, int]] = field(default_factory=list)
    features: Features | None = None  # what the reranker knew (None: not ranked by features)


@dataclass(frozen=True)
class Citation:
    """A numbered reference from an answer to the passage it quotes."""

    n: int
    passage: Passage
    doc_title: str


SentenceKind = Literal["sentence", "table_row"]


@dataclass(frozen=True)
class AnswerSentence:
    """One verbatim sentence of an extractive answer (or the lead under ``closest``) and the number
    of its citation, with where it lies in the cited passage's text. A line of a table
    (``kind="table_row"``) also carries its table's caption, column headers and cells, so it is shown
    as a small table, never as a quotation. ``also_cited`` numbers the other places that say the
    same thing (the executive summary and the body): quoted once, cited at each."""

    text: str
    citation: int
    kind: SentenceKind = "sentence"
    caption: str = ""
    header: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    passage_id: str = ""
    start: int = 0  # [start, end) in the cited passage's text
    end: int = 0
    also_cited: tuple[int, ...] = ()


Outcome = Literal["answer", "closest", "not_covered"]


@dataclass
class Answer:
    """The outcome of a question:

    - ``answer``: verbatim sentences with citations;
    - ``closest``: the reports may not answer it directly; the closest passages are in ``hits``, and
      the one sentence that comes closest, cited, is the ``lead``;
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
    lead: AnswerSentence | None = None  # under closest: "The closest the reports come: …"

    @property
    def abstained(self) -> bool:
        """True unless the outcome is an answer (kept for consumers of the first contract)."""
        return self.outcome != "answer"

    @property
    def read_first(self) -> list[AnswerSentence]:
        """What the user reads first: the answer sentences under ``answer``, the lead under
        ``closest``, nothing under ``not_covered`` (what eval's glance judges)."""
        if self.outcome == "answer":
            return list(self.sentences)
        return [self.lead] if self.lead is not None else []

    @property
    def text(self) -> str:
        """The answer as one string with [n] markers, or the message of the outcome."""
        if self.outcome == "answer":
            return " ".join(f"{s.text} [{', '.join(map(str, (s.citation, *s.also_cited)))}]" for s in self.sentences)
        return OUTCOME_MESSAGES[self.outcome]


OUTCOME_MESSAGES = {
    "closest": "The reports may not answer this directly; the closest passages are listed below.",
    "not_covered": "The reports don't cover this.",
}
