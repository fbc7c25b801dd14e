"""Citations: every style exactly, for a bundled passage (survey §6.1.1, page from the contents list)
and a PDF passage (exact page); authors, section pages, escaping, stored fields, the API and CLI."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import REAL_CORPUS, fake_settings

from indexer.build import build_index
from indexer.corpus import discover, read_manifest
from indexer.document import build_document
from indexer.embedding import FakeEmbedder
from indexer.loaders import load
from indexer.section_pages import SectionPages
from indexer.store import IndexReader, live_build, open_index
from indexer.store import read_manifest as read_index_manifest
from reportqa.citation import (
    Author,
    Citer,
    bibtex_escape,
    format_citation,
    page_ref,
    parse_authors,
    passage_link,
    section_key,
)
from reportqa.records import DocumentMeta, Passage
from reportqa.settings import Settings

BASE = "http://127.0.0.1:8000"
ACCESSED = date(2026, 11, 29)
CAWN_OPENING = "Frontline survey respondents considered child abduction warning notices"


@pytest.fixture(scope="module")
def survey_index(tmp_path_factory) -> Settings:
    """The bundled survey report (and the real manifest) indexed with the fake embedder."""
    root = tmp_path_factory.mktemp("survey")
    (root / "corpus").mkdir()
    for name in ("survey-report.md", "manifest.toml"):
        shutil.copy(REAL_CORPUS / name, root / "corpus" / name)
    settings = fake_settings(root / "corpus", root / "index", chunk_target_tokens=200)
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return settings


def _cawn(reader: IndexReader) -> Passage:
    return next(p for p in reader.passages if p.text.startswith(CAWN_OPENING))


def test_survey_cawn_passage_in_every_style(survey_index) -> None:
    reader = open_index(survey_index.index_dir)
    passage = _cawn(reader)
    meta = reader.documents["survey-report"].meta
    link = passage_link(BASE, passage)
    pid = passage.passage_id
    assert link == (f"{BASE}/doc/survey-report?p={pid}&s=6.1.1&t=Frontline%20survey%20respondents%20considered"
                    f"%20child%20abduction#p-{pid}")
    cited = format_citation(meta, passage, link, ACCESSED)
    title = ("Police Disruption of Child Sexual Abuse: Findings from a National Survey of Frontline Personnel "
             "and Strategic Leads for Safeguarding")
    url = "https://www.csacentre.org.uk/research-resources/research-evidence/"
    assert cited.harvard == (
        f"Wager, N., Myers, A. and Parkinson, D. (2021) {title}. Barkingside: Centre of expertise on child sexual "
        f"abuse. §6.1.1 Child abduction warning notices, §6.1 begins p. 31. Available at: {url} "
        f"(Accessed: 29 November 2026). Passage: {link}")
    assert cited.apa == (
        f"Wager, N., Myers, A., & Parkinson, D. (2021). {title} (§6.1.1 Child abduction warning notices, §6.1 "
        f"begins p. 31). Centre of expertise on child sexual abuse. {url} Passage retrieved November 29, 2026, "
        f"from {link}")
    assert cited.ris == "\n".join([
        "TY  - RPRT", "AU  - Wager, Nadia", "AU  - Myers, Alexandra", "AU  - Parkinson, Diana", "PY  - 2021",
        f"TI  - {title}", "PB  - Centre of expertise on child sexual abuse", "CY  - Barkingside", f"UR  - {url}",
        f"N1  - §6.1.1 Child abduction warning notices; §6.1 begins p. 31; passage: {link}",
        "Y2  - 2026/11/29", "ER  - "])
    tex_link = link.replace("%", r"\%").replace("#", r"\#")
    assert cited.bibtex == "\n".join([
        f"@techreport{{wager2021policefindings-6.1.1-{pid.rsplit('-', 1)[1]},",
        "  author = {Wager, Nadia and Myers, Alexandra and Parkinson, Diana},",
        f"  title = {{{{{title}}}}},",
        "  institution = {Centre of expertise on child sexual abuse},",
        "  address = {Barkingside},",
        "  year = {2021},",
        f"  url = {{{url}}},",
        r"  note = {\S{}6.1.1 Child abduction warning notices; \S{}6.1 begins p. 31. Passage: \url{" + tex_link + "}},",
        "  urldate = {2026-11-29}",
        "}"])
    assert "›" not in cited.harvard + cited.apa + cited.ris + cited.bibtex


def _field_guide_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Disruption Orders & Notices: A Field Guide")
    pdf.set_author("Jane Smith, Amir Jones")
    for heading, sentence in (("1. Introduction", "This guide explains how officers use disruption orders. "),
                              ("2. Warning notices", "A warning notice tells a suspect to stay away from a named "
                                                     "child. Breaching it can lead to arrest. ")):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, sentence * 6)
    pdf.output(str(path))


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("pdf")
    (root / "corpus").mkdir()
    _field_guide_pdf(root / "corpus" / "field-guide.pdf")
    settings = fake_settings(root / "corpus", root / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return settings


def test_pdf_passage_cites_its_exact_page_in_every_style(pdf_index) -> None:
    reader = open_index(pdf_index.index_dir)
    meta = reader.documents["field-guide"].meta
    assert meta.title == "Disruption Orders & Notices: A Field Guide" and meta.authors == "Jane Smith, Amir Jones"
    passage = next(p for p in reader.passages if p.text.startswith("A warning notice"))
    assert (passage.page_start, passage.page_end, passage.section_page) == (2, 2, None)
    link = passage_link("https://reportqa.force.local/", passage)
    assert link.startswith("https://reportqa.force.local/doc/field-guide?p=")
    cited = Citer({"field-guide": meta}, "https://reportqa.force.local/", ACCESSED)(passage)
    title = "Disruption Orders & Notices: A Field Guide"
    assert cited.harvard == (f"Smith, J. and Jones, A. (no date) {title}. §2 Warning notices, p. 2. "
                             f"Available at: {link} (Accessed: 29 November 2026).")
    assert cited.apa == (f"Smith, J., & Jones, A. (n.d.). {title} (§2 Warning notices, p. 2). "
                         f"Passage retrieved November 29, 2026, from {link}")
    assert cited.ris == "\n".join([
        "TY  - RPRT", "AU  - Smith, Jane", "AU  - Jones, Amir", f"TI  - {title}", f"UR  - {link}", "SP  - 2",
        f"N1  - §2 Warning notices; p. 2; passage: {link}", "Y2  - 2026/11/29", "ER  - "])
    tex_link = link.replace("%", r"\%").replace("#", r"\#")
    assert cited.bibtex == "\n".join([
        f"@techreport{{smithdisruptionfield-2-{passage.passage_id.rsplit('-', 1)[1]},",
        "  author = {Smith, Jane and Jones, Amir},",
        r"  title = {{Disruption Orders \& Notices: A Field Guide}},",
        "  pages = {2},",
        r"  note = {\S{}2 Warning notices; p. 2. Passage: \url{" + tex_link + "}},",
        "  urldate = {2026-11-29}",
        "}"])


def test_a_page_range_is_cited_as_a_range_in_every_format() -> None:
    """Pages 44 to 45: BibTeX's en dash is ``--`` (``44-45`` prints a hyphen), RIS has SP and EP."""
    meta = DocumentMeta("r", "r.pdf", "A Report", "Report", author_names=("Smith, Jane",), date="2020")
    spread = Passage("r-1", "r", "text", ("2 Notices",), 0, 4, "Text", page_start=44, page_end=45)
    cited = format_citation(meta, spread, "http://x/doc/r?p=r-1", ACCESSED)
    assert "  pages = {44--45}," in cited.bibtex.splitlines()
    assert {"SP  - 44", "EP  - 45"} <= set(cited.ris.splitlines())
    assert "pp. 44–45" in cited.harvard and "pp. 44–45" in cited.apa
    one = format_citation(meta, Passage(**{**spread.__dict__, "page_end": 44}), "http://x/doc/r?p=r-1", ACCESSED)
    assert "  pages = {44}," in one.bibtex.splitlines() and not any(x.startswith("EP") for x in one.ris.splitlines())


def test_page_references_are_honest() -> None:
    base = Passage("d-1", "d", "text", ("6. Chapter", "6.1 Part", "6.1.1 Point"), 0, 5, "Text.")
    assert page_ref(base) == ""
    assert page_ref(Passage(**{**base.__dict__, "page_start": 44, "page_end": 44})) == "p. 44"
    assert page_ref(Passage(**{**base.__dict__, "page_start": 44, "page_end": 45})) == "pp. 44–45"
    own = Passage(**{**base.__dict__, "section_page": 44, "section_page_of": "6.1.1 Point"})
    assert page_ref(own) == "section begins p. 44"
    enclosing = Passage(**{**base.__dict__, "section_page": 31, "section_page_of": "6.1 Part"})
    assert page_ref(enclosing) == "§6.1 begins p. 31"


@pytest.mark.parametrize("value, expected", [
    ("Nadia Wager, Alexandra Myers, Angel Wager (University of Huddersfield, University of Bath)",
     [("Wager", "N."), ("Myers", "A."), ("Wager", "A.")]),
    ("Nadia Wager, Alexandra Myers and Diana Parkinson", [("Wager", "N."), ("Myers", "A."), ("Parkinson", "D.")]),
    ("Wager, N., Myers, A.", [("Wager", "N."), ("Myers", "A.")]),
    ("Wager, Nadia; Myers, Alexandra", [("Wager", "N."), ("Myers", "A.")]),
    (["Wager, Nadia", "Mary-Jane Smith"], [("Wager", "N."), ("Smith", "M.-J.")]),
    ("", []),
])
def test_authors_are_parsed_without_affiliations(value, expected) -> None:
    assert [(a.family, a.initials) for a in parse_authors(value)] == expected


@pytest.mark.parametrize("value, expected", [
    ("Smith, John", [("Smith", "John")]),  # PDF /Author metadata: 'Family, Given' is one author
    ("Wager, Nadia", [("Wager", "Nadia")]),
    ("O’Brien, Mary-Jane", [("O’Brien", "Mary-Jane")]),
    ("Smith, John (University of Bath)", [("Smith", "John")]),
    ("Wager, N.", [("Wager", "N.")]),
    ("Wager, N., Myers, A.", [("Wager", "N."), ("Myers", "A.")]),
    ("Nadia Wager, Alexandra Myers", [("Wager", "Nadia"), ("Myers", "Alexandra")]),
    ("Smith, John and Jones", [("Smith", "John"), ("Jones", "")]),  # 'and' parts authors: not three family names
    ("Smith, John and Jones, Amir", [("Smith", "John"), ("Jones", "Amir")]),  # BibTeX's author list
    ("Smith, John & Amir Jones", [("Smith", "John"), ("Jones", "Amir")]),
    ("Smith, Jones, Brown", [("Smith", ""), ("Jones", ""), ("Brown", "")]),
])
def test_a_family_given_name_is_one_author(value, expected) -> None:
    assert [(a.family, a.given) for a in parse_authors(value)] == expected


def test_bibtex_escapes_specials_and_keys_are_stable() -> None:
    assert bibtex_escape("50% of {x} & y_1 #2 ~ $") == r"50\% of \{x\} \& y\_1 \#2 \textasciitilde{} \$"
    meta = DocumentMeta("r", "r.md", "The {Odd} Report: 100% & more", "Odd", author_names=("Ó Briain, Seán",),
                        date="2020")
    passage = Passage("r-1", "r", "text", ("Front matter",), 0, 4, "Text")
    first = format_citation(meta, passage, "http://x/doc/r?p=r-1", ACCESSED).bibtex
    assert first.startswith("@techreport{obriain2020odd100-1,")  # accents folded, stop words skipped
    assert r"title = {{The \{Odd\} Report: 100\% \& more}}" in first
    assert first == format_citation(meta, passage, "http://x/doc/r?p=r-1", ACCESSED).bibtex
    assert Author("Ó Briain", "Seán").short == "Ó Briain, S."


def test_section_start_pages_come_from_the_contents_list(survey_index, real_documents) -> None:
    reader = open_index(survey_index.index_dir)
    cawn = _cawn(reader)
    assert (cawn.section_page, cawn.section_page_of) == (31, "6.1 Direct disruption measures")
    appendix = [p for p in reader.passages if p.section and p.section[0].startswith("Appendix A")]
    assert appendix and all(p.section_page == 61 for p in appendix)
    summary = [p for p in reader.passages if p.section == ("Executive summary",)]
    assert summary and all(p.section_page == 5 for p in summary)  # 'E<TAB>kecutive summary<TAB>5' in the contents
    # An executive-summary box titled like a numbered chapter is not given that chapter's page.
    boxed = [p for p in reader.passages if p.section[:2] == ("Executive summary", "Key findings")]
    assert boxed and all(p.section_page in (6, None) for p in boxed)
    # The scoping review has no page breaks, printed page numbers or contents list with pages: no page.
    assert not SectionPages(real_documents["scoping-review"].contents)
    assert "\f" not in (REAL_CORPUS / "scoping-review.txt").read_text(encoding="utf-8")


def test_an_index_written_without_the_new_fields_still_loads(survey_index, tmp_path) -> None:
    build = live_build(survey_index.index_dir)
    copy = tmp_path / build.name
    shutil.copytree(build, copy)
    con = sqlite3.connect(copy / "index.sqlite")
    con.execute("ALTER TABLE passages DROP COLUMN section_page")
    con.execute("ALTER TABLE passages DROP COLUMN section_page_of")
    con.execute("ALTER TABLE documents DROP COLUMN cite")
    con.commit()
    con.close()
    reader = IndexReader(copy, read_index_manifest(copy))
    cawn = _cawn(reader)
    assert cawn.section_page is None and cawn.section_page_of == ""
    meta = reader.documents["survey-report"].meta
    assert meta.author_names == () and meta.url == ""
    # the citation then falls back to the display authors and cites no page
    cited = format_citation(meta, cawn, "http://x", ACCESSED)
    assert cited.harvard.startswith("Wager, N., Myers, A. and Parkinson, D. (2021)") and "p. 31" not in cited.harvard


def test_manifest_keys_are_optional_and_authors_may_be_a_list(tmp_path) -> None:
    (tmp_path / "manifest.toml").write_text(
        '[[report]]\nfile = "a.md"\ntitle = "A"\nauthors = "Jane Smith (Somewhere)"\n\n'
        '[[report]]\nfile = "b.md"\ntitle = "B"\nauthors = ["Smith, Jane", "Jones, Amir"]\nplace = "Leeds"\n'
        'url = "https://example.org/b"\n', encoding="utf-8")
    metas = read_manifest(tmp_path)
    assert (metas["a.md"].author_names, metas["a.md"].place, metas["a.md"].url) == ((), "", "")
    assert metas["b.md"].authors == "Jane Smith, Amir Jones"
    assert metas["b.md"].author_names == ("Smith, Jane", "Jones, Amir") and metas["b.md"].place == "Leeds"
    bundled = {m.doc_id: m for m in read_manifest(REAL_CORPUS).values()}
    assert bundled["scoping-review"].author_names == ("Wager, Nadia", "Myers, Alexandra", "Wager, Angel")
    assert all(m.place == "Barkingside" and m.url.startswith("https://www.csacentre.org.uk/")
               for m in bundled.values())


def test_manifest_refuses_a_url_that_is_not_a_web_address(tmp_path) -> None:
    from indexer.corpus import CorpusError

    (tmp_path / "manifest.toml").write_text('[[report]]\nfile = "a.md"\nurl = "javascript:alert(1)"\n',
                                            encoding="utf-8")
    with pytest.raises(CorpusError, match='field "url"'):
        read_manifest(tmp_path)


def test_public_base_url_setting() -> None:
    assert Settings(host="127.0.0.1", port=8123).base_url == "http://127.0.0.1:8123"
    assert Settings(host="::1", port=8000).base_url == "http://[::1]:8000"
    assert Settings(public_base_url="https://reportqa.force.local/").base_url == "https://reportqa.force.local"
    with pytest.raises(ValueError):
        Settings(public_base_url="reportqa.force.local")


def test_section_keys_for_links() -> None:
    assert section_key("6.1.1 Child abduction warning notices") == "6.1.1"
    assert section_key("6. Perceived effectiveness") == "6"
    assert section_key("Appendix A: Disruption measures") == "appendix-a-disruption-measures"


def test_bundled_corpus_parse_matches_discover(real_documents) -> None:
    """The survey's contents lines reach the document (used for section pages)."""
    files = {f.doc_id: f for f in discover(REAL_CORPUS)}
    doc = build_document(load(files["survey-report"]), files["survey-report"].meta)
    assert any("6.1 Direct disruption measures" in line for line in doc.contents)
    assert real_documents["survey-report"].contents == doc.contents


# --- issue 21, item 7: distinct BibTeX keys, author and year when the report has them --------------------------
def test_bibtex_keys_are_distinct_per_passage_and_stable(survey_index) -> None:
    reader = open_index(survey_index.index_dir)
    citer = Citer({"survey-report": reader.documents["survey-report"].meta}, "https://reportqa.force.local",
                  ACCESSED)
    keys = [citer(p).bibtex.split("\n", 1)[0] for p in reader.passages]
    assert len(keys) > 50 and len(set(keys)) == len(keys)  # a trainer can put any of them in one .bib file
    cawn = _cawn(reader)
    assert citer(cawn).bibtex.split("\n", 1)[0] == keys[reader.passages.index(cawn)]  # the same on every call
    assert all(re.fullmatch(r"@techreport\{[A-Za-z0-9.-]+,", k) for k in keys)  # no character BibTeX trips on


@pytest.mark.parametrize("date_text", ["2023", "May 2023", "4 May 2023", "2023-05-04", "04/05/2023"])
def test_a_pdf_with_author_year_and_publisher_is_cited_with_them(date_text: str) -> None:
    """What the indexer reads off a PDF's first page (authors, date, publishing body) reaches every
    style: no "(no date)", and BibTeX gets author, year and institution."""
    meta = DocumentMeta("speedwatch", "speedwatch.pdf", "Community Speedwatch in Rural Villages: An Evaluation",
                        "Community Speedwatch in Rural Villages", authors="Jane Smith and Amir Jones",
                        publisher="Rural Safety Trust", date=date_text)
    passage = Passage("speedwatch-0123456789", "speedwatch", "text", ("2. Findings",), 0, 10, "Volunteers…",
                      page_start=4, page_end=4)
    cited = Citer({"speedwatch": meta}, "https://reportqa.force.local", ACCESSED)(passage)
    assert cited.harvard.startswith("Smith, J. and Jones, A. (2023) Community Speedwatch in Rural Villages: An "
                                    "Evaluation. Rural Safety Trust. §2 Findings, p. 4.")
    assert cited.apa.startswith("Smith, J., & Jones, A. (2023). Community Speedwatch")
    assert "AU  - Smith, Jane\nAU  - Jones, Amir\nPY  - 2023\n" in cited.ris and "PB  - Rural Safety Trust" in cited.ris
    assert cited.bibtex.startswith("@techreport{smith2023communityevaluation-2-0123456789,")
    for field in ("author = {Smith, Jane and Jones, Amir}", "institution = {Rural Safety Trust}", "year = {2023}"):
        assert field in cited.bibtex


# --- issue 21, item 11: no localhost link in a citation ------------------------------------------------------
@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000",
                                  "http://127.0.1.1:9000/reportqa"])
def test_a_loopback_base_url_leaves_the_passage_link_out_and_keeps_the_publisher_url(survey_index, base) -> None:
    reader = open_index(survey_index.index_dir)
    meta = reader.documents["survey-report"].meta
    citer = Citer({"survey-report": meta}, base, ACCESSED)
    assert not citer.links_passages
    cited = citer(_cawn(reader))
    url = "https://www.csacentre.org.uk/research-resources/research-evidence/"
    for text in cited.formats().values():
        assert "/doc/" not in text and "127.0" not in text and "localhost" not in text and "::1" not in text
        assert url in text
    assert cited.harvard.endswith(f"Available at: {url} (Accessed: 29 November 2026).")
    assert cited.apa.endswith(f"Centre of expertise on child sexual abuse. {url}")
    assert "N1  - §6.1.1 Child abduction warning notices; §6.1 begins p. 31\n" in cited.ris
    assert r"note = {\S{}6.1.1 Child abduction warning notices; \S{}6.1 begins p. 31}," in cited.bibtex
    # a report with no publisher URL: no "Available at" with nothing after it
    bare = Citer({"survey-report": DocumentMeta("survey-report", "s.md", "Title", "T")}, base, ACCESSED)(_cawn(reader))
    assert "Available at" not in bare.harvard and "UR  -" not in bare.ris and "urldate" not in bare.bibtex


def test_a_public_base_url_keeps_the_passage_link(survey_index) -> None:
    reader = open_index(survey_index.index_dir)
    citer = Citer({"survey-report": reader.documents["survey-report"].meta}, "https://reportqa.force.local",
                  ACCESSED)
    assert citer.links_passages
    cited = citer(_cawn(reader))
    assert all("https://reportqa.force.local/doc/survey-report?p=" in text for text in cited.formats().values())
