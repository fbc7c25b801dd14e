"""The answer decision on its own: its signals, its three outcomes and the rules around the fitted model."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from stage_fixtures import TEXTS, analyser, features, passage

from reportqa.settings import DecisionConfig
from retriever.analysis import CorpusStats
from retriever.decision import (
    DEFAULT_ABSTAIN,
    AbstainModel,
    AnswerDecision,
    absence,
    missing_specific,
    off_topic,
    term_weights,
    unknown_words,
)
from retriever.highlight import ScoredSentence
from retriever.results import Hit
from retriever.schema import LinearModel, Signals


def decision_for(threshold: float = 0.5, **config) -> AnswerDecision:
    return AnswerDecision(AbstainModel(LinearModel(("top_answer",), (10.0,), -5.0), threshold), CorpusStats.of(TEXTS),
                          DecisionConfig(**config), source_hits=3)


def decide(question: str, threshold: float = 0.5, **config):
    text = "Officers in Rotherham said 40 CAWNs were issued in one year."
    hit = Hit(passage("p", text), "Doc", 2.0, 1)
    sentences = {"p": [ScoredSentence(0, 0, len(text), 0.8, 1.0, 0.3, answer=0.9)]}
    analysis = analyser().analyse(question)
    decision = decision_for(threshold, **config)
    check = decision.check(analysis, [hit])
    signals = decision.signals(analysis, [hit], sentences, {"p": features(dense=0.7, coverage=0.8,
                                                                          question_dense=0.6)}, check)
    return signals, decision.decide(analysis, signals, check, has_hits=True)


def test_decision_signals() -> None:
    signals, _ = decide("how many CAWNs were issued in Kent")
    assert signals.top_dense == 0.7 and signals.top_best_sentence == 0.8 and signals.top_answer == 0.9
    assert signals.top_question == 0.6 and signals.missing_names == 1.0  # Kent


def test_decision_is_three_way() -> None:
    # a name the reports never use: evidence of absence
    _, verdict = decide("how many CAWNs were issued in Kent")
    assert verdict.outcome == "not_covered" and verdict.reasons == ("The reports never mention “Kent”.",)
    # a name the reports use, but not the closest passage: uncertain, so only the closest passages
    _, verdict = decide("how many CAWNs did Barnardo's issue")
    assert verdict.outcome == "closest" and verdict.reasons == ("The closest passages never mention “Barnardo”.",)
    # the evidence is there
    assert decide("how many CAWNs were issued")[1].outcome == "answer"
    # ... unless the model is not confident enough: closest, never not_covered
    assert decide("how many CAWNs were issued", threshold=0.9999)[1].outcome == "closest"
    # a year the reports never mention, or 'last year'
    assert decide("how many CAWNs were issued in 2031")[1].outcome == "not_covered"
    assert decide("how many CAWNs were issued last year")[1].outcome == "not_covered"
    # nothing to look up
    assert decide("what is it?")[1].outcome == "not_covered"


def test_no_hits_has_the_declared_defaults() -> None:
    assert Signals().missing_names == 1.0 and Signals().top_score == -5.0
    assert DEFAULT_ABSTAIN.probability(Signals()) < DEFAULT_ABSTAIN.threshold


STRONG = Signals(top_answer=1.0, top_dense=0.8, top_best_sentence=0.8, missing_names=0.0, year_match=1.0,
                 count_met=1.0)
UNMET = {"a name": {"missing_names": 1.0}, "a year": {"year_match": 0.0}, "a count": {"count_met": 0.0}}


@pytest.mark.parametrize("unmet", sorted(UNMET))
@pytest.mark.parametrize("veto", [True, False])
def test_the_veto_on_unmet_constraints_is_a_setting(veto: bool, unmet: str) -> None:
    """The rule lives in ``decide`` and reads ``DecisionConfig.veto_unmet``: each unmet constraint
    (name, year, count) alone turns a confident answer into ``closest`` while the veto is on."""
    analysis = analyser().analyse("how many CAWNs were issued")
    decision = decision_for(veto_unmet=veto)
    assert decision.decide(analysis, STRONG, decision.check(analysis, []), True).outcome == "answer"
    verdict = decision.decide(analysis, replace(STRONG, **UNMET[unmet]), decision.check(analysis, []), True)
    assert verdict.outcome == ("closest" if veto else "answer")


def test_max_oov_is_a_setting() -> None:
    """Most of the query's words unknown to the reports: not covered, at the configured share."""
    analysis = analyser().analyse("hostels like CAWN")  # English words the reports never use: not names
    assert analysis.oov == 0.5
    strict, lenient = decision_for(max_oov=0.4), decision_for(max_oov=0.6)
    assert strict.decide(analysis, STRONG, strict.check(analysis, []), True).outcome == "not_covered"
    assert lenient.decide(analysis, STRONG, lenient.check(analysis, []), True).outcome != "not_covered"


def test_a_low_probability_gives_closest_never_not_covered() -> None:
    analysis = analyser().analyse("how many CAWNs were issued")
    weak = replace(STRONG, top_answer=0.0)
    decision = decision_for()
    assert decision.decide(analysis, weak, decision.check(analysis, []), True).outcome == "closest"


def test_a_reason_names_the_word_the_user_typed_not_its_correction() -> None:
    analysis = analyser().analyse("hagning hostels")
    assert analysis.corrections == {"hagning": "hanging"}, "a typo of an English word the reports never use"
    decision = decision_for()
    verdict = decision.decide(analysis, STRONG, decision.check(analysis, []), True)
    assert verdict.outcome == "not_covered"
    assert verdict.reasons == ("The reports never mention “hagning” or “hostels”.",)


# --- each signal, from hand-built hits and sentences ---------------------------------------------------------
STATS = CorpusStats.of(TEXTS)
SPECIFIC = STATS.idf["hotel"]  # "hotels", "abduction" and "sexual" are all exactly this specific here


def sentence(pid_text: str, text: str, cosine: float, answer: float) -> ScoredSentence:
    start = pid_text.index(text)
    return ScoredSentence(0, start, start + len(text), cosine, 0.0, 0.3, answer=answer)


P1 = "Hotels were visited. Nothing else here."
P2 = "Sexual exploitation was found."
P3 = "Abduction everywhere."
RANKED = [Hit(passage("p1", P1), "Doc", 2.0, 1), Hit(passage("p2", P2), "Doc", 1.5, 2),
          Hit(passage("p3", P3), "Doc", 1.4, 3)]
SCORED = {"p1": [sentence(P1, "Hotels were visited.", 0.3, 0.9), sentence(P1, "Nothing else here.", 0.7, 0.1)],
          "p2": [sentence(P2, P2, 0.5, 0.95)],
          "p3": [sentence(P3, P3, 0.9, 0.99)]}
FEATURES = {"p1": features(dense=0.61, question_dense=0.52, coverage=0.43), "p2": features(), "p3": features()}


def signals_of(query: str, hits: list[Hit], scored: dict[str, list[ScoredSentence]]) -> Signals:
    decision = AnswerDecision(DEFAULT_ABSTAIN, STATS, DecisionConfig(specific_idf=SPECIFIC, signal_sentences=1),
                              source_hits=2)
    analysis = analyser().analyse(query)
    check = decision.check(analysis, hits)
    return decision.signals(analysis, hits, scored, FEATURES, check)


def test_every_signal_from_the_top_hits() -> None:
    """Two source hits: the third hit (and its better sentence) counts for nothing; each hit's best
    sentence (one, by score) is where the specific words are looked for."""
    got = signals_of("hotels abduction sexual", RANKED, SCORED)
    assert (got.top_score, got.margin) == (2.0, pytest.approx(0.5))
    assert (got.top_dense, got.top_question, got.top_coverage) == (0.61, 0.52, 0.43)
    assert got.top_best_sentence == 0.7, "the best cosine of the top passage, whichever sentence has it"
    assert got.top_answer == 0.9, "the best answer probability of the top passage"
    assert got.answer_rank == 0.5, "the best sentence of the two source hits is in the second"
    assert got.answer_gap == pytest.approx(0.95 - 0.9), "minus the best of another hit"
    # "abduction" is only in the third hit: missing; "hotels" in the first's best sentence, "sexual" in the second's
    assert got.missing_specific == 1.0
    assert (got.oov, got.missing_names, got.year_match, got.count_met) == (0.0, 0.0, 1.0, 1.0)


def test_signals_of_a_lone_hit_and_of_no_sentences() -> None:
    lone = signals_of("hotels abduction sexual", RANKED[:1], SCORED)
    assert lone.margin == 1.0, "a lone hit stands one point clear"
    assert signals_of("hotels abduction sexual", RANKED[:2], SCORED).margin == pytest.approx(0.5)
    assert signals_of("hostels like CAWN", RANKED, SCORED).oov == 0.5
    assert (lone.answer_gap, lone.answer_rank, lone.top_answer) == (0.0, 1.0, 0.9)
    bare = signals_of("hotels abduction sexual", RANKED, {})
    assert (bare.top_best_sentence, bare.top_answer, bare.answer_gap, bare.answer_rank) == (0.0, 0.0, 0.0, 0.0)
    assert bare.missing_specific == 3.0
    assert signals_of("hostels like CAWN", [], {}) == Signals(oov=0.5), "no hits: the defaults, and the oov"


def test_term_weights_are_the_idf_of_content_words() -> None:
    weights = term_weights("Where does the report say a CAWN is served, 40 x y times?", STATS)
    assert weights == {"cawn": STATS.idf["cawn"], "serv": STATS.idf["serv"], "40": STATS.idf["40"],
                       "time": STATS.idf_of("time")}, "no stop, framing or one-letter words"


def test_missing_specific_counts_specific_terms_no_text_has() -> None:
    weights = {"hotel": 1.0, "abduction": 2.0, "cawn": 5.0, "sexual": 0.5, "report": 9.0, "pub": 9.0}
    # specific: hotel (exactly at the bar), abduction, cawn; not sexual (below it), report (framing), pub (known)
    assert missing_specific(weights, ["Abduction of a child.", "Nothing."], {"pub"}, 1.0) == 2.0
    assert missing_specific(weights, ["Hotels, CAWNs and abduction."], {"pub"}, 1.0) == 0.0


def test_unknown_words_leave_out_known_translated_and_stop_words() -> None:
    def unknown(query: str) -> list[str]:
        return unknown_words(analyser().analyse(query), STATS)

    assert unknown("the cake is baked in Rotherham") == ["cake", "baked"]
    assert unknown("pub cake") == ["cake"], "an everyday word the table translates is not unknown"
    assert unknown("is a CAWN served at the pub") == []


OFF = Signals(top_dense=0.1, top_question=0.2, top_best_sentence=0.15)


def test_off_topic_needs_unknown_words_and_nothing_close_in_meaning() -> None:
    config = DecisionConfig()
    cake = analyser().analyse("how do I bake a cake")
    assert off_topic(cake, OFF, STATS, config) == ["The reports never mention “bake” or “cake”."]
    assert off_topic(analyser().analyse("is a CAWN served at the pub"), OFF, STATS, config) == []
    for close in ("top_dense", "top_question", "top_best_sentence"):
        near = replace(OFF, **{close: config.off_topic_similarity})
        assert off_topic(cake, near, STATS, config) == [], f"{close} at the bar is close enough"
    # words only framing a question carry no weight: all the weight there is, is unknown
    assert off_topic(analyser().analyse("quotes"), OFF, STATS, config) == ["The reports never mention “quotes”."]


def test_off_topic_needs_the_unknown_words_to_carry_their_share() -> None:
    question = analyser().analyse("the cake is baked in Rotherham")
    unknown = 2 * STATS.idf_of("cake")
    share = unknown / (unknown + STATS.idf["rotherham"])
    assert off_topic(question, OFF, STATS, DecisionConfig(off_topic_unknown_share=share)) != [], "at the bar"
    assert off_topic(question, OFF, STATS, DecisionConfig(off_topic_unknown_share=share + 0.01)) == []


def test_an_off_topic_question_is_not_covered() -> None:
    decision = decision_for(max_oov=1.0)  # past the share of unknown words: the off-topic rule decides
    cake = analyser().analyse("how do I bake a cake")
    verdict = decision.decide(cake, replace(STRONG, top_dense=0.1, top_best_sentence=0.1), decision.check(cake, []),
                              True)
    assert (verdict.outcome, verdict.reasons) == ("not_covered", ("The reports never mention “bake” or “cake”.",))


@pytest.mark.parametrize("question, reasons", [
    ("what is it?", ("The question has no words to look up.",)),
    ("how many CAWNs were issued in 2031", ("The reports never mention “2031”.",)),
    ("how many CAWNs were issued last year", ("The reports cannot say what happened “last year”.",)),
    ("can we shut a pub hostel", ("The reports never mention “shut” or “hostel”.",)),
])
def test_each_reason_for_not_covered(question: str, reasons: tuple[str, ...]) -> None:
    decision = decision_for()
    analysis = analyser().analyse(question)
    verdict = decision.decide(analysis, STRONG, decision.check(analysis, []), True)
    assert (verdict.outcome, verdict.reasons) == ("not_covered", reasons)


def test_the_decision_carries_the_models_confidence_and_answers_at_the_threshold() -> None:
    even = AnswerDecision(AbstainModel(LinearModel(("top_answer",), (0.0,), 0.0), 0.5), STATS, DecisionConfig(), 3)
    analysis = analyser().analyse("how many CAWNs were issued")
    verdict = even.decide(analysis, STRONG, even.check(analysis, []), True)
    assert (verdict.outcome, verdict.confidence) == ("answer", 0.5), "p = threshold: answer"
    decision = decision_for()
    for signals in (STRONG, replace(STRONG, top_answer=0.0), replace(STRONG, year_match=0.0)):
        verdict = decision.decide(analysis, signals, decision.check(analysis, []), True)
        assert verdict.confidence == decision.model.probability(signals)
    gone = decision.decide(analyser().analyse("what is it?"), STRONG, decision.check(analysis, []), True)
    assert gone.confidence == decision.model.probability(STRONG)


def test_without_an_analysis_only_the_model_and_the_hits_decide() -> None:
    decision = decision_for()
    check = decision.check(analyser().analyse("how many CAWNs were issued"), [])
    assert decision.decide(None, STRONG, check, True).outcome == "answer"
    nothing = decision.decide(None, STRONG, check, False)
    assert (nothing.outcome, nothing.reasons) == ("not_covered", ("Nothing in the reports matches these words.",))


def test_the_probability_is_the_logistic_of_the_score_clamped_at_50() -> None:
    def p(bias: float) -> float:
        return AbstainModel(LinearModel(("top_answer",), (2.0,), bias), 0.5).probability(Signals(top_answer=1.0))

    assert p(-2.0) == 0.5 and p(-1.0) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert p(-62.0) == 1.0 / (1.0 + math.exp(50.0)), "a very low score is clamped, not overflowed"


def test_the_reasons_when_the_unknown_words_cannot_be_named() -> None:
    """Fallbacks of ``absence``: too many unknown words, none of which can be shown; a name the
    reports never use, shown as analysed when the typed form is not recorded."""
    known = analyser().analyse("were CAWNs issued in Rotherham")
    assert unknown_words(known, STATS) == []
    assert absence(replace(known, oov=0.9), STATS, 0.5) == \
        ["The reports do not use most of the words of this question."]
    kent = analyser().analyse("how many CAWNs were issued in Kent")
    untyped = replace(kent, constraints=replace(kent.constraints, typed={}))
    assert absence(untyped, STATS, 0.5) == ["The reports never mention “kent”."]
