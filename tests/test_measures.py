"""Measure cards: built at index time from a report's appendix table of measures (indexer.measures),
stored in the build (measures.json), matched to queries (retriever.measures) and shown on the web
(web.measures). The real bundled corpus is indexed with the fake embedder: cards need passages, not
vectors. A tiny corpus written here checks grouping, ranking, matching and the pages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from browser_support import ARTIFACTS
from conftest import REAL_CORPUS, client_for, fake_settings
from fastapi.testclient import TestClient

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.measures import MeasureRow, classify, names_of
from indexer.store import MEASURES, IndexCorruptError, live_build, read_manifest, read_measures, verify_files
from reportqa.measures_records import MeasureCard, MeasureCitation, cards_from_json, cards_to_json, measure_tokens
from reportqa.settings import MeasureConfig
from retriever.measures import MeasureCatalog
from retriever.results import Answer, AnswerSentence, Citation, Hit
from retriever.retriever import Retriever

APPENDIX_HEADING = "# Appendix A: Disruption measures"

TINY_REPORT = """# Measures in practice

# 1. Introduction

Child abduction warning notices (CAWNs) are served by police to break contact between a suspect and a child. \
Some forces also send suspect warning letters.

# 2. What officers said

Officers said that CAWNs were effective in deterring contact and worked well with younger children.

#### Table 1. Measures used by respondents

Disruption measure\tNo. of respondents
Child abduction warning notices\t39
Letters of concern\t12

Source: Survey of officers; n=50.

# 3. Practice

However, a breach of a CAWN is not an offence in itself, which is a concern for officers.

# 4. Letters of concern

Letters of concern are sent when abuse is suspected but there is not enough evidence to charge. \
Letters of concern name the child.

# 5. Online work

Online infiltration lets officers pose as children in chatrooms.

# Appendix A: Disruption measures

Disruption measure\tТуре\tDescription
Child abduction warning notices (CAWNs)\tDirect\tAn official notice served by police to break contact.
Disruption measure\tТуре\tDescription
Letters of concern\tDisruption- supportive\tAlso known as 'suspect warning letters', these are sent when abuse is \
suspected.
Online infiltration\tOnline\tUndercover operations online to find people grooming children.
"""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def appendix_rows(path: Path) -> list[list[str]]:
    """The rows of Appendix A read straight from the Markdown: lines under the heading, up to the
    next heading, with three tab-separated cells, other than the (repeated) header row."""
    rows, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = line.strip() == APPENDIX_HEADING
            continue
        cells = line.split("\t")
        if inside and len(cells) == 3 and cells[0].strip() != "Disruption measure":
            rows.append([c.strip() for c in cells])
    return rows


def open_fake(corpus: Path, index: Path) -> Retriever:
    settings = fake_settings(corpus, index)
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return Retriever.open(settings, embedder=embedder)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Retriever:
    """The bundled reports, indexed with the fake embedder (cards need passages, not vectors)."""
    return open_fake(REAL_CORPUS, tmp_path_factory.mktemp("measures-real") / "index")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Retriever:
    root = tmp_path_factory.mktemp("measures-tiny")
    (root / "corpus").mkdir()
    (root / "corpus" / "measures-report.md").write_text(TINY_REPORT, encoding="utf-8")
    return open_fake(root / "corpus", root / "index")


@pytest.fixture(scope="module")
def tiny_client(tiny) -> TestClient:
    return client_for(tiny.settings, tiny)


# --- the real reports ---------------------------------------------------------------------------------------
def test_every_appendix_measure_has_a_card(real) -> None:
    rows = appendix_rows(REAL_CORPUS / "survey-report.md")
    assert len(rows) >= 30  # the test reads the table itself; a parse that finds nothing must fail here
    by_name = {_norm(c.name): c for c in real.measures.cards}
    missing = [name for name, _, _ in rows if _norm(name) not in by_name]
    assert missing == [] and len(real.measures) == len(rows)
    for name, kind, description in rows:
        card = by_name[_norm(name)]
        assert card.type == re.sub(r"[^a-z]+", "-", kind.lower()).strip("-")
        assert _norm(card.description) == _norm(description)


def test_every_card_cites_passages_of_the_index(real) -> None:
    ids = {p.passage_id for p in real.passages}
    for card in real.measures.cards:
        cited = [card.source] + [f.cite for f in card.figures] + [p.cite for p in card.passages]
        assert cited and all(c.passage_id in ids for c in cited), card.slug
        assert real.passage(card.source.passage_id).section[-1].startswith("Appendix A")


def test_cawn_card(real) -> None:
    card = real.measure_for("CAWN")
    assert card is not None and card.acronym == "CAWN" and card.type == "direct"
    assert card.group("effectiveness") and card.group("how_it_works") and card.group("concerns")
    assert {p.cite.doc_id for p in card.passages} == set(real.documents)  # both reports discuss CAWNs
    assert any("6.1.1" in p.cite.section for p in card.group("effectiveness"))
    scores = [p.score for p in card.passages]
    assert scores == sorted(scores, reverse=True) and card.passages[0].in_heading
    # survey figures: rows of tables with a measure column that name it, with their caption
    assert card.figures and all(f.caption and _norm("child abduction warning notices") in _norm(f.label)
                                for f in card.figures)
    assert any(f.caption.startswith("Table 6") and any(v.isdigit() for _, v in f.values) for f in card.figures)


def test_acronyms_come_from_the_name_or_the_text(real) -> None:
    assert real.measure_for("SROs").name.startswith("Sexual risk orders")
    assert real.measure_for("shpo").acronym == "SHPO"
    pnc = real.measure_for("PNC markers")
    assert pnc is not None and pnc.slug == real.measure_for("Police National Computer markers").slug
    # a parenthesis that does not spell the name is not its acronym
    assert real.measure_for("Social media scrutiny").acronym == ""


def _in_section(card, prefix: str, group: str | None = None) -> list:
    return [p for p in (card.group(group) if group else card.passages) if p.cite.section.startswith(prefix)]


def test_measures_are_found_under_their_other_names(real) -> None:
    """Issue 21, defect 3, on the bundled reports: the scoping review's heading "4.1 Hotel information
    requests", the survey's "CAWNs – also known as harbouring notices", and the taxi licensing section's
    "Use and effectiveness" part all reach their cards."""
    hotel = real.measures.gathered(real.measures.by_slug["hotel-guest-information-notices"])
    assert _in_section(hotel, "4. Disruption-supportive measures › 4.1 Hotel information requests", "effectiveness")
    taxi = real.measures.gathered(real.measures.by_slug["taxi-and-private-hire-vehicle-licensing"])
    assert _in_section(taxi, "4. Disruption-supportive measures › 4.4 Taxi", "effectiveness")
    for query in ("harbouring notice", "Harbouring Notices", "what is a harbouring notice?"):
        assert real.measure_for(query).acronym == "CAWN"
    assert real.measure_for("Sarah's Law").slug == "child-sex-offender-disclosure-scheme"  # curated


def test_an_index_without_cards_still_loads(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plain.txt").write_text("A plain report.\n\nIt has no table of measures at all.\n", encoding="utf-8")
    retriever = open_fake(corpus, tmp_path / "index")
    assert len(retriever.measures) == 0 and retriever.measure_for("CAWN") is None
    assert not (live_build(tmp_path / "index") / MEASURES).exists()
    page = client_for(retriever.settings, retriever).get("/measures")
    assert page.status_code == 200 and "no measure cards" in page.text


def test_a_damaged_measures_file_is_reported(tiny, tmp_path: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(tiny.reader.build, build)
    manifest = read_manifest(build)
    assert len(read_measures(build, manifest)) == 3
    (build / MEASURES).write_text('{"format": 1, "cards": [{"slug": "x"}]}', encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="measures.json is damaged"):
        read_measures(build, manifest)
    (build / MEASURES).write_text("not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        read_measures(build, manifest)
    with pytest.raises(IndexCorruptError, match="damaged"):  # opening the build catches it first
        verify_files(build, manifest)


# --- the tiny corpus: cards, grouping, ranking ---------------------------------------------------------------
def test_tiny_cards(tiny) -> None:
    cards = {c.slug: c for c in tiny.measures.cards}
    assert set(cards) == {"child-abduction-warning-notices", "letters-of-concern", "online-infiltration"}
    cawn, letters, online = (cards[s] for s in ("child-abduction-warning-notices", "letters-of-concern",
                                                "online-infiltration"))
    assert (cawn.acronym, cawn.type, cawn.type_label) == ("CAWN", "direct", "Direct")
    assert (letters.type, letters.type_label) == ("disruption-supportive", "Disruption-supportive")
    assert letters.acronym == "" and "suspect warning letters" in letters.aliases
    assert online.type == "online" and online.description.startswith("Undercover operations")
    assert cards_from_json(json.loads(json.dumps(cards_to_json([cawn])))) == [cawn]


def test_tiny_grouping_follows_the_cue_words(tiny) -> None:
    cawn = tiny.measure_for("CAWN")
    texts = {g: [p.snippet for p in cawn.group(g)] for g in ("how_it_works", "effectiveness", "concerns")}
    assert any("served by police" in t for t in texts["how_it_works"])
    assert any("were effective" in t for t in texts["effectiveness"])
    assert any("breach" in t for t in texts["concerns"])
    assert all(p.cues for p in cawn.passages if p.group != "how_it_works")


def test_a_cue_in_the_measures_own_name_does_not_count() -> None:
    keys = [tuple(measure_tokens("Letters of concern"))]
    assert classify("Letters of concern are sent by post.", ("4. Letters of concern",), keys)[0] == "how_it_works"
    assert classify("Letters of concern are sent by post.", ("4. Letters of concern",))[0] == "concerns"
    group, cues = classify("Letters of concern raised a concern with officers.", ("1. Intro",), keys)
    assert group == "concerns" and cues == ("concern",)


def test_a_tie_between_effectiveness_and_concerns_goes_to_concerns() -> None:
    """Equal counts put the passage with the concerns: a limit stated in an effectiveness passage is what
    a reader must not miss. The rule moved three real passages (one on the CAWN card) when it was '>'."""
    group, cues = classify("The notices were effective, but a breach was common.", ("1. Intro",))
    assert (group, cues) == ("concerns", ("breach",))
    in_title = classify("Officers said it worked and it was useful.", ("5. Barriers to use",))  # 2 against 1 × 2
    assert in_title == ("concerns", ("barriers",))
    assert classify("It worked and was useful, despite one breach.", ("1. Intro",))[0] == "effectiveness"  # 2 > 1


def test_the_grouping_and_ranking_numbers_come_from_the_settings(tmp_path: Path) -> None:
    """MeasureConfig (settings.measures) reaches the cards: by argument, and through the index build."""
    section = ("5. Why it was effective",)
    assert classify("Officers raised a concern.", section)[0] == "effectiveness"  # a title cue counts twice
    assert classify("Officers raised a concern.", section, config=MeasureConfig(measure_section_cue_weight=0)
                    )[0] == "concerns"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "measures-report.md").write_text(TINY_REPORT, encoding="utf-8")
    settings = fake_settings(tmp_path / "corpus", tmp_path / "index").model_copy(update={"measure_snippet_chars": 40})
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    cawn = Retriever.open(settings, embedder=FakeEmbedder()).measure_for("CAWN")
    assert cawn.passages and all(len(p.snippet) <= 40 for p in cawn.passages)
    assert any(p.snippet.endswith("…") for p in cawn.passages)


def test_tiny_ranking_and_citations(tiny) -> None:
    letters = tiny.measure_for("letters of concern")
    first = letters.passages[0]
    assert first.in_heading and first.cite.section == "4. Letters of concern" and first.mentions == 2
    assert any("suspect warning letters" in p.snippet for p in letters.passages)  # found by its other name
    figure = next(f for f in letters.figures)
    assert figure.caption == "Table 1. Measures used by respondents" and ("No. of respondents", "12") in figure.values
    assert figure.note.startswith("Source:")
    appendix = {letters.source.passage_id}
    assert not appendix & {p.cite.passage_id for p in letters.passages}


def test_names_of_reads_parentheses_and_descriptions() -> None:
    row = MeasureRow("Police National Computer (PNC) markers", "Disruption- supportive",
                     "Also known as 'flags' or 'markers on the PNC'.", "doc", (0, 1))
    acronym, aliases = names_of(row, [])
    assert acronym == "" and aliases[:3] == ["PNC markers", "flags", "markers on the PNC"]
    acronym, _ = names_of(MeasureRow("Sexual risk orders (SROs)", "Direct", "", "doc", (0, 1)), [])
    assert acronym == "SRO"


@pytest.mark.parametrize("query", ["CAWN", "cawns", "CAWN's", "Cawns", "what is a CAWN?",
                                   "Child Abduction Warning Notices", "child abduction warning notice"])
def test_query_names_the_card(tiny, query: str) -> None:
    assert tiny.measure_for(query).slug == "child-abduction-warning-notices"


@pytest.mark.parametrize("query", ["CAWN breach", "warning", "", "   ", "child abduction"])
def test_other_queries_name_no_card(tiny, query: str) -> None:
    assert tiny.measure_for(query) is None


def _card(slug: str, name: str, *aliases: str) -> MeasureCard:
    return MeasureCard(slug, name, "", "direct", "Direct", "", MeasureCitation("p", "d", "D", "A"), list(aliases),
                       [tuple(measure_tokens(n)) for n in (name, *aliases)])


@pytest.mark.parametrize("cards", ["in name order", "reversed"])
def test_a_name_two_cards_share_opens_neither(cards: str) -> None:
    """“SRO” names both the sexual and the slavery risk order: it opens no card, whichever was read
    first, while each card's own name still opens that card."""
    sexual = _card("sexual-risk-orders", "Sexual risk orders", "SRO")
    slavery = _card("slavery-risk-orders", "Slavery and trafficking risk orders", "SRO")
    catalog = MeasureCatalog([sexual, slavery] if cards == "in name order" else [slavery, sexual])
    assert catalog.for_query("SRO") is None and catalog.for_query("what is an SRO?") is None
    assert catalog.for_query("sexual risk orders") is sexual
    assert catalog.for_query("slavery and trafficking risk order") is slavery


def test_named_in_orders_by_first_mention(tiny) -> None:
    named = tiny.measures.named_in(["Online infiltration and suspect warning letters.", "A CAWN."])
    assert [c.slug for c in named] == ["online-infiltration", "letters-of-concern", "child-abduction-warning-notices"]


# --- the web --------------------------------------------------------------------------------------------------
def test_measures_index_lists_the_types(tiny_client) -> None:
    page = tiny_client.get("/measures").text
    for label in ("Direct", "Disruption-supportive", "Online"):
        assert f">{label} measures" in page
    assert page.index('data-type="direct"') < page.index('data-type="disruption-supportive"') \
        < page.index('data-type="online"')
    assert '/measures/letters-of-concern"' in page and "<script" not in page.split("</head>")[1]
    only = tiny_client.get("/measures", params={"type": "online"}).text
    assert 'data-slug="online-infiltration"' in only and 'data-slug="letters-of-concern"' not in only
    bad = tiny_client.get("/measures", params={"type": "nonsense"})
    assert bad.status_code == 404 and "direct" in bad.text
    assert '/measures">Measures</a>' in tiny_client.get("/").text  # in the site navigation


def test_measure_page_shows_description_and_cited_passages(tiny_client, tiny) -> None:
    card = tiny.measure_for("CAWN")
    page = tiny_client.get(f"/measures/{card.slug}").text
    assert "An official notice served by police to break contact." in page
    assert 'data-testid="acronym">CAWN<' in page
    for p in card.passages:
        assert f'data-passage="{p.cite.passage_id}"' in page
        assert f"?p={p.cite.passage_id}#p-{p.cite.passage_id}" in page
    # each group's section holds the passages of its cue: how it works (the introduction), its
    # effectiveness ("effective"), its concerns ("However, … a concern")
    expected = {"how_it_works": "1. Introduction", "effectiveness": "2. What officers said", "concerns": "3. Practice"}
    for key, heading in expected.items():
        section = re.search(rf'<section [^>]*data-group="{key}">(.*?)</section>', page, flags=re.S)
        assert section, key
        shown = re.findall(r'class="measure-passage" data-passage="([^"]+)"', section.group(1))
        assert shown == [p.passage_id for p in tiny.passages if p.section == (heading,) and p.kind == "text"], key
    assert "Table 1. Measures used by respondents" in page and ">39<" in page
    assert tiny_client.get("/measures/no-such-measure").status_code == 404


def test_each_open_in_context_link_of_a_card_is_named_with_its_passage(tiny_client, tiny) -> None:
    page = tiny_client.get(f"/measures/{tiny.measure_for('CAWN').slug}").text
    links = re.findall(r'<a class="open" href="([^"]+)">(Open in context.*?)</a>', page, flags=re.S)
    assert len(links) >= 3
    names = {re.sub(r"<[^>]+>", "", name) for _, name in links}  # the accessible name: visible words first
    assert all(n.startswith("Open in context: ") for n in names)
    assert len(names) == len({href for href, _ in links})  # one name per passage opened
    assert tiny_client.get("/measures/..%2F..%2Fetc").status_code == 404


def test_search_for_an_acronym_shows_the_card_before_the_passages(tiny_client) -> None:
    page = tiny_client.get("/", params={"q": "CAWNs"}).text
    box = page.index('data-testid="measure-card"')
    # after the answer block (whose first sentence must stay in a phone's first screen), before the passages
    assert page.index('data-testid="answer"') < box < page.index('id="results-heading"')
    assert 'href="http://testserver/measures/child-abduction-warning-notices"' in page[box:box + 600]
    plain = tiny_client.get("/", params={"q": "officers in chatrooms"}).text
    assert 'data-testid="measure-card"' not in plain


def _measure_links(client: TestClient, retriever: Retriever, monkeypatch, answer: Answer) -> list[str]:
    """The "About …" links of the answer block when the retriever answers ``answer``."""
    monkeypatch.setattr(retriever, "ask", lambda *args, **kwargs: answer)
    page = client.get("/", params={"q": "what happens then"}).text  # names no measure itself
    block = page[page.index('data-testid="answer"'):page.index('id="results-heading"')]
    return re.findall(r">About ([^<]+)</a>", block)


def test_a_measure_named_only_in_the_answer_is_linked(tiny_client, tiny, monkeypatch) -> None:
    officers = next(p for p in tiny.passages if p.section == ("2. What officers said",) and p.kind == "text")
    online = next(p for p in tiny.passages if p.section == ("5. Online work",))
    assert "CAWN" not in online.text and "abduction" not in online.text  # the top hit does not name it
    said = "Officers said that CAWNs were effective in deterring contact and worked well with younger children."
    answer = Answer("q", "answer", [AnswerSentence(said, 1)], [Citation(1, officers, "Measures")],
                    [Hit(online, "Measures", 1.0, 1), Hit(officers, "Measures", 0.9, 2)])
    assert "Child abduction warning notices (CAWNs)" in _measure_links(tiny_client, tiny, monkeypatch, answer)


def test_a_measure_named_only_in_the_top_hit_is_not_linked(tiny_client, tiny, monkeypatch) -> None:
    online = next(p for p in tiny.passages if p.section == ("5. Online work",))
    officers = next(p for p in tiny.passages if p.section == ("2. What officers said",) and p.kind == "text")
    closest = Answer("q", "closest", [], [Citation(1, online, "Measures")],
                     [Hit(online, "Measures", 1.0, 1), Hit(officers, "Measures", 0.9, 2)])
    # neither the question nor an answer sentence names a measure: a hit naming one is no reason to link it
    # (issue 21: a Snapchat question linked to taxi licensing through a multi-row appendix passage)
    assert _measure_links(tiny_client, tiny, monkeypatch, closest) == []


def test_measures_api(tiny_client, tiny) -> None:
    listing = tiny_client.get("/api/measures").json()
    assert {m["slug"] for m in listing} == {c.slug for c in tiny.measures.cards}
    body = tiny_client.get("/api/measures/child-abduction-warning-notices").json()
    assert body["acronym"] == "CAWN" and body["effectiveness"] and body["source"]["passage_id"]
    assert body["figure_rows"][0]["values"] == [["No. of respondents", "39"]]
    assert tiny_client.get("/api/measures/nope").status_code == 404
    assert "/api/measures/{slug}" in tiny_client.get("/openapi.json").json()["paths"]


# --- a 360-pixel phone, JavaScript off and on (real Chromium; pages served by the TestClient) -----------------
@pytest.mark.browser
@pytest.mark.parametrize("javascript", [False, True])
def test_measure_pages_fit_a_phone(real, browser, javascript: bool) -> None:
    client = client_for(real.settings, real)

    def serve(route) -> None:
        response = client.get(route.request.url.replace("http://testserver", ""))
        route.fulfill(status=response.status_code, body=response.content,
                      headers={"content-type": response.headers.get("content-type", "text/html")})

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.route("http://testserver/**", serve)
        card = real.measure_for("CAWN")
        for path in ("/measures", f"/measures/{card.slug}", "/measures/device-scrutiny-child-abuse-image-database",
                     "/?q=CAWN"):
            page.goto("http://testserver" + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        page.goto("http://testserver/measures")
        page.click(f"a[href$='/measures/{card.slug}']")
        assert page.locator("h1").inner_text() == card.name
        page.locator("details summary").first.click()  # "Show N more" opens without JavaScript too
        assert page.locator("details[open]").count() == 1
        if javascript:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "measure-card-360.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.model
def test_cards_in_the_real_model_index(real_retriever) -> None:
    """The same cards with the real model's passages (its own chunking): every appendix row, CAWN's groups."""
    rows = appendix_rows(REAL_CORPUS / "survey-report.md")
    assert sorted(_norm(c.name) for c in real_retriever.measures.cards) == sorted(_norm(r[0]) for r in rows)
    card = real_retriever.measure_for("CAWNs")
    assert card.acronym == "CAWN" and card.type == "direct" and card.group("effectiveness")
    ids = {p.passage_id for p in real_retriever.passages}
    assert all(p.cite.passage_id in ids for c in real_retriever.measures.cards for p in c.passages)



@pytest.mark.model
def test_other_names_and_links_in_the_real_model_index(real_retriever) -> None:
    """Issue 21, defects 3 and 5, with the real model's passages and ranking."""
    hotel = real_retriever.measures.gathered(real_retriever.measures.by_slug["hotel-guest-information-notices"])
    assert _in_section(hotel, "4. Disruption-supportive measures › 4.1 Hotel information requests")
    taxi = real_retriever.measures.gathered(real_retriever.measures.by_slug["taxi-and-private-hire-vehicle-licensing"])
    assert taxi.group("effectiveness")
    assert real_retriever.measure_for("harbouring notices").acronym == "CAWN"
    client = client_for(real_retriever.settings.model_copy(update={"allowed_hosts": ["testserver"]}), real_retriever)
    # neither question names a measure; the first used to link taxi licensing (a multi-row appendix passage
    # was its top hit), the second (not covered) four measures
    for query in ("he keeps messaging her on snapchat", "microwave rice"):
        response = client.get("/", params={"q": query})
        assert response.status_code == 200, query
        page = response.text
        block = page[page.index('data-testid="answer"'):page.index('id="results-heading"')]
        assert ">About " not in block, query
