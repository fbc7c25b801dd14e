"""Who may write from the workbench (web/workbench/auth.py): writes need the evaluator permission,
forms need their form token (bound to this browser's form session and sign-in under the server's
key) and must be small urlencoded forms, writes come from this server's own pages only, the judgement
buttons need the permission and this browser's choice, and the whole workbench is behind the access
token."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import client_for
from pydantic import SecretStr
from workbench_support import form_token, post_form

from reportqa.judgements import load_judgements
from web.middleware.token_auth import TOKEN_COOKIE, TokenAuthMiddleware
from web.workbench import auth
from web.workbench.auth import FORM_COOKIE

FORM_TYPE = "application/x-www-form-urlencoded"


def test_writes_need_the_evaluator_setting(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"evaluator_mode": False}), fake_retriever)
    pid = fake_retriever.passages[0].passage_id
    assert client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True}).status_code == 403
    assert client.post("/api/judgements/undo", json={"query": "q", "passage_id": pid, "who": "a"}).status_code == 403
    for path, fields in (("/evaluator/jobs", {"configs": "bm25"}),
                         ("/evaluator/judgements", {"query": "q", "passage_id": pid, "relevant": "true", "who": "a"}),
                         ("/evaluator/judgements/undo", {"query": "q", "passage_id": pid, "who": "a"}),
                         ("/evaluator/session", {"judging": "on", "who": "a"})):
        assert post_form(client, path, fields).status_code == 403, path
    assert client.get("/evaluator").status_code == 200  # reading stays open
    assert not wb_settings.judgements_path.exists()


def test_forms_need_their_form_token(wb_client) -> None:
    response = wb_client.post("/evaluator/session", data={"judging": "on", "who": "a", "form_token": "forged"})
    assert response.status_code == 403 and "expired" in response.text


def test_the_workbench_is_behind_the_access_token(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"api_token": SecretStr("s3cret")}), fake_retriever)
    assert client.get("/evaluator", headers={"accept": "application/json"}).status_code == 401
    assert client.get("/evaluator/judgements.qrels").status_code == 401
    assert client.get("/evaluator", headers={"authorization": "Bearer s3cret"}).status_code == 200


def test_a_form_must_be_a_urlencoded_form_of_few_fields(wb_client) -> None:
    token = form_token(wb_client)
    as_json = wb_client.post("/evaluator/session", json={"judging": "on", "form_token": token})
    assert as_json.status_code == 415 and "from the evaluator page" in as_json.text
    undecodable = wb_client.post("/evaluator/session", content=b"who=\xff\xfe&form_token=" + token.encode(),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert undecodable.status_code == 400
    crowded = "&".join(f"f{n}=x" for n in range(40)) + f"&form_token={token}"
    assert wb_client.post("/evaluator/session", content=crowded.encode(),
                          headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 400


def test_the_judgement_buttons_need_the_permission_and_this_browsers_choice(wb_client, wb_settings,
                                                                            fake_retriever) -> None:
    assert post_form(wb_client, "/evaluator/session", {"judging": "on", "who": "Fay"}).status_code == 303
    assert wb_client.cookies["reportqa_judging"] == "1" and wb_client.cookies["reportqa_evaluator"] == "Fay"
    assert 'data-testid="judging-state">on<' in wb_client.get("/evaluator").text
    closed = client_for(wb_settings.model_copy(update={"evaluator_mode": False}), fake_retriever,
                        cookies={"reportqa_judging": "1"})
    assert 'data-testid="judging-state">off<' in closed.get("/evaluator").text  # the server's permission first
    post_form(wb_client, "/evaluator/session", {"who": "Fay"})  # the box unticked: buttons off
    assert 'data-testid="judging-state">off<' in wb_client.get("/evaluator").text


# --- forms only from this browser's own session (issue 22, D4) --------------------------------------------------
def _post_with_cookies(client, path: str, fields: dict, cookies: dict[str, str]):
    """A form post carrying exactly ``cookies`` (the client's own jar set aside)."""
    jar = dict(client.cookies)
    client.cookies.clear()
    try:
        header = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return client.post(path, data=fields, headers={"cookie": header}, follow_redirects=False)
    finally:
        for name, value in jar.items():
            client.cookies.set(name, value)


def test_a_planted_form_cookie_cannot_be_posted_with_a_token_the_attacker_knows(wb_client, wb_settings,
                                                                                fake_retriever) -> None:
    known = "A" * 43  # a well-formed form session any server on this host could plant
    pid = fake_retriever.passages[0].passage_id
    for path, fields in (("/evaluator/session", {"judging": "on", "who": "CSRF"}),
                         ("/evaluator/judgements", {"query": "q", "passage_id": pid, "relevant": "false",
                                                    "who": "CSRF"})):
        refused = _post_with_cookies(wb_client, path, {**fields, "form_token": known}, {FORM_COOKIE: known})
        assert refused.status_code == 403 and "expired" in refused.text, path
    assert not wb_settings.judgements_path.exists()
    page = wb_client.get("/evaluator", headers={"cookie": f"{FORM_COOKIE}={known}"}).text
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)  # the page's own token for it
    assert token != known
    kept = _post_with_cookies(wb_client, "/evaluator/session", {"who": "Fay", "form_token": token},
                              {FORM_COOKIE: known})
    assert kept.status_code == 303


def test_a_form_token_belongs_to_one_form_session_and_one_sign_in(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"api_token": SecretStr("s3cret")}), fake_retriever)
    signed_in = TokenAuthMiddleware(None, "s3cret").session_value(int(time.time()) + 3600)
    later = TokenAuthMiddleware(None, "s3cret").session_value(int(time.time()) + 7200)  # valid, but not bound
    session = "S" * 43
    page = client.get("/evaluator", headers={"cookie": f'{FORM_COOKIE}={session}; {TOKEN_COOKIE}="{signed_in}"'})
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text).group(1)
    fields = {"who": "Fay", "form_token": token}
    ok = _post_with_cookies(client, "/evaluator/session", fields,
                            {FORM_COOKIE: session, TOKEN_COOKIE: f'"{signed_in}"'})
    assert ok.status_code == 303
    other_browser = _post_with_cookies(client, "/evaluator/session", fields,
                                       {FORM_COOKIE: "B" * 43, TOKEN_COOKIE: f'"{signed_in}"'})
    assert other_browser.status_code == 403
    other_sign_in = _post_with_cookies(client, "/evaluator/session", fields,
                                       {FORM_COOKIE: session, TOKEN_COOKIE: f'"{later}"'})
    assert other_sign_in.status_code == 403


def test_the_form_key_is_kept_for_every_worker_and_readable_by_this_user_only(tmp_path) -> None:
    path = tmp_path / "data" / ".reportqa-form-key"
    first = auth._read_or_make_key(path)  # two workers, or a restart: the key is read back, not made again
    assert auth._read_or_make_key(path) == first and len(first) == auth.KEY_BYTES
    assert path.stat().st_mode & 0o777 == 0o600
    assert auth._read_or_make_key(tmp_path / "other-key") != first
    path.write_text("not hex", encoding="ascii")
    assert len(auth._read_or_make_key(path)) == auth.KEY_BYTES  # a damaged key: one for this process, no crash


def test_a_write_from_another_origin_is_refused_and_records_nothing(wb_client, wb_settings, fake_retriever) -> None:
    pid = fake_retriever.passages[0].passage_id
    token = form_token(wb_client)
    judged = {"query": "csrf", "passage_id": pid, "relevant": "true", "who": "CSRF", "form_token": token}
    other_port = {"origin": "http://testserver:9999"}
    assert wb_client.post("/evaluator/judgements", data=judged, headers=other_port).status_code == 403
    assert wb_client.post("/evaluator/judgements", data=judged,
                          headers={"sec-fetch-site": "same-site"}).status_code == 403
    api = wb_client.post("/api/judgements", json={**judged, "relevant": True}, headers=other_port)
    assert api.status_code == 403 and "another site" in api.json()["detail"]
    assert not wb_settings.judgements_path.exists()
    own = wb_client.post("/evaluator/judgements", data=judged, follow_redirects=False,
                         headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"})
    assert own.status_code == 303 and len(load_judgements(wb_settings.judgements_path)) == 1


# --- exactly what the browser is given and what is checked (mutation testing, issue 22) ---------------------------
def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_workbench_cookies_are_strict_and_secure_over_https(wb_settings, fake_retriever, scheme: str) -> None:
    client = client_for(wb_settings, fake_retriever, base_url=f"{scheme}://testserver")
    secure = "; Secure" if scheme == "https" else ""
    page = client.get("/evaluator")
    form = _set_cookies(page)[FORM_COOKIE]
    assert re.fullmatch(rf"{FORM_COOKIE}=[A-Za-z0-9_-]{{43}}; HttpOnly; Max-Age=2592000; Path=/; SameSite=strict"
                        rf"{secure}", form), form
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text).group(1)
    saved = client.post("/evaluator/session", data={"judging": "on", "who": "Ann Lee", "form_token": token},
                        follow_redirects=False)
    cookies = _set_cookies(saved)
    attributes = f"; Max-Age=2592000; Path=/; SameSite=strict{secure}"  # readable by app.js: not HttpOnly
    assert cookies[auth.JUDGING_COOKIE] == f"{auth.JUDGING_COOKIE}=1{attributes}"
    assert cookies[auth.NAME_COOKIE] == f"{auth.NAME_COOKIE}=Ann%20Lee{attributes}"
    off = client.post("/evaluator/session", data={"who": "", "form_token": token}, follow_redirects=False)
    assert _set_cookies(off)[auth.JUDGING_COOKIE].startswith(f"{auth.JUDGING_COOKIE}=0;")
    assert auth.NAME_COOKIE not in _set_cookies(off)  # no name given: the one before is kept
    assert client.get("/evaluator").text.count('value="Ann Lee"') >= 1  # the name read back, decoded


def test_the_form_token_is_the_hmac_of_the_form_session_and_the_sign_in(wb_client, wb_settings) -> None:
    session = "S" * 43
    page = wb_client.get("/evaluator", headers={"cookie": f"{FORM_COOKIE}={session}"}).text
    key = auth.form_key(wb_settings.form_key_path)
    expected = hmac.new(key, f"reportqa-form:{session}:".encode(), hashlib.sha256).hexdigest()
    assert f'name="form_token" value="{expected}"' in page
    signed = wb_client.get("/evaluator", headers={"cookie": f'{FORM_COOKIE}={session}; {TOKEN_COOKIE}="1.ab"'}).text
    bound = hmac.new(key, f'reportqa-form:{session}:1.ab'.encode(), hashlib.sha256).hexdigest()
    assert f'value="{bound}"' in signed
    nobody = hmac.new(key, b"reportqa-form::", hashlib.sha256).hexdigest()
    refused = _post_with_cookies(wb_client, "/evaluator/session", {"who": "A", "form_token": nobody}, {})
    assert refused.status_code == 403  # no form session at all: refused, whatever the token


@pytest.mark.parametrize("cookie,kept", [("a-b_c" + "D" * 38, True), ("A" * 42, False), ("A" * 44, False),
                                         ("!" * 43, False), ("é" * 43, False), ("", False)])
def test_only_a_well_formed_form_session_is_kept(wb_client, cookie: str, kept: bool) -> None:
    response = wb_client.get("/evaluator", headers={"cookie": f"{FORM_COOKIE}={quote(cookie)}"})
    given = _set_cookies(response)[FORM_COOKIE].split(";")[0].split("=", 1)[1]
    assert (given == quote(cookie)) is kept and re.fullmatch(r"[A-Za-z0-9_-]{43}", given)


def test_a_form_is_read_with_its_content_type_parameters_and_bare_fields(wb_client) -> None:
    token = form_token(wb_client)
    body = f"who=Ann&back=/evaluator/judgements&bare&form_token={token}".encode()
    for kind in ("application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8"):
        response = wb_client.post("/evaluator/session", content=body, headers={"content-type": kind},
                                  follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/evaluator/judgements?"), kind
    untyped = wb_client.post("/evaluator/session", content=body, headers={"content-type": ""})
    assert untyped.status_code == 415 and "Send this form from the evaluator page." in untyped.text
    unreadable = wb_client.post("/evaluator/session", content=b"who=\xff", headers={"content-type": FORM_TYPE})
    assert unreadable.status_code == 400 and "The form could not be read." in unreadable.text
    forged = wb_client.post("/evaluator/session", data={"who": "A", "form_token": "0" * 64})
    assert "This form has expired: reload the evaluator page and try again." in forged.text


def test_the_refusals_without_the_permission_say_how_to_turn_it_on(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"evaluator_mode": False}), fake_retriever)
    refused = client.post("/api/judgements", json={"query": "q", "passage_id": "p", "relevant": True, "who": "a"})
    assert refused.json()["detail"] == ("Judgements and eval runs are off: start the server with "
                                        "REPORTQA_EVALUATOR_MODE=true to record them.")


def test_the_form_key_file_is_made_safely(tmp_path, monkeypatch, caplog) -> None:
    nested = tmp_path / "a" / "b" / ".reportqa-form-key"
    key = auth._read_or_make_key(nested)
    assert nested.read_text(encoding="ascii") == key.hex() and len(key.hex()) == 64
    assert not list(nested.parent.glob("*.tmp"))  # the temporary file is gone
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    linked = tmp_path / "linked-key"
    (tmp_path / f"linked-key.{os.getpid()}.tmp").symlink_to(victim)  # a link where the key would be written
    with caplog.at_level(logging.ERROR, logger="web.workbench.auth"):
        fallback = auth._read_or_make_key(linked)
    assert victim.read_text(encoding="utf-8") == "keep" and len(fallback) == auth.KEY_BYTES  # never through a link
    assert caplog.records[-1].getMessage().startswith(f"the form key cannot be kept in {linked} (")
    assert caplog.records[-1].getMessage().endswith("); forms are signed with a key of this process only")
    damaged = tmp_path / "damaged-key"
    damaged.write_text("abcd", encoding="ascii")  # too short to be a key
    with caplog.at_level(logging.ERROR, logger="web.workbench.auth"):
        auth._read_or_make_key(damaged)
    assert caplog.records[-1].getMessage() == (f"the form key {damaged} cannot be read ({damaged} holds no key); "
                                              "forms are signed with a key of this process only")
    raced = tmp_path / "raced-key"
    theirs = b"\x01" * auth.KEY_BYTES
    link = os.link

    def another_worker_first(source, target):  # another worker made the key between our read and our link
        Path(target).write_text(theirs.hex(), encoding="ascii")
        return link(source, target)

    monkeypatch.setattr(auth.os, "link", another_worker_first)
    assert auth._read_or_make_key(raced) == theirs


def test_the_form_key_is_read_once_a_process(tmp_path) -> None:
    path = tmp_path / "cached-key"
    first = auth.form_key(path)
    path.unlink()
    assert auth.form_key(path) == first and not path.exists()  # kept in memory: not made again
    assert auth.form_key(tmp_path / "another") != first
