"""Correct misspelt query words against the reports' own vocabulary ("actualy", "accomodation").

Frontline staff type fast, often on a phone. A misspelt word matches nothing in bm25, splits into
odd word pieces for the embedding model, and counts as unknown to the corpus, which pushes
towards abstaining. A word is corrected only when

- the reports never use it, nor another form of it ("keeps" is fine when they say "keep");
- it is not an ordinary English word ("booked", "hostels", "remand" are left alone): the English
  dictionary of the ``pyspellchecker`` package (160,000 words) and the whole words of the
  embedding model's vocabulary serve as the dictionary;
- it is not in the everyday-word table;
- a single edit (a letter dropped, added, changed or two swapped) turns it into a word the
  reports use repeatedly. The most frequent such word wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from reportqa.text import STOPWORDS, stem

LETTERS = "abcdefghijklmnopqrstuvwxyz"
MIN_LENGTH = 5  # shorter words have too many one-edit neighbours to guess safely
MIN_COUNT = 2
WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + transposes + replaces + inserts)


@lru_cache(maxsize=1)
def english_dictionary():
    """pyspellchecker's English word list (loaded once per process; about 0.5 s and 35 MB)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def english_lexicon(is_model_word: Callable[[str], bool]) -> Callable[[str], bool]:
    """A test for ordinary English words: in the dictionary, or a whole word of the model."""
    dictionary = english_dictionary()
    return lambda word: word in dictionary or is_model_word(word)


class SpellingCorrector:
    """Maps words unknown to the corpus to their likeliest corpus spelling."""

    def __init__(self, counts: Counter, is_english: Callable[[str], bool],
                 protected: set[str] | None = None) -> None:
        self.counts = counts
        self.stems = {stem(w) for w in counts}
        self.is_english = is_english
        self.protected = protected or set()

    def correct(self, word: str) -> str | None:
        """The corpus word ``word`` is probably a misspelling of, or None."""
        low = word.lower()
        if (len(low) < MIN_LENGTH or not low.isalpha() or low in self.counts or stem(low) in self.stems
                or low in STOPWORDS or low in self.protected or self.is_english(low)):
            return None
        candidates = [(self.counts[c], c) for c in one_edit(low) if self.counts.get(c, 0) >= MIN_COUNT]
        if not candidates:
            return None
        return max(sorted(candidates, key=lambda item: item[1]), key=lambda item: item[0])[1]

    def fix(self, query: str) -> tuple[str, dict[str, str]]:
        """``query`` with misspelt words replaced (quoted phrases are left as typed), and the
        corrections made."""
        if '"' in query:
            return query, {}
        corrections: dict[str, str] = {}

        def replace(m: re.Match) -> str:
            fixed = self.correct(m.group())
            if fixed is None:
                return m.group()
            corrections[m.group()] = fixed
            return fixed

        return WORD_RE.sub(replace, query), corrections
