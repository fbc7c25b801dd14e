"""Who may write from the workbench (web/workbench/auth.py): writes need the evaluator permission,
forms need their form token (bound to this browser's form session and sign-in under the server's
key) and must be small urlencoded forms, writes come from this server's own pages only, the judgement
buttons need the permission and this browser's choice, and the whole workbench is behind the access
token."""

from __future__ import annotations

import re
import time

from conftest import client_for
from pydantic import SecretStr
from workbench_support import form_token, post_form

from reportqa.judgements import load_judgements
from web.middleware.token_auth import TOKEN_COOKIE, TokenAuthMiddleware
from web.workbench import auth
from web.workbench.auth import FORM_COOKIE


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
