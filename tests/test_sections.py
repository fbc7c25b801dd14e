"""Section trails from numbering and the contents list (indexer.sections): one rule reads a contents line,
for Markdown, text and PDF contents pages alike."""

from __future__ import annotations

import pytest

from indexer.sections import ContentsEntry, parse_contents, split_contents_line


@pytest.mark.parametrize(("line", "expected"), [
    ("6.1 Direct disruption measures\t31", ("6.1 Direct disruption measures", 31)),
    ("E\tkecutive summary\t5", ("E kecutive summary", 5)),
    ("\t1.1 What is child sexual abuse?\t11", ("1.1 What is child sexual abuse?", 11)),
    ("Introduction ........ 4", ("Introduction", 4)),
    ("Strategy 2021\t7", ("Strategy 2021", 7)),
    ("References", ("References", None)),
    ("   ", ("", None)),
])
def test_a_contents_line_gives_its_title_and_page(line: str, expected: tuple) -> None:
    assert split_contents_line(line) == expected


def test_contents_entries_take_levels_from_numbers_or_indents() -> None:
    lines = ["E\tkecutive summary\t5", "\tKey findings\t6", "1.\tIntroduction\t11", "\t1.1 What is it?\t11",
             "Strategy 2021\t7", "12", "Appendix A: Measures\t61"]
    assert parse_contents(lines) == [
        ContentsEntry(None, "E kecutive summary", 1), ContentsEntry(None, "Key findings", 2),
        ContentsEntry((1,), "Introduction", 1), ContentsEntry((1, 1), "What is it?", 2),
        ContentsEntry(None, "Strategy 2021", 1), ContentsEntry(None, "Appendix A: Measures", 1)]
