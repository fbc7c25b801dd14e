"""Sentence boundaries for report prose: abbreviations, initials, numbers and trailing source
tags such as '(FL)' or '(Home Office, 2016)' stay with their sentence."""

from __future__ import annotations

import re

from reportqa.speaker_codes import SPEAKER_CODE

ABBREVIATIONS = frozenset(
    "e.g i.e etc al dr mr mrs ms prof no nos vs cf fig figs st vol pp p ed eds approx inc ltd co "
    "jr sr ch sec para op cit ibid viz est dept govt rev".split()
)
# A run of sentence-ending marks (from its first mark only, so a long run of dots is not re-scanned at
# every position) and any closing quotes or brackets, before a space.
_BOUNDARY = re.compile(r"(?<![.!?…])[.!?…]++[”’\"')\]]*+(?=\s)")
_WORD_BEFORE = re.compile(r"[\w.]+$")
_LOOKBACK = max(map(len, ABBREVIATIONS)) + 2  # longer than any abbreviation: a longer word is none
_NEXT_START = re.compile(r"\s+(?=[A-Z0-9“\"‘'(\[•‣])")
_SOURCE_TAG = re.compile(rf"\s*\((?:{SPEAKER_CODE}|[^()]{{0,80}}\d{{4}}[^()]{{0,20}})\)")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` ends an abbreviation or an initial, not a sentence. Only the few
    characters before it are read (a longer word is neither), so splitting stays linear in the text."""
    if text[dot] != ".":
        return False
    token = _WORD_BEFORE.search(text, max(0, dot - _LOOKBACK), dot)
    if not token:
        return False
    word = token.group(0).lower().rstrip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text``, whitespace trimmed, in order.

    Every non-space character of ``text`` falls in exactly one span.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end <= start or _is_abbreviation(text, match.start()):
            continue
        tag = _SOURCE_TAG.match(text, end)
        if tag:
            end = tag.end()
        if not _NEXT_START.match(text, end):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
