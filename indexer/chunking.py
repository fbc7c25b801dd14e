"""Cut a cleaned document into passages: whole sentences within one section, sized in the
embedding model's own tokens and never longer than its window; tables whole (split by rows
only when too long) and every table row on its own with its column headers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from indexer.document import CleanDocument, PlacedBlock
from indexer.sentences import split_sentences
from indexer.tables import render_row
from reportqa.records import Passage, PassageKind
from reportqa.settings import ChunkerConfig

CHUNKER_VERSION = 5
PROSE_KINDS = ("paragraph", "list_item")
# A numbered note ('4. Most other forms of child sexual abuse are dealt with by …') interrupts
# the body it sits in; it becomes a passage of its own rather than the tail of another.
FOOTNOTE_RE = re.compile(r"^\d{1,2}\.\s+[A-Z\"“]")
WORD_RUN = re.compile(r"\S+")

TokenCounter = Callable[[list[str]], list[int]]


@dataclass
class ChunkedPassage:
    """A passage, the text that is embedded for it, and its sentence spans (relative to text)."""

    passage: Passage
    embed_text: str
    sentences: list[tuple[int, int]]


@dataclass
class _Unit:
    start: int
    end: int
    block: int
    tokens: int = 0
    alone: bool = False  # a piece of an over-long run of characters: a passage of its own


def section_prefix(section: tuple[str, ...]) -> str:
    """The last two section titles, without numbering, to prepend to the embedded text."""
    titles = [re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", t) for t in section[-2:]]
    return " › ".join(titles)


class PassageIds:
    """Stable ids from the passages' content: the same text gives the same id on rebuild. A text that
    recurs (or an id already taken) is salted with the next number; the number to try next is kept for
    each text, so a report repeating one paragraph thousands of times costs no more than any other."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_salt: dict[tuple[str, str, str], int] = {}

    def new(self, doc_id: str, kind: str, text: str) -> str:
        """The id of the next passage of ``doc_id`` with this kind and text."""
        n = self.next_salt.get((doc_id, kind, text), 0)
        while True:
            salt = f"\x1f{n}" if n else ""
            digest = hashlib.sha1(f"{doc_id}\x1f{kind}\x1f{text}{salt}".encode()).hexdigest()[:10]
            pid = f"{doc_id}-{digest}"
            n += 1
            if pid not in self.taken:
                self.taken.add(pid)
                self.next_salt[(doc_id, kind, text)] = n
                return pid


class Chunker:
    """Builds the passages of one document."""

    def __init__(self, config: ChunkerConfig, max_tokens: int, count_tokens: TokenCounter,
                 max_word_chars: int) -> None:
        """``config``: how passages are sized (``settings.chunker``); ``max_tokens``: the model window
        without special tokens; ``count_tokens``: the model's own token counter; ``max_word_chars``: the
        longest run of characters without a space kept whole (``settings.max_word_chars``)."""
        self.config = config
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens
        self.max_word_chars = max_word_chars

    def chunk(self, doc: CleanDocument) -> list[ChunkedPassage]:
        drafts: list[tuple[PassageKind, PlacedBlock, int, int, str, list[tuple[int, int]]]] = []
        run: list[PlacedBlock] = []
        for block in doc.blocks + [None]:  # type: ignore[list-item]
            joins = (block is not None and block.kind in PROSE_KINDS and not _is_footnote(doc, block)
                     and (not run or (run[-1].section == block.section and not _is_footnote(doc, run[-1]))))
            if joins:
                run.append(block)
                continue
            if run:
                drafts.extend(self._prose(doc, run))
            run = [block] if block is not None and block.kind in PROSE_KINDS else []
            if block is None:
                break
            if block.kind == "table":
                drafts.extend(self._table(doc, block))
            elif block.kind == "figure":
                drafts.extend(self._figure(doc, block))
        return self._finish(doc, drafts)

    # --- prose -------------------------------------------------------------------------------
    def _budget(self, section: tuple[str, ...]) -> tuple[int, int]:
        prefix_tokens = self.count_tokens([section_prefix(section)])[0] + 2 if self.config.embed_section_titles else 0
        hard = self.max_tokens - prefix_tokens - 2
        return min(self.config.chunk_target_tokens, hard), hard

    def _prose(self, doc: CleanDocument, run: list[PlacedBlock]):
        units = [
            _Unit(b.start + s, b.start + e, i)
            for i, b in enumerate(run)
            for s, e in split_sentences(doc.text[b.start:b.end])
        ]
        for unit, n in zip(units, self.count_tokens([doc.text[u.start:u.end] for u in units])):
            unit.tokens = n
        target, hard = self._budget(run[0].section)
        units = [piece for u in units for piece in self._split_long(doc.text, u, hard)]
        for group in self._pack(units, target, hard):
            start, end = group[0].start, group[-1].end
            text = doc.text[start:end]
            spans = [(u.start - start, u.end - start) for u in group]
            first = run[group[0].block]
            last = run[group[-1].block]
            yield ("text", _merged(first, last), start, end, text, spans)

    def _pack(self, units: list[_Unit], target: int, hard: int) -> list[list[_Unit]]:
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        tokens = 0
        carried = 0  # how many units at the start of ``current`` repeat the end of the group before
        for unit in units:
            new_block = bool(current) and unit.block != current[-1].block
            too_big = tokens + unit.tokens > target and (tokens >= self.config.chunk_min_fill * target
                                                         or tokens + unit.tokens > hard)
            boundary = new_block and tokens >= self.config.chunk_block_fill * target
            alone = unit.alone or (bool(current) and current[-1].alone)
            if current and (too_big or boundary or alone):
                groups.append(current)
                carry = [] if alone else self._overlap(current, target)
                if sum(u.tokens for u in carry) + unit.tokens > hard:
                    carry = []
                current, tokens, carried = list(carry), sum(u.tokens for u in carry), len(carry)
            current.append(unit)
            tokens += unit.tokens
        fresh = current[carried:]
        if groups and fresh and not fresh[0].alone and not groups[-1][-1].alone \
                and sum(u.tokens for u in fresh) < self.config.chunk_tail_merge * target \
                and sum(u.tokens for u in groups[-1] + fresh) <= hard:
            groups[-1].extend(fresh)
        elif fresh:
            groups.append(current)
        return groups

    def _overlap(self, group: list[_Unit], target: int) -> list[_Unit]:
        n = self.config.chunk_overlap_sentences
        if n <= 0 or len(group) <= n:
            return []
        carry = group[-n:]
        return carry if sum(u.tokens for u in carry) <= self.config.chunk_max_carry * target else []

    def _split_long(self, text: str, unit: _Unit, hard: int) -> list[_Unit]:
        """Cut a sentence longer than the window into pieces that fit, at word boundaries: each word is
        tokenised once and the pieces are cut by offsets (linear in the sentence's length; tokenising
        the rest of the sentence at every cut took minutes on a long table). A run of characters without
        a space longer than ``max_word_chars``, or one word over the window, is cut into pieces of its own."""
        long_word = re.compile(rf"\S{{{self.max_word_chars + 1}}}")
        if unit.tokens <= hard and not long_word.search(text, unit.start, unit.end):
            return [unit]
        words = [(m.start(), m.end()) for m in WORD_RUN.finditer(text, unit.start, unit.end)]
        pieces: list[_Unit] = []
        current: _Unit | None = None
        for (start, end), tokens in zip(words, self.count_tokens([text[s:e] for s, e in words])):
            if end - start > self.max_word_chars or tokens > hard:
                pieces += [current] if current else []
                pieces += self._cut_word(text, start, end, unit.block, hard)
                current = None
            elif current is None or current.tokens + tokens > hard:
                pieces += [current] if current else []
                current = _Unit(start, end, unit.block, tokens)
            else:
                current.end, current.tokens = end, current.tokens + tokens
        return pieces + ([current] if current else [])

    def _cut_word(self, text: str, start: int, end: int, block: int, hard: int) -> list[_Unit]:
        """Pieces of one over-long run of characters: at most ``max_word_chars`` long and within the
        window, cut in halves until they fit (a run is at most a few thousand characters here)."""
        if end - start > self.max_word_chars:
            cuts = range(start, end, self.max_word_chars)
            return [piece for a in cuts for piece in self._cut_word(text, a, min(a + self.max_word_chars, end),
                                                                      block, hard)]
        tokens = self.count_tokens([text[start:end]])[0]
        if tokens <= hard or end - start < 2:
            return [_Unit(start, end, block, tokens, alone=True)]
        middle = (start + end) // 2
        return self._cut_word(text, start, middle, block, hard) + self._cut_word(text, middle, end, block, hard)

    def _grouped(self, head: list[str], items: list[str], hard: int, joiner: str) -> list[list[int]]:
        """Indices of ``items`` in consecutive groups that fit the window with ``head``."""
        head_tokens = sum(self.count_tokens(head)) if head else 0
        groups: list[list[int]] = []
        group: list[int] = []
        tokens = head_tokens
        for k, n in enumerate(self.count_tokens(items)):
            if group and tokens + n + len(joiner) > hard:
                groups.append(group)
                group, tokens = [], head_tokens
            group.append(k)
            tokens += n + len(joiner)
        if group:
            groups.append(group)
        return groups

    # --- figures -------------------------------------------------------------------------------
    def _figure(self, doc: CleanDocument, block: PlacedBlock):
        """A figure: caption, loose labels and notes; labels split into groups if too many."""
        text = doc.text[block.start:block.end]
        _, hard = self._budget(block.section)
        if self.count_tokens([text])[0] <= hard:
            yield ("figure", block, block.start, block.end, text, _line_spans(text))
            return
        head = [block.block.caption] if block.block.caption else []
        labels = block.block.text.split(" · ") + block.block.notes
        for g in self._grouped(head, labels, hard, " · "):
            part = "\n".join(head + [" · ".join(labels[k] for k in g)])
            yield ("figure", block, block.start, block.end, part, _line_spans(part))

    # --- tables --------------------------------------------------------------------------------
    def _table(self, doc: CleanDocument, block: PlacedBlock):
        context = block.context
        head = [line for line in (block.block.caption, "\t".join(block.header)) if line]
        _, hard = self._budget(block.section)
        rows = [doc.text[s:e] for s, e in block.row_spans]
        notes = block.block.notes
        groups = self._grouped(head, rows, hard, "\n")
        for g_index, g in enumerate(groups):
            lines = head + [rows[k] for k in g]
            if g_index == len(groups) - 1 and notes and sum(self.count_tokens(lines + notes)) < hard:
                lines += notes
            text = "\n".join(lines)
            start = block.start if g_index == 0 else block.row_spans[g[0]][0]
            end = block.end if g_index == len(groups) - 1 else block.row_spans[g[-1]][1]
            yield ("table", block, start, end, text, _line_spans(text))
        for (s, e), cells in zip(block.row_spans, block.body):
            text = render_row(block.header, cells, context)
            yield ("table_row", block, s, e, text, [(0, len(text))])

    # --- ids, embed texts and the window guarantee ----------------------------------------------------
    def _finish(self, doc: CleanDocument, drafts) -> list[ChunkedPassage]:
        ids = PassageIds()
        out: list[ChunkedPassage] = []
        fitted = [piece for draft in drafts for piece in self._fit_window(draft)]
        for kind, block, start, end, text, spans in fitted:
            page_start, page_end = doc.pages_of(block)
            passage = Passage(
                passage_id=ids.new(doc.meta.doc_id, kind, text),
                doc_id=doc.meta.doc_id,
                kind=kind,
                section=block.section,
                start=start,
                end=end,
                text=text,
                page_start=page_start,
                page_end=page_end,
            )
            out.append(ChunkedPassage(passage, self._embed_text(block.section, text), spans))
        return out

    def _embed_text(self, section: tuple[str, ...], text: str) -> str:
        prefix = section_prefix(section) if self.config.embed_section_titles else ""
        return f"{prefix}\n{text}" if prefix else text

    def _fit_window(self, draft) -> list:
        """Guarantee: no embedded text is longer than the model window, so nothing is silently
        truncated. A passage that is too long (a huge table row, a run-on figure) is split in
        two, between sentences when it has several, else between words, until every part fits."""
        kind, block, start, end, text, spans = draft
        if self.count_tokens([self._embed_text(block.section, text)])[0] <= self.max_tokens:
            return [draft]
        exact = kind == "text"  # prose passages are slices of the cleaned text; keep offsets exact
        if len(spans) > 1:
            mid = len(spans) // 2
            parts = [spans[:mid], spans[mid:]]
        else:
            s, e = spans[0] if spans else (0, len(text))
            cut = text.rfind(" ", s, s + (e - s) // 2 + 1)
            cut = cut if cut > s else s + (e - s) // 2
            parts = [[(s, cut)], [(cut, e)]]
        pieces = []
        for group in parts:
            a, b = group[0][0], group[-1][1]
            while a < b and text[a].isspace():
                a += 1
            piece = text[a:b].rstrip()
            if not piece:
                continue
            rel = [(max(0, x - a), min(len(piece), y - a)) for x, y in group if min(len(piece), y - a) > max(0, x - a)]
            new_start, new_end = (start + a, start + a + len(piece)) if exact else (start, end)
            pieces.extend(self._fit_window((kind, block, new_start, new_end, piece, rel)))
        return pieces


def _is_footnote(doc: CleanDocument, block: PlacedBlock) -> bool:
    return block.kind == "paragraph" and bool(FOOTNOTE_RE.match(doc.text[block.start:block.start + 8]))


def _merged(first: PlacedBlock, last: PlacedBlock) -> PlacedBlock:
    """A stand-in block spanning first..last, so pages cover the whole passage."""
    if first is last:
        return first
    from copy import copy

    block = copy(first.block)
    block.page_end = last.block.page_end
    return PlacedBlock(block, first.start, last.end)


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans
