"""The answer decision on its own: its signals, its three outcomes and the rules around the fitted model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from stage_fixtures import TEXTS, analyser, features, passage

from reportqa.settings import DecisionConfig
from retriever.analysis import CorpusStats
from retriever.decision import DEFAULT_ABSTAIN, AbstainModel, AnswerDecision
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
