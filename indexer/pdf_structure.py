"""Structure of a PDF report from its own outline, its fonts and its ruled tables.

pypdf gives the outline (bookmarks) and metadata; pdfplumber gives every word with its position,
font size and font name, and the ruled tables. From those this module builds blocks in reading
order, trusting, in this order: the outline (headings, levels and pages), headings found by layout
(lines set larger than, or bold at the size of, the body text; levels from size ranks when the
report is not numbered), the printed contents page (parsed into contents lines, never indexed as
body text), and last the numbering heuristics of ``indexer.sections`` (applied later, by
``build_document``, when no trails are set here). Running headers, footers and page numbers are
removed, and so are raised footnote marks; a two-column page is read column by column; tables come
out as table blocks with their rows (a table cut by a page break is joined), captions as caption
blocks. Thresholds are in ``PdfLayoutConfig`` (reportqa.settings; ``settings.pdf_layout``), passed
to ``read_structure`` by the index build; without one, the defaults apply.

``read_structure`` returns None when a PDF shows no font or outline structure at all (every line
in one font): such a file is parsed from its plain text as before.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Literal

from indexer.blocks import APPENDIX_RE, Block, heading_number, is_caption
from indexer.cleaning import (
    PAGE_NUMBER_RE,
    Vocabulary,
    fold_homoglyphs,
    normalize_unicode,
    repair_glued_compounds,
    running_line_key,
)
from indexer.layout import _merge_across_pages, join_lines
from indexer.markdown import CONTENTS_RE, is_quote_heading, is_url
from indexer.pdf_outline import OutlineEntry, levels_follow_numbering
from indexer.sections import FRONT_MATTER, format_numbered, split_contents_line
from reportqa.settings import PdfLayoutConfig
from reportqa.text import is_list_item, match_key, without_bullet

BOLD_RE = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
FOOTNOTE_MARK_RE = re.compile(r"^[\d,*†‡]{1,6}$")


@dataclass
class PdfLine:
    """One printed line: its words joined, where it sits, and its dominant font."""

    text: str
    page: int
    x0: float
    top: float
    bottom: float
    size: float
    bold: bool
    x1: float = 0.0  # where the line ends on the right


@dataclass
class PdfTable:
    """A ruled table found on a page, with its cells (None cells as '')."""

    page: int
    top: float
    rows: list[list[str]]


@dataclass
class PdfStructure:
    """What the PDF's structure gives: blocks in reading order, contents lines ('title<TAB>page',
    indented with a tab one level down), whether block trails are already set (from the outline or
    from size ranks), the title printed on its first page (or its first heading), and each page's
    text."""

    blocks: list[Block]
    contents: list[str] = field(default_factory=list)
    trails_set: bool = False
    source: Literal["outline", "layout"] = "layout"
    title: str | None = None
    tables: int = 0
    page_texts: list[str] = field(default_factory=list)  # each page's lines, running lines removed


def _is_bold(fontname: str) -> bool:
    return bool(BOLD_RE.search(fontname.split("+")[-1]))


def _page_lines(page: Any, page_no: int, exclude: list[tuple[float, float, float, float]],
                config: PdfLayoutConfig) -> list[PdfLine]:
    """Words of a page (outside table areas) grouped into lines by their vertical position."""
    words = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False, use_text_flow=False)
    def inside(w: dict) -> bool:
        x, y = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        return any(x0 - 1 <= x <= x1 + 1 and t - 1 <= y <= b + 1 for x0, t, x1, b in exclude)

    words = [w for w in words if not inside(w)]
    words.sort(key=lambda w: (round(w["top"]), w["x0"]))
    rows: list[list[dict]] = []
    for word in words:
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= max(config.pdf_line_tolerance_points,
                                                                config.pdf_line_tolerance * word["size"]):
            rows[-1].append(word)
        else:
            rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w["x0"])
    lines = []
    for row in _reading_order(rows, float(page.width), config):
        line = _line(row, page_no, config)
        if line is not None:
            lines.append(line)
    return lines


def _gutter(rows: list[list[dict]], width: float, config: PdfLayoutConfig) -> float | None:
    """The x of a column gutter: a vertical band in the middle of the page that (almost) no row
    crosses, with lines of several words on both sides of it; None for a one-column page."""
    if len(rows) < config.pdf_column_min_rows:
        return None
    spans = [_spans(row, config) for row in rows]
    best: tuple[int, float, float] | None = None
    x = config.pdf_gutter_band * width
    while x <= (1 - config.pdf_gutter_band) * width:
        crossing = sum(1 for row in spans if any(a < x < b for a, b in row))
        candidate = (crossing, abs(x - width / 2), x)
        best = candidate if best is None or candidate < best else best
        x += 2.0
    assert best is not None
    crossing, _, gutter = best
    if crossing > config.pdf_column_spanning * len(rows):
        return None
    left = [[w for w in row if w["x1"] <= gutter] for row in rows]
    right = [[w for w in row if w["x0"] >= gutter] for row in rows]
    for side in (left, right):
        filled = [part for part in side if part]
        if (len(filled) < config.pdf_column_rows * len(rows)
                or sum(map(len, filled)) < config.pdf_column_words * len(filled)):
            return None
    return gutter


def _spans(row: list[dict], config: PdfLayoutConfig) -> list[tuple[float, float]]:
    """The x extents of a row's runs of words, cut where the gap is as wide as a column gap."""
    spans = [(row[0]["x0"], row[0]["x1"])]
    for word in row[1:]:
        if word["x0"] - spans[-1][1] > max(config.pdf_column_gap * word["size"], config.pdf_column_gap_points):
            spans.append((word["x0"], word["x1"]))
        else:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word["x1"]))
    return spans


def _reading_order(rows: list[list[dict]], width: float, config: PdfLayoutConfig) -> list[list[dict]]:
    """Rows as lines in reading order. On a two-column page the left column is read before the
    right one, between rows that span the gutter (titles, wide figures)."""
    gutter = _gutter(rows, width, config)
    if gutter is None:
        return rows
    out: list[list[dict]] = []
    left: list[list[dict]] = []
    right: list[list[dict]] = []
    for row in rows:
        if any(a < gutter < b for a, b in _spans(row, config)):
            out += left + right + [row]
            left, right = [], []
            continue
        lpart = [w for w in row if w["x1"] <= gutter]
        rpart = [w for w in row if w["x0"] >= gutter]
        if lpart:
            left.append(lpart)
        if rpart:
            right.append(rpart)
    return out + left + right


def _line(row: list[dict], page_no: int, config: PdfLayoutConfig) -> PdfLine | None:
    """One printed line from its words, without raised footnote marks."""
    biggest = max(w["size"] for w in row)
    row = [w for w in row if not (FOOTNOTE_MARK_RE.match(w["text"]) and w["size"] < config.pdf_superscript * biggest
                                  and w["bottom"] < max(v["bottom"] for v in row) - 1)] or row
    text = normalize_unicode(" ".join(w["text"] for w in row)).strip()
    if not text:
        return None
    weights: Counter[float] = Counter()
    bold_chars = 0
    for w in row:
        weights[round(w["size"], 1)] += len(w["text"])
        bold_chars += len(w["text"]) if _is_bold(w["fontname"]) else 0
    total = sum(weights.values())
    return PdfLine(text, page_no, min(w["x0"] for w in row), min(w["top"] for w in row),
                   max(w["bottom"] for w in row), weights.most_common(1)[0][0], bold_chars == total,
                   max(w["x1"] for w in row))


def _page_tables(page: Any, page_no: int) -> list[tuple[PdfTable, tuple[float, float, float, float]]]:
    found = []
    # A row cut by a page break has no rule at the page edge: close it with the ends of the column rules.
    verticals = [e for e in page.edges if e["orientation"] == "v"]
    settings = {}
    if verticals:
        settings["explicit_horizontal_lines"] = [min(e["top"] for e in verticals),
                                                 max(e["bottom"] for e in verticals)]
    for table in page.find_tables(table_settings=settings):
        rows = [[normalize_unicode(c or "").strip() for c in row] for row in table.extract()]
        rows = [r for r in rows if any(r)]
        for row in rows:
            while row and not row[-1]:
                row.pop()
        if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
            found.append((PdfTable(page_no, table.bbox[1], rows), table.bbox))
    return found


def _drop_running_lines(pages: list[list[PdfLine]], heights: list[float],
                        config: PdfLayoutConfig) -> list[list[PdfLine]]:
    """Remove running headers and footers: lines at a page edge that recur, at the same height, on
    many pages (digits ignored, so 'Page 3' matches 'Page 4'; a line set as a heading must recur word
    for word, so 'Part 1' and 'Part 2' headings stay), and page numbers at a page edge."""
    body = _body_size([ln for lines in pages for ln in lines])

    def edge(lines: list[PdfLine], height: float) -> list[PdfLine]:
        top = [ln for ln in lines[:config.pdf_edge_lines] if ln.top < config.pdf_edge_share * height]
        bottom = [ln for ln in lines[-config.pdf_edge_lines:] if ln.bottom > (1 - config.pdf_edge_share) * height]
        return top + bottom

    def key(line: PdfLine) -> tuple[str, int]:
        text = line.text.lower() if _style(line, body, config) else running_line_key(line.text)
        return text, round(line.top / config.pdf_running_tolerance)

    counts: Counter[tuple[str, int]] = Counter()
    for lines, height in zip(pages, heights):
        counts.update({key(ln) for ln in edge(lines, height) if running_line_key(ln.text)})
    threshold = max(2, int(config.pdf_running_share * len(pages) + 0.999))

    def running(line: PdfLine) -> bool:
        text, slot = key(line)
        return sum(counts[(text, s)] for s in (slot - 1, slot, slot + 1)) >= threshold

    out = []
    for lines, height in zip(pages, heights):
        drop = {id(ln) for ln in edge(lines, height) if running(ln) or PAGE_NUMBER_RE.match(ln.text)}
        out.append([ln for ln in lines if id(ln) not in drop])
    return out


def _with_tables(pages: list[list[PdfLine]], tables: list[PdfTable]) -> list[PdfLine | PdfTable]:
    """All lines in reading order, each table placed before the first line below its top."""
    items: list[PdfLine | PdfTable] = []
    for page_no, lines in enumerate(pages):
        placed: list[PdfLine | PdfTable] = list(lines)
        for table in sorted((t for t in tables if t.page == page_no), key=lambda t: t.top, reverse=True):
            at = next((i for i, it in enumerate(placed) if isinstance(it, PdfLine) and it.top > table.top),
                      len(placed))
            placed.insert(at, table)
        items += placed
    return items


def _body_size(lines: list[PdfLine]) -> float:
    weights: Counter[float] = Counter()
    for ln in lines:
        weights[ln.size] += len(ln.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _style(line: PdfLine, body: float, config: PdfLayoutConfig) -> tuple[float, bool] | None:
    """The heading style of a line (size, bold), or None for body text."""
    if line.size >= config.pdf_heading_ratio * body:
        return (line.size, line.bold)
    if line.bold and line.size >= config.pdf_bold_heading_ratio * body and not is_list_item(line.text):
        return (line.size, True)
    return None


def _extract_contents(items: list[PdfLine | PdfTable], body: float,
                      config: PdfLayoutConfig) -> tuple[list[PdfLine | PdfTable], list[str]]:
    """Take the printed contents list out of the items: the lines after a 'Contents' line that end
    with a page number (a wrapped entry may take two lines). Returns the other items and the
    contents lines as 'title<TAB>page', a leading tab marking an indented entry."""
    start = next((i for i, it in enumerate(items) if isinstance(it, PdfLine) and CONTENTS_RE.match(it.text.strip())
                  and (_style(it, body, config) is not None or len(it.text) < config.pdf_contents_title_chars)),
                 None)
    if start is None:
        return items, []
    entries: list[tuple[PdfLine, str, str]] = []
    pending: PdfLine | None = None
    end = start + 1
    for i in range(start + 1, len(items)):
        item = items[i]
        if not isinstance(item, PdfLine):
            break
        text, page = split_contents_line(item.text)
        if page is not None:
            head = pending or item
            title = f"{pending.text} {text}" if pending else text
            entries.append((head, title, str(page)))
            pending = None
            end = i + 1
        elif pending is None and len(item.text.split()) <= config.pdf_contents_wrap_words:
            pending = item
        else:
            break
    if not entries:
        return items, []
    left = min(e[0].x0 for e in entries)
    lines = [("\t" if head.x0 > left + config.pdf_indent else "") + f"{title}\t{page}" for head, title, page in entries]
    return items[:start] + items[end:], lines


def _title_lines(items: list[PdfLine | PdfTable], body: float, config: PdfLayoutConfig) -> set[int]:
    """ids of the report's title on its first page: the lines, before any other heading there, in a
    size larger than every heading of the later pages (a report of one page has no title page)."""
    later = {it.size for it in items if isinstance(it, PdfLine) and it.page > 0 and _style(it, body, config)}
    if not later:
        return set()
    title: set[int] = set()
    for item in items:
        if not isinstance(item, PdfLine) or item.page > 0:
            break
        if _style(item, body, config) is None:
            continue
        if item.size <= max(later):
            break
        title.add(id(item))
    return title


def _group(items: list[PdfLine | PdfTable], body: float, titles: set[int],
           config: PdfLayoutConfig) -> list[tuple[str, list[PdfLine], Any]]:
    """Cut items into (kind, lines, extra) groups: 'heading' (extra = style), 'title', 'body', 'table'."""
    groups: list[tuple[str, list[PdfLine], Any]] = []
    prev: PdfLine | None = None
    for item in items:
        if isinstance(item, PdfTable):
            groups.append(("table", [], item))
            prev = None
            continue
        style = _style(item, body, config)
        kind = "title" if id(item) in titles else "heading" if style else "body"
        same = (prev is not None and groups and groups[-1][0] == kind and prev.page == item.page
                and -1.0 <= item.top - prev.bottom <= config.pdf_paragraph_gap * max(body, item.size)
                and (kind != "heading" or groups[-1][2] == style)
                and not (kind == "body" and is_list_item(item.text))
                and not (kind == "body" and is_caption(item.text))
                and not (kind == "body" and _caption_ended(groups[-1][1], item)))
        if same:
            groups[-1][1].append(item)
        else:
            groups.append((kind, [item], style))
        prev = item
    return groups


def _caption_ended(lines: list[PdfLine], item: PdfLine) -> bool:
    """Whether a caption set in body type ends before ``item``: the next line starts a sentence and runs
    further right than the caption's last line (a wrapped caption's lines shorten; a paragraph's first
    line runs to the margin), so the paragraph after a caption never becomes part of it."""
    return is_caption(lines[0].text) and item.text[:1].isupper() and item.x1 > lines[-1].x1 + 1.0


def _blocks(groups: list[tuple[str, list[PdfLine], Any]], vocab: Vocabulary, body: float,
            config: PdfLayoutConfig) -> tuple[list[Block], dict[int, Any]]:
    """Blocks of the groups, and the heading style of each heading block (by id)."""
    blocks: list[Block] = []
    styles: dict[int, Any] = {}
    for kind, lines, extra in groups:
        if kind == "table":
            blocks.append(Block("table", "", extra.page, extra.page, rows=extra.rows))
            continue
        page, page_end = lines[0].page, lines[-1].page
        text = join_lines([ln.text for ln in lines], vocab)
        if kind == "heading":
            words = len(text.split())
            large = extra[0] >= config.pdf_heading_ratio * body
            limit = config.pdf_max_heading_words if large else config.pdf_max_bold_heading_words
            if is_caption(text):
                blocks.append(Block("caption", text, page, page_end))
            elif is_quote_heading(text) or is_url(text) or words > limit or not any(c.isalpha() for c in text):
                blocks.append(Block("paragraph", text, page, page_end))
            else:
                number, _ = heading_number(text)
                block = Block("heading", text, page, page_end, number=number)
                styles[id(block)] = extra
                blocks.append(block)
            continue
        if kind == "title":
            blocks.append(Block("paragraph", text, page, page_end))
            continue
        if is_caption(text):
            blocks.append(Block("caption", text, page, page_end))
        elif is_list_item(lines[0].text):
            blocks.append(Block("list_item", without_bullet(text), page, page_end))
        else:
            blocks.append(Block("paragraph", text, page, page_end))
    return blocks, styles


def _merge_tables_across_pages(blocks: list[Block]) -> list[Block]:
    """Join a table with the table that starts the next page when it has as many columns (a table
    the page break cut); a header row repeated on the new page is dropped."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == block.kind == "table" and block.page == prev.page_end + 1
                and max(map(len, block.rows)) == max(map(len, prev.rows))):
            rows = block.rows[1:] if match_key(" ".join(block.rows[0])) == match_key(" ".join(prev.rows[0])) \
                else block.rows
            if rows and rows[0] and not rows[0][0] and prev.rows[-1][:1] != [""]:
                # the first row continues the row the page break cut
                prev.rows[-1] = [f"{a} {b}".strip() for a, b in zip_longest(prev.rows[-1], rows[0], fillvalue="")]
                rows = rows[1:]
            prev.rows.extend(rows)
            prev.page_end = block.page_end
            continue
        out.append(block)
    return out


def _fold_homoglyphs(blocks: list[Block]) -> list[Block]:
    """Fold Cyrillic/Greek look-alike letters judged on the whole document (a table cell alone
    is too short to tell)."""
    sep = "\x1e"
    texts = [b.text for b in blocks] + [c for b in blocks for row in b.rows for c in row]
    folded = iter(fold_homoglyphs(sep.join(texts)).split(sep))
    for block in blocks:
        block.text = next(folded)
    for block in blocks:
        block.rows = [[next(folded) for _ in row] for row in block.rows]
    return blocks


def _label(text: str) -> str:
    number, title = heading_number(text)
    return format_numbered(number, title) if number is not None else text.strip()


def _walk_trails(blocks: list[Block], levels: dict[int, int], pushes: dict[int, list[tuple[int, str]]]) -> None:
    """Set every block's trail from heading levels (by block id) and virtual headings placed
    before a block (an outline entry whose text is not printed as a line)."""
    stack: list[tuple[int, str]] = []

    def push(level: int, title: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))

    for block in blocks:
        for level, title in pushes.get(id(block), []):
            push(level, title)
        if id(block) in levels:
            push(levels[id(block)], _label(block.text))
        block.section = tuple(t for _, t in stack) or (FRONT_MATTER,)


def _apply_outline(blocks: list[Block], outline: list[OutlineEntry], config: PdfLayoutConfig) -> bool:
    """Mark the blocks that print each outline entry as headings; blocks that looked like headings
    but are not in the outline become paragraphs. When the outline's levels can be trusted (see
    ``levels_follow_numbering``) set every block's trail from them and return True."""
    levels: dict[int, int] = {}
    pushes: dict[int, list[tuple[int, str]]] = {}
    pos = 0
    for entry in outline:
        if CONTENTS_RE.match(entry.title):  # the contents page is read as contents, not as a section
            continue
        key = match_key(entry.title)
        found = None
        for j in range(pos, len(blocks)):
            block = blocks[j]
            if block.page > entry.page + 1:
                break
            if block.page < entry.page or block.kind == "table":
                continue
            bkey = match_key(block.text)
            if key and bkey and (bkey == key or (bkey.startswith(key) and block.kind == "heading")
                                 or (key.startswith(bkey) and len(bkey) >= config.pdf_outline_prefix_share * len(key))):
                found = j
                break
        if found is not None:
            block = blocks[found]
            pos = found + 1
            if block.kind == "caption" or is_quote_heading(block.text) or is_url(block.text):
                continue  # a bookmarked caption or quotation is not a section
            block.kind = "heading"
            block.number = heading_number(block.text)[0]
            levels[id(block)] = entry.level
            continue
        target = next((j for j in range(pos, len(blocks)) if blocks[j].page >= entry.page), None)
        if target is not None:
            pushes.setdefault(id(blocks[target]), []).append((entry.level, _label(entry.title)))
            pos = target
    for block in blocks:
        if block.kind == "heading" and id(block) not in levels:
            block.kind = "paragraph"
    if levels_follow_numbering(outline, config):
        _walk_trails(blocks, levels, pushes)
        return True
    return False


def _apply_size_ranks(blocks: list[Block], styles: dict[int, Any]) -> None:
    """Levels from heading styles: the largest size is level 1; at one size, bold ranks higher."""
    ranked = sorted({s for s in styles.values()}, key=lambda s: (-s[0], not s[1]))
    rank = {s: i + 1 for i, s in enumerate(ranked)}
    levels = {key: rank[style] for key, style in styles.items()}
    _walk_trails(blocks, levels, {})


def carry_trails(blocks: list[Block]) -> list[Block]:
    """Give blocks made after the trails were set (captions turned into figures, notes) the trail
    of the block before them."""
    last: tuple[str, ...] = (FRONT_MATTER,)
    for block in blocks:
        if block.section:
            last = block.section
        else:
            block.section = last
    return blocks


def read_structure(path: Path, outline: list[OutlineEntry],
                   config: PdfLayoutConfig | None = None) -> PdfStructure | None:
    """The structure of the PDF at ``path`` (see the module docstring), or None when it has neither
    an outline nor any line set apart by size or weight. Raises whatever pdfplumber raises for a
    file it cannot parse. ``config``: the layout thresholds (default: ``PdfLayoutConfig()``)."""
    import pdfplumber

    config = config or PdfLayoutConfig()

    pages: list[list[PdfLine]] = []
    heights: list[float] = []
    tables: list[PdfTable] = []
    with pdfplumber.open(str(path)) as pdf:
        for page_no, page in enumerate(pdf.pages):
            found = _page_tables(page, page_no)
            tables.extend(t for t, _ in found)
            pages.append(_page_lines(page, page_no, [bbox for _, bbox in found], config))
            heights.append(float(page.height))
            page.close()  # free the page's parsed objects: a long report need not sit in memory
    pages = _drop_running_lines(pages, heights, config)
    all_lines = [ln for lines in pages for ln in lines]
    body = _body_size(all_lines)
    if not outline and not any(_style(ln, body, config) for ln in all_lines):
        return None
    items = _with_tables(pages, tables)
    items, contents = _extract_contents(items, body, config)
    titles = _title_lines(items, body, config)
    vocab = Vocabulary.of("\n".join(ln.text for ln in all_lines))
    blocks, styles = _blocks(_group(items, body, titles, config), vocab, body, config)
    for block in blocks:
        block.text = repair_glued_compounds(block.text, vocab)
        block.rows = [[repair_glued_compounds(join_lines(c.split("\n"), vocab), vocab) for c in row]
                      for row in block.rows]
    blocks = _fold_homoglyphs(_merge_tables_across_pages(_merge_across_pages(blocks)))
    title_text = " ".join(ln.text for ln in all_lines if id(ln) in titles) or None
    page_texts = ["\n".join(ln.text for ln in lines) for lines in pages]
    structure = PdfStructure(blocks=blocks, contents=contents, title=title_text, tables=len(tables),
                             page_texts=page_texts)
    if outline:
        structure.trails_set, structure.source = _apply_outline(blocks, outline, config), "outline"
        return structure
    headings = [b for b in blocks if b.kind == "heading"]
    numbered = sum(1 for b in headings if b.number is not None or APPENDIX_RE.match(b.text))
    if headings and not contents and numbered < config.pdf_numbered_share * len(headings):
        _apply_size_ranks(blocks, {k: v for k, v in styles.items() if k in {id(b) for b in headings}})
        structure.trails_set = True
    if structure.title is None and headings:
        structure.title = headings[0].text
    return structure
