"""The constraints a question pins its answer to (names, years, counts), and the abstentions
they cause, with the reasons shown to the person asking."""

from __future__ import annotations

import pytest

from reportqa.settings import AnalysisConfig, DecisionConfig
from retriever.constraints import (
    Constraints,
    ConstraintSignals,
    NameProfile,
    count_focus,
    count_met,
    missing_names,
    named_terms,
)

CONFIG = AnalysisConfig()
WINDOW = DecisionConfig().count_number_window
FOCUS = CONFIG.count_focus_words

PROFILE = NameProfile.from_texts([
    "Officers in Rotherham and Kent used notices. The Rotherham inquiry was read by the police.",
    "In Kent, a CAWN was served. Police forces used orders; some police chose notices.",
])


def test_names_follow_the_corpus_capitalisation() -> None:
    assert PROFILE.is_name("rotherham") and PROFILE.is_name("kent")
    assert not PROFILE.is_name("police")  # written in lower case mid-sentence
    assert not PROFILE.is_name("officers")  # capitalised only at the start of a sentence


def test_named_terms_in_queries() -> None:
    # a corpus name typed in lower case, an acronym typed in capitals, a capitalised unknown word mid-query
    assert named_terms("how many taxi drivers in rotherham", PROFILE) == ["rotherham"]
    assert named_terms("whats a MARAC and do cse cases go to it", PROFILE) == ["marac"]
    assert named_terms("What did police in the Netherlands do?", PROFILE) == ["netherlands"]
    assert named_terms("Kent's figures", PROFILE) == ["kent"]
    assert named_terms("quickest way to ID her, or ask a DI", PROFILE) == []  # two letters: too ambiguous
    # sentence-initial capitals, stopwords and words naming the reports themselves are not names
    assert named_terms("Which notices did the Review describe? Orders too.", PROFILE) == []


def test_words_unknown_to_the_reports_and_to_english_are_names() -> None:
    unknown = {"stovewood", "dvpo"}.__contains__
    assert named_terms("what did operation stovewood achieve", PROFILE, unknown) == ["stovewood"]
    assert named_terms("can we get a dvpo on him", PROFILE, unknown) == ["dvpo"]
    assert named_terms("what did operation stovewood achieve", PROFILE) == []
    constraints = Constraints.of("what did operation stovewood achieve", PROFILE, [], CONFIG, unknown)
    assert constraints.check(["Operation Sanctuary arrested 461 suspects."], WINDOW).reasons() == [
        "The reports never mention “stovewood”."]


def test_missing_names_accept_equivalents() -> None:
    texts = ["Child sexual exploitation is tackled by regional teams."]
    assert missing_names(["cse"], texts, {}) == ["cse"]
    assert missing_names(["cse"], texts, {"cse": ["CSE", "child sexual exploitation"]}) == []
    assert missing_names(["kent", "teams"], texts, {}) == ["kent"]  # plural and singular both match


def test_count_focus_and_numbers_next_to_it() -> None:
    assert count_focus("How many arrests came out of Operation X?", FOCUS) == ["arrest"]  # ends at the verb
    assert count_focus("how many forces took part in the survey", FOCUS) == ["force"]
    assert count_focus("How many strategic leads responded?", FOCUS) == ["strategic", "lead"]
    assert count_focus("what proportion of frontline respondents had used CAWNs", FOCUS) == ["frontline", "respondent"]
    assert count_focus("what is a CAWN", FOCUS) == []
    assert count_met(["strategic", "lead"], ["In total, 52 strategic leads responded."], WINDOW)
    assert count_met(["respondent"], ["Two-thirds of respondents said so."], WINDOW)
    assert not count_met(["arrest"], ["The operation made arrests. It ran for 18 months across the region."], WINDOW)
    assert count_met([], ["no numbers at all"], WINDOW)
    # everything counted must be named in the passage: a figure for sexual abuse offences is no
    # figure for sexual risk orders; a word from the sentence before still counts
    assert not count_met(["sexual", "risk"], ["Police recorded 87,992 child sexual abuse offences."], WINDOW)
    assert count_met(["uk", "victim"], ["UK victims were found in images. In 2018/19, 552 victims were identified."],
                     WINDOW)


def test_years_ignore_citation_dates_and_relative_years() -> None:
    c = Constraints.of("How many CAWNs were issued in 2018?", PROFILE, [], CONFIG)
    assert c.check(["CAWNs are widely used (Home Office, 2018)."], WINDOW).missing_years == ("2018",)
    assert c.check(["In 2018, 500 CAWNs were issued."], WINDOW).met
    last = Constraints.of("how many CAWNs last year", PROFILE, [], CONFIG).check(
        ["In 2018, 500 CAWNs were issued."], WINDOW)
    assert last.missing_years == ("last year",)
    assert "cannot say what happened “last year”" in " ".join(last.reasons())


def test_reasons_say_whether_the_reports_use_a_name_at_all() -> None:
    c = Constraints.of("What did Kent and Devon police do?", PROFILE, [], CONFIG)
    assert c.check(["Police forces used orders."], WINDOW).reasons() == [
        "The reports never mention “Devon”.", "The closest passages never mention “Kent”."]
    many = Constraints.of("Alpha Bravo Charlie Delta Echo Foxtrot", PROFILE, [], CONFIG)
    assert many.check(["Police forces used orders."], WINDOW).reasons() == [
        "The reports never mention “Bravo”, “Charlie”, “Delta”, “Echo” or 1 other word."]


def test_unmet_constraints_give_signals_and_reasons() -> None:
    c = Constraints.of("How many CAWNs did Kent Police issue?", PROFILE, [], CONFIG)
    unmet = c.check(["CAWNs are served by police on suspects."], WINDOW)
    assert unmet.missing_names == ("Kent",) and unmet.uncounted == ("cawn",)  # names as typed
    assert unmet.signals() == ConstraintSignals(missing_names=1.0, year_match=1.0, count_met=0.0)
    assert unmet.reasons() == ["The closest passages never mention “Kent”.",
                               "The closest passages give no figure for “cawn”."]
    met = c.check(["In Kent, police issued 120 CAWNs in one year."], WINDOW)
    assert met.met and met.reasons() == []


@pytest.mark.model
def test_real_model_says_which_name_the_reports_lack(real_retriever) -> None:
    # a place the reports never mention, asked about a topic they do cover
    answer = real_retriever.ask("what have Devon and Cornwall Police done with CAWNs")
    assert answer.abstained and answer.hits
    assert any("“Devon”" in r for r in answer.reasons)
    # the same topic without the name is not declined, and what is read first (the answer, or the lead
    # under closest) is the reports' definition
    answer = real_retriever.ask("what is a child abduction warning notice")
    assert answer.outcome != "not_covered" and not answer.reasons
    assert answer.read_first and "break contact" in answer.read_first[0].text


@pytest.mark.model
def test_real_model_declines_a_word_the_reports_never_use(real_retriever) -> None:
    assert real_retriever.analyser.unknown_word("stovewood") and real_retriever.analyser.unknown_word("dvpo")
    assert not real_retriever.analyser.unknown_word("hostels"), "ordinary English"
    assert not real_retriever.analyser.unknown_word("cawns"), "the reports use it"
    answer = real_retriever.ask("what did operation stovewood achieve")
    assert answer.abstained and any("“stovewood”" in r for r in answer.reasons)
    # an acronym the reports never use, for a measure they spell out, is understood and answered
    answer = real_retriever.ask("pspo how long does it last")
    assert answer.outcome != "not_covered" and answer.read_first and "three years" in answer.read_first[0].text
    # the acronym alone, as the README suggests typing it, is no unknown word either
    for query in ("pspo", "PSPO"):
        answer = real_retriever.ask(query)
        assert answer.outcome != "not_covered" and not any("pspo" in r.lower() for r in answer.reasons), query
        assert "Public space protection orders" in answer.hits[0].passage.text
