"""Sentence boundaries (indexer.sentences): abbreviations, initials and source tags stay with their
sentence, and splitting reads each character a bounded number of times (issue 22, D5)."""

from __future__ import annotations

from indexer.sentences import split_sentences


class CountingText(str):
    """A str that adds up how many characters are read through indexing and slicing."""

    read = 0

    def __getitem__(self, key):
        part = super().__getitem__(key)
        CountingText.read += len(part)
        return part


def test_splitting_reads_each_character_a_bounded_number_of_times() -> None:
    """The abbreviation check ran a regex over all the text before every full stop (quadratic: minutes
    for a 2 MB file); it now looks back a few characters."""
    text = CountingText("Officers served a notice. " * 4000)
    CountingText.read = 0
    spans = split_sentences(text)
    assert len(spans) == 4000
    assert CountingText.read <= 2 * len(text)


def test_abbreviations_initials_and_tags_stay_with_their_sentence() -> None:
    text = ("Measures (e.g. CAWNs) work, said J. Smith et al. in 2019. A long run of dots....... "
            "Then approx. ten more. Officers agreed. (FL) Next one (Home Office, 2016). Last")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Measures (e.g. CAWNs) work, said J. Smith et al. in 2019.", "A long run of dots.......",
        "Then approx. ten more.", "Officers agreed. (FL)", "Next one (Home Office, 2016).", "Last"]


def test_a_long_word_before_a_full_stop_is_not_an_abbreviation() -> None:
    text = "See " + "x" * 5000 + ". Next sentence. The word ibid. stays. A " + "e.g" * 10 + ". End."
    assert [text[s:e][:12] for s, e in split_sentences(text)] == [
        "See xxxxxxxx", "Next sentenc", "The word ibi", "A e.ge.ge.ge", "End."]
