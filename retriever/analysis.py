"""Query analysis, the first stage: what a query says, read once into a typed ``QueryAnalysis``.

    raw query → spelling correction → phrases, words, terms → acronym and everyday-word expansions
              → constraints (names, years, counts) → share of unknown words

Everything here depends on the query and on corpus statistics (``CorpusStats``), never on the
search results, so each later stage reads the analysis instead of re-reading the query.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from threading import Lock

from reportqa.settings import AnalysisConfig
from reportqa.text import STOPWORDS, WORD_RE, normalise_quotes, numbers_in, stem, words
from retriever.acronyms import AcronymExpander, Expansion, guess_long_form, long_form_heads
from retriever.colloquial import ColloquialExpander
from retriever.constraints import Constraints, NameProfile
from retriever.query import ParsedQuery, parse_query
from retriever.spelling import SpellingCorrector


@dataclass(frozen=True)
class CorpusStats:
    """Statistics of the indexed passages, computed in one pass when an index is opened: the
    smoothed IDF of every stemmed word (the one IDF table) and how the reports write each word
    (for names and spelling)."""

    idf: dict[str, float]
    default_idf: float  # the IDF of a word the reports never use
    names: NameProfile

    @classmethod
    def of(cls, texts: Iterable[str]) -> CorpusStats:
        df: Counter = Counter()
        profile = NameProfile()
        n = 0
        for text in texts:
            n += 1
            df.update({stem(w) for w in words(text)})
            profile.add(text)
        idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        return cls(idf, math.log((n + 1) / 0.5), profile)

    def idf_of(self, term: str) -> float:
        return self.idf.get(term, self.default_idf)


@dataclass(frozen=True)
class QueryAnalysis:
    """A query as the later stages need it."""

    raw: str  # as typed
    text: str  # after spelling correction
    parsed: ParsedQuery
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → the word searched for
    expansions: tuple[Expansion, ...] = ()  # acronyms ↔ long forms (when the pipeline expands them)
    colloquial: tuple[str, ...] = ()  # report terms for the everyday words used
    constraints: Constraints = field(default_factory=Constraints)
    known: frozenset[str] = frozenset()  # stemmed everyday words the table translates
    oov: float = 0.0  # share of content terms the reports never use (translated words excepted)

    @property
    def added(self) -> tuple[str, ...]:
        """The texts the acronym expansions add to the query."""
        return tuple(e.added for e in self.expansions)

    @property
    def terms(self) -> set[str]:
        """Stemmed content terms of the query and of its acronym expansions."""
        return set(self.parsed.terms) | {stem(w) for a in self.added for w in words(a) if w not in STOPWORDS}

    @property
    def numbers(self) -> set[str]:
        return numbers_in(self.parsed.text)

    @property
    def dense_text(self) -> str:
        """What the embedding model reads: the query without closing punctuation (a question
        mark must not move the results), with its acronyms' long forms."""
        text = self.parsed.text.rstrip(" ?!.;:,")
        return text + (" (" + "; ".join(self.added) + ")" if self.added else "")

    @property
    def empty(self) -> bool:
        return not self.parsed.words

    def as_typed(self, word: str) -> str:
        """``word`` of the corrected query as the user typed it: a reason names what they wrote,
        never the spelling corrector's guess ("misper", not "mister")."""
        return next((typed for typed, fixed in self.corrections.items() if fixed.lower() == word.lower()), word)


def bounded(text: str, max_words: int) -> str:
    """``text`` up to the end of its ``max_words``-th word (all of it when shorter)."""
    matches = list(islice(WORD_RE.finditer(text), max_words + 1))
    return text[:matches[max_words - 1].end()] if len(matches) > max_words else text


class QueryAnalyser:
    """Reads queries against one index's vocabulary. Thread-safe."""

    def __init__(self, stats: CorpusStats, acronyms: list[tuple[str, str, int]], colloquial: ColloquialExpander,
                 is_english, document_texts: Iterable[str], config: AnalysisConfig) -> None:
        self.stats = stats
        self.config = config
        self.colloquial = colloquial
        self.speller = SpellingCorrector(stats.names.every, is_english, config,
                                         {w for k in colloquial.table for w in k.split()})
        self._texts = list(document_texts)
        self._heads = long_form_heads(a for a in acronyms if a[2])  # the reports' own long forms, not curated ones
        self._guesses: dict[str, str | None] = {}
        self._lock = Lock()
        self.expander = AcronymExpander(acronyms, stats.names.lowercase_vocab, self._guess_acronym,
                                        config.max_acronym_guesses)

    def analyse(self, raw: str, acronyms: bool = True, colloquial: bool = True) -> QueryAnalysis:
        """The analysis of ``raw``; ``acronyms`` and ``colloquial`` switch those expansions
        (the pipeline's choice; the constraints always use both tables)."""
        text = normalise_quotes(bounded(raw, self.config.max_query_words))
        text, corrections = self.speller.fix(text) if self.config.spelling else (text, {})
        parsed = parse_query(text)
        if not parsed.words:
            return QueryAnalysis(raw, text, parsed, corrections)
        expansions = tuple(self.expander.expand(parsed.raw)) if acronyms and self.config.acronym_expansion else ()
        everyday = tuple(self.colloquial.expand(text)) if colloquial else ()
        # an everyday word the table translates, or an acronym typed and expanded ('pspo'), is known
        known = frozenset(stem(w) for w in words(" ".join(self.colloquial.keys_in(text)))) | {
            stem(w) for e in expansions if e.added != e.short for w in words(e.short)}
        added = tuple(e.added for e in expansions)
        return QueryAnalysis(raw, text, parsed, corrections, expansions, everyday, self.constraints(text, corrections),
                             known, self._oov(parsed, added + everyday, known))

    def constraints(self, query: str, corrections: dict[str, str] | None = None) -> Constraints:
        """The names, years and count the query pins its answer to, with the acronym (or
        everyday-word) equivalents of each name; ``corrections`` (typed → corrected) make each name
        read as the user typed it."""
        pairs = [(e.short, e.long) for e in self.expander.expand(query)]
        pairs += [(key, self.colloquial.table[key]) for key in self.colloquial.keys_in(query)]
        return Constraints.of(query, self.stats.names, pairs, self.config, self.unknown_word, corrections or {})

    def unknown_word(self, word: str) -> bool:
        """True for a word that is most likely a name or an acronym the reports do not use
        (see ``SpellingCorrector.is_unknown``)."""
        return self.speller.is_unknown(word, self.config.min_unknown_length)

    def selective(self, tokens: tuple[str, ...], floor: float, keep: int = 2) -> tuple[str, ...]:
        """Query tokens worth a bm25 lookup: words found in most passages ('child', 'abuse')
        add almost nothing to bm25 but make it score every row they match, so they are left
        out (keeping at least the ``keep`` rarest tokens)."""
        if floor <= 0 or len(tokens) <= keep:
            return tokens
        idf = {t: self.stats.idf_of(stem(t)) for t in tokens}
        kept = tuple(t for t in tokens if idf[t] >= floor)
        if len(kept) >= keep:
            return kept
        return tuple(sorted(tokens, key=lambda t: -idf[t])[:keep])

    def _oov(self, parsed: ParsedQuery, expansions: tuple[str, ...], translated: frozenset[str]) -> float:
        """Share of the query's content terms that never occur in the corpus (an everyday word
        or acronym we can translate, ``translated``, does not count as unknown)."""
        if not parsed.terms:
            return 0.0
        known = {stem(w) for a in expansions for w in words(a)} | translated
        unknown = [t for t in parsed.terms if t not in self.stats.idf and t not in known]
        return len(unknown) / len(parsed.terms)

    def _guess_acronym(self, token: str) -> str | None:
        """The long form the reports spell out for an acronym they never use (cached; each guess
        scans the reports' text once)."""
        low = token.lower()
        if not self.config.min_unknown_length <= len(low) <= self.config.max_acronym_length:
            return None
        with self._lock:
            if low in self._guesses:
                return self._guesses[low]
        guess = guess_long_form(low, self._texts, self._heads) \
            if self.speller.foreign(low, self.config.min_unknown_length) else None
        with self._lock:
            if len(self._guesses) >= self.config.guess_cache_size:
                self._guesses.clear()
            self._guesses[low] = guess
        return guess
