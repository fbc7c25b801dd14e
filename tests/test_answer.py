"""The extractive composer: which verbatim sentences of the top hits make the answer."""

from __future__ import annotations

import pytest
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




CLOSEST = Decision("closest", 0.2)
SUMMARY = ("Executive summary",)


def _hit(pid: str, text: str, section: tuple[str, ...], rank: int) -> Hit:
    return Hit(Passage(pid, "doc", "text", section, rank * 1000, rank * 1000 + len(text), text), "Doc", 1.0 - rank / 10,
               rank)


def _scored(idx: int, text: str, answers: list[float]) -> list[ScoredSentence]:
    spans = sentence_spans(text)
    return [ScoredSentence(idx, s, e, 0.5, 0.5, 0.3, answer=a) for (s, e), a in zip(spans, answers)]


def test_the_same_statement_in_the_summary_and_the_body_is_quoted_once_and_cited_twice() -> None:
    said = "Officers found warning notices useful in deterring suspects from contact with a child."
    summary = f"{said} Training was uneven across forces."
    body = f"Frontline personnel gave examples. {said}"
    hits = [_hit("s", summary, SUMMARY, 1), _hit("b", body, ("6. Findings",), 2)]
    evidence = Evidence("do warning notices deter", hits,
                        {"s": _scored(0, summary, [0.9, 0.1]), "b": _scored(1, body, [0.2, 0.88])})
    answer = COMPOSER.compose(evidence, ANSWER)
    assert [s.text for s in answer.sentences] == [said], "quoted once"
    [line] = answer.sentences
    assert (line.citation, line.also_cited) == (1, (2,)), "cited at both places"
    assert {c.n: c.passage.passage_id for c in answer.citations} == {1: "s", 2: "b"}
    assert answer.text.endswith("[1, 2]")


def test_closest_leads_with_the_best_sentence_cited_and_not_as_an_answer() -> None:
    first = "Orders were rarely used. Their use varied by force."
    second = "Hotel staff can be asked for guest details. The notice lasts for six months."
    hits = [_hit("a", first, ("5. Orders",), 1), _hit("b", second, ("4. Hotels",), 2)]
    evidence = Evidence("how long does a hotel notice last", hits,
                        {"a": _scored(0, first, [0.3, 0.2]), "b": _scored(1, second, [0.4, 0.7])})
    answer = COMPOSER.compose(evidence, CLOSEST)
    assert answer.outcome == "closest" and answer.sentences == []
    assert answer.lead is not None and answer.lead.text == "The notice lasts for six months."
    cited = {c.n: c.passage for c in answer.citations}
    assert cited[answer.lead.citation].passage_id == "b", "the lead's number points at its passage"
    assert cited[answer.lead.citation].text[answer.lead.start:answer.lead.end] == answer.lead.text
    assert COMPOSER.compose(evidence, Decision("not_covered", 0.1, ("The reports never mention it.",))).lead is None


def test_every_answer_and_lead_line_is_verbatim_where_it_says_it_is() -> None:
    spans = sentence_spans(LIST_PASSAGE)
    passage = Passage("p1", "doc", "text", ("7. Findings",), 0, len(LIST_PASSAGE), LIST_PASSAGE)
    for k in range(len(spans)):
        scored = [ScoredSentence(0, s, e, 0.5, 0.0, 0.3, answer=0.9 if j == k else 0.1)
                  for j, (s, e) in enumerate(spans)]
        evidence = Evidence("anything", [Hit(passage, "Doc", 1.0, 1)], {"p1": scored})
        for decision in (ANSWER, CLOSEST):
            answer = COMPOSER.compose(evidence, decision)
            lines = answer.sentences + ([answer.lead] if answer.lead else [])
            cited = {c.n: c.passage for c in answer.citations}
            for line in lines:
                assert cited[line.citation].text[line.start:line.end] == line.text


SHPO = ("Sexual harm prevention orders can be sought against individuals believed likely to cause sexual harm. "
        "Sexual risk orders are for people who have not been convicted. Both are civil orders.")
MEASURES = {"sexual harm prevention order": "shpo", "sexual risk order": "sro"}


def measures_in(text: str) -> frozenset[str]:
    low = text.lower()
    return frozenset(slug for name, slug in MEASURES.items() if name in low)


@pytest.mark.parametrize(("text", "expected"), [
    (SHPO, "Sexual risk orders are for people who have not been convicted."),  # turns to another measure
    ("Warning notices deter many suspects. However, they carry no penalty for a breach. They are quick.",
     "However, they carry no penalty for a breach."),
    ("Warning notices deter many suspects. Some forces, by contrast, never use them. They are quick.",
     "Some forces, by contrast, never use them."),
])
def test_a_quoted_sentence_keeps_the_next_one_when_it_contrasts(text: str, expected: str) -> None:
    spans = sentence_spans(text)
    passage = Passage("p1", "doc", "text", ("3. Orders",), 0, len(text), text)
    scored = [ScoredSentence(0, s, e, 0.5, 0.0, 0.3, answer=0.9 if k == 0 else 0.1) for k, (s, e) in enumerate(spans)]
    evidence = Evidence("can i get one on someone not convicted", [Hit(passage, "Doc", 1.0, 1)], {"p1": scored})
    composer = ExtractiveComposer(AnswerConfig(), RankingConfig().unit_words, measures_in)
    lines = [s.text for s in composer.compose(evidence, ANSWER).sentences]
    assert lines[0] == text[spans[0][0]:spans[0][1]] and expected in lines, lines
    assert composer.compose(evidence, CLOSEST).lead.text.endswith(expected), "the lead keeps it too"
    assert "They are quick." not in lines and "Both are civil orders." not in lines, "only the contrasting one"


def test_a_sentence_that_goes_on_about_the_same_measure_is_not_added() -> None:
    text = "Warning notices deter many suspects. They are served in person. They are quick."
    spans = sentence_spans(text)
    passage = Passage("p1", "doc", "text", ("3. Orders",), 0, len(text), text)
    scored = [ScoredSentence(0, s, e, 0.5, 0.0, 0.3, answer=0.9 if k == 0 else 0.1) for k, (s, e) in enumerate(spans)]
    evidence = Evidence("do notices deter", [Hit(passage, "Doc", 1.0, 1)], {"p1": scored})
    lines = [s.text for s in ExtractiveComposer(AnswerConfig(), 90, measures_in).compose(evidence, ANSWER).sentences]
    assert lines == ["Warning notices deter many suspects."]
