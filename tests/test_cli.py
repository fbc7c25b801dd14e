"""The CLI: the contracts other tools rely on (`search --batch` and `ask --batch` JSON lines), the
text search and ask print, and `eval --compare/--failures` over runs already written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reportqa.runs import compare_runs, open_run

QUERIES = ["how long is the review period for licenced premises?", '"no penalty attached"', "NEAR((",
           "what is the capital of Peru"]


def run_cli(settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, REPORTQA_EMBEDDER="fake", REPORTQA_CORPUS_DIR=str(settings.corpus_dir),
               REPORTQA_INDEX_DIR=str(settings.index_dir), REPORTQA_CHUNK_TARGET_TOKENS="60",
               REPORTQA_WEIGHTS_PATH=str(settings.weights_path), REPORTQA_PUBLIC_BASE_URL="https://rqa.force.local")
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", *args], capture_output=True, text=True,
                            env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    path = tmp_path / "queries.txt"
    path.write_text("\n".join(QUERIES) + "\n\n", encoding="utf-8")
    return path


def test_search_batch_contract(fake_built, batch_file: Path) -> None:
    out = run_cli(fake_built, "search", "--batch", str(batch_file), "--k", "3", "--json").stdout
    lines = out.strip().split("\n")
    assert len(lines) == len(QUERIES)
    for query, line in zip(QUERIES, lines):
        obj = json.loads(line)
        assert set(obj) == {"query", "results"} and obj["query"] == query
        assert len(obj["results"]) <= 3
        for rank, r in enumerate(obj["results"], start=1):
            assert set(r) == {"rank", "passage_id", "doc_id", "doc_title", "section", "page", "text", "score",
                              "highlights", "citation"}
            assert set(r["citation"]) == {"harvard", "apa", "ris", "bibtex"}
            assert r["citation"]["ris"].startswith("TY  - RPRT") and f"p={r['passage_id']}" in r["citation"]["apa"]
            assert r["rank"] == rank
            assert isinstance(r["passage_id"], str) and isinstance(r["doc_id"], str)
            assert isinstance(r["doc_title"], str) and isinstance(r["section"], str)
            assert r["page"] is None or isinstance(r["page"], int)
            assert isinstance(r["text"], str) and isinstance(r["score"], float)
            assert all(isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(r["text"])
                       for s, e in r["highlights"])
        scores = [r["score"] for r in obj["results"]]
        assert scores == sorted(scores, reverse=True)


def test_ask_batch_contract(fake_built, batch_file: Path) -> None:
    out = run_cli(fake_built, "ask", "--batch", str(batch_file), "--json").stdout
    lines = out.strip().split("\n")
    assert len(lines) == len(QUERIES)
    for query, line in zip(QUERIES, lines):
        obj = json.loads(line)
        assert set(obj) == {"query", "outcome", "abstained", "answer", "reasons", "sentences", "lead", "citations",
                            "passages"} and obj["query"] == query
        assert obj["lead"] is None or obj["outcome"] == "closest"
        assert isinstance(obj["abstained"], bool) and isinstance(obj["answer"], str)
        assert obj["outcome"] in ("answer", "closest", "not_covered")
        assert obj["abstained"] == (obj["outcome"] != "answer")
        assert all(set(p) >= {"passage_id", "rank", "score", "highlights"} for p in obj["passages"])
        numbers = {c["n"] for c in obj["citations"]}
        for c in obj["citations"]:
            assert set(c) == {"n", "passage_id", "doc_id", "doc_title", "section", "page", "text", "citation"}
            assert c["citation"]["bibtex"].startswith("@techreport{")
        for s in obj["sentences"]:
            assert set(s) == {"text", "citation", "kind", "caption", "header", "cells", "passage_id", "start", "end",
                              "also_cited"} and s["citation"] in numbers
            assert s["kind"] in ("sentence", "table_row") and (s["kind"] == "table_row") == bool(s["cells"])
            cited = next(c for c in obj["citations"] if c["n"] == s["citation"])
            assert s["text"] in cited["text"] and cited["text"][s["start"]:s["end"]] == s["text"]
        if obj["lead"] is not None:
            cited = next(c for c in obj["citations"] if c["n"] == obj["lead"]["citation"])
            assert cited["text"][obj["lead"]["start"]:obj["lead"]["end"]] == obj["lead"]["text"]
        if obj["abstained"]:  # closest cites the closest passages; not_covered cites nothing
            assert obj["sentences"] == [] and (obj["citations"] == [] or obj["outcome"] == "closest")
    assert json.loads(lines[0])["abstained"] is False


def test_search_builds_a_missing_index_and_keeps_stdout_clean(tmp_path: Path, corpus_copy: Path) -> None:
    from conftest import fake_settings

    settings = fake_settings(corpus_copy, tmp_path / "fresh-index")
    result = run_cli(settings, "search", "hotel guests", "--json")
    assert json.loads(result.stdout)["results"]
    assert "Building the index" in result.stderr


def test_index_command_summary_and_check(fake_built) -> None:
    result = run_cli(fake_built, "index")
    assert "up to date" in result.stdout and "skipped: none" in result.stdout
    assert "OK" in run_cli(fake_built, "index", "--check").stdout
    (fake_built.corpus_dir / "alpha-review.txt").write_text("Now different.\n", encoding="utf-8")
    failed = run_cli(fake_built, "index", "--check", check=False)
    assert failed.returncode == 1 and "changed file alpha-review.txt" in failed.stderr


def test_query_text_is_not_logged(fake_built) -> None:
    secret = "Jane Doe 14 Acacia Avenue"
    result = run_cli(fake_built, "search", secret)
    assert secret not in result.stderr


def test_questions_missing_lists_passages_without_questions(fake_built) -> None:
    from indexer.store import open_index

    result = run_cli(fake_built, "questions", "--missing")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    passages = open_index(fake_built.index_dir).passages
    assert len(lines) == len(passages) and all(line.split("\t")[1] in {p.passage_id for p in passages}
                                               for line in lines)
    assert f"{len(passages)} of {len(passages)} passages have no questions" in result.stderr


def test_search_on_a_damaged_index_says_what_to_run_and_does_not_rebuild(fake_built) -> None:
    from indexer.store import live_build

    build = live_build(fake_built.index_dir)
    target = build / "sentences.npy"
    target.write_bytes(target.read_bytes()[:-8])
    result = run_cli(fake_built, "search", "warning notices", check=False)
    assert result.returncode == 1 and "reportqa index --rebuild" in result.stderr
    assert "Traceback" not in result.stderr and live_build(fake_built.index_dir) == build  # nothing rebuilt


def _in_process(settings, monkeypatch) -> None:
    """``reportqa.cli.main`` in this process on ``settings``' fake index (as ``run_cli``, without a subprocess)."""
    for name, value in (("EMBEDDER", "fake"), ("CORPUS_DIR", settings.corpus_dir), ("INDEX_DIR", settings.index_dir),
                        ("CHUNK_TARGET_TOKENS", "60"), ("WEIGHTS_PATH", settings.weights_path)):
        monkeypatch.setenv(f"REPORTQA_{name}", str(value))


def test_search_prints_each_passage_with_its_place_and_evidence(fake_built, monkeypatch, capsys) -> None:
    from reportqa.cli import main

    _in_process(fake_built, monkeypatch)
    assert main(["search", "Operation Lantern issued notices", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^1\. \[Alpha[^\]]*\] \S", out, re.M) and re.search(r"^2\. \[", out, re.M)
    assert "»" in out and "«" in out  # the evidence sentence marked for a terminal
    assert len(re.findall(r"^   id \S+  score -?\d+\.\d{3}$", out, re.M)) == 2
    assert main(["search", "Operation Lantern", "--doc", "alpha-review", "--section", "no such section"]) == 0
    assert capsys.readouterr().out.strip() == "No passages found."


def test_ask_prints_the_outcome_then_sentences_or_the_closest_passages(fake_built, monkeypatch, capsys) -> None:
    from reportqa.cli import main

    _in_process(fake_built, monkeypatch)
    assert main(["ask", "how long is the review period for licenced premises?"]) == 0
    answered = capsys.readouterr().out
    assert answered.startswith("[answer]\n") and re.search(r"28-day.* \[1\]$", answered, re.M)
    assert re.search(r"^\[1\] .+, .+ \(passage \S+\)$", answered, re.M)
    assert main(["ask", "What is the capital of Peru?"]) == 0
    abstained = capsys.readouterr().out
    assert abstained.startswith("[not_covered]\n") and "\nClosest passages:\n  - " in abstained


def test_cli_compare_prints_the_per_question_diff(fabricated: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from reportqa.cli import main

    monkeypatch.setenv("REPORTQA_REPORTS_DIR", str(fabricated))
    monkeypatch.setenv("REPORTQA_EVAL_DIR", str(tmp_path / "no-eval"))
    assert main(["eval", "--compare", "2026-01-01-before", str(fabricated / "2026-01-02-after.json")]) == 0
    out = capsys.readouterr().out
    expected = compare_runs(open_run("2026-01-01-before", fabricated), open_run("2026-01-02-after", fabricated))
    for row in expected.changed:
        assert re.search(rf"^{row.change}\s+{row.id}\s", out, re.M)
    assert f"{len(expected.better)} better, {len(expected.worse)} worse" in out
    assert main(["eval", "--failures", "2026-01-02-after"]) == 0
    failures = capsys.readouterr().out
    assert "q2" in failures and "not in top 50" in failures and "q1 " not in failures
    assert main(["eval", "--compare", "2026-01-01-before", "nope"]) == 1
    assert "no eval run 'nope'" in capsys.readouterr().err
