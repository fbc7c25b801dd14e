"""The shared text rules (reportqa.text) that the parsers use rather than copy: what a list item is and
what labels a table or figure. Each format's parser gives the same answer for every bullet."""

from __future__ import annotations

import re

import pytest

from indexer.blocks import is_caption
from indexer.cleaning import Vocabulary
from indexer.layout import parse_layout, soft_pages
from indexer.markdown import parse_markdown
from reportqa.text import BULLET_SYMBOLS, FIGURE_LABEL, LIST_MARK, is_list_item, without_bullet
from retriever.answer_lines import is_caption as is_answer_label

BULLETS = [*BULLET_SYMBOLS, "-", "–", "*", "+", "1)", "12)"]
ITEM = "officers recorded every breach of the notice"


@pytest.mark.parametrize("bullet", BULLETS)
def test_every_bullet_marks_a_list_item_in_every_format(bullet: str) -> None:
    line = f"{bullet} {ITEM}"
    assert is_list_item(line) and is_list_item(f"  {line}") and without_bullet(line) == ITEM
    md_blocks, _ = parse_markdown(f"Some text before the list.\n\n{line}\n")
    assert [(b.kind, b.text) for b in md_blocks][-1] == ("list_item", ITEM)
    text = f"The list that follows is long enough to be a body line of text.\n{line}\n"
    layout_blocks = parse_layout([text], Vocabulary.of(text), paged=False)
    assert [(b.kind, b.text) for b in layout_blocks][-1] == ("list_item", ITEM)


@pytest.mark.parametrize("line", ["-5 degrees overnight", "1999) was the year", "•", "Police said - twice",
                                  "(a) first point", "1. Introduction"])
def test_what_is_not_a_list_item(line: str) -> None:
    assert not is_list_item(line) and without_bullet(line) == line


def test_the_cleaned_text_marks_list_items_with_a_bullet_the_rule_knows() -> None:
    assert is_list_item(LIST_MARK + ITEM)


def test_a_soft_page_never_starts_at_an_indented_bullet() -> None:
    """Some exports mark a new page by one leading space; a bullet indented by one space is not one."""
    pages = soft_pages("First page line.\n" + "\n".join(f" {s} item" for s in BULLET_SYMBOLS) + "\n Second page.")
    assert len(pages) == 2 and pages[1] == " Second page."


@pytest.mark.parametrize(("text", "caption"), [
    ("Table 2. Respondents by region", True), ("Figure 3: Points of attrition", True),
    ("Table A1. Forces", True), ("Fig. 4 Orders", True), ("Table 2.1 Respondents", True),
    ("Table 3 shows the roles of the respondents in the survey, who were officers.", False),
    ("Tables of results", False),
])
def test_one_label_rule_for_the_indexer_and_the_answer(text: str, caption: bool) -> None:
    assert bool(re.match(FIGURE_LABEL, text)) == (not text.startswith("Tables"))
    assert is_caption(text) is caption
    if caption:
        assert is_answer_label(text)
