"""The report reader: links that survive a re-index, page markers, the section list, the cite box,
and (in Chromium at 360 px) a layout that never scrolls the page sideways."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_support import app_server, free_port, require_browser
from conftest import FIXTURE_CORPUS, app_for, client_for, fake_settings

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from reportqa.citation import passage_link
from retriever.retriever import Retriever

BASE = "https://reportqa.force.local"


def _open(settings) -> Retriever:
    return Retriever.open(settings, embedder=FakeEmbedder())


def _build(settings) -> Retriever:
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return _open(settings)


def _path(link: str) -> str:
    """What a browser requests for a link (the fragment stays in the browser)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- links that survive a re-index ---------------------------------------------------------------------
def test_an_old_link_finds_its_passage_by_its_words_after_a_reindex(corpus, tmp_path) -> None:
    settings = fake_settings(corpus, tmp_path / "index", public_base_url=BASE)
    before = _build(settings)
    old = next(p for p in before.passages if p.text.startswith("Two-fifths of respondents"))
    link = passage_link(BASE, old)
    assert "s=2&t=Two-fifths%20of%20respondents" in link

    _rewrite(corpus / "beta-survey.md", "from the victim.", "from the victim or a parent.")
    after = _build(settings)
    assert after.passage(old.passage_id) is None  # the id changed with the text
    page = client_for(settings, after).get(_path(link))
    assert page.status_code == 200
    assert "has changed; showing the passage with the same words" in page.text
    new = next(p for p in after.passages if p.text.startswith("Two-fifths of respondents"))
    assert f'id="p-{new.passage_id}"' in page.text and '<mark class="passage" id="focus"' in page.text
    focused = page.text.split('<mark class="passage" id="focus" tabindex="-1">', 1)[1].split("</mark>", 1)[0]
    assert focused.startswith('<span class="visually-hidden">(highlighted passage) </span>Two-fifths of respondents')


def test_an_old_link_falls_back_to_its_section_then_the_top(corpus, tmp_path) -> None:
    settings = fake_settings(corpus, tmp_path / "index")
    before = _build(settings)
    old = next(p for p in before.passages if p.text.startswith("Two-fifths of respondents"))
    link = passage_link(settings.base_url, old)
    assert link.startswith("http://127.0.0.1:8000/doc/beta-survey?")  # the served address by default

    _rewrite(corpus / "beta-survey.md", "Two-fifths of respondents said", "Forty per cent of those asked said")
    after = _build(settings)
    client = client_for(settings, after)
    page = client.get(_path(link))
    assert page.status_code == 200
    assert "showing the section it was in (§2 Recording of orders)" in page.text
    start = next(p for p in after.passages if p.section[-1] == "2. Recording of orders")
    assert f'href="#p-{start.passage_id}" data-moved-target="p-{start.passage_id}"' in page.text
    assert '<mark class="passage"' not in page.text  # nothing is highlighted as if it were the passage

    lost = client.get("/doc/beta-survey", params={"p": old.passage_id, "s": "9.9", "t": "words never written here"})
    assert lost.status_code == 200 and "could not be found; showing the start of the report" in lost.text
    assert client.get("/doc/no-such-report", params={"p": old.passage_id}).status_code == 404


def test_links_use_the_public_base_url_not_the_host_header(corpus, tmp_path) -> None:
    settings = fake_settings(corpus, tmp_path / "index", public_base_url=BASE,
                             allowed_hosts=["testserver", "evil.example"])
    retriever = _build(settings)
    client = client_for(settings, retriever, base_url="http://evil.example")
    body = client.get("/api/search", params={"q": "licenced premises review", "k": 2}).json()
    for result in body["results"]:
        assert f"{BASE}/doc/{result['doc_id']}?p={result['passage_id']}&" in result["citation"]["harvard"]
        assert "evil.example" not in str(result)
    pid = body["results"][0]["passage_id"]
    assert client.get(f"/api/passages/{pid}").json()["url"].startswith(f"{BASE}/doc/")
    answer = client.get("/api/ask", params={"q": "how long is the review period for licenced premises?"}).json()
    assert answer["citations"] and all(c["citation"]["ris"].startswith("TY  - RPRT") for c in answer["citations"])
    page = client.get("/", params={"q": "licenced premises review"}).text
    assert "evil.example/doc" not in page and f"{BASE}/doc/" in page


# --- the page ------------------------------------------------------------------------------------------
def test_reader_marks_section_start_pages_and_collapses_the_section_list(fake_retriever) -> None:
    client = client_for(fake_retriever.settings, fake_retriever)
    page = client.get("/doc/beta-survey").text
    # contents list: '2.<TAB>Recording of orders<TAB>5', 'Appendix A: Measures<TAB>9'
    marker = page.index('<div class="page-marker" title="this section begins on printed page 5">p. 5</div>')
    assert marker < page.index("2. Recording of orders</h")
    assert '>p. 9</div>' in page
    assert '<nav class="toc toc-narrow" aria-label="Sections">\n      <details><summary>' in page  # closed
    assert '<nav class="toc toc-wide"' in page
    # the scoping-style plain-text fixture has no contents list: no page markers, no invented pages
    assert 'class="page-marker"' not in client.get("/doc/alpha-review").text


def test_reader_marks_pdf_pages(tmp_path) -> None:
    from test_citation import _field_guide_pdf

    (tmp_path / "corpus").mkdir()
    _field_guide_pdf(tmp_path / "corpus" / "field-guide.pdf")
    settings = fake_settings(tmp_path / "corpus", tmp_path / "index")
    retriever = _build(settings)
    page = client_for(settings, retriever).get("/doc/field-guide").text
    assert 'id="page-1"' in page and 'id="page-2"' in page
    assert page.index('id="page-2"') < page.index("A warning notice")


def test_search_cards_offer_every_citation_style_without_javascript(fake_retriever) -> None:
    client = client_for(fake_retriever.settings, fake_retriever)
    page = client.get("/", params={"q": "licenced premises review"}).text
    for label in ("Harvard", "APA", "RIS", "BibTeX"):
        assert f">{label}</h4>" in page
    assert "<pre id=\"cite-" in page and "TY  - RPRT" in page and "@techreport{" in page
    assert 'class="copy" data-citation="' in page  # app.js shows the button:
    assert ' hidden>Copy citation<span class="visually-hidden">: passage 1, ' in page


def test_the_report_filter_shows_the_stored_short_titles() -> None:
    """The filter names each report by its stored short title, as cards and citations do (the index
    makes them distinct: indexer.titles), never by a name made per request (once: year or id added)."""
    from types import SimpleNamespace

    from reportqa.records import DocumentMeta
    from web.pages import _documents

    metas = [DocumentMeta("a", "a.pdf", "Annual Report", "Annual report", date="2020"),
             DocumentMeta("b", "b.pdf", "Annual Report", "Annual report", date="2021")]
    retriever = SimpleNamespace(documents={m.doc_id: SimpleNamespace(meta=m) for m in metas})
    assert [(d["id"], d["short_title"]) for d in _documents(retriever)] == [("a", "Annual report"),
                                                                           ("b", "Annual report")]


# --- Chromium at 360 px ----------------------------------------------------------------------------------
WIDE_REPORT = """Wide Table Report

# Contents

1.\tIntroduction\t2
2.\tFindings\t4

# 1. Introduction

This report has one very wide table so that the reader can be checked on a small phone screen.

{INTRO_PARAGRAPHS}

# 2. Findings

The table below compares disruption measures across many columns.

{TABLE_ROWS}

#### Table 1. Disruption measures compared

More text follows the table so the section has a passage of prose as well as the rows.
""".replace("{TABLE_ROWS}", "\n".join("\t".join(row) for row in (
    ("Measure", "Legal basis", "Who applies", "Duration in months", "Breach consequence", "Typical use",
     "Evidence strength", "Last column"),
    ("Child abduction warning notice", "Child Abduction Act 1984", "Police officer", "Twenty-four",
     "Arrest for abduction", "Extra-familial exploitation", "Moderate evidence base", "FINAL-CELL-ONE"),
    ("Sexual risk order", "Sexual Offences Act 2003", "Chief officer of police", "At least twenty-four",
     "Criminal offence", "People not convicted", "Limited evidence base", "FINAL-CELL-TWO"),
))).replace("{INTRO_PARAGRAPHS}", "\n\n".join(
    f"Paragraph {n} of the introduction makes the page long enough to scroll on a wide screen." for n in range(40)))


@pytest.fixture(scope="module")
def wide_server(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("wide")
    (root / "corpus").mkdir()
    (root / "corpus" / "wide-report.md").write_text(WIDE_REPORT, encoding="utf-8")
    port = free_port()
    settings = fake_settings(root / "corpus", root / "index", port=port)
    with app_server(app_for(settings, _build(settings)), port) as base:
        yield base


@pytest.mark.browser
def test_reader_fits_a_360px_phone_and_follows_reading_on_a_wide_screen(wide_server, browser) -> None:
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = phone.new_page()
    page.goto(wide_server + "/doc/wide-report")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.locator(".toc-narrow details").evaluate("d => d.open") is False
    assert page.locator(".toc-narrow summary").is_visible() and not page.locator(".toc-wide").is_visible()
    assert page.locator(".page-marker", has_text="p. 4").is_visible()
    wrap = page.locator(".doc-body .table-wrap").first
    fits = wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    scrolls = wrap.evaluate("w => getComputedStyle(w).overflowX === 'auto' && w.scrollWidth > w.clientWidth")
    assert fits or scrolls
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    last = page.locator(".doc-body td", has_text="FINAL-CELL-TWO")
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360 + 1
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360  # still no sideways page scroll

    # without JavaScript the citation styles are still there to select
    no_js = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    search = no_js.new_page()
    search.goto(wide_server + "/?q=child+abduction+warning+notice")
    card = search.locator("article.card").first
    assert not card.locator("button.copy").is_visible()  # a copy button that could do nothing is hidden
    card.locator("details.cite-box summary").click()
    ris = card.locator("pre[id$='-ris']")
    assert ris.is_visible() and ris.inner_text().startswith("TY  - RPRT")
    assert search.evaluate("document.scrollingElement.scrollWidth") <= 360

    wide = browser.new_context(viewport={"width": 1200, "height": 500})
    desk = wide.new_page()
    desk.goto(wide_server + "/doc/wide-report")
    assert desk.locator(".toc-wide").is_visible() and not desk.locator(".toc-narrow").is_visible()
    assert desk.locator(".toc-wide").evaluate("t => getComputedStyle(t).position") == "sticky"
    link = desk.locator(".toc-wide a", has_text="2. Findings")
    desk.evaluate("id => document.getElementById(id).scrollIntoView({block: 'start'})",
                  link.get_attribute("href")[1:])
    desk.wait_for_function("document.querySelector('.toc-wide a.current') !== null")
    assert link.get_attribute("class") == "current" and desk.locator(".toc-wide a.current").count() == 1
