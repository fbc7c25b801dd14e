"""What every workbench page shares: rendering a template with the evaluator's state (judging on
or off, their name, the form token), and going back to a workbench page with a note after a form."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from reportqa.settings import Settings
from web.templating import TEMPLATES
from web.workbench.auth import evaluator_name, form_token, judging_on, remember_form_token

HOME = "/evaluator"
MAX_NOTE = 300


def render(request: Request, name: str, context: dict, settings: Settings, status_code: int = 200) -> Response:
    """Render a workbench template with what every workbench page needs, and keep the form token."""
    token = form_token(request)
    context = {"documents": [], "evaluator": settings.evaluator_mode, "judging": judging_on(request, settings),
               "who": evaluator_name(request), "form_token": token,
               "note": request.query_params.get("note", "")[:MAX_NOTE], **context}
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    remember_form_token(response, token, request.url.scheme == "https")
    return response


def back_to(target: str | None, default: str = HOME) -> str:
    """A place on the workbench to go back to (never another site)."""
    if not target or not target.startswith(HOME) or "//" in target or "\\" in target:
        return default
    return "".join(ch for ch in target if ch.isprintable())


def with_note(target: str, note: str) -> RedirectResponse:
    """A redirect (303) to ``target`` with ``note`` in its address, in place of any note it had."""
    base = target.split("#")[0]
    parts = [p for p in base.split("?", 1)[1].split("&") if p and not p.startswith("note=")] if "?" in base else []
    query = "&".join(parts + [urlencode({"note": note})])
    return RedirectResponse(base.split("?")[0] + "?" + query, status_code=303)
