"""The public pages as served (no browser): the lead under ``closest`` and a sentence cited at two places
(issue 20, items 3-4) on the page, in the CLI and the API; and the page defects of issue 21 (items 7, 11,
12, 13): the byline, links left out of citations on a loopback address, the folded search options, card
headings and named controls, table rows marked by more than colour, the reader's landing point and
section list, blank and long queries, speaker codes in words, the About page and /docs."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from conftest import client_for
from scripted_answers import CLOSEST, LEAD_TEXT, NO_LEAD, QUOTED, TABLE_CLOSEST, TWICE_CITED, ScriptedRetriever

from reportqa.records import DocumentMeta
from retriever.contract import ask_response
from web.render import byline


def visible(html: str) -> str:
    """The words of ``html`` (tags dropped, visually hidden text kept: a screen reader reads it)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, testid: str) -> str:
    """The element with ``data-testid=testid`` (up to the end of its tag's element, not nested alike)."""
    start = html.index(f'data-testid="{testid}"')
    tag = html.rfind("<", 0, start)
    name = re.match(r"<(\w+)", html[tag:]).group(1)
    return html[tag:html.index(f"</{name}>", start) + len(name) + 3]


@pytest.fixture(scope="module")
def scripted(fake_retriever) -> ScriptedRetriever:
    return ScriptedRetriever(fake_retriever)


@pytest.fixture
def client(scripted):
    return client_for(scripted.inner.settings, scripted)


# --- issue 20, item 3: "The closest the reports come:" -------------------------------------------------------
def test_closest_shows_its_lead_first_with_its_citation_and_no_answer_heading(client, scripted) -> None:
    page = client.get("/", params={"q": CLOSEST}).text
    block = section(page, "answer")
    assert 'data-outcome="closest"' in block
    heading = visible(re.search(r"<h2[^>]*>.*?</h2>", block, re.S).group(0))
    assert "answer" not in heading.lower().replace("no direct answer", "")  # never framed as an answer
    lead = section(block, "lead")
    assert visible(lead) == f"The closest the reports come: “{LEAD_TEXT}” [ 1 ]"
    cited = scripted.scripted(CLOSEST).citations[0].passage.passage_id
    assert f'href="#card-{cited}"' in lead and f'id="card-{cited}"' in page  # the citation leads to its card
    # up front: before the caution, the reasons and the passages
    assert page.index('data-testid="lead"') < page.index("read the passages below") < page.index(
        'data-testid="abstain-reasons"') < page.index('id="results-heading"')
    assert "<ol" not in block  # no list of answer sentences


def test_a_table_row_lead_is_shown_as_a_small_table(client) -> None:
    lead = section(client.get("/", params={"q": TABLE_CLOSEST}).text, "lead")
    assert "<table" in lead and "London" in lead and "“" not in lead


def test_closest_without_a_lead_says_so_in_one_line(client) -> None:
    block = section(client.get("/", params={"q": NO_LEAD}).text, "answer")
    assert 'data-outcome="closest"' in block and 'data-testid="lead"' not in block
    assert "read the closest passages below" in block and 'class="sources"' not in block


# --- issue 20, item 4: quoted once, cited at both places -----------------------------------------------------
def test_a_sentence_said_twice_is_quoted_once_with_both_citations(client, scripted) -> None:
    answer = scripted.scripted(TWICE_CITED)
    page = client.get("/", params={"q": TWICE_CITED}).text
    lines = re.findall(r'<li class="line-sentence">(.*?)</li>', section(page, "answer"), re.S)
    assert len(lines) == 1 and visible(lines[0]).endswith("[ 1 , 2 ]")
    for c in answer.citations:
        assert f'href="#card-{c.passage.passage_id}" aria-label="source {c.n}"' in lines[0]


def test_the_api_and_cli_carry_the_lead_and_every_citation(client, scripted, capsys) -> None:
    body = client.get("/api/ask", params={"q": CLOSEST}).json()
    assert body["outcome"] == "closest" and body["lead"]["text"] == LEAD_TEXT and body["lead"]["citation"] == 1
    assert body["citations"][0]["text"][body["lead"]["start"]:body["lead"]["end"]] == LEAD_TEXT
    twice = client.get("/api/ask", params={"q": TWICE_CITED}).json()
    assert twice["sentences"][0]["also_cited"] == [2] and twice["answer"].endswith("[1, 2]")

    from reportqa.cli import _print_answer

    _print_answer(scripted, scripted.scripted(CLOSEST))
    out = capsys.readouterr().out
    assert out.startswith(f"[closest]\nThe closest the reports come: {LEAD_TEXT} [1]\n")
    assert "Answer" not in out
    _print_answer(scripted, scripted.scripted(TWICE_CITED))
    assert re.search(r"^There is no penalty attached to the breach of .*\. \[1, 2\]$", capsys.readouterr().out, re.M)
    assert ask_response(scripted.scripted(CLOSEST)).lead.text == LEAD_TEXT


# --- issue 21, item 12: the answer in the first screen on a phone ----------------------------------------------
def test_search_options_fold_after_a_search_and_stay_open_when_a_report_is_chosen(client, scripted) -> None:
    assert re.search(r'<details class="search-options" open', client.get("/").text)
    after = client.get("/", params={"q": CLOSEST}).text
    assert re.search(r'<details class="search-options" data-testid', after)  # closed: the box stays, options fold
    assert 'id="q" name="q"' in after and 'value="' + CLOSEST + '"' in after
    chosen = client.get("/", params={"q": CLOSEST, "doc": "beta-survey"}).text
    options = section(chosen, "search-options")
    assert "<details class=\"search-options\" open" in options and "(only Beta survey)" in visible(options)


# --- issue 21, item 13: the public pages ---------------------------------------------------------------------
def test_cards_have_headings_and_controls_named_with_their_passage(scripted) -> None:
    evaluator = client_for(scripted.inner.settings.model_copy(update={"evaluator_mode": True}), scripted)
    page = evaluator.get("/", params={"q": "licenced premises review"}).text
    cards = re.findall(r'<article class="card.*?</article>', page, re.S)
    assert len(cards) >= 3
    names: dict[str, list[str]] = {"Open in context": [], "Copy citation": [], "Relevant": [], "Copy Harvard": []}
    for n, card in enumerate(cards, 1):
        heading = re.search(r'<h3 class="card-heading" id="([^"]+)">(.*?)</h3>', card, re.S)
        assert heading and f'aria-labelledby="{heading.group(1)}"' in card
        assert visible(heading.group(2)).startswith(f"Passage {n}: ")
        for label in names:
            control = re.search(rf'>({re.escape(label)}<span class="visually-hidden">.*?</span>)</(?:a|button)>', card)
            assert control, label
            names[label].append(unescape(re.sub(r"<[^>]+>", "", control.group(1))))  # as its accessible name
    for label, seen in names.items():
        assert len(set(seen)) == len(seen) and all(s.startswith(f"{label}: passage ") for s in seen), seen


def test_evidence_rows_are_marked_by_more_than_colour(client, scripted) -> None:
    table = next(p for p in scripted.inner.passages if p.kind == "table" and "Eastern" in p.text)
    from web.render import table_card

    start = table.text.index("London")
    html = str(table_card(table.text, [(start, start + 6)]))
    row = re.search(r'<tr class="evidence-row">(.*?)</tr>', html, re.S).group(1)
    assert '<span class="visually-hidden">(evidence) </span>' in row
    assert row.count('<mark class="evidence">') == 2 and "<mark class=\"evidence\">London</mark>" in row
    other = re.search(r"<tr>(<td[^>]*>Eastern.*?)</tr>", html, re.S).group(1)
    assert "<mark" not in other and "(evidence)" not in other


def test_jump_to_a_table_row_lands_on_the_row_itself(client, scripted) -> None:
    row = next(p for p in scripted.inner.passages if p.kind == "table_row" and "London" in p.text)
    page = client.get(f"/doc/{row.doc_id}", params={"p": row.passage_id}).text
    focus = re.search(r'<tr class="passage-row" id="focus" tabindex="-1">(.*?)</tr>', page, re.S)
    assert focus and "London" in focus.group(1) and "(highlighted passage)" in focus.group(1)
    assert '<span id="focus"' not in page and page.count('id="focus"') == 1
    whole = next(p for p in scripted.inner.passages if p.kind == "table" and "Eastern" in p.text)
    page = client.get(f"/doc/{whole.doc_id}", params={"p": whole.passage_id}).text
    assert re.search(r'<div class="table-wrap" id="focus" tabindex="-1" role="group" aria-label="Highlighted '
                     r'passage: Table 1\. Respondents by police region">', page)


def test_reader_lets_keyboard_users_skip_the_section_list(client) -> None:
    page = client.get("/doc/alpha-review").text
    assert page.index('href="#report-text"') < page.index('class="toc toc-narrow"')
    assert '<div class="doc-body" id="report-text" tabindex="-1">' in page


def test_a_blank_query_shows_the_home_page_never_an_empty_answer(client) -> None:
    for q in ("   ", "\t", " \n "):
        response = client.get("/", params={"q": q})
        assert response.status_code == 200
        assert 'data-testid="answer"' not in response.text and "Answer from the reports" not in response.text
        assert "The search box was empty" in response.text and 'value=""' in response.text


def test_a_long_query_does_not_fill_the_page_title(client) -> None:
    query = "can we get an order on a man who keeps hanging round the park " * 10
    title = unescape(re.search(r"<title>(.*?)</title>", client.get("/", params={"q": query}).text, re.S).group(1))
    assert title.endswith("… – ReportQA") and len(title) <= 75 and title.startswith("can we get an order on a man")
    short = unescape(re.search(r"<title>(.*?)</title>", client.get("/", params={"q": "cawn"}).text).group(1))
    assert short == "cawn – ReportQA"


def test_speaker_codes_are_explained_in_words_on_the_page(client) -> None:
    page = client.get("/", params={"q": "does anyone check the PNC every shift"}).text
    assert "(<abbr" in page  # a card quotes a frontline officer
    key = visible(section(page, "speaker-key"))
    assert "(FL) frontline officer or staff member" in key
    assert "(DG)" not in key  # only the codes shown
    assert page.count('data-testid="speaker-key"') == 1
    answered = client.get("/", params={"q": QUOTED}).text  # the answer quotes a frontline officer
    assert "(FL)" in visible(section(answered, "answer"))
    assert 'data-testid="speaker-key"' in section(answered, "answer")  # the key sits with the answer that needs it
    assert answered.count('data-testid="speaker-key"') == 1
    about = client.get("/about").text
    assert "hold the pointer" not in about and "frontline officer or staff member" in about


# --- issue 21, items 7 and 11: the byline and citation links -------------------------------------------------
def test_a_report_without_author_publisher_or_date_has_no_stray_full_stop() -> None:
    bare = DocumentMeta("speedwatch", "speedwatch.pdf", "Community Speedwatch", "Community Speedwatch")
    assert byline(bare) == ""
    assert byline(replace(bare, date="2023")) == "2023."
    assert byline(replace(bare, authors="Jane Smith.", publisher="Rural Safety Trust", date="May 2023")) == \
        "Jane Smith. Rural Safety Trust, May 2023."


def test_the_reader_shows_no_empty_byline(client, scripted, monkeypatch) -> None:
    doc = scripted.inner.documents["alpha-review"]
    monkeypatch.setitem(scripted.inner.documents, "alpha-review", replace(doc, meta=replace(
        doc.meta, authors="", author_names=(), publisher="", place="", date="")))
    page = client.get("/doc/alpha-review").text
    assert 'class="byline"' not in page
    header = page[page.index("<h1>"):page.index("</header>")]
    assert not re.search(r">\s*\.\s*<", header)


def test_on_a_loopback_address_citations_carry_no_link_and_the_page_says_how_to_add_one(scripted) -> None:
    local = client_for(scripted.inner.settings, scripted)  # served on 127.0.0.1:8000, no public base URL
    page = local.get("/", params={"q": "licenced premises review"}).text
    assert "/doc/" not in "".join(re.findall(r'data-citation="([^"]*)"', page))
    assert "127.0.0.1:8000/doc" not in "".join(re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S))
    note = visible(section(page, "cite-note"))
    assert "REPORTQA_PUBLIC_BASE_URL" in note and "http://127.0.0.1:8000" in note
    assert 'aria-describedby="cite-note"' in page and 'href="#cite-note"' in page  # beside the copy buttons
    public = client_for(scripted.inner.settings.model_copy(update={"public_base_url": "https://rqa.force.local"}),
                        scripted)
    page = public.get("/", params={"q": "licenced premises review"}).text
    assert 'data-testid="cite-note"' not in page and "https://rqa.force.local/doc/" in page


# --- About and /docs -------------------------------------------------------------------------------------------
def test_about_tells_closest_from_not_covered(client) -> None:
    about = visible(client.get("/about").text)
    assert "No direct answer found The reports discuss the subject, but no sentence clearly answers" in about
    assert "“The closest the reports come:”" in about and "This is not an answer" in about
    assert "Not covered by the reports Said only when there is evidence that the reports do not deal with" in about
    assert "don't appear to cover" not in about


def test_docs_is_a_page_of_the_app_with_its_language_and_every_route(client) -> None:
    page = client.get("/docs").text
    assert '<html lang="en-GB">' in page and "swagger" not in page.lower()
    for route in ("GET /api/search", "GET /api/ask", "GET /api/passages/{passage_id}", "GET /api/measures"):
        assert f"<code>{route}</code>" in page
    assert '<a href="#type-AskResponse">AskResponse</a>' in page and 'id="type-AnswerSentenceModel"' in page
    ask = page[page.index('id="type-AskResponse"'):page.index('id="type-CitationFormats"')]
    assert "<code>lead</code>" in ask and '<a href="#type-AnswerSentenceModel">AnswerSentenceModel</a> or null' in ask
