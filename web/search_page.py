"""What the search page adds around the answer: the answer lines as HTML, suggested questions, the
"more passages" window, and cards of adjacent passages of one section collapsed into one.

Kept apart from ``web.pages`` so the route stays short: the route calls these and passes the
results to ``search.html``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode

from fastapi import HTTPException

from reportqa.records import Passage
from reportqa.speaker_codes import SPEAKER_CODES
from retriever.results import Answer, AnswerSentence, Hit
from web.answer_block import SPEAKER_RE, answer_line, with_speaker_codes

MAX_OFFSET_MESSAGE = "“offset” must be a whole number from 0 to {limit}."
OFFSET_DIGITS = re.compile(r"[0-9]{1,6}")  # ASCII digits only: '²'.isdigit() is True but int('²') fails


@dataclass(frozen=True)
class ResultWindow:
    """Which of the ranked passages a page shows, and where the next ones are."""

    offset: int  # rank (0-based) of the first passage shown
    size: int  # passages shown
    fetch: int  # passages to ask the retriever for
    limit: int  # the largest offset allowed


def parse_offset(raw: str | None, first_page: int, page: int, depth: int) -> ResultWindow:
    """The window for ``?offset=``: the first page shows ``first_page`` passages, later ones
    ``page`` from ``offset``; at most ``depth`` ranked passages exist. A bad value is a 400 error
    with a plain message."""
    limit = max(0, depth - 1)
    if raw is None or raw == "":
        return ResultWindow(0, first_page, first_page + 1, limit)
    text = raw.strip()
    if not OFFSET_DIGITS.fullmatch(text) or int(text) > limit:
        raise HTTPException(status_code=400, detail=MAX_OFFSET_MESSAGE.format(limit=limit))
    offset = int(text)
    if offset == 0:
        return ResultWindow(0, first_page, first_page + 1, limit)
    return ResultWindow(offset, page, min(depth, offset + page + 1), limit)


def more_link(home_url: str, query: str, doc: str, window: ResultWindow, ranked: int) -> str | None:
    """The link to the next passages, or None when there are no more."""
    following = window.offset + window.size
    if ranked <= following or following > window.limit:
        return None
    params = {"q": query, **({"doc": doc} if doc else {}), "offset": str(following)}
    return f"{home_url}?{urlencode(params, quote_via=quote)}#results-heading"


@dataclass
class CardGroup:
    """A card's hit (passages of one section that follow each other in the report are merged
    into one hit) and the ids of every passage it holds."""

    hit: Hit
    passage_ids: list[str] = field(default_factory=list)
    section_url: str | None = None  # the reader at the start of the section, for merged cards
    best: Passage | None = None  # for merged cards: the best-ranked hit's own passage, which the card's
    # id, judgement buttons and "Open in context" link point at (not the first passage in reading order)


def _adjacent(a: Passage, b: Passage, position: dict[str, int]) -> bool:
    return (a.doc_id == b.doc_id and a.section == b.section and a.kind == b.kind == "text"
            and abs(position[a.passage_id] - position[b.passage_id]) == 1)


def collapse_adjacent(hits: list[Hit], passages: list[Passage], position: Mapping[str, int],
                      doc_texts: dict[str, str]) -> list[CardGroup]:
    """Hits in rank order, with passages of one section that are consecutive in the report merged
    into the card of the best-ranked one: the text runs from the first to the last, and every
    passage's highlights are kept. ``position`` is each passage's index in ``passages`` (the index
    keeps it), so no work here grows with the size of the corpus."""
    groups: list[list[Hit]] = []
    for hit in hits:
        home = next((g for g in groups if hit.passage.passage_id in position and any(
            h.passage.passage_id in position and _adjacent(h.passage, hit.passage, position) for h in g)), None)
        if home is None:
            groups.append([hit])
        else:
            home.append(hit)
    out = []
    for group in groups:
        if len(group) == 1:
            out.append(CardGroup(group[0], [group[0].passage.passage_id]))
            continue
        ordered = sorted(group, key=lambda h: position[h.passage.passage_id])
        first, last = ordered[0].passage, ordered[-1].passage
        text = doc_texts[first.doc_id][first.start:last.end]
        spans = [(a + h.passage.start - first.start, b + h.passage.start - first.start)
                 for h in ordered for a, b in h.highlights]
        merged = replace(first, text=text, end=last.end, page_end=last.page_end or first.page_end)
        best = group[0]
        start = position[first.passage_id]
        while start > 0 and passages[start - 1].doc_id == first.doc_id and passages[start - 1].section == first.section:
            start -= 1
        section_first = passages[start]
        url = f"/doc/{quote(first.doc_id, safe='')}#p-{section_first.passage_id}"
        out.append(CardGroup(replace(best, passage=merged, highlights=spans),
                             [h.passage.passage_id for h in group], url, best.passage))
    return out


def _line(answer: Answer, sentence: AnswerSentence) -> dict:
    """One answer line (or the lead) for the template: its HTML (a quotation or a small table), kind, and
    every citation that says it ([1, 3]: quoted once, cited at each place), each with the card it points to."""
    targets = {c.n: c.passage.passage_id for c in answer.citations}
    numbers = [sentence.citation, *(n for n in sentence.also_cited if n != sentence.citation)]
    return {"html": answer_line(sentence), "kind": sentence.kind, "text": sentence.text, "n": sentence.citation,
            "cites": [{"n": n, "target": targets.get(n, "")} for n in numbers]}


def answer_lines(answer: Answer) -> list[dict]:
    """Each answer line for the template (see ``_line``)."""
    return [_line(answer, s) for s in answer.sentences]


def lead_line(answer: Answer) -> dict | None:
    """Under ``closest``, the sentence that comes closest, for "The closest the reports come:"; else None."""
    return _line(answer, answer.lead) if answer.outcome == "closest" and answer.lead is not None else None


def speaker_key(texts: list[str]) -> list[tuple[str, str]]:
    """The survey speaker codes, (FL) and the like, used in ``texts``, with their meanings, for a key in
    plain text beside them (a tooltip alone reaches neither keyboard nor touch users)."""
    used = {m.group(1) for text in texts for m in SPEAKER_RE.finditer(text)}
    return [(code, meaning) for code, meaning in SPEAKER_CODES.items() if code in used]


def page_title(query: str, limit: int) -> str:
    """The search page's title: the query, cut at a word to at most ``limit`` characters."""
    words = " ".join(query.split())
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,;:.") + "…"


def suggestion_links(home_url: str, questions) -> list[dict]:
    """Suggested questions as links that run them."""
    return [{"text": q.text, "url": f"{home_url}?{urlencode({'q': q.text}, quote_via=quote)}"} for q in questions]


__all__ = ["CardGroup", "ResultWindow", "answer_lines", "collapse_adjacent", "lead_line", "more_link", "page_title",
           "parse_offset", "speaker_key", "suggestion_links", "with_speaker_codes"]
