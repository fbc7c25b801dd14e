"""End to end in a real headless Chromium: the real server over the real bundled index.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (see tests/browser_support.py;
the ``browser`` fixture is in tests/conftest.py). Screenshots go to test-artifacts/. Set
REPORTQA_REQUIRE_BROWSER=1 (as CI does) to fail rather than skip when Chromium is missing.
"""

from __future__ import annotations

import urllib.request

import pytest
from browser_support import ARTIFACTS, real_index_server, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def server(real_settings):
    require_browser()
    with real_index_server(real_settings) as base:
        yield base


def test_ask_read_in_context_copy_and_glossary(server, browser) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_label("Ask a question or type some words").fill("how long is the review period for licensed premises")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("[data-testid=answer]")
    answer = page.locator("[data-testid=answer]")
    assert "Answer from the reports" in answer.inner_text()
    assert "28-day review period" in answer.inner_text()
    assert answer.locator("a.cite").count() >= 1
    first_card = page.locator("article.card").first
    assert first_card.locator("mark.evidence, tr.evidence-row").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "search-desktop.png"), full_page=True)

    # Copy citation: the clipboard gets a Harvard reference: authors, year, publisher, section and the
    # publisher's link; no link to this loopback server (REPORTQA_PUBLIC_BASE_URL is not set), said on the page.
    first_card.get_by_role("button", name="Copy citation").click()
    expect(first_card.locator(".copy-status")).to_have_text("Citation copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Wager, N., Myers, A.") and "(2021)" in copied and "www.csacentre.org.uk" in copied
    assert "Centre of expertise on child sexual abuse" in copied and "›" not in copied and "/doc/" not in copied
    assert "REPORTQA_PUBLIC_BASE_URL" in page.get_by_test_id("cite-note").inner_text()

    # Open in context: the reader shows the passage highlighted and scrolled into view.
    first_card.get_by_role("link", name="Open in context").click()
    page.wait_for_url("**/doc/**")
    page.locator("#focus").wait_for(state="attached")
    highlighted = page.locator("mark.passage, tr.passage-row").first
    highlighted.wait_for()
    box = highlighted.bounding_box()
    assert box is not None and 0 <= box["y"] <= page.viewport_size["height"]
    page.screenshot(path=str(ARTIFACTS / "reader-desktop.png"))

    # Glossary: acronyms link to a search.
    page.goto(server + "/glossary")
    assert page.get_by_role("link", name="CAWN").count() == 1
    page.get_by_role("link", name="CAWN").click()
    page.wait_for_selector("article.card")
    assert "q=CAWN" in page.url
    context.close()


def test_phone_width_and_abstention(server, browser) -> None:
    """On a 360-pixel phone: a question the reports do not cover says so, with its reason, above the
    nearest passages; a frontline question they do touch on is never "not covered", and what the
    answer box shows first is about it. Neither page scrolls sideways."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(server + "/?q=" + urllib.request.quote("What is the best recipe for a Victoria sponge cake?"))
    answer = page.locator("[data-testid=answer]")
    assert answer.get_attribute("data-outcome") == "not_covered"
    assert "Not covered by the reports" in answer.inner_text() and "don't cover this" in answer.inner_text()
    assert "The reports never mention" in page.get_by_test_id("abstain-reasons").inner_text()
    assert page.locator("article.card").count() >= 1  # nearest passages still shown
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page must not scroll sideways on a phone"
    page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=True)

    page.goto(server + "/?q=" + urllib.request.quote("same car keeps turning up outside the school, can we flag it?"))
    page.screenshot(path=str(ARTIFACTS / "answer-phone.png"), full_page=True)
    answer = page.locator("[data-testid=answer]")
    outcome = answer.get_attribute("data-outcome")
    assert outcome in ("answer", "closest"), "the reports cover flagging a vehicle: not 'not covered'"
    first = answer.locator(".answer-sentences li" if outcome == "answer" else "[data-testid=lead]").first
    assert first.count() == 1, "an answer, or under closest the sentence that comes closest, is shown"
    assert "flag" in first.inner_text().lower(), "the answer, or the closest sentence, is about flagging"
    assert first.locator("a.cite").count() >= 1, "and it is cited"
    assert page.locator("article.card").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_search_works_with_javascript_off(server, browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.fill("#q", '"relentless disruption"')
    page.press("#q", "Enter")
    page.wait_for_selector("article.card")
    assert "relentless disruption" in page.locator("article.card").first.inner_text().lower()
    context.close()
