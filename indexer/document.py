"""Turn a raw report into a cleaned, structured document: one text with every block placed in
it by character offsets, each block knowing its section trail and pages."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from indexer.blocks import Block
from indexer.callouts import mark_callouts
from indexer.cleaning import (
    Vocabulary,
    fold_homoglyphs,
    normalize_unicode,
    repair_glued_compounds,
    strip_running_lines,
)
from indexer.layout import parse_layout
from indexer.loaders import RawDocument
from indexer.markdown import parse_markdown
from indexer.pdf_structure import carry_trails
from indexer.sections import assign_sections, parse_contents
from indexer.tables import attach_captions, fill_row_labels, merge_continued_tables, split_header
from reportqa.records import DocumentMeta
from reportqa.text import LIST_MARK


@dataclass
class PlacedBlock:
    """A block with its offsets in the cleaned text (and, for tables, each row's offsets)."""

    block: Block
    start: int
    end: int
    header: list[str] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)
    row_spans: list[tuple[int, int]] = field(default_factory=list)
    context: str = ""

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def section(self) -> tuple[str, ...]:
        return self.block.section


@dataclass
class CleanDocument:
    """A report after cleaning and structuring, ready to be cut into passages."""

    meta: DocumentMeta
    text: str
    blocks: list[PlacedBlock]
    paged: bool
    callouts_removed: int = 0
    contents: list[str] = field(default_factory=list)  # the report's own contents-list lines (with pages)

    def pages_of(self, block: PlacedBlock) -> tuple[int | None, int | None]:
        """1-based first and last page of a block, or (None, None) for unpaged sources."""
        if not self.paged:
            return None, None
        return block.block.page + 1, block.block.page_end + 1

    @property
    def tables(self) -> list[PlacedBlock]:
        return [b for b in self.blocks if b.kind == "table"]


def guess_title(blocks: list[Block], fallback: str) -> str:
    """The first heading (or first short line) of a document, for files without metadata."""
    for block in blocks[:15]:
        text = block.text.strip()
        if block.kind == "heading" and 3 <= len(text) <= 200:
            return text
    for block in blocks[:5]:
        if block.kind == "paragraph" and 3 <= len(block.text) <= 150:
            return block.text.strip()
    return fallback


def _clean_text(text: str) -> str:
    return fold_homoglyphs(normalize_unicode(text))


def parse_blocks(raw: RawDocument, title: str) -> tuple[list[Block], list[str]]:
    """Blocks of a raw document (format-specific parsing), and any contents-list lines."""
    if raw.format == "pdf" and raw.structure is not None:  # fonts, outline and ruled tables were read
        return copy.deepcopy(raw.structure.blocks), list(raw.structure.contents)
    pages = [_clean_text(p) for p in raw.pages]
    if raw.paged:
        pages = strip_running_lines(pages)
    vocab = Vocabulary.of("\n".join(pages))
    if raw.format == "markdown":
        blocks, contents = parse_markdown("\n".join(pages))
    else:
        blocks, contents = parse_layout(pages, vocab, title, paged=raw.paged), []
    for block in blocks:
        block.text = repair_glued_compounds(block.text, vocab)
        block.caption = repair_glued_compounds(block.caption, vocab)
        block.rows = [[repair_glued_compounds(c, vocab) for c in row] for row in block.rows]
    return blocks, contents


def build_document(raw: RawDocument, meta: DocumentMeta) -> CleanDocument:
    """Clean, structure and lay out one report."""
    blocks, contents = parse_blocks(raw, meta.title)
    blocks = attach_captions(blocks)
    blocks = merge_continued_tables(blocks)
    blocks = mark_callouts(blocks)
    if raw.structure is not None and raw.structure.trails_set:  # from the PDF's outline or heading sizes
        blocks = carry_trails(blocks)
    else:
        blocks = assign_sections(blocks, parse_contents(contents))
    callouts = sum(1 for b in blocks if b.kind == "callout")
    kept = [b for b in blocks if b.kind != "callout" and (b.text or b.rows or b.caption or b.notes)]
    text, placed = _layout(kept)
    return CleanDocument(meta=meta, text=text, blocks=placed, paged=raw.paged, callouts_removed=callouts,
                         contents=contents)


def _layout(blocks: list[Block]) -> tuple[str, list[PlacedBlock]]:
    """Concatenate blocks into the cleaned text, recording offsets."""
    parts: list[str] = []
    placed: list[PlacedBlock] = []
    pos = 0

    def add(piece: str) -> tuple[int, int]:
        nonlocal pos
        if parts:
            parts.append("\n")
            pos += 1
        parts.append(piece)
        start = pos
        pos += len(piece)
        return start, pos

    for block in blocks:
        if block.kind == "table":
            header, body, over = split_header(block.rows)
            body = fill_row_labels(body)
            start = pos + (1 if parts else 0)
            if block.caption:
                add(block.caption)
            if over:
                add(over)
            if header:
                add("\t".join(header))
            spans = [add("\t".join(row)) for row in body]
            for note in block.notes:
                add(note)
            context = block.caption or (block.section[-1] if block.section else "")
            placed.append(PlacedBlock(block, start, pos, header, body, spans, context))
            add("")
            continue
        piece = _block_text(block)
        start, end = add(piece)
        placed.append(PlacedBlock(block, start, end))
        add("")
    text = re.sub(r"\n+$", "", "".join(parts))
    return text, placed


def _block_text(block: Block) -> str:
    if block.kind == "list_item":
        return LIST_MARK + block.text
    if block.kind == "figure":
        lines = [block.caption] if block.caption else []
        if block.text:
            lines.append(block.text)
        lines.extend(block.notes)
        return "\n".join(lines)
    return block.text
