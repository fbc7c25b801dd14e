"""The answer block people read at a glance (issue 14): balanced quotation marks, table rows shown as
tables, no caption standing alone, off-topic questions declined with a reason, suggested questions,
more passages, adjacent passages collapsed, and a glossary of every acronym the reports use."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import FIXTURE_CORPUS, client_for, fake_settings
from fastapi.testclient import TestClient
from markupsafe import Markup

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from reportqa.records import Passage
from reportqa.settings import AnswerConfig, RankingConfig
from retriever.answer import Evidence, ExtractiveComposer
from retriever.answer_lines import is_caption, table_line
from retriever.contract import ask_response
from retriever.decision import Decision, off_topic
from retriever.highlight import ScoredSentence
from retriever.results import AnswerSentence, Hit
from retriever.retriever import Retriever
from retriever.schema import Signals
from web.answer_block import answer_line, balanced_quote, row_table, with_speaker_codes
from web.search_page import collapse_adjacent

COMPOSER = ExtractiveComposer(AnswerConfig(), RankingConfig().unit_words)

GAMMA = """Gamma Notes on Exploitation

# 1. Background

Child sexual exploitation is a form of child sexual abuse that officers in every force meet. Officers said CSE \
was the form of abuse they met most often in the night-time economy. Training on CSE was offered in most forces, \
usually once a year and online.

The CSE teams worked with partners across each region to share intelligence quickly and to map the places where \
children were at risk. Each force kept a profile of hotspots and of the people linked to them.

Where child sexual exploitation was suspected, officers shared intelligence with social care and health partners \
on the same day. Partners said joint visits helped them reach children who would not speak to the police at first.

# 2. What officers said

Frontline officers were asked what helped them most when they disrupted abuse in their area.

"We just get on with it, nobody tells us what works." (FL)

"Disruption is about the victim, the offender and the location together." (SL)

"I check the markers every shift before I go out on patrol." (FL)

# 3. Where orders are recorded

Recording location\tNo. of respondents
Police National Computer\t93
Niche records system\t63

#### Table 2. Places where orders and notices are recorded
"""

PROVENANCE = {"writer": "tests/test_answer_block.py", "date": "2026-11-29"}
QUESTIONS = {
    "gamma-notes": [
        ("Training on CSE was offered in most forces", [("frontline", "do we get any training on CSE"),
                                                         ("keywords", "cse training"),
                                                         ("trainer", "how often is CSE training given")]),
        ("officers shared intelligence with social care and health partners on the same day",
         [("frontline", "who do we share CSE intel with"), ("trainer", "how fast is intelligence shared")]),
        ("We just get on with it, nobody tells us what works",
         [("frontline", "does anyone tell officers what works"), ("trainer", "quote about nobody saying what works")]),
        ("Police National Computer", [("frontline", "where are orders recorded")]),
    ],
    "alpha-review": [
        ("A CAWN is an official notice served by police", [("frontline", "what is a CAWN for"),
                                                            ("blunt", "cawn meaning")]),
        ("Image hashing lets platforms find and remove known images", [("frontline", "can hashing find new images")]),
    ],
}


@pytest.fixture(scope="module")
def gamma(tmp_path_factory) -> Retriever:
    """A Retriever over the fixture corpus plus a report with undefined acronyms, survey quotes, a
    table and passage questions (fake embedder)."""
    root = tmp_path_factory.mktemp("gamma")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "gamma-notes.md").write_text(GAMMA, encoding="utf-8")
    for doc_id, entries in QUESTIONS.items():
        lines = [json.dumps({"anchor": anchor, "questions": [{"style": s, "text": t} for s, t in qs],
                             "provenance": PROVENANCE}) for anchor, qs in entries]
        (corpus / f"{doc_id}.questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = fake_settings(corpus, root / "index")
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return Retriever.open(settings, embedder=embedder)


@pytest.fixture
def client(gamma: Retriever) -> TestClient:
    return client_for(gamma.settings, gamma)


def visible(html: str) -> str:
    """The text of an HTML fragment, tags removed and entities read."""
    return unescape(re.sub(r"<[^>]+>", "", html))


# --- quotation marks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["“We just wing it.” (FL)", '"We just get on with it." (SL)', "“It works.”"])
def test_a_sentence_with_its_own_marks_is_shown_as_is(text: str) -> None:
    assert balanced_quote(text) == text
    shown = visible(str(answer_line(AnswerSentence(text, 1))))
    assert shown == text  # no “"…"”, no extra marks
    assert not re.search(r"[“\"][“\"]|[”\"][”\"]", shown)


def test_a_plain_sentence_gets_one_pair_of_marks() -> None:
    assert balanced_quote("Training was rare.") == "“Training was rare.”"


@pytest.mark.parametrize("text", ["“We wing it and nobody checks", 'one said: “we do it anyway', '"Nobody tells us'])
def test_an_unbalanced_opening_mark_is_closed(text: str) -> None:
    shown = balanced_quote(text)
    assert shown.count("“") == shown.count("”") and shown.count('"') % 2 == 0
    assert not shown.endswith("””")


@pytest.mark.parametrize("text, expected", [
    ("“Relentless disruption” was the aim of the work.", "“‘Relentless disruption’ was the aim of the work.”"),
    ('"Relentless disruption" was the aim.', "“‘Relentless disruption’ was the aim.”"),
    ("“Wing it” is what we do (FL)", "“‘Wing it’ is what we do” (FL)"),
])
def test_a_sentence_that_only_starts_with_a_quotation_gets_outer_marks(text: str, expected: str) -> None:
    # its opening mark closes before the end: the marks are not the sentence's own
    assert balanced_quote(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Officers called it “everyone’s job”.", "“Officers called it ‘everyone’s job’.”"),
    ('Officers called it "everyone\'s job".', "“Officers called it ‘everyone\'s job’.”"),
])
def test_a_quotation_inside_a_sentence_is_nested_in_single_marks(text: str, expected: str) -> None:
    shown = balanced_quote(text)
    assert shown == expected
    assert re.sub(r"[“”‘’\"]", "", shown) == re.sub(r"[“”‘’\"]", "", text)  # the report's words, unchanged
    assert shown.count("“") == 1 and shown.count("”") == 1  # no “…“…”…” of one style


@pytest.mark.parametrize("text", ["“It works”.", "“He said “go” to me.”", "“We did it, all of it” (DG)"])
def test_a_quotation_closing_at_the_end_is_the_sentences_own(text: str) -> None:
    assert balanced_quote(text) == text


def test_a_stray_closing_mark_gets_its_opening() -> None:
    shown = balanced_quote("and that was the end of it.” (FL)")
    assert shown == "“and that was the end of it.” (FL)"


def test_speaker_codes_get_their_meaning() -> None:
    html = str(answer_line(AnswerSentence("“We just wing it.” (FL)", 1)))
    assert '<abbr class="speaker" title="frontline officer or staff member">FL</abbr>' in html


def test_report_text_is_escaped_in_answer_lines() -> None:
    html = str(answer_line(AnswerSentence("<script>x</script> (SL)", 1)))
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- table rows and captions -----------------------------------------------------------------------------
ROW = Passage("t-1", "d", "table_row", ("3. Orders",), 0, 0,
              "Table 8. Locations where orders and notices are recorded — Recording location: Niche (police records "
              "management system); No. of respondents: 63")


def test_a_table_row_is_a_small_table_never_a_quote() -> None:
    line = table_line(ROW, 0, len(ROW.text))
    assert line is not None
    assert line.caption == "Table 8. Locations where orders and notices are recorded"
    assert line.header == ("Recording location", "No. of respondents")
    assert line.cells == ("Niche (police records management system)", "63")
    html = str(answer_line(AnswerSentence(ROW.text, 1, "table_row", line.caption, line.header, line.cells)))
    assert "<table" in html and "<caption>Table 8." in html and '<th scope="col">No. of respondents</th>' in html
    assert '<td data-label="No. of respondents"><mark class="evidence">63</mark></td>' in html
    assert "“" not in html and "”" not in html


def test_a_table_of_three_named_columns_stacks_on_a_phone_with_its_column_names() -> None:
    from web.render import table_card

    three = "Table 1. Measures\nMeasure\tType\tDescription\nCAWN\tDirect\tA notice served by police"
    html = str(table_card(three, []))
    assert 'class="card-table stack"' in html
    assert '<td data-label="Type">Direct</td>' in html and '<td data-label="Description">' in html
    two = "Table 2. Places\nRecording location\tNo. of respondents\nNiche\t63"
    assert "stack" not in str(table_card(two, []))  # two columns fit a phone as a table


def test_a_line_of_a_table_passage_carries_its_caption_and_header() -> None:
    text = "Table 2. Places\nRecording location\tNo. of respondents\nPolice National Computer\t93\nNiche\t63"
    table = Passage("t-2", "d", "table", ("3",), 0, len(text), text)
    start = text.index("Niche")
    line = table_line(table, start, len(text))
    assert line is not None and line.caption == "Table 2. Places" and line.cells == ("Niche", "63")
    assert line.header == ("Recording location", "No. of respondents")


@pytest.mark.parametrize("text,expected", [
    ("Table 9. Agencies with which strategic leads work on disruption", True),
    ("Figure 2: Points of attrition", True),
    ("Table 9 shows that most strategic leads worked with social care and health services, and many with "
     "licensing teams, housing providers, schools and the voluntary sector in their area.", False),
    ("Officers said training on disruption was rare.", False),
])
def test_captions_are_recognised(text: str, expected: bool) -> None:
    assert is_caption(text) is expected


def _evidence(passages: list[Passage], scores: dict[str, list[tuple[int, int, float]]]) -> Evidence:
    hits = [Hit(p, "A report", 1.0 - k / 10, rank=k + 1) for k, p in enumerate(passages)]
    sentences = {pid: [ScoredSentence(0, a, b, cos, 0.0, 0.3) for a, b, cos in spans] for pid, spans in scores.items()}
    return Evidence("which agencies do strategic leads work with", hits, sentences)


def test_a_caption_alone_is_not_an_answer() -> None:
    text = "Table 9. Agencies with which strategic leads work on disruption"
    caption = Passage("c-1", "d", "text", ("4. Agencies",), 0, len(text), text)
    answer = COMPOSER.compose(_evidence([caption], {"c-1": [(0, len(text), 0.9)]}),
                                          Decision("answer", 0.9))
    assert answer.outcome == "closest" and not answer.sentences
    assert [c.passage.passage_id for c in answer.citations] == ["c-1"]  # the passage to read, cited


def test_a_caption_falls_back_to_the_next_sentence() -> None:
    caption = "Table 9. Agencies with which strategic leads work on disruption"
    body = "Most strategic leads worked with social care, health services and licensing teams."
    text = caption + "\n" + body
    passage = Passage("c-2", "d", "text", ("4. Agencies",), 0, len(text), text)
    answer = COMPOSER.compose(
        _evidence([passage], {"c-2": [(0, len(caption), 0.95), (len(caption) + 1, len(text), 0.9)]}),
        Decision("answer", 0.9))
    assert answer.outcome == "answer" and [s.text for s in answer.sentences] == [body]


def test_composer_and_api_type_a_table_row() -> None:
    answer = COMPOSER.compose(_evidence([ROW], {"t-1": [(0, len(ROW.text), 0.9)]}),
                                          Decision("answer", 0.9))
    [line] = answer.sentences
    assert line.kind == "table_row" and line.cells[-1] == "63" and line.caption.startswith("Table 8.")
    [wire] = ask_response(answer).model_dump()["sentences"]
    assert wire["kind"] == "table_row" and wire["header"] == ["Recording location", "No. of respondents"]
    assert wire["text"] == ROW.text and wire["citation"] == 1


# --- off-topic and stop-word questions ---------------------------------------------------------------------
def test_off_topic_needs_unknown_words_and_low_similarity(gamma: Retriever) -> None:
    config = gamma.settings.decision
    analysis = gamma.analyse("a cake for the police")  # half its words are known: the share veto is silent
    far = Signals(top_dense=config.off_topic_similarity - 0.1, top_question=0.0, top_best_sentence=0.1)
    near = Signals(top_dense=config.off_topic_similarity + 0.1)
    [reason] = off_topic(analysis, far, gamma.decision.stats, config)
    assert reason.startswith("The reports never mention ") and "“cake”" in reason
    assert off_topic(analysis, near, gamma.decision.stats, config) == []
    on_topic = gamma.analyse("training on disruption")  # every word is in the reports
    assert off_topic(on_topic, far, gamma.decision.stats, config) == []
    decided = gamma.decision.decide(analysis, far, gamma.decision.check(analysis, []), True)
    assert decided.outcome == "not_covered" and decided.reasons == (reason,)


def test_the_threshold_is_a_setting(gamma: Retriever) -> None:
    config = gamma.settings.decision.model_copy(update={"off_topic_similarity": 0.0})
    analysis = gamma.analyse("how do I make a cake")
    assert off_topic(analysis, Signals(top_dense=0.2), gamma.decision.stats, config) == []


@pytest.mark.parametrize("q", ["the", "what is it", "and the of"])
def test_stop_words_only_are_not_covered_with_a_reason(client, q: str) -> None:
    body = client.get("/api/ask", params={"q": q}).json()
    assert body["outcome"] == "not_covered" and body["reasons"] == ["The question has no words to look up."]


def test_closest_still_returns_passages_and_citations(gamma: Retriever, client) -> None:
    # the fitted model is absent here (no weights), so force 'closest' through the composer
    hits, evidence = gamma.retrieve("training on disruption", 5)
    answer = gamma.composer.compose(evidence, Decision("closest", 0.2))
    wire = ask_response(answer).model_dump()
    assert wire["outcome"] == "closest" and wire["passages"] and wire["citations"]
    assert wire["citations"][0]["passage_id"] == wire["passages"][0]["passage_id"]



def test_the_api_returns_passages_and_citations_under_closest(gamma: Retriever, client, monkeypatch) -> None:
    # the decision is forced, so /api/ask is certainly 'closest' whatever the fake index scores
    monkeypatch.setattr(gamma.decision, "decide", lambda *args, **kwargs: Decision("closest", 0.2))
    body = client.get("/api/ask", params={"q": "training on disruption"}).json()
    assert body["outcome"] == "closest" and not body["sentences"]
    assert body["passages"] and body["citations"]
    assert body["citations"][0]["passage_id"] == body["passages"][0]["passage_id"]


@pytest.mark.model
@pytest.mark.parametrize("q", ["how do I make a cake", "best pizza in town", "what's the weather tomorrow"])
def test_off_topic_questions_are_not_covered(real_retriever, q: str) -> None:
    answer = real_retriever.ask(q)
    assert answer.outcome == "not_covered"
    assert answer.reasons and answer.reasons[0].startswith("The reports never mention")


@pytest.mark.model
@pytest.mark.parametrize("q", ["bloke keeps hanging round the kids home",
                               "same car outside school at home time, can we flag it",
                               "can we stop him messaging her on snapchat"])
def test_frontline_wording_is_not_taken_for_off_topic(real_retriever, q: str) -> None:
    hits, evidence = real_retriever.retrieve(q, 5)
    assert off_topic(evidence.analysis, evidence.signals, real_retriever.decision.stats,
                     real_retriever.settings.decision) == []
    assert real_retriever.ask(q).outcome != "not_covered"


# --- suggested questions ------------------------------------------------------------------------------------
def _links(html: str, testid: str) -> list[tuple[str, str]]:
    block = html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', block)


def test_suggested_questions_come_from_the_top_hits_and_run(client, gamma: Retriever) -> None:
    page = client.get("/", params={"q": "training on CSE in forces"})
    links = _links(page.text, "related-questions")
    assert 1 <= len(links) <= gamma.settings.suggested_questions
    hits = gamma.search("training on CSE in forces", k=3)
    stored = {q.text for h in hits for q in gamma.question_book.of(h.passage.passage_id)}
    for url, text in links:
        assert text in stored and "cse training" != text  # questions, not keyword strings
        assert parse_qs(urlsplit(url.replace("&amp;", "&")).query)["q"] == [text]
    url = links[0][0].replace("&amp;", "&")
    followed = client.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert followed.status_code == 200 and 'data-testid="answer"' in followed.text
    assert f'value="{links[0][1]}"' in followed.text


def test_no_suggestion_repeats_the_query(gamma: Retriever) -> None:
    hits = gamma.search("do we get any training on CSE", k=3)
    assert any(q.text == "do we get any training on CSE" for h in hits for q in gamma.question_book.of(
        h.passage.passage_id))
    related = gamma.related_questions(hits, "Do we get any training on CSE?", 3)
    assert related and all(q.text != "do we get any training on CSE" for q in related)


def test_home_suggestions_are_from_different_sections_and_stable(client, gamma: Retriever) -> None:
    first = _links(client.get("/").text, "home-suggestions")
    assert first == _links(client.get("/").text, "home-suggestions")  # deterministic
    assert 2 <= len(first) <= gamma.settings.home_suggestions
    samples = gamma.sample_questions(gamma.settings.home_suggestions)
    assert [q.text for q in samples] == [text for _, text in first]
    sections = [(gamma.passage(q.passage_id).doc_id, gamma.passage(q.passage_id).section[0]) for q in samples]
    assert len(set(sections)) == len(sections)
    url = first[0][0].replace("&amp;", "&")
    assert client.get(urlsplit(url).path + "?" + urlsplit(url).query).status_code == 200


# --- more passages, collapsed cards -----------------------------------------------------------------------
def _card_ids(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*" id="card-([^"]+)"', html)


def _passage_ids(html: str) -> set[str]:
    """Every passage a page's cards hold (a collapsed card names the passages merged into it)."""
    return set(_card_ids(html)) | set(re.findall(r'<span class="anchor" id="card-([^"]+)"', html))


def test_more_passages_link_gives_the_next_results(client, gamma: Retriever) -> None:
    query = "police officers disruption orders training"
    first = client.get("/", params={"q": query}).text
    match = re.search(r'<a href="([^"]+)" data-testid="more-passages">', first)
    assert match, "a query with many matching passages offers more"
    url = match.group(1).replace("&amp;", "&")
    offset = int(parse_qs(urlsplit(url).query)["offset"][0])
    second = client.get(urlsplit(url).path + "?" + urlsplit(url).query).text
    ranked = [h.passage.passage_id for h in gamma.ask(query, k=offset + gamma.settings.more_results_page).hits]
    shown = _passage_ids(second)
    assert ranked[offset] in shown
    assert shown <= set(ranked[offset:offset + gamma.settings.more_results_page])
    assert _passage_ids(first) <= set(ranked[:offset])
    assert "Back to the first passages" in second


@pytest.mark.parametrize("bad", ["-1", "abc", "1e3", "100000", "²", "٣", "1²", "１", "9999999999999999"])
def test_a_bad_offset_is_a_clear_error(client, bad: str) -> None:
    # '²'.isdigit() and '٣'.isdigit() are True, but only ASCII digits are an offset
    page = client.get("/", params={"q": "training", "offset": bad})
    assert page.status_code == 400 and "“offset” must be a whole number from 0 to" in page.text


def test_adjacent_passages_of_a_section_collapse(gamma: Retriever) -> None:
    background = [p for p in gamma.passages if p.doc_id == "gamma-notes" and p.section == ("1. Background",)]
    other = next(p for p in gamma.passages if p.doc_id == "alpha-review" and p.kind == "text")
    assert len(background) >= 3
    a, b, c = background[:3]
    hits = [Hit(b, "Gamma", 0.9, 1, [(0, 10)]), Hit(other, "Alpha", 0.8, 2), Hit(a, "Gamma", 0.7, 3, [(0, 5)])]
    docs = {k: d.text for k, d in gamma.documents.items()}
    groups = collapse_adjacent(hits, gamma.passages, gamma.passage_positions, docs)
    assert [g.passage_ids for g in groups] == [[b.passage_id, a.passage_id], [other.passage_id]]
    merged = groups[0].hit.passage
    assert merged.text == docs["gamma-notes"][a.start:b.end] and merged.passage_id == a.passage_id
    assert groups[0].best == b and groups[1].best is None  # the hit that ranked, for judging and opening
    shift = b.start - a.start
    assert (0, 5) in groups[0].hit.highlights and (shift, shift + 10) in groups[0].hit.highlights
    assert groups[0].section_url.endswith(f"#p-{a.passage_id}") and groups[1].section_url is None
    # a passage of the same section that does not follow on stays apart
    apart = collapse_adjacent([Hit(a, "G", 1.0), Hit(c, "G", 0.5)], gamma.passages, gamma.passage_positions, docs)
    assert len(apart) == 2


MERGING_QUERY = "CSE teams partners intelligence hotspots children social care"  # ranks all three
# '1. Background' passages of gamma-notes in its top six on the fake index, the middle one first


def _merged_background(gamma: Retriever) -> tuple[list[str], str]:
    """The passage ids of gamma-notes' '1. Background' in reading order, and the best-ranked of them
    for MERGING_QUERY (checked, so the tests below cannot pass without a merge)."""
    background = [p.passage_id for p in gamma.passages
                  if p.doc_id == "gamma-notes" and p.section == ("1. Background",)]
    ranked = [h.passage.passage_id for h in gamma.ask(MERGING_QUERY, k=7).hits[:6]]
    among = [pid for pid in ranked if pid in background]
    assert len(among) >= 2, "the query must rank neighbouring background passages"
    return background, among[0]


def test_a_collapsed_card_links_to_its_whole_section(client, gamma: Retriever) -> None:
    background, _ = _merged_background(gamma)
    page = client.get("/", params={"q": MERGING_QUERY}).text
    links = re.findall(r'class="whole-section" href="([^"]+)"', page)
    assert links, "two neighbouring passages of one section are merged into one card"
    assert links[0].endswith(f"#p-{background[0]}")  # the reader at the section's start
    assert client.get(links[0].replace("&amp;", "&").split("#")[0]).status_code == 200
    shown = _card_ids(page)
    assert len(shown) == len(set(shown))


def test_a_merged_card_is_judged_and_opened_as_the_passage_that_ranked(gamma: Retriever, tmp_path) -> None:
    from conftest import evaluator_settings

    background, best = _merged_background(gamma)
    assert best != background[0]  # else the first passage in reading order would pass by chance
    judging = client_for(evaluator_settings(gamma.settings, tmp_path / "j.jsonl", tmp_path), gamma)
    page = judging.get("/", params={"q": MERGING_QUERY}).text
    card = re.search(r'<article class="card merged" id="card-([^"]+)" data-passage="([^"]+)"[^>]*>(.*?)</article>',
                     page, flags=re.S)
    assert card, "the merged card is shown"
    assert card.group(1) == card.group(2) == best
    body = card.group(3)
    assert re.findall(r'class="judge" data-query="[^"]*" data-passage="([^"]+)"', body) == [best]
    opened = re.search(r'<a class="open"[^>]* href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(opened).query)["p"] == [best] and opened.endswith(f"#p-{best}")
    anchors = re.findall(r'<span class="anchor" id="card-([^"]+)"', body)
    assert background[0] in anchors and best not in anchors  # the other passages keep their anchors


# --- glossary ----------------------------------------------------------------------------------------------------
def test_glossary_has_every_acronym_used_three_times_with_its_expansion(client, gamma: Retriever) -> None:
    page = client.get("/glossary").text
    entries = dict(re.findall(r'data-acronym="([^"]+)">.*?<dd>(.*?)</dd>', page, flags=re.S))
    assert "child sexual exploitation" in entries["CSE"]  # used, never defined in brackets
    assert "(spelled out)" in entries["CSE"]
    assert "frontline officer" in entries["FL"]  # speaker code
    texts = [p.read_text(encoding="utf-8") for p in Path(gamma.settings.corpus_dir).glob("*.*")
             if p.suffix in (".md", ".txt")]
    counts: dict[str, int] = {}
    for text in texts:
        for token in re.findall(r"(?<![\w-])([A-Z]{2,}[a-z]?)(?![\w-])", text):
            token = token[:-1] if token.endswith("s") else token
            counts[token] = counts.get(token, 0) + 1
    frequent = {t for t, n in counts.items() if n >= gamma.settings.glossary_min_uses}
    assert frequent and frequent <= set(entries), frequent - set(entries)


def test_about_page_explains_the_speaker_codes(client) -> None:
    page = client.get("/about").text
    for code, meaning in (("FL", "frontline"), ("SL", "strategic lead"), ("DG", "discussion group")):
        assert f"<dt>({code})</dt>" in page and meaning in page


def test_answer_and_cards_explain_speaker_codes(client) -> None:
    page = client.get("/", params={"q": "nobody tells us what works"}).text
    tooltip = '<abbr class="speaker" title="frontline officer or staff member">FL</abbr>'
    answer = page.split('data-testid="answer"', 1)[1].split("</section>", 1)[0]
    assert 'data-outcome="answer"' in answer and 'class="answer-sentences"' in answer
    assert tooltip in answer  # the answer's quoted sentence, "… what works." (FL)
    cards = re.findall(r'<article class="card[^"]*".*?</article>', page, flags=re.S)
    assert any(tooltip in card for card in cards)  # and the card of the passage it quotes


def test_speaker_codes_are_explained_in_text_never_inside_an_attribute() -> None:
    # a table whose header holds a speaker code (../shared/hostile/speaker-table.md; issue 22, D14)
    table = row_table("Table 1. Views by role of respondent", ("Respondent (FL)", "View (SL)"),
                      ("Officer (FL)", "Good view"))
    html = str(with_speaker_codes(table))
    assert '<td data-label="Respondent (FL)">' in html and '<td data-label="View (SL)">' in html  # intact
    assert html.count('<abbr class="speaker"') == 3  # two header cells and one body cell, all in text
    assert re.search(r'<th scope="col">Respondent \(<abbr class="speaker" title="[^"]+">FL</abbr>\)</th>', html)
    assert "Officer (<abbr" in html
    assert str(with_speaker_codes(Markup("said so (DG)."))).startswith('said so (<abbr class="speaker" title="')
