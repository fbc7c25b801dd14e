"""Misspelt query words are corrected against the reports' vocabulary, and only those."""

from __future__ import annotations

from collections import Counter

import pytest

from reportqa.settings import AnalysisConfig
from retriever.spelling import SpellingCorrector, one_edit

COUNTS = Counter({"accommodation": 5, "attrition": 3, "notice": 9, "notices": 4, "social": 7, "keep": 6,
                  "rarely": 1, "staff": 8, "mister": 3, "tapes": 2, "scan": 4, "later": 9, "letter": 2})
ENGLISH = {"stuff", "booked", "loads"}


def corrector() -> SpellingCorrector:
    return SpellingCorrector(COUNTS, lambda w: w in ENGLISH, AnalysisConfig(), protected={"takeaway"})


def test_one_edit_covers_the_four_kinds_of_typo() -> None:
    edits = one_edit("notise")
    assert {"notice", "notie", "notisee", "notsie"} <= edits and "notise" not in edits


def test_misspellings_are_corrected_to_corpus_words() -> None:
    c = corrector()
    assert c.correct("accomodation") == "accommodation"  # dropped letter
    assert c.correct("socail") == "social"  # swapped letters
    assert c.correct("Notise") == "notice"  # changed letter, any case
    assert c.fix("secure accomodation for a kid, socail care") == (
        "secure accommodation for a kid, social care", {"accomodation": "accommodation", "socail": "social"})


@pytest.mark.parametrize("word", [
    "notices",    # a corpus word
    "keeps",      # another form of a corpus word
    "stuff",      # an ordinary English word (one edit from "staff")
    "takeaway",   # an everyday-word table key
    "Rarelyy",    # its report neighbour occurs only once, and a capital suggests a name
    "kid",        # too short to guess safely
    "xyzzyq",     # nothing one edit away
])
def test_words_left_alone(word: str) -> None:
    assert corrector().correct(word) is None


def test_unknown_words_are_names_unless_they_look_like_typos() -> None:
    c = corrector()
    # never in the reports, not English, not near anything: a name or acronym the reports lack
    assert c.foreign("stovewood") and c.is_unknown("stovewood") and c.is_unknown("DVPO")
    # the reports' own words, English words, everyday words and short words are not
    for word in ("notices", "booked", "takeaway", "abc"):
        assert not c.foreign(word) and not c.is_unknown(word)
    # typos the corrector cannot place are not names either
    assert c.foreign("accomodatino") and not c.is_unknown("accomodatino")  # two edits: letters dropped
    assert not c.is_unknown("attiriton")  # letters swapped and doubled
    assert not c.is_unknown("stuf")  # one edit from an English word ("stuff")
    assert not c.is_unknown("webbsite")  # … from pyspellchecker's dictionary ("website")


@pytest.mark.parametrize("typed", ["misper", "mispers", "vapes"])
def test_a_change_to_an_unrelated_letter_is_no_confident_correction(typed: str) -> None:
    """'misper' is one edit from 'mister' and 'vapes' from 'tapes', but p→t and v→t are neither
    neighbouring keys nor sound-alikes: nobody types one for the other."""
    assert corrector().correct(typed) is None


def test_the_likeliest_kind_of_typo_wins_over_the_commoner_word() -> None:
    # 'leter': a doubled letter dropped ('letter') is likelier than e typed for a ('later'), though
    # 'later' is the commoner word in the reports
    assert corrector().correct("leter") == "letter"
    assert corrector().correct("notise") == "notice"  # a sound-alike letter


def test_police_shorthand_in_the_everyday_table_is_never_corrected() -> None:
    c = SpellingCorrector(COUNTS, lambda w: False, AnalysisConfig(), protected={"scran", "misper"})
    assert c.correct("scran") is None and c.correct("misper") is None
    assert SpellingCorrector(COUNTS, lambda w: False, AnalysisConfig()).correct("scran") == "scan", \
        "a dropped letter: corrected when the table does not list the word"


def test_typos_inside_quotes_are_corrected_too() -> None:
    # a word the reports never use cannot match a quoted phrase exactly anyway
    assert corrector().fix('"secure accomodation"') == ('"secure accommodation"', {"accomodation": "accommodation"})


def test_typos_of_ordinary_words_are_corrected_to_english() -> None:
    assert corrector().correct("rarelyy") == "rarely"
    assert corrector().correct("hagning") == "hanging"


@pytest.mark.model
def test_real_model_corrects_and_still_answers(real_retriever) -> None:
    answer = real_retriever.ask("is a child abduction warning notise worth it for a 17 year old")
    assert answer.corrections == {"notise": "notice"}
    # not declined for the typo: answered, or the closest sentence shown first, about CAWNs
    assert answer.outcome != "not_covered" and not answer.reasons
    assert answer.read_first and "CAWN" in answer.read_first[0].text + answer.hits[0].passage.text
    # ordinary English words the reports do not use stay as typed, even one edit from a report word
    assert real_retriever.ask("can we make a hotel hand over who's booked a room").corrections == {}
    assert real_retriever.analyser.speller.correct("hostels") is None  # not "hotels"
    assert real_retriever.analyser.speller.correct("remand") is None  # not "remind"


@pytest.mark.model
def test_real_model_reads_police_shorthand_as_words(real_retriever) -> None:
    answer = real_retriever.ask("misper at risk of cse what can we do")
    assert answer.corrections == {} and answer.outcome != "not_covered"
    answer = real_retriever.ask("he keeps giving her vapes and scran")
    assert answer.corrections == {}
    assert not any(w in r for r in answer.reasons for w in ("tapes", "scan", "mister"))
