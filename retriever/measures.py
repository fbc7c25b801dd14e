"""Measure cards at query time: the cards of the opened index, by slug and by type, and which card a
query names.

A query names a card when its analyzer tokens (``reportqa.text``: case-folded, possessives and
plurals folded, stopwords dropped) are exactly one of the card's keys: its name, acronym or another
name the reports use. So "CAWN", "cawns", "CAWN's", "what is a CAWN?" and "Child Abduction Warning
Notice" all name the child abduction warning notices card; "CAWN breach" does not (that is a search).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportqa.measures_records import MeasureCard, measure_tokens

TYPE_ORDER = ("direct", "disruption-supportive", "online")


@dataclass(frozen=True)
class MeasureType:
    """One type of measure and its cards, for browsing."""

    key: str
    label: str
    cards: tuple[MeasureCard, ...]


class MeasureCatalog:
    """The measure cards of one index (empty for an index built without them)."""

    def __init__(self, cards: list[MeasureCard]) -> None:
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

    def types(self) -> list[MeasureType]:
        """The cards grouped by type: the usual three first, in that order, then any other."""
        keys = sorted({c.type for c in self.cards},
                      key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER), t))
        out = []
        for key in keys:
            cards = tuple(c for c in self.cards if c.type == key)
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


def _first_position(tokens: list[str], card: MeasureCard) -> int | None:
    best = None
    for key in card.keys:
        size = len(key)
        for i in range(len(tokens) - size + 1):
            if tuple(tokens[i:i + size]) == key:
                best = i if best is None else min(best, i)
                break
    return best
