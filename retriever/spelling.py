"""Correct misspelt query words against the reports' own vocabulary ("actualy", "accomodation").

Frontline staff type fast, often on a phone. A misspelt word matches nothing in bm25, splits into
odd word pieces for the embedding model, and counts as unknown to the corpus, which pushes
towards abstaining. A word is corrected only when

- the reports never use it, nor another form of it ("keeps" is fine when they say "keep");
- it is not an ordinary English word ("booked", "hostels", "remand" are left alone): the English
  dictionary of the ``pyspellchecker`` package (160,000 words) and the whole words of the
  embedding model's vocabulary serve as the dictionary;
- it is not in the everyday-word table, which holds police shorthand and slang too ("misper",
  "scran", "vapes"): those are words, not typos;
- a single edit that people actually make when typing turns it into a word the reports use
  repeatedly: a letter dropped, doubled or added, two letters swapped, or a letter changed for a
  neighbouring key or a sound-alike ("notise" → "notice"). A change to an unrelated letter is not a
  confident correction ("misper" is not "mister", "vapes" not "tapes"), so it is left alone. The
  likeliest kind of edit wins, then the most frequent word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from reportqa.settings import AnalysisConfig
from reportqa.text import CASED_TOKEN_RE, STOPWORDS, stem

LETTERS = "abcdefghijklmnopqrstuvwxyz"
KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
ROW_OFFSETS = (0.0, 0.25, 0.75)  # how far each keyboard row is shifted right
SOUND_ALIKE = (set("aeiouy"), set("scz"), set("ck"), set("gj"), set("mn"))
KEY_POSITION = {ch: (row, i + ROW_OFFSETS[row]) for row, keys in enumerate(KEY_ROWS) for i, ch in enumerate(keys)}
ENGLISH_LIKELIHOOD = 4  # see typo_likelihood


def neighbouring_keys(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are next to each other on a QWERTY keyboard."""
    if a not in KEY_POSITION or b not in KEY_POSITION:
        return False
    (ra, xa), (rb, xb) = KEY_POSITION[a], KEY_POSITION[b]
    return abs(ra - rb) <= 1 and abs(xa - xb) <= 1.0


def typo_likelihood(typed: str, word: str) -> int:
    """How likely ``typed`` is a typo of ``word``, one edit away: 4 for two letters swapped or a
    doubled letter typed once or twice too often; 3 for another letter dropped or added (not the
    first: people seldom miss the first letter); 2 for a neighbouring key; 1 for a sound-alike
    letter; 0 otherwise (no confident correction)."""
    if len(typed) != len(word):
        longer, shorter = (typed, word) if len(typed) > len(word) else (word, typed)
        at = next((i for i, (a, b) in enumerate(zip(longer, shorter)) if a != b), len(shorter))
        if (at > 0 and longer[at] == longer[at - 1]) or (at + 1 < len(longer) and longer[at] == longer[at + 1]):
            return 4
        return 3 if at > 0 else 0
    diff = [i for i, (a, b) in enumerate(zip(typed, word)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        return 4
    if len(diff) != 1:
        return 0
    a, b = typed[diff[0]], word[diff[0]]
    if neighbouring_keys(a, b):
        return 2
    return 1 if any(a in group and b in group for group in SOUND_ALIKE) else 0


def trigrams(word: str) -> set[str]:
    """The letter trigrams of ``word``, with its start and end marked: 'cawn' → #ca caw awn wn#."""
    padded = f"#{word}#"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


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

    def __init__(self, counts: Counter, is_english: Callable[[str], bool], config: AnalysisConfig,
                 protected: set[str] | None = None) -> None:
        self.config = config
        self.counts = counts
        self.stem_counts: Counter = Counter()  # uses of each stem: 'letter' counts the reports' 'letters'
        for w, n in counts.items():
            self.stem_counts[stem(w)] += n
        self.stems = set(self.stem_counts)
        self.is_english = is_english
        self.protected = protected or set()
        self.by_trigram: dict[str, list[str]] = {}
        self.trigram_counts: dict[str, int] = {}
        self.by_shape: dict[tuple[str, int], list[tuple[str, Counter]]] = {}  # (first letter, length)
        for w in counts:
            if len(w) >= self.config.spelling_min_length and w.isalpha():
                grams = trigrams(w)
                self.trigram_counts[w] = len(grams)
                for g in grams:
                    self.by_trigram.setdefault(g, []).append(w)
                self.by_shape.setdefault((w[0], len(w)), []).append((w, Counter(w)))

    def correct(self, word: str) -> str | None:
        """The word ``word`` is probably a misspelling of, or None: a word the reports use, one
        likely typing edit away, or an English word another form of which they use ("leter" → "letter":
        they say "letters"; the likeliest edit, then the most used); failing that, for
        a word typed in lower case (a capital suggests a name), an ordinary English word one likely
        edit away ("hagning" → "hanging"), so the model reads a word it knows."""
        if not self.foreign(word, self.config.spelling_min_length):
            return None
        low = word.lower()
        least = self.config.spelling_min_count
        candidates = [(typo_likelihood(low, c), self.stem_counts[stem(c)], c) for c in one_edit(low)
                      if self.stem_counts.get(stem(c), 0) >= least and (c in self.counts or self.is_english(c))]
        candidates = [c for c in candidates if c[0] > 0]
        if candidates:
            return max(sorted(candidates, key=lambda item: item[2]), key=lambda item: item[:2])[2]
        dictionary = english_dictionary()
        if word != low or low in dictionary:
            return None
        # towards English only on the likeliest typos (letters swapped, a doubled letter): the word is
        # not the reports', so a looser guess ("misper" → "miser") would only change the question
        english = [(dictionary.word_usage_frequency(c), c) for c in dictionary.known(one_edit(low))
                   if typo_likelihood(low, c) >= ENGLISH_LIKELIHOOD]
        return max(sorted(english, key=lambda item: item[1]), key=lambda item: item[0])[1] if english else None

    def foreign(self, word: str, min_length: int = 4) -> bool:
        """True for a word of at least ``min_length`` letters that the reports never use in any
        form and that is not ordinary English or an everyday word the tool translates."""
        low = word.lower()
        return not (len(low) < min_length or not low.isalpha() or low in STOPWORDS or low in self.counts
                    or stem(low) in self.stems or low in self.protected or self.is_english(low))

    def is_unknown(self, word: str, min_length: int = 4) -> bool:
        """True for a ``foreign`` word that is not one edit from an English or report word either,
        nor resembles a report word (then it is more likely a typo the corrector could not place,
        such as "webbsite" or "accomodatino"): most likely a name ("stovewood") or an acronym
        ("dvpo") of something the reports do not cover."""
        if not self.foreign(word, min_length):
            return False
        low = word.lower()
        dictionary = english_dictionary()
        if any(c in self.counts or c in dictionary for c in one_edit(low)):
            return False
        return not self.resembles_report_word(low)

    def resembles_report_word(self, word: str, threshold: float | None = None) -> bool:
        """True when ``word`` looks like a mistyped word of the reports: it shares most of a report
        word's letter trigrams (Dice ≥ ``threshold``; catches letters dropped or added, as in
        "accomodatino"), or it has the same first letter, about the same length and nearly the same
        letters (catches letters swapped or doubled, as in "streagic")."""
        threshold = self.config.similar_dice if threshold is None else threshold
        grams = trigrams(word)
        shared: Counter = Counter()
        for g in grams:
            shared.update(self.by_trigram.get(g, ()))
        if any(2 * n / (len(grams) + self.trigram_counts[w]) >= threshold for w, n in shared.items()):
            return True
        letters = Counter(word)
        for length in range(len(word) - 2, len(word) + 3):
            for other, other_letters in self.by_shape.get((word[0], length), ()):
                common = sum((letters & other_letters).values())
                if 2 * common / (len(word) + len(other)) >= self.config.similar_letters:
                    return True
        return False

    def fix(self, query: str) -> tuple[str, dict[str, str]]:
        """``query`` with misspelt words replaced, and the corrections made. Words inside a quoted
        phrase are corrected too: a word the reports never use cannot match exactly anyway."""
        corrections: dict[str, str] = {}

        def replace(m: re.Match) -> str:
            fixed = self.correct(m.group())
            if fixed is None:
                return m.group()
            corrections[m.group()] = fixed
            return fixed

        return CASED_TOKEN_RE.sub(replace, query), corrections
