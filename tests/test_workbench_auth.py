"""Who may write from the workbench (web/workbench/auth.py): writes need the evaluator permission,
forms need their form token and must be small urlencoded forms, the judgement buttons need the
permission and this browser's choice, and the whole workbench is behind the access token."""

from __future__ import annotations

from conftest import client_for
from pydantic import SecretStr
from workbench_support import form_token, post_form


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
