"""Query expansion with the acronyms mined from the corpus, both ways:
'SHPO' → 'sexual harm prevention order', 'child abduction warning notice' → 'CAWN'.

Users also type acronyms the reports never use, for things the reports spell out ('PSPO' for
'public space protection orders'). ``guess_long_form`` finds such a phrase by its initials."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reportqa.text import content_words, words

NEXT_CAPITAL = re.compile(r" +(?:of |and |the )?[A-Z]")
# Small words an acronym usually skips ("National Society for the Prevention of Cruelty to Children").
SMALL_WORDS = ("of", "the", "and", "for", "to", "in", "into", "on", "with", "&")
SKIPPED = r"(?:(?:" + "|".join(SMALL_WORDS) + r")\s+)?"


@dataclass(frozen=True)
class Expansion:
    """One expansion applied to a query: the text added, and which acronym it came from."""

    short: str
    long: str
    added: str  # the text added to the query (a long form, or a short form)


class AcronymExpander:
    """Finds acronyms and their long forms in queries.

    A lower-case token like 'cawn' counts as an acronym only when the corpus never uses it
    as an ordinary lower-case word (so 'set' or 'gain' are not expanded unless typed in capitals).
    """

    def __init__(self, acronyms: list[tuple[str, str, int]], lowercase_vocab: set[str],
                 guess: Callable[[str], str | None] | None = None, max_guesses: int = 3) -> None:
        self.max_guesses = max_guesses  # per query: each guess scans the reports' text
        self.longs: dict[str, list[str]] = {}
        self.short_display: dict[str, str] = {}
        self.by_long: list[tuple[tuple[str, ...], str, str]] = []
        for short, long, count in acronyms:
            key = short.lower()
            self.short_display.setdefault(key, short)
            terms = tuple(content_words(long))
            if len(terms) >= 2:
                self.by_long.append((terms, short, long))
            if not count:  # a curated long form (corpus/glossary.toml) the reports never write: one way only,
                continue  # 'closed-circuit television' finds 'CCTV', but 'UK' adds no 'United Kingdom'
            self.longs.setdefault(key, [])
            if long.lower() not in (x.lower() for x in self.longs[key]):
                self.longs[key].append(long)
        self.lowercase_vocab = lowercase_vocab
        self.guess = guess  # long form of an acronym the corpus never uses, or None

    def _short_key(self, token: str, raw_tokens: set[str]) -> str | None:
        low = token.lower()
        for key in [low] + ([low[:-1]] if low.endswith("s") else []):
            if key not in self.longs:
                continue
            typed_upper = any(t.lower() in (key, key + "s") and t.rstrip("s").isupper() for t in raw_tokens)
            if typed_upper or (len(key) >= 3 and key not in self.lowercase_vocab):
                return key
        return None

    def expand(self, query: str) -> list[Expansion]:
        """Expansions for ``query``: long forms of acronyms it uses, short forms of long forms
        it spells out. Each acronym is expanded once."""
        raw_tokens = {w.strip(".,;:!?()'\"“”‘’[]") for w in query.split()}
        out: list[Expansion] = []
        seen: set[str] = set()
        guesses = 0
        for token in words(query):
            key = self._short_key(token, raw_tokens)
            if key and key not in seen:
                seen.add(key)
                for long in self.longs[key]:
                    out.append(Expansion(self.short_display[key], long, long))
            elif (not key and self.guess is not None and guesses < self.max_guesses and token not in seen
                  and token.isalpha() and token not in self.lowercase_vocab):
                guesses += 1
                long = self.guess(token)
                if long:
                    seen.add(token)
                    out.append(Expansion(token.upper(), long, long))
        terms = content_words(query)
        joined = " " + " ".join(terms) + " "
        for long_terms, short, long in self.by_long:
            if short.lower() in seen:
                continue
            if " " + " ".join(long_terms) + " " in joined:
                seen.add(short.lower())
                out.append(Expansion(short, long, short))
        return out


def long_form_heads(acronyms: Iterable[tuple[str, str, int]]) -> set[str]:
    """The (stemmed) last words of the corpus's own acronym long forms: 'order', 'notice',
    'scheme', 'service'… — what a named thing in these reports ends with."""
    return {terms[-1] for _, long, _ in acronyms if (terms := content_words(long))}


def guess_long_form(acronym: str, texts: Iterable[str], heads: set[str], min_length: int = 4) -> str | None:
    """The phrase of ``texts`` whose word initials spell ``acronym`` ('pspos' → 'Public space
    protection orders'), when one phrase clearly wins; None otherwise.

    A phrase counts when it is shaped like a named thing: written in title case, or one word per
    letter ending in one of ``heads`` (see ``long_form_heads``). Acronyms shorter than
    ``min_length`` letters match too many ordinary phrases, so they need title case.
    """
    letters = acronym.lower()
    if not letters.isalpha() or len(letters) < 3:
        return None
    if len(letters) > min_length and letters.endswith("s"):  # 'pspos': try the plural, then the singular
        return (guess_long_form(letters, texts, heads, min_length + 1)
                or guess_long_form(letters[:-1], texts, heads, min_length))
    body = (r"\s+" + SKIPPED).join(rf"{c}[\w'’-]*" for c in letters)
    pattern = re.compile(rf"\b{body}\b", re.IGNORECASE)
    counts: Counter = Counter()  # phrase → 1000 × times written with a capital first + times written
    shown: dict[tuple[str, ...], Counter] = {}
    for text in texts:
        for m in pattern.finditer(text):
            phrase = " ".join(m.group().split())
            key = tuple(content_words(phrase))
            title_case = all(w[0].isupper() for w in phrase.split() if w.lower() not in SMALL_WORDS)
            plain = len(phrase.split()) == len(letters)  # no skipped small words ('providers in order')
            named = title_case or (plain and len(letters) >= min_length and key and key[-1] in heads)
            continues = NEXT_CAPITAL.match(text, m.end())  # 'Situational Prevention of Organised' Crime
            if not named or continues or len(key) < len(letters) or words(phrase)[0] != key[0]:
                continue
            counts[key] += 1_000 * phrase[0].isupper() + 1
            shown.setdefault(key, Counter())[phrase] += 1
    if not counts:
        return None
    ranked = counts.most_common(2)
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
        return None
    return shown[ranked[0][0]].most_common(1)[0][0]
