"""A measure under all its names (issue 21, defects 3 and 5): aliases mined from the text, from the
reports' headings and from the corpus's curated ``measure-aliases.toml`` (indexer.measure_aliases);
a card's passages gathered by the search over its names (retriever.measures); "About <measure>"
links only for measures the question or an answer sentence names (web.measures). A tiny corpus
written here, indexed with the fake embedder."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from conftest import client_for, fake_settings
from fastapi.testclient import TestClient

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.measure_aliases import MeasureAliasesError, aliases_in_text, load_curated_aliases
from indexer.store import IndexMismatchError
from reportqa.measures_records import measure_tokens
from retriever.results import Answer, AnswerSentence, Citation, Hit
from retriever.retriever import Retriever

REPORT = """# Disruption in practice

# 1. What officers said

Officers rated child abduction warning notices (CAWNs) – also known as harbouring notices – as useful.

# 2. Other work

Where hotels are used for exploitation, owners can be issued with a notice asking for information about \
guests staying there.

# 3. Disruption-supportive measures

## 3.1 Hotel information requests

Owners of hotels can be asked to say who stayed on a given night.

### Use and effectiveness

A small study found that staff needed training to recognise exploitation and record what they saw.

## 3.2 Taxi and private hire vehicle (PHV) licensing

Drivers must pass an enhanced check before a licence is granted.

### Use and effectiveness

The guidelines regulating drivers were found to be effective once strengthened.

# Appendix A: Disruption measures

Disruption measure\tТуре\tDescription
Child abduction warning notices (CAWNs)\tDirect\tAn official notice served by police to break contact.
Child Sex Offender Disclosure Scheme\tDisruption- supportive\tParents may ask whether a person is a registered \
sex offender.
Hotel guest information notices\tDisruption- supportive\tThey require hotel owners to provide guest details.
Taxi and private hire vehicle (PHV) licensing\tDisruption- supportive\tDrivers undergo an enhanced check.
"""

CURATED = """[[measure]]
name = "Child sex offender disclosure schemes"
aliases = ["Sarah's Law"]

[[measure]]
name = "A measure the reports never list"
aliases = ["nothing"]
"""

CAWN = "child-abduction-warning-notices"
HOTEL = "hotel-guest-information-notices"
TAXI = "taxi-and-private-hire-vehicle-licensing"


def _open(root: Path, curated: str | None = CURATED) -> Retriever:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "disruption.md").write_text(REPORT, encoding="utf-8")
    if curated is not None:
        (corpus / "measure-aliases.toml").write_text(curated, encoding="utf-8")
    settings = fake_settings(corpus, root / "index")
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return Retriever.open(settings, embedder=embedder)


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Retriever:
    return _open(tmp_path_factory.mktemp("aliases"))


@pytest.fixture(scope="module")
def mini_client(mini) -> TestClient:
    return client_for(mini.settings, mini)


# --- aliases said in the text ---------------------------------------------------------------------------
CAWN_KEYS = [tuple(measure_tokens("child abduction warning notices")), ("cawn",)]


@pytest.mark.parametrize(("text", "expected"), [
    ("They found child abduction warning notices (CAWNs) – also known as harbouring notices – useful.",
     ["harbouring notices"]),
    ("Officers serve CAWNs (also called 'Section 2 notices') when contact must stop.", ["Section 2 notices"]),
    ("Officers served CAWNs, known as harbouring notices, on him.", ["harbouring notices"]),
    ("Also known as 'harbouring notices' or 'section 2 notices', CAWNs are served by police.",
     ["harbouring notices", "section 2 notices"]),
])
def test_aliases_said_in_the_text(text: str, expected: list[str]) -> None:
    assert aliases_in_text(CAWN_KEYS, text) == expected


@pytest.mark.parametrize("text", [
    "Sexual risk orders – also known as SROs – are civil orders.",  # another measure's alias
    "The suspect, known as Tom, was served a CAWN.",  # the cue follows another word, not the name
    "CAWNs were served. Also known as Tom, the suspect left.",
])
def test_a_cue_after_another_name_gives_the_measure_no_alias(text: str) -> None:
    assert aliases_in_text(CAWN_KEYS, text) == []


def test_every_kind_of_alias_reaches_the_card(mini) -> None:
    cards = mini.measures.by_slug
    assert "harbouring notices" in cards[CAWN].aliases  # said in the text
    assert "Hotel information requests" in cards[HOTEL].aliases  # the heading of its section
    assert "Sarah's Law" in cards["child-sex-offender-disclosure-scheme"].aliases  # curated
    assert not any("Taxi" in a for a in cards[HOTEL].aliases)


# A search that names an alias shows the card, whatever its case, plural or possessive.
@pytest.mark.parametrize(("query", "slug"), [
    ("harbouring notice", CAWN), ("Harbouring Notices", CAWN), ("HARBOURING NOTICE'S", CAWN),
    ("what is a harbouring notice?", CAWN), ("hotel information requests", HOTEL),
    ("Hotel Information Request", HOTEL), ("sarah's law", "child-sex-offender-disclosure-scheme"),
    ("SARAH'S LAW", "child-sex-offender-disclosure-scheme"),
])
def test_a_query_naming_an_alias_names_the_card(mini, query: str, slug: str) -> None:
    card = mini.measure_for(query)
    assert card is not None and card.slug == slug


def test_a_search_naming_an_alias_shows_the_card(mini_client) -> None:
    page = mini_client.get("/", params={"q": "Harbouring notices"}).text
    box = page[page.index('data-testid="measure-card"'):]
    assert f'href="http://testserver/measures/{CAWN}"' in box[:600]
    assert ">About Child abduction warning notices" not in page  # the card shown is not linked again


def test_a_bad_curated_file_costs_only_its_aliases(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="indexer.build"):
        retriever = _open(tmp_path, curated="[[measure]\nname = ")
    assert "curated measure aliases skipped" in caplog.text and "not valid TOML" in caplog.text
    assert len(retriever.measures) == 4 and retriever.measure_for("harbouring notice") is not None
    assert retriever.measure_for("Sarah's Law") is None


def test_a_curated_name_that_matches_no_measure_is_reported(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="indexer.build"):
        _open(tmp_path)
    assert "names no measure of the reports: 'A measure the reports never list'" in caplog.text


@pytest.mark.parametrize(("text", "error"), [
    ('measure = "x"', "expected [[measure]] tables"),
    ('[[measure]]\naliases = ["a"]', "has no name"),
    ('[[measure]]\nname = "CCTV"\naliases = "cameras"', "aliases must be a list"),
])
def test_a_malformed_curated_file_is_named(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "measure-aliases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MeasureAliasesError, match=re.escape(error)):
        load_curated_aliases(path)


def test_editing_the_curated_file_makes_the_index_out_of_date(tmp_path: Path) -> None:
    retriever = _open(tmp_path)
    (tmp_path / "corpus" / "measure-aliases.toml").write_text(CURATED + "\n# edited\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError):
        Retriever.open(retriever.settings, embedder=FakeEmbedder())


# --- passages gathered by the search ---------------------------------------------------------------------
def _sections(card) -> set[str]:
    return {p.cite.section for p in card.passages}


def test_a_card_gathers_the_passages_under_its_alias_heading(mini) -> None:
    card = mini.measures.gathered(mini.measures.by_slug[HOTEL])
    assert {"3. Disruption-supportive measures › 3.1 Hotel information requests",
            "3. Disruption-supportive measures › 3.1 Hotel information requests › Use and effectiveness"
            } <= _sections(card)
    assert card.group("effectiveness")


def test_the_search_finds_a_passage_that_describes_the_measure_without_naming_it(mini) -> None:
    index_only = mini.measures.by_slug[HOTEL]
    gathered = mini.measures.gathered(index_only)
    assert "2. Other work" not in _sections(index_only)  # no name or alias of the card in it
    assert "2. Other work" in _sections(gathered)  # "a notice asking for information about guests"
    assert mini.measures.gathered(index_only) is gathered  # cached for the build


def test_passages_under_the_measures_own_heading_count_as_effectiveness(mini) -> None:
    card = mini.measures.gathered(mini.measures.by_slug[TAXI])
    assert [p.cite.section for p in card.group("effectiveness")] == [
        "3. Disruption-supportive measures › 3.2 Taxi and private hire vehicle (PHV) licensing › Use and effectiveness"]


def test_the_card_page_shows_the_gathered_passages(mini_client) -> None:
    page = mini_client.get(f"/measures/{HOTEL}").text
    assert "a notice asking for information about guests" in page and "staff needed training" in page
    body = mini_client.get(f"/api/measures/{HOTEL}").json()
    shown = len(body["how_it_works"]) + len(body["effectiveness"]) + len(body["concerns"])
    listing = {m["slug"]: m["passages"] for m in mini_client.get("/api/measures").json()}
    assert listing[HOTEL] == shown >= 3


# --- "About <measure>" links ------------------------------------------------------------------------------
def _links(client: TestClient, retriever: Retriever, monkeypatch, query: str, answer: Answer) -> list[str]:
    monkeypatch.setattr(retriever, "ask", lambda *args, **kwargs: answer)
    page = client.get("/", params={"q": query}).text
    block = page[page.index('data-testid="answer"'):page.index('id="results-heading"')]
    return re.findall(r">About ([^<]+)</a>", block)


def _appendix(retriever: Retriever):
    return next(p for p in retriever.passages if p.section == ("Appendix A: Disruption measures",)
                and "Hotel guest" in p.text and "Taxi" in p.text)


def test_a_multi_row_passage_links_only_the_measure_the_answer_names(mini_client, mini, monkeypatch) -> None:
    rows = _appendix(mini)
    said = "Taxi and private hire vehicle (PHV) licensing: drivers undergo an enhanced check."
    answer = Answer("q", "answer", [AnswerSentence(said, 1)], [Citation(1, rows, "Measures")],
                    [Hit(rows, "Measures", 1.0, 1)])
    links = _links(mini_client, mini, monkeypatch, "do cab drivers get checked", answer)
    assert links == ["Taxi and private hire vehicle (PHV) licensing"]


def test_a_top_hit_naming_measures_the_question_does_not_links_none(mini_client, mini, monkeypatch) -> None:
    rows = _appendix(mini)
    closest = Answer("q", "closest", [], [Citation(1, rows, "Measures")], [Hit(rows, "Measures", 1.0, 1)])
    assert _links(mini_client, mini, monkeypatch, "snapchat messages to a child", closest) == []


def test_a_question_naming_an_alias_links_its_card(mini_client, mini, monkeypatch) -> None:
    rows = _appendix(mini)
    closest = Answer("q", "closest", [], [Citation(1, rows, "Measures")], [Hit(rows, "Measures", 1.0, 1)])
    links = _links(mini_client, mini, monkeypatch, "how long does a harbouring notice last", closest)
    assert links == ["Child abduction warning notices (CAWNs)"]


def test_nothing_is_linked_when_the_reports_do_not_cover_the_question(mini_client, mini, monkeypatch) -> None:
    rows = _appendix(mini)
    said = "Taxi and private hire vehicle (PHV) licensing: drivers undergo an enhanced check."
    not_covered = Answer("q", "not_covered", [AnswerSentence(said, 1)], [], [Hit(rows, "Measures", 1.0, 1)])
    assert _links(mini_client, mini, monkeypatch, "taxi licensing for microwave rice", not_covered) == []
