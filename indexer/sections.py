"""Recover the section trail of every block from heading numbering and the report's contents list.

Heading markup is not trusted: a numbered heading takes its level from its number, and is
kept only if the number fits the sequence so far (or appears in the contents list); an
unnumbered heading is a top-level anchor ('Executive summary', 'Appendix A: …'), takes the
level the contents list gives it, or else sits one level below the last structural heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.blocks import APPENDIX_RE, Block, heading_number
from reportqa.text import match_key

FRONT_MATTER = "Front matter"
ANCHORS = frozenset(
    match_key(t)
    for t in (
        "Executive summary", "Summary", "Introduction", "Conclusions", "Conclusion", "References",
        "Bibliography", "Acknowledgements", "Acknowledgments", "Contents", "Foreword", "Preface",
        "Glossary", "Abbreviations", "Notes", "Endnotes", "Appendix", "Appendices",
    )
)


# A contents line: its title, an optional dot leader, and the page number ("6.1 Direct measures .... 31").
CONTENTS_LINE_RE = re.compile(r"^(.*?\S)(?:\s*\.{2,})?\s+(\d{1,4})$")


def split_contents_line(line: str) -> tuple[str, int | None]:
    """A contents line's title and page number: '6.1 Direct disruption measures<TAB>31' →
    ('6.1 Direct disruption measures', 31); tabs and runs of spaces count as one space. A line
    without a page number gives (its text, None)."""
    text = " ".join(line.split())
    match = CONTENTS_LINE_RE.match(text)
    return (match.group(1), int(match.group(2))) if match else (text, None)


@dataclass(frozen=True)
class ContentsEntry:
    """One line of a report's own contents list."""

    number: tuple[int, ...] | None
    title: str
    level: int


def parse_contents(lines: list[str]) -> list[ContentsEntry]:
    """Entries of a contents list: 'title<TAB>page' lines, numbered or not; an indented
    unnumbered entry is one level below the entry above it."""
    entries = []
    for line in lines:
        text, _ = split_contents_line(line)
        if not text or text.isdigit():
            continue
        number, title = heading_number(text)
        if number is not None:
            level = len(number)
        else:
            level = 2 if line.startswith(("\t", " ")) else 1
        entries.append(ContentsEntry(number, title, level))
    return entries


def is_successor(previous: tuple[int, ...] | None, new: tuple[int, ...]) -> bool:
    """True when ``new`` can follow ``previous`` in a numbered outline (next sibling at some
    depth, possibly with new first children, or a first child)."""
    if previous is None:
        return new[0] <= 2
    if new == previous + (1,):
        return True
    for depth in range(len(previous)):
        bumped = previous[:depth] + (previous[depth] + 1,)
        if new[: len(bumped)] == bumped and all(n == 1 for n in new[len(bumped):]):
            return True
    return False


def format_numbered(number: tuple[int, ...], title: str) -> str:
    """'6.' + title for a chapter, '6.1.1' + title below it."""
    label = ".".join(map(str, number)) + ("." if len(number) == 1 else "")
    return f"{label} {title}"


def is_anchor(title: str) -> bool:
    key = match_key(title)
    return key in ANCHORS or bool(APPENDIX_RE.match(title)) or title.lower().startswith("about ")


class SectionTracker:
    """Walks the blocks in order, keeping the current trail of (level, title)."""

    def __init__(self, contents: list[ContentsEntry]) -> None:
        self.by_number = {e.number: e for e in contents if e.number}
        self.by_title = {match_key(e.title): e for e in contents if not e.number}
        self.stack: list[tuple[int, str]] = []
        self.base_level = 0
        self.last_number: tuple[int, ...] | None = None

    def trail(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.stack) or (FRONT_MATTER,)

    def push(self, level: int, title: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))

    def accept(self, block: Block) -> bool:
        """Place a heading block; False when it is not a real heading (demote it)."""
        number, title = heading_number(block.text)
        if number is not None:
            entry = self.by_number.get(number)
            if entry is None and not is_successor(self.last_number, number):
                return False
            self.last_number = number
            level = len(number)
            self.base_level = level
            self.push(level, format_numbered(number, entry.title if entry else title))
            return True
        entry = self.by_title.get(match_key(block.text))
        if entry is not None:
            level = entry.level
            self.base_level = level
        elif is_anchor(block.text):
            level = 1
            self.base_level = 1
            self.last_number = None if APPENDIX_RE.match(block.text) else self.last_number
        else:
            level = self.base_level + 1
        self.push(level, block.text)
        return True


def assign_sections(blocks: list[Block], contents: list[ContentsEntry]) -> list[Block]:
    """Set ``block.section`` on every block; headings that do not fit become paragraphs."""
    tracker = SectionTracker(contents)
    for block in blocks:
        if block.kind == "heading" and not tracker.accept(block):
            block.kind = "paragraph"
        block.section = tracker.trail()
    return blocks
