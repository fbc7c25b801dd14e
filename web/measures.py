"""Measure cards on the web: the cards index by type (/measures), one card (/measures/{slug}), the
JSON API (/api/measures, /api/measures/{slug}), and what the search page shows of them (the card a
query names, and "About <measure>" links for the measures the question or its answer sentences name).
A card is shown with the passages the search gathers for it (retriever.measures).

Pages are plain HTML (no JavaScript needed); longer passage lists fold into <details>.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from reportqa.measures_records import GROUP_TITLES, GROUPS, MeasureCard, MeasureCitation
from retriever.results import Answer
from web.deps import RetrieverDep
from web.templating import TEMPLATES

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,120}$")
PASSAGES_SHOWN = 5  # per group on a card page; the rest fold into "Show more"
LINKS_SHOWN = 4  # "About <measure>" links under an answer

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["measures"])


# --- the JSON API ------------------------------------------------------------------------------------
class CitationOut(BaseModel):
    passage_id: str
    doc_id: str
    doc_short_title: str
    section: str
    page: int | None = None


class PassageOut(BaseModel):
    group: str
    score: float
    mentions: int
    in_heading: bool
    snippet: str
    cues: list[str]
    cite: CitationOut


class FigureOut(BaseModel):
    caption: str
    label: str
    values: list[tuple[str, str]]
    note: str
    cite: CitationOut


class MeasureSummaryOut(BaseModel):
    slug: str
    name: str
    acronym: str
    type: str
    type_label: str
    description: str
    passages: int
    figures: int


class MeasureCardOut(MeasureSummaryOut):
    aliases: list[str]
    source: CitationOut
    figure_rows: list[FigureOut]
    how_it_works: list[PassageOut]
    effectiveness: list[PassageOut]
    concerns: list[PassageOut]


def _cite_out(cite: MeasureCitation) -> CitationOut:
    return CitationOut(passage_id=cite.passage_id, doc_id=cite.doc_id, doc_short_title=cite.doc_short_title,
                       section=cite.section, page=cite.page)


def _summary(card: MeasureCard) -> dict:
    return {"slug": card.slug, "name": card.name, "acronym": card.acronym, "type": card.type,
            "type_label": card.type_label, "description": card.description, "passages": len(card.passages),
            "figures": len(card.figures)}


def _card_or_404(retriever, slug: str) -> MeasureCard:
    """The card of ``slug`` with the passages the search gathers for it (retriever.measures)."""
    card = retriever.measures.card(slug) if SLUG_RE.match(slug) else None
    if card is None:
        raise HTTPException(status_code=404, detail="No measure card with that name; see /measures for the list.")
    return retriever.measures.gathered(card)


@api_router.get("/measures", response_model=list[MeasureSummaryOut], summary="All measure cards (summaries)")
def api_measures(retriever: RetrieverDep) -> list[MeasureSummaryOut]:
    return [MeasureSummaryOut(**_summary(retriever.measures.gathered(c))) for c in retriever.measures.cards]


@api_router.get("/measures/{slug}", response_model=MeasureCardOut, summary="One measure card")
def api_measure(slug: str, retriever: RetrieverDep) -> MeasureCardOut:
    card = _card_or_404(retriever, slug)
    groups = {g: [PassageOut(group=p.group, score=p.score, mentions=p.mentions, in_heading=p.in_heading,
                             snippet=p.snippet, cues=list(p.cues), cite=_cite_out(p.cite))
                  for p in card.group(g)] for g in GROUPS}
    figures = [FigureOut(caption=f.caption, label=f.label, values=list(f.values), note=f.note, cite=_cite_out(f.cite))
               for f in card.figures]
    return MeasureCardOut(**_summary(card), aliases=card.aliases, source=_cite_out(card.source),
                          figure_rows=figures, **groups)


# --- pages ---------------------------------------------------------------------------------------------
def passage_url(request: Request, cite: MeasureCitation) -> str:
    """The reader, scrolled to the cited passage."""
    return str(request.url_for("reader", doc_id=cite.doc_id)) + f"?p={cite.passage_id}#p-{cite.passage_id}"


def _cite_view(request: Request, cite: MeasureCitation) -> dict:
    return {"id": cite.passage_id, "short_title": cite.doc_short_title, "section": cite.section,
            "page": f"p. {cite.page}" if cite.page else None, "url": passage_url(request, cite)}


@router.get("/measures", response_class=HTMLResponse, name="measures")
def measures_index(request: Request, retriever: RetrieverDep, type: str | None = None) -> HTMLResponse:  # noqa: A002
    types = retriever.measures.types()
    if type is not None and type not in {t.key for t in types}:
        raise HTTPException(status_code=404, detail=f"No measure type {type[:40]!r}; the types are "
                            + ", ".join(t.key for t in types) + ".")
    shown = [t for t in types if type is None or t.key == type]
    return TEMPLATES.TemplateResponse(request, "measures.html", {
        "types": types, "shown": shown, "selected": type or "", "total": len(retriever.measures)})


@router.get("/measures/{slug}", response_class=HTMLResponse, name="measure")
def measure_page(request: Request, slug: str, retriever: RetrieverDep) -> HTMLResponse:
    card = _card_or_404(retriever, slug)
    groups = []
    for key in GROUPS:
        items = [{"snippet": p.snippet, "cues": p.cues, "in_heading": p.in_heading, "mentions": p.mentions,
                  **_cite_view(request, p.cite)} for p in card.group(key)]
        groups.append({"key": key, "title": GROUP_TITLES[key], "first": items[:PASSAGES_SHOWN],
                       "rest": items[PASSAGES_SHOWN:], "count": len(items)})
    figures = [{"caption": f.caption, "label": f.label, "cells": f.values, "note": f.note,
                **_cite_view(request, f.cite)} for f in card.figures]
    return TEMPLATES.TemplateResponse(request, "measure.html", {
        "card": card, "source": _cite_view(request, card.source), "groups": groups, "figures": figures})


# --- on the search page -----------------------------------------------------------------------------------
def measure_box(request: Request, card: MeasureCard) -> dict:
    """The compact card shown above the results."""
    return {"slug": card.slug, "name": card.name, "acronym": card.acronym, "type_label": card.type_label,
            "description": card.description, "url": str(request.url_for("measure", slug=card.slug)),
            "counts": {GROUP_TITLES[g]: len(card.group(g)) for g in GROUPS}, "figures": len(card.figures)}


def search_measures(request: Request, retriever, query: str, answer: Answer) -> dict:
    """Template context for the search page: ``measure_card`` (the card the query names, or None)
    and ``measure_links`` (``measure_links``)."""
    named = retriever.measure_for(query)
    shown = named.slug if named else None
    links = [link for link in measure_links(request, retriever, query, answer) if link["slug"] != shown]
    return {"measure_card": measure_box(request, retriever.measures.gathered(named)) if named else None,
            "measure_links": links}  # the card shown above is not linked again


def measure_links(request: Request, retriever, query: str, answer: Answer) -> list[dict]:
    """"About <measure>" links: the measures the question or an answer sentence names, by name or
    alias (never a measure that merely shares a table passage with the answer); none when the reports
    do not cover the question."""
    if answer.outcome == "not_covered":
        return []
    texts = [query] + [s.text for s in answer.sentences]
    return [{"slug": c.slug, "name": c.name, "url": str(request.url_for("measure", slug=c.slug))}
            for c in retriever.measures.named_in(texts)[:LINKS_SHOWN]]
