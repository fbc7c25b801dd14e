"""Structure from PDFs: outline, layout headings, tables with captions, running lines, a printed
contents page, titles from metadata, and a report printed by Chromium (fixtures made at test time)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from browser_support import require_browser

from indexer.corpus import SourceFile
from indexer.document import CleanDocument, build_document
from indexer.loaders import load
from indexer.pdf_outline import OutlineEntry, levels_follow_numbering
from indexer.titles import distinct_short_titles, short_title
from reportqa.records import DocumentMeta
from reportqa.settings import Settings
from tests import pdf_fixtures as fx


def _doc(path: Path) -> CleanDocument:
    raw = load(SourceFile(path=path, sha256="test", meta=None))
    return build_document(raw, DocumentMeta(doc_id="t", file=path.name, title="T", short_title="T"))


def _trail_of(doc: CleanDocument, start: str) -> tuple[str, ...]:
    return next(b.section for b in doc.blocks if doc.text[b.start:b.end].startswith(start))


def _page_of(doc: CleanDocument, start: str) -> tuple[int | None, int | None]:
    return next(doc.pages_of(b) for b in doc.blocks if doc.text[b.start:b.end].startswith(start))


def test_outline_gives_headings_levels_and_pages(tmp_path: Path) -> None:
    """(a) All headings look alike; only the outline says 'Method details' sits under 'Background'."""
    doc = _doc(fx.outline_pdf(tmp_path / "outline.pdf"))
    raw = load(SourceFile(path=tmp_path / "outline.pdf", sha256="t", meta=None))
    assert raw.structure is not None and raw.structure.source == "outline"
    assert _trail_of(doc, "Two surveys were run") == ("Background", "Method details")
    assert _trail_of(doc, "The background section") == ("Background",)
    assert _trail_of(doc, "Orders were seen") == ("Findings", "Orders in practice")
    assert _page_of(doc, "Two surveys") == (1, 1) and _page_of(doc, "Most respondents had used") == (2, 2)
    assert [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "heading"] == [
        "Background", "Method details", "Findings", "Orders in practice"]


def test_outline_levels_that_contradict_the_numbering_give_way_to_it(tmp_path: Path) -> None:
    """A flat outline (every bookmark at the top) still marks the headings; levels come from numbers."""
    doc = _doc(fx.flat_outline_pdf(tmp_path / "flat.pdf"))
    assert _trail_of(doc, "The aims were agreed") == ("1. Introduction", "1.1 Aims")
    assert _trail_of(doc, "Orders were the measure") == ("2. Findings", "2.1 Orders")
    nested = [OutlineEntry("1. A", 1, 0), OutlineEntry("1.1 B", 2, 0), OutlineEntry("2. C", 1, 1)]
    flat = [OutlineEntry("1. A", 1, 0), OutlineEntry("1.1 B", 1, 0), OutlineEntry("1.2 C", 1, 1),
            OutlineEntry("2. D", 1, 1)]
    assert levels_follow_numbering(nested) and not levels_follow_numbering(flat)


def test_layout_thresholds_come_from_the_settings(tmp_path: Path) -> None:
    """PdfLayoutConfig (settings.pdf_layout) reaches the reader: trusting any outline's levels keeps the
    flat outline's levels, so the numbered sub-heading no longer nests."""
    flat = [OutlineEntry("1. A", 1, 0), OutlineEntry("1.1 B", 1, 0), OutlineEntry("2. C", 1, 1)]
    trusting = Settings(pdf_outline_agreement=0).pdf_layout
    assert levels_follow_numbering(flat, trusting) and not levels_follow_numbering(flat)
    path = fx.flat_outline_pdf(tmp_path / "flat.pdf")
    raw = load(SourceFile(path=path, sha256="test", meta=None), trusting)
    doc = build_document(raw, DocumentMeta(doc_id="t", file=path.name, title="T", short_title="T"))
    assert _trail_of(doc, "The aims were agreed") == ("1.1 Aims",)


@pytest.mark.parametrize(("fixture", "setting"), [
    ("columns_pdf", {"pdf_column_min_rows": 1000}),
    ("columns_pdf", {"pdf_column_words": 100}),
    ("columns_pdf", {"pdf_column_gap_points": 200}),
    ("columns_pdf", {"pdf_gutter_band": 0.05}),
    ("layout_pdf", {"pdf_bold_heading_ratio": 3}),
    ("layout_pdf", {"pdf_line_tolerance_points": 50}),
    ("contents_pdf", {"pdf_line_tolerance": 2}),
])
def test_each_layout_threshold_is_read_from_the_settings(tmp_path: Path, fixture: str, setting: dict) -> None:
    """Thresholds once written as numbers in the reader come from PdfLayoutConfig: changing one changes
    what is read (and, recorded in the build spec, makes the index stale). The defaults read as before."""
    path = getattr(fx, fixture)(tmp_path / f"{fixture}.pdf")
    meta = DocumentMeta(doc_id="t", file=path.name, title="T", short_title="T")

    def read(layout: object) -> tuple[str, list[tuple[str, ...]]]:
        doc = build_document(load(SourceFile(path=path, sha256="t", meta=None), layout), meta)
        return doc.text, [b.section for b in doc.blocks]

    default = read(Settings().pdf_layout)
    assert read(Settings(**setting).pdf_layout) != default
    assert read(Settings(**{name: Settings.model_fields[name].default for name in setting}).pdf_layout) == default


def test_contents_and_outline_matching_thresholds_are_read_from_the_settings() -> None:
    """The contents list's start line and wrapped entries, an outline entry printed in part, and the
    contents entry an unnumbered heading takes its start page from: each threshold comes from the config."""
    from indexer.blocks import Block
    from indexer.pdf_structure import PdfLine, _apply_outline, _extract_contents
    from indexer.section_pages import SectionPages

    def line(text: str, top: float) -> PdfLine:
        return PdfLine(text, 0, 50.0, top, top + 10, 10.0, False)

    items = [line("Contents", 10), line("A long entry title that wraps onto", 30), line("a second line 3", 40)]
    assert _extract_contents(items, 10.0, Settings().pdf_layout)[1] == ["A long entry title that wraps onto a "
                                                                         "second line\t3"]
    assert _extract_contents(items, 10.0, Settings(pdf_contents_title_chars=5).pdf_layout)[1] == []
    assert _extract_contents(items, 10.0, Settings(pdf_contents_wrap_words=3).pdf_layout)[1] == []

    def outlined(share: float) -> str:
        blocks = [Block("paragraph", "Findings of the survey", 0, 0), Block("paragraph", "Officers said so.", 0, 0)]
        _apply_outline(blocks, [OutlineEntry("Findings of the survey of officers", 1, 0)],
                       Settings(pdf_outline_prefix_share=share).pdf_layout)
        return blocks[0].kind
    assert outlined(0.6) == "heading" and outlined(0.9) == "paragraph"

    contents = ["E\tkecutive summary\t5", "Methods\t9"]
    assert SectionPages(contents).page_of("Executive summary") == 5
    assert SectionPages(contents, Settings(pdf_contents_title_similarity=1).pdf_layout).page_of(
        "Executive summary") is None
    assert SectionPages(contents, Settings(pdf_contents_title_min_chars=20).pdf_layout).page_of(
        "Executive summary") is None


def test_layout_headings_take_levels_from_font_sizes(tmp_path: Path) -> None:
    """(b) No outline, no numbers: 18 pt, 14 pt and 11 pt bold headings nest in that order."""
    doc = _doc(fx.layout_pdf(tmp_path / "layout.pdf"))
    assert _trail_of(doc, "Schools were the most common") == (
        "Overview of the study", "Local context", "Schools and colleges")
    assert _trail_of(doc, "Local context matters") == ("Overview of the study", "Local context")
    assert _trail_of(doc, "Respondents described") == ("What respondents told us",)
    assert _page_of(doc, "Respondents described") == (2, 2)


def test_ruled_table_comes_out_with_rows_and_caption(tmp_path: Path) -> None:
    """(c) The table's cells are rows, its caption (above, spanning the columns) is attached."""
    doc = _doc(fx.table_pdf(tmp_path / "table.pdf"))
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.block.caption.startswith("Table 3. Frontline survey respondents by police region")
    assert table.header == ["Police region", "No. of respondents", "No. of forces"]
    assert table.body == [["Wales", "11", "4"], ["North West", "35", "5"], ["Total", "98", "32"]]
    assert table.section == ("Survey respondents",)
    assert "Wales 11" not in doc.text  # the cells are not also read as loose lines
    assert _trail_of(doc, "Most respondents worked") == ("Survey respondents",)


def test_captions_in_body_type_are_kept_apart_and_attached(tmp_path: Path) -> None:
    """A caption set like the body text is neither swallowed by the paragraph before it nor swallows the
    one after it: the table takes its caption, the figure its two-line caption, and the next paragraph
    stays a paragraph."""
    doc = _doc(fx.body_captions_pdf(tmp_path / "captions.pdf"))
    (table,) = doc.tables
    assert table.block.caption == "Table 3. Frontline survey respondents by police region"
    assert table.body == [["Wales", "11", "4"], ["Total", "98", "32"]]
    figure = next(b for b in doc.blocks if b.kind == "figure")
    assert figure.block.caption == fx.FIGURE_CAPTION  # both of its lines, nothing more
    follower = next(b for b in doc.blocks if doc.text[b.start:b.end] == fx.FIGURE_FOLLOWER)
    assert follower.kind == "paragraph"
    assert [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "paragraph"][0] == (
        "The survey reached officers in every region, as the table below shows.")


def test_running_header_footer_and_page_numbers_are_removed(tmp_path: Path) -> None:
    """(d) The running header and 'Page N' footer go; headings that differ only in a digit stay."""
    doc = _doc(fx.running_pdf(tmp_path / "running.pdf", pages=4))
    assert fx.HEADER not in doc.text and "Page " not in doc.text
    for n in range(1, 5):
        assert _trail_of(doc, f"Finding number {n} ") == (f"Part {n} of the findings",)
        assert _page_of(doc, f"Finding number {n} ") == (n, n)


def test_printed_contents_page_is_read_not_indexed(tmp_path: Path) -> None:
    """(e) The contents page gives levels (the glossary is top level) and is not body text."""
    path = fx.contents_pdf(tmp_path / "contents.pdf")
    raw = load(SourceFile(path=path, sha256="t", meta=None))
    assert raw.structure is not None
    assert raw.structure.contents == ["1. Introduction\t2", "\t1.1 Background\t2", "2. Findings\t3",
                                      "\t2.1 Use of orders\t3", "Glossary of terms\t4"]
    meta = DocumentMeta(doc_id="t", file=path.name, title="T", short_title="T")
    doc = build_document(raw, meta)
    assert all("Contents" not in b.section for b in doc.blocks)
    assert not any(b.block.page == 0 for b in doc.blocks), "nothing of the contents page is indexed"
    assert _trail_of(doc, "A child abduction warning notice") == ("Glossary of terms",)
    assert _trail_of(doc, "Background work") == ("1. Introduction", "1.1 Background")
    assert _trail_of(doc, "Orders were used most often") == ("2. Findings", "2.1 Use of orders")
    # Without the contents list the unnumbered glossary would nest under 2.1: the list is what decides.
    bare = dataclasses.replace(raw, structure=dataclasses.replace(raw.structure, contents=[]))
    assert _trail_of(build_document(bare, meta), "A child abduction warning notice") == (
        "2. Findings", "2.1 Use of orders", "Glossary of terms")


def test_single_font_pdf_keeps_the_plain_text_path(tmp_path: Path) -> None:
    from tests.test_loaders import make_pdf

    raw = load(SourceFile(path=make_pdf(tmp_path / "plain.pdf"), sha256="t", meta=None))
    assert raw.structure is None and len(raw.pages) == 3


def test_title_and_authors_come_from_pdf_metadata(tmp_path: Path) -> None:
    path = fx.metadata_pdf(tmp_path / "m.pdf", "Disruption of Abuse: Annual Review", "Ann Smith; Bo Jones")
    raw = load(SourceFile(path=path, sha256="t", meta=None))
    assert raw.title_hint == "Disruption of Abuse: Annual Review"
    assert raw.authors_hint == "Ann Smith; Bo Jones"
    untitled = load(SourceFile(path=fx.layout_pdf(tmp_path / "layout.pdf"), sha256="t", meta=None))
    assert untitled.title_hint == "Overview of the study"  # no /Title: the first large heading


def test_short_titles_use_the_part_before_the_colon_and_fit() -> None:
    assert short_title("Community Speedwatch in Rural Villages: An Evaluation") == \
        "Community Speedwatch in Rural Villages"
    # one word before the colon says too little: the subtitle
    assert short_title("Evaluation: Community Speedwatch in Rural Villages of Kent") == \
        "Community Speedwatch in Rural Villages…"


def test_a_series_sharing_the_part_before_the_colon_gets_its_subtitles() -> None:
    survey = "Police Disruption of Child Sexual Abuse: Findings from a National Survey of Frontline Personnel"
    review = "Police Disruption of Child Sexual Abuse: A Scoping Review"
    metas = [DocumentMeta(doc_id=d, file=f"{d}.pdf", title=t, short_title=short_title(t))
             for d, t in (("r", review), ("s", survey))]
    shorts = [m.short_title for m in distinct_short_titles(metas, {"r", "s"})]
    assert shorts[0] == "A Scoping Review"
    assert shorts[1].startswith("Findings from a National Survey") and len(shorts[1]) <= 40
    assert short_title("Annual report") == "Annual report"
    long = "An unusually long report title without any colon in it at all, none"
    assert len(short_title(long)) <= 40 and short_title(long).endswith("…") and " " in short_title(long)


def test_reports_sharing_a_title_prefix_get_different_short_titles(tmp_path: Path) -> None:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import open_index
    from tests.conftest import fake_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    prefix = "Police Disruption of Child Sexual Abuse in England and Wales 2024"
    fx.metadata_pdf(corpus / "part-one.pdf", f"{prefix} - Part One", "A. Author")
    fx.metadata_pdf(corpus / "part-two.pdf", f"{prefix} - Part Two", "A. Author")
    fx.metadata_pdf(corpus / "review-a.pdf", "Disruption: Annual Review", "A. Author")
    fx.metadata_pdf(corpus / "review-b.pdf", "Prevention: Annual Review", "A. Author")
    settings = fake_settings(corpus, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    metas = [d.meta for d in open_index(settings.index_dir).documents.values()]
    shorts = [m.short_title for m in metas]
    assert len(set(shorts)) == 4, shorts
    assert all(len(s) <= 60 for s in shorts)
    assert {m.authors for m in metas} == {"A. Author"}


def test_distinct_short_titles_leave_manifest_titles_alone() -> None:
    manifest = DocumentMeta(doc_id="a", file="a.pdf", title="Annual Review", short_title="Annual Review")
    inferred = DocumentMeta(doc_id="b", file="b-2024.pdf", title="Annual Review", short_title="Annual Review")
    out = distinct_short_titles([manifest, inferred], {"b"})
    assert out[0].short_title == "Annual Review" and out[1].short_title == "Annual Review (b-2024)"


def test_manifest_entries_sharing_a_short_title_get_their_file_names() -> None:
    """Two manifest entries with one short title (case aside) each get their file name (with its suffix
    when the stems are equal); an inferred title equal to theirs gets its own; the rest stay as written."""
    metas = [DocumentMeta(doc_id="a", file="annual.pdf", title="Annual Review", short_title="Annual review"),
             DocumentMeta(doc_id="b", file="annual.md", title="Annual Review", short_title="Annual Review"),
             DocumentMeta(doc_id="c", file="c-2024.pdf", title="Annual Review", short_title="Annual Review"),
             DocumentMeta(doc_id="d", file="survey.md", title="Survey", short_title="Survey")]
    out = [m.short_title for m in distinct_short_titles(metas, {"c"})]
    assert out == ["Annual review (annual.pdf)", "Annual Review (annual.md)", "Annual Review (c-2024)", "Survey"]


@pytest.mark.browser
def test_chromium_printed_report_keeps_trails_pages_and_tables(tmp_path: Path) -> None:
    """A PDF printed by headless Chromium from HTML with h1/h2/h3 headings and a captioned table."""
    require_browser()
    path = fx.chromium_pdf(fx.CHROMIUM_HTML, tmp_path)
    raw = load(SourceFile(path=path, sha256="t", meta=None))
    assert raw.title_hint == "Chromium Test Report"
    doc = build_document(raw, DocumentMeta(doc_id="t", file=path.name, title="T", short_title="T"))
    assert _trail_of(doc, "Three research questions") == (
        "1. Introduction", "1.1 Aims of the study", "1.1.1 Research questions")
    assert _trail_of(doc, "Respondents came from") == ("2. Method", "2.1 Respondents")
    assert _page_of(doc, "Three research questions") == (1, 1) and _page_of(doc, "Respondents came") == (2, 2)
    assert "officers disrupt abuse and what helps" in doc.text  # the raised footnote mark is dropped
    (table,) = doc.tables
    assert table.block.caption == "Table 1. Respondents by police region"
    assert table.header == ["Police region", "No. of respondents"]
    assert table.body[-1] == ["Total", "98"] and doc.pages_of(table) == (2, 2)
    assert table.section == ("2. Method", "2.1 Respondents")


@pytest.mark.browser
def test_a_pdf_without_a_manifest_is_cited_from_its_cover_page(tmp_path: Path) -> None:
    """A PDF printed by headless Chromium, added with no manifest entry: the short title is the part
    before the colon, and the authors, year and organisation printed on the cover reach the citation."""
    require_browser()
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import open_index
    from reportqa.citation import Citer
    from tests.conftest import fake_settings
    from web.render import byline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    fx.chromium_pdf(fx.COVER_HTML, corpus, "speedwatch")
    (corpus / "speedwatch.html").unlink()
    settings = fake_settings(corpus, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    reader = open_index(settings.index_dir)
    (meta,) = [d.meta for d in reader.documents.values()]
    assert meta.short_title == "Community Speedwatch in Rural Villages"
    assert (meta.authors, meta.date, meta.publisher) == (
        "Jane Smith and Tom Okafor", "March 2024", "Rural Policing Research Trust")
    assert byline(meta) == "Jane Smith and Tom Okafor. Rural Policing Research Trust, March 2024."
    passage = next(p for p in reader.passages if "Speeds fell" in p.text)
    cited = Citer({meta.doc_id: meta}, "https://reports.example.org")(passage)
    assert "Smith, J. and Okafor, T. (2024)" in cited.harvard and "no date" not in cited.harvard
    assert "author = {Smith, Jane and Okafor, Tom}" in cited.bibtex
    assert "year = {2024}" in cited.bibtex and "institution = {Rural Policing Research Trust}" in cited.bibtex


def test_title_page_facts_are_read_conservatively() -> None:
    from indexer.title_page import TitlePage, read_title_page

    title = "Annual Review of Disruption"
    page = f"{title}\nWritten by Dr Ann Lee, Bo Jones & Cy Patel\n© 2021 Kent Police\nSome intro text"
    assert read_title_page(page, title) == TitlePage("Dr Ann Lee, Bo Jones & Cy Patel", "2021", "Kent Police")
    # body text starts the page: nothing is read from it, nor from lines below it
    body = ("Officers were asked in 2019 by the team which orders they used, and how often they used them "
            "in practice.\nby Jane Smith\nKent Police")
    assert read_title_page(f"{title}\n{body}", title) == TitlePage()
    # a 'by' line that is not names, a year inside a sentence, a line that is not a name
    odd = f"{title}\nby the end of the year\nIn 2019 we found\nthe local council"
    assert read_title_page(odd, title) == TitlePage()


@pytest.mark.browser
def test_survey_slice_printed_to_pdf_keeps_the_markdown_trails(tmp_path: Path) -> None:
    """The bench conversion on a few sections of the survey (front matter, contents, 2. Method with
    its tables): PDF passage trails equal the Markdown's for at least 95% of passages."""
    require_browser()
    from bench.pdf_survey import SURVEY, run, survey_slice

    markdown = survey_slice(SURVEY.read_text(encoding="utf-8"), "# 2. Method", "# 3. Police knowledge")
    result = run(markdown, tmp_path)
    assert result.match.checked >= 20
    assert result.match.share >= 0.95, result.match.mismatches[:5]
    assert result.pdf_tables == result.md_tables >= 4
    assert result.before.share < result.match.share


def test_two_columns_are_read_one_after_the_other(tmp_path: Path) -> None:
    doc = _doc(fx.columns_pdf(tmp_path / "columns.pdf"))
    assert fx.LEFT in doc.text and fx.RIGHT in doc.text  # each column's lines joined in order
    assert _trail_of(doc, fx.LEFT[:30]) == ("Regional differences in disruption", "Northern forces")
    assert _trail_of(doc, fx.RIGHT[:30]) == ("Regional differences in disruption", "Southern forces")


@pytest.mark.parametrize("test", [test_chromium_printed_report_keeps_trails_pages_and_tables,
                                  test_survey_slice_printed_to_pdf_keeps_the_markdown_trails], ids=["report", "survey"])
def test_the_chromium_tests_fail_rather_than_skip_when_the_browser_is_required(test, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """With REPORTQA_REQUIRE_BROWSER=1 (as in CI) a missing Chromium fails these tests; they skipped quietly."""
    import browser_support

    monkeypatch.setattr(browser_support, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("REPORTQA_REQUIRE_BROWSER", "1")
    # a skip is caught too: left to propagate, it would skip this test quietly instead of failing it
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as stopped:
        test(tmp_path)
    assert stopped.type is pytest.fail.Exception and "Chromium is required" in str(stopped.value), \
        f"with the browser required, a missing Chromium skipped the test: {stopped.value}"
    monkeypatch.setenv("REPORTQA_REQUIRE_BROWSER", "0")
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        test(tmp_path)
