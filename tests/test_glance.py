"""Whether a shown sentence carries the fact: where it stands in the report, or restated elsewhere."""

from __future__ import annotations

from eval.glance import DecisionPoint, EvidenceSpans, carries, document_span, precision_curve
from eval.questions import Evidence, Question
from reportqa.records import Passage

BODY = ("Orders were rarely used. Officers found warning notices useful in deterring suspects from contact "
        "with a child. Training was uneven.")
SUMMARY = "In short, officers found warning notices were useful for deterring suspects from contacting a child."
ROW_TEXT = "Hotel information requests\t42\tDirect"
DOCUMENT = f"{SUMMARY}\n\n{BODY}\n\n{ROW_TEXT}"
DOCS = {"d": DOCUMENT}


def question(quote: str) -> Question:
    return Question("q", "dev", "frontline", (), "do notices deter", "", (Evidence("d", quote),))


def passage(pid: str, text: str, kind: str = "text", rendered: str | None = None) -> Passage:
    start = DOCUMENT.index(text)
    return Passage(pid, "d", kind, ("1",), start, start + len(text), rendered or text)


def test_a_sentence_carries_the_evidence_it_covers() -> None:
    evidence = EvidenceSpans.of(question("found warning notices useful in deterring suspects from contact"), DOCS)
    body = passage("b", BODY)
    sentence = "Officers found warning notices useful in deterring suspects from contact with a child."
    s = BODY.index(sentence)
    assert carries(evidence, body, s, s + len(sentence), DOCS)
    assert not carries(evidence, body, 0, len("Orders were rarely used."), DOCS), "the sentence before does not"


def test_a_restatement_elsewhere_carries_it_and_a_loose_echo_does_not() -> None:
    evidence = EvidenceSpans.of(question("Officers found warning notices useful in deterring suspects from contact"),
                                DOCS)
    summary = passage("s", SUMMARY)
    assert carries(evidence, summary, 0, len(SUMMARY), DOCS), "the summary says it in nearly the same words"
    echo = Passage("e", "d", "text", ("2",), 0, 40, "Warning notices are served by officers.")
    assert not carries(evidence, echo, 0, len(echo.text), DOCS)


def test_a_table_row_is_placed_as_its_whole_row() -> None:
    row = passage("r", ROW_TEXT, "table_row", "Table 3 — Measure: Hotel information requests; Used: 42; Type: Direct")
    assert document_span(row, 0, 10, DOCUMENT) == (row.start, row.end)
    evidence = EvidenceSpans.of(question("Hotel information requests 42 Direct"), DOCS)
    assert carries(evidence, row, 0, len(row.text), DOCS)


def test_a_row_shown_with_its_caption_carries_a_short_quote_of_the_caption() -> None:
    """The row's offsets cover the row alone and the quote is too short to count as a restatement: the
    row's text, which starts with the caption, carries it all the same."""
    document = f"Table 3. Hotel requests\n{ROW_TEXT}"
    row_start = document.index(ROW_TEXT)
    row = Passage("r", "d", "table_row", ("1",), row_start, len(document),
                  "Table 3: hotel requests — Measure: Hotel information requests; Used: 42; Type: Direct")
    evidence = EvidenceSpans.of(question("Table 3. Hotel requests"), {"d": document})
    assert carries(evidence, row, 0, len(row.text), {"d": document})
    assert not carries(EvidenceSpans.of(question("Table 4. Hotel requests"), {"d": document}), row, 0,
                       len(row.text), {"d": document})


def test_the_precision_curve_counts_rules_and_unanswerable_questions() -> None:
    points = [DecisionPoint(0.9, False, True, True), DecisionPoint(0.8, False, False, False),
              DecisionPoint(0.7, True, True, True), DecisionPoint(0.6, False, True, False)]
    curve = precision_curve(points)
    assert [c["threshold"] for c in curve] == [0.9, 0.8, 0.6], "a question a rule decided has no threshold"
    assert curve[1] == {"threshold": 0.8, "precision": 0.5, "answered": round(1 / 3, 4), "unanswerable_answered": 1.0}
