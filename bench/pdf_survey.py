"""PDF structure benchmark: the bundled survey report printed to PDF must index like its Markdown.

Converts ``corpus/survey-report.md`` to HTML (headings ``#``..``####`` as h1..h4 at their sizes, the
tab-separated lines as ruled tables with their header row repeated on each page, the contents list as
indented lines with page numbers, paragraphs), prints it to an A4 PDF with headless Chromium (through
Playwright, with a running header holding the title and a footer with the page number), indexes it
with the fake embedder into a temporary folder, and measures:

- trail match: the share of the PDF's passages whose section trail equals the trail of the same text
  in the Markdown-sourced document (sentences looked up by their letters-and-digits key);
- tables found in the PDF against the tables of the Markdown;
- pages per second: structure extraction (``load``) and the whole index build.

Also reports the trail match of the plain-text PDF path used before (pypdf text, line heuristics).

    python -m bench.pdf_survey [--keep DIR] [--smoke]

``--smoke`` prints a slice of the report (front matter, contents and section 2, about 7 pages) and
skips the second print with Chromium's outline: a quick check that the script still runs.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.chunking import Chunker
from indexer.cleaning import strip_markdown_inline
from indexer.corpus import SourceFile, sha256_file
from indexer.document import CleanDocument, build_document
from indexer.embedding import FakeEmbedder
from indexer.loaders import RawDocument, load
from indexer.markdown import CONTENTS_RE, HEADING_RE, parse_markdown
from indexer.sentences import split_sentences
from reportqa.records import DocumentMeta
from reportqa.settings import PROJECT_ROOT, Settings
from reportqa.text import match_key

SURVEY = PROJECT_ROOT / "corpus" / "survey-report.md"
TITLE = "Police disruption of child sexual abuse: Findings from a national survey of frontline personnel " \
        "and strategic leads for safeguarding"
CHROMIUM = Path("/usr/bin/chromium")
SMOKE_SLICE = ("# 2. Method", "# 3. Police knowledge")  # headings: from the first, up to the second
CSS = """
body { font-family: 'Liberation Serif', serif; font-size: 11pt; line-height: 1.3; }
h1 { font-size: 20pt; } h2 { font-size: 16pt; } h3 { font-size: 14pt; } h4 { font-size: 12pt; }
.doctitle { font-size: 26pt; font-weight: bold; margin: 2em 0; }
.toc { margin: 0.1em 0; } .toc.sub { margin-left: 2em; } .toc .pg { float: right; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #000; padding: 2px 4px; }
blockquote { font-style: italic; margin: 1em 2em; }
"""


def markdown_to_html(markdown: str, title: str = TITLE) -> str:
    """The report as a printable HTML page (see the module docstring), rendered from the blocks the
    indexer's own Markdown parser gives (``indexer.markdown.parse_markdown``). That parser does not keep
    the '#' count of a line; each '#' line is printed at its own level again, so a quotation or caption
    the conversion marked as a heading is set large in the PDF, as it would be in a real print."""
    lines = markdown.split("\n")
    headings = [(i, min(len(m.group(1)), 4), strip_markdown_inline(m.group(2)).strip())
                for i, line in enumerate(lines) if (m := HEADING_RE.match(line.rstrip()))]
    levels = {text: level for _, level, text in headings}
    contents_heading = next((h for h in headings if CONTENTS_RE.match(h[2])), None)
    blocks, contents = parse_markdown(markdown)
    out: list[str] = []
    for block in blocks:
        text = html.escape(block.text)
        if block.kind == "table":
            head, *body = block.rows
            cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
            out.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>")
        elif block.text in levels and not block.explicit_callout:
            out.append(f"<h{levels[block.text]}>{text}</h{levels[block.text]}>")
        elif block.explicit_callout:
            out.append(f"<blockquote>{text}</blockquote>")
        elif block.kind == "list_item":
            out.append(f"<ul><li>{text}</li></ul>")
        else:
            css = ' class="doctitle"' if match_key(block.text) == match_key(title) else ""
            out.append(f"<p{css}>{text}</p>")
    if contents_heading is not None:  # the contents list, where its heading stands: after the blocks before it
        at, level, name = contents_heading
        toc = [f"<h{level}>{html.escape(name)}</h{level}>"]
        for line in contents:
            cells = [c.strip() for c in line.split("\t") if c.strip()]
            page = cells.pop() if cells and cells[-1].isdigit() else ""
            css = "toc sub" if line.startswith(("\t", " ")) else "toc"
            toc.append(f'<div class="{css}">{html.escape(" ".join(cells))} <span class="pg">{page}</span></div>')
        before, _ = parse_markdown("\n".join(lines[:at]))
        out[len(before):len(before)] = toc
    body = "\n".join(out)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")


def print_pdf(html_path: Path, pdf_path: Path, header: str, outline: bool = False) -> None:
    """Print an HTML file to an A4 PDF with Chromium: running header (the title) and page numbers;
    with ``outline``, Chromium also writes bookmarks from the h1..h4 tags."""
    from playwright.sync_api import sync_playwright

    small = "font-size:8pt; width:100%; text-align:center; font-family:serif;"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(html_path.resolve().as_uri())
            page.pdf(path=str(pdf_path), format="A4", display_header_footer=True,
                     header_template=f'<div style="{small}">{html.escape(header.upper())}</div>',
                     footer_template=f'<div style="{small}"><span class="pageNumber"></span></div>',
                     margin={"top": "22mm", "bottom": "22mm", "left": "20mm", "right": "20mm"},
                     outline=outline, tagged=outline)
        finally:
            browser.close()


@dataclass
class TrailMatch:
    """Passages whose trail was checked against the Markdown, how many matched, how many were not found."""

    checked: int
    matched: int
    unfound: int
    mismatches: list[tuple[str, str, str]]

    @property
    def share(self) -> float:
        return self.matched / self.checked if self.checked else 0.0


def trail_match(pdf_doc: CleanDocument, md_doc: CleanDocument) -> TrailMatch:
    """Compare the trail of every PDF passage with the trail its sentences have in the Markdown.

    A sentence the Markdown has more than once (the summary repeats the body) is taken at its first
    occurrence after the last one matched, so the lookup follows reading order. Table rows are
    looked up by their table's caption and cells."""
    occurrences: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    order = 0
    for block in md_doc.blocks:
        for key in _sentence_keys(md_doc.text[block.start:block.end]):
            occurrences.setdefault(key, []).append((order, block.section))
            order += 1
    embedder = FakeEmbedder()
    settings = Settings(embedder="fake")
    chunker = Chunker(settings.chunker, embedder.max_tokens, embedder.count_tokens, settings.max_word_chars)
    checked = matched = unfound = 0
    cursor = 0
    mismatches = []
    for chunk in chunker.chunk(pdf_doc):
        passage = chunk.passage
        votes: Counter[tuple[str, ...]] = Counter()
        for key in _sentence_keys(passage.text):
            found = occurrences.get(key)
            if not found:
                continue
            index, trail = next(((i, t) for i, t in found if i >= cursor), found[0])
            cursor = max(cursor, index)
            votes[trail] += 1
        if not votes:
            unfound += 1
            continue
        checked += 1
        expected = votes.most_common(1)[0][0]
        if expected == passage.section:
            matched += 1
        else:
            mismatches.append((" › ".join(passage.section), " › ".join(expected), passage.text[:80]))
    return TrailMatch(checked, matched, unfound, mismatches)


def _sentence_keys(text: str) -> list[str]:
    """Keys of the sentences (and of table lines, cut at tabs) of a passage or block."""
    pieces = [text[s:e] for s, e in split_sentences(text)]
    keys = [match_key(p) for piece in pieces for p in re.split(r"[\t\n]|—", piece)]
    return [k for k in keys if len(k) >= 20]


def _source(path: Path) -> SourceFile:
    return SourceFile(path=path, sha256=sha256_file(path), meta=None)


def survey_slice(markdown: str, first: str, last: str) -> str:
    """The front matter and contents of the report plus its sections from heading ``first`` up to
    (not including) heading ``last`` (headings given by their text after the '#'s)."""
    lines = markdown.split("\n")

    def find(title: str) -> int:
        return next(i for i, ln in enumerate(lines) if HEADING_RE.match(ln) and title in ln)

    contents_end = find("Executive summary")
    return "\n".join(lines[:contents_end] + lines[find(first):find(last)])


@dataclass
class SurveyRun:
    """One conversion and measurement."""

    pages: int
    match: TrailMatch
    before: TrailMatch
    pdf_tables: int
    md_tables: int
    load_seconds: float
    pdf_doc: CleanDocument
    md_doc: CleanDocument


def run(markdown: str, work: Path, outline: bool = False) -> SurveyRun:
    """Print ``markdown`` (survey text) to PDF in ``work`` and compare the PDF's structure with it."""
    work.mkdir(parents=True, exist_ok=True)
    md_path = work / "survey-report.md"
    md_path.write_text(markdown, encoding="utf-8")
    html_path = work / "survey-report.html"
    html_path.write_text(markdown_to_html(markdown), encoding="utf-8")
    pdf_path = work / "survey-report.pdf"
    print_pdf(html_path, pdf_path, "Police disruption of child sexual abuse: national survey", outline)
    meta = DocumentMeta(doc_id="survey-report", file="survey-report.pdf", title=TITLE, short_title="Survey")
    started = time.perf_counter()
    raw = load(_source(pdf_path))
    load_seconds = time.perf_counter() - started
    pdf_doc = build_document(raw, meta)
    md_doc = build_document(load(_source(md_path)), replace(meta, file="survey-report.md"))
    from pypdf import PdfReader

    plain = [page.extract_text() or "" for page in PdfReader(str(pdf_path)).pages]  # what the loader read before
    before_raw: RawDocument = replace(raw, structure=None, pages=plain)
    before = trail_match(build_document(before_raw, meta), md_doc)
    return SurveyRun(len(raw.pages), trail_match(pdf_doc, md_doc), before, len(pdf_doc.tables), len(md_doc.tables),
                     load_seconds, pdf_doc, md_doc)


def _build_seconds(pdf_path: Path, work: Path) -> float:
    from indexer.build import build_index

    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(pdf_path, corpus / pdf_path.name)
    settings = Settings(corpus_dir=corpus, index_dir=work / "index", embedder="fake",
                        weights_path=work / "no-weights.json")
    started = time.perf_counter()
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write the HTML and PDF here and keep them")
    parser.add_argument("--mismatches", type=int, default=10, help="mismatched passages to print")
    parser.add_argument("--smoke", action="store_true", help="a slice of the report, one print (see above)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    work = Path(tempfile.mkdtemp(prefix="pdf-survey-"))
    markdown = SURVEY.read_text(encoding="utf-8")
    if args.smoke:
        markdown = survey_slice(markdown, SMOKE_SLICE[0], SMOKE_SLICE[1])
    try:
        result = run(markdown, work)
        build = _build_seconds(work / "survey-report.pdf", work)
        m, b = result.match, result.before
        print(f"pages: {result.pages}")
        print(f"trail match (PDF passages whose trail equals the Markdown's): {m.share:.3f} "
              f"({m.matched}/{m.checked}; {m.unfound} passages without a sentence found in the Markdown)")
        print(f"trail match before (plain-text PDF path): {b.share:.3f} ({b.matched}/{b.checked})")
        print(f"tables: {result.pdf_tables} found in the PDF, {result.md_tables} in the Markdown")
        md_captions = sorted(t.block.caption for t in result.md_doc.tables)
        pdf_captions = sorted(t.block.caption for t in result.pdf_doc.tables)
        print(f"table captions equal: {sum(1 for c in pdf_captions if c in md_captions)}/{len(md_captions)}")
        print(f"structure extraction: {result.load_seconds:.2f} s, {result.pages / result.load_seconds:.1f} pages/s")
        print(f"whole index build (fake embedder): {build:.2f} s, {result.pages / build:.1f} pages/s")
        for got, expected, text in m.mismatches[:args.mismatches]:
            print(f"  PDF {got!r}\n   MD {expected!r}\n      {text!r}")
        if not args.smoke:
            with_outline = run(markdown, work / "outline", outline=True).match
            print(f"trail match, printed with Chromium's outline (bookmarks from the h1..h4 tags): "
                  f"{with_outline.share:.3f} ({with_outline.matched}/{with_outline.checked})")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("survey-report.html", "survey-report.pdf"):
                shutil.copy(work / name, args.keep / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
