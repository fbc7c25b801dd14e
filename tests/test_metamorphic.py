"""Questions written another way a person would write them give the same result: the same top 5
passages (give or take one) and the same outcome. The battery runs over every dev question with the
real model; the smaller tests pin each reading rule on the fixture corpus."""

from __future__ import annotations

import pytest

from eval.metamorphic import check, variants
from eval.questions import load_questions
from reportqa.settings import PROJECT_ROOT
from reportqa.text import normalise_quotes, words

TARGET = 0.95


def test_variants_cover_each_kind() -> None:
    kinds = {k for k, _ in variants("How many people did West Yorkshire's 'Operation Lantern' find")}
    assert kinds == {"quotes", "case", "possessive", "punctuation", "typo", "synonym", "shorthand"}
    assert ("shorthand", "can we flag a misper at risk") in variants("can we flag a missing person at risk")
    assert ("punctuation", "is a CAWN binding") in variants("is a CAWN binding?")


@pytest.mark.parametrize("typed", ["'grandfather rights'", "‘grandfather rights’", '"grandfather rights"',
                                   "“grandfather rights”"])
def test_every_quote_style_means_the_same_phrase(typed: str) -> None:
    assert normalise_quotes(f"what are {typed}?") == 'what are "grandfather rights"?'


def test_apostrophes_in_words_are_not_quotes() -> None:
    assert normalise_quotes("the officers' view isn't Barnardo's") == "the officers' view isn't Barnardo's"
    assert words("Barnardo's officers' view") == ["barnardo", "officers", "view"]


def test_fixture_variants_keep_the_result(fake_retriever) -> None:
    base = [h.passage.passage_id for h in fake_retriever.search("licenced premises review", k=5)]
    for variant in ("Licenced premises review?", "licenced premises' review", "LICENCED PREMISES REVIEW",
                    "licenced premises review."):
        assert [h.passage.passage_id for h in fake_retriever.search(variant, k=5)] == base, variant
    phrase = [h.passage.passage_id for h in fake_retriever.search('"licenced premises" review', k=5)]
    for variant in ("'licenced premises' review", "‘licenced premises’ review", "“licenced premises” review"):
        assert [h.passage.passage_id for h in fake_retriever.search(variant, k=5)] == phrase, variant


@pytest.mark.model
def test_metamorphic_battery_over_every_dev_question(real_retriever) -> None:
    questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl", "dev")
    report = check(real_retriever, questions)
    assert report.total >= 3 * len(questions)
    print(f"metamorphic: {report.kept}/{report.total} = {report.share:.3f}",
          dict((k, round(report.kept_by_kind[k] / n, 3)) for k, n in report.by_kind.items()))
    assert report.share >= TARGET, report.failures[:10]
