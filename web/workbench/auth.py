"""Who may write from the evaluator workbench, and the small browser state it keeps.

- Writes (judgements, undo, starting an eval run) need the server-level permission,
  ``settings.evaluator_mode`` (REPORTQA_EVALUATOR_MODE); 403 otherwise. The access token (when
  set) is checked before any route, as for every page, and a write sent by a page of another
  origin is refused before any route too (web/middleware/origin.py).
- Showing the judgement buttons is a per-browser toggle (a cookie), not a restart.
- The evaluator's name is the browser's: localStorage with JavaScript, a form field (remembered in
  a cookie) without.
- HTML forms that write carry a form token: an HMAC, under the server's form key, of this
  browser's form session (a random id in a SameSite=Strict cookie) and of its sign-in session
  (the access-token cookie, when the server has a token). Another site can plant a form cookie
  (any server on the same host can), but cannot compute the token that goes with it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from fastapi import HTTPException, Request
from starlette.responses import Response

from reportqa.judgements import normalise_name
from reportqa.settings import Settings
from web.middleware.token_auth import TOKEN_COOKIE

log = logging.getLogger(__name__)
JUDGING_COOKIE = "reportqa_judging"
NAME_COOKIE = "reportqa_evaluator"
FORM_COOKIE = "reportqa_form"
COOKIE_SECONDS = 30 * 24 * 3600
MAX_FORM_FIELDS = 20
SESSION_CHARS = 43  # secrets.token_urlsafe(32)
KEY_BYTES = 32
_KEYS: dict[Path, bytes] = {}
_KEYS_LOCK = threading.Lock()


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


# --- the form key and tokens ------------------------------------------------------------------------------------
def form_key(path: Path) -> bytes:
    """The server's form key, kept in the file ``path`` so every worker, and the server after a
    restart, signs alike: read, or made (readable by this user only) when there is none. When it
    can be neither read nor made, a key for this process only (logged: forms then work only within
    one worker and until a restart)."""
    with _KEYS_LOCK:
        key = _KEYS.get(path)
        if key is None:
            key = _KEYS[path] = _read_or_make_key(path)
        return key


def _read_or_make_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) >= KEY_BYTES:
            return key
        raise ValueError(f"{path} holds no key")
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.error("the form key %s cannot be read (%s); forms are signed with a key of this process only", path, exc)
        return secrets.token_bytes(KEY_BYTES)
    key = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex())
        os.link(temporary, path)  # never replaces a key another worker made meanwhile
        return key
    except FileExistsError:
        return _read_or_make_key(path)
    except OSError as exc:
        log.error("the form key cannot be kept in %s (%s); forms are signed with a key of this process only",
                  path, exc)
        return key
    finally:
        temporary.unlink(missing_ok=True)


def form_session(request: Request) -> str:
    """This browser's form session (a new random one when it has none, or one that is not
    well-formed; ``remember_form_session`` sets it)."""
    session = request.cookies.get(FORM_COOKIE, "")
    well_formed = len(session) == SESSION_CHARS and session.replace("-", "").replace("_", "").isalnum() \
        and session.isascii()
    return session if well_formed else secrets.token_urlsafe(32)


def form_token(request: Request, session: str, settings: Settings) -> str:
    """The token the forms of ``session`` carry: bound to it, and to this browser's sign-in."""
    signed_in = request.cookies.get(TOKEN_COOKIE, "")
    message = f"reportqa-form:{session}:{signed_in}".encode()
    return hmac.new(form_key(settings.form_key_path), message, hashlib.sha256).hexdigest()


def remember_form_session(response: Response, session: str, secure: bool) -> None:
    response.set_cookie(FORM_COOKIE, session, max_age=COOKIE_SECONDS, httponly=True, samesite="strict",
                        secure=secure, path="/")


def remember_choices(response: Response, judging: bool | None, name: str | None, secure: bool) -> None:
    """Store the judging toggle and the evaluator's name (readable by app.js, not secret)."""
    if judging is not None:
        response.set_cookie(JUDGING_COOKIE, "1" if judging else "0", max_age=COOKIE_SECONDS, samesite="strict",
                            secure=secure, path="/")
    if name:
        response.set_cookie(NAME_COOKIE, quote(name), max_age=COOKIE_SECONDS, samesite="strict", secure=secure,
                            path="/")


async def read_form(request: Request, settings: Settings) -> dict[str, str]:
    """The fields of a posted urlencoded form, after checking its form token against this
    browser's form session (403 when missing or wrong: the page is stale or the post came from
    elsewhere); 415 for another kind of body, 400 for one that cannot be read."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status_code=415, detail="Send this form from the evaluator page.")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(status_code=400, detail="The form could not be read.") from exc
    fields = dict(pairs)
    session = request.cookies.get(FORM_COOKIE, "")
    expected = form_token(request, session, settings).encode()
    if not session or not hmac.compare_digest(fields.get("form_token", "").encode(), expected):
        raise HTTPException(status_code=403, detail="This form has expired: reload the evaluator page and try again.")
    return fields
