"""The structural units a report is parsed into before it becomes cleaned text and passages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from reportqa.text import FIGURE_LABEL

BlockKind = Literal["heading", "paragraph", "list_item", "table", "figure", "caption", "callout"]

CAPTION_RE = re.compile(rf"^{FIGURE_LABEL}[.:]?\s", re.IGNORECASE)
NUMBERED_HEADING_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
APPENDIX_RE = re.compile(r"^Appendix\s+[A-Z0-9]{1,3}\b", re.IGNORECASE)
TERMINAL_PUNCT = ".!?;:,"


@dataclass
class Block:
    """A heading, paragraph, list item, table, figure, caption or call-out, in reading order.

    ``page`` is the 0-based page (or soft page, for unpaged text) the block starts on;
    ``page_end`` the page it ends on. Tables keep their rows as lists of cells, and their
    caption and notes (e.g. 'Source: …') separately so that they can be placed first.
    """

    kind: BlockKind
    text: str
    page: int = 0
    page_end: int = 0
    number: tuple[int, ...] | None = None
    rows: list[list[str]] = field(default_factory=list)
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    narrow: bool = False
    explicit_callout: bool = False
    section: tuple[str, ...] = ()

    @property
    def is_table_caption(self) -> bool:
        return self.kind == "caption" and self.text.lower().startswith("table")


def is_caption(text: str) -> bool:
    """'Table 2. Respondents by region' is a caption; 'Table 3 shows the roles…' is a sentence."""
    match = CAPTION_RE.match(text)
    if not match:
        return False
    if match.group(0).rstrip()[-1:] in ".:":
        return True
    return len(text.split()) <= 20 and not ends_sentence(text)


def heading_number(text: str) -> tuple[tuple[int, ...] | None, str]:
    """Split '6.1.1 Child abduction warning notices' into ((6, 1, 1), 'Child abduction …')."""
    match = NUMBERED_HEADING_RE.match(text.strip())
    if not match:
        return None, text.strip()
    return tuple(int(p) for p in match.group(1).split(".")), match.group(2).strip()


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends like a sentence or clause (full stop, colon, comma …)."""
    stripped = text.rstrip().rstrip("”’\"')]")
    return bool(stripped) and stripped[-1] in TERMINAL_PUNCT
