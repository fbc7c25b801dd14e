"""What the workbench tests share: a small question set over the fixture corpus, runs written by
the eval writer itself (real ones over the fake index, and fabricated ones with chosen ranks),
posting the workbench's forms with their form token, and a stand-in eval job."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from eval.report import write_reports
from reportqa.run_files import AskSummary, ConfigRun, FailingQuestion, QuestionRecord, RecordedHit
from reportqa.runs import list_runs
from web.workbench.auth import FORM_COOKIE

QUESTIONS = [
    ("a1", "facts", "Operation Lantern issued notices", "alpha-review",
     "Operation Lantern issued 220 notices over four years"),
    ("a2", "frontline", "can police make hotels tell them about guests", "alpha-review",
     "managers can be issued with a notice requiring them to provide information about their guests"),
    ("a3", "frontline", "zebra xylophone quasar", "alpha-review",
     "Image hashing lets platforms find and remove known images quickly"),
    ("a4", "trainer", "how long is the review period for licenced premises", "beta-survey",
     "a 28-day review period may be called"),
    ("a5", "trainer", "what is a CAWN", "alpha-review",
     "A CAWN is an official notice served by police which aims to break contact between a suspect and a child"),
    ("a6", "frontline", "police officers notices review evidence", "alpha-review",  # found, but not its evidence
     "Image hashing lets platforms find and remove known images quickly"),
]
CONFIGS = ["bm25", "dense"]


def write_questions(path: Path) -> Path:
    """The question set above (and one unanswerable question) as a dev questions.jsonl."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid, persona, text, doc, quote in QUESTIONS:
            fh.write(json.dumps({"id": qid, "split": "dev", "persona": persona, "tags": [], "question": text,
                                 "answer": f"The reference answer of {qid}.",
                                 "evidence": [{"doc_id": doc, "quote": quote}]}) + "\n")
        fh.write(json.dumps({"id": "u1", "split": "dev", "persona": "unanswerable", "tags": [],
                             "question": "What is the capital of Peru?", "answer": "", "evidence": []}) + "\n")
    return path


def run_ref(eval_root: Path, config: str) -> str:
    """The name of ``config``'s run in the eval folder ``eval_root`` (the fixture's)."""
    return next(r.ref for r in list_runs(eval_root / "eval" / "reports") if r.config == config)


def a_config_run(name: str, ranks: dict[str, int | None]) -> ConfigRun:
    """A run whose questions first find their evidence at ``ranks`` (None: not found), with three
    recorded hits each."""
    per_query, questions, failing = {}, [], []
    for qid, rank in ranks.items():
        rr = 1 / rank if rank and rank <= 10 else 0.0
        per_query[qid] = {"MRR@10": rr, "Hit@5": float(bool(rank and rank <= 5))}
        hits = tuple(RecordedHit(k, f"p{k}", 1.0 / k, k == rank, doc_id="alpha-review", short_title="Alpha",
                                 section="1. Intro", words=f"words {k}") for k in range(1, 4))
        questions.append(QuestionRecord(qid, "frontline" if qid < "q3" else "facts", f"question {qid}?", rank,
                                        50, ("px",), hits))
        if rank is None or rank > 5:
            failing.append(FailingQuestion(qid, "x", f"question {qid}?", rank))
    overall = dict.fromkeys(("Hit@1", "Hit@3", "Hit@5", "Hit@10", "R@1", "R@3", "R@5", "R@10", "MRR@10",
                             "nDCG@10"), 0.5)
    return ConfigRun(name, overall, {"frontline": overall}, {}, 1.0, 2.0, tuple(failing), per_query, tuple(questions))


def an_ask_summary(glance: dict[str, bool], curve: tuple[dict[str, float], ...] = ()) -> AskSummary:
    """An ask slice whose answerable questions are those of ``glance`` (each carried or not at a
    glance), all frontline, with the precision–coverage ``curve``."""
    carried = sum(glance.values()) / len(glance)
    figures = {"answerable": float(len(glance)), "glance": carried, "answer_precision": 0.9, "answered": 0.6,
               "sentence_hit1": 0.7}
    return AskSummary(len(glance), 0, {"frontline": {"answer": len(glance), "closest": 0, "not_covered": 0}},
                      0.0, 0.0, 0.0, carried, carried, 1.0, 2.0, (), dict.fromkeys(glance, "answer"),
                      {"all": figures, "frontline": figures}, glance, curve)


def write_fabricated(reports: Path) -> Path:
    """Two runs written by the eval writer: q1 3 → 1, q2 1 → missing, q3 2 → 2, q4 30 → 12 (q5 only
    in the first, q6 only in the second)."""
    write_reports(reports, [a_config_run("before", {"q1": 3, "q2": 1, "q3": 2, "q4": 30, "q5": 4})], None, "dev", 5,
                  day="2026-01-01")
    write_reports(reports, [a_config_run("after", {"q1": 1, "q2": None, "q3": 2, "q4": 12, "q6": 1})], None, "dev", 5,
                  day="2026-01-02")
    return reports


def form_token(client: TestClient, page: str = "/evaluator") -> str:
    """This test browser's form token, as a workbench page's forms carry it (opening the page gives
    the browser its form session, the cookie the token is bound to)."""
    html = client.get(page).text
    assert client.cookies.get(FORM_COOKIE)
    return re.search(r'name="form_token" value="([0-9a-f]+)"', html).group(1)


def post_form(client: TestClient, path: str, fields: dict, follow: bool = False):
    """Post a workbench form as the page would, with the browser's form token."""
    return client.post(path, data={"form_token": form_token(client), **fields}, follow_redirects=follow)


def block(html: str, testid: str, tag: str = "section") -> str:
    """The element with ``data-testid=testid`` (the first ``</tag>`` after it closes it)."""
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index(f"</{tag}>", start)]


def waiting_job(gate: Path, progress: Path) -> list[str]:
    """A stand-in eval job: reports progress, then waits until ``gate`` exists."""
    code = ("import json, pathlib, sys, time\n"
            f"pathlib.Path({str(progress)!r}).write_text(json.dumps({{'done': 1, 'total': 4, 'stage': 'bm25'}}))\n"
            f"while not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
            f"pathlib.Path({str(progress)!r}).write_text(json.dumps({{'done': 4, 'total': 4, 'stage': 'ask', "
            "'written': ['x-bm25.json']}))\n")
    return [sys.executable, "-c", code]
