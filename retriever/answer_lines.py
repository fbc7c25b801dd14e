"""What an answer line is, read from its passage: an ordinary sentence, a line of a table (shown
with its caption and column headers, never as a quotation), or a bare caption or label ("Table 9.
Agencies with which…"), which says nothing on its own and is never an answer.

Table rows come in two shapes: a ``table_row`` passage, rendered by the indexer as
'Caption — Header: value; Header: value' (``indexer.tables.render_row``), and a tab-separated line
of a ``table`` passage, whose caption lines and header line come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.records import Passage
from reportqa.text import FIGURE_LABEL, words

# "Table 8.", "Figure 2:", "Box 3 –", "Appendix A1" at the start of a line: the label of a table, figure or appendix.
LABEL_RE = re.compile(rf"^\s*(?:{FIGURE_LABEL}|(?:Appendix|Annex)\s+[A-Z]?\d+[a-z]?(?:\.\d+)?)(?:\s*[.:–—-]\s*|\s+|$)",
                      re.IGNORECASE)
ROW_SEPARATOR = " — "
MAX_CAPTION_WORDS = 25


@dataclass(frozen=True)
class TableLine:
    """One line of a table: its table's caption, the column headers and the line's cells."""

    caption: str
    header: tuple[str, ...]
    cells: tuple[str, ...]


def is_caption(text: str) -> bool:
    """True for a bare caption or label ('Table 9. Agencies with which strategic leads work'):
    a table or figure label followed by at most a short title, with no row of the table in it."""
    line = text.strip()
    if not LABEL_RE.match(line) or "\t" in line or ROW_SEPARATOR in line:
        return False
    return len(words(line)) <= MAX_CAPTION_WORDS


def _row_passage(text: str) -> TableLine | None:
    """'Caption — Header: value; Header: value' → its caption, headers and cells."""
    caption, sep, body = text.partition(ROW_SEPARATOR)
    if not sep:
        caption, body = "", text
    header: list[str] = []
    cells: list[str] = []
    for part in body.split("; "):
        name, colon, value = part.partition(": ")
        if colon and name and len(words(name)) <= 8:
            header.append(name.strip())
            cells.append(value.strip())
        elif cells:  # a value that itself held '; '
            cells[-1] += "; " + part
        else:
            header.append("")
            cells.append(part.strip())
    if not cells:
        return None
    return TableLine(caption.strip(), tuple(header) if any(header) else (), tuple(cells))


def _table_passage_line(text: str, start: int, end: int) -> TableLine | None:
    """The tab-separated line of a table passage that holds [start, end), with the passage's caption
    lines and its header line; None for the caption or the header line itself."""
    caption: list[str] = []
    header: tuple[str, ...] = ()
    pos = 0
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if "\t" not in line:
            if not header:
                caption.append(line.strip())
            continue
        cells = tuple(c.strip() for c in line.split("\t"))
        if not header:
            header = cells
            continue
        if line_start <= start < line_end or (start <= line_start and end > line_start):
            return TableLine(" ".join(c for c in caption if c), header, cells)
    return None


def table_line(passage: Passage, start: int, end: int) -> TableLine | None:
    """The table line an answer sentence ``passage.text[start:end]`` is, or None for prose. A
    ``table_row`` passage is one row whatever part of it the sentence is."""
    text = passage.text[start:end]
    if passage.kind == "table_row":
        return _row_passage(passage.text)
    if passage.kind == "table" and "\t" in text:
        return _table_passage_line(passage.text, start, end)
    return None
