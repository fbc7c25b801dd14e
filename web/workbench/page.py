"""What every workbench page shares: rendering a template with the evaluator's state (judging on
or off, their name, the form token), and going back to a workbench page after a form, to the
place on it that was acted on, with a note saying what was done."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from reportqa.settings import Settings
from web.templating import TEMPLATES
from web.workbench.auth import (
    evaluator_name,
    form_session,
    form_token,
    judging_on,
    remember_form_session,
)

HOME = "/evaluator"
MAX_NOTE = 300
PLACE = re.compile(r"[A-Za-z0-9_.-]{1,220}")  # an element id to go back to (a passage id fits)


def render(request: Request, name: str, context: dict, settings: Settings, status_code: int = 200) -> Response:
    """Render a workbench template with what every workbench page needs, and keep the form session.
    A note the page is sent back with is shown in the element it is about (``focus`` in the address,
    when it is one of the ``places`` the page's context lists), or else at the top of the page."""
    session = form_session(request)
    place = place_id(request.query_params.get("focus"))
    context = {"documents": [], "evaluator": settings.evaluator_mode, "judging": judging_on(request, settings),
               "who": evaluator_name(request), "form_token": form_token(request, session, settings),
               "note": request.query_params.get("note", "")[:MAX_NOTE], **context}
    context["focus"] = place if place in context.get("places", ()) else ""
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    remember_form_session(response, session, request.url.scheme == "https")
    return response


def back_to(target: str | None, default: str = HOME) -> str:
    """A place on the workbench to go back to (never another site)."""
    if not target or not target.startswith(HOME) or "//" in target or "\\" in target:
        return default
    return "".join(ch for ch in target if ch.isprintable())


def place_id(value: str | None) -> str:
    """``value`` as an element id to go back to ('' when it cannot be one)."""
    value = value or ""
    return value if PLACE.fullmatch(value) else ""


def with_note(target: str, note: str, place: str = "") -> RedirectResponse:
    """A redirect (303) to ``target`` with ``note`` in its address, in place of any note it had;
    with ``place`` (an element id), to that element of the page, which then shows the note and
    takes the focus."""
    base = target.split("#")[0]
    drop = ("note=", "focus=")
    parts = [p for p in base.split("?", 1)[1].split("&") if p and not p.startswith(drop)] if "?" in base else []
    place = place_id(place)
    query = "&".join(parts + [urlencode({"note": note, **({"focus": place} if place else {})})])
    return RedirectResponse(base.split("?")[0] + "?" + query + (f"#{place}" if place else ""), status_code=303)
