"""Parse a user's query: quoted phrases, words and content terms, and safe FTS5 expressions.

User text never reaches FTS5 as syntax: a phrase is rebuilt from its word tokens inside one
quoted string, so '"', '*', 'NEAR(', '-', 'AND', ':' and unbalanced brackets are just words (or nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.text import STOPWORDS, content_words, match_key, stem, words

PHRASE_RE = re.compile(r"[\"“”]([^\"“”]{2,300})[\"“”]")


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into what search needs."""

    raw: str
    text: str  # the query with quote marks removed, for the dense model
    phrases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # stemmed content words
    expansions: tuple[str, ...] = field(default=())  # acronym expansions, added later

    @property
    def is_phrase_search(self) -> bool:
        return bool(self.phrases)

    @property
    def phrase_keys(self) -> tuple[str, ...]:
        return tuple(k for k in (match_key(p) for p in self.phrases) if k)


def parse_query(raw: str) -> ParsedQuery:
    """Split ``raw`` into phrases (text in double quotes), words and content terms."""
    raw = raw.strip()
    phrases = tuple(p.strip() for p in PHRASE_RE.findall(raw) if words(p))
    text = re.sub(r"[\"“”]", " ", raw)
    text = re.sub(r"\s+", " ", text).strip()
    toks = tuple(words(text))
    return ParsedQuery(raw=raw, text=text, phrases=phrases, words=toks, terms=tuple(content_words(text)))


def fts_phrase(phrase: str) -> str:
    """An FTS5 phrase query: the phrase's words in order, inside one quoted string. Word tokens
    are letters, digits and inner apostrophes only (``reportqa.text.WORD_RE``), so no FTS5 syntax,
    and no '"', can reach the expression; ``tests/test_retriever.py`` checks that on hostile input."""
    toks = words(phrase)
    return '"' + " ".join(toks) + '"' if toks else ""


def stemmed_set(text: str) -> set[str]:
    """Stemmed content words of a text, as a set (for coverage features)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS}
