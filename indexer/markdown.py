"""Parse a report converted to Markdown into blocks.

Converted Markdown cannot be trusted on heading levels: quotes and captions are marked as
headings, and '#' counts do not follow the document's numbering. This parser only records
what each line is (heading candidate, quote, caption, table row, list item, pull-quote,
paragraph); the section hierarchy is decided later from numbering and the contents list.
"""

from __future__ import annotations

import re

from indexer.blocks import Block, heading_number, is_caption
from indexer.cleaning import strip_markdown_inline
from reportqa.speaker_codes import SPEAKER_CODE
from reportqa.text import is_list_item, without_bullet

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
QUOTE_HEADING_RE = re.compile(rf"""^["“‘']|\({SPEAKER_CODE}\)\s*$""")
CONTENTS_RE = re.compile(r"^(?:table of )?contents$", re.IGNORECASE)


def is_quote_heading(text: str) -> bool:
    """A '#' line that is really a quotation (starts with a quote mark or ends with a source tag)."""
    return bool(QUOTE_HEADING_RE.search(text.strip()))


def is_url(text: str) -> bool:
    return "://" in text or text.strip().lower().startswith(("www.", "doi.org", "https", "http"))


def parse_markdown(text: str) -> tuple[list[Block], list[str]]:
    """Blocks of a Markdown document, and the raw lines of its contents list (if any)."""
    blocks: list[Block] = []
    contents: list[str] = []
    paragraph: list[str] = []
    table: list[list[str]] = []
    in_contents = False

    def flush() -> None:
        nonlocal paragraph, table
        if paragraph:
            joined = " ".join(p.strip() for p in paragraph)
            if joined.strip():
                blocks.append(Block("paragraph", re.sub(r"\s{2,}", " ", joined).strip()))
            paragraph = []
        if table:
            blocks.append(Block("table", "", rows=table))
            table = []

    for raw_line in text.split("\n"):
        line = raw_line.rstrip()
        if not line.strip():
            flush()
            continue
        heading = HEADING_RE.match(line)
        if in_contents and not heading:
            contents.append(line)
            continue
        in_contents = False
        if heading:
            flush()
            title = strip_markdown_inline(heading.group(2)).strip()
            if CONTENTS_RE.match(title):
                in_contents = True
            elif is_quote_heading(title) or is_url(title):
                blocks.append(Block("paragraph", title))
            elif is_caption(title):
                blocks.append(Block("caption", title))
            elif title:
                number, _ = heading_number(title)
                blocks.append(Block("heading", title, number=number))
            continue
        if line.lstrip().startswith(">"):
            flush()
            quote = strip_markdown_inline(line.lstrip()[1:].strip())
            if quote:
                blocks.append(Block("paragraph", quote, explicit_callout=True))
            continue
        if "\t" in line and line.strip():
            if paragraph:
                flush()
            cells = [strip_markdown_inline(c).strip() for c in line.split("\t")]
            while cells and not cells[-1]:
                cells.pop()
            table.append(cells)
            continue
        if table:
            flush()
        clean = strip_markdown_inline(line).strip()
        if not clean:
            continue
        if is_list_item(line):
            flush()
            blocks.append(Block("list_item", without_bullet(clean)))
        elif is_caption(clean):
            flush()
            blocks.append(Block("caption", clean))
        else:
            paragraph.append(clean)
    flush()
    return blocks, contents
