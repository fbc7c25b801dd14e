"""The evaluator workbench end to end in headless Chromium: a real server (the fake embedder over
the fixture corpus, two real eval runs) and a real browser, with JavaScript on and off, at desktop
and phone widths. Set REPORTQA_REQUIRE_BROWSER=1 to fail rather than skip without Chromium."""

from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request

import pytest
from browser_support import ARTIFACTS, cli_server, require_browser
from conftest import FIXTURE_CORPUS, fake_settings
from workbench_support import write_questions

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from reportqa.judgements import load_judgements

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server with evaluator mode on, over a fake-embedder index and two eval runs (bm25, dense)."""
    require_browser()
    from eval.evaluate import evaluate
    from retriever.retriever import Retriever

    root = tmp_path_factory.mktemp("wb-e2e")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    settings = fake_settings(root / "corpus", root / "index")
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    questions = write_questions(root / "eval" / "questions.jsonl")
    evaluate(Retriever.open(settings, embedder=embedder), questions, "dev", ["bm25", "dense"],
             root / "eval" / "reports", with_ask=False)
    env = dict(REPORTQA_INDEX_DIR=str(settings.index_dir), REPORTQA_CORPUS_DIR=str(settings.corpus_dir),
               REPORTQA_EMBEDDER="fake", REPORTQA_CHUNK_TARGET_TOKENS="60",
               REPORTQA_WEIGHTS_PATH=str(settings.weights_path),
               REPORTQA_EVALUATOR_MODE="true", REPORTQA_EVAL_DIR=str(root / "eval"),
               REPORTQA_REPORTS_DIR=str(root / "eval" / "reports"), REPORTQA_JUDGEMENTS_PATH=str(root / "j.jsonl"))
    with cli_server(env) as base:
        yield base, root


def test_failures_drill_down_judge_with_a_name_and_undo(served, browser) -> None:
    from playwright.sync_api import expect

    base, root = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/evaluator")
    page.get_by_label("Your name (evaluator)").fill("Alice Example")
    page.get_by_label("Show judgement buttons in this browser").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("note")).to_contain_text("Judgement buttons on for Alice Example")
    assert page.evaluate("localStorage.getItem('reportqa.evaluator')") == "Alice Example"
    page.screenshot(path=str(ARTIFACTS / "workbench-desktop.png"), full_page=True)

    # the bm25 run's failures → the drill-down of one whose words find passages, but not its evidence
    page.get_by_test_id("runs").get_by_role("link", name="bm25").click()
    failures = page.get_by_test_id("failures").locator("a.drill")
    assert failures.count() >= 2
    question = "police officers notices review evidence"
    failures.filter(has_text=question).click()
    expect(page.get_by_test_id("question")).to_contain_text(question)
    expect(page.get_by_test_id("recorded")).to_contain_text("evidence first at rank")
    now = page.get_by_test_id("now")
    expect(now).to_contain_text("Now (re-run against the current index")
    candidate = now.locator("li.candidate").first
    passage = candidate.get_attribute("data-passage")
    candidate.locator("summary", has_text="features").click()
    expect(candidate.locator("table.features")).to_contain_text("best_sentence")
    assert candidate.locator("input[name=who]").first.input_value() == "Alice Example"
    judge = candidate.get_by_role("button", name=re.compile(r"^Relevant: candidate 1, "))  # named with its passage
    assert judge.count() == 1
    judge.focus()
    page.keyboard.press("Enter")  # by keyboard: the page comes back to this candidate, with the focus on it
    page.wait_for_url(f"**#cand-{passage}")
    expect(page.get_by_test_id("note")).to_contain_text(f"Saved: {passage} relevant (by Alice Example)")
    assert page.evaluate("document.activeElement.id") == f"cand-{passage}"
    note = page.locator(f"#cand-{passage}").get_by_role("status")
    expect(note).to_contain_text(f"Saved: {passage} relevant")  # announced, in the candidate judged
    page.keyboard.press("Tab")  # the next stop is inside the candidate, not the top of the page
    assert page.evaluate(f"document.getElementById('cand-{passage}').contains(document.activeElement)")
    page.screenshot(path=str(ARTIFACTS / "workbench-drill-down.png"), full_page=True)
    [saved] = load_judgements(root / "j.jsonl")
    assert (saved.who, saved.passage_id, saved.relevant, saved.query) == ("Alice Example", passage, True, question)

    page.locator(f"li.candidate[data-passage='{passage}']").get_by_role(
        "button", name="Undo my last judgement of this passage").click()
    expect(page.get_by_test_id("note")).to_contain_text(f"Undone: Alice Example's judgement of {passage}")
    assert page.evaluate("document.activeElement.id") == f"cand-{passage}"
    page.goto(base + "/evaluator/judgements?who=" + urllib.request.quote("Alice Example"))
    table = page.get_by_test_id("judgements")
    expect(table).to_contain_text("undone")
    expect(table).to_contain_text("undo of “relevant”")
    assert [j.retract for j in load_judgements(root / "j.jsonl")] == [False, True]
    context.close()


def test_two_run_diff_page_at_phone_width(served, browser) -> None:
    from playwright.sync_api import expect

    base, _ = served
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(base + "/evaluator/compare")
    refs = page.locator("#run-a option").all_inner_texts()
    page.select_option("#run-a", next(r for r in refs if r.endswith("-bm25")))
    page.select_option("#run-b", next(r for r in refs if r.endswith("-dense")))
    page.get_by_label("show unchanged questions too").check()
    page.get_by_role("button", name="Compare").click()
    totals = page.get_by_test_id("totals")
    expect(totals).to_contain_text("questions in both runs")
    expect(totals).to_contain_text("MRR@10")
    rows = page.get_by_test_id("diff").locator("tbody tr")
    assert rows.count() >= 4
    assert {rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())} <= {"better", "worse", "same"}
    page.screenshot(path=str(ARTIFACTS / "workbench-compare-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for path in ("/evaluator", "/evaluator/judgements", "/evaluator/job"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    page.goto(base + "/evaluator")
    page.get_by_test_id("runs").get_by_role("link", name="bm25").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "run page"
    page.get_by_test_id("failures").locator("a.drill", has_text="police officers notices").click()
    page.get_by_test_id("now").locator("summary", has_text="features").first.click()
    page.screenshot(path=str(ARTIFACTS / "workbench-drill-down-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "drill-down"
    context.close()


def test_judging_works_with_javascript_off(served, browser) -> None:
    from playwright.sync_api import expect

    base, root = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/evaluator")
    page.get_by_label("Your name (evaluator)").fill("Bo")
    page.get_by_label("Show judgement buttons in this browser").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_test_id("runs").get_by_role("link", name="bm25").click()
    page.get_by_test_id("failures").locator("a.drill", has_text="police officers notices").click()
    candidate = page.get_by_test_id("now").locator("li.candidate").first
    assert candidate.locator("input[name=who]").first.input_value() == "Bo"  # remembered without JavaScript
    candidate.get_by_role("button", name="Not relevant").click()
    expect(page.get_by_test_id("note")).to_contain_text("not relevant (by Bo)")
    assert any(j.who == "Bo" and j.relevant is False for j in load_judgements(root / "j.jsonl"))
    context.close()


def test_search_page_judgement_buttons_follow_this_browsers_toggle(served, browser) -> None:
    from playwright.sync_api import expect

    base, root = served
    fresh = browser.new_context()
    page = fresh.new_page()
    page.goto(base + "/?q=" + urllib.request.quote("hotel guests"))
    page.wait_for_selector("article.card")
    assert page.locator(".judge").count() >= 1 and not page.locator(".judge").first.is_visible()  # toggle off
    fresh.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/evaluator")
    page.get_by_label("Your name (evaluator)").fill("Cara")
    page.get_by_label("Show judgement buttons in this browser").check()
    page.get_by_role("button", name="Save").click()
    page.goto(base + "/?q=" + urllib.request.quote("hotel guests"))
    box = page.locator(".judge").first
    box.locator("button.relevant").click()
    expect(box.locator(".judge-status")).to_have_text("Saved: relevant.")
    assert any(j.who == "Cara" and j.query == "hotel guests" for j in load_judgements(root / "j.jsonl"))
    context.close()


def test_a_judgement_without_a_name_asks_for_one(served, browser) -> None:
    """The buttons on, no name given yet: the browser asks for a name rather than saving as "evaluator"."""
    from playwright.sync_api import expect

    base, root = served
    context = browser.new_context()
    host = urllib.parse.urlparse(base).hostname
    context.add_cookies([{"name": "reportqa_judging", "value": "1", "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(base + "/?q=" + urllib.request.quote("hotel guests"))
    box = page.locator(".judge").first
    page.once("dialog", lambda dialog: dialog.dismiss())
    box.locator("button.relevant").click()
    expect(box.locator(".judge-status")).to_have_text("Not saved: give your name first.")
    page.once("dialog", lambda dialog: dialog.accept("Dee  Example"))
    box.locator("button.relevant").click()
    expect(box.locator(".judge-status")).to_have_text("Saved: relevant.")
    whos = [j.who for j in load_judgements(root / "j.jsonl")]
    assert "Dee Example" in whos and "evaluator" not in whos
    context.close()


ATTACKER_PAGES = {  # as ../shared/hostile/csrf/ serves them from another port of the same host
    "judge": '<form id=f method=post action="TARGET/evaluator/judgements"><input name=form_token value="KNOWN">'
             '<input name=who value="CSRF"><input name=query value="csrf forged query">'
             '<input name=passage_id value="PASSAGE"><input name=relevant value="false"></form>',
    "session": '<form id=f method=post action="TARGET/evaluator/session"><input name=form_token value="KNOWN">'
               '<input name=who value="Mallory"><input name=judging value="on"></form>',
    "job": '<form id=f method=post action="TARGET/evaluator/jobs"><input name=form_token value="KNOWN">'
           '<input name=configs value="bm25"></form>',
}


def test_a_page_on_another_port_cannot_write_through_the_victims_browser(served, browser) -> None:
    """Issue 22, D4: a page on another port of the same host plants the form cookie and posts the forms;
    it also tries the JSON API without CORS. Nothing is recorded, nothing is started, no cookie is changed."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    base, root = served
    before = len(load_judgements(root / "j.jsonl"))
    passage = urllib.request.urlopen(base + "/api/search?q=notices&k=1").read().decode()
    passage = re.search(r'"passage_id":\s*"([^"]+)"', passage).group(1)
    known = "A" * 43

    class Attacker(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            name = self.path.strip("/").split("?")[0]
            if name == "api":
                body = ("<script>var b = JSON.stringify({query: 'csrf api', passage_id: '" + passage + "', "
                        "relevant: true, who: 'CSRF-api'}); Promise.all(["
                        "fetch('TARGET/api/judgements', {method: 'POST', mode: 'no-cors', credentials: 'include', "
                        "body: new Blob([b])}), fetch('TARGET/api/judgements', {method: 'POST', mode: 'no-cors', "
                        "credentials: 'include', headers: {'Content-Type': 'text/plain'}, body: b})])"
                        ".then(function () { document.title = 'done'; }, function () { document.title = 'done'; });"
                        "</script>")
            else:
                body = ATTACKER_PAGES[name] + "<script>document.getElementById('f').submit()</script>"
            data = body.replace("TARGET", base).replace("KNOWN", known).replace("PASSAGE", passage).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Set-Cookie", f"reportqa_form={known}; Path=/")  # cookies ignore ports
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    attacker = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(base + "/evaluator")  # the victim has the workbench open
        statuses = {}
        for name in ATTACKER_PAGES:
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.goto(f"http://127.0.0.1:{attacker.server_port}/{name}")
            statuses[name] = posted.value.status
            expect_refused = page.locator("h1").inner_text()
            assert expect_refused == "Refused", name
        page.goto(f"http://127.0.0.1:{attacker.server_port}/api")
        page.wait_for_function("document.title === 'done'")
    finally:
        attacker.shutdown()
        context.close()
    assert statuses == {"judge": 403, "session": 403, "job": 403}
    assert len(load_judgements(root / "j.jsonl")) == before  # nothing recorded, by the forms or the API
    assert not any(j.who.startswith("CSRF") for j in load_judgements(root / "j.jsonl"))
    status = urllib.request.urlopen(base + "/api/evaluator/job").read().decode()
    assert '"state":"idle"' in status.replace(" ", "")  # no run was started


def test_the_run_page_follows_a_run_without_reloading_itself(served, browser) -> None:
    """Last in this module: the run it starts adds runs the tests above would also see."""
    from playwright.sync_api import expect

    base, _ = served
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/evaluator")
    form = page.get_by_test_id("start-run")
    for box in form.locator("input[type=checkbox]").all():
        box.uncheck()
    form.get_by_label("bm25", exact=True).check()
    form.get_by_role("button", name="Start eval run").click()
    page.wait_for_url("**/evaluator/job")
    page.evaluate("window.stayedOnThePage = true")  # gone if the page reloads itself
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.get_by_role("progressbar", name="Progress of eval run 1").count() == 1
    expect(page.locator("#job-reload")).to_be_hidden()  # the reload link is for pages without JavaScript
    expect(page.get_by_test_id("job-state")).to_contain_text("finished", timeout=180_000)
    assert page.evaluate("window.stayedOnThePage") is True
    steps = page.get_by_role("status").filter(has_text="steps")
    expect(steps).to_contain_text("Finished. Wrote")
    assert page.evaluate("document.getElementById('job-progress').value") == \
        page.evaluate("document.getElementById('job-progress').max") > 1
    expect(page.locator("#job-end")).to_be_visible()
    context.close()
