"""Other names of a measure, added to its card's names and keys at index time (indexer.measures), so
that a card is found, and gathers its passages, under every name the reports or police use for it.

1. **Said in the text.** A name the card already has, followed by "also known as Y", "(also called Y)",
   "known as Y" or "often referred to as Y" ("child abduction warning notices (CAWNs) – also known as
   harbouring notices"), or a sentence opening "Also known as 'Y' or 'Z', <name> …". Y may be quoted
   and may list several names joined by "or".
2. **The reports' headings.** A numbered section heading that names no card, whose section has a
   sub-heading about use or effectiveness (the scoping review's layout: "4.1 Hotel information
   requests" / "Use and effectiveness"), and whose words are mostly those of one card's name:
   ``measure_heading_overlap`` of the heading's words, two at least (hotel, information) → that card
   (hotel guest information notices).
3. **Curated.** ``measure-aliases.toml`` in the corpus folder: names police use that the reports do
   not define ("Sarah's Law"). Each ``[[measure]]`` table has ``name`` (a card's name, as in the
   appendix table, case and plurals ignored) and ``aliases`` (a list of strings).

An alias that is already a name of another card is not added (a name two cards share names neither).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.measures_records import MeasureCard, measure_tokens
from reportqa.records import Passage

MEASURE_ALIASES_NAME = "measure-aliases.toml"
ALIAS_CUE = r"(?:also known as|also called|also referred to as|often referred to as|known as)"
# "<name> (ACR) – also known as Y –", "<name> (also called Y)", "<name>, known as Y,": the cue and the
# names after it; what comes before it, back to the sentence's start, is read by ``_named_before``
# (a pattern that also matched that stretch was tried at every position: quadratic in a sentence's length)
CUE_AFTER_RE = re.compile(r"\b" + ALIAS_CUE + r"\s+(?P<alias>[^.;:()–—]+)", re.IGNORECASE)
CLAUSE_ENDS = ".;:"
# "Also known as 'C5s' or 'letters of concern', suspect warning letters were …"
CUE_FIRST_RE = re.compile(r"(?:^|[.;:]\s+)" + ALIAS_CUE + r"\s+(?P<alias>[^.;:()–—]+?),\s+(?P<after>[^.;:]+)",
                          re.IGNORECASE)
OR_SPLIT_RE = re.compile(r"\s*,\s*|\s+or\s+", re.IGNORECASE)
QUOTES = "'‘’“”\""
HEADING_NUMBER_RE = re.compile(r"^\s*\d+(?:\.\d+)+\s+")  # "4.1 " (a sub-section: one measure each)
USE_HEADING_RE = re.compile(r"\b(?:use|effectiveness|effective)\b", re.IGNORECASE)
MAX_ALIAS_WORDS = 6


class MeasureAliasesError(ValueError):
    """A curated alias file that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class CuratedAliases:
    """The curated aliases of a corpus, by the tokens of the measure name they belong to."""

    by_name: dict[tuple[str, ...], tuple[str, ...]]
    names: dict[tuple[str, ...], str] = field(default_factory=dict)  # the name as written in the file

    def unused(self, cards: Iterable[MeasureCard]) -> list[str]:
        """Names of the file that no card has (a typo in the file, or a measure the reports dropped)."""
        keys = {k for c in cards for k in c.keys}
        return [self.names.get(n, " ".join(n)) for n in self.by_name if n not in keys]


def _base(name: str) -> str:
    return " ".join(re.sub(r"\s*\([^()]*\)", "", name).split())


def load_curated_aliases(path: Path) -> CuratedAliases:
    """The aliases of ``path`` (see the module docstring, 3); none when the file does not exist.
    Raises MeasureAliasesError for a file that is not valid TOML or not of that shape."""
    if not path.is_file():
        return CuratedAliases({})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MeasureAliasesError(f"{path.name}: not valid TOML ({exc})") from exc
    entries = data.get("measure", [])
    if not isinstance(entries, list):
        raise MeasureAliasesError(f"{path.name}: expected [[measure]] tables")
    by_name: dict[tuple[str, ...], tuple[str, ...]] = {}
    names: dict[tuple[str, ...], str] = {}
    for n, entry in enumerate(entries, 1):
        name, aliases = (entry.get("name"), entry.get("aliases")) if isinstance(entry, dict) else (None, None)
        if not isinstance(name, str) or not measure_tokens(name):
            raise MeasureAliasesError(f"{path.name}: [[measure]] {n} has no name")
        if not isinstance(aliases, list) or not all(isinstance(a, str) and measure_tokens(a) for a in aliases):
            raise MeasureAliasesError(f"{path.name}: [[measure]] {n} ({name}): aliases must be a list of names")
        key = tuple(measure_tokens(_base(name)))
        by_name[key] = by_name.get(key, ()) + tuple(" ".join(a.split()) for a in aliases)
        names.setdefault(key, name)
    return CuratedAliases(by_name, names)


def _clean_alias(text: str) -> str:
    words = text.strip().strip(QUOTES).strip().split()
    while words and words[0].lower() in {"a", "an", "the"}:
        words = words[1:]
    return " ".join(words).strip(QUOTES)


def _names(said: str) -> list[str]:
    """The names listed in what follows a cue ("'C5s' or 'letters of concern'")."""
    out = []
    for part in OR_SPLIT_RE.split(said):
        alias = _clean_alias(part)
        if alias and 1 <= len(measure_tokens(alias)) <= MAX_ALIAS_WORDS:
            out.append(alias)
    return out


def _ends_with(tokens: list[str], keys: Iterable[tuple[str, ...]]) -> bool:
    return any(key and tuple(tokens[-len(key):]) == key for key in keys)


def _starts_with(tokens: list[str], keys: Iterable[tuple[str, ...]]) -> bool:
    return any(key and tuple(tokens[:len(key)]) == key for key in keys)


def _named_before(text: str, cue: int) -> str:
    """What names the measure before the cue at ``cue``: the clause up to it, without a dash, comma or
    opening bracket just before the cue, nor a bracketed acronym ("CAWNs") just before that."""
    start = max(text.rfind(mark, 0, cue) for mark in CLAUSE_ENDS) + 1
    before = text[start:cue].rstrip()
    if before and before[-1] in "–—,(-":
        before = before[:-1].rstrip()
    if before.endswith(")") and "(" in before:
        before = before[:before.rfind("(")].rstrip()
    return before


def aliases_in_text(keys: list[tuple[str, ...]], text: str) -> list[str]:
    """The other names ``text`` gives a measure named by one of ``keys`` (module docstring, 1)."""
    text = " ".join(text.split())
    found: list[str] = []
    for match in CUE_AFTER_RE.finditer(text):
        if _ends_with(measure_tokens(_named_before(text, match.start())), keys):
            found += _names(match.group("alias"))
    for match in CUE_FIRST_RE.finditer(text):
        if _starts_with(measure_tokens(match.group("after")), keys):
            found += _names(match.group("alias"))
    return found


def heading_aliases(cards: list[MeasureCard], passages: list[Passage], overlap: float) -> dict[str, list[str]]:
    """Section headings that name a card by most of its words (module docstring, 2), by card slug."""
    with_use: set[tuple[str, tuple[str, ...]]] = set()
    for passage in passages:
        for depth in range(1, len(passage.section)):
            if USE_HEADING_RE.search(passage.section[depth]):
                with_use.add((passage.doc_id, passage.section[:depth]))
    names = {c.slug: set(measure_tokens(_base(c.name))) for c in cards}
    out: dict[str, list[str]] = {}
    for _, trail in sorted(with_use):
        title = trail[-1]
        if not HEADING_NUMBER_RE.match(title):
            continue
        heading = " ".join(HEADING_NUMBER_RE.sub("", title).split())
        tokens = measure_tokens(heading)
        if len(tokens) < 2 or any(c.mentions(tokens) for c in cards):
            continue
        shared = sorted(((len(set(tokens) & words), slug) for slug, words in names.items()), reverse=True)
        best, slug = shared[0]
        runner_up = shared[1][0] if len(shared) > 1 else 0
        if best >= 2 and best >= overlap * len(set(tokens)) and best > runner_up and heading not in out.get(slug, []):
            out.setdefault(slug, []).append(heading)
    return out


def add_aliases(card: MeasureCard, aliases: Iterable[str], taken: dict[tuple[str, ...], str]) -> None:
    """Give ``card`` each of ``aliases`` that is new to it and no other card's name (``taken``: key → slug)."""
    for alias in aliases:
        key = tuple(measure_tokens(alias))
        if not key or taken.get(key, card.slug) != card.slug or key in card.keys:
            continue
        taken[key] = card.slug
        card.aliases.append(alias)
        card.keys.append(key)
