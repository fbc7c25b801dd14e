"""The survey's speaker codes (reportqa.speaker_codes), declared once: every code keeps a quotation set as
a heading out of the sections, and stays with the sentence it closes."""

from __future__ import annotations

import pytest

from indexer.markdown import is_quote_heading, parse_markdown
from indexer.sentences import split_sentences
from reportqa.speaker_codes import SPEAKER_CODES


@pytest.mark.parametrize("code", sorted(SPEAKER_CODES))
def test_each_code_marks_a_quotation_and_closes_its_sentence(code: str) -> None:
    quote = f"It works when someone checks on it ({code})"
    assert is_quote_heading(quote)
    blocks, _ = parse_markdown(f"#### {quote}\n\nBody text follows here.\n")
    assert [b.kind for b in blocks] == ["paragraph", "paragraph"]
    text = f"Notices worked well. They stopped contact. ({code}) The next point starts here."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Notices worked well.", f"They stopped contact. ({code})", "The next point starts here."]


def test_an_unknown_code_is_not_a_quotation() -> None:
    assert not is_quote_heading("Findings of the survey (XX)")
