"""What every workbench page shares (web/workbench/page.py): a page keeps this browser's form token
and shows a note it is sent back with; going back after a form stays on the workbench."""

from __future__ import annotations

import pytest
from workbench_support import form_token, post_form

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


def test_a_page_keeps_the_form_session_and_shows_its_note(wb_client) -> None:
    first = wb_client.get("/evaluator", params={"note": "Undone: x" + "y" * 400})
    session = wb_client.cookies[FORM_COOKIE]
    token = form_token(wb_client)
    assert len(session) == 43 and token != session and f'name="form_token" value="{token}"' in first.text
    assert 'data-testid="note">Undone: xyyy' in first.text and "y" * 300 not in first.text  # a note is kept short
    wb_client.get("/evaluator/judgements")
    assert wb_client.cookies[FORM_COOKIE] == session  # the same form session on every page of this browser
    assert form_token(wb_client) == token  # and so the same token
    saved = post_form(wb_client, "/evaluator/session", {"who": "Ann", "back": "/evaluator/judgements"}, follow=True)
    assert saved.status_code == 200 and "Judgement buttons off for Ann." in saved.text  # at the top: no session form


def test_a_form_goes_back_to_the_element_it_acted_on() -> None:
    response = with_note("/evaluator/question?run=r&id=a1&focus=old#x", "Saved.", "cand-alpha-review-0a1.b")
    assert response.headers["location"] == "/evaluator/question?run=r&id=a1&note=Saved.&focus=cand-alpha-review-0a1.b" \
        "#cand-alpha-review-0a1.b"
    forged = with_note("/evaluator", "Saved.", 'x" onfocus="alert(1)')
    assert forged.headers["location"] == "/evaluator?note=Saved."  # a place that is not an element id is dropped


def test_the_note_shows_in_the_element_acted_on_which_takes_the_focus(wb_client) -> None:
    page = wb_client.get("/evaluator", params={"note": "Judgement buttons on.", "focus": "session"}).text
    form = page[page.index('data-testid="session"'):page.index("</form>", page.index('data-testid="session"'))]
    assert 'id="session" tabindex="-1" autofocus aria-describedby="note"' in form
    assert '<p class="wb-note" role="status" id="note" data-testid="note">Judgement buttons on.</p>' in form
    assert page.count('data-testid="note"') == 1  # not at the top as well
    elsewhere = wb_client.get("/evaluator", params={"note": "Saved.", "focus": "cand-gone"}).text
    assert 'class="wb-note" role="status" data-testid="note">Saved.</p>' in elsewhere  # no such element: at the top
    assert "autofocus" not in elsewhere
