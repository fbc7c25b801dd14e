"""Parse text extracted from a PDF layout (a .pdf, or a .txt made from one) into blocks.

Such text has hard line wraps, headings set as short lines with no blank line before the
body, pull-quote call-outs in narrow columns, loose figure labels and, in some .txt exports,
a single leading space marking the first line of each page. Everything here is a heuristic on
line widths and punctuation, measured against the document's own body-text width.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from indexer.blocks import (
    APPENDIX_RE,
    NUMBERED_HEADING_RE,
    Block,
    ends_sentence,
    is_caption,
)
from indexer.cleaning import Vocabulary, join_hyphenated, repeated_caps_lines, running_line_key
from reportqa.text import BULLET_SYMBOLS, is_list_item, without_bullet

SOFT_PAGE_RE = re.compile(rf"^ (?=[^\s{BULLET_SYMBOLS}])")
CONNECTORS = frozenset("and or of the to in for with on a an by from at as & nor".split())


@dataclass
class RawBlock:
    """Consecutive non-blank lines on one page."""

    lines: list[str]
    page: int


def join_lines(lines: list[str], vocab: Vocabulary) -> str:
    """Join hard-wrapped lines into one string, undoing line-end hyphenation where it is not real."""
    text = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not text:
            text = line
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].isalpha():
            text = join_hyphenated(text, line, vocab)
        else:
            text = f"{text} {line}"
    return re.sub(r"[ \t]{2,}", " ", text)


def soft_pages(text: str) -> list[str]:
    """Split unpaged text at lines that start with a single space (how some PDF-to-text
    exports mark the first line of a page). Text without such lines stays one page."""
    pages: list[list[str]] = [[]]
    for line in text.split("\n"):
        if SOFT_PAGE_RE.match(line) and any(ln.strip() for ln in pages[-1]):
            pages.append([])
        pages[-1].append(line)
    return ["\n".join(p) for p in pages]


def split_raw_blocks(pages: list[str], drop_keys: set[str], title_key: str) -> list[RawBlock]:
    """Cut pages into blocks at blank lines, dropping running header lines."""
    blocks: list[RawBlock] = []
    for page_no, page in enumerate(pages):
        current: list[str] = []
        for line in page.split("\n") + [""]:
            key = running_line_key(line)
            is_header = key in drop_keys or (
                len(key) >= 20 and bool(title_key) and title_key.startswith(key) and line.strip().isupper()
            )
            if not line.strip() or is_header:
                if current:
                    blocks.append(RawBlock(current, page_no))
                current = []
                continue
            current.append(line.rstrip())
    return blocks


def body_width(blocks: list[RawBlock]) -> float:
    """Median length of the document's longer lines: the width of a body-text column."""
    lengths = [len(ln.strip()) for b in blocks for ln in b.lines if len(ln.strip()) >= 25]
    return statistics.median(lengths) if lengths else 60.0


class LayoutParser:
    """Turns the pages of one layout-extracted document into blocks."""

    def __init__(self, vocab: Vocabulary, width: float, lines: list[str] | None = None) -> None:
        self.vocab = vocab
        self.width = width
        # Word pairs seen inside one line where the second word is capitalised ("Watch Foundation"):
        # a heading-like line whose last word pairs with the next line's first word this way is
        # the start of a sentence that runs on, not a heading.
        self.capital_pairs = {
            (a.lower(), b)
            for line in lines or []
            for a, b in zip(line.split(), line.split()[1:])
            if b[:1].isupper() and a[-1:].isalpha()
        }
        self.heading_width = 0.85 * width
        self.narrow_width = 0.8 * width
        self.label_width = 0.5 * width

    # --- line predicates -------------------------------------------------------------------
    def is_label_block(self, rb: RawBlock) -> bool:
        """Loose labels: a few words with no sentence punctuation, in very short lines or one line."""
        text = " ".join(ln.strip() for ln in rb.lines)
        short_lines = all(len(ln.strip()) <= self.label_width for ln in rb.lines)
        one_line = len(rb.lines) == 1 and len(text) <= 1.4 * self.width
        return (
            len(text.split()) <= 8
            and (short_lines or one_line)
            and not ends_sentence(text)
            and not is_list_item(rb.lines[0])
            and not is_caption(text)
            and not NUMBERED_HEADING_RE.match(text)
            and not APPENDIX_RE.match(text)
        )

    def is_heading_line(self, line: str, first: bool) -> bool:
        s = line.strip()
        numbered = bool(NUMBERED_HEADING_RE.match(s)) and first
        limit = self.heading_width + (6 if numbered or APPENDIX_RE.match(s) else 0)
        if not s or len(s) > limit or len(s.split()) > 12 or is_list_item(line):
            return False
        if s[0] in "“\"‘'(" and first:
            return False
        tail = s.rstrip()
        if tail[-1] in ".,;!" or (tail[-1] == ":" and not APPENDIX_RE.match(s)):
            return False
        return not first or s[0].isupper() or s[0].isdigit()

    @staticmethod
    def continues_heading(previous: str, line: str) -> bool:
        prev = previous.rstrip()
        last_word = prev.split()[-1].lower() if prev.split() else ""
        return (
            line.strip()[:1].islower()
            or line.strip()[:1] in "(&"
            or last_word in CONNECTORS
            or prev.endswith(("-", "–", ":"))
            or prev.count("(") > prev.count(")")
        )

    # --- block classification -----------------------------------------------------------------
    def leading_headings(self, lines: list[str]) -> tuple[list[list[str]], int]:
        """Heading line groups at the top of a block, and how many lines they use.

        A wrapped heading continues on the next line when that line starts in lower case or
        the previous one ends with a connector word; a numbered heading also takes a following
        capitalised short line. A group is not a heading when the body after it continues its
        sentence (starts in lower case), or when its line is nearly full width and the next
        line is longer still (a paragraph's first line).
        """
        groups: list[list[str]] = []
        used = 0
        for i, line in enumerate(lines):
            numbered_open = bool(groups) and bool(NUMBERED_HEADING_RE.match(groups[-1][0].strip())) \
                and not groups[-1][-1].rstrip().endswith("?") and len(groups[-1]) < 4
            continuation = groups and (self.continues_heading(groups[-1][-1], line) or numbered_open)
            if continuation and self.is_heading_line(line, False):
                groups[-1].append(line)
            elif self.is_heading_line(line, True):
                groups.append([line])
            else:
                break
            used = i + 1
        while groups and used < len(lines):
            nxt = lines[used].strip()
            last = groups[-1][-1].strip()
            runs_on = bool(last.split()) and bool(nxt.split()) and (
                last.split()[-1].lower(), nxt.split()[0]) in self.capital_pairs
            if not (nxt[:1].islower() or runs_on
                    or (len(last) >= 0.82 * self.width and len(nxt) > len(last))):
                break
            # The last line belongs to the paragraph after it, not to the heading.
            groups[-1].pop()
            used -= 1
            if not groups[-1]:
                groups.pop()
        if any(len(" ".join(g).split()) > 12 and not NUMBERED_HEADING_RE.match(g[0].strip())
               for g in groups):
            return [], 0
        return groups, used

    def is_narrow_callout(self, lines: list[str]) -> bool:
        return (
            len(lines) >= 3
            and all(len(ln.strip()) <= self.narrow_width for ln in lines[:-1])
            and ends_sentence(lines[-1])
            and lines[-1].rstrip().rstrip("”’\"')")[-1:] in ".!?"
            and not is_list_item(lines[0])
            and not NUMBERED_HEADING_RE.match(lines[0].strip())
        )

    def classify(self, rb: RawBlock) -> list[Block]:
        """Blocks found in one raw block: headings first, then list items and paragraphs."""
        page = rb.page
        lines = rb.lines
        first_text = lines[0].strip()
        if is_caption(first_text):
            return [Block("caption", join_lines(lines, self.vocab), page, page)]
        if self.is_narrow_callout(lines):
            return [Block("paragraph", join_lines(lines, self.vocab), page, page, narrow=True)]
        out: list[Block] = []
        groups, used = self.leading_headings(lines)
        for group in groups:
            out.append(Block("heading", join_lines(group, self.vocab), page, page))
        out.extend(self.body_blocks(lines[used:], page))
        return out

    def body_blocks(self, lines: list[str], page: int) -> list[Block]:
        """Split body lines into list items and paragraphs (a short line ending a sentence ends
        a paragraph, for PDF text that has no blank lines between paragraphs)."""
        out: list[Block] = []
        current: list[str] = []
        kind = "paragraph"

        def flush() -> None:
            nonlocal current
            if current:
                text = join_lines(current, self.vocab)
                if kind == "list_item":
                    text = without_bullet(text)
                out.append(Block(kind, text, page, page))  # type: ignore[arg-type]
            current = []

        for i, line in enumerate(lines):
            if is_list_item(line):
                flush()
                kind = "list_item"
            elif current and kind == "paragraph" and self._paragraph_ends(current[-1], line):
                flush()
            current.append(line)
        flush()
        return out

    def _paragraph_ends(self, previous: str, line: str) -> bool:
        prev = previous.strip()
        return (
            prev[-1:] in ".!?:”\"" and len(prev) < 0.7 * self.width
            and (line.strip()[:1].isupper() or line.strip()[:1] in "“\"")
        )


def _label_runs(parser: LayoutParser, raw: list[RawBlock]) -> list[tuple[int, int]]:
    """(start, end) index ranges of 3+ consecutive loose-label blocks (figure boxes, term lists)."""
    flags = [parser.is_label_block(rb) for rb in raw]
    for i in range(1, len(raw) - 1):
        text = " ".join(ln.strip() for ln in raw[i].lines)
        if (not flags[i] and flags[i - 1] and flags[i + 1] and len(raw[i].lines) == 1
                and len(text.split()) <= 12 and not ends_sentence(text)):
            flags[i] = True
    runs = []
    i = 0
    while i < len(raw):
        if flags[i]:
            j = i
            while j < len(raw) and flags[j]:
                j += 1
            if j - i >= 3:
                if i > 0 and len(raw[i - 1].lines) >= 2 and not ends_sentence(raw[i - 1].lines[-1]) \
                        and len(" ".join(raw[i - 1].lines).split()) <= 12:
                    i -= 1
                runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _move_trailing_headings(blocks: list[Block]) -> list[Block]:
    """A heading printed at the foot of a page with nothing after it until the next page's
    heading (e.g. an appendix title under its table) is moved to the top of its page."""
    out = list(blocks)
    for i in range(len(out) - 1, -1, -1):
        block = out[i]
        nxt = out[i + 1] if i + 1 < len(out) else None
        if block.kind != "heading" or (nxt is not None and (nxt.page == block.page or nxt.kind != "heading")):
            continue
        start = i
        while start > 0 and out[start - 1].page == block.page:
            start -= 1
        if start < i:
            out.insert(start, out.pop(i))
    return out


def _merge_across_pages(blocks: list[Block]) -> list[Block]:
    """Rejoin a paragraph that a page break cut in two (the second half starts in lower case)."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == block.kind == "paragraph" and block.page > prev.page_end
                and not prev.narrow and not ends_sentence(prev.text) and block.text[:1].islower()):
            prev.text = f"{prev.text} {block.text}"
            prev.page_end = block.page_end
            continue
        out.append(block)
    return out


def parse_layout(pages: list[str], vocab: Vocabulary, title: str = "", paged: bool = True) -> list[Block]:
    """Blocks of a layout-extracted document, in reading order.

    For unpaged text, page numbers are soft pages (see ``soft_pages``): used for layout
    decisions only, never cited.
    """
    full = "\n".join(pages)
    if not paged:
        pages = [p for page in pages for p in soft_pages(page)]
    title_key = running_line_key(title) if title else ""
    raw = split_raw_blocks(pages, repeated_caps_lines(full), title_key)
    parser = LayoutParser(vocab, body_width(raw), full.split("\n"))
    runs = _label_runs(parser, raw)
    blocks: list[Block] = []
    run_starts = {s: e for s, e in runs}
    i = 0
    while i < len(raw):
        if i in run_starts:
            end = run_starts[i]
            labels = [join_lines(rb.lines, vocab) for rb in raw[i:end]]
            caption = ""
            if blocks and blocks[-1].kind == "caption":
                caption = blocks.pop().text
            blocks.append(Block("figure", " · ".join(labels), raw[i].page, raw[end - 1].page,
                                caption=caption))
            i = end
            continue
        blocks.extend(parser.classify(raw[i]))
        i += 1
    for block in blocks:
        block.page_end = max(block.page_end, block.page)
    return _merge_across_pages(_move_trailing_headings(blocks))
