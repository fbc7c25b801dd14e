"""A PDF's outline (indexer.pdf_outline): bookmarks flattened with their depth and page, broken ones
dropped, and the depths trusted only when they agree with the headings' numbers."""

from __future__ import annotations

from types import SimpleNamespace

from indexer.pdf_outline import OutlineEntry, levels_follow_numbering, read_outline
from reportqa.settings import PdfLayoutConfig


class FakeReader:
    """What read_outline asks of a pypdf PdfReader: the outline, and each bookmark's page."""

    def __init__(self, outline, pages: dict[str, int]) -> None:
        self._outline = outline
        self.pages = pages

    @property
    def outline(self):
        if isinstance(self._outline, Exception):
            raise self._outline
        return self._outline

    def get_destination_page_number(self, item) -> int:
        return self.pages[item.title]  # KeyError: a bookmark to nowhere


def mark(title: str) -> SimpleNamespace:
    return SimpleNamespace(title=title)


def test_nested_bookmarks_become_levels_and_broken_ones_are_dropped() -> None:
    outline = [mark("1. Intro"), [mark("1.1 Aims"), [mark("1.1.1 Questions")], mark("Lost")], mark("Ｆｕｌｌ width"),
               mark("")]
    reader = FakeReader(outline, {"1. Intro": 0, "1.1 Aims": 0, "1.1.1 Questions": 1, "Ｆｕｌｌ width": 2, "": 3})
    assert read_outline(reader) == [OutlineEntry("1. Intro", 1, 0), OutlineEntry("1.1 Aims", 2, 0),
                                    OutlineEntry("1.1.1 Questions", 3, 1), OutlineEntry("Full width", 1, 2)]


def test_an_outline_that_cannot_be_read_is_no_outline() -> None:
    assert read_outline(FakeReader(RecursionError("a loop in /First and /Next"), {})) == []


def test_depths_are_trusted_only_when_they_follow_the_numbering() -> None:
    nested = [OutlineEntry("1. A", 1, 0), OutlineEntry("1.1 B", 2, 0), OutlineEntry("2. C", 1, 1)]
    flat = [OutlineEntry("1. A", 1, 0), OutlineEntry("1.1 B", 1, 0), OutlineEntry("1.2 C", 1, 1),
            OutlineEntry("2. D", 1, 1)]
    assert levels_follow_numbering(nested) and not levels_follow_numbering(flat)
    assert levels_follow_numbering(flat, PdfLayoutConfig(pdf_outline_agreement=0))
    assert levels_follow_numbering([OutlineEntry("Summary", 1, 0), OutlineEntry("Notes", 3, 1)])  # nothing numbered
