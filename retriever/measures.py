"""Measure cards at query time: the cards of the opened index, by slug and by type, and which card a
query names.

A query names a card when its analyzer tokens (``reportqa.text``: case-folded, possessives and
plurals folded, stopwords dropped) are exactly one of the card's keys: its name, acronym or another
name the reports use. So "CAWN", "cawns", "CAWN's", "what is a CAWN?" and "Child Abduction Warning
Notice" all name the child abduction warning notices card; "CAWN breach" does not (that is a search).
The keys include the aliases found at index time (indexer.measure_aliases), so "harbouring notice"
names the CAWN card too.

**A card's passages, gathered by the search.** The passages the index found by name are joined, the
first time a card is shown, by the search's own ranking: each of the card's names (its name, acronym
and aliases) is searched, and a hit among the first ``measure_search_depth`` joins the card when it
names the measure, sits under a heading that does, or holds ``measure_search_coverage`` of the
searched name's words, weighted by IDF (so the scoping review's "notice requiring them to provide information about
their guests" joins "Hotel guest information notices"). Gathered cards are cached for the life of the
catalog, which is that of one opened build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from threading import Lock

from indexer.measures import card_passage, is_measure_table
from reportqa.measures_records import MeasureCard, MeasureCitation, MeasurePassage, measure_tokens
from reportqa.records import Passage
from reportqa.settings import MeasureConfig

PassageSearch = Callable[[str, int], list[Passage]]  # the search: (query, k) → passages, best first

TYPE_ORDER = ("direct", "disruption-supportive", "online")


@dataclass(frozen=True)
class MeasureType:
    """One type of measure and its cards, for browsing."""

    key: str
    label: str
    cards: tuple[MeasureCard, ...]


@dataclass(frozen=True)
class CardSearch:
    """How a card's passages are gathered by the search (see the module docstring)."""

    search: PassageSearch
    short_titles: dict[str, str]  # report short title, by doc id (for the citations)
    depth: int = 10
    coverage: float = 0.75
    config: MeasureConfig | None = None  # the index's grouping and ranking numbers
    idf: Callable[[str], float] = lambda word: 1.0  # how distinctive a word is (retriever.analysis.CorpusStats)


class MeasureCatalog:
    """The measure cards of one index (empty for an index built without them); with ``searcher``,
    ``gathered`` adds the passages the search finds for each card."""

    def __init__(self, cards: list[MeasureCard], searcher: CardSearch | None = None) -> None:
        self.searcher = searcher
        self._gathered: dict[str, MeasureCard] = {}
        self._lock = Lock()
        self.cards = sorted(cards, key=lambda c: c.name.casefold())
        self.by_slug = {c.slug: c for c in self.cards}
        self._by_key: dict[tuple[str, ...], MeasureCard] = {}
        for card in self.cards:  # a key two cards share names neither on its own
            for key in card.keys:
                self._by_key[key] = card if key not in self._by_key else None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.cards)

    def card(self, slug: str) -> MeasureCard | None:
        return self.by_slug.get(slug)

    def gathered(self, card: MeasureCard) -> MeasureCard:
        """``card`` with the passages the search finds under its names joined to its own, ranked by
        centrality, then search rank (the card itself when there is no search). Cached."""
        if self.searcher is None:
            return card
        with self._lock:
            if card.slug in self._gathered:
                return self._gathered[card.slug]
        full = replace(card, passages=self._gather(card, self.searcher))
        with self._lock:
            return self._gathered.setdefault(card.slug, full)

    def _gather(self, card: MeasureCard, searcher: CardSearch) -> list[MeasurePassage]:
        own = {p.cite.passage_id: p for p in card.passages}
        skip = {card.source.passage_id} | {f.cite.passage_id for f in card.figures}
        names = list(dict.fromkeys(n for n in [card.name, card.acronym, *card.aliases] if n))
        found: dict[str, tuple[int, MeasurePassage]] = {}
        for name in names:
            wanted = set(measure_tokens(name))
            for rank, passage in enumerate(searcher.search(name, searcher.depth)):
                pid = passage.passage_id
                if pid in skip or pid in found or is_measure_table(passage) or (
                        passage.doc_id == card.source.doc_id and passage.section_label == card.source.section):
                    continue  # the appendix row or its table, a figure, or a passage already found
                if pid in own:
                    found[pid] = (rank, own[pid])
                elif _names_card(card, passage, wanted, searcher):
                    cite = MeasureCitation(pid, passage.doc_id, searcher.short_titles.get(passage.doc_id, ""),
                                           passage.section_label, passage.page_start)
                    found[pid] = (rank, card_passage(card, passage, cite, searcher.config))
        order = {pid: i for i, pid in enumerate(own)}
        merged = [(found.get(pid, (searcher.depth, p))[0], p) for pid, p in own.items()]
        merged += [(rank, p) for pid, (rank, p) in found.items() if pid not in own]
        return [p for _, p in sorted(merged, key=lambda t: (-t[1].score, t[0],
                                                            order.get(t[1].cite.passage_id, len(order))))]

    def types(self) -> list[MeasureType]:
        """The cards grouped by type: the usual three first, in that order, then any other; each card
        with its gathered passages, so that the counts listed are those its page shows."""
        keys = sorted({c.type for c in self.cards},
                      key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER), t))
        out = []
        for key in keys:
            cards = tuple(self.gathered(c) for c in self.cards if c.type == key)
            out.append(MeasureType(key, cards[0].type_label, cards))
        return out

    def for_query(self, query: str) -> MeasureCard | None:
        """The card whose name or acronym the query is, or None."""
        tokens = tuple(measure_tokens(query))
        return self._by_key.get(tokens) if tokens else None

    def slugs_named(self, text: str) -> frozenset[str]:
        """The slugs of the cards ``text`` names (for the composer's contrast rule)."""
        return frozenset(card.slug for card in self.named_in([text]))

    def named_in(self, texts: list[str]) -> list[MeasureCard]:
        """The cards named anywhere in ``texts``, in order of first mention."""
        found: dict[str, tuple[int, int, MeasureCard]] = {}
        for t_index, text in enumerate(texts):
            tokens = measure_tokens(text)
            for card in self.cards:
                if card.slug in found:
                    continue
                first = _first_position(tokens, card)
                if first is not None:
                    found[card.slug] = (t_index, first, card)
        return [card for _, _, card in sorted(found.values(), key=lambda t: (t[0], t[1]))]


def _names_card(card: MeasureCard, passage: Passage, wanted: set[str], searcher: CardSearch) -> bool:
    """Whether a hit of the search for a card's name is about the card: it names the card, sits under
    a heading that does, or holds ``coverage`` of the searched name's words, weighted by their IDF
    (the distinctive words count most: "public … protection … orders" is not "public space protection
    orders"), two words at least, within a span of twice the name's length and one, in its text or in
    one of its headings."""
    text = measure_tokens(passage.text)
    titles = [measure_tokens(t) for t in passage.section]
    if card.mentions(text) or any(card.mentions(t) for t in titles):
        return True
    if len(wanted) < 2:
        return False
    weight = {w: searcher.idf(w) for w in wanted}
    need = searcher.coverage * sum(weight.values())
    return any(_covers(t, weight, need, 2 * len(wanted) + 1) for t in [text, *titles])


def _covers(tokens: list[str], weight: dict[str, float], need: float, window: int) -> bool:
    """Whether some ``window`` consecutive ``tokens`` hold two or more distinct words of ``weight``
    whose weights add up to ``need``."""
    hits = [(i, t) for i, t in enumerate(tokens) if t in weight]
    for a, (start, _) in enumerate(hits):
        inside = {t for i, t in hits[a:] if i < start + window}
        if len(inside) >= 2 and sum(weight[t] for t in inside) >= need:
            return True
    return False


def _first_position(tokens: list[str], card: MeasureCard) -> int | None:
    best = None
    for key in card.keys:
        size = len(key)
        for i in range(len(tokens) - size + 1):
            if tuple(tokens[i:i + size]) == key:
                best = i if best is None else min(best, i)
                break
    return best
