"""Mine (short form, long form) pairs from report text, Schwartz–Hearst style.

Handles 'child abduction warning notices (CAWNs)' (plural short forms are singularised with
their long form), 'sexual risk orders and sexual harm prevention orders (SROs and SHPOs)'
(paired lists), and the bracketed gloss used in quotations, 'PPU [Police Protection Unit]'.
Reference: A. Schwartz and M. Hearst, "A simple algorithm for identifying abbreviation
definitions in biomedical text", PSB 2003.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from reportqa.text import STOPWORDS

SHORT_RE = r"[A-Z][A-Za-z0-9&/-]{1,9}"
PAREN_RE = re.compile(rf"\(\s*({SHORT_RE}(?:\s+and\s+{SHORT_RE})?)\s*\)")
GLOSS_RE = re.compile(rf"\b({SHORT_RE})\s+\[([^\]\[]{{3,80}})\]")
LINKING_WORDS = frozenset({"of", "and", "for", "to", "on", "in", "the", "&"})  # skipped, or inside a long form
SENTENCE_BREAK = re.compile(r"[.;:!?]['’\"”]*\s|[()\[\]\"“”]|\n|–")


@dataclass(frozen=True)
class Acronym:
    """A short form, one long form for it, and how often the pair was seen."""

    short: str
    long: str
    count: int


def is_short_form(token: str) -> bool:
    """Looks like an acronym: starts with a capital, mostly capitals, 2-10 characters."""
    core = token[:-1] if token.endswith("s") and token[:-1].isupper() else token
    capitals = sum(1 for ch in core if ch.isupper())
    return 2 <= len(core) <= 10 and capitals >= 2 and capitals >= 0.6 * sum(ch.isalpha() for ch in core)


QUOTES = "‘’'\"“”"  # a long form in quotation marks: 'Families and … Exploitation' (FCASE)


def best_long_form(short: str, candidate: str) -> str | None:
    """The shortest tail of ``candidate`` whose letters spell ``short`` (Schwartz–Hearst).

    Every character of the short form must be found, right to left, in the candidate, and
    the first one at the start of a word.
    """
    s_idx = len(short) - 1
    l_idx = len(candidate) - 1
    while s_idx >= 0:
        ch = short[s_idx].lower()
        if not ch.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            candidate[l_idx].lower() != ch or (s_idx == 0 and l_idx > 0 and candidate[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start = candidate.rfind(" ", 0, l_idx + 1) + 1
    return _extended(short, candidate[:start].split(), candidate[start:].strip()).strip(QUOTES)


def _content_words(text: str) -> list[str]:
    return [w for w in text.split() if w.lower() not in LINKING_WORDS and w.lower() != "into"]


def _extended(short: str, before: list[str], long: str) -> str:
    """``long`` grown leftwards over the words just ``before`` it while each one starts with a
    letter of ``short`` and there are no more content words than letters: 'Independent' + 'Inquiry
    into Child Sexual Abuse' (IICSA), 'police' + 'powers of protection' (PPO). The shortest match
    of Schwartz–Hearst stops at the first word that can start the acronym; the longest form whose
    initials the acronym covers is the one the report wrote. 'common child sexual exploitation'
    (CSE) has four content words for three letters, so it stays 'child sexual exploitation'."""
    letters = {c.lower() for c in short if c.isalpha()}
    width = sum(c.isalpha() for c in short)
    while before:
        word = before[-1]
        if not word[:1].isalpha() or word.lower() in LINKING_WORDS or word[0].lower() not in letters \
                or len(_content_words(long)) + 1 > width:
            break
        long = f"{before.pop()} {long}"
    return long


def _window(text_before: str, short: str) -> str:
    """The words before a '(' that may hold the long form: same clause, at most
    min(|A| + 5, 2|A|) words."""
    pieces = SENTENCE_BREAK.split(text_before)
    clause = pieces[-1] if pieces else text_before
    limit = min(len(short) + 5, 2 * len(short))
    return " ".join(clause.split()[-limit:])


def _singular(short: str, long: str) -> tuple[str, str]:
    """'CAWNs', 'child abduction warning notices' → 'CAWN', 'child abduction warning notice'."""
    if short.endswith("s") and short[:-1].isupper():
        short = short[:-1]
        words = long.split()
        last = words[-1]
        if last.lower().endswith("ies"):
            words[-1] = last[:-3] + "y"
        elif last.lower().endswith("s") and not last.lower().endswith("ss"):
            words[-1] = last[:-1]
        long = " ".join(words)
    return short, long


def _accept(short: str, long: str | None) -> bool:
    if not long:
        return False
    words = long.split()
    return (len(words) >= 2 and not re.search(r"[.!?\"“”]", long) and len(long) > len(short)
            and long.lower() != short.lower()
            and words[0][0].lower() == short[0].lower() and not any(w.isupper() and len(w) > 1 and
                                                                     w == short for w in words))


def _pairs_in(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for match in PAREN_RE.finditer(text):
        shorts = [s.strip() for s in re.split(r"\s+and\s+", match.group(1))]
        if not all(is_short_form(s) for s in shorts):
            continue
        before = text[: match.start()]
        if len(shorts) == 1:
            window = _window(before, shorts[0])
            long = best_long_form(shorts[0].rstrip("s") if shorts[0][:-1].isupper() else shorts[0], window)
            if _accept(shorts[0], long):
                pairs.append(_singular(shorts[0], long))  # type: ignore[arg-type]
            continue
        window = _window(before, "".join(shorts))
        longs = window.split(" and ")
        for short, long_candidate in zip(shorts, longs[-len(shorts):]):
            long = best_long_form(short.rstrip("s") if short[:-1].isupper() else short, long_candidate)
            if _accept(short, long):
                pairs.append(_singular(short, long))  # type: ignore[arg-type]
    for match in GLOSS_RE.finditer(text):
        short, gloss = match.group(1), match.group(2).strip()
        gloss = re.sub(r"^(?:the|a|an)\s+", "", gloss, flags=re.IGNORECASE)
        if not is_short_form(short):
            continue
        long = best_long_form(short.rstrip("s") if short[:-1].isupper() else short, gloss)
        if _accept(short, long) and long and len(long) >= 0.6 * len(gloss):
            pairs.append(_singular(short, long))
    return pairs


def mine_acronyms(texts: list[str]) -> list[Acronym]:
    """Acronym pairs across ``texts``, merged case-insensitively on the long form, most
    frequent first. A short form may have several long forms ('PPO')."""
    counts: Counter[tuple[str, str]] = Counter()
    display: dict[tuple[str, str], str] = {}
    for text in texts:
        for short, long in _pairs_in(text):
            key = (short, " ".join(long.lower().split()))
            counts[key] += 1
            display.setdefault(key, " ".join(long.split()))
    # 'Sexual Harm Prevention Orders' joins 'sexual harm prevention order' when both were seen.
    for (short, low) in list(counts):
        singular = (short, low[:-1])
        if low.endswith("s") and singular in counts and (short, low) in counts:
            counts[singular] += counts.pop((short, low))
    return [Acronym(short, display[(short, low)], n)
            for (short, low), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


# --- the glossary: every acronym the reports use, with its long form --------------------------
# An acronym used in running text ('CSE'), or with a plural 's' ('CAWNs'); heading lines written
# in capitals are skipped.
ACRONYM_TOKEN = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9&]{1,9})(?![\w-])")


@dataclass(frozen=True)
class GlossaryEntry:
    """One acronym of the glossary: its long forms, how many times the reports use it, and where
    the long forms come from: 'defined' ("child abduction warning notices (CAWNs)"), 'spelled
    out' (a phrase of the reports whose initials spell it, when they never define it), 'speaker
    code' (the survey's (FL), (SL), (DG)), 'curated' (corpus/glossary.toml, for an acronym the
    reports never spell out: 'CCTV'), or '' when none of these gives one."""

    short: str
    longs: tuple[str, ...]
    uses: int
    source: str = ""


def _capitals_line(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(line.split()) > 2 and bool(letters) and sum(ch.isupper() for ch in letters) > 0.6 * len(letters)


def acronym_uses(texts: list[str]) -> Counter[str]:
    """How many times each acronym occurs in running text ('CAWNs' counts for 'CAWN')."""
    uses: Counter[str] = Counter()
    for text in texts:
        for line in text.split("\n"):
            if _capitals_line(line):
                continue
            for match in ACRONYM_TOKEN.finditer(line):
                token = match.group(1)
                if is_short_form(token):
                    uses[token[:-1] if token.endswith("s") and token[:-1].isupper() else token] += 1
    return uses


def spelled_out(short: str, texts: list[str], min_letters: int = 3) -> str | None:
    """The phrase of ``texts`` whose words' initials spell ``short`` ('CSE' → 'child sexual
    exploitation'), when one phrase clearly wins: written at least twice, and at least twice as
    often as any other. Each letter's word is a content word, except linking words ('of', 'and')
    inside the phrase; plurals count with their singular. Acronyms shorter than ``min_letters``
    match too many ordinary phrases and get None."""
    letters = [c for c in short.lower() if c.isalpha()]
    if len(letters) < min_letters:
        return None
    skip = r"(?:(?:" + "|".join(re.escape(w) for w in sorted(LINKING_WORDS)) + r")\s+)?"
    pattern = re.compile(r"(?<![\w-])" + (r"[ \t]+" + skip).join(rf"{c}[\w'’-]*" for c in letters) + r"(?![\w-])",
                         re.IGNORECASE)
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    for text in texts:
        for match in pattern.finditer(text):
            phrase = " ".join(match.group().split())
            parts = phrase.lower().split()
            if parts[0] in STOPWORDS or parts[-1] in STOPWORDS or any(
                    p in STOPWORDS and p not in LINKING_WORDS for p in parts):
                continue
            key = " ".join(parts[:-1] + [re.sub(r"(?<!s)s$|’s$|'s$", "", parts[-1])])
            counts[key] += 1
            shown.setdefault(key, Counter())[phrase] += 1
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]):
        return None
    # the singular as written, lower case unless the reports capitalise it every time
    forms = shown[ranked[0][0]]
    singular = [f for f in forms if " ".join(f.lower().split()) == ranked[0][0]]
    best = max(singular or forms, key=lambda f: (forms[f], f.islower()))
    return best if all(not f.islower() for f in forms) else best.lower()


def build_glossary(texts: list[str], mined: list[tuple[str, str, int]], min_uses: int = 3,
                   codes: dict[str, str] | None = None) -> list[GlossaryEntry]:
    """Every acronym the reports define, and every one they use at least ``min_uses`` times, with
    its long forms: as defined; else spelled out elsewhere in the reports; else from ``codes``
    (the survey's speaker codes). Sorted by acronym."""
    uses = acronym_uses(texts)
    defined: dict[str, list[str]] = {}
    display: dict[str, str] = {}
    seen_defined: set[str] = set()  # a count of 0: a curated long form (corpus/glossary.toml), not the reports'
    for short, long, count in mined:
        key = short.lower()
        display.setdefault(key, short)
        longs = defined.setdefault(key, [])
        if count:
            seen_defined.add(key)
        if long.lower() not in (x.lower() for x in longs):
            longs.append(long)
    by_key: dict[str, int] = Counter()
    for token, n in uses.items():
        by_key[token.lower()] += n
        display.setdefault(token.lower(), token)
    entries = []
    for key in sorted(set(defined) | {k for k, n in by_key.items() if n >= min_uses}):
        short = display[key]
        if key in defined:
            entries.append(GlossaryEntry(short, tuple(defined[key]), by_key.get(key, 0),
                                         "defined" if key in seen_defined else "curated"))
        elif codes and short in codes:
            entries.append(GlossaryEntry(short, (codes[short],), by_key[key], "speaker code"))
        elif long := spelled_out(short, texts):
            entries.append(GlossaryEntry(short, (long,), by_key[key], "spelled out"))
        else:
            entries.append(GlossaryEntry(short, (), by_key[key]))
    return sorted(entries, key=lambda e: e.short.lower())
