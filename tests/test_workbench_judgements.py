"""The workbench's judgement pages (web/workbench/judgements.py): the judging toggle and name, judging
and undoing through forms, the review page, the qrels download, and judgement files that are damaged
or cannot be read."""

from __future__ import annotations

import asyncio
import json
import re
from fnmatch import fnmatch
from html import unescape
from pathlib import Path

from conftest import client_for
from workbench_support import post_form, run_ref

from reportqa.judgements import (
    Judgement,
    JudgementStore,
    append_judgement,
    load_judgements,
    parse_jsonl,
    retract_latest,
    standing,
)


def test_judging_toggle_name_judgement_and_undo_through_forms(wb_client, wb_settings, fake_retriever) -> None:
    ref = run_ref(Path(wb_settings.eval_dir).parent, "bm25")
    assert "wb-judge" not in wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    response = post_form(wb_client, "/evaluator/session", {"judging": "on", "who": "Alice Smith"})
    assert response.status_code == 303 and wb_client.cookies["reportqa_judging"] == "1"
    html = wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert "wb-judge" in html and 'value="Alice Smith"' in html
    pid = fake_retriever.search("Operation Lantern issued notices", k=1)[0].passage.passage_id
    back = f"/evaluator/question?run={ref}&id=a1"
    saved = post_form(wb_client, "/evaluator/judgements", {"query": "Operation Lantern issued notices",
                                                           "passage_id": pid, "relevant": "true", "who": "Alice Smith",
                                                           "back": back}, follow=True)
    assert saved.status_code == 200 and "Saved:" in saved.text and "Alice Smith" in saved.text
    [record] = load_judgements(wb_settings.judgements_path)
    assert (record.who, record.passage_id, record.relevant) == ("Alice Smith", pid, True)
    review_page = wb_client.get("/evaluator/judgements", params={"who": "Alice Smith"}).text
    assert "standing" in review_page and pid in review_page
    undone = post_form(wb_client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                                 "passage_id": pid, "who": "Alice Smith",
                                                                 "back": "/evaluator/judgements"}, follow=True)
    assert undone.status_code == 200 and "Undone" in undone.text and "undone" in undone.text
    assert standing(load_judgements(wb_settings.judgements_path)) == []
    again = post_form(wb_client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                                "passage_id": pid, "who": "Alice Smith"})
    assert again.status_code == 404
    # going elsewhere after a form is refused: only workbench pages
    away = post_form(wb_client, "/evaluator/session", {"who": "A", "back": "//evil.example/x"})
    assert away.headers["location"].startswith("/evaluator?")


def test_qrels_download(wb_client, wb_settings) -> None:
    append_judgement(wb_settings.judgements_path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    append_judgement(wb_settings.judgements_path, Judgement.now("random words", "p8", True, "Cy"))
    response = wb_client.get("/evaluator/judgements.qrels")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert response.text == "a5 0 p9 1\n"
    assert len(wb_client.get("/evaluator/judgements.qrels", params={"unmatched": "true"}).text.splitlines()) == 2


def test_a_bad_byte_in_the_judgements_file_skips_that_line_only(wb_client, wb_settings) -> None:
    path = wb_settings.judgements_path
    append_judgement(path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    with path.open("ab") as fh:
        fh.write(b'{"query": "caf\xe9", "passage_id": "p1", "relevant": true, "who": "Cy", "when": "2026-01-01"}\n')
    append_judgement(path, Judgement.now("what is a CAWN", "p8", False, "Cy"))
    assert [j.passage_id for j in load_judgements(path)] == ["p9", "p8"]
    assert wb_client.get("/evaluator/judgements").status_code == 200
    assert wb_client.get("/evaluator/judgements.qrels").text == "a5 0 p8 0\na5 0 p9 1\n"
    assert retract_latest(path, "what is a CAWN", "p8", "Cy").retract


def test_an_unreadable_judgements_file_is_a_503(wb_settings, fake_retriever, tmp_path: Path) -> None:
    folder = tmp_path / "judgements-as-folder"
    folder.mkdir()
    client = client_for(wb_settings.model_copy(update={"judgements_path": folder}), fake_retriever)
    for path in ("/evaluator/judgements", "/evaluator/judgements.qrels"):
        response = client.get(path)
        assert response.status_code == 503 and "cannot be read" in response.text, path


def _button_names(html: str) -> list[str]:
    """The accessible names of the page's buttons: their aria-label, or their text."""
    found = re.findall(r"<button([^>]*)>(.*?)</button>", html, flags=re.S)
    labels = [re.search(r'aria-label="([^"]*)"', attrs) for attrs, _ in found]
    return [unescape(label.group(1)) if label else " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split())
            for label, (_, text) in zip(labels, found)]


def test_the_judge_buttons_are_named_with_their_passage_and_a_judgement_returns_to_it(
        wb_client, wb_settings, fake_retriever) -> None:
    ref = run_ref(Path(wb_settings.eval_dir).parent, "bm25")
    post_form(wb_client, "/evaluator/session", {"judging": "on", "who": "Alice Smith"})
    html = wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    candidates = re.findall(r'<li class="candidate card[^"]*" data-passage="([^"]+)"', html)
    names = _button_names(html)
    relevant = [n for n in names if n.startswith("Relevant: ")]
    assert len(relevant) == len(candidates) == len(set(relevant)) > 1  # each told apart from the others
    assert len({n for n in names if n.startswith("Not relevant: ")}) == len(candidates)
    title = re.search(r'<h3 class="candidate-title" id="cand-[^"]+-title">(.*?)</h3>', html, flags=re.S).group(1)
    short = re.search(r'<span class="report">([^<]+)</span>', title).group(1)
    assert relevant[0].startswith(f"Relevant: candidate 1, {short}, ")
    pid = candidates[1]
    back = f"/evaluator/question?run={ref}&id=a1"
    saved = post_form(wb_client, "/evaluator/judgements", {"query": "Operation Lantern issued notices",
                                                           "passage_id": pid, "relevant": "true",
                                                           "who": "Alice Smith", "back": back,
                                                           "place": f"cand-{pid}"})
    location = saved.headers["location"]
    assert saved.status_code == 303 and location.endswith(f"&focus=cand-{pid}#cand-{pid}")
    page = wb_client.get(location.split("#")[0]).text
    judged = page[page.index(f'data-passage="{pid}"'):page.index("</li>", page.index(f'data-passage="{pid}"'))]
    assert f'id="cand-{pid}" tabindex="-1" autofocus aria-describedby="note"' in judged  # the focus goes to it
    assert f'role="status" id="note" data-testid="note">Saved: {pid} relevant (by Alice Smith).' in judged
    assert page.count("autofocus") == 1 and page.count('data-testid="note"') == 1
    undone = post_form(wb_client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                                 "passage_id": pid, "who": "Alice Smith",
                                                                 "back": back, "place": f"cand-{pid}"})
    assert undone.headers["location"].endswith(f"#cand-{pid}")


def test_the_review_is_paged_and_an_undo_returns_to_its_row(wb_client, wb_settings) -> None:
    path = wb_settings.judgements_path
    for n in range(wb_settings.judgements_page_size + 5):
        when = f"2026-01-01T10:{n // 60:02d}:{n % 60:02d}"
        append_judgement(path, Judgement(f"question {n}", "p1", True, "Ann", when))
    first = wb_client.get("/evaluator/judgements").text
    assert f"{wb_settings.judgements_page_size + 5} records" in first and "page 1 of 2" in first
    assert first.count("<tr class=\"status-") == wb_settings.judgements_page_size
    assert "question 104" in first and ">question 4<" not in first  # newest first
    older = re.search(r'<a href="([^"]+)" rel="next">Older judgements</a>', first).group(1)
    second = wb_client.get(unescape(older)).text
    assert second.count("<tr class=\"status-") == 5 and ">question 4<" in second and "Newer judgements" in second
    assert wb_client.get("/evaluator/judgements", params={"page": 99}).text.count("<tr class=\"status-") == 5
    row = re.search(r'<tr class="status-standing" id="(j-\d+)"[^>]*><td>[^<]*</td><td>Ann</td><td>question 2<',
                    second).group(1)
    undone = post_form(wb_client, "/evaluator/judgements/undo", {"query": "question 2", "passage_id": "p1",
                                                                 "who": "Ann", "back": "/evaluator/judgements?page=2",
                                                                 "place": "row"})
    assert undone.headers["location"] == f"/evaluator/judgements?page=2&note=Undone%3A+Ann%27s+judgement+of+p1." \
                                         f"&focus={row}#{row}"
    page = wb_client.get(undone.headers["location"].split("#")[0]).text
    assert f'class="status-undone" id="{row}" tabindex="-1" autofocus' in page


def test_the_judgements_download_as_json_lines(wb_client, wb_settings) -> None:
    append_judgement(wb_settings.judgements_path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    append_judgement(wb_settings.judgements_path, Judgement.now("random words", "p8", False, "Di"))
    retract_latest(wb_settings.judgements_path, "random words", "p8", "Di")
    every = wb_client.get("/evaluator/judgements.jsonl")
    assert every.status_code == 200 and 'filename="judgements.jsonl"' in every.headers["content-disposition"]
    assert parse_jsonl(every.content) == (load_judgements(wb_settings.judgements_path), 0)
    cys = wb_client.get("/evaluator/judgements.jsonl", params={"who": "Cy"})
    assert [json.loads(line)["who"] for line in cys.text.splitlines()] == ["Cy"]


def test_the_old_judgements_file_is_migrated_when_the_server_first_reads_it(wb_settings, fake_retriever) -> None:
    old = wb_settings.judgements_path.with_suffix(".jsonl")
    old.write_text(json.dumps({"query": "what is a CAWN", "passage_id": "p9", "relevant": True, "who": "Cy",
                               "when": "2026-01-01T00:00:00+00:00"}) + "\n" + "[" * 3000 + "\n", encoding="utf-8")
    client = client_for(wb_settings, fake_retriever)
    assert client.get("/evaluator/judgements.qrels").text == "a5 0 p9 1\n"
    assert wb_settings.judgements_path.is_file() and "1 records migrated" in \
        JudgementStore(wb_settings.judgements_path).migration()


def test_judgements_are_kept_out_of_the_checkout(tmp_path: Path, monkeypatch) -> None:
    from reportqa.settings import PROJECT_ROOT, Settings

    monkeypatch.delenv("REPORTQA_JUDGEMENTS_PATH", raising=False)
    path = Settings().judgements_path
    ignored = [line.strip() for line in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
               if line.startswith("/")]
    if path.is_relative_to(PROJECT_ROOT):  # running from a checkout: the store, its WAL files and the old file
        for name in (path, path.with_name(path.name + "-wal"), path.with_suffix(".jsonl")):
            relative = "/" + str(name.relative_to(PROJECT_ROOT))
            assert any(fnmatch(relative, pattern) for pattern in ignored), relative
    assert Settings(data_dir=tmp_path).form_key_path == tmp_path / ".reportqa-form-key"
    assert "/.reportqa-form-key" in ignored


def test_store_io_runs_off_the_event_loop(wb_client, fake_retriever, monkeypatch) -> None:
    import web.workbench.judging as judging

    loops = []
    save = judging.JudgementStore.add

    def recording(self, judgement):
        try:
            asyncio.get_running_loop()
            loops.append("event loop")
        except RuntimeError:
            loops.append("thread")
        return save(self, judgement)

    monkeypatch.setattr(judging.JudgementStore, "add", recording)
    pid = fake_retriever.passages[0].passage_id
    post_form(wb_client, "/evaluator/judgements", {"query": "q", "passage_id": pid, "relevant": "true", "who": "A"})
    wb_client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True, "who": "A"})
    assert loops == ["thread", "thread"]
