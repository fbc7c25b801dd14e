"""The extractive composer: which verbatim sentences of the top hits make the answer."""

from __future__ import annotations

from text_fixtures import LIST_PASSAGE, sentence_spans

from reportqa.records import Passage
from reportqa.settings import AnswerConfig, RankingConfig
from retriever.answer import Evidence, ExtractiveComposer
from retriever.decision import Decision
from retriever.highlight import ScoredSentence
from retriever.results import Hit

COMPOSER = ExtractiveComposer(AnswerConfig(), RankingConfig().unit_words)

ANSWER = Decision("answer", 0.99)  # the decision is tested on its own; these test the composer


def test_answer_shows_a_list_item_with_its_lead_in() -> None:
    spans = sentence_spans(LIST_PASSAGE)
    passage = Passage("p1", "doc", "text", ("7. Findings",), 0, len(LIST_PASSAGE), LIST_PASSAGE)
    item = [LIST_PASSAGE[s:e] for s, e in spans].index("• more support for children")
    scored = [ScoredSentence(0, s, e, 0.9 if k == item else 0.1, 0.0, 0.3) for k, (s, e) in enumerate(spans)]
    evidence = Evidence("support for children", [Hit(passage, "Doc", 1.0, 1)], {"p1": scored})
    answer = COMPOSER.compose(evidence, ANSWER)
    [sentence] = answer.sentences
    assert sentence.text.startswith("Strategic leads wanted") and "• more support for children" in sentence.text
    assert sentence.text in passage.text


def test_answers_skip_reference_lists_and_bare_table_lines() -> None:
    reference = "Home Office (2019) Child Exploitation Disruption Toolkit: Disruption Tactics."
    row = "Abuse by other under-18s\tChild abduction warning notices\tDirect"
    prose = "Officers found warning notices useful in deterring suspects from contact with a child."
    hits, sentences = [], {}
    for n, (section, text) in enumerate([("References", reference), ("Table 6", row), ("6. Findings", prose)]):
        passage = Passage(f"p{n}", "doc", "text", (section,), 0, len(text), text)
        hits.append(Hit(passage, "Doc", 1.0 - n / 10, n + 1))
        sentences[f"p{n}"] = [ScoredSentence(n, 0, len(text), 0.9 - n / 100, 0.0, 0.3)]
    answer = COMPOSER.compose(Evidence("do warning notices deter", hits, sentences), ANSWER)
    assert [s.text for s in answer.sentences] == [prose]
    # with nothing better, they are still used rather than abstaining
    alone = Evidence("do warning notices deter", hits[1:2], {"p1": sentences["p1"]})
    assert [s.text for s in COMPOSER.compose(alone, ANSWER).sentences] == [row]


def test_answers_prefer_sentences_with_the_kind_of_answer_asked_for() -> None:
    text = "Officers valued warning notices highly. In 2019, 120 warning notices were issued."
    passage = Passage("p1", "doc", "text", ("5. Use",), 0, len(text), text)
    scored = [ScoredSentence(0, 0, 39, 0.9, 0.0, 0.3), ScoredSentence(0, 40, len(text), 0.7, 0.0, 0.3)]

    def answer(query: str) -> list[str]:
        evidence = Evidence(query, [Hit(passage, "Doc", 1.0, 1)], {"p1": scored})
        return [s.text for s in COMPOSER.compose(evidence, ANSWER).sentences]

    assert answer("how many warning notices were issued") == [  # the figure joins the answer
        "Officers valued warning notices highly.", "In 2019, 120 warning notices were issued."]
    assert answer("do officers value warning notices") == ["Officers valued warning notices highly."]


