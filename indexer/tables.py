"""Tables and figures: attach captions (before or after) and source notes, merge tables split
across pages, and render each table row on its own with its column headers."""

from __future__ import annotations

import re

from indexer.blocks import Block, ends_sentence
from reportqa.text import match_key

NOTE_RE = re.compile(r"^(?:Source|Sources|Note|Notes|Base)\s*[:.]", re.IGNORECASE)


def _is_note(block: Block) -> bool:
    return block.kind == "paragraph" and bool(NOTE_RE.match(block.text))


def _is_caption_like_line(block: Block) -> bool:
    """A short unpunctuated line straight after a table: its caption when none is numbered."""
    return (block.kind == "paragraph" and not block.explicit_callout and len(block.text.split()) <= 15
            and not ends_sentence(block.text))


def attach_captions(blocks: list[Block]) -> list[Block]:
    """Give each table and figure its caption and notes; a caption with nothing to attach to
    becomes a figure of its own (an empty figure, e.g. a chart that was an image)."""
    blocks = list(blocks)
    used: set[int] = set()

    def next_index(i: int, step: int) -> int | None:
        j = i + step
        while 0 <= j < len(blocks) and _is_note(blocks[j]):
            j += step
        return j if 0 <= j < len(blocks) else None

    # Captions before their table, then captions after it.
    for step in (1, -1):
        for i, block in enumerate(blocks):
            if not block.is_table_caption or i in used:
                continue
            j = next_index(i, step)
            if j is not None and blocks[j].kind == "table" and not blocks[j].caption:
                blocks[j].caption = block.text
                used.add(i)
    for i, block in enumerate(blocks):
        if block.kind == "table" and not block.caption and i + 1 < len(blocks):
            nxt = blocks[i + 1]
            under_heading = i > 0 and blocks[i - 1].kind == "heading"
            if _is_caption_like_line(nxt) and i + 1 not in used and not under_heading:
                block.caption = nxt.text
                used.add(i + 1)
    out: list[Block] = []
    for i, block in enumerate(blocks):
        if i in used:
            continue
        if block.kind == "caption":
            block = Block("figure", "", block.page, block.page_end, caption=block.text)
        if _is_note(block) and out and out[-1].kind in ("table", "figure"):
            out[-1].notes.append(block.text)
            continue
        if _is_note(block):
            block = Block("figure", "", block.page, block.page_end, notes=[block.text])
        out.append(block)
    return out


def merge_continued_tables(blocks: list[Block]) -> list[Block]:
    """Join a table with the next one when that repeats its header row (a page-split table)."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (block.kind == "table" and prev is not None and prev.kind == "table" and block.rows
                and prev.rows and match_key(" ".join(block.rows[0])) == match_key(" ".join(prev.rows[0]))
                and (not block.caption or block.caption == prev.caption)):
            prev.rows.extend(block.rows[1:])
            prev.notes.extend(block.notes)
            continue
        out.append(block)
    return out


def split_header(rows: list[list[str]]) -> tuple[list[str], list[list[str]], str]:
    """(header, body rows, super-header text). A first row with mostly empty cells spanning the
    columns of the next row is a super-header; the row after it is the header."""
    if not rows:
        return [], [], ""
    width = max(len(r) for r in rows)
    first = rows[0]
    filled = sum(1 for c in first if c)
    if len(rows) > 2 and filled * 2 < width:
        return rows[1], rows[2:], " ".join(c for c in first if c)
    return first, rows[1:], ""


def fill_row_labels(body: list[list[str]]) -> list[list[str]]:
    """Complete first-column group labels: an empty first cell repeats the label above, and a
    label wrapped over two rows ('Group- or gang-' / 'perpetrated abuse') is joined for both."""
    rows = [list(r) for r in body]
    i = 0
    while i < len(rows):
        label = rows[i][0] if rows[i] else ""
        if label and i + 1 < len(rows) and rows[i + 1] and rows[i + 1][0]:
            nxt = rows[i + 1][0]
            if label.endswith("-") or nxt[:1].islower():
                joined = f"{label}{nxt}" if label.endswith("-") else f"{label} {nxt}"
                rows[i][0] = rows[i + 1][0] = joined
        i += 1
    last = ""
    for row in rows:
        if row and row[0]:
            last = row[0]
        elif row and last and len(row) > 1:
            row[0] = last
    return rows


def render_row(header: list[str], cells: list[str], context: str) -> str:
    """'Context — Header: value; Header: value' for one table row."""
    parts = []
    for k, cell in enumerate(cells):
        if not cell:
            continue
        name = header[k] if k < len(header) else ""
        parts.append(f"{name}: {cell}" if name and name != cell else cell)
    body = "; ".join(parts)
    return f"{context} — {body}" if context else body
