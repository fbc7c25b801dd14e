"""Text cleaning that every report gets: Unicode, homoglyphs, line-end hyphens, glued compounds,
running headers and footers.

Cleaning decisions use only the document's own vocabulary, so a report cleans the same way
whatever else is in the corpus (which keeps passage ids stable when other files change).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# Cyrillic and Greek letters that look like Latin ones (Unicode confusables, the common subset).
HOMOGLYPHS = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
        "Т": "T", "Х": "X", "У": "Y", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y",
        "х": "x", "і": "i", "ј": "j", "ѕ": "s", "Ι": "I", "Α": "A", "Β": "B", "Ε": "E", "Κ": "K",
        "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "ο": "o",
    }
)
_CONFUSABLE_WORD = re.compile(r"\b\w*[А-Яа-яЁёІіЈјЅѕΑ-Ωα-ω]\w*\b")
# Soft hyphens, zero-width characters and byte-order marks, and control characters other than tab, line
# and page breaks (a NUL from a damaged PDF font or a stray byte must never reach the index or a page).
_INVISIBLE = dict.fromkeys([*map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), *range(0, 9), 0x0b,
                            *range(0x0e, 0x20), 0x7f], None)
HYPHEN_PREFIXES = frozenset(
    "anti co counter cross extra inter intra multi non post pre pro re self semi sub super trans "
    "well ex under over out".split()
)
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def normalize_unicode(text: str) -> str:
    """NFKC (ligatures, full-width forms), no-break spaces to spaces, invisible and control characters removed.

    Curly quotes and dashes are kept as they are; search folds them separately.
    """
    text = text.translate(_INVISIBLE)
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u202f", " ")


def fold_homoglyphs(text: str) -> str:
    """Rewrite words made of Cyrillic/Greek look-alikes as Latin, in a mostly Latin text.

    'Туре' (Cyrillic Т, у, р, е) becomes 'Type'. A word with letters that have no Latin
    look-alike is left alone, and so is a text that is not mostly Latin.
    """
    latin = sum(1 for ch in text if "a" <= ch.lower() <= "z")
    other = sum(1 for ch in text if ch.isalpha()) - latin
    if other > 0.2 * max(latin, 1):
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        folded = word.translate(HOMOGLYPHS)
        return folded if folded.isascii() else word

    return _CONFUSABLE_WORD.sub(fix, text)


@dataclass
class Vocabulary:
    """Word and hyphenated-compound counts of one document, for cleaning decisions."""

    words: Counter[str] = field(default_factory=Counter)
    compounds: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        vocab = cls()
        # Only tokens that do not sit at a line end count: those are the ones we must decide on.
        for line in text.split("\n"):
            tokens = _WORD.findall(line.rstrip())
            if line.rstrip().endswith("-") and tokens:
                tokens = tokens[:-1]
            for token in tokens:
                low = token.lower()
                if "-" in low:
                    vocab.compounds[low] += 1
                    for part in low.split("-"):
                        vocab.words[part] += 1
                else:
                    vocab.words[low] += 1
        return vocab


def join_hyphenated(left: str, right: str, vocab: Vocabulary) -> str:
    """Join a word split at a line end: 'extra-' + 'familial' → 'extra-familial', 'organ-' + 'ised' → 'organised'.

    ``left`` ends with the hyphen. The real hyphen is kept when the document writes the compound
    with a hyphen elsewhere, when the next part is capitalised, when the first part is a common
    prefix, or when both parts are words of the document; the split is undone when the joined
    word occurs in the document.
    """
    stem_part = left[:-1]
    head = re.findall(r"[A-Za-z]+$", stem_part)
    tail = re.findall(r"^[A-Za-z]+", right)
    if not head or not tail:
        return left + right
    first, second = head[0].lower(), tail[0].lower()
    whole = re.findall(r"[A-Za-z-]+$", stem_part)[0].lower() + "-" + second
    if vocab.compounds[whole] or vocab.compounds[f"{first}-{second}"]:
        return left + right
    if vocab.words[first + second]:
        return stem_part + right
    if tail[0][0].isupper() or first in HYPHEN_PREFIXES:
        return left + right
    if vocab.words[first] and vocab.words[second] and len(second) > 2:
        return left + right
    return stem_part + right


def repair_glued_compounds(text: str, vocab: Vocabulary) -> str:
    """Restore hyphens lost in conversion: 'disruptionsupportive' → 'disruption-supportive',
    'Disruption- supportive' → 'Disruption-supportive', when the document itself writes that
    compound with a hyphen elsewhere."""
    if not vocab.compounds:
        return text
    glued = {c.replace("-", ""): c for c in vocab.compounds if c.count("-") == 1}

    def unglue(match: re.Match[str]) -> str:
        word = match.group(0)
        target = glued.get(word.lower())
        if target is None or vocab.words[word.lower()] > vocab.compounds[target]:
            return word
        cut = target.index("-")
        return word[:cut] + "-" + word[cut:]

    text = re.sub(r"\b[A-Za-z]{7,}\b", unglue, text)

    def respace(match: re.Match[str]) -> str:
        a, b = match.group(1), match.group(2)
        return f"{a}-{b}" if vocab.compounds[f"{a.lower()}-{b.lower()}"] else match.group(0)

    return re.sub(r"\b([A-Za-z]{2,})- ([a-z]{2,})\b", respace, text)


# A line that is only a page number: "12", "Page 3", "3 of 40", "3/40".
PAGE_NUMBER_RE = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.IGNORECASE)


def running_line_key(line: str) -> str:
    """A line with digits and spacing removed, for spotting repeated headers and footers."""
    return re.sub(r"[\d\s]+", " ", line).strip().lower()


def strip_running_lines(pages: list[str], edge_lines: int = 3, min_share: float = 0.3) -> list[str]:
    """Remove running headers, footers and page numbers from page texts.

    A line among the first or last ``edge_lines`` of a page is dropped when (with digits
    ignored) it recurs at a page edge on at least ``min_share`` of the pages (and on at least
    two), or when it is only a page number.
    """
    if len(pages) < 2:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln for ln in page.split("\n") if ln.strip()]
        edges = set(lines[:edge_lines] + lines[-edge_lines:])
        counts.update({running_line_key(ln) for ln in edges if running_line_key(ln)})
    threshold = max(2, int(min_share * len(pages) + 0.999))
    running = {key for key, n in counts.items() if n >= threshold}
    cleaned = []
    for page in pages:
        lines = page.split("\n")
        content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edge = set(content_idx[:edge_lines] + content_idx[-edge_lines:])
        kept = [
            ln
            for i, ln in enumerate(lines)
            if not (i in edge and (running_line_key(ln) in running or PAGE_NUMBER_RE.match(ln)))
        ]
        cleaned.append("\n".join(kept))
    return cleaned


def repeated_caps_lines(text: str) -> set[str]:
    """Keys of ALL-CAPS lines that recur in an unpaged text: running headers left in by extraction."""
    counts: Counter[str] = Counter()
    for line in text.split("\n"):
        stripped = line.strip()
        letters = [ch for ch in stripped if ch.isalpha()]
        if len(letters) >= 12 and all(ch.isupper() for ch in letters):
            counts[running_line_key(stripped)] += 1
    return {key for key, n in counts.items() if n >= 2}


def strip_markdown_inline(text: str) -> str:
    """Drop Markdown emphasis, footnote superscripts and link syntax, keeping the words."""
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)
    text = re.sub(r"\[([^\]]+)\]\((?:[^)]+)\)", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    return text.replace("**", "")
