"""HTML pages: search (home), the report reader, glossary, about, and the evaluator view.

Every page works with JavaScript off (plain GET forms and links); app.js only adds copying
citations to the clipboard and the evaluator's judgement buttons.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from reportqa.records import Hit
from web.deps import DocParam, QueryParam, RetrieverDep, SettingsDep, clean_query, filters_for
from web.render import SAFE_ID, ReaderRenderer, citation_text, display_sentence, highlighted, table_card

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
EXAMPLES = [
    "same car keeps turning up outside the school at home time, can we flag it?",
    "what is a CAWN and what happens if it is breached?",
    '"relentless disruption"',
]
REPORT_FILE = re.compile(r"^(?:(?:heldout|sealed|all)/)?\d{4}-\d{2}-\d{2}-[A-Za-z0-9+_.-]+\.(png|md|json)$")
RESULTS_SHOWN = 6

router = APIRouter(include_in_schema=False)


def _card(request: Request, retriever, hit: Hit) -> dict:
    p = hit.passage
    doc = retriever.documents[p.doc_id]
    url = str(request.url_for("reader", doc_id=p.doc_id)) + f"?p={p.passage_id}#p-{p.passage_id}"
    page = None
    if p.page_start:
        page = f"p. {p.page_start}" + (f"–{p.page_end}" if p.page_end and p.page_end != p.page_start else "")
    return {
        "id": p.passage_id, "doc_id": p.doc_id, "short_title": doc.meta.short_title, "section": p.section_label,
        "page": page, "url": url,
        "html": table_card(p.text, hit.highlights) if p.kind == "table" else highlighted(p.text, hit.highlights),
        "is_table": p.kind == "table",
        "citation": citation_text(p, doc.meta.title, doc.meta.publisher, doc.meta.year, url),
    }


def _documents(retriever) -> list[dict]:
    return [{"id": d.meta.doc_id, "short_title": d.meta.short_title, "title": d.meta.title}
            for d in retriever.documents.values()]


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, retriever: RetrieverDep, settings: SettingsDep, q: QueryParam = None,
         doc: DocParam = None) -> HTMLResponse:
    echo = (q or "")[:settings.max_query_chars]  # a 100,000-character query is not echoed back whole
    context = {"documents": _documents(retriever), "examples": EXAMPLES, "q": echo, "doc": doc or "",
               "evaluator": settings.evaluator_mode, "answer": None, "cards": [], "error": None}
    try:
        query = clean_query(q, settings, required=False)
        filters = filters_for(retriever, doc)
    except HTTPException as exc:
        context["error"] = exc.detail
        return TEMPLATES.TemplateResponse(request, "search.html", context, status_code=exc.status_code)
    if query:
        answer = retriever.ask(query, filters=filters, k=RESULTS_SHOWN)
        cards = [_card(request, retriever, h) for h in answer.hits]
        by_id = {c["id"]: c for c in cards}
        extra = [_card(request, retriever, Hit(c.passage, c.doc_title, 0.0)) for c in answer.citations
                 if c.passage.passage_id not in by_id]
        context["cards"] = cards + extra
        context["answer"] = {
            "abstained": answer.abstained,
            "outcome": answer.outcome,
            "reasons": answer.reasons,
            "corrections": answer.corrections,
            "sentences": [{"text": display_sentence(s.text), "n": s.citation,
                           "target": next(c.passage.passage_id for c in answer.citations if c.n == s.citation)}
                          for s in answer.sentences],
            "citations": [{"n": c.n, "id": c.passage.passage_id, "short_title":
                           retriever.documents[c.passage.doc_id].meta.short_title,
                           "section": c.passage.section_label} for c in answer.citations],
        }
    return TEMPLATES.TemplateResponse(request, "search.html", context)


@router.get("/doc/{doc_id}", response_class=HTMLResponse, name="reader")
def reader(request: Request, doc_id: str, retriever: RetrieverDep, p: str | None = None) -> HTMLResponse:
    if not SAFE_ID.match(doc_id) or doc_id not in retriever.documents:
        raise HTTPException(status_code=404, detail="No report with that id.")
    doc = retriever.documents[doc_id]
    passages = [x for x in retriever.passages if x.doc_id == doc_id]
    focus = None
    if p:
        focus = retriever.passage(p) if SAFE_ID.match(p) else None
        if focus is None or focus.doc_id != doc_id:
            raise HTTPException(status_code=404, detail="No passage with that id in this report.")
    renderer = ReaderRenderer(doc, passages, focus)
    body = renderer.render()
    return TEMPLATES.TemplateResponse(request, "reader.html", {
        "doc": doc.meta, "body": body, "headings": renderer.headings, "focus": focus,
        "documents": _documents(retriever)})


@router.get("/glossary", response_class=HTMLResponse, name="glossary")
def glossary(request: Request, retriever: RetrieverDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "glossary.html", {
        "entries": retriever.glossary(), "documents": _documents(retriever)})


@router.get("/about", response_class=HTMLResponse, name="about")
def about(request: Request, retriever: RetrieverDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "about.html", {
        "reports": [d.meta for d in retriever.documents.values()], "documents": _documents(retriever),
        "manifest": retriever.manifest})


def latest_summaries(reports_dir: Path) -> list[tuple[dict, str | None]]:
    """The newest eval summary of each split (dev in reports/, others in reports/<split>/), with
    the path of its plot relative to reports/ (or None)."""
    found = []
    for folder in [reports_dir] + (sorted(p for p in reports_dir.iterdir() if p.is_dir())
                                   if reports_dir.is_dir() else []):
        summaries = sorted(folder.glob("*-summary.json"))
        if not summaries:
            continue
        data = json.loads(summaries[-1].read_text(encoding="utf-8"))
        plot = folder / f"{data.get('date', '')}-recall.png"
        found.append((data, str(plot.relative_to(reports_dir)) if plot.exists() else None))
    return found


@router.get("/evaluator", response_class=HTMLResponse, name="evaluator")
def evaluator(request: Request, retriever: RetrieverDep, settings: SettingsDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "evaluator.html", {
        "summaries": latest_summaries(settings.reports_dir), "evaluator": settings.evaluator_mode,
        "documents": _documents(retriever)})


@router.get("/eval-reports/{name:path}", name="eval_report")
def eval_report(name: str, settings: SettingsDep) -> FileResponse:
    path = settings.reports_dir / name
    if not REPORT_FILE.match(name) or not path.is_file():
        raise HTTPException(status_code=404, detail="No such report file.")
    return FileResponse(path)
