"""HTML fragments the templates need: highlighted passages, the report reader, citations.

All text is escaped here before any markup is added, so report and query text can never
become markup (Jinja2 autoescaping covers everything else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from indexer.store import StoredDocument
from reportqa.citation import Citer
from reportqa.records import DocumentMeta, Passage
from reportqa.settings import Settings


def highlighted(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> Markup:
    """``text`` escaped, with each [start, end) span wrapped in <mark>."""
    out, pos = [], 0
    for s, e in sorted((int(a), int(b)) for a, b in spans):
        if s < pos or e > len(text) or s >= e:
            continue
        out += [escape(text[pos:s]), Markup('<mark class="evidence">'), escape(text[s:e]), Markup("</mark>")]
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def table_card(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> Markup:
    """A table passage (caption line(s), then tab-separated rows) as a small HTML table, with
    the rows that hold evidence marked (see ``marked_cells``)."""
    marked = [(int(a), int(b)) for a, b in spans]
    caption: list[str] = []
    rows: list[tuple[list[str], bool]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if "\t" not in line and not rows:
            caption.append(line)
            continue
        hit = any(s < end and e > start for s, e in marked)
        rows.append((line.split("\t"), hit))
    header = rows[0][0] if rows else []
    out = [Markup('<div class="table-wrap"><table class="card-table%s">') % stack_class(header)]
    if caption:
        out.append(Markup("<caption>") + escape(" ".join(caption)) + Markup("</caption>"))
    for k, (cells, hit) in enumerate(rows):
        if k == 0:
            inner = Markup("").join(Markup('<th scope="col">') + escape(c) + Markup("</th>") for c in cells)
            out.append(Markup("<tr>") + inner + Markup("</tr>"))
        else:
            out.append(table_row(cells, header, "evidence" if hit else ""))
    out.append(Markup("</table></div>"))
    return Markup("").join(out)


MARK_LABELS = {"evidence": "(evidence)", "passage": "(highlighted passage)"}


def table_row(cells: list[str] | tuple[str, ...], header: list[str] | tuple[str, ...], mark: str = "",
              attrs: Markup = Markup(""), first_prefix: Markup = Markup("")) -> Markup:
    """A body row. A marked row (``mark`` "evidence" or "passage") is marked by more than its colour: each
    cell's text sits in a <mark> (kept in forced-colours mode) and the row starts with a visually hidden
    "(evidence)" label for screen readers."""
    row_class = {"evidence": "evidence-row", "passage": "passage-row"}.get(mark, "")
    cls = Markup(' class="%s"') % row_class if row_class else Markup("")
    label = Markup('<span class="visually-hidden">%s </span>') % MARK_LABELS[mark] if mark else Markup("")
    return Markup("<tr%s%s>") % (cls, attrs) + Markup("").join(
        labelled_cell(c, header, i, (first_prefix + label) if i == 0 else Markup(""), mark)
        for i, c in enumerate(cells)) + Markup("</tr>")


def stack_class(header: list[str] | tuple[str, ...]) -> Markup:
    """' stack' for a table of three or more named columns: on a phone its rows are shown as stacked
    'column: value' lines (see style.css), so no column is off to the side."""
    return Markup(" stack") if len([h for h in header if h.strip()]) >= 3 else Markup("")


def labelled_cell(text: str, header: list[str] | tuple[str, ...], i: int, prefix: Markup = Markup(""),
                  mark: str = "") -> Markup:
    """A table cell carrying its column's name (``data-label``), for the stacked phone layout; with
    ``mark``, its text in <mark class="{mark}">."""
    label = header[i].strip() if i < len(header) else ""
    attr = Markup(' data-label="%s"') % label if label else Markup("")
    body = escape(text)
    if mark and text.strip():
        body = Markup('<mark class="%s">') % mark + body + Markup("</mark>")
    return Markup("<td%s>") % attr + prefix + body + Markup("</td>")


def display_sentence(text: str) -> str:
    """An answer sentence for reading: a table line's cells separated by ' · '."""
    return " · ".join(part.strip() for part in text.split("\t")) if "\t" in text else text


def byline(meta: DocumentMeta) -> str:
    """'Authors. Publisher, Place, Date.' from the parts the report has, or '' when it has none (a PDF
    added without a manifest may have no author, publisher or date: no stray full stop then)."""
    published = ", ".join(x.strip() for x in (meta.publisher, meta.place, meta.date) if x.strip())
    parts = [x.strip().rstrip(".") for x in (meta.authors, published) if x.strip()]
    return ". ".join(parts) + "." if parts else ""


CITATION_STYLES = (("harvard", "Harvard"), ("apa", "APA"), ("ris", "RIS"), ("bibtex", "BibTeX"))


def citer_for(retriever, settings: Settings) -> Citer:
    """Cites the retriever's reports, with links under the public base URL (never the request's Host)."""
    return Citer({doc_id: d.meta for doc_id, d in retriever.documents.items()}, settings.base_url)


@dataclass
class Heading:
    anchor: str
    title: str
    level: int


def _slug(n: int) -> str:
    return f"s-{n}"


class ReaderRenderer:
    """Renders a stored document as HTML: headings with anchors, paragraphs, lists, tables and
    figures; an anchor at the start of every passage; the chosen passage highlighted."""

    def __init__(self, doc: StoredDocument, passages: list[Passage], focus: Passage | None) -> None:
        self.doc = doc
        self.text = doc.text
        self.focus = focus
        self.anchors: dict[int, list[str]] = {}
        for p in passages:
            self.anchors.setdefault(p.start, []).append(p.passage_id)
        self.headings: list[Heading] = []
        self._focus_anchor_done = False
        # printed start pages of sections (unpaged sources whose contents list gives them)
        self.section_pages = {p.section_page_of: p.section_page for p in passages
                              if p.section_page is not None and p.section_page_of}
        self._last_page = 0
        self._marked_headings: set[str] = set()

    def _page_marker(self, block: dict) -> Markup:
        """A margin marker where a new page starts (paged sources), or where a section whose
        printed start page is known begins (the bundled Markdown report)."""
        pages = block.get("pages")
        if self.doc.paged and pages:
            first, last = int(pages[0]), int(pages[-1])
            if first <= self._last_page:
                return Markup("")
            self._last_page = first
            label = f"p. {first}" if last == first else f"pp. {first}–{last}"
            return Markup('<div class="page-marker" id="page-%d" title="page %d of the PDF">%s</div>') % (
                first, first, label)
        if block["kind"] != "heading" or not block["section"]:
            return Markup("")
        heading = block["section"][-1]
        page = self.section_pages.get(heading)
        if page is None or heading in self._marked_headings:
            return Markup("")
        self._marked_headings.add(heading)
        return Markup('<div class="page-marker" title="this section begins on printed page %d">p. %d</div>') % (
            page, page)

    def _segment(self, start: int, end: int) -> Markup:
        """Escaped text[start:end] with passage anchors and the focus highlight inserted."""
        cuts = {start, end} | {o for o in self.anchors if start <= o < end}
        if self.focus is not None:
            cuts |= {o for o in (self.focus.start, self.focus.end) if start < o < end}
        pieces: list[Markup] = []
        points = sorted(cuts)
        for a, b in zip(points, points[1:]):
            for pid in self.anchors.get(a, []):
                pieces.append(Markup('<span class="anchor" id="p-%s"></span>') % pid)
            chunk = escape(self.text[a:b])
            if self.focus is not None and self.focus.start <= a and b <= self.focus.end:
                first = not self._focus_anchor_done
                self._focus_anchor_done = True
                attrs = Markup(' id="focus" tabindex="-1"') if first else Markup("")
                label = Markup('<span class="visually-hidden">(highlighted passage) </span>') if first else Markup("")
                chunk = Markup('<mark class="passage"%s>') % attrs + label + chunk + Markup("</mark>")
            pieces.append(chunk)
        return Markup("").join(pieces)

    def render(self) -> Markup:
        parts: list[Markup] = []
        in_list = False
        for n, block in enumerate(self.doc.structure):
            kind, start, end = block["kind"], block["start"], block["end"]
            if kind != "list_item" and in_list:
                parts.append(Markup("</ul>"))
                in_list = False
            marker = self._page_marker(block)
            if marker and in_list:
                parts.append(Markup("</ul>"))
                in_list = False
            if marker:
                parts.append(marker)
            if kind == "heading":
                level = min(len(block["section"]), 4)
                anchor = _slug(n)
                self.headings.append(Heading(anchor, self.text[start:end], level))
                tag = f"h{level + 1}"
                parts.append(Markup(f'<{tag} id="{anchor}">') + self._segment(start, end) + Markup(f"</{tag}>"))
            elif kind == "list_item":
                if not in_list:
                    parts.append(Markup("<ul>"))
                    in_list = True
                text_start = start + 2 if self.text[start:start + 2] == "• " else start
                parts.append(Markup("<li>") + self._segment(text_start, end) + Markup("</li>"))
            elif kind == "table":
                parts.append(self._table(block))
            elif kind == "figure":
                parts.append(Markup('<figure class="figure"><figcaption>') + self._segment(start, end).replace(
                    "\n", Markup("<br>")) + Markup("</figcaption></figure>"))
            else:
                parts.append(Markup("<p>") + self._segment(start, end) + Markup("</p>"))
        if in_list:
            parts.append(Markup("</ul>"))
        return Markup("\n").join(parts)

    def _table(self, block: dict) -> Markup:
        start, end, rows = block["start"], block["end"], block["rows"]
        first_row = rows[0][0] if rows else end
        head_text = self.text[start:first_row].rstrip("\n")
        lines = head_text.split("\n") if head_text else []
        caption_lines, header = (lines[:-1], lines[-1]) if lines else ([], "")
        top = Markup("").join(Markup('<span class="anchor" id="p-%s"></span>') % pid
                              for pid in self.anchors.get(start, []) if not rows or start != rows[0][0])
        columns = header.split("\t") if header else []
        # a table passage as a whole (caption and rows) is landed on as a whole; a row passage on its row
        whole = bool(rows) and self.focus is not None and not self._focus_anchor_done and \
            self.focus.start <= first_row and rows[-1][1] <= self.focus.end
        wrap_attrs = Markup(' id="focus" tabindex="-1" role="group" aria-label="Highlighted passage: %s"') % (
            " ".join(caption_lines) or "table") if whole else Markup("")
        self._focus_anchor_done = self._focus_anchor_done or whole
        out = [top, Markup('<div class="table-wrap"%s><table class="doc-table%s">') % (
            wrap_attrs, stack_class(columns))]
        if caption_lines:
            out.append(Markup("<caption>") + escape(" ".join(caption_lines)) + Markup("</caption>"))
        if header:
            out.append(Markup("<thead><tr>") + Markup("").join(
                Markup("<th scope=\"col\">") + escape(c) + Markup("</th>") for c in header.split("\t"))
                + Markup("</tr></thead>"))
        out.append(Markup("<tbody>"))
        for s, e in rows:
            focused = self.focus is not None and self.focus.start <= s and e <= self.focus.end
            anchor_ids = self.anchors.get(s, [])
            anchors = Markup("").join(Markup('<span class="anchor" id="p-%s"></span>') % pid for pid in anchor_ids)
            attrs = Markup("")
            if focused and not self._focus_anchor_done:  # "Jump to the highlighted passage" lands on the row
                attrs = Markup(' id="focus" tabindex="-1"')
                self._focus_anchor_done = True
            out.append(table_row(self.text[s:e].split("\t"), columns, "passage" if focused else "", attrs, anchors))
        out.append(Markup("</tbody></table></div>"))
        notes_start = rows[-1][1] if rows else start
        notes = self.text[notes_start:end].strip()
        if notes:
            out.append(Markup('<p class="note">') + escape(notes) + Markup("</p>"))
        return Markup("").join(out)


SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
