"""What a question pins its answer to, and whether the best passages satisfy it.

Tempting unanswerable questions share the reports' vocabulary ("How many CAWNs did Kent Police
issue?"), so similarity and term coverage cannot tell them apart from answerable ones. What
gives them away is a *specific* constraint the passages do not meet:

- a **name** (place, force, organisation, operation, acronym) that the best passages never
  mention: "Kent", "MARAC", "Netherlands";
- a **year** they do not mention, or "last year" (the reports cannot know);
- a **count** ("how many arrests…") with no number next to the thing counted in the best
  passages.

The names are recognised with the corpus's own capitalisation: a word the reports write with a
capital in mid-sentence ("Rotherham", "Barnardo's") is a name even when a user types it in
lower case. Acronym equivalents count as a match ("CSE" is met by "child sexual exploitation").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from indexer.sentences import split_sentences
from reportqa.settings import AnalysisConfig
from reportqa.text import NUMBER_WORDS, STOPWORDS, cased_tokens, is_number_token, stem, words

SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;•(\"“‘\n]\s*)$")
# Capitalised in the reports, but naming the document or its parts rather than the answer.
NOT_NAMES = frozenset(
    "report reports review survey scoping appendix table figure section chapter centre csa page source "
    "quote introduction summary conclusion conclusions recommendation recommendations".split()
)
COUNT_RE = re.compile(r"\b(?:how many|number of|what (?:share|proportion|percentage|fraction|number) of)\s+(.+)",
                      re.IGNORECASE)
IRREGULAR_PAST = frozenset(
    "took made came went got gave saw ran told left met sent found held brought thought began kept paid "
    "won lost put set cut let became grew knew spoke wrote chose rose fell stood".split()
)


@dataclass
class NameProfile:
    """How often the corpus uses each word, and how it writes it: capitalised in mid-sentence
    vs lower case."""

    capitalised: Counter = field(default_factory=Counter)
    lower: Counter = field(default_factory=Counter)
    every: Counter = field(default_factory=Counter)  # every occurrence, lower-cased

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> NameProfile:
        profile = cls()
        for text in texts:
            profile.add(text)
        return profile

    def add(self, text: str) -> None:
        """Count the words of one more text."""
        for m in cased_tokens(text):
            token = re.sub(r"['’]s$", "", m.group())  # "Barnardo's" counts as "Barnardo", as in queries
            self.every[token.lower()] += 1
            if token[0].islower():
                self.lower[token.lower()] += 1
            elif not SENTENCE_START_RE.search(text[max(0, m.start() - 3):m.start()]):
                self.capitalised[token.lower()] += 1

    @property
    def lowercase_vocab(self) -> set[str]:
        return set(self.lower)

    def is_name(self, word: str) -> bool:
        """True when the reports mostly write ``word`` with a capital in mid-sentence."""
        caps = self.capitalised.get(word, 0)
        return caps >= 2 and caps > 2 * self.lower.get(word, 0)


def named_terms(query: str, profile: NameProfile, unknown: Callable[[str], bool] | None = None) -> list[str]:
    """The lower-cased names in ``query``: words the corpus treats as names, acronyms typed in
    capitals, capitalised words in mid-query the corpus never writes in lower case, and words
    for which ``unknown`` is true (not English and never in the reports: "stovewood", "dvpo")."""
    out: list[str] = []
    for m in cased_tokens(query):
        token = m.group().replace("’", "'")
        low = token.lower()
        if low.endswith("'s"):
            low = low[:-2]
        if low in STOPWORDS or low in NOT_NAMES or len(low) < 2:
            continue
        # two letters ("ID", "DI") are too ambiguous to be names unless the corpus treats them as one
        acronym = len(low) >= 3 and token.rstrip("s").isupper()
        mid_capital = (len(low) >= 3 and token[0].isupper() and m.start() > 0
                       and not SENTENCE_START_RE.search(query[max(0, m.start() - 3):m.start()])
                       and low not in profile.lower)
        if (profile.is_name(low) or acronym or mid_capital or (unknown is not None and unknown(low))) \
                and low not in out:
            out.append(low)
    return out


def _used(name: str, profile: NameProfile) -> bool:
    """True when the reports use ``name``, or it is a report word with an 's' typed without its
    apostrophe ("Europols", "West Yorkshires")."""
    return name in profile.every or (name.endswith("s") and name[:-1] in profile.every)


def missing_names(names: list[str], texts: list[str], equivalents: dict[str, list[str]]) -> list[str]:
    """The names that none of ``texts`` mentions, directly or by an equivalent phrase (an
    acronym's long form, or the acronym of a long form)."""
    present = {stem(w) for t in texts for w in words(t)}
    joined = " " + " ".join(w for t in texts for w in words(t)) + " "
    out = []
    for name in names:
        if stem(name) in present:
            continue
        if any(" " + " ".join(words(e)) + " " in joined for e in equivalents.get(name, [])):
            continue
        out.append(name)
    return out


# "How many people…" counts whatever the passage counts ("individuals", "respondents", "children"):
# a word that only says "people" does not pin the answer down.
GENERIC_COUNTED = frozenset("people persons person individuals individual ones folk".split())


def count_focus(query: str, max_words: int) -> list[str]:
    """For a counting question ("how many arrests…", "what proportion of respondents…"), the
    stemmed words naming what is counted; empty for other questions, and for a generic count
    ("how many people…")."""
    m = COUNT_RE.search(query)
    if not m:
        return []
    focus: list[str] = []
    if words(m.group(1))[:1] and words(m.group(1))[0] in GENERIC_COUNTED:
        return []
    for w in words(m.group(1)):
        if w in STOPWORDS or len(w) < 2 or _past_tense(w):
            if focus:
                break  # what is counted ends at the verb: "how many forces | took part"
            continue
        focus.append(stem(w))
        if len(focus) == max_words:
            break
    return focus


def _past_tense(word: str) -> bool:
    return word in IRREGULAR_PAST or (len(word) >= 4 and word.endswith("ed") and not word.endswith("eed"))


def count_met(focus: list[str], texts: list[str], window: int) -> bool:
    """True when some passage names everything counted and has a number within a few words of
    it in one sentence (always true when the question counts nothing)."""
    if not focus:
        return True
    wanted = set(focus)
    for text in texts:
        if not wanted <= {stem(w) for w in words(text)}:
            continue  # "how many sexual risk orders": a passage on sexual abuse figures does not count
        lines = text.splitlines()  # a table's rows are lines
        for sentence in (line[s:e] for line in lines for s, e in split_sentences(line)):
            tokens = words(sentence)
            numbers = [i for i, w in enumerate(tokens) if is_number_token(w) or w in NUMBER_WORDS]
            places = [i for i, w in enumerate(tokens) if stem(w) in wanted]
            if any(abs(a - b) <= window for a in numbers for b in places):
                return True
    return False


YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b|\b(?:last|this|next) year\b", re.IGNORECASE)
# "(Home Office, 2018)", "(Beckett et al., 2017a; Allnock, 2019)": when a source was published,
# not what happened that year.
CITATION_RE = re.compile(r"\([^()]*\b(?:19|20)\d{2}[a-z]?\)")


@dataclass(frozen=True)
class ConstraintSignals:
    """The constraint check as the answer decision's signals (``retriever.schema.Signals`` fields)."""

    missing_names: float  # names of the query the top passages never mention
    year_match: float  # 1.0 when every year the query asks about is in the top passages
    count_met: float  # 1.0 when a counting question finds a figure next to what it counts


@dataclass(frozen=True)
class ConstraintCheck:
    """Which of a query's constraints the best passages leave unmet."""

    missing_names: tuple[str, ...] = ()
    missing_years: tuple[str, ...] = ()
    uncounted: tuple[str, ...] = ()  # what a counting question counts, when no number stands next to it
    nowhere: tuple[str, ...] = ()  # the missing names the reports never use at all

    def signals(self) -> ConstraintSignals:
        return ConstraintSignals(missing_names=float(len(self.missing_names)),
                                 year_match=float(not self.missing_years),
                                 count_met=float(not self.uncounted))

    @property
    def met(self) -> bool:
        return not (self.missing_names or self.missing_years or self.uncounted)

    def reasons(self) -> list[str]:
        """Plain-language reasons, for the person asking."""
        out = []
        nowhere = [n for n in self.missing_names if n in self.nowhere]
        elsewhere = [n for n in self.missing_names if n not in self.nowhere]
        if nowhere:
            out.append("The reports never mention " + quoted(nowhere) + ".")
        if elsewhere:
            out.append("The closest passages never mention " + quoted(elsewhere) + ".")
        relative = [y for y in self.missing_years if not y[0].isdigit()]
        absolute = [y for y in self.missing_years if y[0].isdigit()]
        if absolute:
            out.append("The closest passages say nothing about " + quoted(absolute) + ".")
        if relative:
            out.append("The reports cannot say what happened " + quoted(relative) + ".")
        if self.uncounted:
            out.append("The closest passages give no figure for " + quoted([" ".join(self.uncounted)]) + ".")
        return out


@dataclass(frozen=True)
class Constraints:
    """The constraints of one query: names (with equivalent phrases), years, and what it counts."""

    names: tuple[str, ...] = ()
    equivalents: dict[str, list[str]] = field(default_factory=dict)
    years: tuple[str, ...] = ()
    focus: tuple[str, ...] = ()
    typed: dict[str, str] = field(default_factory=dict)  # name → as the user typed it
    nowhere: tuple[str, ...] = ()  # names the reports never use, nor any equivalent of them

    @classmethod
    def of(cls, query: str, profile: NameProfile, equivalent_pairs: list[tuple[str, str]],
           config: AnalysisConfig, unknown: Callable[[str], bool] | None = None,
           corrections: dict[str, str] | None = None) -> Constraints:
        """The constraints of ``query``; ``equivalent_pairs`` are (short, long) forms the query
        uses, from the acronym and everyday-word tables; ``unknown`` marks words that must be
        names (see ``named_terms``)."""
        names = tuple(named_terms(query, profile, unknown))
        equivalents: dict[str, list[str]] = {}
        for short, long in equivalent_pairs:
            for name in names:
                if name in words(short) or name.rstrip("s") in words(short) or name in words(long):
                    equivalents.setdefault(name, []).extend((short, long))
        years = tuple(dict.fromkeys(m.group().lower() for m in YEAR_RE.finditer(query)))
        typed = {}
        for m in cased_tokens(query):
            token = re.sub(r"['’]s$", "", m.group())
            typed.setdefault(token.lower(), token)
        for written, fixed in (corrections or {}).items():  # a reason names what the user wrote
            typed[fixed.lower()] = written
        nowhere = tuple(n for n in names if n not in equivalents and not _used(n, profile))
        return cls(names, equivalents, years, tuple(count_focus(query, config.count_focus_words)), typed, nowhere)

    def check(self, texts: list[str], number_window: int) -> ConstraintCheck:
        """Which constraints ``texts`` leave unmet; a count is met by a figure within ``number_window``
        words of what it counts."""
        joined = CITATION_RE.sub(" ", " ".join(texts))
        return ConstraintCheck(
            tuple(self.typed.get(n, n) for n in missing_names(list(self.names), texts, self.equivalents)),
            tuple(y for y in self.years if not (y[0].isdigit() and y in joined)),
            () if count_met(list(self.focus), texts, number_window) else self.focus,
            tuple(self.typed.get(n, n) for n in self.nowhere),
        )


def quoted(items, limit: int = 4) -> str:
    """Items in curly quotes, joined with commas and 'or' (at most ``limit``, then a count)."""
    items = [f"“{i}”" for i in items]
    if len(items) > limit:
        more = len(items) - limit
        return ", ".join(items[:limit]) + f" or {more} other word{'s' if more > 1 else ''}"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
