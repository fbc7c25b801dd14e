"""Typed records of measure cards: one card per disruption measure listed in a report's appendix
table, with the passages that discuss it and the survey figures that name it.

Built by indexer.measures at index time, stored as ``measures.json`` in the build, read by
retriever.measures. A card matches text through its ``keys``: sequences of analyzer tokens
(``reportqa.text.content_words``: case-folded, stemmed, stopwords dropped), so "CAWNs", "CAWN's",
"child abduction warning notice" and "Child Abduction Warning Notices" all match the same card.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from reportqa.text import content_words

MeasureGroup = Literal["how_it_works", "effectiveness", "concerns"]
GROUPS: tuple[MeasureGroup, ...] = ("how_it_works", "effectiveness", "concerns")
GROUP_TITLES: dict[str, str] = {"how_it_works": "How it works", "effectiveness": "Effectiveness",
                                "concerns": "Concerns and limits"}
MEASURES_FORMAT = 1


class MeasuresFileError(ValueError):
    """A measures file that does not hold measure cards; the message says what is wrong."""


def measure_tokens(text: str) -> list[str]:
    """The tokens a card's keys are matched against (the shared analyzer's content words)."""
    return content_words(text)


def count_key(tokens: list[str], key: tuple[str, ...]) -> int:
    """How many times the token sequence ``key`` occurs in ``tokens`` (non-overlapping)."""
    n, i, size = 0, 0, len(key)
    if not size:
        return 0
    while i <= len(tokens) - size:
        if tuple(tokens[i:i + size]) == key:
            n += 1
            i += size
        else:
            i += 1
    return n


@dataclass(frozen=True)
class MeasureCitation:
    """Where a card's statement comes from: a passage of the built index."""

    passage_id: str
    doc_id: str
    doc_short_title: str
    section: str  # the passage's section trail, for display
    page: int | None = None


@dataclass(frozen=True)
class MeasurePassage:
    """A passage that discusses a measure, with why it ranks where it does."""

    cite: MeasureCitation
    group: MeasureGroup
    score: float  # centrality: mentions, and the measure named in the passage's section headings
    mentions: int
    in_heading: bool
    snippet: str  # the first sentence of the passage that names the measure
    cues: tuple[str, ...] = ()  # the cue words that decided the group (empty: how it works)


@dataclass(frozen=True)
class MeasureFigure:
    """A survey figure for a measure: a table row (or figure label) naming it."""

    cite: MeasureCitation
    caption: str  # the table or figure caption
    label: str  # the cell or label that names the measure
    values: tuple[tuple[str, str], ...]  # (column header, value) for the row's other cells
    note: str = ""  # the table's source note (base, n=...)


@dataclass
class MeasureCard:
    """Everything the reports say about one disruption measure."""

    slug: str
    name: str
    acronym: str
    type: str  # e.g. "direct", "disruption-supportive", "online"
    type_label: str  # as printed, e.g. "Disruption-supportive"
    description: str
    source: MeasureCitation  # the appendix row the name, type and description come from
    aliases: list[str] = field(default_factory=list)  # other names and acronyms the reports use
    keys: list[tuple[str, ...]] = field(default_factory=list)  # token sequences that name the measure
    figures: list[MeasureFigure] = field(default_factory=list)
    passages: list[MeasurePassage] = field(default_factory=list)  # ranked, best first

    def mentions(self, tokens: list[str]) -> int:
        """Occurrences of this measure in ``tokens`` (from ``measure_tokens``), longest keys first
        so that "sexual risk order" is not also counted as "risk order"."""
        best = 0
        for key in sorted(self.keys, key=len, reverse=True):
            best = max(best, count_key(tokens, key))
        return best

    def group(self, name: str) -> list[MeasurePassage]:
        """The passages of one group ("how_it_works", "effectiveness", "concerns"), best first."""
        return [p for p in self.passages if p.group == name]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> MeasureCard:
        """A card from its JSON form; MeasuresFileError for anything that is not one."""
        try:
            def cite(d: dict) -> MeasureCitation:
                return MeasureCitation(**d)

            return cls(
                slug=str(data["slug"]), name=str(data["name"]), acronym=str(data["acronym"]),
                type=str(data["type"]), type_label=str(data["type_label"]), description=str(data["description"]),
                source=cite(data["source"]), aliases=[str(a) for a in data.get("aliases", [])],
                keys=[tuple(str(t) for t in k) for k in data.get("keys", [])],
                figures=[MeasureFigure(cite(f["cite"]), f["caption"], f["label"],
                                       tuple((str(h), str(v)) for h, v in f["values"]), f.get("note", ""))
                         for f in data.get("figures", [])],
                passages=[MeasurePassage(cite(p["cite"]), p["group"], float(p["score"]), int(p["mentions"]),
                                         bool(p["in_heading"]), p["snippet"], tuple(p.get("cues", ())))
                          for p in data.get("passages", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MeasuresFileError(f"not a measure card ({type(exc).__name__}: {exc})") from exc


def cards_to_json(cards: list[MeasureCard]) -> dict:
    return {"format": MEASURES_FORMAT, "cards": [c.to_json() for c in cards]}


def cards_from_json(data: object) -> list[MeasureCard]:
    """Cards from the JSON of a measures file; MeasuresFileError when it is not one."""
    if not isinstance(data, dict) or data.get("format") != MEASURES_FORMAT or not isinstance(data.get("cards"), list):
        raise MeasuresFileError(f"not a measures file of format {MEASURES_FORMAT}")
    return [MeasureCard.from_json(c) for c in data["cards"]]
