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

SHORT_RE = r"[A-Z][A-Za-z0-9&/-]{1,9}"
PAREN_RE = re.compile(rf"\(\s*({SHORT_RE}(?:\s+and\s+{SHORT_RE})?)\s*\)")
GLOSS_RE = re.compile(rf"\b({SHORT_RE})\s+\[([^\]\[]{{3,80}})\]")
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
    return candidate[start:].strip()


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
