"""The answer block's HTML: each answer line shown as what it is.

- A sentence is shown between quotation marks, balanced: none are added around a sentence that
  carries its own, that is one whose opening mark at the start closes at its end ("“…” (FL)" is
  shown as is, never “"…"”); a quotation the sentence opens and never closes is closed; a closing
  mark whose opening is in an earlier sentence gets its opening. When outer marks are added around
  a sentence that quotes something (“Officers called it ‘everyone’s job’.”), its own double marks
  become single ones, the usual way of nesting a quotation: the words are the report's.
- A line of a table is shown as a small table (caption, column headers, the row), never in quotes.
- The survey's speaker codes after quotes, (FL), (SL) and (DG), are explained in a tooltip.

All report text is escaped before any markup is added.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from reportqa.speaker_codes import SPEAKER_CODES
from retriever.results import AnswerSentence
from web.render import display_sentence, stack_class, table_row

SPEAKER_RE = re.compile(r"\((" + "|".join(SPEAKER_CODES) + r")\)")
TRAILING_CODE = re.compile(r"(\s*\((?:" + "|".join(SPEAKER_CODES) + r")\)[\s.,;]*)$")
OPENING = "“"
CLOSING = "”"
STRAIGHT = '"'
INNER_OPENING = "‘"
INNER_CLOSING = "’"
AFTER_CLOSING = ".,;:!?… "  # what may follow a sentence's closing mark ('“It works”.')


def with_speaker_codes(html: Markup) -> Markup:
    """``html`` (already escaped) with each (FL), (SL), (DG) given its meaning as a tooltip, in its
    text only: a code inside a tag (a table cell's ``data-label="Respondent (FL)"``) is left alone."""
    def explain(text: str) -> str:
        return SPEAKER_RE.sub(lambda m: f'(<abbr class="speaker" title="{SPEAKER_CODES[m.group(1)]}">'
                                        f'{m.group(1)}</abbr>)', text)

    parts = re.split(r"(<[^>]*>)", str(html))  # tags at odd places; escaped text cannot hold "<" or ">"
    return Markup("".join(part if n % 2 else explain(part) for n, part in enumerate(parts)))


def _first_closes_at(body: str) -> int | None:
    """Where the quotation mark ``body`` starts with is closed (nested curly marks counted), or
    None when it is never closed."""
    if body.startswith(STRAIGHT):
        end = body.find(STRAIGHT, 1)
        return end if end > 0 else None
    depth = 0
    for i, ch in enumerate(body):
        if ch == OPENING:
            depth += 1
        elif ch == CLOSING:
            depth -= 1
            if depth == 0:
                return i
    return None


def _nested(body: str) -> str:
    """``body``'s balanced double quotation marks as single ones, for putting it inside double marks."""
    out, straight_open = [], False
    for ch in body:
        if ch == OPENING:
            ch = INNER_OPENING
        elif ch == CLOSING:
            ch = INNER_CLOSING
        elif ch == STRAIGHT:
            ch = INNER_CLOSING if straight_open else INNER_OPENING
            straight_open = not straight_open
        out.append(ch)
    return "".join(out)


def balanced_quote(text: str) -> str:
    """``text`` between balanced double quotation marks: its own marks when the one it starts with
    closes at its end (before a speaker code) or never (then it is closed), an opening mark for a
    stray closing one, a closing mark for one opened inside (then no outer marks), outer marks
    otherwise, with any quotation inside turned to single marks."""
    text = text.strip()
    code_match = TRAILING_CODE.search(text)
    code = code_match.group(1) if code_match else ""
    body = text[:len(text) - len(code)] if code else text
    opens, closes, straight = body.count(OPENING), body.count(CLOSING), body.count(STRAIGHT)
    if body.startswith((OPENING, STRAIGHT)):
        close = _first_closes_at(body)
        if close is None:  # a quotation opened at the start and left open: closed
            return body + (CLOSING if body.startswith(OPENING) else STRAIGHT) + code
        if not body[close + 1:].strip(AFTER_CLOSING):  # the whole sentence is its own quotation
            return body + code
        # else the quoted part is only the sentence's start ('“Relentless disruption” was the aim')
    if closes > opens or (straight % 2 and body.rstrip(".,;!? ").endswith(STRAIGHT)):
        # the rest of a quotation opened in an earlier sentence: open it here
        return (OPENING if closes > opens else STRAIGHT) + body + code
    if opens > closes:  # a quotation opened inside and left open: closed, no outer marks
        return body + CLOSING + code
    if straight % 2:
        return body + STRAIGHT + code
    # "… said this (FL)": the quotation is the body, the code names its speaker
    return OPENING + _nested(body) + CLOSING + code


def quoted_sentence(text: str) -> Markup:
    """A prose answer sentence as HTML: balanced quotation marks, speaker codes explained."""
    return with_speaker_codes(escape(balanced_quote(text)))


def row_table(caption: str, header: tuple[str, ...] | list[str], cells: tuple[str, ...] | list[str]) -> Markup:
    """One row of a table as a small HTML table: caption, column headers (when known), the row."""
    out = [Markup('<div class="table-wrap answer-table"><table class="card-table row-table%s">') % stack_class(header)]
    if caption:
        out.append(Markup("<caption>") + escape(caption) + Markup("</caption>"))
    if any(header):
        out.append(Markup("<thead><tr>") + Markup("").join(
            Markup('<th scope="col">') + escape(h) + Markup("</th>") for h in header) + Markup("</tr></thead>"))
    out.append(Markup("<tbody>") + table_row(cells, header, "evidence") + Markup("</tbody></table></div>"))
    return Markup("").join(out)


def answer_line(sentence: AnswerSentence) -> Markup:
    """An answer line as HTML: a table row as a small table, a sentence as a balanced quotation."""
    if sentence.kind == "table_row" and sentence.cells:
        return row_table(sentence.caption, sentence.header, sentence.cells)
    return Markup('<span class="said">') + quoted_sentence(display_sentence(sentence.text)) + Markup("</span>")
