"""HTML pages: search (home), the report reader, glossary and about. The evaluator workbench's
pages are in web/workbench/.

Every page works with JavaScript off (plain GET forms and links); app.js only adds copying
citations to the clipboard and the evaluator's judgement buttons.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from reportqa.citation import is_local_address, page_ref, passage_link
from retriever.answer_lines import table_line
from retriever.results import Hit
from web.answer_block import row_table
from web.deps import DocParam, QueryParam, RetrieverDep, SettingsDep, clean_query, filters_for
from web.measures import search_measures
from web.reader_links import resolve_link
from web.render import (
    CITATION_STYLES,
    SAFE_ID,
    ReaderRenderer,
    byline,
    citer_for,
    highlighted,
    table_card,
)
from web.search_page import (
    CardGroup,
    answer_lines,
    collapse_adjacent,
    lead_line,
    more_link,
    page_title,
    parse_offset,
    speaker_key,
    suggestion_links,
    with_speaker_codes,
)
from web.templating import TEMPLATES

EXAMPLES = [
    "same car keeps turning up outside the school at home time, can we flag it?",
    "what is a CAWN and what happens if it is breached?",
    '"relentless disruption"',
]
RESULTS_SHOWN = 6
TITLE_QUERY_CHARS = 60  # a long query is cut in the page title (the tab, the history, a screen reader's first words)
BLANK_QUERY = "The search box was empty: type a question or some words."

router = APIRouter(include_in_schema=False)


def _card(request: Request, retriever, hit: Hit) -> dict:
    p = hit.passage
    doc = retriever.documents[p.doc_id]
    url = passage_link("", p)  # in the app: a relative link; citations use the public base URL
    cited = citer_for(retriever, request.app.state.settings)(p)
    formats = cited.formats() if cited else {}
    page = page_ref(p) or None  # 'p. 44', 'pp. 44–45', or 'section begins p. 44'
    return {
        "id": p.passage_id, "doc_id": p.doc_id, "short_title": doc.meta.short_title, "section": p.section_label,
        "page": page, "url": url,
        "html": table_card(p.text, hit.highlights) if p.kind == "table" else highlighted(p.text, hit.highlights),
        "is_table": p.kind == "table",
        "citation": cited.harvard if cited else "",
        "citations": [(key, label, formats[key]) for key, label in CITATION_STYLES] if cited else [],
    }


def _group_card(request: Request, retriever, group: CardGroup) -> dict:
    """A result card for a hit, or for adjacent passages of one section merged into one; a table
    row is a small table, and survey speaker codes get their meaning as a tooltip."""
    card = _card(request, retriever, group.hit)
    line = table_line(group.hit.passage, 0, len(group.hit.passage.text))
    if group.hit.passage.kind == "table_row" and line is not None:
        card.update(html=row_table(line.caption, line.header, line.cells), is_table=True)
    card.update(html=with_speaker_codes(card["html"]), ids=group.passage_ids, section_url=group.section_url)
    if group.best is not None:  # a merged card is judged and opened as the passage that ranked
        card.update(id=group.best.passage_id, url=passage_link("", group.best))
    return card


def _documents(retriever) -> list[dict]:
    """The reports for the filter, by their stored short titles: the ones cards and citations show,
    made distinct at index time (indexer.titles.distinct_short_titles)."""
    return [{"id": d.meta.doc_id, "short_title": d.meta.short_title, "title": d.meta.title}
            for d in retriever.documents.values()]


def unlinked_citations_note(settings) -> str | None:
    """The base URL citations would link under, when it is a loopback address and they therefore carry
    no passage link (the search page then says how to set REPORTQA_PUBLIC_BASE_URL); else None."""
    return settings.base_url if is_local_address(settings.base_url) else None


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, retriever: RetrieverDep, settings: SettingsDep, q: QueryParam = None,
         doc: DocParam = None, offset: str | None = None) -> HTMLResponse:
    blank = q is not None and not q.strip()  # spaces only: the home page again, saying so, never an empty answer
    echo = "" if blank else (q or "")[:settings.max_query_chars]  # a 100,000-character query is not echoed whole
    home_url = str(request.url_for("home"))
    context = {"documents": _documents(retriever), "examples": EXAMPLES, "q": echo, "doc": doc or "",
               "title": page_title(echo, TITLE_QUERY_CHARS), "notice": BLANK_QUERY if blank else None,
               "evaluator": settings.evaluator_mode, "answer": None, "cards": [], "error": None,
               "suggestions": [] if echo else suggestion_links(home_url, retriever.sample_questions(
                   settings.home_suggestions)), "related": [], "more_url": None, "offset": 0,
               "unlinked_base": unlinked_citations_note(settings), "speaker_key": [],
               "speaker_key_in_answer": False}
    try:
        query = clean_query(q, settings, required=False)
        filters = filters_for(retriever, doc)
        window = parse_offset(offset, RESULTS_SHOWN, settings.more_results_page, settings.rerank_depth)
    except HTTPException as exc:
        context["error"] = exc.detail
        return TEMPLATES.TemplateResponse(request, "search.html", context, status_code=exc.status_code)
    if query:
        answer = retriever.ask(query, filters=filters, k=window.fetch)
        shown = answer.hits[window.offset:window.offset + window.size]
        cards = [_group_card(request, retriever, g) for g in collapse_adjacent(
            shown, retriever.passages, retriever.passage_positions,
            {k: d.text for k, d in retriever.documents.items()})]
        context["offset"] = window.offset
        context["more_url"] = more_link(home_url, query, doc or "", window, len(answer.hits))
        context["related"] = suggestion_links(home_url, retriever.related_questions(
            answer.hits[:3], query, settings.suggested_questions))
        by_id = {pid for c in cards for pid in c["ids"]}
        extra = [_card(request, retriever, Hit(c.passage, c.doc_title, 0.0)) for c in answer.citations
                 if c.passage.passage_id not in by_id] if not window.offset else []  # later pages: passages only
        context["cards"] = cards + extra
        context["answer"] = {
            "abstained": answer.abstained,
            "outcome": answer.outcome,
            "reasons": answer.reasons,
            "corrections": answer.corrections,
            "sentences": answer_lines(answer),  # each with its html: a balanced quotation or a small table
            "lead": lead_line(answer),  # closest: "The closest the reports come:"
            "citations": [{"n": c.n, "id": c.passage.passage_id, "short_title":
                           retriever.documents[c.passage.doc_id].meta.short_title,
                           "section": c.passage.section_label} for c in answer.citations],
        }
        context.update(search_measures(request, retriever, query, answer))  # measure_card, measure_links
        context["speaker_key"] = speaker_key([h.passage.text for h in shown] + [
            c.passage.text for c in answer.citations])  # every quote shown is in one of these passages
        context["speaker_key_in_answer"] = bool(speaker_key(
            [s.text for s in answer.sentences] + ([answer.lead.text] if answer.lead else [])))
    return TEMPLATES.TemplateResponse(request, "search.html", context)


@router.get("/doc/{doc_id}", response_class=HTMLResponse, name="reader")
def reader(request: Request, doc_id: str, retriever: RetrieverDep, p: str | None = None, s: str | None = None,
           t: str | None = None) -> HTMLResponse:
    """A report in full. A link to a passage that no longer exists (the report was re-indexed) still
    lands: on the passage holding its text anchor, else its section, else the top, with a note."""
    if not SAFE_ID.match(doc_id) or doc_id not in retriever.documents:
        raise HTTPException(status_code=404, detail="No report with that id.")
    doc = retriever.documents[doc_id]
    passages = [x for x in retriever.passages if x.doc_id == doc_id]
    found = resolve_link(passages, retriever.passage(p) if p and SAFE_ID.match(p) else None, p, s, t)
    renderer = ReaderRenderer(doc, passages, found.focus)
    body = renderer.render()
    return TEMPLATES.TemplateResponse(request, "reader.html", {
        "doc": doc.meta, "byline": byline(doc.meta), "body": body, "headings": renderer.headings,
        "focus": found.focus, "moved": found.note,
        "section_start": found.section_start,
        "documents": _documents(retriever)})


@router.get("/glossary", response_class=HTMLResponse, name="glossary")
def glossary(request: Request, retriever: RetrieverDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "glossary.html", {
        "entries": retriever.glossary_entries(), "min_uses": retriever.settings.glossary_min_uses,
        "documents": _documents(retriever)})


@router.get("/about", response_class=HTMLResponse, name="about")
def about(request: Request, retriever: RetrieverDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "about.html", {
        "reports": [{"meta": d.meta, "byline": byline(d.meta)} for d in retriever.documents.values()],
        "documents": _documents(retriever),
        "manifest": retriever.manifest})
