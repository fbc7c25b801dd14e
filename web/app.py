"""Wires the web app: routers, static files, middleware, error pages, and the retriever holder."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa import __version__
from reportqa.settings import Settings
from web import api, api_docs, measures, pages, workbench
from web.holder import RetrieverHolder
from web.middleware import add_middleware
from web.templating import TEMPLATES

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api", "/docs", "/openapi", "/redoc"))


def create_app(settings: Settings, holder: RetrieverHolder | None = None, load_on_startup: bool = True):
    """The ASGI app. With ``load_on_startup`` the index is opened (and the model warmed up)
    before the first request, so no user waits for it."""
    holder = holder or RetrieverHolder(settings)

    @asynccontextmanager
    async def lifespan(app):
        if load_on_startup and not holder.loaded:
            holder.load()
        yield

    app = FastAPI(
        title="ReportQA",
        version=__version__,
        description="Plain-language questions over CSA Centre research reports, answered with cited passages.",
        lifespan=lifespan,
        docs_url=None,  # /docs is the app's own page (web/api_docs.py): Swagger UI fails its accessibility checks
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(api.router)
    app.include_router(api_docs.router)
    app.include_router(workbench.router)
    app.include_router(pages.router)
    app.include_router(measures.api_router)
    app.include_router(measures.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_html(request):
            return TEMPLATES.TemplateResponse(
                request, "error.html", {"status": exc.status_code, "detail": exc.detail, "documents": []},
                status_code=exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', []))}: {e.get('msg')}" for e in exc.errors())
        detail = f"Invalid request: {problems}"
        if _wants_html(request):
            return TEMPLATES.TemplateResponse(
                request, "error.html", {"status": 422, "detail": detail, "documents": []}, status_code=422)
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(sqlite3.DatabaseError)
    async def damaged_index(request: Request, exc: sqlite3.DatabaseError):
        log.error("the index database cannot be read (%s)", exc)
        detail = ("The index is damaged and cannot be read. An administrator should run "
                  "`reportqa index --rebuild`.")
        if _wants_html(request):
            return TEMPLATES.TemplateResponse(
                request, "error.html", {"status": 503, "detail": detail, "documents": []}, status_code=503)
        return JSONResponse({"detail": detail}, status_code=503)

    add_middleware(app, settings)
    return app
