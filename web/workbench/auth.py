"""Who may write from the evaluator workbench, and the small browser state it keeps.

- Writes (judgements, undo, starting an eval run) need the server-level permission,
  ``settings.evaluator_mode`` (REPORTQA_EVALUATOR_MODE); 403 otherwise. The access token (when
  set) is checked before any route, as for every page.
- Showing the judgement buttons is a per-browser toggle (a cookie), not a restart.
- The evaluator's name is the browser's: localStorage with JavaScript, a form field (remembered in
  a cookie) without.
- HTML forms that write carry a per-browser form token (double-submit: the same random value in a
  SameSite=Strict cookie and a hidden field), so another site cannot post them.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl, quote, unquote

from fastapi import HTTPException, Request
from starlette.responses import Response

from reportqa.judgements import normalise_name
from reportqa.settings import Settings

JUDGING_COOKIE = "reportqa_judging"
NAME_COOKIE = "reportqa_evaluator"
FORM_COOKIE = "reportqa_form"
COOKIE_SECONDS = 30 * 24 * 3600
MAX_FORM_FIELDS = 20


def require_evaluator(settings: Settings) -> None:
    """403 unless the server allows evaluators to write."""
    if not settings.evaluator_mode:
        raise HTTPException(status_code=403, detail="Judgements and eval runs are off: start the server with "
                                                    "REPORTQA_EVALUATOR_MODE=true to record them.")


def judging_on(request: Request, settings: Settings) -> bool:
    """Judgement buttons show when the server allows evaluators and this browser turned them on."""
    return settings.evaluator_mode and request.cookies.get(JUDGING_COOKIE) == "1"


def evaluator_name(request: Request) -> str:
    """The name this browser gave last (from its cookie), or ''."""
    return normalise_name(unquote(request.cookies.get(NAME_COOKIE, "")))


def form_token(request: Request) -> str:
    """This browser's form token (a new one when it has none; ``remember_form_token`` sets it)."""
    token = request.cookies.get(FORM_COOKIE, "")
    return token if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum() \
        else secrets.token_urlsafe(32)


def remember_form_token(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(FORM_COOKIE, token, max_age=COOKIE_SECONDS, httponly=True, samesite="strict",
                        secure=secure, path="/")


def remember_choices(response: Response, judging: bool | None, name: str | None, secure: bool) -> None:
    """Store the judging toggle and the evaluator's name (readable by app.js, not secret)."""
    if judging is not None:
        response.set_cookie(JUDGING_COOKIE, "1" if judging else "0", max_age=COOKIE_SECONDS, samesite="strict",
                            secure=secure, path="/")
    if name:
        response.set_cookie(NAME_COOKIE, quote(name), max_age=COOKIE_SECONDS, samesite="strict", secure=secure,
                            path="/")


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a posted urlencoded form, after checking its form token (403 when missing or
    wrong: the page is stale or the post came from elsewhere)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status_code=415, detail="Send this form from the evaluator page.")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(status_code=400, detail="The form could not be read.") from exc
    fields = dict(pairs)
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not hmac.compare_digest(fields.get("form_token", "").encode(), cookie.encode()):
        raise HTTPException(status_code=403, detail="This form has expired: reload the evaluator page and try again.")
    return fields
