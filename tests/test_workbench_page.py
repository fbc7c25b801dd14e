"""What every workbench page shares (web/workbench/page.py): a page keeps this browser's form token
and shows a note it is sent back with; going back after a form stays on the workbench."""

from __future__ import annotations

import pytest
from workbench_support import post_form

from web.workbench.auth import FORM_COOKIE
from web.workbench.page import back_to, with_note


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/evaluator", "/evaluator\\..\\x",
                                    "/elsewhere", "", None, "/evaluator//x"])
def test_going_back_never_leaves_the_workbench(target: str | None) -> None:
    assert back_to(target) == "/evaluator"
    assert back_to(target, "/evaluator/judgements") == "/evaluator/judgements"


def test_going_back_keeps_a_workbench_address_without_control_characters() -> None:
    assert back_to("/evaluator/question?run=r&id=a1") == "/evaluator/question?run=r&id=a1"
    assert back_to("/evaluator/run?run=x\r\nSet-Cookie:1") == "/evaluator/run?run=xSet-Cookie:1"


def test_a_note_replaces_the_one_before_and_drops_the_fragment() -> None:
    response = with_note("/evaluator/question?run=r&note=old&id=a1#now", "Saved: p1 relevant")
    assert response.status_code == 303
    assert response.headers["location"] == "/evaluator/question?run=r&id=a1&note=Saved%3A+p1+relevant"
    assert with_note("/evaluator", "Done.").headers["location"] == "/evaluator?note=Done."


def test_a_page_keeps_the_form_token_and_shows_its_note(wb_client) -> None:
    first = wb_client.get("/evaluator", params={"note": "Undone: x" + "y" * 400})
    token = wb_client.cookies[FORM_COOKIE]
    assert len(token) == 43 and f'name="form_token" value="{token}"' in first.text
    assert 'data-testid="note">Undone: xyyy' in first.text and "y" * 300 not in first.text  # a note is kept short
    wb_client.get("/evaluator")
    assert wb_client.cookies[FORM_COOKIE] == token  # the same token on every page of this browser
    saved = post_form(wb_client, "/evaluator/session", {"who": "Ann", "back": "/evaluator/judgements"}, follow=True)
    assert saved.status_code == 200 and "Judgement buttons off for Ann." in saved.text
